// Tests of lesson 11 (racelab-overhead): the mechanics, and the lesson's
// headline claims where the effect is far larger than any noise.  Every
// worker's share adds up to the total work exactly, for any worker count;
// the memory and fork measurements run and give positive numbers for every
// size; fork gets slower as the parent grows while vfork and posix_spawn do
// not; starting and reaping many workers costs more than switching them.
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define PROG "bin/racelab-overhead"

static void
check_sweep(const char *mode)
{
	const char *argv[] = { PROG, "--part", "workers", "--json", "--mode", mode,
	                       "--work", "1000003", "--max-workers", "7", NULL };
	char obj[8192];
	long long counts[32], ncpu, cs[32];
	double ms[32], tp[32];
	bool ok;
	int n;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_bool(obj, "shares_ok", &ok));
	ck_assert(ok);
	ck_assert(tu_json_bool(obj, "sum_ok", &ok));
	ck_assert(ok);
	ck_assert(tu_json_int(obj, "ncpu", &ncpu));
	n = tu_json_array(obj, "worker_counts", counts, 32);
	ck_assert_int_ge(n, 4);
	ck_assert_int_eq(counts[0], 1);
	ck_assert_int_eq(counts[n - 1], 7);
	for (int k = 1; k < n; k++)
		ck_assert_int_gt(counts[k], counts[k - 1]);
	if (ncpu <= 7) {
		bool has = false;

		for (int k = 0; k < n; k++)
			has = has || counts[k] == ncpu;
		ck_assert_msg(has, "the core count %lld is not among the worker counts", ncpu);
	}
	ck_assert_int_eq(tu_json_num_array(obj, "ms", ms, 32), n);
	ck_assert_int_eq(tu_json_num_array(obj, "mterms_per_s", tp, 32), n);
	ck_assert_int_eq(tu_json_array(obj, "voluntary_cs", cs, 32), n);
	ck_assert_int_eq(tu_json_array(obj, "involuntary_cs", cs, 32), n);
	for (int k = 0; k < n; k++) {
		ck_assert(ms[k] > 0);
		ck_assert(tp[k] > 0);
	}
}

START_TEST(shares_add_up_processes)
{
	check_sweep("process");
}
END_TEST

START_TEST(shares_add_up_threads)
{
	check_sweep("thread");
}
END_TEST

START_TEST(many_workers_few_terms)
{
	/* More workers than terms: empty shares, still the exact total. */
	const char *argv[] = { PROG, "--part", "workers", "--json", "--mode",
	                       "thread", "--work", "100", "--max-workers", "300", NULL };
	char obj[8192];
	long long counts[32];
	bool ok;
	int n;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_bool(obj, "shares_ok", &ok));
	ck_assert(ok);
	ck_assert(tu_json_bool(obj, "sum_ok", &ok));
	ck_assert(ok);
	n = tu_json_array(obj, "worker_counts", counts, 32);
	ck_assert_int_eq(counts[n - 1], 300);
}
END_TEST

START_TEST(memory_positive)
{
	const char *argv[] = { PROG, "--part", "memory", "--json", "--idle", "4", NULL };
	char obj[8192];
	double rss, pss, priv, pte, trss, tvsz;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_num(obj, "process_rss_kib", &rss));
	ck_assert(tu_json_num(obj, "process_pss_kib", &pss));
	ck_assert(tu_json_num(obj, "process_private_kib", &priv));
	ck_assert(tu_json_num(obj, "process_pte_kib", &pte));
	ck_assert(tu_json_num(obj, "thread_rss_kib", &trss));
	ck_assert(tu_json_num(obj, "thread_vsz_kib", &tvsz));
	/* Each worker wrote 64 KiB of its own: at least that is private. */
	ck_assert_msg(priv >= 64, "private %g KiB", priv);
	ck_assert(pte > 0);
	ck_assert(pss > 0 && pss <= rss);
	ck_assert(priv <= rss);
	ck_assert(trss > 0);
	ck_assert(tvsz > 0);
}
END_TEST

