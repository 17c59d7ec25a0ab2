// librlwatch.so: the pthread and process calls of an unmodified program,
// interposed (the library is LD_PRELOADed, so its definitions come first;
// each finds libc's with dlsym(RTLD_NEXT)).  Each call is a scheduling
// point.  In a free run (no schedule) they only pass through and publish.
//
// In a scheduled run the waits are the model's: a thread waiting on a
// condition variable, a semaphore, a barrier or a join sleeps on its
// baton, and the real call is made only once the model says it returns at
// once (the mutex is free, the permit is there, the thread has ended).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rlw_lib.h"
#include "../lab/lab_warm.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PC ((uintptr_t)__builtin_return_address(0))

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *,
                                  void *(*)(void *), void *);
static int (*real_pthread_join)(pthread_t, void **);
static void (*real_pthread_exit)(void *) __attribute__((noreturn));
static int (*real_pthread_mutex_lock)(pthread_mutex_t *);
static int (*real_pthread_mutex_trylock)(pthread_mutex_t *);
static int (*real_pthread_mutex_unlock)(pthread_mutex_t *);
static int (*real_pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_pthread_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *,
                                          const struct timespec *);
static int (*real_pthread_cond_signal)(pthread_cond_t *);
static int (*real_pthread_cond_broadcast)(pthread_cond_t *);
static int (*real_pthread_mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
static int (*real_pthread_mutex_clocklock)(pthread_mutex_t *, clockid_t,
                                           const struct timespec *);
static int (*real_pthread_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
                                          const struct timespec *);
static int (*real_pthread_spin_lock)(pthread_spinlock_t *);
static int (*real_pthread_spin_trylock)(pthread_spinlock_t *);
static int (*real_pthread_spin_unlock)(pthread_spinlock_t *);
static int (*real_sem_wait)(sem_t *);
static int (*real_sem_timedwait)(sem_t *, const struct timespec *);
static int (*real_sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
static int (*real_sem_trywait)(sem_t *);
static int (*real_sem_post)(sem_t *);
static int (*real_pthread_rwlock_rdlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_wrlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_tryrdlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_trywrlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_unlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
static int (*real_pthread_rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
static int (*real_pthread_rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t,
                                              const struct timespec *);
static int (*real_pthread_rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t,
                                              const struct timespec *);
static int (*real_pthread_barrier_wait)(pthread_barrier_t *);
static pid_t (*real_fork)(void);
static pid_t (*real_wait)(int *);
static pid_t (*real_waitpid)(pid_t, int *, int);
static void (*real_exit)(int) __attribute__((noreturn));
static void (*real__exit)(int) __attribute__((noreturn));

/* A free run under the shell: the calls are published and, in the
 * shell's step mode, stop at the worker's gate. */
static bool
on_board(void)
{
	return rlw_reg && rlw_reg->mode == RLW_FREE && !rlw_inside && rlw_me > 0 &&
	       !rlw_exiting && rlw_board_on();
}

/* ---- threads -------------------------------------------------------- */

struct tramp {
	void *(*fn)(void *);
	void *arg;
	int no;
};

/* pc: pthread_exit's caller (0: the start routine returned: no line). */
static void
thread_end(uintptr_t pc)
{
	if (on_board()) {
		rlw_free_point(RLW_OP_THREAD_EXIT, 0, 0, 0, pc);
		rlw_board_done(rlw_me, 0);
		rlw_free_ended();
		rlw_me = 0;
		return;
	}
	if (!rlw_active())
		return;
	rlw_point(RLW_OP_THREAD_EXIT, 0, 0, 0, pc);
	rlw_board_done(rlw_me, 0);
	rlw_leave();
	rlw_me = 0; /* what runs after (TLS destructors) passes through */
}

static void *
trampoline(void *p)
{
	struct tramp t = *(struct tramp *)p;
	void *r;

	free(p);
	rlw_me = t.no;
	if (rlw_reg && t.no > 0) {
		struct rlw_worker *w = &rlw_reg->w[t.no];

		atomic_store(&w->pid, getpid());
		atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
		rlw_thread_init();
		rlw_board_actor(t.no);
		if (rlw_reg->mode != RLW_FREE)
			rlw_wait_baton();
		else if (!rlw_tsan && on_board()) /* its start is a step, as pick() has it */
			rlw_free_point(RLW_OP_START, 0, 0, 0, w->pc);
	}
	r = t.fn(t.arg);
	thread_end(0);
	return r;
}

/* Is p on the calling thread's stack (between this frame and the
 * stack's top)?  Without reading /proc/self/maps (a third of a short
 * run): main's top is where its stack began, __libc_stack_end; another
 * thread's, from its descriptor. */
extern void *__libc_stack_end;

static bool
on_own_stack(const void *p)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)__builtin_frame_address(0), hi = 0;

	if (rlw_stack_hi)
		return a >= rlw_stack_lo && a < rlw_stack_hi;
	if (getpid() == (pid_t)syscall(SYS_gettid)) {
		hi = (uintptr_t)__libc_stack_end;
	} else {
		pthread_attr_t at;
		void *l;
		size_t n;

		rlw_inside++;
		if (pthread_getattr_np(pthread_self(), &at) == 0) {
			if (pthread_attr_getstack(&at, &l, &n) == 0)
				hi = (uintptr_t)l + n;
			pthread_attr_destroy(&at);
		}
		rlw_inside--;
	}
	return a >= lo && a < hi;
}

RLW_API int
pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
               void *arg)
{
	struct tramp *t;
	int no = 0, r;

	if (!rlw_reg || rlw_inside || rlw_me <= 0 || rlw_exiting)
		return REAL(pthread_create)(th, attr, fn, arg);
	if (rlw_reg->mode != RLW_FREE) {
		rlw_point(RLW_OP_CREATE, 0, 0, 0, PC);
		no = rlw_reg->w[rlw_me].result;
	} else {
		if (on_board())
			rlw_free_point(RLW_OP_CREATE, 0, 0, 0, PC);
		/* A free run numbers its workers as they start, too. */
		no = (int)atomic_fetch_add((_Atomic uint32_t *)&rlw_reg->nworkers, 1) + 1;
		if (no > RLW_MAX_WORKERS)
			no = 0;
		else
			rlw_reg->w[no].aspace = rlw_reg->w[rlw_me].aspace;
		rlw_free_born();
	}
	if (no > 0) {
		rlw_reg->w[no].start_fn = (uintptr_t)fn;
		rlw_reg->w[no].pc = (uintptr_t)fn + 1; /* its start: the function */
	}
	t = malloc(sizeof *t);
	if (!t)
		return EAGAIN;
	*t = (struct tramp){ fn, arg, no };
	rlw_inside++;
	r = REAL(pthread_create)(th, attr, trampoline, t);
	rlw_inside--;
	if (r == 0 && no > 0) {
		rlw_reg->w[no].thread = (uint64_t)*th;
		if (rlw_reg->mode != RLW_FREE)
			rlw_first_stretch(no),
			rlw_created(no, on_own_stack(th), PC);
	}
	else if (r != 0 && no > 0 && rlw_reg->mode != RLW_FREE) {
		/* The model has a worker that will never run. */
		rlw_reg->w[no].state = RLW_W_DONE;
		rlw_reg->nlive--;
		free(t);
	} else if (r != 0 && rlw_reg->mode == RLW_FREE) {
		rlw_free_ended();
		free(t);
	}
	return r;
}

/* A blocking call the board cannot see into (a join, a wait for a
 * child, a barrier, a busy rwlock): parked while in it, which the shell
 * counts as settled. */
#define PARKED(call)                                                           \
	({                                                                     \
		__typeof__(call) r_;                                           \
		rlw_board_parked(rlw_me, true);                                \
		r_ = (call);                                                   \
		rlw_board_parked(rlw_me, false);                               \
		r_;                                                            \
	})

RLW_API int
pthread_join(pthread_t th, void **ret)
{
	if (on_board()) {
		rlw_free_point(RLW_OP_JOIN, 0, 0, (int64_t)th, PC);
		return PARKED(REAL(pthread_join)(th, ret));
	}
	if (rlw_active()) {
		rlw_point(RLW_OP_JOIN, 0, 0, (int64_t)th, PC);
		if (rlw_reg->w[rlw_me].result == EINVAL)
			return EINVAL;
	}
	return REAL(pthread_join)(th, ret);
}

/* The try and timed joins (GNU): a join in the model that does not wait
 * for the thread's end (it times out rather than wait for a thread the
 * schedule does not run, as timedlock does). */
static int
join_try(pthread_t th, void **ret, int busy, uintptr_t pc)
{
	struct rlw_worker *w = &rlw_reg->w[rlw_me];

	w->timed = 1;
	rlw_point(RLW_OP_JOIN, 0, 0, (int64_t)th, pc);
	w->timed = 0;
	if (w->result == EINVAL)
		return EINVAL;
	if (w->result)
		return busy;
	return REAL(pthread_join)(th, ret);
}

RLW_API int
pthread_tryjoin_np(pthread_t th, void **ret)
{
	static int (*real_pthread_tryjoin_np)(pthread_t, void **);

	if (rlw_active())
		return join_try(th, ret, EBUSY, PC);
	return REAL(pthread_tryjoin_np)(th, ret);
}

RLW_API int
pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *ts)
{
	static int (*real_pthread_timedjoin_np)(pthread_t, void **, const struct timespec *);

	if (rlw_active())
		return join_try(th, ret, ETIMEDOUT, PC);
	return REAL(pthread_timedjoin_np)(th, ret, ts);
}

