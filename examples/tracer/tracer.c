/*
 * An strace-like tracer built on the public hook API alone: one line per
 * system call, "PID name(arg1, arg2, ...) = result", written to the file named
 * by SY_TRACER_OUT (or to stderr).
 *
 * It shows the patterns a hook library needs: its own output goes through
 * sy_syscall() (never stdio, which would take locks a signal may interrupt and
 * buffer lines that a crash loses), each line is formatted in a stack buffer
 * (no shared state between threads or with signal handlers), and program
 * memory is read with process_vm_readv() so that a bad pointer in the traced
 * call gives the tracer an EFAULT instead of a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <switchyard/hook.h>

/* ---- What the tracer knows about each call ------------------------------ */

/* How many arguments a call takes, and which ones are C strings (bit i set:
 * args[i] is a path or name to print quoted). Calls not listed print all six
 * arguments, which is noisy but never hides one. */
struct call_shape {
	uint8_t known; /* 0 for calls not in the table */
	uint8_t nargs;
	uint8_t strings; /* bitmask over args[0..5] */
};

#define SHAPE(n, s)                                                                                \
	{                                                                                          \
		1, (n), (s)                                                                        \
	}
#define STR(i) (1u << (i))

static const struct call_shape shapes[SY_NR_LIMIT] = {
    [SYS_read] = SHAPE(3, 0),
    [SYS_write] = SHAPE(3, 0),
    [SYS_open] = SHAPE(3, STR(0)),
    [SYS_close] = SHAPE(1, 0),
    [SYS_stat] = SHAPE(2, STR(0)),
    [SYS_fstat] = SHAPE(2, 0),
    [SYS_lstat] = SHAPE(2, STR(0)),
    [SYS_poll] = SHAPE(3, 0),
    [SYS_lseek] = SHAPE(3, 0),
    [SYS_mmap] = SHAPE(6, 0),
    [SYS_mprotect] = SHAPE(3, 0),
    [SYS_munmap] = SHAPE(2, 0),
    [SYS_brk] = SHAPE(1, 0),
    [SYS_rt_sigaction] = SHAPE(4, 0),
    [SYS_rt_sigprocmask] = SHAPE(4, 0),
    [SYS_rt_sigreturn] = SHAPE(0, 0),
    [SYS_ioctl] = SHAPE(3, 0),
    [SYS_pread64] = SHAPE(4, 0),
    [SYS_pwrite64] = SHAPE(4, 0),
    [SYS_readv] = SHAPE(3, 0),
    [SYS_writev] = SHAPE(3, 0),
    [SYS_access] = SHAPE(2, STR(0)),
    [SYS_pipe] = SHAPE(1, 0),
    [SYS_select] = SHAPE(5, 0),
    [SYS_sched_yield] = SHAPE(0, 0),
    [SYS_mremap] = SHAPE(5, 0),
    [SYS_madvise] = SHAPE(3, 0),
    [SYS_dup] = SHAPE(1, 0),
    [SYS_dup2] = SHAPE(2, 0),
    [SYS_nanosleep] = SHAPE(2, 0),
    [SYS_getpid] = SHAPE(0, 0),
    [SYS_socket] = SHAPE(3, 0),
    [SYS_connect] = SHAPE(3, 0),
    [SYS_accept] = SHAPE(3, 0),
    [SYS_sendto] = SHAPE(6, 0),
    [SYS_recvfrom] = SHAPE(6, 0),
    [SYS_sendmsg] = SHAPE(3, 0),
    [SYS_recvmsg] = SHAPE(3, 0),
    [SYS_shutdown] = SHAPE(2, 0),
    [SYS_bind] = SHAPE(3, 0),
    [SYS_listen] = SHAPE(2, 0),
    [SYS_getsockname] = SHAPE(3, 0),
    [SYS_getpeername] = SHAPE(3, 0),
    [SYS_socketpair] = SHAPE(4, 0),
    [SYS_setsockopt] = SHAPE(5, 0),
    [SYS_getsockopt] = SHAPE(5, 0),
    [SYS_clone] = SHAPE(5, 0),
    [SYS_fork] = SHAPE(0, 0),
    [SYS_vfork] = SHAPE(0, 0),
    [SYS_execve] = SHAPE(3, STR(0)),
    [SYS_exit] = SHAPE(1, 0),
    [SYS_wait4] = SHAPE(4, 0),
    [SYS_kill] = SHAPE(2, 0),
    [SYS_uname] = SHAPE(1, 0),
    [SYS_fcntl] = SHAPE(3, 0),
    [SYS_flock] = SHAPE(2, 0),
    [SYS_fsync] = SHAPE(1, 0),
    [SYS_fdatasync] = SHAPE(1, 0),
    [SYS_truncate] = SHAPE(2, STR(0)),
    [SYS_ftruncate] = SHAPE(2, 0),
    [SYS_getdents64] = SHAPE(3, 0),
    [SYS_getcwd] = SHAPE(2, 0),
    [SYS_chdir] = SHAPE(1, STR(0)),
    [SYS_fchdir] = SHAPE(1, 0),
    [SYS_rename] = SHAPE(2, STR(0) | STR(1)),
    [SYS_mkdir] = SHAPE(2, STR(0)),
    [SYS_rmdir] = SHAPE(1, STR(0)),
    [SYS_creat] = SHAPE(2, STR(0)),
    [SYS_link] = SHAPE(2, STR(0) | STR(1)),
    [SYS_unlink] = SHAPE(1, STR(0)),
    [SYS_symlink] = SHAPE(2, STR(0) | STR(1)),
    [SYS_readlink] = SHAPE(3, STR(0)),
    [SYS_chmod] = SHAPE(2, STR(0)),
    [SYS_fchmod] = SHAPE(2, 0),
    [SYS_chown] = SHAPE(3, STR(0)),
    [SYS_fchown] = SHAPE(3, 0),
    [SYS_umask] = SHAPE(1, 0),
    [SYS_gettimeofday] = SHAPE(2, 0),
    [SYS_getrlimit] = SHAPE(2, 0),
    [SYS_getrusage] = SHAPE(2, 0),
    [SYS_sysinfo] = SHAPE(1, 0),
    [SYS_getuid] = SHAPE(0, 0),
    [SYS_getgid] = SHAPE(0, 0),
    [SYS_geteuid] = SHAPE(0, 0),
    [SYS_getegid] = SHAPE(0, 0),
    [SYS_setpgid] = SHAPE(2, 0),
    [SYS_getppid] = SHAPE(0, 0),
    [SYS_getpgrp] = SHAPE(0, 0),
    [SYS_setsid] = SHAPE(0, 0),
    [SYS_sigaltstack] = SHAPE(2, 0),
    [SYS_statfs] = SHAPE(2, STR(0)),
    [SYS_fstatfs] = SHAPE(2, 0),
    [SYS_prctl] = SHAPE(5, 0),
    [SYS_arch_prctl] = SHAPE(2, 0),
    [SYS_setrlimit] = SHAPE(2, 0),
    [SYS_chroot] = SHAPE(1, STR(0)),
    [SYS_gettid] = SHAPE(0, 0),
    [SYS_getxattr] = SHAPE(4, STR(0) | STR(1)),
    [SYS_lgetxattr] = SHAPE(4, STR(0) | STR(1)),
    [SYS_tkill] = SHAPE(2, 0),
    [SYS_futex] = SHAPE(6, 0),
    [SYS_sched_getaffinity] = SHAPE(3, 0),
    [SYS_set_tid_address] = SHAPE(1, 0),
    [SYS_fadvise64] = SHAPE(4, 0),
    [SYS_clock_gettime] = SHAPE(2, 0),
    [SYS_clock_nanosleep] = SHAPE(4, 0),
    [SYS_exit_group] = SHAPE(1, 0),
    [SYS_epoll_wait] = SHAPE(4, 0),
    [SYS_epoll_ctl] = SHAPE(4, 0),
    [SYS_tgkill] = SHAPE(3, 0),
    [SYS_openat] = SHAPE(4, STR(1)),
    [SYS_mkdirat] = SHAPE(3, STR(1)),
    [SYS_fchownat] = SHAPE(5, STR(1)),
    [SYS_newfstatat] = SHAPE(4, STR(1)),
    [SYS_unlinkat] = SHAPE(3, STR(1)),
    [SYS_renameat] = SHAPE(4, STR(1) | STR(3)),
    [SYS_linkat] = SHAPE(5, STR(1) | STR(3)),
    [SYS_symlinkat] = SHAPE(3, STR(0) | STR(2)),
    [SYS_readlinkat] = SHAPE(4, STR(1)),
    [SYS_fchmodat] = SHAPE(3, STR(1)),
    [SYS_faccessat] = SHAPE(3, STR(1)),
    [SYS_pselect6] = SHAPE(6, 0),
    [SYS_ppoll] = SHAPE(5, 0),
    [SYS_set_robust_list] = SHAPE(2, 0),
    [SYS_utimensat] = SHAPE(4, STR(1)),
    [SYS_epoll_pwait] = SHAPE(6, 0),
    [SYS_eventfd2] = SHAPE(2, 0),
    [SYS_epoll_create1] = SHAPE(1, 0),
    [SYS_dup3] = SHAPE(3, 0),
    [SYS_pipe2] = SHAPE(2, 0),
    [SYS_accept4] = SHAPE(4, 0),
    [SYS_prlimit64] = SHAPE(4, 0),
    [SYS_getrandom] = SHAPE(3, 0),
    [SYS_memfd_create] = SHAPE(2, STR(0)),
    [SYS_execveat] = SHAPE(5, STR(1)),
    [SYS_statx] = SHAPE(5, STR(1)),
    [SYS_rseq] = SHAPE(4, 0),
    [SYS_clone3] = SHAPE(2, 0),
    [SYS_close_range] = SHAPE(3, 0),
    [SYS_openat2] = SHAPE(4, STR(1)),
    [SYS_faccessat2] = SHAPE(4, STR(1)),
};

