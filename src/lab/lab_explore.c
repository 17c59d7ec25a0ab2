// --explore: every schedule of a lesson program's probe points, each a real
// run of its real workers, driven by the same step driver as --schedule.
//
// A stateless depth-first search (as CHESS and loom do it): the explorer
// keeps no program state, only schedules.  It is a fork server: after
// parsing, this process forks one child per schedule; the child returns
// from lab_init into the lesson with lab->sched set to the schedule's
// prefix, runs once with --json, and its driver (drive_explore in
// lab_worker.c) grants the prefix, then continues without preempting,
// writing each step and the workers that could have been granted there.
// For every step past the prefix and every other worker that could have
// gone, the explorer pushes "the same prefix up to there, then that
// worker": each leaf of the schedule tree is run exactly once.  A run's
// outcome is the fields of its JSON record that the lesson names
// (lab_lesson.outcome), its exit status, and how it ended.
#include "lab.h"
#include "lab_warm.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* A run is stopped after this long (a lesson that hangs in a free run). */
enum { EX_RUN_TIMEOUT_MS = 10000 };

struct ex_sched {
	int *s;
	long n;
	int *sl; /* sleep set at the node after the prefix (sleep sets) */
	long nsl;
};

struct ex_outcome {
	char *key;    /* what makes it distinct */
	char *json;   /* its "outcome" object */
	char *sched;  /* the first schedule that gave it */
	long count;
	char end[16]; /* ok, deadlock, asleep, bound */
};

struct ex_state {
	struct lab *lab;
	const struct lab_explore_ops *ops;
	struct ex_sched *stack;
	size_t nstack, capstack;
	struct ex_outcome *out;
	size_t nout, capout;
	long runs, steps, pruned;
	bool cut_runs, cut_preempt, cut_steps, cut_timeout;
};

static void *
ex_alloc(struct lab *lab, void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		lab_die(lab, "out of memory");
	return q;
}

/* A growing string. */
struct ex_str {
	char *s;
	size_t len, cap;
};

static void
str_add(struct lab *lab, struct ex_str *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1) + 64;
		b->s = ex_alloc(lab, b->s, b->cap);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
