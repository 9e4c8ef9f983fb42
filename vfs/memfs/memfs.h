/*
 * memfs: a tmpfs-like file system in one shared memory arena (see
 * vfs/README.md, section memfs). Not registered anywhere by itself: whoever
 * wants it passes sy_memfs_backend() to sy_vfs_register().
 */
#ifndef SY_MEMFS_H
#define SY_MEMFS_H

#include <switchyard/vfs.h>

const struct sy_vfs_backend *sy_memfs_backend(void);

/* For tests only: takes the arena lock and returns without releasing it
 * (a child calls it and dies, to check the lock's robustness). */
int sy_memfs_test_lock(struct sy_vfs *fs);

#endif
