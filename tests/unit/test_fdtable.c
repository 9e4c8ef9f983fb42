/*
 * vfs/fdtable.c: the virtual fd table. Placeholders take the numbers open(2)
 * would give; descriptions are shared vfiles with reference counts, whose
 * node reference goes with the last fd (a file unlinked while open is freed
 * at its last close: memfs's statfs counts show it); dup, dup2 and
 * close_range are followed in every direction; the "held" lines of the exec
 * state; and the table rebuilt from /proc/self/fd as after execve.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostfs.h"
#include "layer.h"
#include "memfs.h"
#include "sy.h"

extern int sy_stub_vfork_child; /* vfs_stubs.c */

static char base[64], src[96];
static int strict;

#define MEM (&sy_mounts[0])
#define HOST (&sy_mounts[1])

static void mount_add(int i, const char *path, const struct sy_vfs_backend *be,
		      const struct sy_vfs_option *opts, int nopts)
{
	struct sy_mount *m = &sy_mounts[i];
	memset(m, 0, sizeof(*m));
	m->index = i;
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->pathlen = strlen(m->path);
	m->base = strrchr(m->path, '/') + 1;
	m->baselen = strlen(m->base);
	m->be = be;
	m->dev = 0xf00 + (unsigned)i;
	char err[256] = "";
	if (be->mount(opts, nopts, &m->fs, err, sizeof(err)) != 0)
		fail_msg("mount %s: %s", path, err);
	m->root = be->root(m->fs);
	sy_nmounts = i + 1;
}

static int group_setup(void **state)
{
	(void)state;
	strict = getenv("SY_UNIT_STRICT") != NULL;
	snprintf(base, sizeof(base), "/dev/shm/sy-fdtable-XXXXXX");
	if (!mkdtemp(base))
		return -1;
	snprintf(src, sizeof(src), "%s/src", base);
	if (mkdir(src, 0755) != 0)
		return -1;
	sy_fd_map_setup();
	sy_vfd_setup();
	struct sy_vfs_option mopt = {"size", "1M"};
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/mem", base);
	mount_add(0, p, sy_memfs_backend(), &mopt, 1);
	snprintf(p, sizeof(p), "%s/host", base);
	struct sy_vfs_option hopt[2] = {{"source", src}, {"readonly", "no"}};
	mount_add(1, p, sy_hostfs_backend(), hopt, 2);
	sy_cwd_refresh();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < sy_nmounts; i++) {
		sy_mounts[i].be->release(sy_mounts[i].fs, sy_mounts[i].root);
		sy_mounts[i].be->unmount(sy_mounts[i].fs);
	}
	sy_nmounts = 0;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- helpers ---- */

static uint64_t ffree(void)
{
	struct sy_vfs_statfs s;
	assert_int_equal(MEM->be->statfs(MEM->fs, &s), 0);
	return s.ffree;
}

static uint64_t bfree(void)
{
	struct sy_vfs_statfs s;
	assert_int_equal(MEM->be->statfs(MEM->fs, &s), 0);
	return s.bfree;
}

/* Makes a regular file (with some data) or a directory at the root of m. */
static void make(struct sy_mount *m, const char *name, int dir)
{
	struct sy_vfs_node *n;
	int r = dir ? m->be->mkdir(m->fs, m->root, name, S_IFDIR | 0755, NULL, &n)
		    : m->be->create(m->fs, m->root, name, S_IFREG | 0644, 0, NULL, &n);
	assert_int_equal(r, 0);
	if (!dir) {
		char data[8192];
		memset(data, 'x', sizeof(data));
		assert_int_equal(m->be->write(m->fs, n, data, sizeof(data), 0, NULL),
				 (long)sizeof(data));
	}
	m->be->release(m->fs, n);
}

static void unlink_(struct sy_mount *m, const char *name)
{
	assert_int_equal(m->be->unlink(m->fs, m->root, name), 0);
}

