/*
 * caa.c -- RFC 8659 / RFC 8657 CAA rules as Boulder's va/caa.go applies
 * them (letsencrypt-validation.md 7.2).  Pure: views in, verdicts and
 * plain-words reasons out.
 *
 * Where Boulder is looser than the RFC text the brief follows the RFC and
 * the reference: the issuer domain name must be LDH labels, a parameter tag
 * may hold inner hyphens, and every validationmethods label is checked
 * before any is matched.  Parameter tags are matched exactly (Boulder
 * compares "accounturi" and "validationmethods" case-sensitively).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "caa.h"
#include "result.h"

/* Challenge methods a validationmethods list can name. */
static const enum vt_method s_methods[] = {VT_METHOD_HTTP01, VT_METHOD_TLSALPN01, VT_METHOD_DNS01};

static bool s_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool s_is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Trim WSP on both ends of (*s, *len). */
static void s_trim(const char **s, size_t *len)
{
	while (*len > 0 && s_is_wsp((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && s_is_wsp((*s)[*len - 1]))
		(*len)--;
}

/* (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)) -- RFC 8659 label and tag. */
static bool s_is_ldh(const char *s, size_t len)
{
	if (len == 0 || !s_is_alnum(s[0]) || !s_is_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!s_is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* issuer-domain-name = label *("." label) */
static bool s_is_domain(const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!s_is_ldh(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

/* Copy len bytes of untrusted s into out, printable ASCII kept, '"' and
 * '\\' and the rest escaped; cut with "..." when it does not fit max. */
static void s_escape(char *out, size_t outlen, const char *s, size_t len, size_t max)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		int n;
		if (i >= max) {
			snprintf(out + o, outlen - o, "...");
			return;
		}
		if (c == '"' || c == '\\')
			n = snprintf(tmp, sizeof(tmp), "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			n = snprintf(tmp, sizeof(tmp), "%c", c);
		else
			n = snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		if (n < 0 || o + (size_t)n >= outlen)
			return;
		memcpy(out + o, tmp, (size_t)n + 1);
		o += (size_t)n;
	}
}

/* Is the record's tag `name`, case-insensitively? */
static bool s_tag_is(const struct caa_rr *rr, const char *name)
{
	return rr->tag_len == strlen(name) && strncasecmp(rr->tag, name, rr->tag_len) == 0;
}

int caa_rr_parse(const uint8_t *rdata, size_t len, struct caa_rr *out, char *err, size_t errlen)
{
	int rc = -1;
	size_t tlen;

	memset(out, 0, sizeof(*out));
	if (rdata == NULL || len < 2) {
		snprintf(err, errlen, "CAA RDATA too short (%zu bytes)", len);
		goto out;
	}
	tlen = rdata[1];
	if (tlen == 0 || 2 + tlen > len) {
		snprintf(err, errlen, "CAA tag length %zu does not fit %zu bytes of RDATA", tlen,
		         len);
		goto out;
	}
	out->flags = rdata[0];
	memcpy(out->tag, rdata + 2, tlen);
	out->tag[tlen] = '\0';
	out->tag_len = tlen;
	out->value = (const char *)rdata + 2 + tlen;
	out->value_len = len - 2 - tlen;
	rc = 0;
out:
	return rc;
}

int caa_rr_set(struct caa_rr *out, uint8_t flags, const char *tag, const char *value)
{
	size_t tlen = strlen(tag);

	memset(out, 0, sizeof(*out));
	if (tlen == 0 || tlen > CAA_MAX_TAG_LEN)
		return -1;
	out->flags = flags;
	memcpy(out->tag, tag, tlen + 1);
	out->tag_len = tlen;
	out->value = value;
	out->value_len = strlen(value);
	return 0;
}

/* One "tag=value" parameter into p.  0 or -1 with a reason. */
static int s_param_parse(const char *s, size_t len, struct caa_param *p, char *err, size_t errlen)
{
	const char *eq = memchr(s, '=', len);
	const char *t = s, *v;
	size_t tl, vl;
	char shown[CAA_SUMMARY_VALUE + 8];

	if (eq == NULL) {
		s_trim(&t, &len);
		s_escape(shown, sizeof(shown), t, len, CAA_SUMMARY_VALUE);
		snprintf(err, errlen, "parameter \"%s\" is not tag=value", shown);
		return -1;
	}
	tl = (size_t)(eq - s);
	v = eq + 1;
	vl = len - tl - 1;
	s_trim(&t, &tl);
	s_trim(&v, &vl);
	if (!s_is_ldh(t, tl) || tl > CAA_MAX_PARAM_TAG) {
		s_escape(shown, sizeof(shown), t, tl, CAA_SUMMARY_VALUE);
		snprintf(err, errlen, "parameter tag \"%s\" is not valid", shown);
		return -1;
	}
	for (size_t i = 0; i < vl; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x21 || c > 0x7e || c == ';') {
			s_escape(shown, sizeof(shown), v, vl, CAA_SUMMARY_VALUE);
			snprintf(err, errlen, "parameter value \"%s\" has a disallowed character",
			         shown);
			return -1;
		}
	}
	memcpy(p->tag, t, tl);
	p->tag[tl] = '\0';
	p->val = v;
	p->val_len = vl;
	return 0;
}

int caa_value_parse(const char *value, size_t len, struct caa_issue_value *out, char *err,
                    size_t errlen)
{
	const char *semi = memchr(value, ';', len);
	const char *s = value, *rest;
	size_t sl = semi != NULL ? (size_t)(semi - value) : len, rl;
	int rc = -1;
	char shown[CAA_SUMMARY_VALUE + 8];

	memset(out, 0, sizeof(*out));
	s_trim(&s, &sl);
	if (sl > LIMIT_CAA_ISSUER_LEN || (sl > 0 && !s_is_domain(s, sl))) {
		s_escape(shown, sizeof(shown), s, sl, CAA_SUMMARY_VALUE);
		snprintf(err, errlen, "issuer domain name \"%s\" is not valid", shown);
		goto out;
	}
	memcpy(out->issuer, s, sl);
	out->issuer[sl] = '\0';
	if (semi == NULL) {
		rc = 0;
		goto out;
	}
	rest = semi + 1;
	rl = len - (size_t)(rest - value);
	/* "issuer;" with nothing (but WSP) after the one semicolon: no parameters */
	if (memchr(rest, ';', rl) == NULL) {
		const char *t = rest;
		size_t tl = rl;
		s_trim(&t, &tl);
		if (tl == 0) {
			rc = 0;
			goto out;
		}
	}
	/* bounded: every pass consumes one ';'-separated part */
	for (;;) {
		const char *next = memchr(rest, ';', rl);
		size_t pl = next != NULL ? (size_t)(next - rest) : rl;
		if (out->n_params >= CAA_MAX_PARAMS) {
			snprintf(err, errlen, "more than %d parameters", CAA_MAX_PARAMS);
			goto out;
		}
		if (s_param_parse(rest, pl, &out->params[out->n_params], err, errlen) != 0)
			goto out;
		out->n_params++;
		if (next == NULL)
			break;
		rl -= pl + 1;
		rest = next + 1;
	}
	rc = 0;
out:
	return rc;
}

/* Find parameter tag in v: the count of occurrences; *first the first. */
static size_t s_find_param(const struct caa_issue_value *v, const char *tag,
                           const struct caa_param **first)
{
	size_t n = 0;

	*first = NULL;
	for (size_t i = 0; i < v->n_params; i++) {
		if (strcmp(v->params[i].tag, tag) != 0)
			continue;
		if (n++ == 0)
			*first = &v->params[i];
	}
	return n;
}

/* Does the comma list (l, len) hold label? */
static bool s_list_has(const char *l, size_t len, const char *label)
{
	size_t want = strlen(label), start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && l[i] != ',')
			continue;
		if (i - start == want && memcmp(l + start, label, want) == 0)
			return true;
		start = i + 1;
	}
	return false;
}

/* Every label of the comma list is 1*(ALPHA / DIGIT / "-")? */
static bool s_list_valid(const char *l, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && l[i] != ',') {
			if (!s_is_alnum(l[i]) && l[i] != '-')
				return false;
			continue;
		}
		if (i == start)
			return false;
		start = i + 1;
	}
	return true;
}

