// MPI lessons: ranks started by Open MPI's mpirun, watched on the board.
//
// A lesson program written against this header is one binary with two
// roles.  Started as usual (from a shell, or by racelab's shell), it is the
// *launcher*: it parses the lab's options, maps the board, and re-runs
// itself under
//
//     mpirun --oversubscribe -np N /path/to/racelab-SLUG ARGS...
//
// (N = --workers), then waits for the job, watches it (--watchdog) and
// exits with its status.  Started by mpirun (OMPI_COMM_WORLD_SIZE is in its
// environment), it is a *rank*: MPI_Init, then it publishes itself on the
// launcher's board as worker rank+1, named "rank R", with its real pid, so
// the shell's Processes panel finds it in /proc like any other worker.
//
// mpirun does not pass inherited file descriptors on to the ranks (it
// closes every fd above 2 in them: measured with Open MPI 4.1.4), so the
// launcher passes the board and the shell's JSON pipe by name: a rank opens
// /proc/LAUNCHER/fd/N (RACELAB_MPI_BOARD, RACELAB_MPI_JSON in its
// environment).  A rank on another host (--hostfile) cannot: it runs on a
// private board that nobody watches (lab_mpi.on_board false), and only its
// output and rank 0's --json records come back, through mpirun.
//
// mpirun puts every rank in a process group of its own (measured), and on
// the way out it signals each rank's whole group; so the ranks stay there,
// out of the launcher's group: the shell's SIGTERM and SIGKILL to the
// demo's group reach the launcher and mpirun, mpirun ends its ranks, and a
// rank also dies with mpirun (PR_SET_PDEATHSIG) as mpirun dies with the
// launcher, however it ends.  The shell's freeze (SIGSTOP to the group)
// does not reach the ranks either: a thread of each rank stops the rank
// while the board's control.freeze is set, and the launcher continues the
// ranks once thawed (so a rank runs one more thread, and MPI is
// initialised MPI_THREAD_FUNNELED).  Open MPI's session directory and
// shared-memory segments go to a directory the lab's cleanup helper
// removes however the launcher ends (lab_clean.c): under $TMPDIR when it
// is set, else in /dev/shm (not with --hostfile: see lab_mpi.c).
//
// Usage, in the lesson's .c (lessons/20-mpi-ranks/ranks.c is the model):
//
//     static struct lab_mpi m = { .watchdog_s = 2, .min_ranks = 2 };
//     int main(int argc, char **argv) {
//             lab_mpi_init(&m, &lesson, argc, argv); // a rank from here on
//             for (int run = 1; run <= m.lab.o.runs; run++) {
//                     lab_mpi_run_begin(&m, run);
//                     ... MPI calls, lab_step(m.w, "label") probes ...
//                     lab_mpi_run_end(&m);
//                     if (m.rank == 0) ... lab_json_* record, lab_result ...
//             }
//             lab_mpi_finalize(&m, 0);  // MPI_Finalize, exit(0)
//     }
//
// Options: the lab's --workers (ranks), --runs, --json, --quiet, --help,
// --version and the lesson's own, plus two of this module:
//   --hostfile FILE  passed to mpirun (ranks on other hosts: see above)
//   --watchdog S     the launcher stops a job in which no rank has passed a
//                    probe or changed state for S seconds, none of them in
//                    a timed sleep (--hold) meanwhile (0: never)
// --mode is always process; --schedule, --step, --quantum,
// --random-schedule, --trace and --explore are refused (exit 2): the ranks
// are started by mpirun, not by the lab, so no lab driver holds their
// gates.  Probes still publish each rank's label, line and STEP events
// (the Step panel and the timeline show them).
//
// The lesson's plain text and --json records are rank 0's to write (the
// launcher writes none, but the watchdog's).  Build: the Makefile compiles
// a lesson directory holding a file named `mpi` (or lessons/2N-mpi-*) with
// mpicc's flags (pkg-config ompi-c) and links it with src/lab/lab_mpi.c;
// no other program links MPI.
#ifndef RACELAB_LAB_MPI_H
#define RACELAB_LAB_MPI_H

