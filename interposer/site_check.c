/*
 * Decides whether one `syscall` instruction may be rewritten to
 * `call *%rax`. The site is known to be a real instruction (SUD trapped it),
 * so only its surroundings are decoded (with Zydis):
 *  - rax must be set by an immediate just before, below the sled's end: a
 *    call through rax with any other value would jump somewhere else;
 *  - the code around must not use the red zone: the call pushes its return
 *    address into the 8 bytes below rsp, and the kernel may write output
 *    through pointers into it;
 *  - the two bytes must sit in one cache line, so one store replaces them
 *    while other threads may run the code (alone, the process may split it).
 * Whatever is refused stays on the trap path, which is exact, only slower.
 * With SY_CHECK_FUNCTION, `before` and `after` span the whole function (from
 * the unwind tables): decoding starts at its first byte, and the red zone
 * may not be used anywhere in it. Otherwise a window around the site is
 * decoded from the longest run of instructions that ends on it.
 */
#include <Zydis/Zydis.h>
#include <string.h>

#include "sy.h"

#define WINDOW 128
#define MAX_INSNS 96
#define MAX_FUNCTION (256 * 1024)

struct scan {
	int red_zone_rsp; /* an explicit access below rsp */
	long below_rbp;	  /* the deepest explicit access below rbp... */
	long frame;	  /* ...fine if rsp was moved at least that far below it */
};

static ZydisDecoder decoder;
static int decoder_ready;

static void decoder_init(void)
{
	if (!decoder_ready) {
		ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
		decoder_ready = 1;
	}
}

static int decode(const uint8_t *p, size_t len, ZydisDecodedInstruction *insn,
		  ZydisDecodedOperand *ops)
{
	return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, p, len, insn, ops));
}

static int is_control_flow(const ZydisDecodedInstruction *insn)
{
	switch (insn->meta.category) {
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_INTERRUPT:
		return 1;
	default:
		return 0;
	}
}

static int ends_function(const ZydisDecodedInstruction *insn)
{
	return insn->meta.category == ZYDIS_CATEGORY_RET ||
	       insn->meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
	       insn->mnemonic == ZYDIS_MNEMONIC_INT3 || insn->mnemonic == ZYDIS_MNEMONIC_HLT ||
	       insn->mnemonic == ZYDIS_MNEMONIC_UD2;
}

static ZydisRegister widest(ZydisRegister r)
{
	return ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
}

static void scan_operands(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops,
			  struct scan *s)
{
	for (unsigned i = 0; i < insn->operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];
		if (op->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
			continue;
		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			long disp = op->mem.disp.has_displacement ? (long)op->mem.disp.value : 0;
			if (op->mem.base == ZYDIS_REGISTER_RSP && disp < 0)
				s->red_zone_rsp = 1;
			if (op->mem.base == ZYDIS_REGISTER_RBP && -disp > s->below_rbp)
				s->below_rbp = -disp;
			if (op->mem.index == ZYDIS_REGISTER_RSP)
				s->red_zone_rsp = 1;
		}
	}
	/* a frame below rbp: sub $n,%rsp / add $-n,%rsp / lea -n(%rbp),%rsp */
	if (insn->operand_count_visible == 2 && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ops[0].reg.value == ZYDIS_REGISTER_RSP) {
		long n = 0;
		if (ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    insn->mnemonic == ZYDIS_MNEMONIC_SUB)
			n = (long)ops[1].imm.value.s;
		else if (ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
			 insn->mnemonic == ZYDIS_MNEMONIC_ADD)
			n = -(long)ops[1].imm.value.s;
		else if (insn->mnemonic == ZYDIS_MNEMONIC_LEA &&
			 ops[1].mem.base == ZYDIS_REGISTER_RBP && ops[1].mem.disp.has_displacement)
			n = -(long)ops[1].mem.disp.value;
		if (n > s->frame)
			s->frame = n;
	}
}

