// Lesson 14: the end of a process.  Join with a timeout, terminate and
// kill, exit codes and signals, zombies, orphans, daemon workers, and
// listing the live children.
//
// Each --demo is one short scene; --demo all plays them in turn.  What the
// lesson says about a process it reads from the kernel: /proc/<pid>/stat
// for its state letter (R, S, Z ...) and its parent's PID, waitpid's status
// for how it ended, /proc/<pid>/task/<tid>/children for the live children.
//
// --demo queue: the join-before-get deadlock of Python's "Joining processes
// that use queues".  A child puts more than the pipe holds; a main that
// joins before it gets waits for a child that waits for room in the pipe.
// The lesson's watchdog sees no progress, both asleep in the kernel, and
// reports the deadlock (exit 3, the lab's stuck-run status).
//
// Processes only.  Threads have their own versions of some of this, not
// shown here: pthread_cancel(3) asks a thread to stop (it does so at its
// next cancellation point, such as a blocking read), and a joinable thread
// that ends keeps its stack and exit value until pthread_join (a "zombie
// thread", pthread_join(3)), or until it is detached.  Python's threading
// has neither: its threads cannot be stopped from outside at all.
#include "lab/lab.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *demo = "all";
static double hold_s = 0.5;
static double timeout_s = 0.3;
static double sleep_s = 1.5;
static double grace_s = 0.3;
static bool subreaper;
static const char *queue_order = "get-join";
static int queue_kib = 256;
static double watchdog_s = 0.5;

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo,
	  "all|join|terminate|zombie|orphan|daemon|children|queue",
	  "which scene to play (default all, one after the other)", 0, 0 },
	{ "hold", LAB_OPT_DOUBLE, &hold_s, "S",
	  "seconds a zombie is left unreaped, or an orphan lingers (default 0.5)",
	  0, 30 },
	{ "timeout", LAB_OPT_DOUBLE, &timeout_s, "S",
	  "join: how long join waits (default 0.3)", 0, 30 },
	{ "sleep", LAB_OPT_DOUBLE, &sleep_s, "S",
	  "join: how long the worker would sleep (default 1.5)", 0, 60 },
	{ "grace", LAB_OPT_DOUBLE, &grace_s, "S",
	  "terminate: how long to wait after SIGTERM before SIGKILL (default 0.3)",
	  0, 30 },
	{ "subreaper", LAB_OPT_FLAG, &subreaper, NULL,
	  "orphan: make the lesson a child subreaper, so orphans come to it", 0, 0 },
	{ "order", LAB_OPT_CHOICE, &queue_order, "join-get|get-join",
	  "queue: join the child before getting what it put, or after "
	  "(default get-join)", 0, 0 },
	{ "put-kib", LAB_OPT_INT, &queue_kib, "KIB",
	  "queue: how much the child puts (default 256)", 1, 65536 },
	{ "watchdog", LAB_OPT_DOUBLE, &watchdog_s, "S",
	  "queue: no progress for this long, both asleep: a deadlock "
	  "(default 0.5)", 0.05, 30 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "lifecycle",
	.title = "The end of a process: join, terminate, kill, zombies, orphans",
	.about = "Scenes (--demo): join with a timeout; SIGTERM vs SIGKILL and exit\n"
	         "codes; a zombie held unreaped; an orphan re-parented; a daemon\n"
	         "worker ended with the main; listing the live children; a queue\n"
	         "joined before it is drained (--order join-get deadlocks).",
	.workers = 3,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_PROCESS_ONLY,
	.runs = 1,
	.options = options,
};

/* What workers tell the main, in shared memory. */
struct shared {
	_Atomic int ready[8];          /* worker set up its signal handling */
	/* The orphan scene: */
	_Atomic int32_t orphan_pid, orphan_old_ppid, orphan_new_ppid;
	_Atomic int orphan_ready, orphan_moved;
	double hold;
};

static struct shared *sh;
static struct lab lab;
static struct lab_json json;

/* ---- Reading the kernel ------------------------------------------------ */

/* DOC: proc-stat
 * /proc/<pid>/stat is "pid (comm) S ppid ...": the state letter and the
 * parent's PID follow the last ')' (comm itself may hold spaces and
 * parentheses).  Returns the state, or 0 when the process is gone. */
static char
proc_state(pid_t pid, pid_t *ppid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;
	char st;
	int pp;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %c %d", &st, &pp) != 2)
		return 0;
	if (ppid)
		*ppid = pp;
	return st;
}

