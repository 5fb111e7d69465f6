/*
 * link.c -- the agent's ZeroMQ session with the coordinator; see link.h.
 *
 * ZeroMQ on libevent: ZMQ_FD only says "something may have changed" and is
 * edge-triggered, so every place that can consume that edge -- the fd's read
 * event, every send, every timer tick -- drains the socket while ZMQ_EVENTS
 * reports ZMQ_POLLIN.  Sends use ZMQ_DONTWAIT; with ZMQ_IMMEDIATE=1 nothing
 * is queued for a connection that is not up, so HELLO is retried until the
 * socket reports ZMQ_POLLOUT and stale heartbeats never pile up.
 *
 * Coordinator key rotation: each socket pins one of cfg.server_public[].  A
 * CURVE handshake with the wrong server key fails silently on the client
 * side (libzmq just retries), so the only sign is that the session ends
 * without a single frame; then the next key is tried.  A session that got
 * any frame proved its key and keeps it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/event.h>
#include <zmq.h>

#include "../common/log.h"
#include "../common/limits.h"
#include "../proto/proto.h"
#include "link.h"
#include "probe.h"

enum link_state {
	LINK_IDLE = 0,   /* not started, or stopped */
	LINK_HELLO,      /* socket open, HELLO not yet accepted by the socket */
	LINK_WAITING,    /* HELLO sent, waiting for WELCOME */
	LINK_REGISTERED, /* WELCOME received */
	LINK_BACKOFF,    /* socket closed, reconnect timer armed */
};

/* One running probe; the list lets destroy cancel them all. */
struct link_job {
	struct agent_link *link;
	struct probe *probe;
	struct link_job *prev, *next;
};

struct agent_link {
	struct event_base *base; /* not owned */
	struct agent_cfg cfg;
	struct probe_env *env;
	void *ctx;
	void *sock;
	struct event *zev;       /* ZMQ_FD read event, per socket */
	struct event *tick;      /* persistent timer */
	struct event *reconnect; /* one-shot backoff timer */
	enum link_state state;
	bool stopping;
	bool draining;
	uint32_t hb_ivl_ms;
	uint32_t liveness;
	uint32_t backoff_ms;
	uint64_t last_rx_ms; /* last message from the coordinator (or socket open) */
	uint64_t last_tx_ms; /* last message handed to the socket */
	unsigned sessions;
	unsigned inflight;
	size_t key_idx;      /* cfg.server_public[] pinned by the current socket */
	bool rx_in_session;  /* a frame arrived since the socket was opened */
	bool enroll_pending; /* BYE before WELCOME while enrolling: retry slowly */
	struct link_job *jobs;
};

static void s_drain(struct agent_link *l);
static int s_open(struct agent_link *l, char *err, size_t errlen);

static uint64_t s_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void s_tv(struct timeval *tv, uint32_t ms)
{
	tv->tv_sec = (time_t)(ms / 1000u);
	tv->tv_usec = (suseconds_t)((ms % 1000u) * 1000u);
}

static uint32_t s_tick_ms(uint32_t hb_ivl_ms)
{
	uint32_t t = hb_ivl_ms / 4u;

	if (t < LINK_TICK_MIN_MS)
		t = LINK_TICK_MIN_MS;
	if (t > LINK_TICK_MAX_MS)
		t = LINK_TICK_MAX_MS;
	return t;
}

static int s_arm_tick(struct agent_link *l)
{
	struct timeval tv;

	s_tv(&tv, s_tick_ms(l->hb_ivl_ms));
	return event_add(l->tick, &tv);
}

/* Encode m and hand it to the socket without blocking.  0 sent, -1 not (the
 * reason is logged at debug level: EAGAIN while the connection is down is
 * expected).  Drains afterwards: a send can consume the ZMQ_FD edge. */
static int s_send(struct agent_link *l, const struct proto_msg *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[256];
	int rc = -1;

	if (l->sock == NULL)
		goto out;
	if (proto_encode(m, &buf, &len, err, sizeof(err)) != 0) {
		log_err("cannot encode %s: %s", proto_type_name(m->type), err);
		goto out;
	}
	if (zmq_send(l->sock, buf, len, ZMQ_DONTWAIT) < 0) {
		log_debug("%s not sent: %s", proto_type_name(m->type), zmq_strerror(errno));
		goto out;
	}
	l->last_tx_ms = s_now_ms();
	rc = 0;
out:
	free(buf);
	if (l->sock != NULL && !l->draining)
		s_drain(l);
	return rc;
}

