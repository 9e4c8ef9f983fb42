/* Random file-system operations for the differential fuzzer (fuzz_diff.sh): the same operation
 * list runs natively on tmpfs and under switchyard on memfs, and what it prints must be the same.
 *
 * Operation i is a pure function of (seed, i), generated before anything runs, so any subset of
 * the list can be replayed (--replay FILE, a list of indexes) and the output depends on the
 * sequence of operations only. Every operation prints one line: its index, the call with its
 * arguments, and the result or errno name, with data read as a hash. Nothing run-dependent is
 * printed: no inode or device numbers (only "same inode as" relations), no absolute paths (the
 * work directory prints as $D), no times except the ones the program set itself, no pids.
 *
 * Containment: every path the fuzzer generates stays inside the work directory. Paths have at
 * most three components and at most one "..", which always follows a name; symlink targets are
 * names only (relative, going down) or "$D/" followed by names. So a ".." is always taken from
 * a directory strictly inside the work directory, and no call can touch the host outside it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

/* The fds the operations work on are the numbers FD_LO .. FD_HI-1; the fuzzer's own fds (the
 * work directory, the log) sit far above them. */
/* The kernel's O_LARGEFILE (libc's is 0 on x86-64, the kernel sets this bit on every open). */
#define KERNEL_O_LARGEFILE 0100000

#define FD_LO 3
#define FD_HI 13
#define FD_ROOT 900
#define FD_LOG 901
#define FD_NONE 999 /* never open: EBADF */

#define MAX_OPS 10000000
#define PATH_LEN 400
#define IO_MAX 70000

enum op_kind {
	OP_OPEN,
	OP_OPENAT,
	OP_CREAT,
	OP_CLOSE,
	OP_DUP,
	OP_DUP2,
	OP_DUP3,
	OP_DUPFD,
	OP_READ,
	OP_PREAD,
	OP_READV,
	OP_WRITE,
	OP_PWRITE,
	OP_WRITEV,
	OP_PWRITEV,
	OP_LSEEK,
	OP_FTRUNCATE,
	OP_TRUNCATE,
	OP_FALLOCATE,
	OP_MKDIR,
	OP_MKDIRAT,
	OP_RMDIR,
	OP_UNLINK,
	OP_UNLINKAT,
	OP_RENAME,
	OP_RENAMEAT2,
	OP_LINK,
	OP_LINKAT,
	OP_SYMLINK,
	OP_READLINK,
	OP_STAT,
	OP_LSTAT,
	OP_FSTAT,
	OP_FSTATAT,
	OP_STATX,
	OP_GETDENTS,
	OP_GETDENTS_FD,
	OP_CHMOD,
	OP_FCHMOD,
	OP_FCHMODAT,
	OP_ACCESS,
	OP_FACCESSAT2,
	OP_UTIMENSAT,
	OP_FUTIMENS,
	OP_CHDIR,
	OP_FCHDIR,
	OP_CHDIR_ROOT,
	OP_FSYNC,
	OP_FDATASYNC,
	OP_GETFL,
	OP_SETFL,
	OP_SENDFILE,
	OP_COPY_RANGE,
	OP_PIPE,
	OP_FIONREAD,
	OP_UMASK,
	OP_TREE,
	OP_COUNT
};

/* --no-holes: no SEEK_DATA/SEEK_HOLE (memfs counts fallocated blocks as
 * data; see tests/vfs/diff/LIMITS.md, L6). */
static int no_holes;

/* Relative weights of the operations in a random list. */
static const struct {
	const char *name;
	int weight;
} op_info[OP_COUNT] = {
    [OP_OPEN] = {"open", 70},
    [OP_OPENAT] = {"openat", 60},
    [OP_CREAT] = {"creat", 10},
    [OP_CLOSE] = {"close", 60},
    [OP_DUP] = {"dup", 10},
    [OP_DUP2] = {"dup2", 12},
    [OP_DUP3] = {"dup3", 5},
    [OP_DUPFD] = {"fcntl_dupfd", 5},
    [OP_READ] = {"read", 40},
    [OP_PREAD] = {"pread", 25},
    [OP_READV] = {"readv", 10},
    [OP_WRITE] = {"write", 45},
    [OP_PWRITE] = {"pwrite", 30},
    [OP_WRITEV] = {"writev", 10},
    [OP_PWRITEV] = {"pwritev", 8},
    [OP_LSEEK] = {"lseek", 30},
    [OP_FTRUNCATE] = {"ftruncate", 15},
    [OP_TRUNCATE] = {"truncate", 12},
    [OP_FALLOCATE] = {"fallocate", 12},
    [OP_MKDIR] = {"mkdir", 40},
    [OP_MKDIRAT] = {"mkdirat", 10},
    [OP_RMDIR] = {"rmdir", 25},
    [OP_UNLINK] = {"unlink", 30},
    [OP_UNLINKAT] = {"unlinkat", 15},
    [OP_RENAME] = {"rename", 30},
    [OP_RENAMEAT2] = {"renameat2", 25},
    [OP_LINK] = {"link", 15},
    [OP_LINKAT] = {"linkat", 10},
    [OP_SYMLINK] = {"symlink", 30},
    [OP_READLINK] = {"readlink", 15},
    [OP_STAT] = {"stat", 30},
    [OP_LSTAT] = {"lstat", 20},
    [OP_FSTAT] = {"fstat", 25},
    [OP_FSTATAT] = {"fstatat", 15},
    [OP_STATX] = {"statx", 10},
    [OP_GETDENTS] = {"getdents", 20},
    [OP_GETDENTS_FD] = {"getdents_fd", 10},
    [OP_CHMOD] = {"chmod", 12},
    [OP_FCHMOD] = {"fchmod", 6},
    [OP_FCHMODAT] = {"fchmodat2", 5},
    [OP_ACCESS] = {"access", 10},
    [OP_FACCESSAT2] = {"faccessat2", 8},
    [OP_UTIMENSAT] = {"utimensat", 15},
    [OP_FUTIMENS] = {"futimens", 8},
    [OP_CHDIR] = {"chdir", 15},
    [OP_FCHDIR] = {"fchdir", 6},
    [OP_CHDIR_ROOT] = {"chdir_root", 12},
    [OP_FSYNC] = {"fsync", 5},
    [OP_FDATASYNC] = {"fdatasync", 3},
    [OP_GETFL] = {"getfl", 8},
    [OP_SETFL] = {"setfl", 6},
    [OP_SENDFILE] = {"sendfile", 6},
    [OP_COPY_RANGE] = {"copy_file_range", 6},
    [OP_PIPE] = {"pipe2", 3},
    [OP_FIONREAD] = {"fionread", 4},
    [OP_UMASK] = {"umask", 3},
    [OP_TREE] = {"tree", 2},
};

