// A thread that kills its own process while it holds a mutex: the
// process, and with it the thread and the mutex, is gone.
// tests/e2e/watch_locks.sh steps it inside (the sched_yield is a step),
// then lets it go on to the kill, and reads the Locks panel.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t vault = PTHREAD_MUTEX_INITIALIZER;

void *doomed(void *arg);

void *
doomed(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&vault);
	sched_yield();
	kill(getpid(), SIGKILL);
	pthread_mutex_unlock(&vault);
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, doomed, NULL);
	pthread_join(t, NULL);
	printf("not reached\n");
	return 0;
}
