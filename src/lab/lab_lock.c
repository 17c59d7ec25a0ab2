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
	pthread_mutex_t mutex;   /* BOARD_LOCK_MUTEX: process-shared, robust */
	_Atomic uint32_t spin;   /* BOARD_LOCK_SPIN: 0 free, 1 held */
	sem_t sem;               /* BOARD_LOCK_SEM: process-shared, value 1 */
};

struct lab_lock *
lab_lock_new(struct lab *lab, const char *name, enum board_lock_kind kind)
{
	struct lab_lock *l = lab_shared_alloc(lab, sizeof *l);
	pthread_mutexattr_t ma;

	l->lab = lab;
	l->kind = kind;
	l->idx = board_lock_add(lab->board, name, kind);
	if (l->idx < 0)
		lab_die(lab, "too many locks (at most %d)", BOARD_MAX_LOCKS);
	snprintf(l->lock_label, sizeof l->lock_label, "lock %s", name);
	snprintf(l->unlock_label, sizeof l->unlock_label, "unlock %s", name);
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
		if (sem_init(&l->sem, 1, 1) < 0)
			lab_die(lab, "sem_init:");
		atomic_store(&lab->board->lock[l->idx].value, 1);
		break;
	default:
		break;
	}
	return l;
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
	atomic_fetch_add_explicit(&bl->acquisitions, 1, memory_order_relaxed);
	if (l->kind == BOARD_LOCK_SEM)
		atomic_store(&bl->value, 0);
	lab_set_state(w, BOARD_ST_CRITICAL);
	board_event_put(w->actor, BOARD_EV_LOCK_ACQUIRE, (uint32_t)l->idx, 0);
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
	t0 = board_now_ns();
	atomic_fetch_add(&bl->waiters, 1);
	atomic_store(&a->wait_timed, dlp != NULL);
	atomic_store(&a->wait_lock, (uint32_t)l->idx + 1);
	lab_set_state(w, BOARD_ST_WAIT_LOCK);
	board_event_put(a, BOARD_EV_LOCK_WAIT, (uint32_t)l->idx, 0);
	r = take(l, dlp);
	atomic_fetch_add_explicit(&bl->wait_ns, board_now_ns() - t0,
	                          memory_order_relaxed);
	atomic_store(&a->wait_lock, 0);
	atomic_store(&a->wait_timed, 0);
	atomic_fetch_sub(&bl->waiters, 1);
	if (r < 0) {
		lab_set_state(w, BOARD_ST_RUNNING);
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

void
lab_unlock_at(struct lab_worker *w, struct lab_lock *l, unsigned line)
{
	struct board_lock *bl = &w->lab->board->lock[l->idx];

	lab_probe(w, &l->unlock_id, l->unlock_label, line, 0, 0);
	/* Clear the holder before letting go: after the release another
	 * worker may already have set itself. */
	atomic_store(&bl->holder, -1);
	board_event_put(w->actor, BOARD_EV_LOCK_RELEASE, (uint32_t)l->idx, 0);
	lab_set_state(w, BOARD_ST_RUNNING);
	switch (l->kind) {
	case BOARD_LOCK_MUTEX:
		pthread_mutex_unlock(&l->mutex);
		break;
	case BOARD_LOCK_SPIN:
		atomic_store_explicit(&l->spin, 0, memory_order_release);
		break;
	case BOARD_LOCK_SEM:
		atomic_store(&bl->value, 1);
		sem_post(&l->sem);
		break;
	default:
		break;
	}
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
			h = atomic_load(&m->lock[l - 1].holder);
			if (h <= 0 || (uint32_t)h >= n)
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
