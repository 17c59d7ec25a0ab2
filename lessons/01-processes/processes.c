// Lesson 01: start, join, PIDs.  Sleepers in parallel and in sequence.
//
// The tutorials' first example: do_something() sleeps one second.  Called
// twice in a row it takes two seconds; in two processes started together
// it takes about one.  Each worker reports its own PID and its parent's,
// read from the kernel (getpid, getppid), so they can be checked with ps.
#include "lab/lab.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static double sleep_s = 1.0;
static bool sequential;

static const struct lab_option options[] = {
	{ "sleep", LAB_OPT_DOUBLE, &sleep_s, "S",
	  "seconds each worker sleeps (default 1)", 0, 60 },
	{ "sequential", LAB_OPT_FLAG, &sequential, NULL,
	  "start each worker only after the previous one ended", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "processes",
	.title = "Processes: start, join, PIDs, and time in parallel",
	.about = "Each worker sleeps --sleep seconds and reports its PID and its parent's.\n"
	         "Compare the elapsed time with --sequential.",
	.workers = 2,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

/* What each worker reports back, in shared memory so that process workers
 * can write it (their own memory is a copy the parent never sees). */
struct report {
	pid_t pid, ppid, tid;
};

static int
do_something(struct lab_worker *w)
{
	struct report *r = (struct report *)w->arg + (w->no - 1);

	r->pid = getpid();
	r->ppid = getppid();
	r->tid = gettid();
	if (w->mode == LAB_PROCESS)
		lab_say(w->lab, "worker %d: pid %d, parent %d: sleeping %g second(s)...\n",
		        w->no, (int)r->pid, (int)r->ppid, sleep_s);
	else /* getppid() is the process's parent: the lesson's, not ours */
		lab_say(w->lab, "worker %d: thread %d in process %d (whose parent is "
		        "%d): sleeping %g second(s)...\n", w->no, (int)r->tid,
		        (int)r->pid, (int)r->ppid, sleep_s);
	fflush(stdout);
	lab_sleep(w, sleep_s);
	lab_say(w->lab, "worker %d: done sleeping\n", w->no);
	fflush(stdout);
	return 0;
}

static void
show_alive(struct lab *lab, const char *when, struct lab_worker **ws, int n,
           bool *alive)
{
	lab_say(lab, "%s join:", when);
	for (int i = 0; i < n; i++) {
		alive[i] = lab_worker_alive(ws[i]);
		lab_say(lab, " worker %d %s", ws[i]->no, alive[i] ? "alive" : "not alive");
	}
	lab_say(lab, "\n");
}

static void
print_json(struct lab *lab, int run, double ms, struct report *rep,
           const bool *before, const bool *after)
{
	int n = lab->o.workers;
	long long *v = calloc((size_t)n, sizeof *v);
	char arr[16384];
	size_t len = 0;
	struct lab_json j;

	lab_json_begin(&j);
	lab_json_int(&j, "run", run);
	lab_json_num(&j, "elapsed_ms", ms);
	lab_json_str(&j, "mode", sequential ? "sequential" : "parallel");
	lab_json_str(&j, "kind", lab_mode_name(lab->o.mode));
	lab_json_int(&j, "workers", n);
	lab_json_num(&j, "sleep_s", sleep_s);
	lab_json_int(&j, "parent_pid", getpid());
	for (int i = 0; i < n; i++)
		v[i] = rep[i].pid;
	lab_json_int_array(&j, "pids", v, n);
	for (int i = 0; i < n; i++)
		v[i] = rep[i].ppid;
	lab_json_int_array(&j, "ppids", v, n);
	for (int i = 0; i < n; i++)
		v[i] = rep[i].tid;
	lab_json_int_array(&j, "tids", v, n);
	len += (size_t)snprintf(arr + len, sizeof arr - len, "[");
	for (int i = 0; i < n && len < sizeof arr - 16; i++)
		len += (size_t)snprintf(arr + len, sizeof arr - len, "%s%s",
		                        i ? "," : "", before[i] ? "true" : "false");
	snprintf(arr + len, sizeof arr - len, "]");
	lab_json_raw(&j, "alive_before_join", arr);
	len = 0;
	len += (size_t)snprintf(arr + len, sizeof arr - len, "[");
	for (int i = 0; i < n && len < sizeof arr - 16; i++)
		len += (size_t)snprintf(arr + len, sizeof arr - len, "%s%s",
		                        i ? "," : "", after[i] ? "true" : "false");
	snprintf(arr + len, sizeof arr - len, "]");
	lab_json_raw(&j, "alive_after_join", arr);
	lab_json_end(&j);
	free(v);
}

int
main(int argc, char **argv)
{
	struct lab lab;

	lab_init(&lab, &lesson, argc, argv);
	int n = lab.o.workers;
	struct report *rep = lab_shared_alloc(&lab, (size_t)n * sizeof *rep);
	struct lab_worker **ws = calloc((size_t)n, sizeof *ws);
	struct lab_team **teams = calloc((size_t)n, sizeof *teams);
	bool *before = calloc((size_t)n, sizeof *before);
	bool *after = calloc((size_t)n, sizeof *after);

	if (!ws || !teams || !before || !after)
		lab_die(&lab, "out of memory");
	lab_say(&lab, "parent: pid %d\n", (int)getpid());
	for (int run = 1; run <= lab.o.runs; run++) {
		double ms;

		lab_run_begin(&lab, run);
		if (sequential) {
			/* DOC: sequential: start one, wait for it, then the next. */
			for (int i = 0; i < n; i++) {
				teams[i] = lab_spawn_ex(&lab, lab.o.mode, i + 1, 1,
				                        do_something, rep);
				ws[i] = &teams[i]->w[0];
				show_alive(&lab, "before", &ws[i], 1, &before[i]);
				lab_join(teams[i]);
				show_alive(&lab, "after", &ws[i], 1, &after[i]);
			}
		} else {
			/* DOC: parallel: start all, then wait for all. */
			teams[0] = lab_spawn(&lab, n, do_something, rep);
			for (int i = 0; i < n; i++)
				ws[i] = &teams[0]->w[i];
			show_alive(&lab, "before", ws, n, before);
			lab_join(teams[0]);
			show_alive(&lab, "after", ws, n, after);
		}
		ms = lab_elapsed_ms(&lab);
		lab_run_end(&lab);
		if (lab.o.json)
			print_json(&lab, run, ms, rep, before, after);
		if (lab_text(&lab))
			printf("Finished in %.3f seconds (%d %s worker%s, %s)\n",
			       ms / 1000.0, n, lab_mode_name(lab.o.mode),
			       n == 1 ? "" : "s", sequential ? "sequential" : "parallel");
		for (int i = 0; i < (sequential ? n : 1); i++)
			lab_team_free(teams[i]);
	}
	free(ws);
	free(teams);
	free(before);
	free(after);
	return 0;
}
