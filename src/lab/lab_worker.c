// The lab runtime: workers (threads or processes), probes, the scheduler.
#include "lab.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static bool poll_process(struct lab_worker *w);
static void *drive(void *p);

static void
nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint32_t
lab_label_slow(struct lab_worker *w, _Atomic uint32_t *idp, const char *label)
{
	uint32_t id = board_label_intern(w->lab->board, label);

	atomic_store_explicit(idp, id, memory_order_relaxed);
	return id;
}

void
lab_set_state(struct lab_worker *w, enum board_state s)
{
	board_actor_state(w->actor, s);
}

void
lab_set_name(struct lab_worker *w, const char *name)
{
	struct board_actor *a = w->actor;

	board_actor_publish(a, atomic_load(&a->kind), atomic_load(&a->pid),
	                    atomic_load(&a->tid), atomic_load(&a->ppid),
	                    atomic_load(&a->worker_no), name);
}

/* Record the step.  Sampled (RACELAB_RECORD=sampled, to compare a run
 * with and without full recording): widen the stride while steps come
 * faster than one a millisecond and narrow it again when they slow down. */
void
lab_probe_event(struct lab_worker *w, uint32_t arg, int64_t value, uint64_t step)
{
	uint64_t now;

	board_event_put(w->actor, BOARD_EV_STEP, arg, value);
	w->ev_step = step;
	if (!w->lab->record_sampled) {
		w->ev_next = step + 1;
		return;
	}
	now = board_now_ns();
	if (w->ev_stride == 0)
		w->ev_stride = 1;
	if (now - w->ev_last_ns < 1000000u) {
		if (w->ev_stride < (1u << 24))
			w->ev_stride *= 2;
	} else if (now - w->ev_last_ns > 4000000u && w->ev_stride > 1) {
		w->ev_stride /= 2;
	}
	w->ev_last_ns = now;
	w->ev_next = step + w->ev_stride;
}

/* Park at the gate until the shell, the schedule or the terminal grants a
 * step (or step mode ends).  The state is restored afterwards, so a worker
 * that stops inside its critical section is still shown holding the lock. */
void
lab_gate(struct lab_worker *w)
{
	struct board_actor *a = w->actor;
	uint32_t before = atomic_load_explicit(&a->state, memory_order_relaxed);

	if (atomic_load_explicit(&a->ungated, memory_order_acquire))
		return; /* a server, or a team whose schedule is over */
	atomic_store_explicit(&a->gate_resume, before, memory_order_relaxed);
	atomic_store_explicit(&a->state, BOARD_ST_GATE, memory_order_release);
	board_event_put(a, BOARD_EV_GATE, atomic_load(&a->op),
	                (int64_t)atomic_load(&a->line));
	board_gate_wait(a, &w->lab->board->control, before);
}

void
lab_sleep(struct lab_worker *w, double seconds)
{
	struct timespec ts;
	uint32_t before = atomic_load_explicit(&w->actor->state,
	                                       memory_order_relaxed);

	/* Sleeping while holding a lock is still "in the critical section". */
	if (before != BOARD_ST_CRITICAL)
		lab_set_state(w, BOARD_ST_SLEEPING);
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	lab_set_state(w, before);
}

/* Released workers may still not run at the same time: the kernel wakes
 * them on or near the waker's core, and two that share a core take turns
 * instead of overlapping.  So each one also waits at a start line until
 * every worker of the team is running (at most 100 ms).  With several
 * cores it spins: a busy core makes the kernel move the other runnable
 * worker to an idle core.  With one core it yields, or the others could
 * never arrive; so it does when there are more workers than cores. */
static void
start_line(struct lab_worker *w)
{
	struct board *b = w->lab->board;
	uint32_t n = (uint32_t)w->team->n;
	uint64_t t0 = board_now_ns();
	bool share = w->lab->ncpu < 2 || (int)n > w->lab->ncpu;

	/* An --explore run: its gates order every step, so a common start
	 * buys nothing, and spinning for it was a third of each run's time. */
	if (w->lab->exploring)
		return;
	atomic_fetch_add(&b->arrived, 1);
	while (atomic_load(&b->arrived) < n &&
	       board_now_ns() - t0 < 100000000u) {
		if (share)
			sched_yield();
	}
}

