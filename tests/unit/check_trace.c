// Traces (--trace-out): the file follows the Trace Event Format's rules,
// has a track per worker with the run's real PIDs and TIDs, and its reads
// and writes, replayed in order, end at the run's final balance.
#include <check.h>
#include <dirent.h>
#include <sys/stat.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Traces the tests open are kept here when RACELAB_KEEP_TRACES names a
 * directory (for a person to open in Perfetto); else in the test's TMPDIR. */
static char dir[4096];

static void
setup(void)
{
	const char *keep = getenv("RACELAB_KEEP_TRACES");

	snprintf(dir, sizeof dir, "%s", keep && *keep ? keep : tu_tmpdir_setup("trace"));
}

static void
teardown(void)
{
	const char *keep = getenv("RACELAB_KEEP_TRACES");

	if (!(keep && *keep))
		tu_tmpdir_teardown(false);
}

/* Run the race with args, --json and --trace-out name; the one record in
 * obj, the parsed trace returned. */
static json_t *
race_traced(const char *args, const char *name, char *obj, size_t len)
{
	const char *argv[32] = { "bin/racelab-race", "--json", "--runs", "1", "--trace-out" };
	char buf[256], path[4200], *out;
	json_error_t je;
	json_t *root;
	int n = 6;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	argv[5] = path;
	snprintf(buf, sizeof buf, "%s", args);
	for (char *t = strtok(buf, " "); t && n < 31; t = strtok(NULL, " "))
		argv[n++] = t;
	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert(tu_json_line(out, 0, obj, len));
	free(out);
	root = json_load_file(path, 0, &je);
	ck_assert_msg(root, "%s: %s", path, je.text);
	return root;
}

/* ---- the format's rules ------------------------------------------------ */

struct track {
	char key[96];
	double last;
	int depth;
	char open[64][64]; /* the names of the open B slices */
};

static struct track *
track(struct track *t, int *n, const char *key)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(t[i].key, key) == 0)
			return &t[i];
	ck_assert_int_lt(*n, 512);
	memset(&t[*n], 0, sizeof t[*n]);
	snprintf(t[*n].key, sizeof t[*n].key, "%s", key);
	t[*n].last = -1e300;
	return &t[(*n)++];
}

/* Every event has the fields its ph needs; ts never goes back on a track
 * (a thread's pid+tid, a counter's pid+name); B/E nest and balance; every
 * flow id has one start and one end, on two threads, start first.
 * Returns the number of flows. */
