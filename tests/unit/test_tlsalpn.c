/*
 * test_tlsalpn.c -- the TLS-ALPN-01 probe end to end against an in-process
 * OpenSSL server thread on 127.0.0.1 (an ephemeral port, through the
 * test-only port override), plus a tiny DNS responder for the IPv6 -> IPv4
 * fallback.  All traffic stays on loopback.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../../agent/acmecert.h"
#include "../../agent/probe.h"
#include "../../agent/probe_int.h"
#include "certstub.h"
#include "dnsstub.h"
#include "probestub.h"
#include "tcpstub.h"
#include "../../common/keyauth.h"

#define T_KA        "tok.thumbprint"
#define T_BUDGET_MS 10000
#define T_NA        "20300101000000Z"
#define T_NA_UNIX   1893456000
#define T_HTTP_400  "HTTP/1.1 400 Bad Request\r\n\r\n"

enum t_mode {
	T_ACME,   /* acme-tls/1 selected, challenge certificate */
	T_ALERT,  /* ALPN offered but refused: no_application_protocol */
	T_IGNORE, /* ALPN ignored, normal certificate */
	T_HTTP,   /* plain TCP speaking HTTP */
	T_OLD,    /* TLS 1.1 at most */
};

struct t_tls {
	enum t_mode mode;
	struct tcpstub tcp;
	uint16_t port;
	SSL_CTX *ctx;
	X509 *acme_cert, *normal_cert;
	EVP_PKEY *key;
	char sni[256]; /* last SNI seen */
	unsigned conns;
};

/* A self-signed certificate for key: CN=cn, san (X509v3 text), and an
 * acmeIdentifier for ka when ka is not NULL. */
static X509 *t_make_cert(EVP_PKEY *key, const char *cn, const char *san, const char *ka)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Example", -1, -1,
	                           0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	ASN1_TIME_set_string(X509_getm_notAfter(x), T_NA);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	cr_assert_not_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (ka != NULL) {
		uint8_t der[34];
		ASN1_OBJECT *obj = OBJ_txt2obj(ACMECERT_OID_ACME_IDENTIFIER, 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		der[0] = 0x04;
		der[1] = 32;
		keyauth_sha256(ka, der + 2);
		ASN1_OCTET_STRING_set(os, der, sizeof(der));
		e = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
	}
	cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static int t_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                     const unsigned char *in, unsigned int inlen, void *arg)
{
	struct t_tls *s = arg;

	for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
		if (in[i] == 10 && i + 11 <= inlen && memcmp(in + i + 1, "acme-tls/1", 10) == 0) {
			if (s->mode != T_ACME)
				break;
			/* a responder switches to the challenge certificate */
			SSL_use_certificate(ssl, s->acme_cert);
			*out = in + i + 1;
			*outlen = in[i];
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return s->mode == T_ALERT ? SSL_TLSEXT_ERR_ALERT_FATAL : SSL_TLSEXT_ERR_NOACK;
}

static void t_serve_one(int c, void *arg)
{
	struct t_tls *s = arg;
	char buf[4096];

	s->conns++;
	if (s->mode == T_HTTP) {
		certstub_timeouts(c);
		(void)!read(c, buf, sizeof(buf));
		(void)!write(c, T_HTTP_400, strlen(T_HTTP_400));
		close(c);
		return;
	}
	certstub_serve_tls(c, s->ctx, s->sni, sizeof(s->sni), NULL, NULL);
}

static void t_tls_start(struct t_tls *s, enum t_mode mode, const char *ident)
{
	char san[300];
	bool ip = strchr(ident, '.') != NULL && isdigit((unsigned char)ident[0]);

	memset(s, 0, sizeof(*s));
	signal(SIGPIPE, SIG_IGN);
	s->mode = mode;
	s->key = EVP_EC_gen("P-256");
	cr_assert_not_null(s->key);
	snprintf(san, sizeof(san), "%s:%s", ip ? "IP" : "DNS", ident);
	s->acme_cert = t_make_cert(s->key, ident, san, T_KA);
	s->normal_cert =
	        t_make_cert(s->key, "www.example.com", "DNS:www.example.com,DNS:example.com", NULL);
	s->ctx = certstub_server_ctx(s->normal_cert, s->key, mode == T_OLD);
	if (mode == T_ACME || mode == T_ALERT)
		SSL_CTX_set_alpn_select_cb(s->ctx, t_alpn_cb, s);
	tcpstub_start(&s->tcp, t_serve_one, s);
	s->port = s->tcp.port;
	tlsalpn01_set_port_for_tests(s->port);
}

static void t_tls_stop(struct t_tls *s)
{
	tcpstub_stop(&s->tcp);
	SSL_CTX_free(s->ctx);
	X509_free(s->acme_cert);
	X509_free(s->normal_cert);
	EVP_PKEY_free(s->key);
	tlsalpn01_set_port_for_tests(0);
}

static struct probe_cfg t_cfg(void)
{
	struct probe_cfg cfg;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.ipv6 = true;
	cr_assert_eq(
	        addr_filter_parse(&cfg.public_prefixes, "127.0.0.0/8,::1/128", err, sizeof(err)),
	        0);
	return cfg;
}

static struct vt_job t_job(const char *domain, const char *ka)
{
	struct vt_job job;

	memset(&job, 0, sizeof(job));
	snprintf(job.id, sizeof(job.id), "t1");
	job.method = VT_METHOD_TLSALPN01;
	job.mode = ka ? VT_MODE_VALIDATE : VT_MODE_REACHABILITY;
	job.budget_ms = T_BUDGET_MS;
	snprintf(job.domain, sizeof(job.domain), "%s", domain);
	snprintf(job.key_authorization, sizeof(job.key_authorization), "%s", ka ? ka : "");
	return job;
}

Test(tlsalpn, valid_certificate_passes)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", T_KA);
	struct vt_result r;

	t_tls_start(&s, T_ACME, "127.0.0.1");
	probestub_run(&cfg, &job, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_eq(r.problem.type, VT_PROB_NONE);
	cr_expect_eq(r.http_status, 0);
	cr_expect_str_eq(s.sni, "1.0.0.127.in-addr.arpa");
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].url, "");
	cr_expect_str_eq(r.records[0].hostname, "127.0.0.1");
	cr_expect_eq(r.records[0].port, s.port);
	cr_expect_eq(r.records[0].n_addresses_resolved, 1);
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	cr_expect_eq(r.records[0].n_addresses_tried, 0);
	cr_expect(r.cert.present);
	cr_expect_str_eq(r.cert.alpn, "acme-tls/1");
	cr_expect_str_eq(r.cert.sans[0], "127.0.0.1");
	cr_expect_eq(r.n_warnings, 0);
	vt_result_clear(&r);
}

