/*
 * Page 0: the target of every rewritten site. A site `syscall` becomes
 * `call *%rax`, and rax holds the system call number, so the call lands at
 * address nr. Addresses [0, SY_NR_MAX) are a sled of one-byte nops that slides
 * into an indirect jump to sy_entry_rewritten.
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
#define JMP_RIP_LEN 6 /* ff 25 rel32: jmp *rel32(%rip) */
#define SLOT (PAGE - 8) /* the 8-byte address of the entry stub */
#define SECOND_JMP (SLOT - 8)

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
	memset(page, 0x90, PAGE);
	put_jmp_to_slot(page, SY_NR_MAX);
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
