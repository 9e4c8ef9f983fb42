/*
 * The router: a client of the hook API that serves the system calls on
 * virtual paths and fds and lets the kernel have everything else.
 *
 * Two kinds of interest. Calls that name a path (and the fd calls that take
 * two fds) reach the router whenever there are mounts: it copies the path in
 * and, if its text cannot lead into a mount (sy_walk_may_enter), passes the
 * call on untouched. Calls whose first argument is an fd (read, write, fstat,
 * close...) reach it only for virtual fds: the entry stub reads one byte of
 * sy_fd_map per call and keeps the rest on the fast path.
 *
 * While it serves a call, the router blocks the program's asynchronous
 * signals (a handler may make any call on any fd, and backends hold locks);
 * a call that may wait (a lock) unblocks them while it waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "layer.h"
#include "sy.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* Every call the router sees whatever its arguments. */
static const long path_calls[] = {
    SYS_open,
    SYS_openat,
    SYS_openat2,
    SYS_creat,
    SYS_stat,
    SYS_lstat,
    SYS_newfstatat,
    SYS_statx,
    SYS_access,
    SYS_faccessat,
    SYS_faccessat2,
    SYS_mkdir,
    SYS_mkdirat,
    SYS_mknod,
    SYS_mknodat,
    SYS_rmdir,
    SYS_unlink,
    SYS_unlinkat,
    SYS_rename,
    SYS_renameat,
    SYS_renameat2,
    SYS_link,
    SYS_linkat,
    SYS_symlink,
    SYS_symlinkat,
    SYS_readlink,
    SYS_readlinkat,
    SYS_truncate,
    SYS_chmod,
    SYS_fchmodat,
    SYS_fchmodat2,
    SYS_chown,
    SYS_lchown,
    SYS_fchownat,
    SYS_utimensat,
    SYS_futimesat,
    SYS_utime,
    SYS_utimes,
    SYS_chdir,
    SYS_fchdir,
    SYS_getcwd,
    SYS_statfs,
    SYS_execve,
    SYS_execveat,
    SYS_dup2,
    SYS_dup3,
    SYS_close_range,
    SYS_sendfile,
    SYS_copy_file_range,
    SYS_splice,
    SYS_tee,
    SYS_mmap,
    SYS_umask,
    SYS_getxattr,
    SYS_lgetxattr,
    SYS_setxattr,
    SYS_lsetxattr,
    SYS_listxattr,
    SYS_llistxattr,
    SYS_removexattr,
    SYS_lremovexattr,
    SYS_inotify_add_watch,
    SYS_chroot,
};

/* Calls that change the thread's credentials: its cached fsuid/fsgid go. */
static const long cred_calls[] = {SYS_setuid,	 SYS_setgid,	SYS_setreuid, SYS_setregid,
				  SYS_setresuid, SYS_setresgid, SYS_setfsuid, SYS_setfsgid,
				  SYS_setgroups, SYS_capset};

/* New processes: the lock stand-ins of open virtual files go with them. */
static const long process_calls[] = {SYS_fork, SYS_vfork, SYS_clone, SYS_clone3};

/* Calls that reach the router only when their first argument is a virtual fd. */
static const long fd_calls[] = {
    SYS_read,	   SYS_write,	  SYS_pread64,	  SYS_pwrite64,	       SYS_readv,
    SYS_writev,	   SYS_preadv,	  SYS_pwritev,	  SYS_preadv2,	       SYS_pwritev2,
    SYS_lseek,	   SYS_fstat,	  SYS_close,	  SYS_fsync,	       SYS_fdatasync,
    SYS_ftruncate, SYS_fallocate, SYS_fchmod,	  SYS_fchown,	       SYS_getdents64,
    SYS_getdents,  SYS_flock,	  SYS_ioctl,	  SYS_fstatfs,	       SYS_fcntl,
    SYS_dup,	   SYS_fadvise64, SYS_readahead,  SYS_sync_file_range, SYS_syncfs,
    SYS_fgetxattr, SYS_fsetxattr, SYS_flistxattr, SYS_fremovexattr,
};