Test(tlsalpn, digest_only_job)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", NULL), bad;
	struct vt_result r;
	char d[KEYAUTH_DIGEST_B64_LEN + 1];

	job.mode = VT_MODE_VALIDATE;
	keyauth_digest_b64url(T_KA, d);
	snprintf(job.digest, sizeof(job.digest), "%s", d);
	bad = job;
	keyauth_digest_b64url("another.ka", bad.digest);
	t_tls_start(&s, T_ACME, "127.0.0.1");
	probestub_run(&cfg, &job, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	vt_result_clear(&r);
	probestub_run(&cfg, &bad, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_UNAUTHORIZED);
	cr_expect(strstr(r.problem.detail, "Requested 127.0.0.1 from 127.0.0.1:") != NULL, "%s",
	          r.problem.detail);
	cr_expect(strstr(r.problem.detail, "Received certificate with acmeValidationV1 extension "
	                                   "value ") != NULL,
	          "%s", r.problem.detail);
	vt_result_clear(&r);
}

Test(tlsalpn, alpn_refused_is_tls_problem)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", T_KA);
	struct vt_result r;

	t_tls_start(&s, T_ALERT, "127.0.0.1");
	probestub_run(&cfg, &job, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_TLS);
	cr_expect_str_eq(r.problem.detail, "127.0.0.1: remote error: tls: no application protocol");
	cr_assert_eq(r.n_records, 1);
	vt_result_clear(&r);
}

Test(tlsalpn, alpn_ignored_cannot_negotiate)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", T_KA);
	struct vt_result r;

	t_tls_start(&s, T_IGNORE, "127.0.0.1");
	probestub_run(&cfg, &job, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(r.problem.detail,
	                 "Cannot negotiate ALPN protocol \"acme-tls/1\" for tls-alpn-01 challenge");
	vt_result_clear(&r);
}

