// librlwatch.so: the scheduler.  In a scheduled run one thread (of any
// process of the program) runs at a time: the one holding the baton.  At
// each scheduling point the holder names its next operation, then picks
// who goes next among the workers whose operation can proceed now (the
// model below says which), makes that operation's effect on the model,
// and hands the baton over (a futex in the shared region, one per worker,
// so a hand-off wakes exactly one thread).  The real pthread call runs
// after the grant, when the model says it will not block.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rlw_lib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct rlw_region *rlw_reg;
_Thread_local int rlw_me;
_Thread_local int rlw_inside;
_Thread_local uintptr_t rlw_stack_lo, rlw_stack_hi;
bool rlw_exiting;
bool rlw_tsan;

static const char *const op_names[RLW_OP_COUNT] = {
	[RLW_OP_NONE] = "?",           [RLW_OP_START] = "start",
	[RLW_OP_READ] = "read",        [RLW_OP_WRITE] = "write",
	[RLW_OP_ATOMIC] = "atomic",    [RLW_OP_LOCK] = "lock",
	[RLW_OP_TRYLOCK] = "trylock",  [RLW_OP_UNLOCK] = "unlock",
	[RLW_OP_COND_WAIT] = "wait",   [RLW_OP_COND_RELOCK] = "wake in",
	[RLW_OP_COND_SIGNAL] = "signal", [RLW_OP_COND_BROADCAST] = "broadcast",
	[RLW_OP_SEM_WAIT] = "sem_wait", [RLW_OP_SEM_TRYWAIT] = "sem_trywait",
	[RLW_OP_SEM_POST] = "sem_post", [RLW_OP_RDLOCK] = "rdlock",
	[RLW_OP_WRLOCK] = "wrlock",    [RLW_OP_TRYRDLOCK] = "tryrdlock",
	[RLW_OP_TRYWRLOCK] = "trywrlock", [RLW_OP_RWUNLOCK] = "rwunlock",
	[RLW_OP_BARRIER] = "barrier",  [RLW_OP_BARRIER_LEAVE] = "leave",
	[RLW_OP_CREATE] = "pthread_create", [RLW_OP_JOIN] = "join",
	[RLW_OP_THREAD_EXIT] = "thread exit", [RLW_OP_FORK] = "fork",
	[RLW_OP_WAIT] = "waitpid",     [RLW_OP_EXIT] = "exit",
	[RLW_OP_YIELD] = "yield",
};

enum { RLW_TICK_MS = 50 };

static void hand_to(int p);

static long
futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)w, op, val, ts, NULL, 0);
}

static int pick(void);
static void done(struct rlw_worker *w);

/* Is process pid gone (no such process, or a zombie: killed by a
 * signal, it ran no exit hook)?  From /proc: any process of the run can
 * ask, not only the parent. */
static bool
process_gone(pid_t pid)
{
	char path[64], buf[128];
	int fd;
	ssize_t n;
	const char *c;

	if (pid <= 0)
		return false;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	c = strrchr(buf, ')');
	return c && (c[2] == 'Z' || c[2] == 'X');
}

/* The worker granted last died with its process (a SIGKILL: no exit
 * hook ran) while it held the baton, so nobody would ever pass it on.
 * Its process's workers end in the model, as an exit (its parent's
 * wait reaps it, as the kernel's does), a robust mutex it held is free
 * (the next lock gets EOWNERDEAD from the real call), and the waiter
 * that saw it (one: the first to end the dead worker's record) picks
 * who goes next.  Returns whether this worker may go on now. */
static bool
take_over(void)
{
	struct rlw_region *r = rlw_reg;
	uint32_t h = r->last, as;

	if (h == 0 || h > r->nworkers || (int)h == rlw_me ||
	    atomic_load((_Atomic uint32_t *)&r->w[h].state) != RLW_W_LIVE ||
	    !process_gone(atomic_load(&r->w[h].pid)))
		return false;
	{
		uint32_t live = RLW_W_LIVE;

		if (!atomic_compare_exchange_strong((_Atomic uint32_t *)&r->w[h].state, &live,
		                                    (uint32_t)RLW_W_LIVE + 100))
			return false; /* another waiter saw it first */
		r->w[h].state = RLW_W_LIVE;
	}
	as = r->w[h].aspace;
	for (uint32_t i = 1; i <= r->nworkers; i++)
		if (r->w[i].aspace == as)
			done(&r->w[i]);
	for (uint32_t i = 0; i < r->nobjs; i++) {
		struct rlw_obj *o = &r->obj[i];

		if (o->owner > 0 && r->w[o->owner].aspace == as && o->aspace == 0 &&
		    o->kind == RLW_O_MUTEX &&
		    (((pthread_mutex_t *)o->addr)->__data.__kind & 16)) /* ROBUST */
			o->owner = 0, o->count = 0;
	}
	{
		int p = pick();

		if (p == rlw_me)
			return true;
		if (p > 0)
			hand_to(p);
	}
	return false;
}

/* Wait for the baton.  Every 50 ms: is racelab-watch gone (a process
 * forked by a thread other than its process's main one has no parent-
 * death signal to end it), or the worker holding the baton (take_over)? */
void
rlw_wait_baton(void)
{
	struct rlw_worker *w = &rlw_reg->w[rlw_me];
	const struct timespec tick = { 0, RLW_TICK_MS * 1000000L };

	while (atomic_exchange(&w->go, 0) == 0) {
		if (futex(&w->go, FUTEX_WAIT, 0, &tick) < 0 && errno == ETIMEDOUT) {
			if (rlw_reg->watcher > 0 && kill(rlw_reg->watcher, 0) < 0 &&
			    errno == ESRCH) {
				rlw_inside++; /* the real _exit, not the hook's point */
				_exit(137); /* racelab-watch is gone: so is this run */
			}
			if (take_over())
				return;
		}
	}
}

static void
hand_to(int p)
{
	atomic_store(&rlw_reg->w[p].go, 1);
	futex(&rlw_reg->w[p].go, FUTEX_WAKE, 1, NULL);
}

