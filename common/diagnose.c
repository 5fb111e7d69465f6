/*
 * diagnose.c -- the diagnosis machinery shared by every method: the short
 * summary of a problem detail, failure groups (what makes two failures "the
 * same problem"), the lists of regions and agents that sentences name,
 * repeated warnings, and diag_diagnose(), which puts the sentences in
 * order and asks the method files (diagnose_http.c, diagnose_tls.c,
 * diagnose_dns.c, diagnose_caa.c) for each failure group's words, or
 * diagnose_cert.c for all of a tls-cert check's.
 *
 * The diagnosis is the product's voice: every sentence names what was seen
 * (which regions, which problem) and what the site owner can do about it.
 * Pure functions: no I/O, no allocation.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "verdict.h"
#include "verdict_ext.h"
#include "diagnose_int.h"

const char diag_no_ips[] = "Let's Encrypt does not publish its addresses, so";

/* ---- words and sentences ---- */

const char *diag_plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

const char *diag_verb(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The address e used (or, when it connected nowhere, tried last). */
static const char *s_entry_address(const struct vt_entry *e)
{
	const struct vt_record *r;

	if (e->result.n_records == 0 || e->result.records == NULL)
		return "";
	r = &e->result.records[e->result.n_records - 1];
	if (r->address_used[0] != '\0')
		return r->address_used;
	if (r->n_addresses_tried > 0 && r->n_addresses_tried <= HTTP01_MAX_ADDRS_TRIED)
		return r->addresses_tried[r->n_addresses_tried - 1];
	return "";
}

static struct vt_finding *s_vfind(struct vt_check *c, enum vt_finding_id id, diag_pred_fn who,
                                  const void *arg, const char *fmt, va_list ap)
{
	const struct vt_finding_def *def = finding_def(id);
	struct vt_finding *f;

	if (c->n_findings >= VERDICT_MAX_DIAGNOSIS || c->n_diagnosis >= VERDICT_MAX_DIAGNOSIS)
		return NULL;
	f = &c->findings[c->n_findings];
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->severity = def != NULL ? def->severity : VT_SEV_INFO;
	vsnprintf(f->summary, sizeof(f->summary), fmt, ap);
	for (size_t i = 0; who != NULL && i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!who(e, arg))
			continue;
		finding_add_vantage(f, e->vantage.agent);
		finding_add_address(f, s_entry_address(e));
		if (diag_failing(e))
			finding_add_evidence(f, "%s", e->result.problem.detail);
	}
	memcpy(c->diagnosis[c->n_diagnosis], f->summary, VERDICT_DIAGNOSIS_LEN);
	c->n_diagnosis++;
	c->n_findings++;
	return f;
}

struct vt_finding *diag_find(struct vt_check *c, enum vt_finding_id id, diag_pred_fn who,
                             const void *arg, const char *fmt, ...)
{
	struct vt_finding *f;
	va_list ap;

	va_start(ap, fmt);
	f = s_vfind(c, id, who, arg, fmt, ap);
	va_end(ap);
	return f;
}

const char *diag_warning(const struct vt_entry *e, const char *needle)
{
	for (size_t w = 0; w < e->result.n_warnings && w < LIMIT_MAX_WARNINGS; w++)
		if (strstr(e->result.warnings[w], needle) != NULL)
			return e->result.warnings[w];
	return NULL;
}

bool diag_pred_warned(const struct vt_entry *e, const void *needle)
{
	return diag_warning(e, needle) != NULL;
}

size_t diag_count(const struct vt_check *c, diag_pred_fn pred, const void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_entries; i++)
		if (pred(&c->entries[i], arg))
			n++;
	return n;
}

void diag_used_add(struct diag_used *used, const char *text)
{
	for (size_t i = 0; i < used->n; i++)
		if (strcmp(used->text[i], text) == 0)
			return;
	if (used->n < sizeof(used->text) / sizeof(used->text[0]))
		used->text[used->n++] = text;
}

