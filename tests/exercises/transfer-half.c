// WRONG: locking too little: only the from account is locked, so the
// other transfer updates to at the same time.
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
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&from->lock);
}
