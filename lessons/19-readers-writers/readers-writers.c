// Lesson 19: readers and writers.  Many may read a shared room at once; a
// writer must be alone in it.  Solutions from the Little Book of
// Semaphores (Allen B. Downey, 2.2.1, section 4.2), built from lab
// semaphores and mutexes, and glibc's pthread_rwlock_t beside them:
//
//   none             no lock at all: writers meet readers inside;
//   lightswitch      the first reader in locks the room for all readers,
//                    the last one out unlocks it (4.2.2): correct, but a
//                    stream of readers keeps a writer out for ever;
//   no-starve        a turnstile in front of the room (4.2.5): a waiting
//                    writer holds it, so new readers queue behind it;
//   writer-priority  writers have their own lightswitch on the readers'
//                    door (4.2.7): writers never wait for new readers,
//                    and a stream of writers starves the readers instead;
//   rwlock-reader    pthread_rwlock_t of kind PTHREAD_RWLOCK_PREFER_READER_NP
//                    (glibc's default);
//   rwlock-writer    kind PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
//   rwlock-writer-np kind PTHREAD_RWLOCK_PREFER_WRITER_NP, which glibc's
//                    manual says it ignores (treats as prefer-reader).
//
// Workers 1..--writers write, the others read.  Free runs last --seconds
// and count reads and writes, the longest a writer (and a reader) waited,
// how many readers went in while a writer was waiting ("overtaken"), and
// the times a writer was inside together with anyone else (must be 0 for
// every variant but none).
#include "lab/lab.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum rw_sync {
	RW_NONE, RW_LIGHTSWITCH, RW_NO_STARVE, RW_WRITER_PRIORITY,
	RW_RWLOCK_READER, RW_RWLOCK_WRITER, RW_RWLOCK_WRITER_NP,
};
static const char *const sync_names[] = {
	"none", "lightswitch", "no-starve", "writer-priority",
	"rwlock-reader", "rwlock-writer", "rwlock-writer-np",
};

static int writers = 1;
static long rounds;
static double seconds_s = 0.3;
static double read_s = 0.001;
static double write_s = 0.001;
static double think_s = 0.002;

