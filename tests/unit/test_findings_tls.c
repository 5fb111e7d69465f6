/*
 * test_findings_tls.c -- the TLS-ALPN-01 and tls-cert findings
 * (common/diagnose_tls.c, common/diagnose_cert.c, common/finding_text_tls.c):
 * for each id its severity, the vantages it names and its fix's key phrase,
 * and a healthy check that must not produce it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/finding.h"
#include "common/verdict.h"
#include "common/verdict_ext.h"

#define ALPN_DETAIL "Cannot negotiate ALPN protocol \"acme-tls/1\" for tls-alpn-01 challenge"
#define CERT_PREFIX                                                                                \
	"Incorrect validation certificate for tls-alpn-01 challenge. Requested example.com from "  \
	"203.0.113.7:443. "
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define DAY_S 86400

#define CF_ISSUER  "CN=Cloudflare Inc ECC CA-3,O=Cloudflare\\, Inc.,C=US"
#define LE_ISSUER  "CN=R11,O=Let's Encrypt,C=US"
#define GTS_ISSUER "CN=WR2,O=Google Trust Services,C=US"

/* ---- building checks ---- */

static struct vt_entry *s_add(struct vt_check *c, const char *agent, const char *region,
                              const char *rir)
{
	struct vt_entry *e = vt_check_add_entry(c);

	cr_assert_not_null(e);
	snprintf(e->vantage.agent, sizeof(e->vantage.agent), "%s", agent);
	snprintf(e->vantage.region, sizeof(e->vantage.region), "%s", region);
	snprintf(e->vantage.rir, sizeof(e->vantage.rir), "%s", rir);
	e->vantage.ipv6 = true;
	e->result.method = c->method;
	e->result.outcome =
	        c->mode == VT_MODE_REACHABILITY ? VT_OUTCOME_REACHABLE : VT_OUTCOME_PASS;
	return e;
}

/* Five passing vantages in five regions and four RIRs, a1 the primary;
 * not yet judged. */
static void s_five(struct vt_check *c, enum vt_method m, enum vt_mode mode)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->domain, sizeof(c->domain), "example.com");
	c->method = m;
	c->mode = mode;
	s_add(c, "a1", "us-east", "ARIN")->vantage.primary = true;
	s_add(c, "a2", "us-west", "ARIN");
	s_add(c, "a3", "eu-west", "RIPE");
	s_add(c, "a4", "ap-south", "APNIC");
	s_add(c, "a5", "sa-east", "LACNIC");
}

static void s_fail(struct vt_entry *e, enum vt_problem_type type, const char *detail)
{
	vt_result_fail(&e->result, type, "%s", detail);
}

/* Every entry fails with detail. */
static void s_fail_all(struct vt_check *c, enum vt_problem_type type, const char *detail)
{
	for (size_t i = 0; i < c->n_entries; i++)
		s_fail(&c->entries[i], type, detail);
}

/* e got a certificate: sha, issuer, subject; ALPN alpn. */
static void s_cert(struct vt_entry *e, const char *sha, const char *issuer, const char *subject,
                   const char *alpn)
{
	struct vt_cert *k = &e->result.cert;

	k->present = true;
	snprintf(k->sha256, sizeof(k->sha256), "%s", sha);
	snprintf(k->issuer, sizeof(k->issuer), "%s", issuer);
	snprintf(k->subject, sizeof(k->subject), "%s", subject);
	snprintf(k->alpn, sizeof(k->alpn), "%s", alpn);
	snprintf(k->tls_version, sizeof(k->tls_version), "TLSv1.3");
}

/* A tls-cert certificate: sha, life_days long with left_days left; the
 * chain verifies and it names example.com. */
