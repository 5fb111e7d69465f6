/*
 * names.c -- the names Let's Encrypt refuses before any validation; see
 * names.h.  libpsl (its built-in list, as agent/redirect.c uses it) says
 * what a public suffix is; libidn2 decodes "xn--" labels.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <libpsl.h>

#include "names.h"

/* TLDs reserved for testing and documentation (RFC 2606, RFC 6761) that
 * vantage accepts although they are no public suffix; see names.h. */
static const char *const s_test_tlds[] = {"test", "example"};

/* Quote at most 80 characters of s, escaping what is not printable ASCII. */
static void s_quote(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; s[i] != '\0' && o + 8 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 80) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* Fill *id and err: "Id: \"in\": why". Returns -1. */
static int s_refuse(enum vt_finding_id fid, const char *in, enum vt_finding_id *id, char *err,
                    size_t errlen, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int s_refuse(enum vt_finding_id fid, const char *in, enum vt_finding_id *id, char *err,
                    size_t errlen, const char *fmt, ...)
{
	char q[4 * 80 + 8];
	va_list ap;
	size_t n;

	if (id != NULL)
		*id = fid;
	s_quote(in, q, sizeof(q));
	snprintf(err, errlen, "%s: \"%s\": ", finding_name(fid), q);
	n = strlen(err);
	va_start(ap, fmt);
	if (n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

bool names_is_ip(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

static bool s_icann_suffix(const char *name)
{
	const psl_ctx_t *psl = psl_builtin();

	return psl != NULL &&
	       psl_is_public_suffix2(psl, name, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) != 0;
}

static bool s_test_tld(const char *tld)
{
	for (size_t i = 0; i < sizeof(s_test_tlds) / sizeof(s_test_tlds[0]); i++)
		if (strcmp(tld, s_test_tlds[i]) == 0)
			return true;
	return false;
}

/* Is the "xn--" label (NUL-terminated, lower case) valid punycode that
 * decodes to a non-ASCII label in NFC, as Boulder's idna.ToUnicode and NFC
 * check ask? */
static bool s_punycode_ok(const char *label)
{
	char *u = NULL;
	uint8_t *a = NULL;
	bool ok = false, ascii = true;

	if (idn2_to_unicode_8z8z(label, &u, 0) != IDN2_OK || u == NULL || u[0] == '\0')
		goto out;
	for (const char *p = u; *p != '\0'; p++)
		ascii &= (unsigned char)*p < 0x80;
	if (ascii) /* "xn--abc-": an A-label of nothing to encode */
		goto out;
	/* libidn2's lookup checks more than IDNA2008's NFC rule (it refuses
	 * symbols Boulder accepts); only its NFC verdict is used */
	ok = idn2_lookup_u8((const uint8_t *)u, &a, 0) != IDN2_NOT_NFC;
out:
	free(u);
	free(a);
	return ok;
}

/* The rules for one label (n bytes at l, lower case, n > 0). */
static int s_label(const char *in, const char *l, size_t n, enum vt_finding_id *id, char *err,
                   size_t errlen)
{
	char lab[NAMES_LABEL_MAX + 1];

	if (n > NAMES_LABEL_MAX)
		return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		                "label \"%.20s...\" is longer than %d characters; shorten the name",
		                l, NAMES_LABEL_MAX);
	memcpy(lab, l, n);
	lab[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
			continue;
		if (c == '*')
			return s_refuse(
			        VT_F_INVALID_NAME, in, id, err, errlen,
			        "a wildcard is allowed only as the whole first label, as in "
			        "\"*.example.com\"");
		if (c > 0x20 && c < 0x7f)
			return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
			                "invalid character '%c' in label \"%s\"; a name holds only "
			                "letters, digits, '-' and '.'",
			                c, lab);
		return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		                "invalid character 0x%02x; a name holds only letters, digits, '-' "
		                "and '.'",
		                c);
	}
	if (lab[0] == '-' || lab[n - 1] == '-')
		return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		                "label \"%s\" %s with a hyphen; a name's labels start and end "
		                "with a letter or digit",
		                lab, lab[0] == '-' ? "starts" : "ends");
	if (n >= 4 && lab[2] == '-' && lab[3] == '-') {
		if (strncmp(lab, "xn--", 4) != 0)
			return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
			                "label \"%s\" has \"--\" in its 3rd and 4th characters, "
			                "which are reserved for encodings (only \"xn--\" punycode "
			                "is allowed)",
			                lab);
		if (!s_punycode_ok(lab))
			return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
			                "label \"%s\" is not valid punycode; give the name as "
			                "idn2 or your registrar spells it",
			                lab);
	}
	return 0;
}

