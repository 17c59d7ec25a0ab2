// Tests for lesson 18 (semaphores): each pattern's right variant holds
// (exactly, in free runs and under the schedule that breaks the wrong
// one); each wrong variant breaks under its schedule, 20 of 20.
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define PROG "bin/racelab-semaphores"
#define LAP_SCHED "1,1,2,2,2,2,2,2,2,2,2,2,2,2,2,2"

/* Run PROG with the arguments after it and --json, `times` times; each
 * run's records (`runs` of them) must have key == want (want < 0: key
 * >= -want). */
static void
expect_key(int times, int runs, const char *key, long long want, const char *a0, ...)
{
	const char *argv[40];
	va_list ap;

	va_start(ap, a0);
	tu_argv_va(argv, 40, PROG, "--json", a0, ap);
	va_end(ap);
	for (int t = 0; t < times; t++) {
		char *out = NULL, line[2048];

		ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
		ck_assert_int_eq(tu_json_count(out), runs);
		for (int i = 0; i < runs; i++) {
			ck_assert(tu_json_line(out, i, line, sizeof line));
			if (want >= 0)
				ck_assert_int_eq(tu_jint(line, key), want);
			else
				ck_assert_int_ge(tu_jint(line, key), -want);
		}
		free(out);
	}
}

/* One run that ends with exit code rc and one record with key == want
 * (the watchdog's record, for a run where everyone fell asleep). */
static void
expect_key_exit(int rc, const char *key, long long want, const char *a0, ...)
{
	const char *argv[40];
	char *out = NULL, line[2048];
	va_list ap;

	va_start(ap, a0);
	tu_argv_va(argv, 40, PROG, "--json", a0, ap);
	va_end(ap);
	ck_assert_int_eq(tu_run(argv, &out, NULL), rc);
	ck_assert_int_eq(tu_json_count(out), 1);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert_int_eq(tu_jint(line, key), want);
	free(out);
}

START_TEST(test_signal)
{
	expect_key(1, 20, "violations", 1, "--pattern", "signal", "--variant", "wrong",
	           "--schedule", "2", "--runs", "20", NULL);
	expect_key(1, 20, "violations", 0, "--pattern", "signal", "--schedule", "2,1,2",
	           "--runs", "20", NULL);
	expect_key(1, 1, "violations", 0, "--pattern", "signal", "--mode", "process",
	           "--schedule", "2,1,2", NULL);
	expect_key(1, 1, "violations", 1, "--pattern", "signal", "--variant", "wrong",
	           "--mode", "process", "--schedule", "2", NULL);
}
END_TEST

/* Wait first, then post: both asleep, always; stopped with exit 3. */
START_TEST(test_rendezvous)
{
	const char *wrong[] = { PROG, "--pattern", "rendezvous", "--variant", "wrong",
	                        "--schedule", "1,1,2,2", NULL };
	const char *wrongp[] = { PROG, "--pattern", "rendezvous", "--variant", "wrong",
	                         "--mode", "process", NULL };
	char *err = NULL;

	ck_assert_int_eq(tu_count_exits(wrong, 20, 3), 20);
	ck_assert_int_eq(tu_count_exits(wrongp, 5, 3), 5);
	expect_key_exit(3, "all_blocked", 1, "--pattern", "rendezvous", "--variant",
	                "wrong", NULL);
	ck_assert_int_eq(tu_run(wrong, NULL, &err), 3);
	ck_assert_ptr_nonnull(strstr(err, "worker 1 waits for b arrived"));
	ck_assert_ptr_nonnull(strstr(err, "worker 2 waits for a arrived"));
	free(err);
	expect_key(1, 20, "violations", 0, "--pattern", "rendezvous", "--runs", "20", NULL);
	expect_key(1, 20, "all_blocked", 0, "--pattern", "rendezvous", "--runs", "20", NULL);
	expect_key(1, 1, "violations", 0, "--pattern", "rendezvous", "--schedule",
	           "1,1,2,2", NULL);
}
END_TEST

/* At most N inside; a post without a wait lets N+1 in. */
START_TEST(test_multiplex)
{
	/* Free runs: never more than 2 (how many overlap is up to timing;
	 * the schedule 1,2,3 below shows 2 inside, the third at the door). */
	{
		const char *argv[] = { PROG, "--pattern", "multiplex", "--workers", "6",
		                       "--limit", "2", "--hold", "0.002", "--rounds", "5",
		                       "--runs", "3", "--json", NULL };
		char *out = NULL, line[2048];

		ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
		ck_assert_int_eq(tu_json_count(out), 3);
		for (int i = 0; i < 3; i++) {
			ck_assert(tu_json_line(out, i, line, sizeof line));
			ck_assert_int_le(tu_jint(line, "max_inside"), 2);
			ck_assert_int_ge(tu_jint(line, "max_inside"), 1);
		}
		free(out);
	}
	expect_key(20, 1, "max_inside", 3, "--pattern", "multiplex", "--variant", "wrong",
	           "--limit", "2", "--schedule", "1,1,2,3", NULL);
	expect_key(1, 1, "max_inside", 3, "--pattern", "multiplex", "--variant", "wrong",
	           "--limit", "2", "--schedule", "1,1,2,3", "--mode", "process", NULL);
	/* Free runs with a hold: the extra permit lets three in, every run
	 * (the lesson's claim; without the hold a free run seldom shows it). */
	expect_key(1, 3, "max_inside", 3, "--pattern", "multiplex", "--variant", "wrong",
	           "--limit", "2", "--workers", "6", "--rounds", "5", "--hold", "0.002",
	           "--runs", "3", NULL);
	/* Workers 1 and 2 take the two permits; 3 is held at the door. */
	expect_key(5, 1, "max_inside", 2, "--pattern", "multiplex", "--limit", "2",
	           "--schedule", "1,2,3", NULL);
}
END_TEST

