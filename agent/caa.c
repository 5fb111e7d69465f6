/*
 * caa.c -- the CAA probe: may the configured CA issue for this name, as
 * Boulder's va/caa.go decides it (letsencrypt-validation.md section 7).
 *
 * Tree climbing: the name (lower-cased, "*." stripped and noted, trailing
 * dot removed) and every parent suffix down to the TLD are queried for CAA
 * at once through the probe's resolver (resolver_query).  Answers are
 * judged as they arrive: each non-empty RRset is decided by common/caa.c
 * while its packet is alive; then, scanning from the name upwards, the
 * first non-empty set is the relevant one, an error at or below it fails
 * with a `dns` problem and errors above it are ignored.  The probe finishes
 * as soon as that scan can no longer change, so it need not wait for the
 * answers above the relevant set.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "../common/caa.h"
#include "probe_int.h"
#include "resolver.h"

#define S_WHILE "While processing CAA for %s: "

enum s_state { S_PENDING = 0, S_EMPTY, S_SET, S_ERROR };

/* One name of the climb and what its CAA query found. */
struct s_name {
	struct s_caa *c;
	char name[LIMIT_DOMAIN_LEN + 1];
	int qid; /* running resolver_query, 0 when none */
	enum s_state state;
	bool allowed; /* S_SET: the set authorizes the CA */
	size_t n_rrs;
	char why[LIMIT_WARNING_LEN];     /* S_SET: the set's reason */
	char summary[LIMIT_WARNING_LEN]; /* S_SET: the records, one line */
	char err[LIMIT_DETAIL_LEN];      /* S_ERROR: bdns's words */
};

struct s_caa {
	struct probe *p;
	struct resolver *res;
	struct caa_policy pol; /* views into the probe's job */
	bool wildcard;
	char fqdn[LIMIT_DOMAIN_LEN + 1];
	struct s_name *names; /* fqdn first, TLD last */
	size_t n_names;
	bool decided;
};

/* The rcode's name, as bdns prints it. */
static const char *s_rcode_name(int rcode)
{
	const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);

	return lt != NULL ? lt->name : "server failure at resolver";
}

/* Collect every CAA RR of the answer section (CNAME targets included, as
 * bdns does) and judge the set.  Returns the number of CAA RRs, or -1 with
 * n->err set when memory ran out. */
static int s_take_set(struct s_name *n, const ldns_pkt *pkt)
{
	const ldns_rr_list *ans = ldns_pkt_answer(pkt);
	size_t count = ans != NULL ? ldns_rr_list_rr_count(ans) : 0, k = 0;
	struct caa_rr *rrs = NULL;
	size_t *starts = NULL, *ends = NULL;
	ldns_buffer *buf = NULL;
	int rc = -1;

	if (count == 0) {
		rc = 0;
		goto out;
	}
	rrs = calloc(count, sizeof(*rrs));
	starts = calloc(count, sizeof(*starts));
	ends = calloc(count, sizeof(*ends));
	buf = ldns_buffer_new(LDNS_MAX_PACKETLEN);
	if (rrs == NULL || starts == NULL || ends == NULL || buf == NULL) {
		snprintf(n->err, sizeof(n->err), "out of memory judging CAA for %s", n->name);
		goto out;
	}
	/* first every RDATA into one buffer (it may move while growing) ... */
	for (size_t i = 0; i < count; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CAA)
			continue;
		starts[k] = ldns_buffer_position(buf);
		if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK) {
			snprintf(n->err, sizeof(n->err), "out of memory judging CAA for %s",
			         n->name);
			goto out;
		}
		ends[k++] = ldns_buffer_position(buf);
	}
	/* ... then views into it; an unparsable RDATA is skipped */
	{
		size_t m = 0;
		for (size_t i = 0; i < k; i++) {
			char perr[LIMIT_WARNING_LEN];
			if (caa_rr_parse(ldns_buffer_at(buf, starts[i]), ends[i] - starts[i],
			                 &rrs[m], perr, sizeof(perr)) == 0)
				m++;
		}
		n->n_rrs = k;
		if (k > 0) {
			n->allowed =
			        caa_set_check(rrs, m, &n->c->pol, n->name, n->why, sizeof(n->why));
			caa_set_summary(rrs, m, n->summary, sizeof(n->summary));
		}
	}
	rc = (int)k;
out:
	free(rrs);
	free(starts);
	free(ends);
	if (buf != NULL)
		ldns_buffer_free(buf);
	return rc;
}

