/*
 * Lazy rewriting: a `syscall` that SUD trapped is a real instruction the
 * program executes, so it is rewritten in place to `call *%rax` (ff d0) when
 * site_check.c finds it safe and the code is file-backed (JIT code in
 * anonymous memory stays on the trap path: its owner may rewrite or read it).
 *
 * The site bitmap holds one bit per address for the end of each rewritten
 * site; the entry stub checks it, so a call through a small function pointer
 * that lands in page 0 is told apart from a syscall. It is a sparse
 * reservation over the whole user address space: only pages with sites are
 * ever touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sy.h"

#define USER_SPACE (1UL << 47)
#define PAGE 4096UL

uint8_t *sy_site_bitmap;
long sy_sites_rewritten;
long sy_sites_refused[SY_SITE_VERDICTS];
static int rewrite_lock;

int sy_rewrite_setup(void)
{
	long p = sy_raw6(SYS_mmap, 0, USER_SPACE / 8, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p < 0 && p > -4096)
		return (int)p;
	sy_site_bitmap = (uint8_t *)p;
	return 0;
}

struct mapping {
	uintptr_t start, end;
	int prot;
	int file_backed;
};

static long parse_hex(const char **s)
{
	long v = 0;
	for (;; (*s)++) {
		char c = **s;
		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else
			return v;
	}
}

/* One line of /proc/self/maps: "start-end perms offset dev inode path". */
static int parse_maps_line(const char *line, struct mapping *m)
{
	const char *s = line;
	m->start = (uintptr_t)parse_hex(&s);
	if (*s++ != '-')
		return -1;
	m->end = (uintptr_t)parse_hex(&s);
	if (*s++ != ' ')
		return -1;
	m->prot = (s[0] == 'r' ? PROT_READ : 0) | (s[1] == 'w' ? PROT_WRITE : 0) |
		  (s[2] == 'x' ? PROT_EXEC : 0);
	/* skip perms, offset, dev; read inode */
	for (int field = 0; field < 3; field++) {
		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
	}
	long inode = 0;
	while (*s >= '0' && *s <= '9')
		inode = inode * 10 + (*s++ - '0');
	while (*s == ' ')
		s++;
	m->file_backed = inode != 0 && *s == '/';
	return 0;
}

/* Finds the mapping holding addr, joined with its neighbours of the same
 * kind (rewriting splits mappings at page bounds, and a site or the code
 * before it may cross one). Raw calls only: this runs in the SIGSYS handler. */
static int find_mapping(uintptr_t addr, struct mapping *out)
{
	static char buf[8192];
	char line[512];
	size_t line_len = 0;
	int have = 0, done = 0;
	struct mapping cur = {0, 0, 0, 0};
	long fd = sy_raw4(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	while (!done) {
		long n = sy_raw3(SYS_read, fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long i = 0; i < n && !done; i++) {
			if (buf[i] != '\n') {
				if (line_len < sizeof(line) - 1)
					line[line_len++] = buf[i];
				continue;
			}
			line[line_len] = 0;
			line_len = 0;
			struct mapping m;
			if (parse_maps_line(line, &m) < 0)
				continue;
			if (have && m.start == cur.end && m.prot == cur.prot &&
			    m.file_backed == cur.file_backed) {
				cur.end = m.end;
				continue;
			}
			if (have && addr >= cur.start && addr < cur.end)
				done = 1;
			else {
				cur = m;
				have = 1;
			}
		}
	}
	sy_raw1(SYS_close, fd);
	if (have && addr >= cur.start && addr < cur.end) {
		*out = cur;
		return 0;
	}
	return -1;
}

/* Sites already found unfit, so a trap there does not decode them again. */
#define REJECTED_SLOTS 4096
#define REJECTED_PROBES 8
static uintptr_t rejected[REJECTED_SLOTS];

static size_t rejected_slot(uintptr_t site, int probe)
{
	return (size_t)(((site * 0x9e3779b97f4a7c15UL) >> 52) + (unsigned)probe) % REJECTED_SLOTS;
}

static int is_rejected(uintptr_t site)
{
	for (int i = 0; i < REJECTED_PROBES; i++) {
		uintptr_t v = __atomic_load_n(&rejected[rejected_slot(site, i)], __ATOMIC_RELAXED);
		if (v == site)
			return 1;
		if (v == 0)
			return 0;
	}
	return 0;
}

/* Called with rewrite_lock held. */
static void reject(uintptr_t site, enum sy_site_verdict why)
{
	sy_sites_refused[why]++;
	if (sy_state.debug)
		sy_say("site %#lx stays on the trap path: %s", (unsigned long)site,
		       sy_site_verdict_name(why));
	for (int i = 0; i < REJECTED_PROBES; i++) {
		uintptr_t *slot = &rejected[rejected_slot(site, i)];
		if (*slot == 0) {
			__atomic_store_n(slot, site, __ATOMIC_RELAXED);
			return;
		}
	}
}

static void mark_site(uintptr_t end)
{
	__atomic_fetch_or(&sy_site_bitmap[end / 8], (uint8_t)(1u << (end % 8)), __ATOMIC_SEQ_CST);
}

/*
 * Tries to rewrite the `syscall` at `site`. Never blocks: if another thread
 * (or an interrupted outer call) is rewriting, this site waits for its next
 * trap.
 */
void sy_rewrite_try(uintptr_t site)
{
	if (sy_state.mode != SY_MODE_REWRITE || !sy_site_bitmap || is_rejected(site))
		return;
	if (__atomic_exchange_n(&rewrite_lock, 1, __ATOMIC_ACQUIRE))
		return;
	struct mapping m;
	if (find_mapping(site, &m) < 0 || !(m.prot & PROT_EXEC) || site + 2 > m.end ||
	    (site >= sy_state.text_start && site < sy_state.text_end)) {
		reject(site, SY_SITE_NOT_SYSCALL);
		goto out;
	}
	if (!m.file_backed) {
		reject(site, SY_SITE_ANONYMOUS);
		goto out;
	}
	const uint8_t *code = (const uint8_t *)site;
	enum sy_site_verdict v = sy_site_check(code, site - m.start, m.end - site, site,
						 sy_threads_in_use() <= 1, NULL);
	if (v != SY_SITE_OK) {
		reject(site, v);
		goto out;
	}
	uintptr_t page = site & ~(PAGE - 1);
	size_t span = ((site + 1) & ~(PAGE - 1)) == page ? PAGE : 2 * PAGE;
	if (sy_raw3(SYS_mprotect, page, span, m.prot | PROT_WRITE) < 0) {
		reject(site, SY_SITE_PROTECTED);
		goto out;
	}
	mark_site(site + 2);
	/* One 2-byte store: other threads see either the old instruction or the
	 * new one (the two bytes share a cache line, or no other thread runs). */
	__atomic_store_n((uint16_t *)site, (uint16_t)0xd0ff, __ATOMIC_SEQ_CST);
	sy_raw3(SYS_mprotect, page, span, m.prot);
	__atomic_fetch_add(&sy_sites_rewritten, 1, __ATOMIC_RELAXED);
out:
	__atomic_store_n(&rewrite_lock, 0, __ATOMIC_RELEASE);
}
