// Lesson 13: deadlock.  Two workers, two locks, taken in opposite orders.
//
// Worker 1 locks a then b; worker 2 locks b then a.  If each gets its
// first lock before the other gets its second, each waits for a lock the
// other holds and will never release: a cycle in the wait-for graph, and
// nothing moves again.  With more workers it is the dining philosophers:
// worker i takes fork i, then fork i+1, and the last one's "next" fork is
// the first one's.
//
// The fixes, chosen with --fix:
//   order      every worker takes the locks in one global order (the lower
//              lock first), so no cycle can form;
//   trylock    take the first lock, only try the second; if it is busy,
//              give the first back, wait a random moment and start again;
//   timeout    as trylock, but wait for the second lock up to --timeout;
//   footman    a semaphore of n-1 seats at the table: at most n-1 reach
//              for forks at once, so one of them always gets two;
//   asymmetric even-numbered philosophers take the right fork first, odd
//              ones the left: a cycle needs everyone to reach the same way;
//   tanenbaum  no forks: a state per philosopher (thinking, hungry,
//              eating) under one mutex, and a semaphore per philosopher
//              that a neighbour posts when both forks are free.
// Each philosopher counts its meals; with --seconds they eat for that
// long instead of --iters meals, so an unfair solution shows as a low
// count (the Little Book of Semaphores, 4.4).
//
// A free run that deadlocks must not hang: a watchdog thread in the lesson
// reads the board (who holds what, who waits for what), and when it sees
// the same cycle of blocked workers twice in a row it reports it, kills
// process workers and exits with status 3.
#include "lab/lab.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum fix {
	FIX_NONE, FIX_ORDER, FIX_TRYLOCK, FIX_TIMEOUT, FIX_FOOTMAN, FIX_ASYMMETRIC,
	FIX_TANENBAUM,
};
static const char *const fix_names[] = {
	"none", "order", "trylock", "timeout", "footman", "asymmetric", "tanenbaum",
};

static const char *fix_name = "none";
static double hold_s = 0.02;
static double timeout_s = 0.05;
static double watch_s = 0.05;
static double seconds_s = 0;
static double think_s = 0;

