/*
 * Where functions start and end, from the unwind tables every x86-64 object
 * carries (.eh_frame_hdr, PT_GNU_EH_FRAME). The eager scan decodes each
 * function that holds `0f 05` bytes from its exact start, so it knows which
 * of them are syscall instructions and whether the function uses the red
 * zone anywhere; bytes outside every function (data in .text, code without
 * unwind information) are left to Syscall User Dispatch.
 */
#include <elf.h>
#include <string.h>

#include "sy.h"

#define DW_EH_PE_datarel_sdata4 0x3b /* the table encoding of every x86-64 toolchain */
#define DW_EH_PE_udata4 0x03
#define DW_EH_PE_pcrel_sdata4 0x1b

/* Finds the object's ELF header for a mapping of `file_offset` at `map_start`
 * and its unwind table; 0 on success. Reads through sy_copy_in, so a mapping
 * that is not what it seems gives an error, not a crash. */
int sy_functions_open(uintptr_t map_start, uint64_t file_offset, struct sy_functions *out)
{
	Elf64_Ehdr eh;
	uintptr_t base = map_start - file_offset;
	memset(out, 0, sizeof(*out));
	if (sy_copy_in(&eh, (const void *)base, sizeof(eh)) < 0 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64)
		return -1;
	Elf64_Phdr ph[64];
	if (sy_copy_in(ph, (const void *)(base + eh.e_phoff), eh.e_phnum * sizeof(Elf64_Phdr)) < 0)
		return -1;
	/* ET_EXEC objects are not relocated: addresses are absolute */
	uintptr_t load_bias = eh.e_type == ET_DYN ? base : 0;
	int consistent = 0;
	uintptr_t hdr = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= file_offset &&
		    file_offset < ph[i].p_offset + ph[i].p_filesz)
			consistent =
			    load_bias + ph[i].p_vaddr + (file_offset - ph[i].p_offset) == map_start;
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			hdr = load_bias + ph[i].p_vaddr;
	}
	if (!consistent || !hdr)
		return -1;
	uint8_t h[12];
	if (sy_copy_in(h, (const void *)hdr, sizeof(h)) < 0 || h[0] != 1 ||
	    h[1] != DW_EH_PE_pcrel_sdata4 || h[2] != DW_EH_PE_udata4 ||
	    h[3] != DW_EH_PE_datarel_sdata4)
		return -1;
	uint32_t count;
	memcpy(&count, h + 8, sizeof(count));
	out->hdr = hdr;
	out->table = (const int32_t *)(hdr + 12);
	out->count = count;
	/* the table must be readable as a whole */
	if (count && sy_copy_in(h, (const void *)(out->table + 2 * (count - 1)), 8) < 0)
		return -1;
	return 0;
}

/* The function starting last at or before addr: [*start, *end), and where
 * the next one starts (0 if none). addr may lie past *end, in a gap.
 * Returns 0, or -1 if no function starts at or before addr. */
int sy_functions_find(const struct sy_functions *f, uintptr_t addr, uintptr_t *start,
		      uintptr_t *end, uintptr_t *next)
{
	if (!f->count)
		return -1;
	size_t lo = 0, hi = f->count;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (f->hdr + (intptr_t)f->table[2 * mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	uintptr_t fn = f->hdr + (intptr_t)f->table[2 * lo];
	if (fn > addr)
		return -1;
	/* The FDE: length, CIE pointer, pc_begin (pc-relative), pc_range. */
	uintptr_t fde = f->hdr + (intptr_t)f->table[2 * lo + 1];
	int32_t words[4];
	if (sy_copy_in(words, (const void *)fde, sizeof(words)) < 0)
		return -1;
	if (fde + 8 + (intptr_t)words[2] != fn || words[3] <= 0)
		return -1; /* not the usual encoding: do not guess */
	*start = fn;
	*end = fn + (uint32_t)words[3];
	*next = lo + 1 < f->count ? f->hdr + (intptr_t)f->table[2 * (lo + 1)] : 0;
	return 0;
}
