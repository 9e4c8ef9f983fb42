/*
 * Corners where an interposer could change what the kernel does
 * (ARCHITECTURE.md contracts 1, 4, 5, 6, 8). Every check states the kernel's
 * behaviour; the native run of this program proves the statement, the runs
 * under switchyard prove switchyard keeps it.
 *
 * Built with -O2 -D_FORTIFY_SOURCE=2 so that longjmp/siglongjmp go through
 * glibc's __longjmp_chk (which calls sigaltstack with its result in the red
 * zone).
 *
 * Usage: sy_test_oddities [--hooked=yes|no] [--only NAME]
 *   --hooked=yes  the test hook (libsy_test_hook_answer.so) is loaded: after
 *                 every check the magic call must still be caught (proves
 *                 that no check left switchyard's state broken, e.g. after a
 *                 longjmp out of a handler). no: it must be missed (native,
 *                 or switchyard without the hook). Default: do not probe.
 * Every check runs in its own child process with a time limit; one line per
 * check, "NAME: ok" or "NAME: FAIL ...". Exits 0 iff all are ok.
 */
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sy_test.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (asm-generic/siginfo.h) */
#endif

#define CHECK_TIMEOUT_S 20

/* ---- reporting from the child ---- */

static int msgfd = -1; /* the child's message pipe to the parent */

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 2, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 3)
		n = sizeof buf - 3;
	buf[n++] = ';';
	buf[n++] = ' ';
	if (msgfd >= 0 && write(msgfd, buf, n) < 0)
		_exit(99);
}

#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			note(__VA_ARGS__);                                                         \
			bad++;                                                                     \
		}                                                                                  \
	} while (0)

static long native_ppid;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_timer_ms(long ms)
{
	struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* ---- calls through null and small function pointers ---- */

static void call_address(uintptr_t a)
{
	void (*volatile fn)(void) = (void (*)(void))a;
	fn();
}

static int null_call(uintptr_t target)
{
	call_address(target);
	note("call to %#lx returned", (unsigned long)target);
	return 1;
}
static int t_null_call_0(void)
{
	return null_call(0);
}
static int t_null_call_40(void)
{
	return null_call(0x40);
}
static int t_null_call_1f4(void)
{
	return null_call(0x1f4);
}
static int t_null_call_800(void)
{
	return null_call(0x800);
}

/* A tail call through a null or small function pointer compiles to
 * `jmp *%rax` (no return address pushed). */
typedef int (*int_fn)(int);
__attribute__((noinline)) static int tail_call(int_fn *volatile fp, int x)
{
	return (*fp)(x);
}

static int tail_call_to(uintptr_t a)
{
	int_fn fn = (int_fn)a;
	int r = tail_call(&fn, 1);
	note("tail call to %#lx returned %d", (unsigned long)a, r);
	return 1;
}
static int t_tail_call_0(void)
{
	return tail_call_to(0);
}
static int t_tail_call_40(void)
{
	return tail_call_to(0x40);
}

/* With a SIGSEGV handler: what the kernel reports about the fault. */
static volatile uintptr_t segv_target;
/*
 * Documented limit of switchyard's rewrite mode (README, "Limits"): page 0
 * holds the trampoline. Without memory protection keys it cannot be made
 * execute-only, so a read of a small address returns the trampoline's bytes.
 * t_null_read asserts exactly that when the trampoline is there, and the
 * kernel's behaviour everywhere else.
 */
static int page0_trampoline(void)
{
	static int known = -1;
	if (known < 0) {
		char line[256];
		FILE *f = fopen("/proc/self/maps", "r");
		known = 0;
		while (f && fgets(line, sizeof line, f))
			if (strncmp(line, "00000000-00001000 r-xp", 22) == 0)
				known = 1;
		if (f)
			fclose(f);
	}
	return known;
}

static void segv_info_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int bad = 0;
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	EXPECT(sig == SIGSEGV && si->si_signo == SIGSEGV, "signal %d", sig);
	EXPECT(si->si_code == SEGV_MAPERR, "si_code %d, kernel gives SEGV_MAPERR (%d)", si->si_code,
	       SEGV_MAPERR);
	EXPECT((uintptr_t)si->si_addr == segv_target, "si_addr %p, kernel gives %#lx", si->si_addr,
	       (unsigned long)segv_target);
	EXPECT(rip == segv_target, "faulting rip %#lx, kernel gives %#lx", (unsigned long)rip,
	       (unsigned long)segv_target);
	_exit(bad ? 1 : 0);
}

static int null_call_info(uintptr_t target)
{
	segv_target = target;
	set_action(SIGSEGV, segv_info_handler, 0);
	call_address(target);
	note("call to %#lx returned", (unsigned long)target);
	return 1;
}
static int t_null_call_info_0(void)
{
	return null_call_info(0);
}
static int t_null_call_info_40(void)
{
	return null_call_info(0x40);
}

/* ---- unknown system call numbers ---- */

__attribute__((noinline)) static long inline_511(void)
{
	long ret;
	__asm__ volatile("mov $511, %%eax\n\tsyscall"
			 : "=a"(ret)
			 : "D"(0L)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) static long inline_500_zero(void)
{
	long ret;
	__asm__ volatile("mov $500, %%eax\n\tsyscall"
			 : "=a"(ret)
			 : "D"(0L)
			 : "rcx", "r11", "memory");
	return ret;
}

static int t_enosys(void)
{
	int bad = 0;
	static const long nrs[] = {-1, -2, 500, 511, 512, 1000, 0x7fffffff, -0x80000000L};
	for (unsigned i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
		errno = 0;
		long r = syscall(nrs[i], 0, 0, 0, 0, 0, 0);
		EXPECT(r == -1 && errno == ENOSYS,
		       "syscall(%ld) gave %ld errno %d, kernel: -1 ENOSYS", nrs[i], r, errno);
	}
	for (int i = 0; i < 3; i++) {
		long r = inline_500_zero();
		EXPECT(r == -ENOSYS, "inline nr 500 gave %ld, kernel -ENOSYS", r);
		r = inline_511();
		EXPECT(r == -ENOSYS, "inline nr 511 gave %ld, kernel -ENOSYS", r);
	}
	return bad;
}

/* The kernel looks at eax only: the upper half of rax is ignored. */
static int t_nr_upper_bits(void)
{
	int bad = 0;
	long r = syscall(0x100000000L | SYS_getppid);
	EXPECT(r == native_ppid, "syscall(0x1_0000_006e) gave %ld errno %d, kernel: getppid = %ld",
	       r, errno, native_ppid);
	r = sy_raw6(0xffffffff00000000L | SYS_getppid, 0, 0, 0, 0, 0, 0);
	EXPECT(r == native_ppid, "raw rax 0xffffffff_0000006e gave %ld, kernel: getppid = %ld", r,
	       native_ppid);
	return bad;
}

/* ---- fd numbers ---- */

/* Runs in the parent before anything else opens a file. */
static int first_open_check(void)
{
	int bad = 0;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			printf("first-open: fd %d is not open; the harness must provide 0-2\n", fd);
			return 1;
		}
	int a = open("/dev/null", O_RDONLY);
	int p[2] = {-1, -1};
	int pr = pipe(p);
	int d = dup(0);
	int b = openat(AT_FDCWD, "/dev/null", O_WRONLY | O_CLOEXEC);
	if (a != 3 || pr != 0 || p[0] != 4 || p[1] != 5 || d != 6 || b != 7) {
		printf("first-open: FAIL open=%d pipe=%d,%d dup=%d openat=%d, kernel gives 3 4,5 6 "
		       "7\n",
		       a, p[0], p[1], d, b);
		bad = 1;
	}
	close(a);
	close(p[0]);
	close(p[1]);
	close(d);
	close(b);
	int c = open("/dev/null", O_RDONLY);
	if (c != 3) {
		printf("first-open: FAIL reopen gave %d, kernel gives 3\n", c);
		bad = 1;
	}
	close(c);
	if (!bad)
		printf("first-open: ok\n");
	fflush(stdout);
	return bad;
}

