/*
 * acmecert.c -- Boulder's TLS-ALPN-01 certificate rules (va/tlsalpn.go,
 * letsencrypt-validation.md 4.3) over an OpenSSL X509, in Boulder's order
 * and with its exact texts, and the capture of a certificate's fields.
 *
 * Everything works on the certificate's raw encoding where Boulder does
 * (subject and issuer bytes, the SAN extension bytes, the acmeIdentifier
 * OCTET STRING), so an upper-case SAN or a re-encoded name fails here as it
 * fails there.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "acmecert.h"

#define S_CHALLENGE     "tls-alpn-01"
#define S_OID_TEXT_LEN  64
#define S_IP_BYTES_MAX  16
#define S_IPV4_BYTES    4
#define S_V4MAPPED_PFX  12 /* ::ffff:a.b.c.d: 10 zero bytes, 2 0xff bytes */
#define S_DER_TAG_SEQ   0x30
#define S_DER_TAG_OCTET 0x04
#define S_DER_CTX_DNS   0x82 /* [2] IMPLICIT IA5String, GeneralName dNSName */
#define S_DER_CTX_IP    0x87 /* [7] IMPLICIT OCTET STRING, iPAddress */
#define S_DER_SHORT_MAX 127
#define S_DER_HDR_MAX   4 /* tag, 0x82, two length bytes */
/* The expected SAN: SEQUENCE { one GeneralName } of a name <= 253 bytes. */
#define S_SAN_DER_MAX (2 * S_DER_HDR_MAX + LIMIT_DOMAIN_LEN)
/* DER of the acmeIdentifier value: 04 20 and 32 bytes. */
#define S_ACME_VALUE_LEN (2 + ACMECERT_DIGEST_LEN)
/* Names listed in an "unexpected identifiers" text. */
#define S_MAX_ALT_NAMES (LIMIT_MAX_SANS * 2)
#define S_HEX_DIGEST    (ACMECERT_DIGEST_LEN * 2 + 1)

/* Go's %q for mostly-ASCII text: quotes, backslash escapes, \xNN for the
 * rest.  out is always terminated. */