/* What every worker does around the lesson's body. */
static int
worker_main(struct lab_worker *w)
{
	struct board_actor *a = w->actor;
	char name[BOARD_NAME_LEN];
	int rc;

	/* Not w->pid: for a thread worker, the parent owns that field. */
	snprintf(name, sizeof name, "worker %d", w->no);
	w->ev_next = 1;
	w->ev_stride = 1;
	w->ev_last_ns = 0;
	atomic_store(&a->state, BOARD_ST_STARTING);
	board_event_put(a, BOARD_EV_STATE, BOARD_ST_STARTING, BOARD_ST_STARTING);
	board_actor_publish(a, w->mode == LAB_PROCESS ? BOARD_KIND_PROCESS
	                                              : BOARD_KIND_THREAD,
	                    getpid(), gettid(), getppid(), (unsigned)w->no, name);
	board_ring_prefault(a); /* its page faults before the start, not in its work */
	board_go_wait(w->lab->board);
	start_line(w);
	atomic_store(&a->state, BOARD_ST_RUNNING);
	board_event_put(a, BOARD_EV_START, 0, 0);
	rc = w->team->fn(w);
	lab_cpu_worker_end(); /* its schedstat, before the task is gone */
	atomic_store(&a->op, 0);
	atomic_store(&a->exit_code, rc);
	atomic_store(&a->state, rc == 0 ? BOARD_ST_DONE : BOARD_ST_FAILED);
	board_event_put(a, BOARD_EV_END, 0, rc);
	return rc;
}

static void *
thread_main(void *p)
{
	return (void *)(intptr_t)worker_main(p);
}

static void
spawn_process(struct lab *lab, struct lab_worker *w, pid_t parent)
{
	pid_t pid;

	fflush(NULL); /* nothing buffered is written twice */
	pid = fork();
	if (pid < 0) {
		int e = errno;

		/* Workers already started wait at the barrier: end them. */
		for (struct lab_worker *o = w->team->w; o < w; o++)
			if (o->mode == LAB_PROCESS) {
				kill(o->pid, SIGKILL);
				waitpid(o->pid, NULL, 0);
			}
		errno = e;
		lab_die(lab, "fork of worker %d failed:", w->no);
	}
	if (pid == 0) {
		/* The child dies with the lesson, even on SIGKILL of it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		fflush(stdout);
		_exit(worker_main(w) & 0xff);
	}
	w->pid = pid;
	w->tid = pid;
}

static struct lab_team *
spawn(struct lab *lab, enum lab_mode mode, int first, int n, lab_worker_fn fn,
      void *arg, bool server)
{
	struct board *b = lab->board;
	struct lab_team *t;
	pthread_attr_t attr;
	pid_t self = getpid();

	if (n < 1 || first < 1 || first + n - 1 > BOARD_MAX_WORKERS)
		lab_die(lab, "cannot start workers %d..%d (at most %d)", first,
		        first + n - 1, BOARD_MAX_WORKERS);
	t = calloc(1, sizeof *t);
	if (!t || !(t->w = calloc((size_t)n, sizeof *t->w)))
		lab_die(lab, "out of memory");
	t->lab = lab;
	t->n = n;
	t->fn = fn;
	atomic_store(&b->go, 0);
	atomic_store(&b->arrived, 0);
	/* A scripted or interactive schedule holds every team at its gates. */
	if (lab_scheduled(lab))
		atomic_store(&b->control.step_mode, 1);
	if (atomic_load(&b->nactors) < (uint32_t)(first + n))
		atomic_store(&b->nactors, (uint32_t)(first + n));

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LAB_WORKER_STACK);
	for (int i = 0; i < n; i++) {
		struct lab_worker *w = &t->w[i];
		struct board_actor *a = &b->actor[first + i];

		w->lab = lab;
		w->no = first + i;
		w->actor = a;
		w->arg = arg;
		w->mode = mode;
		w->team = t;
		w->status = -1000;
		atomic_store(&a->state, BOARD_ST_STARTING);
		atomic_store(&a->pid, 0);
		atomic_store(&a->grant, 0);
		atomic_store(&a->taken, 0);
		atomic_store(&a->ungated, server);
		if (mode == LAB_PROCESS) {
			spawn_process(lab, w, self);
		} else {
			int e = pthread_create(&w->thread, &attr, thread_main, w);

			if (e) {
				errno = e;
				lab_die(lab, "cannot start thread worker %d:", w->no);
			}
			w->pid = self;
		}
	}
	pthread_attr_destroy(&attr);
	/* Release them together, once all of them exist. */
	for (int i = 0; i < n; i++)
		while (atomic_load(&t->w[i].actor->pid) == 0 &&
		       !poll_process(&t->w[i]))
			nap_us(50);
	for (int i = 0; i < n; i++)
		if (mode == LAB_THREAD)
			t->w[i].tid = atomic_load(&t->w[i].actor->tid);
	t->t_start = board_now_ns();
	board_go_release(b);
	if (lab_scheduled(lab) && !server) {
		atomic_fetch_add(&lab->ndriving, 1);
		if (pthread_create(&t->driver, NULL, drive, t))
			lab_die(lab, "cannot start the step scheduler");
		t->driving = true;
	}
	return t;
}

struct lab_team *
lab_spawn_ex(struct lab *lab, enum lab_mode mode, int first, int n,
             lab_worker_fn fn, void *arg)
{
	return spawn(lab, mode, first, n, fn, arg, false);
}

