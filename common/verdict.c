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
	enum vt_problem_type type; /* the problem's type, for the method sentences */
	unsigned status;           /* S_HTTP_STATUS */
	char summary[VERDICT_SUMMARY_LEN];
};

struct s_counts {
	size_t pass, fail, unavail, unjudged;
};

static const char s_secondary[] = "During secondary validation: ";
static const char s_caa_prefix[] = "While processing CAA for ";
static const char s_cert_prefix[] = "Incorrect validation certificate for tls-alpn-01 challenge. ";

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
	/* "While processing CAA for <identifier>: " (CAA, section 7.3). */
	if (strncmp(p, s_caa_prefix, strlen(s_caa_prefix)) == 0) {
		q = strstr(p + strlen(s_caa_prefix), ": ");
		if (q != NULL)
			p = q + 2;
	}
	/* "Incorrect validation certificate for tls-alpn-01 challenge.
	 * Requested <ident> from <ip>:443. <the rule>" (section 4.3). */
	if (strncmp(p, s_cert_prefix, strlen(s_cert_prefix)) == 0) {
		q = strstr(p + strlen(s_cert_prefix), ". ");
		if (q != NULL && q[2] != '\0')
			p = q + 2;
	}
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
	k->type = pr->type;
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

/* A test on one entry, for the lists of names in diagnosis sentences. */
typedef bool (*s_pred_fn)(const struct vt_entry *e, const void *arg);

struct s_selarg {
	enum s_sel sel;
	const struct s_key *key;
};

static bool s_pred_sel(const struct vt_entry *e, const void *arg)
{
	const struct s_selarg *a = arg;

	return s_selected(e, a->sel, a->key);
}

/* Is entry i the first entry satisfying pred with its region (or agent)? */
static bool s_first_of(const struct vt_check *c, size_t i, s_pred_fn pred, const void *arg,
                       bool by_region)
{
	if (!by_region)
		return true;
	for (size_t j = 0; j < i; j++)
		if (pred(&c->entries[j], arg) &&
		    strcmp(s_region(&c->entries[j]), s_region(&c->entries[i])) == 0)
			return false;
	return true;
}

/*
 * Write the distinct regions of the entries satisfying pred ("eu-west and
 * ap-south"), or their agents ("a3 (eu-west)") when by_region is false, into
 * buf.  Returns how many distinct names there are.
 */
static size_t s_list_by(const struct vt_check *c, s_pred_fn pred, const void *arg, bool by_region,
                        char *buf, size_t len)
{
	size_t total = 0, k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_entries; i++)
		if (pred(&c->entries[i], arg) && s_first_of(c, i, pred, arg, by_region))
			total++;
	for (size_t i = 0; i < c->n_entries && k < total; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!pred(e, arg) || !s_first_of(c, i, pred, arg, by_region))
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

/* s_list_by() for one of the standard selections. */
static size_t s_list(const struct vt_check *c, enum s_sel sel, const struct s_key *key,
                     bool by_region, char *buf, size_t len)
{
	struct s_selarg a = {sel, key};

	return s_list_by(c, s_pred_sel, &a, by_region, buf, len);
}

/* Who has a problem (bad) while others do not (good), named for a sentence:
 * regions, unless a region has both, then agents. */
struct s_who {
	char who[VERDICT_DIAGNOSIS_LEN / 2]; /* "eu-west and ap-south" */
	char others[64];                     /* "4 other regions" */
	const char *that;                    /* "that region", "those vantages" */
	const char *unit;                    /* "regions" or "vantages" */
	size_t nwho, nothers;
	bool by_region;
};

