/*
 * lwIP in the process: started on the first socket that goes to it (a run
 * that never makes one never opens the TAP device), with lwIP's own thread
 * and a reader thread for the TAP device. Both are switchyard's threads:
 * their system calls go straight to the kernel and they take no signal of
 * the program's.
 */
#include <errno.h>
#include <fcntl.h>
#include <lwip/etharp.h>
#include <lwip/ethip6.h>
#include <lwip/init.h>
#include <lwip/netif.h>
#include <lwip/sys.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcpip.h>
#include <netif/ethernet.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "net.h"
#include "tap.h"

static struct netif tap_netif;
static int tap_fd = -1;
static int started;  /* 1: running; <0: failed to start, -errno */
static int forked;   /* a copy of a parent that had (or might start) lwIP */
static int start_lock;

/* lwIP's core lock, taken again by a thread that holds it (freeing a
 * socket while serving another call) without deadlock. */
static __thread int core_held;

void sy_core_lock(void)
{
	if (core_held++ == 0)
		sys_lock_tcpip_core();
}

void sy_core_unlock(void)
{
	if (--core_held == 0)
		sys_unlock_tcpip_core();
}

/*
 * lwIP makes its thread through sys_thread_new; this definition is found
 * before the port's (the module comes first in its own lookup scope), so
 * lwIP's thread is started as one of switchyard's: every signal blocked
 * from its first instruction, then an area of its own.
 */
struct own_start {
	lwip_thread_fn fn;
	void *arg;
	int ready;
};

static void *own_thread_main(void *p)
{
	struct own_start *s = p;
	lwip_thread_fn fn = s->fn;
	void *arg = s->arg;
	int r = H->own_thread();
	__atomic_store_n(&s->ready, r == 0 ? 1 : -1, __ATOMIC_RELEASE);
	raw3(SYS_futex, &s->ready, FUTEX_WAKE_PRIVATE, 1);
	if (r == 0)
		fn(arg);
	return NULL;
}

static int spawn_own(lwip_thread_fn fn, void *arg)
{
	struct own_start s = {fn, arg, 0};
	pthread_attr_t attr;
	sigset_t all;
	pthread_t th;
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setsigmask_np(&attr, &all);
	int r = pthread_create(&th, &attr, own_thread_main, &s);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return -r;
	/* the new thread runs on this thread's area until its own is set up,
	 * so this one stays inside switchyard (depth raised) until then */
	while (__atomic_load_n(&s.ready, __ATOMIC_ACQUIRE) == 0)
		raw4(SYS_futex, &s.ready, FUTEX_WAIT_PRIVATE, 0, 0);
	return s.ready == 1 ? 0 : -EAGAIN;
}

__attribute__((visibility("default"))) sys_thread_t sys_thread_new(const char *name,
								  lwip_thread_fn fn, void *arg,
								  int stacksize, int prio)
{
	(void)name, (void)stacksize, (void)prio;
	if (spawn_own(fn, arg) < 0) {
		H->say("netstack: cannot start lwIP's thread");
		abort();
	}
	static char token;
	return (sys_thread_t)&token; /* lwIP never looks inside */
}

/* ---- the TAP netif ---- */

static err_t tap_linkoutput(struct netif *netif, struct pbuf *p)
{
	(void)netif;
	char frame[9216 + 64];
	const void *data = p->payload;
	size_t len = p->tot_len;
	if (p->next) {
		if (len > sizeof(frame))
			return ERR_BUF;
		pbuf_copy_partial(p, frame, (u16_t)len, 0);
		data = frame;
	}
	long w;
	do
		w = raw3(SYS_write, tap_fd, data, len);
	while (w == -EINTR);
	return w == (long)len ? ERR_OK : ERR_IF;
}

static err_t tap_netif_init(struct netif *netif)
{
	const struct sy_net_config *c = H->cfg;
	netif->name[0] = 's';
	netif->name[1] = 'y';
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = tap_linkoutput;
	netif->mtu = (u16_t)c->mtu;
	netif->mtu6 = (u16_t)c->mtu;
	netif->hwaddr_len = 6;
	memcpy(netif->hwaddr, c->mac, 6);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	return ERR_OK;
}

/* Frames from the kernel, handed to lwIP under its core lock (no queue hop
 * through lwIP's thread). */
static void tap_reader(void *arg)
{
	(void)arg;
	for (;;) {
		struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)(H->cfg->mtu + 14 + 4), PBUF_RAM);
		if (!p) {
			struct timespec ms = {0, 1000000};
			raw2(SYS_nanosleep, &ms, 0);
			continue;
		}
		long n = raw3(SYS_read, tap_fd, p->payload, p->len);
		if (n <= 0) {
			pbuf_free(p);
			if (n == -EINTR || n == -EAGAIN)
				continue;
			/* the device is gone: lwIP's sockets time out, as over a dead link */
			H->say("netstack: TAP device %s: read failed (%ld): no more input",
			       H->cfg->tap, -n);
			return;
		}
		pbuf_realloc(p, (u16_t)n);
		sy_core_lock();
		if (tap_netif.input(p, &tap_netif) != ERR_OK)
			pbuf_free(p);
		sy_core_unlock();
	}
}