static void s_close(struct agent_link *l)
{
	if (l->zev != NULL) {
		event_del(l->zev);
		event_free(l->zev);
		l->zev = NULL;
	}
	if (l->sock != NULL) {
		zmq_close(l->sock);
		l->sock = NULL;
	}
}

/* Random integer in [0, n). */
static uint32_t s_random(uint32_t n)
{
	uint32_t r = 0;

	if (n == 0)
		return 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)s_now_ms() * 2654435761u;
	return r % n;
}

/* Session lost: close the socket and arm the backoff timer (current backoff
 * +-25 % jitter, never above RECONNECT_MAX_MS), doubling the backoff for
 * next time. */
static void s_lost(struct agent_link *l, const char *why)
{
	struct timeval tv;
	uint32_t delay;
	bool rotate;

	s_close(l);
	if (l->stopping)
		return;
	/* no frame at all: the CURVE handshake most likely failed on this
	 * coordinator key (libzmq reports nothing else), so try the next */
	rotate = !l->rx_in_session && l->cfg.n_server_keys > 1;
	if (rotate)
		l->key_idx = (l->key_idx + 1u) % l->cfg.n_server_keys;
	l->rx_in_session = false;
	l->state = LINK_BACKOFF;
	if (l->enroll_pending) {
		/* the coordinator knows us and waits for an operator to approve:
		 * a steady pace, neither hammering it nor drifting to 32 s */
		l->enroll_pending = false;
		delay = ENROLL_RETRY_MS;
		log_info("enrolment pending: retrying in %u ms", (unsigned)delay);
	} else {
		delay = l->backoff_ms - l->backoff_ms / 4u + s_random(l->backoff_ms / 2u + 1u);
		if (delay > RECONNECT_MAX_MS)
			delay = RECONNECT_MAX_MS;
		log_warn("link to %s lost (%s); reconnecting in %u ms", l->cfg.coordinator, why,
		         (unsigned)delay);
		l->backoff_ms = l->backoff_ms >= RECONNECT_MAX_MS / 2u ? RECONNECT_MAX_MS
		                                                       : l->backoff_ms * 2u;
	}
	if (rotate)
		log_info("trying coordinator key #%zu of %zu next", l->key_idx + 1u,
		         l->cfg.n_server_keys);
	s_tv(&tv, delay);
	if (event_add(l->reconnect, &tv) != 0)
		log_err("cannot arm the reconnect timer");
}

/* A peer-supplied job id, escaped for logs (ids are hex, but never trust). */
static const char *s_id(char *buf, size_t len, const char *id)
{
	return log_escape(buf, len, id, LIMIT_JOB_ID_LEN);
}

static void s_send_hello(struct agent_link *l)
{
	struct proto_msg m;
	int events = 0;
	size_t sz = sizeof(events);

	/* with ZMQ_IMMEDIATE the send fails until the connection is up */
	if (zmq_getsockopt(l->sock, ZMQ_EVENTS, &events, &sz) != 0 || !(events & ZMQ_POLLOUT))
		return;
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	snprintf(m.u.hello.agent_version, sizeof(m.u.hello.agent_version), "%s", VANTAGE_VERSION);
	m.u.hello.ipv4 = true;
	m.u.hello.ipv6 = l->cfg.probe.ipv6;
	m.u.hello.max_inflight = AGENT_MAX_INFLIGHT;
	m.u.hello.methods = probe_methods();
	if (l->cfg.name[0] != '\0' && l->cfg.enroll_token[0] != '\0') {
		/* both or neither (agent_config_load); the coordinator reads them
		 * only while this key is not yet allowlisted */
		memcpy(m.u.hello.enroll_name, l->cfg.name, sizeof(m.u.hello.enroll_name));
		memcpy(m.u.hello.enroll_token, l->cfg.enroll_token, sizeof(m.u.hello.enroll_token));
	}
	if (s_send(l, &m) == 0 && l->state == LINK_HELLO) {
		l->state = LINK_WAITING;
		log_info("connected to %s; HELLO sent", l->cfg.coordinator);
	}
}

