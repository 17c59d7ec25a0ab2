// Exercise slot (lesson 17): a buffer of one item, for a producer and
// several consumers.
//
// The checker (racelab --check slot) compiles this file with its own
// driver: one producer puts 1, 2, 3, 4, two consumers take two items
// each.  In every interleaving it tries (the first 2000 with at most one
// preemption, and 20 free runs) each item must be taken exactly once,
// nobody may take from an empty slot, and nobody may sleep for ever.
// put() waits while the slot is full, take() while it is empty.  The
// driver initialises the mutex and both condition variables; keep the
// struct and the signatures as they are.
#include <pthread.h>

struct slot {
	int full; /* 1: item holds an item nobody has taken */
	int item;
	pthread_mutex_t m;
	pthread_cond_t not_full, not_empty;
};

void put(struct slot *s, int item);
int take(struct slot *s);

void
put(struct slot *s, int item)
{
	s->item = item;
	s->full = 1;
}

int
take(struct slot *s)
{
	s->full = 0;
	return s->item;
}
