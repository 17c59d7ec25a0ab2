// The lesson view: a step's text beside the live panels of its demo.
//
// The text is the step's section of lesson.md, wrapped to the window; the
// panels are the ones its run block asks for (or a default set), stacked in
// the right-hand column.  With --run there is no text: panels take it all.
#include "shell/shell.h"
#include "lesson/watch_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct {
	int idx;                  /* catalog index; -1 for --run */
	struct md_lesson run_doc; /* the one-step lesson --run makes */
	const struct md_lesson *doc;
	const char *slug;
	int step;
	int run;                  /* which of the step's run blocks Enter runs */
	int ref;                  /* the DOC: reference o showed last */
	struct md_text text;
	int text_w, text_top, text_rows;
	unsigned shown;             /* panels laid out (mask) */
	int order[MD_PANEL_COUNT];  /* laid out, top to bottom */
	int nvis;
	int focus;                  /* index into order */
	/* Tab or a click chose the focused panel since the step began: only
	 * then does it take PgUp/PgDn from the lesson text. */
	bool focus_chosen;
	struct panel_view view[MD_PANEL_COUNT];
	struct ui_win title, body, pan[MD_PANEL_COUNT], status;
	/* The layout: the panel column's size and each panel's height (0:
	 * not shown), and the results area under the text. */
	int col_w, col_h, height[MD_PANEL_COUNT];
	struct ui_win results;
	int res_w, res_col, res_h;
	/* The projector layout (P): the line that says what it hides, and
	 * the panels it hides (shown by the usual layout, not by it). */
	struct ui_win hidden;
	unsigned proj_hidden;
	/* The quiz asked before the step's demo runs ("predict, then run"). */
	bool quiz_open, quiz_asked;
	int quiz_runs;  /* the run() the answer lets go */
	char quiz_in[24];
	struct ui_win quiz;
	/* Dirty tracking: what each panel showed when it was last drawn. */
	unsigned layouts, drawn_layouts; /* lesson_layout calls, at the last frame */
	uint64_t drawn_all; /* panel_gen(-1), everything, at the last frame */
	unsigned msg_noted; /* the demo's msg_gen last put in the status bar */
	uint64_t drawn_gen[MD_PANEL_COUNT];
	uint64_t drawn_status; /* demo_status_key when the title was drawn */
} lv = {.idx = -1};

static const char *const syncs[] = {"none", "mutex", "spin", "atomic"};

static const struct md_step *cur_step(void);

static const struct md_run *
cur_run(void)
{
	const struct md_step *s = cur_step();

	if (!s || lv.run < 0 || lv.run >= s->nrun)
		return NULL;
	return s->runs[lv.run];
}

/* Is the next run a program of the learner's, run by racelab-watch? */
static bool
watched(const struct shell_ctx *c)
{
	return c->demo->argc && md_watch_is(c->demo->argv[0]);
}

/* The directory of the lesson shown (for its program's source). */
static void
lesson_dir(const struct shell_ctx *c, char *buf, size_t n)
{
	int idx = lv.idx;
	char *slash;

	if (idx < 0 && lv.doc && lv.doc->nstep && lv.doc->step[0].run)
		idx = catalog_find(c->cat, lv.doc->step[0].run->argv[0]);
	if (idx < 0) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, n, "%s", c->cat->e[idx].path);
	if ((slash = strrchr(buf, '/')))
		*slash = '\0';
}

/* Make run block i of the step the one Enter runs. */
static void
select_run(struct shell_ctx *c, int i)
{
	const struct md_run *r;
	char dir[PATH_MAX];

	lv.run = i;
	r = cur_run();
	if (r)
		demo_set_argv(c->demo, r->argv, r->argc);
	else
		demo_set_argv(c->demo, NULL, 0);
	lesson_dir(c, dir, sizeof dir);
	snprintf(c->demo->lesson_dir, sizeof c->demo->lesson_dir, "%s", dir);
	step_attach(r, dir);
}

static const struct md_step *
cur_step(void)
{
	if (!lv.doc || lv.step < 0 || lv.step >= lv.doc->nstep)
		return NULL;
	return &lv.doc->step[lv.step];
}

/* Which panels to show now: the step's list, or a default that grows with
 * what the demo has (locks, repeated runs). */
static unsigned
wanted_panels(const struct demo *d)
{
	const struct md_run *r = cur_run();
	unsigned m;

	if (r && r->panels)
		m = r->panels;
	else if (d->argc && md_watch_is(d->argv[0])) {
		/* A watched program has no counters; in step mode its lanes
		 * all read "at gate": the rows go to the step and source. */
		m = 1u << MD_PANEL_PROCS | 1u << MD_PANEL_OUTPUT;
		if (!panel_source_wanted(d))
			m |= 1u << MD_PANEL_TIMELINE;
		if (d->board && atomic_load(&d->board->nlocks) > 0)
			m |= 1u << MD_PANEL_LOCKS;
	} else {
		m = 1u << MD_PANEL_PROCS | 1u << MD_PANEL_COUNTERS |
		    1u << MD_PANEL_TIMELINE | 1u << MD_PANEL_OUTPUT;
		if (d->board && atomic_load(&d->board->nlocks) > 0)
			m |= 1u << MD_PANEL_LOCKS;
	}
	if (d->board && (d->runs > 1 || atomic_load(&d->board->nresults) > 1))
		m |= 1u << MD_PANEL_HISTOGRAM;
	if (step_panel_wanted(d))
		m |= 1u << MD_PANEL_STEP;
	if (panel_source_wanted(d))
		m |= 1u << MD_PANEL_SOURCE;
	return m;
}