/* A parent's buffer after fork: shared until written.  Untouched, each
 * child maps it all (Rss) but owns none of it (Private) and its Pss is
 * its share, about 1/(idle+1); written, each child owns a copy of every
 * page, and threads writing the same pages add nothing. */
START_TEST(memory_cow)
{
	const char *plain[] = { PROG, "--part", "memory", "--json", "--idle", "4",
	                        "--buffer", "16", NULL };
	const char *cow[] = { PROG, "--part", "memory", "--json", "--idle", "4",
	                      "--buffer", "16", "--cow", NULL };
	const double buf = 16 * 1024;
	char obj[8192];

	tu_run_json(plain, obj, sizeof obj);
	ck_assert_msg(tu_jnum(obj, "process_rss_kib") > buf, "rss %g",
	              tu_jnum(obj, "process_rss_kib"));
	ck_assert_msg(tu_jnum(obj, "process_private_kib") < 0.05 * buf,
	              "private %g", tu_jnum(obj, "process_private_kib"));
	ck_assert_msg(tu_jnum(obj, "process_pss_kib") < 0.3 * buf, "pss %g",
	              tu_jnum(obj, "process_pss_kib"));
	ck_assert_msg(tu_jnum(obj, "process_pss_kib") > 0.15 * buf, "pss %g",
	              tu_jnum(obj, "process_pss_kib"));

	tu_run_json(cow, obj, sizeof obj);
	ck_assert_msg(tu_jnum(obj, "process_private_kib") > buf, "private %g",
	              tu_jnum(obj, "process_private_kib"));
	ck_assert_msg(tu_jnum(obj, "process_pss_kib") > 0.9 * buf, "pss %g",
	              tu_jnum(obj, "process_pss_kib"));
	ck_assert_msg(tu_jnum(obj, "thread_rss_kib") < 0.05 * buf,
	              "thread rss %g", tu_jnum(obj, "thread_rss_kib"));
}
END_TEST

/* The switch part prices what it counts: the switching time is the
 * team's switches times the price of a switch between tasks of its
 * mode; the prices are a few microseconds; a hand-over to the other CPU
 * is still a switch on the waiting side; on one CPU (--cpus 1) there is
 * no cross-CPU hand-over to time. */
START_TEST(switch_priced)
{
	static const char *const modes[] = { "process", "thread" };

	for (int m = 0; m < 2; m++) {
		const char *argv[] = { PROG, "--part", "switch", "--max-workers", "4",
		                       "--work", "4000000", "--mode", modes[m], "--json",
		                       NULL };
		char obj[8192];
		double pu, tu, price, sw_ms, ms;
		long long n;

		tu_run_json(argv, obj, sizeof obj);
		pu = tu_jnum(obj, "process_switch_us");
		tu = tu_jnum(obj, "thread_switch_us");
		price = tu_jnum(obj, "switch_price_us");
		ck_assert_msg(pu > 0 && pu < 1000, "process switch %g us", pu);
		ck_assert_msg(tu > 0 && tu < 1000, "thread switch %g us", tu);
		ck_assert(price == (m ? tu : pu));
		n = tu_jint(obj, "team_switches");
		ck_assert_int_eq(n, tu_jint(obj, "team_voluntary_cs") +
		                    tu_jint(obj, "team_involuntary_cs"));
		ck_assert_int_gt(n, 0);
		sw_ms = tu_jnum(obj, "team_switching_ms");
		ck_assert_msg(sw_ms > 0.999 * (double)n * price / 1e3 &&
		              sw_ms < 1.001 * (double)n * price / 1e3,
		              "%lld x %g us != %g ms", n, price, sw_ms);
		ms = tu_jnum(obj, "team_ms");
		ck_assert_msg(sw_ms < ms, "switching %g ms of a %g ms run", sw_ms, ms);
		if (tu_jint(obj, "ncpu") >= 2) {
			ck_assert(tu_jnum(obj, "cross_cpu_us") > 0);
			/* Unpinned, the waiting side still leaves its CPU. */
			ck_assert_msg(tu_jnum(obj, "cross_cpu_switches_per_trip") > 0.9,
			              "%g switches per round trip",
			              tu_jnum(obj, "cross_cpu_switches_per_trip"));
		}
	}
	{
		const char *argv[] = { PROG, "--part", "switch", "--max-workers", "4",
		                       "--work", "4000000", "--cpus", "1", "--json",
		                       NULL };
		char obj[8192];

		tu_run_json(argv, obj, sizeof obj);
		ck_assert_int_eq(tu_jint(obj, "ncpu"), 1);
		ck_assert(tu_jnum(obj, "cross_cpu_us") < 0);
		ck_assert(tu_jnum(obj, "cross_cpu_switches_per_trip") < 0);
		ck_assert(tu_jnum(obj, "process_switch_us") > 0);
	}
}
END_TEST

