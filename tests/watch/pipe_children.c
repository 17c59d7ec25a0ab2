/* Two children write a letter each into a pipe; the parent reads the
 * pipe to its end, then reaps them.  The parent's read blocks in the
 * kernel, no scheduling point: in the shell's step mode it waits there
 * for the children the learner has not stepped yet. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	char buf[8];
	int fd[2], n = 0;
	ssize_t r;

	if (pipe(fd) < 0)
		return 1;
	for (int i = 0; i < 2; i++) {
		if (fork() == 0) {
			char c = (char)('A' + i);

			close(fd[0]);
			if (write(fd[1], &c, 1) != 1)
				_exit(1);
			_exit(0);
		}
	}
	close(fd[1]);
	while ((r = read(fd[0], buf + n, sizeof buf - 1 - (size_t)n)) > 0)
		n += (int)r;
	buf[n] = '\0';
	wait(NULL);
	wait(NULL);
	printf("read %s\n", buf);
	return 0;
}
