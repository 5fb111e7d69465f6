/*
 * zap.h -- the coordinator's ZAP handler (RFC 27): CURVE client keys are
 * accepted when DIR/NAME.pub holds the key and NAME is a configured agent
 * (User-Id "NAME KEY"), or, while an enrolment ticket is open, to enrol
 * (User-Id "?enroll KEY").
 *
 * zap_decide() is the pure decision (frames in, reply out) so it can be unit
 * tested; zap_handle() does the socket I/O for one request on the REP socket
 * bound to inproc://zeromq.zap.01, in the coordinator's poll loop.
 */
#ifndef VANTAGE_COORD_ZAP_H
#define VANTAGE_COORD_ZAP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "enroll.h"

#define ZAP_ENDPOINT        "inproc://zeromq.zap.01"
#define ZAP_DOMAIN          "vantage"
#define ZAP_MAX_FRAMES      8                  /* frames in one request (CURVE sends 7) */
#define ZAP_MAX_FRAME       256                /* bytes kept per frame */
#define ZAP_MAX_DIR_ENTRIES (4 * LIMIT_AGENTS) /* directory entries looked at */
#define ZAP_KEY_BYTES       32

/* One request frame (data points into the caller's buffers). */
struct zap_frame {
	const uint8_t *data;
	size_t len;
};

struct zap_reply {
	char status[4];                                  /* "200" or "400" (or "500") */
	char status_text[64];                            /* "OK", "unknown key", ... */
	char user_id[LIMIT_AGENT_NAME_LEN + 1 + 41 + 8]; /* "NAME KEY", "?enroll KEY" or "" */
	char key_z85[41];                                /* the client key in Z85, "" if none */
	char address[64];                                /* the peer address, escaped, for logs */
};

/*
 * Decide one ZAP request given as frames [version, request_id, domain,
 * address, identity, mechanism, credentials...].  Accepts (status "200")
 * only for version "1.0", domain ZAP_DOMAIN, mechanism "CURVE" and a 32-byte
 * key that is either
 *   - found in allowlist_dir/NAME.pub with NAME configured in cfg: user_id
 *     "NAME KEY" (name, one space, the key's 40 Z85 characters: the session
 *     is bound to the key, so a revoked or replaced key's connection is
 *     recognised by every later message), or
 *   - not allowlisted, while enroll_zap_allows(enroll, KEY, now): user_id
 *     ENROLL_USER_PREFIX KEY ("?enroll KEY"; '?' is not a name character).
 * The directory is read on every call (at most LIMIT_AGENTS .pub files,
 * unreadable ones skipped).  enroll may be NULL.  Returns 0 accepted, -1
 * refused (rep says why).
 */
int zap_decide(const char *allowlist_dir, const struct coord_config *cfg, struct enroll *enroll,
               int64_t now, const struct zap_frame *frames, size_t n, struct zap_reply *rep);

/* Split a User-Id from zap_decide: "NAME KEY" gives name and key and returns
 * 1; "?enroll KEY" gives key (name "") and returns 2; anything else 0. */
int zap_split_user_id(const char *uid, char name[LIMIT_AGENT_NAME_LEN + 1],
                      char key[KEY_Z85_LEN + 1]);

/*
 * Receive one request on the REP socket zap (ZMQ_DONTWAIT), decide it and send
 * the reply.  Refusals are logged as "refused unknown CURVE key ... from ...".
 * Returns 1 if a request was handled, 0 if none was waiting, -1 on socket error.
 */
int zap_handle(void *zap, const char *allowlist_dir, const struct coord_config *cfg,
               struct enroll *enroll, int64_t now);

#endif