static struct call_shape shape_of(long nr)
{
	struct call_shape unknown = SHAPE(6, 0);
	if (nr < 0 || nr >= SY_NR_LIMIT || !shapes[nr].known)
		return unknown;
	return shapes[nr];
}

/* Calls whose result is an address, printed in hex like strace does. */
static int returns_address(long nr)
{
	return nr == SYS_mmap || nr == SYS_mremap || nr == SYS_brk || nr == SYS_shmat;
}

/* ---- A line in a stack buffer -------------------------------------------- */

/* Appending never overruns: what does not fit is dropped and the line ends
 * in "..." instead. Nothing here calls libc functions that lock or allocate. */
struct line {
	char text[1024];
	size_t len;
	int truncated;
};

/* Room kept at the end for "...\n". */
#define LINE_RESERVE 4

static void put_char(struct line *l, char c)
{
	if (l->len + LINE_RESERVE < sizeof(l->text))
		l->text[l->len++] = c;
	else
		l->truncated = 1;
}

static void put_str(struct line *l, const char *s)
{
	while (*s)
		put_char(l, *s++);
}

static void put_unsigned(struct line *l, unsigned long v, unsigned base)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		put_str(l, "0x");
	while (n)
		put_char(l, digits[--n]);
}

static void put_signed(struct line *l, long v)
{
	if (v < 0) {
		put_char(l, '-');
		put_unsigned(l, -(unsigned long)v, 10);
	} else {
		put_unsigned(l, (unsigned long)v, 10);
	}
}

