/*
 * diagnose_dns.c -- the DNS-01 diagnosis: the sentences for the TXT record
 * at _acme-challenge (missing, wrong, not propagated everywhere), DNSSEC
 * validation failures (also for CAA), and the authoritative sweep: what
 * the vantages saw of each of the domain's nameservers.  Called by
 * diag_diagnose() through diag_dns_group(), diag_dnssec_bogus() and
 * diag_nameservers().
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "verdict.h"
#include "verdict_ext.h"
#include "diagnose_int.h"

/* What a failure means beyond its class (found in the summary, which is
 * Boulder's wording). */
enum s_kind {
	K_NONE = 0,
	K_BOGUS,     /* DNSSEC validation failed */
	K_NXDOMAIN,  /* the TXT name does not exist */
	K_TXT_NONE,  /* the name exists without TXT */
	K_TXT_WRONG, /* TXT present with other values */
};

static enum s_kind s_kind_of(const struct diag_key *k)
{
	const char *s = k->summary;

	if (diag_says_bogus(k))
		return K_BOGUS;
	if (k->type == VT_PROB_DNS && strstr(s, "NXDOMAIN") != NULL)
		return K_NXDOMAIN;
	if (strstr(s, "No TXT record found") != NULL)
		return K_TXT_NONE;
	if (strstr(s, "Incorrect TXT record") != NULL)
		return K_TXT_WRONG;
	return K_NONE;
}

/* "_acme-challenge.example.com" for c (a wildcard's "*." dropped). */
static void s_txt_name(const struct vt_check *c, char *buf, size_t len)
{
	const char *d = strncmp(c->domain, "*.", 2) == 0 ? c->domain + 2 : c->domain;

	snprintf(buf, len, "%s.%s", DNS01_LABEL, d);
}

/* ---- the TXT record (DNS-01) ---- */

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

/* The sentence for k when every answering vantage has it. */
static void s_sitewide(struct vt_check *c, const struct diag_key *k)
{
	char name[LIMIT_DOMAIN_LEN + sizeof(DNS01_LABEL) + 1], found[VERDICT_SUMMARY_LEN];

	s_txt_name(c, name, sizeof(name));
	switch (s_kind_of(k)) {
	case K_NXDOMAIN:
		diag_add(c,
		         "%s does not exist (NXDOMAIN) from every vantage: the TXT record is not "
		         "published, or it went to the wrong zone; if %s is a CNAME or delegated, "
		         "publish the record where it points",
		         name, DNS01_LABEL);
		return;
	case K_TXT_NONE:
		diag_add(c,
		         "there is no TXT record at %s from every vantage (the name exists): "
		         "publish "
		         "the challenge's TXT record there; check the DNS hook or its API "
		         "credentials",
		         name);
		return;
	case K_TXT_WRONG:
		diag_add(c,
		         "the TXT record at %s has the wrong value from every vantage (%s): it is "
		         "stale or another challenge's; publish this challenge's value, the "
		         "base64url SHA-256 of the key authorization (43 characters)",
		         name, s_txt_found(k->summary, found, sizeof(found)));
		return;
	default:
		break;
	}
	if (k->cls == DIAG_DNS)
		diag_add(c,
		         "the TXT lookup for %s fails from every vantage (%s): the domain's "
		         "nameservers fail or do not answer; every authoritative nameserver must "
		         "answer for it",
		         name, k->summary);
	else
		diag_add(
		        c,
		        "fails from every vantage (%s): the problem is at the domain's DNS itself, "
		        "not a region",
		        k->summary);
}