/* A program may dup2 onto the highest fds it is allowed: they are its own. */
static int t_top_fds(void)
{
	int bad = 0;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 64) {
		note("getrlimit failed or tiny");
		return 1;
	}
	int mf = memfd_create("sy-top-fds", 0);
	EXPECT(mf >= 0, "memfd_create failed");
	if (mf < 0)
		return bad;
	struct stat want;
	fstat(mf, &want);
	int top = (int)rl.rlim_cur;
	for (int fd = top - 1; fd >= top - 8; fd--)
		EXPECT(dup2(mf, fd) == fd, "dup2 onto %d failed: %s", fd, strerror(errno));
	EXPECT(dup2(mf, top) == -1 && errno == EBADF,
	       "dup2 onto %d (= RLIMIT_NOFILE) did not fail "
	       "with EBADF",
	       top);
	/* Some system calls of all kinds while the program owns the top fds. */
	for (int i = 0; i < 50; i++) {
		int fd = open("/dev/null", O_RDONLY);
		char c;
		if (read(fd, &c, 1) != 0)
			bad++;
		close(fd);
		getppid();
		syscall(SYS_getppid);
	}
	for (int fd = top - 1; fd >= top - 8; fd--) {
		struct stat st;
		EXPECT(fstat(fd, &st) == 0 && st.st_ino == want.st_ino && st.st_dev == want.st_dev,
		       "fd %d no longer refers to the program's memfd", fd);
	}
	struct stat now;
	fstat(mf, &now);
	EXPECT(now.st_size == 0,
	       "someone wrote %ld bytes into the program's fds at the top of the "
	       "range",
	       (long)now.st_size);
	return bad;
}

/* ---- SIGSYS owned by the program ---- */

static volatile int sys_count;
static volatile int sys_code, sys_signo, sys_syscall, sys_errno, sys_pid;
static volatile unsigned sys_arch;
static volatile uintptr_t sys_call_addr;
static volatile long sys_set_rax = 4242;

static void sigsys_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	sys_count++;
	sys_signo = sig;
	sys_code = si->si_code;
	sys_pid = si->si_pid;
	if (si->si_code == SYS_SECCOMP) {
		sys_syscall = si->si_syscall;
		sys_arch = si->si_arch;
		sys_errno = si->si_errno;
		sys_call_addr = (uintptr_t)si->si_call_addr;
		uc->uc_mcontext.gregs[REG_RAX] = sys_set_rax;
	}
}

static int t_sigsys_user(void)
{
	int bad = 0;
	set_action(SIGSYS, sigsys_handler, 0);
	sys_count = 0;
	kill(getpid(), SIGSYS);
	EXPECT(sys_count == 1 && sys_signo == SIGSYS && sys_code == SI_USER && sys_pid == getpid(),
	       "kill(SIGSYS): handler ran %d times, signo %d si_code %d si_pid %d; kernel: once, "
	       "SI_USER (%d), own pid",
	       sys_count, sys_signo, sys_code, sys_pid, SI_USER);
	sys_count = 0;
	raise(SIGSYS);
	EXPECT(sys_count == 1 && sys_code == SI_TKILL,
	       "raise(SIGSYS): handler ran %d times, si_code %d; kernel: once, SI_TKILL (%d)",
	       sys_count, sys_code, SI_TKILL);
	sys_count = 0;
	union sigval v = {.sival_int = 77};
	sigqueue(getpid(), SIGSYS, v);
	EXPECT(sys_count == 1 && sys_code == SI_QUEUE,
	       "sigqueue(SIGSYS): handler ran %d times, si_code %d; kernel: once, SI_QUEUE (%d)",
	       sys_count, sys_code, SI_QUEUE);
	EXPECT(syscall(SYS_getppid) == native_ppid, "syscall(getppid) wrong after SIGSYS");
	return bad;
}

/* The program's SIGSYS disposition reads back as the program set it,
 * exactly like the same disposition on SIGUSR2 (the in-process oracle). */
static int t_sigsys_readback(void)
{
	int bad = 0;
	struct sigaction sa, o_sys, o_usr;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGSYS, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGSYS, NULL, &o_sys);
	sigaction(SIGUSR2, NULL, &o_usr);
	EXPECT(o_sys.sa_sigaction == o_usr.sa_sigaction, "SIGSYS handler reads back as %p, set %p",
	       (void *)o_sys.sa_sigaction, (void *)sigsys_handler);
	EXPECT(o_sys.sa_flags == o_usr.sa_flags, "SIGSYS sa_flags read back %#x, kernel gives %#x",
	       o_sys.sa_flags, o_usr.sa_flags);
	EXPECT(memcmp(&o_sys.sa_mask, &o_usr.sa_mask, sizeof o_sys.sa_mask) == 0,
	       "SIGSYS sa_mask reads back differently");
	/* And back to the default and to ignore. */
	signal(SIGSYS, SIG_IGN);
	sigaction(SIGSYS, NULL, &o_sys);
	EXPECT(o_sys.sa_handler == SIG_IGN, "SIG_IGN on SIGSYS reads back as %p",
	       (void *)o_sys.sa_handler);
	raise(SIGSYS); /* ignored: nothing happens */
	signal(SIGSYS, SIG_DFL);
	sigaction(SIGSYS, NULL, &o_sys);
	EXPECT(o_sys.sa_handler == SIG_DFL, "SIG_DFL on SIGSYS reads back as %p",
	       (void *)o_sys.sa_handler);
	EXPECT(getppid() == native_ppid && syscall(SYS_getppid) == native_ppid,
	       "getppid wrong after SIGSYS disposition changes");
	return bad;
}

static int t_sigsys_default(void)
{
	raise(SIGSYS); /* default action: terminate (with core) */
	note("raise(SIGSYS) with the default disposition returned");
	return 1;
}

static int t_sigsys_blocked(void)
{
	int bad = 0;
	sigset_t set, old, cur, pend;
	set_action(SIGSYS, sigsys_handler, 0);
	sys_count = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigprocmask(SIG_SETMASK, NULL, &old);
	EXPECT(sigismember(&old, SIGSYS) == 1, "SIGSYS blocked but sigprocmask reads it unblocked");
	/* switchyard still works: trapped (libc syscall) and rewritten calls */
	for (int i = 0; i < 20; i++) {
		EXPECT(syscall(SYS_getppid) == native_ppid,
		       "syscall(getppid) wrong with SIGSYS blocked");
		EXPECT(getppid() == native_ppid, "getppid wrong with SIGSYS blocked");
	}
	raise(SIGSYS);
	EXPECT(sys_count == 0, "blocked SIGSYS was delivered");
	sigpending(&pend);
	EXPECT(sigismember(&pend, SIGSYS) == 1, "raised blocked SIGSYS is not pending");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	EXPECT(sigismember(&cur, SIGSYS) == 1, "SIGSYS no longer blocked");
	/* Everything blocked, via the raw call too. */
	sigset_t full, rb;
	sigfillset(&full);
	sigprocmask(SIG_SETMASK, &full, NULL);
	uint64_t raw = 0;
	EXPECT(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &raw, 8) == 0, "rt_sigprocmask failed");
	uint64_t want = ~0ULL & ~(1ULL << (SIGKILL - 1)) & ~(1ULL << (SIGSTOP - 1));
	/* glibc's sigfillset leaves out its two internal signals (32, 33) */
	want &= ~(1ULL << 31) & ~(1ULL << 32);
	EXPECT(raw == want, "full mask reads back as %#llx, kernel gives %#llx",
	       (unsigned long long)raw, (unsigned long long)want);
	sigprocmask(SIG_SETMASK, NULL, &rb);
	EXPECT(sigismember(&rb, SIGSYS) == 1, "SIGSYS not blocked under a full mask");
	EXPECT(syscall(SYS_getppid) == native_ppid,
	       "syscall(getppid) wrong with all signals blocked");
	/* Unblock: the pending SIGSYS arrives now, once, as sent. */
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	EXPECT(sys_count == 1 && sys_code == SI_TKILL,
	       "after unblocking: handler ran %d times, si_code %d; kernel: once, SI_TKILL",
	       sys_count, sys_code);
	return bad;
}