static const struct lab_option options[] = {
	{ "writers", LAB_OPT_INT, &writers, "W",
	  "how many of the workers write (default 1); the others read",
	  0, 1023 },
	{ "rounds", LAB_OPT_LONG, &rounds, "N",
	  "visits to the room per worker (default 0: as many as fit in "
	  "--seconds; 2 under --schedule and the like)", 0, 1000000 },
	{ "seconds", LAB_OPT_DOUBLE, &seconds_s, "S",
	  "how long a free run lasts (default 0.3)", 0.01, 60 },
	{ "read", LAB_OPT_DOUBLE, &read_s, "S",
	  "seconds a reader stays inside (default 0.001)", 0, 10 },
	{ "write", LAB_OPT_DOUBLE, &write_s, "S",
	  "seconds a writer stays inside (default 0.001)", 0, 10 },
	{ "think", LAB_OPT_DOUBLE, &think_s, "S",
	  "seconds a writer waits outside between writes (default 0.002); "
	  "readers come back at once", 0, 10 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "readers-writers",
	.title = "Readers and writers: the lightswitch, starvation, and rwlocks",
	.about = "Readers share the room, a writer needs it alone.  --sync picks\n"
	         "the solution; the run counts reads, writes and waits.",
	.workers = 4,
	.mode = LAB_THREAD,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.syncs = "none|lightswitch|no-starve|writer-priority|rwlock-reader|"
	         "rwlock-writer|rwlock-writer-np",
	.sync_default = "lightswitch",
	.options = options,
};

/* DOC: lightswitch
 * The Little Book's Lightswitch: the first one in turns the light on
 * (takes sem for the whole group), the last one out turns it off.  The
 * count is guarded by the switch's own mutex. */
struct lightswitch {
	struct lab_lock *mutex;
	long count; /* under mutex */
};

static void
lightswitch_lock(struct lab_worker *w, struct lightswitch *ls, struct lab_lock *sem)
{
	lab_lock(w, ls->mutex);
	if (++ls->count == 1)
		lab_sem_wait(w, sem);
	lab_unlock(w, ls->mutex);
}

static void
lightswitch_unlock(struct lab_worker *w, struct lightswitch *ls, struct lab_lock *sem)
{
	lab_lock(w, ls->mutex);
	if (--ls->count == 0)
		lab_sem_post(w, sem);
	lab_unlock(w, ls->mutex);
}

/* All of it in lab_shared_alloc memory: process workers share it too. */
struct room {
	enum rw_sync sync;
	int writers;
	long rounds;
	uint64_t until;  /* free run: visits end at this board_now_ns() */
	double read, write, think;
	struct lab_lock *room_empty;  /* 1 permit: nobody inside */
	struct lab_lock *turnstile;   /* no-starve */
	struct lab_lock *no_readers, *no_writers; /* writer-priority */
	struct lightswitch read_switch, write_switch;
	struct lab_lock *rw;          /* the rwlock variants */
	/* What the run measures.  inside_*: who is in the room now. */
	_Atomic int inside_readers, inside_writers;
	_Atomic int writers_waiting;
	_Atomic long collisions;
	_Atomic uint64_t writer_wait_max, reader_wait_max; /* ns */
	struct board_counter *writes, *reads, *overtaken;
};

/* ---- The variants: how a reader and a writer get in and out ---------- */

static void
reader_enter(struct lab_worker *w, struct room *r)
{
	switch (r->sync) {
	case RW_NONE:
		break;
	case RW_LIGHTSWITCH:
		lightswitch_lock(w, &r->read_switch, r->room_empty);
		break;
	case RW_NO_STARVE:
		/* DOC: turnstile
		 * Pass the turnstile (take it and give it back at once).
		 * A writer that waits holds it, so readers that come after
		 * it queue here instead of joining the readers inside. */
		lab_lock(w, r->turnstile);
		lab_unlock(w, r->turnstile);
		lightswitch_lock(w, &r->read_switch, r->room_empty);
		break;
	case RW_WRITER_PRIORITY:
		/* DOC: writer-priority
		 * Readers come in through noReaders, one at a time, and
		 * together hold noWriters; the first writer to arrive
		 * closes noReaders behind the readers already in. */
		lab_sem_wait(w, r->no_readers);
		lightswitch_lock(w, &r->read_switch, r->no_writers);
		lab_sem_post(w, r->no_readers);
		break;
	default:
		/* DOC: rwlock: the same room, glibc's lock. */
		lab_rdlock(w, r->rw);
		break;
	}
}

static void
reader_leave(struct lab_worker *w, struct room *r)
{
	switch (r->sync) {
	case RW_NONE:
		break;
	case RW_LIGHTSWITCH:
	case RW_NO_STARVE:
		lightswitch_unlock(w, &r->read_switch, r->room_empty);
		break;
	case RW_WRITER_PRIORITY:
		lightswitch_unlock(w, &r->read_switch, r->no_writers);
		break;
	default:
		lab_rwunlock(w, r->rw);
		break;
	}
}

static void
writer_enter(struct lab_worker *w, struct room *r)
{
	switch (r->sync) {
	case RW_NONE:
		break;
	case RW_LIGHTSWITCH:
		/* DOC: writer-waits
		 * The writer needs the room empty.  While one reader is
		 * inside, the next reader only bumps the count: the room
		 * need never empty, and the writer waits here. */
		lab_sem_wait(w, r->room_empty);
		break;
	case RW_NO_STARVE:
		lab_lock(w, r->turnstile);
		lab_sem_wait(w, r->room_empty);
		break;
	case RW_WRITER_PRIORITY:
		lightswitch_lock(w, &r->write_switch, r->no_readers);
		lab_sem_wait(w, r->no_writers);
		break;
	default:
		lab_wrlock(w, r->rw);
		break;
	}
}

static void
writer_leave(struct lab_worker *w, struct room *r)
{
	switch (r->sync) {
	case RW_NONE:
		break;
	case RW_LIGHTSWITCH:
		lab_sem_post(w, r->room_empty);
		break;
	case RW_NO_STARVE:
		lab_unlock(w, r->turnstile);
		lab_sem_post(w, r->room_empty);
		break;
	case RW_WRITER_PRIORITY:
		lab_sem_post(w, r->no_writers);
		lightswitch_unlock(w, &r->write_switch, r->no_readers);
		break;
	default:
		lab_rwunlock(w, r->rw);
		break;
	}
}

/* ---- Inside the room: the correctness check and the measurements ----- */

/* DOC: check
 * A writer must be alone.  Each one counts itself in, then looks at the
 * others (seq_cst: of a writer and another worker going in together, at
 * least one sees the other).  A collision is counted and is a probe of
 * its own, so step mode can reach it. */
static void
room_in(struct lab_worker *w, struct room *r, bool writer)
{
	bool bad;

	if (writer) {
		bad = atomic_fetch_add(&r->inside_writers, 1) > 0 ||
		      atomic_load(&r->inside_readers) > 0;
	} else {
		atomic_fetch_add(&r->inside_readers, 1);
		bad = atomic_load(&r->inside_writers) > 0;
		/* A reader going in while a writer waits outside. */
		if (atomic_load(&r->writers_waiting) > 0)
			lab_counter_add(r->overtaken, 1);
	}
	if (bad) {
		atomic_fetch_add(&r->collisions, 1);
		lab_step(w, "collide: a writer with others inside");
	}
}

static void
room_out(struct room *r, bool writer)
{
	atomic_fetch_sub(writer ? &r->inside_writers : &r->inside_readers, 1);
}

static void
raise_max(_Atomic uint64_t *m, uint64_t v)
{
	uint64_t cur = atomic_load(m);

	while (v > cur && !atomic_compare_exchange_weak(m, &cur, v))
		;
}

/* Inside, for a while: shown as in the critical section. */
static void
stay(struct lab_worker *w, double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	lab_set_state(w, BOARD_ST_CRITICAL);
	while (s > 0 && nanosleep(&ts, &ts) < 0)
		;
}

static bool
more(const struct room *r, long done)
{
	return r->until ? board_now_ns() < r->until : done < r->rounds;
}

static int
reader(struct lab_worker *w)
{
	struct room *r = w->arg;

	lab_set_name(w, "reader");
	for (long i = 0; more(r, i); i++) {
		uint64_t t0;

		lab_step(w, "want to read");
		t0 = board_now_ns();
		reader_enter(w, r);
		raise_max(&r->reader_wait_max, board_now_ns() - t0);
		room_in(w, r, false);
		lab_step(w, "read");
		stay(w, r->read);
		lab_counter_add(r->reads, 1);
		room_out(r, false);
		reader_leave(w, r);
	}
	return 0;
}

static int
writer(struct lab_worker *w)
{
	struct room *r = w->arg;

	lab_set_name(w, "writer");
	for (long i = 0; more(r, i); i++) {
		uint64_t t0;

		if (i > 0 && r->think > 0)
			lab_sleep(w, r->think);
		lab_step(w, "want to write");
		t0 = board_now_ns();
		atomic_fetch_add(&r->writers_waiting, 1);
		writer_enter(w, r);
		atomic_fetch_sub(&r->writers_waiting, 1);
		raise_max(&r->writer_wait_max, board_now_ns() - t0);
		room_in(w, r, true);
		lab_step(w, "write");
		stay(w, r->write);
		lab_counter_add(r->writes, 1);
		room_out(r, true);
		writer_leave(w, r);
	}
	return 0;
}

static int
visitor(struct lab_worker *w)
{
	struct room *r = w->arg;

	return w->no <= r->writers ? writer(w) : reader(w);
}

/* ---- Setting up, running, reporting ----------------------------------- */

static enum rw_sync
parse_sync(const char *s)
{
	for (size_t i = 0; i < sizeof sync_names / sizeof *sync_names; i++)
		if (strcmp(s, sync_names[i]) == 0)
			return (enum rw_sync)i;
	return RW_LIGHTSWITCH;
}

static struct room *
room_new(struct lab *lab)
{
	struct room *r = lab_shared_alloc(lab, sizeof *r);

	r->sync = parse_sync(lab->o.sync);
	r->writers = writers;
	r->read = read_s;
	r->write = write_s;
	r->think = think_s;
	/* Counter 0 (the histogram's) is the writes: starvation shows as
	 * runs with next to none. */
	r->writes = lab_counter(lab, "writes", 0);
	r->reads = lab_counter(lab, "reads", 0);
	r->overtaken = lab_counter(lab, "overtaken", 0);
	if (r->sync == RW_NO_STARVE)
		r->turnstile = lab_lock_new(lab, "turnstile", BOARD_LOCK_MUTEX);
	switch (r->sync) {
	case RW_NONE:
		break;
	case RW_NO_STARVE: /* and the readers' lightswitch on roomEmpty */
	case RW_LIGHTSWITCH:
		r->room_empty = lab_sem_new(lab, "roomEmpty", 1);
		r->read_switch.mutex = lab_lock_new(lab, "readSwitch", BOARD_LOCK_MUTEX);
		break;
	case RW_WRITER_PRIORITY:
		r->no_readers = lab_sem_new(lab, "noReaders", 1);
		r->no_writers = lab_sem_new(lab, "noWriters", 1);
		r->read_switch.mutex = lab_lock_new(lab, "readSwitch", BOARD_LOCK_MUTEX);
		r->write_switch.mutex = lab_lock_new(lab, "writeSwitch", BOARD_LOCK_MUTEX);
		break;
	case RW_RWLOCK_READER:
		r->rw = lab_rwlock_new(lab, "room", LAB_RW_PREFER_READER);
		break;
	case RW_RWLOCK_WRITER:
		r->rw = lab_rwlock_new(lab, "room", LAB_RW_PREFER_WRITER);
		break;
	case RW_RWLOCK_WRITER_NP:
		r->rw = lab_rwlock_new(lab, "room", LAB_RW_PREFER_WRITER_NP);
		break;
	}
	return r;
}

static void
report(struct lab *lab, const struct room *r, int run, double ms)
{
	long long nw = atomic_load(&r->writes->value), nr = atomic_load(&r->reads->value);
	double wmax = (double)atomic_load(&r->writer_wait_max) / 1e6;
	double rmax = (double)atomic_load(&r->reader_wait_max) / 1e6;
	long long over = atomic_load(&r->overtaken->value);
	long coll = atomic_load(&r->collisions);

	if (lab->o.json) {
		struct lab_json j;

		lab_json_begin(&j);
		lab_json_int(&j, "run", run);
		lab_json_str(&j, "sync", lab->o.sync);
		lab_json_str(&j, "mode", lab_mode_name(lab->o.mode));
		lab_json_int(&j, "workers", lab->o.workers);
		lab_json_int(&j, "writers", r->writers);
		lab_json_int(&j, "readers", lab->o.workers - r->writers);
		lab_json_num(&j, "seconds", r->until ? seconds_s : 0);
		lab_json_int(&j, "rounds", r->rounds);
		lab_json_int(&j, "writes", nw);
		lab_json_int(&j, "reads", nr);
		lab_json_num(&j, "writer_wait_max_ms", wmax);
		lab_json_num(&j, "reader_wait_max_ms", rmax);
		lab_json_int(&j, "overtaken", over);
		lab_json_int(&j, "collisions", coll);
		lab_json_num(&j, "elapsed_ms", ms);
		lab_json_end(&j);
	}
	if (lab_text(lab)) {
		printf("Run %d (%s): %lld writes, %lld reads in %.2f s; "
		       "longest wait: writer %.1f ms, reader %.1f ms\n", run,
		       lab->o.sync, nw, nr, ms / 1000.0, wmax, rmax);
		printf("Readers that went in while a writer waited: %lld; "
		       "a writer inside with others: %ld\n", over, coll);
	}
}

int
main(int argc, char **argv)
{
	static struct lab lab;
	struct room *r;

	lab_init(&lab, &lesson, argc, argv);
	if (writers > lab.o.workers)
		lab_usage_error(&lab, "--writers: %d, but only %d workers", writers,
		                lab.o.workers);
	r = room_new(&lab);
	/* Under a schedule a run is counted in visits: time would run out
	 * while the steps are given.  --rounds says how many. */
	r->rounds = rounds ? rounds : 2;
	lab_say(&lab, "%d writer%s and %d reader%s, %s; a read takes %.3f s, "
	        "a write %.3f s\n", r->writers, r->writers == 1 ? "" : "s",
	        lab.o.workers - r->writers,
	        lab.o.workers - r->writers == 1 ? "" : "s", lab.o.sync,
	        r->read, r->write);
	for (int run = 1; run <= lab.o.runs; run++) {
		struct lab_team *t;
		double ms;

		lab_run_begin(&lab, run);
		lab_counter_set(r->writes, 0);
		lab_counter_set(r->reads, 0);
		lab_counter_set(r->overtaken, 0);
		atomic_store(&r->collisions, 0);
		atomic_store(&r->writer_wait_max, 0);
		atomic_store(&r->reader_wait_max, 0);
		r->until = rounds || lab_scheduled(&lab)
		                   ? 0 : board_now_ns() + (uint64_t)(seconds_s * 1e9);
		t = lab_spawn(&lab, lab.o.workers, visitor, r);
		lab_join(t);
		ms = lab_elapsed_ms(&lab);
		lab_run_end(&lab);
		report(&lab, r, run, ms);
		lab_team_free(t);
	}
	return 0;
}