/* The model's objects are keyed by address within a process (a mutex
 * copied by fork is another mutex), or by address alone when the
 * object says it is process-shared. */
static uint32_t
obj_space(uintptr_t addr, enum rlw_obj_kind kind)
{
	if (kind == RLW_O_MUTEX &&
	    (((pthread_mutex_t *)addr)->__data.__kind & 128)) /* PSHARED bit */
		return 0;
	if (kind == RLW_O_SEM) {
		/* glibc's struct new_sem: the futex word, then "private"
		 * (0 when shared between processes). */
		const int *p = (const int *)(addr + sizeof(uint64_t));

		if (*p == 0)
			return 0;
	}
	return rlw_reg->w[rlw_me].aspace;
}

static struct rlw_obj *
find_obj(uintptr_t addr, uint32_t aspace)
{
	struct rlw_region *r = rlw_reg;

	for (uint32_t i = 0; i < r->nobjs; i++)
		if (r->obj[i].addr == addr &&
		    (r->obj[i].aspace == aspace || r->obj[i].aspace == 0))
			return &r->obj[i];
	return NULL;
}

static void from_real(struct rlw_obj *o);

struct rlw_obj *
rlw_obj(uintptr_t addr, enum rlw_obj_kind kind)
{
	struct rlw_region *r = rlw_reg;
	uint32_t sp = obj_space(addr, kind);
	struct rlw_obj *o = find_obj(addr, sp ? sp : r->w[rlw_me].aspace);

	if (o)
		return o;
	if (r->nobjs >= RLW_MAX_OBJS)
		return NULL;
	o = &r->obj[r->nobjs++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->aspace = sp;
	o->addr = addr;
	from_real(o);
	return o;
}

/* A record from the real object's state: the model may first see an
 * object long after its init (a constructor's, before this library took
 * charge) or a mutex already held.  glibc 2.36's layouts: the mutex's
 * and the rwlock's __data; a barrier's count is its third word (struct pthread_barrier:
 * in, current_round, count, shared, out); a semaphore's value through
 * sem_getvalue. */
static void
from_real(struct rlw_obj *o)
{
	struct rlw_region *r = rlw_reg;
	uintptr_t addr = o->addr;

	o->owner = o->count = o->size = 0;
	if (o->kind == RLW_O_MUTEX) {
		const pthread_mutex_t *m = (const pthread_mutex_t *)addr;

		o->size = (m->__data.__kind & 3) == 1; /* PTHREAD_MUTEX_RECURSIVE_NP */
		if (m->__data.__lock != 0 && m->__data.__owner != 0)
			for (uint32_t i = 1; i <= r->nworkers; i++)
				if (r->w[i].tid == m->__data.__owner && r->w[i].state == RLW_W_LIVE) {
					o->owner = (int32_t)i;
					o->count = m->__data.__count ? (int32_t)m->__data.__count : 1;
				}
	}
	if (o->kind == RLW_O_RWLOCK) {
		/* __readers: the reader count above 3 flag bits; __cur_writer:
		 * the writer's tid. */
		const pthread_rwlock_t *l = (const pthread_rwlock_t *)addr;

		o->count = (int32_t)(l->__data.__readers >> 3);
		if (l->__data.__cur_writer != 0)
			for (uint32_t i = 1; i <= r->nworkers; i++)
				if (r->w[i].tid == l->__data.__cur_writer &&
				    r->w[i].state == RLW_W_LIVE)
					o->owner = (int32_t)i, o->count = 0;
	}
	if (o->kind == RLW_O_BARRIER)
		o->size = (int32_t)((const unsigned *)addr)[2];
	if (o->kind == RLW_O_SEM) {
		int v = 0;

		sem_getvalue((sem_t *)addr, &v);
		o->count = v;
	}
}

/* The object a worker's operation is on, in its own process. */
static struct rlw_obj *
wobj(const struct rlw_worker *w, uintptr_t addr)
{
	return find_obj(addr, w->aspace);
}

static struct rlw_worker *
worker_of_thread(uint32_t aspace, uint64_t thread)
{
	struct rlw_region *r = rlw_reg;

	/* The newest: glibc reuses a joined thread's descriptor (and so its
	 * pthread_t) for a thread created later. */
	for (uint32_t i = r->nworkers; i >= 1; i--)
		if (r->w[i].aspace == aspace && r->w[i].thread == thread)
			return &r->w[i];
	return NULL;
}

/* The child a wait by w reaps now: 0 none yet, -1 none will come. */
static int
zombie_for(const struct rlw_worker *w)
{
	struct rlw_region *r = rlw_reg;
	bool any = false;

	for (uint32_t i = 1; i <= r->nworkers; i++) {
		const struct rlw_worker *c = &r->w[i];

		if (!c->process || c->parent != w->aspace || c->reaped ||
		    (w->arg > 0 && c->pid != w->arg))
			continue;
		any = true;
		if (c->state == RLW_W_DONE)
			return (int)i;
	}
	return any ? 0 : -1;
}

static bool
enabled(int no)
{
	struct rlw_worker *w = &rlw_reg->w[no];
	struct rlw_obj *o;

	if (w->state != RLW_W_LIVE)
		return false;
	switch (w->op) {
	case RLW_OP_LOCK:
		o = wobj(w, w->obj);
		return !o || o->owner == 0 || (o->size && o->owner == no);
	case RLW_OP_COND_RELOCK:
		o = wobj(w, w->obj2);
		return (w->signalled || w->timed) && (!o || o->owner == 0);
	case RLW_OP_SEM_WAIT:
		o = wobj(w, w->obj);
		return !o || o->count > 0 || w->timed;
	case RLW_OP_RDLOCK:
		o = wobj(w, w->obj);
		return !o || o->owner == 0;
	case RLW_OP_WRLOCK:
		o = wobj(w, w->obj);
		return !o || (o->owner == 0 && o->count == 0);
	case RLW_OP_BARRIER_LEAVE:
		o = wobj(w, w->obj);
		return !o || o->phase != w->phase;
	case RLW_OP_JOIN: {
		struct rlw_worker *t = worker_of_thread(w->aspace, (uint64_t)w->arg);

		return !t || t->state == RLW_W_DONE || t->joined || w->timed;
	}
	case RLW_OP_WAIT:
		return zombie_for(w) != 0;
	default:
		return true;
	}
}

static int
new_worker(struct rlw_worker *parent, bool process)
{
	struct rlw_region *r = rlw_reg;
	struct rlw_worker *c;
	int n;

	if (r->nworkers >= RLW_MAX_WORKERS || (process && r->nprocs >= RLW_MAX_PROCESSES))
		return -1;
	n = (int)++r->nworkers;
	c = &r->w[n];
	memset(c, 0, sizeof *c);
	c->state = RLW_W_LIVE;
	c->op = RLW_OP_START;
	c->process = process;
	c->aspace = process ? (uint32_t)n : parent->aspace;
	c->parent = parent->aspace;
	r->nlive++;
	if (process)
		r->nprocs++;
	return n;
}

static void
done(struct rlw_worker *w)
{
	if (w->state == RLW_W_LIVE) {
		w->state = RLW_W_DONE;
		rlw_reg->nlive--;
	}
}

/* Make worker no's pending operation happen in the model. */
static void
apply(int no)
{
	struct rlw_region *r = rlw_reg;
	struct rlw_worker *w = &r->w[no];
	struct rlw_obj *o = wobj(w, w->obj);

	w->result = 0;
	switch (w->op) {
	case RLW_OP_LOCK:
		if (o)
			o->owner = no, o->count++;
		break;
	case RLW_OP_TRYLOCK:
		if (o && o->owner && !(o->size && o->owner == no))
			w->result = EBUSY;
		else if (o)
			o->owner = no, o->count++;
		break;
	case RLW_OP_UNLOCK:
		if (o && o->owner == no && --o->count <= 0)
			o->owner = 0, o->count = 0;
		break;
	case RLW_OP_COND_WAIT: {
		struct rlw_obj *m = wobj(w, w->obj2);

		if (m && m->owner == no)
			m->owner = 0, m->count = 0;
		w->signalled = 0;
		w->wait_seq = ++r->wait_seq;
		break;
	}
	case RLW_OP_COND_RELOCK: {
		struct rlw_obj *m = wobj(w, w->obj2);

		if (m)
			m->owner = no, m->count = 1;
		w->result = w->signalled ? 0 : ETIMEDOUT;
		break;
	}
	case RLW_OP_COND_SIGNAL:
	case RLW_OP_COND_BROADCAST: {
		struct rlw_worker *first = NULL;

		for (uint32_t i = 1; i <= r->nworkers; i++) {
			struct rlw_worker *q = &r->w[i];

			if (q->state != RLW_W_LIVE || q->op != RLW_OP_COND_RELOCK ||
			    q->obj != w->obj || q->aspace != w->aspace || q->signalled)
				continue;
			if (w->op == RLW_OP_COND_BROADCAST)
				q->signalled = 1;
			else if (!first || q->wait_seq < first->wait_seq)
				first = q;
		}
		if (first)
			first->signalled = 1;
		break;
	}
	case RLW_OP_SEM_WAIT:
		if (o && o->count > 0)
			o->count--;
		else if (o)
			w->result = ETIMEDOUT;
		break;
	case RLW_OP_SEM_TRYWAIT:
		if (o && o->count > 0)
			o->count--;
		else
			w->result = EAGAIN;
		break;
	case RLW_OP_SEM_POST:
		if (o)
			o->count++;
		break;
	case RLW_OP_RDLOCK:
		if (o)
			o->count++;
		break;
	case RLW_OP_WRLOCK:
		if (o)
			o->owner = no;
		break;
	case RLW_OP_TRYRDLOCK:
		if (o && o->owner)
			w->result = EBUSY;
		else if (o)
			o->count++;
		break;
	case RLW_OP_TRYWRLOCK:
		if (o && (o->owner || o->count))
			w->result = EBUSY;
		else if (o)
			o->owner = no;
		break;
	case RLW_OP_RWUNLOCK:
		if (o && o->owner == no)
			o->owner = 0;
		else if (o && o->count > 0)
			o->count--;
		break;
	case RLW_OP_BARRIER:
		if (!o)
			break;
		w->phase = o->phase;
		if (++o->count >= o->size) {
			o->count = 0;
			o->phase++;
			w->result = 1; /* the serial thread */
		}
		break;
	case RLW_OP_CREATE:
		w->result = new_worker(w, false);
		break;
	case RLW_OP_JOIN: {
		/* A second join of a thread: EINVAL, as glibc answers one that
		 * finds another waiting, rather than the real call on a thread
		 * already joined (its descriptor freed or reused). */
		struct rlw_worker *t = worker_of_thread(w->aspace, (uint64_t)w->arg);

		if (t && t->joined)
			w->result = EINVAL;
		else if (t && t->state != RLW_W_DONE) /* a try or timed join */
			w->result = ETIMEDOUT;
		else if (t)
			t->joined = 1;
		break;
	}
	case RLW_OP_FORK:
		w->result = new_worker(w, true);
		break;
	case RLW_OP_WAIT: {
		int z = zombie_for(w);

		if (z > 0)
			r->w[z].reaped = 1;
		w->result = z;
		break;
	}
	case RLW_OP_THREAD_EXIT:
		done(w);
		break;
	case RLW_OP_EXIT:
		for (uint32_t i = 1; i <= r->nworkers; i++)
			if (r->w[i].aspace == w->aspace)
				done(&r->w[i]);
		break;
	default:
		break;
	}
}

/* "lock big_lock", "join 2": the operation as a person reads it. */
static void
op_label(const struct rlw_worker *w, char *buf, size_t n)
{
	char name[64] = "";

	if (w->op == RLW_OP_START && w->arg) { /* rlw_created's point */
		snprintf(buf, n, "%s returned", w->arg == 1 ? "pthread_create" : "fork");
		return;
	}
	switch (w->op) {
	case RLW_OP_START:
	case RLW_OP_YIELD:
	case RLW_OP_THREAD_EXIT:
	case RLW_OP_EXIT:
	case RLW_OP_FORK:
	case RLW_OP_CREATE:
		break;
	case RLW_OP_JOIN: {
		struct rlw_worker *t = worker_of_thread(w->aspace, (uint64_t)w->arg);

		snprintf(name, sizeof name, "%d", t ? (int)(t - rlw_reg->w) : 0);
		break;
	}
	case RLW_OP_WAIT:
		if (w->arg > 0)
			snprintf(name, sizeof name, "%lld", (long long)w->arg);
		break;
	default:
		rlw_data_name(w->op == RLW_OP_COND_RELOCK ? w->obj2 : w->obj, name,
		              sizeof name);
	}
	snprintf(buf, n, "%s%s%s", op_names[w->op < RLW_OP_COUNT ? w->op : 0],
	         name[0] ? " " : "", name);
}

static void
trace(int no)
{
	struct rlw_worker *w = &rlw_reg->w[no];
	char op[96], where[160];

	op_label(w, op, sizeof op);
	rlw_code_line(w->pc, where, sizeof where);
	fprintf(stderr, "trace %llu: worker %d: %s%s%s%s\n",
	        (unsigned long long)rlw_reg->steps, no, op, where[0] ? " (" : "",
	        where, where[0] ? ")" : "");
}

static void
log_step(int p, const int *can, int n)
{
	struct rlw_region *r = rlw_reg;

	if (r->nlog + 2 + (uint64_t)n > RLW_LOG_LEN)
		return; /* the step bound stops a run long before */
	r->log[r->nlog++] = (uint16_t)p;
	r->log[r->nlog++] = (uint16_t)n;
	for (int i = 0; i < n; i++)
		r->log[r->nlog++] = (uint16_t)can[i];
}

/* The mutex a blocked worker waits for, or NULL. */
static struct rlw_obj *
waits_for(const struct rlw_worker *w)
{
	switch (w->op) {
	case RLW_OP_LOCK:
	case RLW_OP_WRLOCK:
	case RLW_OP_RDLOCK:
		return wobj(w, w->obj);
	case RLW_OP_COND_RELOCK:
		return w->signalled ? wobj(w, w->obj2) : NULL;
	default:
		return NULL;
	}
}

static size_t
holds(int no, char *buf, size_t n)
{
	struct rlw_region *r = rlw_reg;
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < r->nobjs; i++)
		if (r->obj[i].owner == no &&
		    (r->obj[i].kind == RLW_O_MUTEX || r->obj[i].kind == RLW_O_RWLOCK ||
		     r->obj[i].kind == RLW_O_SPIN || r->obj[i].kind == RLW_O_ONCE)) {
			char name[64];

			rlw_data_name(r->obj[i].addr, name, sizeof name);
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s",
			                        len ? " and " : "", name);
			if (len >= n)
				break;
		}
	return len;
}

