/*
 * notesfs: a small file system for switchyard mounts, built only on the
 * public backend API <switchyard/vfs.h>. It is an example to copy from, not
 * a second memfs: a fixed table of 256 nodes and 512 names, files of at most
 * 64 KiB, one lock for everything.
 *
 * The table lives in one memfd mapped MAP_SHARED, so that every process of a
 * `switchyard run` sees the same files: a child after fork shares the
 * mapping, and a program after execve finds the memfd again through save()
 * and restore(). Real commands (`mkdir`, `cat`, `mv`) are separate programs,
 * so a backend kept on the heap of one process would show each of them an
 * empty file system. Nothing in the table is a pointer: nodes and names refer
 * to each other by slot number, valid at any address the table is mapped.
 *
 * Load it with `hook = libsy_example_notesfs.so` in [interposer] and mount it
 * with `type = notesfs`; README.md says more.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, RENAME_NOREPLACE */
#endif
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <switchyard/vfs.h>

#define NOTES_NODES 256
#define NOTES_NAMES 512
#define NOTES_FILE_MAX (64 * 1024)	  /* bytes per file; -EFBIG past it */
#define NOTES_MAGIC 0x3173657465746f6eull /* "notesfs1" */
#define NOTES_FS_MAGIC 0x6e6f7465	  /* statfs f_type: "note" */
#define NOTES_ROOT 0			  /* the root directory's slot */
/* tmpfs counts 20 bytes per directory entry, "." and ".." included */
#define NOTES_DIRENT_SIZE 20

/* One file, directory or symlink: a slot of the node table. The VFS layer
 * holds pointers to these as its node handles. */
struct sy_vfs_node {
	uint32_t used;
	uint32_t gen;	 /* bumped when the slot is freed: old ids go stale */
	uint32_t refs;	 /* handles held, by every process of the instance */
	uint32_t nlink;	 /* names (a directory: 2 + its subdirectories) */
	uint32_t parent; /* a directory's parent slot */
	uint32_t mode, uid, gid;
	uint64_t rdev, size;
	struct timespec atime, mtime, ctime, btime;
};

/* One name in a directory. A directory's entries are the used names whose
 * dir is its slot, listed in slot order: a slot number is a readdir cookie
 * that stays valid whatever else changes. */
struct notes_name {
	uint32_t used;
	uint32_t dir, node;
	char name[256];
};

/* Everything the instance has, in the shared memfd. */
struct notes_table {
	uint64_t magic;
	pthread_mutex_t lock; /* process-shared and robust */
	struct sy_vfs_node nodes[NOTES_NODES];
	struct notes_name names[NOTES_NAMES];
	char data[NOTES_NODES][NOTES_FILE_MAX]; /* file bytes, symlink targets */
};

/* This process's view of an instance. */
struct sy_vfs {
	int fd; /* the memfd: switchyard moves it out of the program's way */
	struct notes_table *t;
	uint64_t fsid;
};

/* Given by switchyard when it runs us; weak so the file also links alone. */
extern int sy_vfs_keep_fd(int *fdp) __attribute__((weak));

int switchyard_hook_init(void);

/* ---- small helpers ----------------------------------------------------- */

/* One lock for the whole table. A process killed while holding it leaves
 * EOWNERDEAD to the next one: we carry on (an example may lose the one
 * operation that was under way; a real backend would repair it). */
static void notes_lock(struct sy_vfs *fs)
{
	if (pthread_mutex_lock(&fs->t->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&fs->t->lock);
}

static void notes_unlock(struct sy_vfs *fs)
{
	pthread_mutex_unlock(&fs->t->lock);
}

/* tmpfs takes its times from the coarse clock, so do we. */
static struct timespec notes_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts;
}

static uint32_t slot_of(struct sy_vfs *fs, const struct sy_vfs_node *n)
{
	return (uint32_t)(n - fs->t->nodes);
}

static int is_dir(const struct sy_vfs_node *n)
{
	return S_ISDIR(n->mode);
}

