/*
 * The path walk, as the kernel's: absolute paths ignore the dirfd, AT_FDCWD
 * is the virtual cwd (which may be inside a mount), `..` at a mount's root
 * leaves the mount, symlinks inside a mount are followed with the kernel's
 * limit of 40 (ELOOP), a trailing '/' asks for a directory.
 *
 * On the kernel's side of a path the walk only keeps the path's text: a
 * walk that never enters a mount says so (return 1) and the kernel takes the
 * call as the program made it, with its own resolution. Only a walk that
 * passed through a mount and left it again (`..` at its root, a symlink in
 * it to an absolute path) hands the kernel a path of the walk's making.
 * What the walk cannot see: a symlink on the kernel's side that points into
 * a mount (the kernel follows it to whatever lies at the mount point there).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "layer.h"
#include "sy.h"

#define MAX_LINKS 40

struct loc sy_cwd;
int sy_cwd_lock;

void sy_loc_copy(struct loc *dst, const struct loc *src)
{
	dst->m = src->m;
	dst->node = src->node;
	memcpy(dst->path, src->path, strlen(src->path) + 1);
	if (dst->m)
		dst->m->be->hold(dst->m->fs, dst->node);
}

int sy_loc_of_vfile(const struct vfile *v, struct loc *at)
{
	at->m = v->node ? v->m : NULL;
	at->node = v->node;
	memcpy(at->path, v->path, strlen(v->path) + 1);
	if (!v->node)
		return -ESTALE;
	at->m->be->hold(at->m->fs, at->node);
	return 0;
}

void sy_loc_drop(struct loc *l)
{
	if (l->m && l->node)
		l->m->be->release(l->m->fs, l->node);
	l->m = NULL;
	l->node = NULL;
}

/* Make *to the current directory (its hold passes to the cwd) or, with
 * NULL, the kernel's, whose path is then read back from the kernel. */
void sy_cwd_set(struct loc *to)
{
	sy_spin_lock(&sy_cwd_lock);
	struct loc old = sy_cwd;
	if (to) {
		sy_cwd = *to;
	} else {
		sy_cwd.m = NULL;
		sy_cwd.node = NULL;
	}
	sy_spin_unlock(&sy_cwd_lock);
	sy_loc_drop(&old);
	if (!to)
		sy_cwd_refresh();
}

/* A held copy of the current directory into *l. */
void sy_cwd_get(struct loc *l)
{
	sy_spin_lock(&sy_cwd_lock);
	sy_loc_copy(l, &sy_cwd);
	sy_spin_unlock(&sy_cwd_lock);
}

void sy_cwd_refresh(void)
{
	char buf[PATH_MAX];
	long r = sy_raw2(SYS_getcwd, buf, sizeof(buf));
	sy_spin_lock(&sy_cwd_lock);
	if (!sy_cwd.m)
		snprintf(sy_cwd.path, sizeof(sy_cwd.path), "%s", r > 0 ? buf : "/");
	sy_spin_unlock(&sy_cwd_lock);
}

/* "/proc/self/fd/N", "/dev/fd/N", "/proc/thread-self/fd/N" or
 * "/proc/PID/fd/N" (PID this process): N, with *rest at what follows;
 * -1 for any other path. */
int sy_magic_fd(const char *path, const char **rest)
{
	const char *p;
	if (strncmp(path, "/dev/fd/", 8) == 0) {
		p = path + 8;
	} else if (strncmp(path, "/proc/", 6) == 0) {
		const char *q = path + 6;
		char *end;
		if (strncmp(q, "self/", 5) == 0)
			q += 5;
		else if (strncmp(q, "thread-self/", 12) == 0)
			q += 12;
		else if (*q >= '1' && *q <= '9' && strtol(q, &end, 10) == sy_raw0(SYS_getpid) &&
			 *end == '/')
			q = end + 1;
		else
			return -1;
		if (strncmp(q, "cwd", 3) == 0 && (q[3] == 0 || q[3] == '/')) {
			*rest = q + 3;
			return SY_MAGIC_CWD;
		}
		if (strncmp(q, "fd/", 3) != 0)
			return -1;
		p = q + 3;
	} else
		return -1;
	if (*p < '0' || *p > '9')
		return -1;
	char *end;
	long fd = strtol(p, &end, 10);
	if ((*end && *end != '/') || fd >= SY_FD_MAP_SIZE)
		return -1;
	*rest = end;
	return (int)fd;
}

int sy_walk_may_enter(int dirfd, const char *path)
{
	const char *rest;
	int fd = sy_magic_fd(path, &rest);
	if ((fd >= 0 && sy_vfd_is_virtual(fd)) || (fd == SY_MAGIC_CWD && sy_cwd.m))
		return 1;
	if (path[0] != '/') {
		if (dirfd == AT_FDCWD ? sy_cwd.m != NULL : sy_vfd_is_virtual(dirfd))
			return 1;
	}
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len && sy_vfs_is_mount_name(p, len))
			return 1;
		p += len;
	}
	return 0;
}

