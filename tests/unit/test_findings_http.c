/*
 * test_findings_http.c -- the HTTP-01 findings (common/diagnose_http.c,
 * common/finding_text_http.c): each failure pattern and each interceptor
 * gives its id with the catalogue's severity, names the vantages that saw
 * it, and its catalogue text carries the fix phrase the lab asserts; a
 * healthy check gives none of them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/finding.h"
#include "common/verdict.h"
#include "common/verdict_ext.h"

#define URL  "http://example.com/.well-known/acme-challenge/tok"
#define URLS "https://example.com/.well-known/acme-challenge/tok"
#define IP   "203.0.113.7: "

static struct vt_entry *s_add(struct vt_check *c, const char *agent, const char *region)
{
	struct vt_entry *e = vt_check_add_entry(c);

	cr_assert_not_null(e);
	snprintf(e->vantage.agent, sizeof(e->vantage.agent), "%s", agent);
	snprintf(e->vantage.region, sizeof(e->vantage.region), "%s", region);
	snprintf(e->vantage.rir, sizeof(e->vantage.rir), "%s", "ARIN");
	e->vantage.ipv6 = true;
	e->result.outcome = VT_OUTCOME_PASS;
	snprintf(e->result.server, sizeof(e->result.server), "nginx/1.24.0");
	snprintf(e->result.body, sizeof(e->result.body), "tok.thumb");
	e->result.http_status = 200;
	return e;
}

/* Five passing HTTP-01 vantages in five regions; a1 is the primary. */
static void s_healthy(struct vt_check *c)
{
	static const char *const regions[] = {"us-east", "us-west", "eu-west", "ap-south",
	                                      "sa-east"};

	memset(c, 0, sizeof(*c));
	snprintf(c->domain, sizeof(c->domain), "example.com");
	c->method = VT_METHOD_HTTP01;
	c->mode = VT_MODE_VALIDATE;
	for (size_t i = 0; i < 5; i++) {
		char agent[8];
		snprintf(agent, sizeof(agent), "a%zu", i + 1);
		s_add(c, agent, regions[i])->vantage.primary = i == 0;
	}
}

static void s_fail(struct vt_check *c, size_t i, enum vt_problem_type type, const char *detail)
{
	struct vt_result *r = &c->entries[i].result;

	r->outcome = VT_OUTCOME_FAIL;
	r->problem.type = type;
	snprintf(r->problem.detail, sizeof(r->problem.detail), "%s", detail);
}

/* Every vantage fails with detail, then judge. */
static void s_everywhere(struct vt_check *c, enum vt_problem_type type, const char *detail)
{
	s_healthy(c);
	for (size_t i = 0; i < c->n_entries; i++)
		s_fail(c, i, type, detail);
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c->verdict, VT_VERDICT_FAIL);
}

/* Only a3 (eu-west) fails with detail, then judge. */
static void s_only_a3(struct vt_check *c, enum vt_problem_type type, const char *detail)
{
	s_healthy(c);
	s_fail(c, 2, type, detail);
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c->verdict, VT_VERDICT_FAIL);
}

static void s_dump(const struct vt_check *c)
{
	for (size_t i = 0; i < c->n_findings; i++)
		cr_log_info("finding[%zu] %s (%s): %s", i, finding_name(c->findings[i].id),
		            vt_severity_name(c->findings[i].severity), c->findings[i].summary);
}

/* The finding id is in c with severity sev, its catalogue fix carries
 * phrase, and it names exactly nv vantages.  Returns it. */
static const struct vt_finding *s_expect(const struct vt_check *c, enum vt_finding_id id,
                                         enum vt_severity sev, size_t nv, const char *phrase)
{
	const struct vt_finding *f = vt_check_finding(c, id);
	const struct vt_finding_def *def = finding_def(id);

