/*
 * Inside the netstack module: lwIP's start-up and its TAP netif (stack.c),
 * the socket objects and their mirrored readiness (sock.c), the system
 * calls served on them (sys.c).
 */
#ifndef SY_NET_H
#define SY_NET_H

#include <lwip/ip_addr.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>
#include <lwip/udp.h>
#include <stdint.h>
#include <sys/socket.h>

#include "module.h"

#define SY_NH __attribute__((visibility("hidden")))

extern const struct sy_net_host *sy_net_host SY_NH;
#define H sy_net_host

long sy_net_raw(long nr, long a, long b, long c, long d, long e, long f) SY_NH;
#define raw0(n) sy_net_raw((n), 0, 0, 0, 0, 0, 0)
#define raw1(n, a) sy_net_raw((n), (long)(a), 0, 0, 0, 0, 0)
#define raw2(n, a, b) sy_net_raw((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define raw3(n, a, b, c) sy_net_raw((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define raw4(n, a, b, c, d) sy_net_raw((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define raw5(n, a, b, c, d, e)                                                                     \
	sy_net_raw((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* ---- the stack (stack.c) ---- */

/* Starts lwIP and its TAP netif on first use: 0, or -errno (said once on
 * stderr, with what to do about it). */
int sy_stack_start(void) SY_NH;
/* Is lwIP running in this process (not a forked copy of a parent's)? */
int sy_stack_live(void) SY_NH;
void sy_stack_forked(void) SY_NH;
/* Waits (at most max_ms) until lwIP has sent what closed sockets hold. */
void sy_stack_drain(int max_ms) SY_NH;
/* Is addr one of lwIP's own addresses (or any)? */
int sy_stack_is_local(const ip_addr_t *addr) SY_NH;

void sy_core_lock(void) SY_NH;
void sy_core_unlock(void) SY_NH;

/* ---- sockets (sock.c) ---- */

enum nsock_kind {
	NS_PENDING, /* a kernel socket of a routed family, not decided yet */
	NS_TCP,	    /* lwIP TCP: fresh, connecting or connected */
	NS_LISTEN,  /* lwIP TCP listening */
	NS_UDP,	    /* lwIP UDP */
};

struct dgram {
	struct dgram *next;
	struct pbuf *p;
	ip_addr_t from;
	uint16_t port;
};

/* One open socket description, as this process knows it. Everything but
 * refs is guarded by lwIP's core lock; callbacks run in lwIP's thread. */
struct nsock {
	int refs; /* fds of this process naming it, plus calls in flight */
	enum nsock_kind kind;
	int domain, type, protocol;
	int q;	/* the control end of the placeholder pair, hidden; -1 if none */
	int pd; /* a hidden dup of the program's end, to drain and fill it */
	struct tcp_pcb *tcp;
	struct udp_pcb *udp;
	/* TCP */
	struct dgram *rq_head, *rq_tail; /* received segments, not yet read */
	size_t rq_off;			  /* read from the first one already */
	size_t rq_bytes;		  /* not yet read, in all */
	int rd_eof;	  /* the peer's FIN came */
	int connecting, connected, was_connected;
	int shut_rd, shut_wr; /* shutdown by the program */
	int err;	      /* SO_ERROR: an error not yet reported */
	int dead;	      /* the connection is gone (reset, aborted, timed out) */
	/* listening: connections not yet accepted */
	struct nsock *acq_head, *acq_tail, *acq_next;
	int acq_len, backlog;
	/* UDP */
	struct dgram *dq_head, *dq_tail;
	size_t dq_bytes;
	/* what the placeholder shows (the mirror) */
	int m_unwritable; /* its send side is filled: no POLLOUT */
	int m_qclosed;	  /* q was closed: POLLERR|POLLHUP, for good */
	int m_rdhup;	  /* q was shut for writing: POLLIN|POLLRDHUP */
	/* addresses, kept after the pcb is gone */
	ip_addr_t local_ip, remote_ip;
	uint16_t local_port, remote_port;
	int bound;
	/* options */
	int reuseaddr, reuseport, keepalive, nodelay, v6only, broadcast;
	int keepidle, keepintvl, keepcnt;
	int linger_on, linger_sec;
	int rcvbuf, sndbuf;
	int64_t rcvtimeo_ns, sndtimeo_ns; /* 0: none */
	int tos, ttl;
	int misc_opts[8]; /* options kept and reported, not modelled (see sys.c) */
};

void sy_nsock_setup(void) SY_NH;
/* The nsock behind fd, with a reference; NULL if fd is not one. */
struct nsock *sy_nsock_get(int fd) SY_NH;
void sy_nsock_put(struct nsock *ns) SY_NH;
/* fd now names ns (NULL: nothing of ours); keeps fd_map in step. */
void sy_nsock_set(int fd, struct nsock *ns) SY_NH;
struct nsock *sy_nsock_new(int domain, int type, int protocol) SY_NH;
/* Calls fn for every fd naming ns. */
void sy_nsock_each_fd(struct nsock *ns, void (*fn)(int fd, void *arg), void *arg) SY_NH;
/* Every fd of ours, for execve and close_range. */
void sy_nsock_each(void (*fn)(int fd, struct nsock *ns, void *arg), void *arg) SY_NH;

/* A new placeholder pair for ns: the program's end (an fd at the lowest
 * free number, or made to be `at` if at >= 0, with cloexec/nonblock as
 * asked), the hidden control end in ns->q and the hidden dup in ns->pd.
 * Returns the fd or -errno. */
int sy_mirror_make(struct nsock *ns, int at, int cloexec, int nonblock) SY_NH;
/* The same at fd (a pending socket's number, a failed connect's), with
 * that fd's close-on-exec and O_NONBLOCK. */
int sy_mirror_replace(struct nsock *ns, int fd) SY_NH;
/* A copy of fd at the top of the range, hidden from the program (close_old:
 * fd itself goes). Returns it or -errno. */
int sy_fd_hide_high(int fd, int close_old) SY_NH;
/* errno for an lwIP error; connecting: a reset or abort refuses the connect */
int sy_lwip_errno(err_t e, int connecting) SY_NH;

/* The mirror, driven under the core lock (sock.c says what shows what). */
void sy_mirror_readable(struct nsock *ns) SY_NH;
void sy_mirror_drain(struct nsock *ns) SY_NH;
void sy_mirror_unwritable(struct nsock *ns) SY_NH;
void sy_mirror_writable(struct nsock *ns) SY_NH;
void sy_mirror_eof(struct nsock *ns) SY_NH;
void sy_mirror_error(struct nsock *ns) SY_NH;
void sy_mirror_close(struct nsock *ns) SY_NH;

/* lwIP callbacks and pcb set-up */
void sy_tcp_attach(struct nsock *ns, struct tcp_pcb *pcb) SY_NH;
void sy_udp_attach(struct nsock *ns, struct udp_pcb *pcb) SY_NH;
err_t sy_on_connected(void *arg, struct tcp_pcb *pcb, err_t err) SY_NH;
/* Lets go of the lwIP side (under the core lock): close (or abort with
 * SO_LINGER 0), frees queued data; ns itself is freed by the caller. */
void sy_nsock_release_lwip(struct nsock *ns) SY_NH;
void sy_nsock_free(struct nsock *ns) SY_NH;

/* Room in lwIP's send buffer worth telling the program about (POLLOUT). */
int sy_tcp_send_room(struct tcp_pcb *pcb) SY_NH;
/* The TCP receive queue: copy out (from the start), consume. */
void sy_rq_copy(struct nsock *ns, char *dst, size_t n) SY_NH;
void sy_rq_consume(struct nsock *ns, size_t n) SY_NH;
/* The first datagram of a UDP socket, taken off its queue. */
struct dgram *sy_dq_pop(struct nsock *ns) SY_NH;

/* ---- system calls (sys.c) ---- */
int sy_net_hook_setup(char *err, size_t errlen) SY_NH;
extern long sy_net_served SY_NH, sy_net_sockets SY_NH, sy_net_kernel_sockets SY_NH,
    sy_net_refused SY_NH;

#endif
