// Bench: what one /proc sample of 512 tasks costs the shell, and what
// starting 64 process workers costs the lab.
//
// The sample is the shell's own code (procfs_read, as demo.c calls it for
// every actor) over 512 real tasks: this process and 511 sleeping threads.
// The spawn is lab_spawn_ex from the first call until every worker exists
// and is released (the lab's t_start), against a baseline measured in the
// same run: 64 bare fork()s, each reaped, the floor any launcher pays.
#include "lab/lab.h"
#include "shell/procfs.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { NTASK = 512, REPS = 21, NSPAWN = 64 };

static pid_t tids[NTASK];
static pthread_barrier_t ready;
static int quit_pipe[2];

static void *
sleeper(void *arg)
{
	char c;

	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&ready);
	(void)!read(quit_pipe[0], &c, 1); /* asleep until the end */
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
row(const char *name, const char *budget, double v, double limit, const char *unit,
    const char *note)
{
	char m[80];

	snprintf(m, sizeof m, "%.2f %s %s", v, unit, note);
	if (v <= limit)
		printf("%-46s %-12s %-26s ok\n", name, budget, m);
	else
		printf("%-46s %-12s %-26s OVER by %.0f%% (%.1fx)\n", name, budget, m,
		       (v - limit) * 100 / limit, v / limit);
}

static int
noop(struct lab_worker *w)
{
	(void)w;
	return 0;
}

static const struct lab_lesson bench_lesson = {
	.slug = "bench", .title = "bench", .workers = NSPAWN, .mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH, .iters = 1, .runs = 1,
};

int
main(int argc, char **argv)
{
	static pthread_t th[NTASK];
	double t[REPS], fl[REPS], sp[REPS], fk[REPS];
	pid_t pid = getpid();
	struct procfs_stat ps;
	struct lab lab;
	char note[64];
	int bad = 0;

	/* ---- /proc sampling of 512 tasks ---- */
	if (pipe(quit_pipe) < 0)
		return 1;
	pthread_barrier_init(&ready, NULL, NTASK);
	tids[0] = pid;
	for (int i = 1; i < NTASK; i++)
		if (pthread_create(&th[i], NULL, sleeper, &tids[i]) != 0)
			return 1;
	pthread_barrier_wait(&ready);
	for (int r = 0; r < REPS; r++) {
		/* Baseline: the kernel making one thread's stat 512 times, read
		 * from one open file: the floor of any /proc sampler here. */
		char buf[4096];
		int fd = open("/proc/thread-self/stat", O_RDONLY);
		uint64_t t0 = board_now_ns();

		for (int i = 0; i < NTASK; i++)
			(void)!pread(fd, buf, sizeof buf, 0);
		fl[r] = (double)(board_now_ns() - t0) / 1e6;
		close(fd);
		t0 = board_now_ns();
		for (int i = 0; i < NTASK; i++)
			bad += procfs_read(pid, tids[i], &ps) < 0;
		t[r] = (double)(board_now_ns() - t0) / 1e6;
	}
	close(quit_pipe[1]);
	for (int i = 1; i < NTASK; i++)
		pthread_join(th[i], NULL);
	qsort(t, REPS, sizeof *t, cmp);
	qsort(fl, REPS, sizeof *fl, cmp);
	snprintf(note, sizeof note, "(%.1fx floor %.2f ms)%s", t[REPS / 2] / fl[REPS / 2],
	         fl[REPS / 2], bad ? ", reads failed" : "");
	row("/proc sample of 512 tasks, median (C bench)", "<= 2 ms", t[REPS / 2], 2, "ms", note);

	/* ---- launching 64 process workers ---- */
	lab_init(&lab, &bench_lesson, argc, argv);
	for (int r = 0; r < REPS; r++) {
		struct lab_team *team;
		uint64_t t0 = board_now_ns();

		/* Baseline: 64 bare forks, then reap them. */
		for (int i = 0; i < NSPAWN; i++)
			if (fork() == 0)
				_exit(0);
		fk[r] = (double)(board_now_ns() - t0) / 1e6;
		while (wait(NULL) > 0)
			;
		lab_run_begin(&lab, 1);
		t0 = board_now_ns();
		team = lab_spawn_ex(&lab, LAB_PROCESS, 1, NSPAWN, noop, NULL);
		sp[r] = (double)(team->t_start - t0) / 1e6;
		lab_join(team);
		lab_team_free(team);
	}
	qsort(sp, REPS, sizeof *sp, cmp);
	qsort(fk, REPS, sizeof *fk, cmp);
	snprintf(note, sizeof note, "(%.1fx 64 bare forks)", sp[REPS / 2] / fk[REPS / 2]);
	row("launch 64 process workers, median", "<= 20 ms", sp[REPS / 2], 20, "ms", note);
	return 0;
}
