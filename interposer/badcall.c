/*
 * A call through a null or small function pointer lands in page 0 like a
 * rewritten site's call, and the entry stub finds that its return address
 * is not a site. Without switchyard the CPU would fault on fetching from the
 * target. This file has the kernel deliver that very SIGSEGV: it finds the
 * target by decoding the call before the return address, queues SIGSEGV
 * (SEGV_MAPERR, si_addr = target) while it is blocked, and returns through
 * rt_sigreturn into a frame holding the program's registers at the fault
 * (rip = target, rsp just below the pushed return address) with SIGSEGV
 * unblocked. The kernel then delivers the signal from that state: the
 * program's handler sees what it would see natively (on its altstack, with
 * its mask), returning from it re-runs the call (and faults again), and
 * without a handler the process dies with the right registers in its core.
 */
#include <Zydis/Zydis.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "sy.h"

#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#endif
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define PF_USER_INSTR_FETCH 0x14 /* error code: user mode, instruction fetch */

struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* The program's value of a 64-bit register at the call (rsp: before the
 * call pushed its return address). */
static int reg_value(const struct sy_frame *f, uint64_t user_rsp, ZydisRegister r, uint64_t *v)
{
	switch (ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r)) {
	case ZYDIS_REGISTER_RAX:
		*v = (uint64_t)f->rax;
		return 0;
	case ZYDIS_REGISTER_RCX:
		*v = (uint64_t)f->bad.rcx;
		return 0;
	case ZYDIS_REGISTER_RDX:
		*v = (uint64_t)f->rdx;
		return 0;
	case ZYDIS_REGISTER_RBX:
		*v = (uint64_t)f->rbx;
		return 0;
	case ZYDIS_REGISTER_RSP:
		*v = user_rsp;
		return 0;
	case ZYDIS_REGISTER_RBP:
		*v = (uint64_t)f->rbp;
		return 0;
	case ZYDIS_REGISTER_RSI:
		*v = (uint64_t)f->rsi;
		return 0;
	case ZYDIS_REGISTER_RDI:
		*v = (uint64_t)f->rdi;
		return 0;
	case ZYDIS_REGISTER_R8:
		*v = (uint64_t)f->r8;
		return 0;
	case ZYDIS_REGISTER_R9:
		*v = (uint64_t)f->r9;
		return 0;
	case ZYDIS_REGISTER_R10:
		*v = (uint64_t)f->r10;
		return 0;
	case ZYDIS_REGISTER_R11:
		*v = (uint64_t)f->bad.r11;
		return 0;
	case ZYDIS_REGISTER_R12:
		*v = (uint64_t)f->r12;
		return 0;
	case ZYDIS_REGISTER_R13:
		*v = (uint64_t)f->r13;
		return 0;
	case ZYDIS_REGISTER_R14:
		*v = (uint64_t)f->r14;
		return 0;
	case ZYDIS_REGISTER_R15:
		*v = (uint64_t)f->r15;
		return 0;
	case ZYDIS_REGISTER_NONE:
		*v = 0;
		return 0;
	default:
		return -1;
	}
}

/* Where the call ending at `ret` went, if it went into page 0. */
static uint64_t call_target(const struct sy_frame *f, uint64_t user_rsp)
{
	ZydisDecoder decoder;
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	uint8_t code[16];
	uint64_t ret = f->ret;
	ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (sy_copy_in(code, (const void *)(ret - sizeof(code)), sizeof(code)) < 0)
		return 0;
	for (size_t len = 2; len <= 15; len++) {
		const uint8_t *at = code + sizeof(code) - len;
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, at, len, &insn, ops)) ||
		    insn.length != len || insn.mnemonic != ZYDIS_MNEMONIC_CALL)
			continue;
		const ZydisDecodedOperand *op = &ops[0];
		uint64_t target = ~0ull, base, index;
		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			if (reg_value(f, user_rsp, op->reg.value, &target) < 0)
				continue;
		} else if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative) {
			target = ret + (uint64_t)op->imm.value.s;
		} else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
			   op->mem.segment != ZYDIS_REGISTER_FS &&
			   op->mem.segment != ZYDIS_REGISTER_GS) {
			if (op->mem.base == ZYDIS_REGISTER_RIP)
				base = ret;
			else if (reg_value(f, user_rsp, op->mem.base, &base) < 0)
				continue;
			if (reg_value(f, user_rsp, op->mem.index, &index) < 0)
				continue;
			uint64_t addr = base + index * op->mem.scale + (uint64_t)op->mem.disp.value;
			if (sy_copy_in(&target, (const void *)addr, sizeof(target)) < 0)
				continue;
		}
		if (target < 4096)
			return target;
	}
	return 0; /* not found: a null pointer is the likely case */
}

