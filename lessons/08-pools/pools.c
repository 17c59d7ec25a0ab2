// Lesson 08: a worker pool fed by a task queue.
//
// concurrent.futures.ProcessPoolExecutor and multiprocessing.Pool, in C.
// A fixed set of workers (processes or threads, started once) takes tasks
// from a queue in shared memory, runs them, and posts each result with its
// completion rank.  The lesson's main thread is the executor: it submits
// tasks and collects results, either in completion order (as_completed) or
// in submission order (map).  Parts, as in the tutorials:
//   submit        one task, wait for its result (f.result())
//   as_completed  sleeps of 5,4,3,2,1 units, results as they finish
//   map           the same sleeps, results in the order submitted
//   squares       map(square, [1..6])
//   hash          SHA-256 of several files in parallel (libcrypto), checked
//                 against a serial run
// and the rest of Pool's interface (named with --demo, not in all):
//   starmap       tasks of several arguments: sum_of_squares(start, end)
//   chunksize     4000 tiny tasks, one hand-off each or in chunks, against
//                 a plain loop
//   bigtasks      8 big tasks: the pool against a plain loop
//   apply_async   results handed to a callback, in the lesson's own
//                 result-handler thread
//   timeout       result(timeout) on a task that takes longer
//   exception     a task that fails: the error comes back from result()
//   terminate     `with Pool()` ends with terminate(): a running task killed
#include "lab/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *demo = "all";
static double unit = 0.2;
static const char *files;
static int nfiles = 8;
static int file_mb = 16;

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo,
	  "submit|as_completed|map|imap|squares|hash|starmap|chunksize|bigtasks|"
	  "apply_async|timeout|exception|terminate|all",
	  "which part to run (default all: submit, as_completed, map, squares "
	  "and hash)", 0, 0 },
	{ "unit", LAB_OPT_DOUBLE, &unit, "S",
	  "seconds per unit of the tutorial's sleeps 5,4,3,2,1 (default 0.2)", 0,
	  10 },
	{ "files", LAB_OPT_STRING, &files, "F1,F2,...",
	  "hash part: hash these files instead of generated ones (at most 32)", 0,
	  0 },
	{ "nfiles", LAB_OPT_INT, &nfiles, "N",
	  "hash part: how many files to generate (default 8)", 1, 32 },
	{ "file-mb", LAB_OPT_INT, &file_mb, "MB",
	  "hash part: size of each generated file in MiB (default 16)", 1, 256 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "pools",
	.title = "Pools: submit, as_completed, map, and hashing files in parallel",
	.about = "A pool of --workers workers takes tasks from a queue.  Without --workers\n"
	         "the pool has one worker per usable core, like ProcessPoolExecutor().",
	.workers = 0, /* one per usable core, as ProcessPoolExecutor() */
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

#define MAX_TASKS 8192
#define MAX_ITEMS 4000   /* the chunksize part's inputs */
#define MAX_FILES 32
#define DIGEST_LEN 32
#define HASH_ROUNDS 2 /* the hash part is timed this many times, best kept */

enum task_kind {
	TASK_SLEEP, TASK_SQUARE, TASK_HASH,
	TASK_SUMSQ, /* sum of i*i for n <= i < n2 (starmap, big tasks) */
	TASK_CHUNK, /* out[i] = item[i]^2 for n <= i < n + n2 (map's chunks) */
	TASK_READ,  /* read pool->read_path, as open(path).read(): may fail */
};

struct task {
	/* Written by the executor before the task is queued: */
	enum task_kind kind;
	double seconds;  /* TASK_SLEEP */
	long n;          /* TASK_SQUARE: the number; TASK_SLEEP: units */
	long n2;         /* TASK_SUMSQ: end; TASK_CHUNK: count */
	int file;        /* TASK_HASH: index into the file list */
	/* Written by the worker that ran it, before it is marked done: */
	long value;
	int err;         /* errno of a task that failed, else 0 */
	char msg[192];   /* and its message: what Python's exception carries */
	unsigned char digest[DIGEST_LEN];
	int worker;
	pid_t pid, tid;
	uint64_t t_start, t_end;
	bool ok;
	/* Under pool.mu: */
	bool taken, done;
};

/* DOC: task-queue
 * The queue and the results, in shared memory so process workers see it.
 * One process-shared mutex guards the counters; two condition variables
 * say "there is work" (to the workers) and "a task is done" (to the
 * executor).  Tasks are taken in submission order: next is the first task
 * not yet taken.  order[] lists task ids in the order they finished: the
 * executor's as_completed reads it, map ignores it. */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	/* pool.mu must be held when using these: */
	int submitted;     /* tasks queued so far */
	int next;          /* the next task a worker will take */
	int ndone;
	int order[MAX_TASKS];
	bool closing;      /* no more tasks: workers exit when the queue is empty */
	long handoffs;     /* tasks taken from the queue, all runs */

	struct task task[MAX_TASKS];
	char path[MAX_FILES][512];
	char dir[64];      /* generated files live here, removed at the end */
	char read_path[128];           /* TASK_READ's file */
	long item[MAX_ITEMS], out[MAX_ITEMS]; /* TASK_CHUNK's data */
	_Atomic int64_t *done_ctr, *queued_ctr;
};

static struct pool *pool;

/* ---- The tasks ------------------------------------------------------- */

/* SHA-256 of a file with OpenSSL's EVP interface: -1 on a read error. */
static int
sha256_file(const char *path, unsigned char out[DIGEST_LEN],
            struct lab_worker *w)
{
	static _Thread_local unsigned char buf[1 << 16];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t done = 0, total = 0;
	struct stat st;
	ssize_t k;
	int rc = -1;

	if (!ctx || fd < 0)
		goto out;
	if (fstat(fd, &st) == 0)
		total = (uint64_t)st.st_size;
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((k = read(fd, buf, sizeof buf)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 || !EVP_DigestUpdate(ctx, buf, (size_t)k))
			goto out;
		done += (uint64_t)k;
		if (w && (done & ((1u << 20) - 1)) == 0)
			lab_progress(w, done, total);
	}
	rc = EVP_DigestFinal_ex(ctx, out, NULL) ? 0 : -1;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return rc;
}

