// Tests of lesson 02 (threads vs processes): its teaching claims.
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/resource.h>
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

/* The cost table holds measured, positive figures, and the plain form
 * prints its rows. */
START_TEST(test_cost_measured)
{
	const char *argv[] = { PROG, "--demo", "cost", "--count", "20", "--json",
	                       NULL };
	const char *plain[] = { PROG, "--demo", "cost", "--count", "5", NULL };
	char *out = NULL, line[8192];

	tu_run_json(argv, line, sizeof line);
	ck_assert(tu_jnum(line, "thread_us") > 0);
	ck_assert(tu_jnum(line, "fork_us") > 0);
	ck_assert(tu_jnum(line, "spawn_us") > 0);
	ck_assert_int_eq(tu_run(plain, &out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Comparing overheads"));
	ck_assert_ptr_nonnull(strstr(out, "fork+waitpid"));
	ck_assert_ptr_nonnull(strstr(out, "posix_spawn"));
	free(out);
}
END_TEST

/* fork() copies the parent's page tables, posix_spawn (vfork semantics)
 * shares the parent's memory until the exec: with a 256 MB parent a fork
 * takes many times longer and a spawn does not.  Judged on the fastest
 * creation of each kind, which a busy machine does not inflate (the mean
 * of ten spawns once read 2,586 us at load 40, against 560).  Measured
 * fastest fork 140-200 us at 0 MB and 7,900-12,200 us at 256 MB (40-60x);
 * fastest spawn 510-660 us at both. */
START_TEST(test_fork_grows_with_heap)
{
	const char *small[] = { PROG, "--demo", "cost", "--count", "10",
	                        "--heap", "0", "--json", NULL };
	const char *big[] = { PROG, "--demo", "cost", "--count", "10",
	                      "--heap", "256", "--json", NULL };
	char s[4096], b[4096];
	double fork0, fork256, spawn0, spawn256;

	tu_run_json(small, s, sizeof s);
	tu_run_json(big, b, sizeof b);
	ck_assert_int_eq(tu_jint(b, "heap_mb"), 256);
	fork0 = tu_jnum(s, "fork_min_us");
	fork256 = tu_jnum(b, "fork_min_us");
	spawn0 = tu_jnum(s, "spawn_min_us");
	spawn256 = tu_jnum(b, "spawn_min_us");
	ck_assert_msg(fork256 > 10 * fork0, "fork %.0f us at 0 MB, %.0f at 256 MB",
	              fork0, fork256);
	ck_assert_msg(spawn256 < 2 * spawn0, "posix_spawn %.0f us at 0 MB, %.0f "
	              "at 256 MB", spawn0, spawn256);
	ck_assert_msg(fork256 > 5 * spawn256, "at 256 MB fork %.0f us, spawn %.0f",
	              fork256, spawn256);
}
END_TEST

/* Files named core or core.* in the current directory (where the kernel
 * writes them with the core_pattern "core", and where the lesson runs). */
static int
core_files(void)
{
	DIR *d = opendir(".");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, "core") == 0 ||
		     strncmp(e->d_name, "core.", 5) == 0;
	closedir(d);
	return n;
}

/* Fault isolation, every run: a NULL dereference in a thread kills its
 * whole process (all threads, no result delivered); in a process it kills
 * that process alone, and its siblings finish and deliver.  With a core
 * size limit raised as far as it goes, still no core file is written. */
START_TEST(test_crash_isolation)
{
	const char *argv[] = { PROG, "--demo", "crash", "--workers", "3", "--crash",
	                       "2", "--unit-ms", "5", "--runs", "3", "--json", NULL };
	struct rlimit rl;
	char *out = NULL, line[8192];
	int cores = core_files();

	ck_assert_int_eq(getrlimit(RLIMIT_CORE, &rl), 0);
	rl.rlim_cur = rl.rlim_max; /* a core would be written, but for the lesson */
	ck_assert_int_eq(setrlimit(RLIMIT_CORE, &rl), 0);
	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 3);
	for (int r = 0; r < 3; r++) {
		long long st[8], units[8];

		ck_assert(tu_json_line(out, r, line, sizeof line));
		ck_assert_int_eq(tu_jint(line, "thread_team_status"), -11);
		ck_assert_int_eq(tu_jint(line, "thread_delivered"), 0);
		ck_assert_int_ge(tu_jint(line, "thread_killed"), 1);
		ck_assert_int_eq(tu_json_array(line, "thread_units_done", units, 8), 3);
		ck_assert_int_eq(units[1], 5); /* the crasher, halfway */
		ck_assert_int_eq(tu_json_array(line, "process_status", st, 8), 3);
		ck_assert_int_eq(st[0], 0);
		ck_assert_int_eq(st[1], -11);
		ck_assert_int_eq(st[2], 0);
		ck_assert_int_eq(tu_jint(line, "process_killed"), 1);
		ck_assert_int_eq(tu_jint(line, "process_delivered"), 2);
		ck_assert_int_eq(tu_json_array(line, "process_units_done", units, 8), 3);
		ck_assert_int_eq(units[0], 10);
		ck_assert_int_eq(units[1], 5);
		ck_assert_int_eq(units[2], 10);
	}
	free(out);
	ck_assert_int_eq(core_files(), cores);
	ck_assert_int_eq(tu_count_procs(PROG), 0);
}
END_TEST

/* The control: with no crash both teams deliver everything. */
START_TEST(test_crash_none_delivers_all)
{
	const char *argv[] = { PROG, "--demo", "crash", "--workers", "2", "--crash",
	                       "0", "--unit-ms", "1", "--json", NULL };
	char obj[8192];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert_int_eq(tu_jint(obj, "thread_team_status"), 0);
	ck_assert_int_eq(tu_jint(obj, "thread_delivered"), 2);
	ck_assert_int_eq(tu_jint(obj, "process_delivered"), 2);
	ck_assert_int_eq(tu_jint(obj, "process_killed"), 0);
}
END_TEST

START_TEST(test_bad_options)
{
	const char *bad[][8] = {
		{ PROG, "--demo", "nope", NULL },
		{ PROG, "--hold", "-1", NULL },
		{ PROG, "--count", "0", NULL },
		{ PROG, "--mode", "process", NULL }, /* both kinds always run */
		{ PROG, "--frobnicate", NULL },
		{ PROG, "--demo", "crash", "--workers", "2", "--crash", "3", NULL },
		{ PROG, "--demo", "crash", "--units", "1", NULL },
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
	tcase_add_test(tc, test_fork_grows_with_heap);
	tcase_add_test(tc, test_crash_isolation);
	tcase_add_test(tc, test_crash_none_delivers_all);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_json_per_run_and_nothing_left);
	suite_add_tcase(s, tc);
	return s;
}
