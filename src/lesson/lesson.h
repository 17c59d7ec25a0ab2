// The lesson model: a lesson.md document as steps, styled blocks of text,
// run blocks (argv, panels, goals, expectations) and quiz blocks.
//
// Pure logic apart from md_lesson_load (which reads one regular file); no
// curses.  markdown.c walks the CommonMark into this model; wrap.h lays
// the blocks out in lines.  The file format:
//
//   # Title of the lesson          first heading, level 1: required
//   Text before the first step     the lesson's introduction (catalog preview)
//   ## Title of a step             every level-2 section is one step
//   Text of the step ...           paragraphs, lists, emphasis, `code`, quotes,
//                                  code blocks, tables (cells joined by " | ")
//   ```run                         the step's demo; a step may hold several,
//   race --workers 2 --sync none   the first is the default.  The argv of
//                                  bin/racelab-race, WITHOUT the "racelab-" prefix
//   panels: procs counters         optional (procs step counters locks timeline
//                                  histogram output)
//   goal: counter balance == 101 :: make the balance end at 101
//                                  zero or more goals for step mode (below)
//   expect: final == expected      zero or more expectations (expect.h)
//   ```
//   ```quiz                        at most one per step: a prediction asked
//   What final balance do you expect?   before the step's demo runs
//   answer: 101
//   ```
//
// A run block may run a Python program of the lesson instead:
//
//   ```run
//   python race.py --workers 2     "python", then a .py file of the lesson's
//   expect: final < expected when ncpu >= 2    own folder (a plain name:
//   ```                            no '/', no '..'; a regular file there,
//                                  checked at load), then its arguments.
// The shell runs it with python3 from PATH (or notes "python3 is not
// installed: this block is skipped"); racelab --verify runs it with --json
// and judges the same expect: grammar against the JSON object it prints
// per run.  Goals need the board, which a Python program does not write.
//
// Goals (lines "goal: CONDITION :: TEXT" in a run block) are what the
// student tries to reach as the scheduler; the shell judges them from the
// board and says when one is reached.  CONDITION is one of
//   counter NAME CMP N   the counter NAME, once the run has ended
//   counter NAME CMP N at any time   the same, after any step
//   critical LOCK CMP N  how many workers are inside LOCK's critical section
//                        at once: those holding it (a mutex, spin lock, a
//                        semaphore's permits, an rwlock's readers or its
//                        writer; a home-made lock's holders as the lesson
//                        marks them), never a worker inside another lock.
//                        For a lock the lab does not take itself (a flag,
//                        Peterson's) that no worker is marked holding, the
//                        workers in state critical holding no lab lock
//   reached LABEL        a worker arrives at the probe labelled LABEL (the
//                        rest of the condition, spaces and all)
//   deadlock             the workers wait for each other's locks in a cycle
//   all blocked          every worker that has not ended waits on a lab
//                        mutex, spin lock, semaphore, condition variable,
//                        barrier or rwlock that no running worker can
//                        release: a deadlock, or a lost wake-up (everyone
//                        asleep); a worker at a step gate is not asleep
// with CMP one of == != < <= > >=.  TEXT is shown to the student; without
// " :: TEXT" the condition itself is.
//
// Expectations (lines "expect: CLAIM [QUANT] [when COND ...]") state what
// every run must show in terms of the program's --json record; the grammar
// is in expect.h, the evaluation in verify.h.
//
// A quiz block is "predict, then run": question lines, then either choice
// lines "- text" (multiple choice, 2 to 9 of them) or none (the answer is a
// number), then optionally "answer: N" (the number, or the right choice's
// 1-based index).  The answer line is never shown in the lesson text.
//
// The run line is split into words without a shell (blanks separate words,
// '...' and "..." quote; nothing is expanded), and its first word must name
// an existing lesson program, so a hostile lesson.md cannot run arbitrary
// commands.  Every error (no title, an unterminated fence, an unknown program
// or panel, a malformed goal or expectation, a file too large or not a
// regular file) is reported with the line it is on, as path:line.
#ifndef RACELAB_LESSON_LESSON_H
#define RACELAB_LESSON_LESSON_H

#include <stdbool.h>
#include <stddef.h>

#include "lesson/expect.h"

/* A lesson file larger than this is refused (the largest lesson is about
 * 20 KB; the cap keeps a hostile file from costing memory and time). */
enum { MD_LESSON_MAX_BYTES = 2 << 20 };

/* Attributes of a piece of text; the view maps them to curses attributes. */
enum {
	MDL_BOLD = 1 << 0,
	MDL_EM = 1 << 1,
	MDL_CODE = 1 << 2, /* code span or code block */
	MDL_LINK = 1 << 3,
	MDL_HEAD = 1 << 4, /* heading */
	MDL_RUN = 1 << 5,  /* a step's run block */
	MDL_QUIZ = 1 << 6, /* a quiz block */
	MDL_DIM = 1 << 7,  /* bullets, quote bars, rules, continuation marks */
	MDL_REF = 1 << 8,  /* a reference into the lesson's source (DOC:) */
};

