/*
 * The netstack's hook: the socket system calls on lwIP sockets, and the
 * bookkeeping that keeps the fd table in step with the kernel (socket, dup,
 * dup2, close, close_range, execve).
 *
 * A socket of a routed family starts as an ordinary kernel socket, marked
 * "pending": only bind, connect, listen or sendto tell where it belongs.
 * Loopback stays on the kernel (unless the config says otherwise), any other
 * address goes to lwIP: then the kernel socket is replaced, at the same fd
 * number and with its options, flags and close-on-exec bit, by the
 * placeholder of an lwIP socket (sock.c).
 *
 * Calls on lwIP sockets run with lwIP's core lock held; a program handler
 * that comes in meanwhile is deferred to the end of the call, except while
 * the call waits, when it runs and may interrupt the wait (EINTR, or a
 * restart under SA_RESTART), as in the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <switchyard/hook.h>
#include <time.h>

#undef TCP_MSS /* netinet/tcp.h's option number; lwIP's own is its segment size */
#include "net.h"

long sy_net_served, sy_net_sockets, sy_net_kernel_sockets, sy_net_refused;

#define BOUNCE_SIZE (256 * 1024)
static __thread char *bounce;
static pthread_key_t bounce_key; /* frees a thread's buffer when it exits */
static pthread_once_t bounce_once = PTHREAD_ONCE_INIT;

static void bounce_key_make(void)
{
	pthread_key_create(&bounce_key, free);
}

static char *bounce_buf(void)
{
	if (!bounce) {
		pthread_once(&bounce_once, bounce_key_make);
		bounce = malloc(BOUNCE_SIZE);
		pthread_setspecific(bounce_key, bounce);
	}
	return bounce;
}

/* ---- program memory ---- */

/* A plain copy where the memory tracker knows the program's side is
 * mapped, else the host's fault-free copy: 0 or -EFAULT. */
static int user_copy(void *dst, const void *src, size_t n, int to_program)
{
	if (!n)
		return 0;
	if (to_program ? H->user_writable(dst, n) : H->user_readable(src, n)) {
		memcpy(dst, src, n);
		return 0;
	}
	return to_program ? H->copy_out(dst, src, n) : H->copy_in(dst, src, n);
}
#define copy_in(dst, src, n) user_copy((dst), (src), (n), 0)
#define copy_out(dst, src, n) user_copy((dst), (src), (n), 1)

/* A program's iovec array, checked as the kernel does. */
#define IOV_MAX_KERNEL 1024
struct iov_list {
	struct iovec v[IOV_MAX_KERNEL];
	int n;
	size_t total;
};

static int iov_get(struct iov_list *l, const struct iovec *uiov, long cnt)
{
	if (cnt < 0 || cnt > IOV_MAX_KERNEL)
		return -EINVAL;
	l->n = (int)cnt;
	l->total = 0;
	if (cnt && copy_in(l->v, uiov, sizeof(struct iovec) * (size_t)cnt) < 0)
		return -EFAULT;
	for (int i = 0; i < l->n; i++) {
		if ((ssize_t)l->v[i].iov_len < 0)
			return -EINVAL;
		l->total += l->v[i].iov_len;
		if ((ssize_t)l->total < 0)
			return -EINVAL;
	}
	return 0;
}

/* The iovecs of the call being served (a thread serves one at a time). */
static __thread struct iov_list thread_iovs;

static void iov_one(struct iov_list *l, void *base, size_t len)
{
	l->v[0].iov_base = base;
	l->v[0].iov_len = len;
	l->n = 1;
	l->total = len;
}

/* ---- addresses ---- */

static int is_v4mapped(const struct in6_addr *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a->s6_addr, prefix, 12) == 0;
}

/* A program's sockaddr for a socket of `domain` into ip/port: 0, or -errno
 * as Linux gives it (EINVAL for a short length, EAFNOSUPPORT for another
 * family). *unspec: AF_UNSPEC (a disconnect for connect). */
static int addr_in(int domain, const void *uaddr, long len, ip_addr_t *ip, uint16_t *port,
		   int *unspec)
{
	struct sockaddr_storage ss;
	if (len < 0 || len > (long)sizeof(ss))
		return -EINVAL;
	if (len < (long)sizeof(sa_family_t))
		return -EINVAL;
	if (copy_in(&ss, uaddr, (size_t)len) < 0)
		return -EFAULT;
	if (unspec)
		*unspec = ss.ss_family == AF_UNSPEC;
	if (domain == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&ss;
		if (len < (long)sizeof(*s))
			return -EINVAL;
		if (s->sin_family != AF_INET &&
		    !(s->sin_family == AF_UNSPEC && s->sin_addr.s_addr == htonl(INADDR_ANY)))
			return -EAFNOSUPPORT;
		ip_addr_set_ip4_u32_val(*ip, s->sin_addr.s_addr);
		*port = ntohs(s->sin_port);
		return 0;
	}
	const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&ss;
	if (len < (long)sizeof(*s))
		return -EINVAL;
	if (s->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (is_v4mapped(&s->sin6_addr)) {
		uint32_t v4;
		memcpy(&v4, s->sin6_addr.s6_addr + 12, 4);
		ip_addr_set_ip4_u32_val(*ip, v4);
	} else {
		IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(ip)->addr, s->sin6_addr.s6_addr, 16);
		ip6_addr_clear_zone(ip_2_ip6(ip));
	}
	*port = ntohs(s->sin6_port);
	return 0;
}

static socklen_t addr_make(int domain, const ip_addr_t *ip, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (domain == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		s->sin_addr.s_addr = IP_IS_V4(ip) ? ip4_addr_get_u32(ip_2_ip4(ip)) : 0;
		return sizeof(*s);
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	if (IP_IS_V4(ip) && !ip_addr_isany(ip)) {
		uint32_t v4 = ip4_addr_get_u32(ip_2_ip4(ip));
		s->sin6_addr.s6_addr[10] = s->sin6_addr.s6_addr[11] = 0xff;
		memcpy(s->sin6_addr.s6_addr + 12, &v4, 4);
	} else if (IP_IS_V6(ip)) {
		memcpy(s->sin6_addr.s6_addr, ip_2_ip6(ip)->addr, 16);
	}
	return sizeof(*s);
}

/* Writes an address out the way accept, getsockname and recvfrom do:
 * truncated to the program's length, the full length reported back. */
static int addr_out(int domain, const ip_addr_t *ip, uint16_t port, void *uaddr, void *ulen)
{
	if (!uaddr || !ulen)
		return 0;
	socklen_t len;
	if (copy_in(&len, ulen, sizeof(len)) < 0)
		return -EFAULT;
	if ((int)len < 0)
		return -EINVAL;
	struct sockaddr_storage ss;
	socklen_t full = addr_make(domain, ip, port, &ss);
	if (copy_out(uaddr, &ss, len < full ? len : full) < 0 ||
	    copy_out(ulen, &full, sizeof(full)) < 0)
		return -EFAULT;
	return 0;
}

static int is_loopback(const ip_addr_t *ip)
{
	if (IP_IS_V4(ip))
		return ip4_addr_isloopback(ip_2_ip4(ip));
	return ip6_addr_isloopback(ip_2_ip6(ip));
}

/* ---- waiting ---- */

#define BIT(sig) (1ull << ((sig)-1))
#define SYNC_SIGNALS                                                                               \
	(BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP) | BIT(SIGSYS))

enum { WOKEN = 0, RESTART = 1 };

/* Waits with the core lock let go until fd shows one of events. Returns
 * WOKEN, RESTART (a handler with SA_RESTART ran: look again), -EAGAIN when
 * timeout_ns (0: none) passed, -EINTR. The program's mask applies during
 * the wait only (ppoll's), so a signal cannot slip in between. */
