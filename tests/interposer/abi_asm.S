/*
 * System call sites for the ABI preservation test (abi.c).
 *
 * void abi_<ctx>_<kind>_<nr>(struct abi_regs *in, struct abi_regs *out, long level)
 *
 * Each routine loads rbx rdx rsi rdi rbp r8-r10 r12-r15, rflags (CF PF AF ZF
 * SF OF and DF), mxcsr, the x87 control word and one x87 stack value, the
 * vector registers of `level` (xmm0-15, ymm0-15, or zmm0-31 and k0-7) and
 * the 128-byte red zone from `in`, makes one `mov $nr,%eax; syscall`, and
 * stores all of it into `out`. Between the syscall and the last store
 * nothing changes any of the checked state: only mov/store instructions run
 * until the flags are saved (pushfq comes last, after the red zone was
 * copied out, because it writes below rsp itself).
 *
 * Kinds (abi.h):
 *  RZ_RSP  the red zone is filled and read through -N(%rsp) right before and
 *          after the site: switchyard must leave the site on the trap path;
 *  RZ_RBX  the red zone is filled through -N(%rbx) with rbx = rsp and read
 *          through -N(%rsi) with rsi = rsp: no rsp-relative access anywhere
 *          near, so the site is rewritten to `call *%rax`. That call pushes
 *          its return address into [rsp-8, rsp), so for this kind abi.c
 *          checks [rsp-128, rsp-8) once the site was rewritten (all 128 bytes
 *          while it is still a `syscall`);
 *  RZ_FAR  like RZ_RSP, but the red zone accesses are more than 128 bytes of
 *          ordinary code away from the site;
 *  RZ_JMP  like RZ_RSP, but an unconditional jump separates the red zone
 *          accesses from the site (as compilers lay out blocks).
 * For RZ_FAR and RZ_JMP the contract (the whole red zone is preserved) holds
 * only if switchyard leaves those sites on the trap path too.
 *
 * Each context of abi.c (main thread, another thread, handlers...) has its
 * own copies, so every context meets a fresh site: trapped first, then
 * (where allowed) rewritten. The address of each `syscall` is exported as
 * <name>_site so abi.c can read what switchyard left there. The routines
 * carry CFI like compiled code, so their extents are in .eh_frame.
 */
#include "abi.h"

	.section .rodata
	.p2align 2
abi_default_mxcsr:
	.long 0x1f80

	.text

/* 16 qwords between `in` red-zone slots and the red zone via \base */
.macro RZ_FILL base
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	mov ABI_RZ+8*\i(%rax), %rcx
	mov %rcx, -128+8*\i(\base)
	.endr
.endm

.macro RZ_SAVE base
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	mov -128+8*\i(\base), %rcx
	mov %rcx, ABI_RZ+8*\i(%rax)
	.endr
.endm

/* More than 128 bytes of ordinary code that changes only rcx. */
.macro FAR_PAD
	.rept 40
	lea 0x11(%rcx), %rcx
	.endr
.endm

.macro ABI_FN name, nr, kind
	.globl \name
	.type \name, @function
	.p2align 6
\name:
	.cfi_startproc
	push %rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	push %rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	push %r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	push %r13
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r13, 0
	push %r14
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r14, 0
	push %r15
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r15, 0
	sub $24, %rsp
	.cfi_adjust_cfa_offset 24
	/* 0(%rsp): out; 8(%rsp): where to store the vectors; 16(%rsp): level */
	mov %rsi, 0(%rsp)
	mov %rdx, 16(%rsp)
	mov %rdi, %rax

	cmp $ABI_LEVEL_AVX512, %rdx
	jb 1f
	lea .L\name\()_st512(%rip), %rcx
	mov %rcx, 8(%rsp)
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 ABI_ZMM+64*\i(%rax), %zmm\i
	.endr
	.irp i, 0,1,2,3,4,5,6,7
	kmovq ABI_K+8*\i(%rax), %k\i
	.endr
	jmp 3f