enum vt_finding_id diag_dns_id(const struct vt_check *c, const struct diag_key *k)
{
	if (diag_says_bogus(k))
		return VT_F_DNSSEC_BOGUS;
	if (strcasestr(k->summary, "SERVFAIL") != NULL)
		return VT_F_DNS_SERVFAIL;
	for (size_t i = 0; i < c->n_entries; i++)
		if (diag_warning(&c->entries[i], VT_WARN_RESERVED) != NULL)
			return VT_F_RESERVED_ADDRESS;
	if (strcasestr(k->summary, "NXDOMAIN") != NULL ||
	    strcasestr(k->summary, "No valid IP addresses") != NULL ||
	    strcasestr(k->summary, "no valid A") != NULL ||
	    strcasestr(k->summary, "no valid AAAA") != NULL)
		return VT_F_NO_ADDRESSES;
	return VT_F_DNS_LOOKUP_FAILED;
}

bool diag_pred_failing(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	return verdict_entry_judged(e) && diag_failing(e);
}

bool diag_says_bogus(const struct diag_key *k)
{
	return strstr(k->summary, "DNSSEC: Bogus") != NULL;
}

/* ---- problem summaries ---- */

/* The prefixes Let's Encrypt puts before a problem's own words. */
const char diag_le_secondary[] = "During secondary validation: ";
const char diag_le_caa_prefix[] = "While processing CAA for ";
static const char s_cert_prefix[] = "Incorrect validation certificate for tls-alpn-01 challenge. ";

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
	if (strncmp(p, diag_le_secondary, strlen(diag_le_secondary)) == 0)
		p += strlen(diag_le_secondary);
	/* "While processing CAA for <identifier>: " (CAA, section 7.3). */
	if (strncmp(p, diag_le_caa_prefix, strlen(diag_le_caa_prefix)) == 0) {
		q = strstr(p + strlen(diag_le_caa_prefix), ": ");
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

/* The failure group of e (which failed): its class and summary. */
static void s_classify(const struct vt_entry *e, struct diag_key *k)
{
	const struct vt_problem *pr = &e->result.problem;
	const char *s;

	memset(k, 0, sizeof(*k));
	k->type = pr->type;
	verdict_problem_summary(pr->detail, k->summary, sizeof(k->summary));
	s = k->summary;
	if (pr->type == VT_PROB_DNS)
		k->cls = DIAG_DNS;
	else if (pr->type == VT_PROB_TLS || pr->type == VT_PROB_MALFORMED)
		k->cls = DIAG_TLS;
	else if (strncmp(s, "Timeout during connect", strlen("Timeout during connect")) == 0)
		k->cls = DIAG_TIMEOUT_CONNECT;
	else if (strstr(s, "Connection refused") != NULL)
		k->cls = DIAG_REFUSED;
	else if (strstr(s, "Connection reset") != NULL)
		k->cls = DIAG_RESET;
	else if (strstr(s, "Network unreachable") != NULL)
		k->cls = DIAG_UNREACH;
	else if (strncmp(s, "Timeout", strlen("Timeout")) == 0)
		k->cls = DIAG_TIMEOUT_AFTER;
	else if (strncmp(s, "HTTP ", strlen("HTTP ")) == 0 && s_all_digits(s + strlen("HTTP "))) {
		k->cls = DIAG_HTTP_STATUS;
		k->status = (unsigned)strtoul(s + strlen("HTTP "), NULL, 10);
	} else if (strncmp(s, "Invalid response: ", strlen("Invalid response: ")) == 0 &&
	           e->result.http_status != 0 && e->result.http_status != 200) {
		/* Boulder quotes a body of 128 bytes or more instead of the
		 * status (nginx's own 404 page is): the status still decides */
		k->cls = DIAG_HTTP_STATUS;
		k->status = e->result.http_status;
		snprintf(k->summary, sizeof(k->summary), "HTTP %u", k->status);
	} else if (strstr(s, "did not match") != NULL)
		k->cls = DIAG_MISMATCH;
	else if (strncmp(s, "Invalid response: ", strlen("Invalid response: ")) == 0)
		k->cls = DIAG_BODY;
	else if (strcasestr(s, "redirect") != NULL)
		k->cls = DIAG_REDIRECT;
	else
		k->cls = DIAG_OTHER;
}

/* Are a and b the same problem?  Connection failures and mismatches of a
 * class are, whatever the details; others need the same summary. */
static bool s_same(const struct diag_key *a, const struct diag_key *b)
{
	if (a->cls != b->cls)
		return false;
	switch (a->cls) {
	case DIAG_HTTP_STATUS:
		return a->status == b->status;
	case DIAG_TIMEOUT_CONNECT:
	case DIAG_REFUSED:
	case DIAG_RESET:
	case DIAG_UNREACH:
	case DIAG_TIMEOUT_AFTER:
	case DIAG_MISMATCH:
		return true;
	default:
		return strcmp(a->summary, b->summary) == 0;
	}
}

/* ---- lists of names ---- */

/* A vantage's region, or its agent's name when it has none. */
static const char *s_region(const struct vt_entry *e)
{
	return e->vantage.region[0] != '\0' ? e->vantage.region : e->vantage.agent;
}

bool diag_selected(const struct vt_entry *e, enum diag_sel sel, const struct diag_key *key)
{
	struct diag_key k;

	if (sel == DIAG_SEL_UNJUDGED)
		return !verdict_entry_judged(e);
	if (!verdict_entry_judged(e))
		return false;
	switch (sel) {
	case DIAG_SEL_PASS:
		return diag_passing(e);
	case DIAG_SEL_UNAVAIL:
		return diag_unavailable(e);
	case DIAG_SEL_GROUP:
		if (key == NULL || !diag_failing(e))
			return false;
		s_classify(e, &k);
		return s_same(&k, key);
	case DIAG_SEL_UNJUDGED:
		break;
	}
	return false;
}

bool diag_pred_sel(const struct vt_entry *e, const void *arg)
{
	const struct diag_selarg *a = arg;

	return diag_selected(e, a->sel, a->key);
}

/* Is entry i the first entry satisfying pred with its region (or agent)? */
static bool s_first_of(const struct vt_check *c, size_t i, diag_pred_fn pred, const void *arg,
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

size_t diag_list(const struct vt_check *c, diag_pred_fn pred, const void *arg, bool by_region,
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
			text_appendf(buf, len, " and %zu more", total - k);
			break;
		}
		text_appendf(buf, len, "%s", k == 0 ? "" : (k == total - 1 ? " and " : ", "));
		if (by_region)
			text_appendf(buf, len, "%s", s_region(e));
		else if (e->vantage.region[0] != '\0')
			text_appendf(buf, len, "%s (%s)", e->vantage.agent, e->vantage.region);
		else
			text_appendf(buf, len, "%s", e->vantage.agent);
		k++;
	}
	return total;
}

