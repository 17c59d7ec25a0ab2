// The checker's driver for exercise slot: one producer puts 1..4 with the
// learner's put(), two consumers take two items each with take().  Each
// consumer checks every item as it takes it (a marked point during the
// run: a number it has no business getting, or one taken twice), and
// main() checks at the end that every item was taken exactly once.  A
// failed check prints what went wrong on stdout and exits 1; a consumer
// asleep for ever is the explorer's to see.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct slot {
	int full;
	int item;
	pthread_mutex_t m;
	pthread_cond_t not_full, not_empty;
};

void put(struct slot *s, int item);
int take(struct slot *s);

enum { ITEMS = 4, CONSUMERS = 2 };

static struct slot slot;
/* taken[i]: how many times item i was taken; each consumer writes it
 * under its own lock so the driver adds no race of its own. */
static int taken[ITEMS + 1];
static pthread_mutex_t taken_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= ITEMS; i++)
		put(&slot, i);
	return NULL;
}

static void *
consumer(void *arg)
{
	(void)arg;
	for (int k = 0; k < ITEMS / CONSUMERS; k++) {
		int item = take(&slot);

		if (item < 1 || item > ITEMS) {
			printf("take() returned %d: it took from an empty slot\n", item);
			exit(1);
		}
		pthread_mutex_lock(&taken_lock);
		if (taken[item]++) {
			printf("item %d was taken twice: a take() found the slot empty "
			       "and took the old item again\n", item);
			exit(1);
		}
		pthread_mutex_unlock(&taken_lock);
	}
	return NULL;
}

int
main(void)
{
	pthread_t p, c[CONSUMERS];

	pthread_mutex_init(&slot.m, NULL);
	pthread_cond_init(&slot.not_full, NULL);
	pthread_cond_init(&slot.not_empty, NULL);
	pthread_create(&p, NULL, producer, NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, consumer, NULL);
	pthread_join(p, NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	for (int i = 1; i <= ITEMS; i++)
		if (taken[i] != 1) {
			printf("item %d was taken %d times, not once\n", i, taken[i]);
			return 1;
		}
	printf("items 1 to 4 taken once each\n");
	return 0;
}
