// Tests of the shared-memory board: layout, seqlock, ring, fork, gates.
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "board/board.h"

START_TEST(test_layout)
{
	struct board *b = board_create_anon();

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->magic, BOARD_MAGIC);
	ck_assert_uint_eq(b->version, BOARD_VERSION);
	ck_assert_uint_eq(b->size, board_map_size());
	ck_assert_ptr_null(board_validate(b, board_map_size()));
	/* Every lock starts free. */
	for (int i = 0; i < BOARD_MAX_LOCKS; i++)
		ck_assert_int_eq(atomic_load(&b->lock[i].holder), -1);
	/* The ring length must be a power of two for the index mask. */
	ck_assert_int_eq(BOARD_RING_LEN & (BOARD_RING_LEN - 1), 0);
	board_unmap(b);
}
END_TEST

START_TEST(test_refuses_bad_boards)
{
	struct board *b = board_create_anon();

	b->version = BOARD_VERSION + 1;
	ck_assert_ptr_nonnull(strstr(board_validate(b, board_map_size()), "version"));
	b->version = BOARD_VERSION;
	b->size = board_map_size() - 8;
	ck_assert_ptr_nonnull(strstr(board_validate(b, board_map_size()), "size"));
	b->size = board_map_size();
	ck_assert_ptr_nonnull(strstr(board_validate(b, board_map_size() - 4096), "size"));
	b->magic = 0;
	ck_assert_ptr_nonnull(strstr(board_validate(b, board_map_size()), "magic"));
	board_unmap(b);
}
END_TEST

START_TEST(test_attach_memfd)
{
	int fd;
	const char *why = NULL;
	struct board *b = board_create_memfd(&fd), *b2;

	ck_assert_ptr_nonnull(b);
	atomic_store(&b->counter[0].value, 42);
	b2 = board_attach(fd, &why);
	ck_assert_ptr_nonnull(b2);
	ck_assert_int_eq(atomic_load(&b2->counter[0].value), 42);
	board_unmap(b2);
	/* A board of another version is refused with a message. */
	b->version = 99;
	ck_assert_ptr_null(board_attach(fd, &why));
	ck_assert_ptr_nonnull(strstr(why, "version"));
	/* A file too small is refused too. */
	ck_assert_int_eq(ftruncate(fd, 16), 0);
	ck_assert_ptr_null(board_attach(fd, &why));
	close(fd);
}
END_TEST

/* A writer republishes the identity with fields that always agree
 * (pid == tid == worker_no, name "n<pid>"); readers must never see a mix. */
struct torn {
	struct board_actor *a;
	_Atomic int stop;
};

static void *
torn_writer(void *p)
{
	struct torn *t = p;
	char name[BOARD_NAME_LEN];

	for (int i = 1; !atomic_load(&t->stop); i++) {
		snprintf(name, sizeof name, "n%d", i);
		board_actor_publish(t->a, BOARD_KIND_THREAD, i, i, i, (unsigned)i, name);
	}
	return NULL;
}

START_TEST(test_seqlock_no_torn_reads)
{
	struct board *b = board_create_anon();
	struct torn t = { &b->actor[1], 0 };
	pthread_t th;
	long ok = 0;

	board_actor_publish(t.a, BOARD_KIND_THREAD, 0, 0, 0, 0, "n0");
	pthread_create(&th, NULL, torn_writer, &t);
	for (int i = 0; i < 300000; i++) {
		struct board_actor_id id;
		char want[BOARD_NAME_LEN];

		if (!board_actor_read(t.a, &id))
			continue;
		ck_assert_int_eq(id.pid, id.tid);
		ck_assert_uint_eq((unsigned)id.pid, id.worker_no);
		snprintf(want, sizeof want, "n%d", id.pid);
		ck_assert_str_eq(id.name, want);
		ok++;
	}
	atomic_store(&t.stop, 1);
	pthread_join(th, NULL);
	ck_assert_int_gt(ok, 1000);
	board_unmap(b);
}
END_TEST

