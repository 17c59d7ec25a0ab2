// Lesson 09: CPU-bound work in parallel: serial, threads, processes, a GIL.
//
// The tutorials' sum of squares: 1*1 + 2*2 + ... + N*N, split into chunks
// that workers compute at the same time (their Pool(4).starmap example).
// The program times the whole sum done by one worker, then by --workers
// threads, by the same threads forced to take turns under one global lock
// (the way CPython's Global Interpreter Lock makes Python threads take
// turns), and by --workers processes.  Speedup = serial time / parallel
// time, measured here, compared with what the cores allow and, with a
// serial part (--serial-fraction), with Amdahl's law.
//
// Every result is checked exactly against the closed form n(n+1)(2n+1)/6,
// in 128-bit integers: a fast wrong answer is not a speedup.
#include "lab/lab.h"
#include "lab/lab_math.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long opt_n = 300000000;
static double opt_serial_fraction;
static bool opt_gil, opt_compare;
static double opt_switch_ms = 5.0;

static const struct lab_option options[] = {
	{ "n", LAB_OPT_LONG, &opt_n, "N",
	  "sum the squares of 1..N (default 300000000)", 1, 100000000000.0 },
	{ "gil", LAB_OPT_FLAG, &opt_gil, NULL,
	  "thread workers must hold one global lock while they compute, "
	  "as Python threads hold the GIL", 0, 0 },
	{ "compare", LAB_OPT_FLAG, &opt_compare, NULL,
	  "time serial, threads, threads under the GIL and processes, one table", 0, 0 },
	{ "serial-fraction", LAB_OPT_DOUBLE, &opt_serial_fraction, "F",
	  "do this fraction of the terms serially first (Amdahl's law; 0..0.99)",
	  0, 0.99 },
	{ "switch-ms", LAB_OPT_DOUBLE, &opt_switch_ms, "MS",
	  "with --gil, hold the lock this long before handing it over "
	  "(CPython: 5 ms)", 0.01, 1000 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "cpu-bound",
	.title = "CPU-bound work: serial vs threads vs processes, and the GIL",
	.about = "Sums the squares of 1..N in --workers chunks, serially and in parallel,\n"
	         "and prints the measured speedup next to what the cores allow.\n"
	         "--compare times every way; --gil makes threads take turns under one lock.",
	.workers = 4, /* the tutorial's Pool(processes=4) */
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

/* The ways of doing the sum that one run can time. */
enum way { WAY_SERIAL, WAY_THREADS, WAY_GIL, WAY_PROCESSES, WAY_COUNT };

static const char *const way_name[WAY_COUNT] = {
	"serial", "threads", "threads+gil", "processes",
};

/* The name a way is printed with: processes under --gil say so. */
static const char *
way_label(enum way w)
{
	return w == WAY_PROCESSES && opt_gil ? "processes+gil" : way_name[w];
}

/* One chunk of the sum, [first, last], as starmap's (start, end) pair. */
struct chunk {
	uint64_t first, last;
};

/* Shared with the workers; lives in lab_shared_alloc memory, so process
 * workers write their partial sums where the parent can read them (a
 * process's own variables are a copy the parent never sees). */
struct job {
	int nchunks;
	struct chunk *chunk;       /* chunk[k] for worker k+1 of a team */
	lab_u128 *partial;             /* partial[k]: that chunk's sum */
	int first_no;              /* worker number of chunk 0 in this team */
	bool gil;                  /* take the global lock around the work */
	struct lab_lock *gil_lock; /* threads: one lock for all of them */
	uint64_t switch_ns;
	struct board_counter *done; /* chunks finished */
	/* Shared memory, so process workers count here too: */
	_Atomic int inside;        /* workers computing now (under the GIL:
	                              holding it) */
	_Atomic int max_inside;    /* the most at once: 1 if the GIL works */
	_Atomic int gil_waiting;   /* threads waiting for the GIL now */
	_Atomic unsigned long gil_taken; /* times the GIL was taken */
	int last_holder;           /* under the GIL lock: who had it last */
	_Atomic int64_t worker_cpu_ns; /* CPU time the workers spent summing */
	long handovers;            /* under the GIL lock: times it changed hands */
};

/* A worker starts or stops computing: the most at once is what tells a
 * global lock (1) from none (2 or more, even on one core, where a worker
 * is preempted in the middle of its chunk). */
static void
count_in(struct job *job)
{
	int in = atomic_fetch_add(&job->inside, 1) + 1;
	int max = atomic_load(&job->max_inside);

	while (in > max && !atomic_compare_exchange_weak(&job->max_inside, &max, in))
		;
}

static void
count_out(struct job *job)
{
	atomic_fetch_sub(&job->inside, 1);
}

/* Worker k of W gets terms first + k*count/W .. first + (k+1)*count/W - 1,
 * so every term is in exactly one chunk, whatever W and count are. */
static void
split(uint64_t first, uint64_t count, int w, struct chunk *out)
{
	for (int k = 0; k < w; k++) {
		uint64_t a = lab_share_start(count, k, w);
		uint64_t b = lab_share_start(count, k + 1, w);

		out[k].first = first + a;
		out[k].last = first + b - 1; /* b == a: an empty chunk */
	}
}

static uint64_t
now_ns(void)
{
	return board_now_ns();
}

/* A private lock for each process: a static mutex is copied by fork like
 * the rest of the parent's memory, so each process worker has its own, just
 * as each Python process has its own interpreter and its own GIL. */
static pthread_mutex_t process_gil = PTHREAD_MUTEX_INITIALIZER;

/* DOC: gil
 * Under the GIL a thread computes only while it holds the lock, and hands
 * it over every switch interval (CPython: sys.getswitchinterval(), 5 ms).
 * Hand-over is forced: after unlocking, a thread that others are waiting
 * for does not take the lock again until one of them has had it, as
 * CPython's FORCE_SWITCHING does; a plain mutex would let it grab the lock
 * straight back.  Two counters of its own say who waits and when the lock
 * was last taken (gil_waiting, gil_taken). */
static lab_u128
sum_under_gil(struct lab_worker *w, struct job *job, uint64_t first,
              uint64_t last, uint64_t total_terms)
{
	lab_u128 sum = 0;
	uint64_t i = first, slice = 1u << 16;
	bool threads = w->mode == LAB_THREAD;

	while (i <= last) {
		uint64_t t0;

		if (threads) {
			atomic_fetch_add(&job->gil_waiting, 1);
			lab_lock(w, job->gil_lock);
			atomic_fetch_sub(&job->gil_waiting, 1);
			atomic_fetch_add(&job->gil_taken, 1);
		} else {
			pthread_mutex_lock(&process_gil);
		}
		lab_step(w, "compute holding the GIL");
		count_in(job);
		if (threads && job->last_holder != w->no) {
			job->handovers++;
			job->last_holder = w->no;
		}
		t0 = now_ns();
		do {
			uint64_t end = last - i < slice ? last : i + slice - 1;

			sum += lab_sum_squares(i, end - i + 1);
			i = end + 1;
			lab_progress(w, i - first, total_terms);
		} while (i <= last && now_ns() - t0 < job->switch_ns);
		count_out(job);
		if (!threads) {
			pthread_mutex_unlock(&process_gil);
			continue;
		}
		{
			unsigned long seen = atomic_load(&job->gil_taken);

			lab_unlock(w, job->gil_lock);
			/* Forced switching: while someone waits, let one of
			 * them take it before we try again. */
			while (i <= last && atomic_load(&job->gil_waiting) > 0 &&
			       atomic_load(&job->gil_taken) == seen)
				sched_yield();
		}
	}
	return sum;
}

/* CPU time of the calling thread: what it computed, not how long it
 * waited for a core, so a busy machine does not change it. */
static int64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
chunk_worker(struct lab_worker *w)
{
	struct job *job = w->arg;
	int k = w->no - job->first_no;
	struct chunk c = job->chunk[k];
	uint64_t terms = c.last >= c.first ? c.last - c.first + 1 : 0;
	lab_u128 sum = 0;

	int64_t cpu0 = thread_cpu_ns();

	lab_step_val(w, "start chunk", (int64_t)c.first);
	if (terms && job->gil) {
		sum = sum_under_gil(w, job, c.first, c.last, terms);
	} else if (terms) {
		/* DOC: square-sum: the loop the tutorials time
		 * (lab_sum_squares in src/lab/lab_math.h: really N
		 * multiplications, never folded into the closed form by the
		 * compiler).  Slices only to keep the board's progress bar
		 * moving. */
		uint64_t slice = 1u << 22;

		count_in(job);
		for (uint64_t i = c.first; i <= c.last;) {
			uint64_t end = c.last - i < slice ? c.last : i + slice - 1;

			lab_step(w, "compute");
			sum += lab_sum_squares(i, end - i + 1);
			i = end + 1;
			lab_progress(w, i - c.first, terms);
		}
		count_out(job);
	}
	atomic_fetch_add(&job->worker_cpu_ns, thread_cpu_ns() - cpu0);
	lab_step(w, "store partial sum");
	job->partial[k] = sum;
	atomic_fetch_add(&job->done->value, 1);
	lab_progress(w, terms, terms);
	return 0;
}

struct result {
	bool ran;
	int workers;
	int max_inside; /* the most workers computing at once */
	long handovers; /* threads+gil: times the GIL changed hands */
	double serial_cpu_ms, worker_cpu_ms; /* the main's part, the workers' */
	double ms;
	lab_u128 sum;
	double speedup;
};

/* Time one way of doing the whole sum.  With a serial fraction, the main
 * program first does the first F*N terms alone (the part that cannot be
 * parallelised), then the workers split the rest. */
static void
time_way(struct lab *lab, enum way way, struct job *job, int *next_no,
         uint64_t n, struct result *r)
{
	int w = way == WAY_SERIAL ? 1 : lab->o.workers;
	uint64_t serial_terms = way == WAY_SERIAL ? 0 :
	                        (uint64_t)(opt_serial_fraction * (double)n);
	enum lab_mode mode = way == WAY_PROCESSES ? LAB_PROCESS : LAB_THREAD;
	struct lab_team *team;
	uint64_t t0 = now_ns();
	lab_u128 sum = 0;

	int64_t cpu0 = thread_cpu_ns();

	if (serial_terms)
		sum = lab_sum_squares(1, serial_terms); /* DOC: serial-part */
	r->serial_cpu_ms = (double)(thread_cpu_ns() - cpu0) / 1e6;
	atomic_store(&job->worker_cpu_ns, 0);
	split(serial_terms + 1, n - serial_terms, w, job->chunk);
	job->nchunks = w;
	job->first_no = *next_no;
	job->gil = way == WAY_GIL || (way == WAY_PROCESSES && opt_gil);
	memset(job->partial, 0, (size_t)w * sizeof *job->partial);
	atomic_store(&job->inside, 0);
	atomic_store(&job->max_inside, 0);
	job->last_holder = 0;
	job->handovers = 0;
	/* DOC: starmap: start one worker per chunk, wait for all, add up. */
	team = lab_spawn_ex(lab, mode, *next_no, w, chunk_worker, job);
	if (lab_join(team) != LAB_JOIN_OK)
		lab_die(lab, "a %s worker failed", way_name[way]);
	for (int k = 0; k < w; k++)
		sum += job->partial[k];
	r->ran = true;
	r->workers = w;
	r->max_inside = atomic_load(&job->max_inside);
	r->handovers = job->handovers;
	r->worker_cpu_ms = (double)atomic_load(&job->worker_cpu_ns) / 1e6;
	r->ms = (double)(now_ns() - t0) / 1e6;
	r->sum = sum;
	*next_no += w;
	lab_team_free(team);
}

/* Amdahl: with a fraction F that only one core can do, p cores give at
 * most 1 / (F + (1 - F) / p).  p is what the machine really has: workers
 * beyond the core count only take turns. */
static double
amdahl(double f, int workers, int ncpu)
{
	int p = workers < ncpu ? workers : ncpu;

	return 1.0 / (f + (1.0 - f) / p);
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct job *job;
	int online;
	uint64_t n;
	lab_u128 expected;
	char buf[64], buf2[64];

	lab_init(&lab, &lesson, argc, argv);
	n = (uint64_t)opt_n;
	if (lab.o.workers > LAB_MAX_PROCESSES)
		lab_usage_error(&lab, "--workers: at most %d for this lesson",
		                LAB_MAX_PROCESSES);
	online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	expected = lab_sum_squares_closed(n);

	job = lab_shared_alloc(&lab, sizeof *job);
	job->chunk = lab_shared_alloc(&lab, (size_t)lab.o.workers * sizeof *job->chunk);
	job->partial = lab_shared_alloc(&lab, (size_t)lab.o.workers * sizeof *job->partial);
	job->switch_ns = (uint64_t)(opt_switch_ms * 1e6);
	job->gil_lock = lab_lock_new(&lab, "GIL", BOARD_LOCK_MUTEX);

	lab_say(&lab, "Sum of squares of 1..%llu in %d chunk%s\n", (unsigned long long)n,
	        lab.o.workers, lab.o.workers == 1 ? "" : "s");
	lab_say(&lab, "CPUs: %d usable by this process (sched_getaffinity), %d online (sysconf)\n",
	        lab.ncpu, online);
	if (opt_serial_fraction > 0)
		lab_say(&lab, "Serial part: the first %.0f%% of the terms are summed by the main program alone\n",
		        opt_serial_fraction * 100);

	for (int run = 1; run <= lab.o.runs; run++) {
		struct result res[WAY_COUNT] = { 0 };
		enum way ways[WAY_COUNT];
		int nways = 0, next_no = 1, wrong_ways = 0;
		bool all_ok = true;
		double predicted = amdahl(opt_serial_fraction, lab.o.workers, lab.ncpu);
		enum way par;

		/* The serial time is the yardstick every speedup divides. */
		ways[nways++] = WAY_SERIAL;
		if (opt_compare) {
			ways[nways++] = WAY_THREADS;
			ways[nways++] = WAY_GIL;
			ways[nways++] = WAY_PROCESSES;
		} else if (lab.o.mode == LAB_THREAD) {
			ways[nways++] = opt_gil ? WAY_GIL : WAY_THREADS;
		} else {
			ways[nways++] = WAY_PROCESSES;
		}
		par = ways[nways - 1];

		lab_run_begin(&lab, run);
		job->done = lab_counter(&lab, "chunks done", 0);
		lab_counter_expect(job->done, 0);
		lab_counter_kind(job->done, BOARD_COUNTER_COUNT);
		for (int i = 0; i < nways; i++) {
			struct result *r = &res[ways[i]];

			atomic_store(&job->done->value, 0);
			lab_counter_expect(job->done, ways[i] == WAY_SERIAL ? 1 : lab.o.workers);
			lab_counter_kind(job->done, BOARD_COUNTER_COUNT);
			time_way(&lab, ways[i], job, &next_no, n, r);
			if (ways[i] == WAY_SERIAL) {
				/* DOC: yardstick: every speedup divides the serial
				 * time, so one run slowed down by another program
				 * would inflate them all.  Take the faster of two. */
				struct result again;

				atomic_store(&job->done->value, 0);
				time_way(&lab, WAY_SERIAL, job, &next_no, n, &again);
				if (again.ms < r->ms)
					*r = again;
			}
			r->speedup = res[WAY_SERIAL].ms / r->ms;
			if (r->sum != expected) {
				all_ok = false;
				wrong_ways++;
			}
		}
		lab_run_end(&lab);

		if (lab.o.json) {
			struct lab_json j;
			char key[64];

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_int(&j, "n", (long long)n);
			lab_json_int(&j, "workers", lab.o.workers);
			lab_json_int(&j, "ncpu", lab.ncpu);
			lab_json_int(&j, "online_cpus", online);
			lab_json_num(&j, "serial_fraction", opt_serial_fraction);
			lab_json_str(&j, "expected", lab_u128_str(expected, buf, sizeof buf));
			lab_json_bool(&j, "correct", all_ok);
			lab_json_int(&j, "wrong_ways", wrong_ways);
			for (int i = 0; i < nways; i++) {
				struct result *r = &res[ways[i]];
				const char *k = ways[i] == WAY_GIL ? "gil" : way_name[ways[i]];

				snprintf(key, sizeof key, "%s_ms", k);
				lab_json_num(&j, key, r->ms);
				snprintf(key, sizeof key, "%s_speedup", k);
				lab_json_num(&j, key, r->speedup);
				snprintf(key, sizeof key, "%s_sum", k);
				lab_json_str(&j, key, lab_u128_str(r->sum, buf, sizeof buf));
				snprintf(key, sizeof key, "%s_max_inside", k);
				lab_json_int(&j, key, r->max_inside);
			}
			if (res[WAY_GIL].ran) {
				const struct board_lock *bl =
					&lab.board->lock[lab_lock_index(job->gil_lock)];

				lab_json_int(&j, "gil_acquisitions",
				             (long long)atomic_load(&bl->acquisitions));
				lab_json_int(&j, "gil_handovers", res[WAY_GIL].handovers);
				lab_json_num(&j, "switch_ms", opt_switch_ms);
			}
			lab_json_bool(&j, "process_gil", opt_gil && res[WAY_PROCESSES].ran);
			lab_json_str(&j, "parallel", par == WAY_GIL ? "gil" : way_name[par]);
			lab_json_num(&j, "ideal_speedup",
			             lab.o.workers < lab.ncpu ? lab.o.workers : lab.ncpu);
			lab_json_num(&j, "predicted_speedup", predicted);
			lab_json_num(&j, "measured_speedup", res[par].speedup);
			/* The serial part as a share of the CPU time the parallel
			 * way spent: about F whatever the load, since waiting for a
			 * core costs no CPU time. */
			{
				double all = res[par].serial_cpu_ms + res[par].worker_cpu_ms;

				lab_json_num(&j, "serial_cpu_share",
				             all > 0 ? res[par].serial_cpu_ms / all : 0);
			}
			lab_json_end(&j);
			continue;
		}
		printf("\n%-13s %7s %10s %8s  %s\n", "way", "workers", "time", "speedup",
		       "sum of squares");
		for (int i = 0; i < nways; i++) {
			struct result *r = &res[ways[i]];

			printf("%-13s %7d %7.0f ms %7.2fx  %s%s\n", way_label(ways[i]),
			       r->workers, r->ms, r->speedup, lab_u128_str(r->sum, buf, sizeof buf),
			       r->sum == expected ? "" : "  WRONG");
		}
		printf("Total sum of squares: %s (n(n+1)(2n+1)/6 = %s: %s)\n",
		       lab_u128_str(res[par].sum, buf, sizeof buf),
		       lab_u128_str(expected, buf2, sizeof buf2),
		       all_ok ? "correct" : "WRONG");
		printf("Cores usable: %d, so %d workers can go at most %dx as fast",
		       lab.ncpu, lab.o.workers,
		       lab.o.workers < lab.ncpu ? lab.o.workers : lab.ncpu);
		if (opt_serial_fraction > 0)
			printf(";\nAmdahl with a serial fraction of %.2f: predicted %.2fx, measured %.2fx (%s)\n",
			       opt_serial_fraction, predicted, res[par].speedup, way_label(par));
		else
			printf(" (measured %.2fx with %s)\n", res[par].speedup, way_label(par));
		fflush(stdout);
	}
	return 0;
}
