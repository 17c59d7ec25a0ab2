// racelab --verify [LESSON...]: every run block of the lessons, run
// standalone (no terminal, --json, a board of its own), its expect: lines
// judged (src/lesson/evaluate.c, as the shell judges them) and its goals
// looked for on the board (a counter or lock it creates; a cycle of waits
// seen while it runs, as the shell's step mode sees one), as a table:
//
//   lesson  step  expectation  measured  verdict
//
// Exit 0 when everything holds (an expectation whose when condition is
// false is "not checked", not a failure), 1 otherwise, 2 for bad usage.
#include "shell/shell.h"
#include "lesson/watch_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "board/board.h"
#include "lab/lab.h"
#include "lesson/evaluate.h"

enum {
	VERIFY_TIMEOUT_S = 120,    /* one run block, all its runs */
	VERIFY_GRACE_S = 2,        /* for output after the program exited */
	VERIFY_OUT_MAX = 4 << 20,  /* of a program's output kept */
	VERIFY_MAX_RECORDS = 1000, /* the largest N of "K of N runs" */
	VERIFY_MAX_ARGS = 80,
};

struct tally {
	int holds, fails, unchecked, errors, skipped;
};

/* One row of the table; long cells push the next ones right, never cut. */
static void
row(const char *lesson, const char *step, const char *what, const char *measured,
    const char *verdict)
{
	printf("%-22s %-5s %-46s %-24s %s\n", lesson, step, what, measured, verdict);
	fflush(stdout);
}

/* The output of one run: stdout and stderr (mixed), its exit status, and
 * the names the program put on the board. */
struct outcome {
	char *out;
	size_t len;
	int status;      /* wait status; -1: could not start */
	bool timed_out;
	bool deadlock_seen; /* a cycle of waits on the board while it ran */
	bool asleep_seen;   /* everyone asleep on the board (lab_all_blocked) */
	bool asleep_record; /* or a --json record with all_blocked 1 */
	char counters[BOARD_MAX_COUNTERS][BOARD_NAME_LEN];
	int ncounters;
	char locks[BOARD_MAX_LOCKS][BOARD_NAME_LEN];
	int nlocks;
	char labels[BOARD_MAX_LABELS][BOARD_LABEL_LEN]; /* probes reached */
	int nlabels;
	bool traced; /* run with --trace: its steps' counters are in out */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Children of ours that left the program's group (a daemon's setsid) or
 * came back to us as orphans (we are a subreaper): killed and reaped. */
static void
kill_strays(void)
{
	pid_t me = getpid();

	for (int pass = 0; pass < 3; pass++) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		bool any = false;

		while (d && (de = readdir(d))) {
			char path[64], buf[512], *rp;
			FILE *f;
			long ppid = 0;
			int pid = atoi(de->d_name);

			if (pid <= 0)
				continue;
			snprintf(path, sizeof path, "/proc/%d/stat", pid);
			if (!(f = fopen(path, "re")))
				continue;
			if (fgets(buf, sizeof buf, f) && (rp = strrchr(buf, ')')))
				sscanf(rp + 2, "%*c %ld", &ppid);
			fclose(f);
			if (ppid == me) {
				kill(pid, SIGCONT);
				kill(pid, SIGKILL);
				any = true;
			}
		}
		if (d)
			closedir(d);
		while (waitpid(-1, NULL, any ? 0 : WNOHANG) > 0)
			;
		if (!any)
			break;
	}
}

/* Run argv (argv[0] a slug) with its output read to the end, within the
 * timeout; nothing it started is left (its process group is killed and
 * everything reaped: we are a subreaper, so its orphans come back to us). */
