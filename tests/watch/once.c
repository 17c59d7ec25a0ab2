// Two threads call pthread_once with an init that writes a global: init
// runs once, the other waits for it inside pthread_once (a wait the
// scheduler must see, or the run hangs in the real futex).
#include <pthread.h>
#include <stdio.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
int inits;

static void
init(void)
{
	inits++;
}

void *worker(void *arg);

void *
worker(void *arg)
{
	(void)arg;
	pthread_once(&once, init);
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	pthread_once(&once, init);
	pthread_join(t, NULL);
	printf("inits = %d\n", inits);
	return 0;
}