static uint8_t interest[SY_NR_LIMIT / 8];
static uint32_t umask_now;
long sy_vfs_refused;

/* The thread's fsuid and fsgid, kept in its area until a call that may
 * change them (the set*id family) comes through the router. */
static void cred_load(struct sy_thread *t)
{
	if (!t->cred_valid) {
		t->vfs_uid = (uint32_t)sy_raw1(SYS_setfsuid, -1);
		t->vfs_gid = (uint32_t)sy_raw1(SYS_setfsgid, -1);
		t->cred_valid = 1;
	}
}

struct sy_vfs_cred *sy_cred(struct sy_vfs_cred *c)
{
	struct sy_thread *t = sy_thread_self();
	cred_load(t);
	c->uid = t->vfs_uid;
	c->gid = t->vfs_gid;
	return c;
}

uint32_t sy_fsuid(void)
{
	struct sy_thread *t = sy_thread_self();
	cred_load(t);
	return t->vfs_uid;
}

static int in_group(uint32_t gid)
{
	struct sy_vfs_cred c;
	if (sy_cred(&c)->gid == gid)
		return 1;
	gid_t groups[256];
	long n = sy_raw2(SYS_getgroups, 256, groups);
	for (long i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

int sy_may(const struct sy_vfs_attr *a, int mask)
{
	uint32_t uid = sy_fsuid();
	if (uid == 0) {
		if (!(mask & X_OK) || S_ISDIR(a->mode) || (a->mode & 0111))
			return 0;
		return -EACCES;
	}
	unsigned bits;
	if (a->uid == uid)
		bits = (a->mode >> 6) & 7;
	else if (in_group(a->gid))
		bits = (a->mode >> 3) & 7;
	else
		bits = a->mode & 7;
	return ((unsigned)mask & ~bits) ? -EACCES : 0;
}

uint32_t sy_umask(void)
{
	return umask_now;
}

void sy_attr_to_stat(const struct sy_mount *m, const struct sy_vfs_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = m->dev;
	st->st_ino = a->ino;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_rdev = a->rdev;
	st->st_size = (off_t)a->size;
	st->st_blksize = S_ISBLK(a->mode) ? 512 : a->blksize; /* as Linux for device nodes */
	st->st_blocks = (blkcnt_t)a->blocks;
	st->st_atim = a->atime;
	st->st_mtim = a->mtime;
	st->st_ctim = a->ctime;
}

void sy_vfs_count_refused(void)
{
	__atomic_fetch_add(&sy_vfs_refused, 1, __ATOMIC_RELAXED);
}

static int serve(struct sy_call *c, long *result)
{
	switch (c->nr) {
	case SYS_open:
	case SYS_openat:
	case SYS_openat2:
	case SYS_creat:
		return sy_sys_open(c, result);
	case SYS_read:
	case SYS_write:
	case SYS_pread64:
	case SYS_pwrite64:
	case SYS_readv:
	case SYS_writev:
	case SYS_preadv:
	case SYS_pwritev:
	case SYS_preadv2:
	case SYS_pwritev2:
	case SYS_lseek:
	case SYS_fstat:
	case SYS_close:
	case SYS_fsync:
	case SYS_fdatasync:
	case SYS_ftruncate:
	case SYS_fallocate:
	case SYS_fchmod:
	case SYS_fchown:
	case SYS_getdents64:
	case SYS_getdents:
	case SYS_flock:
	case SYS_ioctl:
	case SYS_fstatfs:
	case SYS_fcntl:
	case SYS_dup:
	case SYS_fadvise64:
	case SYS_readahead:
	case SYS_sync_file_range:
	case SYS_syncfs:
	case SYS_fchdir:
		return sy_sys_fdop(c, result);
	case SYS_fgetxattr:
	case SYS_fsetxattr:
	case SYS_flistxattr:
	case SYS_fremovexattr:
	case SYS_getxattr:
	case SYS_lgetxattr:
	case SYS_setxattr:
	case SYS_lsetxattr:
	case SYS_listxattr:
	case SYS_llistxattr:
	case SYS_removexattr:
	case SYS_lremovexattr:
		return sy_sys_xattr(c, result);
	case SYS_dup2:
	case SYS_dup3:
	case SYS_close_range:
		return sy_sys_dup(c, result);
	case SYS_sendfile:
	case SYS_copy_file_range:
	case SYS_splice:
	case SYS_tee:
		return sy_sys_transfer(c, result);
	case SYS_mmap:
		return sy_sys_mmap(c, result);
	case SYS_execve:
	case SYS_execveat:
		return sy_sys_exec(c, result);
	case SYS_fork:
	case SYS_vfork:
	case SYS_clone:
	case SYS_clone3:
		/* a new process, not a thread: lock stand-ins go with it */
		if (c->nr == SYS_fork || (c->nr == SYS_clone && !(c->args[0] & CLONE_VM)))
			sy_vfd_prepare_fork();
		if (c->nr == SYS_clone3) {
			uint64_t flags;
			if (sy_copy_in(&flags, (void *)c->args[0], sizeof(flags)) == 0 &&
			    !(flags & CLONE_VM))
				sy_vfd_prepare_fork();
		}
		return SY_PASS;
	case SYS_umask:
		*result = sy_raw1(SYS_umask, c->args[0]);
		umask_now = (uint32_t)c->args[0] & 0777;
		return SY_ANSWER;
	default:
		return sy_sys_pathop(c, result);
	}
}

/* Blocks the asynchronous signals while a call is served. */
static void block_signals(uint64_t *old)
{
	uint64_t all = ~0ull;
	static const int sync_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};
	for (size_t i = 0; i < sizeof(sync_signals) / sizeof(sync_signals[0]); i++)
		all &= ~(1ull << (sync_signals[i] - 1));
	sy_raw4(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, 8);
}

static void restore_signals(const uint64_t *old)
{
	sy_raw4(SYS_rt_sigprocmask, SIG_SETMASK, old, 0, 8);
}

/*
 * Served calls run on a stack of the VFS layer's own (per thread, made on
 * first use): paths and walks take tens of KiB, more than some program
 * stacks have (posix_spawn's child runs on a small one, so do threads with
 * small stacks).
 */
struct serve_args {
	struct sy_call *c;
	long *result;
	int verdict;
};

long sy_vfs_on_stack(void (*fn)(void *), void *arg, void *top) SY_VH;
__asm__(".text\n"
	".globl sy_vfs_on_stack\n"
	".hidden sy_vfs_on_stack\n"
	".type sy_vfs_on_stack, @function\n"
	"sy_vfs_on_stack:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	mov %rdx, %rsp\n"
	"	and $-16, %rsp\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	call *%rax\n"
	"	mov %rbp, %rsp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size sy_vfs_on_stack, . - sy_vfs_on_stack\n");

static void serve_thunk(void *p)
{
	struct serve_args *sa = p;
	sa->verdict = serve(sa->c, sa->result);
}

static int serve_on_stack(struct sy_call *c, long *result)
{
	struct sy_thread *t = sy_thread_self();
	if (!t->vfs_stack) {
		long p = sy_raw6(SYS_mmap, 0, SY_VFS_STACK, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (p < 0 && p > -4096)
			return serve(c, result);
		t->vfs_stack = (void *)p;
	}
	struct serve_args sa = {c, result, SY_PASS};
	void *stack = t->vfs_stack;
	t->vfs_stack = NULL; /* a nested call (none expected) makes its own */
	sy_vfs_on_stack(serve_thunk, &sa, (char *)stack + SY_VFS_STACK);
	t->vfs_stack = stack;
	return sa.verdict;
}

void sy_vfs_wait_begin(void)
{
	struct sy_thread *t = sy_thread_self();
	if (t->vfs_blocked)
		restore_signals(&t->vfs_sigmask);
}

void sy_vfs_wait_end(void)
{
	uint64_t ignored;
	if (sy_thread_self()->vfs_blocked)
		block_signals(&ignored);
}

/* Can the path argument (dirfd: AT_FDCWD or an fd) not lead into a mount?
 * A short copy on the program's stack: longer paths take the full way. */
static int kernel_path(long dirfd, long upath)
{
	char p[384];
	long n = sy_copy_path_in(p, (const char *)upath, sizeof(p));
	if (n < 0)
		return 0; /* EFAULT, or long: the full way says */
	return !sy_walk_may_enter((int)dirfd, p);
}

static int virtual_fd(long fd)
{
	return sy_vfd_is_virtual((int)fd);
}

/* The calls that name one path: which argument holds it and which its
 * dirfd (-1: AT_FDCWD). */
static int path_args(long nr, int *dirfd_arg, int *path_arg)
{
	switch (nr) {
	case SYS_open:
	case SYS_creat:
	case SYS_stat:
	case SYS_lstat:
	case SYS_access:
	case SYS_mkdir:
	case SYS_mknod:
	case SYS_rmdir:
	case SYS_unlink:
	case SYS_readlink:
	case SYS_truncate:
	case SYS_chmod:
	case SYS_chown:
	case SYS_lchown:
	case SYS_utime:
	case SYS_utimes:
	case SYS_statfs:
	case SYS_chroot:
	case SYS_chdir:
	case SYS_getxattr:
	case SYS_lgetxattr:
	case SYS_setxattr:
	case SYS_lsetxattr:
	case SYS_listxattr:
	case SYS_llistxattr:
	case SYS_removexattr:
	case SYS_lremovexattr:
	case SYS_execve:
		*dirfd_arg = -1, *path_arg = 0;
		return 1;
	case SYS_inotify_add_watch:
	case SYS_symlink: /* the link's own path; the target is text */
		*dirfd_arg = -1, *path_arg = 1;
		return 1;
	case SYS_openat:
	case SYS_newfstatat:
	case SYS_statx:
	case SYS_faccessat:
	case SYS_faccessat2:
	case SYS_mkdirat:
	case SYS_mknodat:
	case SYS_unlinkat:
	case SYS_readlinkat:
	case SYS_fchmodat:
	case SYS_fchmodat2:
	case SYS_fchownat:
	case SYS_futimesat:
	case SYS_utimensat:
	case SYS_execveat:
		*dirfd_arg = 0, *path_arg = 1;
		return 1;
	case SYS_symlinkat:
		*dirfd_arg = 1, *path_arg = 2;
		return 1;
	}
	return 0;
}

/* Calls that surely go to the kernel as they are, found without blocking
 * signals or copying much: most path calls of a program on kernel paths. */
static int quick_pass(const struct sy_call *c)
{
	const long *a = c->args;
	int dfa, pa;
	if (path_args(c->nr, &dfa, &pa)) {
		if (c->nr == SYS_execve || c->nr == SYS_execveat)
			return 0; /* the exec state goes with every one */
		if (c->nr == SYS_utimensat && !a[1])
			return !virtual_fd(a[0]); /* on the fd itself */
		if (c->nr == SYS_chdir && sy_cwd.m)
			return 0; /* out of a virtual cwd */
		return kernel_path(dfa < 0 ? AT_FDCWD : a[dfa], a[pa]);
	}
	switch (c->nr) {
	case SYS_rename:
	case SYS_link:
		return kernel_path(AT_FDCWD, a[0]) && kernel_path(AT_FDCWD, a[1]);
	case SYS_renameat:
	case SYS_renameat2:
	case SYS_linkat:
		return kernel_path(a[0], a[1]) && kernel_path(a[2], a[3]);
	case SYS_getcwd:
		return !sy_cwd.m;
	case SYS_fchdir:
		return !sy_cwd.m && !virtual_fd(a[0]);
	case SYS_dup2:
	case SYS_dup3:
		return !virtual_fd(a[0]) && !virtual_fd(a[1]);
	case SYS_mmap:
		return (a[3] & MAP_ANONYMOUS) || !virtual_fd(a[4]);
	case SYS_sendfile:
	case SYS_tee:
		return !virtual_fd(a[0]) && !virtual_fd(a[1]);
	case SYS_copy_file_range:
	case SYS_splice:
		return !virtual_fd(a[0]) && !virtual_fd(a[2]);
	}
	return 0;
}

static int is_cred_call(long nr)
{
	for (size_t i = 0; i < sizeof(cred_calls) / sizeof(cred_calls[0]); i++)
		if (cred_calls[i] == nr)
			return 1;
	return 0;
}

static enum sy_verdict router_enter(void *ctx, struct sy_call *c, long *result)
{
	(void)ctx;
	if (quick_pass(c))
		return SY_PASS;
	if (is_cred_call(c->nr)) {
		sy_thread_self()->cred_valid = 0;
		return SY_PASS;
	}
	if (c->nr == SYS_execve || c->nr == SYS_execveat) /* may not return: nothing blocked */
		return serve_on_stack(c, result) == SY_ANSWER ? SY_ANSWER : SY_PASS;
	/* no handler of the program's can run in the middle: nothing to block */
	const uint64_t sync_bits = (1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)) |
				   (1ull << (SIGILL - 1)) | (1ull << (SIGFPE - 1)) |
				   (1ull << (SIGTRAP - 1)) | (1ull << (SIGSYS - 1));
	struct sy_thread *t = sy_thread_self();
	if (!(__atomic_load_n(&sy_handled_signals, __ATOMIC_ACQUIRE) & ~sync_bits)) {
		t->vfs_blocked = 0;
		int v = serve_on_stack(c, result);
		return v == SY_ANSWER ? SY_ANSWER : SY_PASS;
	}
	uint64_t old;
	block_signals(&old);
	t->vfs_sigmask = old;
	t->vfs_blocked = 1;
	int v = serve_on_stack(c, result);
	t = sy_thread_self();
	t->vfs_blocked = 0;
	restore_signals(&old);
	return v == SY_ANSWER ? SY_ANSWER : SY_PASS;
}

/*
 * A symlink on the kernel's side that points into a mount: the kernel,
 * which took the call as a path of its own, says ENOENT (or ENOTDIR), since
 * the mount point is not there for it. Then the path is resolved again with
 * the host's symlinks followed, and if that leads into a mount the call is
 * served with the path it leads to.
 */
/* Host directories known to be real all the way down (no symlink on the
 * way from /): an ENOENT below one of them is the kernel's to keep. A hash
 * per slot; a collision only costs a missed retry. The table is forgotten
 * when this process makes or moves a symlink; one made by another process
 * on a path already known real is not seen (LIMITS.md, L10). */
#define REAL_DIRS 1024
static uint64_t real_dirs[REAL_DIRS];

static uint64_t path_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h | 1;
}

