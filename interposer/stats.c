/*
 * --stats: a built-in client of the hook API that counts every call by
 * number and writes JSON when the process exits (exit_group), one file per
 * process when the name holds %p. Counts start at zero in a forked child.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sy.h"

static long counts[SY_NR_MAX];
static long other_numbers;
static char pattern[PATH_MAX];

static void count(long nr)
{
	if (nr >= 0 && nr < SY_NR_MAX)
		__atomic_fetch_add(&counts[nr], 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&other_numbers, 1, __ATOMIC_RELAXED);
}

static enum sy_verdict stats_enter(void *ctx, struct sy_call *call, long *result)
{
	(void)ctx;
	(void)result;
	count(call->nr);
	if (call->nr == SYS_exit_group)
		sy_stats_write();
	return SY_PASS;
}

static const struct sy_hook stats_hook = {
    .version = SY_HOOK_API_VERSION,
    .name = "stats",
    .enter = stats_enter,
};

int sy_stats_setup(const char *file_pattern)
{
	snprintf(pattern, sizeof(pattern), "%s", file_pattern);
	return sy_hook_register(&stats_hook);
}

void sy_stats_reset(void)
{
	sy_vfs_refused = 0;
	memset(sy_hook_answers, 0, sizeof(sy_hook_answers));
	memset(counts, 0, sizeof(counts));
	other_numbers = 0;
	sy_sud_traps = 0;
	sy_site_traps = 0;
}

void sy_stats_write(void)
{
	if (!pattern[0])
		return;
	long pid = sy_raw0(SYS_getpid);
	char path[PATH_MAX];
	sy_expand_pattern(pattern, (int)pid, path, sizeof(path));

	size_t size = 64 * 1024;
	long m =
	    sy_raw6(SYS_mmap, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m > -4096)
		return;
	char *buf = (char *)m;
	long total = other_numbers;
	for (int i = 0; i < SY_NR_MAX; i++)
		total += counts[i];
	size_t at = 0;
	at = sy_put(buf, size, at, "{\n  \"pid\": %ld,\n", pid);
	at = sy_put(buf, size, at, "  \"mode\": \"%s\",\n", sy_mode_name(sy_state.mode));
	at = sy_put(buf, size, at, "  \"syscalls\": %ld,\n", total);
	at = sy_put(buf, size, at, "  \"sites_rewritten\": %ld,\n", sy_sites_rewritten);
	at = sy_put(buf, size, at, "  \"sites_trapped\": %ld,\n", sy_sites_trapped);
	at = sy_put(buf, size, at, "  \"sud_traps\": %ld,\n", sy_sud_traps);
	at = sy_put(buf, size, at, "  \"site_traps\": %ld,\n", sy_site_traps);
	at = sy_put(buf, size, at, "  \"sud_on\": %s,\n", sy_sud_wanted ? "true" : "false");
	at = sy_put(buf, size, at, "  \"other_numbers\": %ld,\n", other_numbers);
	/* calls on virtual fds or paths the VFS does not serve (honest errors) */
	at = sy_put(buf, size, at, "  \"vfs_refused\": %ld,\n",
		    __atomic_load_n(&sy_vfs_refused, __ATOMIC_RELAXED));
	/* where the calls went: each subsystem's hook answered some, the
	 * kernel ran the rest */
	long answered = 0;
	at = sy_put(buf, size, at, "  \"served_by\": {");
	for (int i = 0; i < sy_nhooks; i++) {
		long n = __atomic_load_n(&sy_hook_answers[i], __ATOMIC_RELAXED);
		answered += n;
		at = sy_put(buf, size, at, "\"%s\": %ld, ", sy_hooks[i]->name, n);
	}
	at = sy_put(buf, size, at, "\"kernel\": %ld},\n", total - answered);
	sy_net_stats(buf, size, &at);
	at = sy_put(buf, size, at, "  \"sites_refused\": {");
	const char *comma = "";
	for (int v = SY_SITE_OK + 1; v < SY_SITE_VERDICTS; v++) {
		if (!sy_sites_refused[v])
			continue;
		at = sy_put(buf, size, at, "%s\"%s\": %ld", comma, sy_site_verdict_name(v),
			    sy_sites_refused[v]);
		comma = ", ";
	}
	at = sy_put(buf, size, at, "},\n");
	at = sy_put(buf, size, at, "  \"by_name\": {");
	const char *sep = "\n";
	for (int i = 0; i < SY_NR_MAX; i++) {
		if (!counts[i])
			continue;
		const char *name = sy_syscall_name(i);
		char unnamed[32];
		if (!name) {
			snprintf(unnamed, sizeof(unnamed), "syscall_%d", i);
			name = unnamed;
		}
		at = sy_put(buf, size, at, "%s    \"%s\": %ld", sep, name, counts[i]);
		sep = ",\n";
	}
	at = sy_put(buf, size, at, "\n  }\n}\n");
	if (at > size)
		at = size;

	long fd =
	    sy_raw4(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		for (size_t done = 0; done < at;) {
			long w = sy_raw3(SYS_write, fd, buf + done, at - done);
			if (w <= 0)
				break;
			done += (size_t)w;
		}
		sy_raw1(SYS_close, fd);
	}
	sy_raw2(SYS_munmap, m, size);
}
