// The shared-memory board: the one protocol between lesson programs and the shell.
//
// One fixed-layout, versioned struct in a MAP_SHARED mapping.  Lesson workers
// (threads or forked processes) write it; the shell maps the same memory and
// reads it every frame.  Every field another party reads is a C11 atomic.
// Records with several fields that must be read together (an actor's
// identity) are published under a seqlock, so a reader never sees a torn one.
//
// Under the shell the board is a memfd the shell made (no name anyone else
// can open); the lesson finds it through RACELAB_BOARD_FD.  Standalone, the
// lesson maps an anonymous shared board before it forks any worker.
#ifndef RACELAB_BOARD_H
#define RACELAB_BOARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BOARD_MAGIC 0x424c4352u /* "RCLB" */
#define BOARD_VERSION 4u
#define BOARD_ENV_FD "RACELAB_BOARD_FD"

enum {
	BOARD_MAX_WORKERS = 1024,               /* the worker cap of every lesson */
	BOARD_MAX_ACTORS = BOARD_MAX_WORKERS + 1, /* actor 0 is the lesson's main */
	BOARD_MAX_COUNTERS = 16,
	BOARD_MAX_LOCKS = 16,
	BOARD_MAX_LABELS = 256,
	BOARD_LABEL_LEN = 48,
	BOARD_NAME_LEN = 16, /* actor, counter and lock names, NUL included */
	/* Events per actor ring, powers of two: the main actor and the first
	 * 32 workers hold a whole short run each (a race of --iters 30000);
	 * the others, of which a lesson has many only for short work, less.
	 * Untouched pages of a ring cost no memory. */
	BOARD_RING_LEN = 1 << 16,
	BOARD_RING_LONG_ACTORS = 33,
	BOARD_RING_LEN_SHORT = 1 << 11,
	BOARD_MAX_RUNS = 256, /* per-run results kept for the histogram */
	BOARD_LESSON_LEN = 32,
};

enum board_kind { BOARD_KIND_NONE, BOARD_KIND_THREAD, BOARD_KIND_PROCESS };

/* What an actor is doing, as the lesson's own code says it.  The shell adds
 * what the kernel says from /proc. */
enum board_state {
	BOARD_ST_IDLE,     /* slot not in use */
	BOARD_ST_STARTING, /* created, waiting for the start barrier */
	BOARD_ST_RUNNING,
	BOARD_ST_WAIT_LOCK, /* blocked (or spinning) for a lock: see wait_lock */
	BOARD_ST_CRITICAL,  /* holds a lock */
	BOARD_ST_SLEEPING,
	BOARD_ST_GATE, /* parked at a step gate, waiting for a grant */
	BOARD_ST_DONE,
	BOARD_ST_KILLED, /* ended by a signal */
	BOARD_ST_FAILED, /* exited with a non-zero status */
	BOARD_ST_BLOCKED, /* blocked in the kernel: a full pipe, an empty queue */
	BOARD_ST_COUNT
};

enum board_event_type {
	BOARD_EV_NONE,
	BOARD_EV_START,
	BOARD_EV_END,
	BOARD_EV_READ,
	BOARD_EV_WRITE,
	BOARD_EV_LOCK_WAIT,
	BOARD_EV_LOCK_ACQUIRE,
	BOARD_EV_LOCK_RELEASE,
	BOARD_EV_GATE,
	BOARD_EV_STATE, /* the actor's state changed (lab_set_state, a gate left) */
	BOARD_EV_STEP,  /* a probe passed: arg is its label id, with
	                 * BOARD_STEP_HAS_VALUE when value is the probe's value
	                 * (else value is the actor's step count) */
	BOARD_EV_SIGNAL, /* a condition variable signalled: arg its lock
	                  * index, value 1 for a broadcast */
	BOARD_EV_WOKEN,  /* a wait on a condition variable or barrier is
	                  * over: arg its lock index */
	BOARD_EV_COUNT
};

#define BOARD_STEP_HAS_VALUE (1u << 31)

enum board_run_state { BOARD_RUN_IDLE, BOARD_RUN_RUNNING, BOARD_RUN_DONE };

/* Every event also says the state the actor was in once it happened, so
 * a reader can draw what each actor did over time from the events alone
 * (a run that ended before the shell looked at it even once).  24 bytes:
 * one clock read and three stores (see board_event_put). */
