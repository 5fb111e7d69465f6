/*
 * verdict.c -- judging one (domain, method) across vantages: the verdict,
 * Let's Encrypt's multi-perspective rule (letsencrypt-validation.md 6.1 and
 * 10.2) and the diagnosis sentences.  Pure functions: no I/O, no allocation
 * except vt_check_add_entry().
 *
 * The diagnosis is the product's voice: every sentence names what was seen
 * (which regions, which problem) and what the site owner can do about it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "verdict.h"
#include "verdict_ext.h"

/* Failure patterns the diagnosis tells apart. */
enum s_class {
	S_OTHER = 0,
	S_TIMEOUT_CONNECT,
	S_REFUSED,
	S_RESET,
	S_UNREACH,
	S_TIMEOUT_AFTER,
	S_HTTP_STATUS,
	S_BODY,
	S_MISMATCH,
	S_REDIRECT,
	S_DNS,
	S_TLS,
};

/* What makes two failures "the same problem". */
struct s_key {
	enum s_class cls;
	unsigned status; /* S_HTTP_STATUS */
	char summary[VERDICT_SUMMARY_LEN];
};

struct s_counts {
	size_t pass, fail, unavail, unjudged;
};

static const char s_secondary[] = "During secondary validation: ";

/* ---- names and small helpers ---- */

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

static bool s_passing(const struct vt_entry *e)
{
	return e->result.outcome == VT_OUTCOME_PASS || e->result.outcome == VT_OUTCOME_REACHABLE;
}

static bool s_failing(const struct vt_entry *e)
{
	return e->result.outcome == VT_OUTCOME_FAIL;
}

/* Anything that is neither a pass nor a fail did not answer. */
static bool s_unavailable(const struct vt_entry *e)
{
	return !s_passing(e) && !s_failing(e);
}

static const char *s_region(const struct vt_entry *e)
{
	return e->vantage.region[0] != '\0' ? e->vantage.region : e->vantage.agent;
}

