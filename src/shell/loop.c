// The event loop: one thread, poll() on the terminal, the self-pipe that
// signal handlers write to, and the demo's output pipe; a frame deadline
// (~30 fps) only while a demo moves, so an idle shell never wakes up.
//
// Signal handlers only write the signal number to the pipe (async-signal-
// safe); the loop does the work.  The fatal ones (SIGSEGV ...) are the
// exception: they kill the demo's group and restore the terminal, then let
// the default action happen.
#include "shell/shell.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct shell shell;
struct shell_cfg shell_cfg;

enum { FRAME_NS = 33 * 1000 * 1000, FROZEN_FRAME_NS = 250 * 1000 * 1000 };

static int sigpipe_fd[2] = {-1, -1};
static struct ui_win help_win, small_win;

/* Opt-in instrumentation for bench/shell.sh: with RACELAB_STATS=<file> the
 * loop keeps one record per drawn frame (when it ended, how long the tick
 * and the drawing took, whether /proc was sampled in it) and writes them to
 * the file at exit.  Work is CPU time of the shell's thread, so a frame
 * preempted by busy workers does not count their time as ours.  Unset, it
 * costs one predictable branch per frame. */
enum { STATS_MAX = 1 << 16 };
struct stats_rec {
	uint64_t end_ns;   /* CLOCK_MONOTONIC at the end of the frame */
	uint32_t work_ns;  /* tick + drawing, CPU time of the shell */
	uint32_t tick_ns;  /* demo_tick alone (board and /proc sampling), CPU */
	uint16_t ntasks;   /* actors on the board, when /proc was read (a slice) */
	char kind;         /* L live demo, F frozen (nothing moves), O other */
	bool sampled;      /* /proc was read in this frame */
};
static struct {
	const char *path;
	struct stats_rec *rec;
	uint32_t n;
	struct timespec first_frame; /* CLOCK_REALTIME at the end of frame 1 */
} stats;

static uint64_t
stats_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
stats_frame(uint64_t t0, uint64_t tick_ns, bool sampled)
{
	uint64_t t = stats_cpu_ns();
	struct stats_rec *r;

	if (stats.n == 0 && !stats.first_frame.tv_sec)
		clock_gettime(CLOCK_REALTIME, &stats.first_frame);
	if (!stats.rec || stats.n >= STATS_MAX)
		return;
	r = &stats.rec[stats.n++];
	r->end_ns = shell_now_ns();
	r->work_ns = (uint32_t)(t - t0 < UINT32_MAX ? t - t0 : UINT32_MAX);
	r->tick_ns = (uint32_t)(tick_ns < UINT32_MAX ? tick_ns : UINT32_MAX);
	r->sampled = sampled;
	r->ntasks = (uint16_t)(sampled ? shell_demo.nact : 0);
	r->kind = !demo_running() ? 'O' : demo_active() ? 'L' : 'F';
}

/* At exit: "first <realtime ns>", then "<end ns> <kind> <work ns> <tick
 * ns> <sampled tasks or ->" per frame. */
static void
stats_write(void)
{
	FILE *f;

	if (!stats.path || !(f = fopen(stats.path, "w")))
		return;
	fprintf(f, "first %lld%09ld\n", (long long)stats.first_frame.tv_sec,
	        stats.first_frame.tv_nsec);
	for (uint32_t i = 0; i < stats.n; i++) {
		const struct stats_rec *r = &stats.rec[i];

		fprintf(f, "%llu %c %u %u ", (unsigned long long)r->end_ns, r->kind,
		        r->work_ns, r->tick_ns);
		if (r->sampled)
			fprintf(f, "%u\n", r->ntasks);
		else
			fputs("-\n", f);
	}
	fclose(f);
	free(stats.rec);
	stats.rec = NULL;
}

static void
on_signal(int sig)
{
	int e = errno;
	unsigned char c = (unsigned char)sig;

	(void)!write(sigpipe_fd[1], &c, 1);
	errno = e;
}

