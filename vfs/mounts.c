/*
 * The mount table: the config's [mount PATH] sections turned into backend
 * instances, and what carries them across execve. Before an execve the
 * program's state goes into a small memfd without O_CLOEXEC (the "exec
 * state"): each mount's save() string, the virtual cwd, the node references
 * the old program held. The new program finds it among its fds at start-up,
 * restores the same instances from it and closes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostfs.h"
#include "layer.h"
#include "memfs.h"
#include "sy.h"
#include "vfs_internal.h"

struct sy_mount sy_mounts[SY_MAX_MOUNTS];
int sy_nmounts;

#define STATE_NAME "switchyard-state"
#define STATE_MAX 65536

struct sy_mount *sy_vfs_mount_at(const char *path, size_t len)
{
	for (int i = 0; i < sy_nmounts; i++)
		if (sy_mounts[i].pathlen == len && memcmp(sy_mounts[i].path, path, len) == 0)
			return &sy_mounts[i];
	return NULL;
}

int sy_vfs_is_mount_name(const char *name, size_t len)
{
	for (int i = 0; i < sy_nmounts; i++)
		if (sy_mounts[i].baselen == len && memcmp(sy_mounts[i].base, name, len) == 0)
			return 1;
	return 0;
}

struct state_find {
	char *buf;
	size_t size;
	int fd;
};

static int is_state(int fd, const char *link, void *arg)
{
	struct state_find *f = arg;
	if (strncmp(link, "/memfd:" STATE_NAME, strlen("/memfd:" STATE_NAME)) != 0)
		return 0;
	long r = sy_raw4(SYS_pread64, fd, f->buf, f->size - 1, 0);
	f->buf[r > 0 ? r : 0] = 0;
	f->fd = fd;
	return 1;
}

/* The state the program before execve left, or "" if none (a fresh run):
 * a memfd named STATE_NAME among the fds. */
static void read_exec_state(char *buf, size_t size, int *state_fd)
{
	struct state_find f = {buf, size, -1};
	buf[0] = 0;
	sy_each_proc_fd(is_state, &f);
	*state_fd = f.fd;
}

/* The value of `key` for mount i in the state, or NULL. */
static const char *state_value(const char *state, const char *key, int i, const char *path,
			       char *out, size_t outlen)
{
	char head[SY_MOUNT_PATH_MAX + 64];
	snprintf(head, sizeof(head), "%s %d %s ", key, i, path);
	for (const char *l = state; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		size_t hl = strlen(head);
		if (len > hl && strncmp(l, head, hl) == 0 && len - hl < outlen) {
			memcpy(out, l + hl, len - hl);
			out[len - hl] = 0;
			return out;
		}
		l += len + (end != NULL);
	}
	return NULL;
}

static void mount_one(struct sy_mount *m, const struct sy_mount_config *mc, const char *state,
		      const char *file)
{
	char err[512] = "", saved[256];
	struct sy_vfs_option opts[SY_MOUNT_OPTIONS_MAX];
	int n = 0;
	char size[32];
	/* a custom type: registered by the hook library, loaded before us */
	const char *type = mc->type == SY_FS_CUSTOM ? mc->type_name : sy_fs_type_name(mc->type);
	m->be = sy_vfs_backend_find(type);
	if (!m->be && mc->type == SY_FS_CUSTOM)
		sy_die("%s:%d: [mount %s]: no file system '%s' (a hook library must register it)",
		       file, mc->line, mc->path, type);
	if (!m->be)
		sy_die("%s:%d: [mount %s]: no file system '%s'", file, mc->line, mc->path, type);
	if (mc->type == SY_FS_CUSTOM) {
		for (int i = 0; i < mc->noptions; i++)
			opts[n++] =
			    (struct sy_vfs_option){mc->options[i].key, mc->options[i].value};
	} else if (mc->type == SY_FS_MEMFS) {
		if (mc->size) {
			snprintf(size, sizeof(size), "%llu", (unsigned long long)mc->size);
			opts[n++] = (struct sy_vfs_option){"size", size};
		}
		if (mc->name[0])
			opts[n++] = (struct sy_vfs_option){"name", mc->name};
	} else {
		opts[n++] = (struct sy_vfs_option){"source", mc->source};
		opts[n++] = (struct sy_vfs_option){"readonly", mc->readonly ? "yes" : "no"};
	}
	int r = -ENOENT;
	if (m->be->restore && state_value(state, "mount", m->index, mc->path, saved, sizeof(saved)))
		r = m->be->restore(saved, &m->fs, err, sizeof(err));
	m->restored = r == 0;
	if (r < 0) {
		err[0] = 0;
		r = m->be->mount(opts, n, &m->fs, err, sizeof(err));
	}
	if (r < 0)
		sy_die("%s:%d: [mount %s]: %s", file, mc->line, mc->path,
		       err[0] ? err : strerror(-r));
	m->root = m->be->root(m->fs);
	if (!m->root)
		sy_die("%s:%d: [mount %s]: the file system has no root", file, mc->line, mc->path);
	m->readonly = mc->type == SY_FS_HOSTFS && mc->readonly;
}

