/*
 * diagnose_tls.c -- the TLS-ALPN-01 findings: a CDN or reverse proxy in
 * front of the server (ProxyInFront), acme-tls/1 not offered (NoAcmeTls1),
 * TLS too old (TLSTooOld), the validation certificate's rules
 * (WrongValidationCert, letsencrypt-validation.md 4.3), other handshake
 * failures (TLSHandshakeFailed), port 443 unreachable from everywhere or
 * from some regions; and the comparison of the certificates the vantages
 * got (CertificatesDiffer).  Called by diag_diagnose() through
 * diag_tls_group() and diag_certs().
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "verdict.h"
#include "verdict_ext.h"
#include "diagnose_int.h"

/* What a failure means beyond its class (found in the summary, which is
 * Boulder's wording). */
enum s_kind {
	K_NONE = 0,
	K_BOGUS,   /* DNSSEC validation failed: the class sentence speaks */
	K_ALPN,    /* acme-tls/1 not negotiated */
	K_TLS_OLD, /* only TLS 1.1 or older */
	K_NOT_TLS, /* plain HTTP on 443 */
	K_CERT,    /* a validation-certificate rule (s_cert_rules) */
};

/* The certificate rules of letsencrypt-validation.md 4.3, in the order they
 * are checked: the detail's text, the rule broken and what to do; ordinary:
 * the certificate is an ordinary one, not a validation certificate at all
 * (what a CDN or proxy in front of the server presents). */
struct s_cert_rule {
	const char *needle;
	const char *rule;
	const char *advice;
	bool ordinary;
};

static const struct s_cert_rule s_cert_rules[] = {
        {"No certs presented", "the server on port 443 presents no certificate for acme-tls/1",
         "it must present the validation certificate when acme-tls/1 is negotiated", false},
        {"not self-signed", "the certificate on port 443 is not self-signed",
         "the server answers acme-tls/1 with an ordinary certificate; it must present the "
         "self-signed validation certificate the ACME client made (RFC 8737)",
         true},
        {"1.3.6.1.5.5.7.1.31 is not present",
         "the certificate on port 443 has no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)",
         "the server answers acme-tls/1 with an ordinary certificate, not the validation "
         "certificate the ACME client made",
         true},
        {"no acmeValidationV1 extension",
         "the certificate on port 443 has no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)",
         "the server answers acme-tls/1 with an ordinary certificate, not the validation "
         "certificate the ACME client made",
         true},
        {"not Critical",
         "the certificate's acmeIdentifier extension (1.3.6.1.5.5.7.1.31) is not marked critical",
         "RFC 8737 requires it critical; fix the tool that makes the validation certificate",
         false},
        {"malformed acmeValidationV1", "the certificate's acmeIdentifier extension is malformed",
         "it must hold a DER OCTET STRING of the 32-byte SHA-256 of the key authorization", false},
        {"but expected", "the certificate's acmeIdentifier holds the wrong digest",
         "it is a stale certificate or another challenge's: the server must present the "
         "certificate made for this key authorization (reload it after the client writes it)",
         false},
        {"unexpected identifiers", "the certificate's subjectAltName is wrong",
         "it must hold exactly one dNSName, the domain in lower case, and no IP address", false},
        {"unexpected extensions", "the certificate has a missing or duplicated extension",
         "it needs subjectAltName and a critical acmeIdentifier, each exactly once", false},
};

static const struct s_cert_rule *s_cert_rule(const char *summary)
{
	for (size_t i = 0; i < sizeof(s_cert_rules) / sizeof(s_cert_rules[0]); i++)
		if (strstr(summary, s_cert_rules[i].needle) != NULL)
			return &s_cert_rules[i];
	return NULL;
}

static bool s_is_tls_old(const char *s)
{
	static const char *const needles[] = {"protocol version", "unsupported protocol",
	                                      "version too low",  "TLSv1.1",
	                                      "TLSv1.0",          "TLS 1.1",
	                                      "TLS 1.0",          "SSLv3"};

	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (strcasestr(s, needles[i]) != NULL)
			return true;
	return false;
}

static enum s_kind s_kind_of(const struct diag_key *k)
{
	const char *s = k->summary;

