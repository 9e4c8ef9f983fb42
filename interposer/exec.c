/*
 * execve and execveat: the new program must be interposed again. The
 * environment normally carries LD_PRELOAD and the SWITCHYARD_* settings on
 * by itself; when the program hands execve an environment without them
 * (env -i, a cleaned environment), they are put back.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sy.h"

#define PRELOAD "LD_PRELOAD="

/* The settings of this run ("NAME=value"), captured at start-up. */
static const char *settings[8];
static int nsettings;

void sy_exec_remember(const char *entry)
{
	if (nsettings < (int)(sizeof(settings) / sizeof(settings[0])))
		settings[nsettings++] = entry;
}

static int preload_has_lib(const char *value)
{
	size_t len = strlen(sy_state.lib_path);
	for (const char *p = value; *p;) {
		const char *end = p + strcspn(p, ": ");
		if ((size_t)(end - p) == len && memcmp(p, sy_state.lib_path, len) == 0)
			return 1;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int name_matches(const char *entry, const char *setting)
{
	size_t n = strcspn(setting, "=") + 1;
	return strncmp(entry, setting, n) == 0;
}

long sy_sys_execve(struct sy_call *c)
{
	int envp_arg = c->nr == SYS_execve ? 2 : 3;
	const char *const *envp = (const char *const *)c->args[envp_arg];
	char head[64];
	long n = 0, preload_at = -1;
	int present[8] = {0};
	if (envp) {
		for (;; n++) {
			const char *e;
			if (sy_copy_in(&e, &envp[n], sizeof(e)) < 0)
				return -EFAULT;
			if (!e)
				break;
			sy_copy_string_in(head, e, sizeof(head));
			if (strncmp(head, PRELOAD, strlen(PRELOAD)) == 0)
				preload_at = n;
			for (int i = 0; i < nsettings; i++)
				if (name_matches(head, settings[i]))
					present[i] = 1;
		}
	}

	char old_preload[4096] = "";
	if (preload_at >= 0) {
		const char *e;
		sy_copy_in(&e, &envp[preload_at], sizeof(e));
		sy_copy_string_in(old_preload, e, sizeof(old_preload));
	}
	int need_preload = preload_at < 0 || !preload_has_lib(old_preload + strlen(PRELOAD));
	int missing = 0;
	for (int i = 0; i < nsettings; i++)
		missing += !present[i];
	if (!need_preload && !missing)
		return sy_raw6(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4],
			       c->args[5]);

	/* The new environment's memory could land where the path or argv
	 * pointed before being unmapped: check them first, as the kernel would. */
	int path_arg = c->nr == SYS_execve ? 0 : 1;
	const char *const *argv = (const char *const *)c->args[path_arg + 1];
	const char *first;
	if (sy_copy_in(head, (const void *)c->args[path_arg], 1) < 0 ||
	    (argv && sy_copy_in(&first, argv, sizeof(first)) < 0))
		return -EFAULT;

	/* A new environment: the program's entries, the preload fixed, ours added.
	 * (After a successful exec from a vfork child this mapping stays behind
	 * in the parent; it is small and only made when the environment lacked
	 * switchyard's settings.) */
	size_t preload_len =
	    strlen(PRELOAD) + strlen(sy_state.lib_path) + 1 + strlen(old_preload) + 1;
	size_t bytes = (size_t)(n + nsettings + 2) * sizeof(char *) + preload_len;
	long m =
	    sy_raw6(SYS_mmap, 0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m > -4096)
		return m;
	const char **env = (const char **)m;
	char *preload = (char *)(env + n + nsettings + 2);
	strcpy(preload, PRELOAD);
	strcat(preload, sy_state.lib_path);
	if (preload_at >= 0 && old_preload[strlen(PRELOAD)]) {
		strcat(preload, ":");
		strcat(preload, old_preload + strlen(PRELOAD));
	}
	long k = 0;
	for (long i = 0; i < n; i++) {
		const char *e;
		sy_copy_in(&e, &envp[i], sizeof(e));
		env[k++] = i == preload_at ? preload : e;
	}
	if (preload_at < 0)
		env[k++] = preload;
	for (int i = 0; i < nsettings; i++)
		if (!present[i])
			env[k++] = settings[i];
	env[k] = NULL;

	long args[6];
	memcpy(args, c->args, sizeof(args));
	args[envp_arg] = (long)env;
	long r = sy_raw6(c->nr, args[0], args[1], args[2], args[3], args[4], args[5]);
	sy_raw2(SYS_munmap, m, bytes);
	return r;
}
