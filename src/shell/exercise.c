// Exercises: the learner writes the fix in C and racelab checks it under
// every interleaving.  This file finds the exercises of the lessons (their
// ```exercise blocks), keeps the learner's copies, runs the check and
// serves the command line:
//
//   racelab --exercises [--json]        the exercises and their state
//   racelab --check NAME [FILE] [--json]   PASS, or FAIL with a --schedule
//   racelab --hint NAME                 the next hint, recorded
//
// The check judges by behaviour, never by reading the source: it hands the
// lesson's driver and the learner's file to racelab-watch, which compiles
// them together with its scheduling hooks, explores the interleavings
// (racelab-watch --explore --json, COMMON contract) and runs them on free
// threads (--runs N --json); any run that exits non-zero, dies of a
// signal, deadlocks, leaves everyone asleep or hits the step bound fails
// the exercise.  The shell runs the same check as a child
// (`racelab --check NAME FILE --json --no-progress`) and reads its verdict.
#include "shell/shell.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	EX_OUT_MAX = 4 << 20,    /* of racelab-watch's stdout kept */
	EX_ERR_MAX = 64 << 10,   /* of its stderr */
	EX_TIMEOUT_S = 120,      /* an exploration, all of it */
	EX_FREE_TIMEOUT_S = 30,  /* free runs: a thread asleep for ever ends there */
	/* The exploration's caps: a run of a right solution takes under 100
	 * steps (slot, the longest, about 85), so 300 is a spinning thread;
	 * and at most 2000 runs (a few seconds here) per check. */
	EX_MAX_STEPS = 300,
	EX_MAX_RUNS = 2000,
};

/* ---- finding exercises -------------------------------------------------- */

int
exercise_at(const struct catalog *c, int k, struct exercise *out)
{
	for (int i = 0; i < c->n; i++) {
		if (!c->e[i].ok)
			continue;
		for (int s = 0; s < c->e[i].doc.nstep; s++) {
			if (!c->e[i].doc.step[s].ex)
				continue;
			if (k-- == 0) {
				out->x = c->e[i].doc.step[s].ex;
				out->lesson = &c->e[i];
				return 0;
			}
		}
	}
	return -1;
}

int
exercise_find(const struct catalog *c, const char *name, struct exercise *out)
{
	for (int k = 0; exercise_at(c, k, out) == 0; k++)
		if (strcmp(out->x->name, name) == 0)
			return 0;
	return -1;
}

void
exercise_source(const struct exercise *e, bool driver, char *buf, size_t n)
{
	if ((size_t)snprintf(buf, n, "%s/exercises/%s", e->lesson->dir,
	                     driver ? e->x->driver : e->x->template_file) >= n)
		buf[0] = '\0'; /* too long: no such file */
}

/* $XDG_DATA_HOME/racelab/exercises (a relative XDG_DATA_HOME is ignored,
 * as the spec says), or ~/.local/share/racelab/exercises; "" without HOME. */
static void
workspace_dir(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (!(xdg && xdg[0] == '/' &&
	      (size_t)snprintf(buf, n, "%s/racelab/exercises", xdg) < n) &&
	    !(home && home[0] == '/' &&
	      (size_t)snprintf(buf, n, "%s/.local/share/racelab/exercises", home) < n))
		buf[0] = '\0';
}

int
exercise_file(const char *name, char *buf, size_t n)
{
	char dir[PATH_MAX];

	workspace_dir(dir, sizeof dir);
	if (!dir[0]) {
		buf[0] = '\0';
		return -1;
	}
	return (size_t)snprintf(buf, n, "%s/%s.c", dir, name) < n ? 0 : -1;
}

int
exercise_copy(const struct exercise *e, char *path, size_t n, char *err, size_t errlen)
{
	char src[PATH_MAX], dir[PATH_MAX], buf[8192];
	int in, out;
	ssize_t r;

	if (exercise_file(e->x->name, path, n) < 0) {
		snprintf(err, errlen, "no HOME: nowhere to keep your copy");
		return -1;
	}
	workspace_dir(dir, sizeof dir);
	if (progress_mkdirs(dir) < 0) {
		snprintf(err, errlen, "cannot make %s: %s", dir, strerror(errno));
		return -1;
	}
	exercise_source(e, false, src, sizeof src);
	/* O_EXCL: the learner's work is never overwritten, and nothing
	 * planted there (a symlink) is followed. */
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0 && errno == EEXIST)
		return 0;
	if (out < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	in = shell_open_regular(AT_FDCWD, src, 1 << 20, O_RDONLY);
	if (in < 0) {
		snprintf(err, errlen, "cannot read %s: %s", src, strerror(errno));
		close(out);
		unlink(path);
		return -1;
	}
	while ((r = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)r) != r) {
			r = -1;
			break;
		}
	close(in);
	if (r < 0 || close(out) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
		unlink(path);
		return -1;
	}
	return 1;
}

