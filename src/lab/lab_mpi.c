// MPI lessons: the launcher that re-runs a lesson under mpirun, and the
// ranks' side of the board (lab_mpi.h says what and why).
#include "lab_mpi.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The options every MPI lesson has beside its own (m->hostfile and
 * m->watchdog_s are their variables: filled in by merge_options). */
enum { MPI_OWN_OPTIONS = 2 };

static void
merge_options(struct lab_mpi *m, const struct lab_lesson *lesson)
{
	size_t n = 0;

	while (lesson->options && lesson->options[n].name)
		n++;
	m->options_ = calloc(n + MPI_OWN_OPTIONS + 1, sizeof *m->options_);
	if (!m->options_) {
		fprintf(stderr, "racelab-%s: out of memory\n", lesson->slug);
		exit(1);
	}
	if (n)
		memcpy(m->options_, lesson->options, n * sizeof *m->options_);
	m->options_[n++] = (struct lab_option){
		"hostfile", LAB_OPT_STRING, &m->hostfile, "FILE",
		"run the ranks on the hosts FILE lists (mpirun --hostfile)", 0, 0};
	m->options_[n++] = (struct lab_option){
		"watchdog", LAB_OPT_DOUBLE, &m->watchdog_s, "S",
		"stop the job when no rank moves for S seconds (a sleep counts as "
		"moving; 0: never)", 0, 3600};
	m->lesson_ = *lesson;
	m->lesson_.options = m->options_;
	/* Ranks are processes, and mpirun, not the lab, starts them. */
	m->lesson_.mode = LAB_PROCESS;
	m->lesson_.modes = LAB_MODES_PROCESS_ONLY;
	m->lesson_.no_schedules = true; /* refused: refuse_schedules */
}

/* ---- the launcher ------------------------------------------------------ */

/* Nothing a lab driver could act on: the ranks' gates are nobody's. */
static void
refuse_schedules(struct lab *lab)
{
	const struct lab_opts *o = &lab->o;
	const char *what = o->schedule ? "--schedule" : o->step ? "--step"
	                   : o->quantum ? "--quantum" : o->random ? "--random-schedule"
	                   : o->trace ? "--trace" : o->explore ? "--explore" : NULL;

	if (what)
		lab_usage_error(lab, "%s: not for an MPI lesson (mpirun starts the ranks, "
		                "so no lab scheduler holds their gates)", what);
}

static bool
on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path || !*path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof buf, "%.*s/%s", (int)len, path, prog);
		if (access(buf, X_OK) == 0)
			return true;
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

static void
setenv_int(const char *name, long v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%ld", v);
	setenv(name, buf, 1);
}

/* /proc/PID/fd/N of an fd named in the environment variable env (the
 * shell's board or JSON pipe, or our own memfd), for the ranks to open. */
static void
pass_fd(const char *env, const char *as)
{
	const char *v = getenv(env);
	char buf[64];

	if (!v || !*v) {
		unsetenv(as);
		return;
	}
	snprintf(buf, sizeof buf, "/proc/%d/fd/%s", (int)getpid(), v);
	setenv(as, buf, 1);
}

/* A directory for Open MPI's session directory and shared-memory backing
 * files, held by the lab's cleanup helper: removed however the launcher
 * ends, while a SIGKILLed mpirun leaves its own behind (measured: the
 * vader segments in /dev/shm and /tmp/ompi.HOST.UID/pid.N stay).  Under
 * $TMPDIR when it is set, as every lesson's files; else on tmpfs
 * (/dev/shm, where Open MPI puts the segments by default), so that shared
 * memory stays memory: the helper makes it under $TMPDIR, so TMPDIR is
 * /dev/shm while it starts. */
