// WRONG: an order by the balances: they tie at 100 (both threads take
// their "from" lock first) and change as money moves, so the two threads
// need not agree on the order.
#include <pthread.h>

struct account {
	long balance;
	pthread_mutex_t lock;
};

void transfer(struct account *from, struct account *to, long amount);

void
transfer(struct account *from, struct account *to, long amount)
{
	struct account *first = from->balance <= to->balance ? from : to;
	struct account *second = first == from ? to : from;

	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
}