static void s_send_result(struct agent_link *l, const struct vt_result *r)
{
	struct proto_msg m;
	char id[LIMIT_JOB_ID_LEN * 4 + 1];

	if (l->sock == NULL || l->state != LINK_REGISTERED) {
		log_info("result for job %s dropped: not registered",
		         s_id(id, sizeof(id), r->job_id));
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PROTO_RESULT;
	m.u.result = *r; /* shallow: records stay owned by r */
	if (s_send(l, &m) != 0)
		log_warn("result for job %s not sent", s_id(id, sizeof(id), r->job_id));
}

/* Answer a job we will not run with fail / serverInternal. */
static void s_refuse_job(struct agent_link *l, const struct vt_job *job, const char *why)
{
	struct vt_result r;
	char id[LIMIT_JOB_ID_LEN * 4 + 1];

	memset(&r, 0, sizeof(r));
	snprintf(r.job_id, sizeof(r.job_id), "%s", job->id);
	snprintf(r.domain, sizeof(r.domain), "%s", job->domain);
	r.method = job->method;
	vt_result_fail(&r, VT_PROB_SERVER_INTERNAL, "vantage agent refused the job: %s", why);
	log_warn("job %s refused: %s", s_id(id, sizeof(id), job->id), why);
	s_send_result(l, &r);
	vt_result_clear(&r);
}

static void s_job_unlink(struct agent_link *l, struct link_job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		l->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
	if (l->inflight > 0)
		l->inflight--;
}

static void s_probe_done(struct probe *p, void *arg)
{
	struct link_job *j = arg;
	struct agent_link *l = j->link;
	struct vt_result *r = probe_result(p);
	const struct vt_job *job = probe_job(p);
	char id[LIMIT_JOB_ID_LEN * 4 + 1];

	snprintf(r->job_id, sizeof(r->job_id), "%s", job->id);
	log_debug("job %s finished: %s", s_id(id, sizeof(id), job->id),
	          vt_outcome_name(r->outcome));
	s_send_result(l, r);
	s_job_unlink(l, j);
	probe_free(&p);
	free(j);
}

static void s_handle_job(struct agent_link *l, const struct vt_job *job)
{
	struct link_job *j;
	char err[256];
	char why[LIMIT_DETAIL_LEN];
	char id[LIMIT_JOB_ID_LEN * 4 + 1], dom[LIMIT_DOMAIN_LEN * 4 + 1];

	if (l->inflight >= AGENT_MAX_INFLIGHT) {
		snprintf(why, sizeof(why), "%u probes already running (max_inflight %u)",
		         l->inflight, (unsigned)AGENT_MAX_INFLIGHT);
		s_refuse_job(l, job, why);
		return;
	}
	if (job->budget_ms < JOB_MIN_BUDGET_MS || job->budget_ms > JOB_MAX_BUDGET_MS) {
		snprintf(why, sizeof(why), "budget %u ms outside %u..%u ms",
		         (unsigned)job->budget_ms, (unsigned)JOB_MIN_BUDGET_MS,
		         (unsigned)JOB_MAX_BUDGET_MS);
		s_refuse_job(l, job, why);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		s_refuse_job(l, job, "out of memory");
		return;
	}
	j->link = l;
	j->probe = probe_start(l->env, job, s_probe_done, j, err, sizeof(err));
	if (j->probe == NULL) {
		free(j);
		s_refuse_job(l, job, err);
		return;
	}
	j->next = l->jobs;
	if (l->jobs != NULL)
		l->jobs->prev = j;
	l->jobs = j;
	l->inflight++;
	log_debug("job %s started (%s %s, budget %u ms)", s_id(id, sizeof(id), job->id),
	          vt_method_name(job->method),
	          log_escape(dom, sizeof(dom), job->domain, sizeof(job->domain)),
	          (unsigned)job->budget_ms);
}

static void s_handle_welcome(struct agent_link *l, const struct proto_welcome *w)
{
	uint32_t ivl = w->heartbeat_ivl_ms;
	uint32_t live = w->liveness;

	if (ivl < LINK_HB_MIN_MS || ivl > LINK_HB_MAX_MS) {
		log_warn("WELCOME heartbeat interval %u ms outside %u..%u; using %u", (unsigned)ivl,
		         (unsigned)LINK_HB_MIN_MS, (unsigned)LINK_HB_MAX_MS,
		         (unsigned)HEARTBEAT_IVL_MS);
		ivl = HEARTBEAT_IVL_MS;
	}
	if (live < 1 || live > LINK_LIVENESS_MAX) {
		log_warn("WELCOME liveness %u outside 1..%u; using %u", (unsigned)live,
		         (unsigned)LINK_LIVENESS_MAX, (unsigned)HEARTBEAT_LIVENESS);
		live = HEARTBEAT_LIVENESS;
	}
	l->hb_ivl_ms = ivl;
	l->liveness = live;
	l->backoff_ms = RECONNECT_MIN_MS;
	if (l->state != LINK_REGISTERED)
		log_info("registered with %s (heartbeat %u ms, liveness %u)", l->cfg.coordinator,
		         (unsigned)ivl, (unsigned)live);
	l->state = LINK_REGISTERED;
	event_del(l->tick);
	if (s_arm_tick(l) != 0)
		log_err("cannot re-arm the link timer");
}

/* Handle one frame from the coordinator.  Malformed frames are logged
 * (escaped) and dropped. */
static void s_handle_frame(struct agent_link *l, const uint8_t *data, size_t len)
{
	struct proto_msg m;
	char err[256];
	char esc[512];

	l->last_rx_ms = s_now_ms(); /* any frame proves the peer is alive ... */
	l->rx_in_session = true;    /* ... and that it holds the key we pinned */
	if (proto_decode(data, len, &m, err, sizeof(err)) != 0) {
		log_warn("malformed frame from coordinator (%zu bytes) dropped: %s", len,
		         log_escape(esc, sizeof(esc), err, sizeof(err)));
		return;
	}
	switch (m.type) {
	case PROTO_WELCOME:
		s_handle_welcome(l, &m.u.welcome);
		break;
	case PROTO_HEARTBEAT:
		break;
	case PROTO_JOB:
		if (l->state != LINK_REGISTERED)
			log_warn("JOB %s before WELCOME dropped",
			         log_escape(esc, sizeof(esc), m.u.job.id, sizeof(m.u.job.id)));
		else
			s_handle_job(l, &m.u.job);
		break;
	case PROTO_BYE:
		log_info("coordinator said BYE: %s",
		         log_escape(esc, sizeof(esc), m.u.bye.reason, sizeof(m.u.bye.reason)));
		if (l->state == LINK_WAITING && l->cfg.enroll_token[0] != '\0')
			l->enroll_pending = true;
		s_lost(l, "coordinator said BYE");
		break;
	case PROTO_HELLO:
	case PROTO_RESULT:
	default:
		log_warn("unexpected %s from coordinator dropped", proto_type_name(m.type));
		break;
	}
	proto_msg_clear(&m);
}

/* Receive while ZMQ_EVENTS says POLLIN, at most LINK_DRAIN_MAX messages;
 * if more remain, re-activate the fd event so the loop comes back. */
static void s_drain(struct agent_link *l)
{
	unsigned n = 0;

	if (l->draining || l->sock == NULL)
		return;
	l->draining = true;
	while (l->sock != NULL && n < LINK_DRAIN_MAX) {
		int events = 0;
		size_t sz = sizeof(events);
		zmq_msg_t msg;

		if (zmq_getsockopt(l->sock, ZMQ_EVENTS, &events, &sz) != 0)
			break;
		if (l->state == LINK_HELLO && (events & ZMQ_POLLOUT))
			s_send_hello(l); /* the loop re-reads ZMQ_EVENTS after it */
		if (!(events & ZMQ_POLLIN))
			break;
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, l->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			break;
		}
		n++;
		if (zmq_msg_more(&msg)) {
			log_warn("multi-part frame from coordinator dropped");
		} else {
			s_handle_frame(l, zmq_msg_data(&msg), zmq_msg_size(&msg));
		}
		zmq_msg_close(&msg);
	}
	l->draining = false;
	if (n >= LINK_DRAIN_MAX && l->zev != NULL)
		event_active(l->zev, EV_READ, 0);
}

