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

/* The finding for failure group k of a DNS-01 check: the TXT record
 * missing or wrong, else the DNS failure's own id. */
static enum vt_finding_id s_group_id(const struct vt_check *c, const struct diag_key *k)
{
	switch (s_kind_of(k)) {
	case K_NXDOMAIN:
	case K_TXT_NONE:
		return VT_F_TXT_MISSING;
	case K_TXT_WRONG:
		return VT_F_TXT_MISMATCH;
	default:
		break;
	}
	if (k->cls == DIAG_DNS)
		return diag_dns_id(c, k);
	if (k->type == VT_PROB_MALFORMED)
		return VT_F_INVALID_NAME;
	return VT_F_DNS_LOOKUP_FAILED;
}

/* The sentence for k when every answering vantage has it. */
static void s_sitewide(struct vt_check *c, const struct diag_key *k)
{
	struct diag_selarg sel = {DIAG_SEL_GROUP, k};
	char name[LIMIT_DOMAIN_LEN + sizeof(DNS01_LABEL) + 1], found[VERDICT_SUMMARY_LEN];
	enum vt_finding_id id = s_group_id(c, k);

	s_txt_name(c, name, sizeof(name));
	switch (s_kind_of(k)) {
	case K_NXDOMAIN:
		diag_find(c, id, diag_pred_sel, &sel,
		          "%s does not exist (NXDOMAIN) from every vantage: the TXT record is not "
		          "published, or it went to the wrong zone; if %s is a CNAME or delegated, "
		          "publish the record where it points",
		          name, DNS01_LABEL);
		return;
	case K_TXT_NONE:
		diag_find(c, id, diag_pred_sel, &sel,
		          "there is no TXT record at %s from every vantage (the name exists): "
		          "publish the challenge's TXT record there; check the DNS hook or its API "
		          "credentials",
		          name);
		return;
	case K_TXT_WRONG:
		diag_find(c, id, diag_pred_sel, &sel,
		          "the TXT record at %s has the wrong value from every vantage (%s): it is "
		          "stale or another challenge's; publish this challenge's value, the "
		          "base64url SHA-256 of the key authorization (43 characters)",
		          name, s_txt_found(k->summary, found, sizeof(found)));
		return;
	default:
		break;
	}
	if (k->cls == DIAG_DNS)
		diag_find(c, id, diag_pred_sel, &sel,
		          "the TXT lookup for %s fails from every vantage (%s): the domain's "
		          "nameservers fail or do not answer; every authoritative nameserver must "
		          "answer for it",
		          name, k->summary);
	else
		diag_find(c, id, diag_pred_sel, &sel,
		          "fails from every vantage (%s): the problem is at the domain's DNS "
		          "itself, not a region",
		          k->summary);
}

