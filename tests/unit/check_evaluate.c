// Expectations judged against --json records: quantifiers, when
// conditions, functions over arrays, and a field the records lack.
#include <check.h>
#include <string.h>

#include "lesson/evaluate.h"

static const struct md_machine idle2 = {.ncpu = 2, .load = 0.1};

struct rec {
	json_t *r[32];
	int n;
};

static struct rec
records(const char *text)
{
	struct rec r;

	r.n = md_records_parse(text, r.r, 32);
	return r;
}

static struct md_judgement
judge(const char *line, const struct rec *r, const struct md_machine *m)
{
	struct md_expect e;
	struct md_judgement j;
	char err[200];

	ck_assert_msg(md_expect_parse(line, &e, err, sizeof err) == 0, "%s", err);
	md_expect_judge(&e, r->r, r->n, m, &j);
	return j;
}

START_TEST(test_records)
{
	struct rec r = records("noise on stderr\n{\"run\":1,\"final\":3}\n{bad json\n"
	                       "  {\"run\":2,\"final\":4}\n[1,2]\n");

	ck_assert_int_eq(r.n, 2);
	ck_assert_int_eq(json_integer_value(json_object_get(r.r[1], "final")), 4);
	md_records_free(r.r, r.n);
}
END_TEST

START_TEST(test_judge_every_run)
{
	struct rec r = records("{\"final\":100,\"expected\":100,\"lost\":0}\n"
	                       "{\"final\":100,\"expected\":100,\"lost\":0}\n");
	struct md_judgement j;

	j = judge("final == expected", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_HOLDS);
	ck_assert_int_eq(j.runs, 2);
	ck_assert_str_eq(j.shown, "2 of 2 runs (100)");
	j = judge("lost > 0", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_FAILS);
	ck_assert_int_eq(j.held, 0);
	j = judge("0 < lost", &r, &idle2); /* the field is what is measured */
	ck_assert_int_eq(j.verdict, MD_V_FAILS);
	ck_assert(j.measured == 0);
	md_records_free(r.r, r.n);
	/* One record: one failing run fails "in every run". */
	r = records("{\"final\":100,\"expected\":100}\n{\"final\":99,\"expected\":100}\n");
	j = judge("final == expected in every run", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_FAILS);
	ck_assert_int_eq(j.held, 1);
	ck_assert_str_eq(j.shown, "1 of 2 runs (99..100)");
	md_records_free(r.r, r.n);
}
END_TEST

START_TEST(test_judge_k_of_n)
{
	char text[2048] = "";
	struct rec r;
	struct md_judgement j;

	for (int i = 0; i < 20; i++)
		sprintf(text + strlen(text), "{\"final\":%d,\"expected\":100}\n", i < 2 ? 100 : 7 + i);
	r = records(text);
	j = judge("final != expected in >= 18 of 20 runs", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_HOLDS);
	ck_assert_int_eq(j.held, 18);
	j = judge("final != expected in >= 19 of 20 runs", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_FAILS);
	/* Fewer records than N: not judged, and said so. */
	j = judge("final != expected in >= 19 of 30 runs", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_NOT_CHECKED);
	ck_assert_msg(strstr(j.why, "20 runs of the 30"), "%s", j.why);
	md_records_free(r.r, r.n);
}
END_TEST

