/*
 * test_findings_dns.c -- the DNS, DNS-01 and CAA findings
 * (common/diagnose_dns.c, common/diagnose_caa.c, common/finding_text_dns.c):
 * for each id, a check that produces it (its id, severity, vantages and
 * the fix phrase of its text) and healthy checks that must not.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/finding.h"
#include "common/result.h"
#include "common/verdict.h"
#include "common/verdict_ext.h"

#define AGENTS 5

static const char *const s_agents[AGENTS] = {"a1", "a2", "a3", "a4", "a5"};
static const char *const s_regions[AGENTS] = {"us-east", "us-west", "eu-west", "ap-south",
                                              "sa-east"};
static const char *const s_rirs[AGENTS] = {"ARIN", "ARIN", "RIPE", "APNIC", "LACNIC"};

/* The warnings the agents write (common/result.h's markers in them). */
#define W_RESERVED                                                                                 \
	"A record 192.168.1.10 of example.com is in a reserved address block (RFC 1918 private): " \
	"Let's Encrypt ignores it"
#define W_DOUBLE                                                                                   \
	"TXT record at the doubled name _acme-challenge.example.com.example.com: the DNS "         \
	"provider's form took a fully qualified name as relative"
#define W_STALE                                                                                    \
	"_acme-challenge.example.com holds 7 TXT records, 6 of them stale TXT records (not the "   \
	"expected value)"

/* Problem details as Let's Encrypt words them. */
#define D_TXT_NONE  "No TXT record found at _acme-challenge.example.com"
#define D_TXT_WRONG "Incorrect TXT record \"stale\" found at _acme-challenge.example.com"
#define D_NXDOMAIN                                                                                 \
	"DNS problem: NXDOMAIN looking up TXT for _acme-challenge.example.com - check that a DNS " \
	"record exists for this domain"
#define D_SERVFAIL                                                                                 \
	"DNS problem: SERVFAIL looking up TXT for _acme-challenge.example.com - the domain's "     \
	"nameservers may be malfunctioning"
#define D_TIMEOUT "DNS problem: query timed out looking up TXT for _acme-challenge.example.com"
#define D_BOGUS                                                                                    \
	"DNS problem: looking up TXT for _acme-challenge.example.com: DNSSEC: Bogus: signature "   \
	"expired"
#define D_NO_ADDR                                                                                  \
	"no valid A records found for example.com; no valid AAAA records found for example.com"
#define D_CAA "While processing CAA for example.com: CAA record for example.com prevents issuance"
#define D_CAA_SERVFAIL                                                                             \
	"While processing CAA for example.com: DNS problem: SERVFAIL looking up CAA for "          \
	"example.com - the domain's nameservers may be malfunctioning"
#define CAA_SET(records) "CAA set at example.com (1 record): " records

/* Five vantages, all passing, method m. */
static void s_five(struct vt_check *c, enum vt_method m)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->domain, sizeof(c->domain), "example.com");
	c->method = m;
	c->mode = VT_MODE_VALIDATE;
	for (size_t i = 0; i < AGENTS; i++) {
		struct vt_entry *e = vt_check_add_entry(c);
		cr_assert_not_null(e);
		snprintf(e->vantage.agent, sizeof(e->vantage.agent), "%s", s_agents[i]);
		snprintf(e->vantage.region, sizeof(e->vantage.region), "%s", s_regions[i]);
		snprintf(e->vantage.rir, sizeof(e->vantage.rir), "%s", s_rirs[i]);
		e->vantage.primary = i == 0;
		e->vantage.ipv6 = true;
		e->result.method = m;
		e->result.outcome = VT_OUTCOME_PASS;
	}
}

/* Entry i fails with detail. */
static void s_fail(struct vt_check *c, size_t i, enum vt_problem_type type, const char *detail)
{
	struct vt_result *r = &c->entries[i].result;

	r->outcome = VT_OUTCOME_FAIL;
	r->problem.type = type;
	snprintf(r->problem.detail, sizeof(r->problem.detail), "%s", detail);
}

