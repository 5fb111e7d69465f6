/*
 * diagnose_caa.c -- the CAA diagnosis sentences: a CAA set that forbids
 * this CA (with the agents' reasons: another CA, validationmethods,
 * accounturi, a critical tag, records that do not parse, and what to
 * change), a CAA lookup that fails, and CAA that differs between regions;
 * and, from the records the agents saw, an accounturi that pins one ACME
 * account and issue records that do not parse, whether the check passes or
 * not.  DNSSEC failures are said by diagnose_dns.c.  Called by
 * diag_diagnose() through diag_caa_group() and diag_records().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caa.h"
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

/* Agent warnings that describe the records rather than say why the set
 * forbids (agent/caa.c): the set's summary, an error above it, no CAA. */
static bool s_is_context(const char *w)
{
	return strncmp(w, "CAA set at ", strlen("CAA set at ")) == 0 ||
	       strncmp(w, "ignored, above the relevant set", strlen("ignored, above")) == 0 ||
	       strncmp(w, "no CAA record at ", strlen("no CAA record at ")) == 0;
}

/* Up to VERDICT_MAX_CAA_WHY distinct warnings of the vantages in group k
 * that pass keep: the agent's words for why CAA forbids (another CA,
 * validationmethods, accounturi, a critical tag) or what the set holds.
 * Returns how many. */
static size_t s_caa_warnings(const struct vt_check *c, const struct diag_key *k,
                             bool (*keep)(const char *), const char **why)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_entries && n < VERDICT_MAX_CAA_WHY; i++) {
		const struct vt_result *r = &c->entries[i].result;
		if (!diag_selected(&c->entries[i], DIAG_SEL_GROUP, k))
			continue;
		for (size_t w = 0; w < r->n_warnings && w < LIMIT_MAX_WARNINGS; w++) {
			bool seen = false;
			if (!keep(r->warnings[w]))
				continue;
			for (size_t j = 0; j < n && !seen; j++)
				seen = strcmp(why[j], r->warnings[w]) == 0;
			if (!seen && n < VERDICT_MAX_CAA_WHY)
				why[n++] = r->warnings[w];
		}
	}
	return n;
}

static bool s_is_reason(const char *w)
{
	return !s_is_context(w);
}

static bool s_is_any(const char *w)
{
	(void)w;
	return true;
}

/* The agents' reasons in group k, else (agents that give none) whatever
 * they warned.  Returns how many. */
static size_t s_caa_why(const struct vt_check *c, const struct diag_key *k, const char **why)
{
	size_t n = s_caa_warnings(c, k, s_is_reason, why);

	return n > 0 ? n : s_caa_warnings(c, k, s_is_any, why);
}

/* The finding for one reason the agent gave (common/caa.c's words). */
static enum vt_finding_id s_reason_id(const char *w)
{
	if (strcasestr(w, "critical") != NULL)
		return VT_F_CAA_CRITICAL_UNKNOWN;
	if (strcasestr(w, "malformed") != NULL || strcasestr(w, "two accounturi") != NULL ||
	    strcasestr(w, "appears twice") != NULL)
		return VT_F_CAA_INVALID;
	if (strcasestr(w, "accounturi") != NULL)
		return VT_F_CAA_ACCOUNT_URI;
	if (strcasestr(w, "validationmethods") != NULL)
		return VT_F_CAA_METHOD_EXCLUDED;
	return VT_F_CAA_FORBIDS;
}

/* The finding for a CAA set that forbids this CA, from the agents'
 * reasons why[0..n): the most specific one any reason names. */
static enum vt_finding_id s_forbids_id(const char *const *why, size_t n)
{
	static const enum vt_finding_id order[] = {
	        VT_F_CAA_CRITICAL_UNKNOWN,
	        VT_F_CAA_INVALID,
	        VT_F_CAA_ACCOUNT_URI,
	        VT_F_CAA_METHOD_EXCLUDED,
	};

	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (size_t i = 0; i < n; i++)
			if (!s_is_context(why[i]) && s_reason_id(why[i]) == order[o])
				return order[o];
	return VT_F_CAA_FORBIDS;
}