Test(tlsalpn, http_only_server)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", T_KA);
	struct vt_result r;

	t_tls_start(&s, T_HTTP, "127.0.0.1");
	probestub_run(&cfg, &job, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_MALFORMED);
	cr_expect_str_eq(r.problem.detail, "127.0.0.1: Server only speaks HTTP, not TLS");
	vt_result_clear(&r);
}

Test(tlsalpn, connection_refused)
{
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", T_KA);
	struct vt_result r;

	tlsalpn01_set_port_for_tests(tcpstub_closed_port());
	probestub_run(&cfg, &job, &r);
	tlsalpn01_set_port_for_tests(0);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_CONNECTION);
	cr_expect_str_eq(r.problem.detail, "127.0.0.1: Connection refused");
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	vt_result_clear(&r);
}

Test(tlsalpn, silent_server_times_out_after_connect)
{
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", T_KA);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct vt_result r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* listening but never accepting: TCP completes, TLS never answers */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	tlsalpn01_set_port_for_tests(ntohs(sa.sin_port));
	cfg.dial_timeout_ms = 300;
	probestub_run(&cfg, &job, &r);
	tlsalpn01_set_port_for_tests(0);
	close(fd);
	cr_expect_eq(r.problem.type, VT_PROB_CONNECTION);
	cr_expect_str_eq(
	        r.problem.detail,
	        "127.0.0.1: Timeout after connect (your server may be slow or overloaded)");
	vt_result_clear(&r);
}

Test(tlsalpn, reachability_captures_normal_certificate)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", NULL);
	struct vt_result r;

	t_tls_start(&s, T_ACME, "127.0.0.1");
	probestub_run(&cfg, &job, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_REACHABLE, "%s", r.problem.detail);
	cr_expect_eq(s.conns, 2);
	cr_expect(r.cert.present);
	cr_expect_str_eq(r.cert.subject, "CN=www.example.com,O=Example");
	cr_expect_str_eq(r.cert.issuer, "CN=www.example.com,O=Example");
	cr_assert_eq(r.cert.n_sans, 2);
	cr_expect_str_eq(r.cert.sans[0], "www.example.com");
	cr_expect_str_eq(r.cert.sans[1], "example.com");
	cr_expect_eq(r.cert.not_after, T_NA_UNIX);
	cr_expect_eq(strlen(r.cert.sha256), 64);
	cr_expect_str_eq(r.cert.tls_version, "TLSv1.3");
	cr_expect_str_eq(r.cert.alpn, "acme-tls/1");
	cr_expect_eq(r.n_warnings, 0);
	cr_assert_eq(r.n_records, 1);
	vt_result_clear(&r);
}

Test(tlsalpn, reachability_without_acme_alpn_warns)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", NULL);
	struct vt_result r;

	for (int m = 0; m < 2; m++) {
		t_tls_start(&s, m == 0 ? T_ALERT : T_IGNORE, "127.0.0.1");
		probestub_run(&cfg, &job, &r);
		t_tls_stop(&s);
		cr_expect_eq(r.outcome, VT_OUTCOME_REACHABLE, "%s", r.problem.detail);
		cr_expect_str_eq(r.cert.alpn, "");
		cr_expect_str_eq(r.cert.subject, "CN=www.example.com,O=Example");
		cr_assert_eq(r.n_warnings, 1);
		cr_expect_str_eq(r.warnings[0],
		                 "the server does not offer acme-tls/1: TLS-ALPN-01 cannot work "
		                 "until the ACME client's responder answers on 443");
		vt_result_clear(&r);
	}
}

Test(tlsalpn, tls11_only_server_named)
{
	struct t_tls s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", NULL), jv = t_job("127.0.0.1", T_KA);
	struct vt_result r;

	t_tls_start(&s, T_OLD, "127.0.0.1");
	probestub_run(&cfg, &job, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_TLS);
	cr_expect_str_eq(r.problem.detail, "127.0.0.1: the server only speaks TLS 1.1; Let's "
	                                   "Encrypt requires TLS 1.2 or better");
	vt_result_clear(&r);
	probestub_run(&cfg, &jv, &r);
	t_tls_stop(&s);
	cr_expect_eq(r.problem.type, VT_PROB_TLS);
	cr_expect_str_eq(r.problem.detail, "127.0.0.1: the server only speaks TLS 1.1; Let's "
	                                   "Encrypt requires TLS 1.2 or better");
	vt_result_clear(&r);
}

