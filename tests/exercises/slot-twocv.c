// RIGHT: two condition variables, one per kind of waiter, and while.
#include <pthread.h>

struct slot {
	int full;
	int item;
	pthread_mutex_t m;
	pthread_cond_t not_full, not_empty;
};

void put(struct slot *s, int item);
int take(struct slot *s);


void
put(struct slot *s, int item)
{
	pthread_mutex_lock(&s->m);
	while (s->full)
		pthread_cond_wait(&s->not_full, &s->m);
	s->item = item;
	s->full = 1;
	pthread_cond_signal(&s->not_empty);
	pthread_mutex_unlock(&s->m);
}

int
take(struct slot *s)
{
	int item;

	pthread_mutex_lock(&s->m);
	while (!s->full)
		pthread_cond_wait(&s->not_empty, &s->m);
	item = s->item;
	s->full = 0;
	pthread_cond_signal(&s->not_full);
	pthread_mutex_unlock(&s->m);
	return item;
}
