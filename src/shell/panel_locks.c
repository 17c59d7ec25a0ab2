// Locks: who holds each lock (every holder of a semaphore, with the permits
// left), who waits for it (a condition variable has waiters and no holder),
// and, when there is room, how often it was taken, how often a taker had
// to wait (contention) and the time spent waiting.  Every lock the demo
// created has a row; when they do not all fit, the bottom border says how
// many more, and the panel scrolls when focused.  A lesson's home-made
// lock (kind custom) has a second line: how often each worker took it,
// so a lock that lets one worker take nearly every turn is seen.  A
// waiter with a timeout is marked "(timed)" (it goes on by itself), a
// signalled condition variable says how many of its waiters are woken,
// and a name too long for its column is cut where it is still known.
#include "shell/shell.h"

#include <string.h>

#include "lesson/watch_cmd.h"

/* bare: "w2" without the program's name for it (short of room). */
static void
actor_label(int idx, char *buf, size_t n, bool bare)
{
	const struct demo *d = &shell_demo;

	if (idx < 0)
		snprintf(buf, n, "-");
	else if (idx == 0)
		snprintf(buf, n, "main");
	else if (idx < d->nact && d->act[idx].valid && d->start_argc && !bare &&
	         md_watch_is(d->start_argv[0])) { /* a program's own names: "w2 alice" */
		char nm[BOARD_NAME_LEN + 8];

		shell_worker_name(d, idx, nm, sizeof nm);
		snprintf(buf, n, "w%u%s%s%s", d->act[idx].id.worker_no,
		         strncmp(nm, "worker ", 7) ? " " : "", strncmp(nm, "worker ", 7) ? nm : "",
		         d->act[idx].state == BOARD_ST_KILLED ? "(dead)" : "");
	} else if (idx < d->nact && d->act[idx].valid)
		snprintf(buf, n, "w%u%s", d->act[idx].id.worker_no,
		         d->act[idx].state == BOARD_ST_KILLED ? "(dead)" : "");
	else
		snprintf(buf, n, "w%d", idx);
}

static uint32_t
nlocks(void)
{
	const struct board *b = shell_demo.board;
	uint32_t n = b ? atomic_load(&b->nlocks) : 0;

	return n > BOARD_MAX_LOCKS ? BOARD_MAX_LOCKS : n;
}

static bool
has_shares(uint32_t i)
{
	return atomic_load(&shell_demo.board->lock[i].kind) == BOARD_LOCK_CUSTOM;
}

static uint32_t
lock_extra(uint32_t n)
{
	uint32_t extra = 0;

	for (uint32_t i = 0; i < n; i++)
		extra += has_shares(i);
	return extra;
}

/* The rows the deadlock sentences take at panel width wd: a heading, then
 * each sentence wrapped under a 4-column indent. */
enum { DL_INDENT = 4, DL_MAX_ROWS = 8 };
static int
dl_rows(char (*dl)[160], int ndl, int wd)
{
	int rows = 1;

	for (int k = 0; k < ndl; k++)
		rows += layout_wrap(dl[k], wd - 2 - DL_INDENT, 2, NULL, 0);
	return rows;
}

static int
dl_draw(WINDOW *w, int y, int wd, const char *s)
{
	struct layout_row r[DL_MAX_ROWS];
	int n = layout_wrap(s, wd - 2 - DL_INDENT, 2, r, DL_MAX_ROWS);

	for (int i = 0; i < n && i < DL_MAX_ROWS; i++)
		term_printf(w, y++, DL_INDENT + (i ? 2 : 0), wd - 1 - DL_INDENT - (i ? 2 : 0),
		            term_state_attr(BOARD_ST_WAIT_LOCK), "%.*s", r[i].len, s + r[i].off);
	return y;
}

/* Short of rows, the heading goes: "Deadlock: " leads the first
 * sentence instead (the sentences are shorter than 150 bytes: names of
 * 15).  The rows the sentences take then. */
