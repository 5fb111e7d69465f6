/*
 * text.c -- see text.h.
 */
#include <stdio.h>
#include <string.h>

#include "text.h"

void text_vappendf(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t used = strnlen(buf, len);

	if (used + 1 >= len)
		return;
	vsnprintf(buf + used, len - used, fmt, ap);
}

void text_appendf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vappendf(buf, len, fmt, ap);
	va_end(ap);
}
