// Lesson 15: locks from scratch.
//
// Workers take one lock over and over; inside it each adds 1 to a shared
// count with a plain read and a plain write (lesson 03's lost update), so
// a lock that lets two workers in loses counts.  The lock is the lesson's
// own (--lock), built from loads, stores and atomic instructions:
//   flag        test a flag, then set it: two steps, and both can pass
//   peterson    Peterson's algorithm for two workers (loads and stores only)
//   tas         test-and-set: atomic_exchange in a loop
//   ttas        test-and-test-and-set: read until free, then exchange
//   spin-yield  ttas that gives the CPU away after a while
//   ticket      a ticket lock: take a number, wait for it to be served
//   mutex       a pthread mutex: a waiter sleeps in the kernel
// Each lock tells the board what happens (lab_lock_note), so the Locks
// panel shows its holder, its waiters and how often each worker took it.
#include "lab/lab.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *lock_name = "tas";
static const char *fence = "none";
static long takes;   /* per worker; 0: as many as fit in ms */
static int run_ms = 200;
static int hold = 100;
static int outside;

static const struct lab_option options[] = {
	{ "lock", LAB_OPT_CHOICE, &lock_name,
	  "flag|peterson|tas|ttas|spin-yield|ticket|mutex",
	  "the lock the workers take (default tas)", 0, 0 },
	{ "takes", LAB_OPT_LONG, &takes, "N",
	  "each worker takes the lock N times (default 0: as often as it can "
	  "for --ms milliseconds; 1 under a schedule)", 0, 100000000 },
	{ "ms", LAB_OPT_INT, &run_ms, "MS",
	  "how long the workers run when --takes is 0 (default 200)", 1, 10000 },
	{ "hold", LAB_OPT_INT, &hold, "N",
	  "pause instructions of work inside the lock (default 100)", 0, 1000000 },
	{ "outside", LAB_OPT_INT, &outside, "N",
	  "pause instructions of work between takes, outside the lock "
	  "(default 0)", 0, 1000000 },
	{ "fence", LAB_OPT_CHOICE, &fence, "none|seq_cst",
	  "peterson: a full fence (atomic_thread_fence) between its stores and its loads "
	  "(default none, as on paper; see lesson 16)", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "spinlocks",
	.title = "Locks from scratch: a flag, Peterson, test-and-set, a ticket lock",
	.about = "Workers take one home-made lock (--lock) over and over and add 1 to a\n"
	         "shared count inside it.  Prints each worker's takes (fairness), the\n"
	         "count (a broken lock loses some) and the CPU burnt while waiting.",
	.workers = 2,
	.mode = LAB_THREAD,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

enum kind { K_FLAG, K_PETERSON, K_TAS, K_TTAS, K_SPIN_YIELD, K_TICKET, K_MUTEX };
static const char *const kind_name[] = {
	"flag", "peterson", "tas", "ttas", "spin-yield", "ticket", "mutex",
};

/* spin-yield: spins before it gives the CPU away. */
#define SPINS_BEFORE_YIELD 100

/* Every lock's words.  Each group on a cache line of its own, so that a
 * spinning worker does not slow the count down by false sharing. */
struct lock_words {
	_Alignas(64) _Atomic uint32_t flag;   /* flag, tas, ttas, spin-yield */
	_Alignas(64) _Atomic uint32_t want0;  /* peterson: worker 1 wants in */
	_Alignas(64) _Atomic uint32_t want1;  /* peterson: worker 2 wants in */
	_Alignas(64) _Atomic uint32_t turn;   /* peterson: who must wait */
	_Alignas(64) _Atomic uint32_t next;   /* ticket: the next number */
	_Alignas(64) _Atomic uint32_t serving; /* ticket: the number served */
	_Alignas(64) pthread_mutex_t mutex;    /* process-shared */
};

static _Atomic uint32_t *
want(struct lock_words *lw, unsigned who)
{
	return who ? &lw->want1 : &lw->want0;
}

/* What one worker measured, for main to add up. */
struct worker_result {
	_Alignas(64) long long takes;
	long long contended;   /* takes that had to wait */
	long long violations;  /* entries that found another worker inside */
	long long overtakes;   /* takes again while another waited (see fair_note) */
	long long written;     /* counts it wrote (critical sections done) */
	_Atomic uint32_t waiting;   /* it waits for the lock now */
	_Atomic uint64_t wait_from; /* the releases count when it began */
	uint64_t cpu_ns;       /* CPU time of the worker (CLOCK_THREAD_CPUTIME_ID) */
	uint64_t wait_ns;      /* wall time spent waiting for the lock */
	uint64_t wait_cpu_ns;  /* CPU time spent waiting for the lock */
};

/* Who took the lock last, and how often it was let go: written by the
 * holder only. */
struct fairness {
	_Alignas(64) _Atomic uint64_t releases;
	_Atomic int last;
};

struct shared {
	enum kind kind;
	bool fence;
	struct lock_words *lw;
	struct lab_lock *board_lock; /* the lock's record on the board */
	volatile int64_t *count;     /* counter "count", as a plain variable */
	struct board_counter *inside; /* gauge: workers inside right now */
	_Atomic uint32_t *stop;      /* main: time is up */
	struct fairness *fair;
	struct board_counter *overtakes;
	/* Counter "lost": under a schedule, kept up to date after every
	 * write (steps run one at a time); else set when the run is over. */
	struct board_counter *lost;
	bool lost_live;
	long takes;
	int hold, outside;
	struct worker_result *res;   /* res[w->no - 1] */
};

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A waiting worker, measured: the wall time and the CPU time its wait
 * took.  Started at the first failed test, so an uncontended take costs
 * no clock reads. */
struct wait_clock {
	bool waiting;
	uint64_t wall0, cpu0;
};

static void
wait_begin(struct lab_worker *w, struct shared *s, struct wait_clock *wc,
           enum lab_note how)
{
	if (!wc->waiting) {
		struct worker_result *r = &s->res[w->no - 1];

		atomic_store_explicit(&r->wait_from,
		                      atomic_load_explicit(&s->fair->releases,
		                                           memory_order_relaxed),
		                      memory_order_relaxed);
		atomic_store_explicit(&r->waiting, 1, memory_order_relaxed);
		wc->waiting = true;
		wc->wall0 = clock_ns(CLOCK_MONOTONIC);
		wc->cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	}
	lab_lock_note(w, s->board_lock, how);
}

/* DOC: overtake
 * Fairness, judged at every take: did this worker take the lock again
 * (it was the last holder) while another worker had been waiting since
 * before the last release?  That is an overtake: the waiter was passed
 * over.  A ticket lock never does it; test-and-set does, all the time. */
static void
fair_note(struct lab_worker *w, struct shared *s)
{
	uint64_t now = atomic_load_explicit(&s->fair->releases, memory_order_relaxed);

	if (atomic_load_explicit(&s->fair->last, memory_order_relaxed) == w->no) {
		for (int j = 0; j < w->lab->o.workers; j++) {
			struct worker_result *o = &s->res[j];

			if (j != w->no - 1 &&
			    atomic_load_explicit(&o->waiting, memory_order_relaxed) &&
			    atomic_load_explicit(&o->wait_from, memory_order_relaxed) < now) {
				s->res[w->no - 1].overtakes++;
				lab_counter_add(s->overtakes, 1);
				break;
			}
		}
	}
	atomic_store_explicit(&s->fair->last, w->no, memory_order_relaxed);
}

static void
wait_end(struct lab_worker *w, struct shared *s, struct wait_clock *wc)
{
	struct worker_result *r = &s->res[w->no - 1];

	atomic_store_explicit(&r->waiting, 0, memory_order_relaxed);
	fair_note(w, s);
	if (wc->waiting) {
		r->wait_ns += clock_ns(CLOCK_MONOTONIC) - wc->wall0;
		r->wait_cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - wc->cpu0;
		r->contended++;
	}
	lab_lock_note(w, s->board_lock, LAB_NOTE_ACQUIRED);
}

/* DOC: flag-lock
 * Test, then set.  Two steps: a worker can be stopped between them, and
 * another worker then finds the flag still clear and sets it too.  Both
 * are inside. */
static void
flag_lock(struct lab_worker *w, struct shared *s, struct wait_clock *wc)
{
	for (;;) {
		lab_step(w, "test flag");
		if (atomic_load_explicit(&s->lw->flag, memory_order_relaxed) == 0)
			break;
		wait_begin(w, s, wc, LAB_NOTE_SPIN);
		cpu_relax();
	}
	lab_step(w, "set flag");
	atomic_store_explicit(&s->lw->flag, 1, memory_order_relaxed);
}

/* DOC: peterson
 * Peterson's algorithm: say I want in, give the other worker the turn,
 * and wait while it wants in and it is its turn.  Correct when every
 * load sees the latest store (sequential consistency: step mode is), for
 * exactly two workers.  On x86 a store waits in the store buffer while
 * the later load of the other's flag goes ahead: both can read "does
 * not want in" and enter.  --fence seq_cst puts a full fence between:
 * enough on x86, which keeps the two stores in order, though not by
 * C11's rules for release stores (lesson 16). */
static void
peterson_lock(struct lab_worker *w, struct shared *s, struct wait_clock *wc)
{
	unsigned me = (unsigned)w->no - 1, other = 1 - me;

	lab_step(w, "say I want in");
	atomic_store_explicit(&*want(s->lw, me), 1, memory_order_release);
	lab_step(w, "give the turn away");
	atomic_store_explicit(&s->lw->turn, other, memory_order_release);
	if (s->fence)
		atomic_thread_fence(memory_order_seq_cst);
	for (;;) {
		lab_step(w, "test: other wants in, its turn?");
		if (!(atomic_load_explicit(&*want(s->lw, other), memory_order_acquire) &&
		      atomic_load_explicit(&s->lw->turn, memory_order_acquire) == other))
			break;
		wait_begin(w, s, wc, LAB_NOTE_SPIN);
		cpu_relax();
	}
}

/* DOC: tas
 * Test-and-set: one atomic exchange both tests and sets, so no one gets
 * between.  Every try writes the lock's cache line, even while it is
 * held: the spinners fight over the line with the holder. */
static void
tas_lock(struct lab_worker *w, struct shared *s, struct wait_clock *wc)
{
	for (;;) {
		lab_step(w, "test-and-set");
		if (!atomic_exchange_explicit(&s->lw->flag, 1, memory_order_acquire))
			return;
		wait_begin(w, s, wc, LAB_NOTE_SPIN);
		cpu_relax();
	}
}

/* DOC: ttas
 * Test-and-test-and-set: spin on a plain read (the line stays shared in
 * every spinner's cache) and exchange only when the lock looks free.
 * spin-yield also gives its CPU away after SPINS_BEFORE_YIELD reads, so a
 * holder that shares the CPU can run and let go. */
static void
ttas_lock(struct lab_worker *w, struct shared *s, struct wait_clock *wc,
          bool yield)
{
	for (unsigned n = 0;; n++) {
		lab_step(w, "test flag");
		if (atomic_load_explicit(&s->lw->flag, memory_order_relaxed) == 0) {
			lab_step(w, "test-and-set");
			if (!atomic_exchange_explicit(&s->lw->flag, 1,
			                              memory_order_acquire))
				return;
		}
		wait_begin(w, s, wc, LAB_NOTE_SPIN);
		if (yield && n >= SPINS_BEFORE_YIELD)
			sched_yield();
		else
			cpu_relax();
	}
}

/* DOC: ticket
 * A ticket lock: take the next number (one atomic add), wait until it is
 * served.  Workers get in in the order they took their numbers: FIFO, so
 * none starves, but the next in line gets the lock even when it is not
 * running, and everyone behind it waits. */
static void
ticket_lock(struct lab_worker *w, struct shared *s, struct wait_clock *wc,
            uint32_t *mine)
{
	lab_step(w, "take a ticket");
	*mine = atomic_fetch_add_explicit(&s->lw->next, 1, memory_order_relaxed);
	for (;;) {
		lab_step(w, "wait for my number");
		if (atomic_load_explicit(&s->lw->serving, memory_order_acquire) == *mine)
			return;
		wait_begin(w, s, wc, LAB_NOTE_SPIN);
		cpu_relax();
	}
}

/* A pthread mutex: a waiter sleeps in the kernel (a futex) until the
 * holder lets go, and burns no CPU meanwhile. */
static void
mutex_lock(struct lab_worker *w, struct shared *s, struct wait_clock *wc)
{
	lab_step(w, "lock mutex");
	if (pthread_mutex_trylock(&s->lw->mutex) == 0)
		return;
	wait_begin(w, s, wc, LAB_NOTE_WAIT);
	pthread_mutex_lock(&s->lw->mutex);
}

static void
take(struct lab_worker *w, struct shared *s, uint32_t *ticket)
{
	struct wait_clock wc = { 0 };

	switch (s->kind) {
	case K_FLAG: flag_lock(w, s, &wc); break;
	case K_PETERSON: peterson_lock(w, s, &wc); break;
	case K_TAS: tas_lock(w, s, &wc); break;
	case K_TTAS: ttas_lock(w, s, &wc, false); break;
	case K_SPIN_YIELD: ttas_lock(w, s, &wc, true); break;
	case K_TICKET: ticket_lock(w, s, &wc, ticket); break;
	case K_MUTEX: mutex_lock(w, s, &wc); break;
	}
	wait_end(w, s, &wc);
}

/* Let go: the holder's one store (the ticket lock's next number). */
static void
release(struct lab_worker *w, struct shared *s, uint32_t ticket)
{
	unsigned me = (unsigned)w->no - 1;

	lab_lock_note(w, s->board_lock, LAB_NOTE_RELEASED);
	/* Only the holder writes it: no atomic add (and no fence) needed. */
	atomic_store_explicit(&s->fair->releases,
	                      atomic_load_explicit(&s->fair->releases,
	                                           memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	switch (s->kind) {
	case K_FLAG:
	case K_TAS:
	case K_TTAS:
	case K_SPIN_YIELD:
		lab_step(w, "clear flag");
		atomic_store_explicit(&s->lw->flag, 0, memory_order_release);
		break;
	case K_PETERSON:
		lab_step(w, "say I am out");
		atomic_store_explicit(&*want(s->lw, me), 0, memory_order_release);
		break;
	case K_TICKET:
		lab_step(w, "serve the next number");
		atomic_store_explicit(&s->lw->serving, ticket + 1, memory_order_release);
		break;
	case K_MUTEX:
		lab_step(w, "unlock mutex");
		pthread_mutex_unlock(&s->lw->mutex);
		break;
	}
}

/* DOC: critical
 * Inside the lock: count the workers inside (more than one is a broken
 * lock, "both inside"), then add 1 to the count with a plain read and a
 * plain write, with some work between. */
static void
critical(struct lab_worker *w, struct shared *s)
{
	int64_t v;

	if (lab_counter_add(s->inside, 1) > 1) {
		s->res[w->no - 1].violations++;
		lab_step(w, "both inside");
	}
	lab_step(w, "read count");
	v = *s->count;
	for (int i = 0; i < s->hold; i++)
		cpu_relax();
	lab_step_val(w, "write count", v + 1);
	*s->count = v + 1;
	s->res[w->no - 1].written++;
	if (s->lost_live) {
		long long written = 0;

		for (int i = 0; i < w->lab->o.workers; i++)
			written += s->res[i].written;
		lab_counter_set(s->lost, written - *s->count);
	}
	lab_counter_add(s->inside, -1);
}

static int
worker(struct lab_worker *w)
{
	struct shared *s = w->arg;
	struct worker_result *r = &s->res[w->no - 1];
	uint64_t cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	while (s->takes ? r->takes < s->takes
	                : !atomic_load_explicit(s->stop, memory_order_relaxed)) {
		uint32_t ticket = 0;

		take(w, s, &ticket);
		critical(w, s);
		release(w, s, ticket);
		r->takes++;
		for (int i = 0; i < s->outside; i++)
			cpu_relax();
		if (s->takes)
			lab_progress(w, (uint64_t)r->takes, (uint64_t)s->takes);
	}
	r->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	return 0;
}

static enum kind
parse_kind(const char *name)
{
	for (unsigned k = 0; k < sizeof kind_name / sizeof kind_name[0]; k++)
		if (strcmp(name, kind_name[k]) == 0)
			return (enum kind)k;
	return K_TAS;
}

/* One run's figures, summed over the workers. */
struct totals {
	long long takes, contended, violations, overtakes, min, max;
	double cpu_ms, wait_ms, wait_cpu_ms;
};

static struct totals
add_up(const struct shared *s, int n)
{
	struct totals t = { .min = -1 };

	for (int i = 0; i < n; i++) {
		const struct worker_result *r = &s->res[i];

		t.takes += r->takes;
		t.contended += r->contended;
		t.violations += r->violations;
		t.overtakes += r->overtakes;
		t.cpu_ms += (double)r->cpu_ns / 1e6;
		t.wait_ms += (double)r->wait_ns / 1e6;
		t.wait_cpu_ms += (double)r->wait_cpu_ns / 1e6;
		if (t.min < 0 || r->takes < t.min)
			t.min = r->takes;
		if (r->takes > t.max)
			t.max = r->takes;
	}
	return t;
}

static void
report(struct lab *lab, const struct shared *s, int run, int64_t count,
       int64_t max_inside)
{
	int n = lab->o.workers;
	struct totals t = add_up(s, n);
	double ms = lab_elapsed_ms(lab);
	double fairness = t.max ? (double)t.min / (double)t.max : 1.0;
	long long per[BOARD_MAX_WORKERS];

	for (int i = 0; i < n; i++)
		per[i] = s->res[i].takes;
	if (lab->o.json) {
		struct lab_json j;

		lab_json_begin(&j);
		lab_json_int(&j, "run", run);
		lab_json_str(&j, "lock", kind_name[s->kind]);
		lab_json_str(&j, "fence", fence);
		lab_json_str(&j, "mode", lab_mode_name(lab->o.mode));
		lab_json_int(&j, "workers", n);
		lab_json_int(&j, "cpus", lab->ncpu);
		lab_json_int(&j, "takes", t.takes);
		lab_json_int_array(&j, "acquired", per, n);
		lab_json_num(&j, "fairness", fairness);
		lab_json_int(&j, "count", count);
		lab_json_int(&j, "lost", t.takes - count);
		lab_json_int(&j, "violations", t.violations);
		lab_json_int(&j, "max_inside", max_inside);
		lab_json_int(&j, "contended", t.contended);
		lab_json_int(&j, "overtakes", t.overtakes);
		lab_json_num(&j, "elapsed_ms", ms);
		lab_json_num(&j, "cpu_ms", t.cpu_ms);
		lab_json_num(&j, "busy", ms > 0 ? t.cpu_ms / ms : 0);
		lab_json_num(&j, "wait_ms", t.wait_ms);
		lab_json_num(&j, "wait_cpu_ms", t.wait_cpu_ms);
		lab_json_num(&j, "wait_cpu_share", t.wait_ms > 0 ? t.wait_cpu_ms / t.wait_ms : 0);
		lab_json_end(&j);
	}
	if (!lab_text(lab))
		return;
	printf("%s: %lld takes in %.0f ms; per worker", kind_name[s->kind], t.takes, ms);
	for (int i = 0; i < n; i++)
		printf(" %lld", per[i]);
	printf(" (fewest/most %.2f); %lld overtake%s\n", fairness, t.overtakes,
	       t.overtakes == 1 ? "" : "s");
	printf("count %lld: %lld lost; %lld entries found another worker inside\n",
	       (long long)count, t.takes - count, t.violations);
	printf("CPU %.0f ms in %.0f ms (%.2f CPUs busy); waiting %.0f ms, of it on a CPU %.0f ms (%.0f%%)\n",
	       t.cpu_ms, ms, ms > 0 ? t.cpu_ms / ms : 0, t.wait_ms, t.wait_cpu_ms,
	       t.wait_ms > 0 ? 100 * t.wait_cpu_ms / t.wait_ms : 0);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct shared s = { 0 };
	pthread_mutexattr_t ma;

	lab_init(&lab, &lesson, argc, argv);
	s.kind = parse_kind(lock_name);
	s.fence = strcmp(fence, "seq_cst") == 0;
	if (s.kind == K_PETERSON && lab.o.workers != 2)
		lab_usage_error(&lab, "--lock peterson is for exactly 2 workers, not %d",
		                lab.o.workers);
	if (s.fence && s.kind != K_PETERSON)
		lab_usage_error(&lab, "--fence is for --lock peterson");
	/* A schedule has no clock to stop it: one take each unless told. */
	s.takes = takes ? takes : lab_scheduled(&lab) ? 1 : 0;
	s.hold = hold;
	s.lost_live = lab_scheduled(&lab);
	s.outside = outside;
	s.lw = lab_shared_alloc(&lab, sizeof *s.lw);
	s.stop = lab_shared_alloc(&lab, sizeof *s.stop);
	s.fair = lab_shared_alloc(&lab, sizeof *s.fair);
	s.res = lab_shared_alloc(&lab, sizeof *s.res * (size_t)lab.o.workers);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s.lw->mutex, &ma);
	pthread_mutexattr_destroy(&ma);
	s.board_lock = lab_lock_custom(&lab, kind_name[s.kind]);

	lab_say(&lab, "%d %s workers take lock %s%s %s, %d pause%s of work inside (%d CPU%s usable)\n",
	        lab.o.workers, lab_mode_name(lab.o.mode), kind_name[s.kind],
	        s.fence ? " (with a fence)" : "",
	        s.takes ? "a fixed number of times" : "for a fixed time", s.hold,
	        s.hold == 1 ? "" : "s", lab.ncpu, lab.ncpu == 1 ? "" : "s");
	for (int run = 1; run <= lab.o.runs; run++) {
		struct board_counter *count, *lost;
		struct lab_team *team;

		lab_run_begin(&lab, run);
		/* Counter 0, the one the histogram keeps: each run's lost
		 * counts, 0 for a lock that works.  (The count itself ends
		 * on the run's takes, which differ from run to run when the
		 * workers run for --ms.)  Live under a schedule (critical),
		 * else set when the run is over. */
		lost = s.lost = lab_counter(&lab, "lost", 0);
		lab_counter_kind(lost, BOARD_COUNTER_COUNT);
		lab_counter_expect(lost, 0);
		count = lab_counter(&lab, "count", 0);
		lab_counter_kind(count, BOARD_COUNTER_CONSERVED);
		if (s.takes)
			lab_counter_expect(count, s.takes * lab.o.workers);
		s.inside = lab_counter(&lab, "inside", 0);
		lab_counter_kind(s.inside, BOARD_COUNTER_GAUGE);
		s.overtakes = lab_counter(&lab, "overtakes", 0);
		lab_counter_kind(s.overtakes, BOARD_COUNTER_COUNT);
		atomic_store(&s.fair->releases, 0);
		atomic_store(&s.fair->last, 0);
		s.count = (volatile int64_t *)(void *)&count->value;
		memset(s.res, 0, sizeof *s.res * (size_t)lab.o.workers);
		atomic_store(&s.lw->want0, 0);
		atomic_store(&s.lw->want1, 0);
		atomic_store(&s.lw->turn, 0);
		atomic_store(&s.lw->next, 0);
		atomic_store(&s.lw->serving, 0);
		atomic_store(&s.lw->flag, 0);
		atomic_store(s.stop, 0);
		team = lab_spawn(&lab, lab.o.workers, worker, &s);
		if (!s.takes) {
			struct timespec ts = { run_ms / 1000, (long)(run_ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) < 0)
				;
			atomic_store(s.stop, 1);
		}
		if (lab_join(team) == LAB_JOIN_DEADLOCK) {
			printf("Result: deadlock\n");
			return LAB_EXIT_DEADLOCK;
		}
		if (!s.takes)
			lab_counter_expect(count, add_up(&s, lab.o.workers).takes);
		lab_counter_set(lost, add_up(&s, lab.o.workers).takes -
		                      atomic_load(&count->value));
		lab_run_end(&lab);
		report(&lab, &s, run, atomic_load(&count->value),
		       atomic_load(&s.inside->max));
		lab_team_free(team);
	}
	return 0;
}
