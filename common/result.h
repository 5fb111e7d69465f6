/*
 * result.h -- what a vantage is asked to do and what it found.
 *
 * These plain structs are the common language of the tree: the agent's probes
 * fill a vt_result, proto/ carries vt_job and vt_result over the wire, and the
 * verdict and report code in common/ judge and print them.  Every string is a
 * fixed, NUL-terminated array bounded by limits.h, so a result can be copied
 * and freed without following pointers -- except `records`, which is owned by
 * the result and released with vt_result_clear().
 */
#ifndef VANTAGE_RESULT_H
#define VANTAGE_RESULT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "limits.h"

/* Challenge methods.  Only HTTP-01 exists in the walking skeleton; the
 * numbering is part of the wire format, so values never change. */
enum vt_method {
	VT_METHOD_NONE = 0,
	VT_METHOD_HTTP01 = 1,
	VT_METHOD_TLSALPN01 = 2,
	VT_METHOD_DNS01 = 3,
	VT_METHOD_CAA = 4,
	/* Not a challenge: the certificate an ordinary TLS handshake on 443
	 * (SNI, ALPN http/1.1) gets, for expiry monitoring ("tls-cert"). */
	VT_METHOD_TLSCERT = 5,
};

/* What a job asks of the probe (wire values). */
enum vt_mode {
	VT_MODE_VALIDATE = 1,     /* key authorization known: pass or fail */
	VT_MODE_REACHABILITY = 2, /* random token: 200/404 is "reachable" */
};

/* One vantage's outcome for one (domain, method). */
enum vt_outcome {
	VT_OUTCOME_PASS = 1,
	VT_OUTCOME_REACHABLE = 2,
	VT_OUTCOME_FAIL = 3,
	VT_OUTCOME_UNAVAILABLE = 4, /* the vantage did not answer in time */
};

/* ACME problem types as Let's Encrypt reports them (RFC 8555 6.7). */
enum vt_problem_type {
	VT_PROB_NONE = 0,
	VT_PROB_CONNECTION = 1,
	VT_PROB_DNS = 2,
	VT_PROB_UNAUTHORIZED = 3,
	VT_PROB_TLS = 4,
	VT_PROB_MALFORMED = 5,
	VT_PROB_CAA = 6,
	VT_PROB_SERVER_INTERNAL = 7,
};

/* A job: one probe of one domain by one method, with a time budget the
 * receiver converts to its own monotonic clock (clocks may be skewed, so no
 * wall-clock deadline ever crosses the wire). */
struct vt_job {
	char id[LIMIT_JOB_ID_LEN + 1]; /* hex, unique per coordinator */
	enum vt_method method;
	enum vt_mode mode;
	uint32_t budget_ms;                            /* JOB_MIN..JOB_MAX_BUDGET_MS */
	char domain[LIMIT_DOMAIN_LEN + 1];             /* lower case, no trailing dot */
	char token[LIMIT_TOKEN_LEN + 1];               /* the URL's last segment */
	char key_authorization[LIMIT_KEYAUTH_LEN + 1]; /* "" in reachability mode */
	/* TLS-ALPN-01 / DNS-01 when only the digest is known (uacme hands its
	 * hooks no more): base64url(SHA-256(key authorization)), 43 chars; ""
	 * when key_authorization is set (the agent derives it) or unknown. */
	char digest[LIMIT_DIGEST_LEN + 1];
	/* CAA: the CA's issuer domain ("letsencrypt.org" by default), the
	 * account URI to match against accounturi ("" = unknown, any matches)
	 * and the methods being validated (bit 1 << vt_method) to match against
	 * validationmethods. */
	char caa_issuer[LIMIT_CAA_ISSUER_LEN + 1];
	char caa_account_uri[LIMIT_URL_LEN + 1];
	uint32_t caa_methods;
};

/* One Let's Encrypt validation record (Boulder core.ValidationRecord). */
struct vt_record {
	char url[LIMIT_URL_LEN + 1]; /* "" for non-HTTP methods */
	char hostname[LIMIT_DOMAIN_LEN + 1];
	uint16_t port; /* JSON renders it as a string */
	char addresses_resolved[LIMIT_MAX_ADDRS * 2][LIMIT_ADDR_LEN];
	size_t n_addresses_resolved; /* IPv6 first, then IPv4 */
	char address_used[LIMIT_ADDR_LEN];
	char addresses_tried[HTTP01_MAX_ADDRS_TRIED][LIMIT_ADDR_LEN];
	size_t n_addresses_tried;
};

struct vt_problem {
	enum vt_problem_type type; /* VT_PROB_NONE: no problem */
	char detail[LIMIT_DETAIL_LEN];
};

/* Issuer names kept from the chain a server sends (tls-cert); a longer
 * chain is still counted in chain_len. */
#define VT_CERT_MAX_CHAIN 4

/* The leaf certificate a TLS handshake received (TLS-ALPN-01, and the normal
 * certificate on 443 in reachability mode, which monitoring reuses). */
