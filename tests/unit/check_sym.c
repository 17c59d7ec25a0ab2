// Debug-info names (src/watch/sym): this test binary asks about its own
// globals, functions and lines, as the preload library asks about the
// watched program's.
#include <check.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "watch/sym.h"

/* Globals (not static: the compiler keeps them and their symbols) of the
 * shapes a watched program has. */
__attribute__((used)) pthread_mutex_t sym_big_lock = PTHREAD_MUTEX_INITIALIZER;
__attribute__((used)) pthread_mutex_t sym_forks[5];
__attribute__((used)) struct sym_account {
	long balance;
	pthread_mutex_t lock;
	int history[3][4];
} sym_acct;
__attribute__((used)) long sym_counter;

/* A function to be named, and the caller's pc for a line to be found. */
__attribute__((noinline, used)) int
sym_target(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) static uintptr_t
caller_pc(void)
{
	/* The return address minus one is inside the call instruction. */
	return (uintptr_t)__builtin_return_address(0) - 1;
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

START_TEST(test_sym_line_func)
{
	struct sym *s = sym_open_self();
	char file[512], name[128];
	unsigned line = 0;
	uintptr_t pc = caller_pc(); unsigned here = __LINE__;

	ck_assert_ptr_nonnull(s);
	ck_assert(sym_line(s, pc, file, sizeof file, &line));
	ck_assert_msg(ends_with(file, "tests/unit/check_sym.c"), "file %s", file);
	ck_assert_uint_eq(line, here);
	/* A second answer comes from the cache and is the same. */
	line = 0;
	ck_assert(sym_line(s, pc, file, sizeof file, &line));
	ck_assert_uint_eq(line, here);
	/* A short buffer is cut, not overrun. */
	ck_assert(sym_line(s, pc, file, 5, &line));
	ck_assert_uint_eq(strlen(file), 4);

	ck_assert(sym_func(s, (uintptr_t)sym_target, name, sizeof name));
	ck_assert_str_eq(name, "sym_target");
	ck_assert(sym_func(s, (uintptr_t)sym_target + 1, name, sizeof name));
	ck_assert_str_eq(name, "sym_target");
	/* A libc function, through its own module's symbols. */
	ck_assert(sym_func(s, (uintptr_t)&pthread_mutex_lock, name, sizeof name));
	ck_assert_msg(strstr(name, "pthread_mutex_lock") != NULL, "name %s", name);
	/* Nothing at the null page. */
	ck_assert(!sym_func(s, 16, name, sizeof name));
	ck_assert(!sym_line(s, 16, file, sizeof file, &line));
	sym_close(s);
}
END_TEST

START_TEST(test_sym_data)
{
	struct sym *s = sym_open_self();
	char name[128];
	long local = 0;
	long *heap = malloc(sizeof *heap);

	ck_assert_ptr_nonnull(s);
	ck_assert(sym_data(s, (uintptr_t)&sym_big_lock, name, sizeof name));
	ck_assert_str_eq(name, "sym_big_lock");
	ck_assert(sym_data(s, (uintptr_t)&sym_forks[2], name, sizeof name));
	ck_assert_str_eq(name, "sym_forks[2]");
	ck_assert(sym_data(s, (uintptr_t)&sym_forks[0], name, sizeof name));
	ck_assert_str_eq(name, "sym_forks[0]");
	ck_assert(sym_data(s, (uintptr_t)&sym_acct.lock, name, sizeof name));
	ck_assert_str_eq(name, "sym_acct.lock");
	ck_assert(sym_data(s, (uintptr_t)&sym_acct.balance, name, sizeof name));
	ck_assert_str_eq(name, "sym_acct.balance");
	ck_assert(sym_data(s, (uintptr_t)&sym_acct.history[1][3], name, sizeof name));
	ck_assert_str_eq(name, "sym_acct.history[1][3]");
	ck_assert(sym_data(s, (uintptr_t)&sym_counter, name, sizeof name));
	ck_assert_str_eq(name, "sym_counter");
	/* Inside a scalar, and inside a mutex (a union: not entered). */
	ck_assert(sym_data(s, (uintptr_t)&sym_counter + 2, name, sizeof name));
	ck_assert_str_eq(name, "sym_counter+2");
	ck_assert(sym_data(s, (uintptr_t)&sym_big_lock + 4, name, sizeof name));
	ck_assert_str_eq(name, "sym_big_lock+4");
	/* The stack and the heap have no names. */
	ck_assert(!sym_data(s, (uintptr_t)&local, name, sizeof name));
	ck_assert(!sym_data(s, (uintptr_t)heap, name, sizeof name));
	free(heap);
	sym_close(s);
}
END_TEST

/* The C library's variables that this program holds (copied in by the
 * linker, stdout@GLIBC_2.2.5 in its symbol table) are named as the
 * source names them, and listed as the library's: the program's own
 * globals are not. */
START_TEST(test_sym_lib_vars)
{
	struct sym *s = sym_open_self();
	uintptr_t r[64][2];
	char name[128];
	size_t n;
	bool out = false, ind = false;

	ck_assert_ptr_nonnull(s);
	ck_assert(sym_data(s, (uintptr_t)&stdout, name, sizeof name));
	ck_assert_str_eq(name, "stdout");
	ck_assert(sym_data(s, (uintptr_t)&optind, name, sizeof name));
	ck_assert_str_eq(name, "optind");
	n = sym_lib_vars(r, 64);
	for (size_t i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)&sym_counter, b = (uintptr_t)&sym_big_lock;

		ck_assert_msg(!(a >= r[i][0] && a < r[i][1]) && !(b >= r[i][0] && b < r[i][1]),
			      "a global of the program's own is listed as the library's");
		out |= (uintptr_t)&stdout >= r[i][0] && (uintptr_t)&stdout < r[i][1];
		ind |= (uintptr_t)&optind >= r[i][0] && (uintptr_t)&optind < r[i][1];
	}
	ck_assert_msg(out && ind, "stdout %d, optind %d not listed (%zu ranges)", out, ind, n);
	/* A short list is cut, not overrun. */
	ck_assert_uint_le(sym_lib_vars(r, 1), 1);
	sym_close(s);
}
END_TEST

