/*
 * test_redirect.c -- Boulder's redirect rules (agent/redirect.c), each with
 * Let's Encrypt's exact text, in Boulder's order.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../agent/redirect.h"

#define BASE "http://example.com/.well-known/acme-challenge/tok"

static struct redirect_in s_in(const char *location, long status)
{
	struct redirect_in in;

	memset(&in, 0, sizeof(in));
	in.current_url = BASE;
	in.location = location;
	in.status = status;
	in.http_port = 80;
	in.https_port = 443;
	return in;
}

/* Refused with exactly text; the target URL reported is url (if not NULL). */
static void s_refused(const struct redirect_in *in, const char *text, const char *url)
{
	struct redirect_target t;
	char err[512] = "";

	cr_expect_eq(redirect_check(in, &t, err, sizeof(err)), -1, "%s accepted", in->location);
	cr_expect_str_eq(err, text);
	if (url != NULL)
		cr_expect_str_eq(t.url, url);
}

static void s_accepted(const struct redirect_in *in, struct redirect_target *t)
{
	char err[512] = "";

	cr_assert_eq(redirect_check(in, t, err, sizeof(err)), 0, "%s refused: %s", in->location,
	             err);
}

Test(redirect, count_boundary_11_followed_12th_refused)
{
	struct redirect_in in = s_in("https://example.com/next", 301);
	struct redirect_target t;

	for (unsigned n = 0; n <= 10; n++) {
		in.num_redirects = n; /* 11 redirects (n = 0..10) are followed */
		s_accepted(&in, &t);
	}
	in.num_redirects = 11; /* the 12th */
	s_refused(&in, "Too many redirects", "https://example.com/next");
}

Test(redirect, tls_below_12)
{
	struct redirect_in in = s_in("https://example.com/x", 301);

	in.prev_tls_below_12 = true;
	s_refused(&in,
	          "validation attempt was redirected to an HTTPS server that doesn't support "
	          "TLSv1.2 or better. See "
	          "https://community.letsencrypt.org/t/"
	          "rejecting-sha-1-csrs-and-validation-using-tls-1-0-1-1-urls/175144",
	          NULL);
}

Test(redirect, status_codes)
{
	struct redirect_target t;
	long ok[] = {301, 302, 307, 308};

	for (size_t i = 0; i < 4; i++) {
		struct redirect_in in = s_in("/x", ok[i]);
		s_accepted(&in, &t);
	}
	struct redirect_in in = s_in("/303-see-other", 303);
	s_refused(&in, "received disallowed redirect status code",
	          "http://example.com/303-see-other");
	in.status = 300;
	s_refused(&in, "received disallowed redirect status code", NULL);
}

Test(redirect, host_lowercased)
{
	struct redirect_in in = s_in("http://WWW.Example.COM/Path", 302);
	struct redirect_target t;

	s_accepted(&in, &t);
	cr_expect_str_eq(t.host, "www.example.com");
	cr_expect_str_eq(t.url, "http://www.example.com/Path");
	cr_expect_eq(t.port, 80);
	cr_expect(!t.https);
}

Test(redirect, scheme)
{
	struct redirect_in in = s_in("ftp://example.com/x", 301);

	s_refused(
	        &in,
	        "Invalid protocol scheme in redirect target. Only \"http\" and \"https\" protocol "
	        "schemes are supported, not \"ftp\"",
	        NULL);
}

Test(redirect, ports)
{
	struct redirect_in in = s_in("https://example.com:8443/x", 301);
	struct redirect_target t;

	s_refused(&in,
	          "Invalid port in redirect target. Only ports 80 and 443 are supported, not 8443",
	          "https://example.com:8443/x");
	in.location = "https://example.com:1987";
	s_refused(&in,
	          "Invalid port in redirect target. Only ports 80 and 443 are supported, not 1987",
	          NULL);
	/* the port must be one of the two, not the scheme's */
	in.location = "https://example.com:80/x";
	s_accepted(&in, &t);
	cr_expect_eq(t.port, 80);
	cr_expect(t.https);
	in.location = "http://example.com:443/x";
	s_accepted(&in, &t);
	cr_expect_eq(t.port, 443);
	in.location = "https://example.com/x";
	s_accepted(&in, &t);
	cr_expect_eq(t.port, 443);
}

Test(redirect, empty_host)
{
	struct redirect_in in = s_in("http:///x", 301);

	s_refused(&in, "Invalid empty host in redirect target", NULL);
}

Test(redirect, well_known_host)
{
	struct redirect_in in = s_in("https://x.well-known/acme-challenge/tok", 301);

	s_refused(&in,
	          "Invalid host in redirect target \"x.well-known\". Check webserver config for "
	          "missing '/' in redirect target.",
	          NULL);
}

