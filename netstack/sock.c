/*
 * Socket objects of the netstack and the readiness mirror.
 *
 * An lwIP socket's fd is one end (P) of an AF_UNIX stream socketpair; the
 * other end (Q) and a dup of P (PD) are hidden at the top of the fd range. The kernel's own
 * poll, select and epoll then work on any mix of fds, because P shows what
 * the lwIP socket would show:
 *   POLLIN          Q wrote a byte into P (data, a connection to accept)
 *   no POLLOUT      P's small send buffer is filled (into Q): lwIP's send
 *                   buffer is full, or the socket listens or connects
 *   POLLIN|RDHUP    Q shut its writing side: the peer's FIN came
 *   ERR|HUP|IN|OUT  Q closed while holding an unread byte (PD writes it
 *                   first): a reset, a refused or timed-out connection
 *                   (Linux shows exactly this mask then)
 *   POLLHUP         P shut its own writing side too (shutdown or FIN both ways)
 * Everything happens under lwIP's core lock, from its callbacks and from
 * the program's calls, so no change is lost between a check and a drain. Each new segment writes another byte, so
 * edge-triggered waiters wake on new data as they do on Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <lwip/tcp.h>
#include <lwip/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "net.h"

static struct nsock **tab;
static int tab_lock;
static unsigned tab_high;

static void spin_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

void sy_nsock_setup(void)
{
	long p = sy_net_raw(SYS_mmap, 0, (long)(H->fd_map_size * sizeof(*tab)),
			    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p < 0 && p > -4096) {
		H->say("netstack: cannot map the socket table");
		abort();
	}
	tab = (struct nsock **)p;
}

struct nsock *sy_nsock_get(int fd)
{
	if (fd < 0 || (size_t)fd >= H->fd_map_size || !(H->fd_map[fd] & H->fd_net_bit))
		return NULL;
	spin_lock(&tab_lock);
	struct nsock *ns = tab[fd];
	if (ns)
		ns->refs++;
	spin_unlock(&tab_lock);
	return ns;
}

void sy_nsock_put(struct nsock *ns)
{
	spin_lock(&tab_lock);
	int last = --ns->refs == 0;
	spin_unlock(&tab_lock);
	if (last)
		sy_nsock_free(ns);
}

void sy_nsock_set(int fd, struct nsock *ns)
{
	if (fd < 0 || (size_t)fd >= H->fd_map_size)
		return;
	spin_lock(&tab_lock);
	struct nsock *old = tab[fd];
	tab[fd] = ns;
	if (ns) {
		ns->refs++;
		if ((unsigned)fd + 1 > tab_high)
			tab_high = (unsigned)fd + 1;
		__atomic_fetch_or(&H->fd_map[fd], H->fd_net_bit, __ATOMIC_RELEASE);
	} else {
		__atomic_fetch_and(&H->fd_map[fd], (uint8_t)~H->fd_net_bit, __ATOMIC_RELEASE);
	}
	int last = old && --old->refs == 0;
	spin_unlock(&tab_lock);
	if (last)
		sy_nsock_free(old);
}

void sy_nsock_each_fd(struct nsock *ns, void (*fn)(int fd, void *arg), void *arg)
{
	for (unsigned fd = 0; fd < tab_high; fd++)
		if (__atomic_load_n(&tab[fd], __ATOMIC_ACQUIRE) == ns)
			fn((int)fd, arg);
}

void sy_nsock_each(void (*fn)(int fd, struct nsock *ns, void *arg), void *arg)
{
	for (unsigned fd = 0; fd < tab_high; fd++) {
		struct nsock *ns = __atomic_load_n(&tab[fd], __ATOMIC_ACQUIRE);
		if (ns)
			fn((int)fd, ns, arg);
	}
}

struct nsock *sy_nsock_new(int domain, int type, int protocol)
{
	struct nsock *ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;
	ns->domain = domain;
	ns->type = type;
	ns->protocol = protocol;
	ns->q = ns->pd = -1;
	ns->keepidle = 7200;
	ns->keepintvl = 75;
	ns->keepcnt = 9;
	ns->v6only = 0;
	ns->ttl = 64;
	return ns;
}

void sy_nsock_free(struct nsock *ns)
{
	if (ns->kind != NS_PENDING && sy_stack_live()) {
		sy_core_lock();
		sy_nsock_release_lwip(ns);
		sy_core_unlock();
	}
	sy_mirror_close(ns);
	free(ns);
}

/* ---- the mirror ---- */

