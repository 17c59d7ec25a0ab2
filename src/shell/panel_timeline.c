// Timeline: one lane per worker, one column per frame, each cell marked and
// coloured by the state the worker was in.  With more workers than lines, a
// lane stands for a group of workers and shows the state most of them were in.
#include "shell/shell.h"

#include <string.h>

static enum board_state
group_state(int first, int last, int slot)
{
	const struct demo *d = &shell_demo;
	int count[BOARD_ST_COUNT] = {0}, best = BOARD_ST_IDLE;

	for (int i = first; i <= last; i++) {
		unsigned s = d->tl[i][slot];

		if (s < BOARD_ST_COUNT)
			count[s]++;
	}
	for (int s = 0; s < BOARD_ST_COUNT; s++)
		if (count[s] > count[best])
			best = s;
	return (enum board_state)best;
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	int h, wd, lanes, workers = d->nact - 1, per, cols, len;
	static const enum board_state legend[] = {
		BOARD_ST_RUNNING, BOARD_ST_WAIT_LOCK, BOARD_ST_CRITICAL,
		BOARD_ST_SLEEPING, BOARD_ST_GATE, BOARD_ST_DONE, BOARD_ST_KILLED,
	};

	(void)focus;
	getmaxyx(w, h, wd);
	lanes = h - 3;
	if (workers <= 0 || lanes <= 0) {
		term_put(w, 1, 2, wd - 4, term_attr(COL_DIM), "no workers yet");
		return;
	}
	per = (workers + lanes - 1) / lanes;
	cols = wd - 2 - 10;
	len = d->tl_len < cols ? d->tl_len : cols;
	(void)v;
	for (int l = 0; l * per < workers && l < lanes; l++) {
		int first = 1 + l * per, last = first + per - 1;

		if (last > workers)
			last = workers;
		if (per == 1)
			term_printf(w, 1 + l, 1, 9, A_NORMAL, " w%-6u", d->act[first].id.worker_no);
		else
			term_printf(w, 1 + l, 1, 9, A_NORMAL, " w%d-%d", first, last);
		for (int k = 0; k < len; k++) {
			int slot = (d->tl_head - len + k + DEMO_TL_LEN) % DEMO_TL_LEN;
			enum board_state s = per == 1 ? (enum board_state)d->tl[first][slot]
			                              : group_state(first, last, slot);
			char mark[2] = {board_state_mark(s), 0};

			term_put(w, 1 + l, 10 + (cols - len) + k, 1, term_state_attr(s), mark);
		}
	}
	/* The legend: the marks read without colour too. */
	for (size_t i = 0, x = 2; i < sizeof legend / sizeof legend[0]; i++) {
		char item[24];

		snprintf(item, sizeof item, "%c %s  ", board_state_mark(legend[i]),
		         board_state_name(legend[i]));
		if ((int)(x + strlen(item)) - 2 > wd - 2)
			break; /* whole items only, never "x k" */
		x += (size_t)term_put(w, h - 2, (int)x, wd - 2 - (int)x,
		                      term_state_attr(legend[i]), item);
	}
}

const struct shell_panel panel_timeline = {
	.name = "timeline",
	.title = "Timeline (newest right)",
	.min_h = 5,
	.weight = 2,
	.draw = draw,
	.key = NULL,
};