/* A node with no name and no handle is gone: its slot is free again. */
static void maybe_free(struct sy_vfs *fs, struct sy_vfs_node *n)
{
	if (n->refs || n->nlink || slot_of(fs, n) == NOTES_ROOT)
		return;
	memset(fs->t->data[slot_of(fs, n)], 0, n->size); /* holes read as zeros */
	n->size = 0;
	n->used = 0;
	n->gen++;
}

static struct notes_name *name_find(struct sy_vfs *fs, uint32_t dir, const char *name)
{
	for (int i = 0; i < NOTES_NAMES; i++) {
		struct notes_name *e = &fs->t->names[i];
		if (e->used && e->dir == dir && strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

static int dir_is_empty(struct sy_vfs *fs, uint32_t dir)
{
	for (int i = 0; i < NOTES_NAMES; i++)
		if (fs->t->names[i].used && fs->t->names[i].dir == dir)
			return 0;
	return 1;
}

/* The directory's mtime and ctime, and its size as tmpfs counts it. */
static void dir_changed(struct sy_vfs_node *dir, int entries_delta)
{
	dir->size = (uint64_t)((int64_t)dir->size + entries_delta * NOTES_DIRENT_SIZE);
	dir->mtime = dir->ctime = notes_now();
}

static int name_add(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name,
		    struct sy_vfs_node *n)
{
	for (int i = 0; i < NOTES_NAMES; i++) {
		struct notes_name *e = &fs->t->names[i];
		if (e->used)
			continue;
		e->used = 1;
		e->dir = slot_of(fs, dir);
		e->node = slot_of(fs, n);
		snprintf(e->name, sizeof(e->name), "%s", name);
		dir_changed(dir, 1);
		return 0;
	}
	return -ENOSPC;
}

/* A directory a new name can go in: -ENOTDIR, or -ENOENT once removed. */
static int dir_check(const struct sy_vfs_node *dir)
{
	if (!is_dir(dir))
		return -ENOTDIR;
	return dir->nlink ? 0 : -ENOENT;
}

/* A new node owned by cred, in dir (whose set-group-ID bit it inherits as
 * on Linux). Its first name is added by the caller. */
static struct sy_vfs_node *node_new(struct sy_vfs *fs, struct sy_vfs_node *dir, uint32_t mode,
				    const struct sy_vfs_cred *cred)
{
	static const struct sy_vfs_cred root = {0, 0};
	if (!cred)
		cred = &root;
	for (int i = 0; i < NOTES_NODES; i++) {
		struct sy_vfs_node *n = &fs->t->nodes[i];
		if (n->used)
			continue;
		uint32_t gen = n->gen;
		memset(n, 0, sizeof(*n));
		n->used = 1;
		n->gen = gen;
		n->mode = mode;
		n->uid = cred->uid;
		n->gid = cred->gid;
		if (dir && (dir->mode & S_ISGID)) {
			n->gid = dir->gid;
			if (S_ISDIR(mode))
				n->mode |= S_ISGID;
		} else if (!S_ISDIR(mode) && (mode & S_ISGID) && cred->uid != 0 &&
			   cred->gid != n->gid) {
			n->mode &= ~(uint32_t)S_ISGID;
		}
		n->parent = dir ? slot_of(fs, dir) : (uint32_t)i;
		n->atime = n->mtime = n->ctime = n->btime = notes_now();
		return n;
	}
	return NULL;
}

/* What a write or a truncation by cred does to the set-ID bits. */
static void kill_set_id(struct sy_vfs_node *n, const struct sy_vfs_cred *cred)
{
	if (!cred || cred->uid == 0)
		return;
	n->mode &= ~(uint32_t)S_ISUID;
	if ((n->mode & S_IXGRP) || cred->gid != n->gid)
		n->mode &= ~(uint32_t)S_ISGID;
}

/* ---- instances --------------------------------------------------------- */

/* Maps the table held by fd; format: fill a new one. */
static int notes_attach(int fd, int format, struct sy_vfs **out, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size != sizeof(struct notes_table)) {
		snprintf(err, errlen, "notesfs: fd %d holds no notesfs table", fd);
		return -EINVAL;
	}
	struct notes_table *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (t == MAP_FAILED) {
		int e = errno;
		snprintf(err, errlen, "notesfs: mmap: %s", strerror(e));
		return -e;
	}
	if (!format && t->magic != NOTES_MAGIC) {
		munmap(t, sizeof(*t));
		snprintf(err, errlen, "notesfs: fd %d holds no notesfs table", fd);
		return -EINVAL;
	}
	struct sy_vfs *fs = calloc(1, sizeof(*fs));
	if (!fs) {
		munmap(t, sizeof(*t));
		snprintf(err, errlen, "notesfs: out of memory");
		return -ENOMEM;
	}
	fs->fd = fd;
	fs->t = t;
	fs->fsid = (uint64_t)st.st_dev << 32 ^ (uint64_t)st.st_ino;
	if (sy_vfs_keep_fd) /* out of the program's way, and hidden from it */
		sy_vfs_keep_fd(&fs->fd);
	if (format) {
		pthread_mutexattr_t attr;
		pthread_mutexattr_init(&attr);
		pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&t->lock, &attr);
		pthread_mutexattr_destroy(&attr);
		/* the root, as tmpfs mounts it: mode 1777, never freed */
		struct sy_vfs_node *root = node_new(fs, NULL, S_IFDIR | 01777, NULL);
		root->nlink = 2;
		root->size = 2 * NOTES_DIRENT_SIZE;
		t->magic = NOTES_MAGIC;
	}
	*out = fs;
	return 0;
}

/* A file named `welcome` holding TEXT and a newline. */
static int notes_seed(struct sy_vfs *fs, const char *text)
{
	struct sy_vfs_node *root = &fs->t->nodes[NOTES_ROOT];
	struct sy_vfs_node *n = node_new(fs, root, S_IFREG | 0644, NULL);
	size_t len = strlen(text);
	if (!n || len + 1 > NOTES_FILE_MAX)
		return -EFBIG;
	memcpy(fs->t->data[slot_of(fs, n)], text, len);
	fs->t->data[slot_of(fs, n)][len] = '\n';
	n->size = len + 1;
	n->nlink = 1;
	return name_add(fs, root, "welcome", n);
}

/* Options: `greeting = TEXT` seeds a file. Any other key is an error. */
static int notes_mount(const struct sy_vfs_option *options, int noptions, struct sy_vfs **out,
		       char *err, size_t errlen)
{
	const char *greeting = NULL;
	for (int i = 0; i < noptions; i++) {
		if (strcmp(options[i].key, "greeting") == 0) {
			greeting = options[i].value;
		} else {
			snprintf(err, errlen, "notesfs: unknown option '%s' (known: greeting)",
				 options[i].key);
			return -EINVAL;
		}
	}
	/* Not close-on-exec: the program after execve maps it again. */
	int fd = memfd_create("notesfs", 0);
	if (fd < 0 || ftruncate(fd, sizeof(struct notes_table)) < 0) {
		int e = errno;
		snprintf(err, errlen, "notesfs: memfd: %s", strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	int r = notes_attach(fd, 1, out, err, errlen);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (greeting && (r = notes_seed(*out, greeting)) < 0) {
		snprintf(err, errlen, "notesfs: greeting: %s", strerror(-r));
		return r;
	}
	return 0;
}

static void notes_unmount(struct sy_vfs *fs)
{
	munmap(fs->t, sizeof(*fs->t));
	close(fs->fd);
	free(fs);
}

/* Across execve: the memfd's number is all the next program needs. */
static int notes_save(struct sy_vfs *fs, char *buf, size_t len)
{
	int n = snprintf(buf, len, "fd=%d", fs->fd);
	return n > 0 && (size_t)n < len ? 0 : -ENOSPC;
}

static int notes_restore(const char *saved, struct sy_vfs **out, char *err, size_t errlen)
{
	int fd;
	if (sscanf(saved, "fd=%d", &fd) != 1 || fd < 0) {
		snprintf(err, errlen, "notesfs: bad saved state '%s'", saved);
		return -EINVAL;
	}
	return notes_attach(fd, 0, out, err, errlen);
}

/* ---- nodes ------------------------------------------------------------- */

static struct sy_vfs_node *notes_root(struct sy_vfs *fs)
{
	notes_lock(fs);
	struct sy_vfs_node *root = &fs->t->nodes[NOTES_ROOT];
	root->refs++;
	notes_unlock(fs);
	return root;
}

static void notes_hold(struct sy_vfs *fs, struct sy_vfs_node *n)
{
	notes_lock(fs);
	n->refs++;
	notes_unlock(fs);
}

static void notes_release(struct sy_vfs *fs, struct sy_vfs_node *n)
{
	notes_lock(fs);
	if (n->refs)
		n->refs--;
	maybe_free(fs, n);
	notes_unlock(fs);
}

/* Slot in the low half, generation in the high half. */
static uint64_t notes_node_id(struct sy_vfs *fs, struct sy_vfs_node *n)
{
	return (uint64_t)n->gen << 32 | slot_of(fs, n);
}

static int notes_node_from_id(struct sy_vfs *fs, uint64_t id, struct sy_vfs_node **out)
{
	uint64_t slot = id & 0xffffffffu;
	if (slot >= NOTES_NODES)
		return -ESTALE;
	struct sy_vfs_node *n = &fs->t->nodes[slot];
	int r = -ESTALE;
	notes_lock(fs);
	if (n->used && n->gen == id >> 32) {
		n->refs++;
		*out = n;
		r = 0;
	}
	notes_unlock(fs);
	return r;
}

static int notes_set_refs(struct sy_vfs *fs, struct sy_vfs_node *n, uint32_t refs)
{
	notes_lock(fs);
	n->refs = refs;
	maybe_free(fs, n);
	notes_unlock(fs);
	return 0;
}

static int notes_getattr(struct sy_vfs *fs, struct sy_vfs_node *n, struct sy_vfs_attr *out)
{
	notes_lock(fs);
	memset(out, 0, sizeof(*out));
	out->ino = slot_of(fs, n) + 1;
	out->mode = n->mode;
	out->nlink = n->nlink;
	out->uid = n->uid;
	out->gid = n->gid;
	out->rdev = n->rdev;
	out->size = n->size;
	/* a regular file takes whole 4 KiB pages, as on tmpfs (no holes here) */
	out->blocks = S_ISREG(n->mode) ? (n->size + 4095) / 4096 * 8 : 0;
	out->blksize = 4096;
	out->atime = n->atime;
	out->mtime = n->mtime;
	out->ctime = n->ctime;
	out->btime = n->btime;
	notes_unlock(fs);
	return 0;
}

static int notes_setattr(struct sy_vfs *fs, struct sy_vfs_node *n, const struct sy_vfs_attr *attr,
			 unsigned mask, const struct sy_vfs_cred *cred)
{
	struct timespec now = notes_now();
	int r = 0;
	notes_lock(fs);
	if (mask & SY_VFS_SET_SIZE) {
		if (is_dir(n))
			r = -EISDIR;
		else if (!S_ISREG(n->mode))
			r = -EINVAL;
		else if (attr->size > NOTES_FILE_MAX)
			r = -EFBIG;
		if (r < 0)
			goto out;
		if (attr->size < n->size) /* what is cut off reads as zeros if regrown */
			memset(fs->t->data[slot_of(fs, n)] + attr->size, 0, n->size - attr->size);
		n->size = attr->size;
		n->mtime = now;
		kill_set_id(n, cred);
	}
	if (mask & SY_VFS_SET_UID)
		n->uid = attr->uid;
	if (mask & SY_VFS_SET_GID)
		n->gid = attr->gid;
	if ((mask & (SY_VFS_SET_UID | SY_VFS_SET_GID)) && !is_dir(n)) {
		n->mode &= ~(uint32_t)S_ISUID;
		if ((n->mode & S_IXGRP) || (cred && cred->uid != 0 && cred->gid != n->gid))
			n->mode &= ~(uint32_t)S_ISGID;
	}
	if (mask & SY_VFS_SET_MODE)
		n->mode = (n->mode & S_IFMT) | (attr->mode & 07777);
	if (mask & SY_VFS_SET_ATIME)
		n->atime = attr->atime;
	if (mask & SY_VFS_SET_MTIME)
		n->mtime = attr->mtime;
	if (mask & SY_VFS_SET_ATIME_NOW)
		n->atime = now;
	if (mask & SY_VFS_SET_MTIME_NOW)
		n->mtime = now;
	n->ctime = now;
out:
	notes_unlock(fs);
	return r;
}

/* ---- names ------------------------------------------------------------- */

static int notes_lookup(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name,
			struct sy_vfs_node **out)
{
	int r = -ENOENT;
	notes_lock(fs);
	if (!is_dir(dir)) {
		r = -ENOTDIR;
	} else {
		struct notes_name *e = name_find(fs, slot_of(fs, dir), name);
		if (e) {
			*out = &fs->t->nodes[e->node];
			(*out)->refs++;
			r = 0;
		}
	}
	notes_unlock(fs);
	return r;
}

static int notes_parent(struct sy_vfs *fs, struct sy_vfs_node *dir, struct sy_vfs_node **out)
{
	int r;
	notes_lock(fs);
	r = dir_check(dir);
	if (r == 0) {
		*out = &fs->t->nodes[dir->parent];
		(*out)->refs++;
	}
	notes_unlock(fs);
	return r;
}

/* create, mkdir and symlink: a new node under a new name. */
static int notes_make(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, uint32_t mode,
		      uint64_t rdev, const char *target, const struct sy_vfs_cred *cred,
		      struct sy_vfs_node **out)
{
	size_t tlen = target ? strlen(target) : 0;
	if (tlen >= NOTES_FILE_MAX)
		return -ENAMETOOLONG;
	notes_lock(fs);
	int r = dir_check(dir);
	if (r == 0 && name_find(fs, slot_of(fs, dir), name))
		r = -EEXIST;
	struct sy_vfs_node *n = r == 0 ? node_new(fs, dir, mode, cred) : NULL;
	if (r == 0 && !n)
		r = -ENOSPC;
	if (r == 0 && (r = name_add(fs, dir, name, n)) < 0)
		n->used = 0; /* no name slot left: give the node back */
	if (r == 0) {
		n->rdev = rdev;
		n->nlink = S_ISDIR(mode) ? 2 : 1;
		if (S_ISDIR(mode)) {
			n->size = 2 * NOTES_DIRENT_SIZE;
			dir->nlink++; /* the new directory's ".." */
		}
		if (target) {
			memcpy(fs->t->data[slot_of(fs, n)], target, tlen);
			n->size = tlen;
		}
		if (out) {
			n->refs++;
			*out = n;
		}
	}
	notes_unlock(fs);
	return r;
}

static int notes_create(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, uint32_t mode,
			uint64_t rdev, const struct sy_vfs_cred *cred, struct sy_vfs_node **out)
{
	return notes_make(fs, dir, name, mode, rdev, NULL, cred, out);
}

static int notes_mkdir(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, uint32_t mode,
		       const struct sy_vfs_cred *cred, struct sy_vfs_node **out)
{
	return notes_make(fs, dir, name, S_IFDIR | (mode & 07777), 0, NULL, cred, out);
}

static int notes_symlink(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name,
			 const char *target, const struct sy_vfs_cred *cred,
			 struct sy_vfs_node **out)
{
	return notes_make(fs, dir, name, S_IFLNK | 0777, 0, target, cred, out);
}

static long notes_readlink(struct sy_vfs *fs, struct sy_vfs_node *n, char *buf, size_t len)
{
	long r = -EINVAL;
	notes_lock(fs);
	if (S_ISLNK(n->mode)) {
		r = (long)(n->size < len ? n->size : len);
		memcpy(buf, fs->t->data[slot_of(fs, n)], (size_t)r);
	}
	notes_unlock(fs);
	return r;
}

static int notes_link(struct sy_vfs *fs, struct sy_vfs_node *n, struct sy_vfs_node *dir,
		      const char *name)
{
	notes_lock(fs);
	int r = dir_check(dir);
	if (r == 0 && is_dir(n))
		r = -EPERM;
	if (r == 0 && name_find(fs, slot_of(fs, dir), name))
		r = -EEXIST;
	if (r == 0 && (r = name_add(fs, dir, name, n)) == 0) {
		n->nlink++;
		n->ctime = notes_now();
	}
	notes_unlock(fs);
	return r;
}

/* Drops the name e (of a node that is not a directory, or of an empty one). */
static void name_remove(struct sy_vfs *fs, struct notes_name *e)
{
	struct sy_vfs_node *dir = &fs->t->nodes[e->dir];
	struct sy_vfs_node *n = &fs->t->nodes[e->node];
	e->used = 0;
	dir_changed(dir, -1);
	if (is_dir(n)) {
		n->nlink = 0; /* removed: no name, no "." */
		dir->nlink--;
	} else {
		n->nlink--;
	}
	n->ctime = dir->mtime;
	maybe_free(fs, n);
}

static int notes_unlink(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name)
{
	notes_lock(fs);
	int r = is_dir(dir) ? 0 : -ENOTDIR;
	struct notes_name *e = r == 0 ? name_find(fs, slot_of(fs, dir), name) : NULL;
	if (r == 0 && !e)
		r = -ENOENT;
	if (r == 0 && is_dir(&fs->t->nodes[e->node]))
		r = -EISDIR;
	if (r == 0)
		name_remove(fs, e);
	notes_unlock(fs);
	return r;
}

static int notes_rmdir(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name)
{
	notes_lock(fs);
	int r = is_dir(dir) ? 0 : -ENOTDIR;
	struct notes_name *e = r == 0 ? name_find(fs, slot_of(fs, dir), name) : NULL;
	if (r == 0 && !e)
		r = -ENOENT;
	if (r == 0 && !is_dir(&fs->t->nodes[e->node]))
		r = -ENOTDIR;
	if (r == 0 && !dir_is_empty(fs, e->node))
		r = -ENOTEMPTY;
	if (r == 0)
		name_remove(fs, e);
	notes_unlock(fs);
	return r;
}

/* The name e now means node n in directory newdir (its slot, and so its
 * place in readdir, stays). A directory moving to another parent takes its
 * ".." along. */
static void name_point(struct sy_vfs *fs, struct notes_name *e, struct sy_vfs_node *newdir)
{
	struct sy_vfs_node *n = &fs->t->nodes[e->node];
	if (is_dir(n) && e->dir != slot_of(fs, newdir)) {
		fs->t->nodes[e->dir].nlink--;
		newdir->nlink++;
		n->parent = slot_of(fs, newdir);
	}
	e->dir = slot_of(fs, newdir);
	n->ctime = notes_now();
}

static int notes_rename(struct sy_vfs *fs, struct sy_vfs_node *olddir, const char *oldname,
			struct sy_vfs_node *newdir, const char *newname, unsigned flags)
{
	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	notes_lock(fs);
	int r = dir_check(olddir);
	if (r == 0)
		r = dir_check(newdir);
	struct notes_name *from = r == 0 ? name_find(fs, slot_of(fs, olddir), oldname) : NULL;
	struct notes_name *to = r == 0 ? name_find(fs, slot_of(fs, newdir), newname) : NULL;
	if (r == 0 && !from)
		r = -ENOENT;
	if (r < 0)
		goto out;
	struct sy_vfs_node *src = &fs->t->nodes[from->node];
	if (flags & RENAME_EXCHANGE) {
		if (!to) {
			r = -ENOENT;
		} else if (from != to) {
			struct sy_vfs_node *olddir_now = &fs->t->nodes[from->dir];
			name_point(fs, from, newdir);
			name_point(fs, to, olddir_now);
			struct notes_name tmp = *from; /* swap the names, keep the slots */
			memcpy(from->name, to->name, sizeof(from->name));
			memcpy(to->name, tmp.name, sizeof(to->name));
			dir_changed(olddir, 0);
			dir_changed(newdir, 0);
		}
		goto out;
	}
	if (to && (flags & RENAME_NOREPLACE)) {
		r = -EEXIST;
		goto out;
	}
	if (to && to->node == from->node) /* two names of one node: nothing to do */
		goto out;
	if (to) {
		struct sy_vfs_node *dst = &fs->t->nodes[to->node];
		if (is_dir(src) && !is_dir(dst))
			r = -ENOTDIR;
		else if (!is_dir(src) && is_dir(dst))
			r = -EISDIR;
		else if (is_dir(dst) && !dir_is_empty(fs, to->node))
			r = -ENOTEMPTY;
		if (r < 0)
			goto out;
		name_remove(fs, to);
	}
	if (from->dir != slot_of(fs, newdir)) {
		dir_changed(olddir, -1);
		dir_changed(newdir, 1);
	} else {
		dir_changed(olddir, 0);
	}
	name_point(fs, from, newdir);
	snprintf(from->name, sizeof(from->name), "%s", newname);
out:
	notes_unlock(fs);
	return r;
}

static unsigned char dirent_type(uint32_t mode)
{
	return (unsigned char)IFTODT(mode);
}

static long notes_readdir(struct sy_vfs *fs, struct sy_vfs_node *dir, uint64_t cookie,
			  struct sy_vfs_dirent *out, size_t n)
{
	long count = 0;
	notes_lock(fs);
	if (!is_dir(dir)) {
		count = -ENOTDIR;
		goto out;
	}
	for (uint64_t i = cookie; i < NOTES_NAMES && (size_t)count < n; i++) {
		const struct notes_name *e = &fs->t->names[i];
		if (!e->used || e->dir != slot_of(fs, dir))
			continue;
		struct sy_vfs_dirent *d = &out[count++];
		d->ino = e->node + 1;
		d->next = i + 1;
		d->type = dirent_type(fs->t->nodes[e->node].mode);
		memcpy(d->name, e->name, sizeof(d->name));
	}
out:
	notes_unlock(fs);
	return count;
}

/* ---- data -------------------------------------------------------------- */

static long notes_read(struct sy_vfs *fs, struct sy_vfs_node *n, void *buf, size_t len,
		       uint64_t offset)
{
	long r = 0;
	notes_lock(fs);
	if (is_dir(n)) {
		r = -EISDIR;
	} else if (!S_ISREG(n->mode)) {
		r = -EINVAL;
	} else if (offset < n->size) {
		r = (long)(n->size - offset < len ? n->size - offset : len);
		memcpy(buf, fs->t->data[slot_of(fs, n)] + offset, (size_t)r);
	}
	/* relatime, tmpfs's default: atime moves when it is older than the
	 * last change, or a day old */
	struct timespec now = notes_now();
	if (r >= 0 &&
	    (n->atime.tv_sec < n->mtime.tv_sec ||
	     (n->atime.tv_sec == n->mtime.tv_sec && n->atime.tv_nsec <= n->mtime.tv_nsec) ||
	     now.tv_sec - n->atime.tv_sec >= 24 * 3600))
		n->atime = now;
	notes_unlock(fs);
	return r;
}

static long notes_write(struct sy_vfs *fs, struct sy_vfs_node *n, const void *buf, size_t len,
			uint64_t offset, const struct sy_vfs_cred *cred)
{
	long r;
	notes_lock(fs);
	if (is_dir(n)) {
		r = -EISDIR;
	} else if (!S_ISREG(n->mode)) {
		r = -EINVAL;
	} else if (offset >= NOTES_FILE_MAX) {
		r = len ? -EFBIG : 0; /* as the kernel does at a file system's size limit */
	} else {
		r = (long)(NOTES_FILE_MAX - offset < len ? NOTES_FILE_MAX - offset : len);
		memcpy(fs->t->data[slot_of(fs, n)] + offset, buf, (size_t)r);
		if (offset + (uint64_t)r > n->size)
			n->size = offset + (uint64_t)r;
		if (r > 0) {
			n->mtime = n->ctime = notes_now();
			kill_set_id(n, cred);
		}
	}
	notes_unlock(fs);
	return r;
}

static int notes_fallocate(struct sy_vfs *fs, struct sy_vfs_node *n, int mode, uint64_t offset,
			   uint64_t len)
{
	(void)fs, (void)n, (void)mode, (void)offset, (void)len;
	return -EOPNOTSUPP;
}

static int notes_fsync(struct sy_vfs *fs, struct sy_vfs_node *n, int datasync)
{
	(void)fs, (void)n, (void)datasync;
	return 0; /* memory is all there is */
}

static int notes_statfs(struct sy_vfs *fs, struct sy_vfs_statfs *out)
{
	uint64_t nodes_free = 0, blocks_used = 0;
	notes_lock(fs);
	for (int i = 0; i < NOTES_NODES; i++) {
		const struct sy_vfs_node *n = &fs->t->nodes[i];
		if (!n->used)
			nodes_free++;
		else if (S_ISREG(n->mode))
			blocks_used += (n->size + 4095) / 4096;
	}
	notes_unlock(fs);
	memset(out, 0, sizeof(*out));
	out->magic = NOTES_FS_MAGIC;
	out->bsize = out->frsize = 4096;
	out->blocks = (uint64_t)NOTES_NODES * NOTES_FILE_MAX / 4096;
	out->bfree = out->bavail = out->blocks - blocks_used;
	out->files = NOTES_NODES;
	out->ffree = nodes_free;
	out->fsid = fs->fsid;
	out->namelen = 255;
	return 0;
}

/* ---- registration ------------------------------------------------------ */

static const struct sy_vfs_backend notesfs = {
    .version = SY_VFS_API_VERSION,
    .name = "notesfs",
    .mount = notes_mount,
    .unmount = notes_unmount,
    .save = notes_save,
    .restore = notes_restore,
    .fork_child = NULL, /* the mapping and its lock are shared already */
    .root = notes_root,
    .hold = notes_hold,
    .release = notes_release,
    .node_id = notes_node_id,
    .node_from_id = notes_node_from_id,
    .set_refs = notes_set_refs,
    .getattr = notes_getattr,
    .setattr = notes_setattr,
    .lookup = notes_lookup,
    .parent = notes_parent,
    .create = notes_create,
    .mkdir = notes_mkdir,
    .symlink = notes_symlink,
    .readlink = notes_readlink,
    .link = notes_link,
    .unlink = notes_unlink,
    .rmdir = notes_rmdir,
    .rename = notes_rename,
    .readdir = notes_readdir,
    .read = notes_read,
    .write = notes_write,
    .fallocate = notes_fallocate,
    .fsync = notes_fsync,
    .statfs = notes_statfs,
    /* data_fd, lock, map_pages, seek_hole: NULL, the VFS layer answers
     * without them (no mmap(MAP_SHARED), no execve of a stored program) */
};

/* Called by switchyard when it loads the library (`hook =`), before it sets
 * up the mounts: from here on, `type = notesfs` finds us. */
int switchyard_hook_init(void)
{
	return sy_vfs_register(&notesfs) == 0 ? 0 : 1;
}
