/*
 * metrics.c -- GET /metrics (Prometheus text exposition, format 0.0.4) and
 * GET /status (one HTML page), see metrics.h.
 *
 * Both read the agents registry directly and the monitors through
 * monitors_json(), the same document GET /v1/monitors answers, so the page,
 * the metrics and the API never disagree about a monitor's state.  Both are
 * written into one growing buffer with a hard ceiling: a line (metrics) or a
 * table row (status) is added whole or not at all, and what did not fit is
 * logged once per render.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "alert.h"
#include "api.h"
#include "metrics.h"
#include "checks.h"
#include "monitor.h"
#include "../common/certcheck.h"
#include "../common/log.h"

#define METRICS_INITIAL_CAP 16384 /* bytes first allocated for either document */
#define STATUS_TAIL_RESERVE 1024  /* bytes kept free for the page's closing tags */
#define METRICS_TIME_LEN    32    /* "2026-01-02 03:04:05 UTC" */
#define METRICS_DAY_S       86400.0
#define STATUS_REFRESH_S    30 /* the page reloads itself (meta refresh, no script) */

/* ---- a bounded buffer ---- */

struct s_out {
	char *p;
	size_t len, cap, max;
	bool over; /* the unit being written did not fit: s_commit rolls it back */
	bool cut;  /* some unit was left out */
	bool oom;
};

