/* vfs/memfs: the tmpfs-like backend, through its sy_vfs_backend functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "memfs.h"

static const struct sy_vfs_backend *B;

struct env {
	struct sy_vfs *fs;
	struct sy_vfs_node *root;
};

static const struct sy_vfs_cred cred = {1000, 100};

static struct sy_vfs *mount_size(const char *size)
{
	struct sy_vfs_option opt = {"size", size};
	struct sy_vfs *fs = NULL;
	char err[256] = "";
	int r = B->mount(&opt, size ? 1 : 0, &fs, err, sizeof(err));
	if (r != 0)
		fail_msg("mount: %d %s", r, err);
	return fs;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->fs = mount_size("1M");
	e->root = B->root(e->fs);
	*state = e;
	return e->root ? 0 : -1;
}

static void check(struct sy_vfs *fs)
{
	char err[256] = "";
	if (sy_memfs_check(fs, err, sizeof(err)) != 0)
		fail_msg("arena check: %s", err);
}

static int teardown(void **state)
{
	struct env *e = *state;
	check(e->fs);
	B->release(e->fs, e->root);
	B->unmount(e->fs);
	free(e);
	return 0;
}

static struct sy_vfs_node *mkfile(struct env *e, struct sy_vfs_node *dir, const char *name)
{
	struct sy_vfs_node *n = NULL;
	assert_int_equal(B->create(e->fs, dir, name, S_IFREG | 0644, 0, &cred, &n), 0);
	assert_non_null(n);
	return n;
}

static struct sy_vfs_node *mkdir_(struct env *e, struct sy_vfs_node *dir, const char *name)
{
	struct sy_vfs_node *n = NULL;
	assert_int_equal(B->mkdir(e->fs, dir, name, 0755, &cred, &n), 0);
	return n;
}

static struct sy_vfs_attr attr_of(struct env *e, struct sy_vfs_node *n)
{
	struct sy_vfs_attr a;
	assert_int_equal(B->getattr(e->fs, n, &a), 0);
	return a;
}

static int ts_after(struct timespec a, struct timespec b) /* a > b */
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static int ts_equal(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void tick(void)
{
	struct timespec t = {0, 2000000};
	nanosleep(&t, NULL);
}

/* ------------------------------------------------------------------ tests */

static void test_create_lookup_getattr(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *f = mkfile(e, e->root, "a");
	struct sy_vfs_node *g = NULL;
	assert_int_equal(B->lookup(e->fs, e->root, "a", &g), 0);
	assert_int_equal(B->node_id(e->fs, g), B->node_id(e->fs, f));
	assert_int_equal(B->lookup(e->fs, e->root, "b", &g), -ENOENT);
	assert_int_equal(B->lookup(e->fs, f, "x", &g), -ENOTDIR);
	assert_int_equal(B->create(e->fs, e->root, "a", S_IFREG | 0600, 0, &cred, NULL), -EEXIST);
	char longname[300];
	memset(longname, 'x', 256);
	longname[256] = 0;
	assert_int_equal(B->create(e->fs, e->root, longname, S_IFREG | 0600, 0, &cred, NULL),
			 -ENAMETOOLONG);

	struct sy_vfs_attr a = attr_of(e, f);
	assert_int_equal(a.mode, S_IFREG | 0644);
	assert_int_equal(a.nlink, 1);
	assert_int_equal(a.uid, 1000);
	assert_int_equal(a.gid, 100);
	assert_int_equal(a.size, 0);
	assert_int_equal(a.blocks, 0);
	assert_int_equal(a.blksize, 4096);
	assert_int_equal(a.ino, B->node_id(e->fs, f));
	assert_true(ts_equal(a.mtime, a.ctime) && ts_equal(a.atime, a.btime));

	/* a device node keeps its rdev; a FIFO */
	struct sy_vfs_node *c = NULL;
	assert_int_equal(B->create(e->fs, e->root, "null", S_IFCHR | 0666, 0x103, &cred, &c), 0);
	a = attr_of(e, c);
	assert_int_equal(a.mode, S_IFCHR | 0666);
	assert_int_equal(a.rdev, 0x103);
	assert_int_equal(B->read(e->fs, c, longname, 1, 0), -EINVAL);
	B->release(e->fs, c);
	assert_int_equal(B->create(e->fs, e->root, "d", S_IFDIR | 0755, 0, &cred, NULL), -EINVAL);

	/* root: a sticky directory of 2 links and size 40 + 20 per entry */
	a = attr_of(e, e->root);
	assert_true(S_ISDIR(a.mode));
	assert_int_equal(a.nlink, 2);
	assert_int_equal(a.size, 40 + 2 * 20);
	B->release(e->fs, g);
	B->release(e->fs, f);
}

static void test_write_read_holes(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *f = mkfile(e, e->root, "f");
	char buf[20000], want[20000];
	assert_int_equal(B->write(e->fs, f, "hello", 5, 0, &cred), 5);
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 5), 0);
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 100), 0);
	assert_int_equal(B->read(e->fs, f, buf, 3, 1), 3);
	assert_memory_equal(buf, "ell", 3);

	/* a write past the end leaves a hole that reads as zeros; it
	 * straddles a block boundary */
	assert_int_equal(B->write(e->fs, f, "world", 5, 12286, &cred), 5);
	assert_int_equal(attr_of(e, f).size, 12291);
	/* blocks 0, 2 and 3 only */
	assert_int_equal(attr_of(e, f).blocks, 3 * 8);
	memset(want, 0, sizeof(want));
	memcpy(want, "hello", 5);
	memcpy(want + 12286, "world", 5);
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 12291);
	assert_memory_equal(buf, want, 12291);

	/* sparse growth far out: the block map grows in depth */
	uint64_t far = 5ull << 30;
	assert_int_equal(B->write(e->fs, f, "far", 3, far, &cred), 3);
	assert_int_equal(attr_of(e, f).size, far + 3);
	assert_int_equal(attr_of(e, f).blocks, 4 * 8);
	assert_int_equal(B->read(e->fs, f, buf, 10, far - 4), 7);
	assert_memory_equal(buf, "\0\0\0\0far", 7);
	assert_int_equal(B->read(e->fs, f, buf, 5, 12286), 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(B->read(e->fs, f, buf, 10, 1ull << 30), 10);
	assert_memory_equal(buf, want + 20, 10); /* zeros */

	/* overwrite in the middle, multi-block */
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (char)(i * 7 + 1);
	assert_int_equal(B->write(e->fs, f, want, sizeof(want), 1000, &cred), (long)sizeof(want));
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 1000), (long)sizeof(buf));
	assert_memory_equal(buf, want, sizeof(want));

	/* EFBIG past 2^63 - 1 (MAX_LFS_FILESIZE, as tmpfs), a short write up to it */
	assert_int_equal(B->write(e->fs, f, "x", 1, 1ull << 63, &cred), -EFBIG);
	assert_int_equal(B->write(e->fs, f, "xyz", 3, (1ull << 63) - 2, &cred), 1);
	/* a directory */
	assert_int_equal(B->read(e->fs, e->root, buf, 1, 0), -EISDIR);
	assert_int_equal(B->write(e->fs, e->root, buf, 1, 0, &cred), -EISDIR);
	B->release(e->fs, f);
}

