// The Source panel: where each worker stands in the program's own source.
// The board names, per actor, the file (a label) and the line of the
// operation it is at; the file is read from disk (a regular file of at
// most 1 MiB: never a FIFO, a device or a huge file) and shown around
// those lines, the workers' positions marked.  Workers close together in
// one file share one excerpt; others get one each.
#include "shell/shell.h"

#include "lesson/watch_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	SRC_FILES = 8,             /* files held at once */
	SRC_MAX_BYTES = 1 << 20,
	SRC_LINES = 20000,         /* lines read of one file */
	SRC_NEAR = 8,              /* workers this close share an excerpt */
	SRC_CONTEXT = 3,           /* lines wanted above and below */
	SRC_GUTTER = 8,            /* columns of markers before the number */
};

struct src_file {
	char label[BOARD_LABEL_LEN]; /* as the board names it */
	char name[64];               /* what the header shows */
	char why[96];                /* why it is not shown; "" when read */
	char **line;
	int nline;
};

/* A worker's position. */
struct src_pos {
	int actor, file; /* index into the board's actors, into sp.f */
	unsigned no, line;
	enum board_state state;
};

static struct {
	struct src_file f[SRC_FILES];
	int n;
	uint64_t run; /* the run the files were read for */
} sp;

int
shell_source_read(FILE *f, char ***lines, int max)
{
	char *line = NULL, **v = NULL;
	size_t cap = 0;
	ssize_t len;
	int n = 0;

	while (n < max && (len = getline(&line, &cap, f)) >= 0) {
		char out[512];
		size_t o = 0;

		/* Tabs to 4 columns; control characters shown as '?'. */
		for (ssize_t i = 0; i < len && o < sizeof out - 5; i++) {
			unsigned char c = (unsigned char)line[i];

			if (c == '\n' || c == '\r')
				break;
			if (c == '\t') {
				do
					out[o++] = ' ';
				while (o % 4);
			} else {
				out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
			}
		}
		out[o] = '\0';
		v = realloc(v, (size_t)(n + 1) * sizeof *v);
		if (!v || !(v[n] = strdup(out)))
			shell_oom();
		n++;
	}
	free(line);
	*lines = v;
	return n;
}

static void
src_forget(void)
{
	for (int i = 0; i < sp.n; i++) {
		for (int k = 0; k < sp.f[i].nline; k++)
			free(sp.f[i].line[k]);
		free(sp.f[i].line);
	}
	memset(&sp, 0, sizeof sp);
}

/* The directories a relative file name may be in: the lesson's folder,
 * then the folders of the watched program's files (a compiler may record
 * a name relative to where it ran), then the working directory. */
static int
src_dirs(const struct demo *d, char dirs[][PATH_MAX], int max)
{
	int n = 0;

	if (d->lesson_dir[0])
		snprintf(dirs[n++], PATH_MAX, "%s", d->lesson_dir);
	if (d->start_argc && md_watch_is(d->start_argv[0])) {
		int prog = md_watch_prog(d->start_argv, d->start_argc);
		int nf = md_watch_nfiles(d->start_argv, d->start_argc, prog);

		for (int i = 0; i < nf && n < max - 1; i++) {
			const char *w = d->start_argv[prog + i], *slash = strrchr(w, '/');

			if (!slash)
				continue;
			if (w[0] == '/') {
				if ((size_t)snprintf(dirs[n], PATH_MAX, "%.*s", (int)(slash - w), w) <
				    PATH_MAX)
					n++;
			} else if (d->lesson_dir[0] &&
			           (size_t)snprintf(dirs[n], PATH_MAX, "%s/%.*s", d->lesson_dir,
			                            (int)(slash - w), w) < PATH_MAX) {
				n++;
			}
		}
	}
	snprintf(dirs[n++], PATH_MAX, ".");
	return n;
}

/* The one regular file of dir whose name starts with prefix, opened
 * (its name into name); -1 when none or several do. */
static int
src_open_prefix(const char *dir, const char *prefix, char *name, size_t n)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	char found[256] = "", path[PATH_MAX + 256];
	int matches = 0, fd;

	if (!dp)
		return -1;
	while ((e = readdir(dp)) && matches < 2)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(found, sizeof found, "%s", e->d_name);
			matches++;
		}
	closedir(dp);
	if (matches != 1 || (size_t)snprintf(path, sizeof path, "%s/%s", dir, found) >= sizeof path)
		return -1;
	fd = shell_open_regular(AT_FDCWD, path, SRC_MAX_BYTES, O_RDONLY);
	if (fd >= 0)
		snprintf(name, n, "%s", found);
	return fd;
}

