/* A thread that really sleeps inside its step: in the shell's step mode
 * its usleep is a step's gate, and the sleep runs after the grant.  The
 * step is over only when it has woken, printed and reached its end: a
 * timed sleep is not "asleep outside the model". */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *
napper(void *arg)
{
	(void)arg;
	usleep(700000);
	printf("woke\n");
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, napper, NULL);
	pthread_join(t, NULL);
	return 0;
}
