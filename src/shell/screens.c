// The screens, as one table the loop walks, and the two small ones: the
// `?` overlay and the notice shown while the terminal is below the minimum.
#include "shell/shell.h"

#include <stdio.h>

const struct screen *const shell_screens[SCREEN_COUNT] = {
	[SCREEN_CATALOG] = &screen_catalog,
	[SCREEN_LESSON] = &screen_lesson,
	[SCREEN_HELP] = &screen_help,
	[SCREEN_SMALL] = &screen_small,
};

/* ---- help: the keys, over whatever screen is open ---------------------- */

static struct ui_win help_win;

static const char *const help_lines[] = {
	"racelab keys",
	"",
	"Catalog",
	"  Up/Down, j/k    select a lesson",
	"  Enter           open it",
	"  q               quit",
	"",
	"Lesson",
	"  Right/n Left/p  next / previous step",
	"  Enter or r      run the step's demo",
	"  c               choose the next demo of the step",
	"  R               run it 20 times into the histogram",
	"  Space           freeze / thaw the demo (SIGSTOP/SIGCONT)",
	"  s               step mode on/off (this demo and the next)",
	"  1-9             advance worker N one step (starts the demo)",
	"  a / g           each worker one step / let them all go",
	"  u               undo: restart and replay all but the last step",
	"  w               save the schedule as a replayable command, and the",
	"                  run as a trace (Perfetto; racelab --replay FILE)",
	"  P               projector layout: big counters, two or three",
	"                  panels, high contrast; P again shows all",
	"  o               open the source at the place the text names",
	"                  (a place shown as race.c: update(), marked in the source)",
	"  l               cycle the sync method for the next run",
	"  + / -           more / fewer workers for the next run",
	"  k               kill the selected worker (SIGKILL)",
	"  e               exercise: edit your copy ($EDITOR), then check it",
	"  h / E           exercise: next hint / check again on every save",
	"  f               exercise: replay the failing interleaving, a step per f",
	"  x               stop the demo",
	"  Tab, Up/Down    next panel, select / scroll in it",
	"  PgUp/PgDn       scroll the text, or the focused Output panel",
	"  q or Esc        back to the catalog",
	"",
	"Anywhere: ? help, Ctrl-L repaint, Ctrl-C quit",
	"",
	"Press any key to close.",
};

static int
enter_nothing(struct shell_ctx *c, const struct shell_action *a)
{
	(void)c;
	(void)a;
	return 0;
}

static void
help_leave(struct shell_ctx *c)
{
	(void)c;
	ui_drop(&help_win);
}

static void
help_layout(struct shell_ctx *c)
{
	int n = (int)(sizeof help_lines / sizeof help_lines[0]);
	int h = n + 2 < LINES - 2 ? n + 2 : LINES - 2;
	int w = 64 < COLS - 4 ? 64 : COLS - 4;

	ui_drop(&help_win);
	if (c->too_small)
		return;
	ui_place(&help_win, h, w, (LINES - h) / 2, (COLS - w) / 2);
}

static bool
help_draw(struct shell_ctx *c, bool full)
{
	WINDOW *w = help_win.w;
	int h, wd, n = (int)(sizeof help_lines / sizeof help_lines[0]);

	(void)c;
	if (!w)
		return false;
	/* The screen below may lay itself out again while drawing (a panel
	 * appears when the demo makes a lock): its new windows must not hide
	 * the overlay. */
	top_panel(help_win.p);
	if (!full)
		return false;
	getmaxyx(w, h, wd);
	werase(w);
	term_frame(w, help_lines[0], true);
	for (int i = 1; i < n && i < h - 1; i++)
		term_put(w, i, 2, wd - 4,
		         help_lines[i][0] && help_lines[i][0] != ' ' ? term_attr(COL_TITLE)
		                                                    : A_NORMAL,
		         help_lines[i]);
	return true;
}

/* Any key or click closes the overlay. */
static int
help_key(struct shell_ctx *c, int key, struct shell_action *act)
{
	(void)c;
	(void)key;
	act->act = ACT_CLOSE;
	return SH_REDRAW;
}

static int
help_click(struct shell_ctx *c, const MEVENT *ev, struct shell_action *act)
{
	(void)ev;
	return help_key(c, 0, act);
}

const struct screen screen_help = {
	.name = "help",
	.overlay = true,
	.enter = enter_nothing,
	.leave = help_leave,
	.layout = help_layout,
	.draw = help_draw,
	.key = help_key,
	.click = help_click,
};

/* ---- too small: what size is needed; goes when the terminal grows ------ */

static struct ui_win small_win;

static void
small_layout(struct shell_ctx *c)
{
	(void)c;
	ui_drop(&small_win);
	ui_place(&small_win, LINES, COLS, 0, 0);
}

static void
small_leave(struct shell_ctx *c)
{
	(void)c;
	ui_drop(&small_win);
}

static bool
small_draw(struct shell_ctx *c, bool full)
{
	WINDOW *w = small_win.w;
	char msg[128];

	if (!w || !full)
		return false;
	werase(w);
	snprintf(msg, sizeof msg, "racelab needs at least %dx%d (now %dx%d)",
	         c->min_cols, c->min_lines, COLS, LINES);
	term_put(w, LINES / 2 - 1, 0, COLS, term_attr(COL_WARN), msg);
	term_put(w, LINES / 2 + 1, 0, COLS, A_NORMAL, "enlarge the terminal, or q to quit");
	if (c->in_lesson && !shell_cfg.projector && COLS >= PROJ_MIN_COLS &&
	    LINES >= PROJ_MIN_LINES)
		term_put(w, LINES / 2 + 2, 0, COLS, A_NORMAL,
		         "or P: the projector layout, which fits");
	return true;
}

static int
small_key(struct shell_ctx *c, int key, struct shell_action *act)
{
	(void)act;
	if (key == 'P' && c->in_lesson) { /* as in the lesson view */
		shell_cfg.projector = !shell_cfg.projector;
		term_palette(shell_cfg.projector);
		return SH_RESIZE;
	}
	return key == 'q' || key == SH_CTRL('c') ? SH_QUIT : 0;
}

static int
small_click(struct shell_ctx *c, const MEVENT *ev, struct shell_action *act)
{
	(void)c;
	(void)ev;
	(void)act;
	return 0;
}

const struct screen screen_small = {
	.name = "too small",
	.overlay = true,
	.enter = enter_nothing,
	.leave = small_leave,
	.layout = small_layout,
	.draw = small_draw,
	.key = small_key,
	.click = small_click,
};
