// WRONG (gaming the check): do nothing; +1 and -1 as often leave 100 at
// 100 anyway.  The driver's deposit and withdrawal made alone show it.
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
	(void)a;
	(void)amount;
}

void
withdraw(struct account *a, long amount)
{
	(void)a;
	(void)amount;
}
