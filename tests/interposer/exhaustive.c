/*
 * Exhaustiveness: the magic call (sy_test.h) from every source of system
 * calls the interposer must see. One line per source, "SOURCE caught" or
 * "SOURCE missed" (or "SOURCE mixed ..." / "SOURCE error ...").
 *
 * Usage: sy_test_exhaustive caught|missed [SOURCE...]  (default: every source)
 * Exits 0 iff every source gave the expected outcome. Natively everything is
 * missed (that proves the oracle works); under switchyard with the test hook
 * (--hook libsy_test_hook_answer.so) everything must be caught.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sy_test.h"

#ifndef SY_DLIB_PATH
#error "SY_DLIB_PATH must name libsy_test_dlib.so"
#endif
#ifndef SY_MAGIC_HELPER
#error "SY_MAGIC_HELPER must name the sy_test_magic program"
#endif

extern char **environ;

#define THREAD_STACK (256 * 1024)
#define WAIT_MS 10000

static int failures;
static const char *expect;

static void report(const char *source, int outcome, const char *detail)
{
	const char *name = sy_outcome_name(outcome);
	printf("%s %s%s%s\n", source, name, detail ? " " : "", detail ? detail : "");
	fflush(stdout);
	if (strcmp(name, expect) != 0)
		failures++;
}

static void report_error(const char *source, const char *what)
{
	printf("%s error %s\n", source, what);
	fflush(stdout);
	failures++;
}

/* Child exit status -> outcome, or -1 with a description. */
static int outcome_of_status(int status, char *why, size_t len)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) >= SY_EXIT_BASE &&
	    WEXITSTATUS(status) <= SY_EXIT_BASE + SY_MIXED)
		return WEXITSTATUS(status) - SY_EXIT_BASE;
	if (WIFEXITED(status))
		snprintf(why, len, "(child exited %d)", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, len, "(child killed by signal %d)", WTERMSIG(status));
	else
		snprintf(why, len, "(child status 0x%x)", status);
	return -1;
}

static void report_child(const char *source, pid_t pid)
{
	int status;
	char why[64];
	if (pid < 0) {
		report_error(source, strerror(errno));
		return;
	}
	if (waitpid(pid, &status, 0) != pid) {
		report_error(source, "waitpid failed");
		return;
	}
	int o = outcome_of_status(status, why, sizeof why);
	if (o < 0)
		report_error(source, why);
	else
		report(source, o, NULL);
}

/* ---- main thread ---- */

static void src_main_libc(void)
{
	int caught = 0, missed = 0, other = 0;
	for (int i = 0; i < 3; i++)
		sy_tally_libc(&caught, &missed, &other);
	report("main-libc-syscall", sy_outcome_of(caught, missed, other), NULL);
}

static void src_main_inline(const char *name)
{
	int caught = 0, missed = 0, other = 0;
	for (int i = 0; i < 3; i++)
		sy_tally_raw(sy_magic_inline(), &caught, &missed, &other);
	report(name, sy_outcome_of(caught, missed, other), NULL);
}

/* ---- a library loaded after start ---- */

static void src_dlopen(void)
{
	void *h = dlopen(SY_DLIB_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		report_error("dlopen-library", dlerror());
		return;
	}
	long (*fn)(void) = (long (*)(void))dlsym(h, "sy_dlib_magic");
	if (!fn) {
		report_error("dlopen-library", "no sy_dlib_magic");
		return;
	}
	int caught = 0, missed = 0, other = 0;
	for (int i = 0; i < 3; i++)
		sy_tally_raw(fn(), &caught, &missed, &other);
	report("dlopen-library", sy_outcome_of(caught, missed, other), NULL);
	/* Unload and load again: the new mapping must be caught as well. */
	dlclose(h);
	h = dlopen(SY_DLIB_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		report_error("dlopen-again", dlerror());
		return;
	}
	fn = (long (*)(void))dlsym(h, "sy_dlib_magic");
	caught = missed = other = 0;
	for (int i = 0; i < 3; i++)
		sy_tally_raw(fn(), &caught, &missed, &other);
	report("dlopen-again", sy_outcome_of(caught, missed, other), NULL);
	dlclose(h);
}