/* The verb for a subject of n things: s_verb(1, "reaches", "reach"). */
static const char *s_verb(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void s_who(const struct vt_check *c, s_pred_fn bad, const void *barg, s_pred_fn good,
                  const void *garg, struct s_who *w)
{
	char tmp[8];
	size_t ngood;

	w->by_region = true;
	for (size_t i = 0; i < c->n_entries && w->by_region; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!bad(e, barg))
			continue;
		for (size_t j = 0; j < c->n_entries && w->by_region; j++)
			if (good(&c->entries[j], garg) &&
			    strcmp(s_region(&c->entries[j]), s_region(e)) == 0)
				w->by_region = false;
	}
	w->nwho = s_list_by(c, bad, barg, w->by_region, w->who, sizeof(w->who));
	ngood = s_list_by(c, good, garg, w->by_region, tmp, sizeof(tmp));
	w->nothers = ngood;
	if (w->by_region) {
		snprintf(w->others, sizeof(w->others), "%zu other %s", ngood,
		         s_plural(ngood, "region", "regions"));
		w->that = w->nwho == 1 ? "that region" : "those regions";
		w->unit = "regions";
	} else {
		snprintf(w->others, sizeof(w->others), "%zu other %s", ngood,
		         s_plural(ngood, "vantage", "vantages"));
		w->that = w->nwho == 1 ? "that vantage" : "those vantages";
		w->unit = "vantages";
	}
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

/* prefix + detail into buf; a CAA detail always reads "While processing CAA
 * for <domain>: ..." as LE's does (section 7.3). */
static void s_le_detail(const struct vt_check *c, const char *prefix, const char *detail, char *buf,
                        size_t len)
{
	if (c->method == VT_METHOD_CAA && strncmp(detail, s_caa_prefix, strlen(s_caa_prefix)) != 0)
		snprintf(buf, len, "%s%s%s: %s", prefix, s_caa_prefix, c->domain, detail);
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
	if (primary != NULL && s_failing(primary)) {
		s_le_detail(c, "", primary->result.problem.detail, buf, len);
		return 0;
	}
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (s_remote(c, i, primary) && s_failing(e)) {
			s_le_detail(c, s_secondary, e->result.problem.detail, buf, len);
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
	struct s_selarg bad = {S_SEL_GROUP, k}, good = {S_SEL_PASS, NULL};
	struct s_who w;
	const char *who = w.who, *others = w.others, *that;
	size_t nwho;

	s_who(c, s_pred_sel, &bad, s_pred_sel, &good, &w);
	that = w.that;
	nwho = w.nwho;

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

/* ---- TLS-ALPN-01, DNS-01 and CAA sentences ---- */

/* What a failure means beyond its class, for the method-specific sentences
 * (found in the summary, which is Boulder's wording). */
enum s_kind {
	K_NONE = 0,
	K_ALPN,        /* acme-tls/1 not negotiated */
	K_TLS_OLD,     /* only TLS 1.1 or older */
	K_NOT_TLS,     /* plain HTTP on 443 */
	K_CERT,        /* a validation-certificate rule (s_cert_rules) */
	K_NXDOMAIN,    /* the TXT name does not exist */
	K_TXT_NONE,    /* the name exists without TXT */
	K_TXT_WRONG,   /* TXT present with other values */
	K_BOGUS,       /* DNSSEC validation failed */
	K_CAA_FORBIDS, /* the relevant CAA set does not authorize the CA */
	K_CAA_DNS,     /* a CAA lookup failed */
};

/* The certificate rules of letsencrypt-validation.md 4.3, in the order they
 * are checked: the detail's text, the rule broken and what to do. */
struct s_cert_rule {
	const char *needle;
	const char *rule;
	const char *advice;
};

static const struct s_cert_rule s_cert_rules[] = {
        {"No certs presented", "the server on port 443 presents no certificate for acme-tls/1",
         "it must present the validation certificate when acme-tls/1 is negotiated"},
        {"not self-signed", "the certificate on port 443 is not self-signed",
         "the server answers acme-tls/1 with an ordinary certificate; it must present the "
         "self-signed validation certificate the ACME client made (RFC 8737)"},
        {"1.3.6.1.5.5.7.1.31 is not present",
         "the certificate on port 443 has no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)",
         "the server answers acme-tls/1 with an ordinary certificate, not the validation "
         "certificate the ACME client made"},
        {"no acmeValidationV1 extension",
         "the certificate on port 443 has no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)",
         "the server answers acme-tls/1 with an ordinary certificate, not the validation "
         "certificate the ACME client made"},
        {"not Critical",
         "the certificate's acmeIdentifier extension (1.3.6.1.5.5.7.1.31) is not marked critical",
         "RFC 8737 requires it critical; fix the tool that makes the validation certificate"},
        {"malformed acmeValidationV1", "the certificate's acmeIdentifier extension is malformed",
         "it must hold a DER OCTET STRING of the 32-byte SHA-256 of the key authorization"},
        {"but expected", "the certificate's acmeIdentifier holds the wrong digest",
         "it is a stale certificate or another challenge's: the server must present the "
         "certificate made for this key authorization (reload it after the client writes it)"},
        {"unexpected identifiers", "the certificate's subjectAltName is wrong",
         "it must hold exactly one dNSName, the domain in lower case, and no IP address"},
        {"unexpected extensions", "the certificate has a missing or duplicated extension",
         "it needs subjectAltName and a critical acmeIdentifier, each exactly once"},
};

static const struct s_cert_rule *s_cert_rule(const char *summary)
{
	for (size_t i = 0; i < sizeof(s_cert_rules) / sizeof(s_cert_rules[0]); i++)
		if (strstr(summary, s_cert_rules[i].needle) != NULL)
			return &s_cert_rules[i];
	return NULL;
}

static bool s_is_tls_old(const char *s)
{
	static const char *const needles[] = {"protocol version", "unsupported protocol",
	                                      "version too low",  "TLSv1.1",
	                                      "TLSv1.0",          "TLS 1.1",
	                                      "TLS 1.0",          "SSLv3"};

	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (strcasestr(s, needles[i]) != NULL)
			return true;
	return false;
}

static enum s_kind s_kind_of(const struct vt_check *c, const struct s_key *k)
{
	const char *s = k->summary;

	if (strstr(s, "DNSSEC: Bogus") != NULL)
		return K_BOGUS;
	switch (c->method) {
	case VT_METHOD_TLSALPN01:
		if (strstr(s, TLSALPN_PROTOCOL) != NULL ||
		    strstr(s, "no application protocol") != NULL)
			return K_ALPN;
		if (strstr(s, "only speaks HTTP") != NULL)
			return K_NOT_TLS;
		if (s_cert_rule(s) != NULL)
			return K_CERT;
		if ((k->type == VT_PROB_TLS || k->type == VT_PROB_MALFORMED) && s_is_tls_old(s))
			return K_TLS_OLD;
		break;
	case VT_METHOD_DNS01:
		if (k->type == VT_PROB_DNS && strstr(s, "NXDOMAIN") != NULL)
			return K_NXDOMAIN;
		if (strstr(s, "No TXT record found") != NULL)
			return K_TXT_NONE;
		if (strstr(s, "Incorrect TXT record") != NULL)
			return K_TXT_WRONG;
		break;
	case VT_METHOD_CAA:
		if (k->type == VT_PROB_CAA || strstr(s, "prevents issuance") != NULL)
			return K_CAA_FORBIDS;
		if (k->type == VT_PROB_DNS)
			return K_CAA_DNS;
		break;
	case VT_METHOD_HTTP01:
	case VT_METHOD_NONE:
		break;
	}
	return K_NONE;
}

/* "_acme-challenge.example.com" for c (a wildcard's "*." dropped). */
static void s_txt_name(const struct vt_check *c, char *buf, size_t len)
{
	const char *d = strncmp(c->domain, "*.", 2) == 0 ? c->domain + 2 : c->domain;

	snprintf(buf, len, "%s.%s", DNS01_LABEL, d);
}

static void s_tls_sitewide(struct vt_check *c, const struct s_key *k)
{
	static const char site[] = "the problem is at the site itself, not a region";
	const struct s_cert_rule *rule;

	switch (s_kind_of(c, k)) {
	case K_ALPN:
		s_diag(c,
		       "the server on port 443 does not offer acme-tls/1 (%s): the web server "
		       "answers TLS itself; route acme-tls/1 to the ACME client's responder (or "
		       "let the server answer it), or validate with HTTP-01 or DNS-01",
		       k->summary);
		return;
	case K_TLS_OLD:
		s_diag(c,
		       "the server on port 443 only speaks TLS 1.1 or older (%s): Let's Encrypt "
		       "requires TLS 1.2 or newer for TLS-ALPN-01; enable TLS 1.2 or 1.3",
		       k->summary);
		return;
	case K_NOT_TLS:
		s_diag(c, "port 443 answers plain HTTP, not TLS, from every vantage: TLS-ALPN-01 "
		          "needs a TLS server there that answers acme-tls/1");
		return;
	case K_CERT:
		rule = s_cert_rule(k->summary);
		s_diag(c, "%s, from every vantage: %s", rule->rule, rule->advice);
		return;
	default:
		break;
	}
	switch (k->cls) {
	case S_REFUSED:
		s_diag(c,
		       "fails from every vantage (%s): %s: is a server listening on port 443, on "
		       "IPv4 and IPv6, and does the host's firewall allow it?",
		       k->summary, site);
		break;
	case S_TIMEOUT_CONNECT:
		s_diag(c,
		       "fails from every vantage (%s): %s: a firewall drops port 443, or the "
		       "A/AAAA records point to a host that is down",
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
		       "fails from every vantage (%s): %s: something resets connections to port "
		       "443 (a firewall, an IPS or a crashing server)",
		       k->summary, site);
		break;
	case S_TIMEOUT_AFTER:
		s_diag(c,
		       "fails from every vantage (%s): the server accepts connections on port 443 "
		       "but does not finish the TLS handshake in time: it is slow or overloaded, "
		       "or a proxy in front of it stalls",
		       k->summary);
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
		       "fails from every vantage (%s): the TLS handshake on port 443 fails; the "
		       "server must speak TLS 1.2 or newer and answer acme-tls/1",
		       k->summary);
		break;
	default:
		s_diag(c, "fails from every vantage (%s): %s", k->summary, site);
		break;
	}
}

static void s_tls_partial(struct vt_check *c, const struct s_key *k)
{
	struct s_selarg bad = {S_SEL_GROUP, k}, good = {S_SEL_PASS, NULL};
	const struct s_cert_rule *rule;
	struct s_who w;

	s_who(c, s_pred_sel, &bad, s_pred_sel, &good, &w);
	switch (s_kind_of(c, k)) {
	case K_ALPN:
		s_diag(c,
		       "the server on port 443 does not offer acme-tls/1 to %s (%s) while %s %s: "
		       "%s %s a different server (GeoDNS, CDN, load balancer); every one must "
		       "answer acme-tls/1",
		       w.who, k->summary, w.others, s_verb(w.nothers, "passes", "pass"), w.that,
		       s_verb(w.nwho, "reaches", "reach"));
		return;
	case K_TLS_OLD:
		s_diag(c,
		       "the server on port 443 only speaks TLS 1.1 or older to %s (%s) while %s "
		       "%s: %s %s a different server (GeoDNS, CDN, load balancer); every one must "
		       "speak TLS 1.2 or newer",
		       w.who, k->summary, w.others, s_verb(w.nothers, "passes", "pass"), w.that,
		       s_verb(w.nwho, "reaches", "reach"));
		return;
	case K_CERT:
		rule = s_cert_rule(k->summary);
		s_diag(c,
		       "%s, only from %s while %s %s: %s %s a different server (a CDN edge, a load "
		       "balancer or a stale server); %s",
		       rule->rule, w.who, w.others, s_verb(w.nothers, "passes", "pass"), w.that,
		       s_verb(w.nwho, "reaches", "reach"), rule->advice);
		return;
	default:
		break;
	}
	switch (k->cls) {
	case S_TIMEOUT_CONNECT:
		s_diag(c,
		       "fails only from %s (%s) while %s %s: a firewall or geo-block drops %s on "
		       "port 443. %s allow port 443 from everywhere",
		       w.who, k->summary, w.others, s_verb(w.nothers, "passes", "pass"), w.that,
		       s_no_ips);
		break;
	case S_REFUSED:
	case S_RESET:
	case S_UNREACH:
		s_diag(c,
		       "fails only from %s (%s) while %s %s: a firewall rejects connections to "
		       "port 443 from %s. %s allow port 443 from everywhere",
		       w.who, k->summary, w.others, s_verb(w.nothers, "passes", "pass"), w.that,
		       s_no_ips);
		break;
	case S_TIMEOUT_AFTER:
		s_diag(c,
		       "fails only from %s (%s) while %s %s: the server, or a middlebox on the way "
		       "from %s, stalls after the connection to port 443 is made",
		       w.who, k->summary, w.others, s_verb(w.nothers, "passes", "pass"), w.that);
		break;
	case S_DNS:
		s_diag(c,
		       "the DNS lookup fails only from %s (%s) while %s %s: some of the domain's "
		       "nameservers or its DNSSEC answer differently; check every authoritative "
		       "nameserver",
		       w.who, k->summary, w.others, s_verb(w.nothers, "passes", "pass"));
		break;
	default:
		s_diag(c,
		       "fails only from %s (%s) while %s %s: port 443 is served differently to %s "
		       "(GeoDNS, CDN, load balancer or firewall); compare what %s get%s",
		       w.who, k->summary, w.others, s_verb(w.nothers, "passes", "pass"), w.that,
		       w.that, s_verb(w.nwho, "s", ""));
		break;
	}
}

/* Entries with a captured certificate, and those with one given hash. */
static bool s_has_cert(const struct vt_entry *e)
{
	return verdict_entry_judged(e) && !s_unavailable(e) && e->result.cert.present &&
	       e->result.cert.sha256[0] != '\0';
}

static bool s_cert_is(const struct vt_entry *e, const void *sha)
{
	return s_has_cert(e) && strcasecmp(e->result.cert.sha256, sha) == 0;
}

/* Vantages that see another certificate than most: a CDN edge or a stale
 * server answers them (TLS-ALPN-01; every vantage should get the same
 * validation certificate). */
static void s_diag_certs(struct vt_check *c)
{
	const char *shas[VERDICT_MAX_GROUPS];
	size_t counts[VERDICT_MAX_GROUPS], n = 0, ref = 0;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		size_t g;
		if (!s_has_cert(e))
			continue;
		for (g = 0; g < n; g++)
			if (strcasecmp(shas[g], e->result.cert.sha256) == 0)
				break;
		if (g < n)
			counts[g]++;
		else if (n < VERDICT_MAX_GROUPS) {
			shas[n] = e->result.cert.sha256;
			counts[n++] = 1;
		}
	}
	if (n < 2)
		return;
	for (size_t g = 1; g < n; g++)
		if (counts[g] > counts[ref])
			ref = g; /* the most common; the first on a tie */
	for (size_t g = 0; g < n; g++) {
		struct s_who w;
		if (g == ref)
			continue;
		s_who(c, s_cert_is, shas[g], s_cert_is, shas[ref], &w);
		s_diag(c,
		       "%s see%s a different certificate (sha256 %.*s...) than the other %s: a CDN "
		       "edge or a stale server in %s",
		       w.who, w.nwho == 1 ? "s" : "", VERDICT_SHA_SHOWN, shas[g], w.unit, w.that);
	}
}

/* 'Incorrect TXT record "x"' out of LE's 'Incorrect TXT record "x" found at
 * <name>' (the sentence names the name once), into buf. */
static const char *s_txt_found(const char *summary, char *buf, size_t len)
{
	const char *at = strstr(summary, " found at ");

	if (at != NULL)
		snprintf(buf, len, "%.*s", (int)(at - summary), summary);
	else
		snprintf(buf, len, "%s", summary);
	return buf;
}

static void s_dns_sitewide(struct vt_check *c, const struct s_key *k)
{
	char name[LIMIT_DOMAIN_LEN + sizeof(DNS01_LABEL) + 1], found[VERDICT_SUMMARY_LEN];

	s_txt_name(c, name, sizeof(name));
	switch (s_kind_of(c, k)) {
	case K_NXDOMAIN:
		s_diag(c,
		       "%s does not exist (NXDOMAIN) from every vantage: the TXT record is not "
		       "published, or it went to the wrong zone; if %s is a CNAME or delegated, "
		       "publish the record where it points",
		       name, DNS01_LABEL);
		return;
	case K_TXT_NONE:
		s_diag(c,
		       "there is no TXT record at %s from every vantage (the name exists): publish "
		       "the challenge's TXT record there; check the DNS hook or its API "
		       "credentials",
		       name);
		return;
	case K_TXT_WRONG:
		s_diag(c,
		       "the TXT record at %s has the wrong value from every vantage (%s): it is "
		       "stale or another challenge's; publish this challenge's value, the "
		       "base64url SHA-256 of the key authorization (43 characters)",
		       name, s_txt_found(k->summary, found, sizeof(found)));
		return;
	default:
		break;
	}
	if (k->cls == S_DNS)
		s_diag(c,
		       "the TXT lookup for %s fails from every vantage (%s): the domain's "
		       "nameservers fail or do not answer; every authoritative nameserver must "
		       "answer for it",
		       name, k->summary);
	else
		s_diag(c,
		       "fails from every vantage (%s): the problem is at the domain's DNS itself, "
		       "not a region",
		       k->summary);
}

static void s_dns_partial(struct vt_check *c, const struct s_key *k)
{
	struct s_selarg bad = {S_SEL_GROUP, k}, good = {S_SEL_PASS, NULL};
	char name[LIMIT_DOMAIN_LEN + sizeof(DNS01_LABEL) + 1], found[VERDICT_SUMMARY_LEN];
	struct s_who w;

	s_txt_name(c, name, sizeof(name));
	s_who(c, s_pred_sel, &bad, s_pred_sel, &good, &w);
	switch (s_kind_of(c, k)) {
	case K_NXDOMAIN:
		s_diag(c,
		       "%s does not exist (NXDOMAIN) for %s while %s %s: a nameserver that has not "
		       "caught up answers there; wait until every nameserver serves the record "
		       "(resolvers keep an NXDOMAIN for the zone's negative TTL)",
		       name, w.who, w.others, s_verb(w.nothers, "passes", "pass"));
		return;
	case K_TXT_NONE:
		s_diag(c,
		       "%s find%s no TXT record at %s while %s %s: a nameserver that has not "
		       "caught up answers there; wait until every nameserver serves it",
		       w.who, w.nwho == 1 ? "s" : "", name, w.others,
		       s_verb(w.nothers, "passes", "pass"));
		return;
	case K_TXT_WRONG:
		s_diag(c,
		       "%s see%s another TXT value at %s (%s) while %s %s: a stale nameserver or a "
		       "GeoDNS view answers there; every nameserver must serve this challenge's "
		       "value",
		       w.who, w.nwho == 1 ? "s" : "", name,
		       s_txt_found(k->summary, found, sizeof(found)), w.others,
		       s_verb(w.nothers, "passes", "pass"));
		return;
	default:
		break;
	}
	if (k->cls == S_DNS)
		s_diag(c,
		       "the TXT lookup fails only from %s (%s) while %s %s: some of the domain's "
		       "nameservers or its DNSSEC answer differently; check every authoritative "
		       "nameserver",
		       w.who, k->summary, w.others, s_verb(w.nothers, "passes", "pass"));
	else
		s_diag(c, "fails only from %s (%s) while %s %s", w.who, k->summary, w.others,
		       s_verb(w.nothers, "passes", "pass"));
}

/* ---- DNSSEC (DNS-01 and CAA) ---- */

static bool s_bogus(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	if (!verdict_entry_judged(e) || s_unavailable(e))
		return false;
	return strcasecmp(e->result.dnssec, "bogus") == 0 ||
	       strstr(e->result.problem.detail, "DNSSEC: Bogus") != NULL;
}

static bool s_not_bogus(const struct vt_entry *e, const void *arg)
{
	return verdict_entry_judged(e) && !s_unavailable(e) && !s_bogus(e, arg);
}

/* One sentence when the validator calls some answer bogus.  Returns whether
 * it said so (then the DNS failures that are bogus need no other line). */
static bool s_diag_bogus(struct vt_check *c)
{
	static const char fix[] = "fix the signatures or the DS record; Let's Encrypt's resolvers "
	                          "will refuse every answer";
	char why[VERDICT_SUMMARY_LEN] = "";
	struct s_who w;

	for (size_t i = 0; i < c->n_entries && why[0] == '\0'; i++) {
		const char *p;
		if (!s_bogus(&c->entries[i], NULL))
			continue;
		p = strstr(c->entries[i].result.problem.detail, "DNSSEC: Bogus: ");
		if (p != NULL)
			snprintf(why, sizeof(why), " (%s)", p + strlen("DNSSEC: Bogus: "));
	}
	s_who(c, s_bogus, NULL, s_not_bogus, NULL, &w);
	if (w.nwho == 0)
		return false;
	if (w.others[0] == '0')
		s_diag(c,
		       "DNSSEC validation fails (bogus) from every vantage%s: the zone's "
		       "signatures are invalid or expired, or the parent's DS record does not "
		       "match its DNSKEY: %s",
		       why, fix);
	else
		s_diag(c,
		       "DNSSEC validation fails (bogus) from %s%s while %s %s: some nameservers "
		       "serve bad or missing signatures (a secondary that did not get the "
		       "re-signed zone?): %s",
		       w.who, why, w.others, s_verb(w.nothers, "does not see it", "do not see it"),
		       fix);
	return true;
}

/* ---- the authoritative sweep (DNS-01) ---- */

struct s_ns_key {
	const char *name;
	const char *address;
};

/* e's view of nameserver k; NULL if e did not report it, did not answer, or
 * has no IPv6 and k is an IPv6 address (never judged from there). */
static const struct vt_nameserver *s_ns_find(const struct vt_entry *e, const struct s_ns_key *k)
{
	const struct vt_result *r = &e->result;

	if (s_unavailable(e) || r->nameservers == NULL ||
	    (!e->vantage.ipv6 && strchr(k->address, ':') != NULL))
		return NULL;
	for (size_t j = 0; j < r->n_nameservers && j < LIMIT_MAX_NAMESERVERS; j++)
		if (strcasecmp(r->nameservers[j].name, k->name) == 0 &&
		    strcmp(r->nameservers[j].address, k->address) == 0)
			return &r->nameservers[j];
	return NULL;
}

static bool s_ns_down(const struct vt_entry *e, const void *arg)
{
	const struct vt_nameserver *ns = s_ns_find(e, arg);
	return ns != NULL && !ns->reachable;
}

static bool s_ns_up(const struct vt_entry *e, const void *arg)
{
	const struct vt_nameserver *ns = s_ns_find(e, arg);
	return ns != NULL && ns->reachable;
}

static bool s_ns_serves(const struct vt_entry *e, const void *arg)
{
	const struct vt_nameserver *ns = s_ns_find(e, arg);
	return ns != NULL && ns->reachable && ns->matches;
}

static bool s_ns_stale(const struct vt_entry *e, const void *arg)
{
	const struct vt_nameserver *ns = s_ns_find(e, arg);
	return ns != NULL && ns->reachable && !ns->matches;
}

static size_t s_ns_count(const struct vt_check *c, s_pred_fn pred, const struct s_ns_key *k)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_entries; i++)
		if (pred(&c->entries[i], k))
			n++;
	return n;
}