static void
on_fatal(int sig)
{
	/* Not async-signal-safe in theory (endwin); the process is dying and
	 * a terminal left in raw mode is worse.  htop's fail() does the same. */
	if (child_pgid > 1)
		kill(-(pid_t)child_pgid, SIGKILL);
	term_end();
	signal(sig, SIG_DFL);
	raise(sig);
}

int
loop_init(void)
{
	/* Every signal whose default action ends the process is either an
	 * event for the loop (it quits the way q does: the demo stopped,
	 * progress saved, the terminal restored) or, for the crash signals,
	 * on_fatal.  SIGXFSZ is ignored: over RLIMIT_FSIZE a write fails
	 * with EFBIG, and progress.c says progress is not saved.  (SIGKILL
	 * cannot be caught: `reset` restores the terminal after it.) */
	static const int events[] = {SIGCHLD, SIGWINCH, SIGTERM, SIGINT, SIGHUP,
	                             SIGTSTP, SIGCONT, SIGUSR1, SIGUSR2, SIGALRM,
	                             SIGVTALRM, SIGPROF, SIGXCPU, SIGPWR, SIGIO,
	                             SIGSTKFLT};
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
	                            SIGQUIT, SIGSYS, SIGTRAP};
	struct sigaction sa;

	if (pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_signal;
	for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
		sigaction(events[i], &sa, NULL);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaction(s, &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	stats.path = getenv("RACELAB_STATS");
	if (stats.path && *stats.path)
		stats.rec = calloc(STATS_MAX, sizeof *stats.rec);
	else
		stats.path = NULL;
	return 0;
}

void
shell_note(enum shell_color c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(shell.note, sizeof shell.note, fmt, ap);
	va_end(ap);
	shell.note_attr = term_attr(c);
}

void
shell_status(WINDOW *w, const char *keys)
{
	int wd = getmaxx(w);

	wbkgdset(w, ' ' | term_attr(COL_BAR));
	werase(w);
	if (shell.note[0]) {
		int n = term_put(w, 0, 1, wd - 2, term_attr(COL_BAR) | A_BOLD, shell.note);

		term_put(w, 0, n + 3, wd - n - 4, term_attr(COL_BAR), keys);
	} else {
		term_put(w, 0, 1, wd - 2, term_attr(COL_BAR), keys);
	}
	wbkgdset(w, ' ');
}

static const char *const help_lines[] = {
	"racelab keys",
	"",
	"Catalog",
	"  Up/Down, j/k    select a lesson",
	"  Enter           open it",
	"  q               quit",
	"",
	"Lesson",
	"  Right/n Left/p  next / previous step",
	"  Enter or r      run the step's demo",
	"  c               choose the next demo of the step",
	"  R               run it 20 times into the histogram",
	"  Space           freeze / thaw the demo (SIGSTOP/SIGCONT)",
	"  s               step mode on/off (this demo and the next)",
	"  1-9             advance worker N one step (starts the demo)",
	"  a / g           each worker one step / let them all go",
	"  u               undo: restart and replay all but the last step",
	"  w               save the schedule as a replayable command",
	"  l               cycle the sync method for the next run",
	"  + / -           more / fewer workers for the next run",
	"  k               kill the selected worker (SIGKILL)",
	"  x               stop the demo",
	"  Tab, Up/Down    next panel, select / scroll in it",
	"  PgUp/PgDn       scroll the lesson text",
	"  q or Esc        back to the catalog",
	"",
	"Anywhere: ? help, Ctrl-L repaint, Ctrl-C quit",
	"",
	"Press any key to close.",
};

static void
layout(void)
{
	int n = (int)(sizeof help_lines / sizeof help_lines[0]);

	shell.too_small = LINES < SHELL_MIN_LINES || COLS < SHELL_MIN_COLS;
	ui_drop(&help_win);
	ui_drop(&small_win);
	if (shell.screen == SCREEN_CATALOG)
		catalog_layout();
	else
		lesson_layout();
	if (shell.too_small) {
		ui_place(&small_win, LINES, COLS, 0, 0);
		return;
	}
	if (shell.help) {
		int h = n + 2 < LINES - 2 ? n + 2 : LINES - 2;
		int w = 64 < COLS - 4 ? 64 : COLS - 4;

		ui_place(&help_win, h, w, (LINES - h) / 2, (COLS - w) / 2);
	}
}

static void
draw_small(void)
{
	WINDOW *w = small_win.w;
	char msg[128];

	if (!w)
		return;
	werase(w);
	snprintf(msg, sizeof msg, "racelab needs at least %dx%d (now %dx%d)",
	         SHELL_MIN_COLS, SHELL_MIN_LINES, COLS, LINES);
	term_put(w, LINES / 2 - 1, 0, COLS, term_attr(COL_WARN), msg);
	term_put(w, LINES / 2 + 1, 0, COLS, A_NORMAL, "enlarge the terminal, or q to quit");
}

static void
draw_help(void)
{
	WINDOW *w = help_win.w;
	int h, wd, n = (int)(sizeof help_lines / sizeof help_lines[0]);

	if (!w)
		return;
	getmaxyx(w, h, wd);
	werase(w);
	term_frame(w, help_lines[0], true);
	for (int i = 1; i < n && i < h - 1; i++)
		term_put(w, i, 2, wd - 4,
		         help_lines[i][0] && help_lines[i][0] != ' ' ? term_attr(COL_TITLE)
		                                                    : A_NORMAL,
		         help_lines[i]);
}

static void
frame(void)
{
	if (shell.too_small) {
		draw_small();
	} else {
		if (shell.screen == SCREEN_CATALOG)
			catalog_draw();
		else
			lesson_draw();
		draw_help();
		/* A screen may lay itself out again while drawing (a panel
		 * appears when the demo makes a lock): its new windows must
		 * not hide the overlay. */
		if (help_win.p)
			top_panel(help_win.p);
	}
	update_panels();
	doupdate();
}

void
shell_go(enum shell_screen s)
{
	if (s == SCREEN_CATALOG && shell.screen == SCREEN_LESSON)
		lesson_close();
	shell.screen = s;
	layout();
}

static int
key_code(void)
{
	wint_t wc;
	int r = get_wch(&wc);

	if (r == ERR)
		return -1;
	if (r == KEY_CODE_YES)
		return SHK((int)wc);
	return (int)wc;
}

static int
handle_mouse(void)
{
	MEVENT ev;

	if (getmouse(&ev) != OK || shell.too_small)
		return 0;
	if (shell.help) {
		shell.help = false;
		layout();
		return SH_REDRAW;
	}
	if (shell.screen == SCREEN_CATALOG) {
		if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))
			catalog_click(ev.y, ev.x);
		else if (ev.bstate & BUTTON4_PRESSED)
			catalog_key(SHK(KEY_UP));
		else if (ev.bstate & BUTTON5_PRESSED)
			catalog_key(SHK(KEY_DOWN));
	} else {
		lesson_click(ev.y, ev.x, (ev.bstate & BUTTON4_PRESSED) != 0,
		             (ev.bstate & BUTTON5_PRESSED) != 0);
	}
	return SH_REDRAW;
}

