/*
 * The syscall ABI holds (ARCHITECTURE.md, contract 4): only rax, rcx and r11
 * change across a system call. Every other general register, the flags
 * (CF PF AF ZF SF OF, DF=1), mxcsr, the x87 control word and stack, xmm/ymm
 * (and zmm0-31 and k0-7 where AVX-512 exists) and the 128-byte red zone
 * below rsp must come back as they were.
 *
 * The sites are in abi_asm.S. Each context runs every site of its own many
 * times with different register patterns: the first call of a site is
 * trapped (Syscall User Dispatch), later ones go through the rewritten site
 * where switchyard rewrote it.
 *
 * Usage: sy_test_abi [--rewritten=yes|no|any] [--iterations=N] [--hard]
 *   --rewritten=yes  the rbx-kind sites must have been rewritten to
 *                    `call *%rax` and the rsp-kind ones must still trap
 *                    (`syscall`, or `int3` which switchyard serves from
 *                    SIGTRAP) (default mode as root); no: every site is still
 *                    `syscall` (native, sud); any (default): only that no
 *                    site using the red zone through rsp became a call.
 *   --hard           run only the harder red-zone sites (far from the site,
 *                    behind jumps), see abi_asm.S.
 * Prints one line per context and site; exits 0 iff nothing changed.
 */
#include <cpuid.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"

_Static_assert(offsetof(struct abi_regs, rflags) == ABI_RFLAGS, "layout");
_Static_assert(offsetof(struct abi_regs, rsp) == ABI_RSP, "layout");
_Static_assert(offsetof(struct abi_regs, rsp_before) == ABI_RSP_BEFORE, "layout");
_Static_assert(offsetof(struct abi_regs, ret) == ABI_RET, "layout");
_Static_assert(offsetof(struct abi_regs, mxcsr) == ABI_MXCSR, "layout");
_Static_assert(offsetof(struct abi_regs, fcw) == ABI_FCW, "layout");
_Static_assert(offsetof(struct abi_regs, st0) == ABI_ST0, "layout");
_Static_assert(offsetof(struct abi_regs, k) == ABI_K, "layout");
_Static_assert(offsetof(struct abi_regs, rz) == ABI_RZ, "layout");
_Static_assert(offsetof(struct abi_regs, zmm) == ABI_ZMM, "layout");
_Static_assert(sizeof(struct abi_regs) == ABI_SIZE, "layout");

static const char *const gpr_names[12] = {"rbx", "rdx", "rsi", "rdi", "rbp", "r8",
					  "r9",	 "r10", "r12", "r13", "r14", "r15"};

/* CF PF AF ZF SF DF OF */
#define FLAGS_CHECKED 0xcd5UL
#define FLAG_DF 0x400UL

#define DECLARE_CTX(ctx)                                                                           \
	void abi_##ctx##_rsp_110(struct abi_regs *, struct abi_regs *, long);                      \
	void abi_##ctx##_rsp_500(struct abi_regs *, struct abi_regs *, long);                      \
	void abi_##ctx##_rbx_110(struct abi_regs *, struct abi_regs *, long);                      \
	void abi_##ctx##_rbx_500(struct abi_regs *, struct abi_regs *, long);                      \
	extern const unsigned char abi_##ctx##_rsp_110_site[];                                     \
	extern const unsigned char abi_##ctx##_rsp_500_site[];                                     \
	extern const unsigned char abi_##ctx##_rbx_110_site[];                                     \
	extern const unsigned char abi_##ctx##_rbx_500_site[];
DECLARE_CTX(main)
DECLARE_CTX(thread)
DECLARE_CTX(sig)
DECLARE_CTX(altsig)
DECLARE_CTX(storm)
void abi_hard_far_110(struct abi_regs *, struct abi_regs *, long);
void abi_hard_far_500(struct abi_regs *, struct abi_regs *, long);
void abi_hard_jmp_110(struct abi_regs *, struct abi_regs *, long);
void abi_hard_jmp_500(struct abi_regs *, struct abi_regs *, long);
extern const unsigned char abi_hard_far_110_site[];
extern const unsigned char abi_hard_far_500_site[];
extern const unsigned char abi_hard_jmp_110_site[];
extern const unsigned char abi_hard_jmp_500_site[];
void abi_clobber(long level);

struct site {
	const char *name;
	abi_fn fn;
	const unsigned char *site;
	long nr;
	int kind;
};