static void
set_step(struct shell_ctx *c, int step)
{
	if (!lv.doc)
		return;
	if (step >= lv.doc->nstep)
		step = lv.doc->nstep - 1;
	if (step < 0)
		step = 0;
	if (step != lv.step && demo_running(c->demo))
		demo_stop(c->demo);
	lv.step = step;
	lv.text_top = 0;
	lv.focus_chosen = false;
	md_text_free(&lv.text);
	lv.text_w = 0;
	lv.quiz_open = lv.quiz_asked = false;
	step_quiz_set(NULL, 0);
	step_show_ref(NULL, NULL, 0); /* a new step: no reference shown */
	lv.ref = -1;
	select_run(c, 0);
	exercise_attach(c, cur_step() ? cur_step()->ex : NULL);
	if (lv.slug) {
		progress_seen(lv.slug, step);
		progress_set_last(lv.slug, step);
		progress_save();
	}
}

static void
lesson_open(struct shell_ctx *c, int idx, int step)
{
	const struct catalog_entry *e;

	if (idx < 0 || idx >= c->cat->n || !c->cat->e[idx].ok)
		return; /* a broken lesson is never opened (catalog.c says why) */
	e = &c->cat->e[idx];
	lv.idx = idx;
	lv.doc = &e->doc;
	lv.slug = e->slug;
	lv.step = -1;
	lv.focus = 0;
	memset(lv.view, 0, sizeof lv.view);
	demo_forget(c->demo);
	if (step < 0) {
		char last[32];
		int ls;

		step = 0;
		if (progress_last(last, sizeof last, &ls) && strcmp(last, e->slug) == 0)
			step = ls;
	}
	set_step(c, step);
}

/* --run: a one-step lesson of the command line.  -1: a bad command, -2:
 * not a lesson program, -3: it did not start (the view stays open). */
static int
lesson_open_run(struct shell_ctx *c, const char *cmdline)
{
	struct md_lesson *l = &lv.run_doc;
	char **argv;
	int argc = md_split_argv(cmdline, &argv, DEMO_MAX_ARGS), idx;

	if (argc <= 0)
		return -1;
	if (strncmp(argv[0], "racelab-", 8) == 0)
		memmove(argv[0], argv[0] + 8, strlen(argv[0] + 8) + 1);
	idx = catalog_find(c->cat, argv[0]);
	if (!demo_prog_ok(argv[0], &(struct demo_where){idx >= 0 ? c->cat->e[idx].dir : NULL,
	                                               c->cfg->bin_dir})) {
		md_argv_free(argv);
		return -2;
	}
	memset(l, 0, sizeof *l);
	l->title = strdup(cmdline);
	l->step = calloc(1, sizeof *l->step);
	if (!l->title || !l->step)
		shell_oom();
	l->nstep = 1;
	l->step[0].title = strdup("live view");
	l->step[0].run = calloc(1, sizeof *l->step[0].run);
	if (!l->step[0].title || !l->step[0].run)
		shell_oom();
	l->step[0].run->argv = argv;
	l->step[0].run->argc = argc;
	l->step[0].runs = malloc(sizeof *l->step[0].runs);
	if (!l->step[0].runs)
		shell_oom();
	l->step[0].runs[0] = l->step[0].run;
	l->step[0].nrun = 1;
	lv.idx = -1;
	lv.doc = l;
	lv.slug = NULL;
	lv.step = -1;
	set_step(c, 0);
	step_new_run(c->demo);
	if (demo_start(c->demo, 0) < 0) {
		shell_note(c, COL_WARN, "%s", c->demo->msg);
		return -3;
	}
	return 0;
}

static void
lesson_close(struct shell_ctx *c)
{
	demo_stop(c->demo); /* the loop reaps it; no wait here */
	md_text_free(&lv.text);
	for (int i = 0; i < MD_PANEL_COUNT; i++)
		ui_drop(&lv.pan[i]);
	ui_drop(&lv.title);
	ui_drop(&lv.body);
	ui_drop(&lv.status);
	ui_drop(&lv.quiz);
	ui_drop(&lv.results);
	ui_drop(&lv.hidden);
	lv.quiz_open = false;
	step_attach(NULL, NULL);
	step_quiz_set(NULL, 0);
	exercise_leave();
	if (lv.idx < 0 && lv.doc == &lv.run_doc) {
		md_lesson_free(&lv.run_doc);
		lv.doc = NULL;
	}
}

/* A panel as this layout draws it: the projector's counters are big. */
static const struct shell_panel *
panel_of(int i)
{
	return shell_cfg.projector && i == MD_PANEL_COUNTERS ? &panel_counters_big
	                                                     : shell_panels[i];
}

/* The step's panels in priority order, the first kept longest when the
 * screen cannot hold them all: the step panel when step mode added it
 * (the student asked for it), then the panels in the order the run's
 * panels: line names them, then any others the view added (histogram),
 * in the table's order.  They still stack in the table's order.  With
 * what each would fill now at width w.  Returns how many. */
