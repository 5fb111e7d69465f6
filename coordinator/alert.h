/*
 * alert.h -- delivering monitor alerts without ever blocking the
 * coordinator's loop: a bounded queue and one worker thread that POSTs the
 * JSON payload to the configured webhook (libcurl, timeout, retries with
 * backoff; 2xx is delivered) and/or runs the configured command (no shell;
 * arguments and environment below; killed after its timeout).
 *
 * The payload (docs/monitoring.md, "Alerts"):
 *   {"kind": "failure"|"recovery", "monitor", "domain", "method",
 *    "state": "fail"|"pass", "since": RFC 3339, "consecutive_failures",
 *    "vantages": [{"agent","region","rir","outcome","problem": {type,detail}|null}],
 *    "failing": ["agent", ...], "diagnosis": ["...", ...],
 *    "le_multi_perspective": {...} | null, "at": RFC 3339}
 * The command gets argv [command, kind, domain, method], the payload on
 * stdin, and VANTAGE_ALERT_KIND, VANTAGE_MONITOR, VANTAGE_DOMAIN,
 * VANTAGE_METHOD, VANTAGE_STATE, VANTAGE_FAILING (space-separated agents),
 * VANTAGE_DIAGNOSIS (first line) in its environment.
 */
#ifndef VANTAGE_COORD_ALERT_H
#define VANTAGE_COORD_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "monitor.h"

#define ALERT_QUEUE_MAX              256  /* pending alerts; the oldest is dropped (logged) */
#define ALERT_DEFAULT_TIMEOUT_MS     5000 /* one webhook POST */
#define ALERT_DEFAULT_RETRIES        3    /* tries after the first */
#define ALERT_BACKOFF_MS             1000 /* doubling between tries */
#define ALERT_CMD_DEFAULT_TIMEOUT_MS 10000
#define ALERT_MAX_PAYLOAD            65536 /* bytes of one payload */
#define ALERT_CONNECT_TIMEOUT_MS     3000  /* TCP+TLS connect, within the POST's timeout */
#define ALERT_MAX_RETRIES            10    /* webhook_retries above this are clamped */
#define ALERT_BACKOFF_MAX_MS         60000 /* the doubling stops here */
#define ALERT_CMD_POLL_MS            10    /* how often a running command is checked */
#define ALERT_CMD_REAP_MS            2000  /* wait for a SIGKILLed command to be reaped */

struct alerts;

/* Start the worker for cfg's webhook_url / alert_command (copied; both may
 * be ""; then alerts are only logged).  NULL with err. */
struct alerts *alerts_new(const struct monitoring_cfg *cfg, char *err, size_t errlen);
/* Stop the worker: waits for the alert being delivered (bounded by its
 * timeouts), drops the rest (logged), frees; nulls *ap. */
void alerts_destroy(struct alerts **ap);

/* Queue payload: it is serialised now (json_dumps, JSON_COMPACT: the exact
 * webhook body and command stdin), so the caller keeps its reference and
 * the worker never touches jansson objects.  Needs the string members
 * kind, domain and method.  Never blocks; a full queue drops its oldest
 * alert (logged, counted).  With neither webhook nor command the alert is
 * only logged (not counted).  0, or -1 if it could not be queued (logged). */
int alerts_post(struct alerts *a, json_t *payload);

/* Counters for /metrics (read from the loop thread; updated atomically).
 * queued: accepted by alerts_post; delivered / failed: every configured
 * channel delivered / one did not (after its retries); dropped: pushed out
 * of a full queue or still queued at alerts_destroy.  a may be NULL (all 0). */
struct alert_counters {
	uint64_t queued, delivered, failed, dropped;
};
void alerts_counters(const struct alerts *a, struct alert_counters *out);

/* Wait until the queue is empty and no delivery runs, at most timeout_ms
 * (tests).  0 when idle, -1 on timeout. */
int alerts_drain(struct alerts *a, uint32_t timeout_ms);
/* The first webhook backoff, doubling from there (tests; default
 * ALERT_BACKOFF_MS). */
void alerts_set_backoff_ms(struct alerts *a, uint32_t ms);

#endif
