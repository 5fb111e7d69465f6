/*
 * certstub.c -- see certstub.h.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certstub.h"

#define S_READ_LEN 4096 /* what a read until the client closes takes at once */

static void s_add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);

	cr_assert_not_null(e, "extension %d=%s", nid, value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

X509 *certstub_cert(EVP_PKEY *key, const struct certstub_spec *spec)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v3;

	cr_assert_not_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), spec->serial);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)spec->cn, -1, -1,
	                           0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, spec->issuer != NULL ? X509_get_subject_name(spec->issuer) : n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), spec->not_before_s);
	X509_gmtime_adj(X509_getm_notAfter(x), spec->not_after_s);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, spec->issuer != NULL ? spec->issuer : x, x, NULL, NULL, 0);
	if (spec->ca) {
		s_add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE");
		s_add_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		s_add_ext(x, &v3, NID_subject_alt_name, spec->san);
	}
	cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

void certstub_write_pem(const char *path, X509 *const *certs)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	for (size_t i = 0; certs[i] != NULL; i++)
		cr_assert(PEM_write_X509(f, certs[i]) == 1);
	cr_assert_eq(fclose(f), 0);
}

SSL_CTX *certstub_server_ctx(X509 *cert, EVP_PKEY *key, bool old)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	cr_assert_not_null(ctx);
	if (old) {
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
		cr_assert(SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0"));
	}
	cr_assert(SSL_CTX_use_certificate(ctx, cert));
	cr_assert(SSL_CTX_use_PrivateKey(ctx, key));
	return ctx;
}

void certstub_timeouts(int c)
{
	struct timeval tv = {.tv_sec = CERTSTUB_IO_SEC};

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void certstub_serve_tls(int c, SSL_CTX *ctx, char *sni, size_t snilen, certstub_tls_fn fn,
                        void *arg)
{
	SSL *ssl;

	certstub_timeouts(c);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, c);
	if (SSL_accept(ssl) == 1) {
		const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

		if (sni != NULL)
			snprintf(sni, snilen, "%s", name ? name : "");
		if (fn != NULL) {
			fn(ssl, arg);
		} else {
			char buf[S_READ_LEN];

			/* the client closes without application data */
			(void)SSL_read(ssl, buf, sizeof(buf));
		}
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	close(c);
}
