/*
 * finding.h -- the catalogue of findings: what vantage concludes from a
 * check, the way an expert reading the per-vantage table would.
 *
 * A finding has a stable id ("RegionalBlock"), a severity, the vantages and
 * addresses it concerns, the evidence that triggered it (records, problem
 * details, warnings), and, from the catalogue, the cause in plain language
 * and the fix, with configuration snippets where the cause is
 * configuration.  verdict_judge() fills a check's findings; each one's
 * summary is also one line of the check's diagnosis.  Findings never change
 * a verdict or an exit code.
 *
 * The catalogue is the single source of truth: `vantage findings
 * --markdown` prints docs/findings.md from it, and `make lint` fails when
 * the file differs.  Ids are part of the JSON contract: never rename one.
 *
 * The texts live in one file per area (finding_text_*.c), each an array
 * of struct vt_finding_text; finding.c joins them, and the unit tests check
 * that every id has exactly one text.
 */
#ifndef VANTAGE_FINDING_H
#define VANTAGE_FINDING_H

#include <stdbool.h>
#include <stddef.h>

#include "limits.h"

enum vt_severity {
	VT_SEV_INFO = 0,    /* context: nothing to fix */
	VT_SEV_WARNING = 1, /* passes now, but fragile or about to fail */
	VT_SEV_ERROR = 2,   /* validation fails (from some vantages or all) */
	VT_SEV_FATAL = 3,   /* cannot succeed from anywhere until fixed */
};

/*
 * Every finding: X(ENUM, "Id", SEVERITY).  The severity is the catalogue's
 * default; a finding may be raised or lowered where it is made (CAA's
 * accounturi is info when the check passes, error when it is the reason it
 * fails).  Order: the catalogue's order in docs/findings.md.
 */
