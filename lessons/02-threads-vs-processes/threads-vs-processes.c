// Lesson 02: threads vs processes — one memory space or two, and the cost.
//
// A thread runs inside its creator's process: same memory, same PID, its
// own kernel thread id (TID).  A process made by fork() gets a copy of its
// parent's memory, copy-on-write: at first both share every page read-only,
// and the first write by either side gives the writer its own copy of that
// page.  So a global changed by a forked child is still unchanged in the
// parent, at the very same virtual address; changed by a thread, the parent
// sees it at once.
//
// Three demos (--demo all runs them in turn):
//   memory  a process worker and a thread worker each change one global
//   ids     threads and processes report PID and TID, alive for --hold s
//   cost    create --count threads, processes (fork+wait) and posix_spawn
//           children of /bin/true, one at a time, and time each kind
//   crash   (not part of all: it crashes on purpose) worker --crash K
//           dereferences NULL: as a thread it takes its whole process
//           down, the other threads' work with it; as a process only
//           itself, and its siblings finish
#include "lab/lab.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *demo = "all";
static double hold_s = 0.5;
static int count = 200;
static int heap_mb;
static int crash_no = 2;
static int units = 10;
static double unit_ms = 20;

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo, "all|memory|ids|cost|crash",
	  "which demo to run (default all: memory, ids, cost)", 0, 0 },
	{ "hold", LAB_OPT_DOUBLE, &hold_s, "S",
	  "ids demo: seconds each worker stays alive (default 0.5)", 0, 60 },
	{ "count", LAB_OPT_INT, &count, "N",
	  "cost demo: how many of each kind to create (default 200)", 1, 100000 },
	{ "heap", LAB_OPT_INT, &heap_mb, "MB",
	  "cost demo: touch this much private memory first; fork copies "
	  "its page tables (default 0)", 0, 4096 },
	{ "crash", LAB_OPT_INT, &crash_no, "K",
	  "crash demo: worker K dereferences NULL halfway (0: none; default 2)",
	  0, 64 },
	{ "units", LAB_OPT_INT, &units, "N",
	  "crash demo: units of work per worker (default 10)", 2, 10000 },
	{ "unit-ms", LAB_OPT_DOUBLE, &unit_ms, "MS",
	  "crash demo: milliseconds per unit (default 20)", 0, 1000 },
	{ 0 },
};

/* Every run shows both kinds side by side, so there is no --mode. */
static const struct lab_lesson lesson = {
	.slug = "threads-vs-processes",
	.title = "Threads vs processes: one memory space or two, and what each costs",
	.about = "memory: a global written by a forked child stays unchanged in the parent\n"
	         "(same address: copy-on-write); written by a thread, the parent sees it.\n"
	         "ids: threads share the PID and differ in TID; processes differ in PID.\n"
	         "cost: time to create and reap a thread, a fork()ed process, a posix_spawn()ed program.\n"
	         "crash: a NULL dereference kills a thread's whole process, a process only itself.",
	.workers = 2,
	.mode = LAB_THREAD,
	.modes = LAB_MODES_THREAD_ONLY,
	.runs = 1,
	.options = options,
};

/* DOC: the-global
 * An ordinary global in this program's data segment.  Not shared memory:
 * whoever can see it depends on whether they share our address space. */
static long lesson_global = 1;

/* What a worker reports back.  This lives in lab_shared_alloc memory,
 * which IS shared with process workers: it is the lesson's own channel,
 * not the thing under study. */
struct report {
	uintptr_t addr; /* &lesson_global as the worker sees it */
	long before, after;
	pid_t pid, ppid, tid;
};

struct memory_result {
	uintptr_t addr_parent, addr_process, addr_thread;
	long start, process_wrote, after_process, thread_wrote, after_thread;
	pid_t process_pid, thread_tid;
};

