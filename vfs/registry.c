/*
 * The file-system backends `type =` in a mount can name: switchyard's own
 * and those a hook library registers from switchyard_hook_init().
 */
#include <string.h>
#include <switchyard/vfs.h>

#include "vfs_internal.h"

#define MAX_BACKENDS 16

static const struct sy_vfs_backend *backends[MAX_BACKENDS];
static int nbackends;

__attribute__((visibility("default"))) int sy_vfs_register(const struct sy_vfs_backend *backend)
{
	if (!backend || backend->version != SY_VFS_API_VERSION || !backend->name ||
	    !backend->name[0] || nbackends >= MAX_BACKENDS || sy_vfs_backend_find(backend->name))
		return -1;
	backends[nbackends++] = backend;
	return 0;
}

const struct sy_vfs_backend *sy_vfs_backend_find(const char *name)
{
	for (int i = 0; i < nbackends; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}