str_addf(struct lab *lab, struct ex_str *b, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void
str_addf(struct lab *lab, struct ex_str *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	str_add(lab, b, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void
push(struct ex_state *x, const int *s, long n, const int *sl, long nsl)
{
	struct ex_sched e;

	if (x->nstack == x->capstack) {
		x->capstack = x->capstack ? 2 * x->capstack : 64;
		x->stack = ex_alloc(x->lab, x->stack, x->capstack * sizeof *x->stack);
	}
	e.n = n;
	e.s = ex_alloc(x->lab, NULL, (size_t)n * sizeof *e.s);
	if (n)
		memcpy(e.s, s, (size_t)n * sizeof *s);
	e.nsl = nsl;
	e.sl = nsl ? ex_alloc(x->lab, NULL, (size_t)nsl * sizeof *e.sl) : NULL;
	if (nsl)
		memcpy(e.sl, sl, (size_t)nsl * sizeof *sl);
	x->stack[x->nstack++] = e;
}

/* /dev/null, opened once for every run's stdin and stderr. */
static int ex_null = -1;

/* The child: stdout and the step record into pipes, the rest quiet. */
static void
child(struct lab *lab, const struct ex_sched *pre, int out_fd, int ex_fd)
{
	if (ex_null >= 0) {
		dup2(ex_null, STDIN_FILENO);
		dup2(ex_null, STDERR_FILENO);
		close(ex_null);
	}
	dup2(out_fd, STDOUT_FILENO);
	close(out_fd);
	board_renew(lab->explore_board);
	lab->exploring = true;
	lab->explore_fd = ex_fd;
	lab->explore_k = 0;
	lab->sched = (int *)pre->s; /* lives as long as the child */
	lab->nsched = (int)pre->n;
	signal(SIGPIPE, SIG_DFL);
}

/* Read both pipes to their end (a long run's record must not fill a
 * pipe while the explorer waits for the child). */
static bool
collect(struct lab *lab, pid_t pid, int out_fd, int ex_fd, struct ex_str *out,
        struct ex_str *ex)
{
	struct pollfd p[2] = { { .fd = out_fd, .events = POLLIN },
	                       { .fd = ex_fd, .events = POLLIN } };
	struct ex_str *dst[2] = { out, ex };
	int open_n = 2;
	char buf[4096];

	while (open_n > 0) {
		int r = poll(p, 2, EX_RUN_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			kill(pid, SIGKILL);
			return false;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_n--;
				continue;
			}
			str_add(lab, dst[i], buf, (size_t)n);
		}
	}
	return true;
}

/* The value of "key" in a one-line JSON object, as its text (a number,
 * a string with its quotes, true/false/null); 0 when absent.  The records
 * are the lab's own (lab_json_*): flat, no key inside a string value. */
static size_t
json_field(const char *obj, const char *key, size_t keylen, const char **val)
{
	for (const char *p = obj; (p = strchr(p, '"')); p++) {
		const char *v;
		bool str = false, esc = false;

		if (strncmp(p + 1, key, keylen) || p[1 + keylen] != '"' ||
		    p[2 + keylen] != ':')
			continue;
		v = p + 3 + keylen;
		for (p = v; *p; p++) {
			if (esc) {
				esc = false;
			} else if (*p == '\\') {
				esc = true;
			} else if (*p == '"') {
				if (str || p == v)
					str = !str;
				if (!str && p != v) {
					p++;
					break;
				}
			} else if (!str && (*p == ',' || *p == '}')) {
				break;
			}
		}
		*val = v;
		return (size_t)(p - v);
	}
	return 0;
}

/* The last JSON record on the child's stdout. */
static const char *
last_record(char *out)
{
	char *rec = NULL;

	for (char *line = out; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (*line == '{')
			rec = line;
		line = nl ? nl + 1 : NULL;
	}
	return rec;
}

/* The lesson's outcome object: the fields of its last --json record
 * that the lesson names, and how it ended. */
static char *
lab_outcome(void *ctx, const char *end, int status, char *out)
{
	struct lab *lab = ctx;
	const char *rec = last_record(out);
	const char *fields = lab->lesson->outcome;
	struct ex_str json = { 0 };

	str_add(lab, &json, "{", 1);
	if (rec && fields && strcmp(end, "ok") == 0) {
		for (const char *f = fields; *f;) {
			size_t fl = strcspn(f, ",");
			const char *v;
			size_t vl = json_field(rec, f, fl, &v);

			if (vl) {
				str_addf(lab, &json, "%s\"%.*s\":", json.len > 1 ? "," : "",
				         (int)fl, f);
				str_add(lab, &json, v, vl);
			}
			f += fl + (f[fl] == ',');
		}
	}
	if (status >= 0)
		str_addf(lab, &json, "%s\"status\":%d", json.len > 1 ? "," : "", status);
	else
		str_addf(lab, &json, "%s\"signal\":\"SIG%s\"", json.len > 1 ? "," : "",
		         sigabbrev_np(-status) ? sigabbrev_np(-status) : "?");
	str_add(lab, &json, "}", 1);
	return json.s;
}

static void
add_outcome(struct ex_state *x, const char *end, int status, char *out,
            const int *s, long n)
{
	struct lab *lab = x->lab;
	struct ex_str key = { 0 }, json = { 0 }, sched = { 0 };

	json.s = x->ops->outcome(x->ops->ctx, end, status, out);
	json.len = strlen(json.s);
	str_addf(lab, &key, "%s ", end);
	str_add(lab, &key, json.s, json.len);
	for (size_t i = 0; i < x->nout; i++)
		if (strcmp(x->out[i].key, key.s) == 0) {
			x->out[i].count++;
			free(key.s);
			free(json.s);
			return;
		}
	for (long i = 0; i < n; i++)
		str_addf(lab, &sched, "%s%d", i ? "," : "", s[i]);
	if (!sched.s)
		str_add(lab, &sched, "", 0);
	if (x->nout == x->capout) {
		x->capout = x->capout ? 2 * x->capout : 16;
		x->out = ex_alloc(lab, x->out, x->capout * sizeof *x->out);
	}
	x->out[x->nout] = (struct ex_outcome){ key.s, json.s, sched.s, 1, "" };
	snprintf(x->out[x->nout].end, sizeof x->out[x->nout].end, "%s", end);
	x->nout++;
}

/* Is worker no among the comma-separated numbers at p (to the line end
 * or a space)? */
static bool
in_set(const char *p, int no)
{
	while (*p && *p != '\n' && *p != ' ') {
		char *e;
		long v = strtol(p, &e, 10);

		if (e == p)
			return false;
		if (v == no)
			return true;
		p = *e == ',' ? e + 1 : e;
	}
	return false;
}

/* The lesson's run: fork this process; the child returns from here
 * into the lesson (lab->exploring set) with the prefix as its schedule. */
static bool
lab_run(void *ctx, const int *pre, long npre, const int *sl, long nsl,
        struct lab_explore_result *r)
{
	struct lab *lab = ctx;
	int outp[2], exp[2], wst = 0;
	struct ex_str out = { 0 }, ex = { 0 };
	struct ex_sched sc = { (int *)pre, npre, NULL, 0 };
	pid_t pid;
	bool done;

	(void)sl; /* a lesson's steps carry no footprints: no sleep sets */
	(void)nsl;
	/* One board for every run (each child renews it); after a run that
	 * was stopped, a new one: what it left running may still write. */
	if (lab->explore_board && lab->explore_stale) {
		munmap(lab->explore_board, board_map_size());
		lab->explore_board = NULL;
	}
	if (!lab->explore_board && !(lab->explore_board = board_create_anon()))
		lab_die(lab, "cannot map the board:");
	lab->explore_stale = false;
	if (ex_null < 0) {
		ex_null = open("/dev/null", O_RDWR | O_CLOEXEC);
		/* One malloc arena: a run's threads go one at a time, and
		 * each new thread's arena (a 128 MiB reservation trimmed with
		 * two munmaps and an mprotect, then its page faults) came
		 * with every run. */
		mallopt(M_ARENA_MAX, 1);
		/* As many threads as a run makes: its workers, its step
		 * driver (a default stack). */
		lab_warm_stacks(lab->o.workers, LAB_WORKER_STACK, 1);
		{
			/* The code every run runs: the lesson's, the C
			 * library's, the dynamic linker's. */
			const uintptr_t code[] = {
				(uintptr_t)lab_explore, (uintptr_t)dlsym(RTLD_DEFAULT, "fork"),
				(uintptr_t)dlsym(RTLD_DEFAULT, "__tls_get_addr"),
			};

			lab_warm_code(code, sizeof code / sizeof *code);
		}
	}
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(exp, O_CLOEXEC) < 0)
		lab_die(lab, "--explore: pipe:");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		lab_die(lab, "--explore: fork:");
	if (pid == 0) {
		close(outp[0]);
		close(exp[0]);
		child(lab, &sc, outp[1], exp[1]);
		return false; /* into the lesson */
	}
	close(outp[1]);
	close(exp[1]);
	done = collect(lab, pid, outp[0], exp[0], &out, &ex);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	r->status = WIFSIGNALED(wst) ? -WTERMSIG(wst) : WEXITSTATUS(wst);
	r->timeout = !done;
	lab->explore_stale = !done || WIFSIGNALED(wst);
	r->out = out.s;
	r->steps = ex.s;
	return true;
}

static const struct lab_explore_ops lab_ops = { lab_run, lab_outcome, NULL, false, NULL, 0 };

static bool
in_set_arr(const int *v, long n, int w)
{
	for (long i = 0; i < n; i++)
		if (v[i] == w)
			return true;
	return false;
}

/* The numbers at p, comma-separated, to a space or the line end. */
static long
ints(struct lab *lab, const char *p, int **v)
{
	long n = 0;

	*v = NULL;
	while (*p && *p != '\n' && *p != ' ') {
		char *e;
		long w = strtol(p, &e, 10);

		if (e == p)
			break;
		*v = ex_alloc(lab, *v, (size_t)(n + 1) * sizeof **v);
		(*v)[n++] = (int)w;
		p = *e == ',' ? e + 1 : e;
	}
	return n;
}

/* A step line's sleep part: "S p can,... | asleep,... | fp fp ..." */
struct ex_step_por {
	int *can, *sl;
	long ncan, nsl;
	const char **fp; /* per can, a token (to a space) */
};

static bool
step_por(struct lab *lab, const char *en, struct ex_step_por *sp)
{
	const char *bar = strstr(en, " | "), *nl = strchr(en, '\n');

	memset(sp, 0, sizeof *sp);
	if (!bar || (nl && bar > nl))
		return false;
	sp->ncan = ints(lab, en, &sp->can);
	sp->nsl = ints(lab, bar + 3, &sp->sl);
	bar = strstr(bar + 3, " | ");
	if (!bar || (nl && bar > nl))
		return false;
	sp->fp = ex_alloc(lab, NULL, (size_t)(sp->ncan + 1) * sizeof *sp->fp);
	for (long i = 0; i < sp->ncan; i++) {
		bar += i ? strcspn(bar, " \n") : 3;
		if (i)
			bar += *bar == ' ';
		sp->fp[i] = bar;
	}
	return true;
}

static const char *
fp_of(const struct ex_step_por *sp, int w)
{
	for (long i = 0; i < sp->ncan; i++)
		if (sp->can[i] == w)
			return sp->fp[i];
	return NULL;
}

/* One run of schedule prefix pre; pushes the schedules it opens up. */
static void
run_one(struct ex_state *x, struct ex_sched *pre)
{
	struct lab *lab = x->lab;
	struct lab_explore_result res = { 0 };
	struct ex_str out = { 0 }, ex = { 0 };
	char end[16] = "ok";
	int *s = NULL, status;
	const char **en = NULL;
	long n = 0, cap = 0, pre_k = 0;

	if (!x->ops->run(x->ops->ctx, pre->s, pre->n, pre->sl, pre->nsl, &res))
		return; /* the lesson's child */
	out.s = res.out;
	ex.s = res.steps;
	status = res.status;
	if (res.timeout)
		snprintf(end, sizeof end, "timeout");
	/* The steps: "S granted can,can,..." lines, then maybe "E how". */
	for (char *line = ex.s; line && *line;) {
		char *nl = strchr(line, '\n');

		if (line[0] == 'S' && line[1] == ' ') {
			char *e;

			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				s = ex_alloc(lab, s, (size_t)cap * sizeof *s);
				en = ex_alloc(lab, en, (size_t)cap * sizeof *en);
			}
			s[n] = (int)strtol(line + 2, &e, 10);
			en[n++] = *e == ' ' ? e + 1 : e;
		} else if (line[0] == 'E' && line[1] == ' ') {
			snprintf(end, sizeof end, "%.*s",
			         (int)(nl ? nl - line - 2 : (long)strlen(line + 2)), line + 2);
		}
		line = nl ? nl + 1 : NULL;
	}
	x->runs++;
	x->steps += n;
	if (strcmp(end, "slept") == 0) /* sleep sets: the same as a run before */
		x->pruned++;
	/* A run stopped for its output may stop inside its prefix (it
	 * printed as much before the branch as the run it came from, which
	 * was stopped late): an outcome, not a divergence. */
	if (strcmp(end, "diverged") == 0 || (n < pre->n && strcmp(end, "output") != 0))
		lab_die(lab, "--explore: a run did not follow its schedule (%ld of %ld steps): the program is not deterministic under the scheduler",
		        n, pre->n);
	for (long i = 0; i < pre->n && i < n; i++)
		if (s[i] != pre->s[i])
			lab_die(lab, "--explore: a run did not follow its schedule at step %ld",
			        i + 1);
	if (strcmp(end, "bound") == 0)
		x->cut_steps = true;
	if (strcmp(end, "timeout") == 0) /* stopped: what came next is unknown */
		x->cut_timeout = true;
	if (strcmp(end, "slept") != 0)
		add_outcome(x, end, status, out.s ? out.s : (char *)"", s, n);
	/* The new branches, shallowest pushed first, so the deepest is run
	 * next (depth first).  preempt: switches so far away from a worker
	 * that could have gone on. */
	for (long i = 0; i < n; i++) {
		bool prev_can = i > 0 && in_set(en[i], s[i - 1]);

		if (i >= pre->n) {
			struct ex_step_por sp;
			bool por = x->ops->independent && step_por(lab, en[i], &sp);
			int *cand = NULL, *sl = NULL;
			long nc = 0;

			for (const char *p = en[i]; *p && *p != '\n' && *p != ' ';) {
				char *e;
				int w = (int)strtol(p, &e, 10);
				int cost = pre_k + (prev_can && w != s[i - 1]);

				if (e == p)
					break;
				p = *e == ',' ? e + 1 : e;
				if (w == s[i])
					continue;
				if (por && in_set_arr(sp.sl, sp.nsl, w))
					continue; /* tried at this node already */
				if (lab->o.preemptions >= 0 && cost > lab->o.preemptions) {
					x->cut_preempt = true;
					continue;
				}
				cand = ex_alloc(lab, cand, (size_t)(nc + 1) * sizeof *cand);
				cand[nc++] = w;
			}
			/* Popped last first: a branch's sleep set has what was
			 * tried before it here (this run's step, the branches
			 * pushed after it, the node's own sleepers) and does not
			 * depend on it. */
			for (long j = 0; j < nc; j++) {
				long nsl = 0;
				int keep = s[i];

				if (por) {
					const char *fa = fp_of(&sp, cand[j]);

					sl = ex_alloc(lab, sl, (size_t)(sp.nsl + nc + 1) * sizeof *sl);
					for (long z = -1; z < sp.nsl + nc; z++) {
						int w = z < 0 ? s[i] : z < sp.nsl ? sp.sl[z] : cand[z - sp.nsl];
						const char *fz = fp_of(&sp, w);

						if (z >= sp.nsl && z - sp.nsl <= j)
							continue;
						if (fa && fz && !in_set_arr(sl, nsl, w) &&
						    x->ops->independent(x->ops->ctx, fa, fz))
							sl[nsl++] = w;
					}
				}
				s[i] = cand[j];
				push(x, s, i + 1, sl, nsl);
				s[i] = keep;
			}
			free(cand);
			free(sl);
			if (por) {
				free(sp.can);
				free(sp.sl);
				free(sp.fp);
			}
		}
		if (prev_can && s[i] != s[i - 1])
			pre_k++;
	}
	free(s);
	free(en);
	free(out.s);
	free(ex.s);
}

