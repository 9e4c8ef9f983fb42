/*
 * The entry stub: every system call switchyard catches arrives here, from a
 * rewritten site (page 0's sled jumps to sy_entry_rewritten) or from the
 * SIGSYS handler of Syscall User Dispatch (sy_entry_trapped). All of
 * switchyard's own `syscall` instructions live in section sy_text, which is
 * the range SUD always lets through.
 *
 * The contract kept here: the program sees only rax, rcx and r11 change, as
 * with a real syscall (rcx = return address, r11 = rflags). Nothing is
 * written to the 128-byte red zone below the program's rsp, except the 8
 * bytes the `call *%rax` of a rewritten site itself pushes (sites whose code
 * uses the red zone are never rewritten). The extended state (x87, SSE, AVX,
 * AVX-512, mxcsr) is saved with xsave only around C code, never on the fast
 * path.
 *
 * Notation: U is the program's rsp at the syscall instruction.
 */
#include "sy.h"

	.section sy_text, "ax", @progbits

/* The program's registers as a struct sy_frame below the return address
 * and flags (rsp must point at the flags). */
.macro PUSH_FRAME
	sub	$SY_F_SCRATCH_SIZE, %rsp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbp
	push	%rbx
	push	%r9
	push	%r8
	push	%r10
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rax
.endm

/* xrstor faults on an xsave header that was not zero before xsave wrote it. */
.macro ZERO_XSAVE_HEADER
	movq	$0, 512(%rsp)
	movq	$0, 520(%rsp)
	movq	$0, 528(%rsp)
	movq	$0, 536(%rsp)
	movq	$0, 544(%rsp)
	movq	$0, 552(%rsp)
	movq	$0, 560(%rsp)
	movq	$0, 568(%rsp)
.endm

/* Calls \fn(%rbx) with the extended state saved on the stack below rsp.
 * The C function's int result ends up in %r12d; rbp keeps rsp meanwhile. */
.macro CALL_WITH_XSTATE fn
	mov	%rsp, %rbp
	mov	sy_xsave_size(%rip), %eax
	sub	%rax, %rsp
	and	$-64, %rsp
	ZERO_XSAVE_HEADER
	mov	$-1, %eax
	mov	$-1, %edx
	cmpb	$0, sy_use_xsavec(%rip)
	je	1f
	xsavec64 (%rsp)
	jmp	2f
1:	xsave64	(%rsp)
2:	mov	%rbx, %rdi
	call	\fn
	mov	%eax, %r12d
	mov	$-1, %eax
	mov	$-1, %edx
	xrstor64 (%rsp)
	mov	%rbp, %rsp
.endm

/* A child's registers around a C call: the ones C may clobber, plus rbx,
 * rbp and r12 that CALL_WITH_XSTATE uses; r11 (the flags) first. */
.macro PUSH_CHILD_REGS
	push	%r11
	push	%rax
	push	%rdi
	push	%rsi
	push	%rdx
	push	%r10
	push	%r8
	push	%r9
	push	%rbx
	push	%rbp
	push	%r12
.endm

.macro POP_CHILD_REGS
	pop	%r12
	pop	%rbp
	pop	%rbx
	pop	%r9
	pop	%r8
	pop	%r10
	pop	%rdx
	pop	%rsi
	pop	%rdi
	pop	%rax
.endm

/* rcx = (\reg >> 12) + \table[rax], without touching the flags: zero only
 * when \reg is below 4096 and \table says it is an input pointer. */
.macro PAGE0_ARG table, reg
	lea	\table(%rip), %rcx
	movzbl	(%rcx, %rax), %r11d
	mov	$12, %ecx
	shrx	%rcx, \reg, %rcx
	lea	(%rcx, %r11), %rcx
.endm