	if (diag_says_bogus(k))
		return K_BOGUS;
	if (strstr(s, TLSALPN_PROTOCOL) != NULL || strstr(s, "no application protocol") != NULL)
		return K_ALPN;
	if (strstr(s, "only speaks HTTP") != NULL)
		return K_NOT_TLS;
	if (s_cert_rule(s) != NULL)
		return K_CERT;
	if ((k->type == VT_PROB_TLS || k->type == VT_PROB_MALFORMED) && s_is_tls_old(s))
		return K_TLS_OLD;
	return K_NONE;
}

/* ---- a CDN or reverse proxy in front of the server (ProxyInFront) ---- */

/*
 * CDNs and reverse proxies that terminate TLS themselves, known by the
 * certificate they present: words of its issuer and of its subject
 * (case-insensitive; NULL: not looked at; both must match when both are
 * given).  A word that is part of the domain itself proves nothing (a
 * validation certificate names the domain in both).  The one table: add a
 * CDN here.
 */
static const struct s_cdn {
	const char *name;
	const char *issuer;
	const char *subject;
} s_cdns[] = {
        {"Cloudflare", "Cloudflare", NULL},
        {"Cloudflare", NULL, "cloudflare"}, /* sni.cloudflaressl.com, O=Cloudflare, Inc. */
        {"Akamai", "Akamai", NULL},
        {"Akamai", NULL, "akamai"}, /* *.akamaized.net, a248.e.akamai.net */
        {"Fastly", "Fastly", NULL},
        {"Fastly", NULL, "fastly"}, /* *.global.ssl.fastly.net */
        {"Amazon CloudFront", NULL, "cloudfront"},
        {"Amazon (CloudFront or a load balancer)", "Amazon", NULL}, /* ACM certificates */
        {"Sucuri", "Sucuri", NULL},
        {"Sucuri", NULL, "sucuri"},
        {"Imperva Incapsula", "Incapsula", NULL},
        {"Imperva Incapsula", NULL, "incapsula"},
        {"Imperva", "Imperva", NULL},
        {"Imperva", NULL, "imperva"},
        {"StackPath", "StackPath", NULL},
        {"StackPath", NULL, "stackpath"},
        {"Azure Front Door", "Microsoft Azure", NULL},
        {"Azure Front Door", NULL, "azurefd"},
        {"Azure CDN", NULL, "azureedge"},
        /* Google Trust Services also issues to anyone over ACME: only
         * with a Google name in the subject is it Google's front end */
        {"a Google front end", "Google Trust Services", "google"},
        {"a Google front end", "Google Trust Services", "appspot"},
};

/* letsdebug's CloudflareCDN (ALPN variant): the Server header names it. */
#define S_CLOUDFLARE_SERVER "cloudflare"

/* Does field hold word, other than as part of the domain? */
static bool s_names(const char *field, const char *word, const char *domain)
{
	return strcasestr(field, word) != NULL && strcasestr(domain, word) == NULL;
}

/* The CDN or proxy e's answer shows, or NULL. */
static const char *s_cdn_of(const char *domain, const struct vt_entry *e)
{
	const struct vt_cert *k = &e->result.cert;

	for (size_t i = 0; k->present && i < sizeof(s_cdns) / sizeof(s_cdns[0]); i++) {
		const struct s_cdn *d = &s_cdns[i];
		if (d->issuer != NULL && !s_names(k->issuer, d->issuer, domain))
			continue;
		if (d->subject != NULL && !s_names(k->subject, d->subject, domain))
			continue;
		return d->name;
	}
	if (strcasestr(e->result.server, S_CLOUDFLARE_SERVER) != NULL)
		return "Cloudflare";
	return NULL;
}

/* Which entries a ProxyInFront or NoAcmeTls1 sentence concerns: those in
 * failure group k (NULL: reachable ones that got no acme-tls/1). */
struct s_alpnarg {
	const struct vt_check *c;
	const struct diag_key *k;
};

/* Can acme-tls/1 be what failed, with an ordinary certificate presented
 * (then a CDN's certificate is the proxy's)? */
