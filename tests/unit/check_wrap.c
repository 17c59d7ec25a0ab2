// Text wrapping: every line fits its width, and no character is lost,
// code lines included (they continue after a mark); linear time.
#include <check.h>

#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lesson/wrap.h"

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

	ck_assert_int_eq(tu_parse_lesson(&l, doc), 0);
	md_wrap(&l.step[0], width, &t);
	ck_assert_int_gt(t.nline, 5);
	for (int i = 0; i < t.nline; i++) {
		int w = t.line[i].indent;

		for (int j = 0; j < t.line[i].nseg; j++)
			w += md_strwidth(t.line[i].seg[j].text);
		ck_assert_msg(w <= width, "line %d is %d wide", i, w);
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


/* A word longer than a line is cut after a hyphen when one fits, not
 * mid-word: racelab-readers-writers in a 20-column projector text column. */
START_TEST(test_wrap_hyphen)
{
	struct md_lesson l;
	struct md_text t;
	const char *doc = "# T\n\n## S\n\nRun racelab-readers-writers now.\n";
	char line[8][64] = {""};
	int k = -1;

	ck_assert_int_eq(tu_parse_lesson(&l, doc), 0);
	md_wrap(&l.step[0], 20, &t);
	for (int i = 0; i < t.nline && i < 8; i++) {
		for (int j = 0; j < t.line[i].nseg; j++)
			strcat(line[i], t.line[i].seg[j].text);
		if (k < 0 && strncmp(line[i], "Run", 3) == 0)
			k = i;
	}
	ck_assert_int_ge(k, 0);
	ck_assert_int_lt(k, 7);
	ck_assert_str_eq(line[k], "Run racelab-readers-");
	ck_assert_str_eq(line[k + 1], "writers now.");
	md_text_free(&t);
	md_lesson_free(&l);
}
END_TEST

/* s without its blanks, into buf. */
static const char *
squeeze(char *buf, const char *s)
{
	char *o = buf;

	for (; *s; s++)
		if (*s != ' ')
			*o++ = *s;
	*o = '\0';
	return buf;
}

/* A code line wider than the pane: every character is on some line, in
 * order, each continuation starts with the mark, and every line fits. */
START_TEST(test_wrap_code)
{
	static const int widths[] = {8, 9, 20, 37, 80};
	const char *code = "    img = img.filter(ImageFilter.GaussianBlur)   blur()      "
	                   "images.c: blur() \xe4\xb8\xad\xe6\x96\x87 end";
	char doc[512];
	struct md_lesson l;

	snprintf(doc, sizeof doc, "# T\n\n## S\n\n%s\n\n- a list\n", code);
	ck_assert_int_eq(tu_parse_lesson(&l, doc), 0);
	for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
		struct md_text t;
		char all[512] = "", sa[512], sb[512];
		int code_lines = 0, marks = 0;

		md_wrap(&l.step[0], widths[k], &t);
		for (int i = 0; i < t.nline; i++) {
			const struct md_line *ln = &t.line[i];
			int w = ln->indent;
			bool code_line = false;

			for (int j = 0; j < ln->nseg; j++) {
				w += md_strwidth(ln->seg[j].text);
				if (ln->seg[j].attr & MDL_CODE) {
					strcat(all, ln->seg[j].text);
					code_line = true;
				}
			}
			if (ln->nseg && (strcmp(ln->seg[0].text, MD_WRAP_MARK) == 0 ||
			                 strcmp(ln->seg[0].text, MD_WRAP_MARK_ASCII) == 0)) {
				marks++;
				ck_assert(ln->seg[0].attr & MDL_DIM);
				ck_assert_int_eq(ln->nseg, 2);
				ck_assert(ln->seg[1].attr & MDL_CODE);
			}
			code_lines += code_line;
			ck_assert_msg(w <= widths[k], "width %d: line %d is %d wide", widths[k], i, w);
		}
		/* One line of code: every line after its first continues it. */
		ck_assert_int_eq(marks, code_lines - 1);
		/* All of the code, in order, minus the block's indentation; only
		 * the blanks where a line breaks may go. */
		if (code_lines == 1)
			ck_assert_str_eq(all, code + 4);
		ck_assert_str_eq(squeeze(sa, all), squeeze(sb, code + 4));
		if (widths[k] < 60)
			ck_assert_int_gt(code_lines, 1);
		md_text_free(&t);
	}
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

/* One 1 MB word and one 1 MB code line: wrapped in well under a second
 * (cutting a word by copying the rest of it each time was quadratic). */
START_TEST(test_wrap_linear)
{
	const char *heads[] = {"# T\n\n## S\n\n", "# T\n\n## S\n\n    "};
	size_t n = 1 << 20;
	char *d = malloc(n + 64);
	struct md_lesson l;
	struct md_text t;
	double t0;
	size_t h = strlen(heads[_i]);

	memcpy(d, heads[_i], h);
	memset(d + h, 'x', n);
	d[h + n] = '\n';
	d[h + n + 1] = '\0';
	ck_assert_int_eq(md_lesson_parse(&l, d, h + n + 1, tu_only_race, NULL), 0);
	t0 = cpu_seconds();
	md_wrap(&l.step[0], 100, &t);
	ck_assert_msg(cpu_seconds() - t0 < 0.5, "%.2f s", cpu_seconds() - t0);
	ck_assert_int_ge(t.nline, (int)(n / 100));
	md_text_free(&t);
	md_lesson_free(&l);
	free(d);
}
END_TEST

Suite *
suite_wrap(void)
{
	Suite *s = suite_create("wrap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_wrap_width);
	tcase_add_test(tc, test_wrap_code);
	tcase_add_test(tc, test_wrap_hyphen);
	tcase_add_loop_test(tc, test_wrap_linear, 0, 2);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}
