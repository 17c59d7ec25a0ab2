// Never ends: a child process and a thread of it, all waiting for a
// signal that never comes (racelab-watch's time limit stops it; killing
// racelab-watch takes them all with it).
#include <pthread.h>
#include <unistd.h>

void *waiter(void *arg);

void *
waiter(void *arg)
{
	(void)arg;
	for (;;)
		pause();
}

int
main(void)
{
	if (fork() == 0) {
		pthread_t t;

		pthread_create(&t, NULL, waiter, NULL);
		for (;;)
			pause();
	}
	for (;;)
		pause();
}
