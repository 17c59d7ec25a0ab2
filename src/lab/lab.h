// The lab runtime: what every lesson program is written against.
//
// A lesson declares itself in a const struct lab_lesson, calls lab_init()
// with argv, and then spawns workers (threads or processes, one call),
// marks its interleaving points with lab_step(), and uses counters and
// locks that live on the board, so the same code is watched live under the
// shell and summarised as text when it runs alone.
#ifndef RACELAB_LAB_H
#define RACELAB_LAB_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../board/board.h"

#define LAB_EXIT_USAGE 2    /* bad option or value */
#define LAB_EXIT_DEADLOCK 3 /* the run deadlocked and was stopped */
#define LAB_EXPLORE_MAX_RUNS 10000  /* --explore's default --max-runs */
#define LAB_EXPLORE_MAX_STEPS 1000  /* and --max-steps */
#define LAB_MAX_PROCESSES 256 /* process workers per demo (threads: 1024) */

enum lab_mode { LAB_THREAD, LAB_PROCESS };
/* Which modes a lesson allows (lab_lesson.modes). */
#define LAB_MODES_BOTH 0u
#define LAB_MODES_THREAD_ONLY 1u
#define LAB_MODES_PROCESS_ONLY 2u

enum lab_opt_type {
	LAB_OPT_FLAG,   /* bool *, no argument */
	LAB_OPT_INT,    /* int *, range min..max */
	LAB_OPT_LONG,   /* long *, range min..max */
	LAB_OPT_DOUBLE, /* double *, range min..max */
	LAB_OPT_STRING, /* const char ** */
	LAB_OPT_CHOICE, /* const char **, one of arg's "a|b|c" */
};

/* A lesson-specific option, in a table ended by { 0 }. */
struct lab_option {
	const char *name; /* long name without "--" */
	enum lab_opt_type type;
	void *var;
	const char *arg;  /* metavar for --help; for CHOICE "a|b|c" */
	const char *help;
	double min, max;  /* for numbers; both 0: any value >= 0 */
};

struct lab_lesson {
	const char *slug;    /* "race": the program is racelab-race */
	const char *title;   /* one line, for --help */
	const char *about;   /* a few lines for --help, may be NULL */
	int workers;         /* default --workers; 0: one per usable core */
	enum lab_mode mode;  /* default --mode */
	unsigned modes;      /* LAB_MODES_* */
	long iters;          /* default --iters (0: the lesson has no --iters) */
	int runs;            /* default --runs */
	const char *syncs;   /* "none|mutex|spin|atomic"; NULL: no --sync */
	const char *sync_default;
	/* The lesson has its own deadlock watchdog (13-deadlock): lab_join
	 * leaves a cycle of lock waits to it, and reports only other ways of
	 * getting stuck. */
	bool watches_deadlock;
	/* The lesson numbers its workers beyond 1..--workers (07-manager:
	 * the server is 1, each demo's clients come after): --schedule may
	 * name any worker number up to BOARD_MAX_WORKERS. */
	bool numbers_beyond_workers;
	const struct lab_option *options; /* may be NULL */
	/* The lesson measures what a single cheap operation costs (04's ns
	 * per update): its probes record about one step a millisecond, not
	 * every step, unless --trace-out or RACELAB_RECORD=all asks for
	 * every one (10 ns a step would be part of what it measures). */
	bool record_sampled;
	/* --explore: the fields of the run's --json record that make its
	 * outcome, comma-separated ("final"); NULL: the exit status alone
	 * (with deadlock, everyone asleep and the step bound, always). */
	const char *outcome;
	/* No lab scheduler can drive its workers (MPI: mpirun starts the
	 * ranks, lab_mpi.c refuses the options): --help leaves them out. */
	bool no_schedules;
};

