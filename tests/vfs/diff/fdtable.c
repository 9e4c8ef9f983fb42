/* Scenario fdtable: the fd table across files in the work directory and
 * kernel pipes: numbers handed out (lowest free), dup/dup2/dup3, fcntl
 * F_DUPFD(_CLOEXEC)/F_GETFD/F_SETFD/F_GETFL/F_SETFL, shared offsets of dup'ed
 * fds, O_APPEND, a pipe dup2'ed onto a file's number and a file onto a pipe's,
 * close_range with and without CLOSE_RANGE_CLOEXEC, and the limits. */
#include "diff.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Which of fds lo..hi are open, and their FD_CLOEXEC: "3:0 4:1 5:- ...". */
static void show_fds(int lo, int hi)
{
	char line[1024];
	size_t o = (size_t)snprintf(line, sizeof(line), "  fds %d..%d:", lo, hi);
	for (int fd = lo; fd <= hi && o < sizeof(line) - 16; fd++) {
		int r = fcntl(fd, F_GETFD);
		if (r < 0)
			o += (size_t)snprintf(line + o, sizeof(line) - o, " %d:-", fd);
		else
			o += (size_t)snprintf(line + o, sizeof(line) - o, " %d:%d", fd, r);
	}
	dx_line("%s", line);
}

