// Step mode: you are the scheduler.  The demo's workers park at every probe
// (lab_step) and the student decides who moves next; the grants made are
// the schedule, shown, saved, and replayed by `racelab-<slug> --schedule`.
//
// After each grant the shell waits until every worker has settled again
// (board_actor_settled: parked with no grant pending, ended, or blocked on
// a lock another worker holds), exactly as the lab's own --schedule does,
// so the schedule recorded here replays the same interleaving there.  Undo
// is honest: the demo is restarted and the shell grants the schedule again
// minus its last step, on new processes (new PIDs), to the same state.
//
// Goals (lesson.md "goal:" lines, see md.c) are judged from the board only.
#include "shell/shell.h"

#include "lab/lab.h"
#include "lesson/watch_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How long a step may take to settle before the shell reports it (a worker
 * computing between two probes, or stopped); the loop runs meanwhile. */
#define SETTLE_NS (3000ull * 1000 * 1000)
enum { SRC_MAX_LINES = 20000, STEP_QUEUE = STEP_MAX_SCHED + BOARD_MAX_ACTORS + 2 };
/* The trace of the steps taken (as --trace prints them): the last
 * HIST_KEEP kept, up to HIST_ROWS shown, scrolled with the arrows. */
enum { HIST_KEEP = 512, HIST_ROWS = 6, HIST_LEN = 160 };

/* What the step keys asked for, done one after another as workers settle. */
enum step_job {
	JOB_GRANT,       /* a step for worker no (1-9), reported */
	JOB_GRANT_QUIET, /* the same, part of a or u */
	JOB_EACH,        /* a: a step for each worker */
	JOB_END_EACH,    /* a is done: say how many moved */
	JOB_END_UNDO,    /* u's replay is done */
};
struct step_queued {
	enum step_job job;
	unsigned no;
};

static struct {
	const struct md_run *run; /* goals of the run block, or NULL */
	/* The run block whose demo the board holds (step_new_run): the
	 * goals of st.run are judged only on its own demo's board, not on
	 * the one a step before left behind. */
	const struct md_run *started;
	char dir[PATH_MAX];       /* the lesson's directory */
	/* The argv the running demo was started with (for w and u). */
	char *argv[DEMO_MAX_ARGS + 1];
	int argc;
	int sched[STEP_MAX_SCHED];
	int n;
	bool reached[STEP_MAX_GOALS];
	int most_inside[STEP_MAX_GOALS];
	char last[200]; /* what the last step did */
	/* The lesson program's source, for the source pane. */
	char src_name[64];
	char **src;
	int nsrc;
	bool src_tried;
	/* A DOC: reference the learner opened (o): its file and line. */
	char ref_file[64];
	int ref_line;
	/* The step's quiz and the prediction made before this run. */
	const struct md_quiz *quiz;
	long long predicted;
	uint32_t results_seen; /* board results already judged */
	/* The step settling now (a grant, or the start: settle_no 0), and the
	 * jobs queued behind it; pump() works them, never waiting. */
	bool settling, settle_quiet;
	bool timed_told; /* the worker settling is in a timed wait: said so */
	unsigned settle_no;
	uint64_t settle_until;
	char settle_did[96];
	struct step_queued queue[STEP_QUEUE];
	int qhead, qn;
	int batch_done;  /* grants made by the a or u under way */
	char undo_before[128]; /* PIDs before u restarted the demo */
	unsigned gen; /* bumped by every change pump() makes: the panel is dirty */
	/* Step k at hist[(k - 1) % HIST_KEEP]; allocated at the first step,
	 * so that a shell that never steps does not carry it. */
	char (*hist)[HIST_LEN];
	int nhist;      /* steps traced in this run */
	int hist_shown; /* how many there were at the last draw */
} st;

static void queue_clear(void);

/* ---- pure parts ------------------------------------------------------ */

size_t
step_format_schedule(const int *s, int n, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d", i ? "," : "", s[i]);
	return used < len ? used : len;
}

size_t
step_command_line(char *const argv[], int argc, const int *s, int n, char *buf,
                  size_t len)
{
	size_t used;
	int prog;

	if (argc < 1) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	/* A watched program's --schedule goes before its PROGRAM. */
	prog = md_watch_is(argv[0]) ? md_watch_prog(argv, argc) : -1;
	if (prog >= 0 || md_watch_is(argv[0]))
		used = (size_t)snprintf(buf, len, "racelab-watch");
	else
		used = (size_t)snprintf(buf, len, "racelab-%s", argv[0]);
	for (int i = 1; i < argc && used < len; i++) {
		if (i == prog && n > 0) {
			used += (size_t)snprintf(buf + used, len - used, " --schedule ");
			if (used < len)
				used += step_format_schedule(s, n, buf + used, len - used);
		}
		if (i >= prog && prog > 0) {
			used += (size_t)snprintf(buf + used, len - used, " %s", argv[i]);
			continue;
		}
		if (strcmp(argv[i], "--schedule") == 0) {
			i++; /* and its value */
			continue;
		}
		if (strncmp(argv[i], "--schedule=", 11) == 0 || strcmp(argv[i], "--step") == 0)
			continue;
		used += (size_t)snprintf(buf + used, len - used, " %s", argv[i]);
	}
	if (n > 0 && used < len && prog < 0) {
		used += (size_t)snprintf(buf + used, len - used, " --schedule ");
		if (used < len)
			used += step_format_schedule(s, n, buf + used, len - used);
	}
	return used < len ? used : len;
}

static int
lock_index(const struct board *b, const char *name)
{
	uint32_t n = atomic_load(&b->nlocks);

	for (uint32_t i = 0; i < n && i < BOARD_MAX_LOCKS; i++)
		if (strncmp(b->lock[i].name, name, BOARD_NAME_LEN) == 0)
			return (int)i;
	return -1;
}

static int
counter_index(const struct board *b, const char *name)
{
	uint32_t n = atomic_load(&b->ncounters);

	for (uint32_t i = 0; i < n && i < BOARD_MAX_COUNTERS; i++)
		if (strncmp(b->counter[i].name, name, BOARD_NAME_LEN) == 0)
			return (int)i;
	return -1;
}

int
step_inside(const struct board *b, const char *name)
{
	return lab_inside(b, lock_index(b, name));
}

bool
step_goal_met(const struct md_goal *g, const struct board *b, bool run_over)
{
	int i;

	switch (g->kind) {
	case MD_GOAL_COUNTER:
		i = counter_index(b, g->name);
		return (run_over || g->any_time) && i >= 0 &&
		       md_cmp_holds(g->cmp, atomic_load(&b->counter[i].value), g->value);
	case MD_GOAL_DEADLOCK:
		return lab_find_deadlock(b, NULL, 0, NULL);
	case MD_GOAL_ALL_BLOCKED:
		return lab_all_blocked(b);
	case MD_GOAL_CRITICAL:
		i = step_inside(b, g->name);
		return i >= 0 && md_cmp_holds(g->cmp, i, g->value);
	case MD_GOAL_REACHED: { /* a worker is at that probe */
		uint32_t n = atomic_load(&b->nactors);

		for (uint32_t k = 1; k < n && k < BOARD_MAX_ACTORS; k++) {
			uint32_t op = atomic_load(&b->actor[k].op);

			if (op && atomic_load(&b->actor[k].state) != BOARD_ST_IDLE &&
			    strncmp(board_label(b, op), g->label, BOARD_LABEL_LEN) == 0)
				return true;
		}
		return false;
	}
	}
	return false;
}