static int
write_global(struct lab_worker *w)
{
	struct report *r = w->arg;

	/* DOC: cow-write
	 * In a forked child this store faults: the page is shared read-only
	 * with the parent since fork(), so the kernel copies it and maps the
	 * copy at the same virtual address, for the child alone. */
	lab_step(w, "read global");
	r->before = lesson_global;
	lab_step_val(w, "write global", w->mode == LAB_PROCESS ? 100 : 200);
	lesson_global = w->mode == LAB_PROCESS ? 100 : 200;
	r->after = lesson_global;
	r->addr = (uintptr_t)&lesson_global;
	r->pid = getpid();
	r->tid = gettid();
	lab_say(w->lab, "  %s worker (pid %d, tid %d): global at %p was %ld, now %ld\n",
	        lab_mode_name(w->mode), (int)r->pid, (int)r->tid,
	        (void *)&lesson_global, r->before, r->after);
	return 0;
}

static void
demo_memory(struct lab *lab, struct report *rep, struct memory_result *m)
{
	struct lab_team *t;
	/* What the parent reads after joining the process worker, on the
	 * board: the number a student predicts before the run. */
	struct board_counter *reads = lab_counter(lab, "parent reads", 1);

	lab_counter_kind(reads, BOARD_COUNTER_GAUGE);

	lesson_global = 1;
	m->start = lesson_global;
	m->addr_parent = (uintptr_t)&lesson_global;
	lab_say(lab, "memory: the parent (pid %d) has a global at %p = %ld\n",
	        (int)getpid(), (void *)&lesson_global, lesson_global);

	/* DOC: fork-isolation: the child writes its own copy. */
	t = lab_spawn_ex(lab, LAB_PROCESS, 1, 1, write_global, &rep[0]);
	if (lab_join(t) != LAB_JOIN_OK)
		lab_die(lab, "the process worker failed");
	lab_team_free(t);
	m->addr_process = rep[0].addr;
	m->process_wrote = rep[0].after;
	m->process_pid = rep[0].pid;
	m->after_process = lesson_global;
	lab_counter_set(reads, lesson_global);
	lab_result(lab, "  parent after joining the process: global at %p = %ld (%s)\n",
	        (void *)&lesson_global, lesson_global,
	        lesson_global == m->start ? "unchanged: the child wrote its own copy"
	                                  : "changed?!");

	/* DOC: thread-sharing: the thread writes the parent's own memory. */
	t = lab_spawn_ex(lab, LAB_THREAD, 2, 1, write_global, &rep[1]);
	if (lab_join(t) != LAB_JOIN_OK)
		lab_die(lab, "the thread worker failed");
	lab_team_free(t);
	m->addr_thread = rep[1].addr;
	m->thread_wrote = rep[1].after;
	m->thread_tid = rep[1].tid;
	m->after_thread = lesson_global;
	lab_result(lab, "  parent after joining the thread:  global at %p = %ld (%s)\n",
	        (void *)&lesson_global, lesson_global,
	        lesson_global == m->thread_wrote ? "the thread's write is visible"
	                                         : "not visible?!");
}

/* The ids demo: each worker reports who it is, then stays alive for
 * --hold seconds so the Processes panel (or ps -eLf) can show it. */
static int
who_am_i(struct lab_worker *w)
{
	struct report *r = (struct report *)w->arg + (w->no - 1);

	r->pid = getpid();
	r->ppid = getppid();
	r->tid = gettid();
	lab_step(w, "hold");
	lab_sleep(w, hold_s);
	return 0;
}

static void
demo_ids(struct lab *lab, struct report *rep)
{
	int n = lab->o.workers;
	struct lab_team *threads, *procs;

	lab_say(lab, "ids: %d thread workers and %d process workers, alive for %g s\n",
	        n, n, hold_s);
	/* Both teams at once, so the panel shows them side by side. */
	threads = lab_spawn_ex(lab, LAB_THREAD, 1, n, who_am_i, rep);
	procs = lab_spawn_ex(lab, LAB_PROCESS, n + 1, n, who_am_i, rep);
	if (lab_join(threads) != LAB_JOIN_OK || lab_join(procs) != LAB_JOIN_OK)
		lab_die(lab, "a worker failed");
	lab_result(lab, "  %-8s %-7s %8s %8s %8s\n", "worker", "kind", "PID", "TID",
	        "PPID");
	lab_result(lab, "  %-8s %-7s %8d %8d %8d\n", "main", "-", (int)getpid(),
	        (int)gettid(), (int)getppid());
	for (int i = 0; i < 2 * n; i++)
		lab_result(lab, "  %-8d %-7s %8d %8d %8d\n", i + 1,
		        i < n ? "thread" : "process", (int)rep[i].pid,
		        (int)rep[i].tid, (int)rep[i].ppid);
	lab_team_free(threads);
	lab_team_free(procs);
}


