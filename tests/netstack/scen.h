/*
 * What every socket scenario shares: argument parsing, addresses built from
 * the command line, and a transcript that shows each step's result class and
 * errno name but never an address, a port, an fd number or a timing, so a
 * role's transcript is the same over kernel loopback and over lwIP.
 *   SCENARIO server|client inet|inet6 ADDRESS PORT [ADDRESS4]
 * The server binds ADDRESS (the client connects to it) on PORT and a few
 * ports above it; PORT+1 is never listened on (a closed port).
 */
#ifndef SCEN_H
#define SCEN_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>

struct scen {
	int server;	   /* role: 1 server, 0 client */
	int family;	   /* AF_INET or AF_INET6 */
	const char *addr;  /* the server's address (bound, or connected to) */
	int port;	   /* the base port */
	const char *addr4; /* optional fifth argument (v6.c: the IPv4 address) */
};
extern struct scen sc;
extern volatile sig_atomic_t scen_sigpipes;

/* Each scenario file defines these two. */
void scen_server(void);
void scen_client(void);

/* Transcript lines. */
void say(const char *what, long r);			  /* "what: r" or "what: -1 ENAME" */
void say_data(const char *what, long r, const char *buf); /* what: r "data" */
void say_bool(const char *what, int v);			  /* "what: yes" / "what: no" */
void say_revents(const char *what, int n, short revents);
void say_poll(const char *what, int fd, short events, int timeout_ms); /* poll one fd, print */
const char *revents_name(short revents);
void fail_setup(const char *what); /* a step the scenario needs failed */

/* Addresses: ADDRESS (or addr4, or the wildcard) at PORT + offset. */
socklen_t scen_addr(struct sockaddr_storage *ss, int offset);
socklen_t scen_any(struct sockaddr_storage *ss, int offset);
socklen_t scen_addr_of(struct sockaddr_storage *ss, int family, const char *text, int port);
int scen_port_of(const struct sockaddr_storage *ss);
/* getsockname or getpeername: the family and whether the port is set. */
void show_name(const char *what, int fd, int peer);

/* Sockets. */
int tcp_listener(int offset, int backlog); /* SO_REUSEADDR, bind ADDRESS, listen */
int tcp_connect_retry(int offset);	   /* connect, retried while the server starts */
int opt_int(int fd, int level, int name);  /* the value, or -1 with errno */
void say_opt(const char *what, int fd, int level, int name);
void say_so_error(const char *what, int fd); /* SO_ERROR by name: "0" or "ECONNREFUSED" */
void say_flags(const char *what, int fd);    /* O_NONBLOCK and FD_CLOEXEC */

/* Data. */
long read_full(int fd, char *buf, size_t n);
long write_full(int fd, const char *buf, size_t n);
void fill_pattern(char *buf, size_t n, unsigned seed);
unsigned long checksum(const char *buf, size_t n, unsigned long sum);
/* Writes without blocking (fd must be non-blocking) until three pauses in a
 * row bring no more room: the peer's receive buffer and this send buffer
 * are then both full. Returns the bytes written (0 if it never filled). */
long fill_until_full(int fd);
/* Lock-step over a connection: one tagged byte each way. */
void sync_send(int fd, char tag);
void sync_wait(int fd, char tag);
double now_seconds(void);
short wait_for(int fd, short events, int timeout_ms); /* revents, 0 on timeout */

#endif