static int wait_fd(int fd, short events, int64_t timeout_ns)
{
	uint64_t all = ~SYNC_SIGNALS, old;
	sy_core_unlock();
	raw4(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, 8);
	H->intr_arm();
	H->signals_undefer(); /* deferred ones come in during the wait */
	struct pollfd pfd = {fd, events, 0};
	struct timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
	long r = raw5(SYS_ppoll, &pfd, 1, timeout_ns ? &ts : NULL, &old, 8);
	raw4(SYS_rt_sigprocmask, SIG_SETMASK, &old, 0, 8);
	int restart = H->intr_restart();
	H->signals_defer();
	sy_core_lock();
	if (r == -EINTR)
		return restart && !timeout_ns ? RESTART : -EINTR;
	if (r == 0)
		return -EAGAIN;
	return WOKEN;
}

/* Is the description non-blocking (flags or MSG_DONTWAIT)? Asked of the
 * kernel only when a call would block: it holds the description's flags. */
static int nonblocking(int fd, int flags)
{
	if (flags & MSG_DONTWAIT)
		return 1;
	long fl = raw2(SYS_fcntl, fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}

static __thread int pending_sigpipe; /* raised once the call is done */

/* ---- TCP data ---- */

/* Copies n bytes between buf and the iovecs, from byte `at` of theirs on;
 * to_program: into the iovecs. 0 or -EFAULT. */
static int iov_copy_at(const struct iov_list *l, size_t at, char *buf, size_t n, int to_program)
{
	for (int i = 0; i < l->n && n; i++) {
		if (at >= l->v[i].iov_len) {
			at -= l->v[i].iov_len;
			continue;
		}
		size_t c = l->v[i].iov_len - at < n ? l->v[i].iov_len - at : n;
		char *prog = (char *)l->v[i].iov_base + at;
		if (user_copy(to_program ? prog : buf, to_program ? buf : prog, c, to_program) < 0)
			return -EFAULT;
		buf += c;
		n -= c;
		at = 0;
	}
	return 0;
}

static long tcp_recv_data(struct nsock *ns, int fd, const struct iov_list *l, int flags)
{
	char *b = bounce_buf();
	if (!b)
		return -ENOMEM;
	size_t want = l->total, got = 0;
	for (;;) {
		if (ns->rq_bytes && got < want) {
			size_t n = ns->rq_bytes < want - got ? ns->rq_bytes : want - got;
			if (n > BOUNCE_SIZE)
				n = BOUNCE_SIZE;
			sy_rq_copy(ns, b, n);
			if (iov_copy_at(l, got, b, n, 1) < 0)
				return got ? (long)got : -EFAULT;
			if (!(flags & MSG_PEEK)) {
				sy_rq_consume(ns, n);
				if (!ns->rq_bytes)
					sy_mirror_drain(ns);
			}
			got += n;
			if (!(flags & MSG_WAITALL) || (flags & MSG_PEEK) || got == want)
				return (long)got;
			continue;
		}
		if (want == 0)
			return 0;
		if (ns->dead && ns->err && !got) {
			int e = ns->err;
			ns->err = 0;
			return -e;
		}
		if (ns->rd_eof || ns->shut_rd || ns->dead)
			return (long)got;
		if (!ns->connected && !ns->connecting)
			return got ? (long)got : -ENOTCONN;
		if (nonblocking(fd, flags))
			return got ? (long)got : -EAGAIN;
		int w = wait_fd(fd, POLLIN, ns->rcvtimeo_ns);
		if (w < 0)
			return got ? (long)got : w;
	}
}

static long tcp_send_data(struct nsock *ns, int fd, const struct iov_list *l, int flags)
{
	char *b = bounce_buf();
	if (!b)
		return -ENOMEM;
	size_t total = l->total, sent = 0;
	for (;;) {
		if (ns->dead || ns->shut_wr || (!ns->connected && !ns->connecting)) {
			if (sent)
				return (long)sent;
			if (ns->err) {
				int e = ns->err;
				ns->err = 0;
				return -e;
			}
			if (!(flags & MSG_NOSIGNAL))
				pending_sigpipe = 1;
			return -EPIPE;
		}
		if (ns->connected && ns->tcp) {
			if (total == 0)
				return 0;
			size_t room = tcp_sndbuf(ns->tcp);
			if (tcp_sndqueuelen(ns->tcp) >= TCP_SND_QUEUELEN - 4)
				room = 0;
			size_t n = total - sent;
			if (n > room)
				n = room;
			if (n > BOUNCE_SIZE)
				n = BOUNCE_SIZE;
			if (n) {
				if (iov_copy_at(l, sent, b, n, 0) < 0)
					return sent ? (long)sent : -EFAULT;
				size_t done = 0;
				while (done < n) {
					u16_t chunk = (u16_t)(n - done > 0xffff ? 0xffff : n - done);
					u8_t more = done + chunk < n || sent + n < total ||
							    (flags & MSG_MORE)
							? TCP_WRITE_FLAG_MORE
							: 0;
					if (tcp_write(ns->tcp, b + done, chunk,
						      TCP_WRITE_FLAG_COPY | more) != ERR_OK)
						break;
					done += chunk;
				}
				sent += done;
				if (done && !(flags & MSG_MORE))
					tcp_output(ns->tcp);
				if (sent == total)
					return (long)sent;
				if (done)
					continue;
			}
		}
		/* no room, or still connecting */
		sy_mirror_unwritable(ns);
		if (ns->tcp && ns->connected && sy_tcp_send_room(ns->tcp)) {
			sy_mirror_writable(ns); /* room came back meanwhile */
			continue;
		}
		if (nonblocking(fd, flags))
			return sent ? (long)sent : -EAGAIN;
		int w = wait_fd(fd, POLLOUT, ns->sndtimeo_ns);
		if (w < 0)
			return sent ? (long)sent : w;
	}
}

/* ---- UDP data ---- */

static long udp_recv_data(struct nsock *ns, int fd, const struct iov_list *l, int flags,
			  void *uaddr, void *ulen, int *msg_flags)
{
	char *b = bounce_buf();
	if (!b)
		return -ENOMEM;
	for (;;) {
		if (ns->dq_head) {
			struct dgram *d = ns->dq_head;
			size_t len = d->p->tot_len;
			size_t n = len < l->total ? len : l->total;
			pbuf_copy_partial(d->p, b, (u16_t)n, 0);
			if (iov_copy_at(l, 0, b, n, 1) < 0)
				return -EFAULT;
			if (addr_out(ns->domain, &d->from, d->port, uaddr, ulen) < 0)
				return -EFAULT;
			if (msg_flags)
				*msg_flags = len > l->total ? MSG_TRUNC : 0;
			if (!(flags & MSG_PEEK)) {
				sy_dq_pop(ns);
				pbuf_free(d->p);
				free(d);
				if (!ns->dq_head)
					sy_mirror_drain(ns);
			}
			return (long)((flags & MSG_TRUNC) ? len : n);
		}
		if (ns->shut_rd)
			return 0;
		if (ns->err) {
			int e = ns->err;
			ns->err = 0;
			return -e;
		}
		if (nonblocking(fd, flags))
			return -EAGAIN;
		int w = wait_fd(fd, POLLIN, ns->rcvtimeo_ns);
		if (w < 0)
			return w;
	}
}

static long udp_send_data(struct nsock *ns, const struct iov_list *l, const ip_addr_t *to,
			  uint16_t port, int flags)
{
	(void)flags;
	if (ns->shut_wr) {
		if (!(flags & MSG_NOSIGNAL))
			pending_sigpipe = 1;
		return -EPIPE;
	}
	if (!to && !ns->remote_port)
		return -EDESTADDRREQ;
	if (l->total > 65507)
		return -EMSGSIZE;
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)l->total, PBUF_RAM);
	if (!p)
		return -ENOBUFS;
	if (iov_copy_at(l, 0, p->payload, l->total, 0) < 0) {
		pbuf_free(p);
		return -EFAULT;
	}
	if (to && ns->domain == AF_INET6 && ns->v6only && IP_IS_V4(to)) {
		pbuf_free(p);
		return -ENETUNREACH;
	}
	err_t e = to ? udp_sendto(ns->udp, p, to, port) : udp_send(ns->udp, p);
	pbuf_free(p);
	if (e != ERR_OK)
		return -sy_lwip_errno(e, 0);
	ns->local_ip = ns->udp->local_ip;
	ns->local_port = ns->udp->local_port;
	ns->bound = 1;
	return (long)l->total;
}