/* ---- running racelab-watch ----------------------------------------------- */

struct ex_run {
	char *out, *err; /* NUL-terminated */
	size_t nout, nerr;
	int status;      /* wait status; -1: did not start */
	bool timed_out;
};

static void
buf_take(char **b, size_t *n, size_t cap, const char *p, size_t k)
{
	if (*n + k > cap)
		k = *n < cap ? cap - *n : 0;
	*b = realloc(*b, *n + k + 1);
	if (!*b)
		shell_oom();
	memcpy(*b + *n, p, k);
	*n += k;
	(*b)[*n] = '\0';
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run argv in a process group of its own, stdout and stderr collected;
 * killed (the group) after EX_TIMEOUT_S, and with us if we die. */
static void
run_cmd(char *const argv[], struct ex_run *r, int timeout_s)
{
	int op[2], ep[2];
	pid_t pid, me = getpid();
	double end = now_s() + timeout_s;
	struct pollfd p[2];
	int open_n = 2;

	memset(r, 0, sizeof *r);
	r->status = -1;
	buf_take(&r->out, &r->nout, EX_OUT_MAX, "", 0);
	buf_take(&r->err, &r->nerr, EX_ERR_MAX, "", 0);
	if (pipe2(op, O_CLOEXEC) < 0)
		return;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close(op[0]);
		close(op[1]);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != me)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(op[1], STDOUT_FILENO);
		dup2(ep[1], STDERR_FILENO);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "racelab: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(op[1]);
	close(ep[1]);
	if (pid < 0) {
		close(op[0]);
		close(ep[0]);
		return;
	}
	setpgid(pid, pid);
	p[0] = (struct pollfd){.fd = op[0], .events = POLLIN};
	p[1] = (struct pollfd){.fd = ep[0], .events = POLLIN};
	while (open_n > 0) {
		double left = end - now_s();
		char buf[8192];
		int n;

		if (left <= 0) {
			r->timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		n = poll(p, 2, (int)(left * 1000) + 1);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; n > 0 && i < 2; i++) {
			ssize_t k;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = read(p[i].fd, buf, sizeof buf);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_n--;
			} else if (i == 0) {
				buf_take(&r->out, &r->nout, EX_OUT_MAX, buf, (size_t)k);
			} else {
				buf_take(&r->err, &r->nerr, EX_ERR_MAX, buf, (size_t)k);
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL); /* anything it left in its group */
}

static void
run_free(struct ex_run *r)
{
	free(r->out);
	free(r->err);
}

/* ---- judging the outcomes ------------------------------------------------ */

static void
vset(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
vset(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

/* A path as a shell word: quoted when it holds anything but the plain. */
static void
shell_word(char *dst, size_t n, const char *s)
{
	size_t k = 0;

	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,=:") ==
	    strlen(s)) {
		snprintf(dst, n, "%s", s);
		return;
	}
	if (n < 3) {
		dst[0] = '\0';
		return;
	}
	dst[k++] = '\'';
	for (; *s && k + 6 < n; s++) {
		if (*s == '\'') {
			memcpy(dst + k, "'\\''", 4);
			k += 4;
		} else {
			dst[k++] = *s;
		}
	}
	dst[k++] = '\'';
	dst[k] = '\0';
}

static bool
jtrue(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

/* A field of an outcome, at its top (the contract) or inside "outcome"
 * (the lesson programs' own --explore records). */
static json_t *
field(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k), *in = json_object_get(o, "outcome");

	if (!v && json_is_object(in))
		v = json_object_get(in, k);
	return v;
}

/* The last non-empty line of a program's stdout: the driver's message. */
static void
last_line(const char *s, char *dst, size_t n)
{
	const char *end = s + strlen(s), *b;

	while (end > s && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
		end--;
	for (b = end; b > s && b[-1] != '\n'; b--)
		;
	snprintf(dst, n, "%.*s", (int)(end - b), b);
}

/* Does outcome o fail the exercise?  If so, why, in v->reason/detail. */
static bool
outcome_fails(json_t *o, struct exercise_verdict *v)
{
	json_t *st = field(o, "status"), *sig = field(o, "signal"), *out = field(o, "stdout");
	char msg[sizeof v->detail];
	const char *why = NULL;

	msg[0] = '\0';
	if (json_is_string(out))
		last_line(json_string_value(out), msg, sizeof msg);
	if (jtrue(o, "deadlock"))
		why = "deadlock: each thread holds a lock and waits for one another holds";
	else if (jtrue(o, "asleep"))
		why = "everyone asleep: every thread waits on a condition variable or "
		      "semaphore that nobody will signal";
	else if (jtrue(o, "bound") || jtrue(o, "step_bound"))
		/* The explorer's scheduler is fair (a spinner that yields or
		 * fails a try lets the others run), so a run cut here spins on
		 * something no thread will do in this interleaving. */
		why = "a run went on past the step bound: a thread busy-waits (spins), and "
		      "in this interleaving what it waits for never happens; block on the "
		      "mutex, a condition variable or a semaphore instead of spinning";
	else if (json_is_string(sig))
		vset(v->reason, sizeof v->reason, "the program died of %s%s%s",
		     json_string_value(sig), msg[0] ? ": " : "", msg);
	else if (jtrue(o, "timeout") || (json_is_string(field(o, "end")) &&
	                                 strcmp(json_string_value(field(o, "end")), "timeout") == 0))
		why = "a run did not end within 10 s: a thread loops for ever (or blocks "
		      "somewhere the checker cannot see)";
	else if (json_is_string(field(o, "end")) &&
	         strcmp(json_string_value(field(o, "end")), "cap") == 0)
		why = "the program started too many threads or processes (a fork or "
		      "pthread_create that does not stop)";
	else if (json_is_string(field(o, "end")) &&
	         strcmp(json_string_value(field(o, "end")), "misuse") == 0)
		why = "a mutex, condition variable, semaphore, rwlock or barrier was "
		      "initialised again or destroyed while a thread held or waited for it";
	else if (json_is_string(field(o, "end")) &&
	         strcmp(json_string_value(field(o, "end")), "output") == 0)
		why = "a run printed more than 1 MiB and was stopped: a loop that prints "
		      "does not end";
	else if (json_is_integer(st) && json_integer_value(st) != 0)
		vset(v->reason, sizeof v->reason, "%s", msg[0] ? msg :
		     "the driver's check failed (a non-zero exit status)");
	else if (json_is_string(field(o, "end")) &&
	         strcmp(json_string_value(field(o, "end")), "ok") != 0 &&
	         strcmp(json_string_value(field(o, "end")), "") != 0)
		vset(v->reason, sizeof v->reason, "a run ended badly (%s)",
		     json_string_value(field(o, "end")));
	else if (json_is_string(out) && strncmp(msg, "ok: ", 4) != 0)
		/* A driver ends a run that passed its checks with "ok: ...";
		 * exit status 0 without it is the learner's code ending the
		 * program (exit, _exit, pthread_exit in main's call) first. */
		vset(v->reason, sizeof v->reason, "the program ended before the driver's "
		     "checks ran: does your code call exit(), _exit() or pthread_exit()?");
	else
		return false;
	if (why)
		vset(v->reason, sizeof v->reason, "%s", why);
	snprintf(v->detail, sizeof v->detail, "%s", msg);
	return true;
}

/* cc's diagnostics: the first "FILE.c:LINE:" that names one of ours. */
static void
compile_error(const char *err, const char *learner, const char *driver,
              struct exercise_verdict *v)
{
	const char *base = strrchr(learner, '/') ? strrchr(learner, '/') + 1 : learner;
	const char *p = err;
	size_t k = 0;

	v->result = EX_COMPILE;
	v->where[0] = '\0';
	/* The diagnostics as cc wrote them, without the final summary. */
	for (const char *l = err; *l && k + 2 < sizeof v->detail;) {
		size_t n = strcspn(l, "\n");

		if (strncmp(l, "racelab-watch:", 14) != 0) {
			size_t m = n < sizeof v->detail - k - 2 ? n : sizeof v->detail - k - 2;

			memcpy(v->detail + k, l, m);
			k += m;
			v->detail[k++] = '\n';
		}
		l += n + (l[n] == '\n');
	}
	v->detail[k] = '\0';
	for (; (p = strstr(p, ".c:")); p += 3) {
		const char *b = p;
		char *e;
		long line;

		while (b > err && b[-1] != '\n' && b[-1] != ' ')
			b--;
		line = strtol(p + 3, &e, 10);
		if (line <= 0 || *e != ':')
			continue;
		if ((size_t)(p + 2 - b) >= strlen(base) &&
		    strncmp(p + 2 - strlen(base), base, strlen(base)) == 0) {
			vset(v->where, sizeof v->where, "%s:%ld", base, line);
			break;
		}
		if (!v->where[0] && strstr(driver, "/") &&
		    strncmp(b, driver, (size_t)(p + 2 - b)) == 0)
			vset(v->where, sizeof v->where, "%s:%ld (the driver)",
			     strrchr(driver, '/') + 1, line);
	}
	/* A link error names a symbol, not a line of the learner's. */
	if ((p = strstr(err, "undefined reference to `"))) {
		p += 24;
		vset(v->reason, sizeof v->reason, "does not link: the driver calls %.*s(), which "
		     "your file does not define (keep the template's names and signatures)",
		     (int)strcspn(p, "'"), p);
	} else if ((p = strstr(err, "multiple definition of `"))) {
		p += 24;
		vset(v->reason, sizeof v->reason, "does not link: your file defines %.*s, which "
		     "the driver defines too (leave main() and the threads to the driver)",
		     (int)strcspn(p, "'"), p);
	} else if (v->where[0]) {
		vset(v->reason, sizeof v->reason, "does not compile: %s", v->where);
	} else {
		vset(v->reason, sizeof v->reason, "does not compile");
	}
}

static void
schedule_command(struct exercise_verdict *v, const char *watch, const char *driver,
                 const char *learner)
{
	char w[PATH_MAX * 2], d[PATH_MAX * 2], l[PATH_MAX * 2];

	shell_word(w, sizeof w, watch);
	shell_word(d, sizeof d, driver);
	shell_word(l, sizeof l, learner);
	if (v->schedule[0])
		vset(v->command, sizeof v->command, "%s --schedule %s %s %s", w, v->schedule, d, l);
	else /* the failure came on the first schedule: no choice made yet */
		vset(v->command, sizeof v->command, "%s %s %s", w, d, l);
}

/* Judge an --explore --json report (one object; maybe text lines around). */
static int
judge_explore(const char *out, struct exercise_verdict *v)
{
	json_t *root = NULL, *outs;
	json_error_t je;
	size_t i;

	/* The report is the last line that is an object with "outcomes". */
	for (const char *l = out; *l;) {
		size_t n = strcspn(l, "\n");
		const char *s = l;

		while (s < l + n && *s != '{' && (unsigned char)*s < ' ')
			s++; /* an RS byte before a record */
		if (*s == '{') {
			json_t *j = json_loadb(s, n - (size_t)(s - l), 0, &je);

			if (j && json_object_get(j, "outcomes")) {
				json_decref(root);
				root = j;
			} else {
				json_decref(j);
			}
		}
		l += n + (l[n] == '\n');
	}
	if (!root)
		return -1;
	outs = json_object_get(root, "outcomes");
	v->explored = json_integer_value(json_object_get(root, "explored"));
	v->complete = json_is_true(json_object_get(root, "complete"));
	for (i = 0; i < json_array_size(json_object_get(root, "cut")); i++) {
		const char *k = json_string_value(json_array_get(json_object_get(root, "cut"), i));

		if (k && strcmp(k, "max-runs") == 0)
			v->capped = true;
	}
	/* The failure to show: a broken invariant (the driver's own words)
	 * before a deadlock, everyone asleep, then a spin; the shortest
	 * schedule of its kind, the easiest to step through. */
	{
		int best_rank = 99;
		size_t best_len = 0;

		for (i = 0; i < json_array_size(outs); i++) {
			json_t *o = json_array_get(outs, i);
			struct exercise_verdict w = *v;
			const char *s;
			size_t len;
			int rank;

			if (!outcome_fails(o, &w))
				continue;
			rank = jtrue(o, "deadlock") ? 1 : jtrue(o, "asleep") ? 2 :
			       jtrue(o, "bound") || jtrue(o, "step_bound") ? 3 : 0;
			s = json_string_value(json_object_get(o, "schedule"));
			len = s ? strlen(s) : 0;
			if (rank > best_rank || (rank == best_rank && len >= best_len))
				continue;
			best_rank = rank;
			best_len = len;
			*v = w;
			v->result = EX_FAIL;
			v->count = json_integer_value(json_object_get(o, "count"));
			snprintf(v->schedule, sizeof v->schedule, "%s", s ? s : "");
		}
	}
	json_decref(root);
	return 0;
}

/* A run's record.  One cut short in its "schedule" (racelab-watch's own
 * bound on a long schedule's text) is still judged on the fields before
 * it, which are all the judge reads. */
static json_t *
record(const char *s, size_t n)
{
	json_error_t je;
	json_t *j = json_loadb(s, n, 0, &je);
	const char *cut;

	if (j || !(cut = strstr(s, ",\"schedule\":")) || (size_t)(cut - s) >= n)
		return j;
	{
		char *t = malloc((size_t)(cut - s) + 2);

		if (!t)
			shell_oom();
		memcpy(t, s, (size_t)(cut - s));
		memcpy(t + (cut - s), "}", 2);
		j = json_loads(t, 0, &je);
		free(t);
	}
	return j;
}

/* Judge runs that are not an exploration (free runs, a --schedule
 * replay): every record line (v->count: how many failed, v->runs: how many
 * there were; the first failure's reason kept), and the exit status. */
static void
judge_runs(const struct ex_run *r, struct exercise_verdict *v)
{
	for (const char *l = r->out; *l;) {
		size_t n = strcspn(l, "\n");
		const char *s = l;
		json_t *j;

		while (s < l + n && *s != '{' && (unsigned char)*s < ' ')
			s++;
		if (*s == '{')
			j = record(s, n - (size_t)(s - l));
		else
			j = NULL;
		if (j) {
			json_t *outs = json_object_get(j, "outcomes");
			struct exercise_verdict w = *v;
			bool failed = false;
			long runs = v->runs, count = v->count;

			if (json_is_array(outs)) {
				for (size_t i = 0; i < json_array_size(outs) && !failed; i++)
					failed = outcome_fails(json_array_get(outs, i), &w);
			} else {
				failed = outcome_fails(j, &w);
			}
			if (failed && v->result != EX_FAIL) {
				const char *s2 = json_string_value(json_object_get(j, "schedule"));

				*v = w;
				v->result = EX_FAIL;
				snprintf(v->schedule, sizeof v->schedule, "%s", s2 ? s2 : "");
			}
			v->runs = runs + 1;
			v->count = count + failed;
			json_decref(j);
		}
		l += n + (l[n] == '\n');
	}
	if (v->result == EX_PASS && r->status != 0) {
		v->result = EX_FAIL;
		if (WIFSIGNALED(r->status))
			vset(v->reason, sizeof v->reason, "a run died of signal %d",
			     WTERMSIG(r->status));
		else
			vset(v->reason, sizeof v->reason, "a run failed (exit status %d)",
			     WEXITSTATUS(r->status));
		last_line(r->out, v->detail, sizeof v->detail);
	}
}

static void
judge_free(const struct ex_run *r, struct exercise_verdict *v)
{
	judge_runs(r, v);
	if (v->result == EX_FAIL) {
		char why[sizeof v->reason];

		snprintf(why, sizeof why, "%s", v->reason);
		vset(v->reason, sizeof v->reason, "on free threads (no interleaving of the "
		     "exploration showed it): %s", why);
	}
}

void
exercise_watch_path(const char *bin_dir, char *buf, size_t n)
{
	const char *env = getenv("RACELAB_WATCH");

	if (env && env[0] == '/')
		snprintf(buf, n, "%s", env);
	else
		snprintf(buf, n, "%s/racelab-watch", bin_dir);
}

int
exercise_check(const char *bin_dir, const struct exercise *e, const char *file,
               struct exercise_verdict *v)
{
	char watch[PATH_MAX], driver[PATH_MAX], learner[PATH_MAX], pre[16], runs[16];
	char steps[16], maxruns[16];
	char *argv[16];
	struct ex_run r;
	double t0 = now_s();
	int a = 0;

	memset(v, 0, sizeof *v);
	v->preemptions = e->x->preemptions;
	snprintf(v->name, sizeof v->name, "%s", e->x->name);
	exercise_watch_path(bin_dir, watch, sizeof watch);
	exercise_source(e, true, driver, sizeof driver);
	if (!realpath(file, learner)) {
		v->result = EX_ERROR;
		vset(v->reason, sizeof v->reason, "no file %s", file);
		return -1;
	}
	snprintf(v->file, sizeof v->file, "%s", learner);
	if (access(watch, X_OK) < 0) {
		v->result = EX_ERROR;
		vset(v->reason, sizeof v->reason, "no %s to run the check with (make all)", watch);
		return -1;
	}
	argv[a++] = watch;
	argv[a++] = "--explore";
	argv[a++] = "--json";
	snprintf(steps, sizeof steps, "%d", EX_MAX_STEPS);
	snprintf(maxruns, sizeof maxruns, "%d", EX_MAX_RUNS);
	argv[a++] = "--max-steps";
	argv[a++] = steps;
	argv[a++] = "--max-runs";
	argv[a++] = maxruns;
	if (e->x->preemptions >= 0) {
		snprintf(pre, sizeof pre, "%d", e->x->preemptions);
		argv[a++] = "--preemptions";
		argv[a++] = pre;
	}
	argv[a++] = driver;
	argv[a++] = learner;
	argv[a] = NULL;
	run_cmd(argv, &r, EX_TIMEOUT_S);
	if (r.status < 0 || r.timed_out) {
		v->result = EX_ERROR;
		vset(v->reason, sizeof v->reason, r.timed_out ? "the exploration took more than "
		     "%d s: stopped" : "cannot run racelab-watch", EX_TIMEOUT_S);
		run_free(&r);
		return -1;
	}
	if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2 && strstr(r.err, "does not compile")) {
		compile_error(r.err, learner, driver, v);
		run_free(&r);
		v->seconds = now_s() - t0;
		return 0;
	}
	if (judge_explore(r.out, v) < 0) {
		char line[300];

		v->result = EX_ERROR;
		last_line(r.err, line, sizeof line);
		vset(v->reason, sizeof v->reason, "racelab-watch --explore gave no report%s%s",
		     line[0] ? ": " : "", line);
		run_free(&r);
		return -1;
	}
	run_free(&r);
	if (v->result == EX_FAIL) {
		schedule_command(v, watch, driver, learner);
		v->seconds = now_s() - t0;
		return 0;
	}
	if (e->x->runs > 0) {
		a = 0;
		snprintf(runs, sizeof runs, "%d", e->x->runs);
		argv[a++] = watch;
		argv[a++] = "--runs";
		argv[a++] = runs;
		argv[a++] = "--json";
		argv[a++] = driver;
		argv[a++] = learner;
		argv[a] = NULL;
		run_cmd(argv, &r, EX_FREE_TIMEOUT_S);
		if (r.timed_out) {
			v->result = EX_FAIL;
			vset(v->reason, sizeof v->reason, "%d free runs took more than %d s: a "
			     "thread waits for ever?", e->x->runs, EX_FREE_TIMEOUT_S);
		} else {
			judge_free(&r, v);
		}
		run_free(&r);
		if (v->result == EX_FAIL && v->schedule[0])
			schedule_command(v, watch, driver, learner);
		else if (v->result == EX_FAIL) {
			char w[PATH_MAX * 2], d[PATH_MAX * 2], l[PATH_MAX * 2];

			shell_word(w, sizeof w, watch);
			shell_word(d, sizeof d, driver);
			shell_word(l, sizeof l, learner);
			vset(v->command, sizeof v->command, "%s --runs %d %s %s", w, e->x->runs, d, l);
		}
	}
	v->seconds = now_s() - t0;
	return 0;
}

int
exercise_replay(const char *bin_dir, const struct exercise *e, const char *file,
                const char *schedule, int runs, struct exercise_verdict *v)
{
	char watch[PATH_MAX], driver[PATH_MAX], learner[PATH_MAX], n[16];
	char *argv[] = {watch, "--runs", n, "--json", driver, learner, NULL, NULL, NULL};
	struct ex_run r;

	if (schedule && *schedule) { /* else free runs */
		memmove(argv + 3, argv + 1, 5 * sizeof *argv);
		argv[1] = "--schedule";
		argv[2] = (char *)schedule;
	}

	memset(v, 0, sizeof *v);
	snprintf(v->name, sizeof v->name, "%s", e->x->name);
	snprintf(n, sizeof n, "%d", runs);
	exercise_watch_path(bin_dir, watch, sizeof watch);
	exercise_source(e, true, driver, sizeof driver);
	if (!realpath(file, learner)) {
		v->result = EX_ERROR;
		return -1;
	}
	run_cmd(argv, &r, EX_FREE_TIMEOUT_S);
	if (r.status < 0 || r.timed_out) {
		v->result = EX_ERROR;
		vset(v->reason, sizeof v->reason, "the replay did not end");
		run_free(&r);
		return -1;
	}
	judge_runs(&r, v);
	run_free(&r);
	return 0;
}

/* ---- the verdict, as text and as JSON ------------------------------------ */

static const char *const result_names[] = {"pass", "fail", "compile", "error"};

const char *
exercise_bound_text(const struct exercise_verdict *v)
{
	static char buf[160];

	if (v->preemptions == 0)
		snprintf(buf, sizeof buf, "those that switch threads only where one blocks or "
		         "ends: no preemption");
	else if (v->preemptions > 0)
		snprintf(buf, sizeof buf, "those with at most %d preemption%s", v->preemptions,
		         v->preemptions == 1 ? "" : "s");
	else
		snprintf(buf, sizeof buf, "%s", v->complete ? "every one" : "not every one");
	if (v->capped)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; the first %ld only",
		         v->explored);
	return buf;
}

void
exercise_verdict_print(const struct exercise_verdict *v, FILE *f)
{
	switch (v->result) {
	case EX_PASS:
		fprintf(f, "PASS %s: %ld interleaving%s explored (%s)", v->name, v->explored,
		        v->explored == 1 ? "" : "s", exercise_bound_text(v));
		if (v->runs)
			fprintf(f, ", %d free runs", v->runs);
		fprintf(f, ", all correct (%.1f s)\n", v->seconds);
		break;
	case EX_FAIL:
		fprintf(f, "FAIL %s: %s\n", v->name, v->reason);
		if (v->detail[0] && !strstr(v->reason, v->detail))
			fprintf(f, "  the driver said: %s\n", v->detail);
		if (v->count > 0)
			fprintf(f, "  in %ld of %ld interleavings explored\n", v->count, v->explored);
		if (v->command[0])
			fprintf(f, "  replay it: %s\n", v->command);
		break;
	case EX_COMPILE:
		fprintf(f, "FAIL %s: %s\n%s", v->name, v->reason, v->detail);
		break;
	case EX_ERROR:
		fprintf(f, "racelab: cannot check %s: %s\n", v->name, v->reason);
		break;
	}
}

char *
exercise_verdict_json(const struct exercise_verdict *v)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:i, s:i, "
	                      "s:I, s:f, s:b}",
	                      "exercise", v->name, "verdict", result_names[v->result],
	                      "file", v->file, "reason", v->reason, "detail", v->detail,
	                      "where", v->where, "schedule", v->schedule, "command",
	                      v->command, "explored", (json_int_t)v->explored, "complete",
	                      v->complete, "preemptions", v->preemptions, "runs", v->runs,
	                      "count", (json_int_t)v->count, "seconds", v->seconds,
	                      "capped", v->capped);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (!s)
		shell_oom();
	return s;
}