static void
run_program(const struct demo_where *where, char **argv, int argc, struct outcome *o)
{
	static struct demo_exec x;
	struct board *b;
	int fd, outfd;
	pid_t pid;
	double deadline;
	bool leader_done = false;

	memset(o, 0, sizeof *o);
	o->status = -1;
	if (argc > VERIFY_MAX_ARGS || demo_exec_prep(where, argv, argc, &x) < 0)
		return;
	b = board_create_memfd(&fd);
	if (!b)
		return;
	atomic_store(&b->control.shell_pid, (uint32_t)getpid());
	/* A Python program gets no board: the lesson's own do. */
	pid = child_spawn(x.path, x.argv, x.python ? -1 : fd, x.python ? NULL : BOARD_ENV_FD,
	                  &outfd);
	close(fd);
	if (pid < 0) {
		board_unmap(b);
		return;
	}
	o->out = malloc(VERIFY_OUT_MAX + 1);
	if (!o->out)
		shell_oom();
	deadline = now_s() + VERIFY_TIMEOUT_S;
	for (;;) {
		struct pollfd p = {.fd = outfd, .events = POLLIN};
		double left = deadline - now_s();
		ssize_t n;
		char sink[4096];

		/* A worker that outlives the program keeps the pipe open: once
		 * the program has exited, what is still to come gets a grace. */
		if (!leader_done && child_leader_exited(pid)) {
			leader_done = true;
			if (deadline > now_s() + VERIFY_GRACE_S)
				deadline = now_s() + VERIFY_GRACE_S;
			left = deadline - now_s();
		}
		/* The same test as a goal: deadlock in step mode; the program
		 * leaves its cycle on the board a second (it runs "under the
		 * shell": shell_pid is ours), so a poll a frame apart sees it. */
		if (!o->deadlock_seen && lab_find_deadlock(b, NULL, 0, NULL))
			o->deadlock_seen = true;
		/* Everyone asleep: the lab's watch leaves it on the board a
		 * second too before it stops the run (exit 3). */
		if (!o->asleep_seen && lab_all_blocked(b))
			o->asleep_seen = true;
		if (left <= 0) {
			o->timed_out = !leader_done;
			break;
		}
		if (poll(&p, 1, leader_done ? 100 : 200) == 0)
			continue;
		if (o->len < VERIFY_OUT_MAX)
			n = read(outfd, o->out + o->len, VERIFY_OUT_MAX - o->len);
		else
			n = read(outfd, sink, sizeof sink);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (n > 0 && o->len < VERIFY_OUT_MAX)
			o->len += (size_t)n;
	}
	o->out[o->len] = '\0';
	close(outfd);
	child_signal_group(pid, SIGKILL); /* workers that outlived main, or a timeout */
	while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR)
		;
	kill_strays();
	o->ncounters = (int)atomic_load(&b->ncounters);
	o->nlocks = (int)atomic_load(&b->nlocks);
	if (o->ncounters > BOARD_MAX_COUNTERS)
		o->ncounters = BOARD_MAX_COUNTERS;
	if (o->nlocks > BOARD_MAX_LOCKS)
		o->nlocks = BOARD_MAX_LOCKS;
	for (int i = 0; i < o->ncounters; i++)
		snprintf(o->counters[i], BOARD_NAME_LEN, "%.15s", b->counter[i].name);
	for (int i = 0; i < o->nlocks; i++)
		snprintf(o->locks[i], BOARD_NAME_LEN, "%.15s", b->lock[i].name);
	o->nlabels = (int)atomic_load(&b->nlabels);
	if (o->nlabels > BOARD_MAX_LABELS)
		o->nlabels = BOARD_MAX_LABELS;
	for (int i = 0; i < o->nlabels; i++)
		snprintf(o->labels[i], BOARD_LABEL_LEN, "%s", board_label(b, (uint32_t)i + 1));
	board_unmap(b);
}

/* The last line of the output that is not a JSON record: an error. */
static void
last_text_line(const char *out, char *buf, size_t n)
{
	const char *s = out;

	buf[0] = '\0';
	while (*s) {
		size_t len = strcspn(s, "\n");

		if (len && *s != '{')
			snprintf(buf, n, "%.*s", (int)(len < 120 ? len : 120), s);
		s += len;
		if (*s == '\n')
			s++;
	}
}

