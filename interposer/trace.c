/*
 * --trace: a built-in client of the hook API that writes one strace-like
 * line per call, "PID name(args) = result", with " <vfs>" or " <netstack>"
 * after a call a subsystem served rather than the kernel, to a file (one per process when
 * the name holds %p). Path arguments are shown as strings. Each line is one
 * write on an O_APPEND fd, so lines of several processes do not mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "sy.h"

static int trace_fd = -1;
static char pattern[PATH_MAX];

/* Which arguments are paths (bit i: argument i). */
static unsigned path_args(long nr)
{
	switch (nr) {
	case SYS_open:
	case SYS_creat:
	case SYS_stat:
	case SYS_lstat:
	case SYS_access:
	case SYS_execve:
	case SYS_readlink:
	case SYS_unlink:
	case SYS_mkdir:
	case SYS_rmdir:
	case SYS_chdir:
	case SYS_truncate:
	case SYS_chmod:
	case SYS_chown:
	case SYS_lchown:
	case SYS_statfs:
	case SYS_mknod:
	case SYS_utimes:
	case SYS_chroot:
		return 1u << 0;
	case SYS_openat:
	case SYS_newfstatat:
	case SYS_statx:
	case SYS_faccessat:
	case SYS_faccessat2:
	case SYS_execveat:
	case SYS_readlinkat:
	case SYS_unlinkat:
	case SYS_mkdirat:
	case SYS_fchmodat:
	case SYS_fchownat:
	case SYS_utimensat:
	case SYS_openat2:
	case SYS_mknodat:
	case SYS_futimesat:
		return 1u << 1;
	case SYS_rename:
	case SYS_link:
	case SYS_symlink:
		return 1u << 0 | 1u << 1;
	case SYS_renameat:
	case SYS_renameat2:
	case SYS_linkat:
		return 1u << 1 | 1u << 3;
	case SYS_symlinkat:
		return 1u << 0 | 1u << 2;
	}
	return 0;
}

static size_t put_call(char *buf, size_t size, const struct sy_call *c)
{
	size_t at = sy_put(buf, size, 0, "%ld ", sy_raw0(SYS_getpid));
	const char *name = sy_syscall_name(c->nr);
	at = name ? sy_put(buf, size, at, "%s(", name)
		  : sy_put(buf, size, at, "syscall_%ld(", c->nr);
	unsigned paths = path_args(c->nr);
	for (int i = 0; i < sy_syscall_nargs(c->nr); i++) {
		const char *sep = i ? ", " : "";
		if (paths & (1u << i)) {
			char s[96];
			long got = c->args[i]
				       ? sy_copy_string_in(s, (const char *)c->args[i], sizeof(s))
				       : -1;
			if (got >= 0) {
				at = sy_put(buf, size, at, "%s\"%s\"%s", sep, s,
					    got + 1 == (long)sizeof(s) ? "..." : "");
				continue;
			}
		}
		long v = c->args[i];
		if ((unsigned long)v >> 32 == 0 && (int)v < 0 && (int)v > -4096)
			v = (int)v; /* an int argument such as AT_FDCWD: upper half zero */
		at = (v > -4096 && v < 65536)
			 ? sy_put(buf, size, at, "%s%ld", sep, v)
			 : sy_put(buf, size, at, "%s%#lx", sep, (unsigned long)v);
	}
	return sy_put(buf, size, at, ")");
}

static void emit(char *buf, size_t at)
{
	buf[at++] = '\n';
	if (trace_fd >= 0)
		sy_raw3(SYS_write, trace_fd, buf, at);
}

static int returns(long nr)
{
	return nr != SYS_exit && nr != SYS_exit_group && nr != SYS_execve && nr != SYS_execveat &&
	       nr != SYS_rt_sigreturn && nr != SYS_vfork;
}

static enum sy_verdict trace_enter(void *ctx, struct sy_call *call, long *result)
{
	(void)ctx;
	(void)result;
	if (!returns(call->nr)) {
		char buf[1024];
		size_t at = put_call(buf, sizeof(buf) - 1, call);
		emit(buf, sy_put(buf, sizeof(buf) - 1, at, " = ?"));
	}
	return SY_PASS;
}

static void trace_leave(void *ctx, const struct sy_call *call, long *result)
{
	(void)ctx;
	char buf[1024];
	size_t at = put_call(buf, sizeof(buf) - 1, call);
	long r = *result;
	if (r < 0 && r > -4096) {
		const char *name = strerrorname_np((int)-r);
		at = sy_put(buf, sizeof(buf) - 1, at, " = -1 %s", name ? name : "E?");
	} else if (r > 65535 || r < 0) {
		at = sy_put(buf, sizeof(buf) - 1, at, " = %#lx", (unsigned long)r);
	} else {
		at = sy_put(buf, sizeof(buf) - 1, at, " = %ld", r);
	}
	/* who served it: a hook's name (vfs, netstack...); none: the kernel */
	int by = sy_thread_self()->answered_by;
	if (by >= 0 && by < sy_nhooks)
		at = sy_put(buf, sizeof(buf) - 1, at, " <%s>", sy_hooks[by]->name);
	emit(buf, at);
}

static const struct sy_hook trace_hook = {
    .version = SY_HOOK_API_VERSION,
    .name = "trace",
    .enter = trace_enter,
    .leave = trace_leave,
};

static int open_trace(char *err, size_t errlen)
{
	char path[PATH_MAX];
	sy_expand_pattern(pattern, (int)sy_raw0(SYS_getpid), path, sizeof(path));
	long fd =
	    sy_raw4(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "trace file %s: %s", path, strerror((int)-fd));
		return -1;
	}
	trace_fd = (int)fd;
	if (sy_fd_reserve(&trace_fd) < 0) {
		snprintf(err, errlen, "trace file %s: no free fd at the top of the range", path);
		return -1;
	}
	return 0;
}

int sy_trace_setup(const char *file_pattern, char *err, size_t errlen)
{
	snprintf(pattern, sizeof(pattern), "%s", file_pattern);
	if (open_trace(err, errlen) < 0)
		return -1;
	return sy_hook_register(&trace_hook);
}

/* A forked child writes to its own file when the name holds %p. */
void sy_trace_reopen_child(void)
{
	char err[256];
	if (trace_fd < 0 || !strstr(pattern, "%p"))
		return;
	sy_raw1(SYS_close, trace_fd);
	trace_fd = -1;
	open_trace(err, sizeof(err));
}
