// Progress: which steps of which lesson were seen, and where the user left
// off, kept in $XDG_STATE_HOME/racelab/progress (default
// ~/.local/state/racelab), a small text file, mode 0600:
//
//   # racelab progress 1
//   last race 2          the lesson and step to reopen
//   seen race 7          steps seen, a bit mask (step 0 = bit 0)
//   quiz race 1 101      the last prediction made at a step's quiz (a
//                        number, or the 1-based choice)
//
// Written whole to a temporary file and renamed, so a crash never leaves
// half a file.  An unusable directory is a warning on screen, not an error.
#include "shell/shell.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct progress prog;
static char dir[PATH_MAX], file[PATH_MAX + 16];
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
		int step;

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
	return used < n ? (int)used : -1;
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
		if (p->n == 64)
			return;
		snprintf(p->rec[i].slug, sizeof p->rec[i].slug, "%s", slug);
		p->rec[i].seen = 0;
		p->n++;
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
	if (i == p->nquiz) {
		if (p->nquiz == 64)
			return;
		p->nquiz++;
	}
	snprintf(p->quiz[i].slug, sizeof p->quiz[i].slug, "%s", slug);
	p->quiz[i].step = step;
	p->quiz[i].answer = answer;
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

static int
mkdirs(const char *path)
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
	char buf[8192];
	ssize_t n;
	int fd;

	warning[0] = '\0';
	if (xdg && xdg[0] == '/')
		snprintf(dir, sizeof dir, "%s/racelab", xdg);
	else if (home && *home)
		snprintf(dir, sizeof dir, "%s/.local/state/racelab", home);
	else {
		snprintf(warning, sizeof warning, "no HOME: progress is not saved");
		return -1;
	}
	snprintf(file, sizeof file, "%s/progress", dir);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		progress_parse(&prog, buf);
	}
	if (mkdirs(dir) < 0 || access(dir, W_OK) < 0) {
		snprintf(warning, sizeof warning, "cannot write %s (%s): progress is not saved",
		         dir, strerror(errno ? errno : EACCES));
		dir[0] = '\0';
		return -1;
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
	char buf[8192], tmp[PATH_MAX + 32];
	int fd, len;

	if (!dirty || !dir[0])
		return 0;
	len = progress_format(&prog, buf, sizeof buf);
	if (len < 0)
		return -1;
	snprintf(tmp, sizeof tmp, "%s.tmp", file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (write(fd, buf, (size_t)len) != len || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	close(fd);
	if (rename(tmp, file) < 0) {
		unlink(tmp);
		goto fail;
	}
	dirty = false;
	return 0;
fail:
	snprintf(warning, sizeof warning, "cannot save progress in %s: %s", dir,
	         strerror(errno));
	return -1;
}