static void s_quote(char *out, size_t outlen, const char *s)
{
	size_t o = 0;

	if (outlen < 3) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (; *s != '\0' && o + 6 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\%c", c);
		else if (c == '\n')
			o += (size_t)snprintf(out + o, outlen - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(out + o, outlen - o, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static void s_hex(char *out, size_t outlen, const uint8_t *b, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 3 <= outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02x", b[i]);
	if (outlen > 0)
		out[o < outlen ? o : outlen - 1] = '\0';
}

/* A DER length; returns the bytes written (at most 3). */
static size_t s_der_len(uint8_t *p, size_t len)
{
	if (len <= S_DER_SHORT_MAX) {
		p[0] = (uint8_t)len;
		return 1;
	}
	if (len <= 0xff) {
		p[0] = 0x81;
		p[1] = (uint8_t)len;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
	return 3;
}

/* DER of SEQUENCE { [tag] value }: the SAN Boulder expects.  Returns the
 * length (0 if it does not fit). */
static size_t s_expected_san(uint8_t *out, size_t outlen, uint8_t tag, const uint8_t *v,
                             size_t vlen)
{
	uint8_t inner[S_SAN_DER_MAX];
	size_t n = 0, o = 0;

	if (vlen > LIMIT_DOMAIN_LEN)
		return 0;
	inner[n++] = tag;
	n += s_der_len(inner + n, vlen);
	memcpy(inner + n, v, vlen);
	n += vlen;
	if (n + S_DER_HDR_MAX > outlen)
		return 0;
	out[o++] = S_DER_TAG_SEQ;
	o += s_der_len(out + o, n);
	memcpy(out + o, inner, n);
	return o + n;
}

/* Go's net.IP.Equal: an IPv4 address equals its IPv4-mapped IPv6 form. */
static bool s_ip_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	static const uint8_t pfx[S_V4MAPPED_PFX] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (alen == S_IP_BYTES_MAX && blen == S_IPV4_BYTES && memcmp(a, pfx, S_V4MAPPED_PFX) == 0)
		return memcmp(a + S_V4MAPPED_PFX, b, S_IPV4_BYTES) == 0;
	if (blen == S_IP_BYTES_MAX && alen == S_IPV4_BYTES && memcmp(b, pfx, S_V4MAPPED_PFX) == 0)
		return memcmp(b + S_V4MAPPED_PFX, a, S_IPV4_BYTES) == 0;
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Text of an iPAddress SAN ("" if malformed). */
static void s_ip_text(const ASN1_OCTET_STRING *ip, char *out, size_t outlen)
{
	const unsigned char *d = ASN1_STRING_get0_data(ip);
	int len = ASN1_STRING_length(ip);

	out[0] = '\0';
	if (len == S_IPV4_BYTES)
		inet_ntop(AF_INET, d, out, (socklen_t)outlen);
	else if (len == S_IP_BYTES_MAX)
		inet_ntop(AF_INET6, d, out, (socklen_t)outlen);
}

/* Copy len bytes of untrusted text, escaping control and non-ASCII bytes. */
static void s_copy_escaped(char *out, size_t outlen, const unsigned char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < outlen; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", s[i]);
		else
			out[o++] = (char)s[i];
	}
	if (outlen > 0)
		out[o < outlen ? o : outlen - 1] = '\0';
}

static int s_cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* Boulder's certAltNames: subject CN, dNSNames, e-mail addresses, IP
 * addresses and URIs, lower-cased, de-duplicated, sorted, ", "-joined. */
static void s_alt_names(X509 *cert, const GENERAL_NAMES *gens, char *out, size_t outlen)
{
	char names[S_MAX_ALT_NAMES][LIMIT_DOMAIN_LEN + 1];
	size_t n = 0, o = 0;
	X509_NAME *subj = X509_get_subject_name(cert);
	int idx = -1, last = -1;

	/* Go keeps the last CN of the subject */
	for (int guard = 0; guard < X509_NAME_entry_count(subj); guard++) {
		idx = X509_NAME_get_index_by_NID(subj, NID_commonName, idx);
		if (idx < 0)
			break;
		last = idx;
	}
	if (last >= 0) {
		const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last));
		s_copy_escaped(names[n++], sizeof(names[0]), ASN1_STRING_get0_data(cn),
		               (size_t)ASN1_STRING_length(cn));
	}
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && n < S_MAX_ALT_NAMES; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = NULL;
		if (g->type == GEN_DNS)
			s = g->d.dNSName;
		else if (g->type == GEN_EMAIL)
			s = g->d.rfc822Name;
		else if (g->type == GEN_URI)
			s = g->d.uniformResourceIdentifier;
		if (s != NULL)
			s_copy_escaped(names[n++], sizeof(names[0]), ASN1_STRING_get0_data(s),
			               (size_t)ASN1_STRING_length(s));
		else if (g->type == GEN_IPADD)
			s_ip_text(g->d.iPAddress, names[n++], sizeof(names[0]));
	}
	for (size_t i = 0; i < n; i++)
		for (char *c = names[i]; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
	qsort(names, n, sizeof(names[0]), s_cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		o += (size_t)snprintf(out + o, o < outlen ? outlen - o : 0, "%s%s",
		                      o > 0 ? ", " : "", names[i]);
		if (o >= outlen)
			break;
	}
}

/* Boulder's checkExpectedSAN.  NULL when it passes, else its error text. */
static const char *s_check_san(X509_EXTENSION *san_ext, const GENERAL_NAMES *gens,
                               const char *identifier)
{
	uint8_t ipb[S_IP_BYTES_MAX], want[S_SAN_DER_MAX];
	size_t iplen = 0, wantlen;
	const GENERAL_NAME *dns = NULL, *ipn = NULL;
	int n_dns = 0, n_ip = 0;
	const ASN1_OCTET_STRING *raw;

	if (inet_pton(AF_INET, identifier, ipb) == 1)
		iplen = S_IPV4_BYTES;
	else if (inet_pton(AF_INET6, identifier, ipb) == 1)
		iplen = S_IP_BYTES_MAX;
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			dns = g;
			n_dns++;
		} else if (g->type == GEN_IPADD) {
			ipn = g;
			n_ip++;
		}
	}
	if (iplen == 0) {
		if (n_dns != 1 || n_ip != 0)
			return "wrong number of identifiers";
		const ASN1_STRING *d = dns->d.dNSName;
		if ((size_t)ASN1_STRING_length(d) != strlen(identifier) ||
		    strncasecmp((const char *)ASN1_STRING_get0_data(d), identifier,
		                strlen(identifier)) != 0)
			return "identifier does not match expected identifier";
		wantlen = s_expected_san(want, sizeof(want), S_DER_CTX_DNS,
		                         (const uint8_t *)identifier, strlen(identifier));
	} else {
		if (n_ip != 1 || n_dns != 0)
			return "wrong number of identifiers";
		const ASN1_OCTET_STRING *a = ipn->d.iPAddress;
		if (!s_ip_equal(ASN1_STRING_get0_data(a), (size_t)ASN1_STRING_length(a), ipb,
		                iplen))
			return "identifier does not match expected identifier";
		wantlen = s_expected_san(want, sizeof(want), S_DER_CTX_IP, ipb, iplen);
	}
	raw = X509_EXTENSION_get_data(san_ext);
	if (wantlen == 0 || (size_t)ASN1_STRING_length(raw) != wantlen ||
	    memcmp(ASN1_STRING_get0_data(raw), want, wantlen) != 0)
		return "SAN extension does not match expected bytes";
	return NULL;
}

