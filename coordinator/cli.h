/*
 * cli.h -- `vantage check` and `vantage agents`: clients of the coordinator's
 * HTTP API (docs/api.md), built on libcurl and jansson.
 *
 * The argument checks and the webroot helper are separate, pure-ish
 * functions so the unit tests can exercise them without a coordinator.
 */
#ifndef VANTAGE_CLI_H
#define VANTAGE_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "../common/limits.h"
#include "../common/result.h"

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
#define CLI_MAX_METHODS         3  /* validation methods: http-01, tls-alpn-01, dns-01 */
#define CLI_METHOD_NAME_LEN     32 /* one name in a --method list */

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
	const char *issuer, *account_uri;        /* CAA, NULL: coordinator's default */
	const char *regions[CLI_MAX_REGIONS];
	size_t n_regions;
	unsigned long budget_ms; /* 0: coordinator default */
	unsigned long min_answers;
	bool json, no_color;
	int first_domain; /* argv index of the first DOMAIN */
};

/* `vantage check ...` (argv[0] is "check").  Returns the exit status: 0
 * pass, 1 a vantage failed, 2 usage/configuration/coordinator error, 3
 * unknown. */
int cli_check_main(int argc, char **argv);

/*
 * Parse `vantage check` arguments (argv[0] "check") into o, checking every
 * rule that needs no coordinator: known methods; --webroot only with
 * http-01; --digest/--txt only with tls-alpn-01/dns-01 (--txt with dns-01)
 * and well-formed (64 hex or 43 base64url); one of --key-authorization,
 * --digest, --txt, --webroot; --no-caa not with --method caa; the domain
 * rules of cli_check_domains.  Returns 0, 1 for --help, or -1 with the
 * reason in err.  Does not validate the key authorization's syntax
 * (cli_parse_key_authorization does).  Uses getopt (not reentrant).
 */
int cli_check_parse(int argc, char **argv, struct cli_check_opts *o, char *err, size_t errlen);

/*
 * The POST /v1/checks body for o and the n domains (docs/api.md): methods,
 * caa, mode (validate with ka, --digest or --txt), the challenge values,
 * CAA options, regions, budget.  ka overrides o->ka (the webroot's).
 * Caller owns the result; NULL on ENOMEM.
 */
json_t *cli_check_body(const struct cli_check_opts *o, char *const *domains, int n, const char *ka);

/* `vantage agents ...` (argv[0] is "agents").  0, or 2 on any error. */
int cli_agents_main(int argc, char **argv);

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
