/*
 * What the VFS layer shares between its files and with the interposer.
 */
#ifndef SY_VFS_INTERNAL_H
#define SY_VFS_INTERNAL_H

#include <switchyard/vfs.h>

/* The backend registered under `name`, or NULL. */
const struct sy_vfs_backend *sy_vfs_backend_find(const char *name)
    __attribute__((visibility("hidden")));

#endif
