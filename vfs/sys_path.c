/*
 * Served system calls that name a path: stat and access, the directory
 * operations, attributes and times, the cwd, and execve of a program stored
 * on a mount. Each resolves its path with sy_walk; a path that never enters
 * a mount goes to the kernel as the program gave it, and one that passed
 * through a mount and left it goes to the kernel as the walk resolved it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <utime.h>

#include "layer.h"
#include "sy.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4
#endif

long sy_statfs_out(struct sy_mount *m, long ubuf);

/* Copies a path argument in: 0, or -EFAULT / -ENAMETOOLONG / -ENOENT. */
static int get_path(long uptr, char *buf, int empty_ok)
{
	long n = sy_copy_path_in(buf, (const char *)uptr, PATH_MAX);
	if (n < 0)
		return (int)n;
	if (n == 0 && !empty_ok)
		return -ENOENT;
	return 0;
}

/* Copies path argument `uptr` into buf, or answers the call with the
 * error (EFAULT, ENAMETOOLONG, ENOENT for "") as the kernel would. */
#define GET_PATH(uptr, buf, empty_ok)                                                              \
	do {                                                                                       \
		int gp_r = get_path((uptr), (buf), (empty_ok));                                    \
		if (gp_r < 0) {                                                                    \
			*result = gp_r;                                                            \
			return SY_ANSWER;                                                          \
		}                                                                                  \
	} while (0)

/* ---------------------------------------------------------- attributes */

long sy_vfs_chmod(struct sy_mount *m, struct sy_vfs_node *node, uint32_t mode)
{
	struct sy_vfs_attr a;
	long r = m->be->getattr(m->fs, node, &a);
	if (r < 0)
		return r;
	struct sy_vfs_cred cred;
	sy_cred(&cred);
	if (cred.uid != 0 && cred.uid != a.uid)
		return -EPERM;
	if (m->readonly)
		return -EROFS;
	mode &= 07777;
	/* the kernel drops S_ISGID for a caller outside the file's group */
	if (cred.uid != 0 && (mode & S_ISGID)) {
		gid_t groups[256];
		long n = sy_raw2(SYS_getgroups, 256, groups);
		int in = cred.gid == a.gid;
		for (long i = 0; i < n && !in; i++)
			in = groups[i] == a.gid;
		if (!in)
			mode &= ~(uint32_t)S_ISGID;
	}
	struct sy_vfs_attr t = {.mode = (a.mode & S_IFMT) | mode};
	return m->be->setattr(m->fs, node, &t, SY_VFS_SET_MODE, &cred);
}

long sy_vfs_chown(struct sy_mount *m, struct sy_vfs_node *node, uint32_t uid, uint32_t gid)
{
	struct sy_vfs_attr a;
	long r = m->be->getattr(m->fs, node, &a);
	if (r < 0)
		return r;
	struct sy_vfs_cred cred;
	sy_cred(&cred);
	unsigned mask = 0;
	struct sy_vfs_attr t = {0};
	if (uid != (uint32_t)-1) {
		if (cred.uid != 0 && uid != a.uid)
			return -EPERM;
		t.uid = uid;
		mask |= SY_VFS_SET_UID;
	}
	if (gid != (uint32_t)-1) {
		if (cred.uid != 0) {
			gid_t groups[256];
			long n = sy_raw2(SYS_getgroups, 256, groups);
			int in = cred.gid == gid;
			for (long i = 0; i < n && !in; i++)
				in = groups[i] == gid;
			if (cred.uid != a.uid || !in)
				return -EPERM;
		}
		t.gid = gid;
		mask |= SY_VFS_SET_GID;
	}
	if (m->readonly)
		return -EROFS;
	if (!mask && !S_ISDIR(a.mode)) {
		/* chown(-1, -1) of a non-directory still drops set-user-ID
		 * (and set-group-ID with group execute), as the kernel does */
		t.uid = a.uid;
		mask = SY_VFS_SET_UID;
	}
	return m->be->setattr(m->fs, node, &t, mask, &cred);
}

/* times: NULL for now; else [atime, mtime] with UTIME_NOW / UTIME_OMIT. */
static long set_times(struct sy_mount *m, struct sy_vfs_node *node, const struct timespec *ts)
{
	struct sy_vfs_attr a;
	long r = m->be->getattr(m->fs, node, &a);
	if (r < 0)
		return r;
	struct sy_vfs_cred cred;
	sy_cred(&cred);
	unsigned mask = 0;
	struct sy_vfs_attr t = {0};
	int now_only = !ts || (ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW);
	if (ts) {
		for (int i = 0; i < 2; i++)
			if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT &&
			    (ts[i].tv_nsec < 0 || ts[i].tv_nsec > 999999999))
				return -EINVAL;
		if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
			return 0;
	}
	if (cred.uid != 0 && cred.uid != a.uid) {
		if (!now_only)
			return -EPERM;
		if (sy_may(&a, W_OK) < 0)
			return -EACCES;
	}
	if (m->readonly)
		return -EROFS;
	if (!ts || ts[0].tv_nsec == UTIME_NOW)
		mask |= SY_VFS_SET_ATIME_NOW;
	else if (ts[0].tv_nsec != UTIME_OMIT) {
		mask |= SY_VFS_SET_ATIME;
		t.atime = ts[0];
	}
	if (!ts || ts[1].tv_nsec == UTIME_NOW)
		mask |= SY_VFS_SET_MTIME_NOW;
	else if (ts[1].tv_nsec != UTIME_OMIT) {
		mask |= SY_VFS_SET_MTIME;
		t.mtime = ts[1];
	}
	return m->be->setattr(m->fs, node, &t, mask, &cred);
}

static long stat_out(const struct loc *at, long ubuf)
{
	struct sy_vfs_attr a;
	long r = at->m->be->getattr(at->m->fs, at->node, &a);
	if (r < 0)
		return r;
	struct stat st;
	sy_attr_to_stat(at->m, &a, &st);
	return sy_copy_out((void *)ubuf, &st, sizeof(st));
}

static long statx_out(const struct loc *at, unsigned mask, long ubuf)
{
	struct sy_vfs_attr a;
	long r = at->m->be->getattr(at->m->fs, at->node, &a);
	if (r < 0)
		return r;
	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	/* what Linux 6.x gives for tmpfs: the basic stats (mtime and ctime
	 * only when asked for, as with multigrain times), the rest if asked */
	sx.stx_mask = STATX_BASIC_STATS;
	if (!(mask & (STATX_MTIME | STATX_CTIME)))
		sx.stx_mask &= ~(unsigned)(STATX_MTIME | STATX_CTIME);
	if ((mask & STATX_BTIME) && (a.btime.tv_sec || a.btime.tv_nsec))
		sx.stx_mask |= STATX_BTIME;
	sx.stx_mask |= mask & (STATX_MNT_ID | 0x4000 /* STATX_MNT_ID_UNIQUE */);
	sx.stx_blksize = a.blksize;
	sx.stx_attributes_mask = STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE | STATX_ATTR_NODUMP |
				 0x1000 /* AUTOMOUNT */ | 0x2000 /* MOUNT_ROOT */ |
				 0x200000 /* DAX */;
	if (at->node == at->m->root)
		sx.stx_attributes |= 0x2000; /* STATX_ATTR_MOUNT_ROOT */
	sx.stx_nlink = a.nlink;
	sx.stx_uid = a.uid;
	sx.stx_gid = a.gid;
	sx.stx_mode = (uint16_t)a.mode;
	sx.stx_ino = a.ino;
	sx.stx_size = a.size;
	sx.stx_blocks = a.blocks;
#define TS(f, s) (sx.f.tv_sec = (s).tv_sec, sx.f.tv_nsec = (uint32_t)(s).tv_nsec)
	TS(stx_atime, a.atime);
	TS(stx_mtime, a.mtime);
	TS(stx_ctime, a.ctime);
	TS(stx_btime, a.btime);
#undef TS
	sx.stx_rdev_major = major(a.rdev);
	sx.stx_rdev_minor = minor(a.rdev);
	sx.stx_dev_major = major(at->m->dev);
	sx.stx_dev_minor = minor(at->m->dev);
	sx.stx_mnt_id = 0x1000 + (uint64_t)at->m->index;
	return sy_copy_out((void *)ubuf, &sx, sizeof(sx));
}