enum caa_rec caa_record_check(const struct caa_rr *rr, const struct caa_policy *pol, char *why,
                              size_t whylen)
{
	struct caa_issue_value v;
	const struct caa_param *p;
	const char *issuer =
	        pol->issuer != NULL && pol->issuer[0] != '\0' ? pol->issuer : CAA_DEFAULT_ISSUER;
	const char *acct = pol->account_uri != NULL ? pol->account_uri : "";
	char err[LIMIT_WARNING_LEN], shown[LIMIT_URL_LEN + 1], tag[CAA_SUMMARY_VALUE + 8];
	char dummy[1];
	size_t n;

	if (why == NULL) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	why[0] = '\0';
	s_escape(tag, sizeof(tag), rr->tag, rr->tag_len, CAA_SUMMARY_VALUE);
	if (caa_value_parse(rr->value, rr->value_len, &v, err, sizeof(err)) != 0) {
		snprintf(why, whylen, "malformed %s record skipped: %s", tag, err);
		return CAA_REC_MALFORMED;
	}
	if (v.issuer[0] == '\0') {
		snprintf(why, whylen, "%s \";\" forbids every CA", tag);
		return CAA_REC_EMPTY_ISSUER;
	}
	if (strcmp(v.issuer, issuer) != 0) {
		snprintf(why, whylen, "%s names %s, not %s", tag, v.issuer, issuer);
		return CAA_REC_OTHER_ISSUER;
	}
	n = s_find_param(&v, "accounturi", &p);
	if (n > 1) {
		snprintf(why, whylen, "two accounturi parameters make the record unsatisfiable");
		return CAA_REC_ACCOUNT_TWICE;
	}
	if (n == 1) {
		s_escape(shown, sizeof(shown), p->val, p->val_len, sizeof(shown));
		if (acct[0] == '\0') {
			snprintf(why, whylen,
			         "accounturi pins %s, and the ACME account URI was not given, so "
			         "it cannot match (staging and production accounts differ)",
			         shown);
			return CAA_REC_ACCOUNT_UNKNOWN;
		}
		if (p->val_len != strlen(acct) || memcmp(p->val, acct, p->val_len) != 0) {
			snprintf(why, whylen, "accounturi pins %s, not this account %s", shown,
			         acct);
			return CAA_REC_ACCOUNT_MISMATCH;
		}
	}
	n = s_find_param(&v, "validationmethods", &p);
	if (n > 1) {
		snprintf(why, whylen, "validationmethods appears twice");
		return CAA_REC_METHODS_BAD;
	}
	if (n == 1) {
		s_escape(shown, sizeof(shown), p->val, p->val_len, CAA_SUMMARY_VALUE);
		if (!s_list_valid(p->val, p->val_len)) {
			snprintf(why, whylen, "validationmethods=%s has a malformed label", shown);
			return CAA_REC_METHODS_BAD;
		}
		for (size_t i = 0; i < sizeof(s_methods) / sizeof(s_methods[0]); i++) {
			const char *name = vt_method_name(s_methods[i]);
			if (!(pol->methods & (1u << s_methods[i])))
				continue;
			if (!s_list_has(p->val, p->val_len, name)) {
				snprintf(why, whylen, "validationmethods=%s excludes %s", shown,
				         name);
				return CAA_REC_METHOD_EXCLUDED;
			}
		}
	}
	return CAA_REC_AUTHORIZES;
}

