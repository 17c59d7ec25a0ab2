// The shared-memory board: creation, validation, records, events, gates.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "board.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

static const char *const state_names[BOARD_ST_COUNT] = {
	[BOARD_ST_IDLE] = "idle",         [BOARD_ST_STARTING] = "starting",
	[BOARD_ST_RUNNING] = "running",   [BOARD_ST_WAIT_LOCK] = "waiting",
	[BOARD_ST_CRITICAL] = "critical", [BOARD_ST_SLEEPING] = "sleeping",
	[BOARD_ST_GATE] = "at gate",      [BOARD_ST_DONE] = "done",
	[BOARD_ST_KILLED] = "killed",     [BOARD_ST_FAILED] = "failed",
	[BOARD_ST_BLOCKED] = "blocked",
};

/* Marks that tell the states apart without colour. */
static const char state_marks[BOARD_ST_COUNT] = {
	[BOARD_ST_IDLE] = ' ',     [BOARD_ST_STARTING] = '.',
	[BOARD_ST_RUNNING] = '=',  [BOARD_ST_WAIT_LOCK] = '~',
	[BOARD_ST_CRITICAL] = '#', [BOARD_ST_SLEEPING] = 'z',
	[BOARD_ST_GATE] = '|',     [BOARD_ST_DONE] = '-',
	[BOARD_ST_KILLED] = 'x',   [BOARD_ST_FAILED] = '!',
	[BOARD_ST_BLOCKED] = '_',
};

const char *
board_state_name(enum board_state s)
{
	return (unsigned)s < BOARD_ST_COUNT ? state_names[s] : "?";
}

char
board_state_mark(enum board_state s)
{
	return (unsigned)s < BOARD_ST_COUNT ? state_marks[s] : '?';
}

const char *
board_counter_kind_name(enum board_counter_kind k)
{
	switch (k) {
	case BOARD_COUNTER_GAUGE: return "gauge";
	case BOARD_COUNTER_COUNT: return "count";
	default: return "conserved";
	}
}

const char *
board_lock_kind_name(enum board_lock_kind k)
{
	switch (k) {
	case BOARD_LOCK_MUTEX: return "mutex";
	case BOARD_LOCK_SPIN: return "spin";
	case BOARD_LOCK_SEM: return "semaphore";
	case BOARD_LOCK_RWLOCK: return "rwlock";
	case BOARD_LOCK_COND: return "condvar";
	case BOARD_LOCK_BARRIER: return "barrier";
	case BOARD_LOCK_CUSTOM: return "custom";
	default: return "none";
	}
}

uint64_t
board_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the events' clock ------------------------------------------------- */

/* The TSC is a good clock only where the kernel trusts it for its own
 * timekeeping: it then checked that it is invariant (constant rate, not
 * stopped in idle) and synchronised across CPUs, or it would have moved to
 * another clocksource. */
static uint32_t
tsc_usable(void)
{
#if defined(__x86_64__) || defined(__i386__)
	char buf[32] = "";
	int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
	              O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	return n >= 3 && strncmp(buf, "tsc", 3) == 0 && (n == 3 || buf[3] == '\n');
#else
	return 0;
#endif
}

static inline uint64_t
ticks_now(uint32_t tsc)
{
#if defined(__x86_64__) || defined(__i386__)
	if (tsc)
		return __rdtsc();
#endif
	(void)tsc;
	return board_now_ns();
}

uint64_t
board_ticks(const struct board *b)
{
	return ticks_now(b->clock.tsc);
}

/* A (tick, ns) pair: the tick read between two clock reads, against
 * their midpoint. */
static void
clock_pair(uint32_t tsc, uint64_t *tick, uint64_t *ns)
{
	uint64_t n1 = board_now_ns(), t = ticks_now(tsc), n2 = board_now_ns();

	*tick = t;
	*ns = n1 + (n2 - n1) / 2;
}