struct vt_cert {
	bool present;
	char subject[LIMIT_CERT_NAME_LEN]; /* one-line RFC 2253 text */
	char issuer[LIMIT_CERT_NAME_LEN];
	char sans[LIMIT_MAX_SANS][LIMIT_DOMAIN_LEN + 1]; /* dNSName / iPAddress text */
	size_t n_sans;
	int64_t not_before; /* Unix seconds */
	int64_t not_after;
	char sha256[65];      /* hex SHA-256 of the DER */
	char tls_version[16]; /* "TLSv1.3" */
	char alpn[32];        /* negotiated protocol, "" if none */
	/* The chain as the server sent it (leaf first): how many certificates,
	 * and the issuer of each of the first VT_CERT_MAX_CHAIN (RFC 2253). */
	uint32_t chain_len;
	char chain_issuers[VT_CERT_MAX_CHAIN][LIMIT_CERT_NAME_LEN];
	size_t n_chain_issuers;
	/* tls-cert only (false / "" for other methods): the chain verifies
	 * against the agent's system trust store (time included), the leaf
	 * names the domain (X509_check_host / _ip), and OpenSSL's words for
	 * what failed: "<chain error>", "hostname mismatch" or both, joined
	 * by "; "; "" when both hold. */
	bool chain_verified;
	bool name_matches;
	char verify_error[128];
};

/* One authoritative nameserver address as a vantage saw it (DNS-01 sweep). */
struct vt_nameserver {
	char name[LIMIT_DOMAIN_LEN + 1]; /* NS host name */
	char address[LIMIT_ADDR_LEN];
	bool reachable;             /* answered at all */
	char rcode[16];             /* "NOERROR", "NXDOMAIN", ...; "" if none */
	char answer[LIMIT_TXT_LEN]; /* TXT values, quoted, joined by " " */
	uint32_t ttl;               /* of the answer RRset; 0 if none */
	bool matches;               /* serves the expected value */
	uint32_t rtt_ms;
	char error[LIMIT_WARNING_LEN]; /* why not reachable, "" otherwise */
};

/* Phase timings in milliseconds; 0 when the phase did not happen. */
struct vt_timings {
	uint32_t resolve_ms;
	uint32_t connect_ms;
	uint32_t total_ms;
};

/* A vantage's answer to one job. */
struct vt_result {
	char job_id[LIMIT_JOB_ID_LEN + 1];
	enum vt_method method;
	char domain[LIMIT_DOMAIN_LEN + 1];
	enum vt_outcome outcome;
	struct vt_problem problem;
	uint32_t http_status; /* last HTTP status seen, 0 if none */
	/* HTTP-01: the last response's Server header ("" if none) and the
	 * start of its body, bytes outside printable ASCII replaced by '.'
	 * ("" if none); the findings recognise interceptors (Cloudflare, a
	 * router's admin page, a firewall's block page) by them. */
	char server[LIMIT_SERVER_LEN];
	char body[LIMIT_BODY_EXCERPT + 1];
	char warnings[LIMIT_MAX_WARNINGS][LIMIT_WARNING_LEN];
	size_t n_warnings;
	struct vt_timings timings;
	struct vt_record *records; /* owned; n_records of them */
	size_t n_records;
	struct vt_cert cert;               /* TLS-ALPN-01 only */
	char dnssec[16];                   /* "secure", "insecure", "bogus", "" */
	struct vt_nameserver *nameservers; /* owned; DNS-01 sweep */
	size_t n_nameservers;
};

/*
 * Markers in agent warnings that the findings recognise (each warning text
 * contains its marker verbatim; see the agent file named):
 *   resolver.c: "A record 192.168.1.10 of x.example.com is in a reserved
 *               address block (RFC 1918 private): Let's Encrypt ignores it"
 *   dns01.c:    "TXT record at the doubled name
 *               _acme-challenge.x.example.com.example.com: the DNS
 *               provider's form took a fully qualified name as relative"
 *   dns01.c:    "_acme-challenge.x.example.com holds 7 TXT records, 6 of
 *               them stale TXT records (not the expected value)"
 */
#define VT_WARN_RESERVED     "is in a reserved address block"
#define VT_WARN_DOUBLE_LABEL "TXT record at the doubled name"
#define VT_WARN_STALE_TXT    "stale TXT records"

/* Names used on the command line, in JSON and in logs.  Return a static
 * string ("unknown" for an out-of-range value). */
const char *vt_method_name(enum vt_method m);
const char *vt_outcome_name(enum vt_outcome o);
const char *vt_problem_type_name(enum vt_problem_type t);
/* Parse a method name ("http-01"); VT_METHOD_NONE if unknown. */
enum vt_method vt_method_parse(const char *s);

#define VT_TIME_LEN 32 /* "2024-01-02T03:04:05Z", a NUL, and room */
/* Unix seconds t as RFC 3339 UTC ("2024-01-02T03:04:05Z") into buf (at
 * least VT_TIME_LEN).  0, or -1 with buf "" when t is not representable:
 * each caller decides what stands in for it (null, "?", ...). */
int vt_time_rfc3339(int64_t t, char *buf, size_t len);

/* Append a zeroed record to r (at most LIMIT_MAX_RECORDS).  Returns the new
 * record, or NULL when full or out of memory; r keeps ownership. */
struct vt_record *vt_result_add_record(struct vt_result *r);
/* Append a zeroed nameserver entry (at most LIMIT_MAX_NAMESERVERS); NULL
 * when full or out of memory; r keeps ownership. */
struct vt_nameserver *vt_result_add_nameserver(struct vt_result *r);
/* Add a warning (truncated to LIMIT_WARNING_LEN); silently ignored when full. */
void vt_result_add_warning(struct vt_result *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Set outcome FAIL and the problem, printf-style (truncated to fit). */
void vt_result_fail(struct vt_result *r, enum vt_problem_type type, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Free the records and nameservers and zero the struct.  Safe on a zeroed result. */
void vt_result_clear(struct vt_result *r);
/* Deep copy src into dst (dst must be zeroed or cleared).  0 or -1 (ENOMEM). */
int vt_result_copy(struct vt_result *dst, const struct vt_result *src);

#endif
