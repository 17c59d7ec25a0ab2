// Lesson 03: the bank balance race (a lost update), and its fixes.
//
// The balance starts at 100.  Worker 1 withdraws 1, worker 2 deposits 1,
// --iters times each (with more workers, odd ones withdraw, even ones
// deposit).  Unsynchronised, "balance -= 1" is really three steps: read the
// balance, compute, write it back.  When both workers read the same value
// before either writes, one of the two updates is lost.
#include "lab/lab.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(_Atomic int64_t) == sizeof(int64_t) &&
               ATOMIC_LLONG_LOCK_FREE == 2, "balance must be a plain lock-free word");

static const char *widen = "none";

static const struct lab_option options[] = {
	{ "widen", LAB_OPT_CHOICE, &widen, "none|yield",
	  "yield: give the CPU away between read and write once every 64 "
	  "updates, so that even a few updates (--iters 1000) overlap "
	  "(default none)", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "race",
	.title = "Race conditions: two workers update one bank balance",
	.about = "Worker 1 withdraws and worker 2 deposits, 1 at a time, --iters times each.\n"
	         "Without a lock, updates get lost and the final balance is not 100.",
	.workers = 2,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.iters = 5000000,
	.runs = 10,
	.syncs = "none|mutex|spin|atomic|per-access",
	.sync_default = "none",
	.options = options,
	.outcome = "final", /* --explore: runs differ by the final balance */
};

/* How often --widen yield yields (a power of two). */
#define YIELD_EVERY 64

enum sync { SYNC_NONE, SYNC_MUTEX, SYNC_SPIN, SYNC_ATOMIC, SYNC_PER_ACCESS };

struct bank {
	_Atomic int64_t *balance; /* the board counter: shared by every worker */
	volatile int64_t *plain;  /* the same 8 bytes, as a plain variable */
	struct lab_lock *lock;
	enum sync sync;
	long iters;
	bool yield; /* widen the window between read and write */
};

/* DOC: racy-update
 * The lost update.  "balance -= 1" is a read and a write.  Another worker
 * can write between our read and our write, and our write then erases its
 * update.  Without a lock this is a data race: undefined behaviour in C,
 * and exactly what ThreadSanitizer reports.  The accesses are volatile so
 * the compiler performs each one as written (it may not merge the loop
 * into one addition), and the lost updates come from real interleavings.
 * Under a lock the same code is correct: the lock orders the accesses. */
static void
update(struct lab_worker *w, struct bank *bank, int64_t amount, long i)
{
	int64_t v;

	lab_step(w, "read balance");
	v = *bank->plain;
	lab_read_seen(w, v);
	/* The visible knob (--widen yield): now and then, give the CPU away
	 * between the read and the write, as a preemption at the worst moment
	 * would.  The other worker then runs with the balance we hold stale. */
	if (bank->yield && (i & (YIELD_EVERY - 1)) == 0)
		sched_yield();
	lab_step_val(w, "write balance", v + amount);
	*bank->plain = v + amount;
}

/* DOC: per-access
 * What Python's multiprocessing.Value does with its built-in lock: the
 * lock is taken around the read and, separately, around the write
 * (sharedctypes.py's getter and setter), so "counter.value -= 1" still
 * leaves the gap between them open.  Each access is safe; the update is
 * not. */
static void
update_per_access(struct lab_worker *w, struct bank *bank, int64_t amount)
{
	int64_t v;

	lab_lock(w, bank->lock);
	lab_step(w, "read balance");
	v = *bank->plain;
	lab_read_seen(w, v);
	lab_unlock(w, bank->lock);
	lab_lock(w, bank->lock);
	lab_step_val(w, "write balance", v + amount);
	*bank->plain = v + amount;
	lab_unlock(w, bank->lock);
}

static int
account(struct lab_worker *w)
{
	struct bank *bank = w->arg;
	int64_t amount = w->no % 2 ? -1 : +1; /* odd withdraw, even deposit */

	for (long i = 0; i < bank->iters; i++) {
		switch (bank->sync) {
		case SYNC_NONE:
			update(w, bank, amount, i);
			break;
		case SYNC_MUTEX:
		case SYNC_SPIN:
			/* DOC: locked-update: the same three steps, but no
			 * other worker can be between lock and unlock. */
			lab_lock(w, bank->lock);
			update(w, bank, amount, i);
			lab_unlock(w, bank->lock);
			break;
		case SYNC_PER_ACCESS:
			update_per_access(w, bank, amount);
			break;
		case SYNC_ATOMIC:
			/* One indivisible read-modify-write instruction. */
			lab_step_val(w, "add to balance", amount);
			atomic_fetch_add_explicit(bank->balance, amount,
			                          memory_order_relaxed);
			break;
		}
		if ((i & 1023) == 0)
			lab_progress(w, (uint64_t)i, (uint64_t)bank->iters);
	}
	lab_progress(w, (uint64_t)bank->iters, (uint64_t)bank->iters);
	return 0;
}

static enum sync
parse_sync(const char *s)
{
	if (strcmp(s, "mutex") == 0)
		return SYNC_MUTEX;
	if (strcmp(s, "spin") == 0)
		return SYNC_SPIN;
	if (strcmp(s, "atomic") == 0)
		return SYNC_ATOMIC;
	if (strcmp(s, "per-access") == 0)
		return SYNC_PER_ACCESS;
	return SYNC_NONE;
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct bank bank;
	struct board_counter *balance;
	int64_t expected = 100;
	int lossy = 0;

	lab_init(&lab, &lesson, argc, argv);
	bank.sync = parse_sync(lab.o.sync);
	bank.iters = lab.o.iters;
	bank.yield = strcmp(widen, "yield") == 0;
	bank.lock = NULL;
	if (bank.sync != SYNC_NONE && bank.sync != SYNC_ATOMIC)
		bank.lock = lab_lock_new(&lab, "m", bank.sync == SYNC_SPIN ?
		                         BOARD_LOCK_SPIN : BOARD_LOCK_MUTEX);
	for (int no = 1; no <= lab.o.workers; no++)
		expected += (no % 2 ? -1 : +1) * (int64_t)bank.iters;

	lab_say(&lab, "%d %s workers, %ld update%s each, sync %s%s (%d CPU%s usable)\n",
	        lab.o.workers, lab_mode_name(lab.o.mode), bank.iters,
	        bank.iters == 1 ? "" : "s", lab.o.sync,
	        bank.yield ? ", yielding between read and write every 64 updates" : "",
	        lab.ncpu, lab.ncpu == 1 ? "" : "s");
	for (int run = 1; run <= lab.o.runs; run++) {
		struct lab_team *team;
		int64_t final;

		lab_run_begin(&lab, run);
		balance = lab_counter(&lab, "balance", 100);
		lab_counter_expect(balance, expected);
		lab_counter_kind(balance, BOARD_COUNTER_CONSERVED);
		bank.balance = &balance->value;
		/* An _Atomic int64_t is a plain 8-byte integer on every
		 * platform racelab runs on (lock-free, same size and
		 * alignment), so the shell still reads the true value. */
		bank.plain = (volatile int64_t *)(void *)&balance->value;
		team = lab_spawn(&lab, lab.o.workers, account, &bank);
		if (lab_join(team) == LAB_JOIN_DEADLOCK) {
			printf("Result: deadlock\n");
			return LAB_EXIT_DEADLOCK;
		}
		lab_run_end(&lab);
		final = atomic_load(&balance->value);
		if (final != expected)
			lossy++;
		if (lab.o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_int(&j, "workers", lab.o.workers);
			lab_json_int(&j, "iters", bank.iters);
			lab_json_int(&j, "expected", expected);
			lab_json_int(&j, "final", final);
			lab_json_int(&j, "lost", final > expected ? final - expected
			                                          : expected - final);
			lab_json_num(&j, "elapsed_ms", lab_elapsed_ms(&lab));
			lab_json_str(&j, "sync", lab.o.sync);
			lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
			lab_json_bool(&j, "yield", bank.yield);
			lab_json_int(&j, "cpus", lab.ncpu);
			lab_json_end(&j);
		}
		if (lab_text(&lab)) {
			/* As the tutorial prints it, so the two compare. */
			printf("Final Balance:  %lld\n", (long long)final);
			fflush(stdout);
		}
		lab_team_free(team);
	}
	lab_say(&lab, "\nexpected %lld; %d of %d runs lost updates%s\n",
	        (long long)expected, lossy, lab.o.runs,
	        lossy ? " (each run lost at least |final - expected| updates)" : "");
	return 0;
}
