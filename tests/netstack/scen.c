/*
 * The scenario programs' shared half: main, the transcript helpers and the
 * socket helpers (scen.h says what each is for).
 */
#include "scen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct scen sc;
volatile sig_atomic_t scen_sigpipes;

void say(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
	fflush(stdout);
}

void say_data(const char *what, long r, const char *buf)
{
	if (r < 0) {
		say(what, r);
		return;
	}
	printf("%s: %ld \"", what, r);
	for (long i = 0; i < r && i < 40; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c >= 32 && c < 127 && c != '"' && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("%s\"\n", r > 40 ? "..." : "");
	fflush(stdout);
}

void say_bool(const char *what, int v)
{
	printf("%s: %s\n", what, v ? "yes" : "no");
	fflush(stdout);
}

const char *revents_name(short revents)
{
	static char buf[96];
	static const struct {
		short bit;
		const char *name;
	} bits[] = {{POLLIN, "IN"},	  {POLLPRI, "PRI"},	  {POLLOUT, "OUT"},
		    {POLLRDHUP, "RDHUP"}, {POLLERR, "ERR"},	  {POLLHUP, "HUP"},
		    {POLLNVAL, "NVAL"},	  {POLLRDNORM, "RDNORM"}, {POLLWRNORM, "WRNORM"}};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (revents & bits[i].bit) {
			if (buf[0])
				strcat(buf, "|");
			strcat(buf, bits[i].name);
		}
	if (!buf[0])
		strcpy(buf, "none");
	return buf;
}

void say_revents(const char *what, int n, short revents)
{
	if (n < 0)
		say(what, n);
	else
		printf("%s: %d %s\n", what, n, revents_name(revents));
	fflush(stdout);
}

void say_poll(const char *what, int fd, short events, int timeout_ms)
{
	struct pollfd p = {fd, events, 0};
	int n = poll(&p, 1, timeout_ms);
	say_revents(what, n, p.revents);
}

void fail_setup(const char *what)
{
	printf("SETUP FAILED: %s: %s\n", what, strerrorname_np(errno));
	fflush(stdout);
	exit(1);
}

socklen_t scen_addr_of(struct sockaddr_storage *ss, int family, const char *text, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		if (text && inet_pton(AF_INET, text, &s->sin_addr) != 1) {
			fprintf(stderr, "not an IPv4 address: %s\n", text);
			exit(2);
		}
		return sizeof(*s);
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons((uint16_t)port);
	if (text && inet_pton(AF_INET6, text, &s->sin6_addr) != 1) {
		fprintf(stderr, "not an IPv6 address: %s\n", text);
		exit(2);
	}
	return sizeof(*s);
}

socklen_t scen_addr(struct sockaddr_storage *ss, int offset)
{
	return scen_addr_of(ss, sc.family, sc.addr, sc.port + offset);
}

socklen_t scen_any(struct sockaddr_storage *ss, int offset)
{
	return scen_addr_of(ss, sc.family, NULL, offset < 0 ? 0 : sc.port + offset);
}

int scen_port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return -1;
}

static const char *family_name(int f)
{
	return f == AF_INET	? "AF_INET"
	       : f == AF_INET6	? "AF_INET6"
	       : f == AF_UNSPEC ? "AF_UNSPEC"
				: "other";
}

void show_name(const char *what, int fd, int peer)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len = sizeof(ss);
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		     : getsockname(fd, (struct sockaddr *)&ss, &len);
	if (r < 0) {
		say(what, r);
		return;
	}
	socklen_t want =
	    ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	printf("%s: %d %s port-set %d len-ok %d\n", what, r, family_name(ss.ss_family),
	       scen_port_of(&ss) > 0, len == want);
	fflush(stdout);
}

int tcp_listener(int offset, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, offset);
	int one = 1;
	int s = socket(sc.family, SOCK_STREAM, 0);
	if (s < 0)
		fail_setup("socket");
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		fail_setup("SO_REUSEADDR");
	if (bind(s, (struct sockaddr *)&ss, len) < 0)
		fail_setup("bind");
	if (listen(s, backlog) < 0)
		fail_setup("listen");
	return s;
}