static bool s_no_validation_kind(const struct diag_key *k)
{
	const struct s_cert_rule *rule;

	switch (s_kind_of(k)) {
	case K_ALPN:
		return true;
	case K_CERT:
		rule = s_cert_rule(k->summary);
		return rule != NULL && rule->ordinary;
	default:
		return false;
	}
}

/* e did not get the validation certificate over acme-tls/1: it failed in
 * group k, or (k NULL) it was reachable but the server did not negotiate
 * acme-tls/1 (reachability mode: the agent then captures the ordinary
 * certificate, and cert.alpn is what the acme-tls/1 handshake negotiated). */
static bool s_no_validation(const struct vt_entry *e, const struct diag_key *k)
{
	struct diag_selarg sel = {DIAG_SEL_GROUP, k};

	if (k != NULL)
		return diag_pred_sel(e, &sel);
	return verdict_entry_judged(e) && e->result.outcome == VT_OUTCOME_REACHABLE &&
	       e->result.cert.present && strcmp(e->result.cert.alpn, TLSALPN_PROTOCOL) != 0;
}

static bool s_proxied(const struct vt_entry *e, const void *arg)
{
	const struct s_alpnarg *a = arg;

	return s_no_validation(e, a->k) && s_cdn_of(a->c->domain, e) != NULL;
}

static bool s_not_proxied(const struct vt_entry *e, const void *arg)
{
	const struct s_alpnarg *a = arg;

	return s_no_validation(e, a->k) && s_cdn_of(a->c->domain, e) == NULL;
}

/* Judged entries that answered (passed or failed). */
static bool s_answered(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	return verdict_entry_judged(e) && !diag_unavailable(e);
}

/* ProxyInFront for the entries of a (group a->k, or reachable without
 * acme-tls/1) that show a CDN: its name, who sees it, and the certificate
 * or Server header as evidence.  Returns whether it said so. */
static bool s_proxy_in_front(struct vt_check *c, const struct s_alpnarg *a)
{
	char who[VERDICT_DIAGNOSIS_LEN / 2];
	const struct vt_entry *first = NULL;
	struct vt_finding *f;
	size_t n = diag_count(c, s_proxied, a);

	if (n == 0)
		return false;
	for (size_t i = 0; i < c->n_entries && first == NULL; i++)
		if (s_proxied(&c->entries[i], a))
			first = &c->entries[i];
	if (n == diag_count(c, s_answered, NULL))
		snprintf(who, sizeof(who), "every vantage");
	else
		diag_list(c, s_proxied, a, true, who, sizeof(who));
	f = diag_find(c, VT_F_PROXY_IN_FRONT, s_proxied, a,
	              "%s terminates TLS on port 443 in front of the server, seen from %s (%s): "
	              "acme-tls/1 cannot pass through a CDN or reverse proxy, so TLS-ALPN-01 "
	              "cannot succeed; validate with HTTP-01 or DNS-01, or pause the proxy while "
	              "the certificate is issued",
	              s_cdn_of(c->domain, first), who,
	              a->k != NULL ? a->k->summary : "no acme-tls/1");
	if (f == NULL)
		return true;
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		if (!s_proxied(e, a))
			continue;
		if (e->result.cert.present)
			finding_add_evidence(f, "certificate issuer: %s; subject: %s",
			                     e->result.cert.issuer, e->result.cert.subject);
		if (e->result.server[0] != '\0')
			finding_add_evidence(f, "Server: %s", e->result.server);
	}
	return true;
}

/* ---- sentences ---- */

