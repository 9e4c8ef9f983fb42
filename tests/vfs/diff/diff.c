/* Shared helpers of the differential scenarios (see diff.h). */
#include "diff.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *dx_work;
const char *dx_other;
const char *dx_base;

static void write_all(int fd, const char *p, size_t n)
{
	for (int tries = 0; n > 0 && tries < 1000; tries++) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void dx_line(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	write_all(1, buf, (size_t)n);
}

void dx_die(const char *what)
{
	int e = errno;
	dx_line("FATAL: %s: %s", what, dx_errname(e));
	exit(99);
}

void dx_begin(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] != '/') {
		fprintf(stderr, "usage: %s WORKDIR [OTHERDIR]\n", argv[0]);
		exit(2);
	}
	dx_work = argv[1];
	dx_other = argc > 2 ? argv[2] : NULL;
	const char *slash = strrchr(dx_work, '/');
	dx_base = slash ? slash + 1 : dx_work;
	if (chdir(dx_work) < 0)
		dx_die("chdir to the work directory");
	umask(022);
}

void dx_part(const char *title)
{
	dx_line("== %s", title);
}

const char *dx_errname(int e)
{
	/* EWOULDBLOCK is EAGAIN and ENOTSUP is EOPNOTSUPP on Linux */
	static const struct {
		int e;
		const char *name;
	} names[] = {
	    {EPERM, "EPERM"},
	    {ENOENT, "ENOENT"},
	    {ESRCH, "ESRCH"},
	    {EINTR, "EINTR"},
	    {EIO, "EIO"},
	    {ENXIO, "ENXIO"},
	    {E2BIG, "E2BIG"},
	    {ENOEXEC, "ENOEXEC"},
	    {EBADF, "EBADF"},
	    {ECHILD, "ECHILD"},
	    {EAGAIN, "EAGAIN"},
	    {ENOMEM, "ENOMEM"},
	    {EACCES, "EACCES"},
	    {EFAULT, "EFAULT"},
	    {ENOTBLK, "ENOTBLK"},
	    {EBUSY, "EBUSY"},
	    {EEXIST, "EEXIST"},
	    {EXDEV, "EXDEV"},
	    {ENODEV, "ENODEV"},
	    {ENOTDIR, "ENOTDIR"},
	    {EISDIR, "EISDIR"},
	    {EINVAL, "EINVAL"},
	    {ENFILE, "ENFILE"},
	    {EMFILE, "EMFILE"},
	    {ENOTTY, "ENOTTY"},
	    {ETXTBSY, "ETXTBSY"},
	    {EFBIG, "EFBIG"},
	    {ENOSPC, "ENOSPC"},
	    {ESPIPE, "ESPIPE"},
	    {EROFS, "EROFS"},
	    {EMLINK, "EMLINK"},
	    {EPIPE, "EPIPE"},
	    {EDOM, "EDOM"},
	    {ERANGE, "ERANGE"},
	    {EDEADLK, "EDEADLK"},
	    {ENAMETOOLONG, "ENAMETOOLONG"},
	    {ENOLCK, "ENOLCK"},
	    {ENOSYS, "ENOSYS"},
	    {ENOTEMPTY, "ENOTEMPTY"},
	    {ELOOP, "ELOOP"},
	    {ENODATA, "ENODATA"},
	    {EOVERFLOW, "EOVERFLOW"},
	    {EBADFD, "EBADFD"},
	    {ENOTSOCK, "ENOTSOCK"},
	    {EOPNOTSUPP, "EOPNOTSUPP"},
	    {ESTALE, "ESTALE"},
	    {EDQUOT, "EDQUOT"},
	    {ECANCELED, "ECANCELED"},
	    {ENOTCONN, "ENOTCONN"},
	    {ECONNREFUSED, "ECONNREFUSED"},
	    {EMSGSIZE, "EMSGSIZE"},
	    {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
	    {EAFNOSUPPORT, "EAFNOSUPPORT"},
	    {EADDRINUSE, "EADDRINUSE"},
	    {ENOMSG, "ENOMSG"},
	    {EILSEQ, "EILSEQ"},
	    {EUCLEAN, "EUCLEAN"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	static char buf[32];
	snprintf(buf, sizeof(buf), "E#%d", e);
	return buf;
}

long dx_result(const char *what, long r, int e)
{
	if (r == -1)
		dx_line("%s = -1 %s", what, dx_errname(e));
	else
		dx_line("%s = %ld", what, r);
	return r;
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "reg";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "lnk";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "sock";
	case S_IFCHR:
		return "chr";
	case S_IFBLK:
		return "blk";
	}
	return "?";
}

void dx_stat(const char *label, const struct stat *st)
{
	char rdev[64] = "";
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		snprintf(rdev, sizeof(rdev), " rdev=%u:%u", major(st->st_rdev), minor(st->st_rdev));
	dx_line("  %s: %s mode=%04o nlink=%lu size=%lld blocks=%lld uid=%u gid=%u blksize=%ld%s",
		label, type_name(st->st_mode), (unsigned)(st->st_mode & 07777),
		(unsigned long)st->st_nlink, (long long)st->st_size, (long long)st->st_blocks,
		(unsigned)st->st_uid, (unsigned)st->st_gid, (long)st->st_blksize, rdev);
}

void dx_show_stat(const char *path)
{
	struct stat st;
	errno = 0;
	int r = stat(path, &st);
	if (r < 0)
		dx_line("  stat %s = -1 %s", path[0] == '/' ? "(abs)" : path, dx_errname(errno));
	else
		dx_stat(path[0] == '/' ? "(abs)" : path, &st);
}

void dx_show_lstat(const char *path)
{
	struct stat st;
	errno = 0;
	int r = lstat(path, &st);
	char label[300];
	snprintf(label, sizeof(label), "lstat %s", path[0] == '/' ? "(abs)" : path);
	if (r < 0)
		dx_line("  %s = -1 %s", label, dx_errname(errno));
	else
		dx_stat(label, &st);
}

void dx_show_fstat(int fd, const char *label)
{
	struct stat st;
	errno = 0;
	if (fstat(fd, &st) < 0)
		dx_line("  fstat %s = -1 %s", label, dx_errname(errno));
	else
		dx_stat(label, &st);
}

void dx_same_inode(const char *label, const struct stat *a, const struct stat *b)
{
	dx_line("  %s: same inode %s", label,
		a->st_ino == b->st_ino && a->st_dev == b->st_dev ? "yes" : "no");
}

void dx_show_cwd(void)
{
	char buf[4200];
	errno = 0;
	long r = syscall(SYS_getcwd, buf, sizeof(buf));
	if (r < 0) {
		dx_line("  getcwd = -1 %s", dx_errname(errno));
		return;
	}
	size_t n = strlen(dx_work);
	if (strncmp(buf, dx_work, n) == 0 && (buf[n] == 0 || buf[n] == '/'))
		dx_line("  getcwd = %ld: .%s", r - (long)n, buf + n);
	else
		dx_line("  getcwd: outside");
}

void dx_show_bytes(const char *label, const void *buf, long n)
{
	char out[4 * 4096 + 1];
	size_t o = 0;
	const unsigned char *p = buf;
	for (long i = 0; i < n && i < 4096; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", p[i]);
	}
	out[o] = 0;
	dx_line("  %s: \"%s\"", label, out);
}

long dx_show_read(const char *label, int fd, size_t n)
{
	char buf[4096];
	if (n > sizeof(buf))
		n = sizeof(buf);
	errno = 0;
	long r = read(fd, buf, n);
	int e = errno;
	char what[300];
	snprintf(what, sizeof(what), "read %s %zu", label, n);
	dx_result(what, r, e);
	if (r > 0)
		dx_show_bytes("data", buf, r);
	return r;
}

void dx_show_file(const char *path)
{
	const char *label = path[0] == '/' ? "(abs)" : path;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		dx_line("  file %s: open -1 %s", label, dx_errname(errno));
		return;
	}
	char buf[4096];
	long got = 0;
	for (int i = 0; i < 64 && got < (long)sizeof(buf); i++) {
		long r = read(fd, buf + got, sizeof(buf) - (size_t)got);
		if (r <= 0)
			break;
		got += r;
	}
	close(fd);
	char what[300];
	snprintf(what, sizeof(what), "file %s (%ld bytes)", label, got);
	dx_show_bytes(what, buf, got);
}

struct dx_dirent {
	char name[256];
	unsigned char type;
};

static int dirent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dx_dirent *)a)->name, ((const struct dx_dirent *)b)->name);
}

