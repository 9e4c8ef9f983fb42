/*
 * switchyard's own long-lived fds (the trace file) live at the top of the fd
 * range, so the program's fd numbers are the ones it would get natively (its
 * first open returns 3). The program cannot see them: closing one says EBADF
 * as for any fd it never opened, close_range goes around them, and a dup2
 * onto one moves switchyard's fd out of the way first.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sy.h"

#define MAX_RESERVED 40

static int *reserved[MAX_RESERVED];
static int nreserved;
uint8_t *sy_fd_map;

void sy_fd_map_setup(void)
{
	if (sy_fd_map)
		return;
	long p = sy_raw6(SYS_mmap, 0, SY_FD_MAP_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p < 0 && p > -4096)
		sy_die("cannot map the fd map");
	sy_fd_map = (uint8_t *)p;
	for (int i = 0; i < nreserved; i++)
		if (*reserved[i] >= 0 && *reserved[i] < SY_FD_MAP_SIZE)
			sy_fd_map[*reserved[i]] |= SY_FD_RESERVED;
}

static void map_mark(int fd, int on)
{
	if (!sy_fd_map || fd < 0 || fd >= SY_FD_MAP_SIZE)
		return;
	if (on)
		__atomic_fetch_or(&sy_fd_map[fd], SY_FD_RESERVED, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&sy_fd_map[fd], (uint8_t)~SY_FD_RESERVED, __ATOMIC_RELEASE);
}

/* Moves *fdp to the highest free number below the soft limit, keeping its
 * FD_CLOEXEC (a backend's arena fd must reach the program after execve). */
static int move_high(int *fdp)
{
	struct rlimit rl;
	long fdflags = sy_raw2(SYS_fcntl, *fdp, F_GETFD);
	if (fdflags < 0)
		return -1;
	if (sy_raw4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &rl) < 0)
		return -1;
	long top = rl.rlim_cur > 65536 ? 65536 : (long)rl.rlim_cur;
	for (long want = top - 1; want > 2 && want > top - 256; want--) {
		long fd = sy_raw3(SYS_fcntl, *fdp,
				  (fdflags & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, want);
		if (fd == want) {
			sy_raw1(SYS_close, *fdp);
			map_mark(*fdp, 0);
			*fdp = (int)fd;
			map_mark(*fdp, 1);
			return 0;
		}
		if (fd >= 0)
			sy_raw1(SYS_close, fd);
	}
	return -1;
}

int sy_fd_reserve(int *fdp)
{
	int known = 0;
	for (int i = 0; i < nreserved; i++)
		known |= reserved[i] == fdp;
	if ((!known && nreserved >= MAX_RESERVED) || move_high(fdp) < 0)
		return -1;
	if (!known)
		reserved[nreserved++] = fdp;
	map_mark(*fdp, 1);
	if (nreserved == 1) {
		/* close reaches the slow path only for marked fds */
		sy_fd_map_setup();
		sy_nr_table[SYS_close] |= SY_NR_FD0;
		sy_mech_interest(SYS_close_range);
		sy_mech_interest(SYS_dup2);
		sy_mech_interest(SYS_dup3);
	}
	return 0;
}

int sy_fd_is_reserved(int fd)
{
	if (sy_fd_map && fd >= 0 && fd < SY_FD_MAP_SIZE)
		return (sy_fd_map[fd] & SY_FD_RESERVED) != 0;
	for (int i = 0; i < nreserved; i++)
		if (*reserved[i] == fd && fd >= 0)
			return 1;
	return 0;
}

/* close_range over [first, last] without the reserved fds. */
static long close_range_around(unsigned first, unsigned last, unsigned flags)
{
	unsigned from = first;
	for (;;) {
		unsigned next_reserved = ~0u;
		if (sy_fd_map) { /* every hidden fd is marked there */
			for (unsigned fd = from; fd <= last && fd < SY_FD_MAP_SIZE; fd++)
				if (sy_fd_map[fd] & SY_FD_RESERVED) {
					next_reserved = fd;
					break;
				}
		} else {
			for (int i = 0; i < nreserved; i++) {
				unsigned fd = (unsigned)*reserved[i];
				if (fd >= from && fd <= last && fd < next_reserved)
					next_reserved = fd;
			}
		}
		if (next_reserved == ~0u)
			return from <= last ? sy_raw3(SYS_close_range, from, last, flags) : 0;
		if (next_reserved > from) {
			long r = sy_raw3(SYS_close_range, from, next_reserved - 1, flags);
			if (r < 0)
				return r;
		}
		if (next_reserved == last)
			return 0;
		from = next_reserved + 1;
	}
}

/* Returns 1 with *result set if the call was served here. */
int sy_fd_guard(struct sy_call *c, long *result)
{
	long *a = c->args;
	switch (c->nr) {
	case SYS_close:
		if (sy_fd_is_reserved((int)a[0])) {
			*result = -EBADF;
			return 1;
		}
		return 0;
	case SYS_close_range:
		if ((unsigned)a[0] > (unsigned)a[1] ||
		    (a[2] & ~(long)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
			return 0; /* the kernel's EINVAL */
		*result = close_range_around((unsigned)a[0], (unsigned)a[1], (unsigned)a[2]);
		return 1;
	case SYS_dup2:
	case SYS_dup3:
		if (sy_fd_is_reserved((int)a[0])) {
			*result = -EBADF;
			return 1;
		}
		int moved = 0;
		for (int i = 0; i < nreserved; i++)
			if (*reserved[i] == (int)a[1]) {
				if (move_high(reserved[i]) < 0) {
					*result = -EBUSY;
					return 1;
				}
				moved = 1;
			}
		if (!moved && sy_fd_is_reserved((int)a[1])) { /* a backend's, cannot move */
			*result = -EBUSY;
			return 1;
		}
		return 0;
	}
	return 0;
}

/* The public face of sy_fd_reserve for file-system backends (vfs.h). */
__attribute__((visibility("default"))) int sy_vfs_keep_fd(int *fdp)
{
	return sy_fd_reserve(fdp) < 0 ? -EMFILE : 0;
}

__attribute__((visibility("default"))) void sy_vfs_hide_fd(int fd, int hidden)
{
	if (!sy_fd_map)
		sy_fd_map_setup();
	map_mark(fd, hidden);
}

/* Where a backend's long-lived fds go (vfs.h): well above the numbers a
 * program uses, below the soft limit. */
__attribute__((visibility("default"))) int sy_vfs_fd_floor(void)
{
	struct rlimit rl;
	if (sy_raw4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &rl) < 0)
		return 512;
	long top = rl.rlim_cur > 65536 ? 65536 : (long)rl.rlim_cur;
	return (int)(top > 2048 ? top - 1024 : top / 2);
}
