// The exercise of a lesson step, in the shell: e copies the template to
// the learner's copy (never over an existing one) and opens it in
// $VISUAL / $EDITOR / vi with curses suspended, as git does for a commit
// message; on return the check runs (a child: racelab --check NAME FILE
// --json --no-progress, so the same code judges here and on the command
// line) and its verdict goes to the step's results area.  f replays the
// failing interleaving in step mode (the live view of racelab-watch, one
// step of the schedule per f), h gives the next hint, E rechecks on every
// save (inotify on the workspace directory: editors often save by
// renaming a new file over the old).
//
// Nothing here blocks the loop but the editor: the check's output and the
// inotify events come through one epoll descriptor that the loop polls
// (exercise_fd).
#include "shell/shell.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum { XV_OUT_MAX = 64 << 10 };

static struct {
	struct catalog *cat;
	struct exercise e;  /* the step's exercise; e.x NULL: none */
	char file[PATH_MAX]; /* the learner's copy */
	int ep;             /* epoll: the check's pipe and inotify */
	/* The check running: its pid (leader of its group), its stdout. */
	pid_t pid;
	int out;
	char buf[XV_OUT_MAX];
	size_t nbuf;
	bool again;         /* a save came during the check: check again */
	bool have;          /* v holds the last verdict of this exercise */
	struct exercise_verdict v;
	int hint;           /* the hint shown (1-based), 0 none */
	/* E: rechecks on save. */
	int ino, wd;
	/* f: the failing schedule being replayed in step mode. */
	char replay[2048];
	const char *replay_at;
	int replay_no, replay_len;
	bool opening;       /* the replay view is being entered */
	char runcmd[4 * PATH_MAX + 2200];
} xv = {.ep = -1, .out = -1, .ino = -1, .wd = -1};

static void
ep_add(int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	if (xv.ep < 0)
		xv.ep = epoll_create1(EPOLL_CLOEXEC);
	if (xv.ep >= 0)
		epoll_ctl(xv.ep, EPOLL_CTL_ADD, fd, &ev);
}

static void
ep_del(int fd)
{
	if (xv.ep >= 0 && fd >= 0)
		epoll_ctl(xv.ep, EPOLL_CTL_DEL, fd, NULL);
}

int
exercise_fd(void)
{
	return xv.ep;
}

static void
stop_check(void)
{
	if (xv.pid > 0)
		kill(-xv.pid, SIGKILL); /* the loop's SIGCHLD reaps it */
	xv.pid = 0;
	if (xv.out >= 0) {
		ep_del(xv.out);
		close(xv.out);
		xv.out = -1;
	}
	xv.again = false;
}

static void
stop_watching(void)
{
	if (xv.ino >= 0) {
		ep_del(xv.ino);
		close(xv.ino);
	}
	xv.ino = xv.wd = -1;
}

