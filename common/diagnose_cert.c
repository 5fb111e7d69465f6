/*
 * diagnose_cert.c -- the tls-cert diagnosis (issue 5, monitoring): port 443
 * failing from everywhere or from some regions (SiteUnreachable,
 * RegionalBlock, ServerStalls, TLSTooOld, TLSHandshakeFailed, the DNS
 * findings), how much of each received certificate's lifetime is left with
 * Let's Encrypt's renewal advice (CertOK, CertExpiring, CertExpired),
 * vantages that see different certificates (CertificatesDiffer: a CDN edge
 * or a stale server), chains that do not verify (CertUntrusted) and
 * certificates that do not name the domain (CertNameMismatch).
 * Called by diag_diagnose() through diag_cert_diagnose(), and by
 * verdict_judge() through diag_cert_failing().  Everything is judged with
 * certcheck.c's default policy; a monitor judges again with its own.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "certcheck.h"
#include "verdict.h"
#include "verdict_ext.h"
#include "diagnose_int.h"

/* Distinct certificates told apart, and those whose expiry is said. */
#define S_MAX_CERTS        VERDICT_MAX_GROUPS
#define S_MAX_EXPIRY_LINES 3
/* Distinct chain errors said. */
#define S_MAX_TRUST_LINES 2
/* SANs quoted when the certificate does not name the domain. */
#define S_MAX_SANS_SHOWN 3
#define S_TIME_LEN       32
/* The agent's words (tlscert.c) for a leaf that does not name the domain,
 * after the chain's error and "; " when both failed. */
#define S_HOST_MISMATCH "hostname mismatch"
#define S_SEP           "; "

static const char s_renew_advice[] =
        "Let's Encrypt advises renewing when a third of the lifetime is left";

/* ---- which entries, which certificates ---- */

/* A judged entry whose probe passed with a certificate. */
static bool s_has_cert(const struct vt_entry *e)
{
	return verdict_entry_judged(e) && diag_passing(e) && e->result.cert.present &&
	       e->result.cert.sha256[0] != '\0';
}

static bool s_cert_is(const struct vt_entry *e, const void *sha)
{
	return s_has_cert(e) && strcasecmp(e->result.cert.sha256, sha) == 0;
}

static bool s_pred_has_cert(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	return s_has_cert(e);
}

/* A judged entry whose probe passed without a certificate (an agent bug). */
static bool s_no_cert(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	return verdict_entry_judged(e) && diag_passing(e) && !e->result.cert.present;
}

bool diag_cert_failing(const struct vt_entry *e, int64_t now)
{
	char msg[CERTCHECK_MSG_LEN];
	enum certcheck_level l;

	if (!diag_passing(e))
		return false;
	l = certcheck_judge(&e->result.cert, now, NULL, msg, sizeof(msg));
	return l == CERTCHECK_CRITICAL || l == CERTCHECK_EXPIRED || l == CERTCHECK_NONE;
}

/* The distinct certificates received, in order of first appearance. */
struct s_certs {
	const struct vt_entry *first[S_MAX_CERTS];
	size_t n;
};

static void s_distinct(const struct vt_check *c, struct s_certs *d)
{
	d->n = 0;
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct vt_entry *e = &c->entries[i];
		bool seen = false;
		if (!s_has_cert(e))
			continue;
		for (size_t g = 0; g < d->n && !seen; g++)
			seen = strcasecmp(d->first[g]->result.cert.sha256, e->result.cert.sha256) ==
			       0;
		if (!seen && d->n < S_MAX_CERTS)
			d->first[d->n++] = e;
	}
}

/* "the certificate" when every vantage got the same one, else "the
 * certificate a1 (us-east) and a2 (us-west) get (sha256 0123...)". */
static void s_subject(const struct vt_check *c, const struct s_certs *d, const struct vt_entry *e,
                      char *buf, size_t len)
{
	char who[VERDICT_DIAGNOSIS_LEN / 2];
	size_t n;

	if (d->n < 2) {
		snprintf(buf, len, "the certificate");
		return;
	}
	n = diag_list(c, s_cert_is, e->result.cert.sha256, false, who, sizeof(who));
	snprintf(buf, len, "the certificate %s %s (sha256 %.*s...)", who,
	         diag_verb(n, "gets", "get"), VERDICT_SHA_SHOWN, e->result.cert.sha256);
}

/* ---- port 443 failing ---- */

static bool s_is_tls_old(const char *s)
{
	return strstr(s, "TLS 1.1") != NULL || strstr(s, "TLS 1.0") != NULL;
}

