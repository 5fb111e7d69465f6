/*
 * test_caa.c -- CAA: the pure RFC 8659 / RFC 8657 rules (common/caa.c) from
 * tables, and the agent's CAA probe (agent/caa.c) end to end against a tiny
 * DNS responder on 127.0.0.1 (forwarder mode).  All traffic stays on
 * loopback.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "dnsstub.h"
#include "probestub.h"
#include "../../common/caa.h"
#include "../../agent/probe.h"
#include "../../agent/probe_int.h"

#define T_MAX_RRS   4
#define T_ACCT      "https://acme-v02.api.letsencrypt.org/acme/acct/123"
#define T_ACCT2     "https://acme-staging-v02.api.letsencrypt.org/acme/acct/123"
#define T_HTTP      (1u << VT_METHOD_HTTP01)
#define T_DNS       (1u << VT_METHOD_DNS01)
#define T_POLL_MS   50
#define T_BUDGET_MS 10000

/* ---- the pure rules ---- */

struct t_rr {
	uint8_t flags;
	const char *tag;
	const char *value;
};

struct t_case {
	const char *name;
	struct t_rr rrs[T_MAX_RRS];
	bool wildcard;
	uint32_t methods;
	const char *account;
	const char *issuer;
	bool allowed;
	const char *why; /* substring of the reason; NULL = not checked */
};