struct lab_opts {
	int workers;
	bool workers_given; /* --workers was on the command line */
	enum lab_mode mode;
	long iters;
	int runs;
	const char *sync; /* one of lesson->syncs, or NULL */
	const char *schedule;
	bool step, json, quiet;
	/* The lab's own schedules (lab_worker.c drives them): --quantum K
	 * round-robin, K steps a turn; --random-schedule SEED, a seeded
	 * random pick at every step.  --trace prints every step granted. */
	int quantum;
	bool random;
	unsigned long long seed;
	bool trace;
	/* --explore (lab_explore.c): every schedule of the probe points, at
	 * most preemptions switches away from a worker that could go on
	 * (-1: no bound), at most max_runs runs of at most max_steps steps. */
	bool explore;
	int preemptions;
	long max_runs, max_steps;
	/* --cpus N: lab_init pins the program (and so every worker it
	 * starts) to the first N usable CPUs, as taskset does; 0: all. */
	int cpus;
	/* --trace-out FILE.json: every run, in the Chrome Trace Event
	 * Format, written at exit (lab_trace.c). */
	const char *trace_out;
};

struct lab_team;

struct lab {
	struct lab_opts o;
	const struct lab_lesson *lesson;
	const char *prog;      /* "racelab-race" */
	struct board *board;
	bool under_shell;      /* the board came from RACELAB_BOARD_FD */
	int ncpu;              /* CPUs this process may run on */
	int run;               /* current run, 1-based */
	int *sched;            /* parsed --schedule: worker numbers */
	int nsched;
	uint64_t t0;           /* run start, board_now_ns() */
	/* Steps granted in this run (the --trace numbering), and the
	 * schedule --random-schedule made ("1,2,1", for --schedule), kept
	 * by the drivers of this run's teams under rs_lock. */
	pthread_mutex_t rs_lock;
	unsigned long long granted;
	char *rsched;
	size_t rsched_len, rsched_cap;
	/* This run ended with everyone asleep (lab_all_blocked): every
	 * --json record says so in "all_blocked" (0 or 1). */
	bool all_blocked;
	/* Teams whose schedule is being driven now: step mode ends for the
	 * whole board only when the last of them is done (lab_worker.c). */
	_Atomic int ndriving;
	/* An --explore run (a child of the explorer): lab->sched is the
	 * schedule's prefix, then the driver keeps to the worker it last
	 * granted while it can move; every step, with the workers that could
	 * have been granted, and how the run ended go to explore_fd. */
	bool exploring;
	int explore_fd;
	long explore_k; /* schedule steps taken so far in this run */
	/* The explorer's board, made once and renewed in each run's child
	 * (setup_board takes it): a fresh one was some 80 page faults a
	 * run, a third of a short one. */
	struct board *explore_board;
	bool explore_stale;
	/* Probes record about one step a millisecond, not every step
	 * (lab_probe_event): the lesson's record_sampled, or
	 * RACELAB_RECORD=sampled; RACELAB_RECORD=all and --trace-out record
	 * every step. */
	bool record_sampled;
	/* --trace-out FILE (lab_trace.c): the runs recorded so far. */
	struct lab_trace *trace;
};
/* Does the lab drive a schedule (--schedule, --step, --quantum,
 * --random-schedule, an --explore run)? */
bool lab_scheduled(const struct lab *lab);

struct lab_worker {
	struct lab *lab;
	int no;                    /* 1-based worker number */
	struct board_actor *actor; /* its record on the board */
	void *arg;                 /* as given to lab_spawn */
	/* Filled in for the parent: */
	enum lab_mode mode;
	pid_t pid;   /* process id (the lesson's own for a thread) */
	pid_t tid;   /* kernel thread id */
	pthread_t thread;
	/* Atomic: the step driver thread and the lesson's main may both
	 * look (and reap) while a schedule runs. */
	_Atomic bool joined;
	_Atomic int status;  /* exit code when >= 0, -signal when killed */
	struct lab_team *team;
	/* Written by the worker alone: which probe records the next STEP
	 * event on the board, and how far apart they are (see lab_probe). */
	uint64_t ev_next, ev_stride, ev_last_ns;
	uint64_t ev_step; /* the last step recorded as a STEP event */
	uint64_t wait_t0; /* when its wait for a home-made lock began */
};

/* A worker's body: returns its exit code. */
typedef int (*lab_worker_fn)(struct lab_worker *w);

