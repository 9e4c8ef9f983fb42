/*
 * The slow path, in C: entry.S calls sy_dispatch with the program's
 * registers in a struct sy_frame and its extended state saved. Here the hook
 * chain runs, then the mechanism's own cases (signals, threads, fork, vfork,
 * exec), then the kernel. What must happen outside C (a clone whose child
 * starts on a new stack, vfork, rt_sigreturn) is returned as an action for
 * entry.S to carry out.
 */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "sy.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef ARCH_SET_GS
#define ARCH_SET_GS 0x1001
#endif

uint8_t sy_nr_table[SY_NR_MAX];
long sy_hook_answers[SY_MAX_HOOKS];
uint32_t sy_xsave_size;
uint8_t sy_use_xsavec;

void sy_mech_interest(long nr)
{
	if (nr >= 0 && nr < SY_NR_MAX)
		sy_nr_table[nr] |= SY_NR_MECH;
}

static int wants(const struct sy_hook *h, long nr)
{
	if (!h->interest)
		return 1;
	return nr >= 0 && nr < SY_NR_MAX && (h->interest[nr / 8] >> (nr % 8)) & 1;
}

static long call_kernel(const struct sy_call *c)
{
	return sy_raw6(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4],
		       c->args[5]);
}

static void run_leave(struct sy_frame *f, long *result)
{
	for (int i = f->entered - 1; i >= 0; i--)
		if (sy_hooks[i]->leave && wants(sy_hooks[i], f->call.nr))
			sy_hooks[i]->leave(sy_hooks[i]->ctx, &f->call, result);
}

/* Writes the (possibly changed) call back into the frame for entry.S. */
static void call_to_frame(struct sy_frame *f, const struct sy_call *c)
{
	f->rax = c->nr;
	f->rdi = c->args[0];
	f->rsi = c->args[1];
	f->rdx = c->args[2];
	f->r10 = c->args[3];
	f->r8 = c->args[4];
	f->r9 = c->args[5];
}

/* In a child with its own copy of memory, before it returns to the program.
 * (The kernel does not hand SUD on to a child.) */
static void after_fork_child(void)
{
	struct sy_thread *t = sy_thread_self();
	t->tid = (int32_t)sy_raw0(SYS_gettid);
	t->sud_on = 0;
	if (sy_sud_wanted)
		sy_sud_enable_thread(t);
	sy_stats_reset();
	sy_trace_reopen_child();
	for (int i = 0; i < sy_nhooks; i++)
		if (sy_hooks[i]->fork_child)
			sy_hooks[i]->fork_child(sy_hooks[i]->ctx);
}

static long fork_in_c(const struct sy_call *c)
{
	long r = call_kernel(c);
	if (r == 0)
		after_fork_child();
	return r;
}

/*
 * The child of a clone on a new stack returns to the program through a
 * record entry.S reads from below that stack: the program's value of the
 * register that carried the stack argument, the clone flags, the return
 * address.
 */
static int push_child_record(uint64_t top, long program_reg, long flags, uint64_t ret)
{
	uint64_t rec[3] = {(uint64_t)program_reg, (uint64_t)flags, ret};
	return sy_copy_out((void *)(top - sizeof(rec)), rec, sizeof(rec));
}

static int clone_action(struct sy_frame *f, struct sy_call *c, long *result)
{
	long flags = c->args[0];
	uint64_t stack = (uint64_t)c->args[1];
	if (stack) {
		if (push_child_record(stack, c->args[1], flags, f->ret) < 0) {
			*result = -EFAULT;
			return SY_ACT_RETURN;
		}
		f->saved_arg = c->args[1];
		c->args[1] = (long)(stack - 24);
		call_to_frame(f, c);
		if (flags & CLONE_VFORK) { /* until the parent resumes (sy_dispatch_leave) */
			sy_thread_self()->vfork_ret = f->ret;
			sy_thread_self()->vfork_gen++;
		}
		return SY_ACT_CLONE;
	}
	if (flags & CLONE_VM) {
		call_to_frame(f, c);
		return SY_ACT_VFORK;
	}
	*result = fork_in_c(c);
	return SY_ACT_RETURN;
}