static const struct t_case t_cases[] = {
        {"another CA forbids",
         {{0, "issue", "sectigo.com"}},
         .allowed = false,
         .why = "the CAA set at example.com allows only sectigo.com"},
        {"letsencrypt.org allows", {{0, "issue", "letsencrypt.org"}}, .allowed = true},
        {"WSP and a bare ; allowed", {{0, "issue", " \tletsencrypt.org ; "}}, .allowed = true},
        {"issuer match is exact",
         {{0, "issue", "LetsEncrypt.org"}},
         .allowed = false,
         .why = "allows only LetsEncrypt.org"},
        {"additive: any record suffices",
         {{0, "issue", "sectigo.com"}, {0, "issue", "letsencrypt.org"}},
         .allowed = true},
        {"two other CAs listed",
         {{0, "issue", "sectigo.com"}, {0, "issue", "digicert.com"}, {0, "issue", "sectigo.com"}},
         .allowed = false,
         .why = "allows only sectigo.com, digicert.com"},
        {"issuewild ignored for a non-wildcard",
         {{0, "issue", "sectigo.com"}, {0, "issuewild", "letsencrypt.org"}},
         .allowed = false},
        {"issuewild applies to a wildcard",
         {{0, "issue", "sectigo.com"}, {0, "issuewild", "letsencrypt.org"}},
         .wildcard = true,
         .allowed = true},
        {"issuewild forbids a wildcard",
         {{0, "issue", "letsencrypt.org"}, {0, "issuewild", "sectigo.com"}},
         .wildcard = true,
         .allowed = false,
         .why = "for wildcards (issuewild)"},
        {"issuewild ; forbids a wildcard",
         {{0, "issue", "letsencrypt.org"}, {0, "issuewild", ";"}},
         .wildcard = true,
         .allowed = false,
         .why = "forbids all issuance for wildcards"},
        {"wildcard falls back to issue",
         {{0, "issue", "letsencrypt.org"}},
         .wildcard = true,
         .allowed = true},
        {"only issuewild: non-wildcard allowed",
         {{0, "issuewild", "sectigo.com"}},
         .allowed = true},
        {"empty issuer forbids",
         {{0, "issue", ";"}},
         .allowed = false,
         .why = "forbids all issuance (issue \";\")"},
        {"empty issuer with params forbids",
         {{0, "issue", "; accounturi=" T_ACCT}},
         .allowed = false},
        {"critical unknown tag 128 forbids",
         {{0, "issue", "letsencrypt.org"}, {128, "tbs", "Unknown"}},
         .allowed = false,
         .why = "unknown critical tag 'tbs' (flags 128)"},
        {"critical unknown tag flag 1 forbids",
         {{1, "tbs", "Unknown"}, {0, "issue", "letsencrypt.org"}},
         .allowed = false,
         .why = "unknown critical tag 'tbs' (flags 1)"},
        {"non-critical unknown tag ignored",
         {{0, "tbs", "Unknown"}, {0, "issue", "letsencrypt.org"}},
         .allowed = true},
        {"iodef only allowed", {{0, "iodef", "mailto:x@example.com"}}, .allowed = true},
        {"critical iodef/issuemail/issuevmc ignored",
         {{128, "iodef", "mailto:x@example.com"},
          {128, "issuemail", "sectigo.com"},
          {129, "issuevmc", "digicert.com"}},
         .allowed = true},
        {"empty set allowed", {{0}}, .allowed = true},
        {"accounturi match",
         {{0, "issue", "letsencrypt.org; accounturi=" T_ACCT}},
         .account = T_ACCT,
         .allowed = true},
        {"accounturi mismatch",
         {{0, "issue", "letsencrypt.org; accounturi=" T_ACCT2}},
         .account = T_ACCT,
         .allowed = false,
         .why = "names letsencrypt.org, but accounturi pins " T_ACCT2},
        {"accounturi unknown account",
         {{0, "issue", "letsencrypt.org; accounturi=" T_ACCT}},
         .allowed = false,
         .why = "staging and production accounts differ"},
        {"accounturi twice unsatisfiable",
         {{0, "issue", "letsencrypt.org; accounturi=" T_ACCT "; accounturi=" T_ACCT}},
         .account = T_ACCT,
         .allowed = false,
         .why = "unsatisfiable"},
        {"accounturi tag is case-sensitive (unknown parameter)",
         {{0, "issue", "letsencrypt.org; AccountURI=" T_ACCT2}},
         .account = T_ACCT,
         .allowed = true},
        {"validationmethods includes",
         {{0, "issue", "letsencrypt.org; validationmethods=http-01"}},
         .methods = T_HTTP,
         .allowed = true},
        {"validationmethods excludes",
         {{0, "issue", "letsencrypt.org; validationmethods=dns-01"}},
         .methods = T_HTTP,
         .allowed = false,
         .why = "validationmethods=dns-01 excludes http-01"},
        {"validationmethods must include every method",
         {{0, "issue", "letsencrypt.org;validationmethods=http-01"}},
         .methods = T_HTTP | T_DNS,
         .allowed = false,
         .why = "excludes dns-01"},
        {"validationmethods unknown label skipped",
         {{0, "issue", "letsencrypt.org; validationmethods=dns-account-01,http-01"}},
         .methods = T_HTTP,
         .allowed = true},
        {"validationmethods bad label",
         {{0, "issue", "letsencrypt.org; validationmethods=http-01,http_01"}},
         .methods = T_HTTP,
         .allowed = false,
         .why = "malformed label"},
        {"validationmethods empty label",
         {{0, "issue", "letsencrypt.org; validationmethods=http-01,"}},
         .methods = T_HTTP,
         .allowed = false,
         .why = "malformed label"},
        {"validationmethods duplicate",
         {{0, "issue", "letsencrypt.org; validationmethods=http-01; validationmethods=http-01"}},
         .methods = T_HTTP,
         .allowed = false,
         .why = "appears twice"},
        {"account and method both satisfied",
         {{0, "issue", "letsencrypt.org; accounturi=" T_ACCT "; validationmethods=dns-01,http-01"}},
         .methods = T_HTTP,
         .account = T_ACCT,
         .allowed = true},
        {"tags case-insensitive", {{0, "ISSUE", "letsencrypt.org"}}, .allowed = true},
        {"tags case-insensitive forbid", {{0, "IsSuE", "sectigo.com"}}, .allowed = false},
        {"issuewild case-insensitive",
         {{0, "issue", "sectigo.com"}, {0, "IssueWild", "letsencrypt.org"}},
         .wildcard = true,
         .allowed = true},
        {"malformed skipped, good one counts",
         {{0, "issue", "letsencrypt.org; accounturi"}, {0, "issue", "letsencrypt.org"}},
         .allowed = true},
        {"only malformed forbids",
         {{0, "issue", "letsencrypt.org; accounturi"}},
         .allowed = false,
         .why = "only malformed issue records"},
        {"trailing ; after a parameter is malformed",
         {{0, "issue", "letsencrypt.org; validationmethods=http-01;"}},
         .allowed = false,
         .why = "malformed"},
        {"space inside a parameter value is malformed",
         {{0, "issue", "letsencrypt.org; foo=a b"}},
         .allowed = false,
         .why = "malformed"},
        {"bad parameter tag is malformed",
         {{0, "issue", "letsencrypt.org; foo_bar=1"}},
         .allowed = false,
         .why = "malformed"},
        {"bad issuer domain is malformed",
         {{0, "issue", "-letsencrypt.org"}},
         .allowed = false,
         .why = "malformed"},
        {"unknown parameter ignored, '=' allowed in a value",
         {{0, "issue", "letsencrypt.org; policy=a=b"}},
         .allowed = true},
        {"configured issuer",
         {{0, "issue", "ca.example"}},
         .issuer = "ca.example",
         .allowed = true},
        {"configured issuer forbids LE's",
         {{0, "issue", "letsencrypt.org"}},
         .issuer = "ca.example",
         .allowed = false},
};

