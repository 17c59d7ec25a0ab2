// The racy counter as it is usually written: counter = counter + 1, no
// call between the read and the write.  As an executable racelab-watch
// sees no scheduling point there (only the pthread calls): every
// interleaving gives "counter = 2".  As a .c file each access is a
// point, and the lost update ("counter = 1") is found.
#include <pthread.h>
#include <stdio.h>

int counter;

void *worker(void *arg);

void *
worker(void *arg)
{
	(void)arg;
	counter = counter + 1;
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