/* What a worker that cannot move waits for, as a sentence's end. */
static void
wait_label(const struct rlw_worker *w, char *buf, size_t n)
{
	char name[64] = "";

	switch (w->op) {
	case RLW_OP_COND_RELOCK:
		rlw_data_name(w->obj, name, sizeof name);
		if (w->signalled)
			rlw_data_name(w->obj2, name, sizeof name);
		snprintf(buf, n, w->signalled ? "waits for mutex %s" : "waits on condvar %s%s",
		         name, w->signalled ? "" : " (no signal will come)");
		return;
	case RLW_OP_SEM_WAIT:
		rlw_data_name(w->obj, name, sizeof name);
		snprintf(buf, n, "waits on semaphore %s (no post will come)", name);
		return;
	case RLW_OP_BARRIER_LEAVE:
		rlw_data_name(w->obj, name, sizeof name);
		snprintf(buf, n, "waits at barrier %s (not all will arrive)", name);
		return;
	case RLW_OP_JOIN: {
		char op[80];

		op_label(w, op, sizeof op);
		snprintf(buf, n, "waits to %s", op);
		return;
	}
	case RLW_OP_WAIT:
		snprintf(buf, n, "waits for a child process");
		return;
	default: {
		char op[80];

		op_label(w, op, sizeof op);
		snprintf(buf, n, "waits at %s", op);
	}
	}
}

