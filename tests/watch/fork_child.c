// A forked child writes a global and prints it; its parent waits for it
// and prints its own copy: a process has memory of its own ("value = 0"
// in the parent, in every interleaving).
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int value;

int
main(void)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		value = 42;
		printf("child: value = %d\n", value);
		return 0;
	}
	waitpid(pid, &st, 0);
	printf("parent: value = %d, child exit %d\n", value, WEXITSTATUS(st));
	return 0;
}