/* The sentence for failure group k; partial: other vantages got a
 * certificate. */
static void s_fail_group(struct vt_check *c, const struct diag_key *k, bool partial)
{
	struct diag_selarg bad = {DIAG_SEL_GROUP, k};
	struct diag_who w;

	if (k->cls == DIAG_TLS && s_is_tls_old(k->summary)) {
		/* the summary says the version, and that TLS 1.2 is needed */
		diag_find(c, VT_F_TLS_TOO_OLD, diag_pred_sel, &bad,
		          "%s%s: enable TLS 1.2 and 1.3 on port 443",
		          partial ? "to some vantages, " : "", k->summary);
		return;
	}
	if (k->cls == DIAG_TLS && strstr(k->summary, "only speaks HTTP") != NULL) {
		diag_find(c, VT_F_TLS_HANDSHAKE_FAILED, diag_pred_sel, &bad,
		          "port 443 answers plain HTTP, not TLS%s: HTTPS needs a TLS server there",
		          partial ? ", to some vantages" : "");
		return;
	}
	if (!partial) {
		switch (k->cls) {
		case DIAG_REFUSED:
			diag_find(c, VT_F_SITE_UNREACHABLE, diag_pred_sel, &bad,
			          "HTTPS is down: port 443 refuses connections from every vantage "
			          "that answered (%s): is the web server running and listening on "
			          "port 443, on IPv4 and IPv6?",
			          k->summary);
			return;
		case DIAG_TIMEOUT_CONNECT:
			diag_find(
			        c, VT_F_SITE_UNREACHABLE, diag_pred_sel, &bad,
			        "HTTPS is down: port 443 does not answer from any vantage (%s): a "
			        "firewall drops it, or the A/AAAA records point to a host that is "
			        "down",
			        k->summary);
			return;
		case DIAG_RESET:
		case DIAG_UNREACH:
			diag_find(c, VT_F_SITE_UNREACHABLE, diag_pred_sel, &bad,
			          "HTTPS is down: no vantage can connect to port 443 (%s): a "
			          "firewall rejects it, or the A/AAAA records point to the wrong "
			          "host",
			          k->summary);
			return;
		case DIAG_TIMEOUT_AFTER:
			diag_find(c, VT_F_SERVER_STALLS, diag_pred_sel, &bad,
			          "no vantage gets a certificate (%s): the server accepts "
			          "connections on port 443 but does not finish the TLS handshake: "
			          "it is overloaded, or a proxy in front of it stalls",
			          k->summary);
			return;
		case DIAG_DNS:
			diag_find(c, diag_dns_id(c, k), diag_pred_sel, &bad,
			          "the DNS lookup fails from every vantage (%s): fix the domain's "
			          "A/AAAA records and nameservers",
			          k->summary);
			return;
		default:
			diag_find(c, VT_F_TLS_HANDSHAKE_FAILED, diag_pred_sel, &bad,
			          "no vantage gets a certificate (%s): the TLS service on port 443 "
			          "is broken",
			          k->summary);
			return;
		}
	}
	diag_who(c, diag_pred_sel, &bad, s_pred_has_cert, NULL, &w);
	switch (k->cls) {
	case DIAG_TIMEOUT_CONNECT:
	case DIAG_REFUSED:
	case DIAG_RESET:
	case DIAG_UNREACH:
		diag_find(c, VT_F_REGIONAL_BLOCK, diag_pred_sel, &bad,
		          "port 443 fails only from %s (%s) while %s %s a certificate: a firewall "
		          "or geo-block stops %s; visitors there cannot reach the site",
		          w.who, k->summary, w.others, diag_verb(w.nothers, "gets", "get"), w.that);
		return;
	case DIAG_DNS:
		diag_find(c, diag_dns_id(c, k), diag_pred_sel, &bad,
		          "the DNS lookup fails only from %s (%s) while %s %s a certificate: some "
		          "of the domain's nameservers answer differently there",
		          w.who, k->summary, w.others, diag_verb(w.nothers, "gets", "get"));
		return;
	case DIAG_TIMEOUT_AFTER:
		diag_find(c, VT_F_SERVER_STALLS, diag_pred_sel, &bad,
		          "port 443 fails only from %s (%s) while %s %s a certificate: the "
		          "server, or a middlebox on the way from %s, stalls after the connection "
		          "is made",
		          w.who, k->summary, w.others, diag_verb(w.nothers, "gets", "get"), w.that);
		return;
	default:
		diag_find(c, VT_F_REGIONAL_DIFFERENCE, diag_pred_sel, &bad,
		          "port 443 fails only from %s (%s) while %s %s a certificate: %s %s a "
		          "different server (GeoDNS, CDN, load balancer) or a middlebox",
		          w.who, k->summary, w.others, diag_verb(w.nothers, "gets", "get"), w.that,
		          diag_verb(w.nwho, "reaches", "reach"));
		return;
	}
}