RLW_API int
pthread_clockjoin_np(pthread_t th, void **ret, clockid_t clk, const struct timespec *ts)
{
	static int (*real_pthread_clockjoin_np)(pthread_t, void **, clockid_t,
	                                        const struct timespec *);

	if (rlw_active())
		return join_try(th, ret, ETIMEDOUT, PC);
	return REAL(pthread_clockjoin_np)(th, ret, clk, ts);
}

RLW_API void
pthread_exit(void *ret)
{
	thread_end(PC);
	REAL(pthread_exit)(ret);
}

/* ---- mutexes -------------------------------------------------------- */

/* The blocking take of a mutex: ts for a timed one, with clock clk (-1:
 * the timedlock form, CLOCK_REALTIME). */
static int
mutex_take(pthread_mutex_t *m, const struct timespec *ts, int clk)
{
	if (!ts)
		return REAL(pthread_mutex_lock)(m);
	return clk < 0 ? REAL(pthread_mutex_timedlock)(m, ts)
	               : REAL(pthread_mutex_clocklock)(m, (clockid_t)clk, ts);
}

/* Free, under the shell: a mutex or a spin lock (kind) taken at once,
 * else (block) waited for on the board, a timed wait (ts) marked so. */
static int
board_lock(void *l, enum board_lock_kind kind, bool block, const struct timespec *ts,
           int clk, uintptr_t pc)
{
	bool spin = kind == BOARD_LOCK_SPIN;
	int idx = rlw_board_lock_index((uintptr_t)l, kind), r;

	rlw_free_point(block ? RLW_OP_LOCK : RLW_OP_TRYLOCK, (uintptr_t)l, 0, 0, pc);
	r = spin ? REAL(pthread_spin_trylock)(l) : REAL(pthread_mutex_trylock)(l);
	if (r == EBUSY && block) {
		rlw_board_wait(rlw_me, idx, -1, ts != NULL);
		r = spin ? REAL(pthread_spin_lock)(l) : mutex_take(l, ts, clk);
		rlw_board_waited(rlw_me, idx, r == 0 || r == EOWNERDEAD);
	}
	if (r == EOWNERDEAD) /* a robust mutex: taken from a dead holder */
		rlw_board_owner_died(idx);
	if (r == 0 || r == EOWNERDEAD)
		rlw_board_taken(rlw_me, idx);
	return r;
}

static void
board_unlock(void *l, enum board_lock_kind kind, uintptr_t pc)
{
	rlw_free_point(RLW_OP_UNLOCK, (uintptr_t)l, 0, 0, pc);
	rlw_board_released(rlw_me, rlw_board_lock_index((uintptr_t)l, kind));
}

RLW_API int
pthread_mutex_lock(pthread_mutex_t *m)
{
	if (on_board())
		return board_lock(m, BOARD_LOCK_MUTEX, true, NULL, -1, PC);
	if (rlw_active()) {
		rlw_obj((uintptr_t)m, RLW_O_MUTEX);
		rlw_point(RLW_OP_LOCK, (uintptr_t)m, 0, 0, PC);
	}
	return REAL(pthread_mutex_lock)(m);
}

RLW_API int
pthread_mutex_trylock(pthread_mutex_t *m)
{
	if (on_board())
		return board_lock(m, BOARD_LOCK_MUTEX, false, NULL, -1, PC);
	if (rlw_active()) {
		rlw_obj((uintptr_t)m, RLW_O_MUTEX);
		rlw_point(RLW_OP_TRYLOCK, (uintptr_t)m, 0, 0, PC);
		if (rlw_reg->w[rlw_me].result)
			return EBUSY;
	}
	return REAL(pthread_mutex_trylock)(m);
}

RLW_API int
pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (on_board()) {
		board_unlock(m, BOARD_LOCK_MUTEX, PC);
		return REAL(pthread_mutex_unlock)(m);
	}
	if (rlw_active()) {
		rlw_obj((uintptr_t)m, RLW_O_MUTEX);
		rlw_point(RLW_OP_UNLOCK, (uintptr_t)m, 0, 0, PC);
	}
	return REAL(pthread_mutex_unlock)(m);
}

/* A mutex's lock with a timeout: a trylock that may wait, in the model
 * (it times out rather than wait for a holder that the schedule does
 * not run). */
