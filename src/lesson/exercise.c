// The exercise block of a lesson step (lesson.h): its name, the template
// and driver files of the lesson's exercises/ folder, the exploration
// bound, the task and the graded hints.  Pure parsing; the checker that
// runs it is src/shell/exercise.c.
#include "lesson/lesson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/util.h"

enum { EX_MAX_PREEMPTIONS = 8, EX_MAX_RUNS = 1000 };

bool
md_exercise_file_valid(const char *name)
{
	/* Like a python block's file: a plain name of the folder, so a
	 * lesson cannot point the checker at another file. */
	return md_plain_name_valid(name, ".c");
}

void
md_exercise_free(struct md_exercise *x)
{
	if (!x)
		return;
	free(x->task);
	for (int i = 0; i < x->nhint; i++)
		free(x->hint[i]);
	free(x);
}

/* Append a continuation line to *s, joined by a space. */
static void
append(char **s, const char *more)
{
	size_t a = *s ? strlen(*s) : 0, b = strlen(more);
	char *t = md_xrealloc(*s, a + b + 2);

	if (a)
		t[a++] = ' ';
	memcpy(t + a, more, b + 1);
	*s = t;
}

static int
parse_int(const char *s, int lo, int hi, int *v)
{
	char *e;
	long n = strtol(s, &e, 10);

	while (*e == ' ' || *e == '\t')
		e++;
	if (e == s || *e || n < lo || n > hi)
		return -1;
	*v = (int)n;
	return 0;
}

/* One "key: value" line into x; *cont is where continuation lines go. */
static int
parse_line(struct md_exercise *x, const char *a, char ***cont, char *err, size_t errlen)
{
	static const char *const keys[] = {"name:", "template:", "driver:", "preemptions:",
	                                   "runs:", "task:", "hint:"};
	size_t k, kl = 0;
	const char *v;

	for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (strncmp(a, keys[k], (kl = strlen(keys[k]))) == 0)
			break;
	if (k == sizeof keys / sizeof keys[0]) {
		if (!*cont) {
			snprintf(err, errlen, "exercise block: '%.40s' is not name:, template:, "
			         "driver:, preemptions:, runs:, task: or hint:", a);
			return -1;
		}
		append(*cont, a);
		return 0;
	}
	v = a + kl;
	while (*v == ' ' || *v == '\t')
		v++;
	*cont = NULL;
	switch (k) {
	case 0:
		if (!md_slug_valid(v) || strlen(v) >= sizeof x->name) {
			snprintf(err, errlen, "exercise name '%.40s': lower-case letters, digits "
			         "and '-' only", v);
			return -1;
		}
		snprintf(x->name, sizeof x->name, "%s", v);
		return 0;
	case 1:
	case 2:
		if (!md_exercise_file_valid(v)) {
			snprintf(err, errlen, "exercise %s '%.40s' is not a .c file of the lesson's "
			         "exercises/ folder (a plain name: no '/', no '..')",
			         k == 1 ? "template" : "driver", v);
			return -1;
		}
		snprintf(k == 1 ? x->template_file : x->driver, sizeof x->driver, "%s", v);
		return 0;
	case 3:
		if (parse_int(v, 0, EX_MAX_PREEMPTIONS, &x->preemptions) < 0) {
			snprintf(err, errlen, "preemptions: a number from 0 to %d", EX_MAX_PREEMPTIONS);
			return -1;
		}
		return 0;
	case 4:
		if (parse_int(v, 0, EX_MAX_RUNS, &x->runs) < 0) {
			snprintf(err, errlen, "runs: a number from 0 to %d", EX_MAX_RUNS);
			return -1;
		}
		return 0;
	case 5:
		if (x->task) {
			snprintf(err, errlen, "a second task: line in an exercise block");
			return -1;
		}
		x->task = md_xstrndup(v, strlen(v));
		*cont = &x->task;
		return 0;
	default:
		if (x->nhint == MD_EX_MAX_HINTS) {
			snprintf(err, errlen, "more than %d hints in an exercise block",
			         MD_EX_MAX_HINTS);
			return -1;
		}
		x->hint[x->nhint] = md_xstrndup(v, strlen(v));
		*cont = &x->hint[x->nhint++];
		return 0;
	}
}

int
md_exercise_parse(const char *t, int first_line, struct md_exercise **xp, char *err,
                  size_t errlen, int *errline)
{
	struct md_exercise *x = md_xrealloc(NULL, sizeof *x);
	char **cont = NULL;
	int line = first_line;

	memset(x, 0, sizeof *x);
	x->preemptions = -1;
	x->line = first_line;
	*xp = NULL;
	*errline = first_line;
	while (*t) {
		size_t n = strcspn(t, "\n");
		char *ln = md_xstrndup(t, n), *a = md_trim(ln);
		int bad = 0;

		line++;
		if (*a)
			bad = parse_line(x, a, &cont, err, errlen) < 0;
		else
			cont = NULL; /* a blank line ends a task or a hint */
		free(ln);
		if (bad) {
			*errline = line;
			md_exercise_free(x);
			return -1;
		}
		t += n;
		if (*t == '\n')
			t++;
	}
	if (!x->name[0] || !x->template_file[0] || !x->driver[0] || !x->task) {
		snprintf(err, errlen, "an exercise block needs name:, template:, driver: and task:");
		md_exercise_free(x);
		return -1;
	}
	if (x->nhint < 2) {
		snprintf(err, errlen, "exercise %s: give 2 to %d hint: lines, mildest first",
		         x->name, MD_EX_MAX_HINTS);
		md_exercise_free(x);
		return -1;
	}
	if (strcmp(x->template_file, x->driver) == 0) {
		snprintf(err, errlen, "exercise %s: the template and the driver are one file",
		         x->name);
		md_exercise_free(x);
		return -1;
	}
	*xp = x;
	return 0;
}
