/*
 * File-system workloads for bench/run: the same program runs natively on a
 * tmpfs directory and under switchyard on a memfs mount, and prints one line
 * of timings, so the two can be compared call for call.
 *
 *   vfs_bench meta DIR N         create (open O_CREAT|O_WRONLY + close) N files,
 *                                stat each, unlink each: ns per op of each phase
 *   vfs_bench randread DIR N     N preads of 4 KiB at random 4 KiB-aligned offsets
 *                                of a 64 MiB file
 *   vfs_bench randwrite DIR N    the same with pwrite (over written blocks)
 *   vfs_bench seq DIR MIB        write a MIB MiB file in 1 MiB writes, then read it
 *   vfs_bench stat DIR N         N stat calls of one file's path
 *
 * DIR must not exist: the program makes it, works inside it and removes it
 * with everything it made, so every run starts from a fresh directory. Only
 * the work is timed (CLOCK_MONOTONIC), not the set-up (filling the file of
 * the random workloads, precomputing offsets) nor the clean-up.
 *
 * Output, one line on stdout: the workload's name, then key=value pairs
 * (times in ns per op, or seconds and GiB/s for seq).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define RAND_FILE_SIZE (64L << 20)
#define SEQ_CHUNK (1L << 20)
#define PATH_MAX_LEN 4096

static const char *program = "vfs_bench";

static void die(const char *what, const char *path)
{
	fprintf(stderr, "%s: %s%s%s: %s\n", program, what, path ? " " : "", path ? path : "",
		strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void path_join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX_LEN, "%s/%s", dir, name);
	if (n < 0 || n >= PATH_MAX_LEN) {
		errno = ENAMETOOLONG;
		die("path too long under", dir);
	}
}

static void make_fresh_dir(const char *dir)
{
	if (mkdir(dir, 0755) != 0)
		die("mkdir (the directory must not exist yet)", dir);
}

static void remove_dir(const char *dir)
{
	if (rmdir(dir) != 0)
		die("rmdir", dir);
}

/* Paths are made before the clock starts, so the timed loops do nothing but
 * the system calls. They are full paths, as a program would pass them: the
 * path walk is part of the cost being measured. */
#define META_PATH_STRIDE 256

static char *make_paths(const char *dir, long n)
{
	char *paths = malloc((size_t)n * META_PATH_STRIDE);
	if (!paths)
		die("malloc of the paths", NULL);
	for (long i = 0; i < n; i++) {
		int len =
		    snprintf(paths + i * META_PATH_STRIDE, META_PATH_STRIDE, "%s/f%07ld", dir, i);
		if (len < 0 || len >= META_PATH_STRIDE) {
			errno = ENAMETOOLONG;
			die("path too long under", dir);
		}
	}
	return paths;
}

static int work_meta(const char *dir, long n)
{
	const size_t stride = META_PATH_STRIDE;
	char *paths = make_paths(dir, n);
	make_fresh_dir(dir);

	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		int fd = open(paths + i * stride, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			die("open O_CREAT", paths + i * stride);
		if (close(fd) != 0)
			die("close", paths + i * stride);
	}
	double t1 = now_ns();
	struct stat st;
	for (long i = 0; i < n; i++)
		if (stat(paths + i * stride, &st) != 0 || st.st_size != 0)
			die("stat", paths + i * stride);
	double t2 = now_ns();
	for (long i = 0; i < n; i++)
		if (unlink(paths + i * stride) != 0)
			die("unlink", paths + i * stride);
	double t3 = now_ns();

	remove_dir(dir);
	free(paths);
	printf("meta n=%ld create_ns=%.1f stat_ns=%.1f unlink_ns=%.1f total_ms=%.2f\n", n,
	       (t1 - t0) / (double)n, (t2 - t1) / (double)n, (t3 - t2) / (double)n,
	       (t3 - t0) / 1e6);
	return 0;
}

