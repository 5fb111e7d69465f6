/*
 * test_verdict.c -- verdict rules, Let's Encrypt's multi-perspective
 * arithmetic and the diagnosis sentences (common/verdict.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
	DIAG_HAS(&c, "fails from sa-east: Timeout during connect", "one of 2 ways");
	cr_assert_eq(c.findings[0].id, VT_F_SITE_UNREACHABLE);
	cr_assert_eq(c.findings[0].n_vantages, 4, "the four that were refused");
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

/* ---- TLS-ALPN-01 ---- */

#define CERT_PREFIX                                                                                \
	"Incorrect validation certificate for tls-alpn-01 challenge. Requested example.com from "  \
	"203.0.113.7:443. "
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* s_five() for another method. */
static void s_five_m(struct vt_check *c, enum vt_method m, enum vt_outcome o3,
                     enum vt_problem_type type, const char *detail3)
{
	s_five(c, o3, type, detail3);
	c->method = m;
	for (size_t i = 0; i < c->n_entries; i++)
		c->entries[i].result.method = m;
}

/* Every vantage fails the same way (method m). */
static void s_everywhere_m(struct vt_check *c, enum vt_method m, enum vt_problem_type type,
                           const char *detail)
{
	s_five_m(c, m, VT_OUTCOME_FAIL, type, detail);
	for (size_t i = 0; i < c->n_entries; i++)
		c->entries[i].result = c->entries[2].result;
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c->verdict, VT_VERDICT_FAIL);
}

/* No diagnosis line contains needle. */
#define DIAG_LACKS(c, needle)                                                                      \
	do {                                                                                       \
		if (s_diag_count((c), (needle)) != 0)                                              \
			s_dump(c);                                                                 \
		cr_assert_eq(s_diag_count((c), (needle)), 0, "a line has: %s", (needle));          \
	} while (0)

Test(verdict, summary_tls_and_caa_prefixes)
{
	char buf[VERDICT_SUMMARY_LEN];

	verdict_problem_summary(CERT_PREFIX "Received certificate which is not self-signed.", buf,
	                        sizeof(buf));
	cr_assert_str_eq(buf, "Received certificate which is not self-signed.");
	verdict_problem_summary("During secondary validation: While processing CAA for "
	                        "example.com: CAA record for example.com prevents issuance",
	                        buf, sizeof(buf));
	cr_assert_str_eq(buf, "CAA record for example.com prevents issuance");
	verdict_problem_summary("203.0.113.7: Timeout during connect (likely firewall problem)",
	                        buf, sizeof(buf));
	cr_assert_str_eq(buf, "Timeout during connect");
}

Test(verdict, tls_no_acme_tls_everywhere)
{
	struct vt_check c;

	s_everywhere_m(&c, VT_METHOD_TLSALPN01, VT_PROB_UNAUTHORIZED,
	               "Cannot negotiate ALPN protocol \"acme-tls/1\" for tls-alpn-01 challenge");
	DIAG_HAS(&c, "the server on port 443 does not offer acme-tls/1 (Cannot negotiate ALPN");
	vt_check_clear(&c);
	s_everywhere_m(&c, VT_METHOD_TLSALPN01, VT_PROB_TLS,
	               "203.0.113.7: remote error: tls: no application protocol");
	DIAG_HAS(&c, "the server on port 443 does not offer acme-tls/1 (remote error");
	vt_check_clear(&c);
}

Test(verdict, tls_old_version)
{
	struct vt_check c;

	s_everywhere_m(&c, VT_METHOD_TLSALPN01, VT_PROB_TLS,
	               "203.0.113.7: remote error: tls: protocol version not supported");
	DIAG_HAS(&c, "the server on port 443 only speaks TLS 1.1 or older",
	         "requires TLS 1.2 or newer");
	vt_check_clear(&c);
}