/* The live panels a run block may ask for ("panels: procs counters ..."). */
enum md_panel {
	MD_PANEL_PROCS,
	MD_PANEL_STEP, /* step mode: next operations, source, goals, quiz */
	MD_PANEL_COUNTERS,
	MD_PANEL_LOCKS,
	/* Each worker's place in the program's own source: after the locks,
	 * which keep their rows first on a small terminal. */
	MD_PANEL_SOURCE,
	MD_PANEL_TIMELINE,
	MD_PANEL_HISTOGRAM,
	MD_PANEL_OUTPUT,
	MD_PANEL_COUNT
};
extern const char *const md_panel_names[MD_PANEL_COUNT];

enum md_block_kind {
	MD_K_PARA,
	MD_K_HEADING,
	MD_K_CODE,
	MD_K_ITEM, /* a list item's first paragraph, with its bullet */
	MD_K_RULE,
	MD_K_RUN,
	MD_K_QUIZ,
	MD_K_EXERCISE, /* an exercise block's task, shown in the step */
};

struct md_span {
	unsigned attr;
	char *text; /* UTF-8; "\n" alone is a hard line break */
	size_t len; /* strlen(text) */
};

struct md_block {
	enum md_block_kind kind;
	int run; /* MD_K_RUN: index into the step's runs */
	int depth;      /* list and quote nesting: indentation */
	bool quote;     /* inside a block quote */
	char bullet[8]; /* "-", "3." for list items */
	struct md_span *span;
	int nspan;
};

/* A goal of a run block, for step mode ("goal: counter balance == 101 ::
 * make the balance end at 101"), judged from the board. */
enum md_goal_kind {
	MD_GOAL_COUNTER,  /* counter NAME CMP N, once the run has ended */
	MD_GOAL_DEADLOCK, /* the workers wait for each other in a cycle */
	MD_GOAL_CRITICAL, /* critical LOCK CMP N: workers inside at once */
	MD_GOAL_REACHED,  /* reached LABEL: a worker arrives at that probe */
	MD_GOAL_ALL_BLOCKED, /* all blocked: every live worker asleep in a wait
	                      * no running worker can end (lab_all_blocked) */
};
struct md_goal {
	enum md_goal_kind kind;
	char name[16]; /* the counter's or the lock's name on the board */
	char label[48]; /* reached: the probe's label (BOARD_LABEL_LEN) */
	enum md_cmp cmp;
	long long value;
	bool any_time; /* counter ... at any time: not only at the end */
	char *text;    /* what the student is asked to do */
	int line;      /* in lesson.md */
};

struct md_run {
	int argc;
	char **argv;     /* argv[0] is the lesson slug ("race"); NULL-ended */
	bool python;     /* argv[0] "python", argv[1] a .py of the lesson's folder */
	int step;        /* the index of its step in the lesson */
	int cmd_line;    /* of its command line in lesson.md */
	unsigned panels; /* 1 << enum md_panel; 0: the view's default */
	/* The same panels in the order the panels: line names them: their
	 * priority when the screen cannot hold them all. */
	unsigned char panel_order[MD_PANEL_COUNT];
	int npanel_order;
	int line;        /* of the opening fence */
	struct md_goal *goal;
	int ngoal;
	struct md_expect *expect; /* what every run must show (expect.h) */
	int nexpect;
	/* "verify: ARGV": the command racelab --verify runs instead of argv
	 * (smaller arguments for a long run); NULL: argv itself. */
	char **verify_argv;
	int verify_argc;
};

/* A quiz block, parsed: the question, the choices of a multiple-choice
 * quiz (none: the answer is a number), and the expected answer if given
 * (a number, or a choice's 1-based index). */
struct md_quiz {
	char *question; /* lines joined with '\n' */
	char **choice;
	int nchoice;
	bool has_answer;
	long long answer;
};

/* A reference in the prose ("DOC: name") to the marker "DOC: name" in a
 * comment of the lesson's source.  md_lesson_load finds the marker and
 * shows the reference as where it is: "race.c: update()" (the function it
 * sits in or above), "pools.c: struct pool", or "race.c: line 56". */
struct md_ref {
	char name[32];
	char file[64];  /* race.c; "" when no source has the marker */
	int line;       /* of the marker in file */
	char where[96]; /* "race.c: update()", as the text shows it */
};

/* An exercise block (exercise.c): the learner writes code in C and
 * racelab checks it under every interleaving (src/shell/exercise.c).
 *
 *   ```exercise
 *   name: bank                 a plain name, unique among the lessons
 *   template: bank.c           what the learner starts from, and
 *   driver: bank-driver.c      the checker's own main(): both files of the
 *                              lesson's exercises/ folder (plain names)
 *   preemptions: 2             optional: explore only the schedules with at
 *                              most K preemptions (the space is too large)
 *   runs: 20                   optional: free runs after the exploration
 *   task: Make deposit() ...   what to do (continuation lines: more of it)
 *   hint: Which lines ...      graded hints, mildest first (2 to 6)
 *   ```
 */