/* Every entry fails with detail. */
static void s_fail_all(struct vt_check *c, enum vt_problem_type type, const char *detail)
{
	for (size_t i = 0; i < c->n_entries; i++)
		s_fail(c, i, type, detail);
}

/* Every entry warns text. */
static void s_warn_all(struct vt_check *c, const char *text)
{
	for (size_t i = 0; i < c->n_entries; i++)
		vt_result_add_warning(&c->entries[i].result, "%s", text);
}

static struct vt_nameserver *s_ns(struct vt_entry *e, const char *name, const char *addr,
                                  bool reachable, const char *answer)
{
	struct vt_nameserver *ns = vt_result_add_nameserver(&e->result);

	cr_assert_not_null(ns);
	snprintf(ns->name, sizeof(ns->name), "%s", name);
	snprintf(ns->address, sizeof(ns->address), "%s", addr);
	ns->reachable = reachable;
	if (reachable) {
		snprintf(ns->rcode, sizeof(ns->rcode), "NOERROR");
		snprintf(ns->answer, sizeof(ns->answer), "%s", answer);
		ns->matches = strcmp(answer, "\"good\"") == 0;
		ns->ttl = 300;
	} else {
		snprintf(ns->error, sizeof(ns->error), "query timed out");
	}
	return ns;
}

/* A healthy DNS-01 check: every vantage passes and sees ns1 and ns2 serve
 * the value. */
static void s_dns_healthy(struct vt_check *c)
{
	s_five(c, VT_METHOD_DNS01);
	for (size_t i = 0; i < c->n_entries; i++) {
		s_ns(&c->entries[i], "ns1.example.com", "10.77.0.90", true, "\"good\"");
		s_ns(&c->entries[i], "ns2.example.com", "10.77.0.91", true, "\"good\"");
	}
}

