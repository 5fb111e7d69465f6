/*
 * nssweep.c -- DNS-01's authoritative nameserver sweep (see nssweep.h).
 *
 * Three phases on the probe's event loop:
 *   ZONE   NS for the swept name through the recursive resolver; an NS RRset
 *          in the answer names the zone, else the SOA owner of the authority
 *          section does (one more NS query), else one label is stripped;
 *          at most NSSWEEP_MAX_WALK queries.
 *   ADDR   A and AAAA of every NS host, all at once.
 *   QUERY  one non-blocking UDP socket per nameserver address, an RD=0 TXT
 *          query built with ldns, NSSWEEP_TRIES tries of the per-try timeout.
 * Results are handed over from a zero-delay event, so the owner may destroy
 * the sweep in its callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "nssweep.h"
#include "resolver.h"

#define S_MS_PER_S  1000
#define S_US_PER_MS 1000
#define S_NS_PER_MS 1000000L

static uint16_t s_port_override;
static uint32_t s_timeout_override;

void nssweep_set_port_for_tests(uint16_t port)
{
	s_port_override = port;
}

void nssweep_set_timeout_for_tests(uint32_t ms)
{
	s_timeout_override = ms;
}

enum s_phase { S_IDLE, S_ZONE, S_ADDR, S_QUERY, S_DONE };

/* One NS host of the zone. */
struct s_host {
	struct nssweep *s;
	char name[LIMIT_DOMAIN_LEN + 1];
	int id_a, id_aaaa; /* resolver query ids, 0 when settled */
	char v4[LIMIT_MAX_ADDRS][LIMIT_ADDR_LEN];
	size_t n_v4;
	char v6[LIMIT_MAX_ADDRS][LIMIT_ADDR_LEN];
	size_t n_v6;
	char err[LIMIT_WARNING_LEN / 2]; /* why it has no address */
};

/* One direct query to one nameserver address. */
struct s_target {
	struct nssweep *s;
	size_t idx; /* into s->ns */
	int fd;
	struct event *ev;
	unsigned tries;
	uint16_t qid;
	struct timespec t_send;
	bool settled;
	struct sockaddr_storage sa;
	socklen_t salen;
};

struct nssweep {
	struct event_base *base;
	struct resolver *res;
	struct addr_filter pub;
	bool ipv6;
	enum s_phase phase;
	char qname[LIMIT_DOMAIN_LEN + 1];
	char expected[LIMIT_TXT_LEN];
	bool have_expected;
	nssweep_done_fn done;
	void *arg;
	struct event *deliver;
	/* ZONE */
	char walk[LIMIT_DOMAIN_LEN + 1]; /* the name being asked */
	unsigned steps;
	int zone_qid;
	char zone[LIMIT_DOMAIN_LEN + 1];
	char error[LIMIT_WARNING_LEN];
	/* ADDR */
	struct s_host hosts[LIMIT_MAX_NAMESERVERS];
	size_t n_hosts;
	unsigned addr_pending;
	/* QUERY */
	struct vt_nameserver ns[LIMIT_MAX_NAMESERVERS];
	struct s_target tg[LIMIT_MAX_NAMESERVERS];
	size_t n_ns;
	unsigned q_pending;
	unsigned char *rbuf; /* DNS_MAX_ANSWER_BYTES */
};

static uint32_t s_ms_since(const struct timespec *t0)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - t0->tv_sec) * (long long)S_MS_PER_S +
	     (now.tv_nsec - t0->tv_nsec) / S_NS_PER_MS;
	return ms < 0 ? 0 : (uint32_t)ms;
}

const char *nssweep_rcode_name(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	                                    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return "server failure at resolver";
}

