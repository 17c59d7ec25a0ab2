// racelab-watch: run any pthread or fork program (an executable, or .c
// files it compiles) under racelab's scheduler, and explore its
// interleavings with the lab's own explorer (lab_explore_with).
//
// An executable gets build/librlwatch.so in LD_PRELOAD: its pthread,
// semaphore, process and sleep calls become scheduling points.  .c files
// are compiled with -fsanitize=thread (the compiler's call before every
// memory access) and linked against the same library's __tsan_* hooks
// instead of the ThreadSanitizer runtime: every access to shared memory
// becomes a scheduling point too.  The two talk through a shared region
// (rlw.h) that this program makes, so it knows how each run ended and
// which processes to clean up, whatever the program did.
#include "../lab/lab.h"
#include "../lesson/watch_cmd.h"
#include "rlw.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LIBDIR
#define LIBDIR "/usr/local/lib"
#endif

/* A run is stopped after this long (a program that never ends). */
enum { WATCH_RUN_TIMEOUT_MS = 10000, WATCH_MAX_STEPS = 1000000,
       WATCH_NPROC = 256 };

static const struct lab_lesson watch_lesson = {
	.slug = "watch",
	.title = "your own pthread or fork program, scheduled and explored",
	.workers = 1,
	.runs = 1,
	.numbers_beyond_workers = true, /* the program's workers: any number */
};
/* The program's scheduling points are the watched program's, not this
 * one's: this record lets the lab's parser accept --schedule and the rest. */
LAB_PROBE_SITE_();

static struct rlw_region *reg;
static struct board *brd; /* the shell's, under the shell */
static int reg_fd = -1;
static pid_t run_pid, server_pid;
static char **prog_argv;
static int64_t run_timeout_ms = WATCH_RUN_TIMEOUT_MS;
static const char *lib_path;

static _Noreturn void
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("racelab-watch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(LAB_EXIT_USAGE);
}

/* The options --help lists, and --complete prints for the shell
 * completion (tools/completion.bash): one table, so the two agree.  The
 * lab's parser takes them (lab_parse); its other options are the
 * lessons'. */
static const struct {
	const char *name, *arg, *help;
	int dflt; /* printed as "(default N)" when not 0 */
} watch_opts[] = {
	{ "schedule", "1,2,1", "grant steps in this order, then keep to the last worker", 0 },
	{ "quantum", "K", "round robin, K steps a turn", 0 },
	{ "random-schedule", "SEED", "a seeded random worker at every step", 0 },
	{ "trace", NULL, "print every step granted (stderr)", 0 },
	{ "runs", "N", "run N times", 0 },
	{ "json", NULL, "one JSON record per run (or the --explore report)", 0 },
	{ "quiet", NULL, "no report lines of racelab-watch's own", 0 },
	{ "explore", NULL, "every interleaving (depth first)", 0 },
	{ "preemptions", "K", "with --explore: at most K preemptions a run", 0 },
	{ "max-runs", "N", "with --explore: at most N runs", LAB_EXPLORE_MAX_RUNS },
	{ "max-steps", "N", "with --explore: at most N steps a run", LAB_EXPLORE_MAX_STEPS },
};

static void
usage(void)
{
	printf("usage: racelab-watch [options] PROGRAM [ARGS...]\n"
	       "       racelab-watch [options] FILE.c [FILE2.c ...] [ARGS...]\n"
	       "Run your own pthread or fork program under racelab's scheduler.\n"
	       "PROGRAM: its pthread, semaphore, process and sleep calls are scheduling points.\n"
	       "FILE.c: compiled (cc -g -pthread -fsanitize=thread, racelab's hooks), so every\n"
	       "  access to shared memory is a scheduling point too.\n"
	       "Workers: the main thread is 1, then threads and processes as they start.\n");
	for (size_t i = 0; i < sizeof watch_opts / sizeof *watch_opts; i++) {
		char head[64];

		snprintf(head, sizeof head, "--%s%s%s", watch_opts[i].name,
		         watch_opts[i].arg ? " " : "", watch_opts[i].arg ? watch_opts[i].arg : "");
		printf("  %-22s %s", head, watch_opts[i].help);
		if (watch_opts[i].dflt)
			printf(" (default %d)", watch_opts[i].dflt);
		putchar('\n');
	}
	printf("  --help, --version\n"
	       "See racelab-watch(1).\n");
}

/* --complete (hidden): the table above in the lab's --complete format
 * ("--json" no value, "--runs=" some value). */
static void
complete(void)
{
	for (size_t i = 0; i < sizeof watch_opts / sizeof *watch_opts; i++)
		printf("--%s%s\n", watch_opts[i].name, watch_opts[i].arg ? "=" : "");
	printf("--help\n--version\n");
}

/* ---- strings --------------------------------------------------------- */

struct str {
	char *s;
	size_t len, cap;
};

