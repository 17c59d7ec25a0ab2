// Lesson 18: semaphore patterns, after Allen B. Downey's "The Little Book
// of Semaphores", chapter 3 (signalling, rendezvous, mutex, multiplex,
// barrier, reusable barrier), plus a countdown latch and a manual-reset
// event built from the same parts.
//
// --pattern NAME picks the pattern, --variant right|wrong the version:
// each wrong one is a mistake (for the rendezvous and the barriers the
// book's own non-solutions; for signalling and the multiplex a missing or
// an extra post, which the book does not show), and each has a probe
// or a measure that shows it (a worker ahead of the one it must follow,
// too many inside, a lap) or it leaves every worker asleep.  Every
// semaphore is a lab semaphore (lab_sem_new), so the Locks panel shows
// its permits and waiters and the watchdog sees who sleeps on it.
#include "lab/lab.h"

#include <stdio.h>
#include <string.h>

static const char *pattern = "signal";
static const char *variant = "right";
static int limit = 2;
static long rounds = 0; /* 0: the pattern's own default */
static double hold = 0;

static const struct lab_option options[] = {
	/* A string, not a choice: the list is too long for --help's column. */
	{ "pattern", LAB_OPT_STRING, &pattern, "NAME",
	  "signal, rendezvous, multiplex, barrier, reusable,"
	  "\n                       latch or event (default signal)", 0, 0 },
	{ "variant", LAB_OPT_CHOICE, &variant, "right|wrong",
	  "the book's solution, or a mistake that"
	  "\n                       breaks it (default right)", 0, 0 },
	{ "limit", LAB_OPT_INT, &limit, "N",
	  "multiplex: at most N inside (default 2)", 1, 64 },
	{ "rounds", LAB_OPT_LONG, &rounds, "R",
	  "multiplex and reusable: rounds per worker (default 3)", 1, 100000 },
	{ "hold", LAB_OPT_DOUBLE, &hold, "S",
	  "multiplex: seconds inside (default 0)", 0, 1 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "semaphores",
	.title = "Semaphore patterns (the Little Book of Semaphores, chapter 3)",
	.about = "--pattern signal|rendezvous|multiplex|barrier|reusable|latch|event\n"
	         "--variant right: the book's solution; wrong: a mistake that breaks it.",
	.workers = 4, /* most patterns take fewer (see main) */
	.mode = LAB_THREAD,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

enum pat { P_SIGNAL, P_RENDEZVOUS, P_MULTIPLEX, P_BARRIER, P_REUSABLE, P_LATCH, P_EVENT };
static const char *const pat_names[] = {
	"signal", "rendezvous", "multiplex", "barrier", "reusable", "latch", "event",
};

#define MAXW 64

struct shared {
	enum pat pat;
	bool wrong;
	int n;          /* workers */
	long rounds;
	double hold;
	struct lab_lock *mutex;                /* a semaphore of 1 */
	struct lab_lock *s1, *s2;              /* the pattern's semaphores */
	/* Guarded by mutex (count) or written by one worker (arrived[w]): */
	int count;
	bool set;
	_Atomic int done[MAXW + 1];    /* per worker: its a1/b1 done, or the
	                                * round it has arrived at */
	struct board_counter *inside, *max_inside, *bad, *passed;
};

/* An ordering the pattern exists to prevent has happened. */
static void
violation(struct shared *s)
{
	lab_counter_add(s->bad, 1);
}

/* DOC: signal
 * Signalling: worker 1 does a1 and posts; worker 2 waits, then does
 * b1.  The semaphore starts at 0, so b1 cannot come first.  The wrong
 * variant has no semaphore. */
static void
signal_pattern(struct lab_worker *w, struct shared *s)
{
	if (w->no == 1) {
		lab_step(w, "a1");
		atomic_store(&s->done[1], 1);
		if (!s->wrong)
			lab_sem_post(w, s->s1);
	} else {
		if (!s->wrong)
			lab_sem_wait(w, s->s1);
		lab_step(w, "b1");
		if (!atomic_load(&s->done[1])) {
			lab_step(w, "b1 before a1");
			violation(s);
		}
	}
}

/* DOC: rendezvous
 * Rendezvous: each posts its own arrival, then waits for the
 * other's, so neither's second statement runs before both have done the
 * first.  The wrong variant waits first: both wait, no one posts. */
static void
rendezvous_pattern(struct lab_worker *w, struct shared *s)
{
	struct lab_lock *mine = w->no == 1 ? s->s1 : s->s2;
	struct lab_lock *theirs = w->no == 1 ? s->s2 : s->s1;
	int other = w->no == 1 ? 2 : 1;

	/* One probe per label: a probe site keeps the label it first saw. */
	if (w->no == 1)
		lab_step(w, "a1");
	else
		lab_step(w, "b1");
	atomic_store(&s->done[w->no], 1);
	if (s->wrong) {
		lab_sem_wait(w, theirs);
		lab_sem_post(w, mine);
	} else {
		lab_sem_post(w, mine);
		lab_sem_wait(w, theirs);
	}
	if (w->no == 1)
		lab_step(w, "a2");
	else
		lab_step(w, "b2");
	if (!atomic_load(&s->done[other]))
		violation(s);
}

/* DOC: multiplex
 * Multiplex: a semaphore of N lets at most N in.  The wrong variant
 * is a post without a wait (worker 1 "gives back" a permit it never
 * took, on an error path, say): the semaphore now lets N+1 in. */
static void
multiplex_pattern(struct lab_worker *w, struct shared *s)
{
	if (s->wrong && w->no == 1)
		lab_sem_post(w, s->s1);
	for (long r = 0; r < s->rounds; r++) {
		int64_t now;

		lab_sem_wait(w, s->s1);
		now = lab_counter_add(s->inside, 1);
		lab_counter_raise(s->max_inside, now);
		lab_step_val(w, "inside", now);
		if (s->hold > 0)
			lab_sleep(w, s->hold);
		lab_counter_add(s->inside, -1);
		lab_sem_post(w, s->s1);
	}
}

/* Has every worker arrived at round r?  A worker past the barrier of
 * round r while another has not yet arrived at it is a broken barrier. */
static void
check_arrived(struct lab_worker *w, struct shared *s, int r)
{
	for (int i = 1; i <= s->n; i++)
		if (atomic_load(&s->done[i]) < r) {
			lab_step(w, "ahead by a lap");
			violation(s);
			return;
		}
}

/* DOC: barrier
 * Barrier: the n-th to arrive opens the turnstile; each who goes
 * through lets the next one through (wait, then post).  The wrong
 * variant is the book's non-solution: without the post after the wait,
 * one worker goes through and the others sleep for ever. */
static void
barrier_pattern(struct lab_worker *w, struct shared *s)
{
	atomic_store(&s->done[w->no], 1);
	lab_sem_wait(w, s->mutex);
	if (++s->count == s->n)
		lab_sem_post(w, s->s1);
	lab_sem_post(w, s->mutex);
	lab_sem_wait(w, s->s1);
	if (!s->wrong)
		lab_sem_post(w, s->s1);
	lab_step(w, "critical point");
	check_arrived(w, s, 1);
	lab_counter_add(s->passed, 1);
}

/* DOC: reusable
 * Reusable barrier.  The right variant is the book's two-phase
 * barrier ("Reusable barrier solution"): turnstile 1 opens when all have arrived, and closes
 * again only when all have left; turnstile 2 (open at first) closes and
 * opens the other way round, so no one starts a round before everyone
 * has finished the last.  The wrong variant ("Reusable barrier non-solution #2") has
 * one turnstile: the last to leave closes it, but a fast worker can
 * leave, loop around and go through it again before it is closed: it
 * laps the others. */
static void
reusable_pattern(struct lab_worker *w, struct shared *s)
{
	for (int r = 1; r <= s->rounds; r++) {
		atomic_store(&s->done[w->no], r);
		lab_sem_wait(w, s->mutex);
		if (++s->count == s->n) {
			if (!s->wrong)
				lab_sem_wait(w, s->s2);
			lab_sem_post(w, s->s1);
		}
		lab_sem_post(w, s->mutex);
		lab_sem_wait(w, s->s1);
		lab_sem_post(w, s->s1);

		lab_step_val(w, "critical point", r);
		check_arrived(w, s, r);

		lab_sem_wait(w, s->mutex);
		if (--s->count == 0) {
			lab_sem_wait(w, s->s1);
			if (!s->wrong)
				lab_sem_post(w, s->s2);
		}
		lab_sem_post(w, s->mutex);
		if (!s->wrong) {
			lab_sem_wait(w, s->s2);
			lab_sem_post(w, s->s2);
		}
	}
	lab_counter_add(s->passed, 1);
}

/* DOC: latch
 * A countdown latch (Java's CountDownLatch): the first half of the
 * workers count down; the others wait until the count is 0.  The last to
 * count down opens a turnstile, and every waiter lets the next through. */
static void
latch_pattern(struct lab_worker *w, struct shared *s)
{
	if (w->no <= s->n / 2) {
		lab_step(w, "setup");
		lab_sem_wait(w, s->mutex);
		if (--s->count == 0)
			lab_sem_post(w, s->s1);
		lab_sem_post(w, s->mutex);
		return;
	}
	lab_sem_wait(w, s->s1);
	lab_sem_post(w, s->s1);
	lab_step(w, "go");
	if (s->count > 0)
		violation(s);
	lab_counter_add(s->passed, 1);
}

/* DOC: event
 * A manual-reset event (Windows' SetEvent and ResetEvent):
 * set() opens the gate for every waiter until reset()
 * closes it.  The gate is a turnstile; set posts it once if it is shut,
 * reset takes that permit back.  Worker 1 sets, waits until every other
 * worker went through (s2 counts them), then resets. */
static void
event_pattern(struct lab_worker *w, struct shared *s)
{
	if (w->no == 1) {
		lab_sem_wait(w, s->mutex);
		if (!s->set) {
			s->set = true;
			lab_sem_post(w, s->s1);
		}
		lab_sem_post(w, s->mutex);
		for (int i = 2; i <= s->n; i++)
			lab_sem_wait(w, s->s2);
		lab_sem_wait(w, s->mutex);
		if (s->set) {
			s->set = false;
			lab_sem_wait(w, s->s1);
		}
		lab_sem_post(w, s->mutex);
		return;
	}
	lab_sem_wait(w, s->s1);
	lab_sem_post(w, s->s1);
	lab_step(w, "go");
	lab_counter_add(s->passed, 1);
	lab_sem_post(w, s->s2);
}

static int
worker(struct lab_worker *w)
{
	struct shared *s = w->arg;

	switch (s->pat) {
	case P_SIGNAL: signal_pattern(w, s); break;
	case P_RENDEZVOUS: rendezvous_pattern(w, s); break;
	case P_MULTIPLEX: multiplex_pattern(w, s); break;
	case P_BARRIER: barrier_pattern(w, s); break;
	case P_REUSABLE: reusable_pattern(w, s); break;
	case P_LATCH: latch_pattern(w, s); break;
	case P_EVENT: event_pattern(w, s); break;
	}
	return 0;
}

static enum pat
parse_pattern(const struct lab *lab, const char *p)
{
	for (int i = 0; i < (int)(sizeof pat_names / sizeof pat_names[0]); i++)
		if (strcmp(p, pat_names[i]) == 0)
			return (enum pat)i;
	lab_usage_error(lab, "--pattern: '%s' is not one of signal, rendezvous, "
	                "multiplex, barrier, reusable, latch, event", p);
}

/* The semaphores each pattern starts with. */
static void
make_sems(struct lab *lab, struct shared *s)
{
	s->mutex = NULL;
	s->s1 = s->s2 = NULL;
	switch (s->pat) {
	case P_SIGNAL:
		s->s1 = lab_sem_new(lab, "a1 done", 0);
		break;
	case P_RENDEZVOUS:
		s->s1 = lab_sem_new(lab, "a arrived", 0);
		s->s2 = lab_sem_new(lab, "b arrived", 0);
		break;
	case P_MULTIPLEX:
		s->s1 = lab_sem_new(lab, "multiplex", (unsigned)limit);
		break;
	case P_BARRIER:
	case P_REUSABLE:
		s->mutex = lab_sem_new(lab, "mutex", 1);
		s->s1 = lab_sem_new(lab, "turnstile", 0);
		if (s->pat == P_REUSABLE && !s->wrong)
			s->s2 = lab_sem_new(lab, "turnstile2", 1);
		break;
	case P_LATCH:
		s->mutex = lab_sem_new(lab, "mutex", 1);
		s->s1 = lab_sem_new(lab, "latch", 0);
		break;
	case P_EVENT:
		s->mutex = lab_sem_new(lab, "mutex", 1);
		s->s1 = lab_sem_new(lab, "gate", 0);
		s->s2 = lab_sem_new(lab, "went through", 0);
		break;
	}
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct shared *s;
	int fixed_two;

	lab_init(&lab, &lesson, argc, argv);
	s = lab_shared_alloc(&lab, sizeof *s);
	s->pat = parse_pattern(&lab, pattern);
	s->wrong = strcmp(variant, "wrong") == 0;
	fixed_two = s->pat == P_SIGNAL || s->pat == P_RENDEZVOUS;
	if (fixed_two && lab.o.workers_given && lab.o.workers != 2)
		lab_usage_error(&lab, "--pattern %s has 2 workers, not %d", pattern,
		                lab.o.workers);
	if (!lab.o.workers_given)
		lab.o.workers = fixed_two ? 2 : s->pat == P_MULTIPLEX ? limit + 2 :
		                s->pat == P_LATCH ? 4 : 3;
	if (lab.o.workers > MAXW)
		lab_usage_error(&lab, "--workers %d: at most %d here", lab.o.workers, MAXW);
	if (lab.o.workers < 2)
		lab_usage_error(&lab, "--workers %d: a pattern needs at least 2",
		                lab.o.workers);
	/* The semaphores are made once (the board has room for 16 locks)
	 * and each run starts them again with their first permits (the
	 * wrong multiplex's extra post would let one more in every run).  A
	 * barrier ("Barrier solution") and a latch open once and stay open:
	 * one run, as the book has it. */
	if ((s->pat == P_BARRIER || s->pat == P_LATCH) && lab.o.runs > 1)
		lab_usage_error(&lab, "--pattern %s opens once and stays open: --runs 1 "
		                "(the reusable pattern is the one that closes again)", pattern);
	if (s->wrong && (s->pat == P_LATCH || s->pat == P_EVENT))
		lab_usage_error(&lab, "--pattern %s has no wrong variant", pattern);
	s->n = lab.o.workers;
	s->rounds = rounds ? rounds : 3;
	s->hold = hold;
	make_sems(&lab, s);
	lab_say(&lab, "%s, %s variant: %d %s workers\n", pattern, variant, s->n,
	        lab_mode_name(lab.o.mode));
	for (int run = 1; run <= lab.o.runs; run++) {
		struct lab_team *team;
		int64_t bad, maxin, passed;

		lab_run_begin(&lab, run);
		if (run > 1) {
			struct lab_lock *sems[] = { s->mutex, s->s1, s->s2 };

			for (int i = 0; i < 3; i++)
				if (sems[i])
					lab_sem_reset(sems[i]);
		}
		s->count = s->pat == P_LATCH ? s->n / 2 : 0;
		s->set = false;
		for (int i = 0; i <= MAXW; i++)
			atomic_store(&s->done[i], 0);
		s->max_inside = lab_counter(&lab, "max inside", 0);
		lab_counter_kind(s->max_inside, BOARD_COUNTER_GAUGE);
		s->inside = lab_counter(&lab, "inside", 0);
		lab_counter_kind(s->inside, BOARD_COUNTER_GAUGE);
		s->bad = lab_counter(&lab, "violations", 0);
		lab_counter_expect(s->bad, 0);
		lab_counter_kind(s->bad, BOARD_COUNTER_COUNT);
		s->passed = lab_counter(&lab, "passed", 0);
		lab_counter_kind(s->passed, BOARD_COUNTER_COUNT);
		team = lab_spawn(&lab, s->n, worker, s);
		if (lab_join(team) == LAB_JOIN_DEADLOCK)
			lab_die(&lab, "deadlock");
		lab_run_end(&lab);
		lab_team_free(team);
		bad = atomic_load(&s->bad->value);
		maxin = atomic_load(&s->max_inside->value);
		passed = atomic_load(&s->passed->value);
		if (lab.o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_str(&j, "pattern", pattern);
			lab_json_str(&j, "variant", variant);
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
			lab_json_int(&j, "workers", s->n);
			lab_json_int(&j, "violations", bad);
			lab_json_int(&j, "passed", passed);
			if (s->pat == P_MULTIPLEX) {
				lab_json_int(&j, "limit", limit);
				lab_json_int(&j, "max_inside", maxin);
			}
			/* Permits the first semaphore has left: 1 for an open
			 * turnstile or latch, 0 for a closed one. */
			lab_json_int(&j, "permits_left",
			             atomic_load(&lab.board->lock[lab_lock_index(s->s1)].value));
			lab_json_num(&j, "elapsed_ms", lab_elapsed_ms(&lab));
			lab_json_end(&j);
		}
		if (lab_text(&lab)) {
			printf("Run %d: %lld violation%s, %lld passed", run,
			       (long long)bad, bad == 1 ? "" : "s", (long long)passed);
			if (s->pat == P_MULTIPLEX)
				printf(", at most %lld inside (limit %d)",
				       (long long)maxin, limit);
			printf("\n");
			fflush(stdout);
		}
	}
	return 0;
}