Test(verdict, tls_certificate_rules)
{
	struct vt_check c;

	s_everywhere_m(&c, VT_METHOD_TLSALPN01, VT_PROB_UNAUTHORIZED,
	               CERT_PREFIX "Received certificate with acmeValidationV1 extension value "
	                           "0011 but expected 2233.");
	DIAG_HAS(&c, "acmeIdentifier holds the wrong digest, from every vantage",
	         "stale certificate or another challenge's");
	vt_check_clear(&c);
	s_everywhere_m(&c, VT_METHOD_TLSALPN01, VT_PROB_UNAUTHORIZED,
	               CERT_PREFIX "Received certificate with acmeValidationV1 extension that is "
	                           "not Critical.");
	DIAG_HAS(&c, "acmeIdentifier extension (1.3.6.1.5.5.7.1.31) is not marked critical");
	vt_check_clear(&c);
	s_everywhere_m(&c, VT_METHOD_TLSALPN01, VT_PROB_UNAUTHORIZED,
	               CERT_PREFIX "Received certificate which is not self-signed.");
	DIAG_HAS(&c, "the certificate on port 443 is not self-signed, from every vantage");
	vt_check_clear(&c);
	/* Only one region gets the stale certificate. */
	s_five_m(&c, VT_METHOD_TLSALPN01, VT_OUTCOME_FAIL, VT_PROB_UNAUTHORIZED,
	         CERT_PREFIX "Received certificate with acmeValidationV1 extension value 0011 but "
	                     "expected 2233.");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "the wrong digest, only from eu-west while 4 other regions pass");
	vt_check_clear(&c);
}

Test(verdict, tls_geo_block_says_port_443)
{
	struct vt_check c;

	s_five_m(&c, VT_METHOD_TLSALPN01, VT_OUTCOME_FAIL, VT_PROB_CONNECTION,
	         "203.0.113.7: Timeout during connect (likely firewall problem)");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "fails only from eu-west (Timeout during connect) while 4 other regions pass",
	         "geo-block drops that region on port 443", "allow port 443 from everywhere");
	DIAG_LACKS(&c, "/.well-known/acme-challenge/");
	DIAG_LACKS(&c, "port 80");
	vt_check_clear(&c);
	s_everywhere_m(&c, VT_METHOD_TLSALPN01, VT_PROB_CONNECTION,
	               "203.0.113.7: Connection refused");
	DIAG_HAS(&c, "fails from every vantage (Connection refused)", "listening on port 443");
	vt_check_clear(&c);
}

static void s_cert(struct vt_entry *e, const char *sha)
{
	e->result.cert.present = true;
	snprintf(e->result.cert.sha256, sizeof(e->result.cert.sha256), "%s", sha);
	snprintf(e->result.cert.alpn, sizeof(e->result.cert.alpn), "acme-tls/1");
}

Test(verdict, tls_different_certificate)
{
	struct vt_check c;

	s_five_m(&c, VT_METHOD_TLSALPN01, VT_OUTCOME_PASS, VT_PROB_NONE, NULL);
	for (size_t i = 0; i < c.n_entries; i++)
		s_cert(&c.entries[i], i == 2 ? SHA_B : SHA_A);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	DIAG_HAS(&c, "passes from all 5 vantages");
	DIAG_HAS(&c,
	         "eu-west sees a different certificate (sha256 bbbbbbbbbbbbbbbb...) than the other "
	         "regions: a CDN edge or a stale server in that region");
	cr_assert_eq(s_diag_count(&c, "different certificate"), 1);
	/* The same certificate everywhere: nothing to say. */
	s_cert(&c.entries[2], SHA_A);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_LACKS(&c, "different certificate");
	vt_check_clear(&c);
}

Test(verdict, tls_ipv6_fallback_wording)
{
	struct vt_check c;

	s_five_m(&c, VT_METHOD_TLSALPN01, VT_OUTCOME_PASS, VT_PROB_NONE, NULL);
	vt_result_add_warning(&c.entries[1].result,
	                      "IPv6 connect to [2001:db8::1]:443 failed; fell back to IPv4");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "IPv6 is broken", "any connection or handshake error");
	DIAG_LACKS(&c, "redirect");
	vt_check_clear(&c);
}

/* ---- DNS-01 ---- */