static int
panel_wants(unsigned shown, int w, int *idx, struct layout_want *pw)
{
	const struct md_run *r = cur_run();
	int order[2 * MD_PANEL_COUNT + 1], no = 0, n = 0;
	unsigned listed = r && r->panels ? r->panels : 0, seen = 0;

	if (shown & 1u << MD_PANEL_STEP && !(listed & 1u << MD_PANEL_STEP))
		order[no++] = MD_PANEL_STEP;
	/* A watched program (no panels: line) has its locks next: each one
	 * and a deadlock's sentences before more process rows or source. */
	if (!listed && shell_demo.argc && md_watch_is(shell_demo.argv[0]))
		order[no++] = MD_PANEL_LOCKS;
	for (int k = 0; listed && k < r->npanel_order; k++)
		order[no++] = r->panel_order[k];
	for (int i = 0; i < MD_PANEL_COUNT; i++)
		order[no++] = i;
	for (int k = 0; k < no; k++) {
		int i = order[k];
		const struct shell_panel *p = panel_of(i);

		if (!(shown & 1u << i) || seen & 1u << i)
			continue;
		seen |= 1u << i;
		idx[n] = i;
		pw[n].min = p->min_h;
		pw[n].want = p->want ? p->want(w - 2) + 2 : p->min_h;
		if (pw[n].want < pw[n].min)
			pw[n].want = pw[n].min;
		pw[n].weight = p->weight;
		n++;
	}
	return n;
}

/* The projector layout now: the step's first PROJ_PANELS panels by
 * priority, and the text.  Among them the counters (in big digits) come
 * first, then the step panel whenever step mode shows it (the instructor
 * asked for it); a demo that made no counters leaves them out.  idx gets
 * the panels given rows, in o's order; returns how many. */
static int
proj_plan(struct layout_proj *o, int *idx)
{
	const struct demo *d = &shell_demo;
	int all[MD_PANEL_COUNT], m = 0, n;
	struct layout_want aw[MD_PANEL_COUNT], pw[PROJ_PANELS];
	bool none = d->board && atomic_load(&d->board->ncounters) == 0 &&
	            (d->exited || atomic_load(&d->board->nactors) > 1);
	/* Narrow, in step mode, the Step panel takes the text's place: it is
	 * what the room schedules with. */
	bool text = lv.idx >= 0 && !(COLS < PROJ_WIDE && lv.shown & 1u << MD_PANEL_STEP);

	n = panel_wants(lv.shown, layout_proj_width(COLS, text), all, aw);
	for (int pass = 0; pass < 3; pass++)
		for (int k = 0; k < n && m < PROJ_PANELS; k++) {
			bool first = all[k] == MD_PANEL_COUNTERS && k < PROJ_PANELS && !none,
			     step = all[k] == MD_PANEL_STEP;

			if (pass == 0 ? first : pass == 1 ? step
			              : !first && !step && k < PROJ_PANELS &&
			                all[k] != MD_PANEL_COUNTERS) {
				idx[m] = all[k];
				pw[m++] = aw[k];
			}
		}
	return layout_projector(COLS, LINES, text, pw, m, o);
}

static void
proj_heights(int *h)
{
	struct layout_proj o;
	int idx[PROJ_PANELS], keep = proj_plan(&o, idx);

	memset(h, 0, MD_PANEL_COUNT * sizeof *h);
	for (int k = 0; k < keep; k++)
		h[idx[k]] = o.pan[k].h;
}

/* Lines of the results area (prediction, verdict, checks) at width w:
 * at most half the column, and none when nobody has anything to say. */
static int
results_height(int w, int col_h)
{
	int rows;

	results_begin();
	step_results();
	exercise_results();
	if (!results_count())
		return 0;
	rows = results_rows(w - 4) + 2;
	return rows > col_h / 2 ? col_h / 2 : rows;
}

/* The heights the panels would get now (per frame: cheap, no windows). */
static void
panel_heights(int *h)
{
	int idx[MD_PANEL_COUNT], n;
	struct layout_want pw[MD_PANEL_COUNT];

	memset(h, 0, MD_PANEL_COUNT * sizeof *h);
	n = panel_wants(lv.shown, lv.col_w, idx, pw);
	{
		int got[MD_PANEL_COUNT];

		layout_panels(pw, n, lv.col_h, got);
		for (int k = 0; k < n; k++)
			h[idx[k]] = got[k];
	}
}

/* Has what the panels or the results area would show changed enough to
 * lay them out again?  One pass of arithmetic per frame. */
static bool
layout_stale(const struct shell_ctx *c)
{
	int h[MD_PANEL_COUNT];

	if (!lv.title.w || c->too_small)
		return false;
	if (shell_cfg.projector) {
		proj_heights(h);
		return memcmp(h, lv.height, sizeof h) != 0;
	}
	if (results_height(lv.res_w, lv.res_col) != lv.res_h)
		return true;
	panel_heights(h);
	return memcmp(h, lv.height, sizeof h) != 0;
}

/* The windows of the projector layout: its panels stacked in its order,
 * the text (no results area), the line naming what it hides.  Everything
 * in bold: thin strokes wash out on a projector. */
static void
proj_place(void)
{
	struct layout_proj o;
	int idx[PROJ_PANELS], keep = proj_plan(&o, idx);
	unsigned vis = 0;

	lv.res_h = 0;
	memset(lv.height, 0, sizeof lv.height);
	for (int k = 0; k < keep; k++) {
		int i = idx[k];

		lv.height[i] = o.pan[k].h;
		lv.order[lv.nvis++] = i;
		vis |= 1u << i;
		ui_place(&lv.pan[i], o.pan[k].h, o.pan[k].w, o.pan[k].y, o.pan[k].x);
		if (lv.pan[i].w)
			wbkgdset(lv.pan[i].w, ' ' | A_BOLD);
	}
	if (o.text.h > 0) {
		ui_place(&lv.body, o.text.h, o.text.w, o.text.y, o.text.x);
		if (lv.body.w)
			wbkgdset(lv.body.w, ' ' | A_BOLD);
	}
	if (o.hidden.h > 0)
		ui_place(&lv.hidden, 1, o.hidden.w, o.hidden.y, o.hidden.x);
	lv.proj_hidden = lv.shown & ~vis;
	if (lv.idx >= 0 && o.text.h == 0)
		lv.proj_hidden |= PROJ_HIDE_TEXT;
}

