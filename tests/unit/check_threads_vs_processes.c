// Tests of lesson 02 (threads vs processes): its teaching claims.
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define PROG "bin/racelab-threads-vs-processes"

/* Isolation and sharing, on every run: the forked child's write stays in
 * its copy, at the same virtual address; the thread's write is seen. */
START_TEST(test_memory_isolation_and_sharing)
{
	const char *argv[] = { PROG, "--demo", "memory", "--runs", "3", "--json",
	                       NULL };
	char *out = NULL, line[8192], a[64], b[64], c[64];
	long long v, pid, ppid;
	bool same;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert(tu_json_line(out, i, line, sizeof line));
		ck_assert(tu_json_int(line, "global_start", &v));
		ck_assert_int_eq(v, 1);
		ck_assert(tu_json_int(line, "process_wrote", &v));
		ck_assert_int_eq(v, 100);
		ck_assert(tu_json_int(line, "parent_after_process", &v));
		ck_assert_int_eq(v, 1); /* isolation */
		ck_assert(tu_json_int(line, "thread_wrote", &v));
		ck_assert_int_eq(v, 200);
		ck_assert(tu_json_int(line, "parent_after_thread", &v));
		ck_assert_int_eq(v, 200); /* sharing */
		ck_assert(tu_json_str(line, "addr_parent", a, sizeof a));
		ck_assert(tu_json_str(line, "addr_process", b, sizeof b));
		ck_assert(tu_json_str(line, "addr_thread", c, sizeof c));
		ck_assert_str_eq(a, b); /* same address, different memory */
		ck_assert_str_eq(a, c);
		ck_assert(tu_json_bool(line, "same_address", &same) && same);
		ck_assert(tu_json_int(line, "parent_pid", &ppid));
		ck_assert(tu_json_int(line, "process_pid", &pid));
		ck_assert_int_ne(pid, ppid);
	}
	free(out);
}
END_TEST

/* Threads share the PID and have distinct TIDs; processes have distinct
 * PIDs and the lesson as parent. */
START_TEST(test_ids)
{
	const char *argv[] = { PROG, "--demo", "ids", "--workers", "3", "--hold",
	                       "0", "--json", NULL };
	char *out = NULL, line[8192];
	long long parent, tp[8], tt[8], pp[8], ppp[8];

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 1);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert(tu_json_int(line, "parent_pid", &parent));
	ck_assert_int_eq(tu_json_array(line, "thread_pids", tp, 8), 3);
	ck_assert_int_eq(tu_json_array(line, "thread_tids", tt, 8), 3);
	ck_assert_int_eq(tu_json_array(line, "process_pids", pp, 8), 3);
	ck_assert_int_eq(tu_json_array(line, "process_ppids", ppp, 8), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(tp[i], parent);
		ck_assert_int_ne(tt[i], parent); /* not the main thread */
		ck_assert_int_ne(pp[i], parent);
		ck_assert_int_eq(ppp[i], parent);
		for (int k = 0; k < i; k++) {
			ck_assert_int_ne(tt[i], tt[k]);
			ck_assert_int_ne(pp[i], pp[k]);
		}
	}
	free(out);
}
END_TEST

/* The cost table holds measured, positive figures (no timing verdicts:
 * the machine is shared). */
START_TEST(test_cost_measured)
{
	const char *argv[] = { PROG, "--demo", "cost", "--count", "20", "--json",
	                       NULL };
	const char *plain[] = { PROG, "--demo", "cost", "--count", "5", NULL };
	char *out = NULL, line[8192];
	double t, f, s, r;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 1);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert(tu_json_num(line, "thread_us", &t) && t > 0);
	ck_assert(tu_json_num(line, "fork_us", &f) && f > 0);
	ck_assert(tu_json_num(line, "spawn_us", &s) && s > 0);
	ck_assert(tu_json_num(line, "fork_vs_thread", &r));
	ck_assert(r > 0.99 * f / t && r < 1.01 * f / t);
	free(out);
	ck_assert_int_eq(tu_run(plain, &out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Comparing overheads"));
	ck_assert_ptr_nonnull(strstr(out, "fork+waitpid"));
	ck_assert_ptr_nonnull(strstr(out, "posix_spawn"));
	free(out);
}
END_TEST

START_TEST(test_bad_options)
{
	const char *bad[][6] = {
		{ PROG, "--demo", "nope", NULL },
		{ PROG, "--hold", "-1", NULL },
		{ PROG, "--count", "0", NULL },
		{ PROG, "--mode", "process", NULL }, /* both kinds always run */
		{ PROG, "--frobnicate", NULL },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tu_assert_usage_error(bad[i]);
}
END_TEST

START_TEST(test_json_per_run_and_nothing_left)
{
	const char *argv[] = { PROG, "--runs", "2", "--hold", "0", "--count",
	                       "10", "--json", NULL };

	tu_assert_json_runs(argv, 2);
}
END_TEST

Suite *
suite_threads_vs_processes(void)
{
	Suite *s = suite_create("threads_vs_processes");
	TCase *tc = tcase_create("claims");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_memory_isolation_and_sharing);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_cost_measured);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_json_per_run_and_nothing_left);
	suite_add_tcase(s, tc);
	return s;
}
