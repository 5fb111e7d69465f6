/*
 * test_names.c -- coordinator/names.c: every rule of the names Let's
 * Encrypt refuses (InvalidName, PublicSuffixName, WildcardNeedsDNS01), each
 * with a name it refuses and one it accepts; the message that names the
 * finding; `vantage check`, `vantage wait` and `vantage monitors add`
 * refusing them as a usage error (exit 2) before any coordinator is
 * contacted; and the catalogue texts of the names findings.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/finding.h"
#include "../../coordinator/cli.h"
#include "../../coordinator/monitor.h"
#include "../../coordinator/names.h"
#include "../../coordinator/wait.h"
#include "cmdline.h"
#include "scratch.h"

TestSuite(names);

#define M(m) NAMES_METHOD(VT_METHOD_##m)
#define HTTP M(HTTP01)

/* Refused for methods with finding id and a message holding needle. */
static void s_refused(const char *name, unsigned methods, enum vt_finding_id want,
                      const char *needle)
{
	char out[LIMIT_DOMAIN_LEN + 1], err[NAMES_ERR_LEN], prefix[64];
	enum vt_finding_id id = VT_F_NONE;

	cr_assert_eq(names_check(name, methods, out, &id, err, sizeof(err)), -1, "%s accepted",
	             name);
	cr_assert_eq(id, want, "%s: %s, not %s", name, finding_name(id), finding_name(want));
	snprintf(prefix, sizeof(prefix), "%s: \"", finding_name(want));
	cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "%s: %s", name, err);
	cr_assert(strstr(err, needle) != NULL, "%s: %s (wanted \"%s\")", name, err, needle);
}

/* Accepted for methods, normalised to want. */
static void s_accepted(const char *name, unsigned methods, const char *want)
{
	char out[LIMIT_DOMAIN_LEN + 1], err[NAMES_ERR_LEN] = "";

	cr_assert_eq(names_check(name, methods, out, NULL, err, sizeof(err)), 0, "%s: %s", name,
	             err);
	cr_assert_str_eq(out, want);
}

