/*
 * test_report.c -- the JSON document (docs/json-schema.md) and the table
 * printed from it (common/report.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/certcheck.h"
#include "common/report.h"

#define GEO_DETAIL                                                                                 \
	"203.0.113.7: Fetching http://example.com/.well-known/acme-challenge/tok: Timeout during " \
	"connect (likely firewall problem)"

static struct vt_entry *s_add(struct vt_check *c, const char *agent, const char *region,
                              const char *rir, enum vt_outcome o, const char *detail)
{
	struct vt_entry *e = vt_check_add_entry(c);
	struct vt_record *r;

	cr_assert_not_null(e);
	snprintf(e->vantage.agent, sizeof(e->vantage.agent), "%s", agent);
	snprintf(e->vantage.region, sizeof(e->vantage.region), "%s", region);
	snprintf(e->vantage.rir, sizeof(e->vantage.rir), "%s", rir);
	e->vantage.ipv6 = true;
	e->result.outcome = o;
	e->result.timings.total_ms = 42;
	if (o == VT_OUTCOME_UNAVAILABLE)
		return e;
	r = vt_result_add_record(&e->result);
	cr_assert_not_null(r);
	snprintf(r->url, sizeof(r->url), "http://example.com/.well-known/acme-challenge/tok");
	snprintf(r->hostname, sizeof(r->hostname), "example.com");
	r->port = 80;
	snprintf(r->addresses_resolved[0], LIMIT_ADDR_LEN, "2001:db8::7");
	snprintf(r->addresses_resolved[1], LIMIT_ADDR_LEN, "203.0.113.7");
	r->n_addresses_resolved = 2;
	snprintf(r->address_used, LIMIT_ADDR_LEN, "203.0.113.7");
	if (detail != NULL) {
		e->result.problem.type = VT_PROB_CONNECTION;
		snprintf(e->result.problem.detail, sizeof(e->result.problem.detail), "%s", detail);
	} else {
		e->result.http_status = 200;
	}
	return e;
}

/* Five vantages, a3 (eu-west) failing by geo-block; a1 is the primary. */
static void s_geo(struct vt_check *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->domain, sizeof(c->domain), "example.com");
	c->method = VT_METHOD_HTTP01;
	c->mode = VT_MODE_VALIDATE;
	s_add(c, "a1", "us-east", "ARIN", VT_OUTCOME_PASS, NULL)->vantage.primary = true;
	s_add(c, "a2", "us-west", "ARIN", VT_OUTCOME_PASS, NULL);
	s_add(c, "a3", "eu-west", "RIPE", VT_OUTCOME_FAIL, GEO_DETAIL);
	s_add(c, "a4", "ap-south", "APNIC", VT_OUTCOME_PASS, NULL);
	s_add(c, "a5", "sa-east", "LACNIC", VT_OUTCOME_PASS, NULL);
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
}

static const json_t *s_path(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	cr_assert_not_null(v, "missing key %s", key);
	return v;
}

static const json_t *s_result(const json_t *doc, size_t check, size_t i)
{
	const json_t *c = json_array_get(s_path(doc, "checks"), check);
	cr_assert_not_null(c);
	return json_array_get(s_path(c, "results"), i);
}

/* Print doc into a string (caller frees). */
static char *s_print(const json_t *doc, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	report_print(doc, f, color);
	cr_assert_eq(fclose(f), 0);
	cr_assert_not_null(buf);
	return buf;
}

