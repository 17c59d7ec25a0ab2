// Tests of lesson 06 (racelab-ipc): every message arrives exactly once and
// in order through each transport; the queue example; a full pipe blocks
// the producer; nothing is left behind.
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "board/board.h"
#include "testutil.h"

#define PROG "bin/racelab-ipc"

static const char *const transports[] = { "pipe", "mq", "ring" };

/* Entries in /dev/mqueue made by the lesson (0 when it is not mounted). */
static int
count_mqueue(void)
{
	DIR *d = opendir("/dev/mqueue");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "racelab-ipc", 11) == 0)
			n++;
	closedir(d);
	return n;
}

static void
check_transfer(const char *obj, long long n)
{
	for (int t = 0; t < 3; t++) {
		char k[64];
		long long v;
		bool ok;

#define KEY(s) (snprintf(k, sizeof k, "%s_%s", transports[t], s), k)
		ck_assert_msg(tu_json_int(obj, KEY("sent"), &v), "%s", k);
		ck_assert_int_eq(v, n);
		ck_assert(tu_json_int(obj, KEY("received"), &v));
		ck_assert_int_eq(v, n);
		ck_assert(tu_json_int(obj, KEY("out_of_order"), &v));
		ck_assert_int_eq(v, 0);
		ck_assert(tu_json_int(obj, KEY("duplicates"), &v));
		ck_assert_int_eq(v, 0);
		ck_assert(tu_json_int(obj, KEY("missing"), &v));
		ck_assert_int_eq(v, 0);
		ck_assert(tu_json_int(obj, KEY("corrupt"), &v));
		ck_assert_int_eq(v, 0);
		ck_assert(tu_json_bool(obj, KEY("exactly_once_in_order"), &ok));
		ck_assert(ok);
#undef KEY
	}
}

static void
transfer_in(const char *mode, const char *size)
{
	const char *argv[] = { PROG, "--demo", "transfer", "--messages", "20000",
	                       "--size", size, "--mode", mode, "--json", NULL };
	char *out, obj[8192], name[64];
	bool left = true;
	mqd_t q;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 1);
	ck_assert(tu_json_line(out, 0, obj, sizeof obj));
	check_transfer(obj, 20000);
	/* The queue's name was unlinked at once: it cannot be opened now. */
	ck_assert(tu_json_str(obj, "mq_name", name, sizeof name));
	ck_assert(tu_json_bool(obj, "mq_left", &left));
	ck_assert(!left);
	q = mq_open(name, O_RDONLY);
	ck_assert(q == (mqd_t)-1 && errno == ENOENT);
	free(out);
}

START_TEST(each_once_in_order_processes)
{
	transfer_in("process", "1024");
}
END_TEST

START_TEST(each_once_in_order_threads)
{
	transfer_in("thread", "1024");
}
END_TEST

/* An odd size: pipe reads that cut messages must be put together again. */
START_TEST(each_once_in_order_odd_size)
{
	transfer_in("process", "4093");
}
END_TEST

START_TEST(queue_example)
{
	const char *argv[] = { PROG, "--demo", "queue", "--json", NULL };
	char *out, obj[4096], got[64];

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert(tu_json_line(out, 0, obj, sizeof obj));
	ck_assert(tu_json_str(obj, "queue_got", got, sizeof got));
	ck_assert_str_eq(got, "Processed Data");
	/* A worker of its own put it there, and had ended by the get. */
	ck_assert_int_ne(tu_jint(obj, "queue_worker_pid"), tu_jint(obj, "lesson_pid"));
	ck_assert_int_eq(tu_jint(obj, "queue_got_len"), 14);
	free(out);
}
END_TEST

/* With no --pipe-size the pipe has Linux's default capacity, 16 pages
 * (pipe(7): 65,536 bytes with 4 KiB pages), as the lesson says, and the
 * producer fills it before it blocks. */
START_TEST(full_pipe_default_capacity)
{
	const char *argv[] = { PROG, "--demo", "full", "--delay", "5", "--json",
	                       NULL };
	char obj[4096];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert_int_eq(tu_jint(obj, "full_capacity"), 16 * sysconf(_SC_PAGESIZE));
	ck_assert_int_eq(tu_jint(obj, "full_max_in_flight"), tu_jint(obj, "full_capacity"));
	ck_assert_int_ge(tu_jint(obj, "full_blocked"), 1);
}
END_TEST

/* Pipe() is two-way: every question the parent end sends reaches the
 * child end, and every answer (x * x) comes back to the parent, in order,
 * over the same socketpair; threads or processes. */
static void
check_duplex(const char *mode)
{
	const char *argv[] = { PROG, "--demo", "duplex", "--mode", mode,
	                       "--round-trips", "3000", "--runs", "2", "--json",
	                       NULL };
	char *out, obj[4096];

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 2);
	for (int r = 0; r < 2; r++) {
		ck_assert(tu_json_line(out, r, obj, sizeof obj));
		ck_assert_int_eq(tu_jint(obj, "duplex_asked"), 3000);
		ck_assert_int_eq(tu_jint(obj, "duplex_child_got"), 3000);
		ck_assert_int_eq(tu_jint(obj, "duplex_answered_ok"), 3000);
		ck_assert(tu_jnum(obj, "duplex_us_per_round_trip") > 0);
	}
	free(out);
}

START_TEST(duplex_both_ways)
{
	check_duplex("process");
	check_duplex("thread");
	ck_assert_int_eq(tu_count_procs(PROG), 0);
}
END_TEST

/* Under the shell, a producer stuck on a full pipe and the two ends of
 * Pipe() waiting in recv() show as BLOCKED (in the kernel), never as
 * waiting for a lock that does not exist. */