static void
hex(const unsigned char *d, char *out)
{
	for (int i = 0; i < DIGEST_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* DOC: starmap-task
 *     def calculate_sum_of_squares(start, end):
 *         return sum(i * i for i in range(start, end))
 * Unsigned, so that a big range wraps the same way in every worker and
 * in the loop that checks them.  Not inlined: the loop and the pool
 * must run the same machine code for the comparison to mean anything. */
__attribute__((noinline)) /* one code for the pool and the loop */
static unsigned long
sum_of_squares(long start, long end)
{
	unsigned long sum = 0;

	for (long i = start; i < end; i++)
		sum += (unsigned long)i * (unsigned long)i;
	return sum;
}

/* DOC: raise
 *     def read(path): return len(open(path, "rb").read())
 * A task that can fail.  C has no exceptions: the worker catches the
 * failure (errno) and posts it with the result, as Python's pool worker
 * catches the exception and sends it back pickled; result() hands it to
 * the caller. */
static void
read_file(struct task *t)
{
	char buf[4096];
	ssize_t k;
	int fd = open(pool->read_path, O_RDONLY | O_CLOEXEC);

	t->value = 0;
	if (fd < 0) {
		t->err = errno;
		t->ok = false;
		snprintf(t->msg, sizeof t->msg, "[Errno %d] %s: '%s'", t->err,
		         strerror(t->err), pool->read_path);
		return;
	}
	while ((k = read(fd, buf, sizeof buf)) > 0)
		t->value += k;
	close(fd);
}

/*     def do_something(sec):
 *         print(f"Process with ID: {os.getpid()} Sleeping {sec} Second(s)...")
 *         time.sleep(sec)
 *         return f"Process with ID: {os.getpid()} Done Sleeping {sec} Second(s)..!" */
static void
run_task(struct lab_worker *w, struct task *t)
{
	t->ok = true;
	switch (t->kind) {
	case TASK_SLEEP:
		lab_step_val(w, "do_something: sleep units", t->n);
		lab_say(w->lab, "worker %d (pid %d): sleeping %ld unit%s (%.2f s)...\n",
		        w->no, (int)getpid(), t->n, t->n == 1 ? "" : "s", t->seconds);
		lab_sleep(w, t->seconds);
		t->value = t->n;
		break;
	case TASK_SQUARE:
		lab_step_val(w, "square", t->n);
		t->value = t->n * t->n;
		break;
	case TASK_HASH:
		lab_step_val(w, "sha256 file", t->file + 1);
		t->ok = sha256_file(pool->path[t->file], t->digest, w) == 0;
		break;
	case TASK_SUMSQ:
		lab_step_val(w, "sum_of_squares", t->n);
		t->value = (long)sum_of_squares(t->n, t->n2);
		break;
	case TASK_CHUNK:
		lab_step_val(w, "square a chunk", t->n);
		for (long i = t->n; i < t->n + t->n2; i++)
			pool->out[i] = pool->item[i] * pool->item[i];
		break;
	case TASK_READ:
		lab_step(w, "read a file");
		read_file(t);
		break;
	}
}

/* DOC: pool-worker
 * A pool worker lives for the whole pool, not for one task: it takes the
 * next task, runs it, posts the result, and takes another, until the pool
 * closes.  Its PID stays the same from task to task, which is what makes a
 * pool cheaper than a process per task. */
static int
pool_worker(struct lab_worker *w)
{
	char name[BOARD_NAME_LEN];

	snprintf(name, sizeof name, "pool worker %d", w->no);
	lab_set_name(w, name);
	for (;;) {
		struct task *t;
		int id;

		/* The probe comes before the lock: a worker parked at its
		 * step gate must not hold the queue. */
		lab_step(w, "take a task");
		pthread_mutex_lock(&pool->mu);
		while (pool->next == pool->submitted && !pool->closing) {
			lab_set_state(w, BOARD_ST_BLOCKED);
			pthread_cond_wait(&pool->work, &pool->mu);
		}
		if (pool->next == pool->submitted) { /* closing, queue empty */
			pthread_mutex_unlock(&pool->mu);
			break;
		}
		id = pool->next++;
		pool->task[id].taken = true;
		pool->handoffs++;
		lab_counter_store(pool->queued_ctr, pool->submitted - pool->next);
		pthread_mutex_unlock(&pool->mu);
		lab_set_state(w, BOARD_ST_RUNNING);

		t = &pool->task[id];
		t->worker = w->no;
		t->pid = getpid();
		t->tid = gettid();
		t->t_start = board_now_ns();
		run_task(w, t);

		/* Post the result.  The unlock publishes the task's fields
		 * to whoever locks mu next: the executor reads them only
		 * after it has seen done under the same mutex. */
		pthread_mutex_lock(&pool->mu);
		t->t_end = board_now_ns();
		t->done = true;
		pool->order[pool->ndone++] = id;
		atomic_fetch_add(pool->done_ctr, 1);
		pthread_cond_broadcast(&pool->done);
		pthread_mutex_unlock(&pool->mu);
	}
	return 0;
}

/* ---- The executor ------------------------------------------------------ */

/* executor.submit(): queue a task, return its id (the "future"). */
static int
submit(struct lab *lab, const struct task *proto)
{
	int id;

	pthread_mutex_lock(&pool->mu);
	if (pool->submitted == MAX_TASKS)
		lab_die(lab, "too many tasks (at most %d)", MAX_TASKS);
	id = pool->submitted;
	pool->task[id] = *proto;
	pool->task[id].done = pool->task[id].taken = false;
	pool->submitted++;
	lab_counter_store(pool->queued_ctr, pool->submitted - pool->next);
	pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->mu);
	return id;
}

/* future.result(): wait until task id is done. */
static struct task *
result(int id)
{
	pthread_mutex_lock(&pool->mu);
	while (!pool->task[id].done)
		pthread_cond_wait(&pool->done, &pool->mu);
	pthread_mutex_unlock(&pool->mu);
	return &pool->task[id];
}

/* DOC: result-timeout
 * future.result(timeout) / AsyncResult.get(timeout): wait at most seconds.
 * NULL when the time is up; nothing stops the task, which runs on.
 * *running says whether a worker had taken it by then. */
static struct task *
result_timeout(int id, double seconds, bool *running)
{
	struct timespec ts;
	bool done;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* the condvars' clock */
	ts.tv_sec += (time_t)seconds;
	ts.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pool->mu);
	while (!pool->task[id].done &&
	       pthread_cond_timedwait(&pool->done, &pool->mu, &ts) != ETIMEDOUT)
		;
	done = pool->task[id].done;
	*running = pool->task[id].taken && !done;
	pthread_mutex_unlock(&pool->mu);
	return done ? &pool->task[id] : NULL;
}

/* as_completed(): the k-th task of the batch [first, first + n) to finish.
 * Since tasks finish in one global order and a batch is collected before
 * the next one is submitted, the k-th completion after `base` is ours. */
static struct task *
completed(int base, int k)
{
	int id;

	pthread_mutex_lock(&pool->mu);
	while (pool->ndone <= base + k)
		pthread_cond_wait(&pool->done, &pool->mu);
	id = pool->order[base + k];
	pthread_mutex_unlock(&pool->mu);
	return &pool->task[id];
}

static int
ndone(void)
{
	int n;

	pthread_mutex_lock(&pool->mu);
	n = pool->ndone;
	pthread_mutex_unlock(&pool->mu);
	return n;
}

/* The queue's lock and condition variables; again after terminate(),
 * whose killed workers may have left them in any state. */
static void
pool_sync_init(void)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&pool->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* result(timeout) */
	pthread_cond_init(&pool->work, &ca);
	pthread_cond_init(&pool->done, &ca);
	pthread_condattr_destroy(&ca);
}

static void
pool_init(struct lab *lab)
{
	pool = lab_shared_alloc(lab, sizeof *pool);
	pool_sync_init();
}

/* with ProcessPoolExecutor() as executor: ... ends here: no more tasks;
 * the workers finish the queue and exit; we join them. */
static void
pool_shutdown(struct lab_team *team)
{
	pthread_mutex_lock(&pool->mu);
	pool->closing = true;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->mu);
	if (lab_join(team) != LAB_JOIN_OK)
		lab_die(team->lab, "a pool worker failed");
}

static double
ms_since(uint64_t t0)
{
	return (double)(board_now_ns() - t0) / 1e6;
}

/* ---- Files for the hash part ------------------------------------------ */

/* DOC: cleanup: generated files and their directory go at the end of the
 * run; the directory comes from lab_tmpdir(), whose helper process removes
 * it whatever ends the lesson (SIGKILL included, when no handler runs). */