START_TEST(fork_every_size)
{
	const char *argv[] = { PROG, "--part", "fork", "--json", "--max-mib", "100",
	                       "--reps", "2", NULL };
	static const char *const keys[] = {
		"fork_us", "fork_exec_us", "vfork_exec_us", "posix_spawn_us",
	};
	char obj[8192];
	long long mib[16];
	double us[16];
	int n;

	tu_run_json(argv, obj, sizeof obj);
	n = tu_json_array(obj, "parent_mib", mib, 16);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(mib[0], 0);
	ck_assert_int_eq(mib[1], 64);
	ck_assert_int_eq(mib[2], 100);
	for (int m = 0; m < 4; m++) {
		ck_assert_int_eq(tu_json_num_array(obj, keys[m], us, 16), n);
		for (int k = 0; k < n; k++)
			ck_assert_msg(us[k] > 0, "%s[%d] = %g", keys[m], k, us[k]);
	}
}
END_TEST

START_TEST(fork_no_growth)
{
	const char *argv[] = { PROG, "--part", "fork", "--json", "--max-mib", "0",
	                       "--reps", "1", NULL };
	char obj[8192];
	long long mib[16];

	tu_run_json(argv, obj, sizeof obj);
	ck_assert_int_eq(tu_json_array(obj, "parent_mib", mib, 16), 1);
	ck_assert_int_eq(mib[0], 0);
}
END_TEST

/* The lesson's claim: fork copies the page tables, so it slows down as
 * the parent grows; vfork+exec and posix_spawn borrow the parent's memory
 * and stay flat.  A 10-50x effect at 128 MiB; the fastest of 15 --reps
 * is what is compared, so a delayed start does not count (best of 5 once
 * gave 1.56x on a machine at load 20). */
START_TEST(fork_grows_spawn_flat)
{
	const char *argv[] = { PROG, "--part", "fork", "--json", "--max-mib", "128",
	                       "--reps", "15", NULL };
	char obj[8192];
	double fork_g, vfork_g, spawn_g;
	long long mib;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_int(obj, "max_parent_mib", &mib));
	if (mib < 64)
		return; /* too little free memory here to see it */
	ck_assert(tu_json_num(obj, "fork_growth", &fork_g));
	ck_assert(tu_json_num(obj, "vfork_exec_growth", &vfork_g));
	ck_assert(tu_json_num(obj, "posix_spawn_growth", &spawn_g));
	ck_assert_msg(fork_g > 4, "fork: %.2fx from 0 to %lld MiB", fork_g, mib);
	/* Flat next to fork, measured in the same run: a loaded machine slows
	 * every row, so a fixed bound on the others' growth would judge the
	 * load (a best-of-5 vfork+exec grew 5x on a machine at load 20). */
	ck_assert_msg(vfork_g * 3 < fork_g, "vfork+exec: %.2fx against fork's %.2fx",
	              vfork_g, fork_g);
	ck_assert_msg(spawn_g * 3 < fork_g, "posix_spawn: %.2fx against fork's %.2fx",
	              spawn_g, fork_g);
}
END_TEST