static int
handle_key(int key)
{
	if (key == SHK(KEY_RESIZE)) /* we handle SIGWINCH ourselves */
		return 0;
	if (key == SHK(KEY_MOUSE))
		return handle_mouse();
	if (key == SH_CTRL('l')) {
		clearok(curscr, TRUE);
		return SH_REDRAW;
	}
	if (shell.help) { /* any key closes the overlay */
		shell.help = false;
		return SH_RESIZE;
	}
	if (shell.too_small)
		return key == 'q' ? SH_QUIT : 0;
	if (key == '?') {
		shell.help = true;
		return SH_RESIZE;
	}
	shell.note[0] = '\0';
	return shell.screen == SCREEN_CATALOG ? catalog_key(key) : lesson_key(key);
}

/* Work the signals the handlers queued.  Returns flags like a key. */
static int
handle_signals(void)
{
	unsigned char sigs[64];
	ssize_t n;
	int flags = 0;

	while ((n = read(sigpipe_fd[0], sigs, sizeof sigs)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			switch (sigs[i]) {
			case SIGCHLD:
				demo_child_event();
				flags |= SH_REDRAW;
				break;
			case SIGWINCH:
				flags |= SH_RESIZE;
				break;
			case SIGTSTP:
				term_suspend(); /* returns after fg */
				signal(SIGTSTP, on_signal);
				flags |= SH_RESIZE;
				break;
			case SIGCONT:
				flags |= SH_RESIZE;
				break;
			default: /* SIGTERM, SIGINT, SIGHUP and the others
			          * whose default is to end the process */
				flags |= SH_QUIT;
				break;
			}
		}
	}
	return flags;
}

