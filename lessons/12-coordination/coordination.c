// Lesson 12: coordination.  A counting semaphore, and a bounded buffer
// built from a mutex and two condition variables (producer/consumer).
//
// --demo semaphore: N workers want in, a semaphore with K permits lets at
// most K of them in at once (the tutorials' multiprocessing.Semaphore(K)).
// Each worker counts itself in and out of a shared "inside" counter and
// records the highest value it saw: with the semaphore it never exceeds K;
// with --no-limit (no semaphore) it climbs towards N.
//
// --demo buffer: producers put numbered items into a ring of --size slots,
// consumers take them out.  A full ring makes producers wait on "not full",
// an empty one makes consumers wait on "not empty" (the tutorials'
// multiprocessing.Condition).  Consumers tick off every item they take, so
// the run proves each item was consumed exactly once.
//
// Everything the workers share lives in lab_shared_alloc memory, and the
// semaphore, mutex and condition variables are initialised process-shared,
// so the same code works with threads and with forked processes.
#include "lab/lab.h"

#include <errno.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *demo = "semaphore";
static int limit = 2;
static bool no_limit;
static double hold_s = -1; /* < 0: the demo's own default */
static double pace_s = 0;
static long items = 2000;
static int size = 8;
static int producers = 0; /* 0: half of the workers */

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo, "semaphore|buffer",
	  "which coordination to show (default semaphore)", 0, 0 },
	{ "limit", LAB_OPT_INT, &limit, "K",
	  "semaphore: permits, at most K workers inside (default 2)", 1, 1024 },
	{ "no-limit", LAB_OPT_FLAG, &no_limit, NULL,
	  "semaphore: take no permit, to see what the semaphore prevents", 0, 0 },
	{ "hold", LAB_OPT_DOUBLE, &hold_s, "S",
	  "seconds a worker stays inside (semaphore, default 0.05) or a "
	  "consumer spends per item (buffer, default 0)", 0, 10 },
	{ "pace", LAB_OPT_DOUBLE, &pace_s, "S",
	  "buffer: seconds a producer spends making each item (default 0)", 0, 10 },
	{ "items", LAB_OPT_LONG, &items, "N",
	  "buffer: items produced in all (default 2000)", 1, 1000000 },
	{ "size", LAB_OPT_INT, &size, "B",
	  "buffer: slots in the ring (default 8)", 1, 4096 },
	{ "producers", LAB_OPT_INT, &producers, "P",
	  "buffer: how many of the workers produce (default half)", 1, 1023 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "coordination",
	.title = "Coordination: semaphores, condition variables, producer/consumer",
	.about = "--demo semaphore: at most --limit K of the workers inside at once.\n"
	         "--demo buffer: producers and consumers share a bounded buffer;\n"
	         "every item must be consumed exactly once.",
	.workers = 6,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.iters = 3,
	.runs = 1,
	.options = options,
};

/* ---- A worker that dies ------------------------------------------------ */

/* DOC: dead-holder
 * A POSIX semaphore is only a number: it does not know who took its
 * permits, so when a worker dies inside the room (killed, or SIGPIPE from
 * a closed pipe) its permit is never given back, and the others may sleep
 * in sem_wait for ever.  A robust mutex does know its owner: the next
 * locker gets EOWNERDEAD (lesson 13).  A System V semaphore taken with
 * SEM_UNDO is given back by the kernel when its holder exits (semop(2)).
 * Python's multiprocessing.Semaphore is a POSIX semaphore (sem_open), with
 * the same hole.  So the main does not just wait for its workers: it
 * watches them (a pidfd per worker, readable when it ends), and when one
 * dies of a signal it stops the others and says so.  Returns the number
 * of the worker that died, 0 when all ended by themselves; every worker
 * is left to be reaped by lab_join. */
