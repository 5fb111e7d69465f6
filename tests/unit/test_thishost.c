/*
 * test_thishost.c -- coordinator/thishost.c (`vantage check --this-host`):
 * NotThisHost fires on a report document whose vantages resolved an
 * address this machine does not have, names those vantages and addresses,
 * lists this host's addresses as evidence and appends its summary to the
 * diagnosis; it does not fire for a local address, for a redirect's other
 * host, or for dns-01; the verdict and the exit code stay as they were.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../common/report.h"
#include "../../coordinator/thishost.h"

TestSuite(thishost);

/* A report document: one check of domain by method, whose vantages a1..aN
 * resolved addrs[i] (one address each, NULL: no record). */
static json_t *s_doc(const char *domain, const char *method, const char *const *addrs, size_t n)
{
	json_t *results = json_array(), *check, *doc;

	for (size_t i = 0; i < n; i++) {
		char agent[8];
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