/* xorshift64*: a fixed seed, so every configuration reads the same offsets. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void write_all(int fd, const char *buf, size_t len, const char *path)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write", path);
		buf += w;
		len -= (size_t)w;
	}
}

static int work_random(const char *dir, long n, int writing)
{
	char path[PATH_MAX_LEN];
	make_fresh_dir(dir);
	path_join(path, dir, "random.dat");
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("open", path);

	static char chunk[SEQ_CHUNK];
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)(i * 7 + 1);
	for (long done = 0; done < RAND_FILE_SIZE; done += SEQ_CHUNK)
		write_all(fd, chunk, SEQ_CHUNK, path);

	off_t *offsets = malloc((size_t)n * sizeof(*offsets));
	if (!offsets)
		die("malloc of the offsets", NULL);
	for (long i = 0; i < n; i++)
		offsets[i] = (off_t)(rng_next() % (RAND_FILE_SIZE / BLOCK)) * BLOCK;

	static char block[BLOCK];
	memset(block, 0x5a, sizeof(block));
	long sum = 0;
	double t0 = now_ns();
	if (writing) {
		for (long i = 0; i < n; i++)
			if (pwrite(fd, block, BLOCK, offsets[i]) != BLOCK)
				die("pwrite", path);
	} else {
		for (long i = 0; i < n; i++) {
			if (pread(fd, block, BLOCK, offsets[i]) != BLOCK)
				die("pread", path);
			sum += block[i & (BLOCK - 1)];
		}
	}
	double t1 = now_ns();

	close(fd);
	if (unlink(path) != 0)
		die("unlink", path);
	remove_dir(dir);
	free(offsets);
	double ns = (t1 - t0) / (double)n;
	printf("%s n=%ld file_mib=%ld ns_per_op=%.1f mib_s=%.1f check=%ld\n",
	       writing ? "randwrite" : "randread", n, RAND_FILE_SIZE >> 20, ns,
	       (double)BLOCK / (1 << 20) / (ns / 1e9), sum & 1);
	return 0;
}

static int work_seq(const char *dir, long mib)
{
	char path[PATH_MAX_LEN];
	make_fresh_dir(dir);
	path_join(path, dir, "seq.dat");
	static char chunk[SEQ_CHUNK];
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)(i * 13 + 3);

	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("open", path);
	double t0 = now_ns();
	for (long i = 0; i < mib; i++)
		write_all(fd, chunk, SEQ_CHUNK, path);
	double t1 = now_ns();
	if (close(fd) != 0)
		die("close", path);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open", path);
	long got = 0;
	double t2 = now_ns();
	for (;;) {
		ssize_t r = read(fd, chunk, SEQ_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read", path);
		if (r == 0)
			break;
		got += r;
	}
	double t3 = now_ns();
	close(fd);
	if (got != mib * SEQ_CHUNK) {
		fprintf(stderr, "%s: read %ld bytes back from %s, wrote %ld\n", program, got, path,
			mib * SEQ_CHUNK);
		return 1;
	}
	if (unlink(path) != 0)
		die("unlink", path);
	remove_dir(dir);
	double gib = (double)mib / 1024.0;
	printf("seq mib=%ld write_s=%.4f write_gib_s=%.3f read_s=%.4f read_gib_s=%.3f\n", mib,
	       (t1 - t0) / 1e9, gib / ((t1 - t0) / 1e9), (t3 - t2) / 1e9, gib / ((t3 - t2) / 1e9));
	return 0;
}

static int work_stat(const char *dir, long n)
{
	char path[PATH_MAX_LEN];
	make_fresh_dir(dir);
	path_join(path, dir, "stat-target");
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		die("open", path);
	close(fd);

	struct stat st;
	long bad = 0;
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		bad += stat(path, &st) != 0;
	double t1 = now_ns();
	if (bad) {
		errno = ENOENT;
		die("stat", path);
	}
	if (unlink(path) != 0)
		die("unlink", path);
	remove_dir(dir);
	printf("stat n=%ld ns_per_op=%.1f\n", n, (t1 - t0) / (double)n);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: vfs_bench meta|randread|randwrite|stat DIR N\n"
		"       vfs_bench seq DIR MIB\n"
		"  DIR must not exist; the program makes it, works in it, removes it and\n"
		"  prints one line of timings (see the comment at the top of vfs_bench.c)\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return usage();
	char *end;
	errno = 0;
	long n = strtol(argv[3], &end, 10);
	if (errno || *end || n <= 0 || n > 100000000)
		return usage();
	const char *work = argv[1], *dir = argv[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(work, "meta") == 0)
		return work_meta(dir, n);
	if (strcmp(work, "randread") == 0)
		return work_random(dir, n, 0);
	if (strcmp(work, "randwrite") == 0)
		return work_random(dir, n, 1);
	if (strcmp(work, "seq") == 0)
		return work_seq(dir, n);
	if (strcmp(work, "stat") == 0)
		return work_stat(dir, n);
	return usage();
}