static struct sy_vfs_node *lookup(struct sy_mount *m, const char *name)
{
	struct sy_vfs_node *n;
	assert_int_equal(m->be->lookup(m->fs, m->root, name, &n), 0);
	return n;
}

static uint64_t id_of(struct sy_mount *m, const char *name)
{
	struct sy_vfs_node *n = lookup(m, name);
	uint64_t id = m->be->node_id(m->fs, n);
	m->be->release(m->fs, n);
	return id;
}

/* Opens m's name as the router would: a placeholder for the description. */
static int vopen(struct sy_mount *m, const char *name, int oflags)
{
	struct sy_vfs_node *n = lookup(m, name);
	struct sy_vfs_attr a;
	assert_int_equal(m->be->getattr(m->fs, n, &a), 0);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", m->path, name);
	int fd = sy_vfd_open(m, n, a.mode & S_IFMT, oflags, path);
	assert_true(fd >= 0);
	return fd;
}

/* close(2) and what the router tells the table after it. */
static void vclose(int fd)
{
	assert_int_equal(close(fd), 0);
	sy_vfd_closed(fd);
}

static int lowest_free(void)
{
	int fd = dup(0);
	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/* The vfile of fd, without keeping the reference. */
static struct vfile *peek(int fd)
{
	struct vfile *v = sy_vfd_get(fd);
	if (v)
		sy_vfile_put(v);
	return v;
}

static int refs_of(int fd)
{
	struct vfile *v = sy_vfd_get(fd);
	assert_non_null(v);
	int r = v->refs - 1;
	sy_vfile_put(v);
	return r;
}

/* ---- tests ---- */

static void test_open_takes_lowest_number(void **state)
{
	(void)state;
	make(MEM, "low", 0);
	int want = lowest_free();
	int a = vopen(MEM, "low", O_RDWR);
	assert_int_equal(a, want);
	want = lowest_free();
	int b = vopen(MEM, "low", O_RDONLY);
	assert_int_equal(b, want);
	assert_true(b > a);
	int k = dup(0); /* the kernel's next number is above both */
	assert_true(k > b);
	close(k);
	vclose(a);
	/* a's number is free again: the next open takes it */
	assert_false(sy_vfd_is_virtual(a));
	int c = vopen(MEM, "low", O_WRONLY);
	assert_int_equal(c, a);
	assert_true(sy_vfd_is_virtual(c));
	assert_true(sy_vfd_is_virtual(b));
	assert_false(sy_vfd_is_virtual(0));
	assert_null(sy_vfd_get(0));
	assert_null(sy_vfd_get(-1));
	assert_null(sy_vfd_get(SY_FD_MAP_SIZE));
	vclose(b);
	vclose(c);
	unlink_(MEM, "low");
}

/* What the placeholder and the vfile say about the open. */
static void test_open_records_the_description(void **state)
{
	(void)state;
	make(MEM, "rec", 0);
	int fd = vopen(MEM, "rec", O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
	struct vfile *v = sy_vfd_get(fd);
	assert_non_null(v);
	assert_ptr_equal(v->m, MEM);
	assert_int_equal(MEM->be->node_id(MEM->fs, v->node), id_of(MEM, "rec"));
	assert_int_equal(v->type, S_IFREG);
	assert_int_equal(v->oflags, O_WRONLY | O_APPEND | O_NONBLOCK);
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "%s/rec", MEM->path);
	assert_string_equal(v->path, want);
	assert_int_equal(v->lockfd, -1);
	assert_int_equal(v->refs, 2); /* the fd and this call */
	sy_vfile_put(v);
	/* the kernel's side: status flags and close-on-exec on the placeholder */
	long fl = fcntl(fd, F_GETFL);
	assert_true(fl & O_APPEND);
	assert_true(fl & O_NONBLOCK);
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	char p[64], link[512], expect[PATH_MAX + 128];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = 0;
	snprintf(expect, sizeof(expect), "/memfd:switchyard:0:%llx:%x:%s (deleted)",
		 (unsigned long long)id_of(MEM, "rec"),
		 (unsigned)(O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK), want);
	assert_string_equal(link, expect);
	vclose(fd);
	unlink_(MEM, "rec");
}

/* A reference per fd and per call in flight; the node goes with the last. */
static void test_references(void **state)
{
	(void)state;
	uint64_t f0 = ffree(), b0 = bfree();
	make(MEM, "gone", 0);
	assert_int_equal(ffree(), f0 - 1);
	assert_true(bfree() < b0);
	int fd = vopen(MEM, "gone", O_RDWR);
	unlink_(MEM, "gone");
	/* unlinked while open: still there */
	assert_int_equal(ffree(), f0 - 1);
	assert_true(bfree() < b0);
	struct vfile *v = sy_vfd_get(fd);
	assert_int_equal(v->refs, 2);
	struct vfile *w = sy_vfd_get(fd);
	assert_ptr_equal(v, w);
	assert_int_equal(v->refs, 3);
	sy_vfile_put(w);
	/* closed while a call is in flight: the call's reference keeps it */
	vclose(fd);
	assert_false(sy_vfd_is_virtual(fd));
	assert_null(sy_vfd_get(fd));
	assert_int_equal(v->refs, 1);
	assert_int_equal(ffree(), f0 - 1);
	struct sy_vfs_attr a;
	assert_int_equal(v->m->be->getattr(v->m->fs, v->node, &a), 0);
	assert_int_equal(a.nlink, 0);
	assert_int_equal(a.size, 8192);
	sy_vfile_put(v);
	assert_int_equal(ffree(), f0);
	assert_int_equal(bfree(), b0);
}

/* A number the kernel closed without the table hearing of it: the next
 * open there replaces the stale entry and drops its reference. */
static void test_open_over_stale_entry(void **state)
{
	(void)state;
	uint64_t f0 = ffree();
	make(MEM, "stale", 0);
	make(MEM, "fresh", 0);
	int fd = vopen(MEM, "stale", O_RDONLY);
	unlink_(MEM, "stale");
	assert_int_equal(close(fd), 0); /* the table is not told */
	assert_true(sy_vfd_is_virtual(fd));
	assert_int_equal(ffree(), f0 - 2);
	int again = vopen(MEM, "fresh", O_RDONLY);
	assert_int_equal(again, fd);
	assert_int_equal(ffree(), f0 - 1);
	assert_int_equal(refs_of(again), 1);
	assert_int_equal(MEM->be->node_id(MEM->fs, peek(again)->node), id_of(MEM, "fresh"));
	vclose(again);
	unlink_(MEM, "fresh");
	assert_int_equal(ffree(), f0);
}

/* dup: both numbers name one vfile; either may close first. */
static void test_dup(void **state)
{
	(void)state;
	uint64_t f0 = ffree();
	make(MEM, "dup", 0);
	int fd = vopen(MEM, "dup", O_RDWR);
	unlink_(MEM, "dup");
	int d = dup(fd);
	assert_true(d >= 0);
	sy_vfd_copied(fd, d);
	assert_true(sy_vfd_is_virtual(d));
	assert_ptr_equal(peek(fd), peek(d));
	assert_int_equal(refs_of(fd), 2);
	/* the offset is the placeholder's, shared by the kernel */
	assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
	assert_int_equal(lseek(d, 0, SEEK_CUR), 100);
	/* F_DUPFD above a number */
	int e = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	assert_int_equal(e, 200);
	sy_vfd_copied(fd, e);
	assert_ptr_equal(peek(e), peek(fd));
	assert_int_equal(refs_of(fd), 3);
	/* dup2 of an fd onto itself changes nothing */
	assert_int_equal(dup2(fd, fd), fd);
	sy_vfd_copied(fd, fd);
	assert_int_equal(refs_of(fd), 3);
	vclose(fd);
	assert_int_equal(refs_of(d), 2);
	assert_int_equal(ffree(), f0 - 1);
	vclose(e);
	assert_int_equal(ffree(), f0 - 1);
	vclose(d);
	assert_int_equal(ffree(), f0);
}

/* dup2 in every direction between kernel and virtual numbers. */
static void test_dup2_mixed(void **state)
{
	(void)state;
	uint64_t f0 = ffree();
	make(MEM, "x", 0);
	make(MEM, "y", 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	int x = vopen(MEM, "x", O_RDONLY);
	int y = vopen(MEM, "y", O_RDONLY);
	unlink_(MEM, "x");
	unlink_(MEM, "y");
	struct vfile *vy = peek(y);
	/* a pipe onto a virtual number: the vfile goes, and x's node */
	assert_int_equal(dup2(p[0], x), x);
	sy_vfd_copied(p[0], x);
	assert_false(sy_vfd_is_virtual(x));
	assert_null(sy_vfd_get(x));
	assert_int_equal(ffree(), f0 - 1);
	/* a virtual fd onto a pipe's number */
	assert_int_equal(dup2(y, p[1]), p[1]);
	sy_vfd_copied(y, p[1]);
	assert_true(sy_vfd_is_virtual(p[1]));
	assert_ptr_equal(peek(p[1]), vy);
	assert_int_equal(refs_of(y), 2);
	/* a virtual fd onto another virtual one: the old vfile is dropped */
	make(MEM, "z", 0);
	int z = vopen(MEM, "z", O_RDONLY);
	unlink_(MEM, "z");
	assert_int_equal(ffree(), f0 - 2);
	assert_int_equal(dup2(y, z), z);
	sy_vfd_copied(y, z);
	assert_ptr_equal(peek(z), vy);
	assert_int_equal(refs_of(y), 3);
	assert_int_equal(ffree(), f0 - 1);
	/* a kernel fd copied onto a kernel number: no entry appears */
	int k = dup(p[0]);
	sy_vfd_copied(p[0], k);
	assert_false(sy_vfd_is_virtual(k));
	close(k);
	vclose(x);
	vclose(y);
	vclose(z);
	assert_int_equal(ffree(), f0 - 1);
	vclose(p[1]);
	assert_int_equal(ffree(), f0);
	close(p[0]);
}

static void test_close_range(void **state)
{
	(void)state;
	uint64_t f0 = ffree();
	const char *names[3] = {"r0", "r1", "r2"};
	int p[2], v[3];
	for (int i = 0; i < 3; i++)
		make(MEM, names[i], 0);
	v[0] = vopen(MEM, "r0", O_RDONLY);
	assert_int_equal(pipe(p), 0);
	v[1] = vopen(MEM, "r1", O_RDONLY);
	int d = dup(v[1]); /* another number of r1's description */
	sy_vfd_copied(v[1], d);
	v[2] = vopen(MEM, "r2", O_RDONLY);
	for (int i = 0; i < 3; i++)
		unlink_(MEM, names[i]);
	assert_int_equal(ffree(), f0 - 3);
	int lo = v[0], hi = v[2];
	assert_true(lo < p[0] && p[0] < v[1] && v[1] < d && d < hi);
	/* from the first pipe end to r1's dup: r0 and r2 stay */
	assert_int_equal(syscall(SYS_close_range, p[0], d, 0), 0);
	sy_vfd_closed_range((unsigned)p[0], (unsigned)d);
	assert_false(sy_vfd_is_virtual(v[1]));
	assert_false(sy_vfd_is_virtual(d));
	assert_true(sy_vfd_is_virtual(v[0]));
	assert_true(sy_vfd_is_virtual(v[2]));
	assert_int_equal(ffree(), f0 - 2);
	assert_int_equal(refs_of(v[0]), 1);
	/* to the end of the range */
	close(v[0]);
	close(v[2]);
	sy_vfd_closed_range((unsigned)lo, ~0u);
	assert_false(sy_vfd_is_virtual(v[0]));
	assert_false(sy_vfd_is_virtual(v[2]));
	assert_int_equal(ffree(), f0);
	/* nothing virtual: nothing happens */
	sy_vfd_closed_range(0, ~0u);
	sy_vfd_closed_range(5, 2);
}

/* The exec state's "held" lines: each distinct description once. */
static void test_held(void **state)
{
	(void)state;
	make(MEM, "h1", 0);
	make(MEM, "h2", 0);
	int a = vopen(MEM, "h1", O_RDONLY);
	int b = dup(a);
	sy_vfd_copied(a, b);
	int c = vopen(MEM, "h1", O_RDONLY); /* another description of h1 */
	int d = vopen(MEM, "h2", O_RDONLY);
	char buf[512], want[512];
	size_t at = sy_vfd_held(buf, sizeof(buf), 3);
	buf[at] = 0;
	unsigned long long i1 = id_of(MEM, "h1"), i2 = id_of(MEM, "h2");
	snprintf(want, sizeof(want), "held 0 %llx\nheld 0 %llx\nheld 0 %llx\n", i1, i1, i2);
	assert_string_equal(buf + 3, want);
	assert_int_equal(at, 3 + strlen(want));
	/* a second visit sees them again (the marks move on) */
	at = sy_vfd_held(buf, sizeof(buf), 0);
	buf[at] = 0;
	assert_string_equal(buf, want);
	/* a short buffer: cut, never overrun */
	memset(buf, '#', sizeof(buf));
	at = sy_vfd_held(buf, 10, 0);
	assert_true(at <= 9);
	assert_int_equal(buf[at], 0);
	assert_int_equal(buf[10], '#');
	vclose(a);
	vclose(b);
	vclose(c);
	vclose(d);
	at = sy_vfd_held(buf, sizeof(buf), 0);
	assert_int_equal(at, 0);
	unlink_(MEM, "h1");
	unlink_(MEM, "h2");
}

/* A vfork child runs on its parent's table: it leaves it alone. */
static void test_vfork_child(void **state)
{
	(void)state;
	make(MEM, "vf", 0);
	int a = vopen(MEM, "vf", O_RDONLY);
	sy_stub_vfork_child = 1;
	struct sy_vfs_node *n = lookup(MEM, "vf");
	int b = sy_vfd_open(MEM, n, S_IFREG, O_RDONLY, "/x");
	assert_true(b >= 0);
	assert_false(sy_vfd_is_virtual(b));
	int c = dup(a);
	sy_vfd_copied(a, c);
	assert_false(sy_vfd_is_virtual(c));
	sy_vfd_closed(a); /* the child's close (its own fd table) */
	sy_stub_vfork_child = 0;
	assert_true(sy_vfd_is_virtual(a));
	assert_int_equal(refs_of(a), 1);
	vclose(a);
	close(b);
	close(c);
	unlink_(MEM, "vf");
}

/* The lock stand-in goes with the description. */
static void test_lock_stand_in_closed_with_vfile(void **state)
{
	(void)state;
	make(MEM, "lk", 0);
	int a = vopen(MEM, "lk", O_RDWR);
	int b = dup(a);
	sy_vfd_copied(a, b);
	struct vfile *v = sy_vfd_get(a);
	int lfd = sy_vfs_stand_in_fd(v);
	sy_vfile_put(v);
	assert_true(lfd >= 0);
	assert_true(sy_fd_map[lfd] & SY_FD_RESERVED);
	vclose(a);
	assert_true(fcntl(lfd, F_GETFD) >= 0);
	vclose(b);
	assert_int_equal(fcntl(lfd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	assert_false(sy_fd_map[lfd] & SY_FD_RESERVED);
	/* the stand-in file stays for other processes: remove ours */
	struct sy_vfs_statfs sf;
	struct sy_vfs_node *n = lookup(MEM, "lk");
	struct sy_vfs_attr la;
	assert_int_equal(MEM->be->statfs(MEM->fs, &sf), 0);
	assert_int_equal(MEM->be->getattr(MEM->fs, n, &la), 0);
	MEM->be->release(MEM->fs, n);
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm/.switchyard-locks/%llx-%llx",
		 (unsigned long long)sf.fsid, (unsigned long long)la.ino);
	assert_int_equal(unlink(path), 0);
	unlink_(MEM, "lk");
}

struct rec {
	int fd;
	struct sy_mount *m;
	uint64_t id;
	uint32_t type;
	int oflags;
	char path[PATH_MAX];
	struct sy_vfs_node *old; /* the old program's reference */
};

static void record(struct rec *r, int fd)
{
	struct vfile *v = sy_vfd_get(fd);
	assert_non_null(v);
	r->fd = fd;
	r->m = v->m;
	r->old = v->node;
	v->m->be->hold(v->m->fs, v->node);
	r->id = v->m->be->node_id(v->m->fs, v->node);
	r->type = v->type;
	r->oflags = v->oflags;
	snprintf(r->path, sizeof(r->path), "%s", v->path);
	sy_vfile_put(v);
}

/* After execve: the table found again from the placeholders alone. The
 * "exec" is simulated: the table is emptied (the placeholders stay open,
 * the old references are held as the exec state holds them), rebuilt, and
 * the old references dropped as drop_old_references() does. */
static void test_rebuild(void **state)
{
	(void)state;
	uint64_t f0 = ffree();
	make(MEM, "e1", 0);
	make(MEM, "e2", 0);
	make(MEM, "e3", 0);
	make(MEM, "ed", 1);
	make(HOST, "h1", 0);
	make(HOST, "hd", 1);
	struct rec r[8];
	int n = 0, p[2];
	int a = vopen(MEM, "e1", O_RDWR | O_APPEND);
	assert_int_equal(pipe(p), 0);
	int b = dup(a);
	sy_vfd_copied(a, b);
	assert_int_equal(lseek(a, 42, SEEK_SET), 42);
	int fds[] = {a,
		     b,
		     vopen(MEM, "e2", O_RDONLY),
		     vopen(MEM, "e3", O_WRONLY), /* unlinked below */
		     vopen(MEM, "ed", O_RDONLY | O_DIRECTORY),
		     vopen(HOST, "h1", O_RDWR),
		     vopen(HOST, "hd", O_PATH)};
	n = sizeof(fds) / sizeof(fds[0]);
	for (int i = 0; i < n; i++)
		record(&r[i], fds[i]);
	unlink_(MEM, "e3");
	/* the exec: an empty table */
	for (int i = 0; i < n; i++)
		sy_vfd_closed(fds[i]);
	for (int i = 0; i < n; i++)
		assert_false(sy_vfd_is_virtual(fds[i]));
	MEM->restored = 1; /* memfs's ids hold across execve; hostfs goes by path */
	sy_vfd_rebuild();
	MEM->restored = 0;
	for (int i = 0; i < n; i++)
		r[i].m->be->release(r[i].m->fs, r[i].old);
	for (int i = 0; i < n; i++) {
		struct vfile *v = sy_vfd_get(fds[i]);
		if (!v)
			fail_msg("fd %d (%s) not found again", fds[i], r[i].path);
		assert_ptr_equal(v->m, r[i].m);
		assert_non_null(v->node);
		assert_int_equal(v->m->be->node_id(v->m->fs, v->node), r[i].id);
		assert_int_equal(v->type, r[i].type);
		assert_int_equal(v->oflags, r[i].oflags);
		assert_string_equal(v->path, r[i].path);
		sy_vfile_put(v);
	}
	assert_false(sy_vfd_is_virtual(p[0]));
	assert_false(sy_vfd_is_virtual(p[1]));
	/* dup'ed numbers share one vfile again, the offset is the kernel's */
	assert_ptr_equal(peek(a), peek(b));
	assert_int_equal(refs_of(a), 2);
	assert_int_equal(lseek(b, 0, SEEK_CUR), 42);
	assert_ptr_not_equal(peek(fds[2]), peek(a));
	/* references: the unlinked e3 lives until its fd closes, and the
	 * others are freed when unlinked after their last close */
	assert_int_equal(ffree(), f0 - 4);
	vclose(fds[3]);
	assert_int_equal(ffree(), f0 - 3);
	vclose(a);
	unlink_(MEM, "e1");
	assert_int_equal(ffree(), f0 - 3);
	vclose(b);
	assert_int_equal(ffree(), f0 - 2);
	for (int i = 4; i < n; i++)
		vclose(fds[i]);
	vclose(fds[2]);
	unlink_(MEM, "e2");
	assert_int_equal(MEM->be->rmdir(MEM->fs, MEM->root, "ed"), 0);
	assert_int_equal(ffree(), f0);
	close(p[0]);
	close(p[1]);
	unlink_(HOST, "h1");
	assert_int_equal(HOST->be->rmdir(HOST->fs, HOST->root, "hd"), 0);
}

/* A hostfs file is found again by the path it was opened by: renamed
 * before the execve, the fd must not come back as another file. */
static void test_rebuild_hostfs_renamed(void **state)
{
	(void)state;
	make(HOST, "hr", 0);
	int fd = vopen(HOST, "hr", O_RDONLY);
	struct rec r;
	record(&r, fd);
	assert_int_equal(HOST->be->rename(HOST->fs, HOST->root, "hr", HOST->root, "hr2", 0), 0);
	make(HOST, "hr", 0); /* another file at the old name */
	sy_vfd_closed(fd);
	sy_vfd_rebuild();
	HOST->be->release(HOST->fs, r.old);
	struct vfile *v = sy_vfd_get(fd);
	assert_non_null(v);
	uint64_t now = v->node ? HOST->be->node_id(HOST->fs, v->node) : 0;
	if (v->node && now != r.id) {
		print_message("KNOWN hostfs fd %d after a rename: rebuilt as the file now at "
			      "%s, not the one it had open\n",
			      fd, r.path);
		if (strict)
			fail_msg("rebuilt onto another file");
	}
	sy_vfile_put(v);
	vclose(fd);
	unlink_(HOST, "hr");
	unlink_(HOST, "hr2");
}

/* A placeholder whose memfs node is gone comes back without one (calls on
 * it say ESTALE); one of another table's mount index is not taken. */
static void test_rebuild_stale(void **state)
{
	(void)state;
	make(MEM, "st", 0);
	int fd = vopen(MEM, "st", O_RDONLY);
	struct rec r;
	record(&r, fd);
	sy_vfd_closed(fd);
	unlink_(MEM, "st");
	MEM->be->release(MEM->fs, r.old); /* the node is freed: its id is stale */
	/* a placeholder naming a mount this table does not have */
	char name[128];
	snprintf(name, sizeof(name), "switchyard:7:%llx:0:/nowhere", (unsigned long long)r.id);
	int other = memfd_create(name, MFD_CLOEXEC);
	assert_true(other >= 0);
	MEM->restored = 1;
	sy_vfd_rebuild();
	MEM->restored = 0;
	struct vfile *v = sy_vfd_get(fd);
	assert_non_null(v);
	assert_null(v->node);
	assert_ptr_equal(v->m, MEM);
	sy_vfile_put(v);
	assert_false(sy_vfd_is_virtual(other));
	close(other);
	vclose(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_takes_lowest_number),
	    cmocka_unit_test(test_open_records_the_description),
	    cmocka_unit_test(test_references),
	    cmocka_unit_test(test_open_over_stale_entry),
	    cmocka_unit_test(test_dup),
	    cmocka_unit_test(test_dup2_mixed),
	    cmocka_unit_test(test_close_range),
	    cmocka_unit_test(test_held),
	    cmocka_unit_test(test_vfork_child),
	    cmocka_unit_test(test_lock_stand_in_closed_with_vfile),
	    cmocka_unit_test(test_rebuild),
	    cmocka_unit_test(test_rebuild_hostfs_renamed),
	    cmocka_unit_test(test_rebuild_stale),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
