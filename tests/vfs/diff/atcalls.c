/* Scenario atcalls: every *at() call with AT_FDCWD, a directory fd, an O_PATH
 * fd, a file fd (ENOTDIR), a bad fd (EBADF unless the path is absolute), a
 * dirfd outside the work directory; AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW,
 * AT_REMOVEDIR, AT_EACCESS; openat2 with its RESOLVE_* flags; O_TMPFILE;
 * /proc/self/fd and /dev/fd links of files in the work directory. */
#include "diff.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static char pb[4][8192];
static int pn;

static const char *fmt(const char *f, const char *a)
{
	char *b = pb[pn++ % 4];
	snprintf(b, sizeof(pb[0]), f, a);
	return b;
}

static void show_fd(const char *label, long fd)
{
	if (fd >= 0) {
		dx_show_fstat((int)fd, label);
		close((int)fd);
	}
}

static long oa2(int dirfd, const char *p, long flags, long mode, long resolve)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)flags;
	how.mode = (unsigned long long)mode;
	how.resolve = (unsigned long long)resolve;
	return syscall(SYS_openat2, dirfd, p, &how, sizeof(how));
}

static void show_statx(const char *label, int dirfd, const char *p, int flags, unsigned mask)
{
	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	errno = 0;
	long r = statx(dirfd, p, flags, mask, &sx);
	dx_result(label, r, errno);
	if (r == 0)
		dx_line("  mask=%#x mode=%06o nlink=%u size=%llu blocks=%llu uid=%u gid=%u "
			"blksize=%u attrs=%#llx/%#llx",
			sx.stx_mask & (STATX_BASIC_STATS | STATX_BTIME), sx.stx_mode, sx.stx_nlink,
			(unsigned long long)sx.stx_size, (unsigned long long)sx.stx_blocks,
			sx.stx_uid, sx.stx_gid, sx.stx_blksize,
			(unsigned long long)sx.stx_attributes,
			(unsigned long long)sx.stx_attributes_mask);
}

