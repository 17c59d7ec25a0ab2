// Lesson 01: start, join, PIDs.  Sleepers in parallel and in sequence.
//
// The tutorials' first example: do_something() sleeps one second.  Called
// twice in a row it takes two seconds; in two processes started together
// it takes about one.  Each worker reports its own PID and its parent's,
// read from the kernel (getpid, getppid), so they can be checked with ps.
// --start fork|exec|forkserver|all times the three ways Python can start a
// process (its start methods) and shows which of them copies main's state.
#include "lab/lab.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static double sleep_s = 1.0;
static bool sequential;
static const char *start;

static const struct lab_option options[] = {
	{ "sleep", LAB_OPT_DOUBLE, &sleep_s, "S",
	  "seconds each worker sleeps (default 1)", 0, 60 },
	{ "sequential", LAB_OPT_FLAG, &sequential, NULL,
	  "start each worker only after the previous one ended", 0, 0 },
	{ "start", LAB_OPT_CHOICE, &start, "fork|exec|forkserver|all",
	  "time a start method instead: N workers started, a result back from "
	  "each", 0, 0 },
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

/* ---- Start methods ---------------------------------------------------
 *
 * Python starts a Process one of three ways (multiprocessing's start
 * methods); here each is done in C and timed: N workers started, each
 * squares the number it was given and sends back a report through one
 * pipe, until the last report is in.
 *   fork        fork(): the child is a copy of the parent as it is now.
 *   exec        fork(), then execv() of this very program (/proc/self/exe)
 *               with the task in its arguments: a fresh program that runs
 *               main() from the top, as spawn runs a fresh interpreter.
 *   forkserver  a clean process forked at the start of main(), before main
 *               built its state; it forks a worker for each request that
 *               arrives on a socket. */

/* Set by main() after the fork server exists and before any start: who
 * sees it shows what each start method copies. */
static int main_global;
#define MAIN_GLOBAL_VALUE 42

/* What each started worker reports (one pipe write, smaller than
 * PIPE_BUF, so the reports of many workers never mix). */
struct start_report {
	int arg;        /* the number it was given */
	long result;    /* arg * arg: the task */
	int saw_global; /* main_global as this worker found it */
	pid_t pid, ppid;
};

enum start_method { START_FORK, START_EXEC, START_FORKSERVER, START_COUNT };
static const char *const start_name[START_COUNT] = { "fork", "exec",
	                                              "forkserver" };

static int result_fd[2] = { -1, -1 }; /* every worker writes to [1] */
static int server_sock = -1;           /* the lesson's end of the socket */
static pid_t server_pid;

/* The task every worker runs, however it was started. */
static void
start_task(int fd, int arg)
{
	struct start_report r = { arg, (long)arg * arg, main_global, getpid(),
	                          getppid() };

	if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
		_exit(1);
}

/* DOC: exec-child
 * The exec'd worker: a new program image, started at main() again.  Only
 * what came through argv (the fd, the number) and what the kernel keeps
 * across execve (open descriptors without O_CLOEXEC) reached it; main's
 * globals are at their initial values. */
static int
exec_child(char **argv)
{
	char *end;
	long fd = strtol(argv[2], &end, 10), arg;

	if (*end || fd < 0 || fd > 1024)
		goto bad;
	arg = strtol(argv[3], &end, 10);
	if (*end || arg < 0 || arg > 1000000)
		goto bad;
	start_task((int)fd, (int)arg);
	return 0;
bad:
	fprintf(stderr, "racelab-processes: --exec-child wants FD NUMBER\n");
	return LAB_EXIT_USAGE;
}

/* DOC: forkserver
 * The fork server: forked before main() set anything, it waits for
 * requests (the number to square) and forks one worker for each.  Its
 * workers are its children, copies of *its* memory, so they do not see
 * what main did after the server was made.  It ends when the lesson
 * closes its end of the socket. */
static void
forkserver_loop(int sock)
{
	int arg;
	ssize_t k;

	signal(SIGCHLD, SIG_IGN); /* the kernel reaps our workers */
	while ((k = recv(sock, &arg, sizeof arg, 0)) != 0) {
		pid_t pid;

		if (k < 0 && errno == EINTR)
			continue;
		if (k != (ssize_t)sizeof arg)
			_exit(1);
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			start_task(result_fd[1], arg);
			_exit(0);
		}
	}
	_exit(0);
}