/* Presentation text of a domain-name rdf/owner, without the trailing dot. */
static void s_dname_text(const ldns_rdf *d, char *out, size_t outlen)
{
	char *t = d != NULL ? ldns_rdf2str(d) : NULL;
	size_t len;

	snprintf(out, outlen, "%s", t != NULL ? t : "");
	free(t);
	len = strlen(out);
	if (len > 1 && out[len - 1] == '.')
		out[len - 1] = '\0';
	for (char *c = out; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
}

/* ---- pure helpers ---- */

void nssweep_txt_from_pkt(const void *ldns_pkt_, struct nssweep_txt *t)
{
	const ldns_pkt *pkt = ldns_pkt_;
	const ldns_rr_list *ans;

	memset(t, 0, sizeof(*t));
	if (pkt == NULL)
		return;
	ans = ldns_pkt_answer(pkt);
	for (size_t i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		size_t k, o = 0;
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT)
			continue;
		if (t->n == 0 || ldns_rr_ttl(rr) < t->ttl)
			t->ttl = ldns_rr_ttl(rr);
		k = t->n++;
		if (k >= NSSWEEP_MAX_TXT)
			continue;
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			const ldns_rdf *rdf = ldns_rr_rdf(rr, j);
			const uint8_t *d = ldns_rdf_data(rdf);
			size_t len = ldns_rdf_size(rdf);
			if (len < 1 || d[0] + 1u > len)
				continue;
			for (size_t b = 1; b <= d[0]; b++) {
				if (o + 1 >= LIMIT_TXT_LEN || d[b] == '\0') {
					t->cut[k] = true;
					break;
				}
				t->v[k][o++] = (char)d[b];
			}
		}
		t->v[k][o] = '\0';
	}
}

void nssweep_quote(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen < 3) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
		char tmp[8];
		size_t n;
		if (*c == '"' || *c == '\\')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", *c);
		else
			n = (size_t)snprintf(tmp, sizeof(tmp), "%c", *c);
		if (o + n + 2 > outlen)
			break;
		memcpy(out + o, tmp, n);
		o += n;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static int s_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void nssweep_format_txt(const struct nssweep_txt *t, char *out, size_t outlen)
{
	const char *sorted[NSSWEEP_MAX_TXT] = {NULL};
	size_t n = t->n < NSSWEEP_MAX_TXT ? t->n : NSSWEEP_MAX_TXT, o = 0;
	char q[LIMIT_TXT_LEN * 4 + 3];

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		sorted[i] = t->v[i];
	qsort(sorted, n, sizeof(sorted[0]), s_cmp_str);
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		nssweep_quote(sorted[i], q, sizeof(q));
		int w = snprintf(out + o, outlen - o, "%s%s", i > 0 ? " " : "", q);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

bool nssweep_txt_has(const struct nssweep_txt *t, const char *expected)
{
	size_t n = t->n < NSSWEEP_MAX_TXT ? t->n : NSSWEEP_MAX_TXT;

	if (expected == NULL || expected[0] == '\0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!t->cut[i] && strcmp(t->v[i], expected) == 0)
			return true;
	return false;
}

/* Append piece to out at *o, after sep unless out is empty; cut to fit. */
static void s_append(char *out, size_t outlen, size_t *o, const char *sep, const char *piece)
{
	int w;

	if (*o + 1 >= outlen)
		return;
	w = snprintf(out + *o, outlen - *o, "%s%s", *o > 0 ? sep : "", piece);
	if (w > 0)
		*o += (size_t)w;
	if (*o >= outlen)
		*o = outlen - 1;
}

static void s_server_label(const struct vt_nameserver *ns, char *out, size_t outlen)
{
	if (ns->address[0] != '\0')
		snprintf(out, outlen, "%s (%s)", ns->name, ns->address);
	else
		snprintf(out, outlen, "%s", ns->name);
}

static bool s_usable(const struct vt_nameserver *ns)
{
	return ns->reachable &&
	       (strcmp(ns->rcode, "NOERROR") == 0 || strcmp(ns->rcode, "NXDOMAIN") == 0);
}

size_t nssweep_failures(const struct vt_nameserver *ns, size_t n, char *out, size_t outlen)
{
	char label[LIMIT_DOMAIN_LEN + LIMIT_ADDR_LEN + 4], piece[LIMIT_WARNING_LEN * 2];
	size_t bad = 0, o = 0;

	if (outlen > 0)
		out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (s_usable(&ns[i]))
			continue;
		bad++;
		s_server_label(&ns[i], label, sizeof(label));
		if (!ns[i].reachable)
			snprintf(piece, sizeof(piece),
			         "nameserver %s did not answer from this vantage (%s)", label,
			         ns[i].error[0] ? ns[i].error : "no answer");
		else
			snprintf(piece, sizeof(piece), "nameserver %s answered %s", label,
			         ns[i].rcode);
		s_append(out, outlen, &o, "; ", piece);
	}
	return bad;
}

/* Labels of the entries for which pick() holds, ", "-joined; count returned. */
static size_t s_list(const struct vt_nameserver *ns, size_t n, bool want_match, char *out,
                     size_t outlen)
{
	char label[LIMIT_DOMAIN_LEN + LIMIT_ADDR_LEN + 4];
	size_t k = 0, o = 0;

	if (outlen > 0)
		out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!s_usable(&ns[i]) || ns[i].matches != want_match)
			continue;
		k++;
		s_server_label(&ns[i], label, sizeof(label));
		s_append(out, outlen, &o, ", ", label);
	}
	return k;
}