static const struct lab_option options[] = {
	{ "fix", LAB_OPT_CHOICE, &fix_name,
	  "none|order|trylock|timeout|footman|asymmetric|tanenbaum",
	  "how to avoid the deadlock (default none)", 0, 0 },
	{ "seconds", LAB_OPT_DOUBLE, &seconds_s, "S",
	  "eat for S seconds instead of --iters meals each (default 0: "
	  "--iters)", 0, 60 },
	{ "think", LAB_OPT_DOUBLE, &think_s, "S",
	  "seconds a philosopher thinks between meals (default 0)", 0, 10 },
	{ "hold", LAB_OPT_DOUBLE, &hold_s, "S",
	  "seconds a worker holds its first lock before it asks for the "
	  "second (default 0.02)", 0, 10 },
	{ "timeout", LAB_OPT_DOUBLE, &timeout_s, "S",
	  "--fix timeout: how long to wait for the second lock (default 0.05)",
	  0.001, 10 },
	{ "watch", LAB_OPT_DOUBLE, &watch_s, "S",
	  "how often the watchdog looks for a deadlock (default 0.05)",
	  0.005, 5 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "deadlock",
	.title = "Deadlock: two locks taken in opposite orders, and the dining philosophers",
	.about = "Worker 1 locks a then b, worker 2 locks b then a: a deadlock.\n"
	         "--workers N: N philosophers round a table, a fork between each two.\n"
	         "--fix order|trylock|timeout|footman|asymmetric|tanenbaum avoids it.\n"
	         "Exit status 3 on a deadlock.",
	.workers = 2,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.iters = 3,
	.runs = 1,
	.watches_deadlock = true,
	.options = options,
};

#define DL_MAX_WORKERS 16 /* one lock per worker, and the board has 16 */

/* Shared by every worker (lab_shared_alloc), read by the watchdog. */
struct table {
	enum fix fix;
	int n;
	long rounds;
	double hold, timeout;
	uint64_t until;        /* --seconds: eat until this board_now_ns() */
	double think;
	struct lab_lock *lock[DL_MAX_WORKERS];
	struct lab_lock *seats;                 /* footman: n-1 permits */
	struct lab_lock *mutex;                 /* tanenbaum: guards state[] */
	struct lab_lock *self[DL_MAX_WORKERS];  /* tanenbaum: "you may eat" */
	int state[DL_MAX_WORKERS];              /* tanenbaum, under mutex */
	_Atomic uint32_t timed[DL_MAX_WORKERS + 1]; /* in a timed wait now */
	_Atomic uint32_t eating[DL_MAX_WORKERS + 1];
	_Atomic long meals[DL_MAX_WORKERS + 1];
	_Atomic long overlaps; /* a philosopher began to eat beside an eater */
	/* Starvation, as it happens: hungry[i] from the moment i reaches
	 * for its forks (Tanenbaum's: says it is hungry at the table) until
	 * it eats; passed[i] counts the meals its
	 * neighbours began meanwhile.  The board's gauge passed_over keeps
	 * the most any philosopher saw in one wait. */
	_Atomic uint32_t hungry[DL_MAX_WORKERS + 1];
	_Atomic long passed[DL_MAX_WORKERS + 1];
	struct board_counter *passed_over;
	_Atomic long retries;  /* trylock found the second lock busy */
	_Atomic long timeouts; /* timedlock gave up */
	_Atomic long done;     /* rounds completed, all workers */
};

static struct table *table;
static struct lab lab;
static struct lab_team *team;
static _Atomic int reported; /* the deadlock is reported once */

/* The two locks of worker no: its own, then its right neighbour's. */
static void
locks_of(struct table *t, int no, struct lab_lock **first,
         struct lab_lock **second)
{
	struct lab_lock *mine = t->lock[no - 1], *next = t->lock[no % t->n];

	*first = mine;
	*second = next;
	/* DOC: lock-order
	 * The fix: one global order.  Every worker takes the lock with the
	 * lower index first.  Then the worker holding the highest-numbered
	 * lock anyone waits for can always get what it still needs, and no
	 * cycle of waits can close. */
	if (t->fix == FIX_ORDER && lab_lock_index(next) < lab_lock_index(mine)) {
		*first = next;
		*second = mine;
	}
	/* DOC: asymmetric
	 * The asymmetric philosophers: the even-numbered ones reach right
	 * first.  A cycle of waits needs every philosopher to hold its left
	 * fork and want its right one; a right-first neighbour never holds
	 * a left fork while it waits, so the circle cannot close. */
	if (t->fix == FIX_ASYMMETRIC && no % 2 == 0) {
		*first = next;
		*second = mine;
	}
}

/* Hold a lock for a while: shown as in the critical section, not as
 * sleeping, because that is what matters here. */
static void
hold(struct lab_worker *w, double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	lab_set_state(w, BOARD_ST_CRITICAL);
	while (s > 0 && nanosleep(&ts, &ts) < 0)
		;
}

/* After a failed attempt: a random pause, so that two workers that
 * collided do not collide again in lockstep forever (a livelock). */
static void
back_off(struct lab_worker *w, unsigned *seed, int attempt)
{
	int span = attempt < 5 ? attempt : 5;

	lab_step(w, "back off");
	lab_sleep(w, (double)(1 + rand_r(seed) % 5) * 0.001 * span);
}

/* The forks: take the first, then the second, as --fix says. */
static void
take_forks(struct lab_worker *w, struct table *t, struct lab_lock *first,
           struct lab_lock *second, unsigned *seed)
{
	int attempt = 0;

	for (;;) {
		/* DOC: first-lock */
		lab_lock(w, first);
		hold(w, t->hold);
		if (t->fix != FIX_TRYLOCK && t->fix != FIX_TIMEOUT) {
			/* DOC: second-lock
			 * Blocks for as long as another worker holds it.
			 * If that worker is waiting for our first lock,
			 * forever. */
			lab_lock(w, second);
			return;
		}
		if (t->fix == FIX_TRYLOCK) {
			/* DOC: trylock: never wait while holding. */
			if (lab_trylock(w, second) == 0)
				return;
			atomic_fetch_add(&t->retries, 1);
		} else {
			/* DOC: timedlock: wait, but not forever. */
			int r;

			atomic_store(&t->timed[w->no], 1);
			r = lab_timedlock(w, second, (uint64_t)(t->timeout * 1e9));
			atomic_store(&t->timed[w->no], 0);
			if (r == 0)
				return;
			atomic_fetch_add(&t->timeouts, 1);
		}
		lab_unlock(w, first);
		back_off(w, seed, ++attempt);
	}
}

/* DOC: tanenbaum
 * Tanenbaum's philosophers (Modern Operating Systems, 2.5.1): no forks,
 * a state each under one mutex.  A philosopher may eat when it is hungry
 * and neither neighbour eats; whoever sees that (itself on the way in, a
 * neighbour on the way out) sets it eating and posts its semaphore. */
enum { TB_THINKING, TB_HUNGRY, TB_EATING };

static int left_of(const struct table *t, int i) { return (i + t->n - 1) % t->n; }
static int right_of(const struct table *t, int i) { return (i + 1) % t->n; }

/* With t->mutex held. */
static void
tb_test(struct lab_worker *w, struct table *t, int i)
{
	if (t->state[i] == TB_HUNGRY && t->state[left_of(t, i)] != TB_EATING &&
	    t->state[right_of(t, i)] != TB_EATING) {
		t->state[i] = TB_EATING;
		lab_sem_post(w, t->self[i]);
	}
}

static void
tb_take(struct lab_worker *w, struct table *t, int i)
{
	lab_lock(w, t->mutex);
	t->state[i] = TB_HUNGRY;
	/* Hungry for passed_over from here: a neighbour's meal that began
	 * before i came to the table did not pass i over. */
	atomic_store(&t->hungry[i + 1], 1);
	tb_test(w, t, i);
	lab_unlock(w, t->mutex);
	/* Sleeps until tb_test, here or in a neighbour's tb_put, posted. */
	lab_sem_wait(w, t->self[i]);
}

static void
tb_put(struct lab_worker *w, struct table *t, int i)
{
	lab_lock(w, t->mutex);
	t->state[i] = TB_THINKING;
	tb_test(w, t, left_of(t, i));
	tb_test(w, t, right_of(t, i));
	lab_unlock(w, t->mutex);
}

/* Another meal?  --iters meals each, or until --seconds are up. */
static bool
hungry(const struct table *t, long meals)
{
	return t->until ? board_now_ns() < t->until : meals < t->rounds;
}

/* Count the meal, and check what every solution must keep true: two
 * neighbours never eat at once (they share a fork).  seq_cst: of two
 * neighbours starting together, at least one sees the other. */
static void
start_eating(struct lab_worker *w, struct table *t)
{
	int i = w->no - 1, nb[2] = { left_of(t, i) + 1, right_of(t, i) + 1 };

	atomic_store(&t->eating[w->no], 1);
	atomic_store(&t->hungry[w->no], 0);
	atomic_store(&t->passed[w->no], 0);
	if (atomic_load(&t->eating[nb[0]]) || atomic_load(&t->eating[nb[1]]))
		atomic_fetch_add(&t->overlaps, 1);
	atomic_fetch_add(&t->meals[w->no], 1);
	/* A hungry neighbour is passed over once more. */
	for (int k = 0; t->passed_over && k < 2; k++)
		if (atomic_load(&t->hungry[nb[k]]))
			lab_counter_raise(t->passed_over,
			                  atomic_fetch_add(&t->passed[nb[k]], 1) + 1);
}

static int
philosopher(struct lab_worker *w)
{
	struct table *t = w->arg;
	struct lab_lock *first, *second;
	unsigned seed = (unsigned)w->no * 2654435761u ^ (unsigned)board_now_ns();

	locks_of(t, w->no, &first, &second);
	for (long i = 0; hungry(t, i); i++) {
		if (t->think > 0) {
			lab_step(w, "think");
			lab_sleep(w, t->think);
		}
		if (t->fix != FIX_TANENBAUM)
			atomic_store(&t->hungry[w->no], 1);
		/* DOC: footman
		 * The footman seats at most n-1 philosophers: with one
		 * chair empty, the neighbour whose second fork is that
		 * chair's first always gets it (nobody else wants it), so
		 * the circle of waits cannot close. */
		if (t->fix == FIX_FOOTMAN)
			lab_sem_wait(w, t->seats);
		if (t->fix == FIX_TANENBAUM)
			tb_take(w, t, w->no - 1);
		else
			take_forks(w, t, first, second, &seed);
		lab_step(w, t->fix == FIX_TANENBAUM ? "eat: neighbours not eating"
		                                    : "eat: both locks held");
		start_eating(w, t);
		hold(w, t->hold);
		atomic_store(&t->eating[w->no], 0);
		if (t->fix == FIX_TANENBAUM) {
			tb_put(w, t, w->no - 1);
		} else {
			lab_unlock(w, second);
			lab_unlock(w, first);
		}
		if (t->fix == FIX_FOOTMAN)
			lab_sem_post(w, t->seats);
		atomic_fetch_add(&t->done, 1);
		if (!t->until)
			lab_progress(w, (uint64_t)i + 1, (uint64_t)t->rounds);
	}
	return 0;
}

static bool
all_timed(const struct table *t, const int *cyc, int len)
{
	for (int i = 0; i < len; i++)
		if (cyc[i] < 1 || cyc[i] > t->n || !atomic_load(&t->timed[cyc[i]]))
			return false;
	return true;
}

/* Which lock does worker no hold?  For the report. */
static const char *
held_by(const struct board *b, int no)
{
	for (uint32_t i = 0; i < atomic_load(&b->nlocks) && i < BOARD_MAX_LOCKS; i++)
		if (atomic_load(&b->lock[i].holder) == no)
			return b->lock[i].name;
	return "?";
}

/* The kernel's state of a worker ('S' asleep, 'R' running, ...), from
 * /proc/<pid>/task/<tid>/stat; '?' if it cannot be read. */
static char
kernel_state(const struct board *b, int no)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/task/%d/stat",
	         (int)atomic_load(&b->actor[no].pid), (int)atomic_load(&b->actor[no].tid));
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
	return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

