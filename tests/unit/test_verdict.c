/*
 * test_verdict.c -- verdict rules, Let's Encrypt's multi-perspective
 * arithmetic and the diagnosis sentences (common/verdict.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/verdict.h"
#include "common/verdict_ext.h"

#define TIMEOUT_DETAIL                                                                             \
	"203.0.113.7: Fetching http://example.com/.well-known/acme-challenge/tok: Timeout during " \
	"connect (likely firewall problem)"
#define REFUSED_DETAIL                                                                             \
	"203.0.113.7: Fetching http://example.com/.well-known/acme-challenge/tok: Connection "     \
	"refused"

static struct vt_entry *s_add(struct vt_check *c, const char *agent, const char *region,
                              const char *rir, enum vt_outcome o, enum vt_problem_type type,
                              const char *detail)
{
	struct vt_entry *e = vt_check_add_entry(c);

	cr_assert_not_null(e);
	snprintf(e->vantage.agent, sizeof(e->vantage.agent), "%s", agent);
	snprintf(e->vantage.region, sizeof(e->vantage.region), "%s", region);
	snprintf(e->vantage.rir, sizeof(e->vantage.rir), "%s", rir);
	e->vantage.ipv6 = true;
	e->result.outcome = o;
	if (detail != NULL) {
		e->result.problem.type = type;
		snprintf(e->result.problem.detail, sizeof(e->result.problem.detail), "%s", detail);
	}
	return e;
}

static struct vt_entry *s_pass(struct vt_check *c, const char *agent, const char *region,
                               const char *rir)
{
	return s_add(c, agent, region, rir, VT_OUTCOME_PASS, VT_PROB_NONE, NULL);
}

static struct vt_entry *s_fail(struct vt_check *c, const char *agent, const char *region,
                               const char *rir, enum vt_problem_type type, const char *detail)
{
	return s_add(c, agent, region, rir, VT_OUTCOME_FAIL, type, detail);
}

static struct vt_entry *s_down(struct vt_check *c, const char *agent, const char *region,
                               const char *rir)
{
	return s_add(c, agent, region, rir, VT_OUTCOME_UNAVAILABLE, VT_PROB_NONE, NULL);
}

/* Five vantages in five regions and four RIRs; a1 is the primary.  The
 * outcome of a3 (eu-west, RIPE) is the caller's. */
static void s_five(struct vt_check *c, enum vt_outcome o3, enum vt_problem_type type,
                   const char *detail3)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->domain, sizeof(c->domain), "example.com");
	c->method = VT_METHOD_HTTP01;
	c->mode = VT_MODE_VALIDATE;
	s_pass(c, "a1", "us-east", "ARIN")->vantage.primary = true;
	s_pass(c, "a2", "us-west", "ARIN");
	s_add(c, "a3", "eu-west", "RIPE", o3, type, detail3);
	s_pass(c, "a4", "ap-south", "APNIC");
	s_pass(c, "a5", "sa-east", "LACNIC");
}

/* Does any diagnosis line contain every one of the NULL-terminated needles? */
static bool s_diag_has(const struct vt_check *c, const char *const *needles)
{
	for (size_t i = 0; i < c->n_diagnosis; i++) {
		bool all = true;
		for (size_t k = 0; needles[k] != NULL && all; k++)
			all = strstr(c->diagnosis[i], needles[k]) != NULL;
		if (all)
			return true;
	}
	return false;
}

static size_t s_diag_count(const struct vt_check *c, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_diagnosis; i++)
		if (strstr(c->diagnosis[i], needle) != NULL)
			n++;
	return n;
}

static void s_dump(const struct vt_check *c)
{
	for (size_t i = 0; i < c->n_diagnosis; i++)
		cr_log_info("diagnosis[%zu]: %s", i, c->diagnosis[i]);
	cr_log_info("mpic: %d %s", c->mpic.accepted, c->mpic.reason);
}