static int clone3_action(struct sy_thread *t, struct sy_frame *f, struct sy_call *c, long *result)
{
	struct clone_args *ca = (struct clone_args *)t->clone3_args;
	size_t size = (size_t)c->args[1];
	if (size < CLONE_ARGS_SIZE_VER0 || size > sizeof(t->clone3_args)) {
		*result = size < CLONE_ARGS_SIZE_VER0 ? -EINVAL : -E2BIG;
		return SY_ACT_RETURN;
	}
	memset(t->clone3_args, 0, sizeof(t->clone3_args));
	if (sy_copy_in(ca, (const void *)c->args[0], size) < 0) {
		*result = -EFAULT;
		return SY_ACT_RETURN;
	}
	if (ca->stack && ca->stack_size >= 24) {
		uint64_t top = ca->stack + ca->stack_size;
		if (push_child_record(top, c->args[0], (long)ca->flags, f->ret) < 0) {
			*result = -EFAULT;
			return SY_ACT_RETURN;
		}
		ca->stack_size -= 24;
		f->saved_arg = c->args[0];
		c->args[0] = (long)ca;
		call_to_frame(f, c);
		if (ca->flags & CLONE_VFORK) { /* until the parent resumes (sy_dispatch_leave) */
			t->vfork_ret = f->ret;
			t->vfork_gen++;
		}
		return SY_ACT_CLONE3;
	}
	if (!ca->stack && (ca->flags & CLONE_VM)) {
		call_to_frame(f, c);
		return SY_ACT_VFORK;
	}
	if (ca->stack) { /* a stack without a size: the kernel refuses it */
		*result = call_kernel(c);
		return SY_ACT_RETURN;
	}
	*result = fork_in_c(c);
	return SY_ACT_RETURN;
}

/* The mechanism's own cases; everything else goes to the kernel. */
static int mechanism(struct sy_thread *t, struct sy_frame *f, struct sy_call *c, long *result)
{
	long *a = c->args;
	sy_page0_args_guard(c);
	sy_usermem_note(c);
	switch (c->nr) {
	case SYS_rt_sigreturn:
		return SY_ACT_SIGRETURN;
	case SYS_vfork:
		call_to_frame(f, c);
		return SY_ACT_VFORK;
	case SYS_fork:
		*result = fork_in_c(c);
		return SY_ACT_RETURN;
	case SYS_clone:
		return clone_action(f, c, result);
	case SYS_clone3:
		return clone3_action(t, f, c, result);
	case SYS_rt_sigaction:
		*result = sy_sys_rt_sigaction(a[0], a[1], a[2], a[3]);
		return SY_ACT_RETURN;
	case SYS_rt_sigprocmask:
		*result = sy_sys_rt_sigprocmask(a[0], a[1], a[2], a[3]);
		return SY_ACT_RETURN;
	case SYS_rt_sigpending:
		*result = sy_sys_rt_sigpending(a[0], a[1]);
		return SY_ACT_RETURN;
	case SYS_rt_sigsuspend:
	case SYS_ppoll:
	case SYS_pselect6:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2: {
		/* the kernel must never block SIGSYS, even while waiting */
		struct sy_call masked = *c;
		uint64_t mask;
		uint64_t pselect_data[2];
		int r = sy_mask_args(&masked, &mask, pselect_data);
		*result = r < 0 ? r : call_kernel(&masked);
		return SY_ACT_RETURN;
	}
	case SYS_execve:
	case SYS_execveat:
		*result = sy_sys_execve(c);
		return SY_ACT_RETURN;
	case SYS_exit:
		sy_thread_release();
		break;
	case SYS_arch_prctl:
		if (a[0] == ARCH_SET_GS) { /* the GS base holds switchyard's thread area */
			*result = -EPERM;
			return SY_ACT_RETURN;
		}
		break;
	case SYS_prctl:
		if (a[0] == PR_SET_SYSCALL_USER_DISPATCH) { /* in use by switchyard */
			*result = -EBUSY;
			return SY_ACT_RETURN;
		}
		break;
	case SYS_mmap:
	case SYS_mprotect:
	case SYS_pkey_mprotect:
	case SYS_mremap:
	case SYS_shmat:
		*result = call_kernel(c);
		sy_scan_new_mapping(c, *result);
		return SY_ACT_RETURN;
	case SYS_close:
	case SYS_close_range:
	case SYS_dup2:
	case SYS_dup3:
		if (sy_fd_guard(c, result))
			return SY_ACT_RETURN;
		break;
	}
	*result = call_kernel(c);
	return SY_ACT_RETURN;
}

