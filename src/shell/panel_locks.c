// Locks: who holds each lock, who waits for it, how often it was taken, how
// often a taker had to wait (contention), and the time spent waiting.
#include "shell/shell.h"

#include <string.h>

static void
actor_label(int idx, char *buf, size_t n)
{
	const struct demo *d = &shell_demo;

	if (idx < 0)
		snprintf(buf, n, "-");
	else if (idx == 0)
		snprintf(buf, n, "main");
	else if (idx < d->nact)
		snprintf(buf, n, "w%u", d->act[idx].id.worker_no);
	else
		snprintf(buf, n, "#%d", idx);
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	const struct demo *d = &shell_demo;
	const struct board *b = d->board;
	int h, wd;
	uint32_t n;

	(void)v;
	(void)focus;
	getmaxyx(w, h, wd);
	term_put(w, 1, 1, wd - 2, A_BOLD,
	         " NAME       KIND    HOLDER     ACQUIRED  CONTENDED   WAIT ms  WAITERS");
	if (!b || (n = atomic_load(&b->nlocks)) == 0) {
		term_put(w, 2, 2, wd - 4, term_attr(COL_DIM), "no locks in this demo");
		return;
	}
	if (n > BOARD_MAX_LOCKS)
		n = BOARD_MAX_LOCKS;
	for (uint32_t i = 0; i < n && (int)i < h - 3; i++) {
		const struct board_lock *l = &b->lock[i];
		int holder = atomic_load_explicit(&l->holder, memory_order_relaxed);
		unsigned long long acq = atomic_load_explicit(&l->acquisitions, memory_order_relaxed);
		unsigned long long con = atomic_load_explicit(&l->contended, memory_order_relaxed);
		double wait_ms = (double)atomic_load_explicit(&l->wait_ns, memory_order_relaxed) / 1e6;
		unsigned nw = atomic_load_explicit(&l->waiters, memory_order_relaxed);
		char hold[16], who[160] = "";
		size_t used = 0;
		int x;

		actor_label(holder, hold, sizeof hold);
		/* Which workers wait: from their own records (wait_lock). */
		for (int a = 0; a < d->nact && used < sizeof who - 8; a++) {
			uint32_t wl = atomic_load_explicit(&b->actor[a].wait_lock,
			                                   memory_order_relaxed);

			if (wl == i + 1 && d->act[a].state == BOARD_ST_WAIT_LOCK) {
				char lab[16];

				actor_label(a, lab, sizeof lab);
				used += (size_t)snprintf(who + used, sizeof who - used, "%s%s",
				                         used ? "," : " ", lab);
			}
		}
		x = 1 + term_printf(w, 2 + (int)i, 1, wd - 2, A_NORMAL,
		                    " %-10.15s %-7s ", l->name,
		                    board_lock_kind_name(atomic_load(&l->kind)));
		x += term_printf(w, 2 + (int)i, x, wd - 1 - x,
		                 holder >= 0 ? term_state_attr(BOARD_ST_CRITICAL) : A_NORMAL,
		                 "%-8s ", hold);
		x += term_printf(w, 2 + (int)i, x, wd - 1 - x, A_NORMAL,
		                 "%10llu %9.1f%% %9.1f ", acq,
		                 acq ? 100.0 * (double)con / (double)acq : 0.0, wait_ms);
		term_printf(w, 2 + (int)i, x, wd - 1 - x,
		            nw ? term_state_attr(BOARD_ST_WAIT_LOCK) : A_NORMAL, "%u%s", nw, who);
	}
}

const struct shell_panel panel_locks = {
	.name = "locks",
	.title = "Locks",
	.min_h = 4,
	.weight = 0,
	.draw = draw,
	.key = NULL,
};
