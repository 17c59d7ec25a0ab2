// Expectations: the expect: grammar, and expect: lines in a lesson's run
// blocks (stored in the model, a malformed one reported at its line).
#include <check.h>

#include "testutil.h"
#include <string.h>

#include "lesson/expect.h"
#include "shell/md.h"

static struct md_expect
ok(const char *s)
{
	struct md_expect e;
	char err[200] = "";

	ck_assert_msg(md_expect_parse(s, &e, err, sizeof err) == 0, "'%s': %s", s, err);
	return e;
}

START_TEST(test_expect_claims)
{
	struct md_expect e;

	e = ok("final != expected in >= 19 of 20 runs");
	ck_assert_int_eq(e.lhs.kind, MD_TERM_FIELD);
	ck_assert_str_eq(e.lhs.field, "final");
	ck_assert_int_eq(e.cmp, MD_CMP_NE);
	ck_assert_int_eq(e.rhs.kind, MD_TERM_FIELD);
	ck_assert_str_eq(e.rhs.field, "expected");
	ck_assert_int_eq(e.k, 19);
	ck_assert_int_eq(e.n, 20);
	ck_assert_int_eq(e.ncond, 0);
	ck_assert_str_eq(e.text, "final != expected in >= 19 of 20 runs");

	e = ok("  final == expected in every run  ");
	ck_assert_int_eq(e.cmp, MD_CMP_EQ);
	ck_assert_int_eq(e.n, 0); /* every run */
	ck_assert_str_eq(e.text, "final == expected in every run");

	e = ok("speedup >= 1.5 when ncpu >= 2 and load < 0.5");
	ck_assert_int_eq(e.rhs.kind, MD_TERM_NUM);
	ck_assert(e.rhs.num == 1.5);
	ck_assert_int_eq(e.ncond, 2);
	ck_assert_int_eq(e.cond[0].var, MD_COND_NCPU);
	ck_assert_int_eq(e.cond[0].cmp, MD_CMP_GE);
	ck_assert(e.cond[0].value == 2);
	ck_assert_int_eq(e.cond[1].var, MD_COND_LOAD);
	ck_assert_int_eq(e.cond[1].cmp, MD_CMP_LT);
	ck_assert(e.cond[1].value == 0.5);

	/* A condition on the run's own record, beside the machine's. */
	e = ok("per_million > 5000 when ncpu >= 2 and cpu_wait < 0.1 and steal <= 0.05");
	ck_assert_int_eq(e.ncond, 3);
	ck_assert_int_eq(e.cond[1].var, MD_COND_FIELD);
	ck_assert_str_eq(e.cond[1].field, "cpu_wait");
	ck_assert_int_eq(e.cond[1].cmp, MD_CMP_LT);
	ck_assert(e.cond[1].value == 0.1);
	ck_assert_int_eq(e.cond[2].var, MD_COND_FIELD);
	ck_assert_str_eq(e.cond[2].field, "steal");
	ck_assert_int_eq(e.cond[2].cmp, MD_CMP_LE);

	e = ok("elapsed_ms between 900 and 1300");
	ck_assert(e.between);
	ck_assert(e.lo == 900 && e.hi == 1300);

	e = ok("distinct(workers[].pid) == nworkers");
	ck_assert_int_eq(e.lhs.kind, MD_TERM_FUNC);
	ck_assert_int_eq(e.lhs.func, MD_FUNC_DISTINCT);
	ck_assert_str_eq(e.lhs.field, "workers[].pid");

	e = ok("elapsed_ms <= 2*serial.ms");
	ck_assert_int_eq(e.rhs.kind, MD_TERM_SCALED);
	ck_assert(e.rhs.num == 2);
	ck_assert_str_eq(e.rhs.field, "serial.ms");

	e = ok("lost / expected > 0.01 in >= 1 of 1 run");
	ck_assert_int_eq(e.lhs.kind, MD_TERM_RATIO);
	ck_assert_str_eq(e.lhs.field2, "expected");
	ck_assert_int_eq(e.cmp, MD_CMP_GT);

	e = ok("-1 < final");
	ck_assert(e.lhs.num == -1);

	e = ok("max(per_worker[].ms)<=3*min_ms");
	ck_assert_int_eq(e.lhs.func, MD_FUNC_MAX);
	ck_assert_int_eq(e.cmp, MD_CMP_LE);
}
END_TEST

