/*
 * The netstack module's entry points (module.h): set-up when the library
 * loads it, and its counters for the stats file.
 */
#include <stdio.h>
#include <string.h>
#include <switchyard/hook.h>

#include "net.h"

const struct sy_net_host *sy_net_host;

long sy_net_raw(long nr, long a, long b, long c, long d, long e, long f)
{
	return sy_syscall(nr, a, b, c, d, e, f);
}

__attribute__((visibility("default"))) int sy_net_module_init(const struct sy_net_host *host,
							      char *err, size_t errlen)
{
	if (!host || host->version != SY_NET_MODULE_VERSION) {
		snprintf(err, errlen, "netstack: module and library versions differ");
		return -1;
	}
	sy_net_host = host;
	sy_nsock_setup();
	return sy_net_hook_setup(err, errlen);
}

__attribute__((visibility("default"))) size_t sy_net_module_stats(char *buf, size_t size,
								  size_t at)
{
	int n = snprintf(buf + (at < size ? at : size), at < size ? size - at : 0,
			 "  \"net\": {\"lwip_calls\": %ld, \"lwip_sockets\": %ld, "
			 "\"kernel_sockets\": %ld, \"refused\": %ld, \"stack\": \"%s\"},\n",
			 __atomic_load_n(&sy_net_served, __ATOMIC_RELAXED),
			 __atomic_load_n(&sy_net_sockets, __ATOMIC_RELAXED),
			 __atomic_load_n(&sy_net_kernel_sockets, __ATOMIC_RELAXED),
			 __atomic_load_n(&sy_net_refused, __ATOMIC_RELAXED),
			 sy_stack_live() ? "running" : "not started");
	return at + (n > 0 ? (size_t)n : 0);
}