Test(tlsalpn, unsupported_job)
{
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", NULL);
	struct event_base *base = event_base_new();
	struct probe_env *env;
	char err[256];

	job.mode = VT_MODE_VALIDATE;
	env = probe_env_new(base, &cfg, err, sizeof(err));
	cr_assert_not_null(env);
	cr_expect_null(probe_start(env, &job, probestub_never, NULL, err, sizeof(err)));
	cr_expect_str_eq(err, "validate mode needs a key authorization or a digest");
	snprintf(job.digest, sizeof(job.digest), "nope");
	cr_expect_null(probe_start(env, &job, probestub_never, NULL, err, sizeof(err)));
	cr_expect(strstr(err, "digest: expected") != NULL, "%s", err);
	cr_expect(probe_methods() & (1u << VT_METHOD_TLSALPN01));
	probe_env_destroy(&env);
	event_base_free(base);
}

/* ---- a tiny DNS responder on 127.0.0.1 (UDP) for the fallback ---- */

static void t_dns_answer(const char *qname, ldns_rr_type t, ldns_pkt *resp)
{
	const char *rr = NULL;

	if (strcmp(qname, "dual.example.com.") == 0 && t == LDNS_RR_TYPE_A)
		rr = "dual.example.com. 60 IN A 127.0.0.1";
	if (strcmp(qname, "dual.example.com.") == 0 && t == LDNS_RR_TYPE_AAAA)
		rr = "dual.example.com. 60 IN AAAA ::1";
	if (strcmp(qname, "v6.example.com.") == 0 && t == LDNS_RR_TYPE_AAAA)
		rr = "v6.example.com. 60 IN AAAA ::1";
	if (rr != NULL) {
		ldns_rr *r = NULL;
		if (ldns_rr_new_frm_str(&r, rr, 0, NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER, r);
	}
}

static bool t_dns_reply(const char *qname, ldns_rr_type t, ldns_pkt *resp)
{
	t_dns_answer(qname, t, resp);
	return true;
}

/* Start the stub and point cfg's resolver at it. */
static void t_dns_start(struct dnsstub *d, struct probe_cfg *cfg)
{
	dnsstub_start(d, t_dns_reply);
	snprintf(cfg->resolver.forwarder, sizeof(cfg->resolver.forwarder), "127.0.0.1@%u",
	         (unsigned)d->port);
	cfg->resolver.timeout_ms = 3000;
}

Test(tlsalpn, ipv6_failure_falls_back_to_ipv4)
{
	struct t_tls s;
	struct dnsstub d;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("dual.example.com", T_KA);
	struct vt_result r;

	t_tls_start(&s, T_ACME, "dual.example.com"); /* 127.0.0.1 only: ::1 refuses */
	t_dns_start(&d, &cfg);
	probestub_run(&cfg, &job, &r);
	dnsstub_stop(&d);
	t_tls_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_str_eq(s.sni, "dual.example.com");
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].hostname, "dual.example.com");
	cr_expect_eq(r.records[0].n_addresses_resolved, 2);
	cr_expect_str_eq(r.records[0].addresses_resolved[0], "::1");
	cr_expect_str_eq(r.records[0].addresses_resolved[1], "127.0.0.1");
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	cr_assert_eq(r.records[0].n_addresses_tried, 1);
	cr_expect_str_eq(r.records[0].addresses_tried[0], "::1");
	cr_assert_eq(r.n_warnings, 1);
	cr_expect(strstr(r.warnings[0], "fell back to IPv4") != NULL, "%s", r.warnings[0]);
	vt_result_clear(&r);
}

Test(tlsalpn, ipv6_only_failure_is_malformed)
{
	struct dnsstub d;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("v6.example.com", T_KA);
	struct vt_result r;

	tlsalpn01_set_port_for_tests(tcpstub_closed_port());
	t_dns_start(&d, &cfg);
	probestub_run(&cfg, &job, &r);
	dnsstub_stop(&d);
	tlsalpn01_set_port_for_tests(0);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_MALFORMED);
	cr_expect_str_eq(r.problem.detail,
	                 "Unable to contact \"v6.example.com\" at \"::1\", no IPv4 "
	                 "addresses to try as fallback");
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].address_used, "::1");
	cr_expect_eq(r.records[0].n_addresses_tried, 1);
	vt_result_clear(&r);
}
