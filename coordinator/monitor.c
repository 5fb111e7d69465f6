/*
 * monitor.c -- scheduled checks (see monitor.h).
 *
 * Each monitor runs as an ordinary reachability check (a random token, the
 * way the pre-issuance check runs without a key authorization) at a fixed
 * offset within its interval.  The offset is a hash of the name and the
 * slots are counted on the wall clock, so a restart keeps the schedule and
 * a run recorded in the current slot is not repeated.  Each (monitor,
 * domain, method) is a target with a monitor_track: its state changes and
 * alerts follow monitor_track_feed, and the track is saved after every run,
 * so a restart neither forgets a failure nor alerts about it twice.
 *
 * Runs in flight are `struct s_run`s, owned here and handed to the start
 * function as the done callback's argument: a monitor removed (API, reload)
 * while its check runs simply finds no taker for the results.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor.h"
#include "alert.h"
#include "checks.h"
#include "config.h"
#include "history.h"
#include "names.h"
#include "../common/certcheck.h"
#include "../common/keys.h"
#include "../common/log.h"

/* One (domain, method) of a monitor. */
struct s_target {
	char domain[LIMIT_DOMAIN_LEN + 1];
	enum vt_method method;
	struct monitor_track track;
	json_t *vantages; /* the latest run's rows (owned); NULL before the first */
	json_t *cert;     /* tls-cert: the latest run's worst certificate (owned), or NULL */
};

struct s_mon {
	struct monitor_spec spec;
	struct s_target targets[MONITOR_TARGETS_PER_MONITOR];
	size_t n_targets;
	bool scheduled;     /* next_run is set (the first tick sets it) */
	int64_t next_run;   /* the slot monitors_tick starts next */
	int64_t last_start; /* the latest run's start; after a restart, from the tracks */
	uint64_t run_id;    /* the run in flight, 0 = none */
};

/* A run in flight: the done callback's argument. */
struct s_run {
	struct s_run *next;
	struct monitors *m; /* NULL once monitors_destroy ran first */
	char name[MONITOR_NAME_LEN + 1];
	uint64_t id;
	int64_t started;
};

struct monitors {
	struct monitoring_cfg cfg;
	struct history *history; /* borrowed; may be NULL */
	struct alerts *alerts;   /* borrowed; may be NULL */
	monitor_start_fn start;
	void *start_ctx;
	struct s_mon *v[MONITOR_MAX]; /* config monitors first, then API ones */
	size_t n;
	struct s_run *runs; /* in flight, at most one per monitor */
	uint64_t next_id;
	int64_t next_prune; /* 0 = at the first tick */
	struct monitor_counters counters;
};

/* ---- specs ---- */

const char *monitor_policy_name(enum monitor_policy p)
{
	return p == MONITOR_POLICY_LE ? "letsencrypt" : "all";
}

int monitor_policy_parse(const char *s, enum monitor_policy *out)
{
	if (strcmp(s, "all") == 0)
		*out = MONITOR_POLICY_ALL;
	else if (strcmp(s, "letsencrypt") == 0)
		*out = MONITOR_POLICY_LE;
	else
		return -1;
	return 0;
}

const char *monitor_state_name(enum monitor_state s)
{
	switch (s) {
	case MONITOR_PASS:
		return "pass";
	case MONITOR_FAIL:
		return "fail";
	case MONITOR_UNKNOWN:
		break;
	}
	return "unknown";
}

int monitor_parse_interval(const char *s, uint32_t *out)
{
	uint64_t v = 0, mult = 1;
	size_t i = 0;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	for (; isdigit((unsigned char)s[i]); i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	if (s[i] == 'm')
		mult = 60;
	else if (s[i] == 'h')
		mult = 3600;
	else if (s[i] == 'd')
		mult = MONITOR_DAY_S;
	else if (s[i] != 's' && s[i] != '\0')
		return -1;
	if (s[i] != '\0' && s[i + 1] != '\0')
		return -1;
	if (v * mult > UINT32_MAX)
		return -1;
	*out = (uint32_t)(v * mult);
	return 0;
}

/* Can a monitor ask for method m? */
static bool s_method_ok(enum vt_method m)
{
	return m == VT_METHOD_HTTP01 || m == VT_METHOD_TLSALPN01 || m == VT_METHOD_DNS01 ||
	       m == VT_METHOD_TLSCERT;
}

int monitor_spec_validate(struct monitor_spec *m, char *err, size_t errlen)
{
	/* The check request holds CHECKS_MAX_METHODS; a monitor must fit. */
	size_t max_methods =
	        MONITOR_MAX_METHODS < CHECKS_MAX_METHODS ? MONITOR_MAX_METHODS : CHECKS_MAX_METHODS;
	char sub[256];
	unsigned mask;

	if (strnlen(m->name, sizeof(m->name)) >= sizeof(m->name) || !keys_valid_name(m->name)) {
		snprintf(err, errlen,
		         "invalid monitor name (want [A-Za-z0-9._-], 1..%d characters, not "
		         "starting with '.')",
		         MONITOR_NAME_LEN);
		return -1;
	}
	if (m->n_domains == 0 || m->n_domains > MONITOR_MAX_DOMAINS) {
		snprintf(err, errlen, "monitor %s: domains must hold 1..%d names", m->name,
		         MONITOR_MAX_DOMAINS);
		return -1;
	}
	for (size_t i = 0; i < m->n_domains; i++) {
		char in[LIMIT_DOMAIN_LEN + 1];

		memcpy(in, m->domains[i], sizeof(in));
		in[LIMIT_DOMAIN_LEN] = '\0';
		if (checks_parse_domain(in, m->domains[i], sub, sizeof(sub)) != 0) {
			snprintf(err, errlen, "monitor %s: domains[%zu]: %s", m->name, i, sub);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(m->domains[j], m->domains[i]) == 0) {
				snprintf(err, errlen, "monitor %s: domain %s is listed twice",
				         m->name, m->domains[i]);
				return -1;
			}
		}
	}
	if (m->n_methods > max_methods || (m->n_methods == 0 && !m->caa)) {
		snprintf(err, errlen, "monitor %s: methods must hold 1..%zu names (or caa be true)",
		         m->name, max_methods);
		return -1;
	}
	for (size_t i = 0; i < m->n_methods; i++) {
		if (!s_method_ok(m->methods[i])) {
			snprintf(err, errlen,
			         "monitor %s: methods[%zu] must be http-01, tls-alpn-01, dns-01 or "
			         "tls-cert",
			         m->name, i);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (m->methods[j] == m->methods[i]) {
				snprintf(err, errlen, "monitor %s: method %s is listed twice",
				         m->name, vt_method_name(m->methods[i]));
				return -1;
			}
		}
	}
	mask = names_methods_mask(m->methods, m->n_methods, m->caa);
	for (size_t i = 0; i < m->n_domains; i++) { /* what Let's Encrypt refuses (names.h) */
		char norm[LIMIT_DOMAIN_LEN + 1], why[NAMES_ERR_LEN];
		if (names_check(m->domains[i], mask, norm, NULL, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "monitor %s: %s", m->name, why);
			return -1;
		}
	}
	if (m->interval_s < MONITOR_MIN_INTERVAL_S || m->interval_s > MONITOR_MAX_INTERVAL_S) {
		snprintf(err, errlen, "monitor %s: interval must be %d..%d seconds", m->name,
		         MONITOR_MIN_INTERVAL_S, MONITOR_MAX_INTERVAL_S);
		return -1;
	}
	if (m->n_regions > MONITOR_MAX_REGIONS) {
		snprintf(err, errlen, "monitor %s: at most %d regions", m->name,
		         MONITOR_MAX_REGIONS);
		return -1;
	}
	for (size_t i = 0; i < m->n_regions; i++) {
		if (!coord_config_valid_label(m->regions[i])) {
			snprintf(err, errlen,
			         "monitor %s: regions[%zu] must be 1..%d printable characters "
			         "without '\"' or '\\'",
			         m->name, i, LIMIT_REGION_LEN);
			return -1;
		}
	}
	if (m->policy != MONITOR_POLICY_ALL && m->policy != MONITOR_POLICY_LE) {
		snprintf(err, errlen, "monitor %s: policy must be all or letsencrypt", m->name);
		return -1;
	}
	return 0;
}