Test(caa, rules_table)
{
	for (size_t i = 0; i < sizeof(t_cases) / sizeof(t_cases[0]); i++) {
		const struct t_case *c = &t_cases[i];
		struct caa_rr rrs[T_MAX_RRS];
		struct caa_policy pol = {.issuer = c->issuer,
		                         .account_uri = c->account,
		                         .methods = c->methods,
		                         .wildcard = c->wildcard};
		size_t n = 0;
		char why[LIMIT_WARNING_LEN];
		bool got;

		for (; n < T_MAX_RRS && c->rrs[n].tag != NULL; n++)
			cr_assert_eq(caa_rr_set(&rrs[n], c->rrs[n].flags, c->rrs[n].tag,
			                        c->rrs[n].value),
			             0);
		got = caa_set_check(rrs, n, &pol, "example.com", why, sizeof(why));
		cr_expect_eq(got, c->allowed, "case \"%s\": got %s (%s)", c->name,
		             got ? "allowed" : "forbidden", why);
		if (c->why != NULL)
			cr_expect(strstr(why, c->why) != NULL,
			          "case \"%s\": why \"%s\" lacks \"%s\"", c->name, why, c->why);
	}
}

struct t_rec_case {
	const char *value;
	enum caa_rec want;
};

Test(caa, record_check_codes)
{
	static const struct t_rec_case cases[] = {
	        {"letsencrypt.org", CAA_REC_AUTHORIZES},
	        {"letsencrypt.org; accounturi", CAA_REC_MALFORMED},
	        {";", CAA_REC_EMPTY_ISSUER},
	        {"sectigo.com", CAA_REC_OTHER_ISSUER},
	        {"letsencrypt.org; accounturi=" T_ACCT2, CAA_REC_ACCOUNT_MISMATCH},
	        {"letsencrypt.org; accounturi=a; accounturi=a", CAA_REC_ACCOUNT_TWICE},
	        {"letsencrypt.org; validationmethods=http-01,", CAA_REC_METHODS_BAD},
	        {"letsencrypt.org; validationmethods=tls-alpn-01", CAA_REC_METHOD_EXCLUDED},
	};
	struct caa_policy pol = {.account_uri = T_ACCT, .methods = T_HTTP};
	struct caa_policy nobody = {.methods = T_HTTP};
	struct caa_rr rr;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[LIMIT_WARNING_LEN];
		cr_assert_eq(caa_rr_set(&rr, 0, "issue", cases[i].value), 0);
		cr_expect_eq(caa_record_check(&rr, &pol, why, sizeof(why)), cases[i].want,
		             "\"%s\": %s", cases[i].value, why);
	}
	cr_assert_eq(caa_rr_set(&rr, 0, "issue", "letsencrypt.org; accounturi=" T_ACCT), 0);
	cr_expect_eq(caa_record_check(&rr, &nobody, NULL, 0), CAA_REC_ACCOUNT_UNKNOWN);
	cr_expect_eq(caa_rr_set(&rr, 0, "", "x"), -1);
}

