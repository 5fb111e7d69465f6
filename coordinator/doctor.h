/*
 * doctor.h -- `vantage doctor`: can this machine (and optionally every
 * vantage) reach the ACME CA?  DNS, TCP to the directory's port, TLS >= 1.2,
 * the chain against the local trust store (and expired roots still in it),
 * clock skew against the server's Date header, the directory's JSON.
 *
 * The probes (doctor_run) gather evidence into a struct doctor_report; pure
 * functions judge each step into a struct doctor_check (status, one line of
 * evidence, and for a warning or failure a plain-language cause and fix), so
 * the unit tests can exercise the judgements without a network.  The report
 * is rendered as a table (doctor_report_print) or as JSON
 * (doctor_report_json); docs/doctor.md describes both.
 */
#ifndef VANTAGE_DOCTOR_H
#define VANTAGE_DOCTOR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <jansson.h>

#include "../common/limits.h"

#define DOCTOR_DEFAULT_DIRECTORY "https://acme-v02.api.letsencrypt.org/directory"

/* Bounds.  Every step has its own timeout, and the run as a whole a
 * deadline, so `vantage doctor` ends within DOCTOR_RUN_BUDGET_MS plus the
 * coordinator's answer time (which runs in parallel with the local steps). */
#define DOCTOR_DEFAULT_TIMEOUT_MS    10000 /* --timeout-ms: connect, handshake, GET */
#define DOCTOR_DEFAULT_RESOLVER_MS   10000 /* --resolver-timeout-ms: getaddrinfo */
#define DOCTOR_MIN_TIMEOUT_MS        100
#define DOCTOR_MAX_TIMEOUT_MS        30000
#define DOCTOR_RUN_BUDGET_MS         55000       /* every local step together */
#define DOCTOR_DEFAULT_MAX_SKEW_S    300         /* --max-skew: fail above */
#define DOCTOR_WARN_SKEW_S           30          /* warn above */
#define DOCTOR_MAX_SKEW_LIMIT_S      86400       /* largest --max-skew accepted */
#define DOCTOR_MAX_ADDRS             8           /* addresses tried per family */
#define DOCTOR_MAX_DIRECTORY_BYTES   (64u << 10) /* directory body accepted */
#define DOCTOR_MAX_HEADER_LEN        256         /* Date / Content-Type kept */
#define DOCTOR_MAX_REDIRECTS         3           /* followed by the directory GET */
#define DOCTOR_MAX_STORE_CERTS       5000        /* certificates read from the trust store */
#define DOCTOR_MAX_STORE_FILE_BYTES  (16u << 20) /* a CA bundle file read whole */
#define DOCTOR_MAX_STORE_DIR_ENTRIES 20000       /* directory entries looked at */
#define DOCTOR_MAX_STORE_DIRS        4           /* SSL_CERT_DIR elements scanned */
#define DOCTOR_MAX_EXPIRED_ROOTS     8           /* expired roots named */
#define DOCTOR_MAX_RESOLVERS         3           /* nameservers read from resolv.conf */
#define DOCTOR_RESOLV_CONF_MAX       8192        /* bytes of resolv.conf read */
#define DOCTOR_RESOLV_CONF           "/etc/resolv.conf"
#define DOCTOR_VANTAGE_BUDGET_MS     15000 /* job budget asked of the coordinator */
#define DOCTOR_TEXT_LEN              640   /* detail, cause, fix */
#define DOCTOR_ERR_LEN               256   /* one error text */
#define DOCTOR_NAME_LEN              LIMIT_CERT_NAME_LEN
#define DOCTOR_TIME_LEN              32 /* "2021-09-30T14:01:15Z" */
#define DOCTOR_TLS_NAME_LEN          64 /* "TLSv1.3", a cipher name */

enum doctor_status {
	DOCTOR_OK = 0,
	DOCTOR_WARN,
	DOCTOR_FAIL,
	DOCTOR_SKIPPED,
};

/* The checks, in the order they run and are shown. */
enum doctor_check_id {
	DOCTOR_CHECK_DNS = 0,
	DOCTOR_CHECK_TCP,
	DOCTOR_CHECK_TLS,
	DOCTOR_CHECK_CHAIN,
	DOCTOR_CHECK_EXPIRED_ROOTS,
	DOCTOR_CHECK_CLOCK,
	DOCTOR_CHECK_DIRECTORY,
	DOCTOR_CHECK_VANTAGES, /* only with --vantages */
	DOCTOR_N_CHECKS
};

/* One judged step.  detail is the evidence in one line; cause and fix are
 * empty unless the status is warn or fail.  All text is printable ASCII
 * (untrusted text is escaped before it goes in). */
