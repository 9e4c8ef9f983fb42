/*
 * switchyard file-system backend API: what a file system under a mount point
 * implements. The VFS layer (vfs/) does everything that is the same for all
 * of them, as the kernel's VFS does: path walks, symlinks and `..` across
 * mounts, permission checks, the fd table, offsets and flags of open files,
 * O_APPEND, O_CLOEXEC, readiness. A backend only answers for its own nodes,
 * in the spirit of SQLite's sqlite3_vfs: a plain structure of functions with
 * a version, each contract written beside it. memfs and hostfs are ordinary
 * clients of this header, like a backend of your own (examples/).
 *
 * Status: version 2, with what building memfs showed was missing; the VFS
 * layer and hostfs are being built against it.
 *
 * Conventions:
 *  - Functions return 0 (or a count) on success and a negative errno on
 *    failure, with the errno Linux's tmpfs gives in the same case.
 *  - Names are single path components: no '/', not empty, not "." or "..",
 *    at most 255 bytes (the VFS layer checks before calling).
 *  - Nodes are handles with references. Every function that hands out a
 *    node gives the caller one reference; release() drops it. A node's data
 *    lives while any reference or name remains (a file unlinked while open
 *    keeps its data until the last close).
 *  - One instance may be used by several threads and, for a backend whose
 *    state is shared (memfs), by several processes at once: the backend
 *    locks what it shares. The VFS layer never holds a backend lock.
 *  - The backend keeps times as tmpfs does (write changes mtime and ctime,
 *    and so on); the VFS layer only passes explicit changes (utimensat).
 */
#ifndef SWITCHYARD_VFS_H
#define SWITCHYARD_VFS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: parent(), set_refs(), credentials on write() and setattr(), ids with
 * generations (ESTALE), frsize/fsid/flags in statfs, out may be NULL.
 * 3: map_pages(), seek_hole(), the extended attribute calls. */
#define SY_VFS_API_VERSION 3

struct sy_vfs;	    /* one mounted instance; the backend defines it */
struct sy_vfs_node; /* one file, directory, symlink...; the backend defines it */

/* Who asks: for the owner of new nodes and setgid directories, and for the
 * set-user-ID and set-group-ID bits write() and setattr() clear. uid 0
 * stands for a caller with the capabilities (CAP_FSETID, CAP_CHOWN); there
 * are no supplementary groups, so "in the file's group" is gid == the
 * file's gid. A NULL cred is uid 0, gid 0. */
struct sy_vfs_cred {
	uint32_t uid, gid;
};

/* What stat reports. */
struct sy_vfs_attr {
	uint64_t ino;  /* unique in the instance while the node exists;
			* st_dev is the VFS layer's (one per mount) */
	uint32_t mode; /* S_IFMT type and permission bits, as st_mode */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t rdev;
	uint64_t size;
	uint64_t blocks; /* 512-byte units */
	uint32_t blksize;
	struct timespec atime, mtime, ctime, btime;
};

/* Which fields setattr() changes. SIZE truncates or extends with zeros. */
#define SY_VFS_SET_MODE (1u << 0)
#define SY_VFS_SET_UID (1u << 1)
#define SY_VFS_SET_GID (1u << 2)
#define SY_VFS_SET_SIZE (1u << 3)
#define SY_VFS_SET_ATIME (1u << 4)     /* to attr->atime */
#define SY_VFS_SET_MTIME (1u << 5)     /* to attr->mtime */
#define SY_VFS_SET_ATIME_NOW (1u << 6) /* to the current time */
#define SY_VFS_SET_MTIME_NOW (1u << 7)

/* One directory entry. `next` is the cookie to continue after it: cookies
 * stay valid while the directory changes, as with tmpfs (an entry added or
 * removed meanwhile may or may not be seen; no other entry is seen twice or
 * missed). "." and ".." are not listed: the VFS layer adds them. */
struct sy_vfs_dirent {
	uint64_t ino;
	uint64_t next;
	uint8_t type; /* DT_REG, DT_DIR, DT_LNK, ... */
	char name[256];
};

