/*
 * test_findings_core.c -- the catalogue of findings (common/finding.c):
 * every id has one complete text whose fix carries the phrase the lab tests
 * look for; the findings across vantages (common/diagnose.c); findings in
 * the JSON document and under the table (common/report.c); `vantage
 * findings` (coordinator/findings_cmd.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/finding.h"
#include "common/report.h"
#include "common/verdict.h"
#include "coordinator/findings_cmd.h"
#include <criterion/redirect.h>

/* ---- the catalogue ---- */

/* The phrase each finding's fix must contain (the lab tests' contract). */
static const struct {
	const char *name, *phrase;
} s_phrases[] = {
        {"AllPass", "Nothing"},
        {"RegionalBlock", "from everywhere"},
        {"SiteUnreachable", "firewall"},
        {"ServerStalls", "proxy"},
        {"IPv6Broken", "AAAA"},
        {"RegionalDifference", "every server"},
        {"AddressesDiffer", "every address"},
        {"CertificatesDiffer", "same certificate"},
        {"VantageSilent", "agent"},
        {"VantageWithoutIPv6", "IPv6"},
        {"TooFewAnswers", "agents"},
        {"ProbeWarning", "warning"},
        {"WebrootMismatch", "document root"},
        {"AccessDenied", "allow"},
        {"ServerError", "error log"},
        {"UnexpectedStatus", "200"},
        {"ContentModified", "exactly the key authorization"},
        {"HttpsRedirectBroken", "exempt /.well-known/acme-challenge/"},
        {"MissingSlashRedirect", "trailing slash"},
        {"BadRedirect", "redirect"},
        {"HttpOnHttpsPort", "ssl"},
        {"CloudflareProxy", "Cloudflare"},
        {"NginxTestCookie", "testcookie"},
        {"FirewallBlockPage", "firewall"},
        {"PortForwarding", "port forwarding"},
        {"InvalidName", "name"},
        {"PublicSuffixName", "registered domain"},
        {"WildcardNeedsDNS01", "dns-01"},
        {"NoAddresses", "A or AAAA record"},
        {"ReservedAddress", "public address"},
        {"NotThisHost", "this server's address"},
        {"DNSServfail", "nameserver"},
        {"DNSLookupFailed", "nameserver"},
        {"DNSSECBogus", "DS"},
        {"TXTMissing", "_acme-challenge"},
        {"TXTMismatch", "value"},
        {"TXTDoubleLabel", "fully qualified"},
        {"StaleTXTRecords", "remove"},
        {"NameserverUnreachable", "every nameserver"},
        {"NameserversDisagree", "every nameserver"},
        {"ProxyInFront", "HTTP-01 or DNS-01"},
        {"NoAcmeTls1", "acme-tls/1"},
        {"TLSTooOld", "TLS 1.2"},
        {"WrongValidationCert", "certificate"},
        {"TLSHandshakeFailed", "TLS"},
        {"CAAForbids", "letsencrypt.org"},
        {"CAAMethodExcluded", "validationmethods"},
        {"CAAAccountURI", "staging"},
        {"CAACriticalUnknown", "critical"},
        {"CAAInvalid", "issue"},
        {"CertExpired", "renew"},
        {"CertExpiring", "renew"},
        {"CertUntrusted", "chain"},
        {"CertNameMismatch", "names"},
        {"CertOK", "othing"},
};

Test(findings_catalogue, every_id_has_one_complete_text)
{
	const struct {
		const struct vt_finding_text *t;
		size_t n;
	} areas[] = {
	        {finding_text_core, finding_text_core_n},
	        {finding_text_http, finding_text_http_n},
	        {finding_text_dns, finding_text_dns_n},
	        {finding_text_tls, finding_text_tls_n},
	        {finding_text_names, finding_text_names_n},
	};

	for (int id = VT_F_NONE + 1; id < VT_F__COUNT; id++) {
		size_t n = 0;
		const struct vt_finding_def *d = finding_def((enum vt_finding_id)id);
		for (size_t a = 0; a < sizeof(areas) / sizeof(areas[0]); a++)
			for (size_t i = 0; i < areas[a].n; i++)
				n += areas[a].t[i].id == (enum vt_finding_id)id;
		cr_assert_not_null(d);
		cr_expect_eq(n, 1, "%s has %zu texts", d->name, n);
		if (d->text == NULL)
			continue;
		cr_expect(d->text->title != NULL && d->text->cause != NULL &&
		                  d->text->fix != NULL && d->text->applies != NULL &&
		                  d->text->example != NULL,
		          "%s: title, applies, cause, fix and example are required", d->name);
	}
}

