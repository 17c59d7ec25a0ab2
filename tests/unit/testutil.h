// Helpers for the unit tests: run a lesson program, read its JSON lines.
#ifndef RACELAB_TESTUTIL_H
#define RACELAB_TESTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct md_lesson;

/* Lesson texts in tests name only the race program: the check that a run
 * block names a lesson program, and a parse with it. */
bool tu_only_race(const char *slug, void *ctx);
int tu_parse_lesson(struct md_lesson *l, const char *text);

/* Run argv (argv[0] a path such as "bin/racelab-race"), with stdin from
 * /dev/null, capturing stdout and stderr (malloc'd, NUL-terminated; either
 * pointer may be NULL to discard).  Returns the exit code, or -signal. */
int tu_run(const char *const argv[], char **out, char **err);
/* Run argv with stdout into a pipe that is closed after its first line
 * has been read, as `prog | head -1` does; stderr is discarded.  Returns
 * the exit code, or -signal. */
int tu_run_head(const char *const argv[]);
/* Run argv (output discarded) on a board of our own, as under the shell,
 * sampling the workers' states every millisecond until it exits.  Returns
 * the set of states seen (bit 1 << BOARD_ST_x); *bare_waits (may be NULL)
 * counts samples of a worker waiting for a lock with no lock named. */
unsigned tu_states_seen(const char *const argv[], int *bare_waits);
/* Like tu_run with a string on stdin. */
int tu_run_input(const char *const argv[], const char *input, char **out,
                 char **err);

/* The n-th line (0-based) that starts with '{', copied into buf. */
bool tu_json_line(const char *out, int n, char *buf, size_t len);
int tu_json_count(const char *out);
/* Values of a flat JSON object's key. */
bool tu_json_int(const char *obj, const char *key, long long *v);
bool tu_json_num(const char *obj, const char *key, double *v);
bool tu_json_str(const char *obj, const char *key, char *buf, size_t len);
bool tu_json_bool(const char *obj, const char *key, bool *v);
/* Numbers of an array value; returns how many (at most max), -1 if absent. */
int tu_json_array(const char *obj, const char *key, long long *v, int max);
int tu_json_num_array(const char *obj, const char *key, double *v, int max);
/* Lines of out that start with prefix. */
int tu_count_prefix(const char *out, const char *prefix);

/* Processes whose command line contains needle (other than this one). */
int tu_count_procs(const char *needle);
/* Entries in /dev/shm whose name starts with prefix. */
int tu_count_shm(const char *prefix);
/* Entries of a directory other than . and .. (-1 if it cannot be read). */
int tu_count_entries(const char *dir);
/* Newlines in s. */
int tu_count_lines(const char *s);

/* Run prog with the arguments that follow, up to a NULL (at most 30). */
/* argv (room for max entries, the NULL included) gets prog, the
 * NULL-ended arguments a0 and ap, then tail when not NULL; the test fails
 * when they do not fit. */
void tu_argv_va(const char **argv, int max, const char *prog, const char *tail,
                const char *a0, va_list ap);
int tu_runv(const char *prog, char **out, char **err, const char *a0, ...)
	__attribute__((sentinel));
/* Run argv; assert exit 0 and exactly one JSON object, copied into obj. */
void tu_run_json(const char *const argv[], char *obj, size_t len);
/* 1^2 + ... + n^2 = n(n+1)(2n+1)/6 in decimal, by 128-bit arithmetic
 * of the tests' own (what the sum-of-squares lessons must print). */
void tu_sum_squares_str(unsigned long long n, char *buf, size_t len);
/* Run prog --explore --json ARGS (args space-separated, at most 20);
 * assert exit 0 and one JSON object; the report (json_decref it). */
json_t *tu_explore(const char *prog, const char *args);
/* Run argv; assert exit 2, nothing on stdout and one line on stderr that
 * starts with "<basename of argv[0]>: ". */
void tu_assert_usage_error(const char *const argv[]);
/* The same with the arguments that follow prog, up to a NULL. */
void tu_assert_usage_errorv(const char *prog, const char *a0, ...)
	__attribute__((sentinel));
/* Run argv; assert exit 0, stdout exactly runs JSON lines and nothing
 * else, and no process left whose command line holds argv[0]. */
void tu_assert_json_runs(const char *const argv[], int runs);

/* Getters that fail the test when the key is missing. */
long long tu_jint(const char *obj, const char *key);
double tu_jnum(const char *obj, const char *key);
bool tu_jbool(const char *obj, const char *key);
void tu_jstr(const char *obj, const char *key, char *buf, size_t len);

/* A fresh TMPDIR for one test (checked fixture: call from setup), named
 * /tmp/check-<name>-XXXXXX; tu_tmpdir_teardown asserts that the lesson
 * left it empty (when empty is true), removes it and unsets TMPDIR. */
const char *tu_tmpdir_setup(const char *name);
void tu_tmpdir_teardown(bool empty);
const char *tu_tmpdir(void);

/* Run n (at most 64) copies of argv at the same time, output discarded;
 * how many exited with code.  For runs that end by a watchdog's timeout:
 * twenty in parallel cost one timeout, not twenty. */
int tu_count_exits(const char *const argv[], int n, int code);

#endif