/* Loads the program's registers from the frame at rsp (rsp is kept). */
.macro LOAD_REGS
	mov	SY_F_RAX(%rsp), %rax
	mov	SY_F_RDI(%rsp), %rdi
	mov	SY_F_RSI(%rsp), %rsi
	mov	SY_F_RDX(%rsp), %rdx
	mov	SY_F_R10(%rsp), %r10
	mov	SY_F_R8(%rsp), %r8
	mov	SY_F_R9(%rsp), %r9
	mov	SY_F_RBX(%rsp), %rbx
	mov	SY_F_RBP(%rsp), %rbp
	mov	SY_F_R12(%rsp), %r12
	mov	SY_F_R13(%rsp), %r13
	mov	SY_F_R14(%rsp), %r14
	mov	SY_F_R15(%rsp), %r15
.endm

/*
 * From page 0, after `call *%rax` at a rewritten site:
 * rsp = U-8, (U-8) = return address, rax = number (< SY_NR_MAX).
 *
 * The fast path changes no flags (so it needs no pushfq/popfq, which are
 * slow): shrx/shlx/not/lea/mov/jrcxz only. It returns with `ret`, so the
 * call's return-stack-buffer entry is used up as the CPU expects.
 */
	.globl	sy_entry_rewritten
	.hidden	sy_entry_rewritten
	.type	sy_entry_rewritten, @function
sy_entry_rewritten:
	lea	-120(%rsp), %rsp	/* rsp = U-128: past the red zone */
	pushq	120(%rsp)		/* U-136: return address, kept below the red zone */
	mov	%rcx, -8(%rsp)		/* U-144, U-152: rcx and r11, for a call that */
	mov	%r11, -16(%rsp)		/* turns out not to come from a site */

	/* A call through a null or small function pointer also lands here: only
	 * the end of a site switchyard rewrote is a syscall. Bit `ret` of the
	 * site bitmap, read as word ret/64, bit ret%64, moved to bit 63 and down. */
	mov	(%rsp), %r11
	mov	$6, %ecx
	shrx	%rcx, %r11, %rcx	/* word index */
	mov	sy_site_bitmap(%rip), %r11
	mov	(%r11, %rcx, 8), %rcx	/* the word */
	mov	(%rsp), %r11
	not	%r11			/* shift count 63 - ret%64 */
	shlx	%r11, %rcx, %rcx
	mov	$63, %r11d
	shrx	%r11, %rcx, %rcx	/* rcx = the bit */
	jrcxz	.Lnot_a_site

	/* An input pointer into page 0 in rdi or rsi? The kernel would read
	 * the trampoline: page0args.c makes it fail as it should. The tables
	 * hold 0 for input pointers, so rcx = (reg >> 12) + table is 0 only
	 * for such a pointer below 4096. */
	PAGE0_ARG sy_ptr_rdi, %rdi
	jrcxz	2f
	PAGE0_ARG sy_ptr_rsi, %rsi
	jrcxz	2f

	/* SUD wanted (JIT code appeared) but not on for this thread yet? */
	movzbl	sy_sud_wanted(%rip), %ecx
	jrcxz	1f
	movzbl	%gs:SY_T_SUD_ON, %ecx
	jrcxz	2f
1:	lea	sy_nr_table(%rip), %rcx
	movzbl	(%rcx, %rax), %ecx	/* anyone interested in this number? */
	jrcxz	.Lfast
	lea	-SY_NR_FD0(%rcx), %rcx	/* only in calls on some fds? */
	jrcxz	3f
	jmp	4f
.Lnot_a_site:
	jmp	.Lbad_call		/* jrcxz reaches only 127 bytes */
4:	pushfq				/* U-144 */
	xor	%r11d, %r11d		/* not trapped (sy_call.trapped) */
	jmp	.Lcommon
2:	pushfq
	xor	%r11d, %r11d
	jmp	.Lslow			/* sy_dispatch guards the pointer, turns SUD on */

/* The fast path: every register but rcx and r11 is still the program's. */
.Lfast:
	syscall				/* r11 = the program's flags */
	.globl	sy_after_fast_syscall
	.hidden	sy_after_fast_syscall
