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
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define PROG "bin/racelab-mpi-collectives"

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
	tu_sum_squares_str(10000001, want, sizeof want);
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

/* The ipc_ numbers are racelab-ipc's, from this run: a copy of the
 * program beside a stand-in racelab-ipc (the program runs the one next to
 * itself) that prints known records, the duplex one after a decoy.  The
 * record carries those values (the round trip as printed, the MiB/s of
 * racelab-ipc in MB/s), not numbers of its own; a racelab-ipc that fails
 * fails the program with one line naming it, and leaves nothing. */
static const char fake_ipc[] =
	"#!/bin/sh\n"
	"case \" $* \" in\n"
	"*\" duplex \"*) echo '{\"duplex_us_per_round_trip\": 999}'\n"
	"  echo '{\"duplex_us_per_round_trip\": 12.5}' ;;\n"
	"*) [ -n \"$FAKE_IPC_FAIL\" ] && exit 1\n"
	"  echo '{\"pipe_mb_s\": 100, \"mq_mb_s\": 50, \"ring_mb_s\": 1000}' ;;\n"
	"esac\n";

START_TEST(test_ipc_numbers_are_racelab_ipc)
{
	char dir[] = "/tmp/check-mpi-ipc-XXXXXX", prog[64], ipc[64], obj[4096];
	const char *cp[] = { "/bin/cp", PROG, dir, NULL };
	const char *argv[] = { prog, "--json", "--workers", "2", "--n", "1000",
	                       "--messages", "10", NULL };
	char *out, *err, *fout = NULL, *ferr = NULL;
	int cprc, frc = 0, left;
	bool got = false;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(prog, sizeof prog, "%s/racelab-mpi-collectives", dir);
	snprintf(ipc, sizeof ipc, "%s/racelab-ipc", dir);
	cprc = tu_run(cp, &out, &err);
	free(out);
	free(err);
	f = fopen(ipc, "w");
	if (f) {
		fputs(fake_ipc, f);
		fclose(f);
		chmod(ipc, 0755);
	}
	/* Both runs first, then the directory goes, then the asserts: a
	 * failing assert leaves nothing in /tmp. */
	if (cprc == 0 && f) {
		if (tu_run(argv, &out, &err) == 0)
			got = tu_json_line(out, 0, obj, sizeof obj);
		free(out);
		free(err);
		setenv("FAKE_IPC_FAIL", "1", 1);
		frc = tu_run(argv, &fout, &ferr);
		unsetenv("FAKE_IPC_FAIL");
	}
	left = tu_count_procs(dir);
	unlink(ipc);
	unlink(prog);
	rmdir(dir);
	ck_assert_int_eq(cprc, 0);
	ck_assert_msg(got, "no record from the copy beside the stand-in");
	ck_assert_double_eq_tol(tu_jnum(obj, "ipc_round_trip_us"), 12.5, 1e-9);
	ck_assert_double_eq_tol(tu_jnum(obj, "ipc_pipe_mb_s"), 104.858, 1e-3);
	ck_assert_double_eq_tol(tu_jnum(obj, "ipc_mq_mb_s"), 52.4288, 1e-3);
	ck_assert_double_eq_tol(tu_jnum(obj, "ipc_ring_mb_s"), 1048.58, 1e-2);
	ck_assert_int_ne(frc, 0);
	ck_assert_msg(strstr(ferr, "racelab-ipc --demo transfer failed"), "%s", ferr);
	ck_assert_int_eq(tu_json_count(fout), 0);
	ck_assert_int_eq(left, 0);
	free(fout);
	free(ferr);
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
	tcase_add_test(tc, test_ipc_numbers_are_racelab_ipc);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}
