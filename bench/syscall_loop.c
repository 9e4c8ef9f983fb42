/*
 * Tight system call loops for bench/run: `syscall_loop nr500 N` makes N calls
 * of syscall 500 (the kernel answers ENOSYS), `syscall_loop getpid N` makes N
 * getpid calls, and the program prints the elapsed nanoseconds per call.
 *
 * Each call is an inline `mov $NR,%eax; syscall` pair, the pattern the
 * interposer rewrites to `call *%rax` (a libc syscall() site has a variable
 * rax and would stay on the slow trap path). The file is built with
 * -mno-red-zone and the loops keep nothing on the stack, so nothing lives in
 * the red zone at the site and the rewriter has no reason to leave it alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* noinline keeps one syscall site per workload (no copies made by inlining or
 * unrolling), so the measured site is the one the first trap rewrites. */
static __attribute__((noinline)) long loop_nr500(long n)
{
	long failures = 0;
	for (long i = 0; i < n; i++) {
		long ret;
		__asm__ volatile("mov $500, %%eax\n\t"
				 "syscall"
				 : "=a"(ret)
				 :
				 : "rcx", "r11", "memory");
		failures += ret == -ENOSYS;
	}
	return failures;
}

static __attribute__((noinline)) long loop_getpid(long n)
{
	long sum = 0;
	for (long i = 0; i < n; i++) {
		long ret;
		__asm__ volatile("mov $39, %%eax\n\t"
				 "syscall"
				 : "=a"(ret)
				 :
				 : "rcx", "r11", "memory");
		sum += ret > 0;
	}
	return sum;
}

static int usage(void)
{
	fprintf(stderr, "usage: syscall_loop nr500|getpid N\n"
			"  runs N inline `mov $NR,%%eax; syscall` calls and prints ns per call\n");
	return 2;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return usage();
	char *end;
	errno = 0;
	long n = strtol(argv[2], &end, 10);
	if (errno || *end || n <= 0)
		return usage();

	long (*loop)(long);
	if (strcmp(argv[1], "nr500") == 0)
		loop = loop_nr500;
	else if (strcmp(argv[1], "getpid") == 0)
		loop = loop_getpid;
	else
		return usage();

	double start = now_ns();
	long good = loop(n);
	double elapsed = now_ns() - start;

	/* Every call must have given what the kernel gives: a wrong answer means
	 * the figure measures something else than the syscall path. */
	if (good != n) {
		fprintf(stderr, "syscall_loop: %ld of %ld %s calls gave an unexpected result\n",
			n - good, n, argv[1]);
		return 1;
	}
	printf("%.2f\n", elapsed / (double)n);
	return 0;
}