/* Copy the strings of JSON array a (key names it) into dst[max][width]; *n
 * their number.  0, or -1 with err. */
static int s_json_strs(const json_t *a, const char *key, char *dst, size_t width, size_t max,
                       size_t *n, char *err, size_t errlen)
{
	if (!json_is_array(a) || json_array_size(a) > max) {
		snprintf(err, errlen, "%s must be an array of at most %zu strings", key, max);
		return -1;
	}
	*n = 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *s = json_array_get(a, i);

		if (!json_is_string(s) || json_string_length(s) == 0 ||
		    json_string_length(s) >= width ||
		    strlen(json_string_value(s)) != json_string_length(s)) {
			snprintf(err, errlen, "%s[%zu] must be a string of 1..%zu characters", key,
			         i, width - 1);
			return -1;
		}
		memcpy(dst + i * width, json_string_value(s), json_string_length(s) + 1);
		(*n)++;
	}
	return 0;
}

int monitor_spec_from_json(const json_t *o, struct monitor_spec *m, char *err, size_t errlen)
{
	static const char *const known[] = {"name",       "domains", "methods", "caa",
	                                    "interval_s", "regions", "policy"};
	char words[MONITOR_MAX_METHODS][MONITOR_WORD_LEN];
	const char *key;
	const json_t *v;
	size_t n = 0;

	memset(m, 0, sizeof(*m));
	m->interval_s = MONITOR_DEFAULT_INTERVAL;
	m->methods[0] = VT_METHOD_HTTP01;
	m->n_methods = 1;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "a monitor must be a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		bool ok = false;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= strcmp(key, known[k]) == 0;
		if (!ok) {
			char esc[64];
			snprintf(err, errlen,
			         "unknown field \"%s\" (name, domains, methods, caa, interval_s, "
			         "regions, policy)",
			         log_escape(esc, sizeof(esc), key, strlen(key)));
			return -1;
		}
	}
	v = json_object_get(o, "name");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > MONITOR_NAME_LEN) {
		snprintf(err, errlen, "name must be a string of 1..%d characters",
		         MONITOR_NAME_LEN);
		return -1;
	}
	memcpy(m->name, json_string_value(v), json_string_length(v) + 1);
	v = json_object_get(o, "domains");
	if (v == NULL) {
		snprintf(err, errlen, "domains is required");
		return -1;
	}
	if (s_json_strs(v, "domains", &m->domains[0][0], sizeof(m->domains[0]), MONITOR_MAX_DOMAINS,
	                &m->n_domains, err, errlen) != 0)
		return -1;
	v = json_object_get(o, "methods");
	if (v != NULL) {
		if (s_json_strs(v, "methods", &words[0][0], sizeof(words[0]), MONITOR_MAX_METHODS,
		                &n, err, errlen) != 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			m->methods[i] = vt_method_parse(words[i]);
			if (!s_method_ok(m->methods[i])) {
				snprintf(err, errlen,
				         "methods[%zu] must be http-01, tls-alpn-01, dns-01 or "
				         "tls-cert (CAA is \"caa\": true)",
				         i);
				return -1;
			}
		}
		m->n_methods = n;
	}
	v = json_object_get(o, "caa");
	if (v != NULL) {
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "caa must be true or false");
			return -1;
		}
		m->caa = json_is_true(v);
	}
	v = json_object_get(o, "interval_s");
	if (v != NULL) {
		uint32_t u = 0;
		bool ok = false;

		if (json_is_integer(v) && json_integer_value(v) >= MONITOR_MIN_INTERVAL_S &&
		    json_integer_value(v) <= MONITOR_MAX_INTERVAL_S) {
			u = (uint32_t)json_integer_value(v);
			ok = true;
		} else if (json_is_string(v) &&
		           monitor_parse_interval(json_string_value(v), &u) == 0) {
			ok = u >= MONITOR_MIN_INTERVAL_S && u <= MONITOR_MAX_INTERVAL_S;
		}
		if (!ok) {
			snprintf(err, errlen,
			         "interval_s must be %d..%d seconds (a number, or a string such as "
			         "\"5m\")",
			         MONITOR_MIN_INTERVAL_S, MONITOR_MAX_INTERVAL_S);
			return -1;
		}
		m->interval_s = u;
	}
	v = json_object_get(o, "regions");
	if (v != NULL && s_json_strs(v, "regions", &m->regions[0][0], sizeof(m->regions[0]),
	                             MONITOR_MAX_REGIONS, &m->n_regions, err, errlen) != 0)
		return -1;
	v = json_object_get(o, "policy");
	if (v != NULL &&
	    (!json_is_string(v) || monitor_policy_parse(json_string_value(v), &m->policy) != 0)) {
		snprintf(err, errlen, "policy must be \"all\" or \"letsencrypt\"");
		return -1;
	}
	return monitor_spec_validate(m, err, errlen);
}