struct doctor_check {
	enum doctor_status status;
	bool present; /* part of this run (vantages: only with --vantages) */
	char detail[DOCTOR_TEXT_LEN];
	char cause[DOCTOR_TEXT_LEN];
	char fix[DOCTOR_TEXT_LEN];
};

/* `vantage doctor`'s options after doctor_parse.  Strings point into argv. */
struct doctor_opts {
	const char *directory; /* DOCTOR_DEFAULT_DIRECTORY unless --directory */
	const char *cacert, *capath;
	long resolver_timeout_ms, timeout_ms;
	long max_skew_s;
	bool vantages;
	const char *coordinator, *token_file, *coordinator_cacert; /* NULL: defaults */
	bool json, no_color;
};

/* The directory URL's parts doctor needs. */
struct doctor_url {
	char host[LIMIT_DOMAIN_LEN + 1]; /* an IPv6 literal without brackets */
	uint16_t port;                   /* 443 unless the URL says otherwise */
	bool ip_literal;
};

/* How a TCP connect to one address ended. */
enum doctor_conn {
	DOCTOR_CONN_NOT_TRIED = 0,
	DOCTOR_CONN_OK,
	DOCTOR_CONN_REFUSED,
	DOCTOR_CONN_TIMEOUT,
	DOCTOR_CONN_UNREACHABLE, /* no route, network unreachable, no such address */
	DOCTOR_CONN_ERROR,       /* anything else (errno in err) */
};

struct doctor_addr {
	int family; /* AF_INET or AF_INET6 */
	char text[LIMIT_ADDR_LEN];
	struct sockaddr_storage sa;
	socklen_t salen;
	enum doctor_conn conn;
	int err; /* errno of a failed connect */
	long ms; /* connect time */
};

/* What getaddrinfo said. */
struct doctor_dns_ev {
	int gai_rc;     /* 0 or EAI_* */
	int sys_errno;  /* with EAI_SYSTEM */
	bool timed_out; /* no answer within --resolver-timeout-ms */
	long ms;
	char resolvers[DOCTOR_MAX_RESOLVERS][LIMIT_ADDR_LEN]; /* from resolv.conf */
	size_t n_resolvers;
};

/* The TLS handshakes and the chain the server sent. */
struct doctor_tls_ev {
	bool attempted, ok;
	char addr[LIMIT_ADDR_LEN];
	char version[DOCTOR_TLS_NAME_LEN], cipher[DOCTOR_TLS_NAME_LEN];
	char error[DOCTOR_ERR_LEN]; /* OpenSSL's words for a failed handshake */
	bool proto_refused;         /* the failure was about the protocol version */
	bool not_tls;               /* the port does not speak TLS (wrong version number) */
	bool timed_out;
	int tls13, tls12, legacy;                 /* accepted alone: 1 yes, 0 no, -1 not tried */
	char legacy_version[DOCTOR_TLS_NAME_LEN]; /* what a TLS <= 1.1 handshake got */
	/* this machine's OpenSSL */
	char openssl[DOCTOR_ERR_LEN];
	unsigned long openssl_num;
	int seclevel, min_proto, max_proto; /* of a default client context */
	/* the chain (the first handshake) */
	bool have_chain;
	long verify_code; /* X509_V_OK or X509_V_ERR_* */
	char verify_error[DOCTOR_ERR_LEN];
	int chain_len; /* certificates the server sent */
	char leaf_subject[DOCTOR_NAME_LEN], leaf_issuer[DOCTOR_NAME_LEN];
	char root_subject[DOCTOR_NAME_LEN]; /* top of the verified chain, "" if none */
	char leaf_not_before[DOCTOR_TIME_LEN], leaf_not_after[DOCTOR_TIME_LEN];
};

/* The trust store in use: --cacert, --capath, or OpenSSL's defaults with the
 * SSL_CERT_FILE / SSL_CERT_DIR overrides.  Empty strings: none. */
struct doctor_store {
	char file[PATH_MAX];
	char dir[PATH_MAX]; /* may be a ':' list (SSL_CERT_DIR) */
	const char *source; /* "--cacert", "--capath", "OpenSSL's default", ... (static) */
	bool given;         /* --cacert or --capath: only that, no defaults */
};

struct doctor_root {
	char subject[DOCTOR_NAME_LEN]; /* the CN, else the RFC 2253 subject */
	char not_after[DOCTOR_TIME_LEN];
	char where[PATH_MAX];
	unsigned char sha256[32]; /* SHA-256 of the DER, to count duplicates once */
};

/* What the trust store scan found. */
struct doctor_roots_ev {
	size_t scanned;   /* certificates read */
	size_t files;     /* files read */
	bool truncated;   /* stopped at a bound */
	size_t n_expired; /* distinct expired self-signed CAs (may exceed the array) */
	struct doctor_root expired[DOCTOR_MAX_EXPIRED_ROOTS];
	char error[DOCTOR_ERR_LEN]; /* the first unreadable file, "" if none */
};