#define VT_FINDINGS(X)                                                                             \
	/* ---- across vantages (every method) ---- */                                             \
	X(ALL_PASS, "AllPass", INFO)                                                               \
	X(REGIONAL_BLOCK, "RegionalBlock", ERROR)                                                  \
	X(SITE_UNREACHABLE, "SiteUnreachable", ERROR)                                              \
	X(SERVER_STALLS, "ServerStalls", ERROR)                                                    \
	X(IPV6_BROKEN, "IPv6Broken", WARNING)                                                      \
	X(REGIONAL_DIFFERENCE, "RegionalDifference", ERROR)                                        \
	X(ADDRESSES_DIFFER, "AddressesDiffer", WARNING)                                            \
	X(CERTIFICATES_DIFFER, "CertificatesDiffer", WARNING)                                      \
	X(NAMESERVER_UNREACHABLE, "NameserverUnreachable", ERROR)                                  \
	X(NAMESERVERS_DISAGREE, "NameserversDisagree", WARNING)                                    \
	X(VANTAGE_SILENT, "VantageSilent", INFO)                                                   \
	X(VANTAGE_WITHOUT_IPV6, "VantageWithoutIPv6", INFO)                                        \
	X(TOO_FEW_ANSWERS, "TooFewAnswers", WARNING)                                               \
	X(PROBE_WARNING, "ProbeWarning", WARNING)                                                  \
	/* ---- HTTP-01 ---- */                                                                    \
	X(WEBROOT_MISMATCH, "WebrootMismatch", ERROR)                                              \
	X(ACCESS_DENIED, "AccessDenied", ERROR)                                                    \
	X(SERVER_ERROR, "ServerError", ERROR)                                                      \
	X(UNEXPECTED_STATUS, "UnexpectedStatus", ERROR)                                            \
	X(CONTENT_MODIFIED, "ContentModified", ERROR)                                              \
	X(HTTPS_REDIRECT_BROKEN, "HttpsRedirectBroken", ERROR)                                     \
	X(MISSING_SLASH_REDIRECT, "MissingSlashRedirect", ERROR)                                   \
	X(BAD_REDIRECT, "BadRedirect", ERROR)                                                      \
	X(HTTP_ON_HTTPS_PORT, "HttpOnHttpsPort", ERROR)                                            \
	X(CLOUDFLARE_PROXY, "CloudflareProxy", WARNING)                                            \
	X(NGINX_TEST_COOKIE, "NginxTestCookie", ERROR)                                             \
	X(FIREWALL_BLOCK_PAGE, "FirewallBlockPage", ERROR)                                         \
	X(PORT_FORWARDING, "PortForwarding", WARNING)                                              \
	/* ---- DNS and names ---- */                                                              \
	X(INVALID_NAME, "InvalidName", FATAL)                                                      \
	X(PUBLIC_SUFFIX_NAME, "PublicSuffixName", FATAL)                                           \
	X(WILDCARD_NEEDS_DNS01, "WildcardNeedsDNS01", FATAL)                                       \
	X(NO_ADDRESSES, "NoAddresses", FATAL)                                                      \
	X(RESERVED_ADDRESS, "ReservedAddress", FATAL)                                              \
	X(NOT_THIS_HOST, "NotThisHost", WARNING)                                                   \
	X(DNS_SERVFAIL, "DNSServfail", ERROR)                                                      \
	X(DNS_LOOKUP_FAILED, "DNSLookupFailed", ERROR)                                             \
	X(DNSSEC_BOGUS, "DNSSECBogus", FATAL)                                                      \
	X(TXT_MISSING, "TXTMissing", ERROR)                                                        \
	X(TXT_MISMATCH, "TXTMismatch", ERROR)                                                      \
	X(TXT_DOUBLE_LABEL, "TXTDoubleLabel", ERROR)                                               \
	X(STALE_TXT_RECORDS, "StaleTXTRecords", WARNING)                                           \
	/* ---- TLS-ALPN-01 ---- */                                                                \
	X(PROXY_IN_FRONT, "ProxyInFront", FATAL)                                                   \
	X(NO_ACME_TLS1, "NoAcmeTls1", ERROR)                                                       \
	X(TLS_TOO_OLD, "TLSTooOld", ERROR)                                                         \
	X(WRONG_VALIDATION_CERT, "WrongValidationCert", ERROR)                                     \
	X(TLS_HANDSHAKE_FAILED, "TLSHandshakeFailed", ERROR)                                       \
	/* ---- CAA ---- */                                                                        \
	X(CAA_FORBIDS, "CAAForbids", FATAL)                                                        \
	X(CAA_METHOD_EXCLUDED, "CAAMethodExcluded", FATAL)                                         \
	X(CAA_ACCOUNT_URI, "CAAAccountURI", INFO)                                                  \
	X(CAA_CRITICAL_UNKNOWN, "CAACriticalUnknown", FATAL)                                       \
	X(CAA_INVALID, "CAAInvalid", WARNING)                                                      \
	/* ---- the certificate on 443 (tls-cert, monitoring) ---- */                              \
	X(CERT_EXPIRED, "CertExpired", ERROR)                                                      \
	X(CERT_EXPIRING, "CertExpiring", WARNING)                                                  \
	X(CERT_UNTRUSTED, "CertUntrusted", ERROR)                                                  \
	X(CERT_NAME_MISMATCH, "CertNameMismatch", ERROR)                                           \
	X(CERT_OK, "CertOK", INFO)

enum vt_finding_id {
	VT_F_NONE = 0, /* never in a finished check (a unit test says so) */
#define VT_F_ENUM(e, name, sev) VT_F_##e,
	VT_FINDINGS(VT_F_ENUM)
#undef VT_F_ENUM
	        VT_F__COUNT
};