int tcp_connect_retry(int offset)
{
	struct sockaddr_storage ss;
	socklen_t len = scen_addr(&ss, offset);
	double until = now_seconds() + 10;
	for (;;) {
		int c = socket(sc.family, SOCK_STREAM, 0);
		if (c < 0)
			fail_setup("socket");
		if (connect(c, (struct sockaddr *)&ss, len) == 0)
			return c;
		int e = errno;
		close(c);
		errno = e;
		if ((e != ECONNREFUSED && e != ENETUNREACH && e != EHOSTUNREACH) ||
		    now_seconds() > until)
			fail_setup("connect to the server");
		usleep(50000);
	}
}

int opt_int(int fd, int level, int name)
{
	int v = 0;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, level, name, &v, &l) < 0)
		return -1;
	return v;
}

void say_opt(const char *what, int fd, int level, int name)
{
	int v = 0;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, level, name, &v, &l) < 0)
		say(what, -1);
	else
		printf("%s: %d (len %u)\n", what, v, l);
	fflush(stdout);
}

void say_so_error(const char *what, int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) < 0)
		say(what, -1);
	else if (v == 0)
		printf("%s: 0\n", what);
	else
		printf("%s: %s\n", what, strerrorname_np(v));
	fflush(stdout);
}

void say_flags(const char *what, int fd)
{
	int fl = fcntl(fd, F_GETFL), fd_fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fd_fl < 0) {
		say(what, -1);
		return;
	}
	printf("%s: O_NONBLOCK %d FD_CLOEXEC %d O_RDWR %d\n", what, (fl & O_NONBLOCK) != 0,
	       (fd_fl & FD_CLOEXEC) != 0, (fl & O_ACCMODE) == O_RDWR);
	fflush(stdout);
}

long read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return got ? (long)got : -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (long)got;
}

long write_full(int fd, const char *buf, size_t n)
{
	size_t put = 0;
	while (put < n) {
		ssize_t w = write(fd, buf + put, n - put);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return put ? (long)put : -1;
		put += (size_t)w;
	}
	return (long)put;
}

void fill_pattern(char *buf, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (char)(x >> 16);
	}
}

unsigned long checksum(const char *buf, size_t n, unsigned long sum)
{
	for (size_t i = 0; i < n; i++)
		sum = (sum ^ (unsigned char)buf[i]) * 1099511628211ul;
	return sum;
}

long fill_until_full(int fd)
{
	static char chunk[65536];
	long total = 0;
	int quiet = 0;
	for (int round = 0; round < 40 && total < (64l << 20); round++) {
		long put = 0;
		ssize_t w;
		while ((w = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL)) > 0)
			put += w;
		total += put;
		quiet = put == 0 && round > 0 ? quiet + 1 : 0;
		if (quiet == 3)
			return total;
		usleep(300000);
	}
	return 0;
}

void sync_send(int fd, char tag)
{
	if (write(fd, &tag, 1) != 1)
		fail_setup("sync send");
}

void sync_wait(int fd, char tag)
{
	char got = 0;
	ssize_t r;
	do
		r = read(fd, &got, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1 || got != tag) {
		printf("SYNC LOST: wanted '%c', read %zd '%c'\n", tag, r, r == 1 ? got : '-');
		fflush(stdout);
		exit(1);
	}
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

short wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd p = {fd, events, 0};
	int n;
	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n > 0 ? p.revents : 0;
}

static void on_sigpipe(int sig)
{
	(void)sig;
	scen_sigpipes++;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6 || (strcmp(argv[1], "server") && strcmp(argv[1], "client")) ||
	    (strcmp(argv[2], "inet") && strcmp(argv[2], "inet6"))) {
		fprintf(stderr, "usage: %s server|client inet|inet6 ADDRESS PORT [ADDRESS4]\n",
			argv[0]);
		return 2;
	}
	sc.server = strcmp(argv[1], "server") == 0;
	sc.family = strcmp(argv[2], "inet6") == 0 ? AF_INET6 : AF_INET;
	sc.addr = argv[3];
	sc.port = atoi(argv[4]);
	sc.addr4 = argc == 6 ? argv[5] : NULL;
	struct sockaddr_storage check;
	scen_addr(&check, 0);
	struct sigaction sa = {0};
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
	alarm(30); /* a hang shows as a cut-off transcript */
	if (sc.server)
		scen_server();
	else
		scen_client();
	printf("end\n");
	return 0;
}
