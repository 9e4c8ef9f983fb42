/*
 * Helper for the exhaustiveness test: makes the magic call (see
 * tests/interposer/sy_test.h) and reports the outcome in its exit code:
 * 10 caught, 11 missed, 12 mixed. Started by execve, posix_spawn and
 * system() to prove that new programs are interposed again.
 */
#include "sy_test.h"

int main(void)
{
	return SY_EXIT_BASE + sy_magic_all();
}