static struct vt_nameserver *s_ns(struct vt_entry *e, const char *name, const char *addr,
                                  bool reachable, bool matches)
{
	struct vt_nameserver *ns = vt_result_add_nameserver(&e->result);

	cr_assert_not_null(ns);
	snprintf(ns->name, sizeof(ns->name), "%s", name);
	snprintf(ns->address, sizeof(ns->address), "%s", addr);
	ns->reachable = reachable;
	ns->matches = reachable && matches;
	if (reachable) {
		snprintf(ns->rcode, sizeof(ns->rcode), "NOERROR");
		snprintf(ns->answer, sizeof(ns->answer), "\"%s\"", matches ? "good" : "stale");
		ns->ttl = 300;
	} else {
		snprintf(ns->error, sizeof(ns->error), "query timed out");
	}
	return ns;
}

/* Five passing DNS-01 vantages that each swept ns1 and ns2. */
static void s_dns_five(struct vt_check *c)
{
	s_five_m(c, VT_METHOD_DNS01, VT_OUTCOME_PASS, VT_PROB_NONE, NULL);
	for (size_t i = 0; i < c->n_entries; i++) {
		s_ns(&c->entries[i], "ns1.example.com", "10.77.0.90", true, true);
		s_ns(&c->entries[i], "ns2.example.com", "10.77.0.91", true, true);
	}
}

Test(verdict, dns_nameserver_geo_blocked)
{
	struct vt_check c;

	s_dns_five(&c);
	c.entries[2].result.nameservers[1].reachable = false;
	c.entries[2].result.nameservers[1].matches = false;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "ns2.example.com (10.77.0.91) does not answer from eu-west while 4 other "
	             "regions reach it: geo-blocked or firewalled DNS; Let's Encrypt's remote "
	             "perspectives will fail there");
	DIAG_LACKS(&c, "ns1.example.com (10.77.0.90) does not");
	DIAG_LACKS(&c, "not propagated");
	vt_check_clear(&c);
}

Test(verdict, dns_nameserver_down_everywhere)
{
	struct vt_check c;

	s_dns_five(&c);
	for (size_t i = 0; i < c.n_entries; i++) {
		c.entries[i].result.nameservers[1].reachable = false;
		c.entries[i].result.nameservers[1].matches = false;
		snprintf(c.entries[i].result.nameservers[1].error, LIMIT_WARNING_LEN,
		         "query timed out");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "ns2.example.com (10.77.0.91) does not answer from any vantage: ",
	         "(query timed out)");
	vt_check_clear(&c);
}

Test(verdict, dns_ipv6_nameserver_not_judged_without_ipv6)
{
	struct vt_check c;

	s_dns_five(&c);
	for (size_t i = 0; i < c.n_entries; i++)
		s_ns(&c.entries[i], "ns1.example.com", "2001:db8::53", i != 2, true);
	c.entries[2].vantage.ipv6 = false;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_LACKS(&c, "2001:db8::53");
	vt_check_clear(&c);
}

Test(verdict, dns_not_propagated)
{
	struct vt_check c;

	s_dns_five(&c);
	for (size_t i = 0; i < c.n_entries; i++)
		c.entries[i].result.nameservers[1].matches = false;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "not propagated: ns2.example.com (10.77.0.91) does not serve the TXT record "
	             "yet (ns1.example.com does): wait until every nameserver serves it (vantage "
	             "wait --method dns-01) or fix the zone transfer");
	cr_assert_eq(s_diag_count(&c, "not propagated"), 1);
	vt_check_clear(&c);
}

Test(verdict, dns_one_region_gets_stale_answer)
{
	struct vt_check c;

	s_dns_five(&c);
	c.entries[2].result.nameservers[0].matches = false;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "ns1.example.com (10.77.0.90) does not serve the TXT record to eu-west while "
	             "4 other regions get it");
	DIAG_LACKS(&c, "not propagated");
	vt_check_clear(&c);
}

Test(verdict, dns_dnssec_bogus)
{
	struct vt_check c;

	s_everywhere_m(&c, VT_METHOD_DNS01, VT_PROB_DNS,
	               "DNS problem: looking up TXT for _acme-challenge.example.com: DNSSEC: "
	               "Bogus: signature expired");
	DIAG_HAS(&c, "DNSSEC validation fails (bogus) from every vantage (signature expired)",
	         "fix the signatures or the DS record; Let's Encrypt's resolvers will refuse "
	         "every answer");
	cr_assert_eq(c.n_diagnosis, 1, "the bogus sentence says it all");
	vt_check_clear(&c);
	/* Only the result's dnssec field says so, from one region. */
	s_five_m(&c, VT_METHOD_DNS01, VT_OUTCOME_FAIL, VT_PROB_DNS,
	         "DNS problem: SERVFAIL looking up TXT for _acme-challenge.example.com - the "
	         "domain's nameservers may be malfunctioning");
	snprintf(c.entries[2].result.dnssec, sizeof(c.entries[2].result.dnssec), "bogus");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "DNSSEC validation fails (bogus) from eu-west while 4 other regions",
	         "fix the signatures or the DS record");
	vt_check_clear(&c);
}

