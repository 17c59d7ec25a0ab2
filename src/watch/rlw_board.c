// librlwatch.so: the watched program on the shell's board, as a lesson
// is (under the shell only: RACELAB_BOARD_FD set).  Actor i is worker i
// (1 the main thread; actor 0 is racelab-watch itself), named by its
// start routine; locks are the program's globals by name ("big_lock");
// each scheduling point publishes its label ("lock big_lock"), line and
// source file, and in the shell's step mode parks at the actor's gate, so
// the shell's step mode drives the program as it drives a lesson.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rlw_lib.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../board/board.h"

static struct board *brd;
/* When this thread's wait on the board began (for the lock's wait time),
 * and the lock + 1 it has just waited for (0: none): its next taking of
 * that lock is a contended one, a wait that failed (a timeout) is none. */
static __thread uint64_t wait_t0;
static __thread int waited_for;
/* The read locks this thread holds on each rwlock (glibc lets a reader
 * take one again): it is one of the readers until the last is undone. */
static __thread uint32_t rd_depth[BOARD_MAX_LOCKS];

/* Address -> board lock index, for this process. */
static struct {
	uintptr_t addr;
	int idx;
} lk[BOARD_MAX_LOCKS];
static atomic_flag lk_lock = ATOMIC_FLAG_INIT;

void
rlw_board_init(void)
{
	const char *e = getenv(BOARD_ENV_FD);
	const char *why = "";

	if (!e || !*e)
		return;
	rlw_inside++;
	brd = board_attach(atoi(e), &why);
	rlw_inside--;
}

bool
rlw_board_on(void)
{
	return brd != NULL;
}

static struct board_actor *
actor(int no)
{
	return brd && no > 0 && no < BOARD_MAX_ACTORS ? &brd->actor[no] : NULL;
}

void
rlw_board_actor(int no)
{
	struct board_actor *a = actor(no);
	struct rlw_worker *w;
	char name[64] = "";
	uint32_t n;

	if (!a)
		return;
	w = &rlw_reg->w[no];
	rlw_code_func(w->start_fn, name, sizeof name);
	if (!name[0])
		snprintf(name, sizeof name, "%s", no == 1 ? "main" : "worker");
	board_actor_publish(a, w->process ? BOARD_KIND_PROCESS : BOARD_KIND_THREAD,
	                    atomic_load(&w->pid), atomic_load(&w->tid), getppid(),
	                    (unsigned)no, name);
	atomic_store(&a->state, BOARD_ST_RUNNING);
	board_event_put(a, BOARD_EV_START, 0, 0);
	n = atomic_load(&brd->nactors);
	while (n < (uint32_t)no + 1 &&
	       !atomic_compare_exchange_weak(&brd->nactors, &n, (uint32_t)no + 1))
		;
}

/* The label of w's pending operation, interned. */
static uint32_t
label(const char *text)
{
	return board_label_intern(brd, text);
}

void
rlw_board_op(int no, const char *text, uintptr_t pc)
{
	struct board_actor *a = actor(no);
	char file[512];
	unsigned line = 0;

	if (!a)
		return;
	rlw_inside++;
	atomic_store(&a->op, label(text));
	/* A point with no line of the program's (a thread's end by return
	 * from its start routine) stands at none: not at the line of the
	 * point before it. */
	if (!rlw_code_file(pc, file, sizeof file, &line))
		file[0] = '\0', line = 0;
	atomic_store(&a->line, line);
	atomic_store(&a->file, line ? label(file) : 0);
	atomic_fetch_add_explicit(&a->steps, 1, memory_order_relaxed);
	board_event_put(a, BOARD_EV_STEP, atomic_load(&a->op), 0);
	rlw_inside--;
}

