// The lab runtime: instrumented, process-shared locks and deadlock finding.
#include "lab.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Lives in shared memory (lab_shared_alloc), so process workers forked
 * after lab_lock_new use the very same primitive. */
struct lab_lock {
	struct lab *lab;
	int idx;                 /* its record on the board */
	enum board_lock_kind kind;
	_Atomic uint32_t lock_id, unlock_id; /* probe labels "lock m" ... */
	char lock_label[BOARD_LABEL_LEN], unlock_label[BOARD_LABEL_LEN];
	_Atomic uint32_t wlock_id; /* rwlock: "write-lock m" */
	char wlock_label[BOARD_LABEL_LEN];
	pthread_mutex_t mutex;   /* BOARD_LOCK_MUTEX: process-shared, robust */
	_Atomic uint32_t spin;   /* BOARD_LOCK_SPIN: 0 free, 1 held */
	sem_t sem;               /* BOARD_LOCK_SEM: process-shared */
	pthread_rwlock_t rw;     /* BOARD_LOCK_RWLOCK: process-shared */
	pthread_barrier_t bar;   /* BOARD_LOCK_BARRIER: process-shared */
	unsigned count;          /* barrier: workers per phase */
};

/* A condition variable: process-shared, in shared memory like a lock.
 * The waiters sleep on cv with the private mutex im, not with the
 * lesson's mutex: im is held only for a few instructions (never across a
 * probe), so a woken waiter leaves the wait at once and then takes the
 * lesson's mutex again with lab_lock, a step of its own.  In step mode
 * the schedule decides who gets the mutex first, the woken waiter or a
 * worker that comes in from outside: the Mesa semantics the condvars
 * lesson plays with. */
struct lab_cond {
	struct lab *lab;
	int idx;
	_Atomic uint32_t wait_id;
	char wait_label[BOARD_LABEL_LEN];
	pthread_mutex_t im;
	pthread_cond_t cv;
};

static void
rwlock_init(struct lab_lock *l, const char *name, int prefer)
{
	struct board_lock *bl = &l->lab->board->lock[l->idx];
	pthread_rwlockattr_t ra;
	int e;

	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
	/* Not PTHREAD_RWLOCK_PREFER_WRITER_NP: glibc treats that one like
	 * reader preference; only the NONRECURSIVE kind keeps readers out. */
	pthread_rwlockattr_setkind_np(&ra, prefer == LAB_RW_PREFER_WRITER
	                              ? PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
	                              : prefer == LAB_RW_PREFER_WRITER_NP
	                              ? PTHREAD_RWLOCK_PREFER_WRITER_NP
	                              : PTHREAD_RWLOCK_PREFER_READER_NP);
	e = pthread_rwlock_init(&l->rw, &ra);
	pthread_rwlockattr_destroy(&ra);
	if (e)
		lab_die(l->lab, "cannot set up rwlock %s", name);
	atomic_store(&bl->readers, 0);
	atomic_store(&bl->wwait, 0);
	atomic_store(&bl->prefer_writer, prefer == LAB_RW_PREFER_WRITER);
	snprintf(l->lock_label, sizeof l->lock_label, "read-lock %s", name);
	snprintf(l->wlock_label, sizeof l->wlock_label, "write-lock %s", name);
}

static struct lab_lock *
lock_new(struct lab *lab, const char *name, enum board_lock_kind kind,
         unsigned permits)
{
	struct lab_lock *l = lab_shared_alloc(lab, sizeof *l);
	pthread_mutexattr_t ma;
	pthread_barrierattr_t ba;
	bool sem = kind == BOARD_LOCK_SEM;

	l->lab = lab;
	l->kind = kind;
	l->idx = board_lock_add(lab->board, name, kind);
	if (l->idx < 0)
		lab_die(lab, "too many locks (at most %d)", BOARD_MAX_LOCKS);
	snprintf(l->lock_label, sizeof l->lock_label, "%s %s",
	         sem ? "wait for" : "lock", name);
	snprintf(l->unlock_label, sizeof l->unlock_label, "%s %s",
	         sem ? "post" : "unlock", name);
	switch (kind) {
	case BOARD_LOCK_MUTEX:
		pthread_mutexattr_init(&ma);
		pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		/* Robust: a process worker killed while holding it does not
		 * hang the others forever; the next owner is told. */
		pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&l->mutex, &ma);
		pthread_mutexattr_destroy(&ma);
		break;
	case BOARD_LOCK_SEM:
		if (sem_init(&l->sem, 1, permits) < 0)
			lab_die(lab, "sem_init:");
		atomic_store(&lab->board->lock[l->idx].value, (int32_t)permits);
		atomic_store(&lab->board->lock[l->idx].permits, (int32_t)permits);
		break;
	case BOARD_LOCK_RWLOCK:
		rwlock_init(l, name, (int)permits);
		break;
	case BOARD_LOCK_BARRIER:
		pthread_barrierattr_init(&ba);
		pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
		if (pthread_barrier_init(&l->bar, &ba, permits))
			lab_die(lab, "cannot set up barrier %s", name);
		pthread_barrierattr_destroy(&ba);
		l->count = permits;
		snprintf(l->lock_label, sizeof l->lock_label, "wait at %s", name);
		atomic_store(&lab->board->lock[l->idx].value, 0);
		atomic_store(&lab->board->lock[l->idx].permits, (int32_t)permits);
		atomic_store(&lab->board->lock[l->idx].phase, 0);
		break;
	default:
		break;
	}
	return l;
}