/* ---- the run ---------------------------------------------------------- */

static void
free_argv(void)
{
	for (int i = 0; i < st.argc; i++)
		free(st.argv[i]);
	st.argc = 0;
	st.argv[0] = NULL;
}

static void
free_src(void)
{
	for (int i = 0; i < st.nsrc; i++)
		free(st.src[i]);
	free(st.src);
	st.src = NULL;
	st.nsrc = 0;
	st.src_tried = false;
	st.src_name[0] = '\0';
}

static void
reset_goals(void)
{
	memset(st.reached, 0, sizeof st.reached);
	memset(st.most_inside, 0, sizeof st.most_inside);
}

void
step_show_ref(const char *dir, const char *file, int line)
{
	if (!file || !dir) {
		st.ref_file[0] = '\0';
		st.ref_line = 0;
		return;
	}
	if (strcmp(st.dir, dir) != 0 || strcmp(st.src_name, file) != 0) {
		free_src();
		snprintf(st.dir, sizeof st.dir, "%s", dir);
	}
	snprintf(st.ref_file, sizeof st.ref_file, "%s", file);
	st.ref_line = line;
}

void
step_attach(const struct md_run *r, const char *lesson_dir)
{
	if (r != st.run)
		reset_goals();
	if (r != st.run)
		step_show_ref(NULL, NULL, 0);
	st.run = r;
	if (strcmp(st.dir, lesson_dir ? lesson_dir : "") != 0) {
		free_src();
		snprintf(st.dir, sizeof st.dir, "%s", lesson_dir ? lesson_dir : "");
	}
}

/* Remember the argv the demo starts with; a fresh schedule. */
void
step_new_run(const struct demo *d)
{
	checks_started(st.run); /* its expect: lines judge this run */
	compare_started(st.run, d); /* C and Python side by side */
	free_argv();
	for (int i = 0; i < d->argc; i++) {
		st.argv[i] = strdup(d->argv[i]);
		if (!st.argv[i])
			shell_oom();
	}
	st.argc = d->argc;
	st.argv[st.argc] = NULL;
	st.started = st.run;
	st.n = 0;
	st.nhist = 0;
	st.last[0] = '\0';
	st.results_seen = 0;
	queue_clear();
	reset_goals();
}

/* The --schedule the run was started with (or will be), or NULL. */
static const char *
given_schedule(void)
{
	char *const *av = st.argc ? st.argv : shell_demo.argv;
	int ac = st.argc ? st.argc : shell_demo.argc;

	for (int i = 1; i < ac; i++) {
		if (strcmp(av[i], "--schedule") == 0 && i + 1 < ac)
			return av[i + 1];
		if (strncmp(av[i], "--schedule=", 11) == 0)
			return av[i] + 11;
	}
	return NULL;
}

/* The demo plays its own schedule: the shell's grants would disturb it. */
static bool
argv_self_driven(char *const *av, int ac)
{
	for (int i = 1; i < ac; i++)
		if (strncmp(av[i], "--schedule", 10) == 0 ||
		    strcmp(av[i], "--step") == 0 ||
		    strncmp(av[i], "--quantum", 9) == 0 ||
		    strncmp(av[i], "--random-schedule", 17) == 0)
			return true;
	return false;
}

static bool
self_driven(void)
{
	return argv_self_driven(st.argv, st.argc);
}

/* A task that no longer exists (or is a zombie) will not move. */
static bool
task_gone(const struct board_actor *a)
{
	struct procfs_stat ps;
	pid_t pid = atomic_load(&a->pid), tid = atomic_load(&a->tid);

	if (pid <= 0 || tid <= 0)
		return false;
	return procfs_read(pid, tid, &ps) < 0 || ps.state == 'Z' || ps.state == 'X';
}

/* A watched program's worker asleep in the kernel at no scheduling
 * point (a read of a pipe its children fill, pause, poll) for
 * ASLEEP_NS: it waits for what the learner has not stepped yet, so it
 * counts as settled (else every step would wait for it in vain).  Only
 * for racelab-watch: there every lock, condition, semaphore or join
 * wait is a point, so a task asleep off its gate is outside the model
 * (a lesson's worker may sleep inside its step); a timed sleep, which
 * a watched program's step runs after its gate, is its step going on.
 * Since: when it was first seen so, per board actor. */
#define ASLEEP_NS (200ull * 1000 * 1000)
static uint64_t asleep_since[BOARD_MAX_ACTORS];

/* Is the task in a timed sleep (the program's sleep() after its step's
 * gate: it wakes by itself and runs on, so its step is not over)? */
static bool
in_timed_sleep(pid_t pid, pid_t tid)
{
	char path[64], buf[32];
	long nr = -1;
	ssize_t k;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	k = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (k <= 0)
		return false;
	buf[k] = '\0';
	nr = strtol(buf, NULL, 10);
	return nr == SYS_nanosleep || nr == SYS_clock_nanosleep;
}

static bool
asleep_outside(const struct demo *d, uint32_t i)
{
	const struct board_actor *a = &d->board->actor[i];
	struct procfs_stat ps;
	pid_t pid = atomic_load(&a->pid), tid = atomic_load(&a->tid);
	uint64_t now = shell_now_ns();

	/* A lock wait is a scheduling point: an untimed one is settled by
	 * the board, a timed one moves by itself (its step goes on). */
	if (!d->argc || !md_watch_is(d->argv[0]) || pid <= 0 || tid <= 0 ||
	    atomic_load(&a->state) == BOARD_ST_WAIT_LOCK || procfs_read(pid, tid, &ps) < 0 || ps.state != 'S' || in_timed_sleep(pid, tid)) {
		asleep_since[i] = 0;
		return false;
	}
	if (!asleep_since[i])
		asleep_since[i] = now;
	return now - asleep_since[i] >= ASLEEP_NS;
}

/* Will the actor not move until granted (or ever)? */
static bool
still(const struct demo *d, uint32_t i)
{
	return board_actor_settled(d->board, i) || task_gone(&d->board->actor[i]) ||
	       asleep_outside(d, i);
}

static bool
settled_now(const struct demo *d)
{
	const struct board *b = d->board;
	uint32_t n;
	int workers = 0;

	if (!b)
		return true;
	n = atomic_load(&b->nactors);
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++) {
		const struct board_actor *a = &b->actor[i];
		uint32_t s = atomic_load(&a->state);

		if (s == BOARD_ST_IDLE)
			continue;
		workers++;
		if (!still(d, i))
			return false;
	}
	return workers > 0;
}

