/*
 * Readiness and fd numbers across kinds: lwIP sockets (a listener, a
 * connection to it, its accepted end), a memfs file, a pipe, an eventfd, a
 * timerfd, an AF_UNIX socketpair and a kernel TCP connection on loopback,
 * in one epoll set, one poll array and one select set; edge-triggered,
 * one-shot, RDHUP, nested epoll, a waiting thread, timeouts, EINTR, dup2
 * between kinds, fork, exec and close_range. Prints a transcript with fd
 * names, never numbers; the harness runs it natively (LWIP_ADDR = 127.0.0.1,
 * a tmpfs directory) and under switchyard (lwIP's address, memfs), and
 * compares.
 *   fdmix LWIP_ADDR PORT DIR KERNEL_FILE    fdmix --report FD...
 * (KERNEL_FILE: a path on the kernel's side, for sendfile from a kernel file)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { L, C, A, F, PR, PW, E, T, U0, U1, KL, KC, KA, NFD };
static const char *names[NFD] = {"lwip-listener", "lwip-client", "lwip-accepted", "file",
				  "pipe-r",	   "pipe-w",	  "eventfd",	   "timerfd",
				  "unix-0",	   "unix-1",	  "kernel-listener",
				  "kernel-client", "kernel-accepted"};
static int fd[NFD];

static void say(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int tcp_pair(const char *addr, int port, int *l, int *c, int *a)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, addr, &sin.sin_addr);
	int one = 1;
	*l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(*l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(*l, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(*l, 4) < 0)
		return -1;
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(*c, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -1;
	*a = accept(*l, NULL, NULL);
	return *a < 0 ? -1 : 0;
}

/* One epoll_wait: the names of the ready fds, sorted as the set's order. */
static void show_epoll(const char *what, int ep, int timeout)
{
	struct epoll_event ev[16];
	int n = epoll_wait(ep, ev, 16, timeout);
	printf("%s: %d", what, n);
	for (int k = 0; k < NFD; k++)
		for (int i = 0; i < n; i++)
			if ((int)ev[i].data.u32 == k)
				printf(" %s(%s%s%s%s%s)", names[k], ev[i].events & EPOLLIN ? "in" : "",
				       ev[i].events & EPOLLOUT ? ",out" : "",
				       ev[i].events & EPOLLRDHUP ? ",rdhup" : "",
				       ev[i].events & EPOLLHUP ? ",hup" : "",
				       ev[i].events & EPOLLERR ? ",err" : "");
	printf("\n");
	fflush(stdout);
}

static void drain_all(void)
{
	char buf[4096];
	uint64_t v;
	fcntl(fd[A], F_SETFL, O_NONBLOCK);
	while (read(fd[A], buf, sizeof(buf)) > 0)
		;
	fcntl(fd[A], F_SETFL, 0);
	fcntl(fd[PR], F_SETFL, O_NONBLOCK);
	while (read(fd[PR], buf, sizeof(buf)) > 0)
		;
	if (read(fd[E], &v, 8) < 0) {
	}
	if (read(fd[T], &v, 8) < 0) {
	}
	fcntl(fd[U1], F_SETFL, O_NONBLOCK);
	while (read(fd[U1], buf, sizeof(buf)) > 0)
		;
	fcntl(fd[KA], F_SETFL, O_NONBLOCK);
	while (read(fd[KA], buf, sizeof(buf)) > 0)
		;
}

static void poke(int which)
{
	uint64_t one = 1;
	struct itimerspec its = {{0, 0}, {0, 20 * 1000 * 1000}};
	switch (which) {
	case A:
		say("poke lwip", write(fd[C], "x", 1));
		break;
	case PR:
		say("poke pipe", write(fd[PW], "x", 1));
		break;
	case E:
		say("poke eventfd", write(fd[E], &one, 8));
		break;
	case T:
		say("poke timerfd", timerfd_settime(fd[T], 0, &its, NULL));
		usleep(50000);
		break;
	case U1:
		say("poke unix", write(fd[U0], "x", 1));
		break;
	case KA:
		say("poke kernel tcp", write(fd[KC], "x", 1));
		break;
	case L: {
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);
		getsockname(fd[L], (struct sockaddr *)&sin, &len);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		say("poke listener", connect(c, (struct sockaddr *)&sin, len));
		usleep(50000);
		break;
	}
	}
	usleep(20000);
}

static void *waiter(void *p)
{
	int ep = *(int *)p;
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, 5000);
	printf("thread woke: %d %s\n", n, n == 1 ? names[ev.data.u32] : "-");
	fflush(stdout);
	return NULL;
}

/* Reads n bytes from fd and sums them, in a thread (the sender blocks). */
struct sink {
	int fd;
	size_t n;
	unsigned long sum;
	size_t got;
};

