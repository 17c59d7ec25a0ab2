// One producer, two consumers, a buffer of one slot and two condition
// variables, with `if` where `while` belongs (OSTEP's main-two-cvs-if, in
// our own words): a consumer woken for an item can find it taken by the
// other consumer, who came in between, and the assertion fails.
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#ifndef CHECK
#define CHECK if /* prodcons_while.c defines CHECK as while */
#endif

int buffer, count, sum;
pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t empty = PTHREAD_COND_INITIALIZER;
pthread_cond_t fill = PTHREAD_COND_INITIALIZER;

void *producer(void *arg);
void *consumer(void *arg);

void *
producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= 2; i++) {
		pthread_mutex_lock(&buf_lock);
		CHECK (count == 1)
			pthread_cond_wait(&empty, &buf_lock);
		buffer = i;
		count = 1;
		pthread_cond_signal(&fill);
		pthread_mutex_unlock(&buf_lock);
	}
	return NULL;
}

void *
consumer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&buf_lock);
	CHECK (count == 0)
		pthread_cond_wait(&fill, &buf_lock);
	assert(count == 1);
	sum += buffer;
	count = 0;
	pthread_cond_signal(&empty);
	pthread_mutex_unlock(&buf_lock);
	return NULL;
}

int
main(void)
{
	pthread_t p, c1, c2;

	pthread_create(&c1, NULL, consumer, NULL);
	pthread_create(&c2, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c1, NULL);
	pthread_join(c2, NULL);
	printf("sum = %d\n", sum);
	return 0;
}
