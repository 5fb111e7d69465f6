/*
 * certstub.h -- a test PKI made in-process and the TLS side of the test
 * servers: certificates (a CA or a leaf, self-signed or issued), PEM files of
 * them, a server context that serves one, and one accepted connection
 * served over TLS (for a tcpstub's serve function).  Test support only,
 * beside tcpstub.h; linked into the unit-test binary.
 */
#ifndef VANTAGE_TEST_CERTSTUB_H
#define VANTAGE_TEST_CERTSTUB_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#define CERTSTUB_IO_SEC 3 /* a test server's read and write timeout on a connection */

/* What certstub_cert makes. */
struct certstub_spec {
	const char *cn;    /* the subject: O=Test, CN=cn */
	X509 *issuer;      /* NULL: self-signed */
	bool ca;           /* a CA (basicConstraints, keyUsage), else a leaf */
	const char *san;   /* a leaf's subjectAltName, X509v3 text ("DNS:a,IP:127.0.0.1") */
	long not_before_s; /* valid from now + this many seconds */
	long not_after_s;  /* ... until now + this many seconds */
	long serial;
};

/* A certificate for key as spec says, signed (SHA-256) with key: the tests
 * use one key for a whole PKI, only the signatures matter.  Asserts on
 * failure; the caller frees it with X509_free. */
X509 *certstub_cert(EVP_PKEY *key, const struct certstub_spec *spec);

/* Write the certificates (NULL-terminated) to path, PEM, one after the
 * other (asserts on failure). */
void certstub_write_pem(const char *path, X509 *const *certs);

/* A TLS server context serving cert with key: OpenSSL's default protocol
 * versions, or TLS 1.1 at most (and any cipher) when old.  Asserts on
 * failure; the caller frees it with SSL_CTX_free. */
SSL_CTX *certstub_server_ctx(X509 *cert, EVP_PKEY *key, bool old);

/* Give connection c read and write timeouts of CERTSTUB_IO_SEC. */
void certstub_timeouts(int c);

/* Talk to the client over ssl after the handshake. */
typedef void (*certstub_tls_fn)(SSL *ssl, void *arg);

/*
 * Serve the accepted connection c over TLS with ctx and close it: the
 * timeouts, the handshake, then -- when it succeeded -- the client's SNI
 * ("" when none) into sni (when not NULL) and fn(ssl, arg), or, when fn is
 * NULL, a read until the client closes; then a TLS shutdown.
 */
void certstub_serve_tls(int c, SSL_CTX *ctx, char *sni, size_t snilen, certstub_tls_fn fn,
                        void *arg);

#endif