void
rlw_board_gate(int no)
{
	struct board_actor *a = actor(no);
	uint32_t before;

	if (!a || !atomic_load(&brd->control.step_mode))
		return;
	before = atomic_load(&a->state);
	if (before == BOARD_ST_GATE)
		before = BOARD_ST_RUNNING;
	atomic_store(&a->gate_resume, before);
	atomic_store_explicit(&a->state, BOARD_ST_GATE, memory_order_release);
	board_event_put(a, BOARD_EV_GATE, atomic_load(&a->op), (int64_t)atomic_load(&a->line));
	board_gate_wait(a, &brd->control, before);
}

/* The one worker left (alone) takes no steps: its gates open, and the
 * shell says it runs freely; a second worker gates them again. */
void
rlw_board_alone(bool alone)
{
	uint32_t n = atomic_load((_Atomic uint32_t *)&rlw_reg->nworkers);

	for (uint32_t i = 1; i <= n && i < BOARD_MAX_ACTORS; i++) {
		struct board_actor *a = actor((int)i);

		if (!a)
			return;
		atomic_store(&a->ungated, alone);
		if (alone)
			board_gate_wake(a);
	}
}

void
rlw_board_done(int no, int status)
{
	struct board_actor *a = actor(no);

	if (!a)
		return;
	atomic_store(&a->exit_code, status);
	atomic_store(&a->parked, 0);
	board_actor_state(a, status == 0 ? BOARD_ST_DONE : status < 0 ? BOARD_ST_KILLED
	                                                            : BOARD_ST_FAILED);
	board_event_put(a, BOARD_EV_END, 0, status);
}

/* Blocked until another worker moves (a join, a wait for a child): the
 * shell counts it settled. */
void
rlw_board_parked(int no, bool on)
{
	struct board_actor *a = actor(no);

	if (!a)
		return;
	atomic_store(&a->parked, on);
	board_actor_state(a, on ? BOARD_ST_BLOCKED : BOARD_ST_RUNNING);
}

