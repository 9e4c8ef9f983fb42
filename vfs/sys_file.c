/*
 * Served system calls on open files: open and the calls on virtual fds
 * (data, offsets, flags, directories, dup and close), with the kernel's
 * checks in the kernel's order, so errno is what tmpfs would give.
 *
 * Data moves through a per-thread bounce buffer: the backend never touches
 * program memory, so a bad pointer is EFAULT (from process_vm_readv/writev),
 * never a fault inside switchyard.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "layer.h"
#include "sy.h"

#define MAX_RW ((size_t)0x7ffff000)  /* the kernel's MAX_RW_COUNT */
#define DIR_EOF 0x7fffffffffffffffll /* a directory's offset once read to the end */
#define TMPFILE_BIT 020000000	     /* O_TMPFILE without its O_DIRECTORY */
#define ST_VALID 0x20		     /* f_flags: the flags are valid (the kernel's) */
#define ST_RDONLY 1

void *sy_vfs_bounce(void)
{
	struct sy_thread *t = sy_thread_self();
	if (!t->vfs_buf) {
		long p = sy_raw6(SYS_mmap, 0, SY_VFS_BUF, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p < 0 && p > -4096)
			return NULL;
		t->vfs_buf = (void *)p;
	}
	return t->vfs_buf;
}

static long pos_get(int fd)
{
	return sy_raw3(SYS_lseek, fd, 0, SEEK_CUR);
}

static void pos_set(int fd, int64_t pos)
{
	sy_raw3(SYS_lseek, fd, pos, SEEK_SET);
}

/* The end of a read or write: the offset advances past what moved; the
 * count, or the error if nothing did. */
static long rw_end(struct vfile *v, int fd, int64_t off, size_t done, int advance, long r)
{
	if (advance) {
		if (done)
			pos_set(fd, off + (int64_t)done);
		sy_spin_unlock(&v->pos_lock);
	}
	return done ? (long)done : r;
}

/* Reads len bytes at off (off < 0: at the description's offset, which then
 * advances) into program memory. */
long sy_vfs_read_at(struct vfile *v, int fd, void *ubuf, size_t len, int64_t off, int advance)
{
	char *b = sy_vfs_bounce();
	if (!b)
		return -ENOMEM;
	if (len > MAX_RW)
		len = MAX_RW;
	if (advance)
		sy_spin_lock(&v->pos_lock);
	if (off < 0)
		off = pos_get(fd);
	size_t done = 0;
	long r = 0;
	/* program memory known writable: the backend reads straight into it */
	int direct = sy_usermem_on && sy_user_writable(ubuf, len);
	while (done < len) {
		size_t chunk = len - done < SY_VFS_BUF ? len - done : SY_VFS_BUF;
		if (direct) {
			chunk = len - done;
			r = v->m->be->read(v->m->fs, v->node, (char *)ubuf + done, chunk,
					   (uint64_t)off + done);
			if (r <= 0)
				break;
			done += (size_t)r;
			if ((size_t)r < chunk)
				break;
			continue;
		}
		r = v->m->be->read(v->m->fs, v->node, b, chunk, (uint64_t)off + done);
		if (r <= 0)
			break;
		if (sy_copy_out((char *)ubuf + done, b, (size_t)r) < 0) {
			/* a buffer that runs into a bad page: a short count */
			size_t ok = sy_user_extent((char *)ubuf + done, (size_t)r, 1);
			if (ok && sy_copy_out((char *)ubuf + done, b, ok) == 0)
				done += ok;
			r = -EFAULT;
			break;
		}
		done += (size_t)r;
		if ((size_t)r < chunk)
			break;
	}
	return rw_end(v, fd, off, done, advance, r);
}

long sy_vfs_write_at(struct vfile *v, int fd, const void *ubuf, size_t len, int64_t off,
		     int advance)
{
	char *b = sy_vfs_bounce();
	if (!b)
		return -ENOMEM;
	if (len > MAX_RW)
		len = MAX_RW;
	struct sy_vfs_cred cred;
	sy_cred(&cred);
	if (advance)
		sy_spin_lock(&v->pos_lock);
	long fl = sy_raw2(SYS_fcntl, fd, F_GETFL);
	if (fl >= 0 && (fl & O_APPEND)) {
		struct sy_vfs_attr a;
		if (v->m->be->getattr(v->m->fs, v->node, &a) == 0)
			off = (int64_t)a.size;
	} else if (off < 0) {
		off = pos_get(fd);
	}
	size_t done = 0;
	long r = 0;
	if (sy_usermem_on && len && sy_user_readable(ubuf, len)) {
		/* program memory known readable: the backend writes from it */
		r = v->m->be->write(v->m->fs, v->node, ubuf, len, (uint64_t)off, &cred);
		if (r > 0)
			done = (size_t)r;
		len = 0; /* done */
	}
	while (done < len) {
		size_t chunk = len - done < SY_VFS_BUF ? len - done : SY_VFS_BUF;
		if (sy_copy_in(b, (const char *)ubuf + done, chunk) < 0) {
			/* a buffer that runs into a bad page: what can be read */
			chunk = sy_user_extent((const char *)ubuf + done, chunk, 0);
			if (!chunk || sy_copy_in(b, (const char *)ubuf + done, chunk) < 0) {
				r = -EFAULT;
				break;
			}
			r = v->m->be->write(v->m->fs, v->node, b, chunk, (uint64_t)off + done,
					    &cred);
			if (r > 0)
				done += (size_t)r;
			break;
		}
		r = v->m->be->write(v->m->fs, v->node, b, chunk, (uint64_t)off + done, &cred);
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < chunk)
			break;
	}
	return rw_end(v, fd, off, done, advance, r);
}

/* ------------------------------------------------------------------ open */

/* Opens an existing node (held by `at`, whose reference moves on). */
static long open_node(struct loc *at, int flags, int created)
{
	struct sy_mount *m = at->m;
	struct sy_vfs_attr a;
	int r = m->be->getattr(m->fs, at->node, &a);
	if (r < 0)
		goto out;
	int acc = flags & O_ACCMODE;
	uint32_t type = a.mode & S_IFMT;
	if (flags & O_PATH) {
		if ((flags & O_DIRECTORY) && type != S_IFDIR) {
			r = -ENOTDIR;
			goto out;
		}
		r = sy_vfd_open(m, at->node, type,
				flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), at->path);
		at->m = NULL;
		return r;
	}
	if ((flags & O_DIRECTORY) && type != S_IFDIR) {
		r = -ENOTDIR;
		goto out;
	}
	if (type == S_IFLNK) { /* O_NOFOLLOW on a symlink */
		r = -ELOOP;
		goto out;
	}
	int writes = acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC);
	if (type == S_IFDIR && (writes || (flags & O_CREAT))) {
		r = -EISDIR;
		goto out;
	}
	if (type == S_IFSOCK) {
		r = -ENXIO;
		goto out;
	}
	if (type == S_IFIFO) {
		r = sy_may(&a, (acc == O_RDONLY || acc == O_RDWR ? R_OK : 0) |
				   (acc == O_WRONLY || acc == O_RDWR ? W_OK : 0));
		if (r == 0)
			r = (int)sy_vfs_fifo_open(m, at->node, flags);
		goto out;
	}
	if (type != S_IFREG && type != S_IFDIR) { /* no device behind a device node */
		sy_vfs_count_refused();
		r = -ENXIO;
		goto out;
	}
	if (!created) {
		int want = (acc == O_RDONLY || acc == O_RDWR ? R_OK : 0) | (writes ? W_OK : 0);
		r = sy_may(&a, want);
		if (r < 0)
			goto out;
		if (writes && m->readonly) {
			r = -EROFS;
			goto out;
		}
	}
	if ((flags & O_TRUNC) && !created && type == S_IFREG) {
		struct sy_vfs_attr t = {.size = 0};
		struct sy_vfs_cred cred;
		/* the kernel sets mtime and ctime even when nothing was cut */
		r = m->be->setattr(m->fs, at->node, &t, SY_VFS_SET_SIZE | SY_VFS_SET_MTIME_NOW,
				   sy_cred(&cred));
		if (r < 0)
			goto out;
	}
	/* O_EXCL stays for an O_TMPFILE file: it may not be linked then */
	r = sy_vfd_open(m, at->node, type,
			flags &
			    ~(O_CREAT | O_NOCTTY | O_TRUNC | ((flags & TMPFILE_BIT) ? 0 : O_EXCL)),
			at->path);
	at->m = NULL; /* the reference went with it */
	return r;