static void
jstr(json_t *o, const char *k, char *dst, size_t n)
{
	const char *s = json_string_value(json_object_get(o, k));

	snprintf(dst, n, "%s", s ? s : "");
}

int
exercise_verdict_parse(const char *text, struct exercise_verdict *v)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);
	char res[16];

	memset(v, 0, sizeof *v);
	if (!o)
		return -1;
	jstr(o, "verdict", res, sizeof res);
	v->result = EX_ERROR;
	for (int i = 0; i < 4; i++)
		if (strcmp(res, result_names[i]) == 0)
			v->result = (enum exercise_result)i;
	jstr(o, "exercise", v->name, sizeof v->name);
	jstr(o, "file", v->file, sizeof v->file);
	jstr(o, "reason", v->reason, sizeof v->reason);
	jstr(o, "detail", v->detail, sizeof v->detail);
	jstr(o, "where", v->where, sizeof v->where);
	jstr(o, "schedule", v->schedule, sizeof v->schedule);
	jstr(o, "command", v->command, sizeof v->command);
	v->explored = (long)json_integer_value(json_object_get(o, "explored"));
	v->complete = json_is_true(json_object_get(o, "complete"));
	v->preemptions = (int)json_integer_value(json_object_get(o, "preemptions"));
	v->runs = (int)json_integer_value(json_object_get(o, "runs"));
	v->count = (long)json_integer_value(json_object_get(o, "count"));
	v->seconds = json_number_value(json_object_get(o, "seconds"));
	v->capped = json_is_true(json_object_get(o, "capped"));
	json_decref(o);
	return 0;
}