Test(report, top_level_fields)
{
	struct vt_check c;
	json_t *doc;

	s_geo(&c);
	doc = report_json(&c, 1);
	cr_assert_not_null(doc);
	cr_assert_eq(json_integer_value(s_path(doc, "version")), 1);
	cr_assert_str_eq(json_string_value(s_path(doc, "tool")), "vantage");
	cr_assert_str_eq(json_string_value(s_path(doc, "vantage_version")), VANTAGE_VERSION);
	cr_assert_str_eq(json_string_value(s_path(doc, "verdict")), "fail");
	cr_assert_eq(json_integer_value(s_path(doc, "exit_code")), 1);
	cr_assert_eq(report_exit_code(doc), 1);
	cr_assert_eq(json_array_size(s_path(doc, "checks")), 1);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, check_fields)
{
	struct vt_check c;
	json_t *doc;
	const json_t *chk, *le, *diag;

	s_geo(&c);
	doc = report_json(&c, 1);
	chk = json_array_get(s_path(doc, "checks"), 0);
	cr_assert_str_eq(json_string_value(s_path(chk, "domain")), "example.com");
	cr_assert_str_eq(json_string_value(s_path(chk, "method")), "http-01");
	cr_assert_str_eq(json_string_value(s_path(chk, "mode")), "validate");
	cr_assert_str_eq(json_string_value(s_path(chk, "verdict")), "fail");
	diag = s_path(chk, "diagnosis");
	cr_assert(json_is_array(diag) && json_array_size(diag) >= 1);
	cr_assert(strstr(json_string_value(json_array_get(diag, 0)), "geo-block") != NULL);
	le = s_path(chk, "le_multi_perspective");
	cr_assert(json_is_true(s_path(le, "accepted"))); /* 3 of 4 remotes, 3 RIRs */
	cr_assert(json_is_true(s_path(le, "primary_passed")));
	cr_assert_eq(json_integer_value(s_path(le, "remotes_total")), 4);
	cr_assert_eq(json_integer_value(s_path(le, "remotes_passed")), 3);
	cr_assert_eq(json_integer_value(s_path(le, "remotes_required")), 3);
	cr_assert_eq(json_integer_value(s_path(le, "remotes_unavailable")), 0);
	cr_assert_eq(json_integer_value(s_path(le, "rirs_passed")), 3);
	cr_assert(json_is_string(s_path(le, "reason")));
	cr_assert(json_is_null(s_path(le, "le_problem")));
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, result_fields)
{
	struct vt_check c;
	json_t *doc;
	const json_t *ok, *bad, *rec, *prob, *t;

	s_geo(&c);
	doc = report_json(&c, 1);
	ok = s_result(doc, 0, 0);
	cr_assert_str_eq(json_string_value(s_path(ok, "agent")), "a1");
	cr_assert_str_eq(json_string_value(s_path(ok, "region")), "us-east");
	cr_assert_str_eq(json_string_value(s_path(ok, "rir")), "ARIN");
	cr_assert(json_is_true(s_path(ok, "primary")));
	cr_assert_str_eq(json_string_value(s_path(ok, "outcome")), "pass");
	cr_assert_str_eq(json_string_value(s_path(ok, "address_used")), "203.0.113.7");
	cr_assert_eq(json_integer_value(s_path(ok, "duration_ms")), 42);
	cr_assert_eq(json_integer_value(s_path(ok, "http_status")), 200);
	cr_assert(json_is_null(s_path(ok, "problem")));
	cr_assert(json_is_array(s_path(ok, "warnings")));
	t = s_path(ok, "timings");
	cr_assert(json_is_integer(s_path(t, "resolve_ms")));
	cr_assert(json_is_integer(s_path(t, "connect_ms")));
	cr_assert_eq(json_integer_value(s_path(t, "total_ms")), 42);
	rec = json_array_get(s_path(ok, "records"), 0);
	cr_assert_not_null(rec);
	cr_assert(json_is_string(s_path(rec, "port")), "port must be a string");
	cr_assert_str_eq(json_string_value(s_path(rec, "port")), "80");
	cr_assert_str_eq(json_string_value(s_path(rec, "url")),
	                 "http://example.com/.well-known/acme-challenge/tok");
	cr_assert_str_eq(json_string_value(s_path(rec, "hostname")), "example.com");
	cr_assert_eq(json_array_size(s_path(rec, "addressesResolved")), 2);
	cr_assert_str_eq(json_string_value(json_array_get(s_path(rec, "addressesResolved"), 0)),
	                 "2001:db8::7");
	cr_assert_str_eq(json_string_value(s_path(rec, "addressUsed")), "203.0.113.7");
	cr_assert_null(json_object_get(rec, "addressesTried"), "omitted when empty");

	bad = s_result(doc, 0, 2);
	cr_assert(json_is_false(s_path(bad, "primary")));
	cr_assert_str_eq(json_string_value(s_path(bad, "outcome")), "fail");
	cr_assert(json_is_null(s_path(bad, "http_status")));
	prob = s_path(bad, "problem");
	cr_assert_str_eq(json_string_value(s_path(prob, "type")), "connection");
	cr_assert_str_eq(json_string_value(s_path(prob, "detail")), GEO_DETAIL);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, addresses_tried_when_present)
{
	struct vt_check c;
	json_t *doc;
	const json_t *rec, *tried;

	s_geo(&c);
	snprintf(c.entries[1].result.records[0].addresses_tried[0], LIMIT_ADDR_LEN, "2001:db8::7");
	snprintf(c.entries[1].result.records[0].addresses_tried[1], LIMIT_ADDR_LEN, "203.0.113.7");
	c.entries[1].result.records[0].n_addresses_tried = 2;
	doc = report_json(&c, 1);
	rec = json_array_get(s_path(s_result(doc, 0, 1), "records"), 0);
	tried = s_path(rec, "addressesTried");
	cr_assert_eq(json_array_size(tried), 2);
	cr_assert_str_eq(json_string_value(json_array_get(tried, 1)), "203.0.113.7");
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, unavailable_result)
{
	struct vt_check c;
	json_t *doc;
	const json_t *r, *le;

	s_geo(&c);
	vt_result_clear(&c.entries[4].result);
	c.entries[4].result.outcome = VT_OUTCOME_UNAVAILABLE;
	snprintf(c.entries[4].result.problem.detail, LIMIT_DETAIL_LEN, "vantage a5 is down");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	doc = report_json(&c, 1);
	r = s_result(doc, 0, 4);
	cr_assert_str_eq(json_string_value(s_path(r, "outcome")), "unavailable");
	cr_assert(json_is_null(s_path(r, "problem")), "not the site's problem");
	cr_assert_str_eq(json_string_value(s_path(r, "unavailable_reason")), "vantage a5 is down");
	cr_assert(json_is_null(s_path(s_result(doc, 0, 0), "unavailable_reason")));
	cr_assert(json_is_null(s_path(r, "duration_ms")));
	cr_assert(json_is_null(s_path(r, "address_used")));
	cr_assert_eq(json_array_size(s_path(r, "records")), 0);
	/* 2 of 4 remotes passed, 1 failed, 1 silent: LE's answer is open. */
	le = s_path(json_array_get(s_path(doc, "checks"), 0), "le_multi_perspective");
	cr_assert(json_is_null(s_path(le, "accepted")));
	cr_assert(json_is_null(s_path(le, "le_problem")));
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, le_problem_when_refused)
{
	struct vt_check c;
	json_t *doc;
	const json_t *le;

	s_geo(&c);
	vt_result_clear(&c.entries[3].result);
	cr_assert_eq(vt_result_copy(&c.entries[3].result, &c.entries[2].result), 0);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	doc = report_json(&c, 1);
	le = s_path(json_array_get(s_path(doc, "checks"), 0), "le_multi_perspective");
	cr_assert(json_is_false(s_path(le, "accepted")));
	cr_assert_str_eq(json_string_value(s_path(le, "le_problem")),
	                 "During secondary validation: " GEO_DETAIL);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, top_verdict_is_worst)
{
	struct vt_check c[2];
	json_t *doc;

	s_geo(&c[0]);
	c[0].entries[2].result.outcome = VT_OUTCOME_UNAVAILABLE;
	verdict_judge(&c[0], DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c[0].verdict, VT_VERDICT_UNKNOWN);
	s_geo(&c[1]);
	c[1].entries[2].result.outcome = VT_OUTCOME_PASS;
	verdict_judge(&c[1], DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c[1].verdict, VT_VERDICT_PASS);
	doc = report_json(c, 2);
	cr_assert_str_eq(json_string_value(s_path(doc, "verdict")), "unknown");
	cr_assert_eq(json_integer_value(s_path(doc, "exit_code")), 3);
	cr_assert_eq(report_exit_code(doc), 3);
	json_decref(doc);
	doc = report_json(&c[1], 1);
	cr_assert_eq(report_exit_code(doc), 0);
	json_decref(doc);
	vt_check_clear(&c[0]);
	vt_check_clear(&c[1]);
}