static void s_judge(struct vt_check *c)
{
	verdict_judge(c, DEFAULT_MIN_ANSWERS);
	for (size_t i = 0; i < c->n_findings; i++) {
		const struct vt_finding *f = &c->findings[i];
		cr_log_info("finding %s (%s): %s", finding_name(f->id),
		            vt_severity_name(f->severity), f->summary);
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

/* The catalogue's fix for id contains phrase. */
static void s_fix_has(enum vt_finding_id id, const char *phrase)
{
	const struct vt_finding_def *d = finding_def(id);

	cr_assert_not_null(d);
	cr_assert_not_null(d->text, "%s has no text", finding_name(id));
	cr_assert_not_null(strstr(d->text->fix, phrase), "%s: fix lacks \"%s\"", d->name, phrase);
}

/*
 * c holds exactly one finding id, with severity sev, whose vantages are
 * exactly the NULL-terminated agents, and the catalogue's fix for id has
 * phrase.  Returns the finding.
 */
static const struct vt_finding *s_expect(const struct vt_check *c, enum vt_finding_id id,
                                         enum vt_severity sev, const char *phrase, ...)
{
	const struct vt_finding *f = vt_check_finding(c, id);
	size_t n = 0;
	va_list ap;

	cr_assert_not_null(f, "no %s finding", finding_name(id));
	cr_assert_eq(s_count(c, id), 1, "%s found %zu times", finding_name(id), s_count(c, id));
	cr_assert_eq(f->severity, sev, "%s: severity %s, want %s", finding_name(id),
	             vt_severity_name(f->severity), vt_severity_name(sev));
	va_start(ap, phrase);
	for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
		bool has = false;
		for (size_t i = 0; i < f->n_vantages && !has; i++)
			has = strcmp(f->vantages[i], a) == 0;
		cr_assert(has, "%s: vantage %s missing", finding_name(id), a);
		n++;
	}
	va_end(ap);
	cr_assert_eq(f->n_vantages, n, "%s: %zu vantages, want %zu", finding_name(id),
	             f->n_vantages, n);
	s_fix_has(id, phrase);
	return f;
}

/* No diagnosis line contains needle. */
static void s_lacks(const struct vt_check *c, const char *needle)
{
	for (size_t i = 0; i < c->n_diagnosis; i++)
		cr_assert_null(strstr(c->diagnosis[i], needle), "line %zu has \"%s\": %s", i,
		               needle, c->diagnosis[i]);
}

/* The ids this file owns. */
static const struct {
	enum vt_finding_id id;
	const char *phrase; /* the fix-phrase contract */
} s_owned[] = {
        {VT_F_NAMESERVER_UNREACHABLE, "every nameserver"},
        {VT_F_NAMESERVERS_DISAGREE, "every nameserver"},
        {VT_F_NO_ADDRESSES, "A or AAAA record"},
        {VT_F_RESERVED_ADDRESS, "public address"},
        {VT_F_DNS_SERVFAIL, "nameserver"},
        {VT_F_DNS_LOOKUP_FAILED, "nameserver"},
        {VT_F_DNSSEC_BOGUS, "DS"},
        {VT_F_TXT_MISSING, "_acme-challenge"},
        {VT_F_TXT_MISMATCH, "value"},
        {VT_F_TXT_DOUBLE_LABEL, "fully qualified"},
        {VT_F_STALE_TXT_RECORDS, "remove"},
        {VT_F_CAA_FORBIDS, "letsencrypt.org"},
        {VT_F_CAA_METHOD_EXCLUDED, "validationmethods"},
        {VT_F_CAA_ACCOUNT_URI, "staging"},
        {VT_F_CAA_CRITICAL_UNKNOWN, "critical"},
        {VT_F_CAA_INVALID, "issue"},
};

/* A healthy check carries none of this file's findings, and nothing of
 * severity warning or worse at all. */
static void s_healthy(const struct vt_check *c)
{
	cr_assert_eq(c->verdict, VT_VERDICT_PASS);
	for (size_t k = 0; k < sizeof(s_owned) / sizeof(s_owned[0]); k++)
		cr_assert_null(vt_check_finding(c, s_owned[k].id), "healthy check has %s",
		               finding_name(s_owned[k].id));
	for (size_t i = 0; i < c->n_findings; i++)
		if (c->findings[i].id != VT_F_NONE) /* the lead's transitional lines */
			cr_assert_lt(c->findings[i].severity, VT_SEV_WARNING, "%s",
			             c->findings[i].summary);
}

/* ---- the catalogue texts ---- */

Test(findings_dns, texts_complete_with_fix_phrases)
{
	for (size_t k = 0; k < sizeof(s_owned) / sizeof(s_owned[0]); k++) {
		const struct vt_finding_def *d = finding_def(s_owned[k].id);
		cr_assert_not_null(d);
		cr_assert_not_null(d->text, "%s has no text", d->name);
		cr_assert_not_null(d->text->title);
		cr_assert_not_null(d->text->applies);
		cr_assert_not_null(d->text->cause);
		cr_assert_not_null(d->text->example);
		cr_assert_gt(strlen(d->text->cause), 80, "%s: cause too thin", d->name);
		/* DNS data, not server configuration: no web-server snippets */
		cr_assert_null(d->text->nginx);
		cr_assert_null(d->text->apache);
		cr_assert_null(d->text->caddy);
		s_fix_has(s_owned[k].id, s_owned[k].phrase);
	}
	cr_assert_str_eq(finding_def(VT_F_CAA_INVALID)->text->letsdebug, "CAAPossiblyInvalid");
	cr_assert_str_eq(finding_def(VT_F_TXT_DOUBLE_LABEL)->text->letsdebug, "TXTDoubleLabel");
}

/* ---- healthy checks: no false alarms ---- */

Test(findings_dns, healthy_dns01_caa_http01_have_none)
{
	struct vt_check c;

	s_dns_healthy(&c);
	s_judge(&c);
	s_healthy(&c);
	vt_check_clear(&c);

	s_five(&c, VT_METHOD_CAA);
	s_warn_all(&c, CAA_SET("0 issue \"letsencrypt.org\"; 0 iodef \"mailto:x@example.com\""));
	s_judge(&c);
	s_healthy(&c);
	vt_check_clear(&c);

	s_five(&c, VT_METHOD_CAA);
	s_warn_all(&c, "no CAA record at example.com or any parent: any CA may issue");
	s_judge(&c);
	s_healthy(&c);
	vt_check_clear(&c);

	s_five(&c, VT_METHOD_HTTP01);
	s_judge(&c);
	s_healthy(&c);
	vt_check_clear(&c);
}

/* ---- DNS-01: the TXT record ---- */

Test(findings_dns, txt_missing_everywhere_and_partial)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_DNS01);
	s_fail_all(&c, VT_PROB_UNAUTHORIZED, D_TXT_NONE);
	s_judge(&c);
	s_expect(&c, VT_F_TXT_MISSING, VT_SEV_ERROR, "_acme-challenge", "a1", "a2", "a3", "a4",
	         "a5", NULL);
	cr_assert(finding_has_evidence(vt_check_finding(&c, VT_F_TXT_MISSING), D_TXT_NONE));
	vt_check_clear(&c);

	/* NXDOMAIN from one region: the name is missing there */
	s_five(&c, VT_METHOD_DNS01);
	s_fail(&c, 2, VT_PROB_DNS, D_NXDOMAIN);
	s_judge(&c);
	s_expect(&c, VT_F_TXT_MISSING, VT_SEV_ERROR, "_acme-challenge", "a3", NULL);
	cr_assert_null(vt_check_finding(&c, VT_F_NO_ADDRESSES),
	               "NXDOMAIN on TXT is not NoAddresses");
	vt_check_clear(&c);
}