/* The sentence for k when every answering vantage has it. */
static void s_sitewide(struct vt_check *c, const struct diag_key *k)
{
	static const char site[] = "the problem is at the site itself, not a region";
	struct diag_selarg sel = {DIAG_SEL_GROUP, k};
	const struct s_cert_rule *rule;

	switch (s_kind_of(k)) {
	case K_ALPN:
		diag_find(c, VT_F_NO_ACME_TLS1, diag_pred_sel, &sel,
		          "the server on port 443 does not offer acme-tls/1 (%s): the web server "
		          "answers TLS itself; route acme-tls/1 to the ACME client's responder (or "
		          "let the server answer it), or validate with HTTP-01 or DNS-01",
		          k->summary);
		return;
	case K_TLS_OLD:
		diag_find(c, VT_F_TLS_TOO_OLD, diag_pred_sel, &sel,
		          "the server on port 443 only speaks TLS 1.1 or older (%s): Let's Encrypt "
		          "requires TLS 1.2 or newer for TLS-ALPN-01; enable TLS 1.2 or 1.3",
		          k->summary);
		return;
	case K_NOT_TLS:
		diag_find(c, VT_F_TLS_HANDSHAKE_FAILED, diag_pred_sel, &sel,
		          "port 443 answers plain HTTP, not TLS, from every vantage: TLS-ALPN-01 "
		          "needs a TLS server there that answers acme-tls/1");
		return;
	case K_CERT:
		rule = s_cert_rule(k->summary);
		diag_find(c, VT_F_WRONG_VALIDATION_CERT, diag_pred_sel, &sel,
		          "%s, from every vantage: %s", rule->rule, rule->advice);
		return;
	default:
		break;
	}
	switch (k->cls) {
	case DIAG_REFUSED:
		diag_find(
		        c, VT_F_SITE_UNREACHABLE, diag_pred_sel, &sel,
		        "fails from every vantage (%s): %s: is a server listening on port 443, on "
		        "IPv4 and IPv6, and does the host's firewall allow it?",
		        k->summary, site);
		break;
	case DIAG_TIMEOUT_CONNECT:
		diag_find(c, VT_F_SITE_UNREACHABLE, diag_pred_sel, &sel,
		          "fails from every vantage (%s): %s: a firewall drops port 443, or the "
		          "A/AAAA records point to a host that is down",
		          k->summary, site);
		break;
	case DIAG_UNREACH:
		diag_find(c, VT_F_SITE_UNREACHABLE, diag_pred_sel, &sel,
		          "fails from every vantage (%s): %s: the address in DNS is not reachable; "
		          "check the A/AAAA records",
		          k->summary, site);
		break;
	case DIAG_RESET:
		diag_find(c, VT_F_SITE_UNREACHABLE, diag_pred_sel, &sel,
		          "fails from every vantage (%s): %s: something resets connections to port "
		          "443 (a firewall, an IPS or a crashing server)",
		          k->summary, site);
		break;
	case DIAG_TIMEOUT_AFTER:
		diag_find(
		        c, VT_F_SERVER_STALLS, diag_pred_sel, &sel,
		        "fails from every vantage (%s): the server accepts connections on port 443 "
		        "but does not finish the TLS handshake in time: it is slow or overloaded, "
		        "or a proxy in front of it stalls",
		        k->summary);
		break;
	case DIAG_DNS:
		diag_find(
		        c, diag_dns_id(c, k), diag_pred_sel, &sel,
		        "the DNS lookup fails from every vantage (%s): fix the domain's DNS: A or "
		        "AAAA records must exist, hold public addresses, and every nameserver must "
		        "answer",
		        k->summary);
		break;
	case DIAG_TLS:
		diag_find(c, VT_F_TLS_HANDSHAKE_FAILED, diag_pred_sel, &sel,
		          "fails from every vantage (%s): the TLS handshake on port 443 fails; the "
		          "server must speak TLS 1.2 or newer and answer acme-tls/1",
		          k->summary);
		break;
	default:
		/* the connection worked and what followed failed: Boulder's
		 * "Error getting validation data" and the like */
		diag_find(c, VT_F_TLS_HANDSHAKE_FAILED, diag_pred_sel, &sel,
		          "fails from every vantage (%s): %s", k->summary, site);
		break;
	}
}