struct lab_team *
lab_spawn_server(struct lab *lab, enum lab_mode mode, int first,
                 lab_worker_fn fn, void *arg)
{
	return spawn(lab, mode, first, 1, fn, arg, true);
}

struct lab_team *
lab_spawn(struct lab *lab, int n, lab_worker_fn fn, void *arg)
{
	return lab_spawn_ex(lab, lab->o.mode, 1, n, fn, arg);
}

static void
record_status(struct lab_worker *w, int wstatus)
{
	struct board_actor *a = w->actor;

	w->joined = true;
	/* The worker is gone, so its event ring has no writer left but us. */
	if (WIFSIGNALED(wstatus)) {
		w->status = -WTERMSIG(wstatus);
		atomic_store(&a->exit_code, w->status);
		/* What it held stays marked: a permit it took is lost. */
		board_actor_state(a, BOARD_ST_KILLED);
	} else {
		w->status = WEXITSTATUS(wstatus);
		atomic_store(&a->exit_code, w->status);
		if (w->status != 0)
			board_actor_state(a, BOARD_ST_FAILED);
	}
}

/* Reap a process worker if it has ended. */
static bool
poll_process(struct lab_worker *w)
{
	int st;
	pid_t r;

	if (w->joined || w->mode != LAB_PROCESS)
		return w->joined;
	r = waitpid(w->pid, &st, WNOHANG);
	if (r == w->pid)
		record_status(w, st);
	return w->joined;
}

bool
lab_worker_alive(struct lab_worker *w)
{
	if (w->mode == LAB_PROCESS)
		return !poll_process(w);
	if (w->joined)
		return false;
	{
		uint32_t s = atomic_load(&w->actor->state);

		return s != BOARD_ST_DONE && s != BOARD_ST_FAILED;
	}
}

static bool
ended(struct lab_worker *w)
{
	uint32_t s = atomic_load_explicit(&w->actor->state, memory_order_acquire);

	if (s == BOARD_ST_DONE || s == BOARD_ST_FAILED || s == BOARD_ST_KILLED)
		return true;
	return poll_process(w);
}

/* A worker is settled when it will not move without a grant or another
 * worker's move: parked at its gate with no grant pending, ended, or
 * waiting for a lock that another worker holds (board_actor_settled; the
 * actor index is the worker number).  ended() also reaps a process worker
 * that died without saying so on the board. */
static bool
settled(struct lab_worker *w)
{
	return ended(w) || board_actor_settled(w->lab->board, (unsigned)w->no);
}

static void
wait_settled(struct lab_team *t)
{
	for (long spins = 0;; spins++) {
		bool all = true;

		for (int i = 0; i < t->n && all; i++)
			all = settled(&t->w[i]);
		if (all)
			return;
		if (spins < 200)
			sched_yield();
		else
			nap_us(100);
	}
}

/* Step mode off for everyone on the board, not only this team: a lesson
 * may run two teams at once (02's ids demo), and the other team's workers
 * are parked at their gates too. */
static void
free_run(struct lab_team *t)
{
	struct board *b = t->lab->board;
	uint32_t n = atomic_load(&b->nactors);

	/* Another team's schedule still going (two teams at once, each
	 * with its own driver): only this team is let go. */
	if (atomic_fetch_sub(&t->lab->ndriving, 1) > 1) {
		for (int i = 0; i < t->n; i++) {
			atomic_store(&t->w[i].actor->ungated, 1);
			board_gate_wake(t->w[i].actor);
		}
		return;
	}
	atomic_store(&b->control.step_mode, 0);
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++)
		board_gate_wake(&b->actor[i]);
}

static int
team_index(const struct lab_team *t, int no)
{
	for (int i = 0; i < t->n; i++)
		if (t->w[i].no == no)
			return i;
	return -1;
}

/* Why a worker cannot take a step now, or NULL. */
static const char *
cannot_step(struct lab_worker *w, char *buf, size_t len)
{
	struct board *b = w->lab->board;
	uint32_t s = atomic_load(&w->actor->state);

	if (ended(w)) {
		snprintf(buf, len, "worker %d has finished", w->no);
		return buf;
	}
	/* Blocked in a wait (a lock, a semaphore, a condition variable, a
	 * barrier, an rwlock): a grant would not move it, only another
	 * worker can. */
	if (s == BOARD_ST_WAIT_LOCK) {
		if (!lab_wait_text(b, (unsigned)w->no, buf, len)[0])
			snprintf(buf, len, "worker %d is waiting", w->no);
		return buf;
	}
	return NULL;
}

static bool
all_ended(struct lab_team *t)
{
	for (int i = 0; i < t->n; i++)
		if (!ended(&t->w[i]))
			return false;
	return true;
}

