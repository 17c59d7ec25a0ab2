// The demo: one lesson program run under the shell, and what we see of it.
//
// Each start gets a fresh board (a memfd the child inherits) so nothing of a
// previous run lingers.  Every frame demo_tick copies what the panels need
// out of the board (actors, states, counters for the sparklines, lanes of
// the timeline); a few times a second it also asks /proc what the kernel
// says about each task.  All numbers shown come from here: never invented.
#include "shell/shell.h"
#include "lesson/watch_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The one demo (main.c hands it to the screens; the panels read it). */
struct demo shell_demo = {.board_fd = -1, .out_fd = -1};

static void final_sample(struct demo *d, uint64_t now);

/* Each actor's /proc files are read every PROC_PERIOD_NS, a slice of the
 * actors per frame: PROC_SLICES frames per period, 267 ms at 30 fps
 * (with 6, 1024 tasks were 171 reads a frame, 3-5 ms while their files
 * were being opened, a quarter second). */
/* PROC_STATUS_ROUNDS: full samples after a freeze, one more than the
 * reads procfs_read takes to refresh a task's status (STATUS_EVERY). */
enum { PROC_PERIOD_NS = 250 * 1000 * 1000, PROC_SLICES = 8, PROC_STATUS_ROUNDS = 5,
       GRACE_NS = 200 * 1000 * 1000 };

uint64_t
shell_now_ns(void)
{
	return board_now_ns();
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		shell_oom();
	return p;
}