static const char *
state_name(char st)
{
	switch (st) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk sleep";
	case 'Z': return "zombie";
	case 'T': return "stopped";
	case 0: return "gone";
	default: return "other";
	}
}

static void
proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	if ((f = fopen(path, "r"))) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	if (!buf[0])
		snprintf(buf, len, "?");
}

/* DOC: active-children
 * The tutorials' multiprocessing.active_children() returns the Process
 * objects Python itself started and has not yet seen end (it polls each
 * one first, which reaps those that have ended); it never asks the
 * kernel.  Here the list comes from the kernel instead, to check it: per
 * thread, /proc/self/task/<tid>/children lists the children it forked
 * (reliable only while the children do not exit during the read, says
 * proc_tid_children(5): good enough for a demonstration, not for real
 * bookkeeping).  As Python's does, this first reaps the children that
 * have ended, so they are not listed as zombies. */
static int
live_children(struct lab_team *t, pid_t *out, int max)
{
	char path[300], buf[4096];
	DIR *d;
	struct dirent *e;
	int n = 0;

	for (int i = 0; t && i < t->n; i++)
		lab_worker_alive(&t->w[i]); /* reaps it if it has ended */
	if (!(d = opendir("/proc/self/task")))
		return -1;
	while ((e = readdir(d))) {
		FILE *f;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = '\0';
		for (char *p = buf, *end; *p; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			if (n < max)
				out[n] = (pid_t)v;
			n++;
		}
	}
	closedir(d);
	return n;
}

/* DOC: join-timeout
 * join(timeout): a pidfd (Linux 5.3) becomes readable when the process
 * ends, so poll() on it waits with a timeout and no busy loop.  Where
 * pidfd_open is missing, poll waitpid(WNOHANG) every few milliseconds.
 * True when the worker ended (and was reaped) in time. */
static bool
join_timeout(struct lab_worker *w, double seconds)
{
	int fd = (int)syscall(SYS_pidfd_open, w->pid, 0);
	uint64_t end = board_now_ns() + (uint64_t)(seconds * 1e9);

	if (fd >= 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r;

		do
			r = poll(&p, 1, (int)(seconds * 1000));
		while (r < 0 && errno == EINTR);
		close(fd);
		(void)end;
		return !lab_worker_alive(w); /* reaps it if it ended */
	}
	while (lab_worker_alive(w)) {
		struct timespec ts = { 0, 5000000 };

		if (board_now_ns() >= end)
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

static void
say_status(struct lab_worker *w, const char *what)
{
	char st[64];

	lab_say(&lab, "  worker %d (pid %d) %s: %s  (Python's exitcode: %d)\n",
	        w->no, (int)w->pid, what, lab_status_text(w->status, st, sizeof st),
	        w->status);
}

static void
nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- join with a timeout ----------------------------------------------- */

static int
sleeper(struct lab_worker *w)
{
	lab_step(w, "sleep");
	lab_sleep(w, sleep_s);
	return 0;
}

static void
scene_join(void)
{
	struct lab_team *t;
	struct lab_worker *w;
	double t0, waited;
	bool ended;
	char st;

	lab_say(&lab, "\n== join with a timeout\n");
	t = lab_spawn_ex(&lab, LAB_PROCESS, 1, 1, sleeper, sh);
	w = &t->w[0];
	lab_say(&lab, "worker 1 (pid %d) sleeps %.2f s; join(timeout=%.2f)...\n",
	        (int)w->pid, sleep_s, timeout_s);
	t0 = lab_elapsed_ms(&lab);
	ended = join_timeout(w, timeout_s);
	waited = (lab_elapsed_ms(&lab) - t0) / 1000.0;
	st = ended ? 0 : proc_state(w->pid, NULL);
	lab_say(&lab, "join returned after %.2f s: worker 1 is %s (state %c: %s)\n",
	        waited, ended ? "done" : "still alive", st ? st : '-',
	        state_name(st));
	lab_json_num(&json, "join_waited_s", waited);
	lab_json_bool(&json, "join_alive_after_timeout", !ended);
	lab_json_str(&json, "join_state", (char[]){ st ? st : '-', 0 });
	lab_json_int(&json, "join_alive", !ended);
	lab_json_int(&json, "join_asleep", st == 'S');
	if (!ended) {
		/* join() returning does not end the worker: terminate it. */
		kill(w->pid, SIGTERM);
		lab_join(t);
		say_status(w, "terminated");
	} else {
		lab_join(t);
	}
	lab_json_int(&json, "join_status", w->status);
	lab_team_free(t);
}

/* ---- terminate vs kill, exit codes -------------------------------------- */

static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* Worker 1 keeps the default SIGTERM action (the process dies), worker 2
 * catches it and cleans up, worker 3 ignores it, worker 4 exits by itself
 * with status 42. */
static int
terminee(struct lab_worker *w)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	if (w->no == 2) {
		/* DOC: catch-sigterm: no SA_RESTART, so the sleep wakes up. */
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
	} else if (w->no == 3) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGTERM, &sa, NULL);
	}
	atomic_store(&sh->ready[w->no], 1);
	if (w->no == 4) {
		lab_step(w, "exit(42)");
		return 42;
	}
	lab_step(w, "wait to be stopped");
	for (int i = 0; i < 600 && !got_term; i++)
		lab_sleep(w, 0.05);
	if (got_term) {
		lab_step(w, "clean up after SIGTERM");
		lab_say(w->lab, "  worker 2 (pid %d): caught SIGTERM, cleaning up, "
		        "exiting with 0\n", (int)getpid());
		return 0;
	}
	return 1; /* not stopped within 30 s: should not happen */
}