/* The first worker that has not settled (its number), or 0. */
static unsigned
unsettled_worker(const struct demo *d)
{
	const struct board *b = d->board;
	uint32_t n = b ? atomic_load(&b->nactors) : 0;

	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++) {
		const struct board_actor *a = &b->actor[i];

		if (atomic_load(&a->state) != BOARD_ST_IDLE && !still(d, i))
			return atomic_load(&a->worker_no);
	}
	return 0;
}

/* The actor index of the first unsettled worker that is in a timed wait
 * (a timedlock, sem_timedwait, cond_timedwait: wait_timed on the board),
 * or 0.  Such a step settles when the wait ends, at its deadline at the
 * latest: the worker is neither frozen nor computing. */
static uint32_t
timed_waiter(const struct demo *d)
{
	const struct board *b = d->board;
	uint32_t n = b ? atomic_load(&b->nactors) : 0;

	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++) {
		const struct board_actor *a = &b->actor[i];

		if (atomic_load(&a->state) == BOARD_ST_WAIT_LOCK &&
		    atomic_load(&a->wait_timed) && !board_actor_settled(b, i) && !task_gone(a))
			return i;
	}
	return 0;
}

/* Start the demo with step mode on; its workers settle at their gates
 * while the loop goes on (see pump). */
static bool
start_stepping(struct demo *d)
{
	if (!demo_step_sticky(d))
		demo_step_mode(d, true);
	if (demo_start(d, 0) < 0)
		return false;
	st.settling = true;
	st.settle_no = 0;
	st.settle_until = shell_now_ns() + SETTLE_NS;
	return true;
}

static int
actor_of(const struct demo *d, unsigned worker_no)
{
	const struct board *b = d->board;
	uint32_t n = b ? atomic_load(&b->nactors) : 0;

	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++)
		if (atomic_load(&b->actor[i].worker_no) == worker_no &&
		    atomic_load(&b->actor[i].state) != BOARD_ST_IDLE)
			return (int)i;
	return -1;
}

/* What the worker is at, "write balance = 99". */
static void
op_text(const struct board *b, const struct board_actor *a, char *buf, size_t len)
{
	uint32_t op = atomic_load(&a->op);
	const char *l = op ? board_label(b, op) : NULL;

	if (!l)
		snprintf(buf, len, "(no probe yet)");
	else if (atomic_load(&a->op_has_value))
		snprintf(buf, len, "%s = %lld", l, (long long)atomic_load(&a->op_value));
	else
		snprintf(buf, len, "%s", l);
}

/* Why worker no cannot take a step now (into why), or false if it can. */
static bool
cannot_step(const struct demo *d, int idx, unsigned no, char *why, size_t len)
{
	const struct board *b = d->board;
	const struct board_actor *a = &b->actor[idx];
	uint32_t s = atomic_load(&a->state);

	if (s == BOARD_ST_DONE || s == BOARD_ST_FAILED || s == BOARD_ST_KILLED ||
	    task_gone(a)) {
		snprintf(why, len, "worker %u has finished", no);
		return true;
	}
	/* Blocked and ungated: a server waiting for a request, or an MPI
	 * rank inside MPI_Recv (lab_mpi_blocked). */
	if (atomic_load(&a->ungated) && s == BOARD_ST_BLOCKED) {
		snprintf(why, len, "worker %u is blocked until another worker sends it "
		         "something: it takes no steps", no);
		return true;
	}
	if (atomic_load(&a->ungated)) {
		snprintf(why, len, "worker %u runs freely (a server, or its schedule is over): "
		         "it takes no steps", no);
		return true;
	}
	if (s == BOARD_ST_WAIT_LOCK) {
		uint32_t l = atomic_load(&a->wait_lock);
		uint32_t k = l && l <= BOARD_MAX_LOCKS ? atomic_load(&b->lock[l - 1].kind) : 0;
		int32_t h = l && l <= BOARD_MAX_LOCKS ? atomic_load(&b->lock[l - 1].holder) : -1;
		char t[160];

		/* A lock with one holder: the words step_locks.sh knows; the
		 * other waits say who could end them (lab_wait_text). */
		if ((k == BOARD_LOCK_MUTEX || k == BOARD_LOCK_SPIN) && h >= 0)
			snprintf(why, len, "worker %u waits for %.15s (held by %d): stepping it "
			         "does nothing until %d unlocks", no, b->lock[l - 1].name,
			         (int)h, (int)h);
		else
			snprintf(why, len, "%s; stepping it does nothing",
			         lab_wait_text(b, (unsigned)idx, t, sizeof t)[0] ? t : "it waits");
		return true;
	}
	if (s != BOARD_ST_GATE) {
		snprintf(why, len, "worker %u is not at a gate (%s)", no,
		         board_state_name((enum board_state)s));
		return true;
	}
	return false;
}

/* Grant one step to worker no; the loop then polls until everyone has
 * settled again (pump). */
static bool
grant_one(struct demo *d, unsigned no, bool quiet)
{
	struct board *b = d->board;
	char why[200];
	int idx = actor_of(d, no);

	if (idx < 0) {
		if (!quiet)
			snprintf(st.last, sizeof st.last, "there is no worker %u", no);
		return false;
	}
	if (cannot_step(d, idx, no, why, sizeof why)) {
		if (!quiet)
			snprintf(st.last, sizeof st.last, "%s", why);
		return false;
	}
	op_text(b, &b->actor[idx], st.settle_did, sizeof st.settle_did);
	board_gate_grant(&b->actor[idx]);
	if (st.n < STEP_MAX_SCHED)
		st.sched[st.n++] = (int)no;
	st.settling = true;
	st.settle_no = no;
	st.settle_quiet = quiet;
	st.settle_until = shell_now_ns() + SETTLE_NS;
	return true;
}

static void
actor_pids(const struct demo *d, char *buf, size_t len)
{
	const struct board *b = d->board;
	size_t used = 0;

	buf[0] = '\0';
	if (!b)
		return;
	for (uint32_t i = 1; i < atomic_load(&b->nactors) && i < BOARD_MAX_ACTORS && used < len; i++) {
		const struct board_actor *a = &b->actor[i];

		used += (size_t)snprintf(buf + used, len - used, "%s%d", used ? "," : "",
		                         (int)(atomic_load(&a->kind) == BOARD_KIND_THREAD
		                               ? atomic_load(&a->tid) : atomic_load(&a->pid)));
	}
}

static void
queue_push(enum step_job job, unsigned no, bool front)
{
	if (st.qn == STEP_QUEUE)
		return;
	if (front)
		st.qhead = (st.qhead + STEP_QUEUE - 1) % STEP_QUEUE;
	st.queue[front ? st.qhead : (st.qhead + st.qn) % STEP_QUEUE] =
		(struct step_queued){.job = job, .no = no};
	st.qn++;
}

static void
queue_clear(void)
{
	st.qn = 0;
	st.settling = false;
	st.timed_told = false;
}

/* The step that has just settled, into the trace: its number, the
 * worker, what it did, and the shared counters after it; --trace's line
 * ("trace 3: worker 1: write balance = 99 -> balance 99") made narrow,
 * "3 [1] write balance = 99 -> balance 99", to fit an 80-column screen. */
