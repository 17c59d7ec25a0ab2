// What a watched program is told of its CPUs (check_watch's affinity
// test): the CPUs it was given (sched_getaffinity, and
// pthread_getaffinity_np in a thread), the ones it runs on (the raw
// system call), and whether a sched_setaffinity inside and outside them
// succeeds.  A scheduled run is pinned to one CPU and told the rest.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static int thread_told;

void *worker(void *arg);

void *
worker(void *arg)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	if (pthread_getaffinity_np(pthread_self(), sizeof s, &s) == 0)
		thread_told = CPU_COUNT(&s);
	return arg;
}

int
main(void)
{
	cpu_set_t told, raw, one, none;
	pthread_t t;
	int first = 0, in, out;

	CPU_ZERO(&told);
	CPU_ZERO(&raw);
	sched_getaffinity(0, sizeof told, &told);
	syscall(SYS_sched_getaffinity, 0, sizeof raw, &raw);
	while (first < CPU_SETSIZE - 1 && !CPU_ISSET(first, &told))
		first++;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	CPU_ZERO(&none);
	CPU_SET(CPU_SETSIZE - 1, &none); /* no machine here has it */
	out = sched_setaffinity(0, sizeof none, &none);
	in = sched_setaffinity(0, sizeof one, &one);
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	printf("told %d raw %d thread %d set-in %d set-out %d\n", CPU_COUNT(&told),
	       CPU_COUNT(&raw), thread_told, in, out);
	return 0;
}
