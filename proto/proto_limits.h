/*
 * proto_limits.h -- bounds proto/ enforces on field values, beyond the frame
 * limits in common/limits.h.  Internal to proto/ (and its tests).
 */
#ifndef VANTAGE_PROTO_LIMITS_H
#define VANTAGE_PROTO_LIMITS_H

#include "../common/result.h"

#define PROTO_MAX_HTTP_STATUS 999   /* three digits; 0 means "no status seen" */
#define PROTO_MAX_PORT        65535 /* a TCP port */
#define PROTO_ERR_PATH_LEN    48    /* "rec[25].p." and the like, for error texts */

/* HELLO's methods bitmask: bit (1 << m) for every defined vt_method but NONE. */
#define PROTO_METHOD_MASK ((1u << (VT_METHOD_CAA + 1)) - 2u)

#endif