static void *sink_main(void *p)
{
	struct sink *k = p;
	char buf[65536];
	while (k->got < k->n) {
		ssize_t r = read(k->fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			k->sum = k->sum * 31 + (unsigned char)buf[i];
		k->got += (size_t)r;
	}
	return NULL;
}

/* sendfile from a file into the lwIP socket: with an offset, and from the
 * file's own position (which then moves). */
static void sendfile_from(const char *what, int file)
{
	enum { SIZE = 300000 };
	char *data = malloc(SIZE);
	for (int i = 0; i < SIZE; i++)
		data[i] = (char)(i * 13 + (i >> 10));
	if (pwrite(file, data, SIZE, 0) != SIZE)
		printf("%s: pwrite failed\n", what);
	free(data);
	struct sink k = {fd[C], SIZE - 1000 + 200000, 0, 0};
	pthread_t th;
	pthread_create(&th, NULL, sink_main, &k);
	off_t off = 1000;
	ssize_t r = sendfile(fd[A], file, &off, SIZE);
	printf("%s sendfile offset: %zd off now %ld\n", what, r, (long)off);
	lseek(file, 100000, SEEK_SET);
	r = sendfile(fd[A], file, NULL, 200000);
	printf("%s sendfile position: %zd pos now %ld\n", what, r, (long)lseek(file, 0, SEEK_CUR));
	pthread_join(th, NULL);
	printf("%s received %zu sum %lx\n", what, k.got, k.sum);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int report(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		printf("exec'd: %s %s\n", argv[i],
		       fcntl(atoi(argv[i]), F_GETFD) >= 0 ? "open" : strerrorname_np(errno));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--report") == 0)
		return report(argc, argv);
	if (argc != 5) {
		fprintf(stderr, "usage: fdmix LWIP_ADDR PORT DIR KERNEL_FILE\n");
		return 2;
	}
	alarm(60);
	setvbuf(stdout, NULL, _IOLBF, 0);
	int port = atoi(argv[2]);
	char path[4096];
	snprintf(path, sizeof(path), "%s/fdmix.data", argv[3]);
	say("lwip pair", tcp_pair(argv[1], port, &fd[L], &fd[C], &fd[A]));
	say("kernel pair", tcp_pair("127.0.0.1", port + 1, &fd[KL], &fd[KC], &fd[KA]));
	fd[F] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	say("file", fd[F] >= 0 ? 0 : -1);
	int p[2], u[2];
	say("pipe", pipe(p));
	fd[PR] = p[0], fd[PW] = p[1];
	fd[E] = eventfd(0, EFD_NONBLOCK);
	fd[T] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	say("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, u));
	fd[U0] = u[0], fd[U1] = u[1];
	/* numbers are the kernel's: the lowest free ones */
	printf("fds:");
	for (int i = 0; i < NFD; i++)
		printf(" %s=%d", names[i], fd[i]);
	printf("\n");

	/* level-triggered, every read side in one set (a regular file cannot
	 * be in one: EPERM, on memfs as on tmpfs) */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	const int readers[] = {F, L, A, PR, E, T, U1, KA};
	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
		struct epoll_event ev = {EPOLLIN | EPOLLRDHUP, {.u32 = (uint32_t)readers[i]}};
		say(names[readers[i]], epoll_ctl(ep, EPOLL_CTL_ADD, fd[readers[i]], &ev));
	}
	show_epoll("nothing ready", ep, 100);
	const int pokes[] = {A, PR, E, T, U1, KA, L};
	for (size_t i = 0; i < sizeof(pokes) / sizeof(pokes[0]); i++) {
		poke(pokes[i]);
		show_epoll("epoll", ep, 1000);
		show_epoll("epoll again (level)", ep, 0);
		if (pokes[i] == L) {
			int extra = accept(fd[L], NULL, NULL);
			close(extra);
		} else {
			drain_all();
		}
	}
	/* poll and select over the same */
	poke(A);
	poke(E);
	struct pollfd pf[8];
	for (int i = 0; i < 8; i++)
		pf[i] = (struct pollfd){fd[readers[i]], POLLIN, 0};
	int n = poll(pf, 8, 1000);
	printf("poll: %d", n);
	for (int i = 0; i < 8; i++)
		if (pf[i].revents)
			printf(" %s(%#x)", names[readers[i]], pf[i].revents);
	printf("\n");
	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	int maxfd = 0;
	for (int i = 0; i < 8; i++) {
		FD_SET(fd[readers[i]], &rs);
		maxfd = fd[readers[i]] > maxfd ? fd[readers[i]] : maxfd;
	}
	FD_SET(fd[C], &ws);
	FD_SET(fd[L], &ws);
	struct timeval tv = {1, 0};
	n = select(maxfd + 1, &rs, &ws, NULL, &tv);
	printf("select: %d", n);
	for (int i = 0; i < NFD; i++)
		if (FD_ISSET(fd[i], &rs) || FD_ISSET(fd[i], &ws))
			printf(" %s(%s%s)", names[i], FD_ISSET(fd[i], &rs) ? "r" : "",
			       FD_ISSET(fd[i], &ws) ? "w" : "");
	printf("\n");
	drain_all();

	/* edge-triggered and one-shot on the lwIP socket */
	int ep2 = epoll_create1(0);
	struct epoll_event ev = {EPOLLIN | EPOLLET, {.u32 = A}};
	epoll_ctl(ep2, EPOLL_CTL_ADD, fd[A], &ev);
	poke(A);
	show_epoll("ET first", ep2, 1000);
	show_epoll("ET nothing new", ep2, 50);
	poke(A);
	show_epoll("ET new data", ep2, 1000);
	drain_all();
	ev.events = EPOLLIN | EPOLLONESHOT;
	say("oneshot mod", epoll_ctl(ep2, EPOLL_CTL_MOD, fd[A], &ev));
	poke(A);
	show_epoll("oneshot", ep2, 1000);
	show_epoll("oneshot disarmed", ep2, 50);
	say("oneshot rearm", epoll_ctl(ep2, EPOLL_CTL_MOD, fd[A], &ev));
	show_epoll("oneshot rearmed", ep2, 1000);
	drain_all();
	ev.events = EPOLLIN | EPOLLRDHUP;
	epoll_ctl(ep2, EPOLL_CTL_MOD, fd[A], &ev);

	/* sendfile into the lwIP socket, from the mount's file and a kernel one */
	sendfile_from("file", fd[F]);
	char kpath[4200];
	snprintf(kpath, sizeof(kpath), "%s.kernel", argv[4]);
	int kf = open(kpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	sendfile_from("kernel file", kf);
	close(kf);
	unlink(kpath);

	/* nested: ep2 inside ep3, and ep3 in a poll */
	int ep3 = epoll_create1(0);
	struct epoll_event inner = {EPOLLIN, {.u32 = 99}};
	say("nest", epoll_ctl(ep3, EPOLL_CTL_ADD, ep2, &inner));
	struct pollfd np = {ep3, POLLIN, 0};
	printf("nested idle: %d\n", poll(&np, 1, 50));
	poke(A);
	n = poll(&np, 1, 1000);
	printf("nested ready: %d revents %#x\n", n, np.revents);
	drain_all();

	/* a thread waits on the set; data comes while it waits */
	pthread_t th;
	pthread_create(&th, NULL, waiter, &ep2);
	usleep(100000);
	poke(A);
	pthread_join(th, NULL);
	drain_all();

	/* exact timeout; EINTR from a handler without SA_RESTART */
	double t0 = now();
	struct epoll_event dummy;
	n = epoll_wait(ep2, &dummy, 1, 150);
	printf("timeout: %d waited>=150ms %d\n", n, now() - t0 >= 0.149);
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	say("epoll_wait interrupted", epoll_wait(ep2, &dummy, 1, 2000));
	setitimer(ITIMER_REAL, &it, NULL);
	char b[16];
	say("lwip recv interrupted", recv(fd[A], b, sizeof(b), 0));
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	fcntl(fd[A], F_SETFL, 0);
	struct timeval rcv = {0, 300000};
	setsockopt(fd[A], SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof(rcv));
	t0 = now();
	say("lwip recv with SO_RCVTIMEO (handler with SA_RESTART)", recv(fd[A], b, sizeof(b), 0));
	alarm(60);

	/* peer half-close: RDHUP */
	say("client shutdown", shutdown(fd[C], SHUT_WR));
	show_epoll("after peer shutdown", ep2, 1000);

	/* dup2 between kinds: the lwIP socket onto the pipe's read number */
	int saved_pr = fd[PR];
	say("dup2 lwip onto pipe-r", dup2(fd[A], fd[PR]));
	say("write on lwip via the new number", write(fd[PR], "ping", 4));
	char r4[5] = "";
	say("read at the client", read(fd[C], r4, 4));
	printf("client got '%s'\n", r4);
	say("close the lwip original", close(fd[A]));
	say("write via the copy", write(fd[PR], "pong", 4));
	say("read at the client", read(fd[C], r4, 4));
	printf("client got '%s'\n", r4);
	int np2[2];
	say("new pipe", pipe(np2));
	say("dup2 pipe onto the lwip copy", dup2(np2[0], saved_pr));
	say("pipe write", write(np2[1], "pp", 2));
	say("read via old number", read(saved_pr, r4, 2));
	fd[A] = -1;

	/* fork: the child closes its lwIP sockets and exits; the parent goes on */
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[L]);
		close(fd[C]);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));
	poke(L);
	int acc = accept(fd[L], NULL, NULL);
	printf("parent accepts after fork: %d\n", acc >= 0);
	close(acc);

	/* exec: kernel fds and the file go on (the lwIP ones: see LIMITS) */
	pid = fork();
	if (pid == 0) {
		char a1[16], a2[16], a3[16];
		snprintf(a1, sizeof(a1), "%d", fd[F]);
		snprintf(a2, sizeof(a2), "%d", fd[E]);
		snprintf(a3, sizeof(a3), "%d", fd[U0]);
		execl("/proc/self/exe", "fdmix", "--report", a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);

	/* close_range over everything */
	say("close_range", syscall(SYS_close_range, 3, ~0u, 0));
	int open_left = 0;
	for (int i = 0; i < NFD; i++)
		open_left += fd[i] >= 0 && fcntl(fd[i], F_GETFD) >= 0;
	printf("open after close_range: %d\n", open_left);
	return 0;
}