static void s_tlscert(struct vt_entry *e, const char *sha, double life_days, double left_days)
{
	struct vt_cert *k = &e->result.cert;
	int64_t now = (int64_t)time(NULL);

	memset(k, 0, sizeof(*k));
	s_cert(e, sha, LE_ISSUER, "CN=example.com", "http/1.1");
	snprintf(k->sans[0], sizeof(k->sans[0]), "example.com");
	snprintf(k->sans[1], sizeof(k->sans[1]), "www.example.com");
	k->n_sans = 2;
	k->not_after = now + (int64_t)(left_days * DAY_S);
	k->not_before = k->not_after - (int64_t)(life_days * DAY_S);
	k->chain_len = 2;
	k->chain_verified = true;
	k->name_matches = true;
}

/* Five tls-cert vantages with the same healthy certificate, not judged. */
static void s_tlscert_five(struct vt_check *c, double life_days, double left_days)
{
	s_five(c, VT_METHOD_TLSCERT, VT_MODE_REACHABILITY);
	for (size_t i = 0; i < c->n_entries; i++)
		s_tlscert(&c->entries[i], SHA_A, life_days, left_days);
}

/* ---- looking at findings ---- */

static void s_dump(const struct vt_check *c)
{
	for (size_t i = 0; i < c->n_findings; i++) {
		const struct vt_finding *f = &c->findings[i];
		cr_log_info("finding[%zu] %s %s (%zu vantages): %s", i, finding_name(f->id),
		            vt_severity_name(f->severity), f->n_vantages, f->summary);
	}
}

static size_t s_count(const struct vt_check *c, enum vt_finding_id id)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_findings; i++)
		if (c->findings[i].id == id)
			n++;
	return n;
}

/*
 * c holds exactly one finding id, of severity sev, naming exactly the
 * vantages in the space-separated list agents; its catalogue fix holds
 * phrase.  Returns it.
 */
static const struct vt_finding *s_expect(const struct vt_check *c, enum vt_finding_id id,
                                         enum vt_severity sev, const char *agents,
                                         const char *phrase)
{
	const struct vt_finding *f = vt_check_finding(c, id);
	const struct vt_finding_def *def = finding_def(id);
	char list[128], *save = NULL;
	size_t n = 0;

	if (f == NULL || s_count(c, id) != 1)
		s_dump(c);
	cr_assert_not_null(f, "no %s finding", finding_name(id));
	cr_assert_eq(s_count(c, id), 1, "%s more than once", finding_name(id));
	cr_assert_eq(f->severity, sev, "%s: severity %s, want %s", finding_name(id),
	             vt_severity_name(f->severity), vt_severity_name(sev));
	snprintf(list, sizeof(list), "%s", agents);
	for (char *a = strtok_r(list, " ", &save); a != NULL; a = strtok_r(NULL, " ", &save)) {
		cr_assert(finding_names_vantage(f, a), "%s does not name %s", finding_name(id), a);
		n++;
	}
	cr_assert_eq(f->n_vantages, n, "%s names %zu vantages, want %zu (%s)", finding_name(id),
	             f->n_vantages, n, agents);
	cr_assert_not_null(def);
	/* phrase "": a finding across vantages, whose text is not this file's */
	if (phrase[0] != '\0') {
		cr_assert_not_null(def->text, "%s has no catalogue text", finding_name(id));
		cr_assert(strstr(def->text->fix, phrase) != NULL, "%s's fix lacks \"%s\"",
		          finding_name(id), phrase);
	}
	/* the summary is the diagnosis line */
	for (size_t i = 0; i < c->n_findings; i++)
		cr_assert_str_eq(c->findings[i].summary, c->diagnosis[i]);
	return f;
}

static void s_expect_none(const struct vt_check *c, enum vt_finding_id id)
{
	if (vt_check_finding(c, id) != NULL)
		s_dump(c);
	cr_assert_null(vt_check_finding(c, id), "unexpected %s", finding_name(id));
}

