// The projector layout's own pieces (P, --projector): the counters panel
// in big digits, and the line that says what the layout leaves out.  The
// layout itself is layout_projector (layout.c); the lesson view places its
// windows by it.
#include "shell/shell.h"

#include <stdlib.h>
#include <string.h>

/* A counter in big digits: its line (name, expected, kind), then the
 * digits. */
enum { BIG_ENTRY = 1 + BIG_ROWS, BIG_RESERVE = 6 };

static bool pick_scale(const char *s, int cols, int rows, int *sx, int *sy, int *box);

/* The first counter big (twice as high when the width allows it), each
 * other one a line (spare rows make more of them big when it draws). */
static int
want(int width)
{
	uint32_t n = panel_counters_n();
	int sx, sy, box;

	if (!pick_scale("", width - 2, big_height(2), &sx, &sy, &box))
		sy = 1;
	return 1 + big_height(sy) + (n > 1 ? (int)n - 1 : 0);
}

/* The scale for value s in cols x rows: sized for at least BIG_RESERVE
 * characters, so that the digits keep their size while the value grows
 * and shrinks; *box is the width so reserved. */
static bool
pick_scale(const char *s, int cols, int rows, int *sx, int *sy, int *box)
{
	char pad[32];
	int len = (int)strlen(s), n = len > BIG_RESERVE ? len : BIG_RESERVE;

	memset(pad, '8', (size_t)n);
	pad[n] = '\0';
	if (big_fit(pad, cols, rows, sx, sy)) {
		*box = big_width(pad, *sx);
		return true;
	}
	if (big_fit(s, cols, rows, sx, sy)) {
		*box = big_width(s, *sx);
		return true;
	}
	return false;
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	const struct board *b = d->board;
	uint32_t n = panel_counters_n();
	int h, wd, y = 1;
	bool in_run;

	(void)focus;
	getmaxyx(w, h, wd);
	if (n == 0) {
		term_put(w, 1, 2, wd - 4, A_BOLD,
		         d->exited ? "no counters in this demo" : "no counters yet (Enter runs the demo)");
		return;
	}
	panel_clamp(v, (int)n, 1);
	in_run = atomic_load(&b->run_state) == BOARD_RUN_RUNNING && d->pid;
	for (uint32_t i = (uint32_t)v->top; i < n && y < h - 1; i++) {
		const struct board_counter *c = &b->counter[i];
		long long val = (long long)atomic_load_explicit(&c->value, memory_order_relaxed);
		long long exp = (long long)atomic_load(&c->expected);
		bool has = atomic_load(&c->has_expected);
		/* The rows this one may take: the others after it a line each. */
		int left = h - 1 - y - (int)(n - 1 - i), sx, sy, box, x;
		char s[24], k[40], line[160];
		attr_t ka, da = A_BOLD;

		snprintf(s, sizeof s, "%lld", val);
		ka = panel_counters_kind(c, b, in_run, true, k, sizeof k);
		if (has)
			snprintf(line, sizeof line, "%s  expected %lld", c->name, exp);
		else
			snprintf(line, sizeof line, "%s", c->name);
		if (left < BIG_ENTRY || !pick_scale(s, wd - 2, left - 1, &sx, &sy, &box)) {
			/* No room for digits: the counter as one line. */
			x = 2 + term_printf(w, y, 2, wd - 4, A_BOLD, "%s  %s  ", line, s);
			term_put(w, y++, x, wd - 2 - x, ka | A_BOLD, k);
			continue;
		}
		/* One counter: its digits in the middle of the rows it has. */
		if (n == 1 && left - 1 > big_height(sy))
			y += (left - 1 - big_height(sy)) / 2;
		x = 2 + term_put(w, y, 2, wd - 4, A_BOLD, line);
		term_put(w, y, x + 2, wd - 4 - x, ka | A_BOLD, k);
		/* Done, a conserved counter's digits say how it ended. */
		if (!in_run && has && atomic_load(&c->kind) == BOARD_COUNTER_CONSERVED)
			da = term_attr(val == exp ? COL_BIG_GOOD : COL_BIG_BAD);
		/* Right-aligned in the reserved box, the box centred. */
		x = 1 + (wd - 2 - box) / 2 + box - big_width(s, sx);
		big_draw(w, y + 1, x, s, sx, sy, da);
		y += 1 + big_height(sy);
	}
	if (v->top + 1 < (int)n && y >= h - 1)
		term_printf(w, h - 1, wd - 14, 12, A_BOLD, " Up/Down ");
}

const struct shell_panel panel_counters_big = {
	.name = "counters",
	.title = "Counters",
	.min_h = 2 + BIG_ENTRY,
	.weight = 0, /* spare rows go to the others: its digits are sized by width */
	.want = want,
	.draw = draw,
	.key = panel_counters_key, /* the same rows */
};

size_t
proj_hidden(unsigned mask, int width, bool ascii, char *out, size_t n)
{
	const char *name[MD_PANEL_COUNT + 1];
	char full[256], tail[64];
	int count = 0;

	if (n == 0)
		return 0;
	out[0] = '\0';
	if (mask & PROJ_HIDE_TEXT) /* first: the most visible thing left out */
		name[count++] = "text";
	for (int i = 0; i < MD_PANEL_COUNT; i++)
		if (mask & 1u << i)
			name[count++] = shell_panels[i]->name;
	if (!count || width <= 0)
		return 0;
	snprintf(tail, sizeof tail, " %s P shows all", ascii ? "-" : "\u2014");
	/* All the names; else the first ones and how many more; else only
	 * how many; else only the key. */
	for (int k = 0; k < count; k++) {
		size_t o = (size_t)snprintf(full, sizeof full, "hidden:");

		for (int i = 0; i < count - k; i++)
			o += (size_t)snprintf(full + o, sizeof full - o, "%s %s", i ? "," : "", name[i]);
		if (k)
			o += (size_t)snprintf(full + o, sizeof full - o, ", +%d more", k);
		snprintf(full + o, sizeof full - o, "%s", tail);
		if (md_strwidth(full) <= width)
			goto fits;
	}
	snprintf(full, sizeof full, "%d hidden%s", count, tail);
	if (md_strwidth(full) > width)
		snprintf(full, sizeof full, "P shows all");
	if (md_strwidth(full) > width)
		return 0;
fits:
	snprintf(out, n, "%s", full);
	return strlen(out);
}
