// Expectations: the expect: grammar (expect.h) parsed into struct md_expect.
#include "lesson/expect.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cmp_names[] = {
	[MD_CMP_EQ] = "==", [MD_CMP_NE] = "!=", [MD_CMP_LT] = "<",
	[MD_CMP_LE] = "<=", [MD_CMP_GT] = ">",  [MD_CMP_GE] = ">=",
};

const char *
md_cmp_name(enum md_cmp c)
{
	return (unsigned)c < sizeof cmp_names / sizeof cmp_names[0] ? cmp_names[c] : "?";
}

bool
md_cmp_holds(enum md_cmp c, long long a, long long b)
{
	switch (c) {
	case MD_CMP_EQ: return a == b;
	case MD_CMP_NE: return a != b;
	case MD_CMP_LT: return a < b;
	case MD_CMP_LE: return a <= b;
	case MD_CMP_GT: return a > b;
	case MD_CMP_GE: return a >= b;
	}
	return false;
}

bool
md_cmp_holds_d(enum md_cmp c, double a, double b)
{
	switch (c) {
	case MD_CMP_EQ: return a == b;
	case MD_CMP_NE: return a != b;
	case MD_CMP_LT: return a < b;
	case MD_CMP_LE: return a <= b;
	case MD_CMP_GT: return a > b;
	case MD_CMP_GE: return a >= b;
	}
	return false;
}

size_t
md_cmp_scan(const char *s, enum md_cmp *c)
{
	/* Two-character operators first, so "<=" is not read as "<". */
	for (int len = 2; len >= 1; len--)
		for (unsigned i = 0; i < sizeof cmp_names / sizeof cmp_names[0]; i++)
			if (strlen(cmp_names[i]) == (size_t)len &&
			    strncmp(s, cmp_names[i], (size_t)len) == 0) {
				*c = (enum md_cmp)i;
				return (size_t)len;
			}
	return 0;
}

/* ---- Tokens ---------------------------------------------------------- */

enum tok_kind { T_END, T_NUM, T_WORD, T_CMP, T_STAR, T_SLASH, T_LPAREN, T_RPAREN };

enum { MAX_TOKENS = 40 };

struct tok {
	enum tok_kind kind;
	double num;
	enum md_cmp cmp;
	char word[MD_FIELD_MAX];
};

struct lexer {
	struct tok t[MAX_TOKENS + 1];
	int n, at;
	char shown[MD_FIELD_MAX + 2]; /* a token as an error names it */
	char *err;
	size_t errlen;
};

static int
lex_fail(struct lexer *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '[' || c == ']';
}

static int
lex(struct lexer *x, const char *s)
{
	x->n = 0;
	for (;;) {
		struct tok *t;
		size_t n;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (x->n == MAX_TOKENS)
			return lex_fail(x, "expect: too long (at most %d words)", MAX_TOKENS);
		t = &x->t[x->n++];
		memset(t, 0, sizeof *t);
		if (isdigit((unsigned char)*s) ||
		    ((*s == '-' || *s == '.') && isdigit((unsigned char)s[1]))) {
			char *end;

			errno = 0;
			t->num = strtod(s, &end);
			if (errno || !isfinite(t->num) || word_char(*end))
				return lex_fail(x, "expect: bad number '%.*s'",
				                (int)strcspn(s, " \t"), s);
			t->kind = T_NUM;
			s = end;
		} else if (isalpha((unsigned char)*s) || *s == '_') {
			for (n = 0; word_char(s[n]); n++)
				;
			if (n >= sizeof t->word)
				return lex_fail(x, "expect: name '%.20s...' too long (at most %d bytes)",
				                s, MD_FIELD_MAX - 1);
			memcpy(t->word, s, n);
			t->kind = T_WORD;
			s += n;
		} else if ((n = md_cmp_scan(s, &t->cmp)) > 0) {
			t->kind = T_CMP;
			s += n;
		} else if (*s == '*' || *s == '/' || *s == '(' || *s == ')') {
			t->kind = *s == '*' ? T_STAR : *s == '/' ? T_SLASH
			        : *s == '(' ? T_LPAREN : T_RPAREN;
			s++;
		} else {
			return lex_fail(x, "expect: unexpected '%c'", *s);
		}
	}
	x->t[x->n].kind = T_END;
	x->at = 0;
	return 0;
}

static const struct tok *
peek(const struct lexer *x)
{
	return &x->t[x->at];
}

static const struct tok *
next(struct lexer *x)
{
	const struct tok *t = &x->t[x->at];

	if (t->kind != T_END)
		x->at++;
	return t;
}

static bool
is_word(const struct tok *t, const char *w)
{
	return t->kind == T_WORD && strcmp(t->word, w) == 0;
}