Test(verdict, dns_wrong_value_no_txt_nxdomain)
{
	struct vt_check c;

	s_everywhere_m(&c, VT_METHOD_DNS01, VT_PROB_UNAUTHORIZED,
	               "Incorrect TXT record \"stale\" found at _acme-challenge.example.com");
	DIAG_HAS(&c,
	         "the TXT record at _acme-challenge.example.com has the wrong value from "
	         "every vantage",
	         "Incorrect TXT record \"stale\"");
	vt_check_clear(&c);
	s_everywhere_m(&c, VT_METHOD_DNS01, VT_PROB_UNAUTHORIZED,
	               "No TXT record found at _acme-challenge.example.com");
	DIAG_HAS(&c, "there is no TXT record at _acme-challenge.example.com from every vantage");
	vt_check_clear(&c);
	s_everywhere_m(&c, VT_METHOD_DNS01, VT_PROB_DNS,
	               "DNS problem: NXDOMAIN looking up TXT for _acme-challenge.example.com - "
	               "check that a DNS record exists for this domain");
	DIAG_HAS(&c, "_acme-challenge.example.com does not exist (NXDOMAIN) from every vantage");
	vt_check_clear(&c);
	s_five_m(&c, VT_METHOD_DNS01, VT_OUTCOME_FAIL, VT_PROB_DNS,
	         "DNS problem: NXDOMAIN looking up TXT for _acme-challenge.example.com - check "
	         "that a DNS record exists for this domain");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c, "does not exist (NXDOMAIN) for eu-west while 4 other regions pass",
	         "not caught up");
	vt_check_clear(&c);
}

Test(verdict, dns_diagnosis_is_deterministic)
{
	struct vt_check c;
	char first[VERDICT_MAX_DIAGNOSIS][VERDICT_DIAGNOSIS_LEN];
	size_t n;

	s_dns_five(&c);
	c.entries[2].result.nameservers[1].reachable = false;
	c.entries[3].result.nameservers[0].matches = false;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	n = c.n_diagnosis;
	memcpy(first, c.diagnosis, sizeof(first));
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.n_diagnosis, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(c.diagnosis[i], first[i]);
	vt_check_clear(&c);
}

/* ---- CAA ---- */

#define CAA_FORBIDS                                                                                \
	"While processing CAA for example.com: CAA record for example.com prevents issuance"

Test(verdict, caa_forbids_with_reason)
{
	struct vt_check c;

	s_five_m(&c, VT_METHOD_CAA, VT_OUTCOME_FAIL, VT_PROB_CAA, CAA_FORBIDS);
	vt_result_add_warning(
	        &c.entries[2].result,
	        "CAA at example.com: issue \"digicert.com\" only authorizes another CA");
	for (size_t i = 0; i < c.n_entries; i++)
		c.entries[i].result = c.entries[2].result;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c,
	         "CAA at example.com forbids this CA: issue \"digicert.com\" only authorizes "
	         "another CA",
	         "add an issue record");
	DIAG_LACKS(&c, "warning from"); /* quoted once, not repeated */
	vt_check_clear(&c);
}