/* No finding of c is an error or worse, nor a warning. */
static void s_expect_healthy(const struct vt_check *c)
{
	for (size_t i = 0; i < c->n_findings; i++) {
		if (c->findings[i].severity >= VT_SEV_WARNING)
			s_dump(c);
		cr_assert_lt(c->findings[i].severity, VT_SEV_WARNING, "%s: %s",
		             finding_name(c->findings[i].id), c->findings[i].summary);
	}
}

/* The TLS findings this file is about. */
static const enum vt_finding_id s_ids[] = {
        VT_F_PROXY_IN_FRONT,       VT_F_NO_ACME_TLS1,
        VT_F_TLS_TOO_OLD,          VT_F_WRONG_VALIDATION_CERT,
        VT_F_TLS_HANDSHAKE_FAILED, VT_F_CERT_EXPIRED,
        VT_F_CERT_EXPIRING,        VT_F_CERT_UNTRUSTED,
        VT_F_CERT_NAME_MISMATCH,   VT_F_CERT_OK,
};

/* ---- the catalogue texts ---- */

Test(findings_tls, every_text_present_with_its_fix_phrase)
{
	static const char *const phrases[] = {"HTTP-01 or DNS-01",
	                                      "acme-tls/1",
	                                      "TLS 1.2",
	                                      "certificate",
	                                      "TLS",
	                                      "renew",
	                                      "renew",
	                                      "chain",
	                                      "names",
	                                      "nothing"};

	cr_assert_eq(sizeof(phrases) / sizeof(phrases[0]), sizeof(s_ids) / sizeof(s_ids[0]));
	cr_assert_eq(finding_text_tls_n, sizeof(s_ids) / sizeof(s_ids[0]));
	for (size_t i = 0; i < sizeof(s_ids) / sizeof(s_ids[0]); i++) {
		const struct vt_finding_def *d = finding_def(s_ids[i]);
		size_t here = 0;
		cr_assert_not_null(d);
		cr_assert_not_null(d->text, "%s has no text", finding_name(s_ids[i]));
		cr_assert_not_null(d->text->title);
		cr_assert_not_null(d->text->applies);
		cr_assert_not_null(d->text->cause);
		cr_assert_not_null(d->text->example);
		cr_assert(strstr(d->text->fix, phrases[i]) != NULL, "%s: fix lacks \"%s\"", d->name,
		          phrases[i]);
		for (size_t j = 0; j < finding_text_tls_n; j++)
			if (finding_text_tls[j].id == s_ids[i])
				here++;
		cr_assert_eq(here, 1, "%s: %zu texts in finding_text_tls.c", d->name, here);
	}
	cr_assert_eq(finding_def(VT_F_PROXY_IN_FRONT)->severity, VT_SEV_FATAL);
	cr_assert_eq(finding_def(VT_F_CERT_OK)->severity, VT_SEV_INFO);
	cr_assert_str_eq(finding_def(VT_F_TLS_TOO_OLD)->text->nginx,
	                 "# in the http block or every server block listening on 443\n"
	                 "ssl_protocols TLSv1.2 TLSv1.3;");
	cr_assert(strstr(finding_def(VT_F_TLS_TOO_OLD)->text->apache,
	                 "SSLProtocol -all +TLSv1.2 +TLSv1.3") != NULL);
	cr_assert(strstr(finding_def(VT_F_NO_ACME_TLS1)->text->nginx, "ssl_preread on;") != NULL);
	cr_assert(strstr(finding_def(VT_F_CERT_UNTRUSTED)->text->nginx, "fullchain.pem") != NULL);
}

/* ---- ProxyInFront ---- */