int sy_dispatch(struct sy_frame *f)
{
	struct sy_thread *t = sy_thread_self();
	int outer = t->depth == 0;
	sy_enter_own(t);
	if (sy_sud_wanted && !t->sud_on)
		sy_sud_enable_thread(t);

	struct sy_call *c = &f->call;
	c->nr = f->rax;
	c->args[0] = f->rdi;
	c->args[1] = f->rsi;
	c->args[2] = f->rdx;
	c->args[3] = f->r10;
	c->args[4] = f->r8;
	c->args[5] = f->r9;
	c->site = f->ret;
	f->entered = 0;
	if (outer)
		t->call_ret = f->ret;

	long result = -ENOSYS;
	int action = SY_ACT_RETURN, answered = 0;
	t->answered_by = -1;
	if (outer) {
		for (int i = 0; i < sy_nhooks && !answered; i++) {
			const struct sy_hook *h = sy_hooks[i];
			f->entered = i + 1;
			if (h->enter && wants(h, c->nr) &&
			    h->enter(h->ctx, c, &result) == SY_ANSWER) {
				answered = 1;
				t = sy_thread_self();
				t->answered_by = (int8_t)i;
				__atomic_fetch_add(&sy_hook_answers[i], 1, __ATOMIC_RELAXED);
			}
		}
	}
	if (!answered) {
		/* on a copy: `leave` sees the call as the hooks left it */
		struct sy_call k = *c;
		action = mechanism(t, f, &k, &result);
	}
	if (action == SY_ACT_RETURN) {
		run_leave(f, &result);
		f->rax = result;
	}
	sy_leave_own(t);
	return action;
}

/* After entry.S ran a clone on a new stack, in the parent. */
void sy_dispatch_leave(struct sy_frame *f)
{
	struct sy_thread *t = sy_thread_self();
	__atomic_store_n(&t->vfork_ret, 0, __ATOMIC_RELEASE); /* a CLONE_VFORK child is done */
	sy_enter_own(t);
	long result = f->rax;
	run_leave(f, &result);
	f->rax = result;
	sy_leave_own(t);
}

/* The child of a clone on a new stack, before it runs program code. */
void sy_child_start(const long *record)
{
	long flags = record[0];
	if (flags & CLONE_VM) {
		struct sy_thread *parent = sy_thread_self();
		int r = sy_thread_setup(parent);
		if (r < 0)
			sy_die("cannot set up a new thread (%d)", r);
		if (flags & CLONE_VFORK) /* posix_spawn: the parent waits, then resumes */
			sy_thread_lend(sy_thread_self(), parent);
	} else {
		sy_enter_own(sy_thread_self());
		after_fork_child();
	}
	struct sy_thread *t = sy_thread_self();
	for (int i = 0; i < sy_nhooks; i++)
		if (sy_hooks[i]->thread_start)
			sy_hooks[i]->thread_start(sy_hooks[i]->ctx);
	sy_leave_own(t);
}

/* A vfork child, before it returns to the program on its parent's stack.
 * It shares the parent's memory, so it gets an area of its own: what it
 * does until execve (raise the depth, then exec) must not reach the parent's.
 * (The area stays behind in the parent until the child's process is gone.) */
void sy_vfork_child(void)
{
	struct sy_thread *parent = sy_thread_self();
	uint64_t ret = parent->vfork_ret;
	if (sy_thread_setup(parent) < 0)
		sy_die("cannot set up the vfork child");
	struct sy_thread *t = sy_thread_self();
	t->vfork_ret = ret;
	sy_thread_lend(t, parent);
	sy_leave_own(t);
}