/* ---- state --------------------------------------------------------------- */

const char *
exercise_state(const struct exercise *e, int *hints)
{
	char path[PATH_MAX];
	bool passed = false;

	*hints = 0;
	progress_exercise(e->x->name, &passed, hints);
	if (passed)
		return "passed";
	if (*hints || (exercise_file(e->x->name, path, sizeof path) == 0 &&
	               access(path, F_OK) == 0))
		return "in progress";
	return "not started";
}

const char *
exercise_hint(const struct exercise *e, int *no)
{
	bool passed;
	int used = 0;

	progress_exercise(e->x->name, &passed, &used);
	if (used < e->x->nhint) {
		used++;
		progress_exercise_set(e->x->name, passed, used);
	}
	*no = used;
	return e->x->hint[used - 1];
}

/* ---- the command line ---------------------------------------------------- */

static _Noreturn void
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("racelab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static int
list(const struct catalog *c, bool json)
{
	struct exercise e;
	json_t *arr = json ? json_array() : NULL;

	if (!json)
		printf("%-10s %-16s %-12s %-7s %s\n", "EXERCISE", "LESSON", "STATE", "HINTS",
		       "YOUR COPY");
	for (int k = 0; exercise_at(c, k, &e) == 0; k++) {
		char path[PATH_MAX], lesson[48];
		int hints;
		const char *st = exercise_state(&e, &hints);

		if (exercise_file(e.x->name, path, sizeof path) < 0)
			snprintf(path, sizeof path, "(no HOME)");
		snprintf(lesson, sizeof lesson, "%02d %s", e.lesson->number, e.lesson->slug);
		if (json) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:s}",
			                                     "exercise", e.x->name, "lesson",
			                                     e.lesson->slug, "step", e.x->step + 1,
			                                     "state", st, "hints", hints, "of",
			                                     e.x->nhint, "file", path));
		} else {
			char h[16];

			snprintf(h, sizeof h, "%d/%d", hints, e.x->nhint);
			printf("%-10s %-16s %-12s %-7s %s\n", e.x->name, lesson, st, h, path);
		}
	}
	if (json) {
		char *s = json_dumps(arr, JSON_COMPACT);

		if (!s)
			shell_oom();
		puts(s);
		free(s);
		json_decref(arr);
	}
	return 0;
}

