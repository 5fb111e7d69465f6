/*
 * resolver.c -- libunbound (event API) + ldns, Boulder's getAddrs rules.
 *
 * Each lookup sends AAAA and A at once with ub_resolve_event; every answer
 * packet is parsed with ldns and every RR of the asked type in the answer
 * section is kept (CNAME chains included, as bdns does), minus the IANA
 * special-purpose addresses.  A timer bounds the whole lookup.  Results are
 * handed over from a zero-delay libevent callback, never from inside
 * libunbound, so the caller may destroy the resolver in its callback.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <ldns/ldns.h>
#include <unbound-event.h>
#include <unbound.h>

#include "resolver.h"

/* A query in flight.  Never freed before the unbound context is deleted
 * (libunbound may still call back for it); `dead` makes it inert. */
struct s_query {
	struct resolver *r;
	int rrtype; /* LDNS_RR_TYPE_A or _AAAA */
	int async_id;
	int dead;
	struct s_query *next;
};

/* Per-family state of the current lookup. */
struct s_family {
	int done;
	char err[LIMIT_DETAIL_LEN / 2 - 1]; /* "" when usable; two fit in one detail */
};

/* A generic query (resolver_query).  Kept until the resolver is destroyed,
 * like s_query; `state` says where it is. */
enum s_gstate { S_G_RUNNING, S_G_READY, S_G_DONE };

struct s_gquery {
	struct resolver *r;
	int id; /* resolver_query's id, > 0 */
	int async_id;
	enum s_gstate state;
	int rrtype;
	char name[LIMIT_DOMAIN_LEN + 1];
	resolver_query_fn done;
	void *arg;
	struct event *timer;   /* this query's deadline */
	struct event *deliver; /* zero-delay hand-over */
	struct timespec t0;
	ldns_pkt *pkt;
	int rcode;
	int sec;
	char why_bogus[LIMIT_DETAIL_LEN / 2];
	char err[LIMIT_DETAIL_LEN / 2];
	struct s_gquery *next;
};

struct resolver {
	struct event_base *base;
	struct resolver_cfg cfg;
	struct addr_filter pub;
	struct ub_ctx *ctx; /* created on the first DNS lookup */
	struct s_query *queries;
	struct event *timer;   /* the lookup's deadline */
	struct event *deliver; /* zero-delay hand-over */
	char host[LIMIT_DOMAIN_LEN + 1];
	struct resolver_addrs out;
	struct s_family fam_a, fam_aaaa;
	resolver_done_fn done;
	void *arg;
	int active;
	struct timespec t0;
	struct s_gquery *gqueries; /* resolver_query's, newest first */
	int next_gid;
};

static uint32_t s_elapsed_ms(const struct timespec *t0)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - t0->tv_sec) * 1000LL + (now.tv_nsec - t0->tv_nsec) / 1000000LL;
	return ms < 0 ? 0 : (uint32_t)ms;
}

static const char *s_rcode_name(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	                                    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return "server failure at resolver";
}

static const char *s_type_name(int rrtype)
{
	return rrtype == LDNS_RR_TYPE_AAAA ? "AAAA" : "A";
}

/* bdns.Error text for an RCODE. */
static void s_rcode_error(char *buf, size_t len, int rcode, int rrtype, const char *host)
{
	const char *hint = NULL;

	if (rcode == LDNS_RCODE_NXDOMAIN)
		hint = "check that a DNS record exists for this domain";
	else if (rcode == LDNS_RCODE_SERVFAIL)
		hint = "the domain's nameservers may be malfunctioning";
	snprintf(buf, len, "DNS problem: %s looking up %s for %s%s%s", s_rcode_name(rcode),
	         s_type_name(rrtype), host, hint ? " - " : "", hint ? hint : "");
}

