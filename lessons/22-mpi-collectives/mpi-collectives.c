// Lesson 22: collectives and the cost of talking.  The ranks of an Open
// MPI job meet at a barrier, get N by broadcast, and sum the squares of
// 1..N (lesson 09's sum) in shares combined by MPI_Reduce, checked against
// the closed form; the sum is timed on 1, 2, ... up to all the ranks.
// Then ranks 0 and 1 time messages: a ping-pong at a few sizes and a
// stream of 1 KiB messages, and rank 0 runs lesson 06's own measurement
// (racelab-ipc: a socketpair round trip, a pipe, a shared-memory ring) so
// that the numbers sit side by side from the same run.
//
// MPI 3.1 is cited by section (chapter 5: collectives; 3: point to point).
#include "lab/lab_mpi.h"
#include "lab/lab_math.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double n_opt = 50000000; /* a sixth of lesson 09's N */
static long messages = 50000;    /* lesson 06's default --messages */
static bool no_ipc;

static const struct lab_option options[] = {
	{ "n", LAB_OPT_DOUBLE, &n_opt, "N",
	  "sum the squares of 1..N (default 50000000)", 1, 100000000000.0 },
	{ "messages", LAB_OPT_LONG, &messages, "N",
	  "1 KiB messages in the stream, as racelab-ipc's transfer (default 50000)",
	  1, 10000000 },
	{ "no-ipc", LAB_OPT_FLAG, &no_ipc, NULL,
	  "do not run racelab-ipc beside the MPI messages", 0, 0 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "mpi-collectives",
	.title = "Collectives and the cost of talking: barrier, broadcast, reduce, ping-pong",
	.about = "The ranks sum the squares of 1..N in shares combined by MPI_Reduce, on\n"
	         "1, 2, ... ranks (the speedup); then ranks 0 and 1 time messages, beside\n"
	         "lesson 06's pipe, socketpair and shared-memory ring (racelab-ipc).",
	.workers = 4,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_PROCESS_ONLY,
	.runs = 1,
	.options = options,
};

/* A stuck run passes no probe: a share of the sum reports its progress
 * every chunk, so 30 s of silence means something else. */
static struct lab_mpi m = { .watchdog_s = 30 };

/* Ping-pong sizes, and round trips at each (fewer for the large ones). */
static const int pp_size[] = { 8, 1024, 65536, 1 << 20 };
static const int pp_reps[] = { 2000, 2000, 300, 50 };
static const char *const pp_key[] = { "8", "1k", "64k", "1m" };
#define NPP 4
/* The sum is timed on 1, 2, ... up to this many ranks, and on all of them
 * when there are more: a line per k, and a record that stays short. */
#define MAX_TIMED 8

/* DOC: quiet-wait
 * A rank that waits while others work (for its turn, or for a reduce)
 * must not compete with them for the two cores: Open MPI's blocking calls
 * poll, and only yield when the node is oversubscribed (ompi_info:
 * mpi_yield_when_idle "will default to 1 when oversubscribing nodes").
 * So the waiter starts the nonblocking form of the call and tests it
 * every millisecond, asleep in between: its cost is a wake-up, not a core. */
static void
quiet_wait(MPI_Request *r, const char *label)
{
	struct timespec ts = { 0, 1000000 };
	int done = 0;

	lab_mpi_wait(&m, label);
	for (;;) {
		MPI_Test(r, &done, MPI_STATUS_IGNORE);
		if (done)
			break;
		nanosleep(&ts, NULL);
	}
	lab_mpi_done(&m);
}

static void
quiet_barrier(MPI_Comm c)
{
	MPI_Request r;

	MPI_Ibarrier(c, &r);
	quiet_wait(&r, "MPI_Ibarrier");
}

/* MPI has no 128-bit integer type: the partial sums travel as 16 bytes
 * and this user-defined operation (MPI 3.1 §5.9.5, MPI_Op_create) adds
 * them.  Addition mod 2^128 is associative and commutative, so the op is
 * created commutative and MPI may combine the shares in any order. */
static void
u128_sum(void *in, void *inout, int *len, MPI_Datatype *type)
{
	const lab_u128 *a = in;
	lab_u128 *b = inout;

	(void)type;
	for (int i = 0; i < *len; i++) {
		lab_u128 x, y;

		memcpy(&x, a + i, sizeof x); /* MPI may hand unaligned buffers */
		memcpy(&y, b + i, sizeof y);
		y += x;
		memcpy(b + i, &y, sizeof y);
	}
}

/* One share, [first, first + count), in chunks, so the board shows the
 * rank's progress while it computes. */
static lab_u128
sum_share(uint64_t first, uint64_t count)
{
	const uint64_t chunk = 1u << 20;
	lab_u128 sum = 0;

	lab_step(m.w, "sum squares");
	for (uint64_t done = 0; done < count;) {
		uint64_t k = count - done < chunk ? count - done : chunk;

		sum += lab_sum_squares(first + done, k); /* DOC: share */
		done += k;
		lab_progress(m.w, done, count);
	}
	return sum;
}

struct sum_result {
	double ms;
	bool correct;
};

/* DOC: reduce
 * The sum on the first k ranks (a communicator of their own,
 * MPI_Comm_split): a barrier lines them up, each sums its share of 1..n
 * (lab_share_start, as lesson 09 splits it), MPI_Reduce adds the shares
 * at rank 0.  The time is rank 0's, from the barrier to the reduced sum:
 * it includes waiting for the slowest share. */
static struct sum_result
timed_sum(int k, uint64_t n, MPI_Datatype u128, MPI_Op op)
{
	struct sum_result res = { 0, false };
	MPI_Comm sub;

	MPI_Comm_split(MPI_COMM_WORLD, m.rank < k ? 0 : MPI_UNDEFINED, m.rank, &sub);
	if (m.rank < k) {
		lab_u128 part, total = 0;
		MPI_Request r;
		double t0;

		lab_step(m.w, "MPI_Barrier");
		MPI_Barrier(sub);
		t0 = MPI_Wtime();
		part = sum_share(lab_share_start(n, m.rank, k) + 1,
		                 lab_share_start(n, m.rank + 1, k) -
		                 lab_share_start(n, m.rank, k));
		/* Nonblocking, so that rank 0, done with its share, sleeps
		 * while the others finish theirs (DOC: quiet-wait). */
		MPI_Ireduce(&part, &total, 1, u128, op, 0, sub, &r);
		quiet_wait(&r, "MPI_Ireduce");
		res.ms = (MPI_Wtime() - t0) * 1e3;
		res.correct = total == lab_sum_squares_closed(n);
		MPI_Comm_free(&sub);
	}
	quiet_barrier(MPI_COMM_WORLD);
	return res;
}

/* DOC: ping-pong
 * Rank 0 sends `size` bytes to rank 1 (MPI_Send), rank 1 sends them back;
 * the time of one round trip, halved, is the time per message.  On one
 * machine Open MPI carries them through shared memory (btl vader; above
 * its 4 KiB eager limit with a single copy, process_vm_readv: ompi_info
 * --param btl vader --level 9). */
static double
ping_pong(MPI_Comm pair, char *buf, int size, int reps,
          struct board_counter *sent)
{
	int peer = !m.rank;
	double t0;

	MPI_Barrier(pair);
	t0 = MPI_Wtime();
	for (int i = 0; i < reps; i++) {
		if (m.rank == 0) {
			lab_step_val(m.w, "MPI_Send ping", size);
			MPI_Send(buf, size, MPI_BYTE, peer, 1, pair);
			MPI_Recv(buf, size, MPI_BYTE, peer, 1, pair, MPI_STATUS_IGNORE);
			lab_counter_add(sent, 2);
		} else {
			lab_step_val(m.w, "MPI_Recv ping", size);
			MPI_Recv(buf, size, MPI_BYTE, peer, 1, pair, MPI_STATUS_IGNORE);
			MPI_Send(buf, size, MPI_BYTE, peer, 1, pair);
		}
	}
	return (MPI_Wtime() - t0) / reps / 2 * 1e6; /* one way, µs */
}

/* DOC: stream
 * The same traffic as racelab-ipc's transfer: `count` messages of 1 KiB
 * one way, then one byte back, so the clock stops when all have arrived. */
static double
stream(MPI_Comm pair, char *buf, long count, struct board_counter *sent)
{
	double t0;

	MPI_Barrier(pair);
	t0 = MPI_Wtime();
	for (long i = 0; i < count; i++) {
		if (m.rank == 0) {
			lab_step(m.w, "MPI_Send 1 KiB");
			MPI_Send(buf, 1024, MPI_BYTE, 1, 2, pair);
			lab_counter_add(sent, 1);
		} else {
			lab_step(m.w, "MPI_Recv 1 KiB");
			MPI_Recv(buf, 1024, MPI_BYTE, 0, 2, pair, MPI_STATUS_IGNORE);
		}
	}
	if (m.rank == 1)
		MPI_Send(buf, 1, MPI_BYTE, 0, 3, pair);
	else
		MPI_Recv(buf, 1, MPI_BYTE, 1, 3, pair, MPI_STATUS_IGNORE);
	return (double)count * 1024 / (MPI_Wtime() - t0) / 1e6; /* MB/s */
}

/* What rank 0 learns from racelab-ipc. */
struct ipc_numbers {
	bool ok;
	double round_trip_us, pipe_mb_s, mq_mb_s, ring_mb_s;
	char why[PATH_MAX + 64];
};

/* Run racelab-ipc (next to this program) with args and --json, and give
 * back its last JSON record.  Its environment is ours without the board's
 * and the JSON pipe's variables (the shell's, or lab_mpi's for the
 * ranks): it runs on a board of its own, and its records come to us. */
static json_t *
run_ipc(const char *demo, const char *const *args, char *why, size_t whylen)
{
	extern char **environ;
	char self[PATH_MAX], prog[PATH_MAX + 16], out[65536];
	const char *argv[16];
	char **envp;
	size_t nenv = 0, len = 0;
	ssize_t got;
	int fds[2], status, argc = 0, k = 0;
	pid_t parent = getpid();
	json_t *last = NULL;
	char *line, *save;
	pid_t pid;

	got = readlink("/proc/self/exe", self, sizeof self - 1);
	if (got < 0) {
		snprintf(why, whylen, "/proc/self/exe: %s", strerror(errno));
		return NULL;
	}
	self[got] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(prog, sizeof prog, "%s/racelab-ipc", self);
	argv[argc++] = prog;
	for (; *args; args++)
		argv[argc++] = *args;
	argv[argc++] = "--json";
	argv[argc] = NULL;
	while (environ[nenv])
		nenv++;
	envp = calloc(nenv + 1, sizeof *envp);
	if (!envp || pipe(fds) < 0) {
		free(envp);
		snprintf(why, whylen, "out of resources");
		return NULL;
	}
	for (size_t i = 0; i < nenv; i++)
		if (strncmp(environ[i], BOARD_ENV_FD "=", sizeof BOARD_ENV_FD) != 0 &&
		    strncmp(environ[i], "RACELAB_JSON_FD=", 16) != 0 &&
		    strncmp(environ[i], "RACELAB_MPI_", 12) != 0)
			envp[k++] = environ[i];
	/* fork, not posix_spawn: the child must die with this rank
	 * (PR_SET_PDEATHSIG), as the rank dies with mpirun, so that no
	 * racelab-ipc outlives a killed job. */
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127); /* the rank died before the prctl */
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execve(prog, (char *const *)argv, envp);
		_exit(127);
	}
	free(envp);
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	close(fds[1]);
	while (len < sizeof out - 1 &&
	       (got = read(fds[0], out + len, sizeof out - 1 - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		len += (size_t)got;
	}
	out[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, whylen, "racelab-ipc --demo %s failed", demo);
		return NULL;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		if (j) {
			json_decref(last);
			last = j;
		}
	}
	if (!last)
		snprintf(why, whylen, "racelab-ipc printed no JSON record");
	return last;
}