	if (f == NULL)
		s_dump(c);
	cr_assert_not_null(f, "no finding %s", finding_name(id));
	cr_assert_eq(f->severity, sev, "%s: severity %s", finding_name(id),
	             vt_severity_name(f->severity));
	cr_assert_eq(f->n_vantages, nv, "%s: %zu vantages", finding_name(id), f->n_vantages);
	cr_assert_not_null(def);
	/* the texts of the findings across vantages and of DNS live in other
	 * files (finding_text_core.c, _dns.c); test_findings_http's own ids
	 * are checked to have theirs in every_text_has_its_fix_phrase */
	if (def->text != NULL)
		cr_assert_not_null(strstr(def->text->fix, phrase), "%s: fix lacks \"%s\"",
		                   finding_name(id), phrase);
	/* every line of the diagnosis is a finding */
	cr_assert_eq(c->n_findings, c->n_diagnosis);
	for (size_t i = 0; i < c->n_findings; i++) {
		cr_assert_str_eq(c->findings[i].summary, c->diagnosis[i]);
		/* a failing check here has only failure groups and interceptors,
		 * every one of which names its finding (a passing one starts with
		 * diagnose.c's "passes from all" line) */
		if (c->verdict == VT_VERDICT_FAIL)
			cr_assert_neq(c->findings[i].id, VT_F_NONE, "finding %zu has no id: %s", i,
			              c->findings[i].summary);
	}
	return f;
}

static void s_expect_none(const struct vt_check *c, enum vt_finding_id id)
{
	if (vt_check_finding(c, id) != NULL)
		s_dump(c);
	cr_assert_null(vt_check_finding(c, id), "unexpected finding %s", finding_name(id));
}

/* ---- the catalogue ---- */

Test(findings_http, every_text_has_its_fix_phrase)
{
	static const struct {
		enum vt_finding_id id;
		const char *phrase;
	} t[] = {
	        {VT_F_WEBROOT_MISMATCH, "document root"},
	        {VT_F_ACCESS_DENIED, "allow"},
	        {VT_F_SERVER_ERROR, "error log"},
	        {VT_F_UNEXPECTED_STATUS, "200"},
	        {VT_F_CONTENT_MODIFIED, "exactly the key authorization"},
	        {VT_F_HTTPS_REDIRECT_BROKEN, "exempt /.well-known/acme-challenge/"},
	        {VT_F_MISSING_SLASH_REDIRECT, "trailing slash"},
	        {VT_F_BAD_REDIRECT, "redirect"},
	        {VT_F_HTTP_ON_HTTPS_PORT, "ssl"},
	        {VT_F_CLOUDFLARE_PROXY, "Cloudflare"},
	        {VT_F_NGINX_TEST_COOKIE, "testcookie"},
	        {VT_F_FIREWALL_BLOCK_PAGE, "firewall"},
	        {VT_F_PORT_FORWARDING, "port forwarding"},
	};

	cr_assert_eq(finding_text_http_n, sizeof(t) / sizeof(t[0]));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct vt_finding_def *def = finding_def(t[i].id);
		const struct vt_finding_text *x;
		cr_assert_not_null(def);
		x = def->text;
		cr_assert_not_null(x, "%s has no text", finding_name(t[i].id));
		cr_assert_eq(x->id, t[i].id);
		cr_assert(x->title != NULL && x->title[0] != '\0');
		cr_assert_str_eq(x->applies, "http-01");
		cr_assert(x->cause != NULL && strlen(x->cause) > 80, "%s: cause",
		          finding_name(t[i].id));
		cr_assert_not_null(strstr(x->fix, t[i].phrase), "%s: fix lacks \"%s\"",
		                   finding_name(t[i].id), t[i].phrase);
		cr_assert(x->example != NULL && x->example[0] != '\0');
	}
}