static void
report_deadlock(struct lab_team *t)
{
	int cyc[BOARD_MAX_LOCKS + 1], len = 0;
	struct lab *lab = t->lab;

	if (lab->lesson->watches_deadlock || /* the lesson reports it */
	    !lab_find_deadlock(lab->board, cyc, BOARD_MAX_LOCKS + 1, &len))
		return;
	fflush(stdout);
	fprintf(stderr, "%s: deadlock:", lab->prog);
	for (int i = 0; i < len; i++) {
		struct board_actor *a = &lab->board->actor[cyc[i]];
		uint32_t l = atomic_load(&a->wait_lock);

		fprintf(stderr, " worker %d waits for %s held by worker %d;", cyc[i],
		        l ? lab->board->lock[l - 1].name : "?",
		        cyc[(i + 1) % len]);
	}
	fputc('\n', stderr);
}

/* --trace: the step just taken, and the shared counters after it (the
 * probe's own value, when it carries one, is what it is about to write). */
static void
trace_step(struct lab *lab, unsigned long long k, int no, const char *op,
           bool has, long long v)
{
	struct board *b = lab->board;
	FILE *f = lab_text(lab) ? stdout : stderr; /* stdout: JSON only */
	uint32_t nc = atomic_load(&b->ncounters);

	flockfile(f);
	fprintf(f, "trace %llu: worker %d: %s", k, no, op);
	if (has)
		fprintf(f, " = %lld", v);
	for (uint32_t i = 0; i < nc && i < BOARD_MAX_COUNTERS; i++)
		fprintf(f, "%s %s %lld", i ? "," : " ->", b->counter[i].name,
		        (long long)atomic_load(&b->counter[i].value));
	fputc('\n', f);
	funlockfile(f);
	fflush(f);
}

/* One step for worker w, whoever chose it: the grant, the wait until every
 * worker has settled again (so the interleaving is the same every time,
 * whatever the machine's timing), the trace line, and the record of a
 * random schedule. */
static void
grant(struct lab_team *t, struct lab_worker *w)
{
	struct lab *lab = t->lab;
	struct board_actor *a = w->actor;
	char op[BOARD_LABEL_LEN + 1];
	bool has = atomic_load(&a->op_has_value);
	long long v = (long long)atomic_load(&a->op_value);
	unsigned long long k;

	snprintf(op, sizeof op, "%s", board_label(lab->board, atomic_load(&a->op)));
	board_gate_grant(a);
	wait_settled(t);
	pthread_mutex_lock(&lab->rs_lock);
	k = ++lab->granted;
	if (lab->o.random) {
		char num[16];
		int n = snprintf(num, sizeof num, "%s%d", lab->rsched_len ? "," : "", w->no);

		if (lab->rsched_len + (size_t)n + 1 > lab->rsched_cap) {
			size_t cap = lab->rsched_cap ? 2 * lab->rsched_cap : 4096;
			char *p = realloc(lab->rsched, cap);

			if (!p)
				lab_die(lab, "out of memory");
			lab->rsched = p;
			lab->rsched_cap = cap;
		}
		memcpy(lab->rsched + lab->rsched_len, num, (size_t)n + 1);
		lab->rsched_len += (size_t)n;
	}
	pthread_mutex_unlock(&lab->rs_lock);
	if (lab->o.trace)
		trace_step(lab, k, w->no, op, has, v);
}

/* Replay --schedule: one grant per entry, each followed by a wait until
 * every worker has settled again, so the interleaving is the same every
 * time whatever the machine's timing.  Returns false on a deadlock. */
static bool
drive_schedule(struct lab_team *t)
{
	struct lab *lab = t->lab;
	char why[128];

	wait_settled(t);
	for (int k = 0; k < lab->nsched; k++) {
		int i = team_index(t, lab->sched[k]);
		struct lab_worker *w;

		if (i < 0)
			continue;
		w = &t->w[i];
		if (cannot_step(w, why, sizeof why)) {
			fflush(stdout);
			fprintf(stderr, "%s: schedule step %d: %s; skipped\n",
			        lab->prog, k + 1, why);
			continue;
		}
		grant(t, w);
		if (!all_ended(t) && lab_find_deadlock(lab->board, NULL, 0, NULL)) {
			report_deadlock(t);
			return false;
		}
		/* Everyone asleep without a cycle (a lost wake-up, a barrier
		 * short of arrivals): no later step can be taken; lab_join's
		 * watch reports it. */
		if (lab_all_blocked(lab->board))
			break;
	}
	free_run(t);
	return true;
}

/* splitmix64: a small, well-mixed generator; the same seed gives the same
 * sequence on every machine (rand() promises no such thing). */