json_t *monitor_spec_json(const struct monitor_spec *m)
{
	json_t *o = json_object(), *d = json_array(), *me = json_array(), *r = json_array();
	int bad = o == NULL || d == NULL || me == NULL || r == NULL;

	for (size_t i = 0; !bad && i < m->n_domains && i < MONITOR_MAX_DOMAINS; i++)
		bad |= json_array_append_new(d, json_string(m->domains[i]));
	for (size_t i = 0; !bad && i < m->n_methods && i < MONITOR_MAX_METHODS; i++)
		bad |= json_array_append_new(me, json_string(vt_method_name(m->methods[i])));
	for (size_t i = 0; !bad && i < m->n_regions && i < MONITOR_MAX_REGIONS; i++)
		bad |= json_array_append_new(r, json_string(m->regions[i]));
	if (!bad) {
		bad |= json_object_set_new(o, "name", json_string(m->name));
		bad |= json_object_set(o, "domains", d);
		bad |= json_object_set(o, "methods", me);
		bad |= json_object_set_new(o, "caa", json_boolean(m->caa));
		bad |= json_object_set_new(o, "interval_s", json_integer(m->interval_s));
		bad |= json_object_set(o, "regions", r);
		bad |= json_object_set_new(o, "policy",
		                           json_string(monitor_policy_name(m->policy)));
	}
	json_decref(d);
	json_decref(me);
	json_decref(r);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- schedule ---- */

uint32_t monitor_offset(const struct monitor_spec *m)
{
	uint32_t h = 2166136261u; /* FNV-1a, 32 bits */

	if (m->interval_s == 0)
		return 0;
	for (size_t i = 0; i < sizeof(m->name) && m->name[i] != '\0'; i++) {
		h ^= (uint8_t)m->name[i];
		h *= 16777619u;
	}
	return h % m->interval_s;
}

int64_t monitor_next_slot(const struct monitor_spec *m, int64_t after)
{
	int64_t ivl = m->interval_s > 0 ? m->interval_s : 1;
	int64_t off = monitor_offset(m), d = after - off;
	/* floor((after - off) / ivl), also for after < off */
	int64_t k = d >= 0 ? d / ivl : -((-d + ivl - 1) / ivl);

	return off + (k + 1) * ivl;
}

/* The slot now falls in (its start, <= now). */
static int64_t s_slot_start(const struct monitor_spec *m, int64_t now)
{
	return monitor_next_slot(m, now) - (int64_t)m->interval_s;
}

/* When mon runs next, seen at now: the current slot unless a run started
 * within it already (before a restart or a reload, too). */
static int64_t s_next_run(const struct s_mon *mon, int64_t now)
{
	int64_t cur = s_slot_start(&mon->spec, now);

	return mon->last_start >= cur ? cur + (int64_t)mon->spec.interval_s : cur;
}

int monitor_track_feed(struct monitor_track *t, enum monitor_state run, uint32_t alert_after,
                       int64_t now)
{
	if (alert_after == 0)
		alert_after = 1;
	t->last = run;
	t->last_run = now;
	switch (run) {
	case MONITOR_UNKNOWN:
		return 0;
	case MONITOR_FAIL:
		t->consecutive_pass = 0;
		if (t->consecutive_fail < UINT32_MAX)
			t->consecutive_fail++;
		if (t->state != MONITOR_FAIL && t->consecutive_fail >= alert_after) {
			t->state = MONITOR_FAIL;
			t->since = now;
			return 1;
		}
		return 0;
	case MONITOR_PASS:
		t->consecutive_fail = 0;
		if (t->consecutive_pass < UINT32_MAX)
			t->consecutive_pass++;
		if (t->state == MONITOR_PASS)
			return 0;
		t->since = now;
		if (t->state == MONITOR_FAIL) {
			t->state = MONITOR_PASS;
			return 2;
		}
		t->state = MONITOR_PASS;
		return 0;
	}
	return 0;
}

/* ---- judging a run ---- */

static struct certcheck_policy s_cert_policy(const struct monitoring_cfg *cfg)
{
	struct certcheck_policy p;

	p.warn_fraction = cfg->cert_warn_fraction;
	p.crit_fraction = cfg->cert_crit_fraction;
	p.crit_days = cfg->cert_crit_days;
	return p;
}

/* Does row r of a check count: answered (pass, reachable or fail) and
 * judged? */
static bool s_row_counts(const json_t *r)
{
	const char *o = json_string_value(json_object_get(r, "outcome"));

	if (o == NULL || strcmp(o, "unavailable") == 0)
		return false;
	return !json_is_false(json_object_get(r, "judged"));
}

/* Is counting row r a failure: outcome fail, or (tls-cert) a certificate
 * that is critical or expired at now? */
static bool s_row_fails(const json_t *r, bool tlscert, const struct monitoring_cfg *cfg,
                        int64_t now)
{
	const char *o = json_string_value(json_object_get(r, "outcome"));
	struct certcheck_policy p = s_cert_policy(cfg);
	enum certcheck_level l;
	char msg[256];

	if (o != NULL && strcmp(o, "fail") == 0)
		return true;
	if (!tlscert)
		return false;
	l = certcheck_judge_json(json_object_get(r, "cert"), now, &p, msg, sizeof(msg));
	return l == CERTCHECK_CRITICAL || l == CERTCHECK_EXPIRED;
}

static bool s_is_tlscert(const json_t *check)
{
	const char *m = json_string_value(json_object_get(check, "method"));

	return m != NULL && vt_method_parse(m) == VT_METHOD_TLSCERT;
}

enum monitor_state monitor_run_state(const json_t *check, enum monitor_policy policy,
                                     const struct monitoring_cfg *cfg, int64_t now)
{
	const json_t *res = json_object_get(check, "results");
	bool tlscert = s_is_tlscert(check);
	size_t answered = 0, failed = 0;

	if (policy == MONITOR_POLICY_LE && !tlscert) {
		const json_t *acc =
		        json_object_get(json_object_get(check, "le_multi_perspective"), "accepted");
		if (json_is_true(acc))
			return MONITOR_PASS;
		return json_is_false(acc) ? MONITOR_FAIL : MONITOR_UNKNOWN;
	}
	for (size_t i = 0; i < json_array_size(res); i++) {
		const json_t *r = json_array_get(res, i);

		if (!s_row_counts(r))
			continue;
		answered++;
		if (s_row_fails(r, tlscert, cfg, now))
			failed++;
	}
	if (failed > 0)
		return MONITOR_FAIL;
	return answered > 0 ? MONITOR_PASS : MONITOR_UNKNOWN;
}

/* ---- JSON helpers ---- */

/* Unix seconds as RFC 3339 UTC; JSON null for 0 or an unrepresentable time. */
static json_t *s_time_json(int64_t t)
{
	char buf[VT_TIME_LEN];

	if (t <= 0 || vt_time_rfc3339(t, buf, sizeof(buf)) != 0)
		return json_null();
	return json_string(buf);
}

/* A new reference to v, or JSON null when v is missing. */
static json_t *s_or_null(json_t *v)
{
	return v != NULL ? json_incref(v) : json_null();
}

/* {type, detail} of row r's problem (with summary if with_summary), or null. */
static json_t *s_problem(const json_t *r, bool with_summary)
{
	json_t *p = json_object_get(r, "problem"), *o;
	int bad;

	if (!json_is_object(p))
		return json_null();
	o = json_object();
	if (o == NULL)
		return NULL;
	bad = json_object_set_new(o, "type", s_or_null(json_object_get(p, "type")));
	bad |= json_object_set_new(o, "detail", s_or_null(json_object_get(p, "detail")));
	if (with_summary && json_object_get(p, "summary") != NULL)
		bad |= json_object_set_new(o, "summary", s_or_null(json_object_get(p, "summary")));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Row r's certificate judged at now: {not_after, not_after_unix, sha256,
 * issuer, subject, level, message}, null without one; *level gets the
 * level (CERTCHECK_NONE without one). */
static json_t *s_cert_summary(const json_t *r, const struct monitoring_cfg *cfg, int64_t now,
                              enum certcheck_level *level)
{
	json_t *c = json_object_get(r, "cert"), *o;
	struct certcheck_policy p = s_cert_policy(cfg);
	char msg[256] = "";
	int bad;

	*level = certcheck_judge_json(c, now, &p, msg, sizeof(msg));
	if (!json_is_object(c))
		return json_null();
	o = json_object();
	if (o == NULL)
		return NULL;
	bad = json_object_set_new(o, "not_after", s_or_null(json_object_get(c, "not_after")));
	bad |= json_object_set_new(o, "not_after_unix",
	                           s_or_null(json_object_get(c, "not_after_unix")));
	bad |= json_object_set_new(o, "sha256", s_or_null(json_object_get(c, "sha256")));
	bad |= json_object_set_new(o, "issuer", s_or_null(json_object_get(c, "issuer")));
	bad |= json_object_set_new(o, "subject", s_or_null(json_object_get(c, "subject")));
	bad |= json_object_set_new(o, "level", json_string(certcheck_level_name(*level)));
	bad |= json_object_set_new(o, "message", json_string(msg));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- targets ---- */

static struct s_target *s_find_target(struct s_mon *mon, const char *domain, const char *method)
{
	for (size_t i = 0; i < mon->n_targets; i++) {
		struct s_target *t = &mon->targets[i];
		if (strcmp(t->domain, domain) == 0 &&
		    strcmp(vt_method_name(t->method), method) == 0)
			return t;
	}
	return NULL;
}

static void s_target_clear(struct s_target *t)
{
	json_decref(t->vantages);
	json_decref(t->cert);
	t->vantages = NULL;
	t->cert = NULL;
}

static void s_mon_free(struct s_mon *mon)
{
	if (mon == NULL)
		return;
	for (size_t i = 0; i < mon->n_targets; i++)
		s_target_clear(&mon->targets[i]);
	free(mon);
}

/*
 * A monitor for spec (copied) with its targets, in report order: per
 * domain the methods, then caa.  A target of old (a reload of the same
 * name) keeps its state and latest results; others load their track from
 * the history.  NULL on ENOMEM.
 */
static struct s_mon *s_mon_new(struct monitors *m, const struct monitor_spec *spec,
                               struct s_mon *old)
{
	struct s_mon *mon = calloc(1, sizeof(*mon));

	if (mon == NULL)
		return NULL;
	mon->spec = *spec;
	for (size_t d = 0; d < spec->n_domains && d < MONITOR_MAX_DOMAINS; d++) {
		size_t nm = spec->n_methods + (spec->caa ? 1 : 0);
		for (size_t k = 0; k < nm && k <= MONITOR_MAX_METHODS; k++) {
			struct s_target *t = &mon->targets[mon->n_targets++];
			struct s_target *o;

			snprintf(t->domain, sizeof(t->domain), "%s", spec->domains[d]);
			t->method = k < spec->n_methods ? spec->methods[k] : VT_METHOD_CAA;
			o = old != NULL ? s_find_target(old, t->domain, vt_method_name(t->method))
			                : NULL;
			if (o != NULL) {
				/* shared, never changed in place: s_keep_latest replaces */
				*t = *o;
				json_incref(t->vantages);
				json_incref(t->cert);
			} else if (m->history != NULL &&
			           history_track_load(m->history, spec->name, t->domain,
			                              vt_method_name(t->method), &t->track) != 0) {
				log_err("monitor %s: cannot load the state of %s %s from the "
				        "history database: starting from unknown",
				        spec->name, t->domain, vt_method_name(t->method));
				memset(&t->track, 0, sizeof(t->track));
			}
			if (t->track.last_run > mon->last_start)
				mon->last_start = t->track.last_run;
		}
	}
	if (old != NULL) {
		if (old->last_start > mon->last_start)
			mon->last_start = old->last_start;
		mon->run_id = old->run_id;
	}
	return mon;
}

static int s_find(const struct monitors *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i]->spec.name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- runs ---- */

static void s_unlink_run(struct monitors *m, struct s_run *run)
{
	for (struct s_run **p = &m->runs; *p != NULL; p = &(*p)->next) {
		if (*p == run) {
			*p = run->next;
			return;
		}
	}
}

/* Keep check's rows as t's latest results (for monitors_json). */
static void s_keep_latest(struct monitors *m, struct s_target *t, const json_t *check, int64_t now)
{
	const json_t *res = json_object_get(check, "results");
	bool tlscert = t->method == VT_METHOD_TLSCERT;
	json_t *rows = json_array(), *worst = NULL;
	enum certcheck_level worst_level = CERTCHECK_NONE;
	int bad = rows == NULL;

	for (size_t i = 0; !bad && i < json_array_size(res); i++) {
		json_t *r = json_array_get(res, i), *o = json_object(), *cert;
		enum certcheck_level l = CERTCHECK_NONE;

		if (o == NULL) {
			bad = 1;
			break;
		}
		cert = tlscert ? s_cert_summary(r, &m->cfg, now, &l) : json_null();
		bad |= json_object_set_new(o, "agent", s_or_null(json_object_get(r, "agent")));
		bad |= json_object_set_new(o, "region", s_or_null(json_object_get(r, "region")));
		bad |= json_object_set_new(o, "rir", s_or_null(json_object_get(r, "rir")));
		bad |= json_object_set_new(o, "outcome", s_or_null(json_object_get(r, "outcome")));
		bad |= json_object_set_new(o, "problem", s_problem(r, true));
		bad |= json_object_set_new(o, "duration_ms",
		                           s_or_null(json_object_get(r, "duration_ms")));
		bad |= json_object_set_new(o, "address",
		                           s_or_null(json_object_get(r, "address_used")));
		if (!bad && json_is_object(cert) && l != CERTCHECK_NONE &&
		    (worst == NULL || l > worst_level ||
		     (l == worst_level &&
		      json_integer_value(json_object_get(cert, "not_after_unix")) <
		              json_integer_value(json_object_get(worst, "not_after_unix"))))) {
			json_decref(worst);
			worst = json_deep_copy(cert);
			worst_level = l;
			bad |= worst == NULL ||
			       json_object_set_new(worst, "agent",
			                           s_or_null(json_object_get(r, "agent")));
		}
		bad |= json_object_set_new(o, "cert", cert);
		bad |= json_array_append_new(rows, o);
	}
	if (bad) {
		log_err("monitor: out of memory keeping the latest results of %s %s", t->domain,
		        vt_method_name(t->method));
		json_decref(rows);
		json_decref(worst);
		return;
	}
	s_target_clear(t);
	t->vantages = rows;
	t->cert = worst;
}

/* The check's findings, as an alert carries them: id, severity, summary,
 * vantages and fix (the rest is in the history and docs/findings.md). */
static json_t *s_findings_brief(const json_t *check)
{
	const json_t *fs = json_object_get(check, "findings");
	json_t *out = json_array();

	for (size_t i = 0; out != NULL && i < json_array_size(fs); i++) {
		const json_t *f = json_array_get(fs, i);
		json_t *o = json_object();
		if (o == NULL || json_array_append_new(out, o) != 0)
			break;
		json_object_set_new(o, "id", s_or_null(json_object_get(f, "id")));
		json_object_set_new(o, "severity", s_or_null(json_object_get(f, "severity")));
		json_object_set_new(o, "summary", s_or_null(json_object_get(f, "summary")));
		json_object_set_new(o, "vantages",
		                    json_is_array(json_object_get(f, "vantages"))
		                            ? json_deep_copy(json_object_get(f, "vantages"))
		                            : json_array());
		json_object_set_new(o, "fix", s_or_null(json_object_get(f, "fix")));
	}
	return out;
}

/* The alert payload for target t of mon after check (alert.h), kind 1
 * failure, 2 recovery.  NULL on ENOMEM. */
static json_t *s_payload(struct monitors *m, const struct s_mon *mon, const struct s_target *t,
                         const json_t *check, int kind, int64_t now)
{
	const json_t *res = json_object_get(check, "results");
	bool tlscert = t->method == VT_METHOD_TLSCERT;
	json_t *p = json_object(), *vs = json_array(), *failing = json_array();
	json_t *diag = json_object_get(check, "diagnosis");
	int bad = p == NULL || vs == NULL || failing == NULL;

	for (size_t i = 0; !bad && i < json_array_size(res); i++) {
		json_t *r = json_array_get(res, i), *o = json_object();
		if (o == NULL) {
			bad = 1;
			break;
		}
		bad |= json_object_set_new(o, "agent", s_or_null(json_object_get(r, "agent")));
		bad |= json_object_set_new(o, "region", s_or_null(json_object_get(r, "region")));
		bad |= json_object_set_new(o, "rir", s_or_null(json_object_get(r, "rir")));
		bad |= json_object_set_new(o, "outcome", s_or_null(json_object_get(r, "outcome")));
		bad |= json_object_set_new(o, "problem", s_problem(r, false));
		if (tlscert) {
			enum certcheck_level l;
			bad |= json_object_set_new(o, "cert", s_cert_summary(r, &m->cfg, now, &l));
		}
		bad |= json_array_append_new(vs, o);
		if (!bad && s_row_counts(r) && s_row_fails(r, tlscert, &m->cfg, now))
			bad |= json_array_append_new(failing,
			                             s_or_null(json_object_get(r, "agent")));
	}
	if (!bad) {
		bad |= json_object_set_new(p, "kind",
		                           json_string(kind == 1 ? "failure" : "recovery"));
		bad |= json_object_set_new(p, "monitor", json_string(mon->spec.name));
		bad |= json_object_set_new(p, "domain", json_string(t->domain));
		bad |= json_object_set_new(p, "method", json_string(vt_method_name(t->method)));
		bad |= json_object_set_new(p, "state",
		                           json_string(monitor_state_name(t->track.state)));
		bad |= json_object_set_new(p, "since", s_time_json(t->track.since));
		bad |= json_object_set_new(p, "consecutive_failures",
		                           json_integer(t->track.consecutive_fail));
		bad |= json_object_set(p, "vantages", vs);
		bad |= json_object_set(p, "failing", failing);
		bad |= json_object_set_new(
		        p, "diagnosis", json_is_array(diag) ? json_deep_copy(diag) : json_array());
		bad |= json_object_set_new(p, "findings", s_findings_brief(check));
		bad |= json_object_set_new(
		        p, "le_multi_perspective",
		        s_or_null(json_object_get(check, "le_multi_perspective")));
		bad |= json_object_set_new(p, "at", s_time_json(now));
	}
	json_decref(vs);
	json_decref(failing);
	if (bad) {
		json_decref(p);
		return NULL;
	}
	return p;
}

/* A transition of t (kind 1 failure, 2 recovery): queue the alert, log it
 * in the history, count it. */
static void s_alert(struct monitors *m, const struct s_mon *mon, const struct s_target *t,
                    const json_t *check, int kind, int64_t now)
{
	const char *kn = kind == 1 ? "failure" : "recovery";
	json_t *p = s_payload(m, mon, t, check, kind, now);

	if (kind == 1) {
		m->counters.alerts_failure++;
		log_warn("monitor %s: %s %s fails (%u consecutive failing runs): failure alert",
		         mon->spec.name, t->domain, vt_method_name(t->method),
		         t->track.consecutive_fail);
	} else {
		m->counters.alerts_recovery++;
		log_info("monitor %s: %s %s passes again: recovery alert", mon->spec.name,
		         t->domain, vt_method_name(t->method));
	}
	if (p == NULL) {
		log_err("monitor %s: out of memory building the %s alert", mon->spec.name, kn);
		return;
	}
	if (m->alerts != NULL)
		alerts_post(m->alerts, p);
	if (m->history != NULL && history_alert_log(m->history, kn, p, now) != 0)
		log_err("monitor %s: cannot log the %s alert in the history database",
		        mon->spec.name, kn);
	json_decref(p);
}

/* A run of mon that started at `started` finished with doc (borrowed):
 * judge each (domain, method), keep, record, feed, alert. */
static void s_finish(struct monitors *m, struct s_mon *mon, const json_t *doc, int64_t started)
{
	const json_t *checks = json_object_get(doc, "checks");
	int64_t finished = (int64_t)time(NULL);
	char err[512];

	if (finished < started)
		finished = started;
	m->counters.runs++;
	for (size_t i = 0; i < json_array_size(checks); i++) {
		const json_t *c = json_array_get(checks, i);
		const char *d = json_string_value(json_object_get(c, "domain"));
		const char *me = json_string_value(json_object_get(c, "method"));
		struct s_target *t = d && me ? s_find_target(mon, d, me) : NULL;
		enum monitor_state st;
		int tr;

		if (t == NULL)
			continue;
		st = monitor_run_state(c, mon->spec.policy, &m->cfg, finished);
		s_keep_latest(m, t, c, finished);
		if (m->history != NULL && history_record(m->history, mon->spec.name, c, st, started,
		                                         finished, err, sizeof(err)) != 0)
			log_err("monitor %s: cannot record the run of %s %s: %s", mon->spec.name,
			        t->domain, vt_method_name(t->method), err);
		tr = monitor_track_feed(&t->track, st, m->cfg.alert_after, started);
		if (m->history != NULL &&
		    history_track_save(m->history, mon->spec.name, t->domain,
		                       vt_method_name(t->method), &t->track) != 0)
			log_err("monitor %s: cannot save the state of %s %s in the history "
			        "database",
			        mon->spec.name, t->domain, vt_method_name(t->method));
		log_debug("monitor %s: %s %s: %s (state %s)", mon->spec.name, t->domain,
		          vt_method_name(t->method), monitor_state_name(st),
		          monitor_state_name(t->track.state));
		if (tr != 0)
			s_alert(m, mon, t, c, tr, finished);
	}
}

/* monitor_done_fn: a monitor's check finished (doc is ours). */
static void s_on_done(json_t *doc, void *arg)
{
	struct s_run *run = arg;
	struct monitors *m = run->m;
	int i;

	if (m == NULL)
		goto out; /* monitors_destroy came first */
	s_unlink_run(m, run);
	i = s_find(m, run->name);
	if (i < 0 || m->v[i]->run_id != run->id) {
		log_debug("monitor %s went away while its check ran: results dropped", run->name);
		goto out;
	}
	m->v[i]->run_id = 0;
	if (doc == NULL) {
		log_err("monitor %s: the check finished without a report (out of memory)",
		        run->name);
		goto out;
	}
	s_finish(m, m->v[i], doc, run->started);
out:
	json_decref(doc);
	free(run);
}

/* Start a run of mon at now.  0, or -1 (counted and logged). */
static int s_start(struct monitors *m, struct s_mon *mon, int64_t now)
{
	const struct monitor_spec *sp = &mon->spec;
	struct check_request *req = calloc(1, sizeof(*req));
	struct s_run *run = calloc(1, sizeof(*run));
	char err[512] = "";
	int rc = -1;

	mon->last_start = now;
	if (req == NULL || run == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	for (size_t i = 0; i < sp->n_domains && i < MONITOR_MAX_DOMAINS; i++)
		snprintf(req->domains[req->n_domains++], sizeof(req->domains[0]), "%s",
		         sp->domains[i]);
	/* monitor_spec_validate keeps n_methods within CHECKS_MAX_METHODS */
	for (size_t i = 0; i < sp->n_methods && i < MONITOR_MAX_METHODS && i < CHECKS_MAX_METHODS;
	     i++)
		req->methods[req->n_methods++] = sp->methods[i];
	for (size_t i = 0; i < sp->n_regions && i < MONITOR_MAX_REGIONS && i < CHECKS_MAX_REGIONS;
	     i++)
		snprintf(req->regions[req->n_regions++], sizeof(req->regions[0]), "%s",
		         sp->regions[i]);
	req->caa = sp->caa;
	/* Whether every vantage reaches the challenge path (or port 443, or
	 * the zone): a random token, like the pre-issuance check without a key
	 * authorization.  Budget and min_answers: the configured defaults. */
	req->mode = VT_MODE_REACHABILITY;
	run->m = m;
	run->id = ++m->next_id;
	run->started = now;
	snprintf(run->name, sizeof(run->name), "%s", sp->name);
	/* Linked before start: a start that called done at once finds it. */
	run->next = m->runs;
	m->runs = run;
	mon->run_id = run->id;
	if (m->start == NULL) {
		snprintf(err, sizeof(err), "no start function");
	} else if (m->start(m->start_ctx, req, s_on_done, run, err, sizeof(err)) == 0) {
		run = NULL;
		rc = 0;
	}
	if (run != NULL) {
		s_unlink_run(m, run);
		mon->run_id = 0;
	}
out:
	if (rc != 0) {
		m->counters.runs_failed_to_start++;
		log_warn("monitor %s: cannot start its check: %s", sp->name, err);
	}
	free(run);
	free(req);
	return rc;
}

/* ---- the scheduler ---- */

struct monitors *monitors_new(const struct monitor_spec *specs, size_t n,
                              const struct monitoring_cfg *cfg, struct history *history,
                              struct alerts *alerts, monitor_start_fn start, void *start_ctx,
                              char *err, size_t errlen)
{
	struct monitors *m = calloc(1, sizeof(*m));
	struct monitor_spec *api = calloc(MONITOR_MAX, sizeof(*api));
	size_t na = 0;
	char sub[512];

	if (m == NULL || api == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	m->cfg = *cfg;
	m->history = history;
	m->alerts = alerts;
	m->start = start;
	m->start_ctx = start_ctx;
	if (n > MONITOR_MAX) {
		snprintf(err, errlen, "%zu monitors configured, at most %d allowed", n,
		         MONITOR_MAX);
		goto fail;
	}
	if (history != NULL &&
	    history_monitor_list(history, api, MONITOR_MAX, &na, sub, sizeof(sub)) != 0) {
		snprintf(err, errlen, "cannot read the monitors in the history database: %s", sub);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct monitor_spec sp = specs[i];

		sp.from_api = false;
		if (monitor_spec_validate(&sp, sub, sizeof(sub)) != 0) {
			snprintf(err, errlen, "%s", sub);
			goto fail;
		}
		if (s_find(m, sp.name) >= 0) {
			snprintf(err, errlen, "monitor %s is configured twice", sp.name);
			goto fail;
		}
		m->v[m->n] = s_mon_new(m, &sp, NULL);
		if (m->v[m->n] == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		m->n++;
	}
	for (size_t i = 0; i < na && i < MONITOR_MAX; i++) {
		api[i].from_api = true;
		if (monitor_spec_validate(&api[i], sub, sizeof(sub)) != 0) {
			log_err("monitor %s in the history database is invalid, not run: %s",
			        api[i].name, sub);
			continue;
		}
		if (s_find(m, api[i].name) >= 0) {
			snprintf(
			        err, errlen,
			        "monitor %s is in the configuration and was also added through the "
			        "API: rename one (vantage monitors remove %s drops the API one)",
			        api[i].name, api[i].name);
			goto fail;
		}
		if (m->n >= MONITOR_MAX) {
			snprintf(err, errlen,
			         "more than %d monitors in the configuration and the history "
			         "database together",
			         MONITOR_MAX);
			goto fail;
		}
		m->v[m->n] = s_mon_new(m, &api[i], NULL);
		if (m->v[m->n] == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		m->n++;
	}
	free(api);
	na = 0;
	for (size_t i = 0; i < m->n; i++)
		na += m->v[i]->spec.from_api ? 1 : 0;
	log_info("monitoring: %zu monitor(s) (%zu added through the API), alerts after %u "
	         "failing runs",
	         m->n, na, m->cfg.alert_after);
	return m;
fail:
	free(api);
	monitors_destroy(&m);
	return NULL;
}

void monitors_destroy(struct monitors **mp)
{
	struct monitors *m;

	if (mp == NULL || *mp == NULL)
		return;
	m = *mp;
	/* A run still in flight is freed by its done callback, which then
	 * finds nobody (checks_finish_all runs first in serve_destroy). */
	for (struct s_run *r = m->runs; r != NULL; r = r->next)
		r->m = NULL;
	for (size_t i = 0; i < m->n; i++)
		s_mon_free(m->v[i]);
	free(m);
	*mp = NULL;
}

int monitors_reload(struct monitors *m, const struct monitor_spec *specs, size_t n,
                    const struct monitoring_cfg *cfg, char *err, size_t errlen)
{
	struct s_mon *nv[MONITOR_MAX];
	size_t nn = 0, n_api = 0;
	char sub[512];

	for (size_t i = 0; i < m->n; i++)
		n_api += m->v[i]->spec.from_api ? 1 : 0;
	if (n + n_api > MONITOR_MAX) {
		snprintf(err, errlen,
		         "%zu monitors configured and %zu added through the API: at most %d in all",
		         n, n_api, MONITOR_MAX);
		return -1;
	}
	/* Build the whole new set first: nothing changes on an error. */
	for (size_t i = 0; i < n; i++) {
		struct monitor_spec sp = specs[i];
		int o;

		sp.from_api = false;
		if (monitor_spec_validate(&sp, sub, sizeof(sub)) != 0) {
			snprintf(err, errlen, "%s", sub);
			goto fail;
		}
		o = s_find(m, sp.name);
		if (o >= 0 && m->v[o]->spec.from_api) {
			snprintf(err, errlen,
			         "monitor %s was added through the API; the configuration cannot "
			         "define it too",
			         sp.name);
			goto fail;
		}
		for (size_t j = 0; j < nn; j++) {
			if (strcmp(nv[j]->spec.name, sp.name) == 0) {
				snprintf(err, errlen, "monitor %s is configured twice", sp.name);
				goto fail;
			}
		}
		nv[nn] = s_mon_new(m, &sp, o >= 0 ? m->v[o] : NULL);
		if (nv[nn] == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		nn++;
	}
	/* Commit: the old config monitors go (the new ones hold what they
	 * keep); the API ones follow the new list. */
	for (size_t i = 0, nc = nn; i < m->n; i++) {
		bool kept = false;

		if (m->v[i]->spec.from_api) {
			nv[nn++] = m->v[i];
			continue;
		}
		for (size_t j = 0; j < nc && !kept; j++)
			kept = strcmp(nv[j]->spec.name, m->v[i]->spec.name) == 0;
		if (!kept)
			log_info("reload: monitor %s removed", m->v[i]->spec.name);
		s_mon_free(m->v[i]);
	}
	for (size_t i = 0; i < nn; i++) {
		/* A changed interval moves the slots: rescheduled at the next tick
		 * (a run in this slot already counts). */
		nv[i]->scheduled = false;
		m->v[i] = nv[i];
	}
	m->n = nn;
	m->cfg = *cfg;
	return 0;
fail:
	for (size_t j = 0; j < nn; j++)
		s_mon_free(nv[j]);
	return -1;
}

size_t monitors_tick(struct monitors *m, int64_t now)
{
	size_t started = 0;

	if (m->history != NULL && m->cfg.retention_days > 0 && now >= m->next_prune) {
		long gone = history_prune(m->history,
		                          now - (int64_t)m->cfg.retention_days * MONITOR_DAY_S);
		if (gone < 0)
			log_err("monitoring: pruning the history database failed");
		else if (gone > 0)
			log_info("monitoring: %ld run(s) older than %u days pruned", gone,
			         m->cfg.retention_days);
		m->next_prune = now + MONITOR_PRUNE_IVL_S;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct s_mon *mon = m->v[i];

		/* Unscheduled (new, reloaded), or the wall clock went back by
		 * more than an interval: the slot is found again from now. */
		if (!mon->scheduled || mon->next_run - now > (int64_t)mon->spec.interval_s) {
			mon->next_run = s_next_run(mon, now);
			mon->scheduled = true;
		}
		if (now < mon->next_run)
			continue;
		mon->next_run = monitor_next_slot(&mon->spec, now);
		if (mon->run_id != 0) {
			m->counters.runs_skipped_overrun++;
			log_warn(
			        "monitor %s: its previous run is still going: this slot is skipped "
			        "(interval %u s; a longer one fits its checks)",
			        mon->spec.name, mon->spec.interval_s);
			continue;
		}
		if (s_start(m, mon, now) == 0)
			started++;
	}
	return started;
}

int64_t monitors_next_s(const struct monitors *m, int64_t now)
{
	int64_t best = MONITOR_PRUNE_IVL_S;

	if (m->history != NULL && m->cfg.retention_days > 0 && m->next_prune - now < best)
		best = m->next_prune - now;
	for (size_t i = 0; i < m->n; i++) {
		const struct s_mon *mon = m->v[i];
		if (!mon->scheduled)
			return 0;
		if (mon->next_run - now < best)
			best = mon->next_run - now;
	}
	return best > 0 ? best : 0;
}

int monitors_add(struct monitors *m, const struct monitor_spec *spec, char *err, size_t errlen)
{
	struct monitor_spec sp = *spec;
	struct s_mon *mon;
	char sub[512];

	sp.from_api = true;
	if (monitor_spec_validate(&sp, err, errlen) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (s_find(m, sp.name) >= 0) {
		snprintf(err, errlen, "a monitor called %s exists already", sp.name);
		errno = EEXIST;
		return -1;
	}
	if (m->n >= MONITOR_MAX) {
		snprintf(err, errlen, "there are %d monitors already, the most allowed",
		         MONITOR_MAX);
		errno = ENOSPC;
		return -1;
	}
	mon = s_mon_new(m, &sp, NULL);
	if (mon == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	if (m->history != NULL && history_monitor_put(m->history, &sp, sub, sizeof(sub)) != 0) {
		snprintf(err, errlen, "cannot store monitor %s in the history database: %s",
		         sp.name, sub);
		s_mon_free(mon);
		errno = EIO;
		return -1;
	}
	m->v[m->n++] = mon;
	log_info("monitor %s added: %zu domain(s), every %u s", sp.name, sp.n_domains,
	         sp.interval_s);
	return 0;
}

int monitors_remove(struct monitors *m, const char *name, char *err, size_t errlen)
{
	int i = s_find(m, name);

	if (i < 0) {
		snprintf(err, errlen, "no monitor called %s", name);
		errno = ENOENT;
		return -1;
	}
	if (!m->v[i]->spec.from_api) {
		snprintf(err, errlen,
		         "monitor %s is defined in the configuration file: remove it there and "
		         "reload",
		         name);
		errno = EPERM;
		return -1;
	}
	if (m->history != NULL && history_monitor_delete(m->history, name) != 0) {
		snprintf(err, errlen, "cannot delete monitor %s from the history database", name);
		errno = EIO;
		return -1;
	}
	log_info("monitor %s removed", name);
	s_mon_free(m->v[i]);
	memmove(&m->v[i], &m->v[i + 1], (m->n - (size_t)i - 1) * sizeof(m->v[0]));
	m->n--;
	return 0;
}

/* The JSON of target t for monitors_json.  NULL on ENOMEM. */
static json_t *s_target_json(const struct s_target *t)
{
	json_t *o = json_object();
	int bad = o == NULL;

	if (bad)
		return NULL;
	bad |= json_object_set_new(o, "domain", json_string(t->domain));
	bad |= json_object_set_new(o, "method", json_string(vt_method_name(t->method)));
	bad |= json_object_set_new(o, "state", json_string(monitor_state_name(t->track.state)));
	bad |= json_object_set_new(o, "last", json_string(monitor_state_name(t->track.last)));
	bad |= json_object_set_new(o, "since", s_time_json(t->track.since));
	bad |= json_object_set_new(o, "last_run", s_time_json(t->track.last_run));
	bad |= json_object_set_new(o, "consecutive_fail", json_integer(t->track.consecutive_fail));
	bad |= json_object_set_new(o, "consecutive_pass", json_integer(t->track.consecutive_pass));
	bad |= json_object_set_new(
	        o, "vantages", t->vantages != NULL ? json_deep_copy(t->vantages) : json_array());
	bad |= json_object_set_new(o, "cert",
	                           t->cert != NULL ? json_deep_copy(t->cert) : json_null());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *monitors_json(const struct monitors *m, int64_t now)
{
	json_t *doc = json_object(), *list = json_array();
	int bad = doc == NULL || list == NULL;

	for (size_t i = 0; !bad && i < m->n; i++) {
		const struct s_mon *mon = m->v[i];
		json_t *o = monitor_spec_json(&mon->spec), *ts = json_array();
		int64_t next = mon->scheduled ? mon->next_run : s_next_run(mon, now);

		bad |= o == NULL || ts == NULL;
		for (size_t k = 0; !bad && k < mon->n_targets; k++)
			bad |= json_array_append_new(ts, s_target_json(&mon->targets[k]));
		if (!bad) {
			bad |= json_object_set_new(
			        o, "source", json_string(mon->spec.from_api ? "api" : "config"));
			bad |= json_object_set_new(o, "running", json_boolean(mon->run_id != 0));
			bad |= json_object_set_new(o, "next_run",
			                           s_time_json(next > now ? next : now));
			bad |= json_object_set_new(o, "last_run", s_time_json(mon->last_start));
			bad |= json_object_set(o, "targets", ts);
			bad |= json_array_append(list, o);
		}
		json_decref(ts);
		json_decref(o);
	}
	if (!bad)
		bad |= json_object_set(doc, "monitors", list);
	json_decref(list);
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

const struct monitor_counters *monitors_counters(const struct monitors *m)
{
	return &m->counters;
}