int sy_fd_hide_high(int fd, int close_old)
{
	long hi = raw3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, H->fd_floor());
	if (close_old)
		raw1(SYS_close, fd);
	if (hi < 0)
		return (int)hi;
	H->fd_hide((int)hi, 1);
	return (int)hi;
}

int sy_mirror_make(struct nsock *ns, int at, int cloexec, int nonblock)
{
	int sv[2];
	sy_mirror_close(ns); /* a remade mirror (after a failed connect) lets the old go */
	long r = raw4(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv);
	if (r < 0)
		return (int)r;
	int sndbuf = 1; /* the kernel's minimum: a few KiB fill it */
	raw5(SYS_setsockopt, sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	int q = sy_fd_hide_high(sv[1], 1);
	int pd = sy_fd_hide_high(sv[0], 0);
	if (q < 0 || pd < 0) {
		raw1(SYS_close, sv[0]);
		ns->q = q, ns->pd = pd, ns->m_qclosed = 0;
		sy_mirror_close(ns);
		return q < 0 ? q : pd;
	}
	int p = sv[0];
	if (at >= 0 && at != p) {
		r = raw3(SYS_dup3, p, at, cloexec ? O_CLOEXEC : 0);
		raw1(SYS_close, p);
		if (r < 0) {
			ns->q = q, ns->pd = pd, ns->m_qclosed = 0;
			sy_mirror_close(ns);
			return (int)r;
		}
		p = at;
	} else if (!cloexec) {
		raw3(SYS_fcntl, p, F_SETFD, 0);
	}
	if (!nonblock)
		raw3(SYS_fcntl, p, F_SETFL, O_RDWR);
	ns->q = q;
	ns->pd = pd;
	ns->m_unwritable = ns->m_qclosed = ns->m_rdhup = 0;
	return p;
}

int sy_mirror_replace(struct nsock *ns, int fd)
{
	long fdfl = raw2(SYS_fcntl, fd, F_GETFD);
	long fl = raw2(SYS_fcntl, fd, F_GETFL);
	return sy_mirror_make(ns, fd, fdfl > 0 && (fdfl & FD_CLOEXEC), fl > 0 && (fl & O_NONBLOCK));
}

void sy_mirror_readable(struct nsock *ns)
{
	if (ns->q >= 0 && !ns->m_qclosed)
		raw4(SYS_sendto, ns->q, "d", 1, MSG_DONTWAIT);
}

void sy_mirror_drain(struct nsock *ns)
{
	if (ns->pd < 0 || ns->m_qclosed)
		return;
	char buf[256];
	while (raw4(SYS_recvfrom, ns->pd, buf, sizeof(buf), MSG_DONTWAIT) == (long)sizeof(buf))
		;
}

void sy_mirror_unwritable(struct nsock *ns)
{
	if (ns->pd < 0 || ns->m_unwritable || ns->m_qclosed)
		return;
	static const char fill[4096];
	while (raw4(SYS_sendto, ns->pd, fill, sizeof(fill), MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		;
	ns->m_unwritable = 1;
}

void sy_mirror_writable(struct nsock *ns)
{
	if (ns->q < 0 || !ns->m_unwritable || ns->m_qclosed)
		return;
	char buf[4096];
	while (raw4(SYS_recvfrom, ns->q, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	ns->m_unwritable = 0;
}

void sy_mirror_eof(struct nsock *ns)
{
	if (ns->q < 0 || ns->m_rdhup || ns->m_qclosed)
		return;
	raw2(SYS_shutdown, ns->q, SHUT_WR);
	ns->m_rdhup = 1;
}

void sy_mirror_error(struct nsock *ns)
{
	if (ns->q < 0 || ns->m_qclosed)
		return;
	/* q closing with an unread byte: a reset on P (POLLERR) */
	raw4(SYS_sendto, ns->pd, "r", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	H->fd_hide(ns->q, 0);
	raw1(SYS_close, ns->q);
	ns->m_qclosed = 1;
	ns->m_unwritable = 0;
}

void sy_mirror_close(struct nsock *ns)
{
	if (ns->q >= 0 && !ns->m_qclosed) {
		H->fd_hide(ns->q, 0);
		raw1(SYS_close, ns->q);
	}
	if (ns->pd >= 0) {
		H->fd_hide(ns->pd, 0);
		raw1(SYS_close, ns->pd);
	}
	ns->q = ns->pd = -1;
	ns->m_qclosed = 1;
}

/* ---- lwIP's side ---- */

int sy_lwip_errno(err_t e, int connecting)
{
	switch (e) {
	case ERR_OK:
		return 0;
	case ERR_RST:
		return connecting ? ECONNREFUSED : ECONNRESET;
	case ERR_ABRT:
		return connecting ? ETIMEDOUT : ECONNABORTED;
	case ERR_CLSD:
	case ERR_CONN:
		return ENOTCONN;
	case ERR_TIMEOUT:
		return ETIMEDOUT;
	case ERR_RTE:
		return ENETUNREACH;
	case ERR_MEM:
	case ERR_BUF:
		return ENOMEM;
	case ERR_USE:
		return EADDRINUSE;
	case ERR_VAL:
		return EINVAL;
	case ERR_ISCONN:
		return EISCONN;
	case ERR_ALREADY:
		return EALREADY;
	default:
		return EIO;
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct nsock *ns = arg;
	(void)pcb;
	if (!ns) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) {
		ns->rd_eof = 1;
		sy_mirror_eof(ns);
		return ERR_OK;
	}
	if (err != ERR_OK) {
		pbuf_free(p);
		return ERR_OK;
	}
	if (ns->shut_rd) {
		/* Linux discards what comes after SHUT_RD (and acks it) */
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	struct dgram *d = malloc(sizeof(*d));
	if (!d)
		return ERR_MEM; /* lwIP keeps it and offers it again */
	d->next = NULL;
	d->p = p;
	if (ns->rq_tail)
		ns->rq_tail->next = d;
	else
		ns->rq_head = d;
	ns->rq_tail = d;
	ns->rq_bytes += p->tot_len;
	sy_mirror_readable(ns);
	return ERR_OK;
}

void sy_rq_copy(struct nsock *ns, char *dst, size_t n)
{
	size_t skip = ns->rq_off;
	for (struct dgram *d = ns->rq_head; d && n; d = d->next)
		for (struct pbuf *q = d->p; q && n; q = q->next) {
			if (skip >= q->len) {
				skip -= q->len;
				continue;
			}
			size_t c = q->len - skip < n ? q->len - skip : n;
			memcpy(dst, (char *)q->payload + skip, c);
			dst += c;
			n -= c;
			skip = 0;
		}
}

void sy_rq_consume(struct nsock *ns, size_t n)
{
	size_t acked = n;
	while (n && ns->rq_head) {
		struct dgram *d = ns->rq_head;
		size_t left = d->p->tot_len - ns->rq_off;
		if (n < left) {
			ns->rq_off += n;
			ns->rq_bytes -= n;
			n = 0;
			break;
		}
		n -= left;
		ns->rq_bytes -= left;
		ns->rq_off = 0;
		ns->rq_head = d->next;
		if (!ns->rq_head)
			ns->rq_tail = NULL;
		pbuf_free(d->p);
		free(d);
	}
	/* the window opens by what the program took */
	while (ns->tcp && acked) {
		u16_t c = (u16_t)(acked > 0xffff ? 0xffff : acked);
		tcp_recved(ns->tcp, c);
		acked -= c;
	}
}

struct dgram *sy_dq_pop(struct nsock *ns)
{
	struct dgram *d = ns->dq_head;
	if (!d)
		return NULL;
	ns->dq_head = d->next;
	if (!ns->dq_head)
		ns->dq_tail = NULL;
	ns->dq_bytes -= d->p->tot_len;
	return d;
}

int sy_tcp_send_room(struct tcp_pcb *pcb)
{
	return tcp_sndbuf(pcb) >= TCP_SND_BUF / 4 && tcp_sndqueuelen(pcb) < TCP_SND_QUEUELEN / 2;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct nsock *ns = arg;
	(void)len;
	if (ns && ns->m_unwritable && sy_tcp_send_room(pcb))
		sy_mirror_writable(ns);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct nsock *ns = arg;
	if (!ns)
		return;
	ns->tcp = NULL; /* lwIP has freed it */
	/* as Linux: a reset after the peer's FIN (CLOSE_WAIT) reads as EPIPE */
	ns->err = err == ERR_RST && ns->rd_eof ? EPIPE : sy_lwip_errno(err, ns->connecting);
	ns->dead = 1;
	ns->connecting = 0;
	ns->connected = 0;
	sy_mirror_error(ns);
}

err_t sy_on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct nsock *ns = arg;
	(void)pcb;
	(void)err; /* always ERR_OK in lwIP 2.1; failures come through on_err */
	ns->connecting = 0;
	ns->connected = ns->was_connected = 1;
	ns->local_ip = pcb->local_ip;
	ns->local_port = pcb->local_port;
	sy_mirror_writable(ns);
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct nsock *ls = arg;
	if (err != ERR_OK || !pcb || !ls)
		return ERR_VAL;
	if (ls->acq_len >= ls->backlog + 1) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	struct nsock *ns = sy_nsock_new(ls->domain, ls->type, ls->protocol);
	if (!ns) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	ns->kind = NS_TCP;
	ns->connected = ns->was_connected = 1;
	ns->bound = 1;
	ns->nodelay = ls->nodelay;
	ns->keepalive = ls->keepalive;
	ns->keepidle = ls->keepidle;
	ns->keepintvl = ls->keepintvl;
	ns->keepcnt = ls->keepcnt;
	ns->linger_on = ls->linger_on;
	ns->linger_sec = ls->linger_sec;
	ns->rcvbuf = ls->rcvbuf;
	ns->sndbuf = ls->sndbuf;
	ns->v6only = ls->v6only;
	sy_tcp_attach(ns, pcb);
	if (ns->nodelay)
		tcp_nagle_disable(pcb);
	if (ls->acq_tail)
		ls->acq_tail->acq_next = ns;
	else
		ls->acq_head = ns;
	ls->acq_tail = ns;
	ls->acq_len++;
	sy_mirror_readable(ls);
	return ERR_OK;
}

void sy_tcp_attach(struct nsock *ns, struct tcp_pcb *pcb)
{
	ns->tcp = pcb;
	ns->local_ip = pcb->local_ip;
	ns->local_port = pcb->local_port;
	ns->remote_ip = pcb->remote_ip;
	ns->remote_port = pcb->remote_port;
	tcp_arg(pcb, ns);
	if (pcb->state == LISTEN) {
		tcp_accept(pcb, on_accept);
		return;
	}
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
}

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		   u16_t port)
{
	struct nsock *ns = arg;
	(void)pcb;
	size_t limit = ns && ns->rcvbuf ? (size_t)ns->rcvbuf : 212992;
	if (!ns || ns->shut_rd || ns->dq_bytes + p->tot_len > limit) {
		pbuf_free(p);
		return;
	}
	struct dgram *d = malloc(sizeof(*d));
	if (!d) {
		pbuf_free(p);
		return;
	}
	d->next = NULL;
	d->p = p;
	ip_addr_copy(d->from, *addr);
	d->port = port;
	if (ns->dq_tail)
		ns->dq_tail->next = d;
	else
		ns->dq_head = d;
	ns->dq_tail = d;
	ns->dq_bytes += p->tot_len;
	sy_mirror_readable(ns);
}

void sy_udp_attach(struct nsock *ns, struct udp_pcb *pcb)
{
	ns->udp = pcb;
	udp_recv(pcb, on_udp, ns);
}

static void free_queues(struct nsock *ns)
{
	while (ns->rq_head) {
		struct dgram *d = ns->rq_head;
		ns->rq_head = d->next;
		pbuf_free(d->p);
		free(d);
	}
	ns->rq_tail = NULL;
	ns->rq_bytes = ns->rq_off = 0;
	while (ns->dq_head) {
		struct dgram *d = ns->dq_head;
		ns->dq_head = d->next;
		pbuf_free(d->p);
		free(d);
	}
	ns->dq_tail = NULL;
	ns->dq_bytes = 0;
}

void sy_nsock_release_lwip(struct nsock *ns)
{
	/* connections never accepted: reset, as Linux does on closing a listener */
	while (ns->acq_head) {
		struct nsock *c = ns->acq_head;
		ns->acq_head = c->acq_next;
		if (c->tcp) {
			tcp_arg(c->tcp, NULL);
			tcp_abort(c->tcp);
			c->tcp = NULL;
		}
		free_queues(c);
		free(c);
	}
	ns->acq_tail = NULL;
	if (ns->tcp) {
		struct tcp_pcb *pcb = ns->tcp;
		ns->tcp = NULL;
		tcp_arg(pcb, NULL);
		if (pcb->state == LISTEN) {
			tcp_close(pcb);
		} else {
			tcp_recv(pcb, NULL);
			tcp_sent(pcb, NULL);
			tcp_err(pcb, NULL);
			/* unread data or SO_LINGER 0: a reset, as on Linux */
			if ((ns->linger_on && ns->linger_sec == 0) || ns->rq_bytes)
				tcp_abort(pcb);
			else if (tcp_close(pcb) != ERR_OK)
				tcp_abort(pcb);
		}
	}
	if (ns->udp) {
		udp_remove(ns->udp);
		ns->udp = NULL;
	}
	free_queues(ns);
}
