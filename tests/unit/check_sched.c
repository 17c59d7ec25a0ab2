// The lab's own schedules (--quantum, --random-schedule) and --trace, on
// the race lesson's program: OSTEP threads-intro's questions, answered the
// same way every run.
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lesson/lesson.h"
#include "testutil.h"

/* Run racelab-race with the args (split at spaces); stdout and stderr. */
static int
race(const char *args, char **out, char **err)
{
	const char *argv[32] = { "bin/racelab-race" };
	static char buf[16384]; /* outlives the run; one run at a time */
	int n = 1;

	snprintf(buf, sizeof buf, "%s", args);
	for (char *t = strtok(buf, " "); t && n < 31; t = strtok(NULL, " "))
		argv[n++] = t;
	return tu_run(argv, out, err);
}

/* Every record's final balance, asserting runs records. */
static void
finals(const char *out, int runs, long long *fin, long long *expected)
{
	char obj[16384];

	ck_assert_int_eq(tu_json_count(out), runs);
	for (int r = 0; r < runs; r++) {
		ck_assert(tu_json_line(out, r, obj, sizeof obj));
		fin[r] = tu_jint(obj, "final");
		*expected = tu_jint(obj, "expected");
	}
}

/* --quantum 2: each worker's read and write are one turn (the probes are
 * "read balance" and "write balance", a step each), so no update is lost:
 * exact, 20 of 20.  --quantum 1: worker 1 reads, worker 2 reads the same
 * value, worker 1 writes, worker 2 overwrites it; every round keeps only
 * the deposit: 100 + 100 = 200, 20 of 20. */
START_TEST(test_quantum_answers)
{
	const char *mode = _i ? "process" : "thread";
	static const struct { int q; long long want; } cases[] = {
		{ 2, 100 }, { 1, 200 }, { 4, 100 },
	};

	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char args[160];
		long long fin[20], expected = -1;
		char *out;

		snprintf(args, sizeof args, "--workers 2 --iters 100 --sync none --runs 20 "
		         "--json --mode %s --quantum %d", mode, cases[c].q);
		ck_assert_int_eq(race(args, &out, NULL), 0);
		finals(out, 20, fin, &expected);
		ck_assert_int_eq(expected, 100);
		for (int r = 0; r < 20; r++)
			ck_assert_msg(fin[r] == cases[c].want, "%s run %d: final %lld, want %lld",
			              args, r + 1, fin[r], cases[c].want);
		free(out);
	}
}
END_TEST

/* The schedule a record names: "1,2,..." into buf; its length in steps. */
static int
schedule_of(const char *out, int n, char *buf, size_t len)
{
	char obj[16384];
	int steps = 1;

	ck_assert(tu_json_line(out, n, obj, sizeof obj));
	tu_jstr(obj, "schedule", buf, len);
	ck_assert(buf[0]);
	for (const char *p = buf; *p; p++)
		steps += *p == ',';
	return steps;
}

/* The same seed: the same schedule and final, run after run and program
 * after program; another seed: another schedule. */
START_TEST(test_random_same_seed)
{
	static char s1[4096], s2[4096], s3[4096];
	long long f1[5], f2[5], e;
	char *o1, *o2, *o3;

	ck_assert_int_eq(race("--workers 2 --iters 100 --runs 5 --json --random-schedule 42",
	                      &o1, NULL), 0);
	ck_assert_int_eq(race("--workers 2 --iters 100 --runs 5 --json --random-schedule 42 "
	                      "--mode thread", &o2, NULL), 0);
	ck_assert_int_eq(race("--workers 2 --iters 100 --runs 1 --json --random-schedule 43",
	                      &o3, NULL), 0);
	finals(o1, 5, f1, &e);
	finals(o2, 5, f2, &e);
	/* Every step of both workers: 2 workers x 100 updates x 2 probes. */
	ck_assert_int_eq(schedule_of(o1, 0, s1, sizeof s1), 400);
	for (int r = 0; r < 5; r++) {
		ck_assert_int_eq(schedule_of(o1, r, s2, sizeof s2), 400);
		ck_assert_str_eq(s1, s2);
		ck_assert_int_eq(schedule_of(o2, r, s2, sizeof s2), 400);
		ck_assert_str_eq(s1, s2);
		ck_assert_int_eq(f1[r], f1[0]);
		ck_assert_int_eq(f2[r], f1[0]);
	}
	schedule_of(o3, 0, s3, sizeof s3);
	ck_assert_str_ne(s1, s3);
	free(o1);
	free(o2);
	free(o3);
}
END_TEST

