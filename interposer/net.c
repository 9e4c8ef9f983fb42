/*
 * Loads the netstack module (libswitchyard-net.so, next to this library)
 * for a run whose config has a [net] section, and hands it the pieces of
 * the mechanism it needs (netstack/module.h). A module that cannot be
 * loaded stops the program before main: never a silent fallback to the
 * kernel's sockets.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include <switchyard/vfs.h>

#include "layer.h"
#include "module.h"
#include "sy.h"

static sy_net_module_stats_fn module_stats;

static int is_vfork_child(void)
{
	return sy_thread_is_vfork_child();
}

static int user_readable(const void *p, size_t n)
{
	return sy_usermem_on && sy_user_readable(p, n);
}

static int user_writable(const void *p, size_t n)
{
	return sy_usermem_on && sy_user_writable(p, n);
}

static long pread_fd(int fd, void *buf, size_t len, int64_t off)
{
	struct vfile *v = sy_vfd_get(fd);
	if (!v)
		return sy_raw4(SYS_pread64, fd, buf, len, off);
	long r = sy_vfs_read_at(v, fd, buf, len, off, 0);
	sy_vfile_put(v);
	return r;
}

static struct sy_net_host host = {
    .version = SY_NET_MODULE_VERSION,
    .fd_map_size = SY_FD_MAP_SIZE,
    .fd_net_bit = SY_FD_NET,
    .fd_hide = sy_vfs_hide_fd,
    .fd_floor = sy_vfs_fd_floor,
    .copy_in = sy_copy_in,
    .copy_out = sy_copy_out,
    .user_readable = user_readable,
    .user_writable = user_writable,
    .pread_fd = pread_fd,
    .own_thread = sy_thread_own,
    .is_vfork_child = is_vfork_child,
    .signals_defer = sy_signals_defer,
    .signals_undefer = sy_signals_undefer,
    .intr_arm = sy_intr_arm,
    .intr_restart = sy_intr_restart,
    .fd_interest = sy_fd_interest,
    .say = sy_say,
};

void sy_net_setup(const struct sy_options *o)
{
	if (!o->net.enabled)
		return;
	char path[PATH_MAX];
	const char *slash = strrchr(sy_state.lib_path, '/');
	int dirlen = slash ? (int)(slash - sy_state.lib_path) : 1;
	snprintf(path, sizeof(path), "%.*s/%s", dirlen, slash ? sy_state.lib_path : ".",
		 SY_NET_MODULE_FILE);
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		sy_die("[net] needs the netstack module: %s", dlerror());
	sy_net_module_init_fn init = (sy_net_module_init_fn)dlsym(lib, SY_NET_MODULE_INIT);
	module_stats = (sy_net_module_stats_fn)dlsym(lib, SY_NET_MODULE_STATS);
	if (!init)
		sy_die("%s: no %s function", path, SY_NET_MODULE_INIT);
	sy_fd_map_setup();
	sy_vfd_setup(); /* sendfile from virtual files reads through the VFS */
	sy_usermem_track();
	host.cfg = &o->net;
	host.fd_map = sy_fd_map;
	char err[512];
	if (init(&host, err, sizeof(err)) < 0)
		sy_die("%s", err);
}

void sy_net_stats(char *buf, size_t size, size_t *at)
{
	if (module_stats)
		*at = module_stats(buf, size, *at);
}
