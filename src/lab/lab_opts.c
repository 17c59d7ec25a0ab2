// The lab runtime: command line, board setup, messages, JSON output.
#include "lab.h"

#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "dev"
#endif

enum {
	OPT_WORKERS = 1000,
	OPT_MODE,
	OPT_ITERS,
	OPT_RUNS,
	OPT_SYNC,
	OPT_SCHEDULE,
	OPT_STEP,
	OPT_QUANTUM,
	OPT_RANDOM,
	OPT_TRACE,
	OPT_EXPLORE,
	OPT_PREEMPTIONS,
	OPT_MAX_RUNS,
	OPT_MAX_STEPS,
	OPT_CPUS,
	OPT_TRACE_OUT,
	OPT_JSON,
	OPT_QUIET,
	OPT_HELP,
	OPT_VERSION,
	OPT_COMPLETE,
	OPT_EXTRA, /* lesson options: OPT_EXTRA + index */
};

static void
vmsg(const struct lab *lab, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	char msg[2048];

	fflush(stdout);
	fprintf(stderr, "%s: ", lab && lab->prog ? lab->prog : "racelab");
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* One line whatever the arguments hold: a newline or another
	 * control character in a quoted value is escaped. */
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		if (*p == '\n')
			fputs("\\n", stderr);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

_Noreturn void
lab_usage_error(const struct lab *lab, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(lab, fmt, ap);
	va_end(ap);
	exit(LAB_EXIT_USAGE);
}

_Noreturn void
lab_die(const struct lab *lab, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(lab, fmt, ap);
	va_end(ap);
	exit(1);
}

/* RACELAB_JSON_FD=N (the shell sets it): each record also goes to fd N as
 * a JSON text sequence (RFC 7464: RS, the object, LF), and lab.o.json is
 * set so the lesson builds its records while its text output stays on. */
static int json_fd = -1;
static bool json_side; /* the records are for json_fd only, not stdout */
/* Whose random schedule lab_json_end adds to the record: the lab that
 * began the current run (lab_run_begin; a program has one lab). */
static const struct lab *json_lab;

bool
lab_text(const struct lab *lab)
{
	return !lab->o.json || json_side;
}

void
lab_say(const struct lab *lab, const char *fmt, ...)
{
	va_list ap;

	if (lab->o.quiet || !lab_text(lab))
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void *
lab_shared_alloc(struct lab *lab, size_t size)
{
	void *p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		lab_die(lab, "cannot map %zu bytes of shared memory:", size);
	return p;
}

const char *
lab_mode_name(enum lab_mode m)
{
	return m == LAB_PROCESS ? "process" : "thread";
}

/* A choice list "a|b|c": is word one of them? */
/* Parsing reports a bad option by jumping back to lab_parse with the
 * message, so the parser can be called (and fuzzed) without exiting. */
static struct {
	jmp_buf jb;
	char *err;
	size_t len;
} *parsing;

_Noreturn static void
bad(const struct lab *lab, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

_Noreturn static void
bad(const struct lab *lab, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!parsing) {
		vmsg(lab, fmt, ap);
		exit(LAB_EXIT_USAGE);
	}
	vsnprintf(parsing->err, parsing->len, fmt, ap);
	va_end(ap);
	longjmp(parsing->jb, 1);
}

static bool
choice_ok(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static long
parse_long(const struct lab *lab, const char *opt, const char *s, long min,
           long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || *s == '\0')
		bad(lab, "--%s: '%s' is not a whole number", opt, s);
	if (v < min || v > max)
		bad(lab, "--%s: %ld is out of range (%ld..%ld)", opt, v,
		                min, max);
	return v;
}

static double
parse_double(const struct lab *lab, const char *opt, const char *s,
             double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		bad(lab, "--%s: '%s' is not a number", opt, s);
	if (v < min || v > max)
		bad(lab, "--%s: %g is out of range (%g..%g)", opt, v,
		                min, max);
	return v;
}

/* The linker gathers every probe point's record into the lab_probes
 * section and marks its ends; weak, so a program without any links too
 * (both are then null). */
extern const struct lab_probe_site __start_lab_probes[] __attribute__((weak));
extern const struct lab_probe_site __stop_lab_probes[] __attribute__((weak));

unsigned
lab_probe_sites(void)
{
	if (!__start_lab_probes || !__stop_lab_probes)
		return 0;
	return (unsigned)(__stop_lab_probes - __start_lab_probes);
}

/* The parsed schedule lives as long as the program (workers read it until
 * the end; lessons exit without tearing the lab down).  This pointer keeps
 * it reachable, so a leak checker does not report it at exit. */
static int *volatile schedule_mem; /* volatile: a store nothing reads */

static void
parse_schedule(struct lab *lab, const char *s)
{
	size_t cap = 1;
	const char *p;

	for (p = s; *p; p++)
		if (*p == ',')
			cap++;
	schedule_mem = lab->sched = calloc(cap, sizeof *lab->sched);
	if (!lab->sched)
		lab_die(lab, "out of memory");
	lab->nsched = 0;
	for (p = s; *p;) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || (*end && *end != ','))
			bad(lab, "--schedule: '%s' is not a list of worker numbers like 1,2,1", s);
		if (v < 1 || v > (lab->lesson->numbers_beyond_workers ? BOARD_MAX_WORKERS
		                                                      : lab->o.workers))
			bad(lab, "--schedule: worker %ld does not exist (workers are 1..%d)", v,
			    lab->lesson->numbers_beyond_workers ? BOARD_MAX_WORKERS
			                                        : lab->o.workers);
		lab->sched[lab->nsched++] = (int)v;
		p = *end ? end + 1 : end;
		if (*end == ',' && !*p)
			bad(lab, "--schedule: '%s' ends with a comma", s);
	}
	if (lab->nsched == 0)
		bad(lab, "--schedule: empty schedule");
}