/* One generated path: relative to the start directory, or "$D/..." (abs). */
struct fpath {
	int abs;
	char rel[PATH_LEN];
};

struct op {
	int kind;
	struct fpath p1, p2;
	struct fpath target; /* symlink target */
	int flags, flags2, mode, whence, niov;
	int64_t off, len;
	uint32_t sel1, sel2, dsel1, dsel2; /* fd and dirfd selectors, resolved when run */
	struct timespec ts[2];
	int null_times;
};

/* --- deterministic generation --- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(mix64(r->s) >> 32);
}

/* Uniform in [0, n). */
static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((uint64_t)rnd(r) * n) >> 32);
}

/* True with probability num/den. */
static int chance(struct rng *r, uint32_t num, uint32_t den)
{
	return below(r, den) < num;
}

static const char *const names[] = {"a", "b", "c", "d"};

static void gen_path(struct rng *r, struct fpath *p)
{
	p->abs = chance(r, 1, 12);
	p->rel[0] = 0;
	if (chance(r, 1, 150)) { /* the empty path */
		p->abs = 0;
		return;
	}
	if (chance(r, 1, 200)) { /* one name past NAME_MAX */
		memset(p->rel, 'x', 300);
		p->rel[300] = 0;
		return;
	}
	uint32_t n = 1 + below(r, 3);
	if (chance(r, 1, 3))
		n = 1;
	int depth = 0, dotdot = 0;
	for (uint32_t i = 0; i < n; i++) {
		const char *c;
		uint32_t k = below(r, 100);
		if (k < 6)
			c = ".";
		else if (k < 18 && depth > 0 && !dotdot) {
			c = "..";
			dotdot = 1;
			depth--;
		} else {
			c = names[below(r, 4)];
			depth++;
		}
		if (i)
			strcat(p->rel, "/");
		strcat(p->rel, c);
	}
	if (chance(r, 1, 25))
		strcat(p->rel, "/");
}

/* Symlink targets only go down: names, relative or under $D; never "." or "..". */
static void gen_target(struct rng *r, struct fpath *p)
{
	p->abs = chance(r, 1, 5);
	p->rel[0] = 0;
	if (chance(r, 1, 100)) {
		p->abs = 0;
		return;
	}
	uint32_t n = 1 + (chance(r, 1, 3) ? 1 : 0);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			strcat(p->rel, "/");
		strcat(p->rel, names[below(r, 4)]);
	}
}

static int gen_mode(struct rng *r)
{
	static const int modes[] = {0644, 0600, 0755, 0444, 0000, 0777, 01777, 02755, 04711, 0640};
	return modes[below(r, sizeof(modes) / sizeof(modes[0]))];
}

static int64_t gen_len(struct rng *r)
{
	uint32_t k = below(r, 100);
	if (k < 5)
		return 0;
	if (k < 40)
		return 1 + below(r, 64);
	if (k < 75)
		return 1 + below(r, 5000);
	if (k < 90)
		return 4096 + (int)below(r, 3) - 1;
	return 1 + below(r, IO_MAX);
}

static int64_t gen_off(struct rng *r)
{
	uint32_t k = below(r, 100);
	if (k < 30)
		return 0;
	if (k < 60)
		return below(r, 200);
	if (k < 80)
		return 4096 * (int64_t)below(r, 5) + (int)below(r, 3) - 1;
	if (k < 95)
		return below(r, 300000);
	if (k < 98)
		return 1048576 + below(r, 4096);
	if (k < 99)
		return -1 - (int64_t)below(r, 10);
	return ((int64_t)1 << 32) + below(r, 10);
}

