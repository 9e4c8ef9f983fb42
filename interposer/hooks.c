/*
 * The hook chain: the built-in clients (stats, trace) and a custom hook
 * library register here at start-up; the union of their interests is the
 * bitmap the entry stub checks, so calls nobody wants stay on the fast path.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "sy.h"

const struct sy_hook *sy_hooks[SY_MAX_HOOKS];
int sy_nhooks;
uint8_t sy_hook_all;

__attribute__((visibility("default"))) int sy_hook_register(const struct sy_hook *hook)
{
	if (!hook || hook->version != SY_HOOK_API_VERSION || sy_nhooks >= SY_MAX_HOOKS)
		return -1;
	for (int nr = 0; nr < SY_NR_MAX; nr++)
		if (!hook->interest || (hook->interest[nr / 8] >> (nr % 8)) & 1)
			sy_nr_table[nr] = (uint8_t)((sy_nr_table[nr] & ~SY_NR_FD0) | SY_NR_HOOK);
	if (!hook->interest)
		sy_hook_all = 1;
	sy_hooks[sy_nhooks++] = hook;
	return 0;
}

int sy_hook_load_library(const char *path, char *err, size_t errlen)
{
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(err, errlen, "hook library %s: %s", path, dlerror());
		return -1;
	}
	int (*init)(void) = (int (*)(void))dlsym(lib, "switchyard_hook_init");
	if (!init) {
		snprintf(err, errlen, "hook library %s: no switchyard_hook_init function", path);
		return -1;
	}
	int r = init();
	if (r != 0) {
		snprintf(err, errlen, "hook library %s: switchyard_hook_init returned %d", path, r);
		return -1;
	}
	return 0;
}

/* Which hooks want nr only for marked fds (bit = index in sy_hooks). */
static uint16_t fd_only[SY_NR_MAX];

void sy_fd_interest(long nr, const struct sy_hook *hook)
{
	if (nr < 0 || nr >= SY_NR_MAX || sy_hook_all)
		return;
	for (int i = 0; i < sy_nhooks; i++)
		if (sy_hooks[i] == hook)
			fd_only[nr] |= (uint16_t)(1u << i);
	/* the fast path for unmarked fds only if every hook that wants nr
	 * wants it for marked fds alone */
	for (int i = 0; i < sy_nhooks; i++)
		if (!(fd_only[nr] & (1u << i)) &&
		    (!sy_hooks[i]->interest || (sy_hooks[i]->interest[nr / 8] >> (nr % 8)) & 1))
			return;
	sy_nr_table[nr] = (uint8_t)((sy_nr_table[nr] & ~SY_NR_HOOK) | SY_NR_FD0);
}