#define CTX_SITES(ctx)                                                                             \
	{                                                                                          \
		{"rsp-redzone nr110", abi_##ctx##_rsp_110, abi_##ctx##_rsp_110_site, 110,          \
		 ABI_KIND_RZ_RSP},                                                                 \
		    {"rsp-redzone nr500", abi_##ctx##_rsp_500, abi_##ctx##_rsp_500_site, 500,      \
		     ABI_KIND_RZ_RSP},                                                             \
		    {"rbx-redzone nr110", abi_##ctx##_rbx_110, abi_##ctx##_rbx_110_site, 110,      \
		     ABI_KIND_RZ_RBX},                                                             \
		    {"rbx-redzone nr500", abi_##ctx##_rbx_500, abi_##ctx##_rbx_500_site, 500,      \
		     ABI_KIND_RZ_RBX},                                                             \
	}

static const struct site sites_main[4] = CTX_SITES(main);
static const struct site sites_thread[4] = CTX_SITES(thread);
static const struct site sites_sig[4] = CTX_SITES(sig);
static const struct site sites_altsig[4] = CTX_SITES(altsig);
static const struct site sites_storm[4] = CTX_SITES(storm);
static const struct site sites_hard[4] = {
    {"far-redzone nr110", abi_hard_far_110, abi_hard_far_110_site, 110, ABI_KIND_RZ_FAR},
    {"far-redzone nr500", abi_hard_far_500, abi_hard_far_500_site, 500, ABI_KIND_RZ_FAR},
    {"jmp-redzone nr110", abi_hard_jmp_110, abi_hard_jmp_110_site, 110, ABI_KIND_RZ_JMP},
    {"jmp-redzone nr500", abi_hard_jmp_500, abi_hard_jmp_500_site, 500, ABI_KIND_RZ_JMP},
};

static long level;
static long iterations = 1000;
static long ppid;
static enum { REWRITE_ANY, REWRITE_YES, REWRITE_NO } rewrite_expect = REWRITE_ANY;
static volatile int failures;

/* Writes a line with write(2): usable from signal handlers. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	if (write(1, buf, n) < 0)
		_exit(3);
}

static int detect_level(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return ABI_LEVEL_SSE;
	int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
	if (!osxsave || !avx)
		return ABI_LEVEL_SSE;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 0x6) != 0x6)
		return ABI_LEVEL_SSE;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return ABI_LEVEL_AVX;
	int avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1;
	if (avx512f && avx512bw && (lo & 0xe6) == 0xe6)
		return ABI_LEVEL_AVX512;
	return ABI_LEVEL_AVX;
}

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void make_pattern(struct abi_regs *in, uint64_t seed, long i)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i * 0xBF58476D1CE4E5B9ULL + 1;
	memset(in, 0, sizeof *in);
	for (int r = 0; r < 12; r++)
		in->gpr[r] = next_rand(&s);
	/* Flags: a random subset of CF PF AF ZF SF OF; DF set on 3 of 4 calls. */
	uint64_t f = next_rand(&s) & (0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x800);
	if (i % 4 != 3)
		f |= FLAG_DF;
	if (i % 8 == 0)
		f |= 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x800;
	in->rflags = f | 0x2;
	/* mxcsr: all exceptions masked, a non-default rounding mode on most
	 * calls, sometimes FTZ and DAZ as well. */
	static const uint32_t rc[4] = {0x2000, 0x4000, 0x6000, 0x0000};
	in->mxcsr = 0x1f80 | rc[i % 4] | ((i % 3 == 0) ? 0x8040 : 0);
	/* x87 control word: exceptions masked, precision/rounding vary. */
	static const uint16_t fcw[4] = {0x0e7f, 0x027f, 0x067f, 0x0b7f};
	in->fcw = fcw[i % 4];
	double d = (double)(int64_t)(next_rand(&s) >> 11) / 7.0;
	memcpy(&in->st0, &d, sizeof d);
	for (int k = 0; k < 8; k++)
		in->k[k] = next_rand(&s);
	for (int b = 0; b < 128; b += 8) {
		uint64_t v = next_rand(&s);
		memcpy(in->rz + b, &v, 8);
	}
	for (int z = 0; z < 32; z++)
		for (int b = 0; b < 64; b += 8) {
			uint64_t v = next_rand(&s);
			memcpy(in->zmm[z] + b, &v, 8);
		}
}

static int is_rewritten(const unsigned char *p)
{
	return p[0] == 0xff && p[1] == 0xd0; /* call *%rax */
}

static int is_syscall(const unsigned char *p)
{
	return p[0] == 0x0f && p[1] == 0x05;
}

