// A semaphore of one permit guarding a slot: two threads take it in turn
// (sem_wait, use, sem_post).  tests/e2e/watch_locks.sh steps one inside
// and the other into the wait, then lets the first post, and reads the
// Locks panel: value, holder, waiter, acquisitions.
#include <semaphore.h>
#include <pthread.h>
#include <stdio.h>

sem_t slot;
int uses;

void *user(void *arg);

void *
user(void *arg)
{
	(void)arg;
	sem_wait(&slot);
	uses++;
	sem_post(&slot);
	return NULL;
}

int
main(void)
{
	pthread_t t[2];

	sem_init(&slot, 0, 1);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, user, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("uses = %d\n", uses);
	return 0;
}