/* A finding's catalogue text (one per id, in finding_text_*.c). */
struct vt_finding_text {
	enum vt_finding_id id;
	const char *title;   /* a heading: "A firewall or geo-block drops some regions" */
	const char *applies; /* methods: "http-01, tls-alpn-01", "all", "command line" */
	const char *cause;   /* plain language: why this happens */
	const char *fix;     /* what to change; concrete */
	/* configuration snippets (NULL when the cause is not configuration) */
	const char *nginx;
	const char *apache;
	const char *caddy;
	const char *cloudflare;
	const char *example;   /* an example summary line, as vantage prints it */
	const char *letsdebug; /* letsdebug's name(s) for the same problem, or NULL */
};

/* A text's configuration snippets, in the order they are shown: the JSON
 * key ("apache"), the label for people ("Apache") and the snippet (NULL
 * when the text has none). */
#define FINDING_N_SNIPPETS 4
struct finding_snippet {
	const char *key;
	const char *label;
	const char *text;
};
/* Snippet i (< FINDING_N_SNIPPETS) of t; its text NULL when t is NULL. */
struct finding_snippet finding_snippet(const struct vt_finding_text *t, size_t i);

/* The catalogue entry for an id: name, default severity and text. */
struct vt_finding_def {
	enum vt_finding_id id;
	const char *name;
	enum vt_severity severity;
	const struct vt_finding_text *text; /* NULL only if a text is missing */
};

/* Sizes of one finding in a check. */
#define FINDING_SUMMARY_LEN  512 /* = VERDICT_DIAGNOSIS_LEN */
#define FINDING_MAX_VANTAGES 16
#define FINDING_MAX_ADDRS    8
#define FINDING_MAX_EVIDENCE 4
#define FINDING_EVIDENCE_LEN 256

/* One finding in a check (filled by verdict_judge(), or added by the CLI
 * for what only it can know, such as --this-host). */
struct vt_finding {
	enum vt_finding_id id;
	enum vt_severity severity;
	char summary[FINDING_SUMMARY_LEN]; /* one line; also the diagnosis line */
	char vantages[FINDING_MAX_VANTAGES][LIMIT_AGENT_NAME_LEN + 1]; /* agent names */
	size_t n_vantages;
	char addresses[FINDING_MAX_ADDRS][LIMIT_ADDR_LEN];
	size_t n_addresses;
	char evidence[FINDING_MAX_EVIDENCE][FINDING_EVIDENCE_LEN];
	size_t n_evidence;
};

/* The catalogue entry for id; NULL for VT_F_NONE or out of range. */
const struct vt_finding_def *finding_def(enum vt_finding_id id);
/* By name, case-insensitive ("regionalblock"); NULL if unknown. */
const struct vt_finding_def *finding_by_name(const char *name);
/* "RegionalBlock"; "unknown" for an id outside the catalogue. */
const char *finding_name(enum vt_finding_id id);
/* "info", "warning", "error", "fatal". */
const char *vt_severity_name(enum vt_severity s);
/* Parse a severity name; -1 when unknown. */
int vt_severity_parse(const char *s);

/* Add evidence text (truncated; ignored when full or a duplicate). */
void finding_add_evidence(struct vt_finding *f, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Add a vantage's agent name / an address (ignored when full or a duplicate). */
void finding_add_vantage(struct vt_finding *f, const char *agent);
void finding_add_address(struct vt_finding *f, const char *addr);

/* Does f name vantage agent / address addr / evidence containing needle? */
bool finding_names_vantage(const struct vt_finding *f, const char *agent);
bool finding_has_address(const struct vt_finding *f, const char *addr);
bool finding_has_evidence(const struct vt_finding *f, const char *needle);

/* The per-area text arrays finding.c joins (finding_text_*.c). */
extern const struct vt_finding_text finding_text_core[];
extern const size_t finding_text_core_n;
extern const struct vt_finding_text finding_text_http[];
extern const size_t finding_text_http_n;
extern const struct vt_finding_text finding_text_dns[];
extern const size_t finding_text_dns_n;
extern const struct vt_finding_text finding_text_tls[];
extern const size_t finding_text_tls_n;
extern const struct vt_finding_text finding_text_names[];
extern const size_t finding_text_names_n;

#endif
