/*
 * The trap paths. Syscall User Dispatch turns a `syscall` outside sy_text
 * into SIGSYS while the thread's selector says BLOCK; a site that may not be
 * rewritten to a call is turned into `int3` and arrives as SIGTRAP. Either
 * handler does as little as possible: (for SUD) it tries to rewrite the
 * site, then it sends the program into the entry stub as if the site had
 * called it, with every register as the program left it. One path (entry.S,
 * dispatch.c) then serves rewritten and trapped calls alike.
 *
 * SUD makes every system call of the thread slower, even the allowed ones,
 * so in rewrite mode it is turned on only once the process runs code that
 * was not scanned (anonymous executable memory: JIT code).
 */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "sy.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif

long sy_sud_traps;
long sy_site_traps;
uint8_t sy_sud_wanted;

struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* Continue in the entry stub as if the site ending at `ret` had called it. */
static void redirect(ucontext_t *uc, uintptr_t ret, long nr)
{
	struct sy_thread *t = sy_thread_self();
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t slot = t->trap_top;
	if (slot >= SY_TRAP_DEPTH)
		sy_die("trapped calls nested too deep");
	/* Take the slot before filling it: a signal handler that traps in
	 * between pushes above it (entry.S pops in the opposite order). */
	t->trap_top = slot + 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->trap_ret[slot] = ret;
	g[REG_RAX] = nr;
	g[REG_RIP] = (greg_t)(uintptr_t)sy_entry_trapped;
}

static void on_sigsys(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	if (info->si_code != SYS_USER_DISPATCH) {
		sy_signal_foreign(sig, info, uc); /* kill, seccomp: the program's */
		return;
	}
	uintptr_t ret = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	__atomic_fetch_add(&sy_sud_traps, 1, __ATOMIC_RELAXED);
	if (info->si_syscall >= 0 && info->si_syscall < SY_NR_MAX)
		sy_rewrite_try(ret - 2);
	redirect(uc, ret, info->si_syscall);
}

static void on_sigtrap(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t site = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] - 1; /* after the int3 */
	if (info->si_code != SI_KERNEL || !sy_is_trap_site(site)) {
		sy_signal_foreign(sig, info, uc); /* the program's or a debugger's */
		return;
	}
	__atomic_fetch_add(&sy_site_traps, 1, __ATOMIC_RELAXED);
	redirect(uc, site + 2, (long)uc->uc_mcontext.gregs[REG_RAX]);
}

static int install(int sig, void (*handler)(int, siginfo_t *, void *))
{
	struct kernel_sigaction sa = {
	    .handler = (void *)handler,
	    /* not deferred: a program handler that interrupts this one may
		 * trap again, and a trap while blocked would kill the process */
	    .flags = SA_SIGINFO | SA_RESTORER | SA_NODEFER,
	    .restorer = (void *)sy_signal_restorer,
	    .mask = 0,
	};
	long r = sy_raw4(SYS_rt_sigaction, sig, &sa, 0, sizeof(sa.mask));
	return r < 0 ? (int)r : 0;
}

int sy_sud_setup(void)
{
	int r = install(SIGSYS, on_sigsys);
	return r < 0 ? r : install(SIGTRAP, on_sigtrap);
}

int sy_sud_enable_thread(struct sy_thread *t)
{
	long r =
	    sy_raw5(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		    sy_state.text_start, sy_state.text_end - sy_state.text_start, &t->selector);
	if (r < 0)
		return (int)r;
	t->sud_on = 1;
	return 0;
}

/* From now on every thread runs under SUD: this one at once, the others at
 * their next system call (entry.S checks sy_sud_wanted), new ones at start. */
void sy_sud_require(const char *why)
{
	if (!__atomic_exchange_n(&sy_sud_wanted, 1, __ATOMIC_SEQ_CST) && sy_state.debug)
		sy_say("Syscall User Dispatch on: %s", why);
	struct sy_thread *t = sy_thread_self();
	if (!t->sud_on && sy_sud_enable_thread(t) < 0)
		sy_die("cannot turn on Syscall User Dispatch");
}
