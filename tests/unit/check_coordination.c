// Tests for lesson 12 (coordination): the semaphore's K bound and the
// bounded buffer's exactly-once delivery, with threads and with processes.
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

#define PROG "bin/racelab-coordination"
#define run(out, err, ...) tu_runv(PROG, out, err, __VA_ARGS__)

/* At most K inside in every run, and exactly K when N > K and every
 * worker stays inside long enough for the others to arrive. */
static void
check_bound(const char *mode, const char *workers, const char *limit, int k)
{
	char *out = NULL, line[1024];
	int rc = run(&out, NULL, "--demo", "semaphore", "--mode", mode,
	             "--workers", workers, "--limit", limit, "--iters", "3",
	             "--hold", "0.01", "--runs", "12", "--json", NULL);

	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(tu_json_count(out), 12);
	for (int i = 0; i < 12; i++) {
		ck_assert(tu_json_line(out, i, line, sizeof line));
		ck_assert_int_le(tu_jint(line, "max_inside"), k);
		ck_assert_int_eq(tu_jint(line, "max_inside"), k);
		ck_assert_int_eq(tu_jint(line, "inside_after"), 0);
		ck_assert_int_eq(tu_jint(line, "entries"), 3LL * atoi(workers));
	}
	free(out);
}

START_TEST(test_sem_bound_process)
{
	check_bound("process", "5", "2", 2);
	check_bound("process", "4", "1", 1);
}
END_TEST

START_TEST(test_sem_bound_thread)
{
	check_bound("thread", "5", "2", 2);
	check_bound("thread", "6", "3", 3);
}
END_TEST

/* Never above K even with little work per entry and many entries. */
START_TEST(test_sem_bound_many)
{
	static const char *modes[] = { "thread", "process" };

	for (int m = 0; m < 2; m++) {
		char *out = NULL, line[1024];
		int rc = run(&out, NULL, "--mode", modes[m], "--workers", "8",
		             "--limit", "3", "--iters", "200", "--hold", "0",
		             "--runs", "10", "--json", "--quiet", NULL);

		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(tu_json_count(out), 10);
		for (int i = 0; i < 10; i++) {
			ck_assert(tu_json_line(out, i, line, sizeof line));
			ck_assert_int_le(tu_jint(line, "max_inside"), 3);
			ck_assert_int_ge(tu_jint(line, "max_inside"), 1);
			ck_assert_int_eq(tu_jint(line, "inside_after"), 0);
		}
		free(out);
	}
}
END_TEST

/* K >= N: the semaphore never makes anyone wait. */
START_TEST(test_sem_more_permits)
{
	char *out = NULL, line[1024];
	int rc = run(&out, NULL, "--mode", "thread", "--workers", "3",
	             "--limit", "5", "--hold", "0.01", "--json", NULL);

	ck_assert_int_eq(rc, 0);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert_int_le(tu_jint(line, "max_inside"), 3);
	ck_assert_int_eq(tu_jint(line, "waited"), 0);
	free(out);
}
END_TEST

/* Without the semaphore the bound is gone: with 50 ms inside and four
 * workers released together, more than one is inside at once. */
START_TEST(test_sem_no_limit)
{
	char *out = NULL, line[1024];
	int rc = run(&out, NULL, "--workers", "4", "--limit", "1", "--no-limit",
	             "--iters", "2", "--hold", "0.05", "--json", NULL);

	ck_assert_int_eq(rc, 0);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert_int_ge(tu_jint(line, "max_inside"), 2);
	ck_assert(!tu_jbool(line, "semaphore"));
	free(out);
}
END_TEST

