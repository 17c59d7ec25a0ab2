// Tests of lab_clean.c, the names a lesson cannot leak: a storm of SIGTERM
// and SIGKILL at random moments of a lesson's life, the windows between
// shm_open/mq_open and the unlink and while a temporary directory exists
// included.  After each kill, within a bounded wait, nothing of that
// lesson's may be left in /dev/shm, /dev/mqueue or its TMPDIR.
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ll + ts.tv_nsec / 1000;
}

/* Entries of dir whose name starts with prefix. */
static int
count_in(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* What the lesson with this pid may have left: its shm and mq names, and
 * anything in the test's TMPDIR. */
static int
left_by(pid_t pid, bool mq_too)
{
	char shm[64], mq[64];

	int n;

	snprintf(shm, sizeof shm, "racelab-%d-", (int)pid);
	n = count_in("/dev/shm", shm) + count_in(tu_tmpdir(), "");
	/* Queues by name (/dev/mqueue need not be mounted): the lesson
	 * numbers them from 1.  Only for the lesson that makes them: with
	 * pid_max 32768 a reused pid can meet another run's queue. */
	for (int k = 1; mq_too && k <= 4; k++) {
		mqd_t q;

		snprintf(mq, sizeof mq, "/racelab-ipc-%d-%d", (int)pid, k);
		if ((q = mq_open(mq, O_RDONLY)) != (mqd_t)-1) {
			mq_close(q);
			mq_unlink(mq);
			n++;
		}
	}
	return n;
}

struct storm {
	int tries, killed, in_window, left, max_wait_ms;
};

/* Wait (at most 2 s) for dir to get an entry named <prefix><pid>-*: the
 * moment a name exists, so the signal lands in the window on purpose,
 * not by luck.  Returns whether it was seen. */
static bool
wait_created(int ino, const char *prefix, pid_t pid)
{
	char want[64], buf[4096];
	struct pollfd pf = { .fd = ino, .events = POLLIN };

	snprintf(want, sizeof want, "%s%d-", prefix, (int)pid);
	while (poll(&pf, 1, 2000) == 1) {
		ssize_t n = read(ino, buf, sizeof buf);

		for (char *p = buf; n > 0 && p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			if (e->len && strncmp(e->name, want, strlen(want)) == 0)
				return true;
			p += sizeof *e + e->len;
		}
	}
	return false;
}

/* tries runs of argv, each killed (SIGTERM and SIGKILL in turn) after a
 * random delay below the time one whole run takes here and now (adapted
 * as the tries go); then up to 3 s for the cleanup helper. */
static struct storm
storm(const char *const argv[], int tries, const char *watch, const char *prefix)
{
	int ino = -1;
	struct storm s = { .tries = tries };
	bool mq_too = watch && strcmp(watch, "/dev/mqueue") == 0;
	unsigned seed = (unsigned)getpid();
	int max_us;
	long long t;
	char *out = NULL;

	t = now_us();
	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	free(out);
	max_us = (int)(now_us() - t) + 1;
	if (watch && access(watch, F_OK) == 0) {
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		ck_assert_int_ge(ino, 0);
		ck_assert_int_ge(inotify_add_watch(ino, watch, IN_CREATE), 0);
	}

	for (int i = 0; i < tries; i++) {
		int sig = i % 2 ? SIGKILL : SIGTERM, st;
		long long t0, waited;
		sigset_t term, old;
		pid_t pid;

		/* check's SIGTERM handler (it kills the test's group) must not
		 * run in the child before its exec. */
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigprocmask(SIG_BLOCK, &term, &old);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			freopen("/dev/null", "w", stdout);
			freopen("/dev/null", "w", stderr);
			execv(argv[0], (char *const *)argv);
			_exit(127);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (ino >= 0 && i % 4 < 2 && wait_created(ino, prefix, pid)) {
			/* Half the tries: at the moment the name appears. */
			char path[128];

			kill(pid, sig);
			snprintf(path, sizeof path, "%s/%s%d-0", watch, prefix, (int)pid);
			s.in_window += access(path, F_OK) == 0;
		} else {
			usleep((useconds_t)(rand_r(&seed) % max_us));
			kill(pid, sig);
		}
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		/* The delays follow the run's length here and now (a loaded
		 * machine slows the start): shorter after a run that ended
		 * first, longer after one that was hit. */
		if (WIFSIGNALED(st))
			s.killed++, max_us += max_us / 20;
		else if ((max_us -= max_us / 4) < 200)
			max_us = 200;
		if (!WIFSIGNALED(st))
			ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			              "%s: status %d", argv[0], st);
		t0 = now_us();
		/* Cleanup is the helper's, after the lesson's death: on a
		 * loaded machine it once took longer than 3 s (nothing was
		 * left when the listing below ran), so wait up to 10 s; the
		 * slowest is reported. */
		while (left_by(pid, mq_too) && now_us() - t0 < 10000000)
			usleep(1000);
		waited = (now_us() - t0) / 1000;
		if (waited > s.max_wait_ms)
			s.max_wait_ms = (int)waited;
		if (left_by(pid, mq_too)) {
			char cmd[512];

			s.left++;
			snprintf(cmd, sizeof cmd,
			         "echo 'left by %d (%s):'; ls -laR %s; ls -la /dev/shm | grep racelab;"
			         "ps -eo pid,ppid,stat,comm | grep racelab-c | grep -v Z",
			         (int)pid, sig == SIGKILL ? "SIGKILL" : "SIGTERM", tu_tmpdir());
			(void)!system(cmd);
			/* Clear it, so the next try counts its own. */
			snprintf(cmd, sizeof cmd, "rm -rf %s/* /dev/shm/racelab-%d-*",
			         tu_tmpdir(), (int)pid);
			(void)!system(cmd);
			if (s.left >= 5)
				break; /* enough to fail; do not wait for every try */
		}
	}
	if (ino >= 0)
		close(ino);
	return s;
}