/* Without type information an argument is a guess: small values (flags,
 * fds, sizes) read best in decimal, anything else is most likely a pointer
 * and reads best in hex. An int argument arrives with the upper half of the
 * register undefined (the kernel looks at the low 32 bits only; AT_FDCWD is
 * often 0x00000000ffffff9c), so a small negative int counts as small too. */
static void put_arg(struct line *l, long v)
{
	int low = (int)(unsigned)v;
	if (v >= -4096 && v < 65536)
		put_signed(l, v);
	else if ((unsigned long)v >> 32 == 0 && low >= -4096 && low < 0)
		put_signed(l, low);
	else
		put_unsigned(l, (unsigned long)v, 16);
}

/* Reads up to `len` bytes of the program's memory at `addr` into `buf`
 * without risking a fault: the kernel does the reading and stops at the
 * first unmapped page. The read is split at the page boundary so that a
 * string ending just before an unmapped page still comes through. Returns
 * the number of bytes read, or -1. */
static long read_program_memory(long pid, uintptr_t addr, char *buf, size_t len)
{
	size_t page = 4096;
	size_t first = page - (addr & (page - 1));
	if (first > len)
		first = len;
	struct iovec local = {buf, len};
	struct iovec remote[2] = {
	    {(void *)addr, first},
	    {(void *)(addr + first), len - first},
	};
	long got = sy_syscall(SYS_process_vm_readv, pid, (long)&local, 1, (long)remote,
			      len > first ? 2 : 1, 0);
	return got < 0 ? -1 : got;
}

