// Large digits for the projector layout: a 3x5 font of whole cells, each
// ink cell the sparklines' full block (term_spark(7): U+2588, or '#' in
// ASCII), scaled sx columns by sy rows a pixel.  Rendering is pure (rows
// of text, unit-tested); big_draw puts them in a window.
#include "shell/shell.h"

#include <string.h>

/* '0'-'9' then '-': five rows of three pixels, '#' ink. */
static const char *const glyph[11][BIG_ROWS] = {
	{"###", "#.#", "#.#", "#.#", "###"}, /* 0 */
	{".#.", "##.", ".#.", ".#.", "###"}, /* 1 */
	{"###", "..#", "###", "#..", "###"}, /* 2 */
	{"###", "..#", ".##", "..#", "###"}, /* 3 */
	{"#.#", "#.#", "###", "..#", "..#"}, /* 4 */
	{"###", "#..", "###", "..#", "###"}, /* 5 */
	{"###", "#..", "###", "#.#", "###"}, /* 6 */
	{"###", "..#", "..#", "..#", "..#"}, /* 7 */
	{"###", "#.#", "###", "#.#", "###"}, /* 8 */
	{"###", "#.#", "###", "..#", "###"}, /* 9 */
	{"...", "...", "###", "...", "..."}, /* - */
};

static int
big_gap(int sx)
{
	return (sx + 1) / 2;
}

static int
glyph_of(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	return ch == '-' ? 10 : -1;
}

int
big_width(const char *s, int sx)
{
	int n = (int)strlen(s);

	if (n == 0 || sx < 1)
		return 0;
	for (int i = 0; i < n; i++)
		if (glyph_of(s[i]) < 0)
			return -1;
	/* Glyphs BIG_COLS pixels wide, half a pixel of gap between them
	 * (one column at least): wide enough to tell them apart. */
	return n * BIG_COLS * sx + (n - 1) * big_gap(sx);
}

int
big_height(int sy)
{
	return sy < 1 ? 0 : BIG_ROWS * sy;
}

size_t
big_row(const char *s, int sx, int sy, bool ascii, int r, char *out, size_t n)
{
	const char *ink = ascii ? "#" : "\u2588";
	size_t ik = strlen(ink), o = 0;
	int w = big_width(s, sx);

	if (n == 0)
		return 0;
	out[0] = '\0';
	if (w <= 0 || r < 0 || r >= big_height(sy))
		return 0;
	for (int i = 0; s[i]; i++) {
		const char *px = glyph[glyph_of(s[i])][r / sy];

		for (int c = 0; c < BIG_COLS * sx + (s[i + 1] ? big_gap(sx) : 0); c++) {
			bool on = c < BIG_COLS * sx && px[c / sx] == '#';
			size_t k = on ? ik : 1;

			if (o + k + 1 > n)
				goto cut; /* whole cells only, NUL-ended */
			memcpy(out + o, on ? ink : " ", k);
			o += k;
		}
	}
cut:
	out[o] = '\0';
	return o;
}

/* The scales, largest first: a pixel two columns wide per row is about
 * square in a terminal cell (twice as high as wide). */
static const int scales[][2] = {{4, 2}, {3, 2}, {2, 1}, {1, 1}};

bool
big_fit(const char *s, int cols, int rows, int *sx, int *sy)
{
	for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++) {
		int w = big_width(s, scales[i][0]);

		if (w > 0 && w <= cols && big_height(scales[i][1]) <= rows) {
			*sx = scales[i][0];
			*sy = scales[i][1];
			return true;
		}
	}
	return false;
}

void
big_draw(WINDOW *w, int y, int x, const char *s, int sx, int sy, attr_t a)
{
	char row[2048];

	for (int r = 0; r < big_height(sy); r++) {
		big_row(s, sx, sy, shell_cfg.ascii, r, row, sizeof row);
		term_put(w, y + r, x, big_width(s, sx), a, row);
	}
}