/* ---- from the kernel to lwIP ---- */

static int routed(int domain, int type, int protocol)
{
	const struct sy_net_config *c = H->cfg;
	int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain == AF_INET && !(c->families & SY_NET_INET))
		return 0;
	if (domain == AF_INET6 && !(c->families & SY_NET_INET6))
		return 0;
	if (domain != AF_INET && domain != AF_INET6)
		return 0;
	if (t == SOCK_STREAM)
		return protocol == 0 || protocol == IPPROTO_TCP;
	if (t == SOCK_DGRAM)
		return protocol == 0 || protocol == IPPROTO_UDP;
	return 0;
}

/* Does a socket meant for addr go to lwIP? */
static int goes_to_lwip(const ip_addr_t *addr)
{
	return !is_loopback(addr) || H->cfg->loopback_lwip;
}

static int getopt_int(int fd, int level, int name, int dflt)
{
	int v = 0;
	socklen_t l = sizeof(v);
	return raw5(SYS_getsockopt, fd, level, name, &v, &l) == 0 ? v : dflt;
}

static void kernel_decided(int fd, void *arg)
{
	(void)arg;
	sy_nsock_set(fd, NULL);
}

/* The pending socket stays the kernel's: it is none of ours any more. */
static void to_kernel(struct nsock *ns)
{
	sy_nsock_each_fd(ns, kernel_decided, NULL);
	__atomic_fetch_add(&sy_net_kernel_sockets, 1, __ATOMIC_RELAXED);
}

static void dup_placeholder(int fd, void *arg)
{
	int p = *(int *)arg;
	if (fd == p)
		return;
	long fdfl = raw2(SYS_fcntl, fd, F_GETFD);
	raw3(SYS_dup3, p, fd, fdfl > 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
}

static int64_t timeval_ns(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000;
}

/* The pending socket at fd becomes an lwIP socket, with what the program
 * set on the kernel's so far. */
static long to_lwip(struct nsock *ns, int fd)
{
	int r = sy_stack_start();
	if (r < 0)
		return r;
	int tcp = (ns->type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM;
	ns->reuseaddr = getopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 0);
	ns->reuseport = getopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 0);
	ns->keepalive = getopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, 0);
	ns->broadcast = getopt_int(fd, SOL_SOCKET, SO_BROADCAST, 0);
	if (tcp) {
		ns->nodelay = getopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 0);
		ns->keepidle = getopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 7200);
		ns->keepintvl = getopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 75);
		ns->keepcnt = getopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 9);
	}
	if (ns->domain == AF_INET6)
		ns->v6only = getopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	struct linger lg = {0, 0};
	socklen_t l = sizeof(lg);
	if (raw5(SYS_getsockopt, fd, SOL_SOCKET, SO_LINGER, &lg, &l) == 0) {
		ns->linger_on = lg.l_onoff;
		ns->linger_sec = lg.l_linger;
	}
	struct timeval tv;
	l = sizeof(tv);
	if (raw5(SYS_getsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &l) == 0)
		ns->rcvtimeo_ns = timeval_ns(&tv);
	l = sizeof(tv);
	if (raw5(SYS_getsockopt, fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &l) == 0)
		ns->sndtimeo_ns = timeval_ns(&tv);
	u8_t iptype = ns->domain == AF_INET ? IPADDR_TYPE_V4
		      : ns->v6only	    ? IPADDR_TYPE_V6
					    : IPADDR_TYPE_ANY;
	sy_core_lock();
	if (tcp) {
		struct tcp_pcb *pcb = tcp_new_ip_type(iptype);
		if (pcb) {
			if (ns->reuseaddr)
				ip_set_option(pcb, SOF_REUSEADDR);
			if (ns->keepalive)
				ip_set_option(pcb, SOF_KEEPALIVE);
			pcb->keep_idle = (u32_t)ns->keepidle * 1000;
			pcb->keep_intvl = (u32_t)ns->keepintvl * 1000;
			pcb->keep_cnt = (u32_t)ns->keepcnt;
			if (ns->nodelay)
				tcp_nagle_disable(pcb);
			sy_tcp_attach(ns, pcb);
		}
	} else {
		struct udp_pcb *pcb = udp_new_ip_type(iptype);
		if (pcb) {
			if (ns->broadcast)
				ip_set_option(pcb, SOF_BROADCAST);
			if (ns->reuseaddr)
				ip_set_option(pcb, SOF_REUSEADDR);
			sy_udp_attach(ns, pcb);
		}
	}
	int ok = ns->tcp || ns->udp;
	sy_core_unlock();
	if (!ok)
		return -ENOMEM;
	int p = sy_mirror_replace(ns, fd);
	if (p < 0) {
		sy_core_lock();
		sy_nsock_release_lwip(ns);
		sy_core_unlock();
		return p;
	}
	ns->kind = tcp ? NS_TCP : NS_UDP;
	sy_nsock_each_fd(ns, dup_placeholder, &p);
	__atomic_fetch_add(&sy_net_sockets, 1, __ATOMIC_RELAXED);
	return 0;
}

/* ---- bind, listen, accept, connect, shutdown ---- */

static long do_bind(struct nsock *ns, const ip_addr_t *ip_in, uint16_t port)
{
	ip_addr_t ip = *ip_in;
	if (ns->bound || ns->kind == NS_LISTEN)
		return -EINVAL;
	if (!sy_stack_is_local(&ip))
		return -EADDRNOTAVAIL;
	if (port && port < 1024 && raw0(SYS_geteuid) != 0)
		return -EACCES;
	if (ns->domain == AF_INET6 && IP_IS_V4(&ip) && ns->v6only)
		return -EINVAL;
	if (ns->domain == AF_INET6 && IP_IS_V6(&ip) && ip_addr_isany(&ip) && !ns->v6only)
		ip = *IP_ANY_TYPE;
	err_t e;
	if (ns->tcp) {
		if (ns->reuseaddr)
			ip_set_option(ns->tcp, SOF_REUSEADDR);
		e = tcp_bind(ns->tcp, &ip, port);
		if (e == ERR_OK) {
			ns->local_ip = ns->tcp->local_ip;
			ns->local_port = ns->tcp->local_port;
		}
	} else if (ns->udp) {
		e = udp_bind(ns->udp, &ip, port);
		if (e == ERR_OK) {
			ns->local_ip = ns->udp->local_ip;
			ns->local_port = ns->udp->local_port;
		}
	} else {
		return -EINVAL;
	}
	if (e != ERR_OK)
		return e == ERR_USE ? -EADDRINUSE : -sy_lwip_errno(e, 0);
	ns->bound = 1;
	return 0;
}

static long do_listen(struct nsock *ns, int backlog)
{
	if (ns->kind == NS_UDP)
		return -EOPNOTSUPP;
	if (backlog < 0 || backlog > 4096)
		backlog = 4096; /* net.core.somaxconn */
	if (ns->kind == NS_LISTEN) {
		ns->backlog = backlog;
		return 0;
	}
	if (ns->connected || ns->connecting || ns->dead || !ns->tcp)
		return -EINVAL;
	if (!ns->bound) {
		long r = do_bind(ns, ns->domain == AF_INET ? IP4_ADDR_ANY : IP6_ADDR_ANY, 0);
		if (r < 0)
			return r;
	}
	err_t e = ERR_OK;
	struct tcp_pcb *l = tcp_listen_with_backlog_and_err(ns->tcp, 255, &e);
	if (!l)
		return e == ERR_USE ? -EADDRINUSE : -sy_lwip_errno(e, 0);
	ns->kind = NS_LISTEN;
	ns->backlog = backlog;
	sy_tcp_attach(ns, l);
	sy_mirror_unwritable(ns);
	return 0;
}

