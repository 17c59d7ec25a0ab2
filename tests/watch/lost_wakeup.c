// A lost wake-up: main signals before the waiter waits, and the waiter
// checks no condition it could see (a flag nobody sets): in some
// interleavings everyone ends asleep (main in its join, the waiter on
// the condition variable that will not be signalled again).
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t ready = PTHREAD_COND_INITIALIZER;

void *waiter(void *arg);

void *
waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	pthread_cond_wait(&ready, &m);
	pthread_mutex_unlock(&m);
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, waiter, NULL);
	pthread_mutex_lock(&m);
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&m);
	pthread_join(t, NULL);
	puts("woken");
	return 0;
}