static void
scene_terminate(void)
{
	static const char *what[] = { "", "default action", "catches SIGTERM",
	                              "ignores SIGTERM", "exits by itself" };
	long long status[4];
	bool killed[4] = { false };
	struct lab_team *t;

	lab_say(&lab, "\n== terminate (SIGTERM) vs kill (SIGKILL), exit codes\n");
	for (int i = 0; i < 8; i++)
		atomic_store(&sh->ready[i], 0);
	t = lab_spawn_ex(&lab, LAB_PROCESS, 1, 4, terminee, sh);
	/* Signal only once each worker has set up its handling, or the
	 * signal could arrive while the default action still applies. */
	for (int i = 1; i <= 4; i++)
		while (!atomic_load(&sh->ready[i]) && lab_worker_alive(&t->w[i - 1]))
			nap(0.001);
	join_timeout(&t->w[3], 5);
	say_status(&t->w[3], what[4]);
	/* DOC: terminate
	 * SIGTERM asks: the default action ends the process, but it may be
	 * caught (to clean up) or ignored.  SIGKILL cannot be caught, blocked
	 * or ignored: after a grace period, it is what is left. */
	lab_say(&lab, "  sending SIGTERM to workers 1-3 (Python's terminate())\n");
	for (int i = 0; i < 3; i++)
		kill(t->w[i].pid, SIGTERM);
	for (int i = 0; i < 3; i++) {
		struct lab_worker *w = &t->w[i];

		if (!join_timeout(w, grace_s)) {
			lab_say(&lab, "  worker %d still alive %.2f s after SIGTERM: "
			        "SIGKILL (Python's kill())\n", w->no, grace_s);
			kill(w->pid, SIGKILL);
			join_timeout(w, 5);
			killed[i] = true;
		}
		say_status(w, what[w->no]);
	}
	lab_join(t);
	for (int i = 0; i < 4; i++)
		status[i] = t->w[i].status;
	lab_json_int_array(&json, "term_status", status, 4);
	{
		long long k[4];
		char key[32];

		for (int i = 0; i < 4; i++) {
			k[i] = killed[i];
			/* One field per worker, for expect: lines. */
			snprintf(key, sizeof key, "w%d_status", i + 1);
			lab_json_int(&json, key, status[i]);
			snprintf(key, sizeof key, "w%d_needed_sigkill", i + 1);
			lab_json_int(&json, key, killed[i]);
		}
		lab_json_int_array(&json, "term_needed_sigkill", k, 4);
	}
	lab_team_free(t);
}

/* ---- zombies ------------------------------------------------------------ */

static int
quick_exit_worker(struct lab_worker *w)
{
	lab_step(w, "exit at once");
	return 0;
}

