/*
 * Many posix_spawn and vfork+execve children: switchyard gives each child
 * that shares the parent's memory a thread area of its own, and must take it
 * back once the child has exec'd. Fails if the number of mappings grows by
 * more than a few while spawning.
 *
 * spawn_many [N]
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	char *args[] = {"/bin/true", NULL};
	int before = count_mappings();
	for (int i = 0; i < n; i++) {
		pid_t p;
		if (posix_spawn(&p, "/bin/true", NULL, NULL, args, environ) != 0)
			return 2;
		waitpid(p, NULL, 0);
		pid_t q = vfork();
		if (q == 0) {
			execve("/bin/true", args, environ);
			_exit(127);
		}
		waitpid(q, NULL, 0);
	}
	int after = count_mappings();
	printf("spawn_many: %d spawns, mappings %d before, %d after\n", 2 * n, before, after);
	return after - before > 8;
}