/* The outcome of one name's query into n (bdns's texts, section 5.1). */
static void s_judge_answer(struct s_name *n, const struct resolver_answer *a, bool is_tld)
{
	const ldns_pkt *pkt = a->pkt;

	n->state = S_ERROR;
	if (a->sec != NULL && strcmp(a->sec, "bogus") == 0) {
		snprintf(n->err, sizeof(n->err),
		         "DNS problem: looking up CAA for %s: DNSSEC: Bogus%s%s", n->name,
		         a->why_bogus != NULL && a->why_bogus[0] != '\0' ? ": " : "",
		         a->why_bogus != NULL ? a->why_bogus : "");
	} else if (a->rcode < 0) {
		snprintf(n->err, sizeof(n->err), "DNS problem: %s looking up CAA for %s",
		         a->err != NULL && a->err[0] != '\0' ? a->err
		                                             : "server failure at resolver",
		         n->name);
	} else if (pkt != NULL && ldns_pkt_tc(pkt)) {
		snprintf(n->err, sizeof(n->err),
		         "DNS problem: response was truncated looking up CAA for %s", n->name);
	} else if (a->rcode == LDNS_RCODE_NXDOMAIN) {
		if (!is_tld)
			n->state = S_EMPTY;
		else
			snprintf(n->err, sizeof(n->err),
			         "DNS problem: NXDOMAIN looking up CAA for %s - check that a DNS "
			         "record exists for this domain",
			         n->name);
	} else if (a->rcode == LDNS_RCODE_SERVFAIL) {
		snprintf(n->err, sizeof(n->err),
		         "DNS problem: SERVFAIL looking up CAA for %s - the domain's nameservers "
		         "may be malfunctioning",
		         n->name);
	} else if (a->rcode != LDNS_RCODE_NOERROR || pkt == NULL) {
		snprintf(n->err, sizeof(n->err), "DNS problem: %s looking up CAA for %s",
		         pkt == NULL ? "server failure at resolver" : s_rcode_name(a->rcode),
		         n->name);
	} else {
		int k = s_take_set(n, pkt);
		if (k >= 0)
			n->state = k > 0 ? S_SET : S_EMPTY;
	}
}

/*
 * Scan from the name upwards and, if the outcome is settled, write it into
 * the probe's result.  Returns true when decided.  force: the budget ran
 * out, so names still pending count as timed out.
 */
static bool s_decide(struct s_caa *c, bool force)
{
	struct vt_result *r = probe_result(c->p);
	const char *domain = probe_job(c->p)->domain;
	size_t i;

	if (c->decided)
		return true;
	for (i = 0; i < c->n_names; i++) {
		struct s_name *n = &c->names[i];
		if (n->state == S_PENDING && force) {
			n->state = S_ERROR;
			snprintf(n->err, sizeof(n->err),
			         "DNS problem: query timed out looking up CAA for %s", n->name);
		}
		if (n->state == S_PENDING)
			return false;
		if (n->state == S_ERROR) {
			vt_result_fail(r, VT_PROB_DNS, S_WHILE "%s", domain, n->err);
			goto decided;
		}
		if (n->state == S_SET)
			break;
	}
	if (i == c->n_names) {
		r->outcome = VT_OUTCOME_PASS;
		vt_result_add_warning(r, "no CAA record at %s or any parent: any CA may issue",
		                      c->fqdn);
		goto decided;
	}
	if (c->names[i].allowed) {
		r->outcome = VT_OUTCOME_PASS;
		if (c->names[i].why[0] != '\0')
			vt_result_add_warning(r, "%s", c->names[i].why);
	} else {
		vt_result_fail(r, VT_PROB_CAA, S_WHILE "CAA record for %s prevents issuance",
		               domain, c->names[i].name);
		vt_result_add_warning(r, "%s", c->names[i].why);
	}
	vt_result_add_warning(r, "CAA set at %s (%zu record%s): %s", c->names[i].name,
	                      c->names[i].n_rrs, c->names[i].n_rrs == 1 ? "" : "s",
	                      c->names[i].summary);
	/* errors above the relevant set are ignored, as Boulder does: say so */
	for (size_t j = i + 1; j < c->n_names; j++) {
		if (c->names[j].state != S_ERROR)
			continue;
		vt_result_add_warning(r, "ignored, above the relevant set: %s", c->names[j].err);
		break;
	}
decided:
	c->decided = true;
	r->timings.resolve_ms = probe_elapsed_ms(c->p);
	return true;
}

