/*
 * leerr.h -- Boulder's words for connection failures
 * (letsencrypt-validation.md 3.8, va/va.go detailedError), shared by every
 * probe that dials: HTTP-01 and TLS-ALPN-01.
 */
#ifndef VANTAGE_AGENT_LEERR_H
#define VANTAGE_AGENT_LEERR_H

#define LEERR_GENERIC       "Error getting validation data"
#define LEERR_TIMEOUT_DIAL  "Timeout during connect (likely firewall problem)"
#define LEERR_TIMEOUT_AFTER "Timeout after connect (your server may be slow or overloaded)"
#define LEERR_REFUSED       "Connection refused"
#define LEERR_UNREACHABLE   "Network unreachable"
#define LEERR_RESET         "Connection reset by peer"
#define LEERR_HTTP_ONLY     "Server only speaks HTTP, not TLS"

/* LE's text for a failed connect(2) or a reset, by errno; LEERR_GENERIC for
 * any other value.  Returns a static string. */
const char *leerr_errno_text(int err);

#endif
