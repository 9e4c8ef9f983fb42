/*
 * Patching syscall sites. In rewrite mode every executable mapping is
 * scanned when it appears (at start-up, and after each mmap/mprotect/mremap
 * that makes file-backed code executable): each `syscall` instruction
 * becomes `call *%rax` (ff d0) when site_check.c finds that safe, and `int3`
 * (cc 90, caught as SIGTRAP and served like a trapped call) when not. Code
 * that cannot be scanned (anonymous executable memory: JIT code) turns
 * Syscall User Dispatch on, and sites SUD traps there stay trapped; sites it
 * traps in file-backed code (missed by the scan) are rewritten lazily.
 *
 * The site bitmap holds one bit per address for the end of each rewritten
 * site; the entry stub checks it, so a call through a small function pointer
 * that lands in page 0 is told apart from a syscall. It is a sparse
 * reservation over the whole user address space: only pages with sites are
 * ever touched. The sites turned into int3 are kept in a small hash set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "sy.h"

#define USER_SPACE (1UL << 47)
#define PAGE 4096UL

uint8_t *sy_site_bitmap;
long sy_sites_rewritten;
long sy_sites_trapped;
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
	uint64_t offset; /* in the file */
	uint64_t inode;
	int prot;
	int file_backed;
	int shared; /* MAP_SHARED: a store would reach the file */
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
	m->shared = s[3] == 's';
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	m->offset = (uint64_t)parse_hex(&s);
	/* skip offset, dev; read inode */
	for (int field = 0; field < 2; field++) {
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
	m->inode = (uint64_t)inode;
	m->file_backed = inode != 0 && *s == '/';
	return 0;
}

/*
 * Calls fn for each mapping of /proc/self/maps, joined with its neighbours
 * of the same kind (rewriting splits mappings at page bounds, and a site or
 * the code before it may cross one), until fn returns non-zero. `name` is
 * the path or [vdso]-style tag of the first part. Raw calls only: this runs
 * in the SIGSYS handler too.
 */
static int walk_maps(int (*fn)(const struct mapping *m, const char *name, void *arg), void *arg)
{
	char buf[4096]; /* on the stack: scans in several threads, and the SIGSYS handler */
	char line[512], name[512] = "";
	size_t line_len = 0;
	int have = 0, stop = 0;
	struct mapping cur;
	memset(&cur, 0, sizeof(cur));
	long fd = sy_raw4(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	while (!stop) {
		long n = sy_raw3(SYS_read, fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long i = 0; i < n && !stop; i++) {
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
			    m.file_backed == cur.file_backed && m.shared == cur.shared &&
			    m.inode == cur.inode) {
				cur.end = m.end;
				continue;
			}
			if (have)
				stop = fn(&cur, name, arg);
			cur = m;
			have = 1;
			const char *tag = strchr(line, '/') ? strchr(line, '/') : strchr(line, '[');
			size_t k = 0;
			for (; tag && tag[k] && k < sizeof(name) - 1; k++)
				name[k] = tag[k];
			name[k] = 0;
		}
	}
	sy_raw1(SYS_close, fd);
	if (have && !stop)
		fn(&cur, name, arg);
	return 0;
}

struct find_request {
	uintptr_t addr;
	struct mapping *out;
	char *name; /* NULL, or 256 bytes for the path */
	int found;
};

static int find_one(const struct mapping *m, const char *name, void *arg)
{
	struct find_request *r = arg;
	if (r->addr >= m->start && r->addr < m->end) {
		*r->out = *m;
		r->found = 1;
		if (r->name) {
			size_t k = 0;
			for (; name[k] && k < 255; k++)
				r->name[k] = name[k];
			r->name[k] = 0;
		}
		return 1;
	}
	return 0;
}

static int find_mapping(uintptr_t addr, struct mapping *out, char *name)
{
	struct find_request r = {addr, out, name, 0};
	return walk_maps(find_one, &r) == 0 && r.found ? 0 : -1;
}

