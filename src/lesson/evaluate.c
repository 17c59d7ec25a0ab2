// Expectations judged against --json records (jansson) on this machine.
#include "lesson/evaluate.h"
#include "lesson/util.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/lesson.h"

int
md_machine_read(struct md_machine *m)
{
	cpu_set_t set;
	FILE *f;

	m->ncpu = 1;
	m->load = 0;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		m->ncpu = CPU_COUNT(&set);
	f = fopen("/proc/loadavg", "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lf", &m->load) != 1)
		m->load = 0;
	fclose(f);
	return 0;
}

int
md_records_parse(const char *text, json_t **rec, int max)
{
	int n = 0;

	while (*text && n < max) {
		size_t len = strcspn(text, "\n");
		const char *s = text;

		while (s < text + len && (*s == ' ' || *s == '\t'))
			s++;
		if (*s == '{') {
			json_error_t err;
			json_t *v = json_loadb(s, len - (size_t)(s - text), 0, &err);

			if (v && json_is_object(v))
				rec[n++] = v;
			else
				json_decref(v);
		}
		text += len;
		if (*text == '\n')
			text++;
	}
	return n;
}

void
md_records_free(json_t **rec, int n)
{
	for (int i = 0; i < n; i++)
		json_decref(rec[i]);
}

/* ---- Values ------------------------------------------------------------ */

/* The numbers a path names in one record: one for a plain path, one per
 * element for a path through "[]".  -1 when the path is not there (the
 * name of the missing part in miss), -2 when a value is not a number. */
struct values {
	double *v;
	int n, cap;
};

static void
push(struct values *vs, double d)
{
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 16;
		vs->v = realloc(vs->v, (size_t)vs->cap * sizeof *vs->v);
		if (!vs->v)
			md_out_of_memory();
	}
	vs->v[vs->n++] = d;
}

static int
walk(const json_t *at, const char *path, struct values *vs, char *miss, size_t mlen)
{
	char name[MD_FIELD_MAX];
	size_t n = strcspn(path, ".[");
	const json_t *v;
	bool arr;

	memcpy(name, path, n);
	name[n] = '\0';
	path += n;
	arr = path[0] == '[';
	if (arr)
		path += 2;
	if (*path == '.')
		path++;
	v = json_is_object(at) ? json_object_get(at, name) : NULL;
	if (!v) {
		snprintf(miss, mlen, "%s", name);
		return -1;
	}
	if (arr) {
		size_t i;
		const json_t *el;

		if (!json_is_array(v)) {
			snprintf(miss, mlen, "%s (not an array)", name);
			return -2;
		}
		json_array_foreach(v, i, el) {
			int r = *path ? walk(el, path, vs, miss, mlen) : 0;

			if (r < 0)
				return r;
			if (!*path) {
				if (!json_is_number(el) && !json_is_boolean(el)) {
					snprintf(miss, mlen, "%s[] (not numbers)", name);
					return -2;
				}
				push(vs, json_is_boolean(el) ? json_is_true(el) : json_number_value(el));
			}
		}
		return 0;
	}
	if (*path)
		return walk(v, path, vs, miss, mlen);
	if (json_is_boolean(v)) {
		push(vs, json_is_true(v));
		return 0;
	}
	if (!json_is_number(v)) {
		snprintf(miss, mlen, "%s (not a number)", name);
		return -2;
	}
	push(vs, json_number_value(v));
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
apply(enum md_func f, struct values *vs)
{
	double r = 0;
	int distinct = 0;

	switch (f) {
	case MD_FUNC_COUNT:
		return vs->n;
	case MD_FUNC_SUM:
		for (int i = 0; i < vs->n; i++)
			r += vs->v[i];
		return r;
	case MD_FUNC_MIN:
	case MD_FUNC_MAX:
		if (vs->n == 0)
			return NAN;
		r = vs->v[0];
		for (int i = 1; i < vs->n; i++)
			if (f == MD_FUNC_MIN ? vs->v[i] < r : vs->v[i] > r)
				r = vs->v[i];
		return r;
	case MD_FUNC_DISTINCT:
		qsort(vs->v, (size_t)vs->n, sizeof *vs->v, cmp_double);
		for (int i = 0; i < vs->n; i++)
			distinct += i == 0 || vs->v[i] != vs->v[i - 1];
		return distinct;
	}
	return NAN;
}

/* One scalar field of a record: 0, or -1 with the error in j->why. */
static int
scalar(const json_t *rec, const char *path, double *out, struct md_judgement *j)
{
	struct values vs = {0};
	char miss[MD_FIELD_MAX + 24];
	int r = walk(rec, path, &vs, miss, sizeof miss);

	if (r == -1)
		snprintf(j->why, sizeof j->why, "field '%s' is not in the --json record%s%s",
		         path, strcmp(miss, path) ? ": no " : "", strcmp(miss, path) ? miss : "");
	else if (r == -2)
		snprintf(j->why, sizeof j->why, "field '%s': %s", path, miss);
	else
		*out = vs.v[0];
	free(vs.v);
	return r < 0 ? -1 : 0;
}

static int
term_value(const struct md_term *t, const json_t *rec, double *out, struct md_judgement *j)
{
	double a, b;

	switch (t->kind) {
	case MD_TERM_NUM:
		*out = t->num;
		return 0;
	case MD_TERM_FIELD:
		return scalar(rec, t->field, out, j);
	case MD_TERM_SCALED:
		if (scalar(rec, t->field, &a, j) < 0)
			return -1;
		*out = t->num * a;
		return 0;
	case MD_TERM_RATIO:
		if (scalar(rec, t->field, &a, j) < 0 || scalar(rec, t->field2, &b, j) < 0)
			return -1;
		*out = b != 0 ? a / b : NAN;
		return 0;
	case MD_TERM_FUNC: {
		struct values vs = {0};
		char miss[MD_FIELD_MAX + 24];
		int r = walk(rec, t->field, &vs, miss, sizeof miss);

		if (r == -1)
			snprintf(j->why, sizeof j->why, "field '%s' is not in the --json record: no %s",
			         t->field, miss);
		else if (r == -2)
			snprintf(j->why, sizeof j->why, "field '%s': %s", t->field, miss);
		else
			*out = apply(t->func, &vs);
		free(vs.v);
		return r < 0 ? -1 : 0;
	}
	}
	return -1;
}

/* A number as a person reads it: integers whole, others to 3 digits. */
static void
fmt_num(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "undefined");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.3g", v);
}