static void
usage(const struct lab *lab)
{
	const struct lab_lesson *l = lab->lesson;

	printf("usage: %s [options]\n%s\n", lab->prog, l->title);
	if (l->about)
		printf("\n%s\n", l->about);
	printf("\nCommon options:\n");
	if (l->workers > 0)
		printf("  --workers N          number of workers (default %d, at most %d)\n",
		       l->workers, BOARD_MAX_WORKERS);
	else
		printf("  --workers N          number of workers (default: one per usable core, %d here; at most %d)\n",
		       lab->ncpu, BOARD_MAX_WORKERS);
	if (l->modes == LAB_MODES_BOTH)
		printf("  --mode thread|process  workers are threads or processes (default %s)\n",
		       lab_mode_name(l->mode));
	if (l->iters)
		printf("  --iters N            iterations per worker (default %ld)\n",
		       l->iters);
	printf("  --runs N             repeat the demo N times (default %d)\n",
	       l->runs);
	if (l->syncs)
		printf("  --sync %-13s how workers synchronise (default %s)\n",
		       l->syncs, l->sync_default);
	if (lab_probe_sites() > 0 && !l->no_schedules) {
		printf("  --schedule 1,2,1,... grant steps to workers in this order, then run freely\n");
		printf("  --step               you are the scheduler: choose who moves at each step\n");
		printf("  --quantum K          round-robin: each worker K steps at a time, to the end\n");
		printf("  --random-schedule SEED  a random worker at every step, the same for the same\n"
		       "                       seed; the schedule is printed (in --json: \"schedule\")\n"
		       "                       so --schedule replays it\n");
		printf("  --trace              one line per step granted: step, worker, operation,\n"
		       "                       the shared counters after it (with any schedule above)\n");
		printf("  (--schedule, --step, --quantum and --random-schedule exclude each other)\n");
		printf("  --explore            run every schedule of the probe points once and report\n"
		       "                       each distinct outcome, how often, and a --schedule for it\n"
		       "                       (its runs go one thread at a time: on one CPU)\n");
		printf("  --preemptions K      with --explore: at most K switches away from a worker\n"
		       "                       that could go on\n");
		printf("  --max-runs N         with --explore: stop after N runs (default %d)\n",
		       LAB_EXPLORE_MAX_RUNS);
		printf("  --max-steps N        with --explore: a run of more steps is stopped and\n"
		       "                       counted as the outcome \"step bound\" (default %d)\n",
		       LAB_EXPLORE_MAX_STEPS);
	}
	printf("  --cpus N             run on the first N usable CPUs only, as taskset does\n"
	       "                       (default 0: all usable, %d here)\n", lab->ncpu);
	printf("  --trace-out FILE.json  write every run as a trace (Chrome Trace Event\n"
	       "                       Format: ui.perfetto.dev, racelab --replay)\n");
	printf("  --json               one JSON object per run on stdout\n");
	printf("  --quiet              print only the results\n");
	printf("  --help, --version\n");
	if (l->options && l->options[0].name) {
		printf("\nLesson options:\n");
		for (const struct lab_option *o = l->options; o->name; o++) {
			char head[256]; /* a long list of choices, whole */

			snprintf(head, sizeof head, "--%s%s%s", o->name,
			         o->arg ? " " : "", o->arg ? o->arg : "");
			printf("  %-20s %s\n", head, o->help ? o->help : "");
		}
	}
	printf("\nExit status: 0 ok, 1 failure, 2 bad usage, 3 deadlock.\n");
}

