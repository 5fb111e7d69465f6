/*
 * agents.c -- registry of configured agents (see agents.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "../common/log.h"

struct agents *agents_new(const struct coord_config *cfg)
{
	struct agents *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->cfg = cfg;
	r->n = cfg->n_agents;
	if (r->n > 0) {
		r->v = calloc(r->n, sizeof(*r->v));
		if (r->v == NULL) {
			free(r);
			return NULL;
		}
	}
	for (size_t i = 0; i < r->n; i++)
		r->v[i].cfg = &cfg->agents[i];
	return r;
}

void agents_destroy(struct agents **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	free((*ap)->v);
	free(*ap);
	*ap = NULL;
}

struct agent *agents_find(struct agents *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].cfg->name, name) == 0)
			return &r->v[i];
	return NULL;
}

int agents_hello(struct agent *a, const uint8_t *rid, size_t rid_len, const char *key_z85,
                 const char *peer, const struct proto_hello *caps, uint64_t now_ms)
{
	int was_up = a->state == AGENT_UP;

	if (rid_len > AGENTS_MAX_RID)
		rid_len = AGENTS_MAX_RID;
	memcpy(a->rid, rid, rid_len);
	a->rid_len = rid_len;
	snprintf(a->key_z85, sizeof(a->key_z85), "%s", key_z85 != NULL ? key_z85 : "");
	snprintf(a->peer, sizeof(a->peer), "%s", peer != NULL ? peer : "");
	a->caps = *caps;
	a->caps.agent_version[sizeof(a->caps.agent_version) - 1] = '\0';
	/* Enrolment fields mean nothing once registered; keep no token around. */
	explicit_bzero(a->caps.enroll_token, sizeof(a->caps.enroll_token));
	a->caps.enroll_name[0] = '\0';
	a->state = AGENT_UP;
	a->last_seen_ms = now_ms;
	return was_up ? 0 : 1;
}

bool agents_is_registered(const struct agent *a, const uint8_t *rid, size_t rid_len,
                          const char *key_z85)
{
	/* The routing id alone is not enough: after a revocation the same
	 * session's key must no longer count, whatever id it arrives with. */
	return a->state == AGENT_UP && a->rid_len == rid_len &&
	       (rid_len == 0 || memcmp(a->rid, rid, rid_len) == 0) && key_z85 != NULL &&
	       a->key_z85[0] != '\0' && strcmp(a->key_z85, key_z85) == 0;
}

int agents_forget(struct agent *a)
{
	int was_up = agents_mark_down(a);

	a->key_z85[0] = '\0';
	a->peer[0] = '\0';
	return was_up;
}

int agents_mark_down(struct agent *a)
{
	if (a->state != AGENT_UP)
		return 0;
	a->state = AGENT_DOWN;
	a->rid_len = 0;
	a->inflight = 0;
	a->unreachable = false;
	return 1;
}

struct agent *agents_next_expired(struct agents *r, uint64_t now_ms)
{
	uint64_t window = (uint64_t)r->cfg->heartbeat_ivl_ms * r->cfg->liveness;

	for (size_t i = 0; i < r->n; i++) {
		struct agent *a = &r->v[i];
		if (a->state == AGENT_UP && now_ms > a->last_seen_ms + window) {
			agents_mark_down(a);
			return a;
		}
	}
	return NULL;
}

size_t agents_count_up(const struct agents *r)
{
	size_t up = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].state == AGENT_UP)
			up++;
	return up;
}

const char *agent_state_name(enum agent_state s)
{
	switch (s) {
	case AGENT_UP:
		return "up";
	case AGENT_DOWN:
		return "down";
	case AGENT_NEVER:
		return "never";
	}
	return "unknown";
}

json_t *agents_json(const struct agents *r, uint64_t now_ms)
{
	json_t *doc = json_object(), *arr = json_array();

	if (doc == NULL || arr == NULL || json_object_set_new(doc, "agents", arr) != 0) {
		json_decref(doc);
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct agent *a = &r->v[i];
		json_t *o = json_object();
		char ver[sizeof(a->caps.agent_version) * 4];

		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto fail;
		if (json_object_set_new(o, "name", json_string(a->cfg->name)) != 0 ||
		    json_object_set_new(o, "region", json_string(a->cfg->region)) != 0 ||
		    json_object_set_new(o, "rir", json_string(a->cfg->rir)) != 0 ||
		    json_object_set_new(o, "primary", json_boolean(a->cfg->primary)) != 0 ||
		    json_object_set_new(o, "state", json_string(agent_state_name(a->state))) != 0 ||
		    json_object_set_new(o, "key",
		                        a->key_z85[0] != '\0' ? json_string(a->key_z85)
		                                              : json_null()) != 0 ||
		    json_object_set_new(o, "source",
		                        json_string(a->cfg->from_dir ? "enrolled" : "config")) !=
		            0 ||
		    json_object_set_new(o, "peer",
		                        a->peer[0] != '\0' ? json_string(a->peer) : json_null()) !=
		            0)
			goto fail;
		if (a->state == AGENT_NEVER)
			continue;
		if (json_object_set_new(o, "ipv4", json_boolean(a->caps.ipv4)) != 0 ||
		    json_object_set_new(o, "ipv6", json_boolean(a->caps.ipv6)) != 0 ||
		    json_object_set_new(
		            o, "version",
		            json_string(log_escape(ver, sizeof(ver), a->caps.agent_version,
		                                   sizeof(a->caps.agent_version)))) != 0 ||
		    json_object_set_new(o, "last_seen_ms",
		                        json_integer((json_int_t)(now_ms - a->last_seen_ms))) != 0)
			goto fail;
	}
	return doc;
fail:
	json_decref(doc);
	return NULL;
}
