/*
 * limits.h -- every bound vantage enforces, in one place.
 *
 * Nothing else in the tree may use a bare number for a size, a count, a
 * deadline or a retry.  Values marked "LE" are Let's Encrypt's (Boulder's)
 * behaviour from ../shared/reference/letsencrypt-validation.md; changing one
 * changes how faithfully vantage mimics the CA.
 */
#ifndef VANTAGE_LIMITS_H
#define VANTAGE_LIMITS_H

#define VANTAGE_VERSION "0.1.0"

/* ---- wire protocol (proto/) ---- */
#define PROTO_VERSION       1      /* the only version this build speaks */
#define PROTO_MAX_MSG_BYTES 262144 /* also ZMQ_MAXMSGSIZE on both sockets */
#define PROTO_MAX_DEPTH     6      /* msgpack nesting accepted */
#define PROTO_MAX_MAP_KEYS  32     /* keys in any one map */
#define PROTO_MAX_ARRAY     64     /* elements in any one array */
#define PROTO_MAX_STR       4096   /* bytes in any one string */

/* ---- names, addresses, texts ---- */
#define LIMIT_DOMAIN_LEN        253  /* RFC 1035 presentation length */
#define LIMIT_URL_LEN           2300 /* redirect path (2000) + scheme + host */
#define LIMIT_TOKEN_LEN         128  /* ACME tokens are 43; leave room */
#define LIMIT_KEYAUTH_LEN       256  /* token '.' thumbprint is 87 */
#define LIMIT_DETAIL_LEN        1024 /* one problem detail text */
#define LIMIT_WARNING_LEN       512  /* one warning text */
#define LIMIT_MAX_WARNINGS      4    /* warnings per result */
#define LIMIT_AGENT_NAME_LEN    63   /* agent names: [A-Za-z0-9._-] */
#define LIMIT_REGION_LEN        63   /* region / RIR labels */
#define LIMIT_ADDR_LEN          46   /* INET6_ADDRSTRLEN */
#define LIMIT_MAX_ADDRS         8    /* addresses kept per family per host */
#define LIMIT_MAX_RECORDS       26   /* validation records per result (2 walks of 13) */
#define LIMIT_JOB_ID_LEN        32   /* hex characters of a job id */
#define LIMIT_DOMAINS_PER_CHECK 32   /* domains in one `vantage check` */
#define LIMIT_AGENTS            256  /* agents a coordinator will track */
#define LIMIT_ENROLL_TOKEN_LEN  64   /* characters of an enrolment token (32 used) */

/* ---- HTTP-01 as Boulder does it (LE) ---- */
#define HTTP01_PORT               80
#define HTTPS_PORT                443
#define HTTP01_MAX_BODY           128   /* maxResponseSize; a body this long fails */
#define HTTP01_MAX_REDIRECTS      10    /* maxRedirect; checked before the increment */
#define HTTP01_MAX_REDIRECT_PATH  2000  /* "Redirect target too long" */
#define HTTP01_DIAL_TIMEOUT_MS    10000 /* singleDialTimeout */
#define HTTP01_TLS_TIMEOUT_MS     10000 /* TLSHandshakeTimeout */
#define HTTP01_BUDGET_OVERHEAD_MS 220   /* 200 ms processHTTPValidation + 20 ms gRPC */
#define HTTP01_MAX_ADDRS_TRIED    2     /* first IPv6, then first IPv4 */
#define LE_USER_AGENT                                                                              \
	"Mozilla/5.0 (compatible; Let's Encrypt validation server; +https://www.letsencrypt.org)"

/* ---- TLS-ALPN-01, DNS-01, CAA ---- */
#define TLSALPN_PORT          443
#define TLSALPN_PROTOCOL      "acme-tls/1"
#define LIMIT_MAX_SANS        16  /* SANs kept from a captured certificate */
#define LIMIT_CERT_NAME_LEN   256 /* subject / issuer one-line text */
#define LIMIT_MAX_NAMESERVERS 16  /* nameserver addresses swept per zone */
#define LIMIT_TXT_LEN         512 /* one nameserver's answer, joined and cut */
#define LIMIT_SERVER_LEN      128 /* the HTTP Server header kept from a response */
#define LIMIT_BODY_EXCERPT    256 /* bytes of a response body kept (interceptors) */
#define LIMIT_DIGEST_LEN      64  /* base64url SHA-256 is 43 characters */
#define LIMIT_CAA_ISSUER_LEN  253 /* issuer domain name */
#define CAA_DEFAULT_ISSUER    "letsencrypt.org"
#define DNS01_LABEL           "_acme-challenge"

/* ---- DNS ---- */
#define DNS_MAX_ANSWER_BYTES 65535 /* a DNS message */
#define DNS_TIMEOUT_MS       5000  /* one resolution, all retries */

/* ---- jobs and liveness ---- */
#define JOB_DEFAULT_BUDGET_MS 20000 /* LE test config RA->VA timeout */
#define JOB_MIN_BUDGET_MS     1000
#define JOB_MAX_BUDGET_MS     120000
#define JOB_GRACE_MS          2000  /* coordinator waits budget + grace */
#define AGENT_MAX_INFLIGHT    2000  /* probes one agent runs at once */
#define HEARTBEAT_IVL_MS      1000  /* default; configurable */
#define HEARTBEAT_LIVENESS    3     /* missed heartbeats before "down" */
#define RECONNECT_MIN_MS      1000  /* agent backoff, doubling ... */
#define RECONNECT_MAX_MS      32000 /* ... up to this */
#define ENROLL_RETRY_MS       5000  /* an enrolling agent, told to wait, retries this often */
#define ZMQ_HANDSHAKE_MS      10000 /* ZMQ_HANDSHAKE_IVL */
#define ZMQ_LINGER_MS         500   /* never block ctx_term forever */
#define ZMQ_HWM               10000 /* per-peer queue bound */

/* ---- coordinator API ---- */
#define API_DEFAULT_PORT    8750  /* HTTP API, 127.0.0.1 by default */
#define AGENT_DEFAULT_PORT  8751  /* ZeroMQ ROUTER for agents */
#define API_MAX_BODY        65536 /* request body accepted */
#define API_MAX_CONNECTIONS 64
#define API_TOKEN_LEN       64 /* hex characters */
#define DEFAULT_MIN_ANSWERS 3  /* fewer answers -> verdict unknown */

#endif
