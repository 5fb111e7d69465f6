/*
 * cmdline.c -- see cmdline.h.
 */
#include <stddef.h>

#include "cmdline.h"

void cmdline_add(struct cmdline *c, va_list ap)
{
	for (char *a = va_arg(ap, char *); a != NULL && c->argc <= CMDLINE_MAX;
	     a = va_arg(ap, char *))
		c->argv[c->argc++] = a;
	c->argv[c->argc] = NULL;
}
