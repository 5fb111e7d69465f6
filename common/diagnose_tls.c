/*
 * diagnose_tls.c -- the TLS-ALPN-01 diagnosis sentences: acme-tls/1 not
 * offered, TLS too old, the validation certificate's rules
 * (letsencrypt-validation.md 4.3), port 443 unreachable from everywhere or
 * from some regions; and the comparison of the certificates the vantages
 * got.  Called by diag_diagnose() through diag_tls_group() and
 * diag_certs().
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
 * are checked: the detail's text, the rule broken and what to do. */
struct s_cert_rule {
	const char *needle;
	const char *rule;
	const char *advice;
};

static const struct s_cert_rule s_cert_rules[] = {
        {"No certs presented", "the server on port 443 presents no certificate for acme-tls/1",
         "it must present the validation certificate when acme-tls/1 is negotiated"},
        {"not self-signed", "the certificate on port 443 is not self-signed",
         "the server answers acme-tls/1 with an ordinary certificate; it must present the "
         "self-signed validation certificate the ACME client made (RFC 8737)"},
        {"1.3.6.1.5.5.7.1.31 is not present",
         "the certificate on port 443 has no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)",
         "the server answers acme-tls/1 with an ordinary certificate, not the validation "
         "certificate the ACME client made"},
        {"no acmeValidationV1 extension",
         "the certificate on port 443 has no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)",
         "the server answers acme-tls/1 with an ordinary certificate, not the validation "
         "certificate the ACME client made"},
        {"not Critical",
         "the certificate's acmeIdentifier extension (1.3.6.1.5.5.7.1.31) is not marked critical",
         "RFC 8737 requires it critical; fix the tool that makes the validation certificate"},
        {"malformed acmeValidationV1", "the certificate's acmeIdentifier extension is malformed",
         "it must hold a DER OCTET STRING of the 32-byte SHA-256 of the key authorization"},
        {"but expected", "the certificate's acmeIdentifier holds the wrong digest",
         "it is a stale certificate or another challenge's: the server must present the "
         "certificate made for this key authorization (reload it after the client writes it)"},
        {"unexpected identifiers", "the certificate's subjectAltName is wrong",
         "it must hold exactly one dNSName, the domain in lower case, and no IP address"},
        {"unexpected extensions", "the certificate has a missing or duplicated extension",
         "it needs subjectAltName and a critical acmeIdentifier, each exactly once"},
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

/* ---- sentences ---- */

/* The sentence for k when every answering vantage has it. */
static void s_sitewide(struct vt_check *c, const struct diag_key *k)
{
	static const char site[] = "the problem is at the site itself, not a region";
	const struct s_cert_rule *rule;

	switch (s_kind_of(k)) {
	case K_ALPN:
		diag_add(c,
		         "the server on port 443 does not offer acme-tls/1 (%s): the web server "
		         "answers TLS itself; route acme-tls/1 to the ACME client's responder (or "
		         "let the server answer it), or validate with HTTP-01 or DNS-01",
		         k->summary);
		return;
	case K_TLS_OLD:
		diag_add(c,
		         "the server on port 443 only speaks TLS 1.1 or older (%s): Let's Encrypt "
		         "requires TLS 1.2 or newer for TLS-ALPN-01; enable TLS 1.2 or 1.3",
		         k->summary);
		return;
	case K_NOT_TLS:
		diag_add(c, "port 443 answers plain HTTP, not TLS, from every vantage: TLS-ALPN-01 "
		            "needs a TLS server there that answers acme-tls/1");
		return;
	case K_CERT:
		rule = s_cert_rule(k->summary);
		diag_add(c, "%s, from every vantage: %s", rule->rule, rule->advice);
		return;
	default:
		break;
	}
	switch (k->cls) {
	case DIAG_REFUSED:
		diag_add(c,
		         "fails from every vantage (%s): %s: is a server listening on port 443, on "
		         "IPv4 and IPv6, and does the host's firewall allow it?",
		         k->summary, site);
		break;
	case DIAG_TIMEOUT_CONNECT:
		diag_add(c,
		         "fails from every vantage (%s): %s: a firewall drops port 443, or the "
		         "A/AAAA records point to a host that is down",
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
		         "443 (a firewall, an IPS or a crashing server)",
		         k->summary, site);
		break;
	case DIAG_TIMEOUT_AFTER:
		diag_add(
		        c,
		        "fails from every vantage (%s): the server accepts connections on port 443 "
		        "but does not finish the TLS handshake in time: it is slow or overloaded, "
		        "or a proxy in front of it stalls",
		        k->summary);
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
		diag_add(c,
		         "fails from every vantage (%s): the TLS handshake on port 443 fails; the "
		         "server must speak TLS 1.2 or newer and answer acme-tls/1",
		         k->summary);
		break;
	default:
		diag_add(c, "fails from every vantage (%s): %s", k->summary, site);
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
		diag_add(c,
		         "the server on port 443 does not offer acme-tls/1 to %s (%s) while %s %s: "
		         "%s %s a different server (GeoDNS, CDN, load balancer); every one must "
		         "answer acme-tls/1",
		         w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"),
		         w.that, diag_verb(w.nwho, "reaches", "reach"));
		return;
	case K_TLS_OLD:
		diag_add(
		        c,
		        "the server on port 443 only speaks TLS 1.1 or older to %s (%s) while %s "
		        "%s: %s %s a different server (GeoDNS, CDN, load balancer); every one must "
		        "speak TLS 1.2 or newer",
		        w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"), w.that,
		        diag_verb(w.nwho, "reaches", "reach"));
		return;
	case K_CERT:
		rule = s_cert_rule(k->summary);
		diag_add(c,
		         "%s, only from %s while %s %s: %s %s a different server (a CDN edge, a "
		         "load "
		         "balancer or a stale server); %s",
		         rule->rule, w.who, w.others, diag_verb(w.nothers, "passes", "pass"),
		         w.that, diag_verb(w.nwho, "reaches", "reach"), rule->advice);
		return;
	default:
		break;
	}
	switch (k->cls) {
	case DIAG_TIMEOUT_CONNECT:
		diag_add(c,
		         "fails only from %s (%s) while %s %s: a firewall or geo-block drops %s on "
		         "port 443. %s allow port 443 from everywhere",
		         w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"),
		         w.that, diag_no_ips);
		break;
	case DIAG_REFUSED:
	case DIAG_RESET:
	case DIAG_UNREACH:
		diag_add(c,
		         "fails only from %s (%s) while %s %s: a firewall rejects connections to "
		         "port 443 from %s. %s allow port 443 from everywhere",
		         w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"),
		         w.that, diag_no_ips);
		break;
	case DIAG_TIMEOUT_AFTER:
		diag_add(c,
		         "fails only from %s (%s) while %s %s: the server, or a middlebox on the "
		         "way "
		         "from %s, stalls after the connection to port 443 is made",
		         w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"),
		         w.that);
		break;
	case DIAG_DNS:
		diag_add(c,
		         "the DNS lookup fails only from %s (%s) while %s %s: some of the domain's "
		         "nameservers or its DNSSEC answer differently; check every authoritative "
		         "nameserver",
		         w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"));
		break;
	default:
		diag_add(
		        c,
		        "fails only from %s (%s) while %s %s: port 443 is served differently to %s "
		        "(GeoDNS, CDN, load balancer or firewall); compare what %s get%s",
		        w.who, k->summary, w.others, diag_verb(w.nothers, "passes", "pass"), w.that,
		        w.that, diag_verb(w.nwho, "s", ""));
		break;
	}
}

void diag_tls_group(struct vt_check *c, const struct diag_key *k, bool partial)
{
	if (partial)
		s_partial(c, k);
	else
		s_sitewide(c, k);
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
 * validation certificate). */
void diag_certs(struct vt_check *c)
{
	const char *shas[VERDICT_MAX_GROUPS];
	size_t counts[VERDICT_MAX_GROUPS], n = 0, ref = 0;

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
		diag_add(c,
		         "%s see%s a different certificate (sha256 %.*s...) than the other %s: a "
		         "CDN "
		         "edge or a stale server in %s",
		         w.who, w.nwho == 1 ? "s" : "", VERDICT_SHA_SHOWN, shas[g], w.unit, w.that);
	}
}