static void
session_dir(struct lab *lab, char *dir, size_t len)
{
	const char *t = getenv("TMPDIR");

	if ((!t || !*t) && access("/dev/shm", W_OK) == 0) {
		setenv("TMPDIR", "/dev/shm", 1);
		lab_tmpdir(lab, "mpi", dir, len);
		unsetenv("TMPDIR");
	} else {
		lab_tmpdir(lab, "mpi", dir, len);
	}
}

static char **
mpirun_argv(struct lab_mpi *m, int argc, char **argv, const char *dir)
{
	static const char *const pass[] = {
		LAB_MPI_ENV_LAUNCHER, LAB_MPI_ENV_BOARD, LAB_MPI_ENV_JSON,
	};
	static char exe[PATH_MAX], np[16];
	char **v = calloc((size_t)argc + 64, sizeof *v);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	int k = 0;

	if (!v || n <= 0)
		lab_die(&m->lab, "cannot find this program (/proc/self/exe):");
	exe[n] = '\0';
	snprintf(np, sizeof np, "%d", m->lab.o.workers);
	v[k++] = "mpirun";
	/* More ranks than cores is the point of some lessons. */
	v[k++] = "--oversubscribe";
	v[k++] = "-np";
	v[k++] = np;
	/* The kernel places the ranks, as it places every lesson's workers
	 * (Open MPI binds to a core or a socket by default). */
	v[k++] = "--bind-to";
	v[k++] = "none";
	/* The lesson's stdin is not the ranks' (rank 0 would get it). */
	v[k++] = "--stdin";
	v[k++] = "none";
	if (m->hostfile) {
		v[k++] = "--hostfile";
		v[k++] = (char *)m->hostfile;
	}
	for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++)
		if (getenv(pass[i])) {
			v[k++] = "-x";
			v[k++] = (char *)pass[i];
		}
	/* All ranks here: Open MPI's session files and shared-memory
	 * segments in our directory.  Not with a hostfile: the directory
	 * exists on this host only (and orte_local_tmpdir_base cannot be
	 * mixed with the base the ranks are given), so Open MPI keeps its
	 * defaults, and removes them itself unless it is SIGKILLed. */
	if (!m->hostfile) {
		static const char *const base[] = {
			"orte_tmpdir_base", "btl_vader_backing_directory",
			"osc_sm_backing_directory",
		};

		for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
			v[k++] = "--mca";
			v[k++] = (char *)base[i];
			v[k++] = (char *)dir;
		}
	}
	v[k++] = exe;
	for (int i = 1; i < argc; i++)
		v[k++] = argv[i];
	v[k] = NULL;
	return v;
}

/* A rank's kernel state letter and CPU time, from /proc/PID/stat. */
static char
proc_state(pid_t pid, double *cpu_ms)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	char s = '?';
	FILE *f;

	*cpu_ms = 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return s;
	if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	           &s, &ut, &st) == 3)
		*cpu_ms = (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
	fclose(f);
	return s;
}

/* What moves on the board while any rank does: probes passed and events
 * put (every state change is one) by the ranks. */
static uint64_t
motion(const struct board *b, int size)
{
	uint64_t sum = atomic_load(&b->run);

	for (int r = 1; r <= size && r < BOARD_MAX_ACTORS; r++)
		sum += atomic_load(&b->actor[r].steps) +
		       atomic_load(&b->actor[r].ring_head);
	return sum;
}

/* A rank in a timed sleep (--hold: lab_sleep) moves by itself when the
 * time is up: no stall, however long it sleeps. */
static bool
any_sleeping(const struct board *b, int size)
{
	for (int r = 1; r <= size && r < BOARD_MAX_ACTORS; r++)
		if (atomic_load(&b->actor[r].state) == BOARD_ST_SLEEPING)
			return true;
	return false;
}

/* The job is stuck: say who waits where, and how the kernel sees it
 * (MPI_Recv polls: a rank blocked in MPI is running to the kernel). */
