// Lesson 05: shared memory, the C behind multiprocessing's Value and Array.
//
// The tutorial's square_list(): workers write the squares of a list into a
// result array and add them to a sum; the parent prints both after join.
// Where the array and the sum live decides what the parent sees:
//   shared   mmap(MAP_SHARED | MAP_ANONYMOUS) before fork: parent and
//            children map the same physical pages (what Value/Array use)
//   posix    a named POSIX shared memory object (shm_open), mapped
//            MAP_SHARED, its name unlinked at once: same pages again
//   private  mmap(MAP_PRIVATE | MAP_ANONYMOUS): after fork each process
//            writes its own copy-on-write copy; nothing comes back
// With --mode thread there is one process and one memory: even the private
// mapping is seen by the parent.
//
// --demo value-array is the tutorial's other example: a counter
// (Value('i', 0)) that each worker adds 1 to under its lock, and a string
// (Array('c', b'John Doe')) that worker 1 renames to "Alice": eight bytes
// of shared memory, no more, whatever is written into them.
#include "lab/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const char *demo = "squares";
static const char *map = "shared";
static int count = 4;
static double delay_s;
static long adds = 1;
static const char *value_lock = "held";

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo, "squares|value-array",
	  "square_list, or a counter and a string in shared memory "
	  "(default squares)", 0, 0 },
	{ "map", LAB_OPT_CHOICE, &map, "shared|private|posix",
	  "where the result array and sum live (default shared)", 0, 0 },
	{ "count", LAB_OPT_INT, &count, "N",
	  "square the numbers 1..N (default 4, as in the tutorial)", 1, 1000000 },
	{ "delay", LAB_OPT_DOUBLE, &delay_s, "S",
	  "seconds a worker waits after each element, to watch it (default 0)",
	  0, 10 },
	{ "adds", LAB_OPT_LONG, &adds, "N",
	  "value-array: each worker adds 1 to the counter N times (default 1)",
	  1, 10000000 },
	{ "value-lock", LAB_OPT_CHOICE, &value_lock, "held|per-access",
	  "value-array: hold the lock across the whole += (get_lock()), or take "
	  "it around the read and the write separately, as Value's own "
	  "getter and setter do (default held)", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "shared-memory",
	.title = "Shared memory: Value and Array in C, with mmap and shm_open",
	.about = "Workers write the squares of 1..--count into an array and add them to a sum\n"
	         "(the tutorial's square_list); the parent prints what it sees after join.\n"
	         "--map shared|posix: the parent sees it all; private: nothing comes back.",
	.workers = 1,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

/* DOC: the-region
 * The C form of Array('q', N) and Value('q'): a plain struct in a mapping.
 * What makes it shared or not is the mapping, not the type. */
struct squares {
	_Atomic int64_t sum; /* Value: workers add to it at once, so atomic */
	int64_t result[];    /* Array: each element has one writer */
};

/* What each worker saw in its own memory, sent back over the lesson's own
 * channel (lab_shared_alloc), which is not the thing under study. */
struct view {
	int64_t sum;      /* the sum as this worker read it when done */
	int64_t written;  /* how many elements it wrote */
	pid_t pid;
};

struct job {
	struct squares *sq;
	struct named *named;          /* --demo value-array */
	struct lab_lock *counter_lock;
	bool per_access;              /* --value-lock per-access */
	struct board_counter *live;   /* the Counters panel's copy of it */
	struct view *views;
	const int64_t *mylist; /* the input, copied to children by fork */
};

/* DOC: value-array
 * Value('i', 0) and Array('c', b'John Doe') side by side.  The array is
 * exactly as long as its initial value, 8 bytes with no room for a NUL:
 * like Python's names.value, the reader stops at the first NUL or at the
 * end.  Python's Value comes with a lock (counter.get_lock()); here it is
 * a process-shared mutex, which the Locks panel shows. */
#define NAME_LEN 8
struct named {
	int counter;
	char names[NAME_LEN];
};

static bool
value_array(void)
{
	return strcmp(demo, "value-array") == 0;
}

static size_t
region_size(void)
{
	size_t sq = sizeof(struct squares) + (size_t)count * sizeof(int64_t);

	return value_array() ? sizeof(struct named) : sq;
}

/* DOC: square-list
 * Worker k of n takes elements k-1, k-1+n, ...: the same array, disjoint
 * elements, so the result writes need no lock.  The sum does: several
 * workers add to it, so each add is one atomic_fetch_add (the tutorial's
 * `with counter.get_lock(): counter.value += x`). */
static int
square_list(struct lab_worker *w)
{
	struct job *job = w->arg;
	struct squares *sq = job->sq;
	struct view *v = &job->views[w->no - 1];
	int n = w->team->n;

	for (int i = w->no - 1; i < count; i += n) {
		int64_t x = job->mylist[i];

		lab_step_val(w, "write result[i]", x * x);
		sq->result[i] = x * x;
		lab_step_val(w, "add to sum", x * x);
		atomic_fetch_add_explicit(&sq->sum, x * x, memory_order_relaxed);
		v->written++;
		lab_progress(w, (uint64_t)v->written,
		             (uint64_t)((count - w->no) / n + 1));
		if (delay_s > 0)
			lab_sleep(w, delay_s);
	}
	v->sum = atomic_load(&sq->sum);
	v->pid = getpid();
	if (count <= 16) {
		char buf[512];
		size_t len = 0;

		for (int i = 0; i < count && len < sizeof buf - 32; i++)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%lld",
			                        i ? ", " : "", (long long)sq->result[i]);
		lab_say(w->lab, "Result(in worker %d, pid %d): [%s]\n", w->no,
		        (int)getpid(), buf);
	}
	lab_say(w->lab, "Sum of squares(in worker %d, pid %d): %lld\n", w->no,
	        (int)getpid(), (long long)v->sum);
	return 0;
}