static void
report(const char *what, struct storm s)
{
	printf("storm %s: %d tries, %d killed mid-run (%d while the name "
	       "existed), %d left something, slowest cleanup %d ms\n", what,
	       s.tries, s.killed, s.in_window, s.left, s.max_wait_ms);
	fflush(stdout);
	ck_assert_msg(s.left == 0, "%s: %d of %d tries left something", what, s.left,
	              s.tries);
	/* The storm must really hit the lessons mid-run (and the windows,
	 * where the file system shows them). */
	ck_assert_int_ge(s.killed, s.tries / 3);
}

static void
setup(void)
{
	tu_tmpdir_setup("lab_clean");
}

static void
teardown(void)
{
	tu_tmpdir_teardown(true);
}

/* Lesson 05's posix map, three runs: three shm_open/shm_unlink windows. */
START_TEST(test_storm_shm)
{
	const char *argv[] = { "bin/racelab-shared-memory", "--map", "posix",
	                       "--workers", "1", "--count", "1", "--runs", "3",
	                       "--quiet", NULL };

	struct storm s = storm(argv, 300, "/dev/shm", "racelab-");

	report("shm (lesson 05)", s);
	ck_assert_int_gt(s.in_window, 0);
}
END_TEST

/* Lesson 06's message queue: mq_open/mq_unlink. */
START_TEST(test_storm_mq)
{
	const char *argv[] = { "bin/racelab-ipc", "--demo", "transfer", "--transport",
	                       "mq", "--messages", "20", "--quiet", NULL };

	report("mq (lesson 06)", storm(argv, 150, "/dev/mqueue", "racelab-ipc-"));
}
END_TEST

/* Lesson 07's socket directory, made and removed every run. */
START_TEST(test_storm_socket_dir)
{
	const char *argv[] = { "bin/racelab-manager", "--demo", "records",
	                       "--runs", "2", "--quiet", NULL };

	report("socket dir (lesson 07)", storm(argv, 150, NULL, NULL));
}
END_TEST

/* Lesson 10's image tree, files being written when the signal lands. */
START_TEST(test_storm_images_dir)
{
	const char *argv[] = { "bin/racelab-images", "--images", "2", "--width", "256",
	                       "--height", "256", "--quiet", NULL };

	report("image dir (lesson 10)", storm(argv, 60, NULL, NULL));
}
END_TEST

Suite *
suite_lab_clean(void)
{
	Suite *s = suite_create("lab_clean");
	TCase *tc = tcase_create("storm");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_storm_shm);
	tcase_add_test(tc, test_storm_mq);
	tcase_add_test(tc, test_storm_socket_dir);
	tcase_add_test(tc, test_storm_images_dir);
	suite_add_tcase(s, tc);
	return s;
}
