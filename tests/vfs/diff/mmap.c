/* Scenario mmap: files of the work directory mapped MAP_SHARED and
 * MAP_PRIVATE: writes through a shared map seen by read() (and the other way
 * round), private copies, coherence with a child's map, msync, SIGBUS past
 * EOF and after a truncate, maps outliving close and unlink, mprotect and
 * the mmap errors (access modes, O_APPEND, offsets, directories). */
#include "diff.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static sigjmp_buf on_fault;
static volatile sig_atomic_t last_signal;

static void fault(int sig)
{
	last_signal = sig;
	siglongjmp(on_fault, 1);
}

/* Reads one byte of a map, or tells which signal it raised. */
static void touch(const char *label, volatile char *p)
{
	last_signal = 0;
	if (sigsetjmp(on_fault, 1) == 0) {
		char c = *p;
		dx_line("  %s: '%c' (%d)", label, c >= 0x20 && c < 0x7f ? c : '.', c);
	} else {
		dx_line("  %s: %s", label, last_signal == SIGBUS ? "SIGBUS" : "SIGSEGV");
	}
}

static void poke(const char *label, volatile char *p, char v)
{
	last_signal = 0;
	if (sigsetjmp(on_fault, 1) == 0) {
		*p = v;
		dx_line("  %s: written", label);
	} else {
		dx_line("  %s: %s", label, last_signal == SIGBUS ? "SIGBUS" : "SIGSEGV");
	}
}

