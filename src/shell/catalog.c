// The catalog: the lessons found on disk, and the screen that lists them.
//
// Lessons are the directories NN-slug holding a lesson.md, in each
// directory of a search path (main.c); a slug found earlier in the path
// wins.  The program for a slug is racelab-<slug> next to the lesson.md,
// else in <bin>.  A lesson whose lesson.md is
// broken stays in the list, marked, with its file:line error as preview.
#include "shell/shell.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ui_win title_win, list_win, prev_win, status_win;
static struct panel_view list_view;
static int row_entry[512]; /* the lesson drawn on each row of the list */

static int
by_number(const void *a, const void *b)
{
	const struct catalog_entry *x = a, *y = b;

	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	/* Of two lessons with one number, the earlier directory's first:
	 * "racelab 6" opens the course's lesson 6, not the installed one. */
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->slug, y->slug);
}

/* One directory of the search path: its NN-slug lessons, except a slug an
 * earlier directory already gave (entries [0, shadow) of the catalog). */
static int
load_dir(struct catalog *c, const char *path, const char *bin_dir, int shadow, int rank)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		struct catalog_entry *e;
		struct demo_where where;
		char *end;
		long num = strtol(de->d_name, &end, 10);
		bool seen = false;

		if (end == de->d_name || *end != '-' || !md_slug_valid(end + 1) ||
		    strlen(end + 1) >= sizeof e->slug)
			continue;
		for (int i = 0; i < shadow && !seen; i++)
			seen = strcmp(c->e[i].slug, end + 1) == 0;
		if (seen)
			continue;
		c->e = realloc(c->e, (size_t)(c->n + 1) * sizeof *c->e);
		if (!c->e)
			shell_oom();
		e = &c->e[c->n];
		memset(e, 0, sizeof *e);
		e->number = (int)num;
		e->rank = rank;
		snprintf(e->slug, sizeof e->slug, "%s", end + 1);
		if ((size_t)snprintf(e->dir, sizeof e->dir, "%s/%s", path, de->d_name) >=
		            sizeof e->dir ||
		    (size_t)snprintf(e->path, sizeof e->path, "%s/lesson.md", e->dir) >=
		            sizeof e->path ||
		    access(e->path, F_OK) < 0)
			continue; /* a directory without a lesson.md is not a lesson */
		snprintf(e->from, sizeof e->from, "%s", path);
		where = (struct demo_where){.lesson_dir = e->dir, .bin_dir = bin_dir};
		e->ok = md_lesson_load(&e->doc, e->path, demo_prog_ok, &where) == 0;
		c->n++;
	}
	closedir(d);
	return 0;
}

int
catalog_load(struct catalog *c, const char *path, const char *bin_dir)
{
	int found = -1, rank = 0;

	/* Directory by directory, so an earlier one's slug wins. */
	for (const char *p = path; p;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char dir[PATH_MAX];

		if (len > 0 && len < sizeof dir) {
			memcpy(dir, p, len);
			dir[len] = '\0';
			if (load_dir(c, dir, bin_dir, c->n, rank++) == 0)
				found = 0;
		}
		p = colon ? colon + 1 : NULL;
	}
	qsort(c->e, (size_t)c->n, sizeof *c->e, by_number);
	return found;
}

void
catalog_free(struct catalog *c)
{
	for (int i = 0; i < c->n; i++)
		md_lesson_free(&c->e[i].doc);
	free(c->e);
	memset(c, 0, sizeof *c);
}

int
catalog_find(const struct catalog *c, const char *name)
{
	char *end;
	long num = strtol(name, &end, 10);

	for (int i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->e[i];

		if ((*end == '\0' && end != name && e->number == num) ||
		    strcmp(e->slug, name) == 0)
			return i;
	}
	return -1;
}