/* A condition's value for a person: the load to 2 decimals, as uptime
 * shows it; a fraction (cpu_wait 0.31) the same. */
static void
fmt_cond(char *buf, size_t n, const struct md_cond *c, double v)
{
	if (c->var == MD_COND_LOAD || (v != floor(v) && fabs(v) < 10))
		snprintf(buf, n, "%.2f", v);
	else
		fmt_num(buf, n, v);
}

/* "cpu_wait 0.31 (needs < 0.1)" */
static void
cond_why(char *buf, size_t n, const struct md_cond *c, double v)
{
	char a[32], b[32];

	fmt_cond(a, sizeof a, c, v);
	fmt_num(b, sizeof b, c->value);
	snprintf(buf, n, "%s %s (needs %s %s)",
	         c->var == MD_COND_NCPU ? "ncpu" : c->var == MD_COND_LOAD ? "load" : c->field,
	         a, md_cmp_name(c->cmp), b);
}

/* The run's own conditions (FIELD CMP NUM) on one record: 1 all hold, 0
 * one fails (the first failing in why), -1 a field is not there (the
 * error in j->why). */
static int
record_conds(const struct md_expect *e, const json_t *rec, char *why, size_t n,
             struct md_judgement *j)
{
	for (int i = 0; i < e->ncond; i++) {
		const struct md_cond *c = &e->cond[i];
		double v;

		if (c->var != MD_COND_FIELD)
			continue;
		if (scalar(rec, c->field, &v, j) < 0) {
			char inner[sizeof j->why];

			snprintf(inner, sizeof inner, "%s", j->why);
			snprintf(j->why, sizeof j->why, "the condition on %.40s: %.90s", c->field,
			         inner);
			return -1;
		}
		if (!md_cmp_holds_d(c->cmp, v, c->value)) {
			cond_why(why, n, c, v);
			return 0;
		}
	}
	return 1;
}