static int
check_format(json_t *root)
{
	static struct track tracks[512];
	json_t *evs = json_object_get(root, "traceEvents"), *e;
	struct { long long id; int s, f; double ts_s, ts_f; long long tid_s, tid_f; } flows[4096];
	int ntr = 0, nfl = 0;
	size_t i;

	ck_assert(json_is_array(evs));
	ck_assert_int_gt(json_array_size(evs), 0);
	json_array_foreach(evs, i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *ts = json_object_get(e, "ts"), *pid = json_object_get(e, "pid");
		json_t *tid = json_object_get(e, "tid"), *args = json_object_get(e, "args");
		json_t *cat = json_object_get(e, "cat");
		char key[96];
		struct track *t;

		ck_assert_msg(ph && strlen(ph) == 1 && strchr("BEiXCMsf", ph[0]),
		              "event %zu: ph %s", i, ph ? ph : "missing");
		ck_assert_msg(name, "event %zu: no name", i);
		ck_assert_msg(json_is_integer(pid), "event %zu: no pid", i);
		ck_assert_msg(!cat || json_is_string(cat), "event %zu: cat not a string", i);
		ck_assert_msg(!args || json_is_object(args), "event %zu: args not an object", i);
		if (ph[0] == 'M') {
			ck_assert_msg(strcmp(name, "process_name") == 0 ||
			              strcmp(name, "thread_name") == 0 ||
			              strcmp(name, "thread_sort_index") == 0, "event %zu: M %s", i, name);
			ck_assert(json_is_integer(tid));
			if (strstr(name, "_name"))
				ck_assert(json_is_string(json_object_get(args, "name")));
			continue;
		}
		ck_assert_msg(json_is_number(ts), "event %zu (%s): no ts", i, ph);
		if (ph[0] == 'C') {
			const char *k;
			json_t *v;

			ck_assert_msg(json_is_object(args) && json_object_size(args) > 0,
			              "event %zu: a counter without values", i);
			json_object_foreach(args, k, v)
				ck_assert(json_is_number(v));
			snprintf(key, sizeof key, "C %lld %s", (long long)json_integer_value(pid), name);
		} else {
			ck_assert_msg(json_is_integer(tid), "event %zu (%s): no tid", i, ph);
			snprintf(key, sizeof key, "T %lld %lld", (long long)json_integer_value(pid),
			         (long long)json_integer_value(tid));
		}
		t = track(tracks, &ntr, key);
		ck_assert_msg(json_number_value(ts) >= t->last, "event %zu: ts %f before %f on %s",
		              i, json_number_value(ts), t->last, key);
		t->last = json_number_value(ts);
		switch (ph[0]) {
		case 'B':
			ck_assert_int_lt(t->depth, 64);
			snprintf(t->open[t->depth++], sizeof t->open[0], "%s", name);
			break;
		case 'E':
			ck_assert_msg(t->depth > 0, "event %zu: E %s with no B open on %s", i, name, key);
			t->depth--;
			ck_assert_msg(strcmp(t->open[t->depth], name) == 0,
			              "event %zu: E %s closes B %s", i, name, t->open[t->depth]);
			break;
		case 'i': {
			const char *sc = json_string_value(json_object_get(e, "s"));

			ck_assert_msg(sc && strlen(sc) == 1 && strchr("gpt", sc[0]),
			              "event %zu: instant without scope", i);
			break;
		}
		case 's':
		case 'f': {
			json_t *id = json_object_get(e, "id");
			int k;

			ck_assert_msg(json_is_integer(id), "event %zu: flow without id", i);
			for (k = 0; k < nfl && flows[k].id != json_integer_value(id); k++)
				;
			if (k == nfl) {
				ck_assert_int_lt(nfl, 4096);
				memset(&flows[nfl++], 0, sizeof flows[0]);
				flows[k].id = json_integer_value(id);
			}
			if (ph[0] == 's') {
				flows[k].s++;
				flows[k].ts_s = json_number_value(ts);
				flows[k].tid_s = json_integer_value(tid);
			} else {
				const char *bp = json_string_value(json_object_get(e, "bp"));

				ck_assert_msg(bp && strcmp(bp, "e") == 0, "event %zu: f without bp e", i);
				flows[k].f++;
				flows[k].ts_f = json_number_value(ts);
				flows[k].tid_f = json_integer_value(tid);
			}
			break;
		}
		default:
			break;
		}
	}
	for (int k = 0; k < ntr; k++)
		ck_assert_msg(tracks[k].depth == 0, "%s: %d slices left open (%s)", tracks[k].key,
		              tracks[k].depth, tracks[k].open[0]);
	for (int k = 0; k < nfl; k++) {
		ck_assert_msg(flows[k].s == 1 && flows[k].f == 1, "flow %lld: %d starts, %d ends",
		              flows[k].id, flows[k].s, flows[k].f);
		ck_assert(flows[k].ts_s <= flows[k].ts_f);
		ck_assert(flows[k].tid_s != flows[k].tid_f);
	}
	return nfl;
}

/* One thread track per worker, with the record's PIDs and TIDs. */
static void
check_tracks(json_t *root, const char *obj, int workers, bool process)
{
	json_t *evs = json_object_get(root, "traceEvents"), *e;
	long long pids[64], tids[64];
	int np = tu_json_array(obj, "pids", pids, 64), nt = tu_json_array(obj, "tids", tids, 64);
	int found = 0;
	size_t i;

	ck_assert_int_eq(np, workers);
	ck_assert_int_eq(nt, workers);
	json_array_foreach(evs, i, e) {
		json_t *args = json_object_get(e, "args");
		long long w = json_integer_value(json_object_get(args, "worker"));

		if (strcmp(json_string_value(json_object_get(e, "name")), "thread_name") ||
		    w < 1)
			continue;
		ck_assert_int_le(w, workers);
		ck_assert_int_eq(json_integer_value(json_object_get(e, "pid")), pids[w - 1]);
		ck_assert_int_eq(json_integer_value(json_object_get(e, "tid")), tids[w - 1]);
		ck_assert_str_eq(json_string_value(json_object_get(args, "kind")),
		                 process ? "process" : "thread");
		if (process)
			ck_assert_int_eq(pids[w - 1], tids[w - 1]);
		found++;
	}
	ck_assert_int_eq(found, workers);
}

/* The reads and writes (instants of cat "read" and "write") in ts order. */
struct access {
	double ts;
	long long tid, value;
	bool write;
};

static int
by_ts(const void *x, const void *y)
{
	const struct access *a = x, *b = y;

	return a->ts < b->ts ? -1 : a->ts > b->ts;
}