/* What statfs and statvfs report. blocks, bfree and bavail count frsize
 * units. */
struct sy_vfs_statfs {
	uint64_t magic; /* f_type, e.g. TMPFS_MAGIC */
	uint64_t bsize, blocks, bfree, bavail, files, ffree;
	uint64_t frsize; /* f_frsize, the fragment size */
	uint64_t fsid;	 /* the same for every process that uses the instance */
	uint64_t flags;	 /* ST_* bits of the backend itself (ST_RDONLY,
			  * ST_RELATIME...); the VFS layer adds the mount's */
	uint32_t namelen;
};

/* A mount's options from the config, as key and value strings. */
struct sy_vfs_option {
	const char *key, *value;
};

/* Advisory locks: flock() and fcntl() record locks, with the kernel's
 * semantics; `owner` identifies the open file description (flock, OFD
 * locks) or the process (POSIX record locks), as the VFS layer decides. */
struct sy_vfs_lock {
	int type;	/* F_RDLCK, F_WRLCK, F_UNLCK */
	uint64_t start; /* byte range; whole file for flock */
	uint64_t len;	/* 0: to the end */
	uint64_t owner;
	int32_t pid; /* for F_GETLK */
};

struct sy_vfs_backend {
	int version;	  /* SY_VFS_API_VERSION */
	const char *name; /* what the config's `type =` names, e.g. "memfs" */

	/* --- instances --- */

	/* Creates an instance from the mount's options. Unknown or bad options
	 * are an error with a message in err. */
	int (*mount)(const struct sy_vfs_option *options, int noptions, struct sy_vfs **out,
		     char *err, size_t errlen);
	void (*unmount)(struct sy_vfs *fs);

	/* The instance across execve: save() writes a short string (at most
	 * len bytes, NUL included) from which restore(), in the new program,
	 * finds the same instance (memfs: its shared memory). A backend whose
	 * instances hold nothing across processes returns -ENOSYS from save()
	 * and is mounted afresh. */
	int (*save)(struct sy_vfs *fs, char *buf, size_t len);
	int (*restore)(const char *saved, struct sy_vfs **out, char *err, size_t errlen);

	/* In the child of a fork, before it runs program code. Optional. */
	void (*fork_child)(struct sy_vfs *fs);

	/* --- nodes --- */

	struct sy_vfs_node *(*root)(struct sy_vfs *fs);
	void (*hold)(struct sy_vfs *fs, struct sy_vfs_node *node);
	void (*release)(struct sy_vfs *fs, struct sy_vfs_node *node);

	/* A node as a number another process of the same instance (after fork
	 * or execve) turns back into the node: what an open fd refers to.
	 * Ids carry a generation: node_from_id() of an id whose node is gone
	 * gives -ESTALE, even when the node's storage now holds another node
	 * (and for any number that was never an id). */
	uint64_t (*node_id)(struct sy_vfs *fs, struct sy_vfs_node *node);
	int (*node_from_id)(struct sy_vfs *fs, uint64_t id, struct sy_vfs_node **out);

	/* Sets the node's reference count to what the VFS layer counted in
	 * the open fds that still exist (after a process holding references
	 * died); the node is freed if it has no names and refs is 0. refs is
	 * the whole count after the call: a reference the caller holds to make
	 * the call and will release() is counted in it; with 0 the caller's
	 * handle must not be used again. */
	int (*set_refs)(struct sy_vfs *fs, struct sy_vfs_node *node, uint32_t refs);

	int (*getattr)(struct sy_vfs *fs, struct sy_vfs_node *node, struct sy_vfs_attr *out);
	/* The fields of mask, as the kernel's notify_change() after the VFS
	 * layer's permission checks. For a non-directory, a change of owner or
	 * group (SET_UID or SET_GID, even to the same ids) clears S_ISUID, and
	 * S_ISGID when S_IXGRP is set or cred is not uid 0 and not in the
	 * file's group; SET_SIZE by a cred other than uid 0 clears them as
	 * write() does. With SET_MODE the mode given is taken as it is. */
	int (*setattr)(struct sy_vfs *fs, struct sy_vfs_node *node, const struct sy_vfs_attr *attr,
		       unsigned mask, const struct sy_vfs_cred *cred);

