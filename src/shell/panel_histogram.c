// Histogram: the final value of each run (the board keeps them), grouped,
// with the value a correct run gives marked: the race's odds at a glance.
#include "shell/shell.h"

#include <stdlib.h>

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	const struct board *b = d->board;
	int64_t r[BOARD_MAX_RUNS], exp, lo, hi, width;
	int h, wd, n, rows, bins, wrong = 0, maxc = 1, counts[64] = {0}, exact[64] = {0};

	(void)v;
	(void)focus;
	getmaxyx(w, h, wd);
	n = b ? (int)atomic_load(&b->nresults) : 0;
	if (n > BOARD_MAX_RUNS)
		n = BOARD_MAX_RUNS;
	if (n == 0) {
		term_put(w, 1, 2, wd - 4, term_attr(COL_DIM),
		         "no finished runs yet: R runs the demo 20 times");
		return;
	}
	exp = atomic_load(&b->result_expected);
	for (int i = 0; i < n; i++) {
		r[i] = atomic_load_explicit(&b->result[i], memory_order_relaxed);
		wrong += r[i] != exp;
	}
	qsort(r, (size_t)n, sizeof r[0], cmp64);
	lo = r[0] < exp ? r[0] : exp;
	hi = r[n - 1] > exp ? r[n - 1] : exp;
	rows = h - 3;
	if (rows > 64)
		rows = 64;
	if (rows < 1)
		return;
	/* One row per value when they fit, else equal-width bins. */
	width = (hi - lo) / rows + 1;
	bins = (int)((hi - lo) / width) + 1;
	for (int i = 0; i < n; i++) {
		int k = (int)((r[i] - lo) / width);

		if (++counts[k] > maxc)
			maxc = counts[k];
		exact[k] += r[i] == exp;
	}
	term_printf(w, 1, 2, wd - 4, wrong ? term_attr(COL_WARN) : term_attr(COL_GOOD),
	            "%d run%s: %d ended away from the expected %lld", n, n == 1 ? "" : "s",
	            wrong, (long long)exp);
	for (int k = 0; k < bins && k < rows; k++) {
		int64_t a = lo + k * width, z = a + width - 1;
		bool has_exp = exp >= a && exp <= z;
		char label[48];
		int x, barw = wd - 2 - 26 - 20, len, glen;

		if (width > 1)
			barw -= 12; /* room for "expected in here, N on it" */
		if (width == 1)
			snprintf(label, sizeof label, "%lld", (long long)a);
		else
			snprintf(label, sizeof label, "%lld..%lld", (long long)a, (long long)z);
		x = 2 + term_printf(w, 2 + k, 2, 24, has_exp ? term_attr(COL_GOOD) : A_NORMAL,
		                    "%22s ", label);
		len = barw > 0 ? counts[k] * barw / maxc : 0;
		if (counts[k] && len == 0)
			len = 1;
		/* Green only for the runs that ended exactly on the expected
		 * value: a wide bin around it holds wrong runs too. */
		glen = counts[k] ? len * exact[k] / counts[k] : 0;
		if (exact[k] && glen == 0)
			glen = 1;
		for (int c = 0; c < len; c++)
			term_put(w, 2 + k, x + c, 1,
			         c < glen ? term_attr(COL_GOOD) : term_attr(COL_WARN),
			         shell_cfg.ascii ? "#" : "\u2588");
		x += len;
		if (counts[k])
			x += term_printf(w, 2 + k, x, wd - 1 - x, A_NORMAL, " %d", counts[k]);
		if (has_exp && width == 1)
			term_put(w, 2 + k, x, wd - 1 - x, term_attr(COL_GOOD) | A_BOLD,
			         " <- expected");
		else if (has_exp) {
			char note[64];

			/* Whole words: the short form when the long one does not fit. */
			snprintf(note, sizeof note, " <- expected in here, %d on it", exact[k]);
			if (x + md_strwidth(note) > wd - 1)
				snprintf(note, sizeof note, " <- expected: %d", exact[k]);
			term_put(w, 2 + k, x, wd - 1 - x, term_attr(COL_GOOD) | A_BOLD, note);
		}
	}
}

/* The summary line and a row per distinct final value (the expected one
 * among them); many values share bins in whatever rows it gets. */
static int
want(int width)
{
	static struct { int n; int64_t last, exp; int rows; } memo = {-1, 0, 0, 0};
	const struct board *b = shell_demo.board;
	int64_t r[BOARD_MAX_RUNS + 1], exp, last;
	int n = b ? (int)atomic_load(&b->nresults) : 0, m, distinct = 0;

	(void)width;
	if (n > BOARD_MAX_RUNS)
		n = BOARD_MAX_RUNS;
	if (n == 0)
		return 1;
	/* Asked every frame; the results change only when a run ends. */
	exp = atomic_load(&b->result_expected);
	last = atomic_load_explicit(&b->result[n - 1], memory_order_relaxed);
	if (memo.n == n && memo.exp == exp && memo.last == last)
		return memo.rows;
	for (int i = 0; i < n; i++)
		r[i] = atomic_load_explicit(&b->result[i], memory_order_relaxed);
	memo.n = n;
	memo.exp = exp;
	memo.last = last;
	r[n] = exp;
	m = n + 1;
	qsort(r, (size_t)m, sizeof r[0], cmp64);
	for (int i = 0; i < m; i++)
		distinct += i == 0 || r[i] != r[i - 1];
	memo.rows = 1 + (distinct < 20 ? distinct : 20);
	return memo.rows;
}

const struct shell_panel panel_histogram = {
	.name = "histogram",
	.title = "Histogram of final values",
	.min_h = 5,
	.weight = 1,
	.want = want,
	.draw = draw,
	.key = NULL,
};