/* Both families settled (or the deadline passed): hand over. */
static void s_maybe_finish(struct resolver *r)
{
	if (!r->active || !r->fam_a.done || !r->fam_aaaa.done)
		return;
	if (r->out.n_v4 == 0 && r->out.n_v6 == 0 && r->out.prob == VT_PROB_NONE) {
		r->out.prob = VT_PROB_DNS;
		snprintf(r->out.err, sizeof(r->out.err), "%s; %s", r->fam_a.err, r->fam_aaaa.err);
	}
	if (r->timer != NULL)
		evtimer_del(r->timer);
	event_active(r->deliver, EV_TIMEOUT, 1);
}

static void s_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver *r = arg;
	struct resolver_addrs a;

	if (!r->active)
		return;
	r->active = 0;
	r->out.elapsed_ms = s_elapsed_ms(&r->t0);
	a = r->out;
	r->done(&a, r->arg);
}

/* Keep the usable addresses of the asked type from the answer section. */
static void s_take_answer(struct resolver *r, int rrtype, const void *packet, int len)
{
	struct s_family *fam = rrtype == LDNS_RR_TYPE_A ? &r->fam_a : &r->fam_aaaa;
	ldns_pkt *pkt = NULL;
	ldns_rr_list *ans;
	char text[LIMIT_ADDR_LEN];
	const char *why = NULL;
	int af = rrtype == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;
	size_t want = rrtype == LDNS_RR_TYPE_A ? 4 : 16;
	size_t found = 0;

	if (len <= 0 || len > DNS_MAX_ANSWER_BYTES ||
	    ldns_wire2pkt(&pkt, packet, (size_t)len) != LDNS_STATUS_OK) {
		snprintf(fam->err, sizeof(fam->err),
		         "DNS problem: server failure at resolver looking up %s for %s",
		         s_type_name(rrtype), r->host);
		goto out;
	}
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR) {
		s_rcode_error(fam->err, sizeof(fam->err), (int)ldns_pkt_get_rcode(pkt), rrtype,
		              r->host);
		goto out;
	}
	ans = ldns_pkt_answer(pkt);
	for (size_t i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if ((int)ldns_rr_get_type(rr) != rrtype || ldns_rr_rd_count(rr) < 1)
			continue;
		ldns_rdf *rdf = ldns_rr_rdf(rr, 0);
		if (rdf == NULL || ldns_rdf_size(rdf) != want)
			continue;
		if (inet_ntop(af, ldns_rdf_data(rdf), text, sizeof(text)) == NULL)
			continue;
		if (addr_is_reserved(text, &r->pub, &why)) {
			/* Boulder drops it without a word; vantage remembers it */
			if (r->out.n_skipped < RESOLVER_MAX_SKIPPED) {
				struct resolver_skipped *sk = &r->out.skipped[r->out.n_skipped++];
				snprintf(sk->addr, sizeof(sk->addr), "%s", text);
				sk->v6 = rrtype == LDNS_RR_TYPE_AAAA;
				sk->why = why;
			}
			continue;
		}
		if (rrtype == LDNS_RR_TYPE_A && r->out.n_v4 < LIMIT_MAX_ADDRS)
			snprintf(r->out.v4[r->out.n_v4++], LIMIT_ADDR_LEN, "%s", text);
		else if (rrtype == LDNS_RR_TYPE_AAAA && r->out.n_v6 < LIMIT_MAX_ADDRS)
			snprintf(r->out.v6[r->out.n_v6++], LIMIT_ADDR_LEN, "%s", text);
		found++;
	}
	if (found == 0)
		snprintf(fam->err, sizeof(fam->err), "no valid %s records found for %s",
		         s_type_name(rrtype), r->host);
out:
	ldns_pkt_free(pkt);
}