RLW_API int
pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts)
{
	if (on_board())
		return board_lock(m, BOARD_LOCK_MUTEX, true, ts, -1, PC);
	if (rlw_active()) {
		rlw_obj((uintptr_t)m, RLW_O_MUTEX);
		rlw_point(RLW_OP_TRYLOCK, (uintptr_t)m, 0, 0, PC);
		if (rlw_reg->w[rlw_me].result)
			return ETIMEDOUT;
		return REAL(pthread_mutex_trylock)(m);
	}
	return REAL(pthread_mutex_timedlock)(m, ts);
}

/* The same with a clock (glibc 2.30): the clock does not matter in the
 * model, which never waits for time. */
RLW_API int
pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *ts)
{
	if (on_board())
		return board_lock(m, BOARD_LOCK_MUTEX, true, ts, (int)clk, PC);
	if (rlw_active()) {
		rlw_obj((uintptr_t)m, RLW_O_MUTEX);
		rlw_point(RLW_OP_TRYLOCK, (uintptr_t)m, 0, 0, PC);
		if (rlw_reg->w[rlw_me].result)
			return ETIMEDOUT;
		return REAL(pthread_mutex_trylock)(m);
	}
	return REAL(pthread_mutex_clocklock)(m, clk, ts);
}

/* pthread_once: glibc makes the second caller wait on a futex in the
 * once word while the first runs init, a wait the scheduler cannot see
 * (the second would block holding the baton).  In the model the once
 * word is a mutex held across the real call: the second caller waits
 * for it in the model, and finds init done when it gets it. */
RLW_API int
pthread_once(pthread_once_t *once, void (*init)(void))
{
	static int (*real_pthread_once)(pthread_once_t *, void (*)(void));
	int r;

	if (!rlw_active())
		return REAL(pthread_once)(once, init);
	rlw_obj((uintptr_t)once, RLW_O_ONCE);
	rlw_point(RLW_OP_LOCK, (uintptr_t)once, 0, 0, PC);
	r = REAL(pthread_once)(once, init);
	rlw_point(RLW_OP_UNLOCK, (uintptr_t)once, 0, 0, PC);
	return r;
}

/* Spin locks, modelled as mutexes (a spinner would spin for ever on one
 * whose holder the schedule has parked).  Under the shell the spinner
 * really spins (glibc's loop), marked waiting on the board. */
RLW_API int
pthread_spin_lock(pthread_spinlock_t *l)
{
	if (on_board())
		return board_lock((void *)l, BOARD_LOCK_SPIN, true, NULL, -1, PC);
	if (rlw_active()) {
		rlw_obj((uintptr_t)l, RLW_O_SPIN);
		rlw_point(RLW_OP_LOCK, (uintptr_t)l, 0, 0, PC);
	}
	return REAL(pthread_spin_lock)(l);
}

RLW_API int
pthread_spin_trylock(pthread_spinlock_t *l)
{
	if (on_board())
		return board_lock((void *)l, BOARD_LOCK_SPIN, false, NULL, -1, PC);
	if (rlw_active()) {
		rlw_obj((uintptr_t)l, RLW_O_SPIN);
		rlw_point(RLW_OP_TRYLOCK, (uintptr_t)l, 0, 0, PC);
		if (rlw_reg->w[rlw_me].result)
			return EBUSY;
	}
	return REAL(pthread_spin_trylock)(l);
}

RLW_API int
pthread_spin_unlock(pthread_spinlock_t *l)
{
	if (on_board())
		board_unlock((void *)l, BOARD_LOCK_SPIN, PC);
	else if (rlw_active()) {
		rlw_obj((uintptr_t)l, RLW_O_SPIN);
		rlw_point(RLW_OP_UNLOCK, (uintptr_t)l, 0, 0, PC);
	}
	return REAL(pthread_spin_unlock)(l);
}

/* ---- condition variables ------------------------------------------- */

static int
cond_wait(pthread_cond_t *c, pthread_mutex_t *m, bool timed, uintptr_t pc)
{
	struct rlw_worker *w = &rlw_reg->w[rlw_me];

	rlw_obj((uintptr_t)c, RLW_O_COND);
	rlw_obj((uintptr_t)m, RLW_O_MUTEX);
	rlw_point(RLW_OP_COND_WAIT, (uintptr_t)c, (uintptr_t)m, 0, pc);
	REAL(pthread_mutex_unlock)(m);
	w->timed = timed;
	rlw_point(RLW_OP_COND_RELOCK, (uintptr_t)c, (uintptr_t)m, 0, pc);
	w->timed = 0;
	REAL(pthread_mutex_lock)(m);
	return w->result;
}

/* Free, under the shell: the wait as the lab's condvars show it (ts: a
 * timed wait, with clock clk; -1 the timedwait form). */
static int
board_cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts,
                int clk, uintptr_t pc)
{
	int ci = rlw_board_lock_index((uintptr_t)c, BOARD_LOCK_COND);
	int mi = rlw_board_lock_index((uintptr_t)m, BOARD_LOCK_MUTEX), r;

	rlw_free_point(RLW_OP_COND_WAIT, (uintptr_t)c, (uintptr_t)m, 0, pc);
	rlw_board_released(rlw_me, mi);
	rlw_board_wait(rlw_me, ci, mi, ts != NULL);
	r = !ts     ? REAL(pthread_cond_wait)(c, m)
	    : clk < 0 ? REAL(pthread_cond_timedwait)(c, m, ts)
	              : REAL(pthread_cond_clockwait)(c, m, (clockid_t)clk, ts);
	rlw_board_waited(rlw_me, ci, true);
	rlw_board_woken(ci);
	rlw_board_taken(rlw_me, mi);
	return r;
}

RLW_API int
pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (on_board())
		return board_cond_wait(c, m, NULL, -1, PC);
	if (rlw_active())
		return cond_wait(c, m, false, PC);
	return REAL(pthread_cond_wait)(c, m);
}

RLW_API int
pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                       const struct timespec *ts)
{
	if (on_board())
		return board_cond_wait(c, m, ts, -1, PC);
	if (rlw_active())
		return cond_wait(c, m, true, PC);
	return REAL(pthread_cond_timedwait)(c, m, ts);
}

RLW_API int
pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                       const struct timespec *ts)
{
	if (on_board())
		return board_cond_wait(c, m, ts, (int)clk, PC);
	if (rlw_active())
		return cond_wait(c, m, true, PC);
	return REAL(pthread_cond_clockwait)(c, m, clk, ts);
}

RLW_API int
pthread_cond_signal(pthread_cond_t *c)
{
	if (on_board()) {
		rlw_free_point(RLW_OP_COND_SIGNAL, (uintptr_t)c, 0, 0, PC);
		rlw_board_signal(rlw_board_lock_index((uintptr_t)c, BOARD_LOCK_COND), false);
	} else if (rlw_active()) {
		rlw_obj((uintptr_t)c, RLW_O_COND);
		rlw_point(RLW_OP_COND_SIGNAL, (uintptr_t)c, 0, 0, PC);
		return 0; /* nobody sleeps on the real one */
	}
	return REAL(pthread_cond_signal)(c);
}

