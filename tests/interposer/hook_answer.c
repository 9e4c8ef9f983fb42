/*
 * Test hook library, built only on the public hook API: answers
 * syscall(500, 0x5157AB1E) with 0x5157AB1E + 1 and passes everything else.
 * A program that sees that answer knows switchyard caught the call
 * (natively the kernel says ENOSYS). See sy_test.h.
 */
#include <stdint.h>

#include <switchyard/hook.h>

#define MAGIC 0x5157AB1EL

static uint8_t interest[SY_NR_LIMIT / 8];

static enum sy_verdict answer_enter(void *ctx, struct sy_call *call, long *result)
{
	(void)ctx;
	if (call->nr == 500 && call->args[0] == MAGIC) {
		*result = MAGIC + 1;
		return SY_ANSWER;
	}
	return SY_PASS;
}

static const struct sy_hook answer_hook = {
    .version = SY_HOOK_API_VERSION,
    .name = "test-answer-500",
    .ctx = 0,
    .interest = interest,
    .enter = answer_enter,
};

__attribute__((visibility("default"))) int switchyard_hook_init(void)
{
	sy_interest_add(interest, 500);
	return sy_hook_register(&answer_hook) == 0 ? 0 : -1;
}
