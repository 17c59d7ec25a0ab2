// The layout arithmetic: panels sized by content, wrapping with a hanging
// indent, the status bar's keys.
#include <check.h>
#include <string.h>

#include "shell/shell.h"

static int
sum(const int *h, int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += h[i];
	return s;
}

/* Everyone gets what they want, the rest goes by weight. */
START_TEST(test_wants_then_weight)
{
	struct layout_want p[] = {{6, 8, 1}, {4, 7, 0}, {4, 4, 0}, {4, 6, 3}};
	int h[4];

	ck_assert_int_eq(layout_panels(p, 4, 38, h), 4);
	ck_assert_int_eq(h[1], 7); /* weight 0: exactly its want */
	ck_assert_int_eq(h[2], 4);
	/* 38 - (8+7+4+6) = 13 spare: 1/4 and 3/4 (13 = 3 + 9, remainder 1
	 * in priority order) */
	ck_assert_int_eq(h[0], 8 + 4);
	ck_assert_int_eq(h[3], 6 + 9);
	ck_assert_int_eq(sum(h, 4), 38);
}
END_TEST

/* Short of space: the mins, then the wants in priority order. */
START_TEST(test_wants_in_priority_order)
{
	struct layout_want p[] = {{6, 10, 1}, {4, 7, 0}, {4, 9, 2}};
	int h[3];

	/* mins 14, 6 more: the first takes 4 (all it wants), the second 2 */
	ck_assert_int_eq(layout_panels(p, 3, 20, h), 3);
	ck_assert_int_eq(h[0], 10);
	ck_assert_int_eq(h[1], 6);
	ck_assert_int_eq(h[2], 4);
	/* The order decides: the same panels, the locks-like one first. */
	{
		struct layout_want q[] = {{4, 7, 0}, {6, 10, 1}, {4, 9, 2}};

		layout_panels(q, 3, 20, h);
		ck_assert_int_eq(h[0], 7);
		ck_assert_int_eq(h[1], 9);
		ck_assert_int_eq(h[2], 4);
	}
}
END_TEST

/* Mins that do not fit: the lowest priority is dropped, never squeezed. */
START_TEST(test_drop_lowest)
{
	struct layout_want p[] = {{6, 6, 1}, {10, 12, 2}, {4, 5, 0}, {4, 4, 2}};
	int h[4];

	ck_assert_int_eq(layout_panels(p, 4, 22, h), 3);
	ck_assert_int_eq(h[3], 0);
	ck_assert_int_eq(h[0], 6);
	ck_assert_int_eq(h[1], 12);
	ck_assert_int_eq(h[2], 4);
	ck_assert_int_eq(sum(h, 4), 22);
	ck_assert_int_eq(layout_panels(p, 4, 5, h), 0);
	ck_assert_int_eq(sum(h, 4), 0);
	/* No weight anywhere: the spare lines still go somewhere. */
	{
		struct layout_want q[] = {{4, 4, 0}, {4, 5, 0}};

		ck_assert_int_eq(layout_panels(q, 2, 20, h), 2);
		ck_assert_int_eq(sum(h, 2), 20);
		ck_assert_int_eq(h[1], 5);
	}
}
END_TEST

/* A projector, 80x24: 22 lines for the panels.  The deadlock lesson in
 * step mode (procs step locks output, 3 actors, 2 locks): the Locks panel
 * must get its header and both locks, whatever the panels above want. */
START_TEST(test_projector)
{
	const struct shell_panel *ps[] = {&panel_procs, &panel_step, &panel_locks,
	                                  &panel_output};
	/* Rows of content each would show: procs a header and 3 actors; step
	 * the schedule, its hint, the last step, 2 workers; locks a header and
	 * 2 locks; output far more than fits. */
	int content[] = {4, 5, 3, 40}, h[4];
	struct layout_want p[4];

	for (int i = 0; i < 4; i++) {
		p[i].min = ps[i]->min_h;
		p[i].want = content[i] + 2 > p[i].min ? content[i] + 2 : p[i].min;
		p[i].weight = ps[i]->weight;
	}
	ck_assert_int_eq(layout_panels(p, 4, 22, h), 4);
	ck_assert_int_ge(h[2] - 2, 3); /* a and b, under the header */
	ck_assert_int_ge(h[0] - 2, 4); /* every actor */
	ck_assert_int_eq(sum(h, 4), 22);
}
END_TEST

