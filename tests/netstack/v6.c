/*
 * IPv6 and dual stack: IPV6_V6ONLY (default, set, EINVAL once bound), a
 * wildcard [::] listener that also takes IPv4 connections (their addresses
 * v4-mapped), the port it holds for AF_INET too, a V6ONLY listener beside
 * an AF_INET one on the same port, an AF_INET6 socket connecting to a
 * v4-mapped address (and refused that when V6ONLY), and UDP over the same
 * wildcard. Run with family inet6, the IPv6 address and, as the fifth
 * argument, the IPv4 address of the same place.
 *   v6 server|client inet6 ADDRESS6 PORT ADDRESS4
 */
#include "scen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void show_v6(const char *what, int fd, int peer)
{
	struct sockaddr_storage ss;
	memset(&ss, 0xff, sizeof(ss));
	socklen_t len = sizeof(ss);
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		     : getsockname(fd, (struct sockaddr *)&ss, &len);
	if (r < 0) {
		say(what, r);
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		printf("%s: AF_INET6 v4mapped %d port-set %d flowinfo %u scope %u len %u\n", what,
		       IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr), s6->sin6_port != 0, s6->sin6_flowinfo,
		       s6->sin6_scope_id, len);
	} else if (ss.ss_family == AF_INET) {
		printf("%s: AF_INET port-set %d len %u\n", what,
		       ((struct sockaddr_in *)&ss)->sin_port != 0, len);
	} else {
		printf("%s: family %d\n", what, ss.ss_family);
	}
	fflush(stdout);
}

static void say_v6only(const char *what, int fd)
{
	say_opt(what, fd, IPPROTO_IPV6, IPV6_V6ONLY);
}

static int listen_on(int family, int offset, int v6only, const char *what)
{
	struct sockaddr_storage ss;
	socklen_t len = scen_addr_of(&ss, family, NULL, sc.port + offset);
	int s = socket(family, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6only >= 0)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	char line[128];
	snprintf(line, sizeof(line), "bind %s", what);
	say(line, bind(s, (struct sockaddr *)&ss, len));
	snprintf(line, sizeof(line), "listen %s", what);
	say(line, listen(s, 8));
	return s;
}

/* The v4-mapped form of ADDRESS4. */
static socklen_t mapped(struct sockaddr_storage *ss, int offset)
{
	char text[80];
	snprintf(text, sizeof(text), "::ffff:%s", sc.addr4);
	return scen_addr_of(ss, AF_INET6, text, sc.port + offset);
}

static void serve_one(const char *what, int l)
{
	int a = accept(l, NULL, NULL);
	char line[128];
	snprintf(line, sizeof(line), "accept %s", what);
	say(line, a < 0 ? -1 : 0);
	if (a < 0)
		return;
	show_v6("  peer", a, 1);
	show_v6("  local", a, 0);
	char buf[32] = "";
	say_data("  recv", recv(a, buf, sizeof(buf), 0), buf);
	say("  send", send(a, "back", 4, 0));
	close(a);
}

