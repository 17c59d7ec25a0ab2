// Tests for lesson 13 (deadlock): a forced schedule deadlocks and is
// reported (exit 3, not a hang); the fixes always complete.
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "board/board.h"
#include "testutil.h"

#define PROG "bin/racelab-deadlock"
#define run(out, err, ...) tu_runv(PROG, out, err, __VA_ARGS__)

/* 1,2,1,2: each worker takes its first lock, then each asks for the
 * other's.  Deterministic: a deadlock every time, reported, exit 3. */
static void
check_forced(const char *mode)
{
	for (int i = 0; i < 20; i++) {
		char *out = NULL, *err = NULL;
		int rc = run(&out, &err, "--mode", mode, "--schedule", "1,2,1,2",
		             "--hold", "0", NULL);

		ck_assert_int_eq(rc, 3);
		ck_assert_ptr_nonnull(strstr(out, "Result: deadlock"));
		ck_assert_ptr_nonnull(strstr(out, "worker 1 holds a and waits for b, held by worker 2"));
		ck_assert_ptr_nonnull(strstr(out, "worker 2 holds b and waits for a, held by worker 1"));
		free(out);
		free(err);
	}
}

START_TEST(test_forced_process)
{
	check_forced("process");
}
END_TEST

START_TEST(test_forced_thread)
{
	check_forced("thread");
}
END_TEST

START_TEST(test_forced_json)
{
	char *out = NULL, line[2048];
	long long cyc[8];
	int rc = run(&out, NULL, "--schedule", "1,2,1,2", "--json", NULL);

	ck_assert_int_eq(rc, 3);
	ck_assert_int_eq(tu_json_count(out), 1);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert(tu_jbool(line, "deadlock"));
	ck_assert_int_eq(tu_json_array(line, "cycle", cyc, 8), 2);
	ck_assert_int_eq(tu_jint(line, "rounds_done"), 0);
	free(out);
}
END_TEST

/* Five philosophers, each granted its first fork: a cycle of five. */
START_TEST(test_forced_philosophers)
{
	static const char *modes[] = { "process", "thread" };

	for (int m = 0; m < 2; m++) {
		char *out = NULL, line[4096];
		long long cyc[8];
		int rc = run(&out, NULL, "--mode", modes[m], "--workers", "5",
		             "--schedule", "1,2,3,4,5,1,2,3,4,5", "--hold", "0",
		             "--json", NULL);

		ck_assert_int_eq(rc, 3);
		ck_assert(tu_json_line(out, 0, line, sizeof line));
		ck_assert(tu_jbool(line, "deadlock"));
		ck_assert_int_eq(tu_json_array(line, "cycle", cyc, 8), 5);
		free(out);
	}
}
END_TEST

/* Interactive step mode, driven through stdin: the same deadlock. */
START_TEST(test_step_mode)
{
	const char *argv[] = { PROG, "--step", "--hold", "0", NULL };
	char *out = NULL;
	int rc = tu_run_input(argv, "1\n2\n1\n2\n", &out, NULL);

	ck_assert_int_eq(rc, 3);
	ck_assert_ptr_nonnull(strstr(out, "Result: deadlock"));
	free(out);
}
END_TEST

/* A schedule that runs worker 1's whole round first completes. */
START_TEST(test_safe_schedule)
{
	char *out = NULL, line[1024];
	int rc = run(&out, NULL, "--schedule", "1,1,1,1,1", "--iters", "1",
	             "--json", NULL);

	ck_assert_int_eq(rc, 0);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert(!tu_jbool(line, "deadlock"));
	ck_assert_int_eq(tu_jint(line, "rounds_done"), 2);
	free(out);
}
END_TEST

/* The ordered version always completes: many runs, both modes, free and
 * under the schedule that deadlocks the unordered one. */