/* diag_list() for one of the standard selections. */
static size_t s_list(const struct vt_check *c, enum diag_sel sel, const struct diag_key *key,
                     bool by_region, char *buf, size_t len)
{
	struct diag_selarg a = {sel, key};

	return diag_list(c, diag_pred_sel, &a, by_region, buf, len);
}

void diag_who(const struct vt_check *c, diag_pred_fn bad, const void *barg, diag_pred_fn good,
              const void *garg, struct diag_who *w)
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
	w->nwho = diag_list(c, bad, barg, w->by_region, w->who, sizeof(w->who));
	ngood = diag_list(c, good, garg, w->by_region, tmp, sizeof(tmp));
	w->nothers = ngood;
	if (w->by_region) {
		snprintf(w->others, sizeof(w->others), "%zu other %s", ngood,
		         diag_plural(ngood, "region", "regions"));
		w->that = w->nwho == 1 ? "that region" : "those regions";
		w->unit = "regions";
	} else {
		snprintf(w->others, sizeof(w->others), "%zu other %s", ngood,
		         diag_plural(ngood, "vantage", "vantages"));
		w->that = w->nwho == 1 ? "that vantage" : "those vantages";
		w->unit = "vantages";
	}
}

/* Distinct, non-empty RIR labels among entries satisfying sel. */
static unsigned s_count_rirs(const struct vt_check *c, enum diag_sel sel)
{
	unsigned n = 0;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		bool seen = false;
		if (!diag_selected(e, sel, NULL) || e->vantage.rir[0] == '\0')
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = diag_selected(&c->entries[j], sel, NULL) &&
			       strcasecmp(c->entries[j].vantage.rir, e->vantage.rir) == 0;
		if (!seen)
			n++;
	}
	return n;
}

/* ---- the diagnosis ---- */

/* The sentence for failure group k, in the words of c's method: partial
 * when other vantages pass, else every answering vantage has it.  Failures
 * already explained by the DNSSEC sentence (bogus_said) get none. */