static bool
has_opt(char **argv, int argc, const char *opt)
{
	size_t n = strlen(opt);

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], opt, n) == 0 && (argv[i][n] == '\0' || argv[i][n] == '='))
			return true;
	return false;
}

/* Add word to argv: at the end, or at *end (before a watched PROGRAM)
 * when *end >= 0. */
static void
add_opt(char **argv, int *argc, int *end, char *word)
{
	if (*end < 0) {
		argv[(*argc)++] = word;
		return;
	}
	memmove(&argv[*end + 1], &argv[*end], (size_t)(*argc - *end) * sizeof *argv);
	argv[(*end)++] = word;
	(*argc)++;
}

/* The command line as a person would type it. */
static void
cmdline(char **argv, int argc, char *buf, size_t n)
{
	char name[64];
	size_t used = (size_t)snprintf(buf, n, "$ %s", demo_cmd_name(argv[0], name, sizeof name));

	for (int i = 1; i < argc && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, " %s", argv[i]);
}

static bool
named(const char (*names)[BOARD_NAME_LEN], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static void
list_names(const char (*names)[BOARD_NAME_LEN], int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", names[i]);
	if (n == 0)
		snprintf(buf, len, "none");
}

/* --trace's lines ("trace K: worker N: op -> name V, name V"): the first
 * step K after which counter g->name meets the goal, or 0; *most: the
 * value then, or the most the steps reached. */
static int
trace_reaches(const char *out, const struct md_goal *g, long long *most)
{
	char key[BOARD_NAME_LEN + 4];
	bool any = false;

	snprintf(key, sizeof key, " %.15s ", g->name);
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *arrow, *end = strchr(l, '\n'), *p;
		int k;
		long long v;

		if (sscanf(l, "trace %d:", &k) != 1 || !(arrow = strstr(l, " -> ")) ||
		    (end && arrow > end))
			continue;
		/* " -> a 1, b 2": each name follows a space. */
		p = strstr(arrow + 3, key);
		if (!p || (end && p >= end) || sscanf(p + strlen(key), "%lld", &v) != 1)
			continue;
		if (md_cmp_holds(g->cmp, v, g->value)) {
			*most = v;
			return k;
		}
		if (!any || v > *most)
			*most = v;
		any = true;
	}
	return 0;
}

/* A goal names a counter or a lock the program must create: seen on the
 * board after one run, or an error (it could never be reached).  A goal:
 * deadlock holds when the run showed a cycle of waits on the board; a run
 * that shows none fails it (a verify: line can give the schedule). */
static void
check_goal(const char *lesson, const char *step, const struct md_goal *g, const char *prog, const struct outcome *o,
           struct tally *t)
{
	char what[120], names[200], verdict[400];
	bool lock = g->kind == MD_GOAL_CRITICAL;

