/*
 * Signals, as the mechanism needs them:
 *  - SIGSYS (Syscall User Dispatch) and SIGTRAP (sites turned into int3)
 *    belong to switchyard. The program's own action for them is kept here,
 *    reported back by rt_sigaction, and a signal that is not switchyard's
 *    trap (kill, seccomp, the program's own int3) is delivered to it.
 *  - The kernel must never block them (a trap while blocked kills the
 *    process), so they are removed from every mask handed to the kernel; the
 *    program's wish to block them is kept per thread and reported back.
 *  - The program's handlers run through a wrapper that sets the re-entry
 *    depth to zero, so a handler interrupting switchyard's own code still has
 *    its system calls hooked.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>

#include "sy.h"

#define NSIG_KERNEL 64
#define BIT(sig) (1ULL << ((sig)-1))
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SECCOMP_RET_TRAP */
#endif
#define OWNED_BITS (BIT(SIGSYS) | BIT(SIGTRAP))

struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

struct program_handler {
	void *handler;		/* the program's function, where the kernel has the wrapper */
	unsigned long flags;	/* its SA_SIGINFO */
	uint64_t owned_in_mask; /* owned signals its sa_mask held */
};

static struct program_handler handlers[NSIG_KERNEL + 1];
/* The program's actions for the owned signals, entirely virtual. */
static struct kernel_sigaction program_owned[2] = {{.handler = SIG_DFL}, {.handler = SIG_DFL}};

static int owned_index(long sig)
{
	return sig == SIGSYS ? 0 : sig == SIGTRAP ? 1 : -1;
}
static int lock;