struct board_event {
	_Atomic uint64_t ticks; /* the board's clock (struct board_clock) */
	/* type | state << 8 | (source line & 0xffff) << 16 | arg << 32 */
	_Atomic uint64_t meta;
	_Atomic int64_t value;
};

/* One worker (or the lesson's main thread, actor 0). */
struct board_actor {
	/* Identity, published under seq (odd while being written).  Each
	 * actor starts a cache line: its writer shares none with another's. */
	_Alignas(64) _Atomic uint32_t seq;
	_Atomic uint32_t kind; /* enum board_kind */
	_Atomic int32_t pid;
	_Atomic int32_t tid;
	_Atomic int32_t ppid;      /* its parent process, as getppid() said */
	_Atomic uint32_t worker_no; /* 1-based; 0 for the main actor */
	_Atomic uint64_t name[BOARD_NAME_LEN / 8]; /* packed chars */

	/* Live fields, each written by the actor alone, read by anyone: */
	_Atomic uint32_t state;     /* enum board_state */
	_Atomic uint32_t op;        /* label id of the probe it is at (0: none) */
	_Atomic uint32_t line;      /* source line of that probe */
	_Atomic uint32_t op_has_value;
	_Atomic int64_t op_value;   /* e.g. the value about to be written */
	_Atomic uint32_t wait_lock; /* lock index + 1 while WAIT_LOCK, else 0 */
	_Atomic uint32_t wait_timed; /* 1: that wait has a timeout (moves alone) */
	/* What the wait is for: BOARD_WAIT_READ or _WRITE on an rwlock; on a
	 * barrier, the phase it arrived in (board_lock.phase then). */
	_Atomic uint32_t wait_arg;
	_Atomic uint64_t steps;     /* probes passed */
	_Atomic uint64_t progress;  /* units of work done */
	_Atomic uint64_t total;     /* units of work planned (0: unknown) */
	_Atomic int32_t exit_code;  /* exit status, or -signal */
	_Atomic uint32_t held;      /* bit i: it holds lock i (a semaphore
	                             * has as many holders as permits) */
	_Atomic uint64_t acquired[BOARD_MAX_LOCKS]; /* times it took lock i */

	/* Step gate.  A grant adds one to grant; the actor has used `taken`
	 * grants and waits while taken == grant and step mode is on.  gate is
	 * the futex word: bumped by every grant and every wake, so a waiter
	 * that read it before the change never sleeps through it. */
	_Atomic uint32_t grant;
	_Atomic uint32_t taken;
	_Atomic uint32_t gate;
	/* 1: this actor never parks at its gate (a server the others talk
	 * to, lab_spawn_server; or a team whose schedule has ended while
	 * another team's goes on).  It is not scheduled, and counts as
	 * settled: a schedule's outcome does not wait for it. */
	_Atomic uint32_t ungated;
	/* While at a gate (state GATE): the state it will resume with, so
	 * a reader knows a worker parked inside a critical section is
	 * inside it (a home-made lock marks that by state alone). */
	_Atomic uint32_t gate_resume;

	/* Event ring, single writer (this actor), overrun counted by readers.
	 * The ring itself lies after the actors in the same mapping (in
	 * board.ring, so that one actor's events never share a cache line
	 * with another's fields); these offsets are self-relative because
	 * each process maps the board at its own address.  Written once, at
	 * creation, before any other party maps the board. */
	_Atomic uint64_t ring_head; /* events ever put */
	_Atomic uint64_t ring_mark; /* ring_head when the run began (board_reset) */
	_Atomic uint64_t ring_last; /* events this slot recorded in the last run */
	uint64_t ring_off;  /* bytes from this actor to its first event */
	uint64_t board_off; /* bytes from the board to this actor */
	uint32_t ring_mask; /* ring length - 1 */
	uint32_t tick_tsc;  /* 1: ticks are the TSC (board.clock.tsc) */

	/* Label id of the source file of the probe it is at (0: none), the
	 * file `line` is in: the shell's Source panel reads it from disk. */
	_Atomic uint32_t file;
	/* 1: blocked in a call that ends only when another actor moves (a
	 * watched program's join, wait for a child, barrier or busy rwlock:
	 * racelab-watch): settled, as a wait for a held lock is. */
	_Atomic uint32_t parked;
};