static int writes_rax(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops)
{
	for (unsigned i = 0; i < insn->operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    widest(ops[i].reg.value) == ZYDIS_REGISTER_RAX &&
		    (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			return 1;
	return 0;
}

/* The value an instruction that writes rax leaves there, if it is a constant. */
static int rax_constant(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops,
			long *value)
{
	if (insn->operand_count_visible != 2 || ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER)
		return 0;
	ZydisRegister dst = ops[0].reg.value;
	if (dst != ZYDIS_REGISTER_EAX && dst != ZYDIS_REGISTER_RAX)
		return 0;
	if (insn->mnemonic == ZYDIS_MNEMONIC_MOV && ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		if (dst == ZYDIS_REGISTER_EAX)
			*value = (long)(uint32_t)ops[1].imm.value.u;
		else
			*value = (long)ops[1].imm.value.s;
		return 1;
	}
	if ((insn->mnemonic == ZYDIS_MNEMONIC_XOR || insn->mnemonic == ZYDIS_MNEMONIC_SUB) &&
	    ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER && ops[1].reg.value == dst) {
		*value = 0;
		return 1;
	}
	return 0;
}

/* The longest run of whole instructions that ends exactly at the site. */
static size_t sync_before(const uint8_t *code, size_t window)
{
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	for (size_t start = window; start > 0; start--) {
		size_t at = 0;
		int n = 0;
		while (at < start && n < MAX_INSNS) {
			if (!decode(code - start + at, start - at, &insn, ops))
				break;
			at += insn.length;
			n++;
		}
		if (at == start)
			return start;
	}
	return 0;
}

/* What sets rax on the straight path to the site. */
struct rax_track {
	int have, known, flow_since;
	long value;
};

static void track_rax(struct rax_track *t, const ZydisDecodedInstruction *insn,
		      const ZydisDecodedOperand *ops)
{
	if (ends_function(insn)) {
		t->have = 0;
	} else if (writes_rax(insn, ops)) {
		t->have = 1;
		t->known = rax_constant(insn, ops, &t->value);
		t->flow_since = 0;
	} else if (is_control_flow(insn)) {
		t->flow_since = 1;
	}
}

static enum sy_site_verdict rax_verdict(const struct rax_track *t)
{
	if (!t->have || !t->known || t->flow_since)
		return SY_SITE_RAX_VARIABLE;
	if (t->value < 0 || t->value >= SY_NR_MAX)
		return SY_SITE_RAX_RANGE;
	return SY_SITE_OK;
}

/* Could this instruction touch memory through rsp or rbp, or move rsp?
 * Only those need their operands decoded for the red-zone scan. */
static int needs_operands(const ZydisDecodedInstruction *insn)
{
	if (insn->meta.category == ZYDIS_CATEGORY_COND_BR ||
	    insn->meta.category == ZYDIS_CATEGORY_UNCOND_BR)
		return 1; /* its target, for branches into the path to the site */
	if ((insn->attributes & ZYDIS_ATTRIB_HAS_MODRM) && insn->raw.modrm.mod != 3 &&
	    (insn->raw.modrm.rm == 4 || insn->raw.modrm.rm == 5))
		return 1; /* a SIB byte or an rbp/rip base */
	switch (insn->mnemonic) {
	case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_ADD:
	case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_LEA:
		return 1; /* may set up a frame */
	default:
		return 0;
	}
}

#define RING 16

/*
 * The whole function [code - before, code + after) is known: decode it from
 * its first byte, check that the site is one of its instructions, find what
 * sets rax before it, and look for red-zone use anywhere in it. Operands are
 * decoded only where they matter, which keeps start-up cheap.
 */
/* The function's direct branch targets, as offsets from its start. */
struct targets {
	size_t off[512];
	size_t n;
	int overflow;
};

static void note_target(struct targets *t, const ZydisDecodedInstruction *insn,
			const ZydisDecodedOperand *ops, size_t end_off)
{
	if ((insn->meta.category != ZYDIS_CATEGORY_COND_BR &&
	     insn->meta.category != ZYDIS_CATEGORY_UNCOND_BR) ||
	    ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !ops[0].imm.is_relative)
		return;
	if (t->n == sizeof(t->off) / sizeof(t->off[0])) {
		t->overflow = 1;
		return;
	}
	t->off[t->n++] = end_off + (size_t)ops[0].imm.value.s;
}

/* A branch landing after the instruction that set rax (or on the site
 * itself: a retry loop) reaches the site with some other rax. */
static int branch_into(const struct targets *t, size_t writer, size_t site)
{
	if (t->overflow)
		return 1;
	for (size_t i = 0; i < t->n; i++)
		if (t->off[i] > writer && t->off[i] <= site)
			return 1;
	return 0;
}

/* Decodes one instruction of the function at `at`; scans it if needed. */
static int step(const uint8_t *fn, size_t at, size_t len, ZydisDecodedInstruction *insn,
		ZydisDecodedOperand *ops, struct scan *s, struct targets *t)
{
	ZydisDecoderContext ctx;
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, &ctx, fn + at, len - at, insn)))
		return 0;
	if (needs_operands(insn) && ZYAN_SUCCESS(ZydisDecoderDecodeOperands(
					&decoder, &ctx, insn, ops, insn->operand_count))) {
		scan_operands(insn, ops, s);
		note_target(t, insn, ops, at + insn->length);
	}
	return 1;
}

