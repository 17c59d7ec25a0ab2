// lesson.md: parse a lesson document into steps and styled text; wrap it.
//
// The format (CommonMark, read with md4c, so it also reads well on a forge):
//
//   # Title of the lesson          first heading, level 1: required
//   Text before the first step     the lesson's introduction (catalog preview)
//   ## Title of a step             every level-2 section is one step
//   Text of the step ...           paragraphs, lists, emphasis, `code`, quotes,
//                                  code blocks, tables (cells joined by " | ")
//   ```run                         the step's demo; a step may hold several,
//   race --workers 2 --sync none   the first is the default.  The argv of
//                                  bin/racelab-race, WITHOUT the
//   panels: procs counters         "racelab-" prefix; an optional panels line
//   ```                            (procs step counters locks timeline histogram output)
//   goal: counter balance == 101 :: make the balance end at 101
//   ```                            zero or more goals for step mode (below)
//   ```quiz                        at most one per step: a prediction asked
//   What final balance do you expect?   before the step's demo runs
//   answer: 101
//   ```
//
// Goals (lines "goal: CONDITION :: TEXT" in a run block) are what the
// student tries to reach as the scheduler; the shell judges them from the
// board and says when one is reached.  CONDITION is one of
//   counter NAME CMP N   the counter NAME, once the run has ended
//   critical LOCK CMP N  how many workers are inside LOCK's critical section
//                        at once (hold it, or are in state critical)
//   deadlock             the workers wait for each other's locks in a cycle
// with CMP one of == != < <= > >=.  TEXT is shown to the student; without
// " :: TEXT" the condition itself is.
//
// A quiz block is "predict, then run": question lines, then either choice
// lines "- text" (multiple choice, 2 to 9 of them) or none (the answer is a
// number), then optionally "answer: N" (the number, or the right choice's
// 1-based index).  The shell asks it before the step's demo runs, keeps the
// answer in the saved progress, and shows it beside what the run measured
// (counter 0's final value) or beside the given answer.  The answer line is
// never shown in the lesson text.
//
// The run line is split into words without a shell (blanks separate words,
// '...' and "..." quote; nothing is expanded), and its first word must name
// an existing lesson program, so a hostile lesson.md cannot run arbitrary
// commands.  Errors (no title, an unterminated fence, an unknown program or
// panel, a run block before the first step, a bad quote) are reported with the line
// they are on; the catalog shows them as file:line and skips that lesson.
#include "md.h"

#include <errno.h>
#include <md4c.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const md_panel_names[MD_PANEL_COUNT] = {
	[MD_PANEL_PROCS] = "procs",         [MD_PANEL_STEP] = "step",
	[MD_PANEL_COUNTERS] = "counters",
	[MD_PANEL_LOCKS] = "locks",         [MD_PANEL_TIMELINE] = "timeline",
	[MD_PANEL_HISTOGRAM] = "histogram", [MD_PANEL_OUTPUT] = "output",
};

