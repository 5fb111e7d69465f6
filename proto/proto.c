/*
 * proto.c -- the msgpack wire format (see proto.h).  The only file in the tree
 * that includes msgpack.h.
 *
 * Every message body is described once, by a table of fields (key, human
 * name, kind, offset, bounds).  The encoder and the decoder both walk these
 * tables, so they agree on keys, types and limits by construction: the
 * encoder refuses exactly what the decoder would refuse.
 *
 * Decoding a hostile frame takes three passes:
 *   1. s_walk_obj: a bounded recursive-descent scan of the raw msgpack bytes.
 *      It refuses any array or map whose declared count cannot fit in the
 *      bytes that remain (msgpack-c 4.0.0 allocates for the declared count
 *      before any element arrives), counts over PROTO_MAX_ARRAY and
 *      PROTO_MAX_MAP_KEYS, strings over PROTO_MAX_STR or past the end,
 *      nesting deeper than PROTO_MAX_DEPTH, ext types and trailing bytes.
 *   2. msgpack_unpack_next into a msgpack_unpacked; by now every allocation
 *      it makes is bounded by a small multiple of the frame length.
 *   3. s_dec_fields: every field is found, type-checked, range-checked and
 *      copied into the fixed-size C structs of result.h and proto.h.  A
 *      string that does not fit its field is an error, never truncated.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto.h"
#include "proto_limits.h"

#define S_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Enums travel as unsigned integers; the tables read and write them through
 * an unsigned int, so they must have its size. */
_Static_assert(sizeof(enum vt_method) == sizeof(unsigned int), "enum size");
_Static_assert(sizeof(enum vt_mode) == sizeof(unsigned int), "enum size");
_Static_assert(sizeof(enum vt_outcome) == sizeof(unsigned int), "enum size");
_Static_assert(sizeof(enum vt_problem_type) == sizeof(unsigned int), "enum size");
/* Every fixed-size field must fit the frame limits, or the encoder could
 * produce what the decoder refuses. */
_Static_assert(LIMIT_URL_LEN <= PROTO_MAX_STR, "URL longer than PROTO_MAX_STR");
_Static_assert(LIMIT_DETAIL_LEN <= PROTO_MAX_STR, "detail longer than PROTO_MAX_STR");
_Static_assert(LIMIT_MAX_RECORDS <= PROTO_MAX_ARRAY, "records over PROTO_MAX_ARRAY");
_Static_assert(LIMIT_MAX_ADDRS * 2 <= PROTO_MAX_ARRAY, "addresses over PROTO_MAX_ARRAY");
_Static_assert(LIMIT_MAX_WARNINGS <= PROTO_MAX_ARRAY, "warnings over PROTO_MAX_ARRAY");
_Static_assert(LIMIT_MAX_SANS <= PROTO_MAX_ARRAY, "SANs over PROTO_MAX_ARRAY");
_Static_assert(VT_CERT_MAX_CHAIN <= PROTO_MAX_ARRAY, "chain issuers over PROTO_MAX_ARRAY");
_Static_assert(LIMIT_CERT_NAME_LEN <= PROTO_MAX_STR, "certificate name longer than PROTO_MAX_STR");
_Static_assert(LIMIT_MAX_NAMESERVERS <= PROTO_MAX_ARRAY, "nameservers over PROTO_MAX_ARRAY");
_Static_assert(LIMIT_TXT_LEN <= PROTO_MAX_STR, "TXT answer longer than PROTO_MAX_STR");
_Static_assert(LIMIT_SERVER_LEN <= PROTO_MAX_STR, "Server header longer than PROTO_MAX_STR");
_Static_assert(LIMIT_BODY_EXCERPT < PROTO_MAX_STR, "body excerpt longer than PROTO_MAX_STR");
_Static_assert(PROTO_MAX_DEPTH >= 4, "RESULT nests four levels deep");
/* The largest RESULT the encoder can build (26 records, 16 nameservers, 16
 * SANs, every string at its limit) fits one frame, with room to spare. */
_Static_assert(PROTO_WC_RESULT <= PROTO_MAX_MSG_BYTES, "largest RESULT over PROTO_MAX_MSG_BYTES");

/* ------------------------------------------------------------------------
 * Field tables
 * ------------------------------------------------------------------------ */

enum s_kind {
	K_STR,  /* char[size], NUL-terminated, no NUL inside */
	K_U32,  /* uint32_t in [min, max] */
	K_U16,  /* uint16_t in [min, max] */
	K_BOOL, /* bool */
	K_ENUM, /* an enum (unsigned int sized) in [min, max] */
	K_MASK, /* uint32_t with no bit outside max */
	K_I64,  /* int64_t, any value */
	K_STRS, /* char[max][size] with a size_t count at count_off */
	K_MAP,  /* a nested struct at off, described by sub[nsub] */
	K_OBJS, /* an owned array: element pointer at off, size_t count at
	           count_off, at most max elements, each described by sub and
	           appended (zeroed) by add() */
};

struct s_field {
	const char *key;  /* the wire key */
	const char *name; /* for error texts */
	enum s_kind kind;
	size_t off;       /* offset in the struct being encoded or decoded */
	size_t size;      /* K_STR: array size; K_STRS: element size */
	uint32_t min;     /* K_U32, K_U16, K_ENUM */
	uint32_t max;     /* K_U32, K_U16, K_ENUM; K_MASK: allowed bits; K_STRS: count */
	size_t count_off; /* K_STRS, K_OBJS: offset of the size_t count */
	const struct s_field *sub;
	size_t nsub;
	bool optional; /* absent on decode = left zero (always encoded) */
	/* K_OBJS: append a zeroed element to the struct at base; NULL when full
	 * or out of memory. */
	void *(*add)(char *base);
};

#define S_MEMBER_SIZE(T, m) sizeof(((T *)0)->m)
/* Each F_x has an FO_x twin for fields that are optional on decode: added
 * after version 1 first shipped, so an older peer leaves them out and they
 * decode as zero.  Both are always encoded. */
