/* Links the stand-in runtime library; prints a line so the run is visible. */
#include <stdio.h>

int sy_test_runtime_marker(void);

int main(void)
{
	printf("runtime marker %d\n", sy_test_runtime_marker());
	return 0;
}