static void
forkserver_start(struct lab *lab)
{
	int sv[2];
	pid_t parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		lab_die(lab, "socketpair:");
	fflush(NULL);
	server_pid = fork();
	if (server_pid < 0)
		lab_die(lab, "fork of the fork server:");
	if (server_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the lesson */
		if (getppid() != parent)
			_exit(1);
		close(sv[0]);
		close(result_fd[0]);
		forkserver_loop(sv[1]);
	}
	close(sv[1]);
	server_sock = sv[0];
}

static void
forkserver_stop(void)
{
	if (server_sock < 0)
		return;
	close(server_sock); /* its recv() returns 0: it exits */
	server_sock = -1;
	waitpid(server_pid, NULL, 0);
}

/* Start one worker for arg with method m; returns its pid (0 for the fork
 * server's, which the server reaps). */
static pid_t
start_one(struct lab *lab, enum start_method m, int arg)
{
	pid_t parent = getpid(), pid;

	if (m == START_FORKSERVER) {
		if (send(server_sock, &arg, sizeof arg, 0) != (ssize_t)sizeof arg)
			lab_die(lab, "send to the fork server:");
		return 0;
	}
	pid = fork();
	if (pid < 0)
		lab_die(lab, "fork:");
	if (pid > 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* kept across execve */
	if (getppid() != parent)
		_exit(1);
	if (m == START_FORK) {
		start_task(result_fd[1], arg); /* main_global: the parent's copy */
		_exit(0);
	} else {
		char fd[16], num[16];
		char *av[] = { (char *)"racelab-processes", (char *)"--exec-child",
		               fd, num, NULL };

		snprintf(fd, sizeof fd, "%d", result_fd[1]);
		snprintf(num, sizeof num, "%d", arg);
		execv("/proc/self/exe", av);
		_exit(127);
	}
}

struct start_out {
	bool ran;
	double ms;          /* best round: start n, get n reports back */
	int saw_global;     /* workers of the last round that saw main's value */
	int results_ok;     /* reports whose result is arg * arg */
	int parent_lesson;  /* reports whose ppid is the lesson */
	int parent_server;  /* reports whose ppid is the fork server */
	pid_t pid0, ppid0;
};

#define START_ROUNDS 5

static void
run_start(struct lab *lab, enum start_method m, int n, struct start_out *o)
{
	pid_t *pids = calloc((size_t)n, sizeof *pids);

	if (!pids)
		lab_die(lab, "out of memory");
	*o = (struct start_out){ .ran = true, .ms = 1e300 };
	for (int round = 0; round < START_ROUNDS; round++) {
		uint64_t t0;
		double ms;

		o->saw_global = o->results_ok = 0;
		o->parent_lesson = o->parent_server = 0;
		fflush(NULL); /* nothing buffered is written twice */
		t0 = board_now_ns();
		for (int i = 0; i < n; i++)
			pids[i] = start_one(lab, m, i + 1);
		for (int i = 0; i < n; i++) {
			struct start_report r;
			struct pollfd p = { result_fd[0], POLLIN, 0 };
			int k;

			while ((k = poll(&p, 1, 10000)) < 0 && errno == EINTR)
				;
			if (k == 0)
				lab_die(lab, "%s: a worker sent no report in 10 s",
				        start_name[m]);
			if (read(result_fd[0], &r, sizeof r) != (ssize_t)sizeof r)
				lab_die(lab, "read a report:");
			o->saw_global += r.saw_global == MAIN_GLOBAL_VALUE;
			o->results_ok += r.result == (long)r.arg * r.arg;
			o->parent_lesson += r.ppid == getpid();
			o->parent_server += server_pid && r.ppid == server_pid;
			if (i == 0) {
				o->pid0 = r.pid;
				o->ppid0 = r.ppid;
			}
		}
		ms = (double)(board_now_ns() - t0) / 1e6;
		if (ms < o->ms)
			o->ms = ms;
		for (int i = 0; i < n; i++)
			if (pids[i] > 0)
				waitpid(pids[i], NULL, 0);
	}
	free(pids);
}

static void
part_start(struct lab *lab)
{
	struct start_out out[START_COUNT] = { 0 };
	int n = lab->o.workers;
	struct lab_json j;

	lab_say(lab, "start methods: %d worker%s each, best of %d rounds.\n"
	        "main (pid %d) set a global to %d before the\nfirst start; "
	        "\"global\" is what each worker found.\n", n, n == 1 ? "" : "s",
	        START_ROUNDS, (int)getpid(), main_global);
	if (server_pid)
		lab_say(lab, "The fork server is pid %d.\n", (int)server_pid);
	lab_result(lab, "  %-10s %7s %8s %6s  %s\n", "method", "all ms", "a worker",
	           "global", "parent");
	for (int m = 0; m < START_COUNT; m++) {
		struct start_out *o = &out[m];

		if (strcmp(start, "all") != 0 && strcmp(start, start_name[m]) != 0)
			continue;
		run_start(lab, (enum start_method)m, n, o);
		lab_result(lab, "  %-10s %7.2f %8.3f %6s  %s\n", start_name[m], o->ms,
		           o->ms / n,
		           o->saw_global == n ? "42" : o->saw_global ? "mixed" : "0",
		           o->parent_server == n ? "server" :
		           o->parent_lesson == n ? "main" : "?");
	}
	if (!lab->o.json)
		return;
	lab_json_begin(&j);
	lab_json_int(&j, "run", lab->run);
	lab_json_str(&j, "start", start);
	lab_json_int(&j, "workers", n);
	lab_json_int(&j, "rounds", START_ROUNDS);
	lab_json_int(&j, "parent_pid", getpid());
	lab_json_int(&j, "forkserver_pid", server_pid);
	lab_json_int(&j, "main_global", main_global);
	for (int m = 0; m < START_COUNT; m++) {
		const struct start_out *o = &out[m];
		char k[64];

		if (!o->ran)
			continue;
#define KEY(s) (snprintf(k, sizeof k, "%s_%s", start_name[m], s), k)
		lab_json_num(&j, KEY("ms"), o->ms);
		lab_json_num(&j, KEY("ms_per_worker"), o->ms / n);
		/* 1 when every worker saw main's value, 0 when none did */
		lab_json_num(&j, KEY("child_saw_global"), (double)o->saw_global / n);
		lab_json_int(&j, KEY("results_ok"), o->results_ok == n);
		lab_json_int(&j, KEY("parent_is_lesson"), o->parent_lesson == n);
		lab_json_int(&j, KEY("parent_is_server"), o->parent_server == n);
#undef KEY
	}
	lab_json_end(&j);
}

/* --start: the fork server first, then main's state, then the starts. */
static int
main_start(struct lab *lab)
{
	if (sequential || lab->o.mode == LAB_THREAD)
		lab_usage_error(lab, "--start starts processes: not with %s",
		                sequential ? "--sequential" : "--mode thread");
	if (pipe(result_fd) < 0) /* no O_CLOEXEC: the exec'd workers write it */
		lab_die(lab, "pipe:");
	if (strcmp(start, "forkserver") == 0 || strcmp(start, "all") == 0)
		forkserver_start(lab);
	main_global = MAIN_GLOBAL_VALUE; /* state main builds: after the server */
	for (int run = 1; run <= lab->o.runs; run++) {
		lab_run_begin(lab, run);
		part_start(lab);
		lab_run_end(lab);
	}
	forkserver_stop();
	return 0;
}

int
main(int argc, char **argv)
{
	struct lab lab;

	/* DOC: main-guard
	 * C's `if __name__ == '__main__'`: an exec'd worker runs this same
	 * main() from the top, and must do its task here instead of the
	 * lesson's work (or it would start workers of its own). */
	if (argc == 4 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child(argv);
	lab_init(&lab, &lesson, argc, argv);
	if (start)
		return main_start(&lab);
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
