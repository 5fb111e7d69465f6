/*
 * cli.h -- `vantage check`, `vantage agents [approve|revoke NAME]`,
 * `vantage enroll`, `vantage history` and `vantage monitors`: clients of the
 * coordinator's HTTP API (docs/api.md), built on libcurl and jansson.
 *
 * The argument checks, the webroot helper, the pieces of `vantage enroll`
 * that decide what gets printed (duration, endpoint rule, shell quoting,
 * cloud-init template) and the Nagios line of `vantage check --nagios` are
 * separate, pure-ish functions so the unit tests can exercise them without a
 * coordinator.  `vantage wait` (wait.c) builds on check's parser
 * (cli_check_parse_ext), help lines, request body, timeout and output, and
 * on cli_call_stoppable; `vantage doctor` on cli_call and cli_use_color.
 */
#ifndef VANTAGE_CLI_H
#define VANTAGE_CLI_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "../common/keys.h"
#include "../common/limits.h"
#include "../common/result.h"
#include "monitor.h"

#define CLI_DEFAULT_COORDINATOR "http://127.0.0.1:8750"
#define CLI_DEFAULT_TOKEN_FILE  "/var/lib/vantage/api.token"
#define CLI_TOKEN_ENV           "VANTAGE_TOKEN_FILE"
#define CLI_MAX_REGIONS         16          /* --region given at most this often */
#define CLI_TOKEN_FILE_MAX      1024        /* bytes read from the token file */
#define CLI_MAX_RESPONSE_BYTES  (64u << 20) /* coordinator answer accepted */
#define CLI_CONNECT_TIMEOUT_MS  5000        /* every request */
#define CLI_HTTP_MARGIN_MS      10000       /* total = budget + grace + this */
#define CLI_AGENTS_TIMEOUT_MS   10000       /* GET /v1/agents */
#define CLI_CHALLENGE_TOKEN_LEN 43          /* base64url of 32 random bytes */
#define CLI_WEBROOT_MAX_DIRS    2           /* .well-known, acme-challenge */
#define CLI_WEBROOT_SUBDIR      ".well-known/acme-challenge"
#define CLI_WEBROOT_WRITE_TRIES 16 /* write() calls for one small file */
#define CLI_MAX_METHODS         4  /* http-01, tls-alpn-01, dns-01 and tls-cert */
#define CLI_METHOD_NAME_LEN     32 /* one name in a --method list */

/* `vantage check --nagios`: one line, as Nagios plugins print it. */
#define CLI_NAGIOS_LINE_LEN  1024 /* the whole line */
#define CLI_NAGIOS_PERF_LEN  256  /* the perfdata after '|' */
#define CLI_NAGIOS_FRAME_LEN 32   /* "VANTAGE CRITICAL - ", " | " and the NUL */
#define CLI_NAGIOS_MAX_NAMED 3    /* failing vantages named in the summary */
#define CLI_NAGIOS_OK        0
#define CLI_NAGIOS_WARNING   1
#define CLI_NAGIOS_CRITICAL  2
#define CLI_NAGIOS_UNKNOWN   3

/* `vantage history` and `vantage monitors`. */
#define CLI_HISTORY_TIMEOUT_MS  15000 /* GET /v1/history */
#define CLI_MONITORS_TIMEOUT_MS 10000 /* GET, POST, DELETE /v1/monitors */
#define CLI_HISTORY_MAX_ROWS    (LIMIT_AGENTS * (MONITOR_MAX_METHODS + 1)) /* vantage rows shown */
#define CLI_PROBLEM_COLS        120 /* characters of a problem shown in a table */
#define CLI_MAX_TARGETS         (MONITOR_MAX_DOMAINS * (MONITOR_MAX_METHODS + 1)) /* of a monitor */