static void
history_add(struct shell_ctx *c, const struct demo *d)
{
	const struct board *b = d->board;
	uint32_t nc = b ? atomic_load(&b->ncounters) : 0;
	char *h;
	int len;

	if (!st.hist && !(st.hist = calloc(HIST_KEEP, sizeof *st.hist)))
		shell_oom();
	h = st.hist[st.nhist % HIST_KEEP];
	len = snprintf(h, HIST_LEN, "%d [%u] %s", st.nhist + 1, st.settle_no,
	               st.settle_did);
	for (uint32_t i = 0; i < nc && i < BOARD_MAX_COUNTERS && len > 0 && len < HIST_LEN; i++)
		len += snprintf(h + len, (size_t)(HIST_LEN - len), "%s %.15s %lld",
		                i ? "," : " ->", b->counter[i].name,
		                (long long)atomic_load(&b->counter[i].value));
	st.nhist++;
	/* Goals that hold at a moment ("reached LABEL", "counter ... at any
	 * time") are judged after every step, so none passes unseen between
	 * two frames. */
	for (int i = 0; b && st.run && st.started == st.run && i < st.run->ngoal &&
	                i < STEP_MAX_GOALS; i++) {
		const struct md_goal *g = &st.run->goal[i];
		bool moment = g->kind == MD_GOAL_REACHED || g->kind == MD_GOAL_CRITICAL ||
		              g->kind == MD_GOAL_ALL_BLOCKED || g->any_time;

		if (g->kind == MD_GOAL_CRITICAL) {
			int in = step_inside(b, g->name);

			if (in > st.most_inside[i])
				st.most_inside[i] = in;
		}
		if (!st.reached[i] && moment && step_goal_met(g, b, false)) {
			st.reached[i] = true;
			shell_note(c, COL_GOOD, "GOAL REACHED: %s", g->text);
		}
	}
}

/* Work the step jobs: a grant goes out only when the one before it has
 * settled; a step that does not settle within SETTLE_NS (or at all, the
 * demo being frozen) is reported and the jobs behind it are dropped.
 * Called by the keys and every frame; it never waits. */
static void
pump(struct shell_ctx *c)
{
	struct demo *d = c->demo;

	while (st.settling || st.qn) {
		if (d->start_pending) /* the run before it is still being reaped */
			return;
		if (!demo_running(d) || d->stopping) { /* ended, or x: nothing to wait for */
			bool started = st.settling && st.settle_no == 0 && !d->stopping;

			if (st.settling && st.settle_no && !d->stopping) { /* its last step */
				history_add(c, d);
				snprintf(st.last, sizeof st.last, "worker %u did: %s", st.settle_no,
				         st.settle_did);
				if (!st.settle_quiet)
					shell_note(c, COL_GOOD, "%s", st.last);
			}
			queue_clear();
			st.gen++;
			if (started)
				shell_note(c, COL_WARN, "the demo did not reach its first step");
			return;
		}
		if (st.settling) {
			if (!settled_now(d)) {
				uint32_t t = d->frozen ? 0 : timed_waiter(d);
				unsigned w;

				if (t && !st.timed_told) {
					/* Said at once; the step stays settling, "did"
					 * comes when the wait ends, and the steps
					 * queued behind it go then.  The board has no
					 * deadline: it is the program's own. */
					const struct board_actor *a = &d->board->actor[t];
					uint32_t l = atomic_load(&a->wait_lock);

					st.timed_told = true;
					st.gen++;
					snprintf(st.last, sizeof st.last,
					         "worker %u is in a timed wait for %.15s: it ends at its "
					         "deadline, or sooner",
					         atomic_load(&a->worker_no),
					         l && l <= BOARD_MAX_LOCKS ? d->board->lock[l - 1].name
					                                   : "a lock");
					if (st.qn) /* kept: the wait ends by itself */
						snprintf(st.last + strlen(st.last),
						         sizeof st.last - strlen(st.last),
						         "; %d step%s wait%s behind it", st.qn,
						         st.qn == 1 ? "" : "s", st.qn == 1 ? "s" : "");
					shell_note(c, COL_WARN, "%s", st.last);
					return;
				}
				if (t || (!d->frozen && shell_now_ns() < st.settle_until))
					return; /* not yet: again next frame */
				st.gen++;
				w = unsettled_worker(d);
				if (w)
					snprintf(st.last, sizeof st.last, "worker %u did not settle: %s",
					         w, d->frozen ? "frozen? (Space thaws it)" :
					         "frozen? or computing between two steps");
				else
					snprintf(st.last, sizeof st.last,
					         "the demo did not reach its first step");
				if (st.qn)
					snprintf(st.last + strlen(st.last), sizeof st.last - strlen(st.last),
					         "; %d step%s not taken", st.qn, st.qn == 1 ? "" : "s");
				shell_note(c, COL_WARN, "%s", st.last);
				queue_clear();
				return;
			}
			st.settling = false;
			st.timed_told = false;
			st.gen++;
			if (st.settle_no) {
				history_add(c, d);
				snprintf(st.last, sizeof st.last, "worker %u did: %s", st.settle_no,
				         st.settle_did);
				if (!st.settle_quiet)
					shell_note(c, COL_GOOD, "%s", st.last);
			}
		}
		if (!st.qn)
			return;
		struct step_queued j = st.queue[st.qhead];

		st.qhead = (st.qhead + 1) % STEP_QUEUE;
		st.qn--;
		st.gen++;
		switch (j.job) {
		case JOB_GRANT:
		case JOB_GRANT_QUIET:
			if (grant_one(d, j.no, j.job == JOB_GRANT_QUIET))
				st.batch_done++;
			else if (j.job == JOB_GRANT)
				shell_note(c, COL_WARN, "%s", st.last);
			break;
		case JOB_EACH: { /* a: each worker one step, in board order */
			const struct board *b = d->board;
			uint32_t n = atomic_load(&b->nactors);

			st.batch_done = 0;
			queue_push(JOB_END_EACH, 0, true);
			for (uint32_t i = n < BOARD_MAX_ACTORS ? n : BOARD_MAX_ACTORS; i-- > 1;) {
				unsigned no = atomic_load(&b->actor[i].worker_no);

				if (no && atomic_load(&b->actor[i].state) != BOARD_ST_IDLE)
					queue_push(JOB_GRANT_QUIET, no, true);
			}
			break;
		}
		case JOB_END_EACH:
			if (st.batch_done)
				shell_note(c, COL_GOOD, "%d worker%s took one step each", st.batch_done,
				           st.batch_done == 1 ? "" : "s");
			else
				shell_note(c, COL_WARN, "no worker can take a step");
			break;
		case JOB_END_UNDO: {
			char after[128];

			actor_pids(d, after, sizeof after);
			snprintf(st.last, sizeof st.last, "undo: restarted and replayed %d step%s",
			         st.batch_done, st.batch_done == 1 ? "" : "s");
			shell_note(c, COL_GOOD, "restarted and replayed %d step%s (new PIDs %s; were %s)",
			           st.batch_done, st.batch_done == 1 ? "" : "s", after,
			           st.undo_before);
			break;
		}
		}
	}
}