static void s_write(struct s_out *o, const char *s, size_t n)
{
	if (o->over || o->oom)
		return;
	if (n > o->max || o->len > o->max - n) {
		o->over = true;
		return;
	}
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap != 0 ? o->cap : METRICS_INITIAL_CAP;
		char *tmp;

		while (cap < o->len + n + 1)
			cap *= 2;
		if (cap > o->max + 1)
			cap = o->max + 1;
		tmp = realloc(o->p, cap);
		if (tmp == NULL) {
			o->oom = true;
			return;
		}
		o->p = tmp;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void s_puts(struct s_out *o, const char *s)
{
	s_write(o, s, strlen(s));
}

static void s_fmt(struct s_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_fmt(struct s_out *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* only our own short formats come here; longer text goes through s_write */
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		o->over = true;
		return;
	}
	s_write(o, buf, (size_t)n);
}

/* Start a unit (a line or a row) that goes in whole or not at all. */
static size_t s_mark(struct s_out *o)
{
	o->over = false;
	return o->len;
}

/* End the unit begun at mark: rolled back if it did not fit.  True if kept. */
static bool s_commit(struct s_out *o, size_t mark)
{
	if (!o->over)
		return true;
	o->len = mark;
	if (o->p != NULL)
		o->p[o->len] = '\0';
	o->over = false;
	o->cut = true;
	return false;
}

/* The finished text (caller frees), or NULL on ENOMEM.  what and limit
 * name the document and its bound for the log line of a cut one. */
static char *s_finish(struct s_out *o, const char *what, size_t limit, size_t *len)
{
	if (o->oom) {
		free(o->p);
		return NULL;
	}
	if (o->p == NULL) { /* nothing written at all: an empty document */
		o->p = calloc(1, 1);
		if (o->p == NULL)
			return NULL;
	}
	if (o->cut)
		log_warn("%s: longer than %zu bytes, cut", what, limit);
	if (len != NULL)
		*len = o->len;
	return o->p;
}

/* ---- reading the monitors document ---- */

/* A time member: RFC 3339 text or an integer.  False when absent or null. */
static bool s_json_time(const json_t *v, int64_t *t)
{
	if (json_is_integer(v)) {
		*t = (int64_t)json_integer_value(v);
		return true;
	}
	if (json_is_string(v))
		return api_parse_rfc3339(json_string_value(v), t) == 0;
	return false;
}

static const char *s_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* What a vantage's last run says, as the page and the metrics see it. */
enum s_state { S_UNKNOWN, S_PASS, S_FAIL, S_UNAVAILABLE };

static const char *const s_state_names[] = {"unknown", "pass", "fail", "unavailable"};

static enum s_state s_vantage_state(const json_t *v)
{
	const char *o = s_str(v, "outcome");

	if (strcmp(o, "pass") == 0 || strcmp(o, "reachable") == 0)
		return S_PASS;
	if (strcmp(o, "fail") == 0)
		return S_FAIL;
	if (strcmp(o, "unavailable") == 0)
		return S_UNAVAILABLE;
	return S_UNKNOWN;
}

/* The vantage of agent in target t, or NULL. */
static const json_t *s_vantage(const json_t *t, const char *agent)
{
	const json_t *arr = json_object_get(t, "vantages");

	for (size_t i = 0; i < json_array_size(arr) && i < LIMIT_AGENTS; i++) {
		const json_t *v = json_array_get(arr, i);
		if (strcmp(s_str(v, "agent"), agent) == 0)
			return v;
	}
	return NULL;
}

/* The certificate vantage v of target t saw: v's "cert" (monitors_json's
 * summary: not_after, not_after_unix, level, ...), else the target's worst
 * certificate when v is the agent that got it.  NULL when none. */
static const json_t *s_vantage_cert(const json_t *t, const json_t *v)
{
	const json_t *c = json_object_get(v, "cert"), *worst = json_object_get(t, "cert");

	if (json_is_object(c))
		return c;
	if (json_is_object(worst) && strcmp(s_str(worst, "agent"), s_str(v, "agent")) == 0)
		return worst;
	return NULL;
}

/* notAfter of a certificate object (not_after_unix, or not_after). */
static bool s_cert_not_after(const json_t *c, int64_t *t)
{
	return s_json_time(json_object_get(c, "not_after_unix"), t) ||
	       s_json_time(json_object_get(c, "not_after"), t);
}

/* The level of certificate c: as the monitor judged it with its policy
 * ("level"), else judged here at now with the default policy. */
static enum certcheck_level s_cert_level(const json_t *c, int64_t now)
{
	static const struct certcheck_policy defaults = {
	        MONITOR_CERT_WARN_FRACTION, MONITOR_CERT_CRIT_FRACTION, MONITOR_CERT_CRIT_DAYS};
	const char *given = json_string_value(json_object_get(c, "level"));
	char msg[256];

	for (int l = CERTCHECK_OK; given != NULL && l <= CERTCHECK_NONE; l++)
		if (strcmp(given, certcheck_level_name((enum certcheck_level)l)) == 0)
			return (enum certcheck_level)l;
	return certcheck_judge_json(c, now, &defaults, msg, sizeof(msg));
}

static bool s_is_tlscert(const json_t *t)
{
	return strcmp(s_str(t, "method"), vt_method_name(VT_METHOD_TLSCERT)) == 0;
}

/* ---- the exposition ---- */

/* Append key="value" with value escaped as the text format wants: \\, \"
 * and \n.  first: no comma before it. */
static void s_label(struct s_out *o, bool first, const char *key, const char *value)
{
	const char *p = value, *run = value;

	s_puts(o, first ? "" : ",");
	s_puts(o, key);
	s_puts(o, "=\"");
	for (; *p != '\0'; p++) {
		const char *rep = *p == '\\'   ? "\\\\"
		                  : *p == '"'  ? "\\\""
		                  : *p == '\n' ? "\\n"
		                               : NULL;
		if (rep == NULL)
			continue;
		s_write(o, run, (size_t)(p - run));
		s_puts(o, rep);
		run = p + 1;
	}
	s_write(o, run, (size_t)(p - run));
	s_puts(o, "\"");
}

static void s_family(struct s_out *o, const char *name, const char *type, const char *help)
{
	size_t m = s_mark(o);

	s_fmt(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	s_commit(o, m);
}

/* One sample without labels. */
static void s_sample(struct s_out *o, const char *name, const char *value)
{
	size_t m = s_mark(o);

	s_fmt(o, "%s %s\n", name, value);
	s_commit(o, m);
}

/* The labels a probe sample carries; agent/region NULL leave them out,
 * method NULL too (certificate samples). */
struct s_labels {
	const char *monitor, *domain, *method, *agent, *region;
};

static void s_labelled(struct s_out *o, const char *name, const struct s_labels *l,
                       const char *value)
{
	size_t m = s_mark(o);

	s_puts(o, name);
	s_puts(o, "{");
	s_label(o, true, "monitor", l->monitor);
	s_label(o, false, "domain", l->domain);
	if (l->method != NULL)
		s_label(o, false, "method", l->method);
	if (l->agent != NULL) {
		s_label(o, false, "agent", l->agent);
		s_label(o, false, "region", l->region);
	}
	s_puts(o, "} ");
	s_puts(o, value);
	s_puts(o, "\n");
	s_commit(o, m);
}

/* Which per-target series a pass over the monitors writes. */
enum s_series {
	SER_SUCCESS,
	SER_DURATION,
	SER_CERT_NOT_AFTER,
	SER_CERT_LEVEL,
	SER_FAILING,
	SER_LAST_RUN,
};

/* One family's samples from every monitor target (the text format wants a
 * family's samples together, hence one pass per family). */
static void s_target_series(struct s_out *o, const json_t *doc, enum s_series ser, int64_t now)
{
	const json_t *mons = json_object_get(doc, "monitors");
	char val[64];

	for (size_t i = 0; i < json_array_size(mons) && i < MONITOR_MAX; i++) {
		const json_t *mon = json_array_get(mons, i);
		const json_t *targets = json_object_get(mon, "targets");

		for (size_t k = 0; k < json_array_size(targets) && k < METRICS_MAX_TARGETS; k++) {
			const json_t *t = json_array_get(targets, k);
			const json_t *vs = json_object_get(t, "vantages");
			struct s_labels l = {s_str(mon, "name"), s_str(t, "domain"),
			                     s_str(t, "method"), NULL, NULL};
			int64_t ts;

			if (ser == SER_FAILING) {
				s_labelled(o, "vantage_monitor_failing", &l,
				           strcmp(s_str(t, "state"), "fail") == 0 ? "1" : "0");
				continue;
			}
			if (ser == SER_LAST_RUN) {
				if (s_json_time(json_object_get(t, "last_run"), &ts)) {
					snprintf(val, sizeof(val), "%lld", (long long)ts);
					s_labelled(o, "vantage_monitor_last_run_timestamp_seconds",
					           &l, val);
				}
				continue;
			}
			if ((ser == SER_CERT_NOT_AFTER || ser == SER_CERT_LEVEL) &&
			    !s_is_tlscert(t))
				continue;
			for (size_t j = 0; j < json_array_size(vs) && j < LIMIT_AGENTS; j++) {
				const json_t *v = json_array_get(vs, j), *c, *d;
				enum s_state st = s_vantage_state(v);
				enum certcheck_level lvl;

				l.agent = s_str(v, "agent");
				l.region = s_str(v, "region");
				l.method = s_str(t, "method");
				switch (ser) {
				case SER_SUCCESS:
					/* an unavailable vantage says nothing about the site */
					if (st == S_PASS || st == S_FAIL)
						s_labelled(o, "vantage_probe_success", &l,
						           st == S_PASS ? "1" : "0");
					break;
				case SER_DURATION:
					d = json_object_get(v, "duration_ms");
					if (st != S_UNAVAILABLE && json_is_integer(d) &&
					    json_integer_value(d) >= 0) {
						snprintf(val, sizeof(val), "%.3f",
						         (double)json_integer_value(d) / 1000.0);
						s_labelled(o, "vantage_probe_duration_seconds", &l,
						           val);
					}
					break;
				case SER_CERT_NOT_AFTER:
				case SER_CERT_LEVEL:
					c = s_vantage_cert(t, v);
					if (c == NULL || !s_cert_not_after(c, &ts))
						break;
					l.method = NULL;
					if (ser == SER_CERT_NOT_AFTER) {
						snprintf(val, sizeof(val), "%lld", (long long)ts);
						s_labelled(
						        o,
						        "vantage_cert_not_after_timestamp_seconds",
						        &l, val);
						break;
					}
					lvl = s_cert_level(c, now);
					if (lvl == CERTCHECK_NONE)
						break;
					snprintf(val, sizeof(val), "%d", (int)lvl);
					s_labelled(o, "vantage_cert_expiry_level", &l, val);
					break;
				default:
					break;
				}
			}
		}
	}
}

static void s_agent_metrics(struct s_out *o, const struct agents *agents)
{
	size_t n = agents != NULL ? agents->n : 0;
	char val[32];

	s_family(o, "vantage_agents_configured", "gauge",
	         "Agents in the coordinator's configuration (main list and enrolled).");
	snprintf(val, sizeof(val), "%zu", n);
	s_sample(o, "vantage_agents_configured", val);
	s_family(o, "vantage_agents_connected", "gauge", "Agents connected now.");
	snprintf(val, sizeof(val), "%zu", agents != NULL ? agents_count_up(agents) : 0);
	s_sample(o, "vantage_agents_connected", val);
	s_family(o, "vantage_agent_up", "gauge",
	         "1 when the agent is connected, 0 when it is down or never connected.");
	for (size_t i = 0; i < n; i++) {
		const struct agent *a = &agents->v[i];
		size_t m = s_mark(o);

		s_puts(o, "vantage_agent_up{");
		s_label(o, true, "agent", a->cfg->name);
		s_label(o, false, "region", a->cfg->region);
		s_label(o, false, "rir", a->cfg->rir);
		s_puts(o, a->state == AGENT_UP ? "} 1\n" : "} 0\n");
		s_commit(o, m);
	}
}

/* A counter sample with one label. */
static void s_counter1(struct s_out *o, const char *name, const char *key, const char *value,
                       uint64_t n)
{
	size_t m = s_mark(o);

	s_puts(o, name);
	s_puts(o, "{");
	s_label(o, true, key, value);
	s_fmt(o, "} %llu\n", (unsigned long long)n);
	s_commit(o, m);
}

/* Checks and jobs by how they ended, every check (API and monitors alike). */
static void s_check_metrics(struct s_out *o, const struct checks *checks)
{
	const struct checks_counters *cc = checks_counters(checks);

	s_family(o, "vantage_checks_total", "counter", "Checks finished (API and monitors).");
	s_counter1(o, "vantage_checks_total", "state", "finished", cc->checks_finished);
	s_family(o, "vantage_jobs_total", "counter",
	         "Jobs (one domain, method and vantage each), by how they ended.");
	s_counter1(o, "vantage_jobs_total", "result", "answered", cc->jobs_answered);
	s_counter1(o, "vantage_jobs_total", "result", "timed_out", cc->jobs_timed_out);
	s_counter1(o, "vantage_jobs_total", "result", "agent_down", cc->jobs_agent_down);
	s_counter1(o, "vantage_jobs_total", "result", "unsendable", cc->jobs_unsendable);
	s_family(o, "vantage_results_dropped_total", "counter",
	         "Results refused: unknown or expired job, wrong agent, duplicate.");
	s_counter1(o, "vantage_results_dropped_total", "reason", "any", cc->results_dropped);
}

char *metrics_render(const struct agents *agents, const struct checks *checks,
                     const struct monitors *mon, const struct alerts *al, int64_t now, size_t *len)
{
	struct s_out o = {.max = METRICS_MAX_BYTES};
	const struct monitor_counters *mc;
	json_t *doc = NULL;
	char val[32];

	s_agent_metrics(&o, agents);
	if (checks != NULL)
		s_check_metrics(&o, checks);
	if (mon != NULL) {
		doc = monitors_json(mon, now);
		if (doc == NULL) {
			free(o.p);
			return NULL;
		}
		s_family(&o, "vantage_probe_success", "gauge",
		         "1 when the vantage passed the monitor's latest run, 0 when it failed "
		         "(no sample when it did not answer).");
		s_target_series(&o, doc, SER_SUCCESS, now);
		s_family(&o, "vantage_probe_duration_seconds", "gauge",
		         "How long the vantage's probe took in the latest run.");
		s_target_series(&o, doc, SER_DURATION, now);
		s_family(
		        &o, "vantage_cert_not_after_timestamp_seconds", "gauge",
		        "notAfter of the certificate the vantage received on port 443 (tls-cert).");
		s_target_series(&o, doc, SER_CERT_NOT_AFTER, now);
		s_family(&o, "vantage_cert_expiry_level", "gauge",
		         "The certificate's expiry level: 0 ok, 1 warning (past the renewal "
		         "point), 2 critical, 3 expired or not yet valid.");
		s_target_series(&o, doc, SER_CERT_LEVEL, now);
		s_family(&o, "vantage_monitor_failing", "gauge",
		         "1 when the monitor's alert state for the domain and method is fail.");
		s_target_series(&o, doc, SER_FAILING, now);
		s_family(&o, "vantage_monitor_last_run_timestamp_seconds", "gauge",
		         "When the monitor last ran for the domain and method.");
		s_target_series(&o, doc, SER_LAST_RUN, now);
		mc = monitors_counters(mon);
		s_family(&o, "vantage_monitor_runs_total", "counter",
		         "Monitor runs that finished (their results recorded).");
		snprintf(val, sizeof(val), "%llu",
		         mc != NULL ? (unsigned long long)mc->runs : 0ULL);
		s_sample(&o, "vantage_monitor_runs_total", val);
		s_family(&o, "vantage_monitor_runs_skipped_total", "counter",
		         "Monitor runs skipped because the previous run was still going.");
		snprintf(val, sizeof(val), "%llu",
		         mc != NULL ? (unsigned long long)mc->runs_skipped_overrun : 0ULL);
		s_sample(&o, "vantage_monitor_runs_skipped_total", val);
		s_family(&o, "vantage_alerts_total", "counter", "Alerts raised, by kind.");
		s_counter1(&o, "vantage_alerts_total", "kind", "failure",
		           mc != NULL ? mc->alerts_failure : 0);
		s_counter1(&o, "vantage_alerts_total", "kind", "recovery",
		           mc != NULL ? mc->alerts_recovery : 0);
	}
	if (al != NULL) {
		struct alert_counters ac;

		alerts_counters(al, &ac);
		s_family(&o, "vantage_alert_deliveries_total", "counter",
		         "Alert deliveries (webhook and command), by result.");
		s_counter1(&o, "vantage_alert_deliveries_total", "result", "delivered",
		           ac.delivered);
		s_counter1(&o, "vantage_alert_deliveries_total", "result", "failed", ac.failed);
		s_counter1(&o, "vantage_alert_deliveries_total", "result", "dropped", ac.dropped);
	}
	json_decref(doc);
	return s_finish(&o, "GET /metrics", METRICS_MAX_BYTES, len);
}

/* ---- the status page ---- */

/* Append s HTML-escaped (text and attribute values alike). */
static void s_html(struct s_out *o, const char *s)
{
	const char *p = s, *run = s;

	for (; *p != '\0'; p++) {
		const char *rep = NULL;

		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		s_write(o, run, (size_t)(p - run));
		s_puts(o, rep);
		run = p + 1;
	}
	s_write(o, run, (size_t)(p - run));
}

static void s_utc(int64_t t, char buf[METRICS_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, METRICS_TIME_LEN, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, METRICS_TIME_LEN, "?");
}

/* "3h ago", "2d ago" for d seconds. */
static void s_ago(int64_t d, char *buf, size_t len)
{
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, len, "%llds ago", (long long)d);
	else if (d < 7200)
		snprintf(buf, len, "%lldm ago", (long long)(d / 60));
	else if (d < 2 * 86400)
		snprintf(buf, len, "%lldh ago", (long long)(d / 3600));
	else
		snprintf(buf, len, "%lldd ago", (long long)(d / 86400));
}

static const char s_css[] =
        "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
        "h1{font-size:1.4em;margin:0 0 .2em}"
        ".meta{color:#555;margin:0 0 1em}"
        "table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
        "th{background:#f2f2f2}"
        "th small{display:block;font-weight:normal;color:#666}"
        "td.pass{background:#c8ecc8}"
        "td.fail{background:#f5b7b1;font-weight:bold}"
        "td.unavailable{background:#e0e0e0;color:#555}"
        "td.unknown{background:#f7f7f7;color:#888}"
        "td.cert-warning,td[data-cert=\"warning\"]{background:#fde9a9}"
        "td.cert-critical,td.cert-expired,td[data-cert=\"critical\"],"
        "td[data-cert=\"expired\"]{background:#f5b7b1}"
        "td.cert-ok{background:#c8ecc8}"
        ".state-fail{color:#b00;font-weight:bold}"
        ".state-pass{color:#070}"
        ".note{color:#666}";

static void s_status_head(struct s_out *o, const struct agents *agents, size_t n_monitors,
                          bool monitoring, int64_t now)
{
	char when[METRICS_TIME_LEN], iso[VT_TIME_LEN];

	s_utc(now, when);
	if (vt_time_rfc3339(now, iso, sizeof(iso)) != 0)
		snprintf(iso, sizeof(iso), "1970-01-01T00:00:00Z");
	s_fmt(o,
	      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta http-equiv=\"refresh\" content=\"%d\">\n"
	      "<title>vantage status</title>\n<style>",
	      STATUS_REFRESH_S);
	s_puts(o, s_css);
	s_puts(o, "</style>\n</head>\n<body>\n<header>\n<h1>vantage status</h1>\n");
	s_fmt(o, "<p class=\"meta\"><time datetime=\"%s\">", iso);
	s_html(o, when);
	s_fmt(o,
	      "</time> &middot; agents up <span id=\"agents-up\">%zu</span>/<span "
	      "id=\"agents-configured\">%zu</span>",
	      agents != NULL ? agents_count_up(agents) : 0, agents != NULL ? agents->n : 0);
	if (monitoring)
		s_fmt(o, " &middot; %zu monitor%s", n_monitors, n_monitors == 1 ? "" : "s");
	s_puts(o, "</p>\n</header>\n<main>\n");
}

static void s_status_thead(struct s_out *o, const struct agents *agents)
{
	s_puts(o, "<table>\n<thead>\n<tr><th>monitor</th><th>domain</th><th>method</th>"
	          "<th>state</th>");
	for (size_t i = 0; agents != NULL && i < agents->n; i++) {
		const struct agent *a = &agents->v[i];

		s_puts(o, "<th data-agent=\"");
		s_html(o, a->cfg->name);
		s_puts(o, "\">");
		s_html(o, a->cfg->name);
		s_puts(o, "<small>");
		s_html(o, a->cfg->region);
		s_puts(o, a->state == AGENT_UP ? "" : " (down)");
		s_puts(o, "</small></th>");
	}
	s_puts(o, "<th>since</th><th>certificate</th></tr>\n</thead>\n<tbody>\n");
}

/* One vantage's cell of target t.  For tls-cert the text is the days left. */
static void s_status_cell(struct s_out *o, const json_t *t, const struct agent *a, int64_t now)
{
	const json_t *v = s_vantage(t, a->cfg->name), *c = NULL;
	enum s_state st = v != NULL ? s_vantage_state(v) : S_UNKNOWN;
	const json_t *prob = v != NULL ? json_object_get(v, "problem") : NULL;
	const char *detail = json_string_value(json_object_get(prob, "detail"));
	enum certcheck_level lvl = CERTCHECK_NONE;
	int64_t na = 0;
	char text[64];

	snprintf(text, sizeof(text), "%s", st == S_UNKNOWN ? "unknown" : s_state_names[st]);
	if (v != NULL && s_is_tlscert(t)) {
		c = s_vantage_cert(t, v);
		if (c != NULL && s_cert_not_after(c, &na)) {
			lvl = s_cert_level(c, now);
			if (lvl == CERTCHECK_EXPIRED)
				snprintf(text, sizeof(text), "%s",
				         na <= now ? "expired" : "not yet valid");
			else
				snprintf(text, sizeof(text), "%.0fd",
				         floor((double)(na - now) / METRICS_DAY_S));
		}
	}
	s_puts(o, "<td class=\"");
	s_puts(o, s_state_names[st]);
	s_puts(o, "\" data-agent=\"");
	s_html(o, a->cfg->name);
	s_puts(o, "\" data-domain=\"");
	s_html(o, s_str(t, "domain"));
	s_puts(o, "\" data-method=\"");
	s_html(o, s_str(t, "method"));
	s_puts(o, "\" data-state=\"");
	s_puts(o, s_state_names[st]);
	s_puts(o, "\"");
	if (lvl != CERTCHECK_NONE) {
		s_puts(o, " data-cert=\"");
		s_puts(o, certcheck_level_name(lvl));
		s_puts(o, "\"");
	}
	if (detail != NULL) {
		s_puts(o, " title=\"");
		s_html(o, detail);
		s_puts(o, "\"");
	}
	s_puts(o, ">");
	s_html(o, text);
	s_puts(o, "</td>\n");
}

/* The certificate column: the fewest days left across vantages, and the
 * worst level. */
static void s_status_cert(struct s_out *o, const json_t *t, int64_t now)
{
	const json_t *vs = json_object_get(t, "vantages");
	enum certcheck_level worst = CERTCHECK_NONE;
	bool any = false;
	int64_t min_na = 0;
	char text[64];

	for (size_t j = 0; s_is_tlscert(t) && j < json_array_size(vs) && j < LIMIT_AGENTS; j++) {
		const json_t *v = json_array_get(vs, j), *c = s_vantage_cert(t, v);
		enum certcheck_level l;
		int64_t na;

		if (c == NULL || !s_cert_not_after(c, &na))
			continue;
		l = s_cert_level(c, now);
		if (!any || na < min_na)
			min_na = na;
		if (l != CERTCHECK_NONE && (worst == CERTCHECK_NONE || l > worst))
			worst = l;
		any = true;
	}
	if (!any) {
		s_puts(o, "<td class=\"cert-none\"></td>");
		return;
	}
	if (min_na <= now)
		snprintf(text, sizeof(text), "expired");
	else
		snprintf(text, sizeof(text), "%.1f days", (double)(min_na - now) / METRICS_DAY_S);
	s_puts(o, "<td class=\"cert-");
	s_puts(o, certcheck_level_name(worst));
	s_puts(o, "\" data-cert=\"");
	s_puts(o, certcheck_level_name(worst));
	s_puts(o, "\">");
	s_html(o, text);
	s_puts(o, "</td>");
}

static void s_status_row(struct s_out *o, const struct agents *agents, const json_t *mon,
                         const json_t *t, int64_t now)
{
	const char *state = s_str(t, "state");
	int64_t since;
	char when[METRICS_TIME_LEN], ago[32];

	s_puts(o, "<tr><td>");
	s_html(o, s_str(mon, "name"));
	s_puts(o, "</td><td>");
	s_html(o, s_str(t, "domain"));
	s_puts(o, "</td><td>");
	s_html(o, s_str(t, "method"));
	s_puts(o, "</td><td class=\"state-");
	s_html(o, state[0] != '\0' ? state : "unknown");
	s_puts(o, "\">");
	s_html(o, state[0] != '\0' ? state : "unknown");
	s_puts(o, "</td>\n");
	for (size_t i = 0; agents != NULL && i < agents->n; i++)
		s_status_cell(o, t, &agents->v[i], now);
	s_puts(o, "<td>");
	if (s_json_time(json_object_get(t, "since"), &since) && since > 0) {
		s_utc(since, when);
		s_ago(now - since, ago, sizeof(ago));
		s_html(o, when);
		s_puts(o, " <span class=\"note\">(");
		s_html(o, ago);
		s_puts(o, ")</span>");
	}
	s_puts(o, "</td>");
	s_status_cert(o, t, now);
	s_puts(o, "</tr>\n");
}

char *status_render(const struct agents *agents, const struct monitors *mon, int64_t now,
                    size_t *len)
{
	struct s_out o = {.max = STATUS_MAX_BYTES - STATUS_TAIL_RESERVE};
	json_t *doc = NULL;
	const json_t *mons = NULL;
	size_t m;

	if (mon != NULL) {
		doc = monitors_json(mon, now);
		if (doc == NULL)
			return NULL;
		mons = json_object_get(doc, "monitors");
	}
	s_status_head(&o, agents, json_array_size(mons), mon != NULL, now);
	if (mon == NULL) {
		s_puts(&o, "<p class=\"note\">Monitoring is not running.</p>\n");
	} else if (json_array_size(mons) == 0) {
		s_puts(&o, "<p class=\"note\">No monitors are configured.</p>\n");
	} else {
		s_status_thead(&o, agents);
		for (size_t i = 0; i < json_array_size(mons) && i < MONITOR_MAX; i++) {
			const json_t *mj = json_array_get(mons, i);
			const json_t *targets = json_object_get(mj, "targets");

			for (size_t k = 0; k < json_array_size(targets) && k < METRICS_MAX_TARGETS;
			     k++) {
				m = s_mark(&o);
				s_status_row(&o, agents, mj, json_array_get(targets, k), now);
				s_commit(&o, m);
			}
		}
		s_puts(&o, "</tbody>\n</table>\n");
	}
	/* the closing tags always fit: they use the reserve */
	o.max = STATUS_MAX_BYTES;
	o.over = false;
	if (o.cut)
		s_puts(&o, "<p class=\"note\">(cut: the page grew too large)</p>\n");
	s_puts(&o, "</main>\n</body>\n</html>\n");
	json_decref(doc);
	return s_finish(&o, "GET /status", STATUS_MAX_BYTES, len);
}
