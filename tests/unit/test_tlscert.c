/*
 * test_tlscert.c -- the tls-cert probe (agent/tlscert.c) end to end against
 * an in-process OpenSSL server thread on 127.0.0.1 (an ephemeral port,
 * through the test-only port override) and the DNS stub: a fresh
 * self-signed certificate, a chain from a test CA (trusted through the
 * test-only trust file), a missing intermediate, a name the certificate
 * does not cover, a TLS 1.1-only server, nothing listening, a silent
 * server, the IPv6 -> IPv4 fallback.  All traffic stays on loopback; the
 * trust file is removed.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>
#include <openssl/ssl.h>

#include "../../agent/acmecert.h"
#include "../../agent/probe.h"
#include "../../agent/probe_int.h"
#include "certstub.h"
#include "dnsstub.h"
#include "probestub.h"
#include "tcpstub.h"

#define T_BUDGET_MS 10000
#define T_DAY       86400L
#define T_LIFE_DAYS 90
#define T_NAME      "www.example.com"
#define T_DUAL      "dual.example.com"
#define T_OTHER     "other.example.com"
#define T_V6        "v6.example.com"

enum t_mode {
	T_SELF,  /* a fresh self-signed certificate for T_NAME */
	T_CHAIN, /* leaf and intermediate from the test CA */
	T_LEAF,  /* the leaf alone: the intermediate is missing */
	T_OLD,   /* TLS 1.1 at most */
};

/* A test PKI: root -> intermediate -> leaf (T_NAME), and a self-signed
 * T_NAME certificate. */
struct t_pki {
	EVP_PKEY *key; /* one key for all: only the signatures matter */
	X509 *root, *inter, *leaf, *self;
};

struct t_tls {
	enum t_mode mode;
	struct tcpstub tcp;
	uint16_t port;
	SSL_CTX *ctx;
	struct t_pki pki;
	char sni[256]; /* last SNI seen ("" when none) */
	unsigned conns;
};

/* A certificate for subject CN=cn, issued by issuer (NULL: self-signed),
 * valid from now for T_LIFE_DAYS; a CA when ca, else with SAN san. */
static X509 *t_cert(EVP_PKEY *key, const char *cn, X509 *issuer, bool ca, const char *san,
                    long serial)
{
	struct certstub_spec spec = {.cn = cn,
	                             .issuer = issuer,
	                             .ca = ca,
	                             .san = san,
	                             .not_before_s = -60,
	                             .not_after_s = T_LIFE_DAYS * T_DAY - 60,
	                             .serial = serial};

	return certstub_cert(key, &spec);
}

static void t_pki_make(struct t_pki *k)
{
	k->key = EVP_EC_gen("P-256");
	cr_assert_not_null(k->key);
	k->root = t_cert(k->key, "Test Root", NULL, true, NULL, 1);
	k->inter = t_cert(k->key, "Test Intermediate", k->root, true, NULL, 2);
	k->leaf = t_cert(k->key, T_NAME, k->inter, false, "DNS:" T_NAME ",DNS:example.com", 3);
	k->self = t_cert(k->key, T_NAME, NULL, false, "DNS:" T_NAME ",DNS:example.com", 4);
}

static void t_pki_free(struct t_pki *k)
{
	X509_free(k->root);
	X509_free(k->inter);
	X509_free(k->leaf);
	X509_free(k->self);
	EVP_PKEY_free(k->key);
}

