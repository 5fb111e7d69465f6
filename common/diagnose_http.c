/*
 * diagnose_http.c -- the HTTP-01 diagnosis sentences: what one failure
 * group means when every vantage has it (the site itself: port 80, the
 * webroot, an access rule, a redirect rule) and when only some regions do
 * (a firewall or geo-block, GeoDNS or a CDN answering differently).
 * Called by diag_diagnose() through diag_http_group().
 */
#include <stdio.h>
#include <string.h>

#include "verdict.h"
#include "verdict_ext.h"
#include "diagnose_int.h"

/* What a redirect failure's summary says the redirect rule does wrong, for
 * "a redirect rule <hint>" (Boulder's redirect rules, agent/redirect.c). */
static const char *s_redirect_hint(const char *summary)
{
	if (strstr(summary, "Too many redirects") != NULL)
		return "loops or chains more than 10 redirects";
	if (strstr(summary, "Redirect loop") != NULL)
		return "loops back to a URL already fetched";
	if (strstr(summary, "Invalid port in redirect") != NULL)
		return "sends the challenge to a port other than 80 or 443";
	if (strstr(summary, "Invalid protocol scheme") != NULL)
		return "sends the challenge to a scheme other than http or https";
	if (strstr(summary, "Invalid host in redirect") != NULL)
		return "sends the challenge to a host Let's Encrypt refuses (a missing '/' after "
		       "the host, a reserved IP or a name without a public suffix)";
	if (strstr(summary, "disallowed redirect status") != NULL)
		return "uses a status other than 301, 302, 307 or 308";
	if (strstr(summary, "too long") != NULL)
		return "produces a path longer than 2000 bytes";
	return "sends the challenge somewhere Let's Encrypt will not follow";
}

/* The one sentence for a problem every answering vantage shares. */
static void s_sitewide(struct vt_check *c, const struct diag_key *k)
{
	static const char site[] = "the problem is at the site itself, not a region";

	switch (k->cls) {
	case DIAG_REFUSED:
		diag_add(c,
		         "fails from every vantage (%s): %s: is the web server listening on port "
		         "80, "
		         "on IPv4 and IPv6, and does the host's firewall allow it?",
		         k->summary, site);
		break;
	case DIAG_TIMEOUT_CONNECT:
		diag_add(c,
		         "fails from every vantage (%s): %s: a firewall drops port 80, or the "
		         "A/AAAA "
		         "records point to a host that is down",
		         k->summary, site);
		break;
	case DIAG_UNREACH:
		diag_add(c,
		         "fails from every vantage (%s): %s: the address in DNS is not reachable; "
		         "check the A/AAAA records",
		         k->summary, site);
		break;
	case DIAG_RESET:
		diag_add(c,
		         "fails from every vantage (%s): %s: something resets connections to port "
		         "80 "
		         "(a firewall, an IPS or a crashing server)",
		         k->summary, site);
		break;
	case DIAG_TIMEOUT_AFTER:
		diag_add(c,
		         "fails from every vantage (%s): the server accepts connections but does "
		         "not "
		         "answer in time: it is slow or overloaded, or a proxy in front of it "
		         "stalls",
		         k->summary);
		break;
	case DIAG_HTTP_STATUS:
		if (k->status == 404)
			diag_add(c,
			         "the server answers 404 for the challenge file from everywhere: "
			         "the "
			         "file is not where the server serves /.well-known/acme-challenge/ "
			         "from (webroot mismatch?)");
		else if (k->status == 401 || k->status == 403 || k->status == 451)
			diag_add(c,
			         "the server answers %u for the challenge file from everywhere: an "
			         "access rule (deny rule, .htaccess, authentication or a WAF) "
			         "blocks "
			         "/.well-known/acme-challenge/; allow it for everyone",
			         k->status);
		else if (k->status >= 500)
			diag_add(
			        c,
			        "the server answers %u for the challenge file from everywhere: the "
			        "server or a proxy in front of it fails; check its error log",
			        k->status);
		else
			diag_add(c,
			         "the server answers %u for the challenge file from everywhere; "
			         "Let's Encrypt accepts only 200",
			         k->status);
		break;
	case DIAG_MISMATCH:
		diag_add(c,
		         "the challenge file's content did not match from every vantage: something "
		         "changes it (a header or footer added, a rewrite, or a wrong or stale "
		         "file); the body must be exactly the key authorization");
		break;
	case DIAG_BODY:
		diag_add(
		        c,
		        "the server returns a page instead of the challenge file from every "
		        "vantage "
		        "(%s): a catch-all rewrite or error page answers; the body must be the key "
		        "authorization alone",
		        k->summary);
		break;
	case DIAG_REDIRECT:
		diag_add(c,
		         "fails from every vantage (%s): a redirect rule %s; exempt "
		         "/.well-known/acme-challenge/ from it or fix its target",
		         k->summary, s_redirect_hint(k->summary));
		break;
	case DIAG_DNS:
		diag_add(
		        c,
		        "the DNS lookup fails from every vantage (%s): fix the domain's DNS: A or "
		        "AAAA records must exist, hold public addresses, and every nameserver must "
		        "answer",
		        k->summary);
		break;
	case DIAG_TLS:
		diag_add(
		        c,
		        "fails from every vantage (%s): TLS to the HTTPS redirect target fails; it "
		        "must speak TLS 1.2 or newer (the certificate itself is not checked)",
		        k->summary);
		break;
	case DIAG_OTHER:
		diag_add(c, "fails from every vantage (%s): %s", k->summary, site);
		break;
	}
}

