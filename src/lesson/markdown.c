// CommonMark walking: md4c's callbacks turn a lesson.md into the lesson
// model (lesson.h): steps, styled blocks, run and quiz blocks.
//
// Linear in the document: a line number is found by counting on from the
// last one asked for, and spans, blocks and steps grow by doubling.
#include "lesson/lesson.h"

#include <md4c.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/util.h"

enum { MAX_LIST_DEPTH = 16, MAX_RUNS = 16 };

/* ---- Parsing -------------------------------------------------------- */

enum code_kind { CODE_NONE, CODE_PLAIN, CODE_RUN, CODE_QUIZ, CODE_EXERCISE, CODE_HTML };

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
	struct md_buf head;   /* heading text being collected */
	int head_line;
	enum code_kind codek;
	struct md_buf codebuf; /* run or quiz block contents */
	int code_line;      /* line of the opening fence */
	int cells;          /* table cells seen in this row */
	int last_line;
	const char *lpos;   /* line_of's last position, on line lline */
	int lline;
};

/* The line ptr is on.  md4c reports text in document order, so counting
 * on (or back) from the last answer keeps a whole parse linear. */
static int
line_of(struct parser *p, const char *ptr)
{
	if (ptr < p->doc || ptr > p->doc + p->len)
		return p->last_line;
	if (!p->lpos) {
		p->lpos = p->doc;
		p->lline = 1;
	}
	for (; p->lpos < ptr; p->lpos++)
		p->lline += *p->lpos == '\n';
	for (; p->lpos > ptr; p->lpos--)
		p->lline -= p->lpos[-1] == '\n';
	return p->lline;
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

	s->block = md_grow(s->block, s->nblock, sizeof *s->block);
	b = &s->block[s->nblock++];
	memset(b, 0, sizeof *b);
	b->kind = kind;
	b->depth = p->nlist > 0 ? p->nlist - 1 : 0;
	if (kind == MD_K_PARA && p->nlist > 0)
		b->depth = p->nlist; /* a later paragraph of a list item */
	b->quote = p->quote > 0;
	return b;
}

/* Room for a span's text of len bytes and its NUL: the next power of two,
 * so a long paragraph grows by doubling, not byte by byte. */
static size_t
text_cap(size_t len)
{
	size_t c = 16;

	while (c < len + 1)
		c *= 2;
	return c;
}

static void
add_span(struct md_block *b, unsigned attr, const char *text, size_t n)
{
	/* Merge with the previous span when the attributes match. */
	if (b->nspan > 0 && b->span[b->nspan - 1].attr == attr &&
	    strcmp(b->span[b->nspan - 1].text, "\n") != 0 &&
	    !(n == 1 && text[0] == '\n')) {
		struct md_span *s = &b->span[b->nspan - 1];

		if (text_cap(s->len + n) != text_cap(s->len))
			s->text = md_xrealloc(s->text, text_cap(s->len + n));
		memcpy(s->text + s->len, text, n);
		s->len += n;
		s->text[s->len] = '\0';
		return;
	}
	b->span = md_grow(b->span, b->nspan, sizeof *b->span);
	b->span[b->nspan].attr = attr;
	b->span[b->nspan].text = md_xrealloc(NULL, text_cap(n));
	memcpy(b->span[b->nspan].text, text, n);
	b->span[b->nspan].text[n] = '\0';
	b->span[b->nspan].len = n;
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

	l->step = md_grow(l->step, l->nstep, sizeof *l->step);
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


/* The run block is complete: check it and attach it to the step, with the
 * command a student could type and its goals shown in the text. */
static int
finish_run(struct parser *p)
{
	struct md_step *s = p->cur;
	struct md_run *r;
	struct md_block *b;
	struct md_buf shown = {0};
	char why[240];
	int line;

	if (s == &p->l->intro)
		return fail(p, p->code_line, "run block before the first step (## heading)");
	if (s->nrun >= MAX_RUNS)
		return fail(p, p->code_line, "more than %d run blocks in step \"%s\"", MAX_RUNS,
		            s->title);
	if (md_run_parse(p->codebuf.s ? p->codebuf.s : "", p->code_line, p->ok, p->ctx, &r,
	                 why, sizeof why, &line) < 0)
		return fail(p, line, "%s", why);
	s->runs = md_grow(s->runs, s->nrun, sizeof *s->runs);
	s->runs[s->nrun++] = r;
	r->step = (int)(s - p->l->step);
	if (!s->run)
		s->run = r;
	/* What a person would type: python3 runs a python block's file. */
	if (r->python)
		md_buf_add(&shown, "$ python3", 9);
	else
		md_buf_add(&shown, "$ racelab-", 10);
	for (int i = r->python; i < r->argc; i++) {
		if (i)
			md_buf_add(&shown, " ", 1);
		md_buf_add(&shown, r->argv[i], strlen(r->argv[i]));
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
	s->quiz = md_xstrndup(t, n);
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

/* The exercise block is complete: at most one per step, shown as its
 * task and the keys that work on it. */
static int
finish_exercise(struct parser *p)
{
	struct md_step *s = p->cur;
	struct md_exercise *x;
	struct md_block *b;
	char why[240], head[64];
	int line;

	if (s == &p->l->intro)
		return fail(p, p->code_line, "exercise block before the first step (## heading)");
	if (s->ex)
		return fail(p, p->code_line, "a second exercise block in step \"%s\"", s->title);
	if (md_exercise_parse(p->codebuf.s ? p->codebuf.s : "", p->code_line, &x, why,
	                      sizeof why, &line) < 0)
		return fail(p, line, "%s", why);
	x->step = (int)(s - p->l->step);
	s->ex = x;
	b = new_block(p, MD_K_EXERCISE);
	snprintf(head, sizeof head, "Exercise %s: ", x->name);
	add_span(b, MDL_QUIZ | MDL_BOLD, head, strlen(head));
	add_span(b, MDL_QUIZ, x->task, strlen(x->task));
	b = new_block(p, MD_K_PARA);
	{
		static const char keys[] = "e: write it (your copy, in $EDITOR), then the check;"
		                           " h: a hint; f: replay a failing interleaving;"
		                           " E: check on every save";

		add_span(b, MDL_DIM, keys, sizeof keys - 1);
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
		if (w == 8 && strncmp(d->info.text, "exercise", 8) == 0) {
			p->codek = CODE_EXERCISE;
			return check_fence(p, d, "exercise");
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
			p->l->title = md_xstrndup(p->head.s, p->head.len);
			p->in_title = false;
		} else if (p->in_steptitle) {
			p->cur->title = md_xstrndup(p->head.s ? p->head.s : "", p->head.len);
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
		if (k == CODE_EXERCISE)
			return finish_exercise(p);
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
	if (p->codek == CODE_RUN || p->codek == CODE_QUIZ || p->codek == CODE_EXERCISE) {
		md_buf_add(&p->codebuf, t, n);
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
		md_buf_add(&p->head, t, n);
		return 0;
	}
	if (p->in_steptitle)
		md_buf_add(&p->head, t, n);
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
	if (l->error_line) {
		/* A broken lesson keeps its message only, so nothing half-built
		 * (a title, the steps before the error) can be shown or run. */
		char msg[sizeof l->error];
		int line = l->error_line;

		memcpy(msg, l->error, sizeof msg);
		md_lesson_free(l);
		memcpy(l->error, msg, sizeof msg);
		l->error_line = line;
		return -1;
	}
	return 0;
}

