// bench/watch.sh's program: two threads of ten scheduling points each
// (their start, eight yields, their end), so each run is about twenty
// scheduled steps.  An argument gives the yields a thread (the long run
// of the hand-off bench).
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static int yields = 8;

void *worker(void *arg);

void *
worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < yields; i++)
		sched_yield();
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t a, b;

	if (argc > 1)
		yields = atoi(argv[1]);
	pthread_create(&a, NULL, worker, NULL);
	pthread_create(&b, NULL, worker, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	puts("done");
	return 0;
}
