/*
 * probe.c -- the probe engine: an ops table per method (the four challenge
 * methods and tls-cert), a budget timer per probe, and a done callback that
 * fires exactly once from the event loop.
 *
 * Every probe of the process shares the env's event_base and its one curl
 * multi handle (curlev.c).  Finishing is two-step: probe_finish() stops the
 * method's I/O and activates a zero-delay event; that event calls the owner's
 * callback, so callbacks never run inside curl, libunbound or the method.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "curlev.h"
#include "probe_int.h"

struct probe_env {
	struct event_base *base;
	struct probe_cfg cfg;
	struct curlev *curl;
	unsigned inflight;
	struct probe *probes; /* running or awaiting their callback */
};

struct probe {
	struct probe_env *env;
	const struct probe_ops *ops;
	struct vt_job job;
	struct vt_result result;
	probe_done_fn done;
	void *arg;
	struct event *budget_ev;
	struct event *done_ev;
	void *state;
	bool finished;  /* result final, callback scheduled or fired */
	bool delivered; /* callback fired */
	bool listed;    /* in env->probes */
	struct timespec t0;
	uint32_t budget_ms;
	struct probe *prev, *next;
};

static const struct probe_ops *const s_ops[] = {
        &http01_ops, &dns01_ops, &tlsalpn01_ops, &caa_ops, &tlscert_ops,
};

static void s_unlist(struct probe *p)
{
	struct probe_env *env = p->env;

	if (!p->listed)
		return;
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		env->probes = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	p->listed = false;
	if (env->inflight > 0)
		env->inflight--;
}

struct probe_env *probe_env_new(struct event_base *base, const struct probe_cfg *cfg, char *err,
                                size_t errlen)
{
	struct probe_env *env = calloc(1, sizeof(*env));

	if (env == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	env->base = base;
	env->cfg = *cfg;
	if (env->cfg.user_agent[0] == '\0')
		snprintf(env->cfg.user_agent, sizeof(env->cfg.user_agent), "%s", LE_USER_AGENT);
	if (env->cfg.dial_timeout_ms == 0)
		env->cfg.dial_timeout_ms = HTTP01_DIAL_TIMEOUT_MS;
	if (env->cfg.resolver.timeout_ms == 0)
		env->cfg.resolver.timeout_ms = DNS_TIMEOUT_MS;
	env->curl = curlev_new(base, err, errlen);
	if (env->curl == NULL) {
		free(env);
		return NULL;
	}
	return env;
}

void probe_env_destroy(struct probe_env **envp)
{
	struct probe_env *env;

	if (envp == NULL || *envp == NULL)
		return;
	env = *envp;
	/* bounded: every pass frees one probe */
	for (unsigned i = 0; env->probes != NULL && i <= AGENT_MAX_INFLIGHT * 4u; i++) {
		struct probe *p = env->probes;
		probe_free(&p);
	}
	curlev_destroy(&env->curl);
	free(env);
	*envp = NULL;
}

unsigned probe_env_inflight(const struct probe_env *env)
{
	return env != NULL ? env->inflight : 0;
}

static void s_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;

	if (p->delivered)
		return;
	p->delivered = true;
	s_unlist(p);
	p->done(p, p->arg); /* may free p */
}

void probe_finish(struct probe *p)
{
	if (p->finished)
		return;
	p->finished = true;
	p->ops->cancel(p, false);
	evtimer_del(p->budget_ev);
	if (p->result.outcome == 0)
		vt_result_fail(&p->result, VT_PROB_SERVER_INTERNAL, "probe ended without a result");
	p->result.timings.total_ms = probe_elapsed_ms(p);
	event_active(p->done_ev, EV_TIMEOUT, 1);
}

static void s_budget_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;

	if (p->finished)
		return;
	p->ops->cancel(p, true);
	if (p->result.outcome == 0)
		vt_result_fail(&p->result, VT_PROB_CONNECTION,
		               "Timeout after connect (your server may be slow or overloaded)");
	probe_finish(p);
}