enum { MAX_RUN_WORDS = 64, MAX_LIST_DEPTH = 16, MAX_EXPECTS = 16 };

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		abort(); /* out of memory while parsing a small text file */
	return q;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = xrealloc(NULL, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* ---- Parsing -------------------------------------------------------- */

enum code_kind { CODE_NONE, CODE_PLAIN, CODE_RUN, CODE_QUIZ, CODE_HTML };

struct parser {
	struct md_lesson *l;
	const char *doc;
	size_t len;
	md_prog_ok_fn ok;
	void *ctx;

	struct md_step *cur;  /* the step text goes to (intro at first) */
	struct md_block *blk; /* the block text goes to, or NULL */
	int em, strong, code, link;
	int quote;
	struct {
		bool ordered;
		unsigned next;
	} list[MAX_LIST_DEPTH];
	int nlist;
	bool li_fresh;     /* in a list item whose first paragraph is to come */
	bool in_title;     /* inside the level-1 title heading */
	bool in_steptitle; /* inside a step's heading */
	struct buf head;   /* heading text being collected */
	int head_line;
	enum code_kind codek;
	struct buf codebuf; /* run or quiz block contents */
	int code_line;      /* line of the opening fence */
	int cells;          /* table cells seen in this row */
	int last_line;
};

static int
line_of(const struct parser *p, const char *ptr)
{
	int line = 1;

	if (ptr < p->doc || ptr > p->doc + p->len)
		return p->last_line;
	for (const char *c = p->doc; c < ptr; c++)
		line += *c == '\n';
	return line;
}

static int
fail(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	if (p->l->error_line) /* keep the first error */
		return 1;
	p->l->error_line = line > 0 ? line : 1;
	va_start(ap, fmt);
	vsnprintf(p->l->error, sizeof p->l->error, fmt, ap);
	va_end(ap);
	return 1; /* non-zero stops md_parse */
}

static struct md_block *
new_block(struct parser *p, enum md_block_kind kind)
{
	struct md_step *s = p->cur;
	struct md_block *b;

	s->block = xrealloc(s->block, (size_t)(s->nblock + 1) * sizeof *s->block);
	b = &s->block[s->nblock++];
	memset(b, 0, sizeof *b);
	b->kind = kind;
	b->depth = p->nlist > 0 ? p->nlist - 1 : 0;
	if (kind == MD_K_PARA && p->nlist > 0)
		b->depth = p->nlist; /* a later paragraph of a list item */
	b->quote = p->quote > 0;
	return b;
}

static void
add_span(struct md_block *b, unsigned attr, const char *text, size_t n)
{
	/* Merge with the previous span when the attributes match. */
	if (b->nspan > 0 && b->span[b->nspan - 1].attr == attr &&
	    strcmp(b->span[b->nspan - 1].text, "\n") != 0 &&
	    !(n == 1 && text[0] == '\n')) {
		struct md_span *s = &b->span[b->nspan - 1];
		size_t old = strlen(s->text);

		s->text = xrealloc(s->text, old + n + 1);
		memcpy(s->text + old, text, n);
		s->text[old + n] = '\0';
		return;
	}
	b->span = xrealloc(b->span, (size_t)(b->nspan + 1) * sizeof *b->span);
	b->span[b->nspan].attr = attr;
	b->span[b->nspan].text = xstrndup(text, n);
	b->nspan++;
}

static unsigned
cur_attr(const struct parser *p)
{
	unsigned a = 0;

	if (p->em)
		a |= MDL_EM;
	if (p->strong)
		a |= MDL_BOLD;
	if (p->code)
		a |= MDL_CODE;
	if (p->link)
		a |= MDL_LINK;
	if (p->in_title || p->in_steptitle || (p->blk && p->blk->kind == MD_K_HEADING))
		a |= MDL_HEAD | MDL_BOLD;
	return a;
}

static struct md_step *
new_step(struct parser *p, int line)
{
	struct md_lesson *l = p->l;
	struct md_step *s;

	l->step = xrealloc(l->step, (size_t)(l->nstep + 1) * sizeof *l->step);
	s = &l->step[l->nstep++];
	memset(s, 0, sizeof *s);
	s->line = line;
	return s;
}

/* Does a closing fence of at least n fence characters c follow the line
 * that starts at from?  Leading blanks and quote markers are skipped. */
static bool
has_closing_fence(const char *from, const char *end, char c, int n)
{
	const char *q = from;

	while (q < end) {
		const char *eol = memchr(q, '\n', (size_t)(end - q));
		const char *t = q;
		int k = 0;

		if (!eol)
			eol = end;
		while (t < eol && (*t == ' ' || *t == '\t' || *t == '>'))
			t++;
		while (t < eol && *t == c)
			t++, k++;
		while (t < eol && (*t == ' ' || *t == '\t' || *t == '\r'))
			t++;
		if (k >= n && t == eol)
			return true;
		q = eol + 1;
	}
	return false;
}

static int
check_fence(struct parser *p, const MD_BLOCK_CODE_DETAIL *d, const char *what)
{
	const char *info = d->info.text;
	const char *ls, *le, *t;
	int n = 0;

	if (!d->fence_char || info < p->doc || info > p->doc + p->len)
		return 0;
	ls = info;
	while (ls > p->doc && ls[-1] != '\n')
		ls--;
	for (t = ls; t < info && *t != d->fence_char; t++)
		;
	while (t < info && *t == d->fence_char)
		t++, n++;
	le = memchr(info, '\n', (size_t)(p->doc + p->len - info));
	if (!le || !has_closing_fence(le + 1, p->doc + p->len, d->fence_char, n))
		return fail(p, line_of(p, info), "unterminated %s block (no closing %c%c%c)",
		            what, d->fence_char, d->fence_char, d->fence_char);
	return 0;
}

bool
md_slug_valid(const char *slug)
{
	size_t n = strlen(slug);

	if (n == 0 || n > 24)
		return false;
	for (const char *c = slug; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	return slug[0] != '-';
}

int
md_parse_panels(const char *s, unsigned *mask, char *bad, size_t badlen)
{
	*mask = 0;
	while (*s) {
		size_t n;
		int i;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		n = strcspn(s, " \t,");
		if (n == 0)
			break;
		for (i = 0; i < MD_PANEL_COUNT; i++)
			if (strlen(md_panel_names[i]) == n &&
			    strncmp(md_panel_names[i], s, n) == 0)
				break;
		if (i == MD_PANEL_COUNT) {
			snprintf(bad, badlen, "%.*s", (int)(n < 32 ? n : 32), s);
			return -1;
		}
		*mask |= 1u << i;
		s += n;
	}
	return 0;
}

int
md_split_argv(const char *s, char ***argvp, int max)
{
	char **argv = xrealloc(NULL, (size_t)(max + 1) * sizeof *argv);
	int argc = 0;

	for (;;) {
		struct buf w = {0};
		bool any = false;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '\'' || *s == '"') {
				const char *end = strchr(s + 1, *s);

				if (!end) {
					free(w.s);
					goto bad;
				}
				buf_add(&w, s + 1, (size_t)(end - s - 1));
				s = end + 1;
			} else {
				buf_add(&w, s, 1);
				s++;
			}
			any = true;
		}
		if (argc == max) {
			free(w.s);
			goto bad;
		}
		argv[argc++] = any && w.s ? w.s : xstrndup("", 0);
	}
	argv[argc] = NULL;
	*argvp = argv;
	return argc;
bad:
	argv[argc] = NULL;
	md_argv_free(argv);
	*argvp = NULL;
	return -1;
}