/* The first error text any vantage gave for k ("" if none). */
static const char *s_ns_error(const struct vt_check *c, const struct s_ns_key *k)
{
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_nameserver *ns = s_ns_find(&c->entries[i], k);
		if (ns != NULL && !ns->reachable && ns->error[0] != '\0')
			return ns->error;
	}
	return "";
}

/* Distinct (name, address) pairs in order of first appearance. */
static size_t s_ns_keys(const struct vt_check *c, struct s_ns_key *keys, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_result *r = &c->entries[i].result;
		if (s_unavailable(&c->entries[i]) || r->nameservers == NULL)
			continue;
		for (size_t j = 0; j < r->n_nameservers && j < LIMIT_MAX_NAMESERVERS; j++) {
			const struct vt_nameserver *ns = &r->nameservers[j];
			bool seen = false;
			for (size_t g = 0; g < n && !seen; g++)
				seen = strcasecmp(keys[g].name, ns->name) == 0 &&
				       strcmp(keys[g].address, ns->address) == 0;
			if (!seen && n < max) {
				keys[n].name = ns->name;
				keys[n++].address = ns->address;
			}
		}
	}
	return n;
}

/*
 * What the vantages saw of each authoritative nameserver: one that does not
 * answer from some regions (geo-blocked DNS) or from anywhere, one that does
 * not serve the TXT record while another does (not propagated), one that
 * serves it to some regions only (a stale anycast node or GeoDNS view).  At
 * most VERDICT_MAX_NS_LINES sentences.
 */
