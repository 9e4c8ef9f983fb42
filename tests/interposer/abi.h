/*
 * Register-state record shared by abi.c and abi_asm.S. The asm routines load
 * every register the syscall ABI promises to keep from an `in` record, make
 * one system call, and store the registers into an `out` record; abi.c then
 * compares the two. Offsets are spelled out here once for the assembler and
 * checked against the C layout in abi.c.
 */
#ifndef SY_TEST_ABI_H
#define SY_TEST_ABI_H

#define ABI_RBX 0
#define ABI_RDX 8
#define ABI_RSI 16
#define ABI_RDI 24
#define ABI_RBP 32
#define ABI_R8 40
#define ABI_R9 48
#define ABI_R10 56
#define ABI_R12 64
#define ABI_R13 72
#define ABI_R14 80
#define ABI_R15 88
#define ABI_RFLAGS 96
#define ABI_RSP 104	   /* out: rsp after the syscall */
#define ABI_RSP_BEFORE 112 /* out: rsp right before the syscall */
#define ABI_RET 120	   /* out: rax after the syscall */
#define ABI_MXCSR 128
#define ABI_FCW 132
#define ABI_ST0 136 /* a double pushed on the x87 stack */
#define ABI_K 144   /* k0..k7, 8 bytes each */
#define ABI_RZ 256  /* 128 bytes: [rsp-128, rsp) */
#define ABI_ZMM 384 /* zmm0..zmm31, 64 bytes each */
#define ABI_SIZE (ABI_ZMM + 32 * 64)

/* Kinds of site. */
#define ABI_KIND_RZ_RSP 0 /* red zone used through rsp right around the site: stays trapped */
#define ABI_KIND_RZ_RBX 1 /* red zone used through a copy of rsp: may be rewritten */
#define ABI_KIND_RZ_FAR 2 /* red zone used through rsp, >128 bytes away from the site */
#define ABI_KIND_RZ_JMP 3 /* red zone used through rsp, with jumps between it and the site */

/* Vector levels. */
#define ABI_LEVEL_SSE 0	   /* xmm0-15 */
#define ABI_LEVEL_AVX 1	   /* ymm0-15 */
#define ABI_LEVEL_AVX512 2 /* zmm0-31, k0-7 */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct abi_regs {
	uint64_t gpr[12]; /* rbx rdx rsi rdi rbp r8 r9 r10 r12 r13 r14 r15 */
	uint64_t rflags;
	uint64_t rsp;
	uint64_t rsp_before;
	uint64_t ret;
	uint32_t mxcsr;
	uint16_t fcw;
	uint16_t pad0;
	uint64_t st0; /* bits of a double */
	uint64_t k[8];
	uint8_t pad1[ABI_RZ - ABI_K - 64];
	uint8_t rz[128];
	uint8_t zmm[32][64];
} __attribute__((aligned(64)));

typedef void (*abi_fn)(struct abi_regs *in, struct abi_regs *out, long level);
#endif

#endif
