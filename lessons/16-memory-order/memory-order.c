// Lesson 16: what the hardware really does (memory order).
//
// The store-buffer litmus test: two workers, on two CPUs, run
//     worker 1: x = 1; r1 = y        worker 2: y = 1; r2 = x
// a million times, each time on fresh x and y (both 0).  Under sequential
// consistency (one memory, one operation at a time, as step mode runs)
// at least one load sees a 1.  On x86 each store first waits in its CPU's
// store buffer, and the later load of the other variable does not wait
// for it: both loads can read 0.  --fence puts atomic_thread_fence
// (a locked instruction or mfence on x86) between the store and the load; --seq-cst makes both
// seq_cst operations instead.  Both forbid r1 == r2 == 0.
// --test peterson runs Peterson's entry (lesson 15) the same way:
//     worker 1: want1 = 1; turn = 2; enter1 = !(want2 && turn == 2)
// and counts trials in which both would enter.
#include "lab/lab.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *test = "sb";
static long trials; /* 0: 1000000, or 1 under a schedule */
static bool fence, seq_cst, no_pin;

static const struct lab_option options[] = {
	{ "test", LAB_OPT_CHOICE, &test, "sb|peterson",
	  "sb: the store-buffer litmus test (default); peterson: Peterson's "
	  "entry, both workers at once", 0, 0 },
	{ "trials", LAB_OPT_LONG, &trials, "N",
	  "trials, each on fresh variables (default 1000000; 1 under a "
	  "schedule unless given)", 0, 20000000 },
	{ "fence", LAB_OPT_FLAG, &fence, NULL,
	  "a full fence (atomic_thread_fence seq_cst) between each "
	  "worker's store and its load", 0, 0 },
	{ "seq-cst", LAB_OPT_FLAG, &seq_cst, NULL,
	  "seq_cst stores and loads instead of relaxed ones", 0, 0 },
	{ "no-pin", LAB_OPT_FLAG, &no_pin, NULL,
	  "leave the workers where the kernel puts them (default: worker N on "
	  "the N-th usable CPU)", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "memory-order",
	.title = "Memory order: the store buffer reorders a store and a later load",
	.about = "Two workers: x = 1; r1 = y and y = 1; r2 = x, a million times.  Counts\n"
	         "r1 == r2 == 0, impossible one operation at a time, and shows it vanish\n"
	         "with --fence or --seq-cst.  --test peterson: Peterson's entry the same way.",
	.workers = 2,
	.mode = LAB_THREAD,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

/* One trial's variables, fresh (zero) for every trial, so no reset has to
 * be ordered between trials.  x and y (want1 and want2) sit in separate
 * arrays, far apart: never on one cache line. */
struct trials {
	_Atomic uint32_t *x, *y, *turn;
	uint8_t *r1, *r2;
	/* Where each worker has got to: a worker starts trial t once the
	 * other has published t too.  Each on its own cache line. */
	_Alignas(64) _Atomic long at1;
	_Alignas(64) _Atomic long at2;
	_Alignas(64) long n;
	bool peterson, fence, seq_cst;
	int cpu[2]; /* pin worker 1, 2 here; -1: do not pin */
};

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Both workers begin trial t within a few hundred nanoseconds of each
 * other: publish t, spin until the other has too.  On one CPU the other
 * can only get there when this one gives the CPU away. */
static void
start_trial(struct lab_worker *w, _Atomic long *mine, _Atomic long *theirs,
            long t)
{
	atomic_store_explicit(mine, t, memory_order_release);
	for (unsigned n = 1; atomic_load_explicit(theirs, memory_order_acquire) < t; n++) {
		lab_step(w, "wait for the other");
		if ((n & 63) == 0)
			sched_yield();
		else
			cpu_relax();
	}
}

/* The probes before the store and the load, named for the worker (a
 * probe's label is fixed where it is written). */
static void
step_store(struct lab_worker *w)
{
	if (w->no == 1)
		lab_step(w, "x = 1");
	else
		lab_step(w, "y = 1");
}

static void
step_load(struct lab_worker *w)
{
	if (w->no == 1)
		lab_step(w, "r1 = y");
	else
		lab_step(w, "r2 = x");
}

/* DOC: store-then-load
 * The store, then the load of the other variable (two probes, so step
 * mode can run them one at a time).  The signal fence is a compiler
 * barrier only (it emits no instruction): the compiler may not swap the
 * two, so any reordering left is the CPU's.  --fence adds
 * atomic_thread_fence(seq_cst): GCC 12 makes it "lock orq $0,(%rsp)", a
 * locked no-op on the stack (older GCC: mfence), and either way the store
 * buffer drains before the load.  --seq-cst uses seq_cst operations (GCC makes
 * the store an xchg, which drains it too).  Each memory order is a
 * constant: GCC treats an order only known at run time as seq_cst. */
static uint8_t
store_then_load(struct lab_worker *w, const struct trials *tr,
                _Atomic uint32_t *mine, _Atomic uint32_t *theirs)
{
	step_store(w);
	if (tr->seq_cst) {
		atomic_store(mine, 1);
		step_load(w);
		return (uint8_t)atomic_load(theirs);
	}
	atomic_store_explicit(mine, 1, memory_order_relaxed);
	if (tr->fence)
		atomic_thread_fence(memory_order_seq_cst);
	else
		atomic_signal_fence(memory_order_seq_cst);
	step_load(w);
	return (uint8_t)atomic_load_explicit(theirs, memory_order_relaxed);
}

/* DOC: peterson-entry
 * Peterson's entry from lesson 15: say I want in, give the turn away,
 * and go in unless the other wants in and it is its turn.  Returns 1
 * when this worker would enter now. */
static uint8_t
peterson_entry(struct lab_worker *w, const struct trials *tr, long t)
{
	_Atomic uint32_t *mine = w->no == 1 ? &tr->x[t] : &tr->y[t];
	_Atomic uint32_t *theirs = w->no == 1 ? &tr->y[t] : &tr->x[t];
	uint32_t other = w->no == 1 ? 2 : 1;

	if (tr->seq_cst) {
		lab_step(w, "say I want in");
		atomic_store(mine, 1);
		lab_step(w, "give the turn away");
		atomic_store(&tr->turn[t], other);
		lab_step(w, "test: other wants in, its turn?");
		return !(atomic_load(theirs) && atomic_load(&tr->turn[t]) == other);
	}
	lab_step(w, "say I want in");
	atomic_store_explicit(mine, 1, memory_order_release);
	lab_step(w, "give the turn away");
	atomic_store_explicit(&tr->turn[t], other, memory_order_release);
	if (tr->fence)
		atomic_thread_fence(memory_order_seq_cst);
	else
		atomic_signal_fence(memory_order_seq_cst);
	lab_step(w, "test: other wants in, its turn?");
	return !(atomic_load_explicit(theirs, memory_order_acquire) &&
	         atomic_load_explicit(&tr->turn[t], memory_order_acquire) == other);
}

static int
worker(struct lab_worker *w)
{
	struct trials *tr = w->arg;
	bool one = w->no == 1;
	int cpu = tr->cpu[w->no - 1];

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof set, &set); /* this thread only */
	}
	for (long t = 0; t < tr->n; t++) {
		uint8_t r;

		/* One trial needs no lining up: lab_spawn's start barrier
		 * did it, and a schedule then decides alone who goes. */
		if (tr->n > 1)
			start_trial(w, one ? &tr->at1 : &tr->at2,
			            one ? &tr->at2 : &tr->at1, t + 1);
		if (tr->peterson) {
			r = peterson_entry(w, tr, t);
		} else if (one) {
			r = store_then_load(w, tr, &tr->x[t], &tr->y[t]);
		} else {
			r = store_then_load(w, tr, &tr->y[t], &tr->x[t]);
		}
		(one ? tr->r1 : tr->r2)[t] = r;
		if ((t & 65535) == 0)
			lab_progress(w, (uint64_t)t, (uint64_t)tr->n);
	}
	lab_progress(w, (uint64_t)tr->n, (uint64_t)tr->n);
	return 0;
}

