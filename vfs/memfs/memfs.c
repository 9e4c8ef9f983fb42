/*
 * memfs: a tmpfs-like backend in one shared memory arena.
 *
 * The arena is a memfd (kept open without O_CLOEXEC, so it survives execve)
 * mapped MAP_SHARED. Everything inside is addressed by offsets from the
 * arena's base, never by pointers, so a process that maps the same memfd at
 * another address (after execve, restore()) reads the same structures.
 *
 * Layout:
 *   page 0        the superblock: magic, the robust process-shared mutex
 *                 that guards everything (one big lock), allocator heads,
 *                 counters, the root inode
 *   bitmap        one bit per 256-byte slot of the heap: set where a live
 *                 inode starts (node_from_id() validates ids with it)
 *   heap          4 KiB pages handed out by a bump pointer and a free list;
 *                 small objects (inodes, directory entries, symlink
 *                 targets) are carved from pages into power-of-two classes
 *                 of 64..2048 bytes, each with its own free list
 *
 * Node handles: a struct sy_vfs_node * is the inode's arena offset itself,
 * cast to a pointer (offsets are never 0: the superblock is at 0). Handles
 * need no per-process memory, so they stay valid across fork. The
 * references behind handles are counted in the inode (`refs`, in the
 * arena): an inode is freed when it has neither names (nlink 0) nor
 * references; set_refs() sets the count the VFS layer recounted.
 *
 * Node ids (node_id(), and st_ino and d_ino) are the offset in bits 0..43
 * (an arena is below 2^44 bytes) and the inode slot's generation in bits
 * 44..63. A freed inode's slot goes on a free list of its own, never to
 * other objects, and keeps its generation there, one higher than the inode
 * that left it: node_from_id() wants a live inode at the offset (the
 * bitmap) with the id's generation, so an id of a freed node gives ESTALE
 * until the slot has been reused 2^20 times.
 *
 * Regular files keep their data in 4 KiB blocks: the first 8 addressed from
 * the inode, the others under a radix tree of 4 KiB index pages (512 slots
 * each) that grows in depth as the file does; holes have no blocks and read
 * as zeros. Files end at 2^63 - 1 bytes, as on tmpfs (EFBIG). Only data blocks count against
 * the `size` option (64k to 4T, default 64M; ENOSPC past it, a short count
 * when part of a write fits); index pages, inodes and entries come from the
 * metadata part of the arena (as large as the data part, at least 32 MiB;
 * inodes up to half of it).
 *
 * Directories keep their entries in a doubly linked list in insertion
 * order; each entry has a cookie from a per-directory counter that only
 * grows, so a readdir cookie stays meaningful when entries are removed.
 * From 16 entries on, a hash index (buckets in pages, two entries a bucket,
 * up to 2^18 buckets) makes lookups constant time, and a listing resumes
 * where the last readdir stopped without a scan. A directory knows its
 * parent, so rename refuses to make a cycle (EINVAL) even if asked.
 *
 * Instances: `size =`, and `name =` for a POSIX shared memory object that
 * unrelated processes open by name and that outlives them (formatted by the
 * first under its flock). save() gives "fd=N", restore() maps it again.
 *
 * A process killed while holding the lock leaves EOWNERDEAD to the next,
 * which repairs the arena (mf_fsck) before marking the lock consistent:
 * stores are ordered so that a death between two of them leaks an object at
 * worst, and the repair derives counts, links and sizes again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "memfs.h"

#define MF_MAGIC 0x3153464d454d5953ull /* "SYMEMFS1" */
#define MF_VERSION 3		       /* 2: inode generations, the inode free list; 3: xattrs */
#define MF_PAGE 4096ull
#define MF_INODE_SIZE 256ull
#define MF_MAX_FILE 0x7fffffffffffffffull /* EFBIG past it: MAX_LFS_FILESIZE, as tmpfs */
#define MF_NAME_MAX 255
#define MF_PATH_MAX 4096
#define MF_BOGO_DIRENT 20    /* tmpfs: a directory's size grows by 20 per entry */
#define MF_SHORT_SYMLINK 128 /* tmpfs: shorter symlinks take no block */
#define MF_MIN_SIZE (64ull * 1024)
#define MF_DEFAULT_SIZE (64ull << 20)
#define MF_MAX_SIZE (1ull << 42)
#define MF_MIN_META (32ull << 20)
#define MF_NCLASS 6	/* 64, 128, ..., 2048 */
#define MF_NDIRECT 8	/* blocks a regular file addresses from its inode */
#define MF_HASH_FROM 16 /* a directory of that many entries gets a hash index */
#define MF_HASH_MIN_BITS 9
#define MF_HASH_MAX_BITS 18
#define TMPFS_MAGIC_NUMBER 0x01021994
#define MF_ID_OFF_BITS 44 /* node ids: offset | generation << 44 */
#define MF_ID_OFF_MASK ((1ull << MF_ID_OFF_BITS) - 1)
#define MF_GEN_MASK ((1u << (64 - MF_ID_OFF_BITS)) - 1)

/* Crash order: a process may die (SIGKILL) between any two stores while it
 * holds the lock, and the next one repairs (mf_fsck). So an object is
 * unlinked from its owner before it goes on a free list, and filled before
 * it is linked: a death in between leaks it, never lists it twice. The
 * compiler keeps stores in program order across this fence. */
#define MF_ORDER() __atomic_signal_fence(__ATOMIC_SEQ_CST)

struct mf_ts {
	int64_t sec, nsec;
};

struct mf_super {
	uint64_t magic;
	uint32_t version, pad;
	uint64_t arena_size;
	pthread_mutex_t lock;
	uint64_t bitmap_off, bitmap_len;
	uint64_t heap_start, bump;
	uint64_t free_pages;
	uint64_t free_small[MF_NCLASS];
	uint64_t data_max, data_used; /* in blocks */
	uint64_t inodes_max, inodes_used;
	uint64_t root;
	uint64_t free_inodes; /* freed inode slots, which keep their generation */
};

struct mf_inode {
	uint32_t mode, nlink, uid, gid;
	uint32_t refs; /* references held through node handles */
	uint32_t gen;  /* the slot's generation: kept on the free list */
	uint64_t rdev, size;
	uint64_t blocks; /* data blocks held */
	struct mf_ts atime, mtime, ctime, btime;
	uint64_t data; /* regular: radix root; symlink: the target */
	union {
		struct {			     /* regular file */
			uint32_t depth;		     /* levels of the radix tree */
			uint32_t mapped;	     /* its blocks were handed to map_pages() */
			uint64_t direct[MF_NDIRECT]; /* blocks 0..7 */
		};
		struct {		      /* directory */
			uint64_t first, last; /* entries in insertion order */
			uint64_t next_cookie;
			uint64_t nentries;
			uint64_t htab;	 /* page of bucket pages, or 0 */
			uint32_t hbits;	 /* log2 of the bucket count */
			uint32_t rd_ok;	 /* rd_cookie and rd_next say something */
			uint64_t parent; /* the directory that names it */
			/* where the last readdir stopped: the first entry
			 * after cookie rd_cookie, kept up as entries go */
			uint64_t rd_cookie, rd_next;
		};
	};
	uint64_t xattr; /* a page of extended attributes, or 0 */
};

struct mf_dirent {
	uint64_t next, prev;
	uint64_t ino;
	uint64_t cookie;
	uint64_t hnext; /* the next in its hash bucket */
	uint32_t hash;
	uint16_t namelen;
	char name[];
};

_Static_assert(sizeof(struct mf_inode) <= MF_INODE_SIZE, "inode too large");
_Static_assert(sizeof(struct mf_super) <= MF_PAGE, "superblock too large");
_Static_assert(offsetof(struct mf_inode, gen) >= sizeof(uint64_t), "gen under the free link");
/* the largest arena: superblock, bitmap and heap (data and as much metadata) */
_Static_assert(MF_PAGE + 2 * MF_MAX_SIZE / MF_INODE_SIZE / 8 + 2 * MF_MAX_SIZE <
		   (1ull << MF_ID_OFF_BITS),
	       "arena offsets do not fit in ids");

struct sy_vfs {
	char *base;
	uint64_t size;
	uint64_t fsid; /* from the arena file's device and inode numbers */
	int fd;
	struct sy_vfs *next; /* this process's instances */
};

/* Provided by libswitchyard; absent when memfs runs on its own (tests). */
extern int sy_vfs_keep_fd(int *fdp) __attribute__((weak));

static struct sy_vfs *mf_instances;
static pthread_mutex_t mf_instances_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- basics */

static inline struct mf_super *mf_sb(struct sy_vfs *fs)
{
	return (struct mf_super *)fs->base;
}

static inline void *mf_ptr(struct sy_vfs *fs, uint64_t off)
{
	return fs->base + off;
}

static inline struct mf_inode *mf_ino(struct sy_vfs *fs, uint64_t off)
{
	return (struct mf_inode *)(fs->base + off);
}

static inline struct mf_dirent *mf_dent(struct sy_vfs *fs, uint64_t off)
{
	return (struct mf_dirent *)(fs->base + off);
}

static inline uint64_t mf_off(struct sy_vfs_node *node)
{
	return (uint64_t)(uintptr_t)node;
}

static inline struct sy_vfs_node *mf_node(uint64_t off)
{
	return (struct sy_vfs_node *)(uintptr_t)off;
}

static struct mf_ts mf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (struct mf_ts){ts.tv_sec, ts.tv_nsec};
}

static struct timespec mf_tspec(struct mf_ts t)
{
	return (struct timespec){.tv_sec = t.sec, .tv_nsec = t.nsec};
}

static int mf_ts_cmp(struct mf_ts a, struct mf_ts b)
{
	if (a.sec != b.sec)
		return a.sec < b.sec ? -1 : 1;
	if (a.nsec != b.nsec)
		return a.nsec < b.nsec ? -1 : 1;
	return 0;
}

static int mf_fsck(struct sy_vfs *fs, int fix, char *err, size_t errlen);

static int mf_lock(struct sy_vfs *fs)
{
	int r = pthread_mutex_lock(&mf_sb(fs)->lock);
	if (r == EOWNERDEAD) {
		/* A process died holding the lock, maybe half-way through a
		 * change: repair what it may have left, then mark the lock
		 * usable (one who dies repairing leaves it to the next). */
		mf_fsck(fs, 1, NULL, 0);
		pthread_mutex_consistent(&mf_sb(fs)->lock);
		return 0;
	}
	return r ? -EIO : 0;
}

static void mf_unlock(struct sy_vfs *fs)
{
	pthread_mutex_unlock(&mf_sb(fs)->lock);
}

int sy_memfs_test_lock(struct sy_vfs *fs)
{
	return mf_lock(fs);
}

/* ------------------------------------------------------------- allocator */

static uint64_t mf_page_alloc(struct sy_vfs *fs)
{
	struct mf_super *sb = mf_sb(fs);
	uint64_t off = sb->free_pages;
	if (off) {
		sb->free_pages = *(uint64_t *)mf_ptr(fs, off);
		return off;
	}
	if (sb->bump + MF_PAGE > sb->arena_size)
		return 0;
	off = sb->bump;
	sb->bump += MF_PAGE;
	return off;
}