START_TEST(test_judge_terms)
{
	struct rec r = records("{\"elapsed_ms\":1000.5,\"serial\":{\"ms\":600},\"speedup\":1.87,"
	                       "\"nworkers\":3,\"workers\":[{\"pid\":10},{\"pid\":11},{\"pid\":10}],"
	                       "\"ms\":[3,1,2],\"ok\":true}\n");
	struct md_judgement j;
	char line[200];
	struct md_expect e;

	ck_assert_int_eq(judge("speedup >= 1.5", &r, &idle2).verdict, MD_V_HOLDS);
	j = judge("speedup >= 1.5", &r, &idle2);
	ck_assert_str_eq(j.shown, "1.87");
	md_expect_parse("speedup >= 1.5", &e, line, sizeof line);
	md_judgement_line(&e, &j, false, line, sizeof line);
	ck_assert_str_eq(line, "speedup \u2265 1.5: measured 1.87 \u2713");
	md_judgement_line(&e, &j, true, line, sizeof line);
	ck_assert_str_eq(line, "speedup >= 1.5: measured 1.87 ok");
	ck_assert_int_eq(judge("elapsed_ms between 900 and 1300", &r, &idle2).verdict, MD_V_HOLDS);
	ck_assert_int_eq(judge("elapsed_ms between 900 and 1000", &r, &idle2).verdict, MD_V_FAILS);
	ck_assert_int_eq(judge("elapsed_ms <= 2 * serial.ms", &r, &idle2).verdict, MD_V_HOLDS);
	ck_assert_int_eq(judge("elapsed_ms <= 1.5 * serial.ms", &r, &idle2).verdict, MD_V_FAILS);
	ck_assert_int_eq(judge("elapsed_ms / serial.ms > 1.6", &r, &idle2).verdict, MD_V_HOLDS);
	ck_assert_int_eq(judge("elapsed_ms / serial.ms > 1.7", &r, &idle2).verdict, MD_V_FAILS);
	j = judge("distinct(workers[].pid) == nworkers", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_FAILS); /* two distinct of three */
	ck_assert_str_eq(j.shown, "2 vs 3");
	ck_assert_int_eq(judge("distinct(workers[].pid) == 2", &r, &idle2).verdict, MD_V_HOLDS);
	ck_assert_int_eq(judge("count(workers[].pid) == nworkers", &r, &idle2).verdict, MD_V_HOLDS);
	ck_assert_int_eq(judge("sum(ms[]) == 6", &r, &idle2).verdict, MD_V_HOLDS);
	ck_assert_int_eq(judge("min(ms[]) == 1", &r, &idle2).verdict, MD_V_HOLDS);
	ck_assert_int_eq(judge("max(ms[]) == 3", &r, &idle2).verdict, MD_V_HOLDS);
	ck_assert_int_eq(judge("ok == 1", &r, &idle2).verdict, MD_V_HOLDS);
	md_records_free(r.r, r.n);
}
END_TEST

START_TEST(test_judge_when)
{
	struct rec r = records("{\"speedup\":1.1}\n");
	struct md_machine busy = {.ncpu = 2, .load = 1.3}, one = {.ncpu = 1, .load = 0};
	struct md_judgement j;

	j = judge("speedup >= 1.5 when ncpu >= 2 and load < 0.5", &r, &busy);
	ck_assert_int_eq(j.verdict, MD_V_NOT_CHECKED);
	ck_assert_str_eq(j.why, "load 1.30 (needs < 0.5)");
	j = judge("speedup >= 1.5 when ncpu >= 2 and load < 0.5", &r, &one);
	ck_assert_int_eq(j.verdict, MD_V_NOT_CHECKED);
	ck_assert_str_eq(j.why, "ncpu 1 (needs >= 2)");
	j = judge("speedup >= 1.5 when ncpu >= 2 and load < 0.5", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_FAILS); /* conditions hold: judged */
	md_records_free(r.r, r.n);
}
END_TEST

/* A condition on the run's own record (cpu_wait) is judged run by run: a
 * disturbed run is not checked, and says by how much; the others are. */