struct lab_lock *
lab_lock_new(struct lab *lab, const char *name, enum board_lock_kind kind)
{
	if (kind == BOARD_LOCK_BARRIER)
		lab_die(lab, "barrier %s: make it with lab_barrier_new", name);
	if (kind == BOARD_LOCK_COND)
		lab_die(lab, "condition variable %s: make it with lab_cond_new", name);
	return lock_new(lab, name, kind,
	                kind == BOARD_LOCK_RWLOCK ? LAB_RW_PREFER_READER : 1);
}

struct lab_lock *
lab_barrier_new(struct lab *lab, const char *name, unsigned count)
{
	if (count < 1 || count > BOARD_MAX_WORKERS)
		lab_die(lab, "barrier %s: count %u (1..%d)", name, count,
		        BOARD_MAX_WORKERS);
	return lock_new(lab, name, BOARD_LOCK_BARRIER, count);
}

struct lab_lock *
lab_rwlock_new(struct lab *lab, const char *name, int prefer)
{
	if (prefer != LAB_RW_PREFER_READER && prefer != LAB_RW_PREFER_WRITER &&
	    prefer != LAB_RW_PREFER_WRITER_NP)
		lab_die(lab, "rwlock %s: prefer is LAB_RW_PREFER_READER, "
		        "LAB_RW_PREFER_WRITER or LAB_RW_PREFER_WRITER_NP, not %d",
		        name, prefer);
	return lock_new(lab, name, BOARD_LOCK_RWLOCK, (unsigned)prefer);
}

struct lab_lock *
lab_sem_new(struct lab *lab, const char *name, unsigned permits)
{
	/* 0 permits: a signal, posted before anyone may pass (Tanenbaum's
	 * philosophers, the Little Book's signalling pattern, lesson 18). */
	if (permits > 1000000)
		lab_die(lab, "semaphore %s: %u permits (0..1000000)", name, permits);
	return lock_new(lab, name, BOARD_LOCK_SEM, permits);
}

void
lab_sem_reset(struct lab_lock *l)
{
	struct board_lock *bl = &l->lab->board->lock[l->idx];
	int32_t permits = atomic_load(&bl->permits);

	if (l->kind != BOARD_LOCK_SEM)
		lab_die(l->lab, "lab_sem_reset: %s is not a semaphore", bl->name);
	while (sem_trywait(&l->sem) == 0)
		;
	for (int32_t i = 0; i < permits; i++)
		sem_post(&l->sem);
	atomic_store(&bl->value, permits);
	atomic_store(&bl->holder, -1);
}

int
lab_lock_index(const struct lab_lock *l)
{
	return l->idx;
}

static void
mutex_fix(struct lab_lock *l, int e)
{
	if (e == EOWNERDEAD)
		pthread_mutex_consistent(&l->mutex);
}

