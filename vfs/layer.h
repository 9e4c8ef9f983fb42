/*
 * The VFS layer inside libswitchyard: the mount table, the virtual fd table,
 * the path walk and the router that serves system calls on virtual paths and
 * fds (see vfs/README.md for the design). Internal to the library.
 */
#ifndef SY_VFS_LAYER_H
#define SY_VFS_LAYER_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <switchyard/hook.h>
#include <switchyard/vfs.h>

#include "config.h"

#define SY_VH __attribute__((visibility("hidden")))

/* ---- mounts (mounts.c) ---- */

struct sy_mount {
	int index;
	char path[SY_MOUNT_PATH_MAX]; /* the mount point, absolute, normalized */
	size_t pathlen;
	const char *base; /* its last component */
	size_t baselen;
	const struct sy_vfs_backend *be;
	struct sy_vfs *fs;
	struct sy_vfs_node *root; /* held for the life of the process */
	uint64_t dev;		  /* st_dev of every node */
	int readonly;		  /* ST_RDONLY in statfs */
	int restored;		  /* the instance of the program before execve: its
				   * node ids hold (else placeholders are found by path) */
};

extern struct sy_mount sy_mounts[SY_MAX_MOUNTS] SY_VH;
extern int sy_nmounts SY_VH;

/* Sets up every mount of the options: restored from what the program before
 * execve left (see vfs_exec_state), else mounted afresh. Dies with a message
 * on failure. */
void sy_vfs_mounts_setup(const struct sy_options *o) SY_VH;
void sy_vfs_register_builtin(void) SY_VH;
int sy_vfs_exec_state_write(int extra_close) SY_VH;
/* The mount whose point is exactly path[0..len), or NULL. */
struct sy_mount *sy_vfs_mount_at(const char *path, size_t len) SY_VH;
/* Does the component name[0..len) name the last component of a mount point? */
int sy_vfs_is_mount_name(const char *name, size_t len) SY_VH;

/* ---- the virtual fd table (fdtable.c) ---- */

/* One open file description on a virtual file, as this process knows it. */
struct vfile {
	int refs; /* fds of this process naming it, plus calls in flight */
	struct sy_mount *m;
	struct sy_vfs_node *node; /* one backend reference, dropped with the vfile */
	uint32_t type;		  /* S_IFMT at open */
	int oflags;		  /* the open's flags (access mode, O_PATH, O_DIRECTORY...) */
	uint64_t kino;		  /* inode of the placeholder memfd: the description's identity */
	int pos_lock;		  /* read-and-advance among threads */
	uint64_t mark;		  /* for visiting each vfile once */
	int lockfd;		  /* its description of the node's lock stand-in, or -1 */
	char path[PATH_MAX];	  /* absolute path at open ("" if unknown) */
};

void sy_vfd_setup(void) SY_VH;
/* The vfile behind fd with a reference for the caller, or NULL. */
struct vfile *sy_vfd_get(int fd) SY_VH;
void sy_vfile_put(struct vfile *v) SY_VH;
int sy_vfd_is_virtual(int fd) SY_VH;
/* Creates a placeholder for a new description and enters it; returns the fd
 * or -errno. Takes over the node reference (released on failure). */
int sy_vfd_open(struct sy_mount *m, struct sy_vfs_node *node, uint32_t type, int oflags,
		const char *path) SY_VH;
/* After the kernel made `newfd` a copy of `oldfd` (dup, dup2, F_DUPFD...):
 * newfd names what oldfd names (nothing, if oldfd is a kernel fd). */
void sy_vfd_copied(int oldfd, int newfd) SY_VH;
/* After the kernel closed fd. */
void sy_vfd_closed(int fd) SY_VH;
/* After close_range(first, last) closed them. */
void sy_vfd_closed_range(unsigned first, unsigned last) SY_VH;
/* In a forked child: one more backend reference per vfile. */
void sy_vfd_fork_child(void) SY_VH;
/* Calls fn for each fd of the process with its /proc/self/fd link, until
 * fn returns non-zero. */
void sy_each_proc_fd(int (*fn)(int fd, const char *link, void *arg), void *arg) SY_VH;
/* After execve: rebuild from the placeholders in /proc/self/fd. */
void sy_vfd_rebuild(void) SY_VH;
/* Before a fork: every vfile gets its lock stand-in, which the child
 * inherits with the description (a flock taken in the child is the
 * description's, as the kernel's is). */
void sy_vfd_prepare_fork(void) SY_VH;
/* Appends "lock FD LOCKFD" lines for the exec state, LOCKFD made to
 * survive the execve; sy_vfd_exec_failed() undoes that. */
size_t sy_vfd_exec_locks(char *buf, size_t size, size_t at) SY_VH;
void sy_vfd_exec_failed(void) SY_VH;
/* After execve: the stand-ins the program before handed on. */
void sy_vfd_adopt_lock(int fd, int lockfd) SY_VH;
/* Appends "held MOUNT ID" lines for the distinct vfiles (the exec state);
 * returns the new end. */
size_t sy_vfd_held(char *buf, size_t size, size_t at) SY_VH;

/* The lock stand-in fd of another vfile of v's node in this process, or -1. */
int sy_vfd_lock_of_node(struct vfile *v) SY_VH;

/* ---- locks (locks.c) ---- */

/* v's description of its node's lock stand-in (made on first use). */
int sy_vfs_stand_in_fd(struct vfile *v) SY_VH;
long sy_vfs_flock(struct vfile *v, long op) SY_VH;
long sy_vfs_fcntl_lock(struct vfile *v, int fd, long cmd, long uarg) SY_VH;
void sy_vfs_lock_close(struct vfile *v) SY_VH;
void sy_vfs_lock_drop(struct vfile *v) SY_VH;
long sy_vfs_fifo_open(struct sy_mount *m, struct sy_vfs_node *node, int flags) SY_VH;
/* Around a wait: the program's signal mask, then the router's again. */
void sy_vfs_wait_begin(void) SY_VH;
void sy_vfs_wait_end(void) SY_VH;

