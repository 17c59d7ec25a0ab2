// A barrier initialised in a constructor (before main, and before
// racelab-watch's library takes charge): each of two threads sets its
// flag, waits at the barrier, then reads the other's flag.  The barrier
// makes "saw both" the one outcome; a model that missed the init let
// the first thread through alone.
#include <pthread.h>
#include <stdio.h>

static pthread_barrier_t b;
int flag[2], saw[2];

__attribute__((constructor)) static void
setup(void)
{
	pthread_barrier_init(&b, NULL, 2);
}

void *worker(void *arg);

void *
worker(void *arg)
{
	int me = (int)(long)arg;

	flag[me] = 1;
	pthread_barrier_wait(&b);
	saw[me] = flag[!me];
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, (void *)1L);
	worker((void *)0L);
	pthread_join(t, NULL);
	printf("saw %d %d\n", saw[0], saw[1]);
	return 0;
}