/* Meals per philosopher, the fewest and the most, and the overlaps: in
 * every record, deadlocked or not. */
static void
json_meals(struct lab_json *j, const struct table *t)
{
	long long m[DL_MAX_WORKERS], lo = 0, hi = 0;

	for (int i = 0; i < t->n; i++) {
		m[i] = atomic_load(&t->meals[i + 1]);
		lo = i == 0 || m[i] < lo ? m[i] : lo;
		hi = i == 0 || m[i] > hi ? m[i] : hi;
	}
	lab_json_int_array(j, "meals", m, t->n);
	lab_json_int(j, "meals_min", lo);
	lab_json_int(j, "meals_max", hi);
	lab_json_int(j, "overlaps", atomic_load(&t->overlaps));
	lab_json_int(j, "passed_over",
	             t->passed_over ? atomic_load(&t->passed_over->value) : 0);
	lab_json_num(j, "seconds", seconds_s);
}

static void
say_meals(const struct table *t)
{
	long lo = 0, hi = 0;

	printf("Meals:");
	for (int i = 0; i < t->n; i++) {
		long m = atomic_load(&t->meals[i + 1]);

		printf(" %ld", m);
		lo = i == 0 || m < lo ? m : lo;
		hi = i == 0 || m > hi ? m : hi;
	}
	printf(" (fewest %ld, most %ld); neighbours eating at once: %ld\n", lo,
	       hi, atomic_load(&t->overlaps));
}