static void
check_buffer(const char *mode, const char *workers, const char *producers,
             const char *items, const char *size, int runs)
{
	char *out = NULL, line[1024], nruns[16];
	int rc;

	snprintf(nruns, sizeof nruns, "%d", runs);
	rc = run(&out, NULL, "--demo", "buffer", "--mode", mode, "--workers",
	         workers, "--producers", producers, "--items", items, "--size",
	         size, "--runs", nruns, "--json", NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(tu_json_count(out), runs);
	for (int i = 0; i < runs; i++) {
		ck_assert(tu_json_line(out, i, line, sizeof line));
		ck_assert_int_eq(tu_jint(line, "produced"), atoll(items));
		ck_assert_int_eq(tu_jint(line, "consumed"), atoll(items));
		ck_assert_int_eq(tu_jint(line, "missing"), 0);
		ck_assert_int_eq(tu_jint(line, "duplicates"), 0);
		ck_assert(tu_jbool(line, "sum_ok"));
		ck_assert(tu_jbool(line, "checksum_ok"));
		ck_assert(tu_jbool(line, "exactly_once"));
		ck_assert_int_le(tu_jint(line, "max_level"), atoll(size));
		ck_assert_int_ge(tu_jint(line, "max_level"), 1);
	}
	free(out);
}

START_TEST(test_buffer_process)
{
	check_buffer("process", "4", "2", "20000", "2", 4);
	check_buffer("process", "5", "1", "5000", "1", 3);
	check_buffer("process", "5", "4", "5000", "16", 3);
}
END_TEST

START_TEST(test_buffer_thread)
{
	check_buffer("thread", "4", "2", "20000", "2", 4);
	check_buffer("thread", "6", "1", "5000", "1", 3);
	check_buffer("thread", "6", "5", "5000", "16", 3);
}
END_TEST

/* A slow consumer fills the buffer: producers must have waited on
 * "not full", and the buffer reached its size. */
START_TEST(test_buffer_full_waits)
{
	char *out = NULL, line[1024];
	int rc = run(&out, NULL, "--demo", "buffer", "--workers", "2",
	             "--items", "30", "--size", "3", "--hold", "0.005",
	             "--json", NULL);

	ck_assert_int_eq(rc, 0);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert_int_eq(tu_jint(line, "max_level"), 3);
	ck_assert_int_gt(tu_jint(line, "full_waits"), 0);
	ck_assert(tu_jbool(line, "exactly_once"));
	free(out);
}
END_TEST

/* Under the shell the two condition variables are published as such
 * (waiters, never a holder), and the waits on them name them. */
START_TEST(test_condvars_on_board)
{
	int fd, conds = 0;
	struct board *b = board_create_memfd(&fd);
	char fds[16], *out = NULL;

	snprintf(fds, sizeof fds, "%d", fd);
	setenv(BOARD_ENV_FD, fds, 1);
	ck_assert_int_eq(run(&out, NULL, "--demo", "buffer", "--items", "500",
	                     "--size", "2", "--quiet", NULL), 0);
	unsetenv(BOARD_ENV_FD);
	for (uint32_t i = 0; i < atomic_load(&b->nlocks); i++)
		if (strcmp(b->lock[i].name, "not full") == 0 ||
		    strcmp(b->lock[i].name, "not empty") == 0) {
			ck_assert_int_eq(atomic_load(&b->lock[i].kind), BOARD_LOCK_COND);
			conds++;
		}
	ck_assert_int_eq(conds, 2);
	free(out);
	munmap(b, sizeof *b);
	close(fd);
}
END_TEST

/* Every process the run published on board b has ended (gone, or a
 * zombie nobody reaps yet): looked up by pid, so another program's
 * racelab-coordination on the machine does not count. */
static void
assert_board_procs_ended(struct board *b)
{
	const struct timespec ms = { 0, 1000 * 1000 };

	for (uint32_t i = 0; i < atomic_load(&b->nactors); i++) {
		pid_t pid = atomic_load(&b->actor[i].pid);

		for (int tries = 0; pid > 0 && tries < 2000; tries++) {
			char path[64], buf[256] = "", *p;
			FILE *f;

			snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
			if (!(f = fopen(path, "r")))
				break;
			if (!fgets(buf, sizeof buf, f))
				buf[0] = '\0';
			fclose(f);
			p = strrchr(buf, ')');
			if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
				break;
			ck_assert_msg(tries < 1999, "pid %d of the run still runs",
			              (int)pid);
			nanosleep(&ms, NULL);
		}
	}
}

/* Output into a closed pipe (| head -1) kills the workers that print.
 * Before the fix a worker printed while it held a permit, died of
 * SIGPIPE inside, and the others waited in sem_wait for ever: the run
 * must end, and soon. */
START_TEST(test_closed_pipe_ends)
{
	static const char *const argv[] = { PROG, "--hold", "0.05", NULL };
	int fd, rc;
	struct board *b = board_create_memfd(&fd);
	char fds[16];
	uint64_t t0;

	ck_assert_ptr_nonnull(b);
	snprintf(fds, sizeof fds, "%d", fd);
	setenv(BOARD_ENV_FD, fds, 1);
	t0 = board_now_ns();
	rc = tu_run_head(argv);
	unsetenv(BOARD_ENV_FD);
	ck_assert_int_ne(rc, 0); /* killed by SIGPIPE, or the run was stopped */
	ck_assert_msg(board_now_ns() - t0 < 5000000000ull, "took %.1f s",
	              (double)(board_now_ns() - t0) / 1e9);
	ck_assert_uint_gt(atomic_load(&b->nactors), 1); /* the run used it */
	assert_board_procs_ended(b);
	munmap(b, sizeof *b);
	close(fd);
}
END_TEST

/* A worker SIGKILLed while it is inside the room takes its permit with
 * it (a POSIX semaphore has no owner).  The main must notice the death,
 * stop the others, say so and fail, within a bounded time, not wait in
 * waitpid for ever. */
START_TEST(test_dead_holder_ends)
{
	const struct timespec ms = { 0, 1000 * 1000 };
	struct board *b;
	char fds[16], err[4096] = "";
	int fd, st = 0, ep[2];
	pid_t pid, victim = 0;
	uint64_t t0, t_kill = 0;
	ssize_t k;

	b = board_create_memfd(&fd);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(pipe(ep), 0);
	snprintf(fds, sizeof fds, "%d", fd);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(ep[1], 2);
		setenv(BOARD_ENV_FD, fds, 1);
		/* 6 workers, 2 permits, 1 s inside: the others queue up. */
		execl(PROG, PROG, "--workers", "6", "--limit", "2", "--iters", "2",
		      "--hold", "1", (char *)NULL);
		_exit(127);
	}
	close(ep[1]);
	ck_assert_int_gt(pid, 0);
	t0 = board_now_ns();
	/* Find a worker that is inside (state critical) and kill it. */
	while (!victim && board_now_ns() - t0 < 5000000000ull) {
		for (uint32_t i = 1; i < atomic_load(&b->nactors); i++)
			if (atomic_load(&b->actor[i].state) == BOARD_ST_CRITICAL &&
			    atomic_load(&b->actor[i].pid) != pid) {
				victim = atomic_load(&b->actor[i].pid);
				break;
			}
		if (!victim)
			nanosleep(&ms, NULL);
	}
	ck_assert_msg(victim > 0, "no worker was seen inside");
	ck_assert_int_eq(kill(victim, SIGKILL), 0);
	t_kill = board_now_ns();
	while (waitpid(pid, &st, WNOHANG) == 0 &&
	       board_now_ns() - t_kill < 5000000000ull)
		nanosleep(&ms, NULL);
	if (kill(pid, 0) == 0 && waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL); /* hung: clean up, then fail */
		waitpid(pid, &st, 0);
		ck_abort_msg("still running 5 s after a permit holder died");
	}
	k = read(ep[0], err, sizeof err - 1);
	err[k > 0 ? k : 0] = '\0';
	close(ep[0]);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d", st);
	ck_assert_msg(strstr(err, "killed by SIGKILL while it held a permit"),
	              "stderr: %s", err); /* the board's held mask says so */
	assert_board_procs_ended(b);
	munmap(b, sizeof *b);
	close(fd);
}
END_TEST