static bool
ipc_num(json_t *j, const char *key, double *v)
{
	json_t *x = json_object_get(j, key);

	if (!json_is_number(x))
		return false;
	*v = json_number_value(x);
	return true;
}

#define IPC_MIB (1024.0 * 1024.0)

/* DOC: ipc
 * Lesson 06's measurements, run now by rank 0 while the other ranks
 * sleep: 2000 round trips of 8 bytes over a socketpair, and 50,000 1 KiB
 * messages through a pipe, a message queue and a shared-memory ring. */
static struct ipc_numbers
ipc_measure(void)
{
	static const char *const duplex[] = { "--demo", "duplex", "--round-trips",
	                                      "2000", NULL };
	static const char *const transfer[] = { "--demo", "transfer", NULL };
	struct ipc_numbers r = { .ok = false };
	json_t *d, *t;

	lab_step(m.w, "run racelab-ipc");
	d = run_ipc("duplex", duplex, r.why, sizeof r.why);
	if (!d)
		return r;
	t = run_ipc("transfer", transfer, r.why, sizeof r.why);
	if (t && ipc_num(d, "duplex_us_per_round_trip", &r.round_trip_us) &&
	    ipc_num(t, "pipe_mb_s", &r.pipe_mb_s) && ipc_num(t, "mq_mb_s", &r.mq_mb_s) &&
	    ipc_num(t, "ring_mb_s", &r.ring_mb_s)) {
		/* racelab-ipc's "mb_s" counts 2^20 bytes (its 1024 * 1024);
		 * this program's MB/s are 10^6 bytes (bytes per µs).  The same
		 * unit, or the side-by-side line is 4.9% off. */
		r.pipe_mb_s *= IPC_MIB / 1e6;
		r.mq_mb_s *= IPC_MIB / 1e6;
		r.ring_mb_s *= IPC_MIB / 1e6;
		r.ok = true;
	} else if (t)
		snprintf(r.why, sizeof r.why, "racelab-ipc's record lacks a field");
	json_decref(d);
	json_decref(t);
	return r;
}

