/*
 * link.h -- the agent's ZeroMQ session with the coordinator.
 *
 * One DEALER socket (CURVE client, coordinator key pinned) driven by the same
 * libevent event_base as the probe engine.  The link registers with HELLO,
 * takes its heartbeat terms from WELCOME, heartbeats while idle, runs every
 * JOB on the probe engine and answers with RESULT.  When the coordinator has
 * been silent for `liveness` intervals (or says BYE) the link closes the
 * socket, backs off (RECONNECT_MIN_MS doubling to RECONNECT_MAX_MS, with
 * jitter) and registers again on a new socket, because libzmq's own
 * reconnect does not re-register the agent.
 *
 * With several coordinator keys (cfg.n_server_keys > 1, key rotation) a
 * session that ends without any frame from the coordinator moves on to the
 * next key.  A BYE before WELCOME while enrolling (cfg.enroll_token set)
 * means "not approved yet": the link retries every ENROLL_RETRY_MS.
 */
#ifndef VANTAGE_AGENT_LINK_H
#define VANTAGE_AGENT_LINK_H

#include <stddef.h>

#include "config.h"

struct event_base;
struct agent_link;

#define LINK_TICK_MIN_MS     10    /* timer tick bounds: the tick checks liveness, */
#define LINK_TICK_MAX_MS     250   /* sends heartbeats and drains the socket */
#define LINK_HB_MIN_MS       10    /* WELCOME heartbeat interval accepted ... */
#define LINK_HB_MAX_MS       30000 /* ... up to this (zguide: 10 ms .. 30 s) */
#define LINK_LIVENESS_MAX    10    /* WELCOME liveness accepted: 1 .. this */
#define LINK_DRAIN_MAX       256   /* messages handled per drain before yielding */
#define LINK_BYE_REASON_STOP "agent shutting down"

/*
 * Create the link on base (not owned) with cfg (copied): the ZeroMQ context,
 * the probe engine (probe_env_new on the same base) and the timers.  Nothing
 * is sent until agent_link_start().  Returns NULL with a reason in err.
 * Caller owns the link; free it with agent_link_destroy().
 */
struct agent_link *agent_link_new(struct event_base *base, const struct agent_cfg *cfg, char *err,
                                  size_t errlen);

/* Open the first session (new DEALER socket, connect, HELLO as soon as the
 * connection is up).  0, or -1 with a reason in err. */
int agent_link_start(struct agent_link *l, char *err, size_t errlen);

/* Orderly stop, e.g. from a SIGTERM handler event: send BYE if a session is
 * up, stop every timer and break the event loop.  Safe to call twice. */
void agent_link_stop(struct agent_link *l);

/* Cancel running probes, close the socket (ZMQ_LINGER bounds the wait),
 * terminate the context and free everything.  Nulls *lp. */
void agent_link_destroy(struct agent_link **lp);

/* Number of sessions opened so far (1 after start; +1 per reconnect).  For
 * tests and logs. */
unsigned agent_link_sessions(const struct agent_link *l);

/* Index into cfg.server_public[] of the coordinator key the current (or next)
 * session pins: 0 at start, advanced when a session ends without a single
 * frame from the coordinator.  For tests and logs. */
size_t agent_link_key_index(const struct agent_link *l);

#endif