/* ---- JIT code ---- */

static void src_jit(void)
{
	/* mov $500,%eax; mov $MAGIC,%edi; syscall; ret */
	static const unsigned char code[] = {
	    0xb8, 0xf4, 0x01, 0x00, 0x00, 0xbf, 0x1e, 0xab, 0x57, 0x51, 0x0f, 0x05, 0xc3,
	};
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p =
	    mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		report_error("jit", strerror(errno));
		return;
	}
	/* Two copies: one at the start of the page, one in the middle. */
	memcpy(p, code, sizeof code);
	memcpy(p + 2048, code, sizeof code);
	if (mprotect(p, page, PROT_READ | PROT_EXEC) != 0) {
		report_error("jit", strerror(errno));
		return;
	}
	int caught = 0, missed = 0, other = 0;
	for (int i = 0; i < 3; i++) {
		sy_tally_raw(((long (*)(void))(void *)p)(), &caught, &missed, &other);
		sy_tally_raw(((long (*)(void))(void *)(p + 2048))(), &caught, &missed, &other);
	}
	report("jit", sy_outcome_of(caught, missed, other), NULL);
	munmap(p, page);
}

/* ---- code that becomes executable in other ways ---- */

static const unsigned char magic_code[] = {
    0xb8, 0xf4, 0x01, 0x00, 0x00, /* mov $500,%eax */
    0xbf, 0x1e, 0xab, 0x57, 0x51, /* mov $MAGIC,%edi */
    0x0f, 0x05,			  /* syscall */
    0xc3,			  /* ret */
};
#define MAGIC_CODE_SYSCALL 10 /* offset of the syscall instruction */

static int call_code_3x(const unsigned char *p)
{
	int caught = 0, missed = 0, other = 0;
	for (int i = 0; i < 3; i++)
		sy_tally_raw(((long (*)(void))(uintptr_t)p)(), &caught, &missed, &other);
	return sy_outcome_of(caught, missed, other);
}

/* Anonymous JIT code replaced by new code at another offset after it ran. */
static void src_jit_recompiled(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p =
	    mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		report_error("jit-recompiled", strerror(errno));
		return;
	}
	memcpy(p, magic_code, sizeof magic_code);
	mprotect(p, page, PROT_READ | PROT_EXEC);
	int first = call_code_3x(p);
	mprotect(p, page, PROT_READ | PROT_WRITE);
	memset(p, 0xcc, 64);
	memcpy(p + 100, magic_code, sizeof magic_code);
	mprotect(p, page, PROT_READ | PROT_EXEC);
	int second = call_code_3x(p + 100);
	report("jit-recompiled", first == second ? first : SY_MIXED, NULL);
	munmap(p, page);
}

/*
 * A JIT with two views of one memfd (RW for writing, RX for running), as
 * several JITs do: the code is written after both views exist, so nothing
 * executable was there to look at when the RX view was mapped.
 */
static void src_jit_memfd_double_map(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = memfd_create("sy-jit", 0);
	if (fd < 0 || ftruncate(fd, page) != 0) {
		report_error("jit-memfd-double-map", strerror(errno));
		return;
	}
	unsigned char *rw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned char *rx = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (rw == MAP_FAILED || rx == MAP_FAILED) {
		report_error("jit-memfd-double-map", strerror(errno));
		return;
	}
	memcpy(rw + 256, magic_code, sizeof magic_code);
	__builtin___clear_cache((char *)rx, (char *)rx + page);
	int o1 = call_code_3x(rx + 256);
	/* New code into the same view later (a recompilation). */
	memcpy(rw + 1024, magic_code, sizeof magic_code);
	int o2 = call_code_3x(rx + 1024);
	report("jit-memfd-double-map", o1 == o2 ? o1 : SY_MIXED, NULL);
	munmap(rw, page);
	munmap(rx, page);
	close(fd);
}

