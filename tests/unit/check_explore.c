// --explore (src/lab/lab_explore.c): the exact distribution of the race
// lesson's interleavings, the deadlock found among lesson 13's, the caps,
// bad input, and every reported schedule reproducing its outcome.
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static long long
jget(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	ck_assert_msg(json_is_integer(v), "no integer %s", k);
	return json_integer_value(v);
}

static bool
jtrue(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	ck_assert_msg(json_is_boolean(v), "no boolean %s", k);
	return json_is_true(v);
}

/* The outcome with this final balance, or NULL. */
static json_t *
by_final(json_t *r, long long final)
{
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(r, "outcomes"), i, o)
		if (jget(json_object_get(o, "outcome"), "final") == final)
			return o;
	return NULL;
}

/* A schedule replayed 20 times gives the same final balance 20 times. */
static void
reproduces(const char *sched, const char *sync, long long final)
{
	for (int k = 0; k < 20; k++) {
		const char *argv[] = { "bin/racelab-race", "--workers", "2", "--iters",
		                       "1", "--runs", "1", "--sync", sync, "--json", "--schedule",
		                       sched, NULL };
		char obj[1024];

		tu_run_json(argv, obj, sizeof obj);
		ck_assert_msg(tu_jint(obj, "final") == final,
		              "--schedule %s: final %lld, explored %lld (replay %d)",
		              sched, tu_jint(obj, "final"), final, k + 1);
	}
}

/* Two workers, one update each, no lock: the 4!/(2!2!) = 6 orders of
 * two reads and two writes, 99, 100 and 101 twice each. */
START_TEST(test_race_distribution)
{
	json_t *r = tu_explore("bin/racelab-race", "--workers 2 --iters 1");
	size_t i;
	json_t *o;

	ck_assert_int_eq(jget(r, "explored"), 6);
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(json_object_get(r, "outcomes")), 3);
	for (long long f = 99; f <= 101; f++) {
		o = by_final(r, f);
		ck_assert_msg(o != NULL, "no outcome final %lld", f);
		ck_assert_int_eq(jget(o, "count"), 2);
		ck_assert(!jtrue(o, "deadlock"));
	}
	json_array_foreach(json_object_get(r, "outcomes"), i, o)
		reproduces(json_string_value(json_object_get(o, "schedule")), "none",
		           jget(json_object_get(o, "outcome"), "final"));
	json_decref(r);
}
END_TEST

/* A correct lock: every interleaving ends at 100. */
START_TEST(test_race_mutex_one_outcome)
{
	json_t *r = tu_explore("bin/racelab-race", "--workers 2 --iters 1 --sync mutex");
	json_t *o;

	ck_assert(jtrue(r, "complete"));
	ck_assert_int_ge(jget(r, "explored"), 2);
	ck_assert_int_eq(json_array_size(json_object_get(r, "outcomes")), 1);
	o = json_array_get(json_object_get(r, "outcomes"), 0);
	ck_assert_int_eq(jget(json_object_get(o, "outcome"), "final"), 100);
	ck_assert_int_eq(jget(o, "count"), jget(r, "explored"));
	reproduces(json_string_value(json_object_get(o, "schedule")), "mutex", 100);
	json_decref(r);
}
END_TEST

/* Lesson 13, a then b against b then a: some interleavings deadlock,
 * others finish; the deadlock's schedule deadlocks again (exit 3). */
START_TEST(test_deadlock_found)
{
	json_t *r = tu_explore("bin/racelab-deadlock", "--workers 2 --iters 1 --mode thread");
	int dead = 0, fine = 0;
	const char *dsched = NULL;
	size_t i;
	json_t *o;

	ck_assert(jtrue(r, "complete"));
	json_array_foreach(json_object_get(r, "outcomes"), i, o) {
		if (jtrue(o, "deadlock")) {
			dead++;
			dsched = json_string_value(json_object_get(o, "schedule"));
		} else {
			ck_assert_int_eq(jget(json_object_get(o, "outcome"), "status"), 0);
			fine++;
		}
	}
	ck_assert_int_eq(dead, 1);
	ck_assert_int_ge(fine, 1);
	for (int k = 0; k < 3; k++) {
		const char *argv[] = { "bin/racelab-deadlock", "--workers", "2", "--iters",
		                       "1", "--mode", "thread", "--schedule", dsched, NULL };

		ck_assert_int_eq(tu_run(argv, NULL, NULL), 3);
	}
	json_decref(r);
}
END_TEST

/* Caps: --max-runs 3 stops short; a preemption bound of 0 leaves only
 * the schedules that never preempt (1,1,2,2 and 2,2,1,1). */
START_TEST(test_caps)
{
	json_t *r = tu_explore("bin/racelab-race", "--workers 2 --iters 1 --max-runs 3");
	json_t *cut;

	ck_assert_int_eq(jget(r, "explored"), 3);
	ck_assert(!jtrue(r, "complete"));
	cut = json_object_get(r, "cut");
	ck_assert_str_eq(json_string_value(json_array_get(cut, 0)), "max-runs");
	json_decref(r);
	r = tu_explore("bin/racelab-race", "--workers 2 --iters 1 --preemptions 0");
	ck_assert_int_eq(jget(r, "explored"), 2);
	ck_assert(!jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(json_object_get(r, "outcomes")), 1);
	ck_assert_int_eq(jget(json_object_get(json_array_get(
		json_object_get(r, "outcomes"), 0), "outcome"), "final"), 100);
	json_decref(r);
	/* A bound of 1 reaches every outcome. */
	r = tu_explore("bin/racelab-race", "--workers 2 --iters 1 --preemptions 1");
	ck_assert_int_eq(json_array_size(json_object_get(r, "outcomes")), 3);
	json_decref(r);
	/* The step bound: 2 steps a run cannot finish 4. */
	r = tu_explore("bin/racelab-race", "--workers 2 --iters 1 --max-steps 2");
	ck_assert(!jtrue(r, "complete"));
	ck_assert(jtrue(json_array_get(json_object_get(r, "outcomes"), 0), "step_bound"));
	json_decref(r);
}
END_TEST

START_TEST(test_bad_input)
{
	/* --workers 2 --iters 1: a mistake that lets one through runs a
	 * search of six runs and fails here, not by the test's timeout. */
	tu_assert_usage_errorv("bin/racelab-race", "--workers", "2", "--iters", "1",
	                       "--explore", "--schedule", "1,2", NULL);
	tu_assert_usage_errorv("bin/racelab-race", "--workers", "2", "--iters", "1",
	                       "--explore", "--step", NULL);
	tu_assert_usage_errorv("bin/racelab-race", "--workers", "2", "--iters", "1",
	                       "--explore", "--preemptions", "-1", NULL);
	tu_assert_usage_errorv("bin/racelab-race", "--preemptions", "1", NULL);
	tu_assert_usage_errorv("bin/racelab-race", "--explore", "--max-runs", "0", NULL);
	ck_assert_int_eq(tu_count_procs("bin/racelab-race"), 0);
}
END_TEST

Suite *
suite_explore(void)
{
	Suite *s = suite_create("explore");
	TCase *tc = tcase_create("explore");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_race_distribution);
	tcase_add_test(tc, test_race_mutex_one_outcome);
	tcase_add_test(tc, test_deadlock_found);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}