Test(findings_catalogue, every_fix_carries_its_phrase)
{
	cr_assert_eq(sizeof(s_phrases) / sizeof(s_phrases[0]), (size_t)VT_F__COUNT - 1,
	             "one phrase per finding");
	for (size_t i = 0; i < sizeof(s_phrases) / sizeof(s_phrases[0]); i++) {
		const struct vt_finding_def *d = finding_by_name(s_phrases[i].name);
		cr_assert_not_null(d, "%s is not in the catalogue", s_phrases[i].name);
		if (d->text == NULL || d->text->fix == NULL)
			continue; /* every_id_has_one_complete_text says so */
		cr_expect(strstr(d->text->fix, s_phrases[i].phrase) != NULL,
		          "%s: fix lacks \"%s\": %s", d->name, s_phrases[i].phrase, d->text->fix);
	}
}

Test(findings_catalogue, names_and_severities)
{
	cr_assert_str_eq(finding_name(VT_F_REGIONAL_BLOCK), "RegionalBlock");
	cr_assert_eq(finding_by_name("regionalblock")->id, VT_F_REGIONAL_BLOCK);
	cr_assert_null(finding_by_name("NoSuchFinding"));
	cr_assert_null(finding_def(VT_F_NONE));
	cr_assert_null(finding_def(VT_F__COUNT));
	cr_assert_str_eq(finding_name(VT_F__COUNT), "unknown");
	cr_assert_eq(finding_def(VT_F_CAA_FORBIDS)->severity, VT_SEV_FATAL);
	cr_assert_str_eq(vt_severity_name(VT_SEV_WARNING), "warning");
	cr_assert_eq(vt_severity_parse("fatal"), VT_SEV_FATAL);
	cr_assert_eq(vt_severity_parse("bad"), -1);
	/* ids are unique, case-insensitively */
	for (int a = VT_F_NONE + 1; a < VT_F__COUNT; a++)
		cr_assert_eq(finding_by_name(finding_name((enum vt_finding_id)a))->id, a);
}

Test(findings_catalogue, evidence_vantages_addresses_are_bounded_and_distinct)
{
	struct vt_finding f;

	memset(&f, 0, sizeof(f));
	for (int i = 0; i < 40; i++) {
		finding_add_evidence(&f, "evidence %d", i % 6);
		finding_add_vantage(&f, i % 2 ? "a1" : "a2");
		finding_add_address(&f, i % 3 ? "10.0.0.1" : "10.0.0.2");
	}
	cr_assert_eq(f.n_evidence, FINDING_MAX_EVIDENCE);
	cr_assert_eq(f.n_vantages, 2);
	cr_assert_eq(f.n_addresses, 2);
	finding_add_vantage(&f, "");
	finding_add_evidence(&f, "%s", "");
	cr_assert_eq(f.n_vantages, 2);
}

/* ---- findings across vantages ---- */

static struct vt_entry *s_add(struct vt_check *c, const char *agent, const char *region,
                              enum vt_outcome o, const char *detail)
{
	struct vt_entry *e = vt_check_add_entry(c);

	cr_assert_not_null(e);
	snprintf(e->vantage.agent, sizeof(e->vantage.agent), "%s", agent);
	snprintf(e->vantage.region, sizeof(e->vantage.region), "%s", region);
	snprintf(e->vantage.rir, sizeof(e->vantage.rir), "%s", region[0] == 'e' ? "RIPE" : "ARIN");
	e->vantage.ipv6 = true;
	e->result.outcome = o;
	if (detail != NULL) {
		e->result.problem.type = VT_PROB_CONNECTION;
		snprintf(e->result.problem.detail, sizeof(e->result.problem.detail), "%s", detail);
	}
	return e;
}

/* Five passing vantages (a1 the primary) for example.com http-01, each
 * having resolved 203.0.113.7 and used it. */