static void s_diag_group(struct vt_check *c, const struct diag_key *k, bool partial,
                         bool bogus_said, struct diag_used *used)
{
	if (bogus_said && diag_says_bogus(k))
		return;
	switch (c->method) {
	case VT_METHOD_TLSALPN01:
		diag_tls_group(c, k, partial);
		break;
	case VT_METHOD_DNS01:
		diag_dns_group(c, k, partial);
		break;
	case VT_METHOD_CAA:
		diag_caa_group(c, k, partial, used);
		break;
	default: /* HTTP-01 */
		diag_http_group(c, k, partial);
		break;
	}
}

/* The finding for failure group k when no method sentence words it (the
 * site fails everywhere, in several ways). */
static enum vt_finding_id s_group_id(const struct vt_check *c, const struct diag_key *k)
{
	switch (k->cls) {
	case DIAG_TIMEOUT_CONNECT:
	case DIAG_REFUSED:
	case DIAG_RESET:
	case DIAG_UNREACH:
		return VT_F_SITE_UNREACHABLE;
	case DIAG_TIMEOUT_AFTER:
		return VT_F_SERVER_STALLS;
	case DIAG_HTTP_STATUS:
		if (k->status == 404)
			return VT_F_WEBROOT_MISMATCH;
		if (k->status == 401 || k->status == 403 || k->status == 451)
			return VT_F_ACCESS_DENIED;
		return k->status >= 500 ? VT_F_SERVER_ERROR : VT_F_UNEXPECTED_STATUS;
	case DIAG_MISMATCH:
	case DIAG_BODY:
		return c->method == VT_METHOD_DNS01 ? VT_F_TXT_MISMATCH : VT_F_CONTENT_MODIFIED;
	case DIAG_REDIRECT:
		return VT_F_BAD_REDIRECT;
	case DIAG_DNS:
		return diag_dns_id(c, k);
	case DIAG_TLS:
		return VT_F_TLS_HANDSHAKE_FAILED;
	case DIAG_OTHER:
		break;
	}
	switch (c->method) {
	case VT_METHOD_CAA:
		return VT_F_CAA_FORBIDS;
	case VT_METHOD_DNS01:
		return VT_F_TXT_MISSING;
	case VT_METHOD_TLSALPN01:
		return VT_F_WRONG_VALIDATION_CERT;
	default:
		return VT_F_UNEXPECTED_STATUS;
	}
}