void
catalog_print(const struct catalog *c, const char *dir, FILE *f)
{
	if (c->n == 0)
		fprintf(f, "no lessons in %s\n", dir);
	for (int i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->e[i];

		if (e->ok)
			fprintf(f, "%02d  %-12s %s (%d step%s)  [%s]\n", e->number, e->slug,
			        e->doc.title, e->doc.nstep, e->doc.nstep == 1 ? "" : "s", e->from);
		else
			fprintf(f, "%02d  %-12s BROKEN: %s\n", e->number, e->slug,
			        e->doc.error);
	}
}

/* "3/5" steps seen, or a row of marks when they fit. */
static void
seen_marks(const struct shell_ctx *c, const struct catalog_entry *e, char *buf, size_t n)
{
	uint64_t m = progress_mask(e->slug);
	int steps = e->doc.nstep, seen = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < steps && i < 64; i++)
		seen += (m >> i) & 1;
	if (steps > 8 || n < 40) {
		snprintf(buf, n, "%d/%d", seen, steps);
		return;
	}
	for (int i = 0; i < steps; i++) {
		const char *mark = (m >> i) & 1 ? (c->cfg->ascii ? "*" : "\u25cf")
		                                : (c->cfg->ascii ? "." : "\u25cb");

		used += (size_t)snprintf(buf + used, n - used, "%s", mark);
	}
}

/* A lesson's line in the list, its progress marks, and the columns its
 * text may take in a list wd wide. */
static int
entry_text(const struct shell_ctx *c, const struct catalog_entry *e, int wd, char *text,
           size_t tn, char *marks, size_t mn)
{
	int mw;

	marks[0] = '\0';
	if (e->ok) {
		seen_marks(c, e, marks, mn);
		snprintf(text, tn, "%02d %s", e->number, e->doc.title);
	} else {
		snprintf(text, tn, "%02d %s  [broken]", e->number, e->slug);
	}
	mw = md_strwidth(marks);
	return wd - 4 - (mw ? mw + 1 : 0);
}

/* Rows a lesson takes in the list (its title wrapped). */
static int
entry_rows(const struct shell_ctx *c, const struct catalog_entry *e, int wd)
{
	char marks[80], text[300];
	int tw = entry_text(c, e, wd, text, sizeof text, marks, sizeof marks);

	return layout_wrap(text, tw, 3, NULL, 0);
}

static void
catalog_layout(struct shell_ctx *c)
{
	int lw;

	ui_drop(&title_win);
	ui_drop(&list_win);
	ui_drop(&prev_win);
	ui_drop(&status_win);
	if (c->too_small)
		return;
	lw = COLS * 2 / 5;
	if (lw < 36)
		lw = 36;
	ui_place(&title_win, 1, COLS, 0, 0);
	ui_place(&list_win, LINES - 2, lw, 1, 0);
	ui_place(&prev_win, LINES - 2, COLS - lw, 1, lw);
	ui_place(&status_win, 1, COLS, LINES - 1, 0);
}