#define F_STR_(k, n, T, m, o)                                                                      \
	{                                                                                          \
		.key = (k), .name = (n), .kind = K_STR, .off = offsetof(T, m),                     \
		.size = S_MEMBER_SIZE(T, m), .optional = (o)                                       \
	}
#define F_STR(k, n, T, m)  F_STR_(k, n, T, m, false)
#define FO_STR(k, n, T, m) F_STR_(k, n, T, m, true)
#define F_NUM_(k, n, kd, T, m, lo, hi, o)                                                          \
	{                                                                                          \
		.key = (k), .name = (n), .kind = (kd), .off = offsetof(T, m), .min = (lo),         \
		.max = (hi), .optional = (o)                                                       \
	}
#define F_NUM(k, n, kd, T, m, lo, hi)  F_NUM_(k, n, kd, T, m, lo, hi, false)
#define FO_NUM(k, n, kd, T, m, lo, hi) F_NUM_(k, n, kd, T, m, lo, hi, true)
#define F_BOOL_(k, n, T, m, o)                                                                     \
	{                                                                                          \
		.key = (k), .name = (n), .kind = K_BOOL, .off = offsetof(T, m), .optional = (o)    \
	}
#define F_BOOL(k, n, T, m)  F_BOOL_(k, n, T, m, false)
#define FO_BOOL(k, n, T, m) F_BOOL_(k, n, T, m, true)
#define F_STRS_(k, n, T, m, cnt, o)                                                                \
	{                                                                                          \
		.key = (k), .name = (n), .kind = K_STRS, .off = offsetof(T, m),                    \
		.size = S_MEMBER_SIZE(T, m[0]),                                                    \
		.max = (uint32_t)(S_MEMBER_SIZE(T, m) / S_MEMBER_SIZE(T, m[0])),                   \
		.count_off = offsetof(T, cnt), .optional = (o)                                     \
	}
#define F_STRS(k, n, T, m, cnt)  F_STRS_(k, n, T, m, cnt, false)
#define FO_STRS(k, n, T, m, cnt) F_STRS_(k, n, T, m, cnt, true)
#define F_MAP_(k, n, T, m, tbl, o)                                                                 \
	{                                                                                          \
		.key = (k), .name = (n), .kind = K_MAP, .off = offsetof(T, m), .sub = (tbl),       \
		.nsub = S_ARRAY_LEN(tbl), .optional = (o)                                          \
	}
#define F_MAP(k, n, T, m, tbl)  F_MAP_(k, n, T, m, tbl, false)
#define FO_MAP(k, n, T, m, tbl) F_MAP_(k, n, T, m, tbl, true)
#define F_OBJS_(k, n, T, m, cnt, lim, tbl, fn, o)                                                  \
	{                                                                                          \
		.key = (k), .name = (n), .kind = K_OBJS, .off = offsetof(T, m),                    \
		.size = sizeof(*((T *)0)->m), .max = (lim), .count_off = offsetof(T, cnt),         \
		.sub = (tbl), .nsub = S_ARRAY_LEN(tbl), .add = (fn), .optional = (o)               \
	}

static void *s_add_record(char *base)
{
	return vt_result_add_record((struct vt_result *)(void *)base);
}

static void *s_add_nameserver(char *base)
{
	return vt_result_add_nameserver((struct vt_result *)(void *)base);
}

static const struct s_field s_hello_fields[] = {
        F_STR("ver", "agent version", struct proto_hello, agent_version),
        F_BOOL("ip4", "ipv4", struct proto_hello, ipv4),
        F_BOOL("ip6", "ipv6", struct proto_hello, ipv6),
        F_NUM("mi", "max inflight", K_U32, struct proto_hello, max_inflight, 1, AGENT_MAX_INFLIGHT),
        F_NUM("ms", "methods", K_MASK, struct proto_hello, methods, 0, PROTO_METHOD_MASK),
        FO_STR("en", "enrolment name", struct proto_hello, enroll_name),
        FO_STR("et", "enrolment token", struct proto_hello, enroll_token),
};

static const struct s_field s_welcome_fields[] = {
        F_NUM("hb", "heartbeat interval", K_U32, struct proto_welcome, heartbeat_ivl_ms, 1,
              UINT32_MAX),
        F_NUM("lv", "liveness", K_U32, struct proto_welcome, liveness, 1, UINT32_MAX),
};

static const struct s_field s_heartbeat_fields[] = {
        F_NUM("n", "inflight", K_U32, struct proto_heartbeat, inflight, 0, UINT32_MAX),
};

static const struct s_field s_job_fields[] = {
        F_STR("id", "job id", struct vt_job, id),
        F_NUM("m", "method", K_ENUM, struct vt_job, method, VT_METHOD_HTTP01, VT_METHOD_TLSCERT),
        F_NUM("mode", "mode", K_ENUM, struct vt_job, mode, VT_MODE_VALIDATE, VT_MODE_REACHABILITY),
        F_NUM("b", "budget", K_U32, struct vt_job, budget_ms, JOB_MIN_BUDGET_MS, JOB_MAX_BUDGET_MS),
        F_STR("d", "domain", struct vt_job, domain),
        F_STR("tok", "token", struct vt_job, token),
        F_STR("ka", "key authorization", struct vt_job, key_authorization),
        FO_STR("dg", "digest", struct vt_job, digest),
        FO_STR("ci", "CAA issuer", struct vt_job, caa_issuer),
        FO_STR("cau", "CAA account URI", struct vt_job, caa_account_uri),
        FO_NUM("cm", "CAA methods", K_MASK, struct vt_job, caa_methods, 0, PROTO_CAA_METHOD_MASK),
};

