// racelab-watch: the region shared by racelab-watch and the library it
// preloads into the watched program (build/librlwatch.so).
//
// racelab-watch makes the region (a memfd), sets the options in it and
// passes its fd in RACELAB_WATCH_FD; the library maps it before main, so
// every thread and every forked process of the program sees the same
// scheduler state, and racelab-watch sees how each run ended (the steps,
// the pids to clean up, a deadlock's description) without a protocol of
// its own.  Only the thread holding the baton writes the model.
#ifndef RACELAB_RLW_H
#define RACELAB_RLW_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RLW_MAGIC 0x574c4352u /* "RCLW" */
#define RLW_VERSION 1u
#define RLW_ENV_FD "RACELAB_WATCH_FD"         /* the region's fd */
#define RLW_ENV_SERVER "RACELAB_WATCH_SERVER" /* "ctl,rep": a fork server */

enum {
	RLW_MAX_WORKERS = 256,   /* threads and processes of one run */
	RLW_MAX_PROCESSES = 64,  /* of which processes (a fork bomb's cap) */
	RLW_MAX_OBJS = 1024,     /* mutexes, condvars, ... seen in one run */
	RLW_MAX_SCHED = 1 << 16, /* schedule entries */
	RLW_LOG_LEN = 1 << 22,   /* uint16 words of the step log */
	RLW_TEXT_LEN = 1024,     /* a deadlock's description */
};

enum rlw_mode {
	RLW_FREE,     /* observe only: the program runs as it would */
	RLW_SCHEDULE, /* --schedule, then keep to the last worker */
	RLW_QUANTUM,  /* --quantum K: round robin */
	RLW_RANDOM,   /* --random-schedule SEED */
	RLW_EXPLORE,  /* an --explore run: the prefix, then keep to the last */
};

enum rlw_end {
	RLW_END_NONE, /* running, or it ended by itself */
	RLW_END_DEADLOCK,
	RLW_END_ASLEEP,
	RLW_END_BOUND,
	RLW_END_DIVERGED,
	RLW_END_CAP, /* too many threads or processes */
	RLW_END_SLEPT, /* every worker that could go is asleep: pruned */
	RLW_END_MISUSE, /* an object initialised or destroyed while in use */
	RLW_END_OUTPUT, /* it printed more than racelab-watch keeps: stopped */
};

/* A pending operation: what the worker will do when it is granted. */
enum rlw_op {
	RLW_OP_NONE,
	RLW_OP_START,    /* a new thread or process, not yet run */
	RLW_OP_READ,     /* a .c program's access to shared memory */
	RLW_OP_WRITE,
	RLW_OP_ATOMIC,
	RLW_OP_LOCK,     /* mutex */
	RLW_OP_TRYLOCK,
	RLW_OP_UNLOCK,
	RLW_OP_COND_WAIT,   /* release the mutex, start waiting */
	RLW_OP_COND_RELOCK, /* signalled (or timed out): take the mutex again */
	RLW_OP_COND_SIGNAL,
	RLW_OP_COND_BROADCAST,
	RLW_OP_SEM_WAIT,
	RLW_OP_SEM_TRYWAIT,
	RLW_OP_SEM_POST,
	RLW_OP_RDLOCK,
	RLW_OP_WRLOCK,
	RLW_OP_TRYRDLOCK,
	RLW_OP_TRYWRLOCK,
	RLW_OP_RWUNLOCK,
	RLW_OP_BARRIER,       /* arrive */
	RLW_OP_BARRIER_LEAVE, /* the phase is complete */
	RLW_OP_CREATE,
	RLW_OP_JOIN,
	RLW_OP_THREAD_EXIT,
	RLW_OP_FORK,
	RLW_OP_WAIT,   /* wait/waitpid for a child */
	RLW_OP_EXIT,   /* exit/_exit/return from main: the whole process */
	RLW_OP_YIELD,  /* sched_yield, usleep, nanosleep, sleep */
	RLW_OP_COUNT
};