static void *blocked_thread(void *arg)
{
	(void)arg;
	sigset_t cur;
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	long ok = sigismember(&cur, SIGSYS) == 1;
	ok = ok && syscall(SYS_getppid) == native_ppid && getppid() == native_ppid;
	return (void *)ok;
}

static int t_sigsys_blocked_thread(void)
{
	int bad = 0;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_t t;
	void *res = 0;
	if (pthread_create(&t, NULL, blocked_thread, NULL) == 0)
		pthread_join(t, &res);
	EXPECT(res == (void *)1, "new thread does not see SIGSYS blocked (inherited mask) or its "
				 "syscalls fail");
	return bad;
}

/* seccomp: the program's own filter traps getppid. */
static int install_getppid_trap(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 0x42),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

extern const char sy_odd_getppid_after[];
__attribute__((noinline)) static long inline_getppid(void)
{
	long ret;
	__asm__ volatile("mov $110, %%eax\n\t"
			 "syscall\n"
			 ".globl sy_odd_getppid_after\n"
			 "sy_odd_getppid_after:"
			 : "=a"(ret)
			 :
			 : "rcx", "r11", "memory");
	return ret;
}

static int t_seccomp_trap(void)
{
	int bad = 0;
	set_action(SIGSYS, sigsys_handler, 0);
	if (install_getppid_trap() != 0) {
		note("cannot install the seccomp filter: %s", strerror(errno));
		return 1;
	}
	for (int i = 0; i < 5; i++) {
		sys_count = 0;
		sys_set_rax = 4242 + i;
		long r = getppid();
		EXPECT(r == 4242 + i, "getppid() under the trap returned %ld, handler set %d", r,
		       4242 + i);
		EXPECT(sys_count == 1 && sys_signo == SIGSYS && sys_code == SYS_SECCOMP &&
			   sys_syscall == SYS_getppid && sys_arch == AUDIT_ARCH_X86_64 &&
			   sys_errno == 0x42,
		       "libc getppid: handler ran %d times with signo %d si_code %d si_syscall %d "
		       "si_arch %#x si_errno %#x; kernel: once, SIGSYS, SYS_SECCOMP, %d, %#x, 0x42",
		       sys_count, sys_signo, sys_code, sys_syscall, sys_arch, sys_errno,
		       SYS_getppid, AUDIT_ARCH_X86_64);
		sys_count = 0;
		r = syscall(SYS_getppid);
		EXPECT(r == 4242 + i && sys_count == 1 && sys_code == SYS_SECCOMP,
		       "syscall(getppid) under the trap returned %ld, handler ran %d times, "
		       "si_code %d",
		       r, sys_count, sys_code);
		sys_count = 0;
		r = inline_getppid();
		EXPECT(
		    r == 4242 + i && sys_count == 1 && sys_code == SYS_SECCOMP,
		    "inline getppid under the trap returned %ld, handler ran %d times, si_code %d",
		    r, sys_count, sys_code);
		EXPECT(sys_call_addr == (uintptr_t)sy_odd_getppid_after,
		       "inline getppid: si_call_addr %#lx, kernel gives the address after the "
		       "program's syscall instruction %p",
		       (unsigned long)sys_call_addr, (void *)sy_odd_getppid_after);
	}
	/* Everything else still allowed and working. */
	EXPECT(getpid() > 0 && syscall(SYS_gettid) > 0, "other calls fail under the filter");
	return bad;
}

static int t_seccomp_trap_default(void)
{
	if (install_getppid_trap() != 0) {
		note("cannot install the seccomp filter: %s", strerror(errno));
		return 1;
	}
	getppid(); /* SIGSYS with the default disposition kills */
	note("getppid() under SECCOMP_RET_TRAP without a handler returned");
	return 1;
}

static sigjmp_buf sys_jmp;
static void sigsys_jump_handler(int sig)
{
	(void)sig;
	siglongjmp(sys_jmp, 1);
}

/* A handler that leaves by siglongjmp (sandboxes do this). */
static int t_seccomp_trap_longjmp(void)
{
	volatile int bad = 0;
	set_handler(SIGSYS, sigsys_jump_handler, 0);
	if (install_getppid_trap() != 0) {
		note("cannot install the seccomp filter: %s", strerror(errno));
		return 1;
	}
	volatile int jumped = 0;
	for (volatile int i = 0; i < 40; i++) {
		if (sigsetjmp(sys_jmp, 1) == 0) {
			if (i % 2)
				getppid();
			else
				syscall(SYS_getppid);
			note("trapped getppid returned");
			bad++;
		} else {
			jumped++;
		}
	}
	EXPECT(jumped == 40, "jumped out %d times of 40", jumped);
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	EXPECT(!sigismember(&cur, SIGSYS), "SIGSYS still blocked after siglongjmp");
	EXPECT(getpid() == syscall(SYS_getpid), "getpid inconsistent after the jumps");
	return bad;
}

/* ---- EINTR and SA_RESTART ---- */

static int alarm_pipe[2];
static volatile int alarm_count;
static void alarm_writes(int sig)
{
	(void)sig;
	alarm_count++;
	char c = 'x';
	if (write(alarm_pipe[1], &c, 1) != 1)
		_exit(98);
}

static int restart_case(int sa_restart, int via_libc)
{
	int bad = 0;
	if (pipe(alarm_pipe) != 0)
		return 1;
	set_handler(SIGALRM, alarm_writes, sa_restart ? SA_RESTART : 0);
	alarm_count = 0;
	set_timer_ms(50);
	char c = 0;
	errno = 0;
	long r = via_libc ? read(alarm_pipe[0], &c, 1) : syscall(SYS_read, alarm_pipe[0], &c, 1);
	int e = errno;
	const char *how = via_libc ? "read()" : "syscall(SYS_read)";
	if (sa_restart)
		EXPECT(
		    r == 1 && c == 'x' && alarm_count == 1,
		    "%s with SA_RESTART: returned %ld errno %d (handler ran %d); kernel restarts "
		    "it and it returns the handler's byte",
		    how, r, e, alarm_count);
	else {
		EXPECT(r == -1 && e == EINTR && alarm_count == 1,
		       "%s without SA_RESTART: returned %ld errno %d (handler ran %d); kernel: -1 "
		       "EINTR",
		       how, r, e, alarm_count);
		r = read(alarm_pipe[0], &c, 1);
		EXPECT(r == 1 && c == 'x', "the handler's byte is not in the pipe afterwards");
	}
	close(alarm_pipe[0]);
	close(alarm_pipe[1]);
	return bad;
}

static int t_eintr_read(void)
{
	return restart_case(0, 1) + restart_case(0, 0);
}

static int t_sa_restart_read(void)
{
	return restart_case(1, 1) + restart_case(1, 0);
}

static volatile int plain_alarms;
static void alarm_counts(int sig)
{
	(void)sig;
	plain_alarms++;
}

/* Calls the kernel never restarts after a handler, SA_RESTART or not. */
static int t_never_restarted(void)
{
	int bad = 0;
	int p[2];
	if (pipe(p) != 0)
		return 1;
	set_handler(SIGALRM, alarm_counts, SA_RESTART);
	struct pollfd pfd = {.fd = p[0], .events = POLLIN};
	set_timer_ms(50);
	errno = 0;
	int r = poll(&pfd, 1, 5000);
	EXPECT(r == -1 && errno == EINTR, "poll with SA_RESTART: %d errno %d; kernel: -1 EINTR", r,
	       errno);
	set_timer_ms(50);
	struct timespec ts = {5, 0}, rem = {0, 0};
	errno = 0;
	r = nanosleep(&ts, &rem);
	EXPECT(r == -1 && errno == EINTR && rem.tv_sec >= 3,
	       "nanosleep with SA_RESTART: %d errno %d rem %lds; kernel: -1 EINTR, ~5s left", r,
	       errno, (long)rem.tv_sec);
	EXPECT(plain_alarms == 2, "handler ran %d times, expected 2", plain_alarms);
	close(p[0]);
	close(p[1]);
	return bad;
}