/* A site switchyard keeps on a trap path: still `syscall` (Syscall User
 * Dispatch) or turned into `int3` (cc 90, caught as SIGTRAP). */
static int is_trapping(const unsigned char *p)
{
	return is_syscall(p) || (p[0] == 0xcc && p[1] == 0x90);
}

/* Compares one call; reports the first difference. Returns 0 if equal. */
static int compare(const char *ctx, const struct site *st, long it, const struct abi_regs *in,
		   const struct abi_regs *out, int was_syscall)
{
	char where[160];
	snprintf(where, sizeof where, "%s %s iteration %ld:", ctx, st->name, it);
	long want_ret = st->nr == 110 ? ppid : -38;
	if ((long)out->ret != want_ret) {
		say("%s MISMATCH rax (result) expected %ld got %ld\n", where, want_ret,
		    (long)out->ret);
		return 1;
	}
	for (int r = 0; r < 12; r++) {
		uint64_t want = in->gpr[r];
		if (r == 0 && st->kind == ABI_KIND_RZ_RBX)
			want = out->rsp_before; /* rbx holds rsp for this kind */
		if (out->gpr[r] != want) {
			say("%s MISMATCH %s expected 0x%016llx got 0x%016llx\n", where,
			    gpr_names[r], (unsigned long long)want,
			    (unsigned long long)out->gpr[r]);
			return 1;
		}
	}
	if (out->rsp != out->rsp_before) {
		say("%s MISMATCH rsp before 0x%llx after 0x%llx\n", where,
		    (unsigned long long)out->rsp_before, (unsigned long long)out->rsp);
		return 1;
	}
	if ((out->rflags & FLAGS_CHECKED) != (in->rflags & FLAGS_CHECKED)) {
		say("%s MISMATCH rflags expected 0x%llx got 0x%llx (checked bits 0x%lx)\n", where,
		    (unsigned long long)(in->rflags & FLAGS_CHECKED),
		    (unsigned long long)(out->rflags & FLAGS_CHECKED), FLAGS_CHECKED);
		return 1;
	}
	if (out->mxcsr != in->mxcsr) {
		say("%s MISMATCH mxcsr expected 0x%x got 0x%x\n", where, in->mxcsr, out->mxcsr);
		return 1;
	}
	if (out->fcw != in->fcw) {
		say("%s MISMATCH x87 control word expected 0x%x got 0x%x\n", where, in->fcw,
		    out->fcw);
		return 1;
	}
	if (out->st0 != in->st0) {
		say("%s MISMATCH x87 st(0) expected 0x%016llx got 0x%016llx\n", where,
		    (unsigned long long)in->st0, (unsigned long long)out->st0);
		return 1;
	}
	int nvec = level == ABI_LEVEL_AVX512 ? 32 : 16;
	int vbytes = level == ABI_LEVEL_AVX512 ? 64 : level == ABI_LEVEL_AVX ? 32 : 16;
	const char *vname = level == ABI_LEVEL_AVX512 ? "zmm"
			    : level == ABI_LEVEL_AVX  ? "ymm"
						      : "xmm";
	for (int z = 0; z < nvec; z++)
		for (int b = 0; b < vbytes; b++)
			if (out->zmm[z][b] != in->zmm[z][b]) {
				say("%s MISMATCH %s%d byte %d (%s) expected 0x%02x got 0x%02x\n",
				    where, vname, z, b,
				    b < 16   ? "xmm part"
				    : b < 32 ? "ymm upper half"
					     : "zmm upper 256 bits",
				    in->zmm[z][b], out->zmm[z][b]);
				return 1;
			}
	if (level == ABI_LEVEL_AVX512)
		for (int k = 0; k < 8; k++)
			if (out->k[k] != in->k[k]) {
				say("%s MISMATCH k%d expected 0x%016llx got 0x%016llx\n", where, k,
				    (unsigned long long)in->k[k], (unsigned long long)out->k[k]);
				return 1;
			}
	/*
	 * Red zone. A site on a trap path must keep all 128 bytes.
	 * A site rewritten to `call *%rax` pushes its return address into the
	 * top 8 bytes [rsp-8, rsp); that is only allowed where the code around
	 * the site does not use the red zone through rsp, i.e. the rbx kind, and
	 * there [rsp-128, rsp-8) must still be intact.
	 */
	int rz_len = 128;
	if (!was_syscall && st->kind == ABI_KIND_RZ_RBX)
		rz_len = 120;
	for (int b = 0; b < rz_len; b++)
		if (out->rz[b] != in->rz[b]) {
			say("%s MISMATCH red zone byte at rsp-%d expected 0x%02x got 0x%02x "
			    "(site was %s before the call)\n",
			    where, 128 - b, in->rz[b], out->rz[b],
			    was_syscall ? "on a trap path" : "rewritten to call *%rax");
			return 1;
		}
	return 0;
}

