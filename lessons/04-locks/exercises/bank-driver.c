// The checker's driver for exercise bank: its own main() and threads call
// the learner's deposit() and withdraw() and check the invariant.  A
// failed check prints what went wrong on stdout and exits 1; a run that
// passes ends with a line "ok: ..." (the checker fails a run that exits
// 0 without it: the learner's code ended the program before the checks).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct account {
	long balance;
	pthread_mutex_t lock;
};

void deposit(struct account *a, long amount);
void withdraw(struct account *a, long amount);

enum { TIMES = 2 };

static struct account acct = { .balance = 100 };

static void *
depositor(void *arg)
{
	(void)arg;
	for (int i = 0; i < TIMES; i++)
		deposit(&acct, 1);
	return NULL;
}

static void *
withdrawer(void *arg)
{
	(void)arg;
	for (int i = 0; i < TIMES; i++)
		withdraw(&acct, 1);
	return NULL;
}

int
main(void)
{
	pthread_t d, w;

	pthread_mutex_init(&acct.lock, NULL);
	pthread_create(&d, NULL, depositor, NULL);
	pthread_create(&w, NULL, withdrawer, NULL);
	pthread_join(d, NULL);
	pthread_join(w, NULL);
	if (acct.balance != 100) {
		printf("the balance is %ld, not 100: an update was lost\n", acct.balance);
		return 1;
	}
	/* Alone now: the functions must still move money (empty ones keep
	 * the balance at 100 too). */
	deposit(&acct, 5);
	withdraw(&acct, 2);
	if (acct.balance != 103) {
		printf("deposit 5 then withdraw 2, alone, left the balance at %ld, not 103: "
		       "deposit() or withdraw() does not do its job\n", acct.balance);
		return 1;
	}
	printf("ok: balance 100\n");
	return 0;
}