/* ---- crash --------------------------------------------------------- */

/* One per worker, in lab_shared_alloc memory: what the lesson's main can
 * still read after the worker's process has died. */
struct crash_slot {
	_Atomic int units_done;  /* progress, written after every unit */
	_Atomic bool delivered;  /* its result reached the lesson's main */
	long long result;
	int status;              /* how its process ended (-signal) */
};

struct crash_job {
	struct crash_slot *slot;
	long long *kept; /* thread team: results in the team process's memory */
	int first;       /* the board number of the team's first worker */
	int n;
};

/* Volatile, so the compiler cannot see that it is NULL and replace the
 * store with a trap instruction: this is a real page fault. */
static int *volatile nowhere;

/* DOC: crash-null
 * The crash itself: a store through a NULL pointer.  Page 0 is mapped by
 * no one, the MMU faults, and the kernel sends SIGSEGV to this thread.
 * Its default action ends the whole process, every thread of it
 * (signal(7): "terminate the process and dump core").  No core file: the
 * soft RLIMIT_CORE is set to 0 (core(5)), and the process is made not
 * dumpable (prctl(2) PR_SET_DUMPABLE), which covers a core_pattern that
 * pipes to a program (RLIMIT_CORE is not enforced for those). */
static _Noreturn void
crash(struct lab_worker *w)
{
	const struct rlimit none = { 0, 0 };

	lab_step(w, "dereference NULL");
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0);
	*nowhere = 1;
	abort(); /* not reached */
}

/* A worker: --units units of work, --unit-ms each.  Worker --crash (its
 * place in the team) crashes halfway.  The result is the worker's own
 * until it is delivered: a process delivers it itself when it is done; a
 * thread leaves it in its process's memory, and the team process
 * delivers them all after joining its threads, as a program collects its
 * threads' results after join. */
static int
crash_worker(struct lab_worker *w)
{
	struct crash_job *job = w->arg;
	int k = w->no - job->first;
	struct crash_slot *sl = &job->slot[k];
	long long result = 0;

	for (int i = 0; i < units; i++) {
		if (k + 1 == crash_no && i == units / 2)
			crash(w);
		lab_step_val(w, "work unit", i + 1);
		lab_sleep(w, unit_ms / 1e3);
		result += i + 1;
		atomic_store(&sl->units_done, i + 1);
		lab_progress(w, (uint64_t)i + 1, (uint64_t)units);
	}
	if (w->mode == LAB_PROCESS) {
		sl->result = result;
		atomic_store(&sl->delivered, true);
	} else {
		job->kept[k] = result;
	}
	return 0;
}

/* DOC: thread-team
 * The thread team runs inside a process of its own, forked from the
 * lesson, so that the lesson survives the crash to report it: its n
 * threads are workers 2..n+1 of the board, this process is worker 1. */
static int
thread_team(struct lab_worker *w)
{
	struct crash_job *job = w->arg;
	struct lab_team *t;

	lab_set_name(w, "thread team");
	job->kept = calloc((size_t)job->n, sizeof *job->kept);
	if (!job->kept)
		return 1;
	t = lab_spawn_ex(w->lab, LAB_THREAD, job->first, job->n, crash_worker, job);
	if (lab_join(t) != LAB_JOIN_OK)
		return 1;
	for (int k = 0; k < job->n; k++) {
		job->slot[k].result = job->kept[k];
		atomic_store(&job->slot[k].delivered, true);
	}
	lab_team_free(t);
	return 0;
}

