/*
 * proto.h -- the agent <-> coordinator wire format.  The only code in the tree
 * that knows msgpack lives behind this header (proto/proto.c).
 *
 * Every message is one ZeroMQ frame holding one msgpack map.  Its first keys
 * are "v" (PROTO_VERSION) and "t" (message type); unknown keys are ignored so
 * minor additions stay compatible, an unknown version or type is refused.
 *
 * The decoder treats every byte as hostile: before msgpack-c sees a frame it
 * walks the headers and refuses any container whose declared count cannot fit
 * in the bytes that remain (Debian's msgpack-c 4.0.0 allocates for the declared
 * count first), any nesting deeper than PROTO_MAX_DEPTH and any string or
 * array over its named limit; then every field is type- and length-checked.
 */
#ifndef VANTAGE_PROTO_H
#define VANTAGE_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "../common/result.h"

enum proto_type {
	PROTO_HELLO = 1,     /* agent -> coordinator: what I can do */
	PROTO_WELCOME = 2,   /* coordinator -> agent: registered, heartbeat terms */
	PROTO_HEARTBEAT = 3, /* both ways */
	PROTO_JOB = 4,       /* coordinator -> agent */
	PROTO_RESULT = 5,    /* agent -> coordinator */
	PROTO_BYE = 6,       /* both ways: closing; the receiver re-registers */
};

/* HELLO: capabilities only.  The agent's name comes from the ZAP User-Id and
 * its region/RIR from the coordinator's configuration, never from here.
 *
 * enroll_name/enroll_token (optional keys "en"/"et", "" when absent) are
 * read only from a connection ZAP let in for enrolment (User-Id
 * "?enroll KEY"): the agent asks to be enrolled as enroll_name with the
 * one-time token `vantage enroll` printed.  An allowlisted agent may keep
 * sending them; the coordinator ignores them then. */
struct proto_hello {
	char agent_version[32];
	bool ipv4; /* the agent has a usable IPv4 path */
	bool ipv6; /* the agent has a usable IPv6 path */
	uint32_t max_inflight;
	uint32_t methods; /* bit (1 << vt_method) per supported method */
	char enroll_name[LIMIT_AGENT_NAME_LEN + 1];
	char enroll_token[LIMIT_ENROLL_TOKEN_LEN + 1];
};

struct proto_welcome {
	uint32_t heartbeat_ivl_ms;
	uint32_t liveness; /* missed heartbeats before the peer is down */
};

struct proto_heartbeat {
	uint32_t inflight;
};

struct proto_bye {
	char reason[128];
};

/* A decoded or to-be-encoded message.  For PROTO_RESULT the result's records
 * and nameservers are owned by the message: release with proto_msg_clear().
 *
 * Fields added after version 1 first shipped are optional on decode (absent
 * = zero) and always encoded: JOB's digest, caa_issuer, caa_account_uri and
 * caa_methods (validation-method bits only); RESULT's cert (a map of every
 * vt_cert field, at most LIMIT_MAX_SANS SANs), dnssec and nameservers (at
 * most LIMIT_MAX_NAMESERVERS maps of every vt_nameserver field), server
 * ("srv", the HTTP Server header) and body ("bx", the body excerpt). */
struct proto_msg {
	enum proto_type type;
	union {
		struct proto_hello hello;
		struct proto_welcome welcome;
		struct proto_heartbeat heartbeat;
		struct vt_job job;
		struct vt_result result;
		struct proto_bye bye;
	} u;
};

/*
 * Encode m into a newly allocated buffer (*out, *outlen; caller frees with
 * free()).  Returns 0, or -1 with a reason in err (ENOMEM, or a field that
 * breaks a limit -- the encoder refuses what the decoder would refuse).
 */
int proto_encode(const struct proto_msg *m, uint8_t **out, size_t *outlen, char *err,
                 size_t errlen);

/*
 * Decode one frame.  On success returns 0 and fills *m (zeroed first; clear it
 * with proto_msg_clear).  On any malformed, truncated, oversized, wrong-typed,
 * unknown-version or unknown-type input returns -1, leaves *m cleared and
 * writes a one-line reason into err, e.g. "declared array count 4294967295
 * exceeds remaining 3 bytes".  Never allocates more than a small multiple of
 * len.
 */
int proto_decode(const uint8_t *data, size_t len, struct proto_msg *m, char *err, size_t errlen);

/* Release what a decoded message owns and zero it.  Safe to call twice. */
void proto_msg_clear(struct proto_msg *m);

/* "HELLO", "RESULT", ... for logs; "UNKNOWN" otherwise. */
const char *proto_type_name(enum proto_type t);

#endif
