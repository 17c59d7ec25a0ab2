// Small output helpers shared by lessons, and the run's disturbance
// (cpu_wait, steal) that every --json record carries.
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A result line: kept by --quiet (which drops only the chatter of
 * lab_say), left out with --json (the JSON object carries it instead). */
void
lab_result(const struct lab *lab, const char *fmt, ...)
{
	va_list ap;

	if (!lab_text(lab))
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static const char *out_prog;
static pid_t out_owner;

/* At exit: output that could not be written is a failure, not a silent
 * success (`racelab-race --json > /dev/full` must not exit 0 with nothing
 * written).  on_exit, not atexit: an exit status that already says
 * failure (1, or 2 for bad input) is kept. */
static void
check_stdout(int status, void *arg)
{
	int r, e;

	(void)arg;
	if (getpid() != out_owner)
		return; /* a forked worker's exit: the lesson's main judges */
	errno = 0;
	r = fflush(stdout);
	e = errno;
	if (r == 0 && !ferror(stdout))
		return;
	/* The failed write was earlier (line buffering): ask the device
	 * again for the reason; the output is incomplete anyway. */
	if (!e && write(STDOUT_FILENO, "\n", 1) < 0)
		e = errno;
	fprintf(stderr, "%s: write error on standard output%s%s\n",
	        out_prog ? out_prog : "racelab", e ? ": " : "", e ? strerror(e) : "");
	_exit(status ? status : 1);
}

void
lab_stdout_guard(const struct lab *lab)
{
	if (out_owner)
		return;
	out_prog = lab->prog;
	out_owner = getpid();
	on_exit(check_stdout, NULL);
}

/* ---- Disturbance: did the run have the CPUs it needed? ------------------
 *
 * The load average lags by a minute and counts the whole machine; what a
 * timing claim needs is whether *this* run's threads got a CPU when they
 * could run.  The kernel keeps that per task: /proc/TID/schedstat is
 * "time spent on the cpu", "time spent waiting on a runqueue" (both in
 * ns) and the number of timeslices (Documentation/scheduler/
 * sched-stats.rst).  A task's numbers start at 0 when it is created (a
 * worker thread or process is made inside the run) and vanish when it
 * exits, so each worker reads its own at its very end (lab_cpu_worker_end)
 * and adds them to a shared page; the thread that began the run is read
 * at lab_run_begin and again at the record.  A hypervisor that takes the
 * virtual CPU away stops the task's clock without making it wait: that
 * time is /proc/stat's steal column (proc_stat(5), in USER_HZ), summed
 * over the CPUs the run may use. */
struct cpu_acct {
	_Atomic uint64_t run_ns, wait_ns; /* the workers ended in this run */
};
static struct cpu_acct *cpu_page; /* MAP_SHARED: process workers add to it */
static pid_t acct_tid;        /* the thread that began the run */
static uint64_t acct_run0, acct_wait0, acct_steal0, acct_t0;
static int acct_ncpu;

/* tid 0: the calling thread.  0, or -1 (no such task, no schedstat). */
static int
schedstat(pid_t tid, uint64_t *run, uint64_t *wait)
{
	char path[64], buf[96];
	unsigned long long r, w;
	ssize_t n;
	int fd;

	if (tid)
		snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)tid);
	else
		snprintf(path, sizeof path, "/proc/thread-self/schedstat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &r, &w) != 2)
		return -1;
	*run = r;
	*wait = w;
	return 0;
}

/* The steal column (the 8th number of a "cpuN" line) summed over the CPUs
 * this process may run on, in USER_HZ ticks; *ncpu gets how many. */
static uint64_t
steal_ticks(int *ncpu)
{
	cpu_set_t set;
	char line[512];
	uint64_t sum = 0;
	FILE *f;

	*ncpu = 0;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		CPU_ZERO(&set);
	f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long v[8];
		int cpu;

		if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu,
		           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9 ||
		    cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &set))
			continue;
		sum += v[7];
		(*ncpu)++;
	}
	fclose(f);
	return sum;
}

void
lab_cpu_begin(struct lab *lab)
{
	/* An --explore run is judged by its outcome alone, and thousands of
	 * them run: no /proc reads (about 50 us a run) and no fields. */
	if (lab->exploring)
		return;
	if (!cpu_page) {
		cpu_page = mmap(NULL, sizeof *cpu_page, PROT_READ | PROT_WRITE,
		            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (cpu_page == MAP_FAILED)
			lab_die(lab, "cannot map the CPU accounting page:");
	}
	atomic_store(&cpu_page->run_ns, 0);
	atomic_store(&cpu_page->wait_ns, 0);
	acct_tid = gettid();
	if (schedstat(0, &acct_run0, &acct_wait0) < 0)
		acct_run0 = acct_wait0 = 0;
	acct_steal0 = steal_ticks(&acct_ncpu);
	acct_t0 = board_now_ns();
}

/* About 7 us (one open and read of /proc), once per worker. */
void
lab_cpu_worker_end(void)
{
	uint64_t run, wait;

	if (!cpu_page || schedstat(0, &run, &wait) < 0)
		return;
	atomic_fetch_add(&cpu_page->run_ns, run);
	atomic_fetch_add(&cpu_page->wait_ns, wait);
}

int
lab_cpu_read(struct lab_cpu *c)
{
	uint64_t run = 0, wait = 0, steal, wall;
	int ncpu;

	if (!cpu_page)
		return -1;
	/* The run's own thread, if it is still this process's (a record
	 * made in a forked child has only the workers' part). */
	if (schedstat(acct_tid, &run, &wait) == 0 && run >= acct_run0 &&
	    wait >= acct_wait0) {
		run -= acct_run0;
		wait -= acct_wait0;
	} else {
		run = wait = 0;
	}
	run += atomic_load(&cpu_page->run_ns);
	wait += atomic_load(&cpu_page->wait_ns);
	steal = steal_ticks(&ncpu) - acct_steal0;
	wall = board_now_ns() - acct_t0;
	c->run_ms = (double)run / 1e6;
	c->wait_ms = (double)wait / 1e6;
	c->cpu_wait = run + wait ? (double)wait / (double)(run + wait) : 0;
	c->steal = wall && ncpu == acct_ncpu && ncpu > 0
	         ? (double)steal / (double)sysconf(_SC_CLK_TCK) /
	           ((double)wall / 1e9 * ncpu)
	         : 0;
	if (c->steal > 1)
		c->steal = 1;
	return 0;
}
