// Lesson 21: the bank race of lesson 03, one level up.  The balance lives
// in an MPI window on rank 0; the ranks of an Open MPI job (processes
// started by mpirun) update it with one-sided communication.  Rank 0 and
// every even rank withdraw 1, odd ranks deposit 1, --iters times each, as
// lesson 03's worker 1 withdraws and worker 2 deposits.
//
// The window is the board counter itself: rank 0 creates it over the
// counter's 8 bytes (MPI_Win_create), so what the other ranks MPI_Put
// there is the number the shell shows, live.
//
// MPI 3.1 (chapter 11, "One-Sided Communications") is cited by section.
#include "lab/lab_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool compare;

static const struct lab_option options[] = {
	{ "compare", LAB_OPT_FLAG, &compare, NULL,
	  "run every --sync method in turn, each on a counter of its own", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "mpi-bank",
	.title = "The bank race, distributed: MPI ranks update a balance in a window",
	.about = "Rank 0 holds the balance (100) in an MPI window; even ranks withdraw 1,\n"
	         "odd ranks deposit 1, --iters times each, with MPI_Get and MPI_Put.\n"
	         "--sync accumulate, fetch-op or lock makes every update count.",
	.workers = 2,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_PROCESS_ONLY,
	.iters = 2000,
	.runs = 5,
	.syncs = "none|per-access|accumulate|fetch-op|lock",
	.sync_default = "none",
	.options = options,
};

/* The watchdog: a run that passes no probe for 10 s is stuck (an update
 * takes microseconds).  Two ranks at least: one is no race, and Open MPI
 * here has no window component for MPI_Win_create on a single process
 * (MPI_ERR_WIN, measured with -np 1). */
static struct lab_mpi m = { .watchdog_s = 10, .min_ranks = 2 };

enum sync { SYNC_NONE, SYNC_PER_ACCESS, SYNC_ACCUMULATE, SYNC_FETCH_OP, SYNC_LOCK };
#define NSYNC 5
static const char *const sync_name[NSYNC] = { "none", "per-access", "accumulate",
                                              "fetch-op", "lock" };
/* The same, as --json key prefixes. */
static const char *const sync_key[NSYNC] = { "none", "per_access", "accumulate",
                                             "fetch_op", "lock" };

static enum sync
parse_sync(const char *s)
{
	for (int i = 0; i < NSYNC; i++)
		if (strcmp(s, sync_name[i]) == 0)
			return (enum sync)i;
	return SYNC_NONE;
}

/* The target of every access: rank 0, displacement 0, one int64. */
#define BALANCE 0, 0, 1, MPI_INT64_T

/* DOC: racy-get-put
 * The lost update, with MPI_Get and MPI_Put inside one passive-target
 * epoch that every rank opened with MPI_Win_lock_all (a shared lock on
 * every target, MPI 3.1 §11.5.3).  MPI_Win_flush completes each operation
 * at the target (§11.5.4), so the Get has the balance of that moment and
 * the Put has landed when the next Get starts.  But between this rank's
 * Get and its Put, another rank's Put can land: this rank then writes
 * back v + amount computed from the old v, and erases that update.  No
 * MPI call here is an error: MPI 3.1 §11.7 says concurrent puts to one
 * location from several origins "are not erroneous, but do not have a
 * defined behavior" (any one of them, or bytes of each).  Here no run has
 * shown a torn value (the balance stays within what the updates could
 * reach: a check that sees a torn write only when it leaves that range),
 * and updates are lost. */
static void
update_none(MPI_Win win, int64_t amount)
{
	int64_t v;

	lab_step(m.w, "get balance");
	MPI_Get(&v, 1, MPI_INT64_T, BALANCE, win);
	MPI_Win_flush(0, win); /* v has arrived */
	lab_step_val(m.w, "put balance", v + amount);
	v += amount;
	MPI_Put(&v, 1, MPI_INT64_T, BALANCE, win);
	MPI_Win_flush(0, win); /* and is in rank 0's memory */
}

/* DOC: per-access
 * Lesson 03's lock per access, in MPI: an exclusive lock (MPI 3.1
 * §11.5.3) around the Get, released, and another around the Put.  Every
 * access is in an epoch of its own that no other rank's access overlaps,
 * so each one is well defined by the standard; the update is not: another
 * rank's whole epoch can fall between the two, and its update is
 * overwritten as above. */
static void
update_per_access(MPI_Win win, int64_t amount)
{
	int64_t v;

	MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
	lab_step(m.w, "get balance");
	MPI_Get(&v, 1, MPI_INT64_T, BALANCE, win);
	MPI_Win_unlock(0, win); /* completes the Get */
	v += amount;
	MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
	lab_step_val(m.w, "put balance", v);
	MPI_Put(&v, 1, MPI_INT64_T, BALANCE, win);
	MPI_Win_unlock(0, win);
}

/* DOC: accumulate
 * One call that adds at the target: MPI_Accumulate with MPI_SUM.  MPI
 * 3.1 §11.7.1: accumulates to the same location with the same predefined
 * datatype are atomic, "as if" done one after another in some order,
 * which is exactly what the balance needs; concurrent accumulates are the
 * one exception to the rule against concurrent updates (§11.7). */
static void
update_accumulate(MPI_Win win, int64_t amount)
{
	lab_step_val(m.w, "accumulate", amount);
	MPI_Accumulate(&amount, 1, MPI_INT64_T, BALANCE, MPI_SUM, win);
	MPI_Win_flush(0, win);
}

/* DOC: fetch-op
 * MPI_Fetch_and_op (MPI 3.1 §11.3.4): the same atomic add, and it returns
 * the balance as it was just before, the MPI form of atomic_fetch_add. */
static void
update_fetch_op(MPI_Win win, int64_t amount)
{
	int64_t old;

	lab_step_val(m.w, "fetch and add", amount);
	MPI_Fetch_and_op(&amount, &old, MPI_INT64_T, 0, 0, MPI_SUM, win);
	MPI_Win_flush(0, win); /* old has arrived (unused here) */
}

/* DOC: locked-update
 * The whole read-modify-write in one exclusive epoch: no other rank's
 * access to rank 0's window can come between the Get and the Put
 * (MPI_LOCK_EXCLUSIVE, §11.5.3).  The flush inside the epoch completes
 * the Get before its value is used. */
static void
update_lock(MPI_Win win, int64_t amount)
{
	int64_t v;

	MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
	lab_step(m.w, "get balance");
	MPI_Get(&v, 1, MPI_INT64_T, BALANCE, win);
	MPI_Win_flush(0, win);
	lab_step_val(m.w, "put balance", v + amount);
	v += amount;
	MPI_Put(&v, 1, MPI_INT64_T, BALANCE, win);
	MPI_Win_unlock(0, win);
}

/* One rank's --iters updates. */
static void
account(MPI_Win win, enum sync sync, long iters, int64_t amount)
{
	bool all = sync == SYNC_NONE || sync == SYNC_ACCUMULATE ||
	           sync == SYNC_FETCH_OP;

	if (all)
		MPI_Win_lock_all(0, win);
	for (long i = 0; i < iters; i++) {
		switch (sync) {
		case SYNC_NONE:
			update_none(win, amount);
			break;
		case SYNC_PER_ACCESS:
			update_per_access(win, amount);
			break;
		case SYNC_ACCUMULATE:
			update_accumulate(win, amount);
			break;
		case SYNC_FETCH_OP:
			update_fetch_op(win, amount);
			break;
		case SYNC_LOCK:
			update_lock(win, amount);
			break;
		}
		if ((i & 255) == 0)
			lab_progress(m.w, (uint64_t)i, (uint64_t)iters);
	}
	if (all)
		MPI_Win_unlock_all(win);
	lab_progress(m.w, (uint64_t)iters, (uint64_t)iters);
}

/* What one method did in a run, at rank 0. */
struct outcome {
	int64_t final;
	double ms;
};

/* One method's --iters updates by every rank, on a balance counter of its
 * own that the window is made over; collective. */
static struct outcome
phase(enum sync sync, const char *counter, long iters, int64_t expected,
      int64_t amount, const char **model)
{
	struct outcome o = { 0, 0 };
	struct board_counter *balance;
	_Atomic int64_t *value = NULL;
	double t0;
	MPI_Win win;

	if (m.rank == 0) {
		balance = lab_counter(&m.lab, counter, 100);
		lab_counter_expect(balance, expected);
		lab_counter_kind(balance, BOARD_COUNTER_CONSERVED);
		value = &balance->value;
	}
	/* Rank 0 exposes the counter's 8 bytes; the others expose nothing.
	 * _Atomic int64_t is a plain lock-free 8-byte word (lesson 03
	 * asserts it), so an MPI_INT64_T is the same bytes. */
	MPI_Win_create(m.rank == 0 ? (void *)value : NULL,
	               m.rank == 0 ? (MPI_Aint)sizeof *value : 0,
	               (int)sizeof(int64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &win);
	if (!**model) {
		/* The memory model Open MPI gives this window (MPI 3.1
		 * §11.4): unified, public and private copy the same. */
		int *mp, flag = 0;

		MPI_Win_get_attr(win, MPI_WIN_MODEL, &mp, &flag);
		*model = !flag ? "unknown" : *mp == MPI_WIN_UNIFIED ? "unified" : "separate";
	}
	MPI_Barrier(MPI_COMM_WORLD); /* the start line */
	t0 = MPI_Wtime();
	account(win, sync, iters, amount);
	MPI_Barrier(MPI_COMM_WORLD); /* every rank's updates complete */
	o.ms = (MPI_Wtime() - t0) * 1e3;
	if (m.rank == 0) {
		/* Read the window as its owner, inside an epoch (MPI 3.1
		 * §11.5.3), so every Put is visible. */
		MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
		o.final = atomic_load(value);
		MPI_Win_unlock(0, win);
	}
	MPI_Win_free(&win);
	return o;
}

static long long
lost(int64_t final, int64_t expected)
{
	return final > expected ? final - expected : expected - final;
}

static double
us_per_update(const struct outcome *o, long iters)
{
	return o->ms * 1e3 / (double)(iters ? iters : 1);
}

int
main(int argc, char **argv)
{
	enum sync sync, first, last;
	int64_t expected = 100, amount;
	long iters;
	int lossy = 0;
	long long *pids = NULL;
	const char *model = "";

	lab_mpi_init(&m, &lesson, argc, argv);
	sync = parse_sync(m.lab.o.sync);
	first = compare ? SYNC_NONE : sync;
	last = compare ? SYNC_LOCK : sync;
	iters = m.lab.o.iters;
	amount = m.rank % 2 ? +1 : -1; /* even ranks withdraw, odd deposit */
	for (int r = 0; r < m.size; r++)
		expected += (r % 2 ? +1 : -1) * (int64_t)iters;
	if (m.rank == 0) {
		pids = calloc((size_t)m.size, sizeof *pids);
		if (!pids)
			lab_die(&m.lab, "out of memory");
		lab_say(&m.lab, "%d ranks, %ld update%s each, sync %s (rank 0 may use %d CPU%s)\n",
		        m.size, iters, iters == 1 ? "" : "s",
		        compare ? "none, per-access, accumulate, fetch-op, lock in turn"
		                : m.lab.o.sync,
		        m.lab.ncpu, m.lab.ncpu == 1 ? "" : "s");
	}
	for (int run = 1; run <= m.lab.o.runs; run++) {
		struct outcome out[NSYNC];

		lab_mpi_run_begin(&m, run);
		lab_mpi_gather(&m, getpid(), pids);
		for (enum sync s = first; s <= last; s++)
			out[s] = phase(s, compare ? sync_name[s] : "balance", iters,
			               expected, amount, &model);
		lab_mpi_run_end(&m);
		if (m.rank != 0)
			continue;
		if (out[first].final != expected)
			lossy++;
		if (m.lab.o.json) {
			struct lab_json j;
			char key[48];

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_int(&j, "ranks", m.size);
			lab_json_int(&j, "iters", iters);
			lab_json_int(&j, "expected", expected);
			/* The balance can only reach 100 - (withdrawals) ..
			 * 100 + (deposits): outside it, a torn write. */
			lab_json_int(&j, "low", 100 - (int64_t)((m.size + 1) / 2) * iters);
			lab_json_int(&j, "high", 100 + (int64_t)(m.size / 2) * iters);
			if (!compare) {
				lab_json_int(&j, "final", out[sync].final);
				lab_json_int(&j, "lost", lost(out[sync].final, expected));
				lab_json_num(&j, "elapsed_ms", out[sync].ms);
				lab_json_num(&j, "us_per_update", us_per_update(&out[sync], iters));
			} else
				for (enum sync s = first; s <= last; s++) {
					snprintf(key, sizeof key, "%s_final", sync_key[s]);
					lab_json_int(&j, key, out[s].final);
					snprintf(key, sizeof key, "%s_lost", sync_key[s]);
					lab_json_int(&j, key, lost(out[s].final, expected));
					snprintf(key, sizeof key, "%s_us_per_update", sync_key[s]);
					lab_json_num(&j, key, us_per_update(&out[s], iters));
				}
			lab_json_str(&j, "sync", compare ? "compare" : m.lab.o.sync);
			/* CPUs rank 0 may run on (lab_mpi starts mpirun
			 * with --bind-to none: the kernel places the ranks). */
			lab_json_int(&j, "rank_cpus", m.lab.ncpu);
			lab_json_str(&j, "memory_model", model);
			lab_json_int(&j, "unified", strcmp(model, "unified") == 0);
			lab_json_int_array(&j, "pids", pids, m.size);
			lab_json_end(&j);
		}
		if (lab_text(&m.lab) && !compare) {
			/* As lesson 03 prints it, so the two compare. */
			printf("Final Balance:  %lld\n", (long long)out[sync].final);
			fflush(stdout);
		} else if (lab_text(&m.lab)) {
			printf("run %d:", run);
			for (enum sync s = first; s <= last; s++)
				printf("  %s %lld (%.1f us/update)", sync_name[s],
				       (long long)out[s].final, us_per_update(&out[s], iters));
			printf("\n");
			fflush(stdout);
		}
	}
	if (m.rank == 0)
		lab_say(&m.lab, "\nexpected %lld; %d of %d runs lost updates%s%s\n",
		        (long long)expected, lossy, m.lab.o.runs,
		        compare ? " under sync none" : "",
		        lossy ? " (each run lost at least |final - expected| updates)" : "");
	free(pids);
	lab_mpi_finalize(&m, 0);
}
