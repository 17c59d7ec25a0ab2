// Two threads join the same thread (POSIX leaves it undefined; glibc
// answers the second EINVAL when it finds the first waiting).  In the
// model the second join must not reach the real one on a thread already
// joined (it would wait on a freed descriptor): it gets EINVAL.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static pthread_t target;
int einval;

void *work(void *arg);
void *joiner(void *arg);

void *
work(void *arg)
{
	(void)arg;
	return NULL;
}

void *
joiner(void *arg)
{
	(void)arg;
	if (pthread_join(target, NULL) == EINVAL)
		__atomic_add_fetch(&einval, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int
main(void)
{
	pthread_t j;

	pthread_create(&target, NULL, work, NULL);
	pthread_create(&j, NULL, joiner, NULL);
	if (pthread_join(target, NULL) == EINVAL)
		__atomic_add_fetch(&einval, 1, __ATOMIC_SEQ_CST);
	pthread_join(j, NULL);
	printf("einval = %d\n", einval);
	return 0;
}
