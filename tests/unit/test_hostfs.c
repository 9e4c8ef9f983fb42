/* vfs/hostfs: the host-directory backend, through its sy_vfs_backend
 * functions, checked against the host files under a temporary source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hostfs.h"

static const struct sy_vfs_backend *B;

static const struct sy_vfs_cred cred = {0, 0};

struct env {
	int fds; /* open before the mount: none may be left after unmount */
	char dir[64];
	struct sy_vfs *fs;
	struct sy_vfs_node *root;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct sy_vfs *mount_opts(const char *source, const char *readonly)
{
	struct sy_vfs_option opts[2] = {{"source", source}, {"readonly", readonly}};
	struct sy_vfs *fs = NULL;
	char err[256] = "";
	int r = B->mount(opts, readonly ? 2 : 1, &fs, err, sizeof(err));
	if (r != 0)
		fail_msg("mount: %d %s", r, err);
	return fs;
}

static int setup_mode(void **state, const char *readonly)
{
	struct env *e = calloc(1, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/sy-hostfs-test.XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	e->fds = count_fds();
	e->fs = mount_opts(e->dir, readonly);
	e->root = B->root(e->fs);
	*state = e;
	return e->root ? 0 : -1;
}

static int setup(void **state)
{
	return setup_mode(state, NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct env *e = *state;
	B->release(e->fs, e->root);
	/* every node the test took is released: only the root's fd is left */
	int held = count_fds() - e->fds;
	B->unmount(e->fs);
	nftw(e->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	int fds = count_fds(), before = e->fds;
	free(e);
	if (held != 1)
		fail_msg("%d fds of nodes before unmount, 1 expected (the root)", held);
	if (fds != before)
		fail_msg("%d fds open after unmount, %d before mount", fds, before);
	return 0;
}

static void host_path(struct env *e, const char *rel, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", e->dir, rel);
}

static void host_write(struct env *e, const char *rel, const char *data)
{
	char p[PATH_MAX];
	host_path(e, rel, p);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static int host_lstat(struct env *e, const char *rel, struct stat *st)
{
	char p[PATH_MAX];
	host_path(e, rel, p);
	return lstat(p, st);
}

static struct sy_vfs_node *look(struct env *e, struct sy_vfs_node *dir, const char *name)
{
	struct sy_vfs_node *n = NULL;
	int r = B->lookup(e->fs, dir, name, &n);
	if (r != 0)
		fail_msg("lookup %s: %d", name, r);
	return n;
}

static struct sy_vfs_attr attr_of(struct env *e, struct sy_vfs_node *n)
{
	struct sy_vfs_attr a;
	assert_int_equal(B->getattr(e->fs, n, &a), 0);
	return a;
}

static void same_as_host(struct env *e, struct sy_vfs_node *n, const char *rel)
{
	struct stat st;
	assert_int_equal(host_lstat(e, rel, &st), 0);
	struct sy_vfs_attr a = attr_of(e, n);
	assert_int_equal(a.ino, st.st_ino);
	assert_int_equal(a.mode, st.st_mode);
	assert_int_equal(a.nlink, st.st_nlink);
	assert_int_equal(a.uid, st.st_uid);
	assert_int_equal(a.gid, st.st_gid);
	assert_int_equal(a.size, st.st_size);
	assert_int_equal(a.blocks, st.st_blocks);
	assert_int_equal(a.blksize, st.st_blksize);
	assert_int_equal(a.rdev, st.st_rdev);
	assert_int_equal(a.mtime.tv_sec, st.st_mtim.tv_sec);
	assert_int_equal(a.mtime.tv_nsec, st.st_mtim.tv_nsec);
	assert_int_equal(a.ctime.tv_sec, st.st_ctim.tv_sec);
	assert_int_equal(a.ctime.tv_nsec, st.st_ctim.tv_nsec);
}

/* ------------------------------------------------------------------ tests */

static void test_mount_errors(void **state)
{
	(void)state;
	struct sy_vfs *fs = NULL;
	char err[256];
	struct sy_vfs_option o[2];

	err[0] = 0;
	assert_int_equal(B->mount(NULL, 0, &fs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "source"));

	o[0] = (struct sy_vfs_option){"source", "/nonexistent-sy-hostfs"};
	err[0] = 0;
	assert_int_equal(B->mount(o, 1, &fs, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent-sy-hostfs"));

	o[0] = (struct sy_vfs_option){"source", "tmp"};
	err[0] = 0;
	assert_int_equal(B->mount(o, 1, &fs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "absolute"));

	o[0] = (struct sy_vfs_option){"source", "/etc/passwd"};
	err[0] = 0;
	assert_int_equal(B->mount(o, 1, &fs, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "/etc/passwd"));

	o[0] = (struct sy_vfs_option){"source", "/tmp"};
	o[1] = (struct sy_vfs_option){"readonly", "maybe"};
	err[0] = 0;
	assert_int_equal(B->mount(o, 2, &fs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "maybe"));

	o[1] = (struct sy_vfs_option){"size", "1M"};
	err[0] = 0;
	assert_int_equal(B->mount(o, 2, &fs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "size"));

	const char *vals[] = {"yes", "no", "true", "false", "1", "0"};
	for (int i = 0; i < 6; i++) {
		o[1] = (struct sy_vfs_option){"readonly", vals[i]};
		fs = NULL;
		assert_int_equal(B->mount(o, 2, &fs, err, sizeof(err)), 0);
		struct sy_vfs_statfs s;
		assert_int_equal(B->statfs(fs, &s), 0);
		assert_int_equal(!!(s.flags & ST_RDONLY), i % 2 == 0);
		char buf[64];
		assert_int_equal(B->save(fs, buf, sizeof(buf)), -ENOSYS);
		B->unmount(fs);
	}
	assert_int_equal(B->restore("x", &fs, err, sizeof(err)), -ENOSYS);
	assert_int_equal(B->version, SY_VFS_API_VERSION);
	assert_string_equal(B->name, "hostfs");
}

static void test_lookup_getattr(void **state)
{
	struct env *e = *state;
	host_write(e, "a", "hello world");
	char p[PATH_MAX];
	host_path(e, "d", p);
	assert_int_equal(mkdir(p, 0750), 0);
	host_write(e, "d/b", "");

	struct sy_vfs_node *a = look(e, e->root, "a");
	same_as_host(e, a, "a");
	struct sy_vfs_node *d = look(e, e->root, "d");
	same_as_host(e, d, "d");
	struct sy_vfs_node *b = look(e, d, "b");
	same_as_host(e, b, "d/b");
	same_as_host(e, e->root, ".");

	/* one node per host file: the same id */
	struct sy_vfs_node *a2 = look(e, e->root, "a");
	assert_ptr_equal(a2, a);
	assert_int_equal(B->node_id(e->fs, a2), B->node_id(e->fs, a));
	B->release(e->fs, a2);

	struct sy_vfs_node *x = NULL;
	assert_int_equal(B->lookup(e->fs, e->root, "nope", &x), -ENOENT);
	assert_int_equal(B->lookup(e->fs, a, "x", &x), -ENOTDIR);
	char longname[300];
	memset(longname, 'x', 256);
	longname[256] = 0;
	assert_int_equal(B->lookup(e->fs, e->root, longname, &x), -ENAMETOOLONG);

	/* ids: round trip, ESTALE once the node is gone, junk is ESTALE */
	uint64_t id = B->node_id(e->fs, b);
	assert_int_equal(B->node_from_id(e->fs, id, &x), 0);
	assert_ptr_equal(x, b);
	B->release(e->fs, x);
	B->release(e->fs, b);
	assert_int_equal(B->node_from_id(e->fs, id, &x), -ESTALE);
	b = look(e, d, "b"); /* may take the same slot: a new generation */
	assert_int_not_equal(B->node_id(e->fs, b), id);
	assert_int_equal(B->node_from_id(e->fs, id, &x), -ESTALE);
	assert_int_equal(B->node_from_id(e->fs, 0, &x), -ESTALE);
	assert_int_equal(B->node_from_id(e->fs, 0x100000fffull, &x), -ESTALE);

	/* set_refs: the whole count */
	B->hold(e->fs, b);
	B->hold(e->fs, b);
	id = B->node_id(e->fs, b);
	assert_int_equal(B->set_refs(e->fs, b, 1), 0);
	assert_int_equal(B->node_from_id(e->fs, id, &x), 0);
	B->release(e->fs, x);
	B->release(e->fs, b);
	assert_int_equal(B->node_from_id(e->fs, id, &x), -ESTALE);
	b = look(e, d, "b");
	id = B->node_id(e->fs, b);
	assert_int_equal(B->set_refs(e->fs, b, 0), 0);
	assert_int_equal(B->node_from_id(e->fs, id, &x), -ESTALE);

	B->release(e->fs, a);
	B->release(e->fs, d);
}

static void test_create_write_read_truncate(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *f = NULL;
	assert_int_equal(B->create(e->fs, e->root, "f", S_IFREG | 0640, 0, &cred, &f), 0);
	struct stat st;
	assert_int_equal(host_lstat(e, "f", &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0640); /* not changed by the umask */
	same_as_host(e, f, "f");
	assert_int_equal(B->create(e->fs, e->root, "f", S_IFREG | 0600, 0, &cred, NULL), -EEXIST);
	assert_int_equal(B->create(e->fs, e->root, "g", S_IFDIR | 0755, 0, &cred, NULL), -EINVAL);

	assert_int_equal(B->write(e->fs, f, "hello", 5, 0, &cred), 5);
	assert_int_equal(B->write(e->fs, f, "XY", 2, 10, &cred), 2);
	char p[PATH_MAX], buf[64];
	host_path(e, "f", p);
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 12);
	assert_memory_equal(buf, "hello\0\0\0\0\0XY", 12);
	close(fd);

	/* written on the host, read by the backend */
	host_write(e, "f", "from the host");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 13);
	assert_string_equal(buf, "from the host");
	assert_int_equal(B->read(e->fs, f, buf, 4, 5), 4);
	assert_memory_equal(buf, "the ", 4);
	assert_int_equal(B->read(e->fs, f, buf, 4, 100), 0);
	same_as_host(e, f, "f");

	/* truncate, extend with zeros */
	struct sy_vfs_attr a = {0};
	a.size = 4;
	assert_int_equal(B->setattr(e->fs, f, &a, SY_VFS_SET_SIZE, &cred), 0);
	assert_int_equal(host_lstat(e, "f", &st), 0);
	assert_int_equal(st.st_size, 4);
	a.size = 8;
	assert_int_equal(B->setattr(e->fs, f, &a, SY_VFS_SET_SIZE, &cred), 0);
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 8);
	assert_memory_equal(buf, "from\0\0\0\0", 8);

	/* mode, times, owner */
	a.mode = 0604;
	a.atime = (struct timespec){1000, 5};
	a.mtime = (struct timespec){2000, 7};
	a.uid = getuid();
	a.gid = getgid();
	assert_int_equal(B->setattr(e->fs, f, &a,
				    SY_VFS_SET_MODE | SY_VFS_SET_ATIME | SY_VFS_SET_MTIME |
					SY_VFS_SET_UID | SY_VFS_SET_GID,
				    &cred),
			 0);
	assert_int_equal(host_lstat(e, "f", &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0604);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_atim.tv_nsec, 5);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_mtim.tv_nsec, 7);
	same_as_host(e, f, "f");
	assert_int_equal(B->setattr(e->fs, f, &a, SY_VFS_SET_MTIME_NOW, &cred), 0);
	assert_int_equal(host_lstat(e, "f", &st), 0);
	assert_true(st.st_mtim.tv_sec > 2000);

	/* fallocate, fsync, data_fd */
	assert_int_equal(B->fallocate(e->fs, f, 0, 0, 20000), 0);
	assert_int_equal(host_lstat(e, "f", &st), 0);
	assert_int_equal(st.st_size, 20000);
	assert_int_equal(B->fsync(e->fs, f, 0), 0);
	assert_int_equal(B->fsync(e->fs, f, 1), 0);
	int dfd = -1;
	uint64_t off = 1;
	assert_int_equal(B->data_fd(e->fs, f, &dfd, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(pwrite(dfd, "FROM", 4, 0), 4);
	close(dfd);
	assert_int_equal(B->read(e->fs, f, buf, 4, 0), 4);
	assert_memory_equal(buf, "FROM", 4);

	/* an unlinked file keeps its data for the node */
	assert_int_equal(B->unlink(e->fs, e->root, "f"), 0);
	assert_int_equal(host_lstat(e, "f", &st), -1);
	assert_int_equal(B->write(e->fs, f, "gone", 4, 0, &cred), 4);
	assert_int_equal(B->read(e->fs, f, buf, 4, 0), 4);
	assert_memory_equal(buf, "gone", 4);
	assert_int_equal(attr_of(e, f).nlink, 0);
	B->release(e->fs, f);

	/* a FIFO and a directory are not read */
	struct sy_vfs_node *q = NULL;
	assert_int_equal(B->create(e->fs, e->root, "fifo", S_IFIFO | 0600, 0, &cred, &q), 0);
	assert_int_equal(host_lstat(e, "fifo", &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(B->read(e->fs, q, buf, 1, 0), -EINVAL);
	assert_int_equal(B->read(e->fs, e->root, buf, 1, 0), -EISDIR);
	assert_int_equal(B->write(e->fs, e->root, buf, 1, 0, &cred), -EISDIR);
	B->release(e->fs, q);
}

static void test_namespace_ops(void **state)
{
	struct env *e = *state;
	struct stat st;
	struct sy_vfs_node *d = NULL, *s = NULL, *x = NULL;
	assert_int_equal(B->mkdir(e->fs, e->root, "d", 0710, &cred, &d), 0);
	assert_int_equal(host_lstat(e, "d", &st), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0710);
	same_as_host(e, d, "d");
	assert_int_equal(B->mkdir(e->fs, e->root, "d", 0700, &cred, NULL), -EEXIST);
	assert_int_equal(B->create(e->fs, d, "f", S_IFREG | 0644, 0, &cred, NULL), 0);
	assert_int_equal(host_lstat(e, "d/f", &st), 0);

	assert_int_equal(B->rmdir(e->fs, e->root, "d"), -ENOTEMPTY);
	assert_int_equal(B->unlink(e->fs, e->root, "d"), -EISDIR);
	assert_int_equal(B->rmdir(e->fs, d, "f"), -ENOTDIR);
	assert_int_equal(B->unlink(e->fs, e->root, "nope"), -ENOENT);

	/* link */
	struct sy_vfs_node *f = look(e, d, "f");
	assert_int_equal(B->link(e->fs, f, e->root, "f2"), 0);
	assert_int_equal(host_lstat(e, "f2", &st), 0);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(st.st_ino, attr_of(e, f).ino);
	assert_int_equal(B->link(e->fs, f, e->root, "f2"), -EEXIST);
	assert_int_equal(B->link(e->fs, d, e->root, "dl"), -EPERM);

	/* symlink, readlink */
	assert_int_equal(B->symlink(e->fs, e->root, "s", "d/f", &cred, &s), 0);
	char p[PATH_MAX], buf[PATH_MAX];
	host_path(e, "s", p);
	ssize_t n = readlink(p, buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "d/f", 3);
	assert_int_equal(B->readlink(e->fs, s, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "d/f", 3);
	assert_int_equal(B->readlink(e->fs, s, buf, 2), 2);
	assert_int_equal(B->readlink(e->fs, f, buf, sizeof(buf)), -EINVAL);
	same_as_host(e, s, "s");
	assert_true(S_ISLNK(attr_of(e, s).mode));
	/* a hard link to the symlink itself, not to what it names */
	assert_int_equal(B->link(e->fs, s, e->root, "s2"), 0);
	assert_int_equal(host_lstat(e, "s2", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_ino, attr_of(e, s).ino);
	assert_int_equal(B->unlink(e->fs, e->root, "s2"), 0);

	/* rename, with its flags; parent follows */
	struct sy_vfs_node *d2 = NULL;
	assert_int_equal(B->mkdir(e->fs, e->root, "d2", 0755, &cred, &d2), 0);
	assert_int_equal(B->parent(e->fs, d, &x), 0);
	assert_ptr_equal(x, e->root);
	B->release(e->fs, x);
	assert_int_equal(B->rename(e->fs, e->root, "d", d2, "moved", 0), 0);
	assert_int_equal(host_lstat(e, "d", &st), -1);
	assert_int_equal(host_lstat(e, "d2/moved/f", &st), 0);
	assert_int_equal(B->parent(e->fs, d, &x), 0);
	assert_ptr_equal(x, d2);
	B->release(e->fs, x);
	assert_int_equal(B->rename(e->fs, e->root, "f2", e->root, "s", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(B->rename(e->fs, e->root, "f2", e->root, "s", RENAME_EXCHANGE), 0);
	assert_int_equal(host_lstat(e, "f2", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(host_lstat(e, "s", &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(B->rename(e->fs, e->root, "s", e->root, "f2", 0), 0);
	assert_int_equal(host_lstat(e, "s", &st), -1);
	assert_int_equal(host_lstat(e, "f2", &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(B->rename(e->fs, e->root, "nope", e->root, "x", 0), -ENOENT);

	/* parent of the root, of a file, of a removed directory */
	assert_int_equal(B->parent(e->fs, e->root, &x), 0);
	assert_ptr_equal(x, e->root);
	B->release(e->fs, x);
	assert_int_equal(B->parent(e->fs, f, &x), -ENOTDIR);
	assert_int_equal(B->unlink(e->fs, d, "f"), 0);
	assert_int_equal(B->unlink(e->fs, e->root, "f2"), 0);
	assert_int_equal(B->rmdir(e->fs, d2, "moved"), 0);
	assert_int_equal(host_lstat(e, "d2/moved", &st), -1);
	assert_int_equal(B->parent(e->fs, d, &x), -ENOENT);

	B->release(e->fs, f);
	B->release(e->fs, s);
	B->release(e->fs, d);
	B->release(e->fs, d2);
}

static void test_readdir(void **state)
{
	struct env *e = *state;
	char name[64], p[PATH_MAX];
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "file-%02d", i);
		host_write(e, name, "x");
	}
	host_path(e, "sub", p);
	assert_int_equal(mkdir(p, 0755), 0);
	host_path(e, "ln", p);
	assert_int_equal(symlink("/etc", p), 0);

	/* what the host lists */
	char seen[64][256];
	int nhost = 0;
	DIR *dir = opendir(e->dir);
	struct dirent *de;
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			nhost++;
	closedir(dir);
	assert_int_equal(nhost, 62);

	/* in chunks of 7, by cookie */
	struct sy_vfs_dirent ents[7];
	uint64_t cookie = 0, mid = 0;
	int total = 0;
	long n;
	while ((n = B->readdir(e->fs, e->root, cookie, ents, 7)) > 0) {
		for (long i = 0; i < n; i++) {
			assert_true(total < 64);
			assert_string_not_equal(ents[i].name, ".");
			assert_string_not_equal(ents[i].name, "..");
			for (int j = 0; j < total; j++)
				assert_string_not_equal(seen[j], ents[i].name);
			struct stat st;
			assert_int_equal(host_lstat(e, ents[i].name, &st), 0);
			assert_int_equal(ents[i].ino, st.st_ino);
			assert_int_equal(ents[i].type, IFTODT(st.st_mode));
			snprintf(seen[total++], 256, "%s", ents[i].name);
		}
		cookie = ents[n - 1].next;
		if (total == 21)
			mid = cookie;
	}
	assert_int_equal(n, 0);
	assert_int_equal(total, nhost);

	/* from a cookie in the middle: the rest, once */
	int rest = 0;
	cookie = mid;
	while ((n = B->readdir(e->fs, e->root, cookie, ents, 7)) > 0) {
		for (long i = 0; i < n; i++)
			assert_string_equal(ents[i].name, seen[21 + rest++]);
		cookie = ents[n - 1].next;
	}
	assert_int_equal(rest, nhost - 21);

	/* an empty directory, a file */
	struct sy_vfs_node *sub = look(e, e->root, "sub");
	assert_int_equal(B->readdir(e->fs, sub, 0, ents, 7), 0);
	struct sy_vfs_node *f = look(e, e->root, "file-00");
	assert_int_equal(B->readdir(e->fs, f, 0, ents, 7), -ENOTDIR);
	B->release(e->fs, sub);
	B->release(e->fs, f);
}

static int setup_ro(void **state)
{
	/* the source, filled before a readonly mount */
	struct env *e = calloc(1, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/sy-hostfs-test.XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/f", e->dir);
	FILE *fp = fopen(p, "w");
	fputs("read me", fp);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/d", e->dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/d/g", e->dir);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/s", e->dir);
	if (symlink("f", p) < 0)
		return -1;
	e->fds = count_fds();
	e->fs = mount_opts(e->dir, "yes");
	e->root = B->root(e->fs);
	*state = e;
	return e->root ? 0 : -1;
}

static void test_readonly(void **state)
{
	struct env *e = *state;
	struct sy_vfs_node *f = look(e, e->root, "f"), *d = look(e, e->root, "d");
	struct sy_vfs_node *s = look(e, e->root, "s"), *x = NULL;
	char buf[64];
	struct stat before, after;
	assert_int_equal(host_lstat(e, "f", &before), 0);

	/* reads work */
	assert_int_equal(B->read(e->fs, f, buf, sizeof(buf), 0), 7);
	assert_memory_equal(buf, "read me", 7);
	assert_int_equal(B->readlink(e->fs, s, buf, sizeof(buf)), 1);
	struct sy_vfs_dirent ents[8];
	assert_int_equal(B->readdir(e->fs, e->root, 0, ents, 8), 3);
	same_as_host(e, f, "f");
	assert_int_equal(B->fsync(e->fs, f, 0), 0);
	struct sy_vfs_statfs sf;
	assert_int_equal(B->statfs(e->fs, &sf), 0);
	assert_true(sf.flags & ST_RDONLY);

	/* every change is EROFS */
	struct sy_vfs_attr a = attr_of(e, f);
	static const unsigned masks[] = {
	    SY_VFS_SET_MODE,  SY_VFS_SET_UID,	SY_VFS_SET_GID,	      SY_VFS_SET_SIZE,
	    SY_VFS_SET_ATIME, SY_VFS_SET_MTIME, SY_VFS_SET_ATIME_NOW, SY_VFS_SET_MTIME_NOW};
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++)
		assert_int_equal(B->setattr(e->fs, f, &a, masks[i], &cred), -EROFS);
	assert_int_equal(B->write(e->fs, f, "x", 1, 0, &cred), -EROFS);
	assert_int_equal(B->fallocate(e->fs, f, 0, 0, 100), -EROFS);
	assert_int_equal(B->create(e->fs, e->root, "new", S_IFREG | 0644, 0, &cred, &x), -EROFS);
	assert_int_equal(B->create(e->fs, e->root, "fifo", S_IFIFO | 0644, 0, &cred, &x), -EROFS);
	assert_int_equal(B->create(e->fs, e->root, "f", S_IFREG | 0644, 0, &cred, &x), -EEXIST);
	assert_int_equal(B->mkdir(e->fs, e->root, "nd", 0755, &cred, &x), -EROFS);
	assert_int_equal(B->symlink(e->fs, e->root, "ns", "f", &cred, &x), -EROFS);
	assert_int_equal(B->link(e->fs, f, e->root, "nl"), -EROFS);
	assert_int_equal(B->unlink(e->fs, e->root, "f"), -EROFS);
	assert_int_equal(B->unlink(e->fs, e->root, "s"), -EROFS);
	assert_int_equal(B->rmdir(e->fs, e->root, "d"), -EROFS);
	assert_int_equal(B->unlink(e->fs, d, "g"), -EROFS);
	assert_int_equal(B->rename(e->fs, e->root, "f", e->root, "f3", 0), -EROFS);
	assert_int_equal(B->rename(e->fs, e->root, "f", d, "g", RENAME_EXCHANGE), -EROFS);
	int dfd = -1;
	uint64_t off;
	assert_int_equal(B->data_fd(e->fs, f, &dfd, &off), 0);
	assert_int_equal(fcntl(dfd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(dfd);

	/* nothing changed on the host */
	assert_int_equal(host_lstat(e, "f", &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(host_lstat(e, "new", &after), -1);
	assert_int_equal(host_lstat(e, "nd", &after), -1);
	assert_int_equal(host_lstat(e, "d/g", &after), 0);
	B->release(e->fs, f);
	B->release(e->fs, d);
	B->release(e->fs, s);
}

static void test_no_escape(void **state)
{
	struct env *e = *state;
	char p[PATH_MAX], buf[PATH_MAX];
	host_path(e, "etc", p);
	assert_int_equal(symlink("/etc", p), 0);
	host_path(e, "up", p);
	assert_int_equal(symlink("../..", p), 0);
	host_path(e, "d", p);
	assert_int_equal(mkdir(p, 0755), 0);
	host_path(e, "d/up", p);
	assert_int_equal(symlink("../../..", p), 0);
	host_path(e, "pw", p);
	assert_int_equal(symlink("/etc/passwd", p), 0);

	struct sy_vfs_node *x = NULL;
	const char *links[] = {"etc", "up", "pw"}, *targets[] = {"/etc", "../..", "/etc/passwd"};
	for (int i = 0; i < 3; i++) {
		struct sy_vfs_node *l = look(e, e->root, links[i]);
		assert_true(S_ISLNK(attr_of(e, l).mode));
		same_as_host(e, l, links[i]);
		long n = B->readlink(e->fs, l, buf, sizeof(buf));
		assert_int_equal(n, strlen(targets[i]));
		assert_memory_equal(buf, targets[i], n);
		/* not looked through */
		assert_int_equal(B->lookup(e->fs, l, "passwd", &x), -ENOTDIR);
		assert_int_equal(B->lookup(e->fs, l, "..", &x), -ENOTDIR);
		assert_int_equal(B->readdir(e->fs, l, 0, NULL, 0), -ENOTDIR);
		char rb[8];
		assert_int_equal(B->read(e->fs, l, rb, sizeof(rb), 0), -EINVAL);
		B->release(e->fs, l);
	}

	/* ".." at the root is the root; in d it is the root; "." is itself */
	assert_int_equal(B->lookup(e->fs, e->root, "..", &x), 0);
	assert_ptr_equal(x, e->root);
	assert_int_equal(B->node_id(e->fs, x), B->node_id(e->fs, e->root));
	B->release(e->fs, x);
	struct sy_vfs_node *d = look(e, e->root, "d");
	assert_int_equal(B->lookup(e->fs, d, "..", &x), 0);
	assert_ptr_equal(x, e->root);
	B->release(e->fs, x);
	assert_int_equal(B->lookup(e->fs, d, ".", &x), 0);
	assert_ptr_equal(x, d);
	B->release(e->fs, x);
	struct sy_vfs_node *l = look(e, d, "up");
	assert_int_equal(B->lookup(e->fs, l, "etc", &x), -ENOTDIR);
	B->release(e->fs, l);

	/* names with '/' are refused */
	assert_int_equal(B->lookup(e->fs, e->root, "d/up", &x), -EINVAL);
	assert_int_equal(B->lookup(e->fs, e->root, "etc/passwd", &x), -EINVAL);
	assert_int_equal(B->lookup(e->fs, e->root, "/etc", &x), -EINVAL);
	assert_int_equal(B->lookup(e->fs, d, "../..", &x), -EINVAL);
	assert_int_equal(B->lookup(e->fs, e->root, "", &x), -ENOENT);
	assert_int_equal(B->create(e->fs, e->root, "etc/evil", S_IFREG | 0644, 0, &cred, NULL),
			 -EINVAL);
	assert_int_equal(B->mkdir(e->fs, e->root, "up/evil", 0755, &cred, NULL), -EINVAL);
	assert_int_equal(B->symlink(e->fs, e->root, "a/b", "x", &cred, NULL), -EINVAL);
	assert_int_equal(B->unlink(e->fs, e->root, "etc/passwd"), -EINVAL);
	assert_int_equal(B->rmdir(e->fs, e->root, ".."), -EINVAL);
	assert_int_equal(B->rename(e->fs, e->root, "pw", e->root, "../pw", 0), -EINVAL);
	assert_int_equal(B->rename(e->fs, e->root, "../x", e->root, "pw2", 0), -EINVAL);
	struct stat st;
	assert_int_equal(host_lstat(e, "pw", &st), 0);
	B->release(e->fs, d);
}

static void test_statfs(void **state)
{
	struct env *e = *state;
	struct sy_vfs_statfs s;
	assert_int_equal(B->statfs(e->fs, &s), 0);
	struct statfs h;
	assert_int_equal(statfs(e->dir, &h), 0);
	assert_int_equal(s.magic, (uint64_t)h.f_type);
	assert_int_equal(s.bsize, (uint64_t)h.f_bsize);
	assert_int_equal(s.frsize, (uint64_t)h.f_frsize);
	assert_int_equal(s.blocks, h.f_blocks);
	assert_int_equal(s.files, h.f_files);
	assert_int_equal(s.namelen, (uint64_t)h.f_namelen);
	uint64_t fsid;
	memcpy(&fsid, &h.f_fsid, sizeof(fsid));
	assert_int_equal(s.fsid, fsid);
	assert_int_equal(s.flags, (uint64_t)h.f_flags & ~(uint64_t)0x20);
	assert_false(s.flags & ST_RDONLY);
	struct statvfs v;
	assert_int_equal(statvfs(e->dir, &v), 0);
	assert_int_equal(s.flags & ~(uint64_t)ST_RELATIME, v.f_flag & ~(uint64_t)ST_RELATIME);
}

struct worker {
	struct env *e;
	int failures;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct env *e = w->e;
	for (int i = 0; i < 2000; i++) {
		struct sy_vfs_node *d = NULL, *f = NULL, *p = NULL;
		char buf[8];
		if (B->lookup(e->fs, e->root, "d", &d) != 0) {
			w->failures++;
			continue;
		}
		if (B->lookup(e->fs, d, "f", &f) != 0 || B->read(e->fs, f, buf, 8, 0) != 3 ||
		    B->parent(e->fs, d, &p) != 0 || p != e->root)
			w->failures++;
		struct sy_vfs_node *g = NULL;
		if (f && B->node_from_id(e->fs, B->node_id(e->fs, f), &g) == 0)
			B->release(e->fs, g);
		B->release(e->fs, p);
		B->release(e->fs, f);
		B->release(e->fs, d);
	}
	return NULL;
}

/* Threads looking up, reading and releasing the same nodes. */
static void test_threads(void **state)
{
	struct env *e = *state;
	char p[PATH_MAX];
	host_path(e, "d", p);
	assert_int_equal(mkdir(p, 0755), 0);
	host_write(e, "d/f", "abc");
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){e, 0};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
}

int main(void)
{
	B = sy_hostfs_backend();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mount_errors),
	    cmocka_unit_test_setup_teardown(test_lookup_getattr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_write_read_truncate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_namespace_ops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readdir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readonly, setup_ro, teardown),
	    cmocka_unit_test_setup_teardown(test_no_escape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_statfs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests_name("hostfs", tests, NULL, NULL);
}
