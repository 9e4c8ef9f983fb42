/*
 * memfs: a tmpfs-like file system in one shared memory arena (see
 * vfs/README.md, section memfs). Not registered anywhere by itself: whoever
 * wants it passes sy_memfs_backend() to sy_vfs_register().
 */
#ifndef SY_MEMFS_H
#define SY_MEMFS_H

#include <switchyard/vfs.h>

const struct sy_vfs_backend *sy_memfs_backend(void);

/* A named instance (`name = N`) is the POSIX shared memory object
 * SY_MEMFS_SHM_PREFIX N (/dev/shm/switchyard-memfs-N): it lives until
 * removed (shm_unlink), as a tmpfs lives until unmounted. */
#define SY_MEMFS_SHM_PREFIX "/switchyard-memfs-"

/* For tests: checks the arena's structures (link counts, sizes, entries,
 * block counts, the hash index, allocator counters); 0, or -1 with what is
 * wrong in err. Takes the lock. */
int sy_memfs_check(struct sy_vfs *fs, char *err, size_t errlen);

/* For tests only: takes the arena lock and returns without releasing it
 * (a child calls it and dies, to check the lock's robustness). */
int sy_memfs_test_lock(struct sy_vfs *fs);

#endif
