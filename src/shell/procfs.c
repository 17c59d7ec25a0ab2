// Sampling /proc for the process table: the kernel's view of each worker.
//
// Cheap on purpose: two small reads per task, done a few times a second
// (demo.c decides when), never per frame.
#include "procfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
procfs_parse_stat(const char *buf, struct procfs_stat *out)
{
	/* The command name (field 2) may hold spaces and ')': fields after it
	 * are counted from the last ')'. */
	const char *p = strrchr(buf, ')');
	unsigned long long utime, stime;
	int ppid, cpu;
	char st;

	if (!p)
		return -1;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice nthreads
	 * itrealvalue starttime vsize rss rsslim startcode endcode
	 * startstack kstkesp kstkeip signal blocked sigignore sigcatch
	 * wchan nswap cnswap exit_signal processor */
	if (sscanf(p + 1,
	           " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu"
	           " %*d %*d %*d %*d %*d %*d %*u %*u %*d %*u %*u %*u %*u %*u"
	           " %*u %*u %*u %*u %*u %*u %*u %*u %*d %d",
	           &st, &ppid, &utime, &stime, &cpu) != 5)
		return -1;
	out->state = st;
	out->ppid = ppid;
	out->ticks = utime + stime;
	out->cpu = cpu;
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
read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	return 0;
}

int
procfs_read(pid_t pid, pid_t tid, struct procfs_stat *out)
{
	char path[64], buf[4096];

	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (read_file(path, buf, sizeof buf) < 0 || procfs_parse_stat(buf, out) < 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (read_file(path, buf, sizeof buf) == 0)
		procfs_parse_status(buf, out);
	else
		out->vcsw = out->ivcsw = -1;
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