static void
draw_preview(const struct shell_ctx *c, WINDOW *w, const struct catalog_entry *e)
{
	int h, wd, y = 1;
	const char *warn = progress_warning();

	getmaxyx(w, h, wd);
	term_frame(w, "Preview", false);
	if (warn)
		y += term_printf(w, y, 2, wd - 4, term_attr(COL_WARN), "! %s", warn) ? 1 : 0;
	if (!e) {
		term_printf(w, y, 2, wd - 4, A_NORMAL, "No lessons found in %s",
		            c->cfg->lessons_dir);
		return;
	}
	if (!e->ok) {
		struct md_block b = {.kind = MD_K_PARA};
		struct md_span sp = {.attr = 0, .text = (char *)e->doc.error};
		struct md_step s = {.block = &b, .nblock = 1};
		struct md_text t;

		term_printf(w, y++, 2, wd - 4, term_attr(COL_WARN), "lesson %02d-%s is broken:",
		            e->number, e->slug);
		b.span = &sp;
		b.nspan = 1;
		md_wrap(&s, wd - 4, &t);
		for (int i = 0; i < t.nline && y < h - 1; i++, y++)
			for (int j = 0, x = 2; j < t.line[i].nseg; j++)
				x += term_put(w, y, x, wd - 2 - x, term_attr(COL_WARN),
				              t.line[i].seg[j].text);
		md_text_free(&t);
		term_put(w, y + 1, 2, wd - 4, A_NORMAL, "The other lessons still work.");
		return;
	}
	term_put(w, y++, 2, wd - 4, term_attr(COL_TITLE), e->doc.title);
	y++;
	{
		struct md_text t;
		uint64_t m = progress_mask(e->slug);
		int room = h - 2 - y - (e->doc.nstep + 2);

		if (room < 3)
			room = 3;
		md_wrap(&e->doc.intro, wd - 4, &t);
		for (int i = 0; i < t.nline && i < room && y < h - 1; i++, y++)
			for (int j = 0, x = 2 + t.line[i].indent; j < t.line[i].nseg; j++)
				x += term_put(w, y, x, wd - 2 - x,
				              t.line[i].seg[j].attr & MDL_BOLD ? A_BOLD : A_NORMAL,
				              t.line[i].seg[j].text);
		if (t.nline) /* a blank line before the steps */
			y++;
		md_text_free(&t);
		term_printf(w, y++, 2, wd - 4, A_BOLD, "%d step%s:", e->doc.nstep,
		            e->doc.nstep == 1 ? "" : "s");
		for (int i = 0; i < e->doc.nstep && y < h - 1; i++, y++)
			term_printf(w, y, 2, wd - 4, (m >> i) & 1 ? A_NORMAL : term_attr(COL_DIM),
			            "%s %d. %s", (m >> i) & 1 ? (c->cfg->ascii ? "*" : "\u2713") : " ",
			            i + 1, e->doc.step[i].title ? e->doc.step[i].title : "");
	}
}

static bool
catalog_draw(struct shell_ctx *ctx, bool full)
{
	struct catalog *c = ctx->cat;
	WINDOW *w = list_win.w;
	int h, wd, rows;

	if (!w || !full) /* nothing here moves on its own */
		return false;
	werase(title_win.w);
	wbkgdset(title_win.w, ' ' | term_attr(COL_BAR));
	werase(title_win.w);
	term_printf(title_win.w, 0, 1, COLS - 2, term_attr(COL_BAR) | A_BOLD,
	            "racelab %s  -  a hands-on lab for concurrency", VERSION);
	wbkgdset(title_win.w, ' ');

	werase(w);
	getmaxyx(w, h, wd);
	term_frame(w, "Lessons", true);
	rows = h - 2;
	/* A title too long for the list wraps under itself: every lesson
	 * takes the rows its title needs, and the list scrolls by lesson. */
	if (c->sel < list_view.top)
		list_view.top = c->sel;
	for (;;) {
		int used = 0;

		for (int i = list_view.top; i <= c->sel && i < c->n; i++)
			used += entry_rows(ctx, &c->e[i], wd);
		if (used <= rows || list_view.top >= c->sel)
			break;
		list_view.top++;
	}
	memset(row_entry, -1, sizeof row_entry);
	for (int i = list_view.top, y = 1; i < c->n && y <= rows; i++) {
		const struct catalog_entry *e = &c->e[i];
		attr_t a = i == c->sel ? term_attr(COL_SEL) : A_NORMAL;
		char marks[80], text[300];
		struct layout_row r[8];
		int mw, tw, n;

		tw = entry_text(ctx, e, wd, text, sizeof text, marks, sizeof marks);
		mw = md_strwidth(marks);
		if (!e->ok)
			a |= term_attr(COL_WARN);
		n = layout_wrap(text, tw, 3, r, 8);
		for (int k = 0; k < n && k < 8 && y <= rows; k++, y++) {
			char piece[300];

			if (i == c->sel)
				mvwhline(w, y, 1, ' ' | a, wd - 2);
			snprintf(piece, sizeof piece, "%.*s", r[k].len, text + r[k].off);
			term_put(w, y, k ? 5 : 2, tw - (k ? 3 : 0), a, piece);
			if (k == 0 && mw)
				term_put(w, y, wd - 2 - mw, mw, a, marks);
			if (y < (int)(sizeof row_entry / sizeof row_entry[0]))
				row_entry[y] = i;
		}
	}
	werase(prev_win.w);
	draw_preview(ctx, prev_win.w, c->n ? &c->e[c->sel] : NULL);
	shell_status(ctx, status_win.w, "Up/Down select  Enter open  ? help  q quit");
	return true;
}