	if (g->kind == MD_GOAL_DEADLOCK) {
		if (o->deadlock_seen) {
			t->holds++;
			row(lesson, step, "goal: deadlock", "a cycle on the board", "ok");
			return;
		}
		t->fails++;
		snprintf(verdict, sizeof verdict, "FAILED (lesson.md:%d): racelab-%s showed no "
		         "cycle of waits on the board", g->line, prog);
		row(lesson, step, "goal: deadlock", "none", verdict);
		return;
	}
	if (g->kind == MD_GOAL_ALL_BLOCKED) {
		if (o->asleep_seen || o->asleep_record) {
			t->holds++;
			row(lesson, step, "goal: all blocked", o->asleep_seen ? "everyone asleep"
			    : "all_blocked 1", "ok");
			return;
		}
		t->fails++;
		snprintf(verdict, sizeof verdict, "FAILED (lesson.md:%d): racelab-%s never had "
		         "every worker asleep on the board", g->line, prog);
		row(lesson, step, "goal: all blocked", "none", verdict);
		return;
	}
	if (g->kind == MD_GOAL_REACHED) {
		/* A probe's label is on the board once a worker has reached
		 * it; the block's run (or its verify: line, with a schedule
		 * that gets there) must reach it. */
		snprintf(what, sizeof what, "goal: reached %.100s", g->label);
		for (int i = 0; i < o->nlabels; i++)
			if (strcmp(o->labels[i], g->label) == 0) {
				t->holds++;
				row(lesson, step, what, "reached", "ok");
				return;
			}
		snprintf(verdict, sizeof verdict, "ERROR lesson.md:%d: racelab-%s never reaches a probe '%s' in this run",
		         g->line, prog, g->label);
		t->errors++;
		row(lesson, step, what, "-", verdict);
		return;
	}
	snprintf(what, sizeof what, "goal: %s %s", lock ? "lock" : "counter", g->name);
	if (!lock && g->any_time && o->traced && named(o->counters, o->ncounters, g->name)) {
		/* The schedule's steps, as the shell judges them after each. */
		long long v = 0;
		int k = trace_reaches(o->out, g, &v);

		snprintf(what, sizeof what, "goal: counter %s %s %lld at any time", g->name,
		         md_cmp_name(g->cmp), g->value);
		if (k > 0) {
			t->holds++;
			snprintf(names, sizeof names, "%lld at step %d", v, k);
			row(lesson, step, what, names, "ok");
			return;
		}
		t->fails++;
		snprintf(names, sizeof names, "at most %lld", v);
		snprintf(verdict, sizeof verdict, "FAILED (lesson.md:%d): the schedule's steps "
		         "never reach it", g->line);
		row(lesson, step, what, names, verdict);
		return;
	}
	if (lock ? named(o->locks, o->nlocks, g->name)
	         : named(o->counters, o->ncounters, g->name)) {
		t->holds++;
		row(lesson, step, what, "on the board", "ok");
		return;
	}
	if (lock)
		list_names(o->locks, o->nlocks, names, sizeof names);
	else
		list_names(o->counters, o->ncounters, names, sizeof names);
	snprintf(verdict, sizeof verdict, "ERROR lesson.md:%d: racelab-%s never creates %s '%s' (it has: %s)",
	         g->line, prog, lock ? "lock" : "counter", g->name, names);
	t->errors++;
	row(lesson, step, what, "-", verdict);
}