static const char *s_plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void s_append(char *buf, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void s_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void s_diag(struct vt_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add one diagnosis sentence; silently dropped when the list is full. */
static void s_diag(struct vt_check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->n_diagnosis >= VERDICT_MAX_DIAGNOSIS)
		return;
	va_start(ap, fmt);
	vsnprintf(c->diagnosis[c->n_diagnosis], VERDICT_DIAGNOSIS_LEN, fmt, ap);
	va_end(ap);
	c->n_diagnosis++;
}

/* ---- problem summaries ---- */

/* Does s[0..n) look like an IP address (Boulder's "<ip>: " prefix)? */
static bool s_is_ip_text(const char *s, size_t n)
{
	bool sep = false;

	if (n < 2 || n >= LIMIT_ADDR_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' || s[i] == ':')
			sep = true;
		else if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return sep;
}

static bool s_all_digits(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

void verdict_problem_summary(const char *detail, char *buf, size_t len)
{
	const char *p = detail;
	const char *q;
	size_t n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (strncmp(p, s_secondary, strlen(s_secondary)) == 0)
		p += strlen(s_secondary);
	q = strstr(p, ": ");
	if (q != NULL && s_is_ip_text(p, (size_t)(q - p)))
		p = q + 2;
	if (strncmp(p, "Fetching ", strlen("Fetching ")) == 0) {
		q = strstr(p + strlen("Fetching "), ": ");
		if (q != NULL)
			p = q + 2;
	} else if (strncmp(p, "Invalid response from ", strlen("Invalid response from ")) == 0) {
		q = strstr(p + strlen("Invalid response from "), ": ");
		if (q != NULL) {
			if (s_all_digits(q + 2))
				snprintf(buf, len, "HTTP %s", q + 2);
			else
				snprintf(buf, len, "Invalid response: %s", q + 2);
			return;
		}
	}
	snprintf(buf, len, "%s", p);
	/* Drop Boulder's trailing hint, "Timeout during connect (likely
	 * firewall problem)": the diagnosis gives its own advice.  Quoted text
	 * (a body, a key authorization) is kept whole. */
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == ')' && strchr(buf, '"') == NULL) {
		char *open = strstr(buf, " (");
		if (open != NULL && open != buf)
			*open = '\0';
	}
}

static void s_classify(const struct vt_entry *e, struct s_key *k)
{
	const struct vt_problem *pr = &e->result.problem;
	const char *s;

	memset(k, 0, sizeof(*k));
	verdict_problem_summary(pr->detail, k->summary, sizeof(k->summary));
	s = k->summary;
	if (pr->type == VT_PROB_DNS)
		k->cls = S_DNS;
	else if (pr->type == VT_PROB_TLS || pr->type == VT_PROB_MALFORMED)
		k->cls = S_TLS;
	else if (strncmp(s, "Timeout during connect", strlen("Timeout during connect")) == 0)
		k->cls = S_TIMEOUT_CONNECT;
	else if (strstr(s, "Connection refused") != NULL)
		k->cls = S_REFUSED;
	else if (strstr(s, "Connection reset") != NULL)
		k->cls = S_RESET;
	else if (strstr(s, "Network unreachable") != NULL)
		k->cls = S_UNREACH;
	else if (strncmp(s, "Timeout", strlen("Timeout")) == 0)
		k->cls = S_TIMEOUT_AFTER;
	else if (strncmp(s, "HTTP ", strlen("HTTP ")) == 0 && s_all_digits(s + strlen("HTTP "))) {
		k->cls = S_HTTP_STATUS;
		k->status = (unsigned)strtoul(s + strlen("HTTP "), NULL, 10);
	} else if (strstr(s, "did not match") != NULL)
		k->cls = S_MISMATCH;
	else if (strncmp(s, "Invalid response: ", strlen("Invalid response: ")) == 0)
		k->cls = S_BODY;
	else if (strcasestr(s, "redirect") != NULL)
		k->cls = S_REDIRECT;
	else
		k->cls = S_OTHER;
}

static bool s_same(const struct s_key *a, const struct s_key *b)
{
	if (a->cls != b->cls)
		return false;
	switch (a->cls) {
	case S_HTTP_STATUS:
		return a->status == b->status;
	case S_TIMEOUT_CONNECT:
	case S_REFUSED:
	case S_RESET:
	case S_UNREACH:
	case S_TIMEOUT_AFTER:
	case S_MISMATCH:
		return true;
	default:
		return strcmp(a->summary, b->summary) == 0;
	}
}

/* ---- IPv6-only names and vantages without IPv6 ---- */

bool verdict_entry_judged(const struct vt_entry *e)
{
	const struct vt_record *r;

	if (e->vantage.ipv6 || !s_failing(e) || e->result.n_records == 0 ||
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

/* ---- lists of names ---- */

enum s_sel {
	S_SEL_PASS,
	S_SEL_UNAVAIL,
	S_SEL_UNJUDGED,
	S_SEL_GROUP, /* failing with the given key */
};

static bool s_selected(const struct vt_entry *e, enum s_sel sel, const struct s_key *key)
{
	struct s_key k;

	if (sel == S_SEL_UNJUDGED)
		return !verdict_entry_judged(e);
	if (!verdict_entry_judged(e))
		return false;
	switch (sel) {
	case S_SEL_PASS:
		return s_passing(e);
	case S_SEL_UNAVAIL:
		return s_unavailable(e);
	case S_SEL_GROUP:
		if (key == NULL || !s_failing(e))
			return false;
		s_classify(e, &k);
		return s_same(&k, key);
	case S_SEL_UNJUDGED:
		break;
	}
	return false;
}

/* Is entry i the first selected entry with its region (or agent)? */
static bool s_first_of(const struct vt_check *c, size_t i, enum s_sel sel, const struct s_key *key,
                       bool by_region)
{
	if (!by_region)
		return true;
	for (size_t j = 0; j < i; j++)
		if (s_selected(&c->entries[j], sel, key) &&
		    strcmp(s_region(&c->entries[j]), s_region(&c->entries[i])) == 0)
			return false;
	return true;
}

/*
 * Write the selected entries' distinct regions ("eu-west and ap-south"), or
 * their agents ("a3 (eu-west)") when by_region is false, into buf.  Returns
 * how many distinct names there are.
 */
static size_t s_list(const struct vt_check *c, enum s_sel sel, const struct s_key *key,
                     bool by_region, char *buf, size_t len)
{
	size_t total = 0, k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_entries; i++)
		if (s_selected(&c->entries[i], sel, key) && s_first_of(c, i, sel, key, by_region))
			total++;
	for (size_t i = 0; i < c->n_entries && k < total; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!s_selected(e, sel, key) || !s_first_of(c, i, sel, key, by_region))
			continue;
		if (k == VERDICT_MAX_LISTED && total > VERDICT_MAX_LISTED + 1) {
			s_append(buf, len, " and %zu more", total - k);
			break;
		}
		s_append(buf, len, "%s", k == 0 ? "" : (k == total - 1 ? " and " : ", "));
		if (by_region)
			s_append(buf, len, "%s", s_region(e));
		else if (e->vantage.region[0] != '\0')
			s_append(buf, len, "%s (%s)", e->vantage.agent, e->vantage.region);
		else
			s_append(buf, len, "%s", e->vantage.agent);
		k++;
	}
	return total;
}

/* Distinct, non-empty RIR labels among entries satisfying sel. */
static unsigned s_count_rirs(const struct vt_check *c, enum s_sel sel)
{
	unsigned n = 0;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		bool seen = false;
		if (!s_selected(e, sel, NULL) || e->vantage.rir[0] == '\0')
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = s_selected(&c->entries[j], sel, NULL) &&
			       strcasecmp(c->entries[j].vantage.rir, e->vantage.rir) == 0;
		if (!seen)
			n++;
	}
	return n;
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
		if (!s_passing(e) && !(best && s_unavailable(e)))
			continue;
		for (size_t j = 0; j < i && !seen; j++) {
			const struct vt_entry *f = &c->entries[j];
			seen = s_remote(c, j, primary) &&
			       (s_passing(f) || (best && s_unavailable(f))) &&
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
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!s_remote(c, i, primary))
			continue;
		m->remotes_total++;
		if (s_passing(e))
			m->remotes_passed++;
		else if (s_failing(e))
			failed++;
		else
			m->remotes_unavailable++;
	}
	m->has_primary = primary != NULL;
	m->primary_passed = primary != NULL && s_passing(primary);
	primary_failed = primary != NULL && s_failing(primary);
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
		         s_plural(m->rirs_passed, "RIR", "RIRs"), m->remotes_required,
		         m->remotes_unavailable,
		         s_plural(m->remotes_unavailable, "decides", "decide"));
	}
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
	if (primary != NULL && s_failing(primary)) {
		snprintf(buf, len, "%s", primary->result.problem.detail);
		return 0;
	}
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (s_remote(c, i, primary) && s_failing(e)) {
			snprintf(buf, len, "%s%s", s_secondary, e->result.problem.detail);
			return 0;
		}
	}
	snprintf(buf, len, "%svalidation failed but the problem is unavailable", s_secondary);
	return 0;
}

