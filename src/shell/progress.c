// Progress: which steps of which lesson were seen, and where the user left
// off, kept in $XDG_STATE_HOME/racelab/progress (default
// ~/.local/state/racelab), a small text file, mode 0600:
//
//   # racelab progress 1
//   last race 2          the lesson and step to reopen
//   seen race 7          steps seen, a bit mask (step 0 = bit 0)
//   quiz race 1 101      the last prediction made at a step's quiz (a
//                        number, or the 1-based choice)
//   exercise bank 1 2    an exercise: passed (1) or not (0), hints given
//
// Written whole to a temporary file and renamed, so a crash never leaves
// half a file.  An unusable directory is a warning on screen, not an error.
//
// The directory may have been prepared by someone else: it is used only if
// it is a real directory (not a symlink), ours, and writable by no one
// else; it is then held open and every file in it is reached through that
// descriptor, created with O_EXCL|O_NOFOLLOW, and read only if it is a
// regular file of sane size.  Otherwise progress (and `w`'s schedules,
// which live there too) is not saved, and we say so.
#include "shell/shell.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct progress prog;
static char dir[PATH_MAX];
static int dirfd_ = -1;
static char warning[PATH_MAX + 64];
static bool dirty;

int
progress_parse(struct progress *p, const char *text)
{
	memset(p, 0, sizeof *p);
	while (*text) {
		char line[128], slug[32];
		size_t n = strcspn(text, "\n");
		unsigned long long mask;
		long long answer;
		int step, ex_hints;

		snprintf(line, sizeof line, "%.*s", (int)(n < 127 ? n : 127), text);
		text += n + (text[n] == '\n');
		if (sscanf(line, "last %31s %d", slug, &step) == 2 && md_slug_valid(slug)) {
			snprintf(p->last, sizeof p->last, "%s", slug);
			p->last_step = step < 0 ? 0 : step;
		} else if (sscanf(line, "quiz %31s %d %lld", slug, &step, &answer) == 3 &&
		           md_slug_valid(slug) && step >= 0 && p->nquiz < 64) {
			snprintf(p->quiz[p->nquiz].slug, sizeof p->quiz[p->nquiz].slug, "%s", slug);
			p->quiz[p->nquiz].step = step;
			p->quiz[p->nquiz].answer = answer;
			p->nquiz++;
		} else if (sscanf(line, "exercise %31s %d %d", slug, &step, &ex_hints) == 3 &&
		           md_slug_valid(slug) && ex_hints >= 0 && ex_hints < 100) {
			progress_ex_set(p, slug, step == 1, ex_hints);
		} else if (sscanf(line, "seen %31s %llu", slug, &mask) == 2 &&
		           md_slug_valid(slug) && p->n < 64) {
			snprintf(p->rec[p->n].slug, sizeof p->rec[p->n].slug, "%s", slug);
			p->rec[p->n].seen = mask;
			p->n++;
		}
		/* Anything else (comments, a newer format's lines) is skipped. */
	}
	return 0;
}

int
progress_format(const struct progress *p, char *buf, size_t n)
{
	size_t used = (size_t)snprintf(buf, n, "# racelab progress 1\n");

	if (p->last[0] && used < n)
		used += (size_t)snprintf(buf + used, n - used, "last %s %d\n", p->last,
		                         p->last_step);
	for (int i = 0; i < p->n && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "seen %s %llu\n",
		                         p->rec[i].slug,
		                         (unsigned long long)p->rec[i].seen);
	for (int i = 0; i < p->nquiz && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "quiz %s %d %lld\n",
		                         p->quiz[i].slug, p->quiz[i].step,
		                         p->quiz[i].answer);
	for (int i = 0; i < p->nex && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "exercise %s %d %d\n",
		                         p->ex[i].name, p->ex[i].passed, p->ex[i].hints);
	return used < n ? (int)used : -1;
}