struct lab_team {
	struct lab *lab;
	int n;
	struct lab_worker *w; /* w[0..n-1] are workers 1..n */
	lab_worker_fn fn;
	uint64_t t_start, t_end;
	/* --schedule or --step: a thread of the lab drives the team's
	 * gates from the moment it is spawned, so a lesson whose main does
	 * other work before lab_join (feeds a pool, watches a sum) is
	 * scheduled too. */
	pthread_t driver;
	bool driving;
	_Atomic bool deadlocked; /* the driver found a deadlock */
};

/* Result of lab_join. */
enum lab_join_result { LAB_JOIN_OK, LAB_JOIN_FAILED, LAB_JOIN_DEADLOCK };

/* Parse argv (exits 0 after --help/--version, 2 on a bad option), pin the
 * program to --cpus N CPUs, map the board, publish the main actor. */
void lab_init(struct lab *lab, const struct lab_lesson *lesson, int argc,
              char **argv);
/* The parsing part of lab_init, which neither exits nor maps the board:
 * 0 parsed, 1 --help or --version printed, -1 bad input (message in err). */
int lab_parse(struct lab *lab, const struct lab_lesson *lesson, int argc,
              char **argv, char *err, size_t errlen);
/* A thread worker's stack (lab_worker.c): small, so that a thousand fit. */
enum { LAB_WORKER_STACK = 256 * 1024 };

/* --cpus N (lab_init calls it; racelab-watch too): keep this process's
 * first n usable CPUs (n <= 0: all). */
void lab_pin_cpus(struct lab *lab, int n);
/* A run that goes one thread at a time (--explore's runs, racelab-watch's
 * scheduled ones): pin the calling thread to one CPU of its affinity
 * mask, the one it is on (lab_explore.c); returns it, or -1 when left as
 * it was (RACELAB_NO_PIN set: the bench's comparison). */
int lab_pin_one_cpu(void);
/* --explore (lab_explore.c), called by lab_init after parsing: the
 * explorer forks one run per schedule and returns only in each run's
 * child (lab->exploring set); it prints its report and exits itself. */
void lab_explore(struct lab *lab);
/* The same search over any program's runs (racelab-watch): run(ctx,
 * prefix) runs one schedule that starts with the prefix and fills in
 * its steps, as a lesson's explore run writes them ("S granted
 * can,can,...\n" per step, "E how\n" at a stop), its stdout and its
 * status (exit code, or -signal), all malloc'd; returns false only in a
 * child that is to go on running (the lesson's own runs).  outcome(ctx,
 * end, status, stdout) makes the malloc'd JSON object that tells the
 * run's outcome ("end" is ok, deadlock, asleep, bound or timeout).
 * flat: report its fields in each outcome itself, not under "outcome".
 * Prints the report (text and/or --json per lab->o) and returns. */
struct lab_explore_result {
	char *out, *steps;
	int status;
	bool timeout;
};
/* Sleep sets (a partial-order reduction), when independent is not NULL:
 * run gets, with the prefix, the workers asleep at the node after it (not
 * to be chosen until a step they depend on); a step line then goes on
 * " | asleep,... | fp fp ...", one footprint token per worker that could
 * go, and independent(ctx, fp1, fp2) says whether two such steps commute.
 * A run ended "E slept" (all that could go asleep) is pruned, no outcome. */
struct lab_explore_ops {
	bool (*run)(void *ctx, const int *pre, long n, const int *sleep, long nsleep,
	            struct lab_explore_result *r);
	char *(*outcome)(void *ctx, const char *end, int status, char *out);
	bool (*independent)(void *ctx, const char *fp1, const char *fp2);
	bool flat;
	void *ctx;
	long timeout_ms; /* a run's time limit, as the report says it (0: 10 s) */
};
void lab_explore_with(struct lab *lab, const struct lab_explore_ops *ops);
/* Print "prog: message" to stderr and exit 2 (bad input) or 1 (failure).
 * A message ending in ':' gets strerror(errno) appended. */