/* ------------------------------------------------------------- helpers */

/* The result of a walk as the caller wants it: SY_PASS for "the kernel, as
 * it is", SY_ANSWER with an error, or 0 to go on. */
static int walked(int r, long *result)
{
	if (r == 1)
		return SY_PASS;
	if (r < 0) {
		*result = r;
		return SY_ANSWER;
	}
	return -1;
}

/* Appends last to the kernel-side path of a parent location. */
static void join(struct loc *at, const char *last)
{
	size_t l = strlen(at->path);
	snprintf(at->path + l, sizeof(at->path) - l, "%s%s", l > 1 ? "/" : "", last);
}

static int is_dots(const char *last)
{
	return !last[0] || strcmp(last, ".") == 0 || strcmp(last, "..") == 0;
}

/* May the caller change entries of directory dir (write and search), and
 * remove `victim` from it (the sticky bit)? */
static long may_change(struct sy_mount *m, struct sy_vfs_node *dir, struct sy_vfs_node *victim)
{
	struct sy_vfs_attr d;
	long r = m->be->getattr(m->fs, dir, &d);
	if (r < 0)
		return r;
	r = sy_may(&d, W_OK | X_OK);
	if (r < 0)
		return r;
	if (victim && (d.mode & S_ISVTX)) {
		struct sy_vfs_attr v;
		uint32_t uid = sy_fsuid();
		if (m->be->getattr(m->fs, victim, &v) == 0 && uid != 0 && uid != v.uid &&
		    uid != d.uid)
			return -EPERM;
	}
	return m->readonly ? -EROFS : 0;
}

/* A kernel-side call with a path of the walk's making. */
static long kpath1(long nr, const char *path, long a2, long a3)
{
	switch (nr) {
	case SYS_mkdirat:
		return sy_raw3(SYS_mkdirat, AT_FDCWD, path, a2);
	case SYS_mknodat:
		return sy_raw4(SYS_mknodat, AT_FDCWD, path, a2, a3);
	case SYS_unlinkat:
		return sy_raw3(SYS_unlinkat, AT_FDCWD, path, a2);
	case SYS_symlinkat:
		return sy_raw3(SYS_symlinkat, (long)a2, AT_FDCWD, path);
	}
	return -ENOSYS;
}

/* ------------------------------------------------- the calls themselves */

static int do_stat(long nr, int dirfd, const char *path, int flags, long ubuf, unsigned mask,
		   long *result)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) {
		*result = -EINVAL;
		return SY_ANSWER;
	}
	struct loc at;
	if (!path[0] && (flags & AT_EMPTY_PATH)) {
		struct vfile *v = sy_vfd_get(dirfd);
		if (!v && dirfd == AT_FDCWD && sy_cwd.m) {
			sy_cwd_get(&at);
		} else if (!v) {
			return SY_PASS;
		} else {
			int r = sy_loc_of_vfile(v, &at);
			sy_vfile_put(v);
			if (r < 0) {
				*result = r;
				return SY_ANSWER;
			}
		}
	} else {
		if (!path[0]) {
			*result = -ENOENT;
			return SY_ANSWER;
		}
		int r = sy_walk(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW, &at,
				NULL, NULL);
		if (walked(r, result) >= 0)
			return walked(r, result);
		if (!at.m) {
			*result = nr == SYS_statx
				      ? sy_raw5(SYS_statx, AT_FDCWD, at.path, flags, mask, ubuf)
				      : sy_raw4(SYS_newfstatat, AT_FDCWD, at.path, ubuf, flags);
			return SY_ANSWER;
		}
	}
	*result = nr == SYS_statx ? statx_out(&at, mask, ubuf) : stat_out(&at, ubuf);
	sy_loc_drop(&at);
	return SY_ANSWER;
}

/* The node of dirfd for an empty path with AT_EMPTY_PATH (AT_FDCWD: the
 * virtual cwd). */
static int empty_path_loc(int dirfd, struct loc *at)
{
	if (dirfd == AT_FDCWD) {
		sy_cwd_get(at);
		return 0;
	}
	struct vfile *v = sy_vfd_get(dirfd);
	if (!v)
		return -EBADF;
	int r = sy_loc_of_vfile(v, at);
	sy_vfile_put(v);
	return r;
}

static int do_access(int dirfd, const char *path, int mode, int flags, long *result)
{
	if (mode & ~(R_OK | W_OK | X_OK) ||
	    (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))) {
		*result = -EINVAL;
		return SY_ANSWER;
	}
	struct loc at;
	int r;
	if (!path[0]) { /* AT_EMPTY_PATH: the fd itself */
		r = empty_path_loc(dirfd, &at);
		if (r < 0) {
			*result = r;
			return SY_ANSWER;
		}
	} else {
		r = sy_walk(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW, &at, NULL,
			    NULL);
		if (walked(r, result) >= 0)
			return walked(r, result);
	}
	if (!at.m) {
		*result = sy_raw4(SYS_faccessat2, AT_FDCWD, at.path, mode, flags);
		return SY_ANSWER;
	}
	struct sy_vfs_attr a;
	r = at.m->be->getattr(at.m->fs, at.node, &a);
	if (r == 0 && mode) {
		/* access() asks for the real ids unless AT_EACCESS: the cached
		 * credentials stand for them meanwhile */
		struct sy_thread *t = sy_thread_self();
		if (!(flags & AT_EACCESS)) {
			t->vfs_uid = (uint32_t)sy_raw0(SYS_getuid);
			t->vfs_gid = (uint32_t)sy_raw0(SYS_getgid);
			t->cred_valid = 1;
		}
		r = sy_may(&a, mode);
		if (!(flags & AT_EACCESS))
			t->cred_valid = 0;
		if (r == 0 && (mode & W_OK) && at.m->readonly)
			r = -EROFS;
	}
	sy_loc_drop(&at);
	*result = r;
	return SY_ANSWER;
}