void
board_clock_map(const struct board *b, struct board_clock_map *m)
{
	const struct board_clock *c = &b->clock;
	struct board_clock *mc = (struct board_clock *)c;
	uint64_t t0 = atomic_load(&mc->run_tick0), n0 = atomic_load(&mc->run_ns0);
	uint64_t t1 = atomic_load(&mc->run_tick1), n1 = atomic_load(&mc->run_ns1);

	if (!c->tsc) {
		m->tick = m->ns = 0;
		m->ns_per_tick = 1;
		return;
	}
	/* Anchored at the run's start; the rate from creation to the run's
	 * end, or to now while it runs (the longer the span, the smaller the
	 * error of a pair's few ns). */
	if (!n0) {
		t0 = c->tick0;
		n0 = c->ns0;
	}
	if (!n1 || t1 <= t0) {
		clock_pair(1, &t1, &n1);
		while (n1 - c->ns0 < 1000000u) { /* a board just made */
			struct timespec ts = {0, 200000};

			nanosleep(&ts, NULL);
			clock_pair(1, &t1, &n1);
		}
	}
	m->tick = t0;
	m->ns = n0;
	m->ns_per_tick = (double)(n1 - c->ns0) / (double)(t1 - c->tick0);
}

void
board_run_done(struct board *b)
{
	uint64_t t, n;

	clock_pair(b->clock.tsc, &t, &n);
	atomic_store(&b->clock.run_ns1, n);
	atomic_store(&b->clock.run_tick1, t);
}

/* ---- creating and mapping ----------------------------------------------- */

static uint64_t
ring_first(unsigned i)
{
	if (i < BOARD_RING_LONG_ACTORS)
		return (uint64_t)i * BOARD_RING_LEN;
	return (uint64_t)BOARD_RING_LONG_ACTORS * BOARD_RING_LEN +
	       (uint64_t)(i - BOARD_RING_LONG_ACTORS) * BOARD_RING_LEN_SHORT;
}

size_t
board_map_size(void)
{
	return sizeof(struct board) +
	       (size_t)ring_first(BOARD_MAX_ACTORS) * sizeof(struct board_event);
}

/* Actor slot i as a new board has it (a zero-filled a). */
static void
actor_init(const struct board *b, unsigned i, struct board_actor *a)
{
	const struct board_actor *at = &b->actor[i];

	a->board_off = (uint64_t)((const char *)at - (const char *)b);
	a->ring_off = (uint64_t)((const char *)&b->ring[ring_first(i)] - (const char *)at);
	a->ring_mask = (uint32_t)(i < BOARD_RING_LONG_ACTORS ? BOARD_RING_LEN
	                                                     : BOARD_RING_LEN_SHORT) - 1;
	a->tick_tsc = b->clock.tsc;
}

/* The header of a zero-filled board, and its first n actors (the
 * others: every slot, when new). */
static void
board_init_header(struct board *b, uint32_t tsc, unsigned n)
{
	b->magic = BOARD_MAGIC;
	b->version = BOARD_VERSION;
	b->size = board_map_size();
	for (int i = 0; i < BOARD_MAX_LOCKS; i++)
		atomic_store(&b->lock[i].holder, -1);
	b->clock.tsc = tsc;
	clock_pair(b->clock.tsc, &b->clock.tick0, &b->clock.ns0);
	for (unsigned i = 0; i < n && i < BOARD_MAX_ACTORS; i++)
		actor_init(b, i, &b->actor[i]);
}

struct board *
board_create_anon(void)
{
	struct board *b;

	b = mmap(NULL, board_map_size(), PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b == MAP_FAILED)
		return NULL;
	board_init_header(b, tsc_usable(), BOARD_MAX_ACTORS); /* the mapping is zero-filled */
	return b;
}

void
board_renew(struct board *b)
{
	uint32_t tsc = b->clock.tsc; /* the clocksource, read once */
	uint32_t n = atomic_load(&b->nactors);

	/* Only the slots a run used (below nactors: every writer raises it
	 * first) are made new: a write to a shared page already there is
	 * still a fault, and the 1025 slots are 80 pages. */
	n = n < BOARD_MAX_ACTORS ? n : BOARD_MAX_ACTORS;
	memset(b, 0, offsetof(struct board, actor));
	memset(b->actor, 0, n * sizeof *b->actor);
	memset(&b->clock, 0, sizeof b->clock);
	board_init_header(b, tsc, n);
}