void nssweep_add_warnings(struct vt_result *r, const struct vt_nameserver *ns, size_t n,
                          const char *qname, bool have_expected, bool recursive_match)
{
	char buf[LIMIT_WARNING_LEN], missing[LIMIT_WARNING_LEN], serving[LIMIT_WARNING_LEN];
	char label[LIMIT_DOMAIN_LEN + LIMIT_ADDR_LEN + 4], piece[LIMIT_TXT_LEN * 2];
	size_t n_missing, n_serving, first = n, o = 0;
	bool differ = false;

	if (nssweep_failures(ns, n, buf, sizeof(buf)) > 0)
		vt_result_add_warning(r, "%s", buf);
	if (have_expected) {
		n_missing = s_list(ns, n, false, missing, sizeof(missing));
		n_serving = s_list(ns, n, true, serving, sizeof(serving));
		if (n_missing > 0 && n_serving > 0)
			vt_result_add_warning(
			        r, "TXT record at %s not propagated to %s yet%s", qname, missing,
			        recursive_match ? " (this vantage's resolver sees it; Let's "
			                          "Encrypt may see either)"
			                        : "");
		else if (n_missing > 0 && recursive_match)
			vt_result_add_warning(
			        r,
			        "TXT record at %s seen by this vantage's resolver but "
			        "missing on every authoritative nameserver (%s): a "
			        "cached or other delegation's answer?",
			        qname, missing);
		if (n_serving > 0 && !recursive_match)
			vt_result_add_warning(r,
			                      "TXT record at %s served by %s but not seen by this "
			                      "vantage's resolver (negative cache, stale CNAME or "
			                      "another delegation?)",
			                      qname, serving);
		if (n_missing > 0)
			return; /* the disagreement is said already */
	}
	/* answer sets (sorted, so comparable as text) that differ */
	for (size_t i = 0; i < n; i++) {
		if (!s_usable(&ns[i]))
			continue;
		if (first == n)
			first = i;
		else if (strcmp(ns[i].rcode, ns[first].rcode) != 0 ||
		         strcmp(ns[i].answer, ns[first].answer) != 0)
			differ = true;
	}
	if (!differ)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!s_usable(&ns[i]))
			continue;
		s_server_label(&ns[i], label, sizeof(label));
		snprintf(piece, sizeof(piece), "%s %s", label,
		         ns[i].answer[0]                       ? ns[i].answer
		         : strcmp(ns[i].rcode, "NOERROR") == 0 ? "no TXT"
		                                               : ns[i].rcode);
		s_append(buf, sizeof(buf), &o, "; ", piece);
	}
	vt_result_add_warning(r, "nameservers disagree on TXT at %s: %s", qname, buf);
}

/* ---- the sweep ---- */

static void s_deliver_cb(evutil_socket_t fd, short what, void *arg);

