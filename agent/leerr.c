/*
 * leerr.c -- see leerr.h.
 */
#include <errno.h>

#include "leerr.h"

const char *leerr_errno_text(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return LEERR_REFUSED;
	case ENETUNREACH:
		return LEERR_UNREACHABLE;
	case ETIMEDOUT:
		return LEERR_TIMEOUT_DIAL;
	case ECONNRESET:
		return LEERR_RESET;
	default:
		return LEERR_GENERIC;
	}
}