enum rlw_wstate { RLW_W_NONE, RLW_W_LIVE, RLW_W_DONE };
enum rlw_obj_kind { RLW_O_NONE, RLW_O_MUTEX, RLW_O_COND, RLW_O_SEM, RLW_O_RWLOCK,
	            RLW_O_BARRIER, RLW_O_SPIN, RLW_O_ONCE };

struct rlw_worker {
	_Atomic uint32_t go; /* the baton: a futex word, 1 when granted */
	_Atomic int32_t pid, tid;
	uint32_t state;     /* enum rlw_wstate */
	uint32_t process;   /* 1: the first thread of a process */
	uint32_t aspace;    /* its process: the worker number of that one */
	uint32_t parent;    /* a process: its parent's aspace */
	uint32_t reaped;    /* a process: waited for */
	uint32_t op;        /* enum rlw_op pending */
	uintptr_t obj, obj2; /* the operation's object (condvar: its mutex) */
	int64_t arg;        /* join: the pthread_t; wait: the pid */
	int32_t result;     /* what the operation's model decided */
	uint32_t signalled; /* condvar wait: woken */
	uint32_t timed;     /* the wait has a timeout: it may end alone */
	uint32_t phase;     /* barrier: the phase it arrived in */
	uint64_t wait_seq;  /* condvar: when it began to wait (FIFO) */
	uintptr_t pc;       /* the caller's return address */
	uintptr_t start_fn; /* the thread's start routine */
	uint64_t thread;    /* pthread_t */
	uint32_t actor;     /* board actor index + 1 (0: none) */
	int32_t status;     /* a process: its exit code */
	int32_t silent;     /* running its first stretch for this worker */
	uint32_t joined;    /* a thread: a join of it was granted */
	uint32_t low;       /* yields, failed tries, timeouts since another
	                     * worker's step (fairness: rlw_sched.c) */
};

struct rlw_obj {
	uint32_t kind;   /* enum rlw_obj_kind */
	uint32_t aspace; /* process whose memory it is in */
	uintptr_t addr;
	int32_t owner;   /* mutex, rwlock writer: worker; 0 free */
	int32_t count;   /* recursive mutex depth; rwlock readers;
	                  * barrier: arrived */
	int32_t size;    /* barrier: count */
	uint32_t phase;  /* barrier: phases completed */
	int32_t board;   /* board lock index + 1 (0: none) */
};

struct rlw_region {
	uint32_t magic, version;
	uint64_t size;
	/* Options, set by racelab-watch: */
	uint32_t mode; /* enum rlw_mode */
	uint32_t trace;
	uint32_t quantum;
	uint32_t board_step; /* under the shell: park at the board's gates */
	uint64_t seed;
	uint64_t max_steps;
	int32_t watcher; /* racelab-watch's pid: a run outliving it ends */
	/* The CPUs racelab-watch was given (taskset, --cpus): what a
	 * scheduled run's threads are told they have, pinned to one of
	 * them (rlw_sched.c). */
	uint64_t cpus[1024 / 64];
	uint32_t nsched;
	uint16_t sched[RLW_MAX_SCHED];
	/* --explore of a .c program: sleep sets (a partial-order
	 * reduction): the workers asleep at the node after the prefix. */
	uint32_t por;
	uint32_t nsleep0;
	uint16_t sleep0[RLW_MAX_WORKERS + 1];

