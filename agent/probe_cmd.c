/*
 * probe_cmd.c -- the one-shot probe: parse the command line, run one probe
 * (http-01, tls-alpn-01, dns-01, caa or tls-cert) on a private event_base,
 * judge it with verdict.c and print it with report.c, exactly as the
 * coordinator would for a single vantage.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "../common/keyauth.h"
#include "../common/report.h"
#include "../common/verdict.h"
#include "probe.h"
#include "probe_cmd.h"

#define S_EXIT_USAGE 2
/* Random bytes in a generated token: 32 bytes -> 43 base64url characters
 * (Boulder's NewToken). */
#define S_TOKEN_BYTES 32

struct s_opts {
	struct probe_cfg cfg;
	struct vt_job job;
	bool json;
};

static void s_usage(FILE *out)
{
	fprintf(out,
	        "usage: vantage-agent probe http-01|tls-alpn-01|dns-01|caa|tls-cert DOMAIN "
	        "[options]\n"
	        "  --key-authorization KA   validate: TOKEN.THUMBPRINT (http-01, tls-alpn-01,\n"
	        "                           dns-01); without one, check reachability\n"
	        "  --digest D               tls-alpn-01, dns-01: validate against SHA-256(KA),\n"
	        "                           64 hex or 43 base64url characters\n"
	        "  --txt VALUE              dns-01: the expected TXT value (the digest)\n"
	        "  --token TOKEN            http-01 reachability with this token (default "
	        "random)\n"
	        "  --issuer-domain D        caa: the CA's issuer domain (default %s)\n"
	        "  --account-uri URI        caa: the ACME account URL (accounturi)\n"
	        "  (tls-cert takes no challenge option: it records the certificate port 443\n"
	        "   presents, and its expiry is judged as the coordinator judges it)\n"
	        "  --resolver ADDR[@PORT]   forward DNS to this resolver (default: recursive)\n"
	        "  --root-hints FILE        root hints for recursive resolution\n"
	        "  --trust-anchor FILE      DNSSEC trust anchor (default: no validation)\n"
	        "  --treat-as-public P[,P]  prefixes to treat as public (labs)\n"
	        "  --dial-timeout-ms N      TCP connect timeout (default %d)\n"
	        "  --budget-ms N            the job's time budget (default %d, %d..%d)\n"
	        "  --no-ipv6                this host has no IPv6: never dial IPv6\n"
	        "  --json                   print the JSON document\n"
	        "  --help                   this text\n"
	        "Exit status: 0 pass, 1 fail, 3 unknown, 2 usage error.\n",
	        CAA_DEFAULT_ISSUER, HTTP01_DIAL_TIMEOUT_MS, JOB_DEFAULT_BUDGET_MS,
	        JOB_MIN_BUDGET_MS, JOB_MAX_BUDGET_MS);
}

/* Parse a decimal in [lo, hi].  0 or -1. */
static int s_parse_u32(const char *s, unsigned long lo, unsigned long hi, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static bool s_token_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > LIMIT_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_')
			return false;
	return true;
}

/* A fresh 43-character base64url token.  0 or -1. */
static int s_random_token(char *out, size_t len)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[S_TOKEN_BYTES + 2] = {0};
	size_t o = 0;

	if (getrandom(raw, S_TOKEN_BYTES, 0) != S_TOKEN_BYTES)
		return -1;
	for (size_t i = 0; i < S_TOKEN_BYTES && o + 4 < len; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
		size_t left = S_TOKEN_BYTES - i, chars = left >= 3 ? 4 : left + 1;
		for (size_t k = 0; k < chars; k++)
			out[o++] = b64[(v >> (18 - 6 * k)) & 0x3f];
	}
	out[o] = '\0';
	return 0;
}

/* Copy a path option into dst (dstlen).  0, or -1 after a message. */
static int s_path_opt(const char *opt, const char *arg, char *dst, size_t dstlen)
{
	if (strlen(arg) >= dstlen) {
		fprintf(stderr, "probe: %s path too long\n", opt);
		return -1;
	}
	snprintf(dst, dstlen, "%s", arg);
	return 0;
}

/* The challenge options against the method; fills job's mode, token, key
 * authorization, digest and CAA fields.  0, or -1 after a message. */