static void
verify_run(const char *bin_dir, const struct catalog_entry *e, int si, int ri,
           const struct md_machine *m, struct tally *t)
{
	const struct md_run *r = e->doc.step[si].runs[ri];
	char **src = r->verify_argv ? r->verify_argv : r->argv;
	int srcc = r->verify_argv ? r->verify_argc : r->argc;
	char *argv[VERIFY_MAX_ARGS + 5], lesson[48], step[32], cmd[600], nbuf[16];
	char verdict[600], measured[128], text[160], note[32] = "";
	int argc = 0, runs = 0, nrec, opt_end = -1;
	bool traced = false;
	struct outcome o;
	json_t **rec;

	snprintf(lesson, sizeof lesson, "%02d-%s", e->number, e->slug);
	if (e->doc.step[si].nrun > 1)
		snprintf(step, sizeof step, "%d.%d", si + 1, ri + 1);
	else
		snprintf(step, sizeof step, "%d", si + 1);
	if (r->nexpect == 0 && r->ngoal == 0) {
		t->skipped++;
		cmdline(r->argv, r->argc, cmd, sizeof cmd);
		row(lesson, step, cmd, "-", "skipped: no expect: or goal: lines");
		return;
	}
	for (int i = 0; i < srcc && argc < VERIFY_MAX_ARGS; i++)
		argv[argc++] = src[i];
	/* The options below go before a watched PROGRAM: after it they would
	 * be the program's arguments. */
	if (md_watch_is(argv[0]) && (opt_end = md_watch_prog(argv, argc)) < 0)
		opt_end = argc;
	for (int i = 0; i < r->nexpect; i++)
		if (r->expect[i].n > runs)
			runs = r->expect[i].n;
	/* "in >= K of N runs" needs N runs: asked for when the block does
	 * not say how many. */
	if (runs > 0 && !has_opt(argv, argc, "--runs")) {
		snprintf(nbuf, sizeof nbuf, "%d", runs);
		add_opt(argv, &argc, &opt_end, "--runs");
		add_opt(argv, &argc, &opt_end, nbuf);
	}
	if (!has_opt(argv, argc, "--json"))
		add_opt(argv, &argc, &opt_end, "--json");
	/* A counter goal "at any time" under a forced schedule: the steps'
	 * counters (--trace) say whether the keys reach it, not the run's
	 * end, after which the workers go on freely. */
	for (int i = 0; i < r->ngoal; i++)
		if (r->goal[i].kind == MD_GOAL_COUNTER && r->goal[i].any_time &&
		    has_opt(argv, argc, "--schedule") && !has_opt(argv, argc, "--trace")) {
			add_opt(argv, &argc, &opt_end, "--trace");
			traced = true;
			break;
		}
	argv[argc] = NULL;
	cmdline(argv, argc, cmd, sizeof cmd);
	if (r->python && demo_python3(verdict, sizeof verdict) < 0) {
		/* Not the lesson's failure: the machine has no python3. */
		row(lesson, step, cmd, "", "(the block's command)");
		for (int i = 0; i < r->nexpect; i++) {
			t->unchecked++;
			row(lesson, step, r->expect[i].text, "-", "not checked: python3 not installed");
		}
		return;
	}
	rec = malloc(VERIFY_MAX_RECORDS * sizeof *rec);
	if (!rec)
		shell_oom();
	run_program(&(struct demo_where){e->dir, bin_dir}, argv, argc, &o);
	o.traced = traced;
	nrec = o.out ? md_records_parse(o.out, rec, VERIFY_MAX_RECORDS) : 0;
	/* A lesson program may end with a status of its own (deadlock exits 3
	 * when its watchdog fires) after printing its records: those are
	 * judged.  No record and a failure, a signal or a timeout: an error. */
	if (o.status != -1 && !o.timed_out && WIFEXITED(o.status) && WEXITSTATUS(o.status) && nrec)
		snprintf(note, sizeof note, "exited %d; ", WEXITSTATUS(o.status));
	snprintf(verdict, sizeof verdict, "(%s%s)", note,
	         r->verify_argv ? "the block's verify: variant" : "the block's command");
	row(lesson, step, cmd, "", verdict);
	if (o.status == -1 || o.timed_out || !WIFEXITED(o.status) ||
	    (WEXITSTATUS(o.status) && nrec == 0)) {
		char last[128];

		last_text_line(o.out ? o.out : "", last, sizeof last);
		if (o.status == -1)
			snprintf(verdict, sizeof verdict, "ERROR: cannot run %s",
			         demo_cmd_name(argv[0], text, sizeof text));
		else if (o.timed_out)
			snprintf(verdict, sizeof verdict, "ERROR: still running after %d s (killed)",
			         VERIFY_TIMEOUT_S);
		else if (WIFSIGNALED(o.status))
			snprintf(verdict, sizeof verdict, "ERROR: killed by signal %d: %s",
			         WTERMSIG(o.status), last);
		else
			snprintf(verdict, sizeof verdict, "ERROR: exited %d: %s",
			         WEXITSTATUS(o.status), last);
		t->errors++;
		row(lesson, step, "(the run)", "-", verdict);
		md_records_free(rec, nrec);
		free(rec);
		free(o.out);
		return;
	}
	for (int i = 0; i < r->nexpect; i++) {
		const struct md_expect *x = &r->expect[i];
		struct md_judgement j;

		md_expect_judge(x, rec, nrec, m, &j);
		/* Here the runs are ours to ask for: too few is the block's
		 * mistake (its own --runs), not the machine's. */
		if (j.too_few) {
			j.verdict = MD_V_ERROR;
			snprintf(j.why, sizeof j.why, "the command gives %d run%s, the claim needs %d"
			         " (a verify: line can ask for more)", nrec, nrec == 1 ? "" : "s", x->n);
		}
		snprintf(text, sizeof text, "%s", x->text);
		snprintf(measured, sizeof measured, "%s", j.verdict <= MD_V_FAILS ? j.shown : "-");
		switch (j.verdict) {
		case MD_V_HOLDS:
			t->holds++;
			snprintf(verdict, sizeof verdict, "ok");
			break;
		case MD_V_FAILS:
			t->fails++;
			snprintf(verdict, sizeof verdict, "FAILED (lesson.md:%d)", x->line);
			break;
		case MD_V_NOT_CHECKED:
			t->unchecked++;
			snprintf(verdict, sizeof verdict, "not checked: %s", j.why);
			break;
		case MD_V_ERROR:
			t->errors++;
			snprintf(verdict, sizeof verdict, "ERROR lesson.md:%d: %s", x->line, j.why);
			break;
		}
		row(lesson, step, text, measured, verdict);
	}
	for (int i = 0; i < nrec; i++) {
		json_t *v = json_object_get(rec[i], "all_blocked");

		if (json_is_integer(v) && json_integer_value(v) == 1)
			o.asleep_record = true;
	}
	for (int i = 0; i < r->ngoal; i++)
		check_goal(lesson, step, &r->goal[i], argv[0], &o, t);
	md_records_free(rec, nrec);
	free(rec);
	free(o.out);
}