/* 0 when taken at once, -1 when it is busy. */
static int
try_take(struct lab_lock *l)
{
	int e;

	switch (l->kind) {
	case BOARD_LOCK_MUTEX:
		e = pthread_mutex_trylock(&l->mutex);
		mutex_fix(l, e);
		return e == 0 || e == EOWNERDEAD ? 0 : -1;
	case BOARD_LOCK_SPIN:
		return atomic_exchange_explicit(&l->spin, 1, memory_order_acquire) ? -1 : 0;
	case BOARD_LOCK_SEM:
		return sem_trywait(&l->sem) == 0 ? 0 : -1;
	default:
		return 0;
	}
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void
spin_take(struct lab_lock *l, const struct timespec *deadline, int *timed_out)
{
	for (unsigned n = 0;; n++) {
		if (!atomic_load_explicit(&l->spin, memory_order_relaxed) &&
		    !atomic_exchange_explicit(&l->spin, 1, memory_order_acquire))
			return;
		/* Spin politely; on one core the holder cannot run while we
		 * spin, so give the CPU away now and then. */
		if ((n & 63) == 63)
			sched_yield();
		else
			cpu_relax();
		if (deadline && (n & 1023) == 1023) {
			struct timespec now;

			clock_gettime(CLOCK_REALTIME, &now);
			if (now.tv_sec > deadline->tv_sec ||
			    (now.tv_sec == deadline->tv_sec &&
			     now.tv_nsec >= deadline->tv_nsec)) {
				*timed_out = 1;
				return;
			}
		}
	}
}

/* Blocking take; with a deadline, returns -1 when it passes. */
static int
take(struct lab_lock *l, const struct timespec *deadline)
{
	int e, timed_out = 0;

	switch (l->kind) {
	case BOARD_LOCK_MUTEX:
		e = deadline ? pthread_mutex_timedlock(&l->mutex, deadline)
		             : pthread_mutex_lock(&l->mutex);
		mutex_fix(l, e);
		return e == 0 || e == EOWNERDEAD ? 0 : -1;
	case BOARD_LOCK_SPIN:
		spin_take(l, deadline, &timed_out);
		return timed_out ? -1 : 0;
	case BOARD_LOCK_SEM:
		do
			e = deadline ? sem_timedwait(&l->sem, deadline)
			             : sem_wait(&l->sem);
		while (e < 0 && errno == EINTR);
		return e;
	default:
		return 0;
	}
}

static void
mark_taken(struct lab_worker *w, struct lab_lock *l)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];

	atomic_store(&bl->holder, w->no);
	atomic_fetch_or(&w->actor->held, 1u << l->idx);
	atomic_fetch_add_explicit(&bl->acquisitions, 1, memory_order_relaxed);
	/* Per worker, so fairness shows: written by this actor alone. */
	atomic_store_explicit(&w->actor->acquired[l->idx],
	                      atomic_load_explicit(&w->actor->acquired[l->idx],
	                                           memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	if (l->kind == BOARD_LOCK_SEM)
		atomic_fetch_sub(&bl->value, 1);
	atomic_store_explicit(&w->actor->state, BOARD_ST_CRITICAL,
	                      memory_order_relaxed);
	board_event_put(w->actor, BOARD_EV_LOCK_ACQUIRE, (uint32_t)l->idx, 0);
}

/* A worker starts waiting for l; moves_alone: the wait ends by itself (a
 * timeout, a spin), so it is never settled nor part of a deadlock. */
static uint64_t
mark_wait(struct lab_worker *w, struct lab_lock *l, bool moves_alone)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];
	struct board_actor *a = w->actor;
	uint64_t t0 = board_now_ns();

	atomic_fetch_add(&bl->waiters, 1);
	atomic_store(&a->wait_timed, moves_alone);
	atomic_store(&a->wait_lock, (uint32_t)l->idx + 1);
	atomic_store_explicit(&a->state, BOARD_ST_WAIT_LOCK, memory_order_release);
	board_event_put(a, BOARD_EV_LOCK_WAIT, (uint32_t)l->idx, 0);
	return t0;
}

/* The wait that began at t0 is over (taken or given up). */
static void
mark_waited(struct lab_worker *w, struct lab_lock *l, uint64_t t0)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];
	struct board_actor *a = w->actor;

	atomic_fetch_add_explicit(&bl->wait_ns, board_now_ns() - t0,
	                          memory_order_relaxed);
	atomic_store(&a->wait_lock, 0);
	atomic_store(&a->wait_timed, 0);
	atomic_fetch_sub(&bl->waiters, 1);
}

/* The common path of lock, trylock and timedlock. */
static int
acquire(struct lab_worker *w, struct lab_lock *l, bool wait,
        uint64_t timeout_ns, unsigned line)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];
	struct board_actor *a = w->actor;
	struct timespec dl, *dlp = NULL;
	uint64_t t0;
	int r;

	if (l->kind == BOARD_LOCK_RWLOCK || l->kind == BOARD_LOCK_BARRIER)
		lab_die(w->lab, "%s %s: use lab_%s", board_lock_kind_name(l->kind),
		        bl->name, l->kind == BOARD_LOCK_RWLOCK ? "rdlock or lab_wrlock"
		                                               : "barrier_wait");
	lab_probe(w, &l->lock_id, l->lock_label, line, 0, 0);
	if (try_take(l) == 0) {
		mark_taken(w, l);
		return 0;
	}
	if (!wait)
		return -1;
	if (timeout_ns) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += (time_t)(timeout_ns / 1000000000u);
		dl.tv_nsec += (long)(timeout_ns % 1000000000u);
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		dlp = &dl;
	}
	t0 = mark_wait(w, l, dlp != NULL);
	r = take(l, dlp);
	mark_waited(w, l, t0);
	if (r < 0) {
		lab_set_state(w, atomic_load(&a->held) ? BOARD_ST_CRITICAL
		                                       : BOARD_ST_RUNNING);
		return -1;
	}
	atomic_fetch_add_explicit(&bl->contended, 1, memory_order_relaxed);
	mark_taken(w, l);
	return 0;
}

void
lab_lock_at(struct lab_worker *w, struct lab_lock *l, unsigned line)
{
	acquire(w, l, true, 0, line);
}

int
lab_trylock_at(struct lab_worker *w, struct lab_lock *l, unsigned line)
{
	return acquire(w, l, false, 0, line);
}

int
lab_timedlock_at(struct lab_worker *w, struct lab_lock *l, uint64_t timeout_ns,
                 unsigned line)
{
	return acquire(w, l, true, timeout_ns ? timeout_ns : 1, line);
}