/* `vantage enroll` and `vantage agents approve|revoke`. */
#define CLI_ENROLL_TIMEOUT_MS 10000         /* POST /v1/enrollments, approve, revoke */
#define CLI_ENDPOINT_LEN      256           /* "tcp://HOST:PORT" (CONFIG_ENDPOINT_LEN) */
#define CLI_AGENT_PORT        8751          /* suggested in "say --endpoint" */
#define CLI_TIME_LEN          40            /* an RFC 3339 time from the coordinator */
#define CLI_ENROLL_CMD_LEN    1024          /* the printed one-line agent command */
#define CLI_TEMPLATE_MAX      (64u << 10)   /* bytes of a cloud-init template, and filled */
#define CLI_FILL_VALUE_MAX    LIMIT_URL_LEN /* bytes of one substituted value */
#define CLI_SHA256_HEX        64            /* --package-sha256 */
#define CLI_TEMPLATE_NAME     "cloud-init/agent.yaml"        /* under VANTAGE_DATADIR */
#define CLI_TEMPLATE_SOURCE   "deploy/cloud-init/agent.yaml" /* in a source tree */
/* Where `make install` puts shared data; the Makefile defines it from PREFIX. */
#ifndef VANTAGE_DATADIR
#define VANTAGE_DATADIR "/usr/local/share/vantage"
#endif

/* `vantage check`'s options after cli_check_parse().  Strings point into
 * argv.  methods are the validation methods in the order given (default
 * http-01 unless only caa was asked for); caa_named: --method caa or all. */
struct cli_check_opts {
	const char *coordinator, *token_file, *cacert; /* NULL: defaults */
	enum vt_method methods[CLI_MAX_METHODS];
	size_t n_methods;
	bool caa_named;
	bool no_caa;
	const char *ka, *digest, *txt, *webroot; /* at most one of them */
	const char *token;                       /* --token: reachability with this HTTP-01 token */
	const char *issuer, *account_uri;        /* CAA, NULL: coordinator's default */
	const char *regions[CLI_MAX_REGIONS];
	size_t n_regions;
	unsigned long budget_ms; /* 0: coordinator default */
	unsigned long min_answers;
	bool json, no_color;
	bool nagios;      /* one Nagios plugin line, exit 0..3 */
	bool this_host;   /* --this-host: NotThisHost when a vantage resolved
	                     an address that is not this machine's (thishost.h) */
	int first_domain; /* argv index of the first DOMAIN */
};

/* `vantage check ...` (argv[0] is "check").  Returns the exit status: 0
 * pass, 1 a vantage failed, 2 usage/configuration/coordinator error, 3
 * unknown.  With --nagios: cli_nagios_line's 0..3, and 3 (UNKNOWN) for a
 * usage or coordinator error. */
int cli_check_main(int argc, char **argv);

/*
 * Parse `vantage check` arguments (argv[0] "check") into o, checking every
 * rule that needs no coordinator: known methods; --webroot only with
 * http-01; --digest/--txt only with tls-alpn-01/dns-01 (--txt with dns-01)
 * and well-formed (64 hex or 43 base64url); one of --key-authorization,
 * --digest, --txt, --webroot; --token (1..LIMIT_TOKEN_LEN base64url
 * characters, the API's rule) only with http-01 and none of those four;
 * --no-caa not with --method caa; the domain rules of cli_check_domains
 * and cli_check_names (for the methods asked).  Returns 0, 1 for --help,
 * or -1 with the reason in err.  Does not validate the key authorization's
 * syntax (cli_parse_key_authorization does).  Uses getopt (not
 * reentrant).
 */
int cli_check_parse(int argc, char **argv, struct cli_check_opts *o, char *err, size_t errlen);

/* An option of its own that a command built on check's options takes
 * (`vantage wait --timeout S`); each takes an argument. */
struct cli_extra_opt {
	const char *name;  /* the long name, without "--" */
	const char *value; /* out: the last argument given, NULL if none */
};

#define CLI_MAX_EXTRA_OPTS 4

/* What a command built on check's options changes (NULL: check itself). */
struct cli_check_ext {
	const char *cmd;             /* "wait": names the command in refusals */
	bool challenge_only;         /* refuse --webroot, --nagios and tls-cert */
	struct cli_extra_opt *extra; /* at most CLI_MAX_EXTRA_OPTS */
	size_t n_extra;
};

/*
 * cli_check_parse for check (ext NULL) or a command built on it: also takes
 * ext's extra options (their values stored, not checked), and with
 * challenge_only refuses --webroot (the ACME client serves the challenge),
 * --nagios and the tls-cert method (no challenge) with a reason naming
 * ext->cmd.  Same return values.
 */
