/*
 * diagnose_int.h -- internal to the verdict and diagnosis files; include it
 * from nothing else.
 *
 *   verdict.c        the verdict, LE's multi-perspective rule, verdict_judge()
 *   diagnose.c       problem summaries, failure groups, the lists of names in
 *                    sentences, warnings and the diagnosis as a whole
 *   diagnose_http.c  HTTP-01 sentences
 *   diagnose_tls.c   TLS-ALPN-01 sentences and certificate comparison
 *   diagnose_dns.c   DNS-01 sentences, DNSSEC, the authoritative sweep
 *   diagnose_caa.c   CAA sentences
 *   diagnose_cert.c  tls-cert: expiry, trust, name, different certificates
 *
 * Everything here is pure: no I/O, no allocation.  The public contract is
 * verdict.h and verdict_ext.h; this header may change with them.
 */
#ifndef VANTAGE_DIAGNOSE_INT_H
#define VANTAGE_DIAGNOSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text.h"
#include "verdict.h"
#include "verdict_ext.h"

/* Failure patterns the diagnosis tells apart (diag_key.cls). */
enum diag_class {
	DIAG_OTHER = 0,
	DIAG_TIMEOUT_CONNECT,
	DIAG_REFUSED,
	DIAG_RESET,
	DIAG_UNREACH,
	DIAG_TIMEOUT_AFTER,
	DIAG_HTTP_STATUS,
	DIAG_BODY,
	DIAG_MISMATCH,
	DIAG_REDIRECT,
	DIAG_DNS,
	DIAG_TLS,
};

/* What makes two failures "the same problem": one failure group. */
struct diag_key {
	enum diag_class cls;
	enum vt_problem_type type; /* the problem's type, for the method sentences */
	unsigned status;           /* DIAG_HTTP_STATUS */
	char summary[VERDICT_SUMMARY_LEN];
};

/* How many judged entries passed, failed, did not answer; how many were not
 * judged (verdict_entry_judged() false).  Counted by verdict_judge(). */
struct diag_counts {
	size_t pass, fail, unavail, unjudged;
};

/* Warnings quoted in a CAA sentence, not repeated among the warnings. */
struct diag_used {
	const char *text[VERDICT_MAX_CAA_WHY * VERDICT_MAX_GROUPS];
	size_t n;
};

/* Let's Encrypt's wording, shared by verdict_le_problem() (verdict.c) and
 * verdict_problem_summary() (diagnose.c). */
extern const char diag_le_secondary[];  /* "During secondary validation: " */
extern const char diag_le_caa_prefix[]; /* "While processing CAA for " */
/* "Let's Encrypt does not publish its addresses, so" (HTTP-01, TLS-ALPN-01). */
extern const char diag_no_ips[];

/* ---- outcomes (the verdict's vocabulary) ---- */

/* Passed; REACHABLE counts as passing. */
static inline bool diag_passing(const struct vt_entry *e)
{
	return e->result.outcome == VT_OUTCOME_PASS || e->result.outcome == VT_OUTCOME_REACHABLE;
}

static inline bool diag_failing(const struct vt_entry *e)
{
	return e->result.outcome == VT_OUTCOME_FAIL;
}

/* Anything that is neither a pass nor a fail did not answer. */
static inline bool diag_unavailable(const struct vt_entry *e)
{
	return !diag_passing(e) && !diag_failing(e);
}

/* ---- words and sentences (diagnose.c) ---- */

/* one when n == 1, else many.  diag_verb() is the same for verbs, so a
 * sentence reads diag_verb(n, "passes", "pass"). */
const char *diag_plural(size_t n, const char *one, const char *many);
const char *diag_verb(size_t n, const char *one, const char *many);

/* Sentences are built piece by piece with text_appendf (text.h). */

/* Does failure k's summary report a DNSSEC bogus answer?  Such a failure is
 * explained by diag_dnssec_bogus()'s sentence (DNS-01, CAA). */