Test(findings_http, redirect_snippets_exempt_the_challenge)
{
	const struct vt_finding_text *x = finding_def(VT_F_HTTPS_REDIRECT_BROKEN)->text;

	cr_assert_not_null(strstr(x->nginx, "location ^~ /.well-known/acme-challenge/"));
	cr_assert_not_null(strstr(x->nginx, "return 301"));
	cr_assert(strstr(x->nginx, "location ^~") < strstr(x->nginx, "return 301"));
	cr_assert_not_null(
	        strstr(x->apache, "RewriteCond %{REQUEST_URI} !^/\\.well-known/acme-challenge/"));
	cr_assert_not_null(x->caddy);
	cr_assert_not_null(x->cloudflare);
	x = finding_def(VT_F_MISSING_SLASH_REDIRECT)->text;
	cr_assert_not_null(strstr(x->apache, "Redirect permanent / https://example.com/\n"));
	x = finding_def(VT_F_NGINX_TEST_COOKIE)->text;
	cr_assert_not_null(strstr(x->nginx, "testcookie off;"));
}

/* ---- connection failures ---- */

Test(findings_http, sitewide_refused_is_site_unreachable)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_CONNECTION, IP "Fetching " URL ": Connection refused");
	s_expect(&c, VT_F_SITE_UNREACHABLE, VT_SEV_ERROR, 5, "firewall");
	s_expect_none(&c, VT_F_HTTPS_REDIRECT_BROKEN);
	vt_check_clear(&c);
}

Test(findings_http, partial_timeout_is_regional_block)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_only_a3(&c, VT_PROB_CONNECTION,
	          IP "Fetching " URL ": Timeout during connect (likely firewall problem)");
	f = s_expect(&c, VT_F_REGIONAL_BLOCK, VT_SEV_ERROR, 1, "from everywhere");
	cr_assert(finding_names_vantage(f, "a3"));
	cr_assert(finding_has_evidence(f, "Timeout during connect"));
	vt_check_clear(&c);
}

Test(findings_http, timeout_after_connect_is_server_stalls)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_CONNECTION,
	             IP "Fetching " URL ": Timeout after connect (your server may be slow or "
	                "overloaded)");
	s_expect(&c, VT_F_SERVER_STALLS, VT_SEV_ERROR, 5, "proxy");
	vt_check_clear(&c);
	s_only_a3(&c, VT_PROB_CONNECTION,
	          IP "Fetching " URL ": Timeout after connect (your server may be slow or "
	             "overloaded)");
	s_expect(&c, VT_F_SERVER_STALLS, VT_SEV_ERROR, 1, "proxy");
	vt_check_clear(&c);
}

/* ---- statuses and content ---- */

Test(findings_http, status_404_is_webroot_mismatch)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_everywhere(&c, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 404");
	f = s_expect(&c, VT_F_WEBROOT_MISMATCH, VT_SEV_ERROR, 5, "document root");
	cr_assert(finding_names_vantage(f, "a1") && finding_names_vantage(f, "a5"));
	cr_assert(finding_has_evidence(f, ": 404"));
	cr_assert_not_null(strstr(f->summary, "webroot mismatch"));
	vt_check_clear(&c);
}

Test(findings_http, status_401_403_451_are_access_denied)
{
	static const char *const details[] = {
	        IP "Invalid response from " URL ": 401",
	        IP "Invalid response from " URL ": 403",
	        IP "Invalid response from " URL ": 451",
	};
	struct vt_check c;

	for (size_t i = 0; i < 3; i++) {
		s_everywhere(&c, VT_PROB_UNAUTHORIZED, details[i]);
		s_expect(&c, VT_F_ACCESS_DENIED, VT_SEV_ERROR, 5, "allow");
		s_expect_none(&c, VT_F_REGIONAL_BLOCK);
		vt_check_clear(&c);
	}
}

Test(findings_http, status_5xx_is_server_error)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 502");
	s_expect(&c, VT_F_SERVER_ERROR, VT_SEV_ERROR, 5, "error log");
	vt_check_clear(&c);
}

