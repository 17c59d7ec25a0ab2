// Counters: each shared counter's value and what a correct run ends with,
// then what its kind makes meaningful: the updates lost (a conserved
// counter), the lowest and highest value over the run (a gauge, kept by
// the lab on every update), or the rate (a count); and a sparkline of the
// value over the run.  Every counter the demo created has a row; when they
// do not all fit, the bottom border says how many more, and the panel
// scrolls when focused.
#include "shell/shell.h"

#include <stdlib.h>

static void
sparkline(WINDOW *w, int y, int x, int n, int c)
{
	const struct demo *d = &shell_demo;
	int len = d->spark_len < n ? d->spark_len : n;
	int64_t lo = INT64_MAX, hi = INT64_MIN;

	if (len <= 0)
		return;
	for (int k = 0; k < len; k++) {
		int64_t v = d->spark[c][(d->spark_head - len + k + DEMO_SPARK_LEN) % DEMO_SPARK_LEN];

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	for (int k = 0; k < len; k++) {
		int64_t v = d->spark[c][(d->spark_head - len + k + DEMO_SPARK_LEN) % DEMO_SPARK_LEN];
		int level = hi > lo ? (int)((double)(v - lo) * 7.0 / (double)(hi - lo)) : 3;

		term_put(w, y, x + k, 1, term_attr(COL_CODE), term_spark(level));
	}
}

uint32_t
panel_counters_n(void)
{
	const struct board *b = shell_demo.board;
	uint32_t n = b ? atomic_load(&b->ncounters) : 0;

	return n > BOARD_MAX_COUNTERS ? BOARD_MAX_COUNTERS : n;
}

/* The header row, and one row per counter (or the "no counters" line). */
static int
want(int width)
{
	uint32_t n = panel_counters_n();

	(void)width;
	return 1 + (n ? (int)n : 1);
}

/* Seconds the current (or last) run has lasted, from the board. */
static double
run_seconds(const struct board *b)
{
	uint64_t t0 = atomic_load(&b->run_start_ns), t1 = atomic_load(&b->run_end_ns);

	if (!t0)
		return 0;
	if (atomic_load(&b->run_state) == BOARD_RUN_RUNNING || t1 < t0)
		t1 = shell_now_ns();
	return (double)(t1 - t0) / 1e9;
}

/* The kind's own column: text and colour (the projector's big counters
 * show it too). */
attr_t
panel_counters_kind(const struct board_counter *c, const struct board *b, bool in_run,
          bool wide, char *buf, size_t n)
{
	long long val = (long long)atomic_load_explicit(&c->value, memory_order_relaxed);
	long long exp = (long long)atomic_load(&c->expected);
	bool has = atomic_load(&c->has_expected);
	double secs;

	switch ((enum board_counter_kind)atomic_load(&c->kind)) {
	case BOARD_COUNTER_GAUGE:
		snprintf(buf, n, wide ? "min %lld max %lld" : "%lld..%lld",
		         (long long)atomic_load(&c->min), (long long)atomic_load(&c->max));
		return A_NORMAL;
	case BOARD_COUNTER_COUNT:
		secs = run_seconds(b);
		if (secs <= 0) {
			snprintf(buf, n, "-");
			return term_attr(COL_DIM);
		}
		snprintf(buf, n, "%.4g/s",
		         (double)(val - (long long)atomic_load(&c->initial)) / secs);
		return A_NORMAL;
	default:
		if (!has) {
			snprintf(buf, n, "-");
			return term_attr(COL_DIM);
		}
		/* Lost is only known once the run is done: mid-run the value
		 * also differs from the expected by the updates still to
		 * come (a correct run with a mutex is not "losing" them). */
		if (in_run) {
			snprintf(buf, n, "at end");
			return term_attr(COL_DIM);
		}
		snprintf(buf, n, val != exp ? "LOST %lld" : "lost 0", llabs(val - exp));
		return val != exp ? term_attr(COL_WARN) : term_attr(COL_GOOD);
	}
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	const struct board *b = d->board;
	int h, wd, rows;
	uint32_t n = panel_counters_n();
	bool in_run, wide, kinds[3] = {false, false, false};
	char head[96];

	getmaxyx(w, h, wd);
	wide = wd - 2 >= 60;
	for (uint32_t i = 0; i < n; i++) {
		unsigned k = atomic_load(&b->counter[i].kind);

		kinds[k < 3 ? k : 0] = true;
	}
	/* The last column's title names only what it holds. */
	snprintf(head, sizeof head, " %-14s %8s %8s  %s%s%s%s%s", "NAME", "VALUE",
	         "EXPECTED", kinds[BOARD_COUNTER_CONSERVED] ? "LOST" : "",
	         kinds[BOARD_COUNTER_CONSERVED] && (kinds[1] || kinds[2]) ? "/" : "",
	         kinds[BOARD_COUNTER_GAUGE] ? "RANGE" : "",
	         kinds[BOARD_COUNTER_GAUGE] && kinds[2] ? "/" : "",
	         kinds[BOARD_COUNTER_COUNT] ? "RATE" : "");
	term_put(w, 1, 1, wd - 2, A_BOLD, head);
	if (n == 0) {
		term_put(w, 2, 2, wd - 4, term_attr(COL_DIM),
		         d->exited ? "no counters in this demo" : "no counters yet");
		return;
	}
	rows = h - 3;
	panel_clamp(v, (int)n, rows);
	in_run = atomic_load(&b->run_state) == BOARD_RUN_RUNNING && d->pid;
	for (int r = 0; r < rows && v->top + r < (int)n; r++) {
		int i = v->top + r, y = 2 + r, x;
		const struct board_counter *c = &b->counter[i];
		long long val = (long long)atomic_load_explicit(&c->value, memory_order_relaxed);
		char e[24] = "-", k[40];
		attr_t sel = focus && i == v->sel ? term_attr(COL_SEL) : A_NORMAL, ka;

		if (atomic_load(&c->has_expected))
			snprintf(e, sizeof e, "%lld", (long long)atomic_load(&c->expected));
		ka = panel_counters_kind(c, b, in_run, wide, k, sizeof k);
		if (sel != A_NORMAL)
			mvwhline(w, y, 1, ' ' | sel, wd - 2);
		x = 1 + term_printf(w, y, 1, wd - 2, sel, " %-14.15s %8lld %8s  ",
		                    c->name, val, e);
		x += term_printf(w, y, x, wd - 1 - x, sel | ka, "%-12s ", k);
		sparkline(w, y, x, wd - 1 - x, i);
	}
	if ((int)n > rows)
		term_printf(w, h - 1, wd - 14, 12, term_attr(COL_DIM), " +%d more ",
		            (int)n - rows);
}

int
panel_counters_key(struct panel_view *v, int k)
{
	return panel_scroll_key(v, k, (int)panel_counters_n());
}

const struct shell_panel panel_counters = {
	.name = "counters",
	.title = "Counters",
	.min_h = 4,
	.weight = 0, /* its rows are what it wants: spare ones go elsewhere */
	.want = want,
	.draw = draw,
	.key = panel_counters_key,
};
