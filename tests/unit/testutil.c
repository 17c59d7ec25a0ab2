// Helpers for the unit tests: run a lesson program, read its JSON lines.
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <time.h>

#include "board/board.h"
#include "lesson/lesson.h"
#include "lesson/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int
tu_run_input(const char *const argv[], const char *input, char **out,
             char **err)
{
	int po[2], pe[2], pi[2], st;
	struct md_buf bo = {0}, be = {0};
	pid_t pid;

	if (pipe(po) || pipe(pe) || pipe(pi))
		return -1000;
	pid = fork();
	if (pid == 0) {
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]); close(pe[0]); close(pi[1]);
		close(po[1]); close(pe[1]); close(pi[0]);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	close(pi[0]);
	if (input) {
		signal(SIGPIPE, SIG_IGN);
		if (write(pi[1], input, strlen(input)) < 0) {
			/* the program may exit before reading it all */
		}
	}
	close(pi[1]);
	md_buf_add(&bo, "", 0);
	md_buf_add(&be, "", 0);
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd pf[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
		char tmp[4096];

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(pf[i].fd, tmp, sizeof tmp);
			if (n <= 0) {
				close(i ? pe[0] : po[0]);
				if (i) pe[0] = -1; else po[0] = -1;
				open_fds--;
			} else {
				md_buf_add(i ? &be : &bo, tmp, (size_t)n);
			}
		}
		if (po[0] < 0 && pe[0] < 0)
			break;
		if (po[0] < 0 || pe[0] < 0) {
			/* keep polling the other one */
			struct pollfd one = { po[0] < 0 ? pe[0] : po[0], POLLIN, 0 };
			ssize_t n;
			char t2[4096];

			while (poll(&one, 1, -1) > 0 &&
			       (n = read(one.fd, t2, sizeof t2)) > 0)
				md_buf_add(po[0] < 0 ? &be : &bo, t2, (size_t)n);
			close(one.fd);
			break;
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (out) *out = bo.s; else free(bo.s);
	if (err) *err = be.s; else free(be.s);
	if (WIFSIGNALED(st))
		return -WTERMSIG(st);
	return WEXITSTATUS(st);
}

int
tu_run_head(const char *const argv[])
{
	int po[2], st, devnull;
	pid_t pid;
	char c;

	if (pipe(po))
		return -1000;
	pid = fork();
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 2);
		dup2(po[1], 1);
		close(po[0]);
		close(po[1]);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	while (read(po[0], &c, 1) == 1 && c != '\n')
		;
	close(po[0]); /* the reader is gone: the next write gets EPIPE */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		return -WTERMSIG(st);
	return WEXITSTATUS(st);
}

unsigned
tu_states_seen(const char *const argv[], int *bare_waits)
{
	const struct timespec ms = { 0, 1000 * 1000 };
	struct board *b;
	unsigned seen = 0;
	char fds[16];
	int fd, st;
	pid_t pid;

	b = board_create_memfd(&fd);
	ck_assert_ptr_nonnull(b);
	if (bare_waits)
		*bare_waits = 0;
	snprintf(fds, sizeof fds, "%d", fd);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		setenv(BOARD_ENV_FD, fds, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		for (int i = 1; i < BOARD_MAX_ACTORS; i++) {
			uint32_t s = atomic_load(&b->actor[i].state);

			if (s < 32)
				seen |= 1u << s;
			if (bare_waits && s == BOARD_ST_WAIT_LOCK &&
			    atomic_load(&b->actor[i].wait_lock) == 0)
				(*bare_waits)++;
		}
		nanosleep(&ms, NULL);
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d",
	              argv[0], st);
	board_unmap(b);
	close(fd);
	return seen;
}

int
tu_run(const char *const argv[], char **out, char **err)
{
	return tu_run_input(argv, NULL, out, err);
}

