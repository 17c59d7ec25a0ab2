// A deadlock in the program's own words: the cycle of waits on the board
// (lab_find_deadlock, the same test the lab and the goals use), one
// sentence per worker: "alice holds left_fork and waits for right_fork,
// held by bob".  Workers are named as the program names them (a watched
// program's thread start routine, a lesson's lab_set_name), else "worker N".
#include "shell/shell.h"

#include "lab/lab.h"

#include <string.h>

void
shell_worker_name(const struct demo *d, int actor, char *buf, size_t n)
{
	const struct board *b = d->board;
	const char *nm = actor < d->nact && d->act[actor].valid ? d->act[actor].id.name : "";
	unsigned no = b ? atomic_load(&b->actor[actor].worker_no) : (unsigned)actor;
	char dflt[24];

	snprintf(dflt, sizeof dflt, "worker %u", no);
	if (!nm[0] || strncmp(nm, dflt, BOARD_NAME_LEN) == 0 || strcmp(nm, "worker") == 0)
		snprintf(buf, n, "worker %u", no);
	else
		snprintf(buf, n, "%.*s", BOARD_NAME_LEN - 1, nm);
}

int
shell_deadlock_text(const struct demo *d, char (*out)[160], int *who, int max)
{
	const struct board *b = d->board;
	int cyc[BOARD_MAX_LOCKS + 1], len = 0;

	if (!b || !lab_find_deadlock(b, cyc, BOARD_MAX_LOCKS + 1, &len) || len < 1)
		return 0;
	/* The board is read racily: a worker the kernel sees running has
	 * not settled into its wait yet, so this is no deadlock (yet). */
	for (int i = 0; i < len; i++)
		if (cyc[i] < d->nact && d->act[cyc[i]].ps_ok && d->act[cyc[i]].ps.state == 'R')
			return 0;
	for (int i = 0; i < len && i < max; i++) {
		int next = cyc[(i + 1) % len], prev = cyc[(i + len - 1) % len];
		uint32_t wl = atomic_load(&b->actor[cyc[i]].wait_lock);
		uint32_t hl = atomic_load(&b->actor[prev].wait_lock);
		char me[BOARD_NAME_LEN + 8], them[BOARD_NAME_LEN + 8];

		if (who)
			who[i] = cyc[i];
		shell_worker_name(d, cyc[i], me, sizeof me);
		shell_worker_name(d, next, them, sizeof them);
		/* cyc[i] holds what the worker before it in the cycle waits
		 * for, and waits for what the next one holds. */
		snprintf(out[i], sizeof out[i], "%s holds %.15s and waits for %.15s, held by %s", me,
		         hl && hl <= BOARD_MAX_LOCKS ? b->lock[hl - 1].name : "?",
		         wl && wl <= BOARD_MAX_LOCKS ? b->lock[wl - 1].name : "?", them);
	}
	return len < max ? len : max;
}
