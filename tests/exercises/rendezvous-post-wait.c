// RIGHT: each says it has arrived, then waits for the other.
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
	sem_post(&r->a_arrived);
	sem_wait(&r->b_arrived);
}

void
arrive_b(struct rendezvous *r)
{
	sem_post(&r->b_arrived);
	sem_wait(&r->a_arrived);
}
