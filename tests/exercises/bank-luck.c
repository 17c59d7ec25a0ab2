// WRONG (passes by luck on free threads): one statement, but a load and a
// store underneath; two threads can interleave them.
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
	a->balance += amount;
}

void
withdraw(struct account *a, long amount)
{
	a->balance -= amount;
}
