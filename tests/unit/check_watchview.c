// The shell's side of racelab-watch: where PROGRAM is in a watch command,
// which files a lesson's run block may watch (its own folder only), the
// options the shell adds going before PROGRAM, and --watch's quoting.
#include <check.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lesson/lesson.h"
#include "lesson/watch_cmd.h"
#include "shell/shell.h"

static int
words(char **argv, const char *line)
{
	char **v;
	int n = md_split_argv(line, &v, 32);

	for (int i = 0; i < n; i++)
		argv[i] = v[i];
	argv[n] = NULL;
	free(v);
	return n;
}

static void
free_words(char **argv, int n)
{
	for (int i = 0; i < n; i++)
		free(argv[i]);
}

START_TEST(test_watch_prog)
{
	char *a[40];
	int n;

	n = words(a, "watch ./prog --runs 3 x");
	ck_assert_int_eq(md_watch_prog(a, n), 1);
	ck_assert_int_eq(md_watch_nfiles(a, n, 1), 1);
	free_words(a, n);
	/* Options and their values come first; "--" ends them. */
	n = words(a, "watch --schedule 1,2 --step --runs=4 prog arg");
	ck_assert_int_eq(md_watch_prog(a, n), 5);
	free_words(a, n);
	n = words(a, "watch --quiet -- -odd-name");
	ck_assert_int_eq(md_watch_prog(a, n), 3);
	free_words(a, n);
	n = words(a, "watch driver.c learner.c 5 more.c");
	ck_assert_int_eq(md_watch_prog(a, n), 1);
	ck_assert_int_eq(md_watch_nfiles(a, n, 1), 2);
	free_words(a, n);
	n = words(a, "watch --runs 2");
	ck_assert_int_eq(md_watch_prog(a, n), -1);
	free_words(a, n);
	ck_assert(md_watch_is("watch") && md_watch_is("racelab-watch") && !md_watch_is("race"));
}
END_TEST

START_TEST(test_watch_words)
{
	const char *bad[] = {"watch", "watch /bin/ls", "watch ../x.c", "watch a/../../x.c",
	                     "watch ok.c ../y.c", "watch sub/..", "watch --runs 2"};
	const char *good[] = {"watch prog", "watch sub/two_locks.c", "watch --runs 2 a.c b.c -x",
	                      "watch p ../not-a-file-word"};
	char *a[40], err[200];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int n = words(a, bad[i]);

		ck_assert_msg(md_watch_check_words(a, n, err, sizeof err) < 0, "%s passed", bad[i]);
		ck_assert_ptr_null(strchr(err, '\n'));
		free_words(a, n);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int n = words(a, good[i]);

		ck_assert_msg(md_watch_check_words(a, n, err, sizeof err) == 0, "%s: %s", good[i], err);
		free_words(a, n);
	}
}
END_TEST

/* A file inside the folder passes; a link out of it, a link to a file in
 * it from elsewhere, a directory and a missing file do not. */
/* The scratch folder, made and removed in the runner's own process (an
 * unchecked fixture), so that a failed test leaves nothing behind. */
static char scratch[64];

static void
scratch_make(void)
{
	snprintf(scratch, sizeof scratch, "/tmp/racelab-watchview.XXXXXX");
	if (!mkdtemp(scratch))
		scratch[0] = '\0';
}

static void
scratch_remove(void)
{
	char cmd[128];

	if (scratch[0] && snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch) < (int)sizeof cmd &&
	    system(cmd) != 0)
		fprintf(stderr, "check_watchview: could not remove %s\n", scratch);
}

START_TEST(test_watch_in_dir)
{
	char p[PATH_MAX + 64], out[PATH_MAX];
	char *d = scratch[0] ? scratch : NULL;
	FILE *f;

	ck_assert_ptr_nonnull(d);
	snprintf(p, sizeof p, "%s/les", d);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/les/sub", d);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/les/sub/two.c", d);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fclose(f);
	snprintf(p, sizeof p, "%s/outside.c", d);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fclose(f);
	snprintf(p, sizeof p, "%s/les/out.c", d);
	ck_assert_int_eq(symlink("../outside.c", p), 0);
	snprintf(p, sizeof p, "%s/les/in.c", d);
	ck_assert_int_eq(symlink("sub/two.c", p), 0);
	snprintf(p, sizeof p, "%s/les2", d); /* a sibling whose name starts alike */
	ck_assert_int_eq(mkdir(p, 0700), 0);

	snprintf(p, sizeof p, "%s/les", d);
	ck_assert_int_eq(md_watch_in_dir(p, "sub/two.c", out, sizeof out), 0);
	ck_assert(strstr(out, "/les/sub/two.c") != NULL && out[0] == '/');
	ck_assert_int_eq(md_watch_in_dir(p, "in.c", out, sizeof out), 0);
	ck_assert_int_eq(md_watch_in_dir(p, "out.c", out, sizeof out), -1);
	ck_assert_int_eq(md_watch_in_dir(p, "../outside.c", out, sizeof out), -1);
	ck_assert_int_eq(md_watch_in_dir(p, "sub", out, sizeof out), -1);
	ck_assert_int_eq(md_watch_in_dir(p, "nope.c", out, sizeof out), -1);
	ck_assert_int_eq(md_watch_in_dir(p, "../les2", out, sizeof out), -1);

	/* The loader refuses a lesson whose run block watches a link out. */
	{
		struct md_lesson l;
		char md[PATH_MAX + 64];

		snprintf(md, sizeof md, "%s/les/lesson.md", d);
		ck_assert_ptr_nonnull(f = fopen(md, "w"));
		fputs("# T\n\nIntro.\n\n## S\n\nText.\n\n```run\nwatch out.c\n```\n", f);
		fclose(f);
		ck_assert_int_eq(md_lesson_load(&l, md, NULL, NULL), -1);
		ck_assert_msg(strstr(l.error, "lesson.md:10: watch: out.c is not a file of the "
		                     "lesson's folder") != NULL, "%s", l.error);
		md_lesson_free(&l);
		ck_assert_ptr_nonnull(f = fopen(md, "w"));
		fputs("# T\n\nIntro.\n\n## S\n\nText.\n\n```run\nwatch --runs 2 sub/two.c 3\n```\n", f);
		fclose(f);
		ck_assert_int_eq(md_lesson_load(&l, md, NULL, NULL), 0);
		md_lesson_free(&l);
		unlink(md);
	}
}
END_TEST

