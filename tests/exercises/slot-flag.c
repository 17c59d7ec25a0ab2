// WRONG: a home-made flag: spin on s->full with no lock and no wait.
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
	while (s->full)
		;
	s->item = item;
	s->full = 1;
}

int
take(struct slot *s)
{
	while (!s->full)
		;
	s->full = 0;
	return s->item;
}
