// A run block's expect: lines in the step's results area (results.c): what
// the run must show, and after the run what it measured, with a check or a cross
// ("speedup >= 1.5: measured 1.87 ✓"), or why it was not checked ("not
// checked: load 1.30 (needs < 0.5)").  Judged by src/lesson/evaluate.c
// from the records the lesson wrote beside its output (demo.c), the same
// judgement racelab --verify makes.
#include "shell/shell.h"

#include <stdlib.h>
#include <string.h>

#include "lesson/evaluate.h"

enum { CHECKS_MAX_RECORDS = 256 };

static struct {
	const struct md_run *started; /* the block the demo was started for */
	const struct md_run *run;     /* judged for this block ... */
	unsigned gen;                 /* ... and these records */
	bool judged;
	struct md_judgement j[16];
} ck;

void
checks_started(const struct md_run *r)
{
	ck.started = r;
	ck.judged = false;
}

bool
checks_wanted(const struct md_run *r)
{
	return r && r->nexpect > 0;
}

/* Judge once per finished run (the records change only while it runs). */
static void
judge(const struct md_run *r, const struct demo *d)
{
	json_t **rec;
	struct md_machine m;
	int n;

	if (ck.run == r && ck.gen == d->rec_gen && ck.judged)
		return;
	ck.run = r;
	ck.gen = d->rec_gen;
	ck.judged = false;
	/* Not yet (after the run), or the records are another block's. */
	if (d->pid || !d->exited || !d->rec || ck.started != r)
		return;
	rec = malloc(CHECKS_MAX_RECORDS * sizeof *rec);
	if (!rec)
		shell_oom();
	n = md_records_parse(d->rec, rec, CHECKS_MAX_RECORDS);
	md_machine_read(&m);
	for (int i = 0; i < r->nexpect && i < 16; i++)
		md_expect_judge(&r->expect[i], rec, n, &m, &ck.j[i]);
	md_records_free(rec, n);
	free(rec);
	ck.judged = true;
}

void
checks_results(const struct md_run *r, const struct demo *d)
{
	if (!checks_wanted(r))
		return;
	judge(r, d);
	for (int i = 0; i < r->nexpect && i < 16; i++) {
		const struct md_judgement *j = &ck.j[i];
		char line[400];

		if (!ck.judged) {
			results_add(COL_DIM, "Check", "%s  (%s)", r->expect[i].text,
			            d->pid ? "after the run" : "run the demo to check");
			continue;
		}
		md_judgement_line(&r->expect[i], j, shell_cfg.ascii, line, sizeof line);
		results_add(j->verdict == MD_V_HOLDS ? COL_GOOD
		            : j->verdict == MD_V_NOT_CHECKED ? COL_DIM : COL_WARN,
		            "Check", "%s", line);
	}
}