static void s_on_zmq_fd(evutil_socket_t fd, short what, void *arg)
{
	s_drain(arg);
}

static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct agent_link *l = arg;
	uint64_t now, dead_after;

	if (l->sock == NULL)
		return;
	s_drain(l);
	if (l->sock == NULL)
		return;
	now = s_now_ms();
	dead_after = (uint64_t)l->hb_ivl_ms * l->liveness;
	if (now - l->last_rx_ms >= dead_after) {
		const char *why = "no WELCOME from coordinator";

		if (l->state == LINK_REGISTERED)
			why = "coordinator silent";
		else if (l->state == LINK_HELLO)
			why = "no connection (coordinator down, or CURVE refused: check "
			      "coordinator_public_key and the coordinator's allowlist)";
		s_lost(l, why);
		return;
	}
	if (l->state == LINK_HELLO) {
		s_send_hello(l);
	} else if (l->state == LINK_REGISTERED && now - l->last_tx_ms >= l->hb_ivl_ms) {
		struct proto_msg m;

		memset(&m, 0, sizeof(m));
		m.type = PROTO_HEARTBEAT;
		m.u.heartbeat.inflight = l->inflight;
		(void)s_send(l, &m);
	}
}

static void s_on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	struct agent_link *l = arg;
	char err[256];

	if (l->stopping)
		return;
	log_info("reconnecting to %s", l->cfg.coordinator);
	if (s_open(l, err, sizeof(err)) != 0)
		s_lost(l, err);
}