int acmecert_has_duplicate_extensions(X509 *cert)
{
	int n = X509_get_ext_count(cert);

	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (OBJ_cmp(X509_EXTENSION_get_object(X509_get_ext(cert, i)),
			            X509_EXTENSION_get_object(X509_get_ext(cert, j))) == 0)
				return 1;
	return 0;
}

/* The index of the first extension with OID text oid, or -1. */
static int s_find_ext(X509 *cert, const char *oid)
{
	char txt[S_OID_TEXT_LEN];

	for (int i = 0; i < X509_get_ext_count(cert); i++) {
		ASN1_OBJECT *o = X509_EXTENSION_get_object(X509_get_ext(cert, i));
		if (OBJ_obj2txt(txt, sizeof(txt), o, 1) > 0 && strcmp(txt, oid) == 0)
			return i;
	}
	return -1;
}

/* Boulder's checkAcceptableExtensions: NULL, or its error text in buf. */
static const char *s_check_extensions(X509 *cert, char *buf, size_t buflen)
{
	static const char *const required[] = {ACMECERT_OID_ACME_IDENTIFIER, ACMECERT_OID_SAN};
	int n = X509_get_ext_count(cert);
	char txt[S_OID_TEXT_LEN];

	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (OBJ_cmp(X509_EXTENSION_get_object(X509_get_ext(cert, i)),
			            X509_EXTENSION_get_object(X509_get_ext(cert, j))) == 0) {
				OBJ_obj2txt(txt, sizeof(txt),
				            X509_EXTENSION_get_object(X509_get_ext(cert, i)), 1);
				snprintf(buf, buflen, "Extension OID %s seen twice", txt);
				return buf;
			}
	for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (s_find_ext(cert, required[k]) < 0) {
			snprintf(buf, buflen, "Required extension OID %s is not present",
			         required[k]);
			return buf;
		}
	return NULL;
}

