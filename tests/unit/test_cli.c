/*
 * test_cli.c -- coordinator/cli.c: argument rules, the token transport rule,
 * the webroot challenge file (written, then removed -- also on SIGTERM), the
 * parts of `vantage enroll` that decide what gets printed: durations, the
 * endpoint rule, shell quoting, the answer's checks and the cloud-init
 * template; the Nagios line of `vantage check --nagios`, the arguments and
 * output of `vantage history` and `vantage monitors`, and the since= times
 * (api.c's parser, which the CLI uses too).  Nothing here talks to a
 * coordinator.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/limits.h"
#include "../../coordinator/api.h"
#include "../../coordinator/cli.h"
#include "../../coordinator/enroll.h"
#include "cmdline.h"

TestSuite(cli);

Test(cli, loopback_detection)
{
	cr_assert(cli_host_is_loopback("127.0.0.1"));
	cr_assert(cli_host_is_loopback("127.0.0.2"));
	cr_assert(cli_host_is_loopback("127.255.255.254"));
	cr_assert(cli_host_is_loopback("[::1]"));
	cr_assert(cli_host_is_loopback("::1"));
	cr_assert(cli_host_is_loopback("localhost"));
	cr_assert(cli_host_is_loopback("LocalHost."));
	cr_assert(cli_host_is_loopback("api.localhost"));

	cr_assert_not(cli_host_is_loopback("128.0.0.1"));
	cr_assert_not(cli_host_is_loopback("10.0.0.1"));
	cr_assert_not(cli_host_is_loopback("[::2]"));
	cr_assert_not(cli_host_is_loopback("[::ffff:127.0.0.1"));
	cr_assert_not(cli_host_is_loopback("localhost.example.com"));
	cr_assert_not(cli_host_is_loopback("notlocalhost"));
	cr_assert_not(cli_host_is_loopback("example.com"));
	cr_assert_not(cli_host_is_loopback(""));
	cr_assert_not(cli_host_is_loopback(NULL));
}

Test(cli, token_transport_rule)
{
	char err[512] = "";

	cr_assert_eq(cli_check_coordinator_url("http://127.0.0.1:8750", err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(cli_check_coordinator_url("http://127.0.0.2:8750/", err, sizeof(err)), 0);
	cr_assert_eq(cli_check_coordinator_url("http://[::1]:8750", err, sizeof(err)), 0);
	cr_assert_eq(cli_check_coordinator_url("http://localhost:8750", err, sizeof(err)), 0);
	cr_assert_eq(cli_check_coordinator_url("https://coord.example.net:8750", err, sizeof(err)),
	             0);

	cr_assert_eq(cli_check_coordinator_url("http://coord.example.net:8750", err, sizeof(err)),
	             -1);
	cr_assert(strstr(err, "refusing to send the API token over plain http://") != NULL, "%s",
	          err);
	cr_assert(strstr(err, "https://") != NULL, "%s", err);

	cr_assert_eq(cli_check_coordinator_url("http://10.1.2.3:8750", err, sizeof(err)), -1);
	cr_assert_eq(cli_check_coordinator_url("HTTP://192.0.2.1", err, sizeof(err)), -1);
	/* a userinfo trick does not make a remote host local */
	cr_assert_eq(cli_check_coordinator_url("http://127.0.0.1@evil.example/", err, sizeof(err)),
	             -1);
	cr_assert_eq(cli_check_coordinator_url("ftp://127.0.0.1/", err, sizeof(err)), -1);
	cr_assert(strstr(err, "scheme") != NULL, "%s", err);
	cr_assert_eq(cli_check_coordinator_url("not a url", err, sizeof(err)), -1);
}

