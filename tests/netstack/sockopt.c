/*
 * Socket options: defaults, values read back after setting them, options
 * set on a fresh socket that must survive its bind/listen/connect (under
 * switchyard that is the move to lwIP), what an accepted socket inherits
 * from its listener, the error cases (bad values, short lengths, unknown
 * options, bad pointers), the effect of SO_RCVTIMEO, ioctl FIONBIO and
 * FIONREAD, and the options of a UDP socket. Buffer sizes print only "set
 * ok" and ">0": their values are the stack's own.
 */
#include "scen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void get_int(const char *prefix, const char *name, int fd, int level, int opt)
{
	char what[96];
	snprintf(what, sizeof(what), "%s %s", prefix, name);
	say_opt(what, fd, level, opt);
}

static void set_int(const char *name, int fd, int level, int opt, int value)
{
	char what[96];
	snprintf(what, sizeof(what), "set %s %d", name, value);
	say(what, setsockopt(fd, level, opt, &value, sizeof(value)));
}

static void get_positive(const char *prefix, const char *name, int fd, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);
	char what[96];
	snprintf(what, sizeof(what), "%s %s", prefix, name);
	if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) < 0)
		say(what, -1);
	else
		printf("%s: >0 %d (len %u)\n", what, v > 0, l);
}

static void get_time(const char *prefix, const char *name, int fd, int opt)
{
	struct timeval tv = {-1, -1};
	socklen_t l = sizeof(tv);
	char what[96];
	snprintf(what, sizeof(what), "%s %s", prefix, name);
	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &l) < 0)
		say(what, -1);
	else
		printf("%s: %ld.%06ld (len %u)\n", what, (long)tv.tv_sec, (long)tv.tv_usec, l);
}

