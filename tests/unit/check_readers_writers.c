// Tests for lesson 19 (readers and writers): no lock lets a writer in with
// readers (a forced schedule, 20 of 20); every solution keeps a writer
// alone under every explored schedule, with exact counts of reads and
// writes; the lightswitch starves a writer (a forced schedule, 20 of 20,
// and in a free run), the turnstile does not; writer priority starves
// readers when writers never pause; glibc's rwlock kinds behave as its
// manual says (PREFER_WRITER_NP as prefer-reader).
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define PROG "bin/racelab-readers-writers"
#define run(out, err, ...) tu_runv(PROG, out, err, __VA_ARGS__)

/* The correct variants: the Little Book's and glibc's rwlock kinds. */
static const char *const correct[] = {
	"lightswitch", "no-starve", "writer-priority", "rwlock-reader",
	"rwlock-writer", "rwlock-writer-np",
};
#define NCORRECT (sizeof correct / sizeof *correct)

static void
one_record(char *out, char *line, size_t len)
{
	ck_assert_int_eq(tu_json_count(out), 1);
	ck_assert(tu_json_line(out, 0, line, len));
}

/* Reader 2 goes in, then the writer: with no lock it walks in on it (the
 * writer sees the reader).  And the other way round, the writer first
 * (the reader sees the writer). */
START_TEST(test_none_collides)
{
	for (int i = 0; i < 20; i++) {
		char *out = NULL, *err = NULL, line[2048];
		int rc = run(&out, &err, "--sync", "none", "--rounds", "1", "--mode",
		             i % 2 ? "process" : "thread", "--schedule",
		             i < 10 ? "2,1" : "1,2", "--json", NULL);

		ck_assert_int_eq(rc, 0);
		one_record(out, line, sizeof line);
		ck_assert_int_ge(tu_jint(line, "collisions"), 1);
		free(out);
		free(err);
	}
}
END_TEST

/* The same two steps under every solution: the writer waits, and the run
 * ends with every visit made and nobody inside with a writer. */
START_TEST(test_forced_no_collision)
{
	for (size_t v = 0; v < NCORRECT; v++) {
		char *out = NULL, *err = NULL, line[2048];
		int rc = run(&out, &err, "--sync", correct[v], "--rounds", "2",
		             "--schedule", "2,2,2,2,2,2,1,1,1", "--json", NULL);

		ck_assert_msg(rc == 0, "%s: exit %d", correct[v], rc);
		one_record(out, line, sizeof line);
		ck_assert_int_eq(tu_jint(line, "collisions"), 0);
		ck_assert_int_eq(tu_jint(line, "writes"), 2);
		ck_assert_int_eq(tu_jint(line, "reads"), 6);
		free(out);
		free(err);
	}
}
END_TEST

/* Exploration: seeded random schedules of two writers and two readers,
 * both modes.  Every solution: no collision in any, and exactly the visits
 * asked for. */
START_TEST(test_explore_correct)
{
	for (size_t v = 0; v < NCORRECT; v++)
		for (int seed = 1; seed <= 12; seed++) {
			char *out = NULL, *err = NULL, line[2048], sd[8];
			int rc;

			snprintf(sd, sizeof sd, "%d", seed);
			rc = run(&out, &err, "--sync", correct[v], "--writers", "2",
			         "--rounds", "2", "--read", "0", "--write", "0",
			         "--think", "0", "--mode", seed % 2 ? "process" : "thread",
			         "--random-schedule", sd, "--json", NULL);
			ck_assert_msg(rc == 0, "%s seed %d: exit %d", correct[v], seed, rc);
			one_record(out, line, sizeof line);
			ck_assert_msg(tu_jint(line, "collisions") == 0, "%s seed %d: %lld collisions",
			              correct[v], seed, tu_jint(line, "collisions"));
			ck_assert_int_eq(tu_jint(line, "writes"), 4);
			ck_assert_int_eq(tu_jint(line, "reads"), 4);
			free(out);
			free(err);
		}
}
END_TEST

