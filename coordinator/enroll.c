/*
 * enroll.c -- enrolment tickets (see enroll.h).
 *
 * A ticket holds only the SHA-256 of its token: the ticket files may end up
 * in a backup, and whoever reads one must not be able to enrol a key with it.
 * Every file is written to a temporary name and renamed, so a crash leaves
 * the old file or the new one, never half of one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "enroll.h"
#include "../common/fileio.h"
#include "config.h"
#include "../common/log.h"

#define ENROLL_RANDOM_BYTES  (ENROLL_TOKEN_HEX / 2) /* 16 bytes = 128 bits */
#define ENROLL_RANDOM_TRIES  8                      /* getrandom() interruptions tolerated */
#define ENROLL_SHA256_HEX    64
#define ENROLL_TMP_SUFFIX    ".tmp"
#define ENROLL_PUB_SUFFIX    ".pub"
#define ENROLL_REVOKED       ".revoked"
#define ENROLL_CONF_FILE_MAX 512 /* NAME.conf as written: three short lines and a comment */

struct enroll {
	char dir[PATH_MAX];
	struct enroll_ticket t[ENROLL_MAX_TICKETS];
	size_t n;
	int64_t zap_window; /* start of the current ENROLL_ZAP_WINDOW_S window */
	unsigned zap_count; /* unknown keys let in during it */
	bool zap_warned;    /* the limit was hit and logged in this window */
};