/*
 * The whole function [code - before, code + after) is known: decode it from
 * its first byte, check that the site is one of its instructions, find what
 * sets rax before it (with no branch into the path between), and look for
 * red-zone use anywhere in it. Operands are decoded only where they matter,
 * which keeps start-up cheap.
 */
static enum sy_site_verdict check_function(const uint8_t *code, size_t before, size_t after,
					   long *rax_out)
{
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const uint8_t *fn = code - before;
	size_t len = before + after;
	size_t ring[RING], nring = 0; /* offsets of the last instructions before the site */
	struct scan s = {0, 0, 0};
	static __thread struct targets t;
	t.n = 0;
	t.overflow = 0;
	size_t at = 0;
	while (at < before) {
		if (!step(fn, at, len, &insn, ops, &s, &t))
			return SY_SITE_NO_SYNC;
		ring[nring++ % RING] = at;
		at += insn.length;
	}
	if (at != before)
		return SY_SITE_NOT_SYSCALL; /* the bytes are inside another instruction */

	/* the rest of the function, after the site */
	for (at = before + 2; at < len;) {
		if (step(fn, at, len, &insn, ops, &s, &t))
			at += insn.length;
		else
			at++; /* padding or data inside the function's range */
	}
	if (s.red_zone_rsp || s.below_rbp > s.frame)
		return SY_SITE_RED_ZONE;

	/* rax: the last writer among the instructions just before the site */
	struct rax_track rax = {0, 0, 0, -1};
	size_t writer = 0;
	size_t first = nring > RING ? nring - RING : 0;
	for (size_t i = first; i < nring; i++) {
		size_t off = ring[i % RING];
		decode(fn + off, len - off, &insn, ops);
		int had = rax.have && !rax.flow_since;
		track_rax(&rax, &insn, ops);
		if (rax.have && !had)
			writer = off;
		else if (rax.have && writes_rax(&insn, ops))
			writer = off;
	}
	enum sy_site_verdict v = rax_verdict(&rax);
	if (v != SY_SITE_OK)
		return v;
	if (branch_into(&t, writer, before))
		return SY_SITE_RAX_VARIABLE;
	*rax_out = rax.value;
	return SY_SITE_OK;
}

/*
 * Is code[0] the first byte of an instruction? Used by the eager scan, which
 * finds `0f 05` bytes without decoding everything. Decoding from several
 * points before it converges on the real instruction stream; 1 if every path
 * lands on code[0], 0 if every path steps over it, -1 if they disagree.
 */
/* Does [start, start+len) decode exactly, its last instruction passing
 * control on to the byte after it (no ret, jmp, ud2...)? Such code runs on
 * into what follows, so that is code too. */
int sy_code_falls_through(const uint8_t *start, size_t len)
{
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	int last_ends = 1;
	decoder_init();
	for (size_t at = 0; at < len;) {
		if (!decode(start + at, len - at, &insn, ops))
			return 0;
		at += insn.length;
		last_ends = ends_function(&insn);
	}
	return !last_ends;
}