static int sys_close_range(unsigned lo, unsigned hi, unsigned flags)
{
	return (int)syscall(SYS_close_range, lo, hi, flags);
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	char buf[64];

	dx_part("lowest free numbers");
	int a = T(open("f1", O_RDWR | O_CREAT | O_EXCL, 0644));
	int b = T(open("f2", O_RDWR | O_CREAT, 0600));
	int p[2];
	T(pipe(p));
	dx_line("  pipe: %d %d", p[0], p[1]);
	T(close(a));
	a = T(open("f1", O_RDONLY));
	T(close(a));
	T(close(a));
	show_fds(0, 12);

	dx_part("dup shares the offset and status flags, not FD_CLOEXEC");
	T(write(b, "hello world", 11));
	int d = T(dup(b));
	T(lseek(d, 0, SEEK_CUR));
	T(lseek(b, 2, SEEK_SET));
	T(lseek(d, 0, SEEK_CUR));
	dx_show_read("d", d, 4);
	T(lseek(b, 0, SEEK_CUR));
	T(fcntl(b, F_SETFL, O_APPEND));
	T(fcntl(d, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	T(fcntl(b, F_SETFD, FD_CLOEXEC));
	T(fcntl(b, F_GETFD));
	T(fcntl(d, F_GETFD));
	T(fcntl(b, F_SETFL, 0));
	T(fcntl(d, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));

	dx_part("dup2 and dup3");
	T(dup2(b, 20));
	T(dup2(b, b));
	T(dup2(40, 21));
	T(dup2(b, -1));
	T(dup3(b, b, 0));
	T(dup3(b, 21, O_CLOEXEC));
	T(dup3(b, 22, O_APPEND));
	T(fcntl(21, F_GETFD));
	T(fcntl(20, F_GETFD));
	T(lseek(21, 0, SEEK_CUR));
	T(lseek(20, 1, SEEK_SET));
	T(lseek(b, 0, SEEK_CUR));
	show_fds(0, 24);

	dx_part("F_DUPFD and F_DUPFD_CLOEXEC");
	T(fcntl(b, F_DUPFD, 10));
	T(fcntl(b, F_DUPFD_CLOEXEC, 10));
	T(fcntl(b, F_DUPFD, 20));
	T(fcntl(b, F_DUPFD, 0));
	T(fcntl(b, F_DUPFD, -1));
	T(fcntl(60, F_DUPFD, 0));
	T(fcntl(10, F_GETFD));
	T(fcntl(11, F_GETFD));
	T(fcntl(10, F_SETFD, FD_CLOEXEC));
	T(fcntl(10, F_GETFD));
	T(fcntl(11, F_SETFD, 0));
	T(fcntl(11, F_GETFD));
	show_fds(0, 24);

	dx_part("access modes and status flags");
	int ro = T(open("f2", O_RDONLY));
	int wo = T(open("f2", O_WRONLY));
	T(write(ro, "x", 1));
	T(read(wo, buf, 1));
	T(fcntl(ro, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	T(fcntl(wo, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	T(fcntl(ro, F_SETFL, O_RDWR | O_NONBLOCK));
	T(fcntl(ro, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	T(write(ro, "x", 1));
	int pa = T(open("f2", O_PATH));
	T(read(pa, buf, 1));
	T(fcntl(pa, F_GETFL) & (O_ACCMODE | O_PATH));
	dx_show_fstat(pa, "O_PATH fd");
	int pd = T(dup(pa));
	T(read(pd, buf, 1));
	T(close(pd));
	T(close(pa));
	T(close(ro));
	T(close(wo));

	dx_part("O_APPEND");
	int ap = T(open("f2", O_WRONLY | O_APPEND));
	T(lseek(ap, 0, SEEK_CUR));
	T(write(ap, "+A", 2));
	T(lseek(ap, 0, SEEK_CUR));
	T(lseek(ap, 0, SEEK_SET));
	T(write(ap, "+B", 2));
	T(lseek(ap, 0, SEEK_CUR));
	T(pwrite(ap, "+C", 2, 0));
	T(lseek(ap, 0, SEEK_CUR));
	T(close(ap));
	dx_show_file("f2");

	dx_part("a pipe dup2'ed onto a file's number and back");
	int f3 = T(open("f3", O_RDWR | O_CREAT | O_TRUNC, 0644));
	T(write(f3, "file three", 10));
	T(lseek(f3, 0, SEEK_SET));
	int keep = T(dup(f3));
	T(dup2(p[1], f3));
	T(write(f3, "via-pipe", 8));
	dx_show_read("pipe", p[0], 64);
	dx_show_fstat(f3, "f3 number now");
	T(lseek(f3, 0, SEEK_CUR));
	T(dup2(keep, p[0]));
	dx_show_fstat(p[0], "pipe read number now");
	dx_show_read("pipe-number", p[0], 4);
	T(lseek(keep, 0, SEEK_CUR));
	T(dup2(keep, f3));
	dx_show_read("f3", f3, 64);
	T(dup2(keep, 0));
	T(lseek(0, 0, SEEK_SET));
	dx_show_read("stdin", 0, 4);
	T(close(keep));
	T(close(p[1]));
	T(close(0));
	T(open("f1", O_RDONLY));
	show_fds(0, 24);

	dx_part("close_range");
	T(sys_close_range(20, 22, 0));
	T(sys_close_range(9, 5, 0));
	T(sys_close_range(5, 9, 0x80));
	show_fds(0, 24);
	T(sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC));
	show_fds(0, 24);
	T(sys_close_range(4, 11, 0));
	show_fds(0, 24);
	T(sys_close_range(3, ~0U, 0));
	show_fds(0, 24);
	int n1 = T(open("f2", O_RDONLY));
	dx_show_read("after close_range", n1, 64);
	int n2 = T(open("new", O_RDWR | O_CREAT, 0644));
	T(write(n2, "new file", 8));
	T(close(n2));
	dx_show_file("new");

	dx_part("the limit");
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		dx_die("getrlimit");
	int top = (int)rl.rlim_cur - 1;
	TL("dup2(n1, limit - 1) == limit - 1", dup2(n1, top) == top);
	TL("dup2(n1, limit)", dup2(n1, top + 1));
	TL("fcntl(n1, F_DUPFD, limit)", fcntl(n1, F_DUPFD, top + 1));
	TL("fcntl(n1, F_DUPFD, limit - 1) (taken)", fcntl(n1, F_DUPFD, top));
	TL("lseek(limit - 1, 2, SEEK_SET)", lseek(top, 2, SEEK_SET));
	dx_show_read("n1", n1, 4);
	TL("close(limit - 1)", close(top));
	int n3 = T(open("top", O_RDWR | O_CREAT, 0644));
	T(write(n3, "still works", 11));
	T(close(n3));
	dx_show_file("top");

	dx_part("a child and a new program after close_range and dup2 to the top");
	pid_t pid = fork();
	if (pid == 0) {
		dx_make_file("from-child", "child wrote this");
		dx_show_file("top");
		_exit(0);
	}
	dx_wait("child", pid);
	dx_show_file("from-child");
	pid = fork();
	if (pid == 0) {
		char *args[] = {"/bin/cat", "top", "from-child", NULL};
		execv(args[0], args);
		_exit(127);
	}
	dx_wait("cat", pid);
	dx_line("%s", "");
	dx_show_dir(".");
	return 0;
}
