// The terminal: curses setup and teardown, colours, small drawing helpers.
//
// Only this file and the screens/panels touch curses.  Colours come from one
// X-macro table (shell.h) that gives each role an attribute with colour and
// one without, so NO_COLOR keeps every state readable by its mark and its
// attribute alone.
#include "shell/shell.h"
#include "lesson/util.h"

#include <langinfo.h>
#include <signal.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static bool term_on;
static SCREEN *term_screen;
static attr_t attrs[COL_COUNT];

const char *
term_unusable(void)
{
	const char *t = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return "not a terminal (use --list for a plain-text catalog)";
	if (!t || !*t)
		return "TERM is not set";
	if (strcmp(t, "dumb") == 0)
		return "TERM=dumb cannot draw the lab (use --list for plain text)";
	return NULL;
}

static const struct {
	short fg, bg, pfg, pbg;
	attr_t a, mono, pa;
} color_tab[COL_COUNT] = {
#define X(name, fg, bg, a, mono, pfg, pbg, pa) [name] = {fg, bg, pfg, pbg, a, mono, pa},
	SHELL_COLORS(X)
#undef X
};
static bool colors_on;

/* Fill attrs[] (and the colour pairs) from the table's usual or projector
 * columns. */
void
term_palette(bool projector)
{
	for (int i = 0; i < COL_COUNT; i++) {
		short fg = projector ? color_tab[i].pfg : color_tab[i].fg;
		short bg = projector ? color_tab[i].pbg : color_tab[i].bg;

		if (!colors_on) {
			attrs[i] = color_tab[i].mono;
			if (projector) /* dim text fades on a projector */
				attrs[i] &= ~(attr_t)A_DIM;
			continue;
		}
		attrs[i] = projector ? color_tab[i].pa : color_tab[i].a;
		/* No pair where both colours are the default: the selection
		 * (reverse) is OR-ed with a state's colour, and two pairs
		 * OR-ed make a third, unset one (black on black). */
		if (i == COL_NORMAL || (fg == -1 && bg == -1))
			continue;
		init_pair((short)i, fg, bg);
		attrs[i] |= COLOR_PAIR(i);
	}
	attrs[COL_NORMAL] = A_NORMAL;
}

static void
colors_init(void)
{
	colors_on = shell_cfg.color && has_colors() && start_color() == OK;
	if (colors_on)
		use_default_colors(); /* light and dark terminals both read */
	else
		shell_cfg.color = false;
	term_palette(shell_cfg.projector);
}

int
term_init(void)
{
	const char *cs = nl_langinfo(CODESET);

	if (!cs || strcmp(cs, "UTF-8") != 0)
		shell_cfg.ascii = true;
	term_screen = newterm(NULL, stdout, stdin);
	if (!term_screen)
		return -1;
	term_on = true;
	cbreak(); /* not raw: ^C, ^Z and ^\ stay signals, handled in loop.c */
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE); /* poll() says when to read; drain until ERR */
	set_escdelay(25);      /* Esc reacts at once, not after a second */
	curs_set(0);
	colors_init();
	if (shell_cfg.mouse) {
		mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED |
		          BUTTON5_PRESSED, NULL);
		mouseinterval(0); /* no click-detection delay */
	}
	return 0;
}

void
term_end(void)
{
	if (!term_on)
		return;
	term_on = false;
	if (shell_cfg.mouse)
		mousemask(0, NULL); /* mouse reporting off before we leave */
	curs_set(1);
	endwin();
	fflush(stdout);
}

/* Out of memory (under `ulimit -v`, say): one clear line, not an abort
 * with no message; the demo's group killed and the terminal restored
 * first. */
_Noreturn void
shell_oom(void)
{
	static const char msg[] = "racelab: out of memory\n";

	if (child_pgid > 1)
		kill(-(pid_t)child_pgid, SIGKILL);
	term_end();
	(void)!write(STDERR_FILENO, msg, sizeof msg - 1);
	_exit(1);
}

/* The lesson reader's out of memory is ours (a strong definition over its
 * weak one). */
void
md_out_of_memory(void)
{
	shell_oom();
}

void
term_leave(void)
{
	if (!term_on)
		return;
	if (shell_cfg.mouse)
		mousemask(0, NULL);
	endwin();
	fflush(stdout);
}

void
term_back(void)
{
	if (!term_on)
		return;
	if (shell_cfg.mouse)
		mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED |
		          BUTTON5_PRESSED, NULL);
	term_resize();
	clearok(curscr, TRUE);
}

void
term_suspend(void)
{
	if (!term_on)
		return;
	term_leave();
	/* Stop for real, with the default action; the loop resumes here. */
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	/* fg: our handler comes back in loop.c's caller; redraw it all. */
	term_back();
}

void
term_resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	else
		resizeterm(LINES, COLS);
}

attr_t
term_attr(enum shell_color c)
{
	return (unsigned)c < COL_COUNT ? attrs[c] : A_NORMAL;
}

