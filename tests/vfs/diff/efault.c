/* Scenario efault: bad user pointers given to every file-system call on the
 * work directory: (void *)1, a PROT_NONE page, a read-only page for results,
 * a path running into a PROT_NONE page without its NUL, buffers that start
 * valid and run into a bad page (short reads and writes where the kernel
 * makes them). The calls go through syscall() so that libc touches nothing. */
#include "diff.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	/* pages: 0 RW, 1 PROT_NONE, 2 read-only, 3 RW, 4 PROT_NONE */
	char *area = mmap(NULL, 5 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || mprotect(area + PG, PG, PROT_NONE) < 0 ||
	    mprotect(area + 2 * PG, PG, PROT_READ) < 0 ||
	    mprotect(area + 4 * PG, PG, PROT_NONE) < 0)
		dx_die("mmap");
	void *one = (void *)1;
	char *none = area + PG;
	char *ro = area + 2 * PG;
	/* "abc" right before the PROT_NONE page, no NUL */
	char *unterminated = none - 3;
	memcpy(unterminated, "abc", 3);
	/* 10 valid bytes, then the other PROT_NONE page */
	char *edge = area + 4 * PG - 10;
	memset(edge, 'e', 10);
	char *none2 = area + 4 * PG;

	dx_make_file("f", "0123456789abcdefghij0123456789abcdefghij");
	T(mkdir("d", 0755));
	T(symlink("f", "lnk"));
	int fd = T(open("f", O_RDWR));
	/* Each part starts from the same file, so that one divergence (a bad
	 * path taken for a name) does not cascade into every later line. */
