/*
 * probe_int.h -- what the engine (probe.c) shares with the per-method probe
 * files (http01.c, ...).  Not for callers of the engine: they use probe.h.
 *
 * A method is one `struct probe_ops` in probe.c's table.  start() begins the
 * work on the engine's event_base and returns; when the method knows its
 * outcome it fills probe_result() and calls probe_finish().  cancel() stops
 * all I/O (the engine calls it on finish, on budget expiry and on free);
 * free() releases the method's state.
 */
#ifndef VANTAGE_AGENT_PROBE_INT_H
#define VANTAGE_AGENT_PROBE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

struct curlev;

struct probe_ops {
	enum vt_method method;
	const char *name;
	/* Begin; 0, or -1 with a reason in err (then free() is still called). */
	int (*start)(struct probe *p, char *err, size_t errlen);
	/* Stop all I/O.  budget_expired: the job's budget ran out before the
	 * method finished; the method should then record its failure. */
	void (*cancel)(struct probe *p, bool budget_expired);
	/* Release the method's state (after cancel). */
	void (*free)(struct probe *p);
};

/* The HTTP-01 method (http01.c). */
extern const struct probe_ops http01_ops;
extern const struct probe_ops dns01_ops;
extern const struct probe_ops tlsalpn01_ops;
extern const struct probe_ops caa_ops;
extern const struct probe_ops tlscert_ops;

/* Accessors for methods. */
struct event_base *probe_base(const struct probe *p);
struct curlev *probe_curlev(const struct probe *p);
const struct probe_cfg *probe_config(const struct probe *p);
void *probe_state(const struct probe *p);
void probe_set_state(struct probe *p, void *state);
/* Milliseconds left of the job's budget (0 when spent). */
uint32_t probe_remaining_ms(const struct probe *p);
/* Milliseconds since the probe started. */
uint32_t probe_elapsed_ms(const struct probe *p);

/* The method is done: the result is final.  Stops I/O and schedules the
 * done callback (it fires from the event loop, never from inside this call).
 * Idempotent. */
void probe_finish(struct probe *p);

/* Test only: dial this port instead of HTTP01_PORT for http:// URLs (the
 * redirect policy then accepts it as the HTTP port).  0 restores 80. */
void http01_set_port_for_tests(uint16_t port);

#endif
