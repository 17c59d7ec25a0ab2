// Tests of the lab runtime: spawning and reaping, options, schedules, locks.
#include <check.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lab.h"
#include "testutil.h"

static const struct lab_lesson test_lesson = {
	.slug = "test",
	.title = "test lesson",
	.workers = 2,
	.mode = LAB_THREAD,
	.modes = LAB_MODES_BOTH,
	.iters = 10,
	.runs = 1,
	.syncs = "none|mutex",
	.sync_default = "none",
};

static void
init_with(struct lab *lab, const char *args)
{
	char buf[256], *argv[32];
	int argc = 0;

	snprintf(buf, sizeof buf, "test %s", args);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	unsetenv(BOARD_ENV_FD);
	lab_init(lab, &test_lesson, argc, argv);
}

/* Children of this process that are zombies (state Z). */
static int
count_zombie_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d))) {
		char path[300], buf[512], *p;
		FILE *f;
		int ppid;
		char st;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) &&
		    sscanf(p + 2, "%c %d", &st, &ppid) == 2 && ppid == getpid() &&
		    st == 'Z')
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static int
body_exit_no(struct lab_worker *w)
{
	atomic_fetch_add(&((struct board_counter *)w->arg)->value, 1);
	return w->no == 3 ? 7 : 0;
}

static void
spawn_and_reap(const char *mode)
{
	struct lab lab;
	char args[64];
	struct lab_team *t;
	struct board_counter *c;

	snprintf(args, sizeof args, "--mode %s --workers 4", mode);
	init_with(&lab, args);
	lab_run_begin(&lab, 1);
	c = lab_counter(&lab, "n", 0);
	t = lab_spawn(&lab, lab.o.workers, body_exit_no, c);
	ck_assert_int_eq(lab_join(t), LAB_JOIN_FAILED); /* worker 3 exits 7 */
	ck_assert_int_eq(atomic_load(&c->value), 4);
	for (int i = 0; i < 4; i++) {
		ck_assert(t->w[i].joined);
		ck_assert_int_eq(t->w[i].status, t->w[i].no == 3 ? 7 : 0);
		ck_assert(!lab_worker_alive(&t->w[i]));
		if (strcmp(mode, "process") == 0) {
			ck_assert_int_ne(t->w[i].pid, getpid());
			ck_assert_int_eq(atomic_load(&lab.board->actor[i + 1].pid),
			                 t->w[i].pid);
		} else {
			ck_assert_int_eq(t->w[i].pid, getpid());
		}
	}
	ck_assert_int_eq(count_zombie_children(), 0);
	lab_team_free(t);
}

START_TEST(test_spawn_reap_threads) { spawn_and_reap("thread"); }
END_TEST
START_TEST(test_spawn_reap_processes) { spawn_and_reap("process"); }
END_TEST

static int
body_suicide(struct lab_worker *w)
{
	if (w->no == 2)
		raise(SIGKILL);
	return 0;
}

START_TEST(test_signal_reported)
{
	struct lab lab;
	struct lab_team *t;
	char buf[64];

	init_with(&lab, "--mode process --workers 2");
	lab_run_begin(&lab, 1);
	t = lab_spawn(&lab, 2, body_suicide, NULL);
	lab_join(t);
	ck_assert_int_eq(t->w[0].status, 0);
	ck_assert_int_eq(t->w[1].status, -SIGKILL);
	ck_assert_str_eq(lab_status_text(t->w[1].status, buf, sizeof buf),
	                 "killed by SIGKILL");
	ck_assert_int_eq(atomic_load(&lab.board->actor[2].state), BOARD_ST_KILLED);
	ck_assert_int_eq(count_zombie_children(), 0);
	lab_team_free(t);
}
END_TEST

/* All workers are held at the start barrier until the last one exists:
 * every worker sees all the others' actors published when it starts. */
static int
body_count_started(struct lab_worker *w)
{
	struct board *b = w->lab->board;
	int seen = 0;

	for (int i = 1; i <= w->lab->o.workers; i++)
		if (atomic_load(&b->actor[i].pid) != 0)
			seen++;
	return seen == w->lab->o.workers ? 0 : 1;
}

START_TEST(test_released_together)
{
	struct lab lab;
	struct lab_team *t;

	init_with(&lab, "--mode process --workers 16");
	lab_run_begin(&lab, 1);
	t = lab_spawn(&lab, 16, body_count_started, NULL);
	ck_assert_int_eq(lab_join(t), LAB_JOIN_OK);
	lab_team_free(t);
}
END_TEST

/* Option errors: one line on stderr, exit 2, nothing started. */
static const char *const bad_race[][6] = {
	{ "--workers", "0" },
	{ "--workers", "abc" },
	{ "--workers", "5000" },
	{ "--workers", "300", "--mode", "process" },
	{ "--mode", "fiber" },
	{ "--iters", "-1" },
	{ "--runs", "0" },
	{ "--sync", "magic" },
	{ "--schedule", "1,x" },
	{ "--schedule", "1,3" },
	{ "--schedule", "1," },
	{ "--bogus" },
	{ "extra" },
	{ "--workers" },
	{ "--widen", "sometimes" },
	{ "--cpus", "-1" },
	{ "--cpus", "4097" },
	{ "--cpus", "one" },
	{ "--cpus" },
};

START_TEST(test_bad_options)
{
	for (size_t i = 0; i < sizeof bad_race / sizeof bad_race[0]; i++) {
		const char *argv[8] = { "bin/racelab-race" };
		char *out, *err;
		int n = 1, rc;

		for (int k = 0; k < 6 && bad_race[i][k]; k++)
			argv[n++] = bad_race[i][k];
		rc = tu_run(argv, &out, &err);
		ck_assert_msg(rc == 2, "%s: exit %d", argv[1], rc);
		ck_assert_msg(strlen(out) == 0, "%s: stdout not empty", argv[1]);
		ck_assert_msg(strncmp(err, "racelab-race: ", 14) == 0, "%s: %s", argv[1], err);
		ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1,
		              "%s: not one line: %s", argv[1], err);
		free(out);
		free(err);
	}
}
END_TEST

/* A flag given a value: one readable line, exit 2 (getopt's optopt holds
 * the option's code there, not a character to print). */
START_TEST(test_flag_with_value)
{
	tu_assert_usage_errorv("bin/racelab-race", "--json=yes", NULL);
	tu_assert_usage_errorv("bin/racelab-cpu-bound", "--gil=1", NULL);
	tu_assert_usage_errorv("bin/racelab-race", "-x", NULL);
}
END_TEST

