// A parent and its new child each write a line right after fork, with no
// interposed call between: natively either line may come first, so
// --explore must find both orders.
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		write(1, "C\n", 2);
		_exit(0);
	}
	write(1, "P\n", 2);
	waitpid(pid, NULL, 0);
	return 0;
}