Test(report, exit_code_malformed)
{
	json_t *doc = json_pack("{s:s}", "verdict", "maybe");

	cr_assert_eq(report_exit_code(doc), 2);
	json_decref(doc);
	doc = json_pack("{s:i}", "verdict", 1);
	cr_assert_eq(report_exit_code(doc), 2);
	json_decref(doc);
	cr_assert_eq(report_exit_code(NULL), 2);
	doc = json_pack("{s:s}", "verdict", "fail");
	cr_assert_eq(report_exit_code(doc), 1);
	json_decref(doc);
}

Test(report, invalid_utf8_is_replaced)
{
	struct vt_check c;
	json_t *doc;
	const char *d;

	s_geo(&c);
	snprintf(c.entries[2].result.problem.detail, LIMIT_DETAIL_LEN, "bad \xff\xfe byte");
	doc = report_json(&c, 1);
	cr_assert_not_null(doc);
	d = json_string_value(s_path(s_path(s_result(doc, 0, 2), "problem"), "detail"));
	cr_assert_str_eq(d, "bad \xef\xbf\xbd\xef\xbf\xbd byte");
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_table)
{
	struct vt_check c;
	json_t *doc;
	char *out;

	s_geo(&c);
	doc = report_json(&c, 1);
	out = s_print(doc, false);
	cr_assert(strstr(out, "example.com http-01") != NULL, "%s", out);
	cr_assert(strstr(out, "AGENT") != NULL && strstr(out, "REGION") != NULL &&
	                  strstr(out, "ADDRESS") != NULL && strstr(out, "OUTCOME") != NULL &&
	                  strstr(out, "PROBLEM") != NULL && strstr(out, "DETAIL") != NULL &&
	                  strstr(out, "MS") != NULL,
	          "%s", out);
	for (int i = 1; i <= 5; i++) {
		char agent[24];
		snprintf(agent, sizeof(agent), "\n  a%d ", i);
		cr_assert(strstr(out, agent) != NULL, "no row for a%d:\n%s", i, out);
	}
	cr_assert(strstr(out, "Failing vantages: a3 (eu-west)\n") != NULL, "%s", out);
	cr_assert(strstr(out, "Findings:\n") != NULL &&
	                  strstr(out, ": fails only from eu-west") != NULL,
	          "%s", out);
	cr_assert(strstr(out, "Let's Encrypt: would accept") != NULL, "%s", out);
	/* The whole LE detail, hint included, is printed. */
	cr_assert(strstr(out, "(likely firewall problem)") != NULL, "%s", out);
	cr_assert(strstr(out, "Verdict: fail\n") != NULL, "%s", out);
	cr_assert_null(strchr(out, '\033'), "no colours unless asked");
	free(out);
	out = s_print(doc, true);
	cr_assert(strstr(out, "\033[31m") != NULL, "fail is red with color");
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_columns_aligned)
{
	struct vt_check c;
	json_t *doc;
	char *out, *line, *head;
	size_t col;
	int rows = 0;

	s_geo(&c);
	doc = report_json(&c, 1);
	out = s_print(doc, false);
	head = strstr(out, "  AGENT");
	cr_assert_not_null(head, "%s", out);
	col = (size_t)(strstr(head, "OUTCOME") - head);
	/* On every row the outcome starts exactly under OUTCOME. */
	for (line = strchr(head, '\n'); line != NULL && strncmp(line, "\n  a", 4) == 0;
	     line = strchr(line + 1, '\n')) {
		const char *row = line + 1;
		cr_assert(row[col - 1] == ' ' && row[col] != ' ', "misaligned: %.40s", row);
		cr_assert(strncmp(row + col, "pass", 4) == 0 || strncmp(row + col, "fail", 4) == 0,
		          "%.60s", row);
		rows++;
	}
	cr_assert_eq(rows, 5);
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_escapes_control_characters)
{
	struct vt_check c;
	json_t *doc;
	char *out;

	s_geo(&c);
	snprintf(c.entries[2].result.problem.detail, LIMIT_DETAIL_LEN,
	         "203.0.113.7: Fetching http://example.com/x: evil\033[2J\nVerdict: pass");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	doc = report_json(&c, 1);
	out = s_print(doc, false);
	cr_assert_null(strchr(out, '\033'), "raw ESC printed:\n%s", out);
	cr_assert(strstr(out, "evil\\x1b[2J\\x0aVerdict: pass") != NULL, "%s", out);
	cr_assert_null(strstr(out, "\nVerdict: pass"), "forged line:\n%s", out);
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_long_detail_in_full)
{
	struct vt_check c;
	json_t *doc;
	char *out;
	char detail[LIMIT_DETAIL_LEN];

	s_geo(&c);
	snprintf(detail, sizeof(detail),
	         "The key authorization file from the server did not match this challenge. "
	         "Expected \"%s.%s\" (got \"%s\")",
	         "tokentokentokentokentokentokentokentokentok",
	         "thumbthumbthumbthumbthumbthumbthumbthumbthu", "<html>wrong</html>");
	snprintf(c.entries[2].result.problem.detail, LIMIT_DETAIL_LEN, "%s", detail);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	doc = report_json(&c, 1);
	out = s_print(doc, false);
	cr_assert(strstr(out, detail) != NULL, "full detail missing:\n%s", out);
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_from_foreign_document)
{
	json_t *doc = json_loads("{\"version\":1,\"verdict\":\"unknown\",\"checks\":[{\"domain\":"
	                         "\"x.example\",\"results\":[{\"agent\":7}],\"diagnosis\":[1]}]}",
	                         0, NULL);
	char *out;

	cr_assert_not_null(doc);
	out = s_print(doc, false);
	cr_assert(strstr(out, "x.example") != NULL, "%s", out);
	cr_assert(strstr(out, "Let's Encrypt: cannot tell") != NULL, "%s", out);
	cr_assert(strstr(out, "Verdict: unknown") != NULL, "%s", out);
	free(out);
	json_decref(doc);
	doc = json_loads("[]", 0, NULL);
	out = s_print(doc, false);
	cr_assert(strstr(out, "malformed report") != NULL, "%s", out);
	free(out);
	json_decref(doc);
}

