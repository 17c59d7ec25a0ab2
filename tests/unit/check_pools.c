// Tests of lesson 08 (racelab-pools): as_completed yields results in
// completion order (shortest first for sleeps 5,4,3,2,1 when every task has
// a worker), map in submission order; map(square) and the SHA-256 digests
// equal a serial computation and known vectors; the pool defaults to one
// worker per usable core; nothing is left behind.
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "board/board.h"
#include "testutil.h"

#define PROG "bin/racelab-pools"

static void
assert_array(const char *obj, const char *key, const long long *want, int n)
{
	long long v[16];

	ck_assert_int_eq(tu_json_array(obj, key, v, 16), n);
	for (int i = 0; i < n; i++)
		ck_assert_msg(v[i] == want[i], "%s[%d] = %lld, expected %lld", key, i,
		              v[i], want[i]);
}

/* Five workers for five sleeps: every task starts at once, so as_completed
 * yields 1,2,3,4,5 and map 5,4,3,2,1, and the whole takes about the longest
 * task (5 units = 0.5 s), far from the sum (1.5 s). */
static void
sleeps_with_five(const char *mode)
{
	const char *argv[] = { PROG, "--workers", "5", "--unit", "0.1", "--mode",
	                       mode, "--demo", "as_completed", "--json", NULL };
	const char *argv_map[] = { PROG, "--workers", "5", "--unit", "0.1",
	                           "--mode", mode, "--demo", "map", "--json", NULL };
	static const long long shortest_first[] = { 1, 2, 3, 4, 5 };
	static const long long submitted[] = { 5, 4, 3, 2, 1 };
	char obj[8192];
	double ms;

	tu_tmpdir_setup("pools");
	tu_run_json(argv, obj, sizeof obj);
	assert_array(obj, "as_completed_order", shortest_first, 5);
	ck_assert(tu_json_num(obj, "as_completed_ms", &ms));
	ck_assert_msg(ms >= 450 && ms < 1000, "as_completed took %.0f ms", ms);
	tu_run_json(argv_map, obj, sizeof obj);
	assert_array(obj, "map_order", submitted, 5);
	ck_assert(tu_json_num(obj, "map_ms", &ms));
	ck_assert_msg(ms >= 450 && ms < 1000, "map took %.0f ms", ms);
	/* map hands nothing back before the first task submitted, the
	 * longest, is done: the short ones' results wait behind it. */
	ck_assert(tu_json_num(obj, "map_first_seen_ms", &ms));
	ck_assert_msg(ms >= 500 * 0.95, "map's first result after %.0f ms", ms);
	tu_tmpdir_teardown(true);
}

START_TEST(orders_processes)
{
	sleeps_with_five("process");
}
END_TEST

START_TEST(orders_threads)
{
	sleeps_with_five("thread");
}
END_TEST

/* Two workers: the order is no longer shortest first, but as_completed
 * still yields in the order tasks finished (finish times never go back)
 * and map still in submission order. */
START_TEST(orders_pool_of_two)
{
	const char *argv[] = { PROG, "--workers", "2", "--unit", "0.05", "--demo",
	                       "all", "--nfiles", "2", "--file-mb", "1", "--json",
	                       NULL };
	static const long long submitted[] = { 5, 4, 3, 2, 1 };
	char obj[8192];
	long long got[5];
	double fin[5];

	tu_tmpdir_setup("pools");
	tu_run_json(argv, obj, sizeof obj);
	assert_array(obj, "map_order", submitted, 5);
	ck_assert_int_eq(tu_json_array(obj, "as_completed_order", got, 5), 5);
	/* as_completed_finish_ms is an array of numbers: read it by hand. */
	{
		const char *p = strstr(obj, "\"as_completed_finish_ms\":[");

		ck_assert_ptr_nonnull(p);
		p += strlen("\"as_completed_finish_ms\":[");
		for (int i = 0; i < 5; i++) {
			char *end;

			fin[i] = strtod(p, &end);
			ck_assert(end != p);
			p = end + 1;
		}
	}
	for (int i = 1; i < 5; i++)
		ck_assert_msg(fin[i] >= fin[i - 1], "finish %d at %.1f before %.1f",
		              i, fin[i], fin[i - 1]);
	tu_tmpdir_teardown(true);
}
END_TEST