Test(findings_tls, proxy_in_front_by_certificate_issuer)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	for (size_t i = 0; i < c.n_entries; i++) {
		s_fail(&c.entries[i], VT_PROB_UNAUTHORIZED, ALPN_DETAIL);
		s_cert(&c.entries[i], SHA_A, CF_ISSUER, "CN=example.com", "");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	f = s_expect(&c, VT_F_PROXY_IN_FRONT, VT_SEV_FATAL, "a1 a2 a3 a4 a5", "HTTP-01 or DNS-01");
	cr_assert(strstr(f->summary, "Cloudflare terminates TLS on port 443") == f->summary, "%s",
	          f->summary);
	cr_assert(strstr(f->summary, "seen from every vantage") != NULL, "%s", f->summary);
	cr_assert_eq(f->n_evidence >= 2, true, "the problem and the certificate");
	cr_assert(strstr(f->evidence[1], "certificate issuer: CN=Cloudflare Inc ECC CA-3") != NULL,
	          "%s", f->evidence[1]);
	s_expect_none(&c, VT_F_NO_ACME_TLS1);
	vt_check_clear(&c);
}

Test(findings_tls, proxy_in_front_by_server_header_in_one_region)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, "CN=example.com", "CN=example.com", "acme-tls/1");
	/* eu-west reaches a Cloudflare edge: an ordinary certificate, no ALPN,
	 * and (if the agent kept one) the Server header */
	s_fail(&c.entries[2], VT_PROB_UNAUTHORIZED, ALPN_DETAIL);
	s_cert(&c.entries[2], SHA_B, LE_ISSUER, "CN=example.com", "");
	snprintf(c.entries[2].result.server, sizeof(c.entries[2].result.server), "cloudflare");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	f = s_expect(&c, VT_F_PROXY_IN_FRONT, VT_SEV_FATAL, "a3", "pause the proxy");
	cr_assert(strstr(f->summary, "seen from eu-west") != NULL, "%s", f->summary);
	s_expect_none(&c, VT_F_NO_ACME_TLS1);
	/* the edge's certificate differs from the validation certificate */
	s_expect(&c, VT_F_CERTIFICATES_DIFFER, VT_SEV_WARNING, "a3", "");
	vt_check_clear(&c);
}

Test(findings_tls, proxy_in_front_with_an_ordinary_certificate)
{
	struct vt_check c;

	/* the CDN negotiates acme-tls/1 (or the proxy passes ALPN on) but
	 * answers with its own certificate */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_UNAUTHORIZED,
	           CERT_PREFIX "Received certificate which is not self-signed.");
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, "CN=Amazon RSA 2048 M02,O=Amazon,C=US",
		       "CN=example.com", "acme-tls/1");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_PROXY_IN_FRONT, VT_SEV_FATAL, "a1 a2 a3 a4 a5", "HTTP-01 or DNS-01");
	s_expect_none(&c, VT_F_WRONG_VALIDATION_CERT);
	vt_check_clear(&c);
}

Test(findings_tls, proxy_for_some_vantages_no_acme_tls1_for_the_others)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_UNAUTHORIZED, ALPN_DETAIL);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, LE_ISSUER, "CN=example.com", "");
	s_cert(&c.entries[0], SHA_B, "CN=GlobalSign Atlas R3 DV TLS CA 2024 Q1",
	       "CN=*.global.ssl.fastly.net", "");
	s_cert(&c.entries[1], SHA_B, "CN=GlobalSign Atlas R3 DV TLS CA 2024 Q1",
	       "CN=*.global.ssl.fastly.net", "");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_PROXY_IN_FRONT, VT_SEV_FATAL, "a1 a2", "HTTP-01 or DNS-01");
	cr_assert(strstr(vt_check_finding(&c, VT_F_PROXY_IN_FRONT)->summary, "Fastly") != NULL);
	s_expect(&c, VT_F_NO_ACME_TLS1, VT_SEV_ERROR, "a3 a4 a5", "acme-tls/1");
	vt_check_clear(&c);
}

Test(findings_tls, proxy_in_front_in_reachability_mode)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_REACHABILITY);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, "CN=Microsoft Azure RSA TLS Issuing CA 03",
		       "CN=*.azurefd.net", "");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS, "reachable");
	s_expect(&c, VT_F_PROXY_IN_FRONT, VT_SEV_FATAL, "a1 a2 a3 a4 a5", "HTTP-01 or DNS-01");
	cr_assert(strstr(vt_check_finding(&c, VT_F_PROXY_IN_FRONT)->summary, "Azure Front Door") !=
	          NULL);
	s_expect_none(&c, VT_F_NO_ACME_TLS1);
	vt_check_clear(&c);
}

