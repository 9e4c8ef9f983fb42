/*
 * The TAP device between lwIP and the kernel: attached by the netstack in
 * the process that runs lwIP, set up for later use by `switchyard net up`.
 * Plain libc calls (open, ioctl on an inet socket); no netlink library.
 */
#ifndef SY_NET_TAP_H
#define SY_NET_TAP_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* Attaches to the TAP device c->tap (IFF_TAP|IFF_NO_PI; the fd is
 * O_CLOEXEC and blocking). If the device does not exist and the caller may
 * create it (CAP_NET_ADMIN), it is created, not persistent (it goes when the
 * fd closes); with the right, the kernel's side is configured as c says
 * (sy_tap_configure). Returns the fd, or -errno with err saying what failed
 * and what to do about it. */
int sy_tap_attach(const struct sy_net_config *c, char *err, size_t errlen);

/* The kernel's side: host-address/prefix (and host-address6/prefix6), mtu,
 * link up. Idempotent: an address already there is fine. Needs
 * CAP_NET_ADMIN. 0, or -errno with err. */
int sy_tap_configure(const struct sy_net_config *c, char *err, size_t errlen);

/* `switchyard net up`: the device made persistent and owned by owner/group,
 * so that user attaches later without privileges, and configured. */
int sy_tap_up(const struct sy_net_config *c, uid_t owner, gid_t group, char *err, size_t errlen);

/* `switchyard net down`: a persistent device removed. */
int sy_tap_down(const struct sy_net_config *c, char *err, size_t errlen);

#endif
