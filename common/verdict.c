/*
 * verdict.c -- judging one (domain, method) across vantages: the verdict
 * (whose values are the CLI's exit codes), which vantages count towards it
 * (IPv6-only names), Let's Encrypt's multi-perspective rule
 * (letsencrypt-validation.md 6.1 and 10.2) and the detail LE would show
 * when it refuses.  verdict_judge() ties them together and asks
 * diagnose.c for the diagnosis sentences.  A tls-cert check is no
 * validation: LE's rule does not apply, and a vantage whose certificate
 * is critical or expired (certcheck.c's default policy, on this host's
 * clock) fails it.  Pure functions: no I/O, no allocation except
 * vt_check_add_entry(); the wall clock is read once per verdict_judge().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "verdict.h"
#include "verdict_ext.h"
#include "diagnose_int.h"

/* ---- names and the check's entries ---- */

enum vt_verdict verdict_worst(enum vt_verdict a, enum vt_verdict b)
{
	if (a == VT_VERDICT_FAIL || b == VT_VERDICT_FAIL)
		return VT_VERDICT_FAIL;
	if (a == VT_VERDICT_UNKNOWN || b == VT_VERDICT_UNKNOWN)
		return VT_VERDICT_UNKNOWN;
	if (a == VT_VERDICT_PASS && b == VT_VERDICT_PASS)
		return VT_VERDICT_PASS;
	return VT_VERDICT_UNKNOWN; /* out-of-range value: never claim pass */
}

const char *vt_verdict_name(enum vt_verdict v)
{
	switch (v) {
	case VT_VERDICT_PASS:
		return "pass";
	case VT_VERDICT_FAIL:
		return "fail";
	case VT_VERDICT_UNKNOWN:
		break;
	}
	return "unknown";
}

struct vt_finding *vt_check_finding(const struct vt_check *c, enum vt_finding_id id)
{
	for (size_t i = 0; i < c->n_findings && i < VERDICT_MAX_DIAGNOSIS; i++)
		if (c->findings[i].id == id)
			return (struct vt_finding *)&c->findings[i];
	return NULL;
}

struct vt_entry *vt_check_add_entry(struct vt_check *c)
{
	struct vt_entry *ents;

	if (c->n_entries >= LIMIT_AGENTS)
		return NULL;
	ents = realloc(c->entries, (c->n_entries + 1) * sizeof(*ents));
	if (ents == NULL)
		return NULL;
	c->entries = ents;
	memset(&ents[c->n_entries], 0, sizeof(*ents));
	return &ents[c->n_entries++];
}

void vt_check_clear(struct vt_check *c)
{
	for (size_t i = 0; i < c->n_entries; i++)
		vt_result_clear(&c->entries[i].result);
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

/* ---- IPv6-only names and vantages without IPv6 ---- */

bool verdict_entry_judged(const struct vt_entry *e)
{
	const struct vt_record *r;

	if (e->vantage.ipv6 || !diag_failing(e) || e->result.n_records == 0 ||
	    e->result.records == NULL)
		return true;
	r = &e->result.records[0];
	if (r->n_addresses_resolved == 0)
		return true;
	for (size_t i = 0; i < r->n_addresses_resolved && i < LIMIT_MAX_ADDRS * 2; i++)
		if (strchr(r->addresses_resolved[i], ':') == NULL)
			return true; /* it had an IPv4 address to judge with */
	return false;
}

/* ---- Let's Encrypt's multi-perspective rule ---- */

static bool s_remote(const struct vt_check *c, size_t i, const struct vt_entry *primary)
{
	return verdict_entry_judged(&c->entries[i]) && &c->entries[i] != primary;
}

/* Distinct RIRs among remotes that passed (and, with best, those that did
 * not answer either: the most they could reach). */
static unsigned s_remote_rirs(const struct vt_check *c, const struct vt_entry *primary, bool best)
{
	unsigned n = 0;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		bool seen = false;
		if (!s_remote(c, i, primary) || e->vantage.rir[0] == '\0')
			continue;
		if (!diag_passing(e) && !(best && diag_unavailable(e)))
			continue;
		for (size_t j = 0; j < i && !seen; j++) {
			const struct vt_entry *f = &c->entries[j];
			seen = s_remote(c, j, primary) &&
			       (diag_passing(f) || (best && diag_unavailable(f))) &&
			       strcasecmp(f->vantage.rir, e->vantage.rir) == 0;
		}
		if (!seen)
			n++;
	}
	return n;
}

static const struct vt_entry *s_primary(const struct vt_check *c)
{
	for (size_t i = 0; i < c->n_entries; i++)
		if (c->entries[i].vantage.primary && verdict_entry_judged(&c->entries[i]))
			return &c->entries[i];
	return NULL;
}