struct nssweep *nssweep_new(struct event_base *base, struct resolver *res,
                            const struct addr_filter *pub, bool ipv6)
{
	struct nssweep *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->base = base;
	s->res = res;
	if (pub != NULL)
		s->pub = *pub;
	s->ipv6 = ipv6;
	for (size_t i = 0; i < LIMIT_MAX_NAMESERVERS; i++)
		s->tg[i].fd = -1;
	s->deliver = event_new(base, -1, 0, s_deliver_cb, s);
	s->rbuf = malloc(DNS_MAX_ANSWER_BYTES);
	if (s->deliver == NULL || s->rbuf == NULL)
		nssweep_destroy(&s);
	return s;
}

static void s_close_target(struct s_target *t)
{
	if (t->ev != NULL) {
		event_free(t->ev);
		t->ev = NULL;
	}
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
}

void nssweep_cancel(struct nssweep *s)
{
	if (s == NULL)
		return;
	if (s->zone_qid > 0)
		resolver_query_cancel(s->res, s->zone_qid);
	s->zone_qid = 0;
	for (size_t i = 0; i < s->n_hosts; i++) {
		if (s->hosts[i].id_a > 0)
			resolver_query_cancel(s->res, s->hosts[i].id_a);
		if (s->hosts[i].id_aaaa > 0)
			resolver_query_cancel(s->res, s->hosts[i].id_aaaa);
		s->hosts[i].id_a = s->hosts[i].id_aaaa = 0;
	}
	for (size_t i = 0; i < s->n_ns; i++) {
		if (!s->tg[i].settled && s->phase == S_QUERY) {
			s->tg[i].settled = true;
			snprintf(s->ns[i].error, sizeof(s->ns[i].error), "sweep cancelled");
		}
		s_close_target(&s->tg[i]);
	}
	if (s->phase != S_IDLE && s->phase != S_DONE && s->error[0] == '\0' && s->n_ns == 0)
		snprintf(s->error, sizeof(s->error),
		         "sweep cancelled before any nameserver was asked");
	s->phase = S_DONE;
	if (s->deliver != NULL)
		event_del(s->deliver);
}

void nssweep_destroy(struct nssweep **sp)
{
	struct nssweep *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	nssweep_cancel(s);
	if (s->deliver != NULL)
		event_free(s->deliver);
	free(s->rbuf);
	free(s);
	*sp = NULL;
}

const struct vt_nameserver *nssweep_nameservers(const struct nssweep *s, size_t *n)
{
	*n = s->n_ns;
	return s->ns;
}

const char *nssweep_zone(const struct nssweep *s)
{
	return s->zone;
}

const char *nssweep_error(const struct nssweep *s)
{
	return s->error;
}

static void s_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nssweep *s = arg;

	if (s->phase != S_DONE || s->done == NULL)
		return;
	s->done(s, s->arg); /* may destroy s */
}

static void s_finish(struct nssweep *s)
{
	s->phase = S_DONE;
	event_active(s->deliver, EV_TIMEOUT, 1);
}

/* ---- QUERY ---- */

static uint32_t s_try_ms(void)
{
	return s_timeout_override != 0 ? s_timeout_override : NSSWEEP_TRY_TIMEOUT_MS;
}

static void s_settle(struct s_target *t)
{
	struct nssweep *s = t->s;

	if (t->settled)
		return;
	t->settled = true;
	s_close_target(t);
	if (s->q_pending > 0 && --s->q_pending == 0)
		s_finish(s);
}

static void s_net_error(struct s_target *t, int e)
{
	snprintf(t->s->ns[t->idx].error, sizeof(t->s->ns[t->idx].error), "networking error: %s",
	         strerror(e));
	s_settle(t);
}