/* DOC: report
 * Print the cycle, end the workers and exit 3.  Called by the watchdog or
 * by main (after a --schedule deadlock); the first caller wins, the other
 * waits to be ended with the process. */
static _Noreturn void
report_deadlock(const int *cyc, int len)
{
	struct board *b = lab.board;
	char text[1024];
	size_t n = 0;

	int asleep = 0;

	if (atomic_exchange(&reported, 1))
		for (;;)
			pause();
	/* "A deadlock does not spin": ask the kernel how the members of
	 * the cycle are doing. */
	for (int i = 0; i < len; i++)
		asleep += kernel_state(b, cyc[i]) == 'S';
	for (int i = 0; i < len && n < sizeof text - 128; i++) {
		uint32_t l = atomic_load(&b->actor[cyc[i]].wait_lock);

		n += (size_t)snprintf(text + n, sizeof text - n,
		                      "%sworker %d holds %s and waits for %s, held by worker %d",
		                      i ? "; " : "", cyc[i], held_by(b, cyc[i]),
		                      l ? b->lock[l - 1].name : "?", cyc[(i + 1) % len]);
	}
	if (lab.o.json) {
		struct lab_json j;
		long long c[DL_MAX_WORKERS];

		for (int i = 0; i < len && i < DL_MAX_WORKERS; i++)
			c[i] = cyc[i];
		lab_json_begin(&j);
		lab_json_int(&j, "run", lab.run);
		lab_json_str(&j, "fix", fix_name);
		lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
		lab_json_int(&j, "workers", table->n);
		lab_json_bool(&j, "deadlock", true);
		lab_json_int(&j, "deadlocked", 1);
		lab_json_int_array(&j, "cycle", c, len < DL_MAX_WORKERS ? len : DL_MAX_WORKERS);
		lab_json_int(&j, "cycle_len", len);
		lab_json_int(&j, "asleep_in_kernel", asleep);
		lab_json_int(&j, "rounds", table->rounds);
		lab_json_str(&j, "cycle_text", text);
		lab_json_int(&j, "rounds_done", atomic_load(&table->done));
		json_meals(&j, table);
		lab_json_num(&j, "elapsed_ms", lab_elapsed_ms(&lab));
		lab_json_end(&j);
	}
	if (lab_text(&lab)) {
		printf("Result: deadlock after %.2f s: %s\n",
		       lab_elapsed_ms(&lab) / 1000.0, text);
		say_meals(table);
		lab_say(&lab, "%d of the %d workers in the cycle are asleep in the "
		        "kernel (state S in /proc), using no CPU.\n", asleep, len);
		lab_say(&lab, "Nothing would ever move again: stopping the workers.\n");
	}
	fflush(stdout);
	/* Under the shell, leave the cycle on the board for a moment so
	 * the wait-for graph is drawn before the workers go. */
	if (lab.under_shell)
		usleep(1000000);
	/* DOC: stop-all
	 * Stop every worker before any of them dies.  The locks are robust
	 * mutexes (lab_lock.c): when a holder dies, the kernel hands the
	 * lock to the next waiter (EOWNERDEAD), so killing and reaping them
	 * one at a time would let the second worker take its second lock
	 * and "eat" right after the report said nothing would move again.
	 * A stopped worker runs no code, so: stop all, then kill, then reap. */
	for (int i = 0; i < team->n; i++)
		if (team->w[i].mode == LAB_PROCESS && team->w[i].pid > 0)
			kill(team->w[i].pid, SIGSTOP);
	for (int i = 0; i < team->n; i++)
		if (team->w[i].mode == LAB_PROCESS && team->w[i].pid > 0) {
			siginfo_t si;

			while (waitid(P_PID, (id_t)team->w[i].pid, &si,
			              WSTOPPED | WEXITED | WNOWAIT) < 0 && errno == EINTR)
				;
		}
	for (int i = 0; i < team->n; i++)
		if (team->w[i].mode == LAB_PROCESS && team->w[i].pid > 0)
			kill(team->w[i].pid, SIGKILL);
	for (int i = 0; i < team->n; i++)
		if (team->w[i].mode == LAB_PROCESS && team->w[i].pid > 0)
			while (waitpid(team->w[i].pid, NULL, 0) < 0 && errno == EINTR)
				;
	fflush(stderr);
	lab_trace_flush(team->lab); /* --trace-out: the deadlock is worth seeing */
	/* Thread workers blocked on the locks end with the process. */
	_exit(LAB_EXIT_DEADLOCK);
}

