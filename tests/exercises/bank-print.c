// RIGHT: the mutex, and a line printed by every call (the learner's
// output does not hide the driver's verdict).
#include <stdio.h>
#include <pthread.h>

struct account {
	long balance;
	pthread_mutex_t lock;
};

void deposit(struct account *a, long amount);
void withdraw(struct account *a, long amount);

void
deposit(struct account *a, long amount)
{
	pthread_mutex_lock(&a->lock);
	a->balance += amount;
	printf("deposit: balance %ld\n", a->balance);
	pthread_mutex_unlock(&a->lock);
}

void
withdraw(struct account *a, long amount)
{
	pthread_mutex_lock(&a->lock);
	a->balance -= amount;
	pthread_mutex_unlock(&a->lock);
	printf("withdrew %ld\n", amount);
}