/* Start the check of the learner's copy; a check running is restarted. */
static void
start_check(struct shell_ctx *c)
{
	char self[PATH_MAX];
	char *argv[] = {self, "--check", (char *)xv.e.x->name, xv.file, "--json",
	                "--no-progress", NULL};
	int p[2];
	pid_t pid, parent = getpid();

	stop_check();
	if ((size_t)snprintf(self, sizeof self, "%s/racelab", c->cfg->bin_dir) >= sizeof self) {
		shell_note(c, COL_WARN, "cannot check: the path of racelab is too long");
		return;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		shell_note(c, COL_WARN, "cannot check: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		for (int s = 1; s < NSIG; s++)
			if (s != SIGKILL && s != SIGSTOP)
				signal(s, SIG_DFL);
		setsid(); /* its own group, no terminal: killed as one */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		(void)!nice(10);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		shell_note(c, COL_WARN, "cannot check: %s", strerror(errno));
		return;
	}
	xv.pid = pid;
	xv.out = p[0];
	xv.nbuf = 0;
	fcntl(xv.out, F_SETFL, fcntl(xv.out, F_GETFL) | O_NONBLOCK);
	ep_add(xv.out);
}

/* The check's output is all in: its verdict (its last line). */
static void
check_done(struct shell_ctx *c)
{
	char *line = xv.buf, *nl;
	struct exercise_verdict v;
	bool got = false;

	xv.buf[xv.nbuf] = '\0';
	for (char *l = xv.buf; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (*l == '{' && exercise_verdict_parse(l, &v) == 0) {
			got = true;
			line = NULL;
		} else if (*l) {
			line = l;
		}
		if (!nl)
			break;
	}
	stop_check();
	if (!got) {
		memset(&xv.v, 0, sizeof xv.v);
		xv.v.result = EX_ERROR;
		snprintf(xv.v.reason, sizeof xv.v.reason, "%.500s",
		         line && *line ? line : "the check gave no verdict");
	} else {
		xv.v = v;
	}
	xv.have = true;
	if (xv.v.result == EX_PASS) {
		bool passed;
		int hints;

		progress_exercise(xv.e.x->name, &passed, &hints);
		progress_exercise_set(xv.e.x->name, true, hints);
		progress_save();
		shell_note(c, COL_GOOD, "%s passes", xv.e.x->name);
	} else if (xv.v.result == EX_FAIL) {
		shell_note(c, COL_WARN, "%s fails%s", xv.e.x->name,
		           xv.v.schedule[0] ? ": f replays the interleaving step by step" : "");
	} else {
		shell_note(c, COL_WARN, "%s: %s", xv.e.x->name,
		           xv.v.result == EX_COMPILE ? "does not compile" : "not checked");
	}
}

int
exercise_io(struct shell_ctx *c)
{
	struct epoll_event ev[4];
	int n, flags = 0;

	if (xv.ep < 0)
		return 0;
	n = epoll_wait(xv.ep, ev, 4, 0);
	for (int i = 0; i < n; i++) {
		int fd = ev[i].data.fd;

		if (fd == xv.out && xv.out >= 0) {
			ssize_t k;

			while ((k = read(xv.out, xv.buf + xv.nbuf,
			                 sizeof xv.buf - 1 - xv.nbuf)) > 0) {
				xv.nbuf += (size_t)k;
				if (xv.nbuf == sizeof xv.buf - 1)
					xv.nbuf = 0; /* keep the end: the verdict */
			}
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
				bool again = xv.again;

				check_done(c);
				if (again && xv.e.x)
					start_check(c);
				flags |= SH_RESIZE;
			}
		} else if (fd == xv.ino && xv.ino >= 0) {
			char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
			const char *base = strrchr(xv.file, '/') + 1;
			bool ours = false;
			ssize_t k;

			while ((k = read(xv.ino, buf, sizeof buf)) > 0)
				for (char *p = buf; p < buf + k;) {
					struct inotify_event *ie = (struct inotify_event *)p;

					if (ie->len && strcmp(ie->name, base) == 0)
						ours = true;
					p += sizeof *ie + ie->len;
				}
			if (ours && xv.e.x) {
				if (xv.pid > 0) {
					xv.again = true;
				} else {
					start_check(c);
					shell_note(c, COL_GOOD, "saved: checking %s again", base);
				}
				flags |= SH_RESIZE;
			}
		}
	}
	return flags;
}

void
exercise_attach(struct shell_ctx *c, const struct md_exercise *x)
{
	if (x && xv.e.x == x)
		return;
	if (!x && xv.replay[0] && xv.e.x)
		return; /* the replay's live view: the exercise stays */
	stop_check();
	stop_watching();
	xv.cat = c->cat;
	xv.e.x = NULL;
	xv.have = false;
	xv.hint = 0;
	if (!x || exercise_find(c->cat, x->name, &xv.e) < 0) {
		xv.e.x = NULL;
		return;
	}
	if (exercise_file(x->name, xv.file, sizeof xv.file) < 0)
		xv.file[0] = '\0';
}

void
exercise_leave(void)
{
	if (xv.opening) { /* into the replay: the exercise stays */
		xv.opening = false;
		return;
	}
	stop_check();
	stop_watching();
	xv.e.x = NULL;
	xv.replay[0] = '\0';
}