static uint64_t
next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* --quantum K and --random-schedule SEED: the lab schedules every step to
 * the end of the run.  Round-robin gives each worker in turn up to K
 * steps (fewer when it ends or blocks on a lock); random picks, at each
 * step, one of the workers that can move, uniformly.  When none can and
 * some have not ended, it is a deadlock (reported) or a wait for something
 * else (lab_join's watch judges it, after a free run). */
static bool
drive_auto(struct lab_team *t)
{
	struct lab *lab = t->lab;
	uint64_t rs = lab->o.seed;
	int cur = 0, can[BOARD_MAX_WORKERS];
	char why[128];

	wait_settled(t);
	for (;;) {
		int ncan = 0, i;

		if (all_ended(t))
			break;
		for (int k = 0; k < t->n; k++) {
			int j = (cur + k) % t->n;

			if (!cannot_step(&t->w[j], why, sizeof why))
				can[ncan++] = j;
		}
		if (ncan == 0) {
			if (lab_find_deadlock(lab->board, NULL, 0, NULL)) {
				report_deadlock(t);
				return false;
			}
			break;
		}
		if (lab->o.random) {
			grant(t, &t->w[can[next_random(&rs) % (uint64_t)ncan]]);
			continue;
		}
		i = can[0]; /* the next in turn that can move */
		for (int q = 0; q < lab->o.quantum &&
		                !cannot_step(&t->w[i], why, sizeof why); q++)
			grant(t, &t->w[i]);
		cur = (i + 1) % t->n;
		if (!all_ended(t) && lab_find_deadlock(lab->board, NULL, 0, NULL)) {
			report_deadlock(t);
			return false;
		}
	}
	free_run(t);
	return true;
}

/* ---- An --explore run ----------------------------------------------------
 * The explorer (lab_explore.c) forks this process once per schedule.  Its
 * driver grants the schedule's prefix (lab->sched), then keeps to the
 * worker it granted last while that one can move (so the run adds no
 * preemption of its own), else the lowest-numbered that can.  Before each
 * step it writes, to lab->explore_fd, the worker granted and every worker
 * that could have been ("S 1 1,2"), so the explorer can try the others;
 * at the end, how the run ended ("E ok", deadlock, asleep, bound).  A run
 * that cannot go on (a cycle of lock waits, everyone asleep, more than
 * --max-steps steps) ends here at once: the outcome is known, and waiting
 * for the lab's watch would cost a third of a second a run. */
struct ex_out {
	char *buf;
	size_t len, cap;
};

static void
ex_put(struct lab *lab, struct ex_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf ? o->buf + o->len : NULL,
		              o->buf ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n >= 0 && o->buf && o->len + (size_t)n < o->cap)
			break;
		o->cap = o->cap ? 2 * o->cap + (size_t)n : 4096;
		if (!(o->buf = realloc(o->buf, o->cap)))
			lab_die(lab, "out of memory");
	}
	o->len += (size_t)n;
}