START_TEST(test_help_version)
{
	const char *help[] = { "bin/racelab-race", "--help", NULL };
	const char *ver[] = { "bin/racelab-race", "--version", NULL };
	char *out, *err;

	ck_assert_int_eq(tu_run(help, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "--schedule"));
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
	ck_assert_int_eq(tu_run(ver, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "racelab-race "));
	free(out);
	free(err);
}
END_TEST

static int
usable_cpus(void)
{
	cpu_set_t set;

	ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
	return CPU_COUNT(&set);
}

/* A worker's own mask: 0 when it is the one CPU the run was given. */
static int
body_one_cpu(struct lab_worker *w)
{
	(void)w;
	return usable_cpus() == 1 ? 0 : 9;
}

/* --cpus is the lab's: lab_init pins the program before any worker
 * exists, so thread and process workers inherit the one CPU; 0 and a
 * number above the machine's leave every usable CPU; a lesson whose
 * default is one worker per usable core counts the cores it was left. */
START_TEST(test_cpus_pins)
{
	static const struct lab_lesson per_core = {
		.slug = "test", .title = "per core", .workers = 0,
		.mode = LAB_PROCESS, .modes = LAB_MODES_BOTH, .runs = 1,
	};
	const char *mode = _i ? "process" : "thread";
	int all = usable_cpus();
	char args[64];
	struct lab lab;
	struct lab_team *t;

	snprintf(args, sizeof args, "--mode %s --workers 3 --cpus 4096", mode);
	init_with(&lab, args);
	ck_assert_int_eq(usable_cpus(), all);
	ck_assert_int_eq(lab.ncpu, all);
	init_with(&lab, "--cpus 0");
	ck_assert_int_eq(usable_cpus(), all);
	snprintf(args, sizeof args, "--mode %s --workers 3 --cpus 1", mode);
	init_with(&lab, args);
	ck_assert_int_eq(usable_cpus(), 1);
	ck_assert_int_eq(lab.ncpu, 1);
	lab_run_begin(&lab, 1);
	t = lab_spawn(&lab, lab.o.workers, body_one_cpu, NULL);
	ck_assert_int_eq(lab_join(t), LAB_JOIN_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(t->w[i].status, 0);
	lab_team_free(t);
	{
		char *argv[] = { "test", "--cpus", "1", NULL };
		char err[256];

		ck_assert_int_eq(lab_parse(&lab, &per_core, 3, argv, err, sizeof err), 0);
		ck_assert_int_eq(lab.o.workers, 1);
		ck_assert_int_eq(lab_parse(&lab, &per_core, 1, argv, err, sizeof err), 0);
		ck_assert_int_eq(lab.o.workers, lab.ncpu);
	}
}
END_TEST

/* Every lesson program takes --cpus (none declares it: the lab does),
 * offers it once in --help, among the common options, and once in its
 * completion table. */
START_TEST(test_cpus_every_program)
{
	DIR *d = opendir("lessons");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		const char *slug = strchr(e->d_name, '-'), *c, *lo;
		char path[300];
		const char *help[3], *comp[3];
		char *out, *err;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || !slug)
			continue;
		snprintf(path, sizeof path, "bin/racelab-%s", slug + 1);
		if (access(path, X_OK) != 0)
			continue; /* a lesson of Python blocks only */
		help[0] = comp[0] = path;
		help[1] = "--help";
		comp[1] = "--complete";
		help[2] = comp[2] = NULL;
		ck_assert_int_eq(tu_run(help, &out, &err), 0);
		c = strstr(out, "\n  --cpus N ");
		lo = strstr(out, "Lesson options");
		ck_assert_msg(c, "%s --help: no --cpus", path);
		ck_assert_msg(!lo || c < lo, "%s --help: --cpus among the lesson's options", path);
		ck_assert_msg(!strstr(c + 4, "--cpus N"), "%s --help: --cpus twice", path);
		free(out);
		free(err);
		ck_assert_int_eq(tu_run(comp, &out, &err), 0);
		c = strstr(out, "\n--cpus=\n");
		ck_assert_msg(c, "%s --complete: %s", path, out);
		ck_assert_msg(!strstr(c + 3, "\n--cpus="), "%s --complete: --cpus twice", path);
		free(out);
		free(err);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 19);
	tu_assert_usage_errorv("bin/racelab-processes", "--cpus", "-1", NULL);
}
END_TEST

/* A board handed over by fd with the wrong version is refused. */
START_TEST(test_bad_board_refused)
{
	int fd;
	struct board *b = board_create_memfd(&fd);
	char fds[16], *out, *err;
	const char *argv[] = { "bin/racelab-race", "--iters", "1", "--runs", "1", NULL };

	b->version = 77;
	snprintf(fds, sizeof fds, "%d", fd);
	setenv(BOARD_ENV_FD, fds, 1);
	ck_assert_int_eq(tu_run(argv, &out, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "version"));
	unsetenv(BOARD_ENV_FD);
	free(out);
	free(err);
}
END_TEST

