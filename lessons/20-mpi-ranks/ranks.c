// Lesson 20: ranks are processes.  MPI point to point, on Open MPI.
//
// mpirun starts --workers ranks of this very program (src/lab/lab_mpi.c
// re-runs it under mpirun --oversubscribe -np N); each is a process with
// its own pid, and none is a child of the lesson: mpirun is their parent.
// Every rank but 0 sends rank 0 one message; rank 0 receives them with
// MPI_ANY_SOURCE, in an order no one has fixed: a message that comes while
// rank 0 waits is taken at once, messages already waiting are taken in
// Open MPI's order (ob1: the senders in turn, by rank), not by arrival.
// --demo hang: rank 0 waits for a message with a tag nobody sends, and the
// launcher's watchdog finds every rank stuck and stops the job.
#include "lab/lab_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { TAG_HELLO = 1, TAG_NEVER = 2 };

static const char *demo = "order";
static double hold_s;
/* One rank receives, the others send. */
static struct lab_mpi m = {.watchdog_s = 5, .min_ranks = 2};

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo, "order|hang",
	  "order: every rank sends to rank 0 (default); hang: rank 0 also "
	  "waits for a message nobody sends", 0, 0 },
	{ "hold", LAB_OPT_DOUBLE, &hold_s, "S",
	  "each rank sleeps S seconds before it sends (to watch the ranks)", 0, 60 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "mpi-ranks",
	.title = "Ranks are processes: MPI point to point on Open MPI",
	.about = "mpirun starts --workers ranks; each sends rank 0 a message, and rank 0\n"
	         "receives them with MPI_ANY_SOURCE, in an order no one fixed.\n"
	         "--demo hang: a receive with no matching send, and the watchdog.",
	.workers = 4,
	.runs = 1,
	.options = options,
};

/* What a sender tells rank 0: who it is, as the kernel sees it. */
struct hello {
	int rank;
	int pid;
	int ppid;
	int pgid;
};

/* DOC: send
 * Every rank but 0: one message to rank 0.  A small message goes out at
 * once (Open MPI sends it eagerly, whether or not rank 0 is receiving),
 * so the sender goes on without waiting. */
static void
send_hello(void)
{
	struct hello h = {m.rank, (int)getpid(), (int)getppid(), (int)getpgrp()};

	lab_step(m.w, "MPI_Send to 0");
	MPI_Send(&h, sizeof h, MPI_BYTE, 0, TAG_HELLO, MPI_COMM_WORLD);
	lab_mpi_sent(&m, 0); /* rank 0 may move now: step mode waits for it */
}

/* DOC: receive-any
 * Rank 0: size-1 messages, from anyone.  status.MPI_SOURCE says who it
 * was; order[] keeps the order MPI_Recv returned them in (the order of
 * arrival only for a message that came while rank 0 was waiting). */
static void
receive_hellos(int *order, struct hello *from)
{
	for (int i = 0; i < m.size - 1; i++) {
		MPI_Status st;
		struct hello h;

		lab_mpi_wait(&m, "MPI_Recv from any");
		MPI_Recv(&h, sizeof h, MPI_BYTE, MPI_ANY_SOURCE, TAG_HELLO,
		         MPI_COMM_WORLD, &st);
		lab_mpi_done(&m);
		order[i] = st.MPI_SOURCE;
		from[st.MPI_SOURCE] = h;
	}
}

/* DOC: hang
 * A receive that no send matches: rank 1 sent tag 1, this waits for tag
 * 2.  MPI_Recv returns only when a matching message arrives, so it never
 * does; the others wait at the end-of-run barrier for rank 0. */