/* Send (or resend) the query; 0 or -1 (then t is settled). */
static int s_send(struct s_target *t)
{
	struct nssweep *s = t->s;
	ldns_pkt *q = NULL;
	ldns_rdf *name = NULL;
	uint8_t *wire = NULL;
	size_t wlen = 0;
	struct timeval tv;
	int rc = -1;

	if (ldns_str2rdf_dname(&name, s->qname) != LDNS_STATUS_OK) {
		snprintf(s->ns[t->idx].error, sizeof(s->ns[t->idx].error), "bad query name");
		s_settle(t);
		goto out;
	}
	q = ldns_pkt_query_new(name, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 0); /* RD=0 */
	name = NULL;
	if (q == NULL)
		goto nomem;
	ldns_pkt_set_random_id(q);
	t->qid = ldns_pkt_id(q);
	ldns_pkt_set_edns_udp_size(q, NSSWEEP_EDNS_UDP_SIZE);
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK)
		goto nomem;
	clock_gettime(CLOCK_MONOTONIC, &t->t_send);
	t->tries++;
	if (send(t->fd, wire, wlen, 0) < 0) {
		s_net_error(t, errno);
		goto out;
	}
	tv.tv_sec = s_try_ms() / S_MS_PER_S;
	tv.tv_usec = (s_try_ms() % S_MS_PER_S) * S_US_PER_MS;
	event_add(t->ev, &tv);
	rc = 0;
	goto out;
nomem:
	snprintf(s->ns[t->idx].error, sizeof(s->ns[t->idx].error), "out of memory");
	s_settle(t);
out:
	ldns_rdf_deep_free(name);
	ldns_pkt_free(q);
	free(wire);
	return rc;
}

/* A datagram from the server: 1 when it is our answer (t settled), else 0. */
static int s_take(struct s_target *t, const unsigned char *buf, size_t len)
{
	struct nssweep *s = t->s;
	struct vt_nameserver *ns = &s->ns[t->idx];
	ldns_pkt *pkt = NULL;
	struct nssweep_txt *txt = NULL;
	int rc = 0, rcode;

	if (ldns_wire2pkt(&pkt, buf, len) != LDNS_STATUS_OK || !ldns_pkt_qr(pkt) ||
	    ldns_pkt_id(pkt) != t->qid)
		goto out; /* not ours: keep waiting */
	rc = 1;
	ns->reachable = true;
	ns->rtt_ms = s_ms_since(&t->t_send);
	rcode = (int)ldns_pkt_get_rcode(pkt);
	if (strchr(nssweep_rcode_name(rcode), ' ') == NULL)
		snprintf(ns->rcode, sizeof(ns->rcode), "%.*s", (int)sizeof(ns->rcode) - 1,
		         nssweep_rcode_name(rcode));
	else
		snprintf(ns->rcode, sizeof(ns->rcode), "RCODE%d", rcode);
	if (ldns_pkt_tc(pkt))
		snprintf(ns->error, sizeof(ns->error), "response was truncated (TCP not tried)");
	txt = malloc(sizeof(*txt));
	if (txt == NULL) {
		snprintf(ns->error, sizeof(ns->error), "out of memory");
		goto settle;
	}
	nssweep_txt_from_pkt(pkt, txt);
	nssweep_format_txt(txt, ns->answer, sizeof(ns->answer));
	ns->ttl = txt->ttl;
	ns->matches = s->have_expected && nssweep_txt_has(txt, s->expected);
settle:
	s_settle(t);
out:
	free(txt);
	ldns_pkt_free(pkt);
	return rc;
}

static void s_target_cb(evutil_socket_t fd, short what, void *arg)
{
	struct s_target *t = arg;
	struct nssweep *s = t->s;
	uint32_t spent, budget = s_try_ms();
	struct timeval tv;

	if (t->settled)
		return;
	if (what & EV_READ) {
		for (unsigned i = 0; i < NSSWEEP_MAX_READS; i++) {
			ssize_t n = recv(fd, s->rbuf, DNS_MAX_ANSWER_BYTES, 0);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				s_net_error(t, errno);
				return;
			}
			if (s_take(t, s->rbuf, (size_t)n))
				return;
		}
		spent = s_ms_since(&t->t_send);
		if (spent < budget) {
			tv.tv_sec = (budget - spent) / S_MS_PER_S;
			tv.tv_usec = ((budget - spent) % S_MS_PER_S) * S_US_PER_MS;
			event_add(t->ev, &tv);
			return;
		}
	}
	/* this try timed out */
	if (t->tries < NSSWEEP_TRIES) {
		(void)s_send(t);
		return;
	}
	snprintf(s->ns[t->idx].error, sizeof(s->ns[t->idx].error), "query timed out");
	s_settle(t);
}

