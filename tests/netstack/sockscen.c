/*
 * Socket semantics, one scenario in two roles (server, client) that talk
 * in lock-step over the connection itself. Each step prints its result
 * class and errno name, never an address or a port, so the transcript of a
 * role is the same over kernel loopback and over lwIP: the harness
 * (run_scenario.sh) compares them.
 *   sockscen server|client inet|inet6 ADDRESS PORT
 * The server binds ADDRESS:PORT (TCP and UDP); PORT+1 is never listened
 * on. The client connects to ADDRESS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int family;
static struct sockaddr_storage peer;
static socklen_t peerlen;
static volatile sig_atomic_t sigpipes;

static void say(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
	fflush(stdout);
}

static void set_addr(const char *text, int port)
{
	memset(&peer, 0, sizeof(peer));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&peer;
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, text, &s->sin_addr);
		peerlen = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&peer;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, text, &s->sin6_addr);
		peerlen = sizeof(*s);
	}
}

static int port_of(const struct sockaddr_storage *ss)
{
	return ntohs(family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
				       : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void names(const char *who, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int r = getsockname(fd, (struct sockaddr *)&ss, &len);
	printf("%s getsockname: %d family-ok %d port-set %d len-ok %d\n", who, r,
	       ss.ss_family == family, port_of(&ss) != 0,
	       len == (family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)));
	len = sizeof(ss);
	r = getpeername(fd, (struct sockaddr *)&ss, &len);
	if (r < 0)
		say("getpeername", r);
	else
		printf("%s getpeername: 0 family-ok %d\n", who, ss.ss_family == family);
}

static int getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, level, name, &v, &l) < 0)
		return -1000 - errno;
	return v;
}

static void options(int fd)
{
	int one = 1, idle = 30;
	say("set TCP_NODELAY", setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	printf("TCP_NODELAY %d\n", getint(fd, IPPROTO_TCP, TCP_NODELAY) != 0);
	say("set SO_KEEPALIVE", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	printf("SO_KEEPALIVE %d\n", getint(fd, SOL_SOCKET, SO_KEEPALIVE) != 0);
	say("set TCP_KEEPIDLE", setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)));
	printf("TCP_KEEPIDLE %d\n", getint(fd, IPPROTO_TCP, TCP_KEEPIDLE));
	int bad = 0;
	say("set TCP_KEEPIDLE 0", setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &bad, sizeof(bad)));
	int rcv = 65536;
	say("set SO_RCVBUF", setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)));
	printf("SO_RCVBUF %d\n", getint(fd, SOL_SOCKET, SO_RCVBUF));
	printf("SO_SNDBUF>0 %d\n", getint(fd, SOL_SOCKET, SO_SNDBUF) > 0);
	printf("SO_TYPE %d SO_PROTOCOL %d SO_DOMAIN-ok %d SO_ERROR %d\n",
	       getint(fd, SOL_SOCKET, SO_TYPE), getint(fd, SOL_SOCKET, SO_PROTOCOL),
	       getint(fd, SOL_SOCKET, SO_DOMAIN) == family, getint(fd, SOL_SOCKET, SO_ERROR));
	struct linger lg = {1, 5}, back = {0, 0};
	socklen_t l = sizeof(back);
	say("set SO_LINGER", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	getsockopt(fd, SOL_SOCKET, SO_LINGER, &back, &l);
	printf("SO_LINGER %d %d len %u\n", back.l_onoff, back.l_linger, l);
	say("set SO_LINGER short", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, 4));
	int junk = 1;
	say("set unknown option", setsockopt(fd, SOL_SOCKET, 9999, &junk, sizeof(junk)));
	char small[2];
	l = sizeof(small);
	say("get TCP_NODELAY short", getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, small, &l));
	printf("short len %u\n", l);
}

static long readn(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return r < 0 ? -1 : (long)got;
		got += (size_t)r;
	}
	return (long)got;
}

static void expect(int fd, const char *what)
{
	char buf[64] = "";
	long r = readn(fd, buf, strlen(what));
	printf("got %ld '%.*s'\n", r, r > 0 ? (int)r : 0, buf);
}

#define BULK (4u << 20)

static void server(void)
{
	int s = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	printf("socket nonblock %d cloexec %d\n", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0,
	       (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);
	int one = 1;
	say("set SO_REUSEADDR", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	printf("SO_REUSEADDR %d\n", getint(s, SOL_SOCKET, SO_REUSEADDR));
	if (family == AF_INET6)
		printf("IPV6_V6ONLY %d\n", getint(s, IPPROTO_IPV6, IPV6_V6ONLY));
	say("bind", bind(s, (struct sockaddr *)&peer, peerlen));
	say("bind again", bind(s, (struct sockaddr *)&peer, peerlen));
	say("bind short", bind(s, (struct sockaddr *)&peer, 4));
	say("listen", listen(s, 8));
	printf("SO_ACCEPTCONN %d\n", getint(s, SOL_SOCKET, SO_ACCEPTCONN));
	int s2 = socket(family, SOCK_STREAM, 0);
	say("bind in use", bind(s2, (struct sockaddr *)&peer, peerlen));
	close(s2);
	say("accept4 nothing", accept4(s, NULL, NULL, 0));
	say("recv on listener", recv(s, &one, 1, 0));
	struct pollfd p = {s, POLLIN | POLLOUT, 0};
	int r = poll(&p, 1, 10000);
	printf("listener poll %d revents %#x\n", r, p.revents);
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	int a = accept4(s, (struct sockaddr *)&from, &fl, SOCK_NONBLOCK);
	printf("accept4 ok %d from family-ok %d nonblock %d cloexec %d\n", a >= 0,
	       from.ss_family == family, (fcntl(a, F_GETFL) & O_NONBLOCK) != 0,
	       (fcntl(a, F_GETFD) & FD_CLOEXEC) != 0);
	names("server", a);
	char c;
	say("recv nothing yet", recv(a, &c, 1, 0));
	say("accept4 bad flags", accept4(s, NULL, NULL, 0x40000000));
	fcntl(a, F_SETFL, 0); /* blocking from here on */
	say("send go", send(a, "go", 2, 0));
	p = (struct pollfd){a, POLLIN, 0};
	r = poll(&p, 1, 10000);
	printf("poll data %d revents %#x\n", r, p.revents);
	usleep(100000);
	int n = -1;
	ioctl(a, FIONREAD, &n);
	printf("FIONREAD %d\n", n);
	char buf[16] = "";
	say("recv peek", recv(a, buf, 5, MSG_PEEK));
	printf("peeked '%.5s'\n", buf);
	say("recv", recv(a, buf, 5, 0));
	printf("received '%.5s'\n", buf);
	options(a);
	say("send more", send(a, "more", 4, 0));
	/* bulk: 4 MiB from the client, summed */
	char *big = malloc(BULK);
	long got = readn(a, big, BULK);
	unsigned long sum = 0;
	for (long i = 0; i < got; i++)
		sum = sum * 31 + (unsigned char)big[i];
	printf("bulk %ld sum %lx\n", got, sum);
	/* readv / writev */
	struct iovec iov[2] = {{buf, 3}, {buf + 3, 4}};
	say("readv", readv(a, iov, 2));
	printf("readv '%.7s'\n", buf);
	struct iovec out[2] = {{"by", 2}, {"e", 1}};
	say("writev", writev(a, out, 2));
	say("shutdown SHUT_WR", shutdown(a, SHUT_WR));
	say("shutdown bad", shutdown(a, 7));
	expect(a, "after");
	say("recv eof", recv(a, buf, sizeof(buf), 0));
	p = (struct pollfd){a, POLLIN | POLLOUT | POLLRDHUP, 0};
	r = poll(&p, 1, 1000);
	printf("poll after both shut %d revents %#x\n", r, p.revents);
	say("send after shutdown", send(a, "x", 1, MSG_NOSIGNAL));
	sigpipes = 0;
	say("send after shutdown (SIGPIPE)", send(a, "x", 1, 0));
	printf("sigpipes %d\n", (int)sigpipes);
	close(a);
	/* UDP */
	int u = socket(family, SOCK_DGRAM, 0);
	say("udp bind", bind(u, (struct sockaddr *)&peer, peerlen));
	struct sockaddr_storage uf;
	socklen_t ufl = sizeof(uf);
	memset(buf, 0, sizeof(buf));
	p = (struct pollfd){u, POLLIN, 0};
	printf("udp poll %d\n", poll(&p, 1, 10000));
	say("udp FIONREAD", (ioctl(u, FIONREAD, &n), n));
	say("udp recvfrom", recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&uf, &ufl));
	printf("udp got '%s' family-ok %d\n", buf, uf.ss_family == family);
	say("udp sendto", sendto(u, "pong", 4, 0, (struct sockaddr *)&uf, ufl));
	struct msghdr m = {0};
	struct iovec one_iov = {buf, 2};
	m.msg_iov = &one_iov;
	m.msg_iovlen = 1;
	say("udp recvmsg short", recvmsg(u, &m, 0));
	printf("msg_flags trunc %d\n", (m.msg_flags & MSG_TRUNC) != 0);
	say("udp recv dontwait", recv(u, buf, sizeof(buf), MSG_DONTWAIT));
	close(u);
	/* a client that writes, closes and exits at once: nothing is lost */
	p = (struct pollfd){s, POLLIN, 0};
	printf("last poll %d\n", poll(&p, 1, 10000));
	a = accept(s, NULL, NULL);
	long total = 0;
	for (;;) {
		ssize_t n = read(a, big, BULK);
		if (n <= 0)
			break;
		total += n;
	}
	printf("after the client's exit: %ld bytes, then EOF\n", total);
	close(a);
	close(s);
}