/* mmap, printed as ok / -1 ERR (an address is not comparable) */
static char *map(const char *label, size_t len, int prot, int flags, int fd, off_t off)
{
	errno = 0;
	void *p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED) {
		dx_line("%s = -1 %s", label, dx_errname(errno));
		return NULL;
	}
	dx_line("%s = ok", label);
	return p;
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fault;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	char buf[64];

	dx_part("MAP_SHARED");
	int fd = T(open("m", O_RDWR | O_CREAT | O_TRUNC, 0644));
	char page[PG];
	for (int i = 0; i < 3; i++) {
		memset(page, 'a' + i, PG);
		if (write(fd, page, PG) != PG)
			dx_die("fill");
	}
	char *s = map("mmap shared 3 pages", 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!s)
		return 1;
	touch("s[0]", s);
	touch("s[PG]", s + PG);
	memcpy(s + 10, "THROUGH-MAP", 11);
	T(pread(fd, buf, 11, 10));
	dx_show_bytes("read sees", buf, 11);
	T(pwrite(fd, "BY-WRITE", 8, PG + 5));
	dx_show_bytes("map sees", s + PG + 5, 8);
	T(msync(s, 3 * PG, MS_SYNC));
	T(msync(s, PG, MS_ASYNC | MS_INVALIDATE));
	T(msync(s + 1, PG, MS_SYNC));
	T(msync(s, PG, MS_SYNC | MS_ASYNC));
	dx_show_fstat(fd, "m");

	dx_part("MAP_PRIVATE");
	char *p = map("mmap private", 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	memcpy(p + 20, "PRIVATE", 7);
	T(pread(fd, buf, 7, 20));
	dx_show_bytes("read sees", buf, 7);
	dx_show_bytes("shared map sees", s + 20, 7);
	T(pwrite(fd, "LATER", 5, 2 * PG));
	dx_show_bytes("private map, untouched page", p + 2 * PG, 5);
	T(pwrite(fd, "AGAIN", 5, 20));
	dx_show_bytes("private map, its own copy", p + 20, 7);
	T(madvise(p, PG, MADV_DONTNEED));
	dx_show_bytes("private map after MADV_DONTNEED", p + 20, 7);
	T(madvise(s, PG, MADV_DONTNEED));
	dx_show_bytes("shared map after MADV_DONTNEED", s + 10, 11);
	T(munmap(p, 3 * PG));

	dx_part("a child's map and writes");
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(s + 100, "CHILD-INHERITED", 15);
		int c = open("m", O_RDWR);
		char *cm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, c, PG);
		if (cm == MAP_FAILED)
			_exit(1);
		memcpy(cm + 200, "CHILD-OWN-MAP", 13);
		_exit(0);
	}
	dx_wait("child", pid);
	dx_show_bytes("parent's map", s + 100, 15);
	dx_show_bytes("parent's map", s + PG + 200, 13);
	T(pread(fd, buf, 13, PG + 200));
	dx_show_bytes("read", buf, 13);

	dx_part("past EOF and truncation");
	T(ftruncate(fd, PG + 10));
	touch("s[PG+9]", s + PG + 9);
	touch("s[PG+10] (same page, past EOF)", s + PG + 10);
	touch("s[2*PG] (page past EOF)", s + 2 * PG);
	poke("write s[2*PG]", s + 2 * PG, 'x');
	poke("write s[PG+20]", s + PG + 20, 'T');
	dx_show_fstat(fd, "m");
	T(pread(fd, buf, 64, PG));
	T(ftruncate(fd, 3 * PG));
	touch("s[2*PG] after growing", s + 2 * PG);
	poke("write s[2*PG+1]", s + 2 * PG + 1, 'G');
	T(pread(fd, buf, 2, 2 * PG));
	dx_show_bytes("read", buf, 2);
	dx_show_fstat(fd, "m");
	char *big = map("mmap 4 pages of 3", 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
	touch("big[3*PG]", big + 3 * PG);
	T(munmap(big, 4 * PG));
	map("mmap at offset past EOF", PG, PROT_READ, MAP_SHARED, fd, 8 * PG);

	dx_part("maps outlive close and unlink");
	T(close(fd));
	poke("write s[0] after close", s, 'C');
	T(unlink("m"));
	touch("s[0] after unlink", s);
	T(msync(s, 3 * PG, MS_SYNC));
	T(munmap(s, 3 * PG));
	touch("s[0] after munmap", s);

	dx_part("errors");
	dx_make_file("e", "some bytes");
	int ro = T(open("e", O_RDONLY));
	int wo = T(open("e", O_WRONLY));
	int rw = T(open("e", O_RDWR));
	int ap = T(open("e", O_RDWR | O_APPEND));
	int dir = T(open(".", O_RDONLY | O_DIRECTORY));
	int pa = T(open("e", O_PATH));
	map("mmap wronly", PG, PROT_READ, MAP_SHARED, wo, 0);
	map("mmap rdonly shared write", PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	char *rp = map("mmap rdonly private write", PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	if (rp)
		poke("write private", rp, 'p');
	char *rs = map("mmap rdonly shared read", PG, PROT_READ, MAP_SHARED, ro, 0);
	T(mprotect(rs, PG, PROT_READ | PROT_WRITE));
	poke("write read-only shared", rs, 'r');
	map("mmap append shared write", PG, PROT_READ | PROT_WRITE, MAP_SHARED, ap, 0);
	map("mmap append shared read", PG, PROT_READ, MAP_SHARED, ap, 0);
	map("mmap unaligned offset", PG, PROT_READ, MAP_SHARED, rw, 100);
	map("mmap length 0", 0, PROT_READ, MAP_SHARED, rw, 0);
	map("mmap directory", PG, PROT_READ, MAP_SHARED, dir, 0);
	map("mmap O_PATH", PG, PROT_READ, MAP_SHARED, pa, 0);
	map("mmap bad fd", PG, PROT_READ, MAP_SHARED, 77, 0);
	map("mmap no type", PG, PROT_READ, 0, rw, 0);
	map("mmap shared validate", PG, PROT_READ, MAP_SHARED_VALIDATE, rw, 0);
	map("mmap shared validate sync", PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, rw, 0);
	char *ex = map("mmap exec", PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, ro, 0);
	(void)ex;
	char *rm = map("mmap rw shared", PG, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
	char *grown = mremap(rm, PG, 2 * PG, MREMAP_MAYMOVE);
	dx_line("mremap = %s", grown == MAP_FAILED ? dx_errname(errno) : "ok");
	if (grown != MAP_FAILED) {
		touch("grown[0]", grown);
		touch("grown[PG]", grown + PG);
	}
	T(close(ro));
	T(close(wo));
	T(close(rw));
	T(close(ap));
	T(close(dir));
	T(close(pa));
	dx_show_dir(".");
	return 0;
}