/* The sentence for k when other vantages pass. */
static void s_partial(struct vt_check *c, const struct diag_key *k)
{
	struct diag_selarg bad = {DIAG_SEL_GROUP, k}, good = {DIAG_SEL_PASS, NULL};
	const struct s_cert_rule *rule;
	struct diag_who w;

	diag_who(c, diag_pred_sel, &bad, diag_pred_sel, &good, &w);
	switch (s_kind_of(k)) {
	case K_ALPN:
		diag_find(
		        c, VT_F_NO_ACME_TLS1, diag_pred_sel, &bad,
		        "the server on port 443 does not offer acme-tls/1 to %s (%s) while %s %s: "
		        "%s %s a different server (GeoDNS, CDN, load balancer); every one must "
		        "answer acme-tls/1",
		        w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"), w.that,
		        diag_verb(w.nwho, "reaches", "reach"));
		return;
	case K_TLS_OLD:
		diag_find(
		        c, VT_F_TLS_TOO_OLD, diag_pred_sel, &bad,
		        "the server on port 443 only speaks TLS 1.1 or older to %s (%s) while %s "
		        "%s: %s %s a different server (GeoDNS, CDN, load balancer); every one must "
		        "speak TLS 1.2 or newer",
		        w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"), w.that,
		        diag_verb(w.nwho, "reaches", "reach"));
		return;
	case K_CERT:
		rule = s_cert_rule(k->summary);
		diag_find(c, VT_F_WRONG_VALIDATION_CERT, diag_pred_sel, &bad,
		          "%s, only from %s while %s %s: %s %s a different server (a CDN edge, a "
		          "load balancer or a stale server); %s",
		          rule->rule, w.who, w.others, diag_verb(w.nothers, "passes", "pass"),
		          w.that, diag_verb(w.nwho, "reaches", "reach"), rule->advice);
		return;
	default:
		break;
	}
	switch (k->cls) {
	case DIAG_TIMEOUT_CONNECT:
		diag_find(
		        c, VT_F_REGIONAL_BLOCK, diag_pred_sel, &bad,
		        "fails only from %s (%s) while %s %s: a firewall or geo-block drops %s on "
		        "port 443. %s allow port 443 from everywhere",
		        w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"), w.that,
		        diag_no_ips);
		break;
	case DIAG_REFUSED:
	case DIAG_RESET:
	case DIAG_UNREACH:
		diag_find(c, VT_F_REGIONAL_BLOCK, diag_pred_sel, &bad,
		          "fails only from %s (%s) while %s %s: a firewall rejects connections to "
		          "port 443 from %s. %s allow port 443 from everywhere",
		          w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"),
		          w.that, diag_no_ips);
		break;
	case DIAG_TIMEOUT_AFTER:
		diag_find(c, VT_F_SERVER_STALLS, diag_pred_sel, &bad,
		          "fails only from %s (%s) while %s %s: the server, or a middlebox on the "
		          "way from %s, stalls after the connection to port 443 is made",
		          w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"),
		          w.that);
		break;
	case DIAG_DNS:
		diag_find(
		        c, diag_dns_id(c, k), diag_pred_sel, &bad,
		        "the DNS lookup fails only from %s (%s) while %s %s: some of the domain's "
		        "nameservers or its DNSSEC answer differently; check every authoritative "
		        "nameserver",
		        w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"));
		break;
	default:
		diag_find(
		        c, VT_F_REGIONAL_DIFFERENCE, diag_pred_sel, &bad,
		        "fails only from %s (%s) while %s %s: port 443 is served differently to %s "
		        "(GeoDNS, CDN, load balancer or firewall); compare what %s get%s",
		        w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"), w.that,
		        w.that, diag_verb(w.nwho, "s", ""));
		break;
	}
}

/* Group k after ProxyInFront named some of its vantages: the same problem
 * from the others, which reach the server without the proxy. */
static void s_rest_of_group(struct vt_check *c, const struct diag_key *k, const struct s_alpnarg *a)
{
	char who[VERDICT_DIAGNOSIS_LEN / 2];
	const struct s_cert_rule *rule;
	size_t n = diag_list(c, s_not_proxied, a, true, who, sizeof(who));

	if (n == 0)
		return;
	if (s_kind_of(k) == K_ALPN) {
		diag_find(
		        c, VT_F_NO_ACME_TLS1, s_not_proxied, a,
		        "the server on port 443 does not offer acme-tls/1 to %s either (%s): route "
		        "acme-tls/1 to the ACME client's responder, or validate with HTTP-01 or "
		        "DNS-01",
		        who, k->summary);
		return;
	}
	rule = s_cert_rule(k->summary);
	diag_find(c, VT_F_WRONG_VALIDATION_CERT, s_not_proxied, a, "%s, also from %s: %s",
	          rule != NULL ? rule->rule : k->summary, who,
	          rule != NULL ? rule->advice
	                       : "the server must present the validation certificate");
}

void diag_tls_group(struct vt_check *c, const struct diag_key *k, bool partial)
{
	struct s_alpnarg a = {c, k};

	/* A CDN in front explains acme-tls/1 missing or an ordinary
	 * certificate: say that, not NoAcmeTls1, for the vantages it answers. */
	if (s_no_validation_kind(k) && s_proxy_in_front(c, &a)) {
		s_rest_of_group(c, k, &a);
		return;
	}
	if (partial)
		s_partial(c, k);
	else
		s_sitewide(c, k);
}

/* ---- what reachable vantages saw (reachability mode) ---- */

/* Reachable, but the server did not negotiate acme-tls/1: a CDN in front
 * (ProxyInFront), else NoAcmeTls1 as a warning -- nothing is being
 * validated now, and some ACME clients answer acme-tls/1 only while they
 * validate; it must by then. */
static void s_reachable_alpn(struct vt_check *c)
{
	struct s_alpnarg a = {c, NULL};
	char who[VERDICT_DIAGNOSIS_LEN / 2];
	struct vt_finding *f;
	size_t n;

	s_proxy_in_front(c, &a);
	n = diag_count(c, s_not_proxied, &a);
	if (n == 0)
		return;
	if (n == diag_count(c, s_answered, NULL))
		snprintf(who, sizeof(who), "any vantage");
	else
		diag_list(c, s_not_proxied, &a, true, who, sizeof(who));
	f = diag_find(c, VT_F_NO_ACME_TLS1, s_not_proxied, &a,
	              "the server on port 443 answers TLS but does not offer acme-tls/1 to %s: "
	              "TLS-ALPN-01 fails unless the ACME client's responder answers acme-tls/1 "
	              "on port 443 while it validates",
	              who);
	if (f != NULL)
		f->severity = VT_SEV_WARNING;
}

/* ---- certificates the vantages got ---- */

/* Entries with a captured certificate, and those with one given hash. */
static bool s_has_cert(const struct vt_entry *e)
{
	return verdict_entry_judged(e) && !diag_unavailable(e) && e->result.cert.present &&
	       e->result.cert.sha256[0] != '\0';
}

static bool s_cert_is(const struct vt_entry *e, const void *sha)
{
	return s_has_cert(e) && strcasecmp(e->result.cert.sha256, sha) == 0;
}

/* Vantages that see another certificate than most: a CDN edge or a stale
 * server answers them (TLS-ALPN-01; every vantage should get the same
 * validation certificate).  First, in reachability mode, what reachable
 * vantages saw of acme-tls/1. */
void diag_certs(struct vt_check *c)
{
	const char *shas[VERDICT_MAX_GROUPS];
	size_t counts[VERDICT_MAX_GROUPS], n = 0, ref = 0;

	s_reachable_alpn(c);
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		size_t g;
		if (!s_has_cert(e))
			continue;
		for (g = 0; g < n; g++)
			if (strcasecmp(shas[g], e->result.cert.sha256) == 0)
				break;
		if (g < n)
			counts[g]++;
		else if (n < VERDICT_MAX_GROUPS) {
			shas[n] = e->result.cert.sha256;
			counts[n++] = 1;
		}
	}
	if (n < 2)
		return;
	for (size_t g = 1; g < n; g++)
		if (counts[g] > counts[ref])
			ref = g; /* the most common; the first on a tie */
	for (size_t g = 0; g < n; g++) {
		struct diag_who w;
		if (g == ref)
			continue;
		diag_who(c, s_cert_is, shas[g], s_cert_is, shas[ref], &w);
		diag_find(c, VT_F_CERTIFICATES_DIFFER, s_cert_is, shas[g],
		          "%s see%s a different certificate (sha256 %.*s...) than the other %s: a "
		          "CDN edge or a stale server in %s",
		          w.who, w.nwho == 1 ? "s" : "", VERDICT_SHA_SHOWN, shas[g], w.unit,
		          w.that);
	}
}