Test(findings_tls, google_trust_services_alone_is_not_a_proxy)
{
	struct vt_check c;

	/* anyone can get a GTS certificate over ACME */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_UNAUTHORIZED, ALPN_DETAIL);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, GTS_ISSUER, "CN=example.com", "");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect_none(&c, VT_F_PROXY_IN_FRONT);
	s_expect(&c, VT_F_NO_ACME_TLS1, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "acme-tls/1");
	vt_check_clear(&c);
	/* a Google front end's own name */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_UNAUTHORIZED, ALPN_DETAIL);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, GTS_ISSUER, "CN=*.googleusercontent.com", "");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_PROXY_IN_FRONT, VT_SEV_FATAL, "a1 a2 a3 a4 a5", "HTTP-01 or DNS-01");
	s_expect_none(&c, VT_F_NO_ACME_TLS1);
	vt_check_clear(&c);
}

Test(findings_tls, a_cdn_word_in_the_domain_is_not_a_proxy)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	snprintf(c.domain, sizeof(c.domain), "fastly-fans.example");
	s_fail_all(&c, VT_PROB_UNAUTHORIZED, ALPN_DETAIL);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, "CN=fastly-fans.example", "CN=fastly-fans.example",
		       "");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect_none(&c, VT_F_PROXY_IN_FRONT);
	s_expect(&c, VT_F_NO_ACME_TLS1, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "acme-tls/1");
	vt_check_clear(&c);
}

Test(findings_tls, a_cdn_certificate_on_a_passing_check_is_not_a_proxy)
{
	struct vt_check c;

	/* validation passed: whatever is in front passes acme-tls/1 on */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, CF_ISSUER, "CN=example.com", "acme-tls/1");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect_none(&c, VT_F_PROXY_IN_FRONT);
	s_expect_healthy(&c);
	vt_check_clear(&c);
}

/* ---- NoAcmeTls1 ---- */

Test(findings_tls, no_acme_tls1_everywhere)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_UNAUTHORIZED, ALPN_DETAIL);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, LE_ISSUER, "CN=example.com", "");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_NO_ACME_TLS1, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "acme-tls/1");
	s_expect_none(&c, VT_F_PROXY_IN_FRONT);
	vt_check_clear(&c);
	/* the server refuses the protocol with an alert: no certificate */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_TLS, "203.0.113.7: remote error: tls: no application protocol");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_NO_ACME_TLS1, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "acme-tls/1");
	s_expect_none(&c, VT_F_TLS_HANDSHAKE_FAILED);
	vt_check_clear(&c);
}

Test(findings_tls, no_acme_tls1_in_one_region)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail(&c.entries[3], VT_PROB_UNAUTHORIZED, ALPN_DETAIL);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_NO_ACME_TLS1, VT_SEV_ERROR, "a4", "acme-tls/1");
	s_expect_none(&c, VT_F_REGIONAL_DIFFERENCE);
	vt_check_clear(&c);
}

Test(findings_tls, no_acme_tls1_in_reachability_mode_is_a_warning)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_REACHABILITY);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, LE_ISSUER, "CN=example.com", "");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_NO_ACME_TLS1, VT_SEV_WARNING, "a1 a2 a3 a4 a5", "acme-tls/1");
	cr_assert(strstr(vt_check_finding(&c, VT_F_NO_ACME_TLS1)->summary, "to any vantage") !=
	          NULL);
	vt_check_clear(&c);
	/* acme-tls/1 negotiated: nothing to say */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_REACHABILITY);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, LE_ISSUER, "CN=example.com", "acme-tls/1");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect_none(&c, VT_F_NO_ACME_TLS1);
	s_expect_none(&c, VT_F_PROXY_IN_FRONT);
	vt_check_clear(&c);
}

