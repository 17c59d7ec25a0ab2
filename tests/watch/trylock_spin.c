// Two threads take a mutex by trylock-and-back-off (sched_yield between
// tries), then add one to a counter.  On a machine it always ends with
// counter = 2; a scheduler that is not fair keeps running the spinner
// while the holder waits, and the step bound cuts the run.
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
int counter;

void *worker(void *arg);

void *
worker(void *arg)
{
	(void)arg;
	while (pthread_mutex_trylock(&m) != 0)
		sched_yield();
	counter++;
	pthread_mutex_unlock(&m);
	return NULL;
}

int
main(void)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("counter = %d\n", counter);
	return 0;
}