static void
sadd(struct str *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1) + 256;
		if (!(b->s = realloc(b->s, b->cap))) {
			fputs("racelab-watch: out of memory\n", stderr);
			exit(1);
		}
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
saddf(struct str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
saddf(struct str *b, const char *fmt, ...)
{
	char tmp[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	/* Never cut: a cut record is not JSON. */
	if (n >= (int)sizeof tmp) {
		va_start(ap, fmt);
		if (vasprintf(&big, fmt, ap) < 0)
			big = NULL;
		va_end(ap);
		if (!big) {
			fputs("racelab-watch: out of memory\n", stderr);
			exit(1);
		}
	}
	if (n > 0)
		sadd(b, big ? big : tmp, (size_t)n);
	free(big);
}

static void
sjson(struct str *b, const char *s, size_t n)
{
	sadd(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			saddf(b, "\\%c", c);
		else if (c == '\n')
			sadd(b, "\\n", 2);
		else if (c == '\t')
			sadd(b, "\\t", 2);
		else if (c < 0x20 || c == 0x7f)
			saddf(b, "\\u%04x", c);
		else
			sadd(b, (const char *)&c, 1);
	}
	sadd(b, "\"", 1);
}

/* ---- the program ------------------------------------------------------ */

static bool
ends_with_c(const char *s)
{
	size_t n = strlen(s);

	return n > 2 && strcmp(s + n - 2, ".c") == 0;
}

/* build/librlwatch.so beside this program's tree, or the installed one. */
static const char *
find_lib(void)
{
	static char path[PATH_MAX + 32];
	const char *e = getenv("RACELAB_WATCH_LIB");
	char self[PATH_MAX];
	ssize_t n;

	if (e && *e)
		return e;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		if ((slash = strrchr(self, '/')))
			*slash = '\0';
		snprintf(path, sizeof path, "%s/../build/librlwatch.so", self);
		if (access(path, R_OK) == 0)
			return path;
	}
	snprintf(path, sizeof path, "%s/racelab/librlwatch.so", LIBDIR);
	if (access(path, R_OK) == 0)
		return path;
	fprintf(stderr, "racelab-watch: librlwatch.so not found (looked beside the program and in %s/racelab)\n",
	        LIBDIR);
	exit(1);
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3u;
	return h;
}

/* cc with its temporaries (the .s, the linker's) in scratch, the
 * compile's own directory: a compile killed with racelab-watch (its
 * group killed under the shell) leaves them there, and the next compile
 * sweeps it (prune_scratch), not in /tmp for ever. */
static int
run_cc(char *const *argv, const char *scratch)
{
	pid_t pid = fork();
	int st = 0;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		setenv("TMPDIR", scratch, 1);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* racelab-watch gone: stop */
		dup2(STDERR_FILENO, STDOUT_FILENO); /* cc's words go to stderr */
		execvp(argv[0], argv);
		fprintf(stderr, "racelab-watch: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0700);
			*p = '/';
		}
	mkdir(tmp, 0700);
}

/* The compiler's scratch directory (flat: objects and the program). */
static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[PATH_MAX + 300];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Scratch directories of compiles whose racelab-watch is gone (killed
 * while cc ran): "watch-HASH.tmpPID". */
static void
prune_scratch(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		const char *t = strstr(e->d_name, ".tmp");
		char p[PATH_MAX + 300];
		long pid;

		if (strncmp(e->d_name, "watch-", 6) != 0 || !t || (pid = atol(t + 4)) <= 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		remove_dir(p);
	}
	if (d)
		closedir(d);
}

/* Other builds of the same sources (cache entries "watch-P-*" but
 * keep): an edited file replaces its build, the cache does not grow
 * with every save. */
static void
prune_builds(const char *dir, const char *prefix, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = strlen(prefix);

	while (d && (e = readdir(d))) {
		char p[PATH_MAX + 300];

		if (strncmp(e->d_name, prefix, n) != 0 || strcmp(e->d_name, keep) == 0 ||
		    strstr(e->d_name, ".tmp"))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
}

/* Compile srcs into the cache (once per content of the sources, of the
 * library and of this program); the executable's path. */
static char *
compile(char **srcs, int n, const char *lib)
{
	static const char *const flags[] = { "-g", "-O0", "-pthread", "-fsanitize=thread" };
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char dir[PATH_MAX], out[PATH_MAX + 128], tmp[PATH_MAX + 192], libdir[PATH_MAX];
	uint64_t h = 0xcbf29ce484222325u, hp = h;
	char prefix[64];
	struct stat st;
	const char *selfs[] = { "/proc/self/exe", lib };

	for (int i = 0; i < n; i++) {
		FILE *f = fopen(srcs[i], "rb");
		char buf[65536];
		size_t k;

		char real[PATH_MAX];

		if (!f)
			usage_error("%s: %s", srcs[i], strerror(errno));
		h = fnv(h, srcs[i], strlen(srcs[i]) + 1);
		/* Which files (the entry an edit replaces). */
		if (realpath(srcs[i], real))
			hp = fnv(hp, real, strlen(real) + 1);
		else
			hp = fnv(hp, srcs[i], strlen(srcs[i]) + 1);
		while ((k = fread(buf, 1, sizeof buf, f)) > 0)
			h = fnv(h, buf, k);
		fclose(f);
	}
	for (int i = 0; i < 2; i++)
		if (stat(selfs[i], &st) == 0) {
			h = fnv(h, &st.st_mtim, sizeof st.st_mtim);
			h = fnv(h, &st.st_size, sizeof st.st_size);
		}
	h = fnv(h, VERSION, sizeof VERSION);
	if (xdg && *xdg == '/')
		snprintf(dir, sizeof dir, "%s/racelab", xdg);
	else
		snprintf(dir, sizeof dir, "%s/.cache/racelab", home && *home ? home : "/tmp");
	mkdirs(dir);
	prune_scratch(dir);
	snprintf(prefix, sizeof prefix, "watch-%016llx-", (unsigned long long)hp);
	snprintf(out, sizeof out, "%s/%s%016llx", dir, prefix, (unsigned long long)h);
	if (access(out, X_OK) == 0)
		return strdup(out);
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid());
	mkdirs(tmp);
	if (access(tmp, W_OK) < 0) /* not cc's "does not compile": the cache's */
		fprintf(stderr, "racelab-watch: cannot write the cache %s: %s\n", tmp, strerror(errno)), exit(1);
	{
		char **objs = calloc((size_t)n + 16, sizeof *objs);
		const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
		int k = 0, rc;
		char *slash;

		for (int i = 0; i < n; i++) {
			char *argv[16], obj[PATH_MAX + 256];
			int a = 0;

			snprintf(obj, sizeof obj, "%s/%d.o", tmp, i);
			argv[a++] = (char *)cc;
			for (size_t f = 0; f < sizeof flags / sizeof *flags; f++)
				argv[a++] = (char *)flags[f];
			argv[a++] = "-c";
			argv[a++] = srcs[i];
			argv[a++] = "-o";
			argv[a++] = obj;
			argv[a] = NULL;
			if (run_cc(argv, tmp) != 0) {
				remove_dir(tmp);
				usage_error("%s does not compile", srcs[i]);
			}
			objs[i] = strdup(obj);
		}
		snprintf(libdir, sizeof libdir, "%s", lib);
		if ((slash = strrchr(libdir, '/')))
			*slash = '\0';
		{
			char *argv[LAB_MAX_PROCESSES + 16], exe[PATH_MAX + 256], rpath[PATH_MAX + 32];
			int a = 0;

			snprintf(exe, sizeof exe, "%s/prog", tmp);
			snprintf(rpath, sizeof rpath, "-Wl,-rpath,%s", libdir);
			argv[a++] = (char *)cc;
			argv[a++] = "-g";
			argv[a++] = "-pthread";
			argv[a++] = "-rdynamic"; /* names of globals for dladdr */
			argv[a++] = "-o";
			argv[a++] = exe;
			for (int i = 0; i < n && a < LAB_MAX_PROCESSES; i++)
				argv[a++] = objs[i];
			argv[a++] = (char *)lib;
			argv[a++] = rpath;
			argv[a++] = "-lm";
			argv[a] = NULL;
			rc = run_cc(argv, tmp);
			if (rc != 0)
				remove_dir(tmp);
			if (rc != 0)
				usage_error("%s does not compile (linking failed)", srcs[0]);
			for (int i = 0; i < n; i++) {
				unlink(objs[i]);
				free(objs[i]);
			}
			free(objs);
			k = rename(exe, out);
			rmdir(tmp);
			if (k != 0 && access(out, X_OK) != 0)
				usage_error("%s: %s", out, strerror(errno));
			prune_builds(dir, prefix, strrchr(out, '/') + 1);
		}
	}
	return strdup(out);
}

/* Is it something racelab-watch can compile, or exec under the library?
 * (The shell asks the same before its view opens: watch_cmd.c.) */
static void
check_program(const char *p)
{
	char why[320];

	if (md_watch_check_file(p, why, sizeof why) < 0)
		usage_error("%s", why);
}

/* ---- runs ------------------------------------------------------------ */

static void
kill_run(void)
{
	if (!reg)
		return;
	for (uint32_t i = 1; i <= reg->nworkers && i <= RLW_MAX_WORKERS; i++) {
		pid_t pid = atomic_load(&reg->w[i].pid);

		if (reg->w[i].process && pid > 0 && pid != getpid())
			kill(pid, SIGKILL);
	}
}

/* Kill and reap every process left below this one (it is their
 * subreaper), but the fork server. */
static void
reap_all(void)
{
	for (;;) {
		pid_t p;

		rlw_kill_children(server_pid);
		p = waitpid(-1, NULL, server_pid > 0 ? WNOHANG : 0);
		if (p < 0 && errno == ECHILD)
			return;
		if (server_pid > 0 && p <= 0)
			return;
	}
}

static void
on_signal(int sig)
{
	kill_run();
	if (server_pid > 0)
		kill(server_pid, SIGKILL);
	if (run_pid > 0)
		kill(run_pid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
make_region(const struct lab *lab)
{
	reg_fd = (int)syscall(SYS_memfd_create, "racelab-watch", 0);
	if (reg_fd < 0 || ftruncate(reg_fd, sizeof *reg) != 0)
		usage_error("memfd: %s", strerror(errno));
	reg = mmap(NULL, sizeof *reg, PROT_READ | PROT_WRITE, MAP_SHARED, reg_fd, 0);
	if (reg == MAP_FAILED) {
		fprintf(stderr, "racelab-watch: mmap: %s\n", strerror(errno));
		exit(1);
	}
	reg->magic = RLW_MAGIC;
	reg->version = RLW_VERSION;
	reg->size = sizeof *reg;
	reg->watcher = getpid();
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		if (sched_getaffinity(0, sizeof set, &set) == 0)
			memcpy(reg->cpus, &set, sizeof reg->cpus < sizeof set ?
			       sizeof reg->cpus : sizeof set);
	}
	reg->trace = lab->o.trace;
	reg->max_steps = WATCH_MAX_STEPS;
	if (lab->o.explore) {
		reg->mode = RLW_EXPLORE;
	} else if (lab->o.schedule) {
		reg->mode = RLW_SCHEDULE;
		for (int i = 0; i < lab->nsched && i < RLW_MAX_SCHED; i++)
			reg->sched[i] = (uint16_t)lab->sched[i];
		reg->nsched = (uint32_t)(lab->nsched < RLW_MAX_SCHED ? lab->nsched : RLW_MAX_SCHED);
	} else if (lab->o.quantum) {
		reg->mode = RLW_QUANTUM;
		reg->quantum = (uint32_t)lab->o.quantum;
	} else if (lab->o.random) {
		reg->mode = RLW_RANDOM;
		reg->seed = lab->o.seed;
	} else {
		reg->mode = RLW_FREE;
	}
}

/* Start the program (as a fork server when server_fds is set), with
 * stdout to out_fd (-1: ours), stderr to err_fd (-1: ours). */
static pid_t
start(const char *server_fds, int out_fd, int err_fd)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		usage_error("fork: %s", strerror(errno));
	if (pid == 0) {
		char num[32], pre[PATH_MAX + 64];
		const char *old = getenv("LD_PRELOAD");
		struct rlimit rl;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* A scheduled run goes one thread at a time: on one CPU
		 * (lab_pin_one_cpu; the fork server is pinned with
		 * racelab-watch itself).  A free run keeps every CPU. */
		if (!server_fds && reg->mode != RLW_FREE)
			lab_pin_one_cpu();
		if (out_fd >= 0)
			dup2(out_fd, STDOUT_FILENO);
		if (err_fd >= 0)
			dup2(err_fd, STDERR_FILENO);
		if (server_fds) { /* every run the same input: none */
			int null = open("/dev/null", O_RDONLY);

			if (null >= 0 && null != STDIN_FILENO) {
				dup2(null, STDIN_FILENO);
				close(null);
			}
		}
		snprintf(num, sizeof num, "%d", reg_fd);
		setenv(RLW_ENV_FD, num, 1);
		if (server_fds)
			setenv(RLW_ENV_SERVER, server_fds, 1);
		snprintf(pre, sizeof pre, "%s%s%s", lib_path, old && *old ? " " : "",
		         old ? old : "");
		setenv("LD_PRELOAD", pre, 1);
		/* A fork bomb meets this cap (the library's own cap of
		 * processes holds for root too, whom the kernel does not
		 * limit). */
		if (getrlimit(RLIMIT_NPROC, &rl) == 0 && (rl.rlim_cur == RLIM_INFINITY ||
		                                          rl.rlim_cur > WATCH_NPROC)) {
			rl.rlim_cur = WATCH_NPROC;
			setrlimit(RLIMIT_NPROC, &rl);
		}
		signal(SIGPIPE, SIG_DFL);
		execv(prog_argv[0], prog_argv);
		fprintf(stderr, "racelab-watch: %s: %s\n", prog_argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static const char *
end_name(uint32_t end)
{
	switch (end) {
	case RLW_END_DEADLOCK: return "deadlock";
	case RLW_END_ASLEEP: return "asleep";
	case RLW_END_BOUND: return "bound";
	case RLW_END_DIVERGED: return "diverged";
	case RLW_END_CAP: return "cap";
	case RLW_END_SLEPT: return "slept";
	case RLW_END_MISUSE: return "misuse";
	case RLW_END_OUTPUT: return "output";
	default: return "ok";
	}
}

/* The run's steps, as the lab's explore runs write them. */
static char *
steps_text(void)
{
	struct str b = { 0 };

	uint64_t f = 0;

	sadd(&b, "", 0);
	for (uint64_t i = 0; i + 2 <= reg->nlog;) {
		unsigned p = reg->log[i], n = reg->log[i + 1];

		saddf(&b, "S %u ", p);
		for (unsigned k = 0; k < n && i + 2 + k < reg->nlog; k++)
			saddf(&b, "%s%u", k ? "," : "", reg->log[i + 2 + k]);
		i += 2 + n;
		/* Sleep sets: the asleep, then each one's footprint. */
		if (reg->por && reg->mode == RLW_EXPLORE && i < reg->nlog) {
			unsigned nsl = reg->log[i++];

			sadd(&b, " | ", 3);
			for (unsigned k = 0; k < nsl && i < reg->nlog; k++)
				saddf(&b, "%s%u", k ? "," : "", reg->log[i++]);
			sadd(&b, " |", 2);
			for (unsigned k = 0; k < n && f < reg->nfp; k++, f++) {
				const struct rlw_fp *x = &reg->fp[f];

				saddf(&b, " %c%llx.%llx", "LRWOG"[x->kind % 5],
				      (unsigned long long)x->a, (unsigned long long)x->b);
			}
		}
		sadd(&b, "\n", 1);
	}
	if (reg->end != RLW_END_NONE)
		saddf(&b, "E %s\n", end_name(reg->end));
	return b.s;
}

static char *
granted_schedule(void)
{
	struct str b = { 0 };

	sadd(&b, "", 0);
	for (uint64_t i = 0; i + 2 <= reg->nlog; i += 2 + reg->log[i + 1])
		saddf(&b, "%s%u", b.len ? "," : "", reg->log[i]);
	return b.s;
}

/* Read fd into b until it would block or ends; false at its end. */
/* Under the shell (the JSON records on a side channel) the program's
 * output is also ours as it comes: the Output panel shows it, as it
 * shows a lesson's. */
static bool tee_out;

/* What a run may print: the first WATCH_OUT_CAP bytes are kept (and
 * shown); past them the run is stopped (a program printing in a loop
 * would otherwise cost seconds a run, and an --explore or a check
 * minutes), and its outcome says so (end "output"). */
enum { WATCH_OUT_CAP = 1 << 20 };
static size_t out_seen; /* bytes the run printed */

static bool
drain(int fd, struct str *b)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		size_t keep;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return true;
		if (n == 0)
			return false;
		keep = out_seen >= WATCH_OUT_CAP ? 0 :
		       (size_t)n < WATCH_OUT_CAP - out_seen ? (size_t)n : WATCH_OUT_CAP - out_seen;
		out_seen += (size_t)n;
		if (b && keep)
			sadd(b, buf, keep);
		if (tee_out && keep) {
			fwrite(buf, 1, keep, stdout);
			fflush(stdout);
		}
	}
}

/* Past the cap: stop the run (once), and mark how it ended. */
static bool
out_over(bool *stopped)
{
	if (out_seen <= WATCH_OUT_CAP || *stopped)
		return false;
	*stopped = true;
	kill_run();
	if (run_pid > 0)
		kill(run_pid, SIGKILL);
	return true;
}

static void
out_mark(bool stopped)
{
	if (!stopped)
		return;
	reg->end = RLW_END_OUTPUT;
	snprintf(reg->text, RLW_TEXT_LEN,
	         "the run printed more than %d bytes (%zu read before it stopped): "
	         "stopped, the first %d kept", WATCH_OUT_CAP, out_seen, WATCH_OUT_CAP);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One run of the program (no server): stdout captured into out when
 * given; wait status in *st; false when stopped by the timeout. */
static bool
run_once(struct str *out, int *st)
{
	int p[2] = { -1, -1 }, pfd;
	int64_t deadline = now_ms() + run_timeout_ms;
	bool timed_out = false, open_out = false, over = false;

	rlw_reset_run(reg);
	out_seen = 0;
	if (out) {
		if (pipe2(p, O_CLOEXEC) < 0)
			usage_error("pipe: %s", strerror(errno));
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		open_out = true;
	}
	run_pid = start(NULL, p[1], -1);
	if (p[1] >= 0)
		close(p[1]);
	pfd = (int)syscall(SYS_pidfd_open, run_pid, 0);
	for (;;) {
		struct pollfd fds[2] = { { .fd = pfd, .events = POLLIN },
		                         { .fd = open_out ? p[0] : -1, .events = POLLIN } };
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0) {
			timed_out = true;
			kill_run();
			kill(run_pid, SIGKILL);
			break;
		}
		r = poll(fds, 2, (int)(left < 100 || pfd < 0 ? (left < 100 ? left : 100) : left));
		if (r < 0 && errno != EINTR)
			break;
		if (open_out && (fds[1].revents & (POLLIN | POLLHUP)))
			open_out = drain(p[0], out);
		out_over(&over);
		if (pfd >= 0 ? (fds[0].revents & POLLIN) != 0
		             : waitpid(run_pid, st, WNOHANG) == run_pid) {
			if (pfd < 0)
				goto reaped;
			break;
		}
	}
	while (waitpid(run_pid, st, 0) < 0 && errno == EINTR)
		;
reaped:
	kill_run();
	reap_all();
	if (out) {
		drain(p[0], out);
		close(p[0]);
	}
	if (pfd >= 0)
		close(pfd);
	run_pid = 0;
	out_mark(over);
	return !timed_out;
}

/* The outcome object: status or signal, and the program's stdout. */
static char *
outcome(void *ctx, const char *end, int status, char *out)
{
	struct str b = { 0 };
	bool ended = strcmp(end, "ok") == 0;

	(void)ctx;
	sadd(&b, "{", 1);
	if (ended && status >= 0)
		saddf(&b, "\"status\":%d,\"signal\":null", status);
	else if (ended)
		saddf(&b, "\"status\":null,\"signal\":\"SIG%s\"",
		      sigabbrev_np(-status) ? sigabbrev_np(-status) : "?");
	else /* stopped by racelab-watch: it did not end by itself */
		saddf(&b, "\"status\":null,\"signal\":null");
	sadd(&b, ",\"stdout\":", 10);
	sjson(&b, out ? out : "", out ? strlen(out) : 0);
	sadd(&b, "}", 1);
	return b.s;
}

static int
status_of(int wst)
{
	return WIFSIGNALED(wst) ? -WTERMSIG(wst) : WEXITSTATUS(wst);
}

/* ---- the shell's board ----------------------------------------------
 * Under the shell this program is the lesson's main (actor 0, never
 * gated); the watched program's workers are actors 1.. (the library
 * publishes them). */

static void
board_open(struct lab *lab)
{
	const char *e = getenv(BOARD_ENV_FD), *why = "bad value";

	if (!e || !*e)
		return;
	if (!(brd = board_attach(atoi(e), &why)))
		usage_error("%s=%s: %s", BOARD_ENV_FD, e, why);
	strncpy(brd->lesson, "watch", BOARD_LESSON_LEN - 1);
	atomic_store(&brd->lesson_pid, getpid());
	atomic_store(&brd->nprobes, 1);
	if (lab->o.step)
		atomic_store(&brd->control.step_mode, 1);
}

static void
board_run(struct lab *lab, int run, bool begin)
{
	if (!brd)
		return;
	if (begin) {
		board_reset(brd);
		board_actor_publish(&brd->actor[0], BOARD_KIND_PROCESS, getpid(), getpid(),
		                    getppid(), 0, "racelab-watch");
		atomic_store(&brd->actor[0].ungated, 1);
		atomic_store(&brd->actor[0].state, BOARD_ST_RUNNING);
		if (atomic_load(&brd->nactors) < 1)
			atomic_store(&brd->nactors, 1);
		atomic_store(&brd->runs, (uint32_t)lab->o.runs);
		atomic_store(&brd->run, (uint32_t)run);
		atomic_store(&brd->run_start_ns, board_now_ns());
		atomic_store(&brd->run_state, BOARD_RUN_RUNNING);
	} else {
		atomic_store(&brd->actor[0].state, BOARD_ST_DONE);
		atomic_store(&brd->run_end_ns, board_now_ns());
		atomic_store(&brd->run_state, BOARD_RUN_DONE);
	}
}

/* After a run every process of the program is gone (reaped, the rest
 * killed by kill_run): an actor that did not end by its own exit call
 * ended with its process, which the board would otherwise still show
 * running, or holding a lock it died with (a thread that SIGKILLed its
 * process inside a critical section).  The program's main process
 * ended as its wait status says; any other left was killed here. */
static void
board_gone(int wst)
{
	uint32_t n;
	pid_t main_pid;

	if (!brd)
		return;
	n = atomic_load(&brd->nactors);
	main_pid = atomic_load(&brd->actor[1].pid);
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++) {
		struct board_actor *a = &brd->actor[i];
		uint32_t s = atomic_load(&a->state);
		int st = atomic_load(&a->pid) == main_pid ? status_of(wst) : -SIGKILL;

		if (s == BOARD_ST_IDLE || s == BOARD_ST_DONE || s == BOARD_ST_FAILED ||
		    s == BOARD_ST_KILLED)
			continue;
		atomic_store(&a->exit_code, st);
		atomic_store(&a->parked, 0);
		board_actor_state(a, st == 0 ? BOARD_ST_DONE : st < 0 ? BOARD_ST_KILLED
		                                                    : BOARD_ST_FAILED);
		board_event_put(a, BOARD_EV_END, 0, st);
	}
}

/* ---- --explore: the fork server -------------------------------------- */

struct server {
	struct lab *lab;
	int ctl, rep, out;
};

static bool
read_msg(int fd, int32_t msg[2], int64_t deadline)
{
	char *p = (char *)msg;
	size_t got = 0;

	while (got < 2 * sizeof *msg) {
		struct pollfd f = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return false;
		if (poll(&f, 1, (int)left) <= 0)
			continue;
		n = read(fd, p + got, 2 * sizeof *msg - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "racelab-watch: the fork server stopped (the program ended before main?)\n");
			exit(1);
		}
		got += (size_t)n;
	}
	return true;
}

