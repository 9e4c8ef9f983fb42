/*
 * Half-close: SHUT_WR (the peer reads EOF, and can still send; poll shows
 * POLLRDHUP), SHUT_RD (recv returns 0 at once; data that comes later can
 * still be read), SHUT_RDWR, shutdown twice, bad arguments, send after
 * SHUT_WR (EPIPE, SIGPIPE unless MSG_NOSIGNAL), and close with data still
 * in the send buffer (the peer, reading late, gets every byte, then EOF).
 * A TCP connection on PORT keeps the roles in step; the scenario's
 * connections go to PORT+2.
 */
#include "scen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PENDING (16 << 20)

/* Writes without blocking until the send buffer is full, then closes with
 * all of that still unread by the peer: returns how much was written. */
static long fill_and_close(int fd, const char *data)
{
	say("F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, O_NONBLOCK));
	long put = 0;
	ssize_t w = 0;
	while (put < PENDING && (w = write(fd, data + put, 65536)) > 0)
		put += w;
	say("write until full", put == PENDING ? 0 : w);
	say("close with data unsent", close(fd));
	return put;
}

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

static void recv_text(const char *what, int fd, int flags)
{
	char buf[64] = "";
	say_data(what, recv(fd, buf, sizeof(buf), flags), buf);
}

void scen_server(void)
{
	int l = tcp_listener(2, 8);
	int ctl = tcp_listener(0, 4);
	int t = accept(ctl, NULL, NULL);
	if (t < 0)
		fail_setup("accept");
	sync_send(t, 'L');

	/* 1: the client's SHUT_WR */
	int a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	sync_wait(t, '1');
	say_poll("poll after the peer's SHUT_WR", a, POLLIN | POLLOUT | POLLRDHUP, 5000);
	recv_text("recv", a, 0);
	recv_text("recv eof", a, 0);
	recv_text("recv eof again", a, 0);
	say("send after the peer's SHUT_WR", send(a, "still", 5, 0));
	show_name("getpeername", a, 1);
	sync_send(t, '2');

	/* 2: the server's SHUT_RD, then SHUT_WR */
	sync_wait(t, '3');
	say("shutdown SHUT_RD", shutdown(a, SHUT_RD));
	say_poll("poll after SHUT_RD", a, POLLIN | POLLOUT | POLLRDHUP, 0);
	recv_text("recv after SHUT_RD", a, 0);
	say("shutdown SHUT_WR", shutdown(a, SHUT_WR));
	say_poll("poll after both", a, POLLIN | POLLOUT | POLLRDHUP, 0);
	usleep(200000); /* the peer's ACK of our FIN: the connection is closed */
	sigpipe_send("send after SHUT_WR", a, 0);
	say("shutdown SHUT_RDWR again", shutdown(a, SHUT_RDWR));
	show_name("getsockname after both", a, 0);
	show_name("getpeername after both", a, 1);
	say("close", close(a));
	sync_send(t, '4');

	/* 3: SHUT_RD, then the peer sends */
	a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	say("shutdown SHUT_RD", shutdown(a, SHUT_RD));
	recv_text("recv after SHUT_RD", a, MSG_DONTWAIT);
	sync_send(t, '5');
	sync_wait(t, '5');
	usleep(300000);
	recv_text("recv data sent after SHUT_RD", a, 0);
	recv_text("recv again", a, MSG_DONTWAIT);
	close(a);

	/* 4: SHUT_RDWR from the client */
	a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	sync_wait(t, '6');
	say_poll("poll after the peer's SHUT_RDWR", a, POLLIN | POLLRDHUP, 5000);
	recv_text("recv eof", a, 0);
	close(a);

	/* 5: the client closes with data in its send buffer; read late */
	a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	sync_wait(t, '7');
	long want = 0;
	if (read(t, &want, sizeof(want)) != sizeof(want))
		fail_setup("the client's count");
	usleep(300000);
	char *buf = malloc(PENDING), *pattern = malloc(PENDING);
	fill_pattern(pattern, PENDING, 7);
	long got = read_full(a, buf, PENDING);
	printf("read after the client's close: all %d equal %d\n", got == want,
	       got == want && !memcmp(buf, pattern, (size_t)got));
	recv_text("recv eof", a, 0);
	close(a);

	/* 6: the server closes with data in its send buffer */
	a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	fill_pattern(pattern, PENDING, 8);
	long put = fill_and_close(a, pattern);
	if (write(t, &put, sizeof(put)) != sizeof(put))
		fail_setup("the count");
	sync_wait(t, '9');
	close(l);
	close(t);
	close(ctl);
	free(buf);
	free(pattern);
}

void scen_client(void)
{
	int t = tcp_connect_retry(0);
	sync_wait(t, 'L');
	int c = tcp_connect_retry(2);
	say("connect", 0);

	/* 1 */
	say("send", send(c, "last", 4, 0));
	say("shutdown SHUT_WR", shutdown(c, SHUT_WR));
	say("shutdown SHUT_WR again", shutdown(c, SHUT_WR));
	say("shutdown bad how", shutdown(c, 7));
	say("shutdown how -1", shutdown(c, -1));
	sigpipe_send("send after SHUT_WR", c, 0);
	sigpipe_send("send after SHUT_WR MSG_NOSIGNAL", c, MSG_NOSIGNAL);
	say("write after SHUT_WR", write(c, "x", 1));
	say_poll("poll after own SHUT_WR", c, POLLIN | POLLOUT | POLLRDHUP, 0);
	sync_send(t, '1');
	sync_wait(t, '2');
	recv_text("recv what the server still sent", c, 0);

	/* 2 */
	sync_send(t, '3');
	sync_wait(t, '4');
	say_poll("poll after the server's shutdowns", c, POLLIN | POLLOUT | POLLRDHUP, 5000);
	recv_text("recv eof", c, 0);
	close(c);

	/* 3 */
	c = tcp_connect_retry(2);
	say("connect", 0);
	sync_wait(t, '5');
	say("send after the peer's SHUT_RD", send(c, "late", 4, 0));
	sync_send(t, '5');
	say_poll("poll for the server's close", c, POLLRDHUP, 5000);
	close(c);

	/* 4 */
	c = tcp_connect_retry(2);
	say("connect", 0);
	say("shutdown SHUT_RDWR", shutdown(c, SHUT_RDWR));
	say_poll("poll after own SHUT_RDWR", c, POLLIN | POLLOUT | POLLRDHUP, 0);
	recv_text("recv after own SHUT_RDWR", c, 0);
	sync_send(t, '6');
	close(c);

	/* 5 */
	c = tcp_connect_retry(2);
	say("connect", 0);
	char *data = malloc(PENDING), *pattern = malloc(PENDING);
	fill_pattern(pattern, PENDING, 7);
	long put = fill_and_close(c, pattern);
	sync_send(t, '7');
	if (write(t, &put, sizeof(put)) != sizeof(put))
		fail_setup("the count");

	/* 6 */
	c = tcp_connect_retry(2);
	say("connect", 0);
	long want = 0;
	if (read(t, &want, sizeof(want)) != sizeof(want))
		fail_setup("the server's count");
	usleep(300000);
	fill_pattern(pattern, PENDING, 8);
	long got = read_full(c, data, PENDING);
	printf("read after the server's close: all %d equal %d\n", got == want,
	       got == want && !memcmp(data, pattern, (size_t)got));
	recv_text("recv eof", c, 0);
	sync_send(t, '9');
	close(c);
	close(t);
	free(data);
	free(pattern);
}
