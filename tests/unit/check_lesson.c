// The lesson model: argv splitting, run blocks (verify: lines), and
// reading a lesson file: only a regular file, never blocking, capped.
#include <check.h>

#include "testutil.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lesson/lesson.h"

static bool
race_or_locks(const char *slug, void *ctx)
{
	(void)ctx;
	return strcmp(slug, "race") == 0 || strcmp(slug, "locks") == 0;
}

START_TEST(test_split_argv)
{
	char **v;

	ck_assert_int_eq(md_split_argv("  a  'b c' \"d'e\" f\"g h\"  ", &v, 8), 4);
	ck_assert_str_eq(v[0], "a");
	ck_assert_str_eq(v[1], "b c");
	ck_assert_str_eq(v[2], "d'e");
	ck_assert_str_eq(v[3], "fg h");
	ck_assert_ptr_null(v[4]);
	md_argv_free(v);
	/* No shell: metacharacters are plain text. */
	ck_assert_int_eq(md_split_argv("race ; rm $HOME `x`", &v, 8), 5);
	ck_assert_str_eq(v[1], ";");
	ck_assert_str_eq(v[3], "$HOME");
	md_argv_free(v);
	ck_assert_int_eq(md_split_argv("a 'b", &v, 8), -1);
	ck_assert_int_eq(md_split_argv("a b c", &v, 2), -1);
	ck_assert_int_eq(md_split_argv("   ", &v, 2), 0);
	md_argv_free(v);
	ck_assert(md_slug_valid("race"));
	ck_assert(md_slug_valid("threads-vs-processes"));
	ck_assert(!md_slug_valid("../race"));
	ck_assert(!md_slug_valid("Race"));
	ck_assert(!md_slug_valid("-x"));
	ck_assert(!md_slug_valid(""));
}
END_TEST


START_TEST(test_run_block)
{
	struct md_run *r;
	char err[200];
	int line;

	ck_assert_int_eq(md_run_parse("race --runs 20\npanels: procs\n"
	                              "verify: race --runs 20 --iters 1000\n"
	                              "expect: lost > 0 in >= 15 of 20 runs\n",
	                              10, race_or_locks, NULL, &r, err, sizeof err, &line), 0);
	ck_assert_int_eq(r->line, 10);
	ck_assert_int_eq(r->argc, 3);
	ck_assert_int_eq(r->verify_argc, 5);
	ck_assert_str_eq(r->verify_argv[4], "1000");
	ck_assert_int_eq(r->nexpect, 1);
	ck_assert_int_eq(r->expect[0].line, 14);
	md_run_free(r);
	/* A verify: line runs the same program, and one per block. */
	ck_assert_int_eq(md_run_parse("race\nverify: locks\n", 3, race_or_locks, NULL, &r, err,
	                              sizeof err, &line), -1);
	ck_assert_msg(strstr(err, "verify: runs racelab-locks"), "%s", err);
	ck_assert_int_eq(md_run_parse("race\nverify: race\nverify: race\n", 3, race_or_locks, NULL,
	                              &r, err, sizeof err, &line), -1);
	ck_assert_int_eq(line, 6);
	ck_assert_int_eq(md_run_parse("race\nverify: sh -c x\n", 3, race_or_locks, NULL, &r, err,
	                              sizeof err, &line), -1);
	ck_assert_msg(strstr(err, "unknown program 'sh'"), "%s", err);
	ck_assert_int_eq(line, 5);
}
END_TEST

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char dir[64];

static void
mkdir_tmp(void)
{
	snprintf(dir, sizeof dir, "/tmp/racelab-check-lesson-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
rm_tmp(const char *name)
{
	char p[128];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	unlink(p);
	rmdir(dir);
}

/* A FIFO with no writer, a device, a directory: refused at once, with no
 * read (the old loader waited for a writer for ever, or read /dev/zero). */
START_TEST(test_read_not_regular)
{
	const char *paths[] = {NULL, "/dev/zero", "/dev/null", "/tmp", "/dev/tty"};
	char p[128], err[200], *buf;
	size_t len;
	int line;

	mkdir_tmp();
	snprintf(p, sizeof p, "%s/lesson.md", dir);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	paths[0] = p;
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		double t0 = now();
		int r = md_read_file(paths[i], 1 << 20, &buf, &len, err, sizeof err, &line);

		ck_assert_msg(r == -1, "%s was read", paths[i]);
		ck_assert_msg(now() - t0 < 0.5, "%s: %.2f s to refuse", paths[i], now() - t0);
		ck_assert_ptr_null(buf);
		if (access(paths[i], F_OK) == 0 && i != 4)
			ck_assert_msg(strstr(err, "not a regular file"), "%s: %s", paths[i], err);
	}
	rm_tmp("lesson.md");
}
END_TEST

static void
write_file(const char *p, const char *s, size_t n)
{
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(s, 1, n, f), n);
	fclose(f);
}

