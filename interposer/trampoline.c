/*
 * Page 0: the target of every rewritten site. A site `syscall` becomes
 * `call *%rax`, and rax holds the system call number, so the call lands at
 * address nr. Addresses [0, SY_NR_MAX) are a sled that slides into an
 * indirect jump to sy_entry_rewritten. The sled is not one-byte nops (read(0)
 * would run 512 of them, ~30 ns) but groups of seven 0x66 prefixes and a
 * 0x90: entered at any byte, a group is one nop instruction of at most 8
 * bytes, so the slide costs ~3 ns from anywhere. The byte before each jump
 * is 0x90, so no prefix attaches to the jump.
 *
 * The rest of the page is a second sled into the same jump, so a call
 * through any small function pointer also reaches the entry stub, which sees
 * that the return address is not a rewritten site and raises SIGSEGV as the
 * kernel would have. (Without memory protection keys page 0 cannot be made
 * execute-only, so a read through a null pointer now reads these bytes
 * instead of faulting; writes still fault, the page is read-only.)
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sy.h"

#define PAGE 4096
#define JMP_RIP_LEN 6	/* ff 25 rel32: jmp *rel32(%rip) */
#define SLOT (PAGE - 8) /* the 8-byte address of the entry stub */
#define SECOND_JMP (SLOT - 8)

/* [from, to): nops of 0x66 prefixes, each group ending in 0x90 at to-1-8k */
static void fill_sled(uint8_t *page, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		page[i] = (to - 1 - i) % 8 == 0 ? 0x90 : 0x66;
}

static void put_jmp_to_slot(uint8_t *page, size_t at)
{
	int32_t rel = (int32_t)(SLOT - (at + JMP_RIP_LEN));
	page[at] = 0xff;
	page[at + 1] = 0x25;
	memcpy(page + at + 2, &rel, sizeof(rel));
}

int sy_trampoline_setup(void)
{
	long r = sy_raw6(SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r != 0) {
		if (r > 0) /* an old kernel that took 0 as a hint */
			sy_raw2(SYS_munmap, r, PAGE);
		return r < 0 ? (int)r : -EPERM;
	}
	uint8_t *page = (uint8_t *)0;
	/* gcc treats stores through a null pointer as undefined: go through asm */
	__asm__ volatile("" : "+r"(page));
	fill_sled(page, 0, SY_NR_MAX);
	put_jmp_to_slot(page, SY_NR_MAX);
	fill_sled(page, SY_NR_MAX + JMP_RIP_LEN, SECOND_JMP);
	put_jmp_to_slot(page, SECOND_JMP);
	page[SECOND_JMP + JMP_RIP_LEN] = 0xcc;
	page[SECOND_JMP + JMP_RIP_LEN + 1] = 0xcc;
	uint64_t target = (uint64_t)(uintptr_t)sy_entry_rewritten;
	memcpy(page + SLOT, &target, sizeof(target));
	r = sy_raw3(SYS_mprotect, 0, PAGE, PROT_READ | PROT_EXEC);
	if (r < 0) {
		sy_raw2(SYS_munmap, 0, PAGE);
		return (int)r;
	}
	return 0;
}