/* The sentence for k when other vantages pass. */
static void s_partial(struct vt_check *c, const struct diag_key *k)
{
	struct diag_selarg bad = {DIAG_SEL_GROUP, k}, good = {DIAG_SEL_PASS, NULL};
	char name[LIMIT_DOMAIN_LEN + sizeof(DNS01_LABEL) + 1], found[VERDICT_SUMMARY_LEN];
	enum vt_finding_id id = s_group_id(c, k);
	struct vt_finding *f = NULL;
	struct diag_who w;

	s_txt_name(c, name, sizeof(name));
	diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
	switch (s_kind_of(k)) {
	case K_NXDOMAIN:
		diag_find(c, id, diag_pred_sel, &bad,
		          "%s does not exist (NXDOMAIN) for %s while %s %s: a nameserver that has "
		          "not caught up answers there; wait until every nameserver serves the "
		          "record "
		          "(resolvers keep an NXDOMAIN for the zone's negative TTL)",
		          name, w.who, w.others, diag_verb(w.nothers, "passes", "pass"));
		return;
	case K_TXT_NONE:
		diag_find(c, id, diag_pred_sel, &bad,
		          "%s find%s no TXT record at %s while %s %s: a nameserver that has not "
		          "caught up answers there; wait until every nameserver serves it",
		          w.who, w.nwho == 1 ? "s" : "", name, w.others,
		          diag_verb(w.nothers, "passes", "pass"));
		return;
	case K_TXT_WRONG:
		diag_find(c, id, diag_pred_sel, &bad,
		          "%s see%s another TXT value at %s (%s) while %s %s: a stale nameserver "
		          "or a GeoDNS view answers there; every nameserver must serve this "
		          "challenge's value",
		          w.who, w.nwho == 1 ? "s" : "", name,
		          s_txt_found(k->summary, found, sizeof(found)), w.others,
		          diag_verb(w.nothers, "passes", "pass"));
		return;
	default:
		break;
	}
	if (k->cls == DIAG_DNS)
		f = diag_find(c, id, diag_pred_sel, &bad,
		              "the TXT lookup fails only from %s (%s) while %s %s: some of the "
		              "domain's nameservers or its DNSSEC answer differently; check every "
		              "authoritative nameserver",
		              w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"));
	else
		f = diag_find(c, id, diag_pred_sel, &bad, "fails only from %s (%s) while %s %s",
		              w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"));
	/* other regions pass: not "fatal" (cannot succeed from anywhere) */
	if (f != NULL && f->severity > VT_SEV_ERROR)
		f->severity = VT_SEV_ERROR;
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

/* The validator's reason in e's detail ("signature expired"), or NULL. */
static const char *s_bogus_reason(const struct vt_entry *e)
{
	static const char mark[] = "DNSSEC: Bogus: ";
	const char *p = strstr(e->result.problem.detail, mark);

	return p != NULL && p[strlen(mark)] != '\0' ? p + strlen(mark) : NULL;
}

bool diag_dnssec_bogus(struct vt_check *c)
{
	static const char fix[] = "fix the signatures or the DS record; Let's Encrypt's resolvers "
	                          "will refuse every answer";
	char why[VERDICT_SUMMARY_LEN] = "";
	struct vt_finding *f;
	struct diag_who w;

	for (size_t i = 0; i < c->n_entries && why[0] == '\0'; i++) {
		const char *p;
		if (!s_bogus(&c->entries[i], NULL))
			continue;
		p = s_bogus_reason(&c->entries[i]);
		if (p != NULL)
			snprintf(why, sizeof(why), " (%s)", p);
	}
	diag_who(c, s_bogus, NULL, s_not_bogus, NULL, &w);
	if (w.nwho == 0)
		return false;
	if (w.others[0] == '0')
		f = diag_find(c, VT_F_DNSSEC_BOGUS, s_bogus, NULL,
		              "DNSSEC validation fails (bogus) from every vantage%s: the zone's "
		              "signatures are invalid or expired, or the parent's DS record does "
		              "not match its DNSKEY: %s",
		              why, fix);
	else
		f = diag_find(c, VT_F_DNSSEC_BOGUS, s_bogus, NULL,
		              "DNSSEC validation fails (bogus) from %s%s while %s %s: some "
		              "nameservers serve bad or missing signatures (a secondary that did "
		              "not get the re-signed zone?): %s",
		              w.who, why, w.others,
		              diag_verb(w.nothers, "does not see it", "do not see it"), fix);
	if (f == NULL)
		return true;
	/* the validator's reasons first: they say what to fix */
	{
		char kept[FINDING_MAX_EVIDENCE][FINDING_EVIDENCE_LEN];
		size_t nkept = f->n_evidence;
		memcpy(kept, f->evidence, sizeof(kept));
		f->n_evidence = 0;
		for (size_t i = 0; i < c->n_entries; i++) {
			const char *p = s_bogus(&c->entries[i], NULL)
			                        ? s_bogus_reason(&c->entries[i])
			                        : NULL;
			if (p != NULL)
				finding_add_evidence(f, "validator: %s", p);
		}
		for (size_t i = 0; i < nkept; i++)
			finding_add_evidence(f, "%s", kept[i]);
	}
	/* some vantages validate fine: it can still pass from there */
	if (w.others[0] != '0')
		f->severity = VT_SEV_ERROR;
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

/* What nameserver view ns served, into buf: its TXT values, "no TXT" or
 * its rcode, or why it did not answer. */
static const char *s_ns_view(const struct vt_nameserver *ns, char *buf, size_t len)
{
	if (!ns->reachable)
		snprintf(buf, len, "no answer (%s)", ns->error[0] != '\0' ? ns->error : "no reply");
	else if (ns->answer[0] != '\0')
		snprintf(buf, len, "%s", ns->answer);
	else if (ns->rcode[0] == '\0' || strcmp(ns->rcode, "NOERROR") == 0)
		snprintf(buf, len, "no TXT");
	else
		snprintf(buf, len, "%s", ns->rcode);
	return buf;
}

/* f concerns nameserver k as the entries satisfying pred saw it: their
 * agents become its vantages, what k served them its evidence. */
static void s_ns_concerns(struct vt_finding *f, const struct vt_check *c, diag_pred_fn pred,
                          const struct s_ns_key *k, bool vantages)
{
	char view[LIMIT_TXT_LEN + LIMIT_WARNING_LEN];

	if (f == NULL)
		return;
	finding_add_address(f, k->address);
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_nameserver *ns;
		if (!pred(&c->entries[i], k))
			continue;
		ns = s_ns_find(&c->entries[i], k);
		if (vantages)
			finding_add_vantage(f, c->entries[i].vantage.agent);
		finding_add_evidence(f, "%s (%s): %s", k->name, k->address,
		                     s_ns_view(ns, view, sizeof(view)));
	}
}

/* Nameservers none of which serves the expected value but which answer
 * differently (one a stale value, another nothing): one sentence naming
 * what each served, as the first vantage that reached it saw it. */
static void s_ns_differ(struct vt_check *c, const struct s_ns_key *keys, size_t n)
{
	char list[VERDICT_DIAGNOSIS_LEN / 2] = "", first[LIMIT_TXT_LEN + LIMIT_WARNING_LEN] = "";
	char view[LIMIT_TXT_LEN + LIMIT_WARNING_LEN];
	char name[LIMIT_DOMAIN_LEN + sizeof(DNS01_LABEL) + 1];
	const struct vt_nameserver *seen[VERDICT_MAX_NS_KEYS];
	bool differ = false;
	struct vt_finding *f;

	for (size_t g = 0; g < n; g++) {
		seen[g] = NULL;
		for (size_t i = 0; i < c->n_entries && seen[g] == NULL; i++)
			if (s_ns_up(&c->entries[i], &keys[g]))
				seen[g] = s_ns_find(&c->entries[i], &keys[g]);
		if (seen[g] == NULL)
			continue;
		s_ns_view(seen[g], view, sizeof(view));
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", view);
		else if (strcmp(first, view) != 0)
			differ = true;
		text_appendf(list, sizeof(list), "%s%s (%s) %s", list[0] != '\0' ? "; " : "",
		             keys[g].name, keys[g].address, view);
	}
	if (!differ)
		return;
	s_txt_name(c, name, sizeof(name));
	f = diag_find(c, VT_F_NAMESERVERS_DISAGREE, NULL, NULL,
	              "the nameservers answer differently at %s and none serves this "
	              "challenge's value (%s): every nameserver must serve the same, current "
	              "record; fix the zone transfer or the DNS hook",
	              name, list);
	for (size_t g = 0; f != NULL && g < n; g++)
		if (seen[g] != NULL)
			s_ns_concerns(f, c, s_ns_up, &keys[g], true);
}

/*
 * What the vantages saw of each authoritative nameserver: one that does not
 * answer from some regions (geo-blocked DNS) or from anywhere
 * (NameserverUnreachable), one that does not serve the TXT record while
 * another does (not propagated), one that serves it to some regions only (a
 * stale anycast node or GeoDNS view), nameservers that answer differently
 * while none serves it (NameserversDisagree).  The vantages of each finding
 * are those that saw it, its addresses the nameservers', its evidence what
 * each served.  At most VERDICT_MAX_NS_LINES sentences.
 */
void diag_nameservers(struct vt_check *c)
{
	struct s_ns_key keys[VERDICT_MAX_NS_KEYS];
	size_t n = s_ns_keys(c, keys, VERDICT_MAX_NS_KEYS), lines = 0, nserving = 0, first = 0;

	for (size_t g = n; g > 0; g--)
		if (diag_count(c, s_ns_serves, &keys[g - 1]) > 0) {
			nserving++;
			first = g - 1;
		}
	for (size_t g = 0; g < n && lines < VERDICT_MAX_NS_LINES; g++) {
		const struct s_ns_key *k = &keys[g];
		size_t down = diag_count(c, s_ns_down, k), up = diag_count(c, s_ns_up, k);
		size_t serves = diag_count(c, s_ns_serves, k), stale = diag_count(c, s_ns_stale, k);
		struct vt_finding *f;
		struct diag_who w;

		if (down > 0 && up > 0) {
			diag_who(c, s_ns_down, k, s_ns_up, k, &w);
			f = diag_find(
			        c, VT_F_NAMESERVER_UNREACHABLE, NULL, NULL,
			        "%s (%s) does not answer from %s while %s %s: geo-blocked or "
			        "firewalled DNS; Let's Encrypt's remote perspectives will fail "
			        "there",
			        k->name, k->address, w.who, w.others,
			        diag_verb(w.nothers, "reaches it", "reach it"));
			s_ns_concerns(f, c, s_ns_down, k, true);
			lines++;
		} else if (down > 0) {
			const char *err = s_ns_error(c, k);
			f = diag_find(
			        c, VT_F_NAMESERVER_UNREACHABLE, NULL, NULL,
			        "%s (%s) does not answer from any vantage: it is down, or a "
			        "firewall drops DNS to it%s%s%s; Let's Encrypt's resolvers may "
			        "fail on it: fix it or remove it from the domain's NS records",
			        k->name, k->address, err[0] != '\0' ? " (" : "", err,
			        err[0] != '\0' ? ")" : "");
			s_ns_concerns(f, c, s_ns_down, k, true);
			lines++;
		}
		if (lines >= VERDICT_MAX_NS_LINES)
			break;
		if (serves == 0 && stale > 0 && nserving > 0) {
			const struct s_ns_key *fk = &keys[first];
			bool same = strcasecmp(fk->name, k->name) == 0;
			char other[LIMIT_DOMAIN_LEN + LIMIT_ADDR_LEN + 64];
			snprintf(other, sizeof(other), "%s%s%s%s", fk->name, same ? " (" : "",
			         same ? fk->address : "", same ? ")" : "");
			if (nserving > 1)
				text_appendf(other, sizeof(other), " and %zu more", nserving - 1);
			f = diag_find(
			        c, VT_F_NAMESERVERS_DISAGREE, NULL, NULL,
			        "not propagated: %s (%s) does not serve the TXT record yet (%s "
			        "%s): wait until every nameserver serves it (vantage wait --method "
			        "dns-01) or fix the zone transfer",
			        k->name, k->address, other, nserving > 1 ? "do" : "does");
			s_ns_concerns(f, c, s_ns_stale, k, true);
			s_ns_concerns(f, c, s_ns_serves, fk, false);
			lines++;
		} else if (serves > 0 && stale > 0) {
			diag_who(c, s_ns_stale, k, s_ns_serves, k, &w);
			f = diag_find(
			        c, VT_F_NAMESERVERS_DISAGREE, NULL, NULL,
			        "%s (%s) does not serve the TXT record to %s while %s %s: an "
			        "anycast node or a GeoDNS view there has not caught up; wait "
			        "until every nameserver serves it (vantage wait --method dns-01)",
			        k->name, k->address, w.who, w.others,
			        diag_verb(w.nothers, "gets it", "get it"));
			s_ns_concerns(f, c, s_ns_stale, k, true);
			s_ns_concerns(f, c, s_ns_serves, k, false);
			lines++;
		}
	}
	if (nserving == 0 && lines < VERDICT_MAX_NS_LINES)
		s_ns_differ(c, keys, n);
}

/* ---- what the agents warned about the records (every method) ---- */

/* Did any judged vantage fail the check? */
static bool s_any_failing(const struct vt_check *c)
{
	for (size_t i = 0; i < c->n_entries; i++)
		if (diag_pred_failing(&c->entries[i], NULL))
			return true;
	return false;
}

/* e's first warning containing marker, or NULL (also when e did not
 * answer: a silent vantage's warnings are not evidence). */
static const char *s_warning(const struct vt_entry *e, const char *marker)
{
	return diag_unavailable(e) ? NULL : diag_warning(e, marker);
}

/* How many vantages warned marker; the first such warning in *first. */
static size_t s_marked(const struct vt_check *c, const char *marker, const char **first)
{
	size_t n = 0;

	*first = NULL;
	for (size_t i = 0; i < c->n_entries; i++) {
		const char *w = s_warning(&c->entries[i], marker);
		if (w == NULL)
			continue;
		if (*first == NULL)
			*first = w;
		n++;
	}
	return n;
}

/* f concerns every vantage that warned marker: its agent is a vantage, its
 * warning evidence, and the warning counts as said. */
static void s_mark_concerns(struct vt_finding *f, const struct vt_check *c, const char *marker,
                            struct diag_used *used)
{
	for (size_t i = 0; i < c->n_entries; i++) {
		const char *w = s_warning(&c->entries[i], marker);
		if (w == NULL)
			continue;
		diag_used_add(used, w);
		if (f == NULL)
			continue;
		finding_add_vantage(f, c->entries[i].vantage.agent);
		finding_add_evidence(f, "%s", w);
	}
}

/* The address in the resolver's warning ("A record 192.168.1.10 of x is
 * in a reserved address block (RFC 1918 private): ..."), into buf; "" when
 * the text has another shape. */
static const char *s_reserved_addr(const char *w, char *buf, size_t len)
{
	const char *p = strstr(w, "record "), *q;

	buf[0] = '\0';
	if (p == NULL || p > strstr(w, VT_WARN_RESERVED))
		return buf;
	p += strlen("record ");
	q = strchr(p, ' ');
	if (q != NULL && (size_t)(q - p) < len && q - p < LIMIT_ADDR_LEN)
		snprintf(buf, len, "%.*s", (int)(q - p), p);
	return buf;
}

/* The block's kind in that warning ("RFC 1918 private"), into buf; "". */
static const char *s_reserved_kind(const char *w, char *buf, size_t len)
{
	const char *p = strstr(w, VT_WARN_RESERVED " ("), *q;

	buf[0] = '\0';
	if (p == NULL)
		return buf;
	p += strlen(VT_WARN_RESERVED " (");
	q = strchr(p, ')');
	if (q != NULL)
		snprintf(buf, len, "%.*s", (int)(q - p), p);
	return buf;
}

/*
 * ReservedAddress: the name's A/AAAA records include addresses in a
 * reserved block (private, loopback, documentation ...), which Let's
 * Encrypt drops.  Fatal when a vantage fails (no public address is left),
 * a warning when the check passes through the other addresses.  When a
 * failure group's sentence already made the finding (diag_dns_id()), the
 * addresses and warnings are added to it.
 */
static void s_reserved(struct vt_check *c, struct diag_used *used)
{
	char list[VERDICT_DIAGNOSIS_LEN / 2] = "", addr[LIMIT_ADDR_LEN], kind[64];
	char seen[VERDICT_MAX_LISTED][LIMIT_ADDR_LEN];
	const char *first;
	size_t n = s_marked(c, VT_WARN_RESERVED, &first), naddr = 0;
	struct vt_finding *f;
	bool failing = s_any_failing(c), more = false;

	if (n == 0)
		return;
	for (size_t i = 0; i < c->n_entries && !more; i++) {
		const char *w = s_warning(&c->entries[i], VT_WARN_RESERVED);
		bool dup = false;
		if (w == NULL || s_reserved_addr(w, addr, sizeof(addr))[0] == '\0')
			continue;
		for (size_t j = 0; j < naddr && !dup; j++)
			dup = strcmp(seen[j], addr) == 0;
		if (dup)
			continue;
		if (naddr == VERDICT_MAX_LISTED) {
			text_appendf(list, sizeof(list), " and more");
			more = true;
			continue;
		}
		memcpy(seen[naddr++], addr, sizeof(addr));
		s_reserved_kind(w, kind, sizeof(kind));
		text_appendf(list, sizeof(list), "%s%s%s%s%s", naddr > 1 ? ", " : "", addr,
		             kind[0] != '\0' ? " (" : "", kind, kind[0] != '\0' ? ")" : "");
	}
	f = vt_check_finding(c, VT_F_RESERVED_ADDRESS);
	if (f == NULL && failing)
		f = diag_find(c, VT_F_RESERVED_ADDRESS, NULL, NULL,
		              "%s resolves to %s, in a reserved address block (seen from %zu %s): "
		              "Let's Encrypt ignores such addresses and finds no other to connect "
		              "to; publish the server's public address in the A/AAAA records",
		              c->domain, list[0] != '\0' ? list : "an address", n,
		              diag_plural(n, "vantage", "vantages"));
	else if (f == NULL)
		f = diag_find(c, VT_F_RESERVED_ADDRESS, NULL, NULL,
		              "%s also resolves to %s, in a reserved address block (seen from %zu "
		              "%s): Let's Encrypt ignores it and validates with the public "
		              "addresses only; remove it from public DNS and publish only the "
		              "server's public address",
		              c->domain, list[0] != '\0' ? list : "an address", n,
		              diag_plural(n, "vantage", "vantages"));
	if (f != NULL && !failing)
		f->severity = VT_SEV_WARNING;
	for (size_t i = 0; f != NULL && i < c->n_entries; i++) {
		const char *w = s_warning(&c->entries[i], VT_WARN_RESERVED);
		if (w != NULL)
			finding_add_address(f, s_reserved_addr(w, addr, sizeof(addr)));
	}
	s_mark_concerns(f, c, VT_WARN_RESERVED, used);
}

/* The doubled name in "TXT record at the doubled name <name>: ...". */
static const char *s_doubled_name(const char *w, char *buf, size_t len)
{
	const char *p = strstr(w, VT_WARN_DOUBLE_LABEL " ");
	size_t n;

	buf[0] = '\0';
	if (p == NULL)
		return buf;
	p += strlen(VT_WARN_DOUBLE_LABEL " ");
	n = strcspn(p, ": ");
	if (n > 0 && n < len)
		snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

/*
 * TXTDoubleLabel: the TXT record sits at _acme-challenge.<name>.<zone>
 * (the DNS provider's form took a fully qualified name as relative).  An
 * error when the check fails (then it is why), a warning otherwise.
 */
static void s_double_label(struct vt_check *c, struct diag_used *used)
{
	char name[LIMIT_DOMAIN_LEN + sizeof(DNS01_LABEL) + 1], doubled[LIMIT_WARNING_LEN];
	const char *first;
	size_t n = s_marked(c, VT_WARN_DOUBLE_LABEL, &first);
	struct vt_finding *f;

	if (n == 0)
		return;
	s_txt_name(c, name, sizeof(name));
	s_doubled_name(first, doubled, sizeof(doubled));
	f = diag_find(c, VT_F_TXT_DOUBLE_LABEL, NULL, NULL,
	              "the TXT record is at the doubled name %s, not at %s (seen from %zu %s): "
	              "the DNS provider's form appends the zone to the name it is given; enter "
	              "the name relative to the zone, or fully qualified with a trailing dot",
	              doubled[0] != '\0' ? doubled : "_acme-challenge.<name>.<zone>", name, n,
	              diag_plural(n, "vantage", "vantages"));
	if (f != NULL && !s_any_failing(c))
		f->severity = VT_SEV_WARNING;
	s_mark_concerns(f, c, VT_WARN_DOUBLE_LABEL, used);
}

/* StaleTXTRecords: old challenge values pile up at _acme-challenge. */
static void s_stale_txt(struct vt_check *c, struct diag_used *used)
{
	const char *first;
	size_t n = s_marked(c, VT_WARN_STALE_TXT, &first);
	struct vt_finding *f;

	if (n == 0)
		return;
	f = diag_find(c, VT_F_STALE_TXT_RECORDS, NULL, NULL,
	              "from %zu %s, %s: old challenge values pile up when a DNS hook never "
	              "cleans up; remove them, as too many make the answer too large for Let's "
	              "Encrypt",
	              n, diag_plural(n, "vantage", "vantages"), first);
	s_mark_concerns(f, c, VT_WARN_STALE_TXT, used);
}

void diag_records(struct vt_check *c, struct diag_used *used)
{
	s_reserved(c, used);
	if (c->method == VT_METHOD_DNS01) {
		s_double_label(c, used);
		s_stale_txt(c, used);
	}
	if (c->method == VT_METHOD_CAA)
		diag_caa_records(c, used);
}
