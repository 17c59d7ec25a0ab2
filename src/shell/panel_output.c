// Output: what the demo printed (stdout and stderr, through a pipe: a child
// never writes to our terminal).  Long lines wrap, their continuations
// indented under a mark; the last DEMO_OUT_LINES lines stay to scroll back
// to (Up/Down, PgUp/PgDn when focused).  It follows the end unless the
// user scrolled back; then what they look at stays put as lines arrive.
#include "shell/shell.h"

enum { OUT_ROWS_MAX = 64 }; /* rows of one wrapped line (512 bytes) */

static int prev_end = -1; /* ring position of the end last drawn */

static const char *
line_at(int i)
{
	const struct demo *d = &shell_demo;

	return d->out[(d->out_head + i) % DEMO_OUT_LINES];
}

/* Rows line i takes at width columns, into r if given. */
static int
wrap_line(int i, int width, struct layout_row *r)
{
	return layout_wrap(line_at(i), width, 2, r, r ? OUT_ROWS_MAX : 0);
}

/* Wrapped rows of the last lines, counting back until at least upto. */
static int
rows_back(int width, int upto)
{
	int n = 0;

	for (int i = shell_demo.out_n - 1; i >= 0 && n < upto; i--)
		n += wrap_line(i, width, NULL);
	return n;
}

static void
draw_row(WINDOW *w, int y, int i, const struct layout_row *r, int k, int wd)
{
	const char *line = line_at(i);
	char buf[600];
	attr_t a = line[0] == '-' && line[1] == '-' && line[2] == '-' ? term_attr(COL_DIM)
	                                                               : A_NORMAL;
	int x = 2;

	snprintf(buf, sizeof buf, "%.*s", r[k].len, line + r[k].off);
	if (k) { /* a continuation: the hanging indent says so */
		term_put(w, y, 2, 2, term_attr(COL_DIM), shell_cfg.ascii ? "> " : "\u21aa ");
		x = 4;
	}
	term_put(w, y, x, wd - 2 - x, a, buf);
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	int h, wd, rows, width, end, L, skip, kb = 0, y, total;
	struct layout_row r[OUT_ROWS_MAX];

	(void)focus;
	getmaxyx(w, h, wd);
	rows = h - 2;
	width = wd - 4;
	v->rows = rows;
	if (d->out_n == 0) {
		term_put(w, 1, 2, wd - 4, term_attr(COL_DIM), "nothing printed yet");
		prev_end = -1;
		v->top = 0;
		return;
	}
	/* v->top counts rows scrolled back from the end.  Scrolled back, the
	 * view keeps its place: the rows that arrived since push it up. */
	end = (d->out_head + d->out_n) % DEMO_OUT_LINES;
	if (v->top > 0 && prev_end >= 0 && end != prev_end) {
		int added = (end - prev_end + DEMO_OUT_LINES) % DEMO_OUT_LINES;

		for (int i = d->out_n - added; i < d->out_n; i++)
			if (i >= 0)
				v->top += wrap_line(i, width, NULL);
	}
	prev_end = end;
	total = rows_back(width, v->top > 0 ? d->out_n * OUT_ROWS_MAX : rows);
	if (v->top > total - rows)
		v->top = total - rows;
	if (v->top < 0)
		v->top = 0;
	/* The bottom row: line L's row kb, top rows up from the end. */
	skip = v->top;
	for (L = d->out_n - 1; L >= 0; L--) {
		int nr = wrap_line(L, width, NULL);

		if (skip < nr) {
			kb = nr - 1 - skip;
			break;
		}
		skip -= nr;
	}
	/* Fewer rows than the panel holds: they start at its top. */
	y = total < rows ? total - 1 : rows - 1;
	for (; L >= 0 && y >= 0; L--) {
		int nr = wrap_line(L, width, r);

		if (kb < 0)
			kb = nr - 1;
		for (int k = kb < OUT_ROWS_MAX ? kb : OUT_ROWS_MAX - 1; k >= 0 && y >= 0; k--)
			draw_row(w, 1 + y--, L, r, k, wd);
		kb = -1;
	}
	if (v->top)
		term_printf(w, h - 1, wd - 24, 22, term_attr(COL_DIM), " %d rows back, End ",
		            v->top);
}

/* Every row it has, up to what a screen could show.  Asked every frame:
 * counted again only when a line arrived or the width changed. */
static int
want(int width)
{
	static struct { int head, n, width, rows; } memo = {-1, -1, -1, 0};
	const struct demo *d = &shell_demo;

	if (d->out_n == 0) {
		memo.n = -1; /* the next lines are another run's */
		return 1;
	}
	if (memo.head != d->out_head || memo.n != d->out_n || memo.width != width) {
		memo.head = d->out_head;
		memo.n = d->out_n;
		memo.width = width;
		memo.rows = rows_back(width - 2, 200);
	}
	return memo.rows;
}

static int
key(struct panel_view *v, int k)
{
	int page = v->rows > 2 ? v->rows - 1 : 1;

	switch (k) {
	case SHK(KEY_UP): v->top++; break;
	case SHK(KEY_DOWN): v->top--; break;
	case SHK(KEY_PPAGE): v->top += page; break;
	case SHK(KEY_NPAGE): v->top -= page; break;
	case SHK(KEY_END): v->top = 0; break;
	case SHK(KEY_HOME): v->top = DEMO_OUT_LINES * OUT_ROWS_MAX; break;
	default: return 0;
	}
	if (v->top < 0)
		v->top = 0; /* back at the end: following it again */
	return SH_HANDLED | SH_REDRAW;
}

const struct shell_panel panel_output = {
	.name = "output",
	.title = "Output",
	.min_h = 4,
	.weight = 3,
	.want = want,
	.draw = draw,
	.key = key,
};