int cli_check_parse_ext(int argc, char **argv, const struct cli_check_ext *ext,
                        struct cli_check_opts *o, char *err, size_t errlen);

/* The HTTP timeout of one POST /v1/checks for o: its budget (or the
 * largest) + JOB_GRACE_MS + CLI_HTTP_MARGIN_MS. */
long cli_check_timeout_ms(const struct cli_check_opts *o);

/* Print a report document as `vantage check` does: JSON (indented) with
 * json, else the table (colours by cli_use_color). */
void cli_report_out(const json_t *doc, bool json, bool no_color);

/* Do tables on stdout get ANSI colours?  Yes when stdout is a terminal,
 * unless no_color (--no-color) or $NO_COLOR is set.  Every subcommand that
 * prints a table decides by this. */
bool cli_use_color(bool no_color);

/* Print the help lines of the options cli_check_parse_ext takes for check
 * and for every command built on it alike, --issuer-domain to
 * --min-answers, to f (their usage texts call it, so the lines and their
 * defaults are written once). */
void cli_check_usage_shared(FILE *f);

/*
 * The POST /v1/checks body for o and the n domains (docs/api.md): methods,
 * caa, mode (validate with ka, --digest or --txt), the challenge values,
 * CAA options, regions, budget.  ka overrides o->ka (the webroot's).  The
 * CAA check is asked for unless --no-caa, or unless tls-cert is the only
 * method and caa was not named (a certificate check validates nothing for
 * CAA to follow).  Caller owns the result; NULL on ENOMEM.
 */
json_t *cli_check_body(const struct cli_check_opts *o, char *const *domains, int n, const char *ka);

/*
 * The Nagios plugin line for a report document (docs/json-schema.md) at now
 * (Unix seconds, for certificate expiry), into out (at most outlen, one
 * line, no newline):
 *   VANTAGE OK|WARNING|CRITICAL|UNKNOWN - SUMMARY | 'vantages'=N;;;0;N
 *   'passed'=P;;;0;N 'duration_max'=Ss ['cert_days'=D]
 * N: the most vantages any check had; P: the fewest passing in any check;
 * D: the days left of the worst tls-cert certificate (its cert_check level,
 * else certcheck's with the default policy; ties: the nearest expiry).
 * Returns the state, which is the exit status: CRITICAL when the verdict is
 * fail, or a tls-cert certificate is critical or expired; UNKNOWN
 * when the verdict is unknown or the document malformed; WARNING when the
 * verdict is pass but a result carries a warning (broken IPv6, ...) or a
 * tls-cert certificate is past its renewal point; else OK.  Text from the
 * coordinator is escaped, and '|' (the perfdata separator) replaced.
 */
int cli_nagios_line(const json_t *doc, int64_t now, char *out, size_t outlen);

/* "VANTAGE UNKNOWN - why" into out (escaped, one line); returns
 * CLI_NAGIOS_UNKNOWN.  For usage and coordinator errors under --nagios. */
int cli_nagios_unknown(const char *why, char *out, size_t outlen);

/* `vantage history DOMAIN` after cli_history_parse.  Strings point into
 * argv. */
struct cli_history_opts {
	const char *coordinator, *token_file, *cacert; /* NULL: defaults */
	const char *domain;
	const char *since;   /* NULL: the coordinator's default (7 days) */
	unsigned long limit; /* 0: the coordinator's default */
	bool json;
};

/*
 * Parse `vantage history` arguments (argv[0] "history"): exactly one DOMAIN
 * (cli_check_domains' rules), --since by api_parse_since at now, --limit
 * 1..HISTORY_MAX_QUERY_RUNS.  Returns 0, 1 for --help, or -1 with the reason
 * in err.  Uses getopt (not reentrant).
 */
int cli_history_parse(int argc, char **argv, struct cli_history_opts *o, int64_t now, char *err,
                      size_t errlen);
/* The request path "/v1/history?domain=D[&since=T][&limit=N]", values
 * percent-encoded, into out.  0 or -1 (does not fit). */
