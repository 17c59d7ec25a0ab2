// RIGHT: one global order (by address): no cycle can form.
#include <pthread.h>

struct account {
	long balance;
	pthread_mutex_t lock;
};

void transfer(struct account *from, struct account *to, long amount);


void
transfer(struct account *from, struct account *to, long amount)
{
	struct account *first = from < to ? from : to, *second = from < to ? to : from;

	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
}