int
verify_main(const struct shell_cfg *cfg, int argc, char **argv)
{
	static struct catalog cat;
	struct tally t = {0};
	struct md_machine m;
	bool *pick;
	int n = 0;

	for (int i = 0; i < argc; i++)
		if (argv[i][0] == '-') {
			fprintf(stderr, "racelab: --verify takes lessons, not options (%s)"
			                " (try racelab --help)\n", argv[i]);
			return 2;
		}
	if (catalog_load(&cat, cfg->lessons_dir, cfg->bin_dir) < 0) {
		fprintf(stderr, "racelab: cannot read %s: %s\n", cfg->lessons_dir,
		        strerror(errno));
		return 1;
	}
	pick = calloc((size_t)cat.n + 1, sizeof *pick);
	if (!pick)
		shell_oom();
	for (int i = 0; i < argc; i++) {
		int k = catalog_find(&cat, argv[i]);

		if (k < 0) {
			fprintf(stderr, "racelab: --verify: no lesson %s (racelab --list shows them)\n",
			        argv[i]);
			free(pick);
			catalog_free(&cat);
			return 2;
		}
		pick[k] = true;
	}
	/* The lessons' workers come back to us when their parent dies. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	md_machine_read(&m);
	printf("racelab --verify: %d usable CPU%s, load %.2f\n", m.ncpu, m.ncpu == 1 ? "" : "s",
	       m.load);
	row("lesson", "step", "expectation", "measured", "verdict");
	for (int k = 0; k < cat.n; k++) {
		const struct catalog_entry *e = &cat.e[k];
		char lesson[48], verdict[500];

		if (argc > 0 && !pick[k])
			continue;
		n++;
		snprintf(lesson, sizeof lesson, "%02d-%s", e->number, e->slug);
		if (!e->ok) {
			t.errors++;
			snprintf(verdict, sizeof verdict, "ERROR: %s", e->doc.error);
			row(lesson, "-", "(the lesson file)", "-", verdict);
			continue;
		}
		for (int s = 0; s < e->doc.nstep; s++)
			for (int r = 0; r < e->doc.step[s].nrun; r++) {
				md_machine_read(&m); /* the load changes as the runs go */
				verify_run(cfg->bin_dir, e, s, r, &m, &t);
			}
	}
	printf("verify: %d lesson%s: %d hold, %d failed, %d not checked, %d errors, "
	       "%d run blocks skipped\n", n, n == 1 ? "" : "s", t.holds, t.fails, t.unchecked,
	       t.errors, t.skipped);
	free(pick);
	catalog_free(&cat);
	return t.fails || t.errors ? 1 : 0;
}