int cli_history_path(const struct cli_history_opts *o, char *out, size_t outlen);
/* `vantage history ...` (argv[0] "history"): 0, or 2 on any error. */
int cli_history_main(int argc, char **argv);
/* The human form of a GET /v1/history answer: per vantage and method the
 * state, since when and the problem; then the runs, one line each.  Server
 * text is escaped. */
void cli_history_print(const json_t *doc, FILE *out);

enum cli_monitors_cmd {
	CLI_MONITORS_LIST = 0,
	CLI_MONITORS_ADD,
	CLI_MONITORS_REMOVE,
};

/* `vantage monitors [list|add NAME|remove NAME]` after cli_monitors_parse.
 * Strings point into argv. */
struct cli_monitors_opts {
	const char *coordinator, *token_file, *cacert; /* NULL: defaults */
	enum cli_monitors_cmd cmd;
	const char *name; /* add, remove */
	const char *domains[MONITOR_MAX_DOMAINS];
	size_t n_domains;
	enum vt_method methods[MONITOR_MAX_METHODS]; /* none given: http-01 */
	size_t n_methods;
	bool caa;            /* --caa, or --method caa */
	uint32_t interval_s; /* 0: the coordinator's default */
	const char *regions[MONITOR_MAX_REGIONS];
	size_t n_regions;
	const char *policy; /* "all", "letsencrypt", NULL: default */
	bool json;
};

/*
 * Parse `vantage monitors` arguments (argv[0] "monitors"): an optional
 * command (list, add NAME, remove NAME); for add at least one --domain (at
 * most MONITOR_MAX_DOMAINS, cli_check_domains' rules), --method lists
 * (http-01, tls-alpn-01, dns-01, tls-cert; caa sets caa; all: the three
 * challenges and caa), --interval N[s|m|h|d] in MONITOR_MIN_INTERVAL_S ..
 * MONITOR_MAX_INTERVAL_S, --region (at most MONITOR_MAX_REGIONS), --policy
 * all|letsencrypt, --caa; the add options with another command are refused.
 * NAME: [A-Za-z0-9._-], 1..MONITOR_NAME_LEN.  Returns 0, 1 for --help, or -1
 * with the reason in err.  Uses getopt (not reentrant).
 */
int cli_monitors_parse(int argc, char **argv, struct cli_monitors_opts *o, char *err,
                       size_t errlen);
/* The POST /v1/monitors body for an add (monitor_spec_from_json's form).
 * Caller owns; NULL on ENOMEM. */
json_t *cli_monitor_body(const struct cli_monitors_opts *o);
/* `vantage monitors ...` (argv[0] "monitors"): 0, or 2 on any error. */
int cli_monitors_main(int argc, char **argv);
/* The human form of a GET /v1/monitors answer.  Server text is escaped. */
void cli_monitors_print(const json_t *doc, int64_t now, FILE *out);

/* `vantage agents [approve|revoke NAME] ...` (argv[0] is "agents").  0, or 2
 * on any error (usage, coordinator unreachable, or the API's refusal, whose
 * text is printed). */
int cli_agents_main(int argc, char **argv);

/* `vantage enroll NAME ...` (argv[0] is "enroll").  0, or 2 on any error. */
int cli_enroll_main(int argc, char **argv);

/* `vantage enroll`'s options after cli_enroll_parse().  Strings point into
 * argv, except package_sha256 (lower-cased copy, "" when not given). */
struct cli_enroll_opts {
	const char *name;
	const char *region, *rir; /* NULL: not sent (NAME is in the agents list) */
	bool primary;
	uint32_t ttl_s;       /* ENROLL_DEFAULT_TTL_S unless --ttl */
	const char *endpoint; /* --endpoint, NULL: the coordinator's */
	bool cloud_init;
	const char *template_path; /* --template, NULL: cli_template_path() */
	const char *package_url;   /* NULL: @PACKAGE_URL@ left in the user data */
	char package_sha256[CLI_SHA256_HEX + 1];
	bool json;
	const char *coordinator, *token_file, *cacert; /* NULL: defaults */
};

/*
 * Parse `vantage enroll` arguments (argv[0] "enroll"): exactly one NAME
 * (keys_valid_name), --region/--rir 1..LIMIT_REGION_LEN, --ttl by
 * cli_parse_duration, --endpoint by cli_endpoint_check, --template,
 * --package-url (http(s)://, no quote or space) and --package-sha256 (64
 * hex) only with --cloud-init.  Returns 0, 1 for --help, or -1 with the
 * reason in err.  Uses getopt (not reentrant).
 */
