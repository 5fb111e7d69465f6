/*
 * test_keyauth.c -- key authorization digests: SHA-256 vectors, base64url
 * without padding, parsing of hex and base64url digests and their errors.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../common/keyauth.h"
#include "../../common/limits.h"

#define T_KA                                                                                       \
	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define T_KA_HEX "94233b719c905dc5472b69e75b78e3021353dc5be6d7c50dfa45996649caa183"
#define T_KA_B64 "lCM7cZyQXcVHK2nnW3jjAhNT3Fvm18UN-kWZZknKoYM"

static void t_hex(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

Test(keyauth, sha256_vectors)
{
	uint8_t d[32];
	char hex[65];

	keyauth_sha256("", d);
	t_hex(d, hex);
	cr_expect_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	keyauth_sha256("abc", d);
	t_hex(d, hex);
	cr_expect_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	keyauth_sha256(T_KA, d);
	t_hex(d, hex);
	cr_expect_str_eq(hex, T_KA_HEX);
}

Test(keyauth, b64url_no_padding)
{
	char out[KEYAUTH_DIGEST_B64_LEN + 1];
	uint8_t d[32];

	keyauth_digest_b64url(T_KA, out);
	cr_expect_str_eq(out, T_KA_B64);
	cr_expect_eq(strlen(out), KEYAUTH_DIGEST_B64_LEN);
	keyauth_digest_b64url("", out);
	cr_expect_str_eq(out, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
	keyauth_digest_b64url("abc", out);
	cr_expect_str_eq(out, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
	memset(d, 0xff, sizeof(d));
	keyauth_b64url32(d, out);
	cr_expect_str_eq(out, "__________________________________________8");
}

Test(keyauth, parse_hex_and_b64url)
{
	uint8_t want[32], got[32];
	char err[128] = "";

	keyauth_sha256(T_KA, want);
	cr_assert_eq(keyauth_digest_parse(T_KA_HEX, got, err, sizeof(err)), 0, "%s", err);
	cr_expect_arr_eq(got, want, 32);
	memset(got, 0, sizeof(got));
	cr_assert_eq(keyauth_digest_parse(T_KA_B64, got, err, sizeof(err)), 0, "%s", err);
	cr_expect_arr_eq(got, want, 32);
	/* upper-case hex is accepted */
	memset(got, 0, sizeof(got));
	cr_assert_eq(
	        keyauth_digest_parse("94233B719C905DC5472B69E75B78E3021353DC5BE6D7C50DFA45996649"
	                             "CAA183",
	                             got, err, sizeof(err)),
	        0, "%s", err);
	cr_expect_arr_eq(got, want, 32);
}

Test(keyauth, parse_errors)
{
	uint8_t got[32];
	char err[128];

	cr_expect_eq(keyauth_digest_parse("", got, err, sizeof(err)), -1);
	cr_expect_str_eq(err,
	                 "digest: expected 64 hex or 43 base64url characters, got 0 characters");
	cr_expect_eq(keyauth_digest_parse(T_KA_B64 "=", got, err, sizeof(err)), -1);
	cr_expect(strstr(err, "got 44 characters") != NULL, "%s", err);
	cr_expect_eq(keyauth_digest_parse(
	                     "g4233b719c905dc5472b69e75b78e3021353dc5be6d7c50dfa45996649caa1"
	                     "83",
	                     got, err, sizeof(err)),
	             -1);
	cr_expect_str_eq(err, "digest: character 1 is not a hex digit");
	/* '+' and '/' are base64, not base64url */
	cr_expect_eq(keyauth_digest_parse("lCM7cZyQXcVHK2nnW3jjAhNT3Fvm18UN+kWZZknKoYM", got, err,
	                                  sizeof(err)),
	             -1);
	cr_expect_str_eq(err, "digest: character 33 is not base64url (A-Z a-z 0-9 - _)");
	/* the last character carries two bits that must be zero */
	cr_expect_eq(keyauth_digest_parse("lCM7cZyQXcVHK2nnW3jjAhNT3Fvm18UN-kWZZknKoYN", got, err,
	                                  sizeof(err)),
	             -1);
	cr_expect_str_eq(err, "digest: not a canonical base64url SHA-256 value");
}

Test(keyauth, valid_token)
{
	char big[LIMIT_TOKEN_LEN + 2];

	cr_expect(keyauth_valid_token("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"));
	cr_expect(!keyauth_valid_token(""));
	cr_expect(!keyauth_valid_token("a.b"));
	cr_expect(!keyauth_valid_token("a/b"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_expect(!keyauth_valid_token(big));
	big[LIMIT_TOKEN_LEN] = '\0';
	cr_expect(keyauth_valid_token(big));
}