static void mf_page_free(struct sy_vfs *fs, uint64_t off)
{
	struct mf_super *sb = mf_sb(fs);
	*(uint64_t *)mf_ptr(fs, off) = sb->free_pages;
	MF_ORDER();
	sb->free_pages = off;
}

static uint64_t mf_page_zalloc(struct sy_vfs *fs)
{
	uint64_t off = mf_page_alloc(fs);
	if (off)
		memset(mf_ptr(fs, off), 0, MF_PAGE);
	return off;
}

/* The class of a small object of `size` bytes, or MF_NCLASS for a page. */
static int mf_class(size_t size)
{
	int c = 0;
	while (c < MF_NCLASS && (64u << c) < size)
		c++;
	return c;
}

static uint64_t mf_alloc(struct sy_vfs *fs, size_t size)
{
	struct mf_super *sb = mf_sb(fs);
	int c = mf_class(size);
	if (c == MF_NCLASS)
		return mf_page_alloc(fs);
	uint64_t off = sb->free_small[c];
	if (!off) {
		uint64_t page = mf_page_alloc(fs);
		if (!page)
			return 0;
		uint64_t sz = 64u << c;
		/* keep the first piece, chain the others */
		for (uint64_t p = page + MF_PAGE - sz; p > page; p -= sz) {
			*(uint64_t *)mf_ptr(fs, p) = sb->free_small[c];
			MF_ORDER();
			sb->free_small[c] = p;
		}
		return page;
	}
	sb->free_small[c] = *(uint64_t *)mf_ptr(fs, off);
	return off;
}

static void mf_free(struct sy_vfs *fs, uint64_t off, size_t size)
{
	struct mf_super *sb = mf_sb(fs);
	int c = mf_class(size);
	if (c == MF_NCLASS) {
		mf_page_free(fs, off);
		return;
	}
	*(uint64_t *)mf_ptr(fs, off) = sb->free_small[c];
	MF_ORDER();
	sb->free_small[c] = off;
}

/* ---------------------------------------------------------------- inodes */

static uint8_t *mf_bitmap(struct sy_vfs *fs)
{
	return (uint8_t *)mf_ptr(fs, mf_sb(fs)->bitmap_off);
}

static int mf_valid_inode(struct sy_vfs *fs, uint64_t off)
{
	struct mf_super *sb = mf_sb(fs);
	if (off < sb->heap_start || off >= sb->bump || off % MF_INODE_SIZE)
		return 0;
	uint64_t bit = (off - sb->heap_start) / MF_INODE_SIZE;
	return (mf_bitmap(fs)[bit / 8] >> (bit % 8)) & 1;
}

