/*
 * Syscall User Dispatch: the kernel turns every `syscall` outside sy_text
 * into SIGSYS while the thread's selector says BLOCK. The handler does as
 * little as possible: it tries to rewrite the site (so the next call there
 * takes the fast way), then sends the program into the entry stub as if the
 * site had called it, with every register as the program left it. One path
 * (entry.S, dispatch.c) then serves rewritten and trapped calls alike.
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

struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void on_sigsys(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	if (info->si_code != SYS_USER_DISPATCH) {
		sy_sigsys_foreign(info, uc); /* the program's own SIGSYS */
		return;
	}
	struct sy_thread *t = sy_thread_self();
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t ret = (uintptr_t)g[REG_RIP];
	__atomic_fetch_add(&sy_sud_traps, 1, __ATOMIC_RELAXED);
	if (info->si_syscall >= 0 && info->si_syscall < SY_NR_MAX)
		sy_rewrite_try(ret - 2);
	if (t->trap_top >= SY_TRAP_DEPTH)
		sy_die("trapped calls nested too deep");
	t->trap_ret[t->trap_top++] = ret;
	g[REG_RAX] = info->si_syscall;
	g[REG_RIP] = (greg_t)(uintptr_t)sy_entry_trapped;
}

int sy_sud_setup(void)
{
	struct kernel_sigaction sa = {
		.handler = (void *)on_sigsys,
		.flags = SA_SIGINFO | SA_RESTORER,
		.restorer = (void *)sy_signal_restorer,
		.mask = 0,
	};
	long r = sy_raw4(SYS_rt_sigaction, SIGSYS, &sa, 0, sizeof(sa.mask));
	return r < 0 ? (int)r : 0;
}

int sy_sud_enable_thread(struct sy_thread *t)
{
	long r = sy_raw5(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
			 sy_state.text_start, sy_state.text_end - sy_state.text_start, &t->selector);
	return r < 0 ? (int)r : 0;
}