static void
mark_released(struct lab_worker *w, struct lab_lock *l)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];

	/* Clear the holder before letting go: after the release another
	 * worker may already have set itself. */
	if (l->kind != BOARD_LOCK_SEM || atomic_load(&bl->holder) == w->no)
		atomic_store(&bl->holder, -1);
	/* A post by a worker that took no permit (the Little Book's last
	 * reader out of a lightswitch, a signal) gives back another's: one
	 * holder fewer, or the board shows two holders of one permit. */
	if (l->kind == BOARD_LOCK_SEM && !(atomic_load(&w->actor->held) & (1u << l->idx))) {
		struct board *b = w->lab->board;
		uint32_t n = atomic_load(&b->nactors);

		for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++)
			if (atomic_fetch_and(&b->actor[i].held, ~(1u << l->idx)) & (1u << l->idx))
				break;
	}
	atomic_fetch_and(&w->actor->held, ~(1u << l->idx));
	/* Still in a critical section while it holds another lock. */
	atomic_store_explicit(&w->actor->state,
	                      atomic_load(&w->actor->held) ? BOARD_ST_CRITICAL
	                                                   : BOARD_ST_RUNNING,
	                      memory_order_relaxed);
	board_event_put(w->actor, BOARD_EV_LOCK_RELEASE, (uint32_t)l->idx, 0);
}

void
lab_unlock_at(struct lab_worker *w, struct lab_lock *l, unsigned line)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];

	if (l->kind == BOARD_LOCK_RWLOCK || l->kind == BOARD_LOCK_BARRIER)
		lab_die(w->lab, "%s %s: use lab_%s", board_lock_kind_name(l->kind),
		        bl->name, l->kind == BOARD_LOCK_RWLOCK ? "rwunlock" : "barrier_wait");
	lab_probe(w, &l->unlock_id, l->unlock_label, line, 0, 0);
	mark_released(w, l);
	switch (l->kind) {
	case BOARD_LOCK_MUTEX:
		pthread_mutex_unlock(&l->mutex);
		break;
	case BOARD_LOCK_SPIN:
		atomic_store_explicit(&l->spin, 0, memory_order_release);
		break;
	case BOARD_LOCK_SEM:
		/* Count the permit back before it can be taken: a waiter
		 * is never seen as settled while a permit is on its way. */
		atomic_fetch_add(&bl->value, 1);
		sem_post(&l->sem);
		break;
	default:
		break;
	}
}

struct lab_lock *
lab_lock_custom(struct lab *lab, const char *name)
{
	return lock_new(lab, name, BOARD_LOCK_CUSTOM, 1);
}

/* The board's record of a home-made lock, as lab_lock keeps its own. */
void
lab_lock_note(struct lab_worker *w, struct lab_lock *l, enum lab_note what)
{
	switch (what) {
	case LAB_NOTE_SPIN:
	case LAB_NOTE_WAIT:
		if (!atomic_load_explicit(&w->actor->wait_lock, memory_order_relaxed))
			w->wait_t0 = mark_wait(w, l, what == LAB_NOTE_SPIN);
		break;
	case LAB_NOTE_ACQUIRED:
		if (atomic_load_explicit(&w->actor->wait_lock, memory_order_relaxed)) {
			mark_waited(w, l, w->wait_t0);
			atomic_fetch_add_explicit(&w->lab->board->lock[l->idx].contended,
			                          1, memory_order_relaxed);
		}
		mark_taken(w, l);
		break;
	case LAB_NOTE_RELEASED:
		mark_released(w, l);
		break;
	}
}

struct lab_cond *
lab_cond_new(struct lab *lab, const char *name)
{
	struct lab_cond *c = lab_shared_alloc(lab, sizeof *c);
	pthread_condattr_t ca;
	pthread_mutexattr_t ma;

	c->lab = lab;
	c->idx = board_lock_add(lab->board, name, BOARD_LOCK_COND);
	if (c->idx < 0)
		lab_die(lab, "too many locks (at most %d)", BOARD_MAX_LOCKS);
	snprintf(c->wait_label, sizeof c->wait_label, "wait %s", name);
	pthread_condattr_init(&ca);
	/* Shared memory and process-shared: forked workers use it too. */
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	if (pthread_cond_init(&c->cv, &ca))
		lab_die(lab, "cannot set up condition variable %s", name);
	pthread_condattr_destroy(&ca);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&c->im, &ma);
	pthread_mutexattr_destroy(&ma);
	return c;
}

void
lab_cond_destroy(struct lab_cond *c)
{
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->im);
}

static void
im_lock(struct lab_cond *c)
{
	if (pthread_mutex_lock(&c->im) == EOWNERDEAD)
		pthread_mutex_consistent(&c->im);
}

/* The board's view of a condition variable: waiters (from the waiting
 * actors' wait_lock), and in `value` the wake-ups signalled that no
 * waiter has taken yet.  A waiter with none pending is settled: only
 * another worker's signal can move it.  The mutex m is given up for the
 * wait and taken again after it with lab_lock (a probe, "lock m").
 *
 * No wake-up is lost between "give up m" and "asleep": im is taken
 * before m is released and given up only by pthread_cond_wait, as it
 * goes to sleep, and a signaller takes im to signal. */
