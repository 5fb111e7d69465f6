/*
 * dns01.c -- the DNS-01 probe: Boulder's validateDNS (letsencrypt-validation.md
 * section 5) through the vantage's own recursive, validating resolver, then
 * the authoritative sweep of nssweep.c.
 *
 * One TXT query for _acme-challenge.<domain> (a wildcard's "*." stripped)
 * through resolver_query; every TXT RR of the answer section counts, whatever
 * its owner (CNAMEs followed by the resolver); each RR's strings are joined
 * with no separator and compared exactly with the expected value (the
 * base64url SHA-256 of the key authorization, or the job's digest).  That
 * outcome is LE's and is held while the sweep asks every authoritative
 * nameserver of the zone holding the name (the CNAME chain's end) directly.
 *
 * VALIDATE mode: the outcome is LE's; the sweep adds nameservers and
 * warnings only.  When the value is missing or wrong, the names a DNS
 * provider's form makes of a fully qualified name taken as relative
 * (_acme-challenge.NAME.NAME, _acme-challenge.NAME.ZONE) are looked up too,
 * after the sweep, through the same resolver, and TXT records there are a
 * warning (VT_WARN_DOUBLE_LABEL) unless a random name below NAME answers the
 * same (a wildcard TXT).  Four or more TXT records at _acme-challenge.NAME,
 * three or more of them not the expected value, are a warning too
 * (VT_WARN_STALE_TXT), whatever the outcome.  REACHABILITY mode (nothing to compare): `reachable` when
 * the recursive lookup worked (NOERROR or NXDOMAIN, not bogus) and every
 * nameserver answered NOERROR or NXDOMAIN, else `fail` saying which did not.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <ldns/ldns.h>

#include "../common/keyauth.h"
#include "nssweep.h"
#include "probe_int.h"
#include "resolver.h"

#define S_CNAME_MAX 16 /* CNAME links followed to find the swept name */
/* Stale records: at least this many TXT records, this many of them not the
 * expected value, make a warning (left over by a hook that never cleans up;
 * some DNS providers stop adding records, and every answer grows). */
#define S_STALE_MIN_RECORDS 4
#define S_STALE_MIN_STALE   3
/* The doubled names and the random name that detects a wildcard TXT. */
enum { S_DBL_SELF, S_DBL_ZONE, S_DBL_RANDOM, S_DBL_N };

enum s_phase { S_IDLE, S_TXT, S_SWEEP, S_DOUBLE, S_DONE };

struct s_dns01;

/* One lookup of the doubled-name check. */
struct s_dbl {
	struct s_dns01 *d;
	char name[LIMIT_DOMAIN_LEN + 1]; /* "" when not asked */
	int qid;                         /* > 0 while running */
	size_t n;                        /* TXT records found */
	char answer[LIMIT_TXT_LEN];      /* their values, sorted and quoted */
};

struct s_dns01 {
	struct probe *p;
	struct resolver *res;
	struct nssweep *sweep;
	enum s_phase phase;
	int txt_qid;
	char base[LIMIT_DOMAIN_LEN + 1];  /* the domain, a wildcard's "*." stripped */
	char qname[LIMIT_DOMAIN_LEN + 1]; /* _acme-challenge.<base> */
	char swept[LIMIT_DOMAIN_LEN + 1]; /* where the CNAME chain ends */
	char expected[LIMIT_DIGEST_LEN + 1];
	bool have_expected;
	/* LE's verdict from the recursive lookup, held until the sweep ends */
	enum vt_outcome le_outcome; /* PASS or FAIL (VALIDATE), or 0 */
	enum vt_problem_type le_type;
	char le_detail[LIMIT_DETAIL_LEN];
	bool lookup_failed; /* a lookup error, NXDOMAIN excepted */
	bool rec_match;
	/* the doubled-name check, after the sweep (value missing or wrong) */
	bool want_double;
	struct s_dbl dbl[S_DBL_N];
	size_t dbl_pending;
};

