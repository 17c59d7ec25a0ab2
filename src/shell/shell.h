// The racelab shell: what its modules share.
//
// One thread, one loop (loop.c).  The screens are one const table
// (screens.c): the catalog (catalog.c), the lesson view (lesson_view.c), the
// help overlay and the too-small notice; they reach each other only through
// actions the loop carries out.  The live panels (panel_*.c) are one const
// table too.  The running demo (demo.c) owns the
// board, the child process group (child.c) and the samples the panels draw.
#ifndef RACELAB_SHELL_H
#define RACELAB_SHELL_H

#include <curses.h>
#include <limits.h>
#include <panel.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "board/board.h"
#include "shell/md.h"
#include "shell/procfs.h"

/* What a key handler did: flags, or-ed. */
enum {
	SH_HANDLED = 1 << 0,
	SH_REDRAW = 1 << 1,
	SH_RESIZE = 1 << 2, /* lay the windows out again */
	SH_QUIT = 1 << 3,
	SH_FRAME = 1 << 4, /* data may have moved: draw only what changed */
};

/* Keys reach handlers as ints: characters as themselves, curses function
 * keys (KEY_UP ...) tagged so they cannot clash with wide characters. */
#define SHK(k) ((k) | 0x1000000)
#define SH_CTRL(c) ((c) & 0x1f)
#define SH_ESC 27

enum { SHELL_MIN_COLS = 80, SHELL_MIN_LINES = 24 };
/* The projector layout of a lesson (P, --projector) is made for a big font:
 * it fits a smaller grid. */
enum { PROJ_MIN_COLS = 60, PROJ_MIN_LINES = 20 };

struct shell_cfg {
	bool ascii;   /* no Unicode box drawing or sparklines */
	bool mouse;
	bool color;   /* false under NO_COLOR or without colour support */
	bool projector; /* the lesson view's projector layout (P, --projector) */
	char lessons_dir[4 * PATH_MAX]; /* the search path, dirs separated by ':' */
	char bin_dir[PATH_MAX];
	const char *run; /* --run argument */
	const char *open; /* [LESSON] argument */
};
extern struct shell_cfg shell_cfg;

/* ---- term.c: curses setup, colours, drawing helpers ------------------- */

/* Colours: name, foreground, background, attribute with colour, without;
 * then the projector's: foreground, background, attribute.  A projector
 * washes out yellow, cyan, blue and anything dim: there the roles are bold
 * on the default colours, or solid backgrounds (a red block reads from the
 * back of a room); without colour the projector keeps the mono attribute
 * with A_DIM taken out (term_palette). */
#define SHELL_COLORS(X)                                                   \
	X(COL_NORMAL, -1, -1, A_NORMAL, A_NORMAL, -1, -1, A_NORMAL)       \
	X(COL_TITLE, COLOR_CYAN, -1, A_BOLD, A_BOLD, -1, -1, A_BOLD | A_UNDERLINE) \
	X(COL_BAR, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE, -1, -1, A_REVERSE | A_BOLD) \
	X(COL_FOCUS, COLOR_YELLOW, -1, A_BOLD, A_BOLD, -1, -1, A_BOLD)    \
	X(COL_DIM, -1, -1, A_DIM, A_DIM, -1, -1, A_NORMAL)                \
	X(COL_CODE, COLOR_GREEN, -1, A_NORMAL, A_NORMAL, -1, -1, A_BOLD)  \
	X(COL_RUN, COLOR_YELLOW, -1, A_BOLD, A_BOLD, -1, -1, A_BOLD) \
	X(COL_WARN, COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE, COLOR_WHITE, COLOR_RED, A_BOLD) \
	X(COL_GOOD, COLOR_GREEN, -1, A_BOLD, A_BOLD, COLOR_BLACK, COLOR_GREEN, A_BOLD) \
	X(COL_SEL, -1, -1, A_REVERSE, A_REVERSE, -1, -1, A_REVERSE)       \
	X(COL_FROZEN, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD, COLOR_WHITE, COLOR_BLUE, A_BOLD) \
	X(COL_ST_RUN, COLOR_GREEN, -1, A_NORMAL, A_NORMAL, COLOR_GREEN, -1, A_BOLD) \
	X(COL_ST_WAIT, COLOR_RED, -1, A_BOLD, A_BOLD, COLOR_RED, -1, A_BOLD) \
	X(COL_ST_CRIT, COLOR_YELLOW, -1, A_BOLD, A_UNDERLINE, COLOR_BLACK, COLOR_YELLOW, A_BOLD) \
	X(COL_ST_SLEEP, COLOR_BLUE, -1, A_NORMAL, A_DIM, -1, -1, A_NORMAL) \
	X(COL_ST_GATE, COLOR_MAGENTA, -1, A_BOLD, A_BOLD, COLOR_MAGENTA, -1, A_BOLD) \
	X(COL_ST_DONE, -1, -1, A_DIM, A_DIM, -1, -1, A_NORMAL)            \
	X(COL_ST_KILLED, COLOR_RED, -1, A_REVERSE, A_REVERSE, COLOR_WHITE, COLOR_RED, A_BOLD) \
	X(COL_BIG_BAD, COLOR_RED, -1, A_BOLD, A_BOLD, COLOR_RED, -1, A_BOLD) \
	X(COL_BIG_GOOD, COLOR_GREEN, -1, A_BOLD, A_BOLD, COLOR_GREEN, -1, A_BOLD)