static void
who(int no, char *buf, size_t n)
{
	char fn[64];

	rlw_code_func(rlw_reg->w[no].start_fn, fn, sizeof fn);
	snprintf(buf, n, "worker %d%s%s%s", no, fn[0] ? " (" : "", fn,
	         fn[0] ? ")" : "");
}

/* No worker can move: a cycle of lock waits (deadlock), or everyone
 * waits for something nobody will do (asleep).  Describe it in the
 * region's text, end the run. */
static _Noreturn void
stop(enum rlw_end end)
{
	struct rlw_region *r = rlw_reg;
	size_t len = 0;
	char *t = r->text;

	rlw_inside++;
	if (end != RLW_END_MISUSE) /* its text is written by the caller */
		t[0] = '\0';
	if (end == RLW_END_DEADLOCK || end == RLW_END_ASLEEP) {
		/* A cycle: follow "waits for a mutex held by" from each. */
		int cyc = 0;

		for (uint32_t s = 1; s <= r->nworkers && !cyc; s++) {
			int cur = (int)s;

			for (uint32_t hop = 0; hop <= r->nworkers; hop++) {
				struct rlw_obj *o = r->w[cur].state == RLW_W_LIVE ?
				                    waits_for(&r->w[cur]) : NULL;

				if (!o || o->owner <= 0)
					break;
				cur = o->owner;
				if (cur == (int)s) {
					cyc = (int)s;
					break;
				}
			}
		}
		end = cyc ? RLW_END_DEADLOCK : RLW_END_ASLEEP;
		len += (size_t)snprintf(t, RLW_TEXT_LEN, "%s: ",
		                        cyc ? "deadlock" : "everyone asleep");
		for (int cur = cyc, first = 1; cyc && (first || cur != cyc); first = 0) {
			struct rlw_obj *o = waits_for(&r->w[cur]);
			char me[96], held[160], want[64], owner[96];

			who(cur, me, sizeof me);
			holds(cur, held, sizeof held);
			rlw_data_name(o->addr, want, sizeof want);
			who(o->owner, owner, sizeof owner);
			if (len < RLW_TEXT_LEN)
				len += (size_t)snprintf(t + len, RLW_TEXT_LEN - len,
				                        "%s%s holds %s and waits for %s, held by %s",
				                        first ? "" : "; ", me,
				                        held[0] ? held : "nothing", want, owner);
			cur = o->owner;
		}
		for (uint32_t i = 1; !cyc && i <= r->nworkers; i++) {
			struct rlw_worker *w = &r->w[i];
			struct rlw_obj *o = w->state == RLW_W_LIVE ? waits_for(w) : NULL;
			char me[96], op[200], where[160], holder[160] = "";

			if (w->state != RLW_W_LIVE)
				continue;
			who((int)i, me, sizeof me);
			wait_label(w, op, sizeof op);
			rlw_code_line(w->pc, where, sizeof where);
			if (o && o->owner > 0) {
				/* The holder: in no cycle, so asleep too, or gone (a
				 * thread that returned, a process that ended, with
				 * it held). */
				char owner[96];

				who(o->owner, owner, sizeof owner);
				snprintf(holder, sizeof holder, ", held by %s%s", owner,
				         r->w[o->owner].state == RLW_W_LIVE ? "" :
				         ", which ended holding it");
			}
			if (len < RLW_TEXT_LEN)
				len += (size_t)snprintf(t + len, RLW_TEXT_LEN - len,
				                        "%s%s %s%s%s%s%s", len > 17 ? "; " : "",
				                        me, op, where[0] ? " (" : "", where,
				                        where[0] ? ")" : "", holder);
		}
	} else if (end == RLW_END_BOUND) {
		snprintf(t, RLW_TEXT_LEN, "the step bound (%llu steps) cut the run",
		         (unsigned long long)r->max_steps);
	} else if (end == RLW_END_DIVERGED) {
		snprintf(t, RLW_TEXT_LEN, "the run did not follow its schedule at step %llu",
		         (unsigned long long)r->k + 1);
	} else if (end == RLW_END_SLEPT) {
		snprintf(t, RLW_TEXT_LEN, "every worker that could go was tried here before: pruned");
	} else if (end == RLW_END_CAP) {
		snprintf(t, RLW_TEXT_LEN, "more than %d threads or %d processes: stopped",
		         RLW_MAX_WORKERS, RLW_MAX_PROCESSES);
	}
	r->end = end;
	fflush(stdout);
	for (uint32_t i = 1; i <= r->nworkers; i++) {
		pid_t pid = atomic_load(&r->w[i].pid);

		if (r->w[i].process && pid > 0 && pid != getpid() &&
		    r->w[i].state != RLW_W_DONE)
			kill(pid, SIGKILL);
	}
	_exit(3);
}

