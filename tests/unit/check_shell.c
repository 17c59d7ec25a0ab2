// The shell's pure logic: lesson.md parsing and wrapping, run-line
// splitting, the progress file format, /proc parsing.
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "shell/md.h"
#include "shell/procfs.h"
#include "shell/shell.h"

static bool
only_race(const char *slug, void *ctx)
{
	(void)ctx;
	return strcmp(slug, "race") == 0;
}

static int
parse(struct md_lesson *l, const char *text)
{
	return md_lesson_parse(l, text, strlen(text), only_race, NULL);
}

START_TEST(test_lesson_steps)
{
	struct md_lesson l;
	const char *doc =
		"# The race\n\nIntro *text*.\n\n"
		"## First\n\nRead `balance`, then write.\n\n"
		"```run\nrace --workers 2 --sync 'none'\npanels: procs counters\n```\n\n"
		"## Second\n\n- a\n- b\n\n```quiz\nWhat ends?\n```\n\n"
		"```run\nracelab-race --iters 1\n```\n```run\nrace --runs 2\n```\n";

	ck_assert_int_eq(parse(&l, doc), 0);
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

	ck_assert_int_eq(parse(&l, broken[_i].doc), -1);
	ck_assert_msg(strstr(l.error, broken[_i].msg), "case %d: '%s'", _i, l.error);
	ck_assert_int_eq(l.error_line, broken[_i].line);
	md_lesson_free(&l);
}
END_TEST

START_TEST(test_split_argv)
{
	char **v;

	ck_assert_int_eq(md_split_argv("  a  'b c' \"d'e\" f\"g h\"  ", &v, 8), 4);
	ck_assert_str_eq(v[0], "a");
	ck_assert_str_eq(v[1], "b c");
	ck_assert_str_eq(v[2], "d'e");
	ck_assert_str_eq(v[3], "fg h");
	ck_assert_ptr_null(v[4]);
	md_argv_free(v);
	/* No shell: metacharacters are plain text. */
	ck_assert_int_eq(md_split_argv("race ; rm $HOME `x`", &v, 8), 5);
	ck_assert_str_eq(v[1], ";");
	ck_assert_str_eq(v[3], "$HOME");
	md_argv_free(v);
	ck_assert_int_eq(md_split_argv("a 'b", &v, 8), -1);
	ck_assert_int_eq(md_split_argv("a b c", &v, 2), -1);
	ck_assert_int_eq(md_split_argv("   ", &v, 2), 0);
	md_argv_free(v);
	ck_assert(md_slug_valid("race"));
	ck_assert(md_slug_valid("threads-vs-processes"));
	ck_assert(!md_slug_valid("../race"));
	ck_assert(!md_slug_valid("Race"));
	ck_assert(!md_slug_valid("-x"));
	ck_assert(!md_slug_valid(""));
}
END_TEST

/* Every wrapped line fits, and no word is lost. */
START_TEST(test_wrap_width)
{
	struct md_lesson l;
	struct md_text t;
	const char *doc =
		"# T\n\n## S\n\nA **bold** word, `code span`, and a verylongwordthatcannotfitanywhere "
		"in one line of twenty columns; \xc3\xa9t\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87.\n\n"
		"1. one\n2. two and more words here\n\n    indented code\n";
	int width = 20;

	ck_assert_int_eq(parse(&l, doc), 0);
	md_wrap(&l.step[0], width, &t);
	ck_assert_int_gt(t.nline, 5);
	for (int i = 0; i < t.nline; i++) {
		int w = t.line[i].indent;

		for (int j = 0; j < t.line[i].nseg; j++)
			w += md_strwidth(t.line[i].seg[j].text);
		ck_assert_msg(w <= width || (t.line[i].nseg == 1 && t.line[i].seg[0].attr & MDL_CODE),
		              "line %d is %d wide", i, w);
	}
	{
		char all[2048] = "";

		for (int i = 0; i < t.nline; i++)
			for (int j = 0; j < t.line[i].nseg; j++)
				strcat(all, t.line[i].seg[j].text);
		ck_assert_ptr_nonnull(strstr(all, "bold"));
		ck_assert_ptr_nonnull(strstr(all, "1."));
		ck_assert_ptr_nonnull(strstr(all, "indented code"));
	}
	md_text_free(&t);
	md_lesson_free(&l);
	ck_assert_int_eq(md_strwidth("\xe4\xb8\xad"), 2);
	ck_assert_int_eq(md_strwidth("\xc3\xa9"), 1);
	ck_assert_uint_eq(md_fit("\xe4\xb8\xad\xe6\x96\x87", 3), 3);
}
END_TEST