int cli_enroll_parse(int argc, char **argv, struct cli_enroll_opts *o, char *err, size_t errlen);

/* The POST /v1/enrollments body for o: name, ttl_s, and region, rir and
 * "primary": true only when given (the main agents list decides them for an
 * agent listed there).  Caller owns the result; NULL on ENOMEM. */
json_t *cli_enroll_body(const struct cli_enroll_opts *o);

/*
 * A duration for --ttl: N or N followed by s, m, h or d (seconds, minutes,
 * hours, days), 1 second .. ENROLL_MAX_TTL_S.  0 with the seconds in *secs,
 * or -1 with the reason in err.
 */
int cli_parse_duration(const char *s, uint32_t *secs, char *err, size_t errlen);
/* The same within lo..hi seconds (--interval).  0 or -1 with err. */
int cli_parse_duration_range(const char *s, uint32_t lo, uint32_t hi, uint32_t *secs, char *err,
                             size_t errlen);

/*
 * Is e an endpoint an agent can be told to dial: "tcp://HOST:PORT" with HOST
 * a name of letters, digits, '.', '-' and '_', an IPv4 address or a
 * bracketed IPv6 address, PORT 1..65535?  0 or -1 with the reason in err
 * (what names e).  Says nothing about whether HOST is concrete.
 */
int cli_endpoint_check(const char *what, const char *e, char *err, size_t errlen);

/*
 * The endpoint `vantage enroll` prints, by this rule: given (--endpoint) if
 * not NULL; else public_endpoint if not NULL or ""; else agent_endpoint (the
 * coordinator's bind address) if its host is concrete: not a wildcard
 * ("*", 0.0.0.0, ::, [::]) and not a name without a dot (an interface name
 * such as eth0, which ZeroMQ binds but no agent can dial).  Each candidate
 * must pass cli_endpoint_check.  0 with the endpoint in out, or -1 with the
 * reason in err: "the coordinator has no public_endpoint: say --endpoint
 * tcp://HOST:PORT" when nothing fits.
 */
int cli_enroll_endpoint(const char *given, const char *public_endpoint, const char *agent_endpoint,
                        char *out, size_t outlen, char *err, size_t errlen);

/*
 * Append v to out (size outlen, NUL-terminated, may hold text already)
 * single-quoted for a POSIX shell.  Refuses a value holding a single quote,
 * a control character or a non-ASCII byte (none can occur in the names,
 * keys, tokens and endpoints quoted here; refusing is safer than escaping),
 * or that does not fit.  0 or -1 with the reason in err (what names v).
 */
int cli_shell_quote(const char *what, const char *v, char *out, size_t outlen, char *err,
                    size_t errlen);

/*
 * The one-line command for the new agent:
 *   vantage-agent enroll --coordinator 'E' --coordinator-key 'K' --name 'N'
 *   --token 'T' && systemctl enable --now vantage-agent
 * every value through cli_shell_quote.  0 or -1 with the reason in err.
 */
int cli_enroll_command(const char *endpoint, const char *key, const char *name, const char *token,
                       char *out, size_t outlen, char *err, size_t errlen);

/* What a 201 answer to POST /v1/enrollments gave, checked, and what
 * `vantage enroll` derives from it. */
struct cli_enroll_ticket {
	char name[LIMIT_AGENT_NAME_LEN + 1];
	char region[LIMIT_REGION_LEN + 1];
	char rir[LIMIT_REGION_LEN + 1];
	bool primary;
	char expires[CLI_TIME_LEN];
	char token[LIMIT_ENROLL_TOKEN_LEN + 1];
	char coordinator_key[KEY_Z85_LEN + 1];
	char endpoint[CLI_ENDPOINT_LEN];  /* by cli_enroll_endpoint */
	char command[CLI_ENROLL_CMD_LEN]; /* by cli_enroll_command */
};