/*
 * A file with code in it mapped MAP_SHARED and executable, from an fd open
 * for writing: the program's file must not change because it was run (an
 * interposer that patches the mapping would write into the file).
 */
static void src_shared_file_code(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char path[] = "/tmp/sy-exhaustive-code.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		report_error("shared-file-code", strerror(errno));
		return;
	}
	unlink(path);
	unsigned char *buf = calloc(1, page);
	memcpy(buf + 64, magic_code, sizeof magic_code);
	if (write(fd, buf, page) != page) {
		report_error("shared-file-code", "write failed");
		return;
	}
	unsigned char *rx = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (rx == MAP_FAILED) {
		report_error("shared-file-code", strerror(errno));
		return;
	}
	int o = call_code_3x(rx + 64);
	unsigned char now[sizeof magic_code];
	if (pread(fd, now, sizeof now, 64) != (ssize_t)sizeof now ||
	    memcmp(now, magic_code, sizeof now) != 0) {
		char msg[96];
		snprintf(msg, sizeof msg,
			 "(the file's syscall bytes became %02x %02x: the program's "
			 "file was modified)",
			 now[MAGIC_CODE_SYSCALL], now[MAGIC_CODE_SYSCALL + 1]);
		report_error("shared-file-code", msg);
	} else {
		report("shared-file-code", o, NULL);
	}
	munmap(rx, page);
	free(buf);
	close(fd);
}

/* A library's code mapped by hand (not by the dynamic loader): first
 * readable only, then made executable with mprotect. */
static void src_mmap_mprotect_file_code(void)
{
	void *h = dlopen(SY_DLIB_PATH, RTLD_NOW | RTLD_LOCAL);
	void *fn = h ? dlsym(h, "sy_dlib_magic") : NULL;
	Dl_info info;
	if (!fn || !dladdr(fn, &info)) {
		report_error("mmap-mprotect-file-code", "cannot find sy_dlib_magic");
		return;
	}
	/* Its segments have file offset == address offset (checked below). */
	uintptr_t off = (uintptr_t)fn - (uintptr_t)info.dli_fbase;
	int fd = open(SY_DLIB_PATH, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		report_error("mmap-mprotect-file-code", strerror(errno));
		return;
	}
	unsigned char *m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED || memcmp(m + off, fn, 16) != 0) {
		report_error("mmap-mprotect-file-code", "file layout differs from memory layout");
		return;
	}
	if (mprotect(m, st.st_size, PROT_READ | PROT_EXEC) != 0) {
		report_error("mmap-mprotect-file-code", strerror(errno));
		return;
	}
	report("mmap-mprotect-file-code", call_code_3x(m + off), NULL);
	munmap(m, st.st_size);
	dlclose(h);
}

/* ---- pthread ---- */

static void *pthread_body(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)sy_magic_all();
}

static void *pthread_nested_body(void *arg)
{
	(void)arg;
	pthread_t t;
	void *res;
	if (pthread_create(&t, NULL, pthread_body, NULL) != 0)
		return (void *)(intptr_t)-1;
	pthread_join(t, &res);
	return res;
}

static void src_pthread(const char *name, void *(*body)(void *))
{
	pthread_t t;
	void *res;
	int e = pthread_create(&t, NULL, body, NULL);
	if (e != 0) {
		report_error(name, strerror(e));
		return;
	}
	pthread_join(t, &res);
	if ((intptr_t)res < 0)
		report_error(name, "inner pthread_create failed");
	else
		report(name, (int)(intptr_t)res, NULL);
}

/* Several threads run a freshly loaded library's syscall sites for the
 * first time at the same moment (a fresh copy of the library, so its sites
 * are new to switchyard). */
#define RACE_THREADS 4
static pthread_barrier_t race_barrier;
static int (*race_fn)(void);

