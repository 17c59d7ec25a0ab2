// racelab-watch (src/watch): --explore of the test programs in
// tests/watch, as executables (build/watch/NAME, the preload library's
// interposed calls) and as .c files (compiled with the __tsan_* hooks):
// every outcome found, only the right ones for the right programs, each
// reported schedule replayed 20 of 20 times, bad input, nothing left.
#include <check.h>
#include <sched.h>
#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char cache[64];

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* One compile cache for the suite (the .c programs are built once). */
static void
cache_setup(void)
{
	snprintf(cache, sizeof cache, "/tmp/check-watch-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(cache));
	setenv("XDG_CACHE_HOME", cache, 1);
}

static void
cache_teardown(void)
{
	nftw(cache, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("XDG_CACHE_HOME");
}

/* racelab-watch --explore --json ARGS (space-separated): the report. */
static json_t *
explore(const char *args)
{
	const char *argv[24] = { "bin/racelab-watch", "--explore", "--json" };
	char buf[256], *out = NULL, *err = NULL;
	json_error_t e;
	json_t *r;
	int n = 3, rc;

	snprintf(buf, sizeof buf, "%s", args);
	for (char *t = strtok(buf, " "); t && n < 23; t = strtok(NULL, " "))
		argv[n++] = t;
	rc = tu_run(argv, &out, &err);
	ck_assert_msg(rc == 0, "%s: exit %d: %s", args, rc, err);
	r = json_loads(out, 0, &e);
	ck_assert_msg(r != NULL, "not JSON: %s", out);
	free(out);
	free(err);
	return r;
}

static json_t *
outcomes(json_t *r)
{
	return json_object_get(r, "outcomes");
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool
jtrue(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

/* The outcome whose stdout is out (a normal end), or NULL. */
static json_t *
by_stdout(json_t *r, const char *out)
{
	size_t i;
	json_t *o;

	json_array_foreach(outcomes(r), i, o)
		if (jstr(o, "stdout") && strcmp(jstr(o, "stdout"), out) == 0 &&
		    json_integer_value(json_object_get(o, "status")) == 0 &&
		    json_is_integer(json_object_get(o, "status")))
			return o;
	return NULL;
}

static json_t *
by_flag(json_t *r, const char *flag)
{
	size_t i;
	json_t *o;

	json_array_foreach(outcomes(r), i, o)
		if (jtrue(o, flag))
			return o;
	return NULL;
}

static json_t *
by_signal(json_t *r, const char *sig)
{
	size_t i;
	json_t *o;

	json_array_foreach(outcomes(r), i, o)
		if (jstr(o, "signal") && strcmp(jstr(o, "signal"), sig) == 0)
			return o;
	return NULL;
}

/* --schedule S on prog, 20 times: the same record each time (stdout,
 * deadlock, signal). */
static void
reproduces(const char *prog, json_t *o)
{
	const char *sched = jstr(o, "schedule");

	ck_assert_ptr_nonnull(sched);
	for (int k = 0; k < 20; k++) {
		const char *argv[] = { "bin/racelab-watch", "--json", "--schedule", sched,
		                       prog, NULL };
		char *out = NULL;
		json_error_t e;
		json_t *rec;
		int rc = tu_run(argv, &out, NULL);

		ck_assert_int_eq(rc, 0);
		rec = json_loads(out, 0, &e);
		ck_assert_msg(rec != NULL, "not JSON: %s", out);
		ck_assert_msg(strcmp(jstr(rec, "stdout"), jstr(o, "stdout")) == 0 &&
		              jtrue(rec, "deadlock") == jtrue(o, "deadlock") &&
		              json_equal(json_object_get(rec, "signal"),
		                         json_object_get(o, "signal")),
		              "%s --schedule %s, replay %d: %s", prog, sched, k + 1, out);
		json_decref(rec);
		free(out);
	}
}

/* Both forms of a program: its executable and its source. */
static const char *const forms[] = { "build/watch/", "tests/watch/" };

static void
prog_path(char *buf, size_t n, int form, const char *name)
{
	snprintf(buf, n, "%s%s%s", forms[form], name, form ? ".c" : "");
}

START_TEST(test_counter_lost_update)
{
	char p[128], a[160];
	json_t *r, *lost;

	prog_path(p, sizeof p, _i, "counter");
	r = explore(p);
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(outcomes(r)), 2);
	ck_assert_ptr_nonnull(by_stdout(r, "counter = 2\n"));
	lost = by_stdout(r, "counter = 1\n");
	ck_assert_msg(lost != NULL, "%s: no lost update found", p);
	reproduces(p, lost);
	json_decref(r);
	/* Under the mutex: one outcome, in every interleaving. */
	prog_path(p, sizeof p, _i, "counter_mutex");
	r = explore(p);
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	ck_assert_ptr_nonnull(by_stdout(r, "counter = 2\n"));
	json_decref(r);
	snprintf(a, sizeof a, "--preemptions 0 %s", p);
	r = explore(a);
	ck_assert(!jtrue(r, "complete"));
	json_decref(r);
}
END_TEST

/* counter = counter + 1 with nothing between: only the .c form has
 * scheduling points inside it (its memory accesses). */
START_TEST(test_counter_plain)
{
	json_t *r = explore("build/watch/counter_plain");

	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	ck_assert_ptr_nonnull(by_stdout(r, "counter = 2\n"));
	json_decref(r);
	r = explore("tests/watch/counter_plain.c");
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(outcomes(r)), 2);
	ck_assert_ptr_nonnull(by_stdout(r, "counter = 2\n"));
	ck_assert_msg(by_stdout(r, "counter = 1\n") != NULL, "no lost update in the .c form");
	reproduces("tests/watch/counter_plain.c", by_stdout(r, "counter = 1\n"));
	json_decref(r);
}
END_TEST

START_TEST(test_forks_deadlock)
{
	char p[128], a[160];
	json_t *r, *d;

	prog_path(p, sizeof p, _i, "forks");
	/* The executable's full search is about 8,000 runs (its thread
	 * starts are steps); one preemption finds the deadlock. */
	snprintf(a, sizeof a, "%s%s", _i ? "" : "--preemptions 1 ", p);
	r = explore(a);
	ck_assert(jtrue(r, "complete") == (_i == 1));
	ck_assert_int_eq(json_array_size(outcomes(r)), 2);
	ck_assert_ptr_nonnull(by_stdout(r, "meals = 2\n"));
	d = by_flag(r, "deadlock");
	ck_assert_msg(d != NULL, "%s: no deadlock found", p);
	ck_assert(json_is_null(json_object_get(d, "status")));
	reproduces(p, d);
	{
		/* Its description names the program's own globals and functions. */
		const char *argv[] = { "bin/racelab-watch", "--schedule", jstr(d, "schedule"), p,
		                       NULL };
		char *err = NULL;

		ck_assert_int_eq(tu_run(argv, NULL, &err), 3);
		ck_assert_msg(strstr(err, "deadlock: worker 2 (alice) holds left_fork and waits for right_fork, held by worker 3 (bob)"),
		              "%s", err);
		free(err);
	}
	{
		/* With --json too: the record's "why" and the line on stderr. */
		const char *argv[] = { "bin/racelab-watch", "--json", "--schedule",
		                       jstr(d, "schedule"), p, NULL };
		char *out = NULL, *err = NULL;

		ck_assert_int_eq(tu_run(argv, &out, &err), 0);
		ck_assert_msg(strstr(out, "\"why\":\"deadlock: worker 2 (alice)"), "%s", out);
		ck_assert_msg(strstr(err, "racelab-watch: deadlock: worker 2 (alice) holds left_fork"),
		              "stderr: %s", err);
		free(out);
		free(err);
	}
	json_decref(r);
}
END_TEST

/* A new thread's (or child's) first stretch races with its creator's
 * next one: "write T" in the thread and "write M" in main right after
 * pthread_create print in either order natively, so both are found, as
 * executables (a point after the creation) and as .c files; the same
 * for a fork. */
START_TEST(test_create_order)
{
	static const char *const progs[][3] = { { "order", "M\nT\n", "T\nM\n" },
	                                        { "order_fork", "P\nC\n", "C\nP\n" } };
	char p[128];

	for (size_t k = 0; k < 2; k++) {
		json_t *r, *o;

		prog_path(p, sizeof p, _i, progs[k][0]);
		r = explore(p);
		ck_assert(jtrue(r, "complete"));
		ck_assert_int_eq(json_array_size(outcomes(r)), 2);
		ck_assert_msg(by_stdout(r, progs[k][1]) != NULL, "%s: no %s", p, progs[k][1]);
		o = by_stdout(r, progs[k][2]);
		ck_assert_msg(o != NULL, "%s: the new worker never wrote first", p);
		reproduces(p, o);
		json_decref(r);
	}
}
END_TEST

/* A signal before the wait: some interleavings end everyone asleep,
 * said so (not a deadlock: no cycle of lock waits). */
START_TEST(test_lost_wakeup)
{
	char p[128];
	json_t *r, *o;

	prog_path(p, sizeof p, _i, "lost_wakeup");
	r = explore(p);
	ck_assert(jtrue(r, "complete"));
	ck_assert_ptr_nonnull(by_stdout(r, "woken\n"));
	o = by_flag(r, "asleep");
	ck_assert_msg(o != NULL, "%s: the lost wake-up was not found", p);
	ck_assert(!jtrue(o, "deadlock"));
	ck_assert_ptr_null(by_flag(r, "deadlock"));
	reproduces(p, o);
	{
		const char *argv[] = { "bin/racelab-watch", "--schedule", jstr(o, "schedule"), p,
		                       NULL };
		char *err = NULL;

		ck_assert_int_eq(tu_run(argv, NULL, &err), 3);
		ck_assert_msg(strstr(err, "everyone asleep: ") &&
		              strstr(err, "(waiter) waits on condvar ready"), "%s", err);
		free(err);
	}
	json_decref(r);
}
END_TEST

/* A thread returns holding a mutex, another locks it: everyone asleep,
 * and the sentence names the holder that ended. */
START_TEST(test_ended_holder)
{
	char p[128];
	json_t *r, *o;

	prog_path(p, sizeof p, _i, "ended_holder");
	r = explore(p);
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	o = by_flag(r, "asleep");
	ck_assert_ptr_nonnull(o);
	{
		const char *argv[] = { "bin/racelab-watch", "--schedule", jstr(o, "schedule"), p,
		                       NULL };
		char *err = NULL;

		ck_assert_int_eq(tu_run(argv, NULL, &err), 3);
		ck_assert_msg(strstr(err, "worker 3 (bob) waits at lock right_fork (ended_holder.c:23), "
		                          "held by worker 2 (alice), which ended holding it\n"),
		              "%s", err);
		free(err);
	}
	json_decref(r);
}
END_TEST

/* A child SIGKILLed while it holds the baton and a robust mutex shared
 * with its parent: the model ends it as the kernel does (its parent's
 * wait reaps it, the lock comes with EOWNERDEAD), so every run ends,
 * none at the time limit. */
START_TEST(test_killed_child)
{
	char p[128];
	json_t *r, *o;

	prog_path(p, sizeof p, _i, "doomed_child");
	r = explore(p);
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	o = by_stdout(r, "child killed, lock: owner died\n");
	ck_assert_msg(o != NULL, "%s: %s", p, json_dumps(r, 0));
	reproduces(p, o);
	json_decref(r);
}
END_TEST

/* `if` where `while` belongs: a consumer finds the slot empty and its
 * assertion fails (found within one preemption); with `while`, never. */
START_TEST(test_prodcons)
{
	char p[128], a[160];
	json_t *r, *o;
	size_t i;

	prog_path(p, sizeof p, _i, "prodcons_if");
	snprintf(a, sizeof a, "--preemptions 1 %s", p);
	r = explore(a);
	ck_assert_ptr_nonnull(by_stdout(r, "sum = 3\n"));
	o = by_signal(r, "SIGABRT");
	ck_assert_msg(o != NULL, "%s: the failed assertion was not found", p);
	reproduces(p, o);
	json_decref(r);
	prog_path(p, sizeof p, _i, "prodcons_while");
	snprintf(a, sizeof a, "--preemptions 1 %s", p);
	r = explore(a);
	ck_assert_int_ge(json_integer_value(json_object_get(r, "explored")), 10);
	json_array_foreach(outcomes(r), i, o)
		ck_assert_msg(by_stdout(r, "sum = 3\n") == o, "%s: a wrong outcome %s", p,
		              jstr(o, "stdout"));
	json_decref(r);
}
END_TEST

/* The set of outcomes (stdout, signal, end) of a report, as one string. */
static void
outcome_set(json_t *r, char *buf, size_t n)
{
	char *items[64];
	size_t i, k = 0, len = 0;
	json_t *o;

	json_array_foreach(outcomes(r), i, o) {
		char *t = json_dumps(o, JSON_SORT_KEYS);
		json_t *c = json_deep_copy(o);

		free(t);
		json_object_del(c, "count");
		json_object_del(c, "schedule");
		if (k < 64)
			items[k++] = json_dumps(c, JSON_SORT_KEYS);
		json_decref(c);
	}
	for (size_t a = 0; a < k; a++) /* sorted: the order of discovery differs */
		for (size_t b = a + 1; b < k; b++)
			if (strcmp(items[a], items[b]) > 0) {
				char *t = items[a];

				items[a] = items[b];
				items[b] = t;
			}
	buf[0] = '\0';
	for (size_t a = 0; a < k; a++) {
		len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s;", items[a]);
		free(items[a]);
	}
}

/* Sleep sets (.c programs, no --preemptions): far fewer runs, the same
 * outcomes as the search without them, both complete. */
START_TEST(test_sleep_sets)
{
	static const char *const progs[] = { "counter.c", "forks.c", "counter_mutex.c" };

	for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
		char p[128], a[160], with[4096], without[4096];
		json_t *r;
		long long n_with, n_without;

		snprintf(p, sizeof p, "tests/watch/%s", progs[i]);
		snprintf(a, sizeof a, "%s", p);
		r = explore(a);
		ck_assert_int_gt(json_integer_value(json_object_get(r, "pruned")), 0);
		n_with = json_integer_value(json_object_get(r, "explored"));
		outcome_set(r, with, sizeof with);
		json_decref(r);
		setenv("RACELAB_WATCH_NO_POR", "1", 1);
		r = explore(a);
		unsetenv("RACELAB_WATCH_NO_POR");
		ck_assert_int_eq(json_integer_value(json_object_get(r, "pruned")), 0);
		n_without = json_integer_value(json_object_get(r, "explored"));
		outcome_set(r, without, sizeof without);
		json_decref(r);
		ck_assert_msg(strcmp(with, without) == 0, "%s: sleep sets %s, without %s", p,
		              with, without);
		ck_assert_msg(n_with * 4 < n_without, "%s: %lld runs with sleep sets, %lld without",
		              p, n_with, n_without);
	}
	/* Complete where the search without them is cut by --max-runs. */
	{
		json_t *r = explore("tests/watch/prodcons_if.c");

		ck_assert(json_is_true(json_object_get(r, "complete")));
		ck_assert_ptr_nonnull(by_signal(r, "SIGABRT"));
		json_decref(r);
	}
}
END_TEST

/* A forked child writes its own copy of a global; the bound stops a
 * spinner. */
START_TEST(test_fork_and_spin)
{
	char p[128], a[160];
	json_t *r, *o;

	prog_path(p, sizeof p, _i, "fork_child");
	r = explore(p);
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	ck_assert_ptr_nonnull(by_stdout(r, "child: value = 42\nparent: value = 0, child exit 0\n"));
	json_decref(r);
	/* A spinner that yields until main sets its flag: the yield hands
	 * the turn on (fairness), so every run ends. */
	prog_path(p, sizeof p, _i, "spin");
	snprintf(a, sizeof a, "--preemptions 1 --max-steps 40 %s", p);
	r = explore(a);
	ck_assert_ptr_nonnull(by_stdout(r, "done\n"));
	ck_assert_msg(by_flag(r, "bound") == NULL, "%s: a fair schedule was cut", p);
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	json_decref(r);
	/* One that nobody ends: every run is cut. */
	prog_path(p, sizeof p, _i, "spin_forever");
	snprintf(a, sizeof a, "--max-steps 40 %s", p);
	r = explore(a);
	o = by_flag(r, "bound");
	ck_assert_msg(o != NULL, "%s: the spinning run was not cut", p);
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	ck_assert(!jtrue(r, "complete"));
	json_decref(r);
	/* Trylock and back off: fair schedules run the holder; every run
	 * ends, and the exploration is complete. */
	prog_path(p, sizeof p, _i, "trylock_spin");
	snprintf(a, sizeof a, "--preemptions 1 --max-steps 200 %s", p);
	r = explore(a);
	ck_assert_msg(by_flag(r, "bound") == NULL, "%s: a run was cut by the step bound", p);
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	ck_assert_ptr_nonnull(by_stdout(r, "counter = 2\n"));
	json_decref(r);
	r = explore(p);
	ck_assert_msg(jtrue(r, "complete"), "%s: not complete", p);
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	json_decref(r);
}
END_TEST

/* pthread_once: the second caller waits for init in the model (in the
 * real futex it hung the run until the timeout); and a second join. */
START_TEST(test_once)
{
	char p[128];
	json_t *r;

	prog_path(p, sizeof p, _i, "once");
	r = explore(p);
	ck_assert_msg(jtrue(r, "complete"), "%s: not complete", p);
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	ck_assert_ptr_nonnull(by_stdout(r, "inits = 1\n"));
	json_decref(r);
	/* A second join of one thread: EINVAL in the model (the real call
	 * on a joined thread's freed descriptor said 0, or could wait). */
	prog_path(p, sizeof p, _i, "join_twice");
	r = explore(p);
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	ck_assert_ptr_nonnull(by_stdout(r, "einval = 1\n"));
	json_decref(r);
}
END_TEST

/* C: init of a held mutex ends every run as a misuse (the real object
 * let it pass: counter = 2).  D: a barrier initialised in a constructor,
 * before the library took charge, still makes the threads wait for each
 * other (its count read from the real object): "saw 1 1" alone. */
START_TEST(test_init_and_ctor)
{
	char p[128];
	json_t *r, *o;
	size_t i;

	prog_path(p, sizeof p, _i, "reinit");
	r = explore(p);
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_gt(json_array_size(outcomes(r)), 0);
	json_array_foreach(outcomes(r), i, o)
		ck_assert_msg(jstr(o, "end") && strcmp(jstr(o, "end"), "misuse") == 0,
		              "%s: a run ended as %s", p, jstr(o, "end"));
	json_decref(r);
	prog_path(p, sizeof p, _i, "barrier_ctor");
	r = explore(p);
	ck_assert(jtrue(r, "complete"));
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	ck_assert_ptr_nonnull(by_stdout(r, "saw 1 1\n"));
	json_decref(r);
}
END_TEST

/* E: a run that prints for ever is stopped past 1 MiB (before: the 10 s
 * timeout, after gigabytes), its first MiB kept, its end "output". */
START_TEST(test_output_cap)
{
	char p[128];
	json_t *r, *o;

	prog_path(p, sizeof p, _i, "flood");
	r = explore(p);
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	o = json_array_get(outcomes(r), 0);
	ck_assert_msg(jstr(o, "end") && strcmp(jstr(o, "end"), "output") == 0,
	              "%s: ended as %s", p, jstr(o, "end"));
	ck_assert_int_eq(strlen(jstr(o, "stdout")), 1 << 20);
	ck_assert(strncmp(jstr(o, "stdout"), "line 0: ", 8) == 0);
	json_decref(r);
}
END_TEST

/* A run of thousands of steps (tests/watch/long.c as .c: two threads x
 * 1000 locked increments, every access a point): its --json record is
 * JSON, its schedule has one worker per step, and it replays. */
static json_t *
one_run(const char *const argv[])
{
	char *out = NULL, *err = NULL;
	json_error_t e;
	json_t *rec;
	int rc = tu_run(argv, &out, &err);

	ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
	rec = json_loads(out, 0, &e);
	ck_assert_msg(rec != NULL, "not JSON (%s at %d): %.200s...", e.text, e.position, out);
	free(out);
	free(err);
	return rec;
}

START_TEST(test_long_schedule)
{
	const char *argv[] = { "bin/racelab-watch", "--json", "--quantum", "1",
	                       "tests/watch/long.c", NULL };
	json_t *rec = one_run(argv), *again;
	const char *sched = jstr(rec, "schedule");
	long long steps = json_integer_value(json_object_get(rec, "steps"));
	long long n = 1;

	ck_assert_ptr_nonnull(sched);
	ck_assert_msg(steps >= 4000, "only %lld steps", steps);
	for (const char *c = sched; *c; c++)
		n += *c == ',';
	ck_assert_int_eq(n, steps);
	ck_assert_str_eq(jstr(rec, "stdout"), "counter = 2000\n");
	{
		const char *replay[] = { "bin/racelab-watch", "--json", "--schedule", sched,
		                         "tests/watch/long.c", NULL };

		again = one_run(replay);
	}
	ck_assert_str_eq(jstr(again, "schedule"), sched);
	ck_assert_str_eq(jstr(again, "stdout"), "counter = 2000\n");
	json_decref(again);
	json_decref(rec);
}
END_TEST

/* A scheduled run is pinned to one CPU (the raw sched_getaffinity sees
 * one) and told the CPUs it was given (sched_getaffinity and
 * pthread_getaffinity_np: as many as this process has); its
 * sched_setaffinity succeeds inside them, fails outside, and is not
 * applied (the thread is still told them all).  A free run is not
 * pinned: its sched_setaffinity is real (the thread it then creates
 * inherits the one CPU). */
START_TEST(test_affinity)
{
	char prog[64], want[128];
	cpu_set_t mine;
	int n;
	json_t *rec, *r;

	CPU_ZERO(&mine);
	ck_assert_int_eq(sched_getaffinity(0, sizeof mine, &mine), 0);
	n = CPU_COUNT(&mine);
	prog_path(prog, sizeof prog, _i, "affinity");
	snprintf(want, sizeof want, "told %d raw 1 thread %d set-in 0 set-out -1\n", n, n);
	{
		const char *argv[] = { "bin/racelab-watch", "--json", "--quantum", "1", prog, NULL };

		rec = one_run(argv);
		ck_assert_str_eq(jstr(rec, "stdout"), want);
		json_decref(rec);
	}
	r = explore(prog);
	ck_assert_int_eq(json_array_size(outcomes(r)), 1);
	ck_assert_ptr_nonnull(by_stdout(r, want));
	json_decref(r);
	snprintf(want, sizeof want, "told %d raw %d thread 1 set-in 0 set-out -1\n", n, n);
	{
		const char *argv[] = { "bin/racelab-watch", "--json", prog, NULL };

		rec = one_run(argv);
		ck_assert_str_eq(jstr(rec, "stdout"), want);
		json_decref(rec);
	}
}
END_TEST

/* The compile cache keeps one build of a set of sources: an edit
 * replaces it (the cache does not grow with every save). */
static int
cache_entries(void)
{
	char dir[128];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(dir, sizeof dir, "%s/racelab", cache);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strncmp(e->d_name, "watch-", 6) == 0;
	closedir(d);
	return n;
}

START_TEST(test_cache_replaced)
{
	char src[128];
	const char *argv[] = { "bin/racelab-watch", "--quiet", src, NULL };
	FILE *f;
	int before;

	snprintf(src, sizeof src, "%s/edited.c", cache);
	for (int edit = 0; edit < 3; edit++) {
		char *out = NULL;
		FILE *in = fopen("tests/watch/counter_mutex.c", "r");
		char buf[4096];
		size_t k;

		f = fopen(src, "w");
		ck_assert(in && f);
		while ((k = fread(buf, 1, sizeof buf, in)) > 0)
			fwrite(buf, 1, k, f);
		fprintf(f, "/* edit %d */\n", edit);
		fclose(in);
		fclose(f);
		ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
		ck_assert_str_eq(out, "counter = 2\n");
		free(out);
		if (edit == 0)
			before = cache_entries();
	}
	ck_assert_int_eq(cache_entries(), before);
	unlink(src);
}
END_TEST

START_TEST(test_bad_input)
{
	char bad[128], *out = NULL, *err = NULL;
	FILE *f;

	{
		const char *argv[] = { "bin/racelab-watch", NULL };

		tu_assert_usage_error(argv);
	}
	tu_assert_usage_errorv("bin/racelab-watch", "build/watch/no-such-program", NULL);
	tu_assert_usage_errorv("bin/racelab-watch", "README.md", NULL);
	tu_assert_usage_errorv("bin/racelab-watch", "tests/watch/no-such.c", NULL);
	tu_assert_usage_errorv("bin/racelab-watch", "--schedule", "1,x", "build/watch/counter",
	                       NULL);
	tu_assert_usage_errorv("bin/racelab-watch", "--explore", "--schedule", "1,2",
	                       "build/watch/counter", NULL);
	tu_assert_usage_errorv("bin/racelab-watch", "--bogus", "build/watch/counter", NULL);
	/* The lessons' options that mean nothing here: refused, not ignored. */
	tu_assert_usage_errorv("bin/racelab-watch", "--workers", "3", "build/watch/counter", NULL);
	tu_assert_usage_errorv("bin/racelab-watch", "--trace-out=x", "build/watch/counter", NULL);
	/* A compile error: cc's own words, then one line of ours. */
	snprintf(bad, sizeof bad, "%s/broken.c", cache);
	f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("int main(void) { return x; }\n", f);
	fclose(f);
	{
		const char *argv[] = { "bin/racelab-watch", bad, NULL };
		char last[256];
		const char *nl;

		ck_assert_int_eq(tu_run(argv, &out, &err), 2);
		ck_assert_str_eq(out, "");
		ck_assert_msg(strstr(err, "broken.c:1"), "no diagnostic: %s", err);
		nl = err + strlen(err) - 1;
		while (nl > err && nl[-1] != '\n')
			nl--;
		snprintf(last, sizeof last, "racelab-watch: %s does not compile\n", bad);
		ck_assert_str_eq(nl, last);
	}
	free(out);
	free(err);
	{
		/* A static program: no loader to preload the library into. */
		char exe[160], cmd[400];

		snprintf(exe, sizeof exe, "%s/static", cache);
		snprintf(cmd, sizeof cmd, "cc -static -o %s %s 2>/dev/null", exe, bad);
		f = fopen(bad, "w");
		ck_assert_ptr_nonnull(f);
		fputs("int main(void) { return 0; }\n", f);
		fclose(f);
		if (system(cmd) == 0) /* needs libc.a (libc6-dev has it) */
			tu_assert_usage_errorv("bin/racelab-watch", exe, NULL);
	}
	ck_assert_int_eq(tu_count_procs("build/watch/"), 0);
	ck_assert_int_eq(tu_count_procs("racelab/watch-"), 0);
}
END_TEST

/* Polls count_procs(needle) until it is at least (or, !atleast, at most)
 * n, for up to ms; the last count. */
static int
wait_procs(const char *needle, int n, bool atleast, int ms)
{
	int c = tu_count_procs(needle);

	for (int t = 0; t < ms && (atleast ? c < n : c > n); t += 20) {
		usleep(20000);
		c = tu_count_procs(needle);
	}
	return c;
}

/* Caps: a fork bomb stops (the cap of processes, the run's time limit),
 * free or scheduled; a program that never ends and racelab-watch killed
 * with SIGKILL leave nothing behind. */
START_TEST(test_caps_and_cleanup)
{
	const char *bomb[] = { "bin/racelab-watch", "build/watch/forkbomb", NULL };
	const char *bomb_q[] = { "bin/racelab-watch", "--quantum", "1", "build/watch/forkbomb",
	                         NULL };
	char *err = NULL;
	pid_t pid;

	setenv("RACELAB_WATCH_TIMEOUT", "1", 1);
	ck_assert_int_eq(tu_run(bomb, NULL, &err), 3);
	ck_assert_msg(strstr(err, "stopped after 1.0 s"), "%s", err);
	free(err);
	ck_assert_int_eq(tu_run(bomb_q, NULL, &err), 3);
	ck_assert_msg(strstr(err, "64 processes: stopped"), "%s", err);
	free(err);
	ck_assert_int_eq(tu_count_procs("build/watch/forkbomb"), 0);
	{
		/* --explore says the limit it had, not the default's. */
		const char *argv[] = { "bin/racelab-watch", "--explore", "--max-runs", "1",
		                       "build/watch/forever", NULL };
		char *out = NULL;

		ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
		ck_assert_msg(strstr(out, "  stopped after 1 s {"), "%s", out);
		free(out);
	}
	unsetenv("RACELAB_WATCH_TIMEOUT");
	for (int sched = 0; sched < 2; sched++) {
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			if (sched)
				execl("bin/racelab-watch", "bin/racelab-watch", "--quantum", "1",
				      "build/watch/forever", (char *)NULL);
			else
				execl("bin/racelab-watch", "bin/racelab-watch", "build/watch/forever",
				      (char *)NULL);
			_exit(127);
		}
		/* racelab-watch, the program and its child (whose thread is
		 * no process of its own). */
		ck_assert_int_eq(wait_procs("build/watch/forever", 3, true, 5000), 3);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ck_assert_int_eq(wait_procs("build/watch/forever", 0, false, 3000), 0);
	}
	{
		/* A child forked by a thread that is not main has no parent-
		 * death signal: killed with racelab-watch's end, waiting for
		 * its turn, it sees racelab-watch gone and ends itself (exit
		 * 137), within the man page's second.  This process is a
		 * subreaper, so the orphans come here to be reaped. */
		struct timespec t0, t1;
		int st, seen137 = 0, reaped = 0;
		long ms = 0;

		prctl(PR_SET_CHILD_SUBREAPER, 1);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			execl("bin/racelab-watch", "bin/racelab-watch", "--schedule", "1",
			      "build/watch/thread_fork", (char *)NULL);
			_exit(127);
		}
		/* racelab-watch, the program's process and the child its
		 * thread forked. */
		ck_assert_int_eq(wait_procs("build/watch/thread_fork", 3, true, 5000), 3);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		while (reaped < 2 && ms < 5000) {
			pid_t c = waitpid(-1, &st, WNOHANG);

			clock_gettime(CLOCK_MONOTONIC, &t1);
			ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (c <= 0) { /* none yet (an orphan on its way here: ECHILD) */
				usleep(5000);
				continue;
			}
			reaped++;
			seen137 += WIFEXITED(st) && WEXITSTATUS(st) == 137;
		}
		ck_assert_int_eq(reaped, 2);
		ck_assert_msg(seen137 == 1, "the orphan did not end itself");
		ck_assert_msg(ms < 1000, "the program ended %ld ms after racelab-watch", ms);
	}
}
END_TEST

Suite *
suite_watch(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("watch");

	tcase_add_unchecked_fixture(tc, cache_setup, cache_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_counter_lost_update, 0, 2);
	tcase_add_test(tc, test_counter_plain);
	tcase_add_loop_test(tc, test_forks_deadlock, 0, 2);
	tcase_add_loop_test(tc, test_create_order, 0, 2);
	tcase_add_loop_test(tc, test_ended_holder, 0, 2);
	tcase_add_loop_test(tc, test_killed_child, 0, 2);
	tcase_add_loop_test(tc, test_prodcons, 0, 2);
	tcase_add_loop_test(tc, test_lost_wakeup, 0, 2);
	tcase_add_loop_test(tc, test_fork_and_spin, 0, 2);
	tcase_add_test(tc, test_sleep_sets);
	tcase_add_loop_test(tc, test_once, 0, 2);
	tcase_add_loop_test(tc, test_init_and_ctor, 0, 2);
	tcase_add_loop_test(tc, test_output_cap, 0, 2);
	tcase_add_test(tc, test_long_schedule);
	tcase_add_loop_test(tc, test_affinity, 0, 2);
	tcase_add_test(tc, test_cache_replaced);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_caps_and_cleanup);
	suite_add_tcase(s, tc);
	return s;
}