#define DIAG_HAS(c, ...)                                                                           \
	do {                                                                                       \
		static const char *const needles_[] = {__VA_ARGS__, NULL};                         \
		if (!s_diag_has((c), needles_))                                                    \
			s_dump(c);                                                                 \
		cr_assert(s_diag_has((c), needles_), "no diagnosis line has all of: %s",           \
		          #__VA_ARGS__);                                                           \
	} while (0)

/* N remotes, no primary: the first `pass` pass, then `fail` fail, the rest
 * did not answer.  RIRs alternate ARIN, RIPE unless one_rir. */
static void s_remotes(struct vt_check *c, unsigned n, unsigned pass, unsigned fail, bool one_rir)
{
	memset(c, 0, sizeof(*c));
	c->mode = VT_MODE_VALIDATE;
	for (unsigned i = 0; i < n; i++) {
		char agent[24], region[24];
		const char *rir = one_rir || i % 2 == 0 ? "ARIN" : "RIPE";
		snprintf(agent, sizeof(agent), "r%u", i);
		snprintf(region, sizeof(region), "region-%u", i);
		if (i < pass)
			s_pass(c, agent, region, rir);
		else if (i < pass + fail)
			s_fail(c, agent, region, rir, VT_PROB_CONNECTION, TIMEOUT_DETAIL);
		else
			s_down(c, agent, region, rir);
	}
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
}

/* ---- names and helpers ---- */

Test(verdict, names_and_worst)
{
	cr_assert_str_eq(vt_verdict_name(VT_VERDICT_PASS), "pass");
	cr_assert_str_eq(vt_verdict_name(VT_VERDICT_FAIL), "fail");
	cr_assert_str_eq(vt_verdict_name(VT_VERDICT_UNKNOWN), "unknown");
	cr_assert_eq(verdict_worst(VT_VERDICT_PASS, VT_VERDICT_PASS), VT_VERDICT_PASS);
	cr_assert_eq(verdict_worst(VT_VERDICT_PASS, VT_VERDICT_UNKNOWN), VT_VERDICT_UNKNOWN);
	cr_assert_eq(verdict_worst(VT_VERDICT_UNKNOWN, VT_VERDICT_FAIL), VT_VERDICT_FAIL);
	cr_assert_eq(verdict_worst(VT_VERDICT_FAIL, VT_VERDICT_PASS), VT_VERDICT_FAIL);
	cr_assert_eq((int)VT_VERDICT_UNKNOWN, 3);
}

Test(verdict, add_entry_and_clear)
{
	struct vt_check c;
	struct vt_entry *e;

	memset(&c, 0, sizeof(c));
	e = vt_check_add_entry(&c);
	cr_assert_not_null(e);
	cr_assert_eq(e->result.outcome, 0);
	cr_assert_not_null(vt_result_add_record(&e->result));
	cr_assert_not_null(vt_check_add_entry(&c));
	cr_assert_eq(c.n_entries, 2);
	cr_assert_eq(c.entries[0].result.n_records, 1);
	vt_check_clear(&c);
	cr_assert_null(c.entries);
	cr_assert_eq(c.n_entries, 0);
}

Test(verdict, problem_summary)
{
	char buf[VERDICT_SUMMARY_LEN];

	verdict_problem_summary(TIMEOUT_DETAIL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "Timeout during connect");
	verdict_problem_summary("During secondary validation: ::1: Fetching http://x/y: Connection "
	                        "refused",
	                        buf, sizeof(buf));
	cr_assert_str_eq(buf, "Connection refused");
	verdict_problem_summary("127.0.0.1: Invalid response from http://example.com/x: 404", buf,
	                        sizeof(buf));
	cr_assert_str_eq(buf, "HTTP 404");
	verdict_problem_summary("The key authorization file from the server did not match this "
	                        "challenge. Expected \"a.b\" (got \"c\")",
	                        buf, sizeof(buf));
	cr_assert(strstr(buf, "(got \"c\")") != NULL, "quoted text must be kept: %s", buf);
	verdict_problem_summary("DNS problem: NXDOMAIN looking up A for x.example", buf,
	                        sizeof(buf));
	cr_assert_str_eq(buf, "DNS problem: NXDOMAIN looking up A for x.example");
}

/* ---- verdict and exit-code rules ---- */

Test(verdict, all_pass)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_PASS, VT_PROB_NONE, NULL);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	DIAG_HAS(&c, "passes from all 5 vantages in 5 regions (4 RIRs)");
	cr_assert_eq(c.n_diagnosis, 1);
	cr_assert_eq(c.mpic.accepted, 1);
	cr_assert(c.mpic.has_primary && c.mpic.primary_passed);
	cr_assert_eq(c.mpic.remotes_total, 4);
	cr_assert_eq(c.mpic.remotes_passed, 4);
	cr_assert_eq(c.mpic.remotes_required, 3);
	cr_assert_eq(c.mpic.rirs_passed, 4);
	vt_check_clear(&c);
}