/* What the learner wrote where something else was needed. */
static const char *
shown(struct lexer *x, const struct tok *t)
{
	static const char *const names[] = {
		[T_END] = "the end of the line", [T_NUM] = "a number", [T_WORD] = "",
		[T_CMP] = "a comparison", [T_STAR] = "'*'", [T_SLASH] = "'/'",
		[T_LPAREN] = "'('", [T_RPAREN] = "')'",
	};

	if (t->kind != T_WORD)
		return names[t->kind];
	snprintf(x->shown, sizeof x->shown, "'%s'", t->word);
	return x->shown;
}

/* ---- Grammar --------------------------------------------------------- */

static const char *const func_names[] = {
	[MD_FUNC_DISTINCT] = "distinct", [MD_FUNC_COUNT] = "count",
	[MD_FUNC_MIN] = "min", [MD_FUNC_MAX] = "max", [MD_FUNC_SUM] = "sum",
};

/* Words of the grammar cannot be fields: "final in every run" must not
 * read "in" as a field when a comparison was forgotten. */
static bool
reserved(const char *w)
{
	static const char *const kw[] = {"between", "and", "in", "every", "of",
	                                 "run", "runs", "when", "ncpu", "load"};

	for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
		if (strcmp(w, kw[i]) == 0)
			return true;
	return false;
}

/* A field path: names joined by '.', each name optionally followed by
 * "[]" (an array walked element by element), e.g. per_worker[].pid. */
static int
check_path(struct lexer *x, const char *p, bool array_ok)
{
	const char *c = p;
	bool arr = false;

	if (reserved(p))
		return lex_fail(x, "expect: '%s' is a word of the grammar, not a field", p);
	for (;;) {
		size_t n = 0;

		while (isalnum((unsigned char)c[n]) || c[n] == '_')
			n++;
		if (n == 0 || isdigit((unsigned char)c[0]))
			return lex_fail(x, "expect: bad field '%s' (names joined by '.', [] after an array)", p);
		c += n;
		if (c[0] == '[' && c[1] == ']') {
			arr = true;
			c += 2;
		}
		if (*c == '\0')
			break;
		if (*c != '.')
			return lex_fail(x, "expect: bad field '%s' (names joined by '.', [] after an array)", p);
		c++;
	}
	if (arr && !array_ok)
		return lex_fail(x, "expect: '%s' walks an array: use it inside distinct(), count(), min(), max() or sum()", p);
	if (!arr && array_ok)
		return lex_fail(x, "expect: '%s' is not an array path (write name[] for the array's elements)", p);
	return 0;
}

static int
field(struct lexer *x, char *dst)
{
	const struct tok *t = next(x);

	if (t->kind != T_WORD)
		return lex_fail(x, "expect: a field was expected, not %s", shown(x, t));
	if (check_path(x, t->word, false) < 0)
		return -1;
	memcpy(dst, t->word, MD_FIELD_MAX);
	return 0;
}

static int
term(struct lexer *x, struct md_term *m)
{
	const struct tok *t = next(x);

	memset(m, 0, sizeof *m);
	if (t->kind == T_NUM) {
		m->kind = MD_TERM_NUM;
		m->num = t->num;
		if (peek(x)->kind == T_STAR) {
			next(x);
			m->kind = MD_TERM_SCALED;
			return field(x, m->field);
		}
		return 0;
	}
	if (t->kind != T_WORD)
		return lex_fail(x, "expect: a number or a field was expected, not %s", shown(x, t));
	if (peek(x)->kind == T_LPAREN) {
		unsigned f;

		for (f = 0; f < sizeof func_names / sizeof func_names[0]; f++)
			if (strcmp(t->word, func_names[f]) == 0)
				break;
		if (f == sizeof func_names / sizeof func_names[0])
			return lex_fail(x, "expect: unknown function '%s' (distinct count min max sum)",
			                t->word);
		next(x);
		m->kind = MD_TERM_FUNC;
		m->func = (enum md_func)f;
		t = next(x);
		if (t->kind != T_WORD)
			return lex_fail(x, "expect: %s() needs a field path, not %s",
			                func_names[f], shown(x, t));
		if (check_path(x, t->word, true) < 0)
			return -1;
		memcpy(m->field, t->word, MD_FIELD_MAX);
		if (next(x)->kind != T_RPAREN)
			return lex_fail(x, "expect: ')' missing after %s(%s", func_names[f], m->field);
		return 0;
	}
	if (check_path(x, t->word, false) < 0)
		return -1;
	m->kind = MD_TERM_FIELD;
	memcpy(m->field, t->word, MD_FIELD_MAX);
	if (peek(x)->kind == T_SLASH) {
		next(x);
		m->kind = MD_TERM_RATIO;
		return field(x, m->field2);
	}
	return 0;
}

static int
number(struct lexer *x, double *v, const char *what)
{
	const struct tok *t = next(x);

	if (t->kind != T_NUM)
		return lex_fail(x, "expect: %s must be a number, not %s", what, shown(x, t));
	*v = t->num;
	return 0;
}

/* A whole number in [1, 1000] for "in >= K of N runs". */
static int
count(struct lexer *x, int *v, const char *what)
{
	double d;

	if (number(x, &d, what) < 0)
		return -1;
	if (d != floor(d) || d < 1 || d > 1000)
		return lex_fail(x, "expect: %s must be a whole number from 1 to 1000", what);
	*v = (int)d;
	return 0;
}

