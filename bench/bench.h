// The parts the lab's benches share (probe.c, ring.c): the lesson 03 race
// they time, a median's sort, and the table row.  Each bench is one .c
// file built alone (the Makefile's bench rule), so these are static.
#ifndef RACELAB_BENCH_H
#define RACELAB_BENCH_H

#include "lab/lab.h"

#include <stdio.h>
#include <stdlib.h>

static struct lab lab;
static const struct lab_lesson bench_lesson = {
	.slug = "bench", .title = "bench", .workers = 2, .mode = LAB_THREAD,
	.modes = LAB_MODES_BOTH, .iters = 1, .runs = 1,
};

static _Atomic int64_t balance;
static long iters;

/* qsort's order of doubles: the median is v[n / 2] after the sort. */
static inline int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline void
bench_header(void)
{
	printf("%-46s %-16s %-24s %s\n", "figure", "budget", "measured", "verdict");
}

static inline void
bench_row(const char *name, const char *budget, const char *measured, bool ok)
{
	printf("%-46s %-16s %-24s %s\n", name, budget, measured, ok ? "ok" : "OVER");
}

/* The race loop of lesson 03, its two probes in it. */
static inline int
bench_race_probed(struct lab_worker *w)
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

/* One run of n workers running fn from a balance of 100: its ns, and the
 * updates lost (|final - 100|) in *lost when lost is not NULL. */
static inline double
bench_race_run(lab_worker_fn fn, int n, int64_t *lost)
{
	struct lab_team *t;
	double ns;

	atomic_store(&balance, 100);
	lab_run_begin(&lab, 1);
	t = lab_spawn_ex(&lab, LAB_THREAD, 1, n, fn, NULL);
	lab_join(t);
	ns = (double)(t->t_end - t->t_start);
	if (lost)
		*lost = llabs(atomic_load(&balance) - 100);
	lab_team_free(t);
	return ns;
}

#endif