/* Step keys need a demo held at its gates: start one if none runs. */
static bool
ready(struct shell_ctx *c)
{
	struct demo *d = c->demo;

	if (d->argc == 0) {
		shell_note(c, COL_WARN, "this step has no demo");
		return false;
	}
	if (strcmp(d->argv[0], "python") == 0) { /* no probes, no gates */
		shell_note(c, COL_WARN, "a python block has no probe points to step: Enter runs it");
		return false;
	}
	if (!demo_running(d)) {
		/* Before step_new_run: it points the checks at this block, and
		 * a demo not started would have them judge the last run's
		 * records (another block's) as this one's. */
		if (argv_self_driven(d->argv, d->argc)) {
			shell_note(c, COL_WARN, "this demo plays its own --schedule: Enter runs it");
			return false;
		}
		step_new_run(d);
		if (!start_stepping(d)) {
			/* In the panel too: its hint ("1-9 start the demo")
			 * would say nothing of the refusal. */
			snprintf(st.last, sizeof st.last, "not started: %.180s",
			         d->failed ? d->msg : "the demo did not start");
			st.gen++;
			shell_note(c, COL_WARN, "%s", d->failed ? d->msg : "the demo did not start");
			return false;
		}
		shell_note(c, COL_GOOD, "started racelab-%s in step mode", d->argv[0]);
		return true;
	}
	if (self_driven()) {
		shell_note(c, COL_WARN, "this demo plays its own --schedule; choose a demo without it");
		return false;
	}
	if (d->start_pending) { /* a new run, started once the last is reaped */
		if (!d->step_sticky) {
			shell_note(c, COL_WARN, "step mode is off for this run: s turns it on");
			return false;
		}
		if (!st.settling) {
			st.settling = true;
			st.settle_no = 0;
			st.settle_until = shell_now_ns() + SETTLE_NS;
		}
		return true;
	}
	if (!d->board || !atomic_load(&d->board->control.step_mode)) {
		shell_note(c, COL_WARN, "step mode is off for this run: s turns it on");
		return false;
	}
	/* Workers still moving from outside step mode: settle first. */
	if (!st.settling && !st.qn && !settled_now(d)) {
		st.settling = true;
		st.settle_no = 0;
		st.settle_until = shell_now_ns() + SETTLE_NS;
	}
	return true;
}

int
step_grant(struct shell_ctx *c, unsigned worker_no)
{
	if (!ready(c))
		return SH_REDRAW | SH_RESIZE;
	queue_push(JOB_GRANT, worker_no, false);
	pump(c);
	return SH_REDRAW | SH_RESIZE;
}

int
step_all(struct shell_ctx *c)
{
	if (!ready(c))
		return SH_REDRAW | SH_RESIZE;
	queue_push(JOB_EACH, 0, false);
	pump(c);
	return SH_REDRAW | SH_RESIZE;
}

int
step_go(struct shell_ctx *c)
{
	if (!demo_running(c->demo)) {
		shell_note(c, COL_WARN, "no demo running");
		return SH_REDRAW;
	}
	demo_release(c->demo);
	shell_note(c, COL_GOOD, "let go: the workers run freely (step mode stays on for the next run)");
	return SH_REDRAW;
}

int
step_undo(struct shell_ctx *c)
{
	struct demo *d = c->demo;
	int keep[STEP_MAX_SCHED], n;
	char *pending[DEMO_MAX_ARGS + 1];
	int npending = d->argc;
	bool started;

	if (st.n == 0) {
		shell_note(c, COL_WARN, "nothing to undo: no step taken in this run");
		return SH_REDRAW;
	}
	n = st.n - 1;
	memcpy(keep, st.sched, (size_t)n * sizeof *keep);
	actor_pids(d, st.undo_before, sizeof st.undo_before);
	/* Run the same command as this run; keep the next run's changes. */
	for (int i = 0; i < npending; i++)
		if (!(pending[i] = strdup(d->argv[i])))
			shell_oom();
	demo_set_argv(d, st.argv, st.argc);
	step_new_run(d);
	started = start_stepping(d);
	demo_set_argv(d, pending, npending);
	for (int i = 0; i < npending; i++)
		free(pending[i]);
	if (!started) {
		shell_note(c, COL_WARN, "undo: the restarted demo did not start: %s", d->msg);
		return SH_REDRAW | SH_RESIZE;
	}
	/* The replay: the grants go out as the workers settle, frame by frame. */
	st.batch_done = 0;
	for (int i = 0; i < n; i++)
		queue_push(JOB_GRANT_QUIET, (unsigned)keep[i], false);
	queue_push(JOB_END_UNDO, 0, false);
	pump(c);
	return SH_REDRAW | SH_RESIZE;
}

int
step_save(struct shell_ctx *c)
{
	const char *dir = progress_dir();
	char cmd[1024], path[PATH_MAX + 32], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	int fd;

	/* A program without probe points has nothing to schedule: the
	 * board says how many it has (0 also refuses --schedule). */
	if (c->demo->board && atomic_load(&c->demo->board->nprobes) == 0 &&
	    c->demo->board->lesson[0]) {
		shell_note(c, COL_WARN, "racelab-%.31s has no probe points: no schedule to save",
		           c->demo->board->lesson);
		return SH_REDRAW;
	}
	if (st.argc == 0 || st.n == 0) {
		shell_note(c, COL_WARN, "no schedule to save: take some steps first (s, then 1-9)");
		return SH_REDRAW;
	}
	step_command_line(st.argv, st.argc, st.sched, st.n, cmd, sizeof cmd);
	if (!dir) {
		shell_note(c, COL_WARN, "no state directory; replay with: %s", cmd);
		return SH_REDRAW;
	}
	snprintf(path, sizeof path, "%s/schedules", dir);
	/* In the checked state directory, never through a symlink, only a
	 * regular file (progress.c). */
	fd = shell_open_regular(progress_dirfd(), "schedules", 16ll << 20,
	                        O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW);
	if (fd < 0 || !(f = fdopen(fd, "a"))) {
		if (fd >= 0)
			close(fd);
		shell_note(c, COL_WARN, "cannot write %s: %s", path, strerror(errno));
		return SH_REDRAW;
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "# %s\n%s\n", stamp, cmd);
	if (fclose(f) != 0) {
		shell_note(c, COL_WARN, "cannot write %s: %s", path, strerror(errno));
		return SH_REDRAW;
	}
	snprintf(st.last, sizeof st.last, "saved to %.180s", path);
	shell_note(c, COL_GOOD, "saved; replay it with: %s", cmd);
	return SH_REDRAW;
}

/* ---- goals -------------------------------------------------------------- */

static bool
run_over(const struct demo *d)
{
	return d->board && (atomic_load(&d->board->run_state) == BOARD_RUN_DONE ||
	                    (!d->pid && d->exited));
}

