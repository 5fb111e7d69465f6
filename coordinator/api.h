/*
 * api.h -- the coordinator's HTTP API (docs/api.md) on libmicrohttpd.
 *
 * MHD runs in external-select mode with epoll: the coordinator adds
 * api_epoll_fd() to its zmq_poll items, calls api_run() when it is readable
 * or api_timeout_ms() expired, and never blocks inside MHD.  A POST /v1/checks
 * suspends its connection until the check finishes (checks_tick), then
 * resumes it and answers with the report.
 */
#ifndef VANTAGE_COORD_API_H
#define VANTAGE_COORD_API_H

#include <stddef.h>
#include <stdint.h>

#include "agents.h"
#include "checks.h"
#include "config.h"

#define API_CONN_TIMEOUT_S    30      /* idle connection timeout (not while suspended) */
#define API_TLS_MAX_FILE      1048576 /* bytes of a TLS certificate or key file */
#define API_TOKEN_MIN_LEN     16      /* a token file's token, at least */
#define API_TOKEN_FILE_MAX    512     /* bytes read from the token file */
#define API_PER_IP_CONN_LIMIT 16
#define API_START_ERR_LEN     256 /* libmicrohttpd's reason for a failed start */
/* NAME in /v1/agents/NAME/ACTION or /v1/monitors/NAME, at most */
#define API_PATH_NAME_LEN                                                                          \
	(LIMIT_AGENT_NAME_LEN > MONITOR_NAME_LEN ? LIMIT_AGENT_NAME_LEN : MONITOR_NAME_LEN)
#define API_HISTORY_DEFAULT_S (7 * 86400)      /* GET /v1/history without since= */
#define API_SINCE_LEN         64               /* characters of a since= value */
#define API_SINCE_MAX_DIGITS  12               /* of Unix seconds or a duration's number */
#define API_SINCE_MAX_BACK_S  (3660LL * 86400) /* a duration reaches back at most ~10 years */
#define API_RFC3339_MAX_FRAC  9                /* fractional-second digits accepted (dropped) */
/* GnuTLS priorities of the TLS listener: TLS 1.2 and 1.3 only (RFC 8996),
 * AEAD ciphers with forward-secret key exchange. */
#define API_TLS_PRIORITIES                                                                         \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"        \
	"+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

struct api;
struct enroll;

/* What the API asks of the coordinator loop for the enrolment endpoints
 * (serve.c implements them).  Each returns 0, or -1 with an HTTP status in
 * *status (404 no such agent or ticket, 409 not claimed yet, 500 file
 * error) and a reason in err. */
struct api_admin {
	void *ctx;
	char coordinator_key[41]; /* the coordinator's public key (Z85), for enrolment */
	/* enroll_approve + reload (the agent's next dial registers). */
	int (*approve)(void *ctx, const char *name, unsigned *status, char *err, size_t errlen);
	/* enroll_revoke_files + enroll_cancel + BYE to its session + agents_forget
	 * + reload.  404 only when there was neither a key file, nor a ticket,
	 * nor a session. */
	int (*revoke)(void *ctx, const char *name, unsigned *status, char *err, size_t errlen);
};

/*
 * Start the API on cfg->api_listen ("ADDR:PORT", "[V6]:PORT"; port 0 picks
 * one).  A non-loopback address requires cfg->api_tls_cert and api_tls_key.
 * With TLS, the listener speaks only API_TLS_PRIORITIES.  The bearer token
 * is read from (or created in) cfg->api_token_file.  cfg, agents and checks
 * are borrowed.  NULL with a reason in err (for a failed start, the one
 * libmicrohttpd gave: certificate/key mismatch, address in use, ...).
 */
struct api *api_new(const struct coord_config *cfg, struct agents *agents, struct checks *checks,
                    struct enroll *enroll, const struct api_admin *admin, char *err, size_t errlen);
/* Give the API the monitoring state (issue 5), after api_new: routes
 * GET /v1/history, GET/POST /v1/monitors, DELETE /v1/monitors/NAME,
 * GET /metrics and GET /status use them (all borrowed; any may be NULL:
 * the /v1 routes then answer 503 "monitoring is not running", /metrics and
 * /status show the agents only).  /metrics and /status need no token when
 * the API listens on loopback only. */
struct monitors;
struct history;
struct alerts;
void api_set_monitoring(struct api *a, struct monitors *m, struct history *h, struct alerts *al);

/* Stop the daemon (closing connections) and free; nulls *ap. */
void api_destroy(struct api **ap);

/* The epoll fd to poll for readability. */
int api_epoll_fd(const struct api *a);
/* Milliseconds until MHD needs api_run() even without I/O, or -1. */
int64_t api_timeout_ms(const struct api *a);
/* Let MHD do whatever is ready, without blocking.  0 or -1. */
int api_run(struct api *a);
/* The TCP port the API listens on. */
unsigned api_port(const struct api *a);

/*
 * Read the bearer token from path, or create the file (mode 0600,
 * API_TOKEN_LEN random hex characters) if it does not exist.  Refuses a file
 * group or others can read.  token gets the token (NUL-terminated).  0 or -1.
 */
int api_token_load(const char *path, char token[API_TOKEN_FILE_MAX + 1], char *err, size_t errlen);

/*
 * A time for GET /v1/history's since= (and `vantage history --since`):
 * RFC 3339 (api_parse_rfc3339), Unix seconds (digits only), or a duration
 * back from now: digits and one of s, m, h, d, w ("30m", "24h", "7d"), at
 * most API_SINCE_MAX_BACK_S.  A time after now is refused.  0 with Unix
 * seconds in *out, or -1 with the reason in err.
 */
int api_parse_since(const char *s, int64_t now, int64_t *out, char *err, size_t errlen);
/* "2026-01-02T03:04:05Z", "...T03:04:05.123+02:00" (fraction dropped, a leap
 * second read as :59) to Unix seconds in *out.  0 or -1. */
int api_parse_rfc3339(const char *s, int64_t *out);

/* Is addr (numeric IPv4/IPv6 text) a loopback address? */
int api_is_loopback(const char *addr);

#endif