/* Free runs, both modes: a writer is never inside with anyone, exactly. */
START_TEST(test_free_no_collision)
{
	for (size_t v = 0; v < NCORRECT; v++)
		for (int m = 0; m < 2; m++) {
			char *out = NULL, line[2048];
			int rc = run(&out, NULL, "--sync", correct[v], "--writers", "2",
			             "--workers", "5", "--seconds", "0.05", "--read", "0",
			             "--write", "0", "--think", "0", "--mode",
			             m ? "process" : "thread", "--json", NULL);

			ck_assert_int_eq(rc, 0);
			one_record(out, line, sizeof line);
			ck_assert_msg(tu_jint(line, "collisions") == 0, "%s: %lld collisions",
			              correct[v], tu_jint(line, "collisions"));
			ck_assert_int_ge(tu_jint(line, "writes") + tu_jint(line, "reads"), 1);
			free(out);
		}
}
END_TEST

/* The lesson's schedule: reader 2 in, the writer waits, readers 3, 4 and
 * 2 again go in past it.  20 of 20, both modes. */
START_TEST(test_lightswitch_starves_forced)
{
	for (int i = 0; i < 20; i++) {
		char *out = NULL, *err = NULL, line[2048];
		int rc = run(&out, &err, "--sync", "lightswitch", "--rounds", "3",
		             "--mode", i % 2 ? "process" : "thread", "--schedule",
		             "2,2,2,2,1,1,3,3,3,4,4,4,2,2,2,2,2,2", "--json", NULL);

		ck_assert_int_eq(rc, 0);
		one_record(out, line, sizeof line);
		ck_assert_int_ge(tu_jint(line, "overtaken"), 3);
		ck_assert_int_eq(tu_jint(line, "collisions"), 0);
		free(out);
		free(err);
	}
}
END_TEST

/* The turnstile: once the writer holds it, the readers who come later
 * wait behind it.  One visit each: nobody goes in past the writer. */
START_TEST(test_turnstile_holds)
{
	char *out = NULL, *err = NULL, line[2048];
	int rc = run(&out, &err, "--sync", "no-starve", "--rounds", "1",
	             "--schedule", "2,2,2,2,2,2,1,1,1,3,3,4,4", "--json", NULL);

	ck_assert_int_eq(rc, 0);
	one_record(out, line, sizeof line);
	ck_assert_int_eq(tu_jint(line, "overtaken"), 0);
	ck_assert_int_eq(tu_jint(line, "writes"), 1);
	free(out);
	free(err);
	/* The lightswitch under the same kind of schedule lets them by. */
	rc = run(&out, &err, "--sync", "lightswitch", "--rounds", "1",
	         "--schedule", "2,2,2,2,1,1,3,3,3,4,4,4", "--json", NULL);
	ck_assert_int_eq(rc, 0);
	one_record(out, line, sizeof line);
	ck_assert_int_eq(tu_jint(line, "overtaken"), 2);
	free(out);
	free(err);
}
END_TEST

/* glibc's kinds under one schedule: reader 2 holds a read lock, the
 * writer asks for the write lock, readers 3 and 4 ask for read locks.
 * Prefer-reader and PREFER_WRITER_NP (ignored by glibc, its manual says)
 * let both in past the writer; the non-recursive writer kind lets none.
 * 20 of 20 for the starving schedule of the lesson, both modes. */
START_TEST(test_rwlock_kinds_forced)
{
	static const struct { const char *sync; long long overtaken; } k[] = {
		{ "rwlock-reader", 2 }, { "rwlock-writer-np", 2 }, { "rwlock-writer", 0 },
	};

	for (int i = 0; i < 3; i++) {
		char *out = NULL, *err = NULL, line[2048];
		int rc = run(&out, &err, "--sync", k[i].sync, "--rounds", "1",
		             "--schedule", "2,2,1,1,3,3,4,4", "--json", NULL);

		ck_assert_int_eq(rc, 0);
		one_record(out, line, sizeof line);
		ck_assert_msg(tu_jint(line, "overtaken") == k[i].overtaken,
		              "%s: %lld readers went in past the writer", k[i].sync,
		              tu_jint(line, "overtaken"));
		ck_assert_int_eq(tu_jint(line, "writes"), 1);
		free(out);
		free(err);
	}
	for (int i = 0; i < 20; i++) {
		char *out = NULL, *err = NULL, line[2048];
		int rc = run(&out, &err, "--sync", "rwlock-reader", "--rounds", "3",
		             "--mode", i % 2 ? "process" : "thread", "--schedule",
		             "2,2,1,1,3,3,4,4,2,2,2,2", "--json", NULL);

		ck_assert_int_eq(rc, 0);
		one_record(out, line, sizeof line);
		ck_assert_int_ge(tu_jint(line, "overtaken"), 3);
		free(out);
		free(err);
	}
}
END_TEST