static int do_mknod(long nr, int dirfd, const char *path, uint32_t mode, uint64_t dev, long *result)
{
	struct loc at;
	char last[258];
	int wf;
	int r = sy_walk(dirfd, path, WALK_PARENT | WALK_FOLLOW, &at, last, &wf);
	if (walked(r, result) >= 0)
		return walked(r, result);
	if (!at.m) {
		join(&at, last);
		if (sy_vfs_mount_at(at.path, strlen(at.path)))
			*result = -EEXIST;
		else
			*result = kpath1(nr == SYS_mkdirat ? SYS_mkdirat : SYS_mknodat, at.path,
					 mode, (long)dev);
		return SY_ANSWER;
	}
	if (is_dots(last)) {
		sy_loc_drop(&at);
		*result = -EEXIST;
		return SY_ANSWER;
	}
	if (nr != SYS_mkdirat && (wf & WALK_DIR)) {
		sy_loc_drop(&at);
		*result = -ENOENT; /* mknod("x/") */
		return SY_ANSWER;
	}
	struct sy_mount *m = at.m;
	struct sy_vfs_node *exist;
	r = m->be->lookup(m->fs, at.node, last, &exist);
	if (r == 0) {
		m->be->release(m->fs, exist);
		r = -EEXIST;
	} else if (r == -ENOENT) {
		r = (int)may_change(m, at.node, NULL);
	}
	struct sy_vfs_cred cred;
	if (r == 0 && nr == SYS_mkdirat) {
		r = m->be->mkdir(m->fs, at.node, last, mode & (0777 | S_ISVTX) & ~sy_umask(),
				 sy_cred(&cred), NULL);
	} else if (r == 0) {
		uint32_t type = mode & S_IFMT;
		if (!type)
			type = S_IFREG;
		if (type == S_IFDIR || (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK &&
					type != S_IFCHR && type != S_IFBLK))
			r = -EINVAL;
		else if ((type == S_IFCHR || type == S_IFBLK) && sy_cred(&cred)->uid != 0)
			r = -EPERM;
		else
			r = m->be->create(m->fs, at.node, last, type | (mode & 07777 & ~sy_umask()),
					  dev, sy_cred(&cred), NULL);
	}
	sy_loc_drop(&at);
	*result = r;
	return SY_ANSWER;
}

static int do_unlink(int dirfd, const char *path, int flags, long *result)
{
	if (flags & ~AT_REMOVEDIR) {
		*result = -EINVAL;
		return SY_ANSWER;
	}
	int rmdir = flags & AT_REMOVEDIR;
	struct loc at;
	char last[258];
	int wf;
	int r = sy_walk(dirfd, path, WALK_PARENT | WALK_FOLLOW, &at, last, &wf);
	if (walked(r, result) >= 0)
		return walked(r, result);
	if (!at.m) {
		join(&at, last);
		if (sy_vfs_mount_at(at.path, strlen(at.path)))
			*result = rmdir ? -EBUSY : -EISDIR;
		else
			*result = kpath1(SYS_unlinkat, at.path, flags, 0);
		return SY_ANSWER;
	}
	struct sy_mount *m = at.m;
	if (is_dots(last)) {
		sy_loc_drop(&at);
		if (!rmdir)
			*result = -EISDIR;
		else
			*result = !last[0] ? -EBUSY : strcmp(last, ".") == 0 ? -EINVAL : -ENOTEMPTY;
		return SY_ANSWER;
	}
	struct sy_vfs_node *victim;
	r = m->be->lookup(m->fs, at.node, last, &victim);
	if (r == 0) {
		struct sy_vfs_attr va;
		r = m->be->getattr(m->fs, victim, &va);
		if (r == 0 && !rmdir && (wf & WALK_DIR))
			r = S_ISDIR(va.mode) ? -EISDIR : -ENOTDIR;
		if (r == 0 && rmdir && !S_ISDIR(va.mode))
			r = -ENOTDIR;
		if (r == 0)
			r = (int)may_change(m, at.node, victim);
		if (r == 0 && victim == m->root)
			r = -EBUSY;
		m->be->release(m->fs, victim);
	}
	if (r == 0)
		r = rmdir ? m->be->rmdir(m->fs, at.node, last)
			  : m->be->unlink(m->fs, at.node, last);
	sy_loc_drop(&at);
	*result = r;
	return SY_ANSWER;
}

/* A kernel-side parent directory of a rename or link must exist and be
 * one: its error comes before EXDEV. */