/* A read restarted many times by a fast interval timer, then satisfied by
 * another thread: returns the data once, never EINTR. */
static int storm_pipe[2];
static void *late_writer(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	if (write(storm_pipe[1], "abc", 3) != 3)
		return (void *)1;
	return NULL;
}

static int t_sa_restart_storm(void)
{
	int bad = 0;
	if (pipe(storm_pipe) != 0)
		return 1;
	set_handler(SIGALRM, alarm_counts, SA_RESTART);
	/* Only this thread may take the timer signal. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_t t;
	pthread_create(&t, NULL, late_writer, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	plain_alarms = 0;
	struct itimerval it = {{0, 1000}, {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	char buf[8];
	long r1 = read(storm_pipe[0], buf, 1);
	int e1 = errno;
	long r2 = syscall(SYS_read, storm_pipe[0], buf + 1, 2);
	int e2 = errno;
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	pthread_join(t, NULL);
	EXPECT(r1 == 1 && r2 == 2 && memcmp(buf, "abc", 3) == 0,
	       "reads under a 1ms SA_RESTART timer: %ld (errno %d), %ld (errno %d); kernel: 1, 2",
	       r1, e1, r2, e2);
	EXPECT(plain_alarms >= 20, "only %d timer signals arrived during 300ms at 1ms",
	       plain_alarms);
	return bad;
}

/* Stopped and continued (SIGSTOP/SIGCONT, no handler): blocking calls go
 * on as if nothing happened (the kernel restarts them, nanosleep through
 * restart_syscall). */
static int t_stop_cont_restarts(void)
{
	int bad = 0;
	int p[2];
	if (pipe(p) != 0)
		return 1;
	pid_t me = getpid();
	pid_t helper = fork();
	if (helper == 0) {
		struct timespec ts = {0, 80 * 1000 * 1000};
		for (int round = 0; round < 2; round++) {
			nanosleep(&ts, NULL);
			kill(me, SIGSTOP);
			nanosleep(&ts, NULL);
			kill(me, SIGCONT);
			nanosleep(&ts, NULL);
		}
		/* round two's read gets its byte after the second continue */
		if (write(p[1], "s", 1) != 1)
			_exit(1);
		_exit(0);
	}
	double t0 = now_s();
	struct timespec sl = {0, 200 * 1000 * 1000};
	int r = nanosleep(&sl, NULL);
	double t1 = now_s();
	EXPECT(r == 0, "nanosleep across SIGSTOP/SIGCONT returned %d errno %d; kernel: 0", r,
	       errno);
	EXPECT(t1 - t0 >= 0.199, "nanosleep(200ms) across a stop returned after %.3fs", t1 - t0);
	char c = 0;
	long n = syscall(SYS_read, p[0], &c, 1);
	EXPECT(n == 1 && c == 's', "read across SIGSTOP/SIGCONT returned %ld errno %d; kernel: 1",
	       n, errno);
	int st;
	waitpid(helper, &st, 0);
	close(p[0]);
	close(p[1]);
	return bad;
}

/* ---- sigaltstack ---- */

static char *alt_base;
static size_t alt_size = 256 * 1024;
static volatile int alt_ok, alt_ran, alt_nested;
static char alt_msg[300];

static void alt_nested_handler(int sig)
{
	(void)sig;
	char here;
	if (&here >= alt_base && &here < alt_base + alt_size && getppid() == native_ppid)
		alt_nested = 1;
}

static void alt_handler(int sig)
{
	(void)sig;
	char here;
	int bad = 0;
	alt_ran++;
	alt_msg[0] = 0;
#define ALT_EXPECT(c, what)                                                                        \
	do {                                                                                       \
		if (!(c) && !bad) {                                                                \
			bad = 1;                                                                   \
			snprintf(alt_msg, sizeof alt_msg, "%s", what);                             \
		}                                                                                  \
	} while (0)
	ALT_EXPECT(&here >= alt_base && &here < alt_base + alt_size, "handler not on the altstack");
	stack_t cur;
	ALT_EXPECT(
	    sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_ONSTACK) && cur.ss_sp == alt_base,
	    "sigaltstack in the handler does not report SS_ONSTACK with the program's stack");
	stack_t other = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
	errno = 0;
	ALT_EXPECT(sigaltstack(&other, NULL) == -1 && errno == EPERM,
		   "changing the altstack while on it did not give EPERM");
	ALT_EXPECT(getppid() == native_ppid, "getppid on the altstack");
	ALT_EXPECT(syscall(SYS_getppid) == native_ppid, "syscall(getppid) on the altstack");
	int p[2];
	char buf[4] = {0};
	ALT_EXPECT(pipe(p) == 0 && write(p[1], "alt", 3) == 3 && read(p[0], buf, 3) == 3 &&
		       memcmp(buf, "alt", 3) == 0,
		   "pipe write/read on the altstack");
	close(p[0]);
	close(p[1]);
	int fd = open("/dev/null", O_RDONLY);
	ALT_EXPECT(fd == 3, "open on the altstack did not return the lowest fd 3");
	close(fd);
	struct timespec ts = {0, 1000 * 1000};
	ALT_EXPECT(nanosleep(&ts, NULL) == 0, "nanosleep on the altstack");
	/* A nested signal, also on the altstack (further down). */
	alt_nested = 0;
	raise(SIGUSR2);
	ALT_EXPECT(alt_nested == 1, "nested handler not on the altstack or its getppid failed");
	if (!bad)
		alt_ok++;
}