struct crash_result {
	int n, team_status;
	int thread_units[64], process_units[64], process_status[64];
	int thread_delivered, process_delivered, process_killed, thread_killed;
	int team_pid;
};

static int
delivered(const struct crash_slot *sl, int n)
{
	int d = 0;

	for (int k = 0; k < n; k++)
		d += atomic_load(&sl[k].delivered);
	return d;
}

static void
print_team(const struct lab *lab, const struct crash_slot *sl, int n,
           int first, const int *status)
{
	char buf[64];

	for (int k = 0; k < n; k++) {
		int u = atomic_load(&sl[k].units_done);

		lab_result(lab, "    w%d: %s, had done %d of %d units, result %s\n",
		           first + k, lab_status_text(status[k], buf, sizeof buf), u,
		           units, atomic_load(&sl[k].delivered) ? "delivered" : "lost");
	}
}

static void
demo_crash(struct lab *lab, struct crash_slot *slot, struct crash_result *r)
{
	int n = lab->o.workers;
	struct crash_job job = { .slot = slot, .first = 2, .n = n };
	struct lab_team *t;
	int status[64];
	char buf[64];

	r->n = n;
	memset(slot, 0, 2 * (size_t)n * sizeof *slot);
	if (crash_no)
		lab_say(lab, "crash: 2 teams of %d x %d units; w%d, then w%d, "
		        "dereference NULL after %d\n", n, units, 1 + crash_no,
		        n + 1 + crash_no, units / 2);
	else
		lab_say(lab, "crash: two teams of %d workers, %d units each; no one "
		        "crashes\n", n, units);

	t = lab_spawn_ex(lab, LAB_PROCESS, 1, 1, thread_team, &job);
	(void)lab_join(t);
	r->team_status = t->w[0].status;
	r->team_pid = t->w[0].pid;
	/* The threads died with their process; the board still shows them
	 * where they were: mark the ones that had not ended as killed by
	 * the same signal. */
	for (int k = 0; k < n; k++) {
		struct board_actor *a = &lab->board->actor[job.first + k];
		uint32_t s = atomic_load(&a->state);
		bool ended = s == BOARD_ST_DONE || s == BOARD_ST_FAILED;

		status[k] = ended ? 0 : r->team_status;
		if (!ended && r->team_status < 0) {
			atomic_store(&a->exit_code, r->team_status);
			board_actor_state(a, BOARD_ST_KILLED);
		}
		r->thread_killed += !ended && r->team_status < 0;
		r->thread_units[k] = atomic_load(&slot[k].units_done);
	}
	r->thread_delivered = delivered(slot, n);
	lab_team_free(t);
	lab_result(lab, "  %d threads in w1 (pid %d): %s; %d of %d "
	           "results delivered\n", n, r->team_pid,
	           lab_status_text(r->team_status, buf, sizeof buf),
	           r->thread_delivered, n);
	print_team(lab, slot, n, job.first, status);

	job = (struct crash_job){ .slot = slot + n, .first = n + 2, .n = n };
	t = lab_spawn_ex(lab, LAB_PROCESS, job.first, n, crash_worker, &job);
	(void)lab_join(t);
	for (int k = 0; k < n; k++) {
		status[k] = r->process_status[k] = t->w[k].status;
		r->process_killed += t->w[k].status < 0;
		r->process_units[k] = atomic_load(&slot[n + k].units_done);
	}
	r->process_delivered = delivered(slot + n, n);
	lab_team_free(t);
	lab_result(lab, "  %d processes (w%d-w%d): %d killed, %d of %d results delivered\n",
	           n, job.first, job.first + n - 1, r->process_killed,
	           r->process_delivered, n);
	print_team(lab, slot + n, n, job.first, status);
}

/* ---- cost ---------------------------------------------------------- */

static void *
empty_thread(void *p)
{
	return p;
}