Test(verdict, reachable_counts_as_pass)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_REACHABLE, VT_PROB_NONE, NULL);
	c.mode = VT_MODE_REACHABILITY;
	for (size_t i = 0; i < c.n_entries; i++)
		c.entries[i].result.outcome = VT_OUTCOME_REACHABLE;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	cr_assert_eq(c.mpic.accepted, 1);
	DIAG_HAS(&c, "reachable from all 5 vantages");
	vt_check_clear(&c);
}

Test(verdict, fail_beats_unknown)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_FAIL, VT_PROB_CONNECTION, TIMEOUT_DETAIL);
	c.entries[4].result.outcome = VT_OUTCOME_UNAVAILABLE;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	vt_check_clear(&c);
}

Test(verdict, unavailable_makes_unknown)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_UNAVAILABLE, VT_PROB_NONE, NULL);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_UNKNOWN);
	DIAG_HAS(&c, "passes from all 4 vantages that answered");
	DIAG_HAS(&c, "vantage a3 (eu-west) did not answer", "on our side, not the site's",
	         "its result is unknown");
	/* 3 of 4 remotes passed, ARIN + APNIC + LACNIC: LE would accept already. */
	cr_assert_eq(c.mpic.accepted, 1);
	cr_assert_eq(c.mpic.remotes_unavailable, 1);
	vt_check_clear(&c);
}

Test(verdict, zero_outcome_is_unavailable)
{
	struct vt_check c;

	s_five(&c, (enum vt_outcome)0, VT_PROB_NONE, NULL);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_UNKNOWN);
	vt_check_clear(&c);
}

Test(verdict, fewer_than_min_answers)
{
	struct vt_check c;

	memset(&c, 0, sizeof(c));
	s_pass(&c, "a1", "us-east", "ARIN");
	s_pass(&c, "a2", "eu-west", "RIPE");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_UNKNOWN);
	DIAG_HAS(&c, "only 2 vantages answered", "fewer than the minimum of 3");
	/* The same two with a minimum of 2 pass. */
	verdict_judge(&c, 2);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	cr_assert_eq(s_diag_count(&c, "minimum"), 0);
	vt_check_clear(&c);
}

Test(verdict, no_entries_is_unknown)
{
	struct vt_check c;

	memset(&c, 0, sizeof(c));
	verdict_judge(&c, 0);
	cr_assert_eq(c.verdict, VT_VERDICT_UNKNOWN);
	cr_assert_eq(c.mpic.accepted, -1);
}

/* ---- Let's Encrypt's multi-perspective rule ---- */

Test(verdict, mpic_too_few_remotes)
{
	struct vt_check c;

	s_remotes(&c, 2, 2, 0, false);
	cr_assert_eq(c.mpic.accepted, -1);
	cr_assert_str_eq(c.mpic.reason,
	                 "Let's Encrypt needs at least 3 remote perspectives; only 2 configured");
	vt_check_clear(&c);
}

Test(verdict, mpic_n3)
{
	struct vt_check c;

	s_remotes(&c, 3, 3, 0, false);
	cr_assert_eq(c.mpic.accepted, 1);
	cr_assert_eq(c.mpic.remotes_required, 2);
	cr_assert_not(c.mpic.has_primary);
	vt_check_clear(&c);
	s_remotes(&c, 3, 2, 1, false); /* ARIN + RIPE pass */
	cr_assert_eq(c.mpic.accepted, 1);
	cr_assert_eq(c.mpic.rirs_passed, 2);
	vt_check_clear(&c);
	s_remotes(&c, 3, 1, 2, false);
	cr_assert_eq(c.mpic.accepted, 0);
	cr_assert(strstr(c.mpic.reason, "only 1 of 3 remotes passed") != NULL, "%s", c.mpic.reason);
	vt_check_clear(&c);
}

Test(verdict, mpic_n4_n5)
{
	struct vt_check c;

	s_remotes(&c, 4, 3, 1, false);
	cr_assert_eq(c.mpic.remotes_required, 3);
	cr_assert_eq(c.mpic.accepted, 1);
	vt_check_clear(&c);
	s_remotes(&c, 4, 2, 2, false);
	cr_assert_eq(c.mpic.accepted, 0);
	vt_check_clear(&c);
	s_remotes(&c, 5, 4, 1, false);
	cr_assert_eq(c.mpic.remotes_required, 4);
	cr_assert_eq(c.mpic.accepted, 1);
	vt_check_clear(&c);
	s_remotes(&c, 5, 3, 2, false);
	cr_assert_eq(c.mpic.accepted, 0);
	vt_check_clear(&c);
}

