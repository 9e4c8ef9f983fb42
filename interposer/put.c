/* sy_put: bounded appends for the text switchyard writes (state handed across
 * exec, stats, traces). In sy_common so that the unit tests use this one. */
#include <stdarg.h>
#include <stdio.h>

#include "sy.h"

size_t sy_put(char *buf, size_t size, size_t at, const char *fmt, ...)
{
	if (at + 1 >= size)
		return at;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + at, size - at, fmt, ap);
	va_end(ap);
	if (n < 0)
		return at;
	return at + (size_t)n < size ? at + (size_t)n : size - 1;
}
