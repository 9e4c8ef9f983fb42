/*
 * UDP: datagrams with addresses both ways (sendto/recvfrom,
 * sendmsg/recvmsg), boundaries kept, truncation (MSG_TRUNC in and out),
 * MSG_PEEK, MSG_DONTWAIT, FIONREAD, an empty datagram, a datagram larger
 * than the link's MTU, connect (and the filter it sets, and AF_UNSPEC to
 * undo it), EDESTADDRREQ, and ECONNREFUSED from the ICMP answer of a closed
 * port. A TCP connection on PORT keeps the roles in step; the server's UDP
 * socket is on PORT too.
 */
#include "scen.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#define BIG 8000

static void show_from(const char *what, const struct sockaddr_storage *ss, socklen_t len)
{
	socklen_t want =
	    ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	printf("%s: family-ok %d port-set %d len-ok %d\n", what, ss->ss_family == sc.family,
	       scen_port_of(ss) > 0, len == want);
	fflush(stdout);
}

static void poll_in(const char *what, int fd)
{
	printf("%s: %s\n", what, revents_name(wait_for(fd, POLLIN, 5000)));
	fflush(stdout);
}

void scen_server(void)
{
	int l = tcp_listener(0, 4);
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, 0);
	int u = socket(sc.family, SOCK_DGRAM, 0);
	say("udp socket", u < 0 ? -1 : 0);
	say("bind", bind(u, (struct sockaddr *)&ss, len));
	show_name("getsockname", u, 0);
	show_name("getpeername", u, 1);
	char buf[BIG + 100];
	say("recv MSG_DONTWAIT", recv(u, buf, sizeof(buf), MSG_DONTWAIT));
	int n = -1;
	say("FIONREAD empty", ioctl(u, FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	int t = accept(l, NULL, NULL);
	if (t < 0)
		fail_setup("accept");
	sync_send(t, 'R');

	/* 1: three datagrams: peek, recvfrom, a short buffer, recvmsg truncated */
	sync_wait(t, '1');
	poll_in("poll", u);
	n = -1;
	say("FIONREAD", ioctl(u, FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	memset(buf, 0, sizeof(buf));
	say_data("recv MSG_PEEK", recv(u, buf, sizeof(buf), MSG_PEEK), buf);
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	memset(buf, 0, sizeof(buf));
	say_data("recvfrom", recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), buf);
	show_from("recvfrom address", &from, fl);
	memset(buf, 0, sizeof(buf));
	say_data("recv into 2 bytes", recv(u, buf, 2, 0), buf);
	memset(buf, 0, sizeof(buf));
	struct sockaddr_storage mfrom;
	struct iovec iv[2] = {{buf, 2}, {buf + 2, 1}};
	struct msghdr m = {
	    .msg_name = &mfrom, .msg_namelen = sizeof(mfrom), .msg_iov = iv, .msg_iovlen = 2};
	say_data("recvmsg into 2+1", recvmsg(u, &m, 0), buf);
	printf("recvmsg MSG_TRUNC %d\n", (m.msg_flags & MSG_TRUNC) != 0);
	show_from("recvmsg address", &mfrom, m.msg_namelen);
	memset(buf, 0, sizeof(buf));
	poll_in("poll", u);
	say_data("recv MSG_TRUNC into 2 bytes", recv(u, buf, 2, MSG_TRUNC), buf);
	poll_in("poll", u);
	say("recv empty datagram", recv(u, buf, sizeof(buf), 0));
	say("recv MSG_DONTWAIT", recv(u, buf, sizeof(buf), MSG_DONTWAIT));

	/* 2: replies to the address it came from */
	say("sendto", sendto(u, "pong", 4, 0, (struct sockaddr *)&from, fl));
	struct iovec ov[2] = {{"two ", 4}, {"parts", 5}};
	struct msghdr om = {.msg_name = &from, .msg_namelen = fl, .msg_iov = ov, .msg_iovlen = 2};
	say("sendmsg", sendmsg(u, &om, 0));
	say("sendto empty", sendto(u, "", 0, 0, (struct sockaddr *)&from, fl));
	say("send without an address", send(u, "x", 1, 0));

	/* 3: a datagram larger than the link's MTU, both ways */
	sync_wait(t, '3');
	poll_in("poll big", u);
	char *big = malloc(BIG);
	long r = recv(u, big, BIG, 0);
	say("recv big", r);
	char *want = malloc(BIG);
	fill_pattern(want, BIG, 3);
	printf("big datagram equal %d\n", r == BIG && memcmp(big, want, BIG) == 0);
	say("sendto big", sendto(u, want, BIG, 0, (struct sockaddr *)&from, fl));

	/* 4: connect to the client's socket: the filter */
	say("connect to the client", connect(u, (struct sockaddr *)&from, fl));
	show_name("getpeername connected", u, 1);
	sync_send(t, '4');
	sync_wait(t, '4');
	poll_in("poll connected", u);
	memset(buf, 0, sizeof(buf));
	say_data("recv connected", recv(u, buf, sizeof(buf), 0), buf);
	say("recv MSG_DONTWAIT (other sender filtered)", recv(u, buf, sizeof(buf), MSG_DONTWAIT));
	say("send connected", send(u, "conn", 4, 0));
	struct sockaddr_storage unspec = {.ss_family = AF_UNSPEC};
	say("connect AF_UNSPEC", connect(u, (struct sockaddr *)&unspec, sizeof(unspec)));
	show_name("getpeername disconnected", u, 1);
	say("send disconnected", send(u, "x", 1, 0));
	sync_send(t, '5');

	/* 5: the client's connected socket to a closed port (ICMP) */
	sync_wait(t, '6');
	close(u);
	close(t);
	close(l);
	free(big);
	free(want);
}

void scen_client(void)
{
	int t = tcp_connect_retry(0);
	sync_wait(t, 'R');
	struct sockaddr_storage srv;
	socklen_t slen = scen_addr(&srv, 0);
	struct sockaddr_storage any;
	socklen_t alen = scen_any(&any, -1);
	int u = socket(sc.family, SOCK_DGRAM, 0);
	say("udp socket", u < 0 ? -1 : 0);
	say("bind wildcard port 0", bind(u, (struct sockaddr *)&any, alen));
	show_name("getsockname", u, 0);
	say("send without an address", send(u, "x", 1, 0));
	char buf[BIG + 100];

	/* 1 */
	say("sendto one", sendto(u, "one", 3, 0, (struct sockaddr *)&srv, slen));
	say("sendto two", sendto(u, "two", 3, 0, (struct sockaddr *)&srv, slen));
	struct iovec ov[2] = {{"th", 2}, {"ree", 3}};
	struct msghdr om = {.msg_name = &srv, .msg_namelen = slen, .msg_iov = ov, .msg_iovlen = 2};
	say("sendmsg three", sendmsg(u, &om, 0));
	say("sendto four!", sendto(u, "four!", 5, 0, (struct sockaddr *)&srv, slen));
	say("sendto empty", sendto(u, "", 0, 0, (struct sockaddr *)&srv, slen));
	sync_send(t, '1');

	/* 2 */
	poll_in("poll", u);
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	memset(buf, 0, sizeof(buf));
	say_data("recvfrom", recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), buf);
	show_from("recvfrom address", &from, fl);
	poll_in("poll", u);
	memset(buf, 0, sizeof(buf));
	struct iovec iv = {buf, sizeof(buf)};
	struct msghdr m = {
	    .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iv, .msg_iovlen = 1};
	say_data("recvmsg", recvmsg(u, &m, 0), buf);
	printf("recvmsg flags %#x\n", m.msg_flags);
	poll_in("poll", u);
	say("recv empty", recv(u, buf, sizeof(buf), 0));
	say("recv MSG_DONTWAIT", recv(u, buf, sizeof(buf), MSG_DONTWAIT));

	/* 3 */
	char *big = malloc(BIG);
	fill_pattern(big, BIG, 3);
	say("sendto big", sendto(u, big, BIG, 0, (struct sockaddr *)&srv, slen));
	sync_send(t, '3');
	poll_in("poll big", u);
	char *back = malloc(BIG);
	long r = recv(u, back, BIG, 0);
	say("recv big", r);
	printf("big datagram equal %d\n", r == BIG && memcmp(big, back, BIG) == 0);

	/* 4: another socket's datagram is filtered out by the server's connect */
	sync_wait(t, '4');
	int other = socket(sc.family, SOCK_DGRAM, 0);
	say("sendto from another socket",
	    sendto(other, "other", 5, 0, (struct sockaddr *)&srv, slen));
	usleep(100000);
	say("sendto from the connected peer",
	    sendto(u, "mine", 4, 0, (struct sockaddr *)&srv, slen));
	sync_send(t, '4');
	poll_in("poll", u);
	memset(buf, 0, sizeof(buf));
	say_data("recv", recv(u, buf, sizeof(buf), 0), buf);
	sync_wait(t, '5');
	close(other);

	/* 5: connect, then a closed port */
	say("connect", connect(u, (struct sockaddr *)&srv, slen));
	show_name("getpeername", u, 1);
	say("send connected", send(u, "hi", 2, 0));
	struct sockaddr_storage closed;
	socklen_t clen = scen_addr(&closed, 1);
	int c = socket(sc.family, SOCK_DGRAM, 0);
	struct timeval limit = {2, 0}; /* a missing error must not hang the test */
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	say("connect to a closed port", connect(c, (struct sockaddr *)&closed, clen));
	say("send to a closed port", send(c, "anyone?", 7, 0));
	printf("poll after the ICMP answer: %s\n", revents_name(wait_for(c, POLLIN, 3000)));
	say_so_error("SO_ERROR", c);
	say("send again", send(c, "anyone?", 7, 0));
	printf("poll after the ICMP answer: %s\n", revents_name(wait_for(c, POLLIN, 3000)));
	say("recv", recv(c, buf, sizeof(buf), 0));
	say("recv MSG_DONTWAIT", recv(c, buf, sizeof(buf), MSG_DONTWAIT));
	close(c);
	sync_send(t, '6');
	close(u);
	close(t);
	free(big);
	free(back);
}