/* The sentence for a problem some vantages have while others pass. */
static void s_partial(struct vt_check *c, const struct diag_key *k)
{
	struct diag_selarg bad = {DIAG_SEL_GROUP, k}, good = {DIAG_SEL_PASS, NULL};
	struct diag_who w;
	const char *who = w.who, *others = w.others, *that;
	size_t nwho;

	diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
	that = w.that;
	nwho = w.nwho;

	switch (k->cls) {
	case DIAG_TIMEOUT_CONNECT:
		diag_add(c,
		         "fails only from %s (%s) while %s pass: a firewall or geo-block drops %s. "
		         "%s allow /.well-known/acme-challenge/ from everywhere",
		         who, k->summary, others, that, diag_no_ips);
		break;
	case DIAG_REFUSED:
	case DIAG_RESET:
	case DIAG_UNREACH:
		diag_add(c,
		         "fails only from %s (%s) while %s pass: a firewall rejects connections "
		         "from "
		         "%s. %s allow port 80 from everywhere",
		         who, k->summary, others, that, diag_no_ips);
		break;
	case DIAG_HTTP_STATUS:
		if (k->status == 401 || k->status == 403 || k->status == 451)
			diag_add(
			        c,
			        "the server answers %u to %s only while %s pass: a geo-IP rule or "
			        "WAF blocks %s. %s exempt /.well-known/acme-challenge/ from geo-IP "
			        "and WAF rules",
			        k->status, who, others, that, diag_no_ips);
		else
			diag_add(c,
			         "the server answers %u to %s only while %s pass: %s reach a "
			         "different server or backend (GeoDNS, CDN, load balancer); every "
			         "one must serve /.well-known/acme-challenge/",
			         k->status, who, others, that);
		break;
	case DIAG_MISMATCH:
	case DIAG_BODY:
		diag_add(c,
		         "%s get%s different content for the challenge file while %s pass: a "
		         "different server or backend (GeoDNS, CDN, load balancer) answers there; "
		         "every one must serve the same key authorization",
		         who, nwho == 1 ? "s" : "", others);
		break;
	case DIAG_DNS:
		diag_add(c,
		         "the DNS lookup fails only from %s (%s) while %s pass: some of the "
		         "domain's "
		         "nameservers or its DNSSEC answer differently; check every authoritative "
		         "nameserver",
		         who, k->summary, others);
		break;
	case DIAG_TIMEOUT_AFTER:
		diag_add(c,
		         "fails only from %s (%s) while %s pass: the server, or a middlebox on the "
		         "way from %s, stalls after the connection is made",
		         who, k->summary, others, that);
		break;
	case DIAG_REDIRECT:
		diag_add(c,
		         "fails only from %s (%s) while %s pass: a redirect rule seen only from %s "
		         "%s; exempt /.well-known/acme-challenge/ from it",
		         who, k->summary, others, that, s_redirect_hint(k->summary));
		break;
	case DIAG_TLS:
	case DIAG_OTHER:
		diag_add(c,
		         "fails only from %s (%s) while %s pass: %s %s served differently (GeoDNS, "
		         "CDN, load balancer or firewall); compare what %s get",
		         who, k->summary, others, that, nwho == 1 ? "is" : "are", that);
		break;
	}
}

void diag_http_group(struct vt_check *c, const struct diag_key *k, bool partial)
{
	if (partial)
		s_partial(c, k);
	else
		s_sitewide(c, k);
}