/* e: copy the template if need be, edit, check. */
static int
edit(struct shell_ctx *c)
{
	const char *ed = getenv("VISUAL");
	char err[PATH_MAX + 64], cmd[PATH_MAX + 64];
	struct sigaction ign = {.sa_handler = SIG_IGN}, oint, oquit;
	int r, st = 0;
	pid_t pid;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	r = exercise_copy(&xv.e, xv.file, sizeof xv.file, err, sizeof err);
	if (r < 0) {
		shell_note(c, COL_WARN, "%s", err);
		return SH_REDRAW;
	}
	/* As git runs core.editor: through sh, so EDITOR may carry options. */
	snprintf(cmd, sizeof cmd, "%s \"$@\"", ed);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	term_leave();
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		for (int s = 1; s < NSIG; s++)
			if (s != SIGKILL && s != SIGSTOP)
				signal(s, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl("/bin/sh", "sh", "-c", cmd, ed, xv.file, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	term_back();
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		shell_note(c, COL_WARN, "the editor (%s) failed%s: not checked", ed,
		           pid < 0 ? " to start" : "");
		return SH_RESIZE;
	}
	start_check(c);
	shell_note(c, COL_GOOD, "%s%s: checking it (its interleavings, then free runs)",
	           r == 1 ? "your copy is " : "", xv.file);
	return SH_RESIZE;
}

/* E: recheck on every save of the learner's copy, or stop. */
static int
toggle_watch(struct shell_ctx *c)
{
	char dir[PATH_MAX], err[PATH_MAX + 64], *slash;

	if (xv.ino >= 0) {
		stop_watching();
		shell_note(c, COL_GOOD, "no longer checking on save");
		return SH_RESIZE;
	}
	if (exercise_copy(&xv.e, xv.file, sizeof xv.file, err, sizeof err) < 0) {
		shell_note(c, COL_WARN, "%s", err);
		return SH_REDRAW;
	}
	snprintf(dir, sizeof dir, "%s", xv.file);
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	xv.ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (xv.ino >= 0)
		xv.wd = inotify_add_watch(xv.ino, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
	if (xv.ino < 0 || xv.wd < 0) {
		shell_note(c, COL_WARN, "cannot watch %s: %s", dir, strerror(errno));
		stop_watching();
		return SH_REDRAW;
	}
	ep_add(xv.ino);
	shell_note(c, COL_GOOD, "checking %s on every save (E stops)", xv.file);
	start_check(c);
	return SH_RESIZE;
}

/* f in the replay: grant the next worker of the failing schedule. */
static int
replay_next(struct shell_ctx *c)
{
	char *e;
	long no;

	if (!xv.replay_at || !*xv.replay_at) {
		shell_note(c, COL_GOOD, "the failing interleaving is over (%d steps): a "
		           "steps each worker on to the end", xv.replay_len);
		return SH_REDRAW;
	}
	/* The shell's step mode numbers the steps as the explorer does
	 * (racelab-watch: a worker alone takes none), so step k of the
	 * schedule is the shell's step k. */
	no = strtol(xv.replay_at, &e, 10);
	xv.replay_at = *e == ',' ? e + 1 : e;
	xv.replay_no++;
	if (no < 1 || no > 9) {
		shell_note(c, COL_WARN, "step %d is worker %ld: only workers 1-9 can be stepped "
		           "here", xv.replay_no, no);
		return SH_REDRAW;
	}
	{
		int r = step_grant(c, (unsigned)no);

		shell_note(c, COL_GOOD, "step %d of %d of the failing interleaving: worker %ld%s",
		           xv.replay_no, xv.replay_len, no,
		           xv.replay_no == xv.replay_len ? " (the last: a steps on to the end)" : "");
		return r;
	}
}

/* f: open the failing interleaving in step mode. */
static int
replay(struct shell_ctx *c, struct shell_action *act)
{
	char watch[PATH_MAX], driver[PATH_MAX];

	if (!xv.have || xv.v.result != EX_FAIL || !xv.v.schedule[0]) {
		shell_note(c, COL_WARN, "no failing interleaving to replay (e writes and checks "
		           "your copy)");
		return SH_REDRAW;
	}
	exercise_watch_path(c->cfg->bin_dir, watch, sizeof watch);
	exercise_source(&xv.e, true, driver, sizeof driver);
	snprintf(xv.replay, sizeof xv.replay, "%s", xv.v.schedule);
	xv.replay_at = xv.replay;
	xv.replay_no = 0;
	xv.replay_len = 1;
	for (const char *p = xv.replay; *p; p++)
		xv.replay_len += *p == ',';
	snprintf(xv.runcmd, sizeof xv.runcmd, "watch '%s' '%s'", driver, xv.v.file);
	demo_step_mode(c->demo, true);
	xv.opening = true;
	act->act = ACT_GO;
	act->to = SCREEN_LESSON;
	act->run = xv.runcmd;
	shell_note(c, COL_GOOD, "the failing interleaving, %d steps: f takes the next one",
	           xv.replay_len);
	return SH_RESIZE;
}

int
exercise_key(struct shell_ctx *c, int key, struct shell_action *act)
{
	int no;

	if (key == 'f' && xv.replay[0] && !xv.opening && act && c->demo->argc &&
	    strcmp(c->demo->argv[0], "watch") == 0)
		return replay_next(c);
	if (!xv.e.x) {
		shell_note(c, COL_WARN, "this step has no exercise");
		return SH_REDRAW;
	}
	switch (key) {
	case 'e':
		return edit(c);
	case 'E':
		return toggle_watch(c);
	case 'h':
		exercise_hint(&xv.e, &no);
		progress_save();
		xv.hint = no;
		shell_note(c, COL_GOOD, "hint %d of %d%s", no, xv.e.x->nhint,
		           no == xv.e.x->nhint ? " (the last)" : "");
		return SH_RESIZE;
	case 'f':
		return replay(c, act);
	default:
		return 0;
	}
}

void
exercise_results(void)
{
	const struct exercise_verdict *v = &xv.v;

	if (!xv.e.x)
		return;
	if (xv.pid > 0)
		results_add(COL_FOCUS, "Exercise", "checking %s: its interleavings, then free runs ...",
		            strrchr(xv.file, '/') + 1);
	else if (xv.have && v->result == EX_PASS)
		results_add(COL_GOOD, "Exercise", "PASS: %ld interleavings (%s)%s, all correct",
		            v->explored, exercise_bound_text(v), v->runs ? " and free runs" : "");
	else if (xv.have && v->result == EX_FAIL) {
		results_add(COL_WARN, "Exercise", "FAIL: %s", v->reason);
		if (v->detail[0] && !strstr(v->reason, v->detail))
			results_add(COL_NORMAL, "Driver", "%s", v->detail);
		if (v->schedule[0])
			results_add(COL_NORMAL, "Replay", "f steps through it; or in a shell: %s",
			            v->command);
	} else if (xv.have && v->result == EX_COMPILE) {
		/* cc's first error, its path cut to the file's name. */
		const char *l = strstr(v->detail, ": error:"), *b;
		char first[256];
		size_t n;

		if (!l)
			l = v->detail;
		for (b = l; b > v->detail && b[-1] != '\n'; b--)
			;
		for (l = b; l < b + strcspn(b, "\n :"); l++)
			if (*l == '/')
				b = l + 1;
		n = strcspn(b, "\n");
		snprintf(first, sizeof first, "%.*s", (int)(n < 255 ? n : 255), b);
		results_add(COL_WARN, "Exercise", "FAIL: %s", v->reason);
		if (first[0] && strstr(v->detail, ": error:")) /* a link error: said above */
			results_add(COL_NORMAL, "cc", "%s", first);
	} else if (xv.have) {
		results_add(COL_WARN, "Exercise", "not checked: %s", v->reason);
	}
	if (xv.hint)
		results_add(COL_FOCUS, "Hint", "%d/%d: %s", xv.hint, xv.e.x->nhint,
		            xv.e.x->hint[xv.hint - 1]);
	if (xv.ino >= 0)
		results_add(COL_DIM, "Watching", "%s: checked on every save (E stops)", xv.file);
}

bool
exercise_shown(void)
{
	return xv.e.x != NULL;
}