static long do_accept(struct nsock *ns, int fd, void *uaddr, void *ulen, int flags)
{
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (ns->kind != NS_LISTEN)
		return -EINVAL;
	if (uaddr && ulen) {
		socklen_t len;
		if (copy_in(&len, ulen, sizeof(len)) < 0)
			return -EFAULT;
		if ((int)len < 0)
			return -EINVAL;
	}
	while (!ns->acq_head) {
		if (nonblocking(fd, 0))
			return -EAGAIN;
		int w = wait_fd(fd, POLLIN, ns->rcvtimeo_ns);
		if (w < 0)
			return w;
		if (ns->kind != NS_LISTEN)
			return -EINVAL;
	}
	struct nsock *c = ns->acq_head;
	int nfd = sy_mirror_make(c, -1, flags & SOCK_CLOEXEC, flags & SOCK_NONBLOCK);
	if (nfd < 0)
		return nfd; /* EMFILE: the connection waits for a later accept */
	ns->acq_head = c->acq_next;
	if (!ns->acq_head) {
		ns->acq_tail = NULL;
		sy_mirror_drain(ns);
	}
	ns->acq_len--;
	c->acq_next = NULL;
	if (c->rq_bytes)
		sy_mirror_readable(c);
	if (c->rd_eof)
		sy_mirror_eof(c);
	if (c->dead)
		sy_mirror_error(c);
	sy_nsock_set(nfd, c);
	__atomic_fetch_add(&sy_net_sockets, 1, __ATOMIC_RELAXED);
	if (addr_out(c->domain, &c->remote_ip, c->remote_port, uaddr, ulen) < 0)
		return -EFAULT; /* as Linux: the connection is lost to the program */
	return nfd;
}

static long do_connect(struct nsock *ns, int fd, const ip_addr_t *ip, uint16_t port, int unspec)
{
	if (ns->kind == NS_UDP) {
		if (unspec) {
			udp_disconnect(ns->udp);
			ip_addr_set_zero(&ns->remote_ip);
			ns->remote_port = 0;
			return 0;
		}
		if (ns->domain == AF_INET6 && ns->v6only && IP_IS_V4(ip))
			return -ENETUNREACH;
		err_t e = udp_connect(ns->udp, ip, port);
		if (e != ERR_OK)
			return -sy_lwip_errno(e, 0);
		ns->remote_ip = *ip;
		ns->remote_port = port;
		ns->local_ip = ns->udp->local_ip;
		ns->local_port = ns->udp->local_port;
		ns->bound = 1;
		return 0;
	}
	if (ns->kind == NS_LISTEN || ns->connected)
		return -EISCONN;
	if (unspec)
		return ns->connecting ? 0 : -EAFNOSUPPORT;
	if (!ns->connecting) {
		if (ns->domain == AF_INET6 && ns->v6only && IP_IS_V4(ip))
			return -ENETUNREACH;
		if (ns->dead || !ns->tcp) {
			/* a failed connect: a new attempt gets a new pcb and mirror */
			struct tcp_pcb *pcb = tcp_new_ip_type(
			    ns->domain == AF_INET ? IPADDR_TYPE_V4
			    : ns->v6only	  ? IPADDR_TYPE_V6
						  : IPADDR_TYPE_ANY);
			if (!pcb)
				return -ENOMEM;
			sy_tcp_attach(ns, pcb);
			ns->dead = 0;
			ns->bound = 0;
			if (ns->m_qclosed) {
				int p = sy_mirror_replace(ns, fd);
				if (p < 0)
					return p;
			}
		}
		if (ns->keepalive)
			ip_set_option(ns->tcp, SOF_KEEPALIVE);
		err_t e = tcp_connect(ns->tcp, ip, port, sy_on_connected);
		if (e != ERR_OK)
			return e == ERR_USE ? -EADDRNOTAVAIL : -sy_lwip_errno(e, 0);
		ns->connecting = 1;
		ns->err = 0;
		ns->remote_ip = *ip;
		ns->remote_port = port;
		ns->local_ip = ns->tcp->local_ip;
		ns->local_port = ns->tcp->local_port;
		ns->bound = 1;
		sy_mirror_unwritable(ns);
		if (nonblocking(fd, 0))
			return -EINPROGRESS;
	} else if (nonblocking(fd, 0)) {
		return -EALREADY;
	}
	while (ns->connecting) {
		int w = wait_fd(fd, POLLOUT, ns->sndtimeo_ns);
		if (w == -EAGAIN)
			return -EINPROGRESS; /* SO_SNDTIMEO ran out, as on Linux */
		if (w < 0)
			return w;
	}
	if (ns->connected)
		return 0;
	int e = ns->err ? ns->err : ECONNREFUSED;
	ns->err = 0;
	return -e;
}

static long do_shutdown(struct nsock *ns, int fd, int how)
{
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (ns->kind == NS_LISTEN) {
		return 0;
	}
	if (ns->kind == NS_UDP) {
		if (!ns->remote_port)
			return -ENOTCONN;
	} else if (!ns->connected && !ns->connecting) {
		return -ENOTCONN;
	}
	if (how != SHUT_WR && !ns->shut_rd) {
		ns->shut_rd = 1;
		sy_mirror_eof(ns); /* POLLIN|POLLRDHUP, as RCV_SHUTDOWN shows */
		sy_mirror_readable(ns);
	}
	if (how != SHUT_RD && !ns->shut_wr) {
		ns->shut_wr = 1;
		if (ns->tcp && ns->connected)
			tcp_shutdown(ns->tcp, 0, 1);
		sy_mirror_writable(ns);
		raw2(SYS_shutdown, fd, SHUT_WR); /* with the peer's FIN: POLLHUP */
	}
	return 0;
}

static long do_name(struct nsock *ns, int peer, void *uaddr, void *ulen)
{
	if (!ulen)
		return -EFAULT;
	if (peer) {
		if (ns->kind == NS_UDP ? !ns->remote_port : !(ns->connected || ns->connecting))
			return -ENOTCONN;
		return addr_out(ns->domain, &ns->remote_ip, ns->remote_port, uaddr, ulen);
	}
	if (ns->tcp) {
		ns->local_ip = ns->tcp->local_ip;
		ns->local_port = ns->tcp->local_port;
	}
	ip_addr_t any;
	ip_addr_set_zero(&any);
	if (ns->domain == AF_INET6)
		IP_SET_TYPE_VAL(any, IPADDR_TYPE_V6);
	const ip_addr_t *ip = ns->bound ? &ns->local_ip : &any;
	if (ns->domain == AF_INET6 && IP_IS_ANY_TYPE_VAL(*ip))
		ip = &any;
	return addr_out(ns->domain, ip, ns->bound ? ns->local_port : 0, uaddr, ulen);
}

/* ---- options ---- */

/* Options kept so that getsockopt reports what setsockopt set, without an
 * effect on lwIP (there is nothing in it they would change). */
static int misc_option(int level, int name)
{
	static const int kept[][2] = {
	    {SOL_SOCKET, SO_PRIORITY},	  {SOL_SOCKET, SO_RCVLOWAT},	 {SOL_SOCKET, SO_OOBINLINE},
	    {SOL_SOCKET, SO_DONTROUTE},	  {IPPROTO_TCP, TCP_CORK},	 {IPPROTO_TCP, TCP_DEFER_ACCEPT},
	    {IPPROTO_TCP, TCP_QUICKACK},  {IPPROTO_TCP, TCP_FASTOPEN},	 {IPPROTO_TCP, TCP_USER_TIMEOUT},
	    {IPPROTO_IP, IP_RECVERR},	  {IPPROTO_IP, IP_PKTINFO},	 {IPPROTO_IP, IP_MTU_DISCOVER},
	    {IPPROTO_IPV6, IPV6_RECVPKTINFO}, {IPPROTO_IPV6, IPV6_TCLASS},
	    {IPPROTO_IPV6, IPV6_RECVERR},
	};
	for (int i = 0; i < (int)(sizeof(kept) / sizeof(kept[0])); i++)
		if (kept[i][0] == level && kept[i][1] == name)
			return i;
	return -1;
}