static const struct {
	const char *line, *msg;
} bad[] = {
	{"", "nothing to check"},
	{"final", "a comparison"},
	{"final = 3", "unexpected '='"},
	{"final == ", "a number or a field was expected, not the end"},
	{"1 == 2", "nothing measured"},
	{"final == expected in 19 of 20 runs", "in >= K of N"},
	{"final == expected in >= 21 of 20 runs", "cannot exceed"},
	{"final == expected in >= 1.5 of 2 runs", "whole number"},
	{"final == expected in >= 0 of 2 runs", "whole number"},
	{"final == expected in every", "in every run"},
	{"final == expected when 2 < ncpu", "a condition is 'ncpu CMP N', 'load CMP N' or 'FIELD CMP N'"},
	{"final == expected when every > 2", "not 'every'"},
	{"final == expected when cpu_wait < 0.1 in every run", "unexpected 'in'"},
	{"final == expected when cpu_wait < limit", "cpu_wait's bound must be a number, not 'limit'"},
	{"final == expected when cpu_wait", "a comparison (== != < <= > >=) after cpu_wait"},
	{"final == expected when per[].wait < 1", "walks an array"},
	{"final == expected when ncpu 2", "a comparison"},
	{"final == expected when ncpu > two", "must be a number"},
	{"final == expected when ncpu > 1 and", "not the end of the line"},
	{"final == expected when ncpu > 1 and load < 1 and ncpu < 9 and load > 0 and ncpu > 0", "more than 4"},
	{"final == expected extra", "unexpected 'extra'"},
	{"elapsed_ms between 10", "'between LOW and HIGH'"},
	{"elapsed_ms between 10 and 5", "is empty"},
	{"elapsed_ms between a and 5", "must be a number"},
	{"median(workers[].pid) == 2", "unknown function 'median'"},
	{"distinct(workers.pid) == 2", "not an array path"},
	{"distinct(workers[].pid == 2", "')' missing"},
	{"workers[].pid == 2", "walks an array"},
	{"final.. == 2", "bad field"},
	{"final == 1e999", "bad number"},
	{"final == 12abc", "bad number"},
	{"in == 2", "word of the grammar"},
	{"2 * 3 == final", "a field was expected"},
	{"final / 2 == 1", "a field was expected"},
	{"a_very_long_field_name_that_goes_on_and_on_for_ever == 1", "too long"},
};

START_TEST(test_expect_malformed)
{
	struct md_expect e;
	char err[200] = "";

	ck_assert_int_eq(md_expect_parse(bad[_i].line, &e, err, sizeof err), -1);
	ck_assert_msg(strstr(err, bad[_i].msg), "'%s': got '%s', want '%s'", bad[_i].line,
	              err, bad[_i].msg);
	ck_assert_msg(strncmp(err, "expect: ", 8) == 0, "'%s' says which line kind", err);
}
END_TEST

START_TEST(test_expect_in_lesson)
{
	struct md_lesson l;
	const char *doc = "# T\n\n## S\n\n```run\nrace --runs 3\npanels: procs\n"
	                  "expect: final == expected\n"
	                  "goal: counter balance == 101\n"
	                  "expect: lost > 0 in >= 2 of 3 runs when ncpu >= 2\n```\n";

	ck_assert_int_eq(md_lesson_parse(&l, doc, strlen(doc), tu_only_race, NULL), 0);
	ck_assert_int_eq(l.nstep, 1);
	ck_assert_int_eq(l.step[0].run->nexpect, 2);
	ck_assert_int_eq(l.step[0].run->ngoal, 1);
	ck_assert_int_eq(l.step[0].run->argc, 3); /* expect: is not argv */
	ck_assert_str_eq(l.step[0].run->expect[0].text, "final == expected");
	ck_assert_int_eq(l.step[0].run->expect[0].line, 8);
	ck_assert_int_eq(l.step[0].run->expect[1].line, 10);
	ck_assert_int_eq(l.step[0].run->expect[1].k, 2);
	md_lesson_free(&l);
}
END_TEST

START_TEST(test_expect_bad_in_lesson)
{
	struct md_lesson l;
	const char *doc = "# T\n\n## S\n\n```run\nrace\nexpect: final == expected\n"
	                  "expect: final === 3\n```\n";

	ck_assert_int_eq(md_lesson_parse(&l, doc, strlen(doc), tu_only_race, NULL), -1);
	ck_assert_int_eq(l.error_line, 8);
	ck_assert_msg(strstr(l.error, "unexpected '='"), "%s", l.error);
	md_lesson_free(&l);
}
END_TEST

Suite *
suite_expect(void)
{
	Suite *s = suite_create("expect");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_expect_claims);
	tcase_add_loop_test(tc, test_expect_malformed, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_expect_in_lesson);
	tcase_add_test(tc, test_expect_bad_in_lesson);
	suite_add_tcase(s, tc);
	return s;
}