START_TEST(test_progress_format)
{
	struct progress p, q;
	char buf[1024];

	memset(&p, 0, sizeof p);
	progress_mark(&p, "race", 0);
	progress_mark(&p, "race", 2);
	progress_mark(&p, "locks", 63);
	progress_mark(&p, "locks", 64); /* out of range: ignored */
	snprintf(p.last, sizeof p.last, "race");
	p.last_step = 2;
	ck_assert_int_gt(progress_format(&p, buf, sizeof buf), 0);
	ck_assert_int_eq(progress_parse(&q, buf), 0);
	ck_assert_int_eq(q.n, 2);
	ck_assert_str_eq(q.last, "race");
	ck_assert_int_eq(q.last_step, 2);
	ck_assert_uint_eq(q.rec[0].seen, 5);
	ck_assert_uint_eq(q.rec[1].seen, 1ull << 63);
	/* Garbage and hostile names are skipped. */
	progress_parse(&q, "junk\nseen ../x 3\nlast ../../etc 1\nseen ok 9\n");
	ck_assert_int_eq(q.n, 1);
	ck_assert_str_eq(q.rec[0].slug, "ok");
	ck_assert_str_eq(q.last, "");
}
END_TEST

START_TEST(test_procfs_parse)
{
	struct procfs_stat s;
	/* A command name with spaces and a ')' in it. */
	const char *stat = "1234 (racelab (x) y) T 1200 1234 1100 0 -1 4194560 100 0 0 0 "
	                   "250 50 0 0 20 0 3 0 1000 1000000 100 18446744073709551615 "
	                   "1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

	ck_assert_int_eq(procfs_parse_stat(stat, &s), 0);
	ck_assert_int_eq(s.state, 'T');
	ck_assert_int_eq(s.ppid, 1200);
	ck_assert_uint_eq(s.ticks, 300);
	ck_assert_int_eq(s.cpu, 1);
	ck_assert_int_eq(procfs_parse_stat("garbage", &s), -1);
	procfs_parse_status("Name:\tx\nvoluntary_ctxt_switches:\t42\n"
	                    "nonvoluntary_ctxt_switches:\t7\n", &s);
	ck_assert_int_eq(s.vcsw, 42);
	ck_assert_int_eq(s.ivcsw, 7);
	/* Our own task, for real. */
	ck_assert_int_eq(procfs_read(getpid(), getpid(), &s), 0);
	ck_assert_int_eq(s.state, 'R');
	ck_assert_int_eq(s.ppid, getppid());
}
END_TEST

Suite *suite_shell(void);

Suite *
suite_shell(void)
{
	Suite *s = suite_create("shell");
	TCase *tc = tcase_create("lesson.md");

	tcase_add_test(tc, test_lesson_steps);
	tcase_add_loop_test(tc, test_lesson_broken, 0,
	                    (int)(sizeof broken / sizeof broken[0]));
	tcase_add_test(tc, test_split_argv);
	tcase_add_test(tc, test_wrap_width);
	suite_add_tcase(s, tc);
	tc = tcase_create("state");
	tcase_add_test(tc, test_progress_format);
	tcase_add_test(tc, test_procfs_parse);
	suite_add_tcase(s, tc);
	return s;
}