/* What to change for a CAA set that forbids this CA for reason id. */
static const char *s_caa_advice(enum vt_finding_id id)
{
	switch (id) {
	case VT_F_CAA_ACCOUNT_URI:
		return "accounturi pins one ACME account: it must be the account your "
		       "client uses, and staging accounts "
		       "(acme-staging-v02.api.letsencrypt.org) have other URIs than "
		       "production ones (acme-v02.api.letsencrypt.org)";
	case VT_F_CAA_METHOD_EXCLUDED:
		return "add the method you validate with to validationmethods, or validate "
		       "with a method it lists";
	case VT_F_CAA_CRITICAL_UNKNOWN:
		return "an unknown tag marked critical forbids every CA: drop the tag or "
		       "its critical flag";
	case VT_F_CAA_INVALID:
		return "a record that does not parse authorizes no CA: write it as "
		       "issue \"letsencrypt.org\", then parameters as tag=value separated by "
		       "\";\", each parameter once";
	default:
		return "add an issue record for this CA's issuer domain (\"letsencrypt.org\" "
		       "for Let's Encrypt) next to the others, or remove the records that "
		       "exclude it";
	}
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
	struct diag_selarg bad = {DIAG_SEL_GROUP, k}, good = {DIAG_SEL_PASS, NULL};
	const char *why[VERDICT_MAX_CAA_WHY];
	char name[LIMIT_DOMAIN_LEN + 1], because[VERDICT_DIAGNOSIS_LEN / 2] = "";
	size_t n = s_caa_why(c, k, why);
	enum vt_finding_id id;
	struct vt_finding *f;

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
		diag_used_add(used, why[i]);
	}
	id = s_forbids_id(why, n);
	if (!partial) {
		f = diag_find(c, id, diag_pred_sel, &bad, "CAA at %s forbids this CA: %s: %s", name,
		              n > 0 ? because : "no record in its CAA set authorizes it",
		              s_caa_advice(id));
	} else {
		struct diag_who w;
		diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
		f = diag_find(c, id, diag_pred_sel, &bad,
		              "CAA at %s forbids this CA only from %s%s%s%s while %s %s it: the "
		              "nameservers answer CAA differently there (GeoDNS, a stale secondary "
		              "or a DNSSEC problem); Let's Encrypt checks CAA from its remote "
		              "perspectives too, so every nameserver must serve the same CAA "
		              "records",
		              name, w.who, n > 0 ? " (" : "", n > 0 ? because : "",
		              n > 0 ? ")" : "", w.others, diag_verb(w.nothers, "allows", "allow"));
	}
	if (f == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		finding_add_evidence(f, "%s", why[i]);
	/* the records behind the reasons: evidence, not repeated as warnings */
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_result *r = &c->entries[i].result;
		if (!diag_selected(&c->entries[i], DIAG_SEL_GROUP, k))
			continue;
		for (size_t w = 0; w < r->n_warnings && w < LIMIT_MAX_WARNINGS; w++)
			if (s_is_context(r->warnings[w])) {
				finding_add_evidence(f, "%s", r->warnings[w]);
				diag_used_add(used, r->warnings[w]);
			}
	}
	/* the reason the check fails: at least an error (accounturi is info
	 * and a record that does not parse a warning when they are not);
	 * fatal only when no vantage gets past it */
	if (f->severity < VT_SEV_ERROR || partial)
		f->severity = VT_SEV_ERROR;
}

/* The finding for a CAA failure that is neither a forbidding set nor a DNS
 * problem: a name that is not valid, else a failed lookup. */
static enum vt_finding_id s_other_id(const struct diag_key *k)
{
	return k->type == VT_PROB_MALFORMED ? VT_F_INVALID_NAME : VT_F_DNS_LOOKUP_FAILED;
}

void diag_caa_group(struct vt_check *c, const struct diag_key *k, bool partial,
                    struct diag_used *used)
{
	struct diag_selarg bad = {DIAG_SEL_GROUP, k}, good = {DIAG_SEL_PASS, NULL};
	struct vt_finding *f;
	struct diag_who w;