Test(verdict, mpic_n6_n7)
{
	struct vt_check c;

	s_remotes(&c, 6, 4, 2, false);
	cr_assert_eq(c.mpic.remotes_required, 4);
	cr_assert_eq(c.mpic.accepted, 1);
	vt_check_clear(&c);
	s_remotes(&c, 6, 3, 3, false);
	cr_assert_eq(c.mpic.accepted, 0);
	vt_check_clear(&c);
	s_remotes(&c, 7, 5, 2, false);
	cr_assert_eq(c.mpic.remotes_required, 5);
	cr_assert_eq(c.mpic.accepted, 1);
	vt_check_clear(&c);
	s_remotes(&c, 7, 4, 3, false);
	cr_assert_eq(c.mpic.accepted, 0);
	cr_assert_eq(c.mpic.remotes_passed, 4);
	vt_check_clear(&c);
}

Test(verdict, mpic_needs_two_rirs)
{
	struct vt_check c;

	s_remotes(&c, 4, 4, 0, true);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS); /* the site is fine ... */
	cr_assert_eq(c.mpic.accepted, 0);         /* ... but LE's rule is not met */
	cr_assert_eq(c.mpic.rirs_passed, 1);
	cr_assert(strstr(c.mpic.reason, "at least 2 RIRs") != NULL, "%s", c.mpic.reason);
	vt_check_clear(&c);
}

Test(verdict, mpic_primary_must_pass)
{
	struct vt_check c;
	char problem[LIMIT_DETAIL_LEN + 64];

	s_five(&c, VT_OUTCOME_PASS, VT_PROB_NONE, NULL);
	c.entries[0].result.outcome = VT_OUTCOME_FAIL;
	c.entries[0].result.problem.type = VT_PROB_CONNECTION;
	snprintf(c.entries[0].result.problem.detail, LIMIT_DETAIL_LEN, "%s", REFUSED_DETAIL);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.mpic.accepted, 0);
	cr_assert_eq(c.mpic.remotes_passed, 4);
	cr_assert_not(c.mpic.primary_passed);
	cr_assert(strstr(c.mpic.reason, "primary (a1) failed") != NULL, "%s", c.mpic.reason);
	cr_assert_eq(verdict_le_problem(&c, problem, sizeof(problem)), 0);
	cr_assert_str_eq(problem, REFUSED_DETAIL); /* no "secondary" prefix */
	vt_check_clear(&c);
}

Test(verdict, mpic_le_problem_secondary)
{
	struct vt_check c;
	char problem[LIMIT_DETAIL_LEN + 64];

	s_five(&c, VT_OUTCOME_FAIL, VT_PROB_CONNECTION, TIMEOUT_DETAIL);
	c.entries[3].result.outcome = VT_OUTCOME_FAIL;
	c.entries[3].result.problem.type = VT_PROB_CONNECTION;
	snprintf(c.entries[3].result.problem.detail, LIMIT_DETAIL_LEN, "%s", REFUSED_DETAIL);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.mpic.accepted, 0); /* 2 of 4 passed, 3 required */
	cr_assert_eq(verdict_le_problem(&c, problem, sizeof(problem)), 0);
	cr_assert_str_eq(problem, "During secondary validation: " TIMEOUT_DETAIL);
	vt_check_clear(&c);
	/* Accepted: no LE problem. */
	s_five(&c, VT_OUTCOME_FAIL, VT_PROB_CONNECTION, TIMEOUT_DETAIL);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	cr_assert_eq(c.mpic.accepted, 1); /* one remote may fail with N = 4 */
	cr_assert_eq(verdict_le_problem(&c, problem, sizeof(problem)), -1);
	cr_assert_str_eq(problem, "");
	vt_check_clear(&c);
}

