// Layout arithmetic, apart from curses so the unit tests can drive it:
// panels sized by their content, a line wrapped into rows, and the status
// bar's keys fitted to the terminal's width.
#include "shell/shell.h"

#include <string.h>

int
layout_panels(const struct layout_want *p, int n, int avail, int *h)
{
	int keep = n, sum = 0, left, wsum = 0, share;

	/* When even the minimums do not fit, the lowest priority goes. */
	for (int i = 0; i < n; i++)
		sum += p[i].min;
	while (keep > 0 && sum > avail)
		sum -= p[--keep].min;
	for (int i = 0; i < n; i++)
		h[i] = i < keep ? p[i].min : 0;
	left = avail - sum;
	/* Then, in priority order, the rows each would fill now. */
	for (int i = 0; i < keep && left > 0; i++) {
		int more = p[i].want - h[i];

		if (more > left)
			more = left;
		if (more > 0) {
			h[i] += more;
			left -= more;
		}
	}
	/* What is left nobody needs now: shared by weight, so a panel that
	 * can use spare rows (scrollback, source) gets them; the remainder
	 * of the division goes one row each in priority order. */
	for (int i = 0; i < keep; i++)
		wsum += p[i].weight > 0 ? p[i].weight : 0;
	if (left <= 0 || keep == 0)
		return keep;
	if (wsum == 0) {
		h[0] += left; /* no panel asked for spare rows: the first takes them */
		return keep;
	}
	share = left;
	for (int i = 0; i < keep; i++)
		if (p[i].weight > 0) {
			int add = share * p[i].weight / wsum;

			h[i] += add;
			left -= add;
		}
	for (int i = 0; left > 0; i = (i + 1) % keep)
		if (p[i].weight > 0) {
			h[i]++;
			left--;
		}
	return keep;
}

int
layout_wrap(const char *s, int width, int indent, struct layout_row *rows, int max)
{
	int n = 0, off = 0, len = (int)strlen(s);

	if (width < 1)
		width = 1;
	if (indent > width - 1)
		indent = width - 1;
	if (indent < 0)
		indent = 0;
	do {
		int room = n == 0 ? width : width - indent;
		int fit = (int)md_fit(s + off, room), cut = fit;

		if (off + fit < len) {
			int lead = 0;

			/* Break after the last space in reach that follows a
			 * word (an indented line's leading blanks are not a
			 * place to break); none: a word longer than a row is
			 * cut where the row ends. */
			while (lead < fit && s[off + lead] == ' ')
				lead++;
			for (int k = fit; k > lead + 1; k--)
				if (s[off + k - 1] == ' ') {
					cut = k;
					break;
				}
			if (s[off + fit] == ' ')
				cut = fit; /* the row ends just before a space */
		}
		if (cut == 0 && off < len)
			cut = 1; /* a character wider than the row: shown anyway */
		if (n < max) {
			rows[n].off = off;
			rows[n].len = cut;
			/* Trailing blanks of a row are not drawn. */
			while (rows[n].len > 0 && off + cut < len &&
			       s[off + rows[n].len - 1] == ' ')
				rows[n].len--;
		}
		n++;
		off += cut;
		while (off < len && s[off] == ' ')
			off++; /* a continuation does not start with a blank */
	} while (off < len);
	return n;
}

/* Split "a b  c d  ? help" at runs of two spaces into its keys. */
static int
split_keys(const char *keys, const char **k, int *klen, int max)
{
	int n = 0;
	const char *s = keys;

	while (*s && n < max) {
		const char *e;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		e = strstr(s, "  ");
		k[n] = s;
		klen[n] = e ? (int)(e - s) : (int)strlen(s);
		n++;
		s += klen[n - 1];
	}
	return n;
}

size_t
layout_keys(const char *keys, int width, char *out, size_t n)
{
	const char *k[48];
	int klen[48], nk = split_keys(keys, k, klen, 48), used = 0, help = -1;
	bool keep[48] = {false};
	size_t o = 0;

	if (n == 0)
		return 0;
	/* "? help" is always there; then the keys in the order given, each
	 * whole or not at all, while they fit. */
	for (int i = 0; i < nk; i++)
		if (klen[i] == 6 && strncmp(k[i], "? help", 6) == 0)
			help = i;
	if (help >= 0) {
		keep[help] = true;
		used = 6;
	}
	for (int i = 0; i < nk; i++) {
		char tmp[128];
		int w;

		if (keep[i])
			continue;
		snprintf(tmp, sizeof tmp, "%.*s", klen[i], k[i]);
		w = md_strwidth(tmp);
		if (used + (used ? 2 : 0) + w <= width) {
			keep[i] = true;
			used += (used ? 2 : 0) + w;
		}
	}
	out[0] = '\0';
	for (int i = 0; i < nk; i++)
		if (keep[i] && o < n)
			o += (size_t)snprintf(out + o, n - o, "%s%.*s", o ? "  " : "", klen[i], k[i]);
	return o < n ? o : n - 1;
}

size_t
layout_words(const char *s, int width, char *out, size_t n)
{
	struct layout_row r[1];

	if (n == 0)
		return 0;
	out[0] = '\0';
	if (width <= 0 || !*s)
		return 0;
	/* The first row of the wrap: whole words only (a single word wider
	 * than the room is left out rather than cut). */
	layout_wrap(s, width, 0, r, 1);
	/* A row that ends inside a word had no space to break at: the
	 * first word alone is wider than the room. */
	if (r[0].len < (int)strlen(s) && s[r[0].len] != ' ' &&
	    !memchr(s, ' ', (size_t)r[0].len))
		return 0;
	snprintf(out, n, "%.*s", r[0].len, s);
	return strlen(out);
}

/* The text column of the wide projector layout: short lines, but room for
 * a long word ("(PTHREAD_PROCESS_SHARED),") at 80 columns. */
static int
proj_text_w(int cols)
{
	int tw = cols * 3 / 8;

	return tw < 28 ? 28 : tw > 44 ? 44 : tw;
}

int
layout_proj_width(int cols, bool text)
{
	return text && cols >= PROJ_WIDE ? cols - proj_text_w(cols) : cols;
}

int
layout_projector(int cols, int lines, bool text, const struct layout_want *p, int n,
                 struct layout_proj *o)
{
	int top = 1, h = lines - 3, pw = layout_proj_width(cols, text), x = cols - pw;
	int cap = lines >= 32 ? PROJ_PANELS : 2, got[PROJ_PANELS], keep, y = top;
	bool side = text && x > 0;

	memset(o, 0, sizeof *o);
	if (lines >= 3)
		o->hidden = (struct layout_box){lines - 2, 0, 1, cols};
	if (n > cap)
		n = cap;
	if (h < 1)
		return 0;
	keep = layout_panels(p, n, text && !side ? (h > PROJ_TEXT_MIN ? h - PROJ_TEXT_MIN : 0) : h,
	                     got);
	for (int i = 0; i < keep; i++) {
		int want = p[i].want > p[i].min ? p[i].want : p[i].min;

		/* Stacked over the text, a panel has its want: the spare rows
		 * are the text's. */
		if (text && !side && got[i] > want)
			got[i] = want;
		o->pan[i] = (struct layout_box){y, x, got[i], pw};
		y += got[i];
	}
	if (text)
		o->text = side ? (struct layout_box){top, 0, h, x}
		               : (struct layout_box){y, 0, top + h - y, cols};
	o->npan = keep;
	return keep;
}
