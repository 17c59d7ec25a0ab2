// Fuzz target: the lesson programs' command-line parser (lab_parse), with
// every kind of option a lesson can declare.  Input: NUL-separated words.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool flag;
static int n;
static long l;
static double d;
static const char *str, *choice;

static const struct lab_option options[] = {
	{ "flag", LAB_OPT_FLAG, &flag, NULL, "a flag", 0, 0 },
	{ "int", LAB_OPT_INT, &n, "N", "an int", 1, 100 },
	{ "long", LAB_OPT_LONG, &l, "N", "a long", 0, 0 },
	{ "double", LAB_OPT_DOUBLE, &d, "S", "a double", 0, 60 },
	{ "str", LAB_OPT_STRING, &str, "S", "a string", 0, 0 },
	{ "choice", LAB_OPT_CHOICE, &choice, "a|b|c", "a choice", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "fuzz", .title = "fuzz", .workers = 2, .mode = LAB_THREAD,
	.modes = LAB_MODES_BOTH, .iters = 10, .runs = 1,
	.syncs = "none|mutex", .sync_default = "none", .steps = true,
	.options = options,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[65];
	int argc = 1;
	struct lab lab;
	char err[256];

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"racelab-fuzz";
	for (size_t i = 0; i < size && argc < 64;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	if (!freopen("/dev/null", "w", stdout))
		abort();
	if (lab_parse(&lab, &lesson, argc, argv, err, sizeof err) == 0) {
		/* What was accepted holds its promises. */
		if (lab.o.workers < 1 || lab.o.workers > BOARD_MAX_WORKERS)
			abort();
		if (lab.o.mode == LAB_PROCESS && lab.o.workers > LAB_MAX_PROCESSES)
			abort();
		for (int i = 0; i < lab.nsched; i++)
			if (lab.sched[i] < 1 || lab.sched[i] > lab.o.workers)
				abort();
		free(lab.sched);
	} else if (err[0] == '\0' && lab.o.json) {
		/* help or version, or an error that said nothing */
	}
	free(buf);
	return 0;
}