static void
scene_zombie(void)
{
	int n = lab.o.workers;
	struct lab_team *t;
	char before[64] = "", held[64] = "", after[64] = "";

	if (n > 32)
		n = 32;
	lab_say(&lab, "\n== zombies\n");
	t = lab_spawn_ex(&lab, LAB_PROCESS, 1, n, quick_exit_worker, sh);
	for (int i = 0; i < n; i++) {
		struct lab_worker *w = &t->w[i];
		siginfo_t si;

		/* DOC: zombie
		 * WNOWAIT: wait until it has exited, but do not reap it.  The
		 * kernel keeps its entry (PID, exit status, CPU times) until
		 * the parent collects the status: a zombie, state Z. */
		memset(&si, 0, sizeof si);
		while (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOWAIT) < 0 &&
		       errno == EINTR)
			;
		before[i] = proc_state(w->pid, NULL);
		lab_say(&lab, "worker %d (pid %d) has exited; not reaped yet: "
		        "/proc/%d/stat says %c (%s)\n", w->no, (int)w->pid,
		        (int)w->pid, before[i] ? before[i] : '-',
		        state_name(before[i]));
	}
	lab_say(&lab, "holding %d zombie%s for %.2f s (ps shows them <defunct>)\n",
	        n, n == 1 ? "" : "s", hold_s);
	nap(hold_s);
	for (int i = 0; i < n; i++)
		held[i] = proc_state(t->w[i].pid, NULL);
	/* DOC: reap: waitpid collects the status, the entry goes. */
	lab_join(t);
	for (int i = 0; i < n; i++) {
		after[i] = proc_state(t->w[i].pid, NULL);
		lab_say(&lab, "reaped worker %d: %s; /proc/%d is now %s\n",
		        t->w[i].no, lab_status_text(t->w[i].status, (char[64]){ 0 }, 64),
		        (int)t->w[i].pid, after[i] ? "still there" : "gone");
		if (!before[i])
			before[i] = '-';
		if (!held[i])
			held[i] = '-';
		if (!after[i])
			after[i] = '-';
	}
	lab_json_int(&json, "zombies", n);
	lab_json_str(&json, "zombie_state", before);
	lab_json_str(&json, "zombie_state_held", held);
	lab_json_str(&json, "zombie_state_after", after);
	{
		int z = 0, zh = 0, left = 0;

		for (int i = 0; i < n; i++) {
			z += before[i] == 'Z';
			zh += held[i] == 'Z';
			left += after[i] != '-';
		}
		lab_json_int(&json, "zombies_seen", z);
		lab_json_int(&json, "zombies_held", zh);
		lab_json_int(&json, "left_after_reap", left);
	}
	lab_team_free(t);
}

/* ---- orphans ------------------------------------------------------------ */

/* The grandchild: it watches its own parent's PID change, reports it and
 * then, after lingering long enough to be seen, exits by itself.  It has
 * no PR_SET_PDEATHSIG (that would kill it with its parent, the very event
 * it is here to outlive), so everything it does is bounded in time. */
static _Noreturn void
orphan_main(struct board_actor *a)
{
	pid_t old = getppid();
	uint64_t deadline = board_now_ns() + (uint64_t)((sh->hold + 3.0) * 1e9);

	board_actor_publish(a, BOARD_KIND_PROCESS, getpid(), gettid(), old, 2,
	                    "orphan");
	board_actor_state(a, BOARD_ST_RUNNING);
	atomic_store(&sh->orphan_pid, getpid());
	atomic_store(&sh->orphan_old_ppid, old);
	atomic_store(&sh->orphan_ready, 1);
	while (getppid() == old && board_now_ns() < deadline)
		nap(0.002);
	atomic_store(&sh->orphan_new_ppid, getppid());
	atomic_store(&sh->orphan_moved, getppid() != old);
	board_actor_state(a, BOARD_ST_SLEEPING);
	if (board_now_ns() < deadline)
		nap(sh->hold);
	board_actor_state(a, BOARD_ST_DONE);
	_exit(0);
}

static int
orphan_parent(struct lab_worker *w)
{
	struct board_actor *a = &w->lab->board->actor[2];
	pid_t pid;

	lab_step(w, "fork a child");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		orphan_main(a);
	while (!atomic_load(&sh->orphan_ready))
		nap(0.001);
	lab_say(w->lab, "parent (worker 1, pid %d) forked child %d and exits "
	        "without waiting for it\n", (int)getpid(), (int)pid);
	lab_sleep(w, 0.1);
	lab_step(w, "exit, leaving the child");
	return 0;
}

