// Exercise bank (lesson 04): make deposit() and withdraw() safe when
// several threads call them at the same time.
//
// The checker (racelab --check bank) compiles this file with its own
// driver: the balance starts at 100, one thread withdraws 1 and another
// deposits 1, a few times each, and the balance must end at 100 in every
// interleaving of the two with at most two preemptions (and in 20 runs
// on free threads); then, alone, a deposit and a withdrawal must still
// move the money.  The driver initialises a->lock; keep the struct and
// the two functions' signatures as they are.
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
	long b = a->balance; /* read ...            */
	a->balance = b + amount; /* ... then write back */
}

void
withdraw(struct account *a, long amount)
{
	long b = a->balance;
	a->balance = b - amount;
}
