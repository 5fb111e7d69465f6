/*
 * diagnose_caa.c -- the CAA diagnosis sentences: a CAA set that forbids
 * this CA (with the agents' reasons: another CA, validationmethods,
 * accounturi, a critical tag, and what to change), a CAA lookup that fails,
 * and CAA that differs between regions.  DNSSEC failures are said by
 * diagnose_dns.c.  Called by diag_diagnose() through diag_caa_group().
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
	K_BOGUS,       /* DNSSEC validation failed */
	K_CAA_FORBIDS, /* the relevant CAA set does not authorize the CA */
	K_CAA_DNS,     /* a CAA lookup failed */
};

static enum s_kind s_kind_of(const struct diag_key *k)
{
	if (diag_says_bogus(k))
		return K_BOGUS;
	if (k->type == VT_PROB_CAA || strstr(k->summary, "prevents issuance") != NULL)
		return K_CAA_FORBIDS;
	if (k->type == VT_PROB_DNS)
		return K_CAA_DNS;
	return K_NONE;
}

/* Up to VERDICT_MAX_CAA_WHY distinct warnings of the vantages in group k:
 * the agent's words for why CAA forbids (another CA, validationmethods,
 * accounturi, a critical tag).  Returns how many. */
static size_t s_caa_why(const struct vt_check *c, const struct diag_key *k, const char **why)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_entries && n < VERDICT_MAX_CAA_WHY; i++) {
		const struct vt_result *r = &c->entries[i].result;
		if (!diag_selected(&c->entries[i], DIAG_SEL_GROUP, k))
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

/* What to change, given the agents' reasons (why[0..n)). */
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
static void s_caa_name(const struct vt_check *c, const struct diag_key *k, char *buf, size_t len)
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

/* The sentence for a CAA set that forbids this CA, quoting the agents' reasons
 * (recorded in used). */
static void s_caa_forbids(struct vt_check *c, const struct diag_key *k, bool partial,
                          struct diag_used *used)
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
		text_appendf(because, sizeof(because), "%s%s", i > 0 ? "; " : "", text);
		if (used->n < sizeof(used->text) / sizeof(used->text[0]))
			used->text[used->n++] = why[i];
	}
	if (!partial) {
		diag_add(c, "CAA at %s forbids this CA: %s: %s", name,
		         n > 0 ? because : "no record in its CAA set authorizes it",
		         s_caa_advice(why, n));
	} else {
		struct diag_selarg bad = {DIAG_SEL_GROUP, k}, good = {DIAG_SEL_PASS, NULL};
		struct diag_who w;
		diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
		diag_add(c,
		         "CAA at %s forbids this CA only from %s%s%s%s while %s %s it: the "
		         "nameservers answer CAA differently there (GeoDNS, a stale secondary or a "
		         "DNSSEC problem); Let's Encrypt checks CAA from its remote perspectives "
		         "too, so every nameserver must serve the same CAA records",
		         name, w.who, n > 0 ? " (" : "", n > 0 ? because : "", n > 0 ? ")" : "",
		         w.others, diag_verb(w.nothers, "allows", "allow"));
	}
}

void diag_caa_group(struct vt_check *c, const struct diag_key *k, bool partial,
                    struct diag_used *used)
{
	struct diag_selarg bad = {DIAG_SEL_GROUP, k}, good = {DIAG_SEL_PASS, NULL};
	struct diag_who w;

	switch (s_kind_of(k)) {
	case K_CAA_FORBIDS:
		s_caa_forbids(c, k, partial, used);
		return;
	case K_CAA_DNS:
		if (!partial) {
			diag_add(c,
			         "the CAA lookup fails from every vantage (%s): Let's Encrypt "
			         "refuses to issue when it cannot read CAA; every nameserver must "
			         "answer CAA queries (NOERROR even when there are none), and a "
			         "SERVFAIL most often means DNSSEC validation fails",
			         k->summary);
			return;
		}
		diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
		diag_add(c,
		         "the CAA lookup fails only from %s (%s) while %s %s: some of the domain's "
		         "nameservers or its DNSSEC answer differently there; every authoritative "
		         "nameserver must answer CAA queries",
		         w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"));
		return;
	default:
		break;
	}
	if (!partial) {
		diag_add(c, "the CAA check fails from every vantage (%s)", k->summary);
		return;
	}
	diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
	diag_add(c, "the CAA check fails only from %s (%s) while %s %s", w.who, k->summary,
	         w.others, diag_verb(w.nothers, "passes", "pass"));
}
