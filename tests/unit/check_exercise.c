// Exercises: the exercise block's parser, and the checker judged on the
// solutions of tests/exercises/: every wrong one fails with a schedule
// that reproduces its failure 20 times of 20 (racelab-watch --schedule S
// --runs 20), every right one passes, and one that passes on free threads
// (by luck) still fails the check.
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell/shell.h"

/* ---- the block ------------------------------------------------------- */

static const char good_block[] =
	"name: bank\n"
	"template: bank.c\n"
	"driver: bank-driver.c\n"
	"preemptions: 2\n"
	"runs: 5\n"
	"task: make them safe\n"
	"  when called at once.\n"
	"hint: one\n"
	"hint: two\n"
	"more of two\n";

START_TEST(test_block_parse)
{
	struct md_exercise *x;
	char err[240];
	int line;

	ck_assert_int_eq(md_exercise_parse(good_block, 10, &x, err, sizeof err, &line), 0);
	ck_assert_str_eq(x->name, "bank");
	ck_assert_str_eq(x->template_file, "bank.c");
	ck_assert_str_eq(x->driver, "bank-driver.c");
	ck_assert_int_eq(x->preemptions, 2);
	ck_assert_int_eq(x->runs, 5);
	ck_assert_str_eq(x->task, "make them safe when called at once.");
	ck_assert_int_eq(x->nhint, 2);
	ck_assert_str_eq(x->hint[1], "two more of two");
	md_exercise_free(x);
}
END_TEST

START_TEST(test_block_errors)
{
	static const struct {
		const char *text, *msg;
		int line;
	} bad[] = {
		{"template: a.c\ndriver: b.c\ntask: t\nhint: 1\nhint: 2\n", "needs name:", 10},
		{"name: x\ntemplate: ../a.c\n", "not a .c file", 12},
		{"name: x\ntemplate: a.c\ndriver: a/b.c\n", "not a .c file", 13},
		{"name: x\ntemplate: a.c\ndriver: b.c\ntask: t\nhint: 1\n", "2 to 6 hint", 10},
		{"name: x\npreemptions: 99\n", "preemptions:", 12},
		{"name: X!\n", "exercise name", 11},
		{"frobnicate: 1\n", "is not name:", 11},
		{"name: x\ntemplate: a.c\ndriver: a.c\ntask: t\nhint: 1\nhint: 2\n", "one file", 10},
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct md_exercise *x = NULL;
		char err[240];
		int line;

		ck_assert_int_eq(md_exercise_parse(bad[i].text, 10, &x, err, sizeof err, &line), -1);
		ck_assert_ptr_null(x);
		ck_assert_msg(strstr(err, bad[i].msg), "case %zu: '%s'", i, err);
		ck_assert_int_eq(line, bad[i].line);
	}
}
END_TEST

/* A lesson with two exercise blocks in one step is refused, at its line. */
START_TEST(test_block_in_lesson)
{
	static const char doc[] =
		"# T\n\n## S\n\n```exercise\nname: a\ntemplate: a.c\ndriver: d.c\ntask: t\n"
		"hint: 1\nhint: 2\n```\n\n```exercise\nname: b\ntemplate: b.c\ndriver: d.c\n"
		"task: t\nhint: 1\nhint: 2\n```\n";
	struct md_lesson l;

	ck_assert_int_eq(md_lesson_parse(&l, doc, strlen(doc), NULL, NULL), -1);
	ck_assert_int_eq(l.error_line, 14);
	ck_assert(strstr(l.error, "a second exercise block"));
	md_lesson_free(&l);
	ck_assert_int_eq(md_lesson_parse(&l, doc, 120, NULL, NULL), -1); /* cut: unterminated */
	md_lesson_free(&l);
	ck_assert_int_eq(md_lesson_parse(&l, doc, 85, NULL, NULL), 0);
	ck_assert_ptr_nonnull(l.step[0].ex);
	ck_assert_str_eq(l.step[0].ex->name, "a");
	md_lesson_free(&l);
}
END_TEST

