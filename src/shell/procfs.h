// What the kernel says about a task: /proc/<pid>/task/<tid>/{stat,status}.
#ifndef RACELAB_SHELL_PROCFS_H
#define RACELAB_SHELL_PROCFS_H

#include <sys/types.h>

struct procfs_stat {
	char state;               /* R S D Z T t X I ... */
	int ppid;
	unsigned long long ticks; /* utime + stime, clock ticks */
	int cpu;                  /* processor it last ran on */
	long vcsw, ivcsw;         /* voluntary / involuntary context switches */
};

/* Parse the text of a stat file; 0, or -1 when it is not one. */
int procfs_parse_stat(const char *buf, struct procfs_stat *out);
/* Pick the context switch counts out of a status file's text. */
void procfs_parse_status(const char *buf, struct procfs_stat *out);
/* Read both for a task; -1 when it no longer exists.  The files stay
 * open for the next call; the context switch counts may be up to a few
 * calls old, and are -1 (not read yet) for a task's first few calls. */
int procfs_read(pid_t pid, pid_t tid, struct procfs_stat *out);
/* Close the files kept open (a new demo starts). */
void procfs_close_all(void);
long procfs_clk_tck(void);

#endif
