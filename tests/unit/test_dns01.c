/*
 * test_dns01.c -- the DNS-01 probe end to end against tiny in-process
 * authoritative DNS servers (ldns-built answers) on 127.0.0.1-4, one shared
 * ephemeral UDP port.  127.0.0.1 serves as the vantage's forwarder (its
 * answers chase CNAMEs when RD is set); 127.0.0.2 and .3 are the zone's
 * nameservers ns1 and ns2 (ns2 lacks one record); 127.0.0.4 never answers.
 * All traffic stays on loopback; every wait is bounded.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "../../agent/nssweep.h"
#include "../../agent/probe.h"
#include "../../agent/probe_int.h"
#include "../../common/keyauth.h"
#include "probestub.h"

#define TD_KA        "tok.thumbprint"
#define TD_DIGEST    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9"
#define TD_POLL_MS   50
#define TD_BUDGET_MS 10000
#define TD_TRY_MS    300
#define TD_MAX_RR    64
#define TD_MAX_CHASE 8
#define TD_BUF       4096

struct td_server {
	int fd;
	char addr[16];
	const char *lacks; /* owner this server does not have, NULL for none */
	bool silent;       /* never answers */
	int stop[2];
	pthread_t thr;
};

static char td_zone[TD_MAX_RR][600];
static size_t td_n_zone;

static void td_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void td_add(const char *fmt, ...)
{
	va_list ap;

	cr_assert_lt(td_n_zone, TD_MAX_RR);
	va_start(ap, fmt);
	vsnprintf(td_zone[td_n_zone++], sizeof(td_zone[0]), fmt, ap);
	va_end(ap);
}

static void td_zone_init(void)
{
	char dig[KEYAUTH_DIGEST_B64_LEN + 1], a100[101];

	keyauth_digest_b64url(TD_KA, dig);
	memset(a100, 'a', 100);
	a100[100] = '\0';
	td_n_zone = 0;
	td_add("example.com. 60 IN SOA ns1.example.com. host.example.com. 1 3600 600 86400 "
	       "60%s",
	       "");
	td_add("example.com. 60 IN NS ns1.example.com.%s", "");
	td_add("example.com. 60 IN NS ns2.example.com.%s", "");
	td_add("ns1.example.com. 60 IN A 127.0.0.2%s", "");
	td_add("ns2.example.com. 60 IN A 127.0.0.3%s", "");
	td_add("_acme-challenge.ok.example.com. 60 IN TXT \"%s\"", dig);
	td_add("_acme-challenge.ok.example.com. 60 IN TXT \"%s\"", "another-challenge");
	td_add("_acme-challenge.dig.example.com. 60 IN TXT \"Zm9vYmFyZm9vYmFy\" "
	       "\"Zm9vYmFyZm9vYmFyZm9vYmFyZm9%s\"",
	       "");
	td_add("_acme-challenge.cname.example.com. 60 IN CNAME "
	       "_acme-challenge.target.example.com.%s",
	       "");
	td_add("_acme-challenge.target.example.com. 60 IN TXT \"%s\"", dig);
	td_add("_acme-challenge.empty.example.com. 60 IN A 127.0.0.9%s", "");
	td_add("_acme-challenge.wrong.example.com. 60 IN TXT \"%sx1\"", a100);
	td_add("_acme-challenge.wrong.example.com. 60 IN TXT \"%sx2\"", a100);
	td_add("_acme-challenge.wrong.example.com. 60 IN TXT \"%sx3\"", a100);
	td_add("_acme-challenge.prop.example.com. 60 IN TXT \"%s\"", dig);
	/* doubled names: a form that took the full name as relative */
	td_add("_acme-challenge.dbl.example.com.dbl.example.com. 60 IN TXT \"%s\"", dig);
	td_add("_acme-challenge.dbz.example.com.example.com. 60 IN TXT \"%s\"", dig);
	td_add("_acme-challenge.dbz.example.com. 60 IN TXT \"%s\"", "old-value");
	/* a wildcard TXT answers every name below wild.example.com */
	td_add("*.wild.example.com. 60 IN TXT \"%s\"", "wildcard-value");
	/* stale records beside the expected value, and without it */
	td_add("_acme-challenge.stale.example.com. 60 IN TXT \"%s\"", dig);
	for (int i = 1; i <= 4; i++) {
		td_add("_acme-challenge.stale.example.com. 60 IN TXT \"old-%d\"", i);
		td_add("_acme-challenge.stale4.example.com. 60 IN TXT \"old-%d\"", i);
	}
	td_add("down.example.net. 60 IN SOA ns1.example.com. host.example.com. 1 3600 600 86400 "
	       "60%s",
	       "");
	td_add("down.example.net. 60 IN NS ns1.example.com.%s", "");
	td_add("down.example.net. 60 IN NS ns3.down.example.net.%s", "");
	td_add("ns3.down.example.net. 60 IN A 127.0.0.4%s", "");
	td_add("_acme-challenge.down.example.net. 60 IN TXT \"%s\"", dig);
}