void
md_expect_judge(const struct md_expect *e, json_t *const *rec, int n,
                const struct md_machine *m, struct md_judgement *j)
{
	double lo = INFINITY, hi = -INFINITY;
	int want = e->n ? e->n : n, skipped = 0;
	char a[32], b[32], skip_why[sizeof j->why] = "";

	memset(j, 0, sizeof *j);
	for (int i = 0; i < e->ncond; i++) {
		const struct md_cond *c = &e->cond[i];
		double v = c->var == MD_COND_NCPU ? m->ncpu : m->load;

		if (c->var != MD_COND_FIELD && !md_cmp_holds_d(c->cmp, v, c->value)) {
			j->verdict = MD_V_NOT_CHECKED;
			cond_why(j->why, sizeof j->why, c, v);
			return;
		}
	}
	if (n == 0) {
		j->verdict = MD_V_ERROR;
		snprintf(j->why, sizeof j->why, "the program printed no --json record");
		return;
	}
	if (n < want) {
		j->verdict = MD_V_NOT_CHECKED;
		j->too_few = true;
		snprintf(j->why, sizeof j->why, "%d run%s of the %d it needs", n, n == 1 ? "" : "s",
		         want);
		return;
	}
	for (int i = 0; i < want; i++) {
		double l, r = 0;
		bool ok;
		char why[sizeof skip_why];
		int c = record_conds(e, rec[i], why, sizeof why, j);

		if (c < 0) {
			j->verdict = MD_V_ERROR;
			return;
		}
		if (c == 0) { /* this run was disturbed: its claim is not judged */
			if (!skipped++)
				memcpy(skip_why, why, sizeof why);
			continue;
		}
		if (term_value(&e->lhs, rec[i], &l, j) < 0 ||
		    (!e->between && term_value(&e->rhs, rec[i], &r, j) < 0)) {
			j->verdict = MD_V_ERROR;
			return;
		}
		/* With a number on the left ("0 < lost"), the field is what was
		 * measured. */
		j->measured = e->lhs.kind == MD_TERM_NUM && !e->between ? r : l;
		if (e->between)
			ok = l >= e->lo && l <= e->hi;
		else
			ok = !isnan(l) && !isnan(r) && md_cmp_holds_d(e->cmp, l, r);
		j->held += ok;
		j->runs++;
		if (j->measured < lo)
			lo = j->measured;
		if (j->measured > hi)
			hi = j->measured;
		if (j->runs == 1 && !e->between && e->lhs.kind != MD_TERM_NUM &&
		    e->rhs.kind != MD_TERM_NUM && want == 1) {
			fmt_num(a, sizeof a, l);
			fmt_num(b, sizeof b, r);
			snprintf(j->shown, sizeof j->shown, "%s vs %s", a, b);
		}
	}
	/* Runs whose own condition failed count neither way: "in every run"
	 * is judged on the others; "in >= K of N" holds with K that held,
	 * fails when more than N - K of the judged ones failed, and is open
	 * otherwise (the runs not judged would decide). */
	if (e->n ? j->held < e->k && j->runs - j->held <= e->n - e->k : j->runs == 0) {
		j->verdict = MD_V_NOT_CHECKED;
		if (skipped < want)
			snprintf(j->why, sizeof j->why, "%.80s, in %d of %d runs (%d held)",
			         skip_why, skipped, want, j->held);
		else if (want > 1)
			snprintf(j->why, sizeof j->why, "%.80s, in all %d runs", skip_why, want);
		else
			snprintf(j->why, sizeof j->why, "%s", skip_why);
		return;
	}
	if (want > 1) {
		int k;

		fmt_num(a, sizeof a, lo);
		fmt_num(b, sizeof b, hi);
		if (lo == hi)
			k = snprintf(j->shown, sizeof j->shown, "%d of %d runs (%s)", j->held,
			             j->runs, a);
		else
			k = snprintf(j->shown, sizeof j->shown, "%d of %d runs (%s..%s)", j->held,
			             j->runs, a, b);
		if (skipped && k > 0 && (size_t)k < sizeof j->shown)
			snprintf(j->shown + k, sizeof j->shown - (size_t)k, ", %d not checked",
			         skipped);
	} else if (!j->shown[0]) {
		fmt_num(j->shown, sizeof j->shown, j->measured);
	}
	j->verdict = (e->n ? j->held >= e->k : j->held == j->runs) ? MD_V_HOLDS : MD_V_FAILS;
}

/* The claim as written, or with >= <= != as the signs a reader knows. */
static void
pretty(const char *s, bool ascii, char *buf, size_t n)
{
	static const char *const from[] = {">=", "<=", "!="};
	static const char *const to[] = {"\u2265", "\u2264", "\u2260"};
	size_t used = 0;

	while (*s && used + 4 < n) {
		int k = -1;

		for (int i = 0; i < 3 && !ascii; i++)
			if (strncmp(s, from[i], 2) == 0)
				k = i;
		if (k >= 0) {
			used += (size_t)snprintf(buf + used, n - used, "%s", to[k]);
			s += 2;
		} else {
			buf[used++] = *s++;
		}
	}
	buf[used] = '\0';
}

void
md_judgement_line(const struct md_expect *e, const struct md_judgement *j, bool ascii,
                  char *buf, size_t n)
{
	char text[MD_EXPECT_TEXT * 2];

	pretty(e->text, ascii, text, sizeof text);
	switch (j->verdict) {
	case MD_V_HOLDS:
	case MD_V_FAILS:
		snprintf(buf, n, "%s: measured %s %s", text, j->shown,
		         j->verdict == MD_V_HOLDS ? (ascii ? "ok" : "\u2713")
		                                  : (ascii ? "FAILED" : "\u2717"));
		break;
	case MD_V_NOT_CHECKED:
		snprintf(buf, n, "%s: not checked: %s", text, j->why);
		break;
	case MD_V_ERROR:
		snprintf(buf, n, "%s: error: %s", text, j->why);
		break;
	}
}