/* Find and read the file the board calls label. */
static void
src_load(const struct demo *d, struct src_file *f)
{
	char dirs[DEMO_WATCH_FILES + 3][PATH_MAX], path[2 * PATH_MAX];
	const char *base = strrchr(f->label, '/');
	int nd = 0, fd = -1, err = ENOENT;
	FILE *fp;

	base = base ? base + 1 : f->label;
	snprintf(f->name, sizeof f->name, "%s", base);
	if (f->label[0] == '/') {
		fd = shell_open_regular(AT_FDCWD, f->label, SRC_MAX_BYTES, O_RDONLY);
		err = errno;
	}
	if (fd < 0)
		nd = src_dirs(d, dirs, DEMO_WATCH_FILES + 2);
	/* Under each folder in turn (the lesson's first): the name as
	 * recorded, then its last part (a lesson's __FILE__ is relative to
	 * where it was built). */
	for (int i = 0; i < nd && fd < 0; i++)
		for (int pass = 0; pass < 2 && fd < 0; pass++) {
			if (pass == 0 && f->label[0] == '/')
				continue;
			if ((size_t)snprintf(path, sizeof path, "%s/%s", dirs[i],
			                     pass ? base : f->label) >= sizeof path)
				continue;
			fd = shell_open_regular(AT_FDCWD, path, SRC_MAX_BYTES, O_RDONLY);
			if (fd < 0 && errno != ENOENT)
				err = errno;
		}
	/* A label is cut at BOARD_LABEL_LEN - 1 bytes: a long path loses its
	 * end.  The one file whose name starts with what is left, in the
	 * folder the label names or in one of the program's, is it. */
	if (fd < 0 && strlen(f->label) == BOARD_LABEL_LEN - 1) {
		const char *slash = strrchr(f->label, '/');

		/* dirs has a row to spare beyond what src_dirs fills. */
		if (slash && f->label[0] == '/' &&
		    (size_t)snprintf(dirs[nd], PATH_MAX, "%.*s", (int)(slash - f->label),
		                     f->label) < PATH_MAX)
			nd++;
		for (int i = nd - 1; i >= 0 && fd < 0; i--)
			fd = src_open_prefix(dirs[i], base, f->name, sizeof f->name);
	}
	if (fd < 0) {
		snprintf(f->why, sizeof f->why, "%s", err == EFBIG ? "larger than 1 MiB: not shown" :
		         err == EINVAL ? "not a regular file" : strerror(err));
		return;
	}
	if (!(fp = fdopen(fd, "r"))) {
		snprintf(f->why, sizeof f->why, "%s", strerror(errno));
		close(fd);
		return;
	}
	f->nline = shell_source_read(fp, &f->line, SRC_LINES);
	fclose(fp);
	if (!f->nline)
		snprintf(f->why, sizeof f->why, "empty");
}

/* The file the board's label id names, read once per run; -1 when the
 * table is full. */
static int
src_file(const struct demo *d, uint32_t id)
{
	const char *label = board_label(d->board, id);

	if (!label || !label[0])
		return -1;
	for (int i = 0; i < sp.n; i++)
		if (strcmp(sp.f[i].label, label) == 0)
			return i;
	if (sp.n == SRC_FILES)
		return -1;
	snprintf(sp.f[sp.n].label, sizeof sp.f[sp.n].label, "%s", label);
	src_load(d, &sp.f[sp.n]);
	return sp.n++;
}

static int
pos_cmp(const void *a, const void *b)
{
	const struct src_pos *x = a, *y = b;

	if (x->file != y->file)
		return x->file - y->file;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->no < y->no ? -1 : x->no > y->no;
}