static int
dl_headless(char (*dl)[160], int ndl, int wd)
{
	char first[sizeof dl[0]];

	if ((size_t)snprintf(first, sizeof first, "Deadlock: %.149s", dl[0]) < sizeof first)
		memcpy(dl[0], first, sizeof dl[0]);
	return dl_rows(dl, ndl, wd) - 1;
}

static int
want(int width)
{
	uint32_t n = nlocks();
	char dl[BOARD_MAX_LOCKS + 1][160];
	int ndl = shell_deadlock_text(&shell_demo, dl, NULL, BOARD_MAX_LOCKS + 1);
	/* A watched program's locks come before its process rows in step
	 * mode (lesson_view.c): they ask no row for the heading. */
	bool watched = shell_demo.start_argc && md_watch_is(shell_demo.start_argv[0]);

	return 1 + (n ? (int)(n + lock_extra(n)) : 1) +
	       (!ndl ? 0 : watched ? dl_headless(dl, ndl, width + 2) : dl_rows(dl, ndl, width + 2));
}

/* "taken: w1 5123 (91%)  w2 480 (9%)": each worker's acquisitions. */
static void
draw_shares(WINDOW *w, int y, int wd, uint32_t lock)
{
	const struct demo *d = &shell_demo;
	const struct board *b = d->board;
	unsigned long long total = 0;
	char buf[256], lab[24];
	size_t used;

	for (int a = 1; a < d->nact; a++)
		total += atomic_load_explicit(&b->actor[a].acquired[lock],
		                              memory_order_relaxed);
	used = (size_t)snprintf(buf, sizeof buf, "   taken:");
	for (int a = 1; a < d->nact && used + 32 < sizeof buf; a++) {
		unsigned long long k = atomic_load_explicit(&b->actor[a].acquired[lock],
		                                            memory_order_relaxed);

		actor_label(a, lab, sizeof lab, false);
		used += (size_t)snprintf(buf + used, sizeof buf - used, " %s %llu (%.0f%%)",
		                         lab, k, total ? 100.0 * (double)k / (double)total : 0.0);
	}
	term_put(w, y, 1, wd - 2, term_attr(COL_DIM), buf);
}

/* The HOLDER column: wider where the panel has room for several
 * holders by name (two readers of an rwlock: "w2 reader,w3 reader").
 * The NAME column is 10 wide, up to a name's 15 where there is room. */
enum { HOLD_W = 13, HOLD_W_WIDE = 24, NAME_W = 10, NAME_W_MAX = BOARD_NAME_LEN - 1 };

/* The NAME column's width: its longest name where the panel is wide. */
static int
name_width(uint32_t n, bool room)
{
	int w = NAME_W;

	for (uint32_t i = 0; room && i < n; i++) {
		int k = (int)strnlen(shell_demo.board->lock[i].name, NAME_W_MAX);

		if (k > w)
			w = k;
	}
	return w;
}

/* A lock's name in w columns.  Longer, it is cut where a learner still
 * knows it: an address ("0x7f3a5c0e1040", a lock that is no global of
 * the program, as the trace and the step panel name it) keeps its last
 * digits, which tell two apart ("0x…c0e1040"); a name keeps its start
 * ("counter l…"). */
static void
fit_name(const char *name, int w, char *buf, size_t n)
{
	const char *dots = shell_cfg.ascii ? ".." : "\u2026";
	int len = (int)strnlen(name, NAME_W_MAX), dw = shell_cfg.ascii ? 2 : 1;

	if (len <= w)
		snprintf(buf, n, "%.*s", len, name);
	else if (strncmp(name, "0x", 2) == 0)
		snprintf(buf, n, "0x%s%s", dots, name + len - (w - 2 - dw));
	else
		snprintf(buf, n, "%.*s%s", w - dw, name, dots);
}

/* "w1" style labels of the lock's holders, or of its waiters (a wait
 * with a timeout, which ends by itself, marked "(timed)"). */