static void s_diag_nameservers(struct vt_check *c)
{
	struct s_ns_key keys[VERDICT_MAX_NS_KEYS];
	size_t n = s_ns_keys(c, keys, VERDICT_MAX_NS_KEYS), lines = 0, nserving = 0, first = 0;

	for (size_t g = n; g > 0; g--)
		if (s_ns_count(c, s_ns_serves, &keys[g - 1]) > 0) {
			nserving++;
			first = g - 1;
		}
	for (size_t g = 0; g < n && lines < VERDICT_MAX_NS_LINES; g++) {
		const struct s_ns_key *k = &keys[g];
		size_t down = s_ns_count(c, s_ns_down, k), up = s_ns_count(c, s_ns_up, k);
		size_t serves = s_ns_count(c, s_ns_serves, k), stale = s_ns_count(c, s_ns_stale, k);
		struct s_who w;

		if (down > 0 && up > 0) {
			s_who(c, s_ns_down, k, s_ns_up, k, &w);
			s_diag(c,
			       "%s (%s) does not answer from %s while %s %s: geo-blocked or "
			       "firewalled DNS; Let's Encrypt's remote perspectives will fail "
			       "there",
			       k->name, k->address, w.who, w.others,
			       s_verb(w.nothers, "reaches it", "reach it"));
			lines++;
		} else if (down > 0) {
			const char *err = s_ns_error(c, k);
			s_diag(c,
			       "%s (%s) does not answer from any vantage: it is down, or a "
			       "firewall drops DNS to it%s%s%s; Let's Encrypt's resolvers may fail "
			       "on it: fix it or remove it from the domain's NS records",
			       k->name, k->address, err[0] != '\0' ? " (" : "", err,
			       err[0] != '\0' ? ")" : "");
			lines++;
		}
		if (lines >= VERDICT_MAX_NS_LINES)
			break;
		if (serves == 0 && stale > 0 && nserving > 0) {
			const struct s_ns_key *f = &keys[first];
			bool same = strcasecmp(f->name, k->name) == 0;
			char other[LIMIT_DOMAIN_LEN + LIMIT_ADDR_LEN + 64];
			snprintf(other, sizeof(other), "%s%s%s%s", f->name, same ? " (" : "",
			         same ? f->address : "", same ? ")" : "");
			if (nserving > 1)
				s_append(other, sizeof(other), " and %zu more", nserving - 1);
			s_diag(c,
			       "not propagated: %s (%s) does not serve the TXT record yet (%s %s): "
			       "wait until every nameserver serves it (vantage wait will, later) "
			       "or fix the zone transfer",
			       k->name, k->address, other, nserving > 1 ? "do" : "does");
			lines++;
		} else if (serves > 0 && stale > 0) {
			s_who(c, s_ns_stale, k, s_ns_serves, k, &w);
			s_diag(c,
			       "%s (%s) does not serve the TXT record to %s while %s %s: an "
			       "anycast node or a GeoDNS view there has not caught up; wait until "
			       "every nameserver serves it (vantage wait will, later)",
			       k->name, k->address, w.who, w.others,
			       s_verb(w.nothers, "gets it", "get it"));
			lines++;
		}
	}
}