/* Every option this scenario knows, as the socket reports it now. */
static void show_options(const char *prefix, int fd, int tcp)
{
	get_int(prefix, "SO_TYPE", fd, SOL_SOCKET, SO_TYPE);
	get_int(prefix, "SO_PROTOCOL", fd, SOL_SOCKET, SO_PROTOCOL);
	printf("%s SO_DOMAIN is the family: %d\n", prefix,
	       opt_int(fd, SOL_SOCKET, SO_DOMAIN) == sc.family);
	get_int(prefix, "SO_ACCEPTCONN", fd, SOL_SOCKET, SO_ACCEPTCONN);
	get_int(prefix, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	get_int(prefix, "SO_REUSEADDR", fd, SOL_SOCKET, SO_REUSEADDR);
	get_int(prefix, "SO_KEEPALIVE", fd, SOL_SOCKET, SO_KEEPALIVE);
	get_int(prefix, "SO_BROADCAST", fd, SOL_SOCKET, SO_BROADCAST);
	get_positive(prefix, "SO_RCVBUF", fd, SO_RCVBUF);
	get_positive(prefix, "SO_SNDBUF", fd, SO_SNDBUF);
	get_time(prefix, "SO_RCVTIMEO", fd, SO_RCVTIMEO);
	get_time(prefix, "SO_SNDTIMEO", fd, SO_SNDTIMEO);
	struct linger lg = {-1, -1};
	socklen_t l = sizeof(lg);
	if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &l) < 0)
		say("SO_LINGER", -1);
	else
		printf("%s SO_LINGER: onoff %d linger %d (len %u)\n", prefix, lg.l_onoff,
		       lg.l_linger, l);
	if (tcp) {
		get_int(prefix, "TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY);
		get_int(prefix, "TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE);
		get_int(prefix, "TCP_KEEPINTVL", fd, IPPROTO_TCP, TCP_KEEPINTVL);
		get_int(prefix, "TCP_KEEPCNT", fd, IPPROTO_TCP, TCP_KEEPCNT);
	}
	if (sc.family == AF_INET) {
		get_int(prefix, "IP_TOS", fd, IPPROTO_IP, IP_TOS);
		get_int(prefix, "IP_TTL", fd, IPPROTO_IP, IP_TTL);
	} else {
		get_int(prefix, "IPV6_V6ONLY", fd, IPPROTO_IPV6, IPV6_V6ONLY);
	}
	fflush(stdout);
}

static void set_options(int fd, int tcp)
{
	set_int("SO_REUSEADDR", fd, SOL_SOCKET, SO_REUSEADDR, 1);
	set_int("SO_KEEPALIVE", fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	int size = 65536;
	printf("set SO_RCVBUF: %s\n",
	       setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) == 0
		   ? "set ok"
		   : strerrorname_np(errno));
	printf("set SO_SNDBUF: %s\n",
	       setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) == 0
		   ? "set ok"
		   : strerrorname_np(errno));
	struct timeval rt = {1, 500000}, st = {2, 0};
	say("set SO_RCVTIMEO 1.5", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rt, sizeof(rt)));
	say("set SO_SNDTIMEO 2", setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &st, sizeof(st)));
	struct linger lg = {1, 5};
	say("set SO_LINGER 1 5", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	if (tcp) {
		set_int("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY, 1);
		set_int("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE, 30);
		set_int("TCP_KEEPINTVL", fd, IPPROTO_TCP, TCP_KEEPINTVL, 5);
		set_int("TCP_KEEPCNT", fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
	} else {
		set_int("SO_BROADCAST", fd, SOL_SOCKET, SO_BROADCAST, 1);
	}
	if (sc.family == AF_INET) {
		set_int("IP_TOS", fd, IPPROTO_IP, IP_TOS, 0x10);
		set_int("IP_TTL", fd, IPPROTO_IP, IP_TTL, 32);
	}
	fflush(stdout);
}

/* Values set on a socket that already lives where its address is. */
static void set_again(const char *prefix, int fd)
{
	set_int("SO_KEEPALIVE", fd, SOL_SOCKET, SO_KEEPALIVE, 0);
	set_int("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY, 0);
	set_int("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE, 60);
	struct linger lg = {0, 0};
	say("set SO_LINGER 0 0", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	struct timeval rt = {3, 0};
	say("set SO_RCVTIMEO 3", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rt, sizeof(rt)));
	if (sc.family == AF_INET) {
		set_int("IP_TOS", fd, IPPROTO_IP, IP_TOS, 0x08);
		set_int("IP_TTL", fd, IPPROTO_IP, IP_TTL, 40);
	}
	show_options(prefix, fd, 1);
}

static void bad_options(int fd)
{
	set_int("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE, 0);
	set_int("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE, 40000);
	set_int("TCP_KEEPINTVL", fd, IPPROTO_TCP, TCP_KEEPINTVL, 0);
	set_int("TCP_KEEPCNT", fd, IPPROTO_TCP, TCP_KEEPCNT, 200);
	set_int("unknown SOL_SOCKET option", fd, SOL_SOCKET, 9999, 1);
	set_int("unknown IPPROTO_TCP option", fd, IPPROTO_TCP, 9999, 1);
	set_int("SO_ERROR", fd, SOL_SOCKET, SO_ERROR, 1);
	set_int("SO_TYPE", fd, SOL_SOCKET, SO_TYPE, 1);
	if (sc.family == AF_INET)
		set_int("IP_TTL", fd, IPPROTO_IP, IP_TTL, 0);
	else
		set_int("IPV6_V6ONLY (connected)", fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	int one = 1;
	say("set SO_KEEPALIVE length 2", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, 2));
	say("set TCP_NODELAY length 2", setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, 2));
	struct linger lg = {1, 1};
	say("set SO_LINGER length 4", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, 4));
	struct timeval tv = {1, 0};
	say("set SO_RCVTIMEO length 4", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, 4));
	struct timeval badtv = {0, 2000000};
	say("set SO_RCVTIMEO usec 2000000",
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &badtv, sizeof(badtv)));
	say("set SO_KEEPALIVE NULL value",
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, NULL, sizeof(one)));
	say("set SO_KEEPALIVE bad pointer",
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, (void *)8, sizeof(one)));
	int v = 0;
	socklen_t l = sizeof(v);
	say("get unknown SOL_SOCKET option", getsockopt(fd, SOL_SOCKET, 9999, &v, &l));
	l = sizeof(v);
	say("get unknown IPPROTO_TCP option", getsockopt(fd, IPPROTO_TCP, 9999, &v, &l));
	char small[2] = {0, 0};
	l = 2;
	say("get SO_KEEPALIVE length 2", getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, small, &l));
	printf("length now %u\n", l);
	l = 2;
	say("get TCP_NODELAY length 2", getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, small, &l));
	printf("length now %u\n", l);
	l = (socklen_t)-1;
	say("get SO_KEEPALIVE length -1", getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &l));
	say("get SO_KEEPALIVE NULL length", getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, NULL));
	l = sizeof(v);
	say("get SO_KEEPALIVE bad pointer",
	    getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, (void *)8, &l));
	fflush(stdout);
}

