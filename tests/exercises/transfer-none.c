// WRONG: no lock at all: updates are lost.
#include <pthread.h>

struct account {
	long balance;
	pthread_mutex_t lock;
};

void transfer(struct account *from, struct account *to, long amount);


void
transfer(struct account *from, struct account *to, long amount)
{
	from->balance -= amount;
	to->balance += amount;
}