/* The sentence for k when other vantages pass. */
static void s_partial(struct vt_check *c, const struct diag_key *k)
{
	struct diag_selarg bad = {DIAG_SEL_GROUP, k}, good = {DIAG_SEL_PASS, NULL};
	char name[LIMIT_DOMAIN_LEN + sizeof(DNS01_LABEL) + 1], found[VERDICT_SUMMARY_LEN];
	struct diag_who w;

	s_txt_name(c, name, sizeof(name));
	diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
	switch (s_kind_of(k)) {
	case K_NXDOMAIN:
		diag_add(c,
		         "%s does not exist (NXDOMAIN) for %s while %s %s: a nameserver that has "
		         "not "
		         "caught up answers there; wait until every nameserver serves the record "
		         "(resolvers keep an NXDOMAIN for the zone's negative TTL)",
		         name, w.who, w.others, diag_verb(w.nothers, "passes", "pass"));
		return;
	case K_TXT_NONE:
		diag_add(c,
		         "%s find%s no TXT record at %s while %s %s: a nameserver that has not "
		         "caught up answers there; wait until every nameserver serves it",
		         w.who, w.nwho == 1 ? "s" : "", name, w.others,
		         diag_verb(w.nothers, "passes", "pass"));
		return;
	case K_TXT_WRONG:
		diag_add(c,
		         "%s see%s another TXT value at %s (%s) while %s %s: a stale nameserver or "
		         "a "
		         "GeoDNS view answers there; every nameserver must serve this challenge's "
		         "value",
		         w.who, w.nwho == 1 ? "s" : "", name,
		         s_txt_found(k->summary, found, sizeof(found)), w.others,
		         diag_verb(w.nothers, "passes", "pass"));
		return;
	default:
		break;
	}
	if (k->cls == DIAG_DNS)
		diag_add(c,
		         "the TXT lookup fails only from %s (%s) while %s %s: some of the domain's "
		         "nameservers or its DNSSEC answer differently; check every authoritative "
		         "nameserver",
		         w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"));
	else
		diag_add(c, "fails only from %s (%s) while %s %s", w.who, k->summary, w.others,
		         diag_verb(w.nothers, "passes", "pass"));
}

void diag_dns_group(struct vt_check *c, const struct diag_key *k, bool partial)
{
	if (partial)
		s_partial(c, k);
	else
		s_sitewide(c, k);
}

/* ---- DNSSEC (DNS-01 and CAA) ---- */

static bool s_bogus(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	if (!verdict_entry_judged(e) || diag_unavailable(e))
		return false;
	return strcasecmp(e->result.dnssec, "bogus") == 0 ||
	       strstr(e->result.problem.detail, "DNSSEC: Bogus") != NULL;
}

static bool s_not_bogus(const struct vt_entry *e, const void *arg)
{
	return verdict_entry_judged(e) && !diag_unavailable(e) && !s_bogus(e, arg);
}

bool diag_dnssec_bogus(struct vt_check *c)
{
	static const char fix[] = "fix the signatures or the DS record; Let's Encrypt's resolvers "
	                          "will refuse every answer";
	char why[VERDICT_SUMMARY_LEN] = "";
	struct diag_who w;

	for (size_t i = 0; i < c->n_entries && why[0] == '\0'; i++) {
		const char *p;
		if (!s_bogus(&c->entries[i], NULL))
			continue;
		p = strstr(c->entries[i].result.problem.detail, "DNSSEC: Bogus: ");
		if (p != NULL)
			snprintf(why, sizeof(why), " (%s)", p + strlen("DNSSEC: Bogus: "));
	}
	diag_who(c, s_bogus, NULL, s_not_bogus, NULL, &w);
	if (w.nwho == 0)
		return false;
	if (w.others[0] == '0')
		diag_add(c,
		         "DNSSEC validation fails (bogus) from every vantage%s: the zone's "
		         "signatures are invalid or expired, or the parent's DS record does not "
		         "match its DNSKEY: %s",
		         why, fix);
	else
		diag_add(c,
		         "DNSSEC validation fails (bogus) from %s%s while %s %s: some nameservers "
		         "serve bad or missing signatures (a secondary that did not get the "
		         "re-signed zone?): %s",
		         w.who, why, w.others,
		         diag_verb(w.nothers, "does not see it", "do not see it"), fix);
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

	if (diag_unavailable(e) || r->nameservers == NULL ||
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

static size_t s_ns_count(const struct vt_check *c, diag_pred_fn pred, const struct s_ns_key *k)
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
		if (diag_unavailable(&c->entries[i]) || r->nameservers == NULL)
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
void diag_nameservers(struct vt_check *c)
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
		struct diag_who w;

		if (down > 0 && up > 0) {
			diag_who(c, s_ns_down, k, s_ns_up, k, &w);
			diag_add(c,
			         "%s (%s) does not answer from %s while %s %s: geo-blocked or "
			         "firewalled DNS; Let's Encrypt's remote perspectives will fail "
			         "there",
			         k->name, k->address, w.who, w.others,
			         diag_verb(w.nothers, "reaches it", "reach it"));
			lines++;
		} else if (down > 0) {
			const char *err = s_ns_error(c, k);
			diag_add(c,
			         "%s (%s) does not answer from any vantage: it is down, or a "
			         "firewall drops DNS to it%s%s%s; Let's Encrypt's resolvers may "
			         "fail "
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
				text_appendf(other, sizeof(other), " and %zu more", nserving - 1);
			diag_add(c,
			         "not propagated: %s (%s) does not serve the TXT record yet (%s "
			         "%s): "
			         "wait until every nameserver serves it (vantage wait --method "
			         "dns-01) "
			         "or fix the zone transfer",
			         k->name, k->address, other, nserving > 1 ? "do" : "does");
			lines++;
		} else if (serves > 0 && stale > 0) {
			diag_who(c, s_ns_stale, k, s_ns_serves, k, &w);
			diag_add(
			        c,
			        "%s (%s) does not serve the TXT record to %s while %s %s: an "
			        "anycast node or a GeoDNS view there has not caught up; wait until "
			        "every nameserver serves it (vantage wait --method dns-01)",
			        k->name, k->address, w.who, w.others,
			        diag_verb(w.nothers, "gets it", "get it"));
			lines++;
		}
	}
}