/* On a connection with nothing to read: SO_RCVTIMEO, FIONBIO, FIONREAD. */
static void effects(int fd)
{
	struct timeval tv = {0, 200000};
	say("set SO_RCVTIMEO 0.2", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	char c;
	double t0 = now_seconds();
	long r = recv(fd, &c, 1, 0);
	double waited = now_seconds() - t0;
	say("recv with SO_RCVTIMEO", r);
	printf("waited 0.2 s to 1.5 s: %d\n", waited >= 0.195 && waited < 1.5);
	tv = (struct timeval){0, 0};
	say("set SO_RCVTIMEO 0", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	int on = 1, off = 0, n = -1;
	say("ioctl FIONBIO 1", ioctl(fd, FIONBIO, &on));
	say_flags("flags", fd);
	say("recv", recv(fd, &c, 1, 0));
	say("ioctl FIONBIO 0", ioctl(fd, FIONBIO, &off));
	say_flags("flags", fd);
	say("ioctl FIONREAD", ioctl(fd, FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	say("ioctl SIOCOUTQ", ioctl(fd, TIOCOUTQ, &n));
	say("ioctl unknown", ioctl(fd, 0x89ff, &n));
	fflush(stdout);
}

static void udp_options(void)
{
	int u = socket(sc.family, SOCK_DGRAM, 0);
	show_options("udp fresh", u, 0);
	set_options(u, 0);
	struct sockaddr_storage any;
	socklen_t alen = scen_any(&any, -1);
	say("udp bind wildcard port 0", bind(u, (struct sockaddr *)&any, alen));
	show_options("udp bound", u, 0);
	set_int("TCP_NODELAY on udp", u, IPPROTO_TCP, TCP_NODELAY, 1);
	say_opt("get TCP_NODELAY on udp", u, IPPROTO_TCP, TCP_NODELAY);
	close(u);
}

void scen_server(void)
{
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, 2);
	int s = socket(sc.family, SOCK_STREAM, 0);
	show_options("fresh", s, 1);
	set_options(s, 1);
	show_options("set", s, 1);
	say("bind", bind(s, (struct sockaddr *)&ss, len));
	say("listen", listen(s, 4));
	show_options("listening", s, 1);
	int ctl = tcp_listener(0, 4);
	int t = accept(ctl, NULL, NULL);
	if (t < 0)
		fail_setup("accept");
	sync_send(t, 'S');
	int a = accept(s, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	show_options("accepted", a, 1);
	sync_wait(t, 'C');
	set_again("accepted, set again", a);
	bad_options(a);
	effects(a);
	udp_options();
	sync_send(t, 'E');
	sync_wait(t, 'D');
	close(a);
	close(s);
	close(t);
	close(ctl);
}

void scen_client(void)
{
	int t = tcp_connect_retry(0);
	sync_wait(t, 'S');
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, 2);
	int c = socket(sc.family, SOCK_STREAM, 0);
	show_options("fresh", c, 1);
	set_options(c, 1);
	say("connect", connect(c, (struct sockaddr *)&ss, len));
	show_options("connected", c, 1);
	sync_send(t, 'C');
	set_again("connected, set again", c);
	bad_options(c);
	effects(c);
	sync_send(t, 'D');
	sync_wait(t, 'E');
	close(c);
	close(t);
}
