/*
 * keys.c -- CURVE key files (see keys.h).
 *
 * Keys are generated and converted by libzmq itself (zmq_curve_keypair,
 * zmq_curve_public, zmq_z85_decode), so this file only handles names, file
 * modes and the exact on-disk format: 40 Z85 characters and a newline.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "fileio.h"
#include "keys.h"
#include "limits.h"

#define KEYS_FILE_MAX      128 /* bytes read from a key file: 40 + newline + slack */
#define KEYS_RAW_BYTES     32  /* a CURVE key in binary */
#define KEYS_SECRET_SUFFIX ".key"
#define KEYS_PUBLIC_SUFFIX ".pub"

static const char s_z85_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int keys_valid_name(const char *name)
{
	size_t n;

	if (name == NULL || name[0] == '\0' || name[0] == '.')
		return 0;
	n = strnlen(name, LIMIT_AGENT_NAME_LEN + 1);
	if (n > LIMIT_AGENT_NAME_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int keys_valid_enroll_token(const char *token)
{
	size_t n;

	if (token == NULL)
		return 0;
	n = strnlen(token, LIMIT_ENROLL_TOKEN_LEN + 1);
	if (n == 0 || n > LIMIT_ENROLL_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = token[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* Is s exactly KEY_Z85_LEN Z85 characters that decode to a 32-byte key? */
static int s_valid_z85(const char *s)
{
	uint8_t raw[KEYS_RAW_BYTES];

	if (strnlen(s, KEY_Z85_LEN + 1) != KEY_Z85_LEN)
		return 0;
	for (size_t i = 0; i < KEY_Z85_LEN; i++)
		if (strchr(s_z85_alphabet, s[i]) == NULL)
			return 0;
	return zmq_z85_decode(raw, s) != NULL;
}

/* Write text to a new file (O_EXCL) with the given mode.  0 or -1. */
static int s_write_new(const char *path, const char *text, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s already exists; refusing to overwrite", path);
		else
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return fileio_fill(fd, path, text, mode, false, err, errlen);
}

/* Generate a key pair into keypath (0600) and pubpath (0644), refusing to
 * overwrite either.  On failure neither file is left behind. */
static int s_generate(const char *keypath, const char *pubpath, char *err, size_t errlen)
{
	char pub[KEY_Z85_LEN + 1], sec[KEY_Z85_LEN + 1];
	char line[KEY_Z85_LEN + 2];
	int rc = -1, key_written = 0;

	if (!zmq_has("curve")) {
		snprintf(err, errlen, "this libzmq was built without CURVE support");
		goto out;
	}
	if (access(pubpath, F_OK) == 0) {
		snprintf(err, errlen, "%s already exists; refusing to overwrite", pubpath);
		goto out;
	}
	if (zmq_curve_keypair(pub, sec) != 0) {
		snprintf(err, errlen, "zmq_curve_keypair: %s", zmq_strerror(zmq_errno()));
		goto out;
	}
	snprintf(line, sizeof(line), "%s\n", sec);
	if (s_write_new(keypath, line, 0600, err, errlen) != 0)
		goto out;
	key_written = 1;
	snprintf(line, sizeof(line), "%s\n", pub);
	if (s_write_new(pubpath, line, 0644, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && key_written)
		unlink(keypath);
	explicit_bzero(sec, sizeof(sec));
	explicit_bzero(line, sizeof(line));
	return rc;
}

int keys_generate(const char *dir, const char *name, char *err, size_t errlen)
{
	char keypath[PATH_MAX], pubpath[PATH_MAX];

	if (!keys_valid_name(name)) {
		snprintf(err, errlen,
		         "invalid name (want [A-Za-z0-9._-], 1..%d characters, not starting with "
		         "'.')",
		         LIMIT_AGENT_NAME_LEN);
		return -1;
	}
	if (dir == NULL || dir[0] == '\0')
		dir = ".";
	if ((size_t)snprintf(keypath, sizeof(keypath), "%s/%s.key", dir, name) >= sizeof(keypath) ||
	    (size_t)snprintf(pubpath, sizeof(pubpath), "%s/%s.pub", dir, name) >= sizeof(pubpath)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	return s_generate(keypath, pubpath, err, errlen);
}

int keys_public_path(const char *secret_path, char *out, size_t outlen)
{
	size_t n = strlen(secret_path);
	size_t suffix = strlen(KEYS_SECRET_SUFFIX);
	const char *slash = strrchr(secret_path, '/');
	const char *base = slash != NULL ? slash + 1 : secret_path;

	/* "agent.key" -> "agent.pub"; but a bare ".key" has no name to keep */
	if (strlen(base) > suffix && strcmp(secret_path + n - suffix, KEYS_SECRET_SUFFIX) == 0)
		n -= suffix;
	if (n + strlen(KEYS_PUBLIC_SUFFIX) + 1 > outlen)
		return -1;
	memcpy(out, secret_path, n);
	memcpy(out + n, KEYS_PUBLIC_SUFFIX, strlen(KEYS_PUBLIC_SUFFIX) + 1);
	return 0;
}

/* Create the directory that will hold path when it is missing: mode 0700,
 * one level only (a missing grandparent is an error, not a mkdir -p, so a
 * typo in key_file does not grow a tree). */
static int s_make_parent(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL || slash == path)
		return 0; /* the current directory or "/" */
	n = (size_t)(slash - path);
	if (n >= sizeof(dir)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int keys_generate_at(const char *secret_path, const char *public_path, char *err, size_t errlen)
{
	if (secret_path == NULL || secret_path[0] == '\0' || public_path == NULL ||
	    public_path[0] == '\0') {
		snprintf(err, errlen, "empty key file path");
		return -1;
	}
	if (strcmp(secret_path, public_path) == 0) {
		snprintf(err, errlen, "%s: secret and public key files must differ", secret_path);
		return -1;
	}
	if (s_make_parent(secret_path, err, errlen) != 0)
		return -1;
	return s_generate(secret_path, public_path, err, errlen);
}

/* Read a key file into out (KEY_Z85_LEN + 1), trailing whitespace removed,
 * validated as Z85.  If secret, refuse files group/other can access. */
static int s_read_key(const char *path, int secret, char out[KEY_Z85_LEN + 1], char *err,
                      size_t errlen)
{
	char buf[KEYS_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd = -1, rc = -1;
	size_t len;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		goto out;
	}
	if (secret && (st.st_mode & 0077) != 0) {
		snprintf(err, errlen,
		         "%s is accessible by group or others (mode %04o); chmod 600 it", path,
		         (unsigned)(st.st_mode & 07777));
		goto out;
	}
	do {
		n = read(fd, buf, KEYS_FILE_MAX);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	len = (size_t)n;
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
	                   buf[len - 1] == '\t'))
		buf[--len] = '\0';
	if (!s_valid_z85(buf)) {
		snprintf(err, errlen, "%s does not hold a %d-character Z85 key", path, KEY_Z85_LEN);
		goto out;
	}
	memcpy(out, buf, KEY_Z85_LEN + 1);
	rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return rc;
}

int keys_read_secret(const char *path, char secret[KEY_Z85_LEN + 1], char public_[KEY_Z85_LEN + 1],
                     char *err, size_t errlen)
{
	if (s_read_key(path, 1, secret, err, errlen) != 0)
		return -1;
	if (zmq_curve_public(public_, secret) != 0) {
		explicit_bzero(secret, KEY_Z85_LEN + 1);
		snprintf(err, errlen, "%s: cannot derive public key: %s", path,
		         zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

int keys_read_public(const char *path, char public_[KEY_Z85_LEN + 1], char *err, size_t errlen)
{
	if (path != NULL && s_valid_z85(path) && access(path, F_OK) != 0) {
		memcpy(public_, path, KEY_Z85_LEN + 1);
		return 0;
	}
	return s_read_key(path, 0, public_, err, errlen);
}

int keys_valid_z85(const char *s)
{
	return s != NULL && s_valid_z85(s);
}
