/*
 * The line between libswitchyard and its netstack module
 * (libswitchyard-net.so): the library loads the module only for a run whose
 * config has a [net] section, so no other program pays for lwIP, and hands
 * it the few pieces of the mechanism it needs. The module registers its
 * own hook through the public hook API.
 */
#ifndef SY_NET_MODULE_H
#define SY_NET_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include <switchyard/hook.h>

#include "config.h"

#define SY_NET_MODULE_VERSION 1
#define SY_NET_MODULE_FILE "libswitchyard-net.so"
#define SY_NET_MODULE_INIT "sy_net_module_init"
#define SY_NET_MODULE_STATS "sy_net_module_stats"

struct sy_net_host {
	int version; /* SY_NET_MODULE_VERSION */
	const struct sy_net_config *cfg;
	/* one byte per fd, read by the entry stub: the module sets and clears
	 * `fd_net_bit` for its sockets, and hides its control fds with fd_hide */
	uint8_t *fd_map;
	size_t fd_map_size;
	uint8_t fd_net_bit;
	void (*fd_hide)(int fd, int hidden);
	int (*fd_floor)(void); /* where switchyard's own fds go */
	/* program memory, without faults: 0 or -EFAULT */
	int (*copy_in)(void *dst, const void *user_src, size_t n);
	int (*copy_out)(void *user_dst, const void *src, size_t n);
	/* program memory known mapped (readable/writable) by the tracker: then
	 * plain copies are safe */
	int (*user_readable)(const void *p, size_t n);
	int (*user_writable)(const void *p, size_t n);
	/* pread of any fd of the program, virtual (the VFS) or the kernel's */
	long (*pread_fd)(int fd, void *buf, size_t len, int64_t off);
	/* first call in a thread the module starts: its calls pass straight */
	int (*own_thread)(void);
	int (*is_vfork_child)(void);
	/* program handlers wait while the core lock is held (signals.c) */
	void (*signals_defer)(void);
	void (*signals_undefer)(void);
	/* a wait a handler interrupts: does the call restart (SA_RESTART)? */
	void (*intr_arm)(void);
	int (*intr_restart)(void);
	/* nr (an fd in its first argument) reaches `hook` only for marked fds */
	void (*fd_interest)(long nr, const struct sy_hook *hook);
	void (*say)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/* Sets up the module (nothing of lwIP runs until a socket goes to it) and
 * registers its hook. 0, or -1 with the problem in err. */
typedef int (*sy_net_module_init_fn)(const struct sy_net_host *host, char *err, size_t errlen);
/* Appends the module's counters, as JSON members ("\"net\": {...},\n"). */
typedef size_t (*sy_net_module_stats_fn)(char *buf, size_t size, size_t at);

#endif