Test(caa, rdata_parse)
{
	static const uint8_t ok[] = {0x80, 5, 'i', 's', 's', 'u', 'e', 'c', 'a', '.', 'x'};
	static const uint8_t no_value[] = {0, 5, 'i', 'o', 'd', 'e', 'f'};
	static const uint8_t zero_tag[] = {0, 0, 'x'};
	static const uint8_t overrun[] = {0, 9, 'i', 's', 's'};
	struct caa_rr rr;
	char err[128];

	cr_assert_eq(caa_rr_parse(ok, sizeof(ok), &rr, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(rr.flags, 128);
	cr_expect_str_eq(rr.tag, "issue");
	cr_expect_eq(rr.value_len, 4);
	cr_expect_eq(memcmp(rr.value, "ca.x", 4), 0);
	cr_assert_eq(caa_rr_parse(no_value, sizeof(no_value), &rr, err, sizeof(err)), 0);
	cr_expect_eq(rr.value_len, 0);
	cr_expect_eq(caa_rr_parse(zero_tag, sizeof(zero_tag), &rr, err, sizeof(err)), -1);
	cr_expect_eq(caa_rr_parse(overrun, sizeof(overrun), &rr, err, sizeof(err)), -1);
	cr_expect_eq(caa_rr_parse(ok, 1, &rr, err, sizeof(err)), -1);
	cr_expect(strstr(err, "too short") != NULL, "%s", err);
}

Test(caa, value_parse)
{
	static const char v[] =
	        " letsencrypt.org ;\taccounturi = " T_ACCT " ; validationmethods=http-01 ";
	struct caa_issue_value out;
	char err[256];

	cr_assert_eq(caa_value_parse(v, strlen(v), &out, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(out.issuer, "letsencrypt.org");
	cr_assert_eq(out.n_params, 2);
	cr_expect_str_eq(out.params[0].tag, "accounturi");
	cr_expect_eq(out.params[0].val_len, strlen(T_ACCT));
	cr_expect_eq(memcmp(out.params[0].val, T_ACCT, strlen(T_ACCT)), 0);
	cr_expect_str_eq(out.params[1].tag, "validationmethods");
	cr_expect_eq(out.params[1].val_len, strlen("http-01"));
	cr_assert_eq(caa_value_parse(";", 1, &out, err, sizeof(err)), 0);
	cr_expect_str_eq(out.issuer, "");
	cr_expect_eq(out.n_params, 0);
	cr_assert_eq(caa_value_parse("", 0, &out, err, sizeof(err)), 0);
	cr_expect_str_eq(out.issuer, "");
	cr_expect_eq(caa_value_parse("a..b", 4, &out, err, sizeof(err)), -1);
	cr_expect_eq(caa_value_parse("a.b;;", 5, &out, err, sizeof(err)), -1);
	cr_expect_eq(caa_value_parse("a.b; =x", 7, &out, err, sizeof(err)), -1);
	cr_expect_eq(caa_value_parse("a.b; x-=1", 9, &out, err, sizeof(err)), -1);
	cr_expect_eq(caa_value_parse("a.b; x--y=1", 11, &out, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(caa_value_parse("a.b; x=\x7f", 8, &out, err, sizeof(err)), -1);
}

Test(caa, summary_escapes)
{
	struct caa_rr rrs[2];
	char buf[256];

	cr_assert_eq(caa_rr_set(&rrs[0], 0, "issue", "letsencrypt.org"), 0);
	cr_assert_eq(caa_rr_set(&rrs[1], 128, "iodef", "mailto:\"x\"\n"), 0);
	caa_set_summary(rrs, 2, buf, sizeof(buf));
	cr_expect_str_eq(buf, "0 issue \"letsencrypt.org\"; 128 iodef \"mailto:\\\"x\\\"\\x0a\"");
	caa_set_summary(rrs, 2, buf, 8);
	cr_expect_eq(strlen(buf) < 8, true);
}

/* ---- the probe, against a tiny DNS responder on 127.0.0.1 (UDP) ---- */

/* The test zone: names and their CAA answers.  rcode < 0: NOERROR. */
struct t_zone {
	const char *name;
	int rcode;
	const char *rrs[3];
};

static const struct t_zone t_zone[] = {
        {"le.zz.", -1, {"le.zz. 60 IN CAA 0 issue \"letsencrypt.org\""}},
        {"other.zz.", -1, {"other.zz. 60 IN CAA 0 issue \"sectigo.com\""}},
        {"sf.le.zz.", LDNS_RCODE_SERVFAIL, {NULL}},
        {"nx.le.zz.", LDNS_RCODE_NXDOMAIN, {NULL}},
        {"le.slow.", -1, {"le.slow. 60 IN CAA 0 issue \"letsencrypt.org\""}},
        {"le.broken.", -1, {"le.broken. 60 IN CAA 0 issue \"letsencrypt.org\""}},
        {"broken.", LDNS_RCODE_SERVFAIL, {NULL}},
        {"refused.", LDNS_RCODE_REFUSED, {NULL}},
        {"nxtld.", LDNS_RCODE_NXDOMAIN, {NULL}},
        {"wild.zz.",
         -1,
         {"wild.zz. 60 IN CAA 0 issue \"letsencrypt.org\"",
          "wild.zz. 60 IN CAA 0 issuewild \"sectigo.com\""}},
        {"pin.zz.",
         -1,
         {"pin.zz. 60 IN CAA 0 issue \"letsencrypt.org; accounturi=" T_ACCT "\"",
          "pin.zz. 60 IN CAA 0 iodef \"mailto:ops@pin.zz\""}},
        {"crit.zz.",
         -1,
         {"crit.zz. 60 IN CAA 128 tbs \"Unknown\"",
          "crit.zz. 60 IN CAA 0 issue \"letsencrypt.org\""}},
        {"alias.zz.",
         -1,
         {"alias.zz. 60 IN CNAME le.zz.", "le.zz. 60 IN CAA 0 issue \"letsencrypt.org\""}},
        {"meth.zz.",
         -1,
         {"meth.zz. 60 IN CAA 0 issue \"letsencrypt.org; validationmethods=dns-01\""}},
};

/* Names the responder never answers (timeouts). */
static bool t_dns_dropped(const char *qname)
{
	size_t len = strlen(qname), dl = strlen("drop.zz.");

	return strcmp(qname, "slow.") == 0 ||
	       (len >= dl && strcmp(qname + len - dl, "drop.zz.") == 0);
}

static void t_dns_answer(const char *qname, ldns_rr_type t, ldns_pkt *resp)
{
	for (size_t i = 0; i < sizeof(t_zone) / sizeof(t_zone[0]); i++) {
		const struct t_zone *z = &t_zone[i];
		if (strcmp(qname, z->name) != 0)
			continue;
		if (z->rcode >= 0) {
			ldns_pkt_set_rcode(resp, (uint8_t)z->rcode);
			return;
		}
		for (size_t k = 0; k < 3 && z->rrs[k] != NULL; k++) {
			ldns_rr *rr = NULL;
			cr_assert_eq(ldns_rr_new_frm_str(&rr, z->rrs[k], 0, NULL, NULL),
			             LDNS_STATUS_OK, "%s", z->rrs[k]);
			if (t == LDNS_RR_TYPE_CAA || ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME)
				ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER, rr);
			else
				ldns_rr_free(rr);
		}
		return;
	}
}

/* Names in t_dns_dropped get no answer at all (a timeout). */
static bool t_dns_reply(const char *qname, ldns_rr_type t, ldns_pkt *resp)
{
	if (t_dns_dropped(qname))
		return false;
	t_dns_answer(qname, t, resp);
	return true;
}

/* Run one CAA probe of domain against d; the result is moved into *out. */
static void t_caa(const struct dnsstub *d, const char *domain, const char *account,
                  uint32_t methods, uint32_t budget_ms, struct vt_result *out)
{
	struct probe_cfg cfg;
	struct vt_job job;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.resolver.forwarder, sizeof(cfg.resolver.forwarder), "127.0.0.1@%u",
	         (unsigned)d->port);
	cfg.resolver.timeout_ms = 3000;
	memset(&job, 0, sizeof(job));
	snprintf(job.id, sizeof(job.id), "c1");
	job.method = VT_METHOD_CAA;
	job.mode = VT_MODE_VALIDATE;
	job.budget_ms = budget_ms;
	snprintf(job.domain, sizeof(job.domain), "%s", domain);
	snprintf(job.caa_account_uri, sizeof(job.caa_account_uri), "%s", account ? account : "");
	job.caa_methods = methods;
	probestub_run(&cfg, &job, out);
}

static bool t_warned(const struct vt_result *r, const char *sub)
{
	for (size_t i = 0; i < r->n_warnings; i++)
		if (strstr(r->warnings[i], sub) != NULL)
			return true;
	return false;
}

struct t_probe_case {
	const char *domain;
	const char *account;
	uint32_t methods;
	enum vt_outcome outcome;
	enum vt_problem_type prob;
	const char *detail;  /* exact; NULL = not checked */
	const char *warning; /* substring of some warning; NULL = not checked */
};

static const struct t_probe_case t_probe_cases[] = {
        {"www.le.zz", NULL, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL,
         "CAA set at le.zz (1 record): 0 issue \"letsencrypt.org\""},
        {"WWW.Le.Test.", NULL, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL, NULL},
        {"le.zz", NULL, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL, NULL},
        {"www.other.zz", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_CAA,
         "While processing CAA for www.other.zz: CAA record for other.zz prevents issuance",
         "the CAA set at other.zz allows only sectigo.com"},
        {"sf.le.zz", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_DNS,
         "While processing CAA for sf.le.zz: DNS problem: SERVFAIL looking up CAA for "
         "sf.le.zz - the domain's nameservers may be malfunctioning",
         NULL},
        {"x.sf.le.zz", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_DNS,
         "While processing CAA for x.sf.le.zz: DNS problem: SERVFAIL looking up CAA for "
         "sf.le.zz - the domain's nameservers may be malfunctioning",
         NULL},
        {"nx.le.zz", NULL, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL, "at le.zz"},
        {"www.le.broken", NULL, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL, NULL},
        {"www.none.broken", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_DNS,
         "While processing CAA for www.none.broken: DNS problem: SERVFAIL looking up CAA for "
         "broken - the domain's nameservers may be malfunctioning",
         NULL},
        {"a.b.none.zz", NULL, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL,
         "no CAA record at a.b.none.zz or any parent"},
        {"x.refused", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_DNS,
         /* the recursive resolver turns the server's REFUSED into SERVFAIL */
         "While processing CAA for x.refused: DNS problem: SERVFAIL looking up CAA for refused - "
         "the domain's nameservers may be malfunctioning",
         NULL},
        {"x.nxtld", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_DNS,
         "While processing CAA for x.nxtld: DNS problem: NXDOMAIN looking up CAA for nxtld - "
         "check that a DNS record exists for this domain",
         NULL},
        {"*.wild.zz", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_CAA,
         "While processing CAA for *.wild.zz: CAA record for wild.zz prevents issuance",
         "sectigo.com for wildcards (issuewild)"},
        {"www.wild.zz", NULL, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL, NULL},
        {"www.pin.zz", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_CAA,
         "While processing CAA for www.pin.zz: CAA record for pin.zz prevents issuance",
         "staging and production accounts differ"},
        {"www.pin.zz", T_ACCT, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL, "(2 records)"},
        {"www.pin.zz", T_ACCT2, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_CAA, NULL,
         "accounturi pins " T_ACCT ", not this account " T_ACCT2},
        {"crit.zz", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_CAA, NULL,
         "unknown critical tag 'tbs' (flags 128)"},
        {"www.alias.zz", NULL, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL, "at alias.zz"},
        {"meth.zz", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_CAA, NULL,
         "validationmethods=dns-01 excludes http-01"},
        {"meth.zz", NULL, T_DNS, VT_OUTCOME_PASS, VT_PROB_NONE, NULL, NULL},
        {"192.0.2.1", NULL, T_HTTP, VT_OUTCOME_PASS, VT_PROB_NONE, NULL, "IP address"},
        {"a..zz", NULL, T_HTTP, VT_OUTCOME_FAIL, VT_PROB_MALFORMED, NULL, NULL},
};

Test(caa, probe_tree_climbing, .timeout = 60)
{
	struct dnsstub d;

	dnsstub_start(&d, t_dns_reply);
	for (size_t i = 0; i < sizeof(t_probe_cases) / sizeof(t_probe_cases[0]); i++) {
		const struct t_probe_case *c = &t_probe_cases[i];
		struct vt_result r;
		t_caa(&d, c->domain, c->account, c->methods, T_BUDGET_MS, &r);
		cr_expect_eq(r.outcome, c->outcome, "%s: outcome %s (%s)", c->domain,
		             vt_outcome_name(r.outcome), r.problem.detail);
		cr_expect_eq(r.problem.type, c->prob, "%s: problem %s (%s)", c->domain,
		             vt_problem_type_name(r.problem.type), r.problem.detail);
		if (c->detail != NULL)
			cr_expect_str_eq(r.problem.detail, c->detail, "%s: \"%s\"", c->domain,
			                 r.problem.detail);
		if (c->warning != NULL)
			cr_expect(t_warned(&r, c->warning),
			          "%s: no warning with \"%s\" (%zu: %s | %s)", c->domain,
			          c->warning, r.n_warnings, r.n_warnings > 0 ? r.warnings[0] : "",
			          r.n_warnings > 1 ? r.warnings[1] : "");
		cr_expect_eq(r.n_records, 1, "%s", c->domain);
		if (r.n_records == 1)
			cr_expect_str_eq(r.records[0].hostname, c->domain);
		cr_expect_eq(r.method, VT_METHOD_CAA);
		vt_result_clear(&r);
	}
	dnsstub_stop(&d);
}

/* The budget ends first: names still unanswered at or below the relevant
 * set time out; a set found below an unanswered parent decides at once. */
Test(caa, probe_budget_and_early_decision, .timeout = 30)
{
	struct dnsstub d;
	struct vt_result r;

	dnsstub_start(&d, t_dns_reply);
	t_caa(&d, "x.drop.zz", NULL, T_HTTP, JOB_MIN_BUDGET_MS, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_DNS);
	cr_expect_str_eq(r.problem.detail,
	                 "While processing CAA for x.drop.zz: DNS problem: query timed out looking "
	                 "up CAA for x.drop.zz",
	                 "%s", r.problem.detail);
	cr_expect_eq(r.n_records, 1);
	vt_result_clear(&r);
	t_caa(&d, "www.le.slow", NULL, T_HTTP, JOB_MIN_BUDGET_MS, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_lt(r.timings.total_ms, JOB_MIN_BUDGET_MS / 2, "waited %u ms", r.timings.total_ms);
	vt_result_clear(&r);
	dnsstub_stop(&d);
}
