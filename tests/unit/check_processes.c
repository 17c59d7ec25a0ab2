// The processes lesson's claims: parallel sleepers overlap, sequential ones
// add up, and the PIDs are real, distinct children of the parent.
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Two 1-second sleepers: about 1 s together, about 2 s one after the
 * other.  Sleeping costs no CPU, so the bounds can be wide and still
 * tell 1 from 2 on a loaded machine. */
START_TEST(test_parallel_vs_sequential)
{
	const char *par[] = { "bin/racelab-processes", "--json", NULL };
	const char *seq[] = { "bin/racelab-processes", "--json", "--sequential", NULL };
	char obj[4096];
	double p, s;

	tu_run_json(par, obj, sizeof obj);
	ck_assert(tu_json_num(obj, "elapsed_ms", &p));
	tu_run_json(seq, obj, sizeof obj);
	ck_assert(tu_json_num(obj, "elapsed_ms", &s));
	ck_assert_msg(p >= 1000 && p < 1600, "parallel took %.0f ms", p);
	ck_assert_msg(s >= 2000 && s < 2800, "sequential took %.0f ms", s);
}
END_TEST

START_TEST(test_pids_real_children)
{
	const char *argv[] = { "bin/racelab-processes", "--json", "--workers",
	                       "4", "--sleep", "0.05", NULL };
	char obj[4096], mode[32];
	long long pids[8], ppids[8], parent;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_int(obj, "parent_pid", &parent));
	ck_assert_int_eq(tu_json_array(obj, "pids", pids, 8), 4);
	ck_assert_int_eq(tu_json_array(obj, "ppids", ppids, 8), 4);
	ck_assert(tu_json_str(obj, "kind", mode, sizeof mode));
	ck_assert_str_eq(mode, "process");
	for (int i = 0; i < 4; i++) {
		ck_assert_int_gt(pids[i], 1);
		ck_assert_int_ne(pids[i], parent);
		ck_assert_int_eq(ppids[i], parent); /* children of the parent */
		for (int k = 0; k < i; k++)
			ck_assert_int_ne(pids[i], pids[k]); /* distinct */
	}
	ck_assert_ptr_nonnull(strstr(obj, "\"alive_before_join\":[true,true,true,true]"));
	ck_assert_ptr_nonnull(strstr(obj, "\"alive_after_join\":[false,false,false,false]"));
}
END_TEST

/* Threads share the parent's PID and have TIDs of their own. */
START_TEST(test_threads_share_pid)
{
	const char *argv[] = { "bin/racelab-processes", "--json", "--workers",
	                       "3", "--sleep", "0.01", "--mode", "thread", NULL };
	char obj[4096];
	long long pids[4], tids[4], parent;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_int(obj, "parent_pid", &parent));
	ck_assert_int_eq(tu_json_array(obj, "pids", pids, 4), 3);
	ck_assert_int_eq(tu_json_array(obj, "tids", tids, 4), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(pids[i], parent);
		ck_assert_int_ne(tids[i], parent);
		for (int k = 0; k < i; k++)
			ck_assert_int_ne(tids[i], tids[k]);
	}
}
END_TEST

/* Sleepers need no CPU: ten of them pinned to one CPU still sleep at the
 * same time, and the whole takes one sleep, not ten (a lower bound that
 * holds anywhere, and an upper one far below the 5 s of taking turns). */
START_TEST(test_ten_sleepers_one_cpu)
{
	const char *argv[] = { "/usr/bin/taskset", "-c", "0",
	                       "bin/racelab-processes", "--workers", "10",
	                       "--sleep", "0.5", "--json", NULL };
	char obj[4096];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert_msg(tu_jnum(obj, "elapsed_ms") >= 500 &&
	              tu_jnum(obj, "elapsed_ms") < 1500, "%s", obj);
}
END_TEST

/* The start methods: only a forked child sees the global main set before
 * the start; the exec'd program starts from main's initial state, and the
 * fork server was forked before main set it.  Every worker computed its
 * square, the fork server's workers are the server's children, and an
 * exec costs several times a fork (best of 5 rounds of 8 starts, each:
 * the exec loads the program and its libraries again). */