Test(findings_http, other_status_is_unexpected_status)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 429");
	s_expect(&c, VT_F_UNEXPECTED_STATUS, VT_SEV_ERROR, 5, "200");
	s_expect_none(&c, VT_F_SERVER_ERROR);
	vt_check_clear(&c);
}

Test(findings_http, mismatch_and_page_are_content_modified)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_UNAUTHORIZED,
	             "The key authorization file from the server did not match this challenge. "
	             "Expected \"tok.thumb\" (got \"<html>tok.thumb\")");
	s_expect(&c, VT_F_CONTENT_MODIFIED, VT_SEV_ERROR, 5, "exactly the key authorization");
	vt_check_clear(&c);
	s_everywhere(&c, VT_PROB_UNAUTHORIZED,
	             IP "Invalid response from " URL ": \"<!DOCTYPE html><html lang=\\\"en\\\">\"");
	s_expect(&c, VT_F_CONTENT_MODIFIED, VT_SEV_ERROR, 5, "exactly the key authorization");
	vt_check_clear(&c);
}

Test(findings_http, partial_403_is_regional_block)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_only_a3(&c, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 403");
	f = s_expect(&c, VT_F_REGIONAL_BLOCK, VT_SEV_ERROR, 1, "from everywhere");
	cr_assert(finding_names_vantage(f, "a3"));
	cr_assert_not_null(strstr(f->summary, "geo-IP rule or WAF"));
	s_expect_none(&c, VT_F_ACCESS_DENIED);
	vt_check_clear(&c);
}

Test(findings_http, partial_status_content_redirect_are_regional_difference)
{
	static const char *const details[] = {
	        IP "Invalid response from " URL ": 404",
	        "The key authorization file from the server did not match this challenge. "
	        "Expected \"tok.thumb\" (got \"old.thumb\")",
	        IP "Fetching http://example.com/max-redirect/12: Too many redirects",
	        IP "Fetching " URLS ": remote error: tls: handshake failure",
	};
	struct vt_check c;

	for (size_t i = 0; i < sizeof(details) / sizeof(details[0]); i++) {
		const struct vt_finding *f;
		s_only_a3(&c, i == 3 ? VT_PROB_TLS : VT_PROB_UNAUTHORIZED, details[i]);
		f = s_expect(&c, VT_F_REGIONAL_DIFFERENCE, VT_SEV_ERROR, 1, "every server");
		cr_assert(finding_names_vantage(f, "a3"));
		s_expect_none(&c, VT_F_WEBROOT_MISMATCH);
		s_expect_none(&c, VT_F_CONTENT_MODIFIED);
		s_expect_none(&c, VT_F_BAD_REDIRECT);
		vt_check_clear(&c);
	}
}

/* ---- redirects ---- */

Test(findings_http, https_redirect_to_closed_443)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_everywhere(&c, VT_PROB_CONNECTION, IP "Fetching " URLS ": Connection refused");
	f = s_expect(&c, VT_F_HTTPS_REDIRECT_BROKEN, VT_SEV_ERROR, 5,
	             "exempt /.well-known/acme-challenge/");
	cr_assert_not_null(strstr(f->summary, "after the redirect to https://"));
	cr_assert(finding_has_evidence(f, URLS));
	s_expect_none(&c, VT_F_SITE_UNREACHABLE);
	vt_check_clear(&c);
	s_everywhere(&c, VT_PROB_CONNECTION,
	             IP "Fetching " URLS ": Timeout during connect (likely firewall problem)");
	s_expect(&c, VT_F_HTTPS_REDIRECT_BROKEN, VT_SEV_ERROR, 5,
	         "exempt /.well-known/acme-challenge/");
	vt_check_clear(&c);
}