static void
scene_orphan(void)
{
	struct lab_team *t;
	pid_t child, parent, ppid_before = 0, ppid_after = 0;
	char who[64], st;
	bool gone = false;

	lab_say(&lab, "\n== orphans\n");
	atomic_store(&sh->orphan_ready, 0);
	atomic_store(&sh->orphan_moved, 0);
	atomic_store(&sh->orphan_pid, 0);
	sh->hold = hold_s;
	/* DOC: subreaper
	 * An orphan goes to the nearest ancestor that declared itself a
	 * "child subreaper", else to init (PID 1).  The racelab shell is one,
	 * so under it orphans come to the shell. */
	if (subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		lab_die(&lab, "PR_SET_CHILD_SUBREAPER:");
	if (atomic_load(&lab.board->nactors) < 3)
		atomic_store(&lab.board->nactors, 3);
	t = lab_spawn_ex(&lab, LAB_PROCESS, 1, 1, orphan_parent, sh);
	parent = t->w[0].pid;
	while (!atomic_load(&sh->orphan_ready) && lab_worker_alive(&t->w[0]))
		nap(0.001);
	child = atomic_load(&sh->orphan_pid);
	if (child > 0)
		proc_state(child, &ppid_before);
	lab_join(t);
	/* The child notices its new parent within a few milliseconds. */
	for (int i = 0; i < 2000 && child > 0 && !atomic_load(&sh->orphan_moved); i++)
		nap(0.002);
	if (child > 0)
		proc_state(child, &ppid_after);
	proc_comm(ppid_after, who, sizeof who);
	lab_say(&lab, "child %d: PPID %d (worker 1) before; after worker 1 "
	        "exited, PPID %d (%s%s)\n", (int)child, (int)ppid_before,
	        (int)ppid_after, who,
	        ppid_after == getpid() ? ", this lesson, a subreaper" :
	        ppid_after == 1 ? ", init" : ", the nearest subreaper");
	/* It exits by itself after --hold seconds.  If it is ours now, reap
	 * it; otherwise its new parent does. */
	for (int i = 0; i < (int)((hold_s + 4.0) * 500) && child > 0; i++) {
		if (ppid_after == getpid())
			gone = waitpid(child, NULL, WNOHANG) == child;
		else
			gone = (st = proc_state(child, NULL)) == 0 || st == 'Z';
		if (gone)
			break;
		nap(0.002);
	}
	if (child > 0 && !gone) {
		kill(child, SIGKILL); /* never leave it behind */
		if (ppid_after == getpid())
			waitpid(child, NULL, 0);
	}
	lab_say(&lab, "child %d has exited by itself: %s\n", (int)child,
	        gone ? "yes" : "no, killed");
	lab_json_int(&json, "orphan_pid", child);
	lab_json_int(&json, "orphan_parent_pid", parent);
	lab_json_int(&json, "orphan_ppid_before", ppid_before);
	lab_json_int(&json, "orphan_ppid_after", ppid_after);
	lab_json_int(&json, "orphan_ppid_seen_by_child",
	             atomic_load(&sh->orphan_new_ppid));
	lab_json_bool(&json, "orphan_exited", gone);
	lab_json_int(&json, "orphan_left", !gone);
	lab_json_bool(&json, "subreaper", subreaper);
	lab_team_free(t);
}

/* ---- daemon workers ----------------------------------------------------- */

static int
daemon_or_not(struct lab_worker *w)
{
	if (w->no == 1) {
		lab_step(w, "work 0.3 s");
		lab_sleep(w, 0.3);
		return 0;
	}
	/* The daemon: a heartbeat that never ends by itself. */
	for (uint64_t beat = 1; beat < 600; beat++) {
		lab_step(w, "heartbeat");
		lab_progress(w, beat, 0);
		lab_sleep(w, 0.05);
	}
	return 1;
}

static void
scene_daemon(void)
{
	struct lab_team *t;
	struct lab_worker *d;
	bool alive;
	char st[64];

	lab_say(&lab, "\n== daemon workers\n");
	t = lab_spawn_ex(&lab, LAB_PROCESS, 1, 2, daemon_or_not, sh);
	d = &t->w[1];
	lab_say(&lab, "worker 1 (pid %d) works; worker 2 (pid %d) is a daemon "
	        "(Process(daemon=True))\n", (int)t->w[0].pid, (int)d->pid);
	join_timeout(&t->w[0], 10);
	alive = lab_worker_alive(d);
	lab_say(&lab, "main has joined worker 1; the daemon is %s\n",
	        alive ? "still running" : "gone");
	/* DOC: daemon
	 * Python terminates daemonic children when the main process exits
	 * (an atexit handler, _exit_function in multiprocessing/util.py);
	 * this is that step.  A Python main killed outright (SIGKILL) runs no
	 * atexit handler, and its daemon children run on as orphans.  Here
	 * the kernel ends them even then, because racelab starts every worker
	 * with PR_SET_PDEATHSIG (lab_worker.c): racelab's choice, not
	 * Python's. */
	lab_say(&lab, "main ends: terminating the daemon\n");
	kill(d->pid, SIGTERM);
	lab_join(t);
	lab_say(&lab, "  daemon worker 2: %s\n",
	        lab_status_text(d->status, st, sizeof st));
	lab_json_bool(&json, "daemon_alive_at_main_end", alive);
	lab_json_int(&json, "daemon_alive", alive);
	lab_json_int(&json, "daemon_status", d->status);
	lab_team_free(t);
}

/* ---- listing live children ---------------------------------------------- */

static int
staggered(struct lab_worker *w)
{
	lab_step(w, "sleep");
	lab_sleep(w, 0.15 * w->no);
	return 0;
}

static void
scene_children(void)
{
	int n = lab.o.workers, last = -1, nseen = 0;
	long long counts[64];
	struct lab_team *t;
	bool match = true;
	double t0 = lab_elapsed_ms(&lab);

	lab_say(&lab, "\n== listing live children (active_children())\n");
	t = lab_spawn_ex(&lab, LAB_PROCESS, 1, n, staggered, sh);
	for (int tick = 0; tick < 400; tick++) {
		pid_t kids[256];
		int k = live_children(t, kids, 256);

		if (k != last) {
			lab_say(&lab, "  %.2f s: %d live:",
			        (lab_elapsed_ms(&lab) - t0) / 1000.0, k);
			for (int i = 0; i < k && i < 256; i++) {
				bool ours = false;

				for (int j = 0; j < n; j++)
					ours |= t->w[j].pid == kids[i];
				match &= ours;
				lab_say(&lab, " %d", (int)kids[i]);
			}
			lab_say(&lab, "\n");
			if (nseen < 64)
				counts[nseen++] = k;
			last = k;
		}
		if (k == 0)
			break;
		nap(0.01);
	}
	lab_join(t);
	lab_json_int_array(&json, "children_counts", counts, nseen);
	lab_json_bool(&json, "children_are_workers", match);
	{
		int steps = 1; /* each count one less than the one before */

		for (int i = 1; i < nseen; i++)
			steps &= counts[i] == counts[i - 1] - 1;
		lab_json_int(&json, "children_first", nseen ? counts[0] : -1);
		lab_json_int(&json, "children_last", nseen ? counts[nseen - 1] : -1);
		lab_json_int(&json, "children_one_by_one", nseen > 0 && steps);
		lab_json_int(&json, "children_not_ours", !match);
	}
	lab_team_free(t);
}


/* ---- a queue, joined before it is drained ------------------------------ */

/* The queue scene's state, in shared memory: the watchdog thread and the
 * main read it, the child writes `sent`. */
struct queue_job {
	int fd[2];
	size_t total;
	_Atomic size_t sent, got;
	_Atomic bool over, deadlocked;
	pid_t child, main_tid;
	char main_state, child_state;
	char main_wchan[64], child_wchan[64];
	double stuck_s;
};

/* DOC: queue-put
 * The child's put: what Python's Queue feeder thread does with the
 * pickled items, write them into the pipe.  A write to a full pipe
 * sleeps until a reader makes room (pipe(7)); until then the child cannot
 * finish and exit. */
static int
queue_putter(struct lab_worker *w)
{
	struct queue_job *q = w->arg;
	char chunk[4096];

	lab_set_name(w, "putter");
	close(q->fd[0]);
	memset(chunk, 'x', sizeof chunk);
	while (atomic_load(&q->sent) < q->total) {
		size_t left = q->total - atomic_load(&q->sent);
		ssize_t n;

		lab_step(w, "write to the pipe");
		n = write(q->fd[1], chunk, left < sizeof chunk ? left : sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		atomic_fetch_add(&q->sent, (size_t)n);
		lab_progress(w, atomic_load(&q->sent), q->total);
	}
	close(q->fd[1]);
	return 0;
}

/* The kernel function a task sleeps in (/proc/<pid>/task/<tid>/wchan),
 * e.g. do_wait or pipe_write; "0" when it runs. */
static void
task_wchan(pid_t pid, pid_t tid, char *buf, size_t len)
{
	char path[96];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof path, "/proc/%d/task/%d/wchan", (int)pid, (int)tid);
	if ((f = fopen(path, "r"))) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	if (!n)
		snprintf(buf, len, "?");
}

static char
task_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512], *p;
	FILE *f;
	size_t n;
	char st = 0;

	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')))
		sscanf(p + 1, " %c", &st);
	return st;
}

