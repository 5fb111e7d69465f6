/*
 * acmecert.h -- the TLS-ALPN-01 certificate rules of Boulder's
 * va/tlsalpn.go (letsencrypt-validation.md 4.3), as pure functions over an
 * OpenSSL X509, and the capture of a certificate into a vt_cert.
 *
 * tlsalpn.c does the connection (and the ALPN rule, which needs the TLS
 * session); everything that only needs the leaf certificate lives here, so
 * it can be tested with certificates a test builds itself.
 */
#ifndef VANTAGE_AGENT_ACMECERT_H
#define VANTAGE_AGENT_ACMECERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "../common/result.h"

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
 * err (the fields read so far are kept).  Called by tlsalpn.c.
 */
int acmecert_capture(X509 *cert, struct vt_cert *out, char *err, size_t errlen);

/* Test only (tlsalpn.c): dial this port instead of TLSALPN_PORT; 0 restores
 * 443.  Declared here, the TLS-ALPN-01 header, because probe_int.h belongs
 * to the engine. */
void tlsalpn01_set_port_for_tests(uint16_t port);

#endif