/* The printed schedule, replayed by --schedule: the same final.  Seeds
 * that lose updates and one that may not: the replay matches either way. */
START_TEST(test_random_replay)
{
	static char sched[4096], args[8192], err_sched[4096];
	static const int seeds[] = { 1, 7, 42, 1234 };
	int lossy = 0;

	for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
		long long fin[1], again[1], e;
		char *out, *err, *p;

		snprintf(args, sizeof args, "--workers 2 --iters 100 --runs 1 --json "
		         "--random-schedule %d", seeds[k]);
		ck_assert_int_eq(race(args, &out, NULL), 0);
		finals(out, 1, fin, &e);
		schedule_of(out, 0, sched, sizeof sched);
		free(out);
		lossy += fin[0] != e;
		snprintf(args, sizeof args, "--workers 2 --iters 100 --runs 3 --json "
		         "--schedule %s", sched);
		ck_assert_int_eq(race(args, &out, NULL), 0);
		for (int r = 0; r < 3; r++) {
			char obj[16384];

			ck_assert(tu_json_line(out, r, obj, sizeof obj));
			again[0] = tu_jint(obj, "final");
			ck_assert_msg(again[0] == fin[0], "seed %d: replay gave %lld, the "
			              "random run %lld", seeds[k], again[0], fin[0]);
		}
		free(out);
		/* Without --json the schedule is printed on stderr, the same. */
		snprintf(args, sizeof args, "--workers 2 --iters 100 --runs 1 --quiet "
		         "--random-schedule %d", seeds[k]);
		ck_assert_int_eq(race(args, &out, &err), 0);
		p = strstr(err, "--schedule ");
		ck_assert_ptr_nonnull(p);
		snprintf(err_sched, sizeof err_sched, "%.*s", (int)strcspn(p + 11, "\n"), p + 11);
		ck_assert_str_eq(err_sched, sched);
		free(out);
		free(err);
	}
	ck_assert_int_ge(lossy, 1); /* a random schedule does lose updates */
}
END_TEST

/* --trace: one line per step granted, numbered, naming the worker, the
 * probe's operation, the value it writes and the balance after it. */
START_TEST(test_trace_lines)
{
	char *out, *err;

	/* Text: on stdout.  Quantum 1, 5 updates each: 20 steps. */
	ck_assert_int_eq(race("--workers 2 --iters 5 --runs 1 --quantum 1 --trace",
	                      &out, &err), 0);
	ck_assert_int_eq(tu_count_prefix(out, "trace "), 20);
	ck_assert_int_eq(tu_count_prefix(out, "trace 20: "), 1);
	ck_assert_int_eq(tu_count_prefix(out, "trace 21: "), 0);
	ck_assert_int_eq(tu_count_prefix(out, "trace 1: worker 1: read balance -> balance 100"), 1);
	ck_assert_int_eq(tu_count_prefix(out, "trace 2: worker 2: read balance -> balance 100"), 1);
	ck_assert_int_eq(tu_count_prefix(out, "trace 3: worker 1: write balance = 99 -> balance 99"), 1);
	ck_assert_int_eq(tu_count_prefix(out, "trace 4: worker 2: write balance = 101 -> balance 101"), 1);
	free(out);
	free(err);
	/* --json: the trace on stderr, stdout the records alone; as many
	 * lines as the random schedule has steps. */
	ck_assert_int_eq(race("--workers 3 --iters 7 --runs 2 --json --random-schedule 5 --trace",
	                      &out, &err), 0);
	{
		char sched[4096];
		int steps = schedule_of(out, 0, sched, sizeof sched);

		ck_assert_int_eq(steps, 3 * 7 * 2);
		ck_assert_int_eq(tu_count_lines(out), 2);
		ck_assert_int_eq(tu_count_prefix(err, "trace "), 2 * steps);
	}
	free(out);
	free(err);
	/* With --schedule too: the steps given, not the free run after. */
	ck_assert_int_eq(race("--workers 2 --iters 3 --runs 1 --schedule 1,2,1 --trace",
	                      &out, &err), 0);
	ck_assert_int_eq(tu_count_prefix(out, "trace "), 3);
	free(out);
	free(err);
}
END_TEST

