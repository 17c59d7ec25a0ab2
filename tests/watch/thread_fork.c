// A thread (not main) forks a child, then never reaches another
// scheduling point: the child waits for its turn for ever.  Such a child
// has no parent-death signal (its parent thread is not its process's
// main one), so when racelab-watch is killed it ends itself: check_watch
// reaps it (as a subreaper) and reads its status.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

void *forker(void *arg);

void *
forker(void *arg)
{
	(void)arg;
	if (fork() == 0) {
		printf("child\n");
		_exit(0);
	}
	for (;;)
		pause();
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, forker, NULL);
	pthread_join(t, NULL);
	return 0;
}