static void
remove_files(struct lab *lab)
{
	if (!pool || !pool->dir[0])
		return;
	lab_tmpdir_remove(lab, pool->dir);
	pool->dir[0] = '\0';
}

/* Files of pseudo-random bytes (xorshift, a seed per file): the content
 * does not matter, only that each file differs and takes time to hash. */
static int
make_files(struct lab *lab)
{
	size_t chunk = 1 << 16;
	uint64_t *buf = malloc(chunk);

	if (!buf)
		lab_die(lab, "out of memory");
	lab_tmpdir(lab, "pools", pool->dir, sizeof pool->dir);
	for (int i = 0; i < nfiles; i++) {
		uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		int fd;

		snprintf(pool->path[i], sizeof pool->path[i], "%s/file%d.bin",
		         pool->dir, i + 1);
		fd = open(pool->path[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			lab_die(lab, "create %s:", pool->path[i]);
		for (long done = 0; done < (long)file_mb << 20; done += (long)chunk) {
			for (size_t k = 0; k < chunk / 8; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				buf[k] = x;
			}
			if (write(fd, buf, chunk) != (ssize_t)chunk)
				lab_die(lab, "write %s:", pool->path[i]);
		}
		/* On disk now, so the kernel's write-back does not compete
		 * with the hashing we are about to time. */
		fdatasync(fd);
		close(fd);
	}
	free(buf);
	return nfiles;
}

static int
given_files(struct lab *lab)
{
	int n = 0;

	for (const char *p = files; *p;) {
		size_t len = strcspn(p, ",");

		if (n == MAX_FILES)
			lab_usage_error(lab, "--files: at most %d files", MAX_FILES);
		if (len == 0 || len >= sizeof pool->path[0])
			lab_usage_error(lab, "--files: '%s' is not a list of files", files);
		memcpy(pool->path[n], p, len);
		pool->path[n][len] = '\0';
		if (access(pool->path[n], R_OK) < 0)
			lab_usage_error(lab, "--files: %s: %s", pool->path[n],
			                strerror(errno));
		n++;
		p += len;
		if (*p == ',')
			p++;
	}
	if (n == 0)
		lab_usage_error(lab, "--files: no files given");
	return n;
}

/* The known answer: SHA-256("abc") from FIPS 180-2. */
static bool
sha256_abc_ok(void)
{
	static const char want[] =
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	unsigned char d[DIGEST_LEN];
	unsigned int len = 0;
	char got[2 * DIGEST_LEN + 1];

	if (!EVP_Digest("abc", 3, d, &len, EVP_sha256(), NULL) || len != DIGEST_LEN)
		return false;
	hex(d, got);
	return strcmp(got, want) == 0;
}

/* ---- The lesson ------------------------------------------------------- */

struct sleeps {
	long units[5];
	long got[5];        /* task units in the order results came back */
	double finish_ms[5]; /* when each of those finished, from submit */
	double seen_ms[5];   /* when the executor handed it back, from submit */
	double total_ms;
};

static const long tutorial_seconds[5] = { 5, 4, 3, 2, 1 };
static const long rising_seconds[5] = { 1, 2, 3, 4, 5 };

static void
submit_units(struct lab *lab, const long units[5], int ids[5])
{
	for (int i = 0; i < 5; i++) {
		struct task t = { .kind = TASK_SLEEP, .n = units[i],
		                  .seconds = (double)units[i] * unit };

		ids[i] = submit(lab, &t);
	}
}

static void
submit_sleeps(struct lab *lab, int ids[5])
{
	submit_units(lab, tutorial_seconds, ids);
}

/* One result as the executor hands it back: when that happened, and when
 * the task itself had finished (the two differ when a result waits behind
 * an earlier one, as with map). */
static void
print_sleep_result(struct lab *lab, const struct task *t, uint64_t t0)
{
	lab_say(lab, "  %.2f s: got the result of %ld unit%s (worker %d, pid %d, "
	        "done at %.2f s)\n", (double)(board_now_ns() - t0) / 1e9, t->n,
	        t->n == 1 ? "" : "s", t->worker, (int)t->pid,
	        (double)(t->t_end - t0) / 1e9);
}

/* DOC: as-completed
 *     results = [executor.submit(do_something, sec) for sec in seconds]
 *     for f in concurrent.futures.as_completed(results):
 *         print(f.result())
 * Results come back as tasks finish, whoever started first. */
static void
part_as_completed(struct lab *lab, struct sleeps *s)
{
	int ids[5], base = ndone();
	uint64_t t0 = board_now_ns();

	lab_say(lab, "\nas_completed: sleeps of 5,4,3,2,1 units (1 unit = %g s)\n",
	        unit);
	submit_sleeps(lab, ids);
	for (int k = 0; k < 5; k++) {
		struct task *t = completed(base, k);

		s->got[k] = t->n;
		s->finish_ms[k] = (double)(t->t_end - t0) / 1e6;
		s->seen_ms[k] = ms_since(t0);
		print_sleep_result(lab, t, t0);
	}
	s->total_ms = ms_since(t0);
}

/* DOC: map
 *     results = executor.map(do_something, seconds)
 *     for result in results: print(result)
 * Results come back in the order the tasks were submitted: a short task
 * that finished early waits behind a long one submitted before it. */
static void
part_map(struct lab *lab, struct sleeps *s)
{
	int ids[5];
	uint64_t t0 = board_now_ns();

	lab_say(lab, "\nmap: the same sleeps, results in submission order\n");
	submit_sleeps(lab, ids);
	for (int k = 0; k < 5; k++) {
		struct task *t = result(ids[k]);

		s->got[k] = t->n;
		s->finish_ms[k] = (double)(t->t_end - t0) / 1e6;
		s->seen_ms[k] = ms_since(t0);
		print_sleep_result(lab, t, t0);
	}
	s->total_ms = ms_since(t0);
}

/* DOC: imap
 *     for r in pool.imap(do_something, [1, 2, 3, 4, 5]): print(r)
 *     print(pool.map(do_something, [1, 2, 3, 4, 5]))
 * Both give the results in submission order.  imap is an iterator: it
 * hands over each result as soon as it and those before it are done,
 * while later tasks still run.  Pool.map builds the whole list first:
 * nothing comes back until the last task is done.  (apply_async(f, args)
 * with .get() is submit() and result() of one task, as in the submit
 * part.)  Sleeps rising 1..5 units, so that early results exist. */
struct imap_out {
	long imap_got[5], map_got[5];
	double imap_seen_ms[5], map_seen_ms[5];
};

static void
part_imap(struct lab *lab, struct imap_out *o)
{
	int ids[5];
	uint64_t t0 = board_now_ns();
	double all_ms;

	lab_say(lab, "\nimap: sleeps of 1,2,3,4,5 units, each result taken as soon "
	        "as it is ready\n");
	submit_units(lab, rising_seconds, ids);
	for (int k = 0; k < 5; k++) {
		struct task *t = result(ids[k]);

		o->imap_got[k] = t->n;
		o->imap_seen_ms[k] = ms_since(t0);
		lab_say(lab, "  %.2f s: got the result of %ld unit%s\n",
		        o->imap_seen_ms[k] / 1e3, t->n, t->n == 1 ? "" : "s");
	}
	lab_say(lab, "Pool.map: the same sleeps, the whole list at the end\n");
	t0 = board_now_ns();
	submit_units(lab, rising_seconds, ids);
	for (int k = 0; k < 5; k++)
		o->map_got[k] = result(ids[k])->n;
	all_ms = ms_since(t0);
	for (int k = 0; k < 5; k++) {
		o->map_seen_ms[k] = all_ms;
		lab_say(lab, "  %.2f s: got the result of %ld unit%s\n",
		        all_ms / 1e3, o->map_got[k], o->map_got[k] == 1 ? "" : "s");
	}
}

/* The 1-minute load average: how busy the machine was around the test. */
static double
loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

struct hash_out {
	int n;
	double load;
	long long bytes;
	double par_ms, ser_ms;
	bool equal;
	int differing; /* files whose pool digest is not the serial one */
	char digests[MAX_FILES * (2 * DIGEST_LEN + 1) + 1];
	int workers_used;
};

/* DOC: hash
 * The tutorials' real-world task: hash files in parallel.  Each file is one
 * task; a worker reads it and feeds it to SHA-256 (OpenSSL's EVP API).  The
 * same files are then hashed one after the other in the lesson's own
 * thread: the digests must be identical, and the times compared.  (Only
 * the last round's workers are listed: each round is a new set of tasks.) */
static void
part_hash(struct lab *lab, struct hash_out *h, int ngiven)
{
	int ids[MAX_FILES];
	bool used[BOARD_MAX_WORKERS + 1] = { false };
	uint64_t t0;
	size_t k = 0;

	h->n = ngiven ? ngiven : make_files(lab);
	h->bytes = 0;
	for (int i = 0; i < h->n; i++) {
		struct stat st;

		if (stat(pool->path[i], &st) == 0)
			h->bytes += st.st_size;
	}
	lab_say(lab, "\nhash: SHA-256 of %d file%s, %.1f MiB in all\n", h->n,
	        h->n == 1 ? "" : "s", (double)h->bytes / (1 << 20));
	/* Pool, then serial, twice; the best time of each counts, so that
	 * a burst of other work on the machine hurts neither side alone. */
	h->equal = true;
	h->par_ms = h->ser_ms = 1e300;
	for (int round = 0; round < HASH_ROUNDS; round++) {
		double ms;

		t0 = board_now_ns();
		for (int i = 0; i < h->n; i++) {
			struct task t = { .kind = TASK_HASH, .file = i };

			ids[i] = submit(lab, &t);
		}
		for (int i = 0; i < h->n; i++)
			if (!result(ids[i])->ok)
				lab_die(lab, "cannot hash %s", pool->path[i]);
		ms = ms_since(t0);
		if (ms < h->par_ms)
			h->par_ms = ms;

		t0 = board_now_ns();
		for (int i = 0; i < h->n; i++) {
			unsigned char d[DIGEST_LEN];

			if (sha256_file(pool->path[i], d, NULL) < 0)
				lab_die(lab, "cannot hash %s:", pool->path[i]);
			if (memcmp(d, pool->task[ids[i]].digest, DIGEST_LEN) != 0) {
				h->equal = false;
				h->differing++;
			}
		}
		ms = ms_since(t0);
		if (ms < h->ser_ms)
			h->ser_ms = ms;
	}
	h->digests[0] = '\0';
	for (int i = 0; i < h->n; i++) {
		struct task *t = &pool->task[ids[i]];
		char x[2 * DIGEST_LEN + 1];

		hex(t->digest, x);
		k += (size_t)snprintf(h->digests + k, sizeof h->digests - k, "%s%s",
		                      i ? "," : "", x);
		used[t->worker] = true;
		lab_say(lab, "  %s  %s  (worker %d)\n", x,
		        strrchr(pool->path[i], '/') ? strrchr(pool->path[i], '/') + 1
		                                    : pool->path[i], t->worker);
	}
	h->load = loadavg();
	h->workers_used = 0;
	for (int i = 0; i <= BOARD_MAX_WORKERS; i++)
		h->workers_used += used[i];
	remove_files(lab);
}

/* The lesson's main thread sleeps (not a worker: no board state). */
static void
nap(double seconds)
{
	struct timespec ts = { (time_t)seconds,
	                       (long)((seconds - (double)(time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- The rest of Pool ------------------------------------------------- */

static void
wait_all(const int *ids, int n)
{
	for (int i = 0; i < n; i++)
		result(ids[i]);
}

#define STARMAP_N 1000000L
#define STARMAP_CHUNKS 4
struct starmap_out {
	long results[STARMAP_CHUNKS];
	long total, expected;
};

/* DOC: starmap
 *     chunks = [(0, 250000), (250000, 500000), ...]
 *     results = pool.starmap(calculate_sum_of_squares, chunks)
 * Each task has two arguments; the results come back in the order of the
 * chunks, and their sum is the sum of squares below N. */
static void
part_starmap(struct lab *lab, struct starmap_out *o)
{
	int ids[STARMAP_CHUNKS];
	long step = STARMAP_N / STARMAP_CHUNKS;
	__int128 n = STARMAP_N;

	lab_say(lab, "\nstarmap(sum_of_squares, [(start, end), ...])\n"
	        "%d chunks of %ld:\n", STARMAP_CHUNKS, step);
	for (int i = 0; i < STARMAP_CHUNKS; i++) {
		struct task t = { .kind = TASK_SUMSQ, .n = i * step,
		                  .n2 = i == STARMAP_CHUNKS - 1 ? STARMAP_N
		                                                : (i + 1) * step };

		ids[i] = submit(lab, &t);
	}
	o->total = 0;
	for (int i = 0; i < STARMAP_CHUNKS; i++) {
		struct task *t = result(ids[i]);

		o->results[i] = t->value;
		o->total += t->value;
		lab_say(lab, "  (%ld, %ld) -> %ld (w%d)\n", t->n, t->n2, t->value,
		        t->worker);
	}
	/* 0^2 + ... + (N-1)^2 = (N-1) N (2N-1) / 6 */
	o->expected = (long)((n - 1) * n * (2 * n - 1) / 6);
	lab_result(lab, "  total       %ld\n  closed form %ld: %s\n", o->total,
	           o->expected, o->total == o->expected ? "equal" : "DIFFERENT");
}

#define NCHUNKSIZES 4
#define CHUNK_ROUNDS 3 /* each chunksize timed this many times, best kept */
struct chunk_out {
	int items;
	double loop_ms;
	int size[NCHUNKSIZES];
	double ms[NCHUNKSIZES];
	long handoffs[NCHUNKSIZES];
	bool ok;
};

static long
handoffs_now(void)
{
	long h;

	pthread_mutex_lock(&pool->mu);
	h = pool->handoffs;
	pthread_mutex_unlock(&pool->mu);
	return h;
}

/* DOC: chunksize
 *     pool.map(square, items, chunksize=c)
 * Every task is a hand-off: the executor queues it, a worker wakes, takes
 * it, posts the result, the executor wakes.  For a task as small as a
 * square that costs far more than the task, and a plain loop wins.  With
 * chunksize c, one hand-off carries c items.  Python's default for map
 * is len(items) / (4 * workers), rounded up (Lib/multiprocessing/pool.py,
 * _map_async, 3.11). */
static void
part_chunksize(struct lab *lab, struct chunk_out *o)
{
	static int ids[MAX_ITEMS];
	static long want[MAX_ITEMS];
	int n = MAX_ITEMS, per = 4 * lab->o.workers;
	uint64_t t0;

	o->items = n;
	o->size[0] = 1;
	o->size[1] = 10;
	o->size[2] = 100;
	o->size[3] = n / per + (n % per != 0); /* Python's default */
	for (int i = 0; i < n; i++)
		pool->item[i] = i + 1;
	lab_say(lab, "\nmap(square, %d items): a plain loop, then the pool\n"
	        "with chunks of 1, 10, 100 and %d (best of %d)\n", n, o->size[3],
	        CHUNK_ROUNDS);
	/* The loop: the same work, in the lesson, with no hand-off at all.
	 * Best of 3: it is short enough for one interruption to matter. */
	o->loop_ms = 1e300;
	for (int r = 0; r < 3; r++) {
		t0 = board_now_ns();
		for (int i = 0; i < n; i++)
			want[i] = pool->item[i] * pool->item[i];
		__asm__ volatile("" : : "r"(want) : "memory"); /* keep the loop */
		if (ms_since(t0) < o->loop_ms)
			o->loop_ms = ms_since(t0);
	}
	o->ok = true;
	lab_result(lab, "  %-15s %8.3f ms\n", "plain loop", o->loop_ms);
	for (int c = 0; c < NCHUNKSIZES; c++) {
		o->ms[c] = 1e300;
		for (int r = 0; r < CHUNK_ROUNDS; r++) {
			int k = 0, base;
			long h0 = handoffs_now();

			memset(pool->out, 0, sizeof pool->out);
			pthread_mutex_lock(&pool->mu);
			base = pool->submitted;
			pthread_mutex_unlock(&pool->mu);
			t0 = board_now_ns();
			for (int i = 0; i < n; i += o->size[c]) {
				struct task t = { .kind = TASK_CHUNK, .n = i,
				                  .n2 = i + o->size[c] <= n ? o->size[c]
				                                            : n - i };

				ids[k++] = submit(lab, &t);
			}
			wait_all(ids, k);
			if (ms_since(t0) < o->ms[c])
				o->ms[c] = ms_since(t0);
			o->handoffs[c] = handoffs_now() - h0;
			for (int i = 0; i < n; i++)
				o->ok = o->ok && pool->out[i] == want[i];
			/* All done and the workers idle: the table's slots of
			 * this round can be used again, except the last round's,
			 * which the run's record lists. */
			if (r < CHUNK_ROUNDS - 1) {
				pthread_mutex_lock(&pool->mu);
				pool->submitted = pool->next = pool->ndone = base;
				pthread_mutex_unlock(&pool->mu);
			}
		}
		lab_result(lab, "  chunksize %-5d %8.3f ms %5ld hand-offs\n",
		           o->size[c], o->ms[c], o->handoffs[c]);
	}
	lab_result(lab, "  (%d: Python's default for %d workers)\n  results %s the "
	           "loop's\n", o->size[NCHUNKSIZES - 1], lab->o.workers,
	           o->ok ? "equal to" : "DIFFERENT FROM");
}

#define BIG_TASKS 8
#define BIG_N 40000000L
struct big_out {
	double loop_ms, pool_ms;
	bool equal;
};

/* DOC: bigtasks
 * The other side: 8 tasks that each compute for a while (a sum of 40M
 * squares).  Now the hand-offs are nothing next to the work, and the
 * pool's workers compute at the same time, on as many cores as there are. */
static void
part_bigtasks(struct lab *lab, struct big_out *o)
{
	int ids[BIG_TASKS];
	unsigned long loop[BIG_TASKS];
	uint64_t t0;

	lab_say(lab, "\n%d big tasks (each a sum of %ld squares): the pool, then "
	        "a plain loop,\ntwice; the best time of each\n", BIG_TASKS, BIG_N);
	/* Twice each, alternating, the best kept, as in the hash part: a
	 * burst of other work (or a slow first start of the CPU) then hurts
	 * neither side alone. */
	o->loop_ms = o->pool_ms = 1e300;
	for (int round = 0; round < 2; round++) {
		double ms;

		t0 = board_now_ns();
		for (int i = 0; i < BIG_TASKS; i++) {
			struct task t = { .kind = TASK_SUMSQ, .n = i * BIG_N,
			                  .n2 = (i + 1) * BIG_N };

			ids[i] = submit(lab, &t);
		}
		wait_all(ids, BIG_TASKS);
		ms = ms_since(t0);
		if (ms < o->pool_ms)
			o->pool_ms = ms;
		t0 = board_now_ns();
		for (int i = 0; i < BIG_TASKS; i++)
			loop[i] = sum_of_squares(i * BIG_N, (i + 1) * BIG_N);
		ms = ms_since(t0);
		if (ms < o->loop_ms)
			o->loop_ms = ms;
	}
	o->equal = true;
	for (int i = 0; i < BIG_TASKS; i++)
		o->equal = o->equal && (unsigned long)pool->task[ids[i]].value == loop[i];
	lab_result(lab, "  plain loop %8.1f ms\n  pool of %-3d %8.1f ms: %.2fx, "
	           "results %s\n  (load average %.1f on %d core%s)\n", o->loop_ms,
	           lab->o.workers, o->pool_ms, o->loop_ms / o->pool_ms,
	           o->equal ? "equal" : "DIFFERENT", loadavg(), lab->ncpu,
	           lab->ncpu == 1 ? "" : "s");
}

typedef void (*pool_callback)(struct task *t);
static pool_callback callback[MAX_TASKS];
static pthread_t handler;
static bool handler_stop; /* under pool.mu */

/* DOC: apply-async
 *     pool.apply_async(square, (x,), callback=collect)
 * Python runs the callback in the pool's result-handler thread, in the
 * parent (Pool._handle_results, Lib/multiprocessing/pool.py, 3.11): not
 * in the worker, and not in the thread that called apply_async.  Here
 * the same: a thread of the lesson takes each finished task and calls
 * its callback.  The callbacks live in the lesson's own memory: a
 * function pointer means nothing in another process (lesson 06). */
static void *
handle_results(void *arg)
{
	int handled = *(int *)arg;

	pthread_mutex_lock(&pool->mu);
	for (;;) {
		int id;

		while (handled == pool->ndone && !handler_stop)
			pthread_cond_wait(&pool->done, &pool->mu);
		if (handled == pool->ndone)
			break; /* stopping, and nothing left to hand over */
		id = pool->order[handled++];
		if (callback[id]) {
			pthread_mutex_unlock(&pool->mu);
			callback[id](&pool->task[id]);
			pthread_mutex_lock(&pool->mu);
		}
	}
	pthread_mutex_unlock(&pool->mu);
	return NULL;
}

#define ASYNC_TASKS 4
struct async_out {
	long got[ASYNC_TASKS]; /* results in the order the callback saw them */
	int ncalls;
	pid_t cb_pid, cb_tid, main_tid, worker_pid;
};
static struct async_out *async_out;

static void
collect(struct task *t)
{
	struct async_out *o = async_out;

	o->cb_pid = getpid();
	o->cb_tid = gettid();
	o->worker_pid = t->pid;
	o->got[o->ncalls++] = t->value; /* one handler thread: no race */
}

static void
part_apply_async(struct lab *lab, struct async_out *o)
{
	int ids[ASYNC_TASKS], base;

	async_out = o;
	o->main_tid = gettid();
	handler_stop = false;
	base = ndone();
	if (pthread_create(&handler, NULL, handle_results, &base) != 0)
		lab_die(lab, "cannot start the result handler");
	lab_say(lab, "\napply_async(square, (x,), callback=collect) for x = 1..%d\n",
	        ASYNC_TASKS);
	for (int i = 0; i < ASYNC_TASKS; i++) {
		struct task t = { .kind = TASK_SQUARE, .n = i + 1 };

		pthread_mutex_lock(&pool->mu);
		callback[pool->submitted] = collect; /* before the task exists */
		pthread_mutex_unlock(&pool->mu);
		ids[i] = submit(lab, &t);
	}
	wait_all(ids, ASYNC_TASKS);
	/* pool.close(); pool.join(): the handler hands over what is left. */
	pthread_mutex_lock(&pool->mu);
	handler_stop = true;
	pthread_cond_broadcast(&pool->done);
	pthread_mutex_unlock(&pool->mu);
	pthread_join(handler, NULL);
	for (int i = 0; i < ASYNC_TASKS; i++)
		callback[ids[i]] = NULL;
	lab_result(lab, "  collect() ran %d times: in thread %d of process %d\n"
	           "  the main thread: %d; the tasks ran in process %d\n",
	           o->ncalls, (int)o->cb_tid, (int)o->cb_pid, (int)o->main_tid,
	           (int)o->worker_pid);
}

struct timeout_out {
	bool raised, running;
	double waited_ms, done_ms;
	long value; /* what the second result() got: the task's 2 */
};

/* DOC: timeout
 *     r = pool.apply_async(do_something, (2,))
 *     r.get(timeout=1)      # multiprocessing.TimeoutError
 * The caller stops waiting; the task does not stop running. */
static void
part_timeout(struct lab *lab, struct timeout_out *o)
{
	struct task t = { .kind = TASK_SLEEP, .n = 2, .seconds = 2 * unit };
	uint64_t t0 = board_now_ns();
	int id = submit(lab, &t);
	struct task *r;

	lab_say(lab, "\nresult(timeout=1 unit) on a task of 2 units\n");
	r = result_timeout(id, unit, &o->running);
	o->waited_ms = ms_since(t0);
	o->raised = r == NULL;
	lab_result(lab, "  %.2f s: %s; the task is %s\n", o->waited_ms / 1e3,
	           o->raised ? "TimeoutError" : "got the result",
	           o->running ? "still running" : "not running");
	r = result(id);
	o->done_ms = (double)(r->t_end - t0) / 1e6;
	o->value = r->value;
	lab_result(lab, "  %.2f s: the task ended anyway; result() got %ld\n",
	           ms_since(t0) / 1e3, r->value);
}

/* The exception part: a task that fails, then one that works. */
struct exc_out {
	bool raised, after_ok;
	int err;
	char msg[192];
	pid_t pid, after_pid;
};

static void
part_exception(struct lab *lab, struct exc_out *o)
{
	struct task bad = { .kind = TASK_READ }, good = { .kind = TASK_SQUARE, .n = 7 };
	struct task *r;

	snprintf(pool->read_path, sizeof pool->read_path, "%s/no-such-file",
	         pool->dir[0] ? pool->dir : "/nonexistent");
	lab_say(lab, "\nread(path) on a file that does not exist, then square(7)\n");
	r = result(submit(lab, &bad));
	o->raised = !r->ok;
	o->err = r->err;
	o->pid = r->pid;
	snprintf(o->msg, sizeof o->msg, "%s", r->msg);
	lab_result(lab, "  result(): error in worker pid %d:\n    %s\n", (int)r->pid,
	           o->raised ? o->msg : "(none)");
	r = result(submit(lab, &good));
	o->after_ok = r->ok && r->value == 49;
	o->after_pid = r->pid;
	lab_result(lab, "  then square(7) = %ld (pid %d): the pool goes on\n",
	           r->value, (int)r->pid);
}

struct term_out {
	bool task_done_terminate, task_done_close;
	int killed;
	double terminate_ms, close_ms;
	char status[48];
};

static void
pool_reset(void)
{
	pool_sync_init();
	pool->submitted = pool->next = pool->ndone = 0;
	pool->closing = false;
}

/* DOC: terminate
 *     with Pool() as p:
 *         r = p.apply_async(do_something, (3,))
 *         time.sleep(1)
 *     # the with-block ends: p.terminate() kills the running task
 * Pool.__exit__ calls terminate() (Lib/multiprocessing/pool.py, 3.11),
 * which kills the workers whatever they are doing; close() and join()
 * instead wait for the queue to drain (and so does ProcessPoolExecutor's
 * __exit__, shutdown(wait=True)).  Both here, on pools of their own. */
static void
part_terminate(struct lab *lab, struct term_out *o)
{
	struct task t = { .kind = TASK_SLEEP, .n = 3, .seconds = 3 * unit };
	struct lab_team *team;
	uint64_t t0;
	int id;

	lab_say(lab, "\nwith Pool() as p: a task of 3 units; the block ends after 1\n");
	pool_reset();
	team = lab_spawn(lab, lab->o.workers, pool_worker, NULL);
	t0 = board_now_ns();
	id = submit(lab, &t);
	nap(unit);
	/* terminate(): kill every worker, running or idle */
	for (int i = 0; i < team->n; i++)
		kill(team->w[i].pid, SIGTERM);
	lab_join(team); /* reaps them: killed is the expected end here */
	o->terminate_ms = ms_since(t0);
	o->task_done_terminate = pool->task[id].done;
	o->killed = 0;
	for (int i = 0; i < team->n; i++)
		o->killed += atomic_load(&team->w[i].status) == -SIGTERM;
	lab_status_text(atomic_load(&team->w[0].status), o->status, sizeof o->status);
	lab_team_free(team);
	lab_result(lab, "  terminate(): %.2f s, the task %s;\n    %d of %d workers %s\n",
	           o->terminate_ms / 1e3,
	           o->task_done_terminate ? "finished" : "never finished",
	           o->killed, lab->o.workers, o->status);

	/* close() and join(): the same task, and the pool waits for it. */
	pool_reset();
	team = lab_spawn(lab, lab->o.workers, pool_worker, NULL);
	t0 = board_now_ns();
	id = submit(lab, &t);
	nap(unit);
	pool_shutdown(team);
	lab_team_free(team);
	o->close_ms = ms_since(t0);
	o->task_done_close = pool->task[id].done;
	lab_result(lab, "  close(); join(): %.2f s, the task %s\n",
	           o->close_ms / 1e3, o->task_done_close ? "finished" : "never finished");
}

static void
json_longs(struct lab_json *j, const char *key, const long *v, int n)
{
	long long ll[8];

	for (int i = 0; i < n; i++)
		ll[i] = v[i];
	lab_json_int_array(j, key, ll, n);
}

/* 1 when got[] is want[], element by element (JSON wants a number). */
static int
in_order(const long got[5], const long want[5])
{
	for (int i = 0; i < 5; i++)
		if (got[i] != want[i])
			return 0;
	return 1;
}

/* DOC: same-workers: every task of the run names the process and the
 * kernel thread that ran it.  A pool reuses its workers, so however many
 * tasks there were, at most `pool` different ones ran them. */
static void
json_task_ids(struct lab_json *j)
{
	static long long pids[MAX_TASKS], tids[MAX_TASKS];
	int n = pool->submitted, distinct = 0;

	for (int i = 0; i < n; i++) {
		bool seen = false;

		pids[i] = pool->task[i].pid;
		tids[i] = pool->task[i].tid;
		for (int k = 0; k < i && !seen; k++)
			seen = tids[k] == tids[i];
		distinct += !seen;
	}
	/* The chunksize part makes thousands: too many to list. */
	if (n <= 160) {
		lab_json_int_array(j, "task_pids", pids, n);
		lab_json_int_array(j, "task_tids", tids, n);
	}
	lab_json_int(j, "distinct_workers", distinct);
}

/* all: the tutorial's parts; the others only when named. */
static bool
want(const char *part)
{
	static const char *const in_all[] = { "submit", "as_completed", "map",
	                                      "squares", "hash" };

	if (strcmp(demo, part) == 0)
		return true;
	if (strcmp(demo, "all") != 0)
		return false;
	for (size_t i = 0; i < sizeof in_all / sizeof in_all[0]; i++)
		if (strcmp(part, in_all[i]) == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	struct lab lab;
	int ngiven = 0;

	lab_init(&lab, &lesson, argc, argv);
	pool_init(&lab);
	if (files && want("hash"))
		ngiven = given_files(&lab); /* bad names: exit 2 before any work */
	if (want("terminate") && lab.o.mode == LAB_THREAD)
		lab_usage_error(&lab, "--demo terminate kills worker processes: "
		                "not with --mode thread");

	for (int run = 1; run <= lab.o.runs; run++) {
		struct sleeps asc = { 0 }, map = { 0 };
		struct imap_out im = { 0 };
		struct starmap_out sm = { 0 };
		struct chunk_out *ch = calloc(1, sizeof *ch);
		struct big_out big = { 0 };
		struct async_out as = { 0 };
		struct timeout_out to = { 0 };
		struct exc_out ex = { 0 };
		struct term_out te = { 0 };
		struct hash_out *h = calloc(1, sizeof *h);
		long squares[6], serial[6];
		bool squares_ok = true, abc_ok = sha256_abc_ok();
		int squares_wrong = 0;
		struct board_counter *done, *queued;
		struct lab_team *team;
		struct task *one = NULL;
		double submit_ms = 0;
		int total;

		if (!h || !ch)
			lab_die(&lab, "out of memory");
		lab_run_begin(&lab, run);
		pool->submitted = pool->next = pool->ndone = 0;
		pool->closing = false;
		/* How many tasks this run will submit, for the counter. */
		total = (want("submit") ? 1 : 0) + (want("as_completed") ? 5 : 0) +
		        (want("map") ? 5 : 0) + (want("imap") ? 10 : 0) +
		        (want("squares") ? 6 : 0);
		if (want("hash"))
			total += ngiven ? ngiven : nfiles;
		total += (want("starmap") ? STARMAP_CHUNKS : 0) +
		         (want("bigtasks") ? 2 * BIG_TASKS : 0) +
		         (want("apply_async") ? ASYNC_TASKS : 0) +
		         (want("timeout") ? 1 : 0) + (want("exception") ? 2 : 0) +
		         (want("terminate") ? 1 : 0); /* the killed one never ends */
		if (want("chunksize")) {
			int per = 4 * lab.o.workers, dflt = MAX_ITEMS / per +
			          (MAX_ITEMS % per != 0);

			total += CHUNK_ROUNDS * (MAX_ITEMS + MAX_ITEMS / 10 +
			         MAX_ITEMS / 100 + (MAX_ITEMS + dflt - 1) / dflt);
		}
		done = lab_counter(&lab, "tasks done", 0);
		lab_counter_expect(done, total);
		lab_counter_kind(done, BOARD_COUNTER_COUNT);
		queued = lab_counter(&lab, "queued", 0);
		lab_counter_expect(queued, 0);
		lab_counter_kind(queued, BOARD_COUNTER_GAUGE);
		pool->done_ctr = &done->value;
		pool->queued_ctr = &queued->value;

		lab_say(&lab, "pool of %d %s worker%s (%d usable core%s)\n",
		        lab.o.workers, lab_mode_name(lab.o.mode),
		        lab.o.workers == 1 ? "" : "s", lab.ncpu,
		        lab.ncpu == 1 ? "" : "s");
		team = lab_spawn(&lab, lab.o.workers, pool_worker, NULL);

		if (want("submit")) {
			/* f1 = executor.submit(do_something); print(f1.result()) */
			struct task t = { .kind = TASK_SLEEP, .n = 1, .seconds = unit };
			uint64_t t0 = board_now_ns();

			lab_say(&lab, "\nsubmit: one task of 1 unit, then wait for its result\n");
			one = result(submit(&lab, &t));
			submit_ms = ms_since(t0);
			print_sleep_result(&lab, one, t0);
		}
		if (want("as_completed"))
			part_as_completed(&lab, &asc);
		if (want("map"))
			part_map(&lab, &map);
		if (want("imap"))
			part_imap(&lab, &im);
		if (want("squares")) {
			/* result = p.map(square, [1, 2, 3, 4, 5, 6]) */
			int ids[6];

			for (int i = 0; i < 6; i++) {
				struct task t = { .kind = TASK_SQUARE, .n = i + 1 };

				ids[i] = submit(&lab, &t);
			}
			for (int i = 0; i < 6; i++) {
				squares[i] = result(ids[i])->value;
				serial[i] = (long)(i + 1) * (i + 1);
				squares_ok = squares_ok && squares[i] == serial[i];
				squares_wrong += squares[i] != serial[i];
			}
			lab_say(&lab, "\nmap(square, [1..6]) = [%ld, %ld, %ld, %ld, %ld, %ld] %s\n",
			        squares[0], squares[1], squares[2], squares[3],
			        squares[4], squares[5],
			        squares_ok ? "(same as a serial loop)" : "(WRONG)");
		}
		if (want("starmap"))
			part_starmap(&lab, &sm);
		if (want("chunksize"))
			part_chunksize(&lab, ch);
		if (want("bigtasks"))
			part_bigtasks(&lab, &big);
		if (want("apply_async"))
			part_apply_async(&lab, &as);
		if (want("timeout"))
			part_timeout(&lab, &to);
		if (want("exception"))
			part_exception(&lab, &ex);
		if (want("hash"))
			part_hash(&lab, h, ngiven);
		pool_shutdown(team);
		lab_team_free(team);
		if (want("terminate"))
			part_terminate(&lab, &te);
		lab_run_end(&lab);

		if (lab_text(&lab)) {
			if (want("as_completed"))
				printf("as_completed: %.2f s for sleeps of 15 units in all, "
				       "the longest %g s\n", asc.total_ms / 1e3, 5 * unit);
			if (want("map"))
				printf("map:          %.2f s\n", map.total_ms / 1e3);
			if (want("imap"))
				printf("imap: first result after %.2f s; Pool.map: first "
				       "result after %.2f s\n", im.imap_seen_ms[0] / 1e3,
				       im.map_seen_ms[0] / 1e3);
			if (want("hash"))
				printf("hash: %d files, pool %.0f ms, serial %.0f ms: %.2fx "
				       "(load average %.1f on %d core%s), "
				       "digests %s serial; sha256(\"abc\") %s\n",
				       h->n, h->par_ms, h->ser_ms,
				       h->ser_ms / (h->par_ms > 0 ? h->par_ms : 1),
				       h->load, lab.ncpu, lab.ncpu == 1 ? "" : "s",
				       h->equal ? "equal to" : "DIFFER FROM",
				       abc_ok ? "correct" : "WRONG");
		}
		/* Under the shell both: the text, and the record for its
		 * RACELAB_JSON_FD (lab.o.json is set then too). */
		if (lab.o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
			lab_json_str(&j, "demo", demo);
			lab_json_int(&j, "pool", lab.o.workers);
			lab_json_int(&j, "ncpu", lab.ncpu);
			lab_json_int(&j, "cores", lab.ncpu); /* for expect: lines */
			lab_json_num(&j, "unit", unit);
			lab_json_int(&j, "tasks", pool->submitted);
			if (one) {
				lab_json_num(&j, "submit_ms", submit_ms);
				lab_json_int(&j, "submit_pid", one->pid);
			}
			if (want("as_completed")) {
				json_longs(&j, "as_completed_order", asc.got, 5);
				lab_json_num_array(&j, "as_completed_finish_ms",
				                   asc.finish_ms, 5);
				lab_json_num_array(&j, "as_completed_seen_ms",
				                   asc.seen_ms, 5);
				lab_json_num(&j, "as_completed_ms", asc.total_ms);
				lab_json_int(&j, "as_completed_first_units", asc.got[0]);
				lab_json_int(&j, "as_completed_in_finish_order",
				             in_order(asc.got, rising_seconds));
			}
			if (want("map")) {
				json_longs(&j, "map_order", map.got, 5);
				lab_json_num_array(&j, "map_finish_ms", map.finish_ms, 5);
				lab_json_num_array(&j, "map_seen_ms", map.seen_ms, 5);
				lab_json_num(&j, "map_ms", map.total_ms);
				lab_json_int(&j, "map_first_units", map.got[0]);
				lab_json_num(&j, "map_first_seen_ms", map.seen_ms[0]);
				lab_json_int(&j, "map_in_submit_order",
				             in_order(map.got, tutorial_seconds));
			}
			if (want("imap")) {
				json_longs(&j, "imap_order", im.imap_got, 5);
				lab_json_num_array(&j, "imap_seen_ms", im.imap_seen_ms, 5);
				json_longs(&j, "pool_map_order", im.map_got, 5);
				lab_json_num_array(&j, "pool_map_seen_ms", im.map_seen_ms, 5);
				lab_json_num(&j, "imap_first_seen_ms", im.imap_seen_ms[0]);
				lab_json_num(&j, "imap_last_seen_ms", im.imap_seen_ms[4]);
				lab_json_num(&j, "pool_map_first_seen_ms", im.map_seen_ms[0]);
			}
			if (want("as_completed") || want("map")) {
				json_longs(&j, "submitted_order", tutorial_seconds, 5);
				lab_json_num(&j, "longest_ms", 5 * unit * 1e3);
				lab_json_num(&j, "sum_ms", 15 * unit * 1e3);
			}
			if (want("squares")) {
				json_longs(&j, "squares", squares, 6);
				lab_json_bool(&j, "squares_equal_serial", squares_ok);
				lab_json_int(&j, "squares_wrong", squares_wrong);
			}
			if (want("hash")) {
				lab_json_int(&j, "hash_files", h->n);
				lab_json_int(&j, "hash_bytes", h->bytes);
				lab_json_num(&j, "hash_pool_ms", h->par_ms);
				lab_json_num(&j, "hash_serial_ms", h->ser_ms);
				lab_json_num(&j, "hash_speedup",
				             h->ser_ms / (h->par_ms > 0 ? h->par_ms : 1));
				lab_json_int(&j, "hash_workers_used", h->workers_used);
				lab_json_num(&j, "loadavg_1m", h->load);
				lab_json_bool(&j, "hash_equal_serial", h->equal);
				lab_json_int(&j, "hash_differing", h->differing);
				lab_json_str(&j, "digests", h->digests);
			}
			if (want("starmap")) {
				json_longs(&j, "starmap_results", sm.results, STARMAP_CHUNKS);
				lab_json_int(&j, "starmap_total", sm.total);
				lab_json_int(&j, "starmap_expected", sm.expected);
			}
			if (want("chunksize")) {
				char k[64];

				lab_json_int(&j, "chunk_items", ch->items);
				lab_json_num(&j, "loop_ms", ch->loop_ms);
				for (int c = 0; c < NCHUNKSIZES; c++) {
					const char *name = c == NCHUNKSIZES - 1 ? "default" : NULL;
					char num[16];

					snprintf(num, sizeof num, "%d", ch->size[c]);
					snprintf(k, sizeof k, "chunksize_%s_ms", name ? name : num);
					lab_json_num(&j, k, ch->ms[c]);
					snprintf(k, sizeof k, "chunksize_%s_handoffs", name ? name : num);
					lab_json_int(&j, k, ch->handoffs[c]);
				}
				lab_json_int(&j, "chunksize_default", ch->size[NCHUNKSIZES - 1]);
				lab_json_num(&j, "tiny_loop_ms", ch->loop_ms);
				lab_json_num(&j, "tiny_pool_ms", ch->ms[0]);
				lab_json_bool(&j, "chunk_results_ok", ch->ok);
			}
			if (want("bigtasks")) {
				lab_json_num(&j, "big_loop_ms", big.loop_ms);
				lab_json_num(&j, "big_pool_ms", big.pool_ms);
				lab_json_num(&j, "big_speedup", big.loop_ms / big.pool_ms);
				lab_json_bool(&j, "big_results_equal", big.equal);
				lab_json_num(&j, "load", loadavg());
			}
			if (want("apply_async")) {
				json_longs(&j, "apply_async_results", as.got, as.ncalls);
				lab_json_int(&j, "apply_async_callbacks", as.ncalls);
				lab_json_int(&j, "apply_async_callback_pid", as.cb_pid);
				lab_json_int(&j, "apply_async_callback_tid", as.cb_tid);
				lab_json_int(&j, "apply_async_main_tid", as.main_tid);
				lab_json_int(&j, "apply_async_worker_pid", as.worker_pid);
				lab_json_int(&j, "lesson_pid", getpid());
			}
			if (want("timeout")) {
				lab_json_bool(&j, "timeout_raised", to.raised);
				lab_json_bool(&j, "timeout_task_running", to.running);
				lab_json_num(&j, "timeout_waited_ms", to.waited_ms);
				lab_json_num(&j, "timeout_task_done_ms", to.done_ms);
				lab_json_int(&j, "timeout_result", to.value);
			}
			if (want("exception")) {
				lab_json_bool(&j, "exception_raised", ex.raised);
				lab_json_int(&j, "exception_errno", ex.err);
				lab_json_str(&j, "exception_message", ex.msg);
				lab_json_int(&j, "exception_worker_pid", ex.pid);
				lab_json_bool(&j, "exception_pool_goes_on", ex.after_ok);
			}
			if (want("terminate")) {
				lab_json_bool(&j, "terminate_task_done", te.task_done_terminate);
				lab_json_int(&j, "terminate_killed", te.killed);
				lab_json_str(&j, "terminate_status", te.status);
				lab_json_num(&j, "terminate_ms", te.terminate_ms);
				lab_json_bool(&j, "close_task_done", te.task_done_close);
				lab_json_num(&j, "close_ms", te.close_ms);
			}
			lab_json_bool(&j, "sha256_abc_ok", abc_ok);
			lab_json_int(&j, "sha256_abc_wrong", !abc_ok);
			json_task_ids(&j);
			lab_json_end(&j);
		}
		free(h);
		free(ch);
	}
	return 0;
}