static void s_five_pass(struct vt_check *c)
{
	static const char *const names[] = {"a1", "a2", "a3", "a4", "a5"};
	static const char *const regions[] = {"us-east", "us-west", "eu-west", "eu-central",
	                                      "ap-south"};

	memset(c, 0, sizeof(*c));
	snprintf(c->domain, sizeof(c->domain), "example.com");
	c->method = VT_METHOD_HTTP01;
	c->mode = VT_MODE_VALIDATE;
	for (size_t i = 0; i < 5; i++) {
		struct vt_entry *e = s_add(c, names[i], regions[i], VT_OUTCOME_PASS, NULL);
		struct vt_record *r = vt_result_add_record(&e->result);
		cr_assert_not_null(r);
		snprintf(r->addresses_resolved[0], LIMIT_ADDR_LEN, "203.0.113.7");
		r->n_addresses_resolved = 1;
		snprintf(r->address_used, LIMIT_ADDR_LEN, "203.0.113.7");
	}
	c->entries[0].vantage.primary = true;
}

/* Every diagnosis line is the summary of a finding with an id. */
static void s_lines_are_findings(const struct vt_check *c)
{
	cr_assert_eq(c->n_findings, c->n_diagnosis);
	for (size_t i = 0; i < c->n_findings; i++) {
		cr_assert_str_eq(c->findings[i].summary, c->diagnosis[i]);
		cr_assert_neq(c->findings[i].id, VT_F_NONE, "line without a finding: %s",
		              c->diagnosis[i]);
	}
}

Test(findings_core, all_pass_is_info_naming_every_vantage)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five_pass(&c);
	verdict_judge(&c, 3);
	s_lines_are_findings(&c);
	f = vt_check_finding(&c, VT_F_ALL_PASS);
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, VT_SEV_INFO);
	cr_assert_eq(f->n_vantages, 5);
	cr_assert_eq(f->n_addresses, 1);
	cr_assert_str_eq(f->addresses[0], "203.0.113.7");
	for (size_t i = 0; i < c.n_findings; i++)
		cr_assert_eq(c.findings[i].severity, VT_SEV_INFO, "no false alarm: %s",
		             c.findings[i].summary);
	vt_check_clear(&c);
}

Test(findings_core, silent_vantage_and_too_few_answers)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five_pass(&c);
	for (size_t i = 2; i < 5; i++)
		c.entries[i].result.outcome = VT_OUTCOME_UNAVAILABLE;
	verdict_judge(&c, 3);
	s_lines_are_findings(&c);
	f = vt_check_finding(&c, VT_F_VANTAGE_SILENT);
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, VT_SEV_INFO);
	cr_assert_eq(f->n_vantages, 3);
	cr_assert(finding_names_vantage(f, "a3") && !finding_names_vantage(f, "a1"));
	f = vt_check_finding(&c, VT_F_TOO_FEW_ANSWERS);
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, VT_SEV_WARNING);
	cr_assert_eq(c.verdict, VT_VERDICT_UNKNOWN, "findings never change the verdict");
	vt_check_clear(&c);
}

Test(findings_core, ipv6_broken_names_the_vantages_that_fell_back)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five_pass(&c);
	vt_result_add_warning(&c.entries[1].result,
	                      "IPv6 connect to [2001:db8::1]:80 failed; fell back to IPv4");
	vt_result_add_warning(&c.entries[3].result,
	                      "IPv6 connect to [2001:db8::1]:80 failed; fell back to IPv4");
	for (size_t i = 1; i < 4; i += 2) {
		struct vt_record *r = &c.entries[i].result.records[0];
		snprintf(r->addresses_tried[0], LIMIT_ADDR_LEN, "2001:db8::1");
		snprintf(r->addresses_tried[1], LIMIT_ADDR_LEN, "203.0.113.7");
		r->n_addresses_tried = 2;
	}
	verdict_judge(&c, 3);
	s_lines_are_findings(&c);
	f = vt_check_finding(&c, VT_F_IPV6_BROKEN);
	cr_assert_eq(f->n_addresses, 1, "the IPv6 address that failed, not the IPv4 used");
	cr_assert_str_eq(f->addresses[0], "2001:db8::1");
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, VT_SEV_WARNING);
	cr_assert_eq(f->n_vantages, 2);
	cr_assert(finding_names_vantage(f, "a2") && finding_names_vantage(f, "a4"));
	cr_assert_eq(f->n_evidence, 1);
	cr_assert(strstr(f->evidence[0], "fell back to IPv4") != NULL);
	cr_assert_null(vt_check_finding(&c, VT_F_PROBE_WARNING), "the fallback is not repeated");
	vt_check_clear(&c);
}

