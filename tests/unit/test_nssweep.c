/*
 * test_nssweep.c -- the sweep's pure parts: TXT extraction from an answer,
 * quoting, the answer column, matching, failure clauses and warnings.  No
 * network (the sweep itself runs in test_dns01.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "../../agent/nssweep.h"

static void tn_push(ldns_pkt *p, const char *text)
{
	ldns_rr *rr = NULL;

	cr_assert_eq(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK, "%s", text);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
}

static struct vt_nameserver tn_ns(const char *name, const char *addr, const char *rcode,
                                  const char *answer, bool matches)
{
	struct vt_nameserver ns;

	memset(&ns, 0, sizeof(ns));
	snprintf(ns.name, sizeof(ns.name), "%s", name);
	snprintf(ns.address, sizeof(ns.address), "%s", addr);
	ns.reachable = rcode != NULL;
	snprintf(ns.rcode, sizeof(ns.rcode), "%s", rcode ? rcode : "");
	snprintf(ns.answer, sizeof(ns.answer), "%s", answer);
	snprintf(ns.error, sizeof(ns.error), "%s", rcode ? "" : "query timed out");
	ns.matches = matches;
	return ns;
}

Test(nssweep, txt_from_answer_any_owner_strings_joined)
{
	ldns_pkt *p = ldns_pkt_new();
	struct nssweep_txt t;

	tn_push(p, "_acme-challenge.a.example. 300 IN CNAME x.example.");
	tn_push(p, "x.example. 120 IN TXT \"abc\" \"def\"");
	tn_push(p, "x.example. 90 IN TXT \"z\"");
	nssweep_txt_from_pkt(p, &t);
	cr_assert_eq(t.n, 2);
	cr_expect_str_eq(t.v[0], "abcdef");
	cr_expect_str_eq(t.v[1], "z");
	cr_expect_eq(t.ttl, 90);
	cr_expect(nssweep_txt_has(&t, "abcdef"));
	cr_expect(!nssweep_txt_has(&t, "abc"));
	cr_expect(!nssweep_txt_has(&t, "ABCDEF"));
	cr_expect(!nssweep_txt_has(&t, ""));
	ldns_pkt_free(p);
	nssweep_txt_from_pkt(NULL, &t);
	cr_expect_eq(t.n, 0);
}

Test(nssweep, quote_and_format_sorted)
{
	struct nssweep_txt t;
	char out[LIMIT_TXT_LEN];

	nssweep_quote("a\"b\\c\x01", out, sizeof(out));
	cr_expect_str_eq(out, "\"a\\\"b\\\\c\\x01\"");
	memset(&t, 0, sizeof(t));
	snprintf(t.v[0], sizeof(t.v[0]), "zz");
	snprintf(t.v[1], sizeof(t.v[1]), "aa");
	t.n = 2;
	nssweep_format_txt(&t, out, sizeof(out));
	cr_expect_str_eq(out, "\"aa\" \"zz\"");
	t.n = 0;
	nssweep_format_txt(&t, out, sizeof(out));
	cr_expect_str_eq(out, "");
	nssweep_quote("abcdef", out, 5);
	cr_expect_str_eq(out, "\"ab\"");
}

Test(nssweep, failures_clauses)
{
	struct vt_nameserver ns[3] = {
	        tn_ns("ns1.example.com", "10.77.0.90", "NOERROR", "\"x\"", false),
	        tn_ns("ns2.example.com", "10.77.0.91", NULL, "", false),
	        tn_ns("ns3.example.com", "10.77.0.92", "REFUSED", "", false),
	};
	char out[LIMIT_DETAIL_LEN];

	cr_expect_eq(nssweep_failures(ns, 3, out, sizeof(out)), 2);
	cr_expect_str_eq(out, "nameserver ns2.example.com (10.77.0.91) did not answer from this "
	                      "vantage (query timed out); nameserver ns3.example.com "
	                      "(10.77.0.92) answered REFUSED");
	cr_expect_eq(nssweep_failures(ns, 1, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "");
}

Test(nssweep, warnings_not_propagated)
{
	struct vt_nameserver ns[2] = {
	        tn_ns("ns1.example.com", "10.77.0.90", "NOERROR", "\"v\"", true),
	        tn_ns("ns2.example.com", "10.77.0.91", "NXDOMAIN", "", false),
	};
	struct vt_result r;

	memset(&r, 0, sizeof(r));
	nssweep_add_warnings(&r, ns, 2, "_acme-challenge.example.com", true, true);
	cr_assert_eq(r.n_warnings, 1);
	cr_expect_neq(strstr(r.warnings[0], "not propagated to ns2.example.com (10.77.0.91) yet"),
	              NULL, "%s", r.warnings[0]);
	cr_expect_neq(strstr(r.warnings[0], "Let's Encrypt may see either"), NULL);

	/* the resolver did not see it, one server has it */
	memset(&r, 0, sizeof(r));
	nssweep_add_warnings(&r, ns, 2, "_acme-challenge.example.com", true, false);
	cr_assert_eq(r.n_warnings, 2);
	cr_expect_neq(strstr(r.warnings[1], "served by ns1.example.com (10.77.0.90) but not seen"),
	              NULL, "%s", r.warnings[1]);
}

Test(nssweep, warnings_resolver_only_and_unreachable)
{
	struct vt_nameserver ns[2] = {
	        tn_ns("ns1.example.com", "10.77.0.90", "NOERROR", "\"old\"", false),
	        tn_ns("ns2.example.com", "10.77.0.91", NULL, "", false),
	};
	struct vt_result r;

	memset(&r, 0, sizeof(r));
	nssweep_add_warnings(&r, ns, 2, "_acme-challenge.example.com", true, true);
	cr_assert_eq(r.n_warnings, 2);
	cr_expect_str_eq(r.warnings[0], "nameserver ns2.example.com (10.77.0.91) did not answer "
	                                "from this vantage (query timed out)");
	cr_expect_neq(strstr(r.warnings[1], "missing on every authoritative nameserver "
	                                    "(ns1.example.com (10.77.0.90))"),
	              NULL, "%s", r.warnings[1]);
}

Test(nssweep, warnings_disagreement_without_expected)
{
	struct vt_nameserver ns[3] = {
	        tn_ns("ns1.example.com", "10.77.0.90", "NOERROR", "\"a\" \"b\"", false),
	        tn_ns("ns2.example.com", "10.77.0.91", "NOERROR", "\"a\"", false),
	        tn_ns("ns3.example.com", "10.77.0.92", "NXDOMAIN", "", false),
	};
	struct vt_result r;

	memset(&r, 0, sizeof(r));
	nssweep_add_warnings(&r, ns, 3, "_acme-challenge.example.com", false, false);
	cr_assert_eq(r.n_warnings, 1);
	cr_expect_str_eq(r.warnings[0],
	                 "nameservers disagree on TXT at _acme-challenge.example.com: "
	                 "ns1.example.com (10.77.0.90) \"a\" \"b\"; ns2.example.com (10.77.0.91) "
	                 "\"a\"; ns3.example.com (10.77.0.92) NXDOMAIN");
	/* agreement: nothing to say */
	memset(&r, 0, sizeof(r));
	nssweep_add_warnings(&r, ns, 1, "_acme-challenge.example.com", false, false);
	cr_expect_eq(r.n_warnings, 0);
}
