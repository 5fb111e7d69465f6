/*
 * test_thishost.c -- coordinator/thishost.c (`vantage check --this-host`):
 * NotThisHost fires on a report document whose vantages resolved an
 * address this machine does not have, names those vantages and addresses,
 * lists this host's addresses as evidence and appends its summary to the
 * diagnosis; it does not fire for a local address, for a redirect's other
 * host, or for dns-01; the verdict and the exit code stay as they were.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/report.h"
#include "../../coordinator/cli.h"
#include "../../coordinator/thishost.h"
#include "httpstub.h"
#include "scratch.h"

TestSuite(thishost);

/* A report document: one check of domain by method, whose vantages a1..aN
 * resolved addrs[i] (one address each, NULL: no record). */
static json_t *s_doc(const char *domain, const char *method, const char *const *addrs, size_t n)
{
	json_t *results = json_array(), *check, *doc;

	for (size_t i = 0; i < n; i++) {
		char agent[24];
		json_t *recs = json_array();
		snprintf(agent, sizeof(agent), "a%zu", i + 1);
		if (addrs[i] != NULL)
			json_array_append_new(recs,
			                      json_pack("{s:s, s:s, s:[s], s:s}", "hostname",
			                                domain, "port", "80", "addressesResolved",
			                                addrs[i], "addressUsed", addrs[i]));
		json_array_append_new(results,
		                      json_pack("{s:s, s:s, s:s, s:o}", "agent", agent, "region",
		                                "r", "outcome", "pass", "records", recs));
	}
	check = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[], s:o}", "domain", domain, "method",
	                  method, "mode", "reachability", "verdict", "pass", "diagnosis",
	                  "passes from all", "findings", "results", results);
	doc = json_pack("{s:s, s:[o]}", "verdict", "pass", "checks", check);
	cr_assert_not_null(doc);
	return doc;
}

static struct thishost s_local(void)
{
	struct thishost h;

	memset(&h, 0, sizeof(h));
	thishost_add(&h, "127.0.0.1");
	thishost_add(&h, "::1");
	thishost_add(&h, "192.0.2.10");
	return h;
}

static const json_t *s_finding(const json_t *doc, size_t check)
{
	const json_t *c = json_array_get(json_object_get(doc, "checks"), check);

	return json_array_get(json_object_get(c, "findings"), 0);
}

Test(thishost, fires_for_a_foreign_address)
{
	static const char *const addrs[] = {"203.0.113.9", "192.0.2.10", "203.0.113.9", NULL};
	struct thishost h = s_local();
	json_t *doc = s_doc("www.example.com", "http-01", addrs, 4);
	const json_t *f, *c;
	int before = report_exit_code(doc);

	cr_assert_eq(thishost_annotate(doc, &h), 1);
	c = json_array_get(json_object_get(doc, "checks"), 0);
	f = s_finding(doc, 0);
	cr_assert_not_null(f);
	cr_assert_str_eq(json_string_value(json_object_get(f, "id")), "NotThisHost");
	cr_assert_str_eq(json_string_value(json_object_get(f, "severity")), "warning");
	/* the vantages that resolved the foreign address, and it */
	cr_assert_eq(json_array_size(json_object_get(f, "vantages")), 2);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "vantages"), 0)),
	                 "a1");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "vantages"), 1)),
	                 "a3");
	cr_assert_eq(json_array_size(json_object_get(f, "addresses")), 1);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "addresses"), 0)),
	                 "203.0.113.9");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "evidence"), 0)),
	                 "this host's addresses: 127.0.0.1, ::1, 192.0.2.10");
	cr_assert_str_eq(json_string_value(json_object_get(f, "summary")),
	                 "www.example.com resolves to 203.0.113.9 from 2 vantages, which is not "
	                 "this server's address");
	cr_assert(strstr(json_string_value(json_object_get(f, "fix")), "this server's address") !=
	          NULL);
	cr_assert(strstr(json_string_value(json_object_get(f, "cause")), "NAT") != NULL);
	/* the summary is a diagnosis line too, after the others */
	cr_assert_eq(json_array_size(json_object_get(c, "diagnosis")), 2);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "diagnosis"), 1)),
	                 json_string_value(json_object_get(f, "summary")));
	/* the verdict and the exit code stay */
	cr_assert_str_eq(json_string_value(json_object_get(c, "verdict")), "pass");
	cr_assert_eq(report_exit_code(doc), before);
	json_decref(doc);
}

