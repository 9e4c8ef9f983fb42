/*
 * What the scan found in a file's code, kept between processes, so that
 * only the first process to map a library decodes it: a bash pipeline or a
 * thousand short commands then pay a few system calls per library at
 * start-up. An entry is keyed by the file's device, inode, size and mtime
 * and by the region scanned, and is tied to this build of switchyard; every
 * site it names is checked to still hold a syscall instruction before it is
 * patched. The cache lives in $SWITCHYARD_CACHE, else $XDG_CACHE_HOME or
 * ~/.cache under switchyard/scan; SWITCHYARD_CACHE=off turns it off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "sy.h"

#define MAGIC "SYSCAN1"

static char dir[PATH_MAX];
static uint64_t build_id[3]; /* this library's device, inode, mtime */

struct header {
	char magic[8];
	uint64_t build[3];
	uint64_t key[6];
	uint64_t count;
};

static int stat_path(const char *path, struct stat *st)
{
	return sy_raw4(SYS_newfstatat, AT_FDCWD, path, st, 0) < 0 ? -1 : 0;
}

void sy_scancache_setup(void)
{
	const char *env = getenv("SWITCHYARD_CACHE"), *xdg = getenv("XDG_CACHE_HOME"),
		   *home = getenv("HOME");
	struct stat st;
	dir[0] = 0;
	if (env && strcmp(env, "off") == 0)
		return;
	if (stat_path(sy_state.lib_path, &st) < 0)
		return;
	build_id[0] = st.st_dev;
	build_id[1] = st.st_ino;
	build_id[2] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	if (env && env[0] == '/')
		snprintf(dir, sizeof(dir), "%s", env);
	else if (xdg && xdg[0] == '/')
		snprintf(dir, sizeof(dir), "%s/switchyard/scan", xdg);
	else if (home && home[0] == '/')
		snprintf(dir, sizeof(dir), "%s/.cache/switchyard/scan", home);
	/* switchyard's own files go to the kernel: never into a path a mount
	 * covers (HOME on a mount), where the kernel would make them */
	for (int i = 0; i < sy_state.opts.nmounts; i++) {
		const char *m = sy_state.opts.mounts[i].path;
		size_t n = strlen(m);
		if (strncmp(dir, m, n) == 0 && (dir[n] == '/' || dir[n] == 0)) {
			dir[0] = 0;
			return;
		}
	}
}

/* The key of a region of `path`, if the file there is the one mapped. */
int sy_scancache_key(const char *path, uint64_t inode, uint64_t offset, uint64_t len,
		     uint64_t key[6])
{
	struct stat st;
	if (!dir[0] || stat_path(path, &st) < 0 || st.st_ino != inode)
		return -1;
	key[0] = st.st_dev;
	key[1] = st.st_ino;
	key[2] = (uint64_t)st.st_size;
	key[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	key[4] = offset;
	key[5] = len;
	return 0;
}

static void file_name(const uint64_t key[6], char *out, size_t len)
{
	snprintf(out, len, "%s/%lx-%lx-%lx-%lx-%lx-%lx", dir, (unsigned long)key[0],
		 (unsigned long)key[1], (unsigned long)key[2], (unsigned long)key[3],
		 (unsigned long)key[4], (unsigned long)key[5]);
}

/* Entries into out[max]; returns their count, or -1 if there is no entry. */
long sy_scancache_load(const uint64_t key[6], struct sy_scan_entry *out, size_t max)
{
	char path[PATH_MAX + 128];
	struct header h;
	file_name(key, path, sizeof(path));
	long fd = sy_raw4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	long n = -1;
	if (sy_raw3(SYS_read, fd, &h, sizeof(h)) == (long)sizeof(h) &&
	    memcmp(h.magic, MAGIC, sizeof(MAGIC)) == 0 &&
	    memcmp(h.build, build_id, sizeof(build_id)) == 0 &&
	    memcmp(h.key, key, sizeof(h.key)) == 0 && h.count <= max) {
		long want = (long)(h.count * sizeof(*out));
		if (sy_raw3(SYS_read, fd, out, want) == want)
			n = (long)h.count;
	}
	sy_raw1(SYS_close, fd);
	return n;
}

static void make_dirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		sy_raw3(SYS_mkdirat, AT_FDCWD, path, 0700);
		*p = '/';
	}
	sy_raw3(SYS_mkdirat, AT_FDCWD, path, 0700);
}

void sy_scancache_store(const uint64_t key[6], const struct sy_scan_entry *entries, size_t n)
{
	char path[PATH_MAX + 128], tmp[PATH_MAX + 160];
	struct header h;
	if (!dir[0])
		return;
	memcpy(h.magic, MAGIC, sizeof(MAGIC));
	memcpy(h.build, build_id, sizeof(build_id));
	memcpy(h.key, key, sizeof(h.key));
	h.count = n;
	file_name(key, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, sy_raw0(SYS_gettid));
	long fd = sy_raw4(SYS_openat, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -ENOENT) {
		char d[PATH_MAX];
		snprintf(d, sizeof(d), "%s", dir);
		make_dirs(d);
		fd = sy_raw4(SYS_openat, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			     0600);
	}
	if (fd < 0)
		return;
	long body = (long)(n * sizeof(*entries));
	int ok = sy_raw3(SYS_write, fd, &h, sizeof(h)) == (long)sizeof(h) &&
		 sy_raw3(SYS_write, fd, entries, body) == body;
	sy_raw1(SYS_close, fd);
	if (!ok || sy_raw4(SYS_renameat, AT_FDCWD, tmp, AT_FDCWD, path) < 0)
		sy_raw3(SYS_unlinkat, AT_FDCWD, tmp, 0);
}