static void
lesson_layout(struct shell_ctx *c)
{
	int top = 1, h = LINES - 2, x = 0, w = COLS;
	bool has_text = lv.idx >= 0;

	lv.layouts++; /* new windows: the next frame draws them all */
	for (int i = 0; i < MD_PANEL_COUNT; i++)
		ui_drop(&lv.pan[i]);
	ui_drop(&lv.title);
	ui_drop(&lv.body);
	ui_drop(&lv.status);
	ui_drop(&lv.quiz);
	ui_drop(&lv.results);
	ui_drop(&lv.hidden);
	md_text_free(&lv.text);
	lv.text_w = 0;
	lv.shown = wanted_panels(c->demo);
	lv.nvis = 0;
	if (c->too_small)
		return;
	ui_place(&lv.title, 1, COLS, 0, 0);
	ui_place(&lv.status, 1, COLS, LINES - 1, 0);
	if (shell_cfg.projector) {
		proj_place();
		goto quiz;
	}
	if (has_text) {
		int tw = COLS * 2 / 5;

		tw = tw < 34 ? 34 : tw > 72 ? 72 : tw;
		/* The results area under the text, sized to its lines. */
		lv.res_w = tw;
		lv.res_col = h;
		lv.res_h = results_height(tw, h);
		ui_place(&lv.body, h - lv.res_h, tw, top, 0);
		if (lv.res_h)
			ui_place(&lv.results, lv.res_h, tw, top + h - lv.res_h, 0);
		x = tw;
		w = COLS - tw;
	} else {
		/* --run: no text; the area tops the panels. */
		lv.res_w = COLS;
		lv.res_col = h;
		lv.res_h = results_height(COLS, h);
		if (lv.res_h)
			ui_place(&lv.results, lv.res_h, COLS, top, 0);
		top += lv.res_h;
		h -= lv.res_h;
	}
	lv.col_w = w;
	lv.col_h = h;
	/* Every panel its rows by content and priority; those that cannot
	 * have even their minimum are left out. */
	panel_heights(lv.height);
	for (int i = 0, y = top; i < MD_PANEL_COUNT; i++) {
		if (!lv.height[i])
			continue;
		lv.order[lv.nvis++] = i;
		ui_place(&lv.pan[i], lv.height[i], w, y, x);
		y += lv.height[i];
	}
quiz:
	if (lv.focus >= lv.nvis)
		lv.focus = 0;
	if (lv.quiz_open) {
		int qw = COLS - 8 < 70 ? COLS - 8 : 70, qh = 14;

		ui_place(&lv.quiz, qh, qw, (LINES - qh) / 2, (COLS - qw) / 2);
	}
}

static attr_t
text_attr(const struct shell_cfg *cfg, unsigned a)
{
	attr_t r = A_NORMAL;

	if (a & MDL_RUN)
		return term_attr(COL_RUN);
	if (a & MDL_QUIZ)
		r |= term_attr(COL_FOCUS);
	if (a & MDL_HEAD)
		r |= term_attr(COL_TITLE);
	if (a & MDL_CODE)
		r |= term_attr(COL_CODE);
	if (a & MDL_BOLD)
		r |= A_BOLD;
	if (a & MDL_EM)
		r |= cfg->color ? A_ITALIC : A_UNDERLINE;
	if (a & (MDL_LINK | MDL_REF)) /* a place in the source: o shows it */
		r |= A_UNDERLINE;
	if (a & MDL_DIM)
		r |= term_attr(COL_DIM);
	return r;
}

static void
draw_text(const struct shell_ctx *c)
{
	WINDOW *w = lv.body.w;
	const struct md_step *s = cur_step();
	char title[160];
	int h, wd;

	if (!w || !s)
		return;
	getmaxyx(w, h, wd);
	if (lv.text_w != wd - 4) {
		md_text_free(&lv.text);
		md_wrap(s, wd - 4, &lv.text);
		lv.text_w = wd - 4;
	}
	lv.text_rows = h - 2;
	if (lv.text_top > lv.text.nline - lv.text_rows)
		lv.text_top = lv.text.nline - lv.text_rows;
	if (lv.text_top < 0)
		lv.text_top = 0;
	snprintf(title, sizeof title, "Step %d/%d", lv.step + 1, lv.doc->nstep);
	term_frame(w, title, false);
	for (int i = 0; i < lv.text_rows && lv.text_top + i < lv.text.nline; i++) {
		const struct md_line *ln = &lv.text.line[lv.text_top + i];
		int x = 2 + ln->indent;

		/* The run block Enter runs is marked; the others are dim. */
		if (ln->run >= 0 && ln->run == lv.run && x >= 4 && ln->nseg &&
		    strncmp(ln->seg[0].text, "$ ", 2) == 0)
			term_put(w, 1 + i, x - 2, 1, term_attr(COL_RUN),
			         c->cfg->ascii ? ">" : "\u25b6");
		for (int j = 0; j < ln->nseg; j++)
			x += term_put(w, 1 + i, x, wd - 2 - x,
			              ln->run >= 0 && ln->run != lv.run ? term_attr(COL_DIM)
			                                                : text_attr(c->cfg, ln->seg[j].attr),
			              ln->seg[j].text);
	}
	if (lv.text.nline > lv.text_rows) {
		term_printf(w, h - 1, wd - 16, 14, term_attr(COL_DIM), " %d%% PgDn ",
		            (lv.text_top + lv.text_rows) * 100 / lv.text.nline);
	}
}

