/*
 * hostfs: a mount mapped onto a host directory, `source`.
 *
 * Nodes. A node is a heap object of this process holding an O_PATH fd of the
 * host file and a reference count. Every fd is opened with openat2() and
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, one single name at a time,
 * relative to the fd of a node that is itself beneath `source` (the root's
 * fd is `source` itself), with O_NOFOLLOW: a symlink gives the symlink's own
 * node, and following it is the VFS layer's work (readlink and a new walk),
 * so neither `..` nor an absolute or relative symlink can leave `source`.
 * Names with '/' are refused with EINVAL; lookup of "." gives the directory
 * and of ".." its parent(), which at the root is the root.
 *
 * One host file has one node while any reference to it exists (found by
 * st_dev and st_ino), so node_id() is stable. A directory node holds a
 * reference to the node of the directory it was found in (parent(); the
 * root has none and is its own parent); rename() and a later lookup() move
 * it. A directory renamed on the host by someone else keeps its old parent
 * until it is looked up again.
 *
 * Ids. Nothing is shared across processes: save() gives -ENOSYS and the VFS
 * layer mounts afresh after execve. node_id() is a slot of a per-process
 * table (low 32 bits) with the slot's generation (high 32 bits, never 0), so
 * the id of a freed node gives -ESTALE even when its slot holds another.
 * After fork the child has a copy of the table, valid in it.
 *
 * Credentials. The cred arguments are not used: the host kernel checks and
 * applies everything as the real user of the process (owner of new files,
 * set-user-ID and set-group-ID clearing on write, chown and truncate).
 *
 * How things are done on a node's O_PATH fd:
 *  - getattr: statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW); st_ino is
 *    the host's (unique unless `source` holds other mounts);
 *  - setattr: owner with fchownat(fd, "", AT_EMPTY_PATH), times with
 *    utimensat(fd, "", AT_EMPTY_PATH), mode with chmod() and size with
 *    truncate() of /proc/self/fd/N (our own fd: the magic link leads to the
 *    node's file, whatever its name is now, unlinked included);
 *  - read, write, fallocate, fsync, data_fd: open("/proc/self/fd/N") with
 *    the access needed (a read fd is kept in the node; write fds are not,
 *    so that execve of the host file does not meet ETXTBSY);
 *  - create, mkdir, symlink, link, unlink, rmdir, rename (renameat2 with its
 *    flags): the *at() calls with the directory's O_PATH fd; a new node's
 *    mode is set with chmod after creation, so the process umask does not
 *    change it (the VFS layer has applied the virtual umask);
 *  - readdir: getdents64 on an fd of the directory opened afresh, the
 *    entry's d_off as the cookie (lseek to it to continue);
 *  - statfs: fstatfs of the source fd, with ST_RDONLY when readonly.
 *
 * readonly = yes refuses every change with EROFS (EEXIST first when the
 * name to create exists, as the kernel does).
 */
#include "hostfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define HF_BUCKETS 1024

struct sy_vfs_node {
	int fd;	       /* O_PATH */
	int rfd;       /* cached O_RDONLY fd of a regular file, or -1 */
	uint32_t type; /* S_IFMT bits */
	uint32_t refs;
	uint32_t slot, gen;
	dev_t dev;
	ino_t ino;
	struct sy_vfs_node *parent; /* directories other than the root */
	struct sy_vfs_node *hnext;
};

struct hf_slot {
	struct sy_vfs_node *node; /* NULL: free */
	uint32_t gen;
	uint32_t next_free;
};

struct sy_vfs {
	pthread_mutex_t lock;
	int readonly;
	struct sy_vfs_node *root;
	struct hf_slot *slots;
	uint32_t nslots, cap, free_head; /* free_head: UINT32_MAX for none */
	struct sy_vfs_node *hash[HF_BUCKETS];
};

static unsigned hf_bucket(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;
	return (unsigned)(h >> 40) % HF_BUCKETS;
}

/* Provided by libswitchyard; absent when hostfs runs on its own (tests). */
extern int sy_vfs_fd_floor(void) __attribute__((weak));
extern void sy_vfs_hide_fd(int fd, int hidden) __attribute__((weak));