Test(cli, key_authorization_rules)
{
	char err[512] = "", tok[LIMIT_TOKEN_LEN + 1];
	char long_ka[LIMIT_KEYAUTH_LEN + 10];

	cr_assert_eq(cli_parse_key_authorization("abc_DEF-123.thumb-print_X", tok, sizeof(tok), err,
	                                         sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(tok, "abc_DEF-123");

	cr_assert_eq(cli_parse_key_authorization("nodothere", tok, sizeof(tok), err, sizeof(err)),
	             -1);
	cr_assert(strstr(err, "no '.'") != NULL, "%s", err);
	cr_assert_eq(cli_parse_key_authorization(".thumb", tok, sizeof(tok), err, sizeof(err)), -1);
	cr_assert(strstr(err, "non-empty") != NULL, "%s", err);
	cr_assert_eq(cli_parse_key_authorization("token.", tok, sizeof(tok), err, sizeof(err)), -1);
	cr_assert_eq(
	        cli_parse_key_authorization("to/ken.thumb", tok, sizeof(tok), err, sizeof(err)),
	        -1);
	cr_assert(strstr(err, "base64url") != NULL, "%s", err);
	cr_assert_eq(cli_parse_key_authorization("a.b.c", tok, sizeof(tok), err, sizeof(err)), -1);

	memset(long_ka, 'a', sizeof(long_ka) - 1);
	long_ka[sizeof(long_ka) - 1] = '\0';
	long_ka[10] = '.';
	cr_assert_eq(cli_parse_key_authorization(long_ka, tok, sizeof(tok), err, sizeof(err)), -1);
	cr_assert(strstr(err, "longer than") != NULL, "%s", err);
}

Test(cli, domain_rules)
{
	char err[512] = "";
	char *one[] = {"www.example.com"};
	char *two[] = {"a.example", "b.example"};
	char *bad[] = {"a example"};
	char *many[LIMIT_DOMAINS_PER_CHECK + 1];

	cr_assert_eq(cli_check_domains(1, one, true, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli_check_domains(2, two, false, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli_check_domains(2, two, false, true, err, sizeof(err)), 0, "%s", err);

	cr_assert_eq(cli_check_domains(2, two, true, false, err, sizeof(err)), -1);
	cr_assert(strstr(err, "exactly one domain") != NULL, "%s", err);
	cr_assert_eq(cli_check_domains(1, one, true, true, err, sizeof(err)), -1);
	cr_assert(strstr(err, "mutually exclusive") != NULL, "%s", err);
	cr_assert_eq(cli_check_domains(0, one, false, false, err, sizeof(err)), -1);
	cr_assert(strstr(err, "no domain") != NULL, "%s", err);
	cr_assert_eq(cli_check_domains(1, bad, false, false, err, sizeof(err)), -1);
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i] = "x.example";
	cr_assert_eq(cli_check_domains(LIMIT_DOMAINS_PER_CHECK + 1, many, false, false, err,
	                               sizeof(err)),
	             -1);
	cr_assert_eq(
	        cli_check_domains(LIMIT_DOMAINS_PER_CHECK, many, false, false, err, sizeof(err)),
	        0);
}

Test(cli, random_b64url)
{
	char a[CLI_CHALLENGE_TOKEN_LEN + 1], b[CLI_CHALLENGE_TOKEN_LEN + 1], err[128];

	cr_assert_eq(cli_random_b64url(a, CLI_CHALLENGE_TOKEN_LEN, err, sizeof(err)), 0);
	cr_assert_eq(cli_random_b64url(b, CLI_CHALLENGE_TOKEN_LEN, err, sizeof(err)), 0);
	cr_assert_eq(strlen(a), CLI_CHALLENGE_TOKEN_LEN);
	cr_assert_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
	             CLI_CHALLENGE_TOKEN_LEN);
	cr_assert_str_neq(a, b);
}

static void s_mkwebroot(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/vantage-test-webroot-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static bool s_exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static mode_t s_mode(const char *p)
{
	struct stat st;

	cr_assert_eq(stat(p, &st), 0, "stat %s", p);
	return st.st_mode & 07777;
}

Test(cli, webroot_creates_and_removes_everything)
{
	char dir[64], wk[128], ac[128], content[256] = "", err[512] = "", tok[LIMIT_TOKEN_LEN + 1];
	struct cli_webroot w;
	FILE *f;

	s_mkwebroot(dir, sizeof(dir));
	snprintf(wk, sizeof(wk), "%s/.well-known", dir);
	snprintf(ac, sizeof(ac), "%s/.well-known/acme-challenge", dir);

	cr_assert_eq(cli_webroot_prepare(&w, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(w.token), CLI_CHALLENGE_TOKEN_LEN);
	cr_assert_eq(strlen(w.key_authorization), 2 * CLI_CHALLENGE_TOKEN_LEN + 1);
	cr_assert_eq(cli_parse_key_authorization(w.key_authorization, tok, sizeof(tok), err,
	                                         sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(tok, w.token);
	cr_assert_eq(s_mode(wk), 0755);
	cr_assert_eq(s_mode(ac), 0755);
	cr_assert_eq(s_mode(w.file), 0644);
	cr_assert(strncmp(w.file, ac, strlen(ac)) == 0);
	f = fopen(w.file, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(content, sizeof(content), f));
	fclose(f);
	cr_assert_str_eq(content, w.key_authorization);

	cli_webroot_cleanup(&w);
	cr_assert_not(s_exists(w.file));
	cr_assert_not(s_exists(ac));
	cr_assert_not(s_exists(wk));
	cr_assert(s_exists(dir));
	cli_webroot_cleanup(&w); /* twice is harmless */
	cr_assert_eq(rmdir(dir), 0);
}

Test(cli, webroot_keeps_existing_dirs)
{
	char dir[64], wk[128], ac[128], other[192], file[PATH_MAX], err[512] = "";
	struct cli_webroot w;
	FILE *f;

	s_mkwebroot(dir, sizeof(dir));
	snprintf(wk, sizeof(wk), "%s/.well-known", dir);
	snprintf(ac, sizeof(ac), "%s/.well-known/acme-challenge", dir);
	snprintf(other, sizeof(other), "%s/.well-known/security.txt", dir);
	cr_assert_eq(mkdir(wk, 0700), 0);
	f = fopen(other, "w");
	cr_assert_not_null(f);
	fclose(f);

	cr_assert_eq(cli_webroot_prepare(&w, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w.n_dirs, 1);
	cr_assert_eq(s_mode(wk), 0700); /* not touched */
	snprintf(file, sizeof(file), "%s", w.file);
	cli_webroot_cleanup(&w);
	cr_assert_not(s_exists(file));
	cr_assert_not(s_exists(ac));
	cr_assert(s_exists(wk));
	cr_assert(s_exists(other));

	/* both directories pre-existing: only the file goes */
	cr_assert_eq(mkdir(ac, 0755), 0);
	cr_assert_eq(cli_webroot_prepare(&w, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w.n_dirs, 0);
	snprintf(file, sizeof(file), "%s", w.file);
	cli_webroot_cleanup(&w);
	cr_assert_not(s_exists(file));
	cr_assert(s_exists(ac));

	cr_assert_eq(rmdir(ac), 0);
	cr_assert_eq(unlink(other), 0);
	cr_assert_eq(rmdir(wk), 0);
	cr_assert_eq(rmdir(dir), 0);
}

Test(cli, webroot_errors_leave_nothing)
{
	char dir[64], wk[128], err[512] = "";
	struct cli_webroot w;
	FILE *f;

	cr_assert_eq(cli_webroot_prepare(&w, "/nonexistent/vantage-webroot", err, sizeof(err)), -1);
	cr_assert(strstr(err, "/nonexistent/vantage-webroot") != NULL, "%s", err);

	/* .well-known is a file: refused, nothing created */
	s_mkwebroot(dir, sizeof(dir));
	snprintf(wk, sizeof(wk), "%s/.well-known", dir);
	f = fopen(wk, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(cli_webroot_prepare(&w, dir, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not a directory") != NULL, "%s", err);
	cr_assert_eq(unlink(wk), 0);
	cr_assert_eq(rmdir(dir), 0); /* fails if anything was left behind */
}

Test(cli, webroot_removed_on_sigterm)
{
	char dir[64], wk[128], path[PATH_MAX];
	int fds[2], status = 0;
	pid_t pid;
	ssize_t n;

	s_mkwebroot(dir, sizeof(dir));
	snprintf(wk, sizeof(wk), "%s/.well-known", dir);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct cli_webroot w;
		char err[512];

		close(fds[0]);
		if (cli_webroot_prepare(&w, dir, err, sizeof(err)) != 0)
			_exit(10);
		if (write(fds[1], w.file, strlen(w.file) + 1) < 0)
			_exit(11);
		close(fds[1]);
		pause(); /* until the parent's SIGTERM */
		_exit(12);
	}
	close(fds[1]);
	memset(path, 0, sizeof(path));
	n = read(fds[0], path, sizeof(path) - 1);
	close(fds[0]);
	cr_assert_gt(n, 0);
	cr_assert(s_exists(path), "challenge file %s missing while the child runs", path);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "status %d", status);
	cr_assert_not(s_exists(path));
	cr_assert_not(s_exists(wk));
	cr_assert_eq(rmdir(dir), 0);
}

/* The refusal comes before anything else: the token file named here does not
 * exist, so even a broken rule could not send a token -- and no connection is
 * made (the error is the refusal, not an unreadable token or a timeout). */
Test(cli, get_agents_refuses_plain_http_to_remote_host)
{
	char err[512] = "";
	json_t *doc = NULL;

	cr_assert_eq(cli_get_agents("http://10.0.0.1:8750", "/nonexistent/vantage.token", NULL,
	                            &doc, err, sizeof(err)),
	             -1);
	cr_assert_null(doc);
	cr_assert(strstr(err, "refusing to send the API token over plain http:// to 10.0.0.1") !=
	                  NULL,
	          "%s", err);
}

/* ---- vantage check's method and challenge options ---- */

/* Parse a NULL-terminated list of arguments after "check". */
static int s_parse(struct cli_check_opts *o, char *err, size_t errlen, ...)
{
	static struct cmdline c;
	va_list ap;

	c = (struct cmdline){.argc = 1, .argv = {"check"}};
	va_start(ap, errlen);
	cmdline_add(&c, ap);
	va_end(ap);
	err[0] = '\0';
	return cli_check_parse(c.argc, c.argv, o, err, errlen);
}

static void s_refused(const char *needle, int rc, const char *err)
{
	cr_assert_eq(rc, -1, "accepted; wanted an error with \"%s\"", needle);
	cr_assert(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
}

#define T_HEX "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define T_B64 "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ"

Test(cli, check_methods_parse)
{
	struct cli_check_opts o;
	char err[512];

	cr_assert_eq(s_parse(&o, err, sizeof(err), "a.example", NULL), 0, "%s", err);
	cr_assert_eq(o.n_methods, 1);
	cr_assert_eq(o.methods[0], VT_METHOD_HTTP01);
	cr_assert_not(o.caa_named);
	cr_assert_not(o.no_caa);

	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "dns-01,tls-alpn-01", "--method",
	                     "caa", "a.example", NULL),
	             0, "%s", err);
	cr_assert_eq(o.n_methods, 2);
	cr_assert_eq(o.methods[0], VT_METHOD_DNS01);
	cr_assert_eq(o.methods[1], VT_METHOD_TLSALPN01);
	cr_assert(o.caa_named);

	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "caa", "a.example", NULL), 0, "%s",
	             err);
	cr_assert_eq(o.n_methods, 0);
	cr_assert(o.caa_named);

	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "all", "--method", "http-01",
	                     "a.example", NULL),
	             0, "%s", err);
	cr_assert_eq(o.n_methods, 3);
	cr_assert(o.caa_named);

	s_refused("unknown method",
	          s_parse(&o, err, sizeof(err), "--method", "smtp-01", "a.example", NULL), err);
	s_refused("names separated by commas",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01,,caa", "a.example", NULL), err);
	s_refused("--no-caa contradicts",
	          s_parse(&o, err, sizeof(err), "--method", "all", "--no-caa", "a.example", NULL),
	          err);
	s_refused("need the CAA check",
	          s_parse(&o, err, sizeof(err), "--no-caa", "--issuer-domain", "pki.goog",
	                  "a.example", NULL),
	          err);
	s_refused("--issuer-domain",
	          s_parse(&o, err, sizeof(err), "--issuer-domain", "not/a/name", "a.example", NULL),
	          err);
	s_refused("--account-uri",
	          s_parse(&o, err, sizeof(err), "--account-uri", "https://acme.example/acct;1",
	                  "a.example", NULL),
	          err);
}

Test(cli, check_challenge_options_per_method)
{
	struct cli_check_opts o;
	char err[512];

	/* --digest: tls-alpn-01 / dns-01 only, well-formed */
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "tls-alpn-01", "--digest", T_HEX,
	                     "a.example", NULL),
	             0, "%s", err);
	cr_assert_str_eq(o.digest, T_HEX);
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "dns-01", "--digest", T_B64,
	                     "a.example", NULL),
	             0, "%s", err);
	s_refused("validates only tls-alpn-01 and dns-01",
	          s_parse(&o, err, sizeof(err), "--digest", T_HEX, "a.example", NULL), err);
	s_refused("validates only tls-alpn-01 and dns-01",
	          s_parse(&o, err, sizeof(err), "--method", "http-01,dns-01", "--digest", T_HEX,
	                  "a.example", NULL),
	          err);
	s_refused("validates only tls-alpn-01 and dns-01",
	          s_parse(&o, err, sizeof(err), "--method", "caa", "--digest", T_HEX, "a.example",
	                  NULL),
	          err);
	s_refused("expected SHA-256(key authorization)",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01", "--digest", "abc123",
	                  "a.example", NULL),
	          err);
	s_refused("expected SHA-256(key authorization)",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01", "--digest",
	                  "zzf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
	                  "a.example", NULL),
	          err);
	/* --txt: dns-01 only */
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "dns-01", "--txt", T_B64,
	                     "a.example", NULL),
	             0, "%s", err);
	s_refused("--txt is the DNS-01 record value",
	          s_parse(&o, err, sizeof(err), "--method", "tls-alpn-01", "--txt", T_B64,
	                  "a.example", NULL),
	          err);
	/* --webroot: http-01 only */
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--webroot", "/tmp", "a.example", NULL), 0, "%s",
	             err);
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "http-01,caa", "--webroot", "/tmp",
	                     "a.example", NULL),
	             0, "%s", err);
	s_refused("--webroot writes an HTTP-01 challenge file",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01", "--webroot", "/tmp",
	                  "a.example", NULL),
	          err);
	s_refused("--webroot writes an HTTP-01 challenge file",
	          s_parse(&o, err, sizeof(err), "--method", "all", "--webroot", "/tmp", "a.example",
	                  NULL),
	          err);
	/* one challenge value at a time, for one domain */
	s_refused("mutually exclusive",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01", "--digest", T_B64,
	                  "--key-authorization", "tok.thumb", "a.example", NULL),
	          err);
	s_refused("exactly one domain",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01", "--txt", T_B64, "a.example",
	                  "b.example", NULL),
	          err);
}

Test(cli, check_request_body)
{
	struct cli_check_opts o;
	char err[512], *domains[] = {"a.example"};
	json_t *body, *m;

	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "dns-01,caa", "--txt", T_B64,
	                     "--issuer-domain", "pki.goog", "--account-uri",
	                     "https://acme.example/acct/1", "a.example", NULL),
	             0, "%s", err);
	body = cli_check_body(&o, domains, 1, NULL);
	cr_assert_not_null(body);
	m = json_object_get(body, "methods");
	cr_assert_eq(json_array_size(m), 2);
	cr_assert_str_eq(json_string_value(json_array_get(m, 0)), "dns-01");
	cr_assert_str_eq(json_string_value(json_array_get(m, 1)), "caa");
	cr_assert(json_is_true(json_object_get(body, "caa")));
	cr_assert_str_eq(json_string_value(json_object_get(body, "mode")), "validate");
	cr_assert_str_eq(json_string_value(json_object_get(body, "txt")), T_B64);
	cr_assert_str_eq(json_string_value(json_object_get(body, "caa_issuer")), "pki.goog");
	cr_assert_str_eq(json_string_value(json_object_get(body, "account_uri")),
	                 "https://acme.example/acct/1");
	json_decref(body);

	cr_assert_eq(s_parse(&o, err, sizeof(err), "--no-caa", "a.example", NULL), 0, "%s", err);
	body = cli_check_body(&o, domains, 1, NULL);
	cr_assert_not_null(body);
	cr_assert(json_is_false(json_object_get(body, "caa")));
	cr_assert_str_eq(json_string_value(json_object_get(body, "mode")), "reachability");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(body, "methods"), 0)),
	                 "http-01");
	json_decref(body);
}

