/*
 * Unit tests of interposer/site_check.c: may a `syscall` (0f 05) become
 * `call *%rax` (ff d0)? Every snippet is a hand-assembled byte array
 * (AT&T syntax in the comments). sy_site_check reads `before` bytes before
 * `code` and `after` bytes from it, so each snippet is copied next to a
 * PROT_NONE guard page, once flush against the page after it and once
 * against the page before it, and checked both ways: a read outside the
 * bytes it was given crashes the test.
 *
 * Window mode: flags without SY_CHECK_FUNCTION (the lazy path after a trap).
 * Function mode: SY_CHECK_FUNCTION, the snippet is the whole function.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sy.h"

#define WINDOW 0u
#define FUNCTION SY_CHECK_FUNCTION
#define SINGLE SY_CHECK_SINGLE_THREAD

/* The address the site claims to have: 16 bytes into a cache line. */
#define SITE_ADDR ((uintptr_t)0x401010)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Padding between a red-zone access and the site: 40 * 6 = 240 bytes. */
#define NOP6 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 /* nopw 0x0(%rax,%rax,1) */
#define NOP6_X8 NOP6, NOP6, NOP6, NOP6, NOP6, NOP6, NOP6, NOP6
#define NOP6_X40 NOP6_X8, NOP6_X8, NOP6_X8, NOP6_X8, NOP6_X8

/* ---- the guarded arena ---- */

static uint8_t *arena; /* [guard page][data page][guard page] */
static size_t page;

