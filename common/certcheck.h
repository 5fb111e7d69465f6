/*
 * certcheck.h -- judging the certificate a vantage received on port 443
 * (method tls-cert: an ordinary TLS handshake with SNI, not acme-tls/1).
 *
 * Let's Encrypt's renewal advice is relative: renew when a third of the
 * lifetime is left, so 6-day and 90-day certificates are judged alike.
 * Warning below warn_fraction of the lifetime left; critical below
 * crit_fraction of it or below crit_days, whichever comes first; expired
 * past notAfter; "not yet valid" before notBefore.
 */
#ifndef VANTAGE_CERTCHECK_H
#define VANTAGE_CERTCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "result.h"

enum certcheck_level {
	CERTCHECK_OK = 0,
	CERTCHECK_WARNING = 1,  /* past the renewal point */
	CERTCHECK_CRITICAL = 2, /* close to expiry */
	CERTCHECK_EXPIRED = 3,  /* or not yet valid */
	CERTCHECK_NONE = 4,     /* no certificate (the handshake failed) */
};

struct certcheck_policy {
	double warn_fraction; /* e.g. 1/3 */
	double crit_fraction; /* e.g. 1/6 */
	uint32_t crit_days;   /* e.g. 14 */
};

/* The default policy (the values of monitor.h's MONITOR_CERT_*), which the
 * verdict and the report judge with; a monitor passes its configured one.
 * A NULL policy, or one with a fraction outside [0, 1], means these.
 * crit_days only applies to certificates that live at least crit_days /
 * warn_fraction (42 days): a 6-day certificate always has fewer than 14
 * days left, and is judged by the fractions alone (certcheck.c). */
#define CERTCHECK_DEFAULT_WARN_FRACTION (1.0 / 3.0)
#define CERTCHECK_DEFAULT_CRIT_FRACTION (1.0 / 6.0)
#define CERTCHECK_DEFAULT_CRIT_DAYS     14
/* Longest message certcheck_judge() writes. */
#define CERTCHECK_MSG_LEN 256

/* Judge cert at now (Unix s).  msg gets one line, e.g. "expires
 * 2026-12-01T00:00:00Z, in 6.5 days (7 % of its 90-day lifetime left):
 * critical".  Returns the level. */
enum certcheck_level certcheck_judge(const struct vt_cert *cert, int64_t now,
                                     const struct certcheck_policy *p, char *msg, size_t msglen);
/* The same from a report document's "cert" object (not_before/not_after as
 * RFC 3339 or not_after_unix; null or missing = CERTCHECK_NONE). */
enum certcheck_level certcheck_judge_json(const json_t *cert, int64_t now,
                                          const struct certcheck_policy *p, char *msg,
                                          size_t msglen);
/* "ok", "warning", "critical", "expired", "none". */
const char *certcheck_level_name(enum certcheck_level l);

#endif