static void mf_bitmap_set(struct sy_vfs *fs, uint64_t off, int on)
{
	uint64_t bit = (off - mf_sb(fs)->heap_start) / MF_INODE_SIZE;
	if (on)
		mf_bitmap(fs)[bit / 8] |= (uint8_t)(1u << (bit % 8));
	else
		mf_bitmap(fs)[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
}

static uint64_t mf_inode_new(struct sy_vfs *fs, struct mf_inode *dir, uint32_t mode, uint64_t rdev,
			     const struct sy_vfs_cred *cred, struct mf_ts now)
{
	struct mf_super *sb = mf_sb(fs);
	if (sb->inodes_used >= sb->inodes_max)
		return 0;
	/* a slot freed by an inode keeps its generation; others never were
	 * an inode (inode slots go to no other use) and start at 0 */
	uint64_t off = sb->free_inodes;
	uint32_t gen = 0;
	if (off) {
		sb->free_inodes = *(uint64_t *)mf_ptr(fs, off);
		gen = mf_ino(fs, off)->gen;
	} else if (!(off = mf_alloc(fs, MF_INODE_SIZE))) {
		return 0;
	}
	struct mf_inode *ino = mf_ino(fs, off);
	memset(ino, 0, MF_INODE_SIZE);
	ino->gen = gen;
	ino->mode = mode;
	ino->uid = cred ? cred->uid : 0;
	ino->gid = cred ? cred->gid : 0;
	if (dir && (dir->mode & S_ISGID)) {
		/* the setgid directory rule */
		ino->gid = dir->gid;
		if (S_ISDIR(mode))
			ino->mode |= S_ISGID;
	}
	ino->nlink = S_ISDIR(mode) ? 2 : 1;
	ino->rdev = rdev;
	ino->size = S_ISDIR(mode) ? 2 * MF_BOGO_DIRENT : 0;
	ino->atime = ino->mtime = ino->ctime = ino->btime = now;
	MF_ORDER();
	mf_bitmap_set(fs, off, 1);
	sb->inodes_used++;
	return off;
}

static void mf_blocks_truncate(struct sy_vfs *fs, struct mf_inode *ino, uint64_t first);
static void mf_htab_free(struct sy_vfs *fs, uint64_t htab, uint32_t hbits);

static void mf_inode_free(struct sy_vfs *fs, uint64_t off)
{
	struct mf_inode *ino = mf_ino(fs, off);
	/* out of sight first: a death below leaks what it holds */
	mf_bitmap_set(fs, off, 0);
	mf_sb(fs)->inodes_used--;
	MF_ORDER();
	if (S_ISREG(ino->mode)) {
		mf_blocks_truncate(fs, ino, 0);
	} else if (S_ISLNK(ino->mode)) {
		if (ino->data)
			mf_free(fs, ino->data, ino->size + 1);
	} else if (S_ISDIR(ino->mode)) {
		uint64_t e = ino->first;
		while (e) {
			struct mf_dirent *d = mf_dent(fs, e);
			uint64_t next = d->next;
			mf_free(fs, e, sizeof(*d) + d->namelen + 1);
			e = next;
		}
		if (ino->htab)
			mf_htab_free(fs, ino->htab, ino->hbits);
	}
	if (ino->xattr)
		mf_page_free(fs, ino->xattr);
	uint32_t gen = ino->gen + 1; /* ids of this inode are stale from here */
	memset(ino, 0, sizeof(*ino));
	ino->gen = gen;
	*(uint64_t *)mf_ptr(fs, off) = mf_sb(fs)->free_inodes;
	MF_ORDER();
	mf_sb(fs)->free_inodes = off;
}

/* The id of a live inode: its offset and generation. */
static uint64_t mf_id(struct sy_vfs *fs, uint64_t off)
{
	return off | (uint64_t)(mf_ino(fs, off)->gen & MF_GEN_MASK) << MF_ID_OFF_BITS;
}

static void mf_maybe_free(struct sy_vfs *fs, uint64_t off)
{
	struct mf_inode *ino = mf_ino(fs, off);
	if (ino->nlink == 0 && ino->refs == 0)
		mf_inode_free(fs, off);
}

/* relatime, the kernel's default: atime moves when it is not newer than
 * mtime or ctime, or is a day old. */
static void mf_touch_atime(struct mf_inode *ino)
{
	struct mf_ts now = mf_now();
	if (mf_ts_cmp(ino->mtime, ino->atime) >= 0 || mf_ts_cmp(ino->ctime, ino->atime) >= 0 ||
	    now.sec - ino->atime.sec >= 24 * 3600)
		ino->atime = now;
}

/* ------------------------------------------------------------ data blocks */

/* The leaf slot of block `idx`; NULL when absent (alloc 0) or when no page
 * is left for the index (alloc 1). */
static uint64_t *mf_slot(struct sy_vfs *fs, struct mf_inode *ino, uint64_t idx, int alloc)
{
	if (idx < MF_NDIRECT)
		return &ino->direct[idx];
	if (!ino->data) {
		if (!alloc)
			return NULL;
		uint32_t d = 1;
		while (idx >> (9 * d))
			d++;
		uint64_t off = mf_page_zalloc(fs);
		if (!off)
			return NULL;
		ino->data = off;
		ino->depth = d;
	}
	while (idx >> (9 * ino->depth)) {
		if (!alloc)
			return NULL;
		uint64_t off = mf_page_zalloc(fs);
		if (!off)
			return NULL;
		*(uint64_t *)mf_ptr(fs, off) = ino->data;
		ino->data = off;
		ino->depth++;
	}
	uint64_t node = ino->data;
	for (int lvl = (int)ino->depth - 1; lvl > 0; lvl--) {
		uint64_t *s = (uint64_t *)mf_ptr(fs, node) + ((idx >> (9 * lvl)) & 511);
		if (!*s) {
			if (!alloc)
				return NULL;
			uint64_t off = mf_page_zalloc(fs);
			if (!off)
				return NULL;
			*s = off;
		}
		node = *s;
	}
	return (uint64_t *)mf_ptr(fs, node) + (idx & 511);
}

/* Block `idx` of a file, allocated if alloc and there is room: zeroed, or
 * not (alloc 2) when the caller is about to fill all of it. */
static char *mf_block(struct sy_vfs *fs, struct mf_inode *ino, uint64_t idx, int alloc)
{
	uint64_t *s = mf_slot(fs, ino, idx, alloc);
	if (!s)
		return NULL;
	if (!*s) {
		struct mf_super *sb = mf_sb(fs);
		if (!alloc || sb->data_used >= sb->data_max)
			return NULL;
		uint64_t off = alloc == 2 ? mf_page_alloc(fs) : mf_page_zalloc(fs);
		if (!off)
			return NULL;
		*s = off;
		sb->data_used++;
		ino->blocks++;
	}
	return mf_ptr(fs, *s);
}

static void mf_tree_free(struct sy_vfs *fs, struct mf_inode *ino, uint64_t node, int lvl,
			 uint64_t base, uint64_t first)
{
	uint64_t *n = (uint64_t *)mf_ptr(fs, node);
	uint64_t span = 1ull << (9 * lvl);
	for (uint64_t s = 0; s < 512; s++) {
		if (!n[s])
			continue;
		uint64_t lo = base + s * span;
		if (lo + span <= first)
			continue;
		if (lvl > 0)
			mf_tree_free(fs, ino, n[s], lvl - 1, lo, first);
		if (lvl == 0 || lo >= first) {
			uint64_t b = n[s];
			n[s] = 0;
			MF_ORDER();
			mf_page_free(fs, b);
			if (lvl == 0) {
				mf_sb(fs)->data_used--;
				ino->blocks--;
			}
		}
	}
}

/* Frees the blocks from index `first` on. */
static void mf_blocks_truncate(struct sy_vfs *fs, struct mf_inode *ino, uint64_t first)
{
	for (uint64_t i = first; i < MF_NDIRECT; i++) {
		uint64_t b = ino->direct[i];
		if (b) {
			ino->direct[i] = 0;
			MF_ORDER();
			mf_page_free(fs, b);
			mf_sb(fs)->data_used--;
			ino->blocks--;
		}
	}
	if (!ino->data)
		return;
	mf_tree_free(fs, ino, ino->data, (int)ino->depth - 1, 0, first);
	if (first <= MF_NDIRECT) { /* the tree holds nothing below */
		uint64_t root = ino->data;
		ino->data = 0;
		ino->depth = 0;
		MF_ORDER();
		mf_page_free(fs, root);
	}
}

static int mf_set_size(struct sy_vfs *fs, struct mf_inode *ino, uint64_t size)
{
	if (size > MF_MAX_FILE)
		return -EFBIG;
	if (size < ino->size && ino->mapped) {
		/* a mapping may still reach these blocks: they stay the file's,
		 * zeroed, and go when the file does */
		for (uint64_t i = (size + MF_PAGE - 1) / MF_PAGE;
		     i < (ino->size + MF_PAGE - 1) / MF_PAGE; i++) {
			char *b = mf_block(fs, ino, i, 0);
			if (b)
				memset(b, 0, MF_PAGE);
		}
	} else if (size < ino->size) {
		mf_blocks_truncate(fs, ino, (size + MF_PAGE - 1) / MF_PAGE);
	}
	if (size < ino->size) {
		/* what lies past the end in the last block reads as zeros
		 * when the file grows again */
		if (size % MF_PAGE) {
			char *b = mf_block(fs, ino, size / MF_PAGE, 0);
			if (b)
				memset(b + size % MF_PAGE, 0, MF_PAGE - size % MF_PAGE);
		}
	}
	ino->size = size;
	return 0;
}

/* ----------------------------------------------------------- directories */

static int mf_name_ok(const char *name)
{
	size_t n = strnlen(name, MF_NAME_MAX + 1);
	if (n == 0)
		return -ENOENT;
	if (n > MF_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static uint32_t mf_hash(const char *name, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h;
}

/* The head of the bucket of hash h in the directory's index. */
static uint64_t *mf_bucket(struct sy_vfs *fs, uint64_t htab, uint32_t hbits, uint32_t h)
{
	uint64_t i = h & ((1ull << hbits) - 1);
	uint64_t page = ((uint64_t *)mf_ptr(fs, htab))[i >> 9];
	return (uint64_t *)mf_ptr(fs, page) + (i & 511);
}

static void mf_htab_free(struct sy_vfs *fs, uint64_t htab, uint32_t hbits)
{
	uint64_t *pages = (uint64_t *)mf_ptr(fs, htab);
	for (uint64_t i = 0; i < (1ull << hbits) / 512; i++)
		if (pages[i])
			mf_page_free(fs, pages[i]);
	mf_page_free(fs, htab);
}

/* Builds the index at 2^hbits buckets; on no room, keeps the one there is
 * (lookups stay right, only slower). */
static void mf_htab_build(struct sy_vfs *fs, struct mf_inode *dir, uint32_t hbits)
{
	uint64_t htab = mf_page_zalloc(fs);
	if (!htab)
		return;
	uint64_t *pages = (uint64_t *)mf_ptr(fs, htab);
	for (uint64_t i = 0; i < (1ull << hbits) / 512; i++) {
		if (!(pages[i] = mf_page_zalloc(fs))) {
			mf_htab_free(fs, htab, hbits);
			return;
		}
	}
	for (uint64_t e = dir->first; e; e = mf_dent(fs, e)->next) {
		struct mf_dirent *d = mf_dent(fs, e);
		uint64_t *b = mf_bucket(fs, htab, hbits, d->hash);
		d->hnext = *b;
		*b = e;
	}
	uint64_t old = dir->htab;
	uint32_t oldbits = dir->hbits;
	MF_ORDER();
	dir->htab = htab;
	dir->hbits = hbits;
	MF_ORDER();
	if (old)
		mf_htab_free(fs, old, oldbits);
}

static uint64_t mf_dir_find(struct sy_vfs *fs, struct mf_inode *dir, const char *name)
{
	size_t n = strlen(name);
	uint32_t h = mf_hash(name, n);
	uint64_t e = dir->htab ? *mf_bucket(fs, dir->htab, dir->hbits, h) : dir->first;
	for (; e; e = dir->htab ? mf_dent(fs, e)->hnext : mf_dent(fs, e)->next) {
		struct mf_dirent *d = mf_dent(fs, e);
		if (d->hash == h && d->namelen == n && memcmp(d->name, name, n) == 0)
			return e;
	}
	return 0;
}

static int mf_dir_add(struct sy_vfs *fs, struct mf_inode *dir, const char *name, uint64_t ino)
{
	size_t n = strlen(name);
	uint64_t off = mf_alloc(fs, sizeof(struct mf_dirent) + n + 1);
	if (!off)
		return -ENOSPC;
	struct mf_dirent *d = mf_dent(fs, off);
	d->next = 0;
	d->prev = dir->last;
	d->ino = ino;
	d->cookie = ++dir->next_cookie;
	d->hnext = 0;
	d->hash = mf_hash(name, n);
	d->namelen = (uint16_t)n;
	memcpy(d->name, name, n + 1);
	MF_ORDER();
	if (dir->last)
		mf_dent(fs, dir->last)->next = off;
	else
		dir->first = off;
	dir->last = off;
	dir->nentries++;
	dir->size += MF_BOGO_DIRENT;
	if (dir->rd_ok && !dir->rd_next)
		dir->rd_next = off;
	if (dir->htab) {
		uint64_t *b = mf_bucket(fs, dir->htab, dir->hbits, d->hash);
		d->hnext = *b;
		*b = off;
	}
	/* grow the index at two entries a bucket */
	if (!dir->htab && dir->nentries >= MF_HASH_FROM)
		mf_htab_build(fs, dir, MF_HASH_MIN_BITS);
	else if (dir->htab && dir->hbits < MF_HASH_MAX_BITS && dir->nentries > (2ull << dir->hbits))
		mf_htab_build(fs, dir, dir->hbits + 1);
	return 0;
}

static void mf_dir_remove(struct sy_vfs *fs, struct mf_inode *dir, uint64_t off)
{
	struct mf_dirent *d = mf_dent(fs, off);
	if (dir->rd_ok && dir->rd_next == off)
		dir->rd_next = d->next;
	if (dir->htab) {
		uint64_t *p = mf_bucket(fs, dir->htab, dir->hbits, d->hash);
		while (*p != off)
			p = &mf_dent(fs, *p)->hnext;
		*p = d->hnext;
	}
	if (d->prev)
		mf_dent(fs, d->prev)->next = d->next;
	else
		dir->first = d->next;
	if (d->next)
		mf_dent(fs, d->next)->prev = d->prev;
	else
		dir->last = d->prev;
	dir->nentries--;
	dir->size -= MF_BOGO_DIRENT;
	MF_ORDER();
	mf_free(fs, off, sizeof(*d) + d->namelen + 1);
}

/* A directory that can take a new name: -ENOTDIR, or -ENOENT once removed. */
static int mf_dir_usable(struct mf_inode *dir)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir->nlink == 0)
		return -ENOENT;
	return 0;
}

/* -------------------------------------------------------------- instances */

static int mf_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	}
	if (*end)
		return -1;
	if (shift && v > (~0ull >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static void mf_instance_add(struct sy_vfs *fs)
{
	pthread_mutex_lock(&mf_instances_lock);
	fs->next = mf_instances;
	mf_instances = fs;
	pthread_mutex_unlock(&mf_instances_lock);
}

static void mf_instance_remove(struct sy_vfs *fs)
{
	pthread_mutex_lock(&mf_instances_lock);
	for (struct sy_vfs **p = &mf_instances; *p; p = &(*p)->next) {
		if (*p == fs) {
			*p = fs->next;
			break;
		}
	}
	pthread_mutex_unlock(&mf_instances_lock);
}

static int mf_fd_in_use(int fd)
{
	int used = 0;
	pthread_mutex_lock(&mf_instances_lock);
	for (struct sy_vfs *p = mf_instances; p; p = p->next)
		used |= p->fd == fd;
	pthread_mutex_unlock(&mf_instances_lock);
	return used;
}

/* Formats the arena of fd for data_bytes of data (format), or checks the
 * one it holds, and maps it as an instance of this process that owns fd. */
static int mf_map(int fd, int format, uint64_t data_bytes, struct sy_vfs **out, char *err,
		  size_t errlen)
{
	uint64_t data_blocks = data_bytes / MF_PAGE;
	uint64_t meta = data_blocks * MF_PAGE;
	if (meta < MF_MIN_META)
		meta = MF_MIN_META;
	uint64_t heap = data_blocks * MF_PAGE + meta;
	/* one bit per inode-sized slot of the heap */
	uint64_t bitmap_len = (heap / MF_INODE_SIZE / 8 + MF_PAGE - 1) / MF_PAGE * MF_PAGE;
	if (format && ftruncate(fd, (off_t)(MF_PAGE + bitmap_len + heap)) < 0) {
		int e = errno;
		snprintf(err, errlen, "memfs: ftruncate of the arena: %s", strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "memfs: arena fd %d: %s", fd, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < MF_PAGE) {
		snprintf(err, errlen, "memfs: fd %d is not a memfs arena", fd);
		return -EINVAL;
	}
	uint64_t total = (uint64_t)st.st_size;
	char *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		int e = errno;
		snprintf(err, errlen, "memfs: mmap of the arena: %s", strerror(e));
		return -e;
	}
	struct mf_super *sb = (struct mf_super *)base;
	if (!format && (__atomic_load_n(&sb->magic, __ATOMIC_ACQUIRE) != MF_MAGIC ||
			sb->version != MF_VERSION || sb->arena_size != total)) {
		snprintf(err, errlen, "memfs: fd %d is not a memfs arena", fd);
		munmap(base, total);
		return -EINVAL;
	}
	struct sy_vfs *fs = calloc(1, sizeof(*fs));
	if (!fs) {
		munmap(base, total);
		snprintf(err, errlen, "memfs: out of memory");
		return -ENOMEM;
	}
	fs->base = base;
	fs->size = total;
	fs->fd = fd;
	/* under switchyard, the arena's fd goes out of the program's way */
	if (sy_vfs_keep_fd)
		sy_vfs_keep_fd(&fs->fd);
	/* the arena's identity: every process mapping it sees the same file */
	fs->fsid = (uint64_t)st.st_dev << 32 ^ (uint64_t)st.st_ino;
	if (format) {
		memset(sb, 0, sizeof(*sb));
		sb->version = MF_VERSION;
		sb->arena_size = total;
		pthread_mutexattr_t attr;
		pthread_mutexattr_init(&attr);
		pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&sb->lock, &attr);
		pthread_mutexattr_destroy(&attr);
		sb->bitmap_off = MF_PAGE;
		sb->bitmap_len = bitmap_len;
		sb->heap_start = sb->bump = MF_PAGE + bitmap_len;
		sb->data_max = data_blocks;
		sb->inodes_max = meta / MF_INODE_SIZE / 2;
		struct sy_vfs_cred root = {0, 0};
		sb->root = mf_inode_new(fs, NULL, S_IFDIR | 01777, 0, &root, mf_now());
		/* last: a named arena is usable from here on */
		__atomic_store_n(&sb->magic, MF_MAGIC, __ATOMIC_RELEASE);
	}
	mf_instance_add(fs);
	*out = fs;
	return 0;
}

/* `name =`: a POSIX shared memory object that outlives its users, as a
 * tmpfs outlives its processes; the first to open it formats it. */
static int mf_mount_named(const char *name, uint64_t size, struct sy_vfs **out, char *err,
			  size_t errlen)
{
	if (!*name || strchr(name, '/') || strlen(name) > 200) {
		snprintf(err, errlen, "name: '%s' is not a name (no '/', 1 to 200 bytes)", name);
		return -EINVAL;
	}
	char path[256];
	snprintf(path, sizeof(path), "%s%s", SY_MEMFS_SHM_PREFIX, name);
	int fd = shm_open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "name: shm_open %s: %s", path, strerror(e));
		return -e;
	}
	fcntl(fd, F_SETFD, 0); /* inherited across execve, as save() needs */
	/* Formatting happens under the object's flock; one who died while
	 * formatting left the magic unset, so the next formats again. */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	uint64_t magic = 0;
	struct stat st;
	int format = fstat(fd, &st) < 0 || st.st_size < (off_t)MF_PAGE ||
		     pread(fd, &magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
		     magic != MF_MAGIC;
	int r = mf_map(fd, format, size, out, err, errlen);
	/* mf_map may have moved the fd out of the program's range: unlock the
	 * description through the number it has now */
	flock(r < 0 ? fd : (*out)->fd, LOCK_UN);
	if (r < 0)
		close(fd);
	return r;
}