static void s_le_fail(struct s_dns01 *d, enum vt_problem_type t, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void s_le_fail(struct s_dns01 *d, enum vt_problem_type t, const char *fmt, ...)
{
	va_list ap;

	d->le_outcome = VT_OUTCOME_FAIL;
	d->le_type = t;
	va_start(ap, fmt);
	vsnprintf(d->le_detail, sizeof(d->le_detail), fmt, ap);
	va_end(ap);
}

/* bdns.Error text for an RCODE. */
static void s_rcode_fail(struct s_dns01 *d, int rcode)
{
	const char *hint = NULL;

	if (rcode == LDNS_RCODE_NXDOMAIN)
		hint = "check that a DNS record exists for this domain";
	else if (rcode == LDNS_RCODE_SERVFAIL)
		hint = "the domain's nameservers may be malfunctioning";
	s_le_fail(d, VT_PROB_DNS, "DNS problem: %s looking up TXT for %s%s%s",
	          nssweep_rcode_name(rcode), d->qname, hint ? " - " : "", hint ? hint : "");
}

/* Boulder's "Incorrect TXT record" text for t (t->n >= 1). */
static void s_incorrect(struct s_dns01 *d, const struct nssweep_txt *t)
{
	char shown[NSSWEEP_SHOW_LEN + 4], quoted[(NSSWEEP_SHOW_LEN + 4) * 4 + 3], more[48] = "";

	if (strlen(t->v[0]) > NSSWEEP_SHOW_LEN || t->cut[0])
		snprintf(shown, sizeof(shown), "%.*s...", NSSWEEP_SHOW_LEN, t->v[0]);
	else
		snprintf(shown, sizeof(shown), "%.*s", NSSWEEP_SHOW_LEN, t->v[0]);
	nssweep_quote(shown, quoted, sizeof(quoted));
	if (t->n > 1)
		snprintf(more, sizeof(more), " (and %zu more)", t->n - 1);
	s_le_fail(d, VT_PROB_UNAUTHORIZED, "Incorrect TXT record %s%s found at %s", quoted, more,
	          d->qname);
}

/* The name a CNAME chain starting at qname ends at, within the answer. */
static void s_chain_end(struct s_dns01 *d, const ldns_pkt *pkt)
{
	const ldns_rr_list *ans = pkt != NULL ? ldns_pkt_answer(pkt) : NULL;
	ldns_rdf *cur = NULL;
	char *text;
	size_t len;

	snprintf(d->swept, sizeof(d->swept), "%s", d->qname);
	if (ans == NULL || ldns_str2rdf_dname(&cur, d->qname) != LDNS_STATUS_OK)
		goto out;
	for (unsigned hop = 0; hop < S_CNAME_MAX; hop++) {
		const ldns_rdf *next = NULL;
		for (size_t i = 0; i < ldns_rr_list_rr_count(ans) && next == NULL; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_rd_count(rr) > 0 &&
			    ldns_dname_compare(ldns_rr_owner(rr), cur) == 0)
				next = ldns_rr_rdf(rr, 0);
		}
		if (next == NULL)
			break;
		ldns_rdf_deep_free(cur);
		cur = ldns_rdf_clone(next);
		if (cur == NULL)
			goto out;
	}
	text = ldns_rdf2str(cur);
	if (text != NULL) {
		len = strlen(text);
		if (len > 1 && text[len - 1] == '.')
			text[len - 1] = '\0';
		for (char *c = text; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		snprintf(d->swept, sizeof(d->swept), "%.*s", LIMIT_DOMAIN_LEN, text);
		free(text);
	}
out:
	ldns_rdf_deep_free(cur);
}

/* Copy the sweep's entries and warnings into the result. */
static void s_take_sweep(struct s_dns01 *d)
{
	struct vt_result *r = probe_result(d->p);
	const struct vt_nameserver *ns;
	size_t n = 0;

	if (d->sweep == NULL)
		return;
	ns = nssweep_nameservers(d->sweep, &n);
	for (size_t i = 0; i < n; i++) {
		struct vt_nameserver *dst = vt_result_add_nameserver(r);
		if (dst == NULL)
			break;
		*dst = ns[i];
	}
	nssweep_add_warnings(r, ns, n, d->swept, d->have_expected, d->rec_match);
	if (nssweep_error(d->sweep)[0] != '\0')
		vt_result_add_warning(r, "authoritative sweep of %s: %s", d->swept,
		                      nssweep_error(d->sweep));
}

/* Settle the outcome from LE's verdict and the sweep's entries. */
static void s_conclude(struct s_dns01 *d)
{
	struct vt_result *r = probe_result(d->p);
	char why[LIMIT_DETAIL_LEN];

	d->phase = S_DONE;
	if (d->le_outcome == VT_OUTCOME_PASS)
		r->outcome = VT_OUTCOME_PASS;
	else if (d->have_expected || d->lookup_failed)
		vt_result_fail(r, d->le_type, "%s", d->le_detail);
	if (r->outcome == 0) {
		/* reachability: every nameserver must answer */
		if (r->n_nameservers == 0)
			vt_result_fail(r, VT_PROB_DNS,
			               "DNS problem: no authoritative nameserver of %s could be "
			               "asked from this vantage%s%s",
			               d->swept, d->sweep && nssweep_error(d->sweep)[0] ? ": " : "",
			               d->sweep ? nssweep_error(d->sweep) : "");
		else if (nssweep_failures(r->nameservers, r->n_nameservers, why, sizeof(why)) > 0)
			vt_result_fail(r, VT_PROB_DNS, "DNS problem: %s", why);
		else
			r->outcome = VT_OUTCOME_REACHABLE;
	}
	probe_finish(d->p);
}

/* The doubled-name lookups are over: warn, then settle as usual. */
static void s_double_done(struct s_dns01 *d)
{
	struct vt_result *r = probe_result(d->p);
	const struct s_dbl *rnd = &d->dbl[S_DBL_RANDOM];

	for (size_t i = 0; i < S_DBL_RANDOM; i++) {
		const struct s_dbl *b = &d->dbl[i];
		if (b->name[0] == '\0' || b->n == 0)
			continue;
		/* a random name answering the same: a wildcard TXT, not a mistake */
		if (rnd->n > 0 && strcmp(rnd->answer, b->answer) == 0)
			continue;
		vt_result_add_warning(r,
		                      "%s %s: the DNS provider's form took a fully qualified name "
		                      "as relative",
		                      VT_WARN_DOUBLE_LABEL, b->name);
	}
	s_take_sweep(d);
	s_conclude(d);
}

static void s_dbl_cb(const struct resolver_answer *a, void *arg)
{
	struct s_dbl *b = arg;
	struct s_dns01 *d = b->d;
	struct nssweep_txt *t;

	b->qid = 0;
	if (d->phase != S_DOUBLE)
		return;
	t = malloc(sizeof(*t));
	if (t != NULL) {
		/* NOERROR only: an error or NXDOMAIN means nothing is there */
		nssweep_txt_from_pkt(a->rcode == LDNS_RCODE_NOERROR ? a->pkt : NULL, t);
		b->n = t->n;
		nssweep_format_txt(t, b->answer, sizeof(b->answer));
		free(t);
	}
	if (d->dbl_pending > 0)
		d->dbl_pending--;
	if (d->dbl_pending == 0)
		s_double_done(d);
}

/* The zone the form appended: the apex the sweep found when it holds the
 * name, else the name without its first label (nothing for a TLD). */
static void s_parent_zone(const struct s_dns01 *d, char *out, size_t outlen)
{
	const char *zone = d->sweep != NULL ? nssweep_zone(d->sweep) : "";
	size_t bl = strlen(d->base), zl = strlen(zone);
	const char *dot = strchr(d->base, '.');

	out[0] = '\0';
	if (zl > 0 && (strcmp(zone, d->base) == 0 || (bl > zl && d->base[bl - zl - 1] == '.' &&
	                                              strcmp(d->base + bl - zl, zone) == 0))) {
		snprintf(out, outlen, "%s", zone);
		return;
	}
	if (dot != NULL && strchr(dot + 1, '.') != NULL)
		snprintf(out, outlen, "%s", dot + 1);
}

/* Start the doubled-name lookups; false when none could start. */
static bool s_double_start(struct s_dns01 *d)
{
	char parent[LIMIT_DOMAIN_LEN + 1], err[LIMIT_WARNING_LEN];
	uint32_t nonce = 0;
	int len;

	s_parent_zone(d, parent, sizeof(parent));
	if (getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != (ssize_t)sizeof(nonce))
		nonce = (uint32_t)(uintptr_t)d; /* any label nobody publishes will do */
	for (size_t i = 0; i < S_DBL_N; i++) {
		struct s_dbl *b = &d->dbl[i];
		memset(b, 0, sizeof(*b));
		b->d = d;
		if (i == S_DBL_SELF)
			len = snprintf(b->name, sizeof(b->name), "%s.%s", d->qname, d->base);
		else if (i == S_DBL_ZONE && parent[0] != '\0')
			len = snprintf(b->name, sizeof(b->name), "%s.%s", d->qname, parent);
		else if (i == S_DBL_RANDOM)
			len = snprintf(b->name, sizeof(b->name), "%s.rand-%08x.%s", DNS01_LABEL,
			               (unsigned)nonce, d->base);
		else
			len = 0;
		if (len <= 0 || (size_t)len >= sizeof(b->name) ||
		    (i == S_DBL_ZONE && strcmp(b->name, d->dbl[S_DBL_SELF].name) == 0))
			b->name[0] = '\0'; /* too long for DNS, or asked already */
	}
	d->phase = S_DOUBLE;
	d->dbl_pending = 0;
	for (size_t i = 0; i < S_DBL_N; i++) {
		struct s_dbl *b = &d->dbl[i];
		if (b->name[0] == '\0')
			continue;
		b->qid = resolver_query(d->res, b->name, LDNS_RR_TYPE_TXT, s_dbl_cb, b, err,
		                        sizeof(err));
		if (b->qid < 0) {
			b->qid = 0;
			b->name[0] = '\0';
			continue;
		}
		d->dbl_pending++;
	}
	if (d->dbl_pending > 0 && d->dbl[S_DBL_RANDOM].name[0] != '\0')
		return true;
	for (size_t i = 0; i < S_DBL_N; i++)
		if (d->dbl[i].qid > 0)
			resolver_query_cancel(d->res, d->dbl[i].qid);
	return false; /* no wildcard test, no warning */
}

static void s_sweep_done(struct nssweep *s, void *arg)
{
	struct s_dns01 *d = arg;

	if (d->phase != S_SWEEP)
		return;
	if (d->want_double && s_double_start(d))
		return;
	s_take_sweep(d);
	s_conclude(d);
}

/* Many TXT records, most of them not the expected value: a warning. */
static void s_stale(struct s_dns01 *d, const struct nssweep_txt *t)
{
	size_t kept = t->n < NSSWEEP_MAX_TXT ? t->n : NSSWEEP_MAX_TXT, good = 0;

	if (!d->have_expected || t->n < S_STALE_MIN_RECORDS)
		return;
	for (size_t i = 0; i < kept; i++)
		if (!t->cut[i] && strcmp(t->v[i], d->expected) == 0)
			good++;
	if (t->n - good < S_STALE_MIN_STALE)
		return;
	vt_result_add_warning(probe_result(d->p),
	                      "%s holds %zu TXT records, %zu of them %s (not the expected value)",
	                      d->qname, t->n, t->n - good, VT_WARN_STALE_TXT);
}

static void s_txt_cb(const struct resolver_answer *a, void *arg)
{
	struct s_dns01 *d = arg;
	struct vt_result *r = probe_result(d->p);
	const struct probe_cfg *cfg = probe_config(d->p);
	struct nssweep_txt *t = NULL;
	char err[LIMIT_WARNING_LEN];

	d->txt_qid = 0;
	if (d->phase != S_TXT)
		return;
	r->timings.resolve_ms = a->elapsed_ms;
	snprintf(r->dnssec, sizeof(r->dnssec), "%s", a->sec);
	t = malloc(sizeof(*t));
	if (t == NULL) {
		s_le_fail(d, VT_PROB_SERVER_INTERNAL, "out of memory");
		d->lookup_failed = true;
		s_conclude(d);
		goto out;
	}
	nssweep_txt_from_pkt(a->rcode == LDNS_RCODE_NOERROR ? a->pkt : NULL, t);
	if (strcmp(a->sec, "bogus") == 0) {
		s_le_fail(d, VT_PROB_DNS, "DNS problem: looking up TXT for %s: DNSSEC: Bogus%s%s",
		          d->qname, a->why_bogus[0] ? ": " : "", a->why_bogus);
		d->lookup_failed = true;
	} else if (a->rcode < 0) {
		s_le_fail(d, VT_PROB_DNS, "DNS problem: %s looking up TXT for %s", a->err,
		          d->qname);
		d->lookup_failed = true;
	} else if (a->rcode != LDNS_RCODE_NOERROR) {
		s_rcode_fail(d, a->rcode);
		d->lookup_failed = a->rcode != LDNS_RCODE_NXDOMAIN;
	} else if (t->n == 0) {
		s_le_fail(d, VT_PROB_UNAUTHORIZED, "No TXT record found at %s", d->qname);
	} else if (d->have_expected && nssweep_txt_has(t, d->expected)) {
		d->le_outcome = VT_OUTCOME_PASS;
		d->rec_match = true;
	} else {
		s_incorrect(d, t);
	}
	s_stale(d, t);
	/* missing (NXDOMAIN, no TXT) or wrong: was it created at a doubled name? */
	d->want_double = d->have_expected && !d->rec_match && !d->lookup_failed;
	s_chain_end(d, a->rcode == LDNS_RCODE_NOERROR ? a->pkt : NULL);
	d->sweep = nssweep_new(probe_base(d->p), d->res, &cfg->public_prefixes, cfg->ipv6);
	if (d->sweep == NULL ||
	    nssweep_start(d->sweep, d->swept, d->have_expected ? d->expected : NULL, s_sweep_done,
	                  d, err, sizeof(err)) != 0) {
		vt_result_add_warning(r, "authoritative sweep not run: %s",
		                      d->sweep == NULL ? "out of memory" : err);
		nssweep_destroy(&d->sweep);
		s_conclude(d);
		goto out;
	}
	d->phase = S_SWEEP;
out:
	free(t);
}

static int s_start(struct probe *p, char *err, size_t errlen)
{
	const struct vt_job *job = probe_job(p);
	struct s_dns01 *d = calloc(1, sizeof(*d));
	struct vt_record *rec;
	const char *base = job->domain;
	int rc = -1;

	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	probe_set_state(p, d);
	d->p = p;
	if (strncmp(base, "*.", 2) == 0)
		base += 2;
	if (base[0] == '\0') {
		snprintf(err, errlen, "job has no domain");
		goto out;
	}
	if (job->key_authorization[0] != '\0') {
		char dig[KEYAUTH_DIGEST_B64_LEN + 1];
		keyauth_digest_b64url(job->key_authorization, dig);
		snprintf(d->expected, sizeof(d->expected), "%s", dig);
	} else if (job->digest[0] != '\0') {
		snprintf(d->expected, sizeof(d->expected), "%s", job->digest);
	}
	d->have_expected = d->expected[0] != '\0';
	if (job->mode == VT_MODE_VALIDATE && !d->have_expected) {
		snprintf(err, errlen, "validate mode needs a key authorization or a digest");
		goto out;
	}
	if (strlen(base) + sizeof(DNS01_LABEL) + 1 > sizeof(d->qname)) {
		snprintf(err, errlen, "domain too long for %s", DNS01_LABEL);
		goto out;
	}
	/* the length was checked above; the precision only tells the compiler */
	snprintf(d->qname, sizeof(d->qname), "%s.%.*s", DNS01_LABEL,
	         (int)(sizeof(d->qname) - sizeof(DNS01_LABEL) - 1), base);
	snprintf(d->base, sizeof(d->base), "%s", base);
	snprintf(d->swept, sizeof(d->swept), "%s", d->qname);
	rec = vt_result_add_record(probe_result(p));
	if (rec == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(rec->hostname, sizeof(rec->hostname), "%s", base);
	d->res = resolver_new(probe_base(p), &probe_config(p)->resolver,
	                      &probe_config(p)->public_prefixes);
	if (d->res == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	d->phase = S_TXT;
	d->txt_qid = resolver_query(d->res, d->qname, LDNS_RR_TYPE_TXT, s_txt_cb, d, err, errlen);
	if (d->txt_qid < 0) {
		d->txt_qid = 0;
		goto out;
	}
	rc = 0;
out:
	return rc;
}

static void s_cancel(struct probe *p, bool budget_expired)
{
	struct s_dns01 *d = probe_state(p);
	struct vt_result *r = probe_result(p);

	if (d == NULL)
		return;
	if (d->txt_qid > 0)
		resolver_query_cancel(d->res, d->txt_qid);
	d->txt_qid = 0;
	nssweep_cancel(d->sweep);
	for (size_t i = 0; i < S_DBL_N; i++) {
		if (d->dbl[i].qid > 0)
			resolver_query_cancel(d->res, d->dbl[i].qid);
		d->dbl[i].qid = 0;
	}
	if (budget_expired && r->outcome == 0) {
		if (d->phase == S_TXT) {
			vt_result_fail(r, VT_PROB_DNS,
			               "DNS problem: query timed out (and was canceled) looking up "
			               "TXT for %s",
			               d->qname);
		} else if (d->phase == S_SWEEP) {
			s_take_sweep(d);
			vt_result_add_warning(r,
			                      "authoritative sweep of %s cut short by the job's "
			                      "budget",
			                      d->swept);
			if (d->le_outcome == VT_OUTCOME_PASS) {
				r->outcome = VT_OUTCOME_PASS;
			} else if (d->have_expected || d->lookup_failed) {
				vt_result_fail(r, d->le_type, "%s", d->le_detail);
			} else {
				vt_result_fail(
				        r, VT_PROB_DNS,
				        "DNS problem: the authoritative nameservers of %s did "
				        "not all answer within the job's budget",
				        d->swept);
			}
		} else if (d->phase == S_DOUBLE) {
			/* the sweep ended; only the doubled names were left */
			s_take_sweep(d);
			vt_result_fail(r, d->le_type, "%s", d->le_detail);
		}
	}
	d->phase = S_DONE;
}

static void s_free(struct probe *p)
{
	struct s_dns01 *d = probe_state(p);

	if (d == NULL)
		return;
	nssweep_destroy(&d->sweep);
	resolver_destroy(&d->res);
	free(d);
	probe_set_state(p, NULL);
}

const struct probe_ops dns01_ops = {
        .method = VT_METHOD_DNS01,
        .name = "dns-01",
        .start = s_start,
        .cancel = s_cancel,
        .free = s_free,
};