/* Distinct failure patterns, in order of first appearance. */
static size_t s_groups(const struct vt_check *c, struct diag_key *keys, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		struct diag_key k;
		bool seen = false;
		if (!verdict_entry_judged(e) || !diag_failing(e))
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

static bool s_used_has(const struct diag_used *used, const char *text)
{
	for (size_t i = 0; i < used->n; i++)
		if (strcmp(used->text[i], text) == 0)
			return true;
	return false;
}

/* Did e, a vantage with IPv6 that answered, fall back from IPv6 to IPv4? */
static bool s_v6_fell_back(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	if (!e->vantage.ipv6 || diag_unavailable(e))
		return false; /* never judge IPv6 from a vantage without it */
	for (size_t w = 0; w < e->result.n_warnings && w < LIMIT_MAX_WARNINGS; w++)
		if (s_is_ipv6_fallback(e->result.warnings[w]))
			return true;
	return false;
}

/* Warnings a finding of its own explains: the markers in result.h, the
 * authoritative sweep's (NameserverUnreachable, NameserversDisagree) and
 * TLS-ALPN-01's missing acme-tls/1 (NoAcmeTls1, ProxyInFront). */
static bool s_is_explained(const struct vt_check *c, const char *w)
{
	if (strstr(w, VT_WARN_RESERVED) != NULL || strstr(w, VT_WARN_DOUBLE_LABEL) != NULL ||
	    strstr(w, VT_WARN_STALE_TXT) != NULL)
		return true;
	if (c->method == VT_METHOD_DNS01)
		return strncmp(w, "nameserver ", strlen("nameserver ")) == 0 ||
		       strstr(w, " not propagated to ") != NULL ||
		       strncmp(w, "nameservers disagree on TXT at ", 31) == 0;
	if (c->method == VT_METHOD_TLSALPN01)
		return strstr(w, "does not offer acme-tls/1") != NULL;
	return false;
}

/* Warnings that only inform (CAA's account of the records it found): a
 * ProbeWarning of severity info. */
static bool s_is_informational(const char *w)
{
	return strncmp(w, "CAA set at ", strlen("CAA set at ")) == 0 ||
	       strncmp(w, "no CAA record at ", strlen("no CAA record at ")) == 0 ||
	       strstr(w, "has no issue record: any CA may issue") != NULL ||
	       strncmp(w, "ignored, above the relevant set", 31) == 0 ||
	       strstr(w, "CAA is not checked for IP address") != NULL;
}

/* IPv6Broken once, then every other warning once as a ProbeWarning (those a
 * sentence already quoted, or another finding explains, excepted), in order
 * of first appearance. */
static void s_diag_warnings(struct vt_check *c, const struct diag_used *used)
{
	size_t n6, lines = 0;
	struct vt_finding *f;

	n6 = diag_count(c, s_v6_fell_back, NULL);
	if (n6 > 0) {
		f = diag_find(c, VT_F_IPV6_BROKEN, s_v6_fell_back, NULL,
		              "IPv6 is broken: %zu %s could not connect over IPv6 and fell back to "
		              "IPv4; Let's Encrypt tries IPv6 first and falls back %s",
		              n6, diag_plural(n6, "vantage", "vantages"),
		              c->method == VT_METHOD_TLSALPN01 || c->method == VT_METHOD_TLSCERT
		                      ? "after any connection or handshake error"
		                      : "only when the connection fails, never on a redirect");
		/* its addresses: the IPv6 ones that failed, not the IPv4 used */
		if (f != NULL)
			f->n_addresses = 0;
		for (size_t i = 0; f != NULL && i < c->n_entries; i++) {
			const struct vt_entry *e = &c->entries[i];
			if (!s_v6_fell_back(e, NULL))
				continue;
			for (size_t w = 0; w < e->result.n_warnings && w < LIMIT_MAX_WARNINGS; w++)
				if (s_is_ipv6_fallback(e->result.warnings[w]))
					finding_add_evidence(f, "%s", e->result.warnings[w]);
			for (size_t r = 0; r < e->result.n_records && e->result.records != NULL;
			     r++) {
				const struct vt_record *rec = &e->result.records[r];
				bool tried6 = false;
				for (size_t a = 0;
				     a < rec->n_addresses_tried && a < HTTP01_MAX_ADDRS_TRIED; a++)
					if (strchr(rec->addresses_tried[a], ':') != NULL) {
						finding_add_address(f, rec->addresses_tried[a]);
						tried6 = true;
					}
				/* else the first IPv6 address resolved: the one tried */
				for (size_t a = 0; !tried6 && a < rec->n_addresses_resolved &&
				                   a < LIMIT_MAX_ADDRS * 2;
				     a++)
					if (strchr(rec->addresses_resolved[a], ':') != NULL) {
						finding_add_address(f, rec->addresses_resolved[a]);
						break;
					}
			}
		}
	}

	for (size_t i = 0; i < c->n_entries && lines < VERDICT_MAX_WARN_LINES; i++) {
		const struct vt_entry *e = &c->entries[i];
		for (size_t w = 0; w < e->result.n_warnings && w < LIMIT_MAX_WARNINGS; w++) {
			const char *text = e->result.warnings[w];
			size_t count = 0;
			bool seen = false;
			if (s_is_ipv6_fallback(text) ||
			    (strcasestr(text, "IPv6") && !e->vantage.ipv6) ||
			    s_used_has(used, text) || s_is_explained(c, text))
				continue;
			for (size_t j = 0; j <= i && !seen; j++) {
				const struct vt_entry *g = &c->entries[j];
				size_t lim = j == i ? w : g->result.n_warnings;
				for (size_t v = 0; v < lim && v < LIMIT_MAX_WARNINGS; v++)
					if (strcmp(g->result.warnings[v], text) == 0)
						seen = true;
			}
			if (seen)
				continue;
			for (size_t j = i; j < c->n_entries; j++)
				if (diag_pred_warned(&c->entries[j], text))
					count++;
			f = diag_find(c, VT_F_PROBE_WARNING, diag_pred_warned, text,
			              "warning from %zu %s: %s", count,
			              diag_plural(count, "vantage", "vantages"), text);
			if (f != NULL) {
				finding_add_evidence(f, "%s", text);
				if (s_is_informational(text))
					f->severity = VT_SEV_INFO;
			}
			lines++;
		}
	}
}

/* ---- different addresses ---- */

/* The addresses e resolved for the name (its first record), or NULL. */
static const struct vt_record *s_first_record(const struct vt_entry *e)
{
	if (diag_unavailable(e) || e->result.n_records == 0 || e->result.records == NULL ||
	    e->result.records[0].n_addresses_resolved == 0)
		return NULL;
	return &e->result.records[0];
}

static bool s_has_addr(const struct vt_record *r, const char *a)
{
	for (size_t i = 0; i < r->n_addresses_resolved && i < LIMIT_MAX_ADDRS * 2; i++)
		if (strcmp(r->addresses_resolved[i], a) == 0)
			return true;
	return false;
}

/* Did a and b resolve the same set of addresses? */
static bool s_same_addrs(const struct vt_record *a, const struct vt_record *b)
{
	for (size_t i = 0; i < a->n_addresses_resolved && i < LIMIT_MAX_ADDRS * 2; i++)
		if (!s_has_addr(b, a->addresses_resolved[i]))
			return false;
	for (size_t i = 0; i < b->n_addresses_resolved && i < LIMIT_MAX_ADDRS * 2; i++)
		if (!s_has_addr(a, b->addresses_resolved[i]))
			return false;
	return true;
}

/* Does e's address set differ from the record arg (the most common one)? */
static bool s_addrs_differ(const struct vt_entry *e, const void *arg)
{
	const struct vt_record *r = s_first_record(e);

	return r != NULL && !s_same_addrs(r, arg);
}

/* The opposite, among vantages that resolved anything. */
static bool s_addrs_differ_not(const struct vt_entry *e, const void *arg)
{
	const struct vt_record *r = s_first_record(e);

	return r != NULL && s_same_addrs(r, arg);
}

static void s_addrs_text(const struct vt_record *r, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < r->n_addresses_resolved && i < LIMIT_MAX_ADDRS * 2; i++)
		text_appendf(buf, len, "%s%s", i > 0 ? " " : "", r->addresses_resolved[i]);
}