/* ---- CAA ---- */

/* Up to VERDICT_MAX_CAA_WHY distinct warnings of the vantages in group k:
 * the agent's words for why CAA forbids (another CA, validationmethods,
 * accounturi, a critical tag).  Returns how many. */
static size_t s_caa_why(const struct vt_check *c, const struct s_key *k, const char **why)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_entries && n < VERDICT_MAX_CAA_WHY; i++) {
		const struct vt_result *r = &c->entries[i].result;
		if (!s_selected(&c->entries[i], S_SEL_GROUP, k))
			continue;
		for (size_t w = 0; w < r->n_warnings && w < LIMIT_MAX_WARNINGS; w++) {
			bool seen = false;
			for (size_t j = 0; j < n && !seen; j++)
				seen = strcmp(why[j], r->warnings[w]) == 0;
			if (!seen && n < VERDICT_MAX_CAA_WHY)
				why[n++] = r->warnings[w];
		}
	}
	return n;
}

static const char *s_caa_advice(const char *const *why, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasestr(why[i], "accounturi") != NULL)
			return "accounturi pins one ACME account: it must be the account your "
			       "client uses, and staging accounts "
			       "(acme-staging-v02.api.letsencrypt.org) have other URIs than "
			       "production ones (acme-v02.api.letsencrypt.org)";
	for (size_t i = 0; i < n; i++)
		if (strcasestr(why[i], "validationmethods") != NULL)
			return "add the method you validate with to validationmethods, or validate "
			       "with a method it lists";
	for (size_t i = 0; i < n; i++)
		if (strcasestr(why[i], "critical") != NULL)
			return "an unknown tag marked critical forbids every CA: drop the tag or "
			       "its critical flag";
	return "add an issue record for this CA's issuer domain (\"letsencrypt.org\" for Let's "
	       "Encrypt) next to the others, or remove the records that exclude it";
}

