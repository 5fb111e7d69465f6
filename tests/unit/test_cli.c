/*
 * test_cli.c -- coordinator/cli.c: argument rules, the token transport rule
 * and the webroot challenge file (written, then removed -- also on SIGTERM).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/limits.h"
#include "../../coordinator/cli.h"

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

#define T_ARGV_MAX 16 /* arguments in one test command line */

/* Parse a NULL-terminated list of arguments after "check". */
static int s_parse(struct cli_check_opts *o, char *err, size_t errlen, ...)
{
	static char *argv[T_ARGV_MAX + 2];
	va_list ap;
	int argc = 0;

	argv[argc++] = "check";
	va_start(ap, errlen);
	for (char *a = va_arg(ap, char *); a != NULL && argc <= T_ARGV_MAX; a = va_arg(ap, char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return cli_check_parse(argc, argv, o, err, errlen);
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