bool diag_says_bogus(const struct diag_key *k);

/* ---- who: selecting entries and naming them (diagnose.c) ---- */

/* The standard selections of judged entries (DIAG_SEL_UNJUDGED: the entries
 * not judged). */
enum diag_sel {
	DIAG_SEL_PASS,
	DIAG_SEL_UNAVAIL,
	DIAG_SEL_UNJUDGED,
	DIAG_SEL_GROUP, /* failing with the given key */
};

/* Is e in selection sel (key: the failure group, for DIAG_SEL_GROUP only)? */
bool diag_selected(const struct vt_entry *e, enum diag_sel sel, const struct diag_key *key);

/* A test on one entry, for the lists of names in diagnosis sentences. */
typedef bool (*diag_pred_fn)(const struct vt_entry *e, const void *arg);

/* diag_pred_fn's argument for diag_pred_sel(). */
struct diag_selarg {
	enum diag_sel sel;
	const struct diag_key *key;
};

/* diag_selected() as a diag_pred_fn; arg is a struct diag_selarg. */
bool diag_pred_sel(const struct vt_entry *e, const void *arg);

/* Who has a problem (bad) while others do not (good), named for a sentence:
 * regions, unless a region has both, then agents. */
struct diag_who {
	char who[VERDICT_DIAGNOSIS_LEN / 2]; /* "eu-west and ap-south" */
	char others[64];                     /* "4 other regions" */
	const char *that;                    /* "that region", "those vantages" */
	const char *unit;                    /* "regions" or "vantages" */
	size_t nwho, nothers;
	bool by_region;
};

/*
 * Write the distinct regions of the entries of c satisfying pred (called
 * with arg) into buf ("eu-west and ap-south"), or their agents ("a3
 * (eu-west)") when by_region is false; at most VERDICT_MAX_LISTED names,
 * then "and N more".  Returns how many distinct names there are.
 */
size_t diag_list(const struct vt_check *c, diag_pred_fn pred, const void *arg, bool by_region,
                 char *buf, size_t len);

/*
 * Fill w with the entries of c satisfying bad (called with barg) and those
 * satisfying good (garg): by region unless some region holds both.  w's
 * strings point to static text or into w; nothing is allocated.
 */
void diag_who(const struct vt_check *c, diag_pred_fn bad, const void *barg, diag_pred_fn good,
              const void *garg, struct diag_who *w);

/* ---- findings (diagnose.c) ---- */

/*
 * Add finding id (finding.h) to c with a one-line summary, printf-style,
 * which is also the diagnosis line.  It concerns the entries for which
 * who(e, arg) holds (who NULL: none): their agents are its vantages, the
 * address each used (else tried) its addresses, and the problem detail of
 * each that failed (distinct, at most FINDING_MAX_EVIDENCE) its evidence.
 * Severity: the catalogue's default.  Returns the finding, so the caller
 * can add evidence (finding_add_evidence) or change its severity; NULL (and
 * nothing added) when c already holds VERDICT_MAX_DIAGNOSIS.
 */