/* The zone's RRs, parsed (caller frees with ldns_rr_list_deep_free). */
static ldns_rr_list *td_rrs(const struct td_server *s)
{
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rdf *lacks = NULL;

	if (s->lacks != NULL)
		cr_assert_eq(ldns_str2rdf_dname(&lacks, s->lacks), LDNS_STATUS_OK);
	for (size_t i = 0; i < td_n_zone; i++) {
		ldns_rr *rr = NULL;
		cr_assert_eq(ldns_rr_new_frm_str(&rr, td_zone[i], 0, NULL, NULL), LDNS_STATUS_OK,
		             "%s", td_zone[i]);
		if (lacks != NULL && ldns_dname_compare(ldns_rr_owner(rr), lacks) == 0) {
			ldns_rr_free(rr);
			continue;
		}
		ldns_rr_list_push_rr(l, rr);
	}
	ldns_rdf_deep_free(lacks);
	return l;
}

/* A wildcard's RRs of type qt pushed to a with name as their owner, when
 * "*.<an ancestor of name>" exists (nearest first); how many were pushed,
 * and *exists whether such a wildcard owner exists at all. */
static size_t td_wildcard(const ldns_rr_list *zone, const ldns_rdf *name, ldns_rr_type qt,
                          ldns_pkt *a, bool *exists)
{
	ldns_rdf *anc = ldns_dname_left_chop(name);
	size_t found = 0;

	while (anc != NULL && ldns_dname_label_count(anc) > 0 && !*exists) {
		char *text = ldns_rdf2str(anc), wtext[300];
		ldns_rdf *wc = NULL, *up;
		snprintf(wtext, sizeof(wtext), "*.%s", text != NULL ? text : ".");
		free(text);
		cr_assert_eq(ldns_str2rdf_dname(&wc, wtext), LDNS_STATUS_OK, "%s", wtext);
		for (size_t i = 0; i < ldns_rr_list_rr_count(zone); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(zone, i);
			if (ldns_dname_compare(ldns_rr_owner(rr), wc) != 0)
				continue;
			*exists = true;
			if (ldns_rr_get_type(rr) != qt)
				continue;
			ldns_rr *x = ldns_rr_clone(rr);
			ldns_rdf_deep_free(ldns_rr_owner(x));
			ldns_rr_set_owner(x, ldns_rdf_clone(name));
			ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, x);
			found++;
		}
		ldns_rdf_deep_free(wc);
		up = ldns_dname_left_chop(anc);
		ldns_rdf_deep_free(anc);
		anc = up;
	}
	ldns_rdf_deep_free(anc);
	return found;
}