struct board *
board_create_memfd(int *fdp)
{
	struct board *b;
	int fd;

	/* No MFD_CLOEXEC: the lesson program inherits the fd. */
	fd = memfd_create("racelab-board", 0);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)board_map_size()) < 0)
		goto fail;
	b = mmap(NULL, board_map_size(), PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (b == MAP_FAILED)
		goto fail;
	board_init_header(b, tsc_usable(), BOARD_MAX_ACTORS);
	*fdp = fd;
	return b;
fail:
	close(fd);
	return NULL;
}

const char *
board_validate(const struct board *b, size_t mapped)
{
	if (mapped < offsetof(struct board, lesson))
		return "board is too small to hold a header";
	if (b->magic != BOARD_MAGIC)
		return "not a racelab board (bad magic)";
	if (b->version != BOARD_VERSION)
		return "board version differs from this program's";
	if (b->size != board_map_size() || mapped < board_map_size())
		return "board size differs from this program's";
	return NULL;
}

struct board *
board_attach(int fd, const char **why)
{
	struct stat st;
	struct board *b;
	const char *bad;

	if (fstat(fd, &st) < 0) {
		*why = "cannot stat the board fd";
		return NULL;
	}
	if ((size_t)st.st_size < offsetof(struct board, lesson)) {
		*why = "board is too small to hold a header";
		errno = EINVAL;
		return NULL;
	}
	b = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (b == MAP_FAILED) {
		*why = "cannot map the board";
		return NULL;
	}
	if ((bad = board_validate(b, (size_t)st.st_size))) {
		munmap(b, (size_t)st.st_size);
		*why = bad;
		errno = EINVAL;
		return NULL;
	}
	return b;
}

void
board_unmap(struct board *b)
{
	if (b)
		munmap(b, board_map_size());
}

void
board_reset(struct board *b)
{
	uint32_t n = atomic_load(&b->nactors);

	for (uint32_t i = 0; i < n && i < BOARD_MAX_ACTORS; i++) {
		struct board_actor *a = &b->actor[i];

		atomic_store(&a->state, BOARD_ST_IDLE);
		atomic_store(&a->op, 0);
		atomic_store(&a->op_has_value, 0);
		atomic_store(&a->wait_lock, 0);
		atomic_store(&a->wait_timed, 0);
		atomic_store(&a->wait_arg, 0);
		atomic_store(&a->steps, 0);
		atomic_store(&a->progress, 0);
		atomic_store(&a->total, 0);
		atomic_store(&a->exit_code, 0);
		atomic_store(&a->grant, 0);
		atomic_store(&a->taken, 0);
		atomic_store(&a->gate, 0);
		atomic_store(&a->ungated, 0);
		atomic_store(&a->gate_resume, 0);
		atomic_store(&a->pid, 0);
		atomic_store(&a->tid, 0);
		atomic_store(&a->held, 0);
		for (int l = 0; l < BOARD_MAX_LOCKS; l++)
			atomic_store(&a->acquired[l], 0);
		/* The run's events start here (the slot's earlier ones are
		 * an earlier run's). */
		atomic_store(&a->ring_last, atomic_load(&a->ring_head) -
		                            atomic_load(&a->ring_mark));
		atomic_store(&a->ring_mark, atomic_load(&a->ring_head));
	}
	atomic_store(&b->nactors, 0);
	for (int i = 0; i < BOARD_MAX_LOCKS; i++) {
		struct board_lock *l = &b->lock[i];

		atomic_store(&l->holder, -1);
		atomic_store(&l->waiters, 0);
		atomic_store(&l->acquisitions, 0);
		atomic_store(&l->contended, 0);
		atomic_store(&l->wait_ns, 0);
	}
	atomic_store(&b->go, 0);
	atomic_store(&b->run_state, BOARD_RUN_IDLE);
	{
		uint64_t tick, ns;

		clock_pair(b->clock.tsc, &tick, &ns);
		atomic_store(&b->clock.run_tick1, 0);
		atomic_store(&b->clock.run_ns1, 0);
		atomic_store(&b->clock.run_tick0, tick);
		atomic_store(&b->clock.run_ns0, ns);
	}
}

/* Seqlock writer: seq is odd while the record changes.  The release fence
 * after the first increment orders it before the field stores; the release
 * store of the final value orders the fields before it.  A reader that sees
 * the same even seq before and after its loads saw no write in between. */