static int vote_boundary(const uint8_t *code, size_t window, size_t after)
{
	static const unsigned offsets[] = {0, 1, 2, 3, 5, 7, 11, 13};
	ZydisDecodedInstruction insn;
	int yes = 0, no = 0;
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]) && offsets[i] < window; i++) {
		const uint8_t *p = code - (window - offsets[i]);
		while (p < code) {
			if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
				&decoder, NULL, p, (size_t)(code - p) + after, &insn)))
				break;
			p += insn.length;
		}
		if (p == code)
			yes++;
		else if (p > code)
			no++;
	}
	return yes && !no ? 1 : no && !yes ? 0 : -1;
}

int sy_site_is_boundary(const uint8_t *code, size_t before, size_t after)
{
	decoder_init();
	if (before == 0)
		return 1; /* the start of a mapping starts an instruction */
	if (after > 15)
		after = 15; /* an instruction before code reaches at most this far */
	/* a short look first; the rare unclear case looks further back */
	int v = vote_boundary(code, before < 96 ? before : 96, after);
	if (v < 0 && before > 96)
		v = vote_boundary(code, before < 4096 ? before : 4096, after);
	return v;
}

enum sy_site_verdict sy_site_check(const uint8_t *code, size_t before, size_t after,
				   uintptr_t address, unsigned flags, long *nr_out)
{
	int single_thread = (flags & SY_CHECK_SINGLE_THREAD) != 0;
	int exact =
	    (flags & SY_CHECK_FUNCTION) != 0 && before <= MAX_FUNCTION && after <= MAX_FUNCTION;
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	if (after < 2 || code[0] != 0x0f || code[1] != 0x05)
		return SY_SITE_NOT_SYSCALL;
	if (address % 64 == 63 && !single_thread)
		return SY_SITE_STRADDLE;
	decoder_init();

	if (exact) {
		long nr = -1;
		enum sy_site_verdict v = check_function(code, before, after, &nr);
		if (v == SY_SITE_OK && nr_out)
			*nr_out = nr;
		return v;
	}
	size_t start = sync_before(code, before < WINDOW ? before : WINDOW);
	if (start == 0)
		return SY_SITE_NO_SYNC;

	struct scan s = {0, 0, 0};
	struct rax_track rax = {0, 0, 0, -1};
	static __thread struct targets t;
	t.n = 0;
	t.overflow = 0;
	size_t writer = 0; /* offsets from the window's start */
	for (size_t at = 0; at < start;) {
		decode(code - start + at, start - at, &insn, ops);
		note_target(&t, &insn, ops, at + insn.length);
		if (writes_rax(&insn, ops))
			writer = at;
		at += insn.length;
		track_rax(&rax, &insn, ops);
		if (ends_function(&insn))
			memset(&s, 0, sizeof(s)); /* in a window, code before may be another's */
		else
			scan_operands(&insn, ops, &s);
	}
	enum sy_site_verdict v = rax_verdict(&rax);
	if (v != SY_SITE_OK)
		return v;

	size_t limit = after - 2 < WINDOW ? after - 2 : WINDOW;
	for (size_t at = 0; at < limit;) {
		if (!decode(code + 2 + at, limit - at, &insn, ops))
			break;
		note_target(&t, &insn, ops, start + 2 + at + insn.length);
		at += insn.length;
		if (ends_function(&insn))
			break;
		scan_operands(&insn, ops, &s);
	}
	if (s.red_zone_rsp || s.below_rbp > s.frame)
		return SY_SITE_RED_ZONE;
	if (branch_into(&t, writer, start))
		return SY_SITE_RAX_VARIABLE;
	if (nr_out)
		*nr_out = rax.value;
	return SY_SITE_OK;
}

const char *sy_site_verdict_name(enum sy_site_verdict v)
{
	static const char *const names[] = {
	    [SY_SITE_OK] = "ok",
	    [SY_SITE_NOT_SYSCALL] = "not a syscall instruction",
	    [SY_SITE_STRADDLE] = "crosses a cache line",
	    [SY_SITE_NO_SYNC] = "code before it does not decode",
	    [SY_SITE_RAX_VARIABLE] = "rax is not an immediate",
	    [SY_SITE_RAX_RANGE] = "number past the sled",
	    [SY_SITE_RED_ZONE] = "code uses the red zone",
	    [SY_SITE_ANONYMOUS] = "code not backed by a private file mapping",
	    [SY_SITE_PROTECTED] = "page cannot be made writable",
	};
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}
