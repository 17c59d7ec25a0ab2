// A thread returns still holding a mutex; another then locks it and
// waits for ever: everyone asleep, and the lock's holder is the thread
// that ended holding it.
#include <pthread.h>

pthread_mutex_t right_fork = PTHREAD_MUTEX_INITIALIZER;

void *alice(void *arg);
void *bob(void *arg);

void *
alice(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&right_fork);
	return NULL; /* the unlock forgotten */
}

void *
bob(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&right_fork);
	pthread_mutex_unlock(&right_fork);
	return NULL;
}

int
main(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, alice, NULL);
	pthread_join(a, NULL);
	pthread_create(&b, NULL, bob, NULL);
	pthread_join(b, NULL);
	return 0;
}
