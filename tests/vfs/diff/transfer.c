/* Scenario transfer: data moved by the kernel between files of the work dir,
 * kernel pipes and (argument 2) a file on another file system: sendfile,
 * copy_file_range, splice, tee, with and without offsets, with their errors;
 * ioctl FIONREAD, FIOCLEX/FIONCLEX, FIONBIO, FIGETBSZ and a few that files
 * refuse. */
#include "diff.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <termios.h>
#include <unistd.h>

static void fionread(const char *label, int fd)
{
	int n = -7;
	errno = 0;
	int r = ioctl(fd, FIONREAD, &n);
	if (r < 0)
		dx_line("  FIONREAD %s = -1 %s", label, dx_errname(errno));
	else
		dx_line("  FIONREAD %s = %d", label, n);
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	char buf[256];
	dx_make_file("src", "0123456789abcdefghijklmnopqrstuvwxyz");
	int in = T(open("src", O_RDONLY));
	int out = T(open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644));
	int p[2];
	T(pipe2(p, O_NONBLOCK)); /* a test that goes wrong must not block */

	dx_part("sendfile");
	off_t off = 5;
	T(sendfile(out, in, &off, 10));
	dx_line("  off = %lld", (long long)off);
	T(lseek(in, 0, SEEK_CUR));
	T(lseek(out, 0, SEEK_CUR));
	T(sendfile(out, in, NULL, 4));
	T(lseek(in, 0, SEEK_CUR));
	off = 30;
	T(sendfile(out, in, &off, 100));
	off = 100;
	T(sendfile(out, in, &off, 10));
	T(sendfile(p[1], in, NULL, 6));
	dx_show_read("pipe", p[0], 64);
	T(write(p[1], "from pipe", 9));
	T(sendfile(out, p[0], NULL, 9));
	dx_show_read("drain pipe", p[0], 64);
	int app = T(open("dst", O_WRONLY | O_APPEND));
	T(sendfile(app, in, NULL, 2));
	T(sendfile(in, out, NULL, 2));
	off = -1;
	T(sendfile(out, in, &off, 2));
	dx_show_file("dst");

	dx_part("copy_file_range");
	int cp = T(open("copy", O_RDWR | O_CREAT | O_TRUNC, 0644));
	T(lseek(in, 0, SEEK_SET));
	T(copy_file_range(in, NULL, cp, NULL, 10, 0));
	T(lseek(in, 0, SEEK_CUR));
	T(lseek(cp, 0, SEEK_CUR));
	loff_t ioff = 20, ooff = 100;
	T(copy_file_range(in, &ioff, cp, &ooff, 8, 0));
	dx_line("  ioff = %lld, ooff = %lld", (long long)ioff, (long long)ooff);
	dx_show_fstat(cp, "copy");
	ioff = 50;
	T(copy_file_range(in, &ioff, cp, NULL, 8, 0));
	T(copy_file_range(in, NULL, cp, NULL, 8, 1));
	T(copy_file_range(in, NULL, app, NULL, 8, 0));
	T(copy_file_range(out, NULL, in, NULL, 8, 0));
	ioff = 0;
	ooff = 4;
	T(copy_file_range(cp, &ioff, cp, &ooff, 8, 0));
	ooff = 40;
	T(copy_file_range(cp, &ioff, cp, &ooff, 8, 0));
	T(copy_file_range(p[0], NULL, cp, NULL, 8, 0));
	int dir = T(open(".", O_RDONLY | O_DIRECTORY));
	T(copy_file_range(dir, NULL, cp, NULL, 8, 0));
	T(pread(cp, buf, sizeof(buf), 0));
	dx_show_bytes("copy", buf, 110);
	if (dx_other) {
		int o = TL("open other/x", open(dx_oth("x"), O_RDWR | O_CREAT | O_TRUNC, 0644));
		TL("copy_file_range(in, other/x)",
		   copy_file_range(in, &(loff_t){0}, o, NULL, 5, 0));
		TL("write other/x", write(o, "OTHER", 5));
		TL("copy_file_range(other/x, cp)",
		   copy_file_range(o, &(loff_t){0}, cp, NULL, 5, 0));
		TL("sendfile(cp, other/x)", sendfile(cp, o, &(off_t){0}, 5));
		TL("sendfile(other/x, in)", sendfile(o, in, &(off_t){0}, 5));
		close(o);
		dx_show_file(dx_oth("x"));
		dx_show_file("copy");
	}

	dx_part("splice and tee");
	loff_t soff = 3;
	T(splice(in, &soff, p[1], NULL, 5, 0));
	dx_line("  soff = %lld", (long long)soff);
	fionread("pipe", p[0]);
	int q[2];
	T(pipe2(q, O_NONBLOCK));
	T(tee(p[0], q[1], 100, 0));
	fionread("pipe", p[0]);
	fionread("teed pipe", q[0]);
	T(splice(p[0], NULL, out, NULL, 100, 0));
	T(lseek(out, 0, SEEK_CUR));
	loff_t doff = 0;
	T(splice(q[0], NULL, out, &doff, 3, 0));
	dx_line("  doff = %lld", (long long)doff);
	T(lseek(in, 0, SEEK_SET));
	T(splice(in, NULL, p[1], NULL, 4, SPLICE_F_MOVE));
	T(lseek(in, 0, SEEK_CUR));
	T(splice(in, NULL, out, NULL, 4, 0));
	T(splice(p[0], &soff, out, NULL, 4, 0));
	T(splice(p[0], NULL, app, NULL, 4, 0));
	T(splice(in, NULL, p[1], NULL, 4, 0x100));
	T(tee(in, q[1], 4, 0));
	dx_show_read("pipe rest", p[0], 64);
	dx_show_read("teed rest", q[0], 64);
	dx_show_file("dst");

	dx_part("ioctl");
	T(lseek(in, 10, SEEK_SET));
	fionread("src at 10", in);
	T(lseek(in, 100, SEEK_SET));
	fionread("src past EOF", in);
	fionread("directory", dir);
	T(write(p[1], "12345", 5));
	fionread("pipe", p[0]);
	T(ioctl(in, FIOCLEX));
	T(fcntl(in, F_GETFD));
	T(ioctl(in, FIONCLEX));
	T(fcntl(in, F_GETFD));
	int on = 1;
	T(ioctl(in, FIONBIO, &on));
	T(fcntl(in, F_GETFL) & O_NONBLOCK);
	on = 0;
	T(ioctl(in, FIONBIO, &on));
	T(fcntl(in, F_GETFL) & O_NONBLOCK);
	int bsz = 0;
	T(ioctl(in, FIGETBSZ, &bsz));
	dx_line("  FIGETBSZ %d", bsz);
	struct termios tio;
	T(ioctl(in, TCGETS, &tio));
	T(ioctl(in, 0x7fff1234, 0));
	T(ioctl(in, FIOASYNC, &on));
	T(ioctl(77, FIONREAD, &on));
	int po = T(open("src", O_PATH));
	T(ioctl(po, FIONREAD, &on));
	T(ioctl(po, FIOCLEX));
	T(close(po));
	T(close(dir));
	T(close(cp));
	T(close(app));
	T(close(in));
	T(close(out));
	dx_show_dir(".");
	return 0;
}