/* ---- diagnosis ---- */

static const char s_no_ips[] = "Let's Encrypt does not publish its addresses, so";

static const char *s_redirect_hint(const char *summary)
{
	if (strstr(summary, "Too many redirects") != NULL)
		return "loops or chains more than 10 redirects";
	if (strstr(summary, "Redirect loop") != NULL)
		return "loops back to a URL already fetched";
	if (strstr(summary, "Invalid port in redirect") != NULL)
		return "sends the challenge to a port other than 80 or 443";
	if (strstr(summary, "Invalid protocol scheme") != NULL)
		return "sends the challenge to a scheme other than http or https";
	if (strstr(summary, "Invalid host in redirect") != NULL)
		return "sends the challenge to a host Let's Encrypt refuses (a missing '/' after "
		       "the host, a reserved IP or a name without a public suffix)";
	if (strstr(summary, "disallowed redirect status") != NULL)
		return "uses a status other than 301, 302, 307 or 308";
	if (strstr(summary, "too long") != NULL)
		return "produces a path longer than 2000 bytes";
	return "sends the challenge somewhere Let's Encrypt will not follow";
}

/* The one sentence for a problem every answering vantage shares. */
static void s_diag_sitewide(struct vt_check *c, const struct s_key *k)
{
	static const char site[] = "the problem is at the site itself, not a region";

	switch (k->cls) {
	case S_REFUSED:
		s_diag(c,
		       "fails from every vantage (%s): %s: is the web server listening on port 80, "
		       "on IPv4 and IPv6, and does the host's firewall allow it?",
		       k->summary, site);
		break;
	case S_TIMEOUT_CONNECT:
		s_diag(c,
		       "fails from every vantage (%s): %s: a firewall drops port 80, or the A/AAAA "
		       "records point to a host that is down",
		       k->summary, site);
		break;
	case S_UNREACH:
		s_diag(c,
		       "fails from every vantage (%s): %s: the address in DNS is not reachable; "
		       "check the A/AAAA records",
		       k->summary, site);
		break;
	case S_RESET:
		s_diag(c,
		       "fails from every vantage (%s): %s: something resets connections to port 80 "
		       "(a firewall, an IPS or a crashing server)",
		       k->summary, site);
		break;
	case S_TIMEOUT_AFTER:
		s_diag(c,
		       "fails from every vantage (%s): the server accepts connections but does not "
		       "answer in time: it is slow or overloaded, or a proxy in front of it stalls",
		       k->summary);
		break;
	case S_HTTP_STATUS:
		if (k->status == 404)
			s_diag(c,
			       "the server answers 404 for the challenge file from everywhere: the "
			       "file is not where the server serves /.well-known/acme-challenge/ "
			       "from (webroot mismatch?)");
		else if (k->status == 401 || k->status == 403 || k->status == 451)
			s_diag(c,
			       "the server answers %u for the challenge file from everywhere: an "
			       "access rule (deny rule, .htaccess, authentication or a WAF) blocks "
			       "/.well-known/acme-challenge/; allow it for everyone",
			       k->status);
		else if (k->status >= 500)
			s_diag(c,
			       "the server answers %u for the challenge file from everywhere: the "
			       "server or a proxy in front of it fails; check its error log",
			       k->status);
		else
			s_diag(c,
			       "the server answers %u for the challenge file from everywhere; "
			       "Let's Encrypt accepts only 200",
			       k->status);
		break;
	case S_MISMATCH:
		s_diag(c,
		       "the challenge file's content did not match from every vantage: something "
		       "changes it (a header or footer added, a rewrite, or a wrong or stale "
		       "file); the body must be exactly the key authorization");
		break;
	case S_BODY:
		s_diag(c,
		       "the server returns a page instead of the challenge file from every vantage "
		       "(%s): a catch-all rewrite or error page answers; the body must be the key "
		       "authorization alone",
		       k->summary);
		break;
	case S_REDIRECT:
		s_diag(c,
		       "fails from every vantage (%s): a redirect rule %s; exempt "
		       "/.well-known/acme-challenge/ from it or fix its target",
		       k->summary, s_redirect_hint(k->summary));
		break;
	case S_DNS:
		s_diag(c,
		       "the DNS lookup fails from every vantage (%s): fix the domain's DNS: A or "
		       "AAAA records must exist, hold public addresses, and every nameserver must "
		       "answer",
		       k->summary);
		break;
	case S_TLS:
		s_diag(c,
		       "fails from every vantage (%s): TLS to the HTTPS redirect target fails; it "
		       "must speak TLS 1.2 or newer (the certificate itself is not checked)",
		       k->summary);
		break;
	case S_OTHER:
		s_diag(c, "fails from every vantage (%s): %s", k->summary, site);
		break;
	}
}