static int real_dir_known(const char *dir, size_t n)
{
	uint64_t h = path_hash(dir, n);
	return __atomic_load_n(&real_dirs[h % REAL_DIRS], __ATOMIC_RELAXED) == h;
}

static void real_dir_note(const char *dir, size_t n)
{
	uint64_t h = path_hash(dir, n);
	__atomic_store_n(&real_dirs[h % REAL_DIRS], h, __ATOMIC_RELAXED);
}

static void real_dirs_forget(void)
{
	for (int i = 0; i < REAL_DIRS; i++)
		__atomic_store_n(&real_dirs[i], 0, __ATOMIC_RELAXED);
}

/* path from dirfd with the kernel side's symlinks followed: 1 and the
 * absolute path in out if it enters a mount, else 0. */
static int host_path_into_mount(int dirfd, const char *path, char *out)
{
	char cur[PATH_MAX], rest[PATH_MAX], next[PATH_MAX];
	if (path[0] == '/') {
		strcpy(cur, "/");
	} else if (dirfd == AT_FDCWD) {
		if (sy_cwd.m)
			return 0;
		size_t l = strnlen(sy_cwd.path, sizeof(cur) - 1);
		memcpy(cur, sy_cwd.path, l);
		cur[l] = 0;
	} else {
		char p[48];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", dirfd);
		long n = sy_raw4(SYS_readlinkat, AT_FDCWD, p, cur, sizeof(cur) - 1);
		if (n <= 0 || cur[0] != '/')
			return 0;
		cur[n] = 0;
	}
	size_t pl = strnlen(path, sizeof(rest) - 1);
	memcpy(rest, path, pl);
	rest[pl] = 0;
	/* the directory part, as text, already known real: nothing to find */
	const char *slash = strrchr(rest, '/');
	if (slash && !strstr(rest, "/.") && rest[0] != '.') {
		char dir[PATH_MAX];
		size_t dl;
		if (rest[0] == '/') {
			dl = (size_t)(slash - rest);
			memcpy(dir, rest, dl);
		} else {
			size_t cl = strlen(cur);
			if (cl + 1 + (size_t)(slash - rest) >= sizeof(dir))
				return 0;
			memcpy(dir, cur, cl);
			dir[cl] = '/';
			memcpy(dir + cl + 1, rest, (size_t)(slash - rest));
			dl = cl + 1 + (size_t)(slash - rest);
		}
		if (real_dir_known(dir, dl))
			return 0;
	}
	int links = 0;
	char *r = rest;
	for (;;) {
		while (*r == '/')
			r++;
		if (!*r)
			return 0;
		size_t len = strcspn(r, "/");
		char *after = r + len;
		if (len == 1 && r[0] == '.') {
			r = after;
			continue;
		}
		if (len == 2 && r[0] == '.' && r[1] == '.') {
			char *sl = strrchr(cur, '/');
			if (sl == cur)
				cur[1] = 0;
			else if (sl)
				*sl = 0;
			r = after;
			continue;
		}
		char cand[PATH_MAX];
		size_t cl = strlen(cur);
		if (cl + 1 + len >= sizeof(cand))
			return 0;
		memcpy(cand, cur, cl);
		size_t at = cl > 1 ? cl : (cur[0] == '/' ? 1 : 0);
		if (cl > 1)
			cand[at++] = '/';
		memcpy(cand + at, r, len);
		cand[at + len] = 0;
		if (sy_vfs_mount_at(cand, strlen(cand))) {
			snprintf(out, PATH_MAX, "%s%s", cand, after);
			return strlen(cand) + strlen(after) < PATH_MAX;
		}
		struct stat st;
		if (sy_raw4(SYS_newfstatat, AT_FDCWD, cand, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			/* no symlink met: cur is a real directory from / down */
			if (!links)
				real_dir_note(cur, strlen(cur));
			return 0;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			long n =
			    sy_raw4(SYS_readlinkat, AT_FDCWD, cand, target, sizeof(target) - 1);
			if (n <= 0 || ++links > 40)
				return 0;
			target[n] = 0;
			if (snprintf(next, sizeof(next), "%s%s", target, after) >=
			    (int)sizeof(next))
				return 0;
			memcpy(rest, next, strlen(next) + 1);
			r = rest;
			if (target[0] == '/')
				strcpy(cur, "/");
			continue;
		}
		memcpy(cur, cand, strlen(cand) + 1);
		r = after;
	}
}

struct retry_args {
	const struct sy_call *c;
	long *result;
};

static enum sy_verdict router_enter(void *ctx, struct sy_call *c, long *result);

static void retry_thunk(void *p)
{
	struct retry_args *ra = p;
	const struct sy_call *c = ra->c;
	int dfa, pa;
	if (!path_args(c->nr, &dfa, &pa))
		return;
	char path[PATH_MAX + 1], into[PATH_MAX];
	if (sy_copy_path_in(path, (const char *)c->args[pa], PATH_MAX) <= 0)
		return;
	int dirfd = dfa < 0 ? AT_FDCWD : (int)c->args[dfa];
	if (sy_vfd_is_virtual(dirfd) || !host_path_into_mount(dirfd, path, into))
		return;
	struct sy_call k = *c;
	if (dfa >= 0)
		k.args[dfa] = AT_FDCWD;
	k.args[pa] = (long)into;
	long r;
	if (router_enter(NULL, &k, &r) == SY_ANSWER)
		*ra->result = r;
}

static void router_leave(void *ctx, const struct sy_call *c, long *result)
{
	(void)ctx;
	if (*result == 0 &&
	    (c->nr == SYS_symlink || c->nr == SYS_symlinkat || c->nr == SYS_rename ||
	     c->nr == SYS_renameat || c->nr == SYS_renameat2))
		real_dirs_forget(); /* a symlink may now stand on a path known real */
	if ((*result != -ENOENT && *result != -ENOTDIR) || sy_thread_is_vfork_child())
		return;
	int dfa, pa;
	if (!path_args(c->nr, &dfa, &pa))
		return;
	struct sy_thread *t = sy_thread_self();
	struct retry_args ra = {c, result};
	void *stack = t->vfs_stack;
	if (!stack) {
		long p = sy_raw6(SYS_mmap, 0, SY_VFS_STACK, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (p < 0 && p > -4096)
			return;
		t->vfs_stack = stack = (void *)p;
	}
	t->vfs_stack = NULL; /* the retry's own call takes another */
	sy_vfs_on_stack(retry_thunk, &ra, (char *)stack + SY_VFS_STACK);
	sy_thread_self()->vfs_stack = stack;
}

static void router_fork_child(void *ctx)
{
	(void)ctx;
	sy_vfd_fork_child();
	sy_cwd_lock = 0;
	if (sy_cwd.m)
		sy_cwd.m->be->hold(sy_cwd.m->fs, sy_cwd.node);
	for (int i = 0; i < sy_nmounts; i++)
		if (sy_mounts[i].be->fork_child)
			sy_mounts[i].be->fork_child(sy_mounts[i].fs);
}

static const struct sy_hook router_hook = {
    .version = SY_HOOK_API_VERSION,
    .name = "vfs",
    .interest = interest,
    .enter = router_enter,
    .leave = router_leave,
    .fork_child = router_fork_child,
};

void sy_vfs_setup(const struct sy_options *o)
{
	if (o->nmounts == 0)
		return;
	umask_now = (uint32_t)sy_raw1(SYS_umask, 0);
	sy_raw1(SYS_umask, umask_now);
	sy_fd_map_setup();
	sy_vfd_setup();
	sy_vfs_mounts_setup(o);
	for (size_t i = 0; i < sizeof(path_calls) / sizeof(path_calls[0]); i++)
		sy_interest_add(interest, path_calls[i]);
	for (size_t i = 0; i < sizeof(process_calls) / sizeof(process_calls[0]); i++)
		sy_interest_add(interest, process_calls[i]);
	for (size_t i = 0; i < sizeof(cred_calls) / sizeof(cred_calls[0]); i++)
		sy_interest_add(interest, cred_calls[i]);
	for (size_t i = 0; i < sizeof(fd_calls) / sizeof(fd_calls[0]); i++)
		sy_interest_add(interest, fd_calls[i]);
	if (sy_hook_register(&router_hook) < 0)
		sy_die("cannot register the VFS router");
	sy_usermem_track(); /* path copies read program memory in place */
	/* fd calls: only for virtual fds, unless another hook wants them all */
	for (size_t i = 0; i < sizeof(fd_calls) / sizeof(fd_calls[0]); i++)
		sy_fd_interest(fd_calls[i], &router_hook);
}
