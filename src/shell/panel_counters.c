// Counters: each shared counter's value, what a correct run ends with, the
// updates lost so far, and a sparkline of the value over the run.
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

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	const struct board *b = d->board;
	int h, wd;
	uint32_t n;
	bool in_run;

	(void)v;
	(void)focus;
	getmaxyx(w, h, wd);
	term_put(w, 1, 1, wd - 2, A_BOLD, " NAME             VALUE     EXPECTED         LOST  OVER THE RUN");
	if (!b || (n = atomic_load(&b->ncounters)) == 0) {
		term_put(w, 2, 2, wd - 4, term_attr(COL_DIM), "no counters yet");
		return;
	}
	if (n > BOARD_MAX_COUNTERS)
		n = BOARD_MAX_COUNTERS;
	in_run = atomic_load(&b->run_state) == BOARD_RUN_RUNNING;
	for (uint32_t i = 0; i < n && (int)i < h - 3; i++) {
		const struct board_counter *c = &b->counter[i];
		long long val = (long long)atomic_load_explicit(&c->value, memory_order_relaxed);
		bool has = atomic_load(&c->has_expected);
		long long exp = (long long)atomic_load(&c->expected);
		char e[24] = "-", lost[24] = "-";
		int x;

		if (has) {
			snprintf(e, sizeof e, "%lld", exp);
			snprintf(lost, sizeof lost, "%lld", llabs(val - exp));
		}
		/* Lost is only known once the run is done: mid-run the value
		 * also differs from the expected by the updates still to come
		 * (a correct run with a mutex is not "losing" them). */
		if (has && in_run)
			snprintf(lost, sizeof lost, "%s", d->pid ? "at the end" : "-");
		x = 1 + term_printf(w, 2 + (int)i, 1, wd - 2, A_NORMAL, " %-12.15s %9lld %12s ",
		                    c->name, val, e);
		/* In red when not 0. */
		x += term_printf(w, 2 + (int)i, x, wd - 1 - x,
		                 in_run ? term_attr(COL_DIM)
		                 : has && val != exp ? term_attr(COL_WARN) : term_attr(COL_GOOD),
		                 "%12s  ", lost);
		sparkline(w, 2 + (int)i, x, wd - 1 - x, (int)i);
	}
}

const struct shell_panel panel_counters = {
	.name = "counters",
	.title = "Counters",
	.min_h = 4,
	.weight = 0,
	.draw = draw,
	.key = NULL,
};