enum { MD_EX_MAX_HINTS = 6 };
struct md_exercise {
	char name[32];
	char template_file[64];
	char driver[64];
	int preemptions; /* -1: every interleaving */
	int runs;        /* free runs (0: none) */
	char *task;
	char *hint[MD_EX_MAX_HINTS];
	int nhint;
	int step; /* index of its step */
	int line; /* of the opening fence */
};
/* Parse an exercise block's text (first_line: the fence's line).  0 and
 * *xp allocated, or -1 with err and the file line in *errline. */
int md_exercise_parse(const char *text, int first_line, struct md_exercise **xp,
                      char *err, size_t errlen, int *errline);
void md_exercise_free(struct md_exercise *x);
/* A plain file name of an exercises/ folder: NAME.c, no '/', no "..". */
bool md_exercise_file_valid(const char *name);

struct md_step {
	char *title;
	int line;
	struct md_block *block;
	int nblock;
	struct md_run *run; /* the first demo; NULL: the step has none */
	struct md_run **runs; /* every run block of the step, in order */
	int nrun;
	char *quiz;         /* raw text of a quiz block, or NULL */
	int quiz_line;
	struct md_quiz q;   /* the quiz parsed (q.question NULL: none) */
	struct md_ref *ref; /* DOC: markers named in the step's prose */
	int nref;
	struct md_exercise *ex; /* the step's exercise block, or NULL */
};

struct md_lesson {
	char *title;
	struct md_step intro; /* text between the title and the first step */
	struct md_step *step;
	int nstep;
	/* A broken lesson: error_line > 0 (or the file could not be read) and
	 * error holds the message.  Nothing else is valid then. */
	int error_line;
	char error[400];
};

/* Does a lesson program racelab-<slug> exist?  Lets the parser refuse run
 * blocks that name anything else. */
typedef bool (*md_prog_ok_fn)(const char *slug, void *ctx);

/* Parse a lesson document held in text[0..len) (markdown.c).  Returns 0,
 * or -1 with l->error and l->error_line set (l is still to be freed).
 * Time and memory are linear in len. */
int md_lesson_parse(struct md_lesson *l, const char *text, size_t len,
                    md_prog_ok_fn ok, void *ctx);
/* Read and parse a file; errors say "path:line: message" via l->error. */
int md_lesson_load(struct md_lesson *l, const char *path, md_prog_ok_fn ok,
                   void *ctx);
void md_lesson_free(struct md_lesson *l);

/* Turn every "DOC: name" in the text of l into where the marker sits in
 * the .c files of dir (md_lesson_load calls it), and list them per step
 * (step->ref).  An unknown name is shown as "name (no such marker)". */
void md_lesson_refs(struct md_lesson *l, const char *dir);

/* Read a whole regular file of at most max bytes into a NUL-terminated
 * buffer (*len bytes before the NUL).  Never blocks: a FIFO, a device or a
 * directory is refused at once, as is a larger file.  0, or -1 with a
 * message (no path) in err and, for a file too large, the line at which
 * the limit falls in *errline (else 0). */
int md_read_file(const char *path, size_t max, char **buf, size_t *len, char *err,
                 size_t errlen, int *errline);

/* Split a command line into argv without a shell: words separated by
 * blanks, '...' and "..." quote (no escapes, no expansion).  Returns argc,
 * or -1 on an unterminated quote or more than max words. */
int md_split_argv(const char *s, char ***argvp, int max);
void md_argv_free(char **argv);
/* Parse "procs counters ..." into a panel mask; -1 names an unknown one
 * (its name copied into bad). */
/* order (may be NULL) receives each panel once, in the order named, and
 * *norder how many. */
int md_parse_panels(const char *s, unsigned *mask, unsigned char *order,
                    int *norder, char *bad, size_t badlen);
bool md_slug_valid(const char *slug);
/* A python block's file name: NAME.py, a plain name (no '/', no ".."). */
bool md_py_name_valid(const char *name);
/* A plain file name of the lesson's folder ending in ext (".py", ".c"):
 * a stem of 1-61 of [A-Za-z0-9._-], no "..", no leading '.' or '-'. */
bool md_plain_name_valid(const char *name, const char *ext);
/* Parse a goal line's text after "goal:" ("deadlock :: text").  0, or -1
 * with a message in err.  g->text is allocated (md_goal_free). */
int md_goal_parse(const char *s, struct md_goal *g, char *err, size_t errlen);
void md_goal_free(struct md_goal *g);
/* Parse a quiz block's text.  0, or -1 with err (and a line offset from
 * the block's first line in *errline). */
int md_quiz_parse(const char *text, struct md_quiz *q, char *err, size_t errlen,
                  int *errline);
void md_quiz_free(struct md_quiz *q);
/* Parse a run block's text (the lines between the fences; the first is
 * line first_line + 1 of the file).  0 and *rp allocated, or -1 with err
 * and the file line in *errline. */
int md_run_parse(const char *text, int first_line, md_prog_ok_fn ok, void *ctx,
                 struct md_run **rp, char *err, size_t errlen, int *errline);
void md_run_free(struct md_run *r);

#endif