/* The answer to one query, as an authoritative server (RD: chase CNAMEs). */
static ldns_pkt *td_answer(const struct td_server *s, const ldns_pkt *q)
{
	ldns_rr_list *zone = td_rrs(s);
	const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	ldns_rr_type qt = ldns_rr_get_type(qrr);
	ldns_rdf *name = ldns_rdf_clone(ldns_rr_owner(qrr));
	ldns_pkt *a = ldns_pkt_new();
	const ldns_rr *soa = NULL;
	bool exists = false;

	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_aa(a, true);
	ldns_pkt_set_rd(a, ldns_pkt_rd(q));
	ldns_pkt_set_ra(a, ldns_pkt_rd(q));
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	for (int hop = 0; hop < TD_MAX_CHASE; hop++) {
		const ldns_rr *cname = NULL;
		size_t found = 0;
		exists = false;
		soa = NULL;
		for (size_t i = 0; i < ldns_rr_list_rr_count(zone); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(zone, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
			    ldns_dname_is_subdomain(name, ldns_rr_owner(rr)))
				soa = rr;
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
			    ldns_dname_compare(name, ldns_rr_owner(rr)) == 0)
				soa = rr;
			if (ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
				continue;
			exists = true;
			if (ldns_rr_get_type(rr) == qt) {
				ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
				found++;
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
				cname = rr;
			}
		}
		if (!exists)
			found = td_wildcard(zone, name, qt, a, &exists);
		if (found > 0 || cname == NULL)
			break;
		ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, ldns_rr_clone(cname));
		if (!ldns_pkt_rd(q))
			break;
		ldns_rdf_deep_free(name);
		name = ldns_rdf_clone(ldns_rr_rdf(cname, 0));
	}
	if (soa == NULL) {
		ldns_pkt_set_rcode(a, LDNS_RCODE_REFUSED);
		ldns_pkt_set_aa(a, false);
	} else if (ldns_pkt_ancount(a) == 0) {
		ldns_pkt_set_rcode(a, exists ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN);
		ldns_pkt_push_rr(a, LDNS_SECTION_AUTHORITY, ldns_rr_clone(soa));
	}
	ldns_rdf_deep_free(name);
	ldns_rr_list_deep_free(zone);
	return a;
}

