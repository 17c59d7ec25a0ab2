// RIGHT: the mutex around the read and the write.
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
	pthread_mutex_unlock(&a->lock);
}

void
withdraw(struct account *a, long amount)
{
	pthread_mutex_lock(&a->lock);
	a->balance -= amount;
	pthread_mutex_unlock(&a->lock);
}