/* imap and Pool.map both give results in submission order (1..5 units);
 * imap hands the first over when that task is done, Pool.map only with
 * the whole list, after the longest (5 units).  The timing claim is
 * coarse: 1 unit against 5, checked as a ratio with a wide margin. */
START_TEST(imap_early_map_at_end)
{
	const char *argv[] = { PROG, "--demo", "imap", "--workers", "5",
	                       "--unit", "0.1", "--json", NULL };
	static const long long want[] = { 1, 2, 3, 4, 5 };
	char obj[4096];
	double seen[5], map_first;

	tu_tmpdir_setup("pools");
	tu_run_json(argv, obj, sizeof obj);
	assert_array(obj, "imap_order", want, 5);
	assert_array(obj, "pool_map_order", want, 5);
	ck_assert_int_eq(tu_json_num_array(obj, "imap_seen_ms", seen, 5), 5);
	ck_assert_int_eq(tu_json_num_array(obj, "pool_map_seen_ms", &map_first, 1), 1);
	for (int i = 1; i < 5; i++)
		ck_assert(seen[i] >= seen[i - 1]);
	ck_assert_msg(seen[0] * 2 < map_first, "imap first %.0f ms, map first %.0f ms",
	              seen[0], map_first);
	ck_assert(map_first >= 500 * 0.95);
	tu_tmpdir_teardown(true);
}
END_TEST

/* Idle pool workers wait on an empty queue: shown BLOCKED, never as
 * waiting for a lock that does not exist. */
START_TEST(idle_workers_shown_blocked)
{
	const char *argv[] = { PROG, "--demo", "submit", "--workers", "4",
	                       "--unit", "0.2", NULL };
	int bare;

	tu_tmpdir_setup("pools");
	ck_assert(tu_states_seen(argv, &bare) & (1u << BOARD_ST_BLOCKED));
	ck_assert_int_eq(bare, 0);
	tu_tmpdir_teardown(true);
}
END_TEST

START_TEST(squares_equal_serial)
{
	static const char *const modes[] = { "process", "thread" };
	static const long long want[] = { 1, 4, 9, 16, 25, 36 };

	tu_tmpdir_setup("pools");
	for (int m = 0; m < 2; m++) {
		const char *argv[] = { PROG, "--demo", "squares", "--mode", modes[m],
		                       "--json", NULL };
		char obj[4096];
		bool ok = false;

		tu_run_json(argv, obj, sizeof obj);
		assert_array(obj, "squares", want, 6);
		ck_assert(tu_json_bool(obj, "squares_equal_serial", &ok));
		ck_assert(ok);
	}
	tu_tmpdir_teardown(true);
}
END_TEST