/* The directory GET (libcurl). */
struct doctor_http_ev {
	bool attempted;
	int curl_rc; /* CURLcode */
	char curl_error[DOCTOR_ERR_LEN];
	bool verify_failed; /* the certificate did not verify */
	bool connect_failed;
	long status;
	char content_type[DOCTOR_MAX_HEADER_LEN];
	char date[DOCTOR_MAX_HEADER_LEN]; /* the Date header as sent, escaped */
	bool have_date;
	int64_t server_date, local_at_date; /* Unix seconds */
	bool date_unverified;               /* read over an unverified connection */
	bool too_big;
	char *body; /* owned, NUL-terminated */
	size_t body_len;
};

/* One vantage's view of the ACME host (a tls-cert result). */
struct doctor_vantage {
	char agent[LIMIT_AGENT_NAME_LEN + 1];
	char region[LIMIT_REGION_LEN + 1];
	char outcome[16];                             /* pass, fail, unavailable */
	int resolved, connected, handshake, verified; /* 1 yes, 0 no, -1 unknown */
	char address[LIMIT_ADDR_LEN];
	char tls_version[DOCTOR_TLS_NAME_LEN];
	char detail[DOCTOR_ERR_LEN]; /* problem, verify error or unavailable reason, escaped */
};

/* Everything one run found.  doctor_report_free releases the owned parts. */
struct doctor_report {
	char directory[LIMIT_URL_LEN + 1];
	struct doctor_url url;
	struct doctor_check checks[DOCTOR_N_CHECKS];
	struct doctor_dns_ev dns;
	struct doctor_addr addrs[2 * DOCTOR_MAX_ADDRS];
	size_t n_addrs;
	struct doctor_tls_ev tls;
	struct doctor_store store;
	struct doctor_roots_ev roots;
	struct doctor_http_ev http;
	json_t *endpoints; /* owned: the directory's URLs and meta, NULL if none */
	bool have_skew;
	int64_t skew_s;                  /* local minus server, seconds */
	struct doctor_vantage *vantages; /* owned, n_vantages of them */
	size_t n_vantages;
	int exit_code;
};

/* `vantage doctor [--directory URL] [options]` (argv[0] is "doctor").
 * Returns the exit status: 0 nothing failed (warnings allowed), 1 a check
 * failed, 2 usage error (bad option, bad URL, unreadable --cacert). */
int doctor_main(int argc, char **argv);

/*
 * Parse `vantage doctor` arguments (argv[0] "doctor") into o: the options
 * above, numbers in range, --cacert and --capath exclusive, --coordinator,
 * --token-file and --coordinator-cacert only with --vantages, no operands,
 * and the directory URL through doctor_parse_url.  Returns 0, 1 for --help,
 * or -1 with the reason in err.  Uses getopt (not reentrant).
 */
int doctor_parse(int argc, char **argv, struct doctor_opts *o, char *err, size_t errlen);

/*
 * Split an ACME directory URL: https only (ACME requires HTTPS, RFC 8555
 * section 6.1), a host (name, IPv4, or bracketed IPv6), the port (443
 * unless given).  0, or -1 with the reason in err.
 */
int doctor_parse_url(const char *url, struct doctor_url *u, char *err, size_t errlen);

/* "ok", "warn", "fail", "skipped". */
const char *doctor_status_name(enum doctor_status s);
/* "dns", "tcp", "tls", "chain", "expired-roots", "clock", "directory", "vantages". */
const char *doctor_check_name(enum doctor_check_id id);

/*
 * Judge the DNS step for host from getaddrinfo's answer (ev) and the
 * addresses it gave (n of them): ok listing them, or fail with the resolver
 * named and a cause and fix for NXDOMAIN, no address, SERVFAIL, a timeout.
 * An IP literal is ok without asking anyone.  Pure.
 */
void doctor_judge_dns(const struct doctor_dns_ev *ev, const char *host, bool ip_literal,
                      const struct doctor_addr *addrs, size_t n, struct doctor_check *c);

/*
 * Judge the TCP step from the connect results: fail when no address
 * connected (refused, timeout, unreachable, each with its cause); warn when
 * one family fails while the other works, except for an IPv6 "no route"
 * (the machine has no IPv6, clients skip it at once); ok otherwise.
 * proxy: an https_proxy/all_proxy variable is set (named in the fix).  Pure.
 */
void doctor_judge_tcp(const struct doctor_addr *addrs, size_t n, uint16_t port, bool proxy,
                      struct doctor_check *c);

/* Judge the TLS step from ev (ok: version, cipher and which of TLS 1.3 / 1.2
 * the server accepts alone; fail: OpenSSL's error with a cause naming an old
 * or restricted local OpenSSL, a server without TLS 1.2, a port that does
 * not speak TLS, or an intercepting middlebox).  Pure. */