Test(findings_http, partial_refusal_on_443_names_port_443)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_only_a3(&c, VT_PROB_CONNECTION, IP "Fetching " URLS ": Connection refused");
	f = s_expect(&c, VT_F_REGIONAL_BLOCK, VT_SEV_ERROR, 1, "from everywhere");
	cr_assert_not_null(strstr(f->summary, "allow port 443 from everywhere"), "%s", f->summary);
	vt_check_clear(&c);
	s_only_a3(&c, VT_PROB_CONNECTION, IP "Fetching " URL ": Connection refused");
	f = s_expect(&c, VT_F_REGIONAL_BLOCK, VT_SEV_ERROR, 1, "from everywhere");
	cr_assert_not_null(strstr(f->summary, "allow port 80 from everywhere"), "%s", f->summary);
	vt_check_clear(&c);
}

Test(findings_http, https_redirect_tls_failures)
{
	struct vt_check c;

	/* a TLS alert from the HTTPS redirect target */
	s_everywhere(&c, VT_PROB_TLS, IP "Fetching " URLS ": remote error: tls: handshake failure");
	s_expect(&c, VT_F_HTTPS_REDIRECT_BROKEN, VT_SEV_ERROR, 5,
	         "exempt /.well-known/acme-challenge/");
	vt_check_clear(&c);
	/* TLS below 1.2 (agent/redirect.c's text, Boulder's) */
	s_everywhere(&c, VT_PROB_CONNECTION,
	             IP "Fetching " URLS ": validation attempt was redirected to an HTTPS server "
	                "that doesn't support TLSv1.2 or better. See https://community."
	                "letsencrypt.org/t/rejecting-sha-1-csrs-and-validation-using-tls-1-0-1-1-"
	                "urls/175144");
	s_expect(&c, VT_F_HTTPS_REDIRECT_BROKEN, VT_SEV_ERROR, 5,
	         "exempt /.well-known/acme-challenge/");
	cr_assert_not_null(strstr(c.findings[0].summary, "TLS 1.1 or older"));
	vt_check_clear(&c);
	/* https:// on a port other than 443 */
	s_everywhere(&c, VT_PROB_CONNECTION,
	             IP "Fetching https://example.com:8443/.well-known/acme-challenge/tok: Invalid "
	                "port in redirect target. Only ports 80 and 443 are supported, not 8443");
	s_expect(&c, VT_F_HTTPS_REDIRECT_BROKEN, VT_SEV_ERROR, 5,
	         "exempt /.well-known/acme-challenge/");
	cr_assert_not_null(strstr(c.findings[0].summary, "port other than 80 or 443"));
	vt_check_clear(&c);
}

Test(findings_http, missing_slash_redirect)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_everywhere(&c, VT_PROB_CONNECTION,
	             IP "Fetching https://example.com.well-known/acme-challenge/tok: Invalid host "
	                "in redirect target \"example.com.well-known\". Check webserver config for "
	                "missing '/' in redirect target.");
	f = s_expect(&c, VT_F_MISSING_SLASH_REDIRECT, VT_SEV_ERROR, 5, "trailing slash");
	cr_assert_not_null(strstr(f->summary, "without a '/'"));
	s_expect_none(&c, VT_F_BAD_REDIRECT);
	s_expect_none(&c, VT_F_HTTPS_REDIRECT_BROKEN);
	vt_check_clear(&c);
}

Test(findings_http, other_redirect_problems_are_bad_redirect)
{
	static const char *const details[] = {
	        IP "Fetching http://example.com/max-redirect/12: Too many redirects",
	        IP "Fetching http://example.com/a: Redirect loop detected",
	        IP "Fetching http://example.com:8080/.well-known/acme-challenge/tok: Invalid port "
	           "in redirect target. Only ports 80 and 443 are supported, not 8080",
	        IP "Fetching ftp://example.com/x: Invalid protocol scheme in redirect target. "
	           "Only \"http\" and \"https\" protocol schemes are supported, not \"ftp\"",
	        IP "Fetching http://10.0.0.1/x: Invalid host in redirect target: IP address is "
	           "in a reserved address block: [RFC1918]: Private-Use",
	        IP "Fetching http://example.org/303-see-other: received disallowed redirect "
	           "status code",
	};
	struct vt_check c;

	for (size_t i = 0; i < sizeof(details) / sizeof(details[0]); i++) {
		s_everywhere(&c, VT_PROB_CONNECTION, details[i]);
		s_expect(&c, VT_F_BAD_REDIRECT, VT_SEV_ERROR, 5, "redirect");
		s_expect_none(&c, VT_F_HTTPS_REDIRECT_BROKEN);
		s_expect_none(&c, VT_F_MISSING_SLASH_REDIRECT);
		vt_check_clear(&c);
	}
}

