// The live panels, as one table in the order they stack, and the scrolling
// that every table panel shares.
#include "shell/shell.h"

const struct shell_panel *const shell_panels[MD_PANEL_COUNT] = {
	[MD_PANEL_PROCS] = &panel_procs,
	[MD_PANEL_STEP] = &panel_step,
	[MD_PANEL_SOURCE] = &panel_source,
	[MD_PANEL_COUNTERS] = &panel_counters,
	[MD_PANEL_LOCKS] = &panel_locks,
	[MD_PANEL_TIMELINE] = &panel_timeline,
	[MD_PANEL_HISTOGRAM] = &panel_histogram,
	[MD_PANEL_OUTPUT] = &panel_output,
};

void
panel_clamp(struct panel_view *v, int n, int visible)
{
	if (visible < 1)
		visible = 1;
	if (v->sel >= n)
		v->sel = n - 1;
	if (v->sel < 0)
		v->sel = 0;
	if (v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + visible)
		v->top = v->sel - visible + 1;
	if (v->top > n - visible)
		v->top = n - visible;
	if (v->top < 0)
		v->top = 0;
	v->rows = visible;
}

int
panel_scroll_key(struct panel_view *v, int key, int n)
{
	int page = v->rows > 1 ? v->rows - 1 : 1;

	switch (key) {
	case SHK(KEY_UP):
		v->sel--;
		break;
	case SHK(KEY_DOWN):
		v->sel++;
		break;
	case SHK(KEY_HOME):
		v->sel = 0;
		break;
	case SHK(KEY_END):
		v->sel = n - 1;
		break;
	case '>':
		v->sel += page;
		break;
	case '<':
		v->sel -= page;
		break;
	default:
		return 0;
	}
	panel_clamp(v, n, v->rows);
	return SH_HANDLED | SH_REDRAW;
}
