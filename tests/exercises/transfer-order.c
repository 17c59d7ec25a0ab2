// WRONG: the wrong order: from first, then to; opposite transfers each
// hold one lock and wait for the other (the template).
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