static const struct s_field s_problem_fields[] = {
        F_NUM("ty", "problem type", K_ENUM, struct vt_problem, type, VT_PROB_NONE,
              VT_PROB_SERVER_INTERNAL),
        F_STR("dt", "problem detail", struct vt_problem, detail),
};

static const struct s_field s_timings_fields[] = {
        F_NUM("r", "resolve time", K_U32, struct vt_timings, resolve_ms, 0, UINT32_MAX),
        F_NUM("c", "connect time", K_U32, struct vt_timings, connect_ms, 0, UINT32_MAX),
        F_NUM("t", "total time", K_U32, struct vt_timings, total_ms, 0, UINT32_MAX),
};

static const struct s_field s_record_fields[] = {
        F_STR("url", "url", struct vt_record, url),
        F_STR("h", "hostname", struct vt_record, hostname),
        F_NUM("port", "port", K_U16, struct vt_record, port, 0, PROTO_MAX_PORT),
        F_STRS("ar", "addressesResolved", struct vt_record, addresses_resolved,
               n_addresses_resolved),
        F_STR("au", "addressUsed", struct vt_record, address_used),
        F_STRS("at", "addressesTried", struct vt_record, addresses_tried, n_addresses_tried),
};

static const struct s_field s_cert_fields[] = {
        F_BOOL("pr", "certificate present", struct vt_cert, present),
        F_STR("sub", "subject", struct vt_cert, subject),
        F_STR("iss", "issuer", struct vt_cert, issuer),
        F_STRS("san", "SANs", struct vt_cert, sans, n_sans),
        F_NUM("nb", "notBefore", K_I64, struct vt_cert, not_before, 0, 0),
        F_NUM("na", "notAfter", K_I64, struct vt_cert, not_after, 0, 0),
        F_STR("sha", "certificate SHA-256", struct vt_cert, sha256),
        F_STR("tv", "TLS version", struct vt_cert, tls_version),
        F_STR("alpn", "ALPN protocol", struct vt_cert, alpn),
        /* tls-cert (issue 5) */
        FO_NUM("cl", "chain length", K_U32, struct vt_cert, chain_len, 0, UINT32_MAX),
        FO_STRS("ci", "chain issuers", struct vt_cert, chain_issuers, n_chain_issuers),
        FO_BOOL("cv", "chain verified", struct vt_cert, chain_verified),
        FO_BOOL("nm", "name matches", struct vt_cert, name_matches),
        FO_STR("ve", "verify error", struct vt_cert, verify_error),
};

static const struct s_field s_nameserver_fields[] = {
        F_STR("n", "nameserver name", struct vt_nameserver, name),
        F_STR("a", "nameserver address", struct vt_nameserver, address),
        F_BOOL("r", "reachable", struct vt_nameserver, reachable),
        F_STR("rc", "rcode", struct vt_nameserver, rcode),
        F_STR("ans", "answer", struct vt_nameserver, answer),
        F_NUM("ttl", "TTL", K_U32, struct vt_nameserver, ttl, 0, UINT32_MAX),
        F_BOOL("mt", "matches", struct vt_nameserver, matches),
        F_NUM("rtt", "round-trip time", K_U32, struct vt_nameserver, rtt_ms, 0, UINT32_MAX),
        F_STR("e", "nameserver error", struct vt_nameserver, error),
};

static const struct s_field s_result_fields[] = {
        F_STR("id", "job id", struct vt_result, job_id),
        F_NUM("m", "method", K_ENUM, struct vt_result, method, VT_METHOD_HTTP01, VT_METHOD_TLSCERT),
        F_STR("d", "domain", struct vt_result, domain),
        F_NUM("o", "outcome", K_ENUM, struct vt_result, outcome, VT_OUTCOME_PASS,
              VT_OUTCOME_UNAVAILABLE),
        F_MAP("p", "problem", struct vt_result, problem, s_problem_fields),
        F_NUM("hs", "http status", K_U32, struct vt_result, http_status, 0, PROTO_MAX_HTTP_STATUS),
        F_STRS("w", "warnings", struct vt_result, warnings, n_warnings),
        F_MAP("tm", "timings", struct vt_result, timings, s_timings_fields),
        F_OBJS_("rec", "records", struct vt_result, records, n_records, LIMIT_MAX_RECORDS,
                s_record_fields, s_add_record, false),
        FO_MAP("cert", "certificate", struct vt_result, cert, s_cert_fields),
        FO_STR("dns", "dnssec", struct vt_result, dnssec),
        F_OBJS_("ns", "nameservers", struct vt_result, nameservers, n_nameservers,
                LIMIT_MAX_NAMESERVERS, s_nameserver_fields, s_add_nameserver, true),
        /* findings (issue 7): HTTP-01's last response */
        FO_STR("srv", "server header", struct vt_result, server),
        FO_STR("bx", "body excerpt", struct vt_result, body),
};

static const struct s_field s_bye_fields[] = {
        F_STR("r", "reason", struct proto_bye, reason),
};

/* The pseudo-fields every frame starts with, for uniform error texts. */
static const struct s_field s_version_field =
        F_NUM("v", "protocol version", K_U32, struct proto_msg, type, 0, UINT32_MAX);
static const struct s_field s_type_field =
        F_NUM("t", "message type", K_U32, struct proto_msg, type, 0, UINT32_MAX);

/* The body table of a message type; NULL for an unknown type. */
static const struct s_field *s_body(uint64_t type, size_t *n)
{
	switch (type) {
	case PROTO_HELLO:
		*n = S_ARRAY_LEN(s_hello_fields);
		return s_hello_fields;
	case PROTO_WELCOME:
		*n = S_ARRAY_LEN(s_welcome_fields);
		return s_welcome_fields;
	case PROTO_HEARTBEAT:
		*n = S_ARRAY_LEN(s_heartbeat_fields);
		return s_heartbeat_fields;
	case PROTO_JOB:
		*n = S_ARRAY_LEN(s_job_fields);
		return s_job_fields;
	case PROTO_RESULT:
		*n = S_ARRAY_LEN(s_result_fields);
		return s_result_fields;
	case PROTO_BYE:
		*n = S_ARRAY_LEN(s_bye_fields);
		return s_bye_fields;
	default:
		break;
	}
	*n = 0;
	return NULL;
}