/* A set of site addresses: open addressing, lock-free, never shrinks.
 * Readers may run in signal handlers; adding uses compare-and-swap. */
struct site_set {
	uintptr_t *slots;
	size_t size; /* a power of two */
	size_t probes;
};

static size_t site_slot(const struct site_set *set, uintptr_t site, size_t probe)
{
	return ((size_t)((site * 0x9e3779b97f4a7c15UL) >> 40) + probe) & (set->size - 1);
}

static int site_set_has(const struct site_set *set, uintptr_t site)
{
	for (size_t i = 0; i < set->probes; i++) {
		uintptr_t v =
		    __atomic_load_n(&set->slots[site_slot(set, site, i)], __ATOMIC_ACQUIRE);
		if (v == site)
			return 1;
		if (v == 0)
			return 0;
	}
	return 0;
}

static int site_set_add(struct site_set *set, uintptr_t site)
{
	for (size_t i = 0; i < set->probes; i++) {
		uintptr_t expected = 0;
		uintptr_t *slot = &set->slots[site_slot(set, site, i)];
		if (__atomic_compare_exchange_n(slot, &expected, site, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) ||
		    expected == site)
			return 0;
	}
	return -1; /* full along this probe sequence */
}

/* Sites already found unfit, so a trap there does not decode them again
 * (when the set is full they are decoded again: slower, not wrong). */
static uintptr_t rejected_slots[4096];
static struct site_set rejected = {rejected_slots, 4096, 8};

/* The sites turned into int3, for the SIGTRAP handler. */
static uintptr_t trap_slots[16384];
static struct site_set trap_sites = {trap_slots, 16384, 16384};

/* Called with rewrite_lock held. */
static void reject(uintptr_t site, enum sy_site_verdict why)
{
	sy_sites_refused[why]++;
	if (sy_state.debug)
		sy_say("site %#lx stays on the trap path: %s", (unsigned long)site,
		       sy_site_verdict_name(why));
	site_set_add(&rejected, site);
}

int sy_is_trap_site(uintptr_t site)
{
	return site_set_has(&trap_sites, site);
}

static void mark_site(uintptr_t end)
{
	__atomic_fetch_or(&sy_site_bitmap[end / 8], (uint8_t)(1u << (end % 8)), __ATOMIC_SEQ_CST);
}

/* Makes [start, end) writable as well, or fails. */
static int open_code(uintptr_t start, uintptr_t end, int prot)
{
	uintptr_t first = start & ~(PAGE - 1), last = (end + PAGE - 1) & ~(PAGE - 1);
	return sy_raw3(SYS_mprotect, first, last - first, prot | PROT_WRITE) < 0 ? -1 : 0;
}

static void close_code(uintptr_t start, uintptr_t end, int prot)
{
	uintptr_t first = start & ~(PAGE - 1), last = (end + PAGE - 1) & ~(PAGE - 1);
	sy_raw3(SYS_mprotect, first, last - first, prot);
}

/* One 2-byte store: other threads see either the old instruction or the new
 * one (the two bytes share a cache line, or no other thread runs the code). */
static void store_site(uintptr_t site, uint16_t bytes)
{
	__atomic_store_n((uint16_t *)site, bytes, __ATOMIC_SEQ_CST);
}

static void patch_call(uintptr_t site)
{
	mark_site(site + 2);
	store_site(site, 0xd0ff); /* ff d0: call *%rax */
	__atomic_fetch_add(&sy_sites_rewritten, 1, __ATOMIC_RELAXED);
}

static void patch_trap(uintptr_t site, enum sy_site_verdict why)
{
	if (site_set_add(&trap_sites, site) < 0) {
		sy_sud_require("too many sites to trap with int3");
		return;
	}
	/* cc 90: int3, then a byte never run (the handler resumes after both).
	 * Not ud2: under a hypervisor #UD exits to it (here 9 us against 2 us). */
	store_site(site, 0x90cc);
	__atomic_fetch_add(&sy_sites_trapped, 1, __ATOMIC_RELAXED);
	sy_sites_refused[why]++;
	if (sy_state.debug)
		sy_say("site %#lx traps through SIGTRAP: %s", (unsigned long)site,
		       sy_site_verdict_name(why));
}