static int t_sigaltstack(void)
{
	int bad = 0;
	stack_t ss = {0}, cur;
	alt_base = mmap(NULL, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ss.ss_sp = alt_base;
	ss.ss_size = alt_size;
	EXPECT(sigaltstack(&ss, NULL) == 0, "sigaltstack failed: %s", strerror(errno));
	EXPECT(sigaltstack(NULL, &cur) == 0 && cur.ss_sp == alt_base && cur.ss_size == alt_size &&
		   cur.ss_flags == 0,
	       "sigaltstack reads back sp %p size %zu flags %d; set %p %zu 0", cur.ss_sp,
	       cur.ss_size, cur.ss_flags, (void *)alt_base, alt_size);
	set_handler(SIGUSR1, alt_handler, SA_ONSTACK);
	set_handler(SIGUSR2, alt_nested_handler, SA_ONSTACK);
	for (int i = 0; i < 20; i++)
		raise(SIGUSR1);
	EXPECT(alt_ran == 20 && alt_ok == 20, "altstack handler ran %d times, fine %d times: %s",
	       alt_ran, alt_ok, alt_msg);
	/* Disable it again. */
	ss.ss_flags = SS_DISABLE;
	EXPECT(sigaltstack(&ss, NULL) == 0, "disabling the altstack failed");
	EXPECT(sigaltstack(NULL, &cur) == 0 && cur.ss_flags == SS_DISABLE,
	       "disabled altstack reads back flags %d", cur.ss_flags);
	return bad;
}

/* ---- leaving handlers by siglongjmp ---- */

static sigjmp_buf jmp_env;
static void jump_handler(int sig)
{
	(void)sig;
	siglongjmp(jmp_env, 1);
}

static int t_siglongjmp(void)
{
	volatile int bad = 0;
	set_handler(SIGUSR1, jump_handler, 0);
	volatile int jumped = 0;
	for (volatile int i = 0; i < 200; i++) {
		if (sigsetjmp(jmp_env, 1) == 0) {
			raise(SIGUSR1);
			note("handler did not jump");
			bad++;
		} else {
			jumped++;
		}
	}
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	EXPECT(jumped == 200 && !sigismember(&cur, SIGUSR1),
	       "jumped %d of 200 times; SIGUSR1 blocked afterwards: %d", jumped,
	       sigismember(&cur, SIGUSR1));
	EXPECT(getppid() == native_ppid && syscall(SYS_getppid) == native_ppid,
	       "getppid wrong after the jumps");
	return bad;
}

/* A handler that interrupts a blocking read and jumps out of it. */
static int t_siglongjmp_from_read(void)
{
	volatile int bad = 0;
	int p[2];
	if (pipe(p) != 0)
		return 1;
	set_handler(SIGALRM, jump_handler, 0);
	volatile int jumped = 0;
	for (volatile int i = 0; i < 40; i++) {
		if (sigsetjmp(jmp_env, 1) == 0) {
			char c;
			set_timer_ms(2);
			if (i % 2)
				(void)!read(p[0], &c, 1);
			else
				syscall(SYS_read, p[0], &c, 1);
			note("read returned instead of being interrupted");
			bad++;
		} else {
			jumped++;
		}
	}
	EXPECT(jumped == 40, "jumped %d of 40 times", jumped);
	/* The pipe and the process still behave. */
	char c = 0;
	EXPECT(write(p[1], "y", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'y',
	       "pipe broken after the jumps");
	EXPECT(getppid() == native_ppid && syscall(SYS_getppid) == native_ppid,
	       "getppid wrong after the jumps");
	close(p[0]);
	close(p[1]);
	return bad;
}

/*
 * glibc's __longjmp_chk (longjmp with _FORTIFY_SOURCE): when it jumps to a
 * frame below the current stack pointer it asks sigaltstack whether it runs
 * on the altstack, with the answer in its red zone. The altstack is placed
 * above the jump target (in this function's frame) so that check runs.
 */
static sigjmp_buf chk_env;
static volatile int chk_depth_ok;
static void chk_handler(int sig)
{
	(void)sig;
	siglongjmp(chk_env, 1); /* __longjmp_chk */
}

__attribute__((noinline)) static int chk_inner(int rounds)
{
	volatile int jumped = 0;
	for (volatile int i = 0; i < rounds; i++) {
		if (sigsetjmp(chk_env, 1) == 0)
			raise(SIGUSR1);
		else
			jumped++;
	}
	return jumped;
}

static int t_longjmp_chk_altstack(void)
{
	int bad = 0;
	char stack_mem[64 * 1024] __attribute__((aligned(64)));
	__asm__ volatile("" : : "r"(stack_mem) : "memory");
	stack_t ss = {.ss_sp = stack_mem, .ss_size = sizeof stack_mem, .ss_flags = 0};
	EXPECT(sigaltstack(&ss, NULL) == 0, "sigaltstack failed");
	set_handler(SIGUSR1, chk_handler, SA_ONSTACK);
	/* The jump target must lie below the altstack for the check to run. */
	char probe;
	EXPECT((uintptr_t)&probe < (uintptr_t)stack_mem + sizeof stack_mem, "layout");
	int jumped = chk_inner(100);
	EXPECT(jumped == 100, "longjmp from the altstack handler worked %d times of 100", jumped);
	stack_t cur;
	EXPECT(sigaltstack(NULL, &cur) == 0 && cur.ss_flags == 0,
	       "after the jumps sigaltstack says flags %d (expected 0: not on it)", cur.ss_flags);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	return bad;
}

/* ---- exit_group from a thread ---- */

static int exit_pipe[2];
static void *blocks_in_read(void *arg)
{
	(void)arg;
	char c;
	(void)!read(exit_pipe[0], &c, 1);
	return NULL;
}
static void *blocks_in_sleep(void *arg)
{
	(void)arg;
	sleep(30);
	return NULL;
}
static pthread_mutex_t exit_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exit_cv = PTHREAD_COND_INITIALIZER;
static void *blocks_in_futex(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&exit_mu);
	for (;;)
		pthread_cond_wait(&exit_cv, &exit_mu);
	return NULL;
}

static void start_blockers(void)
{
	pthread_t t;
	if (pipe(exit_pipe) != 0)
		_exit(90);
	pthread_create(&t, NULL, blocks_in_read, NULL);
	pthread_create(&t, NULL, blocks_in_sleep, NULL);
	pthread_create(&t, NULL, blocks_in_futex, NULL);
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

static void *exits_42(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	_exit(42);
}

__attribute__((noinline)) static void inline_exit_group_43(void)
{
	__asm__ volatile("mov $231, %%eax\n\tsyscall" : : "D"(43L) : "rax", "rcx", "r11", "memory");
}

static void *exits_43(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	inline_exit_group_43();
	return NULL;
}

static void *exits_44(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 100 * 1000 * 1000};
	nanosleep(&ts, NULL);
	exit(44);
}

static int t_exit_group_thread(void)
{
	start_blockers();
	pthread_t t;
	pthread_create(&t, NULL, exits_42, NULL);
	char c;
	(void)!read(exit_pipe[0], &c, 1); /* main blocks too */
	note("main's read returned");
	return 1;
}

static int t_exit_group_thread_inline(void)
{
	start_blockers();
	pthread_t t;
	pthread_create(&t, NULL, exits_43, NULL);
	sleep(30);
	note("main's sleep returned");
	return 1;
}

static int t_exit_after_main_thread_exit(void)
{
	start_blockers();
	pthread_t t;
	pthread_create(&t, NULL, exits_44, NULL);
	pthread_exit(NULL);
}

/* ---- bad user pointers: EFAULT, never a crash ---- */

static int efault_with(void *badp)
{
	int bad = 0;
#define FAULTS(expr, what)                                                                         \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		EXPECT(r_ == -1 && errno == EFAULT, "%s gave %ld errno %d; kernel: -1 EFAULT",     \
		       what, r_, errno);                                                           \
	} while (0)
	FAULTS(write(1, badp, 10), "write(1, bad, 10)");
	int p[2];
	if (pipe(p) == 0) {
		(void)!write(p[1], "z", 1);
		FAULTS(read(p[0], badp, 1), "read(pipe, bad, 1)");
		close(p[0]);
		close(p[1]);
	}
	FAULTS(syscall(SYS_open, badp, O_RDONLY), "open(bad)");
	FAULTS(syscall(SYS_openat, AT_FDCWD, badp, O_RDONLY), "openat(AT_FDCWD, bad)");
	FAULTS(syscall(SYS_newfstatat, AT_FDCWD, badp, badp, 0), "newfstatat(bad)");
	struct stat st;
	FAULTS(syscall(SYS_newfstatat, AT_FDCWD, "/", badp, 0), "newfstatat(\"/\", bad)");
	(void)st;
	FAULTS(syscall(SYS_execve, badp, NULL, NULL), "execve(bad)");
	FAULTS(syscall(SYS_rt_sigaction, SIGUSR1, badp, NULL, 8), "rt_sigaction(SIGUSR1, bad)");
	FAULTS(syscall(SYS_rt_sigaction, SIGSYS, badp, NULL, 8), "rt_sigaction(SIGSYS, bad)");
	FAULTS(syscall(SYS_rt_sigaction, SIGSYS, NULL, badp, 8), "rt_sigaction(SIGSYS, NULL, bad)");
	FAULTS(syscall(SYS_rt_sigaction, SIGSEGV, NULL, badp, 8),
	       "rt_sigaction(SIGSEGV, NULL, bad)");
	FAULTS(syscall(SYS_rt_sigprocmask, SIG_BLOCK, badp, NULL, 8), "rt_sigprocmask(bad)");
	FAULTS(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, badp, 8), "rt_sigprocmask(NULL, bad)");
	FAULTS(syscall(SYS_sigaltstack, badp, NULL), "sigaltstack(bad)");
	FAULTS(syscall(SYS_sigaltstack, NULL, badp), "sigaltstack(NULL, bad)");
	FAULTS(syscall(SYS_clone3, badp, 88), "clone3(bad)");
	FAULTS(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, badp), "clock_gettime(bad)");
	FAULTS(syscall(SYS_pipe2, badp, 0), "pipe2(bad)");
	FAULTS(syscall(SYS_uname, badp), "uname(bad)");
	/* The disposition of SIGSYS did not change by the failed call. */
	struct sigaction o;
	sigaction(SIGSYS, NULL, &o);
	EXPECT(o.sa_handler == SIG_DFL, "SIGSYS disposition changed by a failed rt_sigaction");
	EXPECT(getppid() == native_ppid, "getppid wrong after the faults");
	return bad;
}