/* Known vectors: "abc" (FIPS 180-2) and the empty file. */
START_TEST(hash_known_vectors)
{
	char abc[128], empty[128], list[300], obj[8192], dig[300];
	bool ok = false;
	int fd;

	tu_tmpdir_setup("pools");
	snprintf(abc, sizeof abc, "%s/abc", tu_tmpdir());
	snprintf(empty, sizeof empty, "%s/empty", tu_tmpdir());
	fd = open(abc, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	close(fd);
	close(open(empty, O_WRONLY | O_CREAT | O_TRUNC, 0600));
	snprintf(list, sizeof list, "%s,%s", abc, empty);
	{
		const char *argv[] = { PROG, "--demo", "hash", "--files", list,
		                       "--json", NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	ck_assert(tu_json_str(obj, "digests", dig, sizeof dig));
	ck_assert_str_eq(dig,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad,"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert(tu_json_bool(obj, "sha256_abc_ok", &ok));
	ck_assert(ok);
	/* The lesson must not remove files it was given. */
	ck_assert_int_eq(access(abc, R_OK), 0);
	unlink(abc);
	unlink(empty);
	tu_tmpdir_teardown(true);
}
END_TEST

/* Generated files: the pool's digests equal a serial run's; the files and
 * their directory are gone afterwards (checked in teardown). */
START_TEST(hash_equal_serial)
{
	const char *argv[] = { PROG, "--demo", "hash", "--nfiles", "6",
	                       "--file-mb", "2", "--json", NULL };
	char obj[8192];
	long long n, bytes;
	bool ok = false;

	tu_tmpdir_setup("pools");
	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_int(obj, "hash_files", &n));
	ck_assert_int_eq(n, 6);
	ck_assert(tu_json_int(obj, "hash_bytes", &bytes));
	ck_assert_int_eq(bytes, 6LL << 21);
	ck_assert(tu_json_bool(obj, "hash_equal_serial", &ok));
	ck_assert(ok);
	tu_tmpdir_teardown(true);
}
END_TEST

/* Like ProcessPoolExecutor(): one worker per usable core by default. */
START_TEST(default_pool_is_core_count)
{
	const char *argv[] = { PROG, "--demo", "squares", "--json", NULL };
	char obj[4096];
	long long pool;
	cpu_set_t set;

	tu_tmpdir_setup("pools");
	ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_int(obj, "pool", &pool));
	ck_assert_int_eq(pool, CPU_COUNT(&set));
	tu_tmpdir_teardown(true);
}
END_TEST

/* The pool's point: its workers are started once and reused.  However
 * many tasks (here 1 + 5 + 5 + 6 + 2 x 4 = 25), at most `pool` different
 * kernel tasks ran them; a process (or thread) per task would show 25. */
START_TEST(tasks_run_on_pool_workers)
{
	static const char *const modes[] = { "process", "thread" };

	tu_tmpdir_setup("pools");
	for (int m = 0; m < 2; m++) {
		const char *argv[] = { PROG, "--workers", "3", "--unit", "0.01",
		                       "--nfiles", "4", "--file-mb", "1", "--mode",
		                       modes[m], "--json", NULL };
		char obj[16384];
		long long tasks, distinct, tids[200], pids[200];
		int n, np, d = 0;

		tu_run_json(argv, obj, sizeof obj);
		ck_assert(tu_json_int(obj, "tasks", &tasks));
		n = tu_json_array(obj, "task_tids", tids, 200);
		np = tu_json_array(obj, "task_pids", pids, 200);
		ck_assert_int_eq(n, tasks);
		ck_assert_int_eq(np, tasks);
		ck_assert_int_ge(tasks, 20);
		for (int i = 0; i < n; i++) {
			bool seen = false;

			ck_assert_int_gt(tids[i], 0);
			for (int k = 0; k < i; k++)
				seen = seen || tids[k] == tids[i];
			d += !seen;
		}
		ck_assert(tu_json_int(obj, "distinct_workers", &distinct));
		ck_assert_int_eq(distinct, d);
		ck_assert_msg(d <= 3, "%s: %lld tasks ran on %d workers, pool of 3",
		              modes[m], tasks, d);
	}
	tu_tmpdir_teardown(true);
}
END_TEST

START_TEST(one_object_per_run_nothing_left)
{
	const char *argv[] = { PROG, "--unit", "0.01", "--nfiles", "2",
	                       "--file-mb", "1", "--runs", "2", "--json", NULL };
	char *out;

	tu_tmpdir_setup("pools");
	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 2);
	ck_assert_int_eq(tu_count_procs("racelab-pools"), 0);
	free(out);
	tu_tmpdir_teardown(true);
}
END_TEST

/* Output cut short (`racelab-pools | head -1`): the lesson dies of
 * SIGPIPE, as any writer does, after removing its generated files; no
 * worker is left. */
START_TEST(closed_pipe_removes_files)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	const char *modes[] = { "process", "thread" };

	for (int m = 0; m < 2; m++) {
		const char *argv[] = { PROG, "--demo", "hash", "--nfiles", "4",
		                       "--mode", modes[m], NULL };

		tu_tmpdir_setup("pools");
		ck_assert_int_eq(tu_run_head(argv), -SIGPIPE);
		tu_tmpdir_teardown(true);
	}
	for (int tries = 0; tries < 200 && tu_count_procs("racelab-pools"); tries++)
		nanosleep(&nap, NULL);
	ck_assert_int_eq(tu_count_procs("racelab-pools"), 0);
}
END_TEST

