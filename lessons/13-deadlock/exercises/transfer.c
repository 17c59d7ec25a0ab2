// Exercise transfer (lesson 13): move money between two accounts, each
// with its own lock.
//
// The checker (racelab --check transfer) compiles this file with its own
// driver: accounts A and B start at 100; one thread transfers 1 from A to
// B and another 1 from B to A, a few times each.  No interleaving (of
// those with at most two preemptions, and 20 free runs) may deadlock,
// and A + B must stay 200; then, alone, a transfer must move the money.
// The driver initialises both locks; keep the struct and the signature
// as they are.
#include <pthread.h>

struct account {
	long balance;
	pthread_mutex_t lock;
};

void transfer(struct account *from, struct account *to, long amount);

void
transfer(struct account *from, struct account *to, long amount)
{
	pthread_mutex_lock(&from->lock);
	pthread_mutex_lock(&to->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}