/* The progress file keeps an exercise's state. */
START_TEST(test_progress_line)
{
	struct progress p;
	char buf[8192];

	progress_parse(&p, "# racelab progress 1\nexercise bank 1 2\nexercise slot 0 1\n"
	                   "exercise bad 1 -3\n");
	ck_assert_int_eq(p.nex, 2);
	ck_assert(p.ex[0].passed && p.ex[0].hints == 2);
	ck_assert(!p.ex[1].passed && p.ex[1].hints == 1);
	progress_ex_set(&p, "slot", true, 3);
	ck_assert_int_gt(progress_format(&p, buf, sizeof buf), 0);
	ck_assert(strstr(buf, "exercise bank 1 2\nexercise slot 1 3\n"));
}
END_TEST

/* ---- the checker, on real solutions ------------------------------------ */

static struct catalog cat;
static char bin[PATH_MAX];

static void
load(void)
{
	char cwd[PATH_MAX - 16], lessons[PATH_MAX];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	snprintf(lessons, sizeof lessons, "%s/lessons", cwd);
	snprintf(bin, sizeof bin, "%s/bin", cwd);
	ck_assert_int_ge(catalog_load(&cat, lessons, bin), 0);
}

/* Each solution, with the preemption bound this test explores it at: the
 * smallest that shows its mistake (the lessons' own bounds, larger, are
 * timed in bench/exercise.sh), so that the suite stays within seconds. */
struct solution {
	const char *exercise, *file;
	int k;
	enum exercise_result want;
	const char *why; /* a piece of the reason */
};

static const struct solution solutions[] = {
	{"bank", "bank-luck.c", 1, EX_FAIL, "the balance is"},
	{"bank", "bank-half.c", 1, EX_FAIL, "the balance is"},
	{"bank", "bank-split.c", 1, EX_FAIL, "the balance is"},
	{"bank", "bank-flag.c", 2, EX_FAIL, "the balance is"},
	{"bank", "bank-syntax.c", 1, EX_COMPILE, "bank-syntax.c:16"},
	{"bank", "bank-main.c", 1, EX_COMPILE, "defines main, which the driver"},
	{"bank", "bank-missing.c", 1, EX_COMPILE, "calls withdraw(), which"},
	{"bank", "bank-exit.c", 1, EX_FAIL, "ended before the driver's checks"},
	{"bank", "bank-noop.c", 1, EX_FAIL, "does not do its job"},
	{"bank", "bank-mutex.c", 1, EX_PASS, ""},
	{"bank", "bank-print.c", 1, EX_PASS, ""},
	{"bank", "bank-atomic.c", 1, EX_PASS, ""},
	{"transfer", "transfer-order.c", 1, EX_FAIL, "deadlock"},
	{"transfer", "transfer-half.c", 1, EX_FAIL, "money was made or lost"},
	{"transfer", "transfer-none.c", 1, EX_FAIL, "money was made or lost"},
	{"transfer", "transfer-bybalance.c", 1, EX_FAIL, "deadlock"},
	{"transfer", "transfer-ordered.c", 1, EX_PASS, ""},
	{"transfer", "transfer-global.c", 1, EX_PASS, ""},
	{"slot", "slot-if.c", 0, EX_FAIL, "taken 2 times"},
	{"slot", "slot-onecv.c", 0, EX_FAIL, "everyone asleep"},
	{"slot", "slot.c", 0, EX_FAIL, "empty slot"}, /* the template as it is */
	{"slot", "slot-twocv.c", 0, EX_PASS, ""},
	{"slot", "slot-broadcast.c", 0, EX_PASS, ""},
	{"rendezvous", "rendezvous-wait-post.c", 1, EX_FAIL, "everyone asleep"},
	{"rendezvous", "rendezvous-half.c", 1, EX_FAIL, "before A had done"},
	{"rendezvous", "rendezvous-post-wait.c", 1, EX_PASS, ""},
};