/* Stopped while hashing, as the shell stops a demo: the generated files and
 * their directory are removed (checked in teardown), no worker is left. */
START_TEST(sigterm_removes_files)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int st, tries;
	pid_t pid;

	tu_tmpdir_setup("pools");
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(PROG, PROG, "--demo", "hash", "--nfiles", "32", "--file-mb",
		      "64", NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	for (tries = 0; tries < 500 && tu_count_entries(tu_tmpdir()) < 1; tries++)
		nanosleep(&nap, NULL);
	ck_assert_int_ge(tu_count_entries(tu_tmpdir()), 1);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	for (tries = 0; tries < 200 && tu_count_procs("racelab-pools"); tries++)
		nanosleep(&nap, NULL);
	ck_assert_int_eq(tu_count_procs("racelab-pools"), 0);
	tu_tmpdir_teardown(true);
}
END_TEST

/* starmap: four (start, end) tasks; each partial sum is the closed form's
 * difference, in the order of the chunks, and they add up exactly. */
static long long
sumsq_below(long long n)
{
	return (long long)((__int128)(n - 1) * n * (2 * n - 1) / 6);
}

START_TEST(starmap_partial_sums)
{
	const char *argv[] = { PROG, "--demo", "starmap", "--json", NULL };
	char obj[8192];
	long long r[8];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert_int_eq(tu_json_array(obj, "starmap_results", r, 8), 4);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(r[i] == sumsq_below(250000LL * (i + 1)) -
		              sumsq_below(250000LL * i), "chunk %d: %lld", i, r[i]);
	ck_assert_int_eq(tu_jint(obj, "starmap_total"), sumsq_below(1000000));
	ck_assert_int_eq(tu_jint(obj, "starmap_expected"), sumsq_below(1000000));
}
END_TEST

/* chunksize: one hand-off per task, exactly; Python's default for 2
 * workers is 4000 / 8 = 500 items, 8 hand-offs.  4000 tasks of one
 * square cost more than the loop (measured: ms against us, a margin of
 * 1000x) and more than 40 tasks of 100. */
START_TEST(chunksize_handoffs)
{
	static const char *const modes[] = { "process", "thread" };

	for (int m = 0; m < 2; m++) {
		const char *argv[] = { PROG, "--demo", "chunksize", "--workers", "2",
		                       "--mode", modes[m], "--json", NULL };
		char obj[8192];

		tu_run_json(argv, obj, sizeof obj);
		ck_assert(tu_jbool(obj, "chunk_results_ok"));
		ck_assert_int_eq(tu_jint(obj, "chunk_items"), 4000);
		ck_assert_int_eq(tu_jint(obj, "chunksize_1_handoffs"), 4000);
		ck_assert_int_eq(tu_jint(obj, "chunksize_10_handoffs"), 400);
		ck_assert_int_eq(tu_jint(obj, "chunksize_100_handoffs"), 40);
		ck_assert_int_eq(tu_jint(obj, "chunksize_default"), 500);
		ck_assert_int_eq(tu_jint(obj, "chunksize_default_handoffs"), 8);
		ck_assert_msg(tu_jnum(obj, "tiny_pool_ms") > tu_jnum(obj, "tiny_loop_ms"),
		              "%s", obj);
		ck_assert_msg(tu_jnum(obj, "chunksize_1_ms") >
		              tu_jnum(obj, "chunksize_100_ms"), "%s", obj);
	}
}
END_TEST

/* Big tasks: the pool's sums equal the loop's and both workers take
 * some; faster than the loop when there are two cores to spare (the
 * expect: line's condition, read from the same record). */