bool
tu_json_line(const char *out, int n, char *buf, size_t len)
{
	for (const char *p = out; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (*p == '{' && n-- == 0) {
			if (l >= len)
				l = len - 1;
			memcpy(buf, p, l);
			buf[l] = '\0';
			return true;
		}
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

int
tu_json_count(const char *out)
{
	return tu_count_prefix(out, "{");
}

static const char *
value_of(const char *obj, const char *key)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = strstr(obj, pat);
	return p ? p + strlen(pat) : NULL;
}

bool
tu_json_int(const char *obj, const char *key, long long *v)
{
	const char *p = value_of(obj, key);
	char *end;

	if (!p)
		return false;
	*v = strtoll(p, &end, 10);
	return end != p;
}

bool
tu_json_num(const char *obj, const char *key, double *v)
{
	const char *p = value_of(obj, key);
	char *end;

	if (!p)
		return false;
	*v = strtod(p, &end);
	return end != p;
}

bool
tu_json_bool(const char *obj, const char *key, bool *v)
{
	const char *p = value_of(obj, key);

	if (!p)
		return false;
	*v = strncmp(p, "true", 4) == 0;
	return *v || strncmp(p, "false", 5) == 0;
}

bool
tu_json_str(const char *obj, const char *key, char *buf, size_t len)
{
	const char *p = value_of(obj, key);
	size_t i = 0;

	if (!p || *p != '"')
		return false;
	for (p++; *p && *p != '"' && i + 1 < len; p++) {
		if (*p == '\\' && p[1])
			p++;
		buf[i++] = *p;
	}
	buf[i] = '\0';
	return true;
}

int
tu_json_array(const char *obj, const char *key, long long *v, int max)
{
	const char *p = value_of(obj, key);
	int n = 0;

	if (!p || *p != '[')
		return -1;
	for (p++; *p && *p != ']';) {
		char *end;
		long long x = strtoll(p, &end, 10);

		if (end == p)
			break;
		if (n < max)
			v[n] = x;
		n++;
		p = end;
		if (*p == ',')
			p++;
	}
	return n < max ? n : max;
}

int
tu_json_num_array(const char *obj, const char *key, double *v, int max)
{
	const char *p = value_of(obj, key);
	int n = 0;

	if (!p || *p != '[')
		return -1;
	for (p++; *p && *p != ']' && n < max;) {
		char *end;

		v[n] = strtod(p, &end);
		if (end == p)
			break;
		n++;
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

int
tu_count_prefix(const char *out, const char *prefix)
{
	int n = 0;
	size_t pl = strlen(prefix);

	for (const char *p = out; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, prefix, pl) == 0)
			n++;
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

/* Does process PID carry this test run's mark in its environment?  (Set
 * by main.c; without it, every process counts.) */
static bool
ours(const char *pid)
{
	const char *mark = getenv("RACELAB_UNIT_RUN");
	char path[300], want[64], *env = NULL;
	size_t cap = 0, len = 0;
	ssize_t r;
	bool found = false;
	int fd;

	if (!mark)
		return true;
	snprintf(want, sizeof want, "RACELAB_UNIT_RUN=%s", mark);
	snprintf(path, sizeof path, "/proc/%s/environ", pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return false; /* gone, or another user's: not ours */
	for (;;) {
		if (len + 4096 > cap) {
			char *n = realloc(env, cap = cap * 2 + 8192);

			if (!n)
				break;
			env = n;
		}
		if ((r = read(fd, env + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (env)
		env[len] = '\0';
	for (size_t i = 0; env && i < len; i += strlen(env + i) + 1) {
		if (!strcmp(env + i, want)) {
			found = true;
			break;
		}
	}
	free(env);
	return found;
}

int
tu_count_procs(const char *needle)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], cmd[4096];
		ssize_t len;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		if (atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		len = read(fd, cmd, sizeof cmd - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		cmd[len] = '\0';
		if (strstr(cmd, needle) && ours(e->d_name))
			n++;
	}
	closedir(d);
	return n;
}

int
tu_count_shm(const char *prefix)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

int
tu_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

int
tu_count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

void
tu_argv_va(const char **argv, int max, const char *prog, const char *tail,
           const char *a0, va_list ap)
{
	int n = 0;

	argv[n++] = prog;
	for (const char *a = a0; a; a = va_arg(ap, const char *)) {
		ck_assert_msg(n < max - 2, "%s: more than %d arguments", prog, max - 3);
		argv[n++] = a;
	}
	if (tail)
		argv[n++] = tail;
	argv[n] = NULL;
}

int
tu_runv(const char *prog, char **out, char **err, const char *a0, ...)
{
	const char *argv[32];
	va_list ap;

	va_start(ap, a0);
	tu_argv_va(argv, 32, prog, NULL, a0, ap);
	va_end(ap);
	return tu_run(argv, out, err);
}

void
tu_run_json(const char *const argv[], char *obj, size_t len)
{
	char *out = NULL, *err = NULL;
	int rc = tu_run(argv, &out, &err);

	ck_assert_msg(rc == 0, "%s: exit %d, stderr: %s", argv[0], rc, err);
	ck_assert_int_eq(tu_json_count(out), 1);
	ck_assert(tu_json_line(out, 0, obj, len));
	free(out);
	free(err);
}

void
tu_sum_squares_str(unsigned long long n, char *buf, size_t len)
{
	unsigned __int128 v = (unsigned __int128)n * (n + 1) *
	                      (2 * (unsigned __int128)n + 1) / 6;
	char tmp[48];
	int k = 0;

	do {
		tmp[k++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (int i = 0; i < k && (size_t)i < len - 1; i++)
		buf[i] = tmp[k - 1 - i];
	buf[k < (int)len ? k : (int)len - 1] = '\0';
}

json_t *
tu_explore(const char *prog, const char *args)
{
	const char *argv[24] = { prog, "--explore", "--json" };
	char buf[256], *out = NULL, *err = NULL;
	json_error_t e;
	json_t *r;
	int n = 3, rc;

	snprintf(buf, sizeof buf, "%s", args);
	for (char *t = strtok(buf, " "); t && n < 23; t = strtok(NULL, " "))
		argv[n++] = t;
	rc = tu_run(argv, &out, &err);
	ck_assert_msg(rc == 0, "%s %s: exit %d: %s", prog, args, rc, err);
	ck_assert_int_eq(tu_json_count(out), 1);
	r = json_loads(out, 0, &e);
	ck_assert_msg(r != NULL, "not JSON: %s", out);
	free(out);
	free(err);
	return r;
}

void
tu_assert_usage_error(const char *const argv[])
{
	const char *base = strrchr(argv[0], '/');
	char *out = NULL, *err = NULL, prefix[128];
	int rc = tu_run(argv, &out, &err);

	snprintf(prefix, sizeof prefix, "%s: ", base ? base + 1 : argv[0]);
	ck_assert_msg(rc == 2, "%s %s: exit %d", argv[0],
	              argv[1] ? argv[1] : "", rc);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(tu_count_lines(err), 1);
	ck_assert_msg(tu_count_prefix(err, prefix) == 1, "stderr: %s", err);
	ck_assert_str_eq(strchr(err, '\n') + 1, "");
	free(out);
	free(err);
}

void
tu_assert_usage_errorv(const char *prog, const char *a0, ...)
{
	const char *argv[32];
	va_list ap;

	va_start(ap, a0);
	tu_argv_va(argv, 32, prog, NULL, a0, ap);
	va_end(ap);
	tu_assert_usage_error(argv);
}

void
tu_assert_json_runs(const char *const argv[], int runs)
{
	char *out = NULL, *err = NULL;
	int rc = tu_run(argv, &out, &err);

	ck_assert_msg(rc == 0, "%s: exit %d, stderr: %s", argv[0], rc, err);
	ck_assert_int_eq(tu_json_count(out), runs);
	ck_assert_int_eq(tu_count_lines(out), runs); /* nothing but JSON */
	ck_assert_int_eq(tu_count_procs(strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
	                                                      : argv[0]), 0);
	free(out);
	free(err);
}

long long
tu_jint(const char *obj, const char *key)
{
	long long v = -12345;

	ck_assert_msg(tu_json_int(obj, key, &v), "no %s in %s", key, obj);
	return v;
}

double
tu_jnum(const char *obj, const char *key)
{
	double v = -12345;

	ck_assert_msg(tu_json_num(obj, key, &v), "no %s in %s", key, obj);
	return v;
}

bool
tu_jbool(const char *obj, const char *key)
{
	bool v = false;

	ck_assert_msg(tu_json_bool(obj, key, &v), "no %s in %s", key, obj);
	return v;
}

void
tu_jstr(const char *obj, const char *key, char *buf, size_t len)
{
	ck_assert_msg(tu_json_str(obj, key, buf, len), "no %s in %s", key, obj);
}

static char tu_dir[64];

const char *
tu_tmpdir_setup(const char *name)
{
	snprintf(tu_dir, sizeof tu_dir, "/tmp/check-%s-XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(tu_dir));
	setenv("TMPDIR", tu_dir, 1);
	return tu_dir;
}

void
tu_tmpdir_teardown(bool empty)
{
	if (empty)
		ck_assert_int_eq(tu_count_entries(tu_dir), 0);
	rmdir(tu_dir);
	unsetenv("TMPDIR");
}

const char *
tu_tmpdir(void)
{
	return tu_dir;
}

bool
tu_only_race(const char *slug, void *ctx)
{
	(void)ctx;
	return strcmp(slug, "race") == 0;
}

int
tu_parse_lesson(struct md_lesson *l, const char *text)
{
	return md_lesson_parse(l, text, strlen(text), tu_only_race, NULL);
}

int
tu_count_exits(const char *const argv[], int n, int code)
{
	pid_t pid[64];
	int got = 0, started = 0;

	for (int i = 0; i < n && i < 64; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			int fd = open("/dev/null", O_RDWR);

			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			execv(argv[0], (char *const *)argv);
			_exit(127);
		}
		if (pid[i] > 0)
			started++;
	}
	for (int i = 0; i < started; i++) {
		int st;

		if (waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == code)
			got++;
	}
	return got;
}