/* What a counter's number means, and so what the shell shows beside it. */
enum board_counter_kind {
	/* Conserved: a correct run ends at `expected`; the difference is
	 * updates lost (the race's balance). */
	BOARD_COUNTER_CONSERVED,
	/* Gauge: a level that goes up and down (workers inside, items in a
	 * buffer); the lab keeps its lowest and highest value on every
	 * update, so a peak between two looks of the shell is not missed. */
	BOARD_COUNTER_GAUGE,
	/* Count: things done, only ever up; shown with its rate. */
	BOARD_COUNTER_COUNT,
};

struct board_counter {
	char name[BOARD_NAME_LEN]; /* written once, before ncounters is raised */
	_Atomic int64_t value;
	_Atomic int64_t initial;
	_Atomic int64_t expected; /* value a correct run ends with */
	_Atomic uint32_t has_expected;
	_Atomic uint32_t kind;    /* enum board_counter_kind */
	_Atomic int64_t min, max; /* a gauge's range over the run */
};

enum board_lock_kind {
	BOARD_LOCK_NONE,
	BOARD_LOCK_MUTEX,
	BOARD_LOCK_SPIN,
	BOARD_LOCK_SEM,
	BOARD_LOCK_RWLOCK,
	BOARD_LOCK_COND, /* a condition variable: waiters, no holder */
	BOARD_LOCK_BARRIER, /* value arrived of permits, phase completed */
	BOARD_LOCK_CUSTOM, /* a lesson's home-made lock (lab_lock_custom) */
};

/* board_actor.wait_arg of a worker waiting for an rwlock. */
enum { BOARD_WAIT_READ = 1, BOARD_WAIT_WRITE = 2 };

struct board_lock {
	char name[BOARD_NAME_LEN]; /* written once, before nlocks is raised */
	_Atomic uint32_t kind;     /* enum board_lock_kind */
	_Atomic int32_t holder;    /* actor index holding it, -1 when free */
	_Atomic uint32_t waiters;  /* actors blocked on it right now */
	_Atomic uint64_t acquisitions;
	_Atomic uint64_t contended; /* acquisitions that had to wait */
	_Atomic uint64_t wait_ns;   /* total time spent waiting */
	_Atomic int32_t value;      /* semaphore: permits left; barrier:
	                             * workers arrived in this phase;
	                             * condvar: wake-ups not yet taken */
	_Atomic int32_t permits;    /* semaphore: permits in all; barrier: count */
	/* rwlock: holder is the writer (-1: none), readers how many read
	 * (each has its bit in held), wwait the writers waiting, prefer
	 * 1 when waiting writers keep new readers out. */
	_Atomic int32_t readers;
	_Atomic uint32_t wwait;
	_Atomic uint32_t prefer_writer;
	_Atomic uint32_t phase;     /* barrier: phases completed */
};

/* Written by the shell, read by the lesson. */
struct board_control {
	_Atomic uint32_t step_mode; /* 1: workers stop at every probe */
	_Atomic uint32_t freeze;    /* 1: the shell has SIGSTOPped the group */
	_Atomic uint32_t abort;     /* 1: the lesson should stop soon */
	_Atomic uint32_t shell_pid;
};

struct board {
	/* Header, fixed for the life of the board: */
	uint32_t magic;
	uint32_t version;
	uint64_t size; /* of the mapping: board_map_size() */

	char lesson[BOARD_LESSON_LEN]; /* slug, written before run starts */
	_Atomic int32_t lesson_pid;
	_Atomic uint32_t run;       /* current run, 1-based */
	_Atomic uint32_t runs;      /* runs planned */
	_Atomic uint32_t run_state; /* enum board_run_state */
	_Atomic uint64_t run_start_ns;
	_Atomic uint64_t run_end_ns;

	/* Start barrier: workers wait until go != 0 (a futex word), then
	 * count themselves in `arrived` and wait until all are running. */
	_Atomic uint32_t go;
	_Atomic uint32_t arrived;

