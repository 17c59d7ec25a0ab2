// The checker's driver for exercise transfer: two threads move money in
// opposite directions with the learner's transfer(); a deadlock is the
// explorer's to see, the totals are checked here.  A failed check prints
// what went wrong on stdout and exits 1; a run that passes ends with a
// line "ok: ..." (the checker fails a run that exits 0 without it).
#include <pthread.h>
#include <stdio.h>

struct account {
	long balance;
	pthread_mutex_t lock;
};

void transfer(struct account *from, struct account *to, long amount);

enum { TIMES = 2 };

static struct account a = { .balance = 100 }, b = { .balance = 100 };

static void *
a_to_b(void *arg)
{
	(void)arg;
	for (int i = 0; i < TIMES; i++)
		transfer(&a, &b, 1);
	return NULL;
}

static void *
b_to_a(void *arg)
{
	(void)arg;
	for (int i = 0; i < TIMES; i++)
		transfer(&b, &a, 1);
	return NULL;
}

int
main(void)
{
	pthread_t t1, t2;

	pthread_mutex_init(&a.lock, NULL);
	pthread_mutex_init(&b.lock, NULL);
	pthread_create(&t1, NULL, a_to_b, NULL);
	pthread_create(&t2, NULL, b_to_a, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	if (a.balance + b.balance != 200) {
		printf("A + B is %ld, not 200: money was made or lost\n", a.balance + b.balance);
		return 1;
	}
	if (a.balance != 100) {
		printf("A is %ld and B %ld, not 100 each: a transfer was lost\n", a.balance,
		       b.balance);
		return 1;
	}
	/* Alone now: transfer() must still move money (an empty one keeps
	 * both at 100 too). */
	transfer(&a, &b, 5);
	if (a.balance != 95 || b.balance != 105) {
		printf("transfer(A, B, 5), alone, left A at %ld and B at %ld, not 95 and 105: "
		       "transfer() does not move the money\n", a.balance, b.balance);
		return 1;
	}
	printf("ok: A 100, B 100\n");
	return 0;
}