void
md_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

static const char *
skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A whole decimal number (with sign), blanks around allowed. */
static bool
parse_ll(const char *s, long long *v)
{
	char *end;

	s = skip_blank(s);
	if (!*s)
		return false;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno == 0 && end != s && *skip_blank(end) == '\0';
}

int
md_goal_parse(const char *s, struct md_goal *g, char *err, size_t errlen)
{
	const char *sep = strstr(s, "::"), *c;
	char cond[128], word[32], name[64], op[8], num[32], extra[8];
	size_t n = sep ? (size_t)(sep - s) : strlen(s);
	int k;

	memset(g, 0, sizeof *g);
	if (n >= sizeof cond) {
		snprintf(err, errlen, "goal condition too long");
		return -1;
	}
	memcpy(cond, s, n);
	cond[n] = '\0';
	c = skip_blank(cond);
	k = sscanf(c, "%31s %63s %7s %31s %7s", word, name, op, num, extra);
	if (k >= 1 && strcmp(word, "deadlock") == 0 && k == 1) {
		g->kind = MD_GOAL_DEADLOCK;
	} else if (k == 4 && (strcmp(word, "counter") == 0 || strcmp(word, "critical") == 0)) {
		g->kind = word[1] == 'o' ? MD_GOAL_COUNTER : MD_GOAL_CRITICAL;
		if (strlen(name) >= sizeof g->name) {
			snprintf(err, errlen, "goal: name '%.20s' too long (at most %zu bytes)",
			         name, sizeof g->name - 1);
			return -1;
		}
		snprintf(g->name, sizeof g->name, "%s", name);
		if (md_cmp_scan(op, &g->cmp) != strlen(op)) {
			snprintf(err, errlen, "goal: unknown comparison '%s' (== != < <= > >=)", op);
			return -1;
		}
		if (!parse_ll(num, &g->value)) {
			snprintf(err, errlen, "goal: '%s' is not a number", num);
			return -1;
		}
	} else {
		snprintf(err, errlen, "goal: expected 'counter NAME CMP N', 'critical LOCK CMP N' or 'deadlock'");
		return -1;
	}
	if (sep) {
		const char *t = skip_blank(sep + 2);

		g->text = xstrndup(t, strlen(t));
	}
	if (!g->text || !g->text[0]) {
		free(g->text);
		n = strlen(c);
		while (n && (c[n - 1] == ' ' || c[n - 1] == '\t'))
			n--;
		g->text = xstrndup(c, n);
	}
	return 0;
}

void
md_goal_free(struct md_goal *g)
{
	free(g->text);
	g->text = NULL;
}

void
md_quiz_free(struct md_quiz *q)
{
	free(q->question);
	for (int i = 0; i < q->nchoice; i++)
		free(q->choice[i]);
	free(q->choice);
	memset(q, 0, sizeof *q);
}

int
md_quiz_parse(const char *text, struct md_quiz *q, char *err, size_t errlen,
              int *errline)
{
	struct buf question = {0};
	const char *answer = NULL;
	int line = 0, answer_line = 0;

	memset(q, 0, sizeof *q);
	*errline = 0;
	while (*text) {
		size_t n = strcspn(text, "\n");
		char *ln = xstrndup(text, n), *a = ln, *z;

		line++;
		a = (char *)skip_blank(a);
		z = a + strlen(a);
		while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
			*--z = '\0';
		if (strncmp(a, "answer:", 7) == 0) {
			free((char *)answer);
			answer = xstrndup(a + 7, strlen(a + 7));
			answer_line = line;
		} else if (a[0] == '-' && (a[1] == ' ' || a[1] == '\t')) {
			if (q->nchoice == 9) {
				free(ln);
				snprintf(err, errlen, "quiz: more than 9 choices");
				*errline = line;
				goto bad;
			}
			q->choice = xrealloc(q->choice, (size_t)(q->nchoice + 1) * sizeof *q->choice);
			q->choice[q->nchoice++] = xstrndup(skip_blank(a + 2), strlen(skip_blank(a + 2)));
		} else if (*a) {
			if (q->nchoice) {
				free(ln);
				snprintf(err, errlen, "quiz: question text after the choices");
				*errline = line;
				goto bad;
			}
			if (question.len)
				buf_add(&question, " ", 1);
			buf_add(&question, a, strlen(a));
		}
		free(ln);
		text += n;
		if (*text == '\n')
			text++;
	}
	if (!question.len) {
		snprintf(err, errlen, "quiz: no question");
		goto bad;
	}
	if (q->nchoice == 1) {
		snprintf(err, errlen, "quiz: one choice is no choice (give 2 to 9, or none for a number)");
		goto bad;
	}
	if (answer) {
		if (!parse_ll(answer, &q->answer) ||
		    (q->nchoice && (q->answer < 1 || q->answer > q->nchoice))) {
			if (q->nchoice)
				snprintf(err, errlen, "quiz: answer must be a choice number 1-%d",
				         q->nchoice);
			else
				snprintf(err, errlen, "quiz: answer must be a number");
			*errline = answer_line;
			goto bad;
		}
		q->has_answer = true;
	}
	free((char *)answer);
	q->question = question.s;
	return 0;
bad:
	free((char *)answer);
	free(question.s);
	md_quiz_free(q);
	return -1;
}