static int *misc_slot(struct nsock *ns, int level, int name, int create)
{
	/* ns->misc_opts holds up to four (index + 1, value) pairs */
	int idx = misc_option(level, name) + 1;
	for (int i = 0; i < 8; i += 2)
		if (ns->misc_opts[i] == idx)
			return &ns->misc_opts[i + 1];
	if (!create)
		return NULL;
	for (int i = 0; i < 8; i += 2)
		if (!ns->misc_opts[i]) {
			ns->misc_opts[i] = idx;
			return &ns->misc_opts[i + 1];
		}
	return NULL;
}

static int tcp_kind(const struct nsock *ns)
{
	return ns->kind == NS_TCP || ns->kind == NS_LISTEN;
}

/* A pcb's SOF_* flag on or off. */
static void so_option(u8_t *so_options, u8_t flag, int on)
{
	*so_options = (u8_t)(on ? *so_options | flag : *so_options & ~flag);
}

static void apply_keepalive(struct nsock *ns)
{
	if (!ns->tcp)
		return;
	so_option(&ns->tcp->so_options, SOF_KEEPALIVE, ns->keepalive);
	ns->tcp->keep_idle = (u32_t)ns->keepidle * 1000;
	ns->tcp->keep_intvl = (u32_t)ns->keepintvl * 1000;
	ns->tcp->keep_cnt = (u32_t)ns->keepcnt;
}

static long do_setsockopt(struct nsock *ns, int level, int name, const void *uval, long len)
{
	union {
		int i;
		struct linger lg;
		struct timeval tv;
		char raw[64];
	} v;
	memset(&v, 0, sizeof(v));
	if (len < 0)
		return -EINVAL;
	if (len > (long)sizeof(v))
		len = sizeof(v);
	if (len && copy_in(&v, uval, (size_t)len) < 0)
		return -EFAULT;
	int is_int = len >= (long)sizeof(int);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_LINGER:
			if (len < (long)sizeof(struct linger))
				return -EINVAL;
			ns->linger_on = v.lg.l_onoff != 0;
			ns->linger_sec = v.lg.l_linger;
			return 0;
		case SO_RCVTIMEO:
		case SO_SNDTIMEO:
			if (len < (long)sizeof(struct timeval))
				return -EINVAL;
			if (v.tv.tv_usec < 0 || v.tv.tv_usec >= 1000000)
				return -EDOM;
			if (v.tv.tv_sec < 0)
				v.tv.tv_sec = v.tv.tv_usec = 0;
			*(name == SO_RCVTIMEO ? &ns->rcvtimeo_ns : &ns->sndtimeo_ns) = timeval_ns(&v.tv);
			return 0;
		}
		if (!is_int)
			return -EINVAL;
		switch (name) {
		case SO_REUSEADDR:
			ns->reuseaddr = v.i != 0;
			if (ns->tcp)
				so_option(&ns->tcp->so_options, SOF_REUSEADDR, ns->reuseaddr);
			return 0;
		case SO_REUSEPORT:
			ns->reuseport = v.i != 0;
			return 0;
		case SO_KEEPALIVE:
			ns->keepalive = v.i != 0;
			apply_keepalive(ns);
			return 0;
		case SO_BROADCAST:
			ns->broadcast = v.i != 0;
			if (ns->udp)
				so_option(&ns->udp->so_options, SOF_BROADCAST, ns->broadcast);
			return 0;
		case SO_RCVBUF:
		case SO_SNDBUF: {
			/* as Linux: doubled, at least its minimum, at most twice rmem/wmem_max */
			long x = v.i < 0 ? 0 : v.i;
			if (x > 212992)
				x = 212992;
			x *= 2;
			if (name == SO_RCVBUF)
				ns->rcvbuf = (int)(x < 2304 ? 2304 : x);
			else
				ns->sndbuf = (int)(x < 4608 ? 4608 : x);
			return 0;
		}
		}
	} else if (level == IPPROTO_TCP) {
		if (!tcp_kind(ns))
			return -ENOPROTOOPT;
		if (!is_int)
			return -EINVAL;
		switch (name) {
		case TCP_NODELAY:
			ns->nodelay = v.i != 0;
			if (ns->tcp && ns->kind == NS_TCP) {
				if (ns->nodelay)
					tcp_nagle_disable(ns->tcp);
				else
					tcp_nagle_enable(ns->tcp);
			}
			return 0;
		case TCP_KEEPIDLE:
		case TCP_KEEPINTVL:
			if (v.i < 1 || v.i > 32767)
				return -EINVAL;
			*(name == TCP_KEEPIDLE ? &ns->keepidle : &ns->keepintvl) = v.i;
			apply_keepalive(ns);
			return 0;
		case TCP_KEEPCNT:
			if (v.i < 1 || v.i > 127)
				return -EINVAL;
			ns->keepcnt = v.i;
			apply_keepalive(ns);
			return 0;
		}
	} else if (level == IPPROTO_IP) {
		if (!is_int && len > 0)
			v.i = (unsigned char)v.raw[0];
		else if (!is_int)
			return -EINVAL;
		switch (name) {
		case IP_TOS:
			ns->tos = v.i & 0xfc;
			if (ns->tcp)
				ns->tcp->tos = (u8_t)ns->tos;
			if (ns->udp)
				ns->udp->tos = (u8_t)ns->tos;
			return 0;
		case IP_TTL:
			if (v.i == -1)
				v.i = 64;
			if (v.i < 1 || v.i > 255)
				return -EINVAL;
			ns->ttl = v.i;
			if (ns->tcp)
				ns->tcp->ttl = (u8_t)v.i;
			if (ns->udp)
				ns->udp->ttl = (u8_t)v.i;
			return 0;
		}
	} else if (level == IPPROTO_IPV6) {
		if (ns->domain != AF_INET6)
			return -ENOPROTOOPT;
		if (!is_int)
			return -EINVAL;
		if (name == IPV6_V6ONLY) {
			if (ns->bound)
				return -EINVAL;
			ns->v6only = v.i != 0;
			u8_t t = ns->v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
			if (ns->tcp)
				IP_SET_TYPE_VAL(ns->tcp->local_ip, t);
			if (ns->udp)
				IP_SET_TYPE_VAL(ns->udp->local_ip, t);
			return 0;
		}
	}
	if (misc_option(level, name) >= 0) {
		if (!is_int)
			return -EINVAL;
		int *slot = misc_slot(ns, level, name, 1);
		if (!slot)
			return -ENOMEM;
		*slot = v.i;
		return 0;
	}
	__atomic_fetch_add(&sy_net_refused, 1, __ATOMIC_RELAXED);
	return -ENOPROTOOPT;
}

/* Options whose value is an int field of the socket, as set. */
static const struct int_option {
	int level, name;
	size_t field;
} int_options[] = {
    {SOL_SOCKET, SO_REUSEADDR, offsetof(struct nsock, reuseaddr)},
    {SOL_SOCKET, SO_REUSEPORT, offsetof(struct nsock, reuseport)},
    {SOL_SOCKET, SO_KEEPALIVE, offsetof(struct nsock, keepalive)},
    {SOL_SOCKET, SO_BROADCAST, offsetof(struct nsock, broadcast)},
    {IPPROTO_TCP, TCP_NODELAY, offsetof(struct nsock, nodelay)},
    {IPPROTO_TCP, TCP_KEEPIDLE, offsetof(struct nsock, keepidle)},
    {IPPROTO_TCP, TCP_KEEPINTVL, offsetof(struct nsock, keepintvl)},
    {IPPROTO_TCP, TCP_KEEPCNT, offsetof(struct nsock, keepcnt)},
    {IPPROTO_IP, IP_TOS, offsetof(struct nsock, tos)},
    {IPPROTO_IP, IP_TTL, offsetof(struct nsock, ttl)},
    {IPPROTO_IPV6, IPV6_V6ONLY, offsetof(struct nsock, v6only)},
};

