/*
 * flock, POSIX record locks and OFD locks on virtual files, kept by the
 * kernel on a stand-in: an empty file per node in /dev/shm/.switchyard-locks
 * (named by the instance's fsid and the node's inode number, the same in
 * every process). Each open file description of a virtual file takes its
 * own description of the stand-in on first use, so the kernel's rules hold
 * as they are: flock per description (shared across dup and fork), POSIX
 * locks per process (dropped when the process closes any fd of the file,
 * not inherited by a child), OFD locks per description, waits that a
 * signal interrupts, EDEADLK, and locks of a killed process released.
 *
 * The stand-ins stay behind in /dev/shm (a zero-length file per node ever
 * locked) until removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "layer.h"
#include "sy.h"

#define LOCK_DIR "/dev/shm/.switchyard-locks"
#define FIFO_DIR "/dev/shm/.switchyard-fifos"

/* The stand-in's path for a node: the instance's fsid and the node's
 * inode number, the same in every process. */
static int stand_in_path(struct sy_mount *m, struct sy_vfs_node *node, const char *dir, char *path,
			 size_t len)
{
	struct sy_vfs_statfs sf;
	struct sy_vfs_attr a;
	long r = m->be->statfs(m->fs, &sf);
	if (r == 0)
		r = m->be->getattr(m->fs, node, &a);
	if (r < 0)
		return (int)r;
	snprintf(path, len, "%s/%llx-%llx", dir, (unsigned long long)sf.fsid,
		 (unsigned long long)a.ino);
	return 0;
}

static void make_dir(const char *dir)
{
	long u = sy_raw1(SYS_umask, 0);
	sy_raw3(SYS_mkdirat, AT_FDCWD, dir, 01777);
	sy_raw1(SYS_umask, u);
}

int sy_vfs_stand_in_fd(struct vfile *v)
{
	int fd = __atomic_load_n(&v->lockfd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	char path[128];
	int e = stand_in_path(v->m, v->node, LOCK_DIR, path, sizeof(path));
	if (e < 0)
		return e;
	long f =
	    sy_raw4(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (f == -ENOENT) {
		make_dir(LOCK_DIR);
		f = sy_raw4(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			    0666);
	}
	if (f < 0)
		return (int)f == -EACCES ? -ENOLCK : (int)f;
	long high = sy_raw3(SYS_fcntl, f, F_DUPFD_CLOEXEC, sy_vfs_fd_floor());
	if (high >= 0) {
		sy_raw1(SYS_close, f);
		f = high;
	}
	sy_vfs_hide_fd((int)f, 1);
	int expected = -1;
	if (!__atomic_compare_exchange_n(&v->lockfd, &expected, (int)f, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		sy_vfs_hide_fd((int)f, 0);
		sy_raw1(SYS_close, f);
		return expected;
	}
	return (int)f;
}

void sy_vfs_lock_drop(struct vfile *v)
{
	if (v->lockfd >= 0) {
		sy_vfs_hide_fd(v->lockfd, 0);
		sy_raw1(SYS_close, v->lockfd);
		v->lockfd = -1;
	}
}

/* A call that may wait: the program's signals may interrupt it. */
static long waiting(long nr, long a, long b, long c)
{
	sy_vfs_wait_begin();
	long r = sy_raw3(nr, a, b, c);
	sy_vfs_wait_end();
	return r;
}

long sy_vfs_flock(struct vfile *v, long op)
{
	int how = (int)op & ~LOCK_NB;
	if (how != LOCK_SH && how != LOCK_EX && how != LOCK_UN)
		return -EINVAL;
	int fd = sy_vfs_stand_in_fd(v);
	if (fd < 0)
		return fd;
	if ((op & LOCK_NB) || how == LOCK_UN)
		return sy_raw2(SYS_flock, fd, op);
	return waiting(SYS_flock, fd, op, 0);
}

long sy_vfs_fcntl_lock(struct vfile *v, int fd, long cmd, long uarg)
{
	struct flock fl;
	if (sy_copy_in(&fl, (void *)uarg, sizeof(fl)) < 0)
		return -EFAULT;
	int64_t base;
	switch (fl.l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = sy_raw3(SYS_lseek, fd, 0, SEEK_CUR);
		break;
	case SEEK_END: {
		struct sy_vfs_attr a;
		long r = v->m->be->getattr(v->m->fs, v->node, &a);
		if (r < 0)
			return r;
		base = (int64_t)a.size;
		break;
	}
	default:
		return -EINVAL;
	}
	int64_t start;
	if (__builtin_add_overflow(base, (int64_t)fl.l_start, &start))
		return -EOVERFLOW;
	if (fl.l_len < 0) { /* the range before start */
		start += fl.l_len;
		fl.l_len = -fl.l_len;
	}
	if (start < 0)
		return -EINVAL;
	if (cmd != F_GETLK && cmd != F_OFD_GETLK) {
		int acc = v->oflags & O_ACCMODE;
		if ((fl.l_type == F_RDLCK && acc == O_WRONLY) ||
		    (fl.l_type == F_WRLCK && acc == O_RDONLY))
			return -EBADF;
	}
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
		return -EINVAL;
	if ((cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW || cmd == F_OFD_GETLK) && fl.l_pid != 0)
		return -EINVAL;
	int sfd = sy_vfs_stand_in_fd(v);
	if (sfd < 0)
		return sfd;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	long r = (cmd == F_SETLKW || cmd == F_OFD_SETLKW) && fl.l_type != F_UNLCK
		     ? waiting(SYS_fcntl, sfd, cmd, (long)&fl)
		     : sy_raw3(SYS_fcntl, sfd, cmd, (long)&fl);
	if (r == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK) &&
	    sy_copy_out((void *)uarg, &fl, sizeof(fl)) < 0)
		return -EFAULT;
	return r;
}

/* A close of an fd of v: the process's POSIX locks on the file go, as the
 * kernel drops them at any close of any fd of the file. */
void sy_vfs_lock_close(struct vfile *v)
{
	int fd = __atomic_load_n(&v->lockfd, __ATOMIC_ACQUIRE);
	if (fd < 0)
		fd = sy_vfd_lock_of_node(v);
	if (fd < 0)
		return;
	struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
	sy_raw3(SYS_fcntl, fd, F_SETLK, &fl);
}

/* A FIFO stored on a mount: a kernel FIFO stands in for it (one per node,
 * in /dev/shm/.switchyard-fifos), and the program gets a kernel fd of it,
 * so reads, writes, poll and the blocking open are the kernel's. */
long sy_vfs_fifo_open(struct sy_mount *m, struct sy_vfs_node *node, int flags)
{
	char path[128];
	int e = stand_in_path(m, node, FIFO_DIR, path, sizeof(path));
	if (e < 0)
		return e;
	long r = sy_raw3(SYS_mknodat, AT_FDCWD, path, S_IFIFO | 0666);
	if (r == -ENOENT) {
		make_dir(FIFO_DIR);
		r = sy_raw3(SYS_mknodat, AT_FDCWD, path, S_IFIFO | 0666);
	}
	if (r < 0 && r != -EEXIST)
		return r;
	sy_raw3(SYS_fchmodat, AT_FDCWD, path, 0666);
	int f = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY);
	if (f & O_NONBLOCK)
		return sy_raw4(SYS_openat, AT_FDCWD, path, f, 0);
	/* waits for the other end: the program's signals may interrupt it */
	sy_vfs_wait_begin();
	r = sy_raw4(SYS_openat, AT_FDCWD, path, f, 0);
	sy_vfs_wait_end();
	return r;
}