/* The first two CPUs this process may use, for the two workers. */
static void
pick_cpus(struct trials *tr)
{
	cpu_set_t set;
	int k = 0;

	tr->cpu[0] = tr->cpu[1] = -1;
	if (no_pin || sched_getaffinity(0, sizeof set, &set) < 0)
		return;
	for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
		if (CPU_ISSET(c, &set))
			tr->cpu[k++] = c;
	if (k == 1)
		tr->cpu[1] = tr->cpu[0];
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct trials *tr;
	size_t n;

	lab_init(&lab, &lesson, argc, argv);
	if (lab.o.workers != 2)
		lab_usage_error(&lab, "a litmus test has exactly 2 workers, not %d",
		                lab.o.workers);
	if (fence && seq_cst)
		lab_usage_error(&lab, "--fence and --seq-cst are two ways to the same end: pick one");
	tr = lab_shared_alloc(&lab, sizeof *tr);
	/* A schedule is stepped by hand: one trial unless told. */
	tr->n = trials ? trials : lab_scheduled(&lab) ? 1 : 1000000;
	n = (size_t)tr->n;
	tr->peterson = strcmp(test, "peterson") == 0;
	tr->fence = fence;
	tr->seq_cst = seq_cst;
	pick_cpus(tr);
	tr->x = lab_shared_alloc(&lab, n * sizeof *tr->x);
	tr->y = lab_shared_alloc(&lab, n * sizeof *tr->y);
	tr->turn = lab_shared_alloc(&lab, n * sizeof *tr->turn);
	tr->r1 = lab_shared_alloc(&lab, n);
	tr->r2 = lab_shared_alloc(&lab, n);

	lab_say(&lab, "%s: %ld trials, %s, %d %s workers%s (%d CPU%s usable)\n",
	        tr->peterson ? "Peterson's entry" : "store buffer", tr->n,
	        fence ? "fenced" : seq_cst ? "seq_cst operations" : "relaxed, no fence",
	        lab.o.workers, lab_mode_name(lab.o.mode),
	        tr->cpu[0] >= 0 && tr->cpu[0] != tr->cpu[1] ? ", pinned on CPUs apart" : "",
	        lab.ncpu, lab.ncpu == 1 ? "" : "s");
	for (int run = 1; run <= lab.o.runs; run++) {
		static const char *const names[2][4] = {
			{ "both_zero", "r2_only", "r1_only", "both_one" },
			{ "neither", "w2_only", "w1_only", "both_enter" },
		};
		struct board_counter *c[4];
		struct lab_team *team;
		long long out[4] = { 0 }; /* r1 r2: 00 01 10 11 */
		long long reorders;
		double ms;

		lab_run_begin(&lab, run);
		/* Counter 0, for the histogram: the outcome one operation at
		 * a time never gives. */
		for (int k = 0; k < 4; k++) {
			int o = tr->peterson ? 3 - k : k;

			c[o] = lab_counter(&lab, names[tr->peterson][o], 0);
			lab_counter_kind(c[o], BOARD_COUNTER_COUNT);
		}
		if (run > 1) {
			memset((void *)tr->x, 0, n * sizeof *tr->x);
			memset((void *)tr->y, 0, n * sizeof *tr->y);
			memset((void *)tr->turn, 0, n * sizeof *tr->turn);
		}
		atomic_store(&tr->at1, 0);
		atomic_store(&tr->at2, 0);
		team = lab_spawn(&lab, 2, worker, tr);
		if (lab_join(team) != LAB_JOIN_OK)
			lab_die(&lab, "a worker failed");
		ms = lab_elapsed_ms(&lab);
		for (size_t t = 0; t < n; t++)
			out[tr->r1[t] * 2 + tr->r2[t]]++;
		/* sb: both loads saw 0; peterson: both would enter. */
		reorders = tr->peterson ? out[3] : out[0];
		for (int k = 0; k < 4; k++)
			lab_counter_set(c[k], out[k]);
		lab_run_end(&lab);
		if (lab.o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "test", test);
			lab_json_bool(&j, "fence", fence);
			lab_json_bool(&j, "seq_cst", seq_cst);
			lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
			lab_json_int(&j, "cpus", lab.ncpu);
			lab_json_bool(&j, "apart", tr->cpu[0] >= 0 && tr->cpu[0] != tr->cpu[1]);
			lab_json_int(&j, "trials", tr->n);
			lab_json_int(&j, "reorders", reorders);
			lab_json_num(&j, "per_million", 1e6 * (double)reorders / (double)tr->n);
			lab_json_int_array(&j, "outcomes", out, 4);
			for (int k = 0; k < 4; k++)
				lab_json_int(&j, names[tr->peterson][k], out[k]);
			lab_json_num(&j, "elapsed_ms", ms);
			lab_json_end(&j);
		}
		if (lab_text(&lab)) {
			const char *v = tr->peterson ? "enter" : "r";

			printf("%ld trials in %.0f ms:", tr->n, ms);
			for (int k = 0; k < 4; k++)
				printf(" %s1=%d %s2=%d: %lld%s", v, k >> 1, v, k & 1, out[k],
				       k < 3 ? ";" : "\n");
			printf("%s in %lld trials (%.0f per million)\n",
			       tr->peterson ? "both entered" : "both loads saw 0",
			       reorders, 1e6 * (double)reorders / (double)tr->n);
			fflush(stdout);
		}
		lab_team_free(team);
	}
	return 0;
}