static int host_dir_check(const struct loc *l)
{
	if (!l)
		return 0;
	struct stat st;
	long r = sy_raw2(SYS_stat, l->path, &st);
	if (r < 0)
		return (int)r;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Is node `anc` the directory dir or one of its ancestors? */
static int is_ancestor(struct sy_mount *m, struct sy_vfs_node *anc, struct sy_vfs_node *dir)
{
	uint64_t want = m->be->node_id(m->fs, anc);
	struct sy_vfs_node *cur = dir;
	m->be->hold(m->fs, cur);
	for (int i = 0; i < 4096; i++) {
		if (m->be->node_id(m->fs, cur) == want) {
			m->be->release(m->fs, cur);
			return 1;
		}
		if (cur == m->root || m->be->node_id(m->fs, cur) == m->be->node_id(m->fs, m->root))
			break;
		struct sy_vfs_node *up;
		if (m->be->parent(m->fs, cur, &up) < 0)
			break;
		m->be->release(m->fs, cur);
		cur = up;
	}
	m->be->release(m->fs, cur);
	return 0;
}

static int do_rename(int olddir, const char *oldpath, int newdir, const char *newpath,
		     unsigned flags, long *result)
{
	if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) ||
	    ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) ||
	    ((flags & RENAME_WHITEOUT) && (flags & RENAME_EXCHANGE))) {
		*result = -EINVAL;
		return SY_ANSWER;
	}
	struct loc a, b;
	char la[258], lb[258];
	int wa, wb;
	int ra = sy_walk(olddir, oldpath, WALK_PARENT | WALK_FOLLOW, &a, la, &wa);
	if (ra < 0) {
		*result = ra;
		return SY_ANSWER;
	}
	int rb = sy_walk(newdir, newpath, WALK_PARENT | WALK_FOLLOW, &b, lb, &wb);
	if (rb < 0) {
		if (ra == 0)
			sy_loc_drop(&a);
		*result = rb;
		return SY_ANSWER;
	}
	if (ra == 1 && rb == 1)
		return SY_PASS;
	long r;
	if (!a.m && !b.m) { /* both on the kernel's side after all */
		join(&a, la);
		join(&b, lb);
		if (sy_vfs_mount_at(a.path, strlen(a.path)) ||
		    sy_vfs_mount_at(b.path, strlen(b.path)))
			r = -EBUSY;
		else
			r = sy_raw5(SYS_renameat2, AT_FDCWD, a.path, AT_FDCWD, b.path, flags);
		*result = r;
		return SY_ANSWER;
	}
	struct sy_mount *m = a.m;
	if (a.m != b.m) {
		/* the kernel finds both parents before it compares mounts */
		r = host_dir_check(!a.m ? &a : !b.m ? &b : NULL);
		if (r == 0)
			r = -EXDEV;
		goto out;
	}
	if (is_dots(la) || is_dots(lb)) {
		r = !is_dots(la) && (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
		goto out;
	}
	if ((flags & RENAME_WHITEOUT) && sy_fsuid() != 0) {
		r = -EPERM; /* it makes a device node: CAP_MKNOD */
		goto out;
	}
	struct sy_vfs_node *src, *dst = NULL;
	r = m->be->lookup(m->fs, a.node, la, &src);
	if (r < 0)
		goto out;
	struct sy_vfs_attr sa, da;
	r = m->be->getattr(m->fs, src, &sa);
	if (r == 0) {
		int lr = m->be->lookup(m->fs, b.node, lb, &dst);
		if (lr < 0 && lr != -ENOENT)
			r = lr;
		if (lr == -ENOENT) {
			dst = NULL;
			if (flags & RENAME_EXCHANGE)
				r = -ENOENT;
		}
	}
	/* the kernel's order: an existing target with NOREPLACE, trailing '/'
	 * on a non-directory, a directory into itself (EINVAL) or a target
	 * above the source (ENOTEMPTY), the same file twice, permissions, the
	 * kinds of file */
	if (r == 0 && dst && m->be->getattr(m->fs, dst, &da) < 0)
		r = -ENOENT;
	if (r == 0 && dst && (flags & RENAME_NOREPLACE))
		r = -EEXIST;
	if (r == 0 && (flags & RENAME_EXCHANGE) && dst && !S_ISDIR(da.mode) && (wb & WALK_DIR))
		r = -ENOTDIR;
	if (r == 0 && !S_ISDIR(sa.mode) &&
	    ((wa & WALK_DIR) || (!(flags & RENAME_EXCHANGE) && (wb & WALK_DIR))))
		r = -ENOTDIR;
	if (r == 0 && S_ISDIR(sa.mode) && is_ancestor(m, src, b.node))
		r = -EINVAL;
	if (r == 0 && dst && S_ISDIR(da.mode) && is_ancestor(m, dst, a.node))
		r = (flags & RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
	if (r == 0 && dst && !(flags & RENAME_EXCHANGE) &&
	    m->be->node_id(m->fs, dst) == m->be->node_id(m->fs, src)) {
		/* the same file under two names: nothing happens */
		m->be->release(m->fs, dst);
		m->be->release(m->fs, src);
		*result = 0;
		goto done;
	}
	if (r == 0)
		r = (int)may_change(m, a.node, src);
	if (r == 0)
		r = (int)may_change(m, b.node, dst);
	if (r == 0 && dst && !(flags & RENAME_EXCHANGE)) {
		if (S_ISDIR(sa.mode) && !S_ISDIR(da.mode))
			r = -ENOTDIR;
		else if (!S_ISDIR(sa.mode) && S_ISDIR(da.mode))
			r = -EISDIR;
	}
	if (r == 0 && (src == m->root || (dst && dst == m->root)))
		r = -EBUSY;
	m->be->release(m->fs, src);
	if (dst)
		m->be->release(m->fs, dst);
	if (r == 0)
		r = m->be->rename(m->fs, a.node, la, b.node, lb, flags & ~RENAME_WHITEOUT);
	if (r == 0 && (flags & RENAME_WHITEOUT)) { /* a 0:0 character device where it was */
		struct sy_vfs_cred cred;
		m->be->create(m->fs, a.node, la, S_IFCHR, 0, sy_cred(&cred), NULL);
	}
out:
	*result = r;
done:
	if (ra == 0)
		sy_loc_drop(&a);
	if (rb == 0)
		sy_loc_drop(&b);
	return SY_ANSWER;
}

static int do_link(int olddir, const char *oldpath, int newdir, const char *newpath, int flags,
		   long *result)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) {
		*result = -EINVAL;
		return SY_ANSWER;
	}
	struct loc a, b;
	char lb[258];
	int wb;
	int ra, linkable = 0;
	if (!oldpath[0] && (flags & AT_EMPTY_PATH)) {
		struct vfile *v = sy_vfd_get(olddir);
		if (!v && sy_raw2(SYS_fcntl, olddir, F_GETFD) < 0) {
			*result = -EBADF;
			return SY_ANSWER;
		}
		if (!v) {
			/* a kernel file named in a mount: the new name's errors
			 * first (EEXIST...), then EXDEV */
			struct loc nb;
			char ln[258];
			int wn;
			int rn = sy_walk(newdir, newpath, WALK_PARENT | WALK_FOLLOW, &nb, ln, &wn);
			if (rn == 1)
				return SY_PASS;
			if (rn < 0) {
				*result = rn;
				return SY_ANSWER;
			}
			if (!nb.m) {
				sy_loc_drop(&nb);
				return SY_PASS;
			}
			struct sy_vfs_node *ex;
			int lr = is_dots(ln) ? 0 : nb.m->be->lookup(nb.m->fs, nb.node, ln, &ex);
			if (is_dots(ln)) /* "." and "..": names that exist */
				ex = NULL;
			if (lr == 0 && ex)
				nb.m->be->release(nb.m->fs, ex);
			sy_loc_drop(&nb);
			*result = lr == 0 ? -EEXIST : lr != -ENOENT ? lr : -EXDEV;
			return SY_ANSWER;
		}
		/* an O_TMPFILE file without O_EXCL may be given a name */
		linkable = (v->oflags & 020000000) && !(v->oflags & O_EXCL);
		ra = sy_loc_of_vfile(v, &a);
		sy_vfile_put(v);
		if (ra < 0) {
			*result = ra;
			return SY_ANSWER;
		}
	} else {
		ra = sy_walk(olddir, oldpath, (flags & AT_SYMLINK_FOLLOW) ? WALK_FOLLOW : 0, &a,
			     NULL, NULL);
		if (ra < 0) {
			*result = ra;
			return SY_ANSWER;
		}
	}
	int rb = sy_walk(newdir, newpath, WALK_PARENT | WALK_FOLLOW, &b, lb, &wb);
	if (rb < 0) {
		if (ra == 0)
			sy_loc_drop(&a);
		*result = rb;
		return SY_ANSWER;
	}
	if (ra == 1 && rb == 1)
		return SY_PASS;
	long r;
	if (!a.m && !b.m) {
		join(&b, lb);
		r = sy_raw5(SYS_linkat, AT_FDCWD, a.path, AT_FDCWD, b.path,
			    flags & AT_SYMLINK_FOLLOW);
		goto out;
	}
	if (a.m != b.m) {
		r = host_dir_check(!b.m ? &b : NULL);
		if (r == 0)
			r = -EXDEV;
		goto out;
	}
	struct sy_mount *m = a.m;
	struct sy_vfs_attr sa;
	r = m->be->getattr(m->fs, a.node, &sa);
	/* the kernel makes the new name's dentry (EEXIST) before it looks at
	 * the old one */
	if (r == 0 && is_dots(lb))
		r = -EEXIST;
	if (r == 0) {
		struct sy_vfs_node *exist;
		int lr = m->be->lookup(m->fs, b.node, lb, &exist);
		if (lr == 0) {
			m->be->release(m->fs, exist);
			r = -EEXIST;
		} else if (lr != -ENOENT) {
			r = lr; /* ENAMETOOLONG, ENOTDIR... */
		}
	}
	if (r == 0 && (wb & WALK_DIR))
		r = -ENOENT; /* a new name with a trailing '/' */
	if (r == 0 && S_ISDIR(sa.mode))
		r = -EPERM;
	if (r == 0 && sa.nlink == 0 && !linkable)
		r = -ENOENT;
	if (r == 0) {
		/* fs.protected_hardlinks: only the owner (or a caller who may
		 * read and write a plain file) links another's file */
		uint32_t uid = sy_fsuid();
		if (uid != 0 && uid != sa.uid &&
		    (!S_ISREG(sa.mode) || (sa.mode & S_ISUID) ||
		     ((sa.mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) ||
		     sy_may(&sa, R_OK | W_OK) < 0))
			r = -EPERM;
	}
	if (r == 0 && is_dots(lb))
		r = -EEXIST;
	if (r == 0 && (wb & WALK_DIR))
		r = -ENOENT;
	if (r == 0) {
		struct sy_vfs_node *exist;
		if (m->be->lookup(m->fs, b.node, lb, &exist) == 0) {
			m->be->release(m->fs, exist);
			r = -EEXIST;
		}
	}
	if (r == 0)
		r = may_change(m, b.node, NULL);
	if (r == 0)
		r = m->be->link(m->fs, a.node, b.node, lb);
out:
	if (ra == 0)
		sy_loc_drop(&a);
	if (rb == 0)
		sy_loc_drop(&b);
	*result = r;
	return SY_ANSWER;
}

