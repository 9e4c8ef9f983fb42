/* Scenario symlinks: relative, absolute (into the work dir and out of it to
 * "/" and back), dangling, looping and 40-deep symlinks; O_NOFOLLOW, O_PATH,
 * O_CREAT through a dangling link, trailing slashes, readlink with a short
 * buffer, link with and without AT_SYMLINK_FOLLOW, symlinks to directories
 * in the middle of a path and followed by "..". */
#include "diff.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char pbuf[4][8192];
static int pnext;

/* printf into a rotating buffer */
static const char *fmt(const char *f, const char *a)
{
	char *b = pbuf[pnext++ % 4];
	snprintf(b, sizeof(pbuf[0]), f, a);
	return b;
}

static void try_open(const char *label, const char *p, int flags)
{
	errno = 0;
	int fd = open(p, flags, 0644);
	dx_result(label, fd, errno);
	if (fd >= 0) {
		dx_show_fstat(fd, "opened");
		if (!(flags & O_PATH) && !(flags & O_DIRECTORY))
			dx_show_read("opened", fd, 64);
		close(fd);
	}
}

static void show_readlink(const char *p, size_t size)
{
	char buf[256];
	errno = 0;
	long r = readlink(p, buf, size);
	char label[300];
	snprintf(label, sizeof(label), "readlink(%s, %zu)", p, size);
	dx_result(label, r, errno);
	if (r > 0)
		dx_show_bytes("target", buf, r);
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	T(mkdir("sub", 0755));
	dx_make_file("f", "the file f");
	dx_make_file("sub/g", "the file g");

	dx_part("making links");
	T(symlink("f", "rel"));
	TL("symlink abs f -> absl", symlink(dx_abs("f"), "absl"));
	T(symlink("nonexistent", "dangling"));
	T(symlink("loop2", "loop1"));
	T(symlink("loop1", "loop2"));
	T(symlink("self", "self"));
	T(symlink("sub", "dirlink"));
	T(symlink("../f", "sub/up"));
	T(symlink("..", "sub/parent"));
	T(symlink("/", "rootlink"));
	TL("symlink workdir -> worklink", symlink(dx_work, "worklink"));
	TL("symlink ../B/f -> outback", symlink(fmt("../%s/f", dx_base), "outback"));
	T(symlink("f/", "slashlink"));
	T(symlink("dirlink/g", "twostep"));
	dx_show_dir(".");
	dx_show_lstat("rel");
	dx_show_lstat("dirlink");
	dx_show_stat("dirlink");
	dx_show_lstat("sub/parent");
	struct stat st;
	TL("lstat absl size == strlen(target)",
	   lstat("absl", &st) == 0 && st.st_size == (off_t)strlen(dx_abs("f")));

	dx_part("following");
	try_open("open rel", "rel", O_RDONLY);
	try_open("open absl", "absl", O_RDONLY);
	try_open("open sub/up", "sub/up", O_RDONLY);
	try_open("open sub/parent/f", "sub/parent/f", O_RDONLY);
	try_open("open sub/parent/sub/parent/sub/g", "sub/parent/sub/parent/sub/g", O_RDONLY);
	try_open("open dirlink/g", "dirlink/g", O_RDONLY);
	try_open("open dirlink/../f", "dirlink/../f", O_RDONLY);
	try_open("open twostep", "twostep", O_RDONLY);
	try_open("open outback", "outback", O_RDONLY);
	try_open("open worklink/sub/g", "worklink/sub/g", O_RDONLY);
	try_open("open rootlink/WORKDIR/f", fmt("rootlink/%s/f", dx_work), O_RDONLY);
	try_open("open slashlink", "slashlink", O_RDONLY);
	try_open("open dirlink O_DIRECTORY", "dirlink", O_RDONLY | O_DIRECTORY);
	try_open("open dirlink/ O_DIRECTORY", "dirlink/", O_RDONLY | O_DIRECTORY);
	try_open("open rel O_DIRECTORY", "rel", O_RDONLY | O_DIRECTORY);
	T(chdir("dirlink"));
	dx_show_cwd();
	try_open("open parent/rel", "parent/rel", O_RDONLY);
	try_open("open ../rel", "../rel", O_RDONLY);
	T(chdir(".."));
	dx_show_cwd();
	T(chdir("sub/parent/dirlink/parent"));
	dx_show_cwd();

	dx_part("O_NOFOLLOW and O_PATH");
	try_open("open rel O_NOFOLLOW", "rel", O_RDONLY | O_NOFOLLOW);
	try_open("open dirlink O_NOFOLLOW|O_DIRECTORY", "dirlink",
		 O_RDONLY | O_NOFOLLOW | O_DIRECTORY);
	try_open("open dirlink/g O_NOFOLLOW", "dirlink/g", O_RDONLY | O_NOFOLLOW);
	try_open("open f O_NOFOLLOW", "f", O_RDONLY | O_NOFOLLOW);
	try_open("open rel O_PATH|O_NOFOLLOW", "rel", O_PATH | O_NOFOLLOW);
	try_open("open rel O_PATH", "rel", O_PATH);
	try_open("open dangling O_PATH|O_NOFOLLOW", "dangling", O_PATH | O_NOFOLLOW);
	try_open("open rel O_CREAT|O_NOFOLLOW", "rel", O_WRONLY | O_CREAT | O_NOFOLLOW);

	dx_part("dangling and loops");
	try_open("open dangling", "dangling", O_RDONLY);
	dx_show_stat("dangling");
	dx_show_lstat("dangling");
	try_open("open dangling O_CREAT|O_EXCL", "dangling", O_WRONLY | O_CREAT | O_EXCL);
	try_open("open dangling O_CREAT", "dangling", O_WRONLY | O_CREAT);
	dx_show_stat("nonexistent");
	T(unlink("nonexistent"));
	try_open("open loop1", "loop1", O_RDONLY);
	try_open("open self", "self", O_RDONLY);
	try_open("open loop1/x", "loop1/x", O_RDONLY);
	try_open("open loop1 O_CREAT", "loop1", O_WRONLY | O_CREAT);
	dx_show_stat("loop1");
	dx_show_lstat("loop2");
	TL("mkdir loop1/d", mkdir("loop1/d", 0755));
	TL("access self", access("self", F_OK));
	TL("chdir self", chdir("self"));
	char name[16], next[16];
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(next, sizeof(next), "c%d", i + 1);
		if (symlink(i == 40 ? "f" : next, name) < 0)
			dx_die("symlink chain");
	}
	try_open("open c0 (41 links)", "c0", O_RDONLY);
	try_open("open c1 (40 links)", "c1", O_RDONLY);
	try_open("open c30 (10 links)", "c30", O_RDONLY);

	dx_part("trailing slashes");
	dx_show_lstat("dirlink/");
	dx_show_lstat("rel/");
	T(unlink("dirlink/"));
	T(rmdir("dirlink"));
	T(rmdir("dirlink/"));
	T(mkdir("dangling/", 0755));
	T(rename("rel", "rel2/"));
	T(rename("dirlink/", "dirlink2"));

	dx_part("readlink");
	show_readlink("rel", 255);
	show_readlink("rel", 1);
	show_readlink("sub/parent", 2);
	show_readlink("f", 255);
	show_readlink("nonexistent", 255);
	show_readlink("dirlink/", 255);
	show_readlink("sub/up", 0);
	TL("readlink absl matches", ({
		   char b[4200];
		   long n = readlink("absl", b, sizeof(b));
		   n == (long)strlen(dx_abs("f")) && memcmp(b, dx_abs("f"), (size_t)n) == 0;
	   }));
	int lfd = T(open("rel", O_PATH | O_NOFOLLOW));
	char rb[64];
	long rn = T(readlinkat(lfd, "", rb, sizeof(rb)));
	if (rn > 0)
		dx_show_bytes("target", rb, rn);
	T(close(lfd));
	int ffd = T(open("f", O_PATH));
	T(readlinkat(ffd, "", rb, sizeof(rb)));
	T(close(ffd));

	dx_part("link with and without AT_SYMLINK_FOLLOW");
	struct stat sf, sl;
	T(linkat(AT_FDCWD, "rel", AT_FDCWD, "hard-nofollow", 0));
	T(linkat(AT_FDCWD, "rel", AT_FDCWD, "hard-follow", AT_SYMLINK_FOLLOW));
	T(linkat(AT_FDCWD, "dangling", AT_FDCWD, "hard-dangling", AT_SYMLINK_FOLLOW));
	T(linkat(AT_FDCWD, "loop1", AT_FDCWD, "hard-loop", AT_SYMLINK_FOLLOW));
	T(linkat(AT_FDCWD, "dirlink", AT_FDCWD, "hard-dir", AT_SYMLINK_FOLLOW));
	T(linkat(AT_FDCWD, "rel", AT_FDCWD, "hard-x", 0x1));
	dx_show_lstat("hard-nofollow");
	dx_show_lstat("hard-follow");
	dx_show_lstat("rel");
	if (stat("f", &sf) == 0 && lstat("hard-follow", &sl) == 0)
		dx_same_inode("f and hard-follow", &sf, &sl);
	if (lstat("rel", &sf) == 0 && lstat("hard-nofollow", &sl) == 0)
		dx_same_inode("rel and hard-nofollow", &sf, &sl);
	show_readlink("hard-nofollow", 255);

	dx_part("renaming and removing links");
	T(rename("rel", "rel-moved"));
	try_open("open rel-moved", "rel-moved", O_RDONLY);
	T(mkdir("sub2", 0755));
	T(rename("sub/up", "sub2/up-moved"));
	try_open("open sub2/up-moved", "sub2/up-moved", O_RDONLY);
	T(rename("dangling", "loop1"));
	show_readlink("loop1", 255);
	T(rename("dirlink", "sub"));
	T(rename("sub", "dirlink"));
	T(unlink("hard-nofollow"));
	T(unlink("rel-moved"));
	dx_show_stat("f");
	T(unlink("worklink"));
	T(unlink("rootlink"));
	dx_show_dir(".");
	return 0;
}