static int
quant(struct lexer *x, struct md_expect *e)
{
	const struct tok *t;

	next(x); /* "in" */
	if (is_word(peek(x), "every")) {
		next(x);
		if (!is_word(next(x), "run"))
			return lex_fail(x, "expect: write 'in every run'");
		return 0;
	}
	t = next(x);
	if (t->kind != T_CMP || t->cmp != MD_CMP_GE)
		return lex_fail(x, "expect: write 'in every run' or 'in >= K of N runs'");
	if (count(x, &e->k, "K in 'in >= K of N runs'") < 0)
		return -1;
	if (!is_word(next(x), "of"))
		return lex_fail(x, "expect: write 'in >= K of N runs'");
	if (count(x, &e->n, "N in 'in >= K of N runs'") < 0)
		return -1;
	t = next(x);
	if (!is_word(t, "runs") && !is_word(t, "run"))
		return lex_fail(x, "expect: write 'in >= K of N runs'");
	if (e->k > e->n)
		return lex_fail(x, "expect: %d of %d runs: K cannot exceed N", e->k, e->n);
	return 0;
}

static int
cond(struct lexer *x, struct md_expect *e)
{
	const struct tok *t = next(x);
	struct md_cond *c;
	const char *name;

	if (e->ncond == MD_EXPECT_CONDS)
		return lex_fail(x, "expect: more than %d conditions", MD_EXPECT_CONDS);
	c = &e->cond[e->ncond++];
	if (is_word(t, "ncpu")) {
		c->var = MD_COND_NCPU;
	} else if (is_word(t, "load")) {
		c->var = MD_COND_LOAD;
	} else if (t->kind == T_WORD && !reserved(t->word)) {
		if (check_path(x, t->word, false) < 0)
			return -1;
		c->var = MD_COND_FIELD;
		memcpy(c->field, t->word, MD_FIELD_MAX);
	} else {
		return lex_fail(x, "expect: a condition is 'ncpu CMP N', 'load CMP N' or "
		                "'FIELD CMP N' (a field of each run's record: cpu_wait), not %s",
		                shown(x, t));
	}
	name = c->var == MD_COND_NCPU ? "ncpu" : c->var == MD_COND_LOAD ? "load" : c->field;
	t = next(x);
	if (t->kind != T_CMP)
		return lex_fail(x, "expect: a comparison (== != < <= > >=) after %s", name);
	c->cmp = t->cmp;
	if (peek(x)->kind != T_NUM)
		return lex_fail(x, "expect: %s's bound must be a number, not %s", name,
		                shown(x, peek(x)));
	return number(x, &c->value, "the bound");
}

static bool
measures(const struct md_term *t)
{
	return t->kind != MD_TERM_NUM;
}

int
md_expect_parse(const char *s, struct md_expect *e, char *err, size_t errlen)
{
	struct lexer x = {.err = err, .errlen = errlen};
	const struct tok *t;
	size_t n;

	memset(e, 0, sizeof *e);
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (n == 0)
		return lex_fail(&x, "expect: nothing to check (expect: CLAIM [QUANT] [when COND])");
	if (n >= sizeof e->text)
		return lex_fail(&x, "expect: line too long (at most %zu bytes)", sizeof e->text - 1);
	memcpy(e->text, s, n);
	if (lex(&x, e->text) < 0 || term(&x, &e->lhs) < 0)
		return -1;
	t = next(&x);
	if (is_word(t, "between")) {
		e->between = true;
		if (number(&x, &e->lo, "between's low bound") < 0)
			return -1;
		if (!is_word(next(&x), "and"))
			return lex_fail(&x, "expect: write 'between LOW and HIGH'");
		if (number(&x, &e->hi, "between's high bound") < 0)
			return -1;
		if (e->lo > e->hi)
			return lex_fail(&x, "expect: between %g and %g is empty", e->lo, e->hi);
		if (!measures(&e->lhs))
			return lex_fail(&x, "expect: nothing measured (a field must be compared)");
	} else if (t->kind == T_CMP) {
		e->cmp = t->cmp;
		if (term(&x, &e->rhs) < 0)
			return -1;
		if (!measures(&e->lhs) && !measures(&e->rhs))
			return lex_fail(&x, "expect: nothing measured (a field must be compared)");
	} else {
		return lex_fail(&x, "expect: a comparison (== != < <= > >=) or 'between' was expected, not %s",
		                shown(&x, t));
	}
	if (is_word(peek(&x), "in") && quant(&x, e) < 0)
		return -1;
	if (is_word(peek(&x), "when")) {
		next(&x);
		do {
			if (cond(&x, e) < 0)
				return -1;
		} while (is_word(peek(&x), "and") && next(&x));
	}
	t = peek(&x);
	if (t->kind != T_END)
		return lex_fail(&x, "expect: unexpected %s after the claim", shown(&x, t));
	return 0;
}
