/*
 * tlscert.c -- the tls-cert probe (issue 5, monitoring): the certificate an
 * ordinary TLS handshake on port 443 receives, as a browser's would: SNI =
 * the domain (none for an IP literal), ALPN offering http/1.1, TLS >= 1.2.
 *
 * The connection is TLS-ALPN-01's (tlsdial in tlsalpn.c): the same
 * resolver, address preference, IPv6 -> IPv4 fallback on any error, dial
 * timeout, old-version retry and validation record.  Once a certificate
 * is received the probe passes, whatever the certificate says: it records
 * the leaf (acmecert_capture), the chain the server sent, whether that
 * chain verifies against the system trust store and whether the leaf
 * names the domain.  Judging expiry is the coordinator's job (certcheck.c),
 * on its own clock.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "acmecert.h"
#include "probe_int.h"

#define S_METHOD        "tls-cert"
#define S_ALPN_WIRE     "\x08http/1.1" /* length-prefixed ALPN list ('h' is no hex digit) */
#define S_ALPN_WIRE_LEN (sizeof(S_ALPN_WIRE) - 1)
#define S_ALPN_TEXT_LEN 32
#define S_IP_BYTES      16
#define S_PATH_LEN      4096
/* OpenSSL's words for a name the leaf does not cover
 * (X509_V_ERR_HOSTNAME_MISMATCH), and the room left for a chain error
 * before "; " and them in vt_cert.verify_error. */
#define S_HOST_MISMATCH "hostname mismatch"
#define S_CHAIN_ERR_LEN (sizeof(((struct vt_cert *)0)->verify_error) - sizeof("; " S_HOST_MISMATCH))
#define S_X509_PURPOSE  "ssl_server"

static uint16_t s_port_override;
static char s_ca_file[S_PATH_LEN]; /* test only: "" = the system trust store */
/* The trust store, loaded on the first verification and kept for the life
 * of the process: one copy for every probe (2,000 may run at once), not
 * one each.  A changed system store is read on the agent's next start. */
static X509_STORE *s_store;

void tlscert_set_port_for_tests(uint16_t port)
{
	s_port_override = port;
}

void tlscert_set_ca_file_for_tests(const char *path)
{
	X509_STORE_free(s_store);
	s_store = NULL;
	snprintf(s_ca_file, sizeof(s_ca_file), "%s", path != NULL ? path : "");
}

/* One handshake: ALPN http/1.1; on IPv6, any failure moves to IPv4. */
static const struct tlsdial_hs s_hs = {
        .alpn = (const unsigned char *)S_ALPN_WIRE,
        .alpn_len = S_ALPN_WIRE_LEN,
        .fallback = true,
};

struct s_tlscert {
	struct probe *p;
	struct tlsdial *d;
};

/* The process's trust store (OpenSSL's default paths), or NULL when it
 * cannot be made (then every chain is unverified). */
static X509_STORE *s_trust_store(void)
{
	int ok;

	if (s_store != NULL)
		return s_store;
	s_store = X509_STORE_new();
	if (s_store == NULL)
		return NULL;
	if (s_ca_file[0] != '\0')
		ok = X509_STORE_load_file(s_store, s_ca_file);
	else
		ok = X509_STORE_set_default_paths(s_store);
	ERR_clear_error();
	if (ok != 1) {
		X509_STORE_free(s_store);
		s_store = NULL;
	}
	return s_store;
}

/* Does the chain the server sent for leaf verify against the trust store,
 * for a TLS server, now?  "" into err when it does, else OpenSSL's words
 * for the first error. */
static bool s_chain_ok(SSL *ssl, X509 *leaf, char *err, size_t errlen)
{
	X509_STORE *store = s_trust_store();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = false;

	err[0] = '\0';
	if (store == NULL || ctx == NULL ||
	    X509_STORE_CTX_init(ctx, store, leaf, SSL_get_peer_cert_chain(ssl)) != 1 ||
	    X509_STORE_CTX_set_default(ctx, S_X509_PURPOSE) != 1) {
		snprintf(err, errlen, "the trust store could not be loaded");
		goto out;
	}
	if (X509_verify_cert(ctx) == 1)
		ok = true;
	else
		snprintf(err, errlen, "%s",
		         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* A handshake succeeded: capture and verify what the server presented. */
static void s_done(struct tlsdial *d, void *arg)
{
	struct s_tlscert *t = arg;
	struct vt_cert *c = &probe_result(t->p)->cert;
	SSL *ssl = tlsdial_ssl(d);
	const unsigned char *sel = NULL;
	unsigned int sel_len = 0;
	char alpn[S_ALPN_TEXT_LEN], chain_err[S_CHAIN_ERR_LEN];
	X509 *cert = SSL_get1_peer_certificate(ssl);

	if (cert == NULL) {
		/* only anonymous suites do this, and the client offers none */
		tlsdial_attempt_failed(d, VT_PROB_TLS, "the server presented no certificate", true);
		return;
	}
	SSL_get0_alpn_selected(ssl, &sel, &sel_len);
	snprintf(alpn, sizeof(alpn), "%.*s", (int)(sel_len < sizeof(alpn) ? sel_len : 0),
	         sel != NULL ? (const char *)sel : "");
	tlsdial_capture(d, cert, alpn);
	c->chain_verified = s_chain_ok(ssl, cert, chain_err, sizeof(chain_err));
	c->name_matches = acmecert_names_host(cert, probe_job(t->p)->domain);
	snprintf(c->verify_error, sizeof(c->verify_error), "%s%s%s", chain_err,
	         chain_err[0] != '\0' && !c->name_matches ? "; " : "",
	         c->name_matches ? "" : S_HOST_MISMATCH);
	X509_free(cert);
	tlsdial_finish(d, VT_OUTCOME_PASS);
}

static const struct tlsdial_ops s_dial_ops = {
        .done = s_done,
        .failed = NULL,
        .challenge = false,
};

static int s_start(struct probe *p, char *err, size_t errlen)
{
	const struct vt_job *job = probe_job(p);
	struct s_tlscert *t = calloc(1, sizeof(*t));
	unsigned char ip[S_IP_BYTES];
	bool literal;

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->p = p;
	probe_set_state(p, t);
	if (job->domain[0] == '\0') {
		snprintf(err, errlen, "job has no domain");
		return -1;
	}
	/* RFC 6066 3: SNI carries host names only; a client sends none for an
	 * IP literal.  The job's mode and challenge fields are ignored. */
	literal = inet_pton(AF_INET, job->domain, ip) == 1 ||
	          inet_pton(AF_INET6, job->domain, ip) == 1;
	t->d = tlsdial_new(p, s_port_override != 0 ? s_port_override : HTTPS_PORT,
	                   literal ? "" : job->domain, &s_dial_ops, t);
	if (t->d == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return tlsdial_start(t->d, job->domain, &s_hs, err, errlen);
}

static void s_cancel(struct probe *p, bool budget_expired)
{
	struct s_tlscert *t = probe_state(p);

	if (t != NULL && t->d != NULL)
		tlsdial_cancel(t->d, budget_expired);
}

static void s_free(struct probe *p)
{
	struct s_tlscert *t = probe_state(p);

	if (t == NULL)
		return;
	tlsdial_destroy(&t->d);
	free(t);
	probe_set_state(p, NULL);
}

const struct probe_ops tlscert_ops = {
        .method = VT_METHOD_TLSCERT,
        .name = S_METHOD,
        .start = s_start,
        .cancel = s_cancel,
        .free = s_free,
};
