// WRONG: does not compile: a missing semicolon in deposit() (line 16).
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
	a->balance += amount
}

void
withdraw(struct account *a, long amount)
{
	a->balance -= amount;
}
