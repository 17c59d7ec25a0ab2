// Small output helpers shared by lessons.
#include "lab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A result line: kept by --quiet (which drops only the chatter of
 * lab_say), left out with --json (the JSON object carries it instead). */
void
lab_result(const struct lab *lab, const char *fmt, ...)
{
	va_list ap;

	if (!lab_text(lab))
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static const char *out_prog;
static pid_t out_owner;

/* At exit: output that could not be written is a failure, not a silent
 * success (`racelab-race --json > /dev/full` must not exit 0 with nothing
 * written).  on_exit, not atexit: an exit status that already says
 * failure (1, or 2 for bad input) is kept. */
static void
check_stdout(int status, void *arg)
{
	int r, e;

	(void)arg;
	if (getpid() != out_owner)
		return; /* a forked worker's exit: the lesson's main judges */
	errno = 0;
	r = fflush(stdout);
	e = errno;
	if (r == 0 && !ferror(stdout))
		return;
	/* The failed write was earlier (line buffering): ask the device
	 * again for the reason; the output is incomplete anyway. */
	if (!e && write(STDOUT_FILENO, "\n", 1) < 0)
		e = errno;
	fprintf(stderr, "%s: write error on standard output%s%s\n",
	        out_prog ? out_prog : "racelab", e ? ": " : "", e ? strerror(e) : "");
	_exit(status ? status : 1);
}

void
lab_stdout_guard(const struct lab *lab)
{
	if (out_owner)
		return;
	out_prog = lab->prog;
	out_owner = getpid();
	on_exit(check_stdout, NULL);
}
