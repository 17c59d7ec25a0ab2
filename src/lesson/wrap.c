// Text wrapping: a step's blocks laid out in lines of a given width.
//
// Prose wraps at blanks (a word longer than a line is cut); code keeps its
// blanks and continues on the next line after a dim mark.  Linear: every
// byte is measured once, segments grow by doubling.
#include "lesson/wrap.h"

#include <langinfo.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/util.h"

/* Decode one UTF-8 sequence of s[0..end); invalid bytes decode as U+FFFD
 * one at a time. */
static unsigned
utf8_next(const char **sp, const char *end)
{
	const unsigned char *s = (const unsigned char *)*sp;
	unsigned c = s[0];
	int n = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	if (n)
		c &= 0x3f >> n;
	for (int i = 1; i <= n; i++) {
		if (*sp + i >= end || (s[i] & 0xc0) != 0x80) {
			*sp += i;
			return 0xfffd;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*sp += n + 1;
	return c;
}

static int
cp_width(unsigned c)
{
	if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0xfe00 && c <= 0xfe0f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

int
md_strnwidth(const char *s, size_t n)
{
	const char *end = s + n;
	int w = 0;

	while (s < end)
		w += cp_width(utf8_next(&s, end));
	return w;
}

int
md_strwidth(const char *s)
{
	return md_strnwidth(s, strlen(s));
}

size_t
md_fitn(const char *s, size_t n, int cols)
{
	const char *start = s, *end = s + n;
	int w = 0;

	while (s < end) {
		const char *q = s;
		int cw = cp_width(utf8_next(&q, end));

		if (w + cw > cols)
			break;
		w += cw;
		s = q;
	}
	return (size_t)(s - start);
}

size_t
md_fit(const char *s, int cols)
{
	return md_fitn(s, strlen(s), cols);
}

struct wrapper {
	struct md_text *out;
	struct md_line *ln; /* line being filled */
	int col;            /* columns used on it, indent included */
	int width;
	int indent; /* indentation of continuation lines */
	int run;    /* run block being wrapped, or -1 */
};

static void
new_line(struct wrapper *w, int indent)
{
	struct md_text *t = w->out;

	t->line = md_grow(t->line, t->nline, sizeof *t->line);
	w->ln = &t->line[t->nline++];
	memset(w->ln, 0, sizeof *w->ln);
	w->ln->indent = indent;
	w->ln->run = w->run;
	w->col = indent;
}

/* Append s[0..n) (already measured: cols columns) to the line. */
static void
put(struct wrapper *w, unsigned attr, const char *s, size_t n, int cols)
{
	struct md_line *l = w->ln;
	struct md_seg *g;

	w->col += cols;
	if (l->nseg > 0 && l->seg[l->nseg - 1].attr == attr) {
		g = &l->seg[l->nseg - 1];
		g->text = md_xrealloc(g->text, g->len + n + 1);
		memcpy(g->text + g->len, s, n);
		g->len += n;
		g->text[g->len] = '\0';
		return;
	}
	l->seg = md_grow(l->seg, l->nseg, sizeof *l->seg);
	g = &l->seg[l->nseg++];
	g->attr = attr;
	g->text = md_xstrndup(s, n);
	g->len = n;
}

/* A word: pieces of spans with no blank between them. */
struct piece {
	unsigned attr;
	const char *s;
	size_t n;
};

/* Where a word too long for the room is cut: after its last hyphen that
 * fits (racelab-readers- | writers), else where the room ends. */
static size_t
hyphen_cut(const char *s, size_t fit)
{
	for (size_t b = fit; b > 1; b--)
		if (s[b - 1] == '-')
			return b;
	return 0;
}

static size_t
cut_at(const char *s, size_t fit, size_t left)
{
	size_t b = fit < left ? hyphen_cut(s, fit) : 0;

	return b ? b : fit;
}

static void
put_word(struct wrapper *w, const struct piece *pc, int np, bool space)
{
	int ww = 0;
	bool empty = w->ln->nseg == 0;

	for (int i = 0; i < np; i++)
		ww += md_strnwidth(pc[i].s, pc[i].n);
	if (!empty && w->col + (space ? 1 : 0) + ww > w->width) {
		/* A word longer than any line is cut anyway: it starts here
		 * when its part up to a hyphen fits in what is left. */
		int room = w->width - w->col - (space ? 1 : 0);
		size_t fit = room > 0 ? md_fitn(pc[0].s, pc[0].n, room) : 0;

		if (ww > w->width - w->indent && fit > 0 && fit < pc[0].n &&
		    hyphen_cut(pc[0].s, fit)) {
			if (space)
				put(w, 0, " ", 1, 1);
		} else {
			new_line(w, w->indent);
		}
	} else if (space && !empty) {
		put(w, 0, " ", 1, 1);
	}
	for (int i = 0; i < np; i++) {
		const char *s = pc[i].s;
		size_t left = pc[i].n;

		while (left > 0) {
			int room = w->width - w->col;
			size_t fit = md_fitn(s, left, room > 0 ? room : 0);

			if (fit == 0 && w->ln->nseg > 0) {
				new_line(w, w->indent); /* a word longer than a line */
				continue;
			}
			if (fit == 0)
				fit = 1;
			fit = cut_at(s, fit, left);
			put(w, pc[i].attr, s, fit, md_strnwidth(s, fit));
			s += fit;
			left -= fit;
			if (left > 0)
				new_line(w, w->indent);
		}
	}
}

static void
wrap_spans(struct wrapper *w, const struct md_block *b)
{
	struct piece pc[64];
	int np = 0;
	bool space = false, pend_space = false;

	for (int i = 0; i < b->nspan; i++) {
		const char *s = b->span[i].text;
		unsigned attr = b->span[i].attr;

		if (strcmp(s, "\n") == 0) {
			put_word(w, pc, np, space);
			np = 0;
			space = pend_space = false;
			new_line(w, w->indent);
			continue;
		}
		while (*s) {
			size_t n = strcspn(s, " \t\n");

			if (n > 0) {
				if (np == (int)(sizeof pc / sizeof pc[0])) {
					put_word(w, pc, np, space);
					np = 0;
					space = false;
				}
				if (np == 0)
					space = pend_space;
				pc[np++] = (struct piece){attr, s, n};
				s += n;
			}
			if (*s) { /* a blank ends the word */
				if (np > 0) {
					put_word(w, pc, np, space);
					np = 0;
				}
				pend_space = true;
				while (*s == ' ' || *s == '\t' || *s == '\n')
					s++;
			} else {
				pend_space = false;
			}
		}
	}
	if (np > 0)
		put_word(w, pc, np, space);
}

/* The continuation mark, in the characters the terminal can show. */
static const char *
wrap_mark(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && strcmp(cs, "UTF-8") == 0 ? MD_WRAP_MARK : MD_WRAP_MARK_ASCII;
}

/* One line of code: what does not fit continues on the next line, after
 * the mark, so no character is lost at any width.  The break goes at a
 * blank when one is in the last two thirds of the room (the gap between
 * the columns of a side-by-side table), the blanks there becoming the
 * break; else mid-word. */
static void
wrap_code_line(struct wrapper *w, int ind, const char *t, size_t n)
{
	const char *mark = wrap_mark();
	int mw = md_strwidth(mark);

	new_line(w, ind);
	while (n > 0) {
		int room = w->width - w->col;
		size_t fit = md_fitn(t, n, room > 1 ? room : 1), show, b;

		if (fit == 0)
			fit = 1; /* a wide character in a one-column room */
		show = fit;
		if (fit < n) {
			for (b = fit; b > 0 && t[b] != ' '; b--)
				;
			if (t[b] == ' ' && md_strnwidth(t, b) >= room / 3) {
				show = b;
				while (show > 0 && t[show - 1] == ' ')
					show--;
				fit = b;
				while (fit < n && t[fit] == ' ')
					fit++; /* the blanks of the gap make the break */
			}
		}
		put(w, MDL_CODE, t, show, md_strnwidth(t, show));
		t += fit;
		n -= fit;
		if (n > 0) {
			new_line(w, ind);
			put(w, MDL_DIM, mark, strlen(mark), mw);
		}
	}
}

void
md_wrap(const struct md_step *s, int width, struct md_text *out)
{
	struct wrapper w = {.out = out, .width = width < 8 ? 8 : width, .run = -1};
	enum md_block_kind prev = MD_K_PARA;

	memset(out, 0, sizeof *out);
	for (int i = 0; i < s->nblock; i++) {
		const struct md_block *b = &s->block[i];
		int ind = b->depth * 2 + (b->quote ? 2 : 0);

		if (ind > w.width / 2)
			ind = w.width / 2;
		/* A blank line between blocks, except between list items. */
		if (i > 0 && !(b->kind == MD_K_ITEM && prev == MD_K_ITEM))
			new_line(&w, 0);
		prev = b->kind;
		switch (b->kind) {
		case MD_K_RULE:
			new_line(&w, 0);
			for (int c = 0; c < w.width; c++)
				put(&w, MDL_DIM, "-", 1, 1);
			break;
		case MD_K_CODE: {
			struct md_buf all = {0};
			const char *t;

			/* md4c hands code over line by line: join, then split. */
			for (int j = 0; j < b->nspan; j++)
				md_buf_add(&all, b->span[j].text, strlen(b->span[j].text));
			for (t = all.s ? all.s : ""; *t;) {
				size_t n = strcspn(t, "\n");

				wrap_code_line(&w, ind + 2, t, n);
				t += n;
				if (*t == '\n')
					t++;
			}
			free(all.s);
			break;
		}
		case MD_K_RUN:
			w.indent = ind + 4;
			w.run = b->run;
			new_line(&w, ind + 2);
			wrap_spans(&w, b);
			w.run = -1;
			break;
		case MD_K_ITEM: {
			int bw = (int)strlen(b->bullet) + 1;

			w.indent = ind + bw;
			new_line(&w, ind);
			put(&w, MDL_DIM, b->bullet, strlen(b->bullet), bw - 1);
			put(&w, 0, " ", 1, 1);
			wrap_spans(&w, b);
			break;
		}
		default:
			w.indent = ind;
			new_line(&w, ind);
			wrap_spans(&w, b);
			break;
		}
	}
}

void
md_text_free(struct md_text *t)
{
	for (int i = 0; i < t->nline; i++) {
		for (int j = 0; j < t->line[i].nseg; j++)
			free(t->line[i].seg[j].text);
		free(t->line[i].seg);
	}
	free(t->line);
	memset(t, 0, sizeof *t);
}
