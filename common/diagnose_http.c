/*
 * diagnose_http.c -- the HTTP-01 diagnosis sentences: what one failure
 * group means when every vantage has it (the site itself: port 80, the
 * webroot, an access rule, a redirect rule) and when only some regions do
 * (a firewall or geo-block, GeoDNS or a CDN answering differently), each
 * the summary of a finding (finding.h); and the interceptors recognised by
 * the Server header or the body a vantage got (Cloudflare, the nginx
 * testcookie module, a firewall's block page, a router behind port
 * forwarding, plain HTTP sent to an HTTPS port).
 * Called by diag_diagnose() through diag_http_group() and
 * diag_http_interceptors().
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "verdict.h"
#include "verdict_ext.h"
#include "diagnose_int.h"

/* Does a redirect failure's summary name a target host ending in
 * ".well-known" (an Apache "Redirect / https://example.com" without its
 * trailing slash; agent/redirect.c)? */
static bool s_missing_slash(const char *summary)
{
	return strstr(summary, "Invalid host in redirect target \"") != NULL &&
	       strstr(summary, ".well-known\"") != NULL;
}

/* Does a TLS failure's summary say the port spoke plain HTTP (a redirect to
 * https:// on a port that serves HTTP)? */
static bool s_http_on_tls(const char *summary)
{
	return strcasestr(summary, "Server only speaks HTTP") != NULL ||
	       strcasestr(summary, "wrong version number") != NULL ||
	       strcasestr(summary, "HTTP response to HTTPS client") != NULL;
}

/* What a redirect failure's summary says the redirect rule does wrong, for
 * "a redirect rule <hint>" (Boulder's redirect rules, agent/redirect.c). */
static const char *s_redirect_hint(const char *summary)
{
	if (strstr(summary, "Too many redirects") != NULL)
		return "loops or chains more than 10 redirects";
	if (strstr(summary, "Redirect loop") != NULL)
		return "loops back to a URL already fetched";
	if (strstr(summary, "TLSv1.2") != NULL)
		return "sends the challenge to an HTTPS server that only speaks TLS 1.1 or older";
	if (strstr(summary, "Invalid port in redirect") != NULL)
		return "sends the challenge to a port other than 80 or 443";
	if (strstr(summary, "Invalid protocol scheme") != NULL)
		return "sends the challenge to a scheme other than http or https";
	if (s_missing_slash(summary))
		return "joins the host and the path without a '/' (the target host ends in "
		       "\".well-known\")";
	if (strstr(summary, "Invalid host in redirect") != NULL)
		return "sends the challenge to a host Let's Encrypt refuses (a missing '/' after "
		       "the host, a reserved IP or a name without a public suffix)";
	if (strstr(summary, "disallowed redirect status") != NULL)
		return "uses a status other than 301, 302, 307 or 308";
	if (strstr(summary, "too long") != NULL)
		return "produces a path longer than 2000 bytes";
	return "sends the challenge somewhere Let's Encrypt will not follow";
}

/* Did the failures of group k happen on an https:// URL, that is after a
 * redirect to HTTPS (Boulder reports "<ip>: Fetching <target URL>: ...")? */
static bool s_on_https(const struct vt_check *c, const struct diag_key *k)
{
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (diag_selected(e, DIAG_SEL_GROUP, k) &&
		    strstr(e->result.problem.detail, "Fetching https://") != NULL)
			return true;
	}
	return false;
}

/* The finding for a redirect failure group: HttpsRedirectBroken when the
 * redirect went to HTTPS and that failed (TLS below 1.2, a port other than
 * 443 for https), MissingSlashRedirect, else BadRedirect. */
static enum vt_finding_id s_redirect_id(const struct vt_check *c, const struct diag_key *k)
{
	if (strstr(k->summary, "TLSv1.2") != NULL)
		return VT_F_HTTPS_REDIRECT_BROKEN;
	if (strstr(k->summary, "Invalid port in redirect") != NULL && s_on_https(c, k))
		return VT_F_HTTPS_REDIRECT_BROKEN;
	if (s_missing_slash(k->summary))
		return VT_F_MISSING_SLASH_REDIRECT;
	return VT_F_BAD_REDIRECT;
}