static int mf_mount(const struct sy_vfs_option *options, int noptions, struct sy_vfs **out,
		    char *err, size_t errlen)
{
	uint64_t size = MF_DEFAULT_SIZE;
	const char *name = NULL;
	for (int i = 0; i < noptions; i++) {
		const char *k = options[i].key, *v = options[i].value;
		if (!k) {
			snprintf(err, errlen, "an option without a name");
			return -EINVAL;
		}
		if (strcmp(k, "size") == 0) {
			if (mf_parse_size(v, &size) < 0) {
				snprintf(err, errlen,
					 "size: '%s' is not a size in bytes (suffixes k, M, G, T)",
					 v ? v : "");
				return -EINVAL;
			}
			if (size < MF_MIN_SIZE || size > MF_MAX_SIZE) {
				snprintf(err, errlen, "size: %s is out of range (64k to 4T)", v);
				return -EINVAL;
			}
		} else if (strcmp(k, "name") == 0) {
			name = v ? v : "";
		} else if (strcmp(k, "type") == 0) {
			/* the mount table's own key, if passed along */
		} else {
			snprintf(err, errlen, "unknown option '%s'", k);
			return -EINVAL;
		}
	}
	if (name)
		return mf_mount_named(name, size, out, err, errlen);
	int fd = memfd_create("switchyard-memfs", 0); /* no MFD_CLOEXEC: see save() */
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "memfs: memfd_create: %s", strerror(e));
		return -e;
	}
	int r = mf_map(fd, 1, size, out, err, errlen);
	if (r < 0)
		close(fd);
	return r;
}

static void mf_unmount(struct sy_vfs *fs)
{
	if (!fs)
		return;
	mf_instance_remove(fs);
	munmap(fs->base, fs->size);
	close(fs->fd);
	free(fs);
}

/* "fd=N": the arena's descriptor, open without O_CLOEXEC, so that the
 * program after execve maps the same memory. */
static int mf_save(struct sy_vfs *fs, char *buf, size_t len)
{
	int n = snprintf(buf, len, "fd=%d", fs->fd);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int mf_restore(const char *saved, struct sy_vfs **out, char *err, size_t errlen)
{
	int fd;
	char tail;
	if (!saved || sscanf(saved, "fd=%d%c", &fd, &tail) != 1 || fd < 0) {
		snprintf(err, errlen, "memfs: bad saved state '%s'", saved ? saved : "");
		return -EINVAL;
	}
	if (fcntl(fd, F_GETFD) < 0) {
		int e = errno;
		snprintf(err, errlen, "memfs: arena fd %d: %s", fd, strerror(e));
		return -e;
	}
	/* After execve the new instance owns the fd; an instance of this
	 * process owning it already (a restore in the same program) keeps
	 * it, and the new one takes a descriptor of its own. */
	int own = fd;
	if (mf_fd_in_use(fd)) {
		own = fcntl(fd, F_DUPFD, 3);
		if (own < 0) {
			int e = errno;
			snprintf(err, errlen, "memfs: dup of fd %d: %s", fd, strerror(e));
			return -e;
		}
	}
	int r = mf_map(own, 0, 0, out, err, errlen);
	if (r < 0 && own != fd)
		close(own);
	return r;
}

/* ------------------------------------------------------------------ nodes */

static struct sy_vfs_node *mf_root(struct sy_vfs *fs)
{
	if (mf_lock(fs))
		return NULL;
	uint64_t root = mf_sb(fs)->root;
	mf_ino(fs, root)->refs++;
	mf_unlock(fs);
	return mf_node(root);
}

static void mf_hold(struct sy_vfs *fs, struct sy_vfs_node *node)
{
	if (mf_lock(fs))
		return;
	mf_ino(fs, mf_off(node))->refs++;
	mf_unlock(fs);
}

static void mf_release(struct sy_vfs *fs, struct sy_vfs_node *node)
{
	if (!node || mf_lock(fs))
		return;
	uint64_t off = mf_off(node);
	struct mf_inode *ino = mf_ino(fs, off);
	if (ino->refs > 0)
		ino->refs--;
	mf_maybe_free(fs, off);
	mf_unlock(fs);
}

static uint64_t mf_node_id(struct sy_vfs *fs, struct sy_vfs_node *node)
{
	/* no lock: a held inode keeps its generation */
	return mf_id(fs, mf_off(node));
}

static int mf_node_from_id(struct sy_vfs *fs, uint64_t id, struct sy_vfs_node **out)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	uint64_t off = id & MF_ID_OFF_MASK;
	if (!mf_valid_inode(fs, off) || mf_id(fs, off) != id) {
		mf_unlock(fs);
		return -ESTALE;
	}
	mf_ino(fs, off)->refs++;
	mf_unlock(fs);
	*out = mf_node(off);
	return 0;
}

static int mf_set_refs(struct sy_vfs *fs, struct sy_vfs_node *node, uint32_t refs)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	uint64_t off = mf_off(node);
	mf_ino(fs, off)->refs = refs;
	mf_maybe_free(fs, off);
	mf_unlock(fs);
	return 0;
}

static int mf_parent(struct sy_vfs *fs, struct sy_vfs_node *dirnode, struct sy_vfs_node **out)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	uint64_t off = mf_off(dirnode);
	struct mf_inode *dir = mf_ino(fs, off);
	if (!S_ISDIR(dir->mode)) {
		e = -ENOTDIR;
	} else if (off != mf_sb(fs)->root && dir->nlink == 0) {
		e = -ENOENT; /* removed: its old parent may be gone */
	} else {
		uint64_t p = off == mf_sb(fs)->root ? off : dir->parent;
		mf_ino(fs, p)->refs++;
		*out = mf_node(p);
	}
	mf_unlock(fs);
	return e;
}

/* What the kernel's setattr_should_drop_sgid() and file_remove_privs() do
 * (Linux 6.x; checked on tmpfs as root and as nobody): `all` (chown) drops
 * S_ISUID for anyone, a write or truncate only for a caller without
 * CAP_FSETID (uid 0 here); S_ISGID goes with S_IXGRP, or for such a caller
 * outside the file's group. chown leaves directories alone, a write or
 * truncate all but regular files. */
static int mf_kill_suid(struct mf_inode *ino, const struct sy_vfs_cred *cred, int all)
{
	int privileged = !cred || cred->uid == 0;
	uint32_t kill = 0;
	if (all ? S_ISDIR(ino->mode) : !S_ISREG(ino->mode) || privileged)
		return 0;
	if (ino->mode & S_ISUID)
		kill |= S_ISUID;
	if ((ino->mode & S_ISGID) &&
	    ((ino->mode & S_IXGRP) || (!privileged && cred->gid != ino->gid)))
		kill |= S_ISGID;
	ino->mode &= ~kill;
	return kill != 0;
}

static int mf_getattr(struct sy_vfs *fs, struct sy_vfs_node *node, struct sy_vfs_attr *out)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	uint64_t off = mf_off(node);
	struct mf_inode *ino = mf_ino(fs, off);
	memset(out, 0, sizeof(*out));
	out->ino = mf_id(fs, off);
	out->mode = ino->mode;
	out->nlink = ino->nlink;
	out->uid = ino->uid;
	out->gid = ino->gid;
	out->rdev = ino->rdev;
	out->size = ino->size;
	if (S_ISREG(ino->mode))
		out->blocks = ino->blocks * (MF_PAGE / 512);
	else if (S_ISLNK(ino->mode) && ino->size >= MF_SHORT_SYMLINK)
		out->blocks = MF_PAGE / 512;
	out->blksize = MF_PAGE;
	out->atime = mf_tspec(ino->atime);
	out->mtime = mf_tspec(ino->mtime);
	out->ctime = mf_tspec(ino->ctime);
	out->btime = mf_tspec(ino->btime);
	mf_unlock(fs);
	return 0;
}

static int mf_setattr(struct sy_vfs *fs, struct sy_vfs_node *node, const struct sy_vfs_attr *attr,
		      unsigned mask, const struct sy_vfs_cred *cred)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	struct mf_ts now = mf_now();
	if (mask & SY_VFS_SET_SIZE) {
		if (S_ISDIR(ino->mode)) {
			e = -EISDIR;
			goto out;
		}
		if (!S_ISREG(ino->mode)) {
			e = -EINVAL;
			goto out;
		}
		e = mf_set_size(fs, ino, attr->size);
		if (e)
			goto out;
		ino->mtime = now;
		mf_kill_suid(ino, cred, 0);
	}
	if (mask & (SY_VFS_SET_UID | SY_VFS_SET_GID))
		mf_kill_suid(ino, cred, 1);
	if (mask & SY_VFS_SET_MODE)
		ino->mode = (ino->mode & S_IFMT) | (attr->mode & 07777);
	if (mask & SY_VFS_SET_UID)
		ino->uid = attr->uid;
	if (mask & SY_VFS_SET_GID)
		ino->gid = attr->gid;
	if (mask & SY_VFS_SET_ATIME)
		ino->atime = (struct mf_ts){attr->atime.tv_sec, attr->atime.tv_nsec};
	if (mask & SY_VFS_SET_ATIME_NOW)
		ino->atime = now;
	if (mask & SY_VFS_SET_MTIME)
		ino->mtime = (struct mf_ts){attr->mtime.tv_sec, attr->mtime.tv_nsec};
	if (mask & SY_VFS_SET_MTIME_NOW)
		ino->mtime = now;
	if (mask)
		ino->ctime = now;