/* See proto.h: a static name for logs, "UNKNOWN" for any other value. */
const char *proto_type_name(enum proto_type t)
{
	switch (t) {
	case PROTO_HELLO:
		return "HELLO";
	case PROTO_WELCOME:
		return "WELCOME";
	case PROTO_HEARTBEAT:
		return "HEARTBEAT";
	case PROTO_JOB:
		return "JOB";
	case PROTO_RESULT:
		return "RESULT";
	case PROTO_BYE:
		return "BYE";
	}
	return "UNKNOWN";
}

/* See proto.h: frees a RESULT's records and nameservers and zeroes m; NULL
 * and repeated calls are harmless. */
void proto_msg_clear(struct proto_msg *m)
{
	if (m == NULL)
		return;
	if (m->type == PROTO_RESULT)
		vt_result_clear(&m->u.result);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------------
 * Error texts
 * ------------------------------------------------------------------------ */

/* Where we are, for error texts: the caller's buffer and the path of the
 * enclosing maps ("", "p.", "rec[3]."). */
struct s_ctx {
	char *err;
	size_t errlen;
	char path[PROTO_ERR_PATH_LEN];
};

static void s_err(struct s_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_err(struct s_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err == NULL || c->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

/* "field \"rec[2].ar[1]\" (addressesResolved): " + the message. idx < 0: no index. */
static void s_ferr(struct s_ctx *c, const struct s_field *f, long idx, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void s_ferr(struct s_ctx *c, const struct s_field *f, long idx, const char *fmt, ...)
{
	char what[PROTO_ERR_PATH_LEN + 32];
	char msg[256];
	va_list ap;

	if (idx >= 0)
		snprintf(what, sizeof(what), "%s%s[%ld]", c->path, f->key, idx);
	else
		snprintf(what, sizeof(what), "%s%s", c->path, f->key);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s_err(c, "field \"%s\" (%s): %s", what, f->name, msg);
}

static const char *s_objtype(msgpack_object_type t)
{
	switch (t) {
	case MSGPACK_OBJECT_NIL:
		return "nil";
	case MSGPACK_OBJECT_BOOLEAN:
		return "boolean";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return "integer";
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return "float";
	case MSGPACK_OBJECT_STR:
		return "string";
	case MSGPACK_OBJECT_ARRAY:
		return "array";
	case MSGPACK_OBJECT_MAP:
		return "map";
	case MSGPACK_OBJECT_BIN:
		return "binary";
	case MSGPACK_OBJECT_EXT:
		return "ext";
	}
	return "unknown";
}

/* ------------------------------------------------------------------------
 * Pass 1: the header walker
 * ------------------------------------------------------------------------ */

struct s_walk {
	const uint8_t *p;
	size_t len;
	size_t pos;
	struct s_ctx *c;
};

/* The shape of one msgpack value as announced by its format byte. */
enum s_shape {
	SH_SCALAR, /* `skip` payload bytes follow */
	SH_STR,    /* a length of `lenbytes` bytes (or `n` inline), then the bytes */
	SH_BIN,
	SH_ARRAY, /* a count of `lenbytes` bytes (or `n` inline), then elements */
	SH_MAP,
	SH_BAD, /* reserved 0xc1 */
	SH_EXT, /* ext / fixext: not used by this protocol */
};

struct s_fmt {
	enum s_shape shape;
	size_t skip;     /* SH_SCALAR: payload bytes */
	size_t lenbytes; /* SH_STR..SH_MAP: big-endian length bytes; 0: n inline */
	uint64_t n;      /* inline length or count */
};

/* Classify one format byte; covers all 256 values. */
static struct s_fmt s_classify(uint8_t b)
{
	struct s_fmt f = {.shape = SH_SCALAR};

	if (b <= 0x7f || b >= 0xe0) /* positive / negative fixint */
		return f;
	if (b <= 0x8f) {
		f.shape = SH_MAP;
		f.n = b & 0x0fu;
		return f;
	}
	if (b <= 0x9f) {
		f.shape = SH_ARRAY;
		f.n = b & 0x0fu;
		return f;
	}
	if (b <= 0xbf) {
		f.shape = SH_STR;
		f.n = b & 0x1fu;
		return f;
	}
	switch (b) {
	case 0xc0: /* nil */
	case 0xc2: /* false */
	case 0xc3: /* true */
		break;
	case 0xc1:
		f.shape = SH_BAD;
		break;
	case 0xc4:
	case 0xc5:
	case 0xc6:
		f.shape = SH_BIN;
		f.lenbytes = (size_t)1 << (b - 0xc4);
		break;
	case 0xca:
		f.skip = 4;
		break;
	case 0xcb:
		f.skip = 8;
		break;
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
		f.skip = (size_t)1 << (b - 0xcc);
		break;
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3:
		f.skip = (size_t)1 << (b - 0xd0);
		break;
	case 0xd9:
	case 0xda:
	case 0xdb:
		f.shape = SH_STR;
		f.lenbytes = (size_t)1 << (b - 0xd9);
		break;
	case 0xdc:
		f.shape = SH_ARRAY;
		f.lenbytes = 2;
		break;
	case 0xdd:
		f.shape = SH_ARRAY;
		f.lenbytes = 4;
		break;
	case 0xde:
		f.shape = SH_MAP;
		f.lenbytes = 2;
		break;
	case 0xdf:
		f.shape = SH_MAP;
		f.lenbytes = 4;
		break;
	default: /* 0xc7..0xc9 ext, 0xd4..0xd8 fixext */
		f.shape = SH_EXT;
		break;
	}
	return f;
}

static int s_need(struct s_walk *w, size_t n, const char *what, size_t at)
{
	if (w->len - w->pos >= n)
		return 0;
	s_err(w->c, "truncated frame: %s at offset %zu needs %zu bytes, %zu remain", what, at, n,
	      w->len - w->pos);
	return -1;
}

/*
 * Walk one value at w->pos, whose enclosing containers number `depth`.
 * Recursion is bounded by PROTO_MAX_DEPTH; every loop by a count that has
 * been checked against the bytes that remain.
 */
static int s_walk_obj(struct s_walk *w, unsigned depth)
{
	size_t at = w->pos;
	struct s_fmt f;
	uint64_t n, elems, i;
	size_t remain;
	uint8_t b;

	if (s_need(w, 1, "a value", at) != 0)
		return -1;
	b = w->p[w->pos++];
	f = s_classify(b);
	switch (f.shape) {
	case SH_SCALAR:
		if (s_need(w, f.skip, "a number", at) != 0)
			return -1;
		w->pos += f.skip;
		return 0;
	case SH_BAD:
		s_err(w->c, "reserved format byte 0xc1 at offset %zu", at);
		return -1;
	case SH_EXT:
		s_err(w->c,
		      "ext type (format byte 0x%02x) at offset %zu is not used by this protocol", b,
		      at);
		return -1;
	case SH_STR:
	case SH_BIN:
	case SH_ARRAY:
	case SH_MAP:
		break;
	}

	n = f.n;
	if (f.lenbytes > 0) {
		if (s_need(w, f.lenbytes, "a length", at) != 0)
			return -1;
		n = 0;
		for (i = 0; i < f.lenbytes; i++)
			n = (n << 8) | w->p[w->pos + i];
		w->pos += f.lenbytes;
	}
	remain = w->len - w->pos;

	if (f.shape == SH_STR || f.shape == SH_BIN) {
		const char *kind = f.shape == SH_STR ? "string" : "binary";

		if (n > PROTO_MAX_STR) {
			s_err(w->c,
			      "%s of %" PRIu64 " bytes at offset %zu exceeds PROTO_MAX_STR (%d)",
			      kind, n, at, PROTO_MAX_STR);
			return -1;
		}
		if (n > remain) {
			s_err(w->c,
			      "truncated frame: %s of %" PRIu64
			      " bytes at offset %zu, %zu bytes remain",
			      kind, n, at, remain);
			return -1;
		}
		w->pos += (size_t)n;
		return 0;
	}

	/* A container. */
	if (depth + 1 > PROTO_MAX_DEPTH) {
		s_err(w->c, "nesting deeper than PROTO_MAX_DEPTH (%d) at offset %zu",
		      PROTO_MAX_DEPTH, at);
		return -1;
	}
	if (f.shape == SH_ARRAY) {
		if (n > remain) {
			s_err(w->c, "declared array count %" PRIu64 " exceeds remaining %zu bytes",
			      n, remain);
			return -1;
		}
		if (n > PROTO_MAX_ARRAY) {
			s_err(w->c, "declared array count %" PRIu64 " exceeds PROTO_MAX_ARRAY (%d)",
			      n, PROTO_MAX_ARRAY);
			return -1;
		}
		elems = n;
	} else {
		if (n * 2 > remain) {
			s_err(w->c, "declared map count %" PRIu64 " exceeds remaining %zu bytes", n,
			      remain);
			return -1;
		}
		if (n > PROTO_MAX_MAP_KEYS) {
			s_err(w->c,
			      "declared map count %" PRIu64 " exceeds PROTO_MAX_MAP_KEYS (%d)", n,
			      PROTO_MAX_MAP_KEYS);
			return -1;
		}
		elems = n * 2;
	}
	for (i = 0; i < elems; i++)
		if (s_walk_obj(w, depth + 1) != 0)
			return -1;
	return 0;
}

/* The whole frame: exactly one value, a map, and nothing after it. */
static int s_walk_frame(const uint8_t *data, size_t len, struct s_ctx *c)
{
	struct s_walk w = {.p = data, .len = len, .pos = 0, .c = c};

	if (s_walk_obj(&w, 0) != 0)
		return -1;
	if (w.pos != len) {
		s_err(c, "%zu trailing bytes after the message at offset %zu", len - w.pos, w.pos);
		return -1;
	}
	if (s_classify(data[0]).shape != SH_MAP) {
		s_err(c, "frame is not a map (format byte 0x%02x)", data[0]);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Pass 3: typed extraction
 * ------------------------------------------------------------------------ */

/* Every key of a map must be a string; unknown keys are ignored later. */
static int s_check_keys(struct s_ctx *c, const msgpack_object_map *map)
{
	for (uint32_t i = 0; i < map->size; i++) {
		if (map->ptr[i].key.type != MSGPACK_OBJECT_STR) {
			s_err(c, "map \"%s\" key %" PRIu32 ": expected string, got %s",
			      c->path[0] ? c->path : "(top)", i, s_objtype(map->ptr[i].key.type));
			return -1;
		}
	}
	return 0;
}

/* Find f's key in map: exactly once.  Duplicated is an error; so is missing,
 * unless f is optional (then *val is NULL and 0 is returned). */
static int s_find(struct s_ctx *c, const msgpack_object_map *map, const struct s_field *f,
                  const msgpack_object **val)
{
	size_t klen = strlen(f->key);

	*val = NULL;
	for (uint32_t i = 0; i < map->size; i++) {
		const msgpack_object_str *k = &map->ptr[i].key.via.str;

		if (k->size != klen || memcmp(k->ptr, f->key, klen) != 0)
			continue;
		if (*val != NULL) {
			s_ferr(c, f, -1, "duplicate key");
			return -1;
		}
		*val = &map->ptr[i].val;
	}
	if (*val == NULL && !f->optional) {
		s_ferr(c, f, -1, "missing required field");
		return -1;
	}
	return 0;
}

/* Copy a string value into dst[size]: must fit with its NUL, no NUL inside. */
static int s_dec_str(struct s_ctx *c, const struct s_field *f, long idx, const msgpack_object *o,
                     char *dst, size_t size)
{
	if (o->type != MSGPACK_OBJECT_STR) {
		s_ferr(c, f, idx, "expected string, got %s", s_objtype(o->type));
		return -1;
	}
	if (o->via.str.size >= size) {
		s_ferr(c, f, idx, "string of %" PRIu32 " bytes does not fit (at most %zu)",
		       o->via.str.size, size - 1);
		return -1;
	}
	if (o->via.str.size > 0 && memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL) {
		s_ferr(c, f, idx, "string contains a NUL byte");
		return -1;
	}
	if (o->via.str.size > 0)
		memcpy(dst, o->via.str.ptr, o->via.str.size);
	dst[o->via.str.size] = '\0';
	return 0;
}

/* An unsigned integer value, range-checked for f's kind. */
static int s_dec_uint(struct s_ctx *c, const struct s_field *f, const msgpack_object *o,
                      uint64_t *out)
{
	uint64_t u;

	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		s_ferr(c, f, -1, "negative value %" PRId64, o->via.i64);
		return -1;
	}
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		s_ferr(c, f, -1, "expected integer, got %s", s_objtype(o->type));
		return -1;
	}
	u = o->via.u64;
	if (f->kind == K_MASK) {
		if ((u & ~(uint64_t)f->max) != 0) {
			s_ferr(c, f, -1, "unknown bits in 0x%" PRIx64 " (allowed 0x%" PRIx32 ")", u,
			       f->max);
			return -1;
		}
	} else if (u < f->min || u > f->max) {
		s_ferr(c, f, -1, "value %" PRIu64 " out of range %" PRIu32 "..%" PRIu32, u, f->min,
		       f->max);
		return -1;
	}
	*out = u;
	return 0;
}

static int s_dec_fields(struct s_ctx *c, const msgpack_object_map *map, const struct s_field *fs,
                        size_t nf, char *base);

/* Extend the error path with f's key (and index) and a dot; the caller
 * restores it from `saved` with s_path_pop. */
static void s_path_push(struct s_ctx *c, const struct s_field *f, long idx,
                        char saved[PROTO_ERR_PATH_LEN])
{
	size_t used = strlen(c->path);

	memcpy(saved, c->path, PROTO_ERR_PATH_LEN);
	if (idx >= 0)
		snprintf(c->path + used, sizeof(c->path) - used, "%s[%ld].", f->key, idx);
	else
		snprintf(c->path + used, sizeof(c->path) - used, "%s.", f->key);
}

static void s_path_pop(struct s_ctx *c, const char saved[PROTO_ERR_PATH_LEN])
{
	memcpy(c->path, saved, PROTO_ERR_PATH_LEN);
}

/* Decode a nested map described by f->sub into the struct at base. */
static int s_dec_nested(struct s_ctx *c, const struct s_field *f, long idx, const msgpack_object *o,
                        char *base)
{
	char saved[PROTO_ERR_PATH_LEN];
	int rc;

	if (o->type != MSGPACK_OBJECT_MAP) {
		s_ferr(c, f, idx, "expected map, got %s", s_objtype(o->type));
		return -1;
	}
	s_path_push(c, f, idx, saved);
	rc = s_dec_fields(c, &o->via.map, f->sub, f->nsub, base);
	s_path_pop(c, saved);
	return rc;
}

static int s_dec_field(struct s_ctx *c, const struct s_field *f, const msgpack_object *o,
                       char *base)
{
	uint64_t u;

	switch (f->kind) {
	case K_STR:
		return s_dec_str(c, f, -1, o, base + f->off, f->size);
	case K_U32:
	case K_MASK: {
		uint32_t v;

		if (s_dec_uint(c, f, o, &u) != 0)
			return -1;
		v = (uint32_t)u;
		memcpy(base + f->off, &v, sizeof(v));
		return 0;
	}
	case K_U16: {
		uint16_t v;

		if (s_dec_uint(c, f, o, &u) != 0)
			return -1;
		v = (uint16_t)u;
		memcpy(base + f->off, &v, sizeof(v));
		return 0;
	}
	case K_ENUM: {
		unsigned int v;

		if (s_dec_uint(c, f, o, &u) != 0)
			return -1;
		v = (unsigned int)u;
		memcpy(base + f->off, &v, sizeof(v));
		return 0;
	}
	case K_BOOL: {
		bool v;

		if (o->type != MSGPACK_OBJECT_BOOLEAN) {
			s_ferr(c, f, -1, "expected boolean, got %s", s_objtype(o->type));
			return -1;
		}
		v = o->via.boolean;
		memcpy(base + f->off, &v, sizeof(v));
		return 0;
	}
	case K_STRS: {
		size_t n;

		if (o->type != MSGPACK_OBJECT_ARRAY) {
			s_ferr(c, f, -1, "expected array, got %s", s_objtype(o->type));
			return -1;
		}
		if (o->via.array.size > f->max) {
			s_ferr(c, f, -1, "%" PRIu32 " elements exceed the limit of %" PRIu32,
			       o->via.array.size, f->max);
			return -1;
		}
		for (n = 0; n < o->via.array.size; n++)
			if (s_dec_str(c, f, (long)n, &o->via.array.ptr[n],
			              base + f->off + n * f->size, f->size) != 0)
				return -1;
		memcpy(base + f->count_off, &n, sizeof(n));
		return 0;
	}
	case K_I64: {
		int64_t v;

		if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
			v = o->via.i64;
		} else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			if (o->via.u64 > (uint64_t)INT64_MAX) {
				s_ferr(c, f, -1,
				       "value %" PRIu64 " exceeds a signed 64-bit integer",
				       o->via.u64);
				return -1;
			}
			v = (int64_t)o->via.u64;
		} else {
			s_ferr(c, f, -1, "expected integer, got %s", s_objtype(o->type));
			return -1;
		}
		memcpy(base + f->off, &v, sizeof(v));
		return 0;
	}
	case K_MAP:
		return s_dec_nested(c, f, -1, o, base + f->off);
	case K_OBJS: {
		if (o->type != MSGPACK_OBJECT_ARRAY) {
			s_ferr(c, f, -1, "expected array, got %s", s_objtype(o->type));
			return -1;
		}
		if (o->via.array.size > f->max) {
			s_ferr(c, f, -1, "%" PRIu32 " %s exceed the limit of %" PRIu32,
			       o->via.array.size, f->name, f->max);
			return -1;
		}
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			void *elem = f->add(base);

			if (elem == NULL) {
				s_ferr(c, f, (long)i, "out of memory");
				return -1;
			}
			if (s_dec_nested(c, f, (long)i, &o->via.array.ptr[i], elem) != 0)
				return -1;
		}
		return 0;
	}
	}
	s_ferr(c, f, -1, "internal error: unknown field kind");
	return -1;
}

/* Decode every field of fs[nf] from map into the struct at base. */
static int s_dec_fields(struct s_ctx *c, const msgpack_object_map *map, const struct s_field *fs,
                        size_t nf, char *base)
{
	const msgpack_object *val;

	if (s_check_keys(c, map) != 0)
		return -1;
	for (size_t i = 0; i < nf; i++) {
		if (s_find(c, map, &fs[i], &val) != 0)
			return -1;
		if (val == NULL) /* optional and absent: stays zero */
			continue;
		if (s_dec_field(c, &fs[i], val, base) != 0)
			return -1;
	}
	return 0;
}

/*
 * See proto.h.  Walk the raw headers (pass 1), let msgpack-c build the object
 * tree (pass 2), copy typed fields out (pass 3).  Every refusal goes through
 * `malformed:`, which clears m; the msgpack zone is freed at `out:` either way.
 */
int proto_decode(const uint8_t *data, size_t len, struct proto_msg *m, char *err, size_t errlen)
{
	struct s_ctx c = {.err = err, .errlen = errlen};
	msgpack_unpacked up;
	bool up_init = false;
	const msgpack_object *top, *val;
	const struct s_field *fs;
	msgpack_unpack_return ret;
	size_t off = 0, nf;
	uint64_t version, type;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (data == NULL || len == 0) {
		s_err(&c, "truncated frame: 0 bytes");
		goto malformed;
	}
	if (len > PROTO_MAX_MSG_BYTES) {
		s_err(&c, "frame of %zu bytes exceeds PROTO_MAX_MSG_BYTES (%d)", len,
		      PROTO_MAX_MSG_BYTES);
		goto malformed;
	}
	if (s_walk_frame(data, len, &c) != 0)
		goto malformed;

	msgpack_unpacked_init(&up);
	up_init = true;
	ret = msgpack_unpack_next(&up, (const char *)data, len, &off);
	if (ret != MSGPACK_UNPACK_SUCCESS || off != len) {
		s_err(&c, "msgpack refused the frame (code %d, %zu of %zu bytes used)", (int)ret,
		      off, len);
		goto malformed;
	}
	top = &up.data;
	if (top->type != MSGPACK_OBJECT_MAP) {
		s_err(&c, "frame is not a map (got %s)", s_objtype(top->type));
		goto malformed;
	}
	if (s_check_keys(&c, &top->via.map) != 0)
		goto malformed;

	if (s_find(&c, &top->via.map, &s_version_field, &val) != 0 ||
	    s_dec_uint(&c, &s_version_field, val, &version) != 0)
		goto malformed;
	if (version != PROTO_VERSION) {
		s_err(&c, "unsupported protocol version %" PRIu64 " (this build speaks %d)",
		      version, PROTO_VERSION);
		goto malformed;
	}
	if (s_find(&c, &top->via.map, &s_type_field, &val) != 0 ||
	    s_dec_uint(&c, &s_type_field, val, &type) != 0)
		goto malformed;
	fs = s_body(type, &nf);
	if (fs == NULL) {
		s_err(&c, "unknown message type %" PRIu64, type);
		goto malformed;
	}
	m->type = (enum proto_type)type;
	if (s_dec_fields(&c, &top->via.map, fs, nf, (char *)&m->u) != 0)
		goto malformed;
	rc = 0;
	goto out;

malformed:
	proto_msg_clear(m);
	rc = -1;
out:
	if (up_init)
		msgpack_unpacked_destroy(&up);
	return rc;
}

/* ------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

static int s_enc_nomem(struct s_ctx *c)
{
	s_err(c, "out of memory while encoding");
	return -1;
}

static int s_pack_cstr(msgpack_packer *pk, const char *s, size_t n)
{
	if (msgpack_pack_str(pk, n) != 0)
		return -1;
	return n > 0 ? msgpack_pack_str_body(pk, s, n) : 0;
}

/* A fixed-size string field: must be NUL-terminated inside its array. */
static int s_enc_str(struct s_ctx *c, msgpack_packer *pk, const struct s_field *f, long idx,
                     const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size) {
		s_ferr(c, f, idx, "not NUL-terminated within its %zu bytes", size);
		return -1;
	}
	if (s_pack_cstr(pk, s, n) != 0)
		return s_enc_nomem(c);
	return 0;
}