/* Each creation is timed alone too: the fastest one is what the machine
 * can do, the mean what it did; a busy machine inflates the mean (one
 * preemption can double a short run's) and leaves the fastest alone. */
struct timing {
	double mean_us, min_us;
};

static void
lap(uint64_t *t, uint64_t *best)
{
	uint64_t now = board_now_ns();

	if (now - *t < *best)
		*best = now - *t;
	*t = now;
}

static struct timing
timing_of(uint64_t t0, uint64_t best, int n)
{
	return (struct timing){ (double)(board_now_ns() - t0) / 1e3 / n,
	                        (double)best / 1e3 };
}

static struct timing
time_threads(struct lab *lab, int n)
{
	uint64_t best = UINT64_MAX;
	uint64_t t0 = board_now_ns(), t = t0;

	/* DOC: cost-thread: a new stack and a kernel task in our own
	 * address space; nothing to copy. */
	for (int i = 0; i < n; i++) {
		pthread_t th;
		int e = pthread_create(&th, NULL, empty_thread, NULL);

		if (e) {
			errno = e;
			lab_die(lab, "pthread_create:");
		}
		pthread_join(th, NULL);
		lap(&t, &best);
	}
	return timing_of(t0, best, n);
}

static struct timing
time_forks(struct lab *lab, int n)
{
	uint64_t best = UINT64_MAX;
	pid_t self = getpid();
	uint64_t t0 = board_now_ns(), t = t0;

	/* DOC: cost-fork: a new address space whose page tables are a copy
	 * of ours (every private writable page marked copy-on-write), new file table, new
	 * signal state; then exit and reap. */
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			lab_die(lab, "fork:");
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self)
				_exit(1);
			_exit(0);
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		lap(&t, &best);
	}
	return timing_of(t0, best, n);
}

static const char *
true_path(void)
{
	return access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true";
}