static int do_symlink(const char *target, int newdir, const char *newpath, long *result)
{
	struct loc b;
	char lb[258];
	int wb;
	int r = sy_walk(newdir, newpath, WALK_PARENT | WALK_FOLLOW, &b, lb, &wb);
	if (walked(r, result) >= 0)
		return walked(r, result);
	if (!b.m) {
		join(&b, lb);
		*result = sy_vfs_mount_at(b.path, strlen(b.path))
			      ? -EEXIST
			      : sy_raw3(SYS_symlinkat, target, AT_FDCWD, b.path);
		return SY_ANSWER;
	}
	struct sy_mount *m = b.m;
	struct sy_vfs_node *exist;
	if (is_dots(lb))
		r = -EEXIST;
	else if (m->be->lookup(m->fs, b.node, lb, &exist) == 0) {
		m->be->release(m->fs, exist);
		r = -EEXIST;
	} else if (wb & WALK_DIR)
		r = -ENOENT;
	if (r == 0)
		r = (int)may_change(m, b.node, NULL);
	struct sy_vfs_cred cred;
	if (r == 0)
		r = m->be->symlink(m->fs, b.node, lb, target, sy_cred(&cred), NULL);
	sy_loc_drop(&b);
	*result = r;
	return SY_ANSWER;
}

static int do_readlink(int dirfd, const char *path, long ubuf, long size, long *result)
{
	struct loc at;
	if (!path[0]) {
		struct vfile *v = sy_vfd_get(dirfd);
		if (!v)
			return SY_PASS;
		int lnk = v->type == S_IFLNK && v->node;
		at.m = v->m;
		at.node = v->node;
		if (lnk)
			at.m->be->hold(at.m->fs, at.node);
		sy_vfile_put(v);
		if (!lnk) {
			*result = -ENOENT;
			return SY_ANSWER;
		}
	} else {
		const char *rest;
		int mfd = path[0] == '/' ? sy_magic_fd(path, &rest) : -1;
		if (mfd == SY_MAGIC_CWD && !*rest && sy_cwd.m) {
			char cwd[PATH_MAX];
			struct loc c;
			sy_cwd_get(&c);
			long r = c.m ? sy_node_path(c.m, c.node, c.path, cwd) : -ENOENT;
			sy_loc_drop(&c);
			if (r == 0 && size <= 0)
				r = -EINVAL;
			if (r == 0) {
				r = (long)strlen(cwd);
				if (r > size)
					r = size;
				if (sy_copy_out((void *)ubuf, cwd, (size_t)r) < 0)
					r = -EFAULT;
			}
			*result = r;
			return SY_ANSWER;
		}
		struct vfile *v = mfd >= 0 && !*rest ? sy_vfd_get(mfd) : NULL;
		if (v) { /* /proc/self/fd/N of a virtual fd: the path it was opened by */
			long n = (long)strlen(v->path);
			sy_vfile_put(v);
			if (size <= 0)
				*result = -EINVAL;
			else {
				if (n > size)
					n = size;
				*result =
				    sy_copy_out((void *)ubuf, v->path, (size_t)n) < 0 ? -EFAULT : n;
			}
			return SY_ANSWER;
		}
		int r = sy_walk(dirfd, path, 0, &at, NULL, NULL);
		if (walked(r, result) >= 0)
			return walked(r, result);
		if (!at.m) {
			*result = sy_raw4(SYS_readlinkat, AT_FDCWD, at.path, ubuf, size);
			return SY_ANSWER;
		}
	}
	long r;
	struct sy_vfs_attr a;
	char target[PATH_MAX];
	if (size <= 0)
		r = -EINVAL;
	else if ((r = at.m->be->getattr(at.m->fs, at.node, &a)) == 0 && !S_ISLNK(a.mode))
		r = -EINVAL;
	else if (r == 0) {
		r = at.m->be->readlink(at.m->fs, at.node, target, sizeof(target));
		if (r > size)
			r = size;
		if (r > 0 && sy_copy_out((void *)ubuf, target, (size_t)r) < 0)
			r = -EFAULT;
	}
	sy_loc_drop(&at);
	*result = r;
	return SY_ANSWER;
}

/* chdir to a kernel directory: the kernel's cwd, and the virtual one goes. */
static int chdir_kernel(const char *path, long *result);

/* chmod, chown, truncate, utimes, chdir, statfs...: one node by path. */
static int on_node(long nr, int dirfd, const char *path, int follow, long *a, long *result)
{
	struct loc at;
	int r = sy_walk(dirfd, path, follow ? WALK_FOLLOW : 0, &at, NULL, NULL);
	if (r == 1 && nr == SYS_chdir)
		return chdir_kernel(path, result);
	if (walked(r, result) >= 0)
		return walked(r, result);
	if (!at.m) {
		switch (nr) {
		case SYS_fchmodat:
			*result = sy_raw3(SYS_fchmodat, AT_FDCWD, at.path, a[2]);
			break;
		case SYS_fchmodat2:
			*result = sy_raw4(SYS_fchmodat2, AT_FDCWD, at.path, a[2], a[3]);
			break;
		case SYS_fchownat:
			*result = sy_raw5(SYS_fchownat, AT_FDCWD, at.path, a[2], a[3],
					  follow ? 0 : AT_SYMLINK_NOFOLLOW);
			break;
		case SYS_truncate:
			*result = sy_raw2(SYS_truncate, at.path, a[1]);
			break;
		case SYS_utimensat:
			*result = sy_raw4(SYS_utimensat, AT_FDCWD, at.path, a[2], a[3]);
			break;
		case SYS_chdir:
			chdir_kernel(at.path, result);
			break;
		case SYS_statfs:
			*result = sy_raw2(SYS_statfs, at.path, a[1]);
			break;
		default:
			*result = -EOPNOTSUPP;
		}
		return SY_ANSWER;
	}
	struct sy_mount *m = at.m;
	long res = 0;
	struct sy_vfs_attr attr;
	switch (nr) {
	case SYS_fchmodat:
	case SYS_fchmodat2:
		if (nr == SYS_fchmodat2 && !follow && m->be->getattr(m->fs, at.node, &attr) == 0 &&
		    S_ISLNK(attr.mode))
			res = -EOPNOTSUPP;
		else
			res = sy_vfs_chmod(m, at.node, (uint32_t)a[2]);
		break;
	case SYS_fchownat:
		res = sy_vfs_chown(m, at.node, (uint32_t)a[2], (uint32_t)a[3]);
		break;
	case SYS_truncate:
		res = m->be->getattr(m->fs, at.node, &attr);
		if (res == 0 && S_ISDIR(attr.mode))
			res = -EISDIR;
		else if (res == 0 && !S_ISREG(attr.mode))
			res = -EINVAL;
		else if (res == 0 && a[1] < 0)
			res = -EINVAL;
		if (res == 0)
			res = sy_may(&attr, W_OK);
		if (res == 0 && m->readonly)
			res = -EROFS;
		if (res == 0) {
			struct sy_vfs_attr t = {.size = (uint64_t)a[1]};
			struct sy_vfs_cred cred;
			res = m->be->setattr(m->fs, at.node, &t, SY_VFS_SET_SIZE, sy_cred(&cred));
		}
		break;
	case SYS_utimensat: {
		struct timespec ts[2];
		if (a[2] && sy_copy_in(ts, (void *)a[2], sizeof(ts)) < 0)
			res = -EFAULT;
		else
			res = set_times(m, at.node, a[2] ? ts : NULL);
		break;
	}
	case SYS_chdir:
		res = m->be->getattr(m->fs, at.node, &attr);
		if (res == 0 && !S_ISDIR(attr.mode))
			res = -ENOTDIR;
		if (res == 0)
			res = sy_may(&attr, X_OK);
		if (res == 0) {
			sy_cwd_set(&at);
			*result = 0;
			return SY_ANSWER;
		}
		break;
	case SYS_statfs:
		res = sy_statfs_out(m, a[1]);
		break;
	case SYS_inotify_add_watch:
	case SYS_chroot:
		sy_vfs_count_refused();
		res = -EOPNOTSUPP;
		break;
	}
	sy_loc_drop(&at);
	*result = res;
	return SY_ANSWER;
}