Test(findings_http, http_on_https_port_from_tls_error)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_MALFORMED,
	             IP "Fetching https://example.com:80/.well-known/acme-challenge/tok: Server "
	                "only speaks HTTP, not TLS");
	s_expect(&c, VT_F_HTTP_ON_HTTPS_PORT, VT_SEV_ERROR, 5, "ssl");
	s_expect_none(&c, VT_F_HTTPS_REDIRECT_BROKEN);
	/* the interceptor pass does not say it twice */
	for (size_t i = 0; i < c.n_entries; i++)
		snprintf(c.entries[i].result.body, sizeof(c.entries[i].result.body),
		         "<html><head><title>400 The plain HTTP request was sent to HTTPS port");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.findings[0].id, VT_F_HTTP_ON_HTTPS_PORT);
	for (size_t i = 1; i < c.n_findings; i++)
		cr_assert_neq(c.findings[i].id, VT_F_HTTP_ON_HTTPS_PORT);
	vt_check_clear(&c);
}

Test(findings_http, http_on_https_port_from_body)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_healthy(&c);
	for (size_t i = 0; i < c.n_entries; i++) {
		s_fail(&c, i, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 400");
		c.entries[i].result.http_status = 400;
		snprintf(c.entries[i].result.body, sizeof(c.entries[i].result.body),
		         "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS "
		         "port</title></head>");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_UNEXPECTED_STATUS, VT_SEV_ERROR, 5, "200");
	f = s_expect(&c, VT_F_HTTP_ON_HTTPS_PORT, VT_SEV_ERROR, 5, "ssl");
	cr_assert_not_null(strstr(f->summary, "from every vantage"));
	cr_assert_str_eq(f->evidence[0],
	                 "body contains \"The plain HTTP request was sent to HTTPS port\"");
	cr_assert(finding_has_evidence(f, ": 400"));
	vt_check_clear(&c);
	/* Apache's words, from one vantage */
	s_only_a3(&c, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 400");
	snprintf(c.entries[2].result.body, sizeof(c.entries[2].result.body),
	         "Reason: You're speaking plain HTTP to an SSL-enabled server port.<br />");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	f = s_expect(&c, VT_F_HTTP_ON_HTTPS_PORT, VT_SEV_ERROR, 1, "ssl");
	cr_assert(finding_names_vantage(f, "a3"));
	cr_assert_not_null(strstr(f->summary, "from eu-west"));
	vt_check_clear(&c);
}

Test(findings_http, dns_failure_uses_the_dns_id)
{
	struct vt_check c;

	s_everywhere(
	        &c, VT_PROB_DNS,
	        "DNS problem: NXDOMAIN looking up A for example.com - check that a DNS record "
	        "exists for this domain; DNS problem: NXDOMAIN looking up AAAA for example.com "
	        "- check that a DNS record exists for this domain");
	s_expect(&c, VT_F_NO_ADDRESSES, VT_SEV_FATAL, 5, "A or AAAA record");
	vt_check_clear(&c);
}

/* ---- interceptors ---- */

Test(findings_http, cloudflare_proxy_everywhere_is_a_warning_on_a_pass)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_healthy(&c);
	for (size_t i = 0; i < c.n_entries; i++)
		snprintf(c.entries[i].result.server, sizeof(c.entries[i].result.server),
		         "cloudflare");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	f = s_expect(&c, VT_F_CLOUDFLARE_PROXY, VT_SEV_WARNING, 5, "Cloudflare");
	cr_assert_not_null(strstr(f->summary, "from every vantage (Server: cloudflare)"));
	cr_assert_str_eq(f->evidence[0], "Server: cloudflare");
	cr_assert_eq(f->n_evidence, 1);
	vt_check_clear(&c);
}