out:
	mf_unlock(fs);
	return e;
}

/* -------------------------------------------------------------- names */

static int mf_lookup(struct sy_vfs *fs, struct sy_vfs_node *dirnode, const char *name,
		     struct sy_vfs_node **out)
{
	int e = mf_name_ok(name);
	if (e)
		return e;
	if ((e = mf_lock(fs)))
		return e;
	struct mf_inode *dir = mf_ino(fs, mf_off(dirnode));
	uint64_t d = 0;
	if ((e = mf_dir_usable(dir)) == 0 && !(d = mf_dir_find(fs, dir, name)))
		e = -ENOENT;
	if (e == 0) {
		uint64_t ino = mf_dent(fs, d)->ino;
		mf_ino(fs, ino)->refs++;
		*out = mf_node(ino);
	}
	mf_unlock(fs);
	return e;
}

/* A new node named `name` in dirnode: a file, device, FIFO, socket,
 * directory or (with target) a symlink. */
static int mf_make(struct sy_vfs *fs, struct sy_vfs_node *dirnode, const char *name, uint32_t mode,
		   uint64_t rdev, const char *target, const struct sy_vfs_cred *cred,
		   struct sy_vfs_node **out)
{
	int e = mf_name_ok(name);
	if (e)
		return e;
	size_t tlen = 0;
	if (target) {
		tlen = strnlen(target, MF_PATH_MAX);
		if (tlen == 0)
			return -ENOENT;
		if (tlen >= MF_PATH_MAX)
			return -ENAMETOOLONG;
	}
	if ((e = mf_lock(fs)))
		return e;
	struct mf_inode *dir = mf_ino(fs, mf_off(dirnode));
	if ((e = mf_dir_usable(dir)))
		goto out;
	if (mf_dir_find(fs, dir, name)) {
		e = -EEXIST;
		goto out;
	}
	struct mf_ts now = mf_now();
	uint64_t off = mf_inode_new(fs, dir, mode, rdev, cred, now);
	if (!off) {
		e = -ENOSPC;
		goto out;
	}
	struct mf_inode *ino = mf_ino(fs, off);
	if (target) {
		uint64_t t = mf_alloc(fs, tlen + 1);
		if (!t) {
			ino->nlink = 0;
			mf_inode_free(fs, off);
			e = -ENOSPC;
			goto out;
		}
		memcpy(mf_ptr(fs, t), target, tlen + 1);
		ino->data = t;
		ino->size = tlen;
	}
	if ((e = mf_dir_add(fs, dir, name, off))) {
		ino->nlink = 0;
		mf_inode_free(fs, off);
		goto out;
	}
	if (S_ISDIR(mode)) {
		dir->nlink++;
		ino->parent = mf_off(dirnode);
	}
	dir->mtime = dir->ctime = now;
	if (out) {
		ino->refs++;
		*out = mf_node(off);
	}
out:
	mf_unlock(fs);
	return e;
}

static int mf_create(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, uint32_t mode,
		     uint64_t rdev, const struct sy_vfs_cred *cred, struct sy_vfs_node **out)
{
	uint32_t type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	switch (type) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		rdev = 0;
		break;
	case S_IFCHR:
	case S_IFBLK:
		break;
	default:
		return -EINVAL;
	}
	return mf_make(fs, dir, name, type | (mode & 07777), rdev, NULL, cred, out);
}

static int mf_mkdir(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name, uint32_t mode,
		    const struct sy_vfs_cred *cred, struct sy_vfs_node **out)
{
	return mf_make(fs, dir, name, S_IFDIR | (mode & 07777), 0, NULL, cred, out);
}

static int mf_symlink(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name,
		      const char *target, const struct sy_vfs_cred *cred, struct sy_vfs_node **out)
{
	if (!target)
		return -EINVAL;
	return mf_make(fs, dir, name, S_IFLNK | 0777, 0, target, cred, out);
}

static long mf_readlink(struct sy_vfs *fs, struct sy_vfs_node *node, char *buf, size_t len)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	long n;
	if (!S_ISLNK(ino->mode)) {
		n = -EINVAL;
	} else {
		n = (long)(ino->size < len ? ino->size : len);
		memcpy(buf, mf_ptr(fs, ino->data), (size_t)n);
		mf_touch_atime(ino);
	}
	mf_unlock(fs);
	return n;
}

static int mf_link(struct sy_vfs *fs, struct sy_vfs_node *node, struct sy_vfs_node *dirnode,
		   const char *name)
{
	int e = mf_name_ok(name);
	if (e)
		return e;
	if ((e = mf_lock(fs)))
		return e;
	uint64_t off = mf_off(node);
	struct mf_inode *ino = mf_ino(fs, off);
	struct mf_inode *dir = mf_ino(fs, mf_off(dirnode));
	if ((e = mf_dir_usable(dir)))
		goto out;
	if (mf_dir_find(fs, dir, name)) {
		e = -EEXIST;
		goto out;
	}
	if (S_ISDIR(ino->mode)) {
		e = -EPERM;
		goto out;
	}
	/* nlink 0: an O_TMPFILE file being given a name (the VFS layer
	 * refuses the other cases, as the kernel does) */
	if ((e = mf_dir_add(fs, dir, name, off)))
		goto out;
	struct mf_ts now = mf_now();
	ino->nlink++;
	ino->ctime = now;
	dir->mtime = dir->ctime = now;
out:
	mf_unlock(fs);
	return e;
}

static int mf_remove(struct sy_vfs *fs, struct sy_vfs_node *dirnode, const char *name, int is_rmdir)
{
	int e = mf_name_ok(name);
	if (e)
		return e;
	if ((e = mf_lock(fs)))
		return e;
	struct mf_inode *dir = mf_ino(fs, mf_off(dirnode));
	uint64_t d;
	if ((e = mf_dir_usable(dir)))
		goto out;
	if (!(d = mf_dir_find(fs, dir, name))) {
		e = -ENOENT;
		goto out;
	}
	uint64_t off = mf_dent(fs, d)->ino;
	struct mf_inode *ino = mf_ino(fs, off);
	if (is_rmdir && !S_ISDIR(ino->mode)) {
		e = -ENOTDIR;
		goto out;
	}
	if (!is_rmdir && S_ISDIR(ino->mode)) {
		e = -EISDIR;
		goto out;
	}
	if (is_rmdir && ino->nentries) {
		e = -ENOTEMPTY;
		goto out;
	}
	struct mf_ts now = mf_now();
	mf_dir_remove(fs, dir, d);
	if (is_rmdir) {
		ino->nlink = 0;
		dir->nlink--;
	} else {
		ino->nlink--;
	}
	ino->ctime = now;
	dir->mtime = dir->ctime = now;
	mf_maybe_free(fs, off);
out:
	mf_unlock(fs);
	return e;
}

static int mf_unlink(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name)
{
	return mf_remove(fs, dir, name, 0);
}

static int mf_rmdir(struct sy_vfs *fs, struct sy_vfs_node *dir, const char *name)
{
	return mf_remove(fs, dir, name, 1);
}

/* Whether directory `anc` is `dir` or one of its ancestors. */
static int mf_is_ancestor(struct sy_vfs *fs, uint64_t anc, uint64_t dir)
{
	uint64_t root = mf_sb(fs)->root;
	for (int depth = 0; dir && depth < 1 << 20; depth++) {
		if (dir == anc)
			return 1;
		if (dir == root)
			return 0;
		dir = mf_ino(fs, dir)->parent;
	}
	return 0;
}

static int mf_rename(struct sy_vfs *fs, struct sy_vfs_node *olddirnode, const char *oldname,
		     struct sy_vfs_node *newdirnode, const char *newname, unsigned flags)
{
	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	int e = mf_name_ok(oldname);
	if (!e)
		e = mf_name_ok(newname);
	if (e)
		return e;
	if ((e = mf_lock(fs)))
		return e;
	struct mf_inode *od = mf_ino(fs, mf_off(olddirnode));
	struct mf_inode *nd = mf_ino(fs, mf_off(newdirnode));
	if (!S_ISDIR(od->mode) || !S_ISDIR(nd->mode)) {
		e = -ENOTDIR;
		goto out;
	}
	uint64_t oe = mf_dir_find(fs, od, oldname);
	if (!oe) {
		e = -ENOENT;
		goto out;
	}
	uint64_t ne = mf_dir_find(fs, nd, newname);
	uint64_t oi = mf_dent(fs, oe)->ino;
	struct mf_inode *o = mf_ino(fs, oi);
	struct mf_ts now = mf_now();
	uint64_t odo = mf_off(olddirnode), ndo = mf_off(newdirnode);
	/* The VFS layer refuses moving a directory under itself; the arena
	 * guards its tree all the same (a cycle would be lost for good). */
	if (S_ISDIR(o->mode) && od != nd && mf_is_ancestor(fs, oi, ndo)) {
		e = -EINVAL;
		goto out;
	}
	if (!ne && nd->nlink == 0) {
		e = -ENOENT;
		goto out;
	}

	if (flags & RENAME_EXCHANGE) {
		if (!ne) {
			e = -ENOENT;
			goto out;
		}
		if (ne == oe)
			goto out;
		uint64_t ni = mf_dent(fs, ne)->ino;
		struct mf_inode *n = mf_ino(fs, ni);
		if (ni == oi) /* two names of one file */
			goto out;
		if (S_ISDIR(n->mode) && od != nd && mf_is_ancestor(fs, ni, odo)) {
			e = -EINVAL;
			goto out;
		}
		mf_dent(fs, oe)->ino = ni;
		mf_dent(fs, ne)->ino = oi;
		if (od != nd) {
			if (S_ISDIR(o->mode)) {
				od->nlink--;
				nd->nlink++;
				o->parent = ndo;
			}
			if (S_ISDIR(n->mode)) {
				nd->nlink--;
				od->nlink++;
				n->parent = odo;
			}
		}
		o->ctime = n->ctime = now;
		od->mtime = od->ctime = nd->mtime = nd->ctime = now;
		goto out;
	}

	uint64_t ni = 0;
	if (ne) {
		if (flags & RENAME_NOREPLACE) {
			e = -EEXIST;
			goto out;
		}
		ni = mf_dent(fs, ne)->ino;
		if (ni == oi) /* the same file under two names: nothing to do */
			goto out;
		struct mf_inode *n = mf_ino(fs, ni);
		if (S_ISDIR(o->mode) && !S_ISDIR(n->mode)) {
			e = -ENOTDIR;
			goto out;
		}
		if (!S_ISDIR(o->mode) && S_ISDIR(n->mode)) {
			e = -EISDIR;
			goto out;
		}
		if (S_ISDIR(n->mode) && n->nentries) {
			e = -ENOTEMPTY;
			goto out;
		}
		/* the entry stays where it is (with its cookie) and names
		 * the moved node; the replaced node loses that name */
		mf_dent(fs, ne)->ino = oi;
		if (S_ISDIR(n->mode)) {
			n->nlink = 0;
			nd->nlink--;
		} else {
			n->nlink--;
		}
		n->ctime = now;
	} else if ((e = mf_dir_add(fs, nd, newname, oi))) {
		goto out;
	}
	mf_dir_remove(fs, od, oe);
	if (S_ISDIR(o->mode) && od != nd) {
		od->nlink--;
		nd->nlink++;
		o->parent = ndo;
	}
	o->ctime = now;
	od->mtime = od->ctime = nd->mtime = nd->ctime = now;
	if (ni)
		mf_maybe_free(fs, ni);
out:
	mf_unlock(fs);
	return e;
}