out:
	sy_loc_drop(at);
	return r;
}

static int to_walk_how(uint64_t resolve)
{
	int how = 0;
	if (resolve & RESOLVE_NO_SYMLINKS)
		how |= WALK_NO_SYMLINKS;
	if (resolve & RESOLVE_BENEATH)
		how |= WALK_BENEATH;
	if (resolve & RESOLVE_IN_ROOT)
		how |= WALK_IN_ROOT;
	if (resolve & RESOLVE_NO_XDEV)
		how |= WALK_NO_XDEV;
	return how;
}

/* Kernel side after a walk through a mount: the same call on its path. */
static long kernel_open(const char *path, long flags, long mode)
{
	return sy_raw4(SYS_openat, AT_FDCWD, path, flags, mode);
}

/* Returns 1 if the kernel takes the call as it is. */
static long do_open(int dirfd, const char *path, int flags, uint32_t mode, int how, long *result)
{
	struct loc at;
	char last[258];
	int wf, r;
	int links = 0;
	if ((flags & O_CREAT) && (flags & O_DIRECTORY) && !(flags & TMPFILE_BIT)) {
		*result = -EINVAL;
		return 0;
	}
	if ((flags & TMPFILE_BIT) && !(flags & O_DIRECTORY)) {
		*result = -EINVAL;
		return 0;
	}
	if (flags & TMPFILE_BIT) {
		r = sy_walk(dirfd, path, WALK_FOLLOW | how, &at, NULL, NULL);
		if (r == 1)
			return 1;
		if (r < 0) {
			*result = r;
			return 0;
		}
		if (!at.m) {
			*result = kernel_open(at.path, flags, mode);
			return 0;
		}
		/* an unnamed file: created under a hidden name, then unlinked */
		struct sy_vfs_attr a;
		r = at.m->be->getattr(at.m->fs, at.node, &a);
		if (r == 0 && !S_ISDIR(a.mode))
			r = -ENOTDIR;
		if (r == 0 && (flags & O_ACCMODE) == O_RDONLY)
			r = -EINVAL;
		if (r == 0)
			r = sy_may(&a, W_OK | X_OK);
		if (r < 0) {
			sy_loc_drop(&at);
			*result = r;
			return 0;
		}
		char name[64];
		static long tmp_seq;
		snprintf(name, sizeof(name), ".switchyard-tmpfile-%ld-%ld", sy_raw0(SYS_getpid),
			 __atomic_fetch_add(&tmp_seq, 1, __ATOMIC_RELAXED));
		struct sy_vfs_cred cred;
		struct sy_vfs_node *node;
		r = at.m->be->create(at.m->fs, at.node, name,
				     S_IFREG | (mode & 07777 & ~sy_umask()), 0, sy_cred(&cred),
				     &node);
		if (r == 0) {
			at.m->be->unlink(at.m->fs, at.node, name);
			/* the directory's mtime is as it was: an O_TMPFILE file is
			 * never in it (its ctime moves: no backend call sets that) */
			struct sy_vfs_attr was = {.mtime = a.mtime};
			at.m->be->setattr(at.m->fs, at.node, &was, SY_VFS_SET_MTIME, NULL);
			at.m->be->release(at.m->fs, at.node);
			at.node = node;
			snprintf(at.path + strlen(at.path), sizeof(at.path) - strlen(at.path),
				 "/#%s", name + 1);
			*result = open_node(&at, (flags & ~O_DIRECTORY) | O_CREAT, 1);
			return 0;
		}
		sy_loc_drop(&at);
		*result = r;
		return 0;
	}
	const char *mrest;
	int mfd = sy_magic_fd(path, &mrest);
	if ((flags & O_CREAT) && mfd >= 0 && !*mrest && sy_vfd_is_virtual(mfd)) {
		/* O_CREAT through /proc/self/fd/N: the file exists */
		if (flags & O_EXCL) {
			*result = -EEXIST;
			return 0;
		}
		flags &= ~O_CREAT;
	}
	if (!(flags & O_CREAT)) {
		int follow = (flags & O_NOFOLLOW) ? 0 : WALK_FOLLOW;
		r = sy_walk(dirfd, path, follow | how, &at, NULL, &wf);
		if (r == 1)
			return 1;
		if (r < 0) {
			*result = r;
			return 0;
		}
		if (!at.m) {
			*result = kernel_open(at.path, flags, mode);
			return 0;
		}
		*result = open_node(&at, flags, 0);
		return 0;
	}
	/* O_CREAT: the parent, then the last name (following a symlink there) */
	struct loc start;
	int have_start = 0;
	char pathbuf[PATH_MAX];
	size_t plen = strnlen(path, sizeof(pathbuf) - 1);
	memcpy(pathbuf, path, plen);
	pathbuf[plen] = 0;
	for (;;) {
		r = sy_walk_from(dirfd, have_start ? &start : NULL, pathbuf, WALK_PARENT | how, &at,
				 last, &wf);
		if (have_start)
			sy_loc_drop(&start);
		have_start = 0;
		if (r == 1)
			return links ? (*result = kernel_open(pathbuf, flags, mode), 0) : 1;
		if (r < 0) {
			*result = r;
			return 0;
		}
		if (!last[0] || strcmp(last, ".") == 0 || strcmp(last, "..") == 0 ||
		    (wf & WALK_DIR)) {
			int dots = !last[0] || strcmp(last, ".") == 0 || strcmp(last, "..") == 0;
			sy_loc_drop(&at);
			/* an existing directory: EEXIST with O_EXCL, else EISDIR */
			*result = (flags & O_EXCL) && dots ? -EEXIST : -EISDIR;
			return 0;
		}
		if (!at.m) {
			size_t l = strlen(at.path);
			snprintf(at.path + l, sizeof(at.path) - l, "%s%s", l > 1 ? "/" : "", last);
			struct sy_mount *m = sy_vfs_mount_at(at.path, strlen(at.path));
			if (m) { /* the mount point itself: a directory */
				*result = (flags & O_EXCL) ? -EEXIST : -EISDIR;
				return 0;
			}
			*result = kernel_open(at.path, flags, mode);
			return 0;
		}
		struct sy_mount *m = at.m;
		struct sy_vfs_node *node;
		r = m->be->lookup(m->fs, at.node, last, &node);
		if (r == -ENOENT) {
			struct sy_vfs_attr da;
			r = m->be->getattr(m->fs, at.node, &da);
			if (r == 0)
				r = sy_may(&da, W_OK | X_OK);
			if (r == 0 && m->readonly)
				r = -EROFS;
			struct sy_vfs_cred cred;
			if (r == 0)
				r = m->be->create(m->fs, at.node, last,
						  S_IFREG | (mode & 07777 & ~sy_umask()), 0,
						  sy_cred(&cred), &node);
			if (r == -EEXIST) { /* lost a race: open what is there */
				sy_loc_drop(&at);
				continue;
			}
			if (r < 0) {
				sy_loc_drop(&at);
				*result = r;
				return 0;
			}
			m->be->release(m->fs, at.node);
			at.node = node;
			size_t l = strlen(at.path);
			snprintf(at.path + l, sizeof(at.path) - l, "%s%s", l > 1 ? "/" : "", last);
			*result = open_node(&at, flags, 1);
			return 0;
		}
		if (r < 0) {
			sy_loc_drop(&at);
			*result = r;
			return 0;
		}
		if (flags & O_EXCL) {
			m->be->release(m->fs, node);
			sy_loc_drop(&at);
			*result = -EEXIST;
			return 0;
		}
		struct sy_vfs_attr a;
		r = m->be->getattr(m->fs, node, &a);
		if (r == 0 && S_ISLNK(a.mode) && !(flags & O_NOFOLLOW)) {
			/* follow it: the target, from the link's directory */
			if (++links > 40 || (how & WALK_NO_SYMLINKS)) {
				m->be->release(m->fs, node);
				sy_loc_drop(&at);
				*result = -ELOOP;
				return 0;
			}
			long n = m->be->readlink(m->fs, node, pathbuf, sizeof(pathbuf) - 1);
			m->be->release(m->fs, node);
			if (n <= 0) {
				sy_loc_drop(&at);
				*result = n < 0 ? n : -ENOENT;
				return 0;
			}
			pathbuf[n] = 0;
			start = at;
			have_start = 1;
			continue;
		}
		m->be->release(m->fs, at.node);
		at.node = node;
		size_t l = strlen(at.path);
		snprintf(at.path + l, sizeof(at.path) - l, "%s%s", l > 1 ? "/" : "", last);
		if (r < 0) {
			sy_loc_drop(&at);
			*result = r;
			return 0;
		}
		*result = open_node(&at, flags, 0);
		return 0;
	}
}