static int run_site(const char *ctx, const struct site *st, uint64_t seed, long from, long n)
{
	static __thread struct abi_regs in, out;
	for (long i = from; i < from + n; i++) {
		make_pattern(&in, seed, i);
		memset(&out, 0x5a, sizeof out);
		int was_syscall = !is_rewritten(st->site);
		st->fn(&in, &out, level);
		if (compare(ctx, st, i, &in, &out, was_syscall))
			return 1;
	}
	return 0;
}

/* Runs all sites of a context; prints one line per site (unless quiet). */
static int run_sites(const char *ctx, const struct site *sites, int nsites, long from, long n,
		     int quiet)
{
	int bad = 0;
	for (int s = 0; s < nsites; s++) {
		int r = run_site(ctx, &sites[s], (uint64_t)(s + 1) * 1000003 + (uint64_t)ctx[0],
				 from, n);
		if (r)
			bad++;
		else if (!quiet)
			say("%s %s: ok (%ld calls)\n", ctx, sites[s].name, n);
	}
	return bad;
}

/* After the runs: what did switchyard leave at each site? */
static int check_rewrites(const char *ctx, const struct site *sites, int nsites)
{
	int bad = 0;
	for (int s = 0; s < nsites; s++) {
		const struct site *st = &sites[s];
		const char *now = is_syscall(st->site)	   ? "syscall"
				  : is_rewritten(st->site) ? "call *%rax"
				  : is_trapping(st->site)  ? "int3"
							   : "something else";
		int ok = 1;
		if (!is_trapping(st->site) && !is_rewritten(st->site))
			ok = 0;
		else if (rewrite_expect == REWRITE_NO)
			ok = is_syscall(st->site);
		else if (rewrite_expect == REWRITE_YES)
			ok = (st->kind == ABI_KIND_RZ_RBX) ? is_rewritten(st->site)
							   : is_trapping(st->site);
		else if (st->kind != ABI_KIND_RZ_RBX)
			ok = is_trapping(st->site); /* red zone used through rsp: never a call */
		if (!ok) {
			say("%s %s: site is now %s: UNEXPECTED (--rewritten=%s)\n", ctx, st->name,
			    now,
			    rewrite_expect == REWRITE_YES  ? "yes"
			    : rewrite_expect == REWRITE_NO ? "no"
							   : "any");
			bad++;
		}
	}
	return bad;
}

/* ---- contexts ---- */

static void *thread_body(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)run_sites("thread", sites_thread, 4, 0, iterations, 0);
}

#define SIG_ROUNDS 10

static const struct site *handler_sites;
static const char *handler_ctx;
static volatile long handler_round;
static volatile int handler_bad;
static volatile int handler_saw_siginfo;

static void abi_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGUSR1 && si && si->si_signo == SIGUSR1 && si->si_pid == getpid())
		handler_saw_siginfo++;
	long per = iterations / SIG_ROUNDS;
	handler_bad += run_sites(handler_ctx, handler_sites, 4, handler_round * per, per, 1);
	handler_round++;
}

static int run_in_handler(const char *ctx, const struct site *sites, int onstack)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = abi_handler;
	sa.sa_flags = SA_SIGINFO | (onstack ? SA_ONSTACK : 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);
	handler_sites = sites;
	handler_ctx = ctx;
	handler_round = 0;
	handler_bad = 0;
	handler_saw_siginfo = 0;
	for (int r = 0; r < SIG_ROUNDS; r++)
		raise(SIGUSR1);
	sigaction(SIGUSR1, &old, NULL);
	int bad = handler_bad;
	if (handler_round != SIG_ROUNDS || handler_saw_siginfo != SIG_ROUNDS) {
		say("%s: handler ran %ld times with siginfo %d times, expected %d\n", ctx,
		    (long)handler_round, handler_saw_siginfo, SIG_ROUNDS);
		bad++;
	}
	if (!bad)
		for (int s = 0; s < 4; s++)
			say("%s %s: ok (%ld calls)\n", ctx, sites[s].name,
			    (iterations / SIG_ROUNDS) * SIG_ROUNDS);
	return bad;
}