Test(findings_dns, txt_mismatch)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_DNS01);
	s_fail_all(&c, VT_PROB_UNAUTHORIZED, D_TXT_WRONG);
	s_judge(&c);
	s_expect(&c, VT_F_TXT_MISMATCH, VT_SEV_ERROR, "value", "a1", "a2", "a3", "a4", "a5", NULL);
	vt_check_clear(&c);

	s_five(&c, VT_METHOD_DNS01);
	s_fail(&c, 3, VT_PROB_UNAUTHORIZED, D_TXT_WRONG);
	s_judge(&c);
	s_expect(&c, VT_F_TXT_MISMATCH, VT_SEV_ERROR, "value", "a4", NULL);
	cr_assert_null(vt_check_finding(&c, VT_F_TXT_MISSING));
	vt_check_clear(&c);
}

/* ---- DNS errors and DNSSEC ---- */

Test(findings_dns, dns_servfail_and_lookup_failed)
{
	struct vt_check c;

	s_five(&c, VT_METHOD_DNS01);
	s_fail_all(&c, VT_PROB_DNS, D_SERVFAIL);
	s_judge(&c);
	s_expect(&c, VT_F_DNS_SERVFAIL, VT_SEV_ERROR, "nameserver", "a1", "a2", "a3", "a4", "a5",
	         NULL);
	vt_check_clear(&c);

	s_five(&c, VT_METHOD_DNS01);
	s_fail(&c, 1, VT_PROB_DNS, D_TIMEOUT);
	s_judge(&c);
	s_expect(&c, VT_F_DNS_LOOKUP_FAILED, VT_SEV_ERROR, "nameserver", "a2", NULL);
	vt_check_clear(&c);

	/* CAA lookups too */
	s_five(&c, VT_METHOD_CAA);
	s_fail_all(&c, VT_PROB_DNS, D_CAA_SERVFAIL);
	s_judge(&c);
	s_expect(&c, VT_F_DNS_SERVFAIL, VT_SEV_ERROR, "nameserver", "a1", "a2", "a3", "a4", "a5",
	         NULL);
	vt_check_clear(&c);
}

