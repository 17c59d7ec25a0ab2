// main re-initialises a mutex it holds while a worker may wait for it:
// undefined behaviour (POSIX: "attempting to initialize an already
// initialized mutex"), which the real object hides (the worker then
// takes a "free" mutex main still thinks it holds).  The model follows
// the object: each run ends as a misuse, its own outcome.  The first
// init (of a free mutex nobody waits for) is fine.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m;
int counter;

void *worker(void *arg);

void *
worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	counter++;
	pthread_mutex_unlock(&m);
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_mutex_init(&m, NULL);
	pthread_create(&t, NULL, worker, NULL);
	pthread_mutex_lock(&m);
	pthread_mutex_init(&m, NULL); /* held: the mistake */
	counter++;
	pthread_mutex_unlock(&m);
	pthread_join(t, NULL);
	printf("counter = %d\n", counter);
	return 0;
}