/* DOC: queue-watchdog
 * The lesson's watchdog, a thread of the main process: every 10 ms it
 * looks at the bytes written and read.  When they have not moved for
 * --watchdog seconds and both the main thread and the child sleep in the
 * kernel (state S), nothing can ever move them: a deadlock.  It notes
 * where each sleeps and kills the child, which ends the main's wait. */
static void *
queue_watchdog(void *p)
{
	struct queue_job *q = p;
	size_t last = (size_t)-1;
	uint64_t since = board_now_ns();

	while (!atomic_load(&q->over)) {
		size_t now = atomic_load(&q->sent) + atomic_load(&q->got);
		char ms = task_state(getpid(), q->main_tid);
		char cs = task_state(q->child, q->child);

		if (now != last || ms != 'S' || cs != 'S') {
			last = now;
			since = board_now_ns();
		} else if ((double)(board_now_ns() - since) / 1e9 >= watchdog_s) {
			q->main_state = ms;
			q->child_state = cs;
			task_wchan(getpid(), q->main_tid, q->main_wchan, sizeof q->main_wchan);
			task_wchan(q->child, q->child, q->child_wchan, sizeof q->child_wchan);
			q->stuck_s = (double)(board_now_ns() - since) / 1e9;
			atomic_store(&q->deadlocked, true);
			kill(q->child, SIGKILL);
			break;
		}
		nap(0.01);
	}
	return NULL;
}