static bool
in(const int *can, int n, int x)
{
	for (int i = 0; i < n; i++)
		if (can[i] == x)
			return true;
	return false;
}

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* What worker no's pending operation touches. */
static struct rlw_fp
fp_of(int no)
{
	const struct rlw_worker *w = &rlw_reg->w[no];
	struct rlw_fp f = { RLW_FP_GLOBAL, 0, 0, 0 };

	switch (w->op) {
	case RLW_OP_READ:
		f.kind = RLW_FP_READ, f.a = w->obj, f.b = (uint64_t)w->arg;
		break;
	case RLW_OP_WRITE:
	case RLW_OP_ATOMIC:
		f.kind = RLW_FP_WRITE, f.a = w->obj, f.b = (uint64_t)w->arg;
		break;
	case RLW_OP_YIELD:
		f.kind = RLW_FP_LOCAL;
		break;
	case RLW_OP_COND_WAIT:
	case RLW_OP_COND_RELOCK:
		f.kind = RLW_FP_OBJ, f.a = w->obj, f.b = w->obj2;
		break;
	case RLW_OP_LOCK: case RLW_OP_TRYLOCK: case RLW_OP_UNLOCK:
	case RLW_OP_COND_SIGNAL: case RLW_OP_COND_BROADCAST:
	case RLW_OP_SEM_WAIT: case RLW_OP_SEM_TRYWAIT: case RLW_OP_SEM_POST:
	case RLW_OP_RDLOCK: case RLW_OP_WRLOCK: case RLW_OP_TRYRDLOCK:
	case RLW_OP_TRYWRLOCK: case RLW_OP_RWUNLOCK:
	case RLW_OP_BARRIER: case RLW_OP_BARRIER_LEAVE:
		f.kind = RLW_FP_OBJ, f.a = w->obj;
		break;
	/* A thread's end and a join of it touch that thread alone; thread
	 * creations, the numbering (no real address is this high). */
	case RLW_OP_THREAD_EXIT:
		f.kind = RLW_FP_OBJ, f.a = RLW_FP_THREAD | (uint64_t)no;
		break;
	case RLW_OP_JOIN: {
		struct rlw_worker *t = worker_of_thread(w->aspace, (uint64_t)w->arg);

		if (t)
			f.kind = RLW_FP_OBJ, f.a = RLW_FP_THREAD | (uint64_t)(t - rlw_reg->w);
		break;
	}
	case RLW_OP_CREATE:
		f.kind = RLW_FP_OBJ, f.a = RLW_FP_THREAD;
		break;
	default: /* fork (a copy of memory), wait, exit: with everything */
		break;
	}
	return f;
}

static bool
asleep(int no)
{
	return (rlw_reg->sleep[no / 64] >> (no % 64)) & 1;
}

/* Sleep sets, past an explore run's prefix: the workers the explorer has
 * already tried at this node (or an earlier one, with nothing dependent
 * done since) are not chosen; each step wakes the sleepers it depends on.
 * Returns the worker chosen among the others (0: all asleep). */
