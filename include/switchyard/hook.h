/*
 * switchyard hook API: the mechanism alone. A hook sees every system call the
 * program makes (rewritten sites and those caught by Syscall User Dispatch
 * alike), with its arguments, and may pass it on, change it, or answer it.
 *
 * A custom hook library is a shared object loaded with `--hook LIB.so` or
 * SWITCHYARD_HOOK=LIB.so. It exports `int switchyard_hook_init(void)`, which
 * calls sy_hook_register() and returns 0 (non-zero stops the program before
 * main with an error). Built-in clients (stats, trace, and later the router)
 * use the same API.
 *
 * Rules for hook code:
 *  - Hooks run with switchyard's re-entry depth raised: every system call a
 *    hook makes, directly or through libc (malloc, stdio, pthread), goes
 *    straight to the kernel without reaching any hook again.
 *  - Hooks may use vector registers and call any libc function: the program's
 *    full register state, extended state included, is saved around them.
 *  - A signal may interrupt a hook; the program's handler then runs at depth
 *    zero and its system calls are hooked as usual, so hook state that a
 *    handler's calls may touch needs the usual async-signal care.
 */
#ifndef SWITCHYARD_HOOK_H
#define SWITCHYARD_HOOK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SY_HOOK_API_VERSION 1

/* Largest system call number that hooks can express interest in one by one;
 * calls with larger (or negative) numbers reach hooks whose `interest` is NULL. */
#define SY_NR_LIMIT 512

/* One system call as the program made it. The arguments are the registers
 * as they were: an int argument's upper 32 bits are whatever the program
 * left there (the kernel ignores them), so cast to int before use. */
struct sy_call {
	long nr;	/* rax: the system call number */
	long args[6];	/* rdi, rsi, rdx, r10, r8, r9 */
	uintptr_t site; /* address of the instruction after the syscall */
	int trapped;	/* 1 if it arrived through Syscall User Dispatch, 0 if rewritten */
};

enum sy_verdict {
	SY_PASS = 0,   /* go on: next hook, then the kernel (with call->nr/args as changed) */
	SY_ANSWER = 1, /* do not run it; the program sees *result (a value or -errno) */
};

struct sy_hook {
	int version;	  /* SY_HOOK_API_VERSION */
	const char *name; /* for messages */
	void *ctx;	  /* handed back to every callback */

	/* Bitmap of SY_NR_LIMIT bits: which numbers this hook wants to see. NULL
	 * means every call. The fast path skips calls no hook is interested in. */
	const uint8_t *interest;

	/* Before the kernel sees the call. May change call->nr and call->args.
	 * Return SY_ANSWER with *result set to answer without the kernel. */
	enum sy_verdict (*enter)(void *ctx, struct sy_call *call, long *result);

	/* After the call, with its result (a value or -errno); may change it.
	 * Not called for calls that do not return to the caller: a successful
	 * execve/execveat, exit, exit_group, rt_sigreturn; nor for vfork (and a
	 * clone sharing memory without a new stack), where nothing may be kept
	 * on the stack the child borrows. For clone/clone3 that start the child
	 * on a new stack it is called in the parent only; the child reports
	 * through thread_start. Optional. */
	void (*leave)(void *ctx, const struct sy_call *call, long *result);

	/* In a new thread or a child started on a new stack, before it runs any
	 * program code. Optional. */
	void (*thread_start)(void *ctx);

	/* In the child of a fork (a clone without CLONE_VM), before it returns
	 * to program code. Optional. */
	void (*fork_child)(void *ctx);
};

/* Adds a hook at the end of the chain: `enter` callbacks run in
 * registration order until one answers; `leave` callbacks run in reverse
 * order for the hooks whose `enter` ran. Returns 0, or -1 if the chain is
 * full or the version is unknown. The structure must outlive the process. */
int sy_hook_register(const struct sy_hook *hook);

/* A system call straight to the kernel, never hooked. */
long sy_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* The name of a system call number ("openat"), or NULL if unknown. */
const char *sy_syscall_name(long nr);

/* How many arguments a system call takes (6 when not known). */
int sy_syscall_nargs(long nr);

/* Set bit `nr` in a SY_NR_LIMIT-bit interest bitmap. */
static inline void sy_interest_add(uint8_t *bitmap, long nr)
{
	if (nr >= 0 && nr < SY_NR_LIMIT)
		bitmap[nr / 8] |= (uint8_t)(1u << (nr % 8));
}

#ifdef __cplusplus
}
#endif

#endif