/* DOC: value-per-access
 * counter.value += 1 on a Value made with lock=True: Python runs the
 * property's getter, then its setter, and each takes the Value's lock by
 * itself (CPython 3.11 Lib/multiprocessing/sharedctypes.py, make_property:
 * getvalue and setvalue each self.acquire() ... self.release()).  Every
 * access is locked; the update is not: between the two, another worker
 * may read the same value, and one of the two writes is lost. */
static int
add_per_access(struct lab_worker *w, struct lab_lock *lock, int *counter,
               struct board_counter *live)
{
	int v;

	lab_lock(w, lock);                   /* getvalue(): */
	lab_step(w, "read counter");
	v = *counter;
	lab_unlock(w, lock);
	lab_lock(w, lock);                   /* setvalue(v + 1): */
	lab_step_val(w, "write counter", v + 1);
	*counter = v + 1;
	atomic_store(&live->value, v + 1); /* what the panel and --trace show */
	lab_unlock(w, lock);
	return v + 1;
}

/* The tutorial's modify_values(counter, names). */
static int
modify_values(struct lab_worker *w)
{
	struct job *job = w->arg;
	struct named *nm = job->named;
	int seen = 0;

	for (long i = 0; i < adds; i++) {
		if (job->per_access) {
			seen = add_per_access(w, job->counter_lock, &nm->counter,
			                      job->live);
			continue;
		}
		lab_lock(w, job->counter_lock);      /* with counter.get_lock(): */
		lab_step(w, "counter += 1");
		nm->counter += 1;                    /*     counter.value += 1 */
		seen = nm->counter;                  /* read under the lock too */
		atomic_store(&job->live->value, seen);
		lab_unlock(w, job->counter_lock);
	}
	if (w->no == 1) {
		lab_step(w, "rename to Alice");
		/* names.value = b"Alice": 5 bytes and a NUL, in the 8 there
		 * are; a longer name would not fit (Python: ValueError). */
		memcpy(nm->names, "Alice", sizeof "Alice");
	}
	job->views[w->no - 1].sum = seen; /* as this worker saw it */
	job->views[w->no - 1].pid = getpid();
	return 0;
}