static void client(void)
{
	/* a closed port: refused, blocking and not */
	struct sockaddr_storage keep = peer;
	if (family == AF_INET)
		((struct sockaddr_in *)&peer)->sin_port =
		    htons((uint16_t)(ntohs(((struct sockaddr_in *)&peer)->sin_port) + 1));
	else
		((struct sockaddr_in6 *)&peer)->sin6_port =
		    htons((uint16_t)(ntohs(((struct sockaddr_in6 *)&peer)->sin6_port) + 1));
	int r;
	int c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	say("connect nonblocking refused", connect(c, (struct sockaddr *)&peer, peerlen));
	struct pollfd p = {c, POLLIN | POLLOUT, 0};
	r = poll(&p, 1, 10000);
	printf("poll %d revents %#x SO_ERROR %s\n", r, p.revents,
	       strerrorname_np(getint(c, SOL_SOCKET, SO_ERROR)));
	close(c);
	c = socket(family, SOCK_STREAM, 0);
	say("connect refused", connect(c, (struct sockaddr *)&peer, peerlen));
	close(c);
	peer = keep;
	/* the server */
	c = socket(family, SOCK_STREAM, 0);
	int tries = 0;
	while ((r = connect(c, (struct sockaddr *)&peer, peerlen)) < 0 && tries++ < 100) {
		close(c);
		usleep(50000);
		c = socket(family, SOCK_STREAM, 0);
	}
	say("connect", r);
	say("connect again", connect(c, (struct sockaddr *)&peer, peerlen));
	names("client", c);
	expect(c, "go");
	say("send hello", send(c, "hello", 5, 0));
	options(c);
	expect(c, "more");
	char *big = malloc(BULK);
	for (unsigned i = 0; i < BULK; i++)
		big[i] = (char)(i * 7 + (i >> 12));
	size_t sent = 0;
	while (sent < BULK) {
		ssize_t w = write(c, big + sent, BULK - sent);
		if (w <= 0)
			break;
		sent += (size_t)w;
	}
	printf("bulk sent %zu\n", sent);
	say("send readv part", send(c, "abcdefg", 7, 0));
	expect(c, "bye");
	char buf[16];
	say("recv eof", recv(c, buf, sizeof(buf), 0));
	p = (struct pollfd){c, POLLIN | POLLOUT | POLLRDHUP, 0};
	r = poll(&p, 1, 1000);
	printf("poll after peer shut %d revents %#x\n", r, p.revents);
	say("send after", send(c, "after", 5, 0));
	say("shutdown SHUT_WR", shutdown(c, SHUT_WR));
	close(c);
	/* UDP */
	int u = socket(family, SOCK_DGRAM, 0);
	usleep(200000);
	say("udp sendto", sendto(u, "ping1", 5, 0, (struct sockaddr *)&peer, peerlen));
	memset(buf, 0, sizeof(buf));
	p = (struct pollfd){u, POLLIN, 0};
	printf("udp poll %d\n", poll(&p, 1, 10000));
	say("udp recv", recv(u, buf, sizeof(buf), 0));
	printf("udp got '%s'\n", buf);
	say("udp send unconnected", send(u, "x", 1, 0));
	say("udp connect", connect(u, (struct sockaddr *)&peer, peerlen));
	say("udp send connected", send(u, "12345", 5, 0));
	names("udp client", u);
	close(u);
	/* write 2 MiB, close and exit at once: the data must all arrive */
	c = socket(family, SOCK_STREAM, 0);
	say("last connect", connect(c, (struct sockaddr *)&peer, peerlen));
	sent = 0;
	while (sent < (2u << 20)) {
		ssize_t w = write(c, big + sent, (2u << 20) - sent);
		if (w <= 0)
			break;
		sent += (size_t)w;
	}
	printf("last sent %zu\n", sent);
	close(c);
}

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: sockscen server|client inet|inet6 ADDRESS PORT\n");
		return 2;
	}
	family = strcmp(argv[2], "inet6") == 0 ? AF_INET6 : AF_INET;
	set_addr(argv[3], atoi(argv[4]));
	signal(SIGPIPE, on_sigpipe);
	alarm(60);
	if (strcmp(argv[1], "server") == 0)
		server();
	else
		client();
	return 0;
}
