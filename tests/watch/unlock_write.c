// Thread B takes m, writes "B" and gives m back; main, which held m while
// it created B, gives it back and writes "A".  Natively B can take m and
// write between main's unlock and its write, printing "BA".  An
// executable's --explore cannot find that order: the code between two
// pthread calls is one step, and write() is no scheduling point there, so
// main's unlock and write run as one.  As a .c file the write is a point
// ("write stdout") and both orders are found.
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *
b_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	write(1, "B", 1);
	pthread_mutex_unlock(&m);
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_mutex_lock(&m);
	pthread_create(&t, NULL, b_main, NULL);
	pthread_mutex_unlock(&m);
	write(1, "A", 1);
	pthread_join(t, NULL);
	write(1, "\n", 1);
	return 0;
}
