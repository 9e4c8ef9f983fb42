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
#include <sys/syscall.h>

#include "sy.h"

#define MAX_RESERVED 4

static int *reserved[MAX_RESERVED];
static int nreserved;

/* Moves *fdp to the highest free number below the soft limit. */
static int move_high(int *fdp)
{
	struct rlimit rl;
	if (sy_raw4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &rl) < 0)
		return -1;
	long top = rl.rlim_cur > 65536 ? 65536 : (long)rl.rlim_cur;
	for (long want = top - 1; want > 2 && want > top - 256; want--) {
		long fd = sy_raw3(SYS_fcntl, *fdp, F_DUPFD_CLOEXEC, want);
		if (fd == want) {
			sy_raw1(SYS_close, *fdp);
			*fdp = (int)fd;
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
	if (nreserved == 1) {
		sy_mech_interest(SYS_close);
		sy_mech_interest(SYS_close_range);
		sy_mech_interest(SYS_dup2);
		sy_mech_interest(SYS_dup3);
	}
	return 0;
}

int sy_fd_is_reserved(int fd)
{
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
		for (int i = 0; i < nreserved; i++) {
			unsigned fd = (unsigned)*reserved[i];
			if (fd >= from && fd <= last && fd < next_reserved)
				next_reserved = fd;
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
		for (int i = 0; i < nreserved; i++)
			if (*reserved[i] == (int)a[1] && move_high(reserved[i]) < 0) {
				*result = -EBUSY;
				return 1;
			}
		return 0;
	}
	return 0;
}