Test(findings_http, cloudflare_proxy_from_some_vantages)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_healthy(&c);
	snprintf(c.entries[1].result.server, sizeof(c.entries[1].result.server), "CloudFlare");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	f = s_expect(&c, VT_F_CLOUDFLARE_PROXY, VT_SEV_WARNING, 1, "Cloudflare");
	cr_assert(finding_names_vantage(f, "a2"));
	cr_assert_not_null(strstr(f->summary, "from us-west (Server: CloudFlare)"));
	vt_check_clear(&c);
}

Test(findings_http, nginx_testcookie)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_healthy(&c);
	for (size_t i = 0; i < c.n_entries; i++) {
		s_fail(&c, i, VT_PROB_UNAUTHORIZED,
		       IP "Invalid response from " URL ": \"<html><body><script "
		          "type=\\\"text/javascript\\\" src=\\\"/aes.min.js\\\" ></script>\"");
		snprintf(c.entries[i].result.body, sizeof(c.entries[i].result.body),
		         "<html><body><script type=\"text/javascript\" src=\"/aes.min.js\" "
		         "></script><script>function toNumbers(d){var e=[];d.replace(/(..)/g,"
		         "function(d){e.push(parseInt(d,16))});return e}");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_CONTENT_MODIFIED, VT_SEV_ERROR, 5, "exactly the key authorization");
	f = s_expect(&c, VT_F_NGINX_TEST_COOKIE, VT_SEV_ERROR, 5, "testcookie");
	cr_assert_str_eq(f->evidence[0], "body contains \"src=\"/aes.min.js\"\"");
	cr_assert(finding_has_evidence(f, "Invalid response from"));
	vt_check_clear(&c);
}

Test(findings_http, firewall_block_page_from_one_region)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_only_a3(&c, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 503");
	snprintf(c.entries[2].result.body, sizeof(c.entries[2].result.body),
	         "<html><head><title>Application Blocked</title></head><body>Application "
	         "used: acme-protocol");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_REGIONAL_DIFFERENCE, VT_SEV_ERROR, 1, "every server");
	f = s_expect(&c, VT_F_FIREWALL_BLOCK_PAGE, VT_SEV_ERROR, 1, "firewall");
	cr_assert(finding_names_vantage(f, "a3"));
	cr_assert_str_eq(f->evidence[0], "body contains \"acme-protocol\"");
	cr_assert_not_null(strstr(f->summary, "from eu-west"));
	vt_check_clear(&c);
}

