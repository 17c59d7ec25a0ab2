// Lesson 21 (racelab-mpi-bank): a synchronised run of MPI ranks ends
// exactly at the expected balance, whichever fix; the racy ones stay
// within what the updates could reach and, on two cores, lose updates.
// Each case is one mpirun job (a few tenths of a second to start), with
// all its runs inside it.
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define PROG "bin/racelab-mpi-bank"

/* Run racelab-mpi-bank --json with args (space-separated); assert exit 0
 * and `runs` records; the output (free it). */
static char *
bank(const char *args, int runs)
{
	const char *argv[24] = { PROG, "--json" };
	static char buf[256];
	char *out, *err;
	int n = 2, rc;

	snprintf(buf, sizeof buf, "%s", args);
	for (char *t = strtok(buf, " "); t && n < 23; t = strtok(NULL, " "))
		argv[n++] = t;
	rc = tu_run(argv, &out, &err);
	ck_assert_msg(rc == 0, "%s: exit %d: %s", args, rc, err);
	ck_assert_msg(tu_json_count(out) == runs, "%s: %d records, want %d: %s",
	              args, tu_json_count(out), runs, out);
	free(err);
	return out;
}

/* The record's bookkeeping, for `ranks` ranks of `iters` updates (even
 * ranks withdraw, odd ones deposit); returns `expected`. */
static long long
assert_books(const char *obj, int ranks, long long iters)
{
	long long expected = 100, low = 100, high = 100, pids[16];
	int np;

	for (int r = 0; r < ranks; r++) {
		expected += r % 2 ? iters : -iters;
		if (r % 2)
			high += iters;
		else
			low -= iters;
	}
	ck_assert_int_eq(tu_jint(obj, "ranks"), ranks);
	ck_assert_int_eq(tu_jint(obj, "iters"), iters);
	ck_assert_int_eq(tu_jint(obj, "expected"), expected);
	ck_assert_int_eq(tu_jint(obj, "low"), low);
	ck_assert_int_eq(tu_jint(obj, "high"), high);
	/* Every rank is a process of its own, none of them this test. */
	np = tu_json_array(obj, "pids", pids, 16);
	ck_assert_int_eq(np, ranks);
	for (int i = 0; i < np; i++) {
		ck_assert_int_gt(pids[i], 0);
		ck_assert_int_ne(pids[i], getpid());
		for (int k = 0; k < i; k++)
			ck_assert_int_ne(pids[i], pids[k]);
	}
	ck_assert_int_eq(tu_jint(obj, "unified"), 1);
	return expected;
}

/* One method's final balance (key PREFIXfinal) is within reach of the
 * updates (outside it: a torn write), and PREFIXlost is its distance
 * from expected; returns the final balance. */
static long long
assert_balance(const char *obj, const char *prefix, long long expected)
{
	char key[48];
	long long fin, low = tu_jint(obj, "low"), high = tu_jint(obj, "high");

	snprintf(key, sizeof key, "%sfinal", prefix);
	fin = tu_jint(obj, key);
	ck_assert_msg(fin >= low && fin <= high, "%s %lld outside [%lld, %lld] "
	              "(a torn write?): %s", key, fin, low, high, obj);
	snprintf(key, sizeof key, "%slost", prefix);
	ck_assert_int_eq(tu_jint(obj, key), fin > expected ? fin - expected
	                                                   : expected - fin);
	return fin;
}

/* Synchronised: exact equality, every run, every fix, in one job
 * (--compare: every method in turn, each on a window of its own).  Three
 * ranks: two withdraw, one deposits, so the balance must end at
 * 100 - iters; oversubscribed on two cores, they take turns too.  The
 * racy methods of the same runs stay within reach. */
START_TEST(test_synchronised_exact)
{
	static const char *const fixed[] = { "accumulate_", "fetch_op_", "lock_" };
	char obj[2048];
	char *out = bank("--compare --workers 3 --iters 1000 --runs 2", 2);

	for (int r = 0; r < 2; r++) {
		long long expected;

		ck_assert(tu_json_line(out, r, obj, sizeof obj));
		expected = assert_books(obj, 3, 1000);
		ck_assert_int_eq(expected, 100 - 1000);
		for (int s = 0; s < 3; s++)
			ck_assert_msg(assert_balance(obj, fixed[s], expected) == expected,
			              "%sfinal is not %lld: %s", fixed[s], expected, obj);
		assert_balance(obj, "none_", expected);
		assert_balance(obj, "per_access_", expected);
	}
	free(out);
}
END_TEST

/* The 1-minute load average (/proc/loadavg). */
static double
load1(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l = 1e9;

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = 1e9;
		fclose(f);
	}
	return l;
}

/* Racy, alone (--sync none, its own record's final and lost): within
 * reach in every run, whatever the load; on two cores and a load under 2
 * most runs lose updates (the lesson's claim, gated the same way).  Busy
 * machines lose too, and so does one CPU (a rank stopped between its Get
 * and its Put), but how often depends on the load: not asserted. */
START_TEST(test_racy_bounds)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double load = load1();
	char obj[1024];
	int lossy = 0;
	char *out = bank("--sync none --iters 2000 --runs 5", 5);

	for (int r = 0; r < 5; r++) {
		ck_assert(tu_json_line(out, r, obj, sizeof obj));
		lossy += assert_balance(obj, "", assert_books(obj, 2, 2000)) != 100;
	}
	if (ncpu >= 2 && load < 2)
		ck_assert_msg(lossy >= 3, "only %d of 5 runs lost updates", lossy);
	free(out);
}
END_TEST

/* Bad input: one line, exit 2, before any rank starts. */
START_TEST(test_bad_input)
{
	tu_assert_usage_errorv(PROG, "--sync", "mutex", NULL);
	tu_assert_usage_errorv(PROG, "--iters", "-1", NULL);
	tu_assert_usage_errorv(PROG, "--workers", "1", NULL); /* no race, no window */
	ck_assert_int_eq(tu_count_procs("racelab-mpi-bank"), 0);
}
END_TEST

Suite *suite_mpi_bank(void);

Suite *
suite_mpi_bank(void)
{
	Suite *s = suite_create("mpi_bank");
	TCase *tc = tcase_create("mpi_bank");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_synchronised_exact);
	tcase_add_test(tc, test_racy_bounds);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}