/* The shell's own options (--runs, the R key) go before PROGRAM; the
 * program's arguments are left alone, even one spelled like an option. */
START_TEST(test_watch_opts)
{
	struct demo d = {.board_fd = -1, .out_fd = -1};
	char *a[40], line[400];
	int n = words(a, "watch prog --runs 7");
	int sched[] = {1, 2, 1};

	demo_set_argv(&d, a, n);
	ck_assert_ptr_null(demo_get_opt(&d, "--runs"));
	demo_set_opt(&d, "--runs", "20");
	ck_assert_int_eq(d.argc, 6);
	ck_assert_str_eq(d.argv[1], "--runs");
	ck_assert_str_eq(d.argv[2], "20");
	ck_assert_str_eq(d.argv[3], "prog");
	ck_assert_str_eq(d.argv[4], "--runs");
	ck_assert_str_eq(d.argv[5], "7");
	ck_assert_ptr_null(d.argv[6]);
	ck_assert_str_eq(demo_get_opt(&d, "--runs"), "20");
	demo_set_opt(&d, "--runs", "3");
	ck_assert_int_eq(d.argc, 6);
	ck_assert_str_eq(d.argv[2], "3");
	/* The command that replays a schedule: --schedule before PROGRAM. */
	step_command_line(d.argv, d.argc, sched, 3, line, sizeof line);
	ck_assert_str_eq(line, "racelab-watch --runs 3 --schedule 1,2,1 prog --runs 7");
	demo_set_argv(&d, NULL, 0);
	free_words(a, n);
}
END_TEST

/* --watch's command line reads back as the same words, the program made
 * absolute; a missing program is refused. */
START_TEST(test_watch_cmdline)
{
	char bin[PATH_MAX + 8], err[300], cwd[PATH_MAX], **back, *line;
	const char *argv[] = {"watch", "tests/unit/check_watchview.c", "it's", "a \"b\"", ""};
	int n;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert((size_t)snprintf(bin, sizeof bin, "%s/bin", cwd) < sizeof bin);
	if (access("bin/racelab-watch", X_OK) != 0)
		return; /* racelab-watch is not built in this tree */
	line = watch_cmdline((char **)argv, 5, bin, err, sizeof err);
	ck_assert_msg(line != NULL, "%s", err);
	n = md_split_argv(line, &back, 32);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(back[0], "watch");
	ck_assert(back[1][0] == '/' && strstr(back[1], "/tests/unit/check_watchview.c"));
	ck_assert_str_eq(back[2], "it's");
	ck_assert_str_eq(back[3], "a \"b\"");
	ck_assert_str_eq(back[4], "");
	md_argv_free(back);
	free(line);
	argv[1] = "no/such/program";
	ck_assert_ptr_null(watch_cmdline((char **)argv, 2, bin, err, sizeof err));
	ck_assert_msg(strstr(err, "no/such/program: No such file") != NULL, "%s", err);
	ck_assert_ptr_null(watch_cmdline((char **)argv, 1, bin, err, sizeof err));
	ck_assert_msg(strstr(err, "no program") != NULL, "%s", err);
	/* A file that is neither executable nor .c. */
	argv[1] = "Makefile";
	ck_assert_ptr_null(watch_cmdline((char **)argv, 2, bin, err, sizeof err));
	ck_assert_msg(strstr(err, "not an executable") != NULL, "%s", err);
}
END_TEST

Suite *
suite_watchview(void)
{
	Suite *s = suite_create("watchview");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_unchecked_fixture(tc, scratch_make, scratch_remove);
	tcase_add_test(tc, test_watch_prog);
	tcase_add_test(tc, test_watch_words);
	tcase_add_test(tc, test_watch_in_dir);
	tcase_add_test(tc, test_watch_opts);
	tcase_add_test(tc, test_watch_cmdline);
	suite_add_tcase(s, tc);
	return s;
}