static void test_truncate(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *f = mkfile(e, e->root, "t");
	char buf[10000];
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(B->write(e->fs, f, buf, sizeof(buf), 0, &cred), (long)sizeof(buf));
	struct sy_vfs_attr a = {.size = 5000};
	assert_int_equal(B->setattr(e->fs, f, &a, SY_VFS_SET_SIZE, &cred), 0);
	assert_int_equal(attr_of(e, f).size, 5000);
	assert_int_equal(attr_of(e, f).blocks, 2 * 8);
	/* up again: what was cut reads as zeros */
	a.size = 9000;
	assert_int_equal(B->setattr(e->fs, f, &a, SY_VFS_SET_SIZE, &cred), 0);
	assert_int_equal(attr_of(e, f).blocks, 2 * 8);
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 9000);
	for (int i = 0; i < 9000; i++)
		assert_int_equal(buf[i], i < 5000 ? 'a' : 0);
	a.size = 0;
	assert_int_equal(B->setattr(e->fs, f, &a, SY_VFS_SET_SIZE, &cred), 0);
	assert_int_equal(attr_of(e, f).blocks, 0);
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 0);
	a.size = 1ull << 63;
	assert_int_equal(B->setattr(e->fs, f, &a, SY_VFS_SET_SIZE, &cred), -EFBIG);
	assert_int_equal(B->setattr(e->fs, e->root, &a, SY_VFS_SET_SIZE, &cred), -EISDIR);

	/* fallocate: mode 0 extends, KEEP_SIZE does not, others refused */
	assert_int_equal(B->fallocate(e->fs, f, 0, 0, 8192), 0);
	assert_int_equal(attr_of(e, f).size, 8192);
	assert_int_equal(attr_of(e, f).blocks, 16);
	assert_int_equal(B->fallocate(e->fs, f, FALLOC_FL_KEEP_SIZE, 8192, 4096), 0);
	assert_int_equal(attr_of(e, f).size, 8192);
	assert_int_equal(attr_of(e, f).blocks, 24);
	/* a hole: part of a block reads as zeros, a whole block goes */
	assert_int_equal(B->fallocate(e->fs, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 10),
			 0);
	assert_int_equal(attr_of(e, f).blocks, 24);
	assert_int_equal(
	    B->fallocate(e->fs, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096), 0);
	assert_int_equal(attr_of(e, f).blocks, 16);
	assert_int_equal(attr_of(e, f).size, 8192);
	assert_int_equal(B->fallocate(e->fs, f, FALLOC_FL_PUNCH_HOLE, 0, 10), -EOPNOTSUPP);
	assert_int_equal(B->fallocate(e->fs, f, FALLOC_FL_KEEP_SIZE, 4096, 4096), 0);
	assert_int_equal(B->fallocate(e->fs, f, 0, 0, 0), -EINVAL);
	/* more than the instance holds (1 MiB): all or nothing */
	assert_int_equal(B->fallocate(e->fs, f, 0, 0, 2 << 20), -ENOSPC);
	assert_int_equal(attr_of(e, f).blocks, 24);
	assert_int_equal(B->fsync(e->fs, f, 0), 0);
	B->release(e->fs, f);
}

static void test_mkdir_rmdir(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *d = mkdir_(e, e->root, "d");
	struct sy_vfs_attr a = attr_of(e, d);
	assert_int_equal(a.mode, S_IFDIR | 0755);
	assert_int_equal(a.nlink, 2);
	assert_int_equal(a.size, 40);
	assert_int_equal(B->mkdir(e->fs, e->root, "d", 0755, &cred, NULL), -EEXIST);
	struct sy_vfs_node *f = mkfile(e, d, "f");
	assert_int_equal(B->rmdir(e->fs, e->root, "d"), -ENOTEMPTY);
	assert_int_equal(B->rmdir(e->fs, d, "f"), -ENOTDIR);
	assert_int_equal(B->unlink(e->fs, e->root, "d"), -EISDIR);
	assert_int_equal(B->rmdir(e->fs, e->root, "nope"), -ENOENT);
	assert_int_equal(B->unlink(e->fs, d, "f"), 0);
	assert_int_equal(B->rmdir(e->fs, e->root, "d"), 0);
	assert_int_equal(attr_of(e, d).nlink, 0);
	/* a removed directory takes no new names */
	assert_int_equal(B->create(e->fs, d, "g", S_IFREG | 0644, 0, &cred, NULL), -ENOENT);
	assert_int_equal(B->mkdir(e->fs, d, "g", 0755, &cred, NULL), -ENOENT);
	struct sy_vfs_dirent ents[4];
	assert_int_equal(B->readdir(e->fs, d, 0, ents, 4), 0);
	B->release(e->fs, f);
	B->release(e->fs, d);
	assert_int_equal(attr_of(e, e->root).nlink, 2);

	/* setgid directories hand on their group and the bit */
	struct sy_vfs_node *s = mkdir_(e, e->root, "sgid");
	struct sy_vfs_attr m = {.mode = 02775, .gid = 555};
	assert_int_equal(B->setattr(e->fs, s, &m, SY_VFS_SET_MODE | SY_VFS_SET_GID, &cred), 0);
	struct sy_vfs_node *sub = mkdir_(e, s, "sub");
	struct sy_vfs_node *sf = mkfile(e, s, "file");
	assert_int_equal(attr_of(e, sub).gid, 555);
	assert_int_equal(attr_of(e, sub).mode, S_IFDIR | 02755);
	assert_int_equal(attr_of(e, sf).gid, 555);
	assert_int_equal(attr_of(e, sf).mode, S_IFREG | 0644);
	B->release(e->fs, sub);
	B->release(e->fs, sf);
	B->release(e->fs, s);
}

static void test_unlink_open_file(void **state)
{
	struct env *e = *state;
	struct sy_vfs_statfs st0, st1, st2;
	assert_int_equal(B->statfs(e->fs, &st0), 0);
	struct sy_vfs_node *f = mkfile(e, e->root, "u");
	uint64_t id = B->node_id(e->fs, f);
	char buf[8192];
	memset(buf, 'q', sizeof(buf));
	assert_int_equal(B->write(e->fs, f, buf, sizeof(buf), 0, &cred), (long)sizeof(buf));
	assert_int_equal(B->unlink(e->fs, e->root, "u"), 0);
	assert_int_equal(B->unlink(e->fs, e->root, "u"), -ENOENT);
	struct sy_vfs_node *g;
	assert_int_equal(B->lookup(e->fs, e->root, "u", &g), -ENOENT);
	assert_int_equal(attr_of(e, f).nlink, 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), (long)sizeof(buf));
	assert_int_equal(buf[0], 'q');
	assert_int_equal(buf[8191], 'q');
	assert_int_equal(B->write(e->fs, f, "still", 5, 0, &cred), 5);
	/* an unlinked file may be named again (the VFS layer allows it for
	 * O_TMPFILE files only), and lose that name too */
	assert_int_equal(B->link(e->fs, f, e->root, "again"), 0);
	assert_int_equal(attr_of(e, f).nlink, 1);
	assert_int_equal(B->unlink(e->fs, e->root, "again"), 0);
	assert_int_equal(attr_of(e, f).nlink, 0);
	assert_int_equal(B->statfs(e->fs, &st1), 0);
	assert_int_equal(st1.bfree, st0.bfree - 2);
	assert_int_equal(st1.ffree, st0.ffree - 1);
	/* a second reference through the id keeps it too */
	struct sy_vfs_node *h;
	assert_int_equal(B->node_from_id(e->fs, id, &h), 0);
	B->release(e->fs, f);
	assert_int_equal(B->read(e->fs, h, buf, 5, 0), 5);
	assert_memory_equal(buf, "still", 5);
	B->release(e->fs, h);
	/* gone with the last reference */
	assert_int_equal(B->statfs(e->fs, &st2), 0);
	assert_int_equal(st2.bfree, st0.bfree);
	assert_int_equal(st2.ffree, st0.ffree);
	assert_int_equal(B->node_from_id(e->fs, id, &h), -ESTALE);
}

static void test_link_counts(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *f = mkfile(e, e->root, "f");
	assert_int_equal(B->link(e->fs, f, e->root, "f2"), 0);
	assert_int_equal(B->link(e->fs, f, e->root, "f2"), -EEXIST);
	assert_int_equal(attr_of(e, f).nlink, 2);
	struct sy_vfs_node *d = mkdir_(e, e->root, "d");
	assert_int_equal(B->link(e->fs, f, d, "f3"), 0);
	assert_int_equal(attr_of(e, f).nlink, 3);
	assert_int_equal(B->link(e->fs, d, e->root, "dlink"), -EPERM);
	assert_int_equal(B->link(e->fs, f, f, "x"), -ENOTDIR);
	assert_int_equal(B->unlink(e->fs, e->root, "f"), 0);
	assert_int_equal(attr_of(e, f).nlink, 2);
	struct sy_vfs_node *g;
	assert_int_equal(B->lookup(e->fs, d, "f3", &g), 0);
	assert_ptr_equal(g, f);
	B->release(e->fs, g);

	/* a directory has 2 + its subdirectories */
	assert_int_equal(attr_of(e, e->root).nlink, 3);
	assert_int_equal(attr_of(e, d).nlink, 2);
	struct sy_vfs_node *s1 = mkdir_(e, d, "s1");
	struct sy_vfs_node *s2 = mkdir_(e, d, "s2");
	mkfile(e, d, "plain"); /* leaks one reference: harmless here */
	assert_int_equal(attr_of(e, d).nlink, 4);
	assert_int_equal(attr_of(e, d).size, 40 + 4 * 20);
	assert_int_equal(B->rmdir(e->fs, d, "s1"), 0);
	assert_int_equal(attr_of(e, d).nlink, 3);
	B->release(e->fs, s1);
	B->release(e->fs, s2);
	B->release(e->fs, d);
	B->release(e->fs, f);
}