static void
need_exercise(const struct catalog *c, const char *name, struct exercise *e)
{
	if (exercise_find(c, name, e) < 0)
		usage_error("no exercise %s (racelab --exercises lists them)", name);
}

int
exercise_main(const struct shell_cfg *cfg, int argc, char **argv)
{
	static struct catalog cat;
	const char *cmd = argv[0], *name = NULL, *file = NULL;
	bool json = false, record = true;
	struct exercise e;
	int status = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--no-progress") == 0)
			record = false; /* the shell's own check: it records */
		else if (argv[i][0] == '-' && argv[i][1])
			usage_error("%s: unknown option %s", cmd, argv[i]);
		else if (!name && strcmp(cmd, "--exercises") != 0)
			name = argv[i];
		else if (!file && strcmp(cmd, "--check") == 0)
			file = argv[i];
		else
			usage_error("%s: extra argument %s", cmd, argv[i]);
	}
	if (strcmp(cmd, "--exercises") != 0 && !name)
		usage_error("%s needs an exercise (racelab --exercises lists them)", cmd);
	if (catalog_load(&cat, cfg->lessons_dir, cfg->bin_dir) < 0) {
		fprintf(stderr, "racelab: cannot read any lesson directory of %s\n", cfg->lessons_dir);
		return 2;
	}
	if (record)
		progress_init();
	if (strcmp(cmd, "--exercises") == 0) {
		status = list(&cat, json);
	} else if (strcmp(cmd, "--hint") == 0) {
		int no;
		const char *h;

		need_exercise(&cat, name, &e);
		h = exercise_hint(&e, &no);
		printf("hint %d of %d for %s: %s\n", no, e.x->nhint, name, h);
		if (no == e.x->nhint)
			printf("(that was the last hint)\n");
	} else {
		char path[PATH_MAX];
		struct exercise_verdict v;

		need_exercise(&cat, name, &e);
		if (!file) {
			if (exercise_file(name, path, sizeof path) < 0)
				usage_error("no HOME: give the FILE to check");
			file = path;
		}
		if (access(file, R_OK) < 0)
			usage_error("no file %s to check%s", file,
			            file == path ? " (racelab opens the exercise's step: e copies the "
			                           "template there; or give a FILE)" : "");
		{
			struct stat st;
			size_t fl = strlen(file);

			/* racelab-watch compiles only arguments ending in .c: any
			 * other would reach the driver as an argument, and the
			 * verdict would be a puzzling "does not link". */
			if (stat(file, &st) < 0 || !S_ISREG(st.st_mode))
				usage_error("%s is not a file", file);
			if (fl < 3 || strcmp(file + fl - 2, ".c") != 0)
				usage_error("%s: the file to check is C source, its name ending in .c",
				            file);
		}
		exercise_check(cfg->bin_dir, &e, file, &v);
		if (json) {
			char *s = exercise_verdict_json(&v);

			puts(s);
			free(s);
		} else {
			exercise_verdict_print(&v, v.result == EX_ERROR ? stderr : stdout);
		}
		if (v.result == EX_PASS && record) {
			bool passed;
			int hints = 0;

			progress_exercise(name, &passed, &hints);
			progress_exercise_set(name, true, hints);
		}
		status = v.result == EX_PASS ? 0 : v.result == EX_ERROR ? 2 : 1;
	}
	if (record) {
		progress_save();
		if (progress_warning())
			fprintf(stderr, "racelab: %s\n", progress_warning());
	}
	if (fflush(stdout) != 0 && status == 0)
		status = 1;
	catalog_free(&cat);
	return status;
}