static void
print_json(struct ex_state *x, double secs)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);

	struct lab *lab = x->lab;
	bool complete = !x->cut_runs && !x->cut_preempt && !x->cut_steps &&
	                !x->cut_timeout;

	fprintf(f, "{\"explored\":%ld,\"pruned\":%ld,\"complete\":%s,\"cut\":[",
	        x->runs - x->pruned, x->pruned,
	       complete ? "true" : "false");
	{
		const char *sep = "";

		if (x->cut_runs)
			fprintf(f, "%s\"max-runs\"", sep), sep = ",";
		if (x->cut_preempt)
			fprintf(f, "%s\"preemptions\"", sep), sep = ",";
		if (x->cut_steps)
			fprintf(f, "%s\"max-steps\"", sep), sep = ",";
		if (x->cut_timeout)
			fprintf(f, "%s\"timeout\"", sep);
	}
	fprintf(f, "],\"steps\":%ld,\"preemptions\":%d,\"max_runs\":%ld,\"max_steps\":%ld,"
	       "\"seconds\":%.3f,\"runs_per_s\":%.0f,\"steps_per_s\":%.0f,"
	       "\"distinct\":%zu,\"outcomes\":[",
	       x->steps, lab->o.preemptions, lab->o.max_runs, lab->o.max_steps, secs,
	       secs > 0 ? (double)x->runs / secs : 0, secs > 0 ? (double)x->steps / secs : 0,
	       x->nout);
	for (size_t i = 0; i < x->nout; i++) {
		struct ex_outcome *o = &x->out[i];

		if (x->ops->flat) /* racelab-watch: the outcome's fields first */
			fprintf(f, "%s{%.*s,\"deadlock\":%s,\"asleep\":%s,\"bound\":%s,"
			        "\"count\":%ld,\"schedule\":\"%s\",\"end\":\"%s\"}",
			        i ? "," : "", (int)strlen(o->json) - 2, o->json + 1,
			        strcmp(o->end, "deadlock") ? "false" : "true",
			        strcmp(o->end, "asleep") ? "false" : "true",
			        strcmp(o->end, "bound") ? "false" : "true", o->count,
			        o->sched, o->end);
		else
			fprintf(f, "%s{\"outcome\":%s,\"count\":%ld,\"schedule\":\"%s\","
			        "\"deadlock\":%s,\"asleep\":%s,\"step_bound\":%s,\"end\":\"%s\"}",
			        i ? "," : "", o->json, o->count, o->sched,
			        strcmp(o->end, "deadlock") ? "false" : "true",
			        strcmp(o->end, "asleep") ? "false" : "true",
			        strcmp(o->end, "bound") ? "false" : "true", o->end);
	}
	fprintf(f, "]}");
	if (fclose(f) != 0 || !line)
		lab_die(lab, "out of memory");
	lab_json_line(lab, line);
	free(line);
}

