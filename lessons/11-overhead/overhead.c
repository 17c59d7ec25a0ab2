// Lesson 11: the cost of too many workers, and of starting them.
//
// Three measurements, each a claim from the tutorials made concrete:
//  1. workers: the same total work split over 1, 2, 4, ... --max-workers
//     workers.  Throughput rises until the workers fill the cores, then
//     stops rising: more workers only take turns, and every worker costs
//     a start, a stop and context switches (counted with getrusage).
//  2. memory: what one more idle thread costs (the process's resident
//     memory grows a little) against one more process (its own page
//     tables and every page it writes, read from /proc/<pid>/smaps_rollup).
//  3. fork: how long it takes to start a program as the parent grows.
//  4. switch (not in all): the price of one context switch, by pipe
//     ping-pong on one CPU, times the switches a team of workers made.
//     fork() copies the parent's page tables, so it gets slower with every
//     megabyte the parent has touched; vfork() and posix_spawn() share
//     the parent's memory until the child calls exec, so they do not
//     ("A fork() in the road", Baumann et al., HotOS 2019).  Python's
//     start methods map onto these: 'fork' is fork(), 'spawn' starts a
//     fresh interpreter, as fork+exec or posix_spawn start a fresh program.
#include "lab/lab.h"
#include "lab/lab_math.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_ENV "RACELAB_OVERHEAD_CHILD" /* set: exit at once (exec target) */
#define MAX_COUNTS 24
#define MAX_SIZES 16

extern char **environ;

static int opt_max_workers = 256;
static long opt_work = 120000000;
static const char *opt_part = "all";
static int opt_max_mib = 512;
static int opt_reps = 7;
static int opt_idle = 16;
static bool opt_huge;
static int opt_buffer_mib;
static bool opt_cow;