/* Append ", name" (or "name" first) to a bounded list, skipping repeats. */
static void s_list_add(char *buf, size_t buflen, const char *name)
{
	size_t o = strlen(buf), nl = strlen(name);

	for (const char *hit = strstr(buf, name); hit != NULL; hit = strstr(hit + 1, name))
		if ((hit == buf || hit[-1] == ' ') && (hit[nl] == ',' || hit[nl] == '\0'))
			return;
	if (o + nl + 3 >= buflen)
		return;
	snprintf(buf + o, buflen - o, "%s%s", o > 0 ? ", " : "", name);
}

bool caa_set_check(const struct caa_rr *rrs, size_t n, const struct caa_policy *pol,
                   const char *where, char *why, size_t whylen)
{
	size_t n_issue = 0, n_wild = 0, n_malformed = 0;
	const char *want, *kind;
	char dummy[1], rwhy[LIMIT_WARNING_LEN], ours[LIMIT_WARNING_LEN] = "";
	char others[LIMIT_WARNING_LEN] = "", malformed[LIMIT_WARNING_LEN] = "";
	char shown[CAA_SUMMARY_VALUE + 8];
	bool empty_issuer = false;

	if (why == NULL) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	why[0] = '\0';
	if (where == NULL)
		where = "?";
	for (size_t i = 0; i < n; i++) {
		const struct caa_rr *rr = &rrs[i];
		if (s_tag_is(rr, "issue")) {
			n_issue++;
		} else if (s_tag_is(rr, "issuewild")) {
			n_wild++;
		} else if (s_tag_is(rr, "iodef") || s_tag_is(rr, "issuemail") ||
		           s_tag_is(rr, "issuevmc")) {
			continue;
		} else if (rr->flags & (CAA_FLAG_CRITICAL | CAA_FLAG_CRIT_ALIAS)) {
			s_escape(shown, sizeof(shown), rr->tag, rr->tag_len, CAA_SUMMARY_VALUE);
			snprintf(why, whylen,
			         "the CAA set at %s has the unknown critical tag '%s' (flags %u)",
			         where, shown, (unsigned)rr->flags);
			return false;
		}
	}
	want = pol->wildcard && n_wild > 0 ? "issuewild" : "issue";
	kind = strcmp(want, "issuewild") == 0 ? " for wildcards (issuewild)" : "";
	if ((strcmp(want, "issue") == 0 ? n_issue : n_wild) == 0) {
		snprintf(why, whylen, "the CAA set at %s has no %s record: any CA may issue", where,
		         want);
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		const struct caa_rr *rr = &rrs[i];
		struct caa_issue_value v;
		char perr[8];
		if (!s_tag_is(rr, want))
			continue;
		switch (caa_record_check(rr, pol, rwhy, sizeof(rwhy))) {
		case CAA_REC_AUTHORIZES:
			why[0] = '\0';
			return true;
		case CAA_REC_MALFORMED:
			n_malformed++;
			if (malformed[0] == '\0')
				snprintf(malformed, sizeof(malformed), "%s", rwhy);
			break;
		case CAA_REC_EMPTY_ISSUER:
			empty_issuer = true;
			break;
		case CAA_REC_OTHER_ISSUER:
			if (caa_value_parse(rr->value, rr->value_len, &v, perr, sizeof(perr)) == 0)
				s_list_add(others, sizeof(others), v.issuer);
			break;
		default:
			if (ours[0] == '\0')
				snprintf(ours, sizeof(ours), "%s", rwhy);
			break;
		}
	}
	if (ours[0] != '\0')
		snprintf(why, whylen, "the CAA set at %s names %s%s, but %s", where,
		         pol->issuer != NULL && pol->issuer[0] != '\0' ? pol->issuer
		                                                       : CAA_DEFAULT_ISSUER,
		         kind, ours);
	else if (others[0] != '\0')
		snprintf(why, whylen, "the CAA set at %s allows only %s%s", where, others, kind);
	else if (empty_issuer)
		snprintf(why, whylen, "the CAA set at %s forbids all issuance%s (%s \";\")", where,
		         kind, want);
	else
		snprintf(why, whylen, "the CAA set at %s has only malformed %s records (%zu): %s",
		         where, want, n_malformed, malformed);
	return false;
}

void caa_set_summary(const struct caa_rr *rrs, size_t n, char *buf, size_t buflen)
{
	size_t o = 0;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n && o + 1 < buflen; i++) {
		char tag[CAA_SUMMARY_VALUE + 8], val[CAA_SUMMARY_VALUE * 4 + 8];
		int w;
		s_escape(tag, sizeof(tag), rrs[i].tag, rrs[i].tag_len, CAA_SUMMARY_VALUE);
		s_escape(val, sizeof(val), rrs[i].value, rrs[i].value_len, CAA_SUMMARY_VALUE);
		w = snprintf(buf + o, buflen - o, "%s%u %s \"%s\"", i > 0 ? "; " : "",
		             (unsigned)rrs[i].flags, tag, val);
		if (w < 0 || (size_t)w >= buflen - o)
			break;
		o += (size_t)w;
	}
}
