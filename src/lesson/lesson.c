// The lesson model: run blocks, goals, quizzes, argv splitting, and
// reading a lesson file safely.  The format is described in lesson.h.
#include "lesson/lesson.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lesson/util.h"
#include "lesson/watch_cmd.h"

const char *const md_panel_names[MD_PANEL_COUNT] = {
	[MD_PANEL_PROCS] = "procs",         [MD_PANEL_STEP] = "step",
	[MD_PANEL_SOURCE] = "source",
	[MD_PANEL_COUNTERS] = "counters",
	[MD_PANEL_LOCKS] = "locks",         [MD_PANEL_TIMELINE] = "timeline",
	[MD_PANEL_HISTOGRAM] = "histogram", [MD_PANEL_OUTPUT] = "output",
};

enum { MAX_RUN_WORDS = 64, MAX_EXPECTS = 16, MAX_GOALS = 8 };

/* Out of memory: one line and exit 1, not a silent abort.  Weak: the
 * shell's own (term.c) kills the demo and restores the terminal first. */
__attribute__((weak)) void
md_out_of_memory(void)
{
	static const char msg[] = "racelab: out of memory\n";

	(void)!write(STDERR_FILENO, msg, sizeof msg - 1);
	_exit(1);
}

void *
md_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		md_out_of_memory(); /* while parsing a small text file */
	return q;
}

