/*
 * A library the exhaustiveness test dlopen()s after start: its syscall site
 * is mapped after switchyard initialised, so only Syscall User Dispatch can
 * find it the first time. No hook symbol here on purpose (bad-input test uses
 * it as "a library without switchyard_hook_init").
 */
#include "sy_test.h"

__attribute__((visibility("default"))) long sy_dlib_magic(void)
{
	return sy_magic_inline();
}

__attribute__((visibility("default"))) int sy_dlib_magic_all(void)
{
	return sy_magic_all();
}
