// Sampling /proc for the process table: the kernel's view of each worker.
//
// Cheap on purpose: the files stay open, one small read per task and a
// status read now and then, done a few times a second (demo.c decides
// when), never per frame.
#include "procfs.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Past n space-separated fields; NULL when the text ends first. */
static const char *
skip_fields(const char *p, int n)
{
	while (n-- > 0) {
		while (*p == ' ')
			p++;
		if (!*p)
			return NULL;
		while (*p && *p != ' ')
			p++;
	}
	return p;
}

/* The next field as a number; false when there is none. */
static bool
next_num(const char **p, long long *v)
{
	char *e;

	if (!*p)
		return false;
	*v = strtoll(*p, &e, 10);
	if (e == *p)
		return false;
	*p = e;
	return true;
}

int
procfs_parse_stat(const char *buf, struct procfs_stat *out)
{
	/* The command name (field 2) may hold spaces and ')': fields after it
	 * are counted from the last ')'.  Then: state ppid pgrp session tty
	 * tpgid flags minflt cminflt majflt cmajflt utime stime ... and the
	 * processor is field 39.  By hand, not sscanf: this runs for every
	 * task a few times a second. */
	const char *p = strrchr(buf, ')');
	long long ppid, utime, stime, cpu;
	char st;

	if (!p)
		return -1;
	p++;
	while (*p == ' ')
		p++;
	st = *p;
	if (!st || st == ' ')
		return -1;
	p++;
	if (!next_num(&p, &ppid))
		return -1;
	p = skip_fields(p, 9); /* pgrp .. cmajflt */
	if (!next_num(&p, &utime) || !next_num(&p, &stime) || utime < 0 || stime < 0)
		return -1;
	p = skip_fields(p, 23); /* cutime .. exit_signal */
	if (!next_num(&p, &cpu))
		return -1;
	out->state = st;
	out->ppid = (int)ppid;
	out->ticks = (unsigned long long)utime + (unsigned long long)stime;
	out->cpu = (int)cpu;
	return 0;
}

void
procfs_parse_status(const char *buf, struct procfs_stat *out)
{
	const char *v = strstr(buf, "\nvoluntary_ctxt_switches:");
	const char *n = strstr(buf, "\nnonvoluntary_ctxt_switches:");

	out->vcsw = v ? strtol(strchr(v, ':') + 1, NULL, 10) : -1;
	out->ivcsw = n ? strtol(strchr(n, ':') + 1, NULL, 10) : -1;
}

static int
read_fd(int fd, char *buf, size_t n)
{
	ssize_t r = pread(fd, buf, n - 1, 0);

	if (r <= 0)
		return -1;
	buf[r] = '\0';
	return 0;
}

static int
open_task_file(pid_t pid, pid_t tid, const char *name)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The files of the tasks sampled stay open between samples: a path lookup
 * costs more than the read.  A slot per tid (direct-mapped: a clash
 * only costs a reopen); the file of a task that ended fails to read and is
 * closed.  The status file (context switches) is the costly one to make
 * (its open and read ~18 us, against ~5 us for a read of stat): each
 * task's is read every STATUS_EVERY-th sample, a different quarter of the
 * tasks each time, so no sample pays for all of them -- from a task's
 * first sample on (opened when first due, up to STATUS_EVERY - 1 samples
 * in; its counts are unknown, -1, until then): reading it at every task's
 * first sample made the first quarter second of a 1024-task demo 4.9 ms
 * frames.  The cache stays
 * below the descriptor limit (the shell does not raise it: the demo would
 * inherit a different limit); past it, status files and then stat files
 * are opened for each read. */
enum { CACHE_SLOTS = 4096, STATUS_EVERY = 4 };
struct task_files {
	pid_t pid, tid;      /* 0: free */
	int fd;              /* of stat */
	int status_fd;       /* -1: opened for each read */
	bool status_tried;   /* status_fd was opened (or could not be) */
	unsigned n;          /* samples read */
	long vcsw, ivcsw;    /* from the last status read */
};
static struct task_files cache[CACHE_SLOTS];
static int cache_fds, cache_max_fds = -1;

static void
slot_close(struct task_files *c)
{
	if (c->tid) {
		close(c->fd);
		cache_fds--;
		if (c->status_fd >= 0) {
			close(c->status_fd);
			cache_fds--;
		}
	}
	memset(c, 0, sizeof *c);
}

void
procfs_close_all(void)
{
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].tid)
			slot_close(&cache[i]);
}

static int
read_status(pid_t pid, pid_t tid, int kept_fd, struct procfs_stat *out)
{
	char buf[4096];
	int fd = kept_fd >= 0 ? kept_fd : open_task_file(pid, tid, "status"), r = -1;

	if (fd >= 0 && read_fd(fd, buf, sizeof buf) == 0) {
		procfs_parse_status(buf, out);
		r = 0;
	}
	if (fd >= 0 && fd != kept_fd)
		close(fd);
	if (r < 0)
		out->vcsw = out->ivcsw = -1;
	return r;
}

int
procfs_read(pid_t pid, pid_t tid, struct procfs_stat *out)
{
	char buf[4096];
	struct task_files *c = &cache[(unsigned)tid % CACHE_SLOTS];
	int fd;

	if (cache_max_fds < 0) {
		struct rlimit rl;

		cache_max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 256 ?
		                (int)(rl.rlim_cur - 128) : 0;
	}
	if (c->tid && (c->tid != tid || c->pid != pid))
		slot_close(c);
	if (!c->tid) {
		if ((fd = open_task_file(pid, tid, "stat")) < 0)
			return -1;
		if (cache_fds >= cache_max_fds) { /* no room: read uncached */
			int bad = read_fd(fd, buf, sizeof buf) < 0 ||
			          procfs_parse_stat(buf, out) < 0;

			close(fd);
			if (bad)
				return -1;
			read_status(pid, tid, -1, out);
			return 0;
		}
		c->pid = pid;
		c->tid = tid;
		c->fd = fd;
		c->status_fd = -1;
		c->n = (unsigned)tid; /* spreads the status reads */
		c->vcsw = c->ivcsw = -1;
		c->status_tried = false;
		cache_fds++;
	}
	if (read_fd(c->fd, buf, sizeof buf) < 0 || procfs_parse_stat(buf, out) < 0) {
		slot_close(c); /* the task is gone */
		return -1;
	}
	/* The status file kept open too when first due, while the stat
	 * files of a 1024-task demo would still fit. */
	bool due = c->n++ % STATUS_EVERY == 0;
	if (due && !c->status_tried) {
		c->status_tried = true;
		if (cache_fds + 1 < cache_max_fds / 2 &&
		    (c->status_fd = open_task_file(pid, tid, "status")) >= 0)
			cache_fds++;
	}
	if (due && read_status(pid, tid, c->status_fd, out) == 0) {
		c->vcsw = out->vcsw;
		c->ivcsw = out->ivcsw;
	}
	out->vcsw = c->vcsw;
	out->ivcsw = c->ivcsw;
	return 0;
}

long
procfs_clk_tck(void)
{
	static long tck;

	if (!tck)
		tck = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	return tck;
}