_Noreturn void lab_usage_error(const struct lab *lab, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void lab_die(const struct lab *lab, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Is text output wanted?  Not with --json, unless the records go to the
 * shell's RACELAB_JSON_FD instead (then the text is shown as well). */
bool lab_text(const struct lab *lab);
/* Plain-text output, silenced by --quiet and --json. */
void lab_say(const struct lab *lab, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A result line: printed with --quiet too, left out with --json
 * (lab_util.c). */
/* Called by lab_init: at exit, output that could not be written to stdout
 * (a full disk, /dev/full) is a message and exit status 1. */
void lab_stdout_guard(const struct lab *lab);
void lab_result(const struct lab *lab, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Was the run kept from its CPUs?  From the kernel, over the run
 * (lab_run_begin to the record), every --json record carries (lab_util.c):
 * - "cpu_wait": the fraction of its threads' runnable time that they
 *   spent waiting for a CPU, over the thread that began the run and every
 *   lab worker (thread or process) whose body returned since (a killed
 *   one cannot say; /proc/TID/schedstat: the time waiting on a run queue
 *   against the time on a CPU).  Not in --explore runs.  Waits
 *   behind the lesson's own workers count too: more runnable workers than
 *   CPUs make it high by design.
 * - "steal": the fraction of the usable CPUs' time that the hypervisor
 *   ran something else (/proc/stat's steal column, in 10 ms ticks).
 * - "cpu_ms" and "cpu_wait_ms": the sums behind cpu_wait.
 * A claim about timing names them: "when cpu_wait < 0.1 and steal < 0.1". */
struct lab_cpu {
	double cpu_wait, steal;
	double run_ms, wait_ms; /* the sums behind cpu_wait */
};
void lab_cpu_begin(struct lab *lab); /* called by lab_run_begin */
void lab_cpu_worker_end(void);       /* a worker, at its end (lab_worker.c) */
/* Since lab_run_begin: 0, or -1 before the first run (and in --explore
 * runs, which do not measure it). */
int lab_cpu_read(struct lab_cpu *c);

/* Shared memory for lesson data, visible to process workers: call before
 * lab_spawn.  Zero-filled; lives until exit. */
void *lab_shared_alloc(struct lab *lab, size_t size);


/* Names that cannot outlive the lesson (lab_clean.c): a helper process
 * outside the lesson's group holds them and removes them when the last
 * process of the lesson is gone, however it ended (SIGKILL included).
 * lab_tmpdir makes $TMPDIR/racelab-TAG-XXXXXX (0700) and writes its path;
 * lab_tmpdir_remove removes it and all in it now.  lab_name_guard(kind,
 * name, true) before shm_open/mq_open, (kind, name, false) after the
 * unlink.  From the lesson's main process, before it forks the workers
 * that use them. */
enum lab_name_kind { LAB_NAME_SHM = 's', LAB_NAME_MQ = 'q' };
const char *lab_tmpdir(struct lab *lab, const char *tag, char *path, size_t len);
void lab_tmpdir_remove(struct lab *lab, const char *path);
void lab_name_guard(struct lab *lab, enum lab_name_kind kind, const char *name,
                    bool created);
/* In a child about to exec a program that starts processes of its own
 * (mpirun, lab_mpi.c): let it hold the helper's lifeline across the exec,
 * so the names are removed only once it is gone too. */
void lab_clean_keep_on_exec(void);
/* Runs: begin resets the board's live fields; end records counter 0's value
 * for the histogram and marks the run done. */
void lab_run_begin(struct lab *lab, int run);
void lab_run_end(struct lab *lab);
double lab_elapsed_ms(const struct lab *lab); /* since lab_run_begin */

/* Counters on the board.  A counter is conserved (the default when it
 * has an expected value), a gauge or a count (the default without one):
 * see enum board_counter_kind.  Change a gauge with lab_counter_add or
 * lab_counter_set, so that its lowest and highest values are kept. */
struct board_counter *lab_counter(struct lab *lab, const char *name,
                                  int64_t initial);
void lab_counter_expect(struct board_counter *c, int64_t expected);
void lab_counter_kind(struct board_counter *c, enum board_counter_kind k);
static inline int64_t
lab_counter_add(struct board_counter *c, int64_t delta)
{
	return board_counter_add_value(c, delta);
}
static inline void
lab_counter_set(struct board_counter *c, int64_t v)
{
	board_counter_set(c, v);
}
/* For a lesson that keeps &c->value (a plain pointer to the number) in
 * its shared data: store a gauge's new value through it, keeping the
 * range.  value must point into a board counter. */
static inline void
lab_counter_store(_Atomic int64_t *value, int64_t v)
{
	board_counter_set((struct board_counter *)(void *)
	                  ((char *)value - offsetof(struct board_counter, value)), v);
}
static inline void
lab_counter_raise(struct board_counter *c, int64_t v)
{
	board_counter_raise(c, v);
}

/* Workers.  lab_spawn starts n workers of the --mode, numbered 1..n, holds
 * them at a start barrier until all exist, then releases them together.
 * lab_spawn_ex picks the mode and the first number (for sequential runs). */
struct lab_team *lab_spawn(struct lab *lab, int n, lab_worker_fn fn, void *arg);
struct lab_team *lab_spawn_ex(struct lab *lab, enum lab_mode mode, int first,
                              int n, lab_worker_fn fn, void *arg);
/* A server the other workers talk to (07's manager): one worker, numbered
 * `first`, that never parks at a step gate and that no schedule names (a
 * schedule step for it is skipped).  Its probes still show where it is.
 * Scheduling the clients of a gated server would wait for ever: a client
 * blocked on its reply cannot settle while the server sits at a gate. */
struct lab_team *lab_spawn_server(struct lab *lab, enum lab_mode mode, int first,
                                  lab_worker_fn fn, void *arg);
/* Waits for the --schedule or --step driver if any, then for every worker.
 * On a deadlock found while scheduling, workers are left blocked: print
 * the result and exit(LAB_EXIT_DEADLOCK). */
enum lab_join_result lab_join(struct lab_team *t);
bool lab_worker_alive(struct lab_worker *w);
void lab_team_free(struct lab_team *t);
const char *lab_mode_name(enum lab_mode m);
/* "exit 0", "killed by SIGKILL" */
const char *lab_status_text(int status, char *buf, size_t len);

/* Every probe point in the program leaves a record in the lab_probes
 * section, so the program knows at start whether --schedule and --step
 * have anything to act on (lab_probe_sites) without a list per lesson. */
struct lab_probe_site {
	const char *file;
	unsigned line;
};
#define LAB_PROBE_SITE_()                                                      \
	static const struct lab_probe_site lab_site_                             \
		__attribute__((used, section("lab_probes"), aligned(8))) =       \
		{ __FILE__, __LINE__ }
/* How many probe points this program has. */
unsigned lab_probe_sites(void);

/* Probes: an interleaving point.  Publishes the label (and the source
 * line) as the worker's next operation; in step mode, parks the worker at
 * its gate until a step is granted. */
#define lab_step(w, label) lab_step_val_((w), (label), __LINE__, 0, 0)
#define lab_step_val(w, label, v) lab_step_val_((w), (label), __LINE__, 1, (v))
#define lab_step_val_(w, label, line, has, v)                                  \
	do {                                                                     \
		static _Atomic uint32_t lab_label_id_;                           \
		LAB_PROBE_SITE_();                                               \
		LAB_FILE_(w);                                                    \
		lab_probe((w), &lab_label_id_, (label), (line), (has), (v));     \
	} while (0)
/* Every probe also says which source file it is in (the Source panel
 * shows the file around the line): __FILE__, interned once per site. */
#define LAB_FILE_(w)                                                           \
	do {                                                                     \
		static _Atomic uint32_t lab_file_id_;                            \
		lab_set_file((w), &lab_file_id_, __FILE__);                      \
	} while (0)

uint32_t lab_label_slow(struct lab_worker *w, _Atomic uint32_t *idp,
                        const char *label);
void lab_gate(struct lab_worker *w);
void lab_probe_event(struct lab_worker *w, uint32_t arg, int64_t value,
                     uint64_t step);

static inline void
lab_set_file(struct lab_worker *w, _Atomic uint32_t *idp, const char *file)
{
	uint32_t id = atomic_load_explicit(idp, memory_order_relaxed);

	if (__builtin_expect(id == 0, 0))
		id = lab_label_slow(w, idp, file);
	atomic_store_explicit(&w->actor->file, id, memory_order_relaxed);
}

/* The fast path: a few relaxed stores to the worker's own actor and one
 * load of the step flag.  No ordering is needed: these fields are for
 * display, and the gate (slow path) synchronises properly. */
static inline void
lab_probe(struct lab_worker *w, _Atomic uint32_t *idp, const char *label,
          unsigned line, int has, int64_t v)
{
	struct board_actor *a = w->actor;
	uint32_t id = atomic_load_explicit(idp, memory_order_relaxed);
	uint64_t step = atomic_load_explicit(&a->steps, memory_order_relaxed) + 1;

	if (__builtin_expect(id == 0, 0))
		id = lab_label_slow(w, idp, label);
	atomic_store_explicit(&a->op, id, memory_order_relaxed);
	atomic_store_explicit(&a->line, line, memory_order_relaxed);
	atomic_store_explicit(&a->op_has_value, (uint32_t)has,
	                      memory_order_relaxed);
	if (has)
		atomic_store_explicit(&a->op_value, v, memory_order_relaxed);
	atomic_store_explicit(&a->steps, step, memory_order_relaxed);
	/* Every step is a timestamped STEP event on the board (about 10 ns:
	 * the run can be written out as a trace and replayed).  With
	 * RACELAB_RECORD=sampled a worker records about one step per
	 * millisecond instead (see lab_probe_event). */
	if (__builtin_expect(step >= w->ev_next, 1))
		lab_probe_event(w, has ? id | BOARD_STEP_HAS_VALUE : id,
		                has ? v : (int64_t)step, step);
	if (__builtin_expect(atomic_load_explicit(&w->lab->board->control.step_mode,
	                                          memory_order_relaxed), 0))
		lab_gate(w);
}

/* What a read just read (after the load a "read NAME" step announced):
 * a READ event with the value, folded by the trace into that step, so a
 * trace's reads carry their values as its writes do.  Only when the step
 * itself was recorded (RACELAB_RECORD=sampled records a few). */
static inline void
lab_read_seen(struct lab_worker *w, int64_t v)
{
	if (w->ev_step == atomic_load_explicit(&w->actor->steps, memory_order_relaxed))
		board_event_put(w->actor, BOARD_EV_READ, 0, v);
}

/* Worker state shown in the panels (running, sleeping, ...). */
void lab_set_state(struct lab_worker *w, enum board_state s);
/* Rename a worker on the board ("producer", "server"; at most 15 bytes). */
void lab_set_name(struct lab_worker *w, const char *name);
/* Progress of a worker, units done out of total. */
static inline void
lab_progress(struct lab_worker *w, uint64_t done, uint64_t total)
{
	atomic_store_explicit(&w->actor->progress, done, memory_order_relaxed);
	atomic_store_explicit(&w->actor->total, total, memory_order_relaxed);
}
/* Sleep, shown as sleeping. */
void lab_sleep(struct lab_worker *w, double seconds);

/* Instrumented locks, process-shared, with holder/waiter stats on the
 * board.  lab_lock and lab_unlock are probe points ("lock m", "unlock m"). */
struct lab_lock;
struct lab_lock *lab_lock_new(struct lab *lab, const char *name,
                              enum board_lock_kind kind);
/* Macros, so the probe records the caller's source line (and the program
 * knows it has probe points). */
#define lab_lock(w, l) ({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_lock_at((w), (l), __LINE__); })
#define lab_unlock(w, l)                                                       \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_unlock_at((w), (l), __LINE__); })
/* 0 when taken; -1 when busy (trylock) or after timeout_ns (timed). */
#define lab_trylock(w, l)                                                      \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_trylock_at((w), (l), __LINE__); })
#define lab_timedlock(w, l, ns)                                                \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_timedlock_at((w), (l), (ns), __LINE__); })
void lab_lock_at(struct lab_worker *w, struct lab_lock *l, unsigned line);
void lab_unlock_at(struct lab_worker *w, struct lab_lock *l, unsigned line);
int lab_trylock_at(struct lab_worker *w, struct lab_lock *l, unsigned line);
int lab_timedlock_at(struct lab_worker *w, struct lab_lock *l,
                     uint64_t timeout_ns, unsigned line);
int lab_lock_index(const struct lab_lock *l);

/* Home-made locks (lessons/15-spinlocks): the lesson's own algorithm
 * (a flag, Peterson, a ticket lock) registered on the board as kind
 * "custom", so the Locks panel shows its holder, waiters and takes per
 * worker like the lab's own.  The lesson tells the lab what happened:
 * SPIN, it waits by spinning (it moves by itself: never settled, never a
 * deadlock); WAIT, it blocks in the kernel; ACQUIRED; RELEASED.  The
 * notes use no fence between a lock's stores and its loads, so they do
 * not repair a lock that needs one (lessons/16-memory-order). */
enum lab_note { LAB_NOTE_SPIN, LAB_NOTE_WAIT, LAB_NOTE_ACQUIRED, LAB_NOTE_RELEASED };
struct lab_lock *lab_lock_custom(struct lab *lab, const char *name);
void lab_lock_note(struct lab_worker *w, struct lab_lock *l, enum lab_note what);

/* Counting semaphores: a struct lab_lock of kind BOARD_LOCK_SEM with
 * `permits` permits.  wait takes one (a probe point, "wait for NAME"),
 * post gives one back ("post NAME").  The board shows permits left and
 * every worker holding one. */
struct lab_lock *lab_sem_new(struct lab *lab, const char *name,
                             unsigned permits);
/* Between runs, with no worker running: the permits it was made with
 * (a post without a wait in one run must not carry over to the next). */
void lab_sem_reset(struct lab_lock *l);
#define lab_sem_wait(w, s)                                                     \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_lock_at((w), (s), __LINE__); })
#define lab_sem_post(w, s)                                                     \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_unlock_at((w), (s), __LINE__); })

/* Barriers (BOARD_LOCK_BARRIER), process-shared, over pthread_barrier_t:
 * count workers wait at it until the last arrives, then all go on, and
 * it is ready for the next phase.  wait is a probe point ("wait at
 * NAME"); the board shows arrived/count, the phases completed and who
 * waits.  lab_barrier_wait is true in one worker per phase: the last to
 * arrive (POSIX leaves which one unspecified; the lab names the last, so
 * a forced schedule always picks the same one). */
struct lab_lock *lab_barrier_new(struct lab *lab, const char *name,
                                 unsigned count);
#define lab_barrier_wait(w, b)                                                 \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_barrier_wait_at((w), (b), __LINE__); })
bool lab_barrier_wait_at(struct lab_worker *w, struct lab_lock *b,
                         unsigned line);

/* Reader-writer locks (BOARD_LOCK_RWLOCK), process-shared, over
 * pthread_rwlock_t with pthread_rwlockattr_setkind_np: many readers or
 * one writer.  LAB_RW_PREFER_READER (glibc's default) lets a reader in
 * while others read, even with a writer waiting, so writers can starve;
 * LAB_RW_PREFER_WRITER (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)
 * keeps new readers out while a writer waits.  Probe points "read-lock
 * NAME", "write-lock NAME", "unlock NAME"; the board shows every holder
 * (each reader's held bit, the writer as holder) and the waiters. */
/* LAB_RW_PREFER_WRITER_NP sets PTHREAD_RWLOCK_PREFER_WRITER_NP, which
 * glibc's manual says it ignores (it behaves as PREFER_READER): there so
 * that a lesson can measure that. */
enum { LAB_RW_PREFER_READER = 1, LAB_RW_PREFER_WRITER = 2, LAB_RW_PREFER_WRITER_NP = 3 };
struct lab_lock *lab_rwlock_new(struct lab *lab, const char *name,
                                int prefer);
#define lab_rdlock(w, l)                                                       \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_rdlock_at((w), (l), __LINE__); })
#define lab_wrlock(w, l)                                                       \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_wrlock_at((w), (l), __LINE__); })
#define lab_rwunlock(w, l)                                                     \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_rwunlock_at((w), (l), __LINE__); })
void lab_rdlock_at(struct lab_worker *w, struct lab_lock *l, unsigned line);
void lab_wrlock_at(struct lab_worker *w, struct lab_lock *l, unsigned line);
void lab_rwunlock_at(struct lab_worker *w, struct lab_lock *l, unsigned line);

/* Condition variables, process-shared, waited on with a lab mutex held.
 * wait is a probe point ("wait NAME"); the board shows who waits.  Once
 * woken, the waiter takes the mutex back with lab_lock, a probe point
 * of its own ("lock M"), so a schedule decides whether it or another
 * worker gets the mutex first (Mesa semantics: recheck in a while). */
struct lab_cond;
struct lab_cond *lab_cond_new(struct lab *lab, const char *name);
#define lab_cond_wait(w, c, m)                                                 \
	({ LAB_PROBE_SITE_(); LAB_FILE_(w); lab_cond_wait_at((w), (c), (m), __LINE__); })
void lab_cond_wait_at(struct lab_worker *w, struct lab_cond *c,
                      struct lab_lock *m, unsigned line);
void lab_cond_signal(struct lab_worker *w, struct lab_cond *c);
void lab_cond_broadcast(struct lab_worker *w, struct lab_cond *c);
void lab_cond_destroy(struct lab_cond *c);

/* Deadlock: true when the workers waiting on locks form a cycle (each
 * waits for a lock the next one holds).  The cycle, as worker numbers, is
 * written to cycle[] (up to max) and its length returned via *len. */
bool lab_find_deadlock(const struct board *b, int *cycle, int max, int *len);
/* Everyone asleep: every worker on the board that has not ended waits,
 * without a timeout, on a lab lock, semaphore, condition variable,
 * barrier or rwlock that no running worker can release (a deadlock, or
 * a lost wake-up), and at least one does (board_actor_settled).  A
 * worker at a step gate can still move, so it is not asleep. */
bool lab_all_blocked(const struct board *b);
/* How many workers are inside lock index `lock`'s critical section right
 * now: the live workers with its held bit (a mutex's or spin lock's
 * holder, every permit holder of a semaphore, an rwlock's readers or its
 * writer, a home-made lock's holders as the lesson marks them).  A lock
 * the lab does not take itself (a flag, Peterson's: kind NONE or the
 * lesson's own) that no worker is marked holding counts the workers in
 * state critical that hold no lab-taken lock.  A worker inside another
 * lock is never counted.  -1: no such lock. */
int lab_inside(const struct board *b, int lock);
/* What worker idx waits for and who could release it, for a person:
 * "waits at barrier b (2 of 3 arrived): the next to arrive releases it".
 * Empty when it is not waiting. */
const char *lab_wait_text(const struct board *b, unsigned idx, char *buf,
                          size_t len);

/* Traces (lab_trace.c): a run's events from the board, in the Chrome
 * Trace Event Format (Perfetto, chrome://tracing), as man/racelab.1
 * describes.  lab_trace_add takes the run on the board now (from
 * ring_mark to ring_head of each actor); lab_trace_write writes every run
 * added, to a temporary name then renamed: 0, or -1 with the reason in
 * err (nothing left behind). */
struct lab_trace;
struct lab_trace *lab_trace_new(const char *program);
void lab_trace_add(struct lab_trace *t, const struct board *b);
int lab_trace_write(const struct lab_trace *t, const char *path, char *err,
                    size_t errlen);
void lab_trace_free(struct lab_trace *t);
/* --trace-out: write the runs now (the lesson's main process, at exit,
 * or before an _exit that skips atexit). */
void lab_trace_flush(struct lab *lab);
/* Is path a file --trace-out can make (its directory exists and takes a
 * new file)?  NULL, or the reason. */
const char *lab_trace_path_bad(const char *path, char *buf, size_t len);

/* JSON output: one object per line on stdout. */
struct lab_json {
	char buf[8192];
	size_t len;
	bool first;
};
void lab_json_begin(struct lab_json *j);
void lab_json_int(struct lab_json *j, const char *key, long long v);
void lab_json_num(struct lab_json *j, const char *key, double v);
void lab_json_str(struct lab_json *j, const char *key, const char *v);
void lab_json_bool(struct lab_json *j, const char *key, bool v);
void lab_json_int_array(struct lab_json *j, const char *key,
                        const long long *v, int n);
void lab_json_num_array(struct lab_json *j, const char *key, const double *v,
                        int n);
/* Raw JSON value (an already-formed array or object). */
void lab_json_raw(struct lab_json *j, const char *key, const char *json);
void lab_json_end(struct lab_json *j); /* prints the line and flushes */
/* A record built elsewhere (--explore's report, longer than a lab_json):
 * where lab_json_end would put it. */
void lab_json_line(const struct lab *lab, const char *obj);

#endif