static void
set_extra(struct lab *lab, const struct lab_option *o, const char *arg)
{
	double min = o->min, max = o->max;

	if (min == 0 && max == 0)
		max = 1e18;
	switch (o->type) {
	case LAB_OPT_FLAG:
		*(bool *)o->var = true;
		break;
	case LAB_OPT_INT:
		*(int *)o->var = (int)parse_long(lab, o->name, arg, (long)min,
		                                 max > 2147483647.0 ? 2147483647L : (long)max);
		break;
	case LAB_OPT_LONG:
		*(long *)o->var = parse_long(lab, o->name, arg, (long)min,
		                             max > 9.2e18 ? 9000000000000000000L : (long)max);
		break;
	case LAB_OPT_DOUBLE:
		*(double *)o->var = parse_double(lab, o->name, arg, min, max);
		break;
	case LAB_OPT_STRING:
		*(const char **)o->var = arg;
		break;
	case LAB_OPT_CHOICE:
		if (!choice_ok(o->arg, arg))
			bad(lab, "--%s: '%s' is not one of %s", o->name,
			                arg, o->arg);
		*(const char **)o->var = arg;
		break;
	}
}

static int
count_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
	return 1;
}

/* --cpus N: restrict this process to its first n usable CPUs, as taskset
 * does; the workers created afterwards inherit the mask (fork and
 * pthread_create both copy it).  For the run blocks that show a one-core
 * variant: a run block cannot call taskset.  Every program takes it: any
 * lesson's workers can be confined like that, and a single-worker or
 * lock-step (--schedule, --explore) run is just as correct on one CPU, so
 * there is no program for which it would be wrong. */
void
lab_pin_cpus(struct lab *lab, int n)
{
	cpu_set_t have, want;
	int kept = 0;

	if (n <= 0 || sched_getaffinity(0, sizeof have, &have) < 0)
		return;
	CPU_ZERO(&want);
	for (int c = 0; c < CPU_SETSIZE && kept < n; c++)
		if (CPU_ISSET(c, &have)) {
			CPU_SET(c, &want);
			kept++;
		}
	if (sched_setaffinity(0, sizeof want, &want) < 0)
		lab_die(lab, "sched_setaffinity:");
	lab->ncpu = count_cpus();
}

/* Actor 0 is the lesson's main thread. */
static void
publish_main(struct lab *lab)
{
	struct board *b = lab->board;

	board_actor_publish(&b->actor[0], BOARD_KIND_PROCESS, getpid(), gettid(),
	                    getppid(), 0, "main");
	atomic_store(&b->actor[0].state, BOARD_ST_RUNNING);
	if (atomic_load(&b->nactors) < 1)
		atomic_store(&b->nactors, 1);
}

static void
setup_board(struct lab *lab)
{
	const char *env = getenv(BOARD_ENV_FD);

	if (env && *env) {
		char *end;
		long fd = strtol(env, &end, 10);
		const char *why = "bad value";

		if (*end || fd < 0 || fd > 65535 ||
		    !(lab->board = board_attach((int)fd, &why)))
			lab_die(lab, "%s=%s: %s", BOARD_ENV_FD, env, why);
		lab->under_shell = true;
	} else {
		lab->board = lab->explore_board ? lab->explore_board : board_create_anon();
		if (!lab->board)
			lab_die(lab, "cannot map the board:");
	}
	strncpy(lab->board->lesson, lab->lesson->slug, BOARD_LESSON_LEN - 1);
	atomic_store(&lab->board->lesson_pid, getpid());
	atomic_store(&lab->board->nprobes, lab_probe_sites());
	atomic_store(&lab->board->clock.sampled, lab->record_sampled);
	publish_main(lab);
	/* Step mode from the command line; under the shell the shell may
	 * also have switched it on before we started. */
	if (lab_scheduled(lab))
		atomic_store(&lab->board->control.step_mode, 1);
}

bool
lab_scheduled(const struct lab *lab)
{
	return lab->nsched || lab->o.step || lab->o.quantum || lab->o.random ||
	       lab->exploring;
}

static struct option *longopts; /* freed by lab_parse on any exit */

/* --complete (hidden): the option table getopt is given, for the shell
 * completion (tools/completion.bash), one option a line: "--json" takes
 * no value, "--iters=" some value, "--sync=none mutex" one of these. */