int sy_sys_open(struct sy_call *c, long *result)
{
	int dirfd = AT_FDCWD;
	long upath, flags, mode;
	uint64_t resolve = 0;
	switch (c->nr) {
	case SYS_open:
		upath = c->args[0], flags = c->args[1], mode = c->args[2];
		break;
	case SYS_creat:
		upath = c->args[0], flags = O_CREAT | O_WRONLY | O_TRUNC, mode = c->args[1];
		break;
	case SYS_openat:
		dirfd = (int)c->args[0], upath = c->args[1], flags = c->args[2], mode = c->args[3];
		break;
	default: { /* openat2 */
		struct open_how oh;
		size_t size = (size_t)c->args[3];
		if (size < sizeof(oh) || size > 4096)
			return SY_PASS; /* the kernel's EINVAL / E2BIG */
		if (sy_copy_in(&oh, (const void *)c->args[2], sizeof(oh)) < 0) {
			*result = -EFAULT;
			return SY_ANSWER;
		}
		dirfd = (int)c->args[0], upath = c->args[1];
		flags = (long)oh.flags, mode = (long)oh.mode, resolve = oh.resolve;
		if ((oh.flags >> 32) || (oh.mode & ~07777ull) ||
		    (oh.mode && !(oh.flags & (O_CREAT | __O_TMPFILE))) ||
		    (resolve &
		     ~(uint64_t)(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
				 RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED)) ||
		    ((resolve & RESOLVE_BENEATH) && (resolve & RESOLVE_IN_ROOT)))
			return SY_PASS; /* the kernel's EINVAL */
	}
	}
	char path[PATH_MAX + 1];
	long n = sy_copy_path_in(path, (const char *)upath, PATH_MAX);
	if (n < 0) {
		*result = n;
		return SY_ANSWER;
	}
	if (!path[0])
		return SY_PASS; /* ENOENT */
	if (!sy_walk_may_enter(dirfd, path) &&
	    !((resolve & RESOLVE_IN_ROOT) && sy_vfd_is_virtual(dirfd)))
		return SY_PASS;
	if ((resolve & RESOLVE_NO_MAGICLINKS) && path[0] == '/') {
		const char *rest;
		if (sy_magic_fd(path, &rest) >= 0) { /* every /proc/self/fd/N is one */
			*result = -ELOOP;
			return SY_ANSWER;
		}
	}
	if (c->nr != SYS_openat2)
		mode &= 07777;
	if (resolve & RESOLVE_CACHED) {
		*result = -EAGAIN;
		return SY_ANSWER;
	}
	if (do_open(dirfd, path, (int)flags, (uint32_t)mode, to_walk_how(resolve), result) == 1)
		return SY_PASS;
	return SY_ANSWER;
}

/* --------------------------------------------------------------- fd calls */

static int can_read(const struct vfile *v)
{
	return !(v->oflags & O_PATH) && (v->oflags & O_ACCMODE) != O_WRONLY;
}