int
loop_run(void)
{
	uint64_t next_frame = 0;

	layout();
	frame();
	if (stats.path)
		stats_frame(stats_cpu_ns(), 0, false);
	while (!shell.quit) {
		struct pollfd pfd[3] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = sigpipe_fd[0], .events = POLLIN},
			{.fd = shell_demo.out_fd, .events = POLLIN},
		};
		int timeout = -1, flags = 0, r;
		uint64_t now = shell_now_ns();

		/* Frames only while something moves: no wake-ups when idle. */
		if (demo_running()) {
			if (next_frame == 0)
				next_frame = now;
			timeout = next_frame > now ? (int)((next_frame - now) / 1000000) + 1 : 0;
			if (shell_demo.stopping) {
				uint64_t k = shell_demo.kill_at;

				if (k > now && (int)((k - now) / 1000000) + 1 < timeout)
					timeout = (int)((k - now) / 1000000) + 1;
			}
		}
		r = poll(pfd, shell_demo.out_fd >= 0 ? 3 : 2, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && (pfd[1].revents & POLLIN))
			flags |= handle_signals();
		if (flags & SH_RESIZE) {
			/* Before the keys: a key typed just after a resize acts
			 * on the new layout (not on a stale too-small screen). */
			term_resize();
			layout();
			flags = (flags & ~SH_RESIZE) | SH_REDRAW;
		}
		if (r > 0 && shell_demo.out_fd >= 0 &&
		    (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			demo_read_output();
			flags |= SH_REDRAW;
		}
		if (r > 0 && (pfd[0].revents & (POLLHUP | POLLERR)))
			flags |= SH_QUIT; /* the terminal went away */
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			int k;

			while ((k = key_code()) >= 0)
				flags |= handle_key(k) | SH_REDRAW;
		}
		uint64_t t0 = stats.path ? stats_cpu_ns() : 0, tick_ns = 0,
		         proc_before = shell_demo.last_proc_ns;

		now = shell_now_ns();
		if (demo_running() && now >= next_frame) {
			demo_tick(now);
			if (stats.path)
				tick_ns = stats_cpu_ns() - t0;
			next_frame = now + (demo_active() ? FRAME_NS : FROZEN_FRAME_NS);
			flags |= SH_REDRAW;
		} else if (!demo_running() && next_frame) {
			demo_tick(now); /* the final samples after the end */
			next_frame = 0;
			flags |= SH_REDRAW;
		}
		if (flags & SH_QUIT) {
			shell.quit = true;
			break;
		}
		if (flags & SH_RESIZE) {
			term_resize();
			layout();
		}
		if (flags & (SH_REDRAW | SH_RESIZE)) {
			frame();
			if (stats.path)
				stats_frame(t0, tick_ns, shell_demo.last_proc_ns != proc_before &&
				                         shell_demo.last_proc_ns != 0);
		}
	}
	demo_stop_wait();
	stats_write();
	return 0;
}