/* ---- expiry ---- */

/* When a third of e's certificate's lifetime is left (RFC 3339), into buf. */
static const char *s_renewal_due(const struct vt_entry *e, char *buf, size_t len)
{
	const struct vt_cert *k = &e->result.cert;
	double life = (double)(k->not_after - k->not_before);
	int64_t due = k->not_after - (int64_t)(life * CERTCHECK_DEFAULT_WARN_FRACTION);

	if (vt_time_rfc3339(due, buf, len) != 0)
		snprintf(buf, len, "?");
	return buf;
}

/* One sentence on certificate e (judged msg at level l). */
static void s_expiry(struct vt_check *c, const struct s_certs *d, const struct vt_entry *e,
                     enum certcheck_level l, const char *msg)
{
	char subj[VERDICT_DIAGNOSIS_LEN], due[S_TIME_LEN];
	const char *is = strncmp(msg, "expire", strlen("expire")) == 0 ? "" : "is ";
	const char *sha = e->result.cert.sha256;
	struct vt_finding *f;

	s_subject(c, d, e, subj, sizeof(subj));
	switch (l) {
	case CERTCHECK_OK:
		diag_find(c, VT_F_CERT_OK, s_cert_is, sha,
		          "%s %s%s; renewal is due from %s, when a third of its lifetime is left",
		          subj, is, msg, s_renewal_due(e, due, sizeof(due)));
		break;
	case CERTCHECK_WARNING:
		diag_find(c, VT_F_CERT_EXPIRING, s_cert_is, sha,
		          "%s %s%s: past its renewal point; %s, so the ACME client should have "
		          "renewed it by now: check its timer and logs",
		          subj, is, msg, s_renew_advice);
		break;
	case CERTCHECK_CRITICAL:
		/* critical fails the check: an error, not a warning */
		f = diag_find(c, VT_F_CERT_EXPIRING, s_cert_is, sha,
		              "%s %s%s: renew it now; %s, so the ACME client's renewals are "
		              "failing: check its timer and logs, and that the server reloads the "
		              "new certificate",
		              subj, is, msg, s_renew_advice);
		if (f != NULL)
			f->severity = VT_SEV_ERROR;
		break;
	case CERTCHECK_EXPIRED:
		if (strncmp(msg, "expired", strlen("expired")) == 0)
			diag_find(c, VT_F_CERT_EXPIRED, s_cert_is, sha,
			          "%s %s%s: browsers refuse it; renew it now and reload the server "
			          "(%s)",
			          subj, is, msg, s_renew_advice);
		else
			diag_find(c, VT_F_CERT_EXPIRED, s_cert_is, sha,
			          "%s %s%s: browsers refuse it; serve a certificate that is valid "
			          "now",
			          subj, is, msg);
		break;
	case CERTCHECK_NONE:
		break;
	}
}

/* The expiry of each distinct certificate, the worst first. */
static void s_expiries(struct vt_check *c, const struct s_certs *d, int64_t now)
{
	static const enum certcheck_level order[] = {CERTCHECK_EXPIRED, CERTCHECK_CRITICAL,
	                                             CERTCHECK_WARNING, CERTCHECK_OK};
	char msg[CERTCHECK_MSG_LEN];
	size_t lines = 0;

	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (size_t g = 0; g < d->n && lines < S_MAX_EXPIRY_LINES; g++) {
			const struct vt_entry *e = d->first[g];
			if (certcheck_judge(&e->result.cert, now, NULL, msg, sizeof(msg)) !=
			    order[o])
				continue;
			s_expiry(c, d, e, order[o], msg);
			lines++;
		}
}

/* ---- different certificates ---- */

/* Entries with a certificate other than the one most of them got (the
 * first on a tie): the vantages CertificatesDiffer names. */
static bool s_cert_not(const struct vt_entry *e, const void *sha)
{
	return s_has_cert(e) && strcasecmp(e->result.cert.sha256, sha) != 0;
}