static void
check_completes(const char *mode, const char *fix, const char *workers,
                const char *runs, const char *hold)
{
	char *out = NULL, line[1024];
	int rc = run(&out, NULL, "--mode", mode, "--fix", fix, "--workers",
	             workers, "--runs", runs, "--hold", hold, "--iters", "20",
	             "--timeout", "0.005",
	             "--json", NULL);
	int n = atoi(runs);

	ck_assert_msg(rc == 0, "%s %s: exit %d", fix, mode, rc);
	ck_assert_int_eq(tu_json_count(out), n);
	for (int i = 0; i < n; i++) {
		ck_assert(tu_json_line(out, i, line, sizeof line));
		ck_assert(!tu_jbool(line, "deadlock"));
		ck_assert_int_eq(tu_jint(line, "rounds_done"), 20LL * atoi(workers));
		ck_assert_int_eq(tu_jint(line, "meals_min"), 20);
		ck_assert_int_eq(tu_jint(line, "meals_max"), 20);
		ck_assert_int_eq(tu_jint(line, "overlaps"), 0);
	}
	free(out);
}

START_TEST(test_order)
{
	char *out = NULL;

	check_completes("process", "order", "2", "30", "0");
	check_completes("thread", "order", "2", "30", "0");
	check_completes("process", "order", "5", "10", "0");
	check_completes("thread", "order", "5", "10", "0");
	check_completes("process", "order", "2", "2", "0.002");
	ck_assert_int_eq(run(&out, NULL, "--fix", "order", "--schedule",
	                     "1,2,1,2", NULL), 0);
	free(out);
}
END_TEST

START_TEST(test_trylock_timeout)
{
	check_completes("process", "trylock", "2", "5", "0.002");
	check_completes("thread", "trylock", "3", "5", "0.002");
	check_completes("process", "timeout", "2", "5", "0.002");
	check_completes("thread", "timeout", "3", "5", "0.002");
}
END_TEST

/* A forced cycle of timed waits breaks by itself: the run completes. */
START_TEST(test_timeout_forced_cycle)
{
	char *out = NULL, line[1024];
	int rc = run(&out, NULL, "--fix", "timeout", "--schedule", "1,2,1,2",
	             "--timeout", "0.02", "--json", NULL);

	ck_assert_int_eq(rc, 0);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert(!tu_jbool(line, "deadlock"));
	ck_assert_int_ge(tu_jint(line, "timeouts"), 1);
	free(out);
}
END_TEST

/* The deadlock is reported once: the cycle on stdout, nothing about it
 * again on stderr (lab_join's own report is off for this lesson). */
START_TEST(test_reported_once)
{
	char *out = NULL, *err = NULL;
	int rc = run(&out, &err, "--schedule", "1,2,1,2", NULL);

	ck_assert_int_eq(rc, 3);
	ck_assert_int_eq(tu_count_prefix(out, "Result: deadlock"), 1);
	ck_assert_msg(!err || !strstr(err, "deadlock"), "stderr: %s", err);
	free(out);
	free(err);
}
END_TEST

/* After "Nothing would ever move again", nothing moves: the workers are
 * stopped before any dies, so no robust lock passes to a waiter that
 * then eats.  The board keeps each worker's last operation. */
static void
check_nobody_eats(const char *workers, const char *schedule)
{
	int fd;
	struct board *b = board_create_memfd(&fd);
	char fds[16], *out = NULL;

	ck_assert_ptr_nonnull(b);
	snprintf(fds, sizeof fds, "%d", fd);
	setenv(BOARD_ENV_FD, fds, 1);
	ck_assert_int_eq(run(&out, NULL, "--workers", workers, "--schedule",
	                     schedule, NULL), 3);
	unsetenv(BOARD_ENV_FD);
	for (uint32_t i = 1; i < atomic_load(&b->nactors); i++) {
		const char *op = board_label(b, atomic_load(&b->actor[i].op));

		ck_assert_msg(!op || !strstr(op, "eat"),
		              "worker %u got to '%s' after the deadlock report", i, op);
	}
	free(out);
	munmap(b, sizeof *b);
	close(fd);
}

START_TEST(test_nobody_eats_after_report)
{
	for (int i = 0; i < 3; i++) {
		check_nobody_eats("2", "1,2,1,2");
		check_nobody_eats("5", "1,2,3,4,5,1,2,3,4,5");
	}
}
END_TEST