static const char *dtype_name(unsigned char t)
{
	switch (t) {
	case DT_REG:
		return "reg";
	case DT_DIR:
		return "dir";
	case DT_LNK:
		return "lnk";
	case DT_FIFO:
		return "fifo";
	case DT_SOCK:
		return "sock";
	case DT_CHR:
		return "chr";
	case DT_BLK:
		return "blk";
	case DT_UNKNOWN:
		return "unknown";
	}
	return "?";
}

void dx_show_dirfd(int fd, const char *label)
{
	static struct dx_dirent ents[512];
	size_t n = 0;
	char buf[2048]; /* small, so a big directory needs several calls */
	for (int calls = 0; calls < 4096; calls++) {
		errno = 0;
		long r = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (r < 0) {
			dx_line("  dir %s: getdents64 = -1 %s", label, dx_errname(errno));
			return;
		}
		if (r == 0)
			break;
		for (long off = 0; off < r;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (n < sizeof(ents) / sizeof(ents[0])) {
				snprintf(ents[n].name, sizeof(ents[n].name), "%s", d->d_name);
				ents[n].type = d->d_type;
				n++;
			}
			if (d->d_reclen == 0)
				break;
			off += d->d_reclen;
		}
	}
	qsort(ents, n, sizeof(ents[0]), dirent_cmp);
	char line[8192];
	size_t o = (size_t)snprintf(line, sizeof(line), "  dir %s: %zu entries:", label, n);
	for (size_t i = 0; i < n && o < sizeof(line) - 300; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, " %s/%s", ents[i].name,
				      dtype_name(ents[i].type));
	dx_line("%s", line);
}

void dx_show_dir(const char *path)
{
	const char *label = path[0] == '/' ? "(abs)" : path;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		dx_line("  dir %s: open -1 %s", label, dx_errname(errno));
		return;
	}
	dx_show_dirfd(fd, label);
	close(fd);
}

void dx_make_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		dx_die(path);
	size_t n = strlen(content);
	if (write(fd, content, n) != (ssize_t)n)
		dx_die("write");
	close(fd);
}

void dx_tick(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

void dx_wait(const char *label, pid_t pid)
{
	int status = 0;
	pid_t r;
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		dx_line("  %s: waitpid -1 %s", label, dx_errname(errno));
	else if (WIFEXITED(status))
		dx_line("  %s: exit %d", label, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		dx_line("  %s: signal %d", label, WTERMSIG(status));
}

static const char *join(const char *base, const char *rel)
{
	static char bufs[8][4200];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof(bufs[0]), "%s/%s", base, rel);
	return b;
}

const char *dx_abs(const char *rel)
{
	return join(dx_work, rel);
}

const char *dx_oth(const char *rel)
{
	return join(dx_other ? dx_other : "/nonexistent-other", rel);
}