char *
md_xstrndup(const char *s, size_t n)
{
	char *p = md_xrealloc(NULL, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *
md_grow(void *p, int n, size_t size)
{
	if (n == 0)
		return md_xrealloc(p, size);
	if ((n & (n - 1)) == 0)
		return md_xrealloc(p, 2 * (size_t)n * size);
	return p;
}

char *
md_trim(char *s)
{
	char *z;

	while (*s == ' ' || *s == '\t')
		s++;
	z = s + strlen(s);
	while (z > s && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
		*--z = '\0';
	return s;
}

void
md_buf_add(struct md_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = md_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
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
md_parse_panels(const char *s, unsigned *mask, unsigned char *order,
                int *norder, char *bad, size_t badlen)
{
	int no = 0;

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
		if (order && !(*mask & 1u << i))
			order[no++] = (unsigned char)i;
		*mask |= 1u << i;
		s += n;
	}
	if (norder)
		*norder = no;
	return 0;
}

int
md_split_argv(const char *s, char ***argvp, int max)
{
	char **argv = md_xrealloc(NULL, (size_t)(max + 1) * sizeof *argv);
	int argc = 0;

	for (;;) {
		struct md_buf w = {0};
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
				md_buf_add(&w, s + 1, (size_t)(end - s - 1));
				s = end + 1;
			} else {
				md_buf_add(&w, s, 1);
				s++;
			}
			any = true;
		}
		if (argc == max) {
			free(w.s);
			goto bad;
		}
		argv[argc++] = any && w.s ? w.s : md_xstrndup("", 0);
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
	int k, after_num = 0; /* where the text after N begins */

	memset(g, 0, sizeof *g);
	if (n >= sizeof cond) {
		snprintf(err, errlen, "goal condition too long");
		return -1;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--; /* before "::" */
	memcpy(cond, s, n);
	cond[n] = '\0';
	c = skip_blank(cond);
	k = sscanf(c, "%31s %63s %7s %31s %7s", word, name, op, num, extra);
	if (sscanf(c, "%*31s %*63s %*7s %*31s%n", &after_num) < 0)
		after_num = 0;
	if (k >= 1 && strcmp(word, "deadlock") == 0 && k == 1) {
		g->kind = MD_GOAL_DEADLOCK;
	} else if (k == 2 && strcmp(word, "all") == 0 && strcmp(name, "blocked") == 0) {
		g->kind = MD_GOAL_ALL_BLOCKED;
	} else if (k >= 2 && strcmp(word, "reached") == 0) {
		/* The label is the rest, spaces and all ("take from empty"). */
		const char *l = skip_blank(c + strlen("reached"));
		size_t ln = strlen(l);

		if (ln >= sizeof g->label) {
			snprintf(err, errlen, "goal: label '%.20s...' too long (at most %zu bytes)",
			         l, sizeof g->label - 1);
			return -1;
		}
		g->kind = MD_GOAL_REACHED;
		memcpy(g->label, l, ln);
		g->label[ln] = '\0';
	} else if ((k == 4 && (strcmp(word, "counter") == 0 || strcmp(word, "critical") == 0)) ||
	           (k > 4 && strcmp(word, "counter") == 0 && after_num > 0 &&
	            strcmp(skip_blank(c + after_num), "at any time") == 0)) {
		g->kind = word[1] == 'o' ? MD_GOAL_COUNTER : MD_GOAL_CRITICAL;
		g->any_time = k > 4; /* judged after every step, not at the end only */
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
		snprintf(err, errlen, "goal: expected 'counter NAME CMP N [at any time]', "
		         "'critical LOCK CMP N', 'reached LABEL', 'deadlock' or 'all blocked'");
		return -1;
	}
	if (sep) {
		const char *t = skip_blank(sep + 2);

		g->text = md_xstrndup(t, strlen(t));
	}
	if (!g->text || !g->text[0]) {
		free(g->text);
		n = strlen(c);
		while (n && (c[n - 1] == ' ' || c[n - 1] == '\t'))
			n--;
		g->text = md_xstrndup(c, n);
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
	struct md_buf question = {0};
	const char *answer = NULL;
	int line = 0, answer_line = 0;

	memset(q, 0, sizeof *q);
	*errline = 0;
	while (*text) {
		size_t n = strcspn(text, "\n");
		char *ln = md_xstrndup(text, n), *a = md_trim(ln);

		line++;
		if (strncmp(a, "answer:", 7) == 0) {
			free((char *)answer);
			answer = md_xstrndup(a + 7, strlen(a + 7));
			answer_line = line;
		} else if (a[0] == '-' && (a[1] == ' ' || a[1] == '\t')) {
			if (q->nchoice == 9) {
				free(ln);
				snprintf(err, errlen, "quiz: more than 9 choices");
				*errline = line;
				goto bad;
			}
			q->choice = md_xrealloc(q->choice, (size_t)(q->nchoice + 1) * sizeof *q->choice);
			q->choice[q->nchoice++] = md_xstrndup(skip_blank(a + 2), strlen(skip_blank(a + 2)));
		} else if (*a) {
			if (q->nchoice) {
				free(ln);
				snprintf(err, errlen, "quiz: question text after the choices");
				*errline = line;
				goto bad;
			}
			if (question.len)
				md_buf_add(&question, " ", 1);
			md_buf_add(&question, a, strlen(a));
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

void
md_run_free(struct md_run *r)
{
	md_argv_free(r->argv);
	for (int i = 0; i < r->ngoal; i++)
		md_goal_free(&r->goal[i]);
	free(r->goal);
	free(r->expect);
	md_argv_free(r->verify_argv);
	free(r);
}

/* The run block is complete: check it and attach it to the step. */

bool
md_plain_name_valid(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	/* A plain file name of the lesson's folder: no '/', so no "..", no
	 * other directory; no leading '.' or '-' (not hidden, not an option
	 * of python3 or cc); a stem of 1 to 61 characters. */
	if (n < e + 1 || n > e + 61 || strcmp(name + n - e, ext) != 0 ||
	    name[0] == '.' || name[0] == '-')
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			return false;
	return strstr(name, "..") == NULL;
}

bool
md_py_name_valid(const char *name)
{
	return md_plain_name_valid(name, ".py");
}

/* "python FILE.py ARGS": FILE.py must be a plain name (md_lesson_load
 * checks that it is a regular file in the lesson's folder). */
static int
check_python(char **argv, char *err, size_t errlen)
{
	if (!argv[1]) {
		snprintf(err, errlen, "python run line names no .py file (python FILE.py ARGS)");
		return -1;
	}
	if (!md_py_name_valid(argv[1])) {
		snprintf(err, errlen, "python: '%.40s' is not a .py file of the lesson's folder "
		         "(a plain name: no '/', no '..')", argv[1]);
		return -1;
	}
	return 0;
}

/* The program named by argv[0] ("racelab-" tolerated and dropped): a
 * lesson program or python with a .py of the lesson, or -1 with a
 * message. */
static int
check_prog(char **argv, md_prog_ok_fn ok, void *ctx, char *err, size_t errlen)
{
	if (strcmp(argv[0], "python") == 0)
		return check_python(argv, err, errlen);
	if (md_watch_is(argv[0])) {
		int argc = 0;

		while (argv[argc])
			argc++;
		if (md_watch_check_words(argv, argc, err, errlen) < 0)
			return -1;
	}
	if (strncmp(argv[0], "racelab-", 8) == 0)
		memmove(argv[0], argv[0] + 8, strlen(argv[0] + 8) + 1);
	if (!md_slug_valid(argv[0]) || (ok && !ok(argv[0], ctx))) {
		snprintf(err, errlen, "run block names unknown program '%.32s' (no racelab-%.32s)",
		         argv[0], argv[0]);
		return -1;
	}
	return 0;
}

/* A run block's line, split and checked: a command (the argv line or a
 * verify: line).  argc, or -1 with a message. */
static int
parse_cmd(const char *cmd, char ***argvp, md_prog_ok_fn ok, void *ctx, char *err,
          size_t errlen)
{
	int argc = md_split_argv(cmd, argvp, MAX_RUN_WORDS);

	if (argc <= 0) {
		md_argv_free(*argvp);
		*argvp = NULL;
		snprintf(err, errlen, "bad run line (unterminated quote or too many words)");
		return -1;
	}
	if (check_prog(*argvp, ok, ctx, err, errlen) < 0) {
		md_argv_free(*argvp);
		*argvp = NULL;
		return -1;
	}
	return argc;
}

int
md_run_parse(const char *t, int first_line, md_prog_ok_fn ok, void *ctx,
             struct md_run **rp, char *err, size_t errlen, int *errline)
{
	struct md_run *r = md_xrealloc(NULL, sizeof *r);
	int line = first_line;

	memset(r, 0, sizeof *r);
	r->line = first_line;
	*rp = NULL;
	*errline = first_line;
	while (*t) {
		size_t n = strcspn(t, "\n");
		char *ln = md_xstrndup(t, n), *a = md_trim(ln);
		int bad = 0;

		line++;
		if (strncmp(a, "goal:", 5) == 0) {
			if (r->ngoal == MAX_GOALS) {
				snprintf(err, errlen, "more than %d goals in a run block", MAX_GOALS);
				bad = 1;
			} else {
				r->goal = md_grow(r->goal, r->ngoal, sizeof *r->goal);
				bad = md_goal_parse(a + 5, &r->goal[r->ngoal], err, errlen) < 0;
				if (!bad)
					r->goal[r->ngoal++].line = line;
			}
		} else if (strncmp(a, "expect:", 7) == 0) {
			if (r->nexpect == MAX_EXPECTS) {
				snprintf(err, errlen, "more than %d expect: lines in a run block",
				         MAX_EXPECTS);
				bad = 1;
			} else {
				r->expect = md_grow(r->expect, r->nexpect, sizeof *r->expect);
				bad = md_expect_parse(a + 7, &r->expect[r->nexpect], err, errlen) < 0;
				if (!bad)
					r->expect[r->nexpect++].line = line;
			}
		} else if (strncmp(a, "verify:", 7) == 0) {
			if (r->verify_argv) {
				snprintf(err, errlen, "a second verify: line in a run block");
				bad = 1;
			} else {
				r->verify_argc = parse_cmd(a + 7, &r->verify_argv, ok, ctx, err, errlen);
				bad = r->verify_argc < 0;
			}
		} else if (strncmp(a, "panels:", 7) == 0) {
			char name[40];

			if (md_parse_panels(a + 7, &r->panels, r->panel_order,
			                    &r->npanel_order, name, sizeof name) < 0) {
				snprintf(err, errlen, "unknown panel '%s' (known: procs step counters locks source timeline histogram output)",
				         name);
				bad = 1;
			}
		} else if (*a && r->argv) {
			snprintf(err, errlen, "a run block holds one command");
			bad = 1;
		} else if (*a) {
			r->argc = parse_cmd(a, &r->argv, ok, ctx, err, errlen);
			bad = r->argc < 0;
			r->python = !bad && strcmp(r->argv[0], "python") == 0;
			r->cmd_line = line;
		}
		free(ln);
		if (bad) {
			*errline = line;
			md_run_free(r);
			return -1;
		}
		t += n;
		if (*t == '\n')
			t++;
	}
	if (!r->argv) {
		snprintf(err, errlen, "empty run block");
		md_run_free(r);
		return -1;
	}
	if (r->python && r->ngoal) {
		snprintf(err, errlen, "goal: a python block has no board to judge a goal on");
		*errline = r->goal[0].line;
		md_run_free(r);
		return -1;
	}
	if (r->verify_argv && r->python &&
	    (!r->verify_argv[1] || strcmp(r->verify_argv[1], r->argv[1]) != 0)) {
		snprintf(err, errlen, "verify: runs another program than the block's %.64s",
		         r->argv[1]);
		md_run_free(r);
		return -1;
	}
	if (r->verify_argv && strcmp(r->verify_argv[0], r->argv[0]) != 0) {
		snprintf(err, errlen, "verify: runs racelab-%.32s, the block runs racelab-%.32s",
		         r->verify_argv[0], r->argv[0]);
		md_run_free(r);
		return -1;
	}
	*rp = r;
	return 0;
}

int
md_read_file(const char *path, size_t max, char **bufp, size_t *lenp, char *err,
             size_t errlen, int *errline)
{
	/* O_NONBLOCK: opening a FIFO with no writer must not wait for one;
	 * fstat then refuses anything but a regular file before a read. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	*bufp = NULL;
	*lenp = 0;
	*errline = 0;
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	/* Read up to max + 1 bytes whatever st_size says: the file may grow. */
	buf = md_xrealloc(NULL, max + 2);
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0 || (len += (size_t)n) > max)
			break;
	}
	close(fd);
	if (len > max) {
		int line = 1;

		for (size_t i = 0; i < max; i++)
			line += buf[i] == '\n';
		snprintf(err, errlen, "file too large (more than %zu bytes)", max);
		*errline = line;
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*bufp = md_xrealloc(buf, len + 1);
	*lenp = len;
	return 0;
}

/* Every python block's FILE.py: a regular file in dir itself (lstat: a
 * symbolic link, a directory or a FIFO is refused too), or -1 with the
 * block's line. */
static int
check_scripts(struct md_lesson *l, const char *dir)
{
	for (int s = 0; s < l->nstep; s++)
		for (int i = 0; i < l->step[s].nrun; i++) {
			const struct md_run *r = l->step[s].runs[i];
			char p[4096];
			struct stat st;

			if (!r->python)
				continue;
			if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, r->argv[1]) >= sizeof p ||
			    lstat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
				snprintf(l->error, sizeof l->error, "python: no file %.64s in the "
				         "lesson's folder (or not a regular file)", r->argv[1]);
				l->error_line = r->cmd_line;
				return -1;
			}
		}
	return 0;
}

/* Every exercise's template and driver: regular files in dir/exercises,
 * or -1 with the block's line. */
static int
check_exercises(struct md_lesson *l, const char *dir)
{
	for (int s = 0; s < l->nstep; s++) {
		const struct md_exercise *x = l->step[s].ex;
		const char *f[2];

		if (!x)
			continue;
		f[0] = x->template_file;
		f[1] = x->driver;
		for (int i = 0; i < 2; i++) {
			char p[4096];
			struct stat st;

			if ((size_t)snprintf(p, sizeof p, "%s/exercises/%s", dir, f[i]) >= sizeof p ||
			    lstat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
				snprintf(l->error, sizeof l->error, "exercise %s: no file exercises/%.64s "
				         "in the lesson's folder (or not a regular file)", x->name, f[i]);
				l->error_line = x->line;
				return -1;
			}
		}
	}
	return 0;
}

/* Every watch block's program files: inside dir once resolved (no link
 * out of the lesson's folder), or -1 with the block's line. */
static int
check_watched(struct md_lesson *l, const char *dir)
{
	for (int s = 0; s < l->nstep; s++)
		for (int i = 0; i < l->step[s].nrun; i++) {
			const struct md_run *r = l->step[s].runs[i];
			char *const *words[2] = {r->argv, r->verify_argv};
			int counts[2] = {r->argc, r->verify_argc};

			for (int k = 0; k < 2; k++) {
				int prog, nf;
				char real[4096];

				if (!words[k] || !md_watch_is(words[k][0]))
					continue;
				prog = md_watch_prog(words[k], counts[k]);
				nf = md_watch_nfiles(words[k], counts[k], prog);
				for (int f = prog; f < prog + nf; f++) {
					char why[320];

					if (md_watch_in_dir(dir, words[k][f], real, sizeof real) < 0) {
						snprintf(l->error, sizeof l->error, "watch: %.64s is not "
						         "a file of the lesson's folder (a lesson may "
						         "watch only its own programs)", words[k][f]);
						l->error_line = r->cmd_line;
						return -1;
					}
					/* A script, a static program: what racelab-watch
					 * would refuse, said when the lesson is loaded. */
					if (md_watch_check_file(real, why, sizeof why) < 0) {
						const char *tail = strstr(why, ": ");

						snprintf(l->error, sizeof l->error, "watch: %.64s%.200s",
						         words[k][f], tail ? tail : why);
						l->error_line = r->cmd_line;
						return -1;
					}
				}
			}
		}
	return 0;
}

int
md_lesson_load(struct md_lesson *l, const char *path, md_prog_ok_fn ok, void *ctx)
{
	char why[200], *text;
	size_t len;
	int r, line;

	if (md_read_file(path, MD_LESSON_MAX_BYTES, &text, &len, why, sizeof why, &line) < 0) {
		memset(l, 0, sizeof *l);
		l->error_line = line;
		if (line)
			snprintf(l->error, sizeof l->error, "%.250s:%d: %.120s", path, line, why);
		else
			snprintf(l->error, sizeof l->error, "%.250s: %.120s", path, why);
		return -1;
	}
	r = md_lesson_parse(l, text, len, ok, ctx);
	free(text);
	if (r == 0) {
		/* The lesson's sources sit beside its lesson.md. */
		char dir[4096];
		const char *slash = strrchr(path, '/');

		snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1,
		         slash ? path : ".");
		md_lesson_refs(l, dir);
		r = check_scripts(l, dir);
		if (r == 0)
			r = check_watched(l, dir);
		if (r == 0)
			r = check_exercises(l, dir);
	}
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
		md_run_free(s->runs[i]);
	free(s->runs);
	free(s->ref);
	md_exercise_free(s->ex);
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


/* ---- DOC: references ---------------------------------------------------- */

enum { MAX_MARKERS = 128, SOURCE_MAX_BYTES = 1 << 20 };

/* Is line (NUL- or LF-ended) a function definition's name line?  The
 * style puts the return type on the line above, the name at column 0:
 * "update(struct bank *b)".  Returns the name's length, or 0. */
static size_t
def_name(const char *line)
{
	size_t n = 0;

	while ((line[n] >= 'a' && line[n] <= 'z') || (line[n] >= 'A' && line[n] <= 'Z') ||
	       line[n] == '_' || (n && line[n] >= '0' && line[n] <= '9'))
		n++;
	return n && line[n] == '(' ? n : 0;
}

/* The name a declaration line declares: "static long g = 1;" -> g. */
static bool
decl_name(const char *line, char *buf, size_t len)
{
	const char *end = line + strcspn(line, "=;[");
	const char *b;

	if (!*end || strchr(line, '(') || line[0] == '#' || line[0] == ' ' || line[0] == '\t')
		return false;
	while (end > line && end[-1] == ' ')
		end--;
	for (b = end; b > line && (isalnum((unsigned char)b[-1]) || b[-1] == '_'); b--)
		;
	if (b == end)
		return false;
	snprintf(buf, len, "%.*s", (int)(end - b), b);
	return true;
}

/* Where a marker on line `at` (0-based) of the lines ls[0..n) sits: in
 * the function above it, unless a closing brace at column 0 comes first;
 * then it documents what follows its comment: a function, a struct, a
 * variable.  Else its own line. */
static void
marker_where(char **ls, int n, int at, const char *file, char *buf, size_t len)
{
	char name[64];
	size_t k;
	int i;

	for (i = at; i >= 0; i--) {
		if (ls[i][0] == '}')
			break;
		if ((k = def_name(ls[i]))) {
			snprintf(buf, len, "%s: %.*s()", file, (int)k, ls[i]);
			return;
		}
	}
	for (i = at; i < n && !strstr(ls[i], "*/"); i++) /* the comment's end */
		;
	for (i++; i < n && (ls[i][0] == '\0' || ls[i][0] == '#'); i++)
		; /* blank lines and the comment's own #defines */
	if (i < n && i + 1 < n && !def_name(ls[i]) && def_name(ls[i + 1]))
		i++; /* the return type stands on the line above the name */
	if (i < n && (k = def_name(ls[i])))
		snprintf(buf, len, "%s: %.*s()", file, (int)k, ls[i]);
	else if (i < n && strncmp(ls[i], "struct ", 7) == 0 && strchr(ls[i], '{'))
		snprintf(buf, len, "%s: struct %.*s", file, (int)strcspn(ls[i] + 7, " {"),
		         ls[i] + 7);
	else if (i < n && decl_name(ls[i], name, sizeof name))
		snprintf(buf, len, "%.40s: %.40s", file, name);
	else
		snprintf(buf, len, "%s: line %d", file, at + 1);
}

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* The markers of one source file, appended to m[*n]. */
static void
scan_source(const char *dir, const char *file, struct md_ref *m, int *nm)
{
	char path[4096], err[160], *text, **ls = NULL;
	size_t len;
	int n = 0, line;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path ||
	    md_read_file(path, SOURCE_MAX_BYTES, &text, &len, err, sizeof err, &line) < 0)
		return;
	for (char *s = text; *s;) {
		ls = md_grow(ls, n, sizeof *ls);
		ls[n++] = s;
		s += strcspn(s, "\n");
		if (*s)
			*s++ = '\0';
	}
	for (int i = 0; i < n && *nm < MAX_MARKERS; i++) {
		const char *d = strstr(ls[i], "DOC:");
		struct md_ref *r;
		size_t k;

		if (!d)
			continue;
		d += 4;
		while (*d == ' ')
			d++;
		for (k = 0; name_char(d[k]); k++)
			;
		if (k == 0 || k >= sizeof m->name)
			continue;
		r = &m[(*nm)++];
		memset(r, 0, sizeof *r);
		memcpy(r->name, d, k);
		snprintf(r->file, sizeof r->file, "%.63s", file);
		r->line = i + 1;
		marker_where(ls, n, i, r->file, r->where, sizeof r->where);
	}
	free(ls);
	free(text);
}

/* Append a span to a new array of spans (out, *n), merging nothing. */
static void
push_span(struct md_span **out, int *n, unsigned attr, const char *t, size_t len)
{
	if (len == 0)
		return;
	*out = md_grow(*out, *n, sizeof **out);
	(*out)[*n].attr = attr;
	(*out)[*n].text = md_xstrndup(t, len);
	(*out)[*n].len = len;
	(*n)++;
}

/* Note reference m[i] on the step (once per name). */
static void
note_ref(struct md_step *s, const struct md_ref *r)
{
	for (int j = 0; j < s->nref; j++)
		if (strcmp(s->ref[j].name, r->name) == 0)
			return;
	s->ref = md_grow(s->ref, s->nref, sizeof *s->ref);
	s->ref[s->nref++] = *r;
}

/* One span, split where it says "DOC: name": the place of the marker
 * becomes a span of its own (MDL_REF), so the view can mark it. */
static void
split_span(const struct md_span *sp, struct md_step *s, const struct md_ref *m, int nm,
           struct md_span **out, int *n)
{
	const char *t = sp->text, *d, *from = t;

	while ((d = strstr(t, "DOC:"))) {
		const char *q = d + 4;
		char name[32];
		size_t k;
		int i;

		while (*q == ' ')
			q++;
		for (k = 0; name_char(q[k]); k++)
			;
		if (k == 0 || k >= sizeof name) { /* not a reference */
			t = d + 4;
			continue;
		}
		memcpy(name, q, k);
		name[k] = '\0';
		for (i = 0; i < nm && strcmp(m[i].name, name) != 0; i++)
			;
		push_span(out, n, sp->attr, from, (size_t)(d - from));
		if (i < nm) {
			push_span(out, n, sp->attr | MDL_REF, m[i].where, strlen(m[i].where));
			note_ref(s, &m[i]);
		} else {
			char miss[64];

			snprintf(miss, sizeof miss, "%s (no such marker)", name);
			push_span(out, n, sp->attr, miss, strlen(miss));
		}
		t = from = q + k;
	}
	push_span(out, n, sp->attr, from, strlen(from));
}

static void
block_refs(struct md_block *b, struct md_step *s, const struct md_ref *m, int nm)
{
	struct md_span *out = NULL;
	int n = 0;
	bool any = false;

	for (int j = 0; j < b->nspan && !any; j++)
		any = strstr(b->span[j].text, "DOC:") != NULL;
	if (!any)
		return;
	for (int j = 0; j < b->nspan; j++) {
		if (strcmp(b->span[j].text, "\n") == 0) /* a hard break stays one */
			push_span(&out, &n, b->span[j].attr, "\n", 1);
		else
			split_span(&b->span[j], s, m, nm, &out, &n);
		free(b->span[j].text);
	}
	free(b->span);
	b->span = out;
	b->nspan = n;
}

static void
step_refs(struct md_step *s, const struct md_ref *m, int nm)
{
	for (int i = 0; i < s->nblock; i++)
		block_refs(&s->block[i], s, m, nm);
}

void
md_lesson_refs(struct md_lesson *l, const char *dir)
{
	struct md_ref *m = md_xrealloc(NULL, MAX_MARKERS * sizeof *m);
	DIR *d = opendir(dir);
	struct dirent *de;
	int nm = 0;

	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 2 && strcmp(de->d_name + n - 2, ".c") == 0)
			scan_source(dir, de->d_name, m, &nm);
	}
	if (d)
		closedir(d);
	step_refs(&l->intro, m, nm);
	for (int i = 0; i < l->nstep; i++)
		step_refs(&l->step[i], m, nm);
	free(m);
}
