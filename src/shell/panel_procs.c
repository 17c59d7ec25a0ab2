// Processes & threads: every actor of the demo, as the board names it and as
// the kernel sees it (/proc): PID, PPID, TID, state letter, CPU, core,
// context switches, the name the lesson gave it (lab_set_name) and the
// operation it is at.  Threads of one process share its PID; a process
// worker that has exited but not been reaped shows Z.  Columns are as wide
// as what they hold; when the panel is narrow the least telling go first,
// so the state, the name and the operation keep their words.
#include "shell/shell.h"

#include <stdlib.h>
#include <string.h>

/* Rows: the actors in use (a slot of a finished run may be empty). */
static int rowmap[BOARD_MAX_ACTORS];
static int nrows;

static void
map_rows(void)
{
	const struct demo *d = &shell_demo;

	nrows = 0;
	for (int i = 0; i < d->nact; i++)
		if (i == 0 || (d->act[i].valid && d->act[i].id.pid > 0))
			rowmap[nrows++] = i;
}

int
panel_procs_actor(int row)
{
	map_rows();
	return row >= 0 && row < nrows ? rowmap[row] : -1;
}

/* The columns, left to right; prio: the lower, the longer it stays. */
enum col { C_W, C_KIND, C_PID, C_PPID, C_TID, C_S, C_CPU, C_CORE, C_VCSW, C_ICSW,
           C_STATE, C_NAME, C_OP, C_COUNT };
static const struct {
	const char *head;
	int prio;
	bool right; /* numbers are right-aligned */
} cols[C_COUNT] = {
	[C_W] = {"W", 0, true},        [C_KIND] = {"KIND", 4, false},
	[C_PID] = {"PID", 1, true},    [C_PPID] = {"PPID", 6, true},
	[C_TID] = {"TID", 5, true},    [C_S] = {"S", 3, false},
	[C_CPU] = {"CPU%", 7, true},   [C_CORE] = {"CORE", 8, true},
	[C_VCSW] = {"VCSW", 10, true}, [C_ICSW] = {"ICSW", 9, true},
	[C_STATE] = {"STATE", 0, false}, [C_NAME] = {"NAME", 2, false},
	[C_OP] = {"OP", 0, false},
};
/* The OP column keeps room for "waits for b (held by 1)" before the
 * optional columns get any. */
enum { OP_ROOM = 24 };

/* The name a lesson gave the actor; the defaults "worker N" and "main"
 * say no more than the W column, so they show as nothing. */
static bool
default_name(const struct demo_actor *a)
{
	const char *nm = a->id.name;
	char *end;

	if (a->id.worker_no == 0)
		return strncmp(nm, "main", BOARD_NAME_LEN) == 0 || !nm[0];
	return !nm[0] || (strncmp(nm, "worker ", 7) == 0 && nm[7] >= '0' && nm[7] <= '9' &&
	                  strtoul(nm + 7, &end, 10) == a->id.worker_no && !*end);
}

static const char *
actor_name(const struct demo_actor *a, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", default_name(a) ? 0 : BOARD_NAME_LEN - 1, a->id.name);
	return buf;
}

/* The state shown: the board's, except for the lesson's main thread,
 * which publishes none while it waits in waitpid: there the kernel's
 * word (/proc) is the truth. */
static enum board_state
shown_state(int i, const struct demo_actor *a)
{
	if (i != 0 || !a->ps_ok || a->state != BOARD_ST_RUNNING)
		return a->state;
	switch (a->ps.state) {
	case 'S':
	case 'D':
	case 'I':
		return BOARD_ST_SLEEPING;
	case 'Z':
	case 'X':
		return BOARD_ST_DONE;
	default:
		return a->state;
	}
}