	switch (s_kind_of(k)) {
	case K_CAA_FORBIDS:
		s_caa_forbids(c, k, partial, used);
		return;
	case K_CAA_DNS:
		if (!partial) {
			diag_find(c, diag_dns_id(c, k), diag_pred_sel, &bad,
			          "the CAA lookup fails from every vantage (%s): Let's Encrypt "
			          "refuses to issue when it cannot read CAA; every nameserver must "
			          "answer CAA queries (NOERROR even when there are none), and a "
			          "SERVFAIL most often means DNSSEC validation fails",
			          k->summary);
			return;
		}
		diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
		f = diag_find(c, diag_dns_id(c, k), diag_pred_sel, &bad,
		              "the CAA lookup fails only from %s (%s) while %s %s: some of the "
		              "domain's nameservers or its DNSSEC answer differently there; every "
		              "authoritative nameserver must answer CAA queries",
		              w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"));
		if (f != NULL && f->severity > VT_SEV_ERROR)
			f->severity = VT_SEV_ERROR;
		return;
	default:
		break;
	}
	if (!partial) {
		diag_find(c, s_other_id(k), diag_pred_sel, &bad,
		          "the CAA check fails from every vantage (%s)", k->summary);
		return;
	}
	diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
	f = diag_find(c, s_other_id(k), diag_pred_sel, &bad,
	              "the CAA check fails only from %s (%s) while %s %s", w.who, k->summary,
	              w.others, diag_verb(w.nothers, "passes", "pass"));
	if (f != NULL && f->severity > VT_SEV_ERROR)
		f->severity = VT_SEV_ERROR;
}

/* ---- the records themselves (whether the check passes or not) ---- */

/* One record of the agent's set summary: `0 issue "letsencrypt.org"`. */
struct s_rec {
	unsigned flags;
	char tag[32];
	char value[LIMIT_WARNING_LEN];
	size_t len;
	bool cut; /* the summary cut the value ("..."): not judged */
};

/* The next record of a set summary at *pp (caa_set_summary()'s format:
 * `flags tag "value"` joined by "; ", value escaped as \" \\ \xHH).
 * Returns false at the end or on text of another shape. */
static bool s_next_rec(const char **pp, struct s_rec *r)
{
	const char *p = *pp;
	char *end;
	size_t t = 0;

	memset(r, 0, sizeof(*r));
	if (strncmp(p, "; ", 2) == 0)
		p += 2;
	r->flags = (unsigned)strtoul(p, &end, 10);
	if (end == p || *end != ' ')
		return false;
	p = end + 1;
	while (*p != '\0' && *p != ' ' && t + 1 < sizeof(r->tag))
		r->tag[t++] = *p++;
	if (strncmp(p, " \"", 2) != 0)
		return false;
	for (p += 2; *p != '"'; p++) {
		char ch = *p;
		if (*p == '\0' || r->len + 1 >= sizeof(r->value))
			return false;
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
			ch = *++p;
		} else if (*p == '\\' && p[1] == 'x' && p[2] != '\0' && p[3] != '\0') {
			char hex[3] = {p[2], p[3], '\0'};
			ch = (char)strtoul(hex, NULL, 16);
			p += 3;
		}
		r->value[r->len++] = ch;
	}
	*pp = p + 1;
	r->cut = r->len >= CAA_SUMMARY_VALUE && strcmp(r->value + r->len - 3, "...") == 0;
	return true;
}

/* The records of an agent's "CAA set at <name> (N records): <summary>"
 * warning, or NULL when w is not one. */
static const char *s_set_records(const char *w)
{
	const char *p;

	if (strncmp(w, "CAA set at ", strlen("CAA set at ")) != 0)
		return NULL;
	p = strstr(w, "): ");
	return p != NULL ? p + 3 : NULL;
}

/* What a record says beyond allowing or forbidding. */
enum s_note {
	N_NONE = 0,
	N_ACCOUNT, /* this CA's record pins an accounturi */
	N_INVALID, /* an issue/issuewild value that does not parse, or a repeated parameter */
};

static size_t s_params_named(const struct caa_issue_value *v, const char *tag)
{
	size_t n = 0;

	for (size_t i = 0; i < v->n_params; i++)
		if (strcasecmp(v->params[i].tag, tag) == 0)
			n++;
	return n;
}

static enum s_note s_rec_note(const struct s_rec *r)
{
	struct caa_issue_value v;
	char err[LIMIT_WARNING_LEN];

