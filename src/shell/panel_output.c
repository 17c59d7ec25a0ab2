// Output: what the demo printed (stdout and stderr, through a pipe: a child
// never writes to our terminal).  Follows the end unless scrolled back.
#include "shell/shell.h"

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	int h, wd, rows, first;

	(void)focus;
	getmaxyx(w, h, wd);
	rows = h - 2;
	if (d->out_n == 0) {
		term_put(w, 1, 2, wd - 4, term_attr(COL_DIM), "nothing printed yet");
		return;
	}
	/* v->top counts lines scrolled back from the end. */
	if (v->top > d->out_n - rows)
		v->top = d->out_n - rows;
	if (v->top < 0)
		v->top = 0;
	v->rows = rows;
	first = d->out_n - rows - v->top;
	if (first < 0)
		first = 0;
	for (int r = 0; r < rows && first + r < d->out_n; r++) {
		const char *line = d->out[(d->out_head + first + r) % DEMO_OUT_LINES];

		term_put(w, 1 + r, 2, wd - 3,
		         line[0] == '-' && line[1] == '-' && line[2] == '-' ? term_attr(COL_DIM)
		                                                            : A_NORMAL,
		         line);
	}
	if (v->top)
		term_printf(w, h - 1, wd - 20, 18, term_attr(COL_DIM), " %d lines back ", v->top);
}

static int
key(struct panel_view *v, int k)
{
	switch (k) {
	case SHK(KEY_UP): v->top++; break;
	case SHK(KEY_DOWN): v->top--; break;
	case SHK(KEY_END): v->top = 0; break;
	case SHK(KEY_HOME): v->top = shell_demo.out_n; break;
	default: return 0;
	}
	if (v->top < 0)
		v->top = 0;
	return SH_HANDLED | SH_REDRAW;
}

const struct shell_panel panel_output = {
	.name = "output",
	.title = "Output",
	.min_h = 4,
	.weight = 2,
	.draw = draw,
	.key = key,
};
