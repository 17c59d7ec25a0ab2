// The checker's driver for exercise slot: one producer puts 1..4 with the
// learner's put(), two consumers take two items each with take().  Each
// consumer checks every item as it takes it (a marked point during the
// run: a number it has no business getting, or one it took before), and
// main() checks at the end that every item was taken exactly once.  A
// failed check prints what went wrong on stdout and exits 1; a consumer
// asleep for ever is the explorer's to see.  A run that passes ends with
// a line "ok: ..." (the checker fails a run that exits 0 without it).
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

enum { ITEMS = 4, CONSUMERS = 2, EACH = ITEMS / CONSUMERS };

static struct slot slot;

static void *
producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= ITEMS; i++)
		put(&slot, i);
	return NULL;
}

/* What a consumer took, in its own record (arg): written by it alone,
 * read by main() after the join, so the driver adds no sharing (and no
 * scheduling point) of its own. */
struct took {
	int item[EACH];
};

static void *
consumer(void *arg)
{
	struct took *t = arg;

	for (int k = 0; k < EACH; k++) {
		int item = take(&slot);

		/* The marked point: every item, as it is taken. */
		if (item < 1 || item > ITEMS) {
			printf("take() returned %d: it took from an empty slot\n", item);
			exit(1);
		}
		for (int j = 0; j < k; j++)
			if (t->item[j] == item) {
				printf("item %d was taken twice: a take() found the slot empty "
				       "and took the old item again\n", item);
				exit(1);
			}
		t->item[k] = item;
	}
	return NULL;
}

int
main(void)
{
	pthread_t p, c[CONSUMERS];
	struct took took[CONSUMERS];
	int times[ITEMS + 1] = {0};

	pthread_mutex_init(&slot.m, NULL);
	pthread_cond_init(&slot.not_full, NULL);
	pthread_cond_init(&slot.not_empty, NULL);
	pthread_create(&p, NULL, producer, NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, consumer, &took[i]);
	pthread_join(p, NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		for (int k = 0; k < EACH; k++)
			times[took[i].item[k]]++;
	for (int i = 1; i <= ITEMS; i++)
		if (times[i] != 1) {
			printf("item %d was taken %d times, not once: %s\n", i, times[i],
			       times[i] ? "a take() found the slot empty and took the old "
			       "item again" : "a put() overwrote it before anyone took it");
			return 1;
		}
	printf("ok: items 1 to 4 taken once each\n");
	return 0;
}