enum shell_color {
#define X(name, fg, bg, a, mono, pfg, pbg, pa) name,
	SHELL_COLORS(X)
#undef X
	COL_COUNT
};

/* Why the terminal cannot be used (not a tty, TERM unset or dumb), or NULL. */
const char *term_unusable(void);
int term_init(void);
void term_end(void);       /* restores the terminal; safe to call twice */
void term_suspend(void);   /* Ctrl-Z: restore, stop, and come back */
/* Hand the terminal to another program (an editor) and take it back. */
void term_leave(void);
void term_back(void);
void term_resize(void);    /* after SIGWINCH: learn the new size */
attr_t term_attr(enum shell_color c);
/* The colours for the projector layout, or the usual ones (P toggles). */
void term_palette(bool projector);
attr_t term_state_attr(enum board_state s);
/* Border and title of a boxed window; focus highlights it. */
void term_frame(WINDOW *w, const char *title, bool focus);
/* Write at most maxw columns of s at y,x. Returns columns written. */
/* May this character reach the terminal?  Not a control, not a bidi or
 * other invisible format character (term.c; demo.c's output reader). */
_Noreturn void shell_oom(void); /* "racelab: out of memory", exit 1 */
bool term_char_ok(uint32_t cp);
int term_put(WINDOW *w, int y, int x, int maxw, attr_t a, const char *s);
int term_printf(WINDOW *w, int y, int x, int maxw, attr_t a, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* A sparkline cell for level 0..7 (Unicode blocks or ASCII). */
const char *term_spark(int level);
void term_hline(WINDOW *w, int y, int x, int n);

/* A window with its panel, placed and replaced at each layout. */
struct ui_win {
	WINDOW *w;
	PANEL *p;
};
void ui_place(struct ui_win *u, int h, int w, int y, int x);
void ui_drop(struct ui_win *u);

/* ---- layout.c: sizes and rows, pure (unit-tested) ---------------------- */

/* A panel as the layout sees it, lines including its border. */
struct layout_want {
	int min;    /* below this it cannot draw: it is dropped instead */
	int want;   /* what its content fills now (at least min) */
	int weight; /* its share of the lines nobody wants */
};
/* Heights h[0..n) for panels given in priority order sharing avail lines:
 * every panel its min, then in priority order its want, then what is left
 * by weight.  When the mins do not fit, the lowest-priority panels get 0.
 * Returns how many panels got lines (a prefix of the order). */
int layout_panels(const struct layout_want *p, int n, int avail, int *h);
/* A row of a wrapped line: bytes [off, off + len). */
struct layout_row {
	int off, len;
};
/* Wrap s into rows of width columns, the continuations indent columns
 * narrower (the caller draws the hanging indent), breaking at spaces where
 * it can and inside a word only when a word is wider than a row.  Fills
 * at most max rows; returns how many rows s needs. */
int layout_wrap(const char *s, int width, int indent, struct layout_row *rows,
                int max);
/* The keys of a status bar ("Enter run  R x20  ? help", two spaces apart,
 * the most important first) that fit in width columns, whole: "? help"
 * always, then the others in their order while they fit. */
size_t layout_keys(const char *keys, int width, char *out, size_t n);
/* The whole words of s that fit in width columns ("" if the first does
 * not). */
size_t layout_words(const char *s, int width, char *out, size_t n);
/* The projector layout of a cols x lines screen: a title row, then the
 * panels (at most two, three from 32 lines on, given in priority order)
 * and the step's text, then the row that says what is hidden, then the
 * status bar.  From PROJ_WIDE columns the text is a column on the left and
 * the panels stack on the right; narrower, the panels stack on top (their
 * wants, no spare rows) and the text takes the rest, at least
 * PROJ_TEXT_MIN rows, or the panels that do not fit are left out. */
enum { PROJ_WIDE = 76, PROJ_TEXT_MIN = 6, PROJ_PANELS = 3 };
struct layout_box {
	int y, x, h, w; /* h == 0: not shown */
};
struct layout_proj {
	struct layout_box text, pan[PROJ_PANELS], hidden;
	int npan; /* panels given rows: a prefix of the order */
};
int layout_proj_width(int cols, bool text); /* the panels' columns */
int layout_projector(int cols, int lines, bool text, const struct layout_want *p,
                     int n, struct layout_proj *o);

/* ---- results.c: the step's results area -------------------------------- */

/* What the learner predicted, what the run measured, how a claim about it
 * came out: its own area of the lesson view, wrapped, never cut.  Each
 * frame the view calls results_begin, then every module with something to
 * say about this step's run adds its lines (step_results: the quiz), e.g.
 * results_add(COL_GOOD, "Prediction", "you chose %d) %s", ...). */
void results_begin(void);
void results_add(enum shell_color c, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int results_count(void);
int results_rows(int width); /* rows the lines need at width columns */
void results_draw(WINDOW *w); /* inside a framed window */

/* ---- screens: one table that the loop walks (loop.c, screens.c) ------- */

/* What a screen works on, passed to it (not globals): the lessons, the
 * options, the demo, and the message it leaves for the status bar. */
struct shell_ctx {
	struct catalog *cat;
	const struct shell_cfg *cfg;
	struct demo *demo;
	bool too_small;  /* the terminal is below the minimum size */
	int min_cols, min_lines; /* that size (smaller in the projector layout) */
	bool in_lesson;  /* the full screen is the lesson view (P applies) */
	char note[256];  /* a message for the status bar */
	attr_t note_attr;
	unsigned note_gen; /* bumped by each shell_note: the bar is dirty */
};

enum screen_id { SCREEN_CATALOG, SCREEN_LESSON, SCREEN_HELP, SCREEN_SMALL, SCREEN_COUNT };

/* What a screen asks the loop to do; screens reach each other only so. */
enum shell_act {
	ACT_NONE,
	ACT_GO,    /* leave the screen shown, enter `to` */
	ACT_CLOSE, /* close the overlay on top */
};
struct shell_action {
	enum shell_act act;
	enum screen_id to;
	int lesson;      /* catalog index: lesson to open, or to select; -1 none */
	int step;        /* step to open at; -1: where the user left off */
	const char *run; /* --run command line: the live view of one program */
};

/* A screen.  key and click return flags (SH_*) and may fill *act; enter
 * returns 0, or -1/-2/-3 when what it was asked to open cannot be opened
 * (see lesson_open_run); tick runs every frame of a live demo and returns
 * flags; draw(full) redraws what changed (everything when full) and says
 * whether it drew anything, so that an unchanged frame costs nothing.  An
 * overlay is drawn over the screen below it. */
struct screen {
	const char *name;
	bool overlay;
	int (*enter)(struct shell_ctx *c, const struct shell_action *a);
	void (*leave)(struct shell_ctx *c);
	void (*layout)(struct shell_ctx *c);
	bool (*draw)(struct shell_ctx *c, bool full);
	int (*key)(struct shell_ctx *c, int key, struct shell_action *act);
	int (*click)(struct shell_ctx *c, const MEVENT *ev, struct shell_action *act);
	int (*tick)(struct shell_ctx *c, uint64_t now); /* may be NULL */
};

extern const struct screen screen_catalog, screen_lesson, screen_help, screen_small;
extern const struct screen *const shell_screens[SCREEN_COUNT];

int loop_init(void); /* signal handlers and the self-pipe; before term_init */
/* Enter the first screen (a's enter result), then run until quit. */
int loop_open(struct shell_ctx *c, const struct shell_action *a);
int loop_run(struct shell_ctx *c); /* returns the exit status */
void shell_note(struct shell_ctx *c, enum shell_color col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Draw the status bar (bottom line): the note, then the keys. */
void shell_status(const struct shell_ctx *c, WINDOW *w, const char *keys);

/* ---- catalog.c: the lessons found on disk and the catalog screen ------ */

struct catalog_entry {
	int number;   /* NN of lessons/NN-slug */
	char slug[32];
	char path[PATH_MAX]; /* of lesson.md */
	char dir[PATH_MAX];  /* the lesson's directory (its own programs) */
	char from[PATH_MAX]; /* the search-path directory it was found in */
	int rank;            /* that directory's place in the path, 0 first */
	struct md_lesson doc;
	bool ok;      /* parsed; else doc.error says why */
};
struct catalog {
	struct catalog_entry *e;
	int n;
	int sel;
};

/* path: directories separated by ':', earlier ones win a slug; bin_dir:
 * where the lesson programs are (each lesson's run blocks are checked
 * against them).  -1 when no directory of path could be read. */
int catalog_load(struct catalog *c, const char *path, const char *bin_dir);
void catalog_free(struct catalog *c);
int catalog_find(const struct catalog *c, const char *name); /* number or slug; index or -1 */
void catalog_print(const struct catalog *c, const char *dir, FILE *f); /* --list */

/* verify.c: racelab --verify [LESSON...] (argv: the lessons); exit status. */
int verify_main(const struct shell_cfg *cfg, int argc, char **argv);

/* ---- lesson_view.c: a lesson's steps beside the live panels ----------- */

/* The lesson screen (screen_lesson): opens a catalog lesson at a step, or
 * with a->run the one-step live view of one program. */

/* ---- progress.c: steps seen, where the user left off ------------------ */

int progress_init(void); /* reads the file; -1 when the dir is unusable */
const char *progress_warning(void);
void progress_seen(const char *slug, int step);
uint64_t progress_mask(const char *slug);
void progress_set_last(const char *slug, int step);
bool progress_last(char *slug, size_t n, int *step);
int progress_save(void);
int progress_mkdirs(const char *path); /* mkdir -p, new levels 0700; 0 or -1 */
/* Pure parts (unit-tested): the file format. */
struct progress_rec {
	char slug[32];
	uint64_t seen;
};
struct progress_quiz_rec {
	char slug[32];
	int step;
	long long answer; /* a number, or the 1-based choice */
};
struct progress_ex_rec {
	char name[32]; /* an exercise (exercise.c) */
	bool passed;
	int hints;     /* hints given so far */
};
struct progress {
	struct progress_rec rec[64];
	int n;
	char last[32];
	int last_step;
	struct progress_quiz_rec quiz[64];
	int nquiz;
	struct progress_ex_rec ex[64];
	int nex;
};
int progress_parse(struct progress *p, const char *text);
int progress_format(const struct progress *p, char *buf, size_t n);
void progress_mark(struct progress *p, const char *slug, int step);
void progress_quiz_set(struct progress *p, const char *slug, int step,
                       long long answer);
void progress_quiz(const char *slug, int step, long long answer);
/* An exercise's record (none: not passed, no hints), and setting it. */
void progress_exercise(const char *name, bool *passed, int *hints);
void progress_exercise_set(const char *name, bool passed, int hints);
void progress_ex_set(struct progress *p, const char *name, bool passed, int hints);
/* The state directory ($XDG_STATE_HOME/racelab), or NULL if unusable. */
const char *progress_dir(void);
int progress_dirfd(void); /* the state directory, held open; -1 if unusable */
/* Open path (relative to at, or AT_FDCWD) only if it is a regular file of
 * at most cap bytes: never a FIFO, device or terminal (they would hang or
 * never end).  -1 with errno (EINVAL not regular, EFBIG too large). */
int shell_open_regular(int at, const char *path, long long cap, int flags);

/* ---- exercise.c: exercises, their check, the command line ------------- */

/* An exercise block and the lesson it is in. */
struct exercise {
	const struct md_exercise *x;
	const struct catalog_entry *lesson;
};
/* The k-th exercise of the catalog (lesson order), or -1 past the last. */
int exercise_at(const struct catalog *c, int k, struct exercise *out);
int exercise_find(const struct catalog *c, const char *name, struct exercise *out);
/* The lesson's template (driver false) or driver file. */
void exercise_source(const struct exercise *e, bool driver, char *buf, size_t n);
/* The learner's copy: $XDG_DATA_HOME/racelab/exercises/NAME.c; -1 no HOME. */
int exercise_file(const char *name, char *buf, size_t n);
/* Copy the template to the learner's copy unless it exists: 1 copied, 0
 * it was there (never overwritten), -1 with err.  path gets the copy. */
int exercise_copy(const struct exercise *e, char *path, size_t n, char *err, size_t errlen);
/* racelab-watch: $RACELAB_WATCH when absolute, else bin_dir's. */
void exercise_watch_path(const char *bin_dir, char *buf, size_t n);

enum exercise_result { EX_PASS, EX_FAIL, EX_COMPILE, EX_ERROR };
struct exercise_verdict {
	enum exercise_result result;
	char name[32];
	char file[PATH_MAX];  /* what was checked */
	char reason[512];     /* why it fails (or why it could not be checked) */
	char detail[2048];    /* the driver's message, or cc's diagnostics */
	char where[96];       /* a compile error: "bank.c:12" */
	char schedule[2048];  /* the failing interleaving, "" none */
	char command[4 * PATH_MAX + 2100]; /* the racelab-watch line replaying it */
	long explored;        /* interleavings run */
	bool complete;        /* every one (within the preemption bound) */
	int preemptions;      /* the bound; -1 none */
	int runs;             /* free runs made */
	long count;           /* interleavings that gave the failing outcome */
	bool capped;          /* the search stopped at its cap of runs */
	double seconds;
};
/* Check file against exercise e with bin_dir's racelab-watch: exploration,
 * then free runs.  0 with a verdict (pass, fail, compile); -1 when it could
 * not be checked (v->result EX_ERROR, v->reason says why). */
int exercise_check(const char *bin_dir, const struct exercise *e, const char *file,
                   struct exercise_verdict *v);
/* Run file under one schedule, runs times (racelab-watch --schedule S
 * --runs N --json; schedule NULL or "": free runs): v says whether they
 * failed and how (v->count of the v->runs records failed).  -1: not run. */
int exercise_replay(const char *bin_dir, const struct exercise *e, const char *file,
                    const char *schedule, int runs, struct exercise_verdict *v);
void exercise_verdict_print(const struct exercise_verdict *v, FILE *f);
/* Which interleavings were explored, in words ("those with at most 2
 * preemptions"); a static buffer. */
const char *exercise_bound_text(const struct exercise_verdict *v);
char *exercise_verdict_json(const struct exercise_verdict *v); /* malloc'd */
int exercise_verdict_parse(const char *json, struct exercise_verdict *v);
/* "not started", "in progress" or "passed", and the hints used. */
const char *exercise_state(const struct exercise *e, int *hints);
/* The next hint (the last again when all were given), recorded; *no is
 * its 1-based number. */
const char *exercise_hint(const struct exercise *e, int *no);
/* racelab --exercises | --check | --hint (argv[0] the option); exit status. */
int exercise_main(const struct shell_cfg *cfg, int argc, char **argv);

/* exercise_view.c: the step's exercise in the lesson view (e E h f). */
void exercise_attach(struct shell_ctx *c, const struct md_exercise *x); /* a step shown */
void exercise_leave(void);       /* the lesson view closes */
int exercise_key(struct shell_ctx *c, int key, struct shell_action *act);
void exercise_results(void);     /* the verdict and the hint, into the results area */
bool exercise_shown(void);       /* the step has an exercise */
int exercise_fd(void);           /* for the loop's poll: -1 none */
int exercise_io(struct shell_ctx *c); /* it is readable: key flags */

/* ---- child.c: a demo in its own process group --------------------------- */

/* The running group, for the fatal-signal handler (0: none). */
extern volatile sig_atomic_t child_pgid;
/* Fork and exec path with argv in a new process group; stdout and stderr
 * go to *outfd (a pipe), stdin from /dev/null; keepfd stays open. */
pid_t child_spawn(const char *path, char *const argv[], int keepfd,
                  const char *env_name, int *outfd);
int child_signal_group(pid_t pgid, int sig);
/* Reap every exited child; the leader's status goes to *status, and the
 * return is true when the leader was among them. */
bool child_reap(pid_t leader, int *status);
/* The process that kills the demo's group when the shell is gone. */
void child_janitor_start(void);
void child_janitor_end(void);
/* Has the leader exited (without reaping it)? */
bool child_leader_exited(pid_t leader);

/* ---- demo.c: the running demo and what the panels read ------------------ */

enum { DEMO_TL_LEN = 512, DEMO_SPARK_LEN = 256, DEMO_OUT_LINES = 1000,
       DEMO_MAX_ARGS = 72, DEMO_HIST_LEN = 64 };

/* A state an actor entered, and when (CLOCK_MONOTONIC, as the board's
 * events): its history, drained from its event ring every frame. */
struct demo_hist {
	uint64_t t_ns;
	unsigned char state;
};

/* What changed since a panel last drew, counted: each sample (a new column
 * of history), each sample in which the board moved, each /proc sample
 * that read something new, each output line, each start/stop/freeze/end. */
enum demo_gen_kind { DEMO_GEN_SAMPLE, DEMO_GEN_BOARD, DEMO_GEN_PROC, DEMO_GEN_OUT,
                     DEMO_GEN_RUN, DEMO_GEN_COUNT };

struct demo_actor {
	struct board_actor_id id;
	bool valid;
	enum board_state state;
	char op[BOARD_LABEL_LEN + 48];
	uint64_t steps;
	struct procfs_stat ps; /* last /proc sample */
	bool ps_ok;            /* the task existed at the last sample */
	bool seen;             /* a Python run's task: in its group at the last scan */
	unsigned long long prev_ticks;
	uint64_t ps_ns;        /* when it was last sampled; 0: never */
	double cpu; /* percent of one CPU over the last sample period */
	/* Event history: the last DEMO_HIST_LEN state changes, oldest at
	 * hist_head; ev_dropped counts events lost before we read them. */
	uint64_t ev_cursor, ev_dropped, hist_lost; /* lost: pushed out */
	int hist_n, hist_head;
	struct demo_hist hist[DEMO_HIST_LEN];
};

struct demo {
	const char *bin_dir; /* where the lesson programs are */
	char lesson_dir[PATH_MAX]; /* looked in first: the shown lesson's directory */
	struct board *board;
	int board_fd;
	pid_t pid;          /* the lesson program, leader of its group; 0: none */
	bool stopping;      /* SIGTERM sent, SIGKILL at kill_at */
	uint64_t kill_at;
	bool frozen;
	bool exited;        /* the last demo has ended: status is valid */
	int status;         /* wait status */
	bool failed;        /* could not start: msg says why */
	char msg[PATH_MAX + 64];
	unsigned msg_gen;   /* bumped with each new msg (the view notes it) */
	bool step_sticky;   /* step mode: applies to the next run too */
	/* The run demo_start was asked for: its argv, taken then; held back
	 * (start_pending) until the demo before it has been reaped. */
	char *start_argv[DEMO_MAX_ARGS + 1];
	int start_argc, start_runs;
	bool start_pending;
	char *argv[DEMO_MAX_ARGS + 1]; /* argv of the next run, [0] = slug */
	int argc;
	uint64_t t_start, t_end;
	int runs;           /* --runs of the demo running */
	/* Samples. */
	int nact;
	struct demo_actor act[BOARD_MAX_ACTORS];
	uint64_t last_proc_ns;
	int proc_cursor;    /* where the next /proc slice starts */
	int tl_len;         /* samples held (<= DEMO_TL_LEN) */
	int tl_head;        /* next slot */
	unsigned char tl[BOARD_MAX_ACTORS][DEMO_TL_LEN];
	uint64_t tl_t[DEMO_TL_LEN]; /* when each column was sampled */
	bool final_sampled; /* the board was read once more after the exit */
	int spark_len, spark_head;
	int64_t spark[BOARD_MAX_COUNTERS][DEMO_SPARK_LEN];
	/* Dirty tracking: what each source of the panels' data has been
	 * through (see demo_gen); board_fp/proc_fp fingerprint the last
	 * board and /proc contents seen. */
	uint64_t gen[DEMO_GEN_COUNT];
	uint64_t board_fp, proc_fp;
	uint64_t t_frozen;  /* when the demo was frozen (its clock stops) */
	int frozen_full;    /* full /proc samples still to take after a freeze */
	/* Output of the demo: the pipe, split into lines. */
	int out_fd;
	char *out[DEMO_OUT_LINES];
	int out_n, out_head;
	char partial[512];
	size_t partial_len;
	/* The --json records of this demo's runs: the lesson writes each as
	 * RS + JSON + LF to the output pipe (RACELAB_JSON_FD=1, lab_opts.c);
	 * they are kept here, one per line, and never shown as output. */
	char *rec;
	size_t rec_len, rec_cap;
	bool in_rec;   /* the line being read is a record */
	unsigned rec_gen; /* bumped per record and per start */
	bool python;      /* the run is a python block's: actors from /proc */
	uint64_t scan_ns; /* its group last scanned */
};
/* The one demo; the panels still read it directly (panel_*.c). */
extern struct demo shell_demo;

/* Where a lesson's programs are: next to its lesson.md (an instructor's
 * lesson kept outside the tree), then bin_dir.  lesson_dir may be NULL. */
struct demo_where {
	const char *lesson_dir, *bin_dir;
};
/* The lesson program for a slug: racelab-<slug> where w says; -1 if none. */
int demo_prog_path(const struct demo_where *w, const char *slug, char *buf, size_t n);
bool demo_prog_ok(const char *slug, void *where); /* for md_lesson_load */
/* What a run's argv executes (execv(x->path, x->argv)): racelab-SLUG, or
 * for "python FILE.py ARGS" python3 from PATH with the lesson's FILE.py.
 * 0; -1: no such program or file; -2: python3 is not installed; for
 * "watch": -3 a file out of the lesson's folder, -4 a file racelab-watch
 * would refuse (x->why says why: a script, a static program). */
enum { DEMO_EXEC_ARGS = 88, DEMO_WATCH_FILES = 8 };
struct demo_exec {
	bool python;
	char path[PATH_MAX], name[64], script[PATH_MAX];
	char *argv[DEMO_EXEC_ARGS + 1];
	char watched[DEMO_WATCH_FILES][PATH_MAX]; /* "watch": its program files, resolved */
	char why[320]; /* -4: why racelab-watch would refuse one (md_watch_check_file) */
};
int demo_exec_prep(const struct demo_where *w, char *const argv[], int argc,
                   struct demo_exec *x);
int demo_python3(char *buf, size_t n); /* python3 on PATH: 0 and its path */
/* How a person would type the program of argv[0]: "racelab-race", "python3". */
const char *demo_cmd_name(const char *slug, char *buf, size_t n);
void demo_set_argv(struct demo *d, char *const argv[], int argc);
/* runs > 0 adds/replaces --runs; -1 when it cannot start: d->msg says why.
 * With a demo still running, 0: it is stopped and the start is made when
 * it has been reaped (start_pending), without waiting here. */
int demo_start(struct demo *d, int runs);
void demo_stop(struct demo *d);      /* begin a stop: SIGTERM now, SIGKILL after grace */
void demo_stop_wait(struct demo *d); /* stop and reap before returning (quit) */
bool demo_running(const struct demo *d);
bool demo_active(const struct demo *d); /* running or stopping: frames are needed */
void demo_child_event(struct demo *d); /* SIGCHLD arrived */
void demo_tick(struct demo *d, uint64_t now);
void demo_read_output(struct demo *d);
void demo_freeze(struct demo *d, bool on);
const char *demo_kill_actor(struct demo *d, int i); /* a message for the status bar */
const char *demo_status_text(const struct demo *d, char *buf, size_t n);
uint64_t demo_status_key(const struct demo *d); /* changes when the text does */
/* Rewrite an option of the next run's argv ("--sync" "mutex"). */
void demo_set_opt(struct demo *d, const char *opt, const char *val);
const char *demo_get_opt(const struct demo *d, const char *opt);
void demo_step_mode(struct demo *d, bool on);
bool demo_step_sticky(const struct demo *d); /* step mode for the next run */
void demo_release(struct demo *d);     /* step mode off for this run only (g) */
void demo_forget(struct demo *d); /* drop the samples (new lesson step) */
/* Split [t0, t1) into n columns: in which state did actor i spend most
 * of each?  From its event history. */
void demo_states_over(const struct demo *d, int i, uint64_t t0, uint64_t t1,
                      int n, enum board_state *out);
/* The span the events of the last run cover (first to last), 0 if none.
 * False when some actor's history lost events: it does not cover the run. */
bool demo_event_span(const struct demo *d, uint64_t *t0, uint64_t *t1);
uint64_t demo_gen(const struct demo *d, enum demo_gen_kind k);

/* ---- watch_run.c: --watch PROGRAM ARGS, --run 'watch ...' ------------- */

/* The watch command argv (argv[0] "watch") as a --run command line, its
 * program files resolved against the working directory; NULL with a
 * one-line message in err (no program, no such file, no racelab-watch). */
char *watch_cmdline(char *const argv[], int argc, const char *bin_dir, char *err, size_t n);
/* The same for a --run command: NULL and err "" when it is not a watch
 * command (or does not split: lesson_open_run says so). */
char *watch_run_cmdline(const char *run, const char *bin_dir, char *err, size_t n);
/* How a watched program's last run ended, from its --json record (the
 * exit of racelab-watch itself is 0 under --json): "killed by SIGKILL",
 * "exited 3", "deadlock", "stopped (it did not end)"; false when it
 * simply exited 0 or there is no record. */
bool watch_run_outcome(const struct demo *d, char *buf, size_t n);

/* ---- deadlock_text.c: a cycle of waits in the program's names --------- */

/* Actor i as the program names it ("alice"), else "worker N". */
void shell_worker_name(const struct demo *d, int actor, char *buf, size_t n);
/* The board's cycle of waits, if any, as one sentence per worker in it
 * ("alice holds left_fork and waits for right_fork, held by bob"), into
 * out, and each sentence's actor into who (may be NULL); how many (0: no
 * cycle). */
int shell_deadlock_text(const struct demo *d, char (*out)[160], int *who, int max);

/* ---- checks.c: a run block's expect: lines, judged after its run ------ */

bool checks_wanted(const struct md_run *r); /* it has expect: lines */
void checks_started(const struct md_run *r); /* a demo starts for block r */
/* Their lines in the results area: the claim, then after the run what it
 * measured and the verdict. */
void checks_results(const struct md_run *r, const struct demo *d);

/* ---- compare.c: the last C and Python runs of a step, side by side ---- */

void compare_started(const struct md_run *r, const struct demo *d); /* a run starts */
/* Their shared numeric fields in the results area ("final 1203 | 2000"). */
void compare_results(const struct md_run *r, const struct demo *d);

/* ---- step.c: you are the scheduler (step mode, goals, schedule) -------- */

enum { STEP_MAX_SCHED = 4096, STEP_MAX_GOALS = 8 };

/* The run block Enter runs (its goals) and the lesson's directory (for the
 * program's source); called when the view selects a run block. */
void step_attach(const struct md_run *r, const char *lesson_dir);
/* Show the lesson's source file (in lesson_dir) at line in the step panel
 * (o on a DOC: reference); NULL: stop showing it. */
void step_show_ref(const char *lesson_dir, const char *file, int line);
void step_new_run(const struct demo *d); /* before a demo starts: a fresh schedule */
/* The step keys; each returns key flags and leaves a note in c. */
int step_grant(struct shell_ctx *c, unsigned worker_no); /* 1-9 */
int step_all(struct shell_ctx *c);  /* a */
int step_go(struct shell_ctx *c);   /* g */
int step_undo(struct shell_ctx *c); /* u */
int step_save(struct shell_ctx *c); /* w: the schedule (step.c) */
/* replay.c: w also writes the run on the board as a trace (and calls
 * step_save); racelab --replay FILE.json plays one back. */
int trace_key(struct shell_ctx *c);
int replay_main(const char *path);
/* Every frame: judge the goals; returns SH_REDRAW when a goal was reached. */
int step_tick(struct shell_ctx *c);
bool step_panel_wanted(const struct demo *d);
unsigned step_gen(void); /* changes whenever step mode's own state does */
/* The prediction made at a step's quiz before this run (q NULL: none). */
void step_quiz_set(const struct md_quiz *q, long long answer);
/* The prediction beside what the run measured, into the results area. */
void step_results(void);
/* "1,2,1,2" into buf; pure (unit-tested). */
size_t step_format_schedule(const int *s, int n, char *buf, size_t len);
/* The command line that replays a schedule in a plain terminal: argv
 * without --schedule/--step, then --schedule LIST. */
size_t step_command_line(char *const argv[], int argc, const int *s, int n,
                         char *buf, size_t len);
/* How many workers are inside lock `name`'s critical section now (hold
 * it, or are in state critical); -1 if the board has no such lock. */
int step_inside(const struct board *b, const char *name);
/* Is a goal met by the board now?  run_over: the run has ended. */
bool step_goal_met(const struct md_goal *g, const struct board *b, bool run_over);

/* ---- panels -------------------------------------------------------------- */

struct panel_view {
	int sel;  /* selected row */
	int top;  /* first row shown */
	int rows; /* rows of content last drawn (for paging) */
};

struct shell_panel {
	const char *name;  /* as in a run block's panels line */
	const char *title;
	int min_h;         /* lines including the border */
	int weight;        /* share of the extra lines */
	/* Rows of content (border excluded) it would show now, width being
	 * its columns inside the border,
	 * so the layout can size it by content; NULL: min_h - 2.  The layout
	 * gives every panel of the step its wanted rows, in the order of the
	 * step's panels: line (its priority), before any gets spare ones. */
	int (*want)(int width);
	void (*draw)(WINDOW *w, struct panel_view *v, bool focus);
	int (*key)(struct panel_view *v, int key); /* may be NULL */
};

extern const struct shell_panel panel_procs, panel_counters, panel_locks,
	panel_timeline, panel_histogram, panel_output, panel_step, panel_source;
extern const struct shell_panel *const shell_panels[MD_PANEL_COUNT];
/* panel_source.c: shown in step mode of a watched program (or when a
 * panels: line names it). */
bool panel_source_wanted(const struct demo *d);
/* A source file's lines, tabs expanded and control characters shown as
 * '?', at most max of them, into a malloc'd array; returns how many. */
int shell_source_read(FILE *f, char ***lines, int max);
/* Up/Down/PgUp/PgDn/Home/End over n rows, keeping sel visible. */
int panel_scroll_key(struct panel_view *v, int key, int n);
void panel_clamp(struct panel_view *v, int n, int visible);
/* The procs panel's selected actor (for `k`), -1 if none. */
int panel_procs_selected(void);
int panel_procs_actor(int row); /* actor shown on a row, or -1 */
/* A counter's kind column ("LOST 3", "min 0 max 4", "12/s") into buf, and
 * its attribute; in_run: the run is not over; wide: the long wording. */
/* The board's counters (0 without a board), and Up/Down over them: the
 * counters panel's, shared with projector.c's big-digit one. */
uint32_t panel_counters_n(void);
int panel_counters_key(struct panel_view *v, int k);
attr_t panel_counters_kind(const struct board_counter *c, const struct board *b,
                           bool in_run, bool wide, char *buf, size_t n);

/* ---- bigdigits.c: large digits, pure rendering (unit-tested) ---------- */

enum { BIG_ROWS = 5, BIG_COLS = 3 }; /* a glyph's pixels */
/* Columns s (digits and '-') takes at sx columns a pixel, glyphs half a
 * pixel apart (a column at least): 0 for "", -1 when a character has no
 * glyph. */
int big_width(const char *s, int sx);
int big_height(int sy); /* rows: BIG_ROWS * sy */
/* Row r of s, ink as U+2588 (or '#' when ascii), blanks as spaces, into
 * out (NUL-ended, cut at n); its length in bytes. */
size_t big_row(const char *s, int sx, int sy, bool ascii, int r, char *out, size_t n);
/* The largest scale at which s fits cols x rows; false if none does. */
bool big_fit(const char *s, int cols, int rows, int *sx, int *sy);
void big_draw(WINDOW *w, int y, int x, const char *s, int sx, int sy, attr_t a);

/* ---- projector.c: the projector layout's own panel and notice ---------- */

/* The counters panel drawn in big digits (the step's counters, the same
 * values the counters panel shows). */
extern const struct shell_panel panel_counters_big;
/* "hidden: timeline, output - P shows all" for the panels of mask (and
 * the step's text: PROJ_HIDE_TEXT), in whole words within width ("" when
 * nothing is hidden). */
#define PROJ_HIDE_TEXT (1u << MD_PANEL_COUNT)
size_t proj_hidden(unsigned mask, int width, bool ascii, char *out, size_t n);

uint64_t shell_now_ns(void);

#endif