static uint16_t s_port(void)
{
	return s_port_override != 0 ? s_port_override : NSSWEEP_DNS_PORT;
}

/* Open target i's socket and send; failures settle it. */
static void s_start_target(struct nssweep *s, size_t i)
{
	struct s_target *t = &s->tg[i];
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->sa;
	int af;

	t->s = s;
	t->idx = i;
	memset(&t->sa, 0, sizeof(t->sa));
	if (inet_pton(AF_INET, s->ns[i].address, &sin->sin_addr) == 1) {
		af = AF_INET;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(s_port());
		t->salen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, s->ns[i].address, &sin6->sin6_addr) == 1) {
		af = AF_INET6;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(s_port());
		t->salen = sizeof(*sin6);
	} else {
		snprintf(s->ns[i].error, sizeof(s->ns[i].error), "unparseable address");
		s_settle(t);
		return;
	}
	t->fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		s_net_error(t, errno);
		return;
	}
	/* connected: the kernel drops datagrams from anyone else and reports
	 * ICMP port unreachable as ECONNREFUSED */
	if (connect(t->fd, (struct sockaddr *)&t->sa, t->salen) != 0) {
		s_net_error(t, errno);
		return;
	}
	t->ev = event_new(s->base, t->fd, EV_READ, s_target_cb, t);
	if (t->ev == NULL) {
		snprintf(s->ns[i].error, sizeof(s->ns[i].error), "out of memory");
		s_settle(t);
		return;
	}
	(void)s_send(t);
}

/* ---- ADDR ---- */

static bool s_have_ns(const struct nssweep *s, const char *name, const char *addr)
{
	for (size_t i = 0; i < s->n_ns; i++)
		if (strcmp(s->ns[i].name, name) == 0 && strcmp(s->ns[i].address, addr) == 0)
			return true;
	return false;
}

static void s_add_ns(struct nssweep *s, const char *name, const char *addr, const char *error)
{
	struct vt_nameserver *ns;

	if (s->n_ns >= LIMIT_MAX_NAMESERVERS || s_have_ns(s, name, addr))
		return;
	ns = &s->ns[s->n_ns++];
	memset(ns, 0, sizeof(*ns));
	snprintf(ns->name, sizeof(ns->name), "%s", name);
	snprintf(ns->address, sizeof(ns->address), "%s", addr);
	snprintf(ns->error, sizeof(ns->error), "%s", error);
}

static int s_cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct s_host *)a)->name, ((const struct s_host *)b)->name);
}

/* Every NS host resolved: list the addresses and ask them all. */
static void s_addr_done(struct nssweep *s)
{
	for (size_t h = 0; h < s->n_hosts; h++) {
		struct s_host *ho = &s->hosts[h];
		size_t before = s->n_ns, usable = 0, skipped = 0;
		const char *why = NULL;
		for (size_t k = 0; k < ho->n_v4 + ho->n_v6; k++) {
			const char *a = k < ho->n_v4 ? ho->v4[k] : ho->v6[k - ho->n_v4];
			if (addr_is_reserved(a, &s->pub, &why)) {
				skipped++;
				continue;
			}
			usable++;
			s_add_ns(s, ho->name, a, "");
		}
		if (usable == 0 && s->n_ns == before)
			s_add_ns(s, ho->name, "",
			         ho->err[0] ? ho->err
			         : skipped > 0
			                 ? "every address is in a reserved block (not queried)"
			                 : "no address from this vantage");
	}
	if (s->n_ns == 0) {
		snprintf(s->error, sizeof(s->error), "no nameserver address for zone %s", s->zone);
		s_finish(s);
		return;
	}
	s->phase = S_QUERY;
	for (size_t i = 0; i < s->n_ns; i++)
		if (s->ns[i].address[0] != '\0')
			s->q_pending++;
	if (s->q_pending == 0) {
		s_finish(s);
		return;
	}
	for (size_t i = 0; i < s->n_ns; i++) {
		if (s->ns[i].address[0] == '\0') {
			s->tg[i].settled = true;
			continue;
		}
		s_start_target(s, i);
		if (s->phase != S_QUERY)
			return; /* finished (every target settled at once) */
	}
}