/* Two footprint tokens ("W5581a0.4"): do their steps commute? */
static bool
independent(void *ctx, const char *t1, const char *t2)
{
	struct rlw_fp f[2];
	const char *t[2] = { t1, t2 };

	(void)ctx;
	for (int i = 0; i < 2; i++) {
		const char *k = strchr("LRWOG", t[i][0]);
		char *e;

		if (!k || !t[i][0])
			return false;
		f[i].kind = (uint32_t)(k - "LRWOG");
		f[i].a = strtoull(t[i] + 1, &e, 16);
		f[i].b = *e == '.' ? strtoull(e + 1, NULL, 16) : 0;
	}
	return rlw_fp_independent(&f[0], &f[1]);
}

static bool
server_run(void *ctx, const int *pre, long n, const int *sl, long nsl,
           struct lab_explore_result *r)
{
	struct server *s = ctx;
	uint32_t len = (uint32_t)(n < RLW_MAX_SCHED ? n : RLW_MAX_SCHED);
	struct str out = { 0 };
	int32_t msg[2];
	int64_t deadline = now_ms() + run_timeout_ms;
	bool timed_out = false, over = false;

	out_seen = 0;
	reg->max_steps = (uint64_t)s->lab->o.max_steps;
	reg->nsleep0 = 0;
	for (long i = 0; i < nsl && i < RLW_MAX_WORKERS; i++)
		reg->sleep0[reg->nsleep0++] = (uint16_t)sl[i];
	/* The prefix goes in the region (the server is idle, the last run
	 * gone); its length on ctl is the go.  The run's pid comes back in
	 * the region too (reg->run_pid), its end on rep: one message each
	 * way a run (a wake of racelab-watch while the run goes would
	 * take the run's CPU). */
	for (uint32_t i = 0; i < len; i++)
		reg->sched[i] = (uint16_t)pre[i];
	reg->nsched = len;
	if (write(s->ctl, &len, sizeof len) != sizeof len) {
		fprintf(stderr, "racelab-watch: the fork server stopped\n");
		exit(1);
	}
	sadd(&out, "", 0);
	for (;;) {
		struct pollfd f[2] = { { .fd = s->rep, .events = POLLIN },
		                       { .fd = s->out, .events = POLLIN } };
		int64_t left = deadline - now_ms();

		if (left <= 0 && !timed_out) {
			timed_out = true;
			kill_run();
			if ((run_pid = atomic_load(&reg->run_pid)) > 0)
				kill(run_pid, SIGKILL);
			left = 1000;
			deadline = now_ms() + 5000;
		}
		if (poll(f, 2, (int)(left > 0 ? left : 1)) < 0 && errno != EINTR)
			break;
		if (f[1].revents & POLLIN)
			drain(s->out, &out);
		run_pid = atomic_load(&reg->run_pid);
		out_over(&over);
		if (f[0].revents & (POLLIN | POLLHUP)) {
			read_msg(s->rep, msg, now_ms() + 5000);
			break;
		}
	}
	drain(s->out, &out);
	run_pid = 0;
	out_mark(over);
	r->out = out.s;
	r->steps = steps_text();
	r->status = status_of(msg[1]);
	r->timeout = timed_out;
	return true;
}

