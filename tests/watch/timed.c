// A spin lock and the timed waits, for the Locks panel of a watched
// program (tests/e2e/watch_locks.sh steps it).  holder takes gate (a
// mutex), spot (a spin lock) and book (an rwlock, to write), then lets
// them go in the reverse order.  spinner tries spot, then spins for it.
// timer asks for book to read with a timeout of 200 ms (it times out
// while holder writes), then reads it without one; asks for a post of
// ticket (nobody posts) with a timeout of 200 ms on CLOCK_MONOTONIC (and
// says whether it returned at its deadline on that clock, or before);
// then for gate with one of 30 s, which it gets when holder unlocks it.
#define _GNU_SOURCE /* sem_clockwait (glibc 2.30) */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

pthread_spinlock_t spot;
pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
pthread_rwlock_t book = PTHREAD_RWLOCK_INITIALIZER;
sem_t ticket;

void *holder(void *arg);
void *spinner(void *arg);
void *timer(void *arg);

void *
holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate);
	pthread_spin_lock(&spot);
	pthread_rwlock_wrlock(&book);
	pthread_rwlock_unlock(&book);
	pthread_spin_unlock(&spot);
	pthread_mutex_unlock(&gate);
	return NULL;
}

void *
spinner(void *arg)
{
	(void)arg;
	if (pthread_spin_trylock(&spot) == 0)
		pthread_spin_unlock(&spot);
	pthread_spin_lock(&spot);
	pthread_spin_unlock(&spot);
	return NULL;
}

/* now on clock clk, plus ms milliseconds */
static struct timespec
after(clockid_t clk, long ms)
{
	struct timespec t;

	clock_gettime(clk, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += ms % 1000 * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

void *
timer(void *arg)
{
	struct timespec t, now;
	int r;

	(void)arg;
	t = after(CLOCK_REALTIME, 200);
	r = pthread_rwlock_timedrdlock(&book, &t);
	if (r == 0)
		pthread_rwlock_unlock(&book);
	printf("timedrdlock book: %s\n", r == ETIMEDOUT ? "timed out" : r ? "failed" : "taken");
	pthread_rwlock_rdlock(&book);
	pthread_rwlock_unlock(&book);
	t = after(CLOCK_MONOTONIC, 200);
	r = sem_clockwait(&ticket, CLOCK_MONOTONIC, &t);
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("sem_clockwait ticket: %s %s its deadline\n",
	       r && errno == ETIMEDOUT ? "timed out" : r ? "failed" : "taken",
	       now.tv_sec > t.tv_sec || (now.tv_sec == t.tv_sec && now.tv_nsec >= t.tv_nsec)
	               ? "at" : "before");
	t = after(CLOCK_REALTIME, 30000);
	r = pthread_mutex_timedlock(&gate, &t);
	if (r == 0)
		pthread_mutex_unlock(&gate);
	printf("timedlock gate: %s\n", r == ETIMEDOUT ? "timed out" : r ? "failed" : "taken");
	return NULL;
}

int
main(void)
{
	pthread_t t[3];

	pthread_spin_init(&spot, PTHREAD_PROCESS_PRIVATE);
	sem_init(&ticket, 0, 0);
	pthread_create(&t[0], NULL, holder, NULL);
	pthread_create(&t[1], NULL, spinner, NULL);
	pthread_create(&t[2], NULL, timer, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return 0;
}
