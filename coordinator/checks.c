/*
 * checks.c -- jobs, fan-out and collection (see checks.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "checks.h"
#include "../common/keyauth.h"
#include "../common/log.h"
#include "../common/report.h"
#include "../common/verdict.h"

#define CHECKS_RANDOM_TRIES 8 /* getrandom() interruptions tolerated */

struct check_job {
	char id[LIMIT_JOB_ID_LEN + 1];
	struct agent *agent;
	size_t vc;    /* index into the check's vc */
	size_t entry; /* index into vc[vc].entries */
	bool pending;
};

struct check {
	struct check *next;
	struct vt_check *vc; /* one per (domain, method), in report order */
	size_t n_vc;
	struct check_job *jobs;
	size_t n_jobs;
	size_t n_pending;
	uint32_t budget_ms;
	uint64_t deadline_ms;
	unsigned min_answers;
	check_done_fn done;
	void *arg;
};

struct checks {
	const struct coord_config *cfg;
	struct agents *agents;
	checks_send_fn send;
	void *send_ctx;
	struct check *head;
	size_t n;
	struct checks_counters count;
};

uint64_t checks_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int s_random(void *buf, size_t n)
{
	size_t off = 0;

	for (int tries = 0; off < n && tries < CHECKS_RANDOM_TRIES; tries++) {
		ssize_t got = getrandom((uint8_t *)buf + off, n - off, 0);
		if (got < 0 && errno != EINTR)
			return -1;
		if (got > 0)
			off += (size_t)got;
	}
	return off == n ? 0 : -1;
}

int checks_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[LIMIT_JOB_ID_LEN > 128 ? LIMIT_JOB_ID_LEN : 128];

	if (n > sizeof(raw) || s_random(raw, n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = hex[raw[i] & 0xf];
	out[n] = '\0';
	return 0;
}

int checks_random_token(char out[LIMIT_TOKEN_LEN + 1])
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t raw[CHECKS_TOKEN_BYTES + 1] = {0};
	size_t o = 0;

	if (s_random(raw, CHECKS_TOKEN_BYTES) != 0)
		return -1;
	/* 32 bytes = 256 bits = 43 six-bit groups (the last one padded). */
	for (size_t bit = 0; bit < CHECKS_TOKEN_BYTES * 8 && o < LIMIT_TOKEN_LEN; bit += 6) {
		size_t byte = bit / 8, sh = bit % 8;
		unsigned v = ((unsigned)raw[byte] << 8 | raw[byte + 1]) >> (10 - sh);
		out[o++] = b64[v & 0x3f];
	}
	out[o] = '\0';
	return 0;
}

int checks_parse_domain(const char *in, char out[LIMIT_DOMAIN_LEN + 1], char *err, size_t errlen)
{
	size_t n = strnlen(in, LIMIT_DOMAIN_LEN + 2), label = 0;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > LIMIT_DOMAIN_LEN) {
		snprintf(err, errlen, "domain must be 1..%d characters", LIMIT_DOMAIN_LEN);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)in[i]);
		if (c == '.') {
			if (label == 0 || out[i - 1] == '-') {
				snprintf(err, errlen,
				         "domain has an empty label or a label ending in '-'");
				return -1;
			}
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		           (c == '-' && label > 0) || c == '_') {
			if (++label > 63) {
				snprintf(err, errlen,
				         "domain has a label longer than 63 characters");
				return -1;
			}
		} else {
			snprintf(err, errlen, "domain has an invalid character at offset %zu", i);
			return -1;
		}
		out[i] = c;
	}
	if (out[n - 1] == '-') {
		snprintf(err, errlen, "domain has a label ending in '-'");
		return -1;
	}
	if (memchr(in, '.', n) == NULL) {
		snprintf(err, errlen, "domain must have at least two labels");
		return -1;
	}
	out[n] = '\0';
	return 0;
}

static void s_check_free(struct check *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_vc; i++)
		vt_check_clear(&c->vc[i]);
	free(c->vc);
	free(c->jobs);
	free(c);
}

struct checks *checks_new(const struct coord_config *cfg, struct agents *agents,
                          checks_send_fn send, void *send_ctx)
{
	struct checks *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->cfg = cfg;
	m->agents = agents;
	m->send = send;
	m->send_ctx = send_ctx;
	return m;
}

