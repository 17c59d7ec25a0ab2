// Lesson 04: fixing the race with locks, and what each fix costs.
//
// Every worker adds 1 to one shared counter, --iters times.  Unsynchronised,
// "count += 1" is a read and a write, and updates get lost (lesson 03).
// Four fixes, each run beside the racy version and timed:
//   mutex   a process-shared pthread mutex: a waiter sleeps in the kernel
//   spin    a spin lock: a waiter loops on an atomic flag
//   sem     a semaphore of value 1 used as a lock (what Python's
//           multiprocessing.Lock is built on)
//   atomic  no lock at all: one indivisible atomic_fetch_add instruction
// With --demo critical: the tutorial's critical_section(), workers each
// holding the lock for --hold seconds, one after the other.
#include "lab/lab.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char *demo = "count";
static double hold_s = 0.2;
static bool bare;

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo, "count|critical",
	  "count: every worker adds 1 --iters times (default); critical: each "
	  "worker holds the lock --hold seconds", 0, 0 },
	{ "hold", LAB_OPT_DOUBLE, &hold_s, "S",
	  "critical demo: seconds each worker holds the lock (default 0.2)", 0, 10 },
	{ "bare", LAB_OPT_FLAG, &bare, NULL,
	  "count demo: time the bare primitives, without probes or board "
	  "bookkeeping (the panels then stay still)", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "locks",
	.title = "Locks: fix the lost update with a mutex, a spin lock, a semaphore or an atomic add",
	.about = "count: each worker adds 1 to a shared counter --iters times, with each\n"
	         "method in turn (--sync all) or one; prints lost updates and ns per update.\n"
	         "critical: each worker holds the lock --hold seconds (5 workers unless --workers).",
	.workers = 2,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.iters = 200000,
	.runs = 1,
	.syncs = "all|none|mutex|spin|sem|atomic",
	.sync_default = "all",
	.options = options,
	/* It measures ns per update: 10 ns a recorded step would be part of
	 * them (see lab.h). */
	.record_sampled = true,
};

enum method { M_NONE, M_MUTEX, M_SPIN, M_SEM, M_ATOMIC, M_COUNT };

static const char *const method_name[M_COUNT] = {
	"none", "mutex", "spin", "sem", "atomic",
};
static const enum board_lock_kind method_lock[M_COUNT] = {
	BOARD_LOCK_NONE, BOARD_LOCK_MUTEX, BOARD_LOCK_SPIN, BOARD_LOCK_SEM,
	BOARD_LOCK_NONE,
};

/* The bare primitives for --bare, in lab_shared_alloc memory so that
 * process workers forked later share them. */
struct bare_locks {
	pthread_mutex_t mutex;  /* PTHREAD_PROCESS_SHARED */
	_Atomic uint32_t spin;  /* 0 free, 1 held */
	sem_t sem;              /* pshared, value 1 */
};

struct job {
	enum method m;
	_Atomic int64_t *count;      /* the board counter */
	struct lab_lock *lock;       /* instrumented: shown in the Locks panel */
	struct bare_locks *bl;
	long iters;
};

/* DOC: racy-add
 * The lost update of lesson 03: the load and the store are each atomic
 * (relaxed: no ordering, but a real memory access each), the pair is not. */
