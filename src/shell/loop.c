// The event loop: one thread, poll() on the terminal, the self-pipe that
// signal handlers write to, and the demo's output pipe; a frame deadline
// (~30 fps) only while a demo moves, so an idle shell never wakes up.  The
// loop knows the screens only as the table (screens.c) and carries out the
// actions they return.  A frame draws only what changed (each screen keeps
// track); one where nothing did costs no werase, no drawing, no doupdate.
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
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct shell_cfg shell_cfg;

enum { FRAME_NS = 33 * 1000 * 1000, FROZEN_FRAME_NS = 250 * 1000 * 1000 };

static int sigpipe_fd[2] = {-1, -1};
/* Set with each byte written to the pipe: the loop looks at it between two
 * keys, so that a long paste does not hold a SIGTERM back. */
static volatile sig_atomic_t sig_pending;

/* The screens open, bottom to top: a full screen (the catalog or a
 * lesson), then overlays (help, the too-small notice). */
static struct {
	enum screen_id id[SCREEN_COUNT];
	int n;
	bool quit;
} stack;

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
	uint32_t minflt;   /* minor page faults of the shell's thread in it */
	uint16_t ntasks;   /* actors on the board, when /proc was read (a slice) */
	char kind;         /* L live demo, F frozen (nothing moves), O other */
	bool sampled;      /* /proc was read in this frame */
	bool drew;         /* something had changed: drawn and doupdate()d */
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

/* Minor faults of the shell's thread so far (the frame's pages mapped on
 * first touch: shared board pages the shell had not read before). */
static uint64_t
stats_minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) == 0 ? (uint64_t)ru.ru_minflt : 0;
}

static void
stats_frame(const struct demo *d, uint64_t t0, uint64_t flt0, uint64_t tick_ns,
            bool sampled, bool drew)
{
	uint64_t t = stats_cpu_ns(), flt = stats_minflt();
	struct stats_rec *r;

	if (stats.n == 0 && !stats.first_frame.tv_sec)
		clock_gettime(CLOCK_REALTIME, &stats.first_frame);
	if (!stats.rec || stats.n >= STATS_MAX)
		return;
	r = &stats.rec[stats.n++];
	r->end_ns = shell_now_ns();
	r->work_ns = (uint32_t)(t - t0 < UINT32_MAX ? t - t0 : UINT32_MAX);
	r->tick_ns = (uint32_t)(tick_ns < UINT32_MAX ? tick_ns : UINT32_MAX);
	r->minflt = (uint32_t)(flt - flt0);
	r->sampled = sampled;
	r->drew = drew;
	r->ntasks = (uint16_t)(sampled ? d->nact : 0);
	r->kind = !demo_running(d) ? 'O' : demo_active(d) ? 'L' : 'F';
}

/* At exit: "first <realtime ns>", then "<end ns> <kind> <work ns> <tick
 * ns> <sampled tasks or -> <d drawn, u unchanged: nothing drawn> <minor
 * faults>" per frame. */
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
			fprintf(f, "%u", r->ntasks);
		else
			fputs("-", f);
		fprintf(f, " %c %u\n", r->drew ? 'd' : 'u', r->minflt);
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
	sig_pending = 1;
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
shell_note(struct shell_ctx *c, enum shell_color col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->note, sizeof c->note, fmt, ap);
	va_end(ap);
	c->note_attr = term_attr(col);
	c->note_gen++;
}

void
shell_status(const struct shell_ctx *c, WINDOW *w, const char *keys)
{
	int wd = getmaxx(w), x = 1;
	char note[sizeof c->note], fit[512];

	wbkgdset(w, ' ' | term_attr(COL_BAR));
	werase(w);
	/* Whole words only: the note's that fit beside "? help", then the
	 * keys that fit beside the note, most important first. */
	if (c->note[0]) {
		layout_words(c->note, wd - 2 - 3 - 6, note, sizeof note);
		x += term_put(w, 0, x, wd - 2, term_attr(COL_BAR) | A_BOLD, note) + 3;
	}
	layout_keys(keys, wd - 1 - x, fit, sizeof fit);
	term_put(w, 0, x, wd - 1 - x, term_attr(COL_BAR), fit);
	wbkgdset(w, ' ');
}