/* The starting point of a relative walk from dirfd. */
static int start_at(int dirfd, struct loc *cur)
{
	if (dirfd == AT_FDCWD) {
		sy_cwd_get(cur);
		return 0;
	}
	struct vfile *v = sy_vfd_get(dirfd);
	if (v) {
		int r = 0;
		if (!v->node)
			r = -ESTALE;
		else if (v->type != S_IFDIR)
			r = -ENOTDIR;
		else {
			cur->m = v->m;
			cur->node = v->node;
			v->m->be->hold(v->m->fs, v->node);
			snprintf(cur->path, sizeof(cur->path), "%s", v->path);
		}
		sy_vfile_put(v);
		return r;
	}
	struct stat st;
	long r = sy_raw2(SYS_fstat, dirfd, &st);
	if (r < 0)
		return (int)r;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	char p[48];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", dirfd);
	r = sy_raw4(SYS_readlinkat, AT_FDCWD, p, cur->path, sizeof(cur->path) - 1);
	if (r < 0)
		return (int)r;
	cur->path[r] = 0;
	cur->m = NULL;
	cur->node = NULL;
	return 0;
}

/* Cuts the last component off an absolute path ("/" stays "/"). */
static void path_up(char *path)
{
	char *s = strrchr(path, '/');
	if (s == path)
		path[1] = 0;
	else if (s)
		*s = 0;
}