static void
rows_are(const char *s, int width, int indent, const char *const *want, int n)
{
	struct layout_row r[16];
	int got = layout_wrap(s, width, indent, r, 16);

	ck_assert_int_eq(got, n);
	for (int i = 0; i < n; i++) {
		char buf[128];

		snprintf(buf, sizeof buf, "%.*s", r[i].len, s + r[i].off);
		ck_assert_str_eq(buf, want[i]);
		ck_assert_int_le(md_strwidth(buf), i ? width - indent : width);
	}
}

START_TEST(test_wrap)
{
	static const char *const a[] = {"hash: 8 files, pool", "158 ms; sha256(\"abc\")",
	                                "correct"};
	static const char *const b[] = {"abcdefghij", "klmnopqr", "stuvwxyz"};
	static const char *const c[] = {"short"};
	static const char *const d[] = {"é é é", "é é"};
	static const char *const e[] = {""};

	rows_are("hash: 8 files, pool 158 ms; sha256(\"abc\") correct", 21, 0, a, 3);
	/* A word wider than a row is cut across rows, the rest keeps the
	 * hanging indent's narrower room. */
	rows_are("abcdefghijklmnopqrstuvwxyz", 10, 2, b, 3);
	rows_are("short", 10, 2, c, 1);
	/* Columns, not bytes. */
	rows_are("é é é é é", 6, 2, d, 2);
	rows_are("", 10, 2, e, 1);
	/* An indented line does not break in its indentation. */
	{
		static const char *const f[] = {"  abcdefgh", "ijkl mn"};

		rows_are("  abcdefghijkl mn", 10, 1, f, 2);
	}
	/* Fewer rows kept than needed: the count still says how many. */
	{
		struct layout_row r[1];

		ck_assert_int_eq(layout_wrap("one two three four", 5, 1, r, 1), 5);
		ck_assert_int_eq(r[0].len, 3);
	}
}
END_TEST

START_TEST(test_keys)
{
	const char *keys = "Enter run  R x20  Space freeze  s step  l sync  ? help  q back";
	char out[200];

	layout_keys(keys, 200, out, sizeof out);
	ck_assert_str_eq(out, keys);
	/* Narrow: keys drop whole, from the least important, "? help" stays. */
	layout_keys(keys, 30, out, sizeof out);
	ck_assert_str_eq(out, "Enter run  R x20  ? help");
	ck_assert_int_le((int)strlen(out), 30);
	layout_keys(keys, 8, out, sizeof out);
	ck_assert_str_eq(out, "? help");
	/* A later, shorter key still fits where a longer one did not. */
	layout_keys(keys, 34, out, sizeof out);
	ck_assert_str_eq(out, "Enter run  R x20  s step  ? help");
	layout_words("racelab-race exited 0 after 0.2 s", 24, out, sizeof out);
	ck_assert_str_eq(out, "racelab-race exited 0");
	layout_words("averyveryverylongword and", 10, out, sizeof out);
	ck_assert_str_eq(out, "");
	layout_words("fits", 10, out, sizeof out);
	ck_assert_str_eq(out, "fits");
}
END_TEST

/* The results area: lines from whoever has something to say, each
 * wrapped whole, counted before they are drawn. */
START_TEST(test_results)
{
	results_begin();
	ck_assert_int_eq(results_count(), 0);
	ck_assert_int_eq(results_rows(30), 0);
	results_add(COL_NORMAL, "Prediction", "%d", 101);
	results_add(COL_WARN, "Verdict", "not this one; answer: %d) %s", 2,
	            "1, 2, 3, 4, 5: the order they finish");
	ck_assert_int_eq(results_count(), 2);
	/* "Verdict: not this one; answer: 2) 1, 2, 3, 4, 5: the order they
	 * finish" is 67 columns: 3 rows of 30 (continuations 21 wide under
	 * the label), and one row for the prediction. */
	ck_assert_int_eq(results_rows(30), 1 + 3);
	ck_assert_int_eq(results_rows(200), 2);
	results_begin();
	ck_assert_int_eq(results_count(), 0);
}
END_TEST

Suite *suite_layout(void);

Suite *
suite_layout(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_wants_then_weight);
	tcase_add_test(tc, test_wants_in_priority_order);
	tcase_add_test(tc, test_drop_lowest);
	tcase_add_test(tc, test_projector);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_results);
	suite_add_tcase(s, tc);
	return s;
}