void
board_actor_publish(struct board_actor *a, enum board_kind kind, pid_t pid,
                    pid_t tid, pid_t ppid, unsigned worker_no, const char *name)
{
	uint64_t words[BOARD_NAME_LEN / 8] = {0};
	uint32_t s = atomic_load_explicit(&a->seq, memory_order_relaxed);

	strncpy((char *)words, name ? name : "", BOARD_NAME_LEN - 1);
	atomic_store_explicit(&a->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&a->kind, kind, memory_order_relaxed);
	atomic_store_explicit(&a->pid, pid, memory_order_relaxed);
	atomic_store_explicit(&a->tid, tid, memory_order_relaxed);
	atomic_store_explicit(&a->ppid, ppid, memory_order_relaxed);
	atomic_store_explicit(&a->worker_no, worker_no, memory_order_relaxed);
	for (int i = 0; i < BOARD_NAME_LEN / 8; i++)
		atomic_store_explicit(&a->name[i], words[i], memory_order_relaxed);
	atomic_store_explicit(&a->seq, s + 2, memory_order_release);
}

bool
board_actor_read(const struct board_actor *a, struct board_actor_id *out)
{
	uint64_t words[BOARD_NAME_LEN / 8];

	for (int tries = 0; tries < 1000; tries++) {
		uint32_t s1 = atomic_load_explicit(&a->seq, memory_order_acquire);

		if (s1 & 1) {
			sched_yield();
			continue;
		}
		out->kind = atomic_load_explicit(&a->kind, memory_order_relaxed);
		out->pid = atomic_load_explicit(&a->pid, memory_order_relaxed);
		out->tid = atomic_load_explicit(&a->tid, memory_order_relaxed);
		out->ppid = atomic_load_explicit(&a->ppid, memory_order_relaxed);
		out->worker_no =
			atomic_load_explicit(&a->worker_no, memory_order_relaxed);
		for (int i = 0; i < BOARD_NAME_LEN / 8; i++)
			words[i] = atomic_load_explicit(&a->name[i],
			                                memory_order_relaxed);
		/* Order the loads above before the second read of seq. */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&a->seq, memory_order_relaxed) == s1) {
			memcpy(out->name, words, BOARD_NAME_LEN);
			out->name[BOARD_NAME_LEN - 1] = '\0';
			return true;
		}
	}
	return false;
}

static void
intern_lock(struct board *b)
{
	while (atomic_exchange_explicit(&b->intern_lock, 1, memory_order_acquire))
		sched_yield();
}

static void
intern_unlock(struct board *b)
{
	atomic_store_explicit(&b->intern_lock, 0, memory_order_release);
}

/* Label 0 means "none"; ids start at 1.  The text is written before nlabels
 * is raised with release order, so a reader that acquires nlabels may read
 * any label below it as a plain string. */
uint32_t
board_label_intern(struct board *b, const char *text)
{
	uint32_t n, id = 0;

	intern_lock(b);
	n = atomic_load_explicit(&b->nlabels, memory_order_relaxed);
	for (uint32_t i = 1; i <= n; i++)
		if (strncmp(b->label[i - 1], text, BOARD_LABEL_LEN - 1) == 0) {
			id = i;
			break;
		}
	if (!id && n < BOARD_MAX_LABELS) {
		strncpy(b->label[n], text, BOARD_LABEL_LEN - 1);
		b->label[n][BOARD_LABEL_LEN - 1] = '\0';
		atomic_store_explicit(&b->nlabels, n + 1, memory_order_release);
		id = n + 1;
	}
	intern_unlock(b);
	return id;
}

const char *
board_label(const struct board *b, uint32_t id)
{
	uint32_t n = atomic_load_explicit(&((struct board *)b)->nlabels,
	                                  memory_order_acquire);

	if (id == 0 || id > n)
		return "";
	return b->label[id - 1];
}