Test(verdict, mpic_unavailable_null_or_not)
{
	struct vt_check c;

	/* N = 4: 2 pass, 1 fails, 1 silent: the silent one decides. */
	s_remotes(&c, 4, 2, 1, false);
	cr_assert_eq(c.mpic.accepted, -1);
	cr_assert_eq(c.mpic.remotes_unavailable, 1);
	cr_assert(strstr(c.mpic.reason, "did not answer") != NULL, "%s", c.mpic.reason);
	vt_check_clear(&c);
	/* N = 4: 1 passes, 2 fail, 1 silent: refused whatever it says. */
	s_remotes(&c, 4, 1, 2, false);
	cr_assert_eq(c.mpic.accepted, 0);
	cr_assert(strstr(c.mpic.reason, "even counting those that did not answer") != NULL, "%s",
	          c.mpic.reason);
	vt_check_clear(&c);
	/* N = 4, one RIR passing and the silent one in the same RIR: refused. */
	s_remotes(&c, 4, 3, 0, true);
	cr_assert_eq(c.mpic.accepted, 0);
	vt_check_clear(&c);
	/* Primary silent, remotes all pass: cannot tell. */
	s_five(&c, VT_OUTCOME_PASS, VT_PROB_NONE, NULL);
	c.entries[0].result.outcome = VT_OUTCOME_UNAVAILABLE;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.mpic.accepted, -1);
	cr_assert(strstr(c.mpic.reason, "primary (a1) did not answer") != NULL, "%s",
	          c.mpic.reason);
	vt_check_clear(&c);
}

/* ---- diagnosis patterns ---- */

Test(verdict, diag_geo_block_timeout)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_FAIL, VT_PROB_CONNECTION, TIMEOUT_DETAIL);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	DIAG_HAS(&c, "fails only from eu-west (Timeout during connect) while 4 other regions pass",
	         "firewall or geo-block drops that region", "does not publish its addresses",
	         "allow /.well-known/acme-challenge/ from everywhere");
	vt_check_clear(&c);
}

Test(verdict, diag_geo_403)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_FAIL, VT_PROB_UNAUTHORIZED,
	       "203.0.113.7: Invalid response from http://example.com/.well-known/acme-challenge/"
	       "tok: 403");
	c.entries[2].result.http_status = 403;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "answers 403 to eu-west only", "geo-IP rule or WAF blocks that region");
	vt_check_clear(&c);
}

Test(verdict, diag_some_refused)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_FAIL, VT_PROB_CONNECTION, REFUSED_DETAIL);
	c.entries[3].result.outcome = VT_OUTCOME_FAIL;
	c.entries[3].result.problem = c.entries[2].result.problem;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "eu-west and ap-south (Connection refused)", "3 other regions pass",
	         "firewall rejects connections from those regions");
	vt_check_clear(&c);
}

Test(verdict, diag_names_agents_when_region_is_mixed)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_FAIL, VT_PROB_CONNECTION, TIMEOUT_DETAIL);
	s_pass(&c, "a6", "eu-west", "RIPE");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "fails only from a3 (eu-west)", "that vantage");
	vt_check_clear(&c);
}

static void s_everywhere(struct vt_check *c, enum vt_problem_type type, const char *detail)
{
	s_five(c, VT_OUTCOME_FAIL, type, detail);
	for (size_t i = 0; i < c->n_entries; i++)
		c->entries[i].result = c->entries[2].result;
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c->verdict, VT_VERDICT_FAIL);
	cr_assert_eq(c->mpic.accepted, 0);
}

Test(verdict, diag_sitewide_refused)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_CONNECTION, REFUSED_DETAIL);
	DIAG_HAS(&c, "fails from every vantage (Connection refused)",
	         "at the site itself, not a region", "listening on port 80");
	vt_check_clear(&c);
}

Test(verdict, diag_sitewide_404_webroot)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_UNAUTHORIZED,
	             "203.0.113.7: Invalid response from "
	             "http://example.com/.well-known/acme-challenge/tok: 404");
	DIAG_HAS(&c, "answers 404 for the challenge file from everywhere", "webroot mismatch");
	vt_check_clear(&c);
}

Test(verdict, diag_sitewide_mismatch)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_UNAUTHORIZED,
	             "The key authorization file from the server did not match this challenge. "
	             "Expected \"tok.thumb\" (got \"<html>tok.thumb\")");
	DIAG_HAS(&c, "did not match from every vantage", "header or footer", "rewrite");
	vt_check_clear(&c);
}