static void
watchdog_report(struct lab_mpi *m, double quiet_s)
{
	struct lab *lab = &m->lab;
	struct board *b = lab->board;
	int n = lab->o.workers, blocked = 0, first = -1, running = 0;
	long long *st = calloc((size_t)n, sizeof *st);
	double *cpu = calloc((size_t)n, sizeof *cpu);
	double *poll = calloc((size_t)n, sizeof *poll), poll_ms, c, used = 0;
	pid_t *pid = calloc((size_t)n, sizeof *pid);
	uint64_t t0;
	char states[BOARD_MAX_WORKERS + 1] = "";
	struct lab_json j;

	if (!st || !cpu || !poll || !pid)
		lab_die(lab, "out of memory");
	lab_result(lab, "watchdog: no rank moved for %.1f s in run %u: stopping the job\n",
	           quiet_s, atomic_load(&b->run));
	for (int r = 0; r < n; r++) {
		struct board_actor *a = &b->actor[r + 1];
		struct board_actor_id id;
		const char *label = board_label(b, atomic_load(&a->op));
		enum board_state s = atomic_load(&a->state);

		if (!board_actor_read(a, &id) || id.pid <= 0) {
			states[r] = '-';
			continue;
		}
		pid[r] = id.pid;
		states[r] = proc_state(id.pid, &cpu[r]);
		running += states[r] == 'R';
		st[r] = s;
		if (s == BOARD_ST_BLOCKED) {
			blocked++;
			if (first < 0)
				first = r;
		}
		lab_result(lab, "  rank %d (pid %d): %s%s%s (line %u); kernel state %c, "
		           "%.0f ms of CPU\n", r, (int)id.pid, board_state_name(s),
		           label && *label ? " at " : "", label ? label : "",
		           atomic_load(&a->line), states[r], cpu[r]);
	}
	states[n] = '\0';
	/* CPU since each rank started includes MPI_Init's; what the stuck
	 * ranks burn is their CPU over a window of the stall itself. */
	t0 = board_now_ns();
	nanosleep(&(struct timespec){0, 200000000}, NULL);
	poll_ms = (double)(board_now_ns() - t0) / 1e6;
	for (int r = 0; r < n; r++)
		if (pid[r] > 0) {
			proc_state(pid[r], &c);
			poll[r] = c - cpu[r];
			used += poll[r];
		}
	lab_result(lab, "  over %.0f ms more of it, the ranks used %.0f ms of CPU\n",
	           poll_ms, used);
	if (!lab->o.json)
		goto out;
	lab_json_begin(&j);
	lab_json_int(&j, "run", atomic_load(&b->run));
	lab_json_int(&j, "ranks", n);
	lab_json_int(&j, "hung", 1);
	lab_json_num(&j, "watchdog_ms", m->watchdog_s * 1000.0);
	lab_json_num(&j, "quiet_ms", quiet_s * 1000.0);
	lab_json_int(&j, "blocked", blocked);
	lab_json_int(&j, "first_blocked_rank", first);
	lab_json_str(&j, "kernel_states", states);
	lab_json_int(&j, "running", running); /* kernel state R: on a CPU or runnable */
	lab_json_num_array(&j, "cpu_ms", cpu, n); /* since each started */
	lab_json_num(&j, "poll_ms", poll_ms);
	lab_json_num_array(&j, "poll_cpu_ms", poll, n); /* in those poll_ms */
	lab_json_int_array(&j, "board_states", st, n);
	lab_json_end(&j);
out:
	free(st);
	free(cpu);
	free(poll);
	free(pid);
}

/* Stop mpirun and every rank: SIGTERM to mpirun (it ends its ranks), a
 * short grace, then SIGKILL to mpirun and to the ranks' pids on the
 * board (each dies with mpirun anyway: PR_SET_PDEATHSIG). */
