/*
 * Options of one switchyard run: where they come from (environment, config
 * file) and how they are checked. Shared by the launcher and the library, so
 * both reject bad input with the same words.
 */
#ifndef SY_CONFIG_H
#define SY_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum sy_mode {
	SY_MODE_AUTO,	 /* fastest exact mechanism allowed: rewrite, else sud */
	SY_MODE_REWRITE, /* page-0 trampoline + lazy rewriting + SUD; error if page 0 is refused */
	SY_MODE_SUD,	 /* every call trapped by Syscall User Dispatch, nothing rewritten */
};

/* Mounts of the user-space VFS, from the config's [mount PATH] sections. They
 * are parsed and checked now; the VFS that serves them comes later. */
#define SY_MAX_MOUNTS 32
#define SY_MOUNT_PATH_MAX 512  /* path and source, with the NUL; longer than a config line */
#define SY_MEMFS_NAME_MAX 64   /* name, with the NUL */
#define SY_FS_TYPE_NAME_MAX 64 /* `type =`, with the NUL */
/* A custom type's options: how many, and how long (with the NUL). libinih's
 * line limit (some 200 characters) usually bites first. */
#define SY_MOUNT_OPTIONS_MAX 16
#define SY_MOUNT_OPTION_KEY_MAX 64
#define SY_MOUNT_OPTION_VALUE_MAX 256

enum sy_fs_type {
	SY_FS_MEMFS,  /* a tmpfs-like file system in shared memory */
	SY_FS_HOSTFS, /* the mount point maps onto a directory of the host */
	SY_FS_CUSTOM, /* a backend a hook library registers (sy_vfs_register() in
		       * its switchyard_hook_init()), named by type_name */
};

/* One `key = value` of a custom type's section, kept as written. */
struct sy_mount_option {
	char key[SY_MOUNT_OPTION_KEY_MAX];
	char value[SY_MOUNT_OPTION_VALUE_MAX];
};

struct sy_mount_config {
	char path[SY_MOUNT_PATH_MAX]; /* mount point: absolute, normalized, never "/" */
	int line;		      /* of its [mount] header in the config file */
	enum sy_fs_type type;
	char type_name[SY_FS_TYPE_NAME_MAX]; /* as `type =` says it, for every type */
	/* a custom type: every key but `type`, in file order, unchecked (the
	 * backend's mount() checks them) */
	struct sy_mount_option options[SY_MOUNT_OPTIONS_MAX];
	int noptions;
	/* memfs */
	uint64_t size;		      /* bytes; ENOSPC past it; 0: the memfs default */
	char name[SY_MEMFS_NAME_MAX]; /* "": private to the run; else shared by every
				       * process whose config names it (letters, digits,
				       * '.', '_', '-'; not starting with '.') */
	/* hostfs */
	char source[SY_MOUNT_PATH_MAX]; /* host directory: absolute, normalized */
	int readonly;			/* writes give EROFS */
};

/* The config's [net] section: sockets routed to lwIP inside the process,
 * reaching the kernel (and the world beyond it) through a TAP device. */
#define SY_NET_IFNAME_MAX 16 /* IFNAMSIZ, with the NUL */
#define SY_NET_INET 1	     /* `sockets =` names inet: AF_INET sockets go to lwIP */
#define SY_NET_INET6 2	     /* ...inet6: AF_INET6 sockets go to lwIP */

struct sy_net_config {
	int enabled; /* a [net] section with stack = lwip */
	int line;    /* of its header */
	char tap[SY_NET_IFNAME_MAX];
	/* lwIP's side: address (required) and prefix length */
	uint8_t addr4[4];
	int prefix4;
	/* the kernel's side of the TAP device, and the default route */
	uint8_t host4[4];
	int has_host4;
	uint8_t gateway4[4];
	int has_gateway4;
	/* optional IPv6: lwIP's address/prefix and the kernel's side */
	uint8_t addr6[16];
	int prefix6;
	int has_addr6;
	uint8_t host6[16];
	int has_host6;
	uint8_t mac[6]; /* lwIP's Ethernet address; default 02:73:79:00:00:02 */
	int mtu;	/* default 1500 */
	uint32_t families; /* SY_NET_INET | SY_NET_INET6: which sockets go to lwIP */
	int loopback_lwip; /* `loopback = lwip`: 127.0.0.0/8 and ::1 go to lwIP too
			    * (default `kernel`: they stay on the kernel) */
};