static uint64_t id_of(struct env *e, struct sy_vfs_node *dir, const char *name)
{
	struct sy_vfs_node *n;
	int r = B->lookup(e->fs, dir, name, &n);
	if (r)
		return 0;
	uint64_t id = B->node_id(e->fs, n);
	B->release(e->fs, n);
	return id;
}

static void test_rename(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *a = mkfile(e, e->root, "a");
	struct sy_vfs_node *b = mkfile(e, e->root, "b");
	struct sy_vfs_node *d1 = mkdir_(e, e->root, "d1");
	struct sy_vfs_node *d2 = mkdir_(e, e->root, "d2");
	uint64_t ia = B->node_id(e->fs, a), ib = B->node_id(e->fs, b);
	uint64_t id1 = B->node_id(e->fs, d1), id2 = B->node_id(e->fs, d2);

	/* plain move */
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "c", 0), 0);
	assert_int_equal(id_of(e, e->root, "a"), 0);
	assert_int_equal(id_of(e, e->root, "c"), ia);
	assert_int_equal(B->rename(e->fs, e->root, "nope", e->root, "x", 0), -ENOENT);
	/* NOREPLACE */
	assert_int_equal(B->rename(e->fs, e->root, "c", e->root, "b", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(B->rename(e->fs, e->root, "c", e->root, "a", RENAME_NOREPLACE), 0);
	assert_int_equal(
	    B->rename(e->fs, e->root, "a", e->root, "b", RENAME_NOREPLACE | RENAME_EXCHANGE),
	    -EINVAL);
	/* EXCHANGE */
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "zz", RENAME_EXCHANGE), -ENOENT);
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "b", RENAME_EXCHANGE), 0);
	assert_int_equal(id_of(e, e->root, "a"), ib);
	assert_int_equal(id_of(e, e->root, "b"), ia);
	/* exchange a file and a directory across directories: link counts */
	struct sy_vfs_node *sub = mkdir_(e, d1, "sub");
	assert_int_equal(attr_of(e, d1).nlink, 3);
	assert_int_equal(B->rename(e->fs, d1, "sub", e->root, "a", RENAME_EXCHANGE), 0);
	assert_int_equal(attr_of(e, d1).nlink, 2);
	assert_int_equal(attr_of(e, e->root).nlink, 5);
	assert_int_equal(id_of(e, d1, "sub"), ib);
	assert_int_equal(B->rename(e->fs, d1, "sub", e->root, "a", RENAME_EXCHANGE), 0);

	/* replace a file: the old one loses a link */
	assert_int_equal(B->rename(e->fs, e->root, "b", e->root, "a", 0), 0);
	assert_int_equal(id_of(e, e->root, "a"), ia);
	assert_int_equal(attr_of(e, b).nlink, 0);
	/* mismatches */
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "d1", 0), -EISDIR);
	assert_int_equal(B->rename(e->fs, e->root, "d1", e->root, "a", 0), -ENOTDIR);
	/* a directory over a non-empty one, then over an empty one */
	assert_int_equal(B->rename(e->fs, e->root, "d2", e->root, "d1", 0), -ENOTEMPTY);
	assert_int_equal(B->rmdir(e->fs, d1, "sub"), 0);
	assert_int_equal(attr_of(e, e->root).nlink, 4);
	assert_int_equal(B->rename(e->fs, e->root, "d2", e->root, "d1", 0), 0);
	assert_int_equal(id_of(e, e->root, "d1"), id2);
	assert_int_equal(attr_of(e, d1).nlink, 0);
	assert_int_equal(attr_of(e, e->root).nlink, 3);
	(void)id1;
	/* a directory moved into another: the parents' counts follow */
	struct sy_vfs_node *x = mkdir_(e, e->root, "x");
	assert_int_equal(attr_of(e, e->root).nlink, 4);
	assert_int_equal(B->rename(e->fs, e->root, "x", d2, "x", 0), 0);
	assert_int_equal(attr_of(e, e->root).nlink, 3);
	assert_int_equal(attr_of(e, d2).nlink, 3);
	/* two names of one file: nothing happens */
	assert_int_equal(B->link(e->fs, a, e->root, "a2"), 0);
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "a2", 0), 0);
	assert_int_equal(id_of(e, e->root, "a"), ia);
	assert_int_equal(id_of(e, e->root, "a2"), ia);
	assert_int_equal(attr_of(e, a).nlink, 2);
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "a2", RENAME_EXCHANGE), 0);
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "a2", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "a", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "a", 0), 0);
	assert_int_equal(id_of(e, e->root, "a"), ia);
	assert_int_equal(B->rename(e->fs, e->root, "a", e->root, "a2", 4 /* WHITEOUT */), -EINVAL);
	/* a directory under itself (the VFS layer refuses it first; memfs
	 * guards its tree too), also by exchange */
	struct sy_vfs_node *in = mkdir_(e, x, "in");
	assert_int_equal(B->rename(e->fs, d2, "x", x, "y", 0), -EINVAL);
	assert_int_equal(B->rename(e->fs, d2, "x", in, "y", 0), -EINVAL);
	assert_int_equal(B->rename(e->fs, x, "in", d2, "x", RENAME_EXCHANGE), -EINVAL);
	assert_int_equal(B->rename(e->fs, d2, "x", x, "in", RENAME_EXCHANGE), -EINVAL);
	/* into a removed directory */
	assert_int_equal(B->rmdir(e->fs, x, "in"), 0);
	assert_int_equal(B->rename(e->fs, e->root, "a2", in, "z", 0), -ENOENT);
	B->release(e->fs, in);
	B->release(e->fs, x);
	B->release(e->fs, sub);
	B->release(e->fs, a);
	B->release(e->fs, b);
	B->release(e->fs, d1);
	B->release(e->fs, d2);
}

static void test_readdir_cookies(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *d = mkdir_(e, e->root, "dir");
	char name[16];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		if (i == 3) {
			assert_int_equal(B->mkdir(e->fs, d, name, 0700, &cred, NULL), 0);
		} else {
			assert_int_equal(B->create(e->fs, d, name, S_IFREG | 0600, 0, &cred, NULL),
					 0);
		}
	}
	struct sy_vfs_dirent ents[4];
	long n = B->readdir(e->fs, d, 0, ents, 4);
	assert_int_equal(n, 4);
	assert_string_equal(ents[0].name, "n0");
	assert_int_equal(ents[0].type, DT_REG);
	assert_int_equal(ents[3].type, DT_DIR);
	assert_int_equal(ents[2].ino, id_of(e, d, "n2"));
	uint64_t cookie = ents[3].next;
	/* remove one already seen, the next to come and a later one; add one */
	assert_int_equal(B->unlink(e->fs, d, "n1"), 0);
	assert_int_equal(B->unlink(e->fs, d, "n4"), 0);
	assert_int_equal(B->unlink(e->fs, d, "n8"), 0);
	assert_int_equal(B->create(e->fs, d, "new", S_IFREG | 0600, 0, &cred, NULL), 0);
	int seen[10] = {0}, seen_new = 0, total = 0;
	while ((n = B->readdir(e->fs, d, cookie, ents, 4)) > 0) {
		for (long i = 0; i < n; i++) {
			if (strcmp(ents[i].name, "new") == 0) {
				seen_new++;
			} else {
				int k = atoi(ents[i].name + 1);
				seen[k]++;
			}
			total++;
		}
		cookie = ents[n - 1].next;
	}
	assert_int_equal(n, 0);
	for (int k = 0; k < 10; k++)
		assert_int_equal(seen[k], (k >= 5 && k != 8) ? 1 : 0);
	assert_true(seen_new <= 1);
	/* an old cookie after everything around it is gone still works */
	assert_int_equal(B->readdir(e->fs, d, ents[0].next, ents, 4) >= 0, 1);
	/* from the start again: each entry once */
	int count = 0;
	cookie = 0;
	while ((n = B->readdir(e->fs, d, cookie, ents, 3)) > 0) {
		count += (int)n;
		cookie = ents[n - 1].next;
	}
	assert_int_equal(count, 8);
	assert_int_equal(B->readdir(e->fs, d, 1000000, ents, 3), 0);
	/* a listing at its end sees an entry added after it; a listing
	 * whose next entry goes sees the one after that */
	assert_int_equal(B->create(e->fs, d, "late", S_IFREG | 0600, 0, &cred, NULL), 0);
	assert_int_equal(B->readdir(e->fs, d, cookie, ents, 3), 1);
	assert_string_equal(ents[0].name, "late");
	assert_int_equal(B->readdir(e->fs, d, 0, ents, 2), 2);
	assert_string_equal(ents[1].name, "n2");
	cookie = ents[1].next;
	assert_int_equal(B->rmdir(e->fs, d, "n3"), 0);
	assert_int_equal(B->readdir(e->fs, d, cookie, ents, 1), 1);
	assert_string_equal(ents[0].name, "n5");
	struct sy_vfs_node *f;
	assert_int_equal(B->lookup(e->fs, d, "n0", &f), 0);
	assert_int_equal(B->readdir(e->fs, f, 0, ents, 3), -ENOTDIR);
	B->release(e->fs, f);
	B->release(e->fs, d);
}

