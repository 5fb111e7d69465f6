/*
 * caa.h -- the CAA rules of RFC 8659 and RFC 8657 as Let's Encrypt applies
 * them (letsencrypt-validation.md section 7.2, Boulder va/caa.go), as pure
 * functions: no DNS, no I/O, no allocation.
 *
 * The agent's CAA probe (agent/caa.c) climbs the DNS tree and hands the
 * relevant RRset here; the unit tests drive the same functions with tables.
 * Records are views: a caa_rr points into the caller's RDATA or string and
 * is valid only as long as that memory is.
 */
#ifndef VANTAGE_CAA_H
#define VANTAGE_CAA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

/* Bounds of the CAA code (kept here, next to the rules they bound). */
#define CAA_MAX_TAG_LEN     255 /* the RDATA's one-byte tag length */
#define CAA_MAX_PARAMS      32  /* parameters parsed per issue value; more = malformed */
#define CAA_MAX_PARAM_TAG   63  /* one parameter tag */
#define CAA_MAX_NAMES       127 /* label suffixes of a 253-character name */
#define CAA_SUMMARY_VALUE   80  /* bytes of a value shown in a summary */
#define CAA_FLAG_CRITICAL   128 /* RFC 8659 4.1 */
#define CAA_FLAG_CRIT_ALIAS 1   /* the common misreading Boulder honours too */

/* One CAA resource record, as a view (nothing owned). */
struct caa_rr {
	uint8_t flags;
	char tag[CAA_MAX_TAG_LEN + 1]; /* copied; tag_len bytes, then NUL */
	size_t tag_len;
	const char *value; /* NOT NUL-terminated; value_len bytes */
	size_t value_len;
};

/* One parameter of an issue value, as a view into the value. */
struct caa_param {
	char tag[CAA_MAX_PARAM_TAG + 1];
	const char *val; /* value_len bytes, not terminated */
	size_t val_len;
};

/* A parsed issue / issuewild value (RFC 8659 4.2). */
struct caa_issue_value {
	char issuer[LIMIT_CAA_ISSUER_LEN + 1]; /* "" for ";" (forbids all) */
	struct caa_param params[CAA_MAX_PARAMS];
	size_t n_params;
};

/* Who asks: the CA's issuer domain, the ACME account and the methods. */
struct caa_policy {
	const char *issuer;      /* NULL or "" = CAA_DEFAULT_ISSUER */
	const char *account_uri; /* NULL or "" = unknown */
	uint32_t methods;        /* bits 1 << vt_method; 0 = not checked */
	bool wildcard;           /* the identifier was "*.name" */
};

/* How one record relates to the policy. */
enum caa_rec {
	CAA_REC_AUTHORIZES = 0,
	CAA_REC_MALFORMED,        /* value does not parse: skipped */
	CAA_REC_EMPTY_ISSUER,     /* ";": no CA may issue */
	CAA_REC_OTHER_ISSUER,     /* names another CA */
	CAA_REC_ACCOUNT_UNKNOWN,  /* pins an account; ours is not known */
	CAA_REC_ACCOUNT_MISMATCH, /* pins another account */
	CAA_REC_ACCOUNT_TWICE,    /* two accounturi: unsatisfiable */
	CAA_REC_METHODS_BAD,      /* validationmethods malformed or repeated */
	CAA_REC_METHOD_EXCLUDED,  /* validationmethods lacks a requested method */
};

/*
 * Parse CAA RDATA (flags, tag length, tag, value).  On 0, out views rdata
 * (keep rdata alive while out is used).  -1 with a reason in err when the
 * RDATA is too short or the tag is empty.
 */
int caa_rr_parse(const uint8_t *rdata, size_t len, struct caa_rr *out, char *err, size_t errlen);

/* Fill out from text (tests, and callers holding presentation values).
 * out views value.  0, or -1 when the tag is empty or too long. */
int caa_rr_set(struct caa_rr *out, uint8_t flags, const char *tag, const char *value);

/*
 * Parse an issue / issuewild value with RFC 8659 4.2's rules: optional
 * issuer domain name, then ";"-separated "tag=value" parameters; WSP around
 * each part is ignored, tags are (ALPHA / DIGIT) *( *"-" (ALPHA / DIGIT)),
 * values %x21-3A / %x3C-7E.  0, or -1 with a reason in err (the record is
 * then malformed and skipped).  out's parameters view value.
 */
int caa_value_parse(const char *value, size_t len, struct caa_issue_value *out, char *err,
                    size_t errlen);

/*
 * Does this one issue/issuewild record authorize pol?  Checks, in order:
 * syntax, issuer domain (exact match with the configured one), accounturi
 * (RFC 8657 3: absent matches any; present must equal pol->account_uri;
 * twice is unsatisfiable), validationmethods (RFC 8657 4: absent matches
 * any; present is a comma list of [A-Za-z0-9-]+ labels that must include
 * every requested method; a bad label or a repeated parameter fails).
 * Writes a plain-words reason to why (may be NULL) for anything but
 * CAA_REC_AUTHORIZES.
 */
enum caa_rec caa_record_check(const struct caa_rr *rr, const struct caa_policy *pol, char *why,
                              size_t whylen);

/*
 * Decide a relevant CAA set (Boulder filterCAA + validateCAA): tags are
 * case-insensitive; an unknown tag flagged critical (flags & 128, or & 1)
 * forbids; iodef, issuemail, issuevmc are ignored; a non-wildcard uses the
 * issue records, a wildcard its issuewild records if any, else issue; no
 * applicable record allows; otherwise any one authorizing record allows.
 * Returns true when issuance is allowed.  When it is not, why (may be NULL)
 * says why in plain words, naming the set as "the CAA set at <where>".
 */
bool caa_set_check(const struct caa_rr *rrs, size_t n, const struct caa_policy *pol,
                   const char *where, char *why, size_t whylen);

/* A one-line summary of a set, e.g. `0 issue "letsencrypt.org"; 0 iodef
 * "mailto:x@example.com"`, values escaped and cut; truncated to buflen. */
void caa_set_summary(const struct caa_rr *rrs, size_t n, char *buf, size_t buflen);

#endif