attr_t
term_state_attr(enum board_state s)
{
	switch (s) {
	case BOARD_ST_RUNNING: return attrs[COL_ST_RUN];
	case BOARD_ST_WAIT_LOCK:
	case BOARD_ST_BLOCKED: return attrs[COL_ST_WAIT];
	case BOARD_ST_CRITICAL: return attrs[COL_ST_CRIT];
	case BOARD_ST_SLEEPING: return attrs[COL_ST_SLEEP];
	case BOARD_ST_GATE: return attrs[COL_ST_GATE];
	case BOARD_ST_KILLED:
	case BOARD_ST_FAILED: return attrs[COL_ST_KILLED];
	default: return attrs[COL_ST_DONE];
	}
}

void
term_frame(WINDOW *w, const char *title, bool focus)
{
	int h, wd;

	getmaxyx(w, h, wd);
	(void)h;
	if (focus)
		wattron(w, attrs[COL_FOCUS]);
	if (shell_cfg.ascii)
		wborder(w, '|', '|', '-', '-', '+', '+', '+', '+');
	else /* wide-character lines: Unicode box drawing, not the ACS set */
		box_set(w, WACS_VLINE, WACS_HLINE);
	if (focus)
		wattroff(w, attrs[COL_FOCUS]);
	if (title && wd > 6) {
		term_put(w, 0, 2, 1, focus ? attrs[COL_FOCUS] : A_NORMAL, " ");
		int n = term_put(w, 0, 3, wd - 6,
		                 (focus ? attrs[COL_FOCUS] : attrs[COL_TITLE]), title);
		term_put(w, 0, 3 + n, 1, A_NORMAL, " ");
	}
}

bool
term_char_ok(uint32_t cp)
{
	/* Controls (C0, DEL, C1) and the invisible characters that reorder
	 * or hide text: bidi marks, embeddings, overrides and isolates
	 * (U+061C, 200E-200F, 202A-202E, 2066-2069), line/paragraph
	 * separators. */
	return cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f) && cp != 0x61c &&
	       cp != 0x200e && cp != 0x200f && !(cp >= 0x202a && cp <= 0x202e) &&
	       cp != 0x2028 && cp != 0x2029 && !(cp >= 0x2066 && cp <= 0x2069);
}

static bool
locale_utf8(void)
{
	static int utf8 = -1;

	if (utf8 < 0) {
		const char *cs = nl_langinfo(CODESET);

		utf8 = cs && strcmp(cs, "UTF-8") == 0;
	}
	return utf8;
}

/* The UTF-8 sequence at s: its length (0 if not valid UTF-8) and *cp. */
static int
utf8_seq(const unsigned char *s, uint32_t *cp)
{
	int n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
	      : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	uint32_t v;

	if (!n)
		return 0;
	v = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (int k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* s as the terminal may show it, in the locale we draw in: what cannot be
 * shown or would act on the terminal becomes '?'; outside a UTF-8 locale
 * every non-ASCII character does (so its width is what md_fit counts). */
static void
clean_text(const char *s, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	bool utf8 = locale_utf8();

	while (*p && o + 5 < n) {
		uint32_t cp = 0;
		int k = utf8_seq(p, &cp);

		if (k == 0 || !term_char_ok(cp) || (k > 1 && !utf8)) {
			k = k ? k : 1; /* not UTF-8: one byte at a time */
			out[o++] = '?';
		} else {
			memcpy(out + o, p, (size_t)k);
			o += (size_t)k;
		}
		p += k;
	}
	out[o] = '\0';
}

int
term_put(WINDOW *w, int y, int x, int maxw, attr_t a, const char *s)
{
	int h, wd;
	size_t n;
	char text[1024];

	getmaxyx(w, h, wd);
	if (y < 0 || y >= h || x < 0 || x >= wd || maxw <= 0)
		return 0;
	if (maxw > wd - x)
		maxw = wd - x;
	clean_text(s, text, sizeof text);
	n = md_fit(text, maxw);
	wattrset(w, a);
	mvwaddnstr(w, y, x, text, (int)n);
	wattrset(w, A_NORMAL);
	text[n] = '\0';
	return md_strwidth(text);
}

int
term_printf(WINDOW *w, int y, int x, int maxw, attr_t a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return term_put(w, y, x, maxw, a, buf);
}

const char *
term_spark(int level)
{
	static const char *const uni[8] = {
		"\u2581", "\u2582", "\u2583", "\u2584",
		"\u2585", "\u2586", "\u2587", "\u2588",
	};
	static const char *const asc[8] = {"_", ".", ",", "-", "=", "+", "*", "#"};

	if (level < 0)
		level = 0;
	if (level > 7)
		level = 7;
	return shell_cfg.ascii ? asc[level] : uni[level];
}

void
term_hline(WINDOW *w, int y, int x, int n)
{
	if (shell_cfg.ascii)
		mvwhline(w, y, x, '-', n);
	else
		mvwhline_set(w, y, x, WACS_HLINE, n);
}

void
ui_place(struct ui_win *u, int h, int w, int y, int x)
{
	ui_drop(u);
	if (h <= 0 || w <= 0)
		return;
	u->w = newwin(h, w, y, x);
	if (u->w)
		u->p = new_panel(u->w);
}

void
ui_drop(struct ui_win *u)
{
	if (u->p)
		del_panel(u->p);
	if (u->w)
		delwin(u->w);
	u->p = NULL;
	u->w = NULL;
}