Test(names, the_message_names_the_finding)
{
	char out[LIMIT_DOMAIN_LEN + 1], err[NAMES_ERR_LEN];

	cr_assert_eq(names_check("foo..example.com", HTTP, out, NULL, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "InvalidName: \"foo..example.com\": empty label");
}

Test(names, empty)
{
	s_refused("", HTTP, VT_F_INVALID_NAME, "empty");
	s_refused(".", HTTP, VT_F_INVALID_NAME, "empty");
	s_accepted("a.com", HTTP, "a.com");
}

Test(names, length)
{
	char name[300];

	/* 4 labels of 63 and ".com": 4 * 64 + 3 = 259 */
	memset(name, 'a', sizeof(name));
	for (int i = 63; i < 256; i += 64)
		name[i] = '.';
	memcpy(name + 256, "com", 4);
	s_refused(name, HTTP, VT_F_INVALID_NAME, "longer than 253");
	/* 253 exactly: 3 labels of 63, one of 57, "com" ... built as 61+1 x 3 + ... */
	memset(name, 'a', sizeof(name));
	name[63] = '.';
	name[127] = '.';
	name[191] = '.';
	memcpy(name + 192, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 60);
	cr_assert_eq(strlen(name), 251);
	s_accepted(name, HTTP, name);
}

Test(names, empty_label_and_dots)
{
	s_refused("foo..example.com", HTTP, VT_F_INVALID_NAME, "empty label");
	s_refused(".example.com", HTTP, VT_F_INVALID_NAME, "empty label at the start");
	s_refused("example.com..", HTTP, VT_F_INVALID_NAME, "empty label");
	s_accepted("foo.example.com", HTTP, "foo.example.com");
}

Test(names, trailing_dot_and_case_are_normalised)
{
	s_accepted("WWW.Example.COM.", HTTP, "www.example.com");
	s_accepted("www.example.com", HTTP, "www.example.com");
}

Test(names, label_length)
{
	char name[128];

	memset(name, 'a', 64);
	memcpy(name + 64, ".com", 5);
	s_refused(name, HTTP, VT_F_INVALID_NAME, "longer than 63");
	memcpy(name + 63, ".com", 5); /* 63 exactly */
	s_accepted(name, HTTP, name);
}

Test(names, label_count)
{
	s_refused("a.b.c.d.e.f.g.h.i.j.example.com", HTTP, VT_F_INVALID_NAME,
	          "more than 10 labels");
	s_accepted("a.b.c.d.e.f.g.h.example.com", HTTP, "a.b.c.d.e.f.g.h.example.com");
	/* the wildcard label is not counted, as Boulder strips it first */
	s_accepted("*.a.b.c.d.e.f.g.h.example.com", M(DNS01), "*.a.b.c.d.e.f.g.h.example.com");
}

Test(names, characters)
{
	s_refused("foo_bar.example.com", HTTP, VT_F_INVALID_NAME, "invalid character '_'");
	s_refused("foo bar.example.com", HTTP, VT_F_INVALID_NAME, "invalid character 0x20");
	s_refused("foo/bar.example.com", HTTP, VT_F_INVALID_NAME, "invalid character '/'");
	s_refused("foo\"x.example.com", HTTP, VT_F_INVALID_NAME, "\\x22");
	s_refused("http://example.com", HTTP, VT_F_INVALID_NAME, "invalid character ':'");
	s_accepted("foo-bar0.example.com", HTTP, "foo-bar0.example.com");
}

Test(names, non_ascii_names_its_punycode)
{
	s_refused("b\xc3\xbc"
	          "cher.de",
	          HTTP, VT_F_INVALID_NAME, "punycode form, \"xn--bcher-kva.de\"");
	s_refused("\xff.de", HTTP, VT_F_INVALID_NAME, "not ASCII");
	s_accepted("xn--bcher-kva.de", HTTP, "xn--bcher-kva.de");
}

Test(names, hyphens)
{
	s_refused("-foo.example.com", HTTP, VT_F_INVALID_NAME, "starts with a hyphen");
	s_refused("foo-.example.com", HTTP, VT_F_INVALID_NAME, "ends with a hyphen");
	s_refused("example.com-", HTTP, VT_F_INVALID_NAME, "ends with a hyphen");
	s_accepted("f-o-o.example.com", HTTP, "f-o-o.example.com");
}

Test(names, punycode)
{
	s_refused("xn--bcher-kva1.example.com", HTTP, VT_F_INVALID_NAME, "not valid punycode");
	s_refused("xn---.example.com", HTTP, VT_F_INVALID_NAME, "hyphen");
	s_refused("xn--abc-.example.com", HTTP, VT_F_INVALID_NAME, "hyphen");
	s_refused("xn--abc-x.example.com", HTTP, VT_F_INVALID_NAME, "not valid punycode");
	/* other "??--" labels are reserved (R-LDH) */
	s_refused("ab--cd.example.com", HTTP, VT_F_INVALID_NAME, "reserved for encodings");
	s_accepted("xn--bcher-kva.example.com", HTTP, "xn--bcher-kva.example.com");
	s_accepted("XN--BCHER-KVA.example.com", HTTP, "xn--bcher-kva.example.com");
	/* an emoji label: Boulder's ToUnicode accepts it */
	s_accepted("xn--ls8h.la", HTTP, "xn--ls8h.la");
	s_accepted("a--b.example.com", HTTP, "a--b.example.com");
}

Test(names, single_label)
{
	s_refused("localhost", HTTP, VT_F_INVALID_NAME, "single label");
	s_refused("www", HTTP, VT_F_INVALID_NAME, "single label");
}

Test(names, tld_must_be_public)
{
	s_refused("nas.local", HTTP, VT_F_INVALID_NAME, "\".local\" is not a public top-level");
	s_refused("host.internal", HTTP, VT_F_INVALID_NAME, "not a public top-level");
	s_refused("a.root-servers.lab", HTTP, VT_F_INVALID_NAME, "not a public top-level");
	s_refused("api.localhost", HTTP, VT_F_INVALID_NAME, "not a public top-level");
	s_refused("x.invalid", HTTP, VT_F_INVALID_NAME, "not a public top-level");
	s_accepted("example.com", HTTP, "example.com");
	s_accepted("example.co.uk", HTTP, "example.co.uk");
	s_accepted("www.example.org", HTTP, "www.example.org");
	/* reserved for testing (RFC 2606): accepted for test setups */
	s_accepted("a.example", HTTP, "a.example");
	s_accepted("www.shop.test", HTTP, "www.shop.test");
}

Test(names, tls_cert_alone_is_no_issuance)
{
	/* the certificate on 443 of an internal host: no public-name rule */
	s_accepted("nas.local", M(TLSCERT), "nas.local");
	s_accepted("ca.corp.internal", M(TLSCERT), "ca.corp.internal");
	s_accepted("co.uk", M(TLSCERT), "co.uk");
	/* ... unless a CAA check or a challenge goes with it */
	s_refused("nas.local", M(TLSCERT) | M(CAA), VT_F_INVALID_NAME, "not a public top-level");
	s_refused("nas.local", M(TLSCERT) | HTTP, VT_F_INVALID_NAME, "not a public top-level");
	/* the syntax still applies */
	s_refused("nas..local", M(TLSCERT), VT_F_INVALID_NAME, "empty label");
	s_refused("nas", M(TLSCERT), VT_F_INVALID_NAME, "single label");
}

Test(names, syntax_only)
{
	s_accepted("*.nas.local", NAMES_SYNTAX_ONLY, "*.nas.local");
	s_accepted("co.uk", NAMES_SYNTAX_ONLY, "co.uk");
	s_accepted("192.0.2.1", NAMES_SYNTAX_ONLY | M(DNS01), "192.0.2.1");
	s_refused("a_b.example.com", NAMES_SYNTAX_ONLY, VT_F_INVALID_NAME, "'_'");
}

Test(names, public_suffix)
{
	s_refused("com", HTTP, VT_F_PUBLIC_SUFFIX_NAME, "\"com\" is a public suffix");
	s_refused("co.uk", HTTP, VT_F_PUBLIC_SUFFIX_NAME, "registered domain");
	s_refused("COM.AU.", HTTP, VT_F_PUBLIC_SUFFIX_NAME, "\"com.au\" is a public suffix");
	s_refused("*.co.uk", M(DNS01), VT_F_PUBLIC_SUFFIX_NAME, "\"co.uk\" is a public suffix");
	s_refused("*.com", M(DNS01), VT_F_PUBLIC_SUFFIX_NAME, "\"com\" is a public suffix");
	/* the private section is ignored, as Let's Encrypt does */
	s_accepted("github.io", HTTP, "github.io");
	s_accepted("example.github.io", HTTP, "example.github.io");
	s_accepted("example.co.uk", HTTP, "example.co.uk");
}

Test(names, wildcard_needs_dns01)
{
	s_refused("*.example.com", HTTP, VT_F_WILDCARD_NEEDS_DNS01, "only by dns-01");
	s_refused("*.example.com", M(TLSALPN01), VT_F_WILDCARD_NEEDS_DNS01, "dns-01");
	s_refused("*.example.com", M(DNS01) | HTTP, VT_F_WILDCARD_NEEDS_DNS01, "dns-01");
	s_refused("*.example.com", M(TLSCERT), VT_F_INVALID_NAME, "not a host");
	s_accepted("*.example.com", M(DNS01), "*.example.com");
	s_accepted("*.Example.com.", M(DNS01) | M(CAA), "*.example.com");
	s_accepted("*.example.com", 0, "*.example.com");
}

Test(names, wildcard_syntax)
{
	s_refused("www.*.example.com", M(DNS01), VT_F_INVALID_NAME, "whole first label");
	s_refused("w*.example.com", M(DNS01), VT_F_INVALID_NAME, "whole first label");
	s_refused("*", M(DNS01), VT_F_INVALID_NAME, "whole first label");
	s_refused("*.*.example.com", M(DNS01), VT_F_INVALID_NAME, "whole first label");
	s_refused("*.", M(DNS01), VT_F_INVALID_NAME, "whole first label");
	s_refused("*..example.com", M(DNS01), VT_F_INVALID_NAME, "empty label");
}

Test(names, ip_addresses)
{
	/* RFC 8738: Let's Encrypt validates IP addresses by http-01 and tls-alpn-01 */
	s_accepted("192.0.2.1", HTTP, "192.0.2.1");
	s_accepted("2001:DB8::1", M(TLSALPN01), "2001:db8::1");
	s_accepted("192.0.2.1", M(TLSCERT), "192.0.2.1");
	s_refused("192.0.2.1", M(DNS01), VT_F_INVALID_NAME, "an IP address has no dns-01");
	s_refused("2001:db8::1", M(DNS01) | HTTP, VT_F_INVALID_NAME, "no dns-01");
	cr_assert(names_is_ip("::1"));
	cr_assert_not(names_is_ip("1.2.3.com"));
}

Test(names, lab_and_test_names_pass)
{
	/* names the lab and the tests check (deploy/lab, tests/) */
	static const char *const ok[] = {
	        "ok.example.com",  "geo.example.com",    "v6broken.example.com",
	        "a.example",       "dns-ok.example.com", "c.example.net",
	        "www.example.org", "b.example",          "alpn-ok.example.com"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		s_accepted(ok[i], HTTP | M(TLSALPN01) | M(DNS01), ok[i]);
}

/* ---- the commands: a usage error, exit 2, before any coordinator ---- */

struct run {
	int rc;
	char err[4096];
};

typedef int (*main_fn)(int argc, char **argv);

/* Run fn(argv) with stderr captured (stdout to /dev/null).  No coordinator
 * listens at the URL given: a refusal must come before any request. */
static void s_run(struct run *r, main_fn fn, const char *cmd, ...)
{
	static struct cmdline c;
	char dir[] = "/tmp/vt-names-XXXXXX", errp[64];
	int so, se, fo, fe;
	va_list ap;

	cr_assert_not_null(mkdtemp(dir));
	c = (struct cmdline){.argc = 3,
	                     .argv = {(char *)cmd, "--coordinator", "http://127.0.0.1:1"}};
	va_start(ap, cmd);
	cmdline_add(&c, ap);
	va_end(ap);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	fflush(stdout);
	fflush(stderr);
	so = dup(STDOUT_FILENO);
	se = dup(STDERR_FILENO);
	fo = open("/dev/null", O_WRONLY | O_CLOEXEC);
	fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
	dup2(fo, STDOUT_FILENO);
	dup2(fe, STDERR_FILENO);
	close(fo);
	close(fe);
	r->rc = fn(c.argc, c.argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	cr_assert(scratch_slurp(errp, r->err, sizeof(r->err)));
	scratch_remove(dir);
}

Test(names_cli, check_refuses_with_exit_2)
{
	struct run r;

	s_run(&r, cli_check_main, "check", "foo..example.com", NULL);
	cr_assert_eq(r.rc, 2, "rc %d: %s", r.rc, r.err);
	cr_assert(strstr(r.err,
	                 "vantage check: InvalidName: \"foo..example.com\": empty label\n") != NULL,
	          "%s", r.err);

	s_run(&r, cli_check_main, "check", "co.uk", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert(strstr(r.err, "vantage check: PublicSuffixName: \"co.uk\"") != NULL, "%s", r.err);

	s_run(&r, cli_check_main, "check", "--method", "http-01", "*.example.com", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert(strstr(r.err, "vantage check: WildcardNeedsDNS01: \"*.example.com\"") != NULL,
	          "%s", r.err);
	cr_assert(strstr(r.err, "--method dns-01") != NULL, "%s", r.err);

	/* a non-ASCII name: its punycode form is named */
	s_run(&r, cli_check_main, "check",
	      "b\xc3\xbc"
	      "cher.de",
	      NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert(strstr(r.err, "vantage check: InvalidName: \"b\\xc3\\xbccher.de\": not ASCII; "
	                        "give the name in its punycode form, \"xn--bcher-kva.de\"") != NULL,
	          "%s", r.err);

	/* the second name is refused too */
	s_run(&r, cli_check_main, "check", "www.example.com", "nas.local", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert(strstr(r.err, "InvalidName: \"nas.local\"") != NULL, "%s", r.err);
}

Test(names_cli, check_accepts_a_good_name)
{
	struct run r;

	/* accepted, so the (absent) coordinator is asked: 2 for the refused
	 * connection, with no finding named */
	s_run(&r, cli_check_main, "check", "--token-file", "/nonexistent/token", "--method",
	      "dns-01", "*.example.com", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert(strstr(r.err, "WildcardNeedsDNS01") == NULL, "%s", r.err);
	cr_assert(strstr(r.err, "InvalidName") == NULL, "%s", r.err);
}

Test(names_cli, check_parse)
{
	struct cli_check_opts o;
	char err[NAMES_ERR_LEN];
	char *ok[] = {"check", "--method", "dns-01,caa", "*.example.com", NULL};
	char *bad[] = {"check", "--method", "all", "*.example.com", NULL};
	char *ip[] = {"check", "--method", "dns-01", "192.0.2.7", NULL};
	char *cert[] = {"check", "--method", "tls-cert", "nas.local", NULL};
	char *certcaa[] = {"check", "--method", "tls-cert,caa", "nas.local", NULL};

	cr_assert_eq(cli_check_parse(4, ok, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli_check_parse(4, bad, &o, err, sizeof(err)), -1);
	cr_assert(strncmp(err, "WildcardNeedsDNS01: ", 20) == 0, "%s", err);
	cr_assert_eq(cli_check_parse(4, ip, &o, err, sizeof(err)), -1);
	cr_assert(strncmp(err, "InvalidName: \"192.0.2.7\": an IP address", 38) == 0, "%s", err);
	/* tls-cert alone (no CAA check): an internal host is fine */
	cr_assert_eq(cli_check_parse(4, cert, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli_check_parse(4, certcaa, &o, err, sizeof(err)), -1);
	cr_assert(strncmp(err, "InvalidName: \"nas.local\"", 23) == 0, "%s", err);
}

Test(names_cli, wait_refuses_with_exit_2)
{
	struct run r;

	s_run(&r, cli_wait_main, "wait", "--", "-bad.example.com", NULL);
	cr_assert_eq(r.rc, 2, "rc %d: %s", r.rc, r.err);
	cr_assert(strstr(r.err, "vantage wait: InvalidName: \"-bad.example.com\": label "
	                        "\"-bad\" starts with a hyphen") != NULL,
	          "%s", r.err);

	s_run(&r, cli_wait_main, "wait", "--method", "tls-alpn-01", "*.example.com", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert(strstr(r.err, "vantage wait: WildcardNeedsDNS01") != NULL, "%s", r.err);
}

Test(names_cli, wait_refuses_this_host)
{
	struct run r;

	/* --this-host is check's */
	s_run(&r, cli_wait_main, "wait", "--this-host", "www.example.com", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert(strstr(r.err, "--this-host does not go with wait") != NULL, "%s", r.err);
}

Test(names_cli, monitors_add_refuses)
{
	struct cli_monitors_opts o;
	char err[NAMES_ERR_LEN];
	char *bad[] = {"monitors", "add", "m1", "--domain", "*.example.com", NULL};
	char *dns[] = {"monitors",        "add",      "m1",  "--domain",
	               "www.example.com", "--domain", "com", NULL};
	char *ok[] = {"monitors", "add", "m1", "--domain", "www.example.com", NULL};

	cr_assert_eq(cli_monitors_parse(5, bad, &o, err, sizeof(err)), -1);
	cr_assert(strncmp(err, "WildcardNeedsDNS01: ", 20) == 0, "%s", err);
	cr_assert_eq(cli_monitors_parse(7, dns, &o, err, sizeof(err)), -1);
	cr_assert(strncmp(err, "PublicSuffixName: \"com\"", 23) == 0, "%s", err);
	cr_assert_eq(cli_monitors_parse(5, ok, &o, err, sizeof(err)), 0, "%s", err);
}

Test(names_cli, monitor_spec_refuses)
{
	struct monitor_spec m;
	char err[512];
	json_t *bad = json_pack("{s:s, s:[s], s:[s]}", "name", "m", "domains", "x.co.uk.com-",
	                        "methods", "http-01");
	json_t *loc = json_pack("{s:s, s:[s]}", "name", "m", "domains", "nas.local");
	json_t *ok = json_pack("{s:s, s:[s]}", "name", "m", "domains", "www.example.com");

	/* checks_parse_domain refuses the first; names_check the second */
	cr_assert_eq(monitor_spec_from_json(bad, &m, err, sizeof(err)), -1);
	cr_assert_eq(monitor_spec_from_json(loc, &m, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "monitor m: InvalidName: \"nas.local\": \".local\" is not a public "
	                      "top-level domain (a local or internal name no CA can validate); "
	                      "use a name under a registered domain");
	cr_assert_eq(monitor_spec_from_json(ok, &m, err, sizeof(err)), 0, "%s", err);
	json_decref(bad);
	json_decref(loc);
	json_decref(ok);
}

/* ---- the catalogue texts ---- */

static void s_text(enum vt_finding_id id, enum vt_severity sev, const char *fix_phrase)
{
	const struct vt_finding_def *d = finding_def(id);

	cr_assert_not_null(d);
	cr_assert_eq(d->severity, sev, "%s", d->name);
	cr_assert_not_null(d->text, "%s has no text", d->name);
	cr_assert_not_null(d->text->title);
	cr_assert_not_null(d->text->applies);
	cr_assert_not_null(d->text->cause);
	cr_assert_not_null(d->text->example);
	cr_assert_not_null(d->text->fix);
	cr_assert(strstr(d->text->fix, fix_phrase) != NULL, "%s fix lacks \"%s\"", d->name,
	          fix_phrase);
}

Test(names, catalogue_texts)
{
	s_text(VT_F_INVALID_NAME, VT_SEV_FATAL, "name");
	s_text(VT_F_PUBLIC_SUFFIX_NAME, VT_SEV_FATAL, "registered domain");
	s_text(VT_F_WILDCARD_NEEDS_DNS01, VT_SEV_FATAL, "dns-01");
	s_text(VT_F_NOT_THIS_HOST, VT_SEV_WARNING, "this server's address");
	cr_assert_str_eq(finding_def(VT_F_INVALID_NAME)->text->applies, "command line");
	/* NotThisHost: NAT is in the cause, port forwarding in the fix */
	cr_assert(strstr(finding_def(VT_F_NOT_THIS_HOST)->text->cause, "NAT") != NULL);
	cr_assert(strstr(finding_def(VT_F_NOT_THIS_HOST)->text->fix, "port forwarding") != NULL);
	cr_assert_eq(finding_text_names_n, 4);
}