/* ---- the path walk (walk.c) ---- */

/* Where a walk ended. m == NULL: on the kernel's side, at `path` (absolute);
 * else in the mount, at node (held) whose absolute path is `path`. */
struct loc {
	struct sy_mount *m;
	struct sy_vfs_node *node;
	char path[PATH_MAX];
};

/* The virtual cwd (m == NULL: the kernel's own cwd, whose path is in path). */
extern struct loc sy_cwd SY_VH;
extern int sy_cwd_lock SY_VH;

#define WALK_FOLLOW 1	   /* follow a symlink in the last component */
#define WALK_PARENT 2	   /* stop at the parent of the last component */
#define WALK_DIR 4	   /* (output) the path ended with '/' */
#define WALK_NO_SYMLINKS 8 /* openat2's RESOLVE_NO_SYMLINKS: ELOOP at any symlink */
#define WALK_BENEATH 16	   /* RESOLVE_BENEATH: EXDEV for '/' or '..' above the start */
#define WALK_NO_XDEV 32	   /* RESOLVE_NO_XDEV: EXDEV when crossing a mount */
#define WALK_IN_ROOT 64	   /* RESOLVE_IN_ROOT: '/' and '..' stop at the start */

/* Does path (a string of the program's, copied in) possibly lead into a
 * mount from dirfd? 0: surely not, the kernel takes the call as it is. */
int sy_walk_may_enter(int dirfd, const char *path) SY_VH;
/* The fd N of a path /proc/self/fd/N (and its other spellings), or
 * SY_MAGIC_CWD for /proc/self/cwd, or -1. */
#define SY_MAGIC_CWD (-2)
int sy_magic_fd(const char *path, const char **rest) SY_VH;

/* Resolves path from dirfd. WALK_PARENT: *out is the directory holding the
 * last component, whose name goes to last (never "" - except for "/" - may be
 * "." or ".."). Returns 0 or -errno; *flags gets WALK_DIR. The caller
 * releases out with loc_drop. */
int sy_walk(int dirfd, const char *path, int how, struct loc *out, char *last, int *flags) SY_VH;
/* The same from a location (for a relative path) instead of a dirfd. */
int sy_walk_from(int dirfd, const struct loc *start, const char *path, int how, struct loc *out,
		 char *last, int *flags) SY_VH;
/* A location's copy (with its own reference) and its release. */
void sy_loc_copy(struct loc *dst, const struct loc *src) SY_VH;
void sy_loc_drop(struct loc *l) SY_VH;
/* The location of an open virtual file, with its own reference: 0, or
 * -ESTALE (and no reference) if the file has no node. */
int sy_loc_of_vfile(const struct vfile *v, struct loc *at) SY_VH;
/* The present path of a directory node (hint: the path it was reached by);
 * -ENOENT once it is removed. */
int sy_node_path(struct sy_mount *m, struct sy_vfs_node *node, const char *hint, char *out) SY_VH;
/* The kernel cwd's path, refreshed. */
void sy_cwd_refresh(void) SY_VH;
void sy_cwd_set(struct loc *to) SY_VH;
void sy_cwd_get(struct loc *l) SY_VH;

/* ---- the router (router.c, sys_*.c) ---- */

/* Registers the router hook if there are mounts. */
void sy_vfs_setup(const struct sy_options *o) SY_VH;

struct sy_vfs_cred *sy_cred(struct sy_vfs_cred *c) SY_VH;
uint32_t sy_umask(void) SY_VH;
uint32_t sy_fsuid(void) SY_VH;
/* A call on a virtual fd or path that is not served: counted for the stats. */
void sy_vfs_count_refused(void) SY_VH;
struct stat;
/* Checks access (R_OK/W_OK/X_OK bits) to a node with attributes a. */
int sy_may(const struct sy_vfs_attr *a, int mask) SY_VH;

/* A served system call: returns SY_PASS to let the kernel have it, or
 * SY_ANSWER with *result. */
typedef int (*sy_vfs_sys)(struct sy_call *c, long *result);

int sy_sys_open(struct sy_call *c, long *result) SY_VH;
int sy_sys_fdop(struct sy_call *c, long *result) SY_VH;
int sy_sys_pathop(struct sy_call *c, long *result) SY_VH;
int sy_sys_dup(struct sy_call *c, long *result) SY_VH;
int sy_sys_transfer(struct sy_call *c, long *result) SY_VH;
int sy_sys_mmap(struct sy_call *c, long *result) SY_VH;
int sy_sys_exec(struct sy_call *c, long *result) SY_VH;
void sy_sys_exec_failed(const struct sy_call *c) SY_VH;

/* Small helpers shared by the sys_*.c files. */
void *sy_vfs_bounce(void) SY_VH; /* this thread's SY_VFS_BUF bytes */
int sy_sys_xattr(struct sy_call *c, long *result) SY_VH;
long sy_vfs_read_at(struct vfile *v, int fd, void *ubuf, size_t len, int64_t off,
		    int advance) SY_VH;
long sy_vfs_write_at(struct vfile *v, int fd, const void *ubuf, size_t len, int64_t off,
		     int advance) SY_VH;
void sy_attr_to_stat(const struct sy_mount *m, const struct sy_vfs_attr *a, struct stat *st) SY_VH;

static inline void sy_spin_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}
static inline void sy_spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

#endif
