/*
 * acmecert.h -- TLS on port 443 for the probes that shake hands there:
 * the TLS-ALPN-01 certificate rules of Boulder's va/tlsalpn.go
 * (letsencrypt-validation.md 4.3), as pure functions over an OpenSSL X509,
 * the capture of a certificate into a vt_cert (acmecert.c), and the
 * connection both TLS probes use, tlsdial (tlsalpn.c).
 *
 * tlsalpn.c does the connection (and the ALPN rule, which needs the TLS
 * session); everything that only needs the leaf certificate lives here, so
 * it can be tested with certificates a test builds itself.  tlscert.c (the
 * tls-cert probe, issue 5) uses the same connection and capture.
 */
#ifndef VANTAGE_AGENT_ACMECERT_H
#define VANTAGE_AGENT_ACMECERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "../common/result.h"

struct probe;

/* Bytes of SHA-256, the acmeIdentifier extension value. */
#define ACMECERT_DIGEST_LEN 32
/* The acmeIdentifier extension (RFC 8737 3). */
#define ACMECERT_OID_ACME_IDENTIFIER "1.3.6.1.5.5.7.1.31"
#define ACMECERT_OID_SAN             "2.5.29.17"

/*
 * Judge cert as Boulder judges the leaf of a TLS-ALPN-01 handshake whose
 * ALPN was acme-tls/1: present, self-signed, SAN and acmeIdentifier present
 * once each, the SAN exactly the identifier, acmeIdentifier critical and
 * equal to digest.  identifier is the lower-case DNS name or an IP literal
 * (then the SAN must be one iPAddress); ip and port are where the
 * certificate came from (for the text).  Returns VT_PROB_NONE when the
 * certificate validates; otherwise the problem type, with LE's detail text
 * in detail (e.g. "Incorrect validation certificate for tls-alpn-01
 * challenge. Requested ... from 192.0.2.1:443. Received certificate which is
 * not self-signed.").  cert may be NULL ("No certs presented ...").  Called
 * by tlsalpn.c; never logs, never touches the network.
 */
enum vt_problem_type acmecert_check(X509 *cert, const char *identifier, const char *ip,
                                    uint16_t port, const uint8_t digest[ACMECERT_DIGEST_LEN],
                                    char *detail, size_t detaillen);

/*
 * Does cert repeat an extension OID?  Go's certificate parser refuses such a
 * certificate during the handshake, so tlsalpn.c treats it as a handshake
 * error ("Error getting validation data").  Returns 1 if it does, else 0.
 */
int acmecert_has_duplicate_extensions(X509 *cert);

/*
 * Fill out (zeroed first) from cert: subject and issuer (RFC 2253, non-ASCII
 * escaped), dNSName and iPAddress SANs (the first LIMIT_MAX_SANS; control
 * bytes escaped), notBefore / notAfter as Unix seconds and the hex SHA-256
 * of the DER; present is set.  tls_version and alpn are the caller's (they
 * belong to the session, not the certificate).  0, or -1 with a reason in
 * err (the fields read so far are kept).  Called by tlsdial_capture().
 */
int acmecert_capture(X509 *cert, struct vt_cert *out, char *err, size_t errlen);

/*
 * Fill out's chain_len with the number of certificates in chain (what the
 * server sent, leaf first; NULL counts 0) and chain_issuers with the issuer
 * of each of the first VT_CERT_MAX_CHAIN, as acmecert_capture() writes
 * names.  Called after acmecert_capture() (which zeroes out).
 */
void acmecert_capture_chain(const STACK_OF(X509) * chain, struct vt_cert *out);

/*
 * Does cert name host?  host is a DNS name (matched against dNSName SANs,
 * or the subject CN when there are none, a wildcard standing for one whole
 * leftmost label: X509_check_host) or an IP literal (iPAddress SANs:
 * X509_check_ip_asc).  Called by tlscert.c.
 */
bool acmecert_names_host(X509 *cert, const char *host);

/* ---- the connection on port 443 (tlsalpn.c) ----
 *
 * A tlsdial resolves the identifier (resolver.c, as Boulder's getAddrs),
 * dials its first IPv6 address (else the first IPv4) and shakes hands with
 * TLS >= 1.2 on the probe's event_base, bounded per attempt by
 * probe_cfg.dial_timeout_ms and by what is left of the job's budget.  It
 * writes the validation record and every failure into the probe's result
 * in Boulder's words (letsencrypt-validation.md 3.8 and 4.1), applies the
 * IPv6 -> IPv4 fallback of TLS-ALPN-01 (any failure of the IPv6 attempt
 * moves to the first IPv4 address, once), and retries a handshake refused
 * for its version once with TLS 1.0-1.1 allowed, only to name the version
 * the server speaks.  A successful handshake goes to the owner's done()
 * callback, which judges it and ends the attempt with exactly one of
 * tlsdial_finish(), tlsdial_fail(), tlsdial_attempt_failed() or
 * tlsdial_handshake().  tlsalpn.c (TLS-ALPN-01) and tlscert.c (tls-cert)
 * own one each; single-threaded, like the probe engine.
 */
