// counter.c with the read and the write under one mutex: every
// interleaving ends with "counter = 2".
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

int counter;
pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
worker(void *arg)
{
	int v;

	(void)arg;
	pthread_mutex_lock(&counter_lock);
	v = counter;
	sched_yield();
	counter = v + 1;
	pthread_mutex_unlock(&counter_lock);
	return NULL;
}

int
main(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, worker, NULL);
	pthread_create(&b, NULL, worker, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("counter = %d\n", counter);
	return 0;
}