sy_after_fast_syscall:
/* Back to a rewritten site: rsp = U-136, (rsp) = return address. */
.Lexit_rewritten:
	mov	(%rsp), %rcx
	mov	%rcx, 128(%rsp)		/* the kernel may have written near U-8 */
	lea	128(%rsp), %rsp		/* rsp = U-8 */
	ret				/* rcx = return address, as after a syscall */
	/* fd calls: the fast path unless sy_fd_map marks the fd (edi, as the
	 * kernel reads it); fds past the map take the slow path */
3:	mov	%edi, %r11d
	mov	$20, %ecx
	shrx	%rcx, %r11, %rcx
	jrcxz	5f
	jmp	4b
5:	mov	sy_fd_map(%rip), %rcx
	movzbl	(%rcx, %r11), %ecx
	jrcxz	.Lfast
	jmp	4b
	.size	sy_entry_rewritten, . - sy_entry_rewritten

/*
 * From the SIGSYS handler, through sigreturn: every register is the
 * program's (rax = number, any value), nothing was written below rsp, and the
 * return address is on top of the thread's trap stack (%gs). No call was
 * made, so this path returns with a jump and never writes the red zone.
 */
	.globl	sy_entry_trapped
	.hidden	sy_entry_trapped
	.type	sy_entry_trapped, @function
sy_entry_trapped:
	lea	-128(%rsp), %rsp	/* rsp = U-128 */
	pushfq				/* U-136, for now */
	lea	-8(%rsp), %rsp
	/* Pop the trap stack: read the entry before giving up its slot, so a
	 * signal handler that traps in between pushes above it. */
	mov	%gs:SY_T_TRAP_TOP, %rcx
	sub	$1, %rcx
	mov	%gs:SY_T_TRAP_RET(, %rcx, 8), %r11
	mov	%rcx, %gs:SY_T_TRAP_TOP
	mov	8(%rsp), %rcx
	mov	%rcx, (%rsp)		/* U-144: flags */
	mov	%r11, 8(%rsp)		/* U-136: return address */
	mov	$1, %r11d		/* trapped */

/* rsp = U-144: (rsp) = flags, 8(rsp) = return address, r11 = trapped or not.
 * rcx and the flags are free. */
.Lcommon:
	cmp	$SY_NR_MAX, %rax
	jae	.Lbig_number
	cmpb	$0, sy_page0_mapped(%rip)	/* input pointers into page 0, as above */
	je	1f
	cmp	$4096, %rdi
	jae	2f
	lea	sy_ptr_rdi(%rip), %rcx
	cmpb	$0, (%rcx, %rax)
	je	.Lslow
2:	cmp	$4096, %rsi
	jae	1f
	lea	sy_ptr_rsi(%rip), %rcx
	cmpb	$0, (%rcx, %rax)
	je	.Lslow
1:	lea	sy_nr_table(%rip), %rcx
	testb	$SY_NR_MECH, (%rcx, %rax)	/* calls the mechanism itself must see */
	jnz	.Lslow
	cmpb	$0, %gs:SY_T_DEPTH	/* switchyard's own call: straight through */
	jne	.Lraw
	testb	$SY_NR_HOOK, (%rcx, %rax)
	jnz	.Lslow
	testb	$SY_NR_FD0, (%rcx, %rax)
	jz	.Lraw
	cmp	$SY_FD_MAP_SIZE, %edi	/* an fd call: is the fd marked? */
	jae	.Lslow
	mov	%edi, %ecx
	add	sy_fd_map(%rip), %rcx
	cmpb	$0, (%rcx)
	jne	.Lslow

.Lraw:
	mov	%r11, -8(%rsp)		/* U-152: trapped or not, for the way back */
	popfq				/* rsp = U-136, the program's flags */
	syscall				/* r11 = those flags */
	.globl	sy_after_raw_syscall
	.hidden	sy_after_raw_syscall