static int group_setup(void **state)
{
	(void)state;
	page = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	arena = p;
	if (mprotect(arena, page, PROT_NONE) != 0 ||
	    mprotect(arena + 2 * page, page, PROT_NONE) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	munmap(arena, 3 * page);
	return 0;
}

/* Copies bytes to the start (at_end == 0) or the end of the data page. */
static uint8_t *place(const uint8_t *bytes, size_t len, int at_end)
{
	assert_true(len <= page);
	uint8_t *dst = arena + page + (at_end ? page - len : 0);
	memset(arena + page, 0xcc, page);
	memcpy(dst, bytes, len);
	return dst;
}

/* ---- checking helpers (report the caller's line) ---- */

static void verdict_equal(enum sy_site_verdict got, enum sy_site_verdict want, const char *what,
			  const char *file, int line)
{
	if (got != want)
		print_message("%s: got \"%s\" (%d), want \"%s\" (%d)\n", what,
			      sy_site_verdict_name(got), (int)got, sy_site_verdict_name(want),
			      (int)want);
	_assert_int_equal(got, want, file, line);
}

/*
 * sy_site_check on bytes[site..] with everything before it as `before` and
 * the rest as `after`, in both placements; the verdict and (for OK) the
 * number must be the same in both.
 */
static void check_at(const uint8_t *bytes, size_t len, size_t site, uintptr_t address,
		     unsigned flags, enum sy_site_verdict want, long want_nr, const char *file,
		     int line)
{
	char what[64];
	snprintf(what, sizeof(what), "site %zu, flags %u", site, flags);
	for (int at_end = 0; at_end < 2; at_end++) {
		const uint8_t *buf = place(bytes, len, at_end);
		long nr = -12345;
		enum sy_site_verdict v =
		    sy_site_check(buf + site, site, len - site, address, flags, &nr);
		verdict_equal(v, want, what, file, line);
		if (want == SY_SITE_OK)
			_assert_int_equal(nr, want_nr, file, line);
	}
}

#define CHECK(bytes, site, flags, want, nr)                                                        \
	check_at((bytes), sizeof(bytes), (site), SITE_ADDR, (flags), (want), (nr), __FILE__,       \
		 __LINE__)
/* Window and function mode, each with and without SY_CHECK_SINGLE_THREAD. */
#define CHECK_BOTH(bytes, site, want, nr)                                                          \
	do {                                                                                       \
		CHECK(bytes, site, WINDOW, want, nr);                                              \
		CHECK(bytes, site, FUNCTION, want, nr);                                            \
		CHECK(bytes, site, SINGLE, want, nr);                                              \
		CHECK(bytes, site, SINGLE | FUNCTION, want, nr);                                   \
	} while (0)

/* ---- rax: an immediate set just before, below the sled's end ---- */

static void test_rax_immediate(void **state)
{
	(void)state;
	static const uint8_t mov39[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	    0xc3,			  /* 7: ret */
	};
	CHECK_BOTH(mov39, 5, SY_SITE_OK, 39);

	static const uint8_t xor0[] = {
	    0x31, 0xc0, /* 0: xor %eax,%eax */
	    0x0f, 0x05, /* 2: syscall */
	    0xc3,	/* 4: ret */
	};
	CHECK_BOTH(xor0, 2, SY_SITE_OK, 0);

	static const uint8_t mov435[] = {
	    0xb8, 0xb3, 0x01, 0x00, 0x00, /* 0: mov $0x1b3,%eax (clone3) */
	    0x0f, 0x05,			  /* 5: syscall */
	    0xc3,			  /* 7: ret */
	};
	CHECK_BOTH(mov435, 5, SY_SITE_OK, 435);

	static const uint8_t last_in_sled[] = {
	    0x48, 0x89, 0xfe,		  /* 0: mov %rdi,%rsi */
	    0xb8, 0xff, 0x01, 0x00, 0x00, /* 3: mov $511,%eax (SY_NR_MAX - 1) */
	    0x0f, 0x05,			  /* 8: syscall */
	    0xc3,			  /* 10: ret */
	};
	CHECK_BOTH(last_in_sled, 8, SY_SITE_OK, SY_NR_MAX - 1);

	/* the mov the verdict relies on is the last writer, not the first */
	static const uint8_t overwritten[] = {
	    0x48, 0x89, 0xf8,		  /* 0: mov %rdi,%rax */
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 3: mov $39,%eax */
	    0x0f, 0x05,			  /* 8: syscall */
	    0xc3,			  /* 10: ret */
	};
	CHECK_BOTH(overwritten, 8, SY_SITE_OK, 39);

	/* nr_out may be NULL */
	const uint8_t *buf = place(mov39, sizeof(mov39), 1);
	assert_int_equal(sy_site_check(buf + 5, 5, 3, SITE_ADDR, 0, NULL), SY_SITE_OK);
	assert_int_equal(sy_site_check(buf + 5, 5, 3, SITE_ADDR, FUNCTION, NULL), SY_SITE_OK);
}

static void test_rax_range(void **state)
{
	(void)state;
	static const uint8_t mov600[] = {
	    0xb8, 0x58, 0x02, 0x00, 0x00, /* 0: mov $600,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	    0xc3,			  /* 7: ret */
	};
	CHECK_BOTH(mov600, 5, SY_SITE_RAX_RANGE, 0);

	static const uint8_t mov512[] = {
	    0xb8, 0x00, 0x02, 0x00, 0x00, /* 0: mov $512,%eax (SY_NR_MAX) */
	    0x0f, 0x05,			  /* 5: syscall */
	    0xc3,			  /* 7: ret */
	};
	CHECK_BOTH(mov512, 5, SY_SITE_RAX_RANGE, 0);

	static const uint8_t minus1[] = {
	    0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, /* 0: mov $-1,%rax */
	    0x0f, 0x05,				      /* 7: syscall */
	    0xc3,				      /* 9: ret */
	};
	CHECK_BOTH(minus1, 7, SY_SITE_RAX_RANGE, 0);

	static const uint8_t eax_ffffffff[] = {
	    0xb8, 0xff, 0xff, 0xff, 0xff, /* 0: mov $0xffffffff,%eax (rax = 2^32 - 1) */
	    0x0f, 0x05,			  /* 5: syscall */
	    0xc3,			  /* 7: ret */
	};
	CHECK_BOTH(eax_ffffffff, 5, SY_SITE_RAX_RANGE, 0);

	static const uint8_t movabs[] = {
	    0x48, 0xb8, 0x27, 0x00, 0x00,
	    0x00, 0x01, 0x00, 0x00, 0x00, /* 0: movabs $0x100000027,%rax */
	    0x0f, 0x05,			  /* 10: syscall */
	    0xc3,			  /* 12: ret */
	};
	CHECK_BOTH(movabs, 10, SY_SITE_RAX_RANGE, 0);
}

static void test_rax_variable(void **state)
{
	(void)state;
	static const uint8_t from_rdi[] = {
	    0x48, 0x89, 0xf8, /* 0: mov %rdi,%rax */
	    0x0f, 0x05,	      /* 3: syscall */
	    0xc3,	      /* 5: ret */
	};
	CHECK_BOTH(from_rdi, 3, SY_SITE_RAX_VARIABLE, 0);

	static const uint8_t no_writer[] = {
	    0x48, 0x89, 0xfe, /* 0: mov %rdi,%rsi */
	    0x0f, 0x05,	      /* 3: syscall */
	    0xc3,	      /* 5: ret */
	};
	CHECK_BOTH(no_writer, 3, SY_SITE_RAX_VARIABLE, 0);

	static const uint8_t jcc_between[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x85, 0xff,			  /* 5: test %edi,%edi */
	    0x74, 0x00,			  /* 7: je 9 */
	    0x0f, 0x05,			  /* 9: syscall */
	    0xc3,			  /* 11: ret */
	};
	CHECK_BOTH(jcc_between, 9, SY_SITE_RAX_VARIABLE, 0);

	static const uint8_t call_between[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0xe8, 0x00, 0x00, 0x00, 0x00, /* 5: call 10 */
	    0x0f, 0x05,			  /* 10: syscall */
	    0xc3,			  /* 12: ret */
	};
	CHECK_BOTH(call_between, 10, SY_SITE_RAX_VARIABLE, 0);

	/* the first syscall's result is in rax at the second */
	static const uint8_t second_syscall[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	    0x0f, 0x05,			  /* 7: syscall */
	    0xc3,			  /* 9: ret */
	};
	CHECK_BOTH(second_syscall, 5, SY_SITE_OK, 39);
	CHECK_BOTH(second_syscall, 7, SY_SITE_RAX_VARIABLE, 0);

	static const uint8_t add_after[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x83, 0xc0, 0x01,		  /* 5: add $1,%eax */
	    0x0f, 0x05,			  /* 8: syscall */
	    0xc3,			  /* 10: ret */
	};
	CHECK_BOTH(add_after, 8, SY_SITE_RAX_VARIABLE, 0);

	static const uint8_t partial_write[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0xb4, 0x01,			  /* 5: mov $1,%ah */
	    0x0f, 0x05,			  /* 7: syscall */
	    0xc3,			  /* 9: ret */
	};
	CHECK_BOTH(partial_write, 7, SY_SITE_RAX_VARIABLE, 0);

	/* a mov before a ret belongs to other code */
	static const uint8_t after_ret[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0xc3,			  /* 5: ret */
	    0x0f, 0x05,			  /* 6: syscall */
	    0xc3,			  /* 8: ret */
	};
	CHECK_BOTH(after_ret, 6, SY_SITE_RAX_VARIABLE, 0);
}

/* ---- the red zone ---- */

static void test_red_zone_near(void **state)
{
	(void)state;
	static const uint8_t store_before[] = {
	    0x48, 0x89, 0x7c, 0x24, 0xf8, /* 0: mov %rdi,-0x8(%rsp) */
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 5: mov $39,%eax */
	    0x0f, 0x05,			  /* 10: syscall */
	    0xc3,			  /* 12: ret */
	};
	CHECK_BOTH(store_before, 10, SY_SITE_RED_ZONE, 0);

	static const uint8_t load_after[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	    0x48, 0x8b, 0x44, 0x24, 0xf0, /* 7: mov -0x10(%rsp),%rax */
	    0xc3,			  /* 12: ret */
	};
	CHECK_BOTH(load_after, 5, SY_SITE_RED_ZONE, 0);

	/* glibc's __longjmp_chk: sigaltstack(NULL, rsp - 24) */
	static const uint8_t lea_below[] = {
	    0x31, 0xff,			  /* 0: xor %edi,%edi */
	    0x48, 0x8d, 0x74, 0x24, 0xe8, /* 2: lea -0x18(%rsp),%rsi */
	    0xb8, 0x83, 0x00, 0x00, 0x00, /* 7: mov $131,%eax (sigaltstack) */
	    0x0f, 0x05,			  /* 12: syscall */
	    0xc3,			  /* 14: ret */
	};
	CHECK_BOTH(lea_below, 12, SY_SITE_RED_ZONE, 0);

	static const uint8_t above_rsp[] = {
	    0x48, 0x89, 0x7c, 0x24, 0x08, /* 0: mov %rdi,0x8(%rsp) */
	    0x48, 0x8d, 0x74, 0x24, 0x18, /* 5: lea 0x18(%rsp),%rsi */
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 10: mov $39,%eax */
	    0x0f, 0x05,			  /* 15: syscall */
	    0x48, 0x8b, 0x44, 0x24, 0x10, /* 17: mov 0x10(%rsp),%rax */
	    0xc3,			  /* 22: ret */
	};
	CHECK_BOTH(above_rsp, 15, SY_SITE_OK, 39);
}

static void test_red_zone_rbp(void **state)
{
	(void)state;
	/* gcc -O0 leaf: a frame pointer, locals below it, rsp never moved */
	static const uint8_t leaf[] = {
	    0x55,			  /* 0: push %rbp */
	    0x48, 0x89, 0xe5,		  /* 1: mov %rsp,%rbp */
	    0x48, 0x89, 0x7d, 0xf8,	  /* 4: mov %rdi,-0x8(%rbp) */
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 8: mov $39,%eax */
	    0x0f, 0x05,			  /* 13: syscall */
	    0x5d,			  /* 15: pop %rbp */
	    0xc3,			  /* 16: ret */
	};
	CHECK_BOTH(leaf, 13, SY_SITE_RED_ZONE, 0);

	/* the same with the locals inside a frame */
	static const uint8_t framed[] = {
	    0x55,			  /* 0: push %rbp */
	    0x48, 0x89, 0xe5,		  /* 1: mov %rsp,%rbp */
	    0x48, 0x83, 0xec, 0x20,	  /* 4: sub $0x20,%rsp */
	    0x48, 0x89, 0x7d, 0xf8,	  /* 8: mov %rdi,-0x8(%rbp) */
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 12: mov $39,%eax */
	    0x0f, 0x05,			  /* 17: syscall */
	    0xc9,			  /* 19: leave */
	    0xc3,			  /* 20: ret */
	};
	CHECK_BOTH(framed, 17, SY_SITE_OK, 39);
}

/* Red-zone use the window cannot see: only function mode refuses these.
 * The window verdicts show that the access really is out of its sight. */
static void test_red_zone_far(void **state)
{
	(void)state;
	static const uint8_t far_before[] = {
	    0x48,     0x89, 0x7c, 0x24, 0xf8, /* 0: mov %rdi,-0x8(%rsp) */
	    NOP6_X40,			      /* 5: 240 bytes of nopw */
	    0xb8,     0x27, 0x00, 0x00, 0x00, /* 245: mov $39,%eax */
	    0x0f,     0x05,		      /* 250: syscall */
	    0xc3,			      /* 252: ret */
	};
	CHECK(far_before, 250, FUNCTION, SY_SITE_RED_ZONE, 0);
	CHECK(far_before, 250, FUNCTION | SINGLE, SY_SITE_RED_ZONE, 0);
	CHECK(far_before, 250, WINDOW, SY_SITE_OK, 39);

	static const uint8_t far_after[] = {
	    0xb8,     0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f,     0x05,		      /* 5: syscall */
	    NOP6_X40,			      /* 7: 240 bytes of nopw */
	    0x48,     0x8b, 0x44, 0x24, 0xf0, /* 247: mov -0x10(%rsp),%rax */
	    0xc3,			      /* 252: ret */
	};
	CHECK(far_after, 5, FUNCTION, SY_SITE_RED_ZONE, 0);
	CHECK(far_after, 5, WINDOW, SY_SITE_OK, 39);

	static const uint8_t behind_jmp_after[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	    0xeb, 0x06,			  /* 7: jmp 15 */
	    0x48, 0x89, 0x7c, 0x24, 0xf8, /* 9: mov %rdi,-0x8(%rsp) */
	    0xc3,			  /* 14: ret */
	    0xc3,			  /* 15: ret */
	};
	CHECK(behind_jmp_after, 5, FUNCTION, SY_SITE_RED_ZONE, 0);
	CHECK(behind_jmp_after, 5, WINDOW, SY_SITE_OK, 39);

	static const uint8_t behind_jmp_before[] = {
	    0x48, 0x89, 0x7c, 0x24, 0xf8, /* 0: mov %rdi,-0x8(%rsp) */
	    0xeb, 0x00,			  /* 5: jmp 7 */
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 7: mov $39,%eax */
	    0x0f, 0x05,			  /* 12: syscall */
	    0xc3,			  /* 14: ret */
	};
	CHECK(behind_jmp_before, 12, FUNCTION, SY_SITE_RED_ZONE, 0);
	CHECK(behind_jmp_before, 12, WINDOW, SY_SITE_OK, 39);
}

/* ---- is it a syscall instruction at all? ---- */

static void test_inside_instruction(void **state)
{
	(void)state;
	static const uint8_t imm32[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0xb9, 0x0f, 0x05, 0x00, 0x00, /* 5: mov $0x50f,%ecx */
	    0x0f, 0x05,			  /* 10: syscall */
	    0xc3,			  /* 12: ret */
	};
	CHECK(imm32, 6, FUNCTION, SY_SITE_NOT_SYSCALL, 0);
	CHECK(imm32, 6, FUNCTION | SINGLE, SY_SITE_NOT_SYSCALL, 0);
	CHECK_BOTH(imm32, 10, SY_SITE_OK, 39); /* the real one */

	static const uint8_t imm64[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00,	/* 0: mov $39,%eax */
	    0x48, 0xb9, 0x00, 0x00, 0x00, 0x00, /* 5: movabs $0x50f00000000,%rcx */
	    0x0f, 0x05, 0x00, 0x00,		/*    (0f 05 at 11) */
	    0x0f, 0x05,				/* 15: syscall */
	    0xc3,				/* 17: ret */
	};
	CHECK(imm64, 11, FUNCTION, SY_SITE_NOT_SYSCALL, 0);
	CHECK_BOTH(imm64, 15, SY_SITE_OK, 39);
}

static void test_not_syscall_bytes(void **state)
{
	(void)state;
	static const uint8_t ud2[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f, 0x0b,			  /* 5: ud2 */
	    0x0f, 0x05,			  /* 7: syscall */
	};
	CHECK_BOTH(ud2, 5, SY_SITE_NOT_SYSCALL, 0); /* 0f 0b */
	CHECK_BOTH(ud2, 0, SY_SITE_NOT_SYSCALL, 0); /* b8 27 */
	CHECK_BOTH(ud2, 8, SY_SITE_NOT_SYSCALL, 0); /* only 05 left */

	/* `after` must hold both bytes */
	static const uint8_t mov39[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	};
	for (int at_end = 0; at_end < 2; at_end++) {
		const uint8_t *buf = place(mov39, sizeof(mov39), at_end);
		long nr = 0;
		assert_int_equal(sy_site_check(buf + 5, 5, 1, SITE_ADDR, 0, &nr),
				 SY_SITE_NOT_SYSCALL);
		assert_int_equal(sy_site_check(buf + 5, 5, 1, SITE_ADDR, FUNCTION, &nr),
				 SY_SITE_NOT_SYSCALL);
		assert_int_equal(sy_site_check(buf + 5, 5, 0, SITE_ADDR, 0, &nr),
				 SY_SITE_NOT_SYSCALL);
		assert_int_equal(sy_site_check(buf + 5, 5, 2, SITE_ADDR, 0, &nr), SY_SITE_OK);
		assert_int_equal(nr, 39);
		nr = 0;
		assert_int_equal(sy_site_check(buf + 5, 5, 2, SITE_ADDR, FUNCTION, &nr),
				 SY_SITE_OK);
		assert_int_equal(nr, 39);
	}
}

/* ---- cache lines ---- */

static void test_straddle(void **state)
{
	(void)state;
	static const uint8_t mov39[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	    0xc3,			  /* 7: ret */
	};
	const size_t n = sizeof(mov39);
	const uintptr_t line = 0x401000;
	check_at(mov39, n, 5, line + 63, WINDOW, SY_SITE_STRADDLE, 0, __FILE__, __LINE__);
	check_at(mov39, n, 5, line + 63, FUNCTION, SY_SITE_STRADDLE, 0, __FILE__, __LINE__);
	check_at(mov39, n, 5, line + 63, SINGLE, SY_SITE_OK, 39, __FILE__, __LINE__);
	check_at(mov39, n, 5, line + 63, SINGLE | FUNCTION, SY_SITE_OK, 39, __FILE__, __LINE__);
	check_at(mov39, n, 5, line + 62, WINDOW, SY_SITE_OK, 39, __FILE__, __LINE__);
	check_at(mov39, n, 5, line + 64, WINDOW, SY_SITE_OK, 39, __FILE__, __LINE__);
	check_at(mov39, n, 5, line + 64 + 63, FUNCTION, SY_SITE_STRADDLE, 0, __FILE__, __LINE__);
	/* the check does not depend on the bytes' own address */
	check_at(mov39, n, 5, line + 63 - 128, WINDOW, SY_SITE_STRADDLE, 0, __FILE__, __LINE__);
}

/* ---- decoding before the site ---- */

static void test_no_sync(void **state)
{
	(void)state;
	/* 06 is invalid in 64-bit mode, so no run of instructions ends at the site */
	static const uint8_t garbage[] = {
	    0x06, 0x06, 0x06, 0x06, /* 0: (bad) x4 */
	    0x0f, 0x05,		    /* 4: syscall */
	    0xc3,		    /* 6: ret */
	};
	CHECK(garbage, 4, WINDOW, SY_SITE_NO_SYNC, 0);
	CHECK(garbage, 4, FUNCTION, SY_SITE_NO_SYNC, 0);

	/* function mode decodes from the first byte; the window finds the mov */
	static const uint8_t bad_start[] = {
	    0x06,			  /* 0: (bad) */
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 1: mov $39,%eax */
	    0x0f, 0x05,			  /* 6: syscall */
	    0xc3,			  /* 8: ret */
	};
	CHECK(bad_start, 6, FUNCTION, SY_SITE_NO_SYNC, 0);
	CHECK(bad_start, 6, WINDOW, SY_SITE_OK, 39);

	/* nothing before: the window has nothing to decode */
	static const uint8_t at_start[] = {
	    0x0f, 0x05, /* 0: syscall */
	    0xc3,	/* 2: ret */
	};
	CHECK(at_start, 0, WINDOW, SY_SITE_NO_SYNC, 0);

	/* undecodable bytes after the site (padding, data) are stepped over */
	static const uint8_t tail_data[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	    0xc3,			  /* 7: ret */
	    0x06, 0x06,			  /* 8: (bad) x2 */
	};
	CHECK(tail_data, 5, FUNCTION, SY_SITE_OK, 39);
}

/* ---- sy_site_is_boundary ---- */

/* A glibc-style wrapper; the site is at 10. */
static const uint8_t wrapper[] = {
    0xf3, 0x0f, 0x1e, 0xfa,		/* 0: endbr64 */
    0x48, 0x63, 0xff,			/* 4: movslq %edi,%rdi */
    0x31, 0xc0,				/* 7: xor %eax,%eax */
    0x90,				/* 9: nop */
    0x0f, 0x05,				/* 10: syscall */
    0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff, /* 12: cmp $-4096,%rax */
    0x77, 0x01,				/* 18: ja 21 */
    0xc3,				/* 20: ret */
    0xf7, 0xd8,				/* 21: neg %eax */
    0xc3,				/* 23: ret */
};

static int boundary(const uint8_t *bytes, size_t len, size_t site, int at_end)
{
	const uint8_t *buf = place(bytes, len, at_end);
	return sy_site_is_boundary(buf + site, site, len - site);
}

static void test_boundary(void **state)
{
	(void)state;
	static const uint8_t long_wrapper[] = {
	    0xf3,     0x0f, 0x1e, 0xfa,	      /* 0: endbr64 */
	    0x48,     0x89, 0x7c, 0x24, 0x08, /* 4: mov %rdi,0x8(%rsp) */
	    NOP6_X40,			      /* 9: 240 bytes of nopw */
	    0x48,     0x63, 0xff,	      /* 249: movslq %edi,%rdi */
	    0xb8,     0x27, 0x00, 0x00, 0x00, /* 252: mov $39,%eax */
	    0x0f,     0x05,		      /* 257: syscall */
	    0xc3,			      /* 259: ret */
	};
	static const uint8_t imm32[] = {
	    0xf3, 0x0f, 0x1e, 0xfa,	  /* 0: endbr64 */
	    0x48, 0x89, 0xfe,		  /* 4: mov %rdi,%rsi */
	    0xb9, 0x0f, 0x05, 0x00, 0x00, /* 7: mov $0x50f,%ecx (0f 05 at 8) */
	    0x48, 0x89, 0xc8,		  /* 12: mov %rcx,%rax */
	    0xc3,			  /* 15: ret */
	};
	static const uint8_t imm64[] = {
	    0xf3, 0x0f, 0x1e, 0xfa,		      /* 0: endbr64 */
	    0x48, 0x89, 0xfe,			      /* 4: mov %rdi,%rsi */
	    0x48, 0xb9, 0x00, 0x00, 0x0f, 0x05,	      /* 7: movabs $0x50f0000,%rcx (0f 05 at 11) */
	    0x00, 0x00, 0x00, 0x00, 0x48, 0x89, 0xc8, /* 17: mov %rcx,%rax */
	    0xc3,				      /* 20: ret */
	};
	/* Without the endbr64, the path decoded from byte 2 reads
	 * `dec -0x47(%rax); add %al,(%rax)` and lands on the 0f: the paths
	 * disagree, so the answer is "unclear". */
	static const uint8_t unclear[] = {
	    0x48, 0x89, 0xfe,			      /* 0: mov %rdi,%rsi */
	    0x48, 0xb9, 0x00, 0x00, 0x0f, 0x05,	      /* 3: movabs $0x50f0000,%rcx (0f 05 at 7) */
	    0x00, 0x00, 0x00, 0x00, 0x48, 0x89, 0xc8, /* 13: mov %rcx,%rax */
	    0xc3,				      /* 16: ret */
	};
	for (int at_end = 0; at_end < 2; at_end++) {
		assert_int_equal(boundary(wrapper, sizeof(wrapper), 10, at_end), 1);
		assert_int_equal(boundary(long_wrapper, sizeof(long_wrapper), 257, at_end), 1);
		assert_int_equal(boundary(imm32, sizeof(imm32), 8, at_end), 0);
		assert_int_equal(boundary(imm64, sizeof(imm64), 11, at_end), 0);
		assert_int_equal(boundary(unclear, sizeof(unclear), 7, at_end), -1);
		/* the start of a mapping starts an instruction */
		assert_int_equal(boundary(wrapper + 10, sizeof(wrapper) - 10, 0, at_end), 1);
	}
}

/* ---- sy_code_falls_through ---- */

static int falls_through(const uint8_t *bytes, size_t len)
{
	int a = sy_code_falls_through(place(bytes, len, 1), len);
	int b = sy_code_falls_through(place(bytes, len, 0), len);
	assert_int_equal(a, b);
	return a;
}

#define FALLS(bytes) falls_through((bytes), sizeof(bytes))

static void test_falls_through(void **state)
{
	(void)state;
	/* glibc's clone: the unwind information ends before the child's syscall */
	static const uint8_t exit_nr[] = {
	    0x31, 0xff,			  /* 0: xor %edi,%edi */
	    0xb8, 0x38, 0x00, 0x00, 0x00, /* 2: mov $56,%eax */
	};
	assert_int_equal(FALLS(exit_nr), 1);
	static const uint8_t only_mov[] = {
	    0xb8, 0x38, 0x00, 0x00, 0x00, /* 0: mov $56,%eax */
	};
	assert_int_equal(FALLS(only_mov), 1);
	static const uint8_t jcc_last[] = {
	    0x85, 0xff, /* 0: test %edi,%edi */
	    0x75, 0x05, /* 2: jne 9 */
	};
	assert_int_equal(FALLS(jcc_last), 1);
	static const uint8_t syscall_last[] = {
	    0xb8, 0x38, 0x00, 0x00, 0x00, /* 0: mov $56,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	};
	assert_int_equal(FALLS(syscall_last), 1);

	static const uint8_t ret_last[] = {
	    0xb8, 0x38, 0x00, 0x00, 0x00, /* 0: mov $56,%eax */
	    0xc3,			  /* 5: ret */
	};
	assert_int_equal(FALLS(ret_last), 0);
	static const uint8_t jmp_last[] = {
	    0xb8, 0x38, 0x00, 0x00, 0x00, /* 0: mov $56,%eax */
	    0xeb, 0xf9,			  /* 5: jmp 0 */
	};
	assert_int_equal(FALLS(jmp_last), 0);
	static const uint8_t jmp_reg_last[] = {
	    0x48, 0x89, 0xf8, /* 0: mov %rdi,%rax */
	    0xff, 0xe0,	      /* 3: jmp *%rax */
	};
	assert_int_equal(FALLS(jmp_reg_last), 0);
	static const uint8_t ud2_last[] = {
	    0xb8, 0x38, 0x00, 0x00, 0x00, /* 0: mov $56,%eax */
	    0x0f, 0x0b,			  /* 5: ud2 */
	};
	assert_int_equal(FALLS(ud2_last), 0);

	static const uint8_t bad[] = {
	    0xb8, 0x38, 0x00, 0x00, 0x00, /* 0: mov $56,%eax */
	    0x06,			  /* 5: (bad) */
	};
	assert_int_equal(FALLS(bad), 0);
	static const uint8_t truncated[] = {
	    0x31, 0xff,	      /* 0: xor %edi,%edi */
	    0xb8, 0x38, 0x00, /* 2: mov $56,%eax, cut short */
	};
	assert_int_equal(FALLS(truncated), 0);
	/* the length matters: the same bytes cut after the mov fall through */
	assert_int_equal(falls_through(ret_last, 5), 1);
}

/* ---- sy_site_verdict_name ---- */

static void test_verdict_names(void **state)
{
	(void)state;
	for (int i = 0; i < SY_SITE_VERDICTS; i++) {
		const char *a = sy_site_verdict_name((enum sy_site_verdict)i);
		assert_non_null(a);
		assert_true(a[0] != 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a, sy_site_verdict_name((enum sy_site_verdict)j));
	}
	/* out of range: still a string */
	assert_non_null(sy_site_verdict_name(SY_SITE_VERDICTS));
	assert_non_null(sy_site_verdict_name((enum sy_site_verdict) - 1));
}

/* ---- frames too small for their locals, branches into the path to the site ---- */

/*
 * gcc -O0 on a leaf function with 256 bytes of locals: rsp is lowered by
 * only 0xa8, and the locals reach 0x118 below rbp, i.e. 0x70 bytes into the
 * red zone; a pointer to them is even the syscall's argument. Any `sub` of
 * rsp counts as a frame, whatever its size against the rbp displacements.
 */
static void test_small_frame(void **state)
{
	(void)state;
	static const uint8_t leaf[] = {
	    0x55,				      /* 0: push %rbp */
	    0x48, 0x89, 0xe5,			      /* 1: mov %rsp,%rbp */
	    0x48, 0x81, 0xec, 0xa8, 0x00, 0x00, 0x00, /* 4: sub $0xa8,%rsp */
	    0x48, 0x89, 0xbd, 0xe8, 0xfe, 0xff, 0xff, /* 11: mov %rdi,-0x118(%rbp) */
	    0x48, 0x8b, 0x85, 0xe8, 0xfe, 0xff, 0xff, /* 18: mov -0x118(%rbp),%rax */
	    0x88, 0x85, 0xf0, 0xfe, 0xff, 0xff,	      /* 25: mov %al,-0x110(%rbp) */
	    0xb8, 0x27, 0x00, 0x00, 0x00,	      /* 31: mov $39,%eax */
	    0x48, 0x8d, 0x95, 0xf0, 0xfe, 0xff, 0xff, /* 36: lea -0x110(%rbp),%rdx */
	    0x48, 0x89, 0xd7,			      /* 43: mov %rdx,%rdi */
	    0x0f, 0x05,				      /* 46: syscall */
	    0x48, 0x89, 0x45, 0xf8,		      /* 48: mov %rax,-0x8(%rbp) */
	    0x0f, 0xb6, 0x85, 0xf0, 0xfe, 0xff, 0xff, /* 52: movzbl -0x110(%rbp),%eax */
	    0x48, 0x0f, 0xbe, 0xd0,		      /* 59: movsbq %al,%rdx */
	    0x48, 0x8b, 0x45, 0xf8,		      /* 63: mov -0x8(%rbp),%rax */
	    0x48, 0x01, 0xd0,			      /* 67: add %rdx,%rax */
	    0xc9,				      /* 70: leave */
	    0xc3,				      /* 71: ret */
	};
	CHECK_BOTH(leaf, 46, SY_SITE_RED_ZONE, 0);
}

/* A branch lands between the mov and the syscall: on that path rax is rdi. */
static void test_branch_over_mov(void **state)
{
	(void)state;
	static const uint8_t skip_mov[] = {
	    0x48, 0x89, 0xf8,		  /* 0: mov %rdi,%rax */
	    0x85, 0xf6,			  /* 3: test %esi,%esi */
	    0x75, 0x05,			  /* 5: jne 12 */
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 7: mov $39,%eax */
	    0x0f, 0x05,			  /* 12: syscall */
	    0xc3,			  /* 14: ret */
	};
	CHECK_BOTH(skip_mov, 12, SY_SITE_RAX_VARIABLE, 0);
}

/* A retry loop back onto the syscall: the second time rax is -EINTR. */
static void test_branch_back(void **state)
{
	(void)state;
	static const uint8_t retry[] = {
	    0xb8, 0x27, 0x00, 0x00, 0x00, /* 0: mov $39,%eax */
	    0x0f, 0x05,			  /* 5: syscall */
	    0x48, 0x83, 0xf8, 0xfc,	  /* 7: cmp $-4,%rax */
	    0x74, 0xf8,			  /* 11: je 5 */
	    0xc3,			  /* 13: ret */
	};
	CHECK_BOTH(retry, 5, SY_SITE_RAX_VARIABLE, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rax_immediate),      cmocka_unit_test(test_rax_range),
	    cmocka_unit_test(test_rax_variable),       cmocka_unit_test(test_red_zone_near),
	    cmocka_unit_test(test_red_zone_rbp),       cmocka_unit_test(test_red_zone_far),
	    cmocka_unit_test(test_inside_instruction), cmocka_unit_test(test_not_syscall_bytes),
	    cmocka_unit_test(test_straddle),	       cmocka_unit_test(test_no_sync),
	    cmocka_unit_test(test_boundary),	       cmocka_unit_test(test_falls_through),
	    cmocka_unit_test(test_verdict_names),      cmocka_unit_test(test_small_frame),
	    cmocka_unit_test(test_branch_over_mov),    cmocka_unit_test(test_branch_back),
	};
	return cmocka_run_group_tests_name("site_check", tests, group_setup, group_teardown);
}