static void
stop_job(struct lab_mpi *m, pid_t mpirun, int *status)
{
	struct board *b = m->lab.board;

	kill(mpirun, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(mpirun, status, WNOHANG) == mpirun)
			goto ranks;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	kill(mpirun, SIGKILL);
	waitpid(mpirun, status, 0);
ranks:
	for (int r = 1; r <= m->lab.o.workers && r < BOARD_MAX_ACTORS; r++) {
		pid_t pid = atomic_load(&b->actor[r].pid);

		if (pid > 0)
			kill(pid, SIGKILL);
	}
}

/* Freezing (the shell's Space): the shell stops the demo's group, the
 * launcher and mpirun, with SIGSTOP, then sets control.freeze; the ranks
 * are in mpirun's groups, so each stops itself when it sees the flag
 * (freeze_watch).  On thaw the shell continues the group, the launcher
 * among it, then clears the flag; the launcher then continues the ranks. */
static volatile sig_atomic_t continued;

static void
on_sigcont(int sig)
{
	(void)sig;
	continued = 1;
}

static void
thaw_ranks(struct lab_mpi *m)
{
	struct board *b = m->lab.board;

	for (int r = 1; r <= m->lab.o.workers && r < BOARD_MAX_ACTORS; r++) {
		pid_t pid = atomic_load(&b->actor[r].pid);

		if (pid > 0)
			kill(pid, SIGCONT);
	}
}

static _Noreturn void
launch(struct lab_mpi *m, int argc, char **argv)
{
	struct lab *lab = &m->lab;
	char err[256], dir[PATH_MAX];
	int r = lab_parse(lab, &m->lesson_, argc, argv, err, sizeof err);
	bool shell = getenv(BOARD_ENV_FD) && *getenv(BOARD_ENV_FD);
	pid_t self = getpid(), pid;
	uint64_t last, since;
	int status = 0;

	lab_stdout_guard(lab); /* --help into a full disk fails the exit */
	if (r < 0)
		lab_usage_error(lab, "%s", err);
	if (r > 0)
		exit(0);
	refuse_schedules(lab);
	if (lab->o.workers < m->min_ranks)
		lab_usage_error(lab, "--workers %d: this lesson needs at least %d ranks",
		                lab->o.workers, m->min_ranks);
	if (!on_path("mpirun"))
		lab_die(lab, "mpirun not found on PATH: install Open MPI (Debian: openmpi-bin)");
	if (m->hostfile && access(m->hostfile, R_OK) < 0)
		lab_usage_error(lab, "--hostfile %s:", m->hostfile);
	free(lab->sched);
	lab->sched = NULL;
	/* The ranks must reach the board by name: standalone too it is a
	 * memfd (an anonymous mapping has none), passed as the shell's is. */
	if (!shell) {
		int fd;

		if (!board_create_memfd(&fd))
			lab_die(lab, "cannot make the board:");
		setenv_int(BOARD_ENV_FD, fd);
	}
	lab_init(lab, &m->lesson_, argc, argv); /* parses again, maps, actor 0 */
	lab->under_shell = shell;
	board_actor_publish(&lab->board->actor[0], BOARD_KIND_PROCESS, self, gettid(),
	                    getppid(), 0, "launcher");
	atomic_store(&lab->board->runs, (uint32_t)lab->o.runs);
	session_dir(lab, dir, sizeof dir);
	setenv_int(LAB_MPI_ENV_LAUNCHER, self);
	pass_fd(BOARD_ENV_FD, LAB_MPI_ENV_BOARD);
	pass_fd("RACELAB_JSON_FD", LAB_MPI_ENV_JSON);
	/* Open MPI's mpirun refuses to run as root unless told, on the
	 * command line (--allow-run-as-root) or by these two variables,
	 * both 1: mpirun(1) of Open MPI 4.1, "Running as root".  Lessons
	 * run as root in containers and CI; a user's own run is unchanged. */
	if (geteuid() == 0) {
		setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
		setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
	}
	char **v = mpirun_argv(m, argc, argv, dir);

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		lab_die(lab, "fork:");
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* mpirun ends with us (SIGTERM: it stops its ranks and removes
		 * its files), even when we are SIGKILLed. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != self)
			_exit(127);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		lab_clean_keep_on_exec();
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(v[0], v);
		fprintf(stderr, "%s: cannot run mpirun: %s\n", lab->prog, strerror(errno));
		_exit(127);
	}
	free(v);
	sigaction(SIGCONT, &(struct sigaction){.sa_handler = on_sigcont,
	                                        .sa_flags = SA_RESTART}, NULL);
	last = motion(lab->board, lab->o.workers);
	since = board_now_ns();
	for (;;) {
		struct board *b = lab->board;
		uint64_t now, mo;

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
		now = board_now_ns();
		mo = motion(b, lab->o.workers);
		if (continued && !atomic_load(&b->control.freeze)) {
			continued = 0;
			thaw_ranks(m);
			since = now; /* the time frozen is no one's stall */
		}
		/* Only a run in progress can hang; frozen by the shell, held
		 * in step mode or asleep for a while, nothing is expected to
		 * move. */
		if (mo != last || atomic_load(&b->run_state) != BOARD_RUN_RUNNING ||
		    any_sleeping(b, lab->o.workers) ||
		    atomic_load(&b->control.freeze) || atomic_load(&b->control.step_mode)) {
			last = mo;
			since = now;
		} else if (m->watchdog_s > 0 &&
		           (double)(now - since) / 1e9 >= m->watchdog_s) {
			watchdog_report(m, (double)(now - since) / 1e9);
			stop_job(m, pid, &status);
			exit(LAB_EXIT_DEADLOCK);
		}
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "%s: mpirun killed by signal %d\n", lab->prog,
		        WTERMSIG(status));
		exit(1);
	}
	exit(WEXITSTATUS(status));
}