/* The name whose CAA set applies ("CAA record for <name> prevents
 * issuance"), else the checked domain. */
static void s_caa_name(const struct vt_check *c, const struct s_key *k, char *buf, size_t len)
{
	static const char pre[] = "CAA record for ";
	const char *p = strstr(k->summary, pre), *q;

	if (p != NULL && (q = strstr(p + strlen(pre), " prevents")) != NULL) {
		p += strlen(pre);
		snprintf(buf, len, "%.*s", (int)(q - p), p);
		return;
	}
	snprintf(buf, len, "%s", c->domain);
}

/* Warnings quoted in a CAA sentence, not repeated among the warnings. */
struct s_used {
	const char *text[VERDICT_MAX_CAA_WHY * VERDICT_MAX_GROUPS];
	size_t n;
};

static void s_caa_forbids(struct vt_check *c, const struct s_key *k, bool partial,
                          struct s_used *used)
{
	const char *why[VERDICT_MAX_CAA_WHY];
	char name[LIMIT_DOMAIN_LEN + 1], because[VERDICT_DIAGNOSIS_LEN / 2] = "";
	size_t n = s_caa_why(c, k, why);

	s_caa_name(c, k, name, sizeof(name));
	for (size_t i = 0; i < n; i++) {
		const char *text = why[i];
		size_t nlen = strlen(name);
		/* "CAA at <name>: " is said once, by the sentence. */
		if (strncmp(text, "CAA at ", strlen("CAA at ")) == 0 &&
		    strncasecmp(text + strlen("CAA at "), name, nlen) == 0 &&
		    strncmp(text + strlen("CAA at ") + nlen, ": ", 2) == 0)
			text += strlen("CAA at ") + nlen + 2;
		s_append(because, sizeof(because), "%s%s", i > 0 ? "; " : "", text);
		if (used->n < sizeof(used->text) / sizeof(used->text[0]))
			used->text[used->n++] = why[i];
	}
	if (!partial) {
		s_diag(c, "CAA at %s forbids this CA: %s: %s", name,
		       n > 0 ? because : "no record in its CAA set authorizes it",
		       s_caa_advice(why, n));
	} else {
		struct s_selarg bad = {S_SEL_GROUP, k}, good = {S_SEL_PASS, NULL};
		struct s_who w;
		s_who(c, s_pred_sel, &bad, s_pred_sel, &good, &w);
		s_diag(c,
		       "CAA at %s forbids this CA only from %s%s%s%s while %s %s it: the "
		       "nameservers answer CAA differently there (GeoDNS, a stale secondary or a "
		       "DNSSEC problem); Let's Encrypt checks CAA from its remote perspectives "
		       "too, so every nameserver must serve the same CAA records",
		       name, w.who, n > 0 ? " (" : "", n > 0 ? because : "", n > 0 ? ")" : "",
		       w.others, s_verb(w.nothers, "allows", "allow"));
	}
}

