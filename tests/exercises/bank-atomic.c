// RIGHT: an atomic read-modify-write, no lock.
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
	__atomic_fetch_add(&a->balance, amount, __ATOMIC_SEQ_CST);
}

void
withdraw(struct account *a, long amount)
{
	__atomic_fetch_sub(&a->balance, amount, __ATOMIC_SEQ_CST);
}
