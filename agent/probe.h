/*
 * probe.h -- the agent's probe engine: one ops table per challenge method,
 * all probes of an agent on one libevent loop (no thread per probe).
 *
 * Callers (the daemon's link to the coordinator, and the one-shot
 * `vantage-agent probe` command) create one probe_env per process, then call
 * probe_start() per job; the done callback fires exactly once, from the event
 * loop, with the probe's result filled in, and the callback's owner then
 * calls probe_free().  A probe never outlives its job's budget: the engine
 * arms a timer at start and finishes the probe with whatever it has.
 */
#ifndef VANTAGE_PROBE_H
#define VANTAGE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/result.h"
#include "../common/addr.h"

struct event_base;
struct probe;
struct probe_env;

/* Resolver settings, from the agent's configuration or the command line. */
struct resolver_cfg {
	char forwarder[LIMIT_ADDR_LEN + 8]; /* "" = recursive; else "ADDR[@PORT]" */
	char root_hints[4096];              /* path of a root hints file; "" = built in */
	char trust_anchor[4096];            /* path of a DNSSEC trust anchor file; "" = none */
	uint32_t timeout_ms;                /* one lookup, DNS_TIMEOUT_MS by default */
};

/* Per-process probe settings. */
struct probe_cfg {
	struct resolver_cfg resolver;
	struct addr_filter public_prefixes; /* --treat-as-public */
	char user_agent[256];               /* LE_USER_AGENT by default */
	uint32_t dial_timeout_ms;           /* HTTP01_DIAL_TIMEOUT_MS by default */
	bool ipv6;                          /* false: this vantage has no IPv6 path, so
	                                       it never dials IPv6 and says IPv6 was not judged */
};

typedef void (*probe_done_fn)(struct probe *p, void *arg);

/* Create the engine on base (not owned).  cfg is copied.  NULL on error with
 * a reason in err. */
struct probe_env *probe_env_new(struct event_base *base, const struct probe_cfg *cfg, char *err,
                                size_t errlen);
/* Cancel every running probe (their callbacks do not fire) and free the
 * engine; nulls *envp. */
void probe_env_destroy(struct probe_env **envp);
/* Probes currently running. */
unsigned probe_env_inflight(const struct probe_env *env);

/*
 * Start the probe job asks for.  Returns the probe (owned by the caller from
 * the moment done fires), or NULL when the method is not supported or memory
 * ran out (err says which).  The budget counts from now on this host's
 * monotonic clock.
 */
struct probe *probe_start(struct probe_env *env, const struct vt_job *job, probe_done_fn done,
                          void *arg, char *err, size_t errlen);

/* The probe's job and result; valid until probe_free(). The result may be
 * moved out (vt_result ownership passes with a struct copy and a memset). */
const struct vt_job *probe_job(const struct probe *p);
struct vt_result *probe_result(struct probe *p);

/* Free a finished probe, or cancel and free a running one (no callback).
 * Nulls *pp. */
void probe_free(struct probe **pp);

/* Bitmask of supported methods: bit (1 << vt_method). */
uint32_t probe_methods(void);

#endif
