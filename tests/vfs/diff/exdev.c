/* Scenario exdev: the work directory and a second directory on another file
 * system (argument 2): rename, renameat2 and link across them give EXDEV
 * (and which errors come first), symlinks and relative paths that cross from
 * one to the other, dirfds of the other used for paths into the work dir,
 * copying data across. Natively the work dir is tmpfs and the other dir the
 * root file system; under switchyard the work dir is a mount. */
#include "diff.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* "../../<work dir without its leading slash>/rel" from the other dir */
static const char *from_other(const char *rel)
{
	static char buf[4][4200];
	static int next;
	char *b = buf[next++ % 4];
	size_t o = 0;
	for (const char *c = dx_other; *c; c++)
		if (*c == '/')
			o += (size_t)snprintf(b + o, sizeof(buf[0]) - o, "../");
	snprintf(b + o, sizeof(buf[0]) - o, "%s/%s", dx_work + 1, rel);
	return b;
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	if (!dx_other) {
		dx_line("no directory on a second file system given");
		return 77;
	}
	dx_make_file("f", "work file");
	T(mkdir("d", 0755));
	dx_make_file(dx_oth("o"), "other file");
	if (mkdir(dx_oth("od"), 0755) < 0)
		dx_die("mkdir other/od");
	int work = T(open(".", O_RDONLY | O_DIRECTORY));
	int oth = TL("open other dir", open(dx_other, O_RDONLY | O_DIRECTORY));

	dx_part("what the two are");
	struct stat sw, so;
	struct statfs fw, fo;
	if (stat(".", &sw) < 0 || stat(dx_other, &so) < 0 || statfs(".", &fw) < 0 ||
	    statfs(dx_other, &fo) < 0)
		dx_die("stat");
	dx_line("  same st_dev: %s, same f_type: %s", sw.st_dev == so.st_dev ? "yes" : "no",
		fw.f_type == fo.f_type ? "yes" : "no");

	dx_part("rename and link across");
	TL("rename f -> other/f", rename("f", dx_oth("f")));
	TL("rename other/o -> o", rename(dx_oth("o"), "o"));
	TL("rename d -> other/d", rename("d", dx_oth("d")));
	TL("rename other/od -> od", rename(dx_oth("od"), "od"));
	TL("rename missing -> other/x", rename("missing", dx_oth("x")));
	TL("rename f -> other/missing-dir/x", rename("f", dx_oth("missing-dir/x")));
	TL("rename missing-dir/x -> other/x", rename("missing-dir/x", dx_oth("x")));
	TL("rename f -> other/od (a dir)", rename("f", dx_oth("od")));
	TL("link f -> other/l", link("f", dx_oth("l")));
	TL("link other/o -> l", link(dx_oth("o"), "l"));
	TL("link missing -> other/l", link("missing", dx_oth("l")));
	TL("renameat(work, f, oth, f)", renameat(work, "f", oth, "f"));
	TL("renameat(oth, o, work, o)", renameat(oth, "o", work, "o"));
	TL("renameat2 NOREPLACE", renameat2(work, "f", oth, "o", RENAME_NOREPLACE));
	TL("renameat2 EXCHANGE", renameat2(work, "f", oth, "o", RENAME_EXCHANGE));
	TL("linkat(work, f, oth, l)", linkat(work, "f", oth, "l", 0));
	int ff = T(open("f", O_RDONLY));
	TL("linkat(ff, \"\", oth, l, AT_EMPTY_PATH)", linkat(ff, "", oth, "l", AT_EMPTY_PATH));
	TL("rename other/o -> other/o2 (same fs)", rename(dx_oth("o"), dx_oth("o2")));
	TL("rename f -> d/f (same fs)", rename("f", "d/f"));
	TL("rename d/f -> f", rename("d/f", "f"));
	dx_show_dir(".");
	dx_show_dir(dx_other);

	dx_part("crossing by symlinks and relative paths");
	TL("symlink work -> other/o2", symlink(dx_oth("o2"), "to-other"));
	dx_show_file("to-other");
	TL("symlink other -> work/f", symlink(dx_abs("f"), dx_oth("to-work")));
	dx_show_file(dx_oth("to-work"));
	TL("symlink other -> work dir", symlink(dx_work, dx_oth("workdir")));
	dx_show_file(dx_oth("workdir/f"));
	dx_show_dir(dx_oth("workdir/d"));
	TL("stat other/workdir/f", stat(dx_oth("workdir/f"), &(struct stat){0}));
	TL("mkdir other/workdir/made", mkdir(dx_oth("workdir/made"), 0755));
	TL("rename other/workdir/made -> other/made",
	   rename(dx_oth("workdir/made"), dx_oth("made")));
	TL("openat(oth, ../../WORK/f)", ({
						int x = openat(oth, from_other("f"), O_RDONLY);
						if (x >= 0) {
							dx_show_read("x", x, 32);
							close(x);
						}
						x;
					}) >= 0);
	TL("mkdirat(oth, ../../WORK/fromoth)", mkdirat(oth, from_other("fromoth"), 0700));
	TL("renameat(oth, ../../WORK/fromoth, work, fromoth2)",
	   renameat(oth, from_other("fromoth"), work, "fromoth2"));
	TL("renameat(oth, ../../WORK/fromoth2, oth, x)",
	   renameat(oth, from_other("fromoth2"), oth, "x"));
	T(chdir(dx_other));
	dx_show_cwd();
	TL("open ../../WORK/f from the other dir", ({
							   int x = open(from_other("f"), O_RDONLY);
							   if (x >= 0)
								   close(x);
							   x;
						   }) >= 0);
	TL("unlink ../../WORK/to-other", unlink(from_other("to-other")));
	TL("chdir ../../WORK/d", chdir(from_other("d")));
	dx_show_cwd();
	T(fchdir(oth));
	dx_show_cwd();
	T(fchdir(work));
	dx_show_cwd();

	dx_part("copying data across");
	int in = TL("open other/o2", open(dx_oth("o2"), O_RDONLY));
	int out = T(open("copy", O_WRONLY | O_CREAT | O_EXCL, 0644));
	char buf[64];
	long n = T(read(in, buf, sizeof(buf)));
	T(write(out, buf, (size_t)n));
	T(close(in));
	T(close(out));
	dx_show_file("copy");
	in = T(open("copy", O_RDONLY));
	out = TL("open other/copy", open(dx_oth("copy"), O_WRONLY | O_CREAT | O_EXCL, 0644));
	n = T(read(in, buf, sizeof(buf)));
	T(write(out, buf, (size_t)n));
	T(close(in));
	T(close(out));
	dx_show_file(dx_oth("copy"));
	dx_show_dir(".");
	dx_show_dir(dx_other);

	dx_part("a host path turned into a symlink to the work dir after a miss under it");
	T(mkdir(dx_oth("later"), 0755));
	T(mkdir(dx_oth("later/ld"), 0755));
	struct stat sl;
	TL("stat other/later/ld/f", stat(dx_oth("later/ld/f"), &sl));
	TL("rename other/later -> other/later.old", rename(dx_oth("later"), dx_oth("later.old")));
	TL("symlink WORK other/later", symlink(dx_work, dx_oth("later")));
	T(mkdir("ld", 0755));
	dx_make_file("ld/f", "reached through the new symlink");
	TL("stat other/later/ld/f", stat(dx_oth("later/ld/f"), &sl));
	dx_show_file(dx_oth("later/ld/f"));
	T(unlink(dx_oth("later")));
	T(rmdir(dx_oth("later.old/ld")));
	T(rmdir(dx_oth("later.old")));
	T(close(ff));
	T(close(work));
	T(close(oth));
	return 0;
}
