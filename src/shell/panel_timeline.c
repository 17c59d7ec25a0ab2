// Timeline: one lane per worker, each cell marked and coloured by the state
// the worker was in.  A run longer than the lane is drawn from the frames'
// samples (one column per frame, newest right); a run shorter than that is
// drawn over its real duration from the workers' timestamped events, so an
// interleaving of a fifth of a second can be read after the run has ended.
// With more workers than rows, a lane stands for a group of workers (its
// label names them: w5-8) and shows the state most of them were in.  The
// legend lists every mark drawn.
#include "shell/shell.h"

#include <string.h>

enum { LABEL_W = 9 };

/* Actors that are workers on the board, in order (empty slots left out:
 * 06's duplex demo numbers its two workers 12 and 13). */
static int lane_actor[BOARD_MAX_ACTORS];
/* From events: each worker's state per column, worked out once a frame;
 * row m at cell + m * len, packed (rows DEMO_TL_LEN apart touched a new
 * page every other worker: 263 page faults in a 1024-worker run's first
 * frame). */
static enum board_state cell[BOARD_MAX_ACTORS * DEMO_TL_LEN];

static int
workers(void)
{
	const struct demo *d = &shell_demo;
	int n = 0;

	for (int i = 1; i < d->nact; i++)
		if (d->act[i].valid && d->act[i].id.worker_no > 0)
			lane_actor[n++] = i;
	return n;
}

/* A lane per worker, and the legend (up to two rows). */
static int
want(int width)
{
	int n = workers();

	(void)width;
	return (n ? n : 1) + 2;
}

static enum board_state
majority(const enum board_state *s, int n)
{
	int count[BOARD_ST_COUNT] = {0}, best = BOARD_ST_IDLE;

	for (int i = 0; i < n; i++)
		if ((unsigned)s[i] < BOARD_ST_COUNT)
			count[s[i]]++;
	for (int st = 0; st < BOARD_ST_COUNT; st++)
		if (count[st] > count[best])
			best = st;
	return (enum board_state)best;
}

static void
fmt_secs(char *buf, size_t n, double s)
{
	if (s < 1.0)
		snprintf(buf, n, "%.2f s", s);
	else
		snprintf(buf, n, "%.1f s", s);
}

static const enum board_state order[] = {
	BOARD_ST_STARTING, BOARD_ST_RUNNING, BOARD_ST_WAIT_LOCK,
	BOARD_ST_CRITICAL, BOARD_ST_SLEEPING, BOARD_ST_BLOCKED,
	BOARD_ST_GATE, BOARD_ST_DONE, BOARD_ST_FAILED, BOARD_ST_KILLED,
};

/* The legend: every mark drawn, readable without colour too, in whole
 * items ("x killed", never "x k"), in at most max rows from row top.
 * Returns the rows it takes; w NULL only measures. */
static int
legend(WINDOW *w, int wd, const bool *drawn, int max, int top)
{
	int row = 0, x = 2;

	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		char item[24];
		int iw;

		if (!drawn[order[i]])
			continue;
		snprintf(item, sizeof item, "%c %s  ", board_state_mark(order[i]),
		         board_state_name(order[i]));
		iw = (int)strlen(item);
		if (x + iw - 2 > wd - 2) {
			if (row + 1 >= max)
				break;
			row++;
			x = 2;
		}
		if (w)
			term_put(w, top + row, x, wd - 2 - x, term_state_attr(order[i]),
			         item);
		x += iw;
	}
	return row + 1;
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	int h, wd, lanes, nw = workers(), per, cols, len, legend_rows;
	bool drawn[BOARD_ST_COUNT] = {false}, from_events;
	uint64_t t0 = 0, t1 = 0;
	char span[48];
	enum board_state group[BOARD_MAX_ACTORS];

	(void)focus;
	(void)v;
	getmaxyx(w, h, wd);
	cols = wd - 2 - LABEL_W;
	legend_rows = h - 2 >= nw + 2 ? 2 : 1;
	lanes = h - 2 - legend_rows;
	if (nw <= 0 || lanes <= 0 || cols <= 0) {
		term_put(w, 1, 2, wd - 4, term_attr(COL_DIM),
		         d->board && d->exited ? "no workers in this run" : "no workers yet");
		return;
	}
	per = (nw + lanes - 1) / lanes;
	/* Fewer samples than columns: the run is younger than the lane is
	 * long, so draw it from its events over its real duration, if the
	 * histories hold all of it (else from the samples, as a long run). */
	from_events = demo_event_span(d, &t0, &t1) && d->tl_len < cols && t1 > 0;
	if (from_events) {
		/* Up to now, or to the end of the run (the last event may be
		 * a wait that lasted until the program was stopped). */
		if (d->pid)
			t1 = shell_now_ns();
		else if (d->exited && d->t_end > t1)
			t1 = d->t_end;
		if (t1 <= t0)
			t1 = t0 + 1000000;
		len = cols < DEMO_TL_LEN ? cols : DEMO_TL_LEN;
		for (int m = 0; m < nw; m++)
			demo_states_over(d, lane_actor[m], t0, t1, len, cell + (size_t)m * (size_t)len);
		fmt_secs(span, sizeof span, (double)(t1 - t0) / 1e9);
	} else {
		len = d->tl_len < cols ? d->tl_len : cols;
		if (len > 1) {
			uint64_t a = d->tl_t[(d->tl_head - len + DEMO_TL_LEN) % DEMO_TL_LEN],
			         b = d->tl_t[(d->tl_head - 1 + DEMO_TL_LEN) % DEMO_TL_LEN];

			fmt_secs(span, sizeof span, (double)(b - a) / 1e9);
		} else {
			snprintf(span, sizeof span, "0 s");
		}
	}
	for (int l = 0; l * per < nw && l < lanes; l++) {
		int first = l * per, last = first + per - 1;
		unsigned fno, lno;

		if (last >= nw)
			last = nw - 1;
		fno = d->act[lane_actor[first]].id.worker_no;
		lno = d->act[lane_actor[last]].id.worker_no;
		if (first == last)
			term_printf(w, 1 + l, 1, LABEL_W, A_NORMAL, " w%u", fno);
		else
			term_printf(w, 1 + l, 1, LABEL_W, A_NORMAL, " w%u-%u", fno, lno);
		for (int k = 0; k < len; k++) {
			enum board_state s;
			char mark[2];

			for (int m = first; m <= last; m++) {
				int a = lane_actor[m];

				if (from_events) {
					group[m - first] = cell[(size_t)m * (size_t)len + (size_t)k];
				} else {
					group[m - first] = (enum board_state)d->tl[a][
						(d->tl_head - len + k + DEMO_TL_LEN) % DEMO_TL_LEN];
				}
			}
			s = majority(group, last - first + 1);
			if (s == BOARD_ST_IDLE)
				continue;
			drawn[s] = true;
			mark[0] = board_state_mark(s);
			mark[1] = '\0';
			term_put(w, 1 + l, 1 + LABEL_W + (cols - len) + k, 1,
			         term_state_attr(s), mark);
		}
	}
	/* On the bottom row(s): measured first, then drawn there. */
	legend(w, wd, drawn, legend_rows,
	       h - 1 - legend(NULL, wd, drawn, legend_rows, 0));
	term_printf(w, h - 1, wd - 4 - (int)strlen(span) - 8, (int)strlen(span) + 9,
	            term_attr(COL_DIM), " %s shown ", span);
}

const struct shell_panel panel_timeline = {
	.name = "timeline",
	.title = "Timeline (newest right)",
	.min_h = 5,
	.weight = 2,
	.want = want,
	.draw = draw,
	.key = NULL,
};