RLW_API int
pthread_cond_broadcast(pthread_cond_t *c)
{
	if (on_board()) {
		rlw_free_point(RLW_OP_COND_BROADCAST, (uintptr_t)c, 0, 0, PC);
		rlw_board_signal(rlw_board_lock_index((uintptr_t)c, BOARD_LOCK_COND), true);
	} else if (rlw_active()) {
		rlw_obj((uintptr_t)c, RLW_O_COND);
		rlw_point(RLW_OP_COND_BROADCAST, (uintptr_t)c, 0, 0, PC);
		return 0;
	}
	return REAL(pthread_cond_broadcast)(c);
}

/* ---- semaphores ----------------------------------------------------- */

static int
sem_op(sem_t *s, enum rlw_op op, bool timed, uintptr_t pc)
{
	struct rlw_worker *w = &rlw_reg->w[rlw_me];

	rlw_obj((uintptr_t)s, RLW_O_SEM);
	w->timed = timed;
	rlw_point(op, (uintptr_t)s, 0, 0, pc);
	w->timed = 0;
	if (w->result) {
		errno = w->result;
		return -1;
	}
	/* The model took the permit: the real one is there (trywait does
	 * not block, whatever else holds the page). */
	return REAL(sem_trywait)(s);
}

/* Free, under the shell: an empty semaphore is waited for on the board
 * (ts: a timed wait, with clock clk; -1 the sem_timedwait form). */
static int
board_sem(sem_t *s, enum rlw_op op, const struct timespec *ts, int clk, uintptr_t pc)
{
	int idx = rlw_board_lock_index((uintptr_t)s, BOARD_LOCK_SEM), r;

	rlw_free_point(op, (uintptr_t)s, 0, 0, pc);
	if (op == RLW_OP_SEM_POST) {
		rlw_board_released(rlw_me, idx);
		rlw_board_sem_post(idx);
		r = REAL(sem_post)(s);
	} else {
		r = REAL(sem_trywait)(s);
		if (r != 0 && errno == EAGAIN && op == RLW_OP_SEM_WAIT) {
			rlw_board_wait(rlw_me, idx, -1, ts != NULL);
			r = !ts     ? REAL(sem_wait)(s)
			    : clk < 0 ? REAL(sem_timedwait)(s, ts)
			              : REAL(sem_clockwait)(s, (clockid_t)clk, ts);
			rlw_board_waited(rlw_me, idx, r == 0);
		}
		if (r == 0)
			rlw_board_taken(rlw_me, idx);
	}
	rlw_board_sem_value(idx, (uintptr_t)s);
	return r;
}

RLW_API int
sem_wait(sem_t *s)
{
	if (on_board())
		return board_sem(s, RLW_OP_SEM_WAIT, NULL, -1, PC);
	if (rlw_active())
		return sem_op(s, RLW_OP_SEM_WAIT, false, PC);
	return REAL(sem_wait)(s);
}

RLW_API int
sem_timedwait(sem_t *s, const struct timespec *ts)
{
	if (on_board())
		return board_sem(s, RLW_OP_SEM_WAIT, ts, -1, PC);
	if (rlw_active())
		return sem_op(s, RLW_OP_SEM_WAIT, true, PC);
	return REAL(sem_timedwait)(s, ts);
}

RLW_API int
sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *ts)
{
	if (on_board())
		return board_sem(s, RLW_OP_SEM_WAIT, ts, (int)clk, PC);
	if (rlw_active())
		return sem_op(s, RLW_OP_SEM_WAIT, true, PC);
	return REAL(sem_clockwait)(s, clk, ts);
}

RLW_API int
sem_trywait(sem_t *s)
{
	if (on_board())
		return board_sem(s, RLW_OP_SEM_TRYWAIT, NULL, -1, PC);
	if (rlw_active())
		return sem_op(s, RLW_OP_SEM_TRYWAIT, false, PC);
	return REAL(sem_trywait)(s);
}

RLW_API int
sem_post(sem_t *s)
{
	if (on_board())
		return board_sem(s, RLW_OP_SEM_POST, NULL, -1, PC);
	if (rlw_active()) {
		rlw_obj((uintptr_t)s, RLW_O_SEM);
		rlw_point(RLW_OP_SEM_POST, (uintptr_t)s, 0, 0, PC);
	}
	return REAL(sem_post)(s);
}

/* ---- rwlocks and barriers ------------------------------------------- */

static int
rw_op(pthread_rwlock_t *l, enum rlw_op op, uintptr_t pc)
{
	rlw_obj((uintptr_t)l, RLW_O_RWLOCK);
	rlw_point(op, (uintptr_t)l, 0, 0, pc);
	return rlw_reg->w[rlw_me].result;
}

/* The blocking take of an rwlock: ts for a timed one, with clock clk
 * (-1: the timed form). */
static int
rw_take(pthread_rwlock_t *l, bool wr, const struct timespec *ts, int clk)
{
	if (!ts)
		return wr ? REAL(pthread_rwlock_wrlock)(l) : REAL(pthread_rwlock_rdlock)(l);
	if (clk < 0)
		return wr ? REAL(pthread_rwlock_timedwrlock)(l, ts)
		          : REAL(pthread_rwlock_timedrdlock)(l, ts);
	return wr ? REAL(pthread_rwlock_clockwrlock)(l, (clockid_t)clk, ts)
	          : REAL(pthread_rwlock_clockrdlock)(l, (clockid_t)clk, ts);
}

/* Free, under the shell: a busy rwlock is waited for on the board, with
 * its readers and writer (block: rdlock/wrlock, else a try; ts: a timed
 * wait, with clock clk). */
static int
board_rw(pthread_rwlock_t *l, uint32_t how, bool block, const struct timespec *ts, int clk,
         uintptr_t pc)
{
	int idx = rlw_board_lock_index((uintptr_t)l, BOARD_LOCK_RWLOCK), r;
	bool wr = how == BOARD_WAIT_WRITE;

	rlw_free_point(block ? wr ? RLW_OP_WRLOCK : RLW_OP_RDLOCK
	                     : wr ? RLW_OP_TRYWRLOCK : RLW_OP_TRYRDLOCK,
	               (uintptr_t)l, 0, 0, pc);
	r = wr ? REAL(pthread_rwlock_trywrlock)(l) : REAL(pthread_rwlock_tryrdlock)(l);
	if (r == 0 || !block) {
		if (r == 0)
			rlw_board_rw_taken(rlw_me, idx, how, false);
		return r;
	}
	if (idx < 0) /* not on the board (its locks are all in use) */
		return ts ? rw_take(l, wr, ts, clk) : PARKED(rw_take(l, wr, ts, clk));
	rlw_board_rw_wait(rlw_me, idx, how, ts != NULL);
	r = rw_take(l, wr, ts, clk);
	if (r == 0)
		rlw_board_rw_taken(rlw_me, idx, how, true);
	else
		rlw_board_waited(rlw_me, idx, false);
	return r;
}