Test(findings_core, addresses_differ_names_the_odd_region)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five_pass(&c);
	snprintf(c.entries[2].result.records[0].addresses_resolved[0], LIMIT_ADDR_LEN,
	         "198.51.100.9");
	verdict_judge(&c, 3);
	s_lines_are_findings(&c);
	f = vt_check_finding(&c, VT_F_ADDRESSES_DIFFER);
	cr_assert_not_null(f);
	cr_assert_eq(f->severity, VT_SEV_WARNING);
	cr_assert_eq(f->n_vantages, 1);
	cr_assert_str_eq(f->vantages[0], "a3");
	cr_assert(strstr(f->summary, "eu-west") != NULL, "%s", f->summary);
	cr_assert(strstr(f->evidence[0], "198.51.100.9") != NULL, "%s", f->evidence[0]);
	vt_check_clear(&c);

	/* the same set in another order is the same */
	s_five_pass(&c);
	for (size_t i = 0; i < 5; i++) {
		struct vt_record *r = &c.entries[i].result.records[0];
		snprintf(r->addresses_resolved[i % 2], LIMIT_ADDR_LEN, "2001:db8::7");
		snprintf(r->addresses_resolved[1 - i % 2], LIMIT_ADDR_LEN, "203.0.113.7");
		r->n_addresses_resolved = 2;
	}
	verdict_judge(&c, 3);
	cr_assert_null(vt_check_finding(&c, VT_F_ADDRESSES_DIFFER));
	vt_check_clear(&c);
}

Test(findings_core, other_warnings_are_probe_warnings_marked_ones_are_not)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five_pass(&c);
	vt_result_add_warning(&c.entries[0].result, "redirected to https://example.com/x");
	vt_result_add_warning(&c.entries[1].result, "redirected to https://example.com/x");
	vt_result_add_warning(&c.entries[1].result,
	                      "A record 192.168.1.10 of example.com " VT_WARN_RESERVED
	                      " (RFC 1918 private): Let's Encrypt ignores it");
	verdict_judge(&c, 3);
	s_lines_are_findings(&c);
	f = vt_check_finding(&c, VT_F_PROBE_WARNING);
	cr_assert_not_null(f);
	cr_assert_eq(f->n_vantages, 2);
	cr_assert_str_eq(f->evidence[0], "redirected to https://example.com/x");
	for (size_t i = 0; i < c.n_findings; i++)
		cr_assert(strstr(c.findings[i].summary, "warning from") == NULL ||
		                  strstr(c.findings[i].summary, VT_WARN_RESERVED) == NULL,
		          "a marked warning is its own finding's: %s", c.findings[i].summary);
	vt_check_clear(&c);
}

/* ---- JSON and the table ---- */

Test(findings_report, json_and_table_carry_the_finding)
{
	struct vt_check c;
	json_t *doc, *f;
	char *out = NULL;
	size_t len = 0;
	FILE *mem;

	s_five_pass(&c);
	c.entries[2].result.outcome = VT_OUTCOME_FAIL;
	c.entries[2].result.problem.type = VT_PROB_CONNECTION;
	snprintf(c.entries[2].result.problem.detail, LIMIT_DETAIL_LEN,
	         "203.0.113.7: Fetching http://example.com/.well-known/acme-challenge/t: Timeout "
	         "during connect (likely firewall problem)");
	verdict_judge(&c, 3);
	s_lines_are_findings(&c);
	doc = report_json(&c, 1);
	cr_assert_not_null(doc);
	f = json_array_get(
	        json_object_get(json_array_get(json_object_get(doc, "checks"), 0), "findings"), 0);
	cr_assert_not_null(f);
	cr_assert_str_eq(json_string_value(json_object_get(f, "id")), "RegionalBlock");
	cr_assert_str_eq(json_string_value(json_object_get(f, "severity")), "error");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "vantages"), 0)),
	                 "a3");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "addresses"), 0)),
	                 "203.0.113.7");
	cr_assert(strstr(json_string_value(json_array_get(json_object_get(f, "evidence"), 0)),
	                 "Timeout during connect") != NULL);
	cr_assert(strstr(json_string_value(json_object_get(f, "fix")), "from everywhere") != NULL);
	cr_assert(json_is_string(json_object_get(json_object_get(f, "snippets"), "nginx")));
	cr_assert_eq(report_exit_code(doc), 1, "the verdict decides the exit code");

	mem = open_memstream(&out, &len);
	cr_assert_not_null(mem);
	report_print(doc, mem, false);
	fclose(mem);
	cr_assert(strstr(out, "Findings:\n  error   RegionalBlock: fails only from eu-west") !=
	                  NULL,
	          "%s", out);
	cr_assert(strstr(out, "      vantages: a3 (eu-west)\n") != NULL, "%s", out);
	cr_assert(strstr(out, "      fix: Allow /.well-known/acme-challenge/") != NULL, "%s", out);
	cr_assert(strstr(out, "      nginx:\n        # in the server block") != NULL, "%s", out);
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}