int
board_counter_add(struct board *b, const char *name, int64_t initial)
{
	int idx = -1;
	uint32_t n;

	intern_lock(b);
	n = atomic_load_explicit(&b->ncounters, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++)
		if (strncmp(b->counter[i].name, name, BOARD_NAME_LEN - 1) == 0)
			idx = (int)i;
	if (idx < 0 && n < BOARD_MAX_COUNTERS) {
		struct board_counter *c = &b->counter[n];

		strncpy(c->name, name, BOARD_NAME_LEN - 1);
		c->name[BOARD_NAME_LEN - 1] = '\0';
		idx = (int)n;
		atomic_store_explicit(&b->ncounters, n + 1, memory_order_release);
	}
	if (idx >= 0) {
		struct board_counter *c = &b->counter[idx];

		atomic_store(&c->initial, initial);
		atomic_store(&c->value, initial);
		atomic_store(&c->min, initial);
		atomic_store(&c->max, initial);
	}
	intern_unlock(b);
	return idx;
}

/* Widen [min, max] to hold v.  Each bound only ever moves outwards, by a
 * compare-and-swap, so concurrent updates never lose a peak. */
static void
counter_range(struct board_counter *c, int64_t v)
{
	int64_t m = atomic_load_explicit(&c->max, memory_order_relaxed);

	while (v > m && !atomic_compare_exchange_weak_explicit(
	                        &c->max, &m, v, memory_order_relaxed,
	                        memory_order_relaxed))
		;
	m = atomic_load_explicit(&c->min, memory_order_relaxed);
	while (v < m && !atomic_compare_exchange_weak_explicit(
	                        &c->min, &m, v, memory_order_relaxed,
	                        memory_order_relaxed))
		;
}

int64_t
board_counter_add_value(struct board_counter *c, int64_t delta)
{
	int64_t v = atomic_fetch_add(&c->value, delta) + delta;

	counter_range(c, v);
	return v;
}

void
board_counter_raise(struct board_counter *c, int64_t v)
{
	int64_t m = atomic_load(&c->value);

	while (v > m && !atomic_compare_exchange_weak(&c->value, &m, v))
		;
	counter_range(c, v);
}

void
board_counter_set(struct board_counter *c, int64_t v)
{
	atomic_store(&c->value, v);
	counter_range(c, v);
}

int
board_lock_add(struct board *b, const char *name, enum board_lock_kind kind)
{
	int idx = -1;
	uint32_t n;

	intern_lock(b);
	n = atomic_load_explicit(&b->nlocks, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++)
		if (strncmp(b->lock[i].name, name, BOARD_NAME_LEN - 1) == 0)
			idx = (int)i;
	if (idx < 0 && n < BOARD_MAX_LOCKS) {
		struct board_lock *l = &b->lock[n];

		strncpy(l->name, name, BOARD_NAME_LEN - 1);
		l->name[BOARD_NAME_LEN - 1] = '\0';
		idx = (int)n;
		atomic_store_explicit(&b->nlocks, n + 1, memory_order_release);
	}
	if (idx >= 0) {
		atomic_store(&b->lock[idx].kind, kind);
		atomic_store(&b->lock[idx].holder, -1);
	}
	intern_unlock(b);
	return idx;
}

static inline struct board_event *
ring_of(const struct board_actor *a)
{
	return (struct board_event *)((char *)a + a->ring_off);
}

uint64_t
board_ring_len(const struct board_actor *a)
{
	return (uint64_t)a->ring_mask + 1;
}

/* The ring has one writer, the actor, and no per-event sequence word:
 * the head says which events are complete.  The release fence orders the
 * previous put's head store before this put's field stores, so a reader
 * that sees any of them (the slot reused) also sees the head moved past
 * the event it wanted, and drops it (board_event_at).  Cost: one clock
 * read and four plain stores (x86's release stores are plain moves). */
void
board_event_put(struct board_actor *a, enum board_event_type type,
                uint32_t arg, int64_t value)
{
	uint64_t h = atomic_load_explicit(&a->ring_head, memory_order_relaxed);
	struct board_event *e = &ring_of(a)[h & a->ring_mask];
	uint64_t meta = (uint64_t)type |
	                (uint64_t)(atomic_load_explicit(&a->state, memory_order_relaxed) & 0xff) << 8 |
	                (uint64_t)(atomic_load_explicit(&a->line, memory_order_relaxed) & 0xffff) << 16 |
	                (uint64_t)arg << 32;

	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&e->ticks, ticks_now(a->tick_tsc), memory_order_relaxed);
	atomic_store_explicit(&e->meta, meta, memory_order_relaxed);
	atomic_store_explicit(&e->value, value, memory_order_relaxed);
	atomic_store_explicit(&a->ring_head, h + 1, memory_order_release);
}

