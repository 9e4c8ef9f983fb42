/* Scenario dirs: directories and names: getdents64 (d_type of every kind,
 * ".", "..", many entries, a small buffer, rewinding, resuming at a saved
 * d_off, listing while entries change), mkdir/rmdir/unlink(at), rename and
 * renameat2 with RENAME_NOREPLACE/RENAME_EXCHANGE/RENAME_WHITEOUT, renames
 * over files and directories, a deep tree. */
#include "diff.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Reads the rest of a directory fd; returns the names, sorted, joined. */
static char *rest_of(int fd, long *count)
{
	static char names[512][64];
	int n = 0;
	char buf[1024];
	for (int calls = 0; calls < 1000; calls++) {
		long r = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		for (long off = 0; off < r;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (n < 512)
				snprintf(names[n++], 64, "%.60s", d->d_name);
			off += d->d_reclen;
		}
	}
	qsort(names, (size_t)n, 64, (int (*)(const void *, const void *))strcmp);
	char *out = malloc((size_t)n * 65 + 1);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		strcat(out, names[i]);
		strcat(out, " ");
	}
	*count = n;
	return out;
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	char buf[4096];

	dx_part("every kind of entry");
	T(mkdir("kinds", 0755));
	dx_show_dir("kinds");
	dx_make_file("kinds/reg", "r");
	T(mkdir("kinds/dir", 0755));
	T(symlink("reg", "kinds/lnk"));
	T(mkfifo("kinds/fifo", 0644));
	T(mknod("kinds/chr", S_IFCHR | 0600, makedev(1, 3)));
	T(mknod("kinds/blk", S_IFBLK | 0600, makedev(7, 0)));
	T(mknod("kinds/sock", S_IFSOCK | 0600, 0));
	dx_show_dir("kinds");
	dx_show_lstat("kinds/blk");
	dx_show_lstat("kinds/sock");

	dx_part("getdents64 details");
	int d = T(open("kinds", O_RDONLY | O_DIRECTORY));
	T(syscall(SYS_getdents64, d, buf, 10));
	T(syscall(SYS_getdents64, d, buf, 0));
	long first = T(syscall(SYS_getdents64, d, buf, sizeof(buf)) > 0);
	(void)first;
	T(syscall(SYS_getdents64, d, buf, sizeof(buf)));
	T(lseek(d, 0, SEEK_SET));
	dx_show_dirfd(d, "kinds after rewind");
	int f = T(open("kinds/reg", O_RDONLY));
	T(syscall(SYS_getdents64, f, buf, sizeof(buf)));
	int p = T(open("kinds", O_PATH));
	T(syscall(SYS_getdents64, p, buf, sizeof(buf)));
	T(syscall(SYS_getdents, d, buf, sizeof(buf)) >= 0);
	T(close(f));
	T(close(p));
	T(close(d));

	dx_part("many entries, resuming at a saved d_off");
	T(mkdir("many", 0755));
	for (int i = 0; i < 300; i++) {
		char name[64];
		snprintf(name, sizeof(name), "many/entry-%03d-%s", i, i % 3 ? "file" : "dir");
		if (i % 3 ? (close(open(name, O_WRONLY | O_CREAT, 0644)), 0) : mkdir(name, 0755))
			dx_die(name);
	}
	dx_show_stat("many");
	d = T(open("many", O_RDONLY | O_DIRECTORY));
	long r = T(syscall(SYS_getdents64, d, buf, 200));
	long saved = 0, seen = 0;
	for (long off = 0; off < r;) {
		struct dirent64 *e = (struct dirent64 *)(buf + off);
		saved = e->d_off;
		seen++;
		off += e->d_reclen;
	}
	dx_line("  first batch of %ld", seen);
	long n1, n2;
	char *a = rest_of(d, &n1);
	T(lseek(d, saved, SEEK_SET) == saved);
	char *b = rest_of(d, &n2);
	dx_line("  rest %ld, again from the saved offset %ld, same names: %s", n1, n2,
		strcmp(a, b) == 0 ? "yes" : "no");
	free(a);
	free(b);
	T(lseek(d, 0, SEEK_SET));
	a = rest_of(d, &n1);
	dx_line("  all %ld", n1);
	free(a);

	dx_part("listing while entries change");
	T(lseek(d, 0, SEEK_SET));
	r = T(syscall(SYS_getdents64, d, buf, 512) > 0);
	for (int i = 0; i < 300; i += 2) {
		char name[64];
		snprintf(name, sizeof(name), "many/entry-%03d-%s", i, i % 3 ? "file" : "dir");
		if ((i % 3 ? unlink(name) : rmdir(name)) < 0)
			dx_die(name);
	}
	a = rest_of(d, &n1);
	dx_line("  rest after removing half: at most 300: %s", n1 <= 300 ? "yes" : "no");
	free(a);
	T(lseek(d, 0, SEEK_SET));
	dx_show_dirfd(d, "many");
	dx_show_stat("many");
	T(close(d));

	dx_part("renameat2");
	dx_make_file("a", "AAA");
	dx_make_file("b", "BBB");
	T(mkdir("dir1", 0755));
	dx_make_file("dir1/inner", "in dir1");
	T(renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE));
	T(renameat2(AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE));
	T(renameat2(AT_FDCWD, "c", AT_FDCWD, "b", RENAME_EXCHANGE));
	dx_show_file("b");
	dx_show_file("c");
	T(renameat2(AT_FDCWD, "c", AT_FDCWD, "dir1", RENAME_EXCHANGE));
	dx_show_lstat("c");
	dx_show_lstat("dir1");
	dx_show_file("c/inner");
	T(renameat2(AT_FDCWD, "c", AT_FDCWD, "dir1", RENAME_EXCHANGE));
	T(renameat2(AT_FDCWD, "b", AT_FDCWD, "missing", RENAME_EXCHANGE));
	T(renameat2(AT_FDCWD, "b", AT_FDCWD, "c", RENAME_EXCHANGE | RENAME_NOREPLACE));
	T(renameat2(AT_FDCWD, "b", AT_FDCWD, "c", 0x100));
	T(renameat2(AT_FDCWD, "b", AT_FDCWD, "b", RENAME_EXCHANGE));
	T(renameat2(AT_FDCWD, "dir1", AT_FDCWD, "dir1/inner", RENAME_EXCHANGE));
	T(renameat2(AT_FDCWD, "dir1/inner", AT_FDCWD, "dir1", RENAME_EXCHANGE));
	T(renameat2(AT_FDCWD, "b", AT_FDCWD, "wo", RENAME_WHITEOUT));
	dx_show_lstat("b");
	dx_show_lstat("wo");
	T(renameat2(AT_FDCWD, "wo", AT_FDCWD, "c", RENAME_WHITEOUT | RENAME_EXCHANGE));
	dx_show_dir(".");
	dx_show_dir("dir1");

	dx_part("renames over things");
	int old = T(open("c", O_RDONLY));
	dx_make_file("newc", "new c");
	T(rename("newc", "c"));
	dx_show_fstat(old, "replaced c");
	dx_show_read("replaced c", old, 16);
	T(close(old));
	dx_show_file("c");
	T(link("c", "c-link"));
	T(rename("c", "c-link"));
	dx_show_stat("c");
	T(mkdir("e1", 0755));
	T(mkdir("e2", 0755));
	T(mkdir("e2/sub", 0755));
	T(rename("e1", "e2/sub"));
	dx_show_stat("e2");
	T(rename("e2", "dir1"));
	T(rename("e2/sub", "e2/sub/"));
	T(rename("e2/sub/", "e3"));
	T(rename("dir1/", "e2/"));
	T(rename("c-link", "e2/"));
	T(rename("dir1", "dir1/.."));
	T(unlinkat(AT_FDCWD, ".", AT_REMOVEDIR));
	T(unlinkat(AT_FDCWD, "e3/..", AT_REMOVEDIR));
	dx_show_dir(".");

	dx_part("a deep tree");
	char path[1024] = "deep";
	T(mkdir("deep", 0755));
	for (int i = 0; i < 30; i++) {
		strcat(path, "/d");
		if (mkdir(path, 0700) < 0)
			dx_die("mkdir deep");
	}
	strcat(path, "/leaf");
	dx_make_file(path, "at the bottom");
	dx_show_file(path);
	T(rename("deep", "deeper"));
	char moved[1100];
	snprintf(moved, sizeof(moved), "deeper%s", path + 4);
	T(access(moved, F_OK));
	T(access(path, F_OK));
	dx_show_stat("deeper/d/d/d");
	T(rmdir("deeper/d"));
	/* remove it bottom-up */
	char walk[1024];
	for (int depth = 30; depth >= 0; depth--) {
		strcpy(walk, "deeper");
		for (int i = 0; i < depth; i++)
			strcat(walk, "/d");
		if (depth == 30) {
			char leaf[1100];
			snprintf(leaf, sizeof(leaf), "%s/leaf", walk);
			if (unlink(leaf) < 0)
				dx_die("unlink leaf");
		}
		if (rmdir(walk) < 0)
			dx_die(walk);
	}
	dx_show_dir(".");
	return 0;
}
