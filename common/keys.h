/*
 * keys.h -- CURVE key files.
 *
 * NAME.key holds the 40-character Z85 secret key and a newline (mode 0600);
 * NAME.pub holds the 40-character Z85 public key and a newline.  An agent's
 * name is its allowlist file's name (NAME.pub without the suffix).
 */
#ifndef VANTAGE_KEYS_H
#define VANTAGE_KEYS_H

#include <stddef.h>

#define KEY_Z85_LEN 40

/* Generate a key pair and write DIR/NAME.key (0600, refusing to overwrite)
 * and DIR/NAME.pub.  NAME must match [A-Za-z0-9._-]{1,63} and not start with
 * '.'.  0, or -1 with a reason in err. */
int keys_generate(const char *dir, const char *name, char *err, size_t errlen);

/* Generate a key pair and write the secret key to secret_path (0600) and the
 * public key to public_path (0644), refusing to overwrite either; on failure
 * neither is left behind.  The directory holding secret_path is created
 * (0700) when missing, one level only.  Used for the agent's first start and
 * `vantage-agent enroll`.  0, or -1 with a reason in err. */
int keys_generate_at(const char *secret_path, const char *public_path, char *err, size_t errlen);

/* The public key file next to secret_path: its ".key" suffix replaced by
 * ".pub", or ".pub" appended.  0, or -1 when it does not fit out[outlen]. */
int keys_public_path(const char *secret_path, char *out, size_t outlen);

/* Read a secret key file; fill secret and the derived public key (both
 * KEY_Z85_LEN chars + NUL).  Refuses group/other-readable files.  0 or -1. */
int keys_read_secret(const char *path, char secret[KEY_Z85_LEN + 1], char public_[KEY_Z85_LEN + 1],
                     char *err, size_t errlen);

/* Read a public key file (or, if path is itself 40 Z85 characters, take it
 * literally).  0 or -1. */
int keys_read_public(const char *path, char public_[KEY_Z85_LEN + 1], char *err, size_t errlen);

/* Is name a valid agent name ([A-Za-z0-9._-]{1,63}, not starting with '.')? */
int keys_valid_name(const char *name);

/* Is token a valid enrolment token ([0-9A-Za-z]{1,LIMIT_ENROLL_TOKEN_LEN})? */
int keys_valid_enroll_token(const char *token);

/* Is s exactly KEY_Z85_LEN Z85 characters that decode to a CURVE key? */
int keys_valid_z85(const char *s);

#endif