void
board_ring_prefault(struct board_actor *a)
{
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
	uint64_t n = atomic_load_explicit(&a->ring_last, memory_order_relaxed);
	uint64_t len = board_ring_len(a), h, first, end;
	long pg = sysconf(_SC_PAGESIZE);
	struct board_event *r = ring_of(a);

	if (n == 0)
		return;
	if (n > len)
		n = len;
	h = atomic_load_explicit(&a->ring_head, memory_order_relaxed);
	first = h & a->ring_mask;
	/* The slots from the head on, wrapping at the ring's end. */
	for (int part = 0; part < 2 && n; part++) {
		uint64_t k = first + n > len ? len - first : n;
		uintptr_t lo = (uintptr_t)&r[first] & ~(uintptr_t)(pg - 1);
		uintptr_t hi = (uintptr_t)&r[first + k];

		end = hi;
		if (madvise((void *)lo, end - lo, MADV_POPULATE_WRITE) != 0) {
			/* An older kernel: a write that leaves the value as
			 * it is (an event a reader may still be reading). */
			for (uintptr_t p = lo; p < end; p += (uintptr_t)pg) {
				uintptr_t e = p < (uintptr_t)r ? (uintptr_t)r : p;

				atomic_fetch_or_explicit((_Atomic uint64_t *)(e & ~(uintptr_t)7),
				                         0, memory_order_relaxed);
			}
		}
		n -= k;
		first = 0;
	}
}

/* Conversion of ticks for the readers of one process: refreshed when the
 * board changes or an event is newer than the map's last pair. */
static _Thread_local struct {
	const struct board *b;
	uint64_t until; /* ticks up to which the map is good */
	struct board_clock_map m;
} reader_clock;

static uint64_t
reader_ns(const struct board_actor *a, uint64_t ticks)
{
	const struct board *b = (const struct board *)((const char *)a - a->board_off);

	if (reader_clock.b != b || ticks > reader_clock.until) {
		board_clock_map(b, &reader_clock.m);
		reader_clock.b = b;
		reader_clock.until = ticks_now(b->clock.tsc);
	}
	return board_clock_ns(&reader_clock.m, ticks);
}

int
board_event_at(const struct board_actor *a, uint64_t idx,
               struct board_event_copy *out)
{
	struct board_actor *m = (struct board_actor *)a;
	const struct board_event *e = &ring_of(a)[idx & a->ring_mask];
	struct board_event *me = (struct board_event *)e;
	uint64_t meta;

	if (idx >= atomic_load_explicit(&m->ring_head, memory_order_acquire))
		return 0;
	out->ticks = atomic_load_explicit(&me->ticks, memory_order_relaxed);
	meta = atomic_load_explicit(&me->meta, memory_order_relaxed);
	out->value = atomic_load_explicit(&me->value, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	/* The writer may be filling slot idx again only once the head has
	 * reached idx + length. */
	if (atomic_load_explicit(&m->ring_head, memory_order_relaxed) >= idx + board_ring_len(a))
		return 0;
	out->type = (enum board_event_type)(meta & 0xff);
	out->state = (enum board_state)((meta >> 8) & 0xff);
	out->line = (unsigned)((meta >> 16) & 0xffff);
	out->arg = (uint32_t)(meta >> 32);
	out->t_ns = reader_ns(a, out->ticks);
	return 1;
}

int
board_event_next(const struct board_actor *a, uint64_t *cursor,
                  struct board_event_copy *out, uint64_t *dropped)
{
	struct board_actor *m = (struct board_actor *)a;
	uint64_t len = board_ring_len(a);

	for (;;) {
		uint64_t h = atomic_load_explicit(&m->ring_head,
		                                  memory_order_acquire);
		uint64_t c = *cursor;

		if (c >= h)
			return 0;
		if (h - c > len) { /* the writer lapped us */
			*dropped += h - c - len;
			*cursor = c = h - len;
		}
		*cursor = c + 1;
		if (board_event_at(a, c, out))
			return 1;
		(*dropped)++;
	}
}

size_t
board_events_newest(const struct board_actor *a, uint64_t *cursor, size_t max,
                    struct board_event_copy *out, uint64_t *dropped)
{
	struct board_actor *m = (struct board_actor *)a;
	const struct board_event *r = ring_of(a);
	uint64_t len = board_ring_len(a), h, h2, c, skip;
	size_t n, k, got = 0;