static int
explore(struct lab *lab)
{
	int ctl[2], rep[2], out[2], null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	char fds[64];
	struct server s = { .lab = lab };
	struct lab_explore_ops ops = { server_run, outcome, reg->por ? independent : NULL,
	                               true, &s, run_timeout_ms };

	/* racelab-watch and the fork server take turns with the runs:
	 * all of them on one CPU. */
	lab_pin_one_cpu();
	if (pipe2(ctl, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0)
		usage_error("pipe: %s", strerror(errno));
	/* The server's ends stay open across exec. */
	fcntl(ctl[0], F_SETFD, 0);
	fcntl(rep[1], F_SETFD, 0);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	/* The server binds every symbol of the program as it loads (as
	 * AFL's does), once: lazily bound, each run resolved its own first
	 * calls afresh (a tenth of a short run).  The library unsets it
	 * again, when it was racelab-watch's. */
	snprintf(fds, sizeof fds, "%d,%d,%d", ctl[0], rep[1], !getenv("LD_BIND_NOW"));
	if (!getenv("LD_BIND_NOW"))
		setenv("LD_BIND_NOW", "1", 1);
	server_pid = start(fds, out[1], null);
	if (strcmp(strrchr(fds, ',') + 1, "1") == 0)
		unsetenv("LD_BIND_NOW");
	close(ctl[0]);
	close(rep[1]);
	close(out[1]);
	close(null);
	s.ctl = ctl[1];
	s.rep = rep[0];
	s.out = out[0];
	signal(SIGPIPE, SIG_IGN);
	lab_explore_with(lab, &ops);
	close(s.ctl); /* the server's read ends: it exits */
	while (waitpid(server_pid, NULL, 0) < 0 && errno == EINTR)
		;
	server_pid = 0;
	reap_all();
	return 0;
}

/* ---- main ------------------------------------------------------------ */

/* Index of PROGRAM in argv: the first argument that is neither an option
 * nor an option's value. */
static int
find_program(int argc, char **argv)
{
	static const char *const with_value[] = {
		"--schedule", "--quantum", "--random-schedule", "--runs", "--preemptions",
		"--max-runs", "--max-steps", "--workers", "--mode", "--cpus", NULL,
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return i + 1;
		if (a[0] != '-')
			return i;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage();
			exit(0);
		}
		if (strcmp(a, "--version") == 0) {
			printf("racelab-watch %s\n", VERSION);
			exit(0);
		}
		if (strcmp(a, "--complete") == 0) {
			complete();
			exit(0);
		}
		for (int k = 0; with_value[k]; k++)
			if (strcmp(a, with_value[k]) == 0)
				i++;
	}
	return argc;
}