void scen_server(void)
{
	if (sc.family != AF_INET6 || !sc.addr4) {
		fprintf(stderr, "v6: run with inet6 and the IPv4 address as the fifth argument\n");
		exit(2);
	}
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	say_v6only("IPV6_V6ONLY default", s);
	int one = 1, zero = 0;
	say("set IPV6_V6ONLY 1", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)));
	say_v6only("IPV6_V6ONLY", s);
	say("set IPV6_V6ONLY 0", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)));
	say_v6only("IPV6_V6ONLY", s);
	close(s);
	int dual = listen_on(AF_INET6, 0, -1, "[::] dual stack");
	say_v6only("IPV6_V6ONLY of the dual-stack listener", dual);
	say("set IPV6_V6ONLY once bound",
	    setsockopt(dual, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)));
	show_v6("getsockname dual", dual, 0);
	struct sockaddr_storage any4;
	socklen_t len4 = scen_addr_of(&any4, AF_INET, NULL, sc.port);
	int s4 = socket(AF_INET, SOCK_STREAM, 0);
	say("bind 0.0.0.0 on the dual-stack port", bind(s4, (struct sockaddr *)&any4, len4));
	close(s4);
	int only6 = listen_on(AF_INET6, 2, 1, "[::] V6ONLY");
	int only4 = listen_on(AF_INET, 2, -1, "0.0.0.0 beside it");
	struct sockaddr_storage any6;
	socklen_t len6 = scen_any(&any6, 0);
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	say("udp bind [::]", bind(u, (struct sockaddr *)&any6, len6));

	int t = accept(dual, NULL, NULL);
	say("accept the client's first (IPv6)", t < 0 ? -1 : 0);
	show_v6("  peer", t, 1);
	sync_send(t, 'R');
	serve_one("AF_INET client", dual);
	serve_one("AF_INET6 client to a v4-mapped address", dual);
	serve_one("IPv6 client on the V6ONLY port", only6);
	serve_one("IPv4 client on the AF_INET port", only4);

	/* UDP: an IPv4 datagram on the [::] socket */
	sync_send(t, 'U');
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	char buf[32] = "";
	printf("udp poll: %s\n", revents_name(wait_for(u, POLLIN, 5000)));
	say_data("udp recvfrom", recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl),
		 buf);
	struct sockaddr_in6 *f6 = (struct sockaddr_in6 *)&from;
	printf("udp from: family AF_INET6 %d v4mapped %d len %u\n", from.ss_family == AF_INET6,
	       IN6_IS_ADDR_V4MAPPED(&f6->sin6_addr), fl);
	say("udp sendto the v4-mapped address",
	    sendto(u, "v4back", 6, 0, (struct sockaddr *)&from, fl));
	sync_wait(t, 'E');
	close(u);
	close(t);
	close(dual);
	close(only6);
	close(only4);
}

static void client_one(const char *what, int family, struct sockaddr_storage *ss, socklen_t len,
		       int v6only)
{
	int c = socket(family, SOCK_STREAM, 0);
	if (v6only >= 0)
		setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	char line[128];
	snprintf(line, sizeof(line), "connect %s", what);
	say(line, connect(c, (struct sockaddr *)ss, len));
	show_v6("  local", c, 0);
	show_v6("  peer", c, 1);
	say("  send", send(c, "hi", 2, 0));
	char buf[32] = "";
	say_data("  recv", recv(c, buf, sizeof(buf), MSG_WAITALL), buf);
	close(c);
}

void scen_client(void)
{
	if (sc.family != AF_INET6 || !sc.addr4) {
		fprintf(stderr, "v6: run with inet6 and the IPv4 address as the fifth argument\n");
		exit(2);
	}
	int t = tcp_connect_retry(0);
	show_v6("first connection's local", t, 0);
	sync_wait(t, 'R');
	struct sockaddr_storage v4, m4, v6p2, v4p2;
	socklen_t l4 = scen_addr_of(&v4, AF_INET, sc.addr4, sc.port);
	socklen_t lm = mapped(&m4, 0);
	socklen_t l6p2 = scen_addr(&v6p2, 2);
	socklen_t l4p2 = scen_addr_of(&v4p2, AF_INET, sc.addr4, sc.port + 2);
	client_one("AF_INET", AF_INET, &v4, l4, -1);
	int c = socket(AF_INET6, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	say("connect V6ONLY to a v4-mapped address", connect(c, (struct sockaddr *)&m4, lm));
	close(c);
	client_one("AF_INET6 to a v4-mapped address", AF_INET6, &m4, lm, -1);
	client_one("IPv6 to the V6ONLY port", AF_INET6, &v6p2, l6p2, -1);
	client_one("IPv4 to the AF_INET port", AF_INET, &v4p2, l4p2, -1);

	sync_wait(t, 'U');
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	say("udp sendto the IPv4 address", sendto(u, "v4dgram", 7, 0, (struct sockaddr *)&v4, l4));
	char buf[32] = "";
	printf("udp poll: %s\n", revents_name(wait_for(u, POLLIN, 5000)));
	say_data("udp recv", recv(u, buf, sizeof(buf), MSG_DONTWAIT), buf);
	close(u);
	sync_send(t, 'E');
	close(t);
}