static long do_getsockopt(struct nsock *ns, int level, int name, void *uval, void *ulen)
{
	int len;
	if (!ulen || copy_in(&len, ulen, sizeof(len)) < 0)
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	union {
		int i;
		struct linger lg;
		struct timeval tv;
	} v;
	memset(&v, 0, sizeof(v));
	int size = sizeof(int);
	int tcp = tcp_kind(ns);
	if (level == IPPROTO_TCP && !tcp)
		return -EOPNOTSUPP;
	if (level == IPPROTO_IPV6 && ns->domain != AF_INET6)
		return -EOPNOTSUPP;
	for (size_t i = 0; i < sizeof(int_options) / sizeof(int_options[0]); i++)
		if (int_options[i].level == level && int_options[i].name == name) {
			v.i = *(const int *)((const char *)ns + int_options[i].field);
			goto out;
		}
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_TYPE:
			v.i = ns->type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
			break;
		case SO_DOMAIN:
			v.i = ns->domain;
			break;
		case SO_PROTOCOL:
			v.i = tcp ? IPPROTO_TCP : IPPROTO_UDP;
			break;
		case SO_ACCEPTCONN:
			v.i = ns->kind == NS_LISTEN;
			break;
		case SO_ERROR:
			v.i = ns->err;
			ns->err = 0;
			break;
		case SO_RCVBUF:
			v.i = ns->rcvbuf ? ns->rcvbuf : tcp ? 131072 : 212992;
			break;
		case SO_SNDBUF:
			v.i = ns->sndbuf ? ns->sndbuf : tcp ? 16384 : 212992;
			break;
		case SO_LINGER:
			v.lg.l_onoff = ns->linger_on;
			v.lg.l_linger = ns->linger_sec;
			size = sizeof(v.lg);
			break;
		case SO_RCVTIMEO:
		case SO_SNDTIMEO: {
			int64_t t = name == SO_RCVTIMEO ? ns->rcvtimeo_ns : ns->sndtimeo_ns;
			v.tv.tv_sec = t / 1000000000;
			v.tv.tv_usec = (t % 1000000000) / 1000;
			size = sizeof(v.tv);
			break;
		}
		default:
			goto misc;
		}
		goto out;
	}
	if (level == IPPROTO_TCP && name == TCP_MAXSEG) {
		v.i = ns->tcp && ns->connected ? ns->tcp->mss : 536;
		goto out;
	}
misc:
	if (misc_option(level, name) < 0) {
		__atomic_fetch_add(&sy_net_refused, 1, __ATOMIC_RELAXED);
		return -ENOPROTOOPT;
	}
	int *slot = misc_slot(ns, level, name, 0);
	v.i = slot ? *slot : 0;
out:
	if (len > size)
		len = size;
	if (copy_out(uval, &v, (size_t)len) < 0 || copy_out(ulen, &len, sizeof(len)) < 0)
		return -EFAULT;
	return 0;
}

/* ---- the data calls ---- */

static long recv_call(struct nsock *ns, int fd, const struct iov_list *l, int flags, void *uaddr,
		      void *ulen, int *msg_flags)
{
	if (msg_flags)
		*msg_flags = 0;
	if (ns->kind == NS_UDP)
		return udp_recv_data(ns, fd, l, flags, uaddr, ulen, msg_flags);
	if (ns->kind == NS_LISTEN)
		return -ENOTCONN;
	if (flags & MSG_OOB)
		return -EINVAL;
	long r = tcp_recv_data(ns, fd, l, flags);
	/* TCP ignores the address; Linux leaves *ulen as it was */
	return r;
}

static long send_call(struct nsock *ns, int fd, const struct iov_list *l, int flags,
		      const void *uaddr, long alen)
{
	if (ns->kind == NS_UDP) {
		if (uaddr && alen) {
			ip_addr_t ip;
			uint16_t port;
			int unspec;
			long r = addr_in(ns->domain, uaddr, alen, &ip, &port, &unspec);
			if (r < 0)
				return r;
			return udp_send_data(ns, l, &ip, port, flags);
		}
		return udp_send_data(ns, l, NULL, 0, flags);
	}
	if (ns->kind == NS_LISTEN) {
		if (!(flags & MSG_NOSIGNAL))
			pending_sigpipe = 1;
		return -EPIPE;
	}
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	/* TCP: an address on a connected socket is ignored (EISCONN on Linux
	 * only for a fresh one, as a connect) */
	return tcp_send_data(ns, fd, l, flags);
}

static long msg_recv(struct nsock *ns, int fd, struct msghdr *umsg, int flags)
{
	struct msghdr m;
	if (copy_in(&m, umsg, sizeof(m)) < 0)
		return -EFAULT;
	struct iov_list *l = &thread_iovs;
	long r = iov_get(l, m.msg_iov, (long)m.msg_iovlen);
	if (r < 0)
		return r;
	int mflags = 0;
	socklen_t namelen = m.msg_namelen;
	r = recv_call(ns, fd, l, flags, ns->kind == NS_UDP && m.msg_name ? m.msg_name : NULL,
		      ns->kind == NS_UDP && m.msg_name ? &namelen : NULL, &mflags);
	if (r < 0)
		return r;
	/* the name length the kernel reports; no control messages */
	if (ns->kind == NS_UDP && m.msg_name)
		m.msg_namelen = namelen;
	else
		m.msg_namelen = 0;
	m.msg_controllen = 0;
	m.msg_flags = mflags;
	if (copy_out(&umsg->msg_namelen, &m.msg_namelen, sizeof(m.msg_namelen)) < 0 ||
	    copy_out(&umsg->msg_controllen, &m.msg_controllen, sizeof(m.msg_controllen)) < 0 ||
	    copy_out(&umsg->msg_flags, &m.msg_flags, sizeof(m.msg_flags)) < 0)
		return -EFAULT;
	return r;
}

static long msg_send(struct nsock *ns, int fd, const struct msghdr *umsg, int flags)
{
	struct msghdr m;
	if (copy_in(&m, umsg, sizeof(m)) < 0)
		return -EFAULT;
	struct iov_list *l = &thread_iovs;
	long r = iov_get(l, m.msg_iov, (long)m.msg_iovlen);
	if (r < 0)
		return r;
	return send_call(ns, fd, l, flags, m.msg_name, m.msg_name ? (long)m.msg_namelen : 0);
}

/* sendfile into an lwIP socket: the file is read through the VFS when it is
 * a virtual one, at the position its description holds. */
static long do_sendfile(struct nsock *ns, int fd, int in_fd, int64_t *uoff, size_t count)
{
	if (ns->kind != NS_TCP)
		return -EINVAL;
	int64_t pos;
	if (uoff) {
		if (copy_in(&pos, uoff, sizeof(pos)) < 0)
			return -EFAULT;
		if (pos < 0)
			return -EINVAL;
	} else {
		pos = raw3(SYS_lseek, in_fd, 0, SEEK_CUR);
		if (pos < 0)
			return pos == -ESPIPE ? -EINVAL : pos;
	}
	char *fbuf = malloc(65536);
	if (!fbuf)
		return -ENOMEM;
	size_t total = 0;
	long r = 0;
	while (total < count) {
		size_t chunk = count - total < 65536 ? count - total : 65536;
		sy_core_unlock();
		long n = H->pread_fd(in_fd, fbuf, chunk, pos + (int64_t)total);
		sy_core_lock();
		if (n <= 0) {
			r = n;
			break;
		}
		struct iov_list one;
		iov_one(&one, fbuf, (size_t)n);
		long s = tcp_send_data(ns, fd, &one, MSG_NOSIGNAL);
		if (s < 0) {
			r = s;
			if (s == -EPIPE)
				pending_sigpipe = 1;
			break;
		}
		total += (size_t)s;
		if (s < n)
			break;
	}
	free(fbuf);
	if (total && uoff) {
		int64_t np = pos + (int64_t)total;
		if (copy_out(uoff, &np, sizeof(np)) < 0)
			return -EFAULT;
	} else if (total) {
		raw3(SYS_lseek, in_fd, pos + (int64_t)total, SEEK_SET);
	}
	return total ? (long)total : r;
}