static void
draw_title(const struct shell_ctx *c)
{
	WINDOW *w = lv.title.w;
	const struct demo *d = c->demo;
	char st[96], next[400];
	size_t used = 0;
	int n;

	wbkgdset(w, ' ' | term_attr(COL_BAR));
	werase(w);
	if (d->argc) {
		char nm[64];

		/* The projector's title is read from the back of a room: the
		 * lesson program's slug, the options after it. */
		used = (size_t)snprintf(next, sizeof next, "%s", shell_cfg.projector ? d->argv[0] :
		                        demo_cmd_name(d->argv[0], nm, sizeof nm));
		for (int i = 1; i < d->argc && used < sizeof next; i++)
			used += (size_t)snprintf(next + used, sizeof next - used, " %s", d->argv[i]);
	} else {
		snprintf(next, sizeof next, "(no demo in this step)");
	}
	demo_status_text(d, st, sizeof st);
	n = md_strwidth(st) + 2;
	{
		/* Whole words: the lesson and the command when both fit, else
		 * the command (what Enter runs) before the lesson's title. */
		char full[600], fit[560];
		int room = COLS - n - 3;

		if (lv.idx >= 0)
			snprintf(full, sizeof full, "%02d %s  |  %s", c->cat->e[lv.idx].number,
			         lv.doc->title, next);
		else
			snprintf(full, sizeof full, "%s", next);
		if (md_strwidth(full) > room && lv.idx >= 0)
			snprintf(full, sizeof full, "%02d  %s", c->cat->e[lv.idx].number, next);
		if (md_strwidth(full) > room) {
			layout_words(full, room - 2, fit, sizeof fit);
			snprintf(full, sizeof full, "%s %s", fit, c->cfg->ascii ? ">" : "\u2026");
		}
		term_put(w, 0, 1, room, term_attr(COL_BAR) | A_BOLD, full);
	}
	term_put(w, 0, COLS - n, n, d->frozen ? term_attr(COL_FROZEN) : term_attr(COL_BAR) | A_BOLD, st);
	wbkgdset(w, ' ');
}

/* The quiz modal: the question, the choices, the answer being typed. */
static void
draw_quiz(void)
{
	const struct md_step *s = cur_step();
	const struct md_quiz *q = s ? &s->q : NULL;
	WINDOW *w = lv.quiz.w;
	struct md_step tmp;
	struct md_block blk;
	struct md_span span;
	struct md_text t;
	int h, wd, y = 1;

	if (!w || !q || !q->question)
		return;
	getmaxyx(w, h, wd);
	werase(w);
	term_frame(w, "Predict, then run", true);
	/* Wrap the question with the lesson text's own wrapper. */
	memset(&tmp, 0, sizeof tmp);
	memset(&blk, 0, sizeof blk);
	span.attr = MDL_BOLD;
	span.text = q->question;
	blk.kind = MD_K_PARA;
	blk.span = &span;
	blk.nspan = 1;
	blk.run = -1;
	tmp.block = &blk;
	tmp.nblock = 1;
	md_wrap(&tmp, wd - 4, &t);
	for (int i = 0; i < t.nline && y < h - 4; i++, y++)
		for (int j = 0, x = 2; j < t.line[i].nseg; j++)
			x += term_put(w, y, x, wd - 2 - x, A_BOLD, t.line[i].seg[j].text);
	md_text_free(&t);
	y++;
	for (int i = 0; i < q->nchoice && y < h - 3; i++, y++)
		term_printf(w, y, 4, wd - 6, A_NORMAL, "%d) %s", i + 1, q->choice[i]);
	if (q->nchoice)
		term_printf(w, h - 3, 2, wd - 4, term_attr(COL_FOCUS),
		            "Your choice (1-%d): %s_", q->nchoice, lv.quiz_in);
	else
		term_printf(w, h - 3, 2, wd - 4, term_attr(COL_FOCUS),
		            "Your prediction (a number): %s_", lv.quiz_in);
	term_put(w, h - 2, 2, wd - 4, term_attr(COL_DIM),
	         "Enter: record it and run the demo   Esc: cancel");
}

/* What panel i draws from, as one number that grows whenever any of it
 * changed (sums of counters that only grow): equal means unchanged. */
static uint64_t
panel_gen(const struct demo *d, int i)
{
	uint64_t run = demo_gen(d, DEMO_GEN_RUN);

	switch (i) {
	case MD_PANEL_PROCS:
		return run + demo_gen(d, DEMO_GEN_BOARD) + demo_gen(d, DEMO_GEN_PROC);
	case MD_PANEL_HISTOGRAM:
		return run + demo_gen(d, DEMO_GEN_BOARD);
	case MD_PANEL_SOURCE:
		return run + demo_gen(d, DEMO_GEN_BOARD);
	case MD_PANEL_STEP: /* and its expect: lines, judged on the records;
	                     * and /proc: a cycle of waits is said only once
	                     * the kernel has every member asleep
	                     * (deadlock_text.c), which a later sample may be
	                     * the first to see, with the board unchanged */
		return run + demo_gen(d, DEMO_GEN_BOARD) + demo_gen(d, DEMO_GEN_PROC) + step_gen() +
		       d->rec_gen;
	case MD_PANEL_COUNTERS: /* the sparkline moves with every sample */
	case MD_PANEL_LOCKS:    /* (and lock kinds grow fields: be safe) */
	case MD_PANEL_TIMELINE:
		return run + demo_gen(d, DEMO_GEN_SAMPLE);
	case MD_PANEL_OUTPUT:
		return run + demo_gen(d, DEMO_GEN_OUT);
	default: /* a panel not listed here: whenever anything moves */
		return run + demo_gen(d, DEMO_GEN_SAMPLE) + demo_gen(d, DEMO_GEN_BOARD) +
		       demo_gen(d, DEMO_GEN_PROC) + demo_gen(d, DEMO_GEN_OUT) + step_gen() +
		       d->rec_gen;
	}
}

