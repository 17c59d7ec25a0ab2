// WRONG: the read and the write each under the lock, but not together:
// another update can come between them.
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
	long b;

	pthread_mutex_lock(&a->lock);
	b = a->balance;
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_lock(&a->lock);
	a->balance = b + amount;
	pthread_mutex_unlock(&a->lock);
}

void
withdraw(struct account *a, long amount)
{
	long b;

	pthread_mutex_lock(&a->lock);
	b = a->balance;
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_lock(&a->lock);
	a->balance = b - amount;
	pthread_mutex_unlock(&a->lock);
}
