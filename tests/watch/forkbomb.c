// Forks without end (racelab-watch's caps stop it: a run's cap of
// processes, its time limit, every process of the run killed).
#include <unistd.h>

int
main(void)
{
	for (;;)
		fork();
}