/* ---- vantage enroll ---- */

#define T_KEY "O+2B)J)^w%R33iQ7K>Tb)^c<7X>ZetWYCd1ghhqW" /* a public key (Z85) */
#define T_TOK "0123456789abcdef0123456789ABCDEF"

Test(cli, enroll_duration)
{
	uint32_t s = 0;
	char err[256];

	cr_assert_eq(cli_parse_duration("90", &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s, 90);
	cr_assert_eq(cli_parse_duration("45s", &s, err, sizeof(err)), 0);
	cr_assert_eq(s, 45);
	cr_assert_eq(cli_parse_duration("30m", &s, err, sizeof(err)), 0);
	cr_assert_eq(s, 1800);
	cr_assert_eq(cli_parse_duration("24h", &s, err, sizeof(err)), 0);
	cr_assert_eq(s, 86400);
	cr_assert_eq(cli_parse_duration("7d", &s, err, sizeof(err)), 0);
	cr_assert_eq(s, ENROLL_MAX_TTL_S);
	cr_assert_eq(cli_parse_duration("168h", &s, err, sizeof(err)), 0);
	cr_assert_eq(s, ENROLL_MAX_TTL_S);

	s = 7;
	s_refused("must be 1s", cli_parse_duration("8d", &s, err, sizeof(err)), err);
	s_refused("must be 1s", cli_parse_duration("604801", &s, err, sizeof(err)), err);
	s_refused("must be 1s", cli_parse_duration("0", &s, err, sizeof(err)), err);
	s_refused("must be 1s", cli_parse_duration("0h", &s, err, sizeof(err)), err);
	/* large enough to overflow when multiplied */
	s_refused("must be 1s", cli_parse_duration("99999999999999d", &s, err, sizeof(err)), err);
	s_refused("expected N", cli_parse_duration("99999999999999999999999", &s, err, sizeof(err)),
	          err);
	s_refused("expected N", cli_parse_duration("", &s, err, sizeof(err)), err);
	s_refused("expected N", cli_parse_duration("h", &s, err, sizeof(err)), err);
	s_refused("expected N", cli_parse_duration("-5m", &s, err, sizeof(err)), err);
	s_refused("expected N", cli_parse_duration("+5m", &s, err, sizeof(err)), err);
	s_refused("expected N", cli_parse_duration(" 5m", &s, err, sizeof(err)), err);
	s_refused("expected N", cli_parse_duration("5w", &s, err, sizeof(err)), err);
	s_refused("expected N", cli_parse_duration("5hh", &s, err, sizeof(err)), err);
	s_refused("expected N", cli_parse_duration("1.5h", &s, err, sizeof(err)), err);
	cr_assert_eq(s, 7, "a refused duration changed the output");
}

Test(cli, enroll_endpoint_rule)
{
	char out[CLI_ENDPOINT_LEN], err[512];
	const char *wild[] = {
	        "tcp://0.0.0.0:8751", "tcp://*:8751",    "tcp://[::]:8751", "tcp://[::0]:8751",
	        "tcp://eth0:8751",    "tcp://0.0.0.0:*", "ipc:///run/x",    NULL};

	/* --endpoint wins over everything */
	cr_assert_eq(cli_enroll_endpoint("tcp://given.example:9000", "tcp://pub.example:8751",
	                                 "tcp://192.0.2.1:8751", out, sizeof(out), err,
	                                 sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(out, "tcp://given.example:9000");
	/* then public_endpoint */
	cr_assert_eq(cli_enroll_endpoint(NULL, "tcp://pub.example:8751", "tcp://192.0.2.1:8751",
	                                 out, sizeof(out), err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(out, "tcp://pub.example:8751");
	/* then a concrete bind address ("" and null public_endpoint alike) */
	cr_assert_eq(cli_enroll_endpoint(NULL, "", "tcp://192.0.2.1:8751", out, sizeof(out), err,
	                                 sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(out, "tcp://192.0.2.1:8751");
	cr_assert_eq(cli_enroll_endpoint(NULL, NULL, "tcp://[2001:db8::1]:8751", out, sizeof(out),
	                                 err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(out, "tcp://[2001:db8::1]:8751");
	cr_assert_eq(cli_enroll_endpoint(NULL, NULL, "tcp://coord.example.net:8751", out,
	                                 sizeof(out), err, sizeof(err)),
	             0, "%s", err);

	/* wildcards, interface names and no bind at all: say --endpoint */
	for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		cr_assert_eq(cli_enroll_endpoint(NULL, NULL, wild[i], out, sizeof(out), err,
		                                 sizeof(err)),
		             -1, "accepted %s", wild[i] != NULL ? wild[i] : "NULL");
		cr_assert(strstr(err, "the coordinator has no public_endpoint: say --endpoint "
		                      "tcp://HOST:") != NULL,
		          "%s", err);
	}
	/* the suggestion keeps the bind's port */
	cr_assert_eq(cli_enroll_endpoint(NULL, NULL, "tcp://0.0.0.0:9751", out, sizeof(out), err,
	                                 sizeof(err)),
	             -1);
	cr_assert(strstr(err, "--endpoint tcp://HOST:9751") != NULL, "%s", err);
	cr_assert_eq(cli_enroll_endpoint(NULL, NULL, "tcp://0.0.0.0:*", out, sizeof(out), err,
	                                 sizeof(err)),
	             -1);
	cr_assert(strstr(err, "--endpoint tcp://HOST:8751") != NULL, "%s", err);

	/* a malformed --endpoint or public_endpoint is an error, not skipped */
	s_refused("--endpoint",
	          cli_enroll_endpoint("coord.example:8751", NULL, "tcp://192.0.2.1:1", out,
	                              sizeof(out), err, sizeof(err)),
	          err);
	s_refused("public_endpoint",
	          cli_enroll_endpoint(NULL, "tcp://pub example:1", "tcp://192.0.2.1:1", out,
	                              sizeof(out), err, sizeof(err)),
	          err);
}

Test(cli, enroll_endpoint_syntax)
{
	char err[512];
	const char *good[] = {"tcp://c.example.net:8751", "tcp://192.0.2.7:1",
	                      "tcp://[2001:db8::7]:65535", "tcp://c_1-x.example:8751"};
	const char *bad[] = {"",
	                     "tcp://",
	                     "tcp://:8751",
	                     "tcp://c.example.net",
	                     "tcp://c.example.net:",
	                     "tcp://c.example.net:0",
	                     "tcp://c.example.net:65536",
	                     "tcp://c.example.net:+1",
	                     "tcp://c.example.net:87a",
	                     "udp://c.example.net:8751",
	                     "TCP://c.example.net:8751",
	                     "tcp://2001:db8::7:8751",
	                     "tcp://[2001:db8::7]8751",
	                     "tcp://[nothex]:8751",
	                     "tcp://c.example.net';rm -rf /;':8751",
	                     "tcp://c.example.net\":1",
	                     "tcp://a b:1",
	                     "tcp://c.example.net:8751;tcp://x:1",
	                     "tcp://*:8751"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(cli_endpoint_check("--endpoint", good[i], err, sizeof(err)), 0,
		             "%s: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		s_refused("expected tcp://HOST:PORT",
		          cli_endpoint_check("--endpoint", bad[i], err, sizeof(err)), err);
}

Test(cli, enroll_shell_quoting)
{
	char out[64] = "", small[8] = "", err[256];

	cr_assert_eq(cli_shell_quote("x", "a$b`c\"d", out, sizeof(out), err, sizeof(err)), 0);
	cr_assert_str_eq(out, "'a$b`c\"d'");
	cr_assert_eq(cli_shell_quote("y", "", out, sizeof(out), err, sizeof(err)), 0);
	cr_assert_str_eq(out, "'a$b`c\"d'''");

	out[0] = '\0';
	s_refused(
	        "the token contains a single quote",
	        cli_shell_quote("the token", "ab'; rm -rf / #", out, sizeof(out), err, sizeof(err)),
	        err);
	cr_assert_str_eq(out, "", "a refused value left text behind");
	s_refused("control or non-ASCII",
	          cli_shell_quote("v", "a\nb", out, sizeof(out), err, sizeof(err)), err);
	s_refused("control or non-ASCII",
	          cli_shell_quote("v", "caf\xc3\xa9", out, sizeof(out), err, sizeof(err)), err);
	/* exactly fits: 5 characters + 2 quotes + NUL */
	cr_assert_eq(cli_shell_quote("v", "abcde", small, sizeof(small), err, sizeof(err)), 0);
	cr_assert_str_eq(small, "'abcde'");
	small[0] = '\0';
	s_refused("longer than",
	          cli_shell_quote("v", "abcdef", small, sizeof(small), err, sizeof(err)), err);
}

Test(cli, enroll_command)
{
	char out[CLI_ENROLL_CMD_LEN], err[256];

	cr_assert_eq(cli_enroll_command("tcp://c.example.net:8751", T_KEY, "euw1", T_TOK, out,
	                                sizeof(out), err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(out, "vantage-agent enroll --coordinator 'tcp://c.example.net:8751' "
	                      "--coordinator-key '" T_KEY "' --name 'euw1' --token '" T_TOK
	                      "' && systemctl enable --now vantage-agent");
	/* defensive: a quote anywhere refuses the whole command */
	s_refused("single quote",
	          cli_enroll_command("tcp://c.example.net:8751", T_KEY, "euw1", "ab'cd", out,
	                             sizeof(out), err, sizeof(err)),
	          err);
	cr_assert_str_eq(out, "");
	s_refused("longer than",
	          cli_enroll_command("tcp://c.example.net:8751", T_KEY, "euw1", T_TOK, out, 40, err,
	                             sizeof(err)),
	          err);
}

/* Parse a NULL-terminated list of arguments after "enroll". */
static int s_parse_enroll(struct cli_enroll_opts *o, char *err, size_t errlen, ...)
{
	static struct cmdline c;
	va_list ap;

	c = (struct cmdline){.argc = 1, .argv = {"enroll"}};
	va_start(ap, errlen);
	cmdline_add(&c, ap);
	va_end(ap);
	err[0] = '\0';
	return cli_enroll_parse(c.argc, c.argv, o, err, errlen);
}

Test(cli, enroll_parse_and_body)
{
	struct cli_enroll_opts o;
	char err[512];
	json_t *body;

	cr_assert_eq(s_parse_enroll(&o, err, sizeof(err), "euw1", NULL), 0, "%s", err);
	cr_assert_str_eq(o.name, "euw1");
	cr_assert_eq(o.ttl_s, ENROLL_DEFAULT_TTL_S);
	cr_assert_null(o.region);
	body = cli_enroll_body(&o);
	cr_assert_not_null(body);
	cr_assert_str_eq(json_string_value(json_object_get(body, "name")), "euw1");
	cr_assert_null(json_object_get(body, "region"), "region sent although not given");
	cr_assert_null(json_object_get(body, "rir"));
	cr_assert_null(json_object_get(body, "primary"), "primary sent although not given");
	cr_assert_eq(json_integer_value(json_object_get(body, "ttl_s")), ENROLL_DEFAULT_TTL_S);
	json_decref(body);

	cr_assert_eq(s_parse_enroll(&o, err, sizeof(err), "--region", "eu-west", "--rir", "RIPE",
	                            "--primary", "--ttl", "2h", "sfo-1", "--json", NULL),
	             0, "%s", err);
	cr_assert(o.json && o.primary);
	body = cli_enroll_body(&o);
	cr_assert_not_null(body);
	cr_assert_str_eq(json_string_value(json_object_get(body, "region")), "eu-west");
	cr_assert_str_eq(json_string_value(json_object_get(body, "rir")), "RIPE");
	cr_assert(json_is_true(json_object_get(body, "primary")));
	cr_assert_eq(json_integer_value(json_object_get(body, "ttl_s")), 7200);
	json_decref(body);

	cr_assert_eq(
	        s_parse_enroll(&o, err, sizeof(err), "--cloud-init", "--package-sha256",
	                       "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
	                       "--package-url", "https://example.net/v.deb", "euw1", NULL),
	        0, "%s", err);
	cr_assert_str_eq(o.package_sha256, T_HEX);
	cr_assert_eq(s_parse_enroll(&o, err, sizeof(err), "--help", NULL), 1);

	s_refused("exactly one agent NAME", s_parse_enroll(&o, err, sizeof(err), NULL), err);
	s_refused("exactly one agent NAME", s_parse_enroll(&o, err, sizeof(err), "a", "b", NULL),
	          err);
	s_refused("invalid agent name", s_parse_enroll(&o, err, sizeof(err), "eu w1';rm", NULL),
	          err);
	s_refused("invalid agent name", s_parse_enroll(&o, err, sizeof(err), ".hidden", NULL), err);
	s_refused("go with --cloud-init",
	          s_parse_enroll(&o, err, sizeof(err), "--template", "/tmp/x", "euw1", NULL), err);
	s_refused("--package-url",
	          s_parse_enroll(&o, err, sizeof(err), "--cloud-init", "--package-url",
	                         "ftp://example.net/v.deb", "euw1", NULL),
	          err);
	s_refused("--package-url",
	          s_parse_enroll(&o, err, sizeof(err), "--cloud-init", "--package-url",
	                         "https://example.net/it's.deb", "euw1", NULL),
	          err);
	s_refused("--package-sha256",
	          s_parse_enroll(&o, err, sizeof(err), "--cloud-init", "--package-sha256", "abc",
	                         "euw1", NULL),
	          err);
	s_refused("duration", s_parse_enroll(&o, err, sizeof(err), "--ttl", "30d", "euw1", NULL),
	          err);
	s_refused("--endpoint",
	          s_parse_enroll(&o, err, sizeof(err), "--endpoint", "c.example:1", "euw1", NULL),
	          err);
	s_refused("--region", s_parse_enroll(&o, err, sizeof(err), "--region", "", "euw1", NULL),
	          err);
	s_refused("unknown or incomplete option",
	          s_parse_enroll(&o, err, sizeof(err), "--force", "euw1", NULL), err);
}

/* A 201 answer as docs/api.md describes it. */
static json_t *s_answer(const char *token, const char *key, const char *pub, const char *bind)
{
	json_t *j =
	        json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s}", "name", "euw1", "region",
	                  "eu-west", "rir", "RIPE", "primary", 0, "expires", "2026-01-02T03:04:05Z",
	                  "token", token, "coordinator_public_key", key, "agent_endpoint", bind);

	cr_assert_not_null(j);
	json_object_set_new(j, "public_endpoint", pub != NULL ? json_string(pub) : json_null());
	return j;
}

Test(cli, enroll_answer_checks)
{
	struct cli_enroll_opts o;
	struct cli_enroll_ticket t;
	char err[512];
	json_t *doc;

	cr_assert_eq(s_parse_enroll(&o, err, sizeof(err), "euw1", NULL), 0, "%s", err);

	doc = s_answer(T_TOK, T_KEY, "tcp://pub.example:8751", "tcp://0.0.0.0:8751");
	cr_assert_eq(cli_enroll_ticket(doc, &o, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(t.endpoint, "tcp://pub.example:8751");
	cr_assert_str_eq(t.region, "eu-west");
	cr_assert_str_eq(t.expires, "2026-01-02T03:04:05Z");
	cr_assert(strstr(t.command, "--token '" T_TOK "'") != NULL, "%s", t.command);
	json_decref(doc);

	/* public_endpoint null, bind on every address: say --endpoint */
	doc = s_answer(T_TOK, T_KEY, NULL, "tcp://0.0.0.0:8751");
	s_refused("the coordinator has no public_endpoint: say --endpoint tcp://HOST:8751",
	          cli_enroll_ticket(doc, &o, &t, err, sizeof(err)), err);
	cr_assert_str_eq(t.token, "", "the token survived a refusal");
	o.endpoint = "tcp://198.51.100.9:8751";
	cr_assert_eq(cli_enroll_ticket(doc, &o, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(t.endpoint, "tcp://198.51.100.9:8751");
	o.endpoint = NULL;
	json_decref(doc);

	/* what the coordinator sent goes into a shell command: checked */
	doc = s_answer("abc'def", T_KEY, "tcp://pub.example:8751", "tcp://0.0.0.0:8751");
	s_refused("token is not", cli_enroll_ticket(doc, &o, &t, err, sizeof(err)), err);
	json_decref(doc);
	doc = s_answer(T_TOK, "O+2B)J)^w%R33iQ7K>Tb)^c<7X>ZetWYCd1ghhq'", "tcp://pub.example:8751",
	               "tcp://0.0.0.0:8751");
	s_refused("coordinator_public_key", cli_enroll_ticket(doc, &o, &t, err, sizeof(err)), err);
	json_decref(doc);
	doc = s_answer(T_TOK, T_KEY, "tcp://pub.example:8751';reboot;'", "tcp://0.0.0.0:8751");
	s_refused("public_endpoint", cli_enroll_ticket(doc, &o, &t, err, sizeof(err)), err);
	json_decref(doc);
	doc = s_answer(T_TOK, T_KEY, "tcp://pub.example:8751", "tcp://0.0.0.0:8751");
	json_object_set_new(doc, "name", json_string("other"));
	s_refused("another agent", cli_enroll_ticket(doc, &o, &t, err, sizeof(err)), err);
	json_object_del(doc, "token");
	json_object_set_new(doc, "name", json_string("euw1"));
	s_refused("lacks \"token\"", cli_enroll_ticket(doc, &o, &t, err, sizeof(err)), err);
	json_decref(doc);
}

static const char s_tmpl[] = "#cloud-config\n"
                             "# VANTAGE_X: fill the @\xe2\x80\xa6@ placeholders\n"
                             "e: '@COORDINATOR@'\n"
                             "k: '@COORDINATOR_PUBKEY@'\n"
                             "n: '@AGENT_NAME@' '@AGENT_NAME@'\n"
                             "t: '@ENROLL_TOKEN@'\n"
                             "u: '@PACKAGE_URL@'\n"
                             "s: '@PACKAGE_SHA256@'\n"
                             "o: '@OTHER@' @ @@\n";

Test(cli, enroll_template_fill)
{
	/* a key holding another placeholder's text: never substituted twice */
	const char *key = "@AGENT_NAME@@ENROLL_TOKEN@0123456789abcd";
	const char *values[CLI_PH_COUNT] = {"tcp://c.example.net:8751",  key,  "euw1", T_TOK,
	                                    "https://example.net/v.deb", T_HEX};
	size_t tail = strlen("s: '@PACKAGE_SHA256@'\n") + strlen("o: '@OTHER@' @ @@\n");
	unsigned left = 99;
	char err[512], *out;

	out = cli_template_fill(s_tmpl, strlen(s_tmpl), values, &left, err, sizeof(err));
	cr_assert_not_null(out, "%s", err);
	cr_assert_eq(left, 0);
	cr_assert_str_eq(out, "#cloud-config\n"
	                      "# VANTAGE_X: fill the @\xe2\x80\xa6@ placeholders\n"
	                      "e: 'tcp://c.example.net:8751'\n"
	                      "k: '@AGENT_NAME@@ENROLL_TOKEN@0123456789abcd'\n"
	                      "n: 'euw1' 'euw1'\n"
	                      "t: '" T_TOK "'\n"
	                      "u: 'https://example.net/v.deb'\n"
	                      "s: '" T_HEX "'\n"
	                      "o: '@OTHER@' @ @@\n");
	free(out);

	/* no package values: those placeholders stay, and the caller is told */
	values[CLI_PH_PACKAGE_URL] = NULL;
	values[CLI_PH_PACKAGE_SHA256] = NULL;
	out = cli_template_fill(s_tmpl, strlen(s_tmpl), values, &left, err, sizeof(err));
	cr_assert_not_null(out, "%s", err);
	cr_assert_eq(left, (1u << CLI_PH_PACKAGE_URL) | (1u << CLI_PH_PACKAGE_SHA256));
	cr_assert(strstr(out, "u: '@PACKAGE_URL@'\ns: '@PACKAGE_SHA256@'\n") != NULL, "%s", out);
	cr_assert(strstr(out, "t: '" T_TOK "'") != NULL);
	free(out);
	/* ... but only those in the template count as left */
	out = cli_template_fill(s_tmpl, strlen(s_tmpl) - tail, values, &left, err, sizeof(err));
	cr_assert_not_null(out, "%s", err);
	cr_assert_eq(left, 1u << CLI_PH_PACKAGE_URL);
	free(out);
}

Test(cli, enroll_template_refusals)
{
	const char *values[CLI_PH_COUNT] = {
	        "tcp://c.example.net:8751", T_KEY, "euw1", T_TOK, NULL, NULL};
	const char *old = "#cloud-config\ne: '@COORDINATOR@'\nk: '@COORDINATOR_PUBKEY@'\n"
	                  "n: '@AGENT_NAME@'\n";
	const char *ph = "@AGENT_NAME@";
	unsigned left;
	char err[512], *big;

	/* a template from before enrolment cannot carry the token */
	cr_assert_null(cli_template_fill(old, strlen(old), values, &left, err, sizeof(err)));
	cr_assert(strstr(err, "lacks @ENROLL_TOKEN@") != NULL, "%s", err);

	/* values go between single quotes: a quote or newline is refused */
	values[CLI_PH_ENROLL_TOKEN] = "ab'cd";
	cr_assert_null(cli_template_fill(s_tmpl, strlen(s_tmpl), values, &left, err, sizeof(err)));
	cr_assert(strstr(err, "@ENROLL_TOKEN@ holds a quote") != NULL, "%s", err);
	values[CLI_PH_ENROLL_TOKEN] = T_TOK;
	values[CLI_PH_PACKAGE_URL] = "https://example.net/a\nruncmd: [reboot]";
	cr_assert_null(cli_template_fill(s_tmpl, strlen(s_tmpl), values, &left, err, sizeof(err)));
	cr_assert(strstr(err, "@PACKAGE_URL@ holds a quote, control") != NULL, "%s", err);
	values[CLI_PH_PACKAGE_URL] = NULL;

	/* a required value missing is the caller's error */
	values[CLI_PH_AGENT_NAME] = NULL;
	cr_assert_null(cli_template_fill(s_tmpl, strlen(s_tmpl), values, &left, err, sizeof(err)));
	cr_assert(strstr(err, "no value for @AGENT_NAME@") != NULL, "%s", err);
	values[CLI_PH_AGENT_NAME] = "euw1";

	/* bounded: the template, and what filling it makes */
	big = malloc(CLI_TEMPLATE_MAX + 1);
	cr_assert_not_null(big);
	memset(big, 'x', CLI_TEMPLATE_MAX + 1);
	cr_assert_null(
	        cli_template_fill(big, CLI_TEMPLATE_MAX + 1, values, &left, err, sizeof(err)));
	cr_assert(strstr(err, "larger than") != NULL, "%s", err);
	memcpy(big, s_tmpl, strlen(s_tmpl));
	for (size_t o = strlen(s_tmpl); o + strlen(ph) <= CLI_TEMPLATE_MAX; o += strlen(ph))
		memcpy(big + o, ph, strlen(ph));
	values[CLI_PH_AGENT_NAME] = "a-rather-longer-agent-name";
	cr_assert_null(cli_template_fill(big, CLI_TEMPLATE_MAX, values, &left, err, sizeof(err)));
	cr_assert(strstr(err, "would exceed") != NULL, "%s", err);
	free(big);
}

Test(cli, enroll_template_read)
{
	char path[] = "/tmp/vantage-test-tmpl.XXXXXX", buf[PATH_MAX], err[512], *text = NULL;
	const char *p;
	size_t len = 0;
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(s_tmpl, f);
	fclose(f);
	cr_assert_eq(cli_template_read(path, &text, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(len, strlen(s_tmpl));
	cr_assert_str_eq(text, s_tmpl);
	free(text);
	text = NULL;

	/* one byte over the bound */
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (size_t i = 0; i <= CLI_TEMPLATE_MAX; i++)
		fputc('x', f);
	fclose(f);
	s_refused("larger than", cli_template_read(path, &text, &len, err, sizeof(err)), err);
	cr_assert_null(text);
	/* a NUL byte */
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fwrite("a\0b", 1, 3, f);
	fclose(f);
	s_refused("NUL byte", cli_template_read(path, &text, &len, err, sizeof(err)), err);
	cr_assert_eq(unlink(path), 0);
	s_refused("cannot read", cli_template_read(path, &text, &len, err, sizeof(err)), err);
	s_refused("not a regular file", cli_template_read("/tmp", &text, &len, err, sizeof(err)),
	          err);

	/* --template wins; else the installed one or the source tree's */
	cr_assert_str_eq(cli_template_path("/x/t.yaml", buf, sizeof(buf)), "/x/t.yaml");
	p = cli_template_path(NULL, buf, sizeof(buf));
	cr_assert(strcmp(p, CLI_TEMPLATE_SOURCE) == 0 ||
	                  strcmp(p, VANTAGE_DATADIR "/" CLI_TEMPLATE_NAME) == 0,
	          "%s", p);
}

/* The template shipped in deploy/ has every placeholder `vantage enroll`
 * fills, and none it does not know. */
Test(cli, enroll_shipped_template)
{
	const char *values[CLI_PH_COUNT] = {"tcp://c.example.net:8751",  T_KEY, "euw1", T_TOK,
	                                    "https://example.net/v.deb", T_HEX};
	char err[512], *text = NULL, *out;
	size_t len;
	unsigned left;

	if (access(CLI_TEMPLATE_SOURCE, R_OK) != 0)
		cr_skip_test("run from the source tree to check %s", CLI_TEMPLATE_SOURCE);
	cr_assert_eq(cli_template_read(CLI_TEMPLATE_SOURCE, &text, &len, err, sizeof(err)), 0, "%s",
	             err);
	out = cli_template_fill(text, len, values, &left, err, sizeof(err));
	cr_assert_not_null(out, "%s", err);
	cr_assert_eq(left, 0);
	for (const char *p = strchr(out, '@'); p != NULL; p = strchr(p + 1, '@')) {
		size_t n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
		cr_assert(n == 0 || p[n + 1] != '@', "unknown placeholder left: %.*s", (int)n + 2,
		          p);
	}
	cr_assert(strstr(out, "VANTAGE_ENROLL_TOKEN='" T_TOK "'") != NULL);
	free(out);
	free(text);
}

/* ---- vantage check --method tls-cert and --nagios ---- */

Test(cli, check_tls_cert_method)
{
	struct cli_check_opts o;
	char err[512], *domains[] = {"a.example"};
	json_t *body, *m;

	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "tls-cert", "a.example", NULL), 0,
	             "%s", err);
	cr_assert_eq(o.n_methods, 1);
	cr_assert_eq(o.methods[0], VT_METHOD_TLSCERT);
	body = cli_check_body(&o, domains, 1, NULL);
	cr_assert_not_null(body);
	m = json_object_get(body, "methods");
	cr_assert_eq(json_array_size(m), 1);
	cr_assert_str_eq(json_string_value(json_array_get(m, 0)), "tls-cert");
	/* a certificate check validates nothing, so no CAA check follows it */
	cr_assert(json_is_false(json_object_get(body, "caa")));
	cr_assert_str_eq(json_string_value(json_object_get(body, "mode")), "reachability");
	json_decref(body);

	/* with a challenge (or caa named) the CAA check stays */
	cr_assert_eq(
	        s_parse(&o, err, sizeof(err), "--method", "http-01,tls-cert", "a.example", NULL), 0,
	        "%s", err);
	cr_assert_eq(o.n_methods, 2);
	body = cli_check_body(&o, domains, 1, NULL);
	cr_assert(json_is_true(json_object_get(body, "caa")));
	json_decref(body);
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "tls-cert,caa", "a.example", NULL),
	             0, "%s", err);
	body = cli_check_body(&o, domains, 1, NULL);
	cr_assert(json_is_true(json_object_get(body, "caa")));
	json_decref(body);

	/* all four at once fit; "all" does not include tls-cert */
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "all", "--method", "tls-cert",
	                     "a.example", NULL),
	             0, "%s", err);
	cr_assert_eq(o.n_methods, 4);
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "all", "a.example", NULL), 0);
	cr_assert_eq(o.n_methods, 3);

	s_refused("needs no challenge",
	          s_parse(&o, err, sizeof(err), "--method", "tls-cert", "--key-authorization",
	                  "tok.thumb", "a.example", NULL),
	          err);
	s_refused("needs no challenge",
	          s_parse(&o, err, sizeof(err), "--method", "tls-cert", "--webroot", "/tmp",
	                  "a.example", NULL),
	          err);
	s_refused("need the CAA check",
	          s_parse(&o, err, sizeof(err), "--method", "tls-cert", "--issuer-domain",
	                  "pki.goog", "a.example", NULL),
	          err);
	/* the webroot's challenge is for http-01; tls-cert beside it needs none */
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "http-01,tls-cert", "--webroot",
	                     "/tmp", "a.example", NULL),
	             0, "%s", err);
	s_refused("mutually exclusive",
	          s_parse(&o, err, sizeof(err), "--nagios", "--json", "a.example", NULL), err);
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--nagios", "a.example", NULL), 0, "%s", err);
	cr_assert(o.nagios);
}

/* ---- vantage check --token ---- */

Test(cli, check_token)
{
	struct cli_check_opts o;
	char err[512], tok[LIMIT_TOKEN_LEN + 2], *domains[] = {"a.example", "b.example"};
	json_t *body;

	/* reachability with the given token, for every domain */
	cr_assert_eq(
	        s_parse(&o, err, sizeof(err), "--token", "Ab-_09", "a.example", "b.example", NULL),
	        0, "%s", err);
	cr_assert_str_eq(o.token, "Ab-_09");
	body = cli_check_body(&o, domains, 2, NULL);
	cr_assert_not_null(body);
	cr_assert_str_eq(json_string_value(json_object_get(body, "token")), "Ab-_09");
	cr_assert_str_eq(json_string_value(json_object_get(body, "mode")), "reachability");
	cr_assert_null(json_object_get(body, "key_authorization"));
	json_decref(body);
	/* without --token the coordinator picks one */
	cr_assert_eq(s_parse(&o, err, sizeof(err), "a.example", NULL), 0, "%s", err);
	cr_assert_null(o.token);
	body = cli_check_body(&o, domains, 1, NULL);
	cr_assert_null(json_object_get(body, "token"));
	json_decref(body);
	/* with http-01 among other methods */
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--method", "all", "--token", "abc", "a.example",
	                     NULL),
	             0, "%s", err);
	/* the API's limit: 1..LIMIT_TOKEN_LEN */
	memset(tok, 'A', LIMIT_TOKEN_LEN);
	tok[LIMIT_TOKEN_LEN] = '\0';
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--token", tok, "a.example", NULL), 0, "%s",
	             err);
	tok[LIMIT_TOKEN_LEN] = 'A';
	tok[LIMIT_TOKEN_LEN + 1] = '\0';
	s_refused("expected 1..128 base64url characters",
	          s_parse(&o, err, sizeof(err), "--token", tok, "a.example", NULL), err);
	s_refused("expected 1..128 base64url characters",
	          s_parse(&o, err, sizeof(err), "--token", "", "a.example", NULL), err);
	s_refused("expected 1..128 base64url characters",
	          s_parse(&o, err, sizeof(err), "--token", "a+b=", "a.example", NULL), err);
	s_refused("expected 1..128 base64url characters",
	          s_parse(&o, err, sizeof(err), "--token", "../etc", "a.example", NULL), err);
	/* a challenge brings its own token */
	s_refused("drop --token",
	          s_parse(&o, err, sizeof(err), "--token", "abc", "--key-authorization",
	                  "tok.thumb", "a.example", NULL),
	          err);
	s_refused("drop --token",
	          s_parse(&o, err, sizeof(err), "--token", "abc", "--webroot", "/tmp", "a.example",
	                  NULL),
	          err);
	s_refused("drop --token",
	          s_parse(&o, err, sizeof(err), "--method", "http-01,dns-01", "--token", "abc",
	                  "--txt", T_B64, "a.example", NULL),
	          err);
	/* only HTTP-01 has a token in its URL */
	s_refused("use it with --method http-01",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01", "--token", "abc", "a.example",
	                  NULL),
	          err);
	s_refused("use it with --method http-01",
	          s_parse(&o, err, sizeof(err), "--method", "tls-cert", "--token", "abc",
	                  "a.example", NULL),
	          err);
	/* --token-file is still itself */
	cr_assert_eq(
	        s_parse(&o, err, sizeof(err), "--token-file", "/x/api.token", "a.example", NULL), 0,
	        "%s", err);
	cr_assert_str_eq(o.token_file, "/x/api.token");
	cr_assert_null(o.token);
}

#define T_NOW 1795000000 /* the tests' wall clock */

static json_t *s_doc(const char *text)
{
	json_error_t e;
	json_t *o = json_loads(text, 0, &e);

	cr_assert_not_null(o, "bad test JSON (%s): %s", e.text, text);
	return o;
}

/* A result row for the Nagios tests. */
#define T_ROW(agent, region, outcome, ms, extra)                                                   \
	"{\"agent\": \"" agent "\", \"region\": \"" region "\", \"outcome\": \"" outcome           \
	"\", \"duration_ms\": " #ms ", \"warnings\": [], \"problem\": null" extra "}"
#define T_FAIL_ROW(agent, region, ms, summary)                                                     \
	"{\"agent\": \"" agent "\", \"region\": \"" region "\", \"outcome\": \"fail\", "           \
	"\"duration_ms\": " #ms ", \"warnings\": [], \"problem\": {\"type\": \"connection\", "     \
	"\"detail\": \"x\", \"summary\": \"" summary "\"}}"

static int s_nagios(const char *text, char *line, size_t len)
{
	json_t *doc = s_doc(text);
	int rc = cli_nagios_line(doc, T_NOW, line, len);

	json_decref(doc);
	cr_assert_null(strchr(line, '\n'), "more than one line: %s", line);
	cr_assert_eq(strncmp(line, "VANTAGE ", 8), 0, "%s", line);
	return rc;
}

/* One check of a.example by method, verdict for it and the document, with
 * the rows given (NULL-terminated), as cli_nagios_line sees it. */
static int s_nagios_rows(const char *verdict, const char *method, char *line, size_t len, ...)
{
	char text[4096];
	size_t n;
	va_list ap;

	n = (size_t)snprintf(text, sizeof(text),
	                     "{\"verdict\": \"%s\", \"checks\": [{\"domain\": \"a.example\", "
	                     "\"method\": \"%s\", \"verdict\": \"%s\", \"results\": [",
	                     verdict, method, verdict);
	va_start(ap, len);
	for (const char *r = va_arg(ap, const char *), *sep = ""; r != NULL;
	     r = va_arg(ap, const char *), sep = ",") {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", sep, r);
		cr_assert_lt(n, sizeof(text));
	}
	va_end(ap);
	snprintf(text + n, sizeof(text) - n, "]}]}");
	return s_nagios(text, line, len);
}

static const char s_r1[] = T_ROW("a1", "us-east", "reachable", 153, "");
static const char s_r2[] = T_ROW("a2", "eu-west", "reachable", 40, "");
static const char s_r3[] = T_ROW("a3", "ap-south", "reachable", 12, "");
static const char s_r4[] = T_ROW("a4", "sa-east", "reachable", 99, "");
static const char s_r5[] = T_ROW("a5", "af-south", "reachable", 7, "");
static const char s_rfail[] = T_FAIL_ROW("a3", "eu-west", 10000, "Timeout during connect | x");
static const char s_rpass[] = T_ROW("a1", "us-east", "pass", 20, "");
static const char s_rgone[] = T_ROW("a2", "eu-west", "unavailable", null, "");
static const char s_rwarn[] = "{\"agent\": \"a2\", \"region\": \"eu-west\", \"outcome\": "
                              "\"reachable\", \"duration_ms\": 30, \"warnings\": [\"IPv6 "
                              "connect to 2001:db8::1 failed; fell back to IPv4\"]}";

Test(cli, nagios_states)
{
	char line[CLI_NAGIOS_LINE_LEN];

	/* OK: five vantages pass */
	cr_assert_eq(s_nagios_rows("pass", "http-01", line, sizeof(line), s_r1, s_r2, s_r3, s_r4,
	                           s_r5, NULL),
	             CLI_NAGIOS_OK);
	cr_assert_str_eq(line, "VANTAGE OK - a.example http-01 passes from 5/5 vantages | "
	                       "'vantages'=5;;;0;5 'passed'=5;;;0;5 'duration_max'=0.153s");

	/* CRITICAL: the verdict is fail; the summary names the failing vantage */
	cr_assert_eq(s_nagios_rows("fail", "http-01", line, sizeof(line), s_rpass, s_rfail, NULL),
	             CLI_NAGIOS_CRITICAL);
	cr_assert_str_eq(line, "VANTAGE CRITICAL - a.example http-01 fails from a3 (eu-west): "
	                       "Timeout during connect / x | 'vantages'=2;;;0;2 'passed'=1;;;0;2 "
	                       "'duration_max'=10.000s");

	/* UNKNOWN: a vantage did not answer */
	cr_assert_eq(s_nagios_rows("unknown", "dns-01", line, sizeof(line), s_rpass, s_rgone, NULL),
	             CLI_NAGIOS_UNKNOWN);
	cr_assert(strstr(line, "VANTAGE UNKNOWN - a.example dns-01 unknown: 1 of 2 vantages did "
	                       "not answer | ") == line,
	          "%s", line);

	/* WARNING: passed, but a result carries a warning (broken IPv6) */
	cr_assert_eq(s_nagios_rows("pass", "http-01", line, sizeof(line), s_rpass, s_rwarn, NULL),
	             CLI_NAGIOS_WARNING);
	cr_assert(strstr(line,
	                 "VANTAGE WARNING - a.example http-01 passes from 2/2 vantages; "
	                 "warning from a2 (eu-west): IPv6 connect to 2001:db8::1 failed") == line,
	          "%s", line);

	/* malformed documents are UNKNOWN */
	cr_assert_eq(s_nagios("{\"checks\": []}", line, sizeof(line)), CLI_NAGIOS_UNKNOWN);
	cr_assert(strstr(line, "malformed") != NULL, "%s", line);
	cr_assert_eq(s_nagios("{\"verdict\": \"maybe\", \"checks\": []}", line, sizeof(line)),
	             CLI_NAGIOS_UNKNOWN);
	cr_assert_eq(s_nagios("{\"verdict\": \"pass\", \"checks\": []}", line, sizeof(line)),
	             CLI_NAGIOS_UNKNOWN);

	/* errors as plugin lines: escaped, '|' replaced */
	cr_assert_eq(cli_nagios_unknown("cannot reach | the\ncoordinator", line, sizeof(line)),
	             CLI_NAGIOS_UNKNOWN);
	cr_assert_str_eq(line, "VANTAGE UNKNOWN - cannot reach / the\\x0acoordinator");
}

/* A tls-cert check whose one certificate lives from nb to na (T_NOW-relative
 * days), as report.c writes it. */
static int s_nagios_cert(int nb_days, int na_days, char *line, size_t len)
{
	char text[2048], nb[32], na[32];
	time_t tb = T_NOW + (time_t)nb_days * 86400, ta = T_NOW + (time_t)na_days * 86400;
	struct tm tm;

	strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tb, &tm));
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&ta, &tm));
	snprintf(text, sizeof(text),
	         "{\"verdict\": \"pass\", \"checks\": [{\"domain\": \"c.example\", \"method\": "
	         "\"tls-cert\", \"verdict\": \"pass\", \"results\": [{\"agent\": \"a1\", "
	         "\"region\": \"us-east\", \"outcome\": \"pass\", \"duration_ms\": 80, "
	         "\"warnings\": [], \"cert\": {\"not_before\": \"%s\", \"not_after\": \"%s\", "
	         "\"not_after_unix\": %lld}}]}]}",
	         nb, na, (long long)ta);
	return s_nagios(text, line, len);
}