Test(findings_http, port_forwarding_by_server_or_body)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_everywhere(&c, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 404");
	for (size_t i = 0; i < c.n_entries; i++)
		snprintf(c.entries[i].result.server, sizeof(c.entries[i].result.server),
		         "micro_httpd");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	f = s_expect(&c, VT_F_PORT_FORWARDING, VT_SEV_WARNING, 5, "port forwarding");
	cr_assert_str_eq(f->evidence[0], "Server: micro_httpd");
	cr_assert_not_null(strstr(f->summary, "(Server: micro_httpd)"));
	vt_check_clear(&c);

	s_only_a3(&c, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 401");
	snprintf(c.entries[2].result.server, sizeof(c.entries[2].result.server), "%s",
	         "Mini web server 1.0 ZTE corp 2005.");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	f = s_expect(&c, VT_F_PORT_FORWARDING, VT_SEV_WARNING, 1, "port forwarding");
	cr_assert(finding_names_vantage(f, "a3"));
	vt_check_clear(&c);

	s_only_a3(&c, VT_PROB_UNAUTHORIZED, IP "Invalid response from " URL ": 200");
	snprintf(c.entries[2].result.body, sizeof(c.entries[2].result.body),
	         "<html><head><title>RouterOS router configuration page</title>");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	f = s_expect(&c, VT_F_PORT_FORWARDING, VT_SEV_WARNING, 1, "port forwarding");
	cr_assert_str_eq(f->evidence[0], "body contains \"RouterOS\"");
	vt_check_clear(&c);
}

/* ---- no false alarms ---- */

Test(findings_http, healthy_check_has_no_http_finding)
{
	static const enum vt_finding_id ids[] = {
	        VT_F_WEBROOT_MISMATCH,       VT_F_ACCESS_DENIED,     VT_F_SERVER_ERROR,
	        VT_F_UNEXPECTED_STATUS,      VT_F_CONTENT_MODIFIED,  VT_F_HTTPS_REDIRECT_BROKEN,
	        VT_F_MISSING_SLASH_REDIRECT, VT_F_BAD_REDIRECT,      VT_F_HTTP_ON_HTTPS_PORT,
	        VT_F_CLOUDFLARE_PROXY,       VT_F_NGINX_TEST_COOKIE, VT_F_FIREWALL_BLOCK_PAGE,
	        VT_F_PORT_FORWARDING,        VT_F_REGIONAL_BLOCK,    VT_F_SITE_UNREACHABLE,
	        VT_F_REGIONAL_DIFFERENCE,    VT_F_SERVER_STALLS,
	};
	static const char *const servers[] = {"nginx/1.24.0", "Apache/2.4.62 (Debian)", "Caddy",
	                                      "LANCOM-like-name", ""};
	struct vt_check c;

	s_healthy(&c);
	for (size_t i = 0; i < c.n_entries; i++)
		snprintf(c.entries[i].result.server, sizeof(c.entries[i].result.server), "%s",
		         servers[i]);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		s_expect_none(&c, ids[i]);
	for (size_t i = 0; i < c.n_findings; i++)
		cr_assert_lt(c.findings[i].severity, VT_SEV_WARNING, "%s", c.findings[i].summary);
	vt_check_clear(&c);
}

Test(findings_http, ordinary_pages_are_not_interceptors)
{
	struct vt_check c;

	/* a CMS page: ContentModified, and nothing it does not show */
	s_healthy(&c);
	for (size_t i = 0; i < c.n_entries; i++) {
		s_fail(&c, i, VT_PROB_UNAUTHORIZED,
		       IP "Invalid response from " URL ": \"<!DOCTYPE html><html><head>\"");
		snprintf(c.entries[i].result.body, sizeof(c.entries[i].result.body),
		         "<!DOCTYPE html><html><head><title>Welcome</title><style>body{font-family:"
		         "\"Lucida Grande\"}</style></head><body>Page not found</body></html>");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect(&c, VT_F_CONTENT_MODIFIED, VT_SEV_ERROR, 5, "exactly the key authorization");
	s_expect_none(&c, VT_F_NGINX_TEST_COOKIE);
	s_expect_none(&c, VT_F_FIREWALL_BLOCK_PAGE);
	s_expect_none(&c, VT_F_PORT_FORWARDING);
	s_expect_none(&c, VT_F_HTTP_ON_HTTPS_PORT);
	s_expect_none(&c, VT_F_CLOUDFLARE_PROXY);
	vt_check_clear(&c);
}

Test(findings_http, interceptors_only_for_http01)
{
	struct vt_check c;

	s_healthy(&c);
	c.method = VT_METHOD_TLSALPN01;
	for (size_t i = 0; i < c.n_entries; i++)
		snprintf(c.entries[i].result.server, sizeof(c.entries[i].result.server),
		         "cloudflare");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	s_expect_none(&c, VT_F_CLOUDFLARE_PROXY);
	vt_check_clear(&c);
}