START_TEST(kernel_waits_shown_blocked)
{
	const char *full[] = { PROG, "--demo", "full", "--pipe-size", "4096",
	                       "--delay", "20", NULL };
	const char *duplex[] = { PROG, "--demo", "duplex", "--round-trips",
	                         "20000", NULL };
	int bare;

	ck_assert(tu_states_seen(full, &bare) & (1u << BOARD_ST_BLOCKED));
	ck_assert_int_eq(bare, 0);
	ck_assert(tu_states_seen(duplex, &bare) & (1u << BOARD_ST_BLOCKED));
	ck_assert_int_eq(bare, 0);
}
END_TEST

/* A slow consumer: the pipe fills to its capacity and the producer has
 * to wait; still every message is read. */
START_TEST(full_pipe_blocks)
{
	const char *argv[] = { PROG, "--demo", "full", "--pipe-size", "16384",
	                       "--delay", "15", "--json", NULL };
	char *out, obj[4096];
	long long cap, n, got, maxq, blocked;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert(tu_json_line(out, 0, obj, sizeof obj));
	ck_assert(tu_json_int(obj, "full_capacity", &cap));
	ck_assert_int_eq(cap, 16384);
	ck_assert(tu_json_int(obj, "full_messages", &n));
	ck_assert(tu_json_int(obj, "full_received", &got));
	ck_assert_int_eq(got, n);
	ck_assert(tu_json_int(obj, "full_max_in_flight", &maxq));
	ck_assert_int_le(maxq, cap);
	ck_assert_int_ge(maxq, cap - 4096);
	ck_assert(tu_json_int(obj, "full_blocked", &blocked));
	ck_assert_int_ge(blocked, 1);
	free(out);
}
END_TEST

START_TEST(one_object_per_run_nothing_left)
{
	const char *argv[] = { PROG, "--messages", "2000", "--delay", "1",
	                       "--runs", "2", "--json", NULL };
	char *out;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 2);
	ck_assert_int_eq(tu_count_procs("racelab-ipc"), 0);
	ck_assert_int_eq(count_mqueue(), 0);
	free(out);
}
END_TEST

/* An address sent to a child process names the child's memory: at the
 * address of an object made before the fork it finds its own copy (1,
 * not the lesson's later 3), at that of one made after, nothing (EFAULT).
 * A thread finds the lesson's own objects at both. */
START_TEST(pointer_does_not_travel)
{
	const char *proc[] = { PROG, "--demo", "pointer", "--json", NULL };
	const char *thr[] = { PROG, "--demo", "pointer", "--mode", "thread",
	                      "--json", NULL };
	char obj[8192];

	tu_run_json(proc, obj, sizeof obj);
	ck_assert_int_eq(tu_jint(obj, "pointer_parent_value"), 3);
	ck_assert_int_eq(tu_jint(obj, "pointer_child_value"), 1);
	ck_assert(tu_jbool(obj, "pointer_before_read"));
	ck_assert_msg(tu_jbool(obj, "pointer_after_fault"), "%s", obj);
	ck_assert(!tu_jbool(obj, "pointer_found_parent_data"));
	tu_run_json(thr, obj, sizeof obj);
	ck_assert_int_eq(tu_jint(obj, "pointer_child_value"), 3);
	ck_assert_int_eq(tu_jint(obj, "pointer_after_errno"), 0);
	ck_assert(tu_jbool(obj, "pointer_found_parent_data"));
}
END_TEST

/* Every size arrives whole; the time grows with the size (64 MiB is
 * 1024 times 64 KiB, measured 500-1000x the time here: a bound of 20x
 * holds on a loaded machine), and the rate of a big message is far above
 * that of a 1 KiB one, which is mostly the fixed price of a message. */
START_TEST(sizes_cost_grows)
{
	const char *argv[] = { PROG, "--demo", "sizes", "--json", NULL };
	char obj[8192];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_jbool(obj, "sizes_intact"));
	ck_assert_msg(tu_jnum(obj, "sizes_64mib_ms") >
	              20 * tu_jnum(obj, "sizes_64kib_ms"), "%s", obj);
	ck_assert_msg(tu_jnum(obj, "sizes_16mib_ms") >
	              tu_jnum(obj, "sizes_1mib_ms"), "%s", obj);
	ck_assert_msg(tu_jnum(obj, "sizes_64mib_mb_s") >
	              2 * tu_jnum(obj, "sizes_1kib_mb_s"), "%s", obj);
	ck_assert_int_eq(tu_count_procs(PROG), 0);
}
END_TEST

START_TEST(bad_options)
{
	static const char *const bad[][4] = {
		{ "--demo", "nope", NULL },
		{ "--transport", "carrier-pigeon", NULL },
		{ "--size", "8", NULL },
		{ "--messages", "0", NULL },
		{ "--round-trips", "0", NULL },
		{ "--pipe-size", "12", NULL },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = { PROG, bad[i][0], bad[i][1], NULL };

		tu_assert_usage_error(argv);
	}
}
END_TEST

Suite *
suite_ipc(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("ipc");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, each_once_in_order_processes);
	tcase_add_test(tc, each_once_in_order_threads);
	tcase_add_test(tc, each_once_in_order_odd_size);
	tcase_add_test(tc, queue_example);
	tcase_add_test(tc, duplex_both_ways);
	tcase_add_test(tc, kernel_waits_shown_blocked);
	tcase_add_test(tc, full_pipe_blocks);
	tcase_add_test(tc, full_pipe_default_capacity);
	tcase_add_test(tc, one_object_per_run_nothing_left);
	tcase_add_test(tc, pointer_does_not_travel);
	tcase_add_test(tc, sizes_cost_grows);
	tcase_add_test(tc, bad_options);
	suite_add_tcase(s, tc);
	return s;
}