/* The finding for an HTTP status every vantage got. */
static enum vt_finding_id s_status_id(unsigned status)
{
	if (status == 404)
		return VT_F_WEBROOT_MISMATCH;
	if (status == 401 || status == 403 || status == 451)
		return VT_F_ACCESS_DENIED;
	if (status >= 500)
		return VT_F_SERVER_ERROR;
	return VT_F_UNEXPECTED_STATUS;
}

/* A connection failure (refused, timeout, reset, unreachable) on the HTTPS
 * hop of a redirect, from every vantage. */
static void s_https_hop_down(struct vt_check *c, const struct diag_key *k, diag_pred_fn who,
                             const void *arg)
{
	diag_find(c, VT_F_HTTPS_REDIRECT_BROKEN, who, arg,
	          "fails from every vantage (%s) after the redirect to https://: port 80 "
	          "answers, but port 443 does not; the challenge follows the redirect, so "
	          "exempt /.well-known/acme-challenge/ from it or make HTTPS work",
	          k->summary);
}

/* The one sentence for a problem every answering vantage shares. */
static void s_sitewide(struct vt_check *c, const struct diag_key *k)
{
	static const char site[] = "the problem is at the site itself, not a region";
	struct diag_selarg grp = {DIAG_SEL_GROUP, k};
	const void *arg = &grp;
	diag_pred_fn who = diag_pred_sel;
	enum vt_finding_id id;

	/* a connection failure after the redirect to https:// is port 443's */
	if ((k->cls == DIAG_REFUSED || k->cls == DIAG_TIMEOUT_CONNECT || k->cls == DIAG_UNREACH ||
	     k->cls == DIAG_RESET) &&
	    s_on_https(c, k)) {
		s_https_hop_down(c, k, who, arg);
		return;
	}
	switch (k->cls) {
	case DIAG_REFUSED:
		diag_find(c, VT_F_SITE_UNREACHABLE, who, arg,
		          "fails from every vantage (%s): %s: is the web server listening on port "
		          "80, "
		          "on IPv4 and IPv6, and does the host's firewall allow it?",
		          k->summary, site);
		break;
	case DIAG_TIMEOUT_CONNECT:
		diag_find(c, VT_F_SITE_UNREACHABLE, who, arg,
		          "fails from every vantage (%s): %s: a firewall drops port 80, or the "
		          "A/AAAA "
		          "records point to a host that is down",
		          k->summary, site);
		break;
	case DIAG_UNREACH:
		diag_find(c, VT_F_SITE_UNREACHABLE, who, arg,
		          "fails from every vantage (%s): %s: the address in DNS is not reachable; "
		          "check the A/AAAA records",
		          k->summary, site);
		break;
	case DIAG_RESET:
		diag_find(c, VT_F_SITE_UNREACHABLE, who, arg,
		          "fails from every vantage (%s): %s: something resets connections to port "
		          "80 "
		          "(a firewall, an IPS or a crashing server)",
		          k->summary, site);
		break;
	case DIAG_TIMEOUT_AFTER:
		diag_find(c, VT_F_SERVER_STALLS, who, arg,
		          "fails from every vantage (%s): the server accepts connections but does "
		          "not "
		          "answer in time: it is slow or overloaded, or a proxy in front of it "
		          "stalls",
		          k->summary);
		break;
	case DIAG_HTTP_STATUS:
		id = s_status_id(k->status);
		if (id == VT_F_WEBROOT_MISMATCH)
			diag_find(
			        c, id, who, arg,
			        "the server answers 404 for the challenge file from everywhere: "
			        "the "
			        "file is not where the server serves /.well-known/acme-challenge/ "
			        "from (webroot mismatch?)");
		else if (id == VT_F_ACCESS_DENIED)
			diag_find(
			        c, id, who, arg,
			        "the server answers %u for the challenge file from everywhere: an "
			        "access rule (deny rule, .htaccess, authentication or a WAF) "
			        "blocks "
			        "/.well-known/acme-challenge/; allow it for everyone",
			        k->status);
		else if (id == VT_F_SERVER_ERROR)
			diag_find(
			        c, id, who, arg,
			        "the server answers %u for the challenge file from everywhere: the "
			        "server or a proxy in front of it fails; check its error log",
			        k->status);
		else
			diag_find(c, id, who, arg,
			          "the server answers %u for the challenge file from everywhere; "
			          "Let's Encrypt accepts only 200",
			          k->status);
		break;
	case DIAG_MISMATCH:
		diag_find(c, VT_F_CONTENT_MODIFIED, who, arg,
		          "the challenge file's content did not match from every vantage: "
		          "something "
		          "changes it (a header or footer added, a rewrite, or a wrong or stale "
		          "file); the body must be exactly the key authorization");
		break;
	case DIAG_BODY:
		diag_find(c, VT_F_CONTENT_MODIFIED, who, arg,
		          "the server returns a page instead of the challenge file from every "
		          "vantage "
		          "(%s): a catch-all rewrite or error page answers; the body must be the "
		          "key "
		          "authorization alone",
		          k->summary);
		break;
	case DIAG_REDIRECT:
		diag_find(c, s_redirect_id(c, k), who, arg,
		          "fails from every vantage (%s): a redirect rule %s; exempt "
		          "/.well-known/acme-challenge/ from it or fix its target",
		          k->summary, s_redirect_hint(k->summary));
		break;
	case DIAG_DNS:
		diag_find(c, diag_dns_id(c, k), who, arg,
		          "the DNS lookup fails from every vantage (%s): fix the domain's DNS: A "
		          "or "
		          "AAAA records must exist, hold public addresses, and every nameserver "
		          "must "
		          "answer",
		          k->summary);
		break;
	case DIAG_TLS:
		if (s_http_on_tls(k->summary))
			diag_find(c, VT_F_HTTP_ON_HTTPS_PORT, who, arg,
			          "fails from every vantage (%s): the redirect sends the challenge "
			          "to https://, but the port it names answers in plain HTTP",
			          k->summary);
		else
			diag_find(c, VT_F_HTTPS_REDIRECT_BROKEN, who, arg,
			          "fails from every vantage (%s): TLS to the HTTPS redirect target "
			          "fails; it must speak TLS 1.2 or newer (the certificate itself "
			          "is not checked)",
			          k->summary);
		break;
	case DIAG_OTHER:
		diag_find(c, s_on_https(c, k) ? VT_F_HTTPS_REDIRECT_BROKEN : VT_F_SITE_UNREACHABLE,
		          who, arg, "fails from every vantage (%s): %s", k->summary, site);
		break;
	}
}

