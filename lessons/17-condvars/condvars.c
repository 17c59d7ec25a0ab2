// Lesson 17: condition variables, wrong and right (OSTEP threads-cv).
//
// Producers put numbered items into a bounded buffer of --size slots,
// consumers take them out, as in OSTEP's main-two-cvs-while.c.  The knobs
// put back each mistake of that homework, one at a time:
//   --wait if        a consumer does not re-check after it wakes up
//   --cvs one        producers and consumers sleep on the same condition
//   --wake broadcast wake every waiter instead of one
//   --unlock-early   release the lock around the put and the get
//   --sleep-in-lock  a consumer "uses" its item with the lock still held
// A consumer that finds no item in the slot it takes from arrives at the
// probe "take from empty buffer"; a run where every worker sleeps on a
// condition no one will signal is stopped by the lab's watchdog.
//
// --demo tickets is check-then-act with a lock: "is a seat left?" and
// "sell it" each under the lock, but not under the same hold of it.
#include "lab/lab.h"

#include <stdio.h>
#include <string.h>

static const char *demo = "buffer";
static const char *wait_kind = "while";
static const char *cvs = "two";
static const char *wake = "signal";
static const char *lock_kind = "whole";
static bool unlock_early, sleep_in_lock, compare_sleep;
static int producers = 1, consumers, size = 1, seats = 1;
static long items = 1000;
static double hold = 0;

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo, "buffer|tickets",
	  "buffer: producers and consumers; tickets:"
	  "\n                       check-then-act (default buffer)", 0, 0 },
	{ "wait", LAB_OPT_CHOICE, &wait_kind, "if|while",
	  "check the condition once, or again after"
	  "\n                       every wake-up (default while)", 0, 0 },
	{ "cvs", LAB_OPT_CHOICE, &cvs, "one|two",
	  "one condition variable for both sides, or"
	  "\n                       one per side (default two)", 0, 0 },
	{ "wake", LAB_OPT_CHOICE, &wake, "signal|broadcast",
	  "wake one waiter or all of them (default signal)", 0, 0 },
	{ "unlock-early", LAB_OPT_FLAG, &unlock_early, NULL,
	  "give the lock up around the put and the get"
	  "\n                       (OSTEP's extra-unlock)", 0, 0 },
	{ "producers", LAB_OPT_INT, &producers, "P",
	  "how many of the workers produce; the others"
	  "\n                       consume (default 1)", 1, 63 },
	{ "size", LAB_OPT_INT, &size, "B", "slots in the buffer (default 1)", 1, 4096 },
	{ "items", LAB_OPT_LONG, &items, "N",
	  "items each producer makes (OSTEP's -l; default 1000)", 1, 1000000 },
	{ "hold", LAB_OPT_DOUBLE, &hold, "S",
	  "seconds a consumer spends using each item (default 0)", 0, 1 },
	{ "sleep-in-lock", LAB_OPT_FLAG, &sleep_in_lock, NULL,
	  "use the item before giving the lock up"
	  "\n                       (OSTEP's c5), not after (c6)", 0, 0 },
	{ "compare-sleep", LAB_OPT_FLAG, &compare_sleep, NULL,
	  "each run twice, the sleep inside the lock"
	  "\n                       and outside, and the times", 0, 0 },
	{ "lock", LAB_OPT_CHOICE, &lock_kind, "whole|split",
	  "tickets: check and sell under one hold of"
	  "\n                       the lock, or each under its own", 0, 0 },
	{ "seats", LAB_OPT_INT, &seats, "N", "tickets: seats for sale (default 1)", 0, 1000000 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "condvars",
	.title = "Condition variables, wrong and right: a bounded buffer",
	.about = "--producers P of the --workers and the other consumers share a buffer\n"
	         "of --size slots (default 1 producer, 2 consumers).\n"
	         "--wait if, --cvs one, --unlock-early put back the classic mistakes;\n"
	         "--demo tickets is check-then-act under a lock.",
	.workers = 3,
	.mode = LAB_THREAD,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

#define EMPTY (-2) /* a free slot */
#define PILL (-1)  /* end of stream: one per consumer */

struct buf {
	struct lab_lock *m;
	/* Producers wait on not_full, consumers on not_empty; with --cvs
	 * one both are the same cv. */
	struct lab_cond *not_full, *not_empty;
	/* m guards these (--unlock-early breaks that on purpose): */
	long *slot;                 /* size slots, EMPTY when free */
	long fill, use, count;
	int producers_left;         /* the last one puts the pills */

	/* Read-only once the workers run: */
	int size, nprod, ncons;
	long items;
	bool use_while, one_cv, broadcast, early, in_lock;
	double hold;
	_Atomic uint32_t *seen;     /* per item: times consumed */
	struct board_counter *consumed, *level, *empties, *overwrites;
};

static void
wake_one_side(struct lab_worker *w, struct buf *b, struct lab_cond *cv)
{
	if (b->broadcast)
		lab_cond_broadcast(w, cv);
	else
		lab_cond_signal(w, cv);
}

/* DOC: fill
 * OSTEP's do_fill and do_get.  A slot that is not free when a producer
 * fills it, or free when a consumer takes from it, is the failure this
 * lesson plays for: each has a probe of its own that only a broken run
 * reaches.  The broken take gets nothing and leaves the buffer alone. */
static void
do_fill(struct lab_worker *w, struct buf *b, long v)
{
	if (b->slot[b->fill] != EMPTY) {
		lab_step(w, "put into full buffer");
		lab_counter_add(b->overwrites, 1);
	} else {
		b->count++;
	}
	b->slot[b->fill] = v;
	b->fill = (b->fill + 1) % b->size;
	lab_counter_set(b->level, b->count);
}

static long
do_get(struct lab_worker *w, struct buf *b)
{
	long v = b->slot[b->use];

	if (v == EMPTY) {
		lab_step(w, "take from empty buffer");
		lab_counter_add(b->empties, 1);
		return EMPTY;
	}
	b->slot[b->use] = EMPTY;
	b->use = (b->use + 1) % b->size;
	b->count--;
	lab_counter_set(b->level, b->count);
	return v;
}

/* DOC: wait
 * The wait, as OSTEP writes it: `while (cond) wait(cv, m)`.  With --wait
 * if it is `if (cond) wait(cv, m)`: after waking, the consumer acts on a
 * check it made before it slept, but between the signal and its taking m
 * again another consumer may have come in and taken the item (Mesa
 * semantics: a signal is a hint, not a hand-over), or the wait returned
 * with no signal at all (POSIX allows spurious wake-ups). */
static void
wait_while(struct lab_worker *w, struct buf *b, struct lab_cond *cv, bool full)
{
	if (b->use_while) {
		while (full ? b->count == b->size : b->count == 0)
			lab_cond_wait(w, cv, b->m);
	} else if (full ? b->count == b->size : b->count == 0) {
		lab_cond_wait(w, cv, b->m);
	}
}

static void
put(struct lab_worker *w, struct buf *b, long v)
{
	lab_lock(w, b->m);                                   /* p1 */
	wait_while(w, b, b->not_full, true);
	if (b->early)
		lab_unlock(w, b->m);
	lab_step_val(w, "put", v);                           /* p4 */
	do_fill(w, b, v);
	if (b->early)
		lab_lock(w, b->m);
	wake_one_side(w, b, b->not_empty);                   /* p5 */
	lab_unlock(w, b->m);                                 /* p6 */
}

static int
producer(struct lab_worker *w)
{
	struct buf *b = w->arg;
	long base = (long)(w->no - 1) * b->items;
	bool last;

	lab_set_name(w, "producer");
	for (long i = 0; i < b->items; i++) {
		put(w, b, base + i);
		lab_progress(w, (uint64_t)i + 1, (uint64_t)b->items);
	}
	lab_lock(w, b->m);
	last = --b->producers_left == 0;
	lab_unlock(w, b->m);
	/* The last producer ends the stream: one pill per consumer (what
	 * OSTEP's main does with its END_OF_STREAM markers). */
	if (last)
		for (int k = 0; k < b->ncons; k++)
			put(w, b, PILL);
	return 0;
}

static int
consumer(struct lab_worker *w)
{
	struct buf *b = w->arg;
	long v, got = 0;

	lab_set_name(w, "consumer");
	do {
		lab_lock(w, b->m);                           /* c1 */
		wait_while(w, b, b->not_empty, false);
		if (b->early)
			lab_unlock(w, b->m);
		lab_step(w, "take");                         /* c4 */
		v = do_get(w, b);
		if (b->early)
			lab_lock(w, b->m);
		wake_one_side(w, b, b->not_full);
		/* DOC: sleep-in-lock: using the item with m held makes
		 * every other worker wait the whole time. */
		if (b->in_lock && v >= 0 && b->hold > 0)
			lab_sleep(w, b->hold);               /* c5 */
		lab_unlock(w, b->m);                         /* c6 */
		if (!b->in_lock && v >= 0 && b->hold > 0)
			lab_sleep(w, b->hold);
		if (v >= 0) {
			atomic_fetch_add(&b->seen[v], 1);
			lab_counter_add(b->consumed, 1);
			lab_progress(w, (uint64_t)++got, 0);
		}
	} while (v != PILL);
	return 0;
}

static int
buffer_worker(struct lab_worker *w)
{
	struct buf *b = w->arg;

	return w->no <= b->nprod ? producer(w) : consumer(w);
}

/* One run of the team; the elapsed time in ms. */
static double
buffer_once(struct lab *lab, struct buf *b)
{
	struct lab_team *team;
	uint64_t t0 = board_now_ns();

	b->fill = b->use = b->count = 0;
	b->producers_left = b->nprod;
	for (int i = 0; i < b->size; i++)
		b->slot[i] = EMPTY;
	memset(b->seen, 0, (size_t)(b->items * b->nprod) * sizeof *b->seen);
	atomic_store(&b->consumed->value, 0);
	lab_counter_set(b->level, 0);
	team = lab_spawn(lab, b->nprod + b->ncons, buffer_worker, b);
	if (lab_join(team) == LAB_JOIN_DEADLOCK)
		lab_die(lab, "deadlock");
	lab_team_free(team);
	return (double)(board_now_ns() - t0) / 1e6;
}

static void
run_buffer(struct lab *lab)
{
	struct buf *b = lab_shared_alloc(lab, sizeof *b);
	long total = items * producers;

	b->size = size;
	b->nprod = producers;
	b->ncons = consumers;
	b->items = items;
	b->use_while = strcmp(wait_kind, "while") == 0;
	b->one_cv = strcmp(cvs, "one") == 0;
	b->broadcast = strcmp(wake, "broadcast") == 0;
	b->early = unlock_early;
	b->hold = hold;
	b->slot = lab_shared_alloc(lab, (size_t)size * sizeof *b->slot);
	b->seen = lab_shared_alloc(lab, (size_t)total * sizeof *b->seen);
	b->m = lab_lock_new(lab, "m", BOARD_LOCK_MUTEX);
	b->not_empty = lab_cond_new(lab, b->one_cv ? "cv" : "not empty");
	b->not_full = b->one_cv ? b->not_empty : lab_cond_new(lab, "not full");
	lab_say(lab, "%d producer%s, %d consumer%s (%s), %ld items through %d slot%s: "
	        "%s, %s cv%s, %s%s\n", producers, producers == 1 ? "" : "s",
	        consumers, consumers == 1 ? "" : "s", lab_mode_name(lab->o.mode),
	        total, size, size == 1 ? "" : "s", wait_kind, cvs,
	        b->one_cv ? "" : "s", wake, unlock_early ? ", unlock early" : "");
	for (int run = 1; run <= lab->o.runs; run++) {
		long missing = 0, dups = 0;
		double ms, in_ms = 0, out_ms = 0;
		int64_t empties, overwrites, consumed;

		lab_run_begin(lab, run);
		b->consumed = lab_counter(lab, "consumed", 0);
		lab_counter_expect(b->consumed, total);
		lab_counter_kind(b->consumed, BOARD_COUNTER_COUNT);
		b->level = lab_counter(lab, "in buffer", 0);
		lab_counter_kind(b->level, BOARD_COUNTER_GAUGE);
		b->empties = lab_counter(lab, "empty takes", 0);
		lab_counter_expect(b->empties, 0);
		lab_counter_kind(b->empties, BOARD_COUNTER_COUNT);
		b->overwrites = lab_counter(lab, "full puts", 0);
		lab_counter_expect(b->overwrites, 0);
		lab_counter_kind(b->overwrites, BOARD_COUNTER_COUNT);
		if (compare_sleep) {
			/* DOC: compare-sleep: the same work, the sleep first
			 * inside the lock, then outside. */
			b->in_lock = true;
			in_ms = buffer_once(lab, b);
			b->in_lock = false;
			out_ms = buffer_once(lab, b);
			ms = in_ms + out_ms;
		} else {
			b->in_lock = sleep_in_lock;
			ms = buffer_once(lab, b);
		}
		lab_run_end(lab);
		for (long id = 0; id < total; id++) {
			uint32_t s = atomic_load(&b->seen[id]);

			missing += s == 0;
			dups += s > 1 ? s - 1 : 0;
		}
		empties = atomic_load(&b->empties->value);
		overwrites = atomic_load(&b->overwrites->value);
		consumed = atomic_load(&b->consumed->value);
		if (lab->o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_str(&j, "demo", "buffer");
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "mode", lab_mode_name(lab->o.mode));
			lab_json_int(&j, "producers", producers);
			lab_json_int(&j, "consumers", consumers);
			lab_json_int(&j, "size", size);
			lab_json_int(&j, "items", total);
			lab_json_str(&j, "wait", wait_kind);
			lab_json_int(&j, "cvs", b->one_cv ? 1 : 2);
			lab_json_str(&j, "wake", wake);
			lab_json_bool(&j, "unlock_early", unlock_early);
			lab_json_int(&j, "consumed", consumed);
			lab_json_int(&j, "missing", missing);
			lab_json_int(&j, "duplicates", dups);
			lab_json_int(&j, "empty_takes", empties);
			lab_json_int(&j, "full_puts", overwrites);
			lab_json_num(&j, "hold_s", hold);
			/* The least time the sleeps take when they hold m. */
			lab_json_num(&j, "serial_ms", hold * 1000.0 * (double)total);
			lab_json_num(&j, "elapsed_ms", ms);
			if (compare_sleep) {
				lab_json_num(&j, "in_lock_ms", in_ms);
				lab_json_num(&j, "outside_ms", out_ms);
				lab_json_num(&j, "difference_ms", in_ms - out_ms);
			} else {
				lab_json_bool(&j, "sleep_in_lock", sleep_in_lock);
			}
			lab_json_end(&j);
		}
		if (lab_text(lab)) {
			printf("Run %d: %lld of %ld items consumed (missing %ld, "
			       "twice %ld); %lld takes from an empty buffer, %lld "
			       "puts into a full one; %.0f ms\n", run,
			       (long long)consumed, total, missing, dups,
			       (long long)empties, (long long)overwrites, ms);
			if (compare_sleep)
				printf("  sleeping %.0f ms per item: inside the lock "
				       "%.0f ms, outside %.0f ms: %.0f ms (%.1fx) "
				       "longer with the lock held\n", hold * 1000,
				       in_ms, out_ms, in_ms - out_ms,
				       out_ms > 0 ? in_ms / out_ms : 0);
			fflush(stdout);
		}
	}
}

