/*
 * Which program memory can be read without a fault: a snapshot of the
 * readable mappings (/proc/self/maps), so that small copies of program
 * memory (the path of every call that names one, when the VFS serves
 * mounts) are a memcpy instead of a system call.
 *
 * The snapshot only ever holds memory that is readable: it is read again
 * when an address is not in it, and a range leaves it before the call that
 * could unmap it or change its permissions runs (munmap, mremap,
 * mprotect, a MAP_FIXED mmap, shmdt: sy_user_forget). It also says which
 * of it is writable, for copies out. A program that unmaps
 * memory in one thread while another passes it to a system call could see
 * the copy fault where the kernel would say EFAULT; that is a race in the
 * program already.
 *
 * Readers never wait: a writer bumps a sequence number around its change
 * (odd while it works), and a reader that sees it move takes the slow copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "sy.h"

#define MAX_RANGES 8192

struct range {
	uintptr_t lo, hi;
	int writable;
};

static struct range ranges[MAX_RANGES];
static int nranges;
static uint64_t seq; /* odd while a writer changes the table */
static int lock;

static int try_lock(void)
{
	return !__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE);
}

static void unlock(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

static void write_begin(void)
{
	__atomic_add_fetch(&seq, 1, __ATOMIC_ACQ_REL);
}

static void write_end(void)
{
	__atomic_add_fetch(&seq, 1, __ATOMIC_ACQ_REL);
}

static uintptr_t hex(const char **p)
{
	uintptr_t v = 0;
	for (;; (*p)++) {
		char c = **p;
		if (c >= '0' && c <= '9')
			v = v * 16 + (uintptr_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uintptr_t)(c - 'a' + 10);
		else
			return v;
	}
}

/* Reads the readable mappings again (under the lock). */
static void refresh(void)
{
	long fd = sy_raw4(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	write_begin();
	int n = 0;
	char buf[8192];
	size_t have = 0;
	for (;;) {
		long r = sy_raw3(SYS_read, fd, buf + have, sizeof(buf) - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = 0;
		char *line = buf, *nl;
		while ((nl = memchr(line, '\n', (size_t)(buf + have - line)))) {
			const char *p = line;
			uintptr_t lo = hex(&p);
			p++; /* '-' */
			uintptr_t hi = hex(&p);
			p++; /* ' ' */
			if (p[0] == 'r' && n < MAX_RANGES && hi > lo) {
				int w = p[1] == 'w';
				if (n && ranges[n - 1].hi == lo && ranges[n - 1].writable == w)
					ranges[n - 1].hi = hi; /* adjacent and alike: one range */
				else
					ranges[n++] = (struct range){lo, hi, w};
			}
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
	}
	sy_raw1(SYS_close, fd);
	__atomic_store_n(&nranges, n, __ATOMIC_RELEASE);
	write_end();
}

/* Is [p, p+n) in the table (and writable, if asked)? (a reader: -1 if
 * the table moved meanwhile) */
static int lookup(uintptr_t p, size_t n, int write)
{
	uint64_t s = __atomic_load_n(&seq, __ATOMIC_ACQUIRE);
	if (s & 1)
		return -1;
	int lo = 0, hi = __atomic_load_n(&nranges, __ATOMIC_ACQUIRE) - 1, found = 0;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (p < ranges[mid].lo)
			hi = mid - 1;
		else if (p >= ranges[mid].hi)
			lo = mid + 1;
		else {
			found = n <= ranges[mid].hi - p && (!write || ranges[mid].writable);
			break;
		}
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&seq, __ATOMIC_RELAXED) != s)
		return -1;
	return found;
}

static int known(const void *p, size_t n, int write)
{
	uintptr_t a = (uintptr_t)p;
	if (!n || a < 4096 || a + n < a)
		return 0;
	int r = lookup(a, n, write);
	if (r == 1)
		return 1;
	if (r == 0 && try_lock()) { /* not known: the mappings may have grown */
		refresh();
		unlock();
		r = lookup(a, n, write);
	}
	return r == 1;
}

int sy_user_readable(const void *p, size_t n)
{
	return known(p, n, 0);
}

int sy_user_writable(const void *p, size_t n)
{
	return known(p, n, 1);
}

void sy_user_forget(uintptr_t start, size_t len)
{
	uintptr_t end = start + len < start ? UINTPTR_MAX : start + len;
	while (!try_lock())
		__builtin_ia32_pause();
	write_begin();
	int n = __atomic_load_n(&nranges, __ATOMIC_RELAXED), out = 0;
	struct range split = {0, 0, 0};
	for (int i = 0; i < n; i++) {
		struct range r = ranges[i];
		if (r.hi <= start || r.lo >= end) {
			ranges[out++] = r;
			continue;
		}
		if (r.lo < start)
			ranges[out++] = (struct range){r.lo, start, r.writable};
		if (r.hi > end) /* at most one range can reach past end */
			split = (struct range){end, r.hi, r.writable};
	}
	if (split.hi > split.lo && out < MAX_RANGES) {
		int at = out;
		while (at > 0 && ranges[at - 1].lo > split.lo) {
			ranges[at] = ranges[at - 1];
			at--;
		}
		ranges[at] = split;
		out++;
	}
	__atomic_store_n(&nranges, out, __ATOMIC_RELEASE);
	write_end();
	unlock();
}

uint8_t sy_usermem_on;

/* From here on every call that can unmap memory or take its read
 * permission away reaches the mechanism (sy_usermem_note), at any depth. */
void sy_usermem_track(void)
{
	static const long calls[] = {SYS_munmap,	SYS_mremap, SYS_mprotect,
				     SYS_pkey_mprotect, SYS_shmdt,  SYS_mmap};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		sy_mech_interest(calls[i]);
	__atomic_store_n(&sy_usermem_on, 1, __ATOMIC_RELEASE);
}

/* Before such a call runs: its range leaves the snapshot. */
void sy_usermem_note(const struct sy_call *c)
{
	if (!sy_usermem_on)
		return;
	const long *a = c->args;
	switch (c->nr) {
	case SYS_munmap:
	case SYS_mremap:
		sy_user_forget((uintptr_t)a[0], (size_t)a[1]);
		break;
	case SYS_mprotect:
	case SYS_pkey_mprotect: /* read or write taken away, or given: read again later */
		sy_user_forget((uintptr_t)a[0], (size_t)a[1]);
		break;
	case SYS_mmap:
		if (a[3] & (0x10 | 0x100000) /* MAP_FIXED, MAP_FIXED_NOREPLACE */)
			sy_user_forget((uintptr_t)a[0], (size_t)a[1]);
		break;
	case SYS_shmdt: /* its size is not given: everything above it */
		sy_user_forget((uintptr_t)a[0], UINTPTR_MAX - (uintptr_t)a[0]);
		break;
	}
}