RLW_API int
pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (on_board())
		return board_rw(l, BOARD_WAIT_READ, true, NULL, -1, PC);
	if (rlw_active())
		rw_op(l, RLW_OP_RDLOCK, PC);
	return REAL(pthread_rwlock_rdlock)(l);
}

RLW_API int
pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (on_board())
		return board_rw(l, BOARD_WAIT_WRITE, true, NULL, -1, PC);
	if (rlw_active())
		rw_op(l, RLW_OP_WRLOCK, PC);
	return REAL(pthread_rwlock_wrlock)(l);
}

RLW_API int
pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	if (on_board())
		return board_rw(l, BOARD_WAIT_READ, false, NULL, -1, PC);
	if (rlw_active() && rw_op(l, RLW_OP_TRYRDLOCK, PC))
		return EBUSY;
	return REAL(pthread_rwlock_tryrdlock)(l);
}

RLW_API int
pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	if (on_board())
		return board_rw(l, BOARD_WAIT_WRITE, false, NULL, -1, PC);
	if (rlw_active() && rw_op(l, RLW_OP_TRYWRLOCK, PC))
		return EBUSY;
	return REAL(pthread_rwlock_trywrlock)(l);
}

/* The timed rwlock calls: a try in the model (it times out rather than
 * wait for a holder the schedule does not run), as timedlock does. */
static int
rw_timed(pthread_rwlock_t *l, enum rlw_op op, uintptr_t pc)
{
	if (rw_op(l, op, pc))
		return ETIMEDOUT;
	return op == RLW_OP_TRYRDLOCK ? REAL(pthread_rwlock_tryrdlock)(l) :
	                                REAL(pthread_rwlock_trywrlock)(l);
}

RLW_API int
pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *ts)
{
	if (on_board())
		return board_rw(l, BOARD_WAIT_READ, true, ts, -1, PC);
	if (rlw_active())
		return rw_timed(l, RLW_OP_TRYRDLOCK, PC);
	return REAL(pthread_rwlock_timedrdlock)(l, ts);
}

RLW_API int
pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *ts)
{
	if (on_board())
		return board_rw(l, BOARD_WAIT_WRITE, true, ts, -1, PC);
	if (rlw_active())
		return rw_timed(l, RLW_OP_TRYWRLOCK, PC);
	return REAL(pthread_rwlock_timedwrlock)(l, ts);
}

RLW_API int
pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *ts)
{
	if (on_board())
		return board_rw(l, BOARD_WAIT_READ, true, ts, (int)clk, PC);
	if (rlw_active())
		return rw_timed(l, RLW_OP_TRYRDLOCK, PC);
	return REAL(pthread_rwlock_clockrdlock)(l, clk, ts);
}

RLW_API int
pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *ts)
{
	if (on_board())
		return board_rw(l, BOARD_WAIT_WRITE, true, ts, (int)clk, PC);
	if (rlw_active())
		return rw_timed(l, RLW_OP_TRYWRLOCK, PC);
	return REAL(pthread_rwlock_clockwrlock)(l, clk, ts);
}

RLW_API int
pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	if (on_board()) {
		rlw_free_point(RLW_OP_RWUNLOCK, (uintptr_t)l, 0, 0, PC);
		rlw_board_rw_released(rlw_me,
		                      rlw_board_lock_index((uintptr_t)l, BOARD_LOCK_RWLOCK));
	} else if (rlw_active())
		rw_op(l, RLW_OP_RWUNLOCK, PC);
	return REAL(pthread_rwlock_unlock)(l);
}

RLW_API int
pthread_barrier_wait(pthread_barrier_t *b)
{
	if (on_board()) {
		int idx = rlw_board_lock_index((uintptr_t)b, BOARD_LOCK_BARRIER), r;
		bool last;

		rlw_free_point(RLW_OP_BARRIER, (uintptr_t)b, 0, 0, PC);
		if (idx < 0)
			return PARKED(REAL(pthread_barrier_wait)(b));
		last = rlw_board_barrier_arrive(rlw_me, idx, (uintptr_t)b);
		r = REAL(pthread_barrier_wait)(b);
		rlw_board_barrier_left(rlw_me, idx, last);
		return r;
	}
	if (rlw_active()) {
		struct rlw_obj *o = rlw_obj((uintptr_t)b, RLW_O_BARRIER);

		rlw_point(RLW_OP_BARRIER, (uintptr_t)b, 0, 0, PC);
		if (rlw_reg->w[rlw_me].result)
			return PTHREAD_BARRIER_SERIAL_THREAD;
		if (o)
			rlw_point(RLW_OP_BARRIER_LEAVE, (uintptr_t)b, 0, 0, PC);
		return 0; /* nobody waits on the real one */
	}
	return REAL(pthread_barrier_wait)(b);
}

/* ---- init and destroy ----------------------------------------------
 * The model follows the real object: an init makes its record again (a
 * barrier's count, a semaphore's value, a mutex's kind), and an init or
 * destroy of an object that is held or waited for ends the run as the
 * misuse it is (POSIX leaves it undefined; glibc lets it pass and the
 * lock is silently free).  Objects first seen without their init (a
 * constructor's, before the library took charge) are read from the real
 * object (rlw_sched.c). */
static bool
model_on(void)
{
	return rlw_reg && rlw_me > 0 && !rlw_inside && rlw_reg->mode != RLW_FREE &&
	       !rlw_exiting;
}

