// A new thread and its creator each write a line right after
// pthread_create, with no pthread call between: natively either line may
// come first, so --explore must find both orders (the new thread's first
// stretch can run before its creator's next one).
#include <pthread.h>
#include <unistd.h>

static void *
t_main(void *arg)
{
	(void)arg;
	write(1, "T\n", 2);
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, t_main, NULL);
	write(1, "M\n", 2);
	pthread_join(t, NULL);
	return 0;
}
