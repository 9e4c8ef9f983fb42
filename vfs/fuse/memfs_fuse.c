/*
 * memfs behind the kernel's FUSE: the same memfs code switchyard serves in
 * the process, reached instead through /dev/fuse by a libfuse3 low-level
 * daemon, so a benchmark of the two differs only in the transport. A
 * client of the public backend API (include/switchyard/vfs.h), like the
 * VFS layer itself.
 *   memfs_fuse MOUNTPOINT [SIZE_BYTES]     (runs until unmounted)
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <switchyard/vfs.h>

#include "memfs/memfs.h"

static const struct sy_vfs_backend *be;
static struct sy_vfs *fs;
static uint64_t root_id;

/* FUSE's root is inode 1: ids are mapped so that the root's becomes 1 (a
 * bijection: every other id stays away from 1). */
static fuse_ino_t ino_of(struct sy_vfs_node *n)
{
	return be->node_id(fs, n) ^ root_id ^ 1;
}

static int node_of(fuse_ino_t ino, struct sy_vfs_node **out)
{
	return be->node_from_id(fs, ino ^ root_id ^ 1, out);
}

static struct sy_vfs_cred cred_of(fuse_req_t req)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	return (struct sy_vfs_cred){c->uid, c->gid};
}

static void to_stat(struct sy_vfs_node *n, const struct sy_vfs_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino_of(n);
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_rdev = a->rdev;
	st->st_size = (off_t)a->size;
	st->st_blocks = (blkcnt_t)a->blocks;
	st->st_blksize = a->blksize;
	st->st_atim = a->atime;
	st->st_mtim = a->mtime;
	st->st_ctim = a->ctime;
}

/* Replies with an entry for n, whose reference goes to the kernel's
 * lookup count (forget gives it back). */
static void reply_entry(fuse_req_t req, struct sy_vfs_node *n)
{
	struct fuse_entry_param e;
	struct sy_vfs_attr a;
	memset(&e, 0, sizeof(e));
	int r = be->getattr(fs, n, &a);
	if (r < 0) {
		be->release(fs, n);
		fuse_reply_err(req, -r);
		return;
	}
	e.ino = ino_of(n);
	to_stat(n, &a, &e.attr);
	e.attr_timeout = e.entry_timeout = 1.0;
	if (fuse_reply_entry(req, &e) != 0)
		be->release(fs, n);
}

#define WITH_NODE(ino, n)                                                                          \
	struct sy_vfs_node *n;                                                                     \
	int r_ = node_of(ino, &n);                                                                 \
	if (r_ < 0) {                                                                              \
		fuse_reply_err(req, -r_);                                                          \
		return;                                                                            \
	}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	WITH_NODE(parent, dir);
	struct sy_vfs_node *n;
	int r = be->lookup(fs, dir, name, &n);
	be->release(fs, dir);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_entry(req, n);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct sy_vfs_node *n;
	if (node_of(ino, &n) == 0) {
		while (nlookup--)
			be->release(fs, n);
		be->release(fs, n);
	}
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	WITH_NODE(ino, n);
	struct sy_vfs_attr a;
	struct stat st;
	int r = be->getattr(fs, n, &a);
	if (r < 0) {
		fuse_reply_err(req, -r);
	} else {
		to_stat(n, &a, &st);
		fuse_reply_attr(req, &st, 1.0);
	}
	be->release(fs, n);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *st, int to_set,
		       struct fuse_file_info *fi)
{
	(void)fi;
	WITH_NODE(ino, n);
	struct sy_vfs_attr a;
	memset(&a, 0, sizeof(a));
	unsigned mask = 0;
	if (to_set & FUSE_SET_ATTR_MODE)
		mask |= SY_VFS_SET_MODE, a.mode = st->st_mode;
	if (to_set & FUSE_SET_ATTR_UID)
		mask |= SY_VFS_SET_UID, a.uid = st->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		mask |= SY_VFS_SET_GID, a.gid = st->st_gid;
	if (to_set & FUSE_SET_ATTR_SIZE)
		mask |= SY_VFS_SET_SIZE, a.size = (uint64_t)st->st_size;
	if (to_set & FUSE_SET_ATTR_ATIME)
		mask |= SY_VFS_SET_ATIME, a.atime = st->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME)
		mask |= SY_VFS_SET_MTIME, a.mtime = st->st_mtim;
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		mask |= SY_VFS_SET_ATIME_NOW;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		mask |= SY_VFS_SET_MTIME_NOW;
	struct sy_vfs_cred c = cred_of(req);
	int r = be->setattr(fs, n, &a, mask, &c);
	if (r < 0) {
		be->release(fs, n);
		fuse_reply_err(req, -r);
		return;
	}
	struct stat out;
	be->getattr(fs, n, &a);
	to_stat(n, &a, &out);
	be->release(fs, n);
	fuse_reply_attr(req, &out, 1.0);
}