static void s_ub_cb(void *mydata, int rcode, void *packet, int packet_len, int sec, char *why_bogus,
                    int was_ratelimited)
{
	struct s_query *q = mydata;
	struct resolver *r = q->r;
	struct s_family *fam;

	if (q->dead || r == NULL || !r->active)
		return;
	q->dead = 1;
	fam = q->rrtype == LDNS_RR_TYPE_A ? &r->fam_a : &r->fam_aaaa;
	if (fam->done)
		return;
	fam->done = 1;
	if (sec == 1) {
		snprintf(fam->err, sizeof(fam->err),
		         "DNS problem: looking up %s for %s: DNSSEC: Bogus", s_type_name(q->rrtype),
		         r->host);
	} else if (rcode != 0 || packet == NULL) {
		s_rcode_error(fam->err, sizeof(fam->err), rcode != 0 ? rcode : LDNS_RCODE_SERVFAIL,
		              q->rrtype, r->host);
	} else {
		s_take_answer(r, q->rrtype, packet, packet_len);
	}
	s_maybe_finish(r);
}

/* Deadline: every family still open times out. */
static void s_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver *r = arg;
	struct s_family *fams[2] = {&r->fam_a, &r->fam_aaaa};
	int types[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};

	if (!r->active)
		return;
	for (int i = 0; i < 2; i++) {
		if (fams[i]->done)
			continue;
		fams[i]->done = 1;
		snprintf(fams[i]->err, sizeof(fams[i]->err),
		         "DNS problem: query timed out looking up %s for %s", s_type_name(types[i]),
		         r->host);
	}
	for (struct s_query *q = r->queries; q != NULL; q = q->next)
		q->dead = 1;
	s_maybe_finish(r);
}

/* Create and configure the unbound context.  0 or -1. */
static int s_make_ctx(struct resolver *r, char *err, size_t errlen)
{
	static const char *const tuning[][2] = {
	        {"msg-cache-size:", RESOLVER_CACHE_SIZE},
	        {"rrset-cache-size:", RESOLVER_CACHE_SIZE},
	        {"key-cache-size:", RESOLVER_CACHE_SIZE},
	        {"neg-cache-size:", RESOLVER_CACHE_SIZE},
	        {"msg-cache-slabs:", RESOLVER_SLABS},
	        {"rrset-cache-slabs:", RESOLVER_SLABS},
	        {"key-cache-slabs:", RESOLVER_SLABS},
	        {"infra-cache-slabs:", RESOLVER_SLABS},
	        {"outgoing-range:", RESOLVER_OUTGOING_RANGE},
	        {"num-queries-per-thread:", RESOLVER_QUERIES},
	        {"outgoing-port-avoid:", RESOLVER_PORTS_AVOID},
	        {"outgoing-port-permit:", RESOLVER_PORTS_PERMIT},
	};
	int rc = -1, ub;

	r->ctx = ub_ctx_create_event(r->base);
	if (r->ctx == NULL) {
		snprintf(err, errlen, "cannot create the libunbound context");
		goto out;
	}
	ub = ub_ctx_set_option(r->ctx, "do-not-query-localhost:", "no");
	if (ub != 0) {
		snprintf(err, errlen, "libunbound do-not-query-localhost: %s", ub_strerror(ub));
		goto out;
	}
	for (size_t i = 0; i < sizeof(tuning) / sizeof(tuning[0]); i++)
		(void)ub_ctx_set_option(r->ctx, tuning[i][0], tuning[i][1]); /* best effort */
	if (r->cfg.forwarder[0] != '\0') {
		ub = ub_ctx_set_fwd(r->ctx, r->cfg.forwarder);
		if (ub != 0) {
			snprintf(err, errlen, "resolver \"%s\": %s", r->cfg.forwarder,
			         ub_strerror(ub));
			goto out;
		}
	} else if (r->cfg.root_hints[0] != '\0') {
		ub = ub_ctx_set_option(r->ctx, "root-hints:", r->cfg.root_hints);
		if (ub != 0) {
			snprintf(err, errlen, "root hints \"%s\": %s", r->cfg.root_hints,
			         ub_strerror(ub));
			goto out;
		}
	}
	if (r->cfg.trust_anchor[0] != '\0') {
		ub = ub_ctx_add_ta_file(r->ctx, r->cfg.trust_anchor);
		if (ub != 0) {
			snprintf(err, errlen, "trust anchor \"%s\": %s", r->cfg.trust_anchor,
			         ub_strerror(ub));
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0 && r->ctx != NULL) {
		ub_ctx_delete(r->ctx);
		r->ctx = NULL;
	}
	return rc;
}

struct resolver *resolver_new(struct event_base *base, const struct resolver_cfg *cfg,
                              const struct addr_filter *pub)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->base = base;
	r->cfg = *cfg;
	if (pub != NULL)
		r->pub = *pub;
	if (r->cfg.timeout_ms == 0)
		r->cfg.timeout_ms = DNS_TIMEOUT_MS;
	r->timer = evtimer_new(base, s_timeout_cb, r);
	r->deliver = event_new(base, -1, 0, s_deliver_cb, r);
	if (r->timer == NULL || r->deliver == NULL)
		resolver_destroy(&r);
	return r;
}

