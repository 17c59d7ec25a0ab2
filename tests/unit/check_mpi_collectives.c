// Lesson 22 (racelab-mpi-collectives): the sum of squares split over MPI
// ranks and combined by MPI_Reduce is exact on every number of ranks, the
// broadcast reaches every rank, and the message timings and lesson 06's
// numbers beside them are all there.  Speedups and times are measured by
// the program, not judged here (the lesson's expect: lines gate them on
// the load).
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define PROG "bin/racelab-mpi-collectives"

/* n(n+1)(2n+1)/6 in decimal, by 128-bit arithmetic of the test's own. */
static void
closed_form(unsigned long long n, char *buf, size_t len)
{
	unsigned __int128 v = (unsigned __int128)n * (n + 1) * (2 * (unsigned __int128)n + 1) / 6;
	char tmp[48];
	int k = 0;

	do {
		tmp[k++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (int i = 0; i < k && (size_t)i < len - 1; i++)
		buf[i] = tmp[k - 1 - i];
	buf[k < (int)len ? k : (int)len - 1] = '\0';
}

/* Three ranks (an uneven split of an odd N, past the two cores; a sum
 * above 2^64, so a 64-bit reduce would be wrong), a short stream: every sum exact, one time and one speedup per number of ranks,
 * the ping-pong at every size, and racelab-ipc's numbers. */
START_TEST(test_three_ranks)
{
	const char *argv[] = { PROG, "--json", "--workers", "3", "--n", "10000001",
	                       "--messages", "2000", NULL };
	static const char *const keys[] = {
		"mpi_8_us", "mpi_1k_us", "mpi_64k_us", "mpi_1m_us", "mpi_stream_mb_s",
		"ipc_round_trip_us", "ipc_pipe_mb_s", "ipc_mq_mb_s", "ipc_ring_mb_s",
		"barrier_us", "bcast_us", NULL,
	};
	char obj[4096], want[64], got[64];
	double ms[8], sp[8];
	long long cpus, ks[8];

	tu_run_json(argv, obj, sizeof obj);
	closed_form(10000001, want, sizeof want);
	tu_jstr(obj, "expected", got, sizeof got);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(tu_jint(obj, "wrong_sums"), 0);
	ck_assert_int_eq(tu_jint(obj, "bcast_same"), 1);
	ck_assert_int_eq(tu_jint(obj, "n"), 10000001);
	ck_assert_int_eq(tu_jint(obj, "ranks"), 3);
	ck_assert_int_eq(tu_json_array(obj, "ranks_timed", ks, 8), 3);
	for (int k = 0; k < 3; k++)
		ck_assert_int_eq(ks[k], k + 1);
	ck_assert_int_eq(tu_json_num_array(obj, "ms", ms, 8), 3);
	ck_assert_int_eq(tu_json_num_array(obj, "speedup", sp, 8), 3);
	for (int k = 0; k < 3; k++) {
		ck_assert_msg(ms[k] > 0, "ms[%d] = %g", k, ms[k]);
		ck_assert_msg(sp[k] > 0, "speedup[%d] = %g", k, sp[k]);
	}
	/* The yardstick is the faster of two one-rank runs. */
	ck_assert(tu_jnum(obj, "serial_ms") <= ms[0]);
	cpus = tu_jint(obj, "job_cpus");
	ck_assert_int_ge(cpus, 1);
	ck_assert_int_eq(tu_jint(obj, "ideal_speedup"), (cpus < 3 ? cpus : 3));
	for (int i = 0; keys[i]; i++)
		ck_assert_msg(tu_jnum(obj, keys[i]) > 0, "%s: %s", keys[i], obj);
	ck_assert(tu_jnum(obj, "mpi_1m_us") > tu_jnum(obj, "mpi_8_us"));
	ck_assert_int_eq(tu_jint(obj, "messages"), 2000);
}
END_TEST

/* More ranks than terms: empty shares add nothing, the sum is still
 * exact (1 + 4 = 5); without --no-ipc's numbers the record has none. */
START_TEST(test_empty_shares)
{
	const char *argv[] = { PROG, "--json", "--workers", "3", "--n", "2",
	                       "--messages", "10", "--no-ipc", NULL };
	char obj[4096], got[64];

	tu_run_json(argv, obj, sizeof obj);
	tu_jstr(obj, "expected", got, sizeof got);
	ck_assert_str_eq(got, "5");
	ck_assert_int_eq(tu_jint(obj, "wrong_sums"), 0);
	ck_assert(!strstr(obj, "\"ipc_"));
}
END_TEST

START_TEST(test_bad_input)
{
	tu_assert_usage_errorv(PROG, "--n", "0", NULL);
	tu_assert_usage_errorv(PROG, "--messages", "x", NULL);
}
END_TEST

Suite *suite_mpi_collectives(void);

Suite *
suite_mpi_collectives(void)
{
	Suite *s = suite_create("mpi_collectives");
	TCase *tc = tcase_create("mpi_collectives");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_three_ranks);
	tcase_add_test(tc, test_empty_shares);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}