/* readlink of a /proc or /dev/fd link, printed relative to the work dir */
static void show_fdlink(const char *p)
{
	char buf[4200];
	long n = readlink(p, buf, sizeof(buf) - 1);
	if (n < 0) {
		dx_line("  readlink fd link = -1 %s", dx_errname(errno));
		return;
	}
	buf[n] = 0;
	size_t w = strlen(dx_work);
	if (strncmp(buf, dx_work, w) == 0)
		dx_line("  readlink fd link = WORK%s", buf + w);
	else
		dx_line("  readlink fd link: outside the work dir");
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	T(mkdir("d", 0755));
	dx_make_file("d/in", "inside d");
	dx_make_file("top", "at the top");
	T(symlink("in", "d/lnk"));
	int d = T(open("d", O_RDONLY | O_DIRECTORY));
	int dp = T(open("d", O_PATH));
	int work = T(open(".", O_RDONLY | O_DIRECTORY));
	int root = T(open("/", O_PATH));
	int file = T(open("top", O_RDONLY));

	dx_part("openat");
	show_fd("d/in", T(openat(d, "in", O_RDONLY)));
	show_fd("d/in via O_PATH", T(openat(dp, "in", O_RDONLY)));
	show_fd("top", T(openat(AT_FDCWD, "top", O_RDONLY)));
	show_fd("new", T(openat(d, "new", O_WRONLY | O_CREAT | O_EXCL, 0640)));
	show_fd("top via ..", T(openat(d, "../top", O_RDONLY)));
	show_fd("abs", TL("openat(d, ABS top)", openat(d, dx_abs("top"), O_RDONLY)));
	show_fd("abs", TL("openat(99, ABS top)", openat(99, dx_abs("top"), O_RDONLY)));
	show_fd("abs", TL("openat(file, ABS top)", openat(file, dx_abs("top"), O_RDONLY)));
	show_fd("rel",
		TL("openat(root, WORK/top)", openat(root, fmt("%s/top", dx_work + 1), O_RDONLY)));
	show_fd("rel",
		TL("openat(work, ../B/d/in)", openat(work, fmt("../%s/d/in", dx_base), O_RDONLY)));
	T(openat(file, "x", O_RDONLY));
	T(openat(99, "x", O_RDONLY));
	T(openat(-5, "x", O_RDONLY));
	show_fd("empty", T(openat(d, "", O_RDONLY)));

	dx_part("stat family");
	struct stat st;
	T(fstatat(d, "in", &st, 0));
	dx_stat("d/in", &st);
	T(fstatat(d, "lnk", &st, 0));
	dx_stat("d/lnk", &st);
	T(fstatat(d, "lnk", &st, AT_SYMLINK_NOFOLLOW));
	dx_stat("d/lnk nofollow", &st);
	T(fstatat(d, "", &st, AT_EMPTY_PATH));
	dx_stat("d itself", &st);
	T(fstatat(dp, "", &st, AT_EMPTY_PATH));
	dx_stat("d via O_PATH", &st);
	T(fstatat(file, "", &st, AT_EMPTY_PATH));
	dx_stat("top via fd", &st);
	T(fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH) == 0 && S_ISDIR(st.st_mode));
	T(fstatat(d, "", &st, 0));
	T(fstatat(file, "x", &st, 0));
	T(fstatat(d, "in", &st, 0x4000));
	show_statx("statx d/in", d, "in", 0, STATX_BASIC_STATS);
	show_statx("statx d/lnk nofollow", d, "lnk", AT_SYMLINK_NOFOLLOW, STATX_ALL);
	show_statx("statx d empty", d, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE);
	show_statx("statx top fd", file, "", AT_EMPTY_PATH, STATX_BASIC_STATS);
	show_statx("statx sync", d, "in", AT_STATX_FORCE_SYNC, STATX_BASIC_STATS);
	show_statx("statx bad flags", d, "in", 0x40000000, STATX_BASIC_STATS);
	show_statx("statx reserved mask", d, "in", 0, 0x80000000U);
	show_statx("statx missing", d, "missing", 0, STATX_BASIC_STATS);

	dx_part("names through dirfds");
	T(mkdirat(d, "sub", 0700));
	T(mkdirat(d, "sub", 0700));
	T(mkdirat(file, "sub", 0700));
	T(symlinkat("../top", d, "uplink"));
	T(linkat(d, "in", work, "in-hard", 0));
	T(linkat(file, "", d, "top-hard", AT_EMPTY_PATH));
	T(linkat(d, "", d, "d-hard", AT_EMPTY_PATH));
	T(renameat(d, "in", work, "moved-in"));
	T(renameat(work, "moved-in", d, "in"));
	T(renameat(d, "sub", AT_FDCWD, "d/sub2"));
	T(unlinkat(d, "sub2", 0));
	T(unlinkat(d, "sub2", AT_REMOVEDIR));
	T(unlinkat(d, "top-hard", AT_REMOVEDIR));
	T(unlinkat(d, "top-hard", 0x1));
	T(unlinkat(d, "top-hard", 0));
	T(unlinkat(d, "uplink", 0));
	char rb[64];
	long n = T(readlinkat(d, "lnk", rb, sizeof(rb)));
	if (n > 0)
		dx_show_bytes("target", rb, n);
	dx_show_dirfd(d, "d");

	dx_part("access and modes through dirfds");
	T(faccessat(d, "in", R_OK | W_OK, 0));
	T(faccessat(d, "in", X_OK, 0));
	T(faccessat(d, "lnk", F_OK, AT_SYMLINK_NOFOLLOW));
	T(faccessat(d, "in", R_OK, AT_EACCESS));
	T(syscall(SYS_faccessat2, d, "in", R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW));
	T(syscall(SYS_faccessat2, d, "", R_OK, AT_EMPTY_PATH));
	T(syscall(SYS_faccessat2, file, "", R_OK, AT_EMPTY_PATH));
	T(syscall(SYS_faccessat2, d, "in", R_OK, 0x1));
	T(syscall(SYS_faccessat, d, "in", 8));
	T(fchmodat(d, "in", 0600, 0));
	T(fchmodat(d, "lnk", 0600, AT_SYMLINK_NOFOLLOW));
	T(fchmodat(d, "in", 0640, AT_SYMLINK_NOFOLLOW));
	T(fchmodat(d, "in", 0600, 0x1));
	dx_show_stat("d/in");
	T(fchownat(d, "in", 1, 2, 0));
	T(fchownat(d, "lnk", 3, 4, AT_SYMLINK_NOFOLLOW));
	T(fchownat(file, "", 5, 6, AT_EMPTY_PATH));
	T(fchownat(d, "in", -1, -1, 0));
	dx_show_stat("d/in");
	dx_show_lstat("d/lnk");
	dx_show_stat("top");
	struct timespec ts[2] = {{1000000000, 5}, {1100000000, 7}};
	T(utimensat(d, "in", ts, 0));
	T(fstatat(d, "in", &st, 0));
	dx_line("  d/in times: %lld.%ld %lld.%ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
		(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	T(utimensat(d, "lnk", ts, AT_SYMLINK_NOFOLLOW));
	T(fstatat(d, "lnk", &st, AT_SYMLINK_NOFOLLOW));
	dx_line("  d/lnk times: %lld.%ld %lld.%ld", (long long)st.st_atim.tv_sec,
		st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	struct timeval tv[2] = {{900000000, 11}, {950000000, 13}};
	T(futimesat(d, "in", tv));
	T(fstatat(d, "in", &st, 0));
	dx_line("  d/in times: %lld.%ld %lld.%ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
		(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);

	dx_part("openat2");
	show_fd("in", T(oa2(d, "in", O_RDONLY, 0, 0)));
	show_fd("beneath", T(oa2(d, "in", O_RDONLY, 0, RESOLVE_BENEATH)));
	T(oa2(d, "../top", O_RDONLY, 0, RESOLVE_BENEATH));
	T(oa2(d, "lnk", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
	TL("oa2(d, ABS top, RESOLVE_BENEATH)", oa2(d, dx_abs("top"), O_RDONLY, 0, RESOLVE_BENEATH));
	show_fd("in-root", TL("oa2(work, /top, RESOLVE_IN_ROOT)",
			      oa2(work, "/top", O_RDONLY, 0, RESOLVE_IN_ROOT)));
	show_fd("in-root", TL("oa2(work, /../../top, RESOLVE_IN_ROOT)",
			      oa2(work, "/../../top", O_RDONLY, 0, RESOLVE_IN_ROOT)));
	show_fd("no-xdev", T(oa2(d, "in", O_RDONLY, 0, RESOLVE_NO_XDEV)));
	TL("oa2(d, ABS top, RESOLVE_NO_XDEV)", oa2(d, dx_abs("top"), O_RDONLY, 0, RESOLVE_NO_XDEV));
	show_fd("creat", T(oa2(d, "made2", O_WRONLY | O_CREAT, 0604, RESOLVE_BENEATH)));
	T(oa2(d, "in", O_RDONLY, 0644, 0));
	T(oa2(d, "in", O_RDONLY, 0, 0x1000));
	T(syscall(SYS_openat2, d, "in", &(struct open_how){0}, 8));
	T(oa2(d, "in", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT));

	dx_part("O_TMPFILE");
	int tf = T(open("d", O_TMPFILE | O_RDWR, 0600));
	if (tf >= 0) {
		dx_show_fstat(tf, "tmpfile");
		T(write(tf, "anonymous", 9));
		T(linkat(tf, "", d, "named-tmp", AT_EMPTY_PATH));
		dx_show_fstat(tf, "tmpfile linked");
		T(close(tf));
		dx_show_file("d/named-tmp");
	}
	T(open("d", O_TMPFILE | O_RDONLY, 0600));
	T(open("top", O_TMPFILE | O_RDWR, 0600));
	tf = T(open("d", O_TMPFILE | O_RDWR | O_EXCL, 0600));
	T(linkat(tf, "", d, "never", AT_EMPTY_PATH));
	T(close(tf));

	dx_part("/proc/self/fd and /dev/fd");
	int in = T(open("d/in", O_RDWR));
	char lp[64];
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", in);
	show_fdlink(lp);
	int again = TL("open /proc/self/fd/N", open(lp, O_RDONLY));
	if (again >= 0) {
		dx_show_read("again", again, 64);
		close(again);
	}
	snprintf(lp, sizeof(lp), "/dev/fd/%d", d);
	show_fdlink(lp);
	snprintf(lp, sizeof(lp), "/dev/fd/%d/in", d);
	int viadev = TL("open /dev/fd/D/in", open(lp, O_RDONLY));
	if (viadev >= 0) {
		dx_show_read("viadev", viadev, 64);
		close(viadev);
	}
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", in);
	TL("oa2 /proc/self/fd/N RESOLVE_NO_MAGICLINKS",
	   oa2(AT_FDCWD, lp, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
	show_fdlink("/proc/self/cwd");
	T(chdir("d"));
	show_fdlink("/proc/self/cwd");
	T(close(in));
	T(close(d));
	T(close(dp));
	T(close(work));
	T(close(root));
	T(close(file));
	return 0;
}
