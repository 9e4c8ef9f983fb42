/*
 * Non-blocking sockets: accept and recv with nothing there (EAGAIN), a
 * non-blocking connect (EINPROGRESS, then POLLOUT and SO_ERROR 0, or to a
 * closed port SO_ERROR ECONNREFUSED; select as well as poll), EALREADY and
 * EISCONN, MSG_DONTWAIT on a blocking socket, a send buffer filled until
 * EAGAIN (no POLLOUT then, POLLOUT again once the peer has read it all),
 * accept's flags, FIONBIO. A TCP connection on PORT keeps the roles in
 * step; the scenario's own listener is on PORT+2.
 */
#include "scen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK 65536

void scen_server(void)
{
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, 2);
	int l = socket(sc.family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	say("bind", bind(l, (struct sockaddr *)&ss, len));
	say("listen", listen(l, 8));
	say("accept nothing", accept(l, NULL, NULL));
	say("accept4 nothing", accept4(l, NULL, NULL, SOCK_CLOEXEC));
	say_poll("poll listener, nothing", l, POLLIN, 0);
	int ctl = tcp_listener(0, 4);
	int t = accept(ctl, NULL, NULL);
	if (t < 0)
		fail_setup("accept");
	sync_send(t, 'L');

	/* 1: the client's non-blocking connect */
	say_poll("poll listener", l, POLLIN, 5000);
	int a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	say_flags("accepted from a non-blocking listener", a);
	sync_wait(t, '1');

	/* 2: the client connects again, taken with accept4 */
	say_poll("poll listener", l, POLLIN, 5000);
	int b = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	say("accept4 SOCK_NONBLOCK", b < 0 ? -1 : 0);
	say_flags("accept4'ed", b);
	char c;
	say("recv nothing", recv(b, &c, 1, 0));
	say("read nothing", read(b, &c, 1));
	struct iovec iv = {&c, 1};
	struct msghdr m = {.msg_iov = &iv, .msg_iovlen = 1};
	say("recvmsg nothing", recvmsg(b, &m, 0));
	close(b);
	sync_send(t, '2');

	/* 3: the client fills its send buffer; nothing read until told */
	sync_wait(t, '3');
	long want = 0;
	if (read(t, &want, sizeof(want)) != sizeof(want))
		fail_setup("the client's count");
	char *buf = malloc(CHUNK);
	long got = 0;
	while (got < want) {
		ssize_t r = read(a, buf, CHUNK);
		if (r <= 0)
			break;
		got += r;
	}
	printf("read all the client wrote: %d\n", got == want);
	fflush(stdout);
	sync_send(t, '4');

	/* 4: the same on the server's side, non-blocking from accept4 */
	sync_wait(t, '5');
	say("F_SETFL O_NONBLOCK", fcntl(a, F_SETFL, O_NONBLOCK));
	long sent = fill_until_full(a);
	printf("filled until pauses bring no more room: %d\n", sent > 0);
	say("send when full", send(a, buf, CHUNK, 0));
	say_poll("poll POLLOUT when full", a, POLLOUT, 0);
	if (write(t, &sent, sizeof(sent)) != sizeof(sent))
		fail_setup("the count");
	say_poll("poll POLLOUT after the peer read", a, POLLOUT, 5000);
	sync_wait(t, '6');
	say("send", send(a, "x", 1, 0));
	close(a);
	close(l);
	close(t);
	close(ctl);
	free(buf);
}