static void
cells(int row, char c[C_COUNT][BOARD_LABEL_LEN + 64])
{
	const struct demo *d = &shell_demo;
	int i = rowmap[row];
	const struct demo_actor *a = &d->act[i];
	enum board_state s = shown_state(i, a);

	snprintf(c[C_W], sizeof c[0], i == 0 ? "M" : "%u", a->id.worker_no);
	snprintf(c[C_KIND], sizeof c[0], "%s", i == 0 ? "main" :
	         a->id.kind == BOARD_KIND_THREAD ? "thrd" :
	         a->id.kind == BOARD_KIND_PROCESS ? "proc" : "?");
	snprintf(c[C_PID], sizeof c[0], "%d", (int)a->id.pid);
	snprintf(c[C_TID], sizeof c[0], "%d", (int)a->id.tid);
	if (a->ps_ok) {
		snprintf(c[C_PPID], sizeof c[0], "%d", a->ps.ppid);
		snprintf(c[C_S], sizeof c[0], "%c", a->ps.state);
		snprintf(c[C_CPU], sizeof c[0], "%.0f", a->cpu);
		snprintf(c[C_CORE], sizeof c[0], "%d", a->ps.cpu);
		/* -1: the task's status file not read yet (procfs.h). */
		if (a->ps.vcsw >= 0)
			snprintf(c[C_VCSW], sizeof c[0], "%ld", a->ps.vcsw);
		else
			snprintf(c[C_VCSW], sizeof c[0], "-");
		if (a->ps.ivcsw >= 0)
			snprintf(c[C_ICSW], sizeof c[0], "%ld", a->ps.ivcsw);
		else
			snprintf(c[C_ICSW], sizeof c[0], "-");
	} else { /* the task is gone: its parent as it said when it started */
		for (int k = C_PPID; k <= C_ICSW; k++)
			if (k != C_TID)
				snprintf(c[k], sizeof c[0], "-");
		if (a->id.ppid > 0)
			snprintf(c[C_PPID], sizeof c[0], "%d", (int)a->id.ppid);
	}
	snprintf(c[C_STATE], sizeof c[0], "%c %s", board_state_mark(s), board_state_name(s));
	actor_name(a, c[C_NAME], sizeof c[0]);
	snprintf(c[C_OP], sizeof c[0], "%s", a->op);
}