static int gen_open_flags(struct rng *r)
{
	static const int acc[] = {O_RDONLY, O_WRONLY, O_RDWR};
	int f = acc[below(r, 3)];
	if (chance(r, 1, 2))
		f |= O_CREAT;
	if (chance(r, 1, 5))
		f |= O_EXCL;
	if (chance(r, 1, 6))
		f |= O_TRUNC;
	if (chance(r, 1, 6))
		f |= O_APPEND;
	if (chance(r, 1, 8))
		f |= O_DIRECTORY;
	if (chance(r, 1, 8))
		f |= O_NOFOLLOW;
	if (chance(r, 1, 8))
		f |= O_CLOEXEC;
	if (chance(r, 1, 20))
		f |= O_NONBLOCK;
	if (chance(r, 1, 40))
		f = O_PATH | (f & (O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (chance(r, 1, 60))
		f = (chance(r, 1, 2) ? O_RDWR : O_WRONLY) | O_TMPFILE | (f & O_EXCL);
	return f;
}

static void gen_time(struct rng *r, struct timespec *t)
{
	static const long secs[] = {0, 1, 1000000000, 1234567890, 1400000000, 86400, -1};
	static const long nsecs[] = {0, 1, 500000000, 999999999, 123456789};
	uint32_t k = below(r, 20);
	t->tv_sec = secs[below(r, sizeof(secs) / sizeof(secs[0]))];
	t->tv_nsec = nsecs[below(r, sizeof(nsecs) / sizeof(nsecs[0]))];
	if (k == 0)
		t->tv_nsec = UTIME_NOW;
	else if (k == 1)
		t->tv_nsec = UTIME_OMIT;
}

static int pick_kind(struct rng *r)
{
	static int total;
	if (!total)
		for (int i = 0; i < OP_COUNT; i++)
			total += op_info[i].weight;
	int x = (int)below(r, (uint32_t)total);
	for (int i = 0; i < OP_COUNT; i++) {
		if (x < op_info[i].weight)
			return i;
		x -= op_info[i].weight;
	}
	return OP_TREE;
}

/* Operation `index` of the list of `seed`: depends on nothing else. */
static void gen_op(uint64_t seed, uint64_t index, struct op *o)
{
	struct rng r = {mix64(seed * 0x100000001b3ULL) ^ mix64(index + 0x51ed27)};
	memset(o, 0, sizeof(*o));
	o->kind = pick_kind(&r);
	gen_path(&r, &o->p1);
	gen_path(&r, &o->p2);
	gen_target(&r, &o->target);
	o->flags = gen_open_flags(&r);
	o->mode = gen_mode(&r);
	o->off = gen_off(&r);
	o->len = gen_len(&r);
	o->sel1 = rnd(&r);
	o->sel2 = rnd(&r);
	o->dsel1 = rnd(&r);
	o->dsel2 = rnd(&r);
	o->niov = 1 + (int)below(&r, 3);
	gen_time(&r, &o->ts[0]);
	gen_time(&r, &o->ts[1]);
	o->null_times = chance(&r, 1, 10);
	switch (o->kind) {
	case OP_LSEEK: {
		static const int wh[] = {SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE};
		o->whence = wh[below(&r, 5)];
		if (no_holes && o->whence == SEEK_DATA) /* --no-holes: a documented limit */
			o->whence = SEEK_SET;
		else if (no_holes && o->whence == SEEK_HOLE)
			o->whence = SEEK_END;
		if (o->whence == SEEK_CUR || o->whence == SEEK_END)
			o->off =
			    chance(&r, 1, 2) ? -(int64_t)below(&r, 5000) : (int64_t)below(&r, 5000);
		break;
	}
	case OP_FTRUNCATE:
	case OP_TRUNCATE: {
		static const int64_t lens[] = {0,    1,	    100,    4095,    4096,
					       4097, 10000, 100000, 1048576, -1};
		o->len = lens[below(&r, sizeof(lens) / sizeof(lens[0]))];
		break;
	}
	case OP_FALLOCATE: {
		static const int modes[] = {0, FALLOC_FL_KEEP_SIZE,
					    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					    FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE};
		o->flags2 = modes[below(&r, 5)];
		o->len = chance(&r, 1, 10) ? 0 : gen_len(&r);
		break;
	}
	case OP_UNLINKAT:
		o->flags2 = chance(&r, 1, 3) ? AT_REMOVEDIR : 0;
		break;
	case OP_RENAMEAT2: {
		static const int fl[] = {0,
					 RENAME_NOREPLACE,
					 RENAME_EXCHANGE,
					 RENAME_EXCHANGE,
					 RENAME_NOREPLACE | RENAME_EXCHANGE,
					 RENAME_WHITEOUT};
		uint32_t k = below(&r, 6);
		o->flags2 = fl[k == 5 && !chance(&r, 1, 4) ? 1 : k];
		break;
	}
	case OP_LINKAT:
		o->flags2 = chance(&r, 1, 3) ? AT_SYMLINK_FOLLOW : 0;
		if (chance(&r, 1, 6))
			o->flags2 = AT_EMPTY_PATH;
		break;
	case OP_FSTATAT:
	case OP_STATX:
		o->flags2 = (chance(&r, 1, 2) ? AT_SYMLINK_NOFOLLOW : 0) |
			    (chance(&r, 1, 6) ? AT_EMPTY_PATH : 0);
		break;
	case OP_FCHMODAT:
		o->flags2 = chance(&r, 1, 2) ? AT_SYMLINK_NOFOLLOW : 0;
		break;
	case OP_ACCESS:
	case OP_FACCESSAT2: {
		static const int am[] = {F_OK, R_OK, W_OK, X_OK, R_OK | W_OK, R_OK | X_OK};
		o->mode = am[below(&r, 6)];
		o->flags2 = (chance(&r, 1, 3) ? AT_SYMLINK_NOFOLLOW : 0) |
			    (chance(&r, 1, 3) ? AT_EACCESS : 0);
		break;
	}
	case OP_UTIMENSAT:
	case OP_FUTIMENS:
		o->flags2 = chance(&r, 1, 3) ? AT_SYMLINK_NOFOLLOW : 0;
		break;
	case OP_DUP3:
		o->flags2 = chance(&r, 1, 2) ? O_CLOEXEC : 0;
		break;
	case OP_SETFL:
		o->flags2 = (chance(&r, 1, 2) ? O_APPEND : 0) | (chance(&r, 1, 3) ? O_NONBLOCK : 0);
		break;
	case OP_UMASK: {
		static const int um[] = {022, 0, 077, 027, 0777};
		o->mode = um[below(&r, 5)];
		break;
	}
	case OP_READLINK:
		o->len = chance(&r, 1, 5) ? 1 + below(&r, 4) : 256;
		break;
	case OP_DUPFD:
		o->flags2 = chance(&r, 1, 2) ? F_DUPFD : F_DUPFD_CLOEXEC;
		o->len = FD_LO + below(&r, FD_HI - FD_LO + 2);
		break;
	default:
		break;
	}
}

/* --- output --- */

static int out_fd = 1;
static char line[1 << 17];
static size_t line_len;
static const char *work_dir; /* absolute, as given */
static size_t work_len;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + line_len, sizeof(line) - line_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		line_len += (size_t)n;
	if (line_len >= sizeof(line))
		line_len = sizeof(line) - 1;
}

static void out_end(void)
{
	line[line_len++] = '\n';
	size_t done = 0;
	while (done < line_len) {
		ssize_t w = write(out_fd, line + done, line_len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			_exit(3);
		}
		done += (size_t)w;
	}
	line_len = 0;
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* Prints " = r" or " = -1 ENAME" for a syscall's result. */
static long result(long r)
{
	int e = errno;
	if (r < 0)
		out(" = -1 %s", ename(e));
	else
		out(" = %ld", r);
	errno = e;
	return r;
}

static void out_path(const struct fpath *p)
{
	if (strlen(p->rel) > 64)
		out("\"%s%c*%zu\"", p->abs ? "$D/" : "", p->rel[0], strlen(p->rel));
	else
		out("\"%s%s\"", p->abs ? "$D/" : "", p->rel);
}

/* The path to pass to the kernel. */
static const char *real_path(const struct fpath *p, char *buf)
{
	if (p->abs)
		snprintf(buf, PATH_LEN + 4096, "%s/%s", work_dir, p->rel);
	else
		snprintf(buf, PATH_LEN + 4096, "%s", p->rel);
	return buf;
}

/* A string that may hold the work directory: print it as $D. */
static void out_runpath(const char *s, long n)
{
	out("\"");
	long i = 0;
	if ((size_t)n >= work_len && memcmp(s, work_dir, work_len) == 0 &&
	    ((size_t)n == work_len || s[work_len] == '/')) {
		out("$D");
		i = (long)work_len;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out("%c", c);
		else
			out("\\x%02x", c);
	}
	out("\"");
}

static void out_flags(int f)
{
	static const struct {
		int bit;
		const char *name;
	} bits[] = {
	    {O_CREAT, "CREAT"},	      {O_EXCL, "EXCL"},		{O_TRUNC, "TRUNC"},
	    {O_APPEND, "APPEND"},     {O_NOFOLLOW, "NOFOLLOW"}, {O_CLOEXEC, "CLOEXEC"},
	    {O_NONBLOCK, "NONBLOCK"}, {O_PATH, "PATH"},		{KERNEL_O_LARGEFILE, "LARGEFILE"}};
	if ((f & O_TMPFILE) == O_TMPFILE) {
		out("TMPFILE|");
		f &= ~O_TMPFILE;
	} else if (f & O_DIRECTORY) {
		out("DIRECTORY|");
		f &= ~O_DIRECTORY;
	}
	static const char *const acc[] = {"RDONLY", "WRONLY", "RDWR", "ACC3"};
	if (!(f & O_PATH))
		out("%s", acc[f & O_ACCMODE]);
	f &= ~O_ACCMODE;
	int first = (f & O_PATH) != 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (f & bits[i].bit) {
			out("%s%s", first ? "" : "|", bits[i].name);
			first = 0;
			f &= ~bits[i].bit;
		}
	if (f)
		out("|0x%x", f);
}

static uint32_t fnv(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Data read: length, hash and the first bytes. */
static void out_data(const unsigned char *p, long n)
{
	if (n <= 0)
		return;
	out(" h=%08x \"", fnv(p, (size_t)n));
	for (long i = 0; i < n && i < 12; i++)
		out(p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\' ? "%c" : "\\x%02x",
		    p[i]);
	out("%s\"", n > 12 ? "..." : "");
}

/* --- state: the fd pool, the work directory --- */

static int fd_open[FD_HI];

static void pool_add(long fd)
{
	if (fd < 0)
		return;
	if (fd >= FD_LO && fd < FD_HI) {
		fd_open[fd] = 1;
		return;
	}
	/* Out of the pool (it is full): give it back at once, saying so. */
	syscall(SYS_close, fd);
	out(" (closed, out of pool)");
}

/* The sel-th open fd of the pool (in number order), or FD_NONE if none is open or by chance. */
static int pick_fd(uint32_t sel)
{
	int open[FD_HI], n = 0;
	for (int fd = FD_LO; fd < FD_HI; fd++)
		if (fd_open[fd])
			open[n++] = fd;
	if (n == 0 || sel % 40 == 0)
		return FD_NONE;
	return open[(sel / 40) % (uint32_t)n];
}

/* A dirfd for *at calls: the cwd, the work directory, or a pool fd. */
static int pick_dirfd(uint32_t sel)
{
	switch (sel % 5) {
	case 0:
	case 1:
		return AT_FDCWD;
	case 2:
		return FD_ROOT;
	default:
		return pick_fd(sel / 5);
	}
}

static void out_dirfd(int dfd)
{
	if (dfd == AT_FDCWD)
		out("CWD");
	else if (dfd == FD_ROOT)
		out("ROOT");
	else
		out("%d", dfd);
}

static void deterministic_data(unsigned char *buf, size_t n, uint64_t index)
{
	static const char set[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)set[(index * 7 + i * 13 + (i >> 7)) % 62];
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
	case S_IFCHR:
		return "chr";
	case S_IFBLK:
		return "blk";
	case S_IFSOCK:
		return "sock";
	}
	return "?";
}

/* A time the fuzzer set itself (all are before 2015) prints as is; any other is "now". */
static void out_time(const char *label, long sec, long nsec)
{
	if (sec < 1420000000)
		out(" %s=%ld.%09ld", label, sec, nsec);
	else
		out(" %s=now", label);
}

/* Which of the names a..d, x/y (from the work directory, not followed) and pool fds name the
 * same inode. */
static void out_same_inode(dev_t dev, ino_t ino)
{
	struct stat st;
	char p[8];
	int first = 1;
	out(" same=[");
	if (syscall(SYS_newfstatat, FD_ROOT, ".", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == dev && st.st_ino == ino) {
		out("$D");
		first = 0;
	}
	for (int i = 0; i < 4; i++)
		for (int j = -1; j < 4; j++) {
			if (j < 0)
				snprintf(p, sizeof(p), "%s", names[i]);
			else
				snprintf(p, sizeof(p), "%s/%s", names[i], names[j]);
			if (syscall(SYS_newfstatat, FD_ROOT, p, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    st.st_dev == dev && st.st_ino == ino) {
				out("%s%s", first ? "" : ",", p);
				first = 0;
			}
		}
	for (int fd = FD_LO; fd < FD_HI; fd++)
		if (fd_open[fd] && syscall(SYS_fstat, fd, &st) == 0 && st.st_dev == dev &&
		    st.st_ino == ino) {
			out("%sfd%d", first ? "" : ",", fd);
			first = 0;
		}
	out("]");
}

static void out_stat(const struct stat *st)
{
	out(" %s %04o n=%lu", type_name(st->st_mode), (unsigned)(st->st_mode & 07777),
	    (unsigned long)st->st_nlink);
	/* A symlink's size is its target's length: relative targets are at most "a/b", longer
	 * ones start with the work directory. */
	if (S_ISLNK(st->st_mode) && (size_t)st->st_size > work_len)
		out(" s=$D+%lld", (long long)(st->st_size - (off_t)work_len));
	else
		out(" s=%lld", (long long)st->st_size);
	out(" b=%lld u=%u g=%u", (long long)st->st_blocks, st->st_uid, st->st_gid);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		out(" rdev=%u:%u", major(st->st_rdev), minor(st->st_rdev));
	out_time("a", st->st_atim.tv_sec, st->st_atim.tv_nsec);
	out_time("m", st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	out_same_inode(st->st_dev, st->st_ino);
}

/* Sorted listing of what is left to read on a directory fd. */
struct dent {
	char name[260];
	unsigned char type;
};

static int dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

#define MAX_DENTS 512
static struct dent dents[MAX_DENTS];

/* Reads all the remaining entries of fd into dents (sorted); gives their count or -1. */
static long read_dents(int fd, int *truncated)
{
	static char buf[8192];
	long n = 0;
	*truncated = 0;
	for (int rounds = 0; rounds < 1000; rounds++) {
		long r = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		for (long pos = 0; pos < r;) {
			struct dirent64 *d = (struct dirent64 *)(buf + pos);
			if (n < MAX_DENTS) {
				snprintf(dents[n].name, sizeof(dents[n].name), "%s", d->d_name);
				dents[n].type = d->d_type;
				n++;
			} else {
				*truncated = 1;
			}
			pos += d->d_reclen;
		}
	}
	qsort(dents, (size_t)n, sizeof(dents[0]), dent_cmp);
	return n;
}

static void out_dents(int fd)
{
	int trunc;
	errno = 0;
	long n = read_dents(fd, &trunc);
	if (n < 0) {
		result(-1);
		return;
	}
	out(" = %ld [", n);
	static const char dt[] = "u?c?d?b?r?l?s?w";
	for (long i = 0; i < n; i++)
		out("%s%s:%c", i ? " " : "", dents[i].name,
		    dents[i].type < sizeof(dt) - 1 ? dt[dents[i].type] : '?');
	out("]%s", trunc ? " (truncated)" : "");
}

/* The cwd relative to the work directory. */
static void out_cwd(void)
{
	static char buf[8192];
	long r = syscall(SYS_getcwd, buf, sizeof(buf));
	out(" cwd=");
	if (r < 0)
		out("-1 %s", ename(errno));
	else if (strncmp(buf, work_dir, work_len) == 0 &&
		 (buf[work_len] == 0 || buf[work_len] == '/'))
		out(".%s", buf + work_len);
	else
		out("outside");
}

/* The whole tree under the work directory, sorted, depth-first: what every file holds. */
static int tree_count;
static void tree_dir(int dfd, const char *rel, int depth, int with_data)
{
	static unsigned char data[1 << 16];
	int trunc;
	long n = read_dents(dfd, &trunc);
	if (n < 0) {
		out_end();
		out("  %s: getdents -1 %s", rel, ename(errno));
		return;
	}
	struct dent *mine = malloc(sizeof(struct dent) * (size_t)(n ? n : 1));
	if (!mine)
		_exit(3);
	memcpy(mine, dents, sizeof(struct dent) * (size_t)n);
	for (long i = 0; i < n && tree_count < 2000; i++) {
		const char *name = mine[i].name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", rel, name);
		struct stat st;
		out_end();
		tree_count++;
		out("  %s", path);
		if (syscall(SYS_newfstatat, dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			out(" stat -1 %s", ename(errno));
			continue;
		}
		out_stat(&st);
		if (S_ISLNK(st.st_mode)) {
			char t[512];
			long r = syscall(SYS_readlinkat, dfd, name, t, sizeof(t));
			if (r >= 0) {
				out(" ->");
				out_runpath(t, r);
			}
		} else if (S_ISREG(st.st_mode) && with_data) {
			int fd = (int)syscall(SYS_openat, dfd, name, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				uint32_t h = 2166136261u;
				int64_t total = 0;
				for (int k = 0; k < 4096; k++) {
					long r = syscall(SYS_read, fd, data, sizeof(data));
					if (r <= 0)
						break;
					for (long j = 0; j < r; j++)
						h = (h ^ data[j]) * 16777619u;
					total += r;
				}
				syscall(SYS_close, fd);
				out(" data=%lld:%08x", (long long)total, h);
			}
		} else if (S_ISDIR(st.st_mode) && depth < 8) {
			int sub = (int)syscall(SYS_openat, dfd, name,
					       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				int high =
				    (int)syscall(SYS_fcntl, sub, F_DUPFD_CLOEXEC, 600 + depth);
				syscall(SYS_close, sub);
				if (high >= 0) {
					tree_dir(high, path, depth + 1, with_data);
					syscall(SYS_close, high);
				}
			}
		}
	}
	free(mine);
}

static void tree(int with_data)
{
	int fd = (int)syscall(SYS_openat, FD_ROOT, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		result(-1);
		return;
	}
	int high = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 599);
	syscall(SYS_close, fd);
	tree_count = 0;
	tree_dir(high, "$D", 0, with_data);
	syscall(SYS_close, high);
}

/* --- running one operation --- */

static unsigned char iobuf[IO_MAX + 16];

static void run_op(uint64_t index, const struct op *o)
{
	char b1[PATH_LEN + 4096], b2[PATH_LEN + 4096], bt[PATH_LEN + 4096];
	const char *p1 = real_path(&o->p1, b1), *p2 = real_path(&o->p2, b2);
	const char *name = op_info[o->kind].name;
	int fd = pick_fd(o->sel1), fd2 = pick_fd(o->sel2);
	int dfd = pick_dirfd(o->dsel1), dfd2 = pick_dirfd(o->dsel2);
	size_t len = o->len < 0 ? 0 : (size_t)o->len;
	if (len > IO_MAX)
		len = IO_MAX;
	long r;
	struct stat st;

	out("#%llu %s(", (unsigned long long)index, name);
	errno = 0;
	switch (o->kind) {
	case OP_OPEN:
		out_path(&o->p1);
		out(", ");
		out_flags(o->flags);
		out(", %04o)", o->mode);
		pool_add(result(syscall(SYS_open, p1, o->flags, o->mode)));
		break;
	case OP_OPENAT:
		out_dirfd(dfd);
		out(", ");
		out_path(&o->p1);
		out(", ");
		out_flags(o->flags);
		out(", %04o)", o->mode);
		pool_add(result(syscall(SYS_openat, dfd, p1, o->flags, o->mode)));
		break;
	case OP_CREAT:
		out_path(&o->p1);
		out(", %04o)", o->mode);
		pool_add(result(syscall(SYS_creat, p1, o->mode)));
		break;
	case OP_CLOSE:
		out("%d)", fd);
		if (result(syscall(SYS_close, fd)) == 0 && fd < FD_HI)
			fd_open[fd] = 0;
		break;
	case OP_DUP:
		out("%d)", fd);
		pool_add(result(syscall(SYS_dup, fd)));
		break;
	case OP_DUP2:
	case OP_DUP3: {
		int to = FD_LO + (int)(o->sel2 % (FD_HI - FD_LO));
		if (o->kind == OP_DUP2) {
			out("%d, %d)", fd, to);
			r = result(syscall(SYS_dup2, fd, to));
		} else {
			out("%d, %d, %s)", fd, to, o->flags2 ? "CLOEXEC" : "0");
			r = result(syscall(SYS_dup3, fd, to, o->flags2));
		}
		pool_add(r);
		break;
	}
	case OP_DUPFD:
		out("%d, %s, %lld)", fd, o->flags2 == F_DUPFD ? "F_DUPFD" : "F_DUPFD_CLOEXEC",
		    (long long)o->len);
		pool_add(result(syscall(SYS_fcntl, fd, o->flags2, (long)o->len)));
		break;
	case OP_READ:
		out("%d, %zu)", fd, len);
		r = result(syscall(SYS_read, fd, iobuf, len));
		out_data(iobuf, r);
		break;
	case OP_PREAD:
		out("%d, %zu, %lld)", fd, len, (long long)o->off);
		r = result(syscall(SYS_pread64, fd, iobuf, len, o->off));
		out_data(iobuf, r);
		break;
	case OP_READV:
	case OP_WRITEV:
	case OP_PWRITEV: {
		struct iovec iov[3];
		size_t part = len / (size_t)o->niov, pos = 0;
		for (int i = 0; i < o->niov; i++) {
			size_t n = i == o->niov - 1 ? len - pos : part;
			iov[i].iov_base = iobuf + pos + (size_t)i; /* a gap of one byte between */
			iov[i].iov_len = n;
			pos += n;
		}
		if (o->kind == OP_READV) {
			out("%d, %d x %zu)", fd, o->niov, len);
			memset(iobuf, 0, len + 4);
			r = result(syscall(SYS_readv, fd, iov, o->niov));
			/* Hash the bytes where they landed, gaps included (they must stay 0). */
			out_data(iobuf, r > 0 ? r + o->niov - 1 : r);
		} else {
			deterministic_data(iobuf, len + 4, index);
			if (o->kind == OP_WRITEV) {
				out("%d, %d x %zu)", fd, o->niov, len);
				result(syscall(SYS_writev, fd, iov, o->niov));
			} else {
				out("%d, %d x %zu, %lld)", fd, o->niov, len, (long long)o->off);
				result(syscall(SYS_pwritev, fd, iov, o->niov, (long)o->off, 0L));
			}
		}
		break;
	}
	case OP_WRITE:
		out("%d, %zu)", fd, len);
		deterministic_data(iobuf, len, index);
		result(syscall(SYS_write, fd, iobuf, len));
		break;
	case OP_PWRITE:
		out("%d, %zu, %lld)", fd, len, (long long)o->off);
		deterministic_data(iobuf, len, index);
		result(syscall(SYS_pwrite64, fd, iobuf, len, o->off));
		break;
	case OP_LSEEK: {
		static const char *const wn[] = {"SET", "CUR", "END", "DATA", "HOLE"};
		int64_t off = o->off;
		int whence = o->whence;
		/* Directory offsets are the file system's own cookies: only rewinds compare. */
		if (syscall(SYS_fstat, fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			off = 0;
			whence = SEEK_SET;
		}
		out("%d, %lld, %s)", fd, (long long)off, wn[whence]);
		result(syscall(SYS_lseek, fd, off, whence));
		break;
	}
	case OP_FTRUNCATE:
		out("%d, %lld)", fd, (long long)o->len);
		result(syscall(SYS_ftruncate, fd, o->len));
		break;
	case OP_TRUNCATE:
		out_path(&o->p1);
		out(", %lld)", (long long)o->len);
		result(syscall(SYS_truncate, p1, o->len));
		break;
	case OP_FALLOCATE:
		out("%d, %s%s%s, %lld, %lld)", fd,
		    o->flags2 & FALLOC_FL_KEEP_SIZE ? "KEEP_SIZE" : "0",
		    o->flags2 & FALLOC_FL_PUNCH_HOLE ? "|PUNCH_HOLE" : "",
		    o->flags2 & FALLOC_FL_ZERO_RANGE ? "|ZERO_RANGE" : "", (long long)o->off,
		    (long long)o->len);
		result(syscall(SYS_fallocate, fd, o->flags2, o->off, o->len));
		break;
	case OP_MKDIR:
		out_path(&o->p1);
		out(", %04o)", o->mode);
		result(syscall(SYS_mkdir, p1, o->mode));
		break;
	case OP_MKDIRAT:
		out_dirfd(dfd);
		out(", ");
		out_path(&o->p1);
		out(", %04o)", o->mode);
		result(syscall(SYS_mkdirat, dfd, p1, o->mode));
		break;
	case OP_RMDIR:
		out_path(&o->p1);
		out(")");
		result(syscall(SYS_rmdir, p1));
		break;
	case OP_UNLINK:
		out_path(&o->p1);
		out(")");
		result(syscall(SYS_unlink, p1));
		break;
	case OP_UNLINKAT:
		out_dirfd(dfd);
		out(", ");
		out_path(&o->p1);
		out(", %s)", o->flags2 ? "AT_REMOVEDIR" : "0");
		result(syscall(SYS_unlinkat, dfd, p1, o->flags2));
		break;
	case OP_RENAME:
		out_path(&o->p1);
		out(", ");
		out_path(&o->p2);
		out(")");
		result(syscall(SYS_rename, p1, p2));
		break;
	case OP_RENAMEAT2:
		out_dirfd(dfd);
		out(", ");
		out_path(&o->p1);
		out(", ");
		out_dirfd(dfd2);
		out(", ");
		out_path(&o->p2);
		out(", %s%s%s%s)", o->flags2 ? "" : "0",
		    o->flags2 & RENAME_NOREPLACE ? "NOREPLACE " : "",
		    o->flags2 & RENAME_EXCHANGE ? "EXCHANGE " : "",
		    o->flags2 & RENAME_WHITEOUT ? "WHITEOUT " : "");
		result(syscall(SYS_renameat2, dfd, p1, dfd2, p2, o->flags2));
		break;
	case OP_LINK:
		out_path(&o->p1);
		out(", ");
		out_path(&o->p2);
		out(")");
		result(syscall(SYS_link, p1, p2));
		break;
	case OP_LINKAT:
		if (o->flags2 == AT_EMPTY_PATH) {
			out("%d, \"\", ", fd);
			out_dirfd(dfd2);
			out(", ");
			out_path(&o->p2);
			out(", AT_EMPTY_PATH)");
			result(syscall(SYS_linkat, fd, "", dfd2, p2, AT_EMPTY_PATH));
			break;
		}
		out_dirfd(dfd);
		out(", ");
		out_path(&o->p1);
		out(", ");
		out_dirfd(dfd2);
		out(", ");
		out_path(&o->p2);
		out(", %s)", o->flags2 ? "AT_SYMLINK_FOLLOW" : "0");
		result(syscall(SYS_linkat, dfd, p1, dfd2, p2, o->flags2));
		break;
	case OP_SYMLINK:
		out_path(&o->target);
		out(", ");
		out_path(&o->p2);
		out(")");
		result(syscall(SYS_symlink, real_path(&o->target, bt), p2));
		break;
	case OP_READLINK: {
		char t[512];
		out_path(&o->p1);
		out(", %zu)", len);
		r = syscall(SYS_readlink, p1, t, len);
		if (r > 0 && t[0] == '/') {
			/* An absolute target starts with the work directory: its length and its
			 * cut form print relative to it. */
			if ((size_t)r >= work_len)
				out(" = $D+%ld ", r - (long)work_len);
			else
				out(" = %ld cut inside $D", r);
			if ((size_t)r >= work_len)
				out_runpath(t, r);
		} else if (result(r) >= 0) {
			out(" ");
			out_runpath(t, r);
		}
		break;
	}
	case OP_STAT:
	case OP_LSTAT:
		out_path(&o->p1);
		out(")");
		if (result(syscall(o->kind == OP_STAT ? SYS_stat : SYS_lstat, p1, &st)) == 0)
			out_stat(&st);
		break;
	case OP_FSTAT:
		out("%d)", fd);
		if (result(syscall(SYS_fstat, fd, &st)) == 0)
			out_stat(&st);
		break;
	case OP_FSTATAT: {
		int at = o->flags2 & AT_EMPTY_PATH ? fd : dfd;
		const char *p = o->flags2 & AT_EMPTY_PATH ? "" : p1;
		out_dirfd(at);
		out(", ");
		if (o->flags2 & AT_EMPTY_PATH)
			out("\"\"");
		else
			out_path(&o->p1);
		out(", %s%s)", o->flags2 & AT_SYMLINK_NOFOLLOW ? "NOFOLLOW " : "",
		    o->flags2 & AT_EMPTY_PATH ? "EMPTY_PATH" : "");
		if (result(syscall(SYS_newfstatat, at, p, &st, o->flags2)) == 0)
			out_stat(&st);
		break;
	}
	case OP_STATX: {
		struct statx sx;
		int at = o->flags2 & AT_EMPTY_PATH ? fd : dfd;
		const char *p = o->flags2 & AT_EMPTY_PATH ? "" : p1;
		out_dirfd(at);
		out(", ");
		if (o->flags2 & AT_EMPTY_PATH)
			out("\"\"");
		else
			out_path(&o->p1);
		out(", %s%s)", o->flags2 & AT_SYMLINK_NOFOLLOW ? "NOFOLLOW " : "",
		    o->flags2 & AT_EMPTY_PATH ? "EMPTY_PATH" : "");
		if (result(syscall(SYS_statx, at, p, o->flags2, STATX_BASIC_STATS, &sx)) == 0) {
			out(" mask&basic=%x", sx.stx_mask & STATX_BASIC_STATS);
			memset(&st, 0, sizeof(st));
			st.st_mode = sx.stx_mode;
			st.st_nlink = sx.stx_nlink;
			st.st_size = (off_t)sx.stx_size;
			st.st_blocks = (blkcnt_t)sx.stx_blocks;
			st.st_uid = sx.stx_uid;
			st.st_gid = sx.stx_gid;
			st.st_rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
			st.st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
			st.st_ino = sx.stx_ino;
			st.st_atim.tv_sec = sx.stx_atime.tv_sec;
			st.st_atim.tv_nsec = sx.stx_atime.tv_nsec;
			st.st_mtim.tv_sec = sx.stx_mtime.tv_sec;
			st.st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
			out_stat(&st);
		}
		break;
	}
	case OP_GETDENTS: {
		out_path(&o->p1);
		out(")");
		int d = (int)syscall(SYS_open, p1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d < 0) {
			result(-1);
			break;
		}
		int high = (int)syscall(SYS_fcntl, d, F_DUPFD_CLOEXEC, 700);
		syscall(SYS_close, d);
		out_dents(high);
		syscall(SYS_close, high);
		break;
	}
	case OP_GETDENTS_FD:
		out("%d)", fd);
		out_dents(fd);
		break;
	case OP_CHMOD:
		out_path(&o->p1);
		out(", %04o)", o->mode);
		result(syscall(SYS_chmod, p1, o->mode));
		break;
	case OP_FCHMOD:
		out("%d, %04o)", fd, o->mode);
		result(syscall(SYS_fchmod, fd, o->mode));
		break;
	case OP_FCHMODAT:
		out_dirfd(dfd);
		out(", ");
		out_path(&o->p1);
		out(", %04o, %s)", o->mode, o->flags2 ? "NOFOLLOW" : "0");
		result(syscall(SYS_fchmodat2, dfd, p1, o->mode, o->flags2));
		break;
	case OP_ACCESS:
		out_path(&o->p1);
		out(", %d)", o->mode);
		result(syscall(SYS_access, p1, o->mode));
		break;
	case OP_FACCESSAT2:
		out_dirfd(dfd);
		out(", ");
		out_path(&o->p1);
		out(", %d, %s%s)", o->mode, o->flags2 & AT_SYMLINK_NOFOLLOW ? "NOFOLLOW " : "",
		    o->flags2 & AT_EACCESS ? "EACCESS" : "");
		result(syscall(SYS_faccessat2, dfd, p1, o->mode, o->flags2));
		break;
	case OP_UTIMENSAT:
	case OP_FUTIMENS: {
		const struct timespec *ts = o->null_times ? NULL : o->ts;
		if (o->kind == OP_UTIMENSAT) {
			out_dirfd(dfd);
			out(", ");
			out_path(&o->p1);
		} else {
			out("%d", fd);
		}
		if (ts)
			for (int i = 0; i < 2; i++) {
				if (ts[i].tv_nsec == UTIME_NOW)
					out(", NOW");
				else if (ts[i].tv_nsec == UTIME_OMIT)
					out(", OMIT");
				else
					out(", %ld.%09ld", (long)ts[i].tv_sec, ts[i].tv_nsec);
			}
		else
			out(", NULL");
		out(", %s)", o->flags2 ? "NOFOLLOW" : "0");
		if (o->kind == OP_UTIMENSAT)
			r = syscall(SYS_utimensat, dfd, p1, ts, o->flags2);
		else
			r = syscall(SYS_utimensat, fd, NULL, ts, 0);
		if (result(r) == 0) {
			/* What the file holds now. */
			int sr = o->kind == OP_UTIMENSAT
				     ? (int)syscall(SYS_newfstatat, dfd, p1, &st, o->flags2)
				     : (int)syscall(SYS_fstat, fd, &st);
			if (sr == 0) {
				out_time("a", st.st_atim.tv_sec, st.st_atim.tv_nsec);
				out_time("m", st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
			}
		}
		break;
	}
	case OP_CHDIR:
		out_path(&o->p1);
		out(")");
		if (result(syscall(SYS_chdir, p1)) == 0)
			out_cwd();
		break;
	case OP_FCHDIR:
		out("%d)", fd);
		if (result(syscall(SYS_fchdir, fd)) == 0)
			out_cwd();
		break;
	case OP_CHDIR_ROOT:
		out(")");
		if (result(syscall(SYS_fchdir, FD_ROOT)) == 0)
			out_cwd();
		break;
	case OP_FSYNC:
		out("%d)", fd);
		result(syscall(SYS_fsync, fd));
		break;
	case OP_FDATASYNC:
		out("%d)", fd);
		result(syscall(SYS_fdatasync, fd));
		break;
	case OP_GETFL:
		out("%d)", fd);
		r = result(syscall(SYS_fcntl, fd, F_GETFL));
		if (r >= 0) {
			out(" ");
			out_flags((int)r);
		}
		r = syscall(SYS_fcntl, fd, F_GETFD);
		if (r >= 0)
			out(" fd_flags=%ld", r);
		break;
	case OP_SETFL:
		out("%d, %s%s)", fd, o->flags2 & O_APPEND ? "APPEND|" : "",
		    o->flags2 & O_NONBLOCK ? "NONBLOCK" : "");
		/* Pipes stay non-blocking: a read of an empty pipe would wait for ever. */
		r = o->flags2;
		if (syscall(SYS_fstat, fd, &st) == 0 && S_ISFIFO(st.st_mode))
			r |= O_NONBLOCK;
		result(syscall(SYS_fcntl, fd, F_SETFL, r));
		break;
	case OP_SENDFILE: {
		off_t off = (off_t)o->off;
		int use_off = o->sel2 % 2;
		out("%d, %d, %s%lld, %zu)", fd2, fd, use_off ? "&" : "NULL:", (long long)off, len);
		r = result(syscall(SYS_sendfile, fd2, fd, use_off ? &off : NULL, len));
		if (r >= 0 && use_off)
			out(" off=%lld", (long long)off);
		break;
	}
	case OP_COPY_RANGE: {
		loff_t in = o->off, outo = (loff_t)(o->dsel2 % 9000);
		int use = (int)(o->dsel1 % 4);
		out("%d, %s%lld, %d, %s%lld, %zu)", fd, use & 1 ? "&" : "NULL:", (long long)in, fd2,
		    use & 2 ? "&" : "NULL:", (long long)outo, len);
		r = result(syscall(SYS_copy_file_range, fd, use & 1 ? &in : NULL, fd2,
				   use & 2 ? &outo : NULL, len, 0));
		if (r >= 0)
			out(" in=%lld out=%lld", (long long)in, (long long)outo);
		break;
	}
	case OP_PIPE: {
		int p[2];
		out("NONBLOCK)");
		if (result(syscall(SYS_pipe2, p, O_NONBLOCK)) == 0) {
			out(" [%d, %d]", p[0], p[1]);
			pool_add(p[0]);
			pool_add(p[1]);
		}
		break;
	}
	case OP_FIONREAD: {
		int n = -1;
		out("%d)", fd);
		if (result(syscall(SYS_ioctl, fd, FIONREAD, &n)) == 0)
			out(" n=%d", n);
		break;
	}
	case OP_UMASK:
		out("%04o)", o->mode);
		result(syscall(SYS_umask, o->mode));
		break;
	case OP_TREE:
		out(")");
		tree(0);
		break;
	}
	out_end();
}

/* --- the op list --- */

static uint64_t *read_replay(const char *file, size_t *count)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "vfs_fuzz: cannot open %s: %s\n", file, strerror(errno));
		exit(2);
	}
	size_t cap = 1024, n = 0;
	uint64_t *list = malloc(cap * sizeof(*list));
	unsigned long long a, b;
	char tok[64];
	while (list && fscanf(f, "%63s", tok) == 1) {
		int k = sscanf(tok, "%llu-%llu", &a, &b);
		if (k < 1) {
			fprintf(stderr, "vfs_fuzz: bad replay token '%s' in %s\n", tok, file);
			exit(2);
		}
		if (k == 1)
			b = a;
		for (unsigned long long i = a; i <= b && n < MAX_OPS; i++) {
			if (n == cap) {
				cap *= 2;
				list = realloc(list, cap * sizeof(*list));
				if (!list)
					break;
			}
			list[n++] = i;
		}
	}
	fclose(f);
	if (!list) {
		fprintf(stderr, "vfs_fuzz: out of memory\n");
		exit(2);
	}
	*count = n;
	return list;
}

static void usage(void)
{
	fprintf(stderr, "usage: vfs_fuzz --seed N --dir D (--ops M | --replay FILE) [--log FILE] "
			"[--print]\n"
			"  D is created (its parent must exist); with --print the op list is only "
			"listed\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long seed = 0, nops = 0;
	const char *dir = NULL, *replay = NULL, *log = NULL;
	int have_seed = 0, print_only = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--no-holes")) {
			no_holes = 1;
			continue;
		}
		if (!strcmp(a, "--print")) {
			print_only = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--seed")) {
			seed = strtoull(argv[++i], NULL, 0);
			have_seed = 1;
		} else if (!strcmp(a, "--ops"))
			nops = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--dir"))
			dir = argv[++i];
		else if (!strcmp(a, "--replay"))
			replay = argv[++i];
		else if (!strcmp(a, "--log"))
			log = argv[++i];
		else
			usage();
	}
	if (!have_seed || (!dir && !print_only) || (!nops && !replay) || nops > MAX_OPS)
		usage();

	size_t count = (size_t)nops;
	uint64_t *list;
	if (replay) {
		list = read_replay(replay, &count);
	} else {
		list = malloc(count * sizeof(*list));
		if (!list)
			return 2;
		for (size_t i = 0; i < count; i++)
			list[i] = i;
	}
	struct op *ops = malloc((count ? count : 1) * sizeof(*ops));
	if (!ops)
		return 2;
	for (size_t i = 0; i < count; i++)
		gen_op(seed, list[i], &ops[i]);

	if (log) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, FD_LOG) < 0) {
			fprintf(stderr, "vfs_fuzz: cannot open %s: %s\n", log, strerror(errno));
			return 2;
		}
		close(fd);
		out_fd = FD_LOG;
	}
	if (print_only) {
		work_dir = "$D";
		work_len = 2;
		for (size_t i = 0; i < count; i++) {
			out("#%llu %s ", (unsigned long long)list[i], op_info[ops[i].kind].name);
			out_path(&ops[i].p1);
			out(" ");
			out_path(&ops[i].p2);
			out_end();
		}
		return 0;
	}

	if (dir[0] != '/') {
		fprintf(stderr, "vfs_fuzz: --dir must be absolute\n");
		return 2;
	}
	/* Nothing of the environment leaks in: the pool numbers are free, the umask is known. */
	for (int fd = FD_LO; fd < FD_HI; fd++)
		if (fcntl(fd, F_GETFD) >= 0) {
			fprintf(stderr, "vfs_fuzz: fd %d is open at start; run with fds 0-2 only\n",
				fd);
			return 2;
		}
	umask(022);
	/* Writes into a pipe with no reader give EPIPE, as a result to print. */
	signal(SIGPIPE, SIG_IGN);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "vfs_fuzz: mkdir %s: %s\n", dir, strerror(errno));
		return 2;
	}
	/* The mode must not depend on how the directory came to be. */
	chmod(dir, 0755);
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || dup2(root, FD_ROOT) < 0 || chdir(dir) < 0) {
		fprintf(stderr, "vfs_fuzz: cannot enter %s: %s\n", dir, strerror(errno));
		return 2;
	}
	close(root);
	work_dir = dir;
	work_len = strlen(dir);

	out("seed=%llu ops=%zu", seed, count);
	out_end();
	for (size_t i = 0; i < count; i++)
		run_op(list[i], &ops[i]);
	out("== final tree");
	tree(1);
	out_end();
	out("== end");
	out_end();
	return 0;
}