/*
 * AddressesDiffer: the vantages did not all resolve the name to the same
 * addresses (GeoDNS, a CDN, or a nameserver serving an old zone in some
 * regions).  Let's Encrypt's perspectives would see the same split, and each
 * must reach a server that serves the challenge.
 */
static void s_diag_addresses(struct vt_check *c)
{
	const struct vt_record *common = NULL;
	size_t best = 0;
	struct diag_who w;
	struct vt_finding *f;
	char a[LIMIT_ADDR_LEN * 4], b[LIMIT_ADDR_LEN * 4];

	if (c->method != VT_METHOD_HTTP01 && c->method != VT_METHOD_TLSALPN01 &&
	    c->method != VT_METHOD_TLSCERT)
		return;
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_record *r = s_first_record(&c->entries[i]);
		size_t n = 0;
		if (r == NULL)
			continue;
		for (size_t j = 0; j < c->n_entries; j++) {
			const struct vt_record *q = s_first_record(&c->entries[j]);
			if (q != NULL && s_same_addrs(r, q))
				n++;
		}
		if (n > best) {
			best = n;
			common = r;
		}
	}
	if (common == NULL)
		return;
	if (diag_count(c, s_addrs_differ, common) == 0)
		return;
	diag_who(c, s_addrs_differ, common, s_addrs_differ_not, common, &w);
	s_addrs_text(common, a, sizeof(a));
	f = diag_find(c, VT_F_ADDRESSES_DIFFER, s_addrs_differ, common,
	              "%s %s the name to different addresses than %s (%s): GeoDNS, a CDN or a "
	              "nameserver serving an old zone",
	              w.who, diag_verb(w.nwho, "resolves", "resolve"), w.others, a);
	for (size_t i = 0; f != NULL && i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!s_addrs_differ(e, common))
			continue;
		s_addrs_text(s_first_record(e), b, sizeof(b));
		finding_add_evidence(f, "%s resolved %s; most vantages %s", e->vantage.agent, b, a);
	}
}

/*
 * The diagnosis: the pattern (DNSSEC first for DNS-01 and CAA, then the
 * failure groups in the method's words), what the vantages saw beyond
 * pass/fail (certificates for TLS-ALPN-01, nameservers for DNS-01), then
 * vantages not used or silent, too few answers, and warnings.
 */