/* The sentence for a problem some vantages have while others pass. */
static void s_diag_partial(struct vt_check *c, const struct s_key *k)
{
	char who[VERDICT_DIAGNOSIS_LEN / 2], others[64];
	size_t nwho, npass_regions;
	bool by_region = true;
	const char *that;

	/* Name regions, unless a failing region also has a passing vantage. */
	for (size_t i = 0; i < c->n_entries && by_region; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!s_selected(e, S_SEL_GROUP, k))
			continue;
		for (size_t j = 0; j < c->n_entries && by_region; j++)
			if (s_selected(&c->entries[j], S_SEL_PASS, NULL) &&
			    strcmp(s_region(&c->entries[j]), s_region(e)) == 0)
				by_region = false;
	}
	nwho = s_list(c, S_SEL_GROUP, k, by_region, who, sizeof(who));
	if (by_region) {
		char tmp[8];
		npass_regions = s_list(c, S_SEL_PASS, NULL, true, tmp, sizeof(tmp));
		snprintf(others, sizeof(others), "%zu other %s", npass_regions,
		         s_plural(npass_regions, "region", "regions"));
		that = nwho == 1 ? "that region" : "those regions";
	} else {
		char tmp[8];
		npass_regions = s_list(c, S_SEL_PASS, NULL, false, tmp, sizeof(tmp));
		snprintf(others, sizeof(others), "%zu other %s", npass_regions,
		         s_plural(npass_regions, "vantage", "vantages"));
		that = nwho == 1 ? "that vantage" : "those vantages";
	}

	switch (k->cls) {
	case S_TIMEOUT_CONNECT:
		s_diag(c,
		       "fails only from %s (%s) while %s pass: a firewall or geo-block drops %s. "
		       "%s allow /.well-known/acme-challenge/ from everywhere",
		       who, k->summary, others, that, s_no_ips);
		break;
	case S_REFUSED:
	case S_RESET:
	case S_UNREACH:
		s_diag(c,
		       "fails only from %s (%s) while %s pass: a firewall rejects connections from "
		       "%s. %s allow port 80 from everywhere",
		       who, k->summary, others, that, s_no_ips);
		break;
	case S_HTTP_STATUS:
		if (k->status == 401 || k->status == 403 || k->status == 451)
			s_diag(c,
			       "the server answers %u to %s only while %s pass: a geo-IP rule or "
			       "WAF blocks %s. %s exempt /.well-known/acme-challenge/ from geo-IP "
			       "and WAF rules",
			       k->status, who, others, that, s_no_ips);
		else
			s_diag(c,
			       "the server answers %u to %s only while %s pass: %s reach a "
			       "different server or backend (GeoDNS, CDN, load balancer); every "
			       "one must serve /.well-known/acme-challenge/",
			       k->status, who, others, that);
		break;
	case S_MISMATCH:
	case S_BODY:
		s_diag(c,
		       "%s get%s different content for the challenge file while %s pass: a "
		       "different server or backend (GeoDNS, CDN, load balancer) answers there; "
		       "every one must serve the same key authorization",
		       who, nwho == 1 ? "s" : "", others);
		break;
	case S_DNS:
		s_diag(c,
		       "the DNS lookup fails only from %s (%s) while %s pass: some of the domain's "
		       "nameservers or its DNSSEC answer differently; check every authoritative "
		       "nameserver",
		       who, k->summary, others);
		break;
	case S_TIMEOUT_AFTER:
		s_diag(c,
		       "fails only from %s (%s) while %s pass: the server, or a middlebox on the "
		       "way from %s, stalls after the connection is made",
		       who, k->summary, others, that);
		break;
	case S_REDIRECT:
		s_diag(c,
		       "fails only from %s (%s) while %s pass: a redirect rule seen only from %s "
		       "%s; exempt /.well-known/acme-challenge/ from it",
		       who, k->summary, others, that, s_redirect_hint(k->summary));
		break;
	case S_TLS:
	case S_OTHER:
		s_diag(c,
		       "fails only from %s (%s) while %s pass: %s %s served differently (GeoDNS, "
		       "CDN, load balancer or firewall); compare what %s get",
		       who, k->summary, others, that, nwho == 1 ? "is" : "are", that);
		break;
	}
}