struct tlsdial;

/* What one handshake offers.  The owner keeps it alive while it runs
 * (static tables). */
struct tlsdial_hs {
	const unsigned char *alpn; /* ALPN list in wire format; NULL offers none */
	size_t alpn_len;
	bool fallback; /* a failure of this handshake on IPv6 moves to IPv4 */
};

struct tlsdial_ops {
	/* The handshake of tlsdial_current(d) succeeded: tlsdial_ssl(d) is the
	 * session.  Must end the attempt (see above). */
	void (*done)(struct tlsdial *d, void *arg);
	/* Optional: an attempt failed (tlsdial_attempt_failed(), without a
	 * handshake or after one; the connection is closed; alert is the fatal
	 * TLS alert received, or -1).  Return true when the owner took over
	 * (it then calls tlsdial_handshake() or tlsdial_fail()); false applies
	 * the rules above. */
	bool (*failed)(struct tlsdial *d, int alert, void *arg);
	/* Wording: true for a validation method (texts say what Let's Encrypt
	 * does, an IPv6-only host that fails is Boulder's "Unable to contact"
	 * malformed problem); false for tls-cert (vantage's own words, and
	 * the IPv6 error itself is reported). */
	bool challenge;
};

/* A fatal TLS alert number (RFC 8446 6) tlsalpn.c's owner tests for. */
#define TLSDIAL_ALERT_NO_APP_PROTOCOL 120

/*
 * A connection for probe p (not owned) to port, sending SNI sni ("" sends
 * none), reporting through ops (static) with arg.  NULL on ENOMEM.  The
 * owner frees it with tlsdial_destroy() from its probe_ops free().
 */
struct tlsdial *tlsdial_new(struct probe *p, uint16_t port, const char *sni,
                            const struct tlsdial_ops *ops, void *arg);
/* Stop everything (no callback) and free; nulls *dp. */
void tlsdial_destroy(struct tlsdial **dp);

/* Resolve host (the job's domain or an IP literal), then dial and shake
 * hands as hs says.  0, or -1 with a reason in err (nothing started).
 * Every outcome after that arrives in the probe's result. */
int tlsdial_start(struct tlsdial *d, const char *host, const struct tlsdial_hs *hs, char *err,
                  size_t errlen);

/* Close the session (close_notify) and shake hands again with the same
 * address as hs says. */
void tlsdial_handshake(struct tlsdial *d, const struct tlsdial_hs *hs);

/* The handshake is judged: close with close_notify, set outcome (no
 * problem) and finish the probe. */
void tlsdial_finish(struct tlsdial *d, enum vt_outcome o);

/* Fail the probe with type and the detail, printf-style; no fallback. */
void tlsdial_fail(struct tlsdial *d, enum vt_problem_type type, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The attempt failed (after a handshake too: Boulder's IPv6 fallback then
 * still applies, e.g. to "No certs presented"): fall back to IPv4, retry
 * an old version, or fail with text (prefixed "<ip>: " when prefix). */
void tlsdial_attempt_failed(struct tlsdial *d, enum vt_problem_type type, const char *text,
                            bool prefix);

/* Capture cert (the session's leaf, may be NULL: nothing is captured) into
 * the probe's result: acmecert_capture(), the chain the server sent, the
 * session's TLS version and alpn.  A field that cannot be read becomes a
 * warning. */
void tlsdial_capture(struct tlsdial *d, X509 *cert, const char *alpn);

/* Stop all I/O; with budget_expired, record the failure the phase explains
 * (a timeout in Boulder's words) unless the result is already final.
 * Called from the owner's probe_ops cancel(). */
void tlsdial_cancel(struct tlsdial *d, bool budget_expired);

/* The session after a handshake (valid during done()); the handshake in
 * flight; the address dialled ("" before one is chosen). */
SSL *tlsdial_ssl(const struct tlsdial *d);
const struct tlsdial_hs *tlsdial_current(const struct tlsdial *d);
const char *tlsdial_ip(const struct tlsdial *d);

/* Test only (tlsalpn.c): dial this port instead of TLSALPN_PORT; 0 restores
 * 443.  Declared here, the TLS-ALPN-01 header, because probe_int.h belongs
 * to the engine. */
void tlsalpn01_set_port_for_tests(uint16_t port);

/* Test only (tlscert.c): dial this port instead of HTTPS_PORT (0 restores
 * 443), and verify chains against this PEM file of trusted certificates
 * instead of the system's trust store (NULL restores it). */
void tlscert_set_port_for_tests(uint16_t port);
void tlscert_set_ca_file_for_tests(const char *path);

#endif