Test(findings_dns, dnssec_bogus_with_reason)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five(&c, VT_METHOD_DNS01);
	s_fail_all(&c, VT_PROB_DNS, D_BOGUS);
	s_judge(&c);
	f = s_expect(&c, VT_F_DNSSEC_BOGUS, VT_SEV_FATAL, "DS", "a1", "a2", "a3", "a4", "a5", NULL);
	cr_assert_str_eq(f->evidence[0], "validator: signature expired");
	cr_assert_eq(c.n_findings, 1, "the bogus sentence says it all");
	vt_check_clear(&c);

	/* one region's resolver says bogus: others validate, so an error */
	s_five(&c, VT_METHOD_CAA);
	s_fail(&c, 2, VT_PROB_DNS, D_CAA_SERVFAIL);
	snprintf(c.entries[2].result.dnssec, sizeof(c.entries[2].result.dnssec), "bogus");
	s_judge(&c);
	s_expect(&c, VT_F_DNSSEC_BOGUS, VT_SEV_ERROR, "DS", "a3", NULL);
	vt_check_clear(&c);
}

/* ---- the authoritative sweep ---- */

Test(findings_dns, nameserver_unreachable)
{
	struct vt_check c;
	const struct vt_finding *f;

	/* geo-blocked from eu-west */
	s_dns_healthy(&c);
	c.entries[2].result.nameservers[1].reachable = false;
	c.entries[2].result.nameservers[1].matches = false;
	snprintf(c.entries[2].result.nameservers[1].error, LIMIT_WARNING_LEN, "query timed out");
	s_judge(&c);
	f = s_expect(&c, VT_F_NAMESERVER_UNREACHABLE, VT_SEV_ERROR, "every nameserver", "a3", NULL);
	cr_assert(finding_has_address(f, "10.77.0.91"));
	cr_assert_eq(f->n_addresses, 1);
	cr_assert(finding_has_evidence(
	        f, "ns2.example.com (10.77.0.91): no answer (query timed out)"));
	vt_check_clear(&c);

	/* down from everywhere */
	s_dns_healthy(&c);
	for (size_t i = 0; i < c.n_entries; i++) {
		c.entries[i].result.nameservers[0].reachable = false;
		c.entries[i].result.nameservers[0].matches = false;
	}
	s_judge(&c);
	f = s_expect(&c, VT_F_NAMESERVER_UNREACHABLE, VT_SEV_ERROR, "every nameserver", "a1", "a2",
	             "a3", "a4", "a5", NULL);
	cr_assert(finding_has_address(f, "10.77.0.90"));
	vt_check_clear(&c);
}

Test(findings_dns, nameservers_disagree)
{
	struct vt_check c;
	const struct vt_finding *f;

	/* not propagated: ns2 serves the old value to everyone */
	s_dns_healthy(&c);
	for (size_t i = 0; i < c.n_entries; i++) {
		snprintf(c.entries[i].result.nameservers[1].answer, LIMIT_TXT_LEN, "\"stale\"");
		c.entries[i].result.nameservers[1].matches = false;
	}
	s_judge(&c);
	f = s_expect(&c, VT_F_NAMESERVERS_DISAGREE, VT_SEV_WARNING, "every nameserver", "a1", "a2",
	             "a3", "a4", "a5", NULL);
	cr_assert(finding_has_address(f, "10.77.0.91"));
	cr_assert(finding_has_address(f, "10.77.0.90"));
	cr_assert(finding_has_evidence(f, "ns2.example.com (10.77.0.91): \"stale\""));
	cr_assert(finding_has_evidence(f, "ns1.example.com (10.77.0.90): \"good\""));
	vt_check_clear(&c);

	/* a stale anycast node answers ap-south only */
	s_dns_healthy(&c);
	snprintf(c.entries[3].result.nameservers[0].answer, LIMIT_TXT_LEN, "\"stale\"");
	c.entries[3].result.nameservers[0].matches = false;
	s_judge(&c);
	f = s_expect(&c, VT_F_NAMESERVERS_DISAGREE, VT_SEV_WARNING, "every nameserver", "a4", NULL);
	cr_assert(finding_has_address(f, "10.77.0.90"));
	vt_check_clear(&c);

	/* none serves the value, and they differ: one stale, one empty */
	s_dns_healthy(&c);
	s_fail_all(&c, VT_PROB_UNAUTHORIZED, D_TXT_WRONG);
	for (size_t i = 0; i < c.n_entries; i++) {
		struct vt_nameserver *ns = c.entries[i].result.nameservers;
		snprintf(ns[0].answer, LIMIT_TXT_LEN, "\"stale\"");
		ns[0].matches = false;
		ns[1].answer[0] = '\0';
		ns[1].matches = false;
	}
	s_judge(&c);
	f = s_expect(&c, VT_F_NAMESERVERS_DISAGREE, VT_SEV_WARNING, "every nameserver", "a1", "a2",
	             "a3", "a4", "a5", NULL);
	cr_assert_not_null(strstr(f->summary, "ns2.example.com (10.77.0.91) no TXT"));
	s_expect(&c, VT_F_TXT_MISMATCH, VT_SEV_ERROR, "value", "a1", "a2", "a3", "a4", "a5", NULL);
	vt_check_clear(&c);
}

