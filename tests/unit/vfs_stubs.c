/*
 * Stand-ins for the interposer symbols the VFS layer's walk.c, fdtable.c,
 * mounts.c and locks.c use, so that the unit tests build those files from
 * their sources into a plain program: raw system calls through syscall(2),
 * user memory copied as it is (the tests pass their own buffers), one
 * thread area, an fd map of our own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "layer.h"
#include "sy.h"

uint8_t *sy_fd_map;
/* The tests set it to act as a vfork child (sy_thread_is_vfork_child). */
int sy_stub_vfork_child;

long sy_raw6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long r = syscall(nr, a1, a2, a3, a4, a5, a6);
	return r < 0 ? -errno : r;
}

void sy_fd_map_setup(void)
{
	if (sy_fd_map)
		return;
	void *p = mmap(NULL, SY_FD_MAP_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		sy_die("cannot map the fd map");
	sy_fd_map = p;
}

struct sy_thread *sy_thread_self(void)
{
	static struct sy_thread t;
	t.self = &t;
	return &t;
}

int sy_thread_is_vfork_child(void)
{
	return sy_stub_vfork_child;
}

int sy_copy_in(void *dst, const void *user_src, size_t n)
{
	memcpy(dst, user_src, n);
	return 0;
}

int sy_copy_out(void *user_dst, const void *src, size_t n)
{
	memcpy(user_dst, src, n);
	return 0;
}

void sy_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "switchyard: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

_Noreturn void sy_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "switchyard: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* The lock stand-ins' fds: kept out of the program's way, as fdreserve.c
 * marks them. */
void sy_vfs_hide_fd(int fd, int hidden)
{
	sy_fd_map_setup();
	if (fd < 0 || fd >= SY_FD_MAP_SIZE)
		return;
	if (hidden)
		sy_fd_map[fd] |= SY_FD_RESERVED;
	else
		sy_fd_map[fd] &= (uint8_t)~SY_FD_RESERVED;
}

int sy_vfs_fd_floor(void)
{
	return 900;
}

void sy_vfs_wait_begin(void)
{
}

void sy_vfs_wait_end(void)
{
}