/* The sentence for a problem some vantages have while others pass. */
static void s_partial(struct vt_check *c, const struct diag_key *k)
{
	struct diag_selarg bad = {DIAG_SEL_GROUP, k}, good = {DIAG_SEL_PASS, NULL};
	const void *arg = &bad;
	diag_pred_fn sel = diag_pred_sel;
	struct diag_who w;
	const char *who = w.who, *others = w.others, *that;
	size_t nwho;

	diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
	that = w.that;
	nwho = w.nwho;

	switch (k->cls) {
	case DIAG_TIMEOUT_CONNECT:
		diag_find(c, VT_F_REGIONAL_BLOCK, sel, arg,
		          "fails only from %s (%s) while %s pass: a firewall or geo-block drops "
		          "%s. "
		          "%s allow /.well-known/acme-challenge/ from everywhere",
		          who, k->summary, others, that, diag_no_ips);
		break;
	case DIAG_REFUSED:
	case DIAG_RESET:
	case DIAG_UNREACH:
		diag_find(c, VT_F_REGIONAL_BLOCK, sel, arg,
		          "fails only from %s (%s) while %s pass: a firewall rejects connections "
		          "from "
		          "%s. %s allow port %u from everywhere",
		          who, k->summary, others, that, diag_no_ips,
		          s_on_https(c, k) ? 443U : 80U); /* 443: after a redirect to https:// */
		break;
	case DIAG_HTTP_STATUS:
		/* an access status for some regions only: a geo-IP rule or WAF */
		if (k->status == 401 || k->status == 403 || k->status == 451)
			diag_find(c, VT_F_REGIONAL_BLOCK, sel, arg,
			          "the server answers %u to %s only while %s pass: a geo-IP rule "
			          "or "
			          "WAF blocks %s. %s exempt /.well-known/acme-challenge/ from "
			          "geo-IP "
			          "and WAF rules",
			          k->status, who, others, that, diag_no_ips);
		else
			diag_find(c, VT_F_REGIONAL_DIFFERENCE, sel, arg,
			          "the server answers %u to %s only while %s pass: %s reach%s a "
			          "different server or backend (GeoDNS, CDN, load balancer); every "
			          "one must serve /.well-known/acme-challenge/",
			          k->status, who, others, that, nwho == 1 ? "es" : "");
		break;
	case DIAG_MISMATCH:
	case DIAG_BODY:
		diag_find(c, VT_F_REGIONAL_DIFFERENCE, sel, arg,
		          "%s get%s different content for the challenge file while %s pass: a "
		          "different server or backend (GeoDNS, CDN, load balancer) answers "
		          "there; "
		          "every one must serve the same key authorization",
		          who, nwho == 1 ? "s" : "", others);
		break;
	case DIAG_DNS:
		diag_find(c, diag_dns_id(c, k), sel, arg,
		          "the DNS lookup fails only from %s (%s) while %s pass: some of the "
		          "domain's "
		          "nameservers or its DNSSEC answer differently; check every "
		          "authoritative "
		          "nameserver",
		          who, k->summary, others);
		break;
	case DIAG_TIMEOUT_AFTER:
		diag_find(c, VT_F_SERVER_STALLS, sel, arg,
		          "fails only from %s (%s) while %s pass: the server, or a middlebox on "
		          "the "
		          "way from %s, stalls after the connection is made",
		          who, k->summary, others, that);
		break;
	case DIAG_REDIRECT:
		diag_find(c, VT_F_REGIONAL_DIFFERENCE, sel, arg,
		          "fails only from %s (%s) while %s pass: a redirect rule seen only from "
		          "%s "
		          "%s; exempt /.well-known/acme-challenge/ from it",
		          who, k->summary, others, that, s_redirect_hint(k->summary));
		break;
	case DIAG_TLS:
	case DIAG_OTHER:
		diag_find(c, VT_F_REGIONAL_DIFFERENCE, sel, arg,
		          "fails only from %s (%s) while %s pass: %s %s served differently "
		          "(GeoDNS, "
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

/* ---- interceptors: what answered, by its Server header or body ---- */

/* One thing that answers in place of the web server: match() tells whether
 * e's response shows it and writes what showed it (the evidence:
 * "Server: cloudflare", "body contains \"acme-protocol\"") into buf. */
struct s_icpt {
	enum vt_finding_id id;
	bool (*match)(const struct vt_entry *e, char *buf, size_t len);
	/* the summary: "<lead> from <where> (<evidence>)<tail>" */
	const char *lead, *tail;
};

/* Does hay contain one of the NULL-terminated needles (case-insensitive)?
 * Then buf says which: "body contains \"<needle>\"". */
static bool s_body_has(const char *hay, const char *const *needles, char *buf, size_t len)
{
	for (size_t i = 0; needles[i] != NULL; i++)
		if (strcasestr(hay, needles[i]) != NULL) {
			snprintf(buf, len, "body contains \"%s\"", needles[i]);
			return true;
		}
	return false;
}

static bool s_cloudflare(const struct vt_entry *e, char *buf, size_t len)
{
	if (strcasestr(e->result.server, "cloudflare") == NULL)
		return false;
	snprintf(buf, len, "Server: %s", e->result.server);
	return true;
}

/* testcookie-nginx-module's JavaScript page: letsdebug's markers, the AES
 * helper's name and the module's own. */
static bool s_testcookie(const struct vt_entry *e, char *buf, size_t len)
{
	static const char *const n[] = {"src=\"/aes.js\"", "src=\"/aes.min.js\"", "var a=toNumbers",
	                                "slowAES",         "testcookie",          NULL};

	return s_body_has(e->result.body, n, buf, len);
}

/* Firewall block pages: Palo Alto's App-ID page names the application it
 * blocked ("acme-protocol", letsdebug's marker) and is titled "Application
 * Blocked"; Palo Alto's URL filtering page and FortiGate's are titled "Web
 * Page Blocked", Palo Alto's says "blocked in accordance with company
 * policy", Fortinet's name FortiGuard. */
static bool s_block_page(const struct vt_entry *e, char *buf, size_t len)
{
	static const char *const n[] = {
	        "acme-protocol",    "Application Blocked",
	        "Web Page Blocked", "blocked in accordance with company policy",
	        "FortiGuard",       NULL};

	return s_body_has(e->result.body, n, buf, len);
}

/* A router or modem answers: the Server headers letsdebug knows (whole, as
 * letsdebug compares them), else a router's login or admin page. */
static bool s_router(const struct vt_entry *e, char *buf, size_t len)
{
	static const char *const servers[] = {"micro_httpd", "cisco-IOS", "LANCOM",
	                                      "Mini web server 1.0 ZTE corp 2005.", NULL};
	static const char *const bodies[] = {"RouterOS",     "FRITZ!Box", "routerlogin",
	                                     "router login", "DD-WRT",    NULL};

	for (size_t i = 0; servers[i] != NULL; i++)
		if (strcasecmp(e->result.server, servers[i]) == 0) {
			snprintf(buf, len, "Server: %s", e->result.server);
			return true;
		}
	return s_body_has(e->result.body, bodies, buf, len);
}

/* nginx's and Apache's answer to plain HTTP on a port that expects TLS. */
static bool s_http_to_https(const struct vt_entry *e, char *buf, size_t len)
{
	static const char *const n[] = {"The plain HTTP request was sent to HTTPS port",
	                                "speaking plain HTTP to an SSL-enabled server port", NULL};

	return s_body_has(e->result.body, n, buf, len);
}

static const struct s_icpt s_icpts[] = {
        {VT_F_CLOUDFLARE_PROXY, s_cloudflare, "Cloudflare's proxy answers for the domain",
         ": the challenge goes through Cloudflare's edge, so its rules decide what Let's "
         "Encrypt gets"},
        {VT_F_NGINX_TEST_COOKIE, s_testcookie, "the nginx testcookie module answers",
         " with a JavaScript cookie check instead of the challenge file"},
        {VT_F_FIREWALL_BLOCK_PAGE, s_block_page, "a firewall's block page answers",
         " instead of the challenge file"},
        {VT_F_PORT_FORWARDING, s_router, "a router or modem answers on port 80",
         ", not the web server"},
        {VT_F_HTTP_ON_HTTPS_PORT, s_http_to_https, "plain HTTP reaches a port that expects TLS",
         ": port 80, or the port a redirect names, is set up for HTTPS"},
};

/* diag_pred_fn: does e's response show interceptor arg? */
static bool s_pred_icpt(const struct vt_entry *e, const void *arg)
{
	const struct s_icpt *ic = arg;
	char buf[FINDING_EVIDENCE_LEN];

	return ic->match(e, buf, sizeof(buf));
}

static bool s_has_finding(const struct vt_check *c, enum vt_finding_id id)
{
	return vt_check_finding(c, id) != NULL;
}

void diag_http_interceptors(struct vt_check *c)
{
	for (size_t t = 0; t < sizeof(s_icpts) / sizeof(s_icpts[0]); t++) {
		const struct s_icpt *ic = &s_icpts[t];
		char where[VERDICT_DIAGNOSIS_LEN / 2], seen[FINDING_EVIDENCE_LEN];
		char first[FINDING_EVIDENCE_LEN] = "";
		char saved[FINDING_MAX_EVIDENCE][FINDING_EVIDENCE_LEN];
		struct vt_finding *f;
		size_t n = 0, nanswered = 0, nsaved;

		if (s_has_finding(c, ic->id))
			continue; /* a failure group's sentence already says it */
		for (size_t i = 0; i < c->n_entries; i++) {
			const struct vt_entry *e = &c->entries[i];
			if (!diag_unavailable(e))
				nanswered++;
			if (!ic->match(e, seen, sizeof(seen)))
				continue;
			if (n++ == 0)
				memcpy(first, seen, sizeof(first));
		}
		if (n == 0)
			continue;
		if (n == nanswered && n > 1)
			snprintf(where, sizeof(where), "every vantage");
		else
			diag_list(c, s_pred_icpt, ic, true, where, sizeof(where));
		f = diag_find(c, ic->id, s_pred_icpt, ic, "%s from %s (%s)%s", ic->lead, where,
		              first, ic->tail);
		if (f == NULL)
			return;
		/* what each response showed first, then the problem details */
		nsaved = f->n_evidence;
		memcpy(saved, f->evidence, sizeof(saved));
		f->n_evidence = 0;
		for (size_t i = 0; i < c->n_entries; i++)
			if (ic->match(&c->entries[i], seen, sizeof(seen)))
				finding_add_evidence(f, "%s", seen);
		for (size_t i = 0; i < nsaved; i++)
			finding_add_evidence(f, "%s", saved[i]);
	}
}