Test(thishost, silent_for_local_addresses)
{
	static const char *const addrs[] = {"127.0.0.1", "::0:1", "192.0.2.10"};
	struct thishost h = s_local();
	json_t *doc = s_doc("www.example.com", "http-01", addrs, 3);
	const json_t *c;

	cr_assert_eq(thishost_annotate(doc, &h), 0);
	c = json_array_get(json_object_get(doc, "checks"), 0);
	cr_assert_eq(json_array_size(json_object_get(c, "findings")), 0);
	cr_assert_eq(json_array_size(json_object_get(c, "diagnosis")), 1);
	json_decref(doc);
}

Test(thishost, several_foreign_addresses)
{
	static const char *const addrs[] = {"203.0.113.9", "2001:db8::9"};
	struct thishost h = s_local();
	json_t *doc = s_doc("example.com", "tls-alpn-01", addrs, 2);

	cr_assert_eq(thishost_annotate(doc, &h), 1);
	cr_assert_str_eq(json_string_value(json_object_get(s_finding(doc, 0), "summary")),
	                 "example.com resolves to 203.0.113.9, 2001:db8::9 from 2 vantages, which "
	                 "are not this server's address");
	json_decref(doc);
}

Test(thishost, only_address_methods_and_the_name_itself)
{
	static const char *const addrs[] = {"203.0.113.9"};
	struct thishost h = s_local();
	json_t *doc = s_doc("example.com", "dns-01", addrs, 1);
	json_t *c, *recs;

	cr_assert_eq(thishost_annotate(doc, &h), 0);
	json_decref(doc);
	doc = s_doc("example.com", "caa", addrs, 1);
	cr_assert_eq(thishost_annotate(doc, &h), 0);
	json_decref(doc);
	/* a redirect's other host resolves elsewhere: not this name's address */
	doc = s_doc("example.com", "http-01", addrs, 1);
	c = json_array_get(json_object_get(doc, "checks"), 0);
	recs = json_object_get(json_array_get(json_object_get(c, "results"), 0), "records");
	json_object_set_new(json_array_get(recs, 0), "hostname", json_string("cdn.example.net"));
	cr_assert_eq(thishost_annotate(doc, &h), 0);
	json_decref(doc);
	/* tls-cert applies; a trailing dot in the record's hostname is the name */
	doc = s_doc("example.com.", "tls-cert", addrs, 1);
	json_object_set_new(json_array_get(json_object_get(doc, "checks"), 0), "domain",
	                    json_string("example.com"));
	cr_assert_eq(thishost_annotate(doc, &h), 1);
	json_decref(doc);
}

Test(thishost, no_resolved_address_no_finding)
{
	static const char *const addrs[] = {NULL, NULL};
	struct thishost h = s_local();
	json_t *doc = s_doc("example.com", "http-01", addrs, 2);

	cr_assert_eq(thishost_annotate(doc, &h), 0);
	json_decref(doc);
}

Test(thishost, malformed_document)
{
	struct thishost h = s_local();
	json_t *doc = json_object();

	cr_assert_eq(thishost_annotate(doc, &h), -1);
	json_decref(doc);
}

Test(thishost, this_machine_has_loopback)
{
	struct thishost h;
	char err[256];

	cr_assert_eq(thishost_addresses(&h, err, sizeof(err)), 0, "%s", err);
	cr_assert(thishost_has(&h, "127.0.0.1"), "127.0.0.1 is not among %zu addresses", h.n);
	cr_assert_not(thishost_has(&h, "203.0.113.9"));
	cr_assert_not(thishost_has(&h, "not an address"));
	/* duplicates and garbage are not added */
	memset(&h, 0, sizeof(h));
	thishost_add(&h, "::1");
	thishost_add(&h, "0:0::1");
	thishost_add(&h, "x");
	cr_assert_eq(h.n, 1);
}

/* ---- `vantage check --this-host` against a stub coordinator ---- */

#define T_TOKEN "names-test-token-0123456789abcdefghij"

/* The report the stub answers: www.example.com, http-01, pass; a1
 * resolved 203.0.113.9 (not this host), a2 127.0.0.1 (this host). */