/* What the fall past the knee is made of: 128 processes take longer to
 * start and reap than 2 (many times), and their context switches, priced
 * by the ping-pong, are a small part of the start-and-reap time. */
START_TEST(start_reap_not_switching)
{
	const char *argv[] = { PROG, "--part", "workers", "--json", "--work",
	                       "10000000", "--max-workers", "128", NULL };
	char obj[16384];
	double sr_last, sr_ncpu, sw_ms, sw_us;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_num(obj, "start_reap_ms_last", &sr_last));
	ck_assert(tu_json_num(obj, "start_reap_ms_ncpu", &sr_ncpu));
	ck_assert(tu_json_num(obj, "switching_ms_last", &sw_ms));
	ck_assert(tu_json_num(obj, "switch_us", &sw_us));
	ck_assert_msg(sw_us > 0 && sw_us < 1000, "switch %.2f us", sw_us);
	/* 64 times the workers: well over twice the time, even when other
	 * programs inflate the small team's time with scheduling delays
	 * (idle, it is tens of times). */
	ck_assert_msg(sr_last > 2 * sr_ncpu, "start+reap %.2f ms for 128, %.2f ms "
	              "for the core count", sr_last, sr_ncpu);
	ck_assert_msg(sw_ms < sr_last, "switching %.2f ms, start+reap %.2f ms",
	              sw_ms, sr_last);
}
END_TEST

START_TEST(text_all_parts)
{
	const char *argv[] = { PROG, "--work", "100000", "--max-workers", "8",
	                       "--max-mib", "64", "--reps", "1", "--idle", "2", NULL };
	char *out = NULL;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Shares add up to the total: yes"));
	ck_assert_ptr_nonnull(strstr(out, "per process:"));
	ck_assert_ptr_nonnull(strstr(out, "posix_spawn"));
	ck_assert_ptr_nonnull(strstr(out, "  64 MiB"));
	free(out);
	ck_assert_int_eq(tu_count_procs("racelab-overhead"), 0);
}
END_TEST

START_TEST(json_per_run)
{
	const char *argv[] = { PROG, "--json", "--part", "memory", "--idle", "2",
	                       "--runs", "2", NULL };
	char *out = NULL;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 2);
	free(out);
}
END_TEST

START_TEST(bad_options)
{
	static const char *const bad[][2] = {
		{ "--max-workers", "0" },
		{ "--max-workers", "300" }, /* process workers are capped at 256 */
		{ "--part", "everything" },
		{ "--max-mib", "-1" },
		{ "--reps", "0" },
		{ "--work", "many" },
		{ "--buffer", "2000" },
		{ "--cpus", "-1" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = { PROG, bad[i][0], bad[i][1], NULL };

		tu_assert_usage_error(argv);
	}
}
END_TEST

Suite *
suite_overhead(void)
{
	Suite *s = suite_create("overhead");
	TCase *tc = tcase_create("overhead");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, shares_add_up_processes);
	tcase_add_test(tc, shares_add_up_threads);
	tcase_add_test(tc, many_workers_few_terms);
	tcase_add_test(tc, memory_positive);
	tcase_add_test(tc, memory_cow);
	tcase_add_test(tc, switch_priced);
	tcase_add_test(tc, fork_every_size);
	tcase_add_test(tc, fork_no_growth);
	tcase_add_test(tc, fork_grows_spawn_flat);
	tcase_add_test(tc, start_reap_not_switching);
	tcase_add_test(tc, text_all_parts);
	tcase_add_test(tc, json_per_run);
	tcase_add_test(tc, bad_options);
	suite_add_tcase(s, tc);
	return s;
}