Test(redirect, ip_literals)
{
	struct redirect_in in = s_in("http://10.1.2.3/x", 301);
	struct redirect_target t;
	struct addr_filter f;
	char err[64];

	s_refused(&in,
	          "Invalid host in redirect target: IP address is in a reserved address block: "
	          "[RFC1918]: Private-Use",
	          "http://10.1.2.3/x");
	in.location = "http://[fe80::1%25eth0]/x";
	s_refused(&in, "Invalid host in redirect target: contains scope zone", NULL);
	in.location = "http://[2001:db8::1]/x";
	s_refused(&in,
	          "Invalid host in redirect target: IP address is in a reserved address block: "
	          "[RFC3849]: Documentation",
	          NULL);
	/* public IPs are fine */
	in.location = "http://8.8.8.8/x";
	s_accepted(&in, &t);
	cr_expect(t.is_ip);
	cr_expect_str_eq(t.host, "8.8.8.8");
	in.location = "http://[2606:4700::1111]/x";
	s_accepted(&in, &t);
	cr_expect_str_eq(t.host, "2606:4700::1111");
	/* treat-as-public applies here too */
	memset(&f, 0, sizeof(f));
	cr_assert_eq(addr_filter_parse(&f, "10.0.0.0/8", err, sizeof(err)), 0);
	in.public_prefixes = &f;
	in.location = "http://10.1.2.3/x";
	s_accepted(&in, &t);
}

Test(redirect, icann_tld)
{
	struct redirect_in in = s_in("http://intranet.local/x", 301);
	struct redirect_target t;

	s_refused(&in, "Invalid host in redirect target, must end in IANA registered TLD", NULL);
	in.location = "http://localhost/x";
	s_refused(&in, "Invalid host in redirect target, must end in IANA registered TLD", NULL);
	in.location = "http://foo.invalidtld/x";
	s_refused(&in, "Invalid host in redirect target, must end in IANA registered TLD", NULL);
	in.location = "http://www.example.co.uk/x";
	s_accepted(&in, &t);
	in.location = "http://example.org/x";
	s_accepted(&in, &t);
}

Test(redirect, path_length)
{
	static char loc[2100];
	struct redirect_in in = s_in(loc, 301);
	struct redirect_target t;

	memset(loc, 0, sizeof(loc));
	loc[0] = '/';
	memset(loc + 1, 'a', 1999); /* path of exactly 2000 bytes: allowed */
	s_accepted(&in, &t);
	loc[2000] = 'a'; /* 2001 bytes */
	s_refused(&in, "Redirect target too long", NULL);
}

Test(redirect, loop)
{
	const char *prior[] = {BASE, "http://example.com/a"};
	struct redirect_in in = s_in("http://example.com/a", 302);
	struct redirect_target t;

	in.prior = prior;
	in.n_prior = 2;
	s_refused(&in, "Redirect loop detected", "http://example.com/a");
	in.location = "/.well-known/acme-challenge/tok";
	s_refused(&in, "Redirect loop detected", BASE);
	in.location = "http://example.com/b";
	s_accepted(&in, &t);
}

Test(redirect, relative_resolution_and_query)
{
	struct redirect_in in = s_in("../other?x=1&y=2", 307);
	struct redirect_target t;
	char out[256], err[128];

	s_accepted(&in, &t);
	cr_expect_str_eq(t.url, "http://example.com/.well-known/other?x=1&y=2");
	in.location = "//cdn.example.net/p";
	s_accepted(&in, &t);
	cr_expect_str_eq(t.url, "http://cdn.example.net/p");
	cr_expect_str_eq(t.host, "cdn.example.net");
	in.location = "next";
	s_accepted(&in, &t);
	cr_expect_str_eq(t.url, "http://example.com/.well-known/acme-challenge/next");
	cr_assert_eq(
	        redirect_resolve("https://a.example/x/y", "/z", out, sizeof(out), err, sizeof(err)),
	        0);
	cr_expect_str_eq(out, "https://a.example/z");
}

Test(redirect, rule_order)
{
	/* a redirect breaking several rules is refused by the first in order */
	struct redirect_in in = s_in("ftp://10.0.0.1:21/x", 303);

	s_refused(&in, "received disallowed redirect status code", NULL);
	in.status = 301;
	s_refused(
	        &in,
	        "Invalid protocol scheme in redirect target. Only \"http\" and \"https\" protocol "
	        "schemes are supported, not \"ftp\"",
	        NULL);
	in.location = "http://10.0.0.1:21/x";
	s_refused(&in,
	          "Invalid port in redirect target. Only ports 80 and 443 are supported, not 21",
	          NULL);
	in.num_redirects = 11;
	s_refused(&in, "Too many redirects", NULL);
}
