/*
 * serve.c -- the coordinator's loop (see serve.h).
 *
 * Everything happens on one thread: ZAP requests, agent messages, the HTTP
 * API (libmicrohttpd in external epoll mode), heartbeats, liveness, check
 * deadlines and the monitors' schedule (their checks are ordinary checks;
 * only alert delivery has a thread of its own, inside alert.c).  Sends
 * never block (ZMQ_DONTWAIT with ZMQ_ROUTER_MANDATORY): an agent we cannot
 * send to is marked down.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "serve.h"
#include "agents.h"
#include "alert.h"
#include "api.h"
#include "checks.h"
#include "enroll.h"
#include "history.h"
#include "monitor.h"
#include "zap.h"
#include "../common/keys.h"
#include "../common/log.h"
#include "../proto/proto.h"

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* DRAFT in zmq.h 4.3.4, honoured by the library */
#endif

/* Agent entries replaced by a reload that changed the set of agents, kept
 * (with a copy of their configuration) while checks started before it may
 * still point at them; freed once no check is active. */
struct s_retired {
	struct s_retired *next;
	struct agent *v;
	struct coord_agent_cfg *cfgs;
};

struct serve {
	struct coord_config *cfg; /* owned copy; a reload updates it in place */
	void *ctx;
	void *zap;
	void *router;
	struct agents *agents;
	struct checks *checks;
	struct api *api;
	struct enroll *enroll;         /* tickets in state_dir/SERVE_ENROLL_SUBDIR */
	struct history *history;       /* monitoring.database */
	struct alerts *alerts;         /* alert delivery (its own thread) */
	struct monitors *monitors;     /* the scheduled checks */
	uint64_t monitors_hold_ms;     /* monotonic: no monitor runs before (0 = none) */
	char public_[KEY_Z85_LEN + 1]; /* the coordinator's CURVE public key */
	char endpoint[CONFIG_ENDPOINT_LEN];
	uint64_t next_hb_ms;
	int64_t next_expire_s; /* wall clock: next enroll_expire */
	atomic_int stop;
	atomic_int reload; /* serve_request_reload() was called */
	struct s_retired *retired;
};

static volatile sig_atomic_t s_signalled;
static volatile sig_atomic_t s_hup;

static void s_on_signal(int sig)
{
	(void)sig;
	s_signalled = 1;
}

static void s_on_hup(int sig)
{
	(void)sig;
	s_hup = 1;
}