static int
accesses(json_t *root, struct access **out)
{
	json_t *evs = json_object_get(root, "traceEvents"), *e;
	struct access *v = calloc(json_array_size(evs) + 1, sizeof *v);
	int n = 0;
	size_t i;

	ck_assert_ptr_nonnull(v);
	json_array_foreach(evs, i, e) {
		const char *cat = json_string_value(json_object_get(e, "cat"));
		json_t *val = json_object_get(json_object_get(e, "args"), "value");

		if (!cat || strcmp(json_string_value(json_object_get(e, "ph")), "i") ||
		    (strcmp(cat, "read") && strcmp(cat, "write")))
			continue;
		v[n].ts = json_number_value(json_object_get(e, "ts"));
		v[n].tid = json_integer_value(json_object_get(e, "tid"));
		v[n].write = strcmp(cat, "write") == 0;
		ck_assert_msg(json_is_integer(val), "a %s without its value", cat);
		v[n].value = json_integer_value(val);
		n++;
	}
	qsort(v, (size_t)n, sizeof *v, by_ts);
	*out = v;
	return n;
}

/* Worker 1 (odd) withdraws, worker 2 deposits: tids[0], tids[1]. */
static long long
amount(const long long *tids, long long tid)
{
	return tid == tids[0] ? -1 : +1;
}

/* A forced schedule: both read 100, worker 1 writes 99, worker 2 writes
 * 101.  Replayed in the trace's order, every write is what its worker
 * read plus its amount, and the balance ends where the run's did. */
START_TEST(test_schedule_trace)
{
	char obj[1024];
	json_t *root = race_traced("--workers 2 --iters 2 --mode process --schedule 1,2,1,2",
	                           "schedule.json", obj, sizeof obj);
	long long tids[2], bal = 100, seen[2] = {0, 0};
	struct access *v;
	int n = accesses(root, &v), writes = 0;

	check_format(root);
	check_tracks(root, obj, 2, true);
	ck_assert_int_eq(tu_json_array(obj, "tids", tids, 2), 2);
	ck_assert_int_eq(n, 8); /* 2 workers x 2 updates x read + write */
	for (int i = 0; i < n; i++) {
		int w = v[i].tid == tids[0] ? 0 : 1;

		if (!v[i].write) {
			/* What it read is what the trace's order says was there. */
			ck_assert_msg(v[i].value == bal, "read %d of worker %d: %lld, not %lld",
			              i, w + 1, v[i].value, bal);
			seen[w] = v[i].value;
			continue;
		}
		ck_assert_msg(v[i].value == seen[w] + amount(tids, v[i].tid),
		              "write %d of worker %d: %lld after reading %lld", i, w + 1,
		              v[i].value, seen[w]);
		bal = v[i].value;
		writes++;
	}
	ck_assert_int_eq(writes, 4);
	ck_assert_int_eq(bal, tu_jint(obj, "final"));
	ck_assert_int_eq(bal, 101); /* the forced lost update */
	free(v);
	json_decref(root);
}
END_TEST

/* A free racy run of thread workers: every update recorded, none dropped,
 * and the last write in the trace's order is the final balance (when the
 * two workers' last writes are under a microsecond apart, which of them
 * came last is beyond the clocks: then it is one of the two). */
START_TEST(test_free_race_trace)
{
	char obj[1024];
	json_t *root = race_traced("--workers 2 --iters 3000 --mode thread", "free.json", obj,
	                           sizeof obj);
	json_t *run0 = json_array_get(json_object_get(json_object_get(root, "racelab"), "runs"), 0);
	long long tids[2], final = tu_jint(obj, "final");
	struct access *v, *last[2] = {NULL, NULL};
	int n = accesses(root, &v), writes = 0;

	check_format(root);
	check_tracks(root, obj, 2, false);
	ck_assert_int_eq(json_integer_value(json_object_get(run0, "dropped")), 0);
	ck_assert_int_eq(tu_json_array(obj, "tids", tids, 2), 2);
	ck_assert_int_eq(n, 2 * 2 * 3000);
	for (int i = 0; i < n; i++)
		if (v[i].write) {
			last[v[i].tid == tids[0] ? 0 : 1] = &v[i];
			writes++;
		}
	ck_assert_int_eq(writes, 2 * 3000);
	ck_assert(last[0] && last[1]);
	if (last[0]->ts - last[1]->ts > 1 || last[1]->ts - last[0]->ts > 1)
		ck_assert_int_eq((last[0]->ts > last[1]->ts ? last[0] : last[1])->value, final);
	else
		ck_assert(last[0]->value == final || last[1]->value == final);
	free(v);
	json_decref(root);
}
END_TEST