/* Dirty tracking: only what changed since it was drawn is drawn again
 * (all of it when full: a key, a resize, a new layout); a frame where
 * nothing changed draws nothing and returns false. */
static bool
lesson_draw(struct shell_ctx *c, bool full)
{
	uint64_t status = demo_status_key(c->demo), all = panel_gen(c->demo, -1);
	bool drew = false, moved = full || all != lv.drawn_all;

	/* Sizes follow content: lay out again when the demo made a lock or
	 * more counters (looked at only when something moved). */
	if (wanted_panels(c->demo) != lv.shown || (moved && layout_stale(c)))
		lesson_layout(c);
	if (lv.layouts != lv.drawn_layouts) { /* laid out since the last frame */
		full = moved = true;
		lv.drawn_layouts = lv.layouts;
	}
	lv.drawn_all = all;
	if (!lv.title.w)
		return false;
	if (full || status != lv.drawn_status) {
		draw_title(c);
		lv.drawn_status = status;
		drew = true;
	}
	if (full && lv.body.w) {
		werase(lv.body.w);
		draw_text(c);
	}
	if (lv.results.w && moved) { /* filled by layout_stale this frame */
		werase(lv.results.w);
		term_frame(lv.results.w, "Your prediction and the run", false);
		results_draw(lv.results.w);
		drew = true;
	}
	for (int k = 0; k < lv.nvis; k++) {
		int i = lv.order[k];
		WINDOW *w = lv.pan[i].w;
		uint64_t gen = panel_gen(c->demo, i);

		if (!w || (!full && gen == lv.drawn_gen[i]))
			continue;
		werase(w);
		term_frame(w, panel_of(i)->title, k == lv.focus);
		panel_of(i)->draw(w, &lv.view[i], k == lv.focus);
		lv.drawn_gen[i] = gen;
		drew = true;
	}
	if (!full)
		return drew;
	if (lv.hidden.w) {
		char msg[256];

		werase(lv.hidden.w);
		proj_hidden(lv.proj_hidden, COLS - 2, c->cfg->ascii, msg, sizeof msg);
		term_put(lv.hidden.w, 0, 1, COLS - 2, A_BOLD, msg);
	}
	if (lv.quiz_open) {
		draw_quiz();
		shell_status(c, lv.status.w, "type your prediction  Enter record and run  Esc cancel");
		return true;
	}
	if (shell_cfg.projector) {
		shell_status(c, lv.status.w, demo_step_sticky(c->demo) ?
		             "1-9 step worker  a each  g go  s step off  P all  Enter run  u undo  q back  ? help" :
		             "Enter run  Space freeze  l sync  +/- workers  s step  k kill  P all  n/p step  x stop  q back  ? help");
		return true;
	}
	shell_status(c, lv.status.w,
	             demo_step_sticky(c->demo) ?
	             "s step off  1-9 step worker  a each  g go  u undo  q back  Enter run  w save  x stop  ? help" :
	             lv.idx >= 0 && exercise_shown() ?
	             "e edit+check  h hint  f replay  n/p step  q back  E check on save  Enter run  s step  ? help" :
	             watched(c) ? /* its own code: no --sync, no --workers */
	             "Enter run  q back  s step  R x20  Space freeze  Tab panel  k kill  ? help" :
	             lv.idx >= 0 ?
	             "Enter run  n/p step  q back  s step  R x20  Space freeze  l sync  Tab panel  +/- workers  k kill  ? help" :
	             "Enter run  q back  s step  R x20  Space freeze  l sync  Tab panel  +/- workers  k kill  ? help");
	return true;
}

static int
cycle_sync(struct shell_ctx *c)
{
	const char *cur = demo_get_opt(c->demo, "--sync");
	size_t n = sizeof syncs / sizeof syncs[0], i;

	if (c->demo->argc == 0)
		return SH_REDRAW;
	if (watched(c)) {
		shell_note(c, COL_WARN, "a watched program has no --sync: its own code decides");
		return SH_REDRAW;
	}
	if (!cur)
		cur = "none";
	for (i = 0; i < n; i++)
		if (strcmp(syncs[i], cur) == 0)
			break;
	demo_set_opt(c->demo, "--sync", syncs[(i + 1) % n]);
	shell_note(c, COL_GOOD, "next run: --sync %s (Enter runs it)", syncs[(i + 1) % n]);
	return SH_REDRAW;
}

static int
change_workers(struct shell_ctx *c, int delta)
{
	const char *cur = demo_get_opt(c->demo, "--workers");
	int n = cur ? atoi(cur) : c->demo->nact > 1 ? c->demo->nact - 1 : 2;
	char buf[16];

	if (c->demo->argc == 0)
		return SH_REDRAW;
	if (watched(c)) {
		shell_note(c, COL_WARN, "a watched program has no --workers: its own code decides");
		return SH_REDRAW;
	}
	n += delta;
	if (n < 1)
		n = 1;
	if (n > BOARD_MAX_WORKERS)
		n = BOARD_MAX_WORKERS;
	snprintf(buf, sizeof buf, "%d", n);
	demo_set_opt(c->demo, "--workers", buf);
	shell_note(c, COL_GOOD, "next run: --workers %d (Enter runs it)", n);
	return SH_REDRAW;
}

