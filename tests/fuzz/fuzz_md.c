// Fuzz target: the lesson.md loader (md4c walk, steps, run and quiz
// blocks, expect: lines, argv splitting) and the text wrapper, on
// arbitrary bytes.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shell/md.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
prog_ok(const char *slug, void *ctx)
{
	(void)ctx;
	return strcmp(slug, "race") == 0 || strcmp(slug, "processes") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct md_lesson l;
	char **argv = NULL;
	char *s;

	memset(&l, 0, sizeof l);
	if (md_lesson_parse(&l, (const char *)data, size, prog_ok, NULL) == 0) {
		for (int i = 0; i < l.nstep; i++) {
			struct md_text t;

			md_wrap(&l.step[i], 8 + (int)(size % 100), &t);
			md_text_free(&t);
		}
	}
	md_lesson_free(&l);
	/* The same bytes as a run line. */
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (md_split_argv(s, &argv, 64) >= 0)
		md_argv_free(argv);
	{
		struct md_expect e;
		char err[200];

		md_expect_parse(s, &e, err, sizeof err);
	}
	md_strwidth(s);
	md_fit(s, (int)(size % 40));
	free(s);
	return 0;
}