void checks_destroy(struct checks **mp)
{
	struct check *c, *next;
	size_t bound = CHECKS_MAX_ACTIVE;

	if (mp == NULL || *mp == NULL)
		return;
	for (c = (*mp)->head; c != NULL && bound-- > 0; c = next) {
		next = c->next;
		s_check_free(c);
	}
	free(*mp);
	*mp = NULL;
}

static bool s_region_ok(const struct check_request *req, const struct coord_agent_cfg *ac)
{
	if (req->n_regions == 0)
		return true;
	for (size_t i = 0; i < req->n_regions && i < CHECKS_MAX_REGIONS; i++)
		if (strcmp(req->regions[i], ac->region) == 0)
			return true;
	return false;
}

/* Mark a result unavailable with a reason: "vantage NAME WHY". */
static void s_unavailable(struct vt_result *r, const char *agent, const char *why)
{
	r->outcome = VT_OUTCOME_UNAVAILABLE;
	r->problem.type = VT_PROB_NONE;
	snprintf(r->problem.detail, sizeof(r->problem.detail), "vantage %s %s", agent, why);
}

/* Why agent a cannot take a job for method (written to why), or NULL if it
 * can. */
static const char *s_why_not(const struct agent *a, enum vt_method method, char *why, size_t whylen)
{
	unsigned cap = a->caps.max_inflight == 0 || a->caps.max_inflight > AGENT_MAX_INFLIGHT
	                       ? AGENT_MAX_INFLIGHT
	                       : a->caps.max_inflight;

	if (a->state == AGENT_NEVER)
		snprintf(why, whylen, "has never connected");
	else if (a->state != AGENT_UP || a->unreachable)
		snprintf(why, whylen, "is down");
	else if ((a->caps.methods & (1u << (unsigned)method)) == 0)
		snprintf(why, whylen,
		         "does not support %s (not in the methods its HELLO offered; upgrade the "
		         "agent)",
		         vt_method_name(method));
	else if (a->inflight >= cap)
		snprintf(why, whylen, "is at its max_inflight (%u)", cap);
	else
		return NULL;
	return why;
}

/* The methods checked per domain, in report order: the validation methods
 * as requested, then tls-cert, then CAA.  Returns how many (0 when there
 * are none). */
static size_t s_plan(const struct check_request *req, enum vt_method out[CHECKS_MAX_METHODS + 1])
{
	size_t n = 0;
	bool tlscert = false;

	for (size_t i = 0; i < req->n_methods && i < CHECKS_MAX_METHODS; i++) {
		if (req->methods[i] == VT_METHOD_TLSCERT)
			tlscert = true;
		else
			out[n++] = req->methods[i];
	}
	if (tlscert)
		out[n++] = VT_METHOD_TLSCERT;
	if (req->caa)
		out[n++] = VT_METHOD_CAA;
	return n;
}

/* caa_methods of a CAA job: the requested validation methods' bits, or
 * HTTP-01's when the request has none (CAA only, or with tls-cert, which
 * CAA's validationmethods cannot name). */
static uint32_t s_caa_methods(const struct check_request *req)
{
	uint32_t bits = 0;

	for (size_t i = 0; i < req->n_methods && i < CHECKS_MAX_METHODS; i++)
		if (req->methods[i] != VT_METHOD_TLSCERT)
			bits |= 1u << (unsigned)req->methods[i];
	return bits != 0 ? bits : 1u << VT_METHOD_HTTP01;
}

/* Does req hold what validating method needs?  0, or -1 with err. */
static int s_validate_ok(const struct check_request *req, enum vt_method method, char *err,
                         size_t errlen)
{
	if (req->key_authorization[0] != '\0')
		return 0;
	if (method == VT_METHOD_HTTP01) {
		snprintf(
		        err, errlen,
		        "http-01 in validate mode needs key_authorization (a digest is not enough: "
		        "the server must serve the key authorization itself)");
		return -1;
	}
	if ((method == VT_METHOD_TLSALPN01 || method == VT_METHOD_DNS01) &&
	    strlen(req->digest) != KEYAUTH_DIGEST_B64_LEN) {
		snprintf(err, errlen, "%s in validate mode needs key_authorization or digest",
		         vt_method_name(method));
		return -1;
	}
	return 0;
}