static int s_challenge(struct vt_job *job, const char *ka, const char *token, const char *digest,
                       const char *txt, const char *issuer, const char *account)
{
	const char *dopt = digest != NULL ? "--digest" : "--txt";
	const char *dval = digest != NULL ? digest : txt;
	char err[128], *dot;
	uint8_t raw[32];

	if ((ka != NULL) + (token != NULL) + (digest != NULL) + (txt != NULL) > 1) {
		fprintf(stderr, "probe: give one of --key-authorization, --token, --digest, "
		                "--txt\n");
		return -1;
	}
	if ((issuer != NULL || account != NULL) && job->method != VT_METHOD_CAA) {
		fprintf(stderr, "probe: --issuer-domain and --account-uri are for caa\n");
		return -1;
	}
	if (job->method == VT_METHOD_TLSCERT) {
		if (ka != NULL || token != NULL || dval != NULL) {
			fprintf(stderr, "probe: tls-cert takes no challenge value\n");
			return -1;
		}
		/* no challenge: the probe ignores the mode; the report says
		 * "reachability" as for any probe without a key authorization */
		job->mode = VT_MODE_REACHABILITY;
		return 0;
	}
	if (job->method == VT_METHOD_CAA) {
		if (ka != NULL || token != NULL || dval != NULL) {
			fprintf(stderr, "probe: caa takes no challenge value (use "
			                "--issuer-domain, --account-uri)\n");
			return -1;
		}
		if (issuer != NULL &&
		    (strlen(issuer) == 0 || strlen(issuer) > LIMIT_CAA_ISSUER_LEN ||
		     strspn(issuer, "abcdefghijklmnopqrstuvwxyz"
		                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(issuer))) {
			fprintf(stderr, "probe: --issuer-domain must be a domain name\n");
			return -1;
		}
		if (account != NULL && (strlen(account) == 0 || strlen(account) > LIMIT_URL_LEN ||
		                        strpbrk(account, " ;\t\r\n") != NULL)) {
			fprintf(stderr,
			        "probe: --account-uri must be a URL without spaces or ';'\n");
			return -1;
		}
		job->mode = VT_MODE_VALIDATE;
		snprintf(job->caa_issuer, sizeof(job->caa_issuer), "%s",
		         issuer != NULL ? issuer : CAA_DEFAULT_ISSUER);
		if (account != NULL)
			snprintf(job->caa_account_uri, sizeof(job->caa_account_uri), "%s", account);
		/* one-shot: ask about HTTP-01, the CA's most common method */
		job->caa_methods = 1u << VT_METHOD_HTTP01;
		return 0;
	}
	if (token != NULL && job->method != VT_METHOD_HTTP01) {
		fprintf(stderr, "probe: --token is for http-01\n");
		return -1;
	}
	if (dval != NULL) {
		if (job->method == VT_METHOD_HTTP01 ||
		    (txt != NULL && job->method != VT_METHOD_DNS01)) {
			fprintf(stderr, "probe: %s is for %s (http-01 needs --key-authorization)\n",
			        dopt, txt != NULL ? "dns-01" : "tls-alpn-01 and dns-01");
			return -1;
		}
		if (keyauth_digest_parse(dval, raw, err, sizeof(err)) != 0) {
			fprintf(stderr, "probe: %s: %s\n", dopt, err);
			return -1;
		}
		keyauth_b64url32(raw, job->digest);
		job->mode = VT_MODE_VALIDATE;
	}
	if (ka != NULL) {
		dot = strchr(ka, '.');
		if (dot == NULL || dot == ka || strlen(ka) > LIMIT_KEYAUTH_LEN ||
		    (size_t)(dot - ka) > LIMIT_TOKEN_LEN) {
			fprintf(stderr, "probe: --key-authorization must be TOKEN.THUMBPRINT\n");
			return -1;
		}
		snprintf(job->key_authorization, sizeof(job->key_authorization), "%s", ka);
		snprintf(job->token, sizeof(job->token), "%.*s", (int)(dot - ka), ka);
		if (!s_token_ok(job->token)) {
			fprintf(stderr, "probe: the token (before '.') must be base64url\n");
			return -1;
		}
		job->mode = VT_MODE_VALIDATE;
		return 0;
	}
	if (job->mode == VT_MODE_VALIDATE) /* digest: no token needed */
		return 0;
	job->mode = VT_MODE_REACHABILITY;
	if (token != NULL) {
		if (!s_token_ok(token)) {
			fprintf(stderr, "probe: --token must be base64url, 1..%d characters\n",
			        LIMIT_TOKEN_LEN);
			return -1;
		}
		snprintf(job->token, sizeof(job->token), "%s", token);
	} else if (s_random_token(job->token, sizeof(job->token)) != 0) {
		fprintf(stderr, "probe: cannot get random bytes\n");
		return -1;
	}
	return 0;
}

/* Fill o from argv.  0, or -1 after printing a message (exit 2); 1 for --help. */
static int s_parse(int argc, char **argv, struct s_opts *o)
{
	static const struct option longopts[] = {
	        {"key-authorization", required_argument, NULL, 'k'},
	        {"token", required_argument, NULL, 't'},
	        {"digest", required_argument, NULL, 'D'},
	        {"txt", required_argument, NULL, 'T'},
	        {"issuer-domain", required_argument, NULL, 'I'},
	        {"account-uri", required_argument, NULL, 'A'},
	        {"resolver", required_argument, NULL, 'r'},
	        {"root-hints", required_argument, NULL, 'R'},
	        {"trust-anchor", required_argument, NULL, 'a'},
	        {"treat-as-public", required_argument, NULL, 'p'},
	        {"dial-timeout-ms", required_argument, NULL, 'd'},
	        {"budget-ms", required_argument, NULL, 'b'},
	        {"no-ipv6", no_argument, NULL, '6'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	char err[256];
	const char *ka = NULL, *token = NULL, *digest = NULL, *txt = NULL, *issuer = NULL,
	           *account = NULL, *method, *domain;
	int c;

	memset(o, 0, sizeof(*o));
	o->cfg.ipv6 = true;
	o->cfg.dial_timeout_ms = HTTP01_DIAL_TIMEOUT_MS;
	o->cfg.resolver.timeout_ms = DNS_TIMEOUT_MS;
	snprintf(o->cfg.user_agent, sizeof(o->cfg.user_agent), "%s", LE_USER_AGENT);
	o->job.budget_ms = JOB_DEFAULT_BUDGET_MS;
	optind = 1;
	opterr = 0;
	for (int guard = 0; guard <= argc; guard++) {
		c = getopt_long(argc, argv, "", longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'k':
			ka = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'D':
			digest = optarg;
			break;
		case 'T':
			txt = optarg;
			break;
		case 'I':
			issuer = optarg;
			break;
		case 'A':
			account = optarg;
			break;
		case 'a':
			if (s_path_opt("--trust-anchor", optarg, o->cfg.resolver.trust_anchor,
			               sizeof(o->cfg.resolver.trust_anchor)) != 0)
				return -1;
			break;
		case 'r':
			if (strlen(optarg) >= sizeof(o->cfg.resolver.forwarder)) {
				fprintf(stderr, "probe: --resolver too long\n");
				return -1;
			}
			snprintf(o->cfg.resolver.forwarder, sizeof(o->cfg.resolver.forwarder), "%s",
			         optarg);
			break;
		case 'R':
			if (s_path_opt("--root-hints", optarg, o->cfg.resolver.root_hints,
			               sizeof(o->cfg.resolver.root_hints)) != 0)
				return -1;
			break;
		case 'p':
			if (addr_filter_parse(&o->cfg.public_prefixes, optarg, err, sizeof(err)) !=
			    0) {
				fprintf(stderr, "probe: --treat-as-public: %s\n", err);
				return -1;
			}
			break;
		case 'd':
			if (s_parse_u32(optarg, 1, JOB_MAX_BUDGET_MS, &o->cfg.dial_timeout_ms) !=
			    0) {
				fprintf(stderr, "probe: --dial-timeout-ms wants 1..%d\n",
				        JOB_MAX_BUDGET_MS);
				return -1;
			}
			break;
		case 'b':
			if (s_parse_u32(optarg, JOB_MIN_BUDGET_MS, JOB_MAX_BUDGET_MS,
			                &o->job.budget_ms) != 0) {
				fprintf(stderr, "probe: --budget-ms wants %d..%d\n",
				        JOB_MIN_BUDGET_MS, JOB_MAX_BUDGET_MS);
				return -1;
			}
			break;
		case '6':
			o->cfg.ipv6 = false;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			s_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "probe: unknown or incomplete option \"%s\"\n",
			        argv[optind - 1]);
			s_usage(stderr);
			return -1;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "probe: expected a method and one DOMAIN\n");
		s_usage(stderr);
		return -1;
	}
	method = argv[optind];
	domain = argv[optind + 1];
	o->job.method = vt_method_parse(method);
	if (o->job.method == VT_METHOD_NONE) {
		fprintf(stderr,
		        "probe: unknown method \"%s\" (http-01, tls-alpn-01, dns-01, caa or "
		        "tls-cert)\n",
		        method);
		return -1;
	}
	size_t dl = strlen(domain);
	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if (dl == 0 || dl > LIMIT_DOMAIN_LEN) {
		fprintf(stderr, "probe: bad DOMAIN\n");
		return -1;
	}
	for (size_t i = 0; i < dl; i++) {
		unsigned char ch = (unsigned char)domain[i];
		if (!isalnum(ch) && ch != '-' && ch != '.' && ch != ':' && ch != '_') {
			fprintf(stderr, "probe: bad character in DOMAIN\n");
			return -1;
		}
		o->job.domain[i] = (char)tolower(ch);
	}
	o->job.domain[dl] = '\0';
	if (s_challenge(&o->job, ka, token, digest, txt, issuer, account) != 0)
		return -1;
	snprintf(o->job.id, sizeof(o->job.id), "local");
	return 0;
}

struct s_run {
	struct event_base *base;
	bool done;
};

static void s_done(struct probe *p, void *arg)
{
	struct s_run *run = arg;

	run->done = true;
	event_base_loopbreak(run->base);
}

int probe_cmd_main(int argc, char **argv)
{
	struct s_opts o;
	struct s_run run = {0};
	struct probe_env *env = NULL;
	struct probe *p = NULL;
	struct vt_check check;
	struct vt_entry *e;
	json_t *doc = NULL;
	struct timeval tv;
	char err[256];
	int rc = S_EXIT_USAGE, pr;

	memset(&check, 0, sizeof(check));
	pr = s_parse(argc, argv, &o);
	if (pr != 0) {
		rc = pr > 0 ? 0 : S_EXIT_USAGE;
		goto out;
	}
	run.base = event_base_new();
	if (run.base == NULL) {
		fprintf(stderr, "probe: cannot create the event loop\n");
		goto out;
	}
	env = probe_env_new(run.base, &o.cfg, err, sizeof(err));
	if (env == NULL) {
		fprintf(stderr, "probe: %s\n", err);
		goto out;
	}
	p = probe_start(env, &o.job, s_done, &run, err, sizeof(err));
	if (p == NULL) {
		fprintf(stderr, "probe: %s\n", err);
		goto out;
	}
	/* the probe's budget timer ends it; this is only a backstop */
	tv.tv_sec = (o.job.budget_ms + JOB_GRACE_MS) / 1000;
	tv.tv_usec = 0;
	event_base_loopexit(run.base, &tv);
	event_base_dispatch(run.base);
	snprintf(check.domain, sizeof(check.domain), "%s", o.job.domain);
	check.method = o.job.method;
	check.mode = o.job.mode;
	e = vt_check_add_entry(&check);
	if (e == NULL) {
		fprintf(stderr, "probe: out of memory\n");
		goto out;
	}
	snprintf(e->vantage.agent, sizeof(e->vantage.agent), "local");
	snprintf(e->vantage.region, sizeof(e->vantage.region), "local");
	e->vantage.primary = false;
	e->vantage.ipv6 = o.cfg.ipv6;
	if (run.done) {
		e->result = *probe_result(p);
		memset(probe_result(p), 0, sizeof(struct vt_result));
	} else {
		snprintf(e->result.domain, sizeof(e->result.domain), "%s", o.job.domain);
		e->result.method = o.job.method;
		e->result.outcome = VT_OUTCOME_UNAVAILABLE;
	}
	verdict_judge(&check, 1);
	doc = report_json(&check, 1);
	if (doc == NULL) {
		fprintf(stderr, "probe: out of memory\n");
		goto out;
	}
	if (o.json) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		report_print(doc, stdout, isatty(STDOUT_FILENO) != 0);
	}
	fflush(stdout);
	rc = report_exit_code(doc);
out:
	json_decref(doc);
	vt_check_clear(&check);
	probe_free(&p);
	probe_env_destroy(&env);
	if (run.base != NULL)
		event_base_free(run.base);
	return rc;
}