static int chdir_kernel(const char *path, long *result)
{
	*result = sy_raw1(SYS_chdir, path);
	if (*result == 0)
		sy_cwd_set(NULL);
	return SY_ANSWER;
}

long sy_vfs_fchdir_node(struct sy_mount *m, struct sy_vfs_node *node, const char *path)
{
	struct sy_vfs_attr attr;
	long r = m->be->getattr(m->fs, node, &attr);
	if (r == 0 && !S_ISDIR(attr.mode))
		return -ENOTDIR;
	if (r == 0)
		r = sy_may(&attr, X_OK);
	if (r < 0)
		return r;
	struct loc at;
	at.m = m;
	at.node = node;
	m->be->hold(m->fs, node);
	snprintf(at.path, sizeof(at.path), "%s", path);
	sy_cwd_set(&at);
	return 0;
}

static int do_getcwd(long ubuf, long size, long *result)
{
	if (!sy_cwd.m)
		return SY_PASS;
	char path[PATH_MAX];
	struct loc cwd;
	sy_cwd_get(&cwd);
	if (!cwd.m) {
		sy_loc_drop(&cwd);
		return SY_PASS;
	}
	int r = sy_node_path(cwd.m, cwd.node, cwd.path, path);
	sy_loc_drop(&cwd);
	if (r < 0) {
		*result = r;
		return SY_ANSWER;
	}
	size_t len = strlen(path) + 1;
	if ((size_t)size < len)
		*result = -ERANGE;
	else
		*result = sy_copy_out((void *)ubuf, path, len) < 0 ? -EFAULT : (long)len;
	return SY_ANSWER;
}