/* Fill job for domain and method from req. */
static void s_fill_job(struct vt_job *job, const struct check_request *req, enum vt_method method,
                       const char *domain, const char *token, uint32_t budget)
{
	job->method = method;
	job->mode = method == VT_METHOD_CAA ? VT_MODE_VALIDATE : req->mode;
	job->budget_ms = budget;
	snprintf(job->domain, sizeof(job->domain), "%s", domain);
	if (method == VT_METHOD_TLSCERT)
		return; /* no challenge: nothing of the key authorization goes out */
	snprintf(job->token, sizeof(job->token), "%s", token);
	if (method == VT_METHOD_CAA) {
		snprintf(job->caa_issuer, sizeof(job->caa_issuer), "%s",
		         req->caa_issuer[0] != '\0' ? req->caa_issuer : CAA_DEFAULT_ISSUER);
		snprintf(job->caa_account_uri, sizeof(job->caa_account_uri), "%s",
		         req->caa_account_uri);
		job->caa_methods = s_caa_methods(req);
		return;
	}
	if (req->mode != VT_MODE_VALIDATE)
		return;
	if (req->key_authorization[0] != '\0')
		snprintf(job->key_authorization, sizeof(job->key_authorization), "%s",
		         req->key_authorization);
	else if (method != VT_METHOD_HTTP01)
		snprintf(job->digest, sizeof(job->digest), "%s", req->digest);
}