/* How much a pipe holds: what F_GETPIPE_SZ says, and what fits when it
 * is filled without blocking (pipe(7): 65536 bytes by default since
 * Linux 2.6.11). */
static void
pipe_capacity(long *said, long *filled)
{
	int fd[2];
	char chunk[4096] = { 0 };
	ssize_t n;

	*said = *filled = -1;
	if (pipe2(fd, O_NONBLOCK) < 0)
		return;
	*said = fcntl(fd[1], F_GETPIPE_SZ);
	*filled = 0;
	while ((n = write(fd[1], chunk, sizeof chunk)) > 0)
		*filled += n;
	while ((n = write(fd[1], chunk, 1)) > 0)
		*filled += n;
	close(fd[0]);
	close(fd[1]);
}

/* Wait until the child has ended, as Python's p.join() does (a blocking
 * waitpid in popen_fork.py).  WNOWAIT leaves it unreaped, for lab_join. */
static void
wait_child_end(pid_t pid)
{
	siginfo_t si;

	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
}

static void
drain(struct queue_job *q)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(q->fd[0], buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		atomic_fetch_add(&q->got, (size_t)n);
	}
}

static void
scene_queue(void)
{
	struct queue_job *q = lab_shared_alloc(&lab, sizeof *q);
	bool join_first = strcmp(queue_order, "join-get") == 0;
	long said, filled;
	struct lab_team *t;
	pthread_t dog;
	char st[64];

	pipe_capacity(&said, &filled);
	lab_say(&lab, "\n== a queue joined %s it is drained (%s)\n",
	        join_first ? "before" : "after", queue_order);
	lab_say(&lab, "  a pipe holds %ld bytes (F_GETPIPE_SZ), %ld fit when "
	        "filled\n  the child puts %d KiB\n", said, filled, queue_kib);
	q->total = (size_t)queue_kib * 1024;
	q->main_tid = gettid();
	if (pipe(q->fd) < 0)
		lab_die(&lab, "pipe:");
	t = lab_spawn_ex(&lab, LAB_PROCESS, 1, 1, queue_putter, q);
	close(q->fd[1]);
	q->child = t->w[0].pid;
	if (pthread_create(&dog, NULL, queue_watchdog, q))
		lab_die(&lab, "cannot start the watchdog");
	if (join_first) {
		lab_say(&lab, "  p.join() first: waitpid(%d) ...\n", (int)q->child);
		wait_child_end(q->child);
		if (!atomic_load(&q->deadlocked))
			drain(q);
	} else {
		lab_say(&lab, "  q.get() until the end, then p.join()\n");
		drain(q);
		wait_child_end(q->child);
	}
	atomic_store(&q->over, true);
	pthread_join(dog, NULL);
	lab_join(t);
	close(q->fd[0]);

	lab_json_str(&json, "queue_order", queue_order);
	lab_json_int(&json, "pipe_capacity", said);
	lab_json_int(&json, "pipe_filled", filled);
	lab_json_int(&json, "queue_bytes", (long long)q->total);
	lab_json_int(&json, "queue_sent", (long long)atomic_load(&q->sent));
	lab_json_int(&json, "queue_got", (long long)atomic_load(&q->got));
	lab_json_int(&json, "queue_status", t->w[0].status);
	lab_json_int(&json, "queue_deadlocked", atomic_load(&q->deadlocked));
	if (atomic_load(&q->deadlocked)) {
		lab_json_str(&json, "main_wchan", q->main_wchan);
		lab_json_str(&json, "child_wchan", q->child_wchan);
		lab_json_int(&json, "queue_asleep", (q->main_state == 'S') +
		             (q->child_state == 'S'));
		/* The main in waitid's do_wait, not any other wait (a futex,
		 * a read); the child in a pipe write: pipe_write,
		 * anon_pipe_write, or pipe_wait on kernels before 5.5. */
		lab_json_int(&json, "main_in_wait", strcmp(q->main_wchan, "do_wait") == 0);
		lab_json_int(&json, "child_in_pipe_write",
		             strstr(q->child_wchan, "pipe_write") != NULL ||
		             strcmp(q->child_wchan, "pipe_wait") == 0);
		lab_json_num(&json, "queue_stuck_s", q->stuck_s);
		lab_result(&lab, "  deadlock: nothing moved for %.2f s, both asleep "
		           "in the kernel:\n", q->stuck_s);
		lab_result(&lab, "    main  (%c) in %s: waits for the child to end\n",
		           q->main_state, q->main_wchan);
		lab_result(&lab, "    child (%c) in %s: waits for room in the pipe\n",
		           q->child_state, q->child_wchan);
		lab_result(&lab, "    the child wrote %zu of %zu bytes\n",
		           atomic_load(&q->sent), q->total);
		lab_result(&lab, "  the watchdog killed the child; exit %d\n",
		           LAB_EXIT_DEADLOCK);
		fprintf(stderr, "%s: deadlock: the main waits for the child in %s, "
		        "the child for room in the pipe in %s: stopped it\n",
		        lab.prog, q->main_wchan, q->child_wchan);
	} else {
		lab_result(&lab, "  got %zu of %zu bytes, then the child was %s\n",
		           atomic_load(&q->got), q->total,
		           lab_status_text(t->w[0].status, st, sizeof st));
	}
	if (atomic_load(&q->deadlocked)) {
		/* The lab's convention for a run that got stuck: the record,
		 * then exit 3. */
		lab_json_num(&json, "elapsed_ms", lab_elapsed_ms(&lab));
		lab_run_end(&lab);
		if (lab.o.json)
			lab_json_end(&json);
		fflush(stdout);
		lab_team_free(t);
		exit(LAB_EXIT_DEADLOCK);
	}
	lab_team_free(t);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} scenes[] = {
		{ "join", scene_join },
		{ "terminate", scene_terminate },
		{ "zombie", scene_zombie },
		{ "orphan", scene_orphan },
		{ "daemon", scene_daemon },
		{ "children", scene_children },
		{ "queue", scene_queue },
	};

	lab_init(&lab, &lesson, argc, argv);
	if (lab.o.workers > 32)
		lab_usage_error(&lab, "--workers: at most 32 here");
	sh = lab_shared_alloc(&lab, sizeof *sh);
	lab_say(&lab, "lesson: pid %d\n", (int)getpid());
	for (int run = 1; run <= lab.o.runs; run++) {
		lab_run_begin(&lab, run);
		lab_json_begin(&json);
		lab_json_int(&json, "run", run);
		lab_json_str(&json, "demo", demo);
		lab_json_int(&json, "pid", getpid());
		lab_json_int(&json, "workers", lab.o.workers);
		for (size_t i = 0; i < sizeof scenes / sizeof scenes[0]; i++)
			if (strcmp(demo, "all") == 0 || strcmp(demo, scenes[i].name) == 0)
				scenes[i].fn();
		lab_json_num(&json, "elapsed_ms", lab_elapsed_ms(&lab));
		lab_run_end(&lab);
		if (lab.o.json)
			lab_json_end(&json);
	}
	return 0;
}