/* ---- TLSTooOld, WrongValidationCert, TLSHandshakeFailed ---- */

Test(findings_tls, tls_too_old)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_TLS,
	           "203.0.113.7: remote error: tls: protocol version not supported");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_TLS_TOO_OLD, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "TLS 1.2");
	s_expect_none(&c, VT_F_TLS_HANDSHAKE_FAILED);
	vt_check_clear(&c);
	/* one region reaches an old server */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail(&c.entries[4], VT_PROB_TLS,
	       "203.0.113.9: tls: server selected unsupported protocol "
	       "version 302");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_TLS_TOO_OLD, VT_SEV_ERROR, "a5", "TLS 1.2");
	vt_check_clear(&c);
	/* tls-cert: the agent's words say the version */
	s_tlscert_five(&c, 90, 60);
	for (size_t i = 0; i < c.n_entries; i++) {
		s_fail(&c.entries[i], VT_PROB_TLS,
		       "203.0.113.7: the server only speaks TLS 1.0: browsers and Let's Encrypt "
		       "require TLS 1.2 or better");
		c.entries[i].result.cert.present = false;
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_TLS_TOO_OLD, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "TLS 1.2");
	vt_check_clear(&c);
}

Test(findings_tls, wrong_validation_certificate)
{
	static const char *const rules[] = {
	        "Received certificate with acmeValidationV1 extension value 0011 but expected "
	        "2233.",
	        "Received certificate with acmeValidationV1 extension that is not Critical.",
	        "Received certificate with unexpected identifiers (\"www.example.com\"): "
	        "\"identifier does not match expected identifier\"",
	        "Received certificate which is not self-signed.",
	};
	struct vt_check c;
	char detail[LIMIT_DETAIL_LEN];

	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		snprintf(detail, sizeof(detail), CERT_PREFIX "%s", rules[r]);
		s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
		s_fail_all(&c, VT_PROB_UNAUTHORIZED, detail);
		for (size_t i = 0; i < c.n_entries; i++)
			s_cert(&c.entries[i], SHA_A, "CN=example.com", "CN=example.com",
			       "acme-tls/1");
		verdict_judge(&c, DEFAULT_MIN_ANSWERS);
		s_expect(&c, VT_F_WRONG_VALIDATION_CERT, VT_SEV_ERROR, "a1 a2 a3 a4 a5",
		         "certificate");
		s_expect_none(&c, VT_F_PROXY_IN_FRONT);
		vt_check_clear(&c);
	}
	/* only one region gets the stale certificate */
	snprintf(detail, sizeof(detail), CERT_PREFIX "%s", rules[0]);
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail(&c.entries[2], VT_PROB_UNAUTHORIZED, detail);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_WRONG_VALIDATION_CERT, VT_SEV_ERROR, "a3", "certificate");
	vt_check_clear(&c);
}

Test(findings_tls, tls_handshake_failed)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_TLS, "203.0.113.7: remote error: tls: handshake failure");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_TLS_HANDSHAKE_FAILED, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "TLS");
	s_expect_none(&c, VT_F_TLS_TOO_OLD);
	s_expect_none(&c, VT_F_NO_ACME_TLS1);
	vt_check_clear(&c);
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_MALFORMED, "Server only speaks HTTP, not TLS");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_TLS_HANDSHAKE_FAILED, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "TLS");
	vt_check_clear(&c);
	/* tls-cert: a broken TLS service */
	s_tlscert_five(&c, 90, 60);
	for (size_t i = 0; i < c.n_entries; i++) {
		s_fail(&c.entries[i], VT_PROB_TLS, "203.0.113.7: tls: handshake failure");
		c.entries[i].result.cert.present = false;
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_TLS_HANDSHAKE_FAILED, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "TLS");
	vt_check_clear(&c);
}

