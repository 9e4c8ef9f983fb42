/*
 * Extended attributes on virtual files: the get, set, list and remove calls
 * in their path, l- and f- forms. The VFS layer checks what the kernel's
 * xattr layer checks (the flags, the name, its namespace, permissions, the
 * value's size) and the backend keeps the attributes; a backend without them
 * answers EOPNOTSUPP, as a file system without xattr support does.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "layer.h"
#include "sy.h"

#define XATTR_MAX 65536 /* XATTR_SIZE_MAX and XATTR_LIST_MAX */

enum xa_op { XA_GET, XA_SET, XA_LIST, XA_REMOVE };

static enum xa_op op_of(long nr, int *form)
{
	switch (nr) {
	case SYS_getxattr:
	case SYS_lgetxattr:
	case SYS_fgetxattr:
		*form = nr == SYS_getxattr ? 0 : nr == SYS_lgetxattr ? 1 : 2;
		return XA_GET;
	case SYS_setxattr:
	case SYS_lsetxattr:
	case SYS_fsetxattr:
		*form = nr == SYS_setxattr ? 0 : nr == SYS_lsetxattr ? 1 : 2;
		return XA_SET;
	case SYS_listxattr:
	case SYS_llistxattr:
	case SYS_flistxattr:
		*form = nr == SYS_listxattr ? 0 : nr == SYS_llistxattr ? 1 : 2;
		return XA_LIST;
	default:
		*form = nr == SYS_removexattr ? 0 : nr == SYS_lremovexattr ? 1 : 2;
		return XA_REMOVE;
	}
}

/* The namespace rules of the kernel's xattr_permission() for a node of
 * attributes a: 0, or the error. */
static int name_allowed(const char *name, const struct sy_vfs_attr *a, int write)
{
	if (strncmp(name, "user.", 5) == 0) {
		if (!name[5])
			return -EINVAL;
		if (!S_ISREG(a->mode) && !S_ISDIR(a->mode))
			return write ? -EPERM : -ENODATA;
		return sy_may(a, write ? W_OK : R_OK);
	}
	if (strncmp(name, "trusted.", 8) == 0) {
		if (!name[8])
			return -EINVAL;
		if (sy_fsuid() != 0)
			return write ? -EPERM : -ENODATA;
		return 0;
	}
	if (strncmp(name, "security.", 9) == 0)
		return name[9] ? 0 : -EINVAL;
	return -EOPNOTSUPP; /* system.* (ACLs) and anything else */
}

int sy_sys_xattr(struct sy_call *c, long *result)
{
	long *a = c->args;
	int form;
	enum xa_op op = op_of(c->nr, &form);
	if (op == XA_SET && (a[4] & ~(long)(XATTR_CREATE | XATTR_REPLACE))) {
		if (form == 2 ? !sy_vfd_is_virtual((int)a[0]) : 0)
			return SY_PASS;
		/* for a path, the flags are looked at before it: the kernel's
		 * answer is the same for a virtual one */
		if (form != 2) {
			*result = -EINVAL;
			return SY_ANSWER;
		}
	}
	struct loc at;
	if (form == 2) {
		struct vfile *v = sy_vfd_get((int)a[0]);
		if (!v)
			return SY_PASS;
		int r = (v->oflags & O_PATH) ? -EBADF : sy_loc_of_vfile(v, &at);
		sy_vfile_put(v);
		if (r < 0) {
			*result = r;
			return SY_ANSWER;
		}
	} else {
		char path[PATH_MAX + 1];
		long n = sy_copy_path_in(path, (const char *)a[0], PATH_MAX);
		if (n < 0) {
			*result = n;
			return SY_ANSWER;
		}
		if (!path[0]) {
			*result = -ENOENT;
			return SY_ANSWER;
		}
		if (!sy_walk_may_enter(AT_FDCWD, path))
			return SY_PASS;
		int r = sy_walk(AT_FDCWD, path, form == 0 ? WALK_FOLLOW : 0, &at, NULL, NULL);
		if (r == 1)
			return SY_PASS;
		if (r < 0) {
			*result = r;
			return SY_ANSWER;
		}
		if (!at.m) { /* through a mount and out: the walk's path */
			*result = sy_raw6(c->nr, (long)at.path, a[1], a[2], a[3], a[4], a[5]);
			return SY_ANSWER;
		}
	}
	struct sy_mount *m = at.m;
	const struct sy_vfs_backend *be = m->be;
	char name[257];
	long r = 0;
	struct sy_vfs_attr attr;
	if (op != XA_LIST) {
		long n = sy_copy_path_in(name, (const char *)a[1], sizeof(name) - 1);
		if (n == -EFAULT)
			r = -EFAULT;
		else if (n < 0 || n == 0)
			r = -ERANGE; /* longer than XATTR_NAME_MAX, or empty */
	}
	if (r == 0)
		r = be->getattr(m->fs, at.node, &attr);
	if (r == 0 && op != XA_LIST)
		r = name_allowed(name, &attr, op == XA_SET || op == XA_REMOVE);
	if (r == 0 && (op == XA_SET || op == XA_REMOVE) && m->readonly)
		r = -EROFS;
	if (r == 0 && !(op == XA_GET	? (void *)be->getxattr
			: op == XA_SET	? (void *)be->setxattr
			: op == XA_LIST ? (void *)be->listxattr
					: (void *)be->removexattr)) {
		sy_vfs_count_refused();
		r = -EOPNOTSUPP;
	}
	char *buf = r == 0 ? sy_vfs_bounce() : NULL;
	if (r == 0 && !buf)
		r = -ENOMEM;
	if (r == 0) {
		switch (op) {
		case XA_GET: {
			size_t size = (size_t)a[3] > XATTR_MAX ? XATTR_MAX : (size_t)a[3];
			r = be->getxattr(m->fs, at.node, name, buf, size);
			if (r > 0 && size && sy_copy_out((void *)a[2], buf, (size_t)r) < 0)
				r = -EFAULT;
			break;
		}
		case XA_SET: {
			size_t size = (size_t)a[3];
			if (size > XATTR_MAX)
				r = -E2BIG;
			else if (size && sy_copy_in(buf, (const void *)a[2], size) < 0)
				r = -EFAULT;
			else
				r = be->setxattr(m->fs, at.node, name, buf, size, (int)a[4]);
			break;
		}
		case XA_LIST: {
			size_t size = (size_t)a[2] > XATTR_MAX ? XATTR_MAX : (size_t)a[2];
			/* all names first, then what the caller may see of them */
			long all = be->listxattr(m->fs, at.node, buf, XATTR_MAX);
			size_t out = 0;
			for (long i = 0; all > 0 && i < all;) {
				size_t l = strlen(buf + i) + 1;
				if (sy_fsuid() == 0 || strncmp(buf + i, "trusted.", 8) != 0) {
					memmove(buf + out, buf + i, l);
					out += l;
				}
				i += (long)l;
			}
			if (all < 0)
				r = all;
			else if (size && out > size)
				r = -ERANGE;
			else if (size && out && sy_copy_out((void *)a[1], buf, out) < 0)
				r = -EFAULT;
			else
				r = (long)out;
			break;
		}
		case XA_REMOVE:
			r = be->removexattr(m->fs, at.node, name);
			break;
		}
	}
	sy_loc_drop(&at);
	*result = r;
	return SY_ANSWER;
}