static void
ex_flush(struct lab *lab, struct ex_out *o)
{
	for (size_t off = 0; off < o->len;) {
		ssize_t n = write(lab->explore_fd, o->buf + off, o->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	o->len = 0;
}

static _Noreturn void
ex_stop(struct lab_team *t, struct ex_out *o, const char *how)
{
	struct lab *lab = t->lab;

	ex_put(lab, o, "E %s\n", how);
	ex_flush(lab, o);
	for (int i = 0; i < t->n; i++)
		if (t->w[i].mode == LAB_PROCESS && !t->w[i].joined)
			kill(t->w[i].pid, SIGKILL);
	_exit(LAB_EXIT_DEADLOCK);
}

static bool
drive_explore(struct lab_team *t)
{
	struct lab *lab = t->lab;
	struct ex_out o = { 0 };
	int last = -1, can[BOARD_MAX_WORKERS];
	char why[128];

	/* Two teams scheduled at once (a lesson's side demo): their steps
	 * would interleave outside this driver's view. */
	if (atomic_load(&lab->ndriving) > 1)
		ex_stop(t, &o, "unsupported");
	wait_settled(t);
	for (;;) {
		int ncan = 0, i = -1;

		if (all_ended(t))
			break;
		for (int k = 0; k < t->n; k++)
			if (!cannot_step(&t->w[k], why, sizeof why))
				can[ncan++] = k;
		if (ncan == 0) {
			if (lab_find_deadlock(lab->board, NULL, 0, NULL))
				ex_stop(t, &o, "deadlock");
			if (lab_all_blocked(lab->board))
				ex_stop(t, &o, "asleep");
			break; /* waits for the lesson's main: let it run */
		}
		if (lab->explore_k >= lab->o.max_steps)
			ex_stop(t, &o, "bound");
		if (lab->explore_k < lab->nsched) {
			int want = team_index(t, lab->sched[lab->explore_k]);

			for (int k = 0; k < ncan; k++)
				if (can[k] == want)
					i = want;
			if (i < 0) /* the prefix asked for a worker that cannot move */
				ex_stop(t, &o, "diverged");
		} else {
			i = can[0];
			for (int k = 0; k < ncan; k++)
				if (can[k] == last)
					i = last;
		}
		ex_put(lab, &o, "S %d ", t->w[i].no);
		for (int k = 0; k < ncan; k++)
			ex_put(lab, &o, "%s%d", k ? "," : "", t->w[can[k]].no);
		ex_put(lab, &o, "\n");
		lab->explore_k++;
		last = i;
		grant(t, &t->w[i]);
		if (!all_ended(t) && lab_find_deadlock(lab->board, NULL, 0, NULL))
			ex_stop(t, &o, "deadlock");
	}
	ex_flush(lab, &o);
	free(o.buf);
	free_run(t);
	return true;
}

static void
print_positions(struct lab_team *t)
{
	struct board *b = t->lab->board;

	for (int i = 0; i < t->n; i++) {
		struct lab_worker *w = &t->w[i];
		struct board_actor *a = w->actor;
		uint32_t s = atomic_load(&a->state);

		if (ended(w)) {
			printf("  [%d] done\n", w->no);
			continue;
		}
		printf("  [%d] %s %s", w->no, s == BOARD_ST_WAIT_LOCK ? "waits:" : "next:",
		       board_label(b, atomic_load(&a->op)));
		if (atomic_load(&a->op_has_value))
			printf(" = %lld", (long long)atomic_load(&a->op_value));
		printf("  (line %u)\n", atomic_load(&a->line));
		if (s == BOARD_ST_WAIT_LOCK) {
			char why[160];

			if (lab_wait_text(b, (unsigned)w->no, why, sizeof why)[0])
				printf("      %s\n", why);
		}
	}
}

/* --step: the person at the terminal is the scheduler. */
static bool
drive_terminal(struct lab_team *t)
{
	struct lab *lab = t->lab;
	char line[64], why[128];

	wait_settled(t);
	for (;;) {
		if (all_ended(t))
			break;
		if (lab_find_deadlock(lab->board, NULL, 0, NULL)) {
			report_deadlock(t);
			return false;
		}
		if (lab_all_blocked(lab->board)) {
			printf("everyone asleep: no worker can take a step\n");
			fflush(stdout);
			break;
		}
		print_positions(t);
		printf("step (%d-%d, a = each once, g = go, q = quit)> ", t->w[0].no,
		       t->w[t->n - 1].no);
		fflush(stdout);
		if (!fgets(line, sizeof line, stdin)) {
			printf("\n");
			break;
		}
		if (line[0] == 'g')
			break;
		if (line[0] == 'q') {
			for (int i = 0; i < t->n; i++)
				if (t->w[i].mode == LAB_PROCESS && !ended(&t->w[i]))
					kill(t->w[i].pid, SIGKILL);
			exit(1);
		}
		if (line[0] == 'a') {
			for (int i = 0; i < t->n; i++)
				if (!cannot_step(&t->w[i], why, sizeof why))
					grant(t, &t->w[i]);
			continue;
		}
		{
			char *end;
			long no = strtol(line, &end, 10);
			int i = team_index(t, (int)no);

			if (end == line || i < 0) {
				printf("no worker '%.*s'\n", (int)strcspn(line, "\n"), line);
				continue;
			}
			if (cannot_step(&t->w[i], why, sizeof why)) {
				printf("%s\n", why);
				continue;
			}
			grant(t, &t->w[i]);
		}
	}
	free_run(t);
	return true;
}

/* ---- Stuck runs ---------------------------------------------------------
 * A free run can get stuck for good without a cycle of lock waits: a
 * process worker dies holding a semaphore permit (SIGPIPE when the reader
 * of its output has gone, `racelab-coordination | head -1`), and every
 * other worker sleeps in sem_wait.  While lab_join waits, it looks at the
 * board every STUCK_LOOK_MS: when every worker that has not ended is
 * waiting, without a timeout, for something no one can give it (a mutex
 * someone holds, a semaphore with no permit left, a condition variable
 * with no wake-up pending: board_actor_settled), and nothing on the board
 * has moved for STUCK_LOOKS looks, nothing ever will.  The run is reported
 * on stderr and the program exits LAB_EXIT_DEADLOCK instead of hanging. */
enum { STUCK_LOOK_MS = 100, STUCK_LOOKS = 3 };

struct stuck_watch {
	int looks;    /* consecutive looks that found everyone stuck */
	uint64_t sig; /* what the board looked like at the last one */
};

static bool ended(struct lab_worker *w);

/* Is every worker of the board that has not ended stuck?  *sig gets a
 * digest of everything that moves when anyone makes progress. */
static bool
all_stuck(struct lab *lab, uint64_t *sig)
{
	struct board *b = lab->board;
	uint32_t n = atomic_load(&b->nactors);
	uint64_t h = 1469598103934665603u;

	if (n > BOARD_MAX_ACTORS)
		n = BOARD_MAX_ACTORS;
	if (!lab_all_blocked(b))
		return false;
	for (uint32_t i = 1; i < n; i++) {
		struct board_actor *a = &b->actor[i];

		h = (h ^ atomic_load(&a->state)) * 1099511628211u;
		h = (h ^ atomic_load(&a->steps)) * 1099511628211u;
		h = (h ^ atomic_load(&a->wait_lock)) * 1099511628211u;
	}
	for (uint32_t i = 0; i < atomic_load(&b->nlocks) && i < BOARD_MAX_LOCKS; i++) {
		h = (h ^ atomic_load(&b->lock[i].acquisitions)) * 1099511628211u;
		h = (h ^ (uint32_t)atomic_load(&b->lock[i].value)) * 1099511628211u;
	}
	*sig = h;
	return true;
}

/* Who is waiting for what, and who holds it: one line on stderr. */
static void
report_stuck(struct lab_team *t)
{
	struct lab *lab = t->lab;
	struct board *b = lab->board;
	uint32_t n = atomic_load(&b->nactors);
	char buf[64];

	fprintf(stderr, "%s: everyone asleep (stuck):", lab->prog);
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++) {
		struct board_actor *a = &b->actor[i];
		uint32_t l = atomic_load(&a->wait_lock);
		struct board_lock *bl;

		if (atomic_load(&a->state) != BOARD_ST_WAIT_LOCK || !l ||
		    l > BOARD_MAX_LOCKS)
			continue;
		bl = &b->lock[l - 1];
		switch (atomic_load(&bl->kind)) {
		case BOARD_LOCK_COND:
			fprintf(stderr, " worker %u waits on %s (no signal pending)", i,
			        bl->name);
			break;
		case BOARD_LOCK_BARRIER:
			fprintf(stderr, " worker %u waits at %s (%d of %d arrived)", i,
			        bl->name, atomic_load(&bl->value), atomic_load(&bl->permits));
			break;
		case BOARD_LOCK_RWLOCK:
			fprintf(stderr, " worker %u waits to %s %s", i,
			        atomic_load(&a->wait_arg) == BOARD_WAIT_WRITE ? "write" : "read",
			        bl->name);
			break;
		default:
			fprintf(stderr, " worker %u waits for %s", i, bl->name);
			if (atomic_load(&bl->kind) == BOARD_LOCK_SEM)
				fprintf(stderr, " (%d of %d permits left)",
				        atomic_load(&bl->value), atomic_load(&bl->permits));
		}
		fputc(';', stderr);
	}
	for (uint32_t i = 1; i < n && i < BOARD_MAX_ACTORS; i++) {
		struct board_actor *a = &b->actor[i];
		uint32_t held = atomic_load(&a->held);
		int st;

		if (!held)
			continue;
		fprintf(stderr, " worker %u holds", i);
		for (int k = 0; k < BOARD_MAX_LOCKS; k++)
			if (held & (1u << k))
				fprintf(stderr, " %s", b->lock[k].name);
		st = atomic_load(&a->state);
		if (st == BOARD_ST_KILLED)
			fprintf(stderr, " and was %s", lab_status_text(
			        atomic_load(&a->exit_code), buf, sizeof buf));
		else if (st == BOARD_ST_DONE || st == BOARD_ST_FAILED)
			fprintf(stderr, " and has ended");
		fputc(';', stderr);
	}
	fprintf(stderr, " nothing can move again: stopping\n");
}

/* One look; true when the run has been stuck for long enough. */
static bool
stuck_look(struct lab_team *t, struct stuck_watch *sw)
{
	struct lab *lab = t->lab;
	uint64_t sig = 0;

	/* A lesson that watches for cycles itself reports them, and ends
	 * the workers in its own way: leave them alone (not even reaped). */
	if (lab->lesson->watches_deadlock &&
	    lab_find_deadlock(lab->board, NULL, 0, NULL)) {
		sw->looks = 0;
		return false;
	}
	for (int i = 0; i < t->n; i++)
		(void)ended(&t->w[i]); /* reap the dead: their state is KILLED */
	if (!all_stuck(lab, &sig)) {
		sw->looks = 0;
		return false;
	}
	if (sw->looks == 0 || sig != sw->sig)
		sw->looks = 1;
	else
		sw->looks++;
	sw->sig = sig;
	return sw->looks >= STUCK_LOOKS;
}

/* --json: the run's record says so (all_blocked 1; its deadlock field
 * says whether the waits form a cycle), since the lesson's own record
 * will never be printed. */
static void
json_stuck(struct lab_team *t)
{
	struct lab *lab = t->lab;
	int cyc[BOARD_MAX_LOCKS + 1], len = 0;
	struct lab_json j;

	if (!lab->o.json)
		return;
	lab_json_begin(&j);
	lab_json_int(&j, "run", lab->run);
	lab_json_str(&j, "mode", lab_mode_name(lab->o.mode));
	lab_json_int(&j, "workers", t->n);
	lab_json_bool(&j, "deadlock", lab_find_deadlock(lab->board, cyc,
	                                                BOARD_MAX_LOCKS + 1, &len));
	lab_json_int(&j, "all_blocked", 1);
	lab_json_num(&j, "elapsed_ms", lab_elapsed_ms(lab));
	lab_json_end(&j);
}

static _Noreturn void
end_stuck(struct lab_team *t)
{
	t->lab->all_blocked = true;
	report_stuck(t);
	json_stuck(t);
	/* Under the shell, leave the waits on the board a moment, so that
	 * the panels (and racelab --verify) see who was asleep on what. */
	if (t->lab->under_shell)
		nap_us(1000000);
	for (int i = 0; i < t->n; i++)
		if (t->w[i].mode == LAB_PROCESS && !t->w[i].joined) {
			kill(t->w[i].pid, SIGKILL);
			waitpid(t->w[i].pid, NULL, 0);
		}
	/* Thread workers asleep in their waits end with the process. */
	lab_trace_flush(t->lab);
	_exit(LAB_EXIT_DEADLOCK);
}

/* Wait up to STUCK_LOOK_MS for worker w to end; true when it has. */
static bool
join_for_a_while(struct lab_worker *w)
{
	if (w->mode == LAB_THREAD) {
		struct timespec dl;
		void *rv;
		int e;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += STUCK_LOOK_MS * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		e = pthread_timedjoin_np(w->thread, &rv, &dl);
		if (e == ETIMEDOUT)
			return false;
		w->joined = true;
		w->status = e ? 1 : (int)(intptr_t)rv;
		return true;
	} else {
		/* A pidfd becomes readable when the process ends: no polling
		 * delay added to a run's measured time. */
		int fd = (int)syscall(SYS_pidfd_open, w->pid, 0);

		if (fd >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			while (poll(&p, 1, STUCK_LOOK_MS) < 0 && errno == EINTR)
				;
			close(fd);
		} else {
			nap_us(5000);
		}
		return poll_process(w);
	}
}

/* The driver thread: the schedule or the terminal grants the steps. */
static void *
drive(void *p)
{
	struct lab_team *t = p;
	struct lab *lab = t->lab;
	bool ok = lab->exploring ? drive_explore(t) :
	          lab->nsched ? drive_schedule(t) :
	          lab->o.quantum || lab->o.random ? drive_auto(t) : drive_terminal(t);

	if (!ok) /* its workers stay blocked; free_run did not count it off */
		atomic_fetch_sub(&lab->ndriving, 1);
	atomic_store(&t->deadlocked, !ok);
	return NULL;
}

/* The schedule --random-schedule made, on stderr (a record in --json has
 * it too), so that --schedule replays it. */
static void
print_random_schedule(struct lab *lab)
{
	if (!lab->o.random || (lab->o.json && !lab_text(lab)))
		return;
	pthread_mutex_lock(&lab->rs_lock);
	fflush(stdout);
	fprintf(stderr, "%s: run %d: random schedule (seed %llu, %llu steps): --schedule %s\n",
	        lab->prog, lab->run, lab->o.seed, lab->granted,
	        lab->rsched_len ? lab->rsched : "(none)");
	pthread_mutex_unlock(&lab->rs_lock);
}

enum lab_join_result
lab_join(struct lab_team *t)
{
	struct stuck_watch sw = {0};
	int failed = 0;

	if (t->driving) {
		pthread_join(t->driver, NULL);
		t->driving = false;
		print_random_schedule(t->lab);
		if (atomic_load(&t->deadlocked))
			return LAB_JOIN_DEADLOCK;
	}
	for (int i = 0; i < t->n; i++) {
		struct lab_worker *w = &t->w[i];

		while (!w->joined && !join_for_a_while(w))
			if (stuck_look(t, &sw))
				end_stuck(t);
		if (w->status != 0)
			failed++;
	}
	t->t_end = board_now_ns();
	return failed ? LAB_JOIN_FAILED : LAB_JOIN_OK;
}

void
lab_team_free(struct lab_team *t)
{
	if (!t)
		return;
	free(t->w);
	free(t);
}

const char *
lab_status_text(int status, char *buf, size_t len)
{
	if (status < 0 && status > -1000)
		snprintf(buf, len, "killed by SIG%s", sigabbrev_np(-status) ?
		         sigabbrev_np(-status) : "?");
	else
		snprintf(buf, len, "exit %d", status);
	return buf;
}