static void test_symlink(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *l = NULL;
	assert_int_equal(B->symlink(e->fs, e->root, "l", "some/where", &cred, &l), 0);
	struct sy_vfs_attr a = attr_of(e, l);
	assert_int_equal(a.mode, S_IFLNK | 0777);
	assert_int_equal(a.size, 10);
	assert_int_equal(a.blocks, 0);
	char buf[5000];
	assert_int_equal(B->readlink(e->fs, l, buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "some/where", 10);
	assert_int_equal(B->readlink(e->fs, l, buf, 4), 4);
	assert_memory_equal(buf, "some", 4);
	assert_int_equal(B->readlink(e->fs, e->root, buf, 4), -EINVAL);
	assert_int_equal(B->symlink(e->fs, e->root, "l", "x", &cred, NULL), -EEXIST);
	assert_int_equal(B->symlink(e->fs, e->root, "empty", "", &cred, NULL), -ENOENT);
	/* a long target takes a block, as on tmpfs */
	memset(buf, 'p', 3000);
	buf[3000] = 0;
	struct sy_vfs_node *m = NULL;
	assert_int_equal(B->symlink(e->fs, e->root, "long", buf, &cred, &m), 0);
	assert_int_equal(attr_of(e, m).blocks, 8);
	char back[5000];
	assert_int_equal(B->readlink(e->fs, m, back, sizeof(back)), 3000);
	assert_memory_equal(back, buf, 3000);
	memset(buf, 'p', 4096);
	buf[4096] = 0;
	assert_int_equal(B->symlink(e->fs, e->root, "toolong", buf, &cred, NULL), -ENAMETOOLONG);
	assert_int_equal(B->unlink(e->fs, e->root, "long"), 0);
	B->release(e->fs, m);
	B->release(e->fs, l);
}

static void test_enospc(void **state)
{
	struct env *e = *state; /* 1 MiB: 256 blocks */
	struct sy_vfs_statfs st;
	assert_int_equal(B->statfs(e->fs, &st), 0);
	assert_int_equal(st.magic, 0x01021994);
	assert_int_equal(st.bsize, 4096);
	assert_int_equal(st.blocks, 256);
	assert_int_equal(st.bfree, 256);
	assert_int_equal(st.namelen, 255);
	assert_true(st.files > 1000 && st.ffree == st.files - 1);
	struct sy_vfs_node *f = mkfile(e, e->root, "big");
	size_t len = 1100 * 1024;
	char *buf = malloc(len);
	memset(buf, 'b', len);
	/* a write that does not fit entirely: the short count */
	assert_int_equal(B->write(e->fs, f, buf, len, 100, &cred), 1024 * 1024 - 100);
	assert_int_equal(attr_of(e, f).size, 1024 * 1024);
	assert_int_equal(B->statfs(e->fs, &st), 0);
	assert_int_equal(st.bfree, 0);
	/* nothing fits any more; writes into existing blocks still do */
	assert_int_equal(B->write(e->fs, f, buf, 10, 1024 * 1024, &cred), -ENOSPC);
	struct sy_vfs_node *g = mkfile(e, e->root, "other");
	assert_int_equal(B->write(e->fs, g, "x", 1, 0, &cred), -ENOSPC);
	assert_int_equal(B->write(e->fs, f, "head", 4, 0, &cred), 4);
	/* freeing makes room */
	struct sy_vfs_attr a = {.size = 4096};
	assert_int_equal(B->setattr(e->fs, f, &a, SY_VFS_SET_SIZE, &cred), 0);
	assert_int_equal(B->write(e->fs, g, "x", 1, 0, &cred), 1);
	assert_int_equal(B->statfs(e->fs, &st), 0);
	assert_int_equal(st.bfree, 254);
	free(buf);
	B->release(e->fs, f);
	B->release(e->fs, g);
}

static void test_times(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *d = mkdir_(e, e->root, "td");
	struct sy_vfs_attr d0 = attr_of(e, d);
	tick();
	struct sy_vfs_node *f = mkfile(e, d, "f");
	struct sy_vfs_attr d1 = attr_of(e, d), f0 = attr_of(e, f);
	/* create: the directory's mtime and ctime */
	assert_true(ts_after(d1.mtime, d0.mtime) && ts_after(d1.ctime, d0.ctime));
	assert_true(ts_equal(d1.atime, d0.atime));
	assert_true(ts_equal(f0.mtime, d1.mtime));
	tick();
	/* write: mtime and ctime */
	assert_int_equal(B->write(e->fs, f, "abc", 3, 0, &cred), 3);
	struct sy_vfs_attr f1 = attr_of(e, f);
	assert_true(ts_after(f1.mtime, f0.mtime) && ts_after(f1.ctime, f0.ctime));
	assert_true(ts_equal(f1.atime, f0.atime));
	assert_true(ts_equal(attr_of(e, d).mtime, d1.mtime));
	tick();
	/* read: atime (relatime: it is older than mtime) */
	char buf[4];
	assert_int_equal(B->read(e->fs, f, buf, 3, 0), 3);
	struct sy_vfs_attr f2 = attr_of(e, f);
	assert_true(ts_after(f2.atime, f1.atime));
	assert_true(ts_equal(f2.mtime, f1.mtime) && ts_equal(f2.ctime, f1.ctime));
	tick();
	/* chmod: ctime only */
	struct sy_vfs_attr m = {.mode = 0600};
	assert_int_equal(B->setattr(e->fs, f, &m, SY_VFS_SET_MODE, &cred), 0);
	struct sy_vfs_attr f3 = attr_of(e, f);
	assert_int_equal(f3.mode, S_IFREG | 0600);
	assert_true(ts_after(f3.ctime, f2.ctime) && ts_equal(f3.mtime, f2.mtime));
	tick();
	/* chown: ctime */
	struct sy_vfs_attr o = {.uid = 7, .gid = 8};
	assert_int_equal(B->setattr(e->fs, f, &o, SY_VFS_SET_UID | SY_VFS_SET_GID, &cred), 0);
	struct sy_vfs_attr f4 = attr_of(e, f);
	assert_int_equal(f4.uid, 7);
	assert_int_equal(f4.gid, 8);
	assert_true(ts_after(f4.ctime, f3.ctime) && ts_equal(f4.mtime, f3.mtime));
	tick();
	/* truncate: mtime and ctime */
	struct sy_vfs_attr t = {.size = 1};
	assert_int_equal(B->setattr(e->fs, f, &t, SY_VFS_SET_SIZE, &cred), 0);
	struct sy_vfs_attr f5 = attr_of(e, f);
	assert_true(ts_after(f5.mtime, f4.mtime) && ts_after(f5.ctime, f4.ctime));
	tick();
	/* link: the file's ctime, the directory's mtime and ctime */
	struct sy_vfs_attr d2 = attr_of(e, d);
	assert_int_equal(B->link(e->fs, f, d, "f2"), 0);
	struct sy_vfs_attr f6 = attr_of(e, f), d3 = attr_of(e, d);
	assert_true(ts_after(f6.ctime, f5.ctime) && ts_equal(f6.mtime, f5.mtime));
	assert_true(ts_after(d3.mtime, d2.mtime) && ts_after(d3.ctime, d2.ctime));
	tick();
	/* unlink: the same */
	assert_int_equal(B->unlink(e->fs, d, "f2"), 0);
	struct sy_vfs_attr f7 = attr_of(e, f), d4 = attr_of(e, d);
	assert_true(ts_after(f7.ctime, f6.ctime) && ts_equal(f7.mtime, f6.mtime));
	assert_true(ts_after(d4.mtime, d3.mtime) && ts_after(d4.ctime, d3.ctime));
	tick();
	/* explicit times (utimensat): as given, and ctime now */
	struct sy_vfs_attr u = {.atime = {1000, 5}, .mtime = {2000, 6}};
	assert_int_equal(B->setattr(e->fs, f, &u, SY_VFS_SET_ATIME | SY_VFS_SET_MTIME, &cred), 0);
	struct sy_vfs_attr f8 = attr_of(e, f);
	assert_true(ts_equal(f8.atime, u.atime) && ts_equal(f8.mtime, u.mtime));
	assert_true(ts_after(f8.ctime, f7.ctime));
	assert_int_equal(B->setattr(e->fs, f, &u, SY_VFS_SET_MTIME_NOW, &cred), 0);
	assert_true(ts_after(attr_of(e, f).mtime, f7.ctime));
	/* birth time never moves */
	assert_true(ts_equal(attr_of(e, f).btime, f0.btime));
	/* rename: both directories' mtime and ctime, the node's ctime; the
	 * node it replaces: ctime */
	struct sy_vfs_node *dd = mkdir_(e, e->root, "td2");
	struct sy_vfs_node *victim = mkfile(e, dd, "victim");
	tick();
	struct sy_vfs_attr f9 = attr_of(e, f), da = attr_of(e, d), db = attr_of(e, dd),
			   v0 = attr_of(e, victim);
	assert_int_equal(B->rename(e->fs, d, "f", dd, "victim", 0), 0);
	struct sy_vfs_attr f10 = attr_of(e, f), da1 = attr_of(e, d), db1 = attr_of(e, dd),
			   v1 = attr_of(e, victim);
	assert_true(ts_after(f10.ctime, f9.ctime) && ts_equal(f10.mtime, f9.mtime));
	assert_true(ts_after(da1.mtime, da.mtime) && ts_after(da1.ctime, da.ctime));
	assert_true(ts_after(db1.mtime, db.mtime) && ts_after(db1.ctime, db.ctime));
	assert_true(ts_after(v1.ctime, v0.ctime) && ts_equal(v1.mtime, v0.mtime));
	assert_int_equal(v1.nlink, 0);
	B->release(e->fs, victim);
	assert_int_equal(B->rename(e->fs, dd, "victim", d, "f", 0), 0);
	/* rmdir and mkdir: the parent's mtime and ctime */
	tick();
	struct sy_vfs_attr r0 = attr_of(e, e->root);
	assert_int_equal(B->rmdir(e->fs, e->root, "td2"), 0);
	struct sy_vfs_attr r1 = attr_of(e, e->root);
	assert_true(ts_after(r1.mtime, r0.mtime) && ts_after(r1.ctime, r0.ctime));
	assert_true(ts_after(attr_of(e, dd).ctime, db1.ctime));
	B->release(e->fs, dd);
	/* readdir: the directory's atime */
	tick();
	struct sy_vfs_dirent ent;
	assert_int_equal(B->readdir(e->fs, d, 0, &ent, 1), 1);
	assert_true(ts_after(attr_of(e, d).atime, d4.atime));
	B->release(e->fs, f);
	B->release(e->fs, d);
}

static void test_node_id(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *f = mkfile(e, e->root, "id");
	uint64_t id = B->node_id(e->fs, f);
	struct sy_vfs_node *g = NULL;
	assert_int_equal(B->node_from_id(e->fs, id, &g), 0);
	assert_int_equal(B->node_id(e->fs, g), id);
	assert_int_equal(B->write(e->fs, g, "x", 1, 0, &cred), 1);
	assert_int_equal(attr_of(e, f).size, 1);
	B->release(e->fs, g);
	uint64_t rid = B->node_id(e->fs, e->root);
	assert_int_equal(B->node_from_id(e->fs, rid, &g), 0);
	B->release(e->fs, g);
	/* bad ids */
	assert_int_equal(B->node_from_id(e->fs, 0, &g), -ESTALE);
	assert_int_equal(B->node_from_id(e->fs, id + 8, &g), -ESTALE);
	assert_int_equal(B->node_from_id(e->fs, id + 256 * 1000, &g), -ESTALE);
	assert_int_equal(B->node_from_id(e->fs, 1ull << 50, &g), -ESTALE);
	/* freed */
	assert_int_equal(B->unlink(e->fs, e->root, "id"), 0);
	B->release(e->fs, f);
	assert_int_equal(B->node_from_id(e->fs, id, &g), -ESTALE);
}

static void test_fork_shared(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *d = mkdir_(e, e->root, "shared");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sy_vfs_node *f = NULL;
		int ok = B->create(e->fs, d, "from-child", S_IFREG | 0644, 0, &cred, &f) == 0 &&
			 B->write(e->fs, f, "child was here", 14, 0, &cred) == 14;
		B->release(e->fs, f);
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct sy_vfs_node *f = NULL;
	assert_int_equal(B->lookup(e->fs, d, "from-child", &f), 0);
	char buf[32];
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 14);
	assert_memory_equal(buf, "child was here", 14);
	B->release(e->fs, f);
	B->release(e->fs, d);
}

