// Bench: what a recorded event costs (clock read included), and whether
// recording every step hides the race.
//
// One row per figure: name, budget, measured, verdict.  Recording on and
// off (RACELAB_RECORD=sampled's behaviour: about one step a millisecond)
// alternate within this one run, so that a burst of load hits both alike.
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 9

/* board_event_put alone, in a loop: ns per event. */
static double
put_ns(struct board_actor *a, long n)
{
	uint64_t t0 = board_now_ns();

	for (long i = 0; i < n; i++)
		board_event_put(a, BOARD_EV_STEP, 1, i);
	return (double)(board_now_ns() - t0) / (double)n;
}

static double
clock_ns(long n)
{
	uint64_t t0 = board_now_ns(), sink = 0;

	for (long i = 0; i < n; i++)
		sink += board_now_ns();
	return sink ? (double)(board_now_ns() - t0) / (double)n : 0;
}

static double
ticks_ns(long n)
{
	uint64_t t0 = board_now_ns(), sink = 0;

	for (long i = 0; i < n; i++)
		sink += board_ticks(lab.board);
	return sink ? (double)(board_now_ns() - t0) / (double)n : 0;
}

/* One run of n workers, recording every step or sampled; its ns. */
static double
race_run(int n, bool record, int64_t *lost)
{
	lab.record_sampled = !record;
	return bench_race_run(bench_race_probed, n, lost);
}

int
main(int argc, char **argv)
{
	double put[REPS], clk[REPS], tck[REPS], on1[REPS], off1[REPS];
	double rate_on = 0, rate_off = 0;
	int lossy_on = 0, lossy_off = 0;
	char buf[64];
	int64_t l;

	lab_init(&lab, &bench_lesson, argc, argv);
	for (int r = 0; r < REPS; r++) {
		put[r] = put_ns(&lab.board->actor[5], 2000000);
		clk[r] = clock_ns(1000000);
		tck[r] = ticks_ns(2000000);
	}
	qsort(put, REPS, sizeof *put, bench_cmp);
	qsort(clk, REPS, sizeof *clk, bench_cmp);
	qsort(tck, REPS, sizeof *tck, bench_cmp);
	bench_header();
	snprintf(buf, sizeof buf, "%.2f ns (min %.2f)", put[REPS / 2], put[0]);
	bench_row("recorded event, board_event_put (median)", "<= 10 ns", buf, put[REPS / 2] <= 10);
	snprintf(buf, sizeof buf, "%.2f / %.2f ns", tck[REPS / 2], clk[REPS / 2]);
	bench_row(lab.board->clock.tsc ? "clock read: TSC / clock_gettime" :
	                           "clock read: (no TSC) / clock_gettime",
	    "-", buf, true);

	/* One worker: what recording adds to each probe. */
	iters = 5000000;
	for (int r = 0; r < REPS; r++) {
		on1[r] = race_run(1, true, &l);
		off1[r] = race_run(1, false, &l);
	}
	qsort(on1, REPS, sizeof *on1, bench_cmp);
	qsort(off1, REPS, sizeof *off1, bench_cmp);
	snprintf(buf, sizeof buf, "%.1f / %.1f ns", on1[REPS / 2] / (double)iters,
	         off1[REPS / 2] / (double)iters);
	bench_row("race iteration (2 probes), recorded / not", "-", buf, true);

	/* Two racing workers: the share of updates lost, recording on and
	 * off, alternating. */
	iters = 2000000;
	for (int r = 0; r < REPS; r++) {
		race_run(2, true, &l);
		lossy_on += l > 0;
		rate_on += (double)l / (2.0 * (double)iters);
		race_run(2, false, &l);
		lossy_off += l > 0;
		rate_off += (double)l / (2.0 * (double)iters);
	}
	snprintf(buf, sizeof buf, "%.2f%% / %.2f%%", 100 * rate_on / REPS, 100 * rate_off / REPS);
	bench_row("updates lost (net), recorded / not", "(info)", buf, true);
	snprintf(buf, sizeof buf, "%d/%d vs %d/%d", lossy_on, REPS, lossy_off, REPS);
	bench_row("runs losing updates, recorded vs not", "rec >= not-1", buf,
	    lossy_on + 1 >= lossy_off);
	return 0;
}
