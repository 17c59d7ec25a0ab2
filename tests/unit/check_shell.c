// The shell's pure logic: the progress file format, /proc parsing.  (The
// lesson files have their own suites: lesson, markdown, wrap, expect.)
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "shell/procfs.h"
#include "shell/shell.h"

START_TEST(test_progress_format)
{
	struct progress p, q;
	char buf[1024];

	memset(&p, 0, sizeof p);
	progress_mark(&p, "race", 0);
	progress_mark(&p, "race", 2);
	progress_mark(&p, "locks", 63);
	progress_mark(&p, "locks", 64); /* out of range: ignored */
	snprintf(p.last, sizeof p.last, "race");
	p.last_step = 2;
	ck_assert_int_gt(progress_format(&p, buf, sizeof buf), 0);
	ck_assert_int_eq(progress_parse(&q, buf), 0);
	ck_assert_int_eq(q.n, 2);
	ck_assert_str_eq(q.last, "race");
	ck_assert_int_eq(q.last_step, 2);
	ck_assert_uint_eq(q.rec[0].seen, 5);
	ck_assert_uint_eq(q.rec[1].seen, 1ull << 63);
	/* Garbage and hostile names are skipped. */
	progress_parse(&q, "junk\nseen ../x 3\nlast ../../etc 1\nseen ok 9\n");
	ck_assert_int_eq(q.n, 1);
	ck_assert_str_eq(q.rec[0].slug, "ok");
	ck_assert_str_eq(q.last, "");
}
END_TEST

START_TEST(test_procfs_parse)
{
	struct procfs_stat s;
	/* A command name with spaces and a ')' in it. */
	const char *stat = "1234 (racelab (x) y) T 1200 1234 1100 0 -1 4194560 100 0 0 0 "
	                   "250 50 0 0 20 0 3 0 1000 1000000 100 18446744073709551615 "
	                   "1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

	ck_assert_int_eq(procfs_parse_stat(stat, &s), 0);
	ck_assert_int_eq(s.state, 'T');
	ck_assert_int_eq(s.ppid, 1200);
	ck_assert_uint_eq(s.ticks, 300);
	ck_assert_int_eq(s.cpu, 1);
	ck_assert_int_eq(procfs_parse_stat("garbage", &s), -1);
	procfs_parse_status("Name:\tx\nvoluntary_ctxt_switches:\t42\n"
	                    "nonvoluntary_ctxt_switches:\t7\n", &s);
	ck_assert_int_eq(s.vcsw, 42);
	ck_assert_int_eq(s.ivcsw, 7);
	/* Our own task, for real. */
	ck_assert_int_eq(procfs_read(getpid(), getpid(), &s), 0);
	ck_assert_int_eq(s.state, 'R');
	ck_assert_int_eq(s.ppid, getppid());
	/* The context switch counts: read within the first few calls (not
	 * at every task's first, which is what made a 1024-task demo's first
	 * frames slow), then kept, never going back. */
	struct procfs_stat t;
	long seen = -1;
	procfs_close_all();
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(procfs_read(getpid(), getpid(), &t), 0);
		ck_assert_int_ge(t.vcsw, seen);
		seen = t.vcsw;
		if (i == 3)
			ck_assert_int_ge(seen, 0);
	}
	procfs_close_all();
}
END_TEST

/* The timeline's columns from an actor's history: the state each column
 * spent most of its time in, a column without a change all in the state
 * it started in. */
START_TEST(test_states_over)
{
	static struct demo d;
	enum board_state out[5];
	const struct demo_hist h[] = {
		{100, BOARD_ST_RUNNING}, {200, BOARD_ST_WAIT_LOCK},
		{320, BOARD_ST_RUNNING}, {450, BOARD_ST_DONE}, {470, BOARD_ST_RUNNING},
	};

	d.nact = 1;
	for (int k = 0; k < 5; k++)
		d.act[0].hist[k] = h[k];
	d.act[0].hist_n = 5;
	demo_states_over(&d, 0, 0, 500, 5, out);
	ck_assert_int_eq(out[0], BOARD_ST_IDLE);     /* before its first change */
	ck_assert_int_eq(out[1], BOARD_ST_RUNNING);  /* no change inside */
	ck_assert_int_eq(out[2], BOARD_ST_WAIT_LOCK);
	ck_assert_int_eq(out[3], BOARD_ST_RUNNING);  /* 80 of 100 running */
	ck_assert_int_eq(out[4], BOARD_ST_RUNNING);  /* 50 + 30 of 100 */
	d.act[0].hist_n = 1;                          /* no change after 100 */
	demo_states_over(&d, 0, 0, 500, 5, out);
	ck_assert_int_eq(out[4], BOARD_ST_RUNNING);
}
END_TEST

Suite *suite_shell(void);

Suite *
suite_shell(void)
{
	Suite *s = suite_create("shell");
	TCase *tc = tcase_create("state");
	tcase_add_test(tc, test_progress_format);
	tcase_add_test(tc, test_procfs_parse);
	tcase_add_test(tc, test_states_over);
	suite_add_tcase(s, tc);
	return s;
}
