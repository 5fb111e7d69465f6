/*
 * test_acmecert.c -- Boulder's TLS-ALPN-01 certificate rules over
 * certificates this test builds with the OpenSSL C API, one rule broken at
 * a time, and the capture of a normal certificate's fields.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "../../agent/acmecert.h"
#include "../../common/keyauth.h"

#define T_KA      "token.thumbprint"
#define T_NAME    "www.example.com"
#define T_IP      "192.0.2.1"
#define T_PORT    443
#define T_NB      "20240101000000Z"
#define T_NA      "20300101000000Z"
#define T_NB_UNIX 1704067200
#define T_NA_UNIX 1893456000
#define T_PREFIX                                                                                   \
	"Incorrect validation certificate for tls-alpn-01 challenge. Requested www.example.com "   \
	"from 192.0.2.1:443. "

/* How to build a test certificate; zero values give a valid one. */
struct t_opts {
	const char *cn;    /* NULL: T_NAME */
	const char *san;   /* X509v3 config text; NULL: "DNS:" T_NAME; "" none */
	bool no_acme;      /* leave out acmeIdentifier */
	bool not_critical; /* acmeIdentifier not critical */
	int value_len;     /* digest bytes in the OCTET STRING; 0: 32 */
	const char *ka;    /* digest of this; NULL: T_KA */
	bool other_signer; /* signed by another key */
	bool dup_ext;      /* a second basicConstraints */
	const char *org;   /* an O= RDN before CN */
};

static EVP_PKEY *t_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	cr_assert_not_null(k);
	return k;
}

static void t_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	cr_assert_not_null(e, "extension %d=%s", nid, value);
	cr_assert(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

static X509 *t_cert(const struct t_opts *o)
{
	EVP_PKEY *key = t_key(), *signer = o->other_signer ? t_key() : NULL;
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	uint8_t der[2 + 64], d[32];
	int vlen = o->value_len ? o->value_len : 32;

	cr_assert(X509_set_version(x, 2));
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	if (o->org != NULL)
		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)o->org, -1,
		                           -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	                           (const unsigned char *)(o->cn ? o->cn : T_NAME), -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	cr_assert(ASN1_TIME_set_string(X509_getm_notBefore(x), T_NB));
	cr_assert(ASN1_TIME_set_string(X509_getm_notAfter(x), T_NA));
	X509_set_pubkey(x, key);
	if (o->san == NULL)
		t_add_ext(x, NID_subject_alt_name, "DNS:" T_NAME);
	else if (o->san[0] != '\0')
		t_add_ext(x, NID_subject_alt_name, o->san);
	if (o->dup_ext) {
		t_add_ext(x, NID_basic_constraints, "CA:FALSE");
		t_add_ext(x, NID_basic_constraints, "CA:FALSE");
	}
	if (!o->no_acme) {
		ASN1_OBJECT *obj = OBJ_txt2obj(ACMECERT_OID_ACME_IDENTIFIER, 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e;
		keyauth_sha256(o->ka ? o->ka : T_KA, d);
		der[0] = 0x04;
		der[1] = (uint8_t)vlen;
		for (int i = 0; i < vlen; i++)
			der[2 + i] = d[i % 32];
		cr_assert(ASN1_OCTET_STRING_set(os, der, 2 + vlen));
		e = X509_EXTENSION_create_by_OBJ(NULL, obj, o->not_critical ? 0 : 1, os);
		cr_assert_not_null(e);
		cr_assert(X509_add_ext(x, e, -1));
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
	}
	cr_assert(X509_sign(x, signer ? signer : key, EVP_sha256()) > 0);
	EVP_PKEY_free(key);
	EVP_PKEY_free(signer);
	return x;
}

/* Check a certificate built from o against T_KA's digest. */
static enum vt_problem_type t_check(const struct t_opts *o, const char *ident, char *detail,
                                    size_t len)
{
	uint8_t d[32];
	X509 *x = t_cert(o);
	enum vt_problem_type t;

	keyauth_sha256(T_KA, d);
	t = acmecert_check(x, ident ? ident : T_NAME, T_IP, T_PORT, d, detail, len);
	X509_free(x);
	return t;
}

Test(acmecert, valid_passes)
{
	struct t_opts o = {0};
	char detail[LIMIT_DETAIL_LEN] = "x";

	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_NONE, "%s", detail);
	cr_expect_str_eq(detail, "");
}

Test(acmecert, no_certificate)
{
	uint8_t d[32] = {0};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(acmecert_check(NULL, T_NAME, T_IP, T_PORT, d, detail, sizeof(detail)),
	             VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, "No certs presented for tls-alpn-01 challenge");
}

Test(acmecert, wrong_digest_shows_both)
{
	struct t_opts o = {.ka = "other.thumbprint"};
	char detail[LIMIT_DETAIL_LEN], want[LIMIT_DETAIL_LEN], h1[65], h2[65];
	uint8_t d1[32], d2[32];

	keyauth_sha256("other.thumbprint", d1);
	keyauth_sha256(T_KA, d2);
	for (int i = 0; i < 32; i++) {
		snprintf(h1 + 2 * i, 3, "%02x", d1[i]);
		snprintf(h2 + 2 * i, 3, "%02x", d2[i]);
	}
	snprintf(want, sizeof(want),
	         T_PREFIX "Received certificate with acmeValidationV1 extension value %s but "
	                  "expected %s.",
	         h1, h2);
	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, want);
}

Test(acmecert, not_critical)
{
	struct t_opts o = {.not_critical = true};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail,
	                 T_PREFIX "Received certificate with acmeValidationV1 extension that "
	                          "is not Critical.");
}