/* Distinct failure patterns, in order of first appearance. */
static size_t s_groups(const struct vt_check *c, struct s_key *keys, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		struct s_key k;
		bool seen = false;
		if (!verdict_entry_judged(e) || !s_failing(e))
			continue;
		s_classify(e, &k);
		for (size_t g = 0; g < n && !seen; g++)
			seen = s_same(&keys[g], &k);
		if (!seen && n < max)
			keys[n++] = k;
	}
	return n;
}

static bool s_is_ipv6_fallback(const char *w)
{
	return strcasestr(w, "IPv6") != NULL &&
	       (strcasestr(w, "fall") != NULL || strcasestr(w, "fell") != NULL);
}

static void s_diag_warnings(struct vt_check *c)
{
	size_t n6 = 0, lines = 0;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!e->vantage.ipv6 || s_unavailable(e))
			continue; /* never judge IPv6 from a vantage without it */
		for (size_t w = 0; w < e->result.n_warnings && w < LIMIT_MAX_WARNINGS; w++) {
			if (s_is_ipv6_fallback(e->result.warnings[w])) {
				n6++;
				break;
			}
		}
	}
	if (n6 > 0)
		s_diag(c,
		       "IPv6 is broken: %zu %s could not connect over IPv6 and fell back to IPv4. "
		       "Let's Encrypt tries IPv6 first and falls back only when the connection "
		       "fails, never on a redirect: fix the AAAA record or the server's IPv6",
		       n6, s_plural(n6, "vantage", "vantages"));

	/* Every other warning once, in order of first appearance. */
	for (size_t i = 0; i < c->n_entries && lines < VERDICT_MAX_WARN_LINES; i++) {
		const struct vt_entry *e = &c->entries[i];
		for (size_t w = 0; w < e->result.n_warnings && w < LIMIT_MAX_WARNINGS; w++) {
			const char *text = e->result.warnings[w];
			size_t count = 0;
			bool seen = false;
			if (s_is_ipv6_fallback(text) ||
			    (strcasestr(text, "IPv6") && !e->vantage.ipv6))
				continue;
			for (size_t j = 0; j <= i && !seen; j++) {
				const struct vt_entry *f = &c->entries[j];
				size_t lim = j == i ? w : f->result.n_warnings;
				for (size_t v = 0; v < lim && v < LIMIT_MAX_WARNINGS; v++)
					if (strcmp(f->result.warnings[v], text) == 0)
						seen = true;
			}
			if (seen)
				continue;
			for (size_t j = i; j < c->n_entries; j++)
				for (size_t v = 0;
				     v < c->entries[j].result.n_warnings && v < LIMIT_MAX_WARNINGS;
				     v++)
					if (strcmp(c->entries[j].result.warnings[v], text) == 0) {
						count++;
						break;
					}
			s_diag(c, "warning from %zu %s: %s", count,
			       s_plural(count, "vantage", "vantages"), text);
			lines++;
		}
	}
}

