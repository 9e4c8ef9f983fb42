/*
 * The smallest well-behaved program: prints a known first line, then does a
 * little work (open, read, write, a thread-free loop of syscalls) and prints
 * a last line. Tests use it to see whether main ran at all ("first line"
 * present) and whether it finished ("last line").
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("hello: first line\n");
	fflush(stdout);
	int fd = open("/proc/self/stat", O_RDONLY);
	char buf[256];
	long n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	if (fd >= 0)
		close(fd);
	long sum = 0;
	for (int i = 0; i < 100; i++)
		sum += getppid() > 0;
	printf("hello: fd=%d read=%s loops=%ld args=%d\n", fd, n > 0 ? "ok" : "failed", sum,
	       argc - 1);
	for (int i = 1; i < argc; i++)
		printf("hello: arg %s\n", argv[i]);
	printf("hello: last line\n");
	return (fd == 3 && n > 0 && sum == 100) ? 0 : 1;
}