/* A non-ASCII name: refuse it, naming its punycode (A-label) form. */
static int s_non_ascii(const char *in, enum vt_finding_id *id, char *err, size_t errlen)
{
	char *a = NULL;
	int r;

	if (idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) == IDN2_OK &&
	    a != NULL && strlen(a) <= LIMIT_DOMAIN_LEN) {
		r = s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		             "not ASCII; give the name in its punycode form, \"%s\"", a);
	} else {
		r = s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		             "not ASCII, and not a valid internationalised name either");
	}
	free(a);
	return r;
}

int names_check(const char *in, unsigned methods, char out[LIMIT_DOMAIN_LEN + 1],
                enum vt_finding_id *id, char *err, size_t errlen)
{
	size_t n, labels = 0;
	const char *base, *tld;
	bool wildcard, public_name;

	out[0] = '\0';
	if (in == NULL || in[0] == '\0')
		return s_refuse(VT_F_INVALID_NAME, "", id, err, errlen,
		                "the name is empty; give a name such as www.example.com");
	n = strnlen(in, LIMIT_DOMAIN_LEN + 2);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)in[i] >= 0x80)
			return s_non_ascii(in, id, err, errlen);
	if (n > 0 && in[n - 1] == '.') /* "example.com." is the same name */
		n--;
	if (n > LIMIT_DOMAIN_LEN)
		return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		                "the name is longer than %d characters", LIMIT_DOMAIN_LEN);
	if (n == 0)
		return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		                "the name is empty; give a name such as www.example.com");
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] - 'A' + 'a' : in[i]);
	out[n] = '\0';

	if (names_is_ip(out)) {
		if ((methods & NAMES_SYNTAX_ONLY) == 0 && (methods & NAMES_METHOD(VT_METHOD_DNS01)))
			return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
			                "an IP address has no dns-01 challenge; Let's Encrypt "
			                "validates an IP address by http-01 or tls-alpn-01");
		return 0;
	}

	wildcard = strncmp(out, "*.", 2) == 0;
	base = wildcard ? out + 2 : out;
	for (const char *l = base;; labels++) {
		const char *dot = strchr(l, '.');
		size_t ln = dot != NULL ? (size_t)(dot - l) : strlen(l);
		if (ln == 0)
			return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen, "empty label%s",
			                l == out ? " at the start" : "");
		if (s_label(in, l, ln, id, err, errlen) != 0)
			return -1;
		if (dot == NULL)
			break;
		l = dot + 1;
	}
	labels++;
	if (labels > NAMES_MAX_LABELS)
		return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		                "more than %d labels (parts between dots); Let's Encrypt refuses "
		                "a name that deep",
		                NAMES_MAX_LABELS);
	if ((methods & NAMES_SYNTAX_ONLY) != 0)
		return 0;
	public_name = methods != NAMES_METHOD(VT_METHOD_TLSCERT);
	if (public_name && s_icann_suffix(base))
		return s_refuse(VT_F_PUBLIC_SUFFIX_NAME, in, id, err, errlen,
		                "\"%s\" is a public suffix, under which anyone can register names; "
		                "check a registered domain under it (example.%s)",
		                base, base);
	tld = strrchr(base, '.');
	if (tld == NULL)
		return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		                "a single label is no public name; give the full name "
		                "(www.example.com)");
	tld++;
	if (public_name && !s_icann_suffix(tld) && !s_test_tld(tld))
		return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		                "\".%s\" is not a public top-level domain (a local or internal "
		                "name no CA can validate); use a name under a registered domain",
		                tld);

	if (wildcard &&
	    (methods & (NAMES_METHOD(VT_METHOD_HTTP01) | NAMES_METHOD(VT_METHOD_TLSALPN01))) != 0)
		return s_refuse(VT_F_WILDCARD_NEEDS_DNS01, in, id, err, errlen,
		                "Let's Encrypt validates a wildcard only by dns-01; use --method "
		                "dns-01");
	if (wildcard && (methods & NAMES_METHOD(VT_METHOD_TLSCERT)) != 0)
		return s_refuse(VT_F_INVALID_NAME, in, id, err, errlen,
		                "a wildcard is not a host to connect to; check the certificate of "
		                "a name it covers (%s)",
		                base);
	return 0;
}

unsigned names_methods_mask(const enum vt_method *methods, size_t n, bool caa)
{
	unsigned mask = caa ? NAMES_METHOD(VT_METHOD_CAA) : 0;

	for (size_t i = 0; i < n; i++)
		mask |= NAMES_METHOD(methods[i]);
	return mask;
}