int
step_tick(struct shell_ctx *c)
{
	const struct demo *d = c->demo;
	const struct board *b = d->board;
	unsigned note = c->note_gen;
	uint32_t nr;

	pump(c);
	if (!b || !st.run || st.argc == 0 || st.started != st.run)
		return c->note_gen != note ? SH_REDRAW : 0;
	/* With several runs the board is reset between them: judge counter 0
	 * also by the final values the lesson recorded for each run. */
	nr = atomic_load(&b->nresults);
	for (; st.results_seen < nr && st.results_seen < BOARD_MAX_RUNS; st.results_seen++) {
		int64_t v = atomic_load(&b->result[st.results_seen]);

		for (int i = 0; i < st.run->ngoal && i < STEP_MAX_GOALS; i++) {
			const struct md_goal *g = &st.run->goal[i];

			if (!st.reached[i] && g->kind == MD_GOAL_COUNTER &&
			    strncmp(b->counter[0].name, g->name, BOARD_NAME_LEN) == 0 &&
			    md_cmp_holds(g->cmp, v, g->value)) {
				st.reached[i] = true;
				shell_note(c, COL_GOOD, "GOAL REACHED: %s", g->text);
			}
		}
	}
	for (int i = 0; i < st.run->ngoal && i < STEP_MAX_GOALS; i++) {
		const struct md_goal *g = &st.run->goal[i];

		if (g->kind == MD_GOAL_CRITICAL) {
			int in = step_inside(b, g->name);

			if (in > st.most_inside[i])
				st.most_inside[i] = in;
		}
		if (st.reached[i] || (!demo_running(d) && !d->exited))
			continue;
		if (step_goal_met(g, b, run_over(d))) {
			st.reached[i] = true;
			shell_note(c, COL_GOOD, "GOAL REACHED: %s", g->text);
		}
	}
	return c->note_gen != note ? SH_REDRAW : 0;
}

void
step_quiz_set(const struct md_quiz *q, long long answer)
{
	st.quiz = q;
	st.predicted = answer;
}

/* The prediction beside what the run measured (counter 0's final values
 * for a number; the quiz's answer for a choice), in the results area. */
static void
quiz_results(void)
{
	const struct md_quiz *q = st.quiz;
	const struct board *b = shell_demo.board;
	char meas[160] = "";
	size_t used = 0;
	uint32_t nr = b ? atomic_load(&b->nresults) : 0, hits = 0, same = 0;
	bool over = !demo_running(&shell_demo) && shell_demo.exited;

	if (!q)
		return;
	if (nr > BOARD_MAX_RUNS)
		nr = BOARD_MAX_RUNS;
	if (q->nchoice) {
		long long c = st.predicted, a = q->answer;

		results_add(COL_NORMAL, "Prediction", "you chose %lld) %s", c,
		            c >= 1 && c <= q->nchoice ? q->choice[c - 1] : "?");
		if (!q->has_answer || a < 1 || a > q->nchoice)
			results_add(COL_DIM, "Verdict", "this quiz gives no answer: "
			            "compare with the demo's output");
		else if (!over)
			results_add(COL_DIM, "Verdict", "the answer shows when the run ends");
		else
			results_add(c == a ? COL_GOOD : COL_WARN, "Verdict", "%s; answer: %lld) %s",
			            c == a ? "right" : "not this one", a, q->choice[a - 1]);
		return;
	}
	results_add(COL_NORMAL, "Prediction", "%lld", st.predicted);
	for (uint32_t i = 0; i < nr; i++) {
		long long v = atomic_load(&b->result[i]);

		hits += v == st.predicted;
		same += v == atomic_load(&b->result[0]);
	}
	if (nr > 1 && same == nr)
		snprintf(meas, sizeof meas, "%lld in all %u runs",
		         (long long)atomic_load(&b->result[0]), nr);
	else
		for (uint32_t i = 0; i < nr && used < sizeof meas; i++)
			used += (size_t)snprintf(meas + used, sizeof meas - used, "%s%lld",
			                         i ? ", " : "", (long long)atomic_load(&b->result[i]));
	if (!nr)
		results_add(COL_DIM, "Measured", "%s", shell_demo.pid ? "(running)" : "(not run yet)");
	else if (hits == nr)
		results_add(COL_GOOD, "Measured", "%s (right)", meas);
	else if (hits == 0)
		results_add(COL_WARN, "Measured", "%s (not this time)", meas);
	else
		results_add(COL_WARN, "Measured", "%s (right in %u of %u runs)", meas, hits, nr);
}

void
step_results(void)
{
	quiz_results();
	checks_results(st.run, &shell_demo); /* the block's expect: lines */
	compare_results(st.run, &shell_demo);
}

unsigned
step_gen(void)
{
	return st.gen;
}

bool
step_panel_wanted(const struct demo *d)
{
	return demo_step_sticky(d) || st.ref_line ||
	       (d->board && atomic_load(&d->board->control.step_mode)) ||
	       (st.run && st.run->ngoal > 0) || st.n > 0;
}

/* ---- the panel: goals, schedule, next operations, source ------------- */

static void
load_source(void)
{
	char path[PATH_MAX + 200], cand[2][80];
	const char *slug = st.argc ? st.argv[0] : NULL;
	FILE *f = NULL;

	if (st.src_tried || (!slug && !st.ref_file[0]) || !st.dir[0])
		return;
	st.src_tried = true;
	/* lessons/03-race/race.c; cpu-bound -> cpu_bound.c */
	snprintf(cand[0], sizeof cand[0], "%.40s.c", slug ? slug : "");
	snprintf(cand[1], sizeof cand[1], "%.40s.c", slug ? slug : "");
	for (char *c = cand[1]; *c; c++)
		if (*c == '-')
			*c = '_';
	if (st.ref_file[0]) /* the file a DOC: reference names */
		snprintf(cand[0], sizeof cand[0], "%s", st.ref_file);
	for (int i = 0; i < 2 && !f; i++) {
		snprintf(path, sizeof path, "%s/%s", st.dir, cand[i]);
		int fd = shell_open_regular(AT_FDCWD, path, 1 << 20, O_RDONLY);

		/* Only a regular file of at most 1 MiB: a FIFO would hang
		 * the shell, /dev/zero never end. */
		if (fd >= 0 && !(f = fdopen(fd, "r")))
			close(fd);
		if (f)
			snprintf(st.src_name, sizeof st.src_name, "%.60s", cand[i]);
	}
	if (!f)
		return;
	st.nsrc = shell_source_read(f, &st.src, SRC_MAX_LINES);
	fclose(f);
}

/* A worker's line in the panel while it waits for lock l: who holds it.
 * An rwlock read-held has no single holder (-1): a writer waits for the
 * readers inside, a reader for the writers its kind lets in first. */