static void
print_options(const struct lab_lesson *l, const struct option *lo)
{
	for (; lo->name; lo++) {
		const char *vals = lo->val == OPT_MODE ? "thread|process"
		                 : lo->val == OPT_SYNC ? l->syncs : "";

		if (lo->val >= OPT_EXTRA && l->options[lo->val - OPT_EXTRA].type == LAB_OPT_CHOICE)
			vals = l->options[lo->val - OPT_EXTRA].arg;
		/* Parsed for every program, offered where --help offers them. */
		if (lo->val == OPT_COMPLETE ||
		    ((lo->val == OPT_SCHEDULE || lo->val == OPT_STEP || lo->val == OPT_QUANTUM ||
		      lo->val == OPT_RANDOM || lo->val == OPT_TRACE || lo->val == OPT_EXPLORE ||
		      lo->val == OPT_PREEMPTIONS || lo->val == OPT_MAX_RUNS ||
		      lo->val == OPT_MAX_STEPS) &&
		     (lab_probe_sites() == 0 || l->no_schedules)))
			continue;
		printf("--%s%s", lo->name, lo->has_arg ? "=" : "");
		for (; *vals; vals++)
			putchar(*vals == '|' ? ' ' : *vals);
		putchar('\n');
	}
}

static int
parse_args(struct lab *lab, const struct lab_lesson *lesson, int argc,
           char **argv)
{
	static char progbuf[64];
	size_t nextra = 0, k = 0;
	int c;

	memset(lab, 0, sizeof *lab);
	lab->rs_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	/* Line by line even into a pipe (the shell's output panel), so the
	 * parent's lines and its workers' interleave in the order they
	 * happened. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	lab->lesson = lesson;
	snprintf(progbuf, sizeof progbuf, "racelab-%s", lesson->slug);
	lab->prog = progbuf;
	lab->ncpu = count_cpus();
	/* workers == 0: one per usable core, as a Python Pool does. */
	lab->o.workers = lesson->workers > 0 ? lesson->workers : lab->ncpu;
	lab->o.mode = lesson->mode;
	lab->o.iters = lesson->iters;
	lab->o.runs = lesson->runs > 0 ? lesson->runs : 1;
	lab->o.sync = lesson->syncs ? lesson->sync_default : NULL;
	lab->o.preemptions = -1;

	for (const struct lab_option *o = lesson->options; o && o->name; o++)
		nextra++;
	longopts = calloc(25 + nextra, sizeof *longopts); /* the common options, the lesson's, the end */
	if (!longopts)
		lab_die(lab, "out of memory");
#define ADD(n, a, v) longopts[k++] = (struct option){ n, a, NULL, v }
	ADD("workers", required_argument, OPT_WORKERS);
	if (lesson->modes == LAB_MODES_BOTH)
		ADD("mode", required_argument, OPT_MODE);
	if (lesson->iters)
		ADD("iters", required_argument, OPT_ITERS);
	ADD("runs", required_argument, OPT_RUNS);
	if (lesson->syncs)
		ADD("sync", required_argument, OPT_SYNC);
	/* Every program takes them; one with no probe point to stop at
	 * says so after parsing. */
	ADD("schedule", required_argument, OPT_SCHEDULE);
	ADD("step", no_argument, OPT_STEP);
	ADD("quantum", required_argument, OPT_QUANTUM);
	ADD("random-schedule", required_argument, OPT_RANDOM);
	ADD("trace", no_argument, OPT_TRACE);
	ADD("explore", no_argument, OPT_EXPLORE);
	ADD("preemptions", required_argument, OPT_PREEMPTIONS);
	ADD("max-runs", required_argument, OPT_MAX_RUNS);
	ADD("max-steps", required_argument, OPT_MAX_STEPS);
	ADD("cpus", required_argument, OPT_CPUS);
	ADD("trace-out", required_argument, OPT_TRACE_OUT);
	ADD("json", no_argument, OPT_JSON);
	ADD("quiet", no_argument, OPT_QUIET);
	ADD("help", no_argument, OPT_HELP);
	ADD("version", no_argument, OPT_VERSION);
	ADD("complete", no_argument, OPT_COMPLETE);
	for (size_t i = 0; i < nextra; i++) {
		const struct lab_option *o = &lesson->options[i];

		ADD(o->name, o->type == LAB_OPT_FLAG ? no_argument : required_argument,
		    OPT_EXTRA + (int)i);
	}
#undef ADD

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_WORKERS:
			lab->o.workers = (int)parse_long(lab, "workers", optarg, 1,
			                                 BOARD_MAX_WORKERS);
			lab->o.workers_given = true;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "thread") == 0)
				lab->o.mode = LAB_THREAD;
			else if (strcmp(optarg, "process") == 0)
				lab->o.mode = LAB_PROCESS;
			else
				bad(lab, "--mode: '%s' is not thread or process", optarg);
			break;
		case OPT_ITERS:
			lab->o.iters = parse_long(lab, "iters", optarg, 1, 1000000000L);
			break;
		case OPT_RUNS:
			lab->o.runs = (int)parse_long(lab, "runs", optarg, 1, 100000);
			break;
		case OPT_SYNC:
			if (!choice_ok(lesson->syncs, optarg))
				bad(lab, "--sync: '%s' is not one of %s",
				                optarg, lesson->syncs);
			lab->o.sync = optarg;
			break;
		case OPT_SCHEDULE:
			lab->o.schedule = optarg;
			break;
		case OPT_STEP:
			lab->o.step = true;
			break;
		case OPT_QUANTUM:
			lab->o.quantum = (int)parse_long(lab, "quantum", optarg, 1,
			                                 1000000000L);
			break;
		case OPT_RANDOM:
			lab->o.seed = (unsigned long long)parse_long(
				lab, "random-schedule", optarg, 0, 9000000000000000000L);
			lab->o.random = true;
			break;
		case OPT_TRACE:
			lab->o.trace = true;
			break;
		case OPT_EXPLORE:
			lab->o.explore = true;
			break;
		case OPT_PREEMPTIONS:
			lab->o.preemptions = (int)parse_long(lab, "preemptions", optarg,
			                                     0, 1000000);
			break;
		case OPT_MAX_RUNS:
			lab->o.max_runs = parse_long(lab, "max-runs", optarg, 1,
			                             1000000000L);
			break;
		case OPT_MAX_STEPS:
			lab->o.max_steps = parse_long(lab, "max-steps", optarg, 1,
			                              100000000L);
			break;
		case OPT_CPUS:
			/* 0 is the default (all), as in lessons/03-race/race.py;
			 * more than the machine has is all of them. */
			lab->o.cpus = (int)parse_long(lab, "cpus", optarg, 0, 4096);
			break;
		case OPT_TRACE_OUT: {
			char why[512];
			const char *bad_path = lab_trace_path_bad(optarg, why, sizeof why);

			if (bad_path)
				bad(lab, "%s", bad_path);
			lab->o.trace_out = optarg;
			break;
		}
		case OPT_JSON:
			lab->o.json = true;
			break;
		case OPT_QUIET:
			lab->o.quiet = true;
			break;
		case OPT_HELP:
			usage(lab);
			return 1;
		case OPT_VERSION:
			printf("%s %s\n", lab->prog, VERSION);
			return 1;
		case OPT_COMPLETE:
			print_options(lesson, longopts);
			return 1;
		case ':':
			bad(lab, "%s needs a value", argv[optind - 1]);
		case '?':
			/* A long option given a value it does not take
			 * ("--json=yes"): getopt reports the option's own
			 * code in optopt, not a character. */
			if (optopt >= OPT_WORKERS)
				bad(lab, "%s: this option takes no value",
				    argv[optind - 1]);
			if (optopt)
				bad(lab, "unknown option '-%c' (try --help)", optopt);
			bad(lab, "unknown option '%s' (try --help)",
			                argv[optind - 1]);
		default:
			if (c >= OPT_EXTRA && (size_t)(c - OPT_EXTRA) < nextra)
				set_extra(lab, &lesson->options[c - OPT_EXTRA], optarg);
			break;
		}
	}
	free(longopts);
	longopts = NULL;
	if (optind < argc)
		bad(lab, "unexpected argument '%s' (try --help)",
		                argv[optind]);
	/* "One per usable core" counts the cores --cpus leaves, as it would
	 * under taskset. */
	if (lesson->workers <= 0 && !lab->o.workers_given && lab->o.cpus > 0 &&
	    lab->o.cpus < lab->o.workers)
		lab->o.workers = lab->o.cpus;
	if (lab->o.mode == LAB_PROCESS && lab->o.workers > LAB_MAX_PROCESSES)
		bad(lab, "--workers: %d process workers is above the cap of %d (threads may go to %d)",
		                lab->o.workers, LAB_MAX_PROCESSES, BOARD_MAX_WORKERS);
	{
		/* One scheduler at a time; --trace watches whichever runs. */
		const char *given[4];
		int n = 0;

		if (lab->o.schedule)
			given[n++] = "--schedule";
		if (lab->o.step)
			given[n++] = "--step";
		if (lab->o.quantum)
			given[n++] = "--quantum";
		if (lab->o.random)
			given[n++] = "--random-schedule";
		if (n && lab_probe_sites() == 0)
			bad(lab, "%s: this program has no probe points, so there is nothing to schedule",
			    given[0]);
		if (n > 1)
			bad(lab, "%s and %s exclude each other (one schedule at a time)",
			    given[0], given[1]);
		if (lab->o.trace && lab_probe_sites() == 0)
			bad(lab, "--trace: this program has no probe points, so there is nothing to trace");
		if (lab->o.explore && lab_probe_sites() == 0)
			bad(lab, "--explore: this program has no probe points, so there is nothing to explore");
		if (lab->o.explore && n)
			bad(lab, "--explore and %s exclude each other (--explore makes the schedules)",
			    given[0]);
		if (lab->o.explore && lab->o.trace_out)
			bad(lab, "--explore and --trace-out exclude each other (record a reported --schedule with --trace-out)");
		if (lab->o.explore && lab->o.trace)
			bad(lab, "--explore and --trace exclude each other (replay a reported --schedule with --trace)");
		if (!lab->o.explore && (lab->o.preemptions >= 0 || lab->o.max_runs ||
		                        lab->o.max_steps))
			bad(lab, "%s needs --explore", lab->o.preemptions >= 0 ? "--preemptions"
			    : lab->o.max_runs ? "--max-runs" : "--max-steps");
		if (lab->o.trace && !n)
			bad(lab, "--trace needs a schedule to trace: --schedule, --step, --quantum or --random-schedule");
	}
	if (lab->o.schedule)
		parse_schedule(lab, lab->o.schedule);
	{
		const char *rec = getenv("RACELAB_RECORD");

		lab->record_sampled = lesson->record_sampled;
		if (rec && strcmp(rec, "sampled") == 0)
			lab->record_sampled = true;
		if ((rec && strcmp(rec, "all") == 0) || lab->o.trace_out)
			lab->record_sampled = false;
	}
	{
		const char *e = getenv("RACELAB_JSON_FD");
		char *end;
		long fd = e && *e ? strtol(e, &end, 10) : -1;

		if (fd >= 1 && fd < 1024 && *end == '\0') {
			json_fd = (int)fd;
			json_side = !lab->o.json;
			lab->o.json = true;
		}
	}
	return 0;
}