START_TEST(bigtasks_equal_and_spread)
{
	const char *argv[] = { PROG, "--demo", "bigtasks", "--workers", "2",
	                       "--json", NULL };
	char obj[8192];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_jbool(obj, "big_results_equal"));
	ck_assert_int_eq(tu_jint(obj, "distinct_workers"), 2);
	if (tu_jint(obj, "ncpu") >= 2 && tu_jnum(obj, "cpu_wait") < 0.2 &&
	    tu_jnum(obj, "steal") < 0.1)
		ck_assert_msg(tu_jnum(obj, "big_pool_ms") < tu_jnum(obj, "big_loop_ms"),
		              "%s", obj);
}
END_TEST

/* On one CPU the pool has one worker and runs the same code as the loop:
 * it does not win, and loses at most about a third (the expect: lines'
 * 0.55..1.3 when ncpu < 2 and the run had its CPU: cpu_wait < 0.1,
 * steal < 0.03, from the same record; measured 0.9-1.08 mostly, 0.61
 * and 0.70 in two clean-clone runs, the second at cpu_wait 0.015).  A loop timed
 * once, cold, or compiled apart from
 * the workers' copy (inlined), came out 2x slower or 1.5x faster than a
 * pool of one here: that is what this catches. */
START_TEST(bigtasks_one_cpu_no_gain)
{
	const char *argv[] = { "/usr/bin/taskset", "-c", "0", PROG, "--demo",
	                       "bigtasks", "--json", NULL };
	char obj[8192];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert_int_eq(tu_jint(obj, "pool"), 1);
	ck_assert(tu_jbool(obj, "big_results_equal"));
	if (tu_jnum(obj, "cpu_wait") < 0.1 && tu_jnum(obj, "steal") < 0.03)
		ck_assert_msg(tu_jnum(obj, "big_speedup") < 1.3 &&
		              tu_jnum(obj, "big_speedup") > 0.55, "%s", obj);
}
END_TEST

/* apply_async: the callback runs in the lesson's process, in a thread
 * that is not the main one; the tasks ran in a worker process. */
START_TEST(apply_async_callback_thread)
{
	static const char *const modes[] = { "process", "thread" };

	for (int m = 0; m < 2; m++) {
		const char *argv[] = { PROG, "--demo", "apply_async", "--mode",
		                       modes[m], "--json", NULL };
		char obj[8192];
		long long r[8], sum = 0, lesson;
		int n;

		tu_run_json(argv, obj, sizeof obj);
		n = tu_json_array(obj, "apply_async_results", r, 8);
		ck_assert_int_eq(n, 4);
		for (int i = 0; i < n; i++)
			sum += r[i];
		ck_assert_int_eq(sum, 1 + 4 + 9 + 16);
		ck_assert_int_eq(tu_jint(obj, "apply_async_callbacks"), 4);
		lesson = tu_jint(obj, "lesson_pid");
		ck_assert_int_eq(tu_jint(obj, "apply_async_callback_pid"), lesson);
		ck_assert_int_eq(tu_jint(obj, "apply_async_main_tid"), lesson);
		ck_assert_int_gt(tu_jint(obj, "apply_async_callback_tid"), 0);
		ck_assert_int_ne(tu_jint(obj, "apply_async_callback_tid"),
		                 tu_jint(obj, "apply_async_main_tid"));
		if (m == 0)
			ck_assert_int_ne(tu_jint(obj, "apply_async_worker_pid"), lesson);
		else
			ck_assert_int_eq(tu_jint(obj, "apply_async_worker_pid"), lesson);
	}
}
END_TEST

/* result(timeout=1 unit) on a 2-unit task: a timeout after 1 unit, the
 * task still running then, and done at 2 units all the same. */
START_TEST(timeout_task_runs_on)
{
	const char *argv[] = { PROG, "--demo", "timeout", "--unit", "0.1",
	                       "--json", NULL };
	char obj[8192];
	double waited, done;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_jbool(obj, "timeout_raised"));
	ck_assert(tu_jbool(obj, "timeout_task_running"));
	waited = tu_jnum(obj, "timeout_waited_ms");
	done = tu_jnum(obj, "timeout_task_done_ms");
	ck_assert_msg(waited >= 100 && waited < 200, "waited %.0f ms", waited);
	ck_assert_msg(done >= 200, "the task ended at %.0f ms", done);
	ck_assert_int_eq(tu_jint(obj, "timeout_result"), 2);
}
END_TEST