/* ---- Check-then-act ---------------------------------------------------- */

struct box {
	struct lab_lock *m;
	bool split;
	struct board_counter *left, *sold, *oversold;
};

/* DOC: check-then-act
 * "If a seat is left, sell it."  With --lock split the check and the
 * sale each hold m, but m is given up between them: every access is
 * locked, the decision is not.  Another worker can sell the last seat in
 * that gap, and this one sells a seat that is not there. */
static int
buyer(struct lab_worker *w)
{
	struct box *x = w->arg;
	bool ok;

	lab_lock(w, x->m);
	lab_step_val(w, "check seats", atomic_load(&x->left->value));
	ok = atomic_load(&x->left->value) > 0;
	if (x->split) {
		lab_unlock(w, x->m);
		lab_lock(w, x->m);
	}
	if (ok) {
		lab_step(w, "sell seat");
		if (lab_counter_add(x->left, -1) < 0) {
			lab_step(w, "sold a seat that was not there");
			lab_counter_add(x->oversold, 1);
		}
		lab_counter_add(x->sold, 1);
	}
	lab_unlock(w, x->m);
	return 0;
}

static void
run_tickets(struct lab *lab)
{
	struct box *x = lab_shared_alloc(lab, sizeof *x);

	x->split = strcmp(lock_kind, "split") == 0;
	x->m = lab_lock_new(lab, "m", BOARD_LOCK_MUTEX);
	lab_say(lab, "%d buyers, %d seat%s, check and sell %s\n", lab->o.workers,
	        seats, seats == 1 ? "" : "s",
	        x->split ? "each under its own lock" : "under one lock");
	for (int run = 1; run <= lab->o.runs; run++) {
		struct lab_team *team;
		int64_t sold, left, over;

		lab_run_begin(lab, run);
		x->sold = lab_counter(lab, "sold", 0);
		lab_counter_expect(x->sold, lab->o.workers < seats ? lab->o.workers : seats);
		x->left = lab_counter(lab, "seats left", seats);
		lab_counter_kind(x->left, BOARD_COUNTER_GAUGE);
		x->oversold = lab_counter(lab, "oversold", 0);
		lab_counter_expect(x->oversold, 0);
		lab_counter_kind(x->oversold, BOARD_COUNTER_COUNT);
		team = lab_spawn(lab, lab->o.workers, buyer, x);
		if (lab_join(team) == LAB_JOIN_DEADLOCK)
			lab_die(lab, "deadlock");
		lab_run_end(lab);
		lab_team_free(team);
		sold = atomic_load(&x->sold->value);
		left = atomic_load(&x->left->value);
		over = atomic_load(&x->oversold->value);
		if (lab->o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_str(&j, "demo", "tickets");
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "lock", lock_kind);
			lab_json_int(&j, "buyers", lab->o.workers);
			lab_json_int(&j, "seats", seats);
			lab_json_int(&j, "sold", sold);
			lab_json_int(&j, "seats_left", left);
			lab_json_int(&j, "oversold", over);
			lab_json_num(&j, "elapsed_ms", lab_elapsed_ms(lab));
			lab_json_end(&j);
		}
		if (lab_text(lab)) {
			printf("Run %d: %lld sold of %d seats, %lld left, %lld oversold\n",
			       run, (long long)sold, seats, (long long)left,
			       (long long)over);
			fflush(stdout);
		}
	}
}

int
main(int argc, char **argv)
{
	struct lab lab;

	lab_init(&lab, &lesson, argc, argv);
	if (strcmp(demo, "tickets") == 0) {
		if (!lab.o.workers_given)
			lab.o.workers = 2; /* two buyers, one seat */
		run_tickets(&lab);
		return 0;
	}
	if (lab.o.workers > 64)
		lab_usage_error(&lab, "--workers %d: at most 64 in the buffer demo",
		                lab.o.workers);
	if (producers >= lab.o.workers)
		lab_usage_error(&lab, "--producers %d leaves no consumer among %d workers",
		                producers, lab.o.workers);
	consumers = lab.o.workers - producers;
	if (compare_sleep && hold <= 0)
		lab_usage_error(&lab, "--compare-sleep needs --hold S > 0");
	if (compare_sleep && lab_scheduled(&lab))
		lab_usage_error(&lab, "--compare-sleep times free runs: no schedule");
	run_buffer(&lab);
	return 0;
}