/* Under a mutex, forced: worker 1 holds m while worker 2 waits for it;
 * worker 1's unlock hands m to worker 2, a flow from one to the other,
 * and worker 2's track shows it waiting, then in the critical section. */
START_TEST(test_lock_handoff_trace)
{
	char obj[1024];
	json_t *root = race_traced("--workers 2 --iters 1 --mode thread --sync mutex "
	                           "--schedule 1,2,1,1,1", "mutex.json", obj, sizeof obj);
	json_t *evs = json_object_get(root, "traceEvents"), *e;
	bool waiting = false, critical = false;
	size_t i;

	ck_assert_int_ge(check_format(root), 1);
	check_tracks(root, obj, 2, false);
	ck_assert_int_eq(tu_jint(obj, "final"), 100);
	json_array_foreach(evs, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));

		waiting |= strcmp(name, "waiting for m") == 0;
		critical |= strcmp(name, "critical section m") == 0;
	}
	ck_assert(waiting && critical);
	json_decref(root);
}
END_TEST

/* A bad --trace-out: one line, exit 2, no file; a good one leaves the
 * trace and nothing else (no temporary file). */
START_TEST(test_trace_out_paths)
{
	char path[4200], obj[1024];
	int entries;

	tu_assert_usage_errorv("bin/racelab-race", "--trace-out", "/nonexistent/dir/t.json", NULL);
	tu_assert_usage_errorv("bin/racelab-race", "--trace-out", dir, NULL);
	tu_assert_usage_errorv("bin/racelab-race", "--trace-out", "", NULL);
	tu_assert_usage_errorv("bin/racelab-race", "--explore", "--trace-out", "t.json", NULL);
	snprintf(path, sizeof path, "%s/only", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/only/t.json", dir);
	{
		const char *argv[] = { "bin/racelab-race", "--iters", "10", "--runs", "2",
		                       "--json", "--trace-out", path, NULL };
		char *out;

		ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
		ck_assert_int_eq(tu_json_count(out), 2);
		ck_assert(tu_json_line(out, 1, obj, sizeof obj));
		free(out);
	}
	snprintf(path, sizeof path, "%s/only", dir);
	entries = tu_count_entries(path);
	ck_assert_int_eq(entries, 1);
}
END_TEST

/* Another lesson, whose main returns (its struct lab gone with main's
 * frame when the trace is written at exit), with condition variables:
 * the signals and wake-ups are there, and the file keeps the rules. */
START_TEST(test_condvars_trace)
{
	char path[4200];
	const char *argv[] = { "bin/racelab-condvars", "--runs", "1", "--trace-out", path,
	                       "--quiet", NULL };
	json_error_t je;
	json_t *root, *e;
	bool signal = false, woken = false;
	size_t i;

	snprintf(path, sizeof path, "%s/condvars.json", dir);
	ck_assert_int_eq(tu_run(argv, NULL, NULL), 0);
	root = json_load_file(path, 0, &je);
	ck_assert_msg(root, "%s: %s", path, je.text);
	check_format(root);
	json_array_foreach(json_object_get(root, "traceEvents"), i, e) {
		const char *op = json_string_value(json_object_get(json_object_get(e, "args"), "op"));

		signal |= op && (strcmp(op, "signal") == 0 || strcmp(op, "broadcast") == 0);
		woken |= op && strcmp(op, "woken") == 0;
	}
	ck_assert(signal && woken);
	json_decref(root);
}
END_TEST

/* The trace kept beside the screenshots (tools/screenshots.sh, from a
 * real run of the forced lost update), as Perfetto would be given it. */
START_TEST(test_kept_trace)
{
	json_error_t je;
	json_t *root = json_load_file("screenshots/race-trace.json", 0, &je);
	json_t *run0;

	ck_assert_msg(root, "screenshots/race-trace.json: %s", je.text);
	check_format(root);
	run0 = json_array_get(json_object_get(json_object_get(root, "racelab"), "runs"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(
		json_array_get(json_object_get(run0, "counters"), 0), "final")), 101);
	json_decref(root);
}
END_TEST

Suite *
suite_trace(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_schedule_trace);
	tcase_add_test(tc, test_free_race_trace);
	tcase_add_test(tc, test_lock_handoff_trace);
	tcase_add_test(tc, test_trace_out_paths);
	tcase_add_test(tc, test_kept_trace);
	tcase_add_test(tc, test_condvars_trace);
	suite_add_tcase(s, tc);
	return s;
}