static void
path_of(const struct solution *s, const struct exercise *e, char *buf, size_t n)
{
	if (strcmp(s->file, "slot.c") == 0)
		exercise_source(e, false, buf, n);
	else
		snprintf(buf, n, "tests/exercises/%s", s->file);
}

/* Each solution: the verdict it must get; a failure's schedule replays
 * the same failure 20 times of 20. */
START_TEST(test_solutions)
{
	const struct solution *s = &solutions[_i];
	struct exercise e;
	struct exercise_verdict v, r;
	char file[PATH_MAX];

	struct md_exercise x;

	load();
	ck_assert_int_eq(exercise_find(&cat, s->exercise, &e), 0);
	x = *e.x;
	x.preemptions = s->k;
	e.x = &x;
	path_of(s, &e, file, sizeof file);
	ck_assert_int_eq(exercise_check(bin, &e, file, &v), 0);
	printf("check %-9s %-20s %-7s %.1f s  %ld interleavings  %s\n", s->exercise, s->file,
	       v.result == EX_PASS ? "PASS" : v.result == EX_FAIL ? "FAIL" :
	       v.result == EX_COMPILE ? "COMPILE" : "ERROR", v.seconds, v.explored, v.reason);
	ck_assert_msg(v.result == s->want, "%s: verdict %d, not %d: %s", s->file, v.result,
	              s->want, v.reason);
	ck_assert_msg(strstr(v.reason, s->why) || strstr(v.detail, s->why) ||
	              strstr(v.where, s->why), "%s: '%s' not in '%s' / '%s'", s->file, s->why,
	              v.reason, v.detail);
	if (s->want != EX_FAIL)
		return;
	/* Found by the exploration, not by luck on free threads, with the
	 * command line that replays it. */
	ck_assert_msg(!strstr(v.reason, "on free threads"), "%s: %s", s->file, v.reason);
	ck_assert_msg(v.schedule[0], "%s: no schedule", s->file);
	ck_assert(strstr(v.command, "--schedule"));
	ck_assert(strstr(v.command, v.schedule));
	ck_assert_int_eq(exercise_replay(bin, &e, file, v.schedule, 20, &r), 0);
	ck_assert_msg(r.result == EX_FAIL, "%s: --schedule %s did not fail", s->file, v.schedule);
	/* Every one of the 20 runs, not one of them: the same failure. */
	ck_assert_msg(r.runs == 20 && r.count == 20, "%s: %ld of %d replays failed", s->file,
	              r.count, r.runs);
	ck_assert_msg(strcmp(r.reason, v.reason) == 0, "%s: replayed '%s', explored '%s'",
	              s->file, r.reason, v.reason);
	catalog_free(&cat);
}
END_TEST

/* bank-luck.c passes on free threads (at least one of 5 runs: its threads
 * rarely overlap where it matters) while the check fails it (above). */
START_TEST(test_luck_on_free_threads)
{
	struct exercise e;
	struct exercise_verdict v;

	load();
	ck_assert_int_eq(exercise_find(&cat, "bank", &e), 0);
	ck_assert_int_eq(exercise_replay(bin, &e, "tests/exercises/bank-luck.c", NULL, 5, &v), 0);
	ck_assert_msg(v.runs == 5 && v.count < 5, "%ld of %d free runs of bank-luck.c failed: %s",
	              v.count, v.runs, v.reason);
	catalog_free(&cat);
}
END_TEST

Suite *
suite_exercise(void)
{
	Suite *s = suite_create("exercise");
	TCase *t = tcase_create("block");
	TCase *c = tcase_create("check");

	tcase_add_test(t, test_block_parse);
	tcase_add_test(t, test_block_errors);
	tcase_add_test(t, test_block_in_lesson);
	tcase_add_test(t, test_progress_line);
	suite_add_tcase(s, t);
	tcase_set_timeout(c, 120);
	tcase_add_loop_test(c, test_solutions, 0, (int)(sizeof solutions / sizeof solutions[0]));
	tcase_add_test(c, test_luck_on_free_threads);
	suite_add_tcase(s, c);
	return s;
}