struct probe *probe_start(struct probe_env *env, const struct vt_job *job, probe_done_fn done,
                          void *arg, char *err, size_t errlen)
{
	const struct probe_ops *ops = NULL;
	struct probe *p = NULL;
	struct timeval tv;

	for (size_t i = 0; i < sizeof(s_ops) / sizeof(s_ops[0]); i++)
		if (s_ops[i]->method == job->method)
			ops = s_ops[i];
	if (ops == NULL) {
		snprintf(err, errlen, "method %s is not supported by this agent",
		         vt_method_name(job->method));
		return NULL;
	}
	if (env->inflight >= AGENT_MAX_INFLIGHT) {
		snprintf(err, errlen, "too many probes in flight (%u)", env->inflight);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->env = env;
	p->ops = ops;
	p->job = *job;
	p->done = done;
	p->arg = arg;
	p->budget_ms = job->budget_ms;
	if (p->budget_ms < JOB_MIN_BUDGET_MS)
		p->budget_ms = JOB_MIN_BUDGET_MS;
	if (p->budget_ms > JOB_MAX_BUDGET_MS)
		p->budget_ms = JOB_MAX_BUDGET_MS;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	snprintf(p->result.job_id, sizeof(p->result.job_id), "%s", job->id);
	p->result.method = job->method;
	snprintf(p->result.domain, sizeof(p->result.domain), "%s", job->domain);
	p->budget_ev = evtimer_new(env->base, s_budget_cb, p);
	p->done_ev = event_new(env->base, -1, 0, s_done_cb, p);
	if (p->budget_ev == NULL || p->done_ev == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	tv.tv_sec = p->budget_ms / 1000;
	tv.tv_usec = (p->budget_ms % 1000) * 1000;
	evtimer_add(p->budget_ev, &tv);
	p->next = env->probes;
	if (env->probes != NULL)
		env->probes->prev = p;
	env->probes = p;
	p->listed = true;
	env->inflight++;
	if (ops->start(p, err, errlen) != 0)
		goto fail;
	return p;
fail:
	probe_free(&p);
	return NULL;
}

const struct vt_job *probe_job(const struct probe *p)
{
	return &p->job;
}

struct vt_result *probe_result(struct probe *p)
{
	return &p->result;
}

void probe_free(struct probe **pp)
{
	struct probe *p;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	if (!p->finished)
		p->ops->cancel(p, false);
	p->ops->free(p);
	s_unlist(p);
	if (p->budget_ev != NULL)
		event_free(p->budget_ev);
	if (p->done_ev != NULL)
		event_free(p->done_ev);
	vt_result_clear(&p->result);
	free(p);
	*pp = NULL;
}

uint32_t probe_methods(void)
{
	uint32_t m = 0;

	for (size_t i = 0; i < sizeof(s_ops) / sizeof(s_ops[0]); i++)
		m |= 1u << s_ops[i]->method;
	return m;
}

struct event_base *probe_base(const struct probe *p)
{
	return p->env->base;
}

struct curlev *probe_curlev(const struct probe *p)
{
	return p->env->curl;
}

const struct probe_cfg *probe_config(const struct probe *p)
{
	return &p->env->cfg;
}

void *probe_state(const struct probe *p)
{
	return p->state;
}

void probe_set_state(struct probe *p, void *state)
{
	p->state = state;
}

uint32_t probe_elapsed_ms(const struct probe *p)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - p->t0.tv_sec) * 1000LL + (now.tv_nsec - p->t0.tv_nsec) / 1000000LL;
	return ms < 0 ? 0 : (uint32_t)ms;
}

uint32_t probe_remaining_ms(const struct probe *p)
{
	uint32_t el = probe_elapsed_ms(p);

	return el >= p->budget_ms ? 0 : p->budget_ms - el;
}