void
lab_cond_wait_at(struct lab_worker *w, struct lab_cond *c, struct lab_lock *m,
                 unsigned line)
{
	struct board *b = w->lab->board;
	struct board_lock *cl = &b->lock[c->idx], *ml = &b->lock[m->idx];
	struct board_actor *a = w->actor;
	uint64_t t0;
	int e;

	lab_probe(w, &c->wait_id, c->wait_label, line, 0, 0);
	if (m->kind != BOARD_LOCK_MUTEX)
		lab_die(w->lab, "lab_cond_wait on %s needs a mutex", ml->name);
	t0 = board_now_ns();
	im_lock(c);
	atomic_fetch_add(&cl->waiters, 1);
	atomic_fetch_add_explicit(&cl->contended, 1, memory_order_relaxed);
	atomic_store(&a->wait_timed, 0);
	/* No mutex to wait for once woken (wait_arg 0): the waiter leaves
	 * on its own and takes m back with lab_lock. */
	atomic_store(&a->wait_arg, 0);
	atomic_store(&a->wait_lock, (uint32_t)c->idx + 1);
	atomic_store(&ml->holder, -1);
	atomic_fetch_and(&a->held, ~(1u << m->idx));
	atomic_store_explicit(&a->state, BOARD_ST_WAIT_LOCK, memory_order_release);
	board_event_put(a, BOARD_EV_LOCK_WAIT, (uint32_t)c->idx, 0);
	board_event_put(a, BOARD_EV_LOCK_RELEASE, (uint32_t)m->idx, 0);
	pthread_mutex_unlock(&m->mutex);
	e = pthread_cond_wait(&c->cv, &c->im);
	if (e == EOWNERDEAD)
		pthread_mutex_consistent(&c->im);
	atomic_fetch_add_explicit(&cl->wait_ns, board_now_ns() - t0,
	                          memory_order_relaxed);
	atomic_store(&a->wait_lock, 0);
	atomic_store(&a->wait_arg, 0);
	atomic_fetch_sub(&cl->waiters, 1);
	{
		int32_t p = atomic_load(&cl->value);

		while (p > 0 && !atomic_compare_exchange_weak(&cl->value, &p, p - 1))
			;
	}
	atomic_fetch_add_explicit(&cl->acquisitions, 1, memory_order_relaxed);
	/* Running again (and no longer settled) before im is given up. */
	atomic_store_explicit(&a->state, BOARD_ST_RUNNING, memory_order_release);
	board_event_put(a, BOARD_EV_WOKEN, (uint32_t)c->idx, 0);
	pthread_mutex_unlock(&c->im);
	lab_lock_at(w, m, line);
}

static void
cond_wake(struct lab_worker *w, struct lab_cond *c, bool all)
{
	struct board_lock *cl = &w->lab->board->lock[c->idx];
	int32_t n, p;

	/* Under im, waiters and pending wake-ups are exact. */
	im_lock(c);
	n = (int32_t)atomic_load(&cl->waiters);

	/* Pending wake-ups: one more (at most one per waiter), or all. */
	p = atomic_load(&cl->value);
	while (p < n && !atomic_compare_exchange_weak(&cl->value, &p,
	                                              all ? n : p + 1))
		;
	if (all)
		pthread_cond_broadcast(&c->cv);
	else
		pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->im);
	board_event_put(w->actor, BOARD_EV_SIGNAL, (uint32_t)c->idx, all);
}

void
lab_cond_signal(struct lab_worker *w, struct lab_cond *c)
{
	cond_wake(w, c, false);
}

void
lab_cond_broadcast(struct lab_worker *w, struct lab_cond *c)
{
	cond_wake(w, c, true);
}

/* ---- rwlocks ------------------------------------------------------------ */

/* The waiting half of rdlock and wrlock: shown waiting (what for in
 * wait_arg) while glibc decides; a writer is also counted in wwait, which
 * keeps readers out under writer preference. */
static void
rw_wait_mark(struct lab_worker *w, struct lab_lock *l, uint32_t how)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];
	struct board_actor *a = w->actor;

	atomic_fetch_add(&bl->waiters, 1);
	if (how == BOARD_WAIT_WRITE)
		atomic_fetch_add(&bl->wwait, 1);
	atomic_store(&a->wait_timed, 0);
	atomic_store(&a->wait_arg, how);
	atomic_store(&a->wait_lock, (uint32_t)l->idx + 1);
	atomic_store_explicit(&a->state, BOARD_ST_WAIT_LOCK, memory_order_release);
	board_event_put(a, BOARD_EV_LOCK_WAIT, (uint32_t)l->idx, 0);
}

static void
rw_taken(struct lab_worker *w, struct lab_lock *l, uint32_t how, bool waited,
         uint64_t t0)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];
	struct board_actor *a = w->actor;

	/* The new holder first, then the wait ends: a reader kept out by
	 * this writer is never seen free to go in between. */
	if (how == BOARD_WAIT_WRITE)
		atomic_store(&bl->holder, w->no);
	else
		atomic_fetch_add(&bl->readers, 1);
	atomic_fetch_or(&a->held, 1u << l->idx);
	if (waited) {
		atomic_fetch_add_explicit(&bl->wait_ns, board_now_ns() - t0,
		                          memory_order_relaxed);
		atomic_store(&a->wait_lock, 0);
		atomic_store(&a->wait_arg, 0);
		if (how == BOARD_WAIT_WRITE)
			atomic_fetch_sub(&bl->wwait, 1);
		atomic_fetch_sub(&bl->waiters, 1);
		atomic_fetch_add_explicit(&bl->contended, 1, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&bl->acquisitions, 1, memory_order_relaxed);
	atomic_store_explicit(&a->state, BOARD_ST_CRITICAL, memory_order_relaxed);
	board_event_put(a, BOARD_EV_LOCK_ACQUIRE, (uint32_t)l->idx, 0);
}