int sy_sys_pathop(struct sy_call *c, long *result)
{
	long *a = c->args;
	char path[PATH_MAX + 1], path2[PATH_MAX + 1];
	int dirfd = AT_FDCWD, r;
	long nr = c->nr;
	long args[6];
	memcpy(args, a, sizeof(args));

	if (nr == SYS_getcwd)
		return do_getcwd(a[0], a[1], result);

	/* the legacy calls as their *at forms */
	switch (nr) {
	case SYS_stat:
	case SYS_lstat:
		args[3] = nr == SYS_lstat ? AT_SYMLINK_NOFOLLOW : 0;
		args[2] = a[1], args[1] = a[0], args[0] = AT_FDCWD, nr = SYS_newfstatat;
		break;
	case SYS_access:
		args[2] = a[1], args[1] = a[0], args[0] = AT_FDCWD, args[3] = 0,
		nr = SYS_faccessat2;
		break;
	case SYS_faccessat:
		args[3] = 0, nr = SYS_faccessat2;
		break;
	case SYS_mkdir:
		args[2] = a[1], args[1] = a[0], args[0] = AT_FDCWD, nr = SYS_mkdirat;
		break;
	case SYS_mknod:
		args[3] = a[2], args[2] = a[1], args[1] = a[0], args[0] = AT_FDCWD,
		nr = SYS_mknodat;
		break;
	case SYS_rmdir:
		args[2] = AT_REMOVEDIR, args[1] = a[0], args[0] = AT_FDCWD, nr = SYS_unlinkat;
		break;
	case SYS_unlink:
		args[2] = 0, args[1] = a[0], args[0] = AT_FDCWD, nr = SYS_unlinkat;
		break;
	case SYS_rename:
		args[3] = a[1], args[2] = AT_FDCWD, args[1] = a[0], args[0] = AT_FDCWD, args[4] = 0;
		nr = SYS_renameat2;
		break;
	case SYS_renameat:
		args[4] = 0, nr = SYS_renameat2;
		break;
	case SYS_link:
		args[3] = a[1], args[2] = AT_FDCWD, args[1] = a[0], args[0] = AT_FDCWD, args[4] = 0;
		nr = SYS_linkat;
		break;
	case SYS_symlink:
		args[2] = a[1], args[1] = AT_FDCWD, nr = SYS_symlinkat;
		break;
	case SYS_readlink:
		args[3] = a[2], args[2] = a[1], args[1] = a[0], args[0] = AT_FDCWD,
		nr = SYS_readlinkat;
		break;
	case SYS_chmod:
		args[2] = a[1], args[1] = a[0], args[0] = AT_FDCWD, nr = SYS_fchmodat;
		break;
	case SYS_chown:
	case SYS_lchown:
		args[4] = nr == SYS_lchown ? AT_SYMLINK_NOFOLLOW : 0;
		args[3] = a[2], args[2] = a[1], args[1] = a[0], args[0] = AT_FDCWD,
		nr = SYS_fchownat;
		break;
	case SYS_utime:
	case SYS_utimes:
	case SYS_futimesat: {
		/* as utimensat with microseconds (or seconds) */
		long utimes_at = nr == SYS_futimesat ? 1 : 0;
		long times = a[1 + utimes_at];
		struct timespec ts[2];
		if (times) {
			if (nr == SYS_utime) {
				struct utimbuf ub;
				if (sy_copy_in(&ub, (void *)times, sizeof(ub)) < 0) {
					*result = -EFAULT;
					return SY_ANSWER;
				}
				ts[0] = (struct timespec){ub.actime, 0};
				ts[1] = (struct timespec){ub.modtime, 0};
			} else {
				struct timeval tv[2];
				if (sy_copy_in(tv, (void *)times, sizeof(tv)) < 0) {
					*result = -EFAULT;
					return SY_ANSWER;
				}
				for (int i = 0; i < 2; i++) {
					if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) {
						*result = -EINVAL;
						return SY_ANSWER;
					}
					ts[i] =
					    (struct timespec){tv[i].tv_sec, tv[i].tv_usec * 1000};
				}
			}
		}
		GET_PATH(a[utimes_at], path, 0);
		dirfd = utimes_at ? (int)a[0] : AT_FDCWD;
		if (!sy_walk_may_enter(dirfd, path))
			return SY_PASS;
		struct loc at;
		r = sy_walk(dirfd, path, WALK_FOLLOW, &at, NULL, NULL);
		if (walked(r, result) >= 0)
			return walked(r, result);
		if (!at.m) { /* through a mount and out: the walk's path */
			*result =
			    sy_raw4(SYS_utimensat, AT_FDCWD, at.path, times ? (long)ts : 0, 0);
			return SY_ANSWER;
		}
		*result = set_times(at.m, at.node, times ? ts : NULL);
		sy_loc_drop(&at);
		return SY_ANSWER;
	}
	}

	switch (nr) {
	case SYS_newfstatat:
	case SYS_statx: {
		int flags = (int)(nr == SYS_statx ? args[2] : args[3]);
		if (nr == SYS_statx && ((unsigned)args[3] & 0x80000000u))
			return SY_PASS; /* STATX__RESERVED: the kernel's EINVAL */
		GET_PATH(args[1], path, 1);
		dirfd = (int)args[0];
		if (path[0] ? !sy_walk_may_enter(dirfd, path)
			    : !(sy_vfd_is_virtual(dirfd) || (dirfd == AT_FDCWD && sy_cwd.m)))
			return SY_PASS;
		if (!path[0] && !(flags & AT_EMPTY_PATH))
			return SY_PASS; /* ENOENT */
		return do_stat(nr, dirfd, path, flags, nr == SYS_statx ? args[4] : args[2],
			       nr == SYS_statx ? (unsigned)args[3] : 0, result);
	}
	case SYS_faccessat2:
		GET_PATH(args[1], path, (args[3] & AT_EMPTY_PATH) != 0);
		if (path[0] ? !sy_walk_may_enter((int)args[0], path)
			    : !(sy_vfd_is_virtual((int)args[0]) ||
				((int)args[0] == AT_FDCWD && sy_cwd.m)))
			return SY_PASS;
		return do_access((int)args[0], path, (int)args[2], (int)args[3], result);
	case SYS_mkdirat:
	case SYS_mknodat:
		GET_PATH(args[1], path, 0);
		if (!sy_walk_may_enter((int)args[0], path))
			return SY_PASS;
		return do_mknod(nr, (int)args[0], path, (uint32_t)args[2], (uint64_t)args[3],
				result);
	case SYS_unlinkat:
		GET_PATH(args[1], path, 0);
		if (!sy_walk_may_enter((int)args[0], path))
			return SY_PASS;
		return do_unlink((int)args[0], path, (int)args[2], result);
	case SYS_renameat2:
		GET_PATH(args[1], path, 1);
		GET_PATH(args[3], path2, 1); /* "": ENOENT after the old path's errors */
		if ((!sy_walk_may_enter((int)args[0], path) &&
		     !sy_walk_may_enter((int)args[2], path2)))
			return SY_PASS;
		return do_rename((int)args[0], path, (int)args[2], path2, (unsigned)args[4],
				 result);
	case SYS_linkat:
		GET_PATH(args[1], path, 1);
		GET_PATH(args[3], path2, 1);
		if (!(path[0] ? sy_walk_may_enter((int)args[0], path)
			      : sy_vfd_is_virtual((int)args[0])) &&
		    !sy_walk_may_enter((int)args[2], path2))
			return SY_PASS;
		if (!path[0] && !(args[4] & AT_EMPTY_PATH))
			return SY_PASS;
		return do_link((int)args[0], path, (int)args[2], path2, (int)args[4], result);
	case SYS_symlinkat:
		/* the target is only text; the link's own path decides */
		GET_PATH(args[0], path2, 0);
		GET_PATH(args[2], path, 0);
		if (!sy_walk_may_enter((int)args[1], path))
			return SY_PASS;
		return do_symlink(path2, (int)args[1], path, result);
	case SYS_readlinkat:
		GET_PATH(args[1], path, 1);
		if (path[0] ? !sy_walk_may_enter((int)args[0], path)
			    : !sy_vfd_is_virtual((int)args[0]))
			return SY_PASS;
		return do_readlink((int)args[0], path, args[2], args[3], result);
	case SYS_fchmodat:
	case SYS_fchmodat2:
	case SYS_fchownat:
	case SYS_utimensat: {
		int flags = (int)(nr == SYS_fchownat ? args[4] : nr == SYS_fchmodat ? 0 : args[3]);
		int allowed = AT_SYMLINK_NOFOLLOW | (nr == SYS_fchmodat ? 0 : AT_EMPTY_PATH);
		if (nr == SYS_utimensat && args[2]) {
			/* both times UTIME_OMIT: nothing is looked at, not even the path */
			struct timespec ts[2];
			if (sy_copy_in(ts, (void *)args[2], sizeof(ts)) == 0 &&
			    ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT &&
			    !(flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))) {
				*result = 0;
				return SY_ANSWER;
			}
		}
		if (nr == SYS_utimensat && !args[1]) { /* on the fd itself */
			struct vfile *v = sy_vfd_get((int)args[0]);
			if (!v)
				return SY_PASS;
			if (flags & ~AT_SYMLINK_NOFOLLOW)
				*result = -EINVAL;
			else if (v->oflags & O_PATH)
				*result = -EBADF;
			else if (!v->node)
				*result = -ESTALE;
			else {
				struct timespec ts[2];
				if (args[2] && sy_copy_in(ts, (void *)args[2], sizeof(ts)) < 0)
					*result = -EFAULT;
				else
					*result = set_times(v->m, v->node, args[2] ? ts : NULL);
			}
			sy_vfile_put(v);
			return SY_ANSWER;
		}
		GET_PATH(args[1], path, 1);
		dirfd = (int)args[0];
		if (path[0] ? !sy_walk_may_enter(dirfd, path)
			    : !(sy_vfd_is_virtual(dirfd) || (dirfd == AT_FDCWD && sy_cwd.m)))
			return SY_PASS;
		if (flags & ~allowed) {
			*result = -EINVAL;
			return SY_ANSWER;
		}
		if (!path[0]) {
			if (!(flags & AT_EMPTY_PATH))
				return SY_PASS;
			struct vfile *v = sy_vfd_get(dirfd);
			if (!v)
				return SY_PASS;
			if (!v->node)
				*result = -ESTALE;
			else if (nr == SYS_fchownat)
				*result = sy_vfs_chown(v->m, v->node, (uint32_t)args[2],
						       (uint32_t)args[3]);
			else if (nr == SYS_fchmodat2)
				*result = sy_vfs_chmod(v->m, v->node, (uint32_t)args[2]);
			else {
				struct timespec ts[2];
				if (args[2] && sy_copy_in(ts, (void *)args[2], sizeof(ts)) < 0)
					*result = -EFAULT;
				else
					*result = set_times(v->m, v->node, args[2] ? ts : NULL);
			}
			sy_vfile_put(v);
			return SY_ANSWER;
		}
		return on_node(nr, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), args, result);
	}
	case SYS_truncate:
	case SYS_chdir:
	case SYS_statfs:
	case SYS_chroot:
		if (nr == SYS_truncate && args[1] < 0) { /* before the path */
			*result = -EINVAL;
			return SY_ANSWER;
		}
		GET_PATH(args[0], path, 0);
		if (nr == SYS_chdir && sy_cwd.m && !sy_walk_may_enter(AT_FDCWD, path))
			return chdir_kernel(path, result); /* out of a virtual cwd */
		if (!sy_walk_may_enter(AT_FDCWD, path))
			return SY_PASS;
		return on_node(nr, AT_FDCWD, path, 1, args, result);
	case SYS_inotify_add_watch:
		GET_PATH(args[1], path, 0);
		if (!sy_walk_may_enter(AT_FDCWD, path))
			return SY_PASS;
		return on_node(nr, AT_FDCWD, path, !(args[2] & 0x02000000) /* IN_DONT_FOLLOW */,
			       args, result);
	}
	return SY_PASS;
}