static void ip4_of(const uint8_t b[4], ip4_addr_t *a)
{
	IP4_ADDR(a, b[0], b[1], b[2], b[3]);
}

struct start_wait {
	int done;
};

static void tcpip_ready(void *arg)
{
	struct start_wait *w = arg;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	raw3(SYS_futex, &w->done, FUTEX_WAKE_PRIVATE, 1);
}

static int start_locked(void)
{
	const struct sy_net_config *c = H->cfg;
	char err[512];
	int fd = sy_tap_attach(c, err, sizeof(err));
	if (fd < 0) {
		H->say("netstack: %s", err);
		return fd;
	}
	/* out of the program's numbers, as switchyard's own fds are */
	int hi = sy_fd_hide_high(fd, 0);
	if (hi >= 0) {
		raw1(SYS_close, fd);
		fd = hi;
	}
	tap_fd = fd;
	struct start_wait w = {0};
	tcpip_init(tcpip_ready, &w);
	while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
		raw4(SYS_futex, &w.done, FUTEX_WAIT_PRIVATE, 0, 0);

	ip4_addr_t addr, mask, gw;
	ip4_of(c->addr4, &addr);
	uint32_t m = c->prefix4 ? 0xffffffffu << (32 - c->prefix4) : 0;
	IP4_ADDR(&mask, m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255);
	if (c->has_gateway4)
		ip4_of(c->gateway4, &gw);
	else
		ip4_addr_set_zero(&gw);
	sy_core_lock();
	netif_add(&tap_netif, &addr, &mask, &gw, NULL, tap_netif_init, ethernet_input);
	if (c->has_addr6) {
		ip6_addr_t a6;
		s8_t idx;
		netif_create_ip6_linklocal_address(&tap_netif, 1);
		netif_ip6_addr_set_state(&tap_netif, 0, IP6_ADDR_PREFERRED);
		memcpy(a6.addr, c->addr6, 16);
		ip6_addr_clear_zone(&a6);
		if (netif_add_ip6_address(&tap_netif, &a6, &idx) == ERR_OK)
			netif_ip6_addr_set_state(&tap_netif, idx, IP6_ADDR_PREFERRED);
	}
	netif_set_default(&tap_netif);
	netif_set_link_up(&tap_netif);
	netif_set_up(&tap_netif);
	sy_core_unlock();
	if (spawn_own(tap_reader, NULL) < 0) {
		H->say("netstack: cannot start the TAP reader thread");
		return -EAGAIN;
	}
	return 0;
}

int sy_stack_start(void)
{
	if (__atomic_load_n(&started, __ATOMIC_ACQUIRE) == 1)
		return 0;
	if (forked)
		return -ENETDOWN;
	while (__atomic_exchange_n(&start_lock, 1, __ATOMIC_ACQUIRE))
		raw0(SYS_sched_yield);
	if (started == 0) {
		int r = start_locked();
		__atomic_store_n(&started, r == 0 ? 1 : r, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&start_lock, 0, __ATOMIC_RELEASE);
	return started == 1 ? 0 : -ENETDOWN;
}

int sy_stack_live(void)
{
	return !forked && __atomic_load_n(&started, __ATOMIC_ACQUIRE) == 1;
}

/* In a forked child: lwIP's threads stayed with the parent, so the child's
 * copy of a running stack is dead (its sockets say EBADFD), and the TAP
 * device is the parent's. A child of a process that never started lwIP
 * may start its own (a daemon that forks before it makes sockets). */
void sy_stack_forked(void)
{
	start_lock = 0;
	if (started == 1) {
		forked = 1;
		H->fd_hide(tap_fd, 0);
		raw1(SYS_close, tap_fd);
		tap_fd = -1;
	}
}

/* At exit: the kernel goes on sending what closed sockets still hold after
 * the process is gone; lwIP goes with the process, so it is given up to
 * max_ms to send it (and its FINs) first. */
void sy_stack_drain(int max_ms)
{
	for (int waited = 0; waited < max_ms; waited += 10) {
		int busy = 0;
		sy_core_lock();
		for (struct tcp_pcb *p = tcp_active_pcbs; p && !busy; p = p->next)
			busy = p->unsent || p->unacked || p->state == FIN_WAIT_1 ||
			       p->state == CLOSING || p->state == LAST_ACK;
		sy_core_unlock();
		if (!busy)
			return;
		struct timespec ms10 = {0, 10 * 1000 * 1000};
		raw2(SYS_nanosleep, &ms10, 0);
	}
}

int sy_stack_is_local(const ip_addr_t *a)
{
	if (ip_addr_isany(a))
		return 1;
	if (IP_IS_V4(a))
		return ip4_addr_cmp(ip_2_ip4(a), netif_ip4_addr(&tap_netif)) ||
		       ip4_addr_isloopback(ip_2_ip4(a));
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
		if (ip6_addr_isvalid(netif_ip6_addr_state(&tap_netif, i)) &&
		    ip6_addr_cmp_zoneless(ip_2_ip6(a), netif_ip6_addr(&tap_netif, i)))
			return 1;
	return ip6_addr_isloopback(ip_2_ip6(a));
}