static inline void
racy_add(_Atomic int64_t *c)
{
	int64_t v = atomic_load_explicit(c, memory_order_relaxed);

	atomic_store_explicit(c, v + 1, memory_order_relaxed);
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* DOC: spin-lock
 * Test-and-test-and-set.  The exchange has acquire order: what the last
 * holder wrote before its release store is visible once we own the flag.
 * While it is held we only read (no cache-line ping-pong), and every 64
 * tries we yield: when the holder shares our core it would run only at the
 * next timer preemption, and until then we would waste the slice. */
static void
spin_lock(_Atomic uint32_t *s)
{
	for (unsigned n = 0;; n++) {
		if (!atomic_load_explicit(s, memory_order_relaxed) &&
		    !atomic_exchange_explicit(s, 1, memory_order_acquire))
			return;
		if ((n & 63) == 63)
			sched_yield();
		else
			cpu_relax();
	}
}

static void
spin_unlock(_Atomic uint32_t *s)
{
	/* Release: our writes in the critical section happen before it. */
	atomic_store_explicit(s, 0, memory_order_release);
}

/* Watched: probes at the interleaving points, lab_lock on the board. */
static void
add_watched(struct lab_worker *w, struct job *job)
{
	int64_t v;

	switch (job->m) {
	case M_NONE:
		lab_step(w, "read count");
		v = atomic_load_explicit(job->count, memory_order_relaxed);
		lab_step_val(w, "write count", v + 1);
		atomic_store_explicit(job->count, v + 1, memory_order_relaxed);
		break;
	case M_MUTEX:
	case M_SPIN:
	case M_SEM:
		/* DOC: locked-add: the same read and write, but between lock
		 * and unlock no other worker can be. */
		lab_lock(w, job->lock);
		lab_step(w, "read count");
		v = atomic_load_explicit(job->count, memory_order_relaxed);
		lab_step_val(w, "write count", v + 1);
		atomic_store_explicit(job->count, v + 1, memory_order_relaxed);
		lab_unlock(w, job->lock);
		break;
	case M_ATOMIC:
		/* DOC: atomic-add: one locked instruction (lock add on x86;
		 * lock xadd only where the old value is used):
		 * the read, the add and the write cannot be split. */
		lab_step(w, "add to count");
		atomic_fetch_add_explicit(job->count, 1, memory_order_relaxed);
		break;
	default:
		break;
	}
}

/* Bare: the primitive and nothing else, to time it alone. */
static void
add_bare(struct job *job)
{
	struct bare_locks *bl = job->bl;

	switch (job->m) {
	case M_NONE:
		racy_add(job->count);
		break;
	case M_MUTEX:
		pthread_mutex_lock(&bl->mutex);
		racy_add(job->count);
		pthread_mutex_unlock(&bl->mutex);
		break;
	case M_SPIN:
		spin_lock(&bl->spin);
		racy_add(job->count);
		spin_unlock(&bl->spin);
		break;
	case M_SEM:
		while (sem_wait(&bl->sem) < 0 && errno == EINTR)
			;
		racy_add(job->count);
		sem_post(&bl->sem);
		break;
	case M_ATOMIC:
		atomic_fetch_add_explicit(job->count, 1, memory_order_relaxed);
		break;
	default:
		break;
	}
}

static int
counter_worker(struct lab_worker *w)
{
	struct job *job = w->arg;

	for (long i = 0; i < job->iters; i++) {
		if (bare)
			add_bare(job);
		else
			add_watched(w, job);
		if ((i & 4095) == 0)
			lab_progress(w, (uint64_t)i, (uint64_t)job->iters);
	}
	lab_progress(w, (uint64_t)job->iters, (uint64_t)job->iters);
	return 0;
}

struct count_result {
	bool ran;
	int64_t final, expected;
	double ms, ns_per_op;
	/* The watched lock's own figures (Locks panel), when there is one. */
	bool has_lock;
	uint64_t acquired, contended;
	double wait_ms;
};

static void
count_one(struct lab *lab, enum method m, struct job *job,
          struct lab_lock *const *locks, struct count_result *r)
{
	struct board_counter *c;
	struct lab_team *t;
	long long ops = (long long)lab->o.workers * lab->o.iters;

	c = lab_counter(lab, method_name[m], 0);
	lab_counter_expect(c, ops);
	lab_counter_kind(c, BOARD_COUNTER_CONSERVED);
	job->m = m;
	job->count = &c->value;
	job->lock = locks[m];
	job->iters = lab->o.iters;
	t = lab_spawn(lab, lab->o.workers, counter_worker, job);
	if (lab_join(t) == LAB_JOIN_DEADLOCK)
		exit(LAB_EXIT_DEADLOCK);
	r->ran = true;
	r->final = atomic_load(&c->value);
	r->expected = ops;
	/* From the release of the start barrier to the last join: creating
	 * the workers is not part of the figure. */
	r->ms = (double)(t->t_end - t->t_start) / 1e6;
	r->ns_per_op = (double)(t->t_end - t->t_start) / (double)ops;
	if (job->lock) {
		struct board_lock *bl = &lab->board->lock[lab_lock_index(job->lock)];

		r->has_lock = true;
		r->acquired = atomic_load(&bl->acquisitions);
		r->contended = atomic_load(&bl->contended);
		r->wait_ms = (double)atomic_load(&bl->wait_ns) / 1e6;
	}
	lab_team_free(t);
}

static void
demo_count(struct lab *lab, int run, struct lab_lock *const *locks,
           struct bare_locks *bl)
{
	struct count_result r[M_COUNT] = { 0 };
	struct job job = { .bl = bl };
	bool all = strcmp(lab->o.sync, "all") == 0;
	/* Below this many updates a run lasts microseconds, and the time
	 * per update would be the cost of waking the workers. */
	bool timed = (long long)lab->o.workers * lab->o.iters >= 10000;

	for (int m = 0; m < M_COUNT; m++)
		if (all || strcmp(lab->o.sync, method_name[m]) == 0)
			count_one(lab, (enum method)m, &job, locks, &r[m]);
	if (lab->o.json) {
		struct lab_json j;
		char key[32];

		lab_json_begin(&j);
		lab_json_int(&j, "run", run);
		lab_json_str(&j, "demo", "count");
		lab_json_str(&j, "sync", lab->o.sync);
		lab_json_str(&j, "mode", lab_mode_name(lab->o.mode));
		lab_json_int(&j, "workers", lab->o.workers);
		lab_json_int(&j, "iters", lab->o.iters);
		lab_json_bool(&j, "bare", bare);
		lab_json_int(&j, "cpus", lab->ncpu);
		for (int m = 0; m < M_COUNT; m++) {
			if (!r[m].ran)
				continue;
			snprintf(key, sizeof key, "expected_%s", method_name[m]);
			lab_json_int(&j, key, r[m].expected);
			snprintf(key, sizeof key, "final_%s", method_name[m]);
			lab_json_int(&j, key, r[m].final);
			snprintf(key, sizeof key, "lost_%s", method_name[m]);
			lab_json_int(&j, key, r[m].expected - r[m].final);
			snprintf(key, sizeof key, "ns_%s", method_name[m]);
			lab_json_num(&j, key, r[m].ns_per_op);
			snprintf(key, sizeof key, "ms_%s", method_name[m]);
			lab_json_num(&j, key, r[m].ms);
			if (!r[m].has_lock)
				continue;
			snprintf(key, sizeof key, "acquired_%s", method_name[m]);
			lab_json_int(&j, key, (long long)r[m].acquired);
			snprintf(key, sizeof key, "contended_%s", method_name[m]);
			lab_json_int(&j, key, (long long)r[m].contended);
			snprintf(key, sizeof key, "wait_ms_%s", method_name[m]);
			lab_json_num(&j, key, r[m].wait_ms);
		}
		lab_json_num(&j, "elapsed_ms", lab_elapsed_ms(lab));
		lab_json_end(&j);
	}
	if (!lab_text(lab))
		return;
	printf("run %d: %d %s workers x %ld updates%s\n", run, lab->o.workers,
	       lab_mode_name(lab->o.mode), lab->o.iters,
	       bare ? ", bare primitives" : ", watched (probes + board)");
	printf("  %-7s %10s %10s %10s %10s %10s %9s\n", "method", "final",
	       "expected", "lost", "time ms", "ns/update", "vs none");
	for (int m = 0; m < M_COUNT; m++) {
		char ratio[16] = "-", ms[16] = "-", ns[16] = "-";

		if (!r[m].ran)
			continue;
		if (timed) {
			snprintf(ms, sizeof ms, "%.1f", r[m].ms);
			snprintf(ns, sizeof ns, "%.1f", r[m].ns_per_op);
			if (r[M_NONE].ran && r[M_NONE].ns_per_op > 0)
				snprintf(ratio, sizeof ratio, "%.1fx",
				         r[m].ns_per_op / r[M_NONE].ns_per_op);
		}
		printf("  %-7s %10lld %10lld %10lld %10s %10s %9s\n",
		       method_name[m], (long long)r[m].final,
		       (long long)r[m].expected,
		       (long long)(r[m].expected - r[m].final), ms, ns, ratio);
	}
	if (!timed)
		printf("  (too few updates to time: starting the workers would "
		       "be most of the figure)\n");
}

/* ---- the tutorial's critical_section ---------------------------------- */

struct visit {
	_Atomic uint64_t enter_ns, leave_ns; /* since the run began */
	_Atomic int order;                   /* 1-based order of entry */
};

struct critical {
	struct lab_lock *lock; /* NULL: no lock (--sync none) */
	struct visit *v;       /* per worker, shared */
	_Atomic int entered;
};

static int
critical_section(struct lab_worker *w)
{
	struct critical *cs = w->arg;
	struct visit *v = &cs->v[w->no - 1];
	struct lab *lab = w->lab;

	/* DOC: critical-section: Python's "with lock:" is lock, body, unlock. */
	if (cs->lock)
		lab_lock(w, cs->lock);
	atomic_store(&v->enter_ns, board_now_ns() - lab->t0);
	atomic_store(&v->order, atomic_fetch_add(&cs->entered, 1) + 1);
	lab_say(lab, "%7.3f s  worker %d entered\n",
	        (double)atomic_load(&v->enter_ns) / 1e9, w->no);
	lab_step(w, cs->lock ? "hold the lock" : "work, unlocked");
	lab_sleep(w, hold_s); /* a holder stays "in critical section" */
	atomic_store(&v->leave_ns, board_now_ns() - lab->t0);
	lab_say(lab, "%7.3f s  worker %d left\n",
	        (double)atomic_load(&v->leave_ns) / 1e9, w->no);
	if (cs->lock)
		lab_unlock(w, cs->lock);
	return 0;
}

/* What the kernel accounted so far to this process and its reaped
 * children: around a team's run it is what the workers used (thread
 * workers count in RUSAGE_SELF, process workers in RUSAGE_CHILDREN once
 * reaped).  CPU time in ms; context switches: voluntary when a task
 * blocked (a mutex waiter asleep on its futex), involuntary when it was
 * runnable and the CPU went to another (a spinner's sched_yield). */
struct usage {
	double cpu_ms;
	long vcsw, ivcsw;
};

static struct usage
usage_now(void)
{
	struct rusage self, kids;
	struct usage u;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	u.cpu_ms = (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec +
	                    kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1e3 +
	           (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec +
	                    kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e3;
	u.vcsw = self.ru_nvcsw + kids.ru_nvcsw;
	u.ivcsw = self.ru_nivcsw + kids.ru_nivcsw;
	return u;
}

static void
demo_critical(struct lab *lab, int run, struct critical *cs)
{
	int n = lab->o.workers, overlaps = 0;
	long long order[BOARD_MAX_WORKERS];
	double enter[BOARD_MAX_WORKERS], leave[BOARD_MAX_WORKERS], ms;
	double bound_ms = n * hold_s * 1e3;
	struct usage u0, u1;
	struct lab_team *t;

	memset(cs->v, 0, (size_t)n * sizeof *cs->v);
	atomic_store(&cs->entered, 0);
	lab_say(lab, "run %d: %d %s workers, each holds %s for %g s\n", run, n,
	        lab_mode_name(lab->o.mode), cs->lock ? "the lock" : "NO lock",
	        hold_s);
	u0 = usage_now();
	t = lab_spawn(lab, n, critical_section, cs);
	if (lab_join(t) == LAB_JOIN_DEADLOCK)
		exit(LAB_EXIT_DEADLOCK);
	u1 = usage_now();
	ms = (double)(t->t_end - t->t_start) / 1e6;
	lab_team_free(t);
	for (int i = 0; i < n; i++) {
		order[i] = atomic_load(&cs->v[i].order);
		enter[i] = (double)atomic_load(&cs->v[i].enter_ns) / 1e6;
		leave[i] = (double)atomic_load(&cs->v[i].leave_ns) / 1e6;
	}
	/* Two visits overlap when each entered before the other left. */
	for (int i = 0; i < n; i++)
		for (int k = i + 1; k < n; k++)
			if (enter[i] < leave[k] && enter[k] < leave[i])
				overlaps++;
	if (lab->o.json) {
		struct lab_json j;

		lab_json_begin(&j);
		lab_json_int(&j, "run", run);
		lab_json_str(&j, "demo", "critical");
		lab_json_str(&j, "sync", cs->lock ? lab->o.sync : "none");
		lab_json_str(&j, "mode", lab_mode_name(lab->o.mode));
		lab_json_int(&j, "workers", n);
		lab_json_num(&j, "hold_s", hold_s);
		lab_json_int_array(&j, "order", order, n);
		lab_json_num_array(&j, "enter_ms", enter, n);
		lab_json_num_array(&j, "leave_ms", leave, n);
		lab_json_int(&j, "overlaps", overlaps);
		lab_json_num(&j, "serial_bound_ms", bound_ms);
		lab_json_num(&j, "elapsed_ms", ms);
		lab_json_num(&j, "cpu_ms", u1.cpu_ms - u0.cpu_ms);
		lab_json_int(&j, "switches_voluntary", u1.vcsw - u0.vcsw);
		lab_json_int(&j, "switches_involuntary", u1.ivcsw - u0.ivcsw);
		lab_json_end(&j);
	}
	if (!lab_text(lab))
		return;
	printf("total %.3f s for %d workers x %g s: %s\n", ms / 1e3, n, hold_s,
	       overlaps ? "they overlapped" : "one at a time");
	printf("  the workers used %.3f s of CPU time in all (waiting included);\n"
	       "  they blocked %ld times and gave up the CPU while runnable %ld times\n",
	       (u1.cpu_ms - u0.cpu_ms) / 1e3, u1.vcsw - u0.vcsw, u1.ivcsw - u0.ivcsw);
	printf("  workers x hold = %.3f s is the least a serialised run can take; "
	       "%d overlapping pair%s\n", bound_ms / 1e3, overlaps,
	       overlaps == 1 ? "" : "s");
}

static enum method
parse_method(const char *s)
{
	for (int m = 0; m < M_COUNT; m++)
		if (strcmp(s, method_name[m]) == 0)
			return (enum method)m;
	return M_COUNT; /* "all" */
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct lab_lock *locks[M_COUNT] = { 0 };
	struct bare_locks *bl = NULL;
	struct critical *cs = NULL;
	bool critical;
	enum method only;

	lab_init(&lab, &lesson, argc, argv);
	critical = strcmp(demo, "critical") == 0;
	only = parse_method(lab.o.sync);
	if (critical && only == M_ATOMIC)
		lab_usage_error(&lab, "--sync atomic: an atomic add has no critical section to hold; use mutex, spin or sem");
	if (critical && bare)
		lab_usage_error(&lab, "--bare applies to --demo count only");
	/* The tutorial's five workers, unless told otherwise. */
	if (critical && !lab.o.workers_given)
		lab.o.workers = 5;
	if (critical && only == M_COUNT)
		only = M_MUTEX; /* "all": the tutorial's multiprocessing.Lock */

	if (bare) {
		pthread_mutexattr_t ma;

		bl = lab_shared_alloc(&lab, sizeof *bl);
		pthread_mutexattr_init(&ma);
		pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		pthread_mutex_init(&bl->mutex, &ma);
		pthread_mutexattr_destroy(&ma);
		if (sem_init(&bl->sem, 1, 1) < 0)
			lab_die(&lab, "sem_init:");
	} else {
		/* DOC: lock-setup: each lock lives in shared memory and is
		 * process-shared, or forked workers would each lock a copy. */
		for (int m = 0; m < M_COUNT; m++)
			if (method_lock[m] != BOARD_LOCK_NONE &&
			    (only == M_COUNT || only == (enum method)m))
				locks[m] = lab_lock_new(&lab, method_name[m],
				                        method_lock[m]);
	}
	if (!critical)
		lab_say(&lab, "%d %s workers each add 1 to a shared counter %ld times "
		        "(%d CPU%s usable)\n\n", lab.o.workers,
		        lab_mode_name(lab.o.mode), lab.o.iters, lab.ncpu,
		        lab.ncpu == 1 ? "" : "s");
	if (critical) {
		cs = lab_shared_alloc(&lab, sizeof *cs);
		cs->v = lab_shared_alloc(&lab, (size_t)lab.o.workers * sizeof *cs->v);
		cs->lock = locks[only];
	}
	for (int run = 1; run <= lab.o.runs; run++) {
		lab_run_begin(&lab, run);
		if (critical) {
			demo_critical(&lab, run, cs);
		} else {
			demo_count(&lab, run, locks, bl);
		}
		lab_run_end(&lab);
	}
	return 0;
}