/* ---- port 443 not reachable: the findings across vantages ---- */

Test(findings_tls, connect_failures)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail(&c.entries[2], VT_PROB_CONNECTION,
	       "203.0.113.7: Timeout during connect (likely firewall problem)");
	s_fail(&c.entries[3], VT_PROB_CONNECTION,
	       "203.0.113.7: Timeout during connect (likely firewall problem)");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_REGIONAL_BLOCK, VT_SEV_ERROR, "a3 a4", "");
	vt_check_clear(&c);
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_CONNECTION, "203.0.113.7: Connection refused");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_SITE_UNREACHABLE, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "");
	vt_check_clear(&c);
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_CONNECTION,
	           "203.0.113.7: Timeout after connect (your server may be slow or overloaded)");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_SERVER_STALLS, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "");
	vt_check_clear(&c);
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail(&c.entries[1], VT_PROB_CONNECTION,
	       "203.0.113.7: Timeout after connect (your server may be slow or overloaded)");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_SERVER_STALLS, VT_SEV_ERROR, "a2", "");
	vt_check_clear(&c);
	/* something else only in one region */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail(&c.entries[1], VT_PROB_CONNECTION, "Error getting validation data");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_REGIONAL_DIFFERENCE, VT_SEV_ERROR, "a2", "");
	vt_check_clear(&c);
	/* DNS */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	s_fail_all(&c, VT_PROB_DNS,
	           "DNS problem: NXDOMAIN looking up A for example.com - check "
	           "that a DNS record exists for this domain");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_NO_ADDRESSES, VT_SEV_FATAL, "a1 a2 a3 a4 a5", "");
	vt_check_clear(&c);
	/* tls-cert: one region blocked, then everywhere, then stalls */
	s_tlscert_five(&c, 90, 60);
	s_fail(&c.entries[2], VT_PROB_CONNECTION, "203.0.113.7: Connection refused");
	c.entries[2].result.cert.present = false;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_REGIONAL_BLOCK, VT_SEV_ERROR, "a3", "");
	vt_check_clear(&c);
	s_tlscert_five(&c, 90, 60);
	for (size_t i = 0; i < c.n_entries; i++) {
		s_fail(&c.entries[i], VT_PROB_CONNECTION,
		       "203.0.113.7: Timeout during connect (likely firewall problem)");
		c.entries[i].result.cert.present = false;
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_SITE_UNREACHABLE, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "");
	vt_check_clear(&c);
	s_tlscert_five(&c, 90, 60);
	for (size_t i = 0; i < c.n_entries; i++) {
		s_fail(&c.entries[i], VT_PROB_CONNECTION,
		       "203.0.113.7: Timeout after connect (your server may be slow or "
		       "overloaded)");
		c.entries[i].result.cert.present = false;
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_SERVER_STALLS, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "");
	vt_check_clear(&c);
}

Test(findings_tls, certificates_differ_tls_alpn)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], i == 2 ? SHA_B : SHA_A, "CN=example.com", "CN=example.com",
		       "acme-tls/1");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	s_expect(&c, VT_F_CERTIFICATES_DIFFER, VT_SEV_WARNING, "a3", "");
	vt_check_clear(&c);
}

/* ---- tls-cert: the certificate on 443 ---- */

Test(findings_tls, cert_ok_and_only_that)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 60);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	s_expect(&c, VT_F_CERT_OK, VT_SEV_INFO, "a1 a2 a3 a4 a5", "nothing");
	cr_assert_eq(c.n_findings, 1, "a healthy certificate: one finding");
	s_expect_healthy(&c);
	vt_check_clear(&c);
}

Test(findings_tls, cert_expiring_warning_then_error)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 25);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	s_expect(&c, VT_F_CERT_EXPIRING, VT_SEV_WARNING, "a1 a2 a3 a4 a5", "renew");
	s_expect_none(&c, VT_F_CERT_OK);
	s_expect_none(&c, VT_F_CERT_EXPIRED);
	vt_check_clear(&c);
	/* critical: the check fails, so it is an error */
	s_tlscert_five(&c, 90, 6.5);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	s_expect(&c, VT_F_CERT_EXPIRING, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "renew");
	vt_check_clear(&c);
}