/* Free, unfixed runs either finish or are reported: never a hang. */
START_TEST(test_free_no_hang)
{
	static const char *modes[] = { "process", "thread" };

	for (int i = 0; i < 6; i++) {
		char *out = NULL;
		int rc = run(&out, NULL, "--mode", modes[i % 2], "--hold",
		             i < 2 ? "0" : "0.01", NULL);

		ck_assert_msg(rc == 0 || rc == 3, "exit %d", rc);
		if (rc == 3)
			ck_assert_ptr_nonnull(strstr(out, "Result: deadlock"));
		free(out);
	}
}
END_TEST

/* Three philosophers, each granted its left fork, then its right: a cycle
 * of three, 20 times of 20 (both modes). */
START_TEST(test_three_cycle)
{
	for (int i = 0; i < 20; i++) {
		char *out = NULL, line[4096];
		long long cyc[8];
		int rc = run(&out, NULL, "--mode", i % 2 ? "thread" : "process",
		             "--workers", "3", "--schedule", "1,2,3,1,2,3",
		             "--hold", "0", "--json", NULL);

		ck_assert_int_eq(rc, 3);
		ck_assert(tu_json_line(out, 0, line, sizeof line));
		ck_assert_int_eq(tu_json_array(line, "cycle", cyc, 8), 3);
		ck_assert_int_eq(tu_jint(line, "meals_max"), 0);
		free(out);
	}
}
END_TEST

/* Exploration: the same 20 seeded random schedules of three philosophers.
 * The plain table deadlocks under some of them; every fix finishes under
 * all of them, every philosopher eats its two meals, and no two
 * neighbours ever eat at once. */
START_TEST(test_explore_fixes)
{
	static const char *fixes[] = { "none", "order", "footman", "asymmetric",
	                               "tanenbaum" };

	for (int f = 0; f < 5; f++) {
		int deadlocks = 0;

		for (int seed = 1; seed <= 20; seed++) {
			char *out = NULL, *err = NULL, line[4096], sd[8];
			long long meals[4];
			int rc;

			snprintf(sd, sizeof sd, "%d", seed);
			rc = run(&out, &err, "--mode", seed % 2 ? "thread" : "process",
			         "--workers", "3", "--iters", "2", "--hold", "0",
			         "--fix", fixes[f], "--random-schedule", sd, "--json", NULL);
			ck_assert_msg(rc == 0 || (rc == 3 && f == 0),
			              "--fix %s seed %d: exit %d", fixes[f], seed, rc);
			deadlocks += rc == 3;
			ck_assert(tu_json_line(out, 0, line, sizeof line));
			ck_assert_int_eq(tu_jint(line, "overlaps"), 0);
			if (rc == 0) {
				ck_assert_int_eq(tu_json_array(line, "meals", meals, 4), 3);
				for (int i = 0; i < 3; i++)
					ck_assert_int_eq(meals[i], 2);
			}
			free(out);
			free(err);
		}
		if (f == 0)
			ck_assert_int_ge(deadlocks, 1);
	}
}
END_TEST

/* Free runs of five, both modes: every meal eaten, never two neighbours
 * at once, for each fix. */
START_TEST(test_philosopher_fixes)
{
	check_completes("thread", "footman", "5", "3", "0");
	check_completes("process", "footman", "5", "3", "0");
	check_completes("thread", "asymmetric", "5", "3", "0");
	check_completes("process", "asymmetric", "5", "3", "0");
	check_completes("thread", "tanenbaum", "5", "3", "0");
	check_completes("process", "tanenbaum", "5", "3", "0");
}
END_TEST

/* The footman stops the fifth philosopher at the door: the schedule that
 * deadlocks the plain table completes. */
START_TEST(test_footman_schedule)
{
	char *out = NULL, *err = NULL, line[2048];
	int rc = run(&out, &err, "--workers", "5", "--fix", "footman", "--hold",
	             "0", "--schedule", "1,2,3,4,5,1,2,3,4,5", "--json", NULL);

	ck_assert_int_eq(rc, 0);
	ck_assert(tu_json_line(out, 0, line, sizeof line));
	ck_assert_int_eq(tu_jint(line, "rounds_done"), 15);
	free(out);
	free(err);
}
END_TEST