void doctor_judge_tls(const struct doctor_tls_ev *ev, struct doctor_check *c);

/* Judge the chain from ev against store (what the trust store was).  Pure:
 * the clock is folded in later by doctor_judge_clock. */
void doctor_judge_chain(const struct doctor_tls_ev *ev, const struct doctor_store *store,
                        struct doctor_check *c);

/* Judge the expired-roots scan. */
void doctor_judge_roots(const struct doctor_roots_ev *ev, const struct doctor_store *store,
                        struct doctor_check *c);

/*
 * Judge the clock: skew_s = local minus server (have: a Date header was
 * read).  ok within DOCTOR_WARN_SKEW_S (or max_skew_s, if smaller), warn up
 * to max_skew_s, fail above.  When chain (may be NULL) failed because a
 * certificate looked expired or not yet valid and the clock is off, the
 * chain's cause is rewritten to name the clock.  Pure.
 */
void doctor_judge_clock(bool have, int64_t skew_s, long max_skew_s, bool unverified,
                        struct doctor_check *c, struct doctor_check *chain,
                        const struct doctor_tls_ev *tls);

/*
 * Judge a directory answer: HTTP status, Content-Type (warn unless JSON),
 * body (at most len bytes, not necessarily NUL-terminated) a JSON object
 * with newNonce, newAccount and newOrder as https:// URLs.  On success
 * *endpoints (caller owns) holds those and revokeCert, keyChange,
 * renewalInfo and meta's termsOfService, website, caaIdentities when
 * present; else NULL.  Pure.
 */
void doctor_judge_directory(long status, const char *content_type, const char *body, size_t len,
                            struct doctor_check *c, json_t **endpoints);

/*
 * Scan the trust store for self-signed CA certificates whose notAfter is
 * before now (Unix seconds): the file, then each directory's hashed names
 * (HASH.N, what OpenSSL's CApath lookup reads).  Bounded by the
 * DOCTOR_MAX_STORE_* limits; duplicates (same SHA-256) count once.
 */
void doctor_scan_store(const struct doctor_store *store, int64_t now, struct doctor_roots_ev *ev);

/* The trust store o selects: --cacert, --capath, else OpenSSL's default
 * file and directory with the SSL_CERT_FILE / SSL_CERT_DIR overrides. */
void doctor_store_select(const struct doctor_opts *o, struct doctor_store *s);

/* The POST /v1/checks body asking every vantage for a tls-cert check of
 * host: {"domains":[host],"methods":["tls-cert"],"caa":false,
 * "mode":"reachability","budget_ms":DOCTOR_VANTAGE_BUDGET_MS}.  Caller owns;
 * NULL on ENOMEM. */
json_t *doctor_vantage_body(const char *host);

/*
 * Read the per-vantage rows of a coordinator report document (the first
 * check's results, docs/json-schema.md) into r->vantages and judge them into
 * c: ok when every vantage that answered handshook, warn when some failed
 * or did not answer, fail when every vantage that answered failed (the CA
 * is unreachable from everywhere, or the name is wrong).  local_ok: this
 * machine's TCP and TLS steps passed (the cause compares).  0, or -1 when
 * the document is malformed (c says so).
 */
int doctor_judge_vantages(const json_t *doc, bool local_ok, struct doctor_report *r,
                          struct doctor_check *c);

/*
 * Run every check for o (already parsed) into r (zeroed here; release with
 * doctor_report_free).  Contacts the directory's host, and the coordinator
 * with --vantages.  The caller has run curl_global_init and ignores SIGPIPE
 * (a server may hang up mid-handshake).  Bounded by the timeouts of o and
 * DOCTOR_RUN_BUDGET_MS (plus the coordinator's answer, which runs in
 * parallel).  Returns the exit status (also in r->exit_code): 0 or 1.
 */
int doctor_run(const struct doctor_opts *o, struct doctor_report *r);

/* Release what r owns (safe on a zeroed report, and twice). */
void doctor_report_free(struct doctor_report *r);

/* The --json document: {"tool", "command", "vantage_version", "directory",
 * "host", "port", "checks": [{"id", "status", "detail", "cause", "fix", ...}],
 * "vantages", "summary", "exit_code"}.  Caller owns; NULL on ENOMEM. */
json_t *doctor_report_json(const struct doctor_report *r);

/* The human form: a table (check, status, detail), then cause and fix for
 * each warning and failure, then the summary.  ANSI colours when color. */
void doctor_report_print(const struct doctor_report *r, FILE *out, bool color);

/* One line: "all 7 checks passed", "1 failed (chain), 1 warning
 * (expired-roots), 5 ok".  */
void doctor_summary(const struct doctor_report *r, char *out, size_t outlen);

#endif