/* Under a board from the "shell", the lesson's workers show up on it. */
START_TEST(test_runs_on_shell_board)
{
	int fd;
	struct board *b = board_create_memfd(&fd);
	char fds[16], *out;
	const char *argv[] = { "bin/racelab-race", "--iters", "1000", "--runs", "3",
	                       "--sync", "mutex", "--quiet", NULL };

	snprintf(fds, sizeof fds, "%d", fd);
	setenv(BOARD_ENV_FD, fds, 1);
	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	unsetenv(BOARD_ENV_FD);
	ck_assert_str_eq(b->lesson, "race");
	ck_assert_uint_eq(atomic_load(&b->nresults), 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(atomic_load(&b->result[i]), 100);
	ck_assert_int_eq(atomic_load(&b->lock[0].acquisitions), 2000);
	ck_assert_int_eq(atomic_load(&b->actor[1].kind), BOARD_KIND_PROCESS);
	ck_assert_int_eq(atomic_load(&b->actor[1].state), BOARD_ST_DONE);
	free(out);
}
END_TEST

/* Locks: mutual exclusion holds and the stats add up. */
struct lockt {
	struct lab_lock *l;
	_Atomic int inside, max_inside;
	long n;
};

static int
body_lock(struct lab_worker *w)
{
	struct lockt *t = w->arg;

	for (long i = 0; i < t->n; i++) {
		lab_lock(w, t->l);
		int in = atomic_fetch_add(&t->inside, 1) + 1;
		int m = atomic_load(&t->max_inside);

		while (in > m && !atomic_compare_exchange_weak(&t->max_inside, &m, in))
			;
		atomic_fetch_sub(&t->inside, 1);
		lab_unlock(w, t->l);
	}
	return 0;
}

static void
lock_kind(enum board_lock_kind kind, const char *mode)
{
	struct lab lab;
	char args[64];
	struct lockt *t;
	struct board_lock *bl;
	struct lab_team *team;

	snprintf(args, sizeof args, "--mode %s --workers 4", mode);
	init_with(&lab, args);
	lab_run_begin(&lab, 1);
	t = lab_shared_alloc(&lab, sizeof *t);
	t->l = lab_lock_new(&lab, "m", kind);
	t->n = 5000;
	team = lab_spawn(&lab, 4, body_lock, t);
	lab_join(team);
	lab_team_free(team);
	bl = &lab.board->lock[lab_lock_index(t->l)];
	ck_assert_int_eq(atomic_load(&t->max_inside), 1);
	ck_assert_uint_eq(atomic_load(&bl->acquisitions), 20000);
	ck_assert_uint_le(atomic_load(&bl->contended), 20000);
	ck_assert_int_eq(atomic_load(&bl->holder), -1);
	ck_assert_uint_eq(atomic_load(&bl->waiters), 0);
}

START_TEST(test_lock_mutex) { lock_kind(BOARD_LOCK_MUTEX, _i ? "process" : "thread"); }
END_TEST
START_TEST(test_lock_spin) { lock_kind(BOARD_LOCK_SPIN, _i ? "process" : "thread"); }
END_TEST
START_TEST(test_lock_sem) { lock_kind(BOARD_LOCK_SEM, _i ? "process" : "thread"); }
END_TEST

/* Deadlock by schedule: two workers take a and b in opposite orders. */
struct dl {
	struct lab_lock *a, *b;
};

static int
body_dead(struct lab_worker *w)
{
	struct dl *d = w->arg;
	struct lab_lock *first = w->no == 1 ? d->a : d->b;
	struct lab_lock *second = w->no == 1 ? d->b : d->a;

	lab_lock(w, first);
	lab_lock(w, second);
	lab_unlock(w, second);
	lab_unlock(w, first);
	return 0;
}

START_TEST(test_schedule_finds_deadlock)
{
	struct lab lab;
	struct dl *d;

	init_with(&lab, _i ? "--mode process --schedule 1,2,1,2" :
	                     "--mode thread --schedule 1,2,1,2");
	lab_run_begin(&lab, 1);
	d = lab_shared_alloc(&lab, sizeof *d);
	d->a = lab_lock_new(&lab, "a", BOARD_LOCK_MUTEX);
	d->b = lab_lock_new(&lab, "b", BOARD_LOCK_MUTEX);
	/* The workers stay blocked until the test process exits: their team
	 * too (kept reachable here, not a leak). */
	static struct lab_team *volatile deadlocked;

	deadlocked = lab_spawn(&lab, 2, body_dead, d);
	ck_assert_int_eq(lab_join(deadlocked), LAB_JOIN_DEADLOCK);
	{
		int cyc[4], len = 0;

		ck_assert(lab_find_deadlock(lab.board, cyc, 4, &len));
		ck_assert_int_eq(len, 2);
		/* A cycle is everyone asleep too (what a record then says). */
		ck_assert(lab_all_blocked(lab.board));
	}
	/* Process workers die with the test process (PDEATHSIG). */
}
END_TEST

/* The same lessons, ordered by schedule so that one finishes first. */
START_TEST(test_schedule_no_deadlock)
{
	struct lab lab;
	struct dl *d;

	init_with(&lab, "--mode process --schedule 1,1,1,1,2,2,2,2");
	lab_run_begin(&lab, 1);
	d = lab_shared_alloc(&lab, sizeof *d);
	d->a = lab_lock_new(&lab, "a", BOARD_LOCK_MUTEX);
	d->b = lab_lock_new(&lab, "b", BOARD_LOCK_MUTEX);
	{
		struct lab_team *t = lab_spawn(&lab, 2, body_dead, d);

		ck_assert_int_eq(lab_join(t), LAB_JOIN_OK);
		lab_team_free(t);
	}
}
END_TEST

/* A semaphore with 2 permits: never more than 2 inside, every holder on
 * the board (as many as are inside), the permits all back at the end. */
struct semt {
	struct lab_lock *s;
	_Atomic int inside, max_inside, max_holders;
	long n;
};

static int
body_sem(struct lab_worker *w)
{
	struct semt *t = w->arg;
	struct board *b = w->lab->board;

	for (long i = 0; i < t->n; i++) {
		int in, holders = 0, m;

		lab_sem_wait(w, t->s);
		in = atomic_fetch_add(&t->inside, 1) + 1;
		m = atomic_load(&t->max_inside);
		while (in > m && !atomic_compare_exchange_weak(&t->max_inside, &m, in))
			;
		for (uint32_t a = 1; a < atomic_load(&b->nactors); a++)
			holders += !!(atomic_load(&b->actor[a].held) &
			              (1u << lab_lock_index(t->s)));
		m = atomic_load(&t->max_holders);
		while (holders > m &&
		       !atomic_compare_exchange_weak(&t->max_holders, &m, holders))
			;
		ck_assert(atomic_load(&b->actor[w->no].held) & (1u << lab_lock_index(t->s)));
		usleep(200);
		atomic_fetch_sub(&t->inside, 1);
		lab_sem_post(w, t->s);
	}
	return 0;
}

START_TEST(test_sem_permits)
{
	struct lab lab;
	struct semt *t;
	struct board_lock *bl;
	struct lab_team *team;

	init_with(&lab, _i ? "--mode process --workers 4" : "--mode thread --workers 4");
	lab_run_begin(&lab, 1);
	t = lab_shared_alloc(&lab, sizeof *t);
	t->s = lab_sem_new(&lab, "permits", 2);
	t->n = 200;
	bl = &lab.board->lock[lab_lock_index(t->s)];
	ck_assert_int_eq(atomic_load(&bl->kind), BOARD_LOCK_SEM);
	ck_assert_int_eq(atomic_load(&bl->permits), 2);
	team = lab_spawn(&lab, 4, body_sem, t);
	ck_assert_int_eq(lab_join(team), LAB_JOIN_OK);
	lab_team_free(team);
	ck_assert_int_le(atomic_load(&t->max_inside), 2);
	/* Two holders at once is seen (4 workers, 800 entries, 0.2 ms each). */
	ck_assert_int_eq(atomic_load(&t->max_holders), 2);
	ck_assert_uint_eq(atomic_load(&bl->acquisitions), 800);
	ck_assert_int_eq(atomic_load(&bl->value), 2);
	for (int a = 1; a <= 4; a++)
		ck_assert_uint_eq(atomic_load(&lab.board->actor[a].held), 0);
}
END_TEST

/* A condition variable on the board: the waiter is shown waiting on it,
 * with the mutex given up; the signaller sees that, then wakes it. */
struct condt {
	struct lab_lock *m;
	struct lab_cond *c;
	bool ready; /* guarded by m */
	_Atomic int seen_waiting;
};

static int
body_cond(struct lab_worker *w)
{
	struct condt *t = w->arg;
	struct board *b = w->lab->board;
	int ci = -1;

	for (uint32_t i = 0; i < atomic_load(&b->nlocks); i++)
		if (strcmp(b->lock[i].name, "ready") == 0)
			ci = (int)i;
	ck_assert_int_ge(ci, 0);
	if (w->no == 1) {
		lab_lock(w, t->m);
		while (!t->ready)
			lab_cond_wait(w, t->c, t->m);
		lab_unlock(w, t->m);
		return 0;
	}
	/* Worker 2: until worker 1 is on the board as waiting for "ready". */
	while (!(atomic_load(&b->actor[1].state) == BOARD_ST_WAIT_LOCK &&
	         atomic_load(&b->actor[1].wait_lock) == (uint32_t)ci + 1))
		usleep(100);
	ck_assert_uint_eq(atomic_load(&b->lock[ci].waiters), 1);
	ck_assert_int_eq(atomic_load(&b->lock[ci].kind), BOARD_LOCK_COND);
	ck_assert(board_actor_settled(b, 1)); /* only a signal moves it */
	ck_assert_int_eq(atomic_load(&b->lock[lab_lock_index(t->m)].holder), -1);
	atomic_store(&t->seen_waiting, 1);
	lab_lock(w, t->m);
	t->ready = true;
	lab_cond_signal(w, t->c);
	/* Woken, it leaves the wait at once (lab_cond_wait takes m back
	 * with lab_lock, a step of its own) and waits for m, which we hold:
	 * settled, since it cannot move before we unlock. */
	while (atomic_load(&b->actor[1].wait_lock) !=
	       (uint32_t)lab_lock_index(t->m) + 1)
		usleep(100);
	ck_assert(board_actor_settled(b, 1));
	{
		char why[160];

		ck_assert_ptr_nonnull(strstr(lab_wait_text(b, 1, why, sizeof why),
		                             "is blocked on lock m held by worker 2"));
	}
	lab_unlock(w, t->m);
	return 0;
}

START_TEST(test_cond_on_board)
{
	struct lab lab;
	struct condt *t;
	struct lab_team *team;

	init_with(&lab, _i ? "--mode process --workers 2" : "--mode thread --workers 2");
	lab_run_begin(&lab, 1);
	t = lab_shared_alloc(&lab, sizeof *t);
	t->m = lab_lock_new(&lab, "m", BOARD_LOCK_MUTEX);
	t->c = lab_cond_new(&lab, "ready");
	team = lab_spawn(&lab, 2, body_cond, t);
	ck_assert_int_eq(lab_join(team), LAB_JOIN_OK);
	lab_team_free(team);
	ck_assert_int_eq(atomic_load(&t->seen_waiting), 1);
}
END_TEST

/* Whoever takes the one permit dies holding it; the other waits for it
 * for ever.  lab_join must see that, say so and exit 3, not hang. */
static int
body_die_holding(struct lab_worker *w)
{
	struct semt *t = w->arg;

	lab_sem_wait(w, t->s);
	kill(getpid(), SIGKILL);
	pause();
	return 0;
}

START_TEST(test_stuck_dead_holder)
{
	int pipefd[2], st;
	pid_t pid;
	char err[1024] = "";
	ssize_t n, got = 0;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		struct lab lab;
		struct semt *t;

		dup2(pipefd[1], 2);
		alarm(20); /* a hang shows as SIGALRM, not as a stuck test */
		init_with(&lab, "--mode process --workers 2");
		lab_run_begin(&lab, 1);
		t = lab_shared_alloc(&lab, sizeof *t);
		t->s = lab_sem_new(&lab, "permits", 1);
		lab_join(lab_spawn(&lab, 2, body_die_holding, t));
		_exit(0); /* not reached: the run cannot end */
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], err + got, sizeof err - 1 - (size_t)got)) > 0)
		got += n;
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == LAB_EXIT_DEADLOCK,
	              "status %#x, stderr: %s", st, err);
	ck_assert_ptr_nonnull(strstr(err, "stuck"));
	ck_assert_ptr_nonnull(strstr(err, "waits for permits (0 of 1 permits left)"));
	ck_assert_ptr_nonnull(strstr(err, "was killed by SIGKILL"));
}
END_TEST

