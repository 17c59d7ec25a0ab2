// WRONG: a home-made flag: both threads can see it clear and both go in.
#include <pthread.h>

struct account {
	long balance;
	pthread_mutex_t lock;
};

void deposit(struct account *a, long amount);
void withdraw(struct account *a, long amount);


static int busy;

void
deposit(struct account *a, long amount)
{
	while (busy)
		;
	busy = 1;
	a->balance += amount;
	busy = 0;
}

void
withdraw(struct account *a, long amount)
{
	while (busy)
		;
	busy = 1;
	a->balance -= amount;
	busy = 0;
}