/* DOC: map-anon */
static void *
map_anon(struct lab *lab, int flags)
{
	void *p = mmap(NULL, region_size(), PROT_READ | PROT_WRITE,
	               flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		lab_die(lab, "mmap:");
	return p; /* anonymous memory starts zero-filled */
}

/* DOC: map-posix
 * A named object under /dev/shm.  O_EXCL with a name made of our PID and
 * a serial number: we never open someone else's.  Mode 0600: only our
 * user may open it while the name exists.  The name is unlinked as soon
 * as it is mapped: the memory stays as long as a mapping does (ours and,
 * after fork, the children's), and a crash leaves nothing in /dev/shm.
 * The few microseconds while the name exists are closed too: signals are
 * blocked across them (a SIGTERM waits until the name is gone), and the
 * name is given first to lab_name_guard()'s helper process, which unlinks
 * it if even a SIGKILL lands in between. */
static void *
map_posix(struct lab *lab, char *name, size_t len, bool *was_there)
{
	static unsigned serial;
	sigset_t all, old;
	const char *failed = NULL;
	void *sq = MAP_FAILED;
	int fd, e = 0;

	snprintf(name, len, "/racelab-%d-%u", (int)getpid(), serial++);
	lab_name_guard(lab, LAB_NAME_SHM, name, true);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		e = errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = e;
		lab_die(lab, "shm_open %s:", name);
	}
	if (ftruncate(fd, (off_t)region_size()) < 0)
		failed = "ftruncate", e = errno;
	else if ((sq = mmap(NULL, region_size(), PROT_READ | PROT_WRITE, MAP_SHARED,
	                    fd, 0)) == MAP_FAILED)
		failed = "mmap", e = errno;
	close(fd); /* the mapping keeps the object alive */
	if (!failed) {
		char path[80];

		snprintf(path, sizeof path, "/dev/shm%s", name);
		*was_there = access(path, F_OK) == 0;
	}
	if (shm_unlink(name) < 0 && !failed)
		failed = "shm_unlink", e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	lab_name_guard(lab, LAB_NAME_SHM, name, false);
	errno = e;
	if (failed)
		lab_die(lab, "%s %s:", failed, name);
	return sq;
}

/* While the workers run, the parent reads the sum through its own mapping
 * and shows it on the board: it rises live when the memory is shared, and
 * stays 0 when it is private. */
static void
watch_sum(struct lab_team *t, struct squares *sq, struct board_counter *c)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };

	for (;;) {
		bool alive = false;

		lab_counter_set(c, atomic_load(&sq->sum));
		for (int i = 0; i < t->n && !alive; i++)
			alive = lab_worker_alive(&t->w[i]);
		if (!alive)
			break;
		nanosleep(&tick, NULL);
	}
}

static void
print_list(const char *what, const int64_t *v, int n)
{
	int shown = n <= 16 ? n : 16;

	printf("%s: [", what);
	for (int i = 0; i < shown; i++)
		printf("%s%lld", i ? ", " : "", (long long)v[i]);
	printf("%s]\n", shown < n ? ", ..." : "");
}

static void *
map_region(struct lab *lab, char *name, size_t len, bool *was_there)
{
	if (strcmp(map, "posix") == 0)
		return map_posix(lab, name, len, was_there);
	return map_anon(lab, strcmp(map, "private") == 0 ? MAP_PRIVATE : MAP_SHARED);
}

/* The parent's view of names, as Python's names.value.decode() reads it. */
static void
name_of(const struct named *nm, char *buf)
{
	size_t n = strnlen(nm->names, NAME_LEN);

	memcpy(buf, nm->names, n);
	buf[n] = '\0';
}

