// The checker's driver for exercise rendezvous: threads A and B each do a
// first step (set their flag), meet through the learner's arrive_a() and
// arrive_b(), and at their second step check that the other's first step
// is done (the marked point).  A failed check prints what went wrong on
// stdout and exits 1; both asleep for ever is the explorer's to see.  A
// run that passes ends with a line "ok: ..." (the checker fails a run
// that exits 0 without it).
#include <semaphore.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct rendezvous {
	sem_t a_arrived;
	sem_t b_arrived;
};

void arrive_a(struct rendezvous *r);
void arrive_b(struct rendezvous *r);

static struct rendezvous rv;
static int a_first, b_first; /* the first steps, done */

static void *
thread_a(void *arg)
{
	(void)arg;
	a_first = 1;
	arrive_a(&rv);
	if (!b_first) {
		printf("A went on to its second step before B had done its first\n");
		exit(1);
	}
	return NULL;
}

static void *
thread_b(void *arg)
{
	(void)arg;
	b_first = 1;
	arrive_b(&rv);
	if (!a_first) {
		printf("B went on to its second step before A had done its first\n");
		exit(1);
	}
	return NULL;
}

int
main(void)
{
	pthread_t a, b;

	sem_init(&rv.a_arrived, 0, 0);
	sem_init(&rv.b_arrived, 0, 0);
	pthread_create(&a, NULL, thread_a, NULL);
	pthread_create(&b, NULL, thread_b, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("ok: A and B met\n");
	return 0;
}
