// Leftovers a lesson cannot leak: a cleanup helper that outlives it.
//
// A lesson that needs names in the file system (07's socket, 08's hash
// files, 10's image tree) or in /dev/shm (05) must leave none behind
// however it ends, SIGKILL included, and a SIGKILL runs no atexit and no
// handler.  So the names are held by a small helper process, forked at the
// first request, which leaves the lesson's session (the shell's group
// signals, SIGSTOP included, do not reach it) and blocks every signal.  It
// makes the directories itself (so there is no moment when one exists that
// it does not know of) and remembers the shm names the lesson is about to
// create.  Its lifeline is a pipe: the lesson and every process forked
// from it hold the write end, so when the last of them is gone, however,
// the helper reads EOF, removes what is left and exits.  A normal end asks
// it to remove everything at once and waits for it, so nothing lingers
// after the lesson's exit either.
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <mqueue.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum { CLEAN_MAX = 64, LINE_MAX_ = PATH_MAX + 8 };

static struct {
	pid_t owner;  /* the process that started the helper */
	pid_t pid;    /* the helper */
	int req, rep; /* lesson -> helper, helper -> lesson */
	pthread_mutex_t mu;
} cl = {.req = -1, .rep = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- the helper ------------------------------------------------------ */

/* What the helper removes: 'd' a directory tree, 's' a shm name, 'q' a
 * message queue's name. */
static struct {
	char kind;
	char name[PATH_MAX];
} held[CLEAN_MAX];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	remove(path);
	return 0;
}

static void
rm_held(int i)
{
	if (held[i].kind == 'd') /* FTW_PHYS: never follow a symlink out */
		nftw(held[i].name, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	else if (held[i].kind == LAB_NAME_SHM)
		shm_unlink(held[i].name);
	else if (held[i].kind == LAB_NAME_MQ)
		mq_unlink(held[i].name);
	held[i].kind = 0;
}

static void
hold(char kind, const char *name)
{
	for (int i = 0; i < CLEAN_MAX; i++)
		if (!held[i].kind) {
			held[i].kind = kind;
			snprintf(held[i].name, sizeof held[i].name, "%s", name);
			return;
		}
}

/* Remove (or, for a shm name the lesson unlinked itself, forget) it. */
static void
release(char kind, const char *name, bool remove_it)
{
	for (int i = 0; i < CLEAN_MAX; i++)
		if (held[i].kind == kind && strcmp(held[i].name, name) == 0) {
			if (remove_it)
				rm_held(i);
			held[i].kind = 0;
		}
}

static void
clean_all(void)
{
	for (int i = 0; i < CLEAN_MAX; i++)
		if (held[i].kind)
			rm_held(i);
}

static void
reply(int fd, const char *s)
{
	(void)!write(fd, s, strlen(s));
}

/* The temporary files' parent: $TMPDIR if it is absolute and short (a
 * socket path must fit in sun_path's 108 bytes), else /tmp. */
static const char *
tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	return t && t[0] == '/' && strlen(t) <= 40 ? t : "/tmp";
}

static _Noreturn void
helper_main(int req, int rep)
{
	static char line[LINE_MAX_];
	size_t used = 0;
	int null = open("/dev/null", O_RDWR);

	/* Out of the lesson's session and group: the shell's SIGTERM,
	 * SIGKILL and SIGSTOP to the group are not for us.  Every catchable
	 * signal stays blocked (inherited mask). */
	setsid();
	prctl(PR_SET_NAME, "racelab-cleanup");
	/* Nothing of the lesson's: not its output pipe (the shell reads it
	 * to EOF), not the terminal, not the board. */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	dup2(req, 3);
	dup2(rep, 4);
	close_range(5, ~0u, 0);
	req = 3, rep = 4;
	for (;;) {
		ssize_t n = read(req, line + used, sizeof line - 1 - used);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* every holder of the lifeline is gone */
		used += (size_t)n;
		line[used] = '\0';
		while ((nl = strchr(line, '\n'))) {
			char *arg = line + 2, path[PATH_MAX];

			*nl = '\0';
			switch (line[0]) {
			case 'd': /* d TAG: make a directory, say where */
				snprintf(path, sizeof path, "%s/racelab-%.32s-XXXXXX",
				         tmp_base(), arg);
				if (mkdtemp(path)) {
					hold('d', path);
					reply(rep, "/");
					reply(rep, path + 1);
				} else {
					snprintf(path, sizeof path, "!%s", strerror(errno));
					reply(rep, path);
				}
				reply(rep, "\n");
				break;
			case 'r': /* r PATH: remove it now */
				release('d', arg, true);
				reply(rep, "\n");
				break;
			case 'g': /* g KIND NAME: about to create it */
				if (arg[0] && arg[1] == ' ')
					hold(arg[0], arg + 2);
				break;
			case 'f': /* f KIND NAME: the lesson unlinked it */
				if (arg[0] && arg[1] == ' ')
					release(arg[0], arg + 2, false);
				break;
			case 'x': /* the normal end */
				clean_all();
				_exit(0);
			}
			used -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, used + 1);
		}
		if (used >= sizeof line - 1)
			used = 0; /* a line too long: not ours */
	}
	clean_all();
	_exit(0);
}

