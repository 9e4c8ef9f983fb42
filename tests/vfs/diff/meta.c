/* Scenario meta: metadata as tmpfs keeps it: modes and the umask, chmod and
 * chown families (root to others, the set-id bits they clear, the setgid
 * directory rule), permission checks as another user in a child, times as
 * relations (which call moves atime, mtime, ctime; relatime) and explicit
 * times from utimensat/futimens/futimesat, sizes and blocks, link counts of
 * directories, statfs/fstatfs. */
#include "diff.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int ts_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	if (a.tv_nsec != b.tv_nsec)
		return a.tv_nsec < b.tv_nsec ? -1 : 1;
	return 0;
}

static const char *rel(struct timespec before, struct timespec after)
{
	int c = ts_cmp(before, after);
	return c == 0 ? "same" : c < 0 ? "later" : "EARLIER";
}

static struct stat snap(const char *p)
{
	struct stat st;
	memset(&st, 0, sizeof(st));
	if (lstat(p, &st) < 0)
		dx_line("  snap %s: -1 %s", p, dx_errname(errno));
	return st;
}

/* How the three times of p moved since `before`, and where ctime stands. */
static void moved(const char *what, const char *p, const struct stat *before)
{
	struct stat now = snap(p);
	dx_line("  after %s: %s atime %s, mtime %s, ctime %s; mtime %s ctime", what, p,
		rel(before->st_atim, now.st_atim), rel(before->st_mtim, now.st_mtim),
		rel(before->st_ctim, now.st_ctim),
		ts_cmp(now.st_mtim, now.st_ctim) == 0 ? "==" : "!=");
}