/* --schedule drives the gates from the spawn on, so a main that does other
 * work before lab_join (waits for its workers to report) is scheduled. */
struct busyt {
	_Atomic int reached;
};

static int
body_report(struct lab_worker *w)
{
	struct busyt *t = w->arg;

	lab_step(w, "first");
	atomic_fetch_add(&t->reached, 1);
	lab_step(w, "second");
	return 0;
}

START_TEST(test_schedule_before_join)
{
	struct lab lab;
	struct busyt *t;
	struct lab_team *team;
	uint64_t t0;

	init_with(&lab, "--mode thread --workers 2 --schedule 1,2,1,2");
	lab_run_begin(&lab, 1);
	t = lab_shared_alloc(&lab, sizeof *t);
	team = lab_spawn(&lab, 2, body_report, t);
	t0 = board_now_ns();
	while (atomic_load(&t->reached) < 2 && board_now_ns() - t0 < 10000000000u)
		usleep(1000);
	ck_assert_int_eq(atomic_load(&t->reached), 2);
	ck_assert_int_eq(lab_join(team), LAB_JOIN_OK);
	lab_team_free(team);
}
END_TEST

/* Timestamped events for state changes, lock events and probe steps; each
 * says the state the worker was in after it. */
static int
body_events(struct lab_worker *w)
{
	struct lab_lock *l = w->arg;

	lab_step(w, "one");
	lab_set_state(w, BOARD_ST_SLEEPING);
	usleep(2000);
	lab_set_state(w, BOARD_ST_RUNNING);
	lab_lock(w, l);
	lab_unlock(w, l);
	return 0;
}