int
demo_prog_path(const struct demo_where *w, const char *slug, char *buf, size_t n)
{
	const char *dirs[2] = {w->lesson_dir, w->bin_dir};
	struct stat st;

	if (!md_slug_valid(slug))
		return -1;
	for (int i = 0; i < 2; i++)
		if (dirs[i] && dirs[i][0] &&
		    (size_t)snprintf(buf, n, "%s/racelab-%s", dirs[i], slug) < n &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 0;
	return -1;
}

int
demo_python3(char *buf, size_t n)
{
	const char *path = getenv("PATH");
	struct stat st;

	/* As execvp would find it, but said in advance: a lesson needs to
	 * know before the run whether to skip the block. */
	while (path && *path) {
		size_t len = strcspn(path, ":");

		if (len && (size_t)snprintf(buf, n, "%.*s/python3", (int)len, path) < n &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 0;
		path += len;
		if (*path == ':')
			path++;
	}
	return -1;
}

/* "watch [OPTIONS] PROGRAM ARGS": racelab-watch from bin_dir (never a
 * lesson's folder), with each program file resolved: an absolute one is
 * the user's own (the command line made it so), a relative one must be a
 * file of the lesson's folder, checked again now (the loader did at load
 * time; the file may have become a link since). */
static int
watch_exec_prep(const struct demo_where *w, char *const argv[], int argc, struct demo_exec *x)
{
	int prog = md_watch_prog(argv, argc), nf = md_watch_nfiles(argv, argc, prog), k = 0;

	x->python = false;
	if (prog < 0 || nf > DEMO_WATCH_FILES ||
	    demo_prog_path(&(struct demo_where){NULL, w->bin_dir}, "watch", x->path,
	                   sizeof x->path) < 0)
		return -1;
	for (int f = 0; f < nf; f++) {
		const char *word = argv[prog + f];

		if (word[0] == '/')
			snprintf(x->watched[f], sizeof x->watched[f], "%s", word);
		else if (!w->lesson_dir || !w->lesson_dir[0] ||
		         md_watch_in_dir(w->lesson_dir, word, x->watched[f], sizeof x->watched[f]) < 0)
			return -3;
		if (md_watch_check_file(x->watched[f], x->why, sizeof x->why) < 0)
			return -4;
	}
	snprintf(x->name, sizeof x->name, "racelab-watch");
	x->argv[k++] = x->name;
	for (int i = 1; i < argc && k < DEMO_EXEC_ARGS; i++)
		x->argv[k++] = i >= prog && i < prog + nf ? x->watched[i - prog] : argv[i];
	x->argv[k] = NULL;
	return 0;
}

int
demo_exec_prep(const struct demo_where *w, char *const argv[], int argc, struct demo_exec *x)
{
	int k = 0;

	x->python = strcmp(argv[0], "python") == 0;
	if (md_watch_is(argv[0]))
		return watch_exec_prep(w, argv, argc, x);
	if (!x->python) {
		if (demo_prog_path(w, argv[0], x->path, sizeof x->path) < 0)
			return -1;
		snprintf(x->name, sizeof x->name, "racelab-%s", argv[0]);
		x->argv[k++] = x->name;
		for (int i = 1; i < argc && k < DEMO_EXEC_ARGS; i++)
			x->argv[k++] = argv[i];
		x->argv[k] = NULL;
		return 0;
	}
	/* "python FILE.py ARGS": the file of the lesson's own folder (the
	 * parser made sure it is a plain name there), run by python3. */
	if (argc < 2 || !md_py_name_valid(argv[1]) || !w->lesson_dir ||
	    (size_t)snprintf(x->script, sizeof x->script, "%s/%s", w->lesson_dir, argv[1]) >=
	            sizeof x->script)
		return -1;
	if (demo_python3(x->path, sizeof x->path) < 0)
		return -2;
	snprintf(x->name, sizeof x->name, "python3");
	x->argv[k++] = x->name;
	/* -I: no PYTHON* variables, no user site, no script folder on
	 * sys.path (only the standard library); -u: each line reaches the
	 * Output panel when printed, not when the buffer fills. */
	x->argv[k++] = "-I";
	x->argv[k++] = "-u";
	x->argv[k++] = x->script;
	for (int i = 2; i < argc && k < DEMO_EXEC_ARGS; i++)
		x->argv[k++] = argv[i];
	x->argv[k] = NULL;
	return 0;
}

const char *
demo_cmd_name(const char *slug, char *buf, size_t n)
{
	if (strcmp(slug, "python") == 0)
		snprintf(buf, n, "python3");
	else
		snprintf(buf, n, "racelab-%s", slug);
	return buf;
}

bool
demo_prog_ok(const char *slug, void *where)
{
	char path[PATH_MAX];

	return demo_prog_path(where, slug, path, sizeof path) == 0;
}

void
demo_set_argv(struct demo *d, char *const argv[], int argc)
{
	for (int i = 0; i < d->argc; i++)
		free(d->argv[i]);
	if (argc > DEMO_MAX_ARGS)
		argc = DEMO_MAX_ARGS;
	for (int i = 0; i < argc; i++)
		d->argv[i] = xstrdup(argv[i]);
	d->argv[argc] = NULL;
	d->argc = argc;
}

/* Where the options of the next run end: for a watched program, at its
 * PROGRAM (what follows is the program's own). */
static int
opts_end(const struct demo *d)
{
	int prog;

	if (d->argc == 0 || !md_watch_is(d->argv[0]))
		return d->argc;
	prog = md_watch_prog(d->argv, d->argc);
	return prog < 0 ? d->argc : prog;
}

const char *
demo_get_opt(const struct demo *d, const char *opt)
{
	size_t n = strlen(opt);

	for (int i = 1; i < opts_end(d); i++) {
		if (strcmp(d->argv[i], opt) == 0 && i + 1 < d->argc)
			return d->argv[i + 1];
		if (strncmp(d->argv[i], opt, n) == 0 && d->argv[i][n] == '=')
			return d->argv[i] + n + 1;
	}
	return NULL;
}

void
demo_set_opt(struct demo *d, const char *opt, const char *val)
{
	size_t n = strlen(opt);
	int end = opts_end(d);

	for (int i = 1; i < end; i++) {
		if (strcmp(d->argv[i], opt) == 0 && i + 1 < d->argc) {
			free(d->argv[i + 1]);
			d->argv[i + 1] = xstrdup(val);
			return;
		}
		if (strncmp(d->argv[i], opt, n) == 0 && d->argv[i][n] == '=') {
			free(d->argv[i]);
			d->argv[i] = xstrdup(opt);
			/* split "--opt=v" into two words, then set */
			if (d->argc < DEMO_MAX_ARGS) {
				memmove(&d->argv[i + 2], &d->argv[i + 1],
				        (size_t)(d->argc - i) * sizeof d->argv[0]);
				d->argv[i + 1] = xstrdup(val);
				d->argc++;
			}
			return;
		}
	}
	if (d->argc + 2 <= DEMO_MAX_ARGS) {
		/* Before a watched PROGRAM (end < argc), else at the end. */
		memmove(&d->argv[end + 2], &d->argv[end],
		        (size_t)(d->argc - end + 1) * sizeof d->argv[0]);
		d->argv[end] = xstrdup(opt);
		d->argv[end + 1] = xstrdup(val);
		d->argc += 2;
		d->argv[d->argc] = NULL;
	}
}

/* RACELAB_DEMO_LOG=<file>: a copy of every output line (bench/shell.sh
 * reads the result of a run watched live from it). */
static void
out_log(const char *line)
{
	static FILE *f;
	static bool tried;

	if (!tried) {
		const char *p = getenv("RACELAB_DEMO_LOG");

		tried = true;
		f = p && *p ? fopen(p, "ae") : NULL;
	}
	if (f) {
		fprintf(f, "%s\n", line);
		fflush(f);
	}
}

static void
out_push(struct demo *d, const char *line)
{
	int slot = (d->out_head + d->out_n) % DEMO_OUT_LINES;

	out_log(line);

	if (d->out_n == DEMO_OUT_LINES) {
		slot = d->out_head;
		d->out_head = (d->out_head + 1) % DEMO_OUT_LINES;
	} else {
		d->out_n++;
	}
	free(d->out[slot]);
	d->out[slot] = xstrdup(line);
	d->gen[DEMO_GEN_OUT]++;
}

static void
out_flush_partial(struct demo *d)
{
	d->partial[d->partial_len] = '\0';
	out_push(d, d->partial);
	d->partial_len = 0;
}

/* One byte of a record; the records stay a few KB (capped at 1 MB). */
static void
rec_add(struct demo *d, char c)
{
	if (c == '\n') {
		d->in_rec = false;
		d->rec_gen++;
	}
	if (d->rec_len + 2 > d->rec_cap) {
		if (d->rec_cap >= (1u << 20))
			return;
		d->rec_cap = d->rec_cap ? d->rec_cap * 2 : 4096;
		d->rec = realloc(d->rec, d->rec_cap);
		if (!d->rec)
			shell_oom();
	}
	d->rec[d->rec_len++] = c;
	d->rec[d->rec_len] = '\0';
}

void
demo_read_output(struct demo *d)
{
	char buf[4096];
	ssize_t r;
	/* A UTF-8 sequence cut between two reads waits here. */
	static unsigned char seq[4];
	static int seq_len, seq_need, seq_fd = -1;
	static int utf8 = -1;

	if (d->out_fd < 0)
		return;
	if (utf8 < 0) {
		const char *cs = nl_langinfo(CODESET);

		utf8 = cs && strcmp(cs, "UTF-8") == 0;
	}
	if (seq_fd != d->out_fd)
		seq_len = seq_need = 0, seq_fd = d->out_fd;
	/* Nothing a demo prints may act on the terminal: C0 and C1 controls,
	 * bytes that are not UTF-8 (a raw 0x9b is CSI to some terminals),
	 * and the invisible format characters that reorder or hide text
	 * (bidi overrides and isolates, U+202A-202E, U+2066-2069, marks)
	 * become '?'.  Outside a UTF-8 locale every byte above 0x7f does. */
	while ((r = read(d->out_fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (c == 0x1e && d->partial_len == 0 && !d->in_rec && !seq_need) {
				d->in_rec = true; /* a record, not output (RFC 7464) */
				continue;
			}
			if (d->in_rec) {
				rec_add(d, (char)c);
				continue;
			}
			if (d->partial_len >= sizeof d->partial - 5)
				out_flush_partial(d); /* room for a whole sequence */
			if (seq_need) {
				if ((c & 0xc0) == 0x80) {
					uint32_t cp;
					bool ok;

					seq[seq_len++] = c;
					if (seq_len < seq_need)
						continue;
					cp = seq[0] & (0x7f >> seq_need);
					for (int k = 1; k < seq_len; k++)
						cp = cp << 6 | (seq[k] & 0x3f);
					ok = cp >= (seq_len == 2 ? 0x80u : seq_len == 3 ? 0x800u : 0x10000u) &&
					     cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) &&
					     term_char_ok(cp);
					if (ok) {
						memcpy(d->partial + d->partial_len, seq, (size_t)seq_len);
						d->partial_len += (size_t)seq_len;
					} else {
						d->partial[d->partial_len++] = '?';
					}
					seq_len = seq_need = 0;
					continue;
				}
				d->partial[d->partial_len++] = '?'; /* cut short */
				seq_len = seq_need = 0;
			}
			if (c == '\n') {
				out_flush_partial(d);
				continue;
			}
			if (c == '\r')
				continue;
			if (c >= 0x80) {
				if (utf8 && c >= 0xc2 && c <= 0xf4) {
					seq[0] = c;
					seq_len = 1;
					seq_need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
					continue;
				}
				c = '?';
			} else if (c == '\t') {
				c = ' ';
			} else if (c < 0x20 || c == 0x7f) {
				c = '?'; /* no escape sequences reach the screen */
			}
			d->partial[d->partial_len++] = (char)c;
		}
	}
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		if (seq_need)
			d->partial[d->partial_len++] = '?';
		seq_len = seq_need = 0;
		if (d->partial_len)
			out_flush_partial(d);
		close(d->out_fd);
		d->out_fd = -1;
	}
}

void
demo_forget(struct demo *d)
{
	d->nact = 0;
	d->tl_len = d->tl_head = 0;
	d->spark_len = d->spark_head = 0;
	d->gen[DEMO_GEN_RUN]++;
}

uint64_t
demo_gen(const struct demo *d, enum demo_gen_kind k)
{
	return d->gen[k];
}

static void
free_start_argv(struct demo *d)
{
	for (int i = 0; i < d->start_argc; i++)
		free(d->start_argv[i]);
	d->start_argc = 0;
}

static int
start_failed(struct demo *d, const char *fmt, const char *arg)
{
	d->failed = true;
	snprintf(d->msg, sizeof d->msg, fmt, arg);
	d->msg_gen++;
	d->gen[DEMO_GEN_RUN]++;
	return -1;
}

/* One task of a Python run's group as an actor: found again by its tid,
 * or added (kept after it has gone, as the board keeps its workers). */
static void
python_task(struct demo *d, pid_t pid, pid_t tid, int ppid, char state, const char *comm)
{
	struct demo_actor *a = NULL;

	for (int i = 0; i < d->nact && !a; i++)
		if (d->act[i].id.tid == tid && d->act[i].id.pid == pid)
			a = &d->act[i];
	if (!a) {
		if (d->nact >= BOARD_MAX_ACTORS)
			return;
		a = &d->act[d->nact];
		memset(a, 0, sizeof *a);
		memset(d->tl[d->nact], 0, sizeof d->tl[d->nact]);
		a->id.kind = pid == tid ? BOARD_KIND_PROCESS : BOARD_KIND_THREAD;
		a->id.pid = pid;
		a->id.tid = tid;
		a->id.ppid = ppid;
		a->id.worker_no = (unsigned)d->nact;
		snprintf(a->id.name, sizeof a->id.name, "%s", comm);
		a->valid = true;
		d->nact++;
	}
	/* The kernel's state is all we know of it: no probes, no board. */
	a->state = state == 'R' ? BOARD_ST_RUNNING
	           : state == 'Z' || state == 'X' ? BOARD_ST_DONE
	           : state == 'T' || state == 't' ? a->state : BOARD_ST_SLEEPING;
	a->seen = true;
}

/* /proc/PID[/task/TID]/stat: state, ppid, pgrp and the name; -1 if gone. */
static int
python_stat(const char *path, char *state, int *ppid, int *pgrp, char *comm, size_t n)
{
	char buf[512], *l, *r;
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return -1;
	ok = fgets(buf, sizeof buf, f) != NULL;
	fclose(f);
	if (!ok || !(l = strchr(buf, '(')) || !(r = strrchr(buf, ')')) ||
	    sscanf(r + 1, " %c %d %d", state, ppid, pgrp) != 3)
		return -1;
	snprintf(comm, n, "%.*s", (int)(r - l - 1), l + 1);
	return 0;
}

/* A Python run writes no board: its actors are what /proc shows of its
 * process group (child.c gave it one of its own): the python3 process,
 * the processes it starts (multiprocessing forks them into the group)
 * and their threads, every PROC_PERIOD_NS.  A task gone since is kept,
 * done. */
static void
scan_group(struct demo *d, uint64_t now)
{
	DIR *dir;
	struct dirent *de;

	if (!d->python || !d->pid || (d->scan_ns && now - d->scan_ns < PROC_PERIOD_NS))
		return;
	d->scan_ns = now;
	for (int i = 0; i < d->nact; i++)
		d->act[i].seen = false;
	/* The leader first, so it is actor 0 (the "main" row). */
	if (d->nact == 0)
		python_task(d, d->pid, d->pid, (int)getpid(), 'R', "python3");
	if (!(dir = opendir("/proc")))
		return;
	while ((de = readdir(dir))) {
		char path[96], comm[BOARD_NAME_LEN], st;
		int pid = atoi(de->d_name), ppid, pgrp;
		DIR *td;
		struct dirent *te;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		if (python_stat(path, &st, &ppid, &pgrp, comm, sizeof comm) < 0 || pgrp != d->pid)
			continue;
		python_task(d, pid, pid, ppid, st, comm);
		snprintf(path, sizeof path, "/proc/%d/task", pid);
		if (!(td = opendir(path)))
			continue;
		while ((te = readdir(td))) {
			int tid = atoi(te->d_name), tp, tg;

			if (tid <= 0 || tid == pid)
				continue;
			snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
			if (python_stat(path, &st, &tp, &tg, comm, sizeof comm) == 0)
				python_task(d, pid, tid, ppid, st, comm);
		}
		closedir(td);
	}
	closedir(dir);
	for (int i = 1; i < d->nact; i++)
		if (!d->act[i].seen)
			d->act[i].state = BOARD_ST_DONE;
	d->gen[DEMO_GEN_BOARD]++;
}

/* Spawn the run demo_start took the argv of (start_argv). */
static int
start_now(struct demo *d)
{
	static struct demo_exec x;
	char line[600];
	size_t used;
	int fd, rc;

	if (d->board)
		board_unmap(d->board);
	d->board = NULL;
	d->failed = false;
	d->exited = false;
	d->frozen = false;
	d->final_sampled = false;
	demo_forget(d);
	procfs_close_all(); /* the files of the last demo's tasks */
	rc = demo_exec_prep(&(struct demo_where){d->lesson_dir, d->bin_dir}, d->start_argv,
	                    d->start_argc, &x);
	d->python = x.python;
	if (rc == -2) { /* said in the Output panel too: it stays in view */
		out_push(d, "python3 is not installed: this block is skipped");
		return start_failed(d, "%s", "python3 is not installed: this block is skipped");
	}
	if (rc == -3)
		return start_failed(d, "watch: %s is not a file of the lesson's folder",
		                    d->start_argv[md_watch_prog(d->start_argv, d->start_argc)]);
	if (rc == -4) /* one line, before any of it runs (watch_cmd.c) */
		return start_failed(d, "watch: %s", x.why);
	if (rc < 0 && md_watch_is(d->start_argv[0]))
		return start_failed(d, "no racelab-watch in %s", d->bin_dir);
	if (rc < 0)
		return start_failed(d, "no lesson program %s", d->start_argv[x.python]);
	d->runs = d->start_runs;
	d->rec_len = 0;
	d->in_rec = false;
	d->rec_gen++;
	/* The lesson writes its --json records into the output pipe too,
	 * marked, so the step can judge its expect: lines. */
	setenv("RACELAB_JSON_FD", "1", 1);
	d->board = board_create_memfd(&fd);
	if (!d->board)
		return start_failed(d, "cannot create the board: %s", strerror(errno));
	atomic_store(&d->board->control.shell_pid, (uint32_t)getpid());
	atomic_store(&d->board->control.step_mode, d->step_sticky ? 1u : 0u);

	/* A Python program gets no board (it would not write it): its
	 * actors come from /proc (scan_group). */
	{
		/* A watched program in step mode waits on the learner, not on
		 * itself: racelab-watch's 10 s cap for a run that does not end
		 * would stop it mid-lesson.  An hour, in the child's
		 * environment only (the shell's own caps and cleanup stay). */
		bool stepped = d->step_sticky && md_watch_is(d->start_argv[0]) &&
		               !getenv("RACELAB_WATCH_TIMEOUT");

		if (stepped)
			setenv("RACELAB_WATCH_TIMEOUT", "3600", 1);
		d->pid = child_spawn(x.path, x.argv, x.python ? -1 : fd,
		                     x.python ? NULL : BOARD_ENV_FD, &d->out_fd);
		if (stepped)
			unsetenv("RACELAB_WATCH_TIMEOUT");
	}
	close(fd); /* the mapping stays; the child has its own copy */
	if (d->pid < 0) {
		d->pid = 0;
		return start_failed(d, "cannot start the lesson program: %s", strerror(errno));
	}
	d->t_start = shell_now_ns();
	d->t_end = 0;
	d->gen[DEMO_GEN_RUN]++;
	d->last_proc_ns = 0;
	d->proc_cursor = 0;
	d->scan_ns = 0;
	if (x.python)
		scan_group(d, d->t_start); /* at least the python3 process itself */
	used = (size_t)snprintf(line, sizeof line, "--- $ %s", x.name);
	for (int i = 1; i < d->start_argc && used < sizeof line; i++)
		used += (size_t)snprintf(line + used, sizeof line - used, " %s", d->start_argv[i]);
	out_push(d, line);
	return 0;
}

/* Start a run of the next run's argv (with --runs when runs > 0).  The
 * argv is taken now.  A demo still running is stopped first, but its end
 * is not waited for here (the grace alone is 200 ms): the start is held
 * (start_pending) and made by demo_child_event once the last one has
 * been reaped, so the loop goes on meanwhile. */
int
demo_start(struct demo *d, int runs)
{
	char path[PATH_MAX], nbuf[16];

	if (d->argc == 0)
		return -1;
	d->gen[DEMO_GEN_RUN]++;
	if (strcmp(d->argv[0], "python") == 0 || md_watch_is(d->argv[0])) {
		/* start_now says what is missing (python3 or the file). */
	} else if (demo_prog_path(&(struct demo_where){d->lesson_dir, d->bin_dir}, d->argv[0], path,
	                   sizeof path) < 0) {
		d->failed = true;
		snprintf(d->msg, sizeof d->msg, "no lesson program racelab-%s in %s",
		         d->argv[0], d->bin_dir);
		d->msg_gen++;
		return -1;
	}
	if (runs > 0) {
		snprintf(nbuf, sizeof nbuf, "%d", runs);
		demo_set_opt(d, "--runs", nbuf);
	}
	d->start_runs = demo_get_opt(d, "--runs") ? atoi(demo_get_opt(d, "--runs")) : 1;
	free_start_argv(d);
	for (int i = 0; i < d->argc; i++)
		d->start_argv[i] = xstrdup(d->argv[i]);
	d->start_argc = d->argc;
	if (d->pid) {
		demo_stop(d);
		d->start_pending = true;
		return 0;
	}
	return start_now(d);
}

bool
demo_running(const struct demo *d)
{
	return d->pid > 0;
}

bool
demo_active(const struct demo *d)
{
	return d->pid > 0 && (!d->frozen || d->stopping);
}

void
demo_stop(struct demo *d)
{
	d->start_pending = false; /* x, or a new step: no run held back either */
	if (!d->pid || d->stopping)
		return;
	if (d->board) {
		atomic_store(&d->board->control.abort, 1);
		atomic_store(&d->board->control.step_mode, 0);
	}
	child_signal_group(d->pid, SIGTERM);
	/* A stopped process only acts on SIGTERM once continued. */
	child_signal_group(d->pid, SIGCONT);
	d->frozen = false;
	d->stopping = true;
	d->kill_at = shell_now_ns() + GRACE_NS;
	d->gen[DEMO_GEN_RUN]++;
}

static void
leader_gone(struct demo *d, int status)
{
	d->status = status;
	d->exited = true;
	d->pid = 0;
	d->stopping = false;
	d->frozen = false;
	d->t_end = shell_now_ns();
	d->gen[DEMO_GEN_RUN]++;
	child_pgid = 0;
	demo_read_output(d);
	/* A Python run's tasks end with its group (killed if they were still
	 * there): none is left running. */
	for (int i = 1; d->python && i < d->nact; i++)
		d->act[i].state = BOARD_ST_DONE;
	final_sample(d, d->t_end);
}

void
demo_child_event(struct demo *d)
{
	int st = 0;

	if (d->pid && child_leader_exited(d->pid)) {
		/* Leftovers of the group (orphaned process workers) die with
		 * the lesson: nothing outlives the demo. */
		child_signal_group(d->pid, SIGKILL);
		if (child_reap(d->pid, &st))
			leader_gone(d, st);
	} else if (child_reap(d->pid, &st)) {
		child_signal_group(d->pid, SIGKILL);
		leader_gone(d, st);
	}
	if (!d->pid && d->start_pending) { /* the run demo_start held back */
		d->start_pending = false;
		start_now(d);
	}
}

void
demo_stop_wait(struct demo *d)
{
	uint64_t deadline;
	pid_t group = d->pid;

	if (!d->pid)
		return;
	demo_stop(d);
	deadline = shell_now_ns() + GRACE_NS;
	while (d->pid) {
		demo_child_event(d);
		if (!d->pid)
			break;
		if (shell_now_ns() >= deadline) {
			child_signal_group(d->pid, SIGKILL);
			deadline = UINT64_MAX;
		}
		usleep(5000);
	}
	/* The group's process workers got SIGKILL with the leader and came
	 * back to us (we are their subreaper), but may not have died yet:
	 * wait for them, so that none is left a zombie for init when the
	 * shell exits right after. */
	deadline = shell_now_ns() + GRACE_NS;
	while (waitpid(-group, NULL, WNOHANG) >= 0 && shell_now_ns() < deadline)
		usleep(1000);
	/* Anything else left that was ours. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Ask /proc what the kernel says about the actors: all of them (at a
 * freeze, at the end), or, each frame, a slice of those due, so that each
 * is read about every PROC_PERIOD_NS and no frame pays for all: a read
 * costs a few microseconds per task, 5 ms or more for 1024 of them. */
static void
sample_proc(struct demo *d, uint64_t now, bool all)
{
	long tck = procfs_clk_tck();
	int n = d->nact, i = all ? 0 : d->proc_cursor;
	int budget = all ? n : (n + PROC_SLICES - 1) / PROC_SLICES;
	bool any = false;

	if (i >= n)
		i = 0;
	for (int j = 0; j < n && budget > 0; j++, i = (i + 1) % n) {
		struct demo_actor *a = &d->act[i];
		struct procfs_stat ps;
		double dt;

		if (!all && a->ps_ns && now - a->ps_ns < PROC_PERIOD_NS)
			continue; /* not due yet */
		budget--;
		any = true;
		dt = a->ps_ns ? (double)(now - a->ps_ns) / 1e9 : 0;
		a->ps_ns = now;
		if (!a->valid || a->id.pid <= 0 || a->id.tid <= 0) {
			a->ps_ok = false;
			continue;
		}
		if (procfs_read(a->id.pid, a->id.tid, &ps) < 0) {
			a->ps_ok = false;
			a->cpu = 0;
			continue;
		}
		if (a->ps_ok && dt > 0 && ps.ticks >= a->prev_ticks)
			a->cpu = (double)(ps.ticks - a->prev_ticks) / (dt * (double)tck) * 100.0;
		else
			a->cpu = 0;
		a->prev_ticks = ps.ticks;
		a->ps = ps;
		a->ps_ok = true;
	}
	d->proc_cursor = i;
	if (any || all)
		d->last_proc_ns = now;
}

/* A state change into the actor's history (a repeat of the last state,
 * as a STEP event usually is, adds nothing). */
static void
hist_push(struct demo_actor *a, uint64_t t, enum board_state st)
{
	int last = (a->hist_head + a->hist_n - 1) % DEMO_HIST_LEN;

	if (st >= BOARD_ST_COUNT)
		return;
	if (a->hist_n && a->hist[last].state == st)
		return;
	if (a->hist_n == DEMO_HIST_LEN) {
		a->hist_head = (a->hist_head + 1) % DEMO_HIST_LEN;
		a->hist_n--;
		a->hist_lost++;
	}
	last = (a->hist_head + a->hist_n) % DEMO_HIST_LEN;
	a->hist[last].t_ns = t;
	a->hist[last].state = (unsigned char)st;
	a->hist_n++;
}

/* The newest events of an actor a frame: twice what its history keeps.
 * A worker recording every step puts tens of thousands a frame.  Reading
 * them one by one behind a live head (board_event_next) made the shell
 * chase a running worker: up to 73,000 events in one frame at 64 workers
 * (a uprobe count), 5-8 ms, its cache lines ping-ponging with the
 * writer's CPU; page faults were 3-90 a frame, not the cost.  One batch
 * up to the head as it is (board_events_newest) bounds a frame to
 * DEMO_DRAIN_MAX an actor.  The timeline has a column per frame or so. */
enum { DEMO_DRAIN_MAX = 2 * DEMO_HIST_LEN };

static void
drain_events(struct demo_actor *a, const struct board_actor *ba)
{
	struct board_event_copy e[DEMO_DRAIN_MAX];
	size_t n;

	/* Every step is an event now: a frame reads the newest few (see
	 * DEMO_DRAIN_MAX) up to the head as it is now, the rest count as
	 * dropped, so a busy worker's ring costs the shell little. */
	n = board_events_newest(ba, &a->ev_cursor, DEMO_DRAIN_MAX, e, &a->ev_dropped);
	for (size_t k = 0; k < n; k++)
		hist_push(a, e[k].t_ns, e[k].state);
}

/* Walk the history once for all n columns (it is in time order). */
void
demo_states_over(const struct demo *d, int i, uint64_t t0, uint64_t t1, int n,
                 enum board_state *out)
{
	const struct demo_actor *a;
	enum board_state cur = BOARD_ST_IDLE;
	int k = 0, col;

	if (i < 0 || i >= d->nact || t1 <= t0 || n <= 0) {
		for (col = 0; col < n; col++)
			out[col] = BOARD_ST_IDLE;
		return;
	}
	a = &d->act[i];
	/* Before its first known change: not there yet, unless events were
	 * lost (then the oldest we know is the best guess). */
	if (a->hist_n && a->ev_dropped)
		cur = (enum board_state)a->hist[a->hist_head].state;
	for (col = 0; col < n; col++) {
		uint64_t c0 = t0 + (t1 - t0) * (uint64_t)col / (uint64_t)n;
		uint64_t c1 = t0 + (t1 - t0) * (uint64_t)(col + 1) / (uint64_t)n;
		uint64_t spent[BOARD_ST_COUNT] = {0}, at = c0;
		enum board_state best = BOARD_ST_IDLE;

		/* Changes before the column only set the state it starts in. */
		while (k < a->hist_n) {
			const struct demo_hist *h = &a->hist[(a->hist_head + k) % DEMO_HIST_LEN];

			if (h->t_ns > c0)
				break;
			cur = (enum board_state)h->state;
			k++;
		}
		/* No change inside the column (most columns): all its time in
		 * cur.  The first frame of a 1024-worker run spent 1.5 ms here
		 * (perf) tallying such columns. */
		if (c1 > c0 && (k >= a->hist_n ||
		                a->hist[(a->hist_head + k) % DEMO_HIST_LEN].t_ns >= c1)) {
			out[col] = cur;
			continue;
		}
		while (k < a->hist_n) {
			const struct demo_hist *h = &a->hist[(a->hist_head + k) % DEMO_HIST_LEN];

			if (h->t_ns >= c1)
				break;
			spent[cur] += h->t_ns - at;
			at = h->t_ns;
			cur = (enum board_state)h->state;
			k++;
		}
		spent[cur] += c1 - at;
		for (int st = 0; st < BOARD_ST_COUNT; st++)
			if (spent[st] > spent[best])
				best = (enum board_state)st;
		out[col] = best;
	}
}

bool
demo_event_span(const struct demo *d, uint64_t *t0, uint64_t *t1)
{
	bool whole = true;

	*t0 = UINT64_MAX;
	*t1 = 0;
	for (int i = 1; i < d->nact; i++) {
		const struct demo_actor *a = &d->act[i];

		if (!a->hist_n)
			continue;
		whole = whole && !a->hist_lost && !a->ev_dropped;
		if (a->hist[a->hist_head].t_ns < *t0)
			*t0 = a->hist[a->hist_head].t_ns;
		if (a->hist[(a->hist_head + a->hist_n - 1) % DEMO_HIST_LEN].t_ns > *t1)
			*t1 = a->hist[(a->hist_head + a->hist_n - 1) % DEMO_HIST_LEN].t_ns;
	}
	if (*t0 == UINT64_MAX)
		*t0 = *t1 = 0;
	return whole;
}

static void
sample_board(struct demo *d)
{
	struct board *b = d->board;
	uint32_t n = atomic_load_explicit(&b->nactors, memory_order_acquire);
	uint32_t nc = atomic_load_explicit(&b->ncounters, memory_order_acquire);

	if (n > BOARD_MAX_ACTORS)
		n = BOARD_MAX_ACTORS;
	for (uint32_t i = 0; i < n; i++) {
		struct demo_actor *a = &d->act[i];
		const struct board_actor *ba = &b->actor[i];
		struct board_actor_id id;
		uint32_t op;

		if (i >= (uint32_t)d->nact) {
			memset(a, 0, sizeof *a);
			memset(d->tl[i], 0, sizeof d->tl[i]);
		}
		if (board_actor_read(ba, &id)) {
			if (i == 0 && id.pid <= 0 && d->pid > 0) {
				/* Actor 0 is the lesson's main thread: our child. */
				id.pid = id.tid = d->pid;
				id.kind = BOARD_KIND_PROCESS;
			}
			if (a->valid && id.tid != a->id.tid)
				a->ps_ok = false; /* a new run reused the slot */
			a->id = id;
			a->valid = id.kind != BOARD_KIND_NONE;
		}
		drain_events(a, ba);
		a->state = atomic_load_explicit(&ba->state, memory_order_relaxed);
		a->steps = atomic_load_explicit(&ba->steps, memory_order_relaxed);
		op = atomic_load_explicit(&ba->op, memory_order_relaxed);
		if (a->state == BOARD_ST_WAIT_LOCK && atomic_load(&ba->wait_lock) &&
		    atomic_load(&ba->wait_lock) <= BOARD_MAX_LOCKS) {
			/* Whom it waits for: the lock and its holder. */
			const struct board_lock *bl = &b->lock[atomic_load(&ba->wait_lock) - 1];
			int32_t h = atomic_load(&bl->holder);

			if (h > 0)
				snprintf(a->op, sizeof a->op, "waits for %.15s (held by %d)",
				         bl->name, (int)h);
			else
				snprintf(a->op, sizeof a->op, "waits for %.15s", bl->name);
		} else if (op) {
			const char *l = board_label(b, op);

			if (atomic_load_explicit(&ba->op_has_value, memory_order_relaxed))
				snprintf(a->op, sizeof a->op, "%s = %lld", l ? l : "?",
				         (long long)atomic_load_explicit(&ba->op_value,
				                                         memory_order_relaxed));
			else
				snprintf(a->op, sizeof a->op, "%s", l ? l : "?");
			/* At a gate, where it stands in the source. */
			if (a->state == BOARD_ST_GATE && atomic_load(&ba->line)) {
				size_t used = strlen(a->op);

				snprintf(a->op + used, sizeof a->op - used, " (line %u)",
				         atomic_load(&ba->line));
			}
		} else {
			a->op[0] = '\0';
		}
		/* Killed: by which signal, where it was (exit_code is set
		 * by whoever reaped it: -signal). */
		if (a->state == BOARD_ST_KILLED) {
			int32_t ec = atomic_load(&ba->exit_code);
			const char *sig = ec < 0 ? sigabbrev_np(-ec) : NULL;
			char was[sizeof a->op];

			snprintf(was, sizeof was, "%s", a->op);
			if (sig)
				snprintf(a->op, sizeof a->op, "by SIG%s%s%.*s", sig,
				         was[0] ? " at " : "", BOARD_LABEL_LEN, was);
		}
	}
	/* Between two runs the lesson resets the board (nactors 0): keep
	 * showing the last actors until the next run publishes its own. */
	if (n > 0)
		d->nact = (int)n;

	/* One column of history per frame. */
	for (int i = 0; i < d->nact; i++)
		d->tl[i][d->tl_head] = (unsigned char)d->act[i].state;
	d->tl_t[d->tl_head] = shell_now_ns();
	d->tl_head = (d->tl_head + 1) % DEMO_TL_LEN;
	if (d->tl_len < DEMO_TL_LEN)
		d->tl_len++;
	if (nc > BOARD_MAX_COUNTERS)
		nc = BOARD_MAX_COUNTERS;
	for (uint32_t c = 0; c < nc; c++)
		d->spark[c][d->spark_head] =
			atomic_load_explicit(&b->counter[c].value, memory_order_relaxed);
	d->spark_head = (d->spark_head + 1) % DEMO_SPARK_LEN;
	if (d->spark_len < DEMO_SPARK_LEN)
		d->spark_len++;
}

/* Fingerprints for dirty tracking: a frame compares them, so that a board
 * or a /proc sample that did not move leaves the panels undrawn. */
static uint64_t
fp_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

/* Every live field of the board a panel draws: what its actors do, the
 * counters, the locks, the results. */
static uint64_t
board_fingerprint(const struct board *b)
{
	uint32_t n = atomic_load_explicit(&b->nactors, memory_order_acquire);
	uint32_t nc = atomic_load_explicit(&b->ncounters, memory_order_acquire);
	uint32_t nl = atomic_load_explicit(&b->nlocks, memory_order_acquire);
	uint32_t nr = atomic_load_explicit(&b->nresults, memory_order_acquire);
	uint64_t h = fp_mix(fp_mix(fp_mix(n, nc), fp_mix(nl, nr)),
	                    atomic_load_explicit(&b->run_state, memory_order_relaxed));

	for (uint32_t i = 0; i < n && i < BOARD_MAX_ACTORS; i++) {
		const struct board_actor *a = &b->actor[i];

		h = fp_mix(h, atomic_load_explicit(&a->seq, memory_order_relaxed));
		h = fp_mix(h, atomic_load_explicit(&a->state, memory_order_relaxed) |
		              (uint64_t)atomic_load_explicit(&a->op, memory_order_relaxed) << 32);
		h = fp_mix(h, (uint64_t)atomic_load_explicit(&a->op_value, memory_order_relaxed));
		h = fp_mix(h, atomic_load_explicit(&a->steps, memory_order_relaxed));
		h = fp_mix(h, atomic_load_explicit(&a->progress, memory_order_relaxed));
		h = fp_mix(h, atomic_load_explicit(&a->ring_head, memory_order_relaxed));
		h = fp_mix(h, atomic_load_explicit(&a->held, memory_order_relaxed));
		h = fp_mix(h, atomic_load_explicit(&a->wait_lock, memory_order_relaxed) |
		              (uint64_t)atomic_load_explicit(&a->line, memory_order_relaxed) << 32);
		h = fp_mix(h, atomic_load_explicit(&a->grant, memory_order_relaxed) |
		              (uint64_t)atomic_load_explicit(&a->taken, memory_order_relaxed) << 32);
	}
	for (uint32_t i = 0; i < nc && i < BOARD_MAX_COUNTERS; i++)
		h = fp_mix(fp_mix(h, (uint64_t)atomic_load_explicit(&b->counter[i].value,
		                                                    memory_order_relaxed)),
		           (uint64_t)atomic_load_explicit(&b->counter[i].expected,
		                                          memory_order_relaxed));
	for (uint32_t i = 0; i < nl && i < BOARD_MAX_LOCKS; i++) {
		const struct board_lock *l = &b->lock[i];

		h = fp_mix(h, (uint32_t)atomic_load_explicit(&l->holder, memory_order_relaxed) |
		              (uint64_t)atomic_load_explicit(&l->waiters, memory_order_relaxed) << 32);
		h = fp_mix(h, atomic_load_explicit(&l->acquisitions, memory_order_relaxed));
		h = fp_mix(h, atomic_load_explicit(&l->contended, memory_order_relaxed));
		h = fp_mix(h, atomic_load_explicit(&l->wait_ns, memory_order_relaxed));
	}
	h = fp_mix(h, (uint64_t)atomic_load_explicit(&b->result_expected, memory_order_relaxed));
	for (uint32_t i = 0; i < nr && i < BOARD_MAX_RUNS; i++)
		h = fp_mix(h, (uint64_t)atomic_load_explicit(&b->result[i], memory_order_relaxed));
	return h;
}

/* What the kernel said at the last /proc sample, as the procs panel shows it. */
static uint64_t
proc_fingerprint(const struct demo *d)
{
	uint64_t h = (uint64_t)d->nact;

	for (int i = 0; i < d->nact; i++) {
		const struct demo_actor *a = &d->act[i];

		h = fp_mix(h, (uint64_t)a->ps_ok | (uint64_t)(unsigned char)a->ps.state << 8 |
		              (uint64_t)(uint32_t)a->ps.cpu << 32);
		h = fp_mix(h, (uint64_t)a->ps.ppid ^ (uint64_t)a->ps.vcsw << 20 ^
		              (uint64_t)a->ps.ivcsw << 40);
		h = fp_mix(h, (uint64_t)(a->cpu * 10.0)); /* as drawn: whole percent */
	}
	return h;
}

/* After a tick: bump the generations of what moved. */
static void
note_changes(struct demo *d, bool sampled, uint64_t proc_at)
{
	uint64_t fp;

	if (sampled)
		d->gen[DEMO_GEN_SAMPLE]++;
	if ((fp = board_fingerprint(d->board)) != d->board_fp) {
		d->board_fp = fp;
		d->gen[DEMO_GEN_BOARD]++;
	}
	if (d->last_proc_ns != proc_at && (fp = proc_fingerprint(d)) != d->proc_fp) {
		d->proc_fp = fp;
		d->gen[DEMO_GEN_PROC]++;
	}
}

/* Once after the exit, however short the run was (it may have ended
 * before the first frame): the board stays mapped, so the actors, final
 * states, counters, locks and events are still there to read. */
static void
final_sample(struct demo *d, uint64_t now)
{
	uint64_t proc_at = d->last_proc_ns;

	d->final_sampled = true;
	if (!d->board)
		return;
	sample_board(d); /* the run's last word: done states, final values */
	if (d->nact > 0) { /* actor 0 is the lesson program: reaped */
		enum board_state *s0 = &d->act[0].state;

		if (*s0 != BOARD_ST_DONE && *s0 != BOARD_ST_FAILED &&
		    *s0 != BOARD_ST_KILLED)
			*s0 = WIFSIGNALED(d->status) ? BOARD_ST_KILLED : BOARD_ST_DONE;
	}
	sample_proc(d, now, true); /* once more: they are gone */
	note_changes(d, true, proc_at);
	d->last_proc_ns = 0;
}

void
demo_tick(struct demo *d, uint64_t now)
{
	if (d->stopping && now >= d->kill_at) {
		child_signal_group(d->pid, SIGKILL);
		d->kill_at = UINT64_MAX;
	}
	if (!d->board)
		return;
	uint64_t proc_at = d->last_proc_ns;
	bool sampled = d->pid && !d->frozen;
	int seen = d->nact;

	if (d->pid && !d->frozen)
		scan_group(d, now); /* a Python run: its tasks from /proc */
	if (d->pid && !d->frozen)
		sample_board(d);
	/* A frame in which hundreds of actors first appear pays for their
	 * first board reads (page faults) and their rows' first drawing: the
	 * first /proc slice waits for the next frame (one frame later). */
	bool appeared = d->nact >= seen + 64;
	if (d->pid && d->frozen && d->frozen_full > 0) {
		/* Just frozen: every task a few times over, so that what /proc
		 * reads a quarter at a time (context switches) catches up with
		 * the stop in about a second; then the screen stands still. */
		d->frozen_full--;
		sample_proc(d, now, true);
	} else if (d->pid && !appeared)
		sample_proc(d, now, false);
	else if (!d->pid && d->exited && !d->final_sampled)
		final_sample(d, now);
	note_changes(d, sampled, proc_at);
}

void
demo_freeze(struct demo *d, bool on)
{
	if (!d->pid || d->stopping || on == d->frozen)
		return;
	if (child_signal_group(d->pid, on ? SIGSTOP : SIGCONT) == 0) {
		d->frozen = on;
		d->t_frozen = shell_now_ns();
		d->frozen_full = on ? PROC_STATUS_ROUNDS : 0;
		d->gen[DEMO_GEN_RUN]++;
		if (d->board)
			atomic_store(&d->board->control.freeze, on ? 1u : 0u);
		sample_proc(d, shell_now_ns(), true); /* the new kernel states at once */
	}
}

const char *
demo_kill_actor(struct demo *d, int i)
{
	static char msg[200];
	struct demo_actor *a;

	if (!d->pid || i < 0 || i >= d->nact || !d->act[i].valid)
		return "no running worker selected";
	a = &d->act[i];
	/* Only ever signal a task of our own demo's group. */
	if (getpgid(a->id.pid) != d->pid)
		return "that worker is gone";
	if (a->id.kind == BOARD_KIND_PROCESS || i == 0) {
		if (kill(a->id.pid, SIGKILL) < 0)
			return "kill failed";
		snprintf(msg, sizeof msg,
		         i == 0 ? "SIGKILL to the lesson's main process %d"
		                : "SIGKILL to process %d: a process worker dies alone",
		         (int)a->id.pid);
	} else {
		if (syscall(SYS_tgkill, a->id.pid, a->id.tid, SIGKILL) < 0)
			return "tgkill failed";
		snprintf(msg, sizeof msg,
		         "SIGKILL to thread %d: a signal that kills kills the whole process %d",
		         (int)a->id.tid, (int)a->id.pid);
	}
	return msg;
}

const char *
demo_status_text(const struct demo *d, char *buf, size_t n)
{
	uint64_t now = shell_now_ns();

	if (d->pid) {
		/* Frozen, its clock stops too (and the title stays as it is). */
		snprintf(buf, n, "%s pid %d  %.1f s", d->frozen ? "FROZEN" :
		         d->stopping ? "stopping" : "running", (int)d->pid,
		         (double)((d->frozen ? d->t_frozen : now) - d->t_start) / 1e9);
	} else if (d->exited) {
		double secs = (double)(d->t_end - d->t_start) / 1e9;

		char how[64];

		/* A watched program: how it ended, not racelab-watch's 0. */
		if (d->start_argc && md_watch_is(d->start_argv[0]) && WIFEXITED(d->status) &&
		    WEXITSTATUS(d->status) == 0 && watch_run_outcome(d, how, sizeof how))
			snprintf(buf, n, "%s after %.1f s", how, secs);
		else if (WIFEXITED(d->status))
			snprintf(buf, n, "exited %d after %.1f s", WEXITSTATUS(d->status), secs);
		else if (WIFSIGNALED(d->status))
			snprintf(buf, n, "killed by SIG%s after %.1f s",
			         sigabbrev_np(WTERMSIG(d->status)) ?
			         sigabbrev_np(WTERMSIG(d->status)) : "?", secs);
		else
			snprintf(buf, n, "ended");
	} else if (d->failed) {
		snprintf(buf, n, "not started");
	} else {
		snprintf(buf, n, "idle");
	}
	return buf;
}

/* A number that changes whenever demo_status_text's would (cheaper than
 * formatting it): the run's generation and, while the clock runs, its
 * tenths of a second, rounded as "%.1f" rounds them. */
uint64_t
demo_status_key(const struct demo *d)
{
	uint64_t k = d->gen[DEMO_GEN_RUN] << 32;

	if (d->pid && !d->frozen)
		k += (shell_now_ns() - d->t_start + 50 * 1000 * 1000) / (100 * 1000 * 1000);
	return k;
}

void
demo_step_mode(struct demo *d, bool on)
{
	d->step_sticky = on;
	if (!d->board)
		return;
	atomic_store(&d->board->control.step_mode, on ? 1u : 0u);
	if (!on) {
		uint32_t n = atomic_load(&d->board->nactors);

		for (uint32_t i = 0; i < n && i < BOARD_MAX_ACTORS; i++)
			board_gate_wake(&d->board->actor[i]);
	}
}

bool
demo_step_sticky(const struct demo *d)
{
	return d->step_sticky;
}

/* g: this run goes on freely; the next run starts in step mode again. */
void
demo_release(struct demo *d)
{
	bool sticky = d->step_sticky;

	demo_step_mode(d, false);
	d->step_sticky = sticky;
}