Test(verdict, caa_forbids_reasons_advise)
{
	static const struct {
		const char *warning, *advice;
	} cases[] = {
	        {"validationmethods=dns-01 excludes http-01", "add the method you validate with"},
	        {"unknown critical tag \"tbs\"", "drop the tag or its critical flag"},
	        {"accounturi is pinned to https://acme-v02.api.letsencrypt.org/acme/acct/1",
	         "staging accounts"},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct vt_check c;
		s_five_m(&c, VT_METHOD_CAA, VT_OUTCOME_FAIL, VT_PROB_CAA, CAA_FORBIDS);
		vt_result_add_warning(&c.entries[2].result, "%s", cases[k].warning);
		for (size_t i = 0; i < c.n_entries; i++)
			c.entries[i].result = c.entries[2].result;
		verdict_judge(&c, DEFAULT_MIN_ANSWERS);
		const char *needles[] = {"CAA at example.com forbids this CA: ", cases[k].warning,
		                         cases[k].advice, NULL};
		if (!s_diag_has(&c, needles))
			s_dump(&c);
		cr_assert(s_diag_has(&c, needles), "case %zu", k);
		vt_check_clear(&c);
	}
}

Test(verdict, caa_differs_between_regions)
{
	struct vt_check c;

	s_five_m(&c, VT_METHOD_CAA, VT_OUTCOME_FAIL, VT_PROB_CAA, CAA_FORBIDS);
	vt_result_add_warning(&c.entries[2].result, "issue \"digicert.com\" only");
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c,
	         "CAA at example.com forbids this CA only from eu-west (issue \"digicert.com\" "
	         "only) while 4 other regions allow it",
	         "remote perspectives");
	vt_check_clear(&c);
}

Test(verdict, caa_lookup_fails)
{
	struct vt_check c;

	s_everywhere_m(&c, VT_METHOD_CAA, VT_PROB_DNS,
	               "While processing CAA for example.com: DNS problem: SERVFAIL looking up CAA "
	               "for example.com - the domain's nameservers may be malfunctioning");
	DIAG_HAS(&c,
	         "the CAA lookup fails from every vantage (DNS problem: SERVFAIL looking up CAA",
	         "DNSSEC");
	vt_check_clear(&c);
}

Test(verdict, caa_le_problem)
{
	struct vt_check c;
	char problem[LIMIT_DETAIL_LEN + 64 + LIMIT_DOMAIN_LEN];

	/* Two remotes forbid: 2 of 4 pass, LE refuses with a secondary's detail. */
	s_five_m(&c, VT_METHOD_CAA, VT_OUTCOME_FAIL, VT_PROB_CAA, CAA_FORBIDS);
	c.entries[3].result.outcome = VT_OUTCOME_FAIL;
	c.entries[3].result.problem = c.entries[2].result.problem;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.mpic.accepted, 0);
	cr_assert_eq(c.mpic.remotes_required, 3);
	cr_assert_eq(verdict_le_problem(&c, problem, sizeof(problem)), 0);
	cr_assert_str_eq(problem, "During secondary validation: " CAA_FORBIDS);
	/* The primary forbids: its detail, no prefix. */
	c.entries[0].result.outcome = VT_OUTCOME_FAIL;
	c.entries[0].result.problem = c.entries[2].result.problem;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(verdict_le_problem(&c, problem, sizeof(problem)), 0);
	cr_assert_str_eq(problem, CAA_FORBIDS);
	/* An agent detail without LE's CAA prefix gets it. */
	snprintf(c.entries[0].result.problem.detail, LIMIT_DETAIL_LEN,
	         "CAA record for example.com prevents issuance");
	cr_assert_eq(verdict_le_problem(&c, problem, sizeof(problem)), 0);
	cr_assert_str_eq(problem, CAA_FORBIDS);
	vt_check_clear(&c);
}

/* ---- tls-cert (issue 5) ---- */

#define DAY_S 86400

/* e received certificate sha, life_days long, with left_days left now; its
 * chain verifies and it names the domain unless the caller says otherwise. */
static void s_tlscert(struct vt_entry *e, const char *sha, double life_days, double left_days)
{
	struct vt_cert *k = &e->result.cert;
	int64_t now = (int64_t)time(NULL);

	memset(k, 0, sizeof(*k));
	k->present = true;
	snprintf(k->subject, sizeof(k->subject), "CN=example.com");
	snprintf(k->issuer, sizeof(k->issuer), "CN=R11,O=Let's Encrypt,C=US");
	snprintf(k->sans[0], sizeof(k->sans[0]), "example.com");
	snprintf(k->sans[1], sizeof(k->sans[1]), "www.example.com");
	k->n_sans = 2;
	k->not_after = now + (int64_t)(left_days * DAY_S);
	k->not_before = k->not_after - (int64_t)(life_days * DAY_S);
	snprintf(k->sha256, sizeof(k->sha256), "%s", sha);
	snprintf(k->tls_version, sizeof(k->tls_version), "TLSv1.3");
	snprintf(k->alpn, sizeof(k->alpn), "http/1.1");
	k->chain_len = 2;
	k->chain_verified = true;
	k->name_matches = true;
}

