/* Scenario forkshare: parent and child after fork (and vfork, posix_spawn)
 * share open file descriptions (offsets, status flags) but not fd flags or fd
 * tables, and see one file system: a child's writes, creates and renames are
 * the parent's. */
#include "diff.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void show_fds(int lo, int hi)
{
	char line[512];
	size_t o = (size_t)snprintf(line, sizeof(line), "  fds %d..%d:", lo, hi);
	for (int fd = lo; fd <= hi && o < sizeof(line) - 16; fd++) {
		int r = fcntl(fd, F_GETFD);
		o += (size_t)(r < 0 ? snprintf(line + o, sizeof(line) - o, " %d:-", fd)
				    : snprintf(line + o, sizeof(line) - o, " %d:%d", fd, r));
	}
	dx_line("%s", line);
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	pid_t pid;

	dx_part("the child writes, the parent sees the offset");
	int fd = T(open("shared", O_RDWR | O_CREAT | O_TRUNC, 0644));
	T(write(fd, "abc", 3));
	pid = fork();
	if (pid == 0) {
		T(lseek(fd, 0, SEEK_CUR));
		T(write(fd, "child", 5));
		_exit(0);
	}
	dx_wait("child", pid);
	T(lseek(fd, 0, SEEK_CUR));
	T(write(fd, "parent", 6));
	pid = fork();
	if (pid == 0) {
		T(lseek(fd, 1, SEEK_SET));
		_exit(0);
	}
	dx_wait("child", pid);
	T(lseek(fd, 0, SEEK_CUR));
	dx_show_read("after child's lseek", fd, 64);
	dx_show_file("shared");

	dx_part("status flags are shared, fd flags and tables are not");
	pid = fork();
	if (pid == 0) {
		T(fcntl(fd, F_SETFL, O_APPEND));
		T(fcntl(fd, F_SETFD, FD_CLOEXEC));
		T(dup2(fd, 9));
		T(close(fd));
		T(open("child-own", O_WRONLY | O_CREAT, 0600));
		_exit(0);
	}
	dx_wait("child", pid);
	T(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND));
	T(fcntl(fd, F_GETFD));
	show_fds(3, 10);
	T(lseek(fd, 0, SEEK_SET));
	T(write(fd, "+appended", 9));
	T(fcntl(fd, F_SETFL, 0));
	dx_show_file("shared");
	dx_show_stat("child-own");

	dx_part("the child's names are the parent's");
	pid = fork();
	if (pid == 0) {
		T(mkdir("cdir", 0750));
		dx_make_file("cdir/one", "one");
		T(rename("cdir/one", "cdir/two"));
		T(symlink("cdir/two", "clink"));
		T(link("cdir/two", "chard"));
		T(unlink("child-own"));
		_exit(0);
	}
	dx_wait("child", pid);
	dx_show_dir(".");
	dx_show_dir("cdir");
	dx_show_file("clink");
	dx_show_stat("chard");

	dx_part("a file the parent opened and the child unlinked");
	int gone = T(open("doomed", O_RDWR | O_CREAT, 0644));
	T(write(gone, "still here", 10));
	pid = fork();
	if (pid == 0) {
		T(unlink("doomed"));
		T(write(gone, "!", 1));
		_exit(0);
	}
	dx_wait("child", pid);
	dx_show_fstat(gone, "doomed (unlinked)");
	T(pread(gone, (char[16]){0}, 16, 0));
	T(close(gone));
	dx_show_stat("doomed");

	dx_part("vfork: a redirection in the child does not touch the parent");
	struct stat out_before, out_after;
	if (fstat(1, &out_before) < 0)
		dx_die("fstat 1");
	pid = vfork();
	if (pid == 0) {
		int o = open("vfork-out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || dup2(o, 1) < 0)
			_exit(126);
		close(o);
		char *args[] = {"/bin/echo", "from vfork", NULL};
		execve(args[0], args, environ);
		_exit(127);
	}
	dx_wait("vfork child", pid);
	if (fstat(1, &out_after) < 0)
		dx_die("fstat 1");
	dx_same_inode("parent's stdout before and after", &out_before, &out_after);
	show_fds(3, 10);
	dx_show_file("vfork-out");

	dx_part("posix_spawn with file actions");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "spawn-out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, fd, 4);
	char *sargs[] = {"/bin/sh", "-c", "echo spawned; echo to-four >&4", NULL};
	int sr = posix_spawn(&pid, sargs[0], &fa, NULL, sargs, environ);
	dx_line("  posix_spawn = %d", sr);
	if (sr == 0)
		dx_wait("spawned", pid);
	posix_spawn_file_actions_destroy(&fa);
	show_fds(3, 10);
	dx_show_file("spawn-out");
	dx_show_file("shared");
	T(lseek(fd, 0, SEEK_CUR));

	dx_part("two children write through one description, in turn");
	int both = T(open("both", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	for (int i = 0; i < 3; i++) {
		pid = fork();
		if (pid == 0) {
			char line[32];
			int n = snprintf(line, sizeof(line), "line %d\n", i);
			_exit(write(both, line, (size_t)n) == n ? 0 : 1);
		}
		dx_wait("writer", pid);
	}
	T(lseek(both, 0, SEEK_CUR));
	T(close(both));
	dx_show_file("both");
	T(close(fd));
	return 0;
}