static int s_enc_uint(struct s_ctx *c, msgpack_packer *pk, const struct s_field *f, uint64_t u)
{
	if (f->kind == K_MASK) {
		if ((u & ~(uint64_t)f->max) != 0) {
			s_ferr(c, f, -1, "unknown bits in 0x%" PRIx64 " (allowed 0x%" PRIx32 ")", u,
			       f->max);
			return -1;
		}
	} else if (u < f->min || u > f->max) {
		s_ferr(c, f, -1, "value %" PRIu64 " out of range %" PRIu32 "..%" PRIu32, u, f->min,
		       f->max);
		return -1;
	}
	if (msgpack_pack_uint64(pk, u) != 0)
		return s_enc_nomem(c);
	return 0;
}

static int s_enc_fields(struct s_ctx *c, msgpack_packer *pk, const struct s_field *fs, size_t nf,
                        const char *base);

static int s_enc_field(struct s_ctx *c, msgpack_packer *pk, const struct s_field *f,
                       const char *base)
{
	char saved[PROTO_ERR_PATH_LEN];
	int rc;

	switch (f->kind) {
	case K_STR:
		return s_enc_str(c, pk, f, -1, base + f->off, f->size);
	case K_U32:
	case K_MASK: {
		uint32_t v;

		memcpy(&v, base + f->off, sizeof(v));
		return s_enc_uint(c, pk, f, v);
	}
	case K_U16: {
		uint16_t v;

		memcpy(&v, base + f->off, sizeof(v));
		return s_enc_uint(c, pk, f, v);
	}
	case K_ENUM: {
		unsigned int v;

		memcpy(&v, base + f->off, sizeof(v));
		return s_enc_uint(c, pk, f, v);
	}
	case K_BOOL: {
		bool v;

		memcpy(&v, base + f->off, sizeof(v));
		if ((v ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) != 0)
			return s_enc_nomem(c);
		return 0;
	}
	case K_STRS: {
		size_t n;

		memcpy(&n, base + f->count_off, sizeof(n));
		if (n > f->max) {
			s_ferr(c, f, -1, "%zu elements exceed the limit of %" PRIu32, n, f->max);
			return -1;
		}
		if (msgpack_pack_array(pk, n) != 0)
			return s_enc_nomem(c);
		for (size_t i = 0; i < n; i++)
			if (s_enc_str(c, pk, f, (long)i, base + f->off + i * f->size, f->size) != 0)
				return -1;
		return 0;
	}
	case K_I64: {
		int64_t v;

		memcpy(&v, base + f->off, sizeof(v));
		if (msgpack_pack_int64(pk, v) != 0)
			return s_enc_nomem(c);
		return 0;
	}
	case K_MAP:
		if (msgpack_pack_map(pk, f->nsub) != 0)
			return s_enc_nomem(c);
		s_path_push(c, f, -1, saved);
		rc = s_enc_fields(c, pk, f->sub, f->nsub, base + f->off);
		s_path_pop(c, saved);
		return rc;
	case K_OBJS: {
		const char *elems;
		size_t n;

		memcpy(&elems, base + f->off, sizeof(elems));
		memcpy(&n, base + f->count_off, sizeof(n));
		if (n > f->max) {
			s_ferr(c, f, -1, "%zu %s exceed the limit of %" PRIu32, n, f->name, f->max);
			return -1;
		}
		if (n > 0 && elems == NULL) {
			s_ferr(c, f, -1, "%zu %s but no array", n, f->name);
			return -1;
		}
		if (msgpack_pack_array(pk, n) != 0)
			return s_enc_nomem(c);
		for (size_t i = 0; i < n; i++) {
			if (msgpack_pack_map(pk, f->nsub) != 0)
				return s_enc_nomem(c);
			s_path_push(c, f, (long)i, saved);
			rc = s_enc_fields(c, pk, f->sub, f->nsub, elems + i * f->size);
			s_path_pop(c, saved);
			if (rc != 0)
				return -1;
		}
		return 0;
	}
	}
	s_ferr(c, f, -1, "internal error: unknown field kind");
	return -1;
}