1:	cmp $ABI_LEVEL_AVX, %rdx
	jb 2f
	lea .L\name\()_st256(%rip), %rcx
	mov %rcx, 8(%rsp)
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu ABI_ZMM+64*\i(%rax), %ymm\i
	.endr
	jmp 3f
2:	lea .L\name\()_st128(%rip), %rcx
	mov %rcx, 8(%rsp)
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu ABI_ZMM+64*\i(%rax), %xmm\i
	.endr
3:
	ldmxcsr ABI_MXCSR(%rax)
	fldcw ABI_FCW(%rax)
	fldl ABI_ST0(%rax)
	pushq ABI_RFLAGS(%rax)
	.cfi_adjust_cfa_offset 8
	popfq
	.cfi_adjust_cfa_offset -8
	/* From here to the pushfq below: no instruction that changes flags. */
	mov 0(%rsp), %rcx
	mov %rsp, ABI_RSP_BEFORE(%rcx)

	.if \kind == ABI_KIND_RZ_RBX
	mov %rsp, %rbx
	RZ_FILL %rbx
	.else
	RZ_FILL %rsp
	.endif
	.if \kind == ABI_KIND_RZ_FAR
	FAR_PAD
	.endif
	.if \kind == ABI_KIND_RZ_JMP
	jmp .L\name\()_go
	ud2
.L\name\()_go:
	.endif

	.if \kind != ABI_KIND_RZ_RBX
	mov ABI_RBX(%rax), %rbx
	.endif
	mov ABI_RDX(%rax), %rdx
	mov ABI_RSI(%rax), %rsi
	mov ABI_RDI(%rax), %rdi
	mov ABI_RBP(%rax), %rbp
	mov ABI_R8(%rax), %r8
	mov ABI_R9(%rax), %r9
	mov ABI_R10(%rax), %r10
	mov ABI_R12(%rax), %r12
	mov ABI_R13(%rax), %r13
	mov ABI_R14(%rax), %r14
	mov ABI_R15(%rax), %r15
	/* 8-byte aligned, so the 7 bytes of mov+syscall never cross a cache line */
	.p2align 3
	mov $\nr, %eax
	.globl \name\()_site
\name\()_site:
	syscall
	mov %rax, %r11
	mov 0(%rsp), %rax
	mov %r11, ABI_RET(%rax)
	mov %rbx, ABI_RBX(%rax)
	mov %rdx, ABI_RDX(%rax)
	mov %rsi, ABI_RSI(%rax)
	mov %rdi, ABI_RDI(%rax)
	mov %rbp, ABI_RBP(%rax)
	mov %r8, ABI_R8(%rax)
	mov %r9, ABI_R9(%rax)
	mov %r10, ABI_R10(%rax)
	mov %r12, ABI_R12(%rax)
	mov %r13, ABI_R13(%rax)
	mov %r14, ABI_R14(%rax)
	mov %r15, ABI_R15(%rax)
	mov %rsp, ABI_RSP(%rax)

	.if \kind == ABI_KIND_RZ_FAR
	FAR_PAD
	.endif
	.if \kind == ABI_KIND_RZ_JMP
	jmp .L\name\()_back
	ud2
.L\name\()_back:
	.endif
	.if \kind == ABI_KIND_RZ_RBX
	mov %rsp, %rsi
	RZ_SAVE %rsi
	.else
	RZ_SAVE %rsp
	.endif

	fnstcw ABI_FCW(%rax)
	fstpl ABI_ST0(%rax)
	stmxcsr ABI_MXCSR(%rax)
	jmp *8(%rsp)

.L\name\()_st512:
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 %zmm\i, ABI_ZMM+64*\i(%rax)
	.endr
	.irp i, 0,1,2,3,4,5,6,7
	kmovq %k\i, ABI_K+8*\i(%rax)
	.endr
	jmp .L\name\()_flags
