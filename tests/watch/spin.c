// A thread spins on a flag until main sets it (yielding, so each test
// of the flag is a scheduling point of the executable too).  A schedule
// that kept to the spinner would never let main set it; the scheduler is
// fair (the spinner's second yield hands the turn on), so every run ends.
// tests/watch/spin_forever.c is the spin nobody ends.
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
	sched_yield(); /* a point: the spinner may run first */
	flag = 1;
	pthread_join(t, NULL);
	puts("done");
	return 0;
}