/* Pack key and value of every field of fs[nf] from the struct at base (the
 * caller has packed the map header). */
static int s_enc_fields(struct s_ctx *c, msgpack_packer *pk, const struct s_field *fs, size_t nf,
                        const char *base)
{
	for (size_t i = 0; i < nf; i++) {
		if (s_pack_cstr(pk, fs[i].key, strlen(fs[i].key)) != 0)
			return s_enc_nomem(c);
		if (s_enc_field(c, pk, &fs[i], base) != 0)
			return -1;
	}
	return 0;
}

/*
 * See proto.h.  Writes {"v", "t", body fields in table order}; checks every
 * field against the same bounds the decoder applies and the total against
 * PROTO_MAX_MSG_BYTES.  On failure *out is NULL and *outlen 0.
 */
int proto_encode(const struct proto_msg *m, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	struct s_ctx c = {.err = err, .errlen = errlen};
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const struct s_field *fs;
	size_t nf;
	int rc = -1;

	msgpack_sbuffer_init(&sb);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	*out = NULL;
	*outlen = 0;
	fs = s_body((uint64_t)m->type, &nf);
	if (fs == NULL) {
		s_err(&c, "unknown message type %d", (int)m->type);
		goto out;
	}
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (msgpack_pack_map(&pk, nf + 2) != 0 || s_pack_cstr(&pk, "v", 1) != 0 ||
	    msgpack_pack_uint32(&pk, PROTO_VERSION) != 0 || s_pack_cstr(&pk, "t", 1) != 0 ||
	    msgpack_pack_uint32(&pk, (uint32_t)m->type) != 0) {
		s_enc_nomem(&c);
		goto out;
	}
	if (s_enc_fields(&c, &pk, fs, nf, (const char *)&m->u) != 0)
		goto out;
	if (sb.size > PROTO_MAX_MSG_BYTES) {
		s_err(&c, "encoded %s of %zu bytes exceeds PROTO_MAX_MSG_BYTES (%d)",
		      proto_type_name(m->type), sb.size, PROTO_MAX_MSG_BYTES);
		goto out;
	}
	*outlen = sb.size;
	*out = (uint8_t *)msgpack_sbuffer_release(&sb);
	rc = 0;
out:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}
