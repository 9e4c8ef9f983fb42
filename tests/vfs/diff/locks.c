/* Scenario locks: flock between two opens, across dup and fork, and after
 * the holder is killed; fcntl record locks (F_SETLK/F_SETLKW/F_GETLK) between
 * parent and child, released by closing any fd of the file; open file
 * description locks (F_OFD_*). Children and parent take turns through pipes. */
#include "diff.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static int to_child[2], to_parent[2];

static void signal_peer(int fd)
{
	if (write(fd, "x", 1) != 1)
		dx_die("signal_peer");
}

/* Bounded: a peer that failed early must not hang the scenario. */
static void wait_peer(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char c;
	if (poll(&pfd, 1, 5000) != 1 || read(fd, &c, 1) != 1) {
		dx_line("  the other process did not answer");
		exit(98);
	}
}

static void on_alarm(int sig)
{
	(void)sig;
}

static struct flock range(short type, off_t start, off_t len)
{
	struct flock fl;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	return fl;
}

static const char *lock_type(short t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

/* F_GETLK over [start, start+len) and print what blocks it; who: the pid
 * expected to hold it (printed as a relation, not a number). */
static void getlk(int fd, int cmd, short type, off_t start, off_t len, pid_t who)
{
	struct flock fl = range(type, start, len);
	errno = 0;
	int r = fcntl(fd, cmd, &fl);
	if (r < 0) {
		dx_line("  getlk %s [%lld,+%lld) = -1 %s", lock_type(type), (long long)start,
			(long long)len, dx_errname(errno));
		return;
	}
	dx_line("  getlk %s [%lld,+%lld) = %s [%lld,+%lld) pid=%s", lock_type(type),
		(long long)start, (long long)len, lock_type(fl.l_type), (long long)fl.l_start,
		(long long)fl.l_len,
		fl.l_type == F_UNLCK ? "n/a"
		: fl.l_pid == who    ? "expected"
		: fl.l_pid == -1     ? "-1"
				     : "other");
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = range(type, start, len);
	char label[128];
	snprintf(label, sizeof(label), "setlk(%s, %s, [%lld,+%lld))",
		 cmd == F_SETLK	      ? "F_SETLK"
		 : cmd == F_SETLKW    ? "F_SETLKW"
		 : cmd == F_OFD_SETLK ? "F_OFD_SETLK"
				      : "?",
		 lock_type(type), (long long)start, (long long)len);
	return (int)TL(label, fcntl(fd, cmd, &fl));
}

int main(int argc, char **argv)
{
	dx_begin(argc, argv);
	pid_t pid, me = getpid();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked F_SETLKW returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	if (pipe(to_child) < 0 || pipe(to_parent) < 0)
		dx_die("pipe");
	dx_make_file("lockme", "0123456789abcdefghij");

	dx_part("flock between two opens");
	int a = T(open("lockme", O_RDWR));
	int b = T(open("lockme", O_RDONLY));
	T(flock(a, LOCK_EX | LOCK_NB));
	T(flock(b, LOCK_EX | LOCK_NB));
	T(flock(b, LOCK_SH | LOCK_NB));
	int ad = T(dup(a));
	T(flock(ad, LOCK_UN));
	T(flock(b, LOCK_SH | LOCK_NB));
	T(flock(a, LOCK_SH | LOCK_NB));
	T(flock(a, LOCK_EX | LOCK_NB));
	T(flock(b, LOCK_UN));
	T(flock(a, LOCK_EX | LOCK_NB));
	T(flock(a, 0));
	T(flock(a, LOCK_SH | LOCK_EX));
	T(flock(99, LOCK_SH));
	T(close(ad));
	T(flock(b, LOCK_SH | LOCK_NB));
	T(close(a));
	T(flock(b, LOCK_EX | LOCK_NB));
	T(flock(b, LOCK_UN));

	dx_part("flock across fork: the child holds the same description's lock");
	a = T(open("lockme", O_RDWR));
	T(flock(a, LOCK_EX | LOCK_NB));
	pid = fork();
	if (pid == 0) {
		T(flock(a, LOCK_EX | LOCK_NB));
		int c = (int)T(open("lockme", O_RDONLY));
		T(flock(c, LOCK_SH | LOCK_NB));
		_exit(0);
	}
	dx_wait("child", pid);
	T(flock(b, LOCK_SH | LOCK_NB));
	T(close(a));
	T(flock(b, LOCK_SH | LOCK_NB));
	T(flock(b, LOCK_UN));

	dx_part("flock held by a killed process is released");
	pid = fork();
	if (pid == 0) {
		int c = open("lockme", O_RDWR);
		if (c < 0 || flock(c, LOCK_EX) < 0)
			dx_line("  holder: flock = -1 %s", dx_errname(errno));
		signal_peer(to_parent[1]);
		for (int i = 0; i < 600; i++)
			sleep(1);
		_exit(0);
	}
	wait_peer(to_parent[0]);
	T(flock(b, LOCK_SH | LOCK_NB));
	kill(pid, SIGKILL);
	dx_wait("holder", pid);
	T(flock(b, LOCK_SH | LOCK_NB));
	T(flock(b, LOCK_UN));

	dx_part("record locks between parent and child");
	a = T(open("lockme", O_RDWR));
	setlk(a, F_SETLK, F_WRLCK, 0, 10);
	setlk(a, F_SETLK, F_RDLCK, 12, 4);
	getlk(a, F_GETLK, F_WRLCK, 0, 100, me);
	pid = fork();
	if (pid == 0) {
		int c = open("lockme", O_RDWR);
		getlk(c, F_GETLK, F_WRLCK, 5, 10, me);
		getlk(c, F_GETLK, F_RDLCK, 12, 1, me);
		getlk(c, F_GETLK, F_WRLCK, 12, 1, me);
		getlk(c, F_GETLK, F_WRLCK, 20, 0, me);
		setlk(c, F_SETLK, F_WRLCK, 5, 1);
		setlk(c, F_SETLK, F_RDLCK, 13, 1);
		setlk(c, F_SETLK, F_WRLCK, 20, 5);
		signal_peer(to_parent[1]);
		wait_peer(to_child[0]);
		/* the parent closed another fd of the file: its locks are gone */
		setlk(c, F_SETLK, F_WRLCK, 0, 10);
		signal_peer(to_parent[1]);
		wait_peer(to_child[0]);
		_exit(0);
	}
	wait_peer(to_parent[0]);
	getlk(a, F_GETLK, F_WRLCK, 0, 0, pid);
	getlk(a, F_GETLK, F_RDLCK, 20, 1, pid);
	setlk(a, F_SETLK, F_WRLCK, 22, 1);
	int other = T(open("lockme", O_RDONLY));
	T(close(other));
	signal_peer(to_child[1]);
	wait_peer(to_parent[0]);
	getlk(a, F_GETLK, F_RDLCK, 0, 1, pid);
	/* blocks until the child exits and its locks go */
	signal_peer(to_child[1]);
	alarm(10); /* bounded: EINTR instead of a hang */
	setlk(a, F_SETLKW, F_WRLCK, 0, 1);
	alarm(0);
	dx_wait("child", pid);
	getlk(a, F_GETLK, F_WRLCK, 0, 0, pid);

	dx_part("record lock errors");
	int ro = T(open("lockme", O_RDONLY));
	int wo = T(open("lockme", O_WRONLY));
	setlk(ro, F_SETLK, F_WRLCK, 0, 1);
	setlk(wo, F_SETLK, F_RDLCK, 0, 1);
	setlk(ro, F_SETLK, F_RDLCK, 0, 1);
	setlk(ro, F_SETLK, 77, 0, 1);
	setlk(ro, F_SETLK, F_RDLCK, -5, 1);
	T(fcntl(ro, F_GETLK, (struct flock *)0));
	T(close(ro));
	T(close(wo));

	dx_part("open file description locks");
	int o1 = T(open("lockme", O_RDWR));
	int o2 = T(open("lockme", O_RDWR));
	setlk(o1, F_OFD_SETLK, F_WRLCK, 0, 4);
	setlk(o2, F_OFD_SETLK, F_WRLCK, 2, 4);
	getlk(o2, F_OFD_GETLK, F_RDLCK, 0, 10, -1);
	int o3 = T(dup(o1));
	T(close(o3));
	getlk(o2, F_OFD_GETLK, F_RDLCK, 0, 10, -1);
	T(close(o1));
	setlk(o2, F_OFD_SETLK, F_WRLCK, 2, 4);
	T(close(o2));
	T(close(a));
	T(close(b));
	return 0;
}