/* ---------------------------------------------------------------- execve */

/* "#!interpreter [argument]" of a script's first line, as the kernel's
 * binfmt_script reads it; 0 if it is none. */
static int shebang(const char *head, long n, char *interp, char *arg)
{
	if (n < 2 || head[0] != '#' || head[1] != '!')
		return 0;
	char line[256];
	long len = n < 255 ? n : 255;
	memcpy(line, head, (size_t)len);
	line[len] = 0;
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = 0;
	char *p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t il = strcspn(p, " \t");
	if (!il)
		return -ENOEXEC;
	memcpy(interp, p, il);
	interp[il] = 0;
	p += il;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t al = strlen(p);
	while (al && (p[al - 1] == ' ' || p[al - 1] == '\t'))
		al--;
	memcpy(arg, p, al);
	arg[al] = 0;
	return 1;
}

/* The program's argv with the script's interpreter line in front: the
 * interpreter, its argument, the script's name, then argv[1...]. The
 * array is mapped (*len bytes): the caller unmaps it. */
static long script_argv(long uargv, const char *interp, const char *arg, const char *name,
			size_t *len)
{
	long n = 0;
	const char *e;
	if (uargv)
		for (;; n++) {
			if (sy_copy_in(&e, (const char *const *)uargv + n, sizeof(e)) < 0)
				return -EFAULT;
			if (!e)
				break;
		}
	*len = (size_t)(n + 4) * sizeof(char *);
	long m =
	    sy_raw6(SYS_mmap, 0, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m > -4096)
		return m;
	const char **v = (const char **)m;
	long k = 0;
	v[k++] = interp;
	if (arg[0])
		v[k++] = arg;
	v[k++] = name;
	for (long i = 1; i < n; i++)
		sy_copy_in(&v[k++], (const char *const *)uargv + i, sizeof(e));
	v[k] = NULL;
	return m;
}

/* A program stored on a mount runs from a memfd copy of it (execveat with
 * AT_EMPTY_PATH); a script stored there runs its interpreter with its path,
 * as the kernel would; every execve leaves the VFS state for the new
 * program. */
int sy_sys_exec(struct sy_call *c, long *result)
{
	static const char empty[] = "";
	long *a = c->args;
	int at = c->nr == SYS_execveat;
	int dirfd = at ? (int)a[0] : AT_FDCWD;
	int flags = at ? (int)a[4] : 0;
	long uargv = a[at + 1], uenvp = a[at + 2];
	char path[PATH_MAX + 1], interp[2][256], arg[2][256], name[2][PATH_MAX + 16];
	struct sy_call k = *c;
	long prog = -1, argv_map = 0;
	size_t argv_len = 0;
	int r = get_path(a[at], path, 1);
	if (r == -EFAULT || r == -ENAMETOOLONG) {
		*result = r;
		return SY_ANSWER;
	}
	for (int depth = 0; r == 0 && depth < 5; depth++) {
		if (!(path[0] ? sy_walk_may_enter(dirfd, path) : sy_vfd_is_virtual(dirfd)))
			break; /* the kernel's: k is the call to make */
		struct loc l;
		l.m = NULL;
		if (!path[0]) {
			struct vfile *v = (flags & AT_EMPTY_PATH) ? sy_vfd_get(dirfd) : NULL;
			r = -ENOENT;
			if (v) {
				r = sy_loc_of_vfile(v, &l);
				snprintf(l.path, sizeof(l.path), "/dev/fd/%d", dirfd);
				sy_vfile_put(v);
			}
		} else {
			r = sy_walk(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW,
				    &l, NULL, NULL);
			if (r == 1) {
				r = 0;
				break;
			}
		}
		if (r < 0)
			break;
		if (!l.m) { /* through a mount and out: the walk's path */
			k.nr = SYS_execveat;
			k.args[0] = AT_FDCWD;
			k.args[1] = (long)l.path;
			k.args[2] = uargv;
			k.args[3] = uenvp;
			k.args[4] = flags;
			break;
		}
		struct sy_mount *m = l.m;
		struct sy_vfs_attr attr;
		r = m->be->getattr(m->fs, l.node, &attr);
		if (r == 0 && S_ISLNK(attr.mode))
			r = -ELOOP;
		else if (r == 0 && !S_ISREG(attr.mode))
			r = -EACCES;
		if (r == 0)
			r = sy_may(&attr, X_OK);
		if (r == 0 && !(attr.mode & 0111))
			r = -EACCES;
		char head[256];
		long hn = r == 0 ? m->be->read(m->fs, l.node, head, sizeof(head), 0) : 0;
		int sb = hn > 0 ? shebang(head, hn, interp[depth & 1], arg[depth & 1]) : 0;
		if (r == 0 && sb < 0)
			r = sb;
		if (r == 0 && sb == 1) {
			/* the interpreter, with the script's own name */
			char *nm = name[depth & 1];
			if (path[0])
				memcpy(nm, path, strlen(path) + 1);
			else
				snprintf(nm, PATH_MAX + 16, "%s", l.path);
			sy_loc_drop(&l);
			size_t len;
			long v = script_argv(uargv, interp[depth & 1], arg[depth & 1], nm, &len);
			if (v < 0 && v > -4096) {
				r = (int)v;
				break;
			}
			if (argv_map)
				sy_raw2(SYS_munmap, argv_map, argv_len);
			argv_map = v;
			argv_len = len;
			uargv = v;
			memcpy(path, interp[depth & 1], strlen(interp[depth & 1]) + 1);
			dirfd = AT_FDCWD;
			flags = 0;
			k.nr = SYS_execve;
			k.args[0] = (long)path;
			k.args[1] = uargv;
			k.args[2] = uenvp;
			if (depth == 4)
				r = -ELOOP;
			continue;
		}
		if (r == 0) {
			prog = sy_raw2(SYS_memfd_create, "switchyard-exec", 0);
			if (prog < 0)
				r = (int)prog;
		}
		char buf[16384];
		for (uint64_t off = 0; r == 0;) {
			long n = m->be->read(m->fs, l.node, buf, sizeof(buf), off);
			if (n < 0)
				r = (int)n;
			if (n <= 0)
				break;
			if (sy_raw4(SYS_pwrite64, prog, buf, n, off) != n)
				r = -EIO;
			off += (uint64_t)n;
		}
		sy_loc_drop(&l);
		k.nr = SYS_execveat;
		k.args[0] = prog;
		k.args[1] = (long)empty;
		k.args[2] = uargv;
		k.args[3] = uenvp;
		k.args[4] = AT_EMPTY_PATH;
		break;
	}
	if (r == -ENOENT && !path[0])
		r = 0; /* execveat(fd, "") of a kernel fd: the kernel's */
	if (r < 0) {
		*result = r;
	} else {
		long state = sy_vfs_exec_state_write(prog >= 0 ? (int)prog : -1);
		if (state < 0) {
			*result = state;
		} else {
			*result = sy_sys_execve(&k);
			sy_raw1(SYS_close, state);
			sy_vfd_exec_failed();
		}
	}
	if (prog >= 0)
		sy_raw1(SYS_close, prog);
	if (argv_map)
		sy_raw2(SYS_munmap, argv_map, argv_len);
	return SY_ANSWER;
}
