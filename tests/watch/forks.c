// Two philosophers and two forks, taken in opposite orders: alice takes
// left_fork then right_fork, bob right_fork then left_fork.  Some
// interleavings deadlock (each holds one fork and waits for the other).
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t left_fork = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t right_fork = PTHREAD_MUTEX_INITIALIZER;
int meals;

void *alice(void *arg);
void *bob(void *arg);

void *
alice(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&left_fork);
	pthread_mutex_lock(&right_fork);
	meals++;
	pthread_mutex_unlock(&right_fork);
	pthread_mutex_unlock(&left_fork);
	return NULL;
}

void *
bob(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&right_fork);
	pthread_mutex_lock(&left_fork);
	meals++;
	pthread_mutex_unlock(&left_fork);
	pthread_mutex_unlock(&right_fork);
	return NULL;
}

int
main(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, alice, NULL);
	pthread_create(&b, NULL, bob, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("meals = %d\n", meals);
	return 0;
}