START_TEST(test_events_timestamped)
{
	struct lab lab;
	struct lab_team *team;
	struct board_event_copy e;
	uint64_t cursor = 0, dropped = 0, last = 0;
	bool step = false, sleep_ev = false, acq = false, rel = false, end = false;

	init_with(&lab, "--mode thread --workers 1");
	lab_run_begin(&lab, 1);
	team = lab_spawn(&lab, 1, body_events,
	                 lab_lock_new(&lab, "m", BOARD_LOCK_MUTEX));
	ck_assert_int_eq(lab_join(team), LAB_JOIN_OK);
	lab_team_free(team);
	while (board_event_next(&lab.board->actor[1], &cursor, &e, &dropped)) {
		ck_assert_uint_ge(e.t_ns, last);
		ck_assert_uint_ge(e.t_ns, lab.t0);
		last = e.t_ns;
		if (e.type == BOARD_EV_STEP)
			step |= e.state == BOARD_ST_RUNNING &&
			       strcmp(board_label(lab.board, e.arg), "one") == 0;
		if (e.type == BOARD_EV_STATE && e.state == BOARD_ST_SLEEPING)
			sleep_ev = true;
		if (e.type == BOARD_EV_LOCK_ACQUIRE)
			acq = e.state == BOARD_ST_CRITICAL;
		if (e.type == BOARD_EV_LOCK_RELEASE)
			rel = e.state == BOARD_ST_RUNNING;
		if (e.type == BOARD_EV_END)
			end = e.state == BOARD_ST_DONE;
	}
	ck_assert_uint_eq(dropped, 0);
	ck_assert(step);
	ck_assert(sleep_ev);
	ck_assert(acq);
	ck_assert(rel);
	ck_assert(end);
}
END_TEST

/* Probe points are counted from the program itself: this test binary has
 * some; a lesson program without any refuses --schedule and --step. */
START_TEST(test_probe_sites)
{
	ck_assert_uint_gt(lab_probe_sites(), 0);
	tu_assert_usage_errorv("bin/racelab-processes", "--schedule", "1", NULL);
	tu_assert_usage_errorv("bin/racelab-processes", "--step", NULL);
}
END_TEST

START_TEST(test_json_escapes)
{
	struct lab_json j;

	lab_json_begin(&j);
	lab_json_str(&j, "s", "a\"b\\c\n");
	lab_json_int(&j, "i", -5);
	ck_assert_str_eq(j.buf, "{\"s\":\"a\\\"b\\\\c\\u000a\",\"i\":-5");
}
END_TEST

/* ---- barriers ------------------------------------------------------ */

/* Three workers, five phases: nobody leaves a phase before all three have
 * arrived at it, exactly one of them is told it was last, and the board
 * counts 15 passes and 5 phases. */
struct bart {
	struct lab_lock *b;
	_Atomic int arrived, early, serial, order[8], norder, last_no;
	int phases;
};

static int
body_barrier(struct lab_worker *w)
{
	struct bart *t = w->arg;

	for (int p = 1; p <= t->phases; p++) {
		atomic_fetch_add(&t->arrived, 1);
		if (lab_barrier_wait(w, t->b)) {
			atomic_fetch_add(&t->serial, 1);
			atomic_store(&t->last_no, w->no);
		}
		/* Everyone of this phase has arrived before anyone leaves. */
		if (atomic_load(&t->arrived) < 3 * p)
			atomic_fetch_add(&t->early, 1);
	}
	return 0;
}

START_TEST(test_barrier_phases)
{
	struct lab lab;
	struct bart *t;
	struct lab_team *team;
	const struct board_lock *bl;

	init_with(&lab, _i ? "--mode process" : "--mode thread");
	lab_run_begin(&lab, 1);
	t = lab_shared_alloc(&lab, sizeof *t);
	t->phases = 5;
	t->b = lab_barrier_new(&lab, "b", 3);
	team = lab_spawn(&lab, 3, body_barrier, t);
	ck_assert_int_eq(lab_join(team), LAB_JOIN_OK);
	lab_team_free(team);
	bl = &lab.board->lock[lab_lock_index(t->b)];
	ck_assert_int_eq(atomic_load(&t->early), 0);
	ck_assert_int_eq(atomic_load(&t->serial), 5);
	ck_assert_int_eq(atomic_load(&bl->kind), BOARD_LOCK_BARRIER);
	ck_assert_uint_eq(atomic_load(&bl->acquisitions), 15);
	ck_assert_uint_eq(atomic_load(&bl->phase), 5);
	ck_assert_int_eq(atomic_load(&bl->value), 0);
	ck_assert_int_eq(atomic_load(&bl->permits), 3);
	ck_assert_uint_eq(atomic_load(&bl->waiters), 0);
}
END_TEST

/* A forced schedule: the last worker granted its arrival is the one told
 * it was last, every time; a step for a worker already waiting at the
 * barrier is skipped (it cannot move), not counted as its arrival. */
START_TEST(test_barrier_schedule)
{
	static const struct {
		const char *sched;
		int last;
	} cases[] = { {"1,3,2", 2}, {"2,1,3", 3}, {"1,1,3,3,2", 2} };

	for (int rep = 0; rep < 4; rep++)
		for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
			struct lab lab;
			struct bart *t;
			struct lab_team *team;
			char args[96];

			snprintf(args, sizeof args, "--mode %s --workers 3 --schedule %s",
			         _i ? "process" : "thread", cases[c].sched);
			init_with(&lab, args);
			lab_run_begin(&lab, 1);
			t = lab_shared_alloc(&lab, sizeof *t);
			t->phases = 1;
			t->b = lab_barrier_new(&lab, "b", 3);
			team = lab_spawn(&lab, 3, body_barrier, t);
			ck_assert_int_eq(lab_join(team), LAB_JOIN_OK);
			lab_team_free(team);
			ck_assert_int_eq(atomic_load(&t->serial), 1);
			ck_assert_msg(atomic_load(&t->last_no) == cases[c].last,
			              "schedule %s: worker %d last, expected %d",
			              cases[c].sched, atomic_load(&t->last_no), cases[c].last);
		}
}
END_TEST

