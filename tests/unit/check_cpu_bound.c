// Tests of lesson 09 (racelab-cpu-bound): every way of splitting the sum
// of squares gives exactly n(n+1)(2n+1)/6; the GIL lets one thread compute
// at a time; Amdahl's prediction follows the formula.  Speedups are
// measured by the program, not judged here.
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define PROG "bin/racelab-cpu-bound"

static void
assert_sums(const char *obj, unsigned long long n, const char *const *keys)
{
	char want[64], got[64];
	bool ok;

	tu_sum_squares_str(n, want, sizeof want);
	ck_assert(tu_json_str(obj, "expected", got, sizeof got));
	ck_assert_str_eq(got, want);
	for (; *keys; keys++) {
		ck_assert_msg(tu_json_str(obj, *keys, got, sizeof got), "no %s", *keys);
		ck_assert_msg(strcmp(got, want) == 0, "%s = %s, want %s", *keys, got, want);
	}
	ck_assert(tu_json_bool(obj, "correct", &ok));
	ck_assert(ok);
}

static const char *const all_sums[] = {
	"serial_sum", "threads_sum", "gil_sum", "processes_sum", NULL,
};

START_TEST(every_way_exact_uneven_split)
{
	/* Odd N, and 7 workers do not divide it. */
	const char *argv[] = { PROG, "--compare", "--json", "--n", "1000001",
	                       "--workers", "7", NULL };
	char obj[8192];

	tu_run_json(argv, obj, sizeof obj);
	assert_sums(obj, 1000001, all_sums);
}
END_TEST

START_TEST(tutorial_range)
{
	/* range(1, 100000000) sums 1..99999999; 3 workers, uneven chunks. */
	const char *argv[] = { PROG, "--compare", "--json", "--n", "99999999",
	                       "--workers", "3", NULL };
	char obj[8192], got[64];

	tu_run_json(argv, obj, sizeof obj);
	assert_sums(obj, 99999999, all_sums);
	ck_assert(tu_json_str(obj, "processes_sum", got, sizeof got));
	ck_assert_str_eq(got, "333333328333333350000000");
}
END_TEST

START_TEST(more_workers_than_terms)
{
	/* Empty chunks must add nothing and break nothing. */
	const char *argv[] = { PROG, "--compare", "--json", "--n", "5",
	                       "--workers", "9", NULL };
	char obj[8192];

	tu_run_json(argv, obj, sizeof obj);
	assert_sums(obj, 5, all_sums);
}
END_TEST

START_TEST(each_mode_alone)
{
	static const char *const modes[][3] = {
		{ "--mode", "thread", NULL },
		{ "--mode", "process", NULL },
		{ "--mode", "thread", "--gil" },
		{ "--mode", "process", "--gil" },
	};
	static const char *const thread_keys[] = { "serial_sum", "threads_sum", NULL };
	static const char *const proc_keys[] = { "serial_sum", "processes_sum", NULL };
	static const char *const gil_keys[] = { "serial_sum", "gil_sum", NULL };

	for (int i = 0; i < 4; i++) {
		const char *argv[] = { PROG, "--json", "--n", "2000003", "--workers", "3",
		                       modes[i][0], modes[i][1],
		                       modes[i][2] ? modes[i][2] : NULL, NULL };
		char obj[8192];

		tu_run_json(argv, obj, sizeof obj);
		assert_sums(obj, 2000003, i == 0 ? thread_keys : i == 2 ? gil_keys
		                                                        : proc_keys);
	}
}
END_TEST

START_TEST(gil_one_at_a_time)
{
	/* Under the GIL, never two threads compute at once, and the lock
	 * really changes hands every switch interval: a thread that kept it
	 * for its whole chunk would give at most one hand-over per worker. */
	const char *argv[] = { PROG, "--json", "--mode", "thread", "--gil",
	                       "--workers", "4", "--n", "60000000",
	                       "--switch-ms", "1", NULL };
	char obj[8192];
	long long inside, handovers;

	tu_run_json(argv, obj, sizeof obj);
	assert_sums(obj, 60000000, (const char *const[]){ "gil_sum", NULL });
	ck_assert(tu_json_int(obj, "gil_max_inside", &inside));
	ck_assert_int_eq(inside, 1);
	ck_assert(tu_json_int(obj, "gil_handovers", &handovers));
	ck_assert_int_ge(handovers, 3 * 4);
}
END_TEST