#define RESET()                                                                                    \
	do {                                                                                       \
		dx_make_file("f", "0123456789abcdefghij0123456789abcdefghij");                     \
		int nf = open("f", O_RDWR | O_CLOEXEC);                                            \
		if (nf < 0 || dup2(nf, fd) < 0)                                                    \
			dx_die("reset");                                                           \
		close(nf);                                                                         \
	} while (0)
	int dfd = T(open("d", O_RDONLY | O_DIRECTORY));
	char buf[256];
	struct stat st;

	dx_part("paths");
	const struct {
		const char *name;
		const char *p;
	} bad[] = {{"(void *)1", one}, {"PROT_NONE", none}, {"unterminated", unterminated}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = bad[i].p;
		dx_line("-- path %s", bad[i].name);
		T(syscall(SYS_open, p, O_RDONLY));
		T(syscall(SYS_open, p, O_WRONLY | O_CREAT, 0644));
		T(syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
		T(syscall(SYS_openat, dfd, p, O_RDONLY));
		struct open_how how = {.flags = O_RDONLY};
		T(syscall(SYS_openat2, dfd, p, &how, sizeof(how)));
		T(syscall(SYS_creat, p, 0644));
		T(syscall(SYS_stat, p, &st));
		T(syscall(SYS_lstat, p, &st));
		T(syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0));
		T(syscall(SYS_newfstatat, dfd, p, &st, AT_EMPTY_PATH));
		T(syscall(SYS_statx, AT_FDCWD, p, 0, STATX_BASIC_STATS, buf));
		T(syscall(SYS_access, p, F_OK));
		T(syscall(SYS_faccessat, dfd, p, F_OK));
		T(syscall(SYS_faccessat2, dfd, p, F_OK, 0));
		T(syscall(SYS_mkdir, p, 0755));
		T(syscall(SYS_mkdirat, dfd, p, 0755));
		T(syscall(SYS_rmdir, p));
		T(syscall(SYS_unlink, p));
		T(syscall(SYS_unlinkat, dfd, p, AT_REMOVEDIR));
		T(syscall(SYS_rename, p, "x"));
		T(syscall(SYS_rename, "f", p));
		T(syscall(SYS_renameat, dfd, p, dfd, "x"));
		T(syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, p, RENAME_NOREPLACE));
		T(syscall(SYS_link, p, "x"));
		T(syscall(SYS_link, "f", p));
		T(syscall(SYS_linkat, AT_FDCWD, "f", dfd, p, 0));
		T(syscall(SYS_symlink, p, "x"));
		T(syscall(SYS_symlink, "f", p));
		T(syscall(SYS_symlinkat, "f", dfd, p));
		T(syscall(SYS_readlink, p, buf, sizeof(buf)));
		T(syscall(SYS_readlinkat, dfd, p, buf, sizeof(buf)));
		T(syscall(SYS_truncate, p, 0));
		T(syscall(SYS_chmod, p, 0644));
		T(syscall(SYS_fchmodat, dfd, p, 0644));
		T(syscall(SYS_chown, p, 0, 0));
		T(syscall(SYS_lchown, p, 0, 0));
		T(syscall(SYS_fchownat, dfd, p, 0, 0, 0));
		T(syscall(SYS_utimensat, AT_FDCWD, p, NULL, 0));
		T(syscall(SYS_futimesat, AT_FDCWD, p, NULL));
		T(syscall(SYS_utimes, p, NULL));
		T(syscall(SYS_utime, p, NULL));
		T(syscall(SYS_chdir, p));
		T(syscall(SYS_statfs, p, buf));
		T(syscall(SYS_mknod, p, S_IFIFO | 0644, 0));
		pid_t pid = fork();
		if (pid == 0) {
			long r = syscall(SYS_execve, p, (char *[]){"x", NULL}, (char *[]){NULL});
			dx_result("execve(p)", r, errno);
			_exit(0);
		}
		dx_wait("execve child", pid);
	}
	dx_show_dir(".");
	dx_show_cwd();

	RESET();
	dx_part("result buffers");
	void *outs[] = {one, none, ro};
	const char *onames[] = {"(void *)1", "PROT_NONE", "read-only"};
	for (int i = 0; i < 3; i++) {
		void *o = outs[i];
		dx_line("-- out %s", onames[i]);
		T(syscall(SYS_read, fd, o, 10));
		T(syscall(SYS_pread64, fd, o, 10, 0));
		T(syscall(SYS_fstat, fd, o));
		T(syscall(SYS_stat, "f", o));
		T(syscall(SYS_lstat, "lnk", o));
		T(syscall(SYS_newfstatat, dfd, "", o, AT_EMPTY_PATH));
		T(syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, o));
		T(syscall(SYS_getdents64, dfd, o, 4096));
		T(syscall(SYS_lseek, dfd, 0, SEEK_SET));
		T(syscall(SYS_readlink, "lnk", o, 64));
		T(syscall(SYS_readlinkat, AT_FDCWD, "lnk", o, 64));
		T(syscall(SYS_getcwd, o, 4096));
		T(syscall(SYS_statfs, "f", o));
		T(syscall(SYS_fstatfs, fd, o));
		T(syscall(SYS_fcntl, fd, F_GETLK, o));
		T(syscall(SYS_ioctl, fd, FIONREAD, o));
		struct iovec iv = {o, 10};
		T(syscall(SYS_readv, fd, &iv, 1));
		T(syscall(SYS_preadv, fd, &iv, 1, 0, 0));
		T(syscall(SYS_preadv2, fd, &iv, 1, 0, 0, 0));
		T(syscall(SYS_lseek, fd, 0, SEEK_CUR));
	}

	RESET();
	dx_part("input buffers");
	const void *ins[] = {one, none};
	for (int i = 0; i < 2; i++) {
		const void *in = ins[i];
		dx_line("-- in %s", onames[i]);
		T(syscall(SYS_write, fd, in, 10));
		T(syscall(SYS_pwrite64, fd, in, 10, 0));
		struct iovec iv = {(void *)in, 10};
		T(syscall(SYS_writev, fd, &iv, 1));
		T(syscall(SYS_pwritev, fd, &iv, 1, 0, 0));
		T(syscall(SYS_pwritev2, fd, &iv, 1, 0, 0, 0));
		T(syscall(SYS_readv, fd, in, 1));
		T(syscall(SYS_writev, fd, in, 1));
		T(syscall(SYS_preadv, fd, in, 1, 0, 0));
		T(syscall(SYS_pwritev2, fd, in, 1, 0, 0, 0));
		T(syscall(SYS_utimensat, AT_FDCWD, "f", in, 0));
		T(syscall(SYS_futimesat, AT_FDCWD, "f", in));
		T(syscall(SYS_utimes, "f", in));
		T(syscall(SYS_fcntl, fd, F_SETLK, in));
		T(syscall(SYS_fcntl, fd, F_OFD_SETLK, in));
		T(syscall(SYS_openat2, dfd, "x", in, sizeof(struct open_how)));
		T(syscall(SYS_sendfile, fd, fd, in, 10));
		T(syscall(SYS_copy_file_range, fd, in, fd, NULL, 10, 0));
		T(syscall(SYS_copy_file_range, fd, NULL, fd, in, 10, 0));
		pid_t pid = fork();
		if (pid == 0) {
			long r = syscall(SYS_execve, "/bin/true", in, (char *[]){NULL});
			dx_result("execve(/bin/true, bad argv)", r, errno);
			_exit(0);
		}
		dx_wait("execve child", pid);
		T(syscall(SYS_lseek, fd, 0, SEEK_CUR));
	}
	dx_show_file("f");

	RESET();
	dx_part("zero lengths with bad buffers");
	T(syscall(SYS_read, fd, one, 0));
	T(syscall(SYS_write, fd, one, 0));
	T(syscall(SYS_pread64, fd, none, 0, 0));
	T(syscall(SYS_readv, fd, one, 0));
	T(syscall(SYS_getdents64, dfd, one, 0));
	T(syscall(SYS_readlink, "lnk", one, 0));

	RESET();
	dx_part("buffers running into a bad page");
	T(syscall(SYS_lseek, fd, 0, SEEK_SET));
	T(syscall(SYS_write, fd, edge, 100));
	T(syscall(SYS_lseek, fd, 0, SEEK_CUR));
	T(syscall(SYS_pwrite64, fd, edge, 100, 20));
	T(syscall(SYS_lseek, fd, 0, SEEK_SET));
	T(syscall(SYS_read, fd, edge, 100));
	T(syscall(SYS_lseek, fd, 0, SEEK_CUR));
	dx_show_bytes("edge", edge, 10);
	T(syscall(SYS_pread64, fd, none2 - 4, 30, 30));
	dx_show_bytes("edge", none2 - 4, 4);
	struct iovec two[2] = {{buf, 5}, {one, 5}};
	T(syscall(SYS_lseek, fd, 0, SEEK_SET));
	T(syscall(SYS_readv, fd, two, 2));
	T(syscall(SYS_writev, fd, two, 2));
	T(syscall(SYS_lseek, fd, 0, SEEK_CUR));
	T(syscall(SYS_readlink, "lnk", none2 - 1, 64));
	for (int i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof(name), "d/entry-%02d", i);
		dx_make_file(name, "");
	}
	T(syscall(SYS_lseek, dfd, 0, SEEK_SET));
	T(syscall(SYS_getdents64, dfd, none2 - 100, 4096) > 0);
	T(syscall(SYS_stat, "f", none2 - 8));
	T(syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, none2 - 8));
	T(syscall(SYS_getcwd, none2 - 2, 4096));
	dx_show_fstat(fd, "f");
	dx_show_file("f");
	T(close(fd));
	T(close(dfd));
	return 0;
}