/* Five tls-cert vantages that all got SHA_A, life_days long with
 * left_days left; judged. */
static void s_tlscert_five(struct vt_check *c, double life_days, double left_days)
{
	s_five_m(c, VT_METHOD_TLSCERT, VT_OUTCOME_PASS, VT_PROB_NONE, NULL);
	c->mode = VT_MODE_REACHABILITY;
	for (size_t i = 0; i < c->n_entries; i++)
		s_tlscert(&c->entries[i], SHA_A, life_days, left_days);
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
}

Test(verdict, tlscert_ok_passes_without_le_rule)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 60);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	cr_assert_eq(c.mpic.accepted, -1, "LE's rule does not apply");
	cr_assert(strstr(c.mpic.reason, "does not apply") != NULL, "%s", c.mpic.reason);
	DIAG_HAS(&c, "the certificate expires ", "(67 % of its 90-day lifetime left): ok",
	         "renewal is due from ", "when a third of its lifetime is left");
	DIAG_LACKS(&c, "different certificates");
	DIAG_LACKS(&c, "does not verify");
	DIAG_LACKS(&c, "does not name");
	cr_assert_eq(c.n_diagnosis, 1, "one line when all is well");
	vt_check_clear(&c);
}

Test(verdict, tlscert_warning_passes_with_renewal_advice)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 25);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	DIAG_HAS(&c, "the certificate expires ", ": warning: past its renewal point",
	         "Let's Encrypt advises renewing when a third of the lifetime is left",
	         "check its timer and logs");
	vt_check_clear(&c);
}

Test(verdict, tlscert_critical_and_expired_fail)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 6.5);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	DIAG_HAS(&c, "the certificate expires ", "(7 % of its 90-day lifetime left): critical",
	         "renew it now", "renewals are failing");
	vt_check_clear(&c);
	s_tlscert_five(&c, 90, -3);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	DIAG_HAS(&c, "the certificate expired ", "3.0 days ago", "browsers refuse it");
	/* the leaf's own expiry is not repeated as an untrusted chain */
	for (size_t i = 0; i < c.n_entries; i++) {
		c.entries[i].result.cert.chain_verified = false;
		snprintf(c.entries[i].result.cert.verify_error,
		         sizeof(c.entries[i].result.cert.verify_error), "certificate has expired");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_LACKS(&c, "does not verify");
	vt_check_clear(&c);
	/* not yet valid */
	s_tlscert_five(&c, 90, 92);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	DIAG_HAS(&c, "the certificate is not valid before ", "not yet valid");
	vt_check_clear(&c);
}

Test(verdict, tlscert_short_lived_judged_like_ninety_day)
{
	struct vt_check c;
	static const double fracs[] = {0.5, 0.25, 0.1};
	static const enum vt_verdict want[] = {VT_VERDICT_PASS, VT_VERDICT_PASS, VT_VERDICT_FAIL};

	for (size_t i = 0; i < sizeof(fracs) / sizeof(fracs[0]); i++) {
		s_tlscert_five(&c, 90, 90 * fracs[i]);
		cr_assert_eq(c.verdict, want[i], "90-day, %.2f left", fracs[i]);
		vt_check_clear(&c);
		s_tlscert_five(&c, 160.0 / 24, 160.0 / 24 * fracs[i]);
		cr_assert_eq(c.verdict, want[i], "6-day, %.2f left", fracs[i]);
		if (i == 0)
			DIAG_HAS(&c, "of its 6.7-day lifetime left): ok");
		vt_check_clear(&c);
	}
}