/* ---- the stack of screens --------------------------------------------- */

static const struct screen *
top(void)
{
	return shell_screens[stack.id[stack.n - 1]];
}

static int
find(enum screen_id id)
{
	for (int i = 0; i < stack.n; i++)
		if (stack.id[i] == id)
			return i;
	return -1;
}

static void
drop_at(struct shell_ctx *c, int i)
{
	shell_screens[stack.id[i]]->leave(c);
	for (; i + 1 < stack.n; i++)
		stack.id[i] = stack.id[i + 1];
	stack.n--;
}

/* Every open screen lays itself out; below the minimum size, the notice
 * covers them (they drop their windows) until the terminal grows. */
static void
layout(struct shell_ctx *c)
{
	int small = find(SCREEN_SMALL);
	bool proj;

	c->in_lesson = stack.n > 0 && stack.id[0] == SCREEN_LESSON;
	proj = c->in_lesson && shell_cfg.projector;
	c->min_cols = proj ? PROJ_MIN_COLS : SHELL_MIN_COLS;
	c->min_lines = proj ? PROJ_MIN_LINES : SHELL_MIN_LINES;
	c->too_small = LINES < c->min_lines || COLS < c->min_cols;
	if (c->too_small && small < 0)
		stack.id[stack.n++] = SCREEN_SMALL;
	else if (!c->too_small && small >= 0)
		drop_at(c, small);
	for (int i = 0; i < stack.n; i++)
		shell_screens[stack.id[i]]->layout(c);
}

/* Draw what changed (all when full), then one doupdate for the frame.
 * Returns whether anything was drawn. */
static bool
frame(struct shell_ctx *c, bool full)
{
	bool drew = false;

	for (int i = 0; i < stack.n; i++)
		drew |= shell_screens[stack.id[i]]->draw(c, full);
	if (drew || full) {
		update_panels();
		doupdate();
	}
	return drew || full;
}

/* Carry out what a screen asked for.  Returns flags like a key. */
static int
carry(struct shell_ctx *c, const struct shell_action *a)
{
	const struct screen *to;

	switch (a->act) {
	case ACT_NONE:
		return 0;
	case ACT_CLOSE:
		if (stack.n > 1 && top()->overlay)
			drop_at(c, stack.n - 1);
		return SH_RESIZE;
	case ACT_GO:
		to = shell_screens[a->to];
		if (!to->overlay) { /* a new full screen: everything else goes */
			while (stack.n > 0)
				drop_at(c, stack.n - 1);
		} else if (find(a->to) >= 0) {
			return 0;
		}
		stack.id[stack.n++] = a->to;
		to->enter(c, a);
		return SH_RESIZE;
	}
	return 0;
}