#define INIT_HOOK(ret, name, kind, destroy, decl, args, obj)                   \
	RLW_API ret name decl                                                  \
	{                                                                      \
		static ret (*real_##name) decl;                                \
		ret r_;                                                        \
                                                                               \
		if (!model_on())                                               \
			return REAL(name) args;                                \
		rlw_obj_check((uintptr_t)(obj), kind, destroy, PC);            \
		r_ = REAL(name) args;                                          \
		rlw_obj_renew((uintptr_t)(obj), kind);                         \
		return r_;                                                     \
	}

INIT_HOOK(int, pthread_mutex_init, RLW_O_MUTEX, false,
          (pthread_mutex_t *m, const pthread_mutexattr_t *a), (m, a), m)
INIT_HOOK(int, pthread_mutex_destroy, RLW_O_MUTEX, true, (pthread_mutex_t *m), (m), m)
INIT_HOOK(int, pthread_cond_init, RLW_O_COND, false,
          (pthread_cond_t *c, const pthread_condattr_t *a), (c, a), c)
INIT_HOOK(int, pthread_cond_destroy, RLW_O_COND, true, (pthread_cond_t *c), (c), c)
INIT_HOOK(int, sem_init, RLW_O_SEM, false, (sem_t *s, int shared, unsigned v),
          (s, shared, v), s)
INIT_HOOK(int, sem_destroy, RLW_O_SEM, true, (sem_t *s), (s), s)
INIT_HOOK(int, pthread_rwlock_init, RLW_O_RWLOCK, false,
          (pthread_rwlock_t *l, const pthread_rwlockattr_t *a), (l, a), l)
INIT_HOOK(int, pthread_rwlock_destroy, RLW_O_RWLOCK, true, (pthread_rwlock_t *l), (l), l)
INIT_HOOK(int, pthread_barrier_init, RLW_O_BARRIER, false,
          (pthread_barrier_t *b, const pthread_barrierattr_t *a, unsigned n), (b, a, n), b)
INIT_HOOK(int, pthread_barrier_destroy, RLW_O_BARRIER, true, (pthread_barrier_t *b), (b), b)
INIT_HOOK(int, pthread_spin_init, RLW_O_SPIN, false, (pthread_spinlock_t *l, int shared),
          (l, shared), l)
INIT_HOOK(int, pthread_spin_destroy, RLW_O_SPIN, true, (pthread_spinlock_t *l), (l), l)

/* ---- sleeps and yields ----------------------------------------------
 * A program that sleeps or yields "to let the others run" (to make a race
 * likely) says where it expects a switch: a scheduling point.  In a
 * scheduled run the sleep itself is left out: time does not decide who
 * runs there, the schedule does. */

RLW_API int
sched_yield(void)
{
	static int (*real_sched_yield)(void);

	if (on_board())
		rlw_free_point(RLW_OP_YIELD, 0, 0, 0, PC);
	if (rlw_active()) {
		rlw_point(RLW_OP_YIELD, 0, 0, 0, PC);
		return 0;
	}
	return REAL(sched_yield)();
}

RLW_API int
usleep(useconds_t us)
{
	static int (*real_usleep)(useconds_t);

	if (on_board())
		rlw_free_point(RLW_OP_YIELD, 0, 0, 0, PC);
	if (rlw_active()) {
		rlw_point(RLW_OP_YIELD, 0, 0, 0, PC);
		return 0;
	}
	return REAL(usleep)(us);
}

RLW_API unsigned
sleep(unsigned s)
{
	static unsigned (*real_sleep)(unsigned);

	if (on_board())
		rlw_free_point(RLW_OP_YIELD, 0, 0, 0, PC);
	if (rlw_active()) {
		rlw_point(RLW_OP_YIELD, 0, 0, 0, PC);
		return 0;
	}
	return REAL(sleep)(s);
}

RLW_API int
nanosleep(const struct timespec *ts, struct timespec *rem)
{
	static int (*real_nanosleep)(const struct timespec *, struct timespec *);

	if (on_board())
		rlw_free_point(RLW_OP_YIELD, 0, 0, 0, PC);
	if (rlw_active()) {
		rlw_point(RLW_OP_YIELD, 0, 0, 0, PC);
		return 0;
	}
	return REAL(nanosleep)(ts, rem);
}

/* ---- output (.c programs) ---------------------------------------------
 * Output is shared: two threads' lines come out in the order they were
 * written.  In a .c program, whose memory accesses are the points, the
 * stdio calls are writes of their stream (fd 1 and 2: of stdout and
 * stderr), so the explorer orders them as it orders stores. */
#include <stdarg.h>

static void
out_point(FILE *f, uintptr_t pc)
{
	if (rlw_tsan && rlw_active() && rlw_reg->nlive > 1)
		rlw_point(RLW_OP_WRITE, (uintptr_t)f, 0, 1, pc);
	else if (rlw_tsan && on_board()) /* the shell's steps are the explorer's */
		rlw_free_point(RLW_OP_WRITE, (uintptr_t)f, 0, 0, pc);
}

static int (*real_vfprintf)(FILE *, const char *, va_list);
static int (*real_fputs)(const char *, FILE *);
static int (*real_puts)(const char *);
static int (*real_fputc)(int, FILE *);
static int (*real_putchar)(int);
static size_t (*real_fwrite)(const void *, size_t, size_t, FILE *);
static ssize_t (*real_write)(int, const void *, size_t);

RLW_API int
vfprintf(FILE *f, const char *fmt, va_list ap)
{
	out_point(f, PC);
	return REAL(vfprintf)(f, fmt, ap);
}

RLW_API int
vprintf(const char *fmt, va_list ap)
{
	out_point(stdout, PC);
	return REAL(vfprintf)(stdout, fmt, ap);
}

RLW_API int
printf(const char *fmt, ...)
{
	va_list ap;
	int r;

	out_point(stdout, PC);
	va_start(ap, fmt);
	r = REAL(vfprintf)(stdout, fmt, ap);
	va_end(ap);
	return r;
}

RLW_API int
fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	out_point(f, PC);
	va_start(ap, fmt);
	r = REAL(vfprintf)(f, fmt, ap);
	va_end(ap);
	return r;
}

RLW_API int
puts(const char *str)
{
	out_point(stdout, PC);
	return REAL(puts)(str);
}

RLW_API int
fputs(const char *str, FILE *f)
{
	out_point(f, PC);
	return REAL(fputs)(str, f);
}

RLW_API int
putchar(int c)
{
	out_point(stdout, PC);
	return REAL(putchar)(c);
}

RLW_API int
fputc(int c, FILE *f)
{
	out_point(f, PC);
	return REAL(fputc)(c, f);
}

RLW_API int
putc(int c, FILE *f)
{
	out_point(f, PC);
	return REAL(fputc)(c, f);
}

RLW_API size_t
fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	out_point(f, PC);
	return REAL(fwrite)(p, size, n, f);
}

RLW_API ssize_t
write(int fd, const void *p, size_t n)
{
	if (fd == 1 || fd == 2)
		out_point(fd == 1 ? stdout : stderr, PC);
	return REAL(write)(fd, p, n);
}

/* ---- processes ------------------------------------------------------ */