/* Every worker's position now, sorted by file and line.  Returns how many. */
static int
positions(struct src_pos *p)
{
	const struct demo *d = &shell_demo;
	const struct board *b = d->board;
	uint32_t n = b ? atomic_load(&b->nactors) : 0;
	int k = 0;

	if (!b)
		return 0;
	if (sp.run != demo_gen(d, DEMO_GEN_RUN)) { /* a new run: it may be rebuilt */
		src_forget();
		sp.run = demo_gen(d, DEMO_GEN_RUN);
	}
	for (uint32_t i = 0; i < n && i < BOARD_MAX_ACTORS; i++) {
		const struct board_actor *a = &b->actor[i];
		enum board_state s = (enum board_state)atomic_load(&a->state);
		uint32_t file = atomic_load(&a->file), line = atomic_load(&a->line);
		int f;

		if (!file || !line || s == BOARD_ST_IDLE || s == BOARD_ST_DONE ||
		    s == BOARD_ST_FAILED || s == BOARD_ST_KILLED)
			continue;
		if ((f = src_file(d, file)) < 0)
			continue;
		p[k++] = (struct src_pos){.actor = (int)i, .file = f, .line = line,
		                          .no = atomic_load(&a->worker_no), .state = s};
	}
	qsort(p, (size_t)k, sizeof *p, pos_cmp);
	return k;
}

/* Excerpts: runs of positions in one file, each within SRC_NEAR lines of
 * the one before.  start[i] is the first position of excerpt i. */
static int
excerpts(const struct src_pos *p, int n, int *start)
{
	int m = 0;

	for (int i = 0; i < n; i++)
		if (i == 0 || p[i].file != p[i - 1].file || p[i].line - p[i - 1].line > SRC_NEAR)
			start[m++] = i;
	start[m] = n;
	return m;
}

static const char *
worker_name(int actor)
{
	static char buf[BOARD_NAME_LEN];

	char dflt[24];

	buf[0] = '\0';
	if (actor < shell_demo.nact && shell_demo.act[actor].valid) {
		const struct board_actor_id *id = &shell_demo.act[actor].id;

		/* "worker 2" says no more than its number does. */
		snprintf(dflt, sizeof dflt, "worker %u", id->worker_no);
		if (strncmp(id->name, dflt, BOARD_NAME_LEN) != 0)
			snprintf(buf, sizeof buf, "%.*s", BOARD_NAME_LEN - 1, id->name);
	}
	return buf;
}

/* One excerpt: a header naming the file and who is where, then lines
 * [first, first + rows) with the markers. */
static void
draw_excerpt(WINDOW *w, int *y, int rows, int wd, const struct src_pos *p, int n)
{
	const struct src_file *f = &sp.f[p[0].file];
	char head[256];
	size_t used = (size_t)snprintf(head, sizeof head, "%s", f->name);
	unsigned lo = p[0].line, hi = p[n - 1].line;
	int first;

	for (int i = 0; i < n && used < sizeof head; i++) {
		const char *nm = worker_name(p[i].actor);

		used += (size_t)snprintf(head + used, sizeof head - used, "  [%u]%s%s :%u", p[i].no,
		                         nm[0] ? " " : "", nm, p[i].line);
	}
	term_put(w, (*y)++, 2, wd - 4, term_attr(COL_DIM), head);
	if (--rows <= 0)
		return;
	if (f->why[0]) {
		term_printf(w, (*y)++, 4, wd - 6, term_attr(COL_WARN), "%s: %s", f->name, f->why);
		return;
	}
	/* The span of the positions in the middle, or the first at the top
	 * third when they do not all fit. */
	if ((int)(hi - lo) + 1 <= rows)
		first = (int)lo - (rows - (int)(hi - lo + 1)) / 2;
	else
		first = (int)lo - rows / 3;
	if (first + rows - 1 > f->nline)
		first = f->nline - rows + 1;
	if (first < 1)
		first = 1;
	for (int r = 0; r < rows && first + r <= f->nline; r++, (*y)++) {
		int ln = first + r, x = 1;
		bool here = false;
		enum board_state s = BOARD_ST_RUNNING;

		for (int i = 0; i < n; i++) {
			if ((int)p[i].line != ln)
				continue;
			here = true;
			s = p[i].state;
			if (x < SRC_GUTTER - 2)
				x += term_printf(w, *y, x, 3, term_state_attr(p[i].state), "%s%u",
				                 shell_cfg.ascii ? ">" : "\u25b6", p[i].no % 10);
			else
				term_put(w, *y, SRC_GUTTER - 2, 1, A_BOLD, "+");
		}
		term_printf(w, *y, SRC_GUTTER, 5, here ? A_BOLD : term_attr(COL_DIM), "%4d", ln);
		term_put(w, *y, SRC_GUTTER + 5, wd - SRC_GUTTER - 6,
		         here ? term_state_attr(s) | A_BOLD : term_attr(COL_CODE), f->line[ln - 1]);
	}
}