#include <mpi.h>

#include "lab.h"

/* Environment the launcher passes to the ranks (mpirun -x). */
#define LAB_MPI_ENV_LAUNCHER "RACELAB_MPI_LAUNCHER" /* its pid */
#define LAB_MPI_ENV_BOARD "RACELAB_MPI_BOARD"       /* /proc/PID/fd/N */
#define LAB_MPI_ENV_JSON "RACELAB_MPI_JSON"         /* /proc/PID/fd/N */

struct lab_mpi {
	/* Set by the lesson before lab_mpi_init: */
	double watchdog_s; /* default --watchdog (0: none) */
	int min_ranks;     /* fewer --workers: a usage error, before mpirun */

	/* Filled in by lab_mpi_init, in every rank: */
	struct lab lab;    /* options (lab.o), the board; lab.run */
	int rank, size;    /* in MPI_COMM_WORLD */
	struct lab_worker *w; /* this rank as worker rank+1, for lab_step */
	bool on_board;     /* on the launcher's board (false: another host,
	                    * or started by hand under mpirun) */
	pid_t launcher;    /* the launcher's pid (0: started by hand) */
	pid_t mpirun;      /* the rank's parent: mpirun, or orted remotely */
	char host[64];     /* MPI_Get_processor_name */
	/* The launcher's copy (internal): */
	const char *hostfile;
	struct lab_lesson lesson_;
	struct lab_option *options_;
};

/* In the launcher: never returns (exits with the job's status, 2 on bad
 * options before anything starts, 3 when the watchdog stopped the job).
 * In a rank: MPI_Init, publish the rank, return.  Call it first in main. */
void lab_mpi_init(struct lab_mpi *m, const struct lab_lesson *lesson,
                  int argc, char **argv);
/* Collective (every rank calls it): a barrier, rank 0 resets the board
 * for run `run` (the launcher stays actor 0), every rank republishes
 * itself running, and a second barrier, so that a run starts with every
 * rank on the board. */
void lab_mpi_run_begin(struct lab_mpi *m, int run);
/* Collective: a probe ("MPI_Barrier: end of run", at the caller's line),
 * the barrier, the rank marked done; rank 0 records counter 0's value for
 * the histogram (the board's results) and ends the run: lab_run_end. */
#define lab_mpi_run_end(m)                                                     \
	do {                                                                     \
		lab_mpi_wait((m), "MPI_Barrier: end of run");                    \
		lab_mpi_run_end_(m);                                             \
	} while (0)
void lab_mpi_run_end_(struct lab_mpi *m);
/* Every rank's pid (or any one long long per rank) gathered at rank 0
 * into out[0..size-1]; out is ignored on the other ranks.  Collective. */
void lab_mpi_gather(struct lab_mpi *m, long long mine, long long *out);
/* A blocking call about to be made, shown on the board: state BLOCKED
 * and the label (a probe point: "MPI_Recv from any"); lab_mpi_done sets
 * the rank running again.  The watchdog names the label of a rank that
 * never came back.  While blocked the rank counts as settled in step
 * mode (lab_mpi_blocked): only another rank's step can move it. */
#define lab_mpi_wait(m, label)                                                 \
	do {                                                                     \
		lab_step((m)->w, (label));                                       \
		lab_mpi_blocked(m);                                              \
	} while (0)
void lab_mpi_blocked(struct lab_mpi *m);
/* Call just after a send to rank dest returns: if dest waits in MPI
 * (blocked, settled), the message may move it, so step mode waits for
 * dest's next probe before the step counts as done (and before the
 * counters are read for the trace). */
void lab_mpi_sent(struct lab_mpi *m, int dest);
void lab_mpi_done(struct lab_mpi *m);
/* Every rank: MPI_Finalize, then exit(status) (mpirun, and so the
 * launcher, exits with a non-zero status of any rank). */
_Noreturn void lab_mpi_finalize(struct lab_mpi *m, int status);

#endif
