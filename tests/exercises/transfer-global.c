// RIGHT: one lock for every transfer (coarse, but no cycle).
#include <pthread.h>

struct account {
	long balance;
	pthread_mutex_t lock;
};

void transfer(struct account *from, struct account *to, long amount);


static pthread_mutex_t bank_lock = PTHREAD_MUTEX_INITIALIZER;

void
transfer(struct account *from, struct account *to, long amount)
{
	pthread_mutex_lock(&bank_lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&bank_lock);
}