void resolver_cancel(struct resolver *r)
{
	if (r == NULL)
		return;
	r->active = 0;
	for (struct s_query *q = r->queries; q != NULL; q = q->next) {
		if (!q->dead && r->ctx != NULL)
			(void)ub_cancel(r->ctx, q->async_id);
		q->dead = 1;
	}
	if (r->timer != NULL)
		evtimer_del(r->timer);
	if (r->deliver != NULL)
		event_del(r->deliver);
}

static void s_gquery_free_all(struct resolver *r);

void resolver_destroy(struct resolver **rp)
{
	struct resolver *r;
	struct s_query *q, *next;

	if (rp == NULL || *rp == NULL)
		return;
	r = *rp;
	resolver_cancel(r);
	for (struct s_gquery *g = r->gqueries; g != NULL; g = g->next)
		resolver_query_cancel(r, g->id);
	if (r->ctx != NULL)
		ub_ctx_delete(r->ctx); /* may call back for dead queries */
	for (q = r->queries; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	s_gquery_free_all(r);
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->deliver != NULL)
		event_free(r->deliver);
	free(r);
	*rp = NULL;
}

/* Send one query of rrtype for r->host.  0 or -1. */
static int s_send(struct resolver *r, int rrtype, char *err, size_t errlen)
{
	struct s_query *q = calloc(1, sizeof(*q));
	struct s_family *fam = rrtype == LDNS_RR_TYPE_A ? &r->fam_a : &r->fam_aaaa;
	int ub;

	if (q == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	q->r = r;
	q->rrtype = rrtype;
	q->next = r->queries;
	r->queries = q;
	ub = ub_resolve_event(r->ctx, r->host, rrtype, LDNS_RR_CLASS_IN, q, s_ub_cb, &q->async_id);
	if (ub != 0) {
		q->dead = 1;
		fam->done = 1;
		snprintf(fam->err, sizeof(fam->err),
		         "DNS problem: server failure at resolver looking up %s for %s",
		         s_type_name(rrtype), r->host);
	}
	return 0;
}

/* An IP literal: no DNS; a reserved one is refused as LE's policy would. */
static void s_literal(struct resolver *r, int af)
{
	const char *why = NULL;

	r->fam_a.done = r->fam_aaaa.done = 1;
	if (addr_is_reserved(r->host, &r->pub, &why)) {
		r->out.prob = VT_PROB_MALFORMED;
		snprintf(r->out.err, sizeof(r->out.err),
		         "Cannot issue for \"%s\": IP address is in a reserved address block: %s",
		         r->host, why ? why : "");
		return;
	}
	if (af == AF_INET)
		snprintf(r->out.v4[r->out.n_v4++], LIMIT_ADDR_LEN, "%.*s", LIMIT_ADDR_LEN - 1,
		         r->host);
	else
		snprintf(r->out.v6[r->out.n_v6++], LIMIT_ADDR_LEN, "%.*s", LIMIT_ADDR_LEN - 1,
		         r->host);
}

int resolver_lookup(struct resolver *r, const char *host, resolver_done_fn done, void *arg,
                    char *err, size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];
	struct timeval tv;
	int rc = -1;

	resolver_cancel(r);
	if (strlen(host) > LIMIT_DOMAIN_LEN) {
		snprintf(err, errlen, "host name too long");
		goto out;
	}
	memset(&r->out, 0, sizeof(r->out));
	memset(&r->fam_a, 0, sizeof(r->fam_a));
	memset(&r->fam_aaaa, 0, sizeof(r->fam_aaaa));
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->out.host, sizeof(r->out.host), "%s", host);
	r->done = done;
	r->arg = arg;
	r->active = 1;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1) {
		s_literal(r, inet_pton(AF_INET, host, buf) == 1 ? AF_INET : AF_INET6);
		s_maybe_finish(r);
		rc = 0;
		goto out;
	}
	if (r->ctx == NULL && s_make_ctx(r, err, errlen) != 0)
		goto out;
	tv.tv_sec = r->cfg.timeout_ms / 1000;
	tv.tv_usec = (r->cfg.timeout_ms % 1000) * 1000;
	evtimer_add(r->timer, &tv);
	if (s_send(r, LDNS_RR_TYPE_AAAA, err, errlen) != 0 ||
	    s_send(r, LDNS_RR_TYPE_A, err, errlen) != 0)
		goto out;
	s_maybe_finish(r);
	rc = 0;
