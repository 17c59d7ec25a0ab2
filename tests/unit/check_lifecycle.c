// Tests for lesson 14 (lifecycle): zombies seen in /proc, orphans
// re-parented, SIGTERM vs SIGKILL statuses, join timeouts, live children,
// and nothing left running.
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "board/board.h"
#include "testutil.h"

#define PROG "bin/racelab-lifecycle"
#define run(out, err, ...) tu_runv(PROG, out, err, __VA_ARGS__)

/* Run one demo with --json; the object is copied into line. */
static void
run_json(char *line, size_t len, const char *a0, ...)
{
	const char *argv[24];
	int rc;
	char *out = NULL;
	va_list ap;

	va_start(ap, a0);
	tu_argv_va(argv, 24, PROG, "--json", a0, ap);
	va_end(ap);
	rc = tu_run(argv, &out, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(tu_json_count(out), 1);
	ck_assert(tu_json_line(out, 0, line, len));
	free(out);
}

/* Every zombie is Z in /proc before it is reaped, still Z while held,
 * and gone after. */
START_TEST(test_zombie)
{
	char line[4096], s[64];

	run_json(line, sizeof line, "--demo", "zombie", "--workers", "4",
	         "--hold", "0.2", NULL);
	ck_assert_int_eq(tu_jint(line, "zombies"), 4);
	tu_jstr(line, "zombie_state", s, sizeof s);
	ck_assert_str_eq(s, "ZZZZ");
	tu_jstr(line, "zombie_state_held", s, sizeof s);
	ck_assert_str_eq(s, "ZZZZ");
	tu_jstr(line, "zombie_state_after", s, sizeof s);
	ck_assert_str_eq(s, "----");
}
END_TEST

/* The orphan's parent changes, and not to the dead parent. */
START_TEST(test_orphan)
{
	for (int i = 0; i < 3; i++) {
		char line[4096];
		long long parent, before, after;

		run_json(line, sizeof line, "--demo", "orphan", "--hold", "0.05",
		         NULL);
		parent = tu_jint(line, "orphan_parent_pid");
		before = tu_jint(line, "orphan_ppid_before");
		after = tu_jint(line, "orphan_ppid_after");
		ck_assert_int_gt(tu_jint(line, "orphan_pid"), 0);
		ck_assert_int_eq(before, parent);
		ck_assert_int_ne(after, before);
		ck_assert_int_ne(after, parent);
		ck_assert_int_gt(after, 0);
		ck_assert_int_eq(tu_jint(line, "orphan_ppid_seen_by_child"), after);
		ck_assert(tu_jbool(line, "orphan_exited"));
	}
}
END_TEST

/* With --subreaper the orphan comes to the lesson itself. */
START_TEST(test_orphan_subreaper)
{
	char line[4096];

	run_json(line, sizeof line, "--demo", "orphan", "--subreaper", "--hold",
	         "0.05", NULL);
	ck_assert(tu_jbool(line, "subreaper"));
	ck_assert_int_eq(tu_jint(line, "orphan_ppid_after"), tu_jint(line, "pid"));
	ck_assert_int_ne(tu_jint(line, "orphan_ppid_after"),
	                 tu_jint(line, "orphan_parent_pid"));
	ck_assert(tu_jbool(line, "orphan_exited"));
}
END_TEST

/* Default action: killed by SIGTERM; caught: its own exit 0; ignored:
 * only SIGKILL ends it; by itself: exit 42. */
START_TEST(test_terminate)
{
	for (int i = 0; i < 3; i++) {
		char line[4096];
		long long st[4], k[4];

		run_json(line, sizeof line, "--demo", "terminate", "--grace",
		         "0.2", NULL);
		ck_assert_int_eq(tu_json_array(line, "term_status", st, 4), 4);
		ck_assert_int_eq(st[0], -SIGTERM);
		ck_assert_int_eq(st[1], 0);
		ck_assert_int_eq(st[2], -SIGKILL);
		ck_assert_int_eq(st[3], 42);
		ck_assert_int_eq(tu_json_array(line, "term_needed_sigkill", k, 4), 4);
		ck_assert_int_eq(k[0], 0);
		ck_assert_int_eq(k[1], 0);
		ck_assert_int_eq(k[2], 1);
		ck_assert_int_eq(k[3], 0);
	}
}
END_TEST

START_TEST(test_terminate_text)
{
	char *out = NULL;

	ck_assert_int_eq(run(&out, NULL, "--demo", "terminate", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "killed by SIGTERM"));
	ck_assert_ptr_nonnull(strstr(out, "killed by SIGKILL"));
	ck_assert_ptr_nonnull(strstr(out, "exit 42"));
	ck_assert_ptr_nonnull(strstr(out, "caught SIGTERM"));
	free(out);
}
END_TEST

/* join(timeout) returns while the worker lives; it is then terminated.
 * Coarse timing only: 0.3 s of waiting against a 3 s sleep. */
START_TEST(test_join_timeout)
{
	char line[4096], s[8];
	double waited = -1;

	run_json(line, sizeof line, "--demo", "join", "--sleep", "3",
	         "--timeout", "0.3", NULL);
	ck_assert(tu_jbool(line, "join_alive_after_timeout"));
	tu_jstr(line, "join_state", s, sizeof s);
	ck_assert(strchr("RSD", s[0]) != NULL);
	ck_assert(tu_json_num(line, "join_waited_s", &waited));
	ck_assert(waited >= 0.25 && waited < 2.0);
	ck_assert_int_eq(tu_jint(line, "join_status"), -SIGTERM);
}
END_TEST

/* A worker that ends before the timeout is joined at once. */
START_TEST(test_join_in_time)
{
	char line[4096];
	double waited = -1;

	run_json(line, sizeof line, "--demo", "join", "--sleep", "0.05",
	         "--timeout", "5", NULL);
	ck_assert(!tu_jbool(line, "join_alive_after_timeout"));
	ck_assert_int_eq(tu_jint(line, "join_status"), 0);
	ck_assert(tu_json_num(line, "join_waited_s", &waited));
	ck_assert(waited < 2.5);
}
END_TEST

START_TEST(test_daemon)
{
	char line[4096];

	run_json(line, sizeof line, "--demo", "daemon", NULL);
	ck_assert(tu_jbool(line, "daemon_alive_at_main_end"));
	ck_assert_int_eq(tu_jint(line, "daemon_status"), -SIGTERM);
}
END_TEST

/* The live children list starts with every worker, shrinks, ends empty,
 * and lists only the workers. */
/* The lesson's claim: when the main is killed outright (SIGKILL, no
 * chance to terminate its daemon), the kernel ends the workers, because
 * racelab starts them with PR_SET_PDEATHSIG.  (Python does not: that is
 * racelab's choice.)  The daemon's pid comes from the board. */
START_TEST(test_daemon_dies_with_killed_main)
{
	const struct timespec ms = { 0, 1000 * 1000 };
	struct board *b;
	char fds[16];
	int fd, st;
	pid_t pid, daemon = 0;
	uint64_t t0;

	b = board_create_memfd(&fd);
	ck_assert_ptr_nonnull(b);
	snprintf(fds, sizeof fds, "%d", fd);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		setenv(BOARD_ENV_FD, fds, 1);
		execl(PROG, PROG, "--demo", "daemon", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	t0 = board_now_ns();
	while (!daemon && board_now_ns() - t0 < 5000000000ull) {
		for (uint32_t i = 1; i < atomic_load(&b->nactors); i++)
			if (atomic_load(&b->actor[i].worker_no) == 2 &&
			    atomic_load(&b->actor[i].pid) != pid &&
			    atomic_load(&b->actor[i].state) != BOARD_ST_STARTING)
				daemon = atomic_load(&b->actor[i].pid);
		nanosleep(&ms, NULL);
	}
	ck_assert_msg(daemon > 0, "no daemon worker seen");
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	waitpid(pid, &st, 0);
	/* The daemon was the main's child; now it is an orphan, dying of
	 * SIGKILL from the kernel: gone (or a zombie of init) soon. */
	t0 = board_now_ns();
	for (;;) {
		char path[64], buf[256] = "", *p;
		FILE *f;

		snprintf(path, sizeof path, "/proc/%d/stat", (int)daemon);
		f = fopen(path, "r");
		if (!f)
			break;
		if (!fgets(buf, sizeof buf, f))
			buf[0] = '\0';
		fclose(f);
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			break;
		ck_assert_msg(board_now_ns() - t0 < 3000000000ull,
		              "daemon %d still runs 3 s after its main was killed",
		              (int)daemon);
		nanosleep(&ms, NULL);
	}
	munmap(b, sizeof *b);
	close(fd);
}
END_TEST

START_TEST(test_children)
{
	char line[4096];
	long long c[64];
	int n;

	run_json(line, sizeof line, "--demo", "children", "--workers", "4", NULL);
	n = tu_json_array(line, "children_counts", c, 64);
	ck_assert_int_ge(n, 2);
	ck_assert_int_eq(c[0], 4);
	ck_assert_int_eq(c[n - 1], 0);
	for (int i = 1; i < n; i++)
		ck_assert_int_lt(c[i], c[i - 1]);
	ck_assert(tu_jbool(line, "children_are_workers"));
}
END_TEST

/* Join before get: a child that writes more than the pipe holds cannot
 * finish; the watchdog finds both asleep (main in its wait, child in the
 * pipe's write) after exactly a pipe's worth, reports it on stderr and
 * the run exits 3 with its record.  At the pipe's size and below, or with
 * get before join, everything arrives. */
START_TEST(test_queue_join_before_get)
{
	const char *argv[] = { PROG, "--demo", "queue", "--order", "join-get",
	                       "--put-kib", "256", "--watchdog", "0.2", "--json",
	                       NULL };
	char *out = NULL, *err = NULL, line[4096], wchan[64];
	long long cap;

	ck_assert_int_eq(tu_run(argv, &out, &err), 3);
	ck_assert_int_eq(tu_json_count(out), 1);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert_int_eq(tu_jint(line, "queue_deadlocked"), 1);
	cap = tu_jint(line, "pipe_capacity");
	ck_assert_int_eq(tu_jint(line, "pipe_filled"), cap);
	ck_assert_int_eq(tu_jint(line, "queue_sent"), cap);
	ck_assert_int_eq(tu_jint(line, "queue_got"), 0);
	ck_assert_int_eq(tu_jint(line, "queue_asleep"), 2);
	tu_jstr(line, "main_wchan", wchan, sizeof wchan);
	ck_assert_msg(strcmp(wchan, "do_wait") == 0, "main asleep in %s", wchan);
	ck_assert_int_eq(tu_jint(line, "main_in_wait"), 1);
	tu_jstr(line, "child_wchan", wchan, sizeof wchan);
	ck_assert_msg(strstr(wchan, "pipe_write") || strcmp(wchan, "pipe_wait") == 0,
	              "child asleep in %s", wchan);
	ck_assert_int_eq(tu_jint(line, "child_in_pipe_write"), 1);
	ck_assert_int_eq(tu_jint(line, "queue_status"), -9);
	ck_assert_ptr_nonnull(strstr(err, "deadlock"));
	free(out);
	free(err);
	ck_assert_int_eq(tu_count_procs("racelab-lifecycle"), 0);

	/* What fits in the pipe is joined in either order; more needs
	 * get first. */
	run_json(line, sizeof line, "--demo", "queue", "--order", "join-get",
	         "--put-kib", "64", NULL);
	ck_assert_int_eq(tu_jint(line, "queue_deadlocked"), 0);
	ck_assert_int_eq(tu_jint(line, "queue_got"), 65536);
	run_json(line, sizeof line, "--demo", "queue", "--order", "get-join",
	         "--put-kib", "1024", NULL);
	ck_assert_int_eq(tu_jint(line, "queue_deadlocked"), 0);
	ck_assert_int_eq(tu_jint(line, "queue_got"), 1024 * 1024);
	ck_assert_int_eq(tu_jint(line, "queue_status"), 0);
}
END_TEST

START_TEST(test_bad_options)
{
	tu_assert_usage_errorv(PROG, "--demo", "undead", NULL);
	tu_assert_usage_errorv(PROG, "--mode", "thread", NULL);
	tu_assert_usage_errorv(PROG, "--hold", "-1", NULL);
	tu_assert_usage_errorv(PROG, "--workers", "33", NULL);
	tu_assert_usage_errorv(PROG, "--timeout", "x", NULL);
	tu_assert_usage_errorv(PROG, "--demo", "queue", "--order", "any", NULL);
	tu_assert_usage_errorv(PROG, "--demo", "queue", "--watchdog", "0", NULL);
}
END_TEST

/* All scenes, one JSON object, and no process left afterwards (the
 * orphan included: it ends by itself). */
START_TEST(test_all_nothing_left)
{
	char *out = NULL;

	ck_assert_int_eq(run(&out, NULL, "--json", "--hold", "0.05", "--runs",
	                     "2", NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 2);
	free(out);
	ck_assert_int_eq(tu_count_procs("racelab-lifecycle"), 0);
}
END_TEST

Suite *
suite_lifecycle(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("lifecycle");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_zombie);
	tcase_add_test(tc, test_orphan);
	tcase_add_test(tc, test_orphan_subreaper);
	tcase_add_test(tc, test_terminate);
	tcase_add_test(tc, test_terminate_text);
	tcase_add_test(tc, test_join_timeout);
	tcase_add_test(tc, test_join_in_time);
	tcase_add_test(tc, test_daemon);
	tcase_add_test(tc, test_daemon_dies_with_killed_main);
	tcase_add_test(tc, test_children);
	tcase_add_test(tc, test_queue_join_before_get);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_all_nothing_left);
	suite_add_tcase(s, tc);
	return s;
}