static void s_mpic(struct vt_check *c)
{
	struct vt_mpic *m = &c->mpic;
	const struct vt_entry *primary = s_primary(c);
	unsigned allowed, failed = 0, rirs_best;
	bool ok_now, ok_best, primary_failed;

	memset(m, 0, sizeof(*m));
	if (c->method == VT_METHOD_TLSCERT) {
		m->accepted = -1;
		snprintf(m->reason, sizeof(m->reason),
		         "tls-cert is no validation: Let's Encrypt's multi-perspective rule does "
		         "not apply");
		return;
	}
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!s_remote(c, i, primary))
			continue;
		m->remotes_total++;
		if (diag_passing(e))
			m->remotes_passed++;
		else if (diag_failing(e))
			failed++;
		else
			m->remotes_unavailable++;
	}
	m->has_primary = primary != NULL;
	m->primary_passed = primary != NULL && diag_passing(primary);
	primary_failed = primary != NULL && diag_failing(primary);
	allowed = m->remotes_total < 2 ? 0 : (m->remotes_total <= 5 ? 1 : 2);
	m->remotes_required = m->remotes_total - allowed;
	m->rirs_passed = s_remote_rirs(c, primary, false);
	rirs_best = s_remote_rirs(c, primary, true);

	if (m->remotes_total < 3) {
		m->accepted = -1;
		snprintf(m->reason, sizeof(m->reason),
		         "Let's Encrypt needs at least 3 remote perspectives; only %u configured",
		         m->remotes_total);
		return;
	}
	ok_now = (primary == NULL || m->primary_passed) &&
	         m->remotes_passed >= m->remotes_required && m->rirs_passed >= 2;
	ok_best = !primary_failed &&
	          m->remotes_passed + m->remotes_unavailable >= m->remotes_required &&
	          rirs_best >= 2;
	m->accepted = ok_now ? 1 : (ok_best ? -1 : 0);

	if (m->accepted == 1) {
		snprintf(m->reason, sizeof(m->reason),
		         "%s%u of %u remotes passed (%u required) from %u RIRs",
		         primary != NULL ? "the primary passed and " : "no primary configured; ",
		         m->remotes_passed, m->remotes_total, m->remotes_required, m->rirs_passed);
	} else if (primary_failed) {
		snprintf(m->reason, sizeof(m->reason),
		         "the primary (%s) failed, and Let's Encrypt asks no remote once the "
		         "primary fails",
		         primary->vantage.agent);
	} else if (m->accepted == 0 &&
	           m->remotes_passed + m->remotes_unavailable < m->remotes_required) {
		snprintf(m->reason, sizeof(m->reason),
		         "only %u of %u remotes passed and %u are required%s", m->remotes_passed,
		         m->remotes_total, m->remotes_required,
		         m->remotes_unavailable > 0 ? ", even counting those that did not answer"
		                                    : "");
	} else if (m->accepted == 0) {
		snprintf(m->reason, sizeof(m->reason),
		         "%u of %u remotes passed (%u required) but all from %s RIR; Let's Encrypt "
		         "needs passing remotes in at least 2 RIRs",
		         m->remotes_passed, m->remotes_total, m->remotes_required,
		         m->rirs_passed == 0 ? "an unknown" : "one");
	} else if (primary != NULL && !m->primary_passed) {
		snprintf(m->reason, sizeof(m->reason),
		         "the primary (%s) did not answer, and it must pass; %u of %u remotes "
		         "passed (%u required)",
		         primary->vantage.agent, m->remotes_passed, m->remotes_total,
		         m->remotes_required);
	} else {
		snprintf(m->reason, sizeof(m->reason),
		         "%u of %u remotes passed from %u %s (%u required from 2 RIRs); the %u "
		         "that did not answer %s",
		         m->remotes_passed, m->remotes_total, m->rirs_passed,
		         diag_plural(m->rirs_passed, "RIR", "RIRs"), m->remotes_required,
		         m->remotes_unavailable,
		         diag_plural(m->remotes_unavailable, "decides", "decide"));
	}
}

/* prefix + detail into buf; a CAA detail always reads "While processing CAA
 * for <domain>: ..." as LE's does (section 7.3). */
static void s_le_detail(const struct vt_check *c, const char *prefix, const char *detail, char *buf,
                        size_t len)
{
	if (c->method == VT_METHOD_CAA &&
	    strncmp(detail, diag_le_caa_prefix, strlen(diag_le_caa_prefix)) != 0)
		snprintf(buf, len, "%s%s%s: %s", prefix, diag_le_caa_prefix, c->domain, detail);
	else
		snprintf(buf, len, "%s%s", prefix, detail);
}

int verdict_le_problem(const struct vt_check *c, char *buf, size_t len)
{
	const struct vt_entry *primary;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (c->mpic.accepted != 0)
		return -1;
	primary = s_primary(c);
	if (primary != NULL && diag_failing(primary)) {
		s_le_detail(c, "", primary->result.problem.detail, buf, len);
		return 0;
	}
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (s_remote(c, i, primary) && diag_failing(e)) {
			s_le_detail(c, diag_le_secondary, e->result.problem.detail, buf, len);
			return 0;
		}
	}
	snprintf(buf, len, "%svalidation failed but the problem is unavailable", diag_le_secondary);
	return 0;
}

/* ---- the verdict ---- */

void verdict_judge(struct vt_check *c, unsigned min_answers)
{
	struct diag_counts n = {0, 0, 0, 0};
	int64_t now = (int64_t)time(NULL);

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!verdict_entry_judged(e))
			n.unjudged++;
		else if (c->method == VT_METHOD_TLSCERT && diag_cert_failing(e, now))
			n.fail++; /* a certificate about to expire fails the check */
		else if (diag_passing(e))
			n.pass++;
		else if (diag_failing(e))
			n.fail++;
		else
			n.unavail++;
	}
	if (n.fail > 0)
		c->verdict = VT_VERDICT_FAIL;
	else if (n.unavail > 0 || n.pass < min_answers || n.pass == 0)
		c->verdict = VT_VERDICT_UNKNOWN;
	else
		c->verdict = VT_VERDICT_PASS;
	s_mpic(c);
	diag_diagnose(c, min_answers, &n, now);
}