static void s_caa_sentence(struct vt_check *c, const struct s_key *k, bool partial,
                           struct s_used *used)
{
	struct s_selarg bad = {S_SEL_GROUP, k}, good = {S_SEL_PASS, NULL};
	struct s_who w;

	switch (s_kind_of(c, k)) {
	case K_CAA_FORBIDS:
		s_caa_forbids(c, k, partial, used);
		return;
	case K_CAA_DNS:
		if (!partial) {
			s_diag(c,
			       "the CAA lookup fails from every vantage (%s): Let's Encrypt "
			       "refuses to issue when it cannot read CAA; every nameserver must "
			       "answer CAA queries (NOERROR even when there are none), and a "
			       "SERVFAIL most often means DNSSEC validation fails",
			       k->summary);
			return;
		}
		s_who(c, s_pred_sel, &bad, s_pred_sel, &good, &w);
		s_diag(c,
		       "the CAA lookup fails only from %s (%s) while %s %s: some of the domain's "
		       "nameservers or its DNSSEC answer differently there; every authoritative "
		       "nameserver must answer CAA queries",
		       w.who, k->summary, w.others, s_verb(w.nothers, "passes", "pass"));
		return;
	default:
		break;
	}
	if (!partial) {
		s_diag(c, "the CAA check fails from every vantage (%s)", k->summary);
		return;
	}
	s_who(c, s_pred_sel, &bad, s_pred_sel, &good, &w);
	s_diag(c, "the CAA check fails only from %s (%s) while %s %s", w.who, k->summary, w.others,
	       s_verb(w.nothers, "passes", "pass"));
}