struct vt_finding *diag_find(struct vt_check *c, enum vt_finding_id id, diag_pred_fn who,
                             const void *arg, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* The finding for a failure group of DNS problems (k->cls DIAG_DNS), for
 * any method: DNSSECBogus, DNSServfail, ReservedAddress (when a vantage
 * warned VT_WARN_RESERVED), NoAddresses (NXDOMAIN, no valid A/AAAA
 * records), else DNSLookupFailed. */
enum vt_finding_id diag_dns_id(const struct vt_check *c, const struct diag_key *k);

/* e's first warning containing needle, or NULL. */
const char *diag_warning(const struct vt_entry *e, const char *needle);
/* diag_warning() as a diag_pred_fn; arg is the needle. */
bool diag_pred_warned(const struct vt_entry *e, const void *needle);

/* How many entries of c satisfy pred (called with arg). */
size_t diag_count(const struct vt_check *c, diag_pred_fn pred, const void *arg);

/* Record text as quoted by a sentence, so it is not repeated among the
 * warnings (ignored when used is full or already holds it). */
void diag_used_add(struct diag_used *used, const char *text);

/* A diag_pred_fn that holds for every entry that failed. */
bool diag_pred_failing(const struct vt_entry *e, const void *arg);

/* ---- the method sentences, called by diagnose.c for failure group k ----
 *
 * partial: other vantages pass (name who fails and who passes); otherwise
 * every answering vantage has k.  Each adds one sentence to c. */

void diag_http_group(struct vt_check *c, const struct diag_key *k, bool partial);
void diag_tls_group(struct vt_check *c, const struct diag_key *k, bool partial);
void diag_dns_group(struct vt_check *c, const struct diag_key *k, bool partial);
/* Also records in used the warnings the sentence quotes. */
void diag_caa_group(struct vt_check *c, const struct diag_key *k, bool partial,
                    struct diag_used *used);

/* ---- what the vantages saw beyond pass/fail ---- */

/* TLS-ALPN-01 (diagnose_tls.c): one sentence per certificate that differs
 * from the one most vantages got (a CDN edge or a stale server). */
void diag_certs(struct vt_check *c);

/* HTTP-01 (diagnose_http.c): one finding per interceptor some vantage's
 * response shows by its Server header or body (Cloudflare, the nginx
 * testcookie module, a firewall's block page, a router behind port
 * forwarding, plain HTTP sent to an HTTPS port), unless a failure group's
 * sentence already made that finding. */
void diag_http_interceptors(struct vt_check *c);

/* DNS-01 and CAA (diagnose_dns.c): one sentence when the validator calls
 * some answer bogus.  Returns whether it said so (then failures for which
 * diag_says_bogus() holds need no other sentence). */
bool diag_dnssec_bogus(struct vt_check *c);

/* DNS-01 (diagnose_dns.c): what the vantages saw of each authoritative
 * nameserver (down, geo-blocked, not propagated, stale); at most
 * VERDICT_MAX_NS_LINES sentences. */
void diag_nameservers(struct vt_check *c);

/* Every method (diagnose_dns.c): what the agents warned about the records
 * -- reserved addresses; for DNS-01 a TXT record at a doubled name and
 * stale TXT records; for CAA (diag_caa_records) a pinned accounturi and
 * records that do not parse.  Records in used the warnings it quotes. */
void diag_records(struct vt_check *c, struct diag_used *used);
void diag_caa_records(struct vt_check *c, struct diag_used *used);

/* ---- tls-cert (diagnose_cert.c) ---- */

/* Does e (a tls-cert entry) count as failing although its probe passed?
 * When the certificate it received is critical or expired by certcheck's
 * default policy at now, or it passed without one. */
bool diag_cert_failing(const struct vt_entry *e, int64_t now);

/* The tls-cert diagnosis in place of the other methods' pattern: the
 * failure groups keys[0..ngroups) worded for port 443, the expiry of each
 * certificate received with Let's Encrypt's renewal advice, vantages that
 * see different certificates, chains that do not verify and names the
 * certificate does not cover.  Judged at now with the default policy. */
void diag_cert_diagnose(struct vt_check *c, const struct diag_key *keys, size_t ngroups,
                        int64_t now);

/* ---- the diagnosis as a whole (diagnose.c) ---- */

/*
 * Fill c->diagnosis (after c->verdict and c->mpic) from the counts n that
 * verdict_judge() made: the pattern (DNSSEC first for DNS-01 and CAA, then
 * the failure groups in the method's words; tls-cert's own sentences,
 * judged at now), what the vantages saw beyond pass/fail, vantages not used
 * or silent, too few answers, and warnings.  Called by verdict_judge()
 * only.
 */
void diag_diagnose(struct vt_check *c, unsigned min_answers, const struct diag_counts *n,
                   int64_t now);

#endif