static void
run_free(struct md_run *r)
{
	md_argv_free(r->argv);
	for (int i = 0; i < r->ngoal; i++)
		md_goal_free(&r->goal[i]);
	free(r->goal);
	free(r->expect);
	free(r);
}

/* The run block is complete: check it and attach it to the step. */
static int
finish_run(struct parser *p)
{
	struct md_step *s = p->cur;
	struct md_run *r;
	const char *t = p->codebuf.s ? p->codebuf.s : "";
	char *cmd = NULL;
	int cmd_line = p->code_line, line = p->code_line;
	unsigned panels = 0;
	struct md_block *b;
	struct buf shown = {0};
	struct md_goal goals[8];
	int ngoal = 0;
	struct md_expect expects[MAX_EXPECTS];
	int nexpect = 0;

	if (s == &p->l->intro)
		return fail(p, p->code_line, "run block before the first step (## heading)");
	if (s->nrun >= 16)
		return fail(p, p->code_line, "more than 16 run blocks in step \"%s\"", s->title);
	while (*t) {
		size_t n = strcspn(t, "\n");
		char *ln = xstrndup(t, n), *a = ln, *z;

		line++;
		while (*a == ' ' || *a == '\t')
			a++;
		z = a + strlen(a);
		while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
			*--z = '\0';
		if (strncmp(a, "goal:", 5) == 0) {
			struct md_goal g;
			char why[160];

			if (ngoal == 8 || md_goal_parse(a + 5, &g, why, sizeof why) < 0) {
				free(ln);
				free(cmd);
				for (int i = 0; i < ngoal; i++)
					md_goal_free(&goals[i]);
				return fail(p, line, "%s", ngoal == 8 ? "more than 8 goals in a run block" : why);
			}
			goals[ngoal++] = g;
		} else if (strncmp(a, "expect:", 7) == 0) {
			char why[200];

			if (nexpect == MAX_EXPECTS ||
			    md_expect_parse(a + 7, &expects[nexpect], why, sizeof why) < 0) {
				free(ln);
				free(cmd);
				for (int i = 0; i < ngoal; i++)
					md_goal_free(&goals[i]);
				if (nexpect == MAX_EXPECTS)
					return fail(p, line, "more than %d expect: lines in a run block",
					            MAX_EXPECTS);
				return fail(p, line, "%s", why);
			}
			expects[nexpect++].line = line;
		} else if (strncmp(a, "panels:", 7) == 0) {
			char bad[40];

			if (md_parse_panels(a + 7, &panels, bad, sizeof bad) < 0) {
				free(ln);
				free(cmd);
				for (int i = 0; i < ngoal; i++)
					md_goal_free(&goals[i]);
				return fail(p, line, "unknown panel '%s' (known: procs counters locks timeline histogram output step)", bad);
			}
		} else if (*a && cmd) {
			free(ln);
			free(cmd);
			for (int i = 0; i < ngoal; i++)
				md_goal_free(&goals[i]);
			return fail(p, line, "a run block holds one command");
		} else if (*a) {
			cmd = xstrndup(a, strlen(a));
			cmd_line = line;
		}
		free(ln);
		t += n;
		if (*t == '\n')
			t++;
	}
	if (!cmd) {
		for (int i = 0; i < ngoal; i++)
			md_goal_free(&goals[i]);
		return fail(p, p->code_line, "empty run block");
	}
	r = xrealloc(NULL, sizeof *r);
	memset(r, 0, sizeof *r);
	r->line = p->code_line;
	r->panels = panels;
	if (ngoal) {
		r->goal = xrealloc(NULL, (size_t)ngoal * sizeof *r->goal);
		memcpy(r->goal, goals, (size_t)ngoal * sizeof *r->goal);
		r->ngoal = ngoal;
	}
	if (nexpect) {
		r->expect = xrealloc(NULL, (size_t)nexpect * sizeof *r->expect);
		memcpy(r->expect, expects, (size_t)nexpect * sizeof *r->expect);
		r->nexpect = nexpect;
	}
	r->argc = md_split_argv(cmd, &r->argv, MAX_RUN_WORDS);
	free(cmd);
	if (r->argc <= 0) {
		run_free(r);
		return fail(p, cmd_line, "bad run line (unterminated quote or too many words)");
	}
	if (strncmp(r->argv[0], "racelab-", 8) == 0) /* tolerate the prefix */
		memmove(r->argv[0], r->argv[0] + 8, strlen(r->argv[0] + 8) + 1);
	if (!md_slug_valid(r->argv[0]) || (p->ok && !p->ok(r->argv[0], p->ctx))) {
		char name[40];

		snprintf(name, sizeof name, "%.32s", r->argv[0]);
		run_free(r);
		return fail(p, cmd_line, "run block names unknown program '%s' (no racelab-%s)",
		            name, name);
	}
	s->runs = xrealloc(s->runs, (size_t)(s->nrun + 1) * sizeof *s->runs);
	s->runs[s->nrun++] = r;
	if (!s->run)
		s->run = r;
	/* Shown in the text as the command a student could type. */
	buf_add(&shown, "$ racelab-", 10);
	for (int i = 0; i < r->argc; i++) {
		if (i)
			buf_add(&shown, " ", 1);
		buf_add(&shown, r->argv[i], strlen(r->argv[i]));
	}
	b = new_block(p, MD_K_RUN);
	b->run = s->nrun - 1;
	add_span(b, MDL_RUN, shown.s, shown.len);
	free(shown.s);
	for (int i = 0; i < r->ngoal; i++) {
		b = new_block(p, MD_K_PARA);
		add_span(b, MDL_QUIZ | MDL_BOLD, "Goal: ", 6);
		add_span(b, MDL_QUIZ, r->goal[i].text, strlen(r->goal[i].text));
	}
	return 0;
}