int
lab_parse(struct lab *lab, const struct lab_lesson *lesson, int argc,
          char **argv, char *err, size_t errlen)
{
	__typeof__(*parsing) ctx;
	int r;

	ctx.err = err;
	ctx.len = errlen;
	parsing = &ctx;
	if (setjmp(ctx.jb)) {
		r = -1;
		free(lab->sched);
		lab->sched = NULL;
		lab->nsched = 0;
	} else {
		r = parse_args(lab, lesson, argc, argv);
	}
	parsing = NULL;
	free(longopts);
	longopts = NULL;
	return r;
}

/* --trace-out: the runs are written when the lesson's main process exits
 * (however it returns or exits: a deadlocked run is worth seeing); a run
 * begun and not ended is added as it stands.  What the writer needs is
 * kept here: at exit, a lesson's struct lab (on main's stack) is gone. */
static struct {
	struct lab_trace *t;
	const char *path, *prog;
	struct board *board;
	pid_t pid;
	uint32_t last_run; /* the last run added */
} trace_out;

static void
trace_at_exit(void)
{
	char err[512];

	if (!trace_out.t || getpid() != trace_out.pid)
		return;
	/* A run begun and not ended, or one that another process ended (an
	 * MPI lesson's rank 0 ends the runs; the launcher writes). */
	if (atomic_load(&trace_out.board->run_state) == BOARD_RUN_RUNNING ||
	    (atomic_load(&trace_out.board->run) > 0 &&
	     atomic_load(&trace_out.board->run) != trace_out.last_run))
		lab_trace_add(trace_out.t, trace_out.board);
	if (lab_trace_write(trace_out.t, trace_out.path, err, sizeof err) < 0)
		fprintf(stderr, "%s: %s\n", trace_out.prog, err);
	lab_trace_free(trace_out.t);
	trace_out.t = NULL;
}