void scen_client(void)
{
	int t = tcp_connect_retry(0);
	sync_wait(t, 'L');
	struct sockaddr_storage ss, closed;
	socklen_t len = scen_addr(&ss, 2), clen = scen_addr(&closed, 1);

	/* 0: a closed port */
	int c = socket(sc.family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	long r = connect(c, (struct sockaddr *)&closed, clen);
	say("connect to a closed port", r);
	say_poll("poll", c, POLLOUT, 5000);
	say_so_error("SO_ERROR", c);
	say_so_error("SO_ERROR again", c);
	say("recv", recv(c, &r, 1, 0));
	close(c);
	c = socket(sc.family, SOCK_STREAM, 0);
	int on = 1;
	say("ioctl FIONBIO 1", ioctl(c, FIONBIO, &on));
	say("connect to a closed port (FIONBIO)", connect(c, (struct sockaddr *)&closed, clen));
	fd_set ws, es;
	FD_ZERO(&ws);
	FD_ZERO(&es);
	FD_SET(c, &ws);
	FD_SET(c, &es);
	struct timeval tv = {5, 0};
	int n = select(c + 1, NULL, &ws, &es, &tv);
	printf("select: %d writable %d exception %d\n", n, FD_ISSET(c, &ws) != 0,
	       FD_ISSET(c, &es) != 0);
	say_so_error("SO_ERROR", c);
	close(c);

	/* 1: the listener */
	c = socket(sc.family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	say("connect", connect(c, (struct sockaddr *)&ss, len));
	say_poll("poll", c, POLLOUT, 5000);
	say_so_error("SO_ERROR", c);
	say("connect again", connect(c, (struct sockaddr *)&ss, len));
	show_name("getpeername", c, 1);
	char ch;
	say("recv nothing", recv(c, &ch, 1, 0));
	sync_send(t, '1');

	/* 2: select instead of poll; MSG_DONTWAIT on a blocking socket */
	int d = socket(sc.family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	say("connect", connect(d, (struct sockaddr *)&ss, len));
	FD_ZERO(&ws);
	FD_SET(d, &ws);
	tv = (struct timeval){5, 0};
	n = select(d + 1, NULL, &ws, NULL, &tv);
	printf("select: %d writable %d\n", n, FD_ISSET(d, &ws) != 0);
	say_so_error("SO_ERROR", d);
	sync_wait(t, '2');
	say("F_SETFL 0", fcntl(d, F_SETFL, 0));
	char buf[64];
	say_poll("poll for the server's close", d, POLLIN, 5000);
	say("recv MSG_DONTWAIT after the close", recv(d, buf, sizeof(buf), MSG_DONTWAIT));
	close(d);
	say("F_SETFL 0", fcntl(c, F_SETFL, 0));
	say("recv MSG_DONTWAIT", recv(c, buf, sizeof(buf), MSG_DONTWAIT));
	say("send MSG_DONTWAIT", send(c, "", 0, MSG_DONTWAIT));

	/* 3: fill the send buffer */
	say("F_SETFL O_NONBLOCK", fcntl(c, F_SETFL, O_NONBLOCK));
	char *big = malloc(CHUNK);
	memset(big, 'f', CHUNK);
	long sent = fill_until_full(c);
	printf("filled until pauses bring no more room: %d\n", sent > 0);
	ssize_t w = send(c, big, CHUNK, 0);
	say("send when full", w);
	say_poll("poll POLLOUT when full", c, POLLOUT, 0);
	w = send(c, big, 1, MSG_DONTWAIT);
	say("send MSG_DONTWAIT when full", w);
	sent += w > 0 ? w : 0;
	sync_send(t, '3');
	if (write(t, &sent, sizeof(sent)) != sizeof(sent))
		fail_setup("the count");
	say_poll("poll POLLOUT after the peer read", c, POLLOUT, 5000);
	sync_wait(t, '4');

	/* 4: the server fills its buffer; read it all */
	sync_send(t, '5');
	long want = 0;
	if (read(t, &want, sizeof(want)) != sizeof(want))
		fail_setup("the server's count");
	say("F_SETFL 0", fcntl(c, F_SETFL, 0));
	long got = 0;
	while (got < want) {
		ssize_t rr = read(c, big, CHUNK);
		if (rr <= 0)
			break;
		got += rr;
	}
	printf("read all the server wrote: %d\n", got == want);
	sync_send(t, '6');
	say("recv", recv(c, buf, 1, 0));
	close(c);
	close(t);
	free(big);
}