/* ---- TLS-ALPN-01, DNS-01 and CAA fields ---- */

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* s_geo() turned into a TLS-ALPN-01 check: port 443, no URL, certificates. */
static void s_tls(struct vt_check *c)
{
	s_geo(c);
	c->method = VT_METHOD_TLSALPN01;
	for (size_t i = 0; i < c->n_entries; i++) {
		struct vt_result *r = &c->entries[i].result;
		struct vt_cert *k = &r->cert;
		r->records[0].url[0] = '\0';
		r->records[0].port = 443;
		r->http_status = 0;
		if (i == 2)
			continue; /* eu-west timed out: no certificate */
		k->present = true;
		snprintf(k->subject, sizeof(k->subject), "CN=example.com");
		snprintf(k->issuer, sizeof(k->issuer), "CN=example.com");
		snprintf(k->sans[0], sizeof(k->sans[0]), "example.com");
		k->n_sans = 1;
		k->not_before = 1787000000; /* 2026-08-17T20:53:20Z */
		k->not_after = 1795000000;  /* 2026-11-18T11:06:40Z */
		snprintf(k->sha256, sizeof(k->sha256), "%s", SHA_A);
		snprintf(k->tls_version, sizeof(k->tls_version), "TLSv1.3");
		snprintf(k->alpn, sizeof(k->alpn), "acme-tls/1");
	}
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
}