static void s_answer_cb(const struct resolver_answer *a, void *arg)
{
	struct s_name *n = arg;
	struct s_caa *c = n->c;

	n->qid = 0;
	s_judge_answer(n, a, n == &c->names[c->n_names - 1]);
	if (s_decide(c, false))
		probe_finish(c->p); /* cancels the other queries; c stays until free */
}

/* Normalise the identifier into c->fqdn.  0, or -1 with a reason. */
static int s_normalise(struct s_caa *c, const char *domain, char *why, size_t whylen)
{
	size_t len;

	if (strncmp(domain, "*.", 2) == 0) {
		c->wildcard = true;
		domain += 2;
	}
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > LIMIT_DOMAIN_LEN) {
		snprintf(why, whylen, "empty or overlong name");
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		c->fqdn[i] = (char)tolower((unsigned char)domain[i]);
	c->fqdn[len] = '\0';
	if (c->fqdn[0] == '.' || strstr(c->fqdn, "..") != NULL) {
		snprintf(why, whylen, "empty label");
		return -1;
	}
	return 0;
}

static int s_start(struct probe *p, char *err, size_t errlen)
{
	const struct vt_job *job = probe_job(p);
	const struct probe_cfg *cfg = probe_config(p);
	struct vt_result *r = probe_result(p);
	struct vt_record *rec;
	struct s_caa *c;
	unsigned char ip[sizeof(struct in6_addr)];
	char why[LIMIT_WARNING_LEN];
	const char *s;
	int rc = -1;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	c->p = p;
	probe_set_state(p, c);
	rec = vt_result_add_record(r);
	if (rec == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(rec->hostname, sizeof(rec->hostname), "%s", job->domain);
	if (inet_pton(AF_INET, job->domain, ip) == 1 || inet_pton(AF_INET6, job->domain, ip) == 1) {
		r->outcome = VT_OUTCOME_PASS;
		vt_result_add_warning(r, "CAA is not checked for IP address identifiers");
		c->decided = true;
		probe_finish(p);
		rc = 0;
		goto out;
	}
	if (s_normalise(c, job->domain, why, sizeof(why)) != 0) {
		vt_result_fail(r, VT_PROB_MALFORMED, S_WHILE "not a valid domain name (%s)",
		               job->domain, why);
		c->decided = true;
		probe_finish(p);
		rc = 0;
		goto out;
	}
	c->pol.issuer = job->caa_issuer[0] != '\0' ? job->caa_issuer : CAA_DEFAULT_ISSUER;
	c->pol.account_uri = job->caa_account_uri;
	c->pol.methods = job->caa_methods;
	c->pol.wildcard = c->wildcard;
	/* the name and every parent suffix down to the TLD, never the root */
	c->n_names = 1;
	for (s = c->fqdn; (s = strchr(s, '.')) != NULL; s++)
		c->n_names++;
	if (c->n_names > CAA_MAX_NAMES) {
		snprintf(err, errlen, "too many labels in %s", c->fqdn);
		goto out;
	}
	c->names = calloc(c->n_names, sizeof(*c->names));
	if (c->names == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	s = c->fqdn;
	for (size_t i = 0; i < c->n_names; i++) {
		c->names[i].c = c;
		snprintf(c->names[i].name, sizeof(c->names[i].name), "%s", s);
		s = strchr(s, '.');
		s = s != NULL ? s + 1 : "";
	}
	c->res = resolver_new(probe_base(p), &cfg->resolver, &cfg->public_prefixes);
	if (c->res == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->n_names; i++) {
		int id = resolver_query(c->res, c->names[i].name, LDNS_RR_TYPE_CAA, s_answer_cb,
		                        &c->names[i], err, errlen);
		if (id < 0)
			goto out;
		c->names[i].qid = id;
	}
	rc = 0;
out:
	return rc;
}

static void s_cancel(struct probe *p, bool budget_expired)
{
	struct s_caa *c = probe_state(p);

	if (c == NULL)
		return;
	if (budget_expired)
		(void)s_decide(c, true);
	/* the resolver cancels its queries; safe from inside its callback */
	resolver_destroy(&c->res);
	for (size_t i = 0; i < c->n_names; i++)
		c->names[i].qid = 0;
}

static void s_free(struct probe *p)
{
	struct s_caa *c = probe_state(p);

	if (c == NULL)
		return;
	resolver_destroy(&c->res);
	free(c->names);
	free(c);
	probe_set_state(p, NULL);
}

const struct probe_ops caa_ops = {
        .method = VT_METHOD_CAA,
        .name = "caa",
        .start = s_start,
        .cancel = s_cancel,
        .free = s_free,
};