struct check *checks_start(struct checks *m, const struct check_request *req, check_done_fn done,
                           void *arg, uint64_t now_ms, int *http_status, char *err, size_t errlen)
{
	struct check *c = NULL;
	char token[LIMIT_TOKEN_LEN + 1] = "", why[CHECKS_WHY_LEN];
	enum vt_method plan[CHECKS_MAX_METHODS + 1];
	size_t eligible = 0, nj = 0, nplan = s_plan(req, plan);
	uint32_t budget = req->budget_ms ? req->budget_ms : m->cfg->job_budget_ms;
	int ok = 0;

	*http_status = 400;
	if (m->agents->n == 0) {
		*http_status = 503;
		snprintf(err, errlen, "no agent is configured");
		goto out;
	}
	if (m->n >= CHECKS_MAX_ACTIVE) {
		*http_status = 503;
		snprintf(err, errlen, "too many checks running (%d); try again later",
		         CHECKS_MAX_ACTIVE);
		goto out;
	}
	if (req->n_domains == 0 || req->n_domains > LIMIT_DOMAINS_PER_CHECK) {
		snprintf(err, errlen, "domains: 1..%d names required", LIMIT_DOMAINS_PER_CHECK);
		goto out;
	}
	if (nplan == 0 || req->n_methods > CHECKS_MAX_METHODS) {
		snprintf(err, errlen, "no method to check");
		goto out;
	}
	for (size_t k = 0; k < req->n_methods; k++) {
		if (req->methods[k] == VT_METHOD_TLSCERT)
			continue; /* no key authorization needed in any mode */
		if (req->methods[k] != VT_METHOD_HTTP01 && req->methods[k] != VT_METHOD_TLSALPN01 &&
		    req->methods[k] != VT_METHOD_DNS01) {
			snprintf(err, errlen,
			         "methods[%zu] is neither a validation method nor tls-cert", k);
			goto out;
		}
		if (req->mode == VT_MODE_VALIDATE &&
		    s_validate_ok(req, req->methods[k], err, errlen) != 0)
			goto out;
	}
	for (size_t k = 0; k < req->n_methods; k++)
		for (size_t j = 0; j < k; j++)
			if (req->methods[j] == req->methods[k]) {
				snprintf(err, errlen, "methods[%zu] repeats %s", k,
				         vt_method_name(req->methods[k]));
				goto out;
			}
	if (budget < JOB_MIN_BUDGET_MS || budget > JOB_MAX_BUDGET_MS) {
		snprintf(err, errlen, "budget_ms must be %d..%d", JOB_MIN_BUDGET_MS,
		         JOB_MAX_BUDGET_MS);
		goto out;
	}
	for (size_t i = 0; i < m->agents->n; i++)
		if (s_region_ok(req, m->agents->v[i].cfg))
			eligible++;
	if (eligible == 0) {
		snprintf(err, errlen, "no configured agent is in the requested regions");
		goto out;
	}
	if (req->mode == VT_MODE_REACHABILITY) {
		if (req->token[0] != '\0')
			memcpy(token, req->token, sizeof(token));
		else if (checks_random_token(token) != 0)
			goto nomem;
	} else if (req->key_authorization[0] != '\0') {
		const char *dot = strchr(req->key_authorization, '.');
		size_t tl = dot ? (size_t)(dot - req->key_authorization) : 0;
		if (tl == 0 || tl > LIMIT_TOKEN_LEN) {
			snprintf(err, errlen, "key_authorization must be TOKEN.THUMBPRINT");
			goto out;
		}
		memcpy(token, req->key_authorization, tl);
		token[tl] = '\0';
	}

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->vc = calloc(req->n_domains * nplan, sizeof(*c->vc));
	c->jobs = calloc(req->n_domains * nplan * eligible, sizeof(*c->jobs));
	if (c->vc == NULL || c->jobs == NULL)
		goto nomem;
	c->n_vc = req->n_domains * nplan;
	c->budget_ms = budget;
	c->deadline_ms = now_ms + budget + JOB_GRACE_MS;
	c->min_answers = req->min_answers ? req->min_answers : m->cfg->min_answers;
	c->done = done;
	c->arg = arg;

	for (size_t v = 0; v < c->n_vc; v++) {
		struct vt_check *vc = &c->vc[v];
		enum vt_method method = plan[v % nplan];

		snprintf(vc->domain, sizeof(vc->domain), "%s", req->domains[v / nplan]);
		vc->method = method;
		vc->mode = method == VT_METHOD_CAA ? VT_MODE_VALIDATE : req->mode;
		for (size_t i = 0; i < m->agents->n; i++) {
			struct agent *a = &m->agents->v[i];
			struct vt_entry *e;
			struct vt_job job;

			if (!s_region_ok(req, a->cfg))
				continue;
			e = vt_check_add_entry(vc);
			if (e == NULL)
				goto nomem;
			snprintf(e->vantage.agent, sizeof(e->vantage.agent), "%s", a->cfg->name);
			snprintf(e->vantage.region, sizeof(e->vantage.region), "%s",
			         a->cfg->region);
			snprintf(e->vantage.rir, sizeof(e->vantage.rir), "%s", a->cfg->rir);
			e->vantage.primary = a->cfg->primary;
			e->vantage.ipv6 = a->state != AGENT_NEVER && a->caps.ipv6;
			e->result.method = method;
			snprintf(e->result.domain, sizeof(e->result.domain), "%s", vc->domain);
			if (s_why_not(a, method, why, sizeof(why)) != NULL) {
				s_unavailable(&e->result, a->cfg->name, why);
				continue;
			}
			memset(&job, 0, sizeof(job));
			if (checks_random_hex(job.id, LIMIT_JOB_ID_LEN) != 0)
				goto nomem;
			s_fill_job(&job, req, method, vc->domain, token, budget);
			snprintf(e->result.job_id, sizeof(e->result.job_id), "%s", job.id);
			s_unavailable(&e->result, a->cfg->name, "did not answer in time");
			if (m->send(m->send_ctx, a, &job) != 0) {
				s_unavailable(&e->result, a->cfg->name, "is unreachable");
				m->count.jobs_unsendable++;
				continue;
			}
			m->count.jobs_sent++;
			a->inflight++;
			memcpy(c->jobs[nj].id, job.id, sizeof(job.id));
			c->jobs[nj].agent = a;
			c->jobs[nj].vc = v;
			c->jobs[nj].entry = vc->n_entries - 1;
			c->jobs[nj].pending = true;
			nj++;
		}
	}
	c->n_jobs = nj;
	c->n_pending = nj;
	c->next = m->head;
	m->head = c;
	m->n++;
	m->count.checks_started++;
	log_info("check started: %zu domain(s) x %zu method(s), %zu vantage(s), %zu job(s) sent, "
	         "budget %u ms",
	         req->n_domains, nplan, eligible, nj, budget);
	ok = 1;
	goto out;
nomem:
	*http_status = 500;
	snprintf(err, errlen, "out of memory or randomness");
out:
	if (!ok) {
		/* Jobs already sent stay with their agents; their RESULTs are dropped
		 * as unknown, and the inflight counts are returned here. */
		for (size_t j = 0; c != NULL && j < nj; j++)
			if (c->jobs[j].agent->inflight > 0)
				c->jobs[j].agent->inflight--;
		s_check_free(c);
		return NULL;
	}
	return c;
}

void checks_detach(struct checks *m, struct check *c)
{
	(void)m;
	if (c != NULL) {
		c->done = NULL;
		c->arg = NULL;
	}
}

/* End job j of c (answered or not). */
static void s_job_end(struct check *c, struct check_job *j)
{
	if (!j->pending)
		return;
	j->pending = false;
	if (c->n_pending > 0)
		c->n_pending--;
	if (j->agent->inflight > 0)
		j->agent->inflight--;
}

