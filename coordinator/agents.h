/*
 * agents.h -- the coordinator's registry of configured agents: who is up,
 * their capabilities from HELLO, their ZeroMQ routing id and liveness.
 *
 * One entry per configured agent, in configuration order; an agent that is
 * not configured never gets an entry (ZAP refuses it before it can talk, or
 * lets it in only to enrol, which serve.c handles apart).
 * Times are milliseconds of the coordinator's monotonic clock.
 */
#ifndef VANTAGE_COORD_AGENTS_H
#define VANTAGE_COORD_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "../common/keys.h"
#include "../proto/proto.h"

#define AGENTS_MAX_RID 256 /* bytes of a ZeroMQ routing id */

enum agent_state {
	AGENT_NEVER = 0, /* configured, never connected */
	AGENT_UP = 1,
	AGENT_DOWN = 2,
};

struct agent {
	const struct coord_agent_cfg *cfg; /* points into the registry's config */
	enum agent_state state;
	struct proto_hello caps; /* from the last HELLO */
	uint8_t rid[AGENTS_MAX_RID];
	size_t rid_len;
	char key_z85[KEY_Z85_LEN + 1]; /* the CURVE key of the registered session */
	char peer[64];                 /* its Peer-Address, escaped */
	uint64_t last_seen_ms;         /* last message of any kind */
	unsigned inflight;             /* jobs sent and not yet answered or expired */
	bool unreachable;              /* a send failed; the loop marks it down */
};

struct agents {
	const struct coord_config *cfg; /* not owned */
	struct agent *v;                /* cfg->n_agents entries */
	size_t n;
};

/* Create the registry for cfg (borrowed; must outlive it).  NULL on ENOMEM.
 * Destroy with agents_destroy, which nulls *ap. */
struct agents *agents_new(const struct coord_config *cfg);
void agents_destroy(struct agents **ap);

/* The agent called name, or NULL if it is not configured. */
struct agent *agents_find(struct agents *r, const char *name);

/* Record a HELLO: capabilities, routing id and session key (replacing an
 * older connection's), peer address, state up, seen now.  Returns 1 if the
 * agent just came up, 0 if it was up. */
int agents_hello(struct agent *a, const uint8_t *rid, size_t rid_len, const char *key_z85,
                 const char *peer, const struct proto_hello *caps, uint64_t now_ms);

/* Is (rid, key_z85) the registered session of agent a (HELLO'd, up)? */
bool agents_is_registered(const struct agent *a, const uint8_t *rid, size_t rid_len,
                          const char *key_z85);

/* Forget a's session (revoked): state down, routing id and key cleared.
 * Returns 1 if it was up. */
int agents_forget(struct agent *a);

/* Mark a down (no-op if not up).  Returns 1 if it was up. */
int agents_mark_down(struct agent *a);

/* Agents that were up and have been silent for liveness intervals as of now:
 * marks the first such agent down and returns it, NULL when none is left.
 * Callers loop (bounded by r->n). */
struct agent *agents_next_expired(struct agents *r, uint64_t now_ms);

/* Number of agents up. */
size_t agents_count_up(const struct agents *r);

/* "up", "down", "never". */
const char *agent_state_name(enum agent_state s);

/* The GET /v1/agents document {"agents":[...]} (caller owns); NULL on ENOMEM.
 * Each agent has "key" (its session's key, or null) and "source"
 * ("config" or "enrolled", from cfg->from_dir). */
json_t *agents_json(const struct agents *r, uint64_t now_ms);

#endif
