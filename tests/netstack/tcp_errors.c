/*
 * TCP errors: bind conflicts with and without SO_REUSEADDR, the EINVAL and
 * EAFNOSUPPORT cases of bind, an address the host does not have, listen
 * without bind, calls on sockets in the wrong state (ENOTCONN, EISCONN,
 * EINVAL, EPIPE), a refused connect, and resets: ECONNRESET on recv and on
 * send, then EPIPE with and without MSG_NOSIGNAL (SIGPIPEs counted).
 */
#include "scen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void sigpipe_send(const char *what, int fd, int flags)
{
	scen_sigpipes = 0;
	long r = send(fd, "x", 1, flags);
	int e = errno;
	char line[128];
	snprintf(line, sizeof(line), "%s (sigpipes %d)", what, (int)scen_sigpipes);
	errno = e;
	say(line, r);
}

static int bound(int offset, int reuse)
{
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, offset);
	int s = socket(sc.family, SOCK_STREAM, 0);
	if (reuse)
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
	char what[64];
	snprintf(what, sizeof(what), "bind port+%d%s", offset, reuse ? " SO_REUSEADDR" : "");
	say(what, bind(s, (struct sockaddr *)&ss, len));
	return s;
}

/* A socket bound to the wildcard with port 0 (lwIP's under switchyard, as it
 * is not a loopback address), never connected. */
static void unconnected_calls(void)
{
	struct sockaddr_storage ss;
	socklen_t len = scen_any(&ss, -1);
	int u = socket(sc.family, SOCK_STREAM, 0);
	say("bind wildcard port 0", bind(u, (struct sockaddr *)&ss, len));
	show_name("getsockname unconnected", u, 0);
	show_name("getpeername unconnected", u, 1);
	char c;
	say("recv unconnected", recv(u, &c, 1, 0));
	say("read unconnected", read(u, &c, 1));
	sigpipe_send("send unconnected", u, 0);
	sigpipe_send("send unconnected MSG_NOSIGNAL", u, MSG_NOSIGNAL);
	say("shutdown unconnected", shutdown(u, SHUT_WR));
	say("accept unconnected", accept(u, NULL, NULL));
	say_so_error("SO_ERROR", u);
	close(u);
}

