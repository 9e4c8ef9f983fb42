/*
 * Large transfers: 4 MiB each way with a checksum; both ways at once (a
 * writer thread and a reader on one socket, as full-duplex programs do);
 * writev with many iovecs and recv with MSG_WAITALL; sendmsg/recvmsg in
 * odd sizes; and a client that writes 2 MiB, closes and exits at once (the
 * server must still get all of it). Only byte counts and checksums are
 * printed.
 */
#include "scen.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define BULK (4u << 20)
#define LAST (2u << 20)

static char *pattern(unsigned seed, size_t n)
{
	char *p = malloc(n);
	fill_pattern(p, n, seed);
	return p;
}

static void receive_and_check(const char *what, int fd, size_t n, unsigned seed)
{
	char *buf = malloc(n), *want = pattern(seed, n);
	long got = read_full(fd, buf, n);
	printf("%s: %ld equal %d checksum %016lx\n", what, got,
	       got == (long)n && !memcmp(buf, want, n),
	       checksum(buf, got > 0 ? (size_t)got : 0, 14695981039346656037ul));
	fflush(stdout);
	free(buf);
	free(want);
}

struct writer {
	int fd;
	unsigned seed;
	long put;
};

static void *writer_main(void *p)
{
	struct writer *w = p;
	char *data = pattern(w->seed, BULK);
	w->put = write_full(w->fd, data, BULK);
	free(data);
	return NULL;
}

/* Both ways at once: a thread writes 4 MiB while this one reads 4 MiB. */
static void duplex(int fd, unsigned out_seed, unsigned in_seed)
{
	struct writer w = {fd, out_seed, 0};
	pthread_t th;
	pthread_create(&th, NULL, writer_main, &w);
	receive_and_check("duplex received", fd, BULK, in_seed);
	pthread_join(th, NULL);
	printf("duplex sent: %ld\n", w.put);
}

static void send_iovecs(int fd, unsigned seed)
{
	/* 1 MiB in 256 pieces of 4 KiB, through writev and then sendmsg */
	char *data = pattern(seed, 1u << 20);
	struct iovec iov[256];
	for (int i = 0; i < 256; i++)
		iov[i] = (struct iovec){data + i * 4096, 4096};
	long put = 0;
	int first = 0;
	while (first < 256) { /* writev may take less than all of it */
		ssize_t w = writev(fd, iov + first, 256 - first);
		if (w <= 0)
			break;
		put += w;
		while (first < 256 && (size_t)w >= iov[first].iov_len)
			w -= (ssize_t)iov[first++].iov_len;
		if (first < 256) {
			iov[first].iov_base = (char *)iov[first].iov_base + w;
			iov[first].iov_len -= (size_t)w;
		}
	}
	printf("writev 256 x 4 KiB: %ld\n", put);
	/* odd sizes in one sendmsg */
	struct iovec odd[3] = {{data, 1}, {data + 1, 4999}, {data + 5000, 65536}};
	struct msghdr m = {.msg_iov = odd, .msg_iovlen = 3};
	long total = 0, r;
	while (total < 70536 && (r = sendmsg(fd, &m, 0)) > 0) {
		total += r;
		while (m.msg_iovlen && (size_t)r >= m.msg_iov->iov_len) {
			r -= (long)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + r;
			m.msg_iov->iov_len -= (size_t)r;
		}
	}
	printf("sendmsg 1+4999+65536: %ld\n", total);
	fflush(stdout);
	free(data);
}

static void recv_iovecs(int fd, unsigned seed)
{
	char *want = pattern(seed, 1u << 20), *buf = malloc(1u << 20);
	long r = recv(fd, buf, 1u << 20, MSG_WAITALL);
	printf("recv MSG_WAITALL 1 MiB: %ld equal %d\n", r,
	       r == (1 << 20) && !memcmp(buf, want, 1u << 20));
	char *b2 = malloc(70536);
	struct iovec iv[2] = {{b2, 3}, {b2 + 3, 70533}};
	struct msghdr m = {.msg_iov = iv, .msg_iovlen = 2};
	r = recvmsg(fd, &m, MSG_WAITALL);
	printf("recvmsg MSG_WAITALL 3+70533: %ld equal %d\n", r,
	       r == 70536 && !memcmp(b2, want, 70536));
	fflush(stdout);
	free(want);
	free(buf);
	free(b2);
}

void scen_server(void)
{
	int l = tcp_listener(0, 8);
	int a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	receive_and_check("received from the client", a, BULK, 1);
	char *data = pattern(2, BULK);
	say("sent to the client", write_full(a, data, BULK));
	free(data);
	duplex(a, 3, 4);
	send_iovecs(a, 5);
	recv_iovecs(a, 6);
	close(a);

	/* the client writes, closes and exits at once */
	a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);
	usleep(300000);
	receive_and_check("received after the client exited", a, LAST, 7);
	char c;
	say("recv eof", recv(a, &c, 1, 0));
	close(a);
	close(l);
}

void scen_client(void)
{
	int c = tcp_connect_retry(0);
	say("connect", 0);
	char *data = pattern(1, BULK);
	say("sent to the server", write_full(c, data, BULK));
	free(data);
	receive_and_check("received from the server", c, BULK, 2);
	duplex(c, 4, 3);
	recv_iovecs(c, 5);
	send_iovecs(c, 6);
	close(c);

	c = tcp_connect_retry(0);
	say("connect", 0);
	data = pattern(7, LAST);
	say("sent before exiting", write_full(c, data, LAST));
	printf("end\n");
	fflush(stdout);
	_exit(0); /* no close: the exit closes it */
}