sy_after_raw_syscall:
/* rsp = U-136: (rsp) = return address, -16(rsp) = trapped; r11 = flags. */
.Lexit:
	mov	-16(%rsp), %rcx
	jrcxz	1f
	mov	(%rsp), %rcx
	lea	136(%rsp), %rsp
	jmp	*%rcx
1:	jmp	.Lexit_rewritten

.Lbig_number:
	cmpb	$0, %gs:SY_T_DEPTH
	jne	.Lraw
	cmpb	$0, sy_hook_all(%rip)
	je	.Lraw

/* The slow path: a struct sy_frame on the stack, C with the state saved. */
.Lslow:
	PUSH_FRAME
	movl	%r11d, SY_F_TRAPPED(%rsp)
	mov	%rsp, %rbx
	cld				/* C expects DF clear; popfq restores it */
	CALL_WITH_XSTATE sy_dispatch
	cmp	$SY_ACT_RETURN, %r12d
	je	.Lreturn
	cmp	$SY_ACT_CLONE, %r12d
	je	.Lclone
	cmp	$SY_ACT_CLONE3, %r12d
	je	.Lclone3
	cmp	$SY_ACT_VFORK, %r12d
	je	.Lvfork

	/* SY_ACT_SIGRETURN: the kernel reads the signal frame at U. */
	lea	SY_F_TO_USER_RSP(%rsp), %rsp
	mov	$15, %eax
	syscall
	ud2

.Lreturn:
	pop	%rax
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%r10
	pop	%r8
	pop	%r9
	pop	%rbx
	pop	%rbp
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	mov	SY_F_TRAPPED - SY_F_SCRATCH(%rsp), %ecx
	lea	SY_F_SCRATCH_SIZE(%rsp), %rsp	/* rsp = U-144 */
	mov	%rcx, -8(%rsp)
	mov	(%rsp), %r11
	popfq
	jmp	.Lexit

/*
 * vfork, or a clone that shares memory without a new stack: the child runs
 * on this very stack until it execs or exits, so nothing may be kept on it
 * across the call. The return address waits in the thread area, which the
 * child leaves alone (it only reads it).
 */
.Lvfork:
	mov	SY_F_RET(%rsp), %rcx
	mov	%rcx, %gs:SY_T_VFORK_RET
	incq	%gs:SY_T_VFORK_GEN	/* areas lent to earlier children are free */
	pushq	SY_F_FLAGS(%rsp)
	popfq
	LOAD_REGS
	lea	SY_F_TO_USER_RSP(%rsp), %rsp
	syscall
	mov	%rax, %rcx
	jrcxz	.Lvfork_child
	mov	%gs:SY_T_VFORK_RET, %rcx
	movq	$0, %gs:SY_T_VFORK_RET	/* resumed: the child's area may be reused */
	jmp	*%rcx

/* The vfork child, on its parent's stack: SUD is not inherited, so it is
 * turned on again here (below the red zone, keeping every register). */
.Lvfork_child:
	lea	-128(%rsp), %rsp
	PUSH_CHILD_REGS
	mov	%rsp, %rbx
	CALL_WITH_XSTATE sy_vfork_child
	POP_CHILD_REGS
	mov	(%rsp), %r11
	popfq
	lea	128(%rsp), %rsp
	mov	%gs:SY_T_VFORK_RET, %rcx
	jmp	*%rcx

/*
 * clone with a new stack. sy_dispatch pointed rsi at a record it wrote on
 * the new stack: (rsi) = the program's rsi, 8(rsi) = clone flags,
 * 16(rsi) = return address; rsi+24 is the stack the program asked for.
 */
.Lclone:
	pushq	SY_F_FLAGS(%rsp)
	popfq
	LOAD_REGS
	syscall
	test	%rax, %rax
	jz	.Lchild_rsi
	mov	%rax, SY_F_RAX(%rsp)
	mov	SY_F_SAVED_ARG(%rsp), %rcx
	mov	%rcx, SY_F_RSI(%rsp)
	jmp	.Lparent_after_clone