START_TEST(test_judge_record_cond)
{
	struct rec one = records("{\"speedup\":0.61,\"cpu_wait\":0.312}\n");
	struct rec mixed = records("{\"lost\":0,\"cpu_wait\":0.5}\n"
	                           "{\"lost\":3,\"cpu_wait\":0.02}\n"
	                           "{\"lost\":5,\"cpu_wait\":0.01}\n");
	struct rec quiet = records("{\"speedup\":0.61,\"cpu_wait\":0.05}\n");
	struct rec lacks = records("{\"speedup\":0.61}\n");
	struct md_machine busy = {.ncpu = 2, .load = 7.5};
	struct md_judgement j;
	char line[400];
	struct md_expect e;
	char err[200];

	/* Failed at a load of 0.1, but the run itself was kept off its CPU. */
	j = judge("speedup > 0.7 when cpu_wait < 0.1", &one, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_NOT_CHECKED);
	ck_assert_str_eq(j.why, "cpu_wait 0.31 (needs < 0.1)");
	ck_assert_int_eq(md_expect_parse("speedup > 0.7 when cpu_wait < 0.1", &e, err, sizeof err), 0);
	md_judgement_line(&e, &j, true, line, sizeof line);
	ck_assert_str_eq(line, "speedup > 0.7 when cpu_wait < 0.1: not checked: cpu_wait 0.31 (needs < 0.1)");
	/* An undisturbed run is checked, whatever the load average says. */
	j = judge("speedup > 0.7 when cpu_wait < 0.1", &quiet, &busy);
	ck_assert_int_eq(j.verdict, MD_V_FAILS);
	j = judge("speedup < 0.7 when ncpu >= 2 and cpu_wait < 0.1", &quiet, &busy);
	ck_assert_int_eq(j.verdict, MD_V_HOLDS);
	/* The machine's conditions still come first. */
	j = judge("speedup > 0.7 when ncpu >= 4 and cpu_wait < 0.1", &one, &idle2);
	ck_assert_str_eq(j.why, "ncpu 2 (needs >= 4)");
	/* Every run: the disturbed one is left out, the others judged. */
	j = judge("lost > 0 when cpu_wait < 0.1", &mixed, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_HOLDS);
	ck_assert_int_eq(j.runs, 2);
	ck_assert_str_eq(j.shown, "2 of 2 runs (3..5), 1 not checked");
	j = judge("lost > 4 when cpu_wait < 0.1", &mixed, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_FAILS);
	j = judge("lost > 0 when cpu_wait < 0.001", &mixed, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_NOT_CHECKED);
	ck_assert_str_eq(j.why, "cpu_wait 0.50 (needs < 0.001), in all 3 runs");
	/* K of N: held by K judged runs; failed when too many judged ones
	 * failed; otherwise the runs not judged would decide. */
	j = judge("lost > 0 in >= 2 of 3 runs when cpu_wait < 0.1", &mixed, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_HOLDS);
	j = judge("lost > 4 in >= 2 of 3 runs when cpu_wait < 0.1", &mixed, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_NOT_CHECKED);
	ck_assert_str_eq(j.why, "cpu_wait 0.50 (needs < 0.1), in 1 of 3 runs (1 held)");
	j = judge("lost > 9 in >= 2 of 3 runs when cpu_wait < 0.1", &mixed, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_FAILS);
	/* The one run with lost 0 was disturbed: it cannot count for the
	 * claim, nor can the claim be said to fail without it. */
	j = judge("lost == 0 in >= 1 of 3 runs when cpu_wait < 0.1", &mixed, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_NOT_CHECKED);
	ck_assert_int_eq(j.held, 0);
	/* A record without the field: an error that names it. */
	j = judge("speedup > 0.7 when cpu_wait < 0.1", &lacks, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_ERROR);
	ck_assert_str_eq(j.why, "the condition on cpu_wait: field 'cpu_wait' is not in the --json record");
	md_records_free(one.r, one.n);
	md_records_free(mixed.r, mixed.n);
	md_records_free(quiet.r, quiet.n);
	md_records_free(lacks.r, lacks.n);
}
END_TEST

START_TEST(test_judge_errors)
{
	struct rec r = records("{\"final\":1,\"sync\":\"none\",\"per\":[{\"x\":1}],\"o\":{\"a\":1}}\n");
	struct md_judgement j;

	j = judge("speedup >= 1.5", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_ERROR);
	ck_assert_msg(strstr(j.why, "field 'speedup' is not in the --json record"), "%s", j.why);
	j = judge("o.b == 1", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_ERROR);
	ck_assert_msg(strstr(j.why, "'o.b'") && strstr(j.why, "no b"), "%s", j.why);
	j = judge("sync == 1", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_ERROR);
	ck_assert_msg(strstr(j.why, "not a number"), "%s", j.why);
	j = judge("distinct(per[].y) == 1", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_ERROR);
	ck_assert_msg(strstr(j.why, "no y"), "%s", j.why);
	j = judge("final == final", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_HOLDS);
	md_records_free(r.r, r.n);
	r.n = 0;
	j = judge("final == 1", &r, &idle2);
	ck_assert_int_eq(j.verdict, MD_V_ERROR);
	ck_assert_msg(strstr(j.why, "no --json record"), "%s", j.why);
}
END_TEST

START_TEST(test_machine)
{
	struct md_machine m;

	ck_assert_int_eq(md_machine_read(&m), 0);
	ck_assert_int_ge(m.ncpu, 1);
	ck_assert(m.load >= 0);
}
END_TEST

Suite *
suite_evaluate(void)
{
	Suite *s = suite_create("evaluate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_records);
	tcase_add_test(tc, test_judge_every_run);
	tcase_add_test(tc, test_judge_k_of_n);
	tcase_add_test(tc, test_judge_terms);
	tcase_add_test(tc, test_judge_when);
	tcase_add_test(tc, test_judge_record_cond);
	tcase_add_test(tc, test_judge_errors);
	tcase_add_test(tc, test_machine);
	suite_add_tcase(s, tc);
	return s;
}