static void
rw_acquire(struct lab_worker *w, struct lab_lock *l, uint32_t how, unsigned line)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];
	bool wr = how == BOARD_WAIT_WRITE;
	uint64_t t0;
	int e;

	if (l->kind != BOARD_LOCK_RWLOCK)
		lab_die(w->lab, "lab_%s on %s %s: make it with lab_rwlock_new",
		        wr ? "wrlock" : "rdlock", board_lock_kind_name(l->kind), bl->name);
	if (wr)
		lab_probe(w, &l->wlock_id, l->wlock_label, line, 0, 0);
	else
		lab_probe(w, &l->lock_id, l->lock_label, line, 0, 0);
	e = wr ? pthread_rwlock_trywrlock(&l->rw) : pthread_rwlock_tryrdlock(&l->rw);
	if (e == 0) {
		rw_taken(w, l, how, false, 0);
		return;
	}
	t0 = board_now_ns();
	rw_wait_mark(w, l, how);
	e = wr ? pthread_rwlock_wrlock(&l->rw) : pthread_rwlock_rdlock(&l->rw);
	if (e == EDEADLK)
		lab_die(w->lab, "worker %d already holds rwlock %s for writing",
		        w->no, bl->name);
	if (e)
		lab_die(w->lab, "rwlock %s: %s", bl->name, strerror(e));
	rw_taken(w, l, how, true, t0);
}

void
lab_rdlock_at(struct lab_worker *w, struct lab_lock *l, unsigned line)
{
	rw_acquire(w, l, BOARD_WAIT_READ, line);
}

void
lab_wrlock_at(struct lab_worker *w, struct lab_lock *l, unsigned line)
{
	rw_acquire(w, l, BOARD_WAIT_WRITE, line);
}

void
lab_rwunlock_at(struct lab_worker *w, struct lab_lock *l, unsigned line)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];
	struct board_actor *a = w->actor;

	if (l->kind != BOARD_LOCK_RWLOCK)
		lab_die(w->lab, "lab_rwunlock on %s %s", board_lock_kind_name(l->kind),
		        bl->name);
	lab_probe(w, &l->unlock_id, l->unlock_label, line, 0, 0);
	if (!(atomic_load(&a->held) & (1u << l->idx)))
		lab_die(w->lab, "worker %d unlocks rwlock %s, which it does not hold",
		        w->no, bl->name);
	/* The board lets go first (as lab_unlock does): a waiter is seen
	 * free to go in before it can, never blocked after it could. */
	if (atomic_load(&bl->holder) == w->no)
		atomic_store(&bl->holder, -1);
	else
		atomic_fetch_sub(&bl->readers, 1);
	atomic_fetch_and(&a->held, ~(1u << l->idx));
	atomic_store_explicit(&a->state, atomic_load(&a->held) ? BOARD_ST_CRITICAL
	                                                       : BOARD_ST_RUNNING,
	                      memory_order_relaxed);
	board_event_put(a, BOARD_EV_LOCK_RELEASE, (uint32_t)l->idx, 0);
	pthread_rwlock_unlock(&l->rw);
}

/* ---- barriers ------------------------------------------------------------- */

/* The board counts the arrivals itself (value), so that it knows, before
 * the last worker enters pthread_barrier_wait, that this phase is full:
 * the phase number goes up first, and from then on no waiter of that
 * phase is settled until it is out.  Exactly count workers arrive per
 * phase, and none of the next phase can arrive before the last of this
 * one has entered the real barrier, so the two counts agree. */