void
lab_trace_flush(struct lab *lab)
{
	trace_at_exit();
	lab->trace = NULL;
}

void
lab_init(struct lab *lab, const struct lab_lesson *lesson, int argc,
         char **argv)
{
	char err[256];
	int r = lab_parse(lab, lesson, argc, argv, err, sizeof err);

	lab_stdout_guard(lab); /* a write error on stdout fails the exit */
	if (r < 0)
		lab_usage_error(lab, "%s", err);
	if (r > 0)
		exit(0);
	lab_pin_cpus(lab, lab->o.cpus); /* before the explorer forks its runs */
	if (lab->o.explore) {
		lab_explore(lab); /* returns in each run's child only */
		/* The child's records go to the explorer on stdout alone. */
		json_fd = -1;
		json_side = false;
		lab->o.json = true;
		lab->o.quiet = true;
		lab->o.runs = 1;
		unsetenv(BOARD_ENV_FD);
	}
	setup_board(lab);
	if (lab->o.trace_out) {
		lab->trace = lab_trace_new(lab->prog);
		if (!lab->trace)
			lab_die(lab, "out of memory");
		trace_out.t = lab->trace;
		trace_out.path = lab->o.trace_out;
		trace_out.prog = lab->prog;
		trace_out.board = lab->board;
		trace_out.pid = getpid();
		atexit(trace_at_exit);
	}
}