static void
wait_line(const struct board *b, const struct board_actor *a, uint32_t l, char *buf,
          size_t len)
{
	const struct board_lock *bl = &b->lock[l];
	int32_t h = atomic_load(&bl->holder);
	uint32_t n = atomic_load(&b->nactors);
	size_t used;

	if (h >= 0) {
		snprintf(buf, len, "waits for %.15s (held by %d)", bl->name, (int)h);
		return;
	}
	if (atomic_load(&bl->kind) != BOARD_LOCK_RWLOCK) {
		snprintf(buf, len, "waits for %.15s", bl->name);
		return;
	}
	if (atomic_load(&a->wait_arg) != BOARD_WAIT_WRITE) {
		snprintf(buf, len, "waits to read %.15s (a writer waits first)", bl->name);
		return;
	}
	used = (size_t)snprintf(buf, len, "waits to write %.15s (readers inside:", bl->name);
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS && used < len; i++)
		if (atomic_load(&b->actor[i].held) & (1u << l))
			used += (size_t)snprintf(buf + used, len - used, " %u",
			                         atomic_load(&b->actor[i].worker_no));
	if (used < len)
		snprintf(buf + used, len - used, ")");
}

/* What the board says now about goal i, after its text ("" when the run
 * shown is not this block's). */
static void
goal_extra(int i, char *extra, size_t len)
{
	const struct board *b = shell_demo.board;
	const struct md_goal *g = &st.run->goal[i];

	extra[0] = '\0';
	if (!b || !st.argc || st.started != st.run)
		return;
	if (g->kind == MD_GOAL_CRITICAL) {
		int in = step_inside(b, g->name);

		if (in >= 0)
			snprintf(extra, len, "  (inside %s now: %d, most at once: %d)", g->name, in,
			         st.most_inside[i]);
	} else if (g->kind == MD_GOAL_COUNTER) {
		int c = counter_index(b, g->name);

		if (c >= 0)
			snprintf(extra, len, "  (%s now %lld%s)", g->name,
			         (long long)atomic_load(&b->counter[c].value),
			         run_over(&shell_demo) ? ", run ended" : "");
	}
}

static const char *
goal_label(int i)
{
	if (st.reached[i])
		return shell_cfg.ascii ? " * GOAL REACHED " : " \u2605 GOAL REACHED ";
	return " Goal: ";
}

/* Goal i's row in a panel wd wide: the column after its text (*xp), and
 * whether what the board says (extra) goes on a row of its own (beside
 * the text it would be cut).  draw_goals and want() both ask here, so the
 * panel asks for the rows it draws. */
static bool
goal_wraps(int i, int wd, const char *extra, int *xp)
{
	int lw = md_strwidth(goal_label(i)), tw = md_strwidth(st.run->goal[i].text), x, room;

	x = 1 + (lw < wd - 2 ? lw : wd - 2 > 0 ? wd - 2 : 0);
	room = wd - 1 - x;
	x += tw < room ? tw : room > 0 ? room : 0;
	*xp = x;
	return extra[0] && x + md_strwidth(extra) > wd - 1;
}

static void
draw_goals(WINDOW *w, int *y, int h, int wd)
{
	if (!st.run)
		return;
	for (int i = 0; i < st.run->ngoal && i < STEP_MAX_GOALS && *y < h - 1; i++) {
		char extra[120];
		int x;

		goal_extra(i, extra, sizeof extra);
		x = 1 + term_put(w, *y, 1, wd - 2,
		                 st.reached[i] ? term_attr(COL_GOOD) | A_REVERSE
		                               : term_attr(COL_FOCUS),
		                 goal_label(i));
		term_put(w, *y, x, wd - 1 - x, A_BOLD, st.run->goal[i].text);
		/* What the board says now, on the next line if it does not fit. */
		if (goal_wraps(i, wd, extra, &x) && *y + 1 < h - 1) {
			(*y)++;
			x = 6;
		}
		term_put(w, *y, x, wd - 1 - x, term_attr(COL_DIM), extra);
		(*y)++;
	}
}

/* The trace of the steps taken: the latest in view unless the learner
 * scrolled back (Up, Down, Home, End with the panel focused). */
static void
draw_history(WINDOW *w, struct panel_view *v, bool focus, int *y, int h, int wd)
{
	int n = st.nhist < HIST_KEEP ? st.nhist : HIST_KEEP,
	    rows = n < HIST_ROWS ? n : HIST_ROWS, first = st.nhist - n;

	if (!n || *y + 1 >= h - 1)
		return;
	if (rows > h - 2 - *y)
		rows = h - 2 - *y;
	if (v->sel >= st.hist_shown - 1) /* at the newest: follow */
		v->sel = n - 1;
	st.hist_shown = n;
	panel_clamp(v, n, rows);
	term_printf(w, (*y)++, 2, wd - 4, term_attr(COL_DIM), "steps taken%s:",
	            n > rows ? focus ? " (Up/Down scroll)" : " (Tab here, Up/Down scroll)" : "");
	for (int r = 0; r < rows && v->top + r < n; r++)
		term_put(w, (*y)++, 4, wd - 6,
		         focus && v->top + r == v->sel ? term_attr(COL_SEL) : A_NORMAL,
		         st.hist[(first + v->top + r) % HIST_KEEP]);
}

/* The schedule row of a panel wd wide: the schedule line, the keys' hint,
 * and whether the hint goes under it (beside it, it would be cut).
 * draw() and want() both ask here, so the panel asks for the rows it
 * draws: a hint that fits beside the schedule takes no row of its own (at
 * 80x24 that row is one of the Locks panel's). */
static bool
sched_row(int wd, char *line, size_t len, const char **hint)
{
	const struct board *b = shell_demo.board;
	char sched[256];
	int x;

	step_format_schedule(st.sched, st.n, sched, sizeof sched);
	if (!st.n && given_schedule())
		snprintf(sched, sizeof sched, "%.200s (the run's --schedule)", given_schedule());
	snprintf(line, len, "schedule: %s%s", st.n || given_schedule() ? sched : "(none yet)",
	         st.n >= STEP_MAX_SCHED ? "..." : "");
	*hint = !demo_step_sticky(&shell_demo) ? "step mode off: s turns it on"
	        : !shell_demo.pid              ? "1-9 start the demo in step mode"
	        : b && atomic_load(&b->control.step_mode)
	                ? "1-9 step  a each  g go  u undo  w save"
	                : "running freely (g)";
	x = 2 + md_strwidth(line);
	if (x > wd - 2)
		x = 2 + (wd - 4 > 0 ? wd - 4 : 0);
	return x + 3 + md_strwidth(*hint) > wd - 2;
}