bool
lab_barrier_wait_at(struct lab_worker *w, struct lab_lock *l, unsigned line)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];
	struct board_actor *a = w->actor;
	uint32_t phase;
	uint64_t t0;
	bool last;
	int e;

	if (l->kind != BOARD_LOCK_BARRIER)
		lab_die(w->lab, "lab_barrier_wait on %s %s: make it with lab_barrier_new",
		        board_lock_kind_name(l->kind), bl->name);
	lab_probe(w, &l->lock_id, l->lock_label, line, 0, 0);
	t0 = board_now_ns();
	/* Counted in before shown waiting: a scheduler waits for the
	 * waiting state, so the order of arrivals is the order of grants. */
	phase = atomic_load(&bl->phase);
	last = (unsigned)atomic_fetch_add(&bl->value, 1) + 1 >= l->count;
	if (last) {
		atomic_store(&bl->value, 0);
		atomic_fetch_add(&bl->phase, 1);
	}
	atomic_fetch_add(&bl->waiters, 1);
	atomic_store(&a->wait_timed, 0);
	atomic_store(&a->wait_arg, phase);
	atomic_store(&a->wait_lock, (uint32_t)l->idx + 1);
	atomic_store_explicit(&a->state, BOARD_ST_WAIT_LOCK, memory_order_release);
	board_event_put(a, BOARD_EV_LOCK_WAIT, (uint32_t)l->idx, phase);
	e = pthread_barrier_wait(&l->bar);
	if (e != 0 && e != PTHREAD_BARRIER_SERIAL_THREAD)
		lab_die(w->lab, "barrier %s: %s", bl->name, strerror(e));
	atomic_fetch_add_explicit(&bl->wait_ns, board_now_ns() - t0,
	                          memory_order_relaxed);
	atomic_store(&a->wait_lock, 0);
	atomic_store(&a->wait_arg, 0);
	atomic_fetch_sub(&bl->waiters, 1);
	atomic_fetch_add_explicit(&bl->acquisitions, 1, memory_order_relaxed);
	if (!last)
		atomic_fetch_add_explicit(&bl->contended, 1, memory_order_relaxed);
	board_event_put(a, BOARD_EV_WOKEN, (uint32_t)l->idx, phase);
	board_actor_state(a, atomic_load(&a->held) ? BOARD_ST_CRITICAL
	                                           : BOARD_ST_RUNNING);
	return last;
}

static int32_t
first_holder(const struct board *b, uint32_t n, uint32_t lock, uint32_t not)
{
	for (uint32_t i = 1; i < n; i++)
		if (i != not && (atomic_load(&b->actor[i].held) & (1u << lock)))
			return (int32_t)i;
	return -1;
}

/* Follow "waits for a lock held by" from each waiting actor; a walk that
 * comes back to where it started is a cycle.  A wait with a timeout breaks
 * the cycle (it will give up by itself), so it ends the walk.  Reads are
 * racy snapshots, so callers confirm a deadlock only among settled
 * workers. */
bool
lab_find_deadlock(const struct board *b, int *cycle, int max, int *len)
{
	struct board *m = (struct board *)b;
	uint32_t n = atomic_load(&m->nactors);

	if (n > BOARD_MAX_ACTORS)
		n = BOARD_MAX_ACTORS;
	for (uint32_t start = 1; start < n; start++) {
		uint32_t cur = start;
		int steps = 0;

		while (steps <= BOARD_MAX_LOCKS) {
			const struct board_actor *a = &m->actor[cur];
			uint32_t l;
			int32_t h;

			if (atomic_load(&a->state) != BOARD_ST_WAIT_LOCK ||
			    atomic_load(&a->wait_timed))
				break;
			l = atomic_load(&a->wait_lock);
			if (!l || l > BOARD_MAX_LOCKS)
				break;
			/* A semaphore has no owner (anyone may post; its
			 * "holder" is only the last to take it): no edge. */
			if (atomic_load(&m->lock[l - 1].kind) == BOARD_LOCK_SEM)
				break;
			h = atomic_load(&m->lock[l - 1].holder);
			/* An rwlock read-held has no one holder: follow the
			 * first reader (the all-blocked test sees the rest). */
			if (h < 0 && atomic_load(&m->lock[l - 1].kind) == BOARD_LOCK_RWLOCK)
				h = first_holder(m, n, l - 1, cur);
			if (h <= 0 || (uint32_t)h >= n)
				break;
			/* A semaphore's holder is its last taker: a worker
			 * waiting on a signal semaphore it took before (each
			 * of Tanenbaum's philosophers on its own) is waiting
			 * for a post from anyone, not for itself. */
			if ((uint32_t)h == cur &&
			    atomic_load(&m->lock[l - 1].kind) == BOARD_LOCK_SEM)
				break;
			if (cycle && steps < max)
				cycle[steps] = (int)cur;
			steps++;
			cur = (uint32_t)h;
			if (cur == start) {
				if (len)
					*len = steps < max ? steps : max;
				return true;
			}
		}
	}
	return false;
}

bool
lab_all_blocked(const struct board *b)
{
	uint32_t n = atomic_load(&b->nactors);
	int waiting = 0;

	if (n > BOARD_MAX_ACTORS)
		n = BOARD_MAX_ACTORS;
	for (uint32_t i = 1; i < n; i++) {
		const struct board_actor *a = &b->actor[i];
		uint32_t s = atomic_load(&a->state);

		if (s == BOARD_ST_IDLE || s == BOARD_ST_DONE ||
		    s == BOARD_ST_FAILED || s == BOARD_ST_KILLED)
			continue;
		if (s != BOARD_ST_WAIT_LOCK || atomic_load(&a->wait_timed) ||
		    !board_actor_settled(b, i))
			return false;
		waiting++;
	}
	return waiting > 0;
}

/* "w1,w3" of the actors holding lock l, or "nobody". */
static void
holders_text(const struct board *b, uint32_t l, char *buf, size_t len)
{
	uint32_t n = atomic_load(&b->nactors);
	size_t used = 0;

	buf[0] = '\0';
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS && used < len; i++)
		if (atomic_load(&b->actor[i].held) & (1u << l))
			used += (size_t)snprintf(buf + used, len - used, "%s%u",
			                         used ? "," : "", i);
	if (!used)
		snprintf(buf, len, "nobody");
}