out:
	if (rc != 0)
		resolver_cancel(r);
	return rc;
}

void resolver_warn_reserved(const struct resolver_addrs *a, struct vt_result *r)
{
	char w[LIMIT_WARNING_LEN];
	size_t have = 0;
	bool dup;

	for (size_t i = 0; i < r->n_warnings; i++)
		if (strstr(r->warnings[i], VT_WARN_RESERVED) != NULL)
			have++;
	for (size_t k = 0; k < a->n_skipped && k < RESOLVER_MAX_SKIPPED; k++) {
		const struct resolver_skipped *sk = &a->skipped[k];
		if (have >= RESOLVER_MAX_SKIPPED)
			break;
		snprintf(w, sizeof(w), "%s record %s of %s %s (%s): Let's Encrypt ignores it",
		         sk->v6 ? "AAAA" : "A", sk->addr, a->host, VT_WARN_RESERVED,
		         sk->why != NULL ? sk->why : "reserved");
		dup = false;
		for (size_t i = 0; i < r->n_warnings && !dup; i++)
			dup = strcmp(r->warnings[i], w) == 0;
		if (dup)
			continue;
		vt_result_add_warning(r, "%s", w);
		have++;
	}
}

/* ---- generic queries ---- */

static const char *s_sec_name(int sec)
{
	return sec == 2 ? "secure" : sec == 1 ? "bogus" : "insecure";
}

static void s_gquery_free_all(struct resolver *r)
{
	struct s_gquery *g, *next;

	for (g = r->gqueries; g != NULL; g = next) {
		next = g->next;
		if (g->timer != NULL)
			event_free(g->timer);
		if (g->deliver != NULL)
			event_free(g->deliver);
		ldns_pkt_free(g->pkt);
		free(g);
	}
	r->gqueries = NULL;
}

/* Hand the settled query over to its owner, from the event loop. */
static void s_gdeliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct s_gquery *g = arg;
	struct resolver_answer a;

	if (g->state != S_G_READY)
		return;
	g->state = S_G_DONE;
	memset(&a, 0, sizeof(a));
	a.pkt = g->pkt;
	a.rcode = g->rcode;
	a.sec = s_sec_name(g->sec);
	a.why_bogus = g->why_bogus;
	a.err = g->err;
	a.elapsed_ms = s_elapsed_ms(&g->t0);
	/* done may destroy the resolver: g is not touched afterwards */
	g->done(&a, g->arg);
}

static void s_gready(struct s_gquery *g)
{
	g->state = S_G_READY;
	evtimer_del(g->timer);
	event_active(g->deliver, EV_TIMEOUT, 1);
}