static int
digits(long long v)
{
	int n = v < 0 ? 2 : 1;

	while (v >= 10 || v <= -10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Column widths for this width: 0 for a column left out.  Every row
 * counts (the columns do not jump while scrolling), but from its numbers
 * and string lengths, without formatting it: 1024 workers are cheap. */
static void
widths(int width, int w[C_COUNT])
{
	const struct demo *d = &shell_demo;
	long long big[C_COUNT] = {0};
	int total = 0, name = 0, op = 0;

	for (int r = 0; r < nrows; r++) {
		const struct demo_actor *a = &d->act[rowmap[r]];
		int l;

		if (a->id.worker_no > big[C_W])
			big[C_W] = a->id.worker_no;
		if (a->id.pid > big[C_PID])
			big[C_PID] = a->id.pid;
		if (a->id.tid > big[C_TID])
			big[C_TID] = a->id.tid;
		if (a->id.ppid > big[C_PPID])
			big[C_PPID] = a->id.ppid;
		if (a->ps_ok) {
			big[C_PPID] = a->ps.ppid > big[C_PPID] ? a->ps.ppid : big[C_PPID];
			big[C_CORE] = a->ps.cpu > big[C_CORE] ? a->ps.cpu : big[C_CORE];
			big[C_VCSW] = a->ps.vcsw > big[C_VCSW] ? a->ps.vcsw : big[C_VCSW];
			big[C_ICSW] = a->ps.ivcsw > big[C_ICSW] ? a->ps.ivcsw : big[C_ICSW];
			big[C_CPU] = a->cpu > big[C_CPU] ? (long long)(a->cpu + 0.5) : big[C_CPU];
		}
		if (!default_name(a)) {
			char nm[BOARD_NAME_LEN + 1];

			if ((l = md_strwidth(actor_name(a, nm, sizeof nm))) > name)
				name = l;
		}
		if (op <= OP_ROOM && (l = md_strwidth(a->op)) > op)
			op = l;
	}
	for (int k = 0; k < C_COUNT; k++) {
		int hw = md_strwidth(cols[k].head), cw = digits(big[k]);

		w[k] = cw > hw ? cw : hw;
	}
	w[C_KIND] = 4;
	w[C_S] = 1;
	w[C_STATE] = 10; /* "z sleeping" */
	w[C_NAME] = name ? (name > 4 ? name : 4) : 0; /* nobody named: no column */
	/* The OP column: what it holds, up to OP_ROOM; the rest of the row
	 * is its anyway. */
	w[C_OP] = op < 2 ? 2 : op > OP_ROOM ? OP_ROOM : op;
	for (int k = 0; k < C_COUNT; k++)
		total += w[k] ? w[k] + 1 : 0;
	/* Too wide: the least telling column goes, one at a time. */
	while (total - 1 > width) {
		int worst = -1;

		for (int k = 0; k < C_COUNT; k++)
			if (w[k] && cols[k].prio > 0 && (worst < 0 || cols[k].prio > cols[worst].prio))
				worst = k;
		if (worst < 0)
			break;
		total -= w[worst] + 1;
		w[worst] = 0;
	}
}

static int
put_cell(WINDOW *w, int y, int x, int cw, int room, attr_t a, int k, const char *s)
{
	int sw = md_strwidth(s), pad = cols[k].right && sw < cw ? cw - sw : 0;

	if (room <= 0)
		return 0;
	term_put(w, y, x + pad, room - pad, a, s);
	return cw + 1;
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	int h, wd, rows, cw[C_COUNT], x;

	getmaxyx(w, h, wd);
	rows = h - 3;
	if (d->nact == 0) {
		term_put(w, 1, 1, wd - 2, A_BOLD, " W  KIND PID  STATE");
		if (!d->board && d->failed && d->msg[0]) {
			/* A start refused (a script or static program given
			 * to watch, a missing file): why, not "Enter runs it". */
			char why[512], row[512];
			struct layout_row r[8];
			int nr;

			snprintf(why, sizeof why, "not started: %.490s", d->msg);
			nr = layout_wrap(why, wd - 4, 2, r, 8);
			for (int k = 0; k < nr && 2 + k < h - 1; k++) {
				memcpy(row, why + r[k].off, (size_t)r[k].len);
				row[r[k].len] = '\0';
				term_put(w, 2 + k, k ? 4 : 2, k ? wd - 6 : wd - 4, term_attr(COL_WARN),
				         row);
			}
			return;
		}
		term_put(w, 2, 2, wd - 4, term_attr(COL_DIM),
		         d->board ? "waiting for the lesson to publish its workers"
		                  : "no demo yet: Enter runs this step's demo");
		return;
	}
	map_rows();
	widths(wd - 3, cw);
	x = 2;
	for (int k = 0; k < C_COUNT; k++)
		if (cw[k])
			x += put_cell(w, 1, x, k == C_OP ? wd - 1 - x : cw[k], wd - 1 - x, A_BOLD, k,
			              cols[k].head);
	panel_clamp(v, nrows, rows);
	for (int r = 0; r < rows && v->top + r < nrows; r++) {
		int row = v->top + r, i = rowmap[row];
		const struct demo_actor *a = &d->act[i];
		attr_t sel = focus && row == v->sel ? term_attr(COL_SEL) : A_NORMAL;
		char c[C_COUNT][BOARD_LABEL_LEN + 64];

		if (!focus && row == v->sel)
			sel = A_BOLD;
		cells(row, c);
		if (sel != A_NORMAL)
			mvwhline(w, 2 + r, 1, ' ' | sel, wd - 2);
		x = 2;
		for (int k = 0; k < C_COUNT; k++) {
			attr_t at = sel;

			if (!cw[k])
				continue;
			if (k == C_S && a->ps_ok &&
			    (a->ps.state == 'T' || a->ps.state == 'Z' || a->ps.state == 't'))
				at |= term_attr(COL_WARN);
			if (k == C_STATE)
				at |= term_state_attr(shown_state(i, a));
			x += put_cell(w, 2 + r, x, cw[k], wd - 1 - x, at, k, c[k]);
		}
	}
	if (nrows > rows)
		term_printf(w, h - 1, wd - 22, 20, term_attr(COL_DIM), " %d-%d of %d ",
		            v->top + 1, v->top + rows < nrows ? v->top + rows : nrows, nrows);
}

/* A header and a row per actor. */
static int
want(int width)
{
	(void)width;
	if (shell_demo.nact == 0)
		return 2;
	map_rows();
	return 1 + nrows;
}

static int
key(struct panel_view *v, int k)
{
	map_rows();
	return panel_scroll_key(v, k, nrows);
}

const struct shell_panel panel_procs = {
	.name = "procs",
	.title = "Processes & threads",
	.min_h = 5,
	.weight = 1,
	.want = want,
	.draw = draw,
	.key = key,
};