Test(report, cert_fields)
{
	struct vt_check c;
	json_t *doc;
	const json_t *r, *cert, *sans, *rec;

	s_tls(&c);
	doc = report_json(&c, 1);
	r = s_result(doc, 0, 0);
	cert = s_path(r, "cert");
	cr_assert(json_is_object(cert));
	cr_assert_str_eq(json_string_value(s_path(cert, "subject")), "CN=example.com");
	cr_assert_str_eq(json_string_value(s_path(cert, "issuer")), "CN=example.com");
	sans = s_path(cert, "sans");
	cr_assert(json_is_array(sans) && json_array_size(sans) == 1);
	cr_assert_str_eq(json_string_value(json_array_get(sans, 0)), "example.com");
	cr_assert_str_eq(json_string_value(s_path(cert, "not_before")), "2026-08-17T20:53:20Z");
	cr_assert_str_eq(json_string_value(s_path(cert, "not_after")), "2026-11-18T11:06:40Z");
	cr_assert(json_is_integer(s_path(cert, "not_after_unix")));
	cr_assert_eq(json_integer_value(s_path(cert, "not_after_unix")), 1795000000);
	cr_assert_str_eq(json_string_value(s_path(cert, "sha256")), SHA_A);
	cr_assert_str_eq(json_string_value(s_path(cert, "tls_version")), "TLSv1.3");
	cr_assert_str_eq(json_string_value(s_path(cert, "alpn")), "acme-tls/1");
	/* No certificate: null, never an empty object. */
	cr_assert(json_is_null(s_path(s_result(doc, 0, 2), "cert")));
	/* TLS-ALPN-01 records have no url; the port is still a string. */
	rec = json_array_get(s_path(r, "records"), 0);
	cr_assert_null(json_object_get(rec, "url"), "url omitted when empty");
	cr_assert_str_eq(json_string_value(s_path(rec, "port")), "443");
	cr_assert_str_eq(json_string_value(s_path(rec, "hostname")), "example.com");
	json_decref(doc);
	/* An HTTP-01 result: cert null, dnssec null, no nameservers. */
	vt_check_clear(&c);
	s_geo(&c);
	doc = report_json(&c, 1);
	r = s_result(doc, 0, 0);
	cr_assert(json_is_null(s_path(r, "cert")));
	cr_assert(json_is_null(s_path(r, "dnssec")));
	cr_assert_null(json_object_get(r, "nameservers"), "omitted when none");
	cr_assert(json_is_string(s_path(json_array_get(s_path(r, "records"), 0), "url")));
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, cert_alpn_null_when_none)
{
	struct vt_check c;
	json_t *doc;
	const json_t *cert;

	s_tls(&c);
	c.entries[1].result.cert.alpn[0] = '\0';
	doc = report_json(&c, 1);
	cert = s_path(s_result(doc, 0, 1), "cert");
	cr_assert(json_is_null(s_path(cert, "alpn")));
	json_decref(doc);
	vt_check_clear(&c);
}

/* s_geo() as DNS-01: no records, each vantage swept ns1 and ns2; ns2 does
 * not answer eu-west. */
static void s_dns(struct vt_check *c)
{
	s_geo(c);
	c->method = VT_METHOD_DNS01;
	for (size_t i = 0; i < c->n_entries; i++) {
		struct vt_result *r = &c->entries[i].result;
		struct vt_nameserver *ns;
		free(r->records);
		r->records = NULL;
		r->n_records = 0;
		r->http_status = 0;
		r->outcome = VT_OUTCOME_PASS;
		r->problem.type = VT_PROB_NONE;
		r->problem.detail[0] = '\0';
		snprintf(r->dnssec, sizeof(r->dnssec), "secure");
		for (int k = 1; k <= 2; k++) {
			ns = vt_result_add_nameserver(r);
			cr_assert_not_null(ns);
			snprintf(ns->name, sizeof(ns->name), "ns%d.example.com", k);
			snprintf(ns->address, sizeof(ns->address), "10.77.0.9%d", k - 1);
			ns->rtt_ms = 12;
			if (k == 2 && i == 2) {
				snprintf(ns->error, sizeof(ns->error), "query timed out");
				continue;
			}
			ns->reachable = true;
			ns->matches = true;
			ns->ttl = 300;
			snprintf(ns->rcode, sizeof(ns->rcode), "NOERROR");
			snprintf(ns->answer, sizeof(ns->answer), "\"good\"");
		}
	}
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
}

