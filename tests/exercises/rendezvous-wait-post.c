// WRONG: each waits for the other before saying it has arrived: both
// wait for ever.
#include <semaphore.h>

struct rendezvous {
	sem_t a_arrived;
	sem_t b_arrived;
};

void arrive_a(struct rendezvous *r);
void arrive_b(struct rendezvous *r);


void
arrive_a(struct rendezvous *r)
{
	sem_wait(&r->b_arrived);
	sem_post(&r->a_arrived);
}

void
arrive_b(struct rendezvous *r)
{
	sem_wait(&r->a_arrived);
	sem_post(&r->b_arrived);
}