/* ---- the lesson's side ----------------------------------------------- */

static void
clean_finish(void)
{
	if (cl.pid <= 0 || getpid() != cl.owner)
		return;
	(void)!write(cl.req, "x\n", 2);
	close(cl.req);
	close(cl.rep);
	waitpid(cl.pid, NULL, 0);
	cl.pid = 0;
}

/* The quick path for the signals a lesson is usually stopped with (the
 * shell's SIGTERM, ^C, a hangup, output into a closed pipe): ask the
 * helper to remove everything now and wait for it, so nothing is left
 * even for a moment after the lesson's death; then die of the signal.
 * write() and waitpid() are async-signal-safe.  Only where the lesson has
 * not chosen its own handling (10 stops its workers first), and only in
 * the lesson's main process; the helper's EOF stays the guarantee. */
static void
on_stop_signal(int sig)
{
	int e = errno;

	if (getpid() == cl.owner && cl.pid > 0) {
		(void)!write(cl.req, "x\n", 2);
		while (waitpid(cl.pid, NULL, 0) < 0 && errno == EINTR)
			;
		cl.pid = 0;
	}
	signal(sig, SIG_DFL);
	raise(sig);
	errno = e;
}

static void
stop_signals(void)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE};

	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old, sa = {.sa_handler = on_stop_signal};

		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
		    !(old.sa_flags & SA_SIGINFO))
			sigaction(sigs[i], &sa, NULL);
	}
}

static void
start(struct lab *lab)
{
	int req[2], rep[2];
	sigset_t all, old;
	pid_t pid;

	if (cl.pid > 0 && cl.owner == getpid())
		return;
	if (cl.pid > 0)
		lab_die(lab, "the cleanup helper belongs to the lesson's main process");
	if (pipe2(req, O_CLOEXEC) < 0)
		lab_die(lab, "cleanup helper: pipe:");
	if (pipe2(rep, O_CLOEXEC) < 0)
		lab_die(lab, "cleanup helper: pipe:");
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(req[1]);
		close(rep[0]);
		helper_main(req[0], rep[1]);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(req[0]);
	close(rep[1]);
	if (pid < 0)
		lab_die(lab, "cleanup helper: fork:");
	cl.owner = getpid();
	cl.pid = pid;
	cl.req = req[1];
	cl.rep = rep[0];
	atexit(clean_finish);
	stop_signals();
}

static void
send_line(struct lab *lab, char c, const char *arg)
{
	char buf[LINE_MAX_];
	int n = snprintf(buf, sizeof buf, "%c %s\n", c, arg);

	if (n < 0 || (size_t)n >= sizeof buf || strchr(arg, '\n'))
		lab_die(lab, "cleanup helper: bad name %s", arg);
	/* One write of less than PIPE_BUF: atomic, and in the pipe before
	 * we go on, so the helper reads it even if we die right after. */
	if (write(cl.req, buf, (size_t)n) != n)
		lab_die(lab, "cleanup helper: write:");
}

static void
read_reply(struct lab *lab, char *buf, size_t len)
{
	size_t used = 0;

	while (used < len - 1) {
		ssize_t n = read(cl.rep, buf + used, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			lab_die(lab, "cleanup helper: gone");
		if (buf[used] == '\n')
			break;
		used++;
	}
	buf[used] = '\0';
}

const char *
lab_tmpdir(struct lab *lab, const char *tag, char *path, size_t len)
{
	char buf[PATH_MAX + 2];

	pthread_mutex_lock(&cl.mu);
	start(lab);
	send_line(lab, 'd', tag);
	read_reply(lab, buf, sizeof buf);
	pthread_mutex_unlock(&cl.mu);
	if (buf[0] != '/')
		lab_die(lab, "cannot make a temporary directory in %s: %s", tmp_base(),
		        buf + 1);
	if (strlen(buf) >= len)
		lab_die(lab, "temporary directory name too long: %s", buf);
	snprintf(path, len, "%s", buf);
	return path;
}

void
lab_tmpdir_remove(struct lab *lab, const char *path)
{
	char buf[8];

	if (!path || !*path || cl.pid <= 0 || getpid() != cl.owner)
		return;
	pthread_mutex_lock(&cl.mu);
	send_line(lab, 'r', path);
	read_reply(lab, buf, sizeof buf);
	pthread_mutex_unlock(&cl.mu);
}

void
lab_name_guard(struct lab *lab, enum lab_name_kind kind, const char *name,
               bool created)
{
	char buf[NAME_MAX + 4];

	snprintf(buf, sizeof buf, "%c %s", (char)kind, name);
	pthread_mutex_lock(&cl.mu);
	start(lab);
	send_line(lab, created ? 'g' : 'f', buf);
	pthread_mutex_unlock(&cl.mu);
}

void
lab_clean_keep_on_exec(void)
{
	if (cl.req >= 0)
		fcntl(cl.req, F_SETFD, 0);
}