/* A C string argument, quoted and escaped, at most STRING_MAX bytes. */
#define STRING_MAX 64

static void put_string_arg(struct line *l, long pid, long ptr)
{
	char s[STRING_MAX];
	if (ptr == 0) {
		put_str(l, "NULL");
		return;
	}
	long got = read_program_memory(pid, (uintptr_t)ptr, s, sizeof(s));
	if (got <= 0) {
		put_arg(l, ptr); /* unreadable: the kernel will say EFAULT */
		return;
	}
	put_char(l, '"');
	long i;
	for (i = 0; i < got && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			put_char(l, '\\');
			put_char(l, (char)c);
		} else if (c == '\n') {
			put_str(l, "\\n");
		} else if (c == '\t') {
			put_str(l, "\\t");
		} else if (c < 0x20 || c >= 0x7f) {
			put_str(l, "\\x");
			put_char(l, "0123456789abcdef"[c >> 4]);
			put_char(l, "0123456789abcdef"[c & 15]);
		} else {
			put_char(l, (char)c);
		}
	}
	put_char(l, '"');
	if (i == got) /* no terminating NUL within what we read */
		put_str(l, "...");
}

/* "PID name(arg1, arg2, ...)" */
static void put_call(struct line *l, const struct sy_call *call)
{
	/* Asked every time rather than cached: a vfork child shares the
	 * parent's memory, so a cached value would be the parent's. */
	long pid = sy_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	put_signed(l, pid);
	put_char(l, ' ');
	const char *name = sy_syscall_name(call->nr);
	if (name) {
		put_str(l, name);
	} else {
		put_str(l, "syscall_");
		put_signed(l, call->nr);
	}
	put_char(l, '(');
	struct call_shape shape = shape_of(call->nr);
	for (int i = 0; i < shape.nargs; i++) {
		if (i)
			put_str(l, ", ");
		if (shape.strings & STR(i))
			put_string_arg(l, pid, call->args[i]);
		else
			put_arg(l, call->args[i]);
	}
	put_char(l, ')');
}

static void put_result(struct line *l, long nr, long result)
{
	put_str(l, " = ");
	if (result < 0 && result >= -4095) {
		const char *name = strerrorname_np((int)-result); /* a table look-up */
		put_str(l, "-1 ");
		if (name) {
			put_str(l, name);
		} else {
			put_str(l, "errno ");
			put_signed(l, -result);
		}
	} else if (returns_address(nr)) {
		put_unsigned(l, (unsigned long)result, 16);
	} else {
		put_signed(l, result);
	}
}

/* ---- Output ------------------------------------------------------------- */

static int out_fd = 2; /* set once in switchyard_hook_init, read-only after */

/* One write per line, so lines from threads and processes sharing the file
 * (opened O_APPEND) do not interleave within a line. */