/* Is `p` a syscall instruction, and may it become a call? With the unwind
 * tables the function around it is decoded from its start; without, nearby
 * code votes. Returns the verdict, or -1 (not an instruction), -2 (unclear). */
/* Bytes 0f 05 outside every function: tables in .text (libcrypto has
 * many), or code without unwind information. Only what looks like a real
 * call (whole instructions, rax set to a number just before) counts as
 * possible code, for SUD to watch; the rest is taken for data. */
static int looks_like_syscall(const struct mapping *m, const uint8_t *p)
{
	const uint8_t *base = (const uint8_t *)m->start, *end = (const uint8_t *)m->end;
	if (sy_site_is_boundary(p, (size_t)(p - base), (size_t)(end - p)) != 1)
		return 0;
	enum sy_site_verdict v = sy_site_check(p, (size_t)(p - base), (size_t)(end - p),
					       (uintptr_t)p, SY_CHECK_SINGLE_THREAD, NULL);
	return v != SY_SITE_RAX_VARIABLE && v != SY_SITE_RAX_RANGE && v != SY_SITE_NO_SYNC;
}

static int judge(const struct mapping *m, const struct sy_functions *fns, const uint8_t *p)
{
	const uint8_t *base = (const uint8_t *)m->start, *end = (const uint8_t *)m->end;
	uintptr_t fs, fe, next, site = (uintptr_t)p;
	if (fns) {
		if (sy_functions_find(fns, site, &fs, &fe, &next) < 0 || fs < m->start)
			return looks_like_syscall(m, p) ? -2 : -1;
		if (site >= fe) {
			/* In a gap after a function: code if that function runs
			 * on into it (glibc ends clone's unwind information just
			 * before its syscall); decode it with the gap. */
			if (!sy_code_falls_through((const uint8_t *)fs, fe - fs))
				return looks_like_syscall(m, p) ? -2 : -1;
			fe = next && next <= m->end ? next : m->end;
		}
		if (fe > m->end)
			return -2;
		enum sy_site_verdict v =
		    sy_site_check(p, site - fs, fe - site, site,
				  SY_CHECK_SINGLE_THREAD | SY_CHECK_FUNCTION, NULL);
		return v == SY_SITE_NOT_SYSCALL ? -1 : v == SY_SITE_NO_SYNC ? -2 : (int)v;
	}
	int boundary = sy_site_is_boundary(p, (size_t)(p - base), (size_t)(end - p));
	if (boundary <= 0)
		return boundary == 0 ? -1 : -2;
	return sy_site_check(p, (size_t)(p - base), (size_t)(end - p), site, SY_CHECK_SINGLE_THREAD,
			     NULL);
}

#define MAX_SITES 16384

/* Judges every 0f 05 of the region into entries[]; returns their count. */
static size_t scan_bytes(const struct mapping *m, struct sy_scan_entry *entries)
{
	const uint8_t *base = (const uint8_t *)m->start, *end = (const uint8_t *)m->end;
	struct sy_functions table;
	const struct sy_functions *fns =
	    sy_functions_open(m->start, m->offset, &table) == 0 ? &table : NULL;
	size_t n = 0;
	for (const uint8_t *p = base; p + 1 < end && n < MAX_SITES; p++) {
		p = memmem(p, (size_t)(end - p), "\x0f\x05", 2);
		if (!p)
			break;
		int v = judge(m, fns, p);
		if (v == -1)
			continue;
		struct sy_scan_entry *e = &entries[n++];
		e->offset = (uint32_t)(p - base);
		e->kind = v == -2 ? SY_SCAN_UNCLEAR : v == SY_SITE_OK ? SY_SCAN_CALL : SY_SCAN_TRAP;
		e->verdict = v < 0 ? 0 : (uint8_t)v;
		e->unused = 0;
	}
	if (n == MAX_SITES)
		sy_sud_require("too many syscall instructions in one mapping");
	return n;
}

