// Three runners meet at a barrier of three: the first two wait, the
// third lets all go.  tests/e2e/watch_locks.sh steps them in one by one
// and reads the Locks panel: how many have arrived of how many, who waits.
#include <pthread.h>
#include <stdio.h>

pthread_barrier_t start_line;
int ran;

void *runner(void *arg);

void *
runner(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start_line);
	__atomic_fetch_add(&ran, 1, __ATOMIC_RELAXED);
	return NULL;
}

int
main(void)
{
	pthread_t t[3];

	pthread_barrier_init(&start_line, NULL, 3);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, runner, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("ran = %d\n", ran);
	return 0;
}