/* ---- vantage findings ---- */

static void s_redirect(void)
{
	cr_redirect_stdout();
	cr_redirect_stderr();
}

/* Run findings_main with the NULL-terminated argv; its stdout (or stderr)
 * into buf. */
static int s_run(const char *const *argv, bool err, char *buf, size_t len)
{
	int argc = 0, rc;
	FILE *f;
	size_t n;

	while (argv[argc] != NULL)
		argc++;
	rc = findings_main(argc, (char **)argv);
	fflush(stdout);
	fflush(stderr);
	f = err ? cr_get_redirected_stderr() : cr_get_redirected_stdout();
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	return rc;
}

static char s_buf[1 << 16];

Test(findings_cmd, list, .init = s_redirect)
{
	const char *argv[] = {"findings", NULL};

	cr_assert_eq(s_run(argv, false, s_buf, sizeof(s_buf)), 0);
	cr_assert(strstr(s_buf, "RegionalBlock") != NULL && strstr(s_buf, "CertOK") != NULL);
}

Test(findings_cmd, explain_one_case_insensitive, .init = s_redirect)
{
	const char *argv[] = {"findings", "ipv6broken", NULL};

	cr_assert_eq(s_run(argv, false, s_buf, sizeof(s_buf)), 0);
	cr_assert(strstr(s_buf, "IPv6Broken (warning)") != NULL, "%s", s_buf);
	cr_assert(strstr(s_buf, "  fix: ") != NULL, "%s", s_buf);
}

Test(findings_cmd, json_one, .init = s_redirect)
{
	const char *argv[] = {"findings", "RegionalBlock", "--json", NULL};

	cr_assert_eq(s_run(argv, false, s_buf, sizeof(s_buf)), 0);
	cr_assert(strstr(s_buf, "\"id\": \"RegionalBlock\"") != NULL, "%s", s_buf);
}

Test(findings_cmd, unknown_is_a_usage_error, .init = s_redirect)
{
	const char *argv[] = {"findings", "NoSuchThing", NULL};

	cr_assert_eq(s_run(argv, true, s_buf, sizeof(s_buf)), 2);
	cr_assert(strstr(s_buf, "no finding named \"NoSuchThing\"") != NULL, "%s", s_buf);
}

Test(findings_cmd, markdown_has_every_finding)
{
	char *md = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&md, &len);

	cr_assert_not_null(f);
	findings_markdown(f);
	fclose(f);
	for (int id = VT_F_NONE + 1; id < VT_F__COUNT; id++) {
		char h[64];
		snprintf(h, sizeof(h), "### %s\n", finding_name((enum vt_finding_id)id));
		cr_assert(strstr(md, h) != NULL, "markdown lacks %s", h);
	}
	cr_assert(strstr(md, "## letsdebug's problems vantage leaves out") != NULL);
	free(md);
}

/* Boulder quotes a body of 128 bytes or more in place of the status (nginx's
 * own 404 page is that long): the status still decides the finding. */
Test(findings_core, a_quoted_error_page_is_judged_by_its_status)
{
	struct vt_check c;

	s_five_pass(&c);
	for (size_t i = 0; i < c.n_entries; i++) {
		struct vt_result *r = &c.entries[i].result;
		r->outcome = VT_OUTCOME_FAIL;
		r->problem.type = VT_PROB_UNAUTHORIZED;
		r->http_status = 404;
		snprintf(r->problem.detail, sizeof(r->problem.detail),
		         "203.0.113.7: Invalid response from "
		         "http://example.com/.well-known/acme-challenge/t: "
		         "\"<html>\\r\\n<head><title>404 "
		         "Not Found</title></head>\\r\\n<body>\\r\\n<center><h1>404 Not "
		         "Found</h1></center>\\r\\n<hr><center>nginx</center>\"");
	}
	verdict_judge(&c, 3);
	s_lines_are_findings(&c);
	cr_assert_not_null(vt_check_finding(&c, VT_F_WEBROOT_MISMATCH), "%s", c.diagnosis[0]);
	cr_assert_null(vt_check_finding(&c, VT_F_CONTENT_MODIFIED));
	vt_check_clear(&c);
}