/* ---- from the agents' warnings ---- */

Test(findings_dns, reserved_address_fatal_when_it_fails)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five(&c, VT_METHOD_HTTP01);
	s_fail_all(&c, VT_PROB_DNS, D_NO_ADDR);
	s_warn_all(&c, W_RESERVED);
	s_judge(&c);
	f = s_expect(&c, VT_F_RESERVED_ADDRESS, VT_SEV_FATAL, "public address", "a1", "a2", "a3",
	             "a4", "a5", NULL);
	cr_assert(finding_has_address(f, "192.168.1.10"));
	cr_assert(finding_has_evidence(f, W_RESERVED));
	s_lacks(&c, "warning from"); /* said once, by the finding */
	vt_check_clear(&c);

	/* tls-alpn-01 alike */
	s_five(&c, VT_METHOD_TLSALPN01);
	s_fail_all(&c, VT_PROB_DNS, D_NO_ADDR);
	s_warn_all(&c, W_RESERVED);
	s_judge(&c);
	s_expect(&c, VT_F_RESERVED_ADDRESS, VT_SEV_FATAL, "public address", "a1", "a2", "a3", "a4",
	         "a5", NULL);
	vt_check_clear(&c);
}

Test(findings_dns, reserved_address_warning_when_it_passes)
{
	struct vt_check c;
	const struct vt_finding *f;

	/* a public address as well: LE drops the private one and passes */
	s_five(&c, VT_METHOD_HTTP01);
	vt_result_add_warning(&c.entries[0].result, "%s", W_RESERVED);
	vt_result_add_warning(&c.entries[4].result, "%s", W_RESERVED);
	s_judge(&c);
	f = s_expect(&c, VT_F_RESERVED_ADDRESS, VT_SEV_WARNING, "public address", "a1", "a5", NULL);
	cr_assert_not_null(strstr(f->summary, "192.168.1.10 (RFC 1918 private)"));
	vt_check_clear(&c);
}

Test(findings_dns, txt_double_label)
{
	struct vt_check c;
	const struct vt_finding *f;

	/* the record is only at the doubled name: that is why it fails */
	s_five(&c, VT_METHOD_DNS01);
	s_fail_all(&c, VT_PROB_UNAUTHORIZED, D_TXT_NONE);
	s_warn_all(&c, W_DOUBLE);
	s_judge(&c);
	f = s_expect(&c, VT_F_TXT_DOUBLE_LABEL, VT_SEV_ERROR, "fully qualified", "a1", "a2", "a3",
	             "a4", "a5", NULL);
	cr_assert_not_null(strstr(f->summary, "_acme-challenge.example.com.example.com"));
	s_expect(&c, VT_F_TXT_MISSING, VT_SEV_ERROR, "_acme-challenge", "a1", "a2", "a3", "a4",
	         "a5", NULL);
	s_lacks(&c, "warning from");
	vt_check_clear(&c);

	/* a leftover at the doubled name while the real one works */
	s_five(&c, VT_METHOD_DNS01);
	vt_result_add_warning(&c.entries[1].result, "%s", W_DOUBLE);
	s_judge(&c);
	s_expect(&c, VT_F_TXT_DOUBLE_LABEL, VT_SEV_WARNING, "fully qualified", "a2", NULL);
	vt_check_clear(&c);
}