static void test_robust_lock(void **state)
{
	struct env *e = *state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* die holding the arena's lock */
		_exit(sy_memfs_test_lock(e->fs) == 0 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the next user recovers the lock */
	struct sy_vfs_node *f = mkfile(e, e->root, "after");
	assert_int_equal(B->write(e->fs, f, "ok", 2, 0, &cred), 2);
	B->release(e->fs, f);
}

static void test_save_restore(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *f = mkfile(e, e->root, "kept");
	assert_int_equal(B->write(e->fs, f, "data", 4, 0, &cred), 4);
	uint64_t id = B->node_id(e->fs, f);
	char saved[64];
	assert_int_equal(B->save(e->fs, saved, sizeof(saved)), 0);
	int fd;
	assert_int_equal(sscanf(saved, "fd=%d", &fd), 1);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0); /* survives execve */
	assert_int_equal(B->save(e->fs, saved, 3), -ENAMETOOLONG);
	assert_int_equal(B->save(e->fs, saved, sizeof(saved)), 0);

	struct sy_vfs *fs2 = NULL;
	char err[256];
	assert_int_equal(B->restore(saved, &fs2, err, sizeof(err)), 0);
	struct sy_vfs_node *r2 = B->root(fs2), *g = NULL;
	assert_int_equal(B->lookup(fs2, r2, "kept", &g), 0);
	assert_int_equal(B->node_id(fs2, g), id);
	char buf[8];
	assert_int_equal(B->read(fs2, g, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "data", 4);
	/* and back: a change through the second view shows in the first */
	assert_int_equal(B->write(fs2, g, "DATA", 4, 0, &cred), 4);
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "DATA", 4);
	struct sy_vfs_node *h;
	assert_int_equal(B->node_from_id(fs2, id, &h), 0);
	B->release(fs2, h);
	B->release(fs2, g);
	B->release(fs2, r2);
	B->unmount(fs2);
	/* the first view is untouched by the second's unmount */
	assert_int_equal(fcntl(fd, F_GETFD), 0);
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 4);
	B->release(e->fs, f);

	/* refusals */
	assert_int_equal(B->restore("fd=x", &fs2, err, sizeof(err)), -EINVAL);
	assert_int_equal(B->restore("fd=5junk", &fs2, err, sizeof(err)), -EINVAL);
	assert_int_equal(B->restore("fd=100000", &fs2, err, sizeof(err)), -EBADF);
	int other = memfd_create("not-memfs", 0);
	assert_true(other >= 0);
	assert_int_equal(ftruncate(other, 1 << 20), 0);
	snprintf(saved, sizeof(saved), "fd=%d", other);
	assert_int_equal(B->restore(saved, &fs2, err, sizeof(err)), -EINVAL);
	close(other);
}

static void test_options(void **state)
{
	(void)state;
	struct sy_vfs *fs = NULL;
	char err[256];
	struct sy_vfs_option bad[] = {{"size", "12q"}};
	assert_int_equal(B->mount(bad, 1, &fs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "size"));
	struct sy_vfs_option tiny[] = {{"size", "4096"}};
	assert_int_equal(B->mount(tiny, 1, &fs, err, sizeof(err)), -EINVAL);
	struct sy_vfs_option unknown[] = {{"colour", "blue"}};
	assert_int_equal(B->mount(unknown, 1, &fs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "colour"));
	struct sy_vfs_option slash[] = {{"name", "a/b"}};
	assert_int_equal(B->mount(slash, 1, &fs, err, sizeof(err)), -EINVAL);
	struct sy_vfs_option empty[] = {{"name", ""}};
	assert_int_equal(B->mount(empty, 1, &fs, err, sizeof(err)), -EINVAL);

	/* the default: 64 MiB; plain bytes; suffixes */
	assert_int_equal(B->mount(NULL, 0, &fs, err, sizeof(err)), 0);
	struct sy_vfs_statfs st;
	assert_int_equal(B->statfs(fs, &st), 0);
	assert_int_equal(st.blocks * st.bsize, 64 << 20);
	B->unmount(fs);
	fs = mount_size("268435456");
	assert_int_equal(B->statfs(fs, &st), 0);
	assert_int_equal(st.blocks * st.bsize, 256 << 20);
	B->unmount(fs);
	fs = mount_size("2M");
	assert_int_equal(B->statfs(fs, &st), 0);
	assert_int_equal(st.blocks, 512);
	B->unmount(fs);
	assert_string_equal(B->name, "memfs");
	assert_int_equal(B->version, SY_VFS_API_VERSION);
}