static void *race_body(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&race_barrier);
	int worst = SY_CAUGHT;
	for (int i = 0; i < 200; i++) {
		int o = race_fn();
		if (o != SY_CAUGHT)
			worst = o;
		if (o == SY_MIXED)
			break;
	}
	return (void *)(intptr_t)worst;
}

static void src_threads_first_call_race(void)
{
	char path[] = "/tmp/sy-exhaustive-dlib.XXXXXX";
	int out = mkstemp(path);
	int in = open(SY_DLIB_PATH, O_RDONLY);
	char buf[65536];
	ssize_t n;
	if (out < 0 || in < 0) {
		report_error("threads-first-call-race", strerror(errno));
		return;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	close(out);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	unlink(path);
	race_fn = h ? (int (*)(void))dlsym(h, "sy_dlib_magic_all") : NULL;
	if (!race_fn) {
		report_error("threads-first-call-race", "cannot load a copy of the library");
		return;
	}
	pthread_t t[RACE_THREADS];
	pthread_barrier_init(&race_barrier, NULL, RACE_THREADS);
	for (int i = 0; i < RACE_THREADS; i++)
		pthread_create(&t[i], NULL, race_body, NULL);
	int caught = 0, missed = 0, other = 0;
	for (int i = 0; i < RACE_THREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		sy_tally_outcome((int)(intptr_t)r, &caught, &missed, &other);
	}
	pthread_barrier_destroy(&race_barrier);
	report("threads-first-call-race", sy_outcome_of(caught, missed, other), NULL);
	dlclose(h);
}

/* ---- raw threads (clone, clone3) ---- */

/* Shared with raw threads; they have no TLS of their own (no CLONE_SETTLS),
 * so they must not touch errno: the magic calls use raw sites only. */
static volatile int raw_result;

static int raw_thread_magic(void)
{
	int caught = 0, missed = 0, other = 0;
	for (int i = 0; i < 3; i++) {
		sy_tally_raw(sy_magic_inline(), &caught, &missed, &other);
		sy_tally_raw(sy_raw6(SY_MAGIC_NR, SY_MAGIC, 0, 0, 0, 0, 0), &caught, &missed,
			     &other);
	}
	return sy_outcome_of(caught, missed, other);
}

/* Waits (bounded) until the kernel clears *tid at the thread's exit. */
static int wait_tid_cleared(volatile pid_t *tid)
{
	for (int ms = 0; ms < WAIT_MS; ms += 10) {
		pid_t v = *tid;
		if (v == 0)
			return 0;
		struct timespec ts = {0, 10 * 1000 * 1000};
		sy_raw6(SYS_futex, (long)tid, FUTEX_WAIT, v, (long)&ts, 0, 0);
	}
	return -1;
}

static int clone_body(void *arg)
{
	(void)arg;
	raw_result = raw_thread_magic();
	return 0; /* glibc's clone() then makes the exit syscall (this thread only) */
}

#define RAW_THREAD_FLAGS                                                                           \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |        \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

static void src_clone(void)
{
	char *stack = mmap(NULL, THREAD_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		report_error("clone-thread", strerror(errno));
		return;
	}
	static volatile pid_t tid;
	raw_result = -1;
	tid = 0;
	int r = clone(clone_body, stack + THREAD_STACK, RAW_THREAD_FLAGS, NULL, &tid, NULL, &tid);
	if (r < 0) {
		report_error("clone-thread", strerror(errno));
		return;
	}
	if (wait_tid_cleared(&tid) != 0) {
		report_error("clone-thread", "thread did not finish");
		return;
	}
	if (raw_result < 0)
		report_error("clone-thread", "thread did not report");
	else
		report("clone-thread", raw_result, NULL);
	munmap(stack, THREAD_STACK);
}

/* Entry of the clone3 child, on its own stack, called from the asm below:
 * does the work, then exits the thread with the raw exit syscall; it never
 * returns into the parent's C frames. */
__attribute__((noreturn, used, visibility("hidden"))) void sy_clone3_child(void);
void sy_clone3_child(void)
{
	raw_result = raw_thread_magic();
	for (;;)
		__asm__ volatile("mov $60, %%eax\n\t" /* exit (this thread) */
				 "xor %%edi, %%edi\n\t"
				 "syscall"
				 :
				 :
				 : "rax", "rdi", "rcx", "r11", "memory");
}

/*
 * clone3 through an immediate site. In the child (rax == 0) we are on the
 * new stack with every other register as in the parent: clear rbp, align
 * the stack and call clone3_child, which never returns.
 */
static long raw_clone3(struct clone_args *args, size_t size)
{
	long ret;
	__asm__ volatile("mov $435, %%eax\n\t" /* __NR_clone3 */
			 "syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "and $-16, %%rsp\n\t"
			 "call sy_clone3_child\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "D"(args), "S"(size)
			 : "rcx", "r11", "memory");
	return ret;
}

static void src_clone3(void)
{
	char *stack = mmap(NULL, THREAD_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		report_error("clone3-thread", strerror(errno));
		return;
	}
	int caught = 0, missed = 0, other = 0;
	/* Twice: the first time the site is trapped, then it may be rewritten. */
	for (int round = 0; round < 2; round++) {
		static volatile pid_t tid;
		struct clone_args ca;
		memset(&ca, 0, sizeof ca);
		ca.flags = RAW_THREAD_FLAGS;
		ca.child_tid = (uintptr_t)&tid;
		ca.parent_tid = (uintptr_t)&tid;
		ca.exit_signal = 0;
		ca.stack = (uintptr_t)stack;
		ca.stack_size = THREAD_STACK;
		raw_result = -1;
		tid = 0;
		long r = raw_clone3(&ca, sizeof ca);
		if (r < 0) {
			char msg[64];
			snprintf(msg, sizeof msg, "clone3 returned %ld", r);
			report_error("clone3-thread", msg);
			return;
		}
		if (wait_tid_cleared(&tid) != 0) {
			report_error("clone3-thread", "thread did not finish");
			return;
		}
		sy_tally_outcome(raw_result, &caught, &missed, &other);
	}
	report("clone3-thread", sy_outcome_of(caught, missed, other), NULL);
	munmap(stack, THREAD_STACK);
}

/* ---- processes ---- */

static void src_fork(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(SY_EXIT_BASE + sy_magic_all());
	report_child("fork-child", pid);
}

static void *thread_fork_body(void *arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid == 0)
		_exit(SY_EXIT_BASE + sy_magic_all());
	return (void *)(intptr_t)pid;
}