/* ---- a rank ------------------------------------------------------------ */

/* A thread of each rank on the board: it makes no MPI call (so the rank
 * asks for MPI_THREAD_FUNNELED), it stops the rank while the shell has
 * the demo frozen (see on_sigcont). */
static void *
freeze_watch(void *p)
{
	const struct board *b = p;

	for (;;) {
		nanosleep(&(struct timespec){0, 10000000}, NULL);
		if (atomic_load_explicit(&b->control.freeze, memory_order_relaxed))
			kill(getpid(), SIGSTOP);
	}
	return NULL;
}

static long
env_long(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : 0;
}

/* Open the launcher's fd the variable names; make it env_fd's value. */
static int
open_passed(const char *var, const char *env_fd, int flags)
{
	const char *path = getenv(var);
	int fd = path && *path ? open(path, flags | O_CLOEXEC) : -1;

	if (fd >= 0)
		setenv_int(env_fd, fd);
	else
		unsetenv(env_fd);
	return fd;
}

static void
raise_nactors(struct board *b, uint32_t n)
{
	uint32_t cur = atomic_load(&b->nactors);

	while (cur < n && !atomic_compare_exchange_weak(&b->nactors, &cur, n))
		;
}

static void
publish_rank(struct lab_mpi *m)
{
	struct board *b = m->lab.board;
	struct board_actor *a = m->w->actor;
	char name[BOARD_NAME_LEN];

	snprintf(name, sizeof name, "rank %d", m->rank);
	board_actor_publish(a, BOARD_KIND_PROCESS, getpid(), gettid(), getppid(),
	                    (unsigned)m->rank + 1, name);
	raise_nactors(b, (uint32_t)m->rank + 2);
	board_actor_state(a, BOARD_ST_RUNNING);
	board_event_put(a, BOARD_EV_START, 0, 0);
	m->w->ev_next = 0;
}

