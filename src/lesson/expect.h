// Expectations: what a run block's runs must show ("expect: final ==
// expected in every run"), parsed from a lesson and judged against the
// program's --json records.
//
// The grammar (README "Lesson format", man racelab-lesson):
//
//   expect: CLAIM [QUANT] [when COND [and COND ...]]
//   CLAIM  := TERM CMP TERM | TERM between NUM and NUM
//   CMP    := == != < <= > >=
//   TERM   := NUM | FIELD | NUM * FIELD | FIELD / FIELD | FUNC(FIELD)
//   FIELD  := a dotted path into a run's JSON object; [] walks an array
//             (per_worker[].pid), allowed only inside FUNC
//   FUNC   := distinct | count | min | max | sum
//   QUANT  := in every run (the default) | in >= K of N runs
//   COND   := ncpu CMP NUM | load CMP NUM (the 1-minute load average)
//             | FIELD CMP NUM (a number in each run's record, judged per
//             run: cpu_wait, steal; a run whose record fails it is not
//             checked)
//
// Parsing is pure (no I/O); evaluation reads jansson values.
#ifndef RACELAB_LESSON_EXPECT_H
#define RACELAB_LESSON_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

/* Comparisons, shared by expectations and step-mode goals. */
enum md_cmp { MD_CMP_EQ, MD_CMP_NE, MD_CMP_LT, MD_CMP_LE, MD_CMP_GT, MD_CMP_GE };
bool md_cmp_holds(enum md_cmp c, long long a, long long b);
bool md_cmp_holds_d(enum md_cmp c, double a, double b);
const char *md_cmp_name(enum md_cmp c);
/* The comparison spelled at s[0..]: its length (1 or 2), or 0 if none. */
size_t md_cmp_scan(const char *s, enum md_cmp *c);

enum md_term_kind {
	MD_TERM_NUM,    /* 1.5 */
	MD_TERM_FIELD,  /* final */
	MD_TERM_SCALED, /* 2 * expected */
	MD_TERM_RATIO,  /* final / expected */
	MD_TERM_FUNC,   /* distinct(per_worker[].pid) */
};
enum md_func { MD_FUNC_DISTINCT, MD_FUNC_COUNT, MD_FUNC_MIN, MD_FUNC_MAX, MD_FUNC_SUM };
enum { MD_FIELD_MAX = 48 };

struct md_term {
	enum md_term_kind kind;
	double num;             /* NUM, or the factor of NUM * FIELD */
	enum md_func func;
	char field[MD_FIELD_MAX];  /* FIELD, the numerator, FUNC's path */
	char field2[MD_FIELD_MAX]; /* the denominator of FIELD / FIELD */
};

/* ncpu and load are the machine's, read once for the block; a FIELD
 * condition is the run's own (how much it waited for a CPU: cpu_wait). */
enum md_cond_var { MD_COND_NCPU, MD_COND_LOAD, MD_COND_FIELD };
struct md_cond {
	enum md_cond_var var;
	enum md_cmp cmp;
	double value;
	char field[MD_FIELD_MAX]; /* MD_COND_FIELD */
};

enum { MD_EXPECT_TEXT = 160, MD_EXPECT_CONDS = 4 };
struct md_expect {
	struct md_term lhs, rhs; /* rhs unused with between */
	enum md_cmp cmp;
	bool between;
	double lo, hi;           /* between lo and hi, both included */
	int k, n;                /* in >= k of n runs; n == 0: in every run */
	struct md_cond cond[MD_EXPECT_CONDS];
	int ncond;
	int line;                /* in lesson.md */
	char text[MD_EXPECT_TEXT]; /* as written after "expect:", trimmed */
};

/* Parse the text after "expect:".  0, or -1 with a message in err. */
int md_expect_parse(const char *s, struct md_expect *e, char *err, size_t errlen);

#endif