static const char *s_most_common(const struct vt_check *c, const struct s_certs *d)
{
	size_t best = 0, nbest = 0;

	for (size_t g = 0; g < d->n; g++) {
		size_t n = 0;
		for (size_t i = 0; i < c->n_entries; i++)
			if (s_cert_is(&c->entries[i], d->first[g]->result.cert.sha256))
				n++;
		if (n > nbest) {
			best = g;
			nbest = n;
		}
	}
	return d->first[best]->result.cert.sha256;
}

static void s_different(struct vt_check *c, const struct s_certs *d)
{
	char line[VERDICT_DIAGNOSIS_LEN], who[VERDICT_DIAGNOSIS_LEN / 2];
	size_t n;

	if (d->n < 2)
		return;
	snprintf(line, sizeof(line), "vantages see different certificates: ");
	for (size_t g = 0; g < d->n; g++) {
		const char *sha = d->first[g]->result.cert.sha256;
		if (g == S_MAX_EXPIRY_LINES) {
			text_appendf(line, sizeof(line), ", and %zu more certificates", d->n - g);
			break;
		}
		n = diag_list(c, s_cert_is, sha, false, who, sizeof(who));
		text_appendf(line, sizeof(line), "%s%s %s sha256 %.*s...", g > 0 ? ", " : "", who,
		             diag_verb(n, "gets", "get"), VERDICT_SHA_SHOWN, sha);
	}
	diag_find(c, VT_F_CERTIFICATES_DIFFER, s_cert_not, s_most_common(c, d),
	          "%s: a CDN edge or a stale server in some regions", line);
}

/* ---- trust and name ---- */

/* The chain's part of e's verify_error ("" when the chain verified). */
static void s_chain_error(const struct vt_entry *e, char *buf, size_t len)
{
	const struct vt_cert *k = &e->result.cert;
	const char *sep;

	buf[0] = '\0';
	if (k->chain_verified)
		return;
	sep = strstr(k->verify_error, S_SEP S_HOST_MISMATCH);
	if (sep != NULL)
		snprintf(buf, len, "%.*s", (int)(sep - k->verify_error), k->verify_error);
	else if (strcmp(k->verify_error, S_HOST_MISMATCH) != 0)
		snprintf(buf, len, "%s", k->verify_error);
	if (buf[0] == '\0')
		snprintf(buf, len, "unknown error");
}

static bool s_chain_err_is(const struct vt_entry *e, const void *err)
{
	char mine[sizeof(e->result.cert.verify_error)];

	if (!s_has_cert(e) || e->result.cert.chain_verified)
		return false;
	s_chain_error(e, mine, sizeof(mine));
	return strcmp(mine, err) == 0;
}

static bool s_chain_ok(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	return s_has_cert(e) && e->result.cert.chain_verified;
}

/* What to do about a chain that fails with err; NULL when the expiry
 * sentence already says it (the leaf itself expired or is not yet valid). */
static const char *s_chain_advice(const char *err, const struct vt_entry *e, int64_t now)
{
	char msg[CERTCHECK_MSG_LEN];
	bool leaf_bad =
	        certcheck_judge(&e->result.cert, now, NULL, msg, sizeof(msg)) == CERTCHECK_EXPIRED;

	if (strstr(err, "expired") != NULL || strstr(err, "not yet valid") != NULL)
		return leaf_bad ? NULL
		                : "a certificate of the chain is out of date: serve the current "
		                  "intermediate with the leaf";
	if (strstr(err, "local issuer") != NULL || strstr(err, "first certificate") != NULL ||
	    strstr(err, "issuer certificate") != NULL) {
		/* OpenSSL says the same for a missing intermediate and for an
		 * unknown (private) CA; the chain's length tells them apart best. */
		if (e->result.cert.chain_len <= 1)
			return "the server sends its certificate alone: either the intermediate is "
			       "missing (serve the full chain, fullchain.pem, not cert.pem) or the "
			       "issuer is a private CA that browsers do not trust";
		return "the chain ends at a CA this vantage's trust store does not know (a "
		       "private or retired CA): browsers will refuse it too";
	}
	if (strstr(err, "self-signed") != NULL || strstr(err, "self signed") != NULL)
		return "browsers refuse a self-signed certificate: serve one from a public CA, "
		       "such as Let's Encrypt";
	return "browsers will refuse it too: check the chain the server sends "
	       "(openssl s_client -showcerts)";
}