/* A pointer nothing is mapped at: a fresh page, unmapped again. */
static int t_efault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, page);
	return efault_with((char *)p + 8);
}

/* A kernel address. */
static int t_efault_kernel_address(void)
{
	static void *volatile k = (void *)0xffff800000001000UL;
	return efault_with(k);
}

/* Near NULL: nothing is mapped in the first page for a program (an
 * interposer that maps page 0 must not make it readable to the kernel's
 * user copies either). */
static int t_efault_page0(void)
{
	static void *volatile z = (void *)8;
	return efault_with(z);
}

/* Reading or writing near NULL crashes, as natively. */
static int t_null_read(void)
{
	static volatile uintptr_t a = 8;
	int limit = page0_trampoline(); /* read before the faulting access */
	long v = *(volatile long *)a;
	if (limit) {
		/* the documented limit: the trampoline's nop sled (0x66 prefixes, 0x90) */
		const unsigned char *b = (const unsigned char *)&v;
		for (int i = 0; i < 8; i++)
			if (b[i] != 0x66 && b[i] != 0x90) {
				note("reading address 8 gave %#lx, not the trampoline's bytes", v);
				return 1;
			}
		return 0; /* run_check expects a clean exit under the trampoline */
	}
	note("reading address 8 gave %#lx instead of SIGSEGV", v);
	return 1;
}

static int t_null_write(void)
{
	static volatile uintptr_t a = 0x40;
	*(volatile long *)a = 1;
	note("writing address 0x40 worked instead of SIGSEGV");
	return 1;
}

/* ---- execve that fails ---- */

static int t_execve_fails(void)
{
	int bad = 0;
	char *argv[] = {(char *)"x", NULL};
	char *envp[] = {NULL};
	errno = 0;
	EXPECT(execve("/nonexistent/program", argv, envp) == -1 && errno == ENOENT,
	       "execve(nonexistent) errno %d; kernel ENOENT", errno);
	errno = 0;
	EXPECT(execve("/dev/null", argv, envp) == -1 && errno == EACCES,
	       "execve(/dev/null) errno %d; kernel EACCES", errno);
	EXPECT(getppid() == native_ppid && syscall(SYS_getppid) == native_ppid,
	       "getppid wrong after failed execve");
	return bad;
}

/* ---- SIGILL: the program's own, beside any use switchyard makes of it ---- */

/*
 * Helpers in asm:
 *  sy_odd_rz_getppid: getppid with the red zone in use through rsp around
 *      the site (it can never become `call *%rax`); returns -1 if the value
 *      it keeps in the red zone changed.
 *  sy_odd_real_ud2: the program's own ud2 (like __builtin_trap()).
 *  sy_odd_movabs / sy_odd_straddle: code whose bytes contain 0f 05 (and
 *      even `mov $500,%eax; syscall` bytes) inside other instructions.
 *  sy_odd_text_data: data in .text that looks like `mov $39,%eax; syscall;
 *      ret`, never executed (hand-written asm keeps constant tables in .text).
 */
__asm__(".text\n"
	".globl sy_odd_rz_getppid\n"
	".type sy_odd_rz_getppid, @function\n"
	".p2align 4\n"
	"sy_odd_rz_getppid:\n"
	"	movq $0x1234567, -16(%rsp)\n"
	"	mov %rdi, -8(%rsp)\n"
	"	mov $110, %eax\n"
	"	syscall\n"
	"	mov -8(%rsp), %rdi\n"
	"	cmpq $0x1234567, -16(%rsp)\n"
	"	je 1f\n"
	"	mov $-1, %rax\n"
	"1:	ret\n"
	".size sy_odd_rz_getppid, .-sy_odd_rz_getppid\n"
	".globl sy_odd_real_ud2\n"
	".globl sy_odd_after_ud2\n"
	".type sy_odd_real_ud2, @function\n"
	".p2align 4\n"
	"sy_odd_real_ud2:\n"
	"	ud2\n"
	"sy_odd_after_ud2:\n"
	"	ret\n"
	".globl sy_odd_real_int3\n"
	".globl sy_odd_after_int3\n"
	".type sy_odd_real_int3, @function\n"
	".p2align 4\n"
	"sy_odd_real_int3:\n"
	"	int3\n"
	"sy_odd_after_int3:\n"
	"	ret\n"
	".globl sy_odd_movabs\n"
	".type sy_odd_movabs, @function\n"
	".p2align 4\n"
	"sy_odd_movabs:\n"
	"	movabs $0x050f000001f4b800, %rax\n" /* 48 b8 00 b8 f4 01 00 00 0f 05 */
	"	ret\n"
	".globl sy_odd_straddle\n"
	".type sy_odd_straddle, @function\n"
	".p2align 4\n"
	"sy_odd_straddle:\n"
	"	xor %eax, %eax\n"
	"	add $0x0f, %al\n"	 /* 04 0f */
	"	add $0x11223305, %eax\n" /* 05 05 33 22 11 */
	"	ret\n"
	".p2align 4\n"
	"	int3\n"
	".globl sy_odd_text_data\n"
	"sy_odd_text_data:\n"
	"	.byte 0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3\n"
	"	.byte 0xb8, 0xf4, 0x01, 0x00, 0x00, 0x0f, 0x05, 0xc3\n"
	"	int3\n");
long sy_odd_rz_getppid(void);
void sy_odd_real_ud2(void);
extern const unsigned char sy_odd_after_ud2[];
void sy_odd_real_int3(void);
extern const unsigned char sy_odd_after_int3[];
long sy_odd_movabs(void);
long sy_odd_straddle(void);
extern const unsigned char sy_odd_text_data[];

static int t_syscall_bytes_not_code(void)
{
	int bad = 0;
	static const unsigned char want[16] = {0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3,
					       0xb8, 0xf4, 0x01, 0x00, 0x00, 0x0f, 0x05, 0xc3};
	EXPECT(memcmp(sy_odd_text_data, want, sizeof want) == 0,
	       "data in .text that looks like syscalls was modified: %02x %02x at +5, %02x %02x at "
	       "+13 (was 0f 05)",
	       sy_odd_text_data[5], sy_odd_text_data[6], sy_odd_text_data[13],
	       sy_odd_text_data[14]);
	long v = sy_odd_movabs();
	EXPECT(v == 0x050f000001f4b800L, "movabs with 0f 05 in its immediate gave %#lx", v);
	v = sy_odd_straddle();
	EXPECT(v == 0x11223314L, "code with 0f 05 across two instructions gave %#lx", v);
	const unsigned char *m = (const unsigned char *)sy_odd_movabs;
	EXPECT(m[8] == 0x0f && m[9] == 0x05, "movabs immediate bytes changed to %02x %02x", m[8],
	       m[9]);
	return bad;
}

static volatile int ill_count, ill_code;
static volatile uintptr_t ill_addr, ill_rip;
static void sigill_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	ill_count++;
	ill_code = si->si_code;
	ill_addr = (uintptr_t)si->si_addr;
	ill_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* step over the ud2 */
}

static int t_sigill_default_kills(void)
{
	sy_odd_real_ud2();
	note("ud2 returned");
	return 1;
}

/* A program's own SIGILL handler sees its own ud2 exactly as the kernel
 * reports it, and nothing else (not the calls switchyard serves). */
