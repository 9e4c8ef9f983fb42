/* Scenario rw: data calls on files in the work directory: read, write,
 * pread64/pwrite64, readv/writev, preadv/pwritev, preadv2/pwritev2 with flags
 * and offset -1, lseek with every whence (SEEK_DATA/SEEK_HOLE on sparse
 * files, negative results), truncate/ftruncate, fallocate modes (KEEP_SIZE,
 * PUNCH_HOLE), fsync/fdatasync, O_TRUNC, a 1 MiB round trip, the errors. */
#include "diff.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static uint32_t checksum(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	char buf[256], b1[4], b2[5], b3[64];

	dx_part("read and write");
	int fd = T(open("data", O_RDWR | O_CREAT | O_EXCL, 0644));
	T(write(fd, "0123456789", 10));
	T(read(fd, buf, sizeof(buf)));
	T(lseek(fd, 0, SEEK_SET));
	dx_show_read("fd", fd, 4);
	T(lseek(fd, 0, SEEK_CUR));
	T(write(fd, "", 0));
	T(read(fd, buf, 0));
	T(write(fd, "AB", 2));
	T(lseek(fd, 0, SEEK_CUR));
	dx_show_read("fd", fd, 100);
	dx_show_fstat(fd, "data");

	dx_part("pread and pwrite");
	T(pread(fd, buf, 3, 2));
	dx_show_bytes("pread", buf, 3);
	T(pread(fd, buf, 3, 10));
	T(pread(fd, buf, 3, 100));
	T(pread(fd, buf, 3, -1));
	T(pwrite(fd, "XY", 2, -1));
	T(pwrite(fd, "far", 3, 20));
	T(lseek(fd, 0, SEEK_CUR));
	dx_show_fstat(fd, "data");
	T(pread(fd, buf, sizeof(buf), 0));
	dx_show_bytes("whole", buf, 23);

	dx_part("vectors");
	struct iovec wv[3] = {{"one,", 4}, {"", 0}, {"two,three", 9}};
	T(lseek(fd, 0, SEEK_SET));
	T(writev(fd, wv, 3));
	T(lseek(fd, 0, SEEK_CUR));
	struct iovec rv[3] = {{b1, sizeof(b1)}, {b2, sizeof(b2)}, {b3, sizeof(b3)}};
	T(lseek(fd, 0, SEEK_SET));
	long n = T(readv(fd, rv, 3));
	dx_show_bytes("b1", b1, sizeof(b1));
	dx_show_bytes("b2", b2, sizeof(b2));
	dx_show_bytes("b3", b3, n - 9);
	T(readv(fd, rv, 0));
	T(syscall(SYS_readv, fd, rv, 1025));
	T(syscall(SYS_readv, fd, rv, -1));
	struct iovec huge[2] = {{buf, SSIZE_MAX}, {buf, SSIZE_MAX}};
	T(writev(fd, huge, 2));
	T(pwritev(fd, wv, 3, 30));
	dx_show_fstat(fd, "data");
	T(preadv(fd, rv, 2, 30));
	dx_show_bytes("b1", b1, sizeof(b1));
	dx_show_bytes("b2", b2, sizeof(b2));
	T(lseek(fd, 5, SEEK_SET));
	T(preadv2(fd, rv, 1, -1, 0));
	T(lseek(fd, 0, SEEK_CUR));
	T(pwritev2(fd, wv, 1, -1, 0));
	T(lseek(fd, 0, SEEK_CUR));
	T(preadv2(fd, rv, 1, 0, RWF_HIPRI));
	T(preadv2(fd, rv, 1, 0, RWF_NOWAIT));
	T(pwritev2(fd, wv, 1, 0, RWF_DSYNC));
	T(pwritev2(fd, wv, 1, 0, RWF_SYNC));
	T(pwritev2(fd, wv, 1, 2, RWF_APPEND));
	T(lseek(fd, 0, SEEK_CUR));
	T(preadv2(fd, rv, 1, 0, 0x1000));
	T(pwritev2(fd, wv, 1, 0, 0x1000));
	T(preadv2(fd, rv, 1, -2, 0));
	dx_show_fstat(fd, "data");
	dx_show_file("data");

	dx_part("lseek");
	T(lseek(fd, 0, SEEK_END));
	T(lseek(fd, -3, SEEK_END));
	T(lseek(fd, -100, SEEK_END));
	T(lseek(fd, -1, SEEK_SET));
	T(lseek(fd, 1000, SEEK_SET));
	T(read(fd, buf, 10));
	T(lseek(fd, -2000, SEEK_CUR));
	T(lseek(fd, 0, 7));
	T(lseek(fd, LLONG_MAX, SEEK_SET));
	T(lseek(fd, 1, SEEK_CUR));
	int sp = T(open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644));
	T(write(sp, "a", 1));
	T(pwrite(sp, "b", 1, 3 * 4096 + 5));
	T(pwrite(sp, "c", 1, 6 * 4096));
	dx_show_fstat(sp, "sparse");
	T(lseek(sp, 0, SEEK_DATA));
	T(lseek(sp, 0, SEEK_HOLE));
	T(lseek(sp, 4096, SEEK_DATA));
	T(lseek(sp, 3 * 4096, SEEK_HOLE));
	T(lseek(sp, 4 * 4096, SEEK_DATA));
	T(lseek(sp, 6 * 4096, SEEK_HOLE));
	T(lseek(sp, 6 * 4096 + 1, SEEK_DATA));
	T(lseek(sp, 6 * 4096 + 1, SEEK_HOLE));
	T(lseek(sp, -1, SEEK_DATA));
	T(pread(sp, buf, 8, 4096));
	dx_show_bytes("hole", buf, 8);
	int dfd = T(open(".", O_RDONLY | O_DIRECTORY));
	T(lseek(dfd, 0, SEEK_SET));
	T(lseek(dfd, 0, SEEK_END));
	T(read(dfd, buf, 10));
	T(close(dfd));
	int p[2];
	T(pipe(p));
	T(lseek(p[0], 0, SEEK_CUR));
	T(pread(p[0], buf, 1, 0));
	T(pwrite(p[1], "x", 1, 0));
	T(close(p[0]));
	T(close(p[1]));

	dx_part("truncate");
	T(ftruncate(fd, 5));
	dx_show_file("data");
	T(lseek(fd, 0, SEEK_CUR));
	T(ftruncate(fd, 8192 + 3));
	dx_show_fstat(fd, "data");
	T(pread(fd, buf, 8, 5));
	dx_show_bytes("grown", buf, 8);
	T(truncate("data", 2));
	dx_show_file("data");
	T(truncate("data", -1));
	T(ftruncate(fd, -1));
	T(truncate(".", 0));
	T(truncate("missing", 0));
	T(truncate("data/", 0));
	int ro = T(open("data", O_RDONLY));
	T(ftruncate(ro, 0));
	T(close(ro));
	T(ftruncate(fd, 1LL << 40));
	dx_show_fstat(fd, "data at 1 TiB");
	T(pread(fd, buf, 4, (1LL << 40) - 2));
	T(lseek(fd, 0, SEEK_HOLE));
	T(ftruncate(fd, 2));
	dx_show_fstat(fd, "data");
	T(pwrite(fd, "x", 1, LLONG_MAX - 1));
	T(pwrite(fd, "x", 1, (1LL << 62)));
	dx_show_fstat(fd, "data");
	T(ftruncate(fd, 2));
	int tr = T(open("data", O_RDONLY | O_TRUNC));
	dx_show_fstat(tr, "after O_TRUNC|O_RDONLY");
	T(close(tr));

	dx_part("fallocate");
	int fa = T(open("falloc", O_RDWR | O_CREAT | O_TRUNC, 0644));
	T(fallocate(fa, 0, 0, 10000));
	dx_show_fstat(fa, "falloc");
	T(fallocate(fa, FALLOC_FL_KEEP_SIZE, 10000, 10000));
	dx_show_fstat(fa, "falloc");
	memset(buf, 'z', sizeof(buf));
	for (int off = 0; off < 10000; off += 200)
		if (pwrite(fa, buf, 200, off) != 200)
			dx_die("fill");
	T(fallocate(fa, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
	dx_show_fstat(fa, "punched a page");
	T(fallocate(fa, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 10));
	dx_show_fstat(fa, "punched 10 bytes");
	T(pread(fa, buf, 16, 96));
	dx_show_bytes("around the small hole", buf, 16);
	T(pread(fa, buf, 4, 4094));
	dx_show_bytes("around the page hole", buf, 4);
	T(lseek(fa, 0, SEEK_HOLE));
	T(lseek(fa, 4096, SEEK_DATA));
	T(fallocate(fa, FALLOC_FL_PUNCH_HOLE, 0, 10));
	T(fallocate(fa, FALLOC_FL_ZERO_RANGE, 0, 10));
	T(fallocate(fa, FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
	T(fallocate(fa, FALLOC_FL_INSERT_RANGE, 0, 4096));
	T(fallocate(fa, 0, -1, 10));
	T(fallocate(fa, 0, 0, 0));
	T(fallocate(fa, 0x100, 0, 10));
	T(fallocate(fa, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1LL << 40));
	dx_show_fstat(fa, "punched everything");
	ro = T(open("falloc", O_RDONLY));
	T(fallocate(ro, 0, 0, 10));
	T(fsync(ro));
	T(fdatasync(ro));
	T(close(ro));
	T(fsync(fa));
	T(fdatasync(fa));
	T(syncfs(fa));
	dfd = T(open(".", O_RDONLY | O_DIRECTORY));
	T(fsync(dfd));
	T(fallocate(dfd, 0, 0, 10));
	T(close(dfd));
	T(fsync(99));

	dx_part("a MiB round trip");
	size_t big = 1 << 20;
	unsigned char *w = malloc(big), *r = malloc(big);
	for (size_t i = 0; i < big; i++)
		w[i] = (unsigned char)(i * 7 + (i >> 9));
	int bf = T(open("big", O_RDWR | O_CREAT | O_TRUNC, 0600));
	long done = 0;
	for (int i = 0; i < 100 && done < (long)big; i++) {
		long k =
		    write(bf, w + done, big - (size_t)done > 100000 ? 100000 : big - (size_t)done);
		if (k <= 0)
			break;
		done += k;
	}
	dx_line("  wrote %ld", done);
	dx_show_fstat(bf, "big");
	T(lseek(bf, 0, SEEK_SET));
	done = 0;
	for (int i = 0; i < 100 && done < (long)big; i++) {
		long k = read(bf, r + done, 65536 + 13);
		if (k <= 0)
			break;
		done += k;
	}
	dx_line("  read %ld, checksum %s", done,
		checksum(w, big) == checksum(r, (size_t)done) ? "matches" : "differs");
	T(pread(bf, r, 10, big - 5));
	T(close(bf));
	free(w);
	free(r);
	T(close(fa));
	T(close(sp));
	T(close(fd));
	dx_show_dir(".");
	return 0;
}