static double
time_barrier(int reps)
{
	double t0;

	lab_step(m.w, "MPI_Barrier");
	MPI_Barrier(MPI_COMM_WORLD);
	t0 = MPI_Wtime();
	for (int i = 0; i < reps; i++)
		MPI_Barrier(MPI_COMM_WORLD);
	return (MPI_Wtime() - t0) / reps * 1e6;
}

/* DOC: bcast
 * Rank 0 has N (from its options); MPI_Bcast (MPI 3.1 §5.4) gives it to
 * every rank.  Each rank then says what it got, and MPI_Allreduce with
 * MPI_MIN and MPI_MAX shows whether all got the same. */
static uint64_t
broadcast_n(uint64_t n, bool *same, double *us, int reps)
{
	uint64_t got = m.rank == 0 ? n : 0, lo, hi, v = got;
	double t0;

	lab_step(m.w, "MPI_Bcast");
	MPI_Bcast(&got, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	MPI_Allreduce(&got, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
	MPI_Allreduce(&got, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
	*same = lo == hi && (m.rank != 0 || lo == n);
	t0 = MPI_Wtime();
	for (int i = 0; i < reps; i++)
		MPI_Bcast(&v, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	*us = (MPI_Wtime() - t0) / reps * 1e6;
	return got;
}

/* The CPUs the whole job may use: the union of every rank's affinity
 * (under taskset, or a binding given to mpirun, one rank's is not all). */
static int
job_cpus(void)
{
	enum { WORDS = CPU_SETSIZE / 64 };
	uint64_t mine[WORDS] = { 0 }, all[WORDS];
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				mine[c / 64] |= 1ull << (c % 64);
	MPI_Allreduce(mine, all, WORDS, MPI_UINT64_T, MPI_BOR, MPI_COMM_WORLD);
	for (int w = 0; w < WORDS; w++)
		n += __builtin_popcountll(all[w]);
	return n;
}

int
main(int argc, char **argv)
{
	MPI_Datatype u128;
	MPI_Op op;
	char *buf;

	lab_mpi_init(&m, &lesson, argc, argv);
	buf = calloc(1, 1 << 20);
	if (!buf)
		lab_die(&m.lab, "out of memory");
	MPI_Type_contiguous((int)sizeof(lab_u128), MPI_BYTE, &u128);
	MPI_Type_commit(&u128);
	MPI_Op_create(u128_sum, 1, &op);
	for (int run = 1; run <= m.lab.o.runs; run++) {
		struct sum_result sums[MAX_TIMED + 2];
		double pp_us[NPP] = { 0 }, pp_mb[NPP] = { 0 }, stream_mb = 0;
		double barrier_us, bcast_us;
		double serial_ms, ms[MAX_TIMED + 1], speedup[MAX_TIMED + 1], best = 0;
		struct board_counter *sent = NULL;
		struct ipc_numbers ipc = { .ok = false };
		long long ks[MAX_TIMED + 1];
		int wrong = 0, ideal, cpus, nk = 0;
		bool same;
		uint64_t n;

		lab_mpi_run_begin(&m, run);
		if (m.rank == 0)
			sent = lab_counter(&m.lab, "messages", 0);
		cpus = job_cpus();
		barrier_us = time_barrier(1000);
		n = broadcast_n((uint64_t)n_opt, &same, &bcast_us, 1000);
		/* One rank twice: the yardstick is the faster (lesson 09's
		 * DOC: yardstick), then 2, 3, ... ranks. */
		for (int k = 1; k <= m.size && k <= MAX_TIMED; k++)
			ks[nk++] = k;
		if (m.size > MAX_TIMED)
			ks[nk++] = m.size;
		sums[0] = timed_sum(1, n, u128, op);
		for (int i = 0; i < nk; i++)
			sums[i + 1] = timed_sum((int)ks[i], n, u128, op);
		if (m.size >= 2) {
			MPI_Comm pair;

			MPI_Comm_split(MPI_COMM_WORLD, m.rank < 2 ? 0 : MPI_UNDEFINED,
			               m.rank, &pair);
			if (m.rank < 2) {
				for (int s = 0; s < NPP; s++) {
					pp_us[s] = ping_pong(pair, buf, pp_size[s],
					                     pp_reps[s], sent);
					pp_mb[s] = pp_size[s] / pp_us[s]; /* B/µs = MB/s */
				}
				stream_mb = stream(pair, buf, messages, sent);
				MPI_Comm_free(&pair);
			}
		}
		if (m.rank == 0 && !no_ipc)
			ipc = ipc_measure();
		quiet_barrier(MPI_COMM_WORLD);
		lab_mpi_run_end(&m);
		if (m.rank != 0)
			continue;
		if (!no_ipc && !ipc.ok)
			lab_die(&m.lab, "%s", ipc.why);

		serial_ms = sums[0].ms < sums[1].ms ? sums[0].ms : sums[1].ms;
		for (int i = 0; i <= nk; i++)
			wrong += !sums[i].correct;
		for (int i = 0; i < nk; i++) {
			ms[i] = sums[i + 1].ms;
			speedup[i] = serial_ms / sums[i + 1].ms;
			if (speedup[i] > best)
				best = speedup[i];
		}
		ideal = cpus < m.size ? cpus : m.size;
		if (m.lab.o.json) {
			struct lab_json j;
			char key[32], num[48];

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_int(&j, "ranks", m.size);
			lab_json_int(&j, "rank_cpus", m.lab.ncpu);
			lab_json_int(&j, "job_cpus", cpus);
			lab_json_num(&j, "barrier_us", barrier_us);
			lab_json_num(&j, "bcast_us", bcast_us);
			lab_json_int(&j, "bcast_same", same);
			lab_json_int(&j, "n", (long long)n);
			lab_json_str(&j, "expected", lab_u128_str(lab_sum_squares_closed(n),
			                                          num, sizeof num));
			lab_json_int(&j, "wrong_sums", wrong);
			lab_json_num(&j, "serial_ms", serial_ms);
			lab_json_int_array(&j, "ranks_timed", ks, nk);
			lab_json_num_array(&j, "ms", ms, nk);
			lab_json_num_array(&j, "speedup", speedup, nk);
			for (int i = 0; i < nk; i++) {
				snprintf(key, sizeof key, "speedup_%lld", ks[i]);
				lab_json_num(&j, key, speedup[i]);
			}
			lab_json_num(&j, "best_speedup", best);
			lab_json_int(&j, "ideal_speedup", ideal);
			if (m.size >= 2) {
				for (int s = 0; s < NPP; s++) {
					snprintf(key, sizeof key, "mpi_%s_us", pp_key[s]);
					lab_json_num(&j, key, pp_us[s]);
					snprintf(key, sizeof key, "mpi_%s_mb_s", pp_key[s]);
					lab_json_num(&j, key, pp_mb[s]);
				}
				lab_json_num(&j, "mpi_round_trip_us", 2 * pp_us[0]);
				lab_json_num(&j, "mpi_stream_mb_s", stream_mb);
				lab_json_int(&j, "messages", messages);
			}
			if (ipc.ok) {
				lab_json_num(&j, "ipc_round_trip_us", ipc.round_trip_us);
				lab_json_num(&j, "ipc_pipe_mb_s", ipc.pipe_mb_s);
				lab_json_num(&j, "ipc_mq_mb_s", ipc.mq_mb_s);
				lab_json_num(&j, "ipc_ring_mb_s", ipc.ring_mb_s);
			}
			lab_json_end(&j);
		}
		if (lab_text(&m.lab) && !m.lab.o.quiet) {
			char num[48];

			printf("%d ranks on %d CPU%s (rank 0 may use %d)\n", m.size, cpus,
			       cpus == 1 ? "" : "s", m.lab.ncpu);
			printf("MPI_Barrier %.2f us, MPI_Bcast of 8 bytes %.2f us (mean of 1000)%s\n",
			       barrier_us, bcast_us, same ? "" : "  RANKS DISAGREE");
			printf("\nSum of squares of 1..%llu = %s\n", (unsigned long long)n,
			       lab_u128_str(lab_sum_squares_closed(n), num, sizeof num));
			printf("%6s %10s %8s\n", "ranks", "ms", "speedup");
			for (int i = 0; i < nk; i++)
				printf("%6lld %10.1f %8.2f%s\n", ks[i], ms[i], speedup[i],
				       sums[i + 1].correct ? "" : "  WRONG SUM");
			printf("(at most %d: the job's CPUs, or the ranks)\n", ideal);
			if (m.size >= 2) {
				printf("\nRank 0 <-> rank 1, per message (half a round trip):\n");
				for (int s = 0; s < NPP; s++)
					printf("%9d bytes %10.2f us %10.1f MB/s\n", pp_size[s],
					       pp_us[s], pp_mb[s]);
				printf("stream of %ld x 1 KiB: %.1f MB/s\n", messages, stream_mb);
			}
			if (ipc.ok)
				printf("\nlesson 06 (racelab-ipc), same run: socketpair round trip "
				       "%.2f us (MPI: %.2f); 1 KiB: pipe %.1f, queue %.1f, "
				       "ring %.1f MB/s\n", ipc.round_trip_us, 2 * pp_us[0],
				       ipc.pipe_mb_s, ipc.mq_mb_s, ipc.ring_mb_s);
			fflush(stdout);
		}
	}
	MPI_Op_free(&op);
	MPI_Type_free(&u128);
	free(buf);
	lab_mpi_finalize(&m, 0);
}