static int s_setopt_int(void *sock, int opt, int v, const char *name, char *err, size_t errlen)
{
	if (zmq_setsockopt(sock, opt, &v, sizeof(v)) != 0) {
		snprintf(err, errlen, "zmq_setsockopt(%s): %s", name, zmq_strerror(errno));
		return -1;
	}
	return 0;
}

/* Open a new DEALER socket with CURVE client options and connect it. */
static int s_open(struct agent_link *l, char *err, size_t errlen)
{
	int64_t maxmsg = PROTO_MAX_MSG_BYTES;
	evutil_socket_t fd;
	size_t fdsz = sizeof(fd);
	int rc = -1;

	l->sock = zmq_socket(l->ctx, ZMQ_DEALER);
	if (l->sock == NULL) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
		goto out;
	}
	if (l->key_idx >= l->cfg.n_server_keys) {
		snprintf(err, errlen, "no coordinator key configured");
		goto out;
	}
	if (zmq_setsockopt(l->sock, ZMQ_CURVE_SERVERKEY, l->cfg.server_public[l->key_idx],
	                   KEY_Z85_LEN) != 0 ||
	    zmq_setsockopt(l->sock, ZMQ_CURVE_PUBLICKEY, l->cfg.public_, KEY_Z85_LEN) != 0 ||
	    zmq_setsockopt(l->sock, ZMQ_CURVE_SECRETKEY, l->cfg.secret, KEY_Z85_LEN) != 0) {
		snprintf(err, errlen, "CURVE keys refused by libzmq: %s", zmq_strerror(errno));
		goto out;
	}
	if (zmq_setsockopt(l->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0) {
		snprintf(err, errlen, "zmq_setsockopt(ZMQ_MAXMSGSIZE): %s", zmq_strerror(errno));
		goto out;
	}
	if (s_setopt_int(l->sock, ZMQ_IMMEDIATE, 1, "ZMQ_IMMEDIATE", err, errlen) != 0 ||
	    s_setopt_int(l->sock, ZMQ_LINGER, ZMQ_LINGER_MS, "ZMQ_LINGER", err, errlen) != 0 ||
	    s_setopt_int(l->sock, ZMQ_SNDHWM, ZMQ_HWM, "ZMQ_SNDHWM", err, errlen) != 0 ||
	    s_setopt_int(l->sock, ZMQ_RCVHWM, ZMQ_HWM, "ZMQ_RCVHWM", err, errlen) != 0 ||
	    s_setopt_int(l->sock, ZMQ_HANDSHAKE_IVL, ZMQ_HANDSHAKE_MS, "ZMQ_HANDSHAKE_IVL", err,
	                 errlen) != 0 ||
	    s_setopt_int(l->sock, ZMQ_RECONNECT_IVL, RECONNECT_MIN_MS, "ZMQ_RECONNECT_IVL", err,
	                 errlen) != 0 ||
	    s_setopt_int(l->sock, ZMQ_RECONNECT_IVL_MAX, RECONNECT_MAX_MS, "ZMQ_RECONNECT_IVL_MAX",
	                 err, errlen) != 0)
		goto out;
	if (zmq_connect(l->sock, l->cfg.coordinator) != 0) {
		snprintf(err, errlen, "zmq_connect(%s): %s", l->cfg.coordinator,
		         zmq_strerror(errno));
		goto out;
	}
	if (zmq_getsockopt(l->sock, ZMQ_FD, &fd, &fdsz) != 0) {
		snprintf(err, errlen, "zmq_getsockopt(ZMQ_FD): %s", zmq_strerror(errno));
		goto out;
	}
	l->zev = event_new(l->base, fd, EV_READ | EV_PERSIST, s_on_zmq_fd, l);
	if (l->zev == NULL || event_add(l->zev, NULL) != 0) {
		snprintf(err, errlen, "cannot watch the ZeroMQ socket");
		goto out;
	}
	l->state = LINK_HELLO;
	l->hb_ivl_ms = HEARTBEAT_IVL_MS; /* until WELCOME says otherwise */
	l->liveness = HEARTBEAT_LIVENESS;
	l->last_rx_ms = s_now_ms();
	l->last_tx_ms = 0;
	l->rx_in_session = false;
	l->sessions++;
	event_del(l->tick);
	if (s_arm_tick(l) != 0) {
		snprintf(err, errlen, "cannot arm the link timer");
		goto out;
	}
	if (l->cfg.n_server_keys > 1)
		log_info("connecting to %s (session %u, coordinator key #%zu of %zu)",
		         l->cfg.coordinator, l->sessions, l->key_idx + 1u, l->cfg.n_server_keys);
	else
		log_info("connecting to %s (session %u)", l->cfg.coordinator, l->sessions);
	s_send_hello(l);
	s_drain(l);
	rc = 0;
out:
	if (rc != 0)
		s_close(l);
	return rc;
}