void scen_server(void)
{
	/* bind conflicts */
	int s1 = bound(3, 0);
	int s2 = bound(3, 0);
	int s3 = bound(3, 1);
	close(s2);
	close(s3);
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, 3);
	say("bind again", bind(s1, (struct sockaddr *)&ss, len));
	close(s1);
	int t1 = bound(4, 1);
	int t2 = bound(4, 1); /* both SO_REUSEADDR, neither listening: allowed */
	say("listen first", listen(t1, 4));
	say("listen second", listen(t2, 4));
	int t3 = bound(4, 1);
	close(t1);
	close(t2);
	close(t3);
	/* bad arguments */
	int b = socket(sc.family, SOCK_STREAM, 0);
	say("bind short length", bind(b, (struct sockaddr *)&ss, 4));
	say("bind length 0", bind(b, (struct sockaddr *)&ss, 0));
	say("bind NULL", bind(b, NULL, len));
	say("bind bad pointer", bind(b, (struct sockaddr *)8, len));
	struct sockaddr_storage other;
	socklen_t olen = scen_addr_of(&other, sc.family == AF_INET ? AF_INET6 : AF_INET,
				      sc.family == AF_INET ? "::" : "0.0.0.0", sc.port + 3);
	say("bind the other family's address", bind(b, (struct sockaddr *)&other, olen));
	struct sockaddr_storage absent;
	socklen_t alen = scen_addr_of(
	    &absent, sc.family, sc.family == AF_INET ? "192.0.2.1" : "2001:db8::1", sc.port + 3);
	say("bind an address the host does not have", bind(b, (struct sockaddr *)&absent, alen));
	close(b);
	/* listen without bind: an ephemeral port on the wildcard */
	int e = socket(sc.family, SOCK_STREAM, 0);
	say("listen unbound", listen(e, 4));
	show_name("getsockname of listen unbound", e, 0);
	close(e);
	unconnected_calls();

	int l = tcp_listener(0, 8);
	b = bound(5, 0);
	say("accept on a bound socket that does not listen", accept(b, NULL, NULL));
	close(b);
	int one = 1;
	int d = socket(sc.family, SOCK_STREAM, 0);
	setsockopt(d, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	say("bind onto a listening port with SO_REUSEADDR",
	    bind(d, (struct sockaddr *)&ss, scen_addr(&ss, 0)));
	close(d);

	/* 1: wrong-state calls on a connection */
	int a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	say("listen on a connection", listen(a, 4));
	say("bind a connection", bind(a, (struct sockaddr *)&ss, scen_addr(&ss, 5)));
	sync_wait(a, '1');

	/* 2: the server closes with unread data: a reset */
	short rev = wait_for(a, POLLIN, 5000);
	printf("poll unread data: %s\n", revents_name(rev));
	say("close with unread data", close(a));

	/* 3: SO_LINGER 0: a reset */
	a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	sync_wait(a, '3');
	struct linger lg = {1, 0};
	say("SO_LINGER 0", setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	say("close", close(a));

	/* 4: FIN first, then a reset */
	a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	say("shutdown SHUT_WR", shutdown(a, SHUT_WR));
	sync_wait(a, '4');
	say("SO_LINGER 0", setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	say("close", close(a));

	/* 5: the client resets; the server sends into it */
	a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	sync_send(a, '5');
	rev = wait_for(a, POLLIN, 5000);
	printf("poll after the peer's reset: %s\n", revents_name(rev));
	say_so_error("SO_ERROR", a);
	say_so_error("SO_ERROR again", a);
	sigpipe_send("send after reset", a, 0);
	sigpipe_send("send after reset MSG_NOSIGNAL", a, MSG_NOSIGNAL);
	char c;
	say("recv after reset", recv(a, &c, 1, 0));
	say("shutdown after reset", shutdown(a, SHUT_RDWR));
	show_name("getpeername after reset", a, 1);
	close(a);
	close(l);
}

void scen_client(void)
{
	/* a closed port */
	struct sockaddr_storage closed;
	socklen_t clen = scen_addr(&closed, 1);
	int c = socket(sc.family, SOCK_STREAM, 0);
	say("connect to a closed port", connect(c, (struct sockaddr *)&closed, clen));
	say_so_error("SO_ERROR", c);
	say("connect to it again", connect(c, (struct sockaddr *)&closed, clen));
	close(c);
	c = socket(sc.family, SOCK_STREAM, 0);
	say("connect short length", connect(c, (struct sockaddr *)&closed, 4));
	say("connect bad pointer", connect(c, (struct sockaddr *)8, clen));
	close(c);
	unconnected_calls();

	/* 1 */
	c = tcp_connect_retry(0);
	say("connect", 0);
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, 0);
	say("connect again", connect(c, (struct sockaddr *)&ss, len));
	say("connect elsewhere", connect(c, (struct sockaddr *)&closed, clen));
	say("listen on a connection", listen(c, 4));
	sync_send(c, '1');

	/* 2: data the server never reads, then its close: a reset */
	say("send unread data", send(c, "data", 4, 0));
	short rev = wait_for(c, POLLIN, 5000);
	printf("poll after the reset: %s\n", revents_name(rev));
	char buf[16];
	say("recv after reset", recv(c, buf, sizeof(buf), 0));
	say("recv again", recv(c, buf, sizeof(buf), 0));
	sigpipe_send("send after reset MSG_NOSIGNAL", c, MSG_NOSIGNAL);
	sigpipe_send("send after reset", c, 0);
	say_so_error("SO_ERROR", c);
	close(c);

	/* 3 */
	c = tcp_connect_retry(0);
	say("connect", 0);
	sync_send(c, '3');
	rev = wait_for(c, POLLIN, 5000);
	printf("poll after the reset: %s\n", revents_name(rev));
	sigpipe_send("send after reset MSG_NOSIGNAL", c, MSG_NOSIGNAL);
	sigpipe_send("send after reset MSG_NOSIGNAL", c, MSG_NOSIGNAL);
	sigpipe_send("send after reset", c, 0);
	say("recv after reset", recv(c, buf, sizeof(buf), 0));
	say("write after reset", write(c, "x", 1));
	say_so_error("SO_ERROR", c);
	close(c);

	/* 4 */
	c = tcp_connect_retry(0);
	say("connect", 0);
	say("recv eof", recv(c, buf, sizeof(buf), 0));
	sync_send(c, '4');
	rev = wait_for(c, POLLERR, 5000);
	printf("poll after the reset: %s\n", revents_name(rev));
	sigpipe_send("send after FIN and reset", c, 0);
	sigpipe_send("send after FIN and reset", c, 0);
	say("recv after FIN and reset", recv(c, buf, sizeof(buf), 0));
	close(c);

	/* 5 */
	c = tcp_connect_retry(0);
	say("connect", 0);
	sync_wait(c, '5');
	struct linger lg = {1, 0};
	say("SO_LINGER 0", setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	say("close", close(c));
}