static void src_thread_fork(void)
{
	pthread_t t;
	void *res;
	if (pthread_create(&t, NULL, thread_fork_body, NULL) != 0) {
		report_error("fork-from-thread", "pthread_create failed");
		return;
	}
	pthread_join(t, &res);
	report_child("fork-from-thread", (pid_t)(intptr_t)res);
}

static void src_vfork(void)
{
	pid_t pid = vfork();
	if (pid == 0)
		_exit(SY_EXIT_BASE + sy_magic_all());
	report_child("vfork-child", pid);
}

static void src_vfork_exec(void)
{
	char *argv[] = {(char *)SY_MAGIC_HELPER, NULL};
	pid_t pid = vfork();
	if (pid == 0) {
		execve(SY_MAGIC_HELPER, argv, environ);
		_exit(127);
	}
	report_child("vfork-execve", pid);
}

static void src_fork_exec(void)
{
	char *argv[] = {(char *)SY_MAGIC_HELPER, NULL};
	pid_t pid = fork();
	if (pid == 0) {
		execve(SY_MAGIC_HELPER, argv, environ);
		_exit(127);
	}
	report_child("fork-execve", pid);
}

static void src_posix_spawn(void)
{
	char *argv[] = {(char *)SY_MAGIC_HELPER, NULL};
	pid_t pid;
	int e = posix_spawn(&pid, SY_MAGIC_HELPER, NULL, NULL, argv, environ);
	if (e != 0) {
		report_error("posix_spawn", strerror(e));
		return;
	}
	report_child("posix_spawn", pid);
}