static void
receive_never(void)
{
	int x;

	lab_mpi_wait(&m, "MPI_Recv from 1, tag 2");
	MPI_Recv(&x, 1, MPI_INT, 1, TAG_NEVER, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	lab_mpi_done(&m);
}

/* The orders seen so far in this job, to say how many differ. */
static long long seen[BOARD_MAX_RUNS];
static int nseen;

static int
distinct_orders(long long code)
{
	int d = 0;

	if (nseen < BOARD_MAX_RUNS)
		seen[nseen++] = code;
	for (int i = 0; i < nseen; i++) {
		int j = 0;

		while (j < i && seen[j] != seen[i])
			j++;
		d += j == i;
	}
	return d;
}

static void
report(int run, const int *order, const struct hello *from, double ms)
{
	int n = m.size;
	long long *v = calloc((size_t)n, sizeof *v), code = 0;
	char text[256] = "";
	size_t len = 0;
	struct lab_json j;

	for (int i = 0; i < n - 1; i++) {
		code = code * 10 + order[i];
		len += (size_t)snprintf(text + len, sizeof text - len, "%s%d",
		                        i ? " " : "", order[i]);
		if (len >= sizeof text)
			break;
	}
	int distinct = distinct_orders(code);

	lab_result(&m.lab, "run %d: %d ranks; rank 0 received from: %s (%.1f ms)\n",
	           run, n, text, ms);
	if (run == m.lab.o.runs && run > 1)
		lab_result(&m.lab, "%d different orders in %d runs\n",
		           distinct, run);
	if (!m.lab.o.json) {
		free(v);
		return;
	}
	lab_json_begin(&j);
	lab_json_int(&j, "run", run);
	lab_json_int(&j, "ranks", n);
	lab_json_num(&j, "elapsed_ms", ms);
	for (int i = 0; i < n - 1; i++)
		v[i] = order[i];
	lab_json_int_array(&j, "order", v, n - 1);
	lab_json_int(&j, "first", order[0]);
	/* The whole order as one number (rank digits, 3 1 2 -> 312), with 11
	 * ranks at most: what the histogram counts. */
	if (n <= 11)
		lab_json_int(&j, "order_code", code);
	lab_json_int(&j, "distinct_orders", distinct); /* in runs 1..run */
	for (int r = 0; r < n; r++)
		v[r] = from[r].pid;
	lab_json_int_array(&j, "pids", v, n);
	for (int r = 0; r < n; r++)
		v[r] = from[r].ppid;
	lab_json_int_array(&j, "ppids", v, n);
	for (int r = 0; r < n; r++)
		v[r] = from[r].pgid;
	lab_json_int_array(&j, "pgids", v, n);
	/* Ranks that lead a process group of their own (pgid == pid). */
	long long leaders = 0;

	for (int r = 0; r < n; r++)
		leaders += from[r].pgid == from[r].pid;
	lab_json_int(&j, "group_leaders", leaders);
	lab_json_int(&j, "mpirun_pid", m.mpirun);
	lab_json_int(&j, "lesson_pid", m.launcher);
	lab_json_int(&j, "lesson_pgid", m.launcher ? getpgid(m.launcher) : -1);
	lab_json_int(&j, "on_board", m.on_board);
	lab_json_end(&j);
	free(v);
}

int
main(int argc, char **argv)
{
	lab_mpi_init(&m, &lesson, argc, argv); /* from here on: a rank */
	/* Rank 0's: the order of arrival, for the histogram. */
	struct board_counter *c = m.rank == 0 ? lab_counter(&m.lab, "order", 0) : NULL;
	int *order = calloc((size_t)m.size, sizeof *order);
	struct hello *from = calloc((size_t)m.size, sizeof *from);
	bool hang = strcmp(demo, "hang") == 0;

	if (!order || !from)
		lab_die(&m.lab, "out of memory");
	if (m.rank == 0)
		lab_say(&m.lab, "%d ranks started by mpirun (pid %d), not by the lesson "
		        "(pid %d): each a process\n", m.size, (int)m.mpirun, (int)m.launcher);
	for (int run = 1; run <= m.lab.o.runs; run++) {
		lab_mpi_run_begin(&m, run);
		if (run == 1)
			lab_say(&m.lab, "rank %d: pid %d, parent %d (mpirun), on %s\n",
			        m.rank, (int)getpid(), (int)getppid(), m.host);
		if (hold_s > 0)
			lab_sleep(m.w, hold_s);
		if (m.rank == 0) {
			from[0] = (struct hello){0, (int)getpid(), (int)getppid(), (int)getpgrp()};
			receive_hellos(order, from);
			if (hang)
				receive_never();
			long long code = 0;

			for (int i = 0; i < m.size - 1; i++)
				code = code * 10 + order[i];
			lab_counter_set(c, m.size <= 11 ? code : order[0]);
		} else {
			send_hello();
		}
		lab_mpi_run_end(&m);
		if (m.rank == 0)
			report(run, order, from, lab_elapsed_ms(&m.lab));
	}
	lab_mpi_finalize(&m, 0);
}