static int t_sigill_own_handler(void)
{
	int bad = 0;
	set_action(SIGILL, sigill_handler, 0);
	ill_count = 0;
	for (int i = 0; i < 10; i++)
		EXPECT(sy_odd_rz_getppid() == native_ppid, "red-zone getppid gave a wrong result");
	EXPECT(ill_count == 0, "the program's SIGILL handler ran %d times for system calls",
	       ill_count);
	sy_odd_real_ud2();
	EXPECT(ill_count == 1 && ill_code == ILL_ILLOPN && ill_addr == (uintptr_t)sy_odd_real_ud2 &&
		   ill_rip == (uintptr_t)sy_odd_real_ud2,
	       "own ud2: handler ran %d times, si_code %d si_addr %#lx rip %#lx; kernel: once, "
	       "ILL_ILLOPN (%d), %p, %p",
	       ill_count, ill_code, (unsigned long)ill_addr, (unsigned long)ill_rip, ILL_ILLOPN,
	       (void *)sy_odd_real_ud2, (void *)sy_odd_real_ud2);
	return bad;
}

/* ---- SIGTRAP: the program's own int3, beside switchyard's trap sites ---- */

static volatile int trap_count, trap_code;
static volatile uintptr_t trap_rip;
static void sigtrap_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	trap_count++;
	trap_code = si->si_code;
	trap_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
}

static int t_sigtrap_default_kills(void)
{
	sy_odd_real_int3();
	note("int3 returned");
	return 1;
}

/* A program's own SIGTRAP handler sees its own int3 exactly as the kernel
 * reports it (SI_KERNEL, rip after the int3), and not the calls switchyard
 * serves through int3 sites (the red-zone site below is one in rewrite mode). */
static int t_sigtrap_own_handler(void)
{
	int bad = 0;
	set_action(SIGTRAP, sigtrap_handler, 0);
	trap_count = 0;
	for (int i = 0; i < 10; i++)
		EXPECT(sy_odd_rz_getppid() == native_ppid, "red-zone getppid gave a wrong result");
	EXPECT(trap_count == 0, "the program's SIGTRAP handler ran %d times for system calls",
	       trap_count);
	sy_odd_real_int3();
	EXPECT(
	    trap_count == 1 && trap_code == SI_KERNEL && trap_rip == (uintptr_t)sy_odd_after_int3,
	    "own int3: handler ran %d times, si_code %d rip %#lx; kernel: once, SI_KERNEL (%d), %p",
	    trap_count, trap_code, (unsigned long)trap_rip, SI_KERNEL, (void *)sy_odd_after_int3);
	return bad;
}

static int t_sigtrap_user(void)
{
	int bad = 0;
	set_action(SIGTRAP, sigtrap_handler, 0);
	trap_count = 0;
	kill(getpid(), SIGTRAP);
	EXPECT(trap_count == 1 && trap_code == SI_USER,
	       "kill(SIGTRAP): handler ran %d times, si_code %d; kernel: once, SI_USER", trap_count,
	       trap_code);
	struct sigaction o;
	sigaction(SIGTRAP, NULL, &o);
	EXPECT(o.sa_sigaction == sigtrap_handler && (o.sa_flags & SA_SIGINFO),
	       "SIGTRAP reads back handler %p flags %#x", (void *)o.sa_sigaction, o.sa_flags);
	return bad;
}

/* SIGTRAP blocked by the program: switchyard's int3 sites still work and
 * the mask reads back blocked; the program's own int3 then kills it, as the
 * kernel does for a trap it may not deliver. */
static int t_sigtrap_blocked_sites_work(void)
{
	int bad = 0;
	sigset_t set, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGTRAP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < 10; i++)
		EXPECT(sy_odd_rz_getppid() == native_ppid,
		       "red-zone getppid wrong with SIGTRAP blocked");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	EXPECT(sigismember(&cur, SIGTRAP) == 1, "SIGTRAP no longer reads back blocked");
	return bad;
}

static int t_sigtrap_blocked_own_int3_kills(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTRAP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sy_odd_real_int3();
	note("int3 with SIGTRAP blocked returned");
	return 1;
}

static volatile int ill_user_count, ill_user_code;
static void sigill_user_handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)ucv;
	ill_user_count++;
	ill_user_code = si->si_code;
}

static int t_sigill_user(void)
{
	int bad = 0;
	set_action(SIGILL, sigill_user_handler, 0);
	kill(getpid(), SIGILL);
	EXPECT(ill_user_count == 1 && ill_user_code == SI_USER,
	       "kill(SIGILL): handler ran %d times, si_code %d; kernel: once, SI_USER",
	       ill_user_count, ill_user_code);
	return bad;
}

static int t_sigill_readback(void)
{
	int bad = 0;
	struct sigaction sa, o_ill, o_usr;
	sigaction(SIGILL, NULL, &o_ill);
	EXPECT(o_ill.sa_handler == SIG_DFL, "SIGILL initially reads back as %p, not SIG_DFL",
	       (void *)o_ill.sa_handler);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = sigill_user_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGILL, NULL, &o_ill);
	sigaction(SIGUSR2, NULL, &o_usr);
	EXPECT(o_ill.sa_sigaction == o_usr.sa_sigaction && o_ill.sa_flags == o_usr.sa_flags &&
		   memcmp(&o_ill.sa_mask, &o_usr.sa_mask, sizeof o_ill.sa_mask) == 0,
	       "SIGILL reads back handler %p flags %#x, kernel gives %p %#x",
	       (void *)o_ill.sa_sigaction, o_ill.sa_flags, (void *)o_usr.sa_sigaction,
	       o_usr.sa_flags);
	return bad;
}

/* SIGILL blocked or ignored by the program: switchyard's own traps still
 * work and the program's view of its mask does not change. */
static int t_sigill_blocked_ignored(void)
{
	int bad = 0;
	sigset_t set, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGILL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < 10; i++)
		EXPECT(sy_odd_rz_getppid() == native_ppid,
		       "red-zone getppid wrong with SIGILL blocked");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	EXPECT(sigismember(&cur, SIGILL) == 1, "SIGILL no longer blocked after system calls");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGILL, SIG_IGN);
	for (int i = 0; i < 10; i++)
		EXPECT(sy_odd_rz_getppid() == native_ppid,
		       "red-zone getppid wrong with SIGILL ignored");
	struct sigaction o;
	sigaction(SIGILL, NULL, &o);
	EXPECT(o.sa_handler == SIG_IGN, "SIG_IGN on SIGILL reads back as %p", (void *)o.sa_handler);
	return bad;
}

/* The kernel does not let a program ignore or block its own ud2. */
static int t_sigill_ignored_ud2_kills(void)
{
	signal(SIGILL, SIG_IGN);
	sy_odd_real_ud2();
	note("ud2 with SIGILL ignored returned");
	return 1;
}

static int t_sigill_blocked_ud2_kills(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGILL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sy_odd_real_ud2();
	note("ud2 with SIGILL blocked returned");
	return 1;
}

/* ---- the table ---- */

struct check {
	const char *name;
	int (*fn)(void);
	int want_signal; /* 0: the child must exit 0 */
	int want_exit;	 /* with want_signal 0: the exit code */
};