/* Record i of the *n in an array of 64 (the struct progress arrays): i
 * when it was found (i < *n), else a new last one; -1 when full. */
static int
slot(int i, int *n)
{
	if (i < *n)
		return i;
	if (*n == 64)
		return -1;
	return (*n)++;
}

void
progress_mark(struct progress *p, const char *slug, int step)
{
	int i;

	if (step < 0 || step > 63)
		return;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->rec[i].slug, slug) == 0)
			break;
	if (i == p->n) {
		if ((i = slot(i, &p->n)) < 0)
			return;
		snprintf(p->rec[i].slug, sizeof p->rec[i].slug, "%s", slug);
		p->rec[i].seen = 0;
	}
	p->rec[i].seen |= 1ull << step;
}

void
progress_quiz_set(struct progress *p, const char *slug, int step, long long answer)
{
	int i;

	for (i = 0; i < p->nquiz; i++)
		if (strcmp(p->quiz[i].slug, slug) == 0 && p->quiz[i].step == step)
			break;
	if ((i = slot(i, &p->nquiz)) < 0)
		return;
	snprintf(p->quiz[i].slug, sizeof p->quiz[i].slug, "%s", slug);
	p->quiz[i].step = step;
	p->quiz[i].answer = answer;
}

void
progress_ex_set(struct progress *p, const char *name, bool passed, int hints)
{
	int i;

	for (i = 0; i < p->nex; i++)
		if (strcmp(p->ex[i].name, name) == 0)
			break;
	if ((i = slot(i, &p->nex)) < 0)
		return;
	snprintf(p->ex[i].name, sizeof p->ex[i].name, "%s", name);
	p->ex[i].passed = passed;
	p->ex[i].hints = hints;
}

void
progress_exercise(const char *name, bool *passed, int *hints)
{
	*passed = false;
	*hints = 0;
	for (int i = 0; i < prog.nex; i++)
		if (strcmp(prog.ex[i].name, name) == 0) {
			*passed = prog.ex[i].passed;
			*hints = prog.ex[i].hints;
		}
}

void
progress_exercise_set(const char *name, bool passed, int hints)
{
	bool p0;
	int h0;

	progress_exercise(name, &p0, &h0);
	if (p0 == passed && h0 == hints)
		return;
	progress_ex_set(&prog, name, passed, hints);
	dirty = true;
}

/* Record a quiz answer in the saved progress. */
void
progress_quiz(const char *slug, int step, long long answer)
{
	if (!slug)
		return;
	progress_quiz_set(&prog, slug, step, answer);
	dirty = true;
}

const char *
progress_dir(void)
{
	return dir[0] ? dir : NULL;
}

int
progress_dirfd(void)
{
	return dir[0] ? dirfd_ : -1;
}