static void *
ask_many(void *arg)
{
	struct sym *s = arg;
	char name[64];
	intptr_t bad = 0;

	for (int i = 0; i < 2000; i++) {
		uintptr_t a = (uintptr_t)&sym_forks[i % 5];
		char want[16];

		snprintf(want, sizeof want, "sym_forks[%d]", i % 5);
		if (!sym_data(s, a, name, sizeof name) || strcmp(name, want) != 0)
			bad++;
		if (!sym_func(s, (uintptr_t)sym_target, name, sizeof name) ||
		    strcmp(name, "sym_target") != 0)
			bad++;
	}
	return (void *)bad;
}

static atomic_bool stop_asking;

/* Ask about ever new heap addresses: each is a miss that walks the
 * modules, so the handle is held most of the time. */
static void *
ask_misses(void *arg)
{
	struct sym *s = arg;
	char *heap = malloc(1 << 20);
	char name[64];

	for (size_t i = 0; !atomic_load(&stop_asking); i = (i + 8) % (1 << 20))
		sym_data(s, (uintptr_t)heap + i, name, sizeof name);
	free(heap);
	return NULL;
}

/* A child forked while a thread of its parent is inside a call answers
 * anyway (that thread does not exist in the child, and never lets go). */
START_TEST(test_sym_fork_while_held)
{
	struct sym *s = sym_open_self();
	pthread_t t;
	char name[64];

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(pthread_create(&t, NULL, ask_misses, s), 0);
	for (int i = 0; i < 30; i++) {
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			alarm(5);
			_exit(sym_data(s, (uintptr_t)&sym_forks[1], name, sizeof name) &&
			      strcmp(name, "sym_forks[1]") == 0 ? 0 : 1);
		}
		ck_assert_int_gt(pid, 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "child %d: status %#x", i, status);
	}
	atomic_store(&stop_asking, true);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	sym_close(s);
}
END_TEST

/* Four threads asking at once all get right answers; so does a child
 * forked from a process whose handle is in use. */
START_TEST(test_sym_threads_fork)
{
	struct sym *s = sym_open_self();
	pthread_t t[4];
	char name[64];
	int status;
	pid_t pid;

	ck_assert_ptr_nonnull(s);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, ask_many, s), 0);
	pid = fork();
	if (pid == 0) {
		bool ok = sym_data(s, (uintptr_t)&sym_forks[3], name, sizeof name) &&
			  strcmp(name, "sym_forks[3]") == 0 &&
			  sym_func(s, (uintptr_t)sym_target, name, sizeof name) &&
			  strcmp(name, "sym_target") == 0;
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	for (int i = 0; i < 4; i++) {
		void *bad;

		ck_assert_int_eq(pthread_join(t[i], &bad), 0);
		ck_assert_int_eq((intptr_t)bad, 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	sym_close(s);
	/* A NULL handle (sym_open_self failed) answers nothing. */
	ck_assert(!sym_func(NULL, (uintptr_t)sym_target, name, sizeof name));
	sym_close(NULL);
}
END_TEST

Suite *
suite_sym(void)
{
	Suite *s = suite_create("sym");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sym_line_func);
	tcase_add_test(tc, test_sym_data);
	tcase_add_test(tc, test_sym_lib_vars);
	tcase_add_test(tc, test_sym_threads_fork);
	tcase_add_test(tc, test_sym_fork_while_held);
	suite_add_tcase(s, tc);
	return s;
}