/* Send m to routing id rid without blocking.  0, or -1 (errno from zmq). */
static int s_send_rid(struct serve *s, const uint8_t *rid, size_t rid_len,
                      const struct proto_msg *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[256];
	int rc = -1;

	if (proto_encode(m, &buf, &len, err, sizeof(err)) != 0) {
		log_err("cannot encode %s: %s", proto_type_name(m->type), err);
		goto out;
	}
	if (zmq_send(s->router, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		goto out;
	if (zmq_send(s->router, buf, len, ZMQ_DONTWAIT) < 0)
		goto out;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Send m to agent a; on failure flag it unreachable (the loop marks it down). */
static int s_send_agent(struct serve *s, struct agent *a, const struct proto_msg *m)
{
	if (a->state != AGENT_UP || a->unreachable)
		return -1;
	if (s_send_rid(s, a->rid, a->rid_len, m) == 0)
		return 0;
	log_debug("send %s to %s: %s", proto_type_name(m->type), a->cfg->name,
	          zmq_strerror(zmq_errno()));
	a->unreachable = true;
	return -1;
}

/* checks_send_fn */
static int s_send_job(void *ctx, struct agent *a, const struct vt_job *job)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_JOB;
	m.u.job = *job;
	return s_send_agent(ctx, a, &m);
}

static void s_agent_down(struct serve *s, struct agent *a, const char *why)
{
	if (agents_mark_down(a))
		log_info("agent %s down (%s)", a->cfg->name, why);
	checks_agent_down(s->checks, a);
}

static void s_send_bye(struct serve *s, const uint8_t *rid, size_t rid_len, const char *reason)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_BYE;
	snprintf(m.u.bye.reason, sizeof(m.u.bye.reason), "%s", reason);
	if (s_send_rid(s, rid, rid_len, &m) != 0)
		log_debug("send BYE: %s", zmq_strerror(zmq_errno()));
}

static void s_on_hello(struct serve *s, struct agent *a, const uint8_t *rid, size_t rid_len,
                       const char *key, const struct proto_msg *m, const char *peer, uint64_t now)
{
	struct proto_msg w;
	char ver[sizeof(m->u.hello.agent_version) * 4];
	bool replaced = a->state == AGENT_UP &&
	                (a->rid_len != rid_len || memcmp(a->rid, rid, rid_len) != 0);
	int came_up;

	a->unreachable = false;
	came_up = agents_hello(a, rid, rid_len, key, peer, &m->u.hello, now);
	log_escape(ver, sizeof(ver), m->u.hello.agent_version, sizeof(m->u.hello.agent_version));
	if (came_up || replaced)
		log_info("agent %s up from %s (version %s, ipv4 %s, ipv6 %s, max_inflight %u)%s",
		         a->cfg->name, peer, ver, m->u.hello.ipv4 ? "yes" : "no",
		         m->u.hello.ipv6 ? "yes" : "no", m->u.hello.max_inflight,
		         replaced ? " replacing its previous connection" : "");
	memset(&w, 0, sizeof(w));
	w.type = PROTO_WELCOME;
	w.u.welcome.heartbeat_ivl_ms = s->cfg->heartbeat_ivl_ms;
	w.u.welcome.liveness = s->cfg->liveness;
	s_send_agent(s, a, &w);
}

/* allowlist_dir/NAME.pub of s into path.  0, or -1 (too long). */
static int s_pub_path(const struct serve *s, const char *name, char *path, size_t len)
{
	return (size_t)snprintf(path, len, "%s/%s.pub", s->cfg->allowlist_dir, name) >= len ? -1
	                                                                                    : 0;
}

/* Does allowlist_dir/NAME.pub exist (whatever it holds)? */
static bool s_pub_exists(const struct serve *s, const char *name)
{
	char path[CONFIG_PATH_LEN];

	return s_pub_path(s, name, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

/* Does allowlist_dir/NAME.pub hold key right now?  ZAP checked it when the
 * connection was made; a revocation since then must not be outlived by a
 * connection that simply stays open. */
static bool s_key_allowlisted(const struct serve *s, const char *name, const char *key)
{
	char path[CONFIG_PATH_LEN], pub[KEY_Z85_LEN + 1], err[CONFIG_PATH_LEN + 128];

	if (s_pub_path(s, name, path, sizeof(path)) != 0 ||
	    keys_read_public(path, pub, err, sizeof(err)) != 0)
		return false;
	return strcmp(pub, key) == 0;
}

/* Handle one decoded message from agent a (ZAP User-Id "NAME KEY") at
 * routing id rid. */
static void s_dispatch(struct serve *s, struct agent *a, const uint8_t *rid, size_t rid_len,
                       const char *key, struct proto_msg *m, const char *peer, uint64_t now)
{
	char esc[sizeof(m->u.bye.reason) * 4];

	if (m->type == PROTO_HELLO) {
		if (!s_key_allowlisted(s, a->cfg->name, key)) {
			log_warn("HELLO from %s with a key no longer allowlisted: refused",
			         a->cfg->name);
			s_send_bye(s, rid, rid_len, "key not allowlisted");
			return;
		}
		s_on_hello(s, a, rid, rid_len, key, m, peer, now);
		return;
	}
	if (!agents_is_registered(a, rid, rid_len, key)) {
		log_debug("%s from %s before HELLO: answering BYE", proto_type_name(m->type),
		          a->cfg->name);
		s_send_bye(s, rid, rid_len, "not registered: send HELLO");
		return;
	}
	a->last_seen_ms = now;
	switch (m->type) {
	case PROTO_HEARTBEAT:
		break;
	case PROTO_RESULT:
		checks_on_result(s->checks, a, &m->u.result);
		break;
	case PROTO_BYE:
		log_escape(esc, sizeof(esc), m->u.bye.reason, sizeof(m->u.bye.reason));
		s_agent_down(s, a, esc[0] ? esc : "said BYE");
		break;
	default:
		log_debug("unexpected %s from %s: dropped", proto_type_name(m->type), a->cfg->name);
		break;
	}
}

/*
 * A message on a connection ZAP let in to enrol (User-Id "?enroll KEY").
 * Only a HELLO naming an agent and a token can do anything: claim that
 * agent's ticket for key.  Either way the peer is told BYE and goes away;
 * it never gets near the registry or the checks.
 */
static void s_on_enrolling(struct serve *s, const uint8_t *rid, size_t rid_len, const char *key,
                           const struct proto_msg *m, const char *peer)
{
	const struct proto_hello *h = &m->u.hello;
	const struct enroll_ticket *t;
	char err[256], esc[sizeof(err) * 4], reason[sizeof(m->u.bye.reason)];
	bool first;

	if (m->type != PROTO_HELLO || h->enroll_name[0] == '\0' || h->enroll_token[0] == '\0') {
		log_debug("%s from enrolling key %s at %s: dropped", proto_type_name(m->type), key,
		          peer);
		return;
	}
	if (!keys_valid_name(h->enroll_name)) {
		snprintf(err, sizeof(err), "invalid agent name");
		goto refuse;
	}
	/* Approved while this connection stayed open: ZAP fixed its User-Id at
	 * the handshake, so only a new connection is an allowlisted one. */
	if (s_key_allowlisted(s, h->enroll_name, key)) {
		log_debug("enrolment: %s is approved; its enrolling connection is told to dial "
		          "again",
		          h->enroll_name);
		s_send_bye(s, rid, rid_len, SERVE_BYE_APPROVED);
		return;
	}
	if (s_pub_exists(s, h->enroll_name)) {
		snprintf(err, sizeof(err), "agent %s is already enrolled", h->enroll_name);
		goto refuse;
	}
	t = enroll_find(s->enroll, h->enroll_name);
	first = t == NULL || strcmp(t->key_z85, key) != 0;
	if (enroll_claim(s->enroll, h->enroll_name, h->enroll_token, key, peer, (int64_t)time(NULL),
	                 err, sizeof(err)) != 0)
		goto refuse;
	/* An agent told to wait dials again every ENROLL_RETRY_MS: say it once. */
	if (first)
		log_info("enrolment: agent %s asks to join from %s with key %s; approve with: "
		         "vantage agents approve %s",
		         h->enroll_name, peer, key, h->enroll_name);
	else
		log_debug("enrolment: agent %s (key %s) dialled again from %s; still waiting",
		          h->enroll_name, key, peer);
	if ((size_t)snprintf(reason, sizeof(reason),
	                     "enrolment received: waiting for approval (vantage agents approve %s)",
	                     h->enroll_name) >= sizeof(reason))
		snprintf(reason, sizeof(reason), "enrolment received: waiting for approval");
	s_send_bye(s, rid, rid_len, reason);
	return;
refuse:
	/* The peer learns nothing about why: which names have tickets is not
	 * its business. */
	log_warn("enrolment refused for key %s from %s: %s", key, peer,
	         log_escape(esc, sizeof(esc), err, strlen(err)));
	s_send_bye(s, rid, rid_len, "enrolment refused");
}

/* Receive and handle one message from the ROUTER.  1 handled, 0 none, -1 error. */
static int s_router_one(struct serve *s, uint64_t now)
{
	zmq_msg_t rid, body;
	struct proto_msg m;
	char err[512], esc[1024], peer[64] = "?";
	char name[LIMIT_AGENT_NAME_LEN + 1], key[KEY_Z85_LEN + 1];
	char who[sizeof(name) + sizeof(key) + 16];
	const char *uid, *pa;
	struct agent *a = NULL;
	int more = 0, rc = 0, kind;
	size_t sz = sizeof(more), extra = 0;

	zmq_msg_init(&rid);
	zmq_msg_init(&body);
	memset(&m, 0, sizeof(m));
	if (zmq_msg_recv(&rid, s->router, ZMQ_DONTWAIT) < 0) {
		rc = zmq_errno() == EAGAIN || zmq_errno() == EINTR ? 0 : -1;
		goto out;
	}
	rc = 1;
	if (zmq_getsockopt(s->router, ZMQ_RCVMORE, &more, &sz) != 0 || !more)
		goto out; /* a bare routing id: nothing to do */
	if (zmq_msg_recv(&body, s->router, 0) < 0)
		goto out;
	/* A message has one body frame; drain (bounded) and refuse any more. */
	while (zmq_getsockopt(s->router, ZMQ_RCVMORE, &more, &sz) == 0 && more &&
	       extra < PROTO_MAX_ARRAY) {
		zmq_msg_t junk;
		zmq_msg_init(&junk);
		zmq_msg_recv(&junk, s->router, 0);
		zmq_msg_close(&junk);
		extra++;
	}
	uid = zmq_msg_gets(&body, "User-Id");
	pa = zmq_msg_gets(&body, "Peer-Address");
	if (pa != NULL)
		log_escape(peer, sizeof(peer), pa, strlen(pa));
	kind = zap_split_user_id(uid, name, key);
	if (kind == 1)
		a = agents_find(s->agents, name);
	if (kind == 0 || (kind == 1 && a == NULL)) {
		log_warn("message from %s without a configured User-Id: dropped", peer);
		goto out;
	}
	if (kind == 2)
		snprintf(who, sizeof(who), "enrolling key %s", key);
	else
		snprintf(who, sizeof(who), "%s", name);
	if (extra > 0) {
		log_warn("malformed message from %s: %zu extra frames", who, extra);
		goto out;
	}
	if (proto_decode(zmq_msg_data(&body), zmq_msg_size(&body), &m, err, sizeof(err)) != 0) {
		/* An enrolling key is nobody yet: what it sends must not flood
		 * the log (ZAP bounds how many get in, not how much they send). */
		if (kind == 2)
			log_debug("malformed frame from %s: %s", who,
			          log_escape(esc, sizeof(esc), err, strlen(err)));
		else
			log_warn("malformed frame from %s: %s", who,
			         log_escape(esc, sizeof(esc), err, strlen(err)));
		goto out;
	}
	if (kind == 2)
		s_on_enrolling(s, zmq_msg_data(&rid), zmq_msg_size(&rid), key, &m, peer);
	else
		s_dispatch(s, a, zmq_msg_data(&rid), zmq_msg_size(&rid), key, &m, peer, now);
out:
	proto_msg_clear(&m);
	zmq_msg_close(&rid);
	zmq_msg_close(&body);
	return rc;
}

/* Heartbeats, liveness, unreachable agents. */
static void s_timers(struct serve *s, uint64_t now)
{
	struct agent *a;
	size_t bound = s->agents->n;

	if (now >= s->next_hb_ms) {
		for (size_t i = 0; i < s->agents->n; i++) {
			struct proto_msg hb;
			a = &s->agents->v[i];
			if (a->state != AGENT_UP)
				continue;
			memset(&hb, 0, sizeof(hb));
			hb.type = PROTO_HEARTBEAT;
			hb.u.heartbeat.inflight = a->inflight;
			s_send_agent(s, a, &hb);
		}
		s->next_hb_ms = now + s->cfg->heartbeat_ivl_ms;
	}
	while (bound-- > 0 && (a = agents_next_expired(s->agents, now)) != NULL) {
		log_info("agent %s down (silent for %u heartbeats)", a->cfg->name,
		         s->cfg->liveness);
		checks_agent_down(s->checks, a);
	}
	for (size_t i = 0; i < s->agents->n; i++) {
		a = &s->agents->v[i];
		if (a->state == AGENT_UP && a->unreachable)
			s_agent_down(s, a, "unreachable");
	}
}

static void s_retired_free(struct serve *s)
{
	while (s->retired != NULL) {
		struct s_retired *r = s->retired;
		s->retired = r->next;
		free(r->v);
		free(r->cfgs);
		free(r);
	}
}

/* Log the keys a reload does not apply (they need a restart). */
static void s_log_fixed(const struct coord_config *old, const struct coord_config *nc)
{
	static const struct {
		const char *name;
		size_t off;
	} strs[] = {
	        {"agent_endpoint", offsetof(struct coord_config, agent_endpoint)},
	        {"key_file", offsetof(struct coord_config, key_file)},
	        {"api_listen", offsetof(struct coord_config, api_listen)},
	        {"api_token_file", offsetof(struct coord_config, api_token_file)},
	        {"api_tls_cert", offsetof(struct coord_config, api_tls_cert)},
	        {"api_tls_key", offsetof(struct coord_config, api_tls_key)},
	        {"state_dir", offsetof(struct coord_config, state_dir)},
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp((const char *)old + strs[i].off, (const char *)nc + strs[i].off) != 0)
			log_warn("reload: %s changed: it takes effect at the next restart",
			         strs[i].name);
	if (old->heartbeat_ivl_ms != nc->heartbeat_ivl_ms)
		log_warn("reload: heartbeat_ivl_ms changed: it takes effect at the next restart");
	if (old->liveness != nc->liveness)
		log_warn("reload: liveness changed: it takes effect at the next restart");
}

/* What a reload of the `monitoring` group cannot change (the database is
 * open, the alert worker started): keep the running values in nc, and say
 * so.  alert_after, retention_days and the certificate thresholds apply. */
static void s_monitoring_keep_fixed(const struct monitoring_cfg *old, struct monitoring_cfg *nc)
{
	if (strcmp(old->database, nc->database) != 0 ||
	    strcmp(old->webhook_url, nc->webhook_url) != 0 ||
	    strcmp(old->alert_command, nc->alert_command) != 0 ||
	    old->webhook_timeout_ms != nc->webhook_timeout_ms ||
	    old->webhook_retries != nc->webhook_retries ||
	    old->alert_command_timeout_ms != nc->alert_command_timeout_ms)
		log_warn("reload: monitoring database, webhook or alert_command settings changed: "
		         "they take effect at the next restart");
	memcpy(nc->database, old->database, sizeof(nc->database));
	memcpy(nc->webhook_url, old->webhook_url, sizeof(nc->webhook_url));
	memcpy(nc->alert_command, old->alert_command, sizeof(nc->alert_command));
	nc->webhook_timeout_ms = old->webhook_timeout_ms;
	nc->webhook_retries = old->webhook_retries;
	nc->alert_command_timeout_ms = old->alert_command_timeout_ms;
}

/* Same agent names in the same order? */
static bool s_same_agents(const struct coord_config *a, const struct coord_config *b)
{
	if (a->n_agents != b->n_agents)
		return false;
	for (size_t i = 0; i < a->n_agents; i++)
		if (strcmp(a->agents[i].name, b->agents[i].name) != 0)
			return false;
	return true;
}

static void s_log_agent_change(const struct coord_agent_cfg *o, const struct coord_agent_cfg *n)
{
	if (strcmp(o->region, n->region) != 0 || strcmp(o->rir, n->rir) != 0 ||
	    o->primary != n->primary)
		log_info("reload: agent %s: region %s, RIR %s%s (was %s, %s%s)", n->name, n->region,
		         n->rir, n->primary ? ", primary" : "", o->region, o->rir,
		         o->primary ? ", primary" : "");
}

/*
 * Agents added, removed or reordered: a new registry array in the new order.
 * Removed agents get BYE and are marked down; agents kept keep their session
 * (routing id, capabilities, liveness).  Jobs in flight point at the old
 * entries, so they are failed now ("went down before answering") and the old
 * entries are retired, not freed, until no check is active.  0 or -1 (ENOMEM,
 * nothing changed).
 */
static int s_rebuild_agents(struct serve *s, const struct coord_config *nc, char *err,
                            size_t errlen)
{
	struct agents *r = s->agents;
	struct s_retired *ret = calloc(1, sizeof(*ret));
	struct agent *nv = nc->n_agents > 0 ? calloc(nc->n_agents, sizeof(*nv)) : NULL;
	struct coord_agent_cfg *cfgs = r->n > 0 ? calloc(r->n, sizeof(*cfgs)) : NULL;

	if (ret == NULL || (nc->n_agents > 0 && nv == NULL) || (r->n > 0 && cfgs == NULL)) {
		free(ret);
		free(nv);
		free(cfgs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct agent *a = &r->v[i];
		if (coord_config_find_agent(nc, a->cfg->name) >= 0) {
			checks_agent_down(s->checks, a);
			continue;
		}
		if (a->state == AGENT_UP && !a->unreachable)
			s_send_bye(s, a->rid, a->rid_len,
			           "removed from the coordinator's configuration");
		s_agent_down(s, a, "removed from the configuration");
		log_info("reload: agent %s removed: refused from now on", a->cfg->name);
	}
	for (size_t i = 0; i < r->n; i++) {
		cfgs[i] = *r->v[i].cfg;
		r->v[i].cfg = &cfgs[i];
	}
	memcpy(s->cfg->agents, nc->agents, sizeof(s->cfg->agents));
	s->cfg->n_agents = nc->n_agents;
	for (size_t j = 0; j < nc->n_agents; j++) {
		size_t i;
		for (i = 0; i < r->n && strcmp(cfgs[i].name, nc->agents[j].name) != 0; i++)
			;
		if (i < r->n) {
			nv[j] = r->v[i];
			nv[j].inflight = 0;
			s_log_agent_change(&cfgs[i], &nc->agents[j]);
		} else {
			log_info("reload: agent %s added (%s, %s)", nc->agents[j].name,
			         nc->agents[j].region, nc->agents[j].rir);
		}
		nv[j].cfg = &s->cfg->agents[j];
	}
	ret->v = r->v;
	ret->cfgs = cfgs;
	ret->next = s->retired;
	s->retired = ret;
	r->v = nv;
	r->n = nc->n_agents;
	return 0;
}

int serve_reload(struct serve *s, char *err, size_t errlen)
{
	struct coord_config *nc = NULL;
	int rc = -1;

	if (s->cfg->path[0] == '\0') {
		snprintf(err, errlen, "the configuration was not read from a file");
		goto out;
	}
	nc = malloc(sizeof(*nc));
	if (nc == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (coord_config_load(s->cfg->path, nc, err, errlen) != 0)
		goto out;
	s_log_fixed(s->cfg, nc);
	/* The monitors first: the one step here that can still refuse (a
	 * monitor named like an API one), before anything has changed. */
	s_monitoring_keep_fixed(&s->cfg->monitoring, &nc->monitoring);
	if (monitors_reload(s->monitors, nc->monitors, nc->n_monitors, &nc->monitoring, err,
	                    errlen) != 0)
		goto out;
	s->cfg->monitoring = nc->monitoring;
	memcpy(s->cfg->monitors, nc->monitors, sizeof(s->cfg->monitors));
	s->cfg->n_monitors = nc->n_monitors;
	if (s_same_agents(s->cfg, nc)) {
		for (size_t i = 0; i < nc->n_agents; i++) {
			s_log_agent_change(&s->cfg->agents[i], &nc->agents[i]);
			s->cfg->agents[i] = nc->agents[i];
		}
	} else if (s_rebuild_agents(s, nc, err, errlen) != 0) {
		goto out;
	}
	if (strcmp(s->cfg->allowlist_dir, nc->allowlist_dir) != 0)
		log_info("reload: allowlist_dir %s", nc->allowlist_dir);
	memcpy(s->cfg->allowlist_dir, nc->allowlist_dir, sizeof(s->cfg->allowlist_dir));
	memcpy(s->cfg->public_endpoint, nc->public_endpoint, sizeof(s->cfg->public_endpoint));
	s->cfg->job_budget_ms = nc->job_budget_ms;
	s->cfg->min_answers = nc->min_answers;
	log_info("configuration reloaded from %s: %zu agents, %zu monitors configured",
	         s->cfg->path, s->cfg->n_agents, s->cfg->n_monitors);
	rc = 0;
out:
	free(nc);
	return rc;
}

/* api_admin.approve: see api.h.  The ticket must be claimed and unexpired;
 * the files are written by enroll_approve, the reload makes the agent
 * configured, and its next dial is an ordinary allowlisted one. */
static int s_admin_approve(void *ctx, const char *name, unsigned *status, char *err, size_t errlen)
{
	struct serve *s = ctx;
	const struct enroll_ticket *t = enroll_find(s->enroll, name);
	char region[LIMIT_REGION_LEN + 1], rir[LIMIT_REGION_LEN + 1], rerr[1024];
	bool in_main;
	int idx;

	if (t == NULL || t->expires <= (int64_t)time(NULL)) {
		*status = 404;
		snprintf(err, errlen,
		         t == NULL ? "no enrolment for %s"
		                   : "the enrolment for %s expired: make a new one",
		         name);
		return -1;
	}
	if (t->key_z85[0] == '\0') {
		*status = 409;
		snprintf(
		        err, errlen,
		        "%s has not dialled in yet: start its agent with the enrolment token first",
		        name);
		return -1;
	}
	if (s_pub_exists(s, name)) {
		*status = 409;
		snprintf(err, errlen, "agent %s is already enrolled: revoke it first", name);
		return -1;
	}
	idx = coord_config_find_agent(s->cfg, name);
	in_main = idx >= 0 && !s->cfg->agents[idx].from_dir;
	if (!in_main && t->region[0] == '\0') {
		*status = 409;
		snprintf(err, errlen,
		         "%s is no longer in the main agents list: make a new enrolment "
		         "with a region and a RIR",
		         name);
		return -1;
	}
	/* A second primary would make the reload fail after the files are
	 * written; refuse before. */
	for (size_t i = 0; !in_main && t->primary && i < s->cfg->n_agents; i++) {
		if (s->cfg->agents[i].primary && strcmp(s->cfg->agents[i].name, name) != 0) {
			*status = 409;
			snprintf(err, errlen, "agent %s is already the primary",
			         s->cfg->agents[i].name);
			return -1;
		}
	}
	snprintf(region, sizeof(region), "%s", in_main ? s->cfg->agents[idx].region : t->region);
	snprintf(rir, sizeof(rir), "%s", in_main ? s->cfg->agents[idx].rir : t->rir);
	if (enroll_approve(s->enroll, name, s->cfg->allowlist_dir, in_main, err, errlen) != 0) {
		*status = 500;
		return -1;
	}
	log_info("agent %s approved (%s, %s); it registers at its next dial", name, region, rir);
	if (serve_reload(s, rerr, sizeof(rerr)) != 0) {
		log_err("after approving %s: reload failed: %s", name, rerr);
		*status = 500;
		snprintf(err, errlen,
		         "%s is approved (its files are written) but the configuration did not "
		         "reload: %s",
		         name, rerr);
		return -1;
	}
	return 0;
}

/* api_admin.revoke: see api.h.  The key file goes first, so that from then
 * on ZAP refuses the key and a HELLO on a connection still open is refused;
 * then the session is closed and the configuration reloaded (an agent from
 * allowlist_dir disappears; one from the main list stays, without a key). */
static int s_admin_revoke(void *ctx, const char *name, unsigned *status, char *err, size_t errlen)
{
	struct serve *s = ctx;
	struct agent *a;
	char rerr[1024];
	bool ticket, session = false;
	int pub;

	pub = enroll_revoke_files(s->cfg->allowlist_dir, name, err, errlen);
	if (pub < 0) {
		*status = 500;
		return -1;
	}
	ticket = enroll_cancel(s->enroll, name) == 0;
	a = agents_find(s->agents, name);
	if (a != NULL && a->state == AGENT_UP) {
		if (!a->unreachable)
			s_send_bye(s, a->rid, a->rid_len, "revoked by the operator");
		checks_agent_down(s->checks, a);
		session = true;
	}
	if (a != NULL)
		agents_forget(a);
	if (pub == 0 && !ticket && !session) {
		*status = 404;
		snprintf(err, errlen, "no enrolled agent or open enrolment called %s", name);
		return -1;
	}
	log_info("agent %s revoked: %s; %s; %s", name,
	         pub ? "key file renamed to .pub.revoked" : "no key file",
	         ticket ? "enrolment cancelled" : "no open enrolment",
	         session ? "session closed" : "no session");
	if (serve_reload(s, rerr, sizeof(rerr)) != 0)
		log_err("after revoking %s: reload failed, the running configuration stays: %s",
		        name, rerr);
	return 0;
}

/* Open the enrolment tickets in state_dir/SERVE_ENROLL_SUBDIR, making
 * state_dir (0700) when it is missing.  0, or -1 with err naming the path. */
static int s_open_enroll(struct serve *s, char *err, size_t errlen)
{
	const char *sd = s->cfg->state_dir;
	char dir[CONFIG_PATH_LEN], sub[CONFIG_PATH_LEN + 256];
	struct stat st;

	if (mkdir(sd, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state_dir %s: %s", sd, strerror(errno));
		return -1;
	}
	if (stat(sd, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "state_dir %s is not a directory", sd);
		return -1;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", sd, SERVE_ENROLL_SUBDIR) >= sizeof(dir)) {
		snprintf(err, errlen, "state_dir %s: path too long", sd);
		return -1;
	}
	s->enroll = enroll_open(dir, (int64_t)time(NULL), sub, sizeof(sub));
	if (s->enroll == NULL) {
		snprintf(err, errlen, "state_dir %s: %s", sd, sub);
		return -1;
	}
	return 0;
}

/* monitor_start_fn: a monitor's run is an ordinary check.  checks_start's
 * status becomes words in err (monitor.c logs it). */
static int s_monitor_start(void *ctx, const struct check_request *req, monitor_done_fn done,
                           void *arg, char *err, size_t errlen)
{
	struct serve *s = ctx;
	char sub[512] = "";
	int status = 500;

	if (checks_start(s->checks, req, done, arg, checks_now_ms(), &status, sub, sizeof(sub)) !=
	    NULL)
		return 0;
	snprintf(err, errlen, "%s: %s",
	         status == 503   ? "no capacity now"
	         : status == 400 ? "the check request was refused"
	                         : "internal error",
	         sub);
	return -1;
}

/*
 * May the monitors run at now?  Right after a start (a restart, usually)
 * the agents are still dialling back in: a run then would find none up and
 * record a run nobody answered.  So the monitors wait until every
 * configured agent is up, or for one liveness period plus the agents'
 * first reconnect backoff, whichever comes first.
 */
static bool s_monitors_may_run(struct serve *s, uint64_t now)
{
	size_t up = 0;

	if (s->monitors_hold_ms == 0)
		return true;
	for (size_t i = 0; i < s->agents->n; i++)
		up += s->agents->v[i].state == AGENT_UP ? 1 : 0;
	if (now < s->monitors_hold_ms && (up == 0 || up < s->agents->n))
		return false;
	s->monitors_hold_ms = 0;
	return true;
}

/* Milliseconds until the monitors need a tick (wall clock), or until their
 * hold after the start ends. */
static int64_t s_monitors_ms(const struct serve *s, uint64_t now)
{
	struct timespec ts;
	int64_t ms;

	if (s->monitors_hold_ms != 0)
		return s->monitors_hold_ms > now ? (int64_t)(s->monitors_hold_ms - now) : 0;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	ms = monitors_next_s(s->monitors, (int64_t)ts.tv_sec) * 1000 - ts.tv_nsec / 1000000;
	return ms > 0 ? ms : 0;
}

void serve_request_reload(struct serve *s)
{
	atomic_store(&s->reload, 1);
}

int serve_run_once(struct serve *s, int max_wait_ms, char *err, size_t errlen)
{
	zmq_pollitem_t items[3];
	uint64_t now = checks_now_ms();
	int64_t t = (int64_t)max_wait_ms, c, api_t;
	int n;

	if (s_hup) {
		s_hup = 0;
		atomic_store(&s->reload, 1);
	}
	if (atomic_exchange(&s->reload, 0)) {
		char rerr[1024];
		if (serve_reload(s, rerr, sizeof(rerr)) != 0)
			log_err("reload failed, the running configuration stays: %s", rerr);
	}
	if (s->retired != NULL && checks_active(s->checks) == 0)
		s_retired_free(s);
	if ((int64_t)time(NULL) >= s->next_expire_s) {
		enroll_expire(s->enroll, (int64_t)time(NULL));
		s->next_expire_s = (int64_t)time(NULL) + SERVE_EXPIRE_IVL_S;
	}
	if (s_monitors_may_run(s, now))
		monitors_tick(s->monitors, (int64_t)time(NULL));
	memset(items, 0, sizeof(items));
	items[0].socket = s->zap;
	items[0].events = ZMQ_POLLIN;
	items[1].socket = s->router;
	items[1].events = ZMQ_POLLIN;
	items[2].fd = api_epoll_fd(s->api);
	items[2].events = ZMQ_POLLIN;

	if (t < 0 || t > s->cfg->heartbeat_ivl_ms)
		t = s->cfg->heartbeat_ivl_ms;
	if (s->next_hb_ms > now && (int64_t)(s->next_hb_ms - now) < t)
		t = (int64_t)(s->next_hb_ms - now);
	else if (s->next_hb_ms <= now)
		t = 0;
	c = checks_next_ms(s->checks, now);
	if (c >= 0 && c < t)
		t = c;
	api_t = api_timeout_ms(s->api);
	if (api_t >= 0 && api_t < t)
		t = api_t;
	c = s_monitors_ms(s, now);
	if (c < t)
		t = c;

	n = zmq_poll(items, 3, (long)t);
	if (n < 0) {
		if (zmq_errno() == EINTR)
			return 0;
		snprintf(err, errlen, "zmq_poll: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	for (int i = 0; i < SERVE_MAX_BATCH && (items[0].revents & ZMQ_POLLIN); i++) {
		int r = zap_handle(s->zap, s->cfg->allowlist_dir, s->cfg, s->enroll,
		                   (int64_t)time(NULL));
		if (r < 0) {
			snprintf(err, errlen, "ZAP handler failed");
			return -1;
		}
		if (r == 0)
			break;
	}
	now = checks_now_ms();
	for (int i = 0; i < SERVE_MAX_BATCH && (items[1].revents & ZMQ_POLLIN); i++) {
		int r = s_router_one(s, now);
		if (r < 0) {
			snprintf(err, errlen, "agents socket: %s", zmq_strerror(zmq_errno()));
			return -1;
		}
		if (r == 0)
			break;
	}
	api_run(s->api);
	now = checks_now_ms();
	s_timers(s, now);
	if (checks_tick(s->checks, now) > 0)
		api_run(s->api); /* answer the resumed connections now */
	return 0;
}

int serve_run(struct serve *s, char *err, size_t errlen)
{
	while (!atomic_load(&s->stop) && !s_signalled) {
		if (serve_run_once(s, (int)s->cfg->heartbeat_ivl_ms, err, errlen) != 0)
			return -1;
	}
	return 0;
}

void serve_stop(struct serve *s)
{
	atomic_store(&s->stop, 1);
}

/* Set an int socket option, with a message naming it. */
static int s_opt_int(void *sock, int opt, int v, const char *name, char *err, size_t errlen)
{
	if (zmq_setsockopt(sock, opt, &v, sizeof(v)) == 0)
		return 0;
	snprintf(err, errlen, "zmq_setsockopt(%s): %s", name, zmq_strerror(zmq_errno()));
	return -1;
}

struct serve *serve_new(const struct coord_config *cfg, char *err, size_t errlen)
{
	struct serve *s = calloc(1, sizeof(*s));
	char secret[KEY_Z85_LEN + 1], sub[1024];
	struct api_admin admin;
	int64_t maxmsg = PROTO_MAX_MSG_BYTES;
	size_t eplen;

	if (s == NULL || (s->cfg = malloc(sizeof(*s->cfg))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(s->cfg, cfg, sizeof(*cfg));
	atomic_init(&s->stop, 0);
	atomic_init(&s->reload, 0);
	if (!zmq_has("curve")) {
		snprintf(err, errlen, "this libzmq has no CURVE support");
		goto fail;
	}
	if (keys_read_secret(cfg->key_file, secret, s->public_, err, errlen) != 0)
		goto fail;
	if (s_open_enroll(s, err, errlen) != 0)
		goto fail;
	s->history = history_open(cfg->monitoring.database, sub, sizeof(sub));
	if (s->history == NULL) {
		snprintf(err, errlen, "history database %s: %s", cfg->monitoring.database, sub);
		goto fail;
	}
	s->ctx = zmq_ctx_new();
	if (s->ctx == NULL) {
		snprintf(err, errlen, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
		goto fail;
	}
	/* The ZAP handler first: a CURVE server without one accepts anybody. */
	s->zap = zmq_socket(s->ctx, ZMQ_REP);
	if (s->zap == NULL || s_opt_int(s->zap, ZMQ_LINGER, 0, "ZMQ_LINGER", err, errlen) != 0)
		goto fail;
	if (zmq_bind(s->zap, ZAP_ENDPOINT) != 0) {
		snprintf(err, errlen, "bind %s: %s", ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
		goto fail;
	}
	s->router = zmq_socket(s->ctx, ZMQ_ROUTER);
	if (s->router == NULL) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (s_opt_int(s->router, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER", err, errlen) != 0)
		goto fail;
	if (zmq_setsockopt(s->router, ZMQ_CURVE_SECRETKEY, secret, KEY_Z85_LEN + 1) != 0 ||
	    zmq_setsockopt(s->router, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN)) != 0 ||
	    zmq_setsockopt(s->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0) {
		snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
		goto fail;
	}
	/* No ZMQ_ROUTER_HANDOVER: agents never choose their routing id (the
	 * ROUTER makes one per connection), so handover would only let a peer
	 * that does choose one take over another agent's route. */
	if (s_opt_int(s->router, ZMQ_ZAP_ENFORCE_DOMAIN, 1, "ZMQ_ZAP_ENFORCE_DOMAIN", err,
	              errlen) != 0 ||
	    s_opt_int(s->router, ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY", err, errlen) !=
	            0 ||
	    s_opt_int(s->router, ZMQ_SNDHWM, ZMQ_HWM, "ZMQ_SNDHWM", err, errlen) != 0 ||
	    s_opt_int(s->router, ZMQ_RCVHWM, ZMQ_HWM, "ZMQ_RCVHWM", err, errlen) != 0 ||
	    s_opt_int(s->router, ZMQ_HANDSHAKE_IVL, ZMQ_HANDSHAKE_MS, "ZMQ_HANDSHAKE_IVL", err,
	              errlen) != 0 ||
	    s_opt_int(s->router, ZMQ_LINGER, ZMQ_LINGER_MS, "ZMQ_LINGER", err, errlen) != 0)
		goto fail;
	if (zmq_bind(s->router, cfg->agent_endpoint) != 0) {
		snprintf(err, errlen, "bind %s: %s", cfg->agent_endpoint,
		         zmq_strerror(zmq_errno()));
		goto fail;
	}
	eplen = sizeof(s->endpoint);
	if (zmq_getsockopt(s->router, ZMQ_LAST_ENDPOINT, s->endpoint, &eplen) != 0)
		snprintf(s->endpoint, sizeof(s->endpoint), "%s", cfg->agent_endpoint);
	s->agents = agents_new(s->cfg);
	s->checks = s->agents ? checks_new(s->cfg, s->agents, s_send_job, s) : NULL;
	if (s->checks == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memset(&admin, 0, sizeof(admin));
	admin.ctx = s;
	admin.approve = s_admin_approve;
	admin.revoke = s_admin_revoke;
	memcpy(admin.coordinator_key, s->public_, sizeof(s->public_));
	s->alerts = alerts_new(&s->cfg->monitoring, err, errlen);
	if (s->alerts == NULL)
		goto fail;
	s->monitors = monitors_new(s->cfg->monitors, s->cfg->n_monitors, &s->cfg->monitoring,
	                           s->history, s->alerts, s_monitor_start, s, sub, sizeof(sub));
	if (s->monitors == NULL) {
		snprintf(err, errlen, "monitors: %s", sub);
		goto fail;
	}
	s->api = api_new(s->cfg, s->agents, s->checks, s->enroll, &admin, err, errlen);
	if (s->api == NULL)
		goto fail;
	api_set_monitoring(s->api, s->monitors, s->history, s->alerts);
	s->next_hb_ms = checks_now_ms() + s->cfg->heartbeat_ivl_ms;
	s->monitors_hold_ms = checks_now_ms() +
	                      (uint64_t)s->cfg->heartbeat_ivl_ms * s->cfg->liveness +
	                      RECONNECT_MIN_MS;
	s->next_expire_s = (int64_t)time(NULL) + SERVE_EXPIRE_IVL_S;
	log_info("agents endpoint %s (CURVE, public key %s), %zu agents configured", s->endpoint,
	         s->public_, s->cfg->n_agents);
	explicit_bzero(secret, sizeof(secret));
	return s;
fail:
	explicit_bzero(secret, sizeof(secret));
	serve_destroy(&s);
	return NULL;
}

void serve_destroy(struct serve **sp)
{
	struct serve *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	if (s->agents != NULL && s->router != NULL) {
		for (size_t i = 0; i < s->agents->n; i++) {
			struct agent *a = &s->agents->v[i];
			if (a->state == AGENT_UP && !a->unreachable)
				s_send_bye(s, a->rid, a->rid_len, "coordinator shutting down");
		}
	}
	if (s->checks != NULL)
		checks_finish_all(s->checks);
	for (int i = 0; s->api != NULL && i < SERVE_SHUTDOWN_PASSES; i++)
		api_run(s->api);
	api_destroy(&s->api);
	/* Every check's done ran in checks_finish_all (the monitors recorded
	 * theirs); alerts queued by it are delivered or dropped, bounded. */
	monitors_destroy(&s->monitors);
	alerts_destroy(&s->alerts);
	history_close(&s->history);
	checks_destroy(&s->checks);
	agents_destroy(&s->agents);
	s_retired_free(s);
	enroll_close(&s->enroll);
	if (s->router != NULL)
		zmq_close(s->router);
	if (s->zap != NULL)
		zmq_close(s->zap);
	if (s->ctx != NULL)
		zmq_ctx_term(s->ctx);
	free(s->cfg);
	free(s);
	*sp = NULL;
}

const char *serve_agent_endpoint(const struct serve *s)
{
	return s->endpoint;
}

unsigned serve_api_port(const struct serve *s)
{
	return api_port(s->api);
}

static void s_usage(void)
{
	fprintf(stderr, "usage: vantage serve --config FILE [--verbose]\n");
}

int serve_main(int argc, char **argv)
{
	const char *path = NULL;
	bool verbose = false;
	struct coord_config *cfg = NULL;
	struct serve *s = NULL;
	struct sigaction sa;
	char err[1024];
	int rc = 2;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			path = argv[i] + 9;
		} else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			s_usage();
			return 0;
		} else {
			fprintf(stderr, "vantage serve: unknown argument \"%s\"\n", argv[i]);
			s_usage();
			return 2;
		}
	}
	if (path == NULL) {
		s_usage();
		return 2;
	}
	log_init("vantage", verbose ? LOG_DEBUG : LOG_INFO);
	cfg = malloc(sizeof(*cfg));
	if (cfg == NULL) {
		fprintf(stderr, "vantage serve: out of memory\n");
		return 1;
	}
	if (coord_config_load(path, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage serve: %s\n", err);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = s_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = s_on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	s = serve_new(cfg, err, sizeof(err));
	if (s == NULL) {
		log_err("%s", err);
		rc = 1;
		goto out;
	}
	rc = serve_run(s, err, sizeof(err)) == 0 ? 0 : 1;
	if (rc != 0)
		log_err("%s", err);
	log_info("shutting down");
out:
	serve_destroy(&s);
	free(cfg);
	return rc;
}
