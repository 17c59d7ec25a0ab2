// A racy counter: two threads add one each, as a read and a write with a
// yield between them (the executable's scheduling point; compiled as .c
// the read and the write are points of their own).  One interleaving in
// three... loses an update: "counter = 1".
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

int counter;

static void *
worker(void *arg)
{
	int v = counter;

	(void)arg;
	sched_yield();
	counter = v + 1;
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