static int
sleep_pick(const int *can, int n)
{
	struct rlw_region *r = rlw_reg;
	int p = 0;

	if (!r->armed) {
		r->armed = 1;
		for (uint32_t i = 0; i < r->nsleep0; i++)
			if (r->sleep0[i] <= RLW_MAX_WORKERS)
				r->sleep[r->sleep0[i] / 64] |= 1ull << (r->sleep0[i] % 64);
	}
	for (int i = 0; i < n; i++)
		if (!asleep(can[i]) && (!p || can[i] == (int)r->last))
			p = can[i];
	return p;
}

/* The step's sleep set and footprints into the log; then wake the
 * sleepers p's step depends on. */
static void
sleep_log(int p, const int *can, int n)
{
	struct rlw_region *r = rlw_reg;
	struct rlw_fp fp = fp_of(p);
	int nsl = 0;

	for (int i = 0; i < n; i++)
		nsl += asleep(can[i]);
	if (r->nlog + 1 + (uint64_t)nsl > RLW_LOG_LEN || r->nfp + (uint64_t)n > RLW_LOG_LEN / 8)
		return;
	r->log[r->nlog++] = (uint16_t)nsl;
	for (int i = 0; i < n; i++) {
		if (asleep(can[i]))
			r->log[r->nlog++] = (uint16_t)can[i];
		r->fp[r->nfp++] = fp_of(can[i]);
	}
	for (uint32_t q = 1; q <= r->nworkers; q++)
		if (asleep((int)q)) {
			struct rlw_fp f = fp_of((int)q);

			if (r->w[q].state != RLW_W_LIVE || !rlw_fp_independent(&f, &fp))
				r->sleep[q / 64] &= ~(1ull << (q % 64));
		}
}

/* Fairness, after CHESS (Musuvathi and Qadeer, "Fair stateless model
 * checking", PLDI 2008).  A worker that yields or sleeps, fails a try or
 * times out says it cannot progress until another does.  Once it has
 * said so twice with no other worker's step between (a spin loop's
 * second round: one yield alone, as in "read; yield; write", leaves it
 * free to go on, so no outcome of a finite run is lost), it is low: not
 * chosen while another worker can go, until another has made a step.
 * Without this a schedule that keeps to a trylock-and-back-off spinner
 * (the default past a prefix: no preemption) never runs the holder, and
 * the step bound cuts a program that ends on any real machine.  The
 * switch away from a low worker costs no preemption (it is not among
 * those that could go on), and a spin that nobody can end (every worker
 * low in turn, or the spinner alone) still meets the step bound.
 * Returns how many of can are left: the low ones dropped, unless all
 * are low. */
enum { RLW_LOW = 2 };

static int
fair(int *can, int n)
{
	int m = 0;

	for (int i = 0; i < n; i++)
		if (rlw_reg->w[can[i]].low < RLW_LOW)
			m++;
	if (m == 0 || m == n)
		return n;
	m = 0;
	for (int i = 0; i < n; i++)
		if (rlw_reg->w[can[i]].low < RLW_LOW)
			can[m++] = can[i];
	return m;
}

/* After p's step: the others have seen a step of another worker; p
 * counts its operations that made no progress since then. */
static void
lose_priority(int p)
{
	struct rlw_region *r = rlw_reg;
	struct rlw_worker *w = &r->w[p];

	for (uint32_t i = 1; i <= r->nworkers; i++)
		if ((int)i != p)
			r->w[i].low = 0;
	switch (w->op) {
	case RLW_OP_YIELD:
		w->low++;
		break;
	case RLW_OP_TRYLOCK: case RLW_OP_SEM_TRYWAIT: case RLW_OP_TRYRDLOCK:
	case RLW_OP_TRYWRLOCK: case RLW_OP_SEM_WAIT: case RLW_OP_COND_RELOCK:
	case RLW_OP_JOIN: /* a try or timed join that found it running */
		w->low += w->result != 0;
		break;
	default:
		break;
	}
}

/* At an executable's point after pthread_create or fork returns (see
 * rlw_created): the new worker, or 0; and whether the creator and it
 * alone may go there. */
static int born;
static bool born_alone;

/* Whether worker i may be chosen at this point.  At the point after a
 * creation, the creator and its new worker; the creator's other threads
 * too unless the creation wrote only the creator's own stack (a
 * pthread_t there, as a thread's stack is its own for the .c form too).
 * Another worker's step there is the same run as its step just before
 * the creation, which is explored, unless it touches what the creation
 * wrote: the pthread_t, or (fork) the memory copied; a worker of another
 * process touches neither. */
static bool
choosable(uint32_t i)
{
	const struct rlw_region *r = rlw_reg;

	return !born || (int)i == born || (int)i == rlw_me ||
	       (!born_alone && r->w[i].aspace == r->w[rlw_me].aspace);
}

/* Choose the next worker to go and make its operation happen; 0 when
 * nobody is left. */