static void *td_main(void *arg)
{
	struct td_server *s = arg;
	struct pollfd pf[2] = {{.fd = s->fd, .events = POLLIN},
	                       {.fd = s->stop[0], .events = POLLIN}};
	unsigned char buf[TD_BUF];

	for (;;) {
		if (poll(pf, 2, TD_POLL_MS) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (!(pf[0].revents & POLLIN) || s->silent)
			continue;
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		ldns_pkt *q = NULL, *a;
		uint8_t *wire = NULL;
		size_t wlen = 0;
		if (n <= 0 || ldns_wire2pkt(&q, buf, (size_t)n) != LDNS_STATUS_OK)
			continue;
		if (ldns_pkt_qdcount(q) == 1) {
			a = td_answer(s, q);
			if (ldns_pkt2wire(&wire, a, &wlen) == LDNS_STATUS_OK)
				(void)!sendto(s->fd, wire, wlen, 0, (struct sockaddr *)&from, fl);
			free(wire);
			ldns_pkt_free(a);
		}
		ldns_pkt_free(q);
	}
	return NULL;
}

/* Bind addr:*port (0 picks one and stores it) and serve. */
static void td_start(struct td_server *s, const char *addr, uint16_t *port, const char *lacks,
                     bool silent)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	memset(s, 0, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	s->lacks = lacks;
	s->silent = silent;
	cr_assert_eq(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	sa.sin_port = htons(*port);
	s->fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(s->fd >= 0);
	cr_assert_eq(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s:%u: %s", addr,
	             *port, strerror(errno));
	cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	cr_assert_eq(pipe(s->stop), 0);
	cr_assert_eq(pthread_create(&s->thr, NULL, td_main, s), 0);
}

static void td_stop(struct td_server *s)
{
	(void)!write(s->stop[1], "x", 1);
	pthread_join(s->thr, NULL);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
}

/* The four servers of every test. */
struct td_lab {
	struct td_server srv[4];
	uint16_t port;
};

static void td_lab_start(struct td_lab *lab)
{
	static const char *const addrs[4] = {"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"};

	td_zone_init();
	lab->port = 0;
	for (int i = 0; i < 4; i++)
		td_start(&lab->srv[i], addrs[i], &lab->port,
		         i == 2 ? "_acme-challenge.prop.example.com." : NULL, i == 3);
	nssweep_set_port_for_tests(lab->port);
	nssweep_set_timeout_for_tests(TD_TRY_MS);
}

static void td_lab_stop(struct td_lab *lab)
{
	for (int i = 0; i < 4; i++)
		td_stop(&lab->srv[i]);
	nssweep_set_port_for_tests(0);
	nssweep_set_timeout_for_tests(0);
}

static struct probe_cfg td_cfg(const struct td_lab *lab, const char *fwd_addr)
{
	struct probe_cfg cfg;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.ipv6 = true;
	cfg.resolver.timeout_ms = 2000;
	snprintf(cfg.resolver.forwarder, sizeof(cfg.resolver.forwarder), "%s@%u", fwd_addr,
	         lab->port);
	cr_assert_eq(addr_filter_parse(&cfg.public_prefixes, "127.0.0.0/8", err, sizeof(err)), 0);
	return cfg;
}

static struct vt_job td_job(const char *domain, const char *ka, const char *digest)
{
	struct vt_job job;

	memset(&job, 0, sizeof(job));
	snprintf(job.id, sizeof(job.id), "d1");
	job.method = VT_METHOD_DNS01;
	job.mode = ka || digest ? VT_MODE_VALIDATE : VT_MODE_REACHABILITY;
	job.budget_ms = TD_BUDGET_MS;
	snprintf(job.domain, sizeof(job.domain), "%s", domain);
	snprintf(job.key_authorization, sizeof(job.key_authorization), "%s", ka ? ka : "");
	snprintf(job.digest, sizeof(job.digest), "%s", digest ? digest : "");
	return job;
}

static bool td_has_warning(const struct vt_result *r, const char *needle)
{
	for (size_t i = 0; i < r->n_warnings; i++)
		if (strstr(r->warnings[i], needle) != NULL)
			return true;
	return false;
}

static void td_run(const char *domain, const char *ka, const char *digest, const char *fwd,
                   struct vt_result *r)
{
	struct td_lab lab;
	struct probe_cfg cfg;
	struct vt_job job = td_job(domain, ka, digest);

	td_lab_start(&lab);
	cfg = td_cfg(&lab, fwd);
	probestub_run(&cfg, &job, r);
	td_lab_stop(&lab);
}

Test(dns01, match_by_key_authorization, .timeout = 20)
{
	struct vt_result r;

	td_run("ok.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_eq(r.problem.type, VT_PROB_NONE);
	cr_expect_str_eq(r.dnssec, "insecure");
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].hostname, "ok.example.com");
	cr_expect_str_eq(r.records[0].url, "");
	cr_assert_eq(r.n_nameservers, 2);
	cr_expect_str_eq(r.nameservers[0].name, "ns1.example.com");
	cr_expect_str_eq(r.nameservers[0].address, "127.0.0.2");
	cr_expect_str_eq(r.nameservers[1].name, "ns2.example.com");
	for (size_t i = 0; i < 2; i++) {
		cr_expect(r.nameservers[i].reachable);
		cr_expect(r.nameservers[i].matches);
		cr_expect_str_eq(r.nameservers[i].rcode, "NOERROR");
		cr_expect_eq(r.nameservers[i].ttl, 60);
		cr_expect_neq(strstr(r.nameservers[i].answer, "\"another-challenge\""), NULL, "%s",
		              r.nameservers[i].answer);
	}
	cr_expect_eq(r.n_warnings, 0, "%s", r.n_warnings ? r.warnings[0] : "");
	vt_result_clear(&r);
}

Test(dns01, match_by_digest_strings_joined, .timeout = 20)
{
	struct vt_result r;

	td_run("dig.example.com", NULL, TD_DIGEST, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	vt_result_clear(&r);
}

Test(dns01, wildcard_stripped, .timeout = 20)
{
	struct vt_result r;

	td_run("*.ok.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].hostname, "ok.example.com");
	vt_result_clear(&r);
}

Test(dns01, cname_delegated_challenge, .timeout = 20)
{
	struct vt_result r;

	td_run("cname.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	/* the sweep asked for the CNAME's target, which both servers hold */
	cr_assert_eq(r.n_nameservers, 2);
	cr_expect(r.nameservers[0].matches);
	cr_expect(r.nameservers[1].matches);
	cr_expect_eq(r.n_warnings, 0, "%s", r.n_warnings ? r.warnings[0] : "");
	vt_result_clear(&r);
}

Test(dns01, nxdomain_text, .timeout = 20)
{
	struct vt_result r;

	td_run("nx.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_DNS);
	cr_expect_str_eq(r.problem.detail,
	                 "DNS problem: NXDOMAIN looking up TXT for _acme-challenge.nx.example.com "
	                 "- check that a DNS record exists for this domain");
	cr_assert_eq(r.n_nameservers, 2);
	cr_expect_str_eq(r.nameservers[0].rcode, "NXDOMAIN");
	cr_expect(!r.nameservers[0].matches);
	vt_result_clear(&r);
}

Test(dns01, noerror_without_txt, .timeout = 20)
{
	struct vt_result r;

	td_run("empty.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(r.problem.detail,
	                 "No TXT record found at _acme-challenge.empty.example.com");
	vt_result_clear(&r);
}

Test(dns01, wrong_value_truncated_and_more, .timeout = 20)
{
	struct vt_result r;
	char want[400], a100[101];

	memset(a100, 'a', 100);
	a100[100] = '\0';
	snprintf(want, sizeof(want),
	         "Incorrect TXT record \"%s...\" (and 2 more) found at "
	         "_acme-challenge.wrong.example.com",
	         a100);
	td_run("wrong.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(r.problem.detail, want);
	vt_result_clear(&r);
}

Test(dns01, reachability_every_nameserver_answers, .timeout = 20)
{
	struct vt_result r;

	td_run("ok.example.com", NULL, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_REACHABLE, "%s", r.problem.detail);
	cr_assert_eq(r.n_nameservers, 2);
	cr_expect(!r.nameservers[0].matches); /* nothing to match */
	vt_result_clear(&r);
}

Test(dns01, sweep_not_propagated_warns_keeps_pass, .timeout = 20)
{
	struct vt_result r;

	td_run("prop.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(r.n_nameservers, 2);
	cr_expect(r.nameservers[0].matches);
	cr_expect(!r.nameservers[1].matches);
	cr_expect(r.nameservers[1].reachable);
	cr_expect_str_eq(r.nameservers[1].rcode, "NXDOMAIN");
	cr_expect(td_has_warning(&r, "not propagated to ns2.example.com (127.0.0.3) yet"), "%s",
	          r.n_warnings ? r.warnings[0] : "(no warning)");
	vt_result_clear(&r);
}

Test(dns01, sweep_unreachable_nameserver, .timeout = 20)
{
	struct vt_result r;
	const char *clause = "nameserver ns3.down.example.net (127.0.0.4) did not answer from this "
	                     "vantage (query timed out)";

	td_run("down.example.net", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(r.n_nameservers, 2);
	cr_expect_str_eq(r.nameservers[1].name, "ns3.down.example.net");
	cr_expect(!r.nameservers[1].reachable);
	cr_expect_str_eq(r.nameservers[1].error, "query timed out");
	cr_expect_str_eq(r.nameservers[1].rcode, "");
	cr_expect(td_has_warning(&r, clause));
	vt_result_clear(&r);

	td_run("down.example.net", NULL, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_DNS);
	cr_expect_eq(strncmp(r.problem.detail, "DNS problem: ", 13), 0);
	cr_expect_str_eq(r.problem.detail + 13, clause);
	vt_result_clear(&r);
}

Test(dns01, recursive_timeout_text, .timeout = 20)
{
	struct vt_result r;

	td_run("ok.example.com", TD_KA, NULL, "127.0.0.4", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_DNS);
	cr_expect_str_eq(r.problem.detail, "DNS problem: query timed out looking up TXT for "
	                                   "_acme-challenge.ok.example.com");
	cr_expect_eq(r.n_nameservers, 0);
	vt_result_clear(&r);
}

Test(dns01, validate_needs_expected_value)
{
	struct td_lab lab;
	struct probe_cfg cfg;
	struct vt_job job = td_job("ok.example.com", NULL, NULL);
	struct event_base *base = event_base_new();
	struct probe_env *env;
	char err[256];

	td_lab_start(&lab);
	cfg = td_cfg(&lab, "127.0.0.1");
	job.mode = VT_MODE_VALIDATE;
	env = probe_env_new(base, &cfg, err, sizeof(err));
	cr_assert_not_null(env);
	cr_expect_null(probe_start(env, &job, probestub_never, NULL, err, sizeof(err)));
	cr_expect_neq(strstr(err, "digest"), NULL, "%s", err);
	probe_env_destroy(&env);
	event_base_free(base);
	td_lab_stop(&lab);
}

/* ---- the findings' warnings (issue 7) ---- */

static size_t td_count_warnings(const struct vt_result *r, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_warnings; i++)
		if (strstr(r->warnings[i], needle) != NULL)
			n++;
	return n;
}

/* The record was created at _acme-challenge.NAME.NAME: NAME has none. */
Test(dns01, doubled_name_found_when_missing, .timeout = 20)
{
	struct vt_result r;

	td_run("dbl.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_DNS);
	cr_expect_str_eq(r.problem.detail,
	                 "DNS problem: NXDOMAIN looking up TXT for _acme-challenge.dbl.example.com "
	                 "- check that a DNS record exists for this domain");
	cr_expect_eq(r.n_nameservers, 2, "the sweep's results are kept");
	cr_assert_eq(td_count_warnings(&r, VT_WARN_DOUBLE_LABEL), 1);
	cr_expect_str_eq(r.warnings[0],
	                 "TXT record at the doubled name "
	                 "_acme-challenge.dbl.example.com.dbl.example.com: the DNS provider's form "
	                 "took a fully qualified name as relative");
	vt_result_clear(&r);
}

/* ... or at _acme-challenge.NAME.ZONE, while NAME holds a wrong value. */
Test(dns01, doubled_name_with_zone_when_wrong, .timeout = 20)
{
	struct vt_result r;

	td_run("dbz.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(r.problem.detail, "Incorrect TXT record \"old-value\" found at "
	                                   "_acme-challenge.dbz.example.com");
	cr_assert_eq(td_count_warnings(&r, VT_WARN_DOUBLE_LABEL), 1);
	cr_expect_str_eq(
	        r.warnings[0],
	        "TXT record at the doubled name _acme-challenge.dbz.example.com.example.com: "
	        "the DNS provider's form took a fully qualified name as relative");
	vt_result_clear(&r);
}

/* A wildcard TXT answers the doubled name as it answers any: no warning.
 * Nor for a plain miss, a pass, or a reachability check. */
Test(dns01, doubled_name_quiet_for_wildcards_and_healthy, .timeout = 30)
{
	struct vt_result r;

	td_run("wild.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_str_eq(r.problem.detail, "Incorrect TXT record \"wildcard-value\" found at "
	                                   "_acme-challenge.wild.example.com");
	cr_expect_eq(td_count_warnings(&r, VT_WARN_DOUBLE_LABEL), 0, "%s", r.warnings[0]);
	vt_result_clear(&r);
	td_run("nx.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(td_count_warnings(&r, VT_WARN_DOUBLE_LABEL), 0, "%s", r.warnings[0]);
	vt_result_clear(&r);
	td_run("ok.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS);
	cr_expect_eq(r.n_warnings, 0, "%s", r.warnings[0]);
	vt_result_clear(&r);
	td_run("dbl.example.com", NULL, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_REACHABLE, "%s", r.problem.detail);
	cr_expect_eq(td_count_warnings(&r, VT_WARN_DOUBLE_LABEL), 0, "%s", r.warnings[0]);
	vt_result_clear(&r);
}

/* Old records left by a hook that never cleans up: warned even when the
 * check passes; three wrong records alone are not enough. */
Test(dns01, stale_txt_records, .timeout = 30)
{
	struct vt_result r;

	td_run("stale.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(td_count_warnings(&r, VT_WARN_STALE_TXT), 1);
	cr_expect_str_eq(r.warnings[0], "_acme-challenge.stale.example.com holds 5 TXT records, 4 "
	                                "of them stale TXT records (not the expected value)");
	vt_result_clear(&r);
	td_run("stale4.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect(td_has_warning(&r, "_acme-challenge.stale4.example.com holds 4 TXT records, 4 of "
	                             "them stale TXT records (not the expected value)"),
	          "%s", r.warnings[0]);
	cr_expect_eq(td_count_warnings(&r, VT_WARN_DOUBLE_LABEL), 0);
	vt_result_clear(&r);
	td_run("wrong.example.com", TD_KA, NULL, "127.0.0.1", &r);
	cr_expect_eq(td_count_warnings(&r, VT_WARN_STALE_TXT), 0, "%s", r.warnings[0]);
	vt_result_clear(&r);
	/* reachability: no expected value, nothing is "stale" */
	td_run("stale.example.com", NULL, NULL, "127.0.0.1", &r);
	cr_expect_eq(td_count_warnings(&r, VT_WARN_STALE_TXT), 0, "%s", r.warnings[0]);
	vt_result_clear(&r);
}
