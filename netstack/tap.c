/*
 * TAP devices for the netstack (tap.h).
 */
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/ipv6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Opens /dev/net/tun and attaches it to the device: 0 with *fdp, or -errno. */
static int tun_attach(const char *name, int *fdp)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	*fdp = fd;
	return 0;
}

static int device_exists(const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return access(path, F_OK) == 0;
}

static int if_ioctl(int sock, unsigned long req, struct ifreq *ifr)
{
	return ioctl(sock, req, ifr) < 0 ? -errno : 0;
}

int sy_tap_configure(const struct sy_net_config *c, char *err, size_t errlen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		int e = errno;
		snprintf(err, errlen, "TAP device %s: socket: %s", c->tap, strerror(e));
		return -e;
	}
	struct ifreq ifr;
	const char *step = NULL;
	int r = 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->tap);
	ifr.ifr_mtu = c->mtu;
	if ((r = if_ioctl(s, SIOCSIFMTU, &ifr)) < 0) {
		step = "setting its mtu";
		goto out;
	}
	if (c->has_host4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
		memset(&ifr.ifr_addr, 0, sizeof(ifr.ifr_addr));
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, c->host4, 4);
		if ((r = if_ioctl(s, SIOCSIFADDR, &ifr)) < 0) {
			step = "setting host-address";
			goto out;
		}
		uint32_t mask = htonl(c->prefix4 ? 0xffffffffu << (32 - c->prefix4) : 0);
		memcpy(&sin->sin_addr, &mask, 4);
		if ((r = if_ioctl(s, SIOCSIFNETMASK, &ifr)) < 0) {
			step = "setting the netmask";
			goto out;
		}
	}
	if ((r = if_ioctl(s, SIOCGIFFLAGS, &ifr)) < 0) {
		step = "reading its flags";
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if ((r = if_ioctl(s, SIOCSIFFLAGS, &ifr)) < 0) {
		step = "bringing it up";
		goto out;
	}
	if (c->has_host6) {
		/* no duplicate address detection: the address is usable at once */
		char dad[96];
		snprintf(dad, sizeof(dad), "/proc/sys/net/ipv6/conf/%s/accept_dad", c->tap);
		int dfd = open(dad, O_WRONLY | O_CLOEXEC);
		if (dfd >= 0) {
			if (write(dfd, "0", 1) < 0) { /* best effort */
			}
			close(dfd);
		}
		int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct in6_ifreq r6;
		memset(&r6, 0, sizeof(r6));
		memcpy(&r6.ifr6_addr, c->host6, 16);
		r6.ifr6_prefixlen = (uint32_t)c->prefix6;
		if ((r = if_ioctl(s, SIOCGIFINDEX, &ifr)) == 0 && s6 >= 0) {
			r6.ifr6_ifindex = ifr.ifr_ifindex;
			if (ioctl(s6, SIOCSIFADDR, &r6) < 0 && errno != EEXIST)
				r = -errno;
		}
		if (s6 >= 0)
			close(s6);
		if (r < 0)
			step = "setting host-address6";
	}
out:
	close(s);
	if (r < 0)
		snprintf(err, errlen, "TAP device %s: %s: %s%s", c->tap, step, strerror(-r),
			 (r == -EPERM || r == -EACCES) ? " (needs CAP_NET_ADMIN: run as root)" : "");
	return r;
}

int sy_tap_attach(const struct sy_net_config *c, char *err, size_t errlen)
{
	int existed = device_exists(c->tap), fd;
	int r = tun_attach(c->tap, &fd);
	if (r == -EBUSY) {
		snprintf(err, errlen,
			 "TAP device %s is in use by another process (one lwIP stack per TAP "
			 "device: give each switchyard run its own `tap =`)",
			 c->tap);
		return r;
	}
	if (r == -EPERM && !existed) {
		snprintf(err, errlen,
			 "TAP device %s does not exist and creating it needs CAP_NET_ADMIN: run "
			 "`switchyard net up -c CONFIG` as root once (it stays, owned by you)",
			 c->tap);
		return r;
	}
	if (r == -EPERM) {
		snprintf(err, errlen,
			 "TAP device %s belongs to another user: `switchyard net up -c CONFIG "
			 "--user USER` as root gives it to USER",
			 c->tap);
		return r;
	}
	if (r == -EACCES) {
		snprintf(err, errlen,
			 "TAP device %s: cannot open /dev/net/tun (%s): this user may not use TAP "
			 "devices (udev makes it mode 0666 on Debian; else, as root: chmod 0666 "
			 "/dev/net/tun, then `switchyard net up -c CONFIG --user USER`)",
			 c->tap, strerror(-r));
		return r;
	}
	if (r < 0) {
		snprintf(err, errlen, "TAP device %s: /dev/net/tun: %s", c->tap, strerror(-r));
		return r;
	}
	/* configured here when we may: a root run needs no set-up step */
	r = sy_tap_configure(c, err, errlen);
	if (r < 0 && r != -EPERM) {
		close(fd);
		return r;
	}
	return fd;
}

int sy_tap_up(const struct sy_net_config *c, uid_t owner, gid_t group, char *err, size_t errlen)
{
	int fd;
	int r = tun_attach(c->tap, &fd);
	if (r < 0) {
		snprintf(err, errlen, "creating TAP device %s: %s%s", c->tap, strerror(-r),
			 (r == -EPERM || r == -EACCES) ? " (needs CAP_NET_ADMIN: run as root)" : "");
		return r;
	}
	if (ioctl(fd, TUNSETPERSIST, 1) < 0 || ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0 ||
	    ioctl(fd, TUNSETGROUP, (unsigned long)group) < 0) {
		r = -errno;
		close(fd);
		snprintf(err, errlen, "TAP device %s: making it persistent: %s", c->tap,
			 strerror(-r));
		return r;
	}
	r = sy_tap_configure(c, err, errlen);
	close(fd);
	return r;
}

int sy_tap_down(const struct sy_net_config *c, char *err, size_t errlen)
{
	if (!device_exists(c->tap)) {
		snprintf(err, errlen, "TAP device %s does not exist", c->tap);
		return -ENODEV;
	}
	int fd;
	int r = tun_attach(c->tap, &fd);
	if (r == 0 && ioctl(fd, TUNSETPERSIST, 0) < 0)
		r = -errno;
	if (r == 0)
		close(fd);
	if (r < 0)
		snprintf(err, errlen, "removing TAP device %s: %s%s", c->tap, strerror(-r),
			 (r == -EPERM || r == -EACCES) ? " (needs CAP_NET_ADMIN: run as root)" : "");
	return r;
}