static void
free_run(const char *sync, const char *mode, const char *writers,
         const char *think, char *line, size_t len)
{
	char *out = NULL;
	int rc = run(&out, NULL, "--sync", sync, "--mode", mode, "--writers",
	             writers, "--think", think, "--seconds", "0.2", "--json", NULL);

	ck_assert_int_eq(rc, 0);
	one_record(out, line, len);
	ck_assert_int_eq(tu_jint(line, "collisions"), 0);
	free(out);
}

/* Who starves in a free run (the lesson's claims): the writer under the
 * lightswitch, nobody under the turnstile, the readers under writer
 * priority (and glibc's non-recursive writer kind) when two writers
 * never pause. */
START_TEST(test_free_starvation)
{
	char line[2048];

	free_run("lightswitch", "process", "1", "0.002", line, sizeof line);
	ck_assert_int_lt(100 * tu_jint(line, "writes"), tu_jint(line, "reads"));
	ck_assert(tu_jnum(line, "writer_wait_max_ms") >= 0.5 * tu_jnum(line, "elapsed_ms"));
	free_run("no-starve", "thread", "1", "0.002", line, sizeof line);
	ck_assert_int_ge(20 * tu_jint(line, "writes"), tu_jint(line, "reads"));
	free_run("writer-priority", "thread", "2", "0", line, sizeof line);
	ck_assert_int_lt(20 * tu_jint(line, "reads"), tu_jint(line, "writes"));
	ck_assert(tu_jnum(line, "reader_wait_max_ms") >= 0.5 * tu_jnum(line, "elapsed_ms"));
	/* glibc's kinds, as its manual describes them. */
	free_run("rwlock-reader", "thread", "1", "0.002", line, sizeof line);
	ck_assert_int_lt(100 * tu_jint(line, "writes"), tu_jint(line, "reads"));
	free_run("rwlock-writer-np", "process", "1", "0.002", line, sizeof line);
	ck_assert_int_lt(100 * tu_jint(line, "writes"), tu_jint(line, "reads"));
	ck_assert(tu_jnum(line, "writer_wait_max_ms") >= 0.5 * tu_jnum(line, "elapsed_ms"));
	free_run("rwlock-writer", "thread", "1", "0.002", line, sizeof line);
	ck_assert_int_ge(20 * tu_jint(line, "writes"), tu_jint(line, "reads"));
	/* It is writer priority, not a turnstile: two writers that never
	 * pause starve the readers. */
	free_run("rwlock-writer", "process", "2", "0", line, sizeof line);
	ck_assert_int_lt(10 * tu_jint(line, "reads"), tu_jint(line, "writes"));
}
END_TEST

START_TEST(test_bad_options)
{
	tu_assert_usage_errorv(PROG, "--sync", "sometimes", NULL);
	tu_assert_usage_errorv(PROG, "--writers", "5", NULL);
	tu_assert_usage_errorv(PROG, "--writers", "-1", NULL);
	tu_assert_usage_errorv(PROG, "--seconds", "0", NULL);
	tu_assert_usage_errorv(PROG, "--rounds", "x", NULL);
	tu_assert_usage_errorv(PROG, "--schedule", "1,5", NULL);
}
END_TEST

START_TEST(test_nothing_left)
{
	char *out = NULL;

	ck_assert_int_eq(run(&out, NULL, "--mode", "process", "--seconds", "0.05",
	                     NULL), 0);
	free(out);
	ck_assert_int_eq(tu_count_procs("racelab-readers-writers"), 0);
}
END_TEST

Suite *
suite_readers_writers(void)
{
	Suite *s = suite_create("readers_writers");
	TCase *tc = tcase_create("correct");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_none_collides);
	tcase_add_test(tc, test_forced_no_collision);
	tcase_add_test(tc, test_explore_correct);
	tcase_add_test(tc, test_free_no_collision);
	suite_add_tcase(s, tc);
	tc = tcase_create("starvation");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lightswitch_starves_forced);
	tcase_add_test(tc, test_turnstile_holds);
	tcase_add_test(tc, test_rwlock_kinds_forced);
	tcase_add_test(tc, test_free_starvation);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_nothing_left);
	suite_add_tcase(s, tc);
	return s;
}
