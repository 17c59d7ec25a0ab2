// Child processes: a demo runs in its own process group, and nothing leaks.
//
// The discipline follows tmux's job_run: signals are blocked around fork so
// the child cannot run one of our handlers before it resets them; the child
// puts itself in a new session and process group, asks to be killed when we die
// (PR_SET_PDEATHSIG) and re-checks that we are still its parent (we may have
// died before the prctl), wires stdin to /dev/null and stdout/stderr to a
// pipe, and _exits on any failure.  The shell is a child subreaper (set in
// main), so workers a lesson forks come back to us to be reaped.
//
// PR_SET_PDEATHSIG covers the lesson and its workers when the shell dies,
// but not what no longer has a parent that dies with us: an orphan the
// lesson left (lesson 14 makes one on purpose), stopped or not, would
// outlive a SIGKILLed shell.  So a janitor process, forked at start, knows
// the demo's process group and holds a pipe only the shell writes: when
// the shell is gone, however, it reads EOF and SIGKILLs the group.
#include "shell/shell.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t child_pgid;

static int janitor_fd = -1;
static pid_t janitor_pid;

/* The janitor: out of our session (a ^C or a kill of our group is not for
 * it), every signal blocked, no terminal; it only reads the group to watch
 * (a pid_t, 0 for none) until EOF. */
static _Noreturn void
janitor_main(int fd)
{
	pid_t group = 0, g;
	int null = open("/dev/null", O_RDWR);
	ssize_t n;

	setsid();
	prctl(PR_SET_NAME, "racelab-janitor");
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	dup2(fd, 3);
	close_range(4, ~0u, 0);
	while ((n = read(3, &g, sizeof g)) == (ssize_t)sizeof g || (n < 0 && errno == EINTR))
		if (n > 0)
			group = g;
	if (group > 1) {
		kill(-group, SIGKILL); /* a stopped process dies of it too */
		kill(-group, SIGCONT);
	}
	_exit(0);
}

void
child_janitor_start(void)
{
	sigset_t all, old;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return; /* without one, PDEATHSIG still covers the lesson */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		janitor_main(p[0]);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return;
	}
	janitor_pid = pid;
	janitor_fd = p[1];
}

/* While a pid is the demo's leader, unreaped, its group id cannot be
 * reused: tell the janitor before the reap, never after. */
static void
janitor_watch(pid_t group)
{
	if (janitor_fd >= 0)
		(void)!write(janitor_fd, &group, sizeof group);
}

void
child_janitor_end(void)
{
	if (janitor_fd < 0)
		return;
	janitor_watch(0);
	close(janitor_fd);
	janitor_fd = -1;
	if (janitor_pid > 0) /* it exits at once on EOF */
		waitpid(janitor_pid, NULL, 0);
	janitor_pid = 0;
}

enum { CHILD_NICE = 10 }; /* added to the shell's nice for a demo */

/* In the child, after fork: only async-signal-safe calls until exec. */
static _Noreturn void
child_exec(const char *path, char *const argv[], int keepfd, const char *env,
           int pipe_w, int sync_w, pid_t parent, const sigset_t *mask)
{
	char num[16];
	int fd, n = 0;
	unsigned v = (unsigned)keepfd;
	char tmp[16];

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	/* A session of its own (so a process group too), without a terminal:
	 * where the kernel groups scheduling by session (autogroup), the demo
	 * and all its workers weigh as one task against the shell, so a demo
	 * of 1024 busy threads cannot starve the drawing.  The parent waits
	 * for this before it goes on, so the group exists before it is ever
	 * signalled. */
	if (setsid() < 0)
		setpgid(0, 0);
	(void)!write(sync_w, "", 1);
	close(sync_w);
	/* And a lower priority than the shell (its threads and process
	 * workers inherit it), for kernels without autogroup: with every
	 * core busy the shell still gets the few ms per frame it needs, on
	 * time.  It does not slow the demo when nothing else wants the
	 * cores. */
	(void)!nice(CHILD_NICE);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127); /* the shell is already gone */
	sigprocmask(SIG_SETMASK, mask, NULL);

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		_exit(127);
	if (dup2(pipe_w, STDOUT_FILENO) < 0 || dup2(pipe_w, STDERR_FILENO) < 0)
		_exit(127);
	/* Close everything else but the board (the terminal included). */
	for (int i = 3; i < 1024; i++)
		if (i != keepfd)
			close(i);

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 15);
	for (int i = 0; i < n; i++)
		num[i] = tmp[n - 1 - i];
	num[n] = '\0';
	if (env && keepfd >= 0)
		setenv(env, num, 1); /* not async-signal-safe in theory; the
		                      * child is single-threaded here */
	unsetenv("LINES");
	unsetenv("COLUMNS");
	execv(path, argv);
	{
		const char *e = strerror(errno);

		(void)!write(STDERR_FILENO, "racelab: cannot run ", 20);
		(void)!write(STDERR_FILENO, path, strlen(path));
		(void)!write(STDERR_FILENO, ": ", 2);
		(void)!write(STDERR_FILENO, e, strlen(e));
		(void)!write(STDERR_FILENO, "\n", 1);
	}
	_exit(127);
}

pid_t
child_spawn(const char *path, char *const argv[], int keepfd,
            const char *env_name, int *outfd)
{
	sigset_t all, old;
	int p[2], sync[2];
	pid_t parent = getpid(), pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(sync, O_CLOEXEC) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(sync[0]);
		child_exec(path, argv, keepfd, env_name, p[1], sync[1], parent, &old);
	}
	close(sync[1]);
	if (pid > 0) {
		char c;

		/* Until the child has its session and group (or has died). */
		while (read(sync[0], &c, 1) < 0 && errno == EINTR)
			;
		child_pgid = pid;
		janitor_watch(pid);
	}
	close(sync[0]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		errno = e;
		return -1;
	}
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	*outfd = p[0];
	return pid;
}

int
child_signal_group(pid_t pgid, int sig)
{
	if (pgid <= 1)
		return -1;
	return kill(-pgid, sig);
}

bool
child_leader_exited(pid_t leader)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (leader <= 0)
		return false;
	/* WNOWAIT: look, do not reap.  While the leader is an unreaped zombie
	 * its pid, and so the group id, cannot be reused: the group can still
	 * be signalled safely. */
	if (waitid(P_PID, (id_t)leader, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == leader;
}

bool
child_reap(pid_t leader, int *status)
{
	bool got = false;
	pid_t r;
	int st;

	if (child_leader_exited(leader))
		janitor_watch(0);
	while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
		if (r == janitor_pid) { /* it died (someone killed it) */
			close(janitor_fd);
			janitor_pid = 0;
			janitor_fd = -1;
		}
		if (r == leader) {
			janitor_watch(0);
			*status = st;
			got = true;
		}
	}
	return got;
}