/* ---- rwlocks -------------------------------------------------------- */

/* Writers keep two numbers equal (each write changes both); readers
 * check them.  Exact: every write counted, no reader sees them apart. */
struct rwt {
	struct lab_lock *rw;
	long a, b, n;
	_Atomic long torn, reads, inside_r, max_r, writers_in, bad_w;
	_Atomic int order[8], norder;
	_Atomic int max_held;
};

static void
raise_max(_Atomic long *m, long v)
{
	long old = atomic_load(m);

	while (v > old && !atomic_compare_exchange_weak(m, &old, v))
		;
}

static int
body_rw(struct lab_worker *w)
{
	struct rwt *t = w->arg;

	for (long i = 0; i < t->n; i++) {
		if (w->no <= 2) { /* writers */
			lab_wrlock(w, t->rw);
			if (atomic_fetch_add(&t->writers_in, 1) != 0 ||
			    atomic_load(&t->inside_r) != 0)
				atomic_fetch_add(&t->bad_w, 1);
			t->a++;
			sched_yield();
			t->b++;
			atomic_fetch_sub(&t->writers_in, 1);
			lab_rwunlock(w, t->rw);
		} else {
			long in;

			lab_rdlock(w, t->rw);
			in = atomic_fetch_add(&t->inside_r, 1) + 1;
			raise_max(&t->max_r, in);
			if (t->a != t->b)
				atomic_fetch_add(&t->torn, 1);
			atomic_fetch_add(&t->reads, 1);
			sched_yield();
			atomic_fetch_sub(&t->inside_r, 1);
			lab_rwunlock(w, t->rw);
		}
	}
	return 0;
}

START_TEST(test_rwlock_exact)
{
	for (int pref = LAB_RW_PREFER_READER; pref <= LAB_RW_PREFER_WRITER; pref++) {
		struct lab lab;
		struct rwt *t;
		struct lab_team *team;
		const struct board_lock *bl;

		init_with(&lab, _i ? "--mode process" : "--mode thread");
		lab_run_begin(&lab, 1);
		t = lab_shared_alloc(&lab, sizeof *t);
		t->n = 2000;
		t->rw = lab_rwlock_new(&lab, "rw", pref);
		team = lab_spawn(&lab, 5, body_rw, t);
		ck_assert_int_eq(lab_join(team), LAB_JOIN_OK);
		lab_team_free(team);
		bl = &lab.board->lock[lab_lock_index(t->rw)];
		ck_assert_int_eq(t->a, 2 * t->n);
		ck_assert_int_eq(t->b, 2 * t->n);
		ck_assert_int_eq(atomic_load(&t->torn), 0);
		ck_assert_int_eq(atomic_load(&t->bad_w), 0);
		ck_assert_int_eq(atomic_load(&t->reads), 3 * t->n);
		ck_assert_int_eq(atomic_load(&bl->kind), BOARD_LOCK_RWLOCK);
		ck_assert_uint_eq(atomic_load(&bl->acquisitions), 5 * (uint64_t)t->n);
		ck_assert_int_eq(atomic_load(&bl->readers), 0);
		ck_assert_int_eq(atomic_load(&bl->holder), -1);
		ck_assert_uint_eq(atomic_load(&bl->wwait), 0);
		ck_assert_uint_eq(atomic_load(&bl->waiters), 0);
		ck_assert_uint_eq(atomic_load(&bl->prefer_writer), pref == LAB_RW_PREFER_WRITER);
	}
}
END_TEST

/* The kind, forced: reader 1 holds the lock, writer 2 asks for it and
 * waits, then reader 3 asks.  Reader preference lets 3 in beside 1 (the
 * writer starves while readers overlap); writer preference keeps 3 out
 * until 2 has written.  The order they got in, every time:
 *   prefer reader: 1, 3, 2      prefer writer: 1, 2, 3
 * and while 1 and 3 read together, both are holders on the board. */
static int
body_rw_order(struct lab_worker *w)
{
	struct rwt *t = w->arg;
	struct board *b = w->lab->board;
	int held = 0;

	if (w->no == 2)
		lab_wrlock(w, t->rw);
	else
		lab_rdlock(w, t->rw);
	t->order[atomic_fetch_add(&t->norder, 1)] = w->no;
	for (uint32_t a = 1; a < atomic_load(&b->nactors); a++)
		held += !!(atomic_load(&b->actor[a].held) & (1u << lab_lock_index(t->rw)));
	if (held > atomic_load(&t->max_held))
		atomic_store(&t->max_held, held);
	lab_step(w, "inside");
	lab_rwunlock(w, t->rw);
	return 0;
}

START_TEST(test_rwlock_kind_schedule)
{
	for (int rep = 0; rep < 5; rep++)
		for (int pref = LAB_RW_PREFER_READER; pref <= LAB_RW_PREFER_WRITER; pref++) {
			struct lab lab;
			struct rwt *t;
			struct lab_team *team;
			bool wp = pref == LAB_RW_PREFER_WRITER;

			/* 1 takes it; 2 waits; 3 asks (in or waits); 1 leaves
			 * its critical section and unlocks. */
			init_with(&lab, _i ? "--mode process --workers 3 --schedule 1,2,3,3,1,1"
			                   : "--mode thread --workers 3 --schedule 1,2,3,3,1,1");
			lab_run_begin(&lab, 1);
			t = lab_shared_alloc(&lab, sizeof *t);
			t->rw = lab_rwlock_new(&lab, "rw", pref);
			team = lab_spawn(&lab, 3, body_rw_order, t);
			ck_assert_int_eq(lab_join(team), LAB_JOIN_OK);
			lab_team_free(team);
			ck_assert_int_eq(atomic_load(&t->norder), 3);
			ck_assert_msg(t->order[0] == 1 && t->order[1] == (wp ? 2 : 3) &&
			              t->order[2] == (wp ? 3 : 2),
			              "prefer %s: order %d,%d,%d", wp ? "writer" : "reader",
			              t->order[0], t->order[1], t->order[2]);
			ck_assert_int_eq(atomic_load(&t->max_held), wp ? 1 : 2);
		}
}
END_TEST