static void s_gub_cb(void *mydata, int rcode, void *packet, int packet_len, int sec,
                     char *why_bogus, int was_ratelimited)
{
	struct s_gquery *g = mydata;

	if (g->state != S_G_RUNNING)
		return;
	g->async_id = 0; /* delivered: nothing left to cancel in libunbound */
	g->sec = sec;
	if (sec == 1)
		snprintf(g->why_bogus, sizeof(g->why_bogus), "%s", why_bogus ? why_bogus : "");
	if (packet != NULL && packet_len > 0 && packet_len <= DNS_MAX_ANSWER_BYTES &&
	    ldns_wire2pkt(&g->pkt, packet, (size_t)packet_len) != LDNS_STATUS_OK)
		g->pkt = NULL;
	if (rcode != 0) {
		g->rcode = rcode; /* libunbound's own verdict, SERVFAIL mostly */
	} else if (g->pkt != NULL) {
		g->rcode = (int)ldns_pkt_get_rcode(g->pkt);
	} else {
		g->rcode = -1;
		snprintf(g->err, sizeof(g->err), "server failure at resolver");
	}
	s_gready(g);
}

static void s_gtimeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct s_gquery *g = arg;

	if (g->state != S_G_RUNNING)
		return;
	if (g->async_id != 0 && g->r->ctx != NULL)
		(void)ub_cancel(g->r->ctx, g->async_id);
	g->async_id = 0;
	g->rcode = -1;
	snprintf(g->err, sizeof(g->err), "query timed out");
	s_gready(g);
}

int resolver_query(struct resolver *r, const char *name, int rrtype, resolver_query_fn done,
                   void *arg, char *err, size_t errlen)
{
	struct s_gquery *g = NULL;
	struct timeval tv;
	int ub, rc = -1;

	if (strlen(name) > LIMIT_DOMAIN_LEN || name[0] == '\0') {
		snprintf(err, errlen, "query name empty or too long");
		goto out;
	}
	if (r->ctx == NULL && s_make_ctx(r, err, errlen) != 0)
		goto out;
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	g->r = r;
	g->rrtype = rrtype;
	g->done = done;
	g->arg = arg;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->timer = evtimer_new(r->base, s_gtimeout_cb, g);
	g->deliver = event_new(r->base, -1, 0, s_gdeliver_cb, g);
	if (g->timer == NULL || g->deliver == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (r->next_gid <= 0)
		r->next_gid = 1;
	g->id = r->next_gid++;
	g->next = r->gqueries;
	r->gqueries = g;
	clock_gettime(CLOCK_MONOTONIC, &g->t0);
	tv.tv_sec = r->cfg.timeout_ms / 1000;
	tv.tv_usec = (r->cfg.timeout_ms % 1000) * 1000;
	evtimer_add(g->timer, &tv);
	rc = g->id;
	ub = ub_resolve_event(r->ctx, g->name, rrtype, LDNS_RR_CLASS_IN, g, s_gub_cb, &g->async_id);
	if (ub != 0 && g->state == S_G_RUNNING) {
		/* an outcome, not a program error: delivered like any other */
		g->async_id = 0;
		g->rcode = -1;
		snprintf(g->err, sizeof(g->err), "server failure at resolver");
		s_gready(g);
	}
	g = NULL; /* listed: owned by r */
out:
	if (g != NULL) {
		if (g->timer != NULL)
			event_free(g->timer);
		if (g->deliver != NULL)
			event_free(g->deliver);
		free(g);
	}
	return rc;
}

void resolver_query_cancel(struct resolver *r, int id)
{
	if (r == NULL || id <= 0)
		return;
	for (struct s_gquery *g = r->gqueries; g != NULL; g = g->next) {
		if (g->id != id)
			continue;
		if (g->state == S_G_RUNNING && g->async_id != 0 && r->ctx != NULL)
			(void)ub_cancel(r->ctx, g->async_id);
		g->async_id = 0;
		g->state = S_G_DONE;
		evtimer_del(g->timer);
		event_del(g->deliver);
		return;
	}
}