static struct timing
time_spawns(struct lab *lab, int n)
{
	uint64_t best = UINT64_MAX;
	char *argv[] = { (char *)"true", NULL };
	const char *path = true_path();
	uint64_t t0 = board_now_ns(), t = t0;

	/* DOC: cost-spawn: glibc's posix_spawn uses clone(CLONE_VM|CLONE_VFORK),
	 * so it does not copy our page tables, but the child then execs a
	 * new program: the kernel loads it, the dynamic linker maps libc. */
	for (int i = 0; i < n; i++) {
		pid_t pid;
		int e = posix_spawn(&pid, path, NULL, NULL, argv, environ), st;

		if (e) {
			errno = e;
			lab_die(lab, "posix_spawn %s:", path);
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		lap(&t, &best);
	}
	return timing_of(t0, best, n);
}

struct cost_result {
	double thread_us, fork_us, spawn_us;
	double thread_min_us, fork_min_us, spawn_min_us;
};

static void
demo_cost(struct lab *lab, struct cost_result *c)
{
	int n = count;

	lab_say(lab, "cost: create and reap %d of each, one at a time\n", n);
	if (heap_mb)
		lab_say(lab, "  (the parent has %d MB of touched private memory)\n",
		        heap_mb);
	struct timing th = time_threads(lab, n), fk = time_forks(lab, n),
	              sp = time_spawns(lab, n);

	c->thread_us = th.mean_us;
	c->thread_min_us = th.min_us;
	c->fork_us = fk.mean_us;
	c->fork_min_us = fk.min_us;
	c->spawn_us = sp.mean_us;
	c->spawn_min_us = sp.min_us;

	/* The tutorial's "comparing overheads", with this machine's numbers. */
	lab_result(lab, "\n  Comparing overheads (measured here, %d CPU%s)\n", lab->ncpu,
	        lab->ncpu == 1 ? "" : "s");
	lab_result(lab, "  %-34s %12s %12s %10s\n", "", "per creation", "total",
	        "vs thread");
	lab_result(lab, "  %-34s %9.1f us %9.2f ms %9.1fx\n", "thread (pthread_create+join)",
	        c->thread_us, c->thread_us * n / 1e3, 1.0);
	lab_result(lab, "  %-34s %9.1f us %9.2f ms %9.1fx\n", "process (fork+waitpid)",
	        c->fork_us, c->fork_us * n / 1e3, c->fork_us / c->thread_us);
	lab_result(lab, "  %-34s %9.1f us %9.2f ms %9.1fx\n", "program (posix_spawn /bin/true)",
	        c->spawn_us, c->spawn_us * n / 1e3, c->spawn_us / c->thread_us);
	lab_result(lab, "  memory space: a thread shares its creator's; a process gets a\n"
	            "  copy-on-write copy (the memory demo); a spawned program a new one\n");
}

/* Touch heap_mb of private memory so fork has page tables to copy.
 * Huge pages are refused for it: with them 2 MB cost one table entry
 * instead of 512, and the growth of fork's cost would hide. */
static void
grow_heap(struct lab *lab)
{
	size_t len = (size_t)heap_mb << 20;
	char *p;

	if (!len)
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	         -1, 0);
	if (p == MAP_FAILED)
		lab_die(lab, "cannot map %d MB:", heap_mb);
	madvise(p, len, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	/* Kept for the life of the program, on purpose. */
}

static void
print_json(struct lab *lab, int run, bool mem, const struct memory_result *m,
           bool ids, const struct report *rep, bool cost,
           const struct cost_result *c, bool cr, const struct crash_result *x)
{
	int n = lab->o.workers;
	long long v[2 * BOARD_MAX_WORKERS];
	char addr[32];
	struct lab_json j;

	lab_json_begin(&j);
	lab_json_int(&j, "run", run);
	lab_json_str(&j, "demo", demo);
	lab_json_int(&j, "parent_pid", getpid());
	if (mem) {
		snprintf(addr, sizeof addr, "%#lx", (unsigned long)m->addr_parent);
		lab_json_str(&j, "addr_parent", addr);
		snprintf(addr, sizeof addr, "%#lx", (unsigned long)m->addr_process);
		lab_json_str(&j, "addr_process", addr);
		snprintf(addr, sizeof addr, "%#lx", (unsigned long)m->addr_thread);
		lab_json_str(&j, "addr_thread", addr);
		lab_json_bool(&j, "same_address", m->addr_parent == m->addr_process &&
		                                  m->addr_parent == m->addr_thread);
		lab_json_int(&j, "global_start", m->start);
		lab_json_int(&j, "process_wrote", m->process_wrote);
		lab_json_int(&j, "parent_after_process", m->after_process);
		lab_json_int(&j, "thread_wrote", m->thread_wrote);
		lab_json_int(&j, "parent_after_thread", m->after_thread);
		lab_json_int(&j, "process_pid", m->process_pid);
		lab_json_int(&j, "thread_tid", m->thread_tid);
	}
	if (ids) {
		lab_json_int(&j, "workers", n);
		lab_json_num(&j, "hold_s", hold_s);
		for (int i = 0; i < n; i++)
			v[i] = rep[i].pid;
		lab_json_int_array(&j, "thread_pids", v, n);
		for (int i = 0; i < n; i++)
			v[i] = rep[i].tid;
		lab_json_int_array(&j, "thread_tids", v, n);
		for (int i = 0; i < n; i++)
			v[i] = rep[n + i].pid;
		lab_json_int_array(&j, "process_pids", v, n);
		for (int i = 0; i < n; i++)
			v[i] = rep[n + i].ppid;
		lab_json_int_array(&j, "process_ppids", v, n);
	}
	if (cost) {
		lab_json_int(&j, "count", count);
		lab_json_int(&j, "heap_mb", heap_mb);
		lab_json_int(&j, "cpus", lab->ncpu);
		lab_json_num(&j, "thread_us", c->thread_us);
		lab_json_num(&j, "fork_us", c->fork_us);
		lab_json_num(&j, "spawn_us", c->spawn_us);
		lab_json_num(&j, "thread_min_us", c->thread_min_us);
		lab_json_num(&j, "fork_min_us", c->fork_min_us);
		lab_json_num(&j, "spawn_min_us", c->spawn_min_us);
		lab_json_num(&j, "fork_vs_thread", c->fork_us / c->thread_us);
		lab_json_num(&j, "spawn_vs_thread", c->spawn_us / c->thread_us);
	}
	if (cr) {
		lab_json_int(&j, "workers", x->n);
		lab_json_int(&j, "crash", crash_no);
		/* The workers that do not crash. */
		lab_json_int(&j, "siblings", x->n - (crash_no > 0));
		lab_json_int(&j, "units", units);
		lab_json_int(&j, "thread_team_pid", x->team_pid);
		lab_json_int(&j, "thread_team_status", x->team_status);
		lab_json_int(&j, "thread_killed", x->thread_killed);
		lab_json_int(&j, "thread_delivered", x->thread_delivered);
		for (int i = 0; i < x->n; i++)
			v[i] = x->thread_units[i];
		lab_json_int_array(&j, "thread_units_done", v, x->n);
		for (int i = 0; i < x->n; i++)
			v[i] = x->process_status[i];
		lab_json_int_array(&j, "process_status", v, x->n);
		lab_json_int(&j, "process_killed", x->process_killed);
		lab_json_int(&j, "process_delivered", x->process_delivered);
		for (int i = 0; i < x->n; i++)
			v[i] = x->process_units[i];
		lab_json_int_array(&j, "process_units_done", v, x->n);
	}
	lab_json_num(&j, "elapsed_ms", lab_elapsed_ms(lab));
	lab_json_end(&j);
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct report *rep;
	bool all, mem, ids, cost, cr;
	struct crash_slot *slot = NULL;

	lab_init(&lab, &lesson, argc, argv);
	all = strcmp(demo, "all") == 0;
	mem = all || strcmp(demo, "memory") == 0;
	ids = all || strcmp(demo, "ids") == 0;
	cost = all || strcmp(demo, "cost") == 0;
	cr = strcmp(demo, "crash") == 0;
	if (cr && lab.o.workers > 64)
		lab_usage_error(&lab, "--workers: at most 64 in the crash demo");
	if (cr && 2 * lab.o.workers + 1 > BOARD_MAX_WORKERS)
		lab_usage_error(&lab, "--workers: at most %d here",
		                (BOARD_MAX_WORKERS - 1) / 2);
	if (cr && crash_no > lab.o.workers)
		lab_usage_error(&lab, "--crash: worker %d of %d", crash_no,
		                lab.o.workers);
	if (cr)
		slot = lab_shared_alloc(&lab, 2 * (size_t)lab.o.workers * sizeof *slot);
	if (ids && 2 * lab.o.workers > BOARD_MAX_WORKERS)
		lab_usage_error(&lab, "--workers: at most %d here (twice that many workers run)",
		                BOARD_MAX_WORKERS / 2);
	if (ids && lab.o.workers > LAB_MAX_PROCESSES)
		lab_usage_error(&lab, "--workers: at most %d here (as many processes run)",
		                LAB_MAX_PROCESSES);
	rep = lab_shared_alloc(&lab, 2 * (size_t)lab.o.workers * sizeof *rep);
	grow_heap(&lab);
	for (int run = 1; run <= lab.o.runs; run++) {
		struct memory_result m = { 0 };
		struct cost_result c = { 0 };
		struct crash_result x = { 0 };

		lab_run_begin(&lab, run);
		if (mem)
			demo_memory(&lab, rep, &m);
		if (mem && (ids || cost))
			lab_say(&lab, "\n");
		if (ids) {
			memset(rep, 0, 2 * (size_t)lab.o.workers * sizeof *rep);
			demo_ids(&lab, rep);
		}
		if (ids && cost)
			lab_say(&lab, "\n");
		if (cost)
			demo_cost(&lab, &c);
		if (cr)
			demo_crash(&lab, slot, &x);
		lab_run_end(&lab);
		if (lab.o.json)
			print_json(&lab, run, mem, &m, ids, rep, cost, &c, cr, &x);
	}
	return 0;
}