static uint16_t segment(int which)
{
	uint16_t v;
	if (which == 0)
		__asm__("mov %%cs, %0" : "=r"(v));
	else
		__asm__("mov %%ss, %0" : "=r"(v));
	return v;
}

void sy_bad_call(struct sy_frame *f, void *xsave)
{
	/* U: the program's rsp before the call; the call pushed ret at U-8 */
	uint64_t user_rsp = (uint64_t)&f->ret + 136;
	uint64_t target = call_target(f, user_rsp);
	uint64_t bit = 1ull << (SIGSEGV - 1), mask = 0;
	long pid = sy_raw0(SYS_getpid), tid = sy_raw0(SYS_gettid);

	/* A fault the program blocks or ignores kills it (the default action). */
	struct kernel_sigaction act;
	sy_raw4(SYS_rt_sigaction, SIGSEGV, 0, &act, sizeof(uint64_t));
	sy_raw4(SYS_rt_sigprocmask, SIG_BLOCK, &bit, &mask, sizeof(uint64_t));
	if (act.handler == SIG_IGN || (mask & bit)) {
		struct kernel_sigaction dfl = {.handler = SIG_DFL};
		sy_raw4(SYS_rt_sigaction, SIGSEGV, &dfl, 0, sizeof(uint64_t));
		mask &= ~bit;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGSEGV;
	si.si_code = SEGV_MAPERR;
	si.si_addr = (void *)target;
	/* pending while blocked; a thread other than the main one may not
	 * queue a fault code to itself, and gets a plain SIGSEGV */
	if (sy_raw4(SYS_rt_tgsigqueueinfo, pid, tid, SIGSEGV, &si) < 0)
		sy_raw3(SYS_tgkill, pid, tid, SIGSEGV);

	/* The frame rt_sigreturn reads: [pretcode] ucontext siginfo */
	static __thread struct {
		uint64_t pretcode;
		ucontext_t uc;
		siginfo_t info;
	} frame __attribute__((aligned(16)));
	memset(&frame, 0, sizeof(frame));
	ucontext_t *uc = &frame.uc;
	uc->uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	sy_raw2(SYS_sigaltstack, 0, &uc->uc_stack);
	greg_t *g = uc->uc_mcontext.gregs;
	g[REG_R8] = f->r8;
	g[REG_R9] = f->r9;
	g[REG_R10] = f->r10;
	g[REG_R11] = f->bad.r11;
	g[REG_R12] = f->r12;
	g[REG_R13] = f->r13;
	g[REG_R14] = f->r14;
	g[REG_R15] = f->r15;
	g[REG_RDI] = f->rdi;
	g[REG_RSI] = f->rsi;
	g[REG_RBP] = f->rbp;
	g[REG_RBX] = f->rbx;
	g[REG_RDX] = f->rdx;
	g[REG_RAX] = f->rax;
	g[REG_RCX] = f->bad.rcx;
	g[REG_RSP] = (greg_t)(user_rsp - 8);
	g[REG_RIP] = (greg_t)target;
	g[REG_EFL] = (greg_t)f->flags;
	g[REG_CSGSFS] = (greg_t)((uint64_t)segment(0) | (uint64_t)segment(1) << 48);
	g[REG_ERR] = PF_USER_INSTR_FETCH;
	g[REG_TRAPNO] = 14; /* page fault */
	g[REG_OLDMASK] = (greg_t)mask;
	g[REG_CR2] = (greg_t)target;
	memcpy(&uc->uc_sigmask, &mask, sizeof(mask));

	/* the extended state, marked as the kernel marks its own frames */
	uint32_t size = sy_xsave_size, lo, hi;
	__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	uint8_t *sw = (uint8_t *)xsave + 464;
	uint32_t magic1 = FP_XSTATE_MAGIC1, extended = size + 4, magic2 = FP_XSTATE_MAGIC2;
	uint64_t features = (uint64_t)hi << 32 | lo;
	memset(sw, 0, 48);
	memcpy(sw, &magic1, 4);
	memcpy(sw + 4, &extended, 4);
	memcpy(sw + 8, &features, 8);
	memcpy(sw + 16, &size, 4);
	memcpy((uint8_t *)xsave + size, &magic2, 4);
	uc->uc_mcontext.fpregs = (struct _libc_fpstate *)xsave;

	sy_sigreturn_to(uc);
}