static int path_down(char *path, const char *name, size_t len)
{
	size_t at = strlen(path);
	if (at > 1)
		path[at++] = '/';
	if (at + len + 1 > PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(path + at, name, len);
	path[at + len] = 0;
	return 0;
}

static int step_dotdot(struct loc *cur)
{
	if (!cur->m) {
		path_up(cur->path);
		return 0;
	}
	struct sy_mount *m = cur->m;
	if (cur->node == m->root) {
		sy_loc_drop(cur);
		snprintf(cur->path, sizeof(cur->path), "%s", m->path);
		path_up(cur->path);
		return 0;
	}
	struct sy_vfs_node *up;
	int r = m->be->parent(m->fs, cur->node, &up);
	if (r == -ENOENT) {
		/* a removed directory: its parent is where it was, by name */
		char where[PATH_MAX];
		memcpy(where, cur->path, strlen(cur->path) + 1);
		path_up(where);
		sy_loc_drop(cur);
		r = sy_walk(AT_FDCWD, where, WALK_FOLLOW, cur, NULL, NULL);
		if (r == 1) {
			memcpy(cur->path, where, strlen(where) + 1);
			return 0;
		}
		return r;
	}
	if (r < 0)
		return r;
	m->be->release(m->fs, cur->node);
	cur->node = up;
	path_up(cur->path);
	return 0;
}

int sy_walk(int dirfd, const char *path, int how, struct loc *out, char *last, int *flags)
{
	return sy_walk_from(dirfd, NULL, path, how, out, last, flags);
}

int sy_walk_from(int dirfd, const struct loc *start, const char *path, int how, struct loc *out,
		 char *last, int *flags)
{
	char buf[2][PATH_MAX];
	int which = 0, links = 0, entered = 0, depth = 0, trail = 0, mfd;
	const char *mrest;
	struct loc *cur = out;
	struct loc root; /* RESOLVE_IN_ROOT: where '/' is */
	root.m = NULL;
	root.node = NULL;
	if (flags)
		*flags = 0;
	if (last)
		last[0] = 0;
	if (!path[0])
		return -ENOENT;
	size_t plen = strlen(path);
	if (plen >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(buf[0], path, plen + 1);
	const char *p = buf[0];
	int r;
	if (*p == '/' && (how & WALK_BENEATH) && !(how & WALK_IN_ROOT))
		return -EXDEV;
	if (how & WALK_IN_ROOT) {
		if (start)
			sy_loc_copy(&root, start);
		else if ((r = start_at(dirfd, &root)) < 0)
			return r;
		sy_loc_copy(cur, &root);
		entered = cur->m != NULL;
	} else if (*p == '/' && (mfd = sy_magic_fd(p, &mrest)) >= -2 && mfd != -1 && !*mrest &&
		   (how & WALK_PARENT)) {
		/* /proc/self/fd/N or /proc/self/cwd as a name to make or remove:
		 * the kernel's (EEXIST, EPERM...) */
		return 1;
	} else if (*p == '/' && mfd == SY_MAGIC_CWD && sy_cwd.m && !*mrest &&
		   !(how & WALK_FOLLOW)) {
		return 1; /* lstat of the link itself: the kernel's */
	} else if (*p == '/' && mfd == SY_MAGIC_CWD && sy_cwd.m) {
		/* /proc/self/cwd with a virtual cwd */
		sy_spin_lock(&sy_cwd_lock);
		sy_loc_copy(cur, &sy_cwd);
		sy_spin_unlock(&sy_cwd_lock);
		if (!cur->m) { /* it changed meanwhile */
			strcpy(cur->path, "/");
			p = buf[0];
		} else {
			entered = 1;
			p = mrest;
		}
	} else if (*p == '/' && mfd >= 0 && sy_vfd_is_virtual(mfd) && !*mrest &&
		   !(how & (WALK_FOLLOW | WALK_PARENT))) {
		/* the magic link itself (lstat, O_NOFOLLOW): the kernel's */
		return 1;
	} else if (*p == '/' && mfd >= 0 && sy_vfd_is_virtual(mfd)) {
		/* a magic link to a virtual fd: its node, whatever its name now */
		struct vfile *v = sy_vfd_get(mfd);
		if (!v)
			return -EBADF;
		if (!v->node || (!*mrest && (how & WALK_PARENT))) {
			sy_vfile_put(v);
			return v->node ? -ENOENT : -ESTALE;
		}
		if (*mrest && v->type != S_IFDIR) {
			sy_vfile_put(v);
			return -ENOTDIR;
		}
		cur->m = v->m;
		cur->node = v->node;
		v->m->be->hold(v->m->fs, v->node);
		memcpy(cur->path, v->path, strlen(v->path) + 1);
		sy_vfile_put(v);
		entered = 1;
		p = mrest;
	} else if (*p == '/') {
		cur->m = NULL;
		cur->node = NULL;
		strcpy(cur->path, "/");
	} else if (start) {
		sy_loc_copy(cur, start);
		entered = cur->m != NULL;
	} else {
		r = start_at(dirfd, cur);
		if (r < 0)
			return r;
		entered = cur->m != NULL;
	}
	for (;;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		const char *next = p + len;
		while (*next == '/')
			next++;
		int is_last = *next == 0;
		if (len == 0) /* the end: the path was "/" or ended with '/' */
			break;
		/* the last name of a parent walk is the caller's to look up
		 * (and to find too long) when the kernel's order says */
		if (len > 255 && !(is_last && (how & WALK_PARENT))) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		if (is_last && p[len] == '/')
			trail = 1;
		if (is_last && (how & WALK_PARENT)) {
			if (len > 255) /* kept as 255 + 1 bytes: the backend says ENAMETOOLONG */
				len = 256;
			memcpy(last, p, len);
			last[len] = 0;
			/* the last name is a mount point: the caller must see it
			 * (mkdir gives EEXIST, rmdir EBUSY), not the kernel */
			if (!cur->m) {
				char probe[PATH_MAX];
				size_t l = strlen(cur->path);
				if (l + 1 + len < sizeof(probe)) {
					memcpy(probe, cur->path, l + 1);
					path_down(probe, p, len);
					if (sy_vfs_mount_at(probe, strlen(probe)))
						entered = 1;
				}
			}
			break;
		}
		if (len == 1 && p[0] == '.') {
			p = next;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if ((how & WALK_IN_ROOT) && depth == 0) {
				p = next;
				continue;
			}
			if ((how & WALK_BENEATH) && depth == 0) {
				r = -EXDEV;
				goto fail;
			}
			depth--;
			if ((how & WALK_NO_XDEV) && cur->m && cur->node == cur->m->root) {
				r = -EXDEV;
				goto fail;
			}
			r = step_dotdot(cur);
			if (r < 0)
				goto fail;
			p = next;
			continue;
		}
		if (!cur->m) {
			r = path_down(cur->path, p, len);
			if (r < 0)
				goto fail;
			depth++;
			struct sy_mount *m = sy_vfs_mount_at(cur->path, strlen(cur->path));
			if (m && (how & WALK_NO_XDEV)) {
				r = -EXDEV;
				goto fail;
			}
			if (m) {
				cur->m = m;
				cur->node = m->root;
				m->be->hold(m->fs, m->root);
				entered = 1;
			}
			p = next;
			continue;
		}
		/* inside a mount */
		struct sy_mount *m = cur->m;
		char name[256];
		memcpy(name, p, len);
		name[len] = 0;
		struct sy_vfs_node *child;
		r = m->be->lookup(m->fs, cur->node, name, &child);
		if (r < 0)
			goto fail;
		struct sy_vfs_attr a;
		r = m->be->getattr(m->fs, child, &a);
		if (r < 0) {
			m->be->release(m->fs, child);
			goto fail;
		}
		if (S_ISLNK(a.mode) && (!is_last || (how & WALK_FOLLOW) || trail)) {
			if ((how & WALK_NO_SYMLINKS) || ++links > MAX_LINKS) {
				m->be->release(m->fs, child);
				r = -ELOOP;
				goto fail;
			}
			char target[PATH_MAX];
			long n = m->be->readlink(m->fs, child, target, sizeof(target) - 1);
			m->be->release(m->fs, child);
			if (n < 0) {
				r = (int)n;
				goto fail;
			}
			target[n] = 0;
			if (n == 0) {
				r = -ENOENT;
				goto fail;
			}
			/* the rest of the path after the target */
			char *nb = buf[which ^ 1];
			size_t rest = strlen(p + len);
			if ((size_t)n + rest + 1 > PATH_MAX) {
				r = -ENAMETOOLONG;
				goto fail;
			}
			memcpy(nb, target, (size_t)n);
			memcpy(nb + n, p + len, rest + 1);
			which ^= 1;
			p = nb;
			if (*p == '/' && (how & WALK_IN_ROOT)) {
				sy_loc_drop(cur);
				sy_loc_copy(cur, &root);
				depth = 0;
				continue;
			}
			if (*p == '/' && (how & WALK_BENEATH)) {
				r = -EXDEV;
				goto fail;
			}
			if (*p == '/') {
				if (how & WALK_NO_XDEV) {
					r = -EXDEV;
					goto fail;
				}
				sy_loc_drop(cur);
				strcpy(cur->path, "/");
			}
			continue;
		}
		if (!is_last && !S_ISDIR(a.mode)) {
			m->be->release(m->fs, child);
			r = -ENOTDIR;
			goto fail;
		}
		r = path_down(cur->path, p, len);
		if (r < 0) {
			m->be->release(m->fs, child);
			goto fail;
		}
		m->be->release(m->fs, cur->node);
		cur->node = child;
		depth++;
		if (is_last && trail && !S_ISDIR(a.mode)) {
			r = -ENOTDIR;
			goto fail;
		}
		p = next;
	}
	if (flags && trail)
		*flags |= WALK_DIR;
	sy_loc_drop(&root);
	if (!entered && !cur->m)
		return 1;
	return 0;
fail:
	sy_loc_drop(&root);
	sy_loc_drop(cur);
	return r;
}

/* The name of node `ino` in directory dir, by reading the directory. */
static int name_in(struct sy_mount *m, struct sy_vfs_node *dir, uint64_t ino, char *name)
{
	struct sy_vfs_dirent ents[8];
	uint64_t cookie = 0;
	for (;;) {
		long n = m->be->readdir(m->fs, dir, cookie, ents, 8);
		if (n <= 0)
			return n < 0 ? (int)n : -ENOENT;
		for (long i = 0; i < n; i++)
			if (ents[i].ino == ino) {
				memcpy(name, ents[i].name, strlen(ents[i].name) + 1);
				return 0;
			}
		cookie = ents[n - 1].next;
	}
}

int sy_node_path(struct sy_mount *m, struct sy_vfs_node *node, const char *hint, char *out)
{
	/* the path it was reached by, if it still leads to it */
	struct loc at;
	/* (no symlink may be on the way: a name that became one is not the path) */
	if (hint[0] && sy_walk(AT_FDCWD, hint, WALK_NO_SYMLINKS, &at, NULL, NULL) == 0) {
		int same =
		    at.m == m && m->be->node_id(m->fs, at.node) == m->be->node_id(m->fs, node);
		sy_loc_drop(&at);
		if (same) {
			memcpy(out, hint, strlen(hint) + 1);
			return 0;
		}
	}
	char tmp[PATH_MAX];
	size_t start = sizeof(tmp) - 1;
	tmp[start] = 0;
	struct sy_vfs_node *cur = node;
	m->be->hold(m->fs, cur);
	int r = 0;
	while (m->be->node_id(m->fs, cur) != m->be->node_id(m->fs, m->root)) {
		struct sy_vfs_attr a;
		struct sy_vfs_node *up;
		char name[256];
		r = m->be->getattr(m->fs, cur, &a);
		if (r == 0)
			r = m->be->parent(m->fs, cur, &up);
		if (r < 0)
			break;
		r = name_in(m, up, a.ino, name);
		m->be->release(m->fs, cur);
		cur = up;
		if (r < 0)
			break;
		size_t len = strlen(name);
		if (len + 1 > start) {
			r = -ENAMETOOLONG;
			break;
		}
		start -= len;
		memcpy(tmp + start, name, len);
		tmp[--start] = '/';
	}
	m->be->release(m->fs, cur);
	if (r < 0)
		return r;
	size_t tail = sizeof(tmp) - 1 - start;
	if (m->pathlen + tail + 1 > PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(out, m->path, m->pathlen);
	memcpy(out + m->pathlen, tmp + start, tail + 1);
	return 0;
}