Test(cli, nagios_certificates)
{
	char line[CLI_NAGIOS_LINE_LEN];

	/* 60 of 90 days left: OK, with the days in the summary and the perfdata */
	cr_assert_eq(s_nagios_cert(-30, 60, line, sizeof(line)), CLI_NAGIOS_OK, "%s", line);
	cr_assert(strstr(line, "certificate expires in 60.0 days") != NULL, "%s", line);
	cr_assert(strstr(line, " 'cert_days'=60.0") != NULL, "%s", line);
	cr_assert(strstr(line, "'duration_max'=0.080s") != NULL, "%s", line);
	/* 20 of 90 left (past a third): WARNING */
	cr_assert_eq(s_nagios_cert(-70, 20, line, sizeof(line)), CLI_NAGIOS_WARNING, "%s", line);
	cr_assert(strstr(line, "VANTAGE WARNING - c.example tls-cert from a1 (us-east): "
	                       "certificate ") == line,
	          "%s", line);
	/* 10 days left (under 14): CRITICAL; expired: CRITICAL */
	cr_assert_eq(s_nagios_cert(-80, 10, line, sizeof(line)), CLI_NAGIOS_CRITICAL, "%s", line);
	cr_assert_eq(s_nagios_cert(-91, -1, line, sizeof(line)), CLI_NAGIOS_CRITICAL, "%s", line);
	cr_assert(strstr(line, "'cert_days'=-1.0") != NULL, "%s", line);

	/* the coordinator's judgement (cert_check) wins; a check that fails only
	 * for its certificate says so */
	cr_assert_eq(s_nagios("{\"verdict\": \"fail\", \"checks\": [{\"domain\": \"c.example\", "
	                      "\"method\": \"tls-cert\", \"verdict\": \"fail\", \"results\": "
	                      "[{\"agent\": \"a1\", \"region\": \"us-east\", \"outcome\": "
	                      "\"pass\", \"duration_ms\": 80, \"warnings\": [], \"cert\": "
	                      "{\"not_after_unix\": 1795432000}, \"cert_check\": {\"level\": "
	                      "\"critical\", \"message\": \"expires in 5.0 days: critical\"}}]}]}",
	                      line, sizeof(line)),
	             CLI_NAGIOS_CRITICAL);
	cr_assert_str_eq(line, "VANTAGE CRITICAL - c.example tls-cert from a1 (us-east): "
	                       "certificate expires in 5.0 days: critical | 'vantages'=1;;;0;1 "
	                       "'passed'=1;;;0;1 'duration_max'=0.080s 'cert_days'=5.0");
}

