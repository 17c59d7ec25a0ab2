// The projector layout's pure parts: the big-digit renderer (every glyph,
// both fonts, every scale), the projector layout, the "hidden:" line.
#include <check.h>
#include <string.h>

#include "shell/shell.h"

/* The font as a person draws it, written out here apart from the one in
 * bigdigits.c: '0'-'9', then '-'. */
static const char *const want_glyph[11][5] = {
	{"###", "# #", "# #", "# #", "###"}, {" # ", "## ", " # ", " # ", "###"},
	{"###", "  #", "###", "#  ", "###"}, {"###", "  #", " ##", "  #", "###"},
	{"# #", "# #", "###", "  #", "  #"}, {"###", "#  ", "###", "  #", "###"},
	{"###", "#  ", "###", "# #", "###"}, {"###", "  #", "  #", "  #", "  #"},
	{"###", "# #", "###", "# #", "###"}, {"###", "# #", "###", "  #", "###"},
	{"   ", "   ", "###", "   ", "   "},
};

/* s with each '#' as U+2588: the Unicode font is the ASCII one inked. */
static void
inked(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s && o + 4 < n; s++) {
		if (*s == '#') {
			memcpy(out + o, "\u2588", 3);
			o += 3;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

/* Every digit and '-', at both fonts and every scale: its width and
 * height, and each row the pattern above scaled (sx columns, sy rows a
 * pixel). */
START_TEST(test_every_glyph)
{
	static const int sc[][2] = {{1, 1}, {2, 1}, {3, 2}, {4, 2}};
	const char *chars = "0123456789-";

	for (int g = 0; g < 11; g++)
		for (size_t k = 0; k < sizeof sc / sizeof sc[0]; k++)
			for (int ascii = 0; ascii < 2; ascii++) {
				int sx = sc[k][0], sy = sc[k][1];
				char s[2] = {chars[g], '\0'};

				ck_assert_int_eq(big_width(s, sx), 3 * sx);
				ck_assert_int_eq(big_height(sy), 5 * sy);
				for (int r = 0; r < 5 * sy; r++) {
					char got[256], px[64], want[256];
					size_t o = 0;

					for (int c = 0; c < 3; c++)
						for (int i = 0; i < sx; i++)
							px[o++] = want_glyph[g][r / sy][c];
					px[o] = '\0';
					if (ascii)
						snprintf(want, sizeof want, "%s", px);
					else
						inked(px, want, sizeof want);
					big_row(s, sx, sy, ascii, r, got, sizeof got);
					ck_assert_msg(strcmp(got, want) == 0,
					              "'%c' sx %d sy %d %s row %d: [%s], want [%s]",
					              chars[g], sx, sy, ascii ? "ascii" : "utf-8", r,
					              got, want);
				}
				/* No row past the glyph's height. */
				{
					char got[64] = "x";

					ck_assert_uint_eq(big_row(s, sx, sy, ascii, 5 * sy, got, sizeof got), 0);
					ck_assert_str_eq(got, "");
				}
			}
}
END_TEST

/* Glyphs side by side, a gap of half a pixel (one column at least)
 * between them, none after the last; no two glyphs alike. */
START_TEST(test_strings)
{
	char got[256];

	ck_assert_int_eq(big_width("-10", 1), 3 * 3 + 2);
	ck_assert_int_eq(big_width("-10", 2), 3 * 6 + 2);
	ck_assert_int_eq(big_width("-10", 4), 3 * 12 + 2 * 2);
	ck_assert_int_eq(big_width("", 2), 0);
	ck_assert_int_eq(big_width("1.5", 1), -1); /* no glyph for '.' */
	ck_assert_int_eq(big_width("12/s", 1), -1);
	big_row("-10", 1, 1, true, 0, got, sizeof got);
	ck_assert_str_eq(got, "     #  ###");
	big_row("-10", 1, 1, true, 2, got, sizeof got);
	ck_assert_str_eq(got, "###  #  # #");
	big_row("-10", 2, 1, true, 4, got, sizeof got);
	ck_assert_str_eq(got, "       ###### ######");
	ck_assert_uint_eq(big_row("1.5", 1, 1, true, 0, got, sizeof got), 0);
	/* A buffer too small cuts whole cells, NUL-ended. */
	ck_assert_uint_eq(big_row("888", 1, 1, false, 0, got, 8), 6);
	ck_assert_str_eq(got, "\u2588\u2588");
	for (int a = 0; a < 11; a++)
		for (int b = a + 1; b < 11; b++) {
			char sa[2] = {"0123456789-"[a], 0}, sb[2] = {"0123456789-"[b], 0};
			bool same = true;

			for (int r = 0; r < 5; r++) {
				char ra[32], rb[32];

				big_row(sa, 1, 1, true, r, ra, sizeof ra);
				big_row(sb, 1, 1, true, r, rb, sizeof rb);
				same &= strcmp(ra, rb) == 0;
			}
			ck_assert_msg(!same, "'%s' and '%s' look alike", sa, sb);
		}
}
END_TEST

/* The largest scale that fits, and none when nothing does. */
START_TEST(test_fit)
{
	int sx = 0, sy = 0;

	ck_assert(big_fit("100", 80, 20, &sx, &sy));
	ck_assert_int_eq(sx, 4);
	ck_assert_int_eq(sy, 2);
	ck_assert(big_fit("-596659", 48, 5, &sx, &sy)); /* 80x24's column */
	ck_assert_int_eq(sx, 2);
	ck_assert_int_eq(sy, 1);
	ck_assert(big_fit("-596659", 47, 20, &sx, &sy));
	ck_assert_int_eq(sx, 1);
	ck_assert(!big_fit("-596659", 26, 20, &sx, &sy));
	ck_assert(!big_fit("100", 80, 4, &sx, &sy)); /* under five rows */
	ck_assert(!big_fit("", 80, 20, &sx, &sy));
}
END_TEST

/* The layout at 80x24, 60x20 and 120x40: what goes where. */
START_TEST(test_layout)
{
	struct layout_want p[3] = {{8, 8, 0}, {5, 6, 1}, {5, 9, 2}};
	struct layout_proj o;

	/* 80x24: text on the left, two panels on the right (the third
	 * hidden), the "hidden:" row above the status bar. */
	ck_assert_int_eq(layout_projector(80, 24, true, p, 3, &o), 2);
	ck_assert_int_eq(o.text.x, 0);
	ck_assert_int_eq(o.text.y, 1);
	ck_assert_int_eq(o.text.h, 21);
	ck_assert_int_eq(o.text.w, 30);
	ck_assert_int_eq(o.pan[0].x, 30);
	ck_assert_int_eq(o.pan[0].w, 50);
	ck_assert_int_eq(o.pan[0].h, 8);
	ck_assert_int_eq(o.pan[1].y, 9);
	ck_assert_int_eq(o.pan[1].h, 21 - 8); /* the spare rows by weight */
	ck_assert_int_eq(o.pan[2].h, 0);
	ck_assert_int_eq(o.hidden.y, 22);
	ck_assert_int_eq(layout_proj_width(80, true), 50);
	/* 60x20: stacked; the text keeps PROJ_TEXT_MIN rows, so only the
	 * first panel fits, at its want; the text takes the rest. */
	ck_assert_int_eq(layout_projector(60, 20, true, p, 3, &o), 1);
	ck_assert_int_eq(o.pan[0].y, 1);
	ck_assert_int_eq(o.pan[0].w, 60);
	ck_assert_int_eq(o.pan[0].h, 8);
	ck_assert_int_eq(o.text.y, 9);
	ck_assert_int_eq(o.text.h, 20 - 3 - 8);
	ck_assert_int_ge(o.text.h, PROJ_TEXT_MIN);
	ck_assert_int_eq(o.text.w, 60);
	ck_assert_int_eq(o.hidden.y, 18);
	/* 120x40: three panels, all the rows between title and hidden. */
	ck_assert_int_eq(layout_projector(120, 40, true, p, 3, &o), 3);
	ck_assert_int_eq(o.text.w, 44);
	ck_assert_int_eq(o.pan[0].h + o.pan[1].h + o.pan[2].h, 37);
	ck_assert_int_eq(o.pan[2].y + o.pan[2].h, 38);
	/* No text (--run): the panels take the width and the rows. */
	ck_assert_int_eq(layout_projector(60, 20, false, p, 3, &o), 2);
	ck_assert_int_eq(o.text.h, 0);
	ck_assert_int_eq(o.pan[0].h + o.pan[1].h, 17);
}
END_TEST

START_TEST(test_hidden)
{
	char out[128];
	unsigned m = 1u << MD_PANEL_TIMELINE | 1u << MD_PANEL_OUTPUT;

	proj_hidden(m, 78, false, out, sizeof out);
	ck_assert_str_eq(out, "hidden: timeline, output \u2014 P shows all");
	proj_hidden(m, 78, true, out, sizeof out);
	ck_assert_str_eq(out, "hidden: timeline, output - P shows all");
	/* Narrow: the first names and how many more, then how many, then
	 * only the key; never a word cut. */
	proj_hidden(m | 1u << MD_PANEL_HISTOGRAM, 45, true, out, sizeof out);
	ck_assert_str_eq(out, "hidden: timeline, +2 more - P shows all");
	proj_hidden(m, 30, true, out, sizeof out);
	ck_assert_str_eq(out, "2 hidden - P shows all");
	proj_hidden(m, 12, true, out, sizeof out);
	ck_assert_str_eq(out, "P shows all");
	ck_assert_uint_eq(proj_hidden(m, 5, true, out, sizeof out), 0);
	ck_assert_uint_eq(proj_hidden(0, 78, true, out, sizeof out), 0);
	proj_hidden(1u << MD_PANEL_PROCS | PROJ_HIDE_TEXT, 78, true, out, sizeof out);
	ck_assert_str_eq(out, "hidden: text, procs - P shows all");
}
END_TEST

Suite *suite_bigdigits(void);

Suite *
suite_bigdigits(void)
{
	Suite *s = suite_create("bigdigits");
	TCase *tc = tcase_create("bigdigits");

	tcase_add_test(tc, test_every_glyph);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_fit);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_hidden);
	suite_add_tcase(s, tc);
	return s;
}