/* Inodes come from the metadata part: when it is used up, ENOSPC. */
static void test_inode_exhaustion(void **state)
{
	(void)state;
	struct sy_vfs *fs = mount_size("64k");
	struct sy_vfs_node *root = B->root(fs);
	struct sy_vfs_statfs st;
	assert_int_equal(B->statfs(fs, &st), 0);
	assert_int_equal(st.blocks, 16);
	uint64_t files = st.ffree;
	char name[32];
	uint64_t made = 0;
	int r;
	for (;;) {
		snprintf(name, sizeof(name), "%llu", (unsigned long long)made);
		r = B->create(fs, root, name, S_IFREG | 0600, 0, &cred, NULL);
		if (r)
			break;
		made++;
	}
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(made, files);
	assert_int_equal(B->statfs(fs, &st), 0);
	assert_int_equal(st.ffree, 0);
	assert_int_equal(B->mkdir(fs, root, "more", 0700, &cred, NULL), -ENOSPC);
	assert_int_equal(B->symlink(fs, root, "more", "t", &cred, NULL), -ENOSPC);
	assert_int_equal(B->unlink(fs, root, "0"), 0);
	assert_int_equal(B->mkdir(fs, root, "more", 0700, &cred, NULL), 0);
	check(fs);
	B->release(fs, root);
	B->unmount(fs);
}

static void test_many_files(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *d = mkdir_(e, e->root, "many");
	char name[32];
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 2000; i++) {
			snprintf(name, sizeof(name), "file-%d", i);
			struct sy_vfs_node *f = mkfile(e, d, name);
			/* data in some (the instance holds 256 blocks) */
			if (i % 10 == 0)
				assert_int_equal(B->write(e->fs, f, name, strlen(name), 0, &cred),
						 (long)strlen(name));
			B->release(e->fs, f);
		}
		assert_int_equal(attr_of(e, d).size, 40 + 2000 * 20);
		for (int i = 0; i < 2000; i++) {
			snprintf(name, sizeof(name), "file-%d", i);
			assert_int_equal(B->unlink(e->fs, d, name), 0);
		}
	}
	struct sy_vfs_statfs st;
	assert_int_equal(B->statfs(e->fs, &st), 0);
	assert_int_equal(st.bfree, st.blocks);
	assert_int_equal(st.ffree, st.files - 2);
	B->release(e->fs, d);
}

static void test_named(void **state)
{
	(void)state;
	char name[64], path[128], err[256];
	snprintf(name, sizeof(name), "unit-test-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s%s", SY_MEMFS_SHM_PREFIX, name);
	shm_unlink(path);
	struct sy_vfs_option opts[] = {{"name", name}, {"size", "1M"}};
	struct sy_vfs *a = NULL, *b = NULL;
	assert_int_equal(B->mount(opts, 2, &a, err, sizeof(err)), 0);
	char saved[32];
	assert_int_equal(B->save(a, saved, sizeof(saved)), 0);
	int fd = atoi(saved + 3);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	struct sy_vfs_node *ra = B->root(a);
	struct sy_vfs_node *f = NULL;
	assert_int_equal(B->create(a, ra, "named-file", S_IFREG | 0644, 0, &cred, &f), 0);
	assert_int_equal(B->write(a, f, "one", 3, 0, &cred), 3);
	B->release(a, f);
	/* a second mount of the name: the same file system */
	assert_int_equal(B->mount(opts, 1, &b, err, sizeof(err)), 0);
	struct sy_vfs_node *rb = B->root(b);
	assert_int_equal(B->lookup(b, rb, "named-file", &f), 0);
	char buf[8];
	assert_int_equal(B->read(b, f, buf, sizeof(buf), 0), 3);
	assert_memory_equal(buf, "one", 3);
	B->release(b, f);
	B->release(b, rb);
	B->unmount(b);
	/* a process that mounts it by name on its own */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sy_vfs *c = NULL;
		char e2[256];
		if (B->mount(opts, 1, &c, e2, sizeof(e2)) != 0)
			_exit(1);
		struct sy_vfs_node *rc = B->root(c), *g = NULL;
		int ok = B->create(c, rc, "from-other", S_IFREG | 0600, 0, &cred, &g) == 0 &&
			 B->write(c, g, "two", 3, 0, &cred) == 3;
		B->release(c, g);
		B->release(c, rc);
		B->unmount(c);
		_exit(ok ? 0 : 2);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(B->lookup(a, ra, "from-other", &f), 0);
	assert_int_equal(B->read(a, f, buf, sizeof(buf), 0), 3);
	assert_memory_equal(buf, "two", 3);
	B->release(a, f);
	check(a);
	B->release(a, ra);
	B->unmount(a);
	/* it outlives its mounts */
	assert_int_equal(B->mount(opts, 1, &a, err, sizeof(err)), 0);
	ra = B->root(a);
	assert_int_equal(B->lookup(a, ra, "named-file", &f), 0);
	B->release(a, f);
	B->release(a, ra);
	B->unmount(a);
	assert_int_equal(shm_unlink(path), 0);
}

/* Random operations from two processes of two threads each on a few names;
 * the arena must stay consistent. */
struct stress_arg {
	struct sy_vfs *fs;
	unsigned seed;
	int ops;
};

static void *stress_thread(void *p)
{
	struct stress_arg *a = p;
	struct sy_vfs *fs = a->fs;
	unsigned seed = a->seed;
	struct sy_vfs_node *root = B->root(fs);
	static const char *names[] = {"a", "b", "c", "d", "e", "f"};
	char buf[9000];
	memset(buf, 's', sizeof(buf));
	for (int i = 0; i < a->ops; i++) {
		struct sy_vfs_node *dir = root, *sub = NULL, *n = NULL;
		if (rand_r(&seed) % 2 && B->lookup(fs, root, "d", &sub) == 0)
			dir = sub;
		const char *x = names[rand_r(&seed) % 6], *y = names[rand_r(&seed) % 6];
		switch (rand_r(&seed) % 10) {
		case 0:
			if (B->create(fs, dir, x, S_IFREG | 0644, 0, &cred, &n) == 0)
				B->release(fs, n);
			break;
		case 1:
			if (B->mkdir(fs, dir, x, 0755, &cred, &n) == 0)
				B->release(fs, n);
			break;
		case 2:
			B->unlink(fs, dir, x);
			break;
		case 3:
			B->rmdir(fs, dir, x);
			break;
		case 4:
			B->rename(fs, dir, x, rand_r(&seed) % 2 ? root : dir, y,
				  (unsigned)rand_r(&seed) % 3);
			break;
		case 5:
			if (B->lookup(fs, dir, x, &n) == 0) {
				B->link(fs, n, dir, y);
				B->release(fs, n);
			}
			break;
		case 6:
		case 7:
			if (B->lookup(fs, dir, x, &n) == 0) {
				B->write(fs, n, buf, (size_t)rand_r(&seed) % sizeof(buf),
					 (uint64_t)(rand_r(&seed) % 64) * 4000, &cred);
				B->release(fs, n);
			}
			break;
		case 8:
			if (B->lookup(fs, dir, x, &n) == 0) {
				struct sy_vfs_attr at = {.size =
							     (uint64_t)(rand_r(&seed) % 100000)};
				B->setattr(fs, n, &at, SY_VFS_SET_SIZE, &cred);
				B->read(fs, n, buf, sizeof(buf), (uint64_t)(rand_r(&seed) % 50000));
				B->release(fs, n);
			}
			break;
		case 9: {
			struct sy_vfs_dirent ents[3];
			B->readdir(fs, dir, 0, ents, 3);
			break;
		}
		}
		if (sub)
			B->release(fs, sub);
	}
	B->release(fs, root);
	return NULL;
}

