/*
 * TCP, the ordinary path: socket flags, bind, listen, accept and accept4,
 * blocking connect, the names of both ends, and every way of moving bytes
 * (send/recv with MSG_PEEK and MSG_WAITALL, read/write, readv/writev,
 * sendmsg/recvmsg, sendto/recvfrom), FIONREAD, a wildcard listener, and EOF
 * when the peer closes. The two roles ping-pong, so no read ever sees two
 * of the peer's writes at once.
 */
#include "scen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void expect_recv(const char *what, int fd, size_t n, int flags)
{
	char buf[256] = "";
	say_data(what, recv(fd, buf, n, flags), buf);
}

void scen_server(void)
{
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, 0);
	int s = socket(sc.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	say("socket NONBLOCK|CLOEXEC", s < 0 ? -1 : 0);
	say_flags("flags", s);
	say("F_SETFL 0", fcntl(s, F_SETFL, 0));
	say("F_SETFD 0", fcntl(s, F_SETFD, 0));
	say_flags("flags", s);
	int one = 1;
	say("SO_REUSEADDR", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	say("bind", bind(s, (struct sockaddr *)&ss, len));
	show_name("getsockname bound", s, 0);
	say("listen", listen(s, 8));
	say("listen again (backlog change)", listen(s, 16));
	/* flags on a socket that now lives where its address is */
	say("F_SETFD FD_CLOEXEC", fcntl(s, F_SETFD, FD_CLOEXEC));
	say("F_SETFL O_NONBLOCK", fcntl(s, F_SETFL, O_NONBLOCK));
	say_flags("listener flags", s);
	say("accept nothing yet", accept(s, NULL, NULL));
	say("F_SETFL 0", fcntl(s, F_SETFL, 0));
	show_name("getsockname listener", s, 0);
	show_name("getpeername listener", s, 1);

	struct sockaddr_storage from;
	memset(&from, 0, sizeof(from));
	socklen_t fl = sizeof(from);
	int a = accept(s, (struct sockaddr *)&from, &fl);
	say("accept", a < 0 ? -1 : 0);
	if (a < 0)
		return;
	printf("accept address: family-ok %d port-set %d len-ok %d\n", from.ss_family == sc.family,
	       scen_port_of(&from) > 0, fl == len);
	say_flags("accepted flags", a);
	show_name("getsockname accepted", a, 0);
	show_name("getpeername accepted", a, 1);

	/* 1: send / recv with MSG_PEEK */
	expect_recv("recv MSG_PEEK", a, 5, MSG_PEEK);
	expect_recv("recv MSG_PEEK again", a, 3, MSG_PEEK);
	expect_recv("recv", a, 5, 0);
	say("send", send(a, "world", 5, 0));
	/* 2: read / write */
	char buf[512] = "";
	say_data("read", read(a, buf, 4), buf);
	say("write", write(a, "pong", 4));
	/* 3: readv / writev */
	memset(buf, 0, sizeof(buf));
	struct iovec iv[2] = {{buf, 3}, {buf + 3, 4}};
	long r = readv(a, iv, 2);
	say_data("readv 3+4", r, buf);
	struct iovec ov[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
	say("writev 2+3+1", writev(a, ov, 3));
	/* 4: recvmsg / sendmsg */
	memset(buf, 0, sizeof(buf));
	struct sockaddr_storage name;
	struct iovec mv[2] = {{buf, 4}, {buf + 4, 100}};
	struct msghdr m = {
	    .msg_name = &name, .msg_namelen = sizeof(name), .msg_iov = mv, .msg_iovlen = 2};
	r = recvmsg(a, &m, 0);
	say_data("recvmsg", r, buf);
	printf("recvmsg namelen %u flags %#x controllen %zu\n", m.msg_namelen, m.msg_flags,
	       m.msg_controllen);
	struct iovec sv[3] = {{"sen", 3}, {"dm", 2}, {"sg", 2}};
	struct msghdr sm = {.msg_iov = sv, .msg_iovlen = 3};
	say("sendmsg", sendmsg(a, &sm, 0));
	/* 5: recvfrom / sendto (the address is ignored on a connection) */
	memset(buf, 0, sizeof(buf));
	socklen_t nl = sizeof(name);
	r = recvfrom(a, buf, sizeof(buf), 0, (struct sockaddr *)&name, &nl);
	say_data("recvfrom", r, buf);
	printf("recvfrom addrlen %u\n", nl);
	say("sendto with an address", sendto(a, "to", 2, 0, (struct sockaddr *)&from, fl));
	say("sendto without an address", sendto(a, "TO", 2, 0, NULL, 0));
	/* 6: MSG_WAITALL over three separate writes */
	memset(buf, 0, sizeof(buf));
	sync_send(a, 'W');
	say("recv MSG_WAITALL 300", recv(a, buf, 300, MSG_WAITALL));
	printf("waitall data ok %d\n", buf[0] == 'x' && buf[299] == 'z');
	/* 7: FIONREAD, SIOCINQ */
	sync_send(a, 'F');
	short rev = wait_for(a, POLLIN, 5000);
	printf("poll for data: %s\n", revents_name(rev));
	int n = -1;
	say("ioctl FIONREAD", ioctl(a, FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	memset(buf, 0, sizeof(buf));
	say_data("recv", recv(a, buf, sizeof(buf), 0), buf);
	n = -1;
	say("ioctl FIONREAD empty", ioctl(a, FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	say("ioctl FIONREAD bad pointer", ioctl(a, FIONREAD, (int *)8));

	/* 8: a second connection, taken with accept4's flags */
	sync_send(a, 'A');
	int b = accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	say("accept4 NONBLOCK|CLOEXEC", b < 0 ? -1 : 0);
	say_flags("accept4 flags", b);
	rev = wait_for(b, POLLIN, 5000);
	printf("poll second: %s\n", revents_name(rev));
	say_data("recv second", recv(b, buf, sizeof(buf), 0), buf);
	say("recv second again", recv(b, buf, sizeof(buf), 0));
	say("close second", close(b));
	say("accept4 bad flags", accept4(s, NULL, NULL, 0x4000));

	/* 9: a wildcard listener on another port */
	struct sockaddr_storage any;
	socklen_t anylen = scen_any(&any, 2);
	int w = socket(sc.family, SOCK_STREAM, 0);
	say("SO_REUSEADDR wildcard", setsockopt(w, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	say("bind wildcard", bind(w, (struct sockaddr *)&any, anylen));
	say("listen wildcard", listen(w, 4));
	show_name("getsockname wildcard", w, 0);
	sync_send(a, 'L');
	int wa = accept(w, NULL, NULL);
	say("accept on wildcard", wa < 0 ? -1 : 0);
	show_name("getsockname of wildcard's accepted", wa, 0);
	memset(buf, 0, sizeof(buf));
	say_data("recv on wildcard's accepted", recv(wa, buf, sizeof(buf), 0), buf);
	say("send on wildcard's accepted", send(wa, "W!", 2, 0));
	close(wa);
	close(w);

	/* 10: the client closes: EOF, then EOF again */
	sync_send(a, 'C');
	say("recv eof", recv(a, buf, sizeof(buf), 0));
	say("read eof", read(a, buf, sizeof(buf)));
	say("close", close(a));
	say("close listener", close(s));
	say("close again", close(s));
}

void scen_client(void)
{
	int c = tcp_connect_retry(0);
	say("connect", 0);
	say_flags("flags", c);
	show_name("getsockname", c, 0);
	show_name("getpeername", c, 1);
	char buf[512] = "";
	/* 1 */
	say("send", send(c, "hello", 5, 0));
	expect_recv("recv", c, 5, 0);
	/* 2 */
	say("write", write(c, "ping", 4));
	memset(buf, 0, sizeof(buf));
	say_data("read", read(c, buf, 4), buf);
	/* 3 */
	say("send", send(c, "abcdefg", 7, 0));
	memset(buf, 0, sizeof(buf));
	struct iovec iv[2] = {{buf, 2}, {buf + 2, 10}};
	say_data("readv 2+10", readv(c, iv, 2), buf);
	/* 4 */
	struct iovec sv[2] = {{"recv", 4}, {"msg!", 4}};
	struct msghdr sm = {.msg_iov = sv, .msg_iovlen = 2};
	say("sendmsg", sendmsg(c, &sm, 0));
	memset(buf, 0, sizeof(buf));
	struct iovec mv = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &mv, .msg_iovlen = 1};
	say_data("recvmsg", recvmsg(c, &m, 0), buf);
	printf("recvmsg namelen %u flags %#x\n", m.msg_namelen, m.msg_flags);
	/* 5 */
	struct sockaddr_storage peer;
	socklen_t pl = scen_addr(&peer, 0);
	say("sendto with the address", sendto(c, "from", 4, 0, (struct sockaddr *)&peer, pl));
	memset(buf, 0, sizeof(buf));
	say_data("recv", recv(c, buf, 2, MSG_WAITALL), buf);
	memset(buf, 0, sizeof(buf));
	say_data("recv", recv(c, buf, 2, MSG_WAITALL), buf);
	/* 6 */
	sync_wait(c, 'W');
	memset(buf, 'x', 100);
	say("write 100", write(c, buf, 100));
	usleep(50000);
	memset(buf, 'y', 100);
	say("write 100", write(c, buf, 100));
	usleep(50000);
	memset(buf, 'z', 100);
	say("write 100", write(c, buf, 100));
	/* 7 */
	sync_wait(c, 'F');
	say("send 10", send(c, "0123456789", 10, 0));
	/* 8 */
	sync_wait(c, 'A');
	int c2 = tcp_connect_retry(0);
	say("second connect", 0);
	say("send second", send(c2, "second", 6, 0));
	say("recv after the peer closed", recv(c2, buf, sizeof(buf), 0));
	close(c2);
	/* 9 */
	sync_wait(c, 'L');
	int c3 = tcp_connect_retry(2);
	say("connect to the wildcard listener", 0);
	say("send", send(c3, "wild", 4, 0));
	memset(buf, 0, sizeof(buf));
	say_data("recv", recv(c3, buf, sizeof(buf), MSG_WAITALL), buf);
	close(c3);
	/* 10 */
	sync_wait(c, 'C');
	say("close", close(c));
}