/* One sentence per distinct chain error (at most S_MAX_TRUST_LINES). */
static void s_trust(struct vt_check *c, int64_t now)
{
	const char *seen[S_MAX_TRUST_LINES];
	char errs[S_MAX_TRUST_LINES][sizeof(c->entries[0].result.cert.verify_error)];
	size_t n = 0;

	for (size_t i = 0; i < c->n_entries && n < S_MAX_TRUST_LINES; i++) {
		const struct vt_entry *e = &c->entries[i];
		const char *advice;
		struct vt_finding *f;
		struct diag_who w;
		bool dup = false;
		if (!s_has_cert(e) || e->result.cert.chain_verified)
			continue;
		s_chain_error(e, errs[n], sizeof(errs[n]));
		for (size_t j = 0; j < n && !dup; j++)
			dup = strcmp(seen[j], errs[n]) == 0;
		if (dup)
			continue;
		seen[n] = errs[n];
		advice = s_chain_advice(errs[n], e, now);
		if (advice == NULL) {
			n++;
			continue;
		}
		diag_who(c, s_chain_err_is, errs[n], s_chain_ok, NULL, &w);
		if (w.nothers == 0)
			f = diag_find(
			        c, VT_F_CERT_UNTRUSTED, s_chain_err_is, errs[n],
			        "the certificate chain does not verify (%s) from any vantage: "
			        "%s",
			        errs[n], advice);
		else
			f = diag_find(c, VT_F_CERT_UNTRUSTED, s_chain_err_is, errs[n],
			              "the certificate chain does not verify (%s) from %s while %s "
			              "%s it: %s",
			              errs[n], w.who, w.others,
			              diag_verb(w.nothers, "verifies", "verify"), advice);
		if (f != NULL)
			finding_add_evidence(f, "the server sends %u %s; the leaf's issuer: %s",
			                     (unsigned)e->result.cert.chain_len,
			                     diag_plural(e->result.cert.chain_len, "certificate",
			                                 "certificates"),
			                     e->result.cert.issuer);
		n++;
	}
}

static bool s_name_bad(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	return s_has_cert(e) && !e->result.cert.name_matches;
}

static bool s_name_ok(const struct vt_entry *e, const void *arg)
{
	(void)arg;
	return s_has_cert(e) && e->result.cert.name_matches;
}

/* The certificate does not name the domain (for some vantages). */
static void s_name(struct vt_check *c)
{
	const struct vt_entry *first = NULL;
	char names[VERDICT_DIAGNOSIS_LEN / 4] = "";
	struct diag_who w;
	size_t n;

	for (size_t i = 0; i < c->n_entries && first == NULL; i++)
		if (s_name_bad(&c->entries[i], NULL))
			first = &c->entries[i];
	if (first == NULL)
		return;
	n = first->result.cert.n_sans < LIMIT_MAX_SANS ? first->result.cert.n_sans : LIMIT_MAX_SANS;
	for (size_t j = 0; j < n && j < S_MAX_SANS_SHOWN; j++)
		text_appendf(names, sizeof(names), "%s%s", j > 0 ? ", " : "",
		             first->result.cert.sans[j]);
	if (n > S_MAX_SANS_SHOWN)
		text_appendf(names, sizeof(names), " and %zu more", n - S_MAX_SANS_SHOWN);
	diag_who(c, s_name_bad, NULL, s_name_ok, NULL, &w);
	diag_find(c, VT_F_CERT_NAME_MISMATCH, s_name_bad, NULL,
	          "the certificate does not name %s (it names %s)%s%s: browsers refuse it; add "
	          "the name to the certificate, or make the server choose the right one for it "
	          "(SNI: a default virtual host answers)",
	          c->domain, n > 0 ? names : "no DNS name", w.nothers > 0 ? ", from " : "",
	          w.nothers > 0 ? w.who : "");
}

void diag_cert_diagnose(struct vt_check *c, const struct diag_key *keys, size_t ngroups,
                        int64_t now)
{
	struct s_certs d;
	char who[VERDICT_DIAGNOSIS_LEN / 2];
	bool some_cert = false;

	for (size_t i = 0; i < c->n_entries && !some_cert; i++)
		some_cert = s_has_cert(&c->entries[i]);
	for (size_t g = 0; g < ngroups; g++)
		s_fail_group(c, &keys[g], some_cert);
	s_distinct(c, &d);
	s_expiries(c, &d, now);
	s_different(c, &d);
	s_trust(c, now);
	s_name(c);
	if (diag_list(c, s_no_cert, NULL, false, who, sizeof(who)) > 0)
		/* the vantage's fault, not the site's: like a silent one */
		diag_find(c, VT_F_VANTAGE_SILENT, s_no_cert, NULL,
		          "%s passed without reporting a certificate: an agent bug; upgrade it",
		          who);
}