/* Lower-case hex of SHA-256(text).  0 or -1. */
static int s_sha256_hex(const char *text, size_t len, char out[ENROLL_SHA256_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen * 2 != ENROLL_SHA256_HEX)
		return -1;
	for (unsigned i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[ENROLL_SHA256_HEX] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

/* ENROLL_TOKEN_HEX random hex characters (ENROLL_RANDOM_BYTES from the
 * kernel) and a NUL.  0 or -1. */
static int s_random_token(char out[ENROLL_TOKEN_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[ENROLL_RANDOM_BYTES];
	size_t off = 0;

	for (int tries = 0; off < sizeof(raw) && tries < ENROLL_RANDOM_TRIES; tries++) {
		ssize_t got = getrandom(raw + off, sizeof(raw) - off, 0);
		if (got < 0 && errno != EINTR)
			break;
		if (got > 0)
			off += (size_t)got;
	}
	if (off != sizeof(raw)) {
		explicit_bzero(raw, sizeof(raw));
		return -1;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[ENROLL_TOKEN_HEX] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

/*
 * Write text to dir/file with mode: a temporary file ".FILE.tmp" in the same
 * directory (names never start with '.', so it cannot be mistaken for a ticket
 * or an allowlist entry), fsync, rename over file.  0, or -1 with err.
 */
static int s_write_atomic(const char *dir, const char *file, const char *text, mode_t mode,
                          char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, rc = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s%s", dir, file, ENROLL_TMP_SUFFIX) >=
	            sizeof(tmp)) {
		snprintf(err, errlen, "%s/%s: path too long", dir, file);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	/* the modes are part of the contract: tickets private, allowlist
	 * entries world-readable */
	if (fileio_fill(fd, tmp, text, mode, true, err, errlen) != 0)
		goto out;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* Create dir with mode if it is missing (one level).  0, or -1 with err. */
static int s_mkdir(const char *dir, mode_t mode, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, mode) == 0)
		return 0;
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	snprintf(err, errlen, "cannot create directory %s: %s", dir,
	         errno == EEXIST ? "it exists and is not a directory" : strerror(errno));
	return -1;
}

static int s_index(const struct enroll *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->t[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* DIR/NAME.ticket into path.  0, or -1 (too long). */
static int s_ticket_path(const struct enroll *e, const char *name, char *path, size_t len)
{
	return (size_t)snprintf(path, len, "%s/%s%s", e->dir, name, ENROLL_SUFFIX) >= len ? -1 : 0;
}

/* Write ticket t to DIR/NAME.ticket (0600).  0, or -1 with err. */
static int s_save(const struct enroll *e, const struct enroll_ticket *t, char *err, size_t errlen)
{
	char file[LIMIT_AGENT_NAME_LEN + sizeof(ENROLL_SUFFIX)];
	json_t *o;
	char *text;
	int rc;

	snprintf(file, sizeof(file), "%s%s", t->name, ENROLL_SUFFIX);
	o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:s, s:s, s:I}", "name", t->name,
	              "region", t->region, "rir", t->rir, "primary", t->primary, "token_sha256",
	              t->token_sha256, "created", (json_int_t)t->created, "expires",
	              (json_int_t)t->expires, "key", t->key_z85, "address", t->address, "claimed",
	              (json_int_t)t->claimed);
	text = o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = s_write_atomic(e->dir, file, text, 0600, err, errlen);
	free(text);
	return rc;
}

/* Copy string member key of o into dst (size dstlen): required, shorter than
 * dstlen.  0 or -1. */
static int s_member(json_t *o, const char *key, char *dst, size_t dstlen)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) >= dstlen ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int s_int_member(json_t *o, const char *key, int64_t *dst)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*dst = (int64_t)json_integer_value(v);
	return 0;
}

/* Is s exactly n lower-case hex characters? */
static bool s_is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Parse one ticket file's text into t, checking that it is a ticket for name
 * (the file's name).  0, or -1 with the reason in why. */
static int s_parse_ticket(const char *text, size_t len, const char *name, struct enroll_ticket *t,
                          char *why, size_t whylen)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *p;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (o == NULL) {
		snprintf(why, whylen, "invalid JSON at line %d: %s", je.line, je.text);
		return -1;
	}
	p = json_object_get(o, "primary");
	if (!json_is_object(o) || s_member(o, "name", t->name, sizeof(t->name)) != 0 ||
	    s_member(o, "region", t->region, sizeof(t->region)) != 0 ||
	    s_member(o, "rir", t->rir, sizeof(t->rir)) != 0 ||
	    s_member(o, "token_sha256", t->token_sha256, sizeof(t->token_sha256)) != 0 ||
	    s_member(o, "key", t->key_z85, sizeof(t->key_z85)) != 0 ||
	    s_member(o, "address", t->address, sizeof(t->address)) != 0 ||
	    s_int_member(o, "created", &t->created) != 0 ||
	    s_int_member(o, "expires", &t->expires) != 0 ||
	    s_int_member(o, "claimed", &t->claimed) != 0 || !json_is_boolean(p)) {
		snprintf(why, whylen, "a member is missing, of the wrong type or too long");
		goto out;
	}
	t->primary = json_is_true(p);
	if (strcmp(t->name, name) != 0) {
		snprintf(why, whylen, "it is a ticket for another name");
		goto out;
	}
	if (!s_is_hex(t->token_sha256, ENROLL_SHA256_HEX)) {
		snprintf(why, whylen, "token_sha256 is not 64 hex characters");
		goto out;
	}
	if ((t->region[0] == '\0') != (t->rir[0] == '\0') ||
	    (t->region[0] != '\0' &&
	     (!coord_config_valid_label(t->region) || !coord_config_valid_label(t->rir)))) {
		snprintf(why, whylen, "region or rir is not a valid label");
		goto out;
	}
	if (t->key_z85[0] != '\0' && strlen(t->key_z85) != KEY_Z85_LEN) {
		snprintf(why, whylen, "key is not %d characters", KEY_Z85_LEN);
		goto out;
	}
	/* The address was escaped when it was recorded; a file edited by hand
	 * must not smuggle control characters into the logs. */
	for (const char *c = t->address; *c != '\0'; c++) {
		if (*c < 0x20 || *c > 0x7e) {
			snprintf(why, whylen, "address holds control characters");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* Read DIR/FILE (at most ENROLL_FILE_MAX bytes) into buf.  Its length, or
 * -1 with why. */
static ssize_t s_read_file(int dfd, const char *file, char *buf, size_t buflen, char *why,
                           size_t whylen)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		close(fd);
		return -1;
	}
	while (off < buflen) { /* bounded: each pass reads >= 1 byte or stops */
		n = read(fd, buf + off, buflen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (off >= buflen) {
		snprintf(why, whylen, "larger than %d bytes", ENROLL_FILE_MAX);
		return -1;
	}
	return (ssize_t)off;
}

/* Load every DIR/NAME.ticket (see enroll_open). */
static void s_load(struct enroll *e, DIR *d, int64_t now)
{
	struct dirent *de;
	size_t seen = 0, sl = strlen(ENROLL_SUFFIX);
	char buf[ENROLL_FILE_MAX + 1];

	while (seen < ENROLL_MAX_DIR_ENTRIES && (de = readdir(d)) != NULL) {
		char name[LIMIT_AGENT_NAME_LEN + 1], why[256];
		size_t len = strlen(de->d_name);
		struct enroll_ticket t;
		ssize_t n;

		seen++;
		if (len <= sl || len - sl > LIMIT_AGENT_NAME_LEN ||
		    strcmp(de->d_name + len - sl, ENROLL_SUFFIX) != 0)
			continue;
		memcpy(name, de->d_name, len - sl);
		name[len - sl] = '\0';
		if (!keys_valid_name(name))
			continue;
		n = s_read_file(dirfd(d), de->d_name, buf, sizeof(buf), why, sizeof(why));
		if (n < 0 || s_parse_ticket(buf, (size_t)n, name, &t, why, sizeof(why)) != 0) {
			log_warn("enrol: skipping %s/%s: %s", e->dir, de->d_name, why);
			continue;
		}
		if (t.expires <= now) {
			log_info("enrol: the enrolment for %s expired: removing %s/%s", name,
			         e->dir, de->d_name);
			if (unlinkat(dirfd(d), de->d_name, 0) != 0)
				log_warn("enrol: cannot remove %s/%s: %s", e->dir, de->d_name,
				         strerror(errno));
			continue;
		}
		if (e->n >= ENROLL_MAX_TICKETS) {
			log_warn("enrol: skipping %s/%s: more than %d tickets", e->dir, de->d_name,
			         ENROLL_MAX_TICKETS);
			continue;
		}
		e->t[e->n++] = t;
	}
	if (seen >= ENROLL_MAX_DIR_ENTRIES)
		log_warn("enrol: %s has more than %d entries: only the first were looked at",
		         e->dir, ENROLL_MAX_DIR_ENTRIES);
	explicit_bzero(buf, sizeof(buf));
}

struct enroll *enroll_open(const char *dir, int64_t now, char *err, size_t errlen)
{
	struct enroll *e;
	struct stat st;
	DIR *d;

	if (strlen(dir) >= PATH_MAX - LIMIT_AGENT_NAME_LEN - sizeof(ENROLL_SUFFIX) - 8) {
		snprintf(err, errlen, "enrolment directory %s: path too long", dir);
		return NULL;
	}
	if (s_mkdir(dir, 0700, err, errlen) != 0)
		return NULL;
	if (stat(dir, &st) == 0 && (st.st_mode & 0077) != 0)
		log_warn("enrol: %s is accessible by group or others (mode %04o); chmod 700 it",
		         dir, (unsigned)(st.st_mode & 07777));
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(e->dir, sizeof(e->dir), "%s", dir);
	d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "cannot open enrolment directory %s: %s", dir,
		         strerror(errno));
		free(e);
		return NULL;
	}
	s_load(e, d, now);
	closedir(d);
	if (e->n > 0)
		log_info("enrol: %zu open enrolments loaded from %s", e->n, dir);
	return e;
}

void enroll_close(struct enroll **ep)
{
	if (ep == NULL || *ep == NULL)
		return;
	explicit_bzero(*ep, sizeof(**ep));
	free(*ep);
	*ep = NULL;
}

/* Remove ticket i from memory and its file from DIR. */
static void s_remove(struct enroll *e, size_t i)
{
	char path[PATH_MAX];

	if (s_ticket_path(e, e->t[i].name, path, sizeof(path)) == 0 && unlink(path) != 0 &&
	    errno != ENOENT)
		log_warn("enrol: cannot remove %s: %s", path, strerror(errno));
	memmove(&e->t[i], &e->t[i + 1], (e->n - i - 1) * sizeof(e->t[0]));
	e->n--;
	memset(&e->t[e->n], 0, sizeof(e->t[0]));
}

int enroll_create(struct enroll *e, const char *name, const char *region, const char *rir,
                  bool primary, uint32_t ttl_s, int64_t now, char token[LIMIT_ENROLL_TOKEN_LEN + 1],
                  char *err, size_t errlen)
{
	struct enroll_ticket t, old;
	char tok[ENROLL_TOKEN_HEX + 1];
	bool existed;
	int i, rc = -1;

	token[0] = '\0';
	memset(&old, 0, sizeof(old));
	if (!keys_valid_name(name)) {
		snprintf(err, errlen,
		         "invalid agent name (want [A-Za-z0-9._-], 1..%d characters, not starting "
		         "with '.')",
		         LIMIT_AGENT_NAME_LEN);
		return -1;
	}
	if ((region[0] == '\0') != (rir[0] == '\0') ||
	    (region[0] != '\0' &&
	     (!coord_config_valid_label(region) || !coord_config_valid_label(rir)))) {
		snprintf(err, errlen,
		         "region and rir must both be labels of 1..%d printable characters "
		         "without quotes or backslashes",
		         LIMIT_REGION_LEN);
		return -1;
	}
	if (ttl_s == 0)
		ttl_s = ENROLL_DEFAULT_TTL_S;
	if (ttl_s > ENROLL_MAX_TTL_S) {
		snprintf(err, errlen, "ttl %u s is longer than the maximum %d s", ttl_s,
		         ENROLL_MAX_TTL_S);
		return -1;
	}
	enroll_expire(e, now);
	i = s_index(e, name);
	if (i < 0 && e->n >= ENROLL_MAX_TICKETS) {
		snprintf(err, errlen,
		         "too many open enrolments (at most %d): approve or revoke some",
		         ENROLL_MAX_TICKETS);
		return -1;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.region, sizeof(t.region), "%s", region);
	snprintf(t.rir, sizeof(t.rir), "%s", rir);
	t.primary = primary;
	t.created = now;
	t.expires = now + (int64_t)ttl_s;
	if (s_random_token(tok) != 0) {
		snprintf(err, errlen, "cannot get random bytes for the token");
		goto out;
	}
	if (s_sha256_hex(tok, ENROLL_TOKEN_HEX, t.token_sha256) != 0) {
		snprintf(err, errlen, "cannot hash the token");
		goto out;
	}
	existed = i >= 0;
	if (existed) {
		old = e->t[i];
	} else {
		i = (int)e->n++;
	}
	e->t[i] = t;
	if (s_save(e, &e->t[i], err, errlen) != 0) {
		if (existed)
			e->t[i] = old;
		else
			memset(&e->t[--e->n], 0, sizeof(e->t[0]));
		goto out;
	}
	memcpy(token, tok, ENROLL_TOKEN_HEX + 1);
	rc = 0;
out:
	explicit_bzero(tok, sizeof(tok));
	return rc;
}

bool enroll_zap_allows(struct enroll *e, const char *key_z85, int64_t now)
{
	bool ticket_open = false;

	if (e == NULL || key_z85 == NULL)
		return false;
	for (size_t i = 0; i < e->n && !ticket_open; i++) {
		const struct enroll_ticket *t = &e->t[i];
		ticket_open = t->expires > now &&
		              (t->key_z85[0] == '\0' || strcmp(t->key_z85, key_z85) == 0);
	}
	if (!ticket_open)
		return false;
	/* A fixed window: simpler than a sliding one and good enough to keep a
	 * flood of fresh keys from costing a CURVE handshake and a HELLO each
	 * without bound.  A clock that went back starts a new window. */
	if (now < e->zap_window || now - e->zap_window >= ENROLL_ZAP_WINDOW_S) {
		e->zap_window = now;
		e->zap_count = 0;
		e->zap_warned = false;
	}
	if (e->zap_count >= ENROLL_ZAP_PER_MINUTE) {
		if (!e->zap_warned)
			log_warn("enrol: %d unknown keys let in within %d s: refusing more until "
			         "the window ends",
			         ENROLL_ZAP_PER_MINUTE, ENROLL_ZAP_WINDOW_S);
		e->zap_warned = true;
		return false;
	}
	e->zap_count++;
	return true;
}

int enroll_claim(struct enroll *e, const char *name, const char *token, const char *key_z85,
                 const char *address, int64_t now, char *err, size_t errlen)
{
	char sha[ENROLL_SHA256_HEX + 1];
	struct enroll_ticket *t, old;
	int i;

	if (e == NULL || !keys_valid_name(name)) {
		snprintf(err, errlen, "no enrolment open for that name");
		return -1;
	}
	i = s_index(e, name);
	if (i < 0) {
		snprintf(err, errlen, "no enrolment open for %s", name);
		return -1;
	}
	t = &e->t[i];
	if (t->expires <= now) {
		snprintf(err, errlen, "the enrolment for %s expired", name);
		return -1;
	}
	if (strnlen(key_z85, KEY_Z85_LEN + 1) != KEY_Z85_LEN) {
		snprintf(err, errlen, "no usable key");
		return -1;
	}
	if (s_sha256_hex(token, strnlen(token, LIMIT_ENROLL_TOKEN_LEN), sha) != 0) {
		snprintf(err, errlen, "cannot hash the token");
		return -1;
	}
	/* Constant time: the comparison must not tell how much of a guess was
	 * right (of the hash, here; still no reason to leak it). */
	if (CRYPTO_memcmp(sha, t->token_sha256, ENROLL_SHA256_HEX) != 0) {
		snprintf(err, errlen, "wrong token for %s", name);
		return -1;
	}
	if (t->key_z85[0] != '\0' && strcmp(t->key_z85, key_z85) != 0) {
		snprintf(err, errlen, "the enrolment for %s was already claimed by key %s", name,
		         t->key_z85);
		return -1;
	}
	old = *t;
	snprintf(t->key_z85, sizeof(t->key_z85), "%s", key_z85);
	log_escape(t->address, sizeof(t->address), address, strlen(address));
	t->claimed = now;
	if (s_save(e, t, err, errlen) != 0) {
		*t = old;
		return -1;
	}
	return 0;
}

const struct enroll_ticket *enroll_find(const struct enroll *e, const char *name)
{
	int i;

	if (e == NULL || name == NULL)
		return NULL;
	i = s_index(e, name);
	return i >= 0 ? &e->t[i] : NULL;
}

size_t enroll_expire(struct enroll *e, int64_t now)
{
	size_t gone = 0;

	if (e == NULL)
		return 0;
	for (size_t i = e->n; i-- > 0;) {
		if (e->t[i].expires > now)
			continue;
		log_info("enrol: the enrolment for %s expired%s", e->t[i].name,
		         e->t[i].key_z85[0] != '\0' ? " before it was approved" : "");
		s_remove(e, i);
		gone++;
	}
	return gone;
}

/* The text of NAME.conf for ticket t. */
static int s_conf_text(const struct enroll_ticket *t, char *buf, size_t len)
{
	int n = snprintf(buf, len,
	                 "# written by vantage agents approve\n"
	                 "region = \"%s\";\n"
	                 "rir = \"%s\";\n"
	                 "primary = %s;\n",
	                 t->region, t->rir, t->primary ? "true" : "false");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int enroll_approve(struct enroll *e, const char *name, const char *allowlist_dir,
                   bool in_main_config, char *err, size_t errlen)
{
	char file[LIMIT_AGENT_NAME_LEN + sizeof(CONFIG_AGENT_SUFFIX) + sizeof(ENROLL_PUB_SUFFIX)];
	char line[KEY_Z85_LEN + 2], conf[ENROLL_CONF_FILE_MAX], path[PATH_MAX];
	const struct enroll_ticket *t;
	bool wrote_conf = false;
	int i;

	i = e != NULL && keys_valid_name(name) ? s_index(e, name) : -1;
	if (i < 0) {
		snprintf(err, errlen, "no enrolment for %s", keys_valid_name(name) ? name : "that");
		return -1;
	}
	t = &e->t[i];
	if (t->key_z85[0] == '\0') {
		snprintf(err, errlen, "%s has not dialled in yet", name);
		return -1;
	}
	if (!in_main_config && t->region[0] == '\0') {
		snprintf(err, errlen,
		         "%s is not in the main agents list and its enrolment has no region or "
		         "RIR: make a new enrolment with a region and a RIR",
		         name);
		return -1;
	}
	/* The directory ZAP reads is world-readable on purpose: public keys only. */
	if (s_mkdir(allowlist_dir, 0755, err, errlen) != 0)
		return -1;
	/* NAME.conf first: a NAME.pub without a configured NAME is refused by
	 * ZAP anyway, so a failure in between leaves nothing half-enrolled. */
	if (!in_main_config) {
		if (s_conf_text(t, conf, sizeof(conf)) != 0) {
			snprintf(err, errlen, "%s: region or rir too long", name);
			return -1;
		}
		snprintf(file, sizeof(file), "%s%s", name, CONFIG_AGENT_SUFFIX);
		if (s_write_atomic(allowlist_dir, file, conf, 0644, err, errlen) != 0)
			return -1;
		wrote_conf = true;
	}
	snprintf(line, sizeof(line), "%s\n", t->key_z85);
	snprintf(file, sizeof(file), "%s%s", name, ENROLL_PUB_SUFFIX);
	if (s_write_atomic(allowlist_dir, file, line, 0644, err, errlen) != 0) {
		if (wrote_conf && (size_t)snprintf(path, sizeof(path), "%s/%s%s", allowlist_dir,
		                                   name, CONFIG_AGENT_SUFFIX) < sizeof(path))
			unlink(path);
		return -1;
	}
	s_remove(e, (size_t)i);
	return 0;
}

int enroll_cancel(struct enroll *e, const char *name)
{
	int i;

	if (e == NULL || name == NULL)
		return -1;
	i = s_index(e, name);
	if (i < 0)
		return -1;
	s_remove(e, (size_t)i);
	return 0;
}

/* Rename allowlist_dir/NAME+suffix to ...+ENROLL_REVOKED.  1 renamed, 0 there
 * was none, -1 with err. */
static int s_revoke_one(const char *dir, const char *name, const char *suffix, char *err,
                        size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX];

	if ((size_t)snprintf(from, sizeof(from), "%s/%s%s", dir, name, suffix) >= sizeof(from) ||
	    (size_t)snprintf(to, sizeof(to), "%s/%s%s%s", dir, name, suffix, ENROLL_REVOKED) >=
	            sizeof(to)) {
		snprintf(err, errlen, "%s/%s%s: path too long", dir, name, suffix);
		return -1;
	}
	if (rename(from, to) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	snprintf(err, errlen, "cannot rename %s to %s: %s", from, to, strerror(errno));
	return -1;
}

int enroll_revoke_files(const char *allowlist_dir, const char *name, char *err, size_t errlen)
{
	int pub, conf;

	if (!keys_valid_name(name)) {
		snprintf(err, errlen, "invalid agent name");
		return -1;
	}
	/* The key first: once it is gone ZAP refuses the agent, whatever
	 * happens to NAME.conf. */
	pub = s_revoke_one(allowlist_dir, name, ENROLL_PUB_SUFFIX, err, errlen);
	if (pub < 0)
		return -1;
	conf = s_revoke_one(allowlist_dir, name, CONFIG_AGENT_SUFFIX, err, errlen);
	if (conf < 0)
		return -1;
	return pub;
}

/* t as RFC 3339 text, or JSON null. */
static json_t *s_time(int64_t t)
{
	char buf[VT_TIME_LEN];

	return vt_time_rfc3339(t, buf, sizeof(buf)) == 0 ? json_string(buf) : json_null();
}

static json_t *s_str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

json_t *enroll_json(const struct enroll *e, int64_t now)
{
	json_t *arr = json_array();

	if (arr == NULL)
		return NULL;
	for (size_t i = 0; e != NULL && i < e->n; i++) {
		const struct enroll_ticket *t = &e->t[i];
		json_t *o = json_object();
		bool claimed = t->key_z85[0] != '\0';

		if (o == NULL || json_array_append_new(arr, o) != 0 ||
		    json_object_set_new(o, "name", json_string(t->name)) != 0 ||
		    json_object_set_new(o, "region", s_str_or_null(t->region)) != 0 ||
		    json_object_set_new(o, "rir", s_str_or_null(t->rir)) != 0 ||
		    json_object_set_new(o, "primary", json_boolean(t->primary)) != 0 ||
		    json_object_set_new(o, "expires", s_time(t->expires)) != 0 ||
		    json_object_set_new(o, "state", json_string(claimed ? "claimed" : "waiting")) !=
		            0 ||
		    json_object_set_new(o, "key", s_str_or_null(t->key_z85)) != 0 ||
		    json_object_set_new(o, "address", s_str_or_null(t->address)) != 0 ||
		    json_object_set_new(o, "claimed", claimed ? s_time(t->claimed) : json_null()) !=
		            0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

size_t enroll_count(const struct enroll *e)
{
	return e != NULL ? e->n : 0;
}
