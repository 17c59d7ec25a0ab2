// Processes & threads: every actor of the demo, as the board names it and as
// the kernel sees it (/proc): PID, PPID, TID, state letter, CPU, core,
// context switches.  Threads of one process share its PID; a process worker
// that has exited but not been reaped shows Z.
#include "shell/shell.h"

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

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	int h, wd, rows;

	getmaxyx(w, h, wd);
	rows = h - 3;
	term_printf(w, 1, 1, wd - 2, A_BOLD,
	            " W  KIND   PID    PPID   TID    S CPU%% CORE  VCSW  ICSW STATE     OP");
	if (d->nact == 0) {
		term_put(w, 2, 2, wd - 4, term_attr(COL_DIM),
		         d->board ? "waiting for the lesson to publish its workers"
		                  : "no demo yet: Enter runs this step's demo");
		return;
	}
	map_rows();
	panel_clamp(v, nrows, rows);
	for (int r = 0; r < rows && v->top + r < nrows; r++) {
		int i = rowmap[v->top + r], x, row = v->top + r;
		const struct demo_actor *a = &d->act[i];
		attr_t sel = focus && row == v->sel ? term_attr(COL_SEL) : A_NORMAL;
		char w_no[8], ppid[12], st[4], cpu[8], core[8], vc[12], ic[12];
		const char *kind = i == 0 ? "main" :
		                   a->id.kind == BOARD_KIND_THREAD ? "thrd" :
		                   a->id.kind == BOARD_KIND_PROCESS ? "proc" : "?";

		if (!focus && row == v->sel)
			sel = A_BOLD;
		snprintf(w_no, sizeof w_no, i == 0 ? "M" : "%u", a->id.worker_no);
		if (a->ps_ok) {
			snprintf(ppid, sizeof ppid, "%d", a->ps.ppid);
			snprintf(st, sizeof st, "%c", a->ps.state);
			snprintf(cpu, sizeof cpu, "%4.0f", a->cpu);
			snprintf(core, sizeof core, "%d", a->ps.cpu);
			snprintf(vc, sizeof vc, "%ld", a->ps.vcsw);
			snprintf(ic, sizeof ic, "%ld", a->ps.ivcsw);
		} else {
			snprintf(ppid, sizeof ppid, "-");
			snprintf(st, sizeof st, "-"); /* the task is gone */
			snprintf(cpu, sizeof cpu, "   -");
			snprintf(core, sizeof core, "-");
			snprintf(vc, sizeof vc, "-");
			snprintf(ic, sizeof ic, "-");
		}
		if (sel != A_NORMAL)
			mvwhline(w, 2 + r, 1, ' ' | sel, wd - 2);
		x = 1 + term_printf(w, 2 + r, 1, wd - 2, sel,
		                    "%3s %-5s %-6d %-6s %-6d %-1s %4s %4s %5s %5s ", w_no,
		                    kind, (int)a->id.pid, ppid, (int)a->id.tid, st, cpu,
		                    core, vc, ic);
		if (a->ps_ok && (a->ps.state == 'T' || a->ps.state == 'Z' || a->ps.state == 't'))
			term_put(w, 2 + r, 1 + 4 + 6 + 7 + 7 + 7, 1, sel | term_attr(COL_WARN), st);
		x += term_printf(w, 2 + r, x, wd - 1 - x, sel | term_state_attr(a->state),
		                 "%c%-8.8s ", board_state_mark(a->state),
		                 board_state_name(a->state));
		term_put(w, 2 + r, x, wd - 1 - x, sel, a->op);
	}
	if (nrows > rows)
		term_printf(w, h - 1, wd - 22, 20, term_attr(COL_DIM), " %d-%d of %d ",
		            v->top + 1, v->top + rows < nrows ? v->top + rows : nrows, nrows);
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
	.min_h = 6,
	.weight = 3,
	.draw = draw,
	.key = key,
};
