// WRONG (gaming the check): end the program with status 0 before the
// driver can look at the balance.  The driver's "ok: " line never comes.
#include <unistd.h>
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
	_exit(0);
}

void
withdraw(struct account *a, long amount)
{
	(void)a;
	(void)amount;
	_exit(0);
}