int checks_on_result(struct checks *m, struct agent *a, struct vt_result *r)
{
	size_t bound = CHECKS_MAX_ACTIVE;

	for (struct check *c = m->head; c != NULL && bound-- > 0; c = c->next) {
		for (size_t i = 0; i < c->n_jobs; i++) {
			struct check_job *j = &c->jobs[i];
			struct vt_result *dst;

			if (strcmp(j->id, r->job_id) != 0)
				continue;
			if (j->agent != a) {
				log_debug("result for job %s from %s, sent to %s: dropped", j->id,
				          a->cfg->name, j->agent->cfg->name);
				m->count.results_dropped++;
				return -1;
			}
			if (!j->pending) {
				log_debug("duplicate result for job %s from %s: dropped", j->id,
				          a->cfg->name);
				m->count.results_dropped++;
				return -1;
			}
			dst = &c->vc[j->vc].entries[j->entry].result;
			vt_result_clear(dst);
			*dst = *r;
			memset(r, 0, sizeof(*r));
			/* What the job was is ours, not the agent's to say. */
			snprintf(dst->job_id, sizeof(dst->job_id), "%s", j->id);
			dst->method = c->vc[j->vc].method;
			snprintf(dst->domain, sizeof(dst->domain), "%s", c->vc[j->vc].domain);
			if (dst->outcome < VT_OUTCOME_PASS || dst->outcome > VT_OUTCOME_UNAVAILABLE)
				dst->outcome = VT_OUTCOME_UNAVAILABLE;
			s_job_end(c, j);
			m->count.jobs_answered++;
			return 0;
		}
	}
	log_debug("result for unknown or expired job id from %s: dropped", a->cfg->name);
	m->count.results_dropped++;
	return -1;
}

void checks_agent_down(struct checks *m, struct agent *a)
{
	size_t bound = CHECKS_MAX_ACTIVE;

	for (struct check *c = m->head; c != NULL && bound-- > 0; c = c->next) {
		for (size_t i = 0; i < c->n_jobs; i++) {
			struct check_job *j = &c->jobs[i];
			if (j->agent != a || !j->pending)
				continue;
			s_unavailable(&c->vc[j->vc].entries[j->entry].result, a->cfg->name,
			              "went down before answering");
			s_job_end(c, j);
			m->count.jobs_agent_down++;
		}
	}
}

/* Judge, report, call back, free. */
static void s_finish(struct checks *m, struct check *c)
{
	json_t *doc;

	for (size_t i = 0; i < c->n_jobs; i++) {
		if (c->jobs[i].pending)
			m->count.jobs_timed_out++;
		s_job_end(c, &c->jobs[i]); /* leftovers: "did not answer in time" */
	}
	m->count.checks_finished++;
	for (size_t d = 0; d < c->n_vc; d++)
		verdict_judge(&c->vc[d], c->min_answers);
	if (c->done != NULL) {
		doc = report_json(c->vc, c->n_vc);
		c->done(doc, c->arg);
	}
	s_check_free(c);
}

size_t checks_tick(struct checks *m, uint64_t now_ms)
{
	struct check **pp = &m->head;
	size_t finished = 0, bound = CHECKS_MAX_ACTIVE;

	while (*pp != NULL && bound-- > 0) {
		struct check *c = *pp;
		if (c->n_pending == 0 || now_ms >= c->deadline_ms) {
			*pp = c->next;
			m->n--;
			s_finish(m, c);
			finished++;
		} else {
			pp = &c->next;
		}
	}
	return finished;
}

int64_t checks_next_ms(const struct checks *m, uint64_t now_ms)
{
	int64_t best = -1;
	size_t bound = CHECKS_MAX_ACTIVE;

	for (const struct check *c = m->head; c != NULL && bound-- > 0; c = c->next) {
		int64_t left = c->n_pending == 0 || now_ms >= c->deadline_ms
		                       ? 0
		                       : (int64_t)(c->deadline_ms - now_ms);
		if (best < 0 || left < best)
			best = left;
	}
	return best;
}

void checks_finish_all(struct checks *m)
{
	size_t bound = CHECKS_MAX_ACTIVE;

	while (m->head != NULL && bound-- > 0) {
		struct check *c = m->head;
		m->head = c->next;
		m->n--;
		s_finish(m, c);
	}
}

size_t checks_active(const struct checks *m)
{
	return m->n;
}

const struct checks_counters *checks_counters(const struct checks *m)
{
	return &m->count;
}