START_TEST(test_barrier)
{
	const char *wrong[] = { PROG, "--pattern", "barrier", "--variant", "wrong",
	                        "--schedule", "1,1,1,2,2,2,3,3,3,3", NULL };

	ck_assert_int_eq(tu_count_exits(wrong, 20, 3), 20);
	expect_key_exit(3, "all_blocked", 1, "--pattern", "barrier", "--variant", "wrong",
	                NULL);
	expect_key(5, 1, "violations", 0, "--pattern", "barrier", "--workers", "5", NULL);
	expect_key(5, 1, "passed", 5, "--pattern", "barrier", "--workers", "5",
	           "--mode", "process", NULL);
	tu_assert_usage_errorv(PROG, "--pattern", "barrier", "--runs", "2", NULL);
}
END_TEST

/* One turnstile: a worker laps the other; two-phase: never. */
START_TEST(test_reusable)
{
	expect_key(20, 1, "violations", -1, "--pattern", "reusable", "--variant", "wrong",
	           "--workers", "2", "--rounds", "2", "--schedule", LAP_SCHED, NULL);
	expect_key(1, 1, "violations", -1, "--pattern", "reusable", "--variant", "wrong",
	           "--workers", "2", "--rounds", "2", "--schedule", LAP_SCHED,
	           "--mode", "process", NULL);
	expect_key(1, 1, "violations", 0, "--pattern", "reusable", "--workers", "2",
	           "--rounds", "2", "--schedule", LAP_SCHED, NULL);
	expect_key(1, 3, "violations", 0, "--pattern", "reusable", "--workers", "4",
	           "--rounds", "300", "--runs", "3", NULL);
	expect_key(1, 1, "passed", 3, "--pattern", "reusable", "--rounds", "100",
	           "--mode", "process", NULL);
}
END_TEST

START_TEST(test_latch_event)
{
	expect_key(5, 1, "violations", 0, "--pattern", "latch", "--workers", "6", NULL);
	expect_key(1, 1, "passed", 3, "--pattern", "latch", "--workers", "6", NULL);
	expect_key(1, 1, "permits_left", 1, "--pattern", "latch", NULL);
	expect_key(1, 5, "passed", 4, "--pattern", "event", "--workers", "5", "--runs", "5", NULL);
	expect_key(1, 5, "permits_left", 0, "--pattern", "event", "--workers", "5",
	           "--runs", "5", NULL);
}
END_TEST

/* A latch holds its waiters until the count is 0: 3 and 4 are granted
 * wait, post and go before anyone counts down, and each sleeps at its
 * wait until the last count-down (the free runs above, where the
 * count-downs mostly come first, leave that to luck; a latch that starts
 * open lets both go at once, violations 2). */
START_TEST(test_latch_waiters_first)
{
	expect_key(5, 1, "violations", 0, "--pattern", "latch", "--workers", "4",
	           "--schedule", "3,3,3,4,4,4", NULL);
	expect_key(1, 1, "passed", 2, "--pattern", "latch", "--workers", "4",
	           "--schedule", "3,3,3,4,4,4", "--mode", "process", NULL);
}
END_TEST

START_TEST(test_bad_input)
{
	tu_assert_usage_errorv(PROG, "--pattern", "signal", "--workers", "3", NULL);
	tu_assert_usage_errorv(PROG, "--pattern", "latch", "--variant", "wrong", NULL);
	tu_assert_usage_errorv(PROG, "--pattern", "turnstile", NULL);
	tu_assert_usage_errorv(PROG, "--pattern", "latch", "--runs", "2", NULL);
}
END_TEST

Suite *suite_semaphores(void);

Suite *
suite_semaphores(void)
{
	Suite *s = suite_create("semaphores");
	TCase *tc = tcase_create("semaphores");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_signal);
	tcase_add_test(tc, test_rendezvous);
	tcase_add_test(tc, test_multiplex);
	tcase_add_test(tc, test_barrier);
	tcase_add_test(tc, test_reusable);
	tcase_add_test(tc, test_latch_event);
	tcase_add_test(tc, test_latch_waiters_first);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}