	/* Per run, reset before it starts: */
	uint32_t nworkers; /* worker numbers 1..nworkers used */
	uint32_t nlive;    /* not done */
	uint32_t nprocs;
	uint32_t last;     /* worker granted last */
	uint32_t qrun;     /* steps of the last in a row (--quantum) */
	uint32_t end;      /* enum rlw_end */
	uint64_t k;        /* schedule entries used */
	uint64_t steps;    /* steps granted */
	uint64_t wait_seq;
	uint64_t rng;
	uint64_t nlog;     /* words in log */
	uint32_t nobjs;
	uint32_t nfp;      /* footprints logged (por) */
	uint32_t armed;    /* the sleep set of the prefix's node is set */
	_Atomic int32_t run_pid; /* the fork server's run: its pid */
	uint64_t sleep[(RLW_MAX_WORKERS + 64) / 64]; /* asleep now (por) */
	char text[RLW_TEXT_LEN]; /* how a deadlock or an asleep run looked */
	struct rlw_worker w[RLW_MAX_WORKERS + 1]; /* w[1..nworkers] */
	struct rlw_obj obj[RLW_MAX_OBJS];
	/* Per step: the worker granted, how many could have been, then
	 * those: "S granted can,can,..." for the explorer. */
	uint16_t log[RLW_LOG_LEN];
	/* With por, per step after the worker list: how many asleep, those;
	 * and here, per worker that could go, what its operation touches. */
	struct rlw_fp {
		uint32_t kind; /* enum rlw_fp_kind */
		uint32_t pad_;
		uint64_t a, b;
	} fp[RLW_LOG_LEN / 8];
};

/* Pseudo-addresses of threads (a thread's end, a join of it) and of their
 * creation, above any user-space address. */
#define RLW_FP_THREAD (1ull << 63)

/* What an operation touches, for the independence of two steps. */
enum rlw_fp_kind {
	RLW_FP_LOCAL,  /* nothing shared (a yield) */
	RLW_FP_READ,   /* reads a */
	RLW_FP_WRITE,  /* writes a (an atomic, a write, output to a stream) */
	RLW_FP_OBJ,    /* a sync operation on object a (and b: a condvar's mutex) */
	RLW_FP_GLOBAL, /* threads or processes start, end, wait: with all */
};

/* The per-run part starts here (racelab-watch and the fork server reset
 * it from this member on, all but the log's words). */
#define RLW_RUN_FIELDS nworkers


#include <string.h>

/* Clear the per-run part of the region (racelab-watch before an exec,
 * the fork server before each fork). */
static inline void
rlw_reset_run(struct rlw_region *r)
{
	memset(&r->RLW_RUN_FIELDS, 0,
	       offsetof(struct rlw_region, log) - offsetof(struct rlw_region, RLW_RUN_FIELDS));
	r->rng = r->seed;
}

/* Can two steps of different workers be swapped without changing
 * anything (sleep sets: one order is enough)?  Not when either starts,
 * ends or waits for a thread or process, nor when they touch the same
 * bytes or object and one of them writes or synchronises. */
static inline bool
rlw_fp_independent(const struct rlw_fp *x, const struct rlw_fp *y)
{
	uint64_t xa[2], xn[2], ya[2], yn[2];
	int nx, ny;

	if (x->kind == RLW_FP_GLOBAL || y->kind == RLW_FP_GLOBAL)
		return false;
	if (x->kind == RLW_FP_LOCAL || y->kind == RLW_FP_LOCAL)
		return true;
	if (x->kind == RLW_FP_READ && y->kind == RLW_FP_READ)
		return true;
	/* A memory access is a range (address, size); an object is its
	 * first byte (and its mutex's). */
	nx = x->kind == RLW_FP_OBJ && x->b ? 2 : 1;
	ny = y->kind == RLW_FP_OBJ && y->b ? 2 : 1;
	xa[0] = x->a, xn[0] = x->kind == RLW_FP_OBJ ? 1 : (x->b ? x->b : 1);
	xa[1] = x->b, xn[1] = 1;
	ya[0] = y->a, yn[0] = y->kind == RLW_FP_OBJ ? 1 : (y->b ? y->b : 1);
	ya[1] = y->b, yn[1] = 1;
	for (int i = 0; i < nx; i++)
		for (int j = 0; j < ny; j++)
			if (xa[i] < ya[j] + yn[j] && ya[j] < xa[i] + xn[i])
				return false;
	return true;
}

/* SIGKILL every child of the calling thread but except (0: none);
 * returns how many (rlw_kids.c). */
int rlw_kill_children(pid_t except);

#endif
