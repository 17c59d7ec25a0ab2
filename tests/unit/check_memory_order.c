// Tests of lesson 16 (memory-order): the store buffer on this CPU.  Every
// interleaving step mode can make is sequentially consistent (all of them
// are tried); the free runs on two CPUs reorder, and with a fence or
// seq_cst operations they do not, over a million trials.
#include <check.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define PROG "bin/racelab-memory-order"

static char *
mo(const char *args, int runs)
{
	const char *argv[32] = { PROG, "--json" };
	char buf[512], *out = NULL;
	int n = 2, rc;

	snprintf(buf, sizeof buf, "%s", args);
	for (char *t = strtok(buf, " "); t && n < 31; t = strtok(NULL, " "))
		argv[n++] = t;
	rc = tu_run(argv, &out, NULL);
	ck_assert_msg(rc == 0, "%s: exit %d", args, rc);
	ck_assert_msg(tu_json_count(out) == runs, "%s: %d records", args,
	              tu_json_count(out));
	return out;
}

static int
usable_cpus(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

/* One run's record: outcomes add up to the trials; returns reorders. */
static long long
reorders(const char *args)
{
	char obj[2048], *out = mo(args, 1);
	long long o[4], sum = 0, r;

	ck_assert(tu_json_line(out, 0, obj, sizeof obj));
	ck_assert_int_eq(tu_json_array(obj, "outcomes", o, 4), 4);
	for (int k = 0; k < 4; k++)
		sum += o[k];
	ck_assert_int_eq(sum, tu_jint(obj, "trials"));
	r = tu_jint(obj, "reorders");
	free(out);
	return r;
}

/* Build the schedule of one interleaving: bit i of mask set means step
 * i goes to worker 2; k steps each.  Returns false unless mask has
 * exactly k bits of 2k. */
static bool
interleaving(unsigned mask, int k, char *buf, size_t len)
{
	size_t used = 0;

	if (__builtin_popcount(mask) != k)
		return false;
	for (int i = 0; i < 2 * k; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d", i ? "," : "",
		                         mask >> i & 1 ? 2 : 1);
	return true;
}

/* Step mode is sequentially consistent: every one of the 6 orders of the
 * store-buffer test (two steps each) and the 20 of Peterson's entry
 * (three each) has no reorder, and each order gives the outcome it must. */
START_TEST(test_every_interleaving_is_sc)
{
	int sb = 0, pe = 0, both_one = 0;

	for (unsigned m = 0; m < 16; m++) {
		char sched[64], args[128];

		if (!interleaving(m, 2, sched, sizeof sched))
			continue;
		snprintf(args, sizeof args, "--schedule %s", sched);
		ck_assert_msg(reorders(args) == 0, "%s", args);
		{
			char obj[2048], *out = mo(args, 1);

			ck_assert(tu_json_line(out, 0, obj, sizeof obj));
			both_one += tu_jint(obj, "both_one");
			free(out);
		}
		sb++;
	}
	for (unsigned m = 0; m < 64; m++) {
		char sched[64], args[128];

		if (!interleaving(m, 3, sched, sizeof sched))
			continue;
		snprintf(args, sizeof args, "--test peterson --schedule %s%s", sched,
		         pe % 5 ? "" : " --mode process");
		ck_assert_msg(reorders(args) == 0, "%s", args);
		pe++;
	}
	ck_assert_int_eq(sb, 6);
	ck_assert_int_eq(pe, 20);
	/* Both stores before both loads: 1,2,1,2 2,1,1,2 1,2,2,1 2,1,2,1. */
	ck_assert_int_eq(both_one, 4);
}
END_TEST

/* The goal "both loads read 1": 20 of 20 with 1,2,1,2. */
START_TEST(test_goal_both_one)
{
	char obj[2048], *out = mo("--schedule 1,2,1,2 --runs 20", 20);

	for (int r = 0; r < 20; r++) {
		ck_assert(tu_json_line(out, r, obj, sizeof obj));
		ck_assert_msg(tu_jint(obj, "both_one") == 1 && tu_jint(obj, "trials") == 1,
		              "run %d: %s", r + 1, obj);
	}
	free(out);
}
END_TEST

/* On two CPUs: the store buffer shows (both loads 0) in a million
 * trials, and in fewer in process mode and in Peterson's entry (both
 * enter): at about 2% each, 200,000 trials are plenty. */
START_TEST(test_reorders_without_fence)
{
	if (usable_cpus() < 2)
		return; /* the claim is "when ncpu >= 2" */
	ck_assert(reorders("--mode thread") > 0);
	ck_assert(reorders("--mode process --trials 200000") > 0);
	ck_assert(reorders("--test peterson --trials 200000") > 0);
}
END_TEST

/* With a fence, not once in a million trials; seq_cst operations and
 * Peterson's fenced entry over fewer (the lesson's verify runs a
 * million of each). */
START_TEST(test_fence_forbids)
{
	ck_assert_int_eq(reorders("--fence"), 0);
	ck_assert_int_eq(reorders("--seq-cst --mode process --trials 200000"), 0);
	ck_assert_int_eq(reorders("--test peterson --fence --trials 200000"), 0);
}
END_TEST

/* One CPU: no store buffer of another CPU to hide a store in.  And the
 * record's cpu_wait is the kernel's: the two workers take turns on the
 * one CPU, so each waits on its run queue while the other runs, about
 * half of their runnable time (0.5 here; more with other work beside). */
START_TEST(test_one_cpu_no_reorder)
{
	char obj[2048], *out = mo("--cpus 1 --trials 100000", 1);

	ck_assert(tu_json_line(out, 0, obj, sizeof obj));
	ck_assert_int_eq(tu_jint(obj, "cpus"), 1);
	ck_assert(!tu_jbool(obj, "apart"));
	ck_assert_int_eq(tu_jint(obj, "reorders"), 0);
	ck_assert_msg(tu_jnum(obj, "cpu_wait") > 0.25 && tu_jnum(obj, "cpu_wait") <= 1,
	              "%s", obj);
	ck_assert_msg(tu_jnum(obj, "steal") >= 0 && tu_jnum(obj, "steal") <= 1, "%s", obj);
	free(out);
	/* Process workers add theirs through shared memory: each of the two
	 * can run all along, so their time on the CPU and waiting for it
	 * add up to about twice the run's (whatever else runs). */
	out = mo("--cpus 1 --trials 20000 --mode process", 1);
	ck_assert(tu_json_line(out, 0, obj, sizeof obj));
	ck_assert_msg(tu_jnum(obj, "cpu_wait") > 0.25, "%s", obj);
	ck_assert_msg(tu_jnum(obj, "cpu_ms") + tu_jnum(obj, "cpu_wait_ms") >
	              1.2 * tu_jnum(obj, "elapsed_ms"), "%s", obj);
	free(out);
}
END_TEST

START_TEST(test_bad_options)
{
	const char *bad[][8] = {
		{ PROG, "--workers", "3", NULL },
		{ PROG, "--fence", "--seq-cst", NULL },
		{ PROG, "--test", "mp", NULL },
		{ PROG, "--trials", "-5", NULL },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tu_assert_usage_error(bad[i]);
}
END_TEST

START_TEST(test_json_per_run_and_nothing_left)
{
	const char *argv[] = { PROG, "--runs", "3", "--trials", "20000", "--mode",
	                       "process", "--json", NULL };

	tu_assert_json_runs(argv, 3);
}
END_TEST

Suite *
suite_memory_order(void)
{
	Suite *s = suite_create("memory_order");
	TCase *tc = tcase_create("claims");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_interleaving_is_sc);
	tcase_add_test(tc, test_goal_both_one);
	tcase_add_test(tc, test_reorders_without_fence);
	tcase_add_test(tc, test_fence_forbids);
	tcase_add_test(tc, test_one_cpu_no_reorder);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_json_per_run_and_nothing_left);
	suite_add_tcase(s, tc);
	return s;
}