/* ---------------------------------------------------- extended attributes */

/* A page per inode: a 4-byte length, then entries of a 1-byte name length,
 * a 2-byte value length, the name and the value. */
#define MF_XA_HDR 4u
#define MF_XA_ENT 3u

struct mf_xa {
	char *page;
	uint32_t used;
};

static struct mf_xa mf_xa_of(struct sy_vfs *fs, struct mf_inode *ino)
{
	struct mf_xa x = {NULL, 0};
	if (ino->xattr) {
		x.page = mf_ptr(fs, ino->xattr);
		memcpy(&x.used, x.page, 4);
	}
	return x;
}

/* The entry of name: its offset in the page, or 0. */
static uint32_t mf_xa_find(const struct mf_xa *x, const char *name, size_t nlen, uint16_t *vlen)
{
	for (uint32_t at = MF_XA_HDR; at < MF_XA_HDR + x->used;) {
		uint8_t nl = (uint8_t)x->page[at];
		uint16_t vl;
		memcpy(&vl, x->page + at + 1, 2);
		if (nl == nlen && memcmp(x->page + at + MF_XA_ENT, name, nlen) == 0) {
			*vlen = vl;
			return at;
		}
		at += MF_XA_ENT + nl + vl;
	}
	return 0;
}

static long mf_getxattr(struct sy_vfs *fs, struct sy_vfs_node *node, const char *name, void *buf,
			size_t len)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	struct mf_xa x = mf_xa_of(fs, ino);
	uint16_t vl;
	size_t nlen = strlen(name);
	uint32_t at = x.page ? mf_xa_find(&x, name, nlen, &vl) : 0;
	long r;
	if (!at)
		r = -ENODATA;
	else if (len && len < vl)
		r = -ERANGE;
	else {
		if (len)
			memcpy(buf, x.page + at + MF_XA_ENT + nlen, vl);
		r = vl;
	}
	mf_unlock(fs);
	return r;
}

static int mf_setxattr(struct sy_vfs *fs, struct sy_vfs_node *node, const char *name,
		       const void *value, size_t len, int flags)
{
	size_t nlen = strlen(name);
	if (nlen > 255 || len > 65535)
		return -ENOSPC;
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	struct mf_xa x = mf_xa_of(fs, ino);
	uint16_t vl = 0;
	uint32_t at = x.page ? mf_xa_find(&x, name, nlen, &vl) : 0;
	if (at && (flags & 1 /* XATTR_CREATE */)) {
		e = -EEXIST;
		goto out;
	}
	if (!at && (flags & 2 /* XATTR_REPLACE */)) {
		e = -ENODATA;
		goto out;
	}
	uint32_t old = at ? MF_XA_ENT + (uint32_t)nlen + vl : 0;
	uint32_t need = MF_XA_ENT + (uint32_t)nlen + (uint32_t)len;
	if (MF_XA_HDR + x.used - old + need > MF_PAGE) {
		e = -ENOSPC;
		goto out;
	}
	if (!x.page) {
		uint64_t off = mf_page_zalloc(fs);
		if (!off) {
			e = -ENOSPC;
			goto out;
		}
		ino->xattr = off;
		x = mf_xa_of(fs, ino);
	}
	if (at) { /* the old entry goes; the new one goes at the end */
		memmove(x.page + at, x.page + at + old, MF_XA_HDR + x.used - at - old);
		x.used -= old;
	}
	char *p = x.page + MF_XA_HDR + x.used;
	uint16_t l16 = (uint16_t)len;
	p[0] = (char)nlen;
	memcpy(p + 1, &l16, 2);
	memcpy(p + MF_XA_ENT, name, nlen);
	memcpy(p + MF_XA_ENT + nlen, value, len);
	x.used += need;
	memcpy(x.page, &x.used, 4);
	ino->ctime = mf_now();
out:
	mf_unlock(fs);
	return e;
}

static long mf_listxattr(struct sy_vfs *fs, struct sy_vfs_node *node, char *buf, size_t len)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	struct mf_xa x = mf_xa_of(fs, ino);
	size_t total = 0;
	long r = 0;
	for (uint32_t at = MF_XA_HDR; x.page && at < MF_XA_HDR + x.used;) {
		uint8_t nl = (uint8_t)x.page[at];
		uint16_t vl;
		memcpy(&vl, x.page + at + 1, 2);
		if (len && total + nl + 1 > len) {
			r = -ERANGE;
			break;
		}
		if (len) {
			memcpy(buf + total, x.page + at + MF_XA_ENT, nl);
			buf[total + nl] = 0;
		}
		total += nl + 1u;
		at += MF_XA_ENT + nl + vl;
	}
	mf_unlock(fs);
	return r < 0 ? r : (long)total;
}

static int mf_removexattr(struct sy_vfs *fs, struct sy_vfs_node *node, const char *name)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	struct mf_xa x = mf_xa_of(fs, ino);
	uint16_t vl;
	size_t nlen = strlen(name);
	uint32_t at = x.page ? mf_xa_find(&x, name, nlen, &vl) : 0;
	if (!at) {
		e = -ENODATA;
	} else {
		uint32_t n = MF_XA_ENT + (uint32_t)nlen + vl;
		memmove(x.page + at, x.page + at + n, MF_XA_HDR + x.used - at - n);
		x.used -= n;
		memcpy(x.page, &x.used, 4);
		ino->ctime = mf_now();
	}
	mf_unlock(fs);
	return e;
}

/* SEEK_DATA and SEEK_HOLE at block granularity, as tmpfs answers them. */
static int64_t mf_seek_hole(struct sy_vfs *fs, struct sy_vfs_node *node, uint64_t offset,
			    int whence)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	int64_t r;
	if (offset >= ino->size) {
		r = -ENXIO;
		goto out;
	}
	uint64_t pages = (ino->size + MF_PAGE - 1) / MF_PAGE;
	uint64_t i = offset / MF_PAGE;
	for (; i < pages; i++) {
		uint64_t *sl = mf_slot(fs, ino, i, 0);
		int data = sl && *sl;
		if (data == (whence == SEEK_DATA))
			break;
	}
	if (i >= pages)
		r = whence == SEEK_DATA ? -ENXIO : (int64_t)ino->size;
	else
		r = i * MF_PAGE > offset ? (int64_t)(i * MF_PAGE) : (int64_t)offset;
out:
	mf_unlock(fs);
	return r;
}

/* The arena pages behind pages first..first+n-1 of a file, allocating the
 * blocks of holes below the file's size (mmap MAP_SHARED maps them). */
static int mf_map_pages(struct sy_vfs *fs, struct sy_vfs_node *node, uint64_t first, size_t n,
			int *fd, uint64_t *offsets)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	if (!S_ISREG(ino->mode)) {
		e = -ENODEV;
		goto out;
	}
	uint64_t pages = (ino->size + MF_PAGE - 1) / MF_PAGE;
	ino->mapped = 1;
	for (size_t i = 0; i < n; i++) {
		offsets[i] = 0;
		if (first + i >= pages)
			continue;
		char *b = mf_block(fs, ino, first + i, 1);
		if (!b) {
			e = -ENOMEM;
			goto out;
		}
		offsets[i] = (uint64_t)(b - fs->base);
	}
	*fd = fs->fd;
out:
	mf_unlock(fs);
	return e;
}

static long mf_readdir(struct sy_vfs *fs, struct sy_vfs_node *dirnode, uint64_t cookie,
		       struct sy_vfs_dirent *out, size_t n)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *dir = mf_ino(fs, mf_off(dirnode));
	if (!S_ISDIR(dir->mode)) {
		mf_unlock(fs);
		return -ENOTDIR;
	}
	uint64_t off;
	if (cookie == 0) {
		off = dir->first;
	} else if (dir->rd_ok && dir->rd_cookie == cookie) {
		off = dir->rd_next; /* a listing going on: no scan */
	} else {
		off = dir->first;
		while (off && mf_dent(fs, off)->cookie <= cookie)
			off = mf_dent(fs, off)->next;
	}
	long count = 0;
	for (; off && (size_t)count < n; off = mf_dent(fs, off)->next) {
		struct mf_dirent *d = mf_dent(fs, off);
		struct sy_vfs_dirent *o = &out[count++];
		o->ino = mf_id(fs, d->ino);
		o->next = d->cookie;
		o->type = (uint8_t)IFTODT(mf_ino(fs, d->ino)->mode);
		memcpy(o->name, d->name, (size_t)d->namelen + 1);
	}
	if (count) {
		dir->rd_ok = 1;
		dir->rd_cookie = out[count - 1].next;
		dir->rd_next = off;
	}
	mf_touch_atime(dir);
	mf_unlock(fs);
	return count;
}

/* ------------------------------------------------------------------ data */

#define MF_RW_MAX 0x7ffff000ul /* the kernel's MAX_RW_COUNT */

/* read() and write() on this inode: 0, or -EISDIR / -EINVAL for what holds
 * no bytes; *len is cut to what one call moves at most. */
static long mf_data_node(const struct mf_inode *ino, size_t *len)
{
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (!S_ISREG(ino->mode))
		return -EINVAL;
	if (*len > MF_RW_MAX)
		*len = MF_RW_MAX;
	return 0;
}

static long mf_read(struct sy_vfs *fs, struct sy_vfs_node *node, void *buf, size_t len,
		    uint64_t offset)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	long done = mf_data_node(ino, &len);
	if (done != 0 || len == 0)
		goto out;
	uint64_t end =
	    offset < ino->size ? (ino->size - offset < len ? ino->size : offset + len) : offset;
	for (uint64_t pos = offset; pos < end;) {
		uint64_t in = pos % MF_PAGE;
		uint64_t chunk = MF_PAGE - in;
		if (chunk > end - pos)
			chunk = end - pos;
		char *b = mf_block(fs, ino, pos / MF_PAGE, 0);
		if (b)
			memcpy((char *)buf + done, b + in, chunk);
		else
			memset((char *)buf + done, 0, chunk);
		done += (long)chunk;
		pos += chunk;
	}
	mf_touch_atime(ino);
out:
	mf_unlock(fs);
	return done;
}