/* A failing task: its error and message come back from result(), with
 * the worker's PID, and the pool runs the next task. */
START_TEST(exception_comes_back)
{
	const char *argv[] = { PROG, "--demo", "exception", "--json", NULL };
	char obj[8192], msg[256];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_jbool(obj, "exception_raised"));
	ck_assert_int_eq(tu_jint(obj, "exception_errno"), 2);
	tu_jstr(obj, "exception_message", msg, sizeof msg);
	ck_assert_msg(strstr(msg, "No such file or directory"), "%s", msg);
	ck_assert_int_gt(tu_jint(obj, "exception_worker_pid"), 0);
	ck_assert(tu_jbool(obj, "exception_pool_goes_on"));
}
END_TEST

/* with Pool(): terminate() kills the workers and the running task never
 * finishes, after 1 unit; close() and join() wait the task's 3 units.
 * Nothing is left running; threads cannot be terminated: refused. */
START_TEST(terminate_kills_running_task)
{
	const char *argv[] = { PROG, "--demo", "terminate", "--unit", "0.1",
	                       "--workers", "2", "--json", NULL };
	char obj[8192], st[64];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(!tu_jbool(obj, "terminate_task_done"));
	ck_assert_int_eq(tu_jint(obj, "terminate_killed"), 2);
	tu_jstr(obj, "terminate_status", st, sizeof st);
	ck_assert_str_eq(st, "killed by SIGTERM");
	ck_assert_msg(tu_jnum(obj, "terminate_ms") >= 100 &&
	              tu_jnum(obj, "terminate_ms") < 200, "%s", obj);
	ck_assert(tu_jbool(obj, "close_task_done"));
	ck_assert_msg(tu_jnum(obj, "close_ms") >= 300, "%s", obj);
	ck_assert_int_eq(tu_count_procs(PROG), 0);
	tu_assert_usage_errorv(PROG, "--demo", "terminate", "--mode", "thread", NULL);
}
END_TEST

START_TEST(bad_options)
{
	static const char *const bad[][2] = {
		{ "--demo", "nosuch" },
		{ "--unit", "-1" },
		{ "--nfiles", "0" },
		{ "--files", "/no/such/file" },
		{ "--workers", "zero" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = { PROG, bad[i][0], bad[i][1], NULL };

		tu_assert_usage_error(argv);
	}
}
END_TEST

Suite *
suite_pools(void)
{
	Suite *s = suite_create("pools");
	TCase *tc = tcase_create("pools");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, orders_processes);
	tcase_add_test(tc, orders_threads);
	tcase_add_test(tc, orders_pool_of_two);
	tcase_add_test(tc, imap_early_map_at_end);
	tcase_add_test(tc, idle_workers_shown_blocked);
	tcase_add_test(tc, squares_equal_serial);
	tcase_add_test(tc, hash_known_vectors);
	tcase_add_test(tc, hash_equal_serial);
	tcase_add_test(tc, default_pool_is_core_count);
	tcase_add_test(tc, tasks_run_on_pool_workers);
	tcase_add_test(tc, one_object_per_run_nothing_left);
	tcase_add_test(tc, sigterm_removes_files);
	tcase_add_test(tc, closed_pipe_removes_files);
	tcase_add_test(tc, starmap_partial_sums);
	tcase_add_test(tc, chunksize_handoffs);
	tcase_add_test(tc, bigtasks_equal_and_spread);
	tcase_add_test(tc, bigtasks_one_cpu_no_gain);
	tcase_add_test(tc, apply_async_callback_thread);
	tcase_add_test(tc, timeout_task_runs_on);
	tcase_add_test(tc, exception_comes_back);
	tcase_add_test(tc, terminate_kills_running_task);
	tcase_add_test(tc, bad_options);
	suite_add_tcase(s, tc);
	return s;
}
