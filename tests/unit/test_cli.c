/*
 * test_cli.c -- coordinator/cli.c: argument rules, the token transport rule
 * and the webroot challenge file (written, then removed -- also on SIGTERM).
 */
#include <criterion/criterion.h>
#include <signal.h>
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