/* clone3 with a new stack: rdi points to an adjusted copy of the argument
 * block whose stack ends in the same kind of record, holding the program's rdi. */
.Lclone3:
	pushq	SY_F_FLAGS(%rsp)
	popfq
	LOAD_REGS
	syscall
	test	%rax, %rax
	jz	.Lchild_rdi
	mov	%rax, SY_F_RAX(%rsp)
	mov	SY_F_SAVED_ARG(%rsp), %rcx
	mov	%rcx, SY_F_RDI(%rsp)

.Lparent_after_clone:
	mov	%rsp, %rbx
	CALL_WITH_XSTATE sy_dispatch_leave
	jmp	.Lreturn

.Lchild_rsi:
	pop	%rsi
	jmp	.Lchild
.Lchild_rdi:
	pop	%rdi
/* The child, on its new stack: (rsp) = clone flags, 8(rsp) = return address;
 * every register is the program's but rax = 0, and r11 = the program's flags. */
.Lchild:
	PUSH_CHILD_REGS
	lea	88(%rsp), %rbx		/* the record: clone flags, return address */
	CALL_WITH_XSTATE sy_child_start
	POP_CHILD_REGS
	pop	%r11
	lea	8(%rsp), %rsp		/* drop the clone flags */
	push	%r11
	popfq
	mov	(%rsp), %rcx
	ret				/* rsp = the stack the program asked for */

/*
 * Not a site: a call through a null or small function pointer. badcall.c
 * makes the kernel deliver SIGSEGV as if page 0 were not mapped, from the
 * program's registers (rcx and r11 from where the entry spilled them) and
 * its extended state in the kernel's signal-frame format (standard xsave).
 * rsp = U-136, nothing changed the flags.
 */
.Lbad_call:
	mov	-8(%rsp), %rcx
	mov	-16(%rsp), %r11
	pushfq				/* U-144 */
	PUSH_FRAME
	mov	%rcx, SY_F_SCRATCH(%rsp)
	mov	%r11, SY_F_SCRATCH + 8(%rsp)
	mov	%rsp, %rbx
	mov	sy_xsave_size(%rip), %eax
	add	$64, %rax		/* and room for the frame's end marker */
	sub	%rax, %rsp
	and	$-64, %rsp
	ZERO_XSAVE_HEADER
	mov	$-1, %eax
	mov	$-1, %edx
	xsave64	(%rsp)
	mov	%rbx, %rdi
	mov	%rsp, %rsi
	call	sy_bad_call
	ud2

/* void sy_sigreturn_to(void *uc): rt_sigreturn from a frame built in memory. */
	.globl	sy_sigreturn_to
	.hidden	sy_sigreturn_to
	.type	sy_sigreturn_to, @function
sy_sigreturn_to:
	mov	%rdi, %rsp
	mov	$15, %eax
	syscall
	ud2
	.size	sy_sigreturn_to, . - sy_sigreturn_to

/* long sy_raw6(nr, a1, a2, a3, a4, a5, a6): the one way switchyard's C code
 * reaches the kernel; also exported as sy_syscall for hook libraries. */
	.globl	sy_raw6
	.hidden	sy_raw6
	.type	sy_raw6, @function
	.globl	sy_syscall
	.type	sy_syscall, @function
sy_raw6:
sy_syscall:
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %r10
	mov	%r9, %r8
	mov	8(%rsp), %r9
	syscall
	ret
	.size	sy_raw6, . - sy_raw6
	.size	sy_syscall, . - sy_syscall

/* Restorer of switchyard's own signal handlers (SIGSYS): rt_sigreturn from
 * inside sy_text, so SUD lets it through whatever the selector says. */
	.globl	sy_signal_restorer
	.hidden	sy_signal_restorer
	.type	sy_signal_restorer, @function
sy_signal_restorer:
	mov	$15, %eax
	syscall
	ud2
	.size	sy_signal_restorer, . - sy_signal_restorer

	.section .note.GNU-stack, "", @progbits