static void s_addr_cb(const struct resolver_answer *a, void *arg, int rrtype)
{
	struct s_host *ho = arg;
	struct nssweep *s = ho->s;
	const ldns_pkt *pkt = a->pkt;
	const ldns_rr_list *ans = pkt != NULL ? ldns_pkt_answer(pkt) : NULL;
	int af = rrtype == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;
	size_t want = rrtype == LDNS_RR_TYPE_A ? 4 : 16;
	char text[LIMIT_ADDR_LEN];

	if (rrtype == LDNS_RR_TYPE_A)
		ho->id_a = 0;
	else
		ho->id_aaaa = 0;
	for (size_t i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		const ldns_rdf *rdf;
		if ((int)ldns_rr_get_type(rr) != rrtype || ldns_rr_rd_count(rr) < 1)
			continue;
		rdf = ldns_rr_rdf(rr, 0);
		if (ldns_rdf_size(rdf) != want ||
		    inet_ntop(af, ldns_rdf_data(rdf), text, sizeof(text)) == NULL)
			continue;
		if (af == AF_INET && ho->n_v4 < LIMIT_MAX_ADDRS)
			snprintf(ho->v4[ho->n_v4++], LIMIT_ADDR_LEN, "%s", text);
		else if (af == AF_INET6 && ho->n_v6 < LIMIT_MAX_ADDRS)
			snprintf(ho->v6[ho->n_v6++], LIMIT_ADDR_LEN, "%s", text);
	}
	if (a->rcode != LDNS_RCODE_NOERROR && ho->err[0] == '\0')
		snprintf(ho->err, sizeof(ho->err), "its %s lookup failed: %s",
		         rrtype == LDNS_RR_TYPE_A ? "A" : "AAAA",
		         a->rcode < 0 ? a->err : nssweep_rcode_name(a->rcode));
	if (s->addr_pending > 0 && --s->addr_pending == 0)
		s_addr_done(s);
}

static void s_a_cb(const struct resolver_answer *a, void *arg)
{
	s_addr_cb(a, arg, LDNS_RR_TYPE_A);
}

static void s_aaaa_cb(const struct resolver_answer *a, void *arg)
{
	s_addr_cb(a, arg, LDNS_RR_TYPE_AAAA);
}

static void s_start_addr(struct nssweep *s)
{
	char err[LIMIT_WARNING_LEN];
	int id;

	s->phase = S_ADDR;
	qsort(s->hosts, s->n_hosts, sizeof(s->hosts[0]), s_cmp_host);
	s->addr_pending = 1; /* held until every query is sent */
	for (size_t i = 0; i < s->n_hosts; i++) {
		struct s_host *ho = &s->hosts[i];
		ho->s = s;
		id = resolver_query(s->res, ho->name, LDNS_RR_TYPE_A, s_a_cb, ho, err, sizeof(err));
		if (id > 0) {
			ho->id_a = id;
			s->addr_pending++;
		} else {
			snprintf(ho->err, sizeof(ho->err), "%.*s", (int)sizeof(ho->err) - 1, err);
		}
		if (!s->ipv6)
			continue;
		id = resolver_query(s->res, ho->name, LDNS_RR_TYPE_AAAA, s_aaaa_cb, ho, err,
		                    sizeof(err));
		if (id > 0) {
			ho->id_aaaa = id;
			s->addr_pending++;
		}
	}
	if (--s->addr_pending == 0)
		s_addr_done(s);
}