static void lock_take(void)
{
	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void lock_drop(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

/* Signals the program handles with a function of its own (a handler may
 * run in the middle of any call). */
uint64_t sy_handled_signals;

/* This thread's id, for process_vm_readv/writev on our own memory (any
 * task of the process names its memory): kept in the thread area, so no
 * getpid per copy. */
static long self_task(void)
{
	return sy_thread_self()->tid;
}

/* Program memory in page 0 is switchyard's trampoline when it is mapped:
 * for the program it does not exist. */
static int in_page0(const void *p, size_t n)
{
	return sy_page0_mapped && n && (uintptr_t)p < 4096;
}

/*
 * Small copies in, cheaply: process_vm_readv costs over a microsecond (it
 * pins the pages), a pwrite into a file of switchyard's own a fifth of
 * that, with the same EFAULT (and short count at a bad page) as any read of
 * program memory by the kernel. The file is a memfd mapped MAP_SHARED, one
 * 512-byte slot per thread id (ids are unique system-wide, so a forked
 * child sharing the memfd never meets its parent's slots).
 */
#define SCRATCH_SLOT 512
#define SCRATCH_SLOTS (4u << 20) /* pid_max's upper bound */
static int scratch_fd = -1;
static char *scratch_map;

static char *scratch_setup(void)
{
	char *m = __atomic_load_n(&scratch_map, __ATOMIC_ACQUIRE);
	if (m)
		return m;
	static int lock;
	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	m = scratch_map;
	if (!m) {
		size_t size = (size_t)SCRATCH_SLOTS * SCRATCH_SLOT;
		long fd = sy_raw2(SYS_memfd_create, "switchyard-scratch", MFD_CLOEXEC);
		if (fd >= 0 && sy_raw2(SYS_ftruncate, fd, size) == 0) {
			long p = sy_raw6(SYS_mmap, 0, size, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_NORESERVE, fd, 0);
			scratch_fd = (int)fd;
			if ((p < 0 && p > -4096) || sy_fd_reserve(&scratch_fd) < 0) {
				if (!(p < 0 && p > -4096))
					sy_raw2(SYS_munmap, p, size);
				sy_raw1(SYS_close, scratch_fd);
				scratch_fd = -1;
			} else {
				m = (char *)p;
				__atomic_store_n(&scratch_map, m, __ATOMIC_RELEASE);
			}
		} else if (fd >= 0) {
			sy_raw1(SYS_close, fd);
		}
	}
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
	return m;
}

/* Up to n (<= SCRATCH_SLOT) bytes from program memory; returns how many
 * could be read (fewer at a bad page), or -EFAULT if none. */
static long copy_in_short(void *dst, const void *user_src, size_t n)
{
	if (in_page0(user_src, n))
		return -EFAULT;
	if (sy_usermem_on && sy_user_readable(user_src, n)) { /* known readable: no call */
		memcpy(dst, user_src, n);
		return (long)n;
	}
	char *m = scratch_setup();
	long tid = self_task();
	if (!m || tid <= 0 || (unsigned long)tid >= SCRATCH_SLOTS) {
		struct iovec local = {dst, n}, remote = {(void *)user_src, n};
		return sy_raw6(SYS_process_vm_readv, tid, (long)&local, 1, (long)&remote, 1, 0);
	}
	long off = tid * SCRATCH_SLOT;
	struct sy_thread *t = sy_thread_self();
	long r;
	uint32_t gen;
	do { /* a signal handler's call in between uses the slot too: again */
		gen = ++t->scratch_gen;
		r = sy_raw4(SYS_pwrite64, scratch_fd, user_src, n, off);
		if (r > 0)
			memcpy(dst, m + off, (size_t)r);
	} while (__atomic_load_n(&t->scratch_gen, __ATOMIC_ACQUIRE) != gen);
	return r;
}

/* Up to SCRATCH_SLOT bytes out to program memory: 0 or -EFAULT (a short
 * copy at a bad page counts as EFAULT, as sy_copy_out's). */
static int copy_out_short(void *user_dst, const void *src, size_t n)
{
	char *m = scratch_setup();
	long tid = self_task();
	if (!m || tid <= 0 || (unsigned long)tid >= SCRATCH_SLOTS)
		return 1; /* the slow way */
	long off = tid * SCRATCH_SLOT;
	struct sy_thread *t = sy_thread_self();
	long r;
	uint32_t gen;
	do {
		gen = ++t->scratch_gen;
		memcpy(m + off, src, n);
		r = sy_raw4(SYS_pread64, scratch_fd, user_dst, n, off);
	} while (__atomic_load_n(&t->scratch_gen, __ATOMIC_ACQUIRE) != gen);
	return r == (long)n ? 0 : -EFAULT;
}

int sy_copy_in(void *dst, const void *user_src, size_t n)
{
	if (in_page0(user_src, n))
		return -EFAULT;
	if (sy_usermem_on && sy_user_readable(user_src, n)) { /* known readable */
		memcpy(dst, user_src, n);
		return 0;
	}
	if (n && n <= SCRATCH_SLOT && scratch_map)
		return copy_in_short(dst, user_src, n) == (long)n ? 0 : -EFAULT;
	struct iovec local = {dst, n}, remote = {(void *)user_src, n};
	long r = sy_raw6(SYS_process_vm_readv, self_task(), (long)&local, 1, (long)&remote, 1, 0);
	return r == (long)n ? 0 : -EFAULT;
}

/* Up to n-1 bytes of a NUL-terminated string in program memory, read a
 * page at a time (a string may end just before an unmapped page); returns
 * its length, or -1 if not even its first byte can be read. (The string
 * is cut where the memory ends: see sy_copy_path_in for a strict copy.) */
long sy_copy_string_in(char *dst, const char *user_src, size_t n)
{
	size_t got = 0;
	while (got + 1 < n) {
		size_t chunk = 4096 - ((uintptr_t)(user_src + got) % 4096);
		if (chunk > n - 1 - got)
			chunk = n - 1 - got;
		if (sy_copy_in(dst + got, user_src + got, chunk) < 0) {
			if (got == 0) {
				dst[0] = 0;
				return -1;
			}
			break;
		}
		size_t len = strnlen(dst + got, chunk);
		got += len;
		if (len < chunk)
			break;
	}
	dst[got] = 0;
	return (long)got;
}

/* A path argument as the kernel copies one: the whole string up to its
 * NUL; -EFAULT if memory ends before it, -ENAMETOOLONG if it has n bytes or
 * more. Returns its length. */
long sy_copy_path_in(char *dst, const char *user_src, size_t n)
{
	/* memory known readable: read in place, a page at a time */
	if (sy_usermem_on && !in_page0(user_src, 1)) {
		size_t got = 0;
		while (got < n) {
			size_t chunk = 4096 - ((uintptr_t)(user_src + got) % 4096);
			if (chunk > n - got)
				chunk = n - got;
			if (!sy_user_readable(user_src + got, chunk))
				break;
			memcpy(dst + got, user_src + got, chunk);
			size_t len = strnlen(dst + got, chunk);
			got += len;
			if (len < chunk)
				return (long)got;
		}
		if (got == n) {
			dst[n - 1] = 0;
			return -ENAMETOOLONG;
		}
	}
	/* most paths are short: one cheap copy, cut at a bad page */
	long first = copy_in_short(dst, user_src, n < SCRATCH_SLOT ? n : SCRATCH_SLOT);
	if (first == -EFAULT)
		return -EFAULT;
	if (first > 0) {
		size_t len = strnlen(dst, (size_t)first);
		if (len < (size_t)first)
			return (long)len;
		if ((size_t)first < (n < SCRATCH_SLOT ? n : SCRATCH_SLOT))
			return -EFAULT; /* memory ends before the NUL */
	}
	size_t got = 0;
	while (got < n) {
		size_t chunk = 4096 - ((uintptr_t)(user_src + got) % 4096);
		if (chunk > n - got)
			chunk = n - got;
		if (sy_copy_in(dst + got, user_src + got, chunk) < 0)
			return -EFAULT;
		size_t len = strnlen(dst + got, chunk);
		got += len;
		if (len < chunk)
			return (long)got;
	}
	dst[n - 1] = 0;
	return -ENAMETOOLONG;
}

/* How many bytes from p on can be read (write: written) in program
 * memory, up to n: for the short counts of a buffer that runs into a bad
 * page. */
size_t sy_user_extent(const void *p, size_t n, int write)
{
	size_t ok = 0;
	char probe;
	while (ok < n) {
		size_t chunk = 4096 - ((uintptr_t)((const char *)p + ok) % 4096);
		if (chunk > n - ok)
			chunk = n - ok;
		const char *at = (const char *)p + ok;
		if (in_page0(at, 1))
			break;
		struct iovec local = {&probe, 1}, remote = {(void *)at, 1};
		long pid = self_task();
		/* a write probe writes back the byte it read */
		long r = sy_raw6(SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
		if (r == 1 && write)
			r = sy_raw6(SYS_process_vm_writev, pid, (long)&local, 1, (long)&remote, 1,
				    0);
		if (r != 1)
			break;
		ok += chunk;
	}
	return ok;
}

int sy_copy_out(void *user_dst, const void *src, size_t n)
{
	if (in_page0(user_dst, n))
		return -EFAULT;
	if (sy_usermem_on && sy_user_writable(user_dst, n)) { /* known writable */
		memcpy(user_dst, src, n);
		return 0;
	}
	if (n <= SCRATCH_SLOT) {
		int r = copy_out_short(user_dst, src, n);
		if (r <= 0)
			return r;
	}
	struct iovec local = {(void *)src, n}, remote = {user_dst, n};
	long r = sy_raw6(SYS_process_vm_writev, self_task(), (long)&local, 1, (long)&remote, 1, 0);
	return r == (long)n ? 0 : -EFAULT;
}

typedef void (*siginfo_handler)(int, siginfo_t *, void *);

/* Runs a program handler as program code: depth zero, SUD blocking. */
static void run_program_handler(void *handler, int sig, siginfo_t *info, void *uc)
{
	struct sy_thread *t = sy_thread_self();
	uint8_t depth = t->depth, selector = t->selector;
	t->depth = 0;
	t->selector = 1;
	((siginfo_handler)handler)(sig, info, uc);
	t->depth = depth;
	t->selector = selector;
}

/* Signals the program cannot have deferred: faults of its own code. */
#define SYNC_BITS (BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | OWNED_BITS)

static void wrapper(int sig, siginfo_t *info, void *uc)
{
	struct sy_thread *t = sy_thread_self();
	if (t->defer_signals && !(BIT(sig) & SYNC_BITS)) {
		int dup = 0;
		for (int i = 0; i < t->ndeferred; i++) /* a standard signal is pending once */
			dup |= t->deferred[i].si_signo == sig && sig < SIGRTMIN;
		if (!dup && t->ndeferred < sizeof(t->deferred) / sizeof(t->deferred[0]))
			t->deferred[t->ndeferred++] = *info;
		return;
	}
	if (t->intr_armed && !t->intr_seen) {
		t->intr_seen = 1;
		t->intr_restart = (handlers[sig].flags & SA_RESTART) != 0;
	}
	run_program_handler(handlers[sig].handler, sig, info, uc);
}

void sy_signals_defer(void)
{
	sy_thread_self()->defer_signals++;
}

void sy_signals_undefer(void)
{
	struct sy_thread *t = sy_thread_self();
	if (--t->defer_signals || !t->ndeferred)
		return;
	long pid = sy_raw0(SYS_getpid);
	while (t->ndeferred) {
		siginfo_t info = t->deferred[--t->ndeferred];
		if (sy_raw4(SYS_rt_tgsigqueueinfo, pid, t->tid, info.si_signo, &info) < 0)
			sy_raw3(SYS_tgkill, pid, t->tid, info.si_signo);
	}
}

void sy_intr_arm(void)
{
	struct sy_thread *t = sy_thread_self();
	t->intr_seen = 0;
	t->intr_restart = 0;
	t->intr_armed = 1;
}

int sy_intr_restart(void)
{
	struct sy_thread *t = sy_thread_self();
	t->intr_armed = 0;
	return t->intr_seen && t->intr_restart;
}

static int is_function(void *h)
{
	return h != SIG_DFL && h != SIG_IGN;
}

long sy_sys_rt_sigaction(long sig, long act_p, long oact_p, long size)
{
	struct kernel_sigaction act, old;
	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (act_p && sy_copy_in(&act, (void *)act_p, sizeof(act)) < 0)
		return -EFAULT;

	int owned = owned_index(sig);
	if (owned >= 0) { /* entirely virtual: the kernel keeps switchyard's */
		lock_take();
		old = program_owned[owned];
		if (act_p) {
			act.mask &= ~(BIT(SIGKILL) | BIT(SIGSTOP));
			program_owned[owned] = act;
		}
		lock_drop();
		if (oact_p && sy_copy_out((void *)oact_p, &old, sizeof(old)) < 0)
			return -EFAULT;
		return 0;
	}
	if (sig < 1 || sig > NSIG_KERNEL)
		return sy_raw4(SYS_rt_sigaction, sig, act_p ? &act : NULL, oact_p ? &old : NULL,
			       size);

	lock_take();
	struct program_handler prev = handlers[sig];
	if (act_p) {
		handlers[sig].owned_in_mask = act.mask & OWNED_BITS;
		act.mask &= ~OWNED_BITS;
		if (is_function(act.handler) && sig != SIGKILL && sig != SIGSTOP) {
			handlers[sig].handler = act.handler;
			handlers[sig].flags = act.flags;
			act.handler = (void *)wrapper;
			act.flags |= SA_SIGINFO;
		}
	}
	long r = sy_raw4(SYS_rt_sigaction, sig, act_p ? &act : NULL, oact_p ? &old : NULL, size);
	if (r < 0)
		handlers[sig] = prev;
	else if (act_p && act.handler == (void *)wrapper)
		__atomic_fetch_or(&sy_handled_signals, 1ull << (sig - 1), __ATOMIC_RELEASE);
	else if (act_p)
		__atomic_fetch_and(&sy_handled_signals, ~(1ull << (sig - 1)), __ATOMIC_RELEASE);
	lock_drop();
	if (r < 0)
		return r;
	if (oact_p) {
		if (old.handler == (void *)wrapper) {
			old.handler = prev.handler;
			old.flags =
			    (old.flags & ~(unsigned long)SA_SIGINFO) | (prev.flags & SA_SIGINFO);
		}
		old.mask |= prev.owned_in_mask;
		if (sy_copy_out((void *)oact_p, &old, sizeof(old)) < 0)
			return -EFAULT;
	}
	return 0;
}

/* Owned signals that arrived while the program blocked them, now unblocked. */
static void deliver_pending(struct sy_thread *t)
{
	long pid = sy_raw0(SYS_getpid), tid = sy_raw0(SYS_gettid);
	for (int i = 0; i < 2; i++) {
		int sig = i == 0 ? SIGSYS : SIGTRAP;
		if (!(t->owned_pending & BIT(sig)) || (t->owned_blocked & BIT(sig)))
			continue;
		t->owned_pending &= ~BIT(sig);
		if (sy_raw4(SYS_rt_tgsigqueueinfo, pid, tid, sig, &t->owned_info[i]) < 0)
			sy_raw3(SYS_tgkill, pid, tid, sig);
	}
}

long sy_sys_rt_sigprocmask(long how, long set_p, long oset_p, long size)
{
	struct sy_thread *t = sy_thread_self();
	uint64_t set = 0, kernel_set, old;
	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (set_p) {
		if (sy_copy_in(&set, (void *)set_p, sizeof(set)) < 0)
			return -EFAULT;
		if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
			return -EINVAL;
	}
	kernel_set = set & ~OWNED_BITS;
	uint64_t was = t->owned_blocked;
	long r = sy_raw4(SYS_rt_sigprocmask, how, set_p ? &kernel_set : NULL, oset_p ? &old : NULL,
			 size);
	if (r < 0)
		return r;
	if (set_p) {
		uint64_t wants = set & OWNED_BITS;
		if (how == SIG_BLOCK)
			t->owned_blocked = was | wants;
		else if (how == SIG_UNBLOCK)
			t->owned_blocked = was & ~wants;
		else
			t->owned_blocked = wants;
	}
	if (oset_p) {
		old = (old & ~OWNED_BITS) | was;
		if (sy_copy_out((void *)oset_p, &old, sizeof(old)) < 0)
			return -EFAULT;
	}
	if (t->owned_pending)
		deliver_pending(t);
	return 0;
}

/* The owned signals that wait for the program to unblock them are pending. */
long sy_sys_rt_sigpending(long set_p, long size)
{
	uint64_t set;
	long r = sy_raw2(SYS_rt_sigpending, set_p ? &set : NULL, size);
	if (r < 0 || !set_p)
		return r;
	set = (set & ~OWNED_BITS) | sy_thread_self()->owned_pending;
	return sy_copy_out((void *)set_p, &set, sizeof(set));
}

/* A seccomp SIGSYS names the syscall instruction that ran, which may be one
 * of switchyard's: name the program's instead, as without switchyard. */
static void fix_call_addr(siginfo_t *info, ucontext_t *uc)
{
	uintptr_t addr = (uintptr_t)info->si_call_addr;
	if (addr < sy_state.text_start || addr >= sy_state.text_end)
		return;
	if (addr == (uintptr_t)sy_after_fast_syscall || addr == (uintptr_t)sy_after_raw_syscall)
		info->si_call_addr = *(void **)uc->uc_mcontext.gregs[REG_RSP];
	else
		info->si_call_addr = (void *)sy_thread_self()->call_ret;
}

/* Copies the signal mask argument of a waiting call, without SIGSYS. */
static int strip_mask_arg(long *arg, long size, uint64_t *mask)
{
	if (!*arg)
		return 0;
	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (sy_copy_in(mask, (void *)*arg, sizeof(*mask)) < 0)
		return -EFAULT;
	*mask &= ~OWNED_BITS;
	*arg = (long)mask;
	return 0;
}

int sy_mask_args(struct sy_call *c, uint64_t *mask, void *scratch)
{
	long *a = c->args;
	switch (c->nr) {
	case SYS_rt_sigsuspend:
		return strip_mask_arg(&a[0], a[1], mask);
	case SYS_ppoll:
		return strip_mask_arg(&a[3], a[4], mask);
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		return strip_mask_arg(&a[4], a[5], mask);
	case SYS_pselect6: {
		/* the sixth argument points to { const sigset_t *ss; size_t ss_len; } */
		long *data = scratch;
		if (!a[5])
			return 0;
		if (sy_copy_in(data, (void *)a[5], 2 * sizeof(long)) < 0)
			return -EFAULT;
		int r = strip_mask_arg(&data[0], data[1], mask);
		if (r < 0)
			return r;
		a[5] = (long)data;
		return 0;
	}
	}
	return 0;
}

/* An owned signal that is not switchyard's trap: the program's action applies. */
void sy_signal_foreign(int sig, siginfo_t *info, void *uc)
{
	struct sy_thread *t = sy_thread_self();
	int owned = owned_index(sig);
	if (sig == SIGSYS && info->si_code == SYS_SECCOMP)
		fix_call_addr(info, uc);
	lock_take();
	struct kernel_sigaction a = program_owned[owned];
	if (is_function(a.handler) && (a.flags & SA_RESETHAND))
		program_owned[owned].handler = SIG_DFL;
	lock_drop();

	if (a.handler == SIG_IGN && info->si_code <= 0)
		return; /* a sent signal the program ignores */
	if ((t->owned_blocked & BIT(sig)) && info->si_code <= 0) {
		t->owned_pending |= BIT(sig);
		t->owned_info[owned] = *info;
		return;
	}
	if (!is_function(a.handler)) {
		/* the default action (also for a fault the program ignores or
		 * blocks, as the kernel does): dump core */
		struct kernel_sigaction dfl = {.handler = SIG_DFL};
		uint64_t bit = BIT(sig);
		sy_raw4(SYS_rt_sigaction, sig, &dfl, 0, sizeof(uint64_t));
		if (sy_raw4(SYS_rt_tgsigqueueinfo, sy_raw0(SYS_getpid), sy_raw0(SYS_gettid), sig,
			    info) < 0)
			sy_raw3(SYS_tgkill, sy_raw0(SYS_getpid), sy_raw0(SYS_gettid), sig);
		sy_raw4(SYS_rt_sigprocmask, SIG_UNBLOCK, &bit, 0, sizeof(uint64_t));
		return;
	}
	/* The program's mask while its handler runs; the owned signals stay
	 * unblocked in the kernel (the traps need them) and blocked in name only. */
	uint64_t mask = a.mask & ~OWNED_BITS;
	uint64_t ours = OWNED_BITS;
	sy_raw4(SYS_rt_sigprocmask, SIG_BLOCK, &mask, 0, sizeof(uint64_t));
	uint64_t was = t->owned_blocked;
	t->owned_blocked |= (a.mask & OWNED_BITS) | ((a.flags & SA_NODEFER) ? 0 : BIT(sig));
	sy_raw4(SYS_rt_sigprocmask, SIG_UNBLOCK, &ours, 0, sizeof(uint64_t));
	run_program_handler(a.handler, sig, info, uc);
	t->owned_blocked = was;
	/* the kernel restores the interrupted mask at sigreturn */
}

void sy_signals_setup(void)
{
	static const long numbers[] = {
	    SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigsuspend,
	    SYS_ppoll,	      SYS_pselect6,	  SYS_epoll_pwait,
	    SYS_epoll_pwait2, SYS_rt_sigreturn,	  SYS_rt_sigpending,
	};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		sy_mech_interest(numbers[i]);
}