/* References the program before execve held: it is gone, they go too. */
static void drop_old_references(const char *state)
{
	for (const char *l = state; *l;) {
		const char *end = strchr(l, '\n');
		int mi;
		unsigned long long id;
		/* only an instance restored from the state shares the ids (a
		 * backend mounted afresh, hostfs, has ids of its own) */
		if (sscanf(l, "held %d %llx", &mi, &id) == 2 && mi >= 0 && mi < sy_nmounts &&
		    sy_mounts[mi].restored) {
			struct sy_mount *m = &sy_mounts[mi];
			struct sy_vfs_node *node;
			if (m->be->node_from_id(m->fs, id, &node) == 0) {
				m->be->release(m->fs, node); /* the lookup's */
				m->be->release(m->fs, node); /* the old program's */
			}
		}
		if (!end)
			break;
		l = end + 1;
	}
}

static void restore_cwd(const char *state)
{
	char path[PATH_MAX];
	for (const char *l = state; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (len > 4 && strncmp(l, "cwd ", 4) == 0 && len - 4 < sizeof(path)) {
			memcpy(path, l + 4, len - 4);
			path[len - 4] = 0;
			struct loc at;
			if (sy_walk(AT_FDCWD, path, WALK_FOLLOW, &at, NULL, NULL) == 0) {
				if (at.m) {
					sy_loc_drop(&sy_cwd);
					sy_cwd = at;
				} else {
					sy_loc_drop(&at);
				}
			}
		}
		if (!end)
			break;
		l = end + 1;
	}
}

/* switchyard's own backends, before a hook library registers any: their
 * names are taken. */
void sy_vfs_register_builtin(void)
{
	static int registered;
	if (!registered) {
		sy_vfs_register(sy_memfs_backend());
		sy_vfs_register(sy_hostfs_backend());
		registered = 1;
	}
}

void sy_vfs_mounts_setup(const struct sy_options *o)
{
	sy_vfs_register_builtin();
	char *state = (char *)sy_raw6(SYS_mmap, 0, STATE_MAX, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((long)state < 0 && (long)state > -4096)
		sy_die("cannot map the VFS state");
	int state_fd;
	read_exec_state(state, STATE_MAX, &state_fd);
	for (int i = 0; i < o->nmounts; i++) {
		struct sy_mount *m = &sy_mounts[i];
		m->index = i;
		memcpy(m->path, o->mounts[i].path, sizeof(m->path));
		m->pathlen = strlen(m->path);
		m->base = strrchr(m->path, '/') + 1;
		m->baselen = strlen(m->base);
		m->dev = makedev(0, 0xf00 + i);
		mount_one(m, &o->mounts[i], state, o->config);
		sy_nmounts = i + 1;
	}
	sy_cwd_refresh();
	sy_vfd_rebuild();
	drop_old_references(state);
	restore_cwd(state);
	/* what the old program left for this one to close, and its lock
	 * stand-ins */
	for (const char *l = state; *l;) {
		int fd, lockfd;
		if (sscanf(l, "close %d", &fd) == 1)
			sy_raw1(SYS_close, fd);
		if (sscanf(l, "lock %d %d", &fd, &lockfd) == 2)
			sy_vfd_adopt_lock(fd, lockfd);
		const char *end = strchr(l, '\n');
		if (!end)
			break;
		l = end + 1;
	}
	if (state_fd >= 0)
		sy_raw1(SYS_close, state_fd);
	sy_raw2(SYS_munmap, state, STATE_MAX);
}

/* Before an execve: the state for the new program, in a memfd it inherits
 * (the new program closes it at start-up). extra_close: another fd the new
 * program closes at start (-1: none). Returns the memfd or -errno. */
int sy_vfs_exec_state_write(int extra_close)
{
	char *buf = (char *)sy_raw6(SYS_mmap, 0, STATE_MAX, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((long)buf < 0 && (long)buf > -4096)
		return (int)(long)buf;
	size_t at = sy_put(buf, STATE_MAX, 0, "switchyard-vfs 1\n");
	for (int i = 0; i < sy_nmounts; i++) {
		char saved[256];
		struct sy_mount *m = &sy_mounts[i];
		if (m->be->save && m->be->save(m->fs, saved, sizeof(saved)) == 0)
			at = sy_put(buf, STATE_MAX, at, "mount %d %s %s\n", i, m->path, saved);
	}
	sy_spin_lock(&sy_cwd_lock);
	if (sy_cwd.m)
		at = sy_put(buf, STATE_MAX, at, "cwd %s\n", sy_cwd.path);
	sy_spin_unlock(&sy_cwd_lock);
	/* a vfork child holds no references of its own: its parent's stay */
	if (!sy_thread_is_vfork_child())
		at = sy_vfd_held(buf, STATE_MAX, at);
	at = sy_vfd_exec_locks(buf, STATE_MAX, at);
	if (extra_close >= 0)
		at = sy_put(buf, STATE_MAX, at, "close %d\n", extra_close);
	long fd = sy_raw2(SYS_memfd_create, STATE_NAME, 0);
	if (fd >= 0 && sy_raw4(SYS_pwrite64, fd, buf, at, 0) != (long)at) {
		sy_raw1(SYS_close, fd);
		fd = -EIO;
	}
	sy_raw2(SYS_munmap, buf, STATE_MAX);
	return (int)fd;
}
