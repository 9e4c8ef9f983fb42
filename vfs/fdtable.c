/*
 * The virtual fd table. A virtual fd holds a kernel fd of the same number:
 * a placeholder memfd per open file description, whose name says what it
 * stands for ("switchyard:MOUNT:ID:FLAGS:PATH") and whose own file position
 * is the description's offset. The kernel shares and copies placeholders on
 * dup, fork and execve exactly as it does open file descriptions, because
 * they are ones; this table is the process's cache of what they mean, and
 * sy_vfd_map (one byte per fd) is what the entry stub reads to keep calls on
 * kernel fds on the fast path.
 *
 * All allocation is from mmap'ed slabs under a spinlock, with signals
 * blocked by the router: a signal handler's call may come in at any moment.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "layer.h"
#include "sy.h"

#define PLACEHOLDER "switchyard:"

static struct vfile **vt;
static int vt_lock;
static unsigned vt_high; /* above every fd the table has held */
static struct vfile *free_list;

static void *map_anon(size_t len)
{
	long p = sy_raw6(SYS_mmap, 0, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	return (void *)p;
}

void sy_vfd_setup(void)
{
	if (vt)
		return;
	vt = map_anon(SY_FD_MAP_SIZE * sizeof(*vt));
	if (!vt)
		sy_die("cannot map the virtual fd table");
}

/* Under vt_lock. */
static struct vfile *vfile_alloc(void)
{
	if (!free_list) {
		enum { N = 64 };
		struct vfile *slab = map_anon(N * sizeof(struct vfile));
		if (!slab)
			return NULL;
		for (int i = 0; i < N; i++) {
			*(struct vfile **)&slab[i] = free_list;
			free_list = &slab[i];
		}
	}
	struct vfile *v = free_list;
	free_list = *(struct vfile **)v;
	memset(v, 0, offsetof(struct vfile, path) + 1);
	v->lockfd = -1;
	return v;
}

static void vfile_free(struct vfile *v)
{
	sy_vfs_lock_drop(v);
	if (v->node)
		v->m->be->release(v->m->fs, v->node);
	sy_spin_lock(&vt_lock);
	*(struct vfile **)v = free_list;
	free_list = v;
	sy_spin_unlock(&vt_lock);
}

int sy_vfd_is_virtual(int fd)
{
	return fd >= 0 && fd < SY_FD_MAP_SIZE && (sy_fd_map[fd] & SY_FD_VIRTUAL);
}

struct vfile *sy_vfd_get(int fd)
{
	if (!sy_vfd_is_virtual(fd))
		return NULL;
	sy_spin_lock(&vt_lock);
	struct vfile *v = vt[fd];
	if (v)
		v->refs++;
	sy_spin_unlock(&vt_lock);
	return v;
}

void sy_vfile_put(struct vfile *v)
{
	sy_spin_lock(&vt_lock);
	int last = --v->refs == 0;
	sy_spin_unlock(&vt_lock);
	if (last)
		vfile_free(v);
}

/* Under vt_lock: fd now names v (NULL: a kernel fd); returns what it named. */
static struct vfile *vt_set(unsigned fd, struct vfile *v)
{
	struct vfile *old = vt[fd];
	vt[fd] = v;
	if (v)
		__atomic_fetch_or(&sy_fd_map[fd], SY_FD_VIRTUAL, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&sy_fd_map[fd], (uint8_t)~SY_FD_VIRTUAL, __ATOMIC_RELEASE);
	if (v) {
		v->refs++;
		if (fd + 1 > vt_high)
			vt_high = fd + 1;
	}
	return old;
}

static void drop(struct vfile *old)
{
	if (old)
		sy_vfile_put(old);
}

int sy_vfd_open(struct sy_mount *m, struct sy_vfs_node *node, uint32_t type, int oflags,
		const char *path)
{
	char name[250];
	uint64_t id = m->be->node_id(m->fs, node);
	int n = snprintf(name, sizeof(name), PLACEHOLDER "%d:%llx:%x:%s", m->index,
			 (unsigned long long)id, (unsigned)oflags, path);
	if (n < 0 || (size_t)n >= sizeof(name)) /* a path too long for the name */
		snprintf(name, sizeof(name), PLACEHOLDER "%d:%llx:%x:", m->index,
			 (unsigned long long)id, (unsigned)oflags);
	long fd = sy_raw2(SYS_memfd_create, name, (oflags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0) {
		m->be->release(m->fs, node);
		return (int)fd;
	}
	if ((unsigned)fd >= SY_FD_MAP_SIZE) {
		sy_raw1(SYS_close, fd);
		m->be->release(m->fs, node);
		return -EMFILE;
	}
	int status = oflags & (O_APPEND | O_NONBLOCK | O_NOATIME | O_ASYNC);
	if (status)
		sy_raw3(SYS_fcntl, fd, F_SETFL, status);
	if (sy_thread_is_vfork_child()) {
		/* on its parent's memory: the table is the parent's. The
		 * placeholder alone says what the fd is; the program after
		 * execve finds the node again by its id. */
		m->be->release(m->fs, node);
		return (int)fd;
	}
	sy_spin_lock(&vt_lock);
	struct vfile *v = vfile_alloc();
	struct vfile *old = NULL;
	if (v) {
		v->m = m;
		v->node = node;
		v->type = type;
		v->oflags = oflags & ~O_CLOEXEC;
		snprintf(v->path, sizeof(v->path), "%s", path);
		old = vt_set((unsigned)fd, v);
	}
	sy_spin_unlock(&vt_lock);
	if (!v) {
		sy_raw1(SYS_close, fd);
		m->be->release(m->fs, node);
		return -ENOMEM;
	}
	drop(old); /* a stale entry of a number closed behind the table's back */
	return (int)fd;
}

void sy_vfd_copied(int oldfd, int newfd)
{
	if (sy_thread_is_vfork_child())
		return;
	if (newfd < 0 || (unsigned)newfd >= SY_FD_MAP_SIZE || oldfd == newfd)
		return;
	sy_spin_lock(&vt_lock);
	struct vfile *v = sy_vfd_is_virtual(oldfd) ? vt[oldfd] : NULL;
	struct vfile *old = vt_set((unsigned)newfd, v);
	sy_spin_unlock(&vt_lock);
	drop(old);
}

void sy_vfd_closed(int fd)
{
	if (sy_thread_is_vfork_child() || !sy_vfd_is_virtual(fd))
		return;
	sy_spin_lock(&vt_lock);
	struct vfile *old = vt_set((unsigned)fd, NULL);
	sy_spin_unlock(&vt_lock);
	drop(old);
}

void sy_vfd_closed_range(unsigned first, unsigned last)
{
	unsigned end = __atomic_load_n(&vt_high, __ATOMIC_ACQUIRE);
	for (unsigned fd = first; fd < end && fd <= last; fd++)
		if (sy_fd_map[fd] & SY_FD_VIRTUAL)
			sy_vfd_closed((int)fd);
}

/* Each distinct vfile once: calls fn(v, arg) under vt_lock. */
static void each_vfile(void (*fn)(struct vfile *, void *), void *arg)
{
	static uint64_t mark;
	mark++;
	for (unsigned fd = 0; fd < vt_high; fd++) {
		struct vfile *v = vt[fd];
		if (v && v->mark != mark) {
			v->mark = mark;
			fn(v, arg);
		}
	}
}

static void hold_one(struct vfile *v, void *arg)
{
	(void)arg;
	if (v->node)
		v->m->be->hold(v->m->fs, v->node);
}

void sy_vfd_fork_child(void)
{
	vt_lock = 0; /* another thread of the parent may have held it */
	if (vt)
		each_vfile(hold_one, NULL);
}

struct held_buf {
	char *buf;
	size_t size, at;
};

static void held_one(struct vfile *v, void *arg)
{
	struct held_buf *h = arg;
	if (v->node)
		h->at = sy_put(h->buf, h->size, h->at, "held %d %llx\n", v->m->index,
			       (unsigned long long)v->m->be->node_id(v->m->fs, v->node));
}

size_t sy_vfd_held(char *buf, size_t size, size_t at)
{
	struct held_buf h = {buf, size, at};
	if (!vt)
		return at;
	sy_spin_lock(&vt_lock);
	each_vfile(held_one, &h);
	sy_spin_unlock(&vt_lock);
	return h.at;
}

/* One placeholder found after execve: "M:ID:FLAGS:PATH (deleted)". */
static void adopt(int fd, const char *desc)
{
	int mi;
	unsigned long long id;
	unsigned flags;
	int used = 0;
	if (sscanf(desc, "%d:%llx:%x:%n", &mi, &id, &flags, &used) != 3 || !used || mi < 0 ||
	    mi >= sy_nmounts)
		return;
	const char *path = desc + used;
	size_t plen = strlen(path);
	const char *del = " (deleted)";
	if (plen >= strlen(del) && strcmp(path + plen - strlen(del), del) == 0)
		plen -= strlen(del);
	struct stat st;
	if (sy_raw2(SYS_fstat, fd, &st) < 0)
		return;
	/* another fd of the same description: share its vfile */
	for (unsigned i = 0; i < vt_high; i++)
		if (vt[i] && vt[i]->kino == (uint64_t)st.st_ino) {
			vt_set((unsigned)fd, vt[i]);
			return;
		}
	struct sy_mount *m = &sy_mounts[mi];
	struct sy_vfs_node *node = NULL;
	if (!m->restored || m->be->node_from_id(m->fs, id, &node) < 0) {
		/* a backend without shared ids (hostfs): find it again by path */
		char p[PATH_MAX];
		struct loc at;
		node = NULL;
		if (plen > 0 && plen < sizeof(p)) {
			memcpy(p, path, plen);
			p[plen] = 0;
			if (sy_walk(AT_FDCWD, p, 0, &at, NULL, NULL) == 0) {
				if (at.m == m) {
					node = at.node;
					at.m = NULL;
				}
				sy_loc_drop(&at);
			}
		}
	}
	struct vfile *v = vfile_alloc();
	if (!v) {
		if (node)
			m->be->release(m->fs, node);
		return;
	}
	v->m = m;
	v->node = node; /* NULL: gone; calls on it say ESTALE */
	v->oflags = (int)flags;
	v->kino = (uint64_t)st.st_ino;
	struct sy_vfs_attr a;
	if (node && m->be->getattr(m->fs, node, &a) == 0)
		v->type = a.mode & S_IFMT;
	memcpy(v->path, path, plen < sizeof(v->path) ? plen : sizeof(v->path) - 1);
	v->path[plen < sizeof(v->path) ? plen : sizeof(v->path) - 1] = 0;
	vt_set((unsigned)fd, v);
}

void sy_each_proc_fd(int (*fn)(int fd, const char *link, void *arg), void *arg)
{
	long dfd =
	    sy_raw4(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0)
		return;
	char buf[4096];
	for (;;) {
		long n = sy_raw3(SYS_getdents64, dfd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			int fd = atoi(d->d_name);
			if (fd == dfd)
				continue;
			char p[48], link[320];
			snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
			long len = sy_raw4(SYS_readlinkat, AT_FDCWD, p, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = 0;
			if (fn(fd, link, arg)) {
				sy_raw1(SYS_close, dfd);
				return;
			}
		}
	}
	sy_raw1(SYS_close, dfd);
}

static int adopt_placeholder(int fd, const char *link, void *arg)
{
	(void)arg;
	const char *pre = "/memfd:" PLACEHOLDER;
	if ((unsigned)fd < SY_FD_MAP_SIZE && strncmp(link, pre, strlen(pre)) == 0)
		adopt(fd, link + strlen(pre));
	return 0;
}

void sy_vfd_rebuild(void)
{
	sy_each_proc_fd(adopt_placeholder, NULL);
}

int sy_vfd_lock_of_node(struct vfile *v)
{
	int fd = -1;
	uint64_t id = v->m->be->node_id(v->m->fs, v->node);
	sy_spin_lock(&vt_lock);
	for (unsigned i = 0; i < vt_high && fd < 0; i++) {
		struct vfile *o = vt[i];
		if (o && o != v && o->m == v->m && o->node && o->lockfd >= 0 &&
		    o->m->be->node_id(o->m->fs, o->node) == id)
			fd = o->lockfd;
	}
	sy_spin_unlock(&vt_lock);
	return fd;
}

static void stand_in_one(struct vfile *v, void *arg)
{
	(void)arg;
	if (v->node && v->lockfd < 0)
		sy_vfs_stand_in_fd(v); /* under vt_lock: it takes no table lock */
}

void sy_vfd_prepare_fork(void)
{
	if (!vt || sy_thread_is_vfork_child())
		return;
	sy_spin_lock(&vt_lock);
	each_vfile(stand_in_one, NULL);
	sy_spin_unlock(&vt_lock);
}

size_t sy_vfd_exec_locks(char *buf, size_t size, size_t at)
{
	if (!vt)
		return at;
	sy_spin_lock(&vt_lock);
	for (unsigned fd = 0; fd < vt_high; fd++) {
		struct vfile *v = vt[fd];
		if (v && v->lockfd >= 0 && sy_raw3(SYS_fcntl, v->lockfd, F_SETFD, 0) == 0)
			at = sy_put(buf, size, at, "lock %u %d\n", fd, v->lockfd);
	}
	sy_spin_unlock(&vt_lock);
	return at;
}

void sy_vfd_exec_failed(void)
{
	if (!vt)
		return;
	sy_spin_lock(&vt_lock);
	for (unsigned fd = 0; fd < vt_high; fd++)
		if (vt[fd] && vt[fd]->lockfd >= 0)
			sy_raw3(SYS_fcntl, vt[fd]->lockfd, F_SETFD, FD_CLOEXEC);
	sy_spin_unlock(&vt_lock);
}

void sy_vfd_adopt_lock(int fd, int lockfd)
{
	struct vfile *v = sy_vfd_is_virtual(fd) ? vt[fd] : NULL;
	if (v && v->lockfd < 0) {
		sy_raw3(SYS_fcntl, lockfd, F_SETFD, FD_CLOEXEC);
		sy_vfs_hide_fd(lockfd, 1);
		v->lockfd = lockfd;
	} else if (!v || v->lockfd != lockfd) {
		sy_raw1(SYS_close, lockfd);
	}
}