int
shell_open_regular(int at, const char *path, long long cap, int flags)
{
	struct stat st;
	int fd = openat(at, path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > cap) {
		int e = fd >= 0 && S_ISREG(st.st_mode) ? EFBIG : EINVAL;

		close(fd);
		errno = e;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* Is the state directory, open as fd, safe to write in?  NULL if so, else
 * why not. */
static const char *
dir_unsafe(int fd, char *why, size_t n)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		snprintf(why, n, "%s", strerror(errno));
	else if (st.st_uid != geteuid())
		snprintf(why, n, "owned by uid %u, not by us", (unsigned)st.st_uid);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(why, n, "writable by others (mode %03o)",
		         (unsigned)(st.st_mode & 0777));
	else
		return NULL;
	return why;
}

/* mkdir -p, each new level private (0700): the state directory and the
 * exercise workspace are the user's alone. */
int
progress_mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
progress_init(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char buf[8192], why[96];
	ssize_t n;
	int fd;

	warning[0] = '\0';
	if (xdg && xdg[0] == '/')
		snprintf(dir, sizeof dir, "%s/racelab", xdg);
	else if (home && *home)
		snprintf(dir, sizeof dir, "%s/.local/state/racelab", home);
	else {
		dir[0] = '\0';
		snprintf(warning, sizeof warning, "no HOME: progress is not saved");
		return -1;
	}
	errno = 0;
	if (progress_mkdirs(dir) < 0 ||
	    (dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(warning, sizeof warning, "cannot use %s (%s): progress is not saved",
		         dir, errno == ELOOP || errno == ENOTDIR ? "a symlink or not a directory"
		                                                : strerror(errno ? errno : EACCES));
		dir[0] = '\0';
		return -1;
	}
	if (dir_unsafe(dirfd_, why, sizeof why) || faccessat(dirfd_, ".", W_OK, AT_EACCESS) < 0) {
		snprintf(warning, sizeof warning, "refusing %s (%s): progress is not saved", dir,
		         dir_unsafe(dirfd_, why, sizeof why) ? why : strerror(errno));
		close(dirfd_);
		dirfd_ = -1;
		dir[0] = '\0';
		return -1;
	}
	fd = shell_open_regular(dirfd_, "progress", (long long)sizeof buf - 1,
	                        O_RDONLY | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		progress_parse(&prog, buf);
	} else if (errno != ENOENT) {
		snprintf(warning, sizeof warning, "%s/progress is not a regular file of "
		         "at most 8 KiB: not read", dir);
	}
	return 0;
}

const char *
progress_warning(void)
{
	return warning[0] ? warning : NULL;
}

void
progress_seen(const char *slug, int step)
{
	uint64_t before = progress_mask(slug);

	progress_mark(&prog, slug, step);
	dirty |= progress_mask(slug) != before;
}

uint64_t
progress_mask(const char *slug)
{
	for (int i = 0; i < prog.n; i++)
		if (strcmp(prog.rec[i].slug, slug) == 0)
			return prog.rec[i].seen;
	return 0;
}

void
progress_set_last(const char *slug, int step)
{
	if (strcmp(prog.last, slug ? slug : "") == 0 && prog.last_step == step)
		return;
	snprintf(prog.last, sizeof prog.last, "%s", slug ? slug : "");
	prog.last_step = step;
	dirty = true;
}

bool
progress_last(char *slug, size_t n, int *step)
{
	if (!prog.last[0])
		return false;
	snprintf(slug, n, "%s", prog.last);
	*step = prog.last_step;
	return true;
}

int
progress_save(void)
{
	char buf[8192], tmp[32];
	int fd = -1, len;
	ssize_t w;

	if (!dirty || !dir[0])
		return 0;
	len = progress_format(&prog, buf, sizeof buf);
	if (len < 0)
		return -1;
	/* A fresh name each time, never an existing file, never through a
	 * symlink: what someone planted is not followed or truncated. */
	for (int i = 0; i < 16 && fd < 0; i++) {
		snprintf(tmp, sizeof tmp, "progress.%d.%08lx", (int)getpid(),
		         (unsigned long)(shell_now_ns() ^ (uint64_t)i * 0x9e3779b9u) & 0xffffffffu);
		fd = openat(dirfd_, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		            0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		goto fail;
	/* SIGXFSZ is ignored (loop.c): over RLIMIT_FSIZE this is EFBIG. */
	w = write(fd, buf, (size_t)len);
	if (w != len || fsync(fd) < 0) {
		if (w >= 0 && w != len)
			errno = EFBIG;
		close(fd);
		unlinkat(dirfd_, tmp, 0);
		goto fail;
	}
	close(fd);
	if (renameat(dirfd_, tmp, dirfd_, "progress") < 0) {
		unlinkat(dirfd_, tmp, 0);
		goto fail;
	}
	dirty = false;
	return 0;
fail:
	snprintf(warning, sizeof warning, "cannot save progress in %s: %s: progress is not saved",
	         dir, strerror(errno));
	return -1;
}