static void emit(struct line *l)
{
	if (l->truncated) { /* LINE_RESERVE keeps room for these four */
		memcpy(l->text + l->len, "...", 3);
		l->len += 3;
	}
	l->text[l->len++] = '\n';
	const char *p = l->text;
	size_t left = l->len;
	while (left > 0) {
		long n = sy_syscall(SYS_write, out_fd, (long)p, (long)left, 0, 0, 0);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere to report it; the program goes on */
		p += n;
		left -= (size_t)n;
	}
}

/* ---- The hook ----------------------------------------------------------- */

static int never_returns(long nr)
{
	return nr == SYS_exit || nr == SYS_exit_group || nr == SYS_rt_sigreturn;
}

static int replaces_program(long nr)
{
	return nr == SYS_execve || nr == SYS_execveat;
}

/* Most calls are printed whole in `leave`, once the result is known. Calls
 * that never come back are printed here; execve is printed here unfinished
 * (a successful one never returns) and completed in `leave` if it fails. */
static enum sy_verdict tracer_enter(void *ctx, struct sy_call *call, long *result)
{
	(void)ctx;
	(void)result;
	if (never_returns(call->nr)) {
		struct line l = {.len = 0};
		put_call(&l, call);
		put_str(&l, " = ?");
		emit(&l);
	} else if (replaces_program(call->nr)) {
		struct line l = {.len = 0};
		put_call(&l, call);
		put_str(&l, " <unfinished ...>");
		emit(&l);
	}
	return SY_PASS;
}

static void tracer_leave(void *ctx, const struct sy_call *call, long *result)
{
	(void)ctx;
	struct line l = {.len = 0};
	if (replaces_program(call->nr)) {
		put_signed(&l, sy_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0));
		put_str(&l, " <... ");
		put_str(&l, sy_syscall_name(call->nr));
		put_str(&l, " resumed>");
	} else {
		put_call(&l, call);
	}
	put_result(&l, call->nr, *result);
	emit(&l);
}

static const struct sy_hook tracer_hook = {
    .version = SY_HOOK_API_VERSION,
    .name = "example-tracer",
    .ctx = NULL,
    .interest = NULL, /* every call */
    .enter = tracer_enter,
    .leave = tracer_leave,
};

/* A problem at start-up, on stderr: "sy_example_tracer: WHAT DETAIL[: ENAME]". */
static void complain(const char *what, const char *detail, long error)
{
	struct line l = {.len = 0};
	put_str(&l, "sy_example_tracer: ");
	put_str(&l, what);
	put_str(&l, detail);
	if (error < 0) {
		const char *name = strerrorname_np((int)-error);
		put_str(&l, ": ");
		put_str(&l, name ? name : "error");
	}
	out_fd = 2;
	emit(&l);
}

/* Moves the trace fd out of the program's way: a program's first open must
 * still return 3, as it would without the tracer. F_DUPFD picks the lowest
 * free number at or above the one asked for, so nothing open is disturbed.
 * (A program that closes every fd, closefrom-style, closes this one too; the
 * trace of that process then stops, and its exec'ed successors reopen it.) */
static int move_fd_high(int fd)
{
	struct rlimit lim;
	if (sy_syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&lim, 0, 0) < 0 ||
	    lim.rlim_cur <= 256)
		return fd;
	long high = sy_syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, (long)(lim.rlim_cur - 128), 0, 0, 0);
	if (high < 0)
		return fd;
	sy_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
	return (int)high;
}

int switchyard_hook_init(void)
{
	const char *path = getenv("SY_TRACER_OUT");
	if (path && *path) {
		/* O_APPEND, no O_TRUNC: every process of the run (children,
		 * exec'ed programs) reopens the same file and adds its lines. */
		long fd = sy_syscall(SYS_openat, AT_FDCWD, (long)path,
				     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644, 0, 0);
		if (fd < 0) {
			complain("cannot open SY_TRACER_OUT=", path, fd);
			return -1;
		}
		out_fd = move_fd_high((int)fd);
	}
	if (sy_hook_register(&tracer_hook) != 0) {
		complain("sy_hook_register refused the hook", "", 0);
		return -1;
	}
	return 0;
}
