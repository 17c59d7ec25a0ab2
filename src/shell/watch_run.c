// racelab --watch PROGRAM ARGS, and --run 'watch PROGRAM ARGS': the
// learner's own program live in the lesson view, run by racelab-watch.
// Here the command line is checked before the terminal is taken: the
// program files are the user's, resolved against their working directory
// (the shell runs them later from wherever it is), and the command is
// quoted again for the one-step lesson --run makes.
#include "shell/shell.h"

#include "lesson/evaluate.h"
#include "lesson/lesson.h"
#include "lesson/util.h"
#include "lesson/watch_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
qword(struct md_buf *b, const char *w)
{
	if (b->len)
		md_buf_add(b, " ", 1);
	if (!*w)
		md_buf_add(b, "''", 2);
	while (*w) {
		size_t n = strcspn(w, "'");

		if (n) {
			md_buf_add(b, "'", 1);
			md_buf_add(b, w, n);
			md_buf_add(b, "'", 1);
			w += n;
		} else {
			md_buf_add(b, "\"'\"", 3);
			w++;
		}
	}
}

char *
watch_cmdline(char *const argv[], int argc, const char *bin_dir, char *err, size_t n)
{
	int prog = md_watch_prog(argv, argc), nf = md_watch_nfiles(argv, argc, prog);
	char tool[PATH_MAX], real[DEMO_WATCH_FILES][PATH_MAX];
	struct md_buf b = {0};

	if (prog < 0) {
		snprintf(err, n, "no program given (watch PROGRAM [ARG...])");
		return NULL;
	}
	if (nf > DEMO_WATCH_FILES) {
		snprintf(err, n, "at most %d .c files", DEMO_WATCH_FILES);
		return NULL;
	}
	if (demo_prog_path(&(struct demo_where){NULL, bin_dir}, "watch", tool, sizeof tool) < 0) {
		snprintf(err, n, "no racelab-watch in %s (make builds it)", bin_dir);
		return NULL;
	}
	for (int f = 0; f < nf; f++) {
		const char *w = argv[prog + f];

		/* What racelab-watch would refuse (a script, a static
		 * program, ...) is refused here, before the terminal is
		 * taken, in its words. */
		if (md_watch_check_file(w, err, n) < 0)
			return NULL;
		if (!realpath(w, real[f])) {
			snprintf(err, n, "%.200s: %s", w, strerror(errno));
			return NULL;
		}
	}
	qword(&b, "watch");
	for (int i = 1; i < argc; i++)
		qword(&b, i >= prog && i < prog + nf ? real[i - prog] : argv[i]);
	return b.s;
}

char *
watch_run_cmdline(const char *run, const char *bin_dir, char *err, size_t n)
{
	char **argv;
	int argc = md_split_argv(run, &argv, DEMO_MAX_ARGS);
	char *out;

	err[0] = '\0';
	if (argc <= 0)
		return NULL; /* lesson_open_run says "bad command" */
	if (!md_watch_is(argv[0])) {
		md_argv_free(argv);
		return NULL;
	}
	out = watch_cmdline(argv, argc, bin_dir, err, n);
	md_argv_free(argv);
	return out;
}

bool
watch_run_outcome(const struct demo *d, char *buf, size_t n)
{
	/* Drawn every frame: parse the records once per record. */
	static unsigned gen = ~0u;
	static size_t len;
	static char said[64];
	json_t *rec[64];
	int nr;

	if (!d->rec || !d->rec_len)
		return false;
	if (gen != d->rec_gen || len != d->rec_len) {
		gen = d->rec_gen;
		len = d->rec_len;
		said[0] = '\0';
		nr = md_records_parse(d->rec, rec, 64);
		if (nr > 0) {
			json_t *last = rec[nr - 1], *st = json_object_get(last, "status");
			const char *sig = json_string_value(json_object_get(last, "signal"));
			const char *end = json_string_value(json_object_get(last, "end"));

			if (json_is_true(json_object_get(last, "timeout")))
				snprintf(said, sizeof said, "stopped (it did not end)");
			else if (end && strcmp(end, "ok") != 0)
				snprintf(said, sizeof said, "%s", end);
			else if (sig)
				snprintf(said, sizeof said, "killed by %s", sig);
			else if (json_is_integer(st) && json_integer_value(st) != 0)
				snprintf(said, sizeof said, "exited %lld",
				         (long long)json_integer_value(st));
		}
		md_records_free(rec, nr > 0 ? nr : 0);
	}
	if (!said[0])
		return false;
	snprintf(buf, n, "%s", said);
	return true;
}