START_TEST(test_ring_overrun_counted)
{
	struct board *b = board_create_anon();
	struct board_actor *a = &b->actor[1];
	struct board_event_copy e;
	uint64_t cursor = 0, dropped = 0;
	int got = 0;
	const int n = BOARD_RING_LEN * 3 + 5;
	/* The oldest slot of a full ring is the one the writer fills next,
	 * so a reader trusts one event fewer than the ring's length. */
	const int held = BOARD_RING_LEN - 1;

	for (int i = 0; i < n; i++)
		board_event_put(a, BOARD_EV_READ, 0, i);
	while (board_event_next(a, &cursor, &e, &dropped)) {
		/* What is read is the newest, in order. */
		ck_assert_int_eq(e.value, n - held + got);
		got++;
	}
	ck_assert_int_eq(got, held);
	ck_assert_uint_eq(dropped, (uint64_t)(n - held));
	ck_assert_uint_eq(cursor, (uint64_t)n);
	/* Nothing new: nothing read, nothing dropped. */
	ck_assert_int_eq(board_event_next(a, &cursor, &e, &dropped), 0);
	/* An actor past the long rings has a short one. */
	ck_assert_uint_eq(board_ring_len(&b->actor[BOARD_RING_LONG_ACTORS]),
	                  BOARD_RING_LEN_SHORT);
	board_unmap(b);
}
END_TEST

START_TEST(test_ring_reader_keeps_up)
{
	struct board *b = board_create_anon();
	struct board_actor *a = &b->actor[2];
	struct board_event_copy e;
	uint64_t cursor = 0, dropped = 0;

	for (int i = 0; i < 1000; i++) {
		board_event_put(a, BOARD_EV_WRITE, 7, i);
		ck_assert_int_eq(board_event_next(a, &cursor, &e, &dropped), 1);
		ck_assert_int_eq(e.value, i);
		ck_assert_uint_eq(e.arg, 7);
	}
	ck_assert_uint_eq(dropped, 0);
	board_unmap(b);
}
END_TEST

/* board_events_newest: the newest max events up to the head at the call,
 * the older ones counted as dropped, in order. */
START_TEST(test_ring_newest_batch)
{
	struct board *b = board_create_anon();
	struct board_actor *a = &b->actor[3];
	struct board_event_copy e[8];
	uint64_t cursor = 0, dropped = 0;

	for (int i = 0; i < 10; i++)
		board_event_put(a, BOARD_EV_WRITE, 1, i);
	ck_assert_uint_eq(board_events_newest(a, &cursor, 4, e, &dropped), 4);
	for (int k = 0; k < 4; k++)
		ck_assert_int_eq(e[k].value, 6 + k);
	ck_assert_uint_eq(dropped, 6);
	ck_assert_uint_eq(cursor, 10);
	ck_assert_uint_eq(board_events_newest(a, &cursor, 4, e, &dropped), 0);
	for (int i = 10; i < 13; i++)
		board_event_put(a, BOARD_EV_WRITE, 1, i);
	ck_assert_uint_eq(board_events_newest(a, &cursor, 4, e, &dropped), 3);
	ck_assert_int_eq(e[0].value, 10);
	ck_assert_int_eq(e[2].value, 12);
	ck_assert_uint_eq(dropped, 6);
	board_unmap(b);
}
END_TEST

/* A writer laps a short ring over and over while a reader takes whole
 * rings: a slot rewritten during the copy must be dropped, never returned
 * torn (each event's arg is its value's low bits), and what is returned is
 * consecutive and accounted for (returned + dropped = cursor). */
struct lapper {
	struct board_actor *a;
	_Atomic int stop;
};

static void *
lap_writer(void *p)
{
	struct lapper *t = p;

	for (int64_t i = 0; !atomic_load_explicit(&t->stop, memory_order_relaxed); i++)
		board_event_put(t->a, BOARD_EV_WRITE, (uint32_t)i, i);
	return NULL;
}