static int stress_process(struct sy_vfs *fs, unsigned seed)
{
	pthread_t t[2];
	struct stress_arg args[2];
	for (int i = 0; i < 2; i++) {
		args[i] = (struct stress_arg){fs, seed * 17 + (unsigned)i, 20000};
		if (pthread_create(&t[i], NULL, stress_thread, &args[i]))
			return -1;
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static void rm_rf(struct sy_vfs *fs, struct sy_vfs_node *dir)
{
	struct sy_vfs_dirent ents[16];
	long n;
	while ((n = B->readdir(fs, dir, 0, ents, 16)) > 0) {
		for (long i = 0; i < n; i++) {
			if (ents[i].type == DT_DIR) {
				struct sy_vfs_node *sub;
				assert_int_equal(B->lookup(fs, dir, ents[i].name, &sub), 0);
				rm_rf(fs, sub);
				B->release(fs, sub);
				assert_int_equal(B->rmdir(fs, dir, ents[i].name), 0);
			} else {
				assert_int_equal(B->unlink(fs, dir, ents[i].name), 0);
			}
		}
	}
	assert_int_equal(n, 0);
}

static void test_stress(void **state)
{
	struct env *e = *state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(stress_process(e->fs, 2) == 0 ? 0 : 1);
	assert_int_equal(stress_process(e->fs, 1), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check(e->fs);
	/* and everything goes away */
	rm_rf(e->fs, e->root);
	check(e->fs);
	struct sy_vfs_statfs st;
	assert_int_equal(B->statfs(e->fs, &st), 0);
	assert_int_equal(st.bfree, st.blocks);
	assert_int_equal(st.ffree, st.files - 1);
}

/* Processes killed at random moments, often holding the arena's lock
 * half-way through a change: the next user repairs, the arena checks. */
static void test_kill_repair(void **state)
{
	struct env *e = *state;
	unsigned seed = 7;
	for (int round = 0; round < 40; round++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct stress_arg a = {e->fs, (unsigned)round, 1 << 30};
			stress_thread(&a);
			_exit(0);
		}
		struct timespec t = {0, 200000 + (long)(rand_r(&seed) % 5000) * 1000};
		nanosleep(&t, NULL);
		kill(pid, SIGKILL);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		struct sy_vfs_statfs st;
		assert_int_equal(B->statfs(e->fs, &st), 0); /* takes the lock */
		check(e->fs);
	}
	/* still a working file system (data of files the killed processes
	 * held open stays: their references are gone with them, which the
	 * VFS layer is to settle) */
	rm_rf(e->fs, e->root);
	struct sy_vfs_node *f = NULL, *g = NULL;
	assert_int_equal(B->create(e->fs, e->root, "survivor", S_IFREG | 0600, 0, &cred, &f), 0);
	assert_int_equal(B->lookup(e->fs, e->root, "survivor", &g), 0);
	assert_ptr_equal(f, g);
	B->release(e->fs, f);
	B->release(e->fs, g);
}

/* ------------------------------------------------------ version 2 of the API */

static void test_parent(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *p = NULL;
	/* the root's parent is the root */
	assert_int_equal(B->parent(e->fs, e->root, &p), 0);
	assert_ptr_equal(p, e->root);
	B->release(e->fs, p);
	struct sy_vfs_node *a = mkdir_(e, e->root, "a");
	struct sy_vfs_node *b = mkdir_(e, a, "b");
	struct sy_vfs_node *f = mkfile(e, a, "f");
	assert_int_equal(B->parent(e->fs, b, &p), 0);
	assert_ptr_equal(p, a);
	B->release(e->fs, p);
	assert_int_equal(B->parent(e->fs, a, &p), 0);
	assert_ptr_equal(p, e->root);
	B->release(e->fs, p);
	assert_int_equal(B->parent(e->fs, f, &p), -ENOTDIR);
	/* after a rename to another directory, and an exchange back */
	struct sy_vfs_node *c = mkdir_(e, e->root, "c");
	assert_int_equal(B->rename(e->fs, a, "b", c, "b2", 0), 0);
	assert_int_equal(B->parent(e->fs, b, &p), 0);
	assert_ptr_equal(p, c);
	B->release(e->fs, p);
	assert_int_equal(B->rename(e->fs, c, "b2", a, "f", RENAME_EXCHANGE), 0);
	assert_int_equal(B->parent(e->fs, b, &p), 0);
	assert_ptr_equal(p, a);
	B->release(e->fs, p);
	/* a rename within the directory keeps it */
	assert_int_equal(B->rename(e->fs, a, "f", a, "b", 0), 0);
	assert_int_equal(B->parent(e->fs, b, &p), 0);
	assert_ptr_equal(p, a);
	/* the reference keeps the parent: it is a directory still there */
	assert_int_equal(attr_of(e, p).nlink, 3);
	B->release(e->fs, p);
	/* a removed directory has none */
	assert_int_equal(B->rmdir(e->fs, a, "b"), 0);
	assert_int_equal(B->parent(e->fs, b, &p), -ENOENT);
	assert_int_equal(B->unlink(e->fs, c, "b2"), 0);
	B->release(e->fs, b);
	B->release(e->fs, f);
	B->release(e->fs, c);
	B->release(e->fs, a);
}

static void test_stale_generation(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *f = mkfile(e, e->root, "old");
	uint64_t id = B->node_id(e->fs, f);
	assert_int_equal(B->unlink(e->fs, e->root, "old"), 0);
	B->release(e->fs, f);
	struct sy_vfs_node *n = NULL;
	assert_int_equal(B->node_from_id(e->fs, id, &n), -ESTALE);
	/* the next inode takes the freed slot (memfs: the handle is the
	 * slot's offset): the old id is still stale, the new one differs */
	struct sy_vfs_node *g = mkfile(e, e->root, "new");
	assert_ptr_equal(g, f);
	uint64_t gid = B->node_id(e->fs, g);
	assert_true(gid != id);
	assert_int_equal(B->node_from_id(e->fs, id, &n), -ESTALE);
	assert_int_equal(B->node_from_id(e->fs, gid, &n), 0);
	assert_ptr_equal(n, g);
	B->release(e->fs, n);
	/* st_ino and d_ino are the id */
	assert_int_equal(attr_of(e, g).ino, gid);
	struct sy_vfs_dirent ent;
	assert_int_equal(B->readdir(e->fs, e->root, 0, &ent, 1), 1);
	assert_string_equal(ent.name, "new");
	assert_int_equal(ent.ino, gid);
	/* a directory's slot the same way, through rmdir */
	struct sy_vfs_node *d = mkdir_(e, e->root, "d");
	uint64_t did = B->node_id(e->fs, d);
	assert_int_equal(B->rmdir(e->fs, e->root, "d"), 0);
	B->release(e->fs, d);
	struct sy_vfs_node *d2 = mkdir_(e, e->root, "d2");
	assert_ptr_equal(d2, d);
	assert_int_equal(B->node_from_id(e->fs, did, &n), -ESTALE);
	/* many reuses of one slot: every id differs from all before */
	uint64_t ids[50];
	for (int i = 0; i < 50; i++) {
		struct sy_vfs_node *t = mkfile(e, e->root, "t");
		ids[i] = B->node_id(e->fs, t);
		for (int j = 0; j < i; j++)
			assert_true(ids[j] != ids[i]);
		assert_int_equal(B->unlink(e->fs, e->root, "t"), 0);
		B->release(e->fs, t);
		for (int j = 0; j <= i; j++)
			assert_int_equal(B->node_from_id(e->fs, ids[j], &n), -ESTALE);
	}
	B->release(e->fs, d2);
	B->release(e->fs, g);
}

static uint32_t mode_of(struct env *e, struct sy_vfs_node *n)
{
	return attr_of(e, n).mode & 07777;
}

static void set_mode(struct env *e, struct sy_vfs_node *n, uint32_t mode)
{
	struct sy_vfs_attr m = {.mode = mode};
	assert_int_equal(B->setattr(e->fs, n, &m, SY_VFS_SET_MODE, &cred), 0);
}

/* As Linux 6.x on tmpfs (checked in /dev/shm as root and as nobody). */
static void test_suid_sgid_clearing(void **state)
{
	struct env *e = *state;
	static const struct sy_vfs_cred root = {0, 0}, stranger = {2000, 200};
	struct sy_vfs_node *f = mkfile(e, e->root, "s"); /* uid 1000, gid 100 */
	struct sy_vfs_attr t = {.size = 0};

	/* write by uid 0 keeps both; an empty write changes nothing */
	set_mode(e, f, 06755);
	assert_int_equal(B->write(e->fs, f, "x", 1, 0, &root), 1);
	assert_int_equal(mode_of(e, f), 06755);
	assert_int_equal(B->write(e->fs, f, "x", 0, 0, &cred), 0);
	assert_int_equal(mode_of(e, f), 06755);
	/* by another: S_ISUID, and S_ISGID with S_IXGRP */
	struct sy_vfs_attr a0 = attr_of(e, f);
	tick();
	assert_int_equal(B->write(e->fs, f, "x", 1, 0, &cred), 1);
	struct sy_vfs_attr a1 = attr_of(e, f);
	assert_int_equal(a1.mode & 07777, 0755);
	assert_true(ts_after(a1.ctime, a0.ctime));
	/* S_ISGID without S_IXGRP stays for a writer in the group only */
	set_mode(e, f, 06745);
	assert_int_equal(B->write(e->fs, f, "x", 1, 0, &cred), 1);
	assert_int_equal(mode_of(e, f), 02745);
	assert_int_equal(B->write(e->fs, f, "x", 1, 0, &stranger), 1);
	assert_int_equal(mode_of(e, f), 0745);
	/* a write that cannot start (EFBIG) keeps them */
	set_mode(e, f, 06755);
	assert_int_equal(B->write(e->fs, f, "x", 1, 1ull << 63, &cred), -EFBIG);
	assert_int_equal(mode_of(e, f), 06755);

	/* truncate: as a write */
	assert_int_equal(B->setattr(e->fs, f, &t, SY_VFS_SET_SIZE, &root), 0);
	assert_int_equal(mode_of(e, f), 06755);
	assert_int_equal(B->setattr(e->fs, f, &t, SY_VFS_SET_SIZE, &cred), 0);
	assert_int_equal(mode_of(e, f), 0755);

	/* chown and chgrp, even by uid 0 and to the same ids: S_ISUID goes,
	 * S_ISGID with S_IXGRP */
	struct sy_vfs_attr o = {.uid = 1000, .gid = 100};
	set_mode(e, f, 06755);
	assert_int_equal(B->setattr(e->fs, f, &o, SY_VFS_SET_UID | SY_VFS_SET_GID, &root), 0);
	assert_int_equal(mode_of(e, f), 0755);
	set_mode(e, f, 06745);
	assert_int_equal(B->setattr(e->fs, f, &o, SY_VFS_SET_GID, &root), 0);
	assert_int_equal(mode_of(e, f), 02745);
	assert_int_equal(B->setattr(e->fs, f, &o, SY_VFS_SET_GID, &cred), 0);
	assert_int_equal(mode_of(e, f), 02745);
	/* the group checked is the file's before the change */
	o.gid = 200;
	assert_int_equal(B->setattr(e->fs, f, &o, SY_VFS_SET_GID, &cred), 0);
	assert_int_equal(mode_of(e, f), 02745);
	o.gid = 100;
	assert_int_equal(B->setattr(e->fs, f, &o, SY_VFS_SET_GID, &cred), 0);
	assert_int_equal(mode_of(e, f), 0745); /* the caller is not in group 200 */
	/* chmod alone sets what it is given */
	set_mode(e, f, 06755);
	assert_int_equal(mode_of(e, f), 06755);
	/* a directory keeps both through chown */
	struct sy_vfs_node *d = mkdir_(e, e->root, "sd");
	set_mode(e, d, 06755);
	assert_int_equal(B->setattr(e->fs, d, &o, SY_VFS_SET_UID | SY_VFS_SET_GID, &root), 0);
	assert_int_equal(mode_of(e, d), 06755);
	B->release(e->fs, d);
	B->release(e->fs, f);
}

static void test_statfs_fields(void **state)
{
	struct env *e = *state;
	struct sy_vfs_statfs st, st2, st3;
	assert_int_equal(B->statfs(e->fs, &st), 0);
	assert_int_equal(st.magic, 0x01021994);
	assert_int_equal(st.bsize, 4096);
	assert_int_equal(st.frsize, st.bsize);
	assert_int_equal(st.blocks, 256); /* 1M in frsize units */
	assert_int_equal(st.namelen, 255);
	assert_int_equal(st.flags, ST_RELATIME);
	assert_true(st.fsid != 0);
	/* the same instance restored: the same fsid; another: another */
	char saved[64], err[256];
	struct sy_vfs *fs2 = NULL;
	assert_int_equal(B->save(e->fs, saved, sizeof(saved)), 0);
	assert_int_equal(B->restore(saved, &fs2, err, sizeof(err)), 0);
	assert_int_equal(B->statfs(fs2, &st2), 0);
	assert_int_equal(st2.fsid, st.fsid);
	B->unmount(fs2);
	struct sy_vfs *other = mount_size("1M");
	assert_int_equal(B->statfs(other, &st3), 0);
	assert_true(st3.fsid != st.fsid);
	B->unmount(other);
}

static void test_set_refs(void **state)
{
	struct env *e = *state;
	struct sy_vfs_statfs st0, st1;
	assert_int_equal(B->statfs(e->fs, &st0), 0);
	/* an unlinked file whose last references a dead process held */
	struct sy_vfs_node *f = mkfile(e, e->root, "orphan");
	assert_int_equal(B->write(e->fs, f, "data", 4, 0, &cred), 4);
	uint64_t id = B->node_id(e->fs, f);
	B->hold(e->fs, f); /* the dead process's */
	assert_int_equal(B->unlink(e->fs, e->root, "orphan"), 0);
	B->release(e->fs, f);
	assert_int_equal(B->statfs(e->fs, &st1), 0);
	assert_int_equal(st1.ffree, st0.ffree - 1);
	assert_int_equal(st1.bfree, st0.bfree - 1);
	/* the VFS layer finds no fd left: it takes a handle and sets 0 */
	struct sy_vfs_node *h = NULL;
	assert_int_equal(B->node_from_id(e->fs, id, &h), 0);
	assert_int_equal(B->set_refs(e->fs, h, 0), 0);
	assert_int_equal(B->statfs(e->fs, &st1), 0);
	assert_int_equal(st1.ffree, st0.ffree);
	assert_int_equal(st1.bfree, st0.bfree);
	assert_int_equal(B->node_from_id(e->fs, id, &h), -ESTALE);
	check(e->fs);

	/* one fd left: the count is 1 plus the caller's handle, and the
	 * file goes with the last release */
	f = mkfile(e, e->root, "held");
	id = B->node_id(e->fs, f);
	B->hold(e->fs, f);
	B->hold(e->fs, f);
	assert_int_equal(B->unlink(e->fs, e->root, "held"), 0);
	assert_int_equal(B->set_refs(e->fs, f, 2), 0);
	B->release(e->fs, f);
	assert_int_equal(B->node_from_id(e->fs, id, &h), 0);
	B->release(e->fs, h);
	B->release(e->fs, f);
	assert_int_equal(B->node_from_id(e->fs, id, &h), -ESTALE);

	/* a linked file stays at 0 references */
	struct sy_vfs_node *g = mkfile(e, e->root, "linked");
	assert_int_equal(B->write(e->fs, g, "kept", 4, 0, &cred), 4);
	B->hold(e->fs, g);
	assert_int_equal(B->set_refs(e->fs, g, 0), 0);
	struct sy_vfs_node *l = NULL;
	assert_int_equal(B->lookup(e->fs, e->root, "linked", &l), 0);
	char buf[8];
	assert_int_equal(B->read(e->fs, l, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "kept", 4);
	B->release(e->fs, l);
	/* and a directory the same */
	struct sy_vfs_node *d = mkdir_(e, e->root, "dir");
	assert_int_equal(B->set_refs(e->fs, d, 0), 0);
	assert_int_equal(B->lookup(e->fs, e->root, "dir", &l), 0);
	assert_true(S_ISDIR(attr_of(e, l).mode));
	B->release(e->fs, l);
	assert_int_equal(B->statfs(e->fs, &st1), 0);
	assert_int_equal(st1.ffree, st0.ffree - 2);
}

int main(void)
{
	B = sy_memfs_backend();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_lookup_getattr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_read_holes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mkdir_rmdir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unlink_open_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readdir_cookies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_times, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork_shared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_robust_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_save_restore, setup, teardown),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test_setup_teardown(test_many_files, setup, teardown),
	    cmocka_unit_test(test_inode_exhaustion),
	    cmocka_unit_test(test_named),
	    cmocka_unit_test_setup_teardown(test_stress, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kill_repair, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_generation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_suid_sgid_clearing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_statfs_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_refs, setup, teardown),
	};
	return cmocka_run_group_tests_name("memfs", tests, NULL, NULL);
}
