// Bench: what a probe costs, and whether watching the race changes it.
//
// Prints one table row per figure: name, budget, measured, verdict.  Times
// that the machine's noise would swamp are given as ratios against a
// baseline measured in the same run, alternating the two so that a burst
// of load hits both alike.
#include "lab/lab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 7

static struct lab lab;
static const struct lab_lesson bench_lesson = {
	.slug = "bench", .title = "bench", .workers = 2, .mode = LAB_THREAD,
	.modes = LAB_MODES_BOTH, .iters = 1, .runs = 1,
};

static _Atomic int64_t balance;
static long iters;

/* The race loop of lesson 03, with and without its two probes. */
static int
loop_probed(struct lab_worker *w)
{
	int64_t d = w->no % 2 ? -1 : 1;

	for (long i = 0; i < iters; i++) {
		lab_step(w, "read balance");
		int64_t v = atomic_load_explicit(&balance, memory_order_relaxed);
		lab_step_val(w, "write balance", v + d);
		atomic_store_explicit(&balance, v + d, memory_order_relaxed);
	}
	return 0;
}

static int
loop_bare(struct lab_worker *w)
{
	int64_t d = w->no % 2 ? -1 : 1;

	for (long i = 0; i < iters; i++) {
		int64_t v = atomic_load_explicit(&balance, memory_order_relaxed);
		__asm__ volatile("" ::: "memory"); /* keep the loop's shape */
		atomic_store_explicit(&balance, v + d, memory_order_relaxed);
	}
	return 0;
}

/* One worker alone: the probe's own cost, no contention. */
static double
time_alone(lab_worker_fn fn, int nworkers, int64_t *lost)
{
	struct lab_team *t;
	double ns;

	atomic_store(&balance, 100);
	lab_run_begin(&lab, 1);
	t = lab_spawn_ex(&lab, LAB_THREAD, 1, nworkers, fn, NULL);
	lab_join(t);
	ns = (double)(t->t_end - t->t_start);
	if (lost)
		*lost = llabs(atomic_load(&balance) - 100);
	lab_team_free(t);
	return ns;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
row(const char *name, const char *budget, const char *measured, bool ok)
{
	printf("%-44s %-14s %-22s %s\n", name, budget, measured, ok ? "ok" : "OVER");
}

int
main(int argc, char **argv)
{
	double probed[REPS], bare[REPS], p2[REPS], b2[REPS];
	int64_t lost_p = 0, lost_b = 0, l;
	char buf[64];
	double per_event, ratio, ratio2;

	lab_init(&lab, &bench_lesson, argc, argv);
	iters = 20000000;
	for (int r = 0; r < REPS; r++) {
		/* Alternate, so load bursts hit both. */
		probed[r] = time_alone(loop_probed, 1, NULL);
		bare[r] = time_alone(loop_bare, 1, NULL);
	}
	qsort(probed, REPS, sizeof *probed, cmp);
	qsort(bare, REPS, sizeof *bare, cmp);
	/* Two probes per iteration. */
	per_event = (probed[REPS / 2] - bare[REPS / 2]) / (2.0 * (double)iters);
	if (per_event < 0)
		per_event = 0;
	printf("%-44s %-14s %-22s %s\n", "figure", "budget", "measured", "verdict");
	snprintf(buf, sizeof buf, "%.2f ns", per_event);
	row("probe cost per event (1 worker, median)", "<= 15 ns", buf,
	    per_event <= 15);
	snprintf(buf, sizeof buf, "%.1f / %.1f ns",
	         probed[REPS / 2] / (double)iters, bare[REPS / 2] / (double)iters);
	row("race loop iteration, probed / bare", "-", buf, true);

	iters = 2000000;
	for (int r = 0; r < REPS; r++) {
		p2[r] = time_alone(loop_probed, 2, &l);
		lost_p += l > 0;
		b2[r] = time_alone(loop_bare, 2, &l);
		lost_b += l > 0;
	}
	qsort(p2, REPS, sizeof *p2, cmp);
	qsort(b2, REPS, sizeof *b2, cmp);
	ratio = bare[REPS / 2] / probed[REPS / 2];
	ratio2 = b2[REPS / 2] / p2[REPS / 2];
	snprintf(buf, sizeof buf, "%.2f", ratio);
	row("throughput probed/bare, 1 worker", ">= 0.5", buf, ratio >= 0.5);
	/* Two racing workers are bound by the one contended cache line, and
	 * how often it bounces depends on timing: informational only.  What
	 * matters is the next line: the probes must not hide the race. */
	snprintf(buf, sizeof buf, "%.2f", ratio2);
	row("throughput probed/bare, 2 racing workers", "(info)", buf, true);
	snprintf(buf, sizeof buf, "%lld/%d vs %lld/%d", (long long)lost_p, REPS,
	         (long long)lost_b, REPS);
	row("runs losing updates, probed vs bare", "probed >= bare-1", buf,
	    lost_p + 1 >= lost_b);
	return 0;
}