/* Is cert self-signed as Go's cert.CheckSignature plus the raw name test
 * judge it? */
static bool s_self_signed(X509 *cert)
{
	const unsigned char *sder = NULL, *ider = NULL;
	size_t slen = 0, ilen = 0;
	EVP_PKEY *pk = X509_get0_pubkey(cert);

	if (pk == NULL || X509_verify(cert, pk) != 1)
		return false;
	if (X509_NAME_get0_der(X509_get_subject_name(cert), &sder, &slen) != 1 ||
	    X509_NAME_get0_der(X509_get_issuer_name(cert), &ider, &ilen) != 1)
		return false;
	return slen == ilen && memcmp(sder, ider, slen) == 0;
}

static enum vt_problem_type s_bad(char *detail, size_t detaillen, const char *prefix,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* An unauthorized problem: Boulder's badCertErr prefix and the message. */
static enum vt_problem_type s_bad(char *detail, size_t detaillen, const char *prefix,
                                  const char *fmt, ...)
{
	char msg[LIMIT_DETAIL_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(detail, detaillen, "%s%s", prefix, msg);
	return VT_PROB_UNAUTHORIZED;
}

enum vt_problem_type acmecert_check(X509 *cert, const char *identifier, const char *ip,
                                    uint16_t port, const uint8_t digest[ACMECERT_DIGEST_LEN],
                                    char *detail, size_t detaillen)
{
	char prefix[LIMIT_DOMAIN_LEN + LIMIT_ADDR_LEN + 128], why[128], q[LIMIT_DETAIL_LEN / 2];
	char names[LIMIT_DETAIL_LEN / 2], qn[LIMIT_DETAIL_LEN / 2];
	char got[S_HEX_DIGEST], exp[S_HEX_DIGEST];
	GENERAL_NAMES *gens = NULL;
	const char *e;
	enum vt_problem_type rc;
	int idx;

	if (cert == NULL) {
		snprintf(detail, detaillen, "No certs presented for %s challenge", S_CHALLENGE);
		return VT_PROB_UNAUTHORIZED;
	}
	snprintf(prefix, sizeof(prefix),
	         "Incorrect validation certificate for %s challenge. Requested %s from %s%s%s:%u. ",
	         S_CHALLENGE, identifier, strchr(ip, ':') != NULL ? "[" : "", ip,
	         strchr(ip, ':') != NULL ? "]" : "", (unsigned)port);
	if (!s_self_signed(cert)) {
		rc = s_bad(detail, detaillen, prefix,
		           "Received certificate which is not self-signed.");
		goto out;
	}
	if ((e = s_check_extensions(cert, why, sizeof(why))) != NULL) {
		s_quote(q, sizeof(q), e);
		rc = s_bad(detail, detaillen, prefix,
		           "Received certificate with unexpected extensions: %s", q);
		goto out;
	}
	idx = s_find_ext(cert, ACMECERT_OID_SAN);
	gens = X509V3_EXT_d2i(X509_get_ext(cert, idx));
	if ((e = s_check_san(X509_get_ext(cert, idx), gens, identifier)) != NULL) {
		s_alt_names(cert, gens, names, sizeof(names));
		s_quote(qn, sizeof(qn), names);
		s_quote(q, sizeof(q), e);
		rc = s_bad(detail, detaillen, prefix,
		           "Received certificate with unexpected identifiers (%s): %s", qn, q);
		goto out;
	}
	idx = s_find_ext(cert, ACMECERT_OID_ACME_IDENTIFIER);
	if (idx < 0) {
		rc = s_bad(detail, detaillen, prefix,
		           "Received certificate with no acmeValidationV1 extension.");
		goto out;
	}
	X509_EXTENSION *ext = X509_get_ext(cert, idx);
	const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
	const unsigned char *d = ASN1_STRING_get0_data(v);
	if (!X509_EXTENSION_get_critical(ext)) {
		rc = s_bad(detail, detaillen, prefix,
		           "Received certificate with acmeValidationV1 extension that is not "
		           "Critical.");
		goto out;
	}
	/* Go's asn1.Unmarshal into []byte: a DER OCTET STRING, nothing after it */
	if (ASN1_STRING_length(v) != S_ACME_VALUE_LEN || d[0] != S_DER_TAG_OCTET ||
	    d[1] != ACMECERT_DIGEST_LEN) {
		rc = s_bad(detail, detaillen, prefix,
		           "Received certificate with malformed acmeValidationV1 extension value.");
		goto out;
	}
	if (CRYPTO_memcmp(d + 2, digest, ACMECERT_DIGEST_LEN) != 0) {
		s_hex(got, sizeof(got), d + 2, ACMECERT_DIGEST_LEN);
		s_hex(exp, sizeof(exp), digest, ACMECERT_DIGEST_LEN);
		rc = s_bad(detail, detaillen, prefix,
		           "Received certificate with acmeValidationV1 extension value %s but "
		           "expected %s.",
		           got, exp);
		goto out;
	}
	detail[0] = '\0';
	rc = VT_PROB_NONE;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* One-line RFC 2253 text of name into out. */
static void s_name_text(const X509_NAME *name, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(b, out, (int)outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

static int s_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int acmecert_capture(X509 *cert, struct vt_cert *out, char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	GENERAL_NAMES *gens = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (cert == NULL) {
		snprintf(err, errlen, "no certificate");
		goto out;
	}
	out->present = true;
	s_name_text(X509_get_subject_name(cert), out->subject, sizeof(out->subject));
	s_name_text(X509_get_issuer_name(cert), out->issuer, sizeof(out->issuer));
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0;
	     gens != NULL && i < sk_GENERAL_NAME_num(gens) && out->n_sans < LIMIT_MAX_SANS; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char *dst = out->sans[out->n_sans];
		if (g->type == GEN_DNS) {
			s_copy_escaped(dst, sizeof(out->sans[0]),
			               ASN1_STRING_get0_data(g->d.dNSName),
			               (size_t)ASN1_STRING_length(g->d.dNSName));
			out->n_sans++;
		} else if (g->type == GEN_IPADD) {
			s_ip_text(g->d.iPAddress, dst, sizeof(out->sans[0]));
			if (dst[0] != '\0')
				out->n_sans++;
		}
	}
	if (s_time(X509_get0_notBefore(cert), &out->not_before) != 0 ||
	    s_time(X509_get0_notAfter(cert), &out->not_after) != 0) {
		snprintf(err, errlen, "certificate validity dates do not parse");
		goto out;
	}
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1) {
		snprintf(err, errlen, "cannot hash the certificate");
		goto out;
	}
	s_hex(out->sha256, sizeof(out->sha256), md, mdlen);
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

void acmecert_capture_chain(const STACK_OF(X509) * chain, struct vt_cert *out)
{
	int n = chain != NULL ? sk_X509_num(chain) : 0;

	out->chain_len = n > 0 ? (uint32_t)n : 0;
	out->n_chain_issuers = 0;
	for (int i = 0; i < n && out->n_chain_issuers < VT_CERT_MAX_CHAIN; i++)
		s_name_text(X509_get_issuer_name(sk_X509_value(chain, i)),
		            out->chain_issuers[out->n_chain_issuers++], LIMIT_CERT_NAME_LEN);
}

bool acmecert_names_host(X509 *cert, const char *host)
{
	unsigned char ip[S_IP_BYTES_MAX];

	if (cert == NULL || host == NULL || host[0] == '\0')
		return false;
	if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1)
		return X509_check_ip_asc(cert, host, 0) == 1;
	/* as browsers match: a wildcard only as a whole leftmost label */
	return X509_check_host(cert, host, strlen(host), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
	                       NULL) == 1;
}