	_Atomic uint32_t nactors; /* slots in use: 0..nactors-1 */
	_Atomic uint32_t ncounters;
	_Atomic uint32_t nlocks;
	_Atomic uint32_t nlabels;
	_Atomic uint32_t intern_lock; /* spin lock guarding label interning */
	/* Probe points compiled into the lesson program (lab_step, lab_lock,
	 * ...): 0 means --schedule and --step have nothing to act on. */
	_Atomic uint32_t nprobes;

	/* Final value of counter 0 after each run, for the histogram. */
	_Atomic uint32_t nresults; /* total runs recorded (may exceed MAX) */
	_Atomic int64_t result[BOARD_MAX_RUNS];
	_Atomic int64_t result_expected;

	struct board_control control;
	struct board_counter counter[BOARD_MAX_COUNTERS];
	struct board_lock lock[BOARD_MAX_LOCKS];
	char label[BOARD_MAX_LABELS][BOARD_LABEL_LEN];
	struct board_actor actor[BOARD_MAX_ACTORS];

	/* The events' clock.  Reading the TSC costs about 10 ns here,
	 * clock_gettime (vDSO) about 24: events are stamped with the TSC when
	 * the kernel itself keeps time with it (its clocksource is "tsc": the
	 * TSC is invariant and synchronised across CPUs), and the readers
	 * convert with pairs (tick, CLOCK_MONOTONIC ns) taken at creation and
	 * at the start and end of each run.  Otherwise ticks are ns. */
	struct board_clock {
		uint32_t tsc;      /* written once, at creation */
		/* 1: the lesson records about one step a millisecond per
		 * worker, not every step (lab.h, record_sampled) */
		_Atomic uint32_t sampled;
		uint64_t tick0, ns0; /* at creation */
		_Atomic uint64_t run_tick0, run_ns0; /* at board_reset */
		_Atomic uint64_t run_tick1, run_ns1; /* at board_run_done */
	} clock;

	/* Every actor's ring (board_actor.ring_off points into it). */
	struct board_event ring[];
};

/* A copy of an actor's identity, read consistently. */
struct board_actor_id {
	enum board_kind kind;
	pid_t pid, tid, ppid;
	unsigned worker_no;
	char name[BOARD_NAME_LEN];
};

/* Creating and mapping. All return NULL and set errno on failure. */
struct board *board_create_anon(void);      /* standalone: before any fork */
/* b as board_create_anon made it, its pages kept (their events are
 * behind every actor's head): one board for each --explore run. */
void board_renew(struct board *b);
struct board *board_create_memfd(int *fdp); /* the shell's: fd is inheritable */
/* Map an existing board; on a bad one, NULL with *why set to a message. */
struct board *board_attach(int fd, const char **why);
/* Check a mapped region; NULL when good, else the reason. */
const char *board_validate(const struct board *b, size_t mapped);
void board_unmap(struct board *b);
/* Reset every live field for a new run (the header stays). */
void board_reset(struct board *b);

/* Actors. */
void board_actor_publish(struct board_actor *a, enum board_kind kind, pid_t pid,
                         pid_t tid, pid_t ppid, unsigned worker_no,
                         const char *name);
bool board_actor_read(const struct board_actor *a, struct board_actor_id *out);
const char *board_state_name(enum board_state s);
char board_state_mark(enum board_state s); /* one char, readable without colour */

/* Labels: intern a string, returns an id >= 1 (0 if the table is full). */
uint32_t board_label_intern(struct board *b, const char *text);
const char *board_label(const struct board *b, uint32_t id);

/* Counters and locks: register by name (idempotent), index or -1. */
int board_counter_add(struct board *b, const char *name, int64_t initial);
/* Change a counter by delta (or set it), keeping min and max: returns the
 * new value.  Lock-free; any worker may call them. */
int64_t board_counter_add_value(struct board_counter *c, int64_t delta);
void board_counter_set(struct board_counter *c, int64_t v);
/* Raise the value to v unless it is already higher (a running maximum:
 * "if (v > max) max = v" would itself be a lost-update race). */
void board_counter_raise(struct board_counter *c, int64_t v);
const char *board_counter_kind_name(enum board_counter_kind k);
int board_lock_add(struct board *b, const char *name, enum board_lock_kind kind);
const char *board_lock_kind_name(enum board_lock_kind k);