START_TEST(test_ring_newest_lapped)
{
	struct board *b = board_create_anon();
	struct lapper t = { &b->actor[BOARD_RING_LONG_ACTORS], 0 };
	static struct board_event_copy e[BOARD_RING_LEN_SHORT];
	uint64_t cursor = 0, dropped = 0, got = 0;
	pthread_t th;

	ck_assert_uint_eq(board_ring_len(t.a), BOARD_RING_LEN_SHORT);
	pthread_create(&th, NULL, lap_writer, &t);
	/* 2,000 batches that found something, or 300 ms (a copy that
	 * ping-pongs with the writer may lose whole batches to it). */
	uint64_t until = board_now_ns() + 300000000u;

	for (int r = 0; r < 2000 && board_now_ns() < until;) {
		size_t n = board_events_newest(t.a, &cursor, BOARD_RING_LEN_SHORT - 1, e, &dropped);

		r += n > 0;

		for (size_t k = 0; k < n; k++) {
			ck_assert_uint_eq(e[k].arg, (uint32_t)e[k].value);
			if (k)
				ck_assert_int_eq(e[k].value, e[k - 1].value + 1);
		}
		if (n)
			ck_assert_uint_eq((uint64_t)e[n - 1].value, cursor - 1);
		got += n;
	}
	atomic_store(&t.stop, 1);
	pthread_join(th, NULL);
	ck_assert_uint_eq(got + dropped, cursor);
	ck_assert_uint_gt(got, 0);
	board_unmap(b);
}
END_TEST