	/* --- names in a directory --- */

	/* -ENOENT if there is no such name; -ENOTDIR if dir is not one. */
	int (*lookup)(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name,
		      struct sy_vfs_node **out);
	/* The directory holding dir (`..`); the root's parent is the root
	 * itself. -ENOTDIR if dir is not a directory, -ENOENT if it has been
	 * removed. */
	int (*parent)(struct sy_vfs *fs, struct sy_vfs_node *dir, struct sy_vfs_node **out);
	/* create, mkdir and symlink: out may be NULL (no reference is taken).
	 * A regular file, FIFO, socket or device node, by mode (S_IFMT);
	 * -EEXIST if the name exists. */
	int (*create)(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, uint32_t mode,
		      uint64_t rdev, const struct sy_vfs_cred *cred, struct sy_vfs_node **out);
	int (*mkdir)(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, uint32_t mode,
		     const struct sy_vfs_cred *cred, struct sy_vfs_node **out);
	int (*symlink)(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name,
		       const char *target, const struct sy_vfs_cred *cred,
		       struct sy_vfs_node **out);
	/* The target, not NUL-terminated; returns its length (at most len). */
	long (*readlink)(struct sy_vfs *fs, struct sy_vfs_node *node, char *buf, size_t len);
	/* A new name for an existing non-directory node; also for one with
	 * no names left (an O_TMPFILE file being named: the VFS layer refuses
	 * the other cases with ENOENT, as the kernel does). */
	int (*link)(struct sy_vfs *fs, struct sy_vfs_node *node, struct sy_vfs_node *dir,
		    const char *name);
	/* Removes a non-directory name (-EISDIR for a directory). */
	int (*unlink)(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name);
	/* Removes an empty directory (-ENOTEMPTY, -ENOTDIR). */
	int (*rmdir)(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name);
	/* rename(2) within the instance, with RENAME_NOREPLACE and
	 * RENAME_EXCHANGE; the VFS layer has already refused moving a
	 * directory into itself and crossing instances (EXDEV). */
	int (*rename)(struct sy_vfs *fs, struct sy_vfs_node *olddir, const char *oldname,
		      struct sy_vfs_node *newdir, const char *newname, unsigned flags);
	/* Up to n entries from `cookie` (0: the start); returns how many, 0 at
	 * the end. */
	long (*readdir)(struct sy_vfs *fs, struct sy_vfs_node *dir, uint64_t cookie,
			struct sy_vfs_dirent *out, size_t n);

	/* --- data --- */

	/* Bytes read (0 at or past the end). -EISDIR for a directory. */
	long (*read)(struct sy_vfs *fs, struct sy_vfs_node *node, void *buf, size_t len,
		     uint64_t offset);
	/* Bytes written, growing the file as needed; -ENOSPC when the
	 * instance is full (a short count if some bytes fitted), -EFBIG. A
	 * write of at least one byte by a cred other than uid 0 clears S_ISUID,
	 * and S_ISGID when S_IXGRP is set or cred is not in the file's group
	 * (Linux 6.x, checked on tmpfs; uid 0 keeps both). */
	long (*write)(struct sy_vfs *fs, struct sy_vfs_node *node, const void *buf, size_t len,
		      uint64_t offset, const struct sy_vfs_cred *cred);
	/* fallocate(2) modes the backend supports; -EOPNOTSUPP otherwise. */
	int (*fallocate)(struct sy_vfs *fs, struct sy_vfs_node *node, int mode, uint64_t offset,
			 uint64_t len);
	int (*fsync)(struct sy_vfs *fs, struct sy_vfs_node *node, int datasync);
	int (*statfs)(struct sy_vfs *fs, struct sy_vfs_statfs *out);

	/* --- optional (NULL when the backend cannot) --- */