static void
print_text(struct ex_state *x, double secs)
{
	struct lab *lab = x->lab;
	char stopped[48];

	printf("%s --explore: %ld interleaving%s, %ld steps", lab->prog,
	       x->runs - x->pruned, x->runs - x->pruned == 1 ? "" : "s", x->steps);
	if (x->pruned)
		printf(" (and %ld runs pruned by sleep sets)", x->pruned);
	if (!x->cut_runs && !x->cut_preempt && !x->cut_steps && !x->cut_timeout)
		printf(": complete (every schedule");
	else
	{
		const char *why[4];
		int n = 0;

		if (x->cut_runs)
			why[n++] = "--max-runs";
		if (x->cut_preempt)
			why[n++] = "the preemption bound";
		if (x->cut_steps)
			why[n++] = "the step bound";
		if (x->cut_timeout)
			why[n++] = "a run stopped after its time limit";
		printf(": NOT complete (cut by");
		for (int i = 0; i < n; i++)
			printf("%s %s", i == 0 ? "" : i == n - 1 ? " and" : ",", why[i]);
	}
	if (lab->o.preemptions >= 0)
		printf(" with at most %d preemption%s", lab->o.preemptions,
		       lab->o.preemptions == 1 ? "" : "s");
	printf(")\n");
	printf("%zu distinct outcome%s:\n", x->nout, x->nout == 1 ? "" : "s");
	snprintf(stopped, sizeof stopped, "stopped after %g s ",
	         (double)(x->ops->timeout_ms > 0 ? x->ops->timeout_ms : EX_RUN_TIMEOUT_MS) / 1000);
	for (size_t i = 0; i < x->nout; i++) {
		struct ex_outcome *o = &x->out[i];
		const char *what = strcmp(o->end, "ok") == 0 ? "" :
		                   strcmp(o->end, "bound") == 0 ? "step bound " :
		                   strcmp(o->end, "asleep") == 0 ? "everyone asleep " :
		                   strcmp(o->end, "deadlock") == 0 ? "deadlock " :
		                   strcmp(o->end, "misuse") == 0 ? "misuse (init/destroy in use) " :
		                   strcmp(o->end, "output") == 0 ? "output cap (stopped) " :
		                   strcmp(o->end, "timeout") == 0 ? stopped : o->end;

		printf("  %s%-24s %6ld run%s  --schedule %s\n", what, o->json, o->count,
		       o->count == 1 ? " " : "s", o->sched[0] ? o->sched : "(none)");
	}
	printf("%.3f s: %.0f runs/s, %.0f steps/s\n", secs,
	       secs > 0 ? (double)x->runs / secs : 0,
	       secs > 0 ? (double)x->steps / secs : 0);
}