RLW_API pid_t
fork(void)
{
	pid_t pid;
	int no = 0;

	if (!rlw_reg || rlw_inside || rlw_me <= 0 || rlw_exiting)
		return REAL(fork)();
	if (rlw_reg->mode != RLW_FREE) {
		rlw_point(RLW_OP_FORK, 0, 0, 0, PC);
		no = rlw_reg->w[rlw_me].result;
	} else {
		if (on_board())
			rlw_free_point(RLW_OP_FORK, 0, 0, 0, PC);
		/* The cap of processes holds in a free run too (root is not
		 * held by RLIMIT_NPROC). */
		if (atomic_fetch_add((_Atomic uint32_t *)&rlw_reg->nprocs, 1) + 1 >=
		    RLW_MAX_PROCESSES) {
			atomic_fetch_sub((_Atomic uint32_t *)&rlw_reg->nprocs, 1);
			errno = EAGAIN;
			return -1;
		}
		no = (int)atomic_fetch_add((_Atomic uint32_t *)&rlw_reg->nworkers, 1) + 1;
		if (no > RLW_MAX_WORKERS) {
			no = 0;
		} else {
			rlw_reg->w[no].process = 1;
			rlw_reg->w[no].aspace = (uint32_t)no;
		}
		rlw_free_born();
	}
	if (no > 0)
		rlw_reg->w[no].start_fn = rlw_reg->w[no].pc = PC;
	fflush(NULL); /* what the parent printed, once, not twice */
	{
		bool main_thread = getpid() == (pid_t)syscall(SYS_gettid);

		pid = REAL(fork)();
		/* A child of a process's main thread dies with it (when the
		 * thread that forked ends, PR_SET_PDEATHSIG fires: only the
		 * main thread's end is the process's), so nothing outlives
		 * racelab-watch. */
		if (pid == 0 && main_thread)
			prctl(PR_SET_PDEATHSIG, SIGKILL);
	}
	if (pid == 0) {
		rlw_me = no;
		if (no > 0) {
			struct rlw_worker *w = &rlw_reg->w[no];

			atomic_store(&w->pid, getpid());
			atomic_store(&w->tid, getpid());
			rlw_thread_init();
			rlw_board_actor(no);
			if (rlw_reg->mode != RLW_FREE)
				rlw_wait_baton();
			else if (!rlw_tsan && on_board()) /* as a thread's start */
				rlw_free_point(RLW_OP_START, 0, 0, 0, w->pc);
		}
		return 0;
	}
	if (no > 0 && pid > 0) {
		atomic_store(&rlw_reg->w[no].pid, pid);
		if (rlw_reg->mode != RLW_FREE)
			rlw_first_stretch(no), rlw_created(no, false, PC);
	}
	else if (no > 0 && rlw_reg->mode != RLW_FREE) {
		rlw_reg->w[no].state = RLW_W_DONE;
		rlw_reg->nlive--;
		rlw_reg->w[no].reaped = 1;
	} else if (pid < 0 && rlw_reg->mode == RLW_FREE) {
		atomic_fetch_sub((_Atomic uint32_t *)&rlw_reg->nprocs, 1);
		rlw_free_ended();
	}
	return pid;
}

/* A wait the model has granted: the child it names (or none). */
static pid_t
wait_granted(pid_t pid, int *st, int options, uintptr_t pc)
{
	struct rlw_worker *w = &rlw_reg->w[rlw_me];
	int z;

	if (options & WNOHANG) {
		/* Not a blocking wait: the point, then the real call. */
		rlw_point(RLW_OP_START, 0, 0, 0, pc);
		return REAL(waitpid)(pid, st, options);
	}
	rlw_point(RLW_OP_WAIT, 0, 0, pid, pc);
	z = w->result;
	if (z <= 0) { /* no child that it waits for */
		errno = ECHILD;
		return -1;
	}
	/* The model's child has made its exit call; the kernel's zombie
	 * follows at once. */
	return REAL(waitpid)(atomic_load(&rlw_reg->w[z].pid), st, options & ~WNOHANG);
}

RLW_API pid_t
wait(int *st)
{
	if (on_board()) {
		int z = 0;
		pid_t p;

		rlw_free_point(RLW_OP_WAIT, 0, 0, -1, PC);
		p = PARKED(REAL(waitpid)(-1, &z, 0));
		rlw_board_reaped(p, z);
		if (st && p > 0)
			*st = z;
		return p;
	}
	if (rlw_active())
		return wait_granted(-1, st, 0, PC);
	return REAL(wait)(st);
}

RLW_API pid_t
waitpid(pid_t pid, int *st, int options)
{
	if (on_board()) {
		int z = 0;
		pid_t p;

		rlw_free_point(RLW_OP_WAIT, 0, 0, pid, PC);
		p = options & WNOHANG ? REAL(waitpid)(pid, &z, options)
		                      : PARKED(REAL(waitpid)(pid, &z, options));
		rlw_board_reaped(p, z); /* a stopped child: neither exited nor killed */
		if (st && p > 0)
			*st = z;
		return p;
	}
	if (rlw_active() && pid >= -1)
		return wait_granted(pid, st, options, PC);
	return REAL(waitpid)(pid, st, options);
}

static void
process_end(int code, bool flush, uintptr_t pc)
{
	if (on_board()) {
		rlw_free_point(RLW_OP_EXIT, 0, 0, code, pc);
		rlw_board_done(rlw_me, code);
		rlw_exiting = true;
		rlw_free_ended();
		return;
	}
	if (!rlw_active())
		return;
	rlw_point(RLW_OP_EXIT, 0, 0, code, pc);
	if (flush)
		fflush(NULL); /* its output before the next worker's */
	rlw_reg->w[rlw_reg->w[rlw_me].aspace].status = code;
	rlw_board_done(rlw_me, code);
	rlw_exiting = true;
	rlw_leave();
}

RLW_API void
exit(int code)
{
	process_end(code, true, PC);
	REAL(exit)(code);
}

RLW_API void
_exit(int code)
{
	process_end(code, false, PC);
	REAL(_exit)(code);
}

/* A child process killed by a fault (an assert, a bad pointer): its
 * parent may be waiting for it, so it hands the baton on as it dies.
 * The main process's fault ends the run: nothing to hand on. */
static void
fault(int sig)
{
	if (rlw_reg && rlw_me > 0 && !rlw_exiting && rlw_reg->mode != RLW_FREE &&
	    rlw_reg->w[rlw_me].aspace != 1) {
		struct rlw_region *r = rlw_reg;
		uint32_t as = r->w[rlw_me].aspace;

		rlw_exiting = true;
		for (uint32_t i = 1; i <= r->nworkers; i++)
			if (r->w[i].aspace == as && r->w[i].state == RLW_W_LIVE) {
				r->w[i].state = RLW_W_DONE;
				r->nlive--;
			}
		r->w[as].status = -sig;
		rlw_leave();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- start ---------------------------------------------------------- */

typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

static int
wrap_main(int argc, char **argv, char **envp)
{
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };

	rlw_start();
	if (rlw_reg && rlw_reg->mode != RLW_FREE)
		for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
			signal(sigs[i], fault);
	exit(real_main(argc, argv, envp));
}

/* The program's own main is called from here, after every constructor:
 * the moment to become a fork server, or worker 1. */
RLW_API int __libc_start_main(main_fn main, int argc, char **argv,
                              void (*init)(void), void (*fini)(void),
                              void (*rtld_fini)(void), void *stack_end);
int
__libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                  void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	int (*real)(main_fn, int, char **, void (*)(void), void (*)(void),
	            void (*)(void), void *) =
		(__typeof__(real))dlsym(RTLD_NEXT, "__libc_start_main");

	real_main = main;
	return real(wrap_main, argc, argv, init, fini, rtld_fini, stack_end);
}

/* ---- the region and the fork server -------------------------------- */

static bool
read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static void
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		n -= (size_t)r;
	}
}

/* Kill and reap whatever the run left (the server is their subreaper). */
static void
reap_all(void)
{
	for (;;) {
		rlw_kill_children(0);
		if (REAL(waitpid)(-1, NULL, 0) < 0 && errno == ECHILD)
			return;
	}
}

/* The fork server's page tables, warmed for its runs (lab_warm.c): the
 * code every run runs is the program's, the C library's, the dynamic
 * linker's and this library's.  On tests/watch/twenty: 77 faults a run
 * before, 44 after (the rest: copies of written pages, the two threads'
 * stacks). */