/* Bad values: one line, exit 2; one schedule at a time. */
START_TEST(test_bad_values)
{
	static const char *const bad[][4] = {
		{ "--quantum", "0" }, { "--quantum", "x" }, { "--quantum", "" },
		{ "--random-schedule", "-1" }, { "--random-schedule", "1e3" },
		{ "--quantum", "2", "--schedule", "1" },
		{ "--quantum", "2", "--random-schedule", "1" },
		{ "--random-schedule", "1", "--step" },
		{ "--trace" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tu_assert_usage_errorv("bin/racelab-race", bad[i][0], bad[i][1], bad[i][2],
		                       bad[i][3], NULL);
	/* A program without probe points has nothing to schedule or trace. */
	tu_assert_usage_errorv("bin/racelab-processes", "--quantum", "1", NULL);
	tu_assert_usage_errorv("bin/racelab-processes", "--random-schedule", "1", NULL);
	tu_assert_usage_errorv("bin/racelab-processes", "--trace", NULL);
}
END_TEST

/* --help names them, and says they exclude each other. */
START_TEST(test_help)
{
	char *out;

	ck_assert_int_eq(race("--help", &out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "--quantum K"));
	ck_assert_ptr_nonnull(strstr(out, "--random-schedule SEED"));
	ck_assert_ptr_nonnull(strstr(out, "--trace"));
	ck_assert_ptr_nonnull(strstr(out, "exclude each other"));
	free(out);
}
END_TEST

/* The goals judged during the run: "reached LABEL" (the label is the
 * rest of the condition) and "counter X CMP N at any time". */
START_TEST(test_goal_parse)
{
	struct md_goal g;
	char err[200];

	ck_assert_int_eq(md_goal_parse(" reached take from empty buffer :: take from empty",
	                               &g, err, sizeof err), 0);
	ck_assert_int_eq(g.kind, MD_GOAL_REACHED);
	ck_assert_str_eq(g.label, "take from empty buffer");
	ck_assert_str_eq(g.text, "take from empty");
	md_goal_free(&g);
	ck_assert_int_eq(md_goal_parse(" counter balance == 99 at any time :: for a moment",
	                               &g, err, sizeof err), 0);
	ck_assert_int_eq(g.kind, MD_GOAL_COUNTER);
	ck_assert(g.any_time);
	ck_assert_str_eq(g.name, "balance");
	ck_assert_int_eq(g.value, 99);
	md_goal_free(&g);
	ck_assert_int_eq(md_goal_parse(" counter balance == 99 :: at the end", &g, err,
	                               sizeof err), 0);
	ck_assert(!g.any_time);
	md_goal_free(&g);
	static const char *const bad[] = {
		" counter balance == 99 at some time",
		" counter balance == 99 at any time now",
		" critical m >= 2 at any time",
		" reached",
		" reached :: nothing named",
		" reached a label that is far longer than forty-seven bytes allow",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(md_goal_parse(bad[i], &g, err, sizeof err) == -1, "accepted: %s", bad[i]);
		ck_assert_msg(err[0], "no message for: %s", bad[i]);
		md_goal_free(&g);
	}
}
END_TEST

/* racelab --verify g (the lesson dir is searched first): a "reached" goal
 * whose label the run reaches holds;
 * one the program never reaches is an error, exit status not 0. */
START_TEST(test_goal_verified)
{
	const char *dir = tu_tmpdir_setup("goalverify");
	char path[512], *out;
	const char *argv[] = { "bin/racelab", "--verify", "g", NULL };
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/01-g", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/01-g/lesson.md", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "# G\n\n## S\n\n```run\nrace --workers 2 --iters 1 --runs 1 --quantum 1\n"
	        "goal: reached write balance :: to the write\n"
	        "goal: counter balance == 101 at any time :: 101 once\n```\n");
	fclose(f);
	setenv("RACELAB_LESSONS", dir, 1);
	rc = tu_run(argv, &out, NULL);
	ck_assert_msg(rc == 0, "verify exited %d: %s", rc, out);
	ck_assert_ptr_nonnull(strstr(out, "goal: reached write balance"));
	free(out);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "# G\n\n## S\n\n```run\nrace --workers 2 --iters 1 --runs 1\n"
	        "goal: reached take from empty :: never\n```\n");
	fclose(f);
	rc = tu_run(argv, &out, NULL);
	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "never reaches a probe 'take from empty'"));
	free(out);
	unlink(path);
	snprintf(path, sizeof path, "%s/01-g", dir);
	rmdir(path);
	unsetenv("RACELAB_LESSONS");
	tu_tmpdir_teardown(true);
}
END_TEST

Suite *
suite_sched(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("sched");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_quantum_answers, 0, 2);
	tcase_add_test(tc, test_random_same_seed);
	tcase_add_test(tc, test_random_replay);
	tcase_add_test(tc, test_trace_lines);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_goal_parse);
	tcase_add_test(tc, test_goal_verified);
	suite_add_tcase(s, tc);
	return s;
}