struct board_event_copy {
	uint64_t t_ns;  /* CLOCK_MONOTONIC */
	uint64_t ticks; /* as recorded */
	enum board_event_type type;
	uint32_t arg;
	int64_t value;
	enum board_state state;
	unsigned line; /* the actor's probe line then (low 16 bits) */
};

/* Events: the actor appends; a reader walks from its own cursor.  The
 * event records the actor's state (and probe line) as they are when put.
 * The one entry point for every event (lesson workers, racelab-watch):
 * about 10 ns, never blocks, overwrites the oldest event when full. */
void board_event_put(struct board_actor *a, enum board_event_type type,
                     uint32_t arg, int64_t value);
/* Map the ring pages the actor is about to write (as many events as its
 * slot recorded in the last run), so that a new process worker takes its
 * page faults before its work, not inside it (about 1 us each). */
void board_ring_prefault(struct board_actor *a);
/* Set the actor's state and record the change as an event (nothing when
 * the state is the same). */
void board_actor_state(struct board_actor *a, enum board_state s);
/* Read the next event after *cursor. Returns 1 with *out filled, 0 when
 * there is nothing new.  Events overwritten before they were read are added
 * to *dropped and skipped. */
int board_event_next(const struct board_actor *a, uint64_t *cursor,
                     struct board_event_copy *out, uint64_t *dropped);
/* The newest events after *cursor, at most max (the older ones count as
 * dropped), into out[]: how many.  The end is the head as it is at the
 * call, so a reader costs O(max) however fast the actor writes: one load
 * of the head before and one after the copy (board_event_next's three a
 * event ping-pong with a writer on another CPU). */
size_t board_events_newest(const struct board_actor *a, uint64_t *cursor,
                           size_t max, struct board_event_copy *out,
                           uint64_t *dropped);

/* Step gates (futexes on shared memory; work across processes). */
/* Park until a grant (or step mode ends), then set the actor's state to
 * resume_state BEFORE the grant is marked used: a scheduler that sees
 * state == GATE with no grant pending knows the actor is really parked. */
void board_gate_wait(struct board_actor *a, const struct board_control *c,
                     enum board_state resume_state);
void board_gate_grant(struct board_actor *a);
void board_gate_wake(struct board_actor *a); /* after step_mode changed */
/* Is actor idx settled: will it not move without a grant or another
 * actor's move?  Parked at its gate with no grant pending, ended (by its
 * state on the board), or waiting without a timeout for a lock another
 * actor holds (a condition variable; a semaphore with no permit left; a
 * barrier not yet full; an rwlock it cannot have now, once the kernel has
 * the waiter asleep; or parked, state BLOCKED).  A scheduler grants one step, then waits until every worker is settled. */
bool board_actor_settled(const struct board *b, unsigned idx);
void board_go_wait(struct board *b);
void board_go_release(struct board *b);

/* How many events the actor's ring holds.  A run's events are those
 * from ring_mark to ring_head (the oldest may have been overwritten). */
uint64_t board_ring_len(const struct board_actor *a);
/* Copy event idx (ring_head - ring length <= idx < ring_head) if it is
 * still there: 1, or 0 when the writer has overwritten it meanwhile. */
int board_event_at(const struct board_actor *a, uint64_t idx,
                   struct board_event_copy *out);

/* The clock of the events: ticks now; converting ticks to CLOCK_MONOTONIC
 * ns with the board's pairs (a run that has ended is converted with its
 * own start and end pairs). */
struct board_clock_map {
	uint64_t tick, ns;  /* anchor */
	double ns_per_tick;
};
uint64_t board_ticks(const struct board *b);
void board_clock_map(const struct board *b, struct board_clock_map *m);
static inline uint64_t
board_clock_ns(const struct board_clock_map *m, uint64_t tick)
{
	double d = (double)(int64_t)(tick - m->tick) * m->ns_per_tick;

	return (uint64_t)((int64_t)m->ns + (int64_t)d);
}
/* The run's end pair (lab_run_end), so its events convert exactly. */
void board_run_done(struct board *b);
/* Bytes of the whole mapping: the board and every ring. */
size_t board_map_size(void);

/* Results for the histogram. */
void board_result_add(struct board *b, int64_t final);

uint64_t board_now_ns(void);

#endif