Test(findings_tls, cert_expired_and_not_yet_valid)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, -3);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_CERT_EXPIRED, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "renew");
	s_expect_none(&c, VT_F_CERT_EXPIRING);
	vt_check_clear(&c);
	s_tlscert_five(&c, 90, 92);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_CERT_EXPIRED, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "renew");
	vt_check_clear(&c);
}

Test(findings_tls, cert_untrusted)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_tlscert_five(&c, 90, 60);
	for (size_t i = 3; i < c.n_entries; i++) {
		struct vt_cert *k = &c.entries[i].result.cert;
		k->chain_verified = false;
		k->chain_len = 1;
		snprintf(k->verify_error, sizeof(k->verify_error),
		         "unable to get local issuer certificate");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	f = s_expect(&c, VT_F_CERT_UNTRUSTED, VT_SEV_ERROR, "a4 a5", "chain");
	cr_assert(strstr(f->summary, "fullchain.pem") != NULL, "%s", f->summary);
	cr_assert_eq(f->n_evidence, 1);
	cr_assert(strstr(f->evidence[0], "the server sends 1 certificate") != NULL, "%s",
	          f->evidence[0]);
	s_expect(&c, VT_F_CERT_OK, VT_SEV_INFO, "a1 a2 a3 a4 a5", "nothing");
	vt_check_clear(&c);
}

Test(findings_tls, cert_name_mismatch)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 60);
	for (size_t i = 0; i < c.n_entries; i++) {
		struct vt_cert *k = &c.entries[i].result.cert;
		k->name_matches = false;
		snprintf(k->sans[0], sizeof(k->sans[0]), "other.example");
		k->n_sans = 1;
		snprintf(k->verify_error, sizeof(k->verify_error), "hostname mismatch");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_CERT_NAME_MISMATCH, VT_SEV_ERROR, "a1 a2 a3 a4 a5", "names");
	s_expect_none(&c, VT_F_CERT_UNTRUSTED); /* the chain itself verifies */
	vt_check_clear(&c);
}

Test(findings_tls, cert_certificates_differ_names_the_minority)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 60);
	s_tlscert(&c.entries[1], SHA_B, 90, 60);
	s_tlscert(&c.entries[4], SHA_C, 90, 60);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_CERTIFICATES_DIFFER, VT_SEV_WARNING, "a2 a5", "");
	cr_assert_eq(s_count(&c, VT_F_CERT_OK), 3, "one expiry line per certificate");
	vt_check_clear(&c);
}

/* ---- no false alarms ---- */

Test(findings_tls, healthy_checks_have_none_of_these)
{
	struct vt_check c;

	/* TLS-ALPN-01 validated everywhere with the same certificate */
	s_five(&c, VT_METHOD_TLSALPN01, VT_MODE_VALIDATE);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], SHA_A, "CN=example.com", "CN=example.com", "acme-tls/1");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	for (size_t i = 0; i < sizeof(s_ids) / sizeof(s_ids[0]); i++)
		s_expect_none(&c, s_ids[i]);
	s_expect_none(&c, VT_F_CERTIFICATES_DIFFER);
	s_expect_healthy(&c);
	vt_check_clear(&c);
	/* tls-cert: only CertOK */
	s_tlscert_five(&c, 90, 60);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	for (size_t i = 0; i < sizeof(s_ids) / sizeof(s_ids[0]); i++)
		if (s_ids[i] != VT_F_CERT_OK)
			s_expect_none(&c, s_ids[i]);
	s_expect_none(&c, VT_F_CERTIFICATES_DIFFER);
	s_expect_healthy(&c);
	vt_check_clear(&c);
}