static long do_ioctl(struct nsock *ns, unsigned long req, void *uarg, int *pass)
{
	int v;
	switch (req) {
	case FIONREAD:
		if (ns->kind == NS_LISTEN)
			return -EINVAL;
		v = ns->kind == NS_UDP ? (ns->dq_head ? ns->dq_head->p->tot_len : 0)
				       : (int)ns->rq_bytes;
		break;
	case SIOCOUTQ:
		if (ns->kind == NS_LISTEN)
			return -EINVAL;
		v = ns->tcp && ns->kind == NS_TCP ? TCP_SND_BUF - tcp_sndbuf(ns->tcp) : 0;
		break;
	case SIOCATMARK:
		v = 0;
		break;
	default:
		*pass = 1; /* FIONBIO, FIOCLEX...: the placeholder's description */
		return 0;
	}
	return copy_out(uarg, &v, sizeof(v)) < 0 ? -EFAULT : 0;
}

/* ---- the hook ---- */

/* Calls on fds: seen only for fds this module marks. */
static const long fd_calls[] = {
    SYS_read,	     SYS_write,	      SYS_readv,       SYS_writev,	SYS_recvfrom,
    SYS_sendto,	     SYS_recvmsg,     SYS_sendmsg,     SYS_recvmmsg,	SYS_sendmmsg,
    SYS_bind,	     SYS_listen,      SYS_accept,      SYS_accept4,	SYS_connect,
    SYS_shutdown,    SYS_getsockname, SYS_getpeername, SYS_setsockopt,	SYS_getsockopt,
    SYS_ioctl,	     SYS_close,	      SYS_dup,	       SYS_fcntl,	SYS_sendfile,
    SYS_splice,	     SYS_tee,	      SYS_pread64,     SYS_pwrite64,	SYS_preadv,
    SYS_pwritev,     SYS_preadv2,     SYS_pwritev2,
};
/* Calls seen whatever their arguments. */
static const long all_calls[] = {SYS_socket, SYS_dup2,   SYS_dup3,     SYS_close_range,
				 SYS_execve, SYS_execveat, SYS_exit_group};

static uint8_t interest[SY_NR_LIMIT / 8];

/* The calls an lwIP socket serves; everything else on it is the
 * placeholder's (fstat, fcntl, lseek...) and the kernel answers. */
static long serve_lwip(struct sy_call *c, struct nsock *ns, int fd, int *pass)
{
	long *a = c->args;
	struct iov_list *l = &thread_iovs;
	long r;
	switch (c->nr) {
	case SYS_read:
		iov_one(l, (void *)a[1], (size_t)a[2]);
		return recv_call(ns, fd, l, 0, NULL, NULL, NULL);
	case SYS_readv:
		r = iov_get(l, (const struct iovec *)a[1], a[2]);
		return r < 0 ? r : recv_call(ns, fd, l, 0, NULL, NULL, NULL);
	case SYS_recvfrom:
		iov_one(l, (void *)a[1], (size_t)a[2]);
		return recv_call(ns, fd, l, (int)a[3], (void *)a[4], (void *)a[5], NULL);
	case SYS_recvmsg:
		return msg_recv(ns, fd, (struct msghdr *)a[1], (int)a[2]);
	case SYS_write:
		iov_one(l, (void *)a[1], (size_t)a[2]);
		return send_call(ns, fd, l, 0, NULL, 0);
	case SYS_writev:
		r = iov_get(l, (const struct iovec *)a[1], a[2]);
		return r < 0 ? r : send_call(ns, fd, l, 0, NULL, 0);
	case SYS_sendto:
		iov_one(l, (void *)a[1], (size_t)a[2]);
		return send_call(ns, fd, l, (int)a[3], (void *)a[4], a[5]);
	case SYS_sendmsg:
		return msg_send(ns, fd, (const struct msghdr *)a[1], (int)a[2]);
	case SYS_recvmmsg:
	case SYS_sendmmsg: {
		struct mmsghdr *v = (struct mmsghdr *)a[1];
		unsigned n = (unsigned)a[2], i;
		if (n > 1024)
			n = 1024;
		for (i = 0; i < n; i++) {
			r = c->nr == SYS_recvmmsg ? msg_recv(ns, fd, &v[i].msg_hdr, (int)a[3])
						  : msg_send(ns, fd, &v[i].msg_hdr, (int)a[3]);
			if (r < 0)
				return i ? (long)i : r;
			unsigned len = (unsigned)r;
			if (copy_out(&v[i].msg_len, &len, sizeof(len)) < 0)
				return i ? (long)i : -EFAULT;
			if (c->nr == SYS_recvmmsg && i == 0)
				a[3] |= MSG_DONTWAIT; /* one wait at most (no timeout support) */
		}
		return (long)i;
	}
	case SYS_bind: {
		ip_addr_t ip;
		uint16_t port;
		r = addr_in(ns->domain, (void *)a[1], a[2], &ip, &port, NULL);
		return r < 0 ? r : do_bind(ns, &ip, port);
	}
	case SYS_listen:
		return do_listen(ns, (int)a[1]);
	case SYS_accept:
		return do_accept(ns, fd, (void *)a[1], (void *)a[2], 0);
	case SYS_accept4:
		return do_accept(ns, fd, (void *)a[1], (void *)a[2], (int)a[3]);
	case SYS_connect: {
		ip_addr_t ip;
		uint16_t port;
		int unspec = 0;
		r = addr_in(ns->domain, (void *)a[1], a[2], &ip, &port, &unspec);
		if (r < 0 && !(unspec && a[2] >= (long)sizeof(sa_family_t)))
			return r;
		return do_connect(ns, fd, &ip, port, unspec);
	}
	case SYS_shutdown:
		return do_shutdown(ns, fd, (int)a[1]);
	case SYS_getsockname:
		return do_name(ns, 0, (void *)a[1], (void *)a[2]);
	case SYS_getpeername:
		return do_name(ns, 1, (void *)a[1], (void *)a[2]);
	case SYS_setsockopt:
		return do_setsockopt(ns, (int)a[1], (int)a[2], (const void *)a[3], (long)(int)a[4]);
	case SYS_getsockopt:
		return do_getsockopt(ns, (int)a[1], (int)a[2], (void *)a[3], (void *)a[4]);
	case SYS_ioctl:
		return do_ioctl(ns, (unsigned long)a[1], (void *)a[2], pass);
	case SYS_sendfile:
		return do_sendfile(ns, fd, (int)a[1], (int64_t *)a[2], (size_t)a[3]);
	case SYS_splice:
	case SYS_tee:
		__atomic_fetch_add(&sy_net_refused, 1, __ATOMIC_RELAXED);
		return -EINVAL;
	case SYS_pread64:
	case SYS_pwrite64:
	case SYS_preadv:
	case SYS_pwritev:
	case SYS_preadv2:
	case SYS_pwritev2:
		return -ESPIPE;
	}
	*pass = 1;
	return 0;
}

/* A call on a pending (kernel) socket: bind, connect, listen and sendto
 * decide where it lives; the rest is the kernel's. Returns 1 with *result
 * if the call was served, 0 to pass it on (to the kernel, or again to
 * serve_lwip once the socket is lwIP's). */
static int serve_pending(struct sy_call *c, struct nsock *ns, int fd, long *result)
{
	long *a = c->args;
	const void *uaddr = NULL;
	long alen = 0;
	switch (c->nr) {
	case SYS_bind:
	case SYS_connect:
		uaddr = (const void *)a[1];
		alen = a[2];
		break;
	case SYS_sendto:
		if (!a[4])
			return 0;
		uaddr = (const void *)a[4];
		alen = a[5];
		break;
	case SYS_sendmsg: {
		struct msghdr m;
		if (copy_in(&m, (void *)a[1], sizeof(m)) < 0 || !m.msg_name)
			return 0;
		uaddr = m.msg_name;
		alen = m.msg_namelen;
		break;
	}
	case SYS_listen:
		break;
	default:
		return 0;
	}
	if (uaddr) {
		ip_addr_t ip;
		uint16_t port;
		int unspec = 0;
		if (addr_in(ns->domain, uaddr, alen, &ip, &port, &unspec) < 0 || unspec)
			return 0; /* the kernel gives the error, or disconnects */
		if (!goes_to_lwip(&ip)) {
			to_kernel(ns);
			return 0;
		}
	}
	long r = to_lwip(ns, fd);
	if (r < 0) {
		*result = r;
		return 1;
	}
	return 0;
}

