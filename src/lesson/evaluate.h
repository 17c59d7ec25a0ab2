// Expectations judged: a run block's expect: lines (expect.h) against the
// --json records of its runs (one JSON object per run), on this machine.
// One module for `racelab --verify` and the shell's step view.
#ifndef RACELAB_LESSON_EVALUATE_H
#define RACELAB_LESSON_EVALUATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lesson/expect.h"

/* What the when conditions look at: this process's usable CPUs
 * (sched_getaffinity) and the 1-minute load average (/proc/loadavg). */
struct md_machine {
	int ncpu;
	double load;
};
int md_machine_read(struct md_machine *m);

enum md_verdict {
	MD_V_HOLDS,
	MD_V_FAILS,
	MD_V_NOT_CHECKED, /* a when condition is false, or too few runs */
	MD_V_ERROR,       /* a field the records never have, or not a number */
};

struct md_judgement {
	enum md_verdict verdict;
	int runs, held;      /* runs judged, and in how many the claim held */
	double measured;     /* the claim's measured side, in the last run judged */
	char shown[96];      /* "1.87", "lost 2733224", "19 of 20 runs (0..3)" */
	char why[160];       /* MD_V_NOT_CHECKED / MD_V_ERROR: the reason */
	bool too_few;        /* not checked: fewer records than N of "K of N" */
};

/* Parse the records a program printed with --json: every line that is a
 * JSON object, in order.  Returns how many (0..max); other lines are
 * skipped (a program's stderr may be mixed in).  Free with md_records_free. */
int md_records_parse(const char *text, json_t **rec, int max);
void md_records_free(json_t **rec, int n);

/* Judge e against rec[0..n).  The when conditions come first: one false
 * gives MD_V_NOT_CHECKED with the machine's value in why ("load 1.30").
 * "in >= K of N runs" needs N records (the first N are judged). */
void md_expect_judge(const struct md_expect *e, json_t *const *rec, int n,
                     const struct md_machine *m, struct md_judgement *j);

/* One line for a person: "speedup >= 1.5: measured 1.87 \u2713". */
void md_judgement_line(const struct md_expect *e, const struct md_judgement *j,
                       bool ascii, char *buf, size_t n);

#endif