	/* A kernel fd whose bytes from *offset on are the file's data, for
	 * mmap(MAP_SHARED) and execve of a stored program: the caller owns
	 * the fd. Writes through it must be what read() returns. */
	int (*data_fd)(struct sy_vfs *fs, struct sy_vfs_node *node, int *fd, uint64_t *offset);
	/* F_SETLK (wait 0) or F_SETLKW (wait 1, may return -EINTR), F_GETLK
	 * (lock is updated to the conflicting one, or type F_UNLCK). Locks of
	 * an owner that is gone (a killed process) must not stay held. */
	int (*lock)(struct sy_vfs *fs, struct sy_vfs_node *node, int cmd, struct sy_vfs_lock *lock,
		    int wait);
	/* For mmap(MAP_SHARED) of a file whose data is not one run of a
	 * kernel file (memfs keeps 4 KiB blocks): the kernel fd (*fd, owned
	 * by the backend) and the page-aligned offset in it of each of the n
	 * 4 KiB pages from page `first`, allocating the blocks of holes below
	 * the file's size; 0 for pages past the end. Writes through them
	 * must be what read() returns. The pages stay the file's until it is
	 * truncated below them. */
	int (*map_pages)(struct sy_vfs *fs, struct sy_vfs_node *node, uint64_t first, size_t n,
			 int *fd, uint64_t *offsets);
	/* lseek SEEK_DATA (whence 3) or SEEK_HOLE (4) from offset, for a file
	 * with holes: the offset found, or -ENXIO at or past the end. NULL:
	 * the whole file is data. */
	int64_t (*seek_hole)(struct sy_vfs *fs, struct sy_vfs_node *node, uint64_t offset,
			     int whence);
	/* Extended attributes, by full name ("user.x"); the VFS layer checks
	 * names, namespaces, permissions and flags first. getxattr and
	 * listxattr with len 0 give the size only; a buffer too small gives
	 * -ERANGE; a missing name -ENODATA; no room -ENOSPC. listxattr gives
	 * the names, each NUL-terminated. setxattr flags: XATTR_CREATE
	 * (-EEXIST), XATTR_REPLACE (-ENODATA). NULL: no extended attributes
	 * (the VFS layer answers -EOPNOTSUPP). */
	long (*getxattr)(struct sy_vfs *fs, struct sy_vfs_node *node, const char *name, void *buf,
			 size_t len);
	int (*setxattr)(struct sy_vfs *fs, struct sy_vfs_node *node, const char *name,
			const void *value, size_t len, int flags);
	long (*listxattr)(struct sy_vfs *fs, struct sy_vfs_node *node, char *buf, size_t len);
	int (*removexattr)(struct sy_vfs *fs, struct sy_vfs_node *node, const char *name);
};

/* Makes a backend available to `type =` in mounts. Called from a hook
 * library's switchyard_hook_init() (or by switchyard for its own); returns 0,
 * or -1 for an unknown version or a name already taken. */
int sy_vfs_register(const struct sy_vfs_backend *backend);

/* For a backend's long-lived kernel fds (memfs: its arena): moves *fdp to
 * the top of the fd range, out of the way of the program's own numbers, and
 * hides it from the program (its close, close_range and dup2 go around it).
 * The fd's FD_CLOEXEC is kept. *fdp is updated whenever the fd moves again,
 * so it must stay valid for the life of the process. Returns 0 or -EMFILE.
 * Declare it weak in a backend that also runs outside switchyard. */
int sy_vfs_keep_fd(int *fdp);

/* For a backend with many long-lived fds (hostfs: one per node in use):
 * the lowest number they should take (fcntl F_DUPFD_CLOEXEC), well above
 * the numbers the program uses; and sy_vfs_hide_fd(fd, 1) once it has one
 * (sy_vfs_hide_fd(fd, 0) before closing it), so the program's close and
 * close_range go around it. A program's dup2 onto one gives EBUSY. Declare
 * them weak in a backend that also runs outside switchyard. */
int sy_vfs_fd_floor(void);
void sy_vfs_hide_fd(int fd, int hidden);

#ifdef __cplusplus
}
#endif

#endif