/*
 * Scans one executable region (or takes what an earlier process found in
 * the same file) and patches every syscall instruction in it. The region is
 * fresh (just mapped) or the process is starting, so no other thread runs
 * its code yet and a site crossing a cache line may be patched.
 */
static void scan_region(const struct mapping *m, const char *path)
{
	if (m->shared) {
		sy_sud_require("code mapped shared from a file (patching would change the file)");
		return;
	}
	size_t bytes = MAX_SITES * sizeof(struct sy_scan_entry);
	long buf =
	    sy_raw6(SYS_mmap, 0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf < 0 && buf > -4096) {
		sy_sud_require("no memory to scan code");
		return;
	}
	struct sy_scan_entry *entries = (struct sy_scan_entry *)buf;
	uint64_t key[6];
	int keyed = path && m->file_backed &&
		    sy_scancache_key(path, m->inode, m->offset, m->end - m->start, key) == 0;
	long n = keyed ? sy_scancache_load(key, entries, MAX_SITES) : -1;
	for (long i = 0; i < n; i++) { /* the file must still say what it said */
		const uint8_t *p = (const uint8_t *)m->start + entries[i].offset;
		if (entries[i].offset + 2 > m->end - m->start || p[0] != 0x0f || p[1] != 0x05)
			n = -1;
	}
	if (n < 0) {
		n = (long)scan_bytes(m, entries);
		if (keyed)
			sy_scancache_store(key, entries, (size_t)n);
	}

	int opened = 0, need_sud = 0;
	for (long i = 0; i < n; i++) {
		uintptr_t site = m->start + entries[i].offset;
		if (entries[i].kind == SY_SCAN_UNCLEAR) { /* SUD catches it if it runs */
			if (sy_state.debug)
				sy_say(
				    "bytes 0f 05 at %#lx (offset %#lx in %s): not known to be code",
				    (unsigned long)site,
				    (unsigned long)(m->offset + entries[i].offset),
				    path ? path : "?");
			need_sud = 1;
			continue;
		}
		if (!opened) {
			if (open_code(m->start, m->end, m->prot) < 0) {
				if (sy_state.debug)
					sy_say("code at %#lx cannot be made writable",
					       (unsigned long)m->start);
				need_sud = 1;
				break;
			}
			opened = 1;
		}
		if (entries[i].kind == SY_SCAN_CALL)
			patch_call(site);
		else
			patch_trap(site, (enum sy_site_verdict)entries[i].verdict);
	}
	if (opened)
		close_code(m->start, m->end, m->prot);
	sy_raw2(SYS_munmap, buf, bytes);
	if (need_sud)
		sy_sud_require("bytes that may be syscalls in code that could not be decoded");
}

static int is_own_text(const struct mapping *m)
{
	return m->start < sy_state.text_end && m->end > sy_state.text_start;
}

struct scan_list {
	struct mapping regions[256];
	char paths[256][256];
	int n;
};

static int collect_executable(const struct mapping *m, const char *name, void *arg)
{
	struct scan_list *list = arg;
	if (!(m->prot & PROT_EXEC) || strcmp(name, "[vsyscall]") == 0 || is_own_text(m) ||
	    m->start == 0 /* the trampoline */)
		return 0;
	if (!m->file_backed && strcmp(name, "[vdso]") != 0)
		sy_sud_require("anonymous executable memory at start-up");
	else if (list->n < (int)(sizeof(list->regions) / sizeof(list->regions[0]))) {
		snprintf(list->paths[list->n], sizeof(list->paths[0]), "%s", name);
		list->regions[list->n++] = *m;
	} else
		sy_sud_require("too many executable mappings to scan");
	return 0;
}

