// C beside Python: the step keeps the last record of a C run and of a
// Python run of the same step (a python block next to the C one) and shows
// them side by side in the results area, field by field where both
// records have the same numeric field ("final 1203 | 2000").  Both come
// from the runs' own --json records (demo.c keeps them): nothing typed in.
#include "shell/shell.h"

#include <stdlib.h>
#include <string.h>

#include "lesson/evaluate.h"

enum { CMP_MAX_RECORDS = 256, CMP_FIELDS = 8 };

static struct {
	/* The run started last: which lesson, step and language. */
	char dir[PATH_MAX];
	int step;
	bool python, armed;
	unsigned gen;
	char cmd[160];
	/* The last finished run of each language: [0] C, [1] Python. */
	struct {
		char dir[PATH_MAX];
		int step;
		char cmd[160];
		json_t *rec;
	} last[2];
} cmp = {.step = -1};

static void take(const struct demo *d);

void
compare_started(const struct md_run *r, const struct demo *d)
{
	size_t used;
	char nm[64];

	take(d); /* the run before, if no frame has taken it yet */
	cmp.armed = r != NULL;
	if (!r)
		return;
	snprintf(cmp.dir, sizeof cmp.dir, "%s", d->lesson_dir);
	cmp.step = r->step;
	cmp.python = r->python;
	cmp.gen = d->rec_gen;
	used = (size_t)snprintf(cmp.cmd, sizeof cmp.cmd, "%s",
	                        demo_cmd_name(r->argv[0], nm, sizeof nm));
	for (int i = 1; i < r->argc && used < sizeof cmp.cmd; i++)
		used += (size_t)snprintf(cmp.cmd + used, sizeof cmp.cmd - used, " %s", r->argv[i]);
}

/* The run that was started has ended: its last record is kept. */
static void
take(const struct demo *d)
{
	json_t **rec;
	int n, k = cmp.python;

	if (!cmp.armed || d->pid || !d->exited || !d->rec || d->rec_gen == cmp.gen)
		return;
	cmp.armed = false;
	rec = malloc(CMP_MAX_RECORDS * sizeof *rec);
	if (!rec)
		shell_oom();
	n = md_records_parse(d->rec, rec, CMP_MAX_RECORDS);
	if (n > 0) {
		json_decref(cmp.last[k].rec);
		cmp.last[k].rec = json_incref(rec[n - 1]);
		memcpy(cmp.last[k].dir, cmp.dir, sizeof cmp.dir);
		cmp.last[k].step = cmp.step;
		memcpy(cmp.last[k].cmd, cmp.cmd, sizeof cmp.cmd);
	}
	md_records_free(rec, n);
	free(rec);
}

static void
number(const json_t *v, char *buf, size_t n)
{
	if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, n, "%.4g", json_real_value(v));
}

void
compare_results(const struct md_run *r, const struct demo *d)
{
	const json_t *c, *py;
	const char *key;
	json_t *v;
	char line[400];
	size_t used = 0;
	int shown = 0;

	take(d);
	if (!r)
		return;
	for (int k = 0; k < 2; k++)
		if (!cmp.last[k].rec || cmp.last[k].step != r->step ||
		    strcmp(cmp.last[k].dir, d->lesson_dir) != 0)
			return; /* both languages must have run in this step */
	c = cmp.last[0].rec;
	py = cmp.last[1].rec;
	line[0] = '\0';
	json_object_foreach((json_t *)c, key, v) {
		const json_t *w = json_object_get(py, key);
		char a[32], b[32];

		if (shown == CMP_FIELDS || !json_is_number(v) || !json_is_number(w) ||
		    strcmp(key, "run") == 0)
			continue;
		number(v, a, sizeof a);
		number(w, b, sizeof b);
		used += (size_t)snprintf(line + used, sizeof line - used, "%s%s %s | %s",
		                         shown ? ", " : "", key, a, b);
		if (used >= sizeof line)
			break;
		shown++;
	}
	results_add(COL_NORMAL, "C", "%s", cmp.last[0].cmd);
	results_add(COL_NORMAL, "Python", "%s", cmp.last[1].cmd);
	results_add(COL_GOOD, "C | Python", "%s", shown ? line : "(no field in common)");
}