void diag_diagnose(struct vt_check *c, unsigned min_answers, const struct diag_counts *n,
                   int64_t now)
{
	struct diag_key keys[VERDICT_MAX_GROUPS];
	struct diag_used used;
	char list[VERDICT_DIAGNOSIS_LEN / 2];
	size_t ngroups, nl, nregions;
	unsigned nrirs;
	bool bogus = false;
	const struct diag_selarg spass = {DIAG_SEL_PASS, NULL}, sunavail = {DIAG_SEL_UNAVAIL, NULL},
	                         sunjudged = {DIAG_SEL_UNJUDGED, NULL};
	const char *verb = c->mode == VT_MODE_REACHABILITY ? "reachable" : "passes";

	c->n_diagnosis = 0;
	c->n_findings = 0;
	used.n = 0;
	ngroups = s_groups(c, keys, VERDICT_MAX_GROUPS);
	if (c->method == VT_METHOD_DNS01 || c->method == VT_METHOD_CAA)
		bogus = diag_dnssec_bogus(c);
	if (c->method == VT_METHOD_TLSCERT && n->pass + n->fail > 0) {
		diag_cert_diagnose(c, keys, ngroups, now);
	} else if (n->fail == 0 && n->pass > 0) {
		nregions = s_list(c, DIAG_SEL_PASS, NULL, true, list, sizeof(list));
		nrirs = s_count_rirs(c, DIAG_SEL_PASS);
		diag_find(c, VT_F_ALL_PASS, diag_pred_sel, &spass,
		          "%s from all %zu %s%s in %zu %s (%u %s)", verb, n->pass,
		          diag_plural(n->pass, "vantage", "vantages"),
		          n->unavail > 0 ? " that answered," : "", nregions,
		          diag_plural(nregions, "region", "regions"), nrirs,
		          diag_plural(nrirs, "RIR", "RIRs"));
	} else if (n->fail > 0 && n->pass > 0) {
		for (size_t g = 0; g < ngroups; g++)
			s_diag_group(c, &keys[g], true, bogus, &used);
	} else if (n->fail > 0 && ngroups == 1) {
		s_diag_group(c, &keys[0], false, bogus, &used);
	} else if (n->fail > 0) {
		/* broken everywhere, in several ways: one line per way */
		for (size_t g = 0; g < ngroups; g++) {
			struct diag_selarg a = {DIAG_SEL_GROUP, &keys[g]};
			s_list(c, DIAG_SEL_GROUP, &keys[g], true, list, sizeof(list));
			diag_find(c, s_group_id(c, &keys[g]), diag_pred_sel, &a,
			          "fails from %s: %s (one of %zu ways the site fails from every "
			          "vantage)",
			          list, keys[g].summary, ngroups);
		}
	} else {
		diag_find(c, VT_F_VANTAGE_SILENT, diag_pred_sel, &sunavail,
		          "no vantage answered, so nothing is known about the site");
	}
	if (c->method == VT_METHOD_TLSALPN01)
		diag_certs(c);
	else if (c->method == VT_METHOD_DNS01)
		diag_nameservers(c);
	else if (c->method == VT_METHOD_HTTP01)
		diag_http_interceptors(c);
	s_diag_addresses(c);
	diag_records(c, &used);

	nl = s_list(c, DIAG_SEL_UNJUDGED, NULL, false, list, sizeof(list));
	if (nl > 0)
		diag_find(
		        c, VT_F_VANTAGE_WITHOUT_IPV6, diag_pred_sel, &sunjudged,
		        "%s %s %s no IPv6 and the name has only IPv6 addresses: not used to judge "
		        "the result",
		        diag_plural(nl, "vantage", "vantages"), list,
		        diag_plural(nl, "has", "have"));
	nl = s_list(c, DIAG_SEL_UNAVAIL, NULL, false, list, sizeof(list));
	if (nl > 0 && n->pass + n->fail > 0)
		diag_find(c, VT_F_VANTAGE_SILENT, diag_pred_sel, &sunavail,
		          "%s %s did not answer: an agent or network problem on our side, not the "
		          "site's; %s unknown",
		          diag_plural(nl, "vantage", "vantages"), list,
		          diag_plural(nl, "its result is", "their results are"));
	if (n->pass + n->fail < min_answers && n->pass + n->fail > 0)
		diag_find(
		        c, VT_F_TOO_FEW_ANSWERS, diag_pred_sel, &sunavail,
		        "only %zu %s answered, fewer than the minimum of %u: too few to judge, so "
		        "the verdict is unknown",
		        n->pass + n->fail, diag_plural(n->pass + n->fail, "vantage", "vantages"),
		        min_answers);
	s_diag_warnings(c, &used);
}
