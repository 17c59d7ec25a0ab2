// Lesson documents: lesson.md parsed (with md4c) into steps, run blocks and
// styled text, and the styled text wrapped into screen lines.
//
// Pure logic: no curses, no terminal; the unit tests drive it directly.
// The lesson.md format itself is described at the top of md.c.
#ifndef RACELAB_SHELL_MD_H
#define RACELAB_SHELL_MD_H

#include <stdbool.h>
#include <stddef.h>

#include "lesson/expect.h"

/* Attributes of a piece of text; the view maps them to curses attributes. */
enum {
	MDL_BOLD = 1 << 0,
	MDL_EM = 1 << 1,
	MDL_CODE = 1 << 2, /* code span or code block */
	MDL_LINK = 1 << 3,
	MDL_HEAD = 1 << 4, /* heading */
	MDL_RUN = 1 << 5,  /* a step's run block */
	MDL_QUIZ = 1 << 6, /* a quiz block */
	MDL_DIM = 1 << 7,  /* bullets, quote bars, rules */
};

/* The live panels a run block may ask for ("panels: procs counters ..."). */
enum md_panel {
	MD_PANEL_PROCS,
	MD_PANEL_STEP, /* step mode: next operations, source, goals, quiz */
	MD_PANEL_COUNTERS,
	MD_PANEL_LOCKS,
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
};

struct md_span {
	unsigned attr;
	char *text; /* UTF-8; "\n" alone is a hard line break */
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
};
struct md_goal {
	enum md_goal_kind kind;
	char name[16]; /* the counter's or the lock's name on the board */
	enum md_cmp cmp;
	long long value;
	char *text;    /* what the student is asked to do */
};

struct md_run {
	int argc;
	char **argv;     /* argv[0] is the lesson slug ("race"); NULL-ended */
	unsigned panels; /* 1 << enum md_panel; 0: the view's default */
	int line;        /* of the opening fence */
	struct md_goal *goal;
	int ngoal;
	struct md_expect *expect; /* what every run must show (expect.h) */
	int nexpect;
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

/* Parse a lesson document held in text[0..len).  Returns 0, or -1 with
 * l->error and l->error_line set (l is still to be freed). */
int md_lesson_parse(struct md_lesson *l, const char *text, size_t len,
                    md_prog_ok_fn ok, void *ctx);
/* Read and parse a file; errors say "path:line: message" via l->error. */
int md_lesson_load(struct md_lesson *l, const char *path, md_prog_ok_fn ok,
                   void *ctx);
void md_lesson_free(struct md_lesson *l);

/* Split a command line into argv without a shell: words separated by
 * blanks, '...' and "..." quote (no escapes, no expansion).  Returns argc,
 * or -1 on an unterminated quote or more than max words. */
int md_split_argv(const char *s, char ***argvp, int max);
void md_argv_free(char **argv);
/* Parse "procs counters ..." into a panel mask; -1 names an unknown one
 * (its name copied into bad). */
int md_parse_panels(const char *s, unsigned *mask, char *bad, size_t badlen);
bool md_slug_valid(const char *slug);
/* Parse a goal line's text after "goal:" ("deadlock :: text").  0, or -1
 * with a message in err.  g->text is allocated (md_goal_free). */
int md_goal_parse(const char *s, struct md_goal *g, char *err, size_t errlen);
void md_goal_free(struct md_goal *g);
/* Parse a quiz block's text.  0, or -1 with err (and a line offset from
 * the block's first line in *errline). */
int md_quiz_parse(const char *text, struct md_quiz *q, char *err, size_t errlen,
                  int *errline);
void md_quiz_free(struct md_quiz *q);

/* Wrapped text: lines of segments, each segment one attribute. */
struct md_seg {
	unsigned attr;
	char *text;
};
struct md_line {
	int indent; /* columns before the first segment */
	int run;    /* index of the run block this line shows, or -1 */
	struct md_seg *seg;
	int nseg;
};
struct md_text {
	struct md_line *line;
	int nline;
};
/* Wrap a step's blocks to width columns (>= 8). */
void md_wrap(const struct md_step *s, int width, struct md_text *out);
void md_text_free(struct md_text *t);
/* Display columns of a UTF-8 string (wide characters count two). */
int md_strwidth(const char *s);
/* Bytes of s that fit in cols columns. */
size_t md_fit(const char *s, int cols);

#endif