/*
 * Check the coordinator's answer doc for o and fill t: name equal to
 * o->name, token [0-9A-Za-z]{1,LIMIT_ENROLL_TOKEN_LEN}, coordinator_public_key
 * 40 Z85 characters, region/rir within LIMIT_REGION_LEN, expires printable
 * ASCII; then the endpoint (cli_enroll_endpoint with o->endpoint and the
 * answer's public_endpoint and agent_endpoint) and the command.  0, or -1
 * with the reason in err.
 */
int cli_enroll_ticket(const json_t *doc, const struct cli_enroll_opts *o,
                      struct cli_enroll_ticket *t, char *err, size_t errlen);

/* The placeholders of deploy/cloud-init/agent.yaml, "@NAME@" each. */
enum cli_placeholder {
	CLI_PH_COORDINATOR,        /* the endpoint */
	CLI_PH_COORDINATOR_PUBKEY, /* 40 Z85 characters */
	CLI_PH_AGENT_NAME,
	CLI_PH_ENROLL_TOKEN,
	CLI_PH_PACKAGE_URL,    /* may be left for the operator */
	CLI_PH_PACKAGE_SHA256, /* may be left for the operator */
	CLI_PH_COUNT
};

/* "@COORDINATOR@" etc. for p < CLI_PH_COUNT. */
const char *cli_placeholder_name(enum cli_placeholder p);

/*
 * The template path `vantage enroll --cloud-init` reads: given (--template)
 * if not NULL; else VANTAGE_DATADIR/CLI_TEMPLATE_NAME if readable (installed);
 * else CLI_TEMPLATE_SOURCE (relative: run from a source tree).
 */
const char *cli_template_path(const char *given, char *buf, size_t buflen);

/* Read the template at path: at most CLI_TEMPLATE_MAX bytes, no NUL byte.
 * 0 with the text in *text (NUL-terminated, caller frees) and its length in
 * *len, or -1 with the reason in err. */
int cli_template_read(const char *path, char **text, size_t *len, char *err, size_t errlen);

/*
 * Substitute the placeholders of tmpl (len bytes) in one pass: each "@NAME@"
 * becomes values[p]; inserted text is never scanned again (a Z85 key may hold
 * '@').  values[p] NULL leaves @NAME@ in place and sets bit (1u << p) in
 * *left when the template holds it; this is allowed for
 * CLI_PH_PACKAGE_URL and CLI_PH_PACKAGE_SHA256 only.  The first four
 * placeholders must each occur at least once (an older template without
 * @ENROLL_TOKEN@ would boot an agent that cannot enrol).  Values go between
 * single quotes in a shell file inside a YAML block, so a value holding a
 * quote, a control character or a non-ASCII byte, or longer than
 * CLI_FILL_VALUE_MAX, is refused; so is a result over CLI_TEMPLATE_MAX
 * bytes.  The filled text (caller frees), or NULL with the reason in err.
 */
char *cli_template_fill(const char *tmpl, size_t len, const char *const values[CLI_PH_COUNT],
                        unsigned *left, char *err, size_t errlen);

/* An integer option's value: decimal digits only (no sign, no suffix), in
 * lo..hi.  0 with it in *out, or -1 with "OPT \"S\": expected an integer in
 * LO..HI" in err.  Every subcommand's numeric options go through this. */
int cli_parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                    unsigned long *out, char *err, size_t errlen);

/*
 * One request to the coordinator's API, as every subcommand makes it:
 * coordinator/token_file/cacert NULL for the defaults (CLI_DEFAULT_*, the
 * token from $VANTAGE_TOKEN_FILE), the transport rule applied (plain http://
 * only to loopback), the token read and wiped afterwards.  method NULL: GET
 * when body is NULL, else POST with the JSON text body.  On a 2xx answer *doc
 * holds the parsed JSON (caller decrefs) and 0 is returned; else -1 with what
 * happened in err.  The caller has run curl_global_init.
 */
int cli_call(const char *coordinator, const char *token_file, const char *cacert,
             const char *method, const char *path, const char *body, long timeout_ms, json_t **doc,
             char *err, size_t errlen);

/* cli_call, cut short as soon as *stop is non-zero (a signal handler sets
 * it; libcurl looks at least once a second): -1 with "interrupted" in err.
 * stop NULL: exactly cli_call. */