static int
finish_quiz(struct parser *p)
{
	struct md_step *s = p->cur;
	struct md_block *b;
	const char *t = p->codebuf.s ? p->codebuf.s : "";
	size_t n = strlen(t);

	if (s == &p->l->intro)
		return fail(p, p->code_line, "quiz block before the first step (## heading)");
	if (s->quiz)
		return fail(p, p->code_line, "a second quiz block in step \"%s\"", s->title);
	while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' '))
		n--;
	{
		char why[160];
		int el;

		if (md_quiz_parse(t, &s->q, why, sizeof why, &el) < 0)
			return fail(p, p->code_line + el, "%s", why);
	}
	s->quiz = xstrndup(t, n);
	s->quiz_line = p->code_line;
	b = new_block(p, MD_K_QUIZ);
	add_span(b, MDL_QUIZ | MDL_BOLD, "Predict: ", 9);
	add_span(b, MDL_QUIZ, s->q.question, strlen(s->q.question));
	for (int i = 0; i < s->q.nchoice; i++) {
		char num[16];

		b = new_block(p, MD_K_QUIZ);
		snprintf(num, sizeof num, "  %d) ", i + 1);
		add_span(b, MDL_QUIZ | MDL_BOLD, num, strlen(num));
		add_span(b, MDL_QUIZ, s->q.choice[i], strlen(s->q.choice[i]));
	}
	return 0;
}

static int
enter_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct parser *p = ud;

	switch (type) {
	case MD_BLOCK_QUOTE:
		p->quote++;
		break;
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		if (p->nlist < MAX_LIST_DEPTH) {
			p->list[p->nlist].ordered = type == MD_BLOCK_OL;
			p->list[p->nlist].next =
				type == MD_BLOCK_OL ? ((MD_BLOCK_OL_DETAIL *)detail)->start : 0;
		}
		p->nlist++;
		break;
	case MD_BLOCK_LI: {
		int d = p->nlist - 1;

		p->blk = new_block(p, MD_K_ITEM);
		if (d >= 0 && d < MAX_LIST_DEPTH && p->list[d].ordered)
			snprintf(p->blk->bullet, sizeof p->blk->bullet, "%u.",
			         p->list[d].next++ % 1000);
		else
			strcpy(p->blk->bullet, "-");
		p->li_fresh = true;
		break;
	}
	case MD_BLOCK_HR:
		new_block(p, MD_K_RULE);
		break;
	case MD_BLOCK_H: {
		unsigned level = ((MD_BLOCK_H_DETAIL *)detail)->level;

		p->head.len = 0;
		p->head_line = 0;
		if (level == 1 && !p->l->title && p->l->nstep == 0) {
			p->in_title = true;
		} else if (level == 2) {
			if (!p->l->title)
				return fail(p, 1, "no title: a lesson starts with a '# Title' line");
			p->cur = new_step(p, p->last_line);
			p->in_steptitle = true;
			p->blk = new_block(p, MD_K_HEADING);
		} else {
			p->blk = new_block(p, MD_K_HEADING);
		}
		break;
	}
	case MD_BLOCK_CODE: {
		MD_BLOCK_CODE_DETAIL *d = detail;
		size_t n = d->info.size, w = 0;

		while (w < n && d->info.text[w] != ' ' && d->info.text[w] != '\t')
			w++;
		p->code_line = d->info.text && d->info.size ? line_of(p, d->info.text)
		                                            : p->last_line;
		p->codebuf.len = 0;
		if (w == 3 && strncmp(d->info.text, "run", 3) == 0) {
			p->codek = CODE_RUN;
			return check_fence(p, d, "run");
		}
		if (w == 4 && strncmp(d->info.text, "quiz", 4) == 0) {
			p->codek = CODE_QUIZ;
			return check_fence(p, d, "quiz");
		}
		p->codek = CODE_PLAIN;
		p->blk = new_block(p, MD_K_CODE);
		return check_fence(p, d, "code");
	}
	case MD_BLOCK_HTML:
		p->codek = CODE_HTML;
		break;
	case MD_BLOCK_P:
		if (p->li_fresh && p->blk && p->blk->kind == MD_K_ITEM)
			p->li_fresh = false;
		else
			p->blk = new_block(p, MD_K_PARA);
		break;
	case MD_BLOCK_TR:
		p->blk = new_block(p, MD_K_PARA);
		p->cells = 0;
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		if (p->blk && p->cells++ > 0)
			add_span(p->blk, MDL_DIM, " | ", 3);
		if (type == MD_BLOCK_TH)
			p->strong++;
		break;
	default:
		break;
	}
	return 0;
}

