/*
 * zap.c -- CURVE allowlist for the agents' ROUTER (see zap.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "zap.h"
#include "../common/keys.h"
#include "../common/log.h"

#define ZAP_PUB_SUFFIX ".pub"

/* Is frame f exactly the text s? */
static int s_frame_is(const struct zap_frame *f, const char *s)
{
	size_t n = strlen(s);
	return f->len == n && (n == 0 || memcmp(f->data, s, n) == 0);
}

static void s_refuse(struct zap_reply *rep, const char *status, const char *text)
{
	snprintf(rep->status, sizeof(rep->status), "%s", status);
	snprintf(rep->status_text, sizeof(rep->status_text), "%s", text);
	rep->user_id[0] = '\0';
}

/* Find the configured NAME whose allowlist file holds key_z85.  0 and name
 * filled, or -1. */
static int s_lookup(const char *dir, const struct coord_config *cfg, const char *key_z85,
                    char name[LIMIT_AGENT_NAME_LEN + 1])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t seen = 0, pubs = 0;
	int rc = -1;

	if (d == NULL) {
		log_warn("zap: cannot open allowlist directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while (seen < ZAP_MAX_DIR_ENTRIES && pubs < LIMIT_AGENTS && (e = readdir(d)) != NULL) {
		char path[CONFIG_PATH_LEN], pub[KEY_Z85_LEN + 1], err[256];
		char cand[LIMIT_AGENT_NAME_LEN + 1];
		size_t len = strlen(e->d_name), sl = strlen(ZAP_PUB_SUFFIX);

		seen++;
		if (len <= sl || strcmp(e->d_name + len - sl, ZAP_PUB_SUFFIX) != 0)
			continue;
		pubs++;
		if (len - sl > LIMIT_AGENT_NAME_LEN)
			continue;
		memcpy(cand, e->d_name, len - sl);
		cand[len - sl] = '\0';
		if (!keys_valid_name(cand))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (keys_read_public(path, pub, err, sizeof(err)) != 0) {
			log_debug("zap: skipping %s", err);
			continue;
		}
		if (strcmp(pub, key_z85) != 0)
			continue;
		if (coord_config_find_agent(cfg, cand) < 0) {
			log_debug("zap: key matches %s but agent %s is not configured", path, cand);
			continue;
		}
		memcpy(name, cand, sizeof(cand));
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

int zap_decide(const char *allowlist_dir, const struct coord_config *cfg, struct enroll *enroll,
               int64_t now, const struct zap_frame *frames, size_t n, struct zap_reply *rep)
{
	char name[LIMIT_AGENT_NAME_LEN + 1];

	memset(rep, 0, sizeof(*rep));
	s_refuse(rep, "400", "refused");
	if (n < 6) {
		s_refuse(rep, "500", "malformed request");
		return -1;
	}
	log_escape(rep->address, sizeof(rep->address), (const char *)frames[3].data, frames[3].len);
	if (!s_frame_is(&frames[0], "1.0")) {
		s_refuse(rep, "500", "unsupported ZAP version");
		return -1;
	}
	if (!s_frame_is(&frames[2], ZAP_DOMAIN)) {
		s_refuse(rep, "400", "wrong domain");
		return -1;
	}
	if (!s_frame_is(&frames[5], "CURVE")) {
		s_refuse(rep, "400", "CURVE required");
		return -1;
	}
	if (n != 7 || frames[6].len != ZAP_KEY_BYTES) {
		s_refuse(rep, "400", "bad CURVE credentials");
		return -1;
	}
	if (zmq_z85_encode(rep->key_z85, frames[6].data, ZAP_KEY_BYTES) == NULL) {
		s_refuse(rep, "500", "cannot encode key");
		return -1;
	}
	if (s_lookup(allowlist_dir, cfg, rep->key_z85, name) == 0) {
		/* The key goes into the User-Id so that every message of the
		 * session can be checked against the allowlist as it is now: a
		 * revoked key's open connection stays recognisable. */
		snprintf(rep->user_id, sizeof(rep->user_id), "%s %s", name, rep->key_z85);
	} else if (enroll_zap_allows(enroll, rep->key_z85, now)) {
		snprintf(rep->user_id, sizeof(rep->user_id), "%s%s", ENROLL_USER_PREFIX,
		         rep->key_z85);
	} else {
		s_refuse(rep, "400", "unknown key");
		return -1;
	}
	snprintf(rep->status, sizeof(rep->status), "200");
	snprintf(rep->status_text, sizeof(rep->status_text), "OK");
	return 0;
}

int zap_split_user_id(const char *uid, char name[LIMIT_AGENT_NAME_LEN + 1],
                      char key[KEY_Z85_LEN + 1])
{
	size_t pl = strlen(ENROLL_USER_PREFIX), len;
	const char *sp;

	name[0] = '\0';
	key[0] = '\0';
	if (uid == NULL)
		return 0;
	len = strnlen(uid, LIMIT_AGENT_NAME_LEN + 1 + KEY_Z85_LEN + 1);
	if (len == pl + KEY_Z85_LEN && strncmp(uid, ENROLL_USER_PREFIX, pl) == 0) {
		if (strchr(uid + pl, ' ') != NULL)
			return 0;
		memcpy(key, uid + pl, KEY_Z85_LEN + 1);
		return 2;
	}
	sp = strchr(uid, ' ');
	if (sp == NULL || sp == uid || (size_t)(sp - uid) > LIMIT_AGENT_NAME_LEN ||
	    len != (size_t)(sp - uid) + 1 + KEY_Z85_LEN || strchr(sp + 1, ' ') != NULL)
		return 0;
	memcpy(name, uid, (size_t)(sp - uid));
	name[sp - uid] = '\0';
	if (!keys_valid_name(name)) {
		name[0] = '\0';
		return 0;
	}
	memcpy(key, sp + 1, KEY_Z85_LEN + 1);
	return 1;
}

/* Send one reply frame; more: ZMQ_SNDMORE or 0. */
static int s_send(void *sock, const void *data, size_t len, int more)
{
	return zmq_send(sock, data, len, more | ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

int zap_handle(void *zap, const char *allowlist_dir, const struct coord_config *cfg,
               struct enroll *enroll, int64_t now)
{
	uint8_t bufs[ZAP_MAX_FRAMES][ZAP_MAX_FRAME];
	struct zap_frame frames[ZAP_MAX_FRAMES];
	struct zap_reply rep;
	size_t n = 0, dropped = 0;
	int more = 1;

	while (more && n + dropped < ZAP_MAX_FRAMES * 2) {
		int64_t got;
		size_t sz = sizeof(more);
		int flags = n == 0 ? ZMQ_DONTWAIT : 0; /* the rest of a message is already here */

		if (n < ZAP_MAX_FRAMES) {
			got = zmq_recv(zap, bufs[n], ZAP_MAX_FRAME, flags);
		} else {
			uint8_t scratch[ZAP_MAX_FRAME];
			got = zmq_recv(zap, scratch, sizeof(scratch), flags);
		}
		if (got < 0) {
			if (n == 0 && (zmq_errno() == EAGAIN || zmq_errno() == EINTR))
				return 0;
			log_err("zap: recv: %s", zmq_strerror(zmq_errno()));
			return -1;
		}
		if (n < ZAP_MAX_FRAMES) {
			frames[n].data = bufs[n];
			frames[n].len = (size_t)got > ZAP_MAX_FRAME ? ZAP_MAX_FRAME : (size_t)got;
			n++;
		} else {
			dropped++;
		}
		if (zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &sz) != 0)
			more = 0;
	}
	if (more) /* still more frames: treat as malformed; REP will discard */
		n = 0;
	if (dropped > 0)
		n = 0;

	if (zap_decide(allowlist_dir, cfg, enroll, now, frames, n, &rep) != 0) {
		if (rep.key_z85[0] != '\0')
			log_warn("refused unknown CURVE key %s from %s", rep.key_z85, rep.address);
		else
			log_warn("zap: refused %s connection from %s: %s",
			         n >= 6 ? "non-CURVE" : "malformed",
			         rep.address[0] ? rep.address : "?", rep.status_text);
	} else if (rep.user_id[0] == ENROLL_USER_PREFIX[0]) {
		log_debug("zap: key %s from %s let in to enrol (a ticket is open)", rep.key_z85,
		          rep.address);
	} else {
		log_debug("zap: accepted %s as %s from %s", rep.key_z85, rep.user_id, rep.address);
	}
	/* Reply: version, request id, status code, status text, user id, metadata. */
	if (s_send(zap, "1.0", 3, ZMQ_SNDMORE) != 0 ||
	    s_send(zap, n >= 2 ? frames[1].data : (const uint8_t *)"", n >= 2 ? frames[1].len : 0,
	           ZMQ_SNDMORE) != 0 ||
	    s_send(zap, rep.status, strlen(rep.status), ZMQ_SNDMORE) != 0 ||
	    s_send(zap, rep.status_text, strlen(rep.status_text), ZMQ_SNDMORE) != 0 ||
	    s_send(zap, rep.user_id, strlen(rep.user_id), ZMQ_SNDMORE) != 0 ||
	    s_send(zap, "", 0, 0) != 0) {
		/* Not fatal: libzmq times the handshake out (ZMQ_HANDSHAKE_IVL). */
		log_err("zap: send reply: %s", zmq_strerror(zmq_errno()));
	}
	return 1;
}
