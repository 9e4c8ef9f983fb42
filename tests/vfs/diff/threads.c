/* Scenario threads: threads share the fd table and the cwd unless they
 * unshare them: a thread's open, close and chdir are the process's; after
 * unshare(CLONE_FS) a thread's chdir is its own, after unshare(CLONE_FILES)
 * its closes are its own. Concurrent O_APPEND writers and pwrite/pread on
 * one description keep every byte. Threads run one at a time (joined before
 * the main thread prints) except in the concurrent part, whose result is
 * printed as counts. */
#include "diff.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int shared_fd;

static void *open_and_close(void *arg)
{
	(void)arg;
	T(open("from-thread", O_RDWR | O_CREAT, 0644));
	T(close(shared_fd));
	dx_show_read("thread reads main's second fd", shared_fd + 1, 8);
	return NULL;
}

static void *change_dir(void *arg)
{
	(void)arg;
	T(chdir("sub"));
	return NULL;
}

static void *own_fs(void *arg)
{
	(void)arg;
	T(unshare(CLONE_FS));
	T(chdir("../sub2"));
	dx_show_cwd();
	dx_make_file("made-in-own-cwd", "x");
	return NULL;
}

static void *own_files(void *arg)
{
	int fd = *(int *)arg;
	T(unshare(CLONE_FILES));
	T(close(fd));
	dx_show_read("own table, closed", fd, 4);
	int n = (int)T(open("sub/own-table", O_WRONLY | O_CREAT, 0644));
	T(write(n, "own", 3));
	T(close(n));
	return NULL;
}

#define WRITERS 4
#define LINES 200

static int append_fd;

static void *appender(void *arg)
{
	char line[32];
	int id = (int)(long)arg;
	snprintf(line, sizeof(line), "writer %d line\n", id);
	for (int i = 0; i < LINES; i++)
		if (write(append_fd, line, strlen(line)) != (ssize_t)strlen(line))
			dx_line("  writer %d: short write", id);
	return NULL;
}

static int region_fd;

static void *region_writer(void *arg)
{
	int id = (int)(long)arg;
	char block[512];
	memset(block, 'A' + id, sizeof(block));
	for (int i = 0; i < 50; i++)
		if (pwrite(region_fd, block, sizeof(block), (off_t)(id * 50 + i) * 512) != 512)
			dx_line("  region %d: short pwrite", id);
	return NULL;
}

static void run_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, arg) != 0)
		dx_die("pthread_create");
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	T(mkdir("sub", 0755));
	T(mkdir("sub2", 0755));
	dx_make_file("f", "file f contents");

	dx_part("one fd table");
	shared_fd = T(open("f", O_RDONLY));
	T(open("f", O_RDONLY));
	run_thread(open_and_close, NULL);
	T(fcntl(shared_fd, F_GETFD));
	dx_show_read("main reads the thread's fd", 5, 8);
	T(close(5));
	T(close(shared_fd + 1));

	dx_part("one cwd");
	run_thread(change_dir, NULL);
	dx_show_cwd();
	T(access("../f", F_OK));
	T(chdir(".."));

	dx_part("unshare(CLONE_FS)");
	T(chdir("sub"));
	run_thread(own_fs, NULL);
	dx_show_cwd();
	T(access("made-in-own-cwd", F_OK));
	T(access("../sub2/made-in-own-cwd", F_OK));
	T(chdir(".."));

	dx_part("unshare(CLONE_FILES)");
	int fd = T(open("f", O_RDONLY));
	run_thread(own_files, &fd);
	dx_show_read("main's fd after the thread closed its copy", fd, 4);
	T(close(fd));
	dx_show_file("sub/own-table");

	dx_part("concurrent appenders");
	append_fd = T(open("appended", O_WRONLY | O_CREAT | O_APPEND, 0644));
	pthread_t ts[WRITERS];
	for (long i = 0; i < WRITERS; i++)
		pthread_create(&ts[i], NULL, appender, (void *)i);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(ts[i], NULL);
	T(lseek(append_fd, 0, SEEK_CUR));
	T(close(append_fd));
	int counts[WRITERS] = {0}, bad = 0;
	FILE *in = fopen("appended", "r");
	char line[64];
	while (in && fgets(line, sizeof(line), in)) {
		int id;
		if (sscanf(line, "writer %d line", &id) == 1 && id >= 0 && id < WRITERS)
			counts[id]++;
		else
			bad++;
	}
	if (in)
		fclose(in);
	dx_line("  lines per writer: %d %d %d %d, torn: %d", counts[0], counts[1], counts[2],
		counts[3], bad);
	dx_show_stat("appended");

	dx_part("concurrent pwrite to distinct regions");
	region_fd = T(open("regions", O_RDWR | O_CREAT | O_TRUNC, 0644));
	for (long i = 0; i < WRITERS; i++)
		pthread_create(&ts[i], NULL, region_writer, (void *)i);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(ts[i], NULL);
	dx_show_fstat(region_fd, "regions");
	int wrong = 0;
	char block[512];
	for (int r = 0; r < WRITERS * 50; r++) {
		if (pread(region_fd, block, sizeof(block), (off_t)r * 512) != 512) {
			wrong++;
			continue;
		}
		for (int k = 0; k < 512; k++)
			if (block[k] != 'A' + r / 50) {
				wrong++;
				break;
			}
	}
	dx_line("  blocks with wrong bytes: %d", wrong);
	T(close(region_fd));
	dx_show_dir(".");
	dx_show_dir("sub");
	dx_show_dir("sub2");
	return 0;
}
