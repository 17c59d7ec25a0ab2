// A child process that SIGKILLs itself while it holds a robust,
// process-shared mutex (in memory it shares with its parent).  The
// kernel's robust-futex list marks the mutex: the parent, once it has
// reaped the child, takes it with EOWNERDEAD (the holder died), makes it
// consistent and goes on.  tests/e2e/watch_locks.sh steps it and reads
// the Locks panel: held by the dead child, then by the parent.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t *vault = mmap(NULL, sizeof *vault, PROT_READ | PROT_WRITE,
	                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int st, r;

	if (vault == MAP_FAILED)
		return 1;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(vault, &a);
	pid = fork();
	if (pid == 0) {
		pthread_mutex_lock(vault);
		kill(getpid(), SIGKILL);
	}
	waitpid(pid, &st, 0);
	r = pthread_mutex_lock(vault);
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(vault);
	printf("child %s, lock: %s\n", WIFSIGNALED(st) ? "killed" : "exited",
	       r == EOWNERDEAD ? "owner died" : r == 0 ? "taken" : "failed");
	pthread_mutex_unlock(vault);
	return 0;
}