Test(findings_dns, stale_txt_records)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_five(&c, VT_METHOD_DNS01);
	s_warn_all(&c, W_STALE);
	s_judge(&c);
	f = s_expect(&c, VT_F_STALE_TXT_RECORDS, VT_SEV_WARNING, "remove", "a1", "a2", "a3", "a4",
	             "a5", NULL);
	cr_assert_not_null(strstr(f->summary, "6 of them stale"));
	s_lacks(&c, "warning from");
	vt_check_clear(&c);
}

/* ---- CAA ---- */

/* Every vantage fails CAA with the agent's reason and set summary. */
static void s_caa_fails(struct vt_check *c, const char *why, const char *set)
{
	s_five(c, VT_METHOD_CAA);
	s_fail_all(c, VT_PROB_CAA, D_CAA);
	s_warn_all(c, why);
	s_warn_all(c, set);
	s_judge(c);
	cr_assert_eq(c->verdict, VT_VERDICT_FAIL);
}

Test(findings_dns, caa_forbids)
{
	struct vt_check c;
	const struct vt_finding *f;

	s_caa_fails(&c, "the CAA set at example.com allows only digicert.com",
	            CAA_SET("0 issue \"digicert.com\""));
	f = s_expect(&c, VT_F_CAA_FORBIDS, VT_SEV_FATAL, "letsencrypt.org", "a1", "a2", "a3", "a4",
	             "a5", NULL);
	/* the reason in the sentence, the records as evidence */
	cr_assert_not_null(strstr(f->summary, "allows only digicert.com: add an issue record"));
	cr_assert(finding_has_evidence(f, CAA_SET("0 issue \"digicert.com\"")));
	s_lacks(&c, "warning from");
	vt_check_clear(&c);

	/* one region gets another CAA set: an error there, not fatal */
	s_five(&c, VT_METHOD_CAA);
	s_fail(&c, 2, VT_PROB_CAA, D_CAA);
	vt_result_add_warning(&c.entries[2].result,
	                      "the CAA set at example.com forbids all issuance (issue \";\")");
	s_judge(&c);
	s_expect(&c, VT_F_CAA_FORBIDS, VT_SEV_ERROR, "letsencrypt.org", "a3", NULL);
	vt_check_clear(&c);
}

Test(findings_dns, caa_method_excluded)
{
	struct vt_check c;

	/* the summary mentions accounturi too: the reason picks the id */
	s_caa_fails(&c,
	            "the CAA set at example.com names letsencrypt.org, but "
	            "validationmethods=dns-01 excludes http-01",
	            CAA_SET("0 issue \"letsencrypt.org; accounturi=https://acme-v02.api."
	                    "letsencrypt.org/acme/acct/1; validationmethods=dns-01\""));
	s_expect(&c, VT_F_CAA_METHOD_EXCLUDED, VT_SEV_FATAL, "validationmethods", "a1", "a2", "a3",
	         "a4", "a5", NULL);
	cr_assert_null(vt_check_finding(&c, VT_F_CAA_FORBIDS));
	vt_check_clear(&c);
}