/* A node's fd lives as long as the node: under switchyard it goes above
 * the program's numbers, so the program's next open gets the number it
 * would get natively. */
static int hf_keep(int fd)
{
	if (!sy_vfs_fd_floor)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, sy_vfs_fd_floor());
	if (high < 0)
		return fd;
	close(fd);
	sy_vfs_hide_fd(high, 1);
	return high;
}

static void hf_close_kept(int fd)
{
	if (fd < 0)
		return;
	if (sy_vfs_hide_fd)
		sy_vfs_hide_fd(fd, 0);
	close(fd);
}

static int hf_open_beneath(int dirfd, const char *name, uint64_t flags)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = flags | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	long r = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	return r < 0 ? -errno : (int)r;
}

static int hf_reopen(struct sy_vfs_node *n, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", n->fd);
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

static void hf_procpath(struct sy_vfs_node *n, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", n->fd);
}

/* 0 for a usable name; lookup handles "." and ".." before. */
static int hf_check_name(const char *name)
{
	if (!name || !*name)
		return -ENOENT;
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	return 0;
}

/* ---------------------------------------------------------------- nodes */

static void hf_unhash(struct sy_vfs *fs, struct sy_vfs_node *n)
{
	struct sy_vfs_node **p = &fs->hash[hf_bucket(n->dev, n->ino)];
	while (*p && *p != n)
		p = &(*p)->hnext;
	if (*p)
		*p = n->hnext;
}

/* Drops one reference with the lock held, freeing nodes (and parents'
 * references) that reach 0. */
static void hf_put_locked(struct sy_vfs *fs, struct sy_vfs_node *n)
{
	while (n && --n->refs == 0) {
		struct sy_vfs_node *parent = n->parent;
		hf_unhash(fs, n);
		struct hf_slot *s = &fs->slots[n->slot];
		s->node = NULL;
		if (++s->gen == 0)
			s->gen = 1;
		s->next_free = fs->free_head;
		fs->free_head = n->slot;
		hf_close_kept(n->fd);
		if (n->rfd >= 0)
			hf_close_kept(n->rfd);
		free(n);
		n = parent;
	}
}

static struct sy_vfs_node *hf_find_locked(struct sy_vfs *fs, dev_t dev, ino_t ino)
{
	struct sy_vfs_node *n = fs->hash[hf_bucket(dev, ino)];
	while (n && !(n->dev == dev && n->ino == ino))
		n = n->hnext;
	return n;
}

/* Points directory node n at parent (with the lock held). */
static void hf_set_parent_locked(struct sy_vfs *fs, struct sy_vfs_node *n,
				 struct sy_vfs_node *parent)
{
	if (n == fs->root || !S_ISDIR(n->type) || n->parent == parent || n == parent)
		return;
	parent->refs++;
	struct sy_vfs_node *old = n->parent;
	n->parent = parent;
	if (old)
		hf_put_locked(fs, old);
}

/* The node of O_PATH fd `fd` (which it takes over), found in dir (NULL for
 * the root), with a reference for the caller. */
static int hf_node_of_fd(struct sy_vfs *fs, int fd, struct sy_vfs_node *dir,
			 struct sy_vfs_node **out)
{
	struct stat st;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	pthread_mutex_lock(&fs->lock);
	struct sy_vfs_node *n = hf_find_locked(fs, st.st_dev, st.st_ino);
	if (n) {
		n->refs++;
		if (dir)
			hf_set_parent_locked(fs, n, dir);
		pthread_mutex_unlock(&fs->lock);
		close(fd);
		*out = n;
		return 0;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		goto nomem;
	if (fs->free_head == UINT32_MAX) {
		if (fs->nslots == fs->cap) {
			uint32_t cap = fs->cap ? fs->cap * 2 : 64;
			struct hf_slot *s = realloc(fs->slots, cap * sizeof(*s));
			if (!s) {
				free(n);
				goto nomem;
			}
			fs->slots = s;
			fs->cap = cap;
		}
		fs->slots[fs->nslots] = (struct hf_slot){NULL, 1, UINT32_MAX};
		n->slot = fs->nslots++;
	} else {
		n->slot = fs->free_head;
		fs->free_head = fs->slots[n->slot].next_free;
	}
	fs->slots[n->slot].node = n;
	n->gen = fs->slots[n->slot].gen;
	n->fd = hf_keep(fd);
	n->rfd = -1;
	n->type = st.st_mode & S_IFMT;
	n->refs = 1;
	n->dev = st.st_dev;
	n->ino = st.st_ino;
	if (dir && S_ISDIR(n->type)) {
		dir->refs++;
		n->parent = dir;
	}
	unsigned b = hf_bucket(n->dev, n->ino);
	n->hnext = fs->hash[b];
	fs->hash[b] = n;
	pthread_mutex_unlock(&fs->lock);
	*out = n;
	return 0;
nomem:
	pthread_mutex_unlock(&fs->lock);
	close(fd);
	return -ENOMEM;
}

static struct sy_vfs_node *hf_root(struct sy_vfs *fs)
{
	pthread_mutex_lock(&fs->lock);
	fs->root->refs++;
	pthread_mutex_unlock(&fs->lock);
	return fs->root;
}

static void hf_hold(struct sy_vfs *fs, struct sy_vfs_node *n)
{
	pthread_mutex_lock(&fs->lock);
	n->refs++;
	pthread_mutex_unlock(&fs->lock);
}

static void hf_release(struct sy_vfs *fs, struct sy_vfs_node *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&fs->lock);
	hf_put_locked(fs, n);
	pthread_mutex_unlock(&fs->lock);
}

static uint64_t hf_node_id(struct sy_vfs *fs, struct sy_vfs_node *n)
{
	(void)fs;
	return (uint64_t)n->gen << 32 | n->slot;
}

static int hf_node_from_id(struct sy_vfs *fs, uint64_t id, struct sy_vfs_node **out)
{
	uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);
	int r = -ESTALE;
	pthread_mutex_lock(&fs->lock);
	if (gen != 0 && slot < fs->nslots && fs->slots[slot].node && fs->slots[slot].gen == gen) {
		*out = fs->slots[slot].node;
		(*out)->refs++;
		r = 0;
	}
	pthread_mutex_unlock(&fs->lock);
	return r;
}