static int
pick(void)
{
	struct rlw_region *r = rlw_reg;
	int can[RLW_MAX_WORKERS], n, p = 0;

again:
	n = 0;
	for (uint32_t i = 1; i <= r->nworkers; i++)
		if (enabled((int)i) && choosable(i))
			can[n++] = (int)i;
	if (n == 0) {
		if (r->nlive == 0)
			return 0;
		stop(RLW_END_ASLEEP); /* or a deadlock: stop tells them apart */
	}
	if (r->nlive == 1) { /* alone: no choice, no step */
		/* but asleep: what follows was run before (sleep sets) */
		if (r->por && r->mode == RLW_EXPLORE && r->k >= r->nsched && r->armed &&
		    asleep(can[0]))
			stop(RLW_END_SLEPT);
		apply(can[0]);
		return can[0];
	}
	n = fair(can, n);
	if (r->steps >= r->max_steps)
		stop(RLW_END_BOUND);
	switch (r->mode) {
	case RLW_SCHEDULE:
	case RLW_EXPLORE:
		if (r->k < r->nsched) {
			int want = r->sched[r->k];

			if (!in(can, n, want)) {
				if (r->mode == RLW_EXPLORE)
					stop(RLW_END_DIVERGED);
				rlw_inside++;
				fprintf(stderr, "racelab-watch: schedule step %llu: worker %d %s; skipped\n",
				        (unsigned long long)r->k + 1, want,
				        want > (int)r->nworkers ? "does not exist (yet)" :
				        r->w[want].state == RLW_W_DONE ? "has ended" : "cannot move");
				rlw_inside--;
				r->k++;
				goto again;
			}
			r->k++;
			p = want;
			break;
		}
		if (r->por && r->mode == RLW_EXPLORE) {
			if (!(p = sleep_pick(can, n)))
				stop(RLW_END_SLEPT);
			break;
		}
		p = in(can, n, (int)r->last) ? (int)r->last : can[0];
		break;
	case RLW_QUANTUM:
		if (in(can, n, (int)r->last) && r->qrun < r->quantum) {
			p = (int)r->last;
		} else {
			p = can[0];
			for (int i = 0; i < n; i++)
				if (can[i] > (int)r->last) {
					p = can[i];
					break;
				}
		}
		break;
	case RLW_RANDOM:
		p = can[splitmix(&r->rng) % (uint64_t)n];
		break;
	default:
		p = can[0];
	}
	log_step(p, can, n);
	if (r->por && r->mode == RLW_EXPLORE)
		sleep_log(p, can, n);
	r->steps++;
	r->qrun = p == (int)r->last ? r->qrun + 1 : 1;
	r->last = (uint32_t)p;
	if (r->trace) {
		rlw_inside++;
		trace(p);
		rlw_inside--;
	}
	apply(p);
	lose_priority(p);
	if (r->w[p].op == RLW_OP_CREATE || r->w[p].op == RLW_OP_FORK) {
		if (r->w[p].result < 0)
			stop(RLW_END_CAP);
	}
	return p;
}

void
rlw_point(enum rlw_op op, uintptr_t obj, uintptr_t obj2, int64_t arg, uintptr_t pc)
{
	struct rlw_worker *w = &rlw_reg->w[rlw_me];
	int p;

	w->op = op;
	w->obj = obj;
	w->obj2 = obj2;
	w->arg = arg;
	w->pc = pc;
	rlw_publish(rlw_me);
	if (w->silent) { /* the first stretch is over: back to the creator */
		p = w->silent;
		w->silent = 0;
		hand_to(p);
		rlw_wait_baton();
		return;
	}
	p = pick();
	born = 0;
	if (p == rlw_me)
		return;
	hand_to(p);
	rlw_wait_baton();
}

void
rlw_leave(void)
{
	int p = pick();

	if (p > 0 && p != rlw_me)
		hand_to(p);
}

/* An executable's pthread_create or fork has returned in the creator:
 * a point, so that the new worker's first stretch (which may touch
 * anything, unseen) can run before the creator's next one, as it can for
 * real.  Without it "create; write M" in main and "write T" in the
 * thread give "M T" only.  A .c program needs none: there the first
 * stretch touches nothing shared (rlw_first_stretch). */
void
rlw_created(int no, bool alone, uintptr_t pc)
{
	if (rlw_tsan || no <= 0)
		return;
	born = no;
	born_alone = alone;
	rlw_point(RLW_OP_START, 0, 0, rlw_reg->w[no].process ? 2 : 1, pc);
}

/* A .c program's new thread or process: everything it does before its
 * first scheduling point touches nothing shared (each shared access is
 * a point), so it runs now, inside its creator's step, and does not
 * make a step of its own (where it starts would not change any outcome:
 * the interleavings that differ only there are one).  An executable's
 * first stretch may touch shared memory unseen: there it is a step. */
void
rlw_first_stretch(int no)
{
	if (!rlw_tsan || no <= 0)
		return;
	rlw_reg->w[no].silent = rlw_me;
	hand_to(no);
	rlw_wait_baton();
}

void
rlw_publish(int no)
{
	char op[96];

	if (!rlw_board_on())
		return;
	op_label(&rlw_reg->w[no], op, sizeof op);
	rlw_board_op(no, op, rlw_reg->w[no].pc);
}

/* A step, in the explorer (pick) and in the shell's step mode alike, is
 * a scheduling point while two or more workers live: a worker alone has
 * no choice to make and takes no step (main before its first
 * pthread_create, after its last join).  A free run under the shell
 * counts its live workers for that: a point gates only when another
 * lives, and the last one left runs freely (ungated) at once, as pick()
 * lets it. */
static _Atomic uint32_t *
free_live(void)
{
	return (_Atomic uint32_t *)&rlw_reg->nlive;
}

void
rlw_free_born(void)
{
	if (atomic_fetch_add(free_live(), 1) == 1)
		rlw_board_alone(false);
}

void
rlw_free_ended(void)
{
	if (atomic_fetch_sub(free_live(), 1) == 2)
		rlw_board_alone(true);
}

void
rlw_free_point(enum rlw_op op, uintptr_t obj, uintptr_t obj2, int64_t arg, uintptr_t pc)
{
	struct rlw_worker *w = &rlw_reg->w[rlw_me];

	w->op = op;
	w->obj = obj;
	w->obj2 = obj2;
	w->arg = arg;
	w->pc = pc;
	rlw_inside++;
	rlw_publish(rlw_me);
	if (atomic_load(free_live()) > 1)
		rlw_board_gate(rlw_me);
	rlw_inside--;
}

/* The worker that holds or waits for the object at addr (of the caller's
 * process), or 0. */
static int
user_of(const struct rlw_obj *o, uintptr_t addr, bool *holds_it)
{
	struct rlw_region *r = rlw_reg;

	*holds_it = true;
	if (o && o->owner > 0)
		return o->owner;
	*holds_it = false;
	for (uint32_t i = 1; i <= r->nworkers; i++) {
		const struct rlw_worker *w = &r->w[i];

		if (w->state != RLW_W_LIVE || (int)i == rlw_me ||
		    (o && o->aspace && w->aspace != o->aspace) ||
		    (!o && w->aspace != r->w[rlw_me].aspace))
			continue;
		switch (w->op) {
		case RLW_OP_LOCK: case RLW_OP_RDLOCK: case RLW_OP_WRLOCK:
		case RLW_OP_SEM_WAIT: case RLW_OP_BARRIER_LEAVE:
			if (w->obj == addr)
				return (int)i;
			break;
		case RLW_OP_COND_RELOCK: /* waits on the condvar, or for its mutex */
			if (w->obj == addr || (w->signalled && w->obj2 == addr))
				return (int)i;
			break;
		default:
			break;
		}
	}
	if (o && o->kind == RLW_O_RWLOCK && o->count > 0) {
		*holds_it = true;
		return -1; /* readers (not recorded by name) */
	}
	return 0;
}