static int
run(struct shell_ctx *c, int runs)
{
	const struct md_step *s = cur_step();

	if (c->demo->argc == 0) {
		shell_note(c, COL_WARN, "this step has no demo");
		return SH_REDRAW;
	}
	/* Predict, then run: the step's quiz first, once per visit. */
	if (s && s->q.question && !lv.quiz_asked && lv.idx >= 0) {
		lv.quiz_open = true;
		lv.quiz_runs = runs;
		lv.quiz_in[0] = '\0';
		return SH_RESIZE;
	}
	step_new_run(c->demo);
	if (demo_start(c->demo, runs) < 0)
		shell_note(c, COL_WARN, "%s", c->demo->msg);
	return SH_RESIZE;
}

/* Keys while the quiz is open. */
static int
quiz_key(struct shell_ctx *c, int key)
{
	const struct md_step *s = cur_step();
	size_t n = strlen(lv.quiz_in);
	char *end;
	long long v;

	if (key == SH_ESC) {
		lv.quiz_open = false;
		shell_note(c, COL_WARN, "quiz cancelled: Enter asks it again");
		return SH_RESIZE;
	}
	if (key == SH_CTRL('c'))
		return SH_QUIT;
	if (key == SHK(KEY_BACKSPACE) || key == 127 || key == 8) {
		if (n)
			lv.quiz_in[n - 1] = '\0';
		return SH_REDRAW;
	}
	if ((key >= '0' && key <= '9') || (key == '-' && n == 0 && !s->q.nchoice)) {
		if (n + 1 < sizeof lv.quiz_in && n < 18) {
			lv.quiz_in[n] = (char)key;
			lv.quiz_in[n + 1] = '\0';
		}
		return SH_REDRAW;
	}
	if (key != '\r' && key != '\n' && key != SHK(KEY_ENTER))
		return SH_REDRAW;
	errno = 0;
	v = strtoll(lv.quiz_in, &end, 10);
	if (!n || *end || errno || (s->q.nchoice && (v < 1 || v > s->q.nchoice))) {
		if (s->q.nchoice)
			shell_note(c, COL_WARN, "type a choice from 1 to %d", s->q.nchoice);
		else
			shell_note(c, COL_WARN, "type a whole number");
		return SH_REDRAW;
	}
	lv.quiz_open = false;
	lv.quiz_asked = true;
	step_quiz_set(&s->q, v);
	if (lv.slug) {
		progress_quiz(lv.slug, lv.step, v);
		progress_save();
	}
	shell_note(c, COL_GOOD, "prediction recorded: %lld", v);
	return run(c, lv.quiz_runs) | SH_RESIZE;
}

/* o: the step's next DOC: reference, shown in the source view. */
static int
open_ref(struct shell_ctx *c)
{
	const struct md_step *s = cur_step();
	const struct md_ref *r;
	char dir[PATH_MAX];

	if (!s || s->nref == 0) {
		shell_note(c, COL_WARN, "this step names no place in the source");
		return SH_REDRAW;
	}
	lv.ref = (lv.ref + 1) % s->nref;
	r = &s->ref[lv.ref];
	lesson_dir(c, dir, sizeof dir);
	step_show_ref(dir, r->file, r->line);
	shell_note(c, COL_GOOD, "%s, line %d%s", r->where, r->line,
	           s->nref > 1 ? " (o: the next place)" : "");
	return SH_RESIZE;
}