static void make(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, int dir,
		 struct fuse_file_info *fi)
{
	WITH_NODE(parent, d);
	struct sy_vfs_cred c = cred_of(req);
	struct sy_vfs_node *n;
	mode &= ~fuse_req_ctx(req)->umask;
	int r = dir ? be->mkdir(fs, d, name, mode & 07777, &c, &n)
		    : be->create(fs, d, name, mode, 0, &c, &n);
	be->release(fs, d);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (!fi) {
		reply_entry(req, n);
		return;
	}
	struct fuse_entry_param e;
	struct sy_vfs_attr a;
	memset(&e, 0, sizeof(e));
	be->getattr(fs, n, &a);
	e.ino = ino_of(n);
	to_stat(n, &a, &e.attr);
	e.attr_timeout = e.entry_timeout = 1.0;
	if (fuse_reply_create(req, &e, fi) != 0)
		be->release(fs, n);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	make(req, parent, name, mode | S_IFDIR, 1, NULL);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)rdev;
	make(req, parent, name, mode, 0, NULL);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	make(req, parent, name, mode | S_IFREG, 0, fi);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	WITH_NODE(parent, d);
	int r = be->unlink(fs, d, name);
	be->release(fs, d);
	fuse_reply_err(req, -r);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	WITH_NODE(parent, d);
	int r = be->rmdir(fs, d, name);
	be->release(fs, d);
	fuse_reply_err(req, -r);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	WITH_NODE(parent, d);
	struct sy_vfs_node *nd;
	int r = node_of(newparent, &nd);
	if (r == 0) {
		r = be->rename(fs, d, name, nd, newname, flags);
		be->release(fs, nd);
	}
	be->release(fs, d);
	fuse_reply_err(req, -r);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)fi;
	WITH_NODE(ino, n);
	char *buf = malloc(size ? size : 1);
	long r = buf ? be->read(fs, n, buf, size, (uint64_t)off) : -ENOMEM;
	be->release(fs, n);
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_buf(req, buf, (size_t)r);
	free(buf);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)fi;
	WITH_NODE(ino, n);
	struct sy_vfs_cred c = cred_of(req);
	long r = be->write(fs, n, buf, size, (uint64_t)off, &c);
	be->release(fs, n);
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	WITH_NODE(ino, d);
	char *buf = malloc(size);
	struct sy_vfs_dirent ents[32];
	size_t used = 0;
	uint64_t cookie = (uint64_t)off;
	int full = 0;
	while (buf && !full) {
		long n = be->readdir(fs, d, cookie, ents, 32);
		if (n <= 0)
			break;
		for (long i = 0; i < n; i++) {
			struct stat st = {.st_ino = ents[i].ino, .st_mode = (mode_t)ents[i].type << 12};
			size_t need = fuse_add_direntry(req, buf + used, size - used, ents[i].name,
							&st, (off_t)ents[i].next);
			if (need > size - used) {
				full = 1;
				break;
			}
			used += need;
			cookie = ents[i].next;
		}
	}
	be->release(fs, d);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	struct sy_vfs_statfs s;
	struct statvfs v;
	memset(&v, 0, sizeof(v));
	if (be->statfs(fs, &s) == 0) {
		v.f_bsize = s.bsize;
		v.f_frsize = s.frsize;
		v.f_blocks = s.blocks;
		v.f_bfree = s.bfree;
		v.f_bavail = s.bavail;
		v.f_files = s.files;
		v.f_ffree = s.ffree;
		v.f_namemax = 255;
	}
	fuse_reply_statfs(req, &v);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	WITH_NODE(parent, d);
	struct sy_vfs_cred c = cred_of(req);
	struct sy_vfs_node *n;
	int r = be->symlink(fs, d, name, link, &c, &n);
	be->release(fs, d);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_entry(req, n);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	WITH_NODE(ino, n);
	char buf[4097];
	long r = be->readlink(fs, n, buf, sizeof(buf) - 1);
	be->release(fs, n);
	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	buf[r] = 0;
	fuse_reply_readlink(req, buf);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	WITH_NODE(ino, n);
	struct sy_vfs_node *d;
	int r = node_of(newparent, &d);
	if (r == 0) {
		r = be->link(fs, n, d, newname);
		be->release(fs, d);
	}
	if (r < 0) {
		be->release(fs, n);
		fuse_reply_err(req, -r);
	} else {
		reply_entry(req, n);
	}
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino, (void)datasync, (void)fi;
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = op_lookup,
    .forget = op_forget,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .mkdir = op_mkdir,
    .mknod = op_mknod,
    .create = op_create,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .rename = op_rename,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .opendir = op_open,
    .readdir = op_readdir,
    .statfs = op_statfs,
    .symlink = op_symlink,
    .readlink = op_readlink,
    .link = op_link,
    .fsync = op_fsync,
};

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: memfs_fuse MOUNTPOINT [SIZE_BYTES]\n");
		return 2;
	}
	be = sy_memfs_backend();
	struct sy_vfs_option opt = {"size", argc == 3 ? argv[2] : "1073741824"};
	char err[256];
	if (be->mount(&opt, 1, &fs, err, sizeof(err)) < 0) {
		fprintf(stderr, "memfs_fuse: %s\n", err);
		return 1;
	}
	root_id = be->node_id(fs, be->root(fs));
	char *fargv[] = {argv[0], "-o", "default_permissions,allow_other", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se || fuse_session_mount(se, argv[1]) != 0) {
		fprintf(stderr, "memfs_fuse: cannot mount on %s\n", argv[1]);
		return 1;
	}
	fuse_set_signal_handlers(se);
	int r = fuse_session_loop(se);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return r ? 1 : 0;
}