static int
key(struct panel_view *v, int k)
{
	int n = st.nhist < HIST_KEEP ? st.nhist : HIST_KEEP;

	if (!n)
		return 0;
	return panel_scroll_key(v, k, n);
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct board *b = shell_demo.board;
	char sched[300], buf[200], dl[BOARD_MAX_LOCKS + 1][160];
	int h, wd, y = 1, lo = 0, hi = 0, center = 0, who[BOARD_MAX_LOCKS + 1], ndl;
	uint32_t n;

	getmaxyx(w, h, wd);
	draw_goals(w, &y, h, wd);
	if (y < h - 1) {
		const char *hint;
		bool below = sched_row(wd, sched, sizeof sched, &hint);
		int x = 2 + term_put(w, y, 2, wd - 4, A_NORMAL, sched);

		/* The hint beside it, or under it when it would be cut. */
		if (below && y + 1 < h - 1)
			x = 2 - 3, y++;
		term_put(w, y++, x + 3, wd - 2 - (x + 3), term_attr(COL_DIM), hint);
	}
	if (st.last[0] && y < h - 1)
		term_put(w, y++, 2, wd - 4, term_attr(COL_DIM), st.last);
	/* Each worker: where it stands. */
	n = b ? atomic_load(&b->nactors) : 0;
	ndl = shell_deadlock_text(&shell_demo, dl, who, BOARD_MAX_LOCKS + 1);
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS && y < h - 1; i++) {
		const struct board_actor *a = &b->actor[i];
		enum board_state s = (enum board_state)atomic_load(&a->state);
		unsigned line = atomic_load(&a->line);
		char op[96];

		if (s == BOARD_ST_IDLE)
			continue;
		op_text(b, a, op, sizeof op);
		if (s == BOARD_ST_DONE || s == BOARD_ST_FAILED || s == BOARD_ST_KILLED)
			snprintf(buf, sizeof buf, "%s", board_state_name(s));
		else if (s == BOARD_ST_WAIT_LOCK) {
			uint32_t l = atomic_load(&a->wait_lock);
			int k = 0;

			/* In a cycle of waits: the sentence that says so, in
			 * the program's names (deadlock_text.c). */
			while (k < ndl && who[k] != (int)i)
				k++;
			if (k < ndl) {
				/* Too wide for its row (80 columns, a program's
				 * long names): "[2]" already says who, so the
				 * subject goes, the one it waits for stays. */
				const char *t = strstr(dl[k], " holds ");

				snprintf(buf, sizeof buf, "%s",
				         md_strwidth(dl[k]) > wd - 8 && t ? t + 1 : dl[k]);
			}
			else if (l && l <= BOARD_MAX_LOCKS)
				wait_line(b, a, l - 1, buf, sizeof buf);
			else
				snprintf(buf, sizeof buf, "waits for a lock");
		} else if (s == BOARD_ST_GATE)
			snprintf(buf, sizeof buf, "next: %s%s", op,
			         line || strcmp(b->lesson, "watch") == 0 ? "" : "  (in the lab)");
		else if (asleep_outside(&shell_demo, i)) /* not "running": it waits */
			snprintf(buf, sizeof buf, "asleep in the kernel, at no scheduling point "
			         "(its last: %s)", op);
		else
			snprintf(buf, sizeof buf, "%s: %s", board_state_name(s), op);
		term_printf(w, y, 2, 4, A_BOLD, "[%u]", atomic_load(&a->worker_no));
		term_put(w, y, 6, wd - 8, term_state_attr(s), buf);
		if (line && s == BOARD_ST_GATE) {
			if (!center || line < (unsigned)lo)
				lo = (int)line;
			if ((int)line > hi)
				hi = (int)line;
			if (!center)
				center = (int)line;
			term_printf(w, y, wd - 14, 12, term_attr(COL_DIM), "line %u", line);
		}
		y++;
	}
	/* The source around the workers' positions, or the DOC: reference. */
	if (!center && st.ref_line) /* the marker near the top, what it marks below */
		center = lo = hi = st.ref_line + 4;
	load_source();
	/* The trace takes the rows the source around the workers leaves. */
	draw_history(w, v, focus, &y, h - (st.nsrc && center ? hi - lo + 2 : 0), wd);
	if (!st.nsrc || y >= h - 2 || !center)
		return;
	{
		int rows = h - 1 - y - 1, first, gut = 8;
		uint32_t nn = n;

		term_printf(w, y++, 2, wd - 4, term_attr(COL_DIM), "%s", st.src_name);
		if (hi - lo + 1 <= rows)
			first = lo - (rows - (hi - lo + 1)) / 2;
		else
			first = center - rows / 2;
		if (first + rows > st.nsrc)
			first = st.nsrc - rows + 1;
		if (first < 1)
			first = 1;
		for (int r = 0; r < rows && first + r <= st.nsrc; r++, y++) {
			int ln = first + r, x = 1;
			bool here = false;

			for (uint32_t i = 1; i < nn && i < BOARD_MAX_ACTORS; i++) {
				const struct board_actor *a = &b->actor[i];

				if (atomic_load(&a->state) == BOARD_ST_GATE &&
				    (int)atomic_load(&a->line) == ln && x < gut - 1) {
					term_printf(w, y, x, 3, term_attr(COL_ST_GATE), "%s%u",
					            shell_cfg.ascii ? ">" : "\u25b6",
					            atomic_load(&a->worker_no));
					x += 2;
					here = true;
				}
			}
			if (ln == st.ref_line && x < gut - 1) {
				term_put(w, y, x, 3, term_attr(COL_FOCUS), shell_cfg.ascii ? ">" : "\u25b6");
				here = true;
			}
			term_printf(w, y, gut, 5, term_attr(COL_DIM), "%4d", ln);
			term_put(w, y, gut + 5, wd - gut - 6, here ? A_BOLD : term_attr(COL_CODE),
			         st.src[ln - 1]);
		}
	}
}

/* Goals (with what the board says of them), the schedule (with the keys'
 * hint), the last step, one row per worker and the source lines the
 * workers stand at when they are near (at most 10 lines apart), as
 * draw() lays them out.  More source around them, or workers far apart,
 * take spare rows (by weight): on a small terminal the panels after this
 * one (Counters, Locks) keep the rows they need. */
static int
want(int width)
{
	const struct board *b = shell_demo.board;
	const char *hint;
	char line[300];
	int wd = width + 2; /* as draw() sees it: the borders in */
	int rows = 1 + sched_row(wd, line, sizeof line, &hint) + (st.last[0] ? 1 : 0);
	int lo = 0, hi = 0; /* the lines the workers stand at */
	uint32_t n = b ? atomic_load(&b->nactors) : 0;

	for (int i = 0; st.run && i < st.run->ngoal && i < STEP_MAX_GOALS; i++) {
		char extra[120];
		int x;

		goal_extra(i, extra, sizeof extra);
		rows += 1 + goal_wraps(i, wd, extra, &x);
	}

	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++) {
		const struct board_actor *a = &b->actor[i];
		uint32_t s = atomic_load(&a->state);
		int at = (int)atomic_load(&a->line);

		rows += s != BOARD_ST_IDLE;
		if (s == BOARD_ST_GATE && at > 0) {
			lo = !lo || at < lo ? at : lo;
			hi = at > hi ? at : hi;
		}
	}
	load_source();
	if (st.ref_line) /* the learner asked for the source (o): the file's */
		rows += 1 + 14; /* name, the marker and what it marks below */
	else if (st.nsrc && lo && hi - lo < 10) /* the file's name, every worker's line */
		rows += 1 + hi - lo + 1;
	if (st.nhist) /* the trace: a heading and its rows */
		rows += 1 + (st.nhist < HIST_ROWS ? st.nhist : HIST_ROWS);
	return rows;
}

const struct shell_panel panel_step = {
	.name = "step",
	.title = "Step mode: you are the scheduler",
	.min_h = 6,
	.weight = 3,
	.want = want,
	.draw = draw,
	.key = key,
};