Test(cli, nagios_line_is_bounded)
{
	char line[96], row[2048], longsum[1024];

	memset(longsum, 'x', sizeof(longsum) - 1);
	longsum[sizeof(longsum) - 1] = '\0';
	snprintf(row, sizeof(row), T_FAIL_ROW("a1", "us-east", 5, "%s"), longsum);
	cr_assert_eq(s_nagios_rows("fail", "http-01", line, sizeof(line), row, NULL),
	             CLI_NAGIOS_CRITICAL);
	cr_assert_lt(strlen(line), sizeof(line));
	/* the summary is cut, the perfdata survives */
	cr_assert(strstr(line, "... | 'vantages'=1;;;0;1") != NULL, "%s", line);
}

/* ---- vantage history ---- */

static int s_parse_history(struct cli_history_opts *o, char *err, size_t errlen, ...)
{
	static struct cmdline c;
	va_list ap;

	c = (struct cmdline){.argc = 1, .argv = {"history"}};
	va_start(ap, errlen);
	cmdline_add(&c, ap);
	va_end(ap);
	err[0] = '\0';
	return cli_history_parse(c.argc, c.argv, o, T_NOW, err, errlen);
}

Test(cli, history_parse_and_path)
{
	struct cli_history_opts o;
	char err[512], path[512];

	cr_assert_eq(s_parse_history(&o, err, sizeof(err), "geo.example.com", NULL), 0, "%s", err);
	cr_assert_str_eq(o.domain, "geo.example.com");
	cr_assert_null(o.since);
	cr_assert_eq(o.limit, 0);
	cr_assert_not(o.json);
	cr_assert_eq(cli_history_path(&o, path, sizeof(path)), 0);
	cr_assert_str_eq(path, "/v1/history?domain=geo.example.com");

	/* options after the domain too (the lab's order), values percent-encoded */
	cr_assert_eq(s_parse_history(&o, err, sizeof(err), "geo.example.com", "--json", "--since",
	                             "2026-11-01T00:00:00+01:00", "--limit", "20", "--token-file",
	                             "/tmp/t", NULL),
	             0, "%s", err);
	cr_assert(o.json);
	cr_assert_str_eq(o.token_file, "/tmp/t");
	cr_assert_eq(o.limit, 20);
	cr_assert_eq(cli_history_path(&o, path, sizeof(path)), 0);
	cr_assert_str_eq(path, "/v1/history?domain=geo.example.com&since=2026-11-01T00%3A00%3A00%"
	                       "2B01%3A00&limit=20");
	cr_assert_eq(cli_history_path(&o, path, 40), -1, "a path that does not fit");

	cr_assert_eq(s_parse_history(&o, err, sizeof(err), "--since", "24h", "a.example", NULL), 0,
	             "%s", err);
	cr_assert_eq(
	        s_parse_history(&o, err, sizeof(err), "--since", "1700000000", "a.example", NULL),
	        0, "%s", err);

	s_refused("exactly one DOMAIN", s_parse_history(&o, err, sizeof(err), NULL), err);
	s_refused("exactly one DOMAIN",
	          s_parse_history(&o, err, sizeof(err), "a.example", "b.example", NULL), err);
	s_refused("invalid character", s_parse_history(&o, err, sizeof(err), "a/b.example", NULL),
	          err);
	s_refused("expected an RFC 3339 time",
	          s_parse_history(&o, err, sizeof(err), "--since", "yesterday", "a.example", NULL),
	          err);
	s_refused("in the future",
	          s_parse_history(&o, err, sizeof(err), "--since", "2099-01-01T00:00:00Z",
	                          "a.example", NULL),
	          err);
	s_refused("--limit",
	          s_parse_history(&o, err, sizeof(err), "--limit", "0", "a.example", NULL), err);
	s_refused("--limit",
	          s_parse_history(&o, err, sizeof(err), "--limit", "1001", "a.example", NULL), err);
	s_refused("unknown or incomplete option",
	          s_parse_history(&o, err, sizeof(err), "--method", "http-01", "a.example", NULL),
	          err);
}