int
rlw_board_lock_index(uintptr_t addr, enum board_lock_kind kind)
{
	int idx = -1, i;
	char name[64];

	if (!brd)
		return -1;
	while (atomic_flag_test_and_set(&lk_lock))
		;
	for (i = 0; i < BOARD_MAX_LOCKS && lk[i].addr; i++)
		if (lk[i].addr == addr) {
			idx = lk[i].idx;
			break;
		}
	if (idx < 0 && i < BOARD_MAX_LOCKS) {
		rlw_data_name(addr, name, sizeof name);
		idx = board_lock_add(brd, name, kind);
		if (idx >= 0 && kind == BOARD_LOCK_SEM) {
			int v = 0;

			sem_getvalue((sem_t *)addr, &v);
			atomic_store(&brd->lock[idx].value, v);
			atomic_store(&brd->lock[idx].permits, v);
		}
		/* glibc 2.36's rwlock: __flags is its kind; only the
		 * NONRECURSIVE writer preference keeps new readers out
		 * while a writer waits (as lab_lock.c's rwlock_init says). */
		if (idx >= 0 && kind == BOARD_LOCK_RWLOCK)
			atomic_store(&brd->lock[idx].prefer_writer,
			             ((const pthread_rwlock_t *)addr)->__data.__flags ==
			                     PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		lk[i].addr = addr;
		lk[i].idx = idx;
	}
	atomic_flag_clear(&lk_lock);
	return idx;
}

/* a starts waiting for lock idx; arg is what for (board_actor.wait_arg):
 * a condvar's mutex index + 1, BOARD_WAIT_READ or _WRITE, a barrier's
 * phase.  timed: the wait has a timeout (a timedlock, sem_timedwait, a
 * clock wait), so it moves by itself: never settled nor in a deadlock,
 * as a lesson's timed wait is marked (lab_lock.c's mark_wait). */
static void
wait_mark(struct board_actor *a, int idx, uint32_t arg, bool timed)
{
	wait_t0 = board_now_ns();
	waited_for = 0;
	atomic_fetch_add(&brd->lock[idx].waiters, 1);
	atomic_store(&a->wait_timed, timed);
	atomic_store(&a->wait_arg, arg);
	atomic_store(&a->wait_lock, (uint32_t)idx + 1);
	atomic_store_explicit(&a->state, BOARD_ST_WAIT_LOCK, memory_order_release);
	board_event_put(a, BOARD_EV_LOCK_WAIT, (uint32_t)idx, arg);
}

/* The wait is over: its time is the lock's (a condvar's too: the time
 * its waiters slept, never a contention of its mutex). */
static void
wait_end(struct board_actor *a, int idx)
{
	struct board_lock *bl = &brd->lock[idx];

	atomic_fetch_add_explicit(&bl->wait_ns, board_now_ns() - wait_t0,
	                          memory_order_relaxed);
	waited_for = atomic_load(&bl->kind) != BOARD_LOCK_COND ? idx + 1 : 0;
	atomic_store(&a->wait_lock, 0);
	atomic_store(&a->wait_arg, 0);
	atomic_store(&a->wait_timed, 0);
	atomic_fetch_sub(&bl->waiters, 1);
}

/* a holds lock idx now (one more of its holders, for a semaphore or a
 * read-held rwlock: each has its bit in held). */
static void
taken_mark(struct board_actor *a, int idx)
{
	if (idx < 32)
		atomic_fetch_or(&a->held, 1u << idx);
	if (waited_for == idx + 1) /* it had to wait for it */
		atomic_fetch_add_explicit(&brd->lock[idx].contended, 1, memory_order_relaxed);
	waited_for = 0;
	atomic_fetch_add_explicit(&brd->lock[idx].acquisitions, 1, memory_order_relaxed);
	atomic_store_explicit(&a->acquired[idx],
	                      atomic_load_explicit(&a->acquired[idx], memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	atomic_store_explicit(&a->state, BOARD_ST_CRITICAL, memory_order_relaxed);
	board_event_put(a, BOARD_EV_LOCK_ACQUIRE, (uint32_t)idx, 0);
}

void
rlw_board_wait(int no, int idx, int mutex_idx, bool timed)
{
	struct board_actor *a = actor(no);

	if (!a || idx < 0)
		return;
	wait_mark(a, idx, mutex_idx >= 0 ? (uint32_t)mutex_idx + 1 : 0, timed);
}

/* got: it takes the lock now (rlw_board_taken follows); else the wait
 * failed (timed out, an error) and its next taking waited for nothing. */
void
rlw_board_waited(int no, int idx, bool got)
{
	struct board_actor *a = actor(no);

	if (!a || idx < 0)
		return;
	/* A write lock that failed (EDEADLK: it holds it already) waits no more. */
	if (atomic_load(&brd->lock[idx].kind) == BOARD_LOCK_RWLOCK &&
	    atomic_load(&a->wait_arg) == BOARD_WAIT_WRITE)
		atomic_fetch_sub(&brd->lock[idx].wwait, 1);
	wait_end(a, idx);
	if (!got)
		waited_for = 0;
	board_actor_state(a, atomic_load(&a->held) ? BOARD_ST_CRITICAL : BOARD_ST_RUNNING);
}

void
rlw_board_taken(int no, int idx)
{
	struct board_actor *a = actor(no);
	struct board_lock *bl;

	if (!a || idx < 0)
		return;
	bl = &brd->lock[idx];
	if (atomic_load(&bl->kind) != BOARD_LOCK_SEM)
		atomic_store(&bl->holder, no);
	taken_mark(a, idx);
}

void
rlw_board_released(int no, int idx)
{
	struct board_actor *a = actor(no);
	struct board_lock *bl;

	if (!a || idx < 0)
		return;
	bl = &brd->lock[idx];
	if (atomic_load(&bl->holder) == no)
		atomic_store(&bl->holder, -1);
	/* A post by a thread that took no permit (a signal, the last
	 * reader out of a lightswitch) gives back another's, as in a
	 * lesson (lab_lock.c): one holder fewer, not two of one permit. */
	if (idx < 32 && atomic_load(&bl->kind) == BOARD_LOCK_SEM &&
	    !(atomic_load(&a->held) & (1u << idx))) {
		uint32_t n = atomic_load(&brd->nactors);

		for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++)
			if (atomic_fetch_and(&brd->actor[i].held, ~(1u << idx)) & (1u << idx))
				break;
	}
	if (idx < 32)
		atomic_fetch_and(&a->held, ~(1u << idx));
	board_event_put(a, BOARD_EV_LOCK_RELEASE, (uint32_t)idx, 0);
	board_actor_state(a, atomic_load(&a->held) ? BOARD_ST_CRITICAL : BOARD_ST_RUNNING);
}

/* A signal: one wake-up on its way (the board's condvar value), if
 * anyone waits. */
void
rlw_board_signal(int idx, bool all)
{
	struct board_lock *bl;
	int32_t w;

	if (!brd || idx < 0)
		return;
	bl = &brd->lock[idx];
	w = (int32_t)atomic_load(&bl->waiters);
	if (w > 0)
		atomic_store(&bl->value, all ? w : atomic_load(&bl->value) + 1 > w ? w
		                                 : atomic_load(&bl->value) + 1);
}

void
rlw_board_woken(int idx)
{
	struct board_lock *bl;

	if (!brd || idx < 0)
		return;
	bl = &brd->lock[idx];
	if (atomic_load(&bl->value) > 0)
		atomic_fetch_sub(&bl->value, 1);
	/* A condvar's ACQUIRED counts its wake-ups, as a lesson's does. */
	atomic_fetch_add_explicit(&bl->acquisitions, 1, memory_order_relaxed);
}

/* A semaphore's permits, as the kernel's word says now. */
void
rlw_board_sem_value(int idx, uintptr_t addr)
{
	int v = 0;

	if (!brd || idx < 0)
		return;
	sem_getvalue((sem_t *)addr, &v);
	atomic_store(&brd->lock[idx].value, v);
}

/* A post on its way: the permit is counted before the real sem_post, so
 * a waiter is never seen settled (no permit left) while one comes to it;
 * rlw_board_sem_value reads the kernel's word after. */
void
rlw_board_sem_post(int idx)
{
	if (brd && idx >= 0)
		atomic_fetch_add(&brd->lock[idx].value, 1);
}

/* ---- rwlocks: a writer is the holder, readers are counted (each has its
 * bit in held); board_actor_settled judges a waiter by these fields, as
 * it judges a lesson's (lab_lock.c's rw_wait_mark and rw_taken). */
void
rlw_board_rw_wait(int no, int idx, uint32_t how, bool timed)
{
	struct board_actor *a = actor(no);

	if (!a || idx < 0)
		return;
	if (how == BOARD_WAIT_WRITE)
		atomic_fetch_add(&brd->lock[idx].wwait, 1);
	wait_mark(a, idx, how, timed);
}

/* The new holder first, then the wait ends: a reader kept out by this
 * writer is never seen free to go in between. */
void
rlw_board_rw_taken(int no, int idx, uint32_t how, bool waited)
{
	struct board_actor *a = actor(no);
	struct board_lock *bl;

	if (!a || idx < 0)
		return;
	bl = &brd->lock[idx];
	if (how == BOARD_WAIT_WRITE)
		atomic_store(&bl->holder, no);
	else if (rd_depth[idx]++ == 0)
		atomic_fetch_add(&bl->readers, 1);
	if (waited) {
		if (how == BOARD_WAIT_WRITE)
			atomic_fetch_sub(&bl->wwait, 1);
		wait_end(a, idx);
	}
	taken_mark(a, idx);
}

/* Before the real unlock: a waiter is seen free to go in before it can,
 * never blocked after it could. */
void
rlw_board_rw_released(int no, int idx)
{
	struct board_actor *a = actor(no);
	struct board_lock *bl;

	if (!a || idx < 0 || idx >= 32 || !(atomic_load(&a->held) & (1u << idx)))
		return;
	bl = &brd->lock[idx];
	if (atomic_load(&bl->holder) == no)
		atomic_store(&bl->holder, -1);
	else if (rd_depth[idx] > 1) {
		rd_depth[idx]--; /* still a reader */
		board_event_put(a, BOARD_EV_LOCK_RELEASE, (uint32_t)idx, 0);
		return;
	} else {
		rd_depth[idx] = 0;
		atomic_fetch_sub(&bl->readers, 1);
	}
	atomic_fetch_and(&a->held, ~(1u << idx));
	board_event_put(a, BOARD_EV_LOCK_RELEASE, (uint32_t)idx, 0);
	board_actor_state(a, atomic_load(&a->held) ? BOARD_ST_CRITICAL : BOARD_ST_RUNNING);
}

/* ---- barriers: the board counts the arrivals itself (value of permits,
 * the count glibc 2.36 keeps in the barrier's third word, as rlw_sched.c
 * reads it), so that the phase is complete before the last one enters
 * the real wait: from then on no waiter of that phase is settled until it
 * is out (lab_barrier_wait_at does the same).  Returns: a is the last. */
bool
rlw_board_barrier_arrive(int no, int idx, uintptr_t addr)
{
	struct board_actor *a = actor(no);
	struct board_lock *bl;
	uint32_t phase;
	int32_t count;
	bool last;

	if (!a || idx < 0)
		return false;
	bl = &brd->lock[idx];
	count = (int32_t)((const unsigned *)addr)[2];
	atomic_store(&bl->permits, count);
	phase = atomic_load(&bl->phase);
	last = atomic_fetch_add(&bl->value, 1) + 1 >= count;
	if (last) {
		atomic_store(&bl->value, 0);
		atomic_fetch_add(&bl->phase, 1);
	}
	wait_mark(a, idx, phase, false);
	return last;
}

void
rlw_board_barrier_left(int no, int idx, bool last)
{
	struct board_actor *a = actor(no);
	struct board_lock *bl;
	uint32_t phase;

	if (!a || idx < 0)
		return;
	bl = &brd->lock[idx];
	phase = atomic_load(&a->wait_arg);
	wait_end(a, idx);
	waited_for = 0;
	if (!last) /* the last one in did not wait */
		atomic_fetch_add_explicit(&bl->contended, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&bl->acquisitions, 1, memory_order_relaxed);
	board_event_put(a, BOARD_EV_WOKEN, (uint32_t)idx, phase);
	board_actor_state(a, atomic_load(&a->held) ? BOARD_ST_CRITICAL : BOARD_ST_RUNNING);
}

/* A robust mutex whose holder died: the kernel hands it to the next
 * taker with EOWNERDEAD.  The dead holder's bit goes (a mutex has one
 * holder); taken is marked after. */
void
rlw_board_owner_died(int idx)
{
	uint32_t n;

	if (!brd || idx < 0 || idx >= 32)
		return;
	n = atomic_load(&brd->nactors);
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++)
		atomic_fetch_and(&brd->actor[i].held, ~(1u << idx));
}

/* The program reaped a child process (wait, waitpid): the kernel's word
 * on how it ended is the end of each of its threads that had not ended
 * by itself (a SIGKILL runs no exit hook). */
void
rlw_board_reaped(pid_t pid, int wst)
{
	int st = WIFSIGNALED(wst) ? -WTERMSIG(wst) : WEXITSTATUS(wst);
	uint32_t n;

	if (!brd || pid <= 0 || !(WIFSIGNALED(wst) || WIFEXITED(wst)))
		return;
	n = atomic_load(&brd->nactors);
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++) {
		struct board_actor *a = &brd->actor[i];
		uint32_t s = atomic_load(&a->state);

		if (atomic_load(&a->pid) != pid || s == BOARD_ST_IDLE || s == BOARD_ST_DONE ||
		    s == BOARD_ST_FAILED || s == BOARD_ST_KILLED)
			continue;
		rlw_board_done((int)i, st);
	}
}