static long mf_write(struct sy_vfs *fs, struct sy_vfs_node *node, const void *buf, size_t len,
		     uint64_t offset, const struct sy_vfs_cred *cred)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	long done = mf_data_node(ino, &len);
	if (done != 0 || len == 0)
		goto out;
	if (offset >= MF_MAX_FILE) {
		done = -EFBIG;
		goto out;
	}
	if (len > MF_MAX_FILE - offset)
		len = MF_MAX_FILE - offset;
	/* as file_remove_privs(): before the data, even if none fits */
	if (mf_kill_suid(ino, cred, 0))
		ino->ctime = mf_now();
	for (uint64_t pos = offset; pos < offset + len;) {
		uint64_t in = pos % MF_PAGE;
		uint64_t chunk = MF_PAGE - in;
		if (chunk > offset + len - pos)
			chunk = offset + len - pos;
		char *b = mf_block(fs, ino, pos / MF_PAGE, chunk == MF_PAGE ? 2 : 1);
		if (!b)
			break;
		memcpy(b + in, (const char *)buf + done, chunk);
		done += (long)chunk;
		pos += chunk;
	}
	if (done == 0) {
		done = -ENOSPC;
		goto out;
	}
	if (offset + (uint64_t)done > ino->size)
		ino->size = offset + (uint64_t)done;
	ino->mtime = ino->ctime = mf_now();
out:
	mf_unlock(fs);
	return done;
}

/* Frees the blocks with index in [lo, hi] under radix node `node` (level
 * lvl, first index base), visiting only what is allocated. */
static void mf_tree_punch(struct sy_vfs *fs, struct mf_inode *ino, uint64_t node, int lvl,
			  uint64_t base, uint64_t lo, uint64_t hi)
{
	uint64_t *n = (uint64_t *)mf_ptr(fs, node);
	uint64_t span = 1ull << (9 * lvl);
	for (uint64_t s = 0; s < 512; s++) {
		uint64_t from = base + s * span, to = from + span - 1;
		if (!n[s] || to < lo || from > hi)
			continue;
		if (lvl > 0) {
			mf_tree_punch(fs, ino, n[s], lvl - 1, from, lo, hi);
			continue;
		}
		uint64_t b = n[s];
		n[s] = 0;
		MF_ORDER();
		mf_page_free(fs, b);
		mf_sb(fs)->data_used--;
		ino->blocks--;
	}
}

static void mf_zero_range(struct sy_vfs *fs, struct mf_inode *ino, uint64_t from, uint64_t to)
{
	while (from < to) {
		uint64_t idx = from / MF_PAGE, in = from % MF_PAGE;
		uint64_t n = MF_PAGE - in < to - from ? MF_PAGE - in : to - from;
		uint64_t *s = mf_slot(fs, ino, idx, 0);
		if (s && *s)
			memset(mf_ptr(fs, *s) + in, 0, n);
		from += n;
	}
}

/* A hole from offset for len bytes, as tmpfs makes one: the blocks wholly
 * inside go (unless a mapping may reach them: then zeroed), the parts of
 * the blocks at its edges read as zeros. */
static void mf_punch(struct sy_vfs *fs, struct mf_inode *ino, uint64_t offset, uint64_t len)
{
	uint64_t end = offset + len; /* both below 2^63 */
	uint64_t lo = (offset + MF_PAGE - 1) / MF_PAGE, hi_excl = end / MF_PAGE;
	if (ino->mapped || lo >= hi_excl) {
		uint64_t zend = ino->mapped ? end : (lo >= hi_excl ? end : lo * MF_PAGE);
		if (ino->mapped && end > ino->size)
			zend = ino->size > offset ? ino->size : offset;
		mf_zero_range(fs, ino, offset, zend);
		return;
	}
	mf_zero_range(fs, ino, offset, lo * MF_PAGE);
	mf_zero_range(fs, ino, hi_excl * MF_PAGE, end);
	uint64_t hi = hi_excl - 1;
	for (uint64_t i = lo; i <= hi && i < MF_NDIRECT; i++)
		if (ino->direct[i]) {
			uint64_t b = ino->direct[i];
			ino->direct[i] = 0;
			MF_ORDER();
			mf_page_free(fs, b);
			mf_sb(fs)->data_used--;
			ino->blocks--;
		}
	if (ino->data && hi >= MF_NDIRECT)
		mf_tree_punch(fs, ino, ino->data, (int)ino->depth - 1, 0, lo, hi);
}

