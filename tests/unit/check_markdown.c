// CommonMark walking: a lesson.md as steps, blocks, run and quiz blocks;
// broken documents reported at their line; time linear in the size.
#include <check.h>

#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lesson/lesson.h"

START_TEST(test_lesson_steps)
{
	struct md_lesson l;
	const char *doc =
		"# The race\n\nIntro *text*.\n\n"
		"## First\n\nRead `balance`, then write.\n\n"
		"```run\nrace --workers 2 --sync 'none'\npanels: counters procs counters\n```\n\n"
		"## Second\n\n- a\n- b\n\n```quiz\nWhat ends?\n```\n\n"
		"```run\nracelab-race --iters 1\n```\n```run\nrace --runs 2\n```\n";

	ck_assert_int_eq(tu_parse_lesson(&l, doc), 0);
	ck_assert_str_eq(l.title, "The race");
	ck_assert_int_eq(l.nstep, 2);
	ck_assert_str_eq(l.step[0].title, "First");
	ck_assert_int_eq(l.step[0].line, 5);
	ck_assert_ptr_nonnull(l.step[0].run);
	ck_assert_int_eq(l.step[0].run->argc, 5);
	ck_assert_str_eq(l.step[0].run->argv[0], "race");
	ck_assert_str_eq(l.step[0].run->argv[4], "none");
	ck_assert_ptr_null(l.step[0].run->argv[5]);
	ck_assert_uint_eq(l.step[0].run->panels,
	                  1u << MD_PANEL_PROCS | 1u << MD_PANEL_COUNTERS);
	/* The order named is the priority; a panel named twice counts once. */
	ck_assert_int_eq(l.step[0].run->npanel_order, 2);
	ck_assert_int_eq(l.step[0].run->panel_order[0], MD_PANEL_COUNTERS);
	ck_assert_int_eq(l.step[0].run->panel_order[1], MD_PANEL_PROCS);
	ck_assert_int_eq(l.step[0].run->line, 9); /* the fence's line */
	ck_assert_str_eq(l.step[1].quiz, "What ends?");
	ck_assert_int_eq(l.step[1].nrun, 2);
	ck_assert_str_eq(l.step[1].runs[0]->argv[0], "race"); /* prefix dropped */
	ck_assert_str_eq(l.step[1].runs[1]->argv[2], "2");
	ck_assert_int_gt(l.intro.nblock, 0);
	md_lesson_free(&l);
}
END_TEST

/* Broken documents: the message and the line it is on. */
static const struct {
	const char *doc, *msg;
	int line;
} broken[] = {
	{"Just text\n\n## Step\n", "no title", 1},
	{"", "no title", 1},
	{"# T\n\n## S\n\n```run\nrace\n\ntext\n", "unterminated run block", 5},
	{"# T\n\n## S\n\n```c\ncode\n", "unterminated code block", 5},
	{"# T\n\n## S\n\n```run\nsh -c 'rm -rf /'\n```\n", "unknown program 'sh'", 6},
	{"# T\n\n## S\n\n```run\n../bin/race\n```\n", "unknown program", 6},
	{"# T\n\n## S\n\n```run\nrace --x 'oops\n```\n", "bad run line", 6},
	{"# T\n\n## S\n\n```run\nrace\npanels: procs nope\n```\n", "unknown panel 'nope'", 7},
	{"# T\n\n## S\n\n```run\n```\n", "empty run block", 5},
	{"# T\n\n## S\n\n```run\nrace\nrace\n```\n", "one command", 7},
	{"# T\n\n```run\nrace\n```\n", "before the first step", 3},
};

START_TEST(test_lesson_broken)
{
	struct md_lesson l;

	ck_assert_int_eq(tu_parse_lesson(&l, broken[_i].doc), -1);
	ck_assert_msg(strstr(l.error, broken[_i].msg), "case %d: '%s'", _i, l.error);
	ck_assert_int_eq(l.error_line, broken[_i].line);
	md_lesson_free(&l);
}
END_TEST


static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A document of about 1 MB made of one piece repeated. */
static char *
repeat(const char *head, const char *piece, size_t *len)
{
	size_t hn = strlen(head), pn = strlen(piece), n = hn;
	char *d = malloc((1 << 20) + hn + pn + 1);

	memcpy(d, head, hn);
	while (n < (1 << 20)) {
		memcpy(d + n, piece, pn);
		n += pn;
	}
	d[n] = '\0';
	*len = n;
	return d;
}

/* The shapes that made the old parser quadratic (a line number counted
 * from the top for every piece of text, a span grown byte by byte), each
 * 1 MB: parsed in well under a second of CPU (it took 63-66 s). */
static const struct {
	const char *head, *piece;
} big[] = {
	{"# Big\n\n", "## Step\n\nSome *text* and `code`, **bold**.\n\n```run\nrace\n"
	               "expect: final == expected\n```\n\n- item\n- two\n\n"},
	{"# Big\n\n## One paragraph\n\n", "word "},
	{"# Big\n\n## One line per word\n\n", "w\n"},
	{"# Big\n\n## Code\n\n", "    indented code line\n"},
	{"# Big\n\n## Table\n\n| a | b |\n|---|---|\n", "| x | y |\n"},
	{"# Big\n\n## Word\n\n", "x"},
};

START_TEST(test_parse_linear)
{
	struct md_lesson l;
	size_t len;
	char *d = repeat(big[_i].head, big[_i].piece, &len);
	double t0 = cpu_seconds(), dt;
	int r = md_lesson_parse(&l, d, len, tu_only_race, NULL);

	dt = cpu_seconds() - t0;
	ck_assert_msg(r == 0, "case %d: %s", _i, l.error);
	ck_assert_int_ge(l.nstep, 1);
	ck_assert_msg(dt < 0.5, "case %d: 1 MB parsed in %.2f s of CPU", _i, dt);
	md_lesson_free(&l);
	free(d);
}
END_TEST

/* Line numbers stay right deep into a document (the counter that
 * replaced the scan from the top must count every line once). */
START_TEST(test_parse_lines_far)
{
	struct md_lesson l;
	char *d = malloc(200000);
	size_t n = (size_t)sprintf(d, "# T\n\n## S\n\n");

	for (int i = 0; i < 5000; i++)
		n += (size_t)sprintf(d + n, "line %d\n\n", i);
	n += (size_t)sprintf(d + n, "```run\nrace\nexpect: final ==\n```\n");
	ck_assert_int_eq(md_lesson_parse(&l, d, n, tu_only_race, NULL), -1);
	ck_assert_int_eq(l.error_line, 4 + 2 * 5000 + 3); /* the expect: line */
	md_lesson_free(&l);
	free(d);
}
END_TEST

Suite *
suite_markdown(void)
{
	Suite *s = suite_create("markdown");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_lesson_steps);
	tcase_add_loop_test(tc, test_lesson_broken, 0,
	                    (int)(sizeof broken / sizeof broken[0]));
	tcase_add_test(tc, test_parse_lines_far);
	tcase_add_loop_test(tc, test_parse_linear, 0, (int)(sizeof big / sizeof big[0]));
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}
