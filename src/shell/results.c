// The step's results area: what the learner predicted, what the run
// measured, the verdict; any module with something to say about the run
// adds its lines each frame (results_add), the lesson view sizes the area
// to them and draws them wrapped, never cut.
#include "shell/shell.h"

#include <stdarg.h>
#include <string.h>

enum { RESULTS_MAX = 24, RESULTS_LEN = 480 };

static struct {
	struct {
		enum shell_color color;
		int label_len; /* bytes of "Label: " at the start of text */
		char text[RESULTS_LEN];
	} line[RESULTS_MAX];
	int n;
} res;

void
results_begin(void)
{
	res.n = 0;
}

void
results_add(enum shell_color c, const char *label, const char *fmt, ...)
{
	va_list ap;
	int used;

	if (res.n >= RESULTS_MAX)
		return;
	used = snprintf(res.line[res.n].text, RESULTS_LEN, "%s: ", label);
	if (used < 0 || used >= RESULTS_LEN)
		used = 0;
	res.line[res.n].label_len = used;
	va_start(ap, fmt);
	vsnprintf(res.line[res.n].text + used, (size_t)(RESULTS_LEN - used), fmt, ap);
	va_end(ap);
	res.line[res.n].color = c;
	res.n++;
}

int
results_count(void)
{
	return res.n;
}

/* Continuation rows are indented under the text, past a short label. */
static int
hang(int i, int width)
{
	int h = res.line[i].label_len;

	return h > width / 3 ? 2 : h;
}

int
results_rows(int width)
{
	int rows = 0;

	for (int i = 0; i < res.n; i++)
		rows += layout_wrap(res.line[i].text, width, hang(i, width), NULL, 0);
	return rows;
}

void
results_draw(WINDOW *w)
{
	int h, wd, y = 1;

	getmaxyx(w, h, wd);
	for (int i = 0; i < res.n && y < h - 1; i++) {
		struct layout_row r[32];
		const char *t = res.line[i].text;
		int in = hang(i, wd - 4), n = layout_wrap(t, wd - 4, in, r, 32);

		for (int k = 0; k < n && k < 32 && y < h - 1; k++, y++) {
			int x = k ? 2 + in : 2, lab = k ? 0 : res.line[i].label_len;
			char buf[RESULTS_LEN];

			if (lab > r[k].len)
				lab = r[k].len;
			if (lab) {
				snprintf(buf, sizeof buf, "%.*s", lab, t + r[k].off);
				x += term_put(w, y, x, wd - 2 - x, term_attr(COL_FOCUS), buf);
			}
			snprintf(buf, sizeof buf, "%.*s", r[k].len - lab, t + r[k].off + lab);
			term_put(w, y, x, wd - 2 - x, term_attr(res.line[i].color) | A_BOLD, buf);
		}
	}
}