Test(findings_dns, caa_account_uri)
{
	struct vt_check c;
	const struct vt_finding *f;

	/* the reason the check fails: an error */
	s_caa_fails(&c,
	            "the CAA set at example.com names letsencrypt.org, but accounturi pins "
	            "https://acme-v02.api.letsencrypt.org/acme/acct/1, not this account "
	            "https://acme-staging-v02.api.letsencrypt.org/acme/acct/9",
	            CAA_SET("0 issue \"letsencrypt.org; "
	                    "accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1\""));
	f = s_expect(&c, VT_F_CAA_ACCOUNT_URI, VT_SEV_ERROR, "staging", "a1", "a2", "a3", "a4",
	             "a5", NULL);
	cr_assert_not_null(strstr(f->summary, "staging accounts"));
	vt_check_clear(&c);

	/* passing with a pinned account: context, info */
	s_five(&c, VT_METHOD_CAA);
	s_warn_all(&c, CAA_SET("0 issue \"letsencrypt.org; "
	                       "accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1\""));
	s_judge(&c);
	cr_assert_eq(c.verdict, VT_VERDICT_PASS);
	f = s_expect(&c, VT_F_CAA_ACCOUNT_URI, VT_SEV_INFO, "staging", "a1", "a2", "a3", "a4", "a5",
	             NULL);
	cr_assert_not_null(strstr(f->summary, "acme/acct/1"));
	s_lacks(&c, "warning from");
	vt_check_clear(&c);

	/* another CA's accounturi is none of our business */
	s_five(&c, VT_METHOD_CAA);
	s_warn_all(&c, CAA_SET("0 issue \"letsencrypt.org\"; 0 issue \"digicert.com; "
	                       "accounturi=https://acme.digicert.com/acct/1\""));
	s_judge(&c);
	s_healthy(&c);
	vt_check_clear(&c);
}

Test(findings_dns, caa_critical_unknown)
{
	struct vt_check c;

	s_caa_fails(&c, "the CAA set at example.com has the unknown critical tag 'tbs' (flags 128)",
	            CAA_SET("128 tbs \"x\""));
	s_expect(&c, VT_F_CAA_CRITICAL_UNKNOWN, VT_SEV_FATAL, "critical", "a1", "a2", "a3", "a4",
	         "a5", NULL);
	vt_check_clear(&c);
}

Test(findings_dns, caa_invalid)
{
	struct vt_check c;
	const struct vt_finding *f;

	/* passes through a good record; the other does not parse */
	s_five(&c, VT_METHOD_CAA);
	s_warn_all(&c, "CAA set at example.com (2 records): 0 issue \"letsencrypt.org\"; 0 issue "
	               "\"letsencrypt.org; validationmethods\"");
	s_judge(&c);
	f = s_expect(&c, VT_F_CAA_INVALID, VT_SEV_WARNING, "issue", "a1", "a2", "a3", "a4", "a5",
	             NULL);
	cr_assert_not_null(strstr(f->summary, "0 issue \"letsencrypt.org; validationmethods\""));
	s_lacks(&c, "warning from");
	vt_check_clear(&c);

	/* two accounturi parameters, from one vantage only */
	s_five(&c, VT_METHOD_CAA);
	vt_result_add_warning(&c.entries[4].result, "%s",
	                      CAA_SET("0 issuewild \"letsencrypt.org; accounturi=a; "
	                              "accounturi=b\""));
	s_judge(&c);
	s_expect(&c, VT_F_CAA_INVALID, VT_SEV_WARNING, "issue", "a5", NULL);
	vt_check_clear(&c);

	/* the only record for Let's Encrypt does not parse: why it fails */
	s_caa_fails(&c,
	            "the CAA set at example.com has only malformed issue records (1): malformed "
	            "issue record skipped: parameter \"foo\" is not tag=value",
	            CAA_SET("0 issue \"letsencrypt.org; foo\""));
	s_expect(&c, VT_F_CAA_INVALID, VT_SEV_ERROR, "issue", "a1", "a2", "a3", "a4", "a5", NULL);
	vt_check_clear(&c);

	/* escaped quotes and cut values are read, not misjudged */
	s_five(&c, VT_METHOD_CAA);
	s_warn_all(&c, "CAA set at example.com (2 records): 0 issue \"letsencrypt.org\"; 0 iodef "
	               "\"mailto:\\\"x\\\"@example.com\"");
	s_judge(&c);
	s_healthy(&c);
	vt_check_clear(&c);
}

/* ---- NoAddresses: made by the method sentences through diag_dns_id() ---- */

Test(findings_dns, no_addresses_text)
{
	s_fix_has(VT_F_NO_ADDRESSES, "A or AAAA record");
	cr_assert_str_eq(finding_def(VT_F_NO_ADDRESSES)->text->letsdebug, "NoRecords");
}
