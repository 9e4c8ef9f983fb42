/*
 * hostfs: a mount that maps onto a directory of the host (see vfs/README.md,
 * section hostfs). Not registered anywhere by itself: whoever wants it passes
 * sy_hostfs_backend() to sy_vfs_register().
 *
 * Options: `source` (an absolute path of a directory, required) and
 * `readonly` (yes/no/true/false/1/0, default no).
 */
#ifndef SY_HOSTFS_H
#define SY_HOSTFS_H

#include <switchyard/vfs.h>

const struct sy_vfs_backend *sy_hostfs_backend(void);

#endif