void
rlw_obj_check(uintptr_t addr, enum rlw_obj_kind kind, bool destroy, uintptr_t pc)
{
	static const char *const kinds[] = {
		[RLW_O_MUTEX] = "mutex", [RLW_O_COND] = "condition variable",
		[RLW_O_SEM] = "semaphore", [RLW_O_RWLOCK] = "rwlock",
		[RLW_O_BARRIER] = "barrier", [RLW_O_SPIN] = "spin lock",
	};
	struct rlw_region *r = rlw_reg;
	uint32_t sp = obj_space(addr, kind);
	struct rlw_obj *o = find_obj(addr, sp ? sp : r->w[rlw_me].aspace);
	bool held;
	int u = user_of(o, addr, &held);
	char me[96], name[64], where[160], other[96];

	if (u == 0)
		return;
	rlw_inside++;
	who(rlw_me, me, sizeof me);
	rlw_data_name(addr, name, sizeof name);
	rlw_code_line(pc, where, sizeof where);
	if (u > 0)
		who(u, other, sizeof other);
	else
		snprintf(other, sizeof other, "readers");
	snprintf(r->text, RLW_TEXT_LEN, "misuse: %s %s %s %s%s%s%s while %s %s it",
	         me, destroy ? "destroys" : "initialises again", kinds[kind] ? kinds[kind] : "object",
	         name, where[0] ? " (" : "", where, where[0] ? ")" : "",
	         u == rlw_me ? "it" : other,
	         held ? (u == rlw_me ? "holds" : u > 0 ? "holds" : "hold") : "waits for");
	rlw_inside--;
	stop(RLW_END_MISUSE);
}

void
rlw_obj_renew(uintptr_t addr, enum rlw_obj_kind kind)
{
	struct rlw_obj *o = rlw_obj(addr, kind);

	if (o) {
		o->kind = kind;
		from_real(o);
	}
}

/* ---- affinity ----------------------------------------------------------
 * A scheduled run is pinned to one CPU (racelab-watch: one thread goes at
 * a time).  The program is told the CPUs racelab-watch was given, as a
 * free run is (sched_getaffinity and pthread_getaffinity_np of any of its
 * threads), so that what it decides from them (how many workers) is the
 * same in both; a sched_setaffinity or pthread_setaffinity_np of its own
 * threads is accepted when the mask has one of those CPUs (EINVAL when
 * not, as the kernel answers) and not applied: the schedule decides who
 * runs.  The raw system call and nproc(1) run from it see the one CPU. */
static bool
own_task(pid_t pid)
{
	struct rlw_region *r = rlw_reg;

	if (pid == 0)
		return true;
	for (uint32_t i = 1; i <= r->nworkers && i <= RLW_MAX_WORKERS; i++)
		if (r->w[i].state == RLW_W_LIVE &&
		    (atomic_load(&r->w[i].tid) == pid || atomic_load(&r->w[i].pid) == pid))
			return true;
	return false;
}

static bool
scheduled(void)
{
	return rlw_reg && rlw_reg->mode != RLW_FREE;
}

static void
given_cpus(size_t n, cpu_set_t *set)
{
	memset(set, 0, n);
	memcpy(set, rlw_reg->cpus, n < sizeof rlw_reg->cpus ? n : sizeof rlw_reg->cpus);
}

static bool
meets_given(size_t n, const cpu_set_t *set)
{
	const unsigned char *a = (const unsigned char *)set;
	const unsigned char *b = (const unsigned char *)rlw_reg->cpus;

	for (size_t i = 0; i < n && i < sizeof rlw_reg->cpus; i++)
		if (a[i] & b[i])
			return true;
	return false;
}

void
rlw_real_warm(void)
{
	extern struct rlw_real __start_rlw_real[] __attribute__((visibility("hidden")));
	extern struct rlw_real __stop_rlw_real[] __attribute__((visibility("hidden")));

	for (struct rlw_real *e = __start_rlw_real; e < __stop_rlw_real; e++)
		if (!*e->fn)
			*e->fn = dlsym(RTLD_NEXT, e->name);
}

static int (*real_sched_getaffinity)(pid_t, size_t, cpu_set_t *);
static int (*real_sched_setaffinity)(pid_t, size_t, const cpu_set_t *);
static int (*real_pthread_getaffinity_np)(pthread_t, size_t, cpu_set_t *);
static int (*real_pthread_setaffinity_np)(pthread_t, size_t, const cpu_set_t *);

RLW_API int
sched_getaffinity(pid_t pid, size_t n, cpu_set_t *set)
{
	int r = REAL(sched_getaffinity)(pid, n, set);

	if (r == 0 && scheduled() && own_task(pid))
		given_cpus(n, set);
	return r;
}

RLW_API int
sched_setaffinity(pid_t pid, size_t n, const cpu_set_t *set)
{
	if (!scheduled() || !own_task(pid))
		return REAL(sched_setaffinity)(pid, n, set);
	if (!meets_given(n, set)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

RLW_API int
pthread_getaffinity_np(pthread_t th, size_t n, cpu_set_t *set)
{
	int r = REAL(pthread_getaffinity_np)(th, n, set);

	if (r == 0 && scheduled())
		given_cpus(n, set);
	return r;
}

RLW_API int
pthread_setaffinity_np(pthread_t th, size_t n, const cpu_set_t *set)
{
	if (!scheduled())
		return REAL(pthread_setaffinity_np)(th, n, set);
	return meets_given(n, set) ? 0 : EINVAL;
}