struct sy_options {
	enum sy_mode mode;
	int mode_explicit;     /* the user asked for `mode` (not the default) */
	char config[PATH_MAX]; /* config file, "" if none */
	char hook[PATH_MAX];   /* custom hook library, "" if none */
	char trace[PATH_MAX];  /* trace file (may hold %p), "" if none */
	char stats[PATH_MAX];  /* stats file (may hold %p), "" if none */
	/* The config file's [mount] sections, in file order; only the config file
	 * sets them (no SWITCHYARD_* variable or flag does). */
	struct sy_mount_config mounts[SY_MAX_MOUNTS];
	int nmounts;
	/* The config file's [net] section (enabled == 0 if it has none). */
	struct sy_net_config net;
};

/* Environment variables, shared by the launcher and the library. */
#define SY_ENV_MODE "SWITCHYARD_MODE"
#define SY_ENV_HOOK "SWITCHYARD_HOOK"
#define SY_ENV_TRACE "SWITCHYARD_TRACE"
#define SY_ENV_STATS "SWITCHYARD_STATS"
#define SY_ENV_CONFIG "SWITCHYARD_CONFIG"

/* "auto", "rewrite" or "sud" into *mode; -1 for anything else. */
int sy_mode_parse(const char *name, enum sy_mode *mode);
const char *sy_mode_name(enum sy_mode mode);

/* "memfs", "hostfs" or "custom" (a custom mount's own name is its type_name). */
const char *sy_fs_type_name(enum sy_fs_type type);

/* For `switchyard check`: one line per mount whose file system a hook library
 * must provide, saying so (and which library, if o->hook is set); "" if none.
 * Returns the length written. */
size_t sy_config_describe_mounts(const struct sy_options *o, char *out, size_t outlen);

/* For `switchyard check`: one line describing the [net] section ("" if
 * none). Returns the length written. */
size_t sy_config_describe_net(const struct sy_options *o, char *out, size_t outlen);

/* Reads a config file into *o (keys it sets override what *o holds; its
 * [mount] sections replace o->mounts, none if it has none) and records its
 * absolute path in o->config. Relative paths in the file are
 * taken against the file's own directory, so every process that reads it
 * finds the same files whatever its current directory. Returns 0, or -1 with
 * "FILE:LINE: problem" (or "FILE: problem") in err and *o unchanged. */
int sy_config_load(const char *path, struct sy_options *o, char *err, size_t errlen);

/* The options of this process: defaults, then the config file named by
 * SWITCHYARD_CONFIG, then the other SWITCHYARD_* variables, which win.
 * Returns 0, or -1 with a one-line problem in err. */
int sy_options_from_env(struct sy_options *o, char *err, size_t errlen);

/* Expands %p in a file name pattern to pid; %% to %. */
void sy_expand_pattern(const char *pattern, int pid, char *out, size_t outlen);

/* The steps sy_options_from_env is made of, for callers (the launcher) that
 * put their own layer on top. */

/* Defaults: mode auto, not explicit; no config, hook, trace, stats or mounts. */
void sy_options_default(struct sy_options *o);

/* Sets one option, "mode", "hook", "trace" or "stats", from its text, the way
 * a config key, a SWITCHYARD_* variable and a launcher flag all do: a mode
 * name is checked, a hook library must be a readable file, and a relative
 * path is made absolute against base_dir (NULL: the current directory).
 * Returns 0, or -1 with the problem (no "FILE:" prefix) in err. */
int sy_option_set(struct sy_options *o, const char *key, const char *value, const char *base_dir,
		  char *err, size_t errlen);

/* Applies SWITCHYARD_MODE, _HOOK, _TRACE and _STATS (those set and not
 * empty) over *o. Returns 0, or -1 with "VARIABLE: problem" in err. */
int sy_options_apply_env(struct sy_options *o, char *err, size_t errlen);

#endif