void
lab_run_begin(struct lab *lab, int run)
{
	struct board *b = lab->board;

	lab->run = run;
	lab->all_blocked = false;
	json_lab = lab;
	pthread_mutex_lock(&lab->rs_lock);
	lab->granted = 0;
	lab->rsched_len = 0;
	pthread_mutex_unlock(&lab->rs_lock);
	board_reset(b);
	publish_main(lab);
	atomic_store(&b->runs, (uint32_t)lab->o.runs);
	atomic_store(&b->run, (uint32_t)run);
	lab_cpu_begin(lab);
	lab->t0 = board_now_ns();
	atomic_store(&b->run_start_ns, lab->t0);
	atomic_store(&b->run_state, BOARD_RUN_RUNNING);
}

void
lab_run_end(struct lab *lab)
{
	struct board *b = lab->board;

	if (atomic_load(&b->ncounters) > 0) {
		board_result_add(b, atomic_load(&b->counter[0].value));
		if (atomic_load(&b->counter[0].has_expected))
			atomic_store(&b->result_expected,
			             atomic_load(&b->counter[0].expected));
	}
	atomic_store(&b->run_end_ns, board_now_ns());
	board_run_done(b);
	atomic_store(&b->run_state, BOARD_RUN_DONE);
	if (lab->trace) {
		lab_trace_add(lab->trace, b);
		trace_out.last_run = atomic_load(&b->run);
	}
}

double
lab_elapsed_ms(const struct lab *lab)
{
	return (double)(board_now_ns() - lab->t0) / 1e6;
}

struct board_counter *
lab_counter(struct lab *lab, const char *name, int64_t initial)
{
	int i = board_counter_add(lab->board, name, initial);

	if (i < 0)
		lab_die(lab, "too many counters (at most %d)", BOARD_MAX_COUNTERS);
	atomic_store(&lab->board->counter[i].has_expected, 0);
	atomic_store(&lab->board->counter[i].kind, BOARD_COUNTER_COUNT);
	return &lab->board->counter[i];
}

void
lab_counter_expect(struct board_counter *c, int64_t expected)
{
	atomic_store(&c->expected, expected);
	atomic_store(&c->has_expected, 1);
	atomic_store(&c->kind, BOARD_COUNTER_CONSERVED);
}

void
lab_counter_kind(struct board_counter *c, enum board_counter_kind k)
{
	atomic_store(&c->kind, k);
}

/* JSON: just enough to print flat objects of numbers, strings and arrays. */
static void
jput(struct lab_json *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->len >= sizeof j->buf)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, sizeof j->buf - j->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		j->len += (size_t)n;
	if (j->len >= sizeof j->buf)
		j->len = sizeof j->buf - 1;
}

static void
jstring(struct lab_json *j, const char *s)
{
	jput(j, "\"");
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			jput(j, "\\%c", ch);
		else if (ch < 0x20)
			jput(j, "\\u%04x", ch);
		else
			jput(j, "%c", ch);
	}
	jput(j, "\"");
}

static void
jkey(struct lab_json *j, const char *key)
{
	if (!j->first)
		jput(j, ",");
	j->first = false;
	jstring(j, key);
	jput(j, ":");
}

void
lab_json_begin(struct lab_json *j)
{
	j->len = 0;
	j->first = true;
	jput(j, "{");
}

void
lab_json_int(struct lab_json *j, const char *key, long long v)
{
	jkey(j, key);
	jput(j, "%lld", v);
}

void
lab_json_num(struct lab_json *j, const char *key, double v)
{
	jkey(j, key);
	if (isfinite(v))
		jput(j, "%.6g", v);
	else
		jput(j, "null");
}