static size_t
list_actors(char *buf, size_t len, uint32_t lock, bool holders, bool bare)
{
	const struct demo *d = &shell_demo;
	const struct board *b = d->board;
	size_t used = 0;

	buf[0] = '\0';
	for (int a = 1; a < d->nact && used + 12 < len; a++) {
		bool in;
		char lab[24];

		if (holders)
			in = atomic_load_explicit(&b->actor[a].held, memory_order_relaxed) &
			     (1u << lock);
		else
			in = atomic_load_explicit(&b->actor[a].wait_lock,
			                          memory_order_relaxed) == lock + 1 &&
			     (d->act[a].state == BOARD_ST_WAIT_LOCK ||
			      d->act[a].state == BOARD_ST_KILLED); /* died waiting */
		if (!in)
			continue;
		actor_label(a, lab, sizeof lab, bare);
		used += (size_t)snprintf(buf + used, len - used, "%s%s%s", used ? "," : "", lab,
		                         !holders && atomic_load_explicit(&b->actor[a].wait_timed,
		                                                          memory_order_relaxed)
		                                 ? "(timed)" : "");
	}
	return used;
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	const struct board *b = d->board;
	int h, wd, rows, ndl;
	uint32_t n = nlocks();
	bool wide;
	int hold_w, name_w;
	char dl[BOARD_MAX_LOCKS + 1][160];

	getmaxyx(w, h, wd);
	wide = wd - 2 >= 76;
	hold_w = wd - 2 >= 76 + HOLD_W_WIDE - HOLD_W + 20 ? HOLD_W_WIDE : HOLD_W;
	/* Longer names where WAITERS keeps 20 columns after them. */
	name_w = name_width(n, hold_w == HOLD_W_WIDE &&
	                               wd - 2 >= 76 + HOLD_W_WIDE - HOLD_W + 20 + NAME_W_MAX - NAME_W);
	term_printf(w, 1, 1, wd - 2, A_BOLD, " %-*s KIND     %-*s %s", name_w, "NAME", hold_w,
	            "HOLDER", wide ? "ACQUIRED CONTENDED  WAIT ms  WAITERS" : "WAITERS");
	if (n == 0) {
		term_put(w, 2, 2, wd - 4, term_attr(COL_DIM), "no locks in this demo");
		return;
	}
	/* A cycle of waits, in the program's names, in the rows the locks
	 * leave (they come first), each sentence wrapped. */
	rows = h - 3;
	ndl = shell_deadlock_text(d, dl, NULL, BOARD_MAX_LOCKS + 1);
	if (ndl) {
		int need = dl_rows(dl, ndl, wd), y, locks = (int)(n + lock_extra(n));
		bool head = h - 3 - need >= locks;

		if (!head)
			need = dl_headless(dl, ndl, wd);
		if (h - 3 - need >= locks) {
			rows = h - 3 - need;
			y = h - 1 - need;
			if (head)
				term_put(w, y++, 2, wd - 4, term_attr(COL_WARN),
				         "Deadlock: a cycle of waits, nobody in it can go on");
			for (int k = 0; k < ndl; k++)
				y = dl_draw(w, y, wd, dl[k]);
		}
	}
	panel_clamp(v, (int)n, rows);
	for (int r = 0, y = 2; y < 2 + rows && v->top + r < (int)n; r++, y++) {
		uint32_t i = (uint32_t)(v->top + r);
		int x;
		const struct board_lock *l = &b->lock[i];
		enum board_lock_kind kind = atomic_load(&l->kind);
		int holder = atomic_load_explicit(&l->holder, memory_order_relaxed);
		unsigned nw = atomic_load_explicit(&l->waiters, memory_order_relaxed);
		char kt[24], hold[96], who[160], nm[BOARD_NAME_LEN + 8], woken[24];
		attr_t sel = focus && (int)i == v->sel ? term_attr(COL_SEL) : A_NORMAL;

		if (kind == BOARD_LOCK_SEM)
			snprintf(kt, sizeof kt, "sem %d/%d", atomic_load(&l->value),
			         atomic_load(&l->permits));
		else if (kind == BOARD_LOCK_BARRIER) /* arrived of count */
			snprintf(kt, sizeof kt, "bar %d/%d", atomic_load(&l->value),
			         atomic_load(&l->permits));
		else if (kind == BOARD_LOCK_RWLOCK) /* readers in, or the writer */
			snprintf(kt, sizeof kt, holder >= 0 ? "rw W" : atomic_load(&l->readers) > 0 ?
			         "rw R%d" : "rw", atomic_load(&l->readers));
		else
			snprintf(kt, sizeof kt, "%s", kind == BOARD_LOCK_COND ? "condvar" :
			         board_lock_kind_name(kind));
		/* Holders from the actors' own records (a semaphore has as
		 * many as permits taken); the lock's holder field as a
		 * fallback for a lesson that sets only that. */
		/* Several holders (readers, a semaphore's) by number alone
		 * when their names would push the columns out. */
		if (list_actors(hold, sizeof hold, i, true, false) > (size_t)hold_w)
			list_actors(hold, sizeof hold, i, true, true);
		if (!hold[0])
			actor_label(kind == BOARD_LOCK_COND || kind == BOARD_LOCK_BARRIER
			            ? -1 : holder, hold, sizeof hold, false);
		list_actors(who, sizeof who, i, false, false);
		if (sel != A_NORMAL)
			mvwhline(w, y, 1, ' ' | sel, wd - 2);
		fit_name(l->name, name_w, nm, sizeof nm);
		/* Padded by hand: "%-*s" counts the ellipsis's three bytes. */
		x = 1 + term_printf(w, y, 1, wd - 2, sel, " %s%*s %-8s ", nm,
		                    name_w - md_strwidth(nm), "", kt);
		x += term_printf(w, y, x, wd - 1 - x,
		                 sel | (strcmp(hold, "-") ? term_state_attr(BOARD_ST_CRITICAL)
		                                          : A_NORMAL),
		                 "%-*s ", hold_w, hold);
		if (wide) {
			unsigned long long acq = atomic_load_explicit(&l->acquisitions, memory_order_relaxed);
			unsigned long long con = atomic_load_explicit(&l->contended, memory_order_relaxed);
			double wait_ms = (double)atomic_load_explicit(&l->wait_ns, memory_order_relaxed) / 1e6;

			/* A condition variable is never contended: it counts its
			 * wake-ups (ACQUIRED) and the time its waiters slept. */
			if (kind == BOARD_LOCK_COND)
				x += term_printf(w, y, x, wd - 1 - x, sel, "%8llu %9s %8.1f  ",
				                 acq, "-", wait_ms);
			else
				x += term_printf(w, y, x, wd - 1 - x, sel, "%8llu %8.1f%% %8.1f  ",
				                 acq, acq ? 100.0 * (double)con / (double)acq : 0.0,
				                 wait_ms);
		}
		/* A condition variable signalled: wake-ups on their way to
		 * its waiters, who wait for its mutex now (a watched
		 * program's waiter takes it back inside pthread_cond_wait,
		 * where the schedule cannot see which one is woken). */
		woken[0] = '\0';
		if (kind == BOARD_LOCK_COND && nw && atomic_load(&l->value) > 0)
			snprintf(woken, sizeof woken, " (%d woken)", atomic_load(&l->value));
		/* Waiters by number alone when their names would be cut. */
		if (x + 4 + md_strwidth(who) + (int)strlen(woken) > wd - 1)
			list_actors(who, sizeof who, i, false, true);
		term_printf(w, y, x, wd - 1 - x,
		            sel | (nw ? term_state_attr(BOARD_ST_WAIT_LOCK) : A_NORMAL),
		            "%u%s%s%s", nw, who[0] ? ": " : "", who, woken);
		if (has_shares(i) && y + 1 < 2 + rows)
			draw_shares(w, ++y, wd, i);
	}
	if ((int)n > rows)
		term_printf(w, h - 1, wd - 14, 12, term_attr(COL_DIM), " +%d more ",
		            (int)n - rows);
}

static int
key(struct panel_view *v, int k)
{
	return panel_scroll_key(v, k, (int)nlocks());
}

const struct shell_panel panel_locks = {
	.name = "locks",
	.title = "Locks",
	.min_h = 4,
	.weight = 0, /* its rows are what it wants: spare ones go elsewhere */
	.want = want,
	.draw = draw,
	.key = key,
};