/* Too large: refused with the line the limit falls on, as path:line. */
START_TEST(test_load_too_large)
{
	struct md_lesson l;
	char p[128], want[200], *big = malloc(MD_LESSON_MAX_BYTES + 100);
	size_t n = 0;
	int lines = 0;

	mkdir_tmp();
	snprintf(p, sizeof p, "%s/lesson.md", dir);
	n = (size_t)sprintf(big, "# T\n\n## S\n\n");
	while (n < MD_LESSON_MAX_BYTES + 50) {
		memcpy(big + n, "0123456789abcdef0123456789abcde\n", 32);
		n += 32;
	}
	for (size_t i = 0; i < MD_LESSON_MAX_BYTES; i++)
		lines += big[i] == '\n';
	write_file(p, big, n);
	ck_assert_int_eq(md_lesson_load(&l, p, race_or_locks, NULL), -1);
	snprintf(want, sizeof want, "%s:%d: file too large", p, lines + 1);
	ck_assert_msg(strstr(l.error, want), "'%s' lacks '%s'", l.error, want);
	ck_assert_int_eq(l.error_line, lines + 1);
	md_lesson_free(&l);
	/* At the cap exactly: loaded. */
	write_file(p, big, MD_LESSON_MAX_BYTES);
	ck_assert_msg(md_lesson_load(&l, p, race_or_locks, NULL) == 0, "%s", l.error);
	md_lesson_free(&l);
	rm_tmp("lesson.md");
	free(big);
}
END_TEST

START_TEST(test_load_errors)
{
	struct md_lesson l;
	char p[128];
	const char *doc = "# T\n\n## S\n\n```run\nrace\nexpect: final ==\n```\n";

	mkdir_tmp();
	snprintf(p, sizeof p, "%s/lesson.md", dir);
	ck_assert_int_eq(md_lesson_load(&l, p, race_or_locks, NULL), -1);
	ck_assert_msg(strstr(l.error, "No such file"), "%s", l.error);
	md_lesson_free(&l);
	write_file(p, doc, strlen(doc));
	ck_assert_int_eq(md_lesson_load(&l, p, race_or_locks, NULL), -1);
	ck_assert_msg(strstr(l.error, ":7: expect:"), "%s", l.error);
	ck_assert_ptr_null(l.title); /* nothing of a broken lesson is kept */
	md_lesson_free(&l);
	rm_tmp("lesson.md");
}
END_TEST

/* Is want in the text of a block of s (its spans joined)? */
static bool
text_has(const struct md_step *s, const char *want)
{
	for (int i = 0; i < s->nblock; i++) {
		char all[1024] = "";

		for (int j = 0; j < s->block[i].nspan; j++)
			strncat(all, s->block[i].span[j].text, sizeof all - strlen(all) - 1);
		if (strstr(all, want))
			return true;
	}
	return false;
}

/* Is want a span of its own, marked as a reference? */
static bool
ref_span(const struct md_step *s, const char *want)
{
	for (int i = 0; i < s->nblock; i++)
		for (int j = 0; j < s->block[i].nspan; j++)
			if (strcmp(s->block[i].span[j].text, want) == 0 &&
			    (s->block[i].span[j].attr & MDL_REF))
				return true;
	return false;
}

/* "DOC: name" in the text reads as where the marker is in the sources. */
START_TEST(test_refs)
{
	struct md_lesson l;
	char p[128];
	const char *src =
		"// x.c\nstatic int\ninside(int a)\n{\n\t/* DOC: in-body: here */\n\treturn a;\n}\n\n"
		"/* DOC: above\n * the function below */\nstatic void\nbelow(void)\n{\n}\n\n"
		"/* DOC: a-struct */\n#define N 3\nstruct pool {\n\tint n;\n};\n\n"
		"/* DOC: a-global */\nstatic long counter = 1;\n\n/* DOC: loose */\n\n";
	const char *doc = "# T\n\nIntro (`DOC: above`).\n\n## S\n\nSee `DOC: in-body` and DOC: a-struct,\n"
	                  "DOC: a-global, (DOC: loose) and `DOC: nope`.\n\n    code   DOC: above\n";

	mkdir_tmp();
	snprintf(p, sizeof p, "%s/x.c", dir);
	write_file(p, src, strlen(src));
	snprintf(p, sizeof p, "%s/lesson.md", dir);
	write_file(p, doc, strlen(doc));
	ck_assert_msg(md_lesson_load(&l, p, race_or_locks, NULL) == 0, "%s", l.error);
	ck_assert(text_has(&l.intro, "x.c: below()"));
	ck_assert(text_has(&l.step[0], "x.c: inside()"));
	ck_assert(text_has(&l.step[0], "x.c: struct pool"));
	ck_assert(text_has(&l.step[0], "x.c: counter"));
	ck_assert(text_has(&l.step[0], "(x.c: line 25)"));
	ck_assert(text_has(&l.step[0], "nope (no such marker)"));
	ck_assert(text_has(&l.step[0], "code   x.c: below()"));
	ck_assert(!text_has(&l.step[0], "DOC:"));
	ck_assert(ref_span(&l.step[0], "x.c: inside()"));
	ck_assert(ref_span(&l.step[0], "x.c: line 25"));
	ck_assert(!ref_span(&l.step[0], "nope (no such marker)"));
	ck_assert_int_eq(l.step[0].nref, 5);
	ck_assert_str_eq(l.step[0].ref[0].name, "in-body");
	ck_assert_str_eq(l.step[0].ref[0].file, "x.c");
	ck_assert_int_eq(l.step[0].ref[0].line, 5);
	ck_assert_str_eq(l.step[0].ref[0].where, "x.c: inside()");
	md_lesson_free(&l);
	unlink(p);
	rm_tmp("x.c");
}
END_TEST

Suite *
suite_lesson(void)
{
	Suite *s = suite_create("lesson");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_split_argv);
	tcase_add_test(tc, test_run_block);
	tcase_add_test(tc, test_read_not_regular);
	tcase_add_test(tc, test_load_too_large);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_refs);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	return s;
}
