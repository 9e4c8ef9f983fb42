/*
 * A tiny sandbox built on the public hook API: with SY_DENY_UNLINK=1 in the
 * environment, unlink, unlinkat and rmdir are answered with EPERM and never
 * reach the kernel, so nothing can be deleted.
 *
 * It shows SY_ANSWER and the interest bitmap: the hook asks only for the
 * three calls it cares about, so every other call stays on the fast path.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <switchyard/hook.h>

static enum sy_verdict deny_enter(void *ctx, struct sy_call *call, long *result)
{
	(void)ctx;
	(void)call; /* the interest bitmap lets only the three calls through */
	*result = -EPERM;
	return SY_ANSWER;
}

/* Filled once in switchyard_hook_init, before the hook is registered. */
static uint8_t deny_interest[SY_NR_LIMIT / 8];

static const struct sy_hook deny_hook = {
    .version = SY_HOOK_API_VERSION,
    .name = "example-deny-unlink",
    .interest = deny_interest,
    .enter = deny_enter,
};

int switchyard_hook_init(void)
{
	const char *on = getenv("SY_DENY_UNLINK");
	if (!on || strcmp(on, "1") != 0)
		return 0; /* not asked to sandbox: register nothing, cost nothing */

	sy_interest_add(deny_interest, SYS_unlink);
	sy_interest_add(deny_interest, SYS_unlinkat);
	sy_interest_add(deny_interest, SYS_rmdir);
	return sy_hook_register(&deny_hook) == 0 ? 0 : -1;
}