static int
demo_value_array(struct lab *lab)
{
	struct job job = { 0 };
	long long expected = (long long)lab->o.workers * adds;

	if (expected > 2000000000)
		lab_usage_error(lab, "--adds: workers x adds must stay under 2e9 "
		                "(the counter is an int, as Value('i'))");
	job.per_access = strcmp(value_lock, "per-access") == 0;
	job.views = lab_shared_alloc(lab, (size_t)lab->o.workers * sizeof *job.views);
	job.counter_lock = lab_lock_new(lab, "counter lock", BOARD_LOCK_MUTEX);
	for (int run = 1; run <= lab->o.runs; run++) {
		struct board_counter *c;
		struct lab_team *t;
		char name[64] = "", before[NAME_LEN + 1], after[NAME_LEN + 1];
		bool was_there = false;

		lab_run_begin(lab, run);
		c = lab_counter(lab, "counter", 0);
		lab_counter_expect(c, expected);
		lab_counter_kind(c, BOARD_COUNTER_CONSERVED);
		job.live = c;
		job.named = map_region(lab, name, sizeof name, &was_there);
		job.named->counter = 0;                           /* Value('i', 0) */
		memcpy(job.named->names, "John Doe", NAME_LEN);   /* Array('c', b'John Doe') */
		name_of(job.named, before);
		t = lab_spawn(lab, lab->o.workers, modify_values, &job);
		if (lab_join(t) != LAB_JOIN_OK)
			lab_die(lab, "a worker failed");
		/* DOC: parent-reads-name: through the parent's own mapping. */
		atomic_store(&c->value, job.named->counter);
		name_of(job.named, after);
		lab_run_end(lab);
		if (lab->o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "demo", demo);
			lab_json_str(&j, "map", map);
			lab_json_str(&j, "mode", lab_mode_name(lab->o.mode));
			lab_json_int(&j, "workers", lab->o.workers);
			lab_json_int(&j, "counter", job.named->counter);
			lab_json_int(&j, "adds", adds);
			lab_json_str(&j, "value_lock", value_lock);
			lab_json_int(&j, "expected", expected);
			lab_json_int(&j, "lost", expected - job.named->counter);
			lab_json_str(&j, "name_before", before);
			lab_json_str(&j, "name", after);
			lab_json_bool(&j, "name_is_alice", strcmp(after, "Alice") == 0);
			lab_json_int(&j, "name_bytes", NAME_LEN);
			lab_json_num(&j, "elapsed_ms", lab_elapsed_ms(lab));
			lab_json_end(&j);
		}
		if (lab_text(lab)) {
			/* As the tutorial prints it. */
			printf("Counter: %d\n", job.named->counter);
			printf("Name: %s\n", after);
		}
		if (adds > 1 || job.per_access)
			lab_result(lab, "counter %d of %lld: %lld update%s lost (lock %s)\n",
			           job.named->counter, expected,
			           expected - job.named->counter,
			           expected - job.named->counter == 1 ? "" : "s",
			           job.per_access ? "around each read and each write"
			                          : "held across the whole +=");
		lab_say(lab, "%s\n", strcmp(after, "Alice") == 0
		        ? "the parent sees the workers' writes: one memory"
		        : "the parent still sees its own copy: nothing came back");
		munmap(job.named, region_size());
		lab_team_free(t);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct job job;
	int64_t *mylist;
	int64_t expected = 0;
	bool is_private, is_posix;

	lab_init(&lab, &lesson, argc, argv);
	if (value_array())
		return demo_value_array(&lab);
	if (lab.o.workers > count)
		lab_usage_error(&lab, "--workers: %d workers for %d numbers; use at most --count",
		                lab.o.workers, count);
	is_private = strcmp(map, "private") == 0;
	is_posix = strcmp(map, "posix") == 0;
	mylist = malloc((size_t)count * sizeof *mylist);
	if (!mylist)
		lab_die(&lab, "out of memory");
	for (int i = 0; i < count; i++) {
		mylist[i] = i + 1; /* the tutorial's mylist = [1, 2, 3, 4] */
		expected += mylist[i] * mylist[i];
	}
	job.mylist = mylist;
	job.views = lab_shared_alloc(&lab, (size_t)lab.o.workers * sizeof *job.views);
	lab_say(&lab, "%d %s worker%s square 1..%d into a %s mapping\n",
	        lab.o.workers, lab_mode_name(lab.o.mode),
	        lab.o.workers == 1 ? "" : "s", count,
	        is_private ? "MAP_PRIVATE" : is_posix ? "shm_open + MAP_SHARED"
	                                              : "MAP_SHARED anonymous");

	for (int run = 1; run <= lab.o.runs; run++) {
		struct board_counter *sum;
		struct lab_team *t;
		char name[64] = "";
		bool was_there = false;
		int64_t parent_sum, nonzero = 0;

		lab_run_begin(&lab, run);
		/* The Counters panel shows the sum as the PARENT reads it. */
		sum = lab_counter(&lab, "parent sum", 0);
		lab_counter_expect(sum, expected);
		lab_counter_kind(sum, BOARD_COUNTER_GAUGE); /* nothing is lost */
		memset(job.views, 0, (size_t)lab.o.workers * sizeof *job.views);
		if (is_posix)
			job.sq = map_posix(&lab, name, sizeof name, &was_there);
		else
			job.sq = map_anon(&lab, is_private ? MAP_PRIVATE : MAP_SHARED);
		if (is_posix)
			lab_say(&lab, "created %s (0600), mapped it, unlinked the name: "
			        "/dev/shm%s %s\n", name, name,
			        was_there ? "existed until then" : "never showed?");

		t = lab_spawn(&lab, lab.o.workers, square_list, &job);
		watch_sum(t, job.sq, sum);
		if (lab_join(t) != LAB_JOIN_OK)
			lab_die(&lab, "a worker failed");

		/* DOC: parent-reads: after join, through the parent's own mapping. */
		parent_sum = atomic_load(&job.sq->sum);
		lab_counter_set(sum, parent_sum);
		for (int i = 0; i < count; i++)
			nonzero += job.sq->result[i] != 0;
		lab_run_end(&lab);

		if (lab.o.json) {
			struct lab_json j;
			long long *v = malloc((size_t)(count > lab.o.workers ? count
			                                                     : lab.o.workers) *
			                      sizeof *v);

			if (!v)
				lab_die(&lab, "out of memory");
			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "map", map);
			lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
			lab_json_int(&j, "workers", lab.o.workers);
			lab_json_int(&j, "count", count);
			if (count <= 1000) {
				for (int i = 0; i < count; i++)
					v[i] = job.sq->result[i];
				lab_json_int_array(&j, "result", v, count);
			}
			lab_json_int(&j, "result_nonzero", nonzero);
			lab_json_int(&j, "sum", parent_sum);
			lab_json_int(&j, "expected_sum", expected);
			for (int i = 0; i < lab.o.workers; i++)
				v[i] = job.views[i].sum;
			lab_json_int_array(&j, "worker_sums", v, lab.o.workers);
			for (int i = 0; i < lab.o.workers; i++)
				v[i] = job.views[i].written;
			lab_json_int_array(&j, "worker_written", v, lab.o.workers);
			if (is_posix) {
				lab_json_str(&j, "shm_name", name);
				lab_json_bool(&j, "shm_existed", was_there);
			}
			lab_json_num(&j, "elapsed_ms", lab_elapsed_ms(&lab));
			lab_json_end(&j);
			free(v);
		}
		if (lab_text(&lab)) {
			/* As the tutorial prints it, so the two compare. */
			print_list("Result(in main program)", job.sq->result, count);
			printf("Sum of squares(in main program): %lld\n",
			       (long long)parent_sum);
		}
		if (parent_sum == expected && nonzero == count)
			lab_say(&lab, "the parent sees every square: %s\n",
			        lab.o.mode == LAB_PROCESS
			        ? "the workers wrote the parent's pages"
			        : is_private
			        ? "threads share one memory, even a private mapping"
			        : "threads share one memory");
		else if (parent_sum == 0 && nonzero == 0)
			lab_say(&lab, "the parent sees nothing: each worker wrote its own "
			        "copy-on-write copy\n");
		else
			lab_say(&lab, "the parent sees part of it\n");
		munmap(job.sq, region_size());
		lab_team_free(t);
	}
	free(mylist);
	return 0;
}