static int can_write(const struct vfile *v)
{
	int acc = v->oflags & O_ACCMODE;
	return !(v->oflags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

static long rw_check(const struct vfile *v, int write)
{
	if (write ? !can_write(v) : !can_read(v))
		return -EBADF;
	if (v->type == S_IFDIR)
		return -EISDIR;
	return 0;
}

/* access_ok(): the range lies in the user half of the address space. */
static int user_range_ok(const void *p, size_t n)
{
	const uintptr_t top = 0x7ffffffff000ull; /* TASK_SIZE_MAX with 4-level paging */
	return (uintptr_t)p <= top && n <= top - (uintptr_t)p;
}

/* The iovec array of a readv/writev, checked as the kernel checks it. */
static long get_iov(long uiov, long cnt, struct iovec *iov)
{
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	if (cnt && sy_copy_in(iov, (const void *)uiov, (size_t)cnt * sizeof(*iov)) < 0)
		return -EFAULT;
	/* as the kernel: a negative length is EINVAL, and the total is cut
	 * to MAX_RW (the rest is never touched) */
	size_t total = 0;
	for (long i = 0; i < cnt; i++) {
		if ((ssize_t)iov[i].iov_len < 0)
			return -EINVAL;
		if (!user_range_ok(iov[i].iov_base, iov[i].iov_len))
			return -EFAULT;
		if (iov[i].iov_len > MAX_RW - total)
			iov[i].iov_len = MAX_RW - total;
		total += iov[i].iov_len;
	}
	return 0;
}

static long rw_vec(struct vfile *v, int fd, const struct iovec *iov, long cnt, int64_t off,
		   int write)
{
	int advance = off < 0;
	if (advance)
		sy_spin_lock(&v->pos_lock);
	int64_t pos = advance ? pos_get(fd) : off;
	long total = 0;
	for (long i = 0; i < cnt; i++) {
		if (!iov[i].iov_len)
			continue;
		long r = write ? sy_vfs_write_at(v, fd, iov[i].iov_base, iov[i].iov_len, pos, 0)
			       : sy_vfs_read_at(v, fd, iov[i].iov_base, iov[i].iov_len, pos, 0);
		if (r < 0) {
			if (!total)
				total = r;
			break;
		}
		if (write && advance && i == 0) {
			/* O_APPEND: the first chunk went to the end; follow it */
			long fl = sy_raw2(SYS_fcntl, fd, F_GETFL);
			if (fl >= 0 && (fl & O_APPEND)) {
				struct sy_vfs_attr a;
				if (v->m->be->getattr(v->m->fs, v->node, &a) == 0)
					pos = (int64_t)a.size - r;
			}
		}
		total += r;
		pos += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	if (advance) {
		if (total > 0)
			pos_set(fd, pos);
		sy_spin_unlock(&v->pos_lock);
	}
	return total;
}

static long do_lseek(struct vfile *v, int fd, int64_t off, int whence)
{
	if (v->oflags & O_PATH)
		return -EBADF;
	struct sy_vfs_attr a;
	switch (whence) {
	case SEEK_SET:
	case SEEK_CUR:
		return sy_raw3(SYS_lseek, fd, off, whence);
	case SEEK_END:
	case SEEK_DATA:
	case SEEK_HOLE: {
		if (v->type == S_IFDIR)
			return -EINVAL;
		long r = v->m->be->getattr(v->m->fs, v->node, &a);
		if (r < 0)
			return r;
		int64_t size = (int64_t)a.size, to;
		if (whence == SEEK_END) {
			if (__builtin_add_overflow(size, off, &to) || to < 0)
				return -EINVAL;
		} else {
			if (off < 0 || off >= size)
				return -ENXIO;
			if (v->m->be->seek_hole) {
				to = v->m->be->seek_hole(v->m->fs, v->node, (uint64_t)off, whence);
				if (to < 0)
					return to;
			} else {
				to = whence == SEEK_DATA ? off : size; /* all data */
			}
		}
		return sy_raw3(SYS_lseek, fd, to, SEEK_SET);
	}
	default:
		return -EINVAL;
	}
}

/* getdents64 (big) and getdents: "." and ".." first, then the backend's
 * entries; the description's offset is 0, 1, then 2 + the backend's cookie. */
static long do_getdents(struct vfile *v, int fd, long ubuf, size_t count, int big)
{
	if (v->oflags & O_PATH)
		return -EBADF;
	if (v->type != S_IFDIR)
		return -ENOTDIR;
	char *out = sy_vfs_bounce();
	if (!out)
		return -ENOMEM;
	if (count > SY_VFS_BUF / 2)
		count = SY_VFS_BUF / 2;
	if (!count)
		return -EINVAL;
	/* a buffer that runs into a bad page holds what fits before it */
	size_t room = sy_user_extent((void *)ubuf, count, 1);
	if (!room)
		return -EFAULT;
	int cut = room < count;
	count = room;
	struct sy_vfs_dirent *ents = (struct sy_vfs_dirent *)(out + SY_VFS_BUF / 2);
	size_t nents = (SY_VFS_BUF / 2) / sizeof(*ents);
	if (nents > 64)
		nents = 64;
	struct sy_mount *m = v->m;
	sy_spin_lock(&v->pos_lock);
	int64_t pos = pos_get(fd);
	size_t used = 0;
	long r = 0;
	int full = 0;
	while (!full) {
		long got;
		if (pos < 2) {
			struct sy_vfs_attr a;
			struct sy_vfs_node *up = NULL;
			if (pos == 0) {
				r = m->be->getattr(m->fs, v->node, &a);
				snprintf(ents[0].name, sizeof(ents[0].name), ".");
			} else if (v->node == m->root) {
				/* the mount point's parent is on the kernel's side */
				struct stat st;
				char p[SY_MOUNT_PATH_MAX];
				snprintf(p, sizeof(p), "%s", m->path);
				*strrchr(p, '/') = 0;
				r = (int)sy_raw2(SYS_stat, p[0] ? p : "/", &st);
				a.ino = st.st_ino;
				snprintf(ents[0].name, sizeof(ents[0].name), "..");
			} else {
				r = m->be->parent(m->fs, v->node, &up);
				if (r == 0) {
					r = m->be->getattr(m->fs, up, &a);
					m->be->release(m->fs, up);
				}
				snprintf(ents[0].name, sizeof(ents[0].name), "..");
			}
			if (r < 0)
				break;
			ents[0].ino = a.ino;
			ents[0].type = DT_DIR;
			ents[0].next = (uint64_t)pos + 1;
			got = 1;
		} else {
			if (pos == DIR_EOF)
				break;
			got = m->be->readdir(m->fs, v->node, (uint64_t)pos - 2, ents, nents);
			if (got < 0) {
				r = got;
				break;
			}
			if (got == 0) {
				/* at the end it stays there, as tmpfs's cursor does,
				 * until the directory is rewound */
				pos = DIR_EOF;
				break;
			}
			for (long i = 0; i < got; i++)
				ents[i].next += 2;
		}
		for (long i = 0; i < got; i++) {
			size_t nl = strlen(ents[i].name);
			size_t reclen =
			    big ? (19 + nl + 1 + 7) & ~(size_t)7 : (18 + nl + 2 + 7) & ~(size_t)7;
			if (used + reclen > count) {
				full = 1;
				break;
			}
			char *rec = out + used;
			memset(rec, 0, reclen);
			uint64_t ino = ents[i].ino, next = ents[i].next;
			uint16_t rl = (uint16_t)reclen;
			memcpy(rec, &ino, 8);
			memcpy(rec + 8, &next, 8);
			memcpy(rec + 16, &rl, 2);
			if (big) {
				rec[18] = (char)ents[i].type;
				memcpy(rec + 19, ents[i].name, nl);
			} else {
				memcpy(rec + 18, ents[i].name, nl);
				rec[reclen - 1] = (char)ents[i].type;
			}
			used += reclen;
			pos = (int64_t)next;
		}
	}
	if (used && sy_copy_out((void *)ubuf, out, used) < 0)
		r = -EFAULT;
	else if (used) {
		pos_set(fd, pos);
		r = (long)used;
	} else if (pos == DIR_EOF && r == 0) {
		pos_set(fd, pos);
	} else if (full && r == 0)
		r = cut ? -EFAULT : -EINVAL; /* not even one entry fits */
	sy_spin_unlock(&v->pos_lock);
	return r;
}

static long do_getfl(struct vfile *v, int fd)
{
	long kfl = sy_raw2(SYS_fcntl, fd, F_GETFL);
	if (kfl < 0)
		return kfl;
	long keep = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
	/* O_LARGEFILE as the kernel shows it on x86-64 (glibc's is 0) */
	long fl = (v->oflags & ~(keep | O_CLOEXEC | O_EXCL)) | (kfl & keep) | 0100000;
	if (v->oflags & O_PATH) /* an O_PATH description shows its open flags only */
		fl &= ~(long)0100000;
	if (v->oflags & TMPFILE_BIT) /* as the kernel shows an O_TMPFILE file */
		fl = (fl & ~(long)TMPFILE_BIT) | O_DIRECTORY | TMPFILE_BIT;
	return fl;
}

static long do_fcntl(struct vfile *v, int fd, long cmd, long arg)
{
	long r;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = sy_raw3(SYS_fcntl, fd, cmd, arg);
		if (r >= 0)
			sy_vfd_copied(fd, (int)r);
		return r;
	case F_GETFD:
	case F_SETFD:
	case F_GETOWN:
	case F_SETOWN:
	case F_GETOWN_EX:
	case F_SETOWN_EX:
	case F_GETSIG:
	case F_SETSIG:
		return sy_raw3(SYS_fcntl, fd, cmd, arg);
	case F_GETFL:
		return do_getfl(v, fd);
	case F_SETFL:
		if (v->oflags & O_PATH)
			return -EBADF;
		return sy_raw3(SYS_fcntl, fd, F_SETFL, arg);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		if (v->oflags & O_PATH)
			return -EBADF;
		return sy_vfs_fcntl_lock(v, fd, cmd, arg);
	default:
		return -EINVAL;
	}
}

static long do_stat_fd(struct vfile *v, long ubuf)
{
	struct sy_vfs_attr a;
	long r = v->m->be->getattr(v->m->fs, v->node, &a);
	if (r < 0)
		return r;
	struct stat st;
	sy_attr_to_stat(v->m, &a, &st);
	return sy_copy_out((void *)ubuf, &st, sizeof(st));
}

long sy_statfs_out(struct sy_mount *m, long ubuf)
{
	struct sy_vfs_statfs s;
	long r = m->be->statfs(m->fs, &s);
	if (r < 0)
		return r;
	struct statfs st;
	memset(&st, 0, sizeof(st));
	st.f_type = (long)s.magic;
	st.f_bsize = (long)s.bsize;
	st.f_blocks = s.blocks;
	st.f_bfree = s.bfree;
	st.f_bavail = s.bavail;
	st.f_files = s.files;
	st.f_ffree = s.ffree;
	memcpy(&st.f_fsid, &s.fsid, sizeof(st.f_fsid));
	st.f_namelen = (long)s.namelen;
	st.f_frsize = (long)s.frsize;
	st.f_flags = (long)(s.flags | ST_VALID | (m->readonly ? ST_RDONLY : 0));
	return sy_copy_out((void *)ubuf, &st, sizeof(st));
}

static long do_truncate(struct sy_mount *m, struct sy_vfs_node *node, int64_t len)
{
	if (len < 0)
		return -EINVAL;
	struct sy_vfs_attr a = {.size = (uint64_t)len};
	struct sy_vfs_cred cred;
	return m->be->setattr(m->fs, node, &a, SY_VFS_SET_SIZE, sy_cred(&cred));
}

long sy_vfs_chmod(struct sy_mount *m, struct sy_vfs_node *node, uint32_t mode);
long sy_vfs_chown(struct sy_mount *m, struct sy_vfs_node *node, uint32_t uid, uint32_t gid);

static long fd_call(struct sy_call *c, struct vfile *v, int fd)
{
	long *a = c->args;
	struct iovec iov[IOV_MAX];
	long r;
	if (!v->node)
		return c->nr == SYS_close ? sy_raw1(SYS_close, fd) : -ESTALE;
	switch (c->nr) {
	case SYS_read:
		if ((r = rw_check(v, 0)))
			return r;
		if (!user_range_ok((void *)a[1], (size_t)a[2]))
			return -EFAULT;
		return sy_vfs_read_at(v, fd, (void *)a[1], (size_t)a[2], -1, 1);
	case SYS_write:
		if ((r = rw_check(v, 1)))
			return r;
		if (!user_range_ok((void *)a[1], (size_t)a[2]))
			return -EFAULT;
		if (!a[2])
			return 0;
		return sy_vfs_write_at(v, fd, (const void *)a[1], (size_t)a[2], -1, 1);
	case SYS_pread64:
	case SYS_pwrite64: {
		int w = c->nr == SYS_pwrite64;
		if (a[3] < 0) /* the kernel looks at the offset first */
			return -EINVAL;
		if ((r = rw_check(v, w)))
			return r;
		if (!user_range_ok((void *)a[1], (size_t)a[2]))
			return -EFAULT;
		if (!a[2])
			return 0;
		return w ? sy_vfs_write_at(v, fd, (const void *)a[1], (size_t)a[2], a[3], 0)
			 : sy_vfs_read_at(v, fd, (void *)a[1], (size_t)a[2], a[3], 0);
	}
	case SYS_readv:
	case SYS_writev:
	case SYS_preadv:
	case SYS_pwritev:
	case SYS_preadv2:
	case SYS_pwritev2: {
		int w = c->nr == SYS_writev || c->nr == SYS_pwritev || c->nr == SYS_pwritev2;
		int64_t off = -1;
		if (c->nr == SYS_preadv || c->nr == SYS_pwritev || c->nr == SYS_preadv2 ||
		    c->nr == SYS_pwritev2) {
			off = a[3]; /* pos_l; pos_h is 0 on x86-64 */
			if (off < 0 &&
			    !((c->nr == SYS_preadv2 || c->nr == SYS_pwritev2) && off == -1))
				return -EINVAL;
		}
		if ((c->nr == SYS_preadv2 || c->nr == SYS_pwritev2) &&
		    (a[5] & ~(long)(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND)))
			return -EOPNOTSUPP;
		long bad = rw_check(v, w);
		if (bad == -EBADF)
			return bad;
		if ((r = get_iov(a[1], a[2], iov)))
			return r;
		size_t total = 0;
		for (long i = 0; i < a[2]; i++)
			total += iov[i].iov_len;
		if (!total)
			return 0; /* nothing to move: no EISDIR */
		if (bad)
			return bad;
		if (!w && (c->nr == SYS_preadv2) && (a[5] & RWF_NOWAIT))
			return -EOPNOTSUPP; /* as tmpfs */
		if ((c->nr == SYS_pwritev2) && (a[5] & RWF_APPEND)) {
			struct sy_vfs_attr at;
			if (v->m->be->getattr(v->m->fs, v->node, &at) == 0)
				off = (int64_t)at.size;
		}
		return rw_vec(v, fd, iov, a[2], off, w);
	}
	case SYS_lseek:
		return do_lseek(v, fd, a[1], (int)a[2]);
	case SYS_fstat:
		return do_stat_fd(v, a[1]);
	case SYS_close:
		sy_vfs_lock_close(v);
		r = sy_raw1(SYS_close, fd);
		sy_vfd_closed(fd);
		return r;
	case SYS_fsync:
	case SYS_fdatasync:
		if (v->oflags & O_PATH)
			return -EBADF;
		return v->m->be->fsync(v->m->fs, v->node, c->nr == SYS_fdatasync);
	case SYS_syncfs:
		return (v->oflags & O_PATH) ? -EBADF : 0;
	case SYS_ftruncate:
		if (a[1] < 0) /* before the fd's kind */
			return -EINVAL;
		if ((v->oflags & O_PATH))
			return -EBADF;
		if (v->type != S_IFREG || !can_write(v))
			return -EINVAL;
		return do_truncate(v->m, v->node, a[1]);
	case SYS_fallocate: {
		int mode = (int)a[1];
		if (v->oflags & O_PATH)
			return -EBADF;
		if (a[2] < 0 || a[3] <= 0)
			return -EINVAL;
		/* the kernel's order: the mode, the access, the kind of file */
		if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
			return -EOPNOTSUPP;
		if (!can_write(v))
			return -EBADF;
		if (v->type == S_IFDIR)
			return -EISDIR;
		if (v->type != S_IFREG)
			return -ENODEV;
		return v->m->be->fallocate(v->m->fs, v->node, mode, (uint64_t)a[2], (uint64_t)a[3]);
	}
	case SYS_fchmod:
		if (v->oflags & O_PATH)
			return -EBADF;
		return sy_vfs_chmod(v->m, v->node, (uint32_t)a[1]);
	case SYS_fchown:
		if (v->oflags & O_PATH)
			return -EBADF;
		return sy_vfs_chown(v->m, v->node, (uint32_t)a[1], (uint32_t)a[2]);
	case SYS_getdents64:
	case SYS_getdents:
		return do_getdents(v, fd, a[1], (size_t)(unsigned)a[2], c->nr == SYS_getdents64);
	case SYS_flock:
		if (v->oflags & O_PATH)
			return -EBADF;
		return sy_vfs_flock(v, a[1]);
	case SYS_ioctl:
		if (v->oflags & O_PATH)
			return -EBADF;
		switch ((unsigned)a[1]) {
		case FIOCLEX:
		case FIONCLEX:
		case FIONBIO:
		case FIOASYNC:
			return sy_raw3(SYS_ioctl, fd, a[1], a[2]);
		case FIONREAD: {
			if (v->type != S_IFREG)
				return -ENOTTY;
			struct sy_vfs_attr at;
			r = v->m->be->getattr(v->m->fs, v->node, &at);
			if (r < 0)
				return r;
			long pos = pos_get(fd);
			int n = (int)((int64_t)at.size - pos); /* negative past the end, as tmpfs */
			return sy_copy_out((void *)a[2], &n, sizeof(n));
		}
		case FIGETBSZ: {
			struct sy_vfs_attr at;
			r = v->m->be->getattr(v->m->fs, v->node, &at);
			if (r < 0)
				return r;
			int n = (int)at.blksize;
			return sy_copy_out((void *)a[2], &n, sizeof(n));
		}
		default:
			return -ENOTTY;
		}
	case SYS_fstatfs:
		return sy_statfs_out(v->m, a[1]);
	case SYS_fcntl:
		return do_fcntl(v, fd, a[1], a[2]);
	case SYS_dup:
		r = sy_raw1(SYS_dup, fd);
		if (r >= 0)
			sy_vfd_copied(fd, (int)r);
		return r;
	case SYS_fadvise64:
		if (v->oflags & O_PATH)
			return -EBADF;
		if (a[3] < 0 || a[3] > 5)
			return -EINVAL;
		return v->type == S_IFREG ? 0 : -ESPIPE;
	case SYS_readahead:
		if (!can_read(v))
			return -EBADF;
		return v->type == S_IFREG ? 0 : -EINVAL;
	case SYS_sync_file_range:
		if (a[1] < 0 || a[2] < 0 || (a[3] & ~7L))
			return -EINVAL;
		return (v->oflags & O_PATH) ? -EBADF : 0;
	}
	return -ENOSYS;
}

long sy_vfs_fchdir_node(struct sy_mount *m, struct sy_vfs_node *node, const char *path);

int sy_sys_fdop(struct sy_call *c, long *result)
{
	int fd = (int)c->args[0];
	struct vfile *v = sy_vfd_get(fd);
	if (c->nr == SYS_fchdir) {
		if (!v) {
			long r = sy_raw1(SYS_fchdir, fd);
			if (r == 0)
				sy_cwd_set(NULL);
			*result = r;
			return SY_ANSWER;
		}
		*result = v->node ? sy_vfs_fchdir_node(v->m, v->node, v->path) : -ESTALE;
		if (*result == 0 && v->type != S_IFDIR)
			*result = -ENOTDIR;
		sy_vfile_put(v);
		return SY_ANSWER;
	}
	if (!v)
		return SY_PASS;
	*result = fd_call(c, v, fd);
	sy_vfile_put(v);
	return SY_ANSWER;
}

/* dup2, dup3, close_range: the kernel does them; the table follows. */
int sy_sys_dup(struct sy_call *c, long *result)
{
	long *a = c->args;
	if (c->nr == SYS_close_range) {
		if (!sy_fd_guard(c, result))
			*result = sy_raw3(SYS_close_range, a[0], a[1], a[2]);
		if (*result == 0 && !(a[2] & CLOSE_RANGE_CLOEXEC))
			sy_vfd_closed_range((unsigned)a[0], (unsigned)a[1]);
		return SY_ANSWER;
	}
	int oldfd = (int)a[0], newfd = (int)a[1];
	if (!sy_vfd_is_virtual(oldfd) && !sy_vfd_is_virtual(newfd))
		return SY_PASS;
	if (sy_fd_guard(c, result))
		return SY_ANSWER;
	*result = sy_raw3(c->nr, a[0], a[1], a[2]);
	if (*result >= 0)
		sy_vfd_copied(oldfd, newfd);
	return SY_ANSWER;
}

/* ------------------------------------------------- sendfile, splice, ... */

/* Moves up to count bytes from in to out through the bounce buffer; either
 * may be virtual. *off (if given) is the input offset. */
static long copy_between(int in, int64_t *inoff, int out, int64_t *outoff, size_t count,
			 int read_on)
{
	struct vfile *vi = sy_vfd_get(in), *vo = sy_vfd_get(out);
	long r = 0, done = 0;
	char *b = sy_vfs_bounce();
	if (!b) {
		r = -ENOMEM;
		goto out;
	}
	if ((vi && (r = rw_check(vi, 0))) || (vo && (r = rw_check(vo, 1))))
		goto out;
	if (count > MAX_RW)
		count = MAX_RW;
	/* virtual fds without an offset: both positions as they were at the
	 * start (one description may be both ends), written back at the end */
	int64_t ipos_local = vi && !inoff ? pos_get(in) : 0;
	int64_t opos_local = vo && !outoff ? pos_get(out) : 0;
	if (vi && !inoff)
		inoff = &ipos_local;
	if (vo && !outoff)
		outoff = &opos_local;
	while ((size_t)done < count) {
		size_t chunk = count - (size_t)done;
		if (chunk > SY_VFS_BUF)
			chunk = SY_VFS_BUF;
		long got;
		if (vi) {
			int64_t pos = inoff ? *inoff : -1;
			if (pos < 0)
				pos = pos_get(in);
			got = vi->m->be->read(vi->m->fs, vi->node, b, chunk, (uint64_t)pos);
			if (got > 0) {
				if (inoff)
					*inoff = pos + got;
				else
					pos_set(in, pos + got);
			}
		} else {
			got = inoff ? sy_raw4(SYS_pread64, in, b, chunk, *inoff)
				    : sy_raw3(SYS_read, in, b, chunk);
			if (got > 0 && inoff)
				*inoff += got;
		}
		if (got <= 0) {
			if (got < 0 && !done)
				r = got;
			break;
		}
		long put = 0;
		while (put < got) {
			long w;
			if (vo) {
				struct sy_vfs_cred cred;
				int64_t pos = outoff ? *outoff : pos_get(out);
				long fl = sy_raw2(SYS_fcntl, out, F_GETFL);
				if (fl >= 0 && (fl & O_APPEND)) {
					struct sy_vfs_attr at;
					if (vo->m->be->getattr(vo->m->fs, vo->node, &at) == 0)
						pos = (int64_t)at.size;
				}
				w = vo->m->be->write(vo->m->fs, vo->node, b + put,
						     (size_t)(got - put), (uint64_t)pos,
						     sy_cred(&cred));
				if (w > 0) {
					if (outoff)
						*outoff = pos + w;
					else
						pos_set(out, pos + w);
				}
			} else {
				w = outoff ? sy_raw4(SYS_pwrite64, out, b + put, got - put, *outoff)
					   : sy_raw3(SYS_write, out, b + put, got - put);
				if (w > 0 && outoff)
					*outoff += w;
			}
			if (w <= 0) {
				if (!done && !put)
					r = w ? w : -EIO;
				done += put;
				goto out;
			}
			put += w;
		}
		done += got;
		/* a short read is the end, unless (sendfile) the output is the
		 * same file and has just grown it: the kernel reads on into what
		 * it wrote */
		if ((size_t)got < chunk && !(read_on && vi && vo && vi->node == vo->node))
			break;
	}
out:
	if (vo && outoff == &opos_local && done > 0)
		pos_set(out, opos_local);
	if (vi && inoff == &ipos_local && done > 0)
		pos_set(in, ipos_local);
	if (vi)
		sy_vfile_put(vi);
	if (vo)
		sy_vfile_put(vo);
	return done ? done : r;
}

/* S_IFMT of an fd (virtual or not), or -errno. */
static long fd_type(int fd, struct vfile **vout)
{
	struct vfile *v = sy_vfd_get(fd);
	*vout = v;
	if (v)
		return v->type;
	struct stat st;
	long r = sy_raw2(SYS_fstat, fd, &st);
	return r < 0 ? r : (long)(st.st_mode & S_IFMT);
}

static long status_flags(int fd)
{
	return sy_raw2(SYS_fcntl, fd, F_GETFL);
}

/* The kernel's refusals for sendfile, copy_file_range and splice, in its
 * order, for the kinds of fd involved. */
/* A write into the kernel pipe fd that nobody reads: true after raising the
 * SIGPIPE the kernel's write would (the caller answers -EPIPE). */
static bool pipe_without_readers(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLOUT};
	if (sy_raw3(SYS_poll, &pf, 1, 0) != 1 || !(pf.revents & POLLERR))
		return false;
	sy_raw3(SYS_tgkill, sy_raw0(SYS_getpid), sy_raw0(SYS_gettid), SIGPIPE);
	return true;
}

static long transfer_check(long nr, int in, long uin, int out, long uout, size_t copy_len,
			   long splice_flags)
{
	struct vfile *vi, *vo;
	long ti = fd_type(in, &vi), to = fd_type(out, &vo);
	long r = 0;
	long fli = status_flags(in), flo = status_flags(out);
	if (ti < 0 || to < 0) {
		r = ti < 0 ? ti : to;
		goto out;
	}
	int in_read = vi ? can_read(vi) : (fli & O_ACCMODE) != O_WRONLY;
	int out_write = vo ? can_write(vo) : (flo & O_ACCMODE) != O_RDONLY;
	/* an O_PATH fd is no fd for data at all (sendfile looks at the input's
	 * offset before the output, below) */
	if (nr != SYS_sendfile &&
	    ((vi && (vi->oflags & O_PATH)) || (vo && (vo->oflags & O_PATH)))) {
		r = -EBADF;
		goto out;
	}
	/* copy_file_range looks at the kinds of file before the access */
	if (nr == SYS_copy_file_range && (ti == S_IFDIR || to == S_IFDIR)) {
		r = -EISDIR;
		goto out;
	}
	if (nr == SYS_copy_file_range && (ti != S_IFREG || to != S_IFREG)) {
		r = -EINVAL;
		goto out;
	}
	if (nr == SYS_sendfile) { /* the input, its offset, the output, the pipe */
		int64_t o = 0;
		if (!in_read || (vi && (vi->oflags & O_PATH)))
			r = -EBADF;
		else if (uin && (ti == S_IFIFO || ti == S_IFSOCK))
			r = -ESPIPE;
		else if (uin && sy_copy_in(&o, (void *)uin, sizeof(o)) == 0 && o < 0)
			r = -EINVAL;
		else if (!out_write || (vo && (vo->oflags & O_PATH)))
			r = -EBADF;
		else if (!vo && to == S_IFIFO) {
			/* into a pipe: nobody reads it (EPIPE and SIGPIPE), nothing
			 * to move (0), then the input's kind */
			if (pipe_without_readers(out))
				r = -EPIPE;
			else if (copy_len && ti != S_IFREG && ti != S_IFBLK) {
				r = -EINVAL;
			}
		} else if (flo >= 0 && (flo & O_APPEND)) {
			r = -EINVAL;
		} else if (copy_len && ti != S_IFREG && ti != S_IFBLK) {
			r = -EINVAL; /* nothing to move: 0, whatever the input is */
		}
		goto out;
	}
	if (!in_read || !out_write || (vi && (vi->oflags & O_PATH)) ||
	    (vo && (vo->oflags & O_PATH))) {
		r = -EBADF;
		goto out;
	}
	switch (nr) {
	case SYS_copy_file_range:
		if (ti == S_IFDIR || to == S_IFDIR)
			r = -EISDIR;
		else if (ti != S_IFREG || to != S_IFREG)
			r = -EINVAL;
		else if (flo >= 0 && (flo & O_APPEND))
			r = -EBADF;
		else if (!vi || !vo || vi->m != vo->m)
			r = -EXDEV; /* another file system: the kernel copies within one */
		else if (vi->node == vo->node) {
			int64_t a = 0, b = 0;
			size_t n = copy_len;
			struct sy_vfs_attr at;
			/* the offsets given, else the descriptions' positions; what
			 * is copied stops at the end of the file */
			int ok = uin ? sy_copy_in(&a, (void *)uin, 8) == 0 : (a = pos_get(in)) >= 0;
			if (ok)
				ok = uout ? sy_copy_in(&b, (void *)uout, 8) == 0
					  : (b = pos_get(out)) >= 0;
			if (ok && vi->m->be->getattr(vi->m->fs, vi->node, &at) == 0) {
				if (a >= (int64_t)at.size)
					n = 0;
				else if ((uint64_t)a + n > at.size)
					n = at.size - (uint64_t)a;
				if (n && a < b + (int64_t)n && b < a + (int64_t)n)
					r = -EINVAL; /* overlapping ranges of one file */
			}
		}
		break;
	case SYS_splice:
		/* one end a pipe, the other (the virtual file) not */
		if (splice_flags & ~0xfL)
			r = -EINVAL;
		else if ((vi && to != S_IFIFO) || (vo && ti != S_IFIFO))
			r = -EINVAL;
		else if ((vi && uout) || (vo && uin))
			r = -ESPIPE;
		else if (vo && flo >= 0 && (flo & O_APPEND))
			r = -EINVAL;
		break;
	}
out:
	if (vi)
		sy_vfile_put(vi);
	if (vo)
		sy_vfile_put(vo);
	return r;
}

int sy_sys_transfer(struct sy_call *c, long *result)
{
	long *a = c->args;
	int in, out;
	long uin = 0, uout = 0;
	size_t count;
	switch (c->nr) {
	case SYS_sendfile: /* out, in, offset, count */
		out = (int)a[0], in = (int)a[1], uin = a[2], count = (size_t)a[3];
		break;
	case SYS_copy_file_range: /* in, off_in, out, off_out, len, flags */
	case SYS_splice:
		in = (int)a[0], uin = a[1], out = (int)a[2], uout = a[3], count = (size_t)a[4];
		break;
	default: /* tee: pipes only */
		if (sy_vfd_is_virtual((int)a[0]) || sy_vfd_is_virtual((int)a[1])) {
			*result = -EINVAL;
			return SY_ANSWER;
		}
		return SY_PASS;
	}
	if (!sy_vfd_is_virtual(in) && !sy_vfd_is_virtual(out))
		return SY_PASS;
	if (c->nr == SYS_copy_file_range && a[5]) {
		*result = -EINVAL;
		return SY_ANSWER;
	}
	long bad = transfer_check(c->nr, in, uin, out, uout, count, a[5]);
	if (bad) {
		*result = bad;
		return SY_ANSWER;
	}
	if (c->nr == SYS_sendfile && count == 0) { /* checked; nothing to move */
		*result = 0;
		return SY_ANSWER;
	}
	int64_t inoff = 0, outoff = 0;
	if (uin && sy_copy_in(&inoff, (void *)uin, sizeof(inoff)) < 0) {
		*result = -EFAULT;
		return SY_ANSWER;
	}
	if (uout && sy_copy_in(&outoff, (void *)uout, sizeof(outoff)) < 0) {
		*result = -EFAULT;
		return SY_ANSWER;
	}
	if ((uin && inoff < 0) || (uout && outoff < 0)) {
		*result = -EINVAL;
		return SY_ANSWER;
	}
	if (c->nr == SYS_splice && !sy_vfd_is_virtual(out)) {
		/* into a pipe nobody reads: EPIPE and SIGPIPE, as the kernel's
		 * splice gives them before it reads anything */
		struct stat st;
		if (sy_raw2(SYS_fstat, out, &st) == 0 && S_ISFIFO(st.st_mode) &&
		    pipe_without_readers(out)) {
			*result = -EPIPE;
			return SY_ANSWER;
		}
	}
	*result = copy_between(in, uin ? &inoff : NULL, out, uout ? &outoff : NULL, count,
			       c->nr == SYS_sendfile);
	if (*result >= 0) {
		if (uin)
			sy_copy_out((void *)uin, &inoff, sizeof(inoff));
		if (uout)
			sy_copy_out((void *)uout, &outoff, sizeof(outoff));
	}
	return SY_ANSWER;
}

/* ------------------------------------------------------------------ mmap */

/* The backend's own pages mapped over a reserved range, so
 * that stores through the map are what read() returns and the other way
 * round (map_pages, page by page, runs coalesced); or the backend's data fd
 * in one piece. Pages past the end of the file stay anonymous. */
/* An empty memfd: pages mapped from it past its end give SIGBUS, as the
 * pages of a mapping past the end of a file do. */
static int eof_fd(void)
{
	static int fd = -1;
	int f = __atomic_load_n(&fd, __ATOMIC_ACQUIRE);
	if (f >= 0)
		return f;
	long n = sy_raw2(SYS_memfd_create, "switchyard-eof", MFD_CLOEXEC);
	if (n < 0)
		return -1;
	long high = sy_raw3(SYS_fcntl, n, F_DUPFD_CLOEXEC, sy_vfs_fd_floor());
	if (high >= 0) {
		sy_raw1(SYS_close, n);
		n = high;
	}
	sy_vfs_hide_fd((int)n, 1);
	int expected = -1;
	if (!__atomic_compare_exchange_n(&fd, &expected, (int)n, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		sy_vfs_hide_fd((int)n, 0);
		sy_raw1(SYS_close, n);
		return expected;
	}
	return (int)n;
}

static long map_file(struct vfile *v, long addr, size_t len, int prot, int flags, int64_t off,
		     int type)
{
	struct sy_mount *m = v->m;
	if (m->be->data_fd && !m->be->map_pages) {
		int dfd;
		uint64_t doff;
		long r = m->be->data_fd(m->fs, v->node, &dfd, &doff);
		if (r < 0)
			return r == -EOPNOTSUPP ? -ENODEV : r;
		if (type == MAP_SHARED && !can_write(v)) {
			/* a read-only description: mprotect may not add PROT_WRITE */
			char p[48];
			snprintf(p, sizeof(p), "/proc/self/fd/%d", dfd);
			long ro = sy_raw4(SYS_openat, AT_FDCWD, p, O_RDONLY | O_CLOEXEC, 0);
			if (ro >= 0) {
				sy_raw1(SYS_close, dfd);
				dfd = (int)ro;
			}
		}
		r = sy_raw6(SYS_mmap, addr, len, prot, flags | type, dfd,
			    (long)(doff + (uint64_t)off));
		sy_raw1(SYS_close, dfd);
		return r;
	}
	if (!m->be->map_pages)
		return -ENODEV;
	long base = sy_raw6(SYS_mmap, addr, len, prot,
			    (flags & ~MAP_TYPE) | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base < 0 && base > -4096)
		return base;
	size_t npages = (len + 4095) / 4096;
	uint64_t offs[256];
	int rofd = -1; /* a read-only description: mprotect may not add PROT_WRITE */
	for (size_t at = 0; at < npages;) {
		size_t n = npages - at < 256 ? npages - at : 256;
		int fd;
		long r = m->be->map_pages(m->fs, v->node, (uint64_t)off / 4096 + at, n, &fd, offs);
		if (r < 0) {
			sy_raw2(SYS_munmap, base, len);
			if (rofd >= 0)
				sy_raw1(SYS_close, rofd);
			return r;
		}
		for (size_t i = 0; i < n;) {
			size_t run = 1;
			if (!offs[i]) { /* past the end */
				while (i + run < n && !offs[i + run])
					run++;
				int e = eof_fd();
				if (e >= 0)
					sy_raw6(SYS_mmap, base + (long)((at + i) * 4096),
						run * 4096, prot, MAP_SHARED | MAP_FIXED, e, 0);
				i += run;
				continue;
			}
			while (i + run < n && offs[i + run] == offs[i] + run * 4096)
				run++;
			if (type == MAP_SHARED && !can_write(v) && rofd < 0) {
				char p[48];
				snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
				rofd =
				    (int)sy_raw4(SYS_openat, AT_FDCWD, p, O_RDONLY | O_CLOEXEC, 0);
			}
			long p = sy_raw6(SYS_mmap, base + (long)((at + i) * 4096), run * 4096, prot,
					 type | MAP_FIXED, rofd >= 0 ? rofd : fd, (long)offs[i]);
			if (p < 0 && p > -4096) {
				sy_raw2(SYS_munmap, base, len);
				if (rofd >= 0)
					sy_raw1(SYS_close, rofd);
				return p;
			}
			i += run;
		}
		at += n;
	}
	if (rofd >= 0)
		sy_raw1(SYS_close, rofd);
	return base;
}

/* mmap of a virtual file: MAP_SHARED through the backend's pages,
 * MAP_PRIVATE as a private copy of the file's bytes. */
int sy_sys_mmap(struct sy_call *c, long *result)
{
	long *a = c->args;
	int fd = (int)a[4];
	if ((a[3] & MAP_ANONYMOUS) || !sy_vfd_is_virtual(fd))
		return SY_PASS;
	struct vfile *v = sy_vfd_get(fd);
	if (!v)
		return SY_PASS;
	size_t len = (size_t)a[1];
	int prot = (int)a[2], flags = (int)a[3];
	int64_t off = a[5];
	long r;
	int type = flags & MAP_TYPE;
	if (!len || (off & 4095) || off < 0 ||
	    (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)) {
		r = -EINVAL;
		goto out;
	}
	if (type == MAP_SHARED_VALIDATE && (flags & MAP_SYNC)) {
		r = -EOPNOTSUPP; /* no DAX here, as on tmpfs */
		goto out;
	}
	if (v->oflags & O_PATH) {
		r = -EBADF;
		goto out;
	}
	if (!v->node) {
		r = -ESTALE;
		goto out;
	}
	if (v->type != S_IFREG) {
		r = -ENODEV;
		goto out;
	}
	if (!can_read(v)) {
		r = -EACCES;
		goto out;
	}
	if (type == MAP_SHARED || type == MAP_SHARED_VALIDATE) {
		if ((prot & PROT_WRITE) && !can_write(v)) {
			r = -EACCES;
			goto out;
		}
		r = map_file(v, a[0], len, prot,
			     flags & ~(MAP_TYPE | MAP_DENYWRITE | MAP_EXECUTABLE), off, MAP_SHARED);
		if (r == -ENODEV)
			sy_vfs_count_refused();
		goto scan;
	}
	if (v->m->be->map_pages || v->m->be->data_fd) {
		/* private: the file's pages, copied on write */
		r = map_file(v, a[0], len, prot,
			     flags & ~(MAP_TYPE | MAP_DENYWRITE | MAP_EXECUTABLE), off,
			     MAP_PRIVATE);
		if (r != -ENODEV)
			goto scan;
	}
	r = sy_raw6(SYS_mmap, a[0], len, PROT_READ | PROT_WRITE,
		    (flags & ~(MAP_TYPE | MAP_DENYWRITE | MAP_EXECUTABLE)) | MAP_PRIVATE |
			MAP_ANONYMOUS,
		    -1, 0);
	if (r < 0 && r > -4096)
		goto out;
	char *p = (char *)r;
	struct sy_vfs_attr at;
	if (v->m->be->getattr(v->m->fs, v->node, &at) == 0 && at.size > (uint64_t)off) {
		size_t want = at.size - (uint64_t)off < len ? at.size - (uint64_t)off : len;
		size_t done = 0;
		while (done < want) {
			long n = v->m->be->read(v->m->fs, v->node, p + done, want - done,
						(uint64_t)off + done);
			if (n <= 0)
				break;
			done += (size_t)n;
		}
	}
	if (prot != (PROT_READ | PROT_WRITE))
		sy_raw3(SYS_mprotect, p, len, prot);
scan:
	if (r >= 0 || r < -4095) {
		struct sy_call k = *c;
		sy_scan_new_mapping(&k, r);
	}
out:
	sy_vfile_put(v);
	*result = r;
	return SY_ANSWER;
}
