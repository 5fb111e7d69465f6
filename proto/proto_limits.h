/*
 * proto_limits.h -- bounds proto/ enforces on field values, beyond the frame
 * limits in common/limits.h.  Internal to proto/ (and its tests).
 */
#ifndef VANTAGE_PROTO_LIMITS_H
#define VANTAGE_PROTO_LIMITS_H

#include "../common/result.h"

#define PROTO_MAX_HTTP_STATUS 999   /* three digits; 0 means "no status seen" */
#define PROTO_MAX_PORT        65535 /* a TCP port */
#define PROTO_ERR_PATH_LEN    48    /* "rec[25].p." and the like, for error texts */

/* HELLO's methods bitmask: bit (1 << m) for every defined vt_method but NONE. */
#define PROTO_METHOD_MASK ((1u << (VT_METHOD_TLSCERT + 1)) - 2u)

/* A CAA job's caa_methods: the validation methods only (CAA's
 * validationmethods parameter names challenge types; CAA and tls-cert are
 * not). */
#define PROTO_CAA_METHOD_MASK                                                                      \
	((1u << VT_METHOD_HTTP01) | (1u << VT_METHOD_TLSALPN01) | (1u << VT_METHOD_DNS01))

/*
 * Worst-case encoded sizes, to prove at compile time that the largest RESULT
 * the encoder can produce fits PROTO_MAX_MSG_BYTES.  Every string is counted
 * with its full field size and a 5-byte header (msgpack's largest), every key
 * as 8 bytes (fixstr header + at most 7 characters; RESULT's 16 keys and
 * its problem's and timings' 5 are counted as 24), every number and boolean
 * as 9 bytes and every map or array header as 5 bytes: all over-estimates.
 */
#define PROTO_WC_HDR    5u
#define PROTO_WC_KEY    8u
#define PROTO_WC_NUM    9u
#define PROTO_WC_STR(n) ((unsigned)(n) + PROTO_WC_HDR)
/* A char[] member of T, counted at its full size. */
#define PROTO_WC_MEMBER(T, m) PROTO_WC_STR(sizeof(((T *)0)->m))
#define PROTO_WC_RECORD                                                                            \
	(PROTO_WC_HDR + 6u * PROTO_WC_KEY + PROTO_WC_STR(LIMIT_URL_LEN) +                          \
	 PROTO_WC_STR(LIMIT_DOMAIN_LEN) + PROTO_WC_NUM + PROTO_WC_HDR +                            \
	 (LIMIT_MAX_ADDRS * 2u + 1u + HTTP01_MAX_ADDRS_TRIED) * PROTO_WC_STR(LIMIT_ADDR_LEN) +     \
	 PROTO_WC_HDR)
#define PROTO_WC_NAMESERVER                                                                        \
	(PROTO_WC_HDR + 9u * PROTO_WC_KEY + PROTO_WC_STR(LIMIT_DOMAIN_LEN) +                       \
	 PROTO_WC_STR(LIMIT_ADDR_LEN) + PROTO_WC_MEMBER(struct vt_nameserver, rcode) +             \
	 PROTO_WC_STR(LIMIT_TXT_LEN) + PROTO_WC_STR(LIMIT_WARNING_LEN) + 5u * PROTO_WC_NUM)
/* The certificate map: 9 keys, then tls-cert's 5 (chain length, chain
 * issuers, chain verified, name matches, verify error). */
#define PROTO_WC_CERT                                                                              \
	(PROTO_WC_HDR + 14u * PROTO_WC_KEY + 2u * PROTO_WC_STR(LIMIT_CERT_NAME_LEN) +              \
	 PROTO_WC_HDR + LIMIT_MAX_SANS * PROTO_WC_STR(LIMIT_DOMAIN_LEN) + 3u * PROTO_WC_NUM +      \
	 PROTO_WC_MEMBER(struct vt_cert, sha256) + PROTO_WC_MEMBER(struct vt_cert, tls_version) +  \
	 PROTO_WC_MEMBER(struct vt_cert, alpn) + 3u * PROTO_WC_NUM + PROTO_WC_HDR +                \
	 VT_CERT_MAX_CHAIN * PROTO_WC_STR(LIMIT_CERT_NAME_LEN) +                                   \
	 PROTO_WC_MEMBER(struct vt_cert, verify_error))
#define PROTO_WC_RESULT                                                                            \
	(PROTO_WC_HDR + 24u * PROTO_WC_KEY + 4u * PROTO_WC_NUM + PROTO_WC_STR(LIMIT_JOB_ID_LEN) +  \
	 PROTO_WC_STR(LIMIT_DOMAIN_LEN) + PROTO_WC_HDR + PROTO_WC_NUM +                            \
	 PROTO_WC_STR(LIMIT_DETAIL_LEN) + PROTO_WC_HDR +                                           \
	 LIMIT_MAX_WARNINGS * PROTO_WC_STR(LIMIT_WARNING_LEN) + PROTO_WC_HDR + 3u * PROTO_WC_NUM + \
	 PROTO_WC_HDR + LIMIT_MAX_RECORDS * PROTO_WC_RECORD + PROTO_WC_CERT +                      \
	 PROTO_WC_MEMBER(struct vt_result, dnssec) + PROTO_WC_HDR +                                \
	 LIMIT_MAX_NAMESERVERS * PROTO_WC_NAMESERVER + PROTO_WC_MEMBER(struct vt_result, server) + \
	 PROTO_WC_MEMBER(struct vt_result, body))

#endif