/* The runs an explorer makes go one thread at a time (a baton passed at
 * every step), so one CPU loses them no parallelism, and a hand-off on
 * one CPU is a switch where one across two is an inter-processor wake:
 * 3.3 us against 25 us a step on this VM (racelab-watch --quantum 1,
 * measured with taskset).  The CPU is the one this thread is on (the
 * kernel has just placed it there: several explorers at once spread
 * over the CPUs), if the mask has it. */
int
lab_pin_one_cpu(void)
{
	cpu_set_t have, one;
	int cpu = sched_getcpu();
	const char *no = getenv("RACELAB_NO_PIN");

	if ((no && *no) || sched_getaffinity(0, sizeof have, &have) < 0)
		return -1;
	if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &have))
		for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &have); cpu++)
			;
	if (cpu >= CPU_SETSIZE)
		return -1;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof one, &one) == 0 ? cpu : -1;
}

void
lab_explore(struct lab *lab)
{
	struct lab_explore_ops ops = lab_ops;

	ops.ctx = lab;
	/* lab->ncpu was counted before: a run's workers are as many as
	 * without --explore. */
	lab_pin_one_cpu();
	lab_explore_with(lab, &ops);
	if (lab->exploring)
		return; /* the child: on into the lesson */
	fflush(stdout);
	exit(0);
}

void
lab_explore_with(struct lab *lab, const struct lab_explore_ops *ops)
{
	struct ex_state x = { .lab = lab, .ops = ops };
	uint64_t t0 = board_now_ns();
	double secs;

	if (!lab->o.max_runs)
		lab->o.max_runs = LAB_EXPLORE_MAX_RUNS;
	if (!lab->o.max_steps)
		lab->o.max_steps = LAB_EXPLORE_MAX_STEPS;
	push(&x, NULL, 0, NULL, 0);
	while (x.nstack > 0) {
		struct ex_sched pre;

		if (x.runs >= lab->o.max_runs) {
			x.cut_runs = true;
			break;
		}
		pre = x.stack[--x.nstack];
		run_one(&x, &pre);
		if (lab->exploring)
			return; /* the child: on into the lesson */
		free(pre.s);
		free(pre.sl);
	}
	secs = (double)(board_now_ns() - t0) / 1e9;
	if (lab_text(lab))
		print_text(&x, secs);
	if (lab->o.json)
		print_json(&x, secs);
	free(x.stack);
	for (size_t i = 0; i < x.nout; i++) {
		free(x.out[i].key);
		free(x.out[i].json);
		free(x.out[i].sched);
	}
	free(x.out);
}