/* Where is the source line of a position, and its text ("" when the file
 * could not be read). */
static const char *
pos_text(const struct src_pos *p)
{
	const struct src_file *f = &sp.f[p->file];

	return !f->why[0] && p->line >= 1 && (int)p->line <= f->nline ? f->line[p->line - 1] : "";
}

/* One row per position: the marker, the line number, its text, and who
 * and which file at the row's end. */
static void
draw_compact(WINDOW *w, int h, int wd, const struct src_pos *p, int n)
{
	for (int i = 0, y = 1; i < n && y < h - 1; i++, y++) {
		const char *nm = worker_name(p[i].actor);
		char who[BOARD_NAME_LEN + 72];
		int tw;

		snprintf(who, sizeof who, "%s%s%s", nm, nm[0] ? " " : "", sp.f[p[i].file].name);
		tw = wd - SRC_GUTTER - 6 - md_strwidth(who) - 2;
		term_printf(w, y, 1, 3, term_state_attr(p[i].state), "%s%u",
		            shell_cfg.ascii ? ">" : "\u25b6", p[i].no % 10);
		term_printf(w, y, SRC_GUTTER, 5, A_BOLD, "%4u", p[i].line);
		term_put(w, y, SRC_GUTTER + 5, tw > 8 ? tw : wd - SRC_GUTTER - 6,
		         term_state_attr(p[i].state) | A_BOLD, pos_text(&p[i]));
		if (tw > 8)
			term_put(w, y, wd - 1 - md_strwidth(who) - 1, md_strwidth(who) + 1,
			         term_attr(COL_DIM), who);
	}
}

static void
draw(WINDOW *w, struct panel_view *v, bool focus)
{
	struct src_pos p[BOARD_MAX_ACTORS];
	int start[BOARD_MAX_ACTORS + 1], h, wd, y = 1, n, m, shown;

	(void)v, (void)focus;
	getmaxyx(w, h, wd);
	n = positions(p);
	if (!n) {
		term_put(w, y, 2, wd - 4, term_attr(COL_DIM),
		         !shell_demo.board            ? "no run yet"
		         : demo_running(&shell_demo) ? "no worker stands at a line of the program's source yet"
		                                     : "the run is over: no worker stands at a line now");
		return;
	}
	m = excerpts(p, n, start);
	/* Too few rows for a header and a line per excerpt: one row per
	 * worker, its line alone. */
	if (m > 1 && h - 2 < 2 * m) {
		draw_compact(w, h, wd, p, n);
		return;
	}
	/* Each excerpt its share of the rows: a header and at least two
	 * lines; those that get none are counted on the last row. */
	shown = m;
	while (shown > 1 && (h - 2) / shown < 3)
		shown--;
	for (int e = 0; e < shown; e++) {
		int left = h - 1 - y - (shown < m && e == shown - 1 ? 1 : 0);
		int rows = left / (shown - e);

		draw_excerpt(w, &y, rows, wd, p + start[e], start[e + 1] - start[e]);
	}
	if (shown < m && y < h - 1)
		term_printf(w, y, 2, wd - 4, term_attr(COL_DIM), "+%d more place%s (a larger terminal shows them)",
		            m - shown, m - shown == 1 ? "" : "s");
}

/* A header and the lines around each excerpt. */
static int
want(int width)
{
	struct src_pos p[BOARD_MAX_ACTORS];
	int start[BOARD_MAX_ACTORS + 1], n = positions(p), m, rows = 0;

	(void)width;
	if (!n)
		return 1;
	m = excerpts(p, n, start);
	for (int e = 0; e < m; e++)
		rows += 1 + (int)(p[start[e + 1] - 1].line - p[start[e]].line) + 1 + 2 * SRC_CONTEXT;
	return rows;
}

bool
panel_source_wanted(const struct demo *d)
{
	return d->argc && md_watch_is(d->argv[0]) &&
	       (demo_step_sticky(d) || (d->board && atomic_load(&d->board->control.step_mode)));
}

const struct shell_panel panel_source = {
	.name = "source",
	.title = "Source",
	.min_h = 5,
	.weight = 3,
	.want = want,
	.draw = draw,
};