struct agent_link *agent_link_new(struct event_base *base, const struct agent_cfg *cfg, char *err,
                                  size_t errlen)
{
	struct agent_link *l = calloc(1, sizeof(*l));
	char perr[256];
	int rc = -1;

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->base = base;
	l->cfg = *cfg;
	l->hb_ivl_ms = HEARTBEAT_IVL_MS;
	l->liveness = HEARTBEAT_LIVENESS;
	l->backoff_ms = RECONNECT_MIN_MS;
	l->env = probe_env_new(base, &l->cfg.probe, perr, sizeof(perr));
	if (l->env == NULL) {
		snprintf(err, errlen, "probe engine: %s", perr);
		goto out;
	}
	l->ctx = zmq_ctx_new();
	if (l->ctx == NULL) {
		snprintf(err, errlen, "zmq_ctx_new: %s", zmq_strerror(errno));
		goto out;
	}
	l->tick = event_new(base, -1, EV_PERSIST, s_on_tick, l);
	l->reconnect = event_new(base, -1, 0, s_on_reconnect, l);
	if (l->tick == NULL || l->reconnect == NULL) {
		snprintf(err, errlen, "cannot create timers");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		agent_link_destroy(&l);
	return l;
}

int agent_link_start(struct agent_link *l, char *err, size_t errlen)
{
	l->stopping = false;
	return s_open(l, err, errlen);
}

void agent_link_stop(struct agent_link *l)
{
	if (l == NULL || l->stopping)
		return;
	if (l->sock != NULL && (l->state == LINK_REGISTERED || l->state == LINK_WAITING)) {
		struct proto_msg m;

		memset(&m, 0, sizeof(m));
		m.type = PROTO_BYE;
		snprintf(m.u.bye.reason, sizeof(m.u.bye.reason), "%s", LINK_BYE_REASON_STOP);
		l->draining = true; /* no more input handling while stopping */
		if (s_send(l, &m) == 0)
			log_info("BYE sent to %s", l->cfg.coordinator);
		l->draining = false;
	}
	l->stopping = true;
	l->state = LINK_IDLE;
	if (l->tick != NULL)
		event_del(l->tick);
	if (l->reconnect != NULL)
		event_del(l->reconnect);
	if (l->zev != NULL)
		event_del(l->zev);
	event_base_loopbreak(l->base);
}

void agent_link_destroy(struct agent_link **lp)
{
	struct agent_link *l;
	unsigned n = 0;

	if (lp == NULL || *lp == NULL)
		return;
	l = *lp;
	l->stopping = true;
	/* bounded by the number of jobs started; inflight never exceeds the max */
	while (l->jobs != NULL && n++ <= AGENT_MAX_INFLIGHT) {
		struct link_job *j = l->jobs;

		s_job_unlink(l, j);
		probe_free(&j->probe);
		free(j);
	}
	probe_env_destroy(&l->env);
	s_close(l);
	if (l->tick != NULL)
		event_free(l->tick);
	if (l->reconnect != NULL)
		event_free(l->reconnect);
	if (l->ctx != NULL)
		zmq_ctx_term(l->ctx);
	explicit_bzero(&l->cfg, sizeof(l->cfg)); /* the secret key and the token */
	free(l);
	*lp = NULL;
}

unsigned agent_link_sessions(const struct agent_link *l)
{
	return l->sessions;
}

size_t agent_link_key_index(const struct agent_link *l)
{
	return l->key_idx;
}
