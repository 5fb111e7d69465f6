/*
 * keyauth.c -- key authorization digests (RFC 8555 8.4, RFC 8737 3).
 *
 * SHA-256 comes from OpenSSL's EVP interface; the base64url coding is done
 * here because it is tiny, must be unpadded and must reject anything that is
 * not exactly 32 bytes of canonical encoding.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "keyauth.h"
#include "limits.h"

#define S_DIGEST_LEN  32 /* SHA-256 */
#define S_HEX_LEN     (S_DIGEST_LEN * 2)
#define S_B64_BITS    6
#define S_BYTE_BITS   8
#define S_B64_INVALID 0xff

static const char s_b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void keyauth_sha256(const char *key_authorization, uint8_t out[32])
{
	unsigned int len = 0;

	/* EVP_Digest fails only on allocation failure; never leave out undefined */
	if (EVP_Digest(key_authorization, strlen(key_authorization), out, &len, EVP_sha256(),
	               NULL) != 1 ||
	    len != S_DIGEST_LEN)
		memset(out, 0, S_DIGEST_LEN);
}

void keyauth_b64url32(const uint8_t in[32], char out[KEYAUTH_DIGEST_B64_LEN + 1])
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < S_DIGEST_LEN; i++) {
		acc = (acc << S_BYTE_BITS) | in[i];
		bits += S_BYTE_BITS;
		while (bits >= S_B64_BITS) {
			bits -= S_B64_BITS;
			out[o++] = s_b64url[(acc >> bits) & 0x3f];
		}
	}
	if (bits > 0)
		out[o++] = s_b64url[(acc << (S_B64_BITS - bits)) & 0x3f];
	out[o] = '\0';
}

void keyauth_digest_b64url(const char *key_authorization, char out[KEYAUTH_DIGEST_B64_LEN + 1])
{
	uint8_t d[S_DIGEST_LEN];

	keyauth_sha256(key_authorization, d);
	keyauth_b64url32(d, out);
}

static int s_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static unsigned s_b64val(char c)
{
	const char *p = c != '\0' ? strchr(s_b64url, c) : NULL;

	return p != NULL ? (unsigned)(p - s_b64url) : S_B64_INVALID;
}

int keyauth_digest_parse(const char *text, uint8_t out[32], char *err, size_t errlen)
{
	size_t len = strlen(text);
	uint8_t buf[S_DIGEST_LEN];
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	int rc = -1;

	if (len == S_HEX_LEN) {
		for (size_t i = 0; i < S_DIGEST_LEN; i++) {
			int hi = s_hexval(text[2 * i]), lo = s_hexval(text[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				snprintf(err, errlen, "digest: character %zu is not a hex digit",
				         hi < 0 ? 2 * i + 1 : 2 * i + 2);
				goto out;
			}
			buf[i] = (uint8_t)(hi << 4 | lo);
		}
	} else if (len == KEYAUTH_DIGEST_B64_LEN) {
		for (size_t i = 0; i < len; i++) {
			unsigned v = s_b64val(text[i]);
			if (v == S_B64_INVALID) {
				snprintf(err, errlen,
				         "digest: character %zu is not base64url (A-Z a-z 0-9 - _)",
				         i + 1);
				goto out;
			}
			acc = (acc << S_B64_BITS) | v;
			bits += S_B64_BITS;
			if (bits >= S_BYTE_BITS) {
				bits -= S_BYTE_BITS;
				buf[o++] = (uint8_t)(acc >> bits);
			}
		}
		/* 43 * 6 = 258 bits: 256 of data and two that must be zero */
		if (o != S_DIGEST_LEN || (acc & ((1u << bits) - 1)) != 0) {
			snprintf(err, errlen, "digest: not a canonical base64url SHA-256 value");
			goto out;
		}
	} else {
		snprintf(err, errlen,
		         "digest: expected %d hex or %d base64url characters, got %zu characters",
		         S_HEX_LEN, KEYAUTH_DIGEST_B64_LEN, len);
		goto out;
	}
	memcpy(out, buf, S_DIGEST_LEN);
	rc = 0;
out:
	return rc;
}

int keyauth_valid_token(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > LIMIT_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (strchr(s_b64url, s[i]) == NULL)
			return 0;
	return 1;
}