static int
watch_workers(struct lab_team *t)
{
	struct pollfd pf[BOARD_MAX_WORKERS];
	int left = 0, dead = 0;

	if (t->lab->o.step || t->lab->nsched || t->n > BOARD_MAX_WORKERS)
		return 0; /* lab_join drives the workers itself */
	for (int i = 0; i < t->n; i++) {
		pf[i].fd = -1;
		pf[i].events = POLLIN;
		if (t->w[i].mode != LAB_PROCESS)
			continue; /* a thread cannot die alone */
		pf[i].fd = (int)syscall(SYS_pidfd_open, t->w[i].pid, 0);
		if (pf[i].fd >= 0)
			left++;
	}
	while (left > 0 && !dead) {
		if (poll(pf, (nfds_t)t->n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < t->n; i++) {
			siginfo_t si = { 0 };

			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			/* WNOWAIT: look at how it ended, leave it for lab_join. */
			if (waitid(P_PIDFD, (id_t)pf[i].fd, &si, WEXITED | WNOWAIT) == 0 &&
			    si.si_code != CLD_EXITED && !dead)
				dead = i + 1;
			close(pf[i].fd);
			pf[i].fd = -1;
			left--;
		}
	}
	for (int i = 0; i < t->n; i++)
		if (pf[i].fd >= 0) {
			if (dead)
				kill(t->w[i].pid, SIGKILL);
			close(pf[i].fd);
		}
	return dead;
}

/* The end of a run: wait for the workers, or stop them all when one died;
 * then any failure is reported and ends the program. */
static void
join_or_stop(struct lab *lab, struct lab_team *team)
{
	int dead = watch_workers(team);
	char why[64];

	if (lab_join(team) == LAB_JOIN_OK)
		return;
	/* Whether it died holding something is on the board (its held mask),
	 * not a guess: a worker that printed into a closed pipe (| head -1)
	 * prints only outside the room and so holds nothing. */
	if (dead && atomic_load(&team->w[dead - 1].actor->held) != 0)
		lab_die(lab, "worker %d was %s while it held a permit or lock: "
		        "that stays taken, so the others were stopped, not left "
		        "waiting for ever", dead,
		        lab_status_text(team->w[dead - 1].status, why, sizeof why));
	if (dead)
		lab_die(lab, "worker %d was %s; it held nothing (the board says "
		        "so), and the others were stopped", dead,
		        lab_status_text(team->w[dead - 1].status, why, sizeof why));
	for (int i = 0; i < team->n; i++)
		if (team->w[i].status != 0)
			lab_die(lab, "worker %d failed (%s)", i + 1,
			        lab_status_text(team->w[i].status, why, sizeof why));
	lab_die(lab, "a worker failed");
}

/* ---- The semaphore demo ------------------------------------------------ */

struct room {
	struct lab_lock *permits;    /* K permits: a lab semaphore */
	bool use_sem;
	int limit;
	long rounds;
	double hold;
	struct board_counter *inside;     /* gauge: workers inside now */
	struct board_counter *max_inside; /* gauge: the most seen at once */
};

static void
nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* DOC: sem-wait
 * sem_wait takes a permit, or sleeps until sem_post returns one.  The lab
 * semaphore is a process-shared sem_t that also tells the board who holds
 * a permit, how many are left and who waits (a worker that has to wait is
 * shown waiting, and counted in the lock's "contended"). */
static void
room_enter(struct lab_worker *w, struct room *r)
{
	if (!r->use_sem) {
		lab_step(w, "wait for a permit");
		return;
	}
	lab_sem_wait(w, r->permits);
}

static void
room_leave(struct lab_worker *w, struct room *r)
{
	if (!r->use_sem) {
		lab_step(w, "give the permit back");
		return;
	}
	lab_sem_post(w, r->permits);
}

static int
room_worker(struct lab_worker *w)
{
	struct room *r = w->arg;

	for (long i = 0; i < r->rounds; i++) {
		int64_t now;

		room_enter(w, r);
		/* DOC: inside
		 * Between enter and leave.  Counting in after the permit
		 * is taken and out before it is given back means "inside"
		 * can never exceed the number of permits. */
		lab_set_state(w, BOARD_ST_CRITICAL);
		now = lab_counter_add(r->inside, 1);
		lab_counter_raise(r->max_inside, now);
		lab_step_val(w, "inside", now);
		nap(r->hold); /* still shown as inside, not as sleeping */
		lab_counter_add(r->inside, -1);
		room_leave(w, r);
		lab_set_state(w, BOARD_ST_RUNNING);
		/* Printed only after the permit is back: a write can kill
		 * (SIGPIPE into a closed pipe) or block (a full one), and a
		 * worker that dies or stalls inside takes its permit with it. */
		lab_say(w->lab, "worker %d was inside (%lld inside then)\n", w->no,
		        (long long)now);
		lab_progress(w, (uint64_t)i + 1, (uint64_t)r->rounds);
	}
	return 0;
}

static void
run_semaphore(struct lab *lab)
{
	struct room *r = lab_shared_alloc(lab, sizeof *r);
	int n = lab->o.workers;
	int64_t want = n < limit ? n : limit; /* the most a correct run shows */
	int over = 0;

	r->use_sem = !no_limit;
	r->limit = limit;
	r->rounds = lab->o.iters;
	r->hold = hold_s < 0 ? 0.05 : hold_s;
	/* DOC: sem-init: one semaphore for every run, in shared memory
	 * (pshared), so it works across fork. */
	r->permits = lab_sem_new(lab, "permits", (unsigned)limit);
	lab_say(lab, "%d %s workers, %ld rounds each, %.3f s inside; %s\n", n,
	        lab_mode_name(lab->o.mode), r->rounds, r->hold,
	        r->use_sem ? "a semaphore lets at most K in" : "no semaphore");
	for (int run = 1; run <= lab->o.runs; run++) {
		struct board_counter *maxc, *insc;
		struct lab_team *team;
		int64_t max;
		long waited;
		double ms, floor_ms;

		lab_run_begin(lab, run);
		/* Counter 0 is the one the histogram keeps per run. */
		maxc = lab_counter(lab, "max inside", 0);
		lab_counter_expect(maxc, want);
		lab_counter_kind(maxc, BOARD_COUNTER_GAUGE);
		insc = lab_counter(lab, "inside", 0);
		lab_counter_expect(insc, 0);
		lab_counter_kind(insc, BOARD_COUNTER_GAUGE);
		r->max_inside = maxc;
		r->inside = insc;

		team = lab_spawn(lab, n, room_worker, r);
		join_or_stop(lab, team);
		ms = lab_elapsed_ms(lab);
		lab_run_end(lab);
		waited = (long)atomic_load(&lab->board->lock[lab_lock_index(r->permits)].contended);
		max = atomic_load(&maxc->value);
		if (max > limit)
			over++;
		/* K permits: n * rounds visits of hold seconds, K at a time. */
		floor_ms = r->hold * 1000.0 * (double)(n * r->rounds) /
		           (double)(r->use_sem ? want : n);
		if (lab->o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_str(&j, "demo", "semaphore");
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "mode", lab_mode_name(lab->o.mode));
			lab_json_int(&j, "workers", n);
			lab_json_int(&j, "limit", limit);
			lab_json_bool(&j, "semaphore", r->use_sem);
			lab_json_int(&j, "rounds", r->rounds);
			lab_json_num(&j, "hold_s", r->hold);
			lab_json_int(&j, "entries", (long long)n * r->rounds);
			lab_json_int(&j, "max_inside", max);
			lab_json_int(&j, "inside_after", atomic_load(&insc->value));
			lab_json_int(&j, "waited", waited);
			lab_json_num(&j, "elapsed_ms", ms);
			lab_json_num(&j, "floor_ms", floor_ms);
			lab_json_end(&j);
		}
		if (lab_text(lab)) {
			printf("Run %d: at most %lld of %d workers were inside at once "
			       "(limit %d%s); %ld of %ld entries had to wait; "
			       "%.2f s (%lld at a time need at least %.2f s)\n",
			       run, (long long)max, n, limit,
			       r->use_sem ? "" : ", not enforced",
			       waited, (long)n * r->rounds,
			       ms / 1000.0, (long long)(r->use_sem ? want : n),
			       floor_ms / 1000.0);
		}
		lab_team_free(team);
	}
	lab_say(lab, "\n%d of %d runs had more than %d inside\n", over,
	        lab->o.runs, limit);
}

/* ---- The bounded buffer ------------------------------------------------ */

struct ring {
	/* m guards every field down to `done`.  The condition variables
	 * are always waited on and signalled with m held.  All three are
	 * lab primitives (process-shared, published on the board). */
	struct lab_lock *m;
	struct lab_cond *not_full;  /* signalled when a slot frees up */
	struct lab_cond *not_empty; /* signalled when an item arrives */
	long head, tail, count;   /* ring indices and fill level */
	long high;                /* the fullest the ring ever was */
	int producers_left;       /* when 0 and empty: consumers stop */
	long full_waits, empty_waits;

	/* Set up by main before the workers start, read-only after: */
	int size, nprod;
	long items;
	double hold, pace;
	long *slot;               /* size slots */
	_Atomic uint32_t *seen;   /* per item: times consumed */
	_Atomic int64_t *consumed, *produced; /* board counters */
	struct board_counter *level;          /* gauge: items in the ring */

	/* Per consumer, summed by main: */
	_Atomic long long sum;
	_Atomic uint64_t xsum;
};

/* A well-mixed hash of an item (splitmix64): the XOR of all of them is a
 * checksum that a duplicated or a missing item changes. */
static uint64_t
item_hash(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static void
ring_lock(struct lab_worker *w, struct ring *q)
{
	lab_lock(w, q->m);
}

static void
ring_unlock(struct lab_worker *w, struct ring *q)
{
	lab_unlock(w, q->m);
}

/* DOC: cond-wait
 * pthread_cond_wait releases m and sleeps as one step, and takes m again
 * before it returns, so no signal can slip in between "the condition is
 * false" and "I am asleep".  It may also return without a signal (a
 * spurious wake-up) or after another worker got there first: that is why
 * every wait is in a while loop that re-checks the condition. */
static void
ring_wait(struct lab_worker *w, struct ring *q, struct lab_cond *cv)
{
	lab_cond_wait(w, cv, q->m);
}

static int
producer(struct lab_worker *w)
{
	struct ring *q = w->arg;
	long mine = 0, total = (q->items - w->no + q->nprod) / q->nprod;

	/* Producer p makes items p-1, p-1+P, p-1+2P, ... */
	for (long id = w->no - 1; id < q->items; id += q->nprod) {
		if (q->pace > 0)
			lab_sleep(w, q->pace);
		ring_lock(w, q);
		/* DOC: put: wait while full. */
		while (q->count == q->size) {
			q->full_waits++;
			ring_wait(w, q, q->not_full);
		}
		lab_step_val(w, "put item", id);
		q->slot[q->tail] = id;
		q->tail = (q->tail + 1) % q->size;
		q->count++;
		if (q->count > q->high)
			q->high = q->count;
		lab_counter_set(q->level, q->count);
		atomic_fetch_add(q->produced, 1);
		/* One item arrived: one consumer can use it. */
		lab_cond_signal(w, q->not_empty);
		ring_unlock(w, q);
		lab_progress(w, (uint64_t)++mine, (uint64_t)total);
	}
	ring_lock(w, q);
	/* DOC: last-producer
	 * The last producer to finish wakes every consumer, so that those
	 * asleep on an empty buffer see there is nothing more to come (the
	 * C form of putting one None per consumer on a Python queue). */
	if (--q->producers_left == 0)
		lab_cond_broadcast(w, q->not_empty);
	ring_unlock(w, q);
	return 0;
}

static int
consumer(struct lab_worker *w)
{
	struct ring *q = w->arg;
	long long sum = 0;
	uint64_t xsum = 0;
	long got = 0;

	for (;;) {
		long id;

		ring_lock(w, q);
		/* DOC: take: wait while empty, unless nothing more will come. */
		while (q->count == 0 && q->producers_left > 0) {
			q->empty_waits++;
			ring_wait(w, q, q->not_empty);
		}
		if (q->count == 0) {
			ring_unlock(w, q);
			break;
		}
		id = q->slot[q->head];
		q->head = (q->head + 1) % q->size;
		q->count--;
		lab_counter_set(q->level, q->count);
		lab_step_val(w, "take item", id);
		/* One slot freed: one producer can use it. */
		lab_cond_signal(w, q->not_full);
		ring_unlock(w, q);

		/* Outside the lock: tick the item off and "use" it. */
		if (id >= 0 && id < q->items)
			atomic_fetch_add(&q->seen[id], 1);
		sum += id;
		xsum ^= item_hash((uint64_t)id);
		got++;
		atomic_fetch_add(q->consumed, 1);
		lab_progress(w, (uint64_t)got, 0);
		if (q->hold > 0)
			lab_sleep(w, q->hold);
	}
	atomic_fetch_add(&q->sum, sum);
	atomic_fetch_xor(&q->xsum, xsum);
	lab_say(w->lab, "consumer %d took %ld items\n", w->no, got);
	return 0;
}

static int
buffer_worker(struct lab_worker *w)
{
	struct ring *q = w->arg;

	return w->no <= q->nprod ? producer(w) : consumer(w);
}

static void
ring_init(struct ring *q)
{
	q->head = q->tail = q->count = q->high = 0;
	q->full_waits = q->empty_waits = 0;
	q->producers_left = q->nprod;
	atomic_store(&q->sum, 0);
	atomic_store(&q->xsum, 0);
	memset(q->seen, 0, (size_t)q->items * sizeof *q->seen);
}

static void
run_buffer(struct lab *lab)
{
	struct ring *q = lab_shared_alloc(lab, sizeof *q);
	int n = lab->o.workers;
	long long want_sum = (long long)items * (items - 1) / 2;
	uint64_t want_x = 0;
	int bad_runs = 0;

	if (n < 2)
		lab_usage_error(lab, "--demo buffer needs at least 2 workers (a producer and a consumer)");
	q->nprod = producers ? producers : n / 2;
	if (q->nprod >= n)
		lab_usage_error(lab, "--producers %d leaves no consumer among %d workers",
		                q->nprod, n);
	q->size = size;
	q->items = items;
	q->hold = hold_s < 0 ? 0 : hold_s;
	q->pace = pace_s;
	q->slot = lab_shared_alloc(lab, (size_t)size * sizeof *q->slot);
	/* DOC: pshared: the lab's mutex and condition variables live in
	 * shared memory and are process-shared, or a forked worker would
	 * wait on a futex no one else ever wakes. */
	q->m = lab_lock_new(lab, "buffer", BOARD_LOCK_MUTEX);
	q->not_full = lab_cond_new(lab, "not full");
	q->not_empty = lab_cond_new(lab, "not empty");
	q->seen = lab_shared_alloc(lab, (size_t)items * sizeof *q->seen);
	for (long id = 0; id < items; id++)
		want_x ^= item_hash((uint64_t)id);
	lab_say(lab, "%d producer%s and %d consumer%s (%s), %ld items through a "
	        "buffer of %d slots\n", q->nprod, q->nprod == 1 ? "" : "s",
	        n - q->nprod, n - q->nprod == 1 ? "" : "s",
	        lab_mode_name(lab->o.mode), items, size);
	for (int run = 1; run <= lab->o.runs; run++) {
		struct board_counter *cc, *pc, *lc;
		struct lab_team *team;
		long missing = 0, dups = 0;
		long long sum;
		uint64_t xsum;
		double ms;
		bool ok;

		lab_run_begin(lab, run);
		cc = lab_counter(lab, "consumed", 0);
		lab_counter_expect(cc, items);
		lab_counter_kind(cc, BOARD_COUNTER_COUNT);
		pc = lab_counter(lab, "produced", 0);
		lab_counter_expect(pc, items);
		lab_counter_kind(pc, BOARD_COUNTER_COUNT);
		lc = lab_counter(lab, "in buffer", 0);
		lab_counter_expect(lc, 0);
		lab_counter_kind(lc, BOARD_COUNTER_GAUGE);
		q->consumed = &cc->value;
		q->produced = &pc->value;
		q->level = lc;
		ring_init(q);

		team = lab_spawn(lab, n, buffer_worker, q);
		join_or_stop(lab, team);
		ms = lab_elapsed_ms(lab);
		lab_run_end(lab);

		/* DOC: exactly-once: every item ticked off once, none twice. */
		for (long id = 0; id < items; id++) {
			uint32_t s = atomic_load(&q->seen[id]);

			if (s == 0)
				missing++;
			else if (s > 1)
				dups += s - 1;
		}
		sum = atomic_load(&q->sum);
		xsum = atomic_load(&q->xsum);
		ok = missing == 0 && dups == 0 && sum == want_sum && xsum == want_x &&
		     atomic_load(&cc->value) == items;
		if (!ok)
			bad_runs++;
		if (lab->o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_str(&j, "demo", "buffer");
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "mode", lab_mode_name(lab->o.mode));
			lab_json_int(&j, "workers", n);
			lab_json_int(&j, "producers", q->nprod);
			lab_json_int(&j, "consumers", n - q->nprod);
			lab_json_int(&j, "size", size);
			lab_json_int(&j, "items", items);
			lab_json_int(&j, "produced", atomic_load(&pc->value));
			lab_json_int(&j, "consumed", atomic_load(&cc->value));
			lab_json_int(&j, "missing", missing);
			lab_json_int(&j, "duplicates", dups);
			lab_json_bool(&j, "sum_ok", sum == want_sum);
			lab_json_bool(&j, "checksum_ok", xsum == want_x);
			lab_json_bool(&j, "exactly_once", ok);
			lab_json_int(&j, "max_level", q->high);
			lab_json_int(&j, "full_waits", q->full_waits);
			lab_json_int(&j, "empty_waits", q->empty_waits);
			lab_json_num(&j, "elapsed_ms", ms);
			lab_json_end(&j);
		}
		if (lab_text(lab)) {
			printf("Run %d: %lld produced, %lld consumed, %s "
			       "(missing %ld, duplicates %ld, sum %s, checksum %s); "
			       "buffer held at most %ld of %d; producers waited %ld "
			       "times for a free slot, consumers %ld times for an "
			       "item; %.2f s\n",
			       run, (long long)atomic_load(&pc->value),
			       (long long)atomic_load(&cc->value),
			       ok ? "each exactly once" : "NOT exactly once",
			       missing, dups, sum == want_sum ? "ok" : "wrong",
			       xsum == want_x ? "ok" : "wrong", q->high, size,
			       q->full_waits, q->empty_waits, ms / 1000.0);
		}
		lab_team_free(team);
	}
	if (bad_runs)
		lab_die(lab, "%d of %d runs lost or repeated items", bad_runs,
		        lab->o.runs);
}

int
main(int argc, char **argv)
{
	struct lab lab;

	lab_init(&lab, &lesson, argc, argv);
	if (strcmp(demo, "buffer") == 0)
		run_buffer(&lab);
	else
		run_semaphore(&lab);
	return 0;
}
