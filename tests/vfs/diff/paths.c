/* Scenario paths: absolute and relative paths, chdir/fchdir/getcwd into and
 * out of the work directory (under switchyard: the mount's root), ".." up out
 * of it and back in, ".", "//", trailing slashes, the usual errors (ENOENT,
 * ENOTDIR, EISDIR, EEXIST, ENOTEMPTY, EINVAL), ENAMETOOLONG, a removed and a
 * renamed cwd. */
#include "diff.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char path[8192];

/* path = printf(fmt, ...) with "B" standing for the work dir's base name. */
static const char *P(const char *fmt)
{
	size_t o = 0;
	for (const char *f = fmt; *f && o < sizeof(path) - 300; f++) {
		if (*f == 'B' && (f == fmt || f[-1] == '/') && (f[1] == '/' || f[1] == 0))
			o += (size_t)snprintf(path + o, sizeof(path) - o, "%s", dx_base);
		else
			path[o++] = *f;
	}
	path[o] = 0;
	return path;
}

static void try_open(const char *label, const char *p, int flags)
{
	errno = 0;
	int fd = open(p, flags, 0644);
	dx_result(label, fd, errno);
	if (fd >= 0) {
		dx_show_fstat(fd, "opened");
		close(fd);
	}
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	T(mkdir("sub", 0755));
	T(mkdir("sub/deep", 0700));
	dx_make_file("f", "top file");
	dx_make_file("sub/g", "in sub");
	dx_make_file("sub/deep/h", "in deep");

	dx_part("absolute and relative");
	try_open("open abs sub/g", dx_abs("sub/g"), O_RDONLY);
	try_open("open sub/g", "sub/g", O_RDONLY);
	try_open("open ./sub/./g", "./sub/./g", O_RDONLY);
	try_open("open sub//deep///h", "sub//deep///h", O_RDONLY);
	try_open("open abs //sub/deep/../g", dx_abs("/sub/deep/../g"), O_RDONLY);
	try_open("open sub/deep/../../f", "sub/deep/../../f", O_RDONLY);

	dx_part("up out of the work dir and back in");
	try_open("open sub/../../B/f", P("sub/../../B/f"), O_RDONLY);
	try_open("open ../B/sub/g", P("../B/sub/g"), O_RDONLY);
	try_open("open sub/deep/../../../B/sub/deep/h", P("sub/deep/../../../B/sub/deep/h"),
		 O_RDONLY);
	try_open("creat ../B/made-from-above", P("../B/made-from-above"),
		 O_WRONLY | O_CREAT | O_EXCL);
	TL("mkdir ../B/dir-from-above", mkdir(P("../B/dir-from-above"), 0755));
	TL("stat ../B/sub", stat(P("../B/sub"), &(struct stat){0}));
	TL("access ../B/sub/g", access(P("../B/sub/g"), R_OK));
	TL("unlink sub/../../B/made-from-above", unlink(P("sub/../../B/made-from-above")));
	TL("rmdir ../B/dir-from-above", rmdir(P("../B/dir-from-above")));
	TL("rename ../B/f -> sub/../../B/f2", rename(P("../B/f"), "f2") == 0 ? 0 : -1);
	TL("rename f2 -> ../B/f", rename("f2", P("../B/f")));
	try_open("open ../B/nonexistent", P("../B/nonexistent"), O_RDONLY);
	TL("open .. is a directory", open("..", O_RDONLY | O_DIRECTORY) >= 0);

	dx_part("chdir, fchdir, getcwd");
	dx_show_cwd();
	T(chdir("sub"));
	dx_show_cwd();
	try_open("open g", "g", O_RDONLY);
	try_open("open ../f", "../f", O_RDONLY);
	T(chdir("deep"));
	dx_show_cwd();
	try_open("open ../../f", "../../f", O_RDONLY);
	T(chdir("../.."));
	dx_show_cwd();
	T(chdir(".."));
	dx_show_cwd();
	try_open("open B/sub/g from above", P("B/sub/g"), O_RDONLY);
	TL("chdir B/sub", chdir(P("B/sub")));
	dx_show_cwd();
	T(chdir(dx_work));
	dx_show_cwd();
	int deep = T(open("sub/deep", O_RDONLY | O_DIRECTORY));
	int top = T(open(".", O_RDONLY | O_DIRECTORY));
	int root = T(open("/", O_RDONLY | O_DIRECTORY));
	int file = T(open("f", O_RDONLY));
	int opath = T(open("sub", O_PATH));
	T(fchdir(deep));
	dx_show_cwd();
	try_open("open h", "h", O_RDONLY);
	T(fchdir(root));
	dx_show_cwd();
	T(fchdir(top));
	dx_show_cwd();
	T(fchdir(file));
	T(fchdir(opath));
	dx_show_cwd();
	T(fchdir(top));
	T(fchdir(77));
	T(chdir("f"));
	T(chdir("nonexistent"));
	T(chdir(""));
	dx_show_cwd();
	char small[4];
	T(syscall(SYS_getcwd, small, 2));
	T(syscall(SYS_getcwd, small, 0));
	T(close(deep));
	T(close(root));
	T(close(file));
	T(close(opath));

	dx_part("errors");
	try_open("open nonexistent", "nonexistent", O_RDONLY);
	try_open("open nonexistent/x", "nonexistent/x", O_RDONLY);
	try_open("open f/", "f/", O_RDONLY);
	try_open("open f/.", "f/.", O_RDONLY);
	try_open("open f/x", "f/x", O_RDONLY);
	try_open("open f/..", "f/..", O_RDONLY);
	try_open("open empty", "", O_RDONLY);
	try_open("open sub O_WRONLY", "sub", O_WRONLY);
	try_open("open sub O_RDWR", "sub", O_RDWR);
	try_open("open sub O_CREAT", "sub", O_RDONLY | O_CREAT);
	try_open("open sub/ O_CREAT", "sub/", O_WRONLY | O_CREAT);
	try_open("open newfile/ O_CREAT", "newfile/", O_WRONLY | O_CREAT);
	try_open("open f O_CREAT|O_EXCL", "f", O_WRONLY | O_CREAT | O_EXCL);
	try_open("open sub O_DIRECTORY", "sub", O_RDONLY | O_DIRECTORY);
	try_open("open f O_DIRECTORY", "f", O_RDONLY | O_DIRECTORY);
	try_open("open sub/ O_RDONLY", "sub/", O_RDONLY);
	try_open("open nodir/new O_CREAT", "nodir/new", O_WRONLY | O_CREAT);
	try_open("open f/new O_CREAT", "f/new", O_WRONLY | O_CREAT);
	try_open("open f O_TRUNC|O_RDONLY", "f", O_RDONLY | O_TRUNC);
	dx_show_stat("f");
	T(mkdir("sub", 0755));
	T(mkdir("f", 0755));
	T(mkdir("f/x", 0755));
	T(mkdir("nodir/x", 0755));
	T(mkdir("new/", 0755));
	T(mkdir("", 0755));
	T(rmdir("new/"));
	T(rmdir("sub"));
	T(rmdir("f"));
	T(rmdir("."));
	T(rmdir("sub/."));
	T(rmdir("sub/deep/.."));
	T(rmdir("nonexistent"));
	T(unlink("sub"));
	T(unlink("sub/"));
	T(unlink("f/"));
	T(unlink("nonexistent"));
	T(unlink(""));
	T(link("f", "sub"));
	T(link("sub", "sublink"));
	T(link("nonexistent", "x"));
	T(link("f", "nodir/x"));
	T(symlink("f", "sub"));
	T(symlink("f", "f"));
	T(symlink("", "emptytarget"));
	T(rename("nonexistent", "x"));
	T(rename("f", "sub"));
	T(rename("sub", "f"));
	T(rename("sub", "sub/deep/inside"));
	T(rename("sub", "sub"));
	T(rename("f", "f"));
	T(rename("f", "f/"));
	T(rename(".", "x"));
	T(rename("sub/..", "x"));
	T(mkdir("empty", 0755));
	T(rename("empty", "sub"));
	T(rename("sub/deep", "empty"));
	T(rename("empty", "sub/deep"));
	dx_show_dir(".");
	dx_show_dir("sub");

	dx_part("ENAMETOOLONG");
	char name[300];
	memset(name, 'n', 255);
	name[255] = 0;
	try_open("creat 255-byte name", name, O_WRONLY | O_CREAT);
	TL("stat 255-byte name", stat(name, &(struct stat){0}));
	TL("unlink 255-byte name", unlink(name));
	name[255] = 'n';
	name[256] = 0;
	try_open("creat 256-byte name", name, O_WRONLY | O_CREAT);
	TL("stat 256-byte name", stat(name, &(struct stat){0}));
	TL("mkdir 256-byte name", mkdir(name, 0755));
	TL("symlink to 256-byte name", symlink(name, "longlink"));
	TL("stat longlink", stat("longlink", &(struct stat){0}));
	TL("unlink longlink", unlink("longlink"));
	char *lp = malloc(8200);
	size_t o = 0;
	while (o < 4094 - 1)
		o += (size_t)sprintf(lp + o, "./");
	lp[o] = 0;
	while (o < 4094)
		lp[o++] = '/';
	lp[o++] = 'f';
	lp[o] = 0;
	dx_line("  long path length %zu", strlen(lp));
	try_open("open 4095-byte path", lp, O_RDONLY);
	lp[o - 1] = '/';
	lp[o] = 'f';
	lp[o + 1] = 0;
	dx_line("  long path length %zu", strlen(lp));
	try_open("open 4096-byte path", lp, O_RDONLY);
	TL("stat 4096-byte path", stat(lp, &(struct stat){0}));
	TL("mkdir 4096-byte path", mkdir(lp, 0755));
	free(lp);

	dx_part("the cwd renamed and removed under us");
	T(mkdir("moving", 0755));
	T(chdir("moving"));
	T(rename("../moving", "../moved"));
	dx_show_cwd();
	try_open("creat in moved cwd", "x", O_WRONLY | O_CREAT);
	T(unlink("x"));
	T(rmdir("../moved"));
	dx_show_cwd();
	try_open("creat in removed cwd", "y", O_WRONLY | O_CREAT);
	try_open("open . in removed cwd", ".", O_RDONLY);
	dx_show_dir(".");
	T(mkdir("z", 0755));
	T(chdir(".."));
	dx_show_cwd();
	T(chdir(dx_work));
	dx_show_cwd();
	dx_show_dir(".");
	return 0;
}