static int mf_fallocate(struct sy_vfs *fs, struct sy_vfs_node *node, int mode, uint64_t offset,
			uint64_t len)
{
	int punch = mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
	if (!punch && (mode & ~FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (len == 0 || offset > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX)
		return -EINVAL;
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_inode *ino = mf_ino(fs, mf_off(node));
	struct mf_super *sb = mf_sb(fs);
	if (punch && S_ISREG(ino->mode)) {
		mf_punch(fs, ino, offset, len);
		ino->mtime = ino->ctime = mf_now();
		goto out;
	}
	if (S_ISDIR(ino->mode)) {
		e = -EISDIR;
		goto out;
	}
	if (S_ISFIFO(ino->mode)) {
		e = -ESPIPE;
		goto out;
	}
	if (!S_ISREG(ino->mode)) {
		e = -ENODEV;
		goto out;
	}
	if (offset + len > MF_MAX_FILE) {
		e = -EFBIG;
		goto out;
	}
	uint64_t first = offset / MF_PAGE, last = (offset + len - 1) / MF_PAGE;
	uint64_t want = last - first + 1, avail = sb->data_max - sb->data_used;
	/* all or nothing, as tmpfs: count what is missing first */
	if (want > avail) {
		if (want - avail > ino->blocks) {
			e = -ENOSPC;
			goto out;
		}
		uint64_t missing = 0;
		for (uint64_t i = first; i <= last; i++)
			missing += mf_block(fs, ino, i, 0) == NULL;
		if (missing > avail) {
			e = -ENOSPC;
			goto out;
		}
	}
	for (uint64_t i = first; i <= last; i++) {
		if (!mf_block(fs, ino, i, 1)) {
			e = -ENOSPC;
			goto out;
		}
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && offset + len > ino->size)
		ino->size = offset + len;
	ino->mtime = ino->ctime = mf_now(); /* as tmpfs, whatever the mode */
out:
	mf_unlock(fs);
	return e;
}

static int mf_fsync(struct sy_vfs *fs, struct sy_vfs_node *node, int datasync)
{
	(void)fs;
	(void)node;
	(void)datasync;
	return 0;
}

static int mf_statfs(struct sy_vfs *fs, struct sy_vfs_statfs *out)
{
	int e = mf_lock(fs);
	if (e)
		return e;
	struct mf_super *sb = mf_sb(fs);
	memset(out, 0, sizeof(*out));
	out->magic = TMPFS_MAGIC_NUMBER;
	out->bsize = out->frsize = MF_PAGE;
	out->fsid = fs->fsid;
	out->flags = ST_RELATIME; /* how atime moves (mf_touch_atime) */
	out->blocks = sb->data_max;
	out->bfree = out->bavail = sb->data_max - sb->data_used;
	out->files = sb->inodes_max;
	out->ffree = sb->inodes_max - sb->inodes_used;
	out->namelen = MF_NAME_MAX;
	mf_unlock(fs);
	return 0;
}

/* ----------------------------------------------------------------- check */

static int mf_page_ok(struct sy_vfs *fs, uint64_t off)
{
	struct mf_super *sb = mf_sb(fs);
	return off >= sb->heap_start && off < sb->bump && off % MF_PAGE == 0;
}

/* Data blocks under a tree node; -1 for a bad offset. */
static int64_t mf_tree_count(struct sy_vfs *fs, uint64_t node, int lvl)
{
	if (!mf_page_ok(fs, node))
		return -1;
	uint64_t *n = (uint64_t *)mf_ptr(fs, node);
	int64_t count = 0;
	for (int s = 0; s < 512; s++) {
		if (!n[s])
			continue;
		if (lvl == 0) {
			if (!mf_page_ok(fs, n[s]))
				return -1;
			count++;
		} else {
			int64_t c = mf_tree_count(fs, n[s], lvl - 1);
			if (c < 0)
				return -1;
			count += c;
		}
	}
	return count;
}

static int mf_dent_ok(struct sy_vfs *fs, uint64_t off)
{
	struct mf_super *sb = mf_sb(fs);
	return off >= sb->heap_start && off < sb->bump && off % 64 == 0;
}

static void mf_dir_clear(struct sy_vfs *fs, struct mf_inode *dir)
{
	uint64_t first = dir->first, htab = dir->htab;
	uint32_t hbits = dir->hbits;
	dir->htab = 0;
	dir->hbits = 0;
	dir->first = dir->last = 0;
	dir->nentries = 0;
	dir->size = 2 * MF_BOGO_DIRENT;
	dir->rd_ok = 0;
	MF_ORDER();
	uint64_t n = 0, max = (mf_sb(fs)->bump - mf_sb(fs)->heap_start) / 64;
	for (uint64_t e = first; e && mf_dent_ok(fs, e) && n++ < max;) {
		struct mf_dirent *d = mf_dent(fs, e);
		uint64_t next = d->next;
		if (d->namelen <= MF_NAME_MAX)
			mf_free(fs, e, sizeof(*d) + d->namelen + 1);
		e = next;
	}
	if (htab && mf_page_ok(fs, htab))
		mf_htab_free(fs, htab, hbits);
}

/* Checks the arena (fix 0: the first problem goes to err, -1) or repairs
 * it (fix 1, after a process died holding the lock): counters, links and
 * sizes are derived again from the entry lists and block trees; what no
 * directory reached from the root names and no reference holds is freed.
 * Objects a dead process had taken off a free list but not linked stay
 * leaked. Called with the lock held. */
static int mf_fsck(struct sy_vfs *fs, int fix, char *err, size_t errlen)
{
	struct mf_super *sb = mf_sb(fs);
	uint64_t nslots = (sb->bump - sb->heap_start) / MF_INODE_SIZE + 1; /* inodes lie below */
	uint64_t maxents = (sb->bump - sb->heap_start) / 64 + 1;
	uint32_t *names = calloc(nslots, sizeof(uint32_t));
	uint32_t *subdirs = calloc(nslots, sizeof(uint32_t));
	uint64_t *queue = calloc(nslots, sizeof(uint64_t));
	uint8_t *reached = calloc(nslots, 1);
	uint64_t inodes = 0, blocks = 0;
	int r = 0;
#define PROBLEM(...)                                                                               \
	do {                                                                                       \
		if (!fix) {                                                                        \
			snprintf(err, errlen, __VA_ARGS__);                                        \
			r = -1;                                                                    \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)
#define SLOT(off) (((off)-sb->heap_start) / MF_INODE_SIZE)
	if (!names || !subdirs || !queue || !reached) {
		if (err)
			snprintf(err, errlen, "out of memory");
		r = -1;
		goto out;
	}
	if (!mf_valid_inode(fs, sb->root) || !S_ISDIR(mf_ino(fs, sb->root)->mode)) {
		if (err)
			snprintf(err, errlen, "the root is no directory");
		r = -1;
		goto out;
	}

	/* the free lists */
	uint64_t pages = (sb->bump - sb->heap_start) / MF_PAGE, n = 0;
	for (uint64_t *p = &sb->free_pages; *p; p = (uint64_t *)mf_ptr(fs, *p)) {
		if (!mf_page_ok(fs, *p) || ++n > pages) {
			PROBLEM("free page list broken at %llu", (unsigned long long)*p);
			*p = 0;
			break;
		}
	}
	for (int c = 0; c < MF_NCLASS; c++) {
		uint64_t sz = 64u << c;
		n = 0;
		for (uint64_t *p = &sb->free_small[c]; *p; p = (uint64_t *)mf_ptr(fs, *p)) {
			if (*p < sb->heap_start || *p >= sb->bump || *p % sz ||
			    ++n > pages * (MF_PAGE / sz)) {
				PROBLEM("free list of %llu bytes broken", (unsigned long long)sz);
				*p = 0;
				break;
			}
		}
	}

	n = 0;
	for (uint64_t *p = &sb->free_inodes; *p; p = (uint64_t *)mf_ptr(fs, *p)) {
		if (*p < sb->heap_start || *p >= sb->bump || *p % MF_INODE_SIZE ||
		    mf_valid_inode(fs, *p) || ++n > nslots) {
			PROBLEM("free inode list broken at %llu", (unsigned long long)*p);
			*p = 0;
			break;
		}
	}

	/* 1: each inode by itself */
	for (uint64_t off = sb->heap_start; off < sb->bump; off += MF_INODE_SIZE) {
		if (!mf_valid_inode(fs, off))
			continue;
		struct mf_inode *ino = mf_ino(fs, off);
		unsigned long long o = off;
		if (S_ISREG(ino->mode)) {
			uint64_t count = 0;
			for (int i = 0; i < MF_NDIRECT; i++) {
				if (ino->direct[i] && !mf_page_ok(fs, ino->direct[i])) {
					PROBLEM("inode %llu: bad direct block", o);
					ino->direct[i] = 0;
				}
				count += ino->direct[i] != 0;
			}
			if (ino->data) {
				int64_t c = ino->depth >= 1 && ino->depth <= 6
						? mf_tree_count(fs, ino->data, (int)ino->depth - 1)
						: -1;
				if (c < 0) {
					PROBLEM("inode %llu: bad block tree", o);
					ino->data = 0;
					ino->depth = 0;
				} else {
					count += (uint64_t)c;
				}
			}
			if (count != ino->blocks) {
				PROBLEM("inode %llu: %llu blocks, %llu counted", o,
					(unsigned long long)count, (unsigned long long)ino->blocks);
				ino->blocks = count;
			}
			if (ino->size > MF_MAX_FILE) {
				PROBLEM("inode %llu: size %llu", o, (unsigned long long)ino->size);
				ino->size = MF_MAX_FILE;
			}
		} else if (S_ISLNK(ino->mode)) {
			if (!mf_dent_ok(fs, ino->data)) {
				PROBLEM("symlink %llu: no target", o);
				ino->data = 0;
				ino->nlink = 0; /* freed below unless held */
			} else if (strnlen(mf_ptr(fs, ino->data), MF_PATH_MAX) != ino->size) {
				PROBLEM("symlink %llu: target length", o);
				ino->size = strnlen(mf_ptr(fs, ino->data), MF_PATH_MAX - 1);
				((char *)mf_ptr(fs, ino->data))[ino->size] = 0;
			}
		} else if (S_ISDIR(ino->mode)) {
			if (fix) { /* rebuilt below */
				uint64_t htab = ino->htab;
				uint32_t hbits = ino->hbits;
				ino->htab = 0;
				ino->hbits = 0;
				ino->rd_ok = 0;
				MF_ORDER();
				if (htab && mf_page_ok(fs, htab) && hbits >= MF_HASH_MIN_BITS &&
				    hbits <= MF_HASH_MAX_BITS)
					mf_htab_free(fs, htab, hbits);
			}
			uint64_t prev = 0, cookie = 0, count = 0;
			for (uint64_t *link = &ino->first; *link;) {
				uint64_t e = *link;
				if (!mf_dent_ok(fs, e) || count >= maxents) {
					PROBLEM("directory %llu: entry list broken", o);
					*link = 0;
					break;
				}
				struct mf_dirent *d = mf_dent(fs, e);
				if (!mf_valid_inode(fs, d->ino) || d->namelen == 0 ||
				    d->namelen > MF_NAME_MAX ||
				    strnlen(d->name, d->namelen + 1) != d->namelen) {
					PROBLEM("directory %llu: a bad entry", o);
					*link = d->next; /* dropped, not freed: it may be garbage */
					continue;
				}
				if (d->prev != prev) {
					PROBLEM("directory %llu: prev link of '%s'", o, d->name);
					d->prev = prev;
				}
				if (d->hash != mf_hash(d->name, d->namelen)) {
					PROBLEM("directory %llu: hash of '%s'", o, d->name);
					d->hash = mf_hash(d->name, d->namelen);
				}
				if (d->cookie <= cookie || d->cookie > ino->next_cookie) {
					PROBLEM("directory %llu: cookie of '%s'", o, d->name);
					if (d->cookie > ino->next_cookie)
						ino->next_cookie = d->cookie;
				}
				if (!fix && mf_dir_find(fs, ino, d->name) != e)
					PROBLEM("directory %llu: '%s' not found by name", o,
						d->name);
				cookie = d->cookie;
				prev = e;
				count++;
				link = &d->next;
			}
			if (prev != ino->last) {
				PROBLEM("directory %llu: last entry", o);
				ino->last = prev;
			}
			if (count != ino->nentries) {
				PROBLEM("directory %llu: %llu entries, %llu counted", o,
					(unsigned long long)ino->nentries,
					(unsigned long long)count);
				ino->nentries = count;
			}
			if (ino->size != 2 * MF_BOGO_DIRENT + MF_BOGO_DIRENT * count) {
				PROBLEM("directory %llu: size %llu", o,
					(unsigned long long)ino->size);
				ino->size = 2 * MF_BOGO_DIRENT + MF_BOGO_DIRENT * count;
			}
			if (fix && count >= MF_HASH_FROM) {
				uint32_t bits = MF_HASH_MIN_BITS;
				while (bits < MF_HASH_MAX_BITS && count > (2ull << bits))
					bits++;
				mf_htab_build(fs, ino, bits);
			}
		}
	}

	/* 2: what the root reaches; a directory has one name */
	uint64_t qn = 0;
	queue[qn++] = sb->root;
	reached[SLOT(sb->root)] = 1;
	for (uint64_t qi = 0; qi < qn; qi++) {
		uint64_t dir = queue[qi];
		struct mf_inode *dino = mf_ino(fs, dir);
		for (uint64_t *link = &dino->first; *link;) {
			struct mf_dirent *d = mf_dent(fs, *link);
			uint64_t child = d->ino, cs = SLOT(child);
			struct mf_inode *cino = mf_ino(fs, child);
			if (S_ISDIR(cino->mode)) {
				if (reached[cs]) {
					PROBLEM("directory %llu: named twice",
						(unsigned long long)child);
					mf_dir_remove(fs, dino, *link);
					continue;
				}
				reached[cs] = 1;
				queue[qn++] = child;
				subdirs[SLOT(dir)]++;
				if (cino->parent != dir) {
					PROBLEM("directory %llu: parent",
						(unsigned long long)child);
					cino->parent = dir;
				}
			}
			names[cs]++;
			link = &d->next;
		}
	}

	/* 3: link counts; what has neither names nor references goes */
	for (uint64_t off = sb->heap_start; off < sb->bump; off += MF_INODE_SIZE) {
		if (!mf_valid_inode(fs, off))
			continue;
		struct mf_inode *ino = mf_ino(fs, off);
		uint64_t slot = SLOT(off);
		unsigned long long o = off;
		if (S_ISDIR(ino->mode)) {
			if (reached[slot]) {
				if (ino->nlink != 2 + subdirs[slot]) {
					PROBLEM("directory %llu: nlink %u, %u subdirectories", o,
						ino->nlink, subdirs[slot]);
					ino->nlink = 2 + subdirs[slot];
				}
			} else {
				if (ino->nlink != 0) {
					PROBLEM("directory %llu: not under the root", o);
					ino->nlink = 0;
				}
				if (ino->nentries || ino->first) {
					PROBLEM("removed directory %llu has entries", o);
					mf_dir_clear(fs, ino);
				}
			}
		} else if (ino->nlink != names[slot]) {
			PROBLEM("inode %llu: nlink %u, %u names", o, ino->nlink, names[slot]);
			ino->nlink = names[slot];
		}
		if (ino->nlink == 0 && ino->refs == 0) {
			PROBLEM("inode %llu has neither names nor references", o);
			mf_inode_free(fs, off);
			continue;
		}
		inodes++;
		if (S_ISREG(ino->mode))
			blocks += ino->blocks;
	}
	if (inodes != sb->inodes_used) {
		PROBLEM("%llu inodes, %llu counted", (unsigned long long)sb->inodes_used,
			(unsigned long long)inodes);
		sb->inodes_used = inodes;
	}
	if (blocks != sb->data_used) {
		PROBLEM("%llu data blocks, %llu counted", (unsigned long long)sb->data_used,
			(unsigned long long)blocks);
		sb->data_used = blocks;
	}
#undef PROBLEM
#undef SLOT
out:
	free(names);
	free(subdirs);
	free(queue);
	free(reached);
	return r;
}

int sy_memfs_check(struct sy_vfs *fs, char *err, size_t errlen)
{
	if (mf_lock(fs)) {
		snprintf(err, errlen, "lock");
		return -1;
	}
	int r = mf_fsck(fs, 0, err, errlen);
	mf_unlock(fs);
	return r;
}

static const struct sy_vfs_backend mf_backend = {
    .version = SY_VFS_API_VERSION,
    .name = "memfs",
    .mount = mf_mount,
    .unmount = mf_unmount,
    .save = mf_save,
    .restore = mf_restore,
    .fork_child = NULL,
    .root = mf_root,
    .hold = mf_hold,
    .release = mf_release,
    .node_id = mf_node_id,
    .node_from_id = mf_node_from_id,
    .set_refs = mf_set_refs,
    .getattr = mf_getattr,
    .setattr = mf_setattr,
    .lookup = mf_lookup,
    .parent = mf_parent,
    .create = mf_create,
    .mkdir = mf_mkdir,
    .symlink = mf_symlink,
    .readlink = mf_readlink,
    .link = mf_link,
    .unlink = mf_unlink,
    .rmdir = mf_rmdir,
    .rename = mf_rename,
    .readdir = mf_readdir,
    .read = mf_read,
    .write = mf_write,
    .fallocate = mf_fallocate,
    .fsync = mf_fsync,
    .statfs = mf_statfs,
    .data_fd = NULL,
    .map_pages = mf_map_pages,
    .seek_hole = mf_seek_hole,
    .getxattr = mf_getxattr,
    .setxattr = mf_setxattr,
    .listxattr = mf_listxattr,
    .removexattr = mf_removexattr,
    .lock = NULL,
};

const struct sy_vfs_backend *sy_memfs_backend(void)
{
	return &mf_backend;
}