/* DOC: watchdog
 * A cycle on the board is only a deadlock if it stays: the board is read
 * without stopping anyone, so a single look could catch a picture that was
 * never true all at once.  The same cycle, with no member having moved
 * (same probe count), seen on two looks a --watch interval apart, is one.
 * Timed waits end by themselves, so a cycle of them is not a deadlock. */
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cv;
static bool watch_stop; /* guarded by watch_mu */

/* Sleep one --watch interval, or less if main says stop.  False: stop. */
static bool
watch_nap(void)
{
	struct timespec dl;
	bool go_on;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += (time_t)watch_s;
	dl.tv_nsec += (long)((watch_s - (double)(time_t)watch_s) * 1e9);
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&watch_mu);
	while (!watch_stop &&
	       pthread_cond_timedwait(&watch_cv, &watch_mu, &dl) == 0)
		;
	go_on = !watch_stop;
	pthread_mutex_unlock(&watch_mu);
	return go_on;
}

static void
watch_end(pthread_t wd)
{
	pthread_mutex_lock(&watch_mu);
	watch_stop = true;
	pthread_cond_signal(&watch_cv);
	pthread_mutex_unlock(&watch_mu);
	pthread_join(wd, NULL);
	watch_stop = false;
}

static void *
watchdog(void *arg)
{
	struct board *b = lab.board;
	int prev[DL_MAX_WORKERS + 1], prev_len = 0;
	uint64_t prev_steps[DL_MAX_WORKERS + 1];

	(void)arg;
	while (watch_nap()) {
		int cyc[DL_MAX_WORKERS + 1], len = 0;
		uint64_t steps[DL_MAX_WORKERS + 1];
		bool same;

		if (!lab_find_deadlock(b, cyc, DL_MAX_WORKERS + 1, &len) ||
		    all_timed(table, cyc, len)) {
			prev_len = 0;
			continue;
		}
		for (int i = 0; i < len; i++)
			steps[i] = atomic_load(&b->actor[cyc[i]].steps);
		same = len == prev_len;
		for (int i = 0; same && i < len; i++)
			same = cyc[i] == prev[i] && steps[i] == prev_steps[i];
		if (same)
			report_deadlock(cyc, len);
		memcpy(prev, cyc, sizeof cyc);
		memcpy(prev_steps, steps, sizeof steps);
		prev_len = len;
	}
	return NULL;
}