int cli_call_stoppable(const char *coordinator, const char *token_file, const char *cacert,
                       const char *method, const char *path, const char *body, long timeout_ms,
                       const volatile sig_atomic_t *stop, json_t **doc, char *err, size_t errlen);

/*
 * GET /v1/agents, as `vantage agents` does it: coordinator is the API's base
 * URL (NULL: CLI_DEFAULT_COORDINATOR), token_file holds the bearer token
 * (NULL: $VANTAGE_TOKEN_FILE, else CLI_DEFAULT_TOKEN_FILE), cacert the CA
 * bundle an https:// coordinator's certificate must chain to (NULL: the
 * system's).  cli_check_coordinator_url is applied before anything else: a
 * refused URL is never contacted.  Plain http:// never goes through a proxy.
 * 0 with the answer in *doc (caller owns; json_decref), or -1 with the reason
 * in err.  The caller has run curl_global_init.
 */
int cli_get_agents(const char *coordinator, const char *token_file, const char *cacert,
                   json_t **doc, char *err, size_t errlen);

/* Is host (as in a URL: "127.0.0.2", "[::1]", "::1", "localhost") a
 * loopback name or address?  Names other than "localhost" (and names under
 * ".localhost") are not: they could resolve anywhere. */
bool cli_host_is_loopback(const char *host);

/*
 * May the API token be sent to url?  Yes for https:// anywhere and for
 * http:// to a loopback host; no for http:// elsewhere, other schemes and
 * unparseable URLs.  0 or -1 with the reason in err.
 */
int cli_check_coordinator_url(const char *url, char *err, size_t errlen);

/*
 * Validate a key authorization "TOKEN.THUMBPRINT" (both parts non-empty
 * base64url, lengths within LIMIT_TOKEN_LEN / LIMIT_KEYAUTH_LEN) and copy
 * the token into token (size toklen).  0 or -1 with the reason in err.
 */
int cli_parse_key_authorization(const char *ka, char *token, size_t toklen, char *err,
                                size_t errlen);

/* The domain-count and mode rules of `vantage check`: 1..LIMIT_DOMAINS_PER_CHECK
 * domains, each at most LIMIT_DOMAIN_LEN; --key-authorization and --webroot
 * are exclusive; --key-authorization takes exactly one domain.  0 or -1. */
int cli_check_domains(int n_domains, char *const *domains, bool have_ka, bool have_webroot,
                      char *err, size_t errlen);

/* The names Let's Encrypt would refuse for these methods, and caa when
 * the check asks for CAA (names_check): 0, or -1 with the first refusal in
 * err, "InvalidName: \"NAME\": why" (or PublicSuffixName,
 * WildcardNeedsDNS01), a usage error. */
int cli_check_names(int n_domains, char *const *domains, const enum vt_method *methods,
                    size_t n_methods, bool caa, char *err, size_t errlen);

/* Fill out (size >= n + 1) with n random base64url characters.  0 or -1. */
int cli_random_b64url(char *out, size_t n, char *err, size_t errlen);

/* A challenge file written into a webroot, and what must be undone. */
struct cli_webroot {
	char file[PATH_MAX];
	char dirs[CLI_WEBROOT_MAX_DIRS][PATH_MAX]; /* created by us, outermost first */
	size_t n_dirs;
	char token[CLI_CHALLENGE_TOKEN_LEN + 1];
	char key_authorization[2 * CLI_CHALLENGE_TOKEN_LEN + 2];
	bool active;
};

/*
 * Write a challenge into dir as certbot's webroot plugin does: create the
 * missing directories of dir/.well-known/acme-challenge (0755) and the file
 * TOKEN (0644) holding KA = TOKEN "." RANDOM.  dir itself must exist.  Also
 * installs SIGINT/SIGTERM/SIGHUP handlers that remove the file and the
 * directories created (async-signal-safe) before dying of the signal.
 * 0, or -1 with the reason in err and nothing left behind.
 */
int cli_webroot_prepare(struct cli_webroot *w, const char *dir, char *err, size_t errlen);

/* Remove the file and the directories cli_webroot_prepare created (kept if
 * no longer empty), restore the signal handlers.  Safe to call twice. */
void cli_webroot_cleanup(struct cli_webroot *w);

#endif
