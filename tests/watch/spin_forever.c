// A thread spins (yielding) on a flag that nobody sets: no schedule,
// fair or not, ends it; the step bound cuts every run.
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

volatile int flag;

void *spinner(void *arg);

void *
spinner(void *arg)
{
	(void)arg;
	while (!flag)
		sched_yield();
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, spinner, NULL);
	pthread_join(t, NULL);
	puts("done");
	return 0;
}