START_TEST(test_start_methods)
{
	const char *argv[] = { "bin/racelab-processes", "--start", "all",
	                       "--workers", "8", "--json", NULL };
	char obj[4096];
	long long parent, server;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert_msg(tu_jnum(obj, "fork_child_saw_global") == 1, "%s", obj);
	ck_assert_msg(tu_jnum(obj, "exec_child_saw_global") == 0, "%s", obj);
	ck_assert_msg(tu_jnum(obj, "forkserver_child_saw_global") == 0, "%s", obj);
	ck_assert_int_eq(tu_jint(obj, "fork_results_ok"), 1);
	ck_assert_int_eq(tu_jint(obj, "exec_results_ok"), 1);
	ck_assert_int_eq(tu_jint(obj, "forkserver_results_ok"), 1);
	parent = tu_jint(obj, "parent_pid");
	server = tu_jint(obj, "forkserver_pid");
	ck_assert_int_gt(server, 1);
	ck_assert_int_ne(server, parent);
	ck_assert_int_eq(tu_jint(obj, "fork_parent_is_lesson"), 1);
	ck_assert_int_eq(tu_jint(obj, "exec_parent_is_lesson"), 1);
	ck_assert_int_eq(tu_jint(obj, "forkserver_parent_is_server"), 1);
	/* "several times more" (4-7x here, best of 5 rounds, at loads up to
	 * 4 and on one CPU); the fork server "close" to fork (0.9-1.4x) */
	ck_assert_msg(tu_jnum(obj, "exec_ms") > 2 * tu_jnum(obj, "fork_ms"), "%s", obj);
	ck_assert_msg(tu_jnum(obj, "exec_ms") > 2 * tu_jnum(obj, "forkserver_ms"),
	              "%s", obj);
	ck_assert_msg(tu_jnum(obj, "forkserver_ms") < 2 * tu_jnum(obj, "fork_ms"),
	              "%s", obj);
	ck_assert_int_eq(tu_count_procs("bin/racelab-processes"), 0);
}
END_TEST

/* One method alone makes no fork server; bad combinations are refused. */
START_TEST(test_start_one_and_bad)
{
	const char *argv[] = { "bin/racelab-processes", "--start", "exec",
	                       "--workers", "2", "--json", NULL };
	char obj[4096];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert_int_eq(tu_jint(obj, "forkserver_pid"), 0);
	ck_assert_msg(tu_jnum(obj, "exec_child_saw_global") == 0, "%s", obj);
	ck_assert_ptr_null(strstr(obj, "\"fork_ms\""));
	{
		const char *runs[] = { "bin/racelab-processes", "--start", "fork",
		                       "--runs", "2", "--json", NULL };

		tu_assert_json_runs(runs, 2);
	}
	tu_assert_usage_errorv("bin/racelab-processes", "--start", "spawn", NULL);
	tu_assert_usage_errorv("bin/racelab-processes", "--start", "fork",
	                       "--mode", "thread", NULL);
	tu_assert_usage_errorv("bin/racelab-processes", "--start", "fork",
	                       "--sequential", NULL);
	tu_assert_usage_errorv("bin/racelab-processes", "--exec-child", "x", "1",
	                       NULL);
}
END_TEST

START_TEST(test_nothing_left)
{
	const char *argv[] = { "bin/racelab-processes", "--workers", "8",
	                       "--sleep", "0.01", "--quiet", NULL };
	char *out;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Finished in"));
	ck_assert_int_eq(tu_count_procs("bin/racelab-processes"), 0);
	free(out);
}
END_TEST

Suite *
suite_processes(void)
{
	Suite *s = suite_create("processes");
	TCase *tc = tcase_create("claims");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_parallel_vs_sequential);
	tcase_add_test(tc, test_pids_real_children);
	tcase_add_test(tc, test_threads_share_pid);
	tcase_add_test(tc, test_ten_sleepers_one_cpu);
	tcase_add_test(tc, test_start_methods);
	tcase_add_test(tc, test_start_one_and_bad);
	tcase_add_test(tc, test_nothing_left);
	suite_add_tcase(s, tc);
	return s;
}