Test(report, dnssec_and_nameserver_fields)
{
	struct vt_check c;
	json_t *doc;
	const json_t *r, *nss, *ns, *down;

	s_dns(&c);
	c.entries[4].result.dnssec[0] = '\0';
	vt_result_clear(&c.entries[3].result); /* answered, but swept nothing */
	c.entries[3].result.outcome = VT_OUTCOME_PASS;
	doc = report_json(&c, 1);
	r = s_result(doc, 0, 2);
	cr_assert_str_eq(json_string_value(s_path(r, "dnssec")), "secure");
	cr_assert(json_is_null(s_path(s_result(doc, 0, 4), "dnssec")), "null when empty");
	cr_assert_eq(json_array_size(s_path(r, "records")), 0);
	nss = s_path(r, "nameservers");
	cr_assert(json_is_array(nss) && json_array_size(nss) == 2);
	ns = json_array_get(nss, 0);
	cr_assert_str_eq(json_string_value(s_path(ns, "name")), "ns1.example.com");
	cr_assert_str_eq(json_string_value(s_path(ns, "address")), "10.77.0.90");
	cr_assert(json_is_true(s_path(ns, "reachable")));
	cr_assert_str_eq(json_string_value(s_path(ns, "rcode")), "NOERROR");
	cr_assert_str_eq(json_string_value(s_path(ns, "answer")), "\"good\"");
	cr_assert(json_is_integer(s_path(ns, "ttl")));
	cr_assert_eq(json_integer_value(s_path(ns, "ttl")), 300);
	cr_assert(json_is_true(s_path(ns, "matches")));
	cr_assert_eq(json_integer_value(s_path(ns, "rtt_ms")), 12);
	cr_assert(json_is_null(s_path(ns, "error")));
	down = json_array_get(nss, 1);
	cr_assert(json_is_false(s_path(down, "reachable")));
	cr_assert(json_is_null(s_path(down, "rcode")), "no rcode: null");
	cr_assert(json_is_false(s_path(down, "matches")));
	cr_assert_str_eq(json_string_value(s_path(down, "error")), "query timed out");
	cr_assert_null(json_object_get(s_result(doc, 0, 3), "nameservers"), "omitted when none");
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_tls_certificates)
{
	struct vt_check c;
	json_t *doc;
	char *out;

	s_tls(&c);
	doc = report_json(&c, 1);
	out = s_print(doc, false);
	cr_assert(strstr(out, "example.com tls-alpn-01 (validate)") != NULL, "%s", out);
	cr_assert(strstr(out, "Certificates:\n  a1 (us-east): TLSv1.3, ALPN acme-tls/1, notAfter "
	                      "2026-11-18T11:06:40Z, sha256 0123456789abcdef...") != NULL,
	          "%s", out);
	cr_assert_null(strstr(out, "a3 (eu-west): TLSv1.3"), "no certificate, no line:\n%s", out);
	cr_assert(strstr(out, "port 443") != NULL, "diagnosis for 443:\n%s", out);
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_nameserver_table)
{
	struct vt_check c;
	json_t *doc;
	char *out, *head, *row;

	s_dns(&c);
	snprintf(c.entries[0].result.nameservers[0].answer, LIMIT_TXT_LEN, "\"evil\033[2J\"");
	doc = report_json(&c, 1);
	out = s_print(doc, false);
	head = strstr(out, "NAMESERVER");
	cr_assert_not_null(head, "%s", out);
	cr_assert(strstr(head, "ADDRESS") && strstr(head, "REACHABLE") && strstr(head, "RCODE") &&
	                  strstr(head, "TTL") && strstr(head, "MATCH") && strstr(head, "ANSWER"),
	          "%s", out);
	cr_assert(strstr(out, "  a3 (eu-west)\n") != NULL, "%s", out);
	row = strstr(strstr(out, "  a3 (eu-west)\n"), "ns2.example.com");
	cr_assert_not_null(row, "%s", out);
	cr_assert(strncmp(strstr(row, "10.77.0.91"), "10.77.0.91  no", 14) == 0, "%.80s", row);
	cr_assert(strstr(row, "(query timed out)") != NULL, "%.100s", row);
	cr_assert_null(strchr(out, '\033'), "raw ESC printed:\n%s", out);
	cr_assert(strstr(out, "\"evil\\x1b[2J\"") != NULL, "%s", out);
	cr_assert(strstr(out, "ns2.example.com (10.77.0.91) does not answer from eu-west") != NULL,
	          "%s", out);
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_caa_warnings)
{
	struct vt_check c;
	json_t *doc;
	const json_t *le;
	char *out;

	s_geo(&c);
	c.method = VT_METHOD_CAA;
	for (size_t i = 2; i <= 3; i++) {
		struct vt_result *r = &c.entries[i].result;
		r->outcome = VT_OUTCOME_FAIL;
		r->problem.type = VT_PROB_CAA;
		snprintf(r->problem.detail, LIMIT_DETAIL_LEN,
		         "While processing CAA for example.com: CAA record for example.com "
		         "prevents issuance");
		vt_result_add_warning(r, "issue \"digicert.com\" authorizes another CA only");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	doc = report_json(&c, 1);
	le = s_path(json_array_get(s_path(doc, "checks"), 0), "le_multi_perspective");
	cr_assert(json_is_false(s_path(le, "accepted")));
	cr_assert_str_eq(json_string_value(s_path(le, "le_problem")),
	                 "During secondary validation: While processing CAA for example.com: CAA "
	                 "record for example.com prevents issuance");
	out = s_print(doc, false);
	cr_assert(strstr(out, "example.com caa (validate)") != NULL, "%s", out);
	cr_assert(strstr(out, "Warnings:\n  a3, a4: issue \"digicert.com\" authorizes another CA "
	                      "only\n") != NULL,
	          "%s", out);
	cr_assert(strstr(out, "CAA record for example.com prevents issuance") != NULL, "%s", out);
	cr_assert(strstr(out, "CAA at example.com forbids this CA only from eu-west and "
	                      "ap-south") != NULL,
	          "%s", out);
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_http01_unchanged_by_new_blocks)
{
	struct vt_check c;
	json_t *doc;
	char *out;

	s_geo(&c);
	vt_result_add_warning(&c.entries[0].result, "slow DNS answer (1900 ms)");
	doc = report_json(&c, 1);
	out = s_print(doc, false);
	cr_assert_null(strstr(out, "Warnings:"), "%s", out);
	cr_assert_null(strstr(out, "Certificates:"), "%s", out);
	cr_assert_null(strstr(out, "NAMESERVER"), "%s", out);
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}

/* ---- tls-cert (issue 5) ---- */

#define SHA_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define T_DAY 86400

/* s_tls() as a tls-cert check: every vantage but eu-west (timed out) got a
 * 90-day certificate with left_days left, sent with one intermediate. */
static void s_tlscert(struct vt_check *c, double left_days)
{
	int64_t now = (int64_t)time(NULL);

	s_tls(c);
	c->method = VT_METHOD_TLSCERT;
	c->mode = VT_MODE_REACHABILITY;
	for (size_t i = 0; i < c->n_entries; i++) {
		struct vt_cert *k = &c->entries[i].result.cert;
		c->entries[i].result.method = VT_METHOD_TLSCERT;
		if (!k->present)
			continue;
		snprintf(k->issuer, sizeof(k->issuer), "CN=R11,O=Let's Encrypt,C=US");
		k->not_after = now + (int64_t)(left_days * T_DAY);
		k->not_before = k->not_after - 90 * T_DAY;
		snprintf(k->alpn, sizeof(k->alpn), "http/1.1");
		k->chain_len = 2;
		snprintf(k->chain_issuers[0], sizeof(k->chain_issuers[0]), "%s", k->issuer);
		snprintf(k->chain_issuers[1], sizeof(k->chain_issuers[1]), "CN=ISRG Root X1");
		k->n_chain_issuers = 2;
		k->chain_verified = true;
		k->name_matches = true;
	}
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
}

Test(report, tlscert_cert_check_and_chain_fields)
{
	struct vt_check c;
	json_t *doc;
	const json_t *chk, *r, *cert, *cc, *le;

	s_tlscert(&c, 6.5);
	c.entries[1].result.cert.chain_verified = false;
	c.entries[1].result.cert.name_matches = false;
	snprintf(c.entries[1].result.cert.verify_error,
	         sizeof(c.entries[1].result.cert.verify_error),
	         "unable to get local issuer certificate; hostname mismatch");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	doc = report_json(&c, 1);
	chk = json_array_get(s_path(doc, "checks"), 0);
	cr_assert_str_eq(json_string_value(s_path(chk, "method")), "tls-cert");
	cr_assert_str_eq(json_string_value(s_path(chk, "verdict")), "fail", "critical fails");
	le = s_path(chk, "le_multi_perspective");
	cr_assert(json_is_object(le), "the object stays, its type never changes");
	cr_assert(json_is_null(s_path(le, "accepted")));
	cr_assert(json_is_null(s_path(le, "le_problem")));
	r = s_result(doc, 0, 0);
	cr_assert_str_eq(json_string_value(s_path(r, "outcome")), "pass", "the agent's outcome");
	cert = s_path(r, "cert");
	cr_assert_eq(json_integer_value(s_path(cert, "chain_len")), 2);
	cr_assert_eq(json_array_size(s_path(cert, "chain_issuers")), 2);
	cr_assert_str_eq(json_string_value(json_array_get(s_path(cert, "chain_issuers"), 1)),
	                 "CN=ISRG Root X1");
	cr_assert(json_is_true(s_path(cert, "chain_verified")));
	cr_assert(json_is_true(s_path(cert, "name_matches")));
	cr_assert(json_is_null(s_path(cert, "verify_error")));
	cr_assert_eq(json_integer_value(s_path(cert, "not_before_unix")),
	             c.entries[0].result.cert.not_before);
	cc = s_path(r, "cert_check");
	cr_assert_str_eq(json_string_value(s_path(cc, "level")), "critical");
	cr_assert(strstr(json_string_value(s_path(cc, "message")),
	                 "(7 % of its 90-day lifetime left): critical") != NULL,
	          "%s", json_string_value(s_path(cc, "message")));
	{
		/* the table lists the vantages whose certificate fails the check */
		char *out = s_print(doc, false);
		cr_assert(strstr(out, "Failing vantages: a1 (us-east), a2 (us-west), a3 (eu-west), "
		                      "a4 (ap-south), a5 (sa-east)\n") != NULL,
		          "%s", out);
		free(out);
	}
	/* the report's cert object is what a monitor judges with its policy */
	{
		char msg[CERTCHECK_MSG_LEN];
		cr_assert_eq(
		        certcheck_judge_json(cert, (int64_t)time(NULL), NULL, msg, sizeof(msg)),
		        CERTCHECK_CRITICAL, "%s", msg);
	}
	cert = s_path(s_result(doc, 0, 1), "cert");
	cr_assert(json_is_false(s_path(cert, "chain_verified")));
	cr_assert(json_is_false(s_path(cert, "name_matches")));
	cr_assert_str_eq(json_string_value(s_path(cert, "verify_error")),
	                 "unable to get local issuer certificate; hostname mismatch");
	/* no certificate: cert null, cert_check "none" */
	r = s_result(doc, 0, 2);
	cr_assert(json_is_null(s_path(r, "cert")));
	cr_assert_str_eq(json_string_value(s_path(s_path(r, "cert_check"), "level")), "none");
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, cert_check_only_for_tlscert)
{
	struct vt_check c;
	json_t *doc;
	const json_t *r, *cert;

	s_tls(&c);
	doc = report_json(&c, 1);
	r = s_result(doc, 0, 0);
	cr_assert_null(json_object_get(r, "cert_check"), "TLS-ALPN-01 has no cert_check");
	cert = s_path(r, "cert");
	cr_assert(json_is_null(s_path(cert, "chain_verified")), "not judged for TLS-ALPN-01");
	cr_assert(json_is_null(s_path(cert, "name_matches")));
	cr_assert(json_is_null(s_path(cert, "verify_error")));
	cr_assert_eq(json_integer_value(s_path(cert, "chain_len")), 0);
	cr_assert_eq(json_array_size(s_path(cert, "chain_issuers")), 0);
	json_decref(doc);
	vt_check_clear(&c);
}

Test(report, print_tlscert)
{
	struct vt_check c;
	json_t *doc;
	char *out;

	s_tlscert(&c, 60);
	snprintf(c.entries[3].result.cert.sha256, sizeof(c.entries[3].result.cert.sha256), "%s",
	         SHA_B);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	doc = report_json(&c, 1);
	out = s_print(doc, false);
	cr_assert(strstr(out, "example.com tls-cert (reachability)") != NULL, "%s", out);
	cr_assert(strstr(out, "  a1 (us-east): TLSv1.3, ALPN http/1.1, notAfter ") != NULL, "%s",
	          out);
	cr_assert(strstr(out, "\n    issuer CN=R11,O=Let's Encrypt,C=US; chain of 2, verified; "
	                      "expires ") != NULL,
	          "%s", out);
	cr_assert(strstr(out, "(67 % of its 90-day lifetime left): ok\n") != NULL, "%s", out);
	cr_assert(strstr(out, "vantages see different certificates: ") != NULL, "%s", out);
	cr_assert(strstr(out, "a4 (ap-south) gets sha256 fedcba9876543210...") != NULL, "%s", out);
	cr_assert_null(strstr(out, "Let's Encrypt: "), "no LE verdict for tls-cert:\n%s", out);
	cr_assert(strstr(out, "Check verdict: fail") != NULL, "eu-west timed out:\n%s", out);
	free(out);
	json_decref(doc);
	vt_check_clear(&c);
}