/* The server selects http/1.1 when the client offers it. */
static int t_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                     const unsigned char *in, unsigned int inlen, void *arg)
{
	for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
		if (in[i] == 8 && i + 9 <= inlen && memcmp(in + i + 1, "http/1.1", 8) == 0) {
			*out = in + i + 1;
			*outlen = in[i];
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

static void t_serve_one(int c, void *arg)
{
	struct t_tls *s = arg;

	s->conns++;
	certstub_serve_tls(c, s->ctx, s->sni, sizeof(s->sni), NULL, NULL);
}

static void t_tls_start(struct t_tls *s, enum t_mode mode)
{
	memset(s, 0, sizeof(*s));
	signal(SIGPIPE, SIG_IGN);
	s->mode = mode;
	t_pki_make(&s->pki);
	s->ctx = certstub_server_ctx(mode == T_CHAIN || mode == T_LEAF ? s->pki.leaf : s->pki.self,
	                             s->pki.key, mode == T_OLD);
	if (mode == T_CHAIN)
		cr_assert(SSL_CTX_add1_chain_cert(s->ctx, s->pki.inter));
	SSL_CTX_set_alpn_select_cb(s->ctx, t_alpn_cb, s);
	tcpstub_start(&s->tcp, t_serve_one, s);
	s->port = s->tcp.port;
	tlscert_set_port_for_tests(s->port);
}

static void t_tls_stop(struct t_tls *s)
{
	tcpstub_stop(&s->tcp);
	SSL_CTX_free(s->ctx);
	t_pki_free(&s->pki);
	tlscert_set_port_for_tests(0);
	tlscert_set_ca_file_for_tests(NULL);
}

/* Trust s's test root: write it to a temporary PEM file (path) and point
 * the probe at it.  The store is loaded on the first verification, so the
 * caller removes the file after the probe. */
static void t_trust_root(const struct t_tls *s, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/vantage-test-ca-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(close(fd), 0);
	certstub_write_pem(path, (X509 *const[]){s->pki.root, NULL});
	tlscert_set_ca_file_for_tests(path);
}

/* ---- DNS: T_NAME, T_OTHER -> 127.0.0.1; T_DUAL -> ::1 and 127.0.0.1;
 * T_V6 -> ::1 ---- */

static bool t_dns_reply(const char *qname, ldns_rr_type t, ldns_pkt *resp)
{
	char rr[300] = "";

	if (t == LDNS_RR_TYPE_A &&
	    (strcmp(qname, T_NAME ".") == 0 || strcmp(qname, T_OTHER ".") == 0 ||
	     strcmp(qname, T_DUAL ".") == 0))
		snprintf(rr, sizeof(rr), "%s 60 IN A 127.0.0.1", qname);
	if (t == LDNS_RR_TYPE_AAAA &&
	    (strcmp(qname, T_DUAL ".") == 0 || strcmp(qname, T_V6 ".") == 0))
		snprintf(rr, sizeof(rr), "%s 60 IN AAAA ::1", qname);
	if (rr[0] != '\0') {
		ldns_rr *r = NULL;
		if (ldns_rr_new_frm_str(&r, rr, 0, NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER, r);
	}
	return true;
}

/* ---- running the probe ---- */

static struct probe_cfg t_cfg(const struct dnsstub *d)
{
	struct probe_cfg cfg;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.ipv6 = true;
	cr_assert_eq(
	        addr_filter_parse(&cfg.public_prefixes, "127.0.0.0/8,::1/128", err, sizeof(err)),
	        0);
	if (d != NULL) {
		snprintf(cfg.resolver.forwarder, sizeof(cfg.resolver.forwarder), "127.0.0.1@%u",
		         (unsigned)d->port);
		cfg.resolver.timeout_ms = 3000;
	}
	return cfg;
}

static struct vt_job t_job(const char *domain)
{
	struct vt_job job;

	memset(&job, 0, sizeof(job));
	snprintf(job.id, sizeof(job.id), "c1");
	job.method = VT_METHOD_TLSCERT;
	job.mode = VT_MODE_REACHABILITY;
	job.budget_ms = T_BUDGET_MS;
	snprintf(job.domain, sizeof(job.domain), "%s", domain);
	return job;
}

/* Start the DNS stub, run job against the server in mode, stop both. */
static void t_named(enum t_mode mode, const char *domain, bool trust, struct t_tls *s,
                    struct vt_result *r)
{
	struct dnsstub d;
	struct probe_cfg cfg;
	struct vt_job job = t_job(domain);
	char ca[64] = "";

	t_tls_start(s, mode);
	if (trust)
		t_trust_root(s, ca, sizeof(ca));
	dnsstub_start(&d, t_dns_reply);
	cfg = t_cfg(&d);
	probestub_run(&cfg, &job, r);
	dnsstub_stop(&d);
	t_tls_stop(s);
	if (ca[0] != '\0')
		cr_assert_eq(unlink(ca), 0);
}

Test(tlscert, fresh_self_signed_certificate_passes_unverified)
{
	struct t_tls s;
	struct vt_result r;
	time_t now = time(NULL);

	t_named(T_SELF, T_NAME, false, &s, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_eq(r.problem.type, VT_PROB_NONE);
	cr_expect_eq(r.method, VT_METHOD_TLSCERT);
	cr_expect_str_eq(s.sni, T_NAME);
	cr_expect_eq(s.conns, 1, "one handshake");
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].url, "");
	cr_expect_str_eq(r.records[0].hostname, T_NAME);
	cr_expect_eq(r.records[0].port, s.port);
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	cr_assert(r.cert.present);
	cr_expect_str_eq(r.cert.subject, "CN=" T_NAME ",O=Test");
	cr_expect_str_eq(r.cert.issuer, "CN=" T_NAME ",O=Test");
	cr_assert_eq(r.cert.n_sans, 2);
	cr_expect_str_eq(r.cert.sans[0], T_NAME);
	cr_expect_str_eq(r.cert.sans[1], "example.com");
	cr_expect(r.cert.not_before <= now && r.cert.not_before > now - 600);
	cr_expect(r.cert.not_after > now + (T_LIFE_DAYS - 1) * T_DAY);
	cr_expect_eq(strlen(r.cert.sha256), 64);
	cr_expect_str_eq(r.cert.tls_version, "TLSv1.3");
	cr_expect_str_eq(r.cert.alpn, "http/1.1");
	cr_expect_eq(r.cert.chain_len, 1);
	cr_assert_eq(r.cert.n_chain_issuers, 1);
	cr_expect_str_eq(r.cert.chain_issuers[0], "CN=" T_NAME ",O=Test");
	cr_expect_not(r.cert.chain_verified);
	cr_expect(r.cert.name_matches);
	cr_expect(strstr(r.cert.verify_error, "self") != NULL &&
	                  strstr(r.cert.verify_error, "signed") != NULL,
	          "%s", r.cert.verify_error);
	cr_expect_eq(r.n_warnings, 0);
	vt_result_clear(&r);
}

Test(tlscert, chain_from_a_trusted_ca_verifies)
{
	struct t_tls s;
	struct vt_result r;

	t_named(T_CHAIN, T_NAME, true, &s, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_str_eq(r.cert.issuer, "CN=Test Intermediate,O=Test");
	cr_expect_eq(r.cert.chain_len, 2);
	cr_assert_eq(r.cert.n_chain_issuers, 2);
	cr_expect_str_eq(r.cert.chain_issuers[0], "CN=Test Intermediate,O=Test");
	cr_expect_str_eq(r.cert.chain_issuers[1], "CN=Test Root,O=Test");
	cr_expect(r.cert.chain_verified, "%s", r.cert.verify_error);
	cr_expect(r.cert.name_matches);
	cr_expect_str_eq(r.cert.verify_error, "");
	vt_result_clear(&r);
}

Test(tlscert, missing_intermediate_and_wrong_name)
{
	struct t_tls s;
	struct vt_result r;

	t_named(T_LEAF, T_NAME, true, &s, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_eq(r.cert.chain_len, 1);
	cr_expect_not(r.cert.chain_verified);
	cr_expect_str_eq(r.cert.verify_error, "unable to get local issuer certificate");
	vt_result_clear(&r);
	/* the chain is fine, the name is not */
	t_named(T_CHAIN, T_OTHER, true, &s, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_str_eq(s.sni, T_OTHER);
	cr_expect(r.cert.chain_verified, "%s", r.cert.verify_error);
	cr_expect_not(r.cert.name_matches);
	cr_expect_str_eq(r.cert.verify_error, "hostname mismatch");
	vt_result_clear(&r);
	/* both */
	t_named(T_SELF, T_OTHER, false, &s, &r);
	cr_expect_not(r.cert.chain_verified);
	cr_expect_not(r.cert.name_matches);
	cr_expect(strstr(r.cert.verify_error, "; hostname mismatch") != NULL, "%s",
	          r.cert.verify_error);
	vt_result_clear(&r);
}

Test(tlscert, ip_literal_sends_no_sni)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg(NULL);
	struct vt_job job = t_job("127.0.0.1");
	struct vt_result r;

	t_tls_start(&s, T_SELF);
	snprintf(s.sni, sizeof(s.sni), "unset");
	probestub_run(&cfg, &job, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_str_eq(s.sni, "", "SNI carries no IP literal (RFC 6066 3)");
	cr_expect_not(r.cert.name_matches, "the certificate has no iPAddress SAN");
	vt_result_clear(&r);
}

Test(tlscert, tls11_only_server_fails)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg(NULL);
	struct vt_job job = t_job("127.0.0.1");
	struct vt_result r;

	t_tls_start(&s, T_OLD);
	probestub_run(&cfg, &job, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_TLS);
	cr_expect_str_eq(r.problem.detail, "127.0.0.1: the server only speaks TLS 1.1; browsers "
	                                   "and Let's Encrypt require TLS 1.2 or better");
	cr_expect_not(r.cert.present, "no certificate from a refused version");
	vt_result_clear(&r);
}

Test(tlscert, nothing_listening_is_connection_refused)
{
	struct probe_cfg cfg = t_cfg(NULL);
	struct vt_job job = t_job("127.0.0.1");
	struct vt_result r;

	tlscert_set_port_for_tests(tcpstub_closed_port());
	probestub_run(&cfg, &job, &r);
	tlscert_set_port_for_tests(0);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_CONNECTION);
	cr_expect_str_eq(r.problem.detail, "127.0.0.1: Connection refused");
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	cr_expect_not(r.cert.present);
	vt_result_clear(&r);
}

Test(tlscert, silent_server_times_out_within_the_dial_timeout)
{
	struct probe_cfg cfg = t_cfg(NULL);
	struct vt_job job = t_job("127.0.0.1");
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct vt_result r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* listening but never accepting: TCP completes, TLS never answers */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	tlscert_set_port_for_tests(ntohs(sa.sin_port));
	cfg.dial_timeout_ms = 300;
	probestub_run(&cfg, &job, &r);
	tlscert_set_port_for_tests(0);
	close(fd);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_CONNECTION);
	cr_expect_str_eq(
	        r.problem.detail,
	        "127.0.0.1: Timeout after connect (your server may be slow or overloaded)");
	cr_expect_lt(r.timings.total_ms, 3000);
	vt_result_clear(&r);
}

Test(tlscert, ipv6_failure_falls_back_to_ipv4)
{
	struct t_tls s;
	struct vt_result r;

	t_named(T_SELF, T_DUAL, false, &s, &r); /* 127.0.0.1 only: ::1 refuses */
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_str_eq(s.sni, T_DUAL);
	cr_assert_eq(r.n_records, 1);
	cr_expect_eq(r.records[0].n_addresses_resolved, 2);
	cr_expect_str_eq(r.records[0].addresses_resolved[0], "::1");
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	cr_assert_eq(r.records[0].n_addresses_tried, 1);
	cr_expect_str_eq(r.records[0].addresses_tried[0], "::1");
	cr_assert_eq(r.n_warnings, 1);
	cr_expect(strstr(r.warnings[0], "IPv6 address ::1 failed") != NULL, "%s", r.warnings[0]);
	cr_expect(strstr(r.warnings[0], "fell back to IPv4") != NULL, "%s", r.warnings[0]);
	vt_result_clear(&r);
}

Test(tlscert, advertised_and_job_fields_ignored)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg(NULL);
	struct vt_job job = t_job("127.0.0.1");
	struct vt_result r;

	cr_expect_neq(probe_methods() & (1u << VT_METHOD_TLSCERT), 0);
	/* a validate-mode job with a key authorization: the probe ignores both */
	job.mode = VT_MODE_VALIDATE;
	snprintf(job.key_authorization, sizeof(job.key_authorization), "tok.thumb");
	t_tls_start(&s, T_SELF);
	probestub_run(&cfg, &job, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	vt_result_clear(&r);
}

Test(tlscert, ipv6_only_failure_reports_its_own_error)
{
	struct dnsstub d;
	struct probe_cfg cfg;
	struct vt_job job = t_job(T_V6);
	struct vt_result r;

	tlscert_set_port_for_tests(tcpstub_closed_port());
	dnsstub_start(&d, t_dns_reply);
	cfg = t_cfg(&d);
	probestub_run(&cfg, &job, &r);
	dnsstub_stop(&d);
	tlscert_set_port_for_tests(0);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_CONNECTION);
	/* not Boulder's "Unable to contact": what ::1 said (refused, or
	 * unreachable where the host has no IPv6 loopback) */
	cr_expect(strncmp(r.problem.detail, "::1: ", 5) == 0, "%s", r.problem.detail);
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].address_used, "::1");
	cr_expect_eq(r.records[0].n_addresses_tried, 0);
	vt_result_clear(&r);
}