static int
lesson_key(struct shell_ctx *c, int key, struct shell_action *act)
{
	struct demo *d = c->demo;
	int vis = lv.focus < lv.nvis ? lv.order[lv.focus] : -1;

	if (lv.quiz_open)
		return quiz_key(c, key);
	switch (key) {
	case 'q':
	case SH_ESC: /* back to the catalog, this lesson selected */
		act->act = ACT_GO;
		act->to = SCREEN_CATALOG;
		act->lesson = lv.idx;
		return SH_REDRAW;
	case SH_CTRL('c'):
		return SH_QUIT;
	case 'n':
	case SHK(KEY_RIGHT):
		if (lv.doc && lv.step + 1 < lv.doc->nstep) {
			set_step(c, lv.step + 1);
			return SH_RESIZE;
		}
		return SH_REDRAW;
	case 'p':
	case SHK(KEY_LEFT):
		if (lv.step > 0) {
			set_step(c, lv.step - 1);
			return SH_RESIZE;
		}
		return SH_REDRAW;
	case '\r':
	case '\n':
	case SHK(KEY_ENTER):
	case 'r':
		return run(c, 0);
	case 'R':
		return run(c, 20);
	case 'x':
		demo_stop(d);
		return SH_REDRAW;
	case 'c': {
		const struct md_step *st = cur_step();

		if (st && st->nrun > 1) {
			select_run(c, (lv.run + 1) % st->nrun);
			shell_note(c, COL_GOOD, "demo %d of %d in this step selected (Enter runs it)",
			           lv.run + 1, st->nrun);
			return SH_RESIZE;
		}
		shell_note(c, COL_WARN, "this step has one demo");
		return SH_REDRAW;
	}
	case ' ':
		if (!demo_running(d))
			shell_note(c, COL_WARN, "no demo running (Enter runs it)");
		demo_freeze(d, !d->frozen);
		return SH_REDRAW;
	case 'l':
		return cycle_sync(c);
	case '+':
	case '=':
		return change_workers(c, 1);
	case '-':
		return change_workers(c, -1);
	case 'k': {
		const char *msg = demo_kill_actor(d, panel_procs_selected());

		shell_note(c, COL_WARN, "%s", msg);
		return SH_REDRAW;
	}
	case 's': {
		bool on = !(demo_step_sticky(d) || (d->board &&
		            atomic_load(&d->board->control.step_mode)));

		demo_step_mode(d, on);
		shell_note(c, COL_GOOD, "step mode %s", !on ? "off" : demo_running(d) ?
		           "on: 1-9 advance worker N, a each, g go, u undo" :
		           "on: 1-9 start the demo and advance worker N");
		return SH_RESIZE;
	}
	case 'P':
		shell_cfg.projector = !shell_cfg.projector;
		term_palette(shell_cfg.projector);
		shell_note(c, COL_GOOD, "%s", shell_cfg.projector ? "projector layout (P: all panels)"
		                                                  : "all panels (P: projector layout)");
		return SH_RESIZE;
	case 'o':
		return open_ref(c);
	case 'e': /* the step's exercise: edit and check, */
	case 'E': /* check on every save, */
	case 'h': /* the next hint, */
	case 'f': /* replay the failing interleaving (exercise_view.c) */
		return exercise_key(c, key, act);
	case 'a':
		return step_all(c);
	case 'g':
		return step_go(c);
	case 'u':
		return step_undo(c);
	case 'w':
		return trace_key(c);
	case '\t':
		if (lv.nvis)
			lv.focus = (lv.focus + 1) % lv.nvis;
		lv.focus_chosen = true;
		return SH_REDRAW;
	case SHK(KEY_BTAB):
		if (lv.nvis)
			lv.focus = (lv.focus + lv.nvis - 1) % lv.nvis;
		lv.focus_chosen = true;
		return SH_REDRAW;
	case SHK(KEY_NPAGE):
	case SHK(KEY_PPAGE):
		/* A panel that pages (the output) takes them once Tab or a
		 * click chose it, or when there is no text; else they page
		 * the lesson text (a step whose first panel is the output
		 * must still read to its end). */
		if (vis >= 0 && (lv.focus_chosen || lv.idx < 0) && shell_panels[vis]->key &&
		    shell_panels[vis]->key(&lv.view[vis], key))
			return SH_REDRAW;
		if (key == SHK(KEY_PPAGE)) {
			lv.text_top -= lv.text_rows > 2 ? lv.text_rows - 2 : 1;
			return SH_REDRAW;
		}
		lv.text_top += lv.text_rows > 2 ? lv.text_rows - 2 : 1;
		return SH_REDRAW;
	default:
		if (key >= '1' && key <= '9')
			return step_grant(c, (unsigned)(key - '0'));
		if (vis >= 0 && shell_panels[vis]->key)
			return shell_panels[vis]->key(&lv.view[vis], key);
		return 0;
	}
}

static int
lesson_click(struct shell_ctx *c, const MEVENT *ev, struct shell_action *act)
{
	int y = ev->y, x = ev->x;
	bool wheel_up = (ev->bstate & BUTTON4_PRESSED) != 0,
	     wheel_down = (ev->bstate & BUTTON5_PRESSED) != 0;

	(void)c;
	(void)act;
	if (lv.body.w && wenclose(lv.body.w, y, x)) {
		if (wheel_up)
			lv.text_top -= 3;
		if (wheel_down)
			lv.text_top += 3;
		return SH_REDRAW;
	}
	for (int k = 0; k < lv.nvis; k++) {
		int i = lv.order[k], by, bx;
		WINDOW *w = lv.pan[i].w;

		if (!w || !wenclose(w, y, x))
			continue;
		getbegyx(w, by, bx);
		(void)bx;
		lv.focus = k;
		lv.focus_chosen = true;
		if (!shell_panels[i]->key)
			return SH_REDRAW;
		if (wheel_up)
			shell_panels[i]->key(&lv.view[i], SHK(KEY_UP));
		else if (wheel_down)
			shell_panels[i]->key(&lv.view[i], SHK(KEY_DOWN));
		else if (y - by - 2 >= 0) /* rows start under the border and header */
			lv.view[i].sel = lv.view[i].top + (y - by - 2);
		return SH_REDRAW;
	}
	return SH_REDRAW;
}

int
panel_procs_selected(void)
{
	return panel_procs_actor(lv.view[MD_PANEL_PROCS].sel);
}

/* The loop opens a lesson: from the catalog (a->lesson at a->step), or the
 * live view of one program (a->run). */
static int
lesson_enter(struct shell_ctx *c, const struct shell_action *a)
{
	if (a->run)
		return lesson_open_run(c, a->run);
	lesson_open(c, a->lesson, a->step);
	return 0;
}

/* Each frame: the goals, judged from the board. */
static int
lesson_tick(struct shell_ctx *c, uint64_t now)
{
	int flags = 0;

	(void)now;
	if (c->demo->msg_gen != lv.msg_noted) { /* e.g. a held-back start failed */
		lv.msg_noted = c->demo->msg_gen;
		shell_note(c, COL_WARN, "%s", c->demo->msg);
		flags = SH_REDRAW;
	}
	return flags | step_tick(c);
}

const struct screen screen_lesson = {
	.name = "lesson",
	.enter = lesson_enter,
	.leave = lesson_close,
	.layout = lesson_layout,
	.draw = lesson_draw,
	.key = lesson_key,
	.click = lesson_click,
	.tick = lesson_tick,
};