static void
be_rank(struct lab_mpi *m, int argc, char **argv)
{
	struct lab *lab = &m->lab;
	long grank = env_long("OMPI_COMM_WORLD_RANK");
	pid_t parent = getppid();
	char err[256], comm[32] = "";
	int bfd, r, saved = -1, len = 0;
	FILE *f;

	/* Die with mpirun (or orted, or a batch system's launcher), and make
	 * sure it is still the parent: a rank orphaned before the prctl has
	 * init or a subreaper (racelab's shell) as its parent instead. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(err, sizeof err, "/proc/%d/comm", (int)parent);
	if ((f = fopen(err, "r"))) {
		if (!fgets(comm, sizeof comm, f))
			comm[0] = '\0';
		fclose(f);
	}
	if (parent == 1 || strncmp(comm, "racelab", 7) == 0)
		_exit(1);
	m->launcher = (pid_t)env_long(LAB_MPI_ENV_LAUNCHER);
	bfd = open_passed(LAB_MPI_ENV_BOARD, BOARD_ENV_FD, O_RDWR);
	if (grank == 0)
		open_passed(LAB_MPI_ENV_JSON, "RACELAB_JSON_FD", O_WRONLY);
	else
		unsetenv("RACELAB_JSON_FD");
	/* The launcher has checked the options; by hand under mpirun, only
	 * rank 0 speaks for all (--help, an error). */
	if (grank != 0) {
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			close(null);
		}
	}
	r = lab_parse(lab, &m->lesson_, argc, argv, err, sizeof err);
	if (saved >= 0) {
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	if (r != 0) {
		if (r < 0 && grank == 0)
			fprintf(stderr, "%s: %s\n", lab->prog ? lab->prog : "racelab", err);
		exit(r < 0 ? LAB_EXIT_USAGE : 0);
	}
	if (grank == 0)
		lab_stdout_guard(lab);
	lab->board = NULL;
	if (bfd >= 0) {
		const char *why = NULL;

		lab->board = board_attach(bfd, &why);
		m->on_board = lab->board != NULL;
	}
	if (!lab->board && !(lab->board = board_create_anon()))
		lab_die(lab, "cannot map a board:");
	lab->under_shell = m->on_board;
	{
		int provided;

		if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) !=
		    MPI_SUCCESS)
			lab_die(lab, "MPI_Init_thread failed");
		if (m->on_board && provided >= MPI_THREAD_FUNNELED) {
			pthread_t t;

			if (pthread_create(&t, NULL, freeze_watch, lab->board) == 0)
				pthread_detach(t);
		}
	}
	MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
	MPI_Comm_size(MPI_COMM_WORLD, &m->size);
	MPI_Get_processor_name(m->host, &len);
	m->mpirun = getppid();
	lab->o.workers = m->size; /* by hand, -np is what counts */
	if (m->size < m->min_ranks) {
		if (grank == 0)
			fprintf(stderr, "%s: %d ranks: this lesson needs at least %d\n",
			        lab->prog, m->size, m->min_ranks);
		MPI_Finalize();
		exit(LAB_EXIT_USAGE);
	}
	if (m->size + 1 > BOARD_MAX_ACTORS)
		lab_die(lab, "too many ranks for the board (at most %d)", BOARD_MAX_WORKERS);
	m->w = calloc(1, sizeof *m->w);
	if (!m->w)
		lab_die(lab, "out of memory");
	m->w->lab = lab;
	m->w->no = m->rank + 1;
	m->w->actor = &lab->board->actor[m->rank + 1];
	m->w->mode = LAB_PROCESS;
	m->w->pid = getpid();
	m->w->tid = gettid();
	publish_rank(m);
}

void
lab_mpi_init(struct lab_mpi *m, const struct lab_lesson *lesson, int argc,
             char **argv)
{
	merge_options(m, lesson);
	if (!getenv("OMPI_COMM_WORLD_SIZE"))
		launch(m, argc, argv);
	be_rank(m, argc, argv);
}