/* ---- ZONE ---- */

static int s_zone_query(struct nssweep *s, char *err, size_t errlen);

static void s_zone_cb(const struct resolver_answer *a, void *arg)
{
	struct nssweep *s = arg;
	const ldns_pkt *pkt = a->pkt;
	const ldns_rr_list *ans = pkt != NULL ? ldns_pkt_answer(pkt) : NULL;
	const ldns_rr_list *auth = pkt != NULL ? ldns_pkt_authority(pkt) : NULL;
	char soa[LIMIT_DOMAIN_LEN + 1] = "", err[LIMIT_WARNING_LEN];
	const char *dot;

	s->zone_qid = 0;
	for (size_t i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || ldns_rr_rd_count(rr) < 1 ||
		    s->n_hosts >= LIMIT_MAX_NAMESERVERS)
			continue;
		s_dname_text(ldns_rr_owner(rr), s->zone, sizeof(s->zone));
		s_dname_text(ldns_rr_rdf(rr, 0), s->hosts[s->n_hosts].name,
		             sizeof(s->hosts[0].name));
		s->n_hosts++;
	}
	if (s->n_hosts > 0) {
		s_start_addr(s);
		return;
	}
	for (size_t i = 0; auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			s_dname_text(ldns_rr_owner(rr), soa, sizeof(soa));
	}
	if (a->rcode < 0) {
		snprintf(s->error, sizeof(s->error), "NS lookup for %s failed: %s", s->walk,
		         a->err);
		s_finish(s);
		return;
	}
	if (soa[0] != '\0' && strcmp(soa, s->walk) != 0) {
		snprintf(s->walk, sizeof(s->walk), "%s", soa); /* the zone apex: ask its NS */
	} else {
		dot = strchr(s->walk, '.');
		if (dot == NULL || dot[1] == '\0') {
			snprintf(s->error, sizeof(s->error),
			         "no NS RRset found above %s (last answer: %s)", s->qname,
			         a->rcode < 0 ? a->err : nssweep_rcode_name(a->rcode));
			s_finish(s);
			return;
		}
		memmove(s->walk, dot + 1, strlen(dot + 1) + 1);
	}
	if (s_zone_query(s, err, sizeof(err)) != 0) {
		snprintf(s->error, sizeof(s->error), "%s", err);
		s_finish(s);
	}
}

static int s_zone_query(struct nssweep *s, char *err, size_t errlen)
{
	int id;

	if (++s->steps > NSSWEEP_MAX_WALK) {
		snprintf(err, errlen, "no NS RRset found above %s within %d queries", s->qname,
		         NSSWEEP_MAX_WALK);
		return -1;
	}
	id = resolver_query(s->res, s->walk, LDNS_RR_TYPE_NS, s_zone_cb, s, err, errlen);
	if (id < 0)
		return -1;
	s->zone_qid = id;
	return 0;
}

int nssweep_start(struct nssweep *s, const char *qname, const char *expected, nssweep_done_fn done,
                  void *arg, char *err, size_t errlen)
{
	int rc = -1;

	if (s->phase != S_IDLE) {
		snprintf(err, errlen, "sweep already started");
		goto out;
	}
	if (qname[0] == '\0' || strlen(qname) > LIMIT_DOMAIN_LEN) {
		snprintf(err, errlen, "sweep name empty or too long");
		goto out;
	}
	snprintf(s->qname, sizeof(s->qname), "%s", qname);
	snprintf(s->walk, sizeof(s->walk), "%s", qname);
	s->have_expected = expected != NULL && expected[0] != '\0';
	snprintf(s->expected, sizeof(s->expected), "%s", s->have_expected ? expected : "");
	s->done = done;
	s->arg = arg;
	s->phase = S_ZONE;
	if (s_zone_query(s, err, errlen) != 0) {
		s->phase = S_IDLE;
		goto out;
	}
	rc = 0;
out:
	return rc;
}