void
lab_json_str(struct lab_json *j, const char *key, const char *v)
{
	jkey(j, key);
	if (v)
		jstring(j, v);
	else
		jput(j, "null");
}

void
lab_json_bool(struct lab_json *j, const char *key, bool v)
{
	jkey(j, key);
	jput(j, v ? "true" : "false");
}

void
lab_json_int_array(struct lab_json *j, const char *key, const long long *v,
                   int n)
{
	jkey(j, key);
	jput(j, "[");
	for (int i = 0; i < n; i++)
		jput(j, i ? ",%lld" : "%lld", v[i]);
	jput(j, "]");
}

void
lab_json_num_array(struct lab_json *j, const char *key, const double *v, int n)
{
	jkey(j, key);
	jput(j, "[");
	for (int i = 0; i < n; i++)
		jput(j, i ? ",%.6g" : "%.6g", v[i]);
	jput(j, "]");
}

void
lab_json_raw(struct lab_json *j, const char *key, const char *json)
{
	jkey(j, key);
	jput(j, "%s", json);
}


static void
json_write(FILE *f, const struct lab_json *j, const char *sched, size_t slen)
{
	fwrite(j->buf, 1, j->len, f);
	/* Outside buf: a schedule may be longer than a record. */
	if (sched)
		fprintf(f, ",\"schedule\":\"%.*s\"", (int)slen, sched);
	fputs("}\n", f);
}

void
lab_json_line(const struct lab *lab, const char *obj)
{
	(void)lab;
	if (!json_side)
		printf("%s\n", obj);
	fflush(stdout);
	if (json_fd == STDOUT_FILENO) {
		fputc(0x1e, stdout);
		printf("%s\n", obj);
		fflush(stdout);
	}
	if (json_fd > STDOUT_FILENO)
		dprintf(json_fd, "\x1e%s\n", obj);
}

void
lab_json_end(struct lab_json *j)
{
	const char *sched = NULL;
	size_t slen = 0;

	/* Every run's record says whether everyone ended asleep, unless the
	 * lesson said so itself: the lab's watch stopped the run, or the
	 * lesson reports while its workers still sleep (13's own deadlock
	 * watchdog). */
	if (json_lab && json_lab->run > 0 && !strstr(j->buf, "\"all_blocked\":"))
		lab_json_int(j, "all_blocked", json_lab->all_blocked ||
		             lab_all_blocked(json_lab->board));

	/* The workers' real PIDs and TIDs, by worker number (a trace's
	 * tracks carry the same), for runs of up to 64 workers. */
	if (json_lab && json_lab->run > 0 && !strstr(j->buf, "\"pids\":")) {
		const struct board *b = json_lab->board;
		long long pids[64], tids[64];
		uint32_t n = atomic_load(&((struct board *)b)->nactors);
		int k = 0;

		for (uint32_t i = 1; i < n && i <= 64; i++) {
			struct board_actor_id id;

			if (!board_actor_read(&b->actor[i], &id) || id.pid <= 0)
				continue;
			pids[k] = id.pid;
			tids[k++] = id.tid;
		}
		if (n <= 65) {
			lab_json_int_array(j, "pids", pids, k);
			lab_json_int_array(j, "tids", tids, k);
		}
	}
	/* How much the run was kept from its CPUs (lab_cpu_read), unless
	 * the lesson measured its timed part itself. */
	if (json_lab && json_lab->run > 0 && !strstr(j->buf, "\"cpu_wait\":")) {
		struct lab_cpu c;

		if (lab_cpu_read(&c) == 0) {
			lab_json_num(j, "cpu_wait", c.cpu_wait);
			lab_json_num(j, "steal", c.steal);
			lab_json_num(j, "cpu_ms", c.run_ms);
			lab_json_num(j, "cpu_wait_ms", c.wait_ms);
		}
	}
	if (json_lab && json_lab->o.random && json_lab->rsched_len) {
		sched = json_lab->rsched;
		slen = json_lab->rsched_len;
	}
	if (!json_side)
		json_write(stdout, j, sched, slen);
	if (json_fd == STDOUT_FILENO) { /* in order with the text around it */
		fputc(0x1e, stdout);
		json_write(stdout, j, sched, slen);
	}
	fflush(stdout);
	if (json_fd > STDOUT_FILENO)
		dprintf(json_fd, "\x1e%.*s%s%.*s%s}\n", (int)j->len, j->buf,
		        sched ? ",\"schedule\":\"" : "", (int)slen, sched ? sched : "",
		        sched ? "\"" : "");
}