Test(acmecert, missing_acme_identifier)
{
	struct t_opts o = {.no_acme = true};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate with unexpected extensions: "
	                                  "\"Required extension OID 1.3.6.1.5.5.7.1.31 is not "
	                                  "present\"");
}

Test(acmecert, missing_san)
{
	struct t_opts o = {.san = ""};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate with unexpected extensions: "
	                                  "\"Required extension OID 2.5.29.17 is not present\"");
}

Test(acmecert, duplicate_extension)
{
	struct t_opts o = {.dup_ext = true};
	struct t_opts ok = {0};
	char detail[LIMIT_DETAIL_LEN];
	X509 *x = t_cert(&o), *y = t_cert(&ok);

	cr_expect_eq(acmecert_has_duplicate_extensions(x), 1);
	cr_expect_eq(acmecert_has_duplicate_extensions(y), 0);
	X509_free(x);
	X509_free(y);
	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate with unexpected extensions: "
	                                  "\"Extension OID 2.5.29.19 seen twice\"");
}

Test(acmecert, two_dns_names)
{
	struct t_opts o = {.san = "DNS:" T_NAME ",DNS:a.example.com"};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate with unexpected identifiers "
	                                  "(\"a.example.com, www.example.com\"): \"wrong number "
	                                  "of identifiers\"");
}

Test(acmecert, dns_name_and_ip)
{
	struct t_opts o = {.san = "DNS:" T_NAME ",IP:192.0.2.1"};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate with unexpected identifiers "
	                                  "(\"192.0.2.1, www.example.com\"): \"wrong number of "
	                                  "identifiers\"");
}

Test(acmecert, wrong_name)
{
	struct t_opts o = {.san = "DNS:other.example.com"};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate with unexpected identifiers "
	                                  "(\"other.example.com, www.example.com\"): \"identifier "
	                                  "does not match expected identifier\"");
}

Test(acmecert, upper_case_san_fails_byte_check)
{
	struct t_opts o = {.san = "DNS:WWW.Example.COM"};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate with unexpected identifiers "
	                                  "(\"www.example.com\"): \"SAN extension does not match "
	                                  "expected bytes\"");
}

Test(acmecert, not_self_signed)
{
	struct t_opts o = {.other_signer = true};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(t_check(&o, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate which is not self-signed.");
}

Test(acmecert, value_not_32_bytes)
{
	struct t_opts o31 = {.value_len = 31}, o33 = {.value_len = 33};
	char detail[LIMIT_DETAIL_LEN];

	cr_expect_eq(t_check(&o31, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate with malformed acmeValidationV1 "
	                                  "extension value.");
	cr_expect_eq(t_check(&o33, NULL, detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, T_PREFIX "Received certificate with malformed acmeValidationV1 "
	                                  "extension value.");
}

Test(acmecert, ip_identifier)
{
	struct t_opts o = {.cn = "192.0.2.7", .san = "IP:192.0.2.7"};
	struct t_opts o6 = {.cn = "v6", .san = "IP:2001:db8::7"};
	struct t_opts wrong = {.cn = "v4", .san = "DNS:192.0.2.7"};
	uint8_t d[32];
	char detail[LIMIT_DETAIL_LEN];
	X509 *x;

	cr_expect_eq(t_check(&o, "192.0.2.7", detail, sizeof(detail)), VT_PROB_NONE, "%s", detail);
	cr_expect_eq(t_check(&o6, "2001:db8::7", detail, sizeof(detail)), VT_PROB_NONE, "%s",
	             detail);
	cr_expect_eq(t_check(&wrong, "192.0.2.7", detail, sizeof(detail)), VT_PROB_UNAUTHORIZED);
	cr_expect(strstr(detail, "\"wrong number of identifiers\"") != NULL, "%s", detail);
	/* an IPv6 source address is bracketed as Go's JoinHostPort does */
	keyauth_sha256(T_KA, d);
	x = t_cert(&(struct t_opts){.other_signer = true});
	cr_expect_eq(acmecert_check(x, T_NAME, "2001:db8::1", T_PORT, d, detail, sizeof(detail)),
	             VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(detail, "Incorrect validation certificate for tls-alpn-01 challenge. "
	                         "Requested www.example.com from [2001:db8::1]:443. Received "
	                         "certificate which is not self-signed.");
	X509_free(x);
}

Test(acmecert, capture_normal_certificate)
{
	struct t_opts o = {.org = "Example",
	                   .no_acme = true,
	                   .san = "DNS:" T_NAME ",DNS:example.com,IP:192.0.2.1"};
	X509 *x = t_cert(&o);
	struct vt_cert c;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[65], err[128] = "";

	cr_assert_eq(acmecert_capture(x, &c, err, sizeof(err)), 0, "%s", err);
	cr_expect(c.present);
	cr_expect_str_eq(c.subject, "CN=www.example.com,O=Example");
	cr_expect_str_eq(c.issuer, "CN=www.example.com,O=Example");
	cr_assert_eq(c.n_sans, 3);
	cr_expect_str_eq(c.sans[0], T_NAME);
	cr_expect_str_eq(c.sans[1], "example.com");
	cr_expect_str_eq(c.sans[2], "192.0.2.1");
	cr_expect_eq(c.not_before, T_NB_UNIX);
	cr_expect_eq(c.not_after, T_NA_UNIX);
	cr_assert(X509_digest(x, EVP_sha256(), md, &mdlen));
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	cr_expect_str_eq(c.sha256, hex);
	cr_expect_str_eq(c.tls_version, "");
	X509_free(x);
	cr_expect_eq(acmecert_capture(NULL, &c, err, sizeof(err)), -1);
	cr_expect(!c.present);
}