static int
leave_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct parser *p = ud;

	(void)detail;
	switch (type) {
	case MD_BLOCK_QUOTE:
		p->quote--;
		break;
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		p->nlist--;
		break;
	case MD_BLOCK_LI:
		p->li_fresh = false;
		p->blk = NULL;
		break;
	case MD_BLOCK_H:
		if (p->in_title) {
			if (p->head.len == 0)
				return fail(p, p->last_line, "empty title");
			p->l->title = xstrndup(p->head.s, p->head.len);
			p->in_title = false;
		} else if (p->in_steptitle) {
			p->cur->title = xstrndup(p->head.s ? p->head.s : "", p->head.len);
			if (p->head_line)
				p->cur->line = p->head_line;
			p->in_steptitle = false;
		}
		p->blk = NULL;
		break;
	case MD_BLOCK_CODE: {
		enum code_kind k = p->codek;

		p->codek = CODE_NONE;
		p->blk = NULL;
		if (k == CODE_RUN)
			return finish_run(p);
		if (k == CODE_QUIZ)
			return finish_quiz(p);
		break;
	}
	case MD_BLOCK_HTML:
		p->codek = CODE_NONE;
		break;
	case MD_BLOCK_P:
	case MD_BLOCK_TR:
		p->blk = NULL;
		break;
	case MD_BLOCK_TH:
		p->strong--;
		break;
	default:
		break;
	}
	return 0;
}

static int
enter_span(MD_SPANTYPE type, void *detail, void *ud)
{
	struct parser *p = ud;

	(void)detail;
	switch (type) {
	case MD_SPAN_EM: p->em++; break;
	case MD_SPAN_STRONG: p->strong++; break;
	case MD_SPAN_CODE: p->code++; break;
	case MD_SPAN_A: p->link++; break;
	default: break;
	}
	return 0;
}

static int
leave_span(MD_SPANTYPE type, void *detail, void *ud)
{
	struct parser *p = ud;

	(void)detail;
	switch (type) {
	case MD_SPAN_EM: p->em--; break;
	case MD_SPAN_STRONG: p->strong--; break;
	case MD_SPAN_CODE: p->code--; break;
	case MD_SPAN_A: p->link--; break;
	default: break;
	}
	return 0;
}

static const char *
entity(const char *t, size_t n)
{
	static const struct {
		const char *name, *utf8;
	} known[] = {
		{"&amp;", "&"},   {"&lt;", "<"},      {"&gt;", ">"},
		{"&quot;", "\""}, {"&apos;", "'"},    {"&nbsp;", " "},
		{"&mdash;", "\xe2\x80\x94"}, {"&ndash;", "\xe2\x80\x93"},
		{"&hellip;", "\xe2\x80\xa6"}, {"&rarr;", "\xe2\x86\x92"},
	};

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i].name) == n && strncmp(known[i].name, t, n) == 0)
			return known[i].utf8;
	return NULL;
}

static int
text(MD_TEXTTYPE type, const MD_CHAR *t, MD_SIZE n, void *ud)
{
	struct parser *p = ud;
	const char *e;

	if (t >= p->doc && t < p->doc + p->len) {
		p->last_line = line_of(p, t);
		if (!p->head_line)
			p->head_line = p->last_line;
	}
	if (p->codek == CODE_HTML || type == MD_TEXT_HTML)
		return 0;
	if (p->codek == CODE_RUN || p->codek == CODE_QUIZ) {
		buf_add(&p->codebuf, t, n);
		return 0;
	}
	if (type == MD_TEXT_SOFTBR) {
		t = " ";
		n = 1;
	} else if (type == MD_TEXT_BR) {
		t = "\n";
		n = 1;
	} else if (type == MD_TEXT_NULLCHAR) {
		t = "\xef\xbf\xbd";
		n = 3;
	} else if (type == MD_TEXT_ENTITY && (e = entity(t, n))) {
		t = e;
		n = strlen(e);
	}
	if (p->in_title) {
		buf_add(&p->head, t, n);
		return 0;
	}
	if (p->in_steptitle)
		buf_add(&p->head, t, n);
	if (!p->blk)
		p->blk = new_block(p, MD_K_PARA);
	add_span(p->blk, p->codek == CODE_PLAIN ? MDL_CODE : cur_attr(p), t, n);
	return 0;
}