/* Starving Tanenbaums: philosopher 1 comes to the table and sleeps on
 * its semaphore; then 2, 5 and 2 again begin a meal.  Judged at the
 * schedule's last step (--trace), not at the end of the run, when the
 * philosophers have eaten on freely: passed_over is 3 at step 20, 20
 * times of 20.  The lesson's first schedule let 2 eat before 1 came to
 * the table; that meal passed nobody over, so it counts 2. */
START_TEST(test_tanenbaum_starve)
{
	for (int i = 0; i < 20; i++) {
		char *out = NULL, *err = NULL, line[2048];
		int rc = run(&out, &err, "--mode", i % 2 ? "thread" : "process",
		             "--workers", "5", "--fix", "tanenbaum", "--hold", "0",
		             "--iters", "2", "--schedule",
		             "2,2,2,1,1,1,2,2,5,5,5,5,5,2,2,2,2,2,2,2", "--trace",
		             "--json", NULL);

		ck_assert_int_eq(rc, 0);
		ck_assert_msg(strstr(err, "trace 6: worker 1: wait for may-eat1 -> passed_over 0\n"),
		              "%s", err);
		ck_assert_msg(strstr(err, "trace 20: worker 2: eat: neighbours not eating -> "
		                          "passed_over 3\n"), "%s", err);
		ck_assert(tu_json_line(out, 0, line, sizeof line));
		ck_assert_int_eq(tu_jint(line, "overlaps"), 0);
		free(out);
		free(err);
	}
	for (int i = 0; i < 2; i++) {
		char *out = NULL, *err = NULL;
		int rc = run(&out, &err, "--mode", i ? "thread" : "process",
		             "--workers", "5", "--fix", "tanenbaum", "--hold", "0",
		             "--iters", "2", "--schedule",
		             "2,2,2,2,2,1,1,1,5,5,5,5,5,2,2,2,2,2,2,2", "--trace",
		             "--json", NULL);

		ck_assert_int_eq(rc, 0);
		ck_assert_msg(strstr(err, "trace 20: worker 2: eat: neighbours not eating -> "
		                          "passed_over 2\n"), "%s", err);
		free(out);
		free(err);
	}
}
END_TEST

/* Starving Tanenbaums without a forced schedule: four philosophers that
 * never think; 1 and 3 take turns sitting back down while 2 and 4 wait
 * (the lesson's claim: one waits through 20 neighbours' meals or more;
 * 70 to 95 here, against 1 when they think 5 ms; the meals 1 to 3
 * against 47 to 49 in most runs, 12 against 36 in some). */
START_TEST(test_tanenbaum_starve_free)
{
	int starved = 0;

	for (int i = 0; i < 3; i++) {
		char *out = NULL, line[2048];
		int rc = run(&out, NULL, "--mode", i % 2 ? "process" : "thread",
		             "--workers", "4", "--fix", "tanenbaum", "--hold", "0.005",
		             "--seconds", "0.25", "--json", NULL);

		ck_assert_int_eq(rc, 0);
		ck_assert(tu_json_line(out, 0, line, sizeof line));
		ck_assert_int_eq(tu_jint(line, "overlaps"), 0);
		starved += tu_jint(line, "passed_over") >= 20;
		free(out);
	}
	ck_assert_int_ge(starved, 2);
}
END_TEST

/* A philosopher that sleeps on its own semaphore while a neighbour eats
 * is not deadlocked, however long the meal: the watchdog (looking every
 * 20 ms here) must not take the semaphore it took last time for a lock
 * it holds and waits for. */
START_TEST(test_tanenbaum_long_waits)
{
	for (int m = 0; m < 2; m++) {
		char *out = NULL, line[2048];
		int rc = run(&out, NULL, "--mode", m ? "process" : "thread",
		             "--workers", "3", "--fix", "tanenbaum", "--hold", "0.06",
		             "--iters", "2", "--watch", "0.02", "--json", NULL);

		ck_assert_int_eq(rc, 0);
		ck_assert(tu_json_line(out, 0, line, sizeof line));
		ck_assert_int_eq(tu_jint(line, "rounds_done"), 6);
		free(out);
	}
}
END_TEST