static int hf_set_refs(struct sy_vfs *fs, struct sy_vfs_node *n, uint32_t refs)
{
	pthread_mutex_lock(&fs->lock);
	if (refs == 0) {
		n->refs = 1;
		hf_put_locked(fs, n);
	} else {
		n->refs = refs;
	}
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

/* -------------------------------------------------------------- instances */

static int hf_parse_bool(const char *v, int *out)
{
	static const char *yes[] = {"yes", "true", "1"}, *no[] = {"no", "false", "0"};
	for (int i = 0; i < 3; i++) {
		if (!strcmp(v, yes[i]))
			return *out = 1, 0;
		if (!strcmp(v, no[i]))
			return *out = 0, 0;
	}
	return -1;
}

static int hf_mount(const struct sy_vfs_option *options, int noptions, struct sy_vfs **out,
		    char *err, size_t errlen)
{
	const char *source = NULL;
	int readonly = 0;
	for (int i = 0; i < noptions; i++) {
		const char *k = options[i].key, *v = options[i].value ? options[i].value : "";
		if (!k || !*k) {
			snprintf(err, errlen, "an option without a name");
			return -EINVAL;
		}
		if (!strcmp(k, "source")) {
			source = v;
		} else if (!strcmp(k, "readonly")) {
			if (hf_parse_bool(v, &readonly) < 0) {
				snprintf(err, errlen,
					 "readonly: '%s' is not yes, no, true, false, 1 or 0", v);
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen, "unknown option '%s'", k);
			return -EINVAL;
		}
	}
	if (!source) {
		snprintf(err, errlen, "hostfs needs a source directory (source = /path)");
		return -EINVAL;
	}
	if (source[0] != '/') {
		snprintf(err, errlen, "source: '%s' is not an absolute path", source);
		return -EINVAL;
	}
	int fd = open(source, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "source: %s: %s", source, strerror(e));
		return -e;
	}
	struct stat st;
	int e = fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (e) {
		snprintf(err, errlen, "source: %s: %s", source, strerror(e));
		close(fd);
		return -e;
	}
	/* Everything below depends on openat2 (Linux 5.6); without it there
	 * is no safe way to stay beneath source, so no mount. */
	int probe = hf_open_beneath(fd, ".", O_PATH | O_DIRECTORY);
	if (probe < 0) {
		snprintf(err, errlen, "source: %s: openat2 with RESOLVE_BENEATH: %s", source,
			 strerror(-probe));
		close(fd);
		return probe;
	}
	close(probe);
	struct sy_vfs *fs = calloc(1, sizeof(*fs));
	if (!fs) {
		close(fd);
		snprintf(err, errlen, "hostfs: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&fs->lock, NULL);
	fs->readonly = readonly;
	fs->free_head = UINT32_MAX;
	int r = hf_node_of_fd(fs, fd, NULL, &fs->root);
	if (r < 0) {
		snprintf(err, errlen, "source: %s: %s", source, strerror(-r));
		pthread_mutex_destroy(&fs->lock);
		free(fs);
		return r;
	}
	*out = fs;
	return 0;
}

static void hf_unmount(struct sy_vfs *fs)
{
	if (!fs)
		return;
	hf_release(fs, fs->root);
	/* Nodes the caller still holds are freed with the instance. */
	for (uint32_t i = 0; i < fs->nslots; i++) {
		struct sy_vfs_node *n = fs->slots[i].node;
		if (n) {
			hf_close_kept(n->fd);
			if (n->rfd >= 0)
				hf_close_kept(n->rfd);
			free(n);
		}
	}
	free(fs->slots);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

static int hf_save(struct sy_vfs *fs, char *buf, size_t len)
{
	(void)fs, (void)buf, (void)len;
	return -ENOSYS;
}

static int hf_restore(const char *saved, struct sy_vfs **out, char *err, size_t errlen)
{
	(void)saved, (void)out;
	snprintf(err, errlen, "hostfs instances are not carried across execve");
	return -ENOSYS;
}

static void hf_fork_child(struct sy_vfs *fs)
{
	/* Another thread of the parent may have held the lock at fork. */
	pthread_mutex_init(&fs->lock, NULL);
}

/* ------------------------------------------------------------ attributes */

static int hf_getattr(struct sy_vfs *fs, struct sy_vfs_node *n, struct sy_vfs_attr *out)
{
	(void)fs;
	struct statx sx;
	if (statx(n->fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME,
		  &sx) < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	out->ino = sx.stx_ino;
	out->mode = sx.stx_mode;
	out->nlink = sx.stx_nlink;
	out->uid = sx.stx_uid;
	out->gid = sx.stx_gid;
	out->rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
	out->size = sx.stx_size;
	out->blocks = sx.stx_blocks;
	out->blksize = sx.stx_blksize;
	out->atime = (struct timespec){sx.stx_atime.tv_sec, sx.stx_atime.tv_nsec};
	out->mtime = (struct timespec){sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec};
	out->ctime = (struct timespec){sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec};
	if (sx.stx_mask & STATX_BTIME)
		out->btime = (struct timespec){sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec};
	return 0;
}

static int hf_setattr(struct sy_vfs *fs, struct sy_vfs_node *n, const struct sy_vfs_attr *attr,
		      unsigned mask, const struct sy_vfs_cred *cred)
{
	(void)cred;
	if (fs->readonly)
		return -EROFS;
	char path[64];
	hf_procpath(n, path, sizeof(path));
	if (mask & (SY_VFS_SET_UID | SY_VFS_SET_GID)) {
		uid_t uid = mask & SY_VFS_SET_UID ? attr->uid : (uid_t)-1;
		gid_t gid = mask & SY_VFS_SET_GID ? attr->gid : (gid_t)-1;
		if (fchownat(n->fd, "", uid, gid, AT_EMPTY_PATH) < 0)
			return -errno;
	}
	if (mask & SY_VFS_SET_MODE) {
		if (S_ISLNK(n->type))
			return -EOPNOTSUPP;
		if (chmod(path, attr->mode & 07777) < 0)
			return -errno;
	}
	if (mask & SY_VFS_SET_SIZE) {
		if (S_ISDIR(n->type))
			return -EISDIR;
		if (!S_ISREG(n->type))
			return -EINVAL;
		if (attr->size > INT64_MAX)
			return -EFBIG;
		if (truncate(path, (off_t)attr->size) < 0)
			return -errno;
	}
	unsigned tmask =
	    SY_VFS_SET_ATIME | SY_VFS_SET_MTIME | SY_VFS_SET_ATIME_NOW | SY_VFS_SET_MTIME_NOW;
	if (mask & tmask) {
		struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
		if (mask & SY_VFS_SET_ATIME)
			ts[0] = attr->atime;
		if (mask & SY_VFS_SET_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		if (mask & SY_VFS_SET_MTIME)
			ts[1] = attr->mtime;
		if (mask & SY_VFS_SET_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		if (utimensat(n->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	return 0;
}

/* ----------------------------------------------------------------- names */

static int hf_parent(struct sy_vfs *fs, struct sy_vfs_node *dir, struct sy_vfs_node **out)
{
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	struct stat st;
	if (fstatat(dir->fd, "", &st, AT_EMPTY_PATH) < 0)
		return -errno;
	if (st.st_nlink == 0)
		return -ENOENT;
	pthread_mutex_lock(&fs->lock);
	struct sy_vfs_node *p = dir == fs->root || !dir->parent ? fs->root : dir->parent;
	p->refs++;
	pthread_mutex_unlock(&fs->lock);
	*out = p;
	return 0;
}

static int hf_lookup(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name,
		     struct sy_vfs_node **out)
{
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	if (name && !strcmp(name, ".")) {
		hf_hold(fs, dir);
		*out = dir;
		return 0;
	}
	if (name && !strcmp(name, ".."))
		return hf_parent(fs, dir, out);
	int r = hf_check_name(name);
	if (r < 0)
		return r;
	int fd = hf_open_beneath(dir->fd, name, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	return hf_node_of_fd(fs, fd, dir, out);
}

/* The new name's node for out, when out is not NULL. */
static int hf_created(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name,
		      struct sy_vfs_node **out)
{
	if (!out)
		return 0;
	int fd = hf_open_beneath(dir->fd, name, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	return hf_node_of_fd(fs, fd, dir, out);
}

/* For a change to dir/name: the name checked, EEXIST or EROFS when the
 * instance is read-only and the name must be new. */
static int hf_check_new(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name)
{
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	int r = hf_check_name(name);
	if (r < 0)
		return r;
	if (fs->readonly) {
		struct stat st;
		if (fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return -EEXIST;
		return -EROFS;
	}
	return 0;
}

static int hf_chmod_new(struct sy_vfs_node *dir, const char *name, uint32_t mode)
{
	int fd = hf_open_beneath(dir->fd, name, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int r = chmod(path, mode & 07777) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int hf_create(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, uint32_t mode,
		     uint64_t rdev, const struct sy_vfs_cred *cred, struct sy_vfs_node **out)
{
	(void)cred;
	int r = hf_check_new(fs, dir, name);
	if (r < 0)
		return r;
	switch (mode & S_IFMT) {
	case S_IFREG: {
		int fd = openat(dir->fd, name, O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
				mode & 07777);
		if (fd < 0)
			return -errno;
		r = fchmod(fd, mode & 07777) < 0 ? -errno : 0;
		close(fd);
		break;
	}
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFBLK:
		if (mknodat(dir->fd, name, mode, (dev_t)rdev) < 0)
			return -errno;
		r = hf_chmod_new(dir, name, mode);
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;
	return hf_created(fs, dir, name, out);
}

static int hf_mkdir(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, uint32_t mode,
		    const struct sy_vfs_cred *cred, struct sy_vfs_node **out)
{
	(void)cred;
	int r = hf_check_new(fs, dir, name);
	if (r < 0)
		return r;
	if (mkdirat(dir->fd, name, mode & 07777) < 0)
		return -errno;
	/* a directory made in a set-group-ID directory inherits the bit */
	struct stat pst;
	if (fstatat(dir->fd, "", &pst, AT_EMPTY_PATH) == 0 && (pst.st_mode & S_ISGID))
		mode |= S_ISGID;
	r = hf_chmod_new(dir, name, mode);
	if (r < 0)
		return r;
	return hf_created(fs, dir, name, out);
}

static int hf_symlink(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name,
		      const char *target, const struct sy_vfs_cred *cred, struct sy_vfs_node **out)
{
	(void)cred;
	int r = hf_check_new(fs, dir, name);
	if (r < 0)
		return r;
	if (symlinkat(target, dir->fd, name) < 0)
		return -errno;
	return hf_created(fs, dir, name, out);
}

static long hf_readlink(struct sy_vfs *fs, struct sy_vfs_node *n, char *buf, size_t len)
{
	(void)fs;
	if (!S_ISLNK(n->type))
		return -EINVAL;
	ssize_t r = readlinkat(n->fd, "", buf, len);
	return r < 0 ? -errno : r;
}

static int hf_link(struct sy_vfs *fs, struct sy_vfs_node *n, struct sy_vfs_node *dir,
		   const char *name)
{
	int r = hf_check_new(fs, dir, name);
	if (r < 0)
		return r;
	if (S_ISDIR(n->type))
		return -EPERM;
	/* linkat(fd, "", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the magic
	 * link of our own fd does not. A symlink node's magic link leads to
	 * the symlink itself. */
	char path[64];
	hf_procpath(n, path, sizeof(path));
	if (linkat(AT_FDCWD, path, dir->fd, name, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	return 0;
}

static int hf_remove(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, int flags)
{
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	int r = hf_check_name(name);
	if (r < 0)
		return r;
	if (fs->readonly)
		return -EROFS;
	return unlinkat(dir->fd, name, flags) < 0 ? -errno : 0;
}

static int hf_unlink(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name)
{
	return hf_remove(fs, dir, name, 0);
}

static int hf_rmdir(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name)
{
	return hf_remove(fs, dir, name, AT_REMOVEDIR);
}

/* After a rename: the node of a directory now at dir/name, if there is one,
 * has dir as its parent. */
static void hf_reparent(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name)
{
	struct stat st;
	if (fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return;
	pthread_mutex_lock(&fs->lock);
	struct sy_vfs_node *n = hf_find_locked(fs, st.st_dev, st.st_ino);
	if (n)
		hf_set_parent_locked(fs, n, dir);
	pthread_mutex_unlock(&fs->lock);
}

static int hf_rename(struct sy_vfs *fs, struct sy_vfs_node *olddir, const char *oldname,
		     struct sy_vfs_node *newdir, const char *newname, unsigned flags)
{
	if (!S_ISDIR(olddir->type) || !S_ISDIR(newdir->type))
		return -ENOTDIR;
	int r = hf_check_name(oldname);
	if (r == 0)
		r = hf_check_name(newname);
	if (r < 0)
		return r;
	if (fs->readonly)
		return -EROFS;
	if (renameat2(olddir->fd, oldname, newdir->fd, newname, flags) < 0)
		return -errno;
	hf_reparent(fs, newdir, newname);
	if (flags & RENAME_EXCHANGE)
		hf_reparent(fs, olddir, oldname);
	return 0;
}

struct hf_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static long hf_readdir(struct sy_vfs *fs, struct sy_vfs_node *dir, uint64_t cookie,
		       struct sy_vfs_dirent *out, size_t n)
{
	(void)fs;
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	if (n == 0)
		return 0;
	int dfd = openat(dir->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (cookie && lseek(dfd, (off_t)cookie, SEEK_SET) < 0) {
		int e = errno;
		close(dfd);
		return -e;
	}
	size_t bufsize = n * 280 < 32768 ? n * 280 : 32768;
	char *buf = malloc(bufsize);
	if (!buf) {
		close(dfd);
		return -ENOMEM;
	}
	size_t got = 0;
	long r = 0;
	while (got < n) {
		long len = syscall(SYS_getdents64, dfd, buf, bufsize);
		if (len < 0) {
			r = -errno;
			break;
		}
		if (len == 0)
			break;
		for (long off = 0; off < len && got < n;) {
			struct hf_dirent64 *d = (struct hf_dirent64 *)(buf + off);
			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			struct sy_vfs_dirent *o = &out[got++];
			o->ino = d->d_ino;
			o->next = (uint64_t)d->d_off;
			o->type = d->d_type;
			if (o->type == DT_UNKNOWN) {
				struct stat st;
				if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
					o->type = IFTODT(st.st_mode);
			}
			snprintf(o->name, sizeof(o->name), "%s", d->d_name);
		}
	}
	free(buf);
	close(dfd);
	return got > 0 ? (long)got : r;
}

/* ------------------------------------------------------------------ data */

static int hf_data_check(struct sy_vfs_node *n)
{
	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -EINVAL;
	return 0;
}

static long hf_read(struct sy_vfs *fs, struct sy_vfs_node *n, void *buf, size_t len,
		    uint64_t offset)
{
	(void)fs;
	int r = hf_data_check(n);
	if (r < 0)
		return r;
	if (offset > INT64_MAX)
		return 0;
	int fd = __atomic_load_n(&n->rfd, __ATOMIC_ACQUIRE);
	if (fd < 0) {
		fd = hf_reopen(n, O_RDONLY);
		if (fd < 0)
			return fd;
		fd = hf_keep(fd); /* kept for the next reads */
		int expected = -1;
		if (!__atomic_compare_exchange_n(&n->rfd, &expected, fd, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			close(fd);
			fd = expected;
		}
	}
	ssize_t got = pread(fd, buf, len, (off_t)offset);
	return got < 0 ? -errno : got;
}

static long hf_write(struct sy_vfs *fs, struct sy_vfs_node *n, const void *buf, size_t len,
		     uint64_t offset, const struct sy_vfs_cred *cred)
{
	(void)cred;
	int r = hf_data_check(n);
	if (r < 0)
		return r;
	if (fs->readonly)
		return -EROFS;
	if (offset > INT64_MAX)
		return -EFBIG;
	int fd = hf_reopen(n, O_WRONLY);
	if (fd < 0)
		return fd;
	ssize_t put = pwrite(fd, buf, len, (off_t)offset);
	long ret = put < 0 ? -errno : put;
	close(fd);
	return ret;
}

static int hf_fallocate(struct sy_vfs *fs, struct sy_vfs_node *n, int mode, uint64_t offset,
			uint64_t len)
{
	int r = hf_data_check(n);
	if (r < 0)
		return r == -EINVAL ? -ENODEV : r;
	if (fs->readonly)
		return -EROFS;
	if (offset > INT64_MAX || len > INT64_MAX)
		return -EFBIG;
	int fd = hf_reopen(n, O_WRONLY);
	if (fd < 0)
		return fd;
	r = fallocate(fd, mode, (off_t)offset, (off_t)len) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int hf_fsync(struct sy_vfs *fs, struct sy_vfs_node *n, int datasync)
{
	(void)fs;
	if (!S_ISREG(n->type) && !S_ISDIR(n->type))
		return 0;
	int fd = hf_reopen(n, O_RDONLY);
	if (fd < 0)
		return fd;
	int r = (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int hf_statfs(struct sy_vfs *fs, struct sy_vfs_statfs *out)
{
	struct statfs s;
	if (fstatfs(fs->root->fd, &s) < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	out->magic = (uint64_t)s.f_type;
	out->bsize = (uint64_t)s.f_bsize;
	out->blocks = s.f_blocks;
	out->bfree = s.f_bfree;
	out->bavail = s.f_bavail;
	out->files = s.f_files;
	out->ffree = s.f_ffree;
	out->frsize = (uint64_t)(s.f_frsize ? s.f_frsize : s.f_bsize);
	uint64_t id0, id1;
	memcpy(&id0, &s.f_fsid, sizeof(uint32_t));
	memcpy(&id1, (const char *)&s.f_fsid + sizeof(uint32_t), sizeof(uint32_t));
	out->fsid = (id0 & 0xffffffffu) | (id1 & 0xffffffffu) << 32;
	out->flags = (uint64_t)s.f_flags & ~(uint64_t)0x20; /* without ST_VALID */
	if (fs->readonly)
		out->flags |= ST_RDONLY;
	out->namelen = (uint32_t)s.f_namelen;
	return 0;
}

/* Extended attributes: the host's, through the node's /proc/self/fd link
 * (the VFS layer has checked names and permissions). */
static long hf_getxattr(struct sy_vfs *fs, struct sy_vfs_node *n, const char *name, void *buf,
			size_t len)
{
	(void)fs;
	char p[64];
	hf_procpath(n, p, sizeof(p));
	ssize_t r = getxattr(p, name, buf, len);
	return r < 0 ? -errno : r;
}

static int hf_setxattr(struct sy_vfs *fs, struct sy_vfs_node *n, const char *name,
		       const void *value, size_t len, int flags)
{
	if (fs->readonly)
		return -EROFS;
	char p[64];
	hf_procpath(n, p, sizeof(p));
	return setxattr(p, name, value, len, flags) < 0 ? -errno : 0;
}

static long hf_listxattr(struct sy_vfs *fs, struct sy_vfs_node *n, char *buf, size_t len)
{
	(void)fs;
	char p[64];
	hf_procpath(n, p, sizeof(p));
	ssize_t r = listxattr(p, buf, len);
	return r < 0 ? -errno : r;
}

static int hf_removexattr(struct sy_vfs *fs, struct sy_vfs_node *n, const char *name)
{
	if (fs->readonly)
		return -EROFS;
	char p[64];
	hf_procpath(n, p, sizeof(p));
	return removexattr(p, name) < 0 ? -errno : 0;
}

/* SEEK_DATA and SEEK_HOLE: the host file system's answer. */
static int64_t hf_seek_hole(struct sy_vfs *fs, struct sy_vfs_node *n, uint64_t offset, int whence)
{
	(void)fs;
	int r = hf_data_check(n);
	if (r < 0)
		return r;
	int f = hf_reopen(n, O_RDONLY);
	if (f < 0)
		return f;
	off_t got = lseek(f, (off_t)offset, whence);
	int64_t res = got < 0 ? -errno : (int64_t)got;
	close(f);
	return res;
}

static int hf_data_fd(struct sy_vfs *fs, struct sy_vfs_node *n, int *fd, uint64_t *offset)
{
	int r = hf_data_check(n);
	if (r < 0)
		return r;
	int f = fs->readonly ? -EACCES : hf_reopen(n, O_RDWR);
	if (f == -EACCES || f == -EROFS || f == -ETXTBSY)
		f = hf_reopen(n, O_RDONLY);
	if (f < 0)
		return f;
	*fd = f;
	*offset = 0;
	return 0;
}

static const struct sy_vfs_backend hf_backend = {
    .version = SY_VFS_API_VERSION,
    .name = "hostfs",
    .mount = hf_mount,
    .unmount = hf_unmount,
    .save = hf_save,
    .restore = hf_restore,
    .fork_child = hf_fork_child,
    .root = hf_root,
    .hold = hf_hold,
    .release = hf_release,
    .node_id = hf_node_id,
    .node_from_id = hf_node_from_id,
    .set_refs = hf_set_refs,
    .getattr = hf_getattr,
    .setattr = hf_setattr,
    .lookup = hf_lookup,
    .parent = hf_parent,
    .create = hf_create,
    .mkdir = hf_mkdir,
    .symlink = hf_symlink,
    .readlink = hf_readlink,
    .link = hf_link,
    .unlink = hf_unlink,
    .rmdir = hf_rmdir,
    .rename = hf_rename,
    .readdir = hf_readdir,
    .read = hf_read,
    .write = hf_write,
    .fallocate = hf_fallocate,
    .fsync = hf_fsync,
    .statfs = hf_statfs,
    .data_fd = hf_data_fd,
    .seek_hole = hf_seek_hole,
    .getxattr = hf_getxattr,
    .setxattr = hf_setxattr,
    .listxattr = hf_listxattr,
    .removexattr = hf_removexattr,
    .lock = NULL,
};

const struct sy_vfs_backend *sy_hostfs_backend(void)
{
	return &hf_backend;
}