/* Signals that land anywhere in the loop, the system call included; the
 * handler scribbles over the vector state and makes a system call itself. */
static volatile long storm_handled;
static volatile int storm_stop;
static pthread_t storm_target;

static void storm_handler(int sig)
{
	(void)sig;
	abi_clobber(level);
	if (getppid() != ppid)
		failures++;
	storm_handled++;
}

static void *storm_sender(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 20 * 1000};
	while (!storm_stop) {
		pthread_kill(storm_target, SIGUSR2);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_storm(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = storm_handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	storm_target = pthread_self();
	storm_stop = 0;
	storm_handled = 0;
	pthread_t sender;
	if (pthread_create(&sender, NULL, storm_sender, NULL) != 0) {
		say("storm: pthread_create failed\n");
		return 1;
	}
	/* At least `iterations` calls per site, and keep going until enough
	 * signals landed (bounded in time). */
	int bad = 0;
	long done = 0;
	double end = now_s() + 3.0;
	while (!bad && (done < iterations || (storm_handled < 2000 && now_s() < end))) {
		bad = run_sites("storm", sites_storm, 4, done, 100, 1);
		done += 100;
	}
	storm_stop = 1;
	pthread_join(sender, NULL);
	signal(SIGUSR2, SIG_IGN);
	if (!bad)
		for (int s = 0; s < 4; s++)
			say("storm %s: ok (%ld calls, %ld signals in all)\n", sites_storm[s].name,
			    done, (long)storm_handled);
	return bad;
}

int main(int argc, char **argv)
{
	int hard = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rewritten=yes") == 0)
			rewrite_expect = REWRITE_YES;
		else if (strcmp(argv[i], "--rewritten=no") == 0)
			rewrite_expect = REWRITE_NO;
		else if (strcmp(argv[i], "--rewritten=any") == 0)
			rewrite_expect = REWRITE_ANY;
		else if (strncmp(argv[i], "--iterations=", 13) == 0)
			iterations = atol(argv[i] + 13);
		else if (strcmp(argv[i], "--hard") == 0)
			hard = 1;
		else {
			fprintf(stderr,
				"usage: %s [--rewritten=yes|no|any] [--iterations=N] [--hard]\n",
				argv[0]);
			return 2;
		}
	}
	if (iterations < SIG_ROUNDS)
		iterations = SIG_ROUNDS;
	level = detect_level();
	ppid = getppid();
	say("abi: vector level %s, %ld iterations per site\n",
	    level == ABI_LEVEL_AVX512 ? "avx512 (zmm0-31, k0-7)"
	    : level == ABI_LEVEL_AVX  ? "avx (ymm0-15)"
				      : "sse (xmm0-15)",
	    iterations);
	int bad = 0;

	if (hard) {
		/* Red-zone use the site check may not see: these sites must stay on
		 * the trap path (or the whole red zone must survive otherwise). */
		bad += run_sites("main", sites_hard, 4, 0, iterations, 0);
		bad += check_rewrites("main", sites_hard, 4);
		say("abi --hard: %s\n",
		    bad ? "FAILED" : "all registers and the red zone preserved");
		return bad ? 1 : 0;
	}

	bad += run_sites("main", sites_main, 4, 0, iterations, 0);

	pthread_t t;
	void *res;
	if (pthread_create(&t, NULL, thread_body, NULL) != 0) {
		say("thread: pthread_create failed\n");
		bad++;
	} else {
		pthread_join(t, &res);
		bad += (int)(intptr_t)res;
	}

	bad += run_in_handler("sighandler", sites_sig, 0);

	stack_t ss;
	ss.ss_size = 256 * 1024;
	ss.ss_flags = 0;
	ss.ss_sp =
	    mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0) {
		say("altstack: cannot set up sigaltstack\n");
		bad++;
	} else {
		bad += run_in_handler("altstack-handler", sites_altsig, 1);
	}

	bad += run_storm();
	if (failures) {
		say("storm: getppid() in the signal handler gave a wrong result %d times\n",
		    failures);
		bad++;
	}

	bad += check_rewrites("main", sites_main, 4);
	bad += check_rewrites("thread", sites_thread, 4);
	bad += check_rewrites("sighandler", sites_sig, 4);
	bad += check_rewrites("altstack-handler", sites_altsig, 4);
	bad += check_rewrites("storm", sites_storm, 4);

	say("abi: %s\n", bad ? "FAILED" : "all registers and the red zone preserved");
	return bad ? 1 : 0;
}