/* The C libraries this one pulled in for the debug info (and its
 * atomics), by name: each has one destructor, the compiler's
 * __do_global_dtors_aux (a DT_FINI_ARRAY of one entry, checked here; so
 * in Debian 12's elfutils 0.188, zlib, xz, bzip2 and libatomic: readelf
 * -d), which calls __cxa_finalize for the library (C: no handler of
 * theirs) and sets a "done" byte in its data.  At every run's exit that
 * write was a copy-on-write fault a library (6 of a run's 46 on
 * twenty.c).  Run once in the server, the byte is set before the fork
 * and a run's exit only reads it. */
static const char *const dw_libs[] = {
	"libdw.", "libdw-", "libelf.", "libelf-", "libz.", "liblzma.", "libbz2.", "libatomic.",
};

static int
dw_fini_once(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *base = strrchr(info->dlpi_name, '/');
	const uintptr_t *arr;
	uintptr_t fini;
	size_t narr;
	bool ours = false;

	(void)size;
	(void)arg;
	base = base ? base + 1 : info->dlpi_name;
	for (size_t i = 0; i < sizeof dw_libs / sizeof *dw_libs; i++)
		ours |= strncmp(base, dw_libs[i], strlen(dw_libs[i])) == 0;
	if (!ours)
		return 0;
	lab_obj_fini(info, &fini, &arr, &narr);
	if (narr == 1)
		((void (*)(void))arr[0])();
	return 0;
}

static void
warm_code_maps(void)
{
	const uintptr_t code[] = {
		(uintptr_t)real_main, (uintptr_t)rlw_start, (uintptr_t)REAL(fork),
		(uintptr_t)dlsym(RTLD_DEFAULT, "__tls_get_addr"), /* ld.so's */
	};

	dl_iterate_phdr(dw_fini_once, NULL);
	lab_warm_code(code, sizeof code / sizeof *code);
}

/* The threads a run made in its first process: the stacks of the
 * default size (the program's, unless it asks for others) the server
 * keeps in glibc's cache for the next runs, made by the real
 * pthread_create after a run that made more than it holds.  Not more:
 * glibc links its cached stacks through their descriptors, and a run's
 * pthread_create and thread exits write into the neighbours' too (four
 * cached for twenty's two threads: three copy-on-write faults a run
 * more). */
static int
run_threads(const struct rlw_region *r)
{
	int n = 0;

	for (uint32_t i = 2; i <= r->nworkers && i <= RLW_MAX_WORKERS; i++)
		n += !r->w[i].process && r->w[i].aspace == r->w[1].aspace;
	return n;
}

/* The fork server (as AFL's): wait for the go on ctl (the schedule
 * prefix is in the region), fork, let the child go on into main under
 * it; its pid into the region, its wait status onto rep.  The exec, the
 * dynamic linking and the constructors happen once for every run. */
static void
serve(int ctl, int rep)
{
	struct rlw_region *r = rlw_reg;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* One malloc arena: a run's threads take turns (one runs at a
	 * time), and a new arena per thread (a 64 MiB reservation, its
	 * mprotect and page faults, unmapped at exit) was a tenth of a
	 * short run's cost. */
	mallopt(M_ARENA_MAX, 1);
	warm_code_maps();
	for (int stacks = 0;;) {
		uint32_t n;
		int32_t msg[2];
		pid_t pid;
		int st = 0;

		/* The go: the prefix's length; the prefix is in the region. */
		if (!read_all(ctl, &n, sizeof n) || n > RLW_MAX_SCHED || n != r->nsched)
			REAL(_exit)(0);
		rlw_reset_run(r);
		fflush(NULL);
		pid = REAL(fork)();
		if (pid == 0) {
			close(ctl);
			close(rep);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			prctl(PR_SET_CHILD_SUBREAPER, 0);
			return;
		}
		atomic_store(&r->run_pid, pid);
		while (REAL(waitpid)(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (r->nprocs > 1 || r->mode == RLW_FREE) /* its children too */
			reap_all();
		if (run_threads(r) > stacks) {
			stacks = run_threads(r);
			rlw_inside++;
			lab_warm_stacks(0, 0, stacks);
			rlw_inside--;
		}
		msg[0] = 'X';
		msg[1] = st;
		write_all(rep, msg, sizeof msg);
	}
}

void
rlw_start(void)
{
	const char *e = getenv(RLW_ENV_FD), *srv = getenv(RLW_ENV_SERVER);
	int fd = e ? atoi(e) : -1;
	struct rlw_region *r;
	struct rlw_worker *w;

	if (fd < 0)
		return;
	r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	unsetenv(RLW_ENV_FD); /* a program it execs is not watched */
	if (r == MAP_FAILED || r->magic != RLW_MAGIC || r->version != RLW_VERSION ||
	    r->size != sizeof *r) {
		fprintf(stderr, "racelab-watch: the library does not match racelab-watch\n");
		REAL(_exit)(2);
	}
	rlw_reg = r;
	/* Once, before any fork server's fork: reading the main thread's
	 * stack from /proc/self/maps is a third of a short run. */
	rlw_me = 1;
	rlw_thread_init();
	if (srv) {
		int ctl = -1, rep = -1, bound = 0;

		sscanf(srv, "%d,%d,%d", &ctl, &rep, &bound);
		unsetenv(RLW_ENV_SERVER);
		if (bound) /* racelab-watch's LD_BIND_NOW: not the program's */
			unsetenv("LD_BIND_NOW");
		rlw_names_warm(); /* the debug info, read once for every run */
		rlw_real_warm();
		serve(ctl, rep);
	}
	rlw_me = 1;
	w = &r->w[1];
	memset(w, 0, sizeof *w);
	w->state = RLW_W_LIVE;
	w->process = 1;
	w->aspace = 1;
	w->op = RLW_OP_START;
	w->start_fn = (uintptr_t)real_main;
	atomic_store(&w->pid, getpid());
	atomic_store(&w->tid, getpid());
	r->nworkers = 1;
	r->nlive = 1;
	r->nprocs = 1;
	rlw_board_init();
	rlw_board_actor(1);
	/* Under the shell its Output panel is the program's terminal: a
	 * line shows when it is written, as in a terminal (stdout is a pipe
	 * here, which stdio fills up first), so a stepped printf is seen. */
	if (rlw_board_on())
		setvbuf(stdout, NULL, _IOLBF, 0);
}

void
rlw_thread_init(void)
{
	pthread_attr_t a;
	void *lo;
	size_t n;

	if (!rlw_tsan) /* the bounds serve a .c program's accesses only */
		return;
	rlw_inside++;
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		if (pthread_attr_getstack(&a, &lo, &n) == 0) {
			rlw_stack_lo = (uintptr_t)lo;
			rlw_stack_hi = (uintptr_t)lo + n;
		}
		pthread_attr_destroy(&a);
	}
	rlw_inside--;
}
