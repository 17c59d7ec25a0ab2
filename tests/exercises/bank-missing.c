// WRONG: withdraw() is missing (does not link).
#include <pthread.h>
struct account { long balance; pthread_mutex_t lock; };
void deposit(struct account *a, long n) { a->balance += n; }
