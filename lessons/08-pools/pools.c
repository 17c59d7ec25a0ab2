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
#include "lab/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *demo = "all";
static double unit = 0.2;
static const char *files;
static int nfiles = 8;
static int file_mb = 16;

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo,
	  "submit|as_completed|map|imap|squares|hash|all",
	  "which part to run (default all: every part but imap, which "
	  "would double the sleeping)", 0, 0 },
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

#define MAX_TASKS 160
#define MAX_FILES 32
#define DIGEST_LEN 32
#define HASH_ROUNDS 2 /* the hash part is timed this many times, best kept */

enum task_kind { TASK_SLEEP, TASK_SQUARE, TASK_HASH };

struct task {
	/* Written by the executor before the task is queued: */
	enum task_kind kind;
	double seconds;  /* TASK_SLEEP */
	long n;          /* TASK_SQUARE: the number; TASK_SLEEP: units */
	int file;        /* TASK_HASH: index into the file list */
	/* Written by the worker that ran it, before it is marked done: */
	long value;
	unsigned char digest[DIGEST_LEN];
	int worker;
	pid_t pid, tid;
	uint64_t t_start, t_end;
	bool ok;
	/* Under pool.mu: */
	bool done;
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

	struct task task[MAX_TASKS];
	char path[MAX_FILES][512];
	char dir[64];      /* generated files live here, removed at the end */
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
	pool->task[id].done = false;
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

static void
pool_init(struct lab *lab)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;

	pool = lab_shared_alloc(lab, sizeof *pool);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&pool->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_cond_init(&pool->work, &ca);
	pthread_cond_init(&pool->done, &ca);
	pthread_condattr_destroy(&ca);
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
	long long pids[MAX_TASKS], tids[MAX_TASKS];
	int n = pool->submitted, distinct = 0;

	for (int i = 0; i < n; i++) {
		bool seen = false;

		pids[i] = pool->task[i].pid;
		tids[i] = pool->task[i].tid;
		for (int k = 0; k < i && !seen; k++)
			seen = tids[k] == tids[i];
		distinct += !seen;
	}
	lab_json_int_array(j, "task_pids", pids, n);
	lab_json_int_array(j, "task_tids", tids, n);
	lab_json_int(j, "distinct_workers", distinct);
}

static bool
want(const char *part)
{
	if (strcmp(part, "imap") == 0)
		return strcmp(demo, part) == 0;
	return strcmp(demo, "all") == 0 || strcmp(demo, part) == 0;
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

	for (int run = 1; run <= lab.o.runs; run++) {
		struct sleeps asc = { 0 }, map = { 0 };
		struct imap_out im = { 0 };
		struct hash_out *h = calloc(1, sizeof *h);
		long squares[6], serial[6];
		bool squares_ok = true, abc_ok = sha256_abc_ok();
		int squares_wrong = 0;
		struct board_counter *done, *queued;
		struct lab_team *team;
		struct task *one = NULL;
		double submit_ms = 0;
		int total;

		if (!h)
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
		if (want("hash"))
			part_hash(&lab, h, ngiven);
		pool_shutdown(team);
		lab_team_free(team);
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
		} else {
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
			lab_json_bool(&j, "sha256_abc_ok", abc_ok);
			lab_json_int(&j, "sha256_abc_wrong", !abc_ok);
			json_task_ids(&j);
			lab_json_end(&j);
		}
		free(h);
	}
	return 0;
}
