/*
 * keyauth.h -- key authorizations and their digests (RFC 8555 8.1, 8.4;
 * RFC 8737 3).
 */
#ifndef VANTAGE_KEYAUTH_H
#define VANTAGE_KEYAUTH_H

#include <stddef.h>
#include <stdint.h>

#define KEYAUTH_DIGEST_B64_LEN 43 /* base64url, no padding, of 32 bytes */

/* SHA-256 of the key authorization string (raw 32 bytes), as the
 * acmeIdentifier extension of TLS-ALPN-01 carries it. */
void keyauth_sha256(const char *key_authorization, uint8_t out[32]);

/* base64url (no padding) of SHA-256(key authorization): the DNS-01 TXT value.
 * out must hold KEYAUTH_DIGEST_B64_LEN + 1 bytes. */
void keyauth_digest_b64url(const char *key_authorization, char out[KEYAUTH_DIGEST_B64_LEN + 1]);

/* Decode a digest given as 64 hex characters or 43 base64url characters into
 * 32 raw bytes.  0, or -1 with a reason in err. */
int keyauth_digest_parse(const char *text, uint8_t out[32], char *err, size_t errlen);

/* Encode 32 raw bytes as base64url without padding (43 chars + NUL). */
void keyauth_b64url32(const uint8_t in[32], char out[KEYAUTH_DIGEST_B64_LEN + 1]);

/* Is s a well-formed ACME token ([A-Za-z0-9_-]{1,LIMIT_TOKEN_LEN})? */
int keyauth_valid_token(const char *s);

#endif