.L\name\()_st256:
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu %ymm\i, ABI_ZMM+64*\i(%rax)
	.endr
	jmp .L\name\()_flags
.L\name\()_st128:
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu %xmm\i, ABI_ZMM+64*\i(%rax)
	.endr
.L\name\()_flags:
	pushfq
	.cfi_adjust_cfa_offset 8
	pop %rcx
	.cfi_adjust_cfa_offset -8
	mov %rcx, ABI_RFLAGS(%rax)
	cld
	/* A sane FP/vector state for the C caller. */
	fninit
	ldmxcsr abi_default_mxcsr(%rip)
	cmpq $ABI_LEVEL_AVX, 16(%rsp)
	jb 4f
	vzeroupper
4:
	add $24, %rsp
	.cfi_adjust_cfa_offset -24
	pop %r15
	.cfi_adjust_cfa_offset -8
	pop %r14
	.cfi_adjust_cfa_offset -8
	pop %r13
	.cfi_adjust_cfa_offset -8
	pop %r12
	.cfi_adjust_cfa_offset -8
	pop %rbp
	.cfi_adjust_cfa_offset -8
	pop %rbx
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	.size \name, .-\name
.endm

/* The four ordinary sites of one context. */
.macro ABI_CONTEXT ctx
	ABI_FN abi_\ctx\()_rsp_110, 110, ABI_KIND_RZ_RSP
	ABI_FN abi_\ctx\()_rsp_500, 500, ABI_KIND_RZ_RSP
	ABI_FN abi_\ctx\()_rbx_110, 110, ABI_KIND_RZ_RBX
	ABI_FN abi_\ctx\()_rbx_500, 500, ABI_KIND_RZ_RBX
.endm

	ABI_CONTEXT main
	ABI_CONTEXT thread
	ABI_CONTEXT sig
	ABI_CONTEXT altsig
	ABI_CONTEXT storm

	/* Harder red-zone cases, main thread only. */
	ABI_FN abi_hard_far_110, 110, ABI_KIND_RZ_FAR
	ABI_FN abi_hard_far_500, 500, ABI_KIND_RZ_FAR
	ABI_FN abi_hard_jmp_110, 110, ABI_KIND_RZ_JMP
	ABI_FN abi_hard_jmp_500, 500, ABI_KIND_RZ_JMP

/*
 * void abi_clobber(void): used by a signal handler that interrupts the
 * test loop: scribbles over every vector, opmask, x87 and mxcsr register
 * (the kernel restores them at sigreturn), then leaves a sane state for C.
 * Needs AVX-512 when `level` (rdi) is ABI_LEVEL_AVX512.
 */
	.globl abi_clobber
	.type abi_clobber, @function
	.p2align 4
abi_clobber:
	.cfi_startproc
	cmp $ABI_LEVEL_AVX512, %rdi
	jb 1f
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vpternlogd $0xff, %zmm\i, %zmm\i, %zmm\i
	.endr
	.irp i, 0,1,2,3,4,5,6,7
	kxnorq %k\i, %k\i, %k\i
	.endr
	jmp 2f
1:	cmp $ABI_LEVEL_AVX, %rdi
	jb 3f
	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vpcmpeqd %ymm\i, %ymm\i, %ymm\i
	.endr
	jmp 2f
3:	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	pcmpeqd %xmm\i, %xmm\i
	.endr
2:	sub $8, %rsp
	.cfi_adjust_cfa_offset 8
	movl $0xff80, (%rsp)
	ldmxcsr (%rsp)
	movw $0x0f7f, (%rsp)
	fldcw (%rsp)
	fldpi
	fldpi
	add $8, %rsp
	.cfi_adjust_cfa_offset -8
	fninit
	ldmxcsr abi_default_mxcsr(%rip)
	cmp $ABI_LEVEL_AVX, %rdi
	jb 4f
	vzeroupper
4:	ret
	.cfi_endproc
	.size abi_clobber, .-abi_clobber

	.section .note.GNU-stack, "", @progbits