static void src_system(void)
{
	int status = system(SY_MAGIC_HELPER);
	char why[64];
	if (status == -1) {
		report_error("system", strerror(errno));
		return;
	}
	int o = outcome_of_status(status, why, sizeof why);
	if (o < 0)
		report_error("system", why);
	else
		report("system", o, NULL);
}

/* ---- signal handlers ---- */

static volatile sig_atomic_t sig_outcome = -1;

static void magic_handler(int sig)
{
	(void)sig;
	int saved = errno;
	sig_outcome = sy_magic_all();
	errno = saved;
}

static void src_signal_raise(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = magic_handler;
	sigaction(SIGUSR1, &sa, NULL);
	sig_outcome = -1;
	raise(SIGUSR1);
	if (sig_outcome < 0)
		report_error("signal-handler-raise", "handler did not run");
	else
		report("signal-handler-raise", sig_outcome, NULL);
	signal(SIGUSR1, SIG_DFL);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A timer signal that interrupts a busy loop in user code (asynchronous
 * delivery, no system call in progress). */
static void src_signal_timer(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = magic_handler;
	sigaction(SIGALRM, &sa, NULL);
	sig_outcome = -1;
	struct itimerval it = {{0, 0}, {0, 20 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	double end = now_s() + WAIT_MS / 1000.0;
	while (sig_outcome < 0 && now_s() < end)
		;
	if (sig_outcome < 0)
		report_error("signal-handler-timer", "timer signal did not arrive");
	else
		report("signal-handler-timer", sig_outcome, NULL);
	signal(SIGALRM, SIG_DFL);
}

static void src_main_inline_first(void)
{
	src_main_inline("main-inline-site");
}
static void src_pthread_plain(void)
{
	src_pthread("pthread", pthread_body);
}
static void src_pthread_nested(void)
{
	src_pthread("pthread-in-pthread", pthread_nested_body);
}

static const struct {
	const char *name;
	void (*fn)(void);
} sources[] = {
    {"main-libc-syscall", src_main_libc},
    {"main-inline-site", src_main_inline_first},
    {"dlopen", src_dlopen},
    {"jit", src_jit},
    {"jit-recompiled", src_jit_recompiled},
    {"jit-memfd-double-map", src_jit_memfd_double_map},
    {"shared-file-code", src_shared_file_code},
    {"mmap-mprotect-file-code", src_mmap_mprotect_file_code},
    {"pthread", src_pthread_plain},
    {"pthread-in-pthread", src_pthread_nested},
    {"threads-first-call-race", src_threads_first_call_race},
    {"clone-thread", src_clone},
    {"clone3-thread", src_clone3},
    {"fork-child", src_fork},
    {"fork-from-thread", src_thread_fork},
    {"vfork-child", src_vfork},
    {"vfork-execve", src_vfork_exec},
    {"fork-execve", src_fork_exec},
    {"posix_spawn", src_posix_spawn},
    {"system", src_system},
    {"signal-handler-raise", src_signal_raise},
    {"signal-handler-timer", src_signal_timer},
};

int main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "caught") != 0 && strcmp(argv[1], "missed") != 0)) {
		fprintf(stderr, "usage: %s caught|missed [SOURCE...]\n", argv[0]);
		return 2;
	}
	expect = argv[1];
	int nsrc = (int)(sizeof sources / sizeof sources[0]);
	for (int i = 0; i < nsrc; i++) {
		int run = argc == 2;
		for (int a = 2; a < argc; a++)
			run |= strcmp(argv[a], sources[i].name) == 0;
		if (run)
			sources[i].fn();
	}
	/* And the main thread once more, after all of the above: nothing may
	 * have left switchyard's state for this thread broken. */
	src_main_inline("main-inline-site-at-end");

	printf("exhaustive: %d unexpected (expected every source %s)\n", failures, expect);
	return failures ? 1 : 0;
}