const char *
lab_wait_text(const struct board *b, unsigned idx, char *buf, size_t len)
{
	const struct board_actor *a;
	const struct board_lock *bl;
	char who[64];
	uint32_t l;
	int32_t h;

	buf[0] = '\0';
	if (idx >= BOARD_MAX_ACTORS)
		return buf;
	a = &b->actor[idx];
	l = atomic_load(&a->wait_lock);
	if (atomic_load(&a->state) != BOARD_ST_WAIT_LOCK || !l || l > BOARD_MAX_LOCKS)
		return buf;
	bl = &b->lock[l - 1];
	h = atomic_load(&bl->holder);
	switch (atomic_load(&bl->kind)) {
	case BOARD_LOCK_COND:
		l = atomic_load(&a->wait_arg);
		if (atomic_load(&bl->value) > 0 && l && l <= BOARD_MAX_LOCKS &&
		    atomic_load(&b->lock[l - 1].holder) >= 0)
			snprintf(buf, len, "worker %u was woken on %s and waits for mutex "
			         "%s, held by worker %d", idx, bl->name, b->lock[l - 1].name,
			         (int)atomic_load(&b->lock[l - 1].holder));
		else
			snprintf(buf, len, "worker %u waits on condition variable %s: only "
			         "another worker's signal wakes it", idx, bl->name);
		break;
	case BOARD_LOCK_SEM:
		snprintf(buf, len, "worker %u waits for semaphore %s (%d of %d permits "
		         "left): only a post releases it", idx, bl->name,
		         atomic_load(&bl->value), atomic_load(&bl->permits));
		break;
	case BOARD_LOCK_BARRIER:
		snprintf(buf, len, "worker %u waits at barrier %s (%d of %d arrived): "
		         "only the workers still to arrive release it", idx, bl->name,
		         atomic_load(&bl->value), atomic_load(&bl->permits));
		break;
	case BOARD_LOCK_RWLOCK:
		holders_text(b, l - 1, who, sizeof who);
		if (h >= 0)
			snprintf(buf, len, "worker %u waits to %s rwlock %s, written by "
			         "worker %d: only its unlock releases it", idx,
			         atomic_load(&a->wait_arg) == BOARD_WAIT_WRITE ? "write" : "read",
			         bl->name, (int)h);
		else if (atomic_load(&a->wait_arg) == BOARD_WAIT_WRITE)
			snprintf(buf, len, "worker %u waits to write rwlock %s, read by "
			         "worker%s %s: only their unlocks release it", idx, bl->name,
			         strchr(who, ',') ? "s" : "", who);
		else
			snprintf(buf, len, "worker %u waits to read rwlock %s, read by "
			         "worker%s %s: writer preference lets the %u waiting writer%s "
			         "in first", idx, bl->name, strchr(who, ',') ? "s" : "", who,
			         atomic_load(&bl->wwait), atomic_load(&bl->wwait) == 1 ? "" : "s");
		break;
	default:
		snprintf(buf, len, "worker %u is blocked on lock %s held by worker %d",
		         idx, bl->name, (int)h);
		break;
	}
	return buf;
}

/* Does the lab itself mark who holds a lock of this kind? */
static bool
lab_managed(uint32_t kind)
{
	return kind == BOARD_LOCK_MUTEX || kind == BOARD_LOCK_SPIN ||
	       kind == BOARD_LOCK_SEM || kind == BOARD_LOCK_RWLOCK;
}

int
lab_inside(const struct board *b, int lock)
{
	uint32_t n = atomic_load(&b->nactors), nl = atomic_load(&b->nlocks);
	uint32_t bit, managed = 0;
	int held = 0, marked = 0;

	if (lock < 0 || (uint32_t)lock >= nl || lock >= BOARD_MAX_LOCKS)
		return -1;
	if (n > BOARD_MAX_ACTORS)
		n = BOARD_MAX_ACTORS;
	bit = 1u << lock;
	for (uint32_t i = 0; i < nl && i < BOARD_MAX_LOCKS; i++)
		if (lab_managed(atomic_load(&b->lock[i].kind)))
			managed |= 1u << i;
	for (uint32_t i = 1; i < n; i++) {
		const struct board_actor *a = &b->actor[i];
		uint32_t s = atomic_load(&a->state), h = atomic_load(&a->held);

		if (s == BOARD_ST_IDLE || s == BOARD_ST_DONE || s == BOARD_ST_FAILED ||
		    s == BOARD_ST_KILLED)
			continue;
		held += !!(h & bit);
		/* Parked at a gate inside its critical section, it resumes
		 * in state critical: it is inside. */
		if (s == BOARD_ST_GATE)
			s = atomic_load(&a->gate_resume);
		marked += s == BOARD_ST_CRITICAL && !(h & managed);
	}
	if (held || lab_managed(atomic_load(&b->lock[lock].kind)))
		return held;
	return marked;
}