START_TEST(test_bad_options)
{
	tu_assert_usage_errorv(PROG, "--limit", "0", NULL);
	tu_assert_usage_errorv(PROG, "--demo", "barrier", NULL);
	tu_assert_usage_errorv(PROG, "--hold", "-1", NULL);
	tu_assert_usage_errorv(PROG, "--demo", "buffer", "--workers", "1", NULL);
	tu_assert_usage_errorv(PROG, "--demo", "buffer", "--producers", "6", NULL);
	tu_assert_usage_errorv(PROG, "--frobnicate", NULL);
}
END_TEST

START_TEST(test_nothing_left)
{
	char *out = NULL;

	ck_assert_int_eq(run(&out, NULL, "--demo", "buffer", "--quiet", NULL), 0);
	free(out);
	ck_assert_int_eq(run(&out, NULL, "--hold", "0", "--quiet", NULL), 0);
	free(out);
	ck_assert_int_eq(tu_count_procs("racelab-coordination"), 0);
}
END_TEST

Suite *
suite_coordination(void)
{
	Suite *s = suite_create("coordination");
	TCase *tc = tcase_create("semaphore");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sem_bound_process);
	tcase_add_test(tc, test_sem_bound_thread);
	tcase_add_test(tc, test_sem_bound_many);
	tcase_add_test(tc, test_sem_more_permits);
	tcase_add_test(tc, test_sem_no_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("buffer");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_buffer_process);
	tcase_add_test(tc, test_buffer_thread);
	tcase_add_test(tc, test_buffer_full_waits);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_condvars_on_board);
	tcase_add_test(tc, test_closed_pipe_ends);
	tcase_add_test(tc, test_dead_holder_ends);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_nothing_left);
	suite_add_tcase(s, tc);
	return s;
}