static const char s_report[] =
        "{\"verdict\": \"pass\", \"checks\": [{\"domain\": \"www.example.com\", \"method\": "
        "\"http-01\", \"mode\": \"reachability\", \"verdict\": \"pass\", \"diagnosis\": "
        "[\"reachable from all 2 vantages\"], \"findings\": [], \"results\": [{\"agent\": "
        "\"a1\", \"region\": \"eu-west\", \"outcome\": \"reachable\", \"records\": "
        "[{\"hostname\": \"www.example.com\", \"port\": \"80\", \"addressesResolved\": "
        "[\"203.0.113.9\"], \"addressUsed\": \"203.0.113.9\"}]}, {\"agent\": \"a2\", "
        "\"region\": \"us-east\", \"outcome\": \"reachable\", \"records\": [{\"hostname\": "
        "\"www.example.com\", \"port\": \"80\", \"addressesResolved\": [\"127.0.0.1\"], "
        "\"addressUsed\": \"127.0.0.1\"}]}]}]}";

static void s_answer(void *arg, const struct httpstub_req *q, struct httpstub_reply *out)
{
	out->status = strcmp(q->url, "/v1/checks") == 0 ? 200 : 404;
	out->body = s_report;
	out->content_type = "application/json";
}

/* Run `vantage check --json ARGS... www.example.com` against the stub;
 * the exit status, and the JSON printed (caller decrefs). */
static int s_check(json_t **doc, const char *extra)
{
	static struct httpstub http;
	char dir[] = "/tmp/vt-thishost-XXXXXX", tok[96], outp[96], *out;
	char *argv[] = {"check",           "--coordinator", NULL, "--token-file", tok, "--json",
	                "www.example.com", (char *)extra,   NULL};
	int argc = extra != NULL ? 8 : 7, so, fo, rc;
	json_error_t je;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(tok, sizeof(tok), "%s/api.token", dir);
	snprintf(outp, sizeof(outp), "%s/stdout", dir);
	f = fopen(tok, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", T_TOKEN);
	fclose(f);
	httpstub_init(&http, s_answer, NULL);
	http.authorization = "Bearer " T_TOKEN;
	httpstub_start(&http);
	argv[2] = http.url;
	fflush(stdout);
	so = dup(STDOUT_FILENO);
	fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(so >= 0 && fo >= 0);
	dup2(fo, STDOUT_FILENO);
	close(fo);
	rc = cli_check_main(argc, argv);
	fflush(stdout);
	dup2(so, STDOUT_FILENO);
	close(so);
	httpstub_fini(&http);
	out = malloc(1 << 16);
	cr_assert_not_null(out);
	cr_assert(scratch_slurp(outp, out, 1 << 16));
	*doc = json_loads(out, 0, &je);
	cr_assert_not_null(*doc, "%s: %s", je.text, out);
	free(out);
	scratch_remove(dir);
	return rc;
}

Test(thishost_cli, check_this_host_adds_the_finding)
{
	json_t *doc;
	const json_t *c, *f;

	cr_assert_eq(s_check(&doc, "--this-host"), 0, "the exit status changed");
	c = json_array_get(json_object_get(doc, "checks"), 0);
	cr_assert_eq(json_array_size(json_object_get(c, "findings")), 1);
	f = json_array_get(json_object_get(c, "findings"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(f, "id")), "NotThisHost");
	cr_assert_str_eq(json_string_value(json_object_get(f, "severity")), "warning");
	cr_assert_eq(json_array_size(json_object_get(f, "vantages")), 1);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "vantages"), 0)),
	                 "a1");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "addresses"), 0)),
	                 "203.0.113.9");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "diagnosis"), 1)),
	                 "www.example.com resolves to 203.0.113.9 from 1 vantage, which is not "
	                 "this server's address");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "verdict")), "pass");
	json_decref(doc);
}

Test(thishost_cli, check_without_this_host_adds_nothing)
{
	json_t *doc;
	const json_t *c;

	cr_assert_eq(s_check(&doc, NULL), 0);
	c = json_array_get(json_object_get(doc, "checks"), 0);
	cr_assert_eq(json_array_size(json_object_get(c, "findings")), 0);
	cr_assert_eq(json_array_size(json_object_get(c, "diagnosis")), 1);
	json_decref(doc);
}