static enum sy_verdict net_enter(void *ctx, struct sy_call *c, long *result)
{
	(void)ctx;
	long *a = c->args;
	switch (c->nr) {
	case SYS_socket:
	case SYS_dup2:
	case SYS_dup3:
	case SYS_close_range:
		return SY_PASS; /* leave keeps the table in step */
	case SYS_execve:
	case SYS_execveat:
		return SY_PASS; /* see net_exec_prepare, in leave's counterpart */
	}
	int fd = (int)a[0];
	struct nsock *ns = sy_nsock_get(fd);
	if (!ns)
		return SY_PASS;
	if (c->nr == SYS_close || c->nr == SYS_dup || c->nr == SYS_fcntl) {
		sy_nsock_put(ns);
		return SY_PASS;
	}
	enum sy_verdict v = SY_PASS;
	if (H->is_vfork_child()) {
		/* shares the parent's memory until execve: no lwIP, no table change */
		if (ns->kind != NS_PENDING) {
			*result = -EBADFD;
			v = SY_ANSWER;
		}
		sy_nsock_put(ns);
		return v;
	}
	H->signals_defer();
	if (ns->kind == NS_PENDING) {
		if (serve_pending(c, ns, fd, result)) {
			v = SY_ANSWER;
			goto out;
		}
		if (ns->kind == NS_PENDING || c->nr == SYS_fcntl)
			goto out;
	}
	if (!sy_stack_live()) {
		/* a forked child's copy of its parent's lwIP socket */
		if (c->nr != SYS_fstat && c->nr != SYS_ioctl) {
			*result = -EBADFD;
			v = SY_ANSWER;
		}
		goto out;
	}
	int pass = 0;
	sy_core_lock();
	long r = serve_lwip(c, ns, fd, &pass);
	sy_core_unlock();
	if (!pass) {
		*result = r;
		v = SY_ANSWER;
		__atomic_fetch_add(&sy_net_served, 1, __ATOMIC_RELAXED);
	}
out:
	sy_nsock_put(ns);
	H->signals_undefer();
	if (pending_sigpipe) {
		pending_sigpipe = 0;
		raw3(SYS_tgkill, raw0(SYS_getpid), raw0(SYS_gettid), SIGPIPE);
	}
	return v;
}

/* Placeholders whose close-on-exec bit the last execve set (restored if
 * it failed): lwIP sockets do not survive execve. */
static int *exec_marked;
static int nexec_marked, exec_marked_cap;

static void mark_cloexec(int fd, struct nsock *ns, void *arg)
{
	(void)arg;
	if (ns->kind == NS_PENDING)
		return;
	long fl = raw2(SYS_fcntl, fd, F_GETFD);
	if (fl >= 0 && !(fl & FD_CLOEXEC)) {
		if (nexec_marked == exec_marked_cap) {
			int cap = exec_marked_cap ? 2 * exec_marked_cap : 64;
			int *m = realloc(exec_marked, sizeof(int) * (size_t)cap);
			if (!m)
				return; /* not marked: better kept than lost on a failed exec */
			exec_marked = m;
			exec_marked_cap = cap;
		}
		raw3(SYS_fcntl, fd, F_SETFD, fl | FD_CLOEXEC);
		exec_marked[nexec_marked++] = fd;
	}
}

static void close_in_range(int fd, struct nsock *ns, void *arg)
{
	(void)ns;
	const unsigned *r = arg;
	if ((unsigned)fd >= r[0] && (unsigned)fd <= r[1])
		sy_nsock_set(fd, NULL);
}

static void net_leave(void *ctx, const struct sy_call *c, long *result)
{
	(void)ctx;
	const long *a = c->args;
	long r = *result;
	if (H->is_vfork_child())
		return;
	switch (c->nr) {
	case SYS_socket:
		if (r >= 0 && routed((int)a[0], (int)a[1], (int)a[2])) {
			struct nsock *ns = sy_nsock_new((int)a[0], (int)a[1], (int)a[2]);
			if (ns)
				sy_nsock_set((int)r, ns);
		}
		return;
	case SYS_close:
		if (r == 0 || r == -EINTR)
			sy_nsock_set((int)a[0], NULL);
		return;
	case SYS_dup:
		if (r >= 0) {
			struct nsock *ns = sy_nsock_get((int)a[0]);
			sy_nsock_set((int)r, ns);
			if (ns)
				sy_nsock_put(ns);
		}
		return;
	case SYS_fcntl:
		if (r >= 0 && ((int)a[1] == F_DUPFD || (int)a[1] == F_DUPFD_CLOEXEC)) {
			struct nsock *ns = sy_nsock_get((int)a[0]);
			sy_nsock_set((int)r, ns);
			if (ns)
				sy_nsock_put(ns);
		}
		return;
	case SYS_dup2:
	case SYS_dup3:
		if (r >= 0 && a[0] != a[1]) {
			struct nsock *ns = sy_nsock_get((int)a[0]);
			sy_nsock_set((int)a[1], ns);
			if (ns)
				sy_nsock_put(ns);
		}
		return;
	case SYS_close_range:
		if (r == 0 && !(a[2] & 4 /* CLOSE_RANGE_CLOEXEC */)) {
			unsigned range[2] = {(unsigned)a[0], (unsigned)a[1]};
			sy_nsock_each(close_in_range, range);
		}
		return;
	case SYS_execve:
	case SYS_execveat:
		/* only a failed execve comes back */
		while (nexec_marked > 0) {
			int fd = exec_marked[--nexec_marked];
			long fl = raw2(SYS_fcntl, fd, F_GETFD);
			if (fl >= 0)
				raw3(SYS_fcntl, fd, F_SETFD, fl & ~FD_CLOEXEC);
		}
		return;
	}
}

static void close_at_exit(int fd, struct nsock *ns, void *arg)
{
	(void)arg;
	if (ns->kind != NS_PENDING)
		sy_nsock_set(fd, NULL);
}

static enum sy_verdict net_enter_all(void *ctx, struct sy_call *c, long *result)
{
	if (c->nr == SYS_exit_group) {
		/* the kernel closes a process's sockets as it exits: so do we, so
		 * that peers get their FIN (or reset) before lwIP goes with us */
		if (sy_stack_live() && !H->is_vfork_child()) {
			sy_nsock_each(close_at_exit, NULL);
			sy_stack_drain(3000);
		}
		return SY_PASS;
	}
	if ((c->nr == SYS_execve || c->nr == SYS_execveat) && !H->is_vfork_child()) {
		nexec_marked = 0;
		sy_nsock_each(mark_cloexec, NULL);
		return SY_PASS;
	}
	return net_enter(ctx, c, result);
}

static void net_fork_child(void *ctx)
{
	(void)ctx;
	sy_stack_forked();
}

static const struct sy_hook net_hook = {
    .version = SY_HOOK_API_VERSION,
    .name = "netstack",
    .interest = interest,
    .enter = net_enter_all,
    .leave = net_leave,
    .fork_child = net_fork_child,
};

int sy_net_hook_setup(char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(fd_calls) / sizeof(fd_calls[0]); i++)
		sy_interest_add(interest, fd_calls[i]);
	for (size_t i = 0; i < sizeof(all_calls) / sizeof(all_calls[0]); i++)
		sy_interest_add(interest, all_calls[i]);
	if (sy_hook_register(&net_hook) < 0) {
		snprintf(err, errlen, "netstack: cannot register its hook");
		return -1;
	}
	for (size_t i = 0; i < sizeof(fd_calls) / sizeof(fd_calls[0]); i++)
		H->fd_interest(fd_calls[i], &net_hook);
	return 0;
}