int
md_lesson_parse(struct md_lesson *l, const char *doc, size_t len,
                md_prog_ok_fn ok, void *ctx)
{
	struct parser p = {.l = l, .doc = doc, .len = len, .ok = ok, .ctx = ctx,
	                   .last_line = 1};
	MD_PARSER mp = {
		.abi_version = 0,
		.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_NOHTML,
		.enter_block = enter_block,
		.leave_block = leave_block,
		.enter_span = enter_span,
		.leave_span = leave_span,
		.text = text,
	};
	int r;

	memset(l, 0, sizeof *l);
	p.cur = &l->intro;
	r = md_parse(doc, (MD_SIZE)len, &mp, &p);
	free(p.head.s);
	free(p.codebuf.s);
	if (!l->error_line && r != 0)
		fail(&p, p.last_line, "cannot parse the document");
	if (!l->error_line && !l->title)
		fail(&p, 1, "no title: a lesson starts with a '# Title' line");
	return l->error_line ? -1 : 0;
}

int
md_lesson_load(struct md_lesson *l, const char *path, md_prog_ok_fn ok, void *ctx)
{
	FILE *f = fopen(path, "r");
	struct buf b = {0};
	char chunk[4096];
	size_t n;
	int r;

	if (!f) {
		int e = errno;

		memset(l, 0, sizeof *l);
		l->error_line = 0;
		snprintf(l->error, sizeof l->error, "%s: %s", path, strerror(e));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (1u << 20))
		buf_add(&b, chunk, n);
	fclose(f);
	r = md_lesson_parse(l, b.s ? b.s : "", b.len, ok, ctx);
	free(b.s);
	if (r < 0) {
		char msg[sizeof l->error + 4096 + 16];

		snprintf(msg, sizeof msg, "%s:%d: %s", path, l->error_line, l->error);
		memcpy(l->error, msg, sizeof l->error - 1);
		l->error[sizeof l->error - 1] = '\0';
	}
	return r;
}

static void
step_free(struct md_step *s)
{
	for (int i = 0; i < s->nblock; i++) {
		for (int j = 0; j < s->block[i].nspan; j++)
			free(s->block[i].span[j].text);
		free(s->block[i].span);
	}
	free(s->block);
	free(s->title);
	free(s->quiz);
	md_quiz_free(&s->q);
	for (int i = 0; i < s->nrun; i++)
		run_free(s->runs[i]);
	free(s->runs);
}

void
md_lesson_free(struct md_lesson *l)
{
	step_free(&l->intro);
	for (int i = 0; i < l->nstep; i++)
		step_free(&l->step[i]);
	free(l->step);
	free(l->title);
	memset(l, 0, sizeof *l);
}

/* ---- Width and wrapping --------------------------------------------- */

/* Decode one UTF-8 sequence; invalid bytes decode as themselves. */
static unsigned
utf8_next(const char **sp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	unsigned c = s[0];
	int n = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	if (c >= 0x80 && c < 0xc0)
		n = 0;
	if (n)
		c &= 0x3f >> n;
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*sp += i;
			return 0xfffd;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*sp += n + 1;
	return c;
}