/* The ordered table is unfair in one way: philosophers 1 and 5 both
 * reach for fork 1 first and eat the least (the lesson's claim).  In at
 * least 2 of 3 runs: a loaded machine can stall one run as a whole. */
START_TEST(test_order_unfair)
{
	char *out = NULL, line[2048];
	int rc = run(&out, NULL, "--workers", "5", "--fix", "order", "--seconds",
	             "0.2", "--runs", "3", "--hold", "0.005", "--think", "0.005",
	             "--json", NULL);
	int unfair = 0;

	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(tu_json_count(out), 3);
	for (int r = 0; r < 3; r++) {
		long long m[5];
		bool low = true;

		ck_assert(tu_json_line(out, r, line, sizeof line));
		ck_assert_int_eq(tu_json_array(line, "meals", m, 5), 5);
		ck_assert_int_eq(tu_jint(line, "overlaps"), 0);
		for (int i = 1; i < 4; i++)
			low = low && m[0] < m[i] && m[4] < m[i];
		unfair += low;
	}
	ck_assert_msg(unfair >= 2, "philosophers 1 and 5 ate least in %d of 3 runs", unfair);
	free(out);
}
END_TEST

START_TEST(test_bad_options)
{
	tu_assert_usage_errorv(PROG, "--fix", "sometimes", NULL);
	tu_assert_usage_errorv(PROG, "--workers", "1", NULL);
	tu_assert_usage_errorv(PROG, "--workers", "17", NULL);
	tu_assert_usage_errorv(PROG, "--timeout", "0", NULL);
	tu_assert_usage_errorv(PROG, "--schedule", "1,3", NULL);
	tu_assert_usage_errorv(PROG, "--nope", NULL);
	tu_assert_usage_errorv(PROG, "--fix", "footman", "--workers", "16", NULL);
	tu_assert_usage_errorv(PROG, "--fix", "tanenbaum", "--workers", "16", NULL);
	tu_assert_usage_errorv(PROG, "--seconds", "-1", NULL);
}
END_TEST

START_TEST(test_nothing_left)
{
	char *out = NULL;

	ck_assert_int_eq(run(&out, NULL, "--schedule", "1,2,1,2", NULL), 3);
	free(out);
	ck_assert_int_eq(run(&out, NULL, "--workers", "4", "--schedule",
	                     "1,2,3,4,1,2,3,4", NULL), 3);
	free(out);
	ck_assert_int_eq(tu_count_procs("racelab-deadlock"), 0);
}
END_TEST

Suite *
suite_deadlock(void)
{
	Suite *s = suite_create("deadlock");
	TCase *tc = tcase_create("deadlock");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_forced_process);
	tcase_add_test(tc, test_forced_thread);
	tcase_add_test(tc, test_forced_json);
	tcase_add_test(tc, test_forced_philosophers);
	tcase_add_test(tc, test_step_mode);
	tcase_add_test(tc, test_safe_schedule);
	tcase_add_test(tc, test_free_no_hang);
	tcase_add_test(tc, test_reported_once);
	tcase_add_test(tc, test_nobody_eats_after_report);
	suite_add_tcase(s, tc);
	tc = tcase_create("fixes");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_trylock_timeout);
	tcase_add_test(tc, test_timeout_forced_cycle);
	suite_add_tcase(s, tc);
	tc = tcase_create("philosophers");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_three_cycle);
	tcase_add_test(tc, test_explore_fixes);
	tcase_add_test(tc, test_philosopher_fixes);
	tcase_add_test(tc, test_footman_schedule);
	tcase_add_test(tc, test_tanenbaum_starve);
	tcase_add_test(tc, test_tanenbaum_starve_free);
	tcase_add_test(tc, test_tanenbaum_long_waits);
	tcase_add_test(tc, test_order_unfair);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_nothing_left);
	suite_add_tcase(s, tc);
	return s;
}