	/* One look at the head: the batch ends there, however fast the
	 * writer goes on (a reader that follows a live head chases it). */
	h = atomic_load_explicit(&m->ring_head, memory_order_acquire);
	c = *cursor;
	if (c >= h || max == 0)
		return 0;
	if (max > len)
		max = (size_t)len;
	if (h - c > max) {
		*dropped += h - c - max;
		c = h - max;
	}
	n = (size_t)(h - c);
	for (k = 0; k < n; k++) {
		struct board_event *e = (struct board_event *)&r[(c + k) & a->ring_mask];

		out[k].ticks = atomic_load_explicit(&e->ticks, memory_order_relaxed);
		out[k].value = atomic_load_explicit(&e->value, memory_order_relaxed);
		/* meta's bits, decoded below once the batch is known good */
		out[k].t_ns = atomic_load_explicit(&e->meta, memory_order_relaxed);
	}
	/* As board_event_at, once for the batch: a slot the writer began
	 * to fill again (idx + len <= head now) may be torn; drop those,
	 * which are the oldest of the batch. */
	atomic_thread_fence(memory_order_acquire);
	h2 = atomic_load_explicit(&m->ring_head, memory_order_relaxed);
	skip = h2 >= c + len ? h2 - len - c + 1 : 0;
	if (skip > n)
		skip = n;
	*dropped += skip;
	for (k = (size_t)skip; k < n; k++, got++) {
		uint64_t meta = out[k].t_ns;

		out[got].ticks = out[k].ticks;
		out[got].value = out[k].value;
		out[got].type = (enum board_event_type)(meta & 0xff);
		out[got].state = (enum board_state)((meta >> 8) & 0xff);
		out[got].line = (unsigned)((meta >> 16) & 0xffff);
		out[got].arg = (uint32_t)(meta >> 32);
		out[got].t_ns = reader_ns(a, out[got].ticks);
	}
	*cursor = h;
	return got;
}

void
board_actor_state(struct board_actor *a, enum board_state s)
{
	uint32_t old = atomic_load_explicit(&a->state, memory_order_relaxed);

	atomic_store_explicit(&a->state, s, memory_order_release);
	if (old != (uint32_t)s)
		board_event_put(a, BOARD_EV_STATE, s, old);
}

static long
futex(_Atomic uint32_t *uaddr, int op, uint32_t val)
{
	/* Not FUTEX_PRIVATE_FLAG: the word may be shared between processes. */
	return syscall(SYS_futex, (uint32_t *)uaddr, op, val, NULL, NULL, 0);
}

/* Wait for one grant, or for step mode to be switched off. */
void
board_gate_wait(struct board_actor *a, const struct board_control *c,
                enum board_state resume_state)
{
	uint32_t taken = atomic_load_explicit(&a->taken, memory_order_relaxed);

