// WRONG: a main() of its own: the driver has one (does not link).
#include <pthread.h>
struct account { long balance; pthread_mutex_t lock; };
void deposit(struct account *a, long n) { a->balance += n; }
void withdraw(struct account *a, long n) { a->balance -= n; }
int main(void) { return 0; }