Test(verdict, diag_sitewide_redirects)
{
	struct vt_check c;

	s_everywhere(
	        &c, VT_PROB_CONNECTION,
	        "203.0.113.7: Fetching http://example.com/max-redirect/12: Too many redirects");
	DIAG_HAS(&c, "fails from every vantage (Too many redirects)", "redirect rule",
	         "more than 10 redirects");
	vt_check_clear(&c);
	s_everywhere(&c, VT_PROB_CONNECTION,
	             "203.0.113.7: Fetching https://example.com:1987: Invalid port in redirect "
	             "target. Only ports 80 and 443 are supported, not 1987");
	DIAG_HAS(&c, "Invalid port in redirect target", "port other than 80 or 443");
	vt_check_clear(&c);
}

Test(verdict, diag_sitewide_dns)
{
	struct vt_check c;

	s_everywhere(
	        &c, VT_PROB_DNS,
	        "DNS problem: NXDOMAIN looking up A for example.com - check that a DNS record "
	        "exists for this domain; DNS problem: NXDOMAIN looking up AAAA for example.com "
	        "- check that a DNS record exists for this domain");
	DIAG_HAS(&c, "DNS lookup fails from every vantage", "NXDOMAIN", "fix the domain's DNS");
	vt_check_clear(&c);
}

Test(verdict, diag_sitewide_mixed_problems)
{
	struct vt_check c;

	s_everywhere(&c, VT_PROB_CONNECTION, REFUSED_DETAIL);
	snprintf(c.entries[4].result.problem.detail, LIMIT_DETAIL_LEN, "%s", TIMEOUT_DETAIL);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "fails from every vantage that answered, in 2 different ways");
	DIAG_HAS(&c, "fails from sa-east: Timeout during connect");
	vt_check_clear(&c);
}

Test(verdict, diag_ipv6_broken_deduped)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_PASS, VT_PROB_NONE, NULL);
	vt_result_add_warning(&c.entries[1].result,
	                      "IPv6 connect to [2001:db8::1]:80 failed; fell back to IPv4");
	vt_result_add_warning(&c.entries[2].result,
	                      "IPv6 connect to [2001:db8::1]:80 failed; fell back to IPv4");
	/* A vantage without IPv6 never judges IPv6. */
	c.entries[3].vantage.ipv6 = false;
	vt_result_add_warning(&c.entries[3].result,
	                      "IPv6 connect to [2001:db8::1]:80 failed; fell back to IPv4");
	vt_result_add_warning(&c.entries[0].result, "slow DNS answer (1900 ms)");
	vt_result_add_warning(&c.entries[4].result, "slow DNS answer (1900 ms)");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	DIAG_HAS(&c,
	         "IPv6 is broken: 2 vantages could not connect over IPv6 and fell back to IPv4");
	cr_assert_eq(s_diag_count(&c, "IPv6"), 1);
	DIAG_HAS(&c, "warning from 2 vantages: slow DNS answer (1900 ms)");
	cr_assert_eq(s_diag_count(&c, "slow DNS"), 1);
	vt_check_clear(&c);
}

Test(verdict, no_ipv6_vantage_does_not_judge_ipv6_only_name)
{
	struct vt_check c;
	struct vt_record *r;

	s_five(&c, VT_OUTCOME_FAIL, VT_PROB_CONNECTION, "2001:db8::1: Network unreachable");
	c.entries[2].vantage.ipv6 = false;
	r = vt_result_add_record(&c.entries[2].result);
	cr_assert_not_null(r);
	snprintf(r->addresses_resolved[0], LIMIT_ADDR_LEN, "2001:db8::1");
	r->n_addresses_resolved = 1;
	cr_assert_not(verdict_entry_judged(&c.entries[2]));
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	DIAG_HAS(&c, "a3 (eu-west) has no IPv6", "not used to judge");
	/* With an IPv4 address as well, the same failure counts. */
	snprintf(r->addresses_resolved[1], LIMIT_ADDR_LEN, "203.0.113.7");
	r->n_addresses_resolved = 2;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	vt_check_clear(&c);
}

Test(verdict, several_silent_vantages_one_line)
{
	struct vt_check c;

	s_five(&c, VT_OUTCOME_UNAVAILABLE, VT_PROB_NONE, NULL);
	c.entries[4].result.outcome = VT_OUTCOME_UNAVAILABLE;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "vantages a3 (eu-west) and a5 (sa-east) did not answer",
	         "their results are unknown");
	cr_assert_eq(s_diag_count(&c, "did not answer"), 1);
	vt_check_clear(&c);
}