/* Enter on a lesson: the loop opens it (where the user left off). */
static void
open_selected(struct shell_ctx *ctx, struct shell_action *act)
{
	const struct catalog *c = ctx->cat;
	const struct catalog_entry *e;

	if (c->n == 0)
		return;
	e = &c->e[c->sel];
	if (!e->ok) {
		shell_note(ctx, COL_WARN, "%s", e->doc.error);
		return;
	}
	act->act = ACT_GO;
	act->to = SCREEN_LESSON;
	act->lesson = c->sel;
	act->step = -1;
}

static int
catalog_key(struct shell_ctx *ctx, int key, struct shell_action *act)
{
	struct catalog *c = ctx->cat;

	switch (key) {
	case 'q':
	case SH_CTRL('c'):
		return SH_QUIT;
	case 'k':
	case SHK(KEY_UP):
		if (c->sel > 0)
			c->sel--;
		return SH_REDRAW;
	case 'j':
	case SHK(KEY_DOWN):
		if (c->sel + 1 < c->n)
			c->sel++;
		return SH_REDRAW;
	case SHK(KEY_HOME):
	case 'g':
		c->sel = 0;
		return SH_REDRAW;
	case SHK(KEY_END):
	case 'G':
		c->sel = c->n > 0 ? c->n - 1 : 0;
		return SH_REDRAW;
	case '\r':
	case '\n':
	case SHK(KEY_ENTER):
	case SHK(KEY_RIGHT):
	case 'l':
		open_selected(ctx, act);
		return SH_REDRAW;
	default:
		if (key >= '1' && key <= '9') {
			char num[4] = {(char)key, 0};
			int i = catalog_find(c, num);

			if (i >= 0)
				c->sel = i;
			return SH_REDRAW;
		}
		return 0;
	}
}

static int
catalog_click(struct shell_ctx *ctx, const MEVENT *ev, struct shell_action *act)
{
	int ly, lx;

	if (ev->bstate & BUTTON4_PRESSED)
		return catalog_key(ctx, SHK(KEY_UP), act);
	if (ev->bstate & BUTTON5_PRESSED)
		return catalog_key(ctx, SHK(KEY_DOWN), act);
	if (!(ev->bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) || !list_win.w)
		return 0;
	getbegyx(list_win.w, ly, lx);
	if (wenclose(list_win.w, ev->y, ev->x)) {
		int ry = ev->y - ly, row = ry >= 0 && ry < (int)(sizeof row_entry / sizeof row_entry[0])
		                          ? row_entry[ry] : -1;

		(void)lx;
		if (row >= 0 && row < ctx->cat->n) {
			if (row == ctx->cat->sel)
				open_selected(ctx, act);
			ctx->cat->sel = row;
		}
	}
	return SH_REDRAW;
}

/* Back from a lesson: select the lesson left. */
static int
catalog_enter(struct shell_ctx *ctx, const struct shell_action *a)
{
	if (a->lesson >= 0 && a->lesson < ctx->cat->n)
		ctx->cat->sel = a->lesson;
	return 0;
}

static void
catalog_leave(struct shell_ctx *ctx)
{
	(void)ctx;
	ui_drop(&title_win);
	ui_drop(&list_win);
	ui_drop(&prev_win);
	ui_drop(&status_win);
}

const struct screen screen_catalog = {
	.name = "catalog",
	.enter = catalog_enter,
	.leave = catalog_leave,
	.layout = catalog_layout,
	.draw = catalog_draw,
	.key = catalog_key,
	.click = catalog_click,
};
