/*
 * Test hook library whose init fails: switchyard must stop the program
 * before main with a message (hook.h: "non-zero stops the program before
 * main with an error").
 */
#include <switchyard/hook.h>

__attribute__((visibility("default"))) int switchyard_hook_init(void)
{
	return -1;
}
