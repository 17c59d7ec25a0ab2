// Two readers and a writer on one rwlock (glibc's default kind: readers
// first).  Both readers can be inside at once; the writer waits for both
// to leave.  tests/e2e/watch_locks.sh steps it there and reads the Locks
// panel: table read-held by two, the writer waiting.
#include <pthread.h>
#include <stdio.h>

pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
int entries, seen[2];

void *reader(void *arg);
void *writer(void *arg);

void *
reader(void *arg)
{
	int *out = arg;

	pthread_rwlock_rdlock(&table);
	*out = entries;
	pthread_rwlock_unlock(&table);
	return NULL;
}

void *
writer(void *arg)
{
	(void)arg;
	pthread_rwlock_wrlock(&table);
	entries++;
	pthread_rwlock_unlock(&table);
	return NULL;
}

int
main(void)
{
	pthread_t t[3];

	pthread_create(&t[0], NULL, reader, &seen[0]);
	pthread_create(&t[1], NULL, reader, &seen[1]);
	pthread_create(&t[2], NULL, writer, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("entries = %d, readers saw %d and %d\n", entries, seen[0], seen[1]);
	return 0;
}
