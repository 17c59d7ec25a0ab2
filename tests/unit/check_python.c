// Python run blocks: "python FILE.py ARGS" parsed into a run, a path that
// leaves the lesson's folder refused while parsing, and at load a file
// that is missing (or not a regular file) refused with path:line.
#include <check.h>

#include <fcntl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lesson/lesson.h"
#include "testutil.h"

START_TEST(test_python_block)
{
	struct md_run *r;
	char err[200];
	int line;

	ck_assert_int_eq(md_run_parse("python race.py --sync lock --runs 3\n"
	                              "panels: procs output\n"
	                              "expect: final == expected in every run\n",
	                              10, tu_only_race, NULL, &r, err, sizeof err, &line), 0);
	ck_assert(r->python);
	ck_assert_int_eq(r->argc, 6);
	ck_assert_str_eq(r->argv[0], "python");
	ck_assert_str_eq(r->argv[1], "race.py");
	ck_assert_str_eq(r->argv[5], "3");
	ck_assert_int_eq(r->cmd_line, 11);
	ck_assert_int_eq(r->nexpect, 1);
	md_run_free(r);
	/* A C block is not one. */
	ck_assert_int_eq(md_run_parse("race --runs 2\n", 1, tu_only_race, NULL, &r, err,
	                              sizeof err, &line), 0);
	ck_assert(!r->python);
	md_run_free(r);
}
END_TEST

START_TEST(test_python_bad_names)
{
	static const char *const bad[] = {
		"python ../race.py", "python sub/race.py", "python /usr/lib/x.py",
		"python race", "python .hidden.py", "python -c.py", "python a..py", "python",
	};
	struct md_run *r;
	char err[200];
	int line;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[80];

		snprintf(text, sizeof text, "panels: procs\n%s\n", bad[i]);
		ck_assert_msg(md_run_parse(text, 4, tu_only_race, NULL, &r, err, sizeof err,
		                           &line) == -1, "accepted: %s", bad[i]);
		ck_assert_int_eq(line, 6); /* the command's line, not the fence's */
		ck_assert_msg(strstr(err, "python"), "%s: %s", bad[i], err);
	}
	/* No goals (no board), and verify: runs the same file. */
	ck_assert_int_eq(md_run_parse("python race.py\ngoal: deadlock\n", 1, tu_only_race, NULL,
	                              &r, err, sizeof err, &line), -1);
	ck_assert_int_eq(line, 3);
	ck_assert_int_eq(md_run_parse("python race.py\nverify: python other.py\n", 1,
	                              tu_only_race, NULL, &r, err, sizeof err, &line), -1);
	ck_assert_int_eq(md_run_parse("python race.py\nverify: python race.py --runs 1\n", 1,
	                              tu_only_race, NULL, &r, err, sizeof err, &line), 0);
	md_run_free(r);
}
END_TEST

/* A lesson folder holding lesson.md (a python block naming file) and,
 * maybe, the file itself; the load's error text, or "" when it loads. */
static void
load(const char *file, const char *make, char *msg, size_t n)
{
	char dir[] = "/tmp/racelab-check-py-XXXXXX", path[256];
	struct md_lesson l;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/lesson.md", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "# T\n\n## One\n\n```run\npanels: procs\npython %s --runs 1\n```\n", file);
	fclose(f);
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (make && strcmp(make, "file") == 0)
		ck_assert_int_eq(close(creat(path, 0644)), 0);
	else if (make && strcmp(make, "dir") == 0)
		ck_assert_int_eq(mkdir(path, 0755), 0);
	else if (make && strcmp(make, "link") == 0)
		ck_assert_int_eq(symlink("/etc/hostname", path), 0);
	snprintf(path, sizeof path, "%s/lesson.md", dir);
	if (md_lesson_load(&l, path, tu_only_race, NULL) == 0)
		snprintf(msg, n, "%s", "");
	else
		snprintf(msg, n, "%s", strstr(l.error, "lesson.md") ? strstr(l.error, "lesson.md") : l.error);
	md_lesson_free(&l);
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (make && strcmp(make, "dir") == 0)
		rmdir(path);
	else
		unlink(path);
	snprintf(path, sizeof path, "%s/lesson.md", dir);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}

START_TEST(test_python_file_at_load)
{
	char msg[400];

	load("race.py", "file", msg, sizeof msg);
	ck_assert_str_eq(msg, "");
	load("race.py", NULL, msg, sizeof msg);
	ck_assert_str_eq(msg, "lesson.md:7: python: no file race.py in the lesson's folder "
	                      "(or not a regular file)");
	load("race.py", "dir", msg, sizeof msg);
	ck_assert_str_eq(msg, "lesson.md:7: python: no file race.py in the lesson's folder "
	                      "(or not a regular file)");
	load("race.py", "link", msg, sizeof msg);
	ck_assert_msg(strncmp(msg, "lesson.md:7: python: no file", 28) == 0, "%s", msg);
}
END_TEST

Suite *
suite_python(void)
{
	Suite *s = suite_create("python");
	TCase *tc = tcase_create("python");

	tcase_add_test(tc, test_python_block);
	tcase_add_test(tc, test_python_bad_names);
	tcase_add_test(tc, test_python_file_at_load);
	suite_add_tcase(s, tc);
	return s;
}