	if (r->cut || (strcasecmp(r->tag, "issue") != 0 && strcasecmp(r->tag, "issuewild") != 0))
		return N_NONE;
	if (caa_value_parse(r->value, r->len, &v, err, sizeof(err)) != 0 ||
	    s_params_named(&v, "accounturi") > 1 || s_params_named(&v, "validationmethods") > 1)
		return N_INVALID;
	if (strcmp(v.issuer, CAA_DEFAULT_ISSUER) == 0 && s_params_named(&v, "accounturi") > 0)
		return N_ACCOUNT;
	return N_NONE;
}

/* The first record of e's set summary with note, written into rec as
 * `tag "value"`; the summary warning itself, or NULL. */
static const char *s_noted(const struct vt_entry *e, enum s_note note, char *rec, size_t len)
{
	if (diag_unavailable(e))
		return NULL;
	for (size_t w = 0; w < e->result.n_warnings && w < LIMIT_MAX_WARNINGS; w++) {
		const char *p = s_set_records(e->result.warnings[w]);
		struct s_rec r;
		while (p != NULL && s_next_rec(&p, &r))
			if (s_rec_note(&r) == note) {
				snprintf(rec, len, "%u %s \"%.*s\"", r.flags, r.tag, (int)r.len,
				         r.value);
				return e->result.warnings[w];
			}
	}
	return NULL;
}

struct s_notearg {
	enum s_note note;
};

static bool s_has_note(const struct vt_entry *e, const void *arg)
{
	const struct s_notearg *a = arg;
	char rec[LIMIT_WARNING_LEN];

	return s_noted(e, a->note, rec, sizeof(rec)) != NULL;
}

static bool s_has_finding(const struct vt_check *c, enum vt_finding_id id)
{
	return vt_check_finding(c, id) != NULL;
}

/* One finding for the first record with note (unless a sentence made one
 * already): its vantages those that saw it, the set's summary its
 * evidence, which then counts as said. */
static void s_note_finding(struct vt_check *c, enum s_note note, enum vt_finding_id id,
                           struct diag_used *used)
{
	struct s_notearg arg = {note};
	char rec[LIMIT_WARNING_LEN] = "", list[VERDICT_DIAGNOSIS_LEN / 2];
	const char *set = NULL;
	struct vt_finding *f;

	if (s_has_finding(c, id))
		return;
	for (size_t i = 0; i < c->n_entries && set == NULL; i++)
		set = s_noted(&c->entries[i], note, rec, sizeof(rec));
	if (set == NULL)
		return;
	diag_list(c, s_has_note, &arg, true, list, sizeof(list));
	if (note == N_ACCOUNT)
		f = diag_find(c, id, NULL, NULL,
		              "CAA record %s pins one ACME account (seen from %s): only that "
		              "account can get certificates; staging and production accounts have "
		              "different URIs, so a staging test fails there, and a new account "
		              "needs the record updated",
		              rec, list);
	else
		f = diag_find(
		        c, id, NULL, NULL,
		        "CAA record %s does not parse (seen from %s): Let's Encrypt skips it "
		        "as if it were not there; write it as issue \"letsencrypt.org\", then "
		        "parameters as tag=value separated by \";\", each parameter once",
		        rec, list);
	for (size_t i = 0; f != NULL && i < c->n_entries; i++) {
		const char *w = s_noted(&c->entries[i], note, rec, sizeof(rec));
		if (w == NULL)
			continue;
		finding_add_vantage(f, c->entries[i].vantage.agent);
		finding_add_evidence(f, "%s", w);
		diag_used_add(used, w);
	}
}

/*
 * The records the agents saw (their "CAA set at" summaries), whatever the
 * outcome: CAAAccountURI (info) when a record for Let's Encrypt pins an
 * accounturi and no sentence said so already; CAAInvalid (warning) when an
 * issue or issuewild value does not parse or repeats a parameter
 * (letsdebug's CAAPossiblyInvalid).  Called by diag_records().
 */
void diag_caa_records(struct vt_check *c, struct diag_used *used)
{
	s_note_finding(c, N_ACCOUNT, VT_F_CAA_ACCOUNT_URI, used);
	s_note_finding(c, N_INVALID, VT_F_CAA_INVALID, used);
}