/* The sentence for failure group k, in the words of c's method: partial
 * when other vantages pass, else every answering vantage has it.  Failures
 * already explained by the DNSSEC sentence (bogus_said) get none. */
static void s_diag_group(struct vt_check *c, const struct s_key *k, bool partial, bool bogus_said,
                         struct s_used *used)
{
	if (bogus_said && s_kind_of(c, k) == K_BOGUS)
		return;
	switch (c->method) {
	case VT_METHOD_TLSALPN01:
		if (partial)
			s_tls_partial(c, k);
		else
			s_tls_sitewide(c, k);
		break;
	case VT_METHOD_DNS01:
		if (partial)
			s_dns_partial(c, k);
		else
			s_dns_sitewide(c, k);
		break;
	case VT_METHOD_CAA:
		s_caa_sentence(c, k, partial, used);
		break;
	default: /* HTTP-01 */
		if (partial)
			s_diag_partial(c, k);
		else
			s_diag_sitewide(c, k);
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

static bool s_used_has(const struct s_used *used, const char *text)
{
	for (size_t i = 0; i < used->n; i++)
		if (strcmp(used->text[i], text) == 0)
			return true;
	return false;
}

/* Broken IPv6 once, then every other warning once (those a sentence already
 * quoted excepted), in order of first appearance. */
static void s_diag_warnings(struct vt_check *c, const struct s_used *used)
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
	if (n6 > 0 && c->method == VT_METHOD_TLSALPN01)
		s_diag(c,
		       "IPv6 is broken: %zu %s could not connect over IPv6 and fell back to IPv4. "
		       "Let's Encrypt tries IPv6 first and falls back after any connection or "
		       "handshake error: fix the AAAA record or the server's IPv6",
		       n6, s_plural(n6, "vantage", "vantages"));
	else if (n6 > 0)
		s_diag(c,
		       "IPv6 is broken: %zu %s could not connect over IPv6 and fell back to IPv4. "
		       "Let's Encrypt tries IPv6 first and falls back only when the connection "
		       "fails, never on a redirect: fix the AAAA record or the server's IPv6",
		       n6, s_plural(n6, "vantage", "vantages"));

	for (size_t i = 0; i < c->n_entries && lines < VERDICT_MAX_WARN_LINES; i++) {
		const struct vt_entry *e = &c->entries[i];
		for (size_t w = 0; w < e->result.n_warnings && w < LIMIT_MAX_WARNINGS; w++) {
			const char *text = e->result.warnings[w];
			size_t count = 0;
			bool seen = false;
			if (s_is_ipv6_fallback(text) ||
			    (strcasestr(text, "IPv6") && !e->vantage.ipv6) ||
			    s_used_has(used, text))
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

/*
 * The diagnosis: the pattern (DNSSEC first for DNS-01 and CAA, then the
 * failure groups in the method's words), what the vantages saw beyond
 * pass/fail (certificates for TLS-ALPN-01, nameservers for DNS-01), then
 * vantages not used or silent, too few answers, and warnings.
 */
static void s_diagnose(struct vt_check *c, unsigned min_answers, const struct s_counts *n)
{
	struct s_key keys[VERDICT_MAX_GROUPS];
	struct s_used used;
	char list[VERDICT_DIAGNOSIS_LEN / 2];
	size_t ngroups, nl, nregions;
	unsigned nrirs;
	bool bogus = false;
	const char *verb = c->mode == VT_MODE_REACHABILITY ? "reachable" : "passes";

	c->n_diagnosis = 0;
	used.n = 0;
	ngroups = s_groups(c, keys, VERDICT_MAX_GROUPS);
	if (c->method == VT_METHOD_DNS01 || c->method == VT_METHOD_CAA)
		bogus = s_diag_bogus(c);
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
			s_diag_group(c, &keys[g], true, bogus, &used);
	} else if (n->fail > 0 && ngroups == 1) {
		s_diag_group(c, &keys[0], false, bogus, &used);
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
	if (c->method == VT_METHOD_TLSALPN01)
		s_diag_certs(c);
	else if (c->method == VT_METHOD_DNS01)
		s_diag_nameservers(c);

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
	s_diag_warnings(c, &used);
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