static const struct check checks[] = {
    {"null-call-0", t_null_call_0, SIGSEGV, 0},
    {"null-call-0x40", t_null_call_40, SIGSEGV, 0},
    {"null-call-0x1f4", t_null_call_1f4, SIGSEGV, 0},
    {"null-call-0x800", t_null_call_800, SIGSEGV, 0},
    {"tail-call-0", t_tail_call_0, SIGSEGV, 0},
    {"tail-call-0x40", t_tail_call_40, SIGSEGV, 0},
    {"null-call-siginfo-0", t_null_call_info_0, 0, 0},
    {"null-call-siginfo-0x40", t_null_call_info_40, 0, 0},
    {"enosys", t_enosys, 0, 0},
    {"nr-upper-bits-ignored", t_nr_upper_bits, 0, 0},
    {"top-fds-belong-to-program", t_top_fds, 0, 0},
    {"sigsys-kill-raise-sigqueue", t_sigsys_user, 0, 0},
    {"sigsys-disposition-readback", t_sigsys_readback, 0, 0},
    {"sigsys-default-kills", t_sigsys_default, SIGSYS, 0},
    {"sigsys-blocked", t_sigsys_blocked, 0, 0},
    {"sigsys-blocked-thread", t_sigsys_blocked_thread, 0, 0},
    {"seccomp-trap-handler", t_seccomp_trap, 0, 0},
    {"seccomp-trap-default-kills", t_seccomp_trap_default, SIGSYS, 0},
    {"seccomp-trap-siglongjmp", t_seccomp_trap_longjmp, 0, 0},
    {"eintr-read", t_eintr_read, 0, 0},
    {"sa-restart-read", t_sa_restart_read, 0, 0},
    {"never-restarted-poll-nanosleep", t_never_restarted, 0, 0},
    {"sa-restart-timer-storm", t_sa_restart_storm, 0, 0},
    {"stop-cont-restarts", t_stop_cont_restarts, 0, 0},
    {"sigaltstack-handler-syscalls", t_sigaltstack, 0, 0},
    {"siglongjmp-from-handler", t_siglongjmp, 0, 0},
    {"siglongjmp-from-blocked-read", t_siglongjmp_from_read, 0, 0},
    {"longjmp-chk-from-altstack", t_longjmp_chk_altstack, 0, 0},
    {"exit_group-from-thread", t_exit_group_thread, 0, 42},
    {"exit_group-inline-from-thread", t_exit_group_thread_inline, 0, 43},
    {"exit-after-main-thread-exit", t_exit_after_main_thread_exit, 0, 44},
    {"efault", t_efault, 0, 0},
    {"efault-kernel-address", t_efault_kernel_address, 0, 0},
    {"efault-page0-pointer", t_efault_page0, 0, 0},
    {"null-data-read", t_null_read, SIGSEGV, 0},
    {"null-data-write", t_null_write, SIGSEGV, 0},
    {"execve-fails", t_execve_fails, 0, 0},
    {"syscall-bytes-that-are-not-code", t_syscall_bytes_not_code, 0, 0},
    {"sigill-own-ud2-default-kills", t_sigill_default_kills, SIGILL, 0},
    {"sigtrap-own-int3-default-kills", t_sigtrap_default_kills, SIGTRAP, 0},
    {"sigtrap-own-handler", t_sigtrap_own_handler, 0, 0},
    {"sigtrap-kill-and-readback", t_sigtrap_user, 0, 0},
    {"sigtrap-blocked-sites-work", t_sigtrap_blocked_sites_work, 0, 0},
    {"sigtrap-blocked-own-int3-kills", t_sigtrap_blocked_own_int3_kills, SIGTRAP, 0},
    {"sigill-own-handler", t_sigill_own_handler, 0, 0},
    {"sigill-kill", t_sigill_user, 0, 0},
    {"sigill-disposition-readback", t_sigill_readback, 0, 0},
    {"sigill-blocked-ignored", t_sigill_blocked_ignored, 0, 0},
    {"sigill-ignored-own-ud2-kills", t_sigill_ignored_ud2_kills, SIGILL, 0},
    {"sigill-blocked-own-ud2-kills", t_sigill_blocked_ud2_kills, SIGILL, 0},
};

static int hooked = -1; /* -1: do not probe; 1: magic must be caught; 0: missed */

static int run_check(const struct check *c)
{
	int mp[2];
	if (pipe2(mp, O_CLOEXEC) != 0)
		return 1;
	fflush(stdout);
	double start = now_s();
	native_ppid = getpid(); /* the child's parent */
	pid_t pid = fork();
	if (pid == 0) {
		close(mp[0]);
		/* The message pipe sits high so the checks see fds from 3 up free. */
		msgfd = fcntl(mp[1], F_DUPFD_CLOEXEC, 200);
		close(mp[1]);
		struct rlimit nocore = {0, 0};
		setrlimit(RLIMIT_CORE, &nocore);
		int bad = c->fn();
		if (!bad && hooked >= 0) {
			int o = sy_magic_all();
			if (o != (hooked ? SY_CAUGHT : SY_MISSED)) {
				note("afterwards the magic call is %s, expected %s: interposition "
				     "state broken",
				     sy_outcome_name(o), hooked ? "caught" : "missed");
				bad = 1;
			}
		}
		_exit(bad ? 1 : 0);
	}
	close(mp[1]);
	if (pid < 0) {
		close(mp[0]);
		printf("%s: FAIL fork: %s\n", c->name, strerror(errno));
		return 1;
	}
	int status = 0;
	int done = 0;
	while (now_s() - start < CHECK_TIMEOUT_S) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			done = 1;
			break;
		}
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	char msg[4096];
	size_t len = 0;
	fcntl(mp[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n = read(mp[0], msg + len, sizeof msg - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	msg[len] = 0;
	close(mp[0]);
	int ok;
	char got[80];
	int want_signal = c->want_signal;
	if (c->fn == t_null_read && page0_trampoline())
		want_signal = 0; /* the documented limit, checked by t_null_read */
	if (!done)
		snprintf(got, sizeof got, "timed out after %ds", CHECK_TIMEOUT_S);
	else if (WIFSIGNALED(status))
		snprintf(got, sizeof got, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(got, sizeof got, "exit %d", WEXITSTATUS(status));
	if (!done)
		ok = 0;
	else if (want_signal)
		ok = WIFSIGNALED(status) && WTERMSIG(status) == want_signal;
	else
		ok = WIFEXITED(status) && WEXITSTATUS(status) == c->want_exit;
	if (ok)
		printf("%s: ok\n", c->name);
	else if (c->want_signal)
		printf("%s: FAIL %s, kernel: killed by signal %d (%s). %s\n", c->name, got,
		       c->want_signal, strsignal(c->want_signal), msg);
	else
		printf("%s: FAIL %s, kernel: exit %d. %s\n", c->name, got, c->want_exit, msg);
	fflush(stdout);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	(void)page0_trampoline(); /* known before any check runs (handlers read it) */
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hooked=yes") == 0)
			hooked = 1;
		else if (strcmp(argv[i], "--hooked=no") == 0)
			hooked = 0;
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--hooked=yes|no] [--only NAME]\n", argv[0]);
			return 2;
		}
	}
	native_ppid = getppid();
	int bad = 0;
	/* Before anything else opens a file or touches a signal. */
	if (!only || strcmp(only, "first-open") == 0)
		bad += first_open_check();
	if (!only || strcmp(only, "sigsys-initial") == 0) {
		struct sigaction o;
		sigset_t m;
		stack_t ss;
		sigaction(SIGSYS, NULL, &o);
		sigprocmask(SIG_SETMASK, NULL, &m);
		sigaltstack(NULL, &ss);
		if (o.sa_handler != SIG_DFL || sigismember(&m, SIGSYS) ||
		    ss.ss_flags != SS_DISABLE) {
			printf("sigsys-initial: FAIL at start SIGSYS handler %p, blocked %d, "
			       "sigaltstack flags %d; kernel: SIG_DFL, 0, SS_DISABLE (%d)\n",
			       (void *)o.sa_handler, sigismember(&m, SIGSYS), ss.ss_flags,
			       SS_DISABLE);
			bad++;
		} else {
			printf("sigsys-initial: ok\n");
		}
	}
	int ran = 0;
	for (unsigned i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		if (only && strcmp(only, checks[i].name) != 0)
			continue;
		bad += run_check(&checks[i]);
		ran++;
	}
	if (only && !ran && strcmp(only, "first-open") != 0) {
		fprintf(stderr, "no check named %s\n", only);
		return 2;
	}
	printf("oddities: %s\n", bad ? "FAILED" : "all as the kernel does it");
	return bad ? 1 : 0;
}
