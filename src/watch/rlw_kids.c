// The children of the calling thread, as the kernel lists them
// (/proc/self/task/TID/children): racelab-watch and its fork server are
// each the subreaper of a run, and both end a run by killing what it left.
// Linked into both (racelab-watch and librlwatch.so).
#include "rlw.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int
rlw_kill_children(pid_t except)
{
	char path[64], buf[4096];
	int fd, n_killed = 0;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)syscall(SYS_gettid));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *p = buf; *p;) {
		char *e;
		long pid = strtol(p, &e, 10);

		if (e == p)
			break;
		if (pid != except) {
			kill((pid_t)pid, SIGKILL);
			n_killed++;
		}
		p = e;
	}
	return n_killed;
}