START_TEST(no_gil_no_turns)
{
	/* "C threads have no GIL": without --gil, workers compute at the
	 * same time.  Counted, not timed: even on one core a worker is
	 * preempted in the middle of its chunk, so two are inside at once.
	 * Processes under --gil each take their own private lock (a copy
	 * made by fork): they do not exclude each other either. */
	static const char *const args[][3] = {
		{ "--mode", "thread", "threads_max_inside" },
		{ "--mode", "process", "processes_max_inside" },
		{ "--gil", "--mode", "process" },
	};

	for (int i = 0; i < 3; i++) {
		const char *argv[] = { PROG, "--json", "--workers", "4", "--n",
		                       "200000000", args[i][0], args[i][1],
		                       i == 2 ? args[i][2] : NULL, NULL };
		const char *key = i == 2 ? "processes_max_inside" : args[i][2];
		char obj[8192];
		long long inside;

		tu_run_json(argv, obj, sizeof obj);
		ck_assert_msg(tu_json_int(obj, key, &inside), "no %s", key);
		ck_assert_msg(inside >= 2, "%s %s: %s = %lld", args[i][0], args[i][1],
		              key, inside);
	}
}
END_TEST

START_TEST(amdahl_prediction)
{
	/* F = 0.8: the main sums 80% alone, so no number of cores can make
	 * the run more than 1 / 0.8 = 1.25 times faster. */
	const char *argv[] = { PROG, "--json", "--n", "200000001", "--workers", "3",
	                       "--serial-fraction", "0.8", NULL };
	char obj[8192];
	long long ncpu;
	double pred, measured, want, share;
	int p;

	tu_run_json(argv, obj, sizeof obj);
	assert_sums(obj, 200000001,
	            (const char *const[]){ "serial_sum", "processes_sum", NULL });
	ck_assert(tu_json_int(obj, "ncpu", &ncpu));
	ck_assert(tu_json_num(obj, "predicted_speedup", &pred));
	p = ncpu < 3 ? (int)ncpu : 3;
	want = 1.0 / (0.8 + 0.2 / p);
	ck_assert_msg(fabs(pred - want) < 1e-3, "predicted %g, want %g", pred, want);
	/* The serial part really is serial: the main's own CPU time is
	 * about 80% of what the parallel way computed.  CPU time, not wall
	 * time, so a busy machine (which has shown 2.17x here, the serial
	 * yardstick slowed down twice) does not move it; a serial part done
	 * by the workers would make it about 0.  It runs a little under F
	 * (0.68-0.69 seen for F = 0.8, 0.33-0.44 for F = 0.5), hence 0.6. */
	ck_assert(tu_json_num(obj, "measured_speedup", &measured));
	ck_assert(tu_json_num(obj, "serial_cpu_share", &share));
	ck_assert_msg(share >= 0.6 && share <= 0.9, "the main's share of the CPU "
	              "time %.2f, want about 0.8 (speedup %.2fx)", share, measured);
}
END_TEST

START_TEST(json_per_run)
{
	const char *argv[] = { PROG, "--json", "--n", "1000", "--runs", "3", NULL };
	char *out = NULL;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 3);
	free(out);
}
END_TEST

START_TEST(text_output)
{
	const char *argv[] = { PROG, "--compare", "--n", "1000", NULL };
	char *out = NULL;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Total sum of squares: 333833500"));
	ck_assert_ptr_nonnull(strstr(out, "online (sysconf)"));
	ck_assert_ptr_null(strstr(out, "WRONG"));
	free(out);
}
END_TEST

START_TEST(bad_options)
{
	static const char *const bad[][3] = {
		{ "--n", "0", NULL },
		{ "--serial-fraction", "1.5", NULL },
		{ "--workers", "x", NULL },
		{ "--switch-ms", "0", NULL },
		{ "--frobnicate", NULL, NULL },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = { PROG, bad[i][0], bad[i][1], NULL };
		char *out = NULL, *err = NULL;

		ck_assert_int_eq(tu_run(argv, &out, &err), 2);
		ck_assert_int_eq(tu_count_prefix(err, "racelab-cpu-bound: "), 1);
		ck_assert_int_eq(tu_count_lines(err), 1);
		free(out);
		free(err);
	}
}
END_TEST

START_TEST(nothing_left_behind)
{
	const char *argv[] = { PROG, "--compare", "--n", "100000", "--workers", "8",
	                       "--quiet", NULL };

	ck_assert_int_eq(tu_run(argv, NULL, NULL), 0);
	ck_assert_int_eq(tu_count_procs("racelab-cpu-bound"), 0);
}
END_TEST

Suite *
suite_cpu_bound(void)
{
	Suite *s = suite_create("cpu_bound");
	TCase *tc = tcase_create("cpu_bound");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, every_way_exact_uneven_split);
	tcase_add_test(tc, tutorial_range);
	tcase_add_test(tc, more_workers_than_terms);
	tcase_add_test(tc, each_mode_alone);
	tcase_add_test(tc, gil_one_at_a_time);
	tcase_add_test(tc, no_gil_no_turns);
	tcase_add_test(tc, amdahl_prediction);
	tcase_add_test(tc, json_per_run);
	tcase_add_test(tc, text_output);
	tcase_add_test(tc, bad_options);
	tcase_add_test(tc, nothing_left_behind);
	suite_add_tcase(s, tc);
	return s;
}