/* A home-made lock (a flag: test, then set) the lab does not take: the
 * lesson registers it on the board and marks its critical section by
 * state.  Forced into it together, both are inside, the one parked at
 * its next probe too; a worker inside a lab mutex is not. */
struct flagt {
	int flag_idx;
	struct lab_lock *m;
	_Atomic int max_inside;
};

static int
body_flag(struct lab_worker *w)
{
	struct flagt *t = w->arg;
	int in;

	lab_step(w, "test flag");
	lab_step(w, "set flag");
	lab_set_state(w, BOARD_ST_CRITICAL);
	in = lab_inside(w->lab->board, t->flag_idx);
	if (in > atomic_load(&t->max_inside))
		atomic_store(&t->max_inside, in);
	lab_step(w, "inside");
	lab_set_state(w, BOARD_ST_RUNNING);
	lab_lock(w, t->m); /* inside m, not inside the flag lock */
	in = lab_inside(w->lab->board, t->flag_idx);
	if (in > atomic_load(&t->max_inside))
		atomic_store(&t->max_inside, in);
	lab_unlock(w, t->m);
	return 0;
}

START_TEST(test_critical_home_made_schedule)
{
	static const struct {
		const char *sched;
		int most;
	} cases[] = { {"1,2,1,2", 2}, {"1,1,1,1,1,2,2,2,2,2", 1} };

	for (size_t c = 0; c < 2; c++) {
		struct lab lab;
		struct flagt *t;
		struct lab_team *team;
		char args[96];

		snprintf(args, sizeof args, "--mode %s --schedule %s",
		         _i ? "process" : "thread", cases[c].sched);
		init_with(&lab, args);
		lab_run_begin(&lab, 1);
		t = lab_shared_alloc(&lab, sizeof *t);
		t->flag_idx = board_lock_add(lab.board, "flag", BOARD_LOCK_NONE);
		t->m = lab_lock_new(&lab, "m", BOARD_LOCK_MUTEX);
		team = lab_spawn(&lab, 2, body_flag, t);
		ck_assert_int_eq(lab_join(team), LAB_JOIN_OK);
		lab_team_free(team);
		ck_assert_msg(atomic_load(&t->max_inside) == cases[c].most,
		              "%s: most inside %d", cases[c].sched, atomic_load(&t->max_inside));
	}
}
END_TEST

/* ---- everyone asleep ----------------------------------------------- */

/* Run body with n workers in a child (it must end by itself: the lab
 * reports everyone asleep and exits 3); its exit code, stderr and
 * stdout. */
struct asleep {
	struct lab_lock *m, *s, *b;
	struct lab_cond *c;
	_Atomic int ready;
	bool fixed; /* the correct version: while, not if */
};

static const char *asleep_input; /* stdin for --step, or NULL */