	for (;;) {
		uint32_t w = atomic_load_explicit(&a->gate, memory_order_acquire);

		if (atomic_load_explicit(&a->grant, memory_order_acquire) != taken) {
			board_actor_state(a, resume_state);
			atomic_store_explicit(&a->taken, taken + 1,
			                      memory_order_release);
			return;
		}
		if (!atomic_load_explicit(&c->step_mode, memory_order_acquire) ||
		    atomic_load_explicit(&a->ungated, memory_order_acquire)) {
			board_actor_state(a, resume_state);
			return;
		}
		futex(&a->gate, FUTEX_WAIT, w);
	}
}

void
board_gate_grant(struct board_actor *a)
{
	atomic_fetch_add_explicit(&a->grant, 1, memory_order_release);
	board_gate_wake(a);
}

/* Wake a gate without granting, after step_mode changed: the waiter
 * re-reads its conditions. */
void
board_gate_wake(struct board_actor *a)
{
	atomic_fetch_add_explicit(&a->gate, 1, memory_order_release);
	futex(&a->gate, FUTEX_WAKE, INT_MAX);
}

/* The kernel's word on a task: its state letter in /proc (S: asleep),
 * or 0 when it cannot be read. */
static char
task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (pid <= 0 || tid <= 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Can the waiter not have the rwlock now?  A reader is kept out by a
 * writer holding it, and under writer preference by a writer waiting; a
 * writer by any holder.  The lab updates these fields before it lets go
 * of the real lock, so a waiter about to be let in is never judged
 * blocked. */
static bool
rw_blocked(const struct board_lock *bl, unsigned idx, uint32_t how)
{
	int32_t w = atomic_load(&bl->holder);

	if (w >= 0 && w != (int32_t)idx)
		return true;
	if (how == BOARD_WAIT_WRITE)
		return atomic_load(&bl->readers) > 0 || w == (int32_t)idx;
	return atomic_load(&bl->prefer_writer) && atomic_load(&bl->wwait) > 0;
}

bool
board_actor_settled(const struct board *b, unsigned idx)
{
	const struct board_actor *a;
	const struct board_lock *bl;
	uint32_t s, taken, l;
	int32_t h;

	if (idx >= BOARD_MAX_ACTORS)
		return true;
	a = &b->actor[idx];
	s = atomic_load_explicit(&a->state, memory_order_acquire);
	if (s == BOARD_ST_DONE || s == BOARD_ST_FAILED || s == BOARD_ST_KILLED ||
	    atomic_load(&a->ungated))
		return true;
	/* Read taken before state: the actor writes state before it marks a
	 * grant used (release), so once we see the grant used, we also see
	 * the state it left the gate with, never a stale GATE. */
	taken = atomic_load_explicit(&a->taken, memory_order_acquire);
	s = atomic_load_explicit(&a->state, memory_order_acquire);
	if (s == BOARD_ST_GATE)
		return atomic_load(&a->grant) == taken;
	if (s == BOARD_ST_BLOCKED && atomic_load(&a->parked))
		return true;
	if (s != BOARD_ST_WAIT_LOCK)
		return false;
	l = atomic_load(&a->wait_lock);
	/* A timed wait moves by itself when it times out. */
	if (!l || l > BOARD_MAX_LOCKS || atomic_load(&a->wait_timed))
		return false;
	bl = &b->lock[l - 1];
	switch (atomic_load(&bl->kind)) {
	case BOARD_LOCK_COND:
		/* Only another worker's signal can move it: settled unless
		 * a wake-up is already on its way.  Woken (signalled while
		 * the signaller holds the mutex, as it should), it still
		 * waits for the mutex (wait_arg: its index + 1). */
		if (atomic_load(&bl->value) <= 0)
			return true;
		l = atomic_load(&a->wait_arg);
		if (!l || l > BOARD_MAX_LOCKS)
			return false;
		h = atomic_load(&b->lock[l - 1].holder);
		return h >= 0 && h != (int32_t)idx;
	case BOARD_LOCK_SEM:
		/* Blocked while no permit is left (a semaphore with several
		 * permits has no single holder). */
		return atomic_load(&bl->value) <= 0;
	case BOARD_LOCK_BARRIER:
		/* Until the phase it arrived in is complete. */
		return atomic_load(&a->wait_arg) == atomic_load(&bl->phase);
	case BOARD_LOCK_RWLOCK:
		/* The board says who holds and who waits, but glibc decides
		 * who gets in: a writer marked waiting here has not yet told
		 * the rwlock it waits (which keeps new readers out under
		 * writer preference) until the kernel has it asleep.  Only
		 * then is the next step's outcome fixed. */
		return rw_blocked(bl, idx, atomic_load(&a->wait_arg)) &&
		       task_state(atomic_load(&a->pid), atomic_load(&a->tid)) == 'S';
	default:
		h = atomic_load(&bl->holder);
		return h >= 0 && h != (int32_t)idx;
	}
}

void
board_go_wait(struct board *b)
{
	while (!atomic_load_explicit(&b->go, memory_order_acquire))
		futex(&b->go, FUTEX_WAIT, 0);
}

void
board_go_release(struct board *b)
{
	atomic_store_explicit(&b->go, 1, memory_order_release);
	futex(&b->go, FUTEX_WAKE, INT_MAX);
}

void
board_result_add(struct board *b, int64_t final)
{
	uint32_t n = atomic_fetch_add(&b->nresults, 1);

	atomic_store(&b->result[n % BOARD_MAX_RUNS], final);
}
