// Traces in the shell: `w` writes the run on the board as a trace (beside
// saving the schedule), and `racelab --replay FILE.json` plays a recorded
// run back: its timeline, counters and locks at a chosen speed, paused,
// stepped event by event forward and back.  A replay is a recording and
// says so on every screen; nothing in it is live.
#include "shell/shell.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lab/lab.h"

/* ---- w: write the run on the board ---------------------------------- */

int
trace_key(struct shell_ctx *c)
{
	const struct board *b = c->demo->board;
	const char *dir = progress_dir();
	char path[PATH_MAX], prog[64], err[600], stamp[32], note[sizeof c->note];
	struct lab_trace *t;
	time_t now = time(NULL);
	struct tm tm;
	int flags = step_save(c);
	bool took_steps = strncmp(c->note, "no schedule to save: take", 25) != 0;

	snprintf(note, sizeof note, "%s", c->note);
	if (!b || atomic_load(&((struct board *)b)->run) == 0) {
		shell_note(c, COL_WARN, "no run to write as a trace yet (Enter runs the demo)");
		return flags;
	}
	if (!dir) {
		shell_note(c, COL_WARN, "no state directory: the trace is not written");
		return flags;
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	snprintf(prog, sizeof prog, "racelab-%.31s", b->lesson);
	snprintf(path, sizeof path, "%s/trace-%.31s-%s.json", dir, b->lesson, stamp);
	t = lab_trace_new(prog);
	if (!t)
		shell_oom();
	lab_trace_add(t, b);
	if (lab_trace_write(t, path, err, sizeof err) < 0) {
		lab_trace_free(t);
		shell_note(c, COL_WARN, "%s", err);
		return flags;
	}
	lab_trace_free(t);
	if (took_steps)
		shell_note(c, COL_GOOD, "%s; trace saved: %s", note, path);
	else
		shell_note(c, COL_GOOD, "trace saved: %s (racelab --replay plays it)", path);
	return flags;
}

/* ---- the recording, read back ----------------------------------------- */

enum rp_kind { RP_STATE, RP_STEP, RP_LOCK, RP_COUNTER, RP_OTHER };
enum rp_lock_op { RP_WAIT, RP_ACQUIRE, RP_RELEASE, RP_LOCK_OTHER };

struct rp_event {
	double ts; /* µs */
	int track; /* -1: a counter */
	enum rp_kind kind;
	enum board_state state; /* RP_STATE */
	int counter;            /* RP_COUNTER */
	int lock;               /* RP_LOCK */
	enum rp_lock_op op;
	long long value;
	char text[64];
};

struct rp_track {
	long long pid, tid;
	char name[48];
};

struct rp_counter {
	char name[BOARD_NAME_LEN];
	bool has_expected;
	long long expected;
};

static struct {
	const char *path;
	char program[64];
	bool sampled; /* the run recorded about one step a millisecond */
	struct rp_track *track;
	int ntrack;
	struct rp_counter counter[BOARD_MAX_COUNTERS];
	int ncounter;
	char lock[BOARD_MAX_LOCKS][BOARD_NAME_LEN];
	int nlock;
	struct rp_event *ev;
	size_t nev;
	double t0, t1; /* µs */
	double tl0;    /* the timeline's start: the first worker's start */
	/* The replay's position: events[0..pos) have happened. */
	size_t pos;
	double now; /* µs of the recording shown */
	double speed;
	bool playing;
	/* State at pos, kept up to date forward, rebuilt going back. */
	enum board_state *state; /* per track */
	long long value[BOARD_MAX_COUNTERS];
	bool seen[BOARD_MAX_COUNTERS];
	int holder[BOARD_MAX_LOCKS];
	unsigned waiters[BOARD_MAX_LOCKS];
} rp;

static int
find_track(long long pid, long long tid)
{
	for (int i = 0; i < rp.ntrack; i++)
		if (rp.track[i].pid == pid && rp.track[i].tid == tid)
			return i;
	return -1;
}

static int
add_track(long long pid, long long tid)
{
	int i = find_track(pid, tid);
	struct rp_track *t;

	if (i >= 0)
		return i;
	t = realloc(rp.track, (size_t)(rp.ntrack + 1) * sizeof *t);
	if (!t)
		shell_oom();
	rp.track = t;
	t[rp.ntrack].pid = pid;
	t[rp.ntrack].tid = tid;
	snprintf(t[rp.ntrack].name, sizeof t[rp.ntrack].name, "tid %lld", tid);
	return rp.ntrack++;
}

static int
counter_index(const char *name)
{
	for (int i = 0; i < rp.ncounter; i++)
		if (strcmp(rp.counter[i].name, name) == 0)
			return i;
	if (rp.ncounter == BOARD_MAX_COUNTERS)
		return -1;
	snprintf(rp.counter[rp.ncounter].name, BOARD_NAME_LEN, "%s", name);
	return rp.ncounter++;
}

static int
lock_index(const char *name)
{
	for (int i = 0; i < rp.nlock; i++)
		if (strcmp(rp.lock[i], name) == 0)
			return i;
	if (rp.nlock == BOARD_MAX_LOCKS)
		return -1;
	snprintf(rp.lock[rp.nlock], BOARD_NAME_LEN, "%s", name);
	return rp.nlock++;
}

static enum board_state
state_by_name(const char *s)
{
	for (int i = 0; i < BOARD_ST_COUNT; i++)
		if (strcmp(board_state_name((enum board_state)i), s) == 0)
			return (enum board_state)i;
	return BOARD_ST_RUNNING;
}

static struct rp_event *
push(void)
{
	static size_t cap;

	if (rp.nev == cap) {
		size_t n = cap ? cap * 2 : 1024;
		struct rp_event *e = realloc(rp.ev, n * sizeof *e);

		if (!e)
			shell_oom();
		rp.ev = e;
		cap = n;
	}
	memset(&rp.ev[rp.nev], 0, sizeof rp.ev[0]);
	return &rp.ev[rp.nev++];
}

static int
by_ts(const void *x, const void *y)
{
	const struct rp_event *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return 0;
}

/* One event of traceEvents into the replay's list; false for one that
 * breaks the format's rules (a replay shows only what it can trust). */
static bool
take(json_t *e, char *why, size_t len)
{
	const char *ph = json_string_value(json_object_get(e, "ph"));
	const char *name = json_string_value(json_object_get(e, "name"));
	const char *cat = json_string_value(json_object_get(e, "cat"));
	json_t *ts = json_object_get(e, "ts"), *args = json_object_get(e, "args");
	json_t *pid = json_object_get(e, "pid"), *tid = json_object_get(e, "tid");
	struct rp_event *r;

	if (!ph || !name || !json_is_integer(pid)) {
		snprintf(why, len, "an event without ph, name or pid");
		return false;
	}
	if (strcmp(ph, "M") == 0) {
		if (strcmp(name, "thread_name") == 0 && json_is_integer(tid)) {
			int i = add_track(json_integer_value(pid), json_integer_value(tid));
			const char *n = json_string_value(json_object_get(args, "name"));

			if (n)
				snprintf(rp.track[i].name, sizeof rp.track[i].name, "%s", n);
		}
		return true;
	}
	if (!json_is_number(ts)) {
		snprintf(why, len, "a \"%s\" event without a number ts", ph);
		return false;
	}
	if (strcmp(ph, "C") == 0) {
		json_t *v = json_object_get(args, name);
		int c = counter_index(name);

		if (!json_is_integer(v) || c < 0)
			return true;
		r = push();
		r->ts = json_number_value(ts);
		r->track = -1;
		r->kind = RP_COUNTER;
		r->counter = c;
		r->value = json_integer_value(v);
		snprintf(r->text, sizeof r->text, "%s = %lld", name, r->value);
		return true;
	}
	if (!json_is_integer(tid)) {
		snprintf(why, len, "a \"%s\" event without a tid", ph);
		return false;
	}
	if (strcmp(ph, "B") == 0 && cat && strcmp(cat, "state") == 0) {
		const char *st = json_string_value(json_object_get(args, "state"));

		r = push();
		r->ts = json_number_value(ts);
		r->track = add_track(json_integer_value(pid), json_integer_value(tid));
		r->kind = RP_STATE;
		r->state = st ? state_by_name(st) : BOARD_ST_RUNNING;
		snprintf(r->text, sizeof r->text, "%s", name);
		return true;
	}
	if (strcmp(ph, "E") == 0 && cat && strcmp(cat, "worker") == 0) {
		r = push();
		r->ts = json_number_value(ts);
		r->track = add_track(json_integer_value(pid), json_integer_value(tid));
		r->kind = RP_STATE;
		r->state = BOARD_ST_DONE;
		snprintf(r->text, sizeof r->text, "done");
		return true;
	}
	if (strcmp(ph, "i") == 0 || strcmp(ph, "I") == 0) {
		const char *ln = json_string_value(json_object_get(args, "lock"));
		const char *op = json_string_value(json_object_get(args, "op"));
		json_t *v = json_object_get(args, "value");

		r = push();
		r->ts = json_number_value(ts);
		r->track = add_track(json_integer_value(pid), json_integer_value(tid));
		r->kind = cat && (strcmp(cat, "read") == 0 || strcmp(cat, "write") == 0 ||
		                  strcmp(cat, "step") == 0) ? RP_STEP : RP_OTHER;
		if (json_is_integer(v))
			snprintf(r->text, sizeof r->text, "%s = %lld", name,
			         (long long)json_integer_value(v));
		else
			snprintf(r->text, sizeof r->text, "%s", name);
		if (ln && op && (r->lock = lock_index(ln)) >= 0) {
			r->kind = RP_LOCK;
			r->op = strcmp(op, "wait") == 0 ? RP_WAIT
			      : strcmp(op, "acquire") == 0 ? RP_ACQUIRE
			      : strcmp(op, "release") == 0 ? RP_RELEASE : RP_LOCK_OTHER;
		}
		return true;
	}
	return true; /* E of a state, flows: drawn from the rest */
}

enum { RP_MAX_BYTES = 256 << 20 };

static int
load(const char *path, char *why, size_t len)
{
	json_error_t je;
	json_t *root, *evs, *e, *rl;
	struct stat st;
	size_t i;

	/* jansson holds the whole tree, about 14 bytes of memory for each
	 * byte of a trace (a 27 MB file: 370 MB): a bigger file than any one
	 * run's --trace-out (a million events, ~110 MB) is refused before it
	 * is read, so that a hostile or mistaken file cannot eat the memory. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > RP_MAX_BYTES) {
		snprintf(why, len, "too big for a replay (%lld MB; at most %d MB)",
		         (long long)(st.st_size >> 20), RP_MAX_BYTES >> 20);
		return -1;
	}
	root = json_load_file(path, 0, &je);
	if (!root) {
		if (je.line < 0 || je.position == 0)
			snprintf(why, len, "%s", errno ? strerror(errno) : je.text);
		else
			snprintf(why, len, "not JSON (line %d: %s)", je.line, je.text);
		return -1;
	}
	evs = json_is_array(root) ? root : json_object_get(root, "traceEvents");
	if (!json_is_array(evs) || json_array_size(evs) == 0) {
		snprintf(why, len, "not a trace: no traceEvents");
		json_decref(root);
		return -1;
	}
	json_array_foreach(evs, i, e) {
		if (!json_is_object(e) || !take(e, why, len)) {
			if (json_is_object(e))
				snprintf(why + strlen(why), len - strlen(why), " (event %zu)", i);
			else
				snprintf(why, len, "event %zu is not an object", i);
			json_decref(root);
			return -1;
		}
	}
	rl = json_object_get(root, "racelab");
	snprintf(rp.program, sizeof rp.program, "%s",
	         json_string_value(json_object_get(rl, "program")) ?: "a program");
	{
		json_t *runs = json_object_get(rl, "runs"), *run, *c;
		size_t k, j;

		json_array_foreach(runs, k, run) {
			rp.sampled |= json_is_true(json_object_get(run, "steps_sampled"));
			json_array_foreach(json_object_get(run, "counters"), j, c) {
				const char *n = json_string_value(json_object_get(c, "name"));
				json_t *x = json_object_get(c, "expected");
				int ci = n ? counter_index(n) : -1;

				if (ci >= 0 && json_is_integer(x)) {
					rp.counter[ci].has_expected = true;
					rp.counter[ci].expected = json_integer_value(x);
				}
			}
		}
	}
	json_decref(root);
	if (rp.nev == 0 || rp.ntrack == 0) {
		snprintf(why, len, "not a trace of a run: no worker's events");
		return -1;
	}
	qsort(rp.ev, rp.nev, sizeof *rp.ev, by_ts);
	rp.t0 = rp.ev[0].ts;
	rp.t1 = rp.ev[rp.nev - 1].ts;
	rp.tl0 = rp.t0;
	for (size_t k = 0; k < rp.nev; k++)
		if (rp.ev[k].kind == RP_STATE && rp.ev[k].state != BOARD_ST_STARTING &&
		    rp.ev[k].state != BOARD_ST_IDLE) {
			rp.tl0 = rp.ev[k].ts;
			break;
		}
	rp.state = calloc((size_t)rp.ntrack, sizeof *rp.state);
	if (!rp.state)
		shell_oom();
	return 0;
}

/* ---- the state at a position ---------------------------------------- */

static void
apply(const struct rp_event *e)
{
	switch (e->kind) {
	case RP_STATE:
		rp.state[e->track] = e->state;
		break;
	case RP_COUNTER:
		rp.value[e->counter] = e->value;
		rp.seen[e->counter] = true;
		break;
	case RP_LOCK:
		if (e->op == RP_WAIT)
			rp.waiters[e->lock]++;
		if (e->op == RP_ACQUIRE) {
			if (rp.waiters[e->lock] && rp.state[e->track] == BOARD_ST_WAIT_LOCK)
				rp.waiters[e->lock]--;
			rp.holder[e->lock] = e->track;
		}
		if (e->op == RP_RELEASE && rp.holder[e->lock] == e->track)
			rp.holder[e->lock] = -1;
		break;
	default:
		break;
	}
}

static void
seek(size_t pos)
{
	if (pos < rp.pos) {
		rp.pos = 0;
		for (int i = 0; i < rp.ntrack; i++)
			rp.state[i] = BOARD_ST_IDLE;
		memset(rp.seen, 0, sizeof rp.seen);
		memset(rp.waiters, 0, sizeof rp.waiters);
		for (int i = 0; i < BOARD_MAX_LOCKS; i++)
			rp.holder[i] = -1;
	}
	while (rp.pos < pos && rp.pos < rp.nev)
		apply(&rp.ev[rp.pos++]);
}

/* Move the shown time; the events up to it have happened. */
static void
seek_time(double t)
{
	size_t p = rp.pos;

	rp.now = t < rp.t0 ? rp.t0 : t > rp.t1 ? rp.t1 : t;
	while (p > 0 && rp.ev[p - 1].ts > rp.now)
		p--;
	while (p < rp.nev && rp.ev[p].ts <= rp.now)
		p++;
	seek(p);
}

/* ---- drawing ------------------------------------------------------------ */

static void
fmt_us(double v, char *buf, size_t len)
{
	if (v < 1000)
		snprintf(buf, len, "%.3f us", v);
	else if (v < 1e6)
		snprintf(buf, len, "%.3f ms", v / 1e3);
	else
		snprintf(buf, len, "%.3f s", v / 1e6);
}

static void
fmt_speed(char *buf, size_t len)
{
	if (rp.speed >= 1)
		snprintf(buf, len, "%gx", rp.speed);
	else
		snprintf(buf, len, "1/%.0fx", 1 / rp.speed); /* 1/1000000x, not 1/1e+06x */
}

static void
draw(void)
{
	int rows = LINES, cols = COLS, y, lane_x, lane_w, nshow;
	char a[32], b[32], sp[32], line[512];
	enum board_state *col;
	const char *base = strrchr(rp.path, '/') ? strrchr(rp.path, '/') + 1 : rp.path;

	erase();
	attron(A_REVERSE | A_BOLD);
	mvhline(0, 0, ' ', cols);
	snprintf(line, sizeof line, "REPLAY of %s - recorded, not live (%s%s)", base, rp.program,
	         rp.sampled ? "; steps sampled, about one a millisecond" : "");
	mvaddnstr(0, 1, line, cols - 2);
	attroff(A_REVERSE | A_BOLD);
	fmt_us(rp.now - rp.t0, a, sizeof a);
	fmt_us(rp.t1 - rp.t0, b, sizeof b);
	fmt_speed(sp, sizeof sp);
	snprintf(line, sizeof line, "t = %s of %s  speed %s  %s  event %zu/%zu", a, b, sp,
	         rp.playing ? "playing" : "paused", rp.pos, rp.nev);
	mvaddnstr(1, 1, line, cols - 2);

	/* Timeline: a lane per worker, up to the shown time. */
	y = 3;
	nshow = rp.ntrack;
	if (nshow > rows / 3)
		nshow = rows / 3;
	/* The lanes begin when the first worker starts its work: a slow
	 * fork or the start line would otherwise fill most of them. */
	fmt_us(rp.tl0 - rp.t0, a, sizeof a);
	mvprintw(y++, 1, "Timeline (recorded), from the first worker's start at %s", a);
	lane_x = 18;
	lane_w = cols - lane_x - 2;
	col = calloc(lane_w > 0 ? (size_t)lane_w : 1, sizeof *col);
	for (int i = 0; i < nshow && lane_w > 0 && col; i++, y++) {
		enum board_state st = BOARD_ST_IDLE;
		size_t k = 0;

		mvprintw(y, 1, "%-16.16s", rp.track[i].name);
		/* One sweep of the events for the lane's columns. */
		for (int x = 0; x < lane_w; x++) {
			double t = rp.tl0 + (rp.t1 - rp.tl0) * (x + 0.5) / lane_w;

			if (t > rp.now) {
				mvaddch(y, lane_x + x, ' ');
				continue;
			}
			for (; k < rp.nev && rp.ev[k].ts <= t; k++)
				if (rp.ev[k].kind == RP_STATE && rp.ev[k].track == i)
					st = rp.ev[k].state;
			col[x] = st;
			attron(term_state_attr(col[x]));
			mvaddch(y, lane_x + x, (chtype)board_state_mark(col[x]));
			attroff(term_state_attr(col[x]));
		}
		printw(" ");
	}
	free(col);
	if (nshow < rp.ntrack)
		mvprintw(y++, 1, "(%d more workers not shown)", rp.ntrack - nshow);
	mvprintw(y++, 1, "= running  ~ waiting  # critical  z sleeping  | at gate  - done");

	y++;
	mvprintw(y++, 1, "Counters (recorded)");
	/* The counters before the events: at 80x24 with eight lanes the
	 * balance must still show (it needs the rows the events give up). */
	for (int c = 0; c < rp.ncounter && y < rows - 4; c++, y++) {
		if (!rp.seen[c]) {
			mvprintw(y, 3, "%-16s -", rp.counter[c].name);
			continue;
		}
		mvprintw(y, 3, "%-16s %lld", rp.counter[c].name, rp.value[c]);
		if (rp.counter[c].has_expected)
			printw("   expected %lld   off by %lld", rp.counter[c].expected,
			       llabs(rp.value[c] - rp.counter[c].expected));
	}
	if (rp.nlock) {
		y++;
		mvprintw(y++, 1, "Locks (recorded)");
		for (int l = 0; l < rp.nlock && y < rows - 4; l++, y++)
			mvprintw(y, 3, "%-16s holder %-16.16s waiters %u", rp.lock[l],
			         rp.holder[l] >= 0 ? rp.track[rp.holder[l]].name : "-",
			         rp.waiters[l]);
	}
	y++;
	mvprintw(y++, 1, "Events (the last one happened at the time shown)");
	{
		int room = rows - 2 - y;
		size_t from = rp.pos > (size_t)(room > 0 ? room : 0) ? rp.pos - (size_t)room : 0;

		for (size_t k = from; k < rp.pos && y < rows - 1; k++, y++) {
			const struct rp_event *e = &rp.ev[k];

			fmt_us(e->ts - rp.t0, a, sizeof a);
			if (k + 1 == rp.pos)
				attron(A_BOLD);
			mvprintw(y, 3, "%12s  %-12.12s %.*s", a,
			         e->track >= 0 ? rp.track[e->track].name : "counter",
			         cols > 36 ? cols - 36 : 1, e->text);
			if (k + 1 == rp.pos)
				attroff(A_BOLD);
		}
	}
	attron(A_REVERSE);
	mvhline(rows - 1, 0, ' ', cols);
	mvprintw(rows - 1, 1, "%.*s", cols - 2,
	         "Space play/pause  . next event  , previous  + faster  - slower  "
	         "g start  G end  q quit");
	attroff(A_REVERSE);
	refresh();
}

static volatile sig_atomic_t rp_quit;

static void
on_quit(int sig)
{
	(void)sig;
	rp_quit = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
replay_main(const char *path)
{
	char why[512] = "";
	const char *bad;
	uint64_t last;

	rp.path = path;
	errno = 0;
	if (load(path, why, sizeof why) < 0) {
		fprintf(stderr, "racelab: --replay %s: %s\n", path, why);
		return 2;
	}
	if ((bad = term_unusable())) {
		fprintf(stderr, "racelab: %s\n", bad);
		return 2;
	}
	/* A pace that shows the run in tens of seconds: a 0.2 s race at
	 * 1/100, a 5 ms one at 1/10000. */
	rp.speed = pow(10, floor(log10(((rp.t1 - rp.t0) > 1 ? rp.t1 - rp.t0 : 1) / 1e7)));
	if (rp.speed > 1)
		rp.speed = 1;
	for (int i = 0; i < BOARD_MAX_LOCKS; i++)
		rp.holder[i] = -1;
	rp.now = rp.t0;
	seek_time(rp.t0);
	rp.playing = true;
	signal(SIGINT, on_quit);
	signal(SIGTERM, on_quit);
	signal(SIGHUP, on_quit);
	shell_cfg.mouse = false;
	shell_cfg.color = !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	if (term_init() < 0) {
		fprintf(stderr, "racelab: cannot set up the terminal\n");
		return 1;
	}
	nodelay(stdscr, FALSE);
	last = now_ns();
	while (!rp_quit) {
		int k;

		draw();
		timeout(rp.playing ? 33 : -1);
		k = getch();
		if (rp.playing) {
			uint64_t t = now_ns();

			seek_time(rp.now + (double)(t - last) / 1000.0 * rp.speed);
			last = t;
			if (rp.now >= rp.t1)
				rp.playing = false;
		}
		switch (k) {
		case 'q':
		case 27:
			rp_quit = 1;
			break;
		case ' ':
			rp.playing = !rp.playing;
			if (rp.playing && rp.now >= rp.t1)
				seek_time(rp.t0);
			last = now_ns();
			break;
		case '.':
		case 'n':
		case KEY_RIGHT:
			rp.playing = false;
			if (rp.pos < rp.nev) {
				seek(rp.pos + 1);
				rp.now = rp.ev[rp.pos - 1].ts;
			}
			break;
		case ',':
		case 'p':
		case KEY_LEFT:
			rp.playing = false;
			if (rp.pos > 1) {
				seek(rp.pos - 1);
				rp.now = rp.ev[rp.pos - 1].ts;
			} else {
				seek(0);
				rp.now = rp.t0;
			}
			break;
		case '+':
		case '=':
			if (rp.speed < 1000)
				rp.speed *= 10;
			break;
		case '-':
			if (rp.speed > 1.5e-6) /* down to 1/1000000 (a float, not exact) */
				rp.speed /= 10;
			break;
		case KEY_HOME:
		case 'g':
			rp.playing = false;
			seek(0);
			rp.now = rp.t0;
			break;
		case KEY_END:
		case 'G':
			rp.playing = false;
			seek(rp.nev);
			rp.now = rp.t1;
			break;
		default:
			break;
		}
	}
	term_end();
	free(rp.ev);
	free(rp.track);
	free(rp.state);
	return 0;
}