static enum fix
parse_fix(const char *s)
{
	for (size_t i = 0; i < sizeof fix_names / sizeof *fix_names; i++)
		if (strcmp(s, fix_names[i]) == 0)
			return (enum fix)i;
	return FIX_NONE;
}

int
main(int argc, char **argv)
{
	struct table *t;

	lab_init(&lab, &lesson, argc, argv);
	{
		pthread_condattr_t ca;

		/* Deadlines on the monotonic clock: immune to clock changes. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&watch_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (lab.o.workers < 2 || lab.o.workers > DL_MAX_WORKERS)
		lab_usage_error(&lab, "--workers: a deadlock needs 2 to %d workers (one lock each)",
		                DL_MAX_WORKERS);
	t = table = lab_shared_alloc(&lab, sizeof *t);
	t->fix = parse_fix(fix_name);
	/* The board has room for 16 locks: the forks and one more. */
	if ((t->fix == FIX_FOOTMAN || t->fix == FIX_TANENBAUM) &&
	    lab.o.workers > BOARD_MAX_LOCKS - 1)
		lab_usage_error(&lab, "--workers: --fix %s seats 2 to %d philosophers",
		                fix_name, BOARD_MAX_LOCKS - 1);
	t->n = lab.o.workers;
	t->rounds = lab.o.iters;
	t->hold = hold_s;
	t->think = think_s;
	t->timeout = timeout_s;
	if (t->fix == FIX_TANENBAUM) {
		/* No forks: one mutex, and a semaphore per philosopher that
		 * starts at 0 (nobody may eat until tested). */
		t->mutex = lab_lock_new(&lab, "table", BOARD_LOCK_MUTEX);
		for (int i = 0; i < t->n; i++) {
			char name[BOARD_NAME_LEN];

			snprintf(name, sizeof name, "may-eat%d", i + 1);
			t->self[i] = lab_sem_new(&lab, name, 0);
		}
	}
	for (int i = 0; t->fix != FIX_TANENBAUM && i < t->n; i++) {
		char name[BOARD_NAME_LEN];

		/* Two workers: locks a and b.  More: the philosophers' forks. */
		if (t->n == 2)
			snprintf(name, sizeof name, "%c", 'a' + i);
		else
			snprintf(name, sizeof name, "fork%d", i + 1);
		t->lock[i] = lab_lock_new(&lab, name, BOARD_LOCK_MUTEX);
	}
	if (t->fix == FIX_FOOTMAN)
		t->seats = lab_sem_new(&lab, "seats", (unsigned)t->n - 1);
	/* A table of three or more (two workers are neighbours twice over,
	 * and the two-lock steps need no counter in their trace). */
	if (t->n > 2) {
		t->passed_over = lab_counter(&lab, "passed_over", 0);
		lab_counter_kind(t->passed_over, BOARD_COUNTER_GAUGE);
	}
	if (t->n == 2 && t->fix != FIX_TANENBAUM)
		lab_say(&lab, "worker 1 locks a then b; worker 2 locks %s; "
		        "each holds its first lock %.3f s; fix: %s\n",
		        t->fix == FIX_ORDER || t->fix == FIX_ASYMMETRIC ? "a then b too"
		                                                       : "b then a",
		        t->hold, fix_name);
	else
		lab_say(&lab, "%d workers round a table, %s; fix: %s\n", t->n,
		        t->fix == FIX_TANENBAUM ? "eating when neither neighbour eats"
		                                : "fork i and fork i+1 each",
		        fix_name);

	for (int run = 1; run <= lab.o.runs; run++) {
		enum lab_join_result r;
		pthread_t wd;
		double ms;

		lab_run_begin(&lab, run);
		atomic_store(&t->retries, 0);
		atomic_store(&t->timeouts, 0);
		atomic_store(&t->done, 0);
		atomic_store(&t->overlaps, 0);
		for (int i = 0; i <= t->n; i++) {
			atomic_store(&t->meals[i], 0);
			atomic_store(&t->hungry[i], 0);
			atomic_store(&t->passed[i], 0);
		}
		if (t->passed_over)
			lab_counter_set(t->passed_over, 0);
		t->until = seconds_s > 0 ? board_now_ns() + (uint64_t)(seconds_s * 1e9) : 0;
		team = lab_spawn(&lab, t->n, philosopher, t);
		if (pthread_create(&wd, NULL, watchdog, NULL))
			lab_die(&lab, "cannot start the watchdog thread");
		r = lab_join(team);
		while (r == LAB_JOIN_DEADLOCK) {
			/* The schedule drove the workers into a cycle. */
			int cyc[DL_MAX_WORKERS + 1], len = 0;

			if (!lab_find_deadlock(lab.board, cyc, DL_MAX_WORKERS + 1, &len))
				break;
			if (!all_timed(t, cyc, len))
				report_deadlock(cyc, len);
			/* A cycle of timed waits breaks when they time out:
			 * let the workers run on freely. */
			lab_say(&lab, "(a cycle of timed waits: it breaks by itself "
			        "when they time out; running on)\n");
			atomic_store(&lab.board->control.step_mode, 0);
			for (int i = 0; i < team->n; i++)
				board_gate_wake(team->w[i].actor);
			r = lab_join(team);
		}
		watch_end(wd);
		if (atomic_load(&reported))
			for (;;)
				pause();
		ms = lab_elapsed_ms(&lab);
		lab_run_end(&lab);
		if (lab.o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "fix", fix_name);
			lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
			lab_json_int(&j, "workers", t->n);
			lab_json_bool(&j, "deadlock", false);
			lab_json_int(&j, "deadlocked", 0);
			lab_json_int(&j, "rounds", t->rounds);
			lab_json_int(&j, "rounds_done", atomic_load(&t->done));
			lab_json_int(&j, "retries", atomic_load(&t->retries));
			lab_json_int(&j, "timeouts", atomic_load(&t->timeouts));
			json_meals(&j, t);
			lab_json_num(&j, "elapsed_ms", ms);
			lab_json_end(&j);
		}
		if (lab_text(&lab)) {
			char of[48];

			/* --iters: of how many; --seconds: in how long. */
			if (t->until)
				snprintf(of, sizeof of, "in %.2f s", seconds_s);
			else
				snprintf(of, sizeof of, "of %ld", t->rounds * t->n);
			printf("Run %d: completed, %ld %s rounds done (fix %s); "
			       "%ld trylock retries, %ld timeouts; %.2f s\n", run,
			       atomic_load(&t->done), of, fix_name,
			       atomic_load(&t->retries), atomic_load(&t->timeouts),
			       ms / 1000.0);
			say_meals(t);
		}
		lab_team_free(team);
		team = NULL;
	}
	return 0;
}