/* The lab's parser takes the lessons' options too (getopt_long: any
 * unambiguous prefix); those that mean nothing for a watched program are
 * refused rather than ignored.  Its workers are its own threads and
 * processes. */
static void
refuse_lesson_options(int argc, char **argv)
{
	static const char *const lessons_only[] = { "workers", "trace-out" };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n = strcspn(a, "=");
		bool ours = strcmp(a, "--step") == 0;

		if (strncmp(a, "--", 2) != 0 || n <= 2)
			continue;
		for (size_t k = 0; k < sizeof watch_opts / sizeof *watch_opts; k++)
			ours |= strlen(watch_opts[k].name) == n - 2 &&
			        strncmp(watch_opts[k].name, a + 2, n - 2) == 0;
		for (size_t k = 0; !ours && k < sizeof lessons_only / sizeof *lessons_only; k++)
			if (strncmp(lessons_only[k], a + 2, n - 2) == 0)
				usage_error("--%s does not apply to a watched program "
				            "(its workers are its own threads and processes; try --help)",
				            lessons_only[k]);
	}
}

int
main(int argc, char **argv)
{
	struct lab lab = { .prog = "racelab-watch" };
	char err[256];
	int k, nc = 0, code = 0, lab_argc;
	char **lab_argv;

	/* Before anything is printed: output that cannot be written (stdout
	 * on /dev/full) fails the exit, as the lessons' does. */
	lab_stdout_guard(&lab);
	k = find_program(argc, argv);

	if (k >= argc)
		usage_error("no program given (try --help)");
	lab_argc = argv[k - 1] && strcmp(argv[k - 1], "--") == 0 ? k - 1 : k;
	lab_argv = calloc((size_t)lab_argc + 1, sizeof *lab_argv);
	if (!lab_argv)
		return 1;
	memcpy(lab_argv, argv, (size_t)lab_argc * sizeof *argv);
	refuse_lesson_options(lab_argc, lab_argv);
	if (lab_parse(&lab, &watch_lesson, lab_argc, lab_argv, err, sizeof err) != 0)
		usage_error("%s", strstr(err, ": ") && strncmp(err, "racelab-watch", 13) == 0
		                  ? strstr(err, ": ") + 2 : err);
	lab.prog = "racelab-watch";
	lab_pin_cpus(&lab, lab.o.cpus); /* --cpus N: the program's CPUs, as taskset */
	if (lab.o.step && !getenv(BOARD_ENV_FD))
		usage_error("--step: step mode is the shell's: racelab --watch PROGRAM");
	lib_path = find_lib();
	while (k + nc < argc && ends_with_c(argv[k + nc]))
		check_program(argv[k + nc++]);
	if (nc) {
		char *exe = compile(argv + k, nc, lib_path);

		prog_argv = calloc((size_t)(argc - k - nc) + 2, sizeof *prog_argv);
		prog_argv[0] = exe;
		memcpy(prog_argv + 1, argv + k + nc, (size_t)(argc - k - nc) * sizeof *argv);
	} else {
		check_program(argv[k]);
		prog_argv = argv + k;
	}
	{
		/* A run's time limit (the tests' short one). */
		const char *t = getenv("RACELAB_WATCH_TIMEOUT");

		if (t && atof(t) > 0)
			run_timeout_ms = (int64_t)(atof(t) * 1000);
	}
	make_region(&lab);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (lab.o.explore) {
		unsetenv(BOARD_ENV_FD); /* its runs are not shown live */
		/* Sleep sets for .c programs: there every shared access and
		 * every output is a point, so a step's footprint is all it
		 * touches.  An executable's steps touch memory unseen.  Not
		 * with --preemptions: a pruned branch may be the only one
		 * within the bound that reaches its outcome. */
		reg->por = nc > 0 && lab.o.preemptions < 0 &&
		           !(getenv("RACELAB_WATCH_NO_POR") && *getenv("RACELAB_WATCH_NO_POR"));
		return explore(&lab);
	}
	board_open(&lab);
	tee_out = lab.o.json && lab_text(&lab);

	for (int run = 1; run <= lab.o.runs; run++) {
		struct str out = { 0 };
		int wst = 0, status;
		bool done;

		board_run(&lab, run, true);
		done = run_once(lab.o.json ? &out : NULL, &wst);
		board_gone(wst);
		board_run(&lab, run, false);
		const char *end = done ? end_name(reg->end) : "timeout";
		char *sched = granted_schedule();

		status = status_of(wst);
		if (lab.o.json) {
			struct str b = { 0 };
			char *o = outcome(NULL, end, status, out.s);

			saddf(&b, "{\"run\":%d,", run);
			sadd(&b, o + 1, strlen(o) - 2);
			saddf(&b, ",\"deadlock\":%s,\"asleep\":%s,\"bound\":%s,\"timeout\":%s,"
			      "\"end\":\"%s\",\"steps\":%llu,\"schedule\":",
			      reg->end == RLW_END_DEADLOCK ? "true" : "false",
			      reg->end == RLW_END_ASLEEP ? "true" : "false",
			      reg->end == RLW_END_BOUND ? "true" : "false",
			      done ? "false" : "true", end, (unsigned long long)reg->steps);
			sjson(&b, sched, strlen(sched));
			sadd(&b, ",\"why\":", 7);
			sjson(&b, reg->text, strnlen(reg->text, RLW_TEXT_LEN));
			sadd(&b, "}", 1);
			lab_json_line(&lab, b.s);
			free(b.s);
			free(o);
		}
		/* Described on stderr, with --json too (its record has it as
		 * "why"). */
		if (reg->end != RLW_END_NONE)
			fprintf(stderr, "racelab-watch: %s\n", reg->text);
		else if (!done)
			fprintf(stderr, "racelab-watch: stopped after %.1f s (it did not end)\n",
			        (double)run_timeout_ms / 1000);
		if (!lab.o.json || lab_text(&lab)) {
			if (lab.o.random && !lab.o.quiet)
				fprintf(stderr, "racelab-watch: run %d: random schedule (seed %llu, %llu steps): --schedule %s\n",
				        run, lab.o.seed, (unsigned long long)reg->steps, sched);
		}
		code = reg->end != RLW_END_NONE || !done ? LAB_EXIT_DEADLOCK
		       : status >= 0 ? status : 128 - status;
		free(sched);
		free(out.s);
	}
	return lab.o.json ? 0 : code;
}