int
loop_open(struct shell_ctx *c, const struct shell_action *a)
{
	stack.n = 0;
	stack.id[stack.n++] = a->to;
	return shell_screens[a->to]->enter(c, a);
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
handle_mouse(struct shell_ctx *c)
{
	struct shell_action act = {.act = ACT_NONE, .lesson = -1, .step = -1};
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return 0;
	return top()->click(c, &ev, &act) | carry(c, &act) | SH_REDRAW;
}

static int
handle_key(struct shell_ctx *c, int key)
{
	struct shell_action act = {.act = ACT_NONE, .lesson = -1, .step = -1};

	if (key == SHK(KEY_RESIZE)) /* we handle SIGWINCH ourselves */
		return 0;
	if (key == SHK(KEY_MOUSE))
		return handle_mouse(c);
	if (key == SH_CTRL('l')) {
		clearok(curscr, TRUE);
		return SH_REDRAW;
	}
	if (!top()->overlay) {
		if (key == '?') {
			act.act = ACT_GO;
			act.to = SCREEN_HELP;
			return carry(c, &act);
		}
		c->note[0] = '\0';
	}
	return top()->key(c, key, &act) | carry(c, &act);
}

/* Work the signals the handlers queued.  Returns flags like a key. */
static int
handle_signals(struct shell_ctx *c)
{
	unsigned char sigs[64];
	ssize_t n;
	int flags = 0;

	sig_pending = 0;
	while ((n = read(sigpipe_fd[0], sigs, sizeof sigs)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			switch (sigs[i]) {
			case SIGCHLD:
				demo_child_event(c->demo);
				flags |= SH_FRAME;
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
loop_run(struct shell_ctx *c)
{
	struct demo *d = c->demo;
	uint64_t next_frame = 0;

	layout(c);
	frame(c, true);
	if (stats.path)
		stats_frame(d, stats_cpu_ns(), stats_minflt(), 0, false, true);
	while (!stack.quit) {
		struct pollfd pfd[4] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = sigpipe_fd[0], .events = POLLIN},
			{.fd = exercise_fd(), .events = POLLIN}, /* a check, a save */
			{.fd = d->out_fd, .events = POLLIN},
		};
		int timeout = -1, flags = 0, r;
		uint64_t now = shell_now_ns();

		/* Frames only while something moves: no wake-ups when idle. */
		if (demo_running(d)) {
			if (next_frame == 0)
				next_frame = now;
			timeout = next_frame > now ? (int)((next_frame - now) / 1000000) + 1 : 0;
			if (d->stopping) {
				uint64_t k = d->kill_at;

				if (k > now && (int)((k - now) / 1000000) + 1 < timeout)
					timeout = (int)((k - now) / 1000000) + 1;
			}
		}
		r = poll(pfd, d->out_fd >= 0 ? 4 : 3, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && (pfd[1].revents & POLLIN))
			flags |= handle_signals(c);
		if (flags & SH_RESIZE) {
			/* Before the keys: a key typed just after a resize acts
			 * on the new layout (not on a stale too-small screen). */
			term_resize();
			layout(c);
			flags = (flags & ~SH_RESIZE) | SH_REDRAW;
		}
		if (r > 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)))
			flags |= exercise_io(c);
		if (r > 0 && d->out_fd >= 0 &&
		    (pfd[3].revents & (POLLIN | POLLHUP | POLLERR))) {
			demo_read_output(d);
			flags |= SH_FRAME;
		}
		if (r > 0 && (pfd[0].revents & (POLLHUP | POLLERR)))
			flags |= SH_QUIT; /* the terminal went away */
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			/* Keys until none is pending, a signal came, or a frame's
			 * time is used up: then the frame, and poll() again (the
			 * rest of a paste is still there). */
			uint64_t until = shell_now_ns() + FRAME_NS;
			int k;

			while (!(flags & SH_QUIT) && (k = key_code()) >= 0) {
				flags |= handle_key(c, k) | SH_REDRAW;
				if (sig_pending)
					flags |= handle_signals(c);
				if (shell_now_ns() >= until)
					break;
			}
		}
		uint64_t t0 = stats.path ? stats_cpu_ns() : 0, tick_ns = 0,
		         flt0 = stats.path ? stats_minflt() : 0,
		         proc_before = d->last_proc_ns;

		now = shell_now_ns();
		if (demo_running(d) && now >= next_frame) {
			demo_tick(d, now);
			if (stats.path)
				tick_ns = stats_cpu_ns() - t0;
			next_frame = now + (demo_active(d) ? FRAME_NS : FROZEN_FRAME_NS);
			flags |= SH_FRAME;
		} else if (!demo_running(d) && next_frame) {
			demo_tick(d, now); /* the final samples after the end */
			next_frame = 0;
			flags |= SH_FRAME;
		}
		for (int i = 0; i < stack.n; i++)
			if (shell_screens[stack.id[i]]->tick)
				flags |= shell_screens[stack.id[i]]->tick(c, now);
		if (flags & SH_QUIT) {
			stack.quit = true;
			break;
		}
		if (flags & SH_RESIZE) {
			term_resize();
			layout(c);
		}
		/* Everything after a key or a new layout; else what changed. */
		if (flags & (SH_REDRAW | SH_RESIZE | SH_FRAME)) {
			bool drew = frame(c, (flags & (SH_REDRAW | SH_RESIZE)) != 0);

			if (stats.path)
				stats_frame(d, t0, flt0, tick_ns,
				            d->last_proc_ns != proc_before && d->last_proc_ns != 0,
				            drew);
		}
	}
	demo_stop_wait(d);
	stats_write();
	return 0;
}