START_TEST(test_visible_across_fork)
{
	struct board *b = board_create_anon();
	int c = board_counter_add(b, "balance", 100), st;
	pid_t pid;

	ck_assert_int_eq(c, 0);
	pid = fork();
	if (pid == 0) {
		atomic_fetch_add(&b->counter[c].value, 5);
		board_actor_publish(&b->actor[1], BOARD_KIND_PROCESS, getpid(),
		                    getpid(), getppid(), 1, "child");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ck_assert_int_eq(atomic_load(&b->counter[c].value), 105);
	ck_assert_int_eq(atomic_load(&b->actor[1].pid), pid);
	board_unmap(b);
}
END_TEST

START_TEST(test_labels_and_names)
{
	struct board *b = board_create_anon();
	uint32_t r = board_label_intern(b, "read balance");
	uint32_t w = board_label_intern(b, "write balance");

	ck_assert_uint_eq(r, 1);
	ck_assert_uint_eq(w, 2);
	ck_assert_uint_eq(board_label_intern(b, "read balance"), r);
	ck_assert_str_eq(board_label(b, w), "write balance");
	ck_assert_str_eq(board_label(b, 0), "");
	ck_assert_str_eq(board_label(b, 999), "");
	ck_assert_int_eq(board_counter_add(b, "x", 1), 0);
	ck_assert_int_eq(board_counter_add(b, "y", 2), 1);
	ck_assert_int_eq(board_counter_add(b, "x", 3), 0);
	ck_assert_int_eq(atomic_load(&b->counter[0].value), 3);
	ck_assert_int_eq(board_lock_add(b, "m", BOARD_LOCK_MUTEX), 0);
	ck_assert_str_eq(board_lock_kind_name(BOARD_LOCK_SPIN), "spin");
	for (int s = 0; s < BOARD_ST_COUNT; s++)
		for (int s2 = s + 1; s2 < BOARD_ST_COUNT; s2++)
			ck_assert_int_ne(board_state_mark(s), board_state_mark(s2));
	board_unmap(b);
}
END_TEST

/* Gates: a waiter passes exactly once per grant, and all at once when step
 * mode is switched off. */
static void *
gate_thread(void *p)
{
	struct board *b = p;

	for (int i = 0; i < 3; i++) {
		atomic_store(&b->actor[1].state, BOARD_ST_GATE);
		board_gate_wait(&b->actor[1], &b->control, BOARD_ST_RUNNING);
		atomic_fetch_add(&b->counter[0].value, 1);
	}
	return NULL;
}

static void
wait_parked(struct board *b, int64_t count)
{
	/* The waiter is parked when it has counted `count` passes, says it is
	 * at its gate, and has used every grant. */
	while (!(atomic_load(&b->counter[0].value) == count &&
	         atomic_load(&b->actor[1].state) == BOARD_ST_GATE &&
	         atomic_load(&b->actor[1].taken) == atomic_load(&b->actor[1].grant)))
		usleep(100);
}

START_TEST(test_gate_one_step_per_grant)
{
	struct board *b = board_create_anon();
	pthread_t th;

	atomic_store(&b->control.step_mode, 1);
	pthread_create(&th, NULL, gate_thread, b);
	wait_parked(b, 0);
	board_gate_grant(&b->actor[1]);
	wait_parked(b, 1);
	ck_assert_int_eq(atomic_load(&b->counter[0].value), 1);
	board_gate_grant(&b->actor[1]);
	wait_parked(b, 2);
	/* Release all: step mode off, then wake. */
	atomic_store(&b->control.step_mode, 0);
	board_gate_wake(&b->actor[1]);
	pthread_join(th, NULL);
	ck_assert_int_eq(atomic_load(&b->counter[0].value), 3);
	board_unmap(b);
}
END_TEST

START_TEST(test_gate_across_processes)
{
	struct board *b = board_create_anon();
	pid_t pid;
	int st;

	atomic_store(&b->control.step_mode, 1);
	pid = fork();
	if (pid == 0) {
		gate_thread(b);
		_exit(0);
	}
	wait_parked(b, 0);
	board_gate_grant(&b->actor[1]);
	wait_parked(b, 1);
	board_gate_grant(&b->actor[1]);
	wait_parked(b, 2);
	board_gate_grant(&b->actor[1]);
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(atomic_load(&b->counter[0].value), 3);
	board_unmap(b);
}
END_TEST

/* A parked waiter uses no CPU: it sleeps in the kernel (state S). */
START_TEST(test_gate_waiter_sleeps)
{
	struct board *b = board_create_anon();
	pid_t pid;
	char path[64], buf[512], *p;
	FILE *f;
	int st;

	atomic_store(&b->control.step_mode, 1);
	pid = fork();
	if (pid == 0) {
		gate_thread(b);
		_exit(0);
	}
	wait_parked(b, 0);
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	/* Parked means asleep in futex_wait: poll until the kernel says S
	 * (it may still be on its way into the syscall), at most 5 s. */
	for (int tries = 0; tries < 5000; tries++) {
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
		fclose(f);
		p = strrchr(buf, ')');
		ck_assert_ptr_nonnull(p);
		if (p[2] == 'S')
			break;
		usleep(1000);
	}
	ck_assert_int_eq(p[2], 'S');
	/* And it stays asleep: still S, still no step taken. */
	usleep(20000);
	ck_assert_int_eq(atomic_load(&b->counter[0].value), 0);
	atomic_store(&b->control.step_mode, 0);
	board_gate_wake(&b->actor[1]);
	waitpid(pid, &st, 0);
	board_unmap(b);
}
END_TEST

/* A gauge keeps its lowest and highest value on every update, also when
 * several writers race (the peaks of four threads going up together). */
struct gauge_t {
	struct board_counter *c;
	_Atomic int go;
};

static void *
gauge_worker(void *p)
{
	struct gauge_t *g = p;

	while (!atomic_load(&g->go))
		;
	for (int i = 0; i < 100000; i++) {
		board_counter_add_value(g->c, 1);
		board_counter_add_value(g->c, -1);
	}
	return NULL;
}

START_TEST(test_gauge_range)
{
	struct board *b = board_create_anon();
	int i = board_counter_add(b, "level", 3);
	struct board_counter *c = &b->counter[i];
	struct gauge_t g = { c, 0 };
	pthread_t t[4];

	ck_assert_int_eq(atomic_load(&c->min), 3);
	ck_assert_int_eq(atomic_load(&c->max), 3);
	board_counter_set(c, 7);
	board_counter_set(c, -2);
	board_counter_set(c, 0);
	ck_assert_int_eq(atomic_load(&c->value), 0);
	ck_assert_int_eq(atomic_load(&c->min), -2);
	ck_assert_int_eq(atomic_load(&c->max), 7);
	board_counter_raise(c, 5);
	board_counter_raise(c, 4); /* lower: no change */
	ck_assert_int_eq(atomic_load(&c->value), 5);
	/* Re-adding resets the range to the new initial value. */
	board_counter_add(b, "level", 0);
	ck_assert_int_eq(atomic_load(&c->min), 0);
	ck_assert_int_eq(atomic_load(&c->max), 0);
	for (int k = 0; k < 4; k++)
		pthread_create(&t[k], NULL, gauge_worker, &g);
	atomic_store(&g.go, 1);
	for (int k = 0; k < 4; k++)
		pthread_join(t[k], NULL);
	ck_assert_int_eq(atomic_load(&c->value), 0);
	ck_assert_int_eq(atomic_load(&c->min), 0);
	ck_assert_int_ge(atomic_load(&c->max), 1);
	ck_assert_int_le(atomic_load(&c->max), 4);
	board_unmap(b);
}
END_TEST

/* Every event records the state the actor was in after it; a state
 * change is an event, the same state again is not. */
START_TEST(test_event_states)
{
	struct board *b = board_create_anon();
	struct board_actor *a = &b->actor[1];
	struct board_event_copy e;
	uint64_t cursor = 0, dropped = 0, t0 = board_now_ns();

	board_actor_state(a, BOARD_ST_RUNNING);
	board_actor_state(a, BOARD_ST_RUNNING);
	board_actor_state(a, BOARD_ST_SLEEPING);
	board_event_put(a, BOARD_EV_STEP, 3, 1);
	ck_assert_int_eq(board_event_next(a, &cursor, &e, &dropped), 1);
	ck_assert_int_eq(e.type, BOARD_EV_STATE);
	ck_assert_int_eq(e.state, BOARD_ST_RUNNING);
	ck_assert_uint_ge(e.t_ns, t0);
	ck_assert_int_eq(board_event_next(a, &cursor, &e, &dropped), 1);
	ck_assert_int_eq(e.state, BOARD_ST_SLEEPING);
	ck_assert_int_eq(e.value, BOARD_ST_RUNNING); /* the state it left */
	ck_assert_int_eq(board_event_next(a, &cursor, &e, &dropped), 1);
	ck_assert_int_eq(e.type, BOARD_EV_STEP);
	ck_assert_int_eq(e.state, BOARD_ST_SLEEPING);
	ck_assert_int_eq(board_event_next(a, &cursor, &e, &dropped), 0);
	board_unmap(b);
}
END_TEST

Suite *
suite_board(void)
{
	Suite *s = suite_create("board");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_refuses_bad_boards);
	tcase_add_test(tc, test_attach_memfd);
	tcase_add_test(tc, test_seqlock_no_torn_reads);
	tcase_add_test(tc, test_ring_overrun_counted);
	tcase_add_test(tc, test_ring_reader_keeps_up);
	tcase_add_test(tc, test_ring_newest_batch);
	tcase_add_test(tc, test_ring_newest_lapped);
	tcase_add_test(tc, test_visible_across_fork);
	tcase_add_test(tc, test_labels_and_names);
	tcase_add_test(tc, test_gate_one_step_per_grant);
	tcase_add_test(tc, test_gate_across_processes);
	tcase_add_test(tc, test_gate_waiter_sleeps);
	tcase_add_test(tc, test_gauge_range);
	tcase_add_test(tc, test_event_states);
	suite_add_tcase(s, tc);
	return s;
}