static void s_diagnose(struct vt_check *c, unsigned min_answers, const struct s_counts *n)
{
	struct s_key keys[VERDICT_MAX_GROUPS];
	char list[VERDICT_DIAGNOSIS_LEN / 2];
	size_t ngroups, nl, nregions;
	unsigned nrirs;
	const char *verb = c->mode == VT_MODE_REACHABILITY ? "reachable" : "passes";

	c->n_diagnosis = 0;
	ngroups = s_groups(c, keys, VERDICT_MAX_GROUPS);
	if (n->fail == 0 && n->pass > 0) {
		nregions = s_list(c, S_SEL_PASS, NULL, true, list, sizeof(list));
		nrirs = s_count_rirs(c, S_SEL_PASS);
		s_diag(c, "%s from all %zu %s%s in %zu %s (%u %s)", verb, n->pass,
		       s_plural(n->pass, "vantage", "vantages"),
		       n->unavail > 0 ? " that answered," : "", nregions,
		       s_plural(nregions, "region", "regions"), nrirs,
		       s_plural(nrirs, "RIR", "RIRs"));
	} else if (n->fail > 0 && n->pass > 0) {
		for (size_t g = 0; g < ngroups; g++)
			s_diag_partial(c, &keys[g]);
	} else if (n->fail > 0 && ngroups == 1) {
		s_diag_sitewide(c, &keys[0]);
	} else if (n->fail > 0) {
		s_diag(c,
		       "fails from every vantage that answered, in %zu different ways: the site is "
		       "broken everywhere; fix the problems below",
		       ngroups);
		for (size_t g = 0; g < ngroups; g++) {
			s_list(c, S_SEL_GROUP, &keys[g], true, list, sizeof(list));
			s_diag(c, "fails from %s: %s", list, keys[g].summary);
		}
	} else {
		s_diag(c, "no vantage answered, so nothing is known about the site");
	}

	nl = s_list(c, S_SEL_UNJUDGED, NULL, false, list, sizeof(list));
	if (nl > 0)
		s_diag(c,
		       "%s %s %s no IPv6 and the name has only IPv6 addresses: not used to judge "
		       "the result",
		       s_plural(nl, "vantage", "vantages"), list, s_plural(nl, "has", "have"));
	nl = s_list(c, S_SEL_UNAVAIL, NULL, false, list, sizeof(list));
	if (nl > 0)
		s_diag(c,
		       "%s %s did not answer: an agent or network problem on our side, not the "
		       "site's; %s unknown",
		       s_plural(nl, "vantage", "vantages"), list,
		       s_plural(nl, "its result is", "their results are"));
	if (n->pass + n->fail < min_answers && n->pass + n->fail > 0)
		s_diag(c,
		       "only %zu %s answered, fewer than the minimum of %u: too few to judge, so "
		       "the verdict is unknown",
		       n->pass + n->fail, s_plural(n->pass + n->fail, "vantage", "vantages"),
		       min_answers);
	s_diag_warnings(c);
}

void verdict_judge(struct vt_check *c, unsigned min_answers)
{
	struct s_counts n = {0, 0, 0, 0};

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!verdict_entry_judged(e))
			n.unjudged++;
		else if (s_passing(e))
			n.pass++;
		else if (s_failing(e))
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
	s_diagnose(c, min_answers, &n);
}
