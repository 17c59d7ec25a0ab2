// Prints for ever (a loop whose end condition is wrong, say): a run may
// print 1 MiB; past it racelab-watch stops the run and says so.
#include <stdio.h>

int
main(void)
{
	for (unsigned long i = 0;; i++)
		printf("line %lu: the loop does not end\n", i);
}