/* Every executable mapping at start-up (patched after reading the list:
 * patching splits mappings and so changes /proc/self/maps). */
void sy_scan_all(void)
{
	static struct scan_list list;
	list.n = 0;
	if (walk_maps(collect_executable, &list) < 0) {
		sy_sud_require("/proc/self/maps cannot be read");
		return;
	}
	for (int i = 0; i < list.n; i++)
		scan_region(&list.regions[i], list.paths[i][0] == '/' ? list.paths[i] : NULL);
}

/*
 * After a call that may have made memory executable. File-backed code that
 * is not writable is scanned now, before the program can run it; anything
 * else (anonymous or writable code) is left to Syscall User Dispatch.
 */
void sy_scan_new_mapping(const struct sy_call *c, long result)
{
	uintptr_t start;
	size_t len;
	int prot;
	if (sy_state.mode != SY_MODE_REWRITE || (result < 0 && result > -4096))
		return;
	switch (c->nr) {
	case SYS_mmap:
		start = (uintptr_t)result, len = (size_t)c->args[1], prot = (int)c->args[2];
		break;
	case SYS_mprotect:
	case SYS_pkey_mprotect:
		start = (uintptr_t)c->args[0], len = (size_t)c->args[1], prot = (int)c->args[2];
		break;
	case SYS_mremap:
		start = (uintptr_t)result, len = (size_t)c->args[2], prot = PROT_EXEC;
		break;
	case SYS_shmat:
		if (!(c->args[2] & SHM_EXEC))
			return;
		sy_sud_require("shared memory attached executable");
		return;
	default:
		return;
	}
	if (!(prot & PROT_EXEC) || len == 0)
		return;
	struct mapping m;
	char name[256];
	uintptr_t at = start, end = start + len;
	while (at < end) {
		if (find_mapping(at, &m, name) < 0)
			return;
		if (!m.file_backed || (m.prot & PROT_WRITE)) {
			sy_sud_require("anonymous or writable executable memory");
			return;
		}
		struct mapping part = m;
		if (part.start < start) {
			part.offset += start - part.start;
			part.start = start;
		}
		if (part.end > end)
			part.end = end;
		if (!is_own_text(&part) && (part.prot & PROT_EXEC))
			scan_region(&part, name[0] == '/' ? name : NULL);
		at = m.end;
	}
}

/*
 * Tries to rewrite the `syscall` at `site`. Never blocks: if another thread
 * (or an interrupted outer call) is rewriting, this site waits for its next
 * trap.
 */
void sy_rewrite_try(uintptr_t site)
{
	if (sy_state.mode != SY_MODE_REWRITE || !sy_site_bitmap || site_set_has(&rejected, site))
		return;
	if (__atomic_exchange_n(&rewrite_lock, 1, __ATOMIC_ACQUIRE))
		return;
	struct mapping m;
	if (find_mapping(site, &m, NULL) < 0 || !(m.prot & PROT_EXEC) || site + 2 > m.end ||
	    (site >= sy_state.text_start && site < sy_state.text_end)) {
		reject(site, SY_SITE_NOT_SYSCALL);
		goto out;
	}
	if (!m.file_backed || m.shared) { /* JIT code; or a store would reach the file */
		reject(site, SY_SITE_ANONYMOUS);
		goto out;
	}
	const uint8_t *code = (const uint8_t *)site;
	enum sy_site_verdict v =
	    sy_site_check(code, site - m.start, m.end - site, site,
			  sy_threads_in_use() <= 1 ? SY_CHECK_SINGLE_THREAD : 0, NULL);
	if (v != SY_SITE_OK) {
		reject(site, v);
		goto out;
	}
	if (open_code(site, site + 2, m.prot) < 0) {
		reject(site, SY_SITE_PROTECTED);
		goto out;
	}
	patch_call(site);
	close_code(site, site + 2, m.prot);
out:
	__atomic_store_n(&rewrite_lock, 0, __ATOMIC_RELEASE);
}