static void show_times(const char *p)
{
	struct stat st = snap(p);
	dx_line("  %s times: atime %lld.%09ld mtime %lld.%09ld", p, (long long)st.st_atim.tv_sec,
		st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void as_user(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 ||
	    setresuid(1000, 1000, 1000) < 0)
		dx_die("become uid 1000");
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	struct stat b;

	dx_part("modes and the umask");
	dx_show_stat(".");
	T(close(open("f644", O_WRONLY | O_CREAT, 0666)));
	T(mkdir("d755", 0777));
	umask(0);
	T(close(open("f777", O_WRONLY | O_CREAT, 07777)));
	T(mkdir("d1777", 01777));
	T(mkdir("d7777", 07777));
	umask(077);
	T(close(open("f600", O_WRONLY | O_CREAT, 0666)));
	T(mkfifo("fifo", 0666));
	umask(022);
	T(mknod("node", S_IFREG | 0640, 0));
	T(mknod("chr", S_IFCHR | 0600, makedev(1, 3)));
	T(mknod("bad", 0170000 | 0600, 0));
	const char *names[] = {"f644", "d755", "f777", "d1777", "d7777",
			       "f600", "fifo", "node", "chr"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		dx_show_lstat(names[i]);

	dx_part("chmod family");
	int fd = T(open("f644", O_RDWR));
	T(chmod("f644", 04755));
	dx_show_stat("f644");
	T(fchmod(fd, 02711));
	dx_show_stat("f644");
	T(fchmodat(AT_FDCWD, "f644", 0170644, 0));
	dx_show_stat("f644");
	T(chmod("missing", 0644));
	T(symlink("f644", "lnk"));
	T(chmod("lnk", 0600));
	dx_show_stat("f644");
	dx_show_lstat("lnk");
	T(fchmod(fd, 0644));

	dx_part("chown family as root");
	T(chown("f644", 1000, 1001));
	dx_show_stat("f644");
	T(fchown(fd, -1, 0));
	dx_show_stat("f644");
	T(lchown("lnk", 7, 8));
	dx_show_lstat("lnk");
	dx_show_stat("lnk");
	T(fchownat(AT_FDCWD, "lnk", 0, 0, 0));
	dx_show_stat("f644");
	T(chmod("f777", 06777));
	T(chown("f777", 0, 0));
	dx_show_stat("f777");
	T(chmod("f777", 06767));
	T(chown("f777", -1, -1));
	dx_show_stat("f777");
	T(chmod("d755", 02775));
	T(chown("d755", -1, 100));
	dx_show_stat("d755");
	T(close(open("d755/inherits", O_WRONLY | O_CREAT, 0664)));
	T(mkdir("d755/subdir", 0755));
	dx_show_stat("d755/inherits");
	dx_show_stat("d755/subdir");

	dx_part("another user");
	T(chmod("d1777", 01777));
	dx_make_file("d1777/roots", "root's file");
	dx_make_file("rootfile", "root's");
	T(chmod("f777", 04777));
	T(mkdir("open", 0777));
	T(chmod("open", 0777));
	pid_t pid = fork();
	if (pid == 0) {
		as_user();
		T(open("rootfile", O_WRONLY));
		T(open("f600", O_RDONLY));
		T(open("rootfile", O_RDONLY) >= 0);
		T(access("rootfile", W_OK));
		T(access("rootfile", R_OK));
		T(faccessat(AT_FDCWD, "rootfile", W_OK, AT_EACCESS));
		T(chmod("rootfile", 0666));
		T(chown("rootfile", 1000, 1000));
		T(truncate("rootfile", 0));
		T(utimensat(AT_FDCWD, "rootfile", NULL, 0));
		T(unlink("d1777/roots"));
		T(rename("d1777/roots", "d1777/mine"));
		T(mkdir("d755/x", 0755));
		int mine = (int)T(open("open/mine", O_WRONLY | O_CREAT, 0644));
		dx_show_fstat(mine, "open/mine");
		T(fchown(mine, 1000, 0));
		T(fchown(mine, 1000, 1000));
		T(fchmod(mine, 02755));
		dx_show_fstat(mine, "open/mine");
		T(close(mine));
		int w = (int)T(open("f777", O_WRONLY));
		T(write(w, "x", 1));
		T(close(w));
		T(utimensat(AT_FDCWD, "f777", NULL, 0));
		T(utimensat(AT_FDCWD, "f777", (struct timespec[2]){{5, 0}, {5, 0}}, 0));
		T(mknod("open/chr", S_IFCHR | 0600, makedev(1, 3)));
		T(link("rootfile", "open/hard"));
		_exit(0);
	}
	dx_wait("uid 1000", pid);
	dx_show_stat("f777");
	dx_show_stat("rootfile");
	dx_show_dir("open");
	dx_show_dir("d1777");

	dx_part("times");
	dx_make_file("t", "0123");
	b = snap("t");
	dx_tick();
	int t = T(open("t", O_RDWR));
	moved("open", "t", &b);
	b = snap("t");
	dx_tick();
	T(write(t, "ab", 2));
	moved("write", "t", &b);
	b = snap("t");
	dx_tick();
	T(pread(t, (char[8]){0}, 8, 0));
	moved("read (atime <= mtime)", "t", &b);
	b = snap("t");
	dx_tick();
	T(pread(t, (char[8]){0}, 8, 0));
	moved("read again (atime > mtime)", "t", &b);
	b = snap("t");
	dx_tick();
	T(pread(t, (char[8]){0}, 8, 100));
	moved("read at EOF", "t", &b);
	b = snap("t");
	dx_tick();
	T(fchmod(t, 0600));
	moved("fchmod", "t", &b);
	b = snap("t");
	dx_tick();
	T(ftruncate(t, 4));
	moved("ftruncate shorter", "t", &b);
	b = snap("t");
	dx_tick();
	T(ftruncate(t, 4));
	moved("ftruncate same size", "t", &b);
	b = snap("t");
	dx_tick();
	T(write(t, "", 0));
	moved("write 0 bytes", "t", &b);
	b = snap("t");
	dx_tick();
	T(link("t", "t2"));
	moved("link", "t", &b);
	b = snap("t");
	dx_tick();
	T(rename("t2", "t3"));
	moved("rename of the other name", "t", &b);
	b = snap("t");
	dx_tick();
	T(fsync(t));
	moved("fsync", "t", &b);
	b = snap("t");
	dx_tick();
	T(close(open("t", O_WRONLY | O_TRUNC)));
	moved("O_TRUNC of a non-empty file", "t", &b);
	b = snap("t");
	dx_tick();
	T(close(open("t", O_WRONLY | O_TRUNC)));
	moved("O_TRUNC of an empty file", "t", &b);
	b = snap(".");
	dx_tick();
	dx_make_file("new-entry", "");
	moved("create", ".", &b);
	b = snap(".");
	dx_tick();
	T(unlink("new-entry"));
	moved("unlink", ".", &b);
	b = snap(".");
	dx_tick();
	T(stat("t", &(struct stat){0}));
	T(open("t", O_RDONLY | O_CLOEXEC) >= 0);
	moved("lookups", ".", &b);
	b = snap("d755");
	dx_tick();
	T(close(open("d755", O_RDONLY | O_DIRECTORY)));
	dx_show_dir("d755");
	moved("listing", "d755", &b);
	b = snap("lnk");
	dx_tick();
	T(readlink("lnk", (char[64]){0}, 64));
	moved("readlink", "lnk", &b);
	struct statx sx;
	T(statx(AT_FDCWD, "t", 0, STATX_BTIME | STATX_CTIME, &sx));
	dx_line("  btime %s ctime", sx.stx_btime.tv_sec < sx.stx_ctime.tv_sec ||
					    (sx.stx_btime.tv_sec == sx.stx_ctime.tv_sec &&
					     sx.stx_btime.tv_nsec <= sx.stx_ctime.tv_nsec)
					? "<="
					: ">");

	dx_part("explicit times");
	struct timespec ts[2] = {{1234567890, 123456789}, {1000000000, 999999999}};
	T(utimensat(AT_FDCWD, "t", ts, 0));
	show_times("t");
	b = snap("t");
	dx_tick();
	T(utimensat(AT_FDCWD, "t", ((struct timespec[2]){{0, UTIME_OMIT}, {0, UTIME_OMIT}}), 0));
	moved("utimensat OMIT OMIT", "t", &b);
	T(utimensat(AT_FDCWD, "t", ((struct timespec[2]){{0, UTIME_NOW}, {0, UTIME_OMIT}}), 0));
	moved("utimensat NOW OMIT", "t", &b);
	T(utimensat(AT_FDCWD, "t", ((struct timespec[2]){{7, 0}, {8, UTIME_NOW}}), 0));
	moved("utimensat 7 NOW", "t", &b);
	T(utimensat(AT_FDCWD, "t", ((struct timespec[2]){{7, 1000000000}, {8, 0}}), 0));
	T(utimensat(AT_FDCWD, "t", ((struct timespec[2]){{7, -1}, {8, 0}}), 0));
	T(utimensat(AT_FDCWD, "t", ((struct timespec[2]){{-7, 0}, {8, 0}}), 0));
	show_times("t");
	T(futimens(t, ((struct timespec[2]){{11, 12}, {13, 14}})));
	show_times("t");
	T(syscall(SYS_utimensat, t, NULL, ((struct timespec[2]){{21, 22}, {23, 24}}), 0));
	show_times("t");
	T(futimesat(AT_FDCWD, "t", ((struct timeval[2]){{31, 32}, {33, 34}})));
	show_times("t");
	T(futimesat(AT_FDCWD, "t", ((struct timeval[2]){{31, 1000000}, {33, 34}})));
	T(utimes("t", ((struct timeval[2]){{41, 42}, {43, 44}})));
	show_times("t");
	T(utimensat(AT_FDCWD, "lnk", ts, AT_SYMLINK_NOFOLLOW));
	show_times("lnk");
	T(utimensat(AT_FDCWD, "missing", ts, 0));
	T(utimensat(AT_FDCWD, "t", ts, 0x1));
	T(close(t));

	dx_part("sizes, blocks, link counts");
	const long sizes[] = {0, 1, 4095, 4096, 4097, 65536, 100000};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "size%ld", sizes[i]);
		int s = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (s < 0 || ftruncate(s, 0) < 0)
			dx_die(name);
		char page[4096];
		memset(page, 'q', sizeof(page));
		for (long o = 0; o < sizes[i]; o += 4096)
			if (write(s, page, (size_t)(sizes[i] - o > 4096 ? 4096 : sizes[i] - o)) < 0)
				dx_die("write");
		close(s);
		dx_show_stat(name);
	}
	T(mkdir("nl", 0755));
	dx_show_stat("nl");
	T(mkdir("nl/a", 0755));
	T(mkdir("nl/b", 0755));
	dx_make_file("nl/f", "f");
	dx_show_stat("nl");
	T(rename("nl/a", "nl/b/a"));
	dx_show_stat("nl");
	dx_show_stat("nl/b");
	T(rmdir("nl/b/a"));
	dx_show_stat("nl/b");
	dx_show_stat("nl");

	dx_part("statfs");
	struct statfs sf;
	T(statfs(".", &sf));
	dx_line("  tmpfs magic %s, bsize %ld, namelen %ld, frsize %ld, flags %#lx",
		sf.f_type == TMPFS_MAGIC ? "yes" : "no", (long)sf.f_bsize, (long)sf.f_namelen,
		(long)sf.f_frsize,
		(unsigned long)sf.f_flags & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC |
					     ST_NOATIME | ST_NODIRATIME | ST_RELATIME));
	int sd = T(open("nl", O_RDONLY | O_DIRECTORY));
	T(fstatfs(sd, &sf));
	dx_line("  tmpfs magic %s, bsize %ld, namelen %ld", sf.f_type == TMPFS_MAGIC ? "yes" : "no",
		(long)sf.f_bsize, (long)sf.f_namelen);
	struct statvfs sv;
	T(fstatvfs(sd, &sv));
	dx_line("  statvfs bsize %lu, namemax %lu", sv.f_bsize, sv.f_namemax);
	T(close(sd));
	T(statfs("missing", &sf));
	T(statfs("size0/", &sf));
	return 0;
}