Test(cli, since_parsing)
{
	int64_t t = -1;
	char err[512];

	/* RFC 3339, with a zone offset and a fraction */
	cr_assert_eq(api_parse_rfc3339("2026-11-24T13:00:00Z", &t), 0);
	cr_assert_eq(t, 1795525200);
	cr_assert_eq(api_parse_rfc3339("2026-11-24T14:00:00+01:00", &t), 0);
	cr_assert_eq(t, 1795525200);
	cr_assert_eq(api_parse_rfc3339("2026-11-24t12:30:00.123456-00:30", &t), 0);
	cr_assert_eq(t, 1795525200);
	cr_assert_eq(api_parse_rfc3339("1970-01-01T00:00:00Z", &t), 0);
	cr_assert_eq(t, 0);
	cr_assert_eq(api_parse_rfc3339("2026-02-30T00:00:00Z", &t), -1, "no February 30");
	cr_assert_eq(api_parse_rfc3339("2026-11-24T13:00:00", &t), -1, "a zone is required");
	cr_assert_eq(api_parse_rfc3339("2026-11-24T24:00:00Z", &t), -1);
	cr_assert_eq(api_parse_rfc3339("2026-11-24T13:00:00Zjunk", &t), -1);
	cr_assert_eq(api_parse_rfc3339("2026-11-24", &t), -1);
	cr_assert_eq(api_parse_rfc3339("", &t), -1);

	/* Unix seconds and durations back from now */
	cr_assert_eq(api_parse_since("1700000000", T_NOW, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(t, 1700000000);
	cr_assert_eq(api_parse_since("30m", T_NOW, &t, err, sizeof(err)), 0);
	cr_assert_eq(t, T_NOW - 1800);
	cr_assert_eq(api_parse_since("24h", T_NOW, &t, err, sizeof(err)), 0);
	cr_assert_eq(t, T_NOW - 86400);
	cr_assert_eq(api_parse_since("7d", T_NOW, &t, err, sizeof(err)), 0);
	cr_assert_eq(t, T_NOW - 7 * 86400);
	cr_assert_eq(api_parse_since("2w", T_NOW, &t, err, sizeof(err)), 0);
	cr_assert_eq(t, T_NOW - 14 * 86400);
	cr_assert_eq(api_parse_since("0s", T_NOW, &t, err, sizeof(err)), 0);
	cr_assert_eq(t, T_NOW);
	cr_assert_eq(api_parse_since("2026-11-18T11:06:40Z", T_NOW, &t, err, sizeof(err)), 0);
	cr_assert_eq(t, T_NOW);

	s_refused("expected an RFC 3339 time", api_parse_since("", T_NOW, &t, err, sizeof(err)),
	          err);
	s_refused("expected an RFC 3339 time", api_parse_since("5y", T_NOW, &t, err, sizeof(err)),
	          err);
	s_refused("expected an RFC 3339 time", api_parse_since("-5m", T_NOW, &t, err, sizeof(err)),
	          err);
	s_refused("expected an RFC 3339 time", api_parse_since("h", T_NOW, &t, err, sizeof(err)),
	          err);
	s_refused("expected an RFC 3339 time",
	          api_parse_since("1234567890123", T_NOW, &t, err, sizeof(err)), err);
	s_refused("days back", api_parse_since("999999d", T_NOW, &t, err, sizeof(err)), err);
	s_refused("in the future", api_parse_since("1795000001", T_NOW, &t, err, sizeof(err)), err);
}

Test(cli, history_print_escapes)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *doc = s_doc(
	        "{\"domain\": \"geo.example.com\", \"since\": \"2026-11-17T00:00:00Z\", "
	        "\"vantages\": [{\"agent\": \"euw1\", \"region\": \"eu-west\", \"method\": "
	        "\"http-01\", \"state\": \"fail\", \"since\": \"2026-11-24T10:00:00Z\", "
	        "\"problem\": {\"type\": \"connection\", \"detail\": \"Timeout\\u001b[31m\"}, "
	        "\"last_run\": \"2026-11-24T10:05:00Z\"}], "
	        "\"runs\": [{\"at\": \"2026-11-24T10:05:00Z\", \"monitor\": \"geo\", \"method\": "
	        "\"http-01\", \"state\": \"fail\", \"verdict\": \"fail\", \"diagnosis\": [], "
	        "\"results\": [{\"agent\": \"use1\", \"region\": \"us-east\", \"outcome\": "
	        "\"reachable\", \"problem\": null}, {\"agent\": \"euw1\", \"region\": "
	        "\"eu-west\", \"outcome\": \"fail\", \"problem\": {\"type\": \"connection\", "
	        "\"detail\": \"x\"}}, {\"agent\": \"aps1\", \"region\": \"ap-south\", "
	        "\"outcome\": \"unavailable\", \"problem\": null}]}]}");

	cr_assert_not_null(f);
	cli_history_print(doc, f);
	fclose(f);
	cr_assert(strstr(buf, "geo.example.com since 2026-11-17T00:00:00Z") != NULL, "%s", buf);
	cr_assert(strstr(buf, "euw1") != NULL && strstr(buf, "2026-11-24T10:00:00Z") != NULL, "%s",
	          buf);
	cr_assert(strstr(buf, "connection: Timeout\\x1b[31m") != NULL, "not escaped: %s", buf);
	cr_assert_null(strchr(buf, '\033'));
	cr_assert(strstr(buf, "1/3 passed, 1 did not answer; failing: euw1 (connection)") != NULL,
	          "%s", buf);
	free(buf);
	json_decref(doc);
}

/* ---- vantage monitors ---- */

static int s_parse_monitors(struct cli_monitors_opts *o, char *err, size_t errlen, ...)
{
	static struct cmdline c;
	va_list ap;

	c = (struct cmdline){.argc = 1, .argv = {"monitors"}};
	va_start(ap, errlen);
	cmdline_add(&c, ap);
	va_end(ap);
	err[0] = '\0';
	return cli_monitors_parse(c.argc, c.argv, o, err, errlen);
}

Test(cli, monitors_parse_and_body)
{
	struct cli_monitors_opts o;
	char err[512];
	json_t *body, *a;

	cr_assert_eq(s_parse_monitors(&o, err, sizeof(err), NULL), 0, "%s", err);
	cr_assert_eq(o.cmd, CLI_MONITORS_LIST);
	cr_assert_eq(s_parse_monitors(&o, err, sizeof(err), "list", "--json", NULL), 0, "%s", err);
	cr_assert_eq(o.cmd, CLI_MONITORS_LIST);
	cr_assert(o.json);
	cr_assert_eq(s_parse_monitors(&o, err, sizeof(err), "--json", NULL), 0, "%s", err);

	/* add, as the lab says it, options after the name */
	cr_assert_eq(s_parse_monitors(&o, err, sizeof(err), "add", "geo", "--domain",
	                              "geo.example.com", "--method", "http-01", "--method",
	                              "tls-cert", "--interval", "6s", "--policy", "all", NULL),
	             0, "%s", err);
	cr_assert_eq(o.cmd, CLI_MONITORS_ADD);
	cr_assert_str_eq(o.name, "geo");
	cr_assert_eq(o.n_domains, 1);
	cr_assert_eq(o.n_methods, 2);
	cr_assert_eq(o.methods[1], VT_METHOD_TLSCERT);
	cr_assert_eq(o.interval_s, 6);
	body = cli_monitor_body(&o);
	cr_assert_not_null(body);
	cr_assert_str_eq(json_string_value(json_object_get(body, "name")), "geo");
	a = json_object_get(body, "methods");
	cr_assert_eq(json_array_size(a), 2);
	cr_assert_str_eq(json_string_value(json_array_get(a, 1)), "tls-cert");
	cr_assert_eq(json_integer_value(json_object_get(body, "interval_s")), 6);
	cr_assert_str_eq(json_string_value(json_object_get(body, "policy")), "all");
	cr_assert(json_is_false(json_object_get(body, "caa")));
	cr_assert_null(json_object_get(body, "regions"));
	json_decref(body);

	/* defaults: http-01, the coordinator's interval and policy; caa, regions */
	cr_assert_eq(s_parse_monitors(&o, err, sizeof(err), "add", "w.x-1", "--domain", "a.example",
	                              "--domain", "b.example", "--region", "eu-west", "--region",
	                              "us-east", "--caa", "--interval", "5m", NULL),
	             0, "%s", err);
	cr_assert_eq(o.n_methods, 1);
	cr_assert_eq(o.methods[0], VT_METHOD_HTTP01);
	body = cli_monitor_body(&o);
	cr_assert_eq(json_array_size(json_object_get(body, "domains")), 2);
	cr_assert_eq(json_array_size(json_object_get(body, "regions")), 2);
	cr_assert(json_is_true(json_object_get(body, "caa")));
	cr_assert_eq(json_integer_value(json_object_get(body, "interval_s")), 300);
	cr_assert_null(json_object_get(body, "policy"));
	json_decref(body);
	/* --method caa alone: a CAA-only monitor */
	cr_assert_eq(s_parse_monitors(&o, err, sizeof(err), "add", "c", "--domain", "a.example",
	                              "--method", "caa", NULL),
	             0, "%s", err);
	cr_assert_eq(o.n_methods, 0);
	cr_assert(o.caa);
	body = cli_monitor_body(&o);
	cr_assert_eq(json_array_size(json_object_get(body, "methods")), 0);
	json_decref(body);

	cr_assert_eq(s_parse_monitors(&o, err, sizeof(err), "remove", "geo", NULL), 0, "%s", err);
	cr_assert_eq(o.cmd, CLI_MONITORS_REMOVE);
	cr_assert_str_eq(o.name, "geo");

	s_refused("at least one --domain",
	          s_parse_monitors(&o, err, sizeof(err), "add", "geo", NULL), err);
	s_refused("exactly one monitor NAME",
	          s_parse_monitors(&o, err, sizeof(err), "add", "--domain", "a.example", NULL),
	          err);
	s_refused("exactly one monitor NAME",
	          s_parse_monitors(&o, err, sizeof(err), "remove", NULL), err);
	s_refused("invalid monitor name",
	          s_parse_monitors(&o, err, sizeof(err), "remove", "../x", NULL), err);
	s_refused("invalid monitor name",
	          s_parse_monitors(&o, err, sizeof(err), "remove", ".hidden", NULL), err);
	s_refused("goes with `vantage monitors add NAME`",
	          s_parse_monitors(&o, err, sizeof(err), "remove", "geo", "--domain", "a.example",
	                           NULL),
	          err);
	s_refused("goes with `vantage monitors add NAME`",
	          s_parse_monitors(&o, err, sizeof(err), "--interval", "5m", NULL), err);
	s_refused("unknown monitors command",
	          s_parse_monitors(&o, err, sizeof(err), "delete", "geo", NULL), err);
	s_refused("takes no argument", s_parse_monitors(&o, err, sizeof(err), "list", "x", NULL),
	          err);
	s_refused("must be 2s .. 86400s (1d)",
	          s_parse_monitors(&o, err, sizeof(err), "add", "g", "--domain", "a.example",
	                           "--interval", "1s", NULL),
	          err);
	s_refused("must be 2s .. 86400s (1d)",
	          s_parse_monitors(&o, err, sizeof(err), "add", "g", "--domain", "a.example",
	                           "--interval", "2d", NULL),
	          err);
	s_refused("expected all or letsencrypt",
	          s_parse_monitors(&o, err, sizeof(err), "add", "g", "--domain", "a.example",
	                           "--policy", "most", NULL),
	          err);
	s_refused("unknown method",
	          s_parse_monitors(&o, err, sizeof(err), "add", "g", "--domain", "a.example",
	                           "--method", "smtp", NULL),
	          err);
	s_refused("--domain given more than",
	          s_parse_monitors(&o, err, sizeof(err), "add", "g", "--domain", "a1.example",
	                           "--domain", "a2.example", "--domain", "a3.example", "--domain",
	                           "a4.example", "--domain", "a5.example", "--domain", "a6.example",
	                           "--domain", "a7.example", "--domain", "a8.example", "--domain",
	                           "a9.example", NULL),
	          err);
}

Test(cli, monitors_print_escapes)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *doc = s_doc(
	        "{\"monitors\": [{\"name\": \"geo\", \"source\": \"api\", \"interval_s\": 300, "
	        "\"policy\": \"all\", \"running\": false, \"next_run\": \"2026-11-24T10:10:00Z\", "
	        "\"targets\": [{\"domain\": \"geo.example.com\", \"method\": \"http-01\", "
	        "\"state\": \"fail\", \"since\": \"2026-11-24T10:00:00Z\", \"vantages\": "
	        "[{\"agent\": \"euw1\\u0007\", \"outcome\": \"fail\"}, {\"agent\": \"use1\", "
	        "\"outcome\": \"reachable\"}], \"cert\": null}, {\"domain\": "
	        "\"geo.example.com\", \"method\": \"tls-cert\", \"state\": \"pass\", \"since\": "
	        "null, \"vantages\": [], \"cert\": {\"not_after_unix\": 1800184000, \"level\": "
	        "\"ok\"}}]}]}");

	cr_assert_not_null(f);
	cli_monitors_print(doc, T_NOW, f);
	fclose(f);
	cr_assert(strstr(buf, "geo (api): every 5m, policy all, next run 2026-11-24T10:10:00Z") !=
	                  NULL,
	          "%s", buf);
	cr_assert(strstr(buf, "euw1\\x07") != NULL, "not escaped: %s", buf);
	cr_assert_null(strchr(buf, '\a'));
	cr_assert(strstr(buf, "certificate expires in 60.0 days (ok)") != NULL, "%s", buf);
	free(buf);
	json_decref(doc);

	buf = NULL;
	f = open_memstream(&buf, &len);
	doc = s_doc("{\"monitors\": []}");
	cli_monitors_print(doc, T_NOW, f);
	fclose(f);
	cr_assert(strstr(buf, "no monitors") != NULL, "%s", buf);
	free(buf);
	json_decref(doc);
}

Test(cli, duration_range)
{
	uint32_t s = 0;
	char err[256];

	cr_assert_eq(cli_parse_duration_range("2s", 2, 86400, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s, 2);
	cr_assert_eq(cli_parse_duration_range("1d", 2, 86400, &s, err, sizeof(err)), 0);
	cr_assert_eq(s, 86400);
	s_refused("must be 2s .. 86400s (1d)",
	          cli_parse_duration_range("1", 2, 86400, &s, err, sizeof(err)), err);
	s_refused("must be 2s .. 86400s (1d)",
	          cli_parse_duration_range("25h", 2, 86400, &s, err, sizeof(err)), err);
	s_refused("expected N", cli_parse_duration_range("5x", 2, 86400, &s, err, sizeof(err)),
	          err);
}