static int
run_asleep(lab_worker_fn fn, const char *args, int n, bool fixed, char *err,
           size_t errlen, char *out, size_t outlen)
{
	int ep[2], op[2], ip[2], st;
	pid_t pid;
	ssize_t k;
	size_t got = 0;

	ck_assert_int_eq(pipe(ep), 0);
	ck_assert_int_eq(pipe(op), 0);
	ck_assert_int_eq(pipe(ip), 0);
	if (asleep_input)
		ck_assert_int_eq(write(ip[1], asleep_input, strlen(asleep_input)),
		                 (ssize_t)strlen(asleep_input));
	close(ip[1]);
	pid = fork();
	if (pid == 0) {
		struct lab lab;
		struct asleep *t;
		struct lab_team *team;

		dup2(ep[1], 2);
		dup2(op[1], 1);
		dup2(ip[0], 0);
		close(ep[0]);
		close(op[0]);
		alarm(20); /* a hang is SIGALRM, not a stuck test */
		init_with(&lab, args);
		lab_run_begin(&lab, 1);
		t = lab_shared_alloc(&lab, sizeof *t);
		t->fixed = fixed;
		t->m = lab_lock_new(&lab, "m", BOARD_LOCK_MUTEX);
		t->c = lab_cond_new(&lab, "ready");
		t->s = lab_sem_new(&lab, "s", 1);
		t->b = lab_barrier_new(&lab, "b", 3);
		team = lab_spawn(&lab, n, fn, t);
		lab_join(team);
		if (lab.o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_int(&j, "run", 1);
			lab_json_end(&j);
		}
		fflush(stdout);
		_exit(0);
	}
	close(ep[1]);
	close(op[1]);
	close(ip[0]);
	while (got + 1 < errlen && (k = read(ep[0], err + got, errlen - 1 - got)) > 0)
		got += (size_t)k;
	err[got] = '\0';
	got = 0;
	while (got + 1 < outlen && (k = read(op[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)k;
	out[got] = '\0';
	close(ep[0]);
	close(op[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "status %#x, stderr: %s", st, err);
	return WEXITSTATUS(st);
}

/* OSTEP's lost wake-up: worker 1 signals before worker 2 waits, and
 * worker 2 checks with if (wrong) or while (right) ... but the flag
 * is set only in the fixed version, so with if the waiter sleeps for
 * ever once the signal has gone by. */
static int
body_lost_wakeup(struct lab_worker *w)
{
	struct asleep *t = w->arg;

	if (w->no == 1) {
		lab_lock(w, t->m);
		if (t->fixed)
			t->ready = 1;
		lab_cond_signal(w, t->c);
		lab_unlock(w, t->m);
	} else {
		lab_lock(w, t->m);
		if (t->fixed) {
			while (!t->ready)
				lab_cond_wait(w, t->c, t->m);
		} else {
			lab_cond_wait(w, t->c, t->m); /* if (!ready): no flag at all */
		}
		lab_unlock(w, t->m);
	}
	return 0;
}

/* A semaphore wait nobody posts: one permit, each worker takes two and
 * posts none. */
static int
body_sem_nobody(struct lab_worker *w)
{
	struct asleep *t = w->arg;

	lab_sem_wait(w, t->s);
	lab_sem_wait(w, t->s);
	return 0;
}

/* A barrier of 3 with 2 arrivals. */
static int
body_barrier_short(struct lab_worker *w)
{
	struct asleep *t = w->arg;

	lab_barrier_wait(w, t->b);
	return 0;
}

static void
assert_asleep(lab_worker_fn fn, const char *args, int n, const char *what)
{
	char err[2048], out[2048], rec[1024];
	long long v = -1;
	int rc = run_asleep(fn, args, n, false, err, sizeof err, out, sizeof out);

	ck_assert_msg(rc == LAB_EXIT_DEADLOCK, "%s: exit %d, stderr: %s", args, rc, err);
	ck_assert_msg(strstr(err, "everyone asleep"), "%s: stderr: %s", args, err);
	ck_assert_msg(strstr(err, what), "%s: no '%s' in: %s", args, what, err);
	if (strstr(args, "--json")) {
		ck_assert_msg(tu_json_line(out, 0, rec, sizeof rec), "no record: %s", out);
		ck_assert(tu_json_int(rec, "all_blocked", &v));
		ck_assert_int_eq(v, 1);
	}
}

START_TEST(test_asleep_lost_wakeup)
{
	const char *mode = _i ? "--mode process" : "--mode thread";
	char args[128];

	/* Free: worker 1 first; the signal falls on nobody. */
	snprintf(args, sizeof args, "%s --json --schedule 1,1,2,2", mode);
	assert_asleep(body_lost_wakeup, args, 2, "worker 2 waits on ready");
	snprintf(args, sizeof args, "%s --workers 2 --quantum 9", mode);
	assert_asleep(body_lost_wakeup, args, 2, "worker 2 waits on ready");
}
END_TEST

/* --step: the person at the terminal schedules.  A worker waiting at the
 * barrier is not given a step (it is told why, and who can release it);
 * once both have arrived, nobody can move and the driver says so. */
START_TEST(test_asleep_terminal_step)
{
	char args[64], err[2048], out[4096];
	int rc;

	snprintf(args, sizeof args, "--mode %s --step", _i ? "process" : "thread");
	asleep_input = "1\n1\n2\n";
	rc = run_asleep(body_barrier_short, args, 2, false, err, sizeof err, out,
	                sizeof out);
	asleep_input = NULL;
	ck_assert_msg(rc == LAB_EXIT_DEADLOCK, "exit %d: %s", rc, err);
	ck_assert_msg(strstr(out, "worker 1 waits at barrier b (1 of 3 arrived): only "
	                          "the workers still to arrive release it"), "%s", out);
	ck_assert_msg(strstr(out, "everyone asleep: no worker can take a step"), "%s", out);
	ck_assert_msg(strstr(err, "everyone asleep"), "%s", err);
}
END_TEST

START_TEST(test_asleep_sem_and_barrier)
{
	const char *mode = _i ? "--mode process" : "--mode thread";
	char args[128];

	snprintf(args, sizeof args, "%s --json", mode);
	assert_asleep(body_sem_nobody, args, 2, "waits for s (0 of 1 permits left)");
	assert_asleep(body_barrier_short, args, 2, "waits at b (2 of 3 arrived)");
	snprintf(args, sizeof args, "%s --schedule 2,1", mode);
	assert_asleep(body_barrier_short, args, 2, "worker 1 waits at b (2 of 3 arrived)");
}
END_TEST

/* The right version is never reported, whatever the order: every
 * schedule of the two workers, and free runs. */
START_TEST(test_asleep_never_when_right)
{
	static const char *const scheds[] = {
		"1,1,1,1,2,2,2,2", "2,2,2,2,1,1,1,1", "2,2,1,1,1,1,2,2", "1,2,1,2,1,2,1,2",
		"2,1,2,1,2,1,2,1",
	};
	char err[2048], out[2048], args[128];

	for (size_t k = 0; k < sizeof scheds / sizeof scheds[0]; k++) {
		snprintf(args, sizeof args, "--mode %s --json --schedule %s",
		         _i ? "process" : "thread", scheds[k]);
		ck_assert_msg(run_asleep(body_lost_wakeup, args, 2, true, err, sizeof err,
		                         out, sizeof out) == 0, "%s: %s", args, err);
		ck_assert_ptr_null(strstr(err, "asleep"));
		ck_assert_ptr_nonnull(strstr(out, "\"all_blocked\":0"));
	}
	for (int r = 0; r < 20; r++) {
		snprintf(args, sizeof args, "--mode %s", _i ? "process" : "thread");
		ck_assert_msg(run_asleep(body_lost_wakeup, args, 2, true, err, sizeof err,
		                         out, sizeof out) == 0, "run %d: %s", r, err);
	}
}
END_TEST

Suite *
suite_lab(void)
{
	Suite *s = suite_create("lab");
	TCase *tc = tcase_create("workers");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_spawn_reap_threads);
	tcase_add_test(tc, test_spawn_reap_processes);
	tcase_add_test(tc, test_signal_reported);
	tcase_add_test(tc, test_released_together);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_flag_with_value);
	tcase_add_test(tc, test_help_version);
	tcase_add_loop_test(tc, test_cpus_pins, 0, 2);
	tcase_add_test(tc, test_cpus_every_program);
	tcase_add_test(tc, test_bad_board_refused);
	tcase_add_test(tc, test_runs_on_shell_board);
	tcase_add_loop_test(tc, test_lock_mutex, 0, 2);
	tcase_add_loop_test(tc, test_lock_spin, 0, 2);
	tcase_add_loop_test(tc, test_lock_sem, 0, 2);
	tcase_add_loop_test(tc, test_schedule_finds_deadlock, 0, 2);
	tcase_add_test(tc, test_schedule_no_deadlock);
	tcase_add_test(tc, test_json_escapes);
	tcase_add_loop_test(tc, test_sem_permits, 0, 2);
	tcase_add_loop_test(tc, test_cond_on_board, 0, 2);
	tcase_add_test(tc, test_stuck_dead_holder);
	tcase_add_test(tc, test_schedule_before_join);
	tcase_add_test(tc, test_events_timestamped);
	tcase_add_test(tc, test_probe_sites);
	tcase_add_loop_test(tc, test_barrier_phases, 0, 2);
	tcase_add_loop_test(tc, test_barrier_schedule, 0, 2);
	tcase_add_loop_test(tc, test_rwlock_exact, 0, 2);
	tcase_add_loop_test(tc, test_rwlock_kind_schedule, 0, 2);
	tcase_add_loop_test(tc, test_critical_home_made_schedule, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("asleep");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_asleep_lost_wakeup, 0, 2);
	tcase_add_loop_test(tc, test_asleep_sem_and_barrier, 0, 2);
	tcase_add_loop_test(tc, test_asleep_terminal_step, 0, 2);
	tcase_add_loop_test(tc, test_asleep_never_when_right, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