void
lab_mpi_run_begin(struct lab_mpi *m, int run)
{
	struct lab *lab = &m->lab;
	struct board *b = lab->board;

	MPI_Barrier(MPI_COMM_WORLD);
	if (m->rank == 0) {
		struct board_actor_id main;
		bool had = board_actor_read(&b->actor[0], &main) && main.pid > 0;

		board_reset(b);
		/* The launcher stays actor 0, as lab_run_begin keeps the main. */
		if (had)
			board_actor_publish(&b->actor[0], main.kind, main.pid, main.tid,
			                    main.ppid, 0, main.name);
		atomic_store(&b->actor[0].state, BOARD_ST_RUNNING);
		raise_nactors(b, 1);
		atomic_store(&b->runs, (uint32_t)lab->o.runs);
		atomic_store(&b->run, (uint32_t)run);
	}
	MPI_Barrier(MPI_COMM_WORLD);
	publish_rank(m);
	MPI_Barrier(MPI_COMM_WORLD);
	lab->run = run;
	lab->t0 = board_now_ns();
	if (m->rank == 0) {
		atomic_store(&b->run_start_ns, lab->t0);
		atomic_store(&b->run_state, BOARD_RUN_RUNNING);
	}
}

/* A rank inside MPI_Recv or MPI_Barrier waits for a message only another
 * rank's step sends, as a worker waits for a lock another holds; but it
 * waits in Open MPI, not on a board lock, so the shell's step mode would
 * count it as unsettled ("computing between two steps") and drop the
 * steps queued behind it: posting a receive before its sender sends
 * could not be stepped.  So it is marked ungated until the call returns
 * (it passes no probe meanwhile); lab_mpi_done and the end of a run
 * clear the mark before the rank's next probe. */
void
lab_mpi_blocked(struct lab_mpi *m)
{
	lab_set_state(m->w, BOARD_ST_BLOCKED);
	atomic_store(&m->w->actor->ungated, 1);
}

/* The message just sent may end dest's wait: dest is no longer settled
 * (step mode waits for its next probe).  Nothing on another host's
 * board.  Not covered: a receive whose message is already there returns
 * by itself, and the shell may count that rank settled for the moment
 * it is inside MPI_Recv (its trace line may then show the counters just
 * before the rank records); an MPI_Iprobe to tell would change which
 * waiting message ob1 matches (measured: 213 instead of 312). */
void
lab_mpi_sent(struct lab_mpi *m, int dest)
{
	if (dest >= 0 && dest < m->size && dest + 1 < BOARD_MAX_ACTORS)
		atomic_store(&m->lab.board->actor[dest + 1].ungated, 0);
}

static void
unblocked(struct lab_mpi *m, enum board_state s)
{
	atomic_store(&m->w->actor->ungated, 0);
	lab_set_state(m->w, s);
}

void
lab_mpi_done(struct lab_mpi *m)
{
	unblocked(m, BOARD_ST_RUNNING);
}

void
lab_mpi_run_end_(struct lab_mpi *m)
{
	MPI_Barrier(MPI_COMM_WORLD);
	unblocked(m, BOARD_ST_DONE);
	board_event_put(m->w->actor, BOARD_EV_END, 0, 0);
	MPI_Barrier(MPI_COMM_WORLD);
	if (m->rank == 0)
		lab_run_end(&m->lab); /* counter 0 for the histogram; run done */
}

void
lab_mpi_gather(struct lab_mpi *m, long long mine, long long *out)
{
	MPI_Gather(&mine, 1, MPI_LONG_LONG, m->rank == 0 ? out : NULL, 1,
	           MPI_LONG_LONG, 0, MPI_COMM_WORLD);
}

void
lab_mpi_finalize(struct lab_mpi *m, int status)
{
	if (m->w)
		lab_set_state(m->w, status ? BOARD_ST_FAILED : BOARD_ST_DONE);
	fflush(stdout);
	MPI_Finalize();
	exit(status);
}
