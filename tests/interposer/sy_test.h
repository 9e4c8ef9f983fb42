/*
 * Shared bits of the interposer integration tests.
 *
 * The exhaustiveness oracle: system call 500 does not exist, so the kernel
 * answers -ENOSYS. The test hook (hook_answer.c) answers syscall(500, MAGIC)
 * with MAGIC + 1. A program that sees MAGIC + 1 therefore knows that
 * switchyard caught that very call; natively it sees ENOSYS.
 */
#ifndef SY_TEST_H
#define SY_TEST_H

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

#define SY_MAGIC 0x5157AB1EL
#define SY_MAGIC_NR 500

/* Outcome of a group of magic calls. */
enum sy_magic_outcome {
	SY_CAUGHT = 0, /* every call answered MAGIC + 1 */
	SY_MISSED = 1, /* every call answered ENOSYS */
	SY_MIXED = 2,  /* some of each, or something else entirely */
};

/* Exit codes a child uses to report an outcome. */
#define SY_EXIT_BASE 10

static inline const char *sy_outcome_name(int o)
{
	switch (o) {
	case SY_CAUGHT:
		return "caught";
	case SY_MISSED:
		return "missed";
	default:
		return "mixed";
	}
}

/*
 * `mov $500,%eax; syscall` with MAGIC in rdi: an immediate site that
 * switchyard may rewrite. No stack use at all (so no red zone use either).
 * Returns the raw kernel value (-ENOSYS natively).
 */
__attribute__((noinline, unused)) static long sy_magic_inline(void)
{
	long ret;
	__asm__ volatile("mov $500, %%eax\n\t"
			 "syscall"
			 : "=a"(ret)
			 : "D"(SY_MAGIC)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Through libc's syscall(): variable rax, always the trap path. Does not
 * touch errno when the call was caught; compares errno only natively. */
__attribute__((noinline, unused)) static long sy_magic_libc(int *enosys)
{
	errno = 0;
	long r = syscall(SY_MAGIC_NR, SY_MAGIC);
	*enosys = (r == -1 && errno == ENOSYS);
	return r;
}

/* Classifies raw results: counts caught / missed. */
static inline void sy_tally_raw(long r, int *caught, int *missed, int *other)
{
	if (r == SY_MAGIC + 1)
		(*caught)++;
	else if (r == -ENOSYS)
		(*missed)++;
	else
		(*other)++;
}

/* Counts an outcome some other context reported (SY_CAUGHT, SY_MISSED, ...). */
static inline void sy_tally_outcome(int o, int *caught, int *missed, int *other)
{
	if (o == SY_CAUGHT)
		(*caught)++;
	else if (o == SY_MISSED)
		(*missed)++;
	else
		(*other)++;
}

/* The magic call once through libc's syscall(), counted. */
__attribute__((unused)) static void sy_tally_libc(int *caught, int *missed, int *other)
{
	int enosys;
	long r = sy_magic_libc(&enosys);
	if (r == SY_MAGIC + 1)
		(*caught)++;
	else if (enosys)
		(*missed)++;
	else
		(*other)++;
}

static inline int sy_outcome_of(int caught, int missed, int other)
{
	if (other == 0 && missed == 0 && caught > 0)
		return SY_CAUGHT;
	if (other == 0 && caught == 0 && missed > 0)
		return SY_MISSED;
	return SY_MIXED;
}

/*
 * The magic call three times through libc and three times through the
 * inline site: the first execution of a site is trapped, later ones may
 * go through the rewritten site; both must be caught.
 */
__attribute__((unused)) static int sy_magic_all(void)
{
	int caught = 0, missed = 0, other = 0;
	for (int i = 0; i < 3; i++) {
		sy_tally_libc(&caught, &missed, &other);
		sy_tally_raw(sy_magic_inline(), &caught, &missed, &other);
	}
	return sy_outcome_of(caught, missed, other);
}

/* A raw system call with a variable number: never rewritten, never touches
 * errno (safe in a thread that shares TLS with its parent). */
__attribute__((unused)) static long sy_raw6(long nr, long a1, long a2, long a3, long a4, long a5,
					    long a6)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#endif