Test(verdict, tlscert_region_cannot_connect)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 60);
	vt_result_fail(&c.entries[2].result, VT_PROB_CONNECTION, "203.0.113.7: Connection refused");
	memset(&c.entries[2].result.cert, 0, sizeof(c.entries[2].result.cert));
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	DIAG_HAS(&c,
	         "port 443 fails only from eu-west (Connection refused) while 4 other regions get "
	         "a certificate");
	DIAG_HAS(&c, "(67 % of its 90-day lifetime left): ok");
	vt_check_clear(&c);
	/* everywhere */
	s_tlscert_five(&c, 90, 60);
	for (size_t i = 0; i < c.n_entries; i++) {
		vt_result_fail(&c.entries[i].result, VT_PROB_CONNECTION,
		               "203.0.113.7: Connection refused");
		c.entries[i].result.cert.present = false;
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL);
	DIAG_HAS(&c, "HTTPS is down: port 443 refuses connections from every vantage");
	vt_check_clear(&c);
}

Test(verdict, tlscert_vantages_see_different_certificates)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 60);
	s_tlscert(&c.entries[2], SHA_B, 90, 5); /* eu-west: a stale server */
	s_tlscert(&c.entries[3], SHA_B, 90, 5);
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_FAIL, "the stale certificate is critical");
	DIAG_HAS(&c, "vantages see different certificates: a1 (us-east), a2 (us-west) and a5 "
	             "(sa-east) get sha256 aaaaaaaaaaaaaaaa..., a3 (eu-west) and a4 (ap-south) get "
	             "sha256 bbbbbbbbbbbbbbbb...: a CDN edge or a stale server in some regions");
	/* each certificate's expiry, the worst first, naming who gets it */
	cr_assert(strstr(c.diagnosis[0],
	                 "the certificate a3 (eu-west) and a4 (ap-south) get (sha256 "
	                 "bbbbbbbbbbbbbbbb...) expires ") == c.diagnosis[0],
	          "%s", c.diagnosis[0]);
	DIAG_HAS(&c, "critical", "renew it now");
	DIAG_HAS(&c,
	         "the certificate a1 (us-east), a2 (us-west) and a5 (sa-east) get (sha256 "
	         "aaaaaaaaaaaaaaaa...) expires ",
	         ": ok");
	vt_check_clear(&c);
}

Test(verdict, tlscert_untrusted_chain_and_wrong_name)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 60);
	for (size_t i = 0; i < c.n_entries; i++) {
		struct vt_cert *k = &c.entries[i].result.cert;
		k->chain_verified = false;
		k->chain_len = 1;
		snprintf(k->verify_error, sizeof(k->verify_error),
		         "unable to get local issuer certificate");
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS, "trust is said, not judged");
	DIAG_HAS(&c,
	         "the certificate chain does not verify (unable to get local issuer certificate) "
	         "from any vantage",
	         "serve the full chain");
	vt_check_clear(&c);
	/* one region gets a self-signed certificate for another name */
	s_tlscert_five(&c, 90, 60);
	{
		struct vt_cert *k = &c.entries[2].result.cert;
		k->chain_verified = false;
		k->name_matches = false;
		snprintf(k->sans[0], sizeof(k->sans[0]), "localhost");
		k->n_sans = 1;
		snprintf(k->verify_error, sizeof(k->verify_error),
		         "self-signed certificate; hostname mismatch");
		snprintf(k->sha256, sizeof(k->sha256), "%s", SHA_B);
	}
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	DIAG_HAS(&c,
	         "the certificate chain does not verify (self-signed certificate) from eu-west "
	         "while 4 other regions verify it",
	         "public CA");
	DIAG_HAS(&c, "the certificate does not name example.com (it names localhost), from eu-west",
	         "SNI");
	DIAG_HAS(&c, "vantages see different certificates");
	vt_check_clear(&c);
}

Test(verdict, tlscert_unavailable_is_unknown)
{
	struct vt_check c;

	s_tlscert_five(&c, 90, 60);
	c.entries[4].result.outcome = VT_OUTCOME_UNAVAILABLE;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_UNKNOWN);
	DIAG_HAS(&c, "did not answer");
	for (size_t i = 0; i < c.n_entries; i++)
		c.entries[i].result.outcome = VT_OUTCOME_UNAVAILABLE;
	verdict_judge(&c, DEFAULT_MIN_ANSWERS);
	cr_assert_eq(c.verdict, VT_VERDICT_UNKNOWN);
	DIAG_HAS(&c, "no vantage answered");
	vt_check_clear(&c);
}
