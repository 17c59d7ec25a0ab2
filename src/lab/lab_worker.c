// The lab runtime: workers (threads or processes), probes, the scheduler.
#include "lab.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static bool poll_process(struct lab_worker *w);

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
	atomic_store_explicit(&w->actor->state, s, memory_order_relaxed);
}

void
lab_set_name(struct lab_worker *w, const char *name)
{
	struct board_actor *a = w->actor;

	board_actor_publish(a, atomic_load(&a->kind), atomic_load(&a->pid),
	                    atomic_load(&a->tid), atomic_load(&a->worker_no), name);
}

/* Park at the gate until the shell, the schedule or the terminal grants a
 * step (or step mode ends).  The state is restored afterwards, so a worker
 * that stops inside its critical section is still shown holding the lock. */
void
lab_gate(struct lab_worker *w)
{
	struct board_actor *a = w->actor;
	uint32_t before = atomic_load_explicit(&a->state, memory_order_relaxed);

	atomic_store_explicit(&a->state, BOARD_ST_GATE, memory_order_release);
	board_event_put(a, BOARD_EV_GATE, atomic_load(&a->op), 0);
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
	board_actor_publish(a, w->mode == LAB_PROCESS ? BOARD_KIND_PROCESS
	                                              : BOARD_KIND_THREAD,
	                    getpid(), gettid(), (unsigned)w->no, name);
	atomic_store(&a->state, BOARD_ST_STARTING);
	board_go_wait(w->lab->board);
	start_line(w);
	atomic_store(&a->state, BOARD_ST_RUNNING);
	board_event_put(a, BOARD_EV_START, 0, 0);
	rc = w->team->fn(w);
	atomic_store(&a->op, 0);
	atomic_store(&a->exit_code, rc);
	board_event_put(a, BOARD_EV_END, 0, rc);
	atomic_store(&a->state, rc == 0 ? BOARD_ST_DONE : BOARD_ST_FAILED);
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

struct lab_team *
lab_spawn_ex(struct lab *lab, enum lab_mode mode, int first, int n,
             lab_worker_fn fn, void *arg)
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
	if (lab->nsched || lab->o.step)
		atomic_store(&b->control.step_mode, 1);
	if (atomic_load(&b->nactors) < (uint32_t)(first + n))
		atomic_store(&b->nactors, (uint32_t)(first + n));

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
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
	return t;
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
	if (WIFSIGNALED(wstatus)) {
		w->status = -WTERMSIG(wstatus);
		atomic_store(&a->exit_code, w->status);
		atomic_store(&a->state, BOARD_ST_KILLED);
	} else {
		w->status = WEXITSTATUS(wstatus);
		atomic_store(&a->exit_code, w->status);
		if (w->status != 0)
			atomic_store(&a->state, BOARD_ST_FAILED);
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

static void
free_run(struct lab_team *t)
{
	struct board *b = t->lab->board;

	atomic_store(&b->control.step_mode, 0);
	for (int i = 0; i < t->n; i++)
		board_gate_wake(t->w[i].actor);
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
	if (s == BOARD_ST_WAIT_LOCK) {
		uint32_t l = atomic_load(&w->actor->wait_lock);
		int32_t h = l ? atomic_load(&b->lock[l - 1].holder) : -1;

		snprintf(buf, len, "worker %d is blocked on lock %s held by worker %d",
		         w->no, l ? b->lock[l - 1].name : "?", h);
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
		board_gate_grant(w->actor);
		wait_settled(t);
		if (!all_ended(t) && lab_find_deadlock(lab->board, NULL, 0, NULL)) {
			report_deadlock(t);
			return false;
		}
	}
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
		print_positions(t);
		printf("step (1-%d, a = each once, g = go, q = quit)> ", t->n);
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
				if (!cannot_step(&t->w[i], why, sizeof why)) {
					board_gate_grant(t->w[i].actor);
					wait_settled(t);
				}
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
			board_gate_grant(t->w[i].actor);
			wait_settled(t);
		}
	}
	free_run(t);
	return true;
}

enum lab_join_result
lab_join(struct lab_team *t)
{
	struct lab *lab = t->lab;
	int failed = 0;
	bool stepping = atomic_load(&lab->board->control.step_mode);

	if (stepping && lab->nsched) {
		if (!drive_schedule(t))
			return LAB_JOIN_DEADLOCK;
	} else if (stepping && lab->o.step) {
		if (!drive_terminal(t))
			return LAB_JOIN_DEADLOCK;
	}
	for (int i = 0; i < t->n; i++) {
		struct lab_worker *w = &t->w[i];

		if (w->mode == LAB_THREAD) {
			void *rv;

			if (!w->joined) {
				pthread_join(w->thread, &rv);
				w->joined = true;
				w->status = (int)(intptr_t)rv;
			}
		} else if (!w->joined) {
			int st;

			while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
				;
			record_status(w, st);
		}
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
