// Exercise rendezvous (lesson 18): two threads meet between their two
// steps.  Thread A calls arrive_a() after its first step, thread B calls
// arrive_b() after its own; neither may go on to its second step before
// the other has finished its first.
//
// The checker (racelab --check rendezvous) compiles this file with its
// own driver, which runs A and B and checks, at each thread's second step,
// that the other's first step is done, under every interleaving; nobody
// may sleep for ever.  The driver initialises both semaphores to 0; keep
// the struct and the signatures as they are.
#include <semaphore.h>

struct rendezvous {
	sem_t a_arrived; /* posted when A has done its first step */
	sem_t b_arrived; /* posted when B has done its first step */
};

void arrive_a(struct rendezvous *r);
void arrive_b(struct rendezvous *r);

void
arrive_a(struct rendezvous *r)
{
	(void)r; /* nothing yet: A goes straight on */
}

void
arrive_b(struct rendezvous *r)
{
	(void)r;
}