static const struct lab_option options[] = {
	{ "max-workers", LAB_OPT_INT, &opt_max_workers, "N",
	  "split the work over 1, 2, 4, ... up to N workers (default 256)", 1, 1024 },
	{ "work", LAB_OPT_LONG, &opt_work, "N",
	  "total work: sum the squares of 1..N (default 120000000)", 1, 10000000000.0 },
	{ "part", LAB_OPT_CHOICE, &opt_part, "all|workers|memory|fork|switch",
	  "which measurement to make (default all)", 0, 0 },
	{ "idle", LAB_OPT_INT, &opt_idle, "N",
	  "idle threads and processes to measure memory with (default 16)", 1, 128 },
	{ "buffer", LAB_OPT_INT, &opt_buffer_mib, "MIB",
	  "memory: the parent fills a buffer of this many MiB before the idle "
	  "workers start (default 0)", 0, 1024 },
	{ "cow", LAB_OPT_FLAG, &opt_cow, NULL,
	  "memory: each idle worker writes every page of that buffer "
	  "(a process gets its own copy: copy-on-write)", 0, 0 },
	{ "max-mib", LAB_OPT_INT, &opt_max_mib, "MIB",
	  "grow the parent up to this many MiB for the fork test (default 512)", 0, 4096 },
	{ "reps", LAB_OPT_INT, &opt_reps, "N",
	  "starts per method and size; the fastest is shown (default 7)", 1, 100 },
	{ "huge", LAB_OPT_FLAG, &opt_huge, NULL,
	  "let the parent's memory use 2 MiB huge pages (fewer page table entries)", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "overhead",
	.title = "Overhead: too many workers, memory per worker, and the cost of fork",
	.about = "Splits one job over 1..--max-workers workers and plots the throughput;\n"
	         "measures the memory of idle threads and processes; times fork, vfork\n"
	         "and posix_spawn as the parent grows to --max-mib MiB; prices a context\n"
	         "switch and multiplies it by a team's switches (--part switch).",
	.workers = 1,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

static void
nap_ms(double ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)((ms - (double)(long)(ms / 1000) * 1000) * 1e6) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --- 1. throughput against the number of workers -------------------- */

/* What each worker reports back, in shared memory. */
struct share {
	uint64_t first, count; /* its part of the terms */
	uint64_t done;         /* terms it really summed */
	lab_u128 sum;
	long nvcsw, nivcsw;    /* its context switches (getrusage) */
};

struct sweep {
	struct share *share;   /* one per worker of the current team */
	struct board_counter *terms;
};

static int
sweep_worker(struct lab_worker *w)
{
	struct sweep *sw = w->arg;
	struct share *s = &sw->share[w->no - 1];
	uint64_t slice = 1u << 20;
	struct rusage ru;

	lab_step_val(w, "sum my share", (int64_t)s->count);
	for (uint64_t i = 0; i < s->count;) {
		uint64_t n = s->count - i < slice ? s->count - i : slice;

		s->sum += lab_sum_squares(s->first + i, n);
		i += n;
		s->done = i;
		atomic_fetch_add_explicit(&sw->terms->value, (int64_t)n,
		                          memory_order_relaxed);
		lab_progress(w, i, s->count);
	}
	/* DOC: ctxsw: voluntary switches are waits (sleep, lock, I/O);
	 * involuntary ones are the scheduler taking the CPU away because
	 * another runnable worker's turn has come. */
	getrusage(RUSAGE_THREAD, &ru);
	s->nvcsw = ru.ru_nvcsw;
	s->nivcsw = ru.ru_nivcsw;
	return 0;
}

struct sweep_result {
	int n;
	int workers[MAX_COUNTS];
	double ms[MAX_COUNTS], mterms_s[MAX_COUNTS];
	double start_ms[MAX_COUNTS]; /* the same team with nothing to do */
	long long nvcsw[MAX_COUNTS], nivcsw[MAX_COUNTS];
	bool shares_ok, sum_ok;
	double switch_us;   /* one context switch, at most (ping-pong) */
	int at_ncpu;        /* the row whose worker count is the core count */
};

/* 1, 2, 4, ... up to max, with the core count and max itself added. */
static int
worker_counts(int max, int ncpu, int *out)
{
	int n = 0;

	for (int w = 1; w <= max && n < MAX_COUNTS - 2; w *= 2) {
		if (ncpu < w && ncpu > (n ? out[n - 1] : 0) && ncpu <= max)
			out[n++] = ncpu;
		out[n++] = w;
	}
	if (ncpu <= max && out[n - 1] < ncpu)
		out[n++] = ncpu;
	if (out[n - 1] < max)
		out[n++] = max;
	return n;
}

/* The echo side of a ping-pong: read a byte, write it back, until EOF. */
struct pingpong {
	int ping[2], pong[2];
};

static void
echo(struct pingpong *pp)
{
	char c;

	while (read(pp->ping[0], &c, 1) == 1 && write(pp->pong[1], &c, 1) == 1)
		;
}

static void *
echo_thread(void *p)
{
	echo(p);
	return NULL;
}

/* DOC: switch-cost
 * What one context switch costs: two tasks hand a byte back and forth
 * through two pipes, each sleeping in read until the other writes.  On
 * one CPU (`pinned`) every hand-over is a switch from one task to the
 * other: a round trip is two switches (and four pipe system calls,
 * counted in: so this is an upper bound).  Unpinned, on two CPUs, each
 * task can keep its own CPU and a hand-over is a wake-up on the other CPU
 * instead; but the task that waits in read still leaves its CPU, a
 * switch that getrusage counts: *per_trip (if not NULL) is how many our
 * side made per round trip in that batch.  The peer is a forked process
 * or a thread of ours (a switch between threads keeps the address
 * space).  The best of three batches of `rounds` round trips, in us per
 * hand-over; -1 if it could not run. */
static double
switch_cost_us(bool thread, bool pinned, int rounds, double *per_trip)
{
	cpu_set_t all, one;
	double best = -1;
	int cpu = -1;

	if (sched_getaffinity(0, sizeof all, &all) < 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
		if (CPU_ISSET(c, &all))
			cpu = c;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	/* The peer inherits the affinity of its creator, thread or process. */
	if (pinned && sched_setaffinity(0, sizeof one, &one) < 0)
		return -1;
	for (int batch = 0; batch < 3; batch++) {
		struct pingpong pp;
		struct rusage ru0, ru1;
		pthread_t th;
		uint64_t t0;
		pid_t pid = 0;
		bool ok = true;
		char c = 0;
		int st;

		if (pipe(pp.ping) < 0)
			break;
		if (pipe(pp.pong) < 0) {
			close(pp.ping[0]);
			close(pp.ping[1]);
			break;
		}
		if (thread) {
			ok = pthread_create(&th, NULL, echo_thread, &pp) == 0;
			if (!ok) { /* no peer: nothing to join */
				close(pp.ping[0]);
				close(pp.pong[1]);
				close(pp.ping[1]);
				close(pp.pong[0]);
				break;
			}
		} else {
			pid = fork();
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				close(pp.ping[1]);
				close(pp.pong[0]);
				echo(&pp);
				_exit(0);
			}
			ok = pid > 0;
			if (ok) {
				close(pp.ping[0]);
				close(pp.pong[1]);
			}
		}
		getrusage(RUSAGE_THREAD, &ru0);
		t0 = board_now_ns();
		for (int i = 0; ok && i < rounds; i++)
			if (write(pp.ping[1], &c, 1) != 1 || read(pp.pong[0], &c, 1) != 1)
				ok = false;
		if (ok) {
			double us = (double)(board_now_ns() - t0) / 1e3 / (2.0 * rounds);

			getrusage(RUSAGE_THREAD, &ru1);
			if (best < 0 || us < best) {
				best = us;
				if (per_trip)
					*per_trip = (double)(ru1.ru_nvcsw - ru0.ru_nvcsw +
					                     ru1.ru_nivcsw - ru0.ru_nivcsw) / rounds;
			}
		}
		close(pp.ping[1]); /* EOF: the peer ends */
		if (thread) {
			pthread_join(th, NULL);
			close(pp.ping[0]);
			close(pp.pong[1]);
		} else if (pid > 0) {
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
		}
		close(pp.pong[0]);
		if (!ok)
			break;
	}
	sched_setaffinity(0, sizeof all, &all);
	return best;
}

/* One team of w workers over `total` terms (0: nothing to do), timed from
 * before the first worker is made until the last one is reaped: starting
 * and stopping are part of the cost. */
static double
time_team(struct lab *lab, struct sweep *sw, int w, uint64_t total)
{
	struct lab_team *team;
	uint64_t t0;

	/* DOC: shares: worker i of w gets terms [i*N/w, (i+1)*N/w), so
	 * the shares add up to N exactly, whatever w is. */
	for (int i = 0; i < w; i++) {
		uint64_t a = lab_share_start(total, i, w);
		uint64_t b = lab_share_start(total, i + 1, w);

		sw->share[i] = (struct share){ .first = 1 + a, .count = b - a };
	}
	atomic_store(&sw->terms->value, 0);
	lab_counter_expect(sw->terms, (int64_t)total);
	lab_counter_kind(sw->terms, BOARD_COUNTER_COUNT);
	t0 = board_now_ns();
	team = lab_spawn_ex(lab, lab->o.mode, 1, w, sweep_worker, sw);
	if (lab_join(team) != LAB_JOIN_OK)
		lab_die(lab, "a worker failed");
	lab_team_free(team);
	return (double)(board_now_ns() - t0) / 1e6;
}

#define SWEEP_TRIES 3 /* each row: the best of this many */

static void
run_sweep(struct lab *lab, struct sweep *sw, struct sweep_result *r)
{
	uint64_t total = (uint64_t)opt_work;

	r->n = worker_counts(opt_max_workers, lab->ncpu, r->workers);
	r->shares_ok = r->sum_ok = true;
	r->at_ncpu = 0;
	for (int k = 0; k < r->n; k++)
		if (r->workers[k] <= lab->ncpu)
			r->at_ncpu = k;
	r->switch_us = switch_cost_us(false, true, 20000, NULL);
	for (int k = 0; k < r->n; k++) {
		int w = r->workers[k];

		r->ms[k] = r->start_ms[k] = -1;
		/* A single try of 40-100 ms is at the mercy of any other
		 * program: each row is the best of SWEEP_TRIES, and its
		 * switch counts are that try's. */
		for (int try = 0; try < SWEEP_TRIES; try++) {
			uint64_t sum_count = 0;
			lab_u128 sum = 0;
			long long nv = 0, niv = 0;
			double ms = time_team(lab, sw, w, total);

			for (int i = 0; i < w; i++) {
				sum_count += sw->share[i].done;
				sum += sw->share[i].sum;
				nv += sw->share[i].nvcsw;
				niv += sw->share[i].nivcsw;
			}
			if (sum_count != total)
				r->shares_ok = false;
			if (sum != lab_sum_squares_closed(total))
				r->sum_ok = false;
			if (r->ms[k] < 0 || ms < r->ms[k]) {
				r->ms[k] = ms;
				r->nvcsw[k] = nv;
				r->nivcsw[k] = niv;
			}
			/* DOC: start-reap: what the fall past the knee is made
			 * of.  The same number of workers with nothing to sum:
			 * the time is creating, scheduling and reaping them,
			 * nothing else. */
			ms = time_team(lab, sw, w, 0);
			if (r->start_ms[k] < 0 || ms < r->start_ms[k])
				r->start_ms[k] = ms;
		}
		r->mterms_s[k] = (double)total / (r->ms[k] * 1e3);
	}
}

static void
print_sweep(const struct lab *lab, const struct sweep_result *r)
{
	double best = 0;

	for (int k = 0; k < r->n; k++)
		if (r->mterms_s[k] > best)
			best = r->mterms_s[k];
	printf("\n1. The same work (%ld terms) split over more and more %s workers\n",
	       opt_work, lab_mode_name(lab->o.mode));
	printf("%8s %9s %11s %9s %9s %11s  %s\n", "workers", "time", "Mterms/s",
	       "vol.cs", "invol.cs", "start+reap", "throughput");
	for (int k = 0; k < r->n; k++) {
		int bar = best > 0 ? (int)(r->mterms_s[k] / best * 40 + 0.5) : 0;
		char bars[64];

		memset(bars, '#', (size_t)bar);
		bars[bar] = '\0';
		printf("%8d %6.0f ms %11.1f %9lld %9lld %8.1f ms  %-40s%s\n",
		       r->workers[k], r->ms[k], r->mterms_s[k], r->nvcsw[k],
		       r->nivcsw[k], r->start_ms[k], bars,
		       r->workers[k] == lab->ncpu ? " <- cores" : "");
	}
	printf("Shares add up to the total: %s; sum of squares %s\n",
	       r->shares_ok ? "yes" : "NO", r->sum_ok ? "correct" : "WRONG");
	if (r->switch_us > 0) {
		int k = r->n - 1;

		printf("A context switch costs at most %.1f us here (pipe ping-pong "
		       "on one CPU): the %lld switches with %d workers are at most "
		       "%.1f ms of its %.0f ms;\n", r->switch_us,
		       r->nvcsw[k] + r->nivcsw[k], r->workers[k],
		       (double)(r->nvcsw[k] + r->nivcsw[k]) * r->switch_us / 1e3,
		       r->ms[k]);
		printf("starting and reaping %d workers with nothing to do took "
		       "%.1f ms, against %.1f ms for %d.\n", r->workers[k],
		       r->start_ms[k], r->start_ms[r->at_ncpu],
		       r->workers[r->at_ncpu]);
	}
}

/* --- 2. memory per thread and per process ---------------------------- */

struct idle {
	int wake[2];        /* workers block reading wake[0] until EOF */
	_Atomic int ready;  /* workers that have touched their memory */
	size_t touch;       /* bytes each worker writes */
	char *buf;          /* --buffer: the parent's, filled before the start */
	size_t buf_len;
	bool cow;           /* --cow: each worker writes every page of it */
};

/* DOC: idle-worker: touch a little memory of its own, then wait. */
static int
idle_worker(struct lab_worker *w)
{
	struct idle *id = w->arg;
	char *buf = malloc(id->touch), c;

	if (w->mode == LAB_PROCESS)
		close(id->wake[1]); /* else the pipe never reports EOF */
	if (!buf)
		return 1;
	memset(buf, w->no, id->touch);
	/* DOC: cow-touch: one byte in every page of the parent's buffer.  A
	 * process faults on each and gets its own copy of the page; a thread
	 * writes the very pages the parent has (relaxed atomic stores: the
	 * threads write the same bytes, and only the write matters). */
	if (id->cow)
		for (size_t i = 0; i < id->buf_len; i += 4096)
			__atomic_store_n(&id->buf[i], (char)w->no, __ATOMIC_RELAXED);
	atomic_fetch_add(&id->ready, 1);
	lab_set_state(w, BOARD_ST_SLEEPING);
	lab_step(w, "wait (idle)");
	while (read(id->wake[0], &c, 1) < 0 && errno == EINTR)
		;
	lab_set_state(w, BOARD_ST_RUNNING);
	free(buf);
	return 0;
}

/* A "Key:   123 kB" line of a /proc file, in KiB; -1 if absent. */
static long
proc_kib(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

struct mem_result {
	int idle;
	double thread_rss_kib, thread_vsz_kib;   /* per thread, from deltas */
	double proc_rss_kib, proc_pss_kib, proc_private_kib, proc_pte_kib;
};

static struct lab_team *
start_idle(struct lab *lab, enum lab_mode mode, struct idle *id)
{
	struct lab_team *t;

	if (pipe(id->wake) < 0)
		lab_die(lab, "pipe:");
	atomic_store(&id->ready, 0);
	t = lab_spawn_ex(lab, mode, 1, opt_idle, idle_worker, id);
	for (int i = 0; i < 20000 && atomic_load(&id->ready) < opt_idle; i++)
		nap_ms(0.5);
	if (atomic_load(&id->ready) < opt_idle)
		lab_die(lab, "idle workers did not get ready");
	return t;
}

static void
stop_idle(struct lab *lab, struct lab_team *t, struct idle *id)
{
	close(id->wake[1]); /* EOF for every reader */
	if (lab_join(t) != LAB_JOIN_OK)
		lab_die(lab, "an idle worker failed");
	close(id->wake[0]);
	lab_team_free(t);
}

static void
run_memory(struct lab *lab, struct idle *id, struct mem_result *m)
{
	struct lab_team *t;
	long rss0, vsz0, rss1, vsz1;

	m->idle = opt_idle;
	id->touch = 64 * 1024;
	id->cow = opt_cow;
	id->buf_len = (size_t)opt_buffer_mib << 20;
	id->buf = NULL;
	if (id->buf_len) {
		/* Private, in 4 KiB pages, every one of them written: fork
		 * shares each page with a child until one of them writes it. */
		id->buf = mmap(NULL, id->buf_len, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (id->buf == MAP_FAILED)
			lab_die(lab, "cannot map %d MiB:", opt_buffer_mib);
		madvise(id->buf, id->buf_len, MADV_NOHUGEPAGE);
		memset(id->buf, 1, id->buf_len);
	}
	/* DOC: thread-memory: threads share the address space, so the cost
	 * of N more is how much the one process grew. */
	rss0 = proc_kib("/proc/self/status", "VmRSS");
	vsz0 = proc_kib("/proc/self/status", "VmSize");
	t = start_idle(lab, LAB_THREAD, id);
	rss1 = proc_kib("/proc/self/status", "VmRSS");
	vsz1 = proc_kib("/proc/self/status", "VmSize");
	stop_idle(lab, t, id);
	m->thread_rss_kib = (double)(rss1 - rss0) / opt_idle;
	m->thread_vsz_kib = (double)(vsz1 - vsz0) / opt_idle;

	/* DOC: process-memory: a forked child starts sharing every page
	 * with its parent (copy-on-write).  Rss counts shared pages in full,
	 * Pss divides each among the processes that share it, and Private
	 * is what only this child has: the pages it wrote.  Its page tables
	 * (VmPTE) are its own too. */
	t = start_idle(lab, LAB_PROCESS, id);
	m->proc_rss_kib = m->proc_pss_kib = m->proc_private_kib = m->proc_pte_kib = 0;
	for (int i = 0; i < t->n; i++) {
		char path[64];

		snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)t->w[i].pid);
		m->proc_rss_kib += (double)proc_kib(path, "Rss");
		m->proc_pss_kib += (double)proc_kib(path, "Pss");
		m->proc_private_kib += (double)(proc_kib(path, "Private_Clean") +
		                                proc_kib(path, "Private_Dirty"));
		snprintf(path, sizeof path, "/proc/%d/status", (int)t->w[i].pid);
		m->proc_pte_kib += (double)proc_kib(path, "VmPTE");
	}
	stop_idle(lab, t, id);
	m->proc_rss_kib /= opt_idle;
	m->proc_pss_kib /= opt_idle;
	m->proc_private_kib /= opt_idle;
	m->proc_pte_kib /= opt_idle;
	if (id->buf)
		munmap(id->buf, id->buf_len);
	id->buf = NULL;
}

static void
print_memory(const struct mem_result *m)
{
	printf("\n2. Memory of %d idle worker%s, each writing 64 KiB of its own\n",
	       m->idle, m->idle == 1 ? "" : "s");
	if (opt_buffer_mib)
		printf("   the parent filled %d MiB before they started; each worker %s\n",
		       opt_buffer_mib, opt_cow ? "wrote one byte in every page of it"
		                               : "left it alone");
	printf("   per thread:  +%.0f KiB resident, +%.0f KiB of address space "
	       "(mostly the malloc arena glibc reserves for it; its stack is 256 KiB)\n",
	       m->thread_rss_kib, m->thread_vsz_kib);
	printf("   per process: %.0f KiB resident (Rss), %.0f KiB proportional (Pss), "
	       "%.0f KiB private, %.0f KiB page tables\n",
	       m->proc_rss_kib, m->proc_pss_kib, m->proc_private_kib, m->proc_pte_kib);
}

/* --- 3. fork, vfork, posix_spawn as the parent grows ----------------- */

enum method { M_FORK, M_FORK_EXEC, M_VFORK_EXEC, M_SPAWN, M_COUNT };
static const char *const method_name[M_COUNT] = {
	"fork", "fork+exec", "vfork+exec", "posix_spawn",
};

static char self_exe[4096];
static char *child_argv[] = { "racelab-overhead", NULL };
static char **child_env;

/* The environment of an exec'd child: ours plus CHILD_ENV=<our pid>, so
 * the fresh program knows to exit at once, and whose child it is. */
static void
make_child_env(struct lab *lab)
{
	size_t n = 0;
	static char mark[64];

	while (environ[n])
		n++;
	child_env = calloc(n + 2, sizeof *child_env);
	if (!child_env)
		lab_die(lab, "out of memory");
	memcpy(child_env, environ, n * sizeof *child_env);
	snprintf(mark, sizeof mark, "%s=%d", CHILD_ENV, (int)getpid());
	child_env[n] = mark;
}

/* One start of a child that ends at once; returns microseconds from
 * before the start until it has been reaped. */
static double
start_one(struct lab *lab, enum method m)
{
	pid_t parent = getpid(), pid = -1;
	uint64_t t0 = board_now_ns();
	int st;

	switch (m) {
	case M_FORK:
		/* Python's 'fork' start method: the child runs on in a copy
		 * of the parent (here it just leaves). */
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			_exit(0);
		}
		break;
	case M_FORK_EXEC:
		pid = fork();
		if (pid == 0) {
			execve(self_exe, child_argv, child_env);
			_exit(127);
		}
		break;
	case M_VFORK_EXEC:
		/* DOC: vfork: the child borrows the parent's memory (the
		 * parent is suspended) until exec; nothing but exec or _exit
		 * is allowed in between. */
		pid = vfork();
		if (pid == 0) {
			execve(self_exe, child_argv, child_env);
			_exit(127);
		}
		break;
	case M_SPAWN:
		/* DOC: posix_spawn: glibc does this with clone(CLONE_VM |
		 * CLONE_VFORK), so it does not copy page tables either. */
		if (posix_spawn(&pid, self_exe, NULL, NULL, child_argv, child_env) != 0)
			pid = -1;
		break;
	default:
		break;
	}
	if (pid < 0)
		lab_die(lab, "%s failed:", method_name[m]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		lab_die(lab, "%s: the child did not exit cleanly", method_name[m]);
	return (double)(board_now_ns() - t0) / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct fork_result {
	int n;
	int mib[MAX_SIZES];
	double us[M_COUNT][MAX_SIZES];     /* the fastest of --reps */
	double median[M_COUNT][MAX_SIZES];
	int capped_from;               /* --max-mib asked, if lowered; else 0 */
	long huge_kib;                 /* AnonHugePages at the largest size */
};

/* MemAvailable in MiB, or -1. */
static long
mem_available_mib(void)
{
	long kib = proc_kib("/proc/meminfo", "MemAvailable");

	return kib < 0 ? -1 : kib / 1024;
}

static void
run_fork(struct lab *lab, struct fork_result *fr)
{
	long avail = mem_available_mib();
	int max = opt_max_mib;
	size_t cap;
	char *ballast = NULL;
	size_t touched = 0;
	double *t = calloc((size_t)opt_reps, sizeof *t);

	if (!t)
		lab_die(lab, "out of memory");
	/* DOC: memory-safe: never take more than half of what is free. */
	fr->capped_from = 0;
	if (avail >= 0 && max > avail / 2) {
		fr->capped_from = max;
		max = (int)(avail / 2);
	}
	fr->n = 0;
	fr->mib[fr->n++] = 0;
	for (int s = 64; s <= max && fr->n < MAX_SIZES - 1; s *= 2)
		fr->mib[fr->n++] = s;
	if (max > 0 && fr->mib[fr->n - 1] < max && fr->n < MAX_SIZES)
		fr->mib[fr->n++] = max;
	cap = (size_t)fr->mib[fr->n - 1] << 20;
	if (cap) {
		ballast = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ballast == MAP_FAILED)
			lab_die(lab, "cannot map %zu MiB:", cap >> 20);
		/* Small pages by default, as most of a program's heap is:
		 * 4 KiB each, one page table entry each. */
		madvise(ballast, cap, opt_huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	}
	for (int k = 0; k < fr->n; k++) {
		size_t want = (size_t)fr->mib[k] << 20;

		/* Touch every page so it really exists (and is mapped). */
		for (; touched < want; touched += 4096)
			ballast[touched] = 1;
		for (int m = 0; m < M_COUNT; m++) {
			for (int r = 0; r < opt_reps; r++)
				t[r] = start_one(lab, (enum method)m);
			/* DOC: best-of: on a shared machine a start is sometimes
			 * delayed by other programs (a 4 ms scheduler tick is
			 * common); the fastest start is the cost of the start
			 * itself, the median shows what a run can expect. */
			qsort(t, (size_t)opt_reps, sizeof *t, cmp_double);
			fr->us[m][k] = t[0];
			fr->median[m][k] = t[opt_reps / 2];
		}
	}
	/* --huge is only advice: with transparent huge pages "never" the
	 * kernel ignores it.  What it really did, from the kernel: */
	fr->huge_kib = proc_kib("/proc/self/smaps_rollup", "AnonHugePages");
	if (ballast)
		munmap(ballast, cap);
	free(t);
}

static void
print_fork(const struct fork_result *fr)
{
	double worst = 0;

	if (fr->capped_from)
		printf("\n(--max-mib %d is more than half the free memory: using %d)\n",
		       fr->capped_from, fr->mib[fr->n - 1]);
	printf("\n3. Starting a child that exits at once, as the parent grows "
	       "(fastest of %d, microseconds)\n", opt_reps);
	printf("%8s", "parent");
	for (int m = 0; m < M_COUNT; m++)
		printf(" %12s", method_name[m]);
	printf("  fork\n");
	for (int k = 0; k < fr->n; k++)
		if (fr->us[M_FORK][k] > worst)
			worst = fr->us[M_FORK][k];
	for (int k = 0; k < fr->n; k++) {
		int bar = worst > 0 ? (int)(fr->us[M_FORK][k] / worst * 30 + 0.5) : 0;
		char bars[40];

		memset(bars, '#', (size_t)bar);
		bars[bar] = '\0';
		printf("%4d MiB", fr->mib[k]);
		for (int m = 0; m < M_COUNT; m++)
			printf(" %12.0f", fr->us[m][k]);
		printf("  %s\n", bars);
	}
	if (opt_huge)
		printf("--huge: %ld MiB of the parent in 2 MiB pages (AnonHugePages)%s\n",
		       fr->huge_kib / 1024, fr->huge_kib > 0 ? "" :
		       ": none, transparent huge pages are off here "
		       "(/sys/kernel/mm/transparent_hugepage/enabled)");
	printf("Python's start methods: 'fork' is the fork column; 'spawn' starts a fresh\n"
	       "interpreter, like fork+exec or posix_spawn of a fresh program here.\n");
}

/* --- 4. context switches, priced ------------------------------------- */

struct switch_result {
	double process_us, thread_us; /* one switch, on one CPU */
	double cross_us;              /* one hand-over between two CPUs */
	double cross_per_trip;        /* our switches per round trip there */
	double price_us;              /* the one for the team's --mode */
	int workers;
	double ms;                    /* the team's run */
	long long nvcsw, nivcsw;
};

/* DOC: switch-price: one team of --max-workers workers over --work terms,
 * its switches counted by getrusage in each worker (DOC: ctxsw) and
 * multiplied by the price of one switch between tasks of its kind. */
static void
run_switch(struct lab *lab, struct sweep *sw, struct switch_result *r)
{
	/* Fewer round trips than the sweep's: three prices in well under
	 * a second, the best batch of each. */
	r->process_us = switch_cost_us(false, true, 4000, NULL);
	r->thread_us = switch_cost_us(true, true, 4000, NULL);
	r->cross_per_trip = -1;
	r->cross_us = lab->ncpu >= 2 ? switch_cost_us(false, false, 4000,
	                                             &r->cross_per_trip) : -1;
	r->price_us = lab->o.mode == LAB_THREAD ? r->thread_us : r->process_us;
	r->workers = opt_max_workers;
	r->ms = time_team(lab, sw, r->workers, (uint64_t)opt_work);
	for (int i = 0; i < r->workers; i++) {
		r->nvcsw += sw->share[i].nvcsw;
		r->nivcsw += sw->share[i].nivcsw;
	}
}

static double
switch_ms(const struct switch_result *r)
{
	return (double)(r->nvcsw + r->nivcsw) * r->price_us / 1e3;
}

static void
print_switch(const struct lab *lab, const struct switch_result *r)
{
	printf("\n4. Context switches, priced (%d CPU%s)\n", lab->ncpu,
	       lab->ncpu == 1 ? "" : "s");
	printf("   one switch on one CPU (pipe ping-pong, an upper bound):\n"
	       "     %.2f us between processes, %.2f us between threads\n",
	       r->process_us, r->thread_us);
	if (r->cross_us > 0)
		printf("   one hand-over between two CPUs (a wake-up there): %.2f us;\n"
		       "     still %.2f switches per round trip on our side\n",
		       r->cross_us, r->cross_per_trip);
	printf("   %d %s workers, %ld terms: %.1f ms, %lld vol. + %lld invol. "
	       "switches\n", r->workers, lab_mode_name(lab->o.mode),
	       opt_work, r->ms, r->nvcsw, r->nivcsw);
	printf("   %lld switches x ~%.1f us = ~%.2f ms of the run's %.1f ms (%.1f%%)\n",
	       r->nvcsw + r->nivcsw, r->price_us, switch_ms(r), r->ms,
	       r->ms > 0 ? 100 * switch_ms(r) / r->ms : 0);
}

/* --- main -------------------------------------------------------------- */

static void
json_sweep(struct lab_json *j, const struct sweep_result *r)
{
	long long v[MAX_COUNTS];

	for (int k = 0; k < r->n; k++)
		v[k] = r->workers[k];
	lab_json_int_array(j, "worker_counts", v, r->n);
	lab_json_num_array(j, "ms", r->ms, r->n);
	lab_json_num_array(j, "mterms_per_s", r->mterms_s, r->n);
	lab_json_int_array(j, "voluntary_cs", r->nvcsw, r->n);
	lab_json_int_array(j, "involuntary_cs", r->nivcsw, r->n);
	lab_json_num_array(j, "start_reap_ms", r->start_ms, r->n);
	/* The rows a lesson's claims are about, by name: */
	lab_json_num(j, "mterms_per_s_1", r->mterms_s[0]);
	lab_json_num(j, "mterms_per_s_ncpu", r->mterms_s[r->at_ncpu]);
	lab_json_num(j, "mterms_per_s_last", r->mterms_s[r->n - 1]);
	{
		double best = 0;

		for (int k = 0; k < r->n; k++)
			if (r->mterms_s[k] > best)
				best = r->mterms_s[k];
		lab_json_num(j, "mterms_per_s_best", best);
	}
	lab_json_num(j, "ms_ncpu", r->ms[r->at_ncpu]);
	lab_json_num(j, "ms_last", r->ms[r->n - 1]);
	lab_json_num(j, "start_reap_ms_ncpu", r->start_ms[r->at_ncpu]);
	lab_json_num(j, "start_reap_ms_last", r->start_ms[r->n - 1]);
	lab_json_num(j, "switches_last",
	             (double)(r->nvcsw[r->n - 1] + r->nivcsw[r->n - 1]));
	lab_json_num(j, "switch_us", r->switch_us);
	lab_json_num(j, "switching_ms_last",
	             (double)(r->nvcsw[r->n - 1] + r->nivcsw[r->n - 1]) *
	             r->switch_us / 1e3);
	lab_json_bool(j, "shares_ok", r->shares_ok);
	lab_json_bool(j, "sum_ok", r->sum_ok);
}

int
main(int argc, char **argv)
{
	struct lab lab;
	bool all, do_sweep, do_mem, do_fork, do_switch;
	struct sweep *sw;
	struct idle *id;
	const char *child = getenv(CHILD_ENV);

	/* DOC: exec-target: the fresh program started by fork+exec, vfork
	 * and posix_spawn.  It dies with its parent like every worker, then
	 * simply exits: what is measured is the start itself. */
	if (child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(getppid() == (pid_t)atoi(child) ? 0 : 1);
	}
	lab_init(&lab, &lesson, argc, argv);
	all = strcmp(opt_part, "all") == 0;
	do_sweep = all || strcmp(opt_part, "workers") == 0;
	do_mem = all || strcmp(opt_part, "memory") == 0;
	do_fork = all || strcmp(opt_part, "fork") == 0;
	do_switch = strcmp(opt_part, "switch") == 0;
	if (lab.o.mode == LAB_PROCESS && opt_max_workers > LAB_MAX_PROCESSES)
		lab_usage_error(&lab, "--max-workers: at most %d process workers "
		                "(threads may go to %d)", LAB_MAX_PROCESSES, BOARD_MAX_WORKERS);
	if (readlink("/proc/self/exe", self_exe, sizeof self_exe - 1) < 0)
		lab_die(&lab, "cannot find this program (/proc/self/exe):");
	make_child_env(&lab);

	sw = lab_shared_alloc(&lab, sizeof *sw);
	sw->share = lab_shared_alloc(&lab, (size_t)opt_max_workers * sizeof *sw->share);
	id = lab_shared_alloc(&lab, sizeof *id);
	lab_say(&lab, "%d CPU%s usable (sched_getaffinity), %ld online (sysconf)\n",
	        lab.ncpu, lab.ncpu == 1 ? "" : "s", sysconf(_SC_NPROCESSORS_ONLN));

	for (int run = 1; run <= lab.o.runs; run++) {
		struct sweep_result sr = { 0 };
		struct mem_result mr = { 0 };
		struct fork_result fr = { 0 };
		struct switch_result xr = { 0 };

		lab_run_begin(&lab, run);
		sw->terms = lab_counter(&lab, "terms summed", 0);
		if (do_sweep)
			run_sweep(&lab, sw, &sr);
		if (do_mem)
			run_memory(&lab, id, &mr);
		if (do_fork)
			run_fork(&lab, &fr);
		if (do_switch)
			run_switch(&lab, sw, &xr);
		lab_run_end(&lab);

		if (lab.o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_int(&j, "ncpu", lab.ncpu);
			lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
			lab_json_int(&j, "work", opt_work);
			if (do_sweep)
				json_sweep(&j, &sr);
			if (do_mem) {
				lab_json_int(&j, "idle", mr.idle);
				lab_json_num(&j, "thread_rss_kib", mr.thread_rss_kib);
				lab_json_num(&j, "thread_vsz_kib", mr.thread_vsz_kib);
				lab_json_num(&j, "process_rss_kib", mr.proc_rss_kib);
				lab_json_num(&j, "process_pss_kib", mr.proc_pss_kib);
				lab_json_num(&j, "process_private_kib", mr.proc_private_kib);
				lab_json_num(&j, "process_pte_kib", mr.proc_pte_kib);
				lab_json_int(&j, "buffer_kib", (long long)opt_buffer_mib * 1024);
				lab_json_bool(&j, "cow", opt_cow);
			}
			if (do_switch) {
				lab_json_num(&j, "process_switch_us", xr.process_us);
				lab_json_num(&j, "thread_switch_us", xr.thread_us);
				lab_json_num(&j, "cross_cpu_us", xr.cross_us);
				lab_json_num(&j, "cross_cpu_switches_per_trip",
				             xr.cross_per_trip);
				lab_json_num(&j, "switch_price_us", xr.price_us);
				lab_json_int(&j, "team_workers", xr.workers);
				lab_json_num(&j, "team_ms", xr.ms);
				lab_json_int(&j, "team_voluntary_cs", xr.nvcsw);
				lab_json_int(&j, "team_involuntary_cs", xr.nivcsw);
				lab_json_int(&j, "team_switches", xr.nvcsw + xr.nivcsw);
				lab_json_num(&j, "team_switching_ms", switch_ms(&xr));
			}
			if (do_fork) {
				long long mib[MAX_SIZES];
				static const char *const key[M_COUNT] = {
					"fork", "fork_exec", "vfork_exec", "posix_spawn",
				};
				char name[64];

				for (int k = 0; k < fr.n; k++)
					mib[k] = fr.mib[k];
				lab_json_int_array(&j, "parent_mib", mib, fr.n);
				for (int m = 0; m < M_COUNT; m++) {
					snprintf(name, sizeof name, "%s_us", key[m]);
					lab_json_num_array(&j, name, fr.us[m], fr.n);
					snprintf(name, sizeof name, "%s_median_us", key[m]);
					lab_json_num_array(&j, name, fr.median[m], fr.n);
				}
				for (int m = 0; m < M_COUNT; m++) {
					/* Largest parent against the smallest. */
					snprintf(name, sizeof name, "%s_growth", key[m]);
					lab_json_num(&j, name, fr.us[m][0] > 0 ?
					             fr.us[m][fr.n - 1] / fr.us[m][0] : 0);
				}
				lab_json_int(&j, "max_parent_mib", fr.mib[fr.n - 1]);
				lab_json_int(&j, "reps", opt_reps);
				lab_json_bool(&j, "huge_pages", opt_huge);
				lab_json_int(&j, "anon_huge_kib", fr.huge_kib);
			}
			lab_json_end(&j);
			continue;
		}
		if (do_sweep)
			print_sweep(&lab, &sr);
		if (do_mem)
			print_memory(&mr);
		if (do_fork)
			print_fork(&fr);
		if (do_switch)
			print_switch(&lab, &xr);
		fflush(stdout);
	}
	return 0;
}