static int
cp_width(unsigned c)
{
	if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0xfe00 && c <= 0xfe0f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

int
md_strwidth(const char *s)
{
	int w = 0;

	while (*s)
		w += cp_width(utf8_next(&s));
	return w;
}

size_t
md_fit(const char *s, int cols)
{
	const char *start = s;
	int w = 0;

	while (*s) {
		const char *q = s;
		int cw = cp_width(utf8_next(&q));

		if (w + cw > cols)
			break;
		w += cw;
		s = q;
	}
	return (size_t)(s - start);
}

struct wrapper {
	struct md_text *out;
	struct md_line *ln; /* line being filled */
	int col;            /* columns used on it, indent included */
	int width;
	int indent; /* indentation of continuation lines */
	int run;    /* run block being wrapped, or -1 */
};

static void
new_line(struct wrapper *w, int indent)
{
	struct md_text *t = w->out;

	t->line = xrealloc(t->line, (size_t)(t->nline + 1) * sizeof *t->line);
	w->ln = &t->line[t->nline++];
	memset(w->ln, 0, sizeof *w->ln);
	w->ln->indent = indent;
	w->ln->run = w->run;
	w->col = indent;
}

static void
put(struct wrapper *w, unsigned attr, const char *s, size_t n)
{
	struct md_line *l = w->ln;
	char *t = xstrndup(s, n);

	w->col += md_strwidth(t);
	if (l->nseg > 0 && l->seg[l->nseg - 1].attr == attr) {
		struct md_seg *g = &l->seg[l->nseg - 1];
		size_t old = strlen(g->text);

		g->text = xrealloc(g->text, old + n + 1);
		memcpy(g->text + old, s, n);
		g->text[old + n] = '\0';
		free(t);
		return;
	}
	l->seg = xrealloc(l->seg, (size_t)(l->nseg + 1) * sizeof *l->seg);
	l->seg[l->nseg].attr = attr;
	l->seg[l->nseg].text = t;
	l->nseg++;
}

/* A word: pieces of spans with no blank between them. */
struct piece {
	unsigned attr;
	const char *s;
	size_t n;
};

static void
put_word(struct wrapper *w, const struct piece *pc, int np, bool space)
{
	int ww = 0;

	for (int i = 0; i < np; i++) {
		char *t = xstrndup(pc[i].s, pc[i].n);

		ww += md_strwidth(t);
		free(t);
	}
	bool empty = w->ln->nseg == 0;

	if (!empty && w->col + (space ? 1 : 0) + ww > w->width)
		new_line(w, w->indent);
	else if (space && !empty)
		put(w, 0, " ", 1);
	for (int i = 0; i < np; i++) {
		const char *s = pc[i].s;
		size_t left = pc[i].n;

		while (left > 0) {
			char *t = xstrndup(s, left);
			int room = w->width - w->col;
			size_t fit = md_fit(t, room > 0 ? room : 0);

			free(t);
			if (fit == 0 && w->ln->nseg > 0) {
				new_line(w, w->indent); /* a word longer than a line */
				continue;
			}
			if (fit == 0)
				fit = 1;
			put(w, pc[i].attr, s, fit);
			s += fit;
			left -= fit;
			if (left > 0)
				new_line(w, w->indent);
		}
	}
}

static void
wrap_spans(struct wrapper *w, const struct md_block *b, unsigned extra)
{
	struct piece pc[64];
	int np = 0;
	bool space = false, pend_space = false;

	for (int i = 0; i < b->nspan; i++) {
		const char *s = b->span[i].text;
		unsigned attr = b->span[i].attr | extra;

		if (strcmp(s, "\n") == 0) {
			put_word(w, pc, np, space);
			np = 0;
			space = pend_space = false;
			new_line(w, w->indent);
			continue;
		}
		while (*s) {
			size_t n = strcspn(s, " \t\n");

			if (n > 0) {
				if (np == (int)(sizeof pc / sizeof pc[0])) {
					put_word(w, pc, np, space);
					np = 0;
					space = false;
				}
				if (np == 0)
					space = pend_space;
				pc[np++] = (struct piece){attr, s, n};
				s += n;
			}
			if (*s) { /* a blank ends the word */
				if (np > 0) {
					put_word(w, pc, np, space);
					np = 0;
				}
				pend_space = true;
				while (*s == ' ' || *s == '\t' || *s == '\n')
					s++;
			} else {
				pend_space = false;
			}
		}
	}
	if (np > 0)
		put_word(w, pc, np, space);
}

void
md_wrap(const struct md_step *s, int width, struct md_text *out)
{
	struct wrapper w = {.out = out, .width = width < 8 ? 8 : width, .run = -1};
	enum md_block_kind prev = MD_K_PARA;

	memset(out, 0, sizeof *out);
	for (int i = 0; i < s->nblock; i++) {
		const struct md_block *b = &s->block[i];
		int ind = b->depth * 2 + (b->quote ? 2 : 0);

		if (ind > w.width / 2)
			ind = w.width / 2;
		/* A blank line between blocks, except between list items. */
		if (i > 0 && !(b->kind == MD_K_ITEM && prev == MD_K_ITEM))
			new_line(&w, 0);
		prev = b->kind;
		switch (b->kind) {
		case MD_K_RULE:
			new_line(&w, 0);
			for (int c = 0; c < w.width; c++)
				put(&w, MDL_DIM, "-", 1);
			break;
		case MD_K_CODE: {
			struct buf all = {0};
			const char *t;

			/* md4c hands code over line by line: join, then split. */
			for (int j = 0; j < b->nspan; j++)
				buf_add(&all, b->span[j].text, strlen(b->span[j].text));
			for (t = all.s ? all.s : ""; *t;) {
				size_t n = strcspn(t, "\n");

				new_line(&w, ind + 2);
				if (n)
					put(&w, MDL_CODE, t, n);
				t += n;
				if (*t == '\n')
					t++;
			}
			free(all.s);
			break;
		}
		case MD_K_RUN:
			w.indent = ind + 4;
			w.run = b->run;
			new_line(&w, ind + 2);
			wrap_spans(&w, b, 0);
			w.run = -1;
			break;
		case MD_K_ITEM: {
			int bw = (int)strlen(b->bullet) + 1;

			w.indent = ind + bw;
			new_line(&w, ind);
			put(&w, MDL_DIM, b->bullet, strlen(b->bullet));
			put(&w, 0, " ", 1);
			wrap_spans(&w, b, 0);
			break;
		}
		default:
			w.indent = ind;
			new_line(&w, ind);
			wrap_spans(&w, b, 0);
			break;
		}
	}
}

void
md_text_free(struct md_text *t)
{
	for (int i = 0; i < t->nline; i++) {
		for (int j = 0; j < t->line[i].nseg; j++)
			free(t->line[i].seg[j].text);
		free(t->line[i].seg);
	}
	free(t->line);
	memset(t, 0, sizeof *t);
}
