/*
 * test_monitor.c -- the monitors (coordinator/monitor.c): specs and their
 * JSON, the schedule arithmetic, the alert state machine, how a run is
 * judged from a report document, the scheduler driven with a fake start
 * function and fake times over a real history database, the `monitoring`
 * and `monitors` configuration, and one end-to-end run: the real serve loop
 * with a monitor every 2 s, a fake agent over CURVE on 127.0.0.1 that passes,
 * then fails, then passes again, and an alert_command that writes what it is
 * given.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/keys.h"
#include "coordinator/alert.h"
#include "coordinator/checks.h"
#include "coordinator/config.h"
#include "coordinator/history.h"
#include "coordinator/monitor.h"
#include "coordinator/serve.h"
#include "proto/proto.h"
#include "scratch.h"

#define T_WAIT_MS 3000       /* longest a test waits for one answer */
#define T_T0      1700000000 /* fake wall clock of the scheduler tests */

static char s_dir[64]; /* scratch directory of the tests that need one */

static void s_dir_setup(void)
{
	snprintf(s_dir, sizeof(s_dir), "/tmp/vt-mon-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
}

static void s_dir_teardown(void)
{
	scratch_remove(s_dir);
}

#define TDIR .init = s_dir_setup, .fini = s_dir_teardown, .timeout = 30

static json_t *s_json(const char *text)
{
	json_error_t e;
	json_t *o = json_loads(text, 0, &e);

	cr_assert_not_null(o, "bad test JSON (%s): %s", e.text, text);
	return o;
}

/* monitoring defaults, as config.c gives them */
static void s_cfg(struct monitoring_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->alert_after = MONITOR_DEFAULT_ALERT_AFTER;
	c->retention_days = MONITOR_DEFAULT_RETENTION_DAYS;
	c->cert_warn_fraction = MONITOR_CERT_WARN_FRACTION;
	c->cert_crit_fraction = MONITOR_CERT_CRIT_FRACTION;
	c->cert_crit_days = MONITOR_CERT_CRIT_DAYS;
	c->webhook_timeout_ms = ALERT_DEFAULT_TIMEOUT_MS;
	c->webhook_retries = ALERT_DEFAULT_RETRIES;
	c->alert_command_timeout_ms = ALERT_CMD_DEFAULT_TIMEOUT_MS;
}

/* ---- specs ---- */

Test(monitor, spec_json_round_trip)
{
	struct monitor_spec m, back;
	char err[256] = "";
	json_t *in =
	        s_json("{\"name\": \"www\", \"domains\": [\"WWW.Example.COM.\", \"b.example\"],"
	               " \"methods\": [\"http-01\", \"dns-01\"], \"caa\": true,"
	               " \"interval_s\": \"5m\", \"regions\": [\"eu-west\"],"
	               " \"policy\": \"letsencrypt\"}");
	json_t *out;

	cr_assert_eq(monitor_spec_from_json(in, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(m.name, "www");
	cr_assert_eq(m.n_domains, 2);
	cr_assert_str_eq(m.domains[0], "www.example.com", "normalised");
	cr_assert_eq(m.n_methods, 2);
	cr_assert_eq(m.methods[0], VT_METHOD_HTTP01);
	cr_assert_eq(m.methods[1], VT_METHOD_DNS01);
	cr_assert(m.caa);
	cr_assert_eq(m.interval_s, 300);
	cr_assert_eq(m.n_regions, 1);
	cr_assert_eq(m.policy, MONITOR_POLICY_LE);
	cr_assert_not(m.from_api);
	out = monitor_spec_json(&m);
	cr_assert_not_null(out);
	cr_assert_eq(json_integer_value(json_object_get(out, "interval_s")), 300);
	cr_assert_str_eq(json_string_value(json_object_get(out, "policy")), "letsencrypt");
	cr_assert_eq(monitor_spec_from_json(out, &back, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(&m, &back, sizeof(m)), 0, "the round trip changed the spec");
	json_decref(in);
	json_decref(out);

	/* defaults: http-01 every MONITOR_DEFAULT_INTERVAL s, policy all */
	in = s_json("{\"name\": \"d\", \"domains\": [\"a.example\"]}");
	cr_assert_eq(monitor_spec_from_json(in, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.n_methods, 1);
	cr_assert_eq(m.methods[0], VT_METHOD_HTTP01);
	cr_assert_eq(m.interval_s, MONITOR_DEFAULT_INTERVAL);
	cr_assert_eq(m.policy, MONITOR_POLICY_ALL);
	cr_assert_not(m.caa);
	json_decref(in);
}

static void s_spec_error(const char *text, const char *needle)
{
	struct monitor_spec m;
	char err[256] = "";
	json_t *in = s_json(text);

	cr_assert_eq(monitor_spec_from_json(in, &m, err, sizeof(err)), -1, "accepted: %s", text);
	cr_assert_not_null(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
	json_decref(in);
}

Test(monitor, spec_validation_errors)
{
	s_spec_error("[]", "object");
	s_spec_error("{\"domains\": [\"a.example\"]}", "name");
	s_spec_error("{\"name\": \"bad name\", \"domains\": [\"a.example\"]}",
	             "invalid monitor name");
	s_spec_error("{\"name\": \".x\", \"domains\": [\"a.example\"]}", "invalid monitor name");
	s_spec_error("{\"name\": \"x\"}", "domains");
	s_spec_error("{\"name\": \"x\", \"domains\": []}", "domains");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a..example\"]}", "domains[0]");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\", \"A.example\"]}", "twice");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\","
	             "\"8\",\"9\"]}",
	             "domains");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"methods\": [\"caa\"]}",
	             "caa");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"methods\": [\"smtp\"]}",
	             "methods[0]");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"methods\": [\"http-01\", "
	             "\"http-01\"]}",
	             "twice");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"methods\": []}", "methods");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"interval_s\": 1}",
	             "interval_s");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"interval_s\": 86401}",
	             "interval_s");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"interval_s\": \"5x\"}",
	             "interval_s");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"policy\": \"most\"}",
	             "policy");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"caa\": 1}", "caa");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"regions\": [\"a\\\"b\"]}",
	             "regions[0]");
	s_spec_error("{\"name\": \"x\", \"domains\": [\"a.example\"], \"interval\": 60}",
	             "unknown field \"interval\"");
}

Test(monitor, interval_text)
{
	uint32_t v = 0;

	cr_assert_eq(monitor_parse_interval("300", &v), 0);
	cr_assert_eq(v, 300);
	cr_assert_eq(monitor_parse_interval("45s", &v), 0);
	cr_assert_eq(v, 45);
	cr_assert_eq(monitor_parse_interval("5m", &v), 0);
	cr_assert_eq(v, 300);
	cr_assert_eq(monitor_parse_interval("2h", &v), 0);
	cr_assert_eq(v, 7200);
	cr_assert_eq(monitor_parse_interval("1d", &v), 0);
	cr_assert_eq(v, 86400);
	cr_assert_eq(monitor_parse_interval("", &v), -1);
	cr_assert_eq(monitor_parse_interval("m", &v), -1);
	cr_assert_eq(monitor_parse_interval("5mm", &v), -1);
	cr_assert_eq(monitor_parse_interval("-5", &v), -1);
	cr_assert_eq(monitor_parse_interval("99999999999", &v), -1);
	cr_assert_eq(monitor_parse_interval("9999999d", &v), -1);
}

/* ---- schedule ---- */

static struct monitor_spec s_spec(const char *name, uint32_t interval)
{
	struct monitor_spec m;

	memset(&m, 0, sizeof(m));
	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(m.domains[0], sizeof(m.domains[0]), "www.example.com");
	m.n_domains = 1;
	m.methods[0] = VT_METHOD_HTTP01;
	m.n_methods = 1;
	m.interval_s = interval;
	return m;
}

Test(monitor, offsets_are_stable_bounded_and_spread)
{
	char name[32];
	bool seen[60] = {false};
	size_t distinct = 0;

	for (int i = 0; i < 40; i++) {
		struct monitor_spec m;
		uint32_t off;

		snprintf(name, sizeof(name), "mon-%d", i);
		m = s_spec(name, 60);
		off = monitor_offset(&m);
		cr_assert_lt(off, 60);
		cr_assert_eq(monitor_offset(&m), off, "not stable");
		if (!seen[off])
			distinct++;
		seen[off] = true;
	}
	/* 40 names over 60 offsets: a hash spreads them (all in one or two
	 * slots would mean the name is ignored) */
	cr_assert_geq(distinct, 20, "only %zu distinct offsets", distinct);
	{
		struct monitor_spec a = s_spec("x", 2);
		cr_assert_lt(monitor_offset(&a), 2);
	}
}

Test(monitor, next_slot_arithmetic)
{
	struct monitor_spec m = s_spec("www", 300);
	int64_t off = monitor_offset(&m);
	/* a slot: off + k * 300 */
	int64_t slot = off + (int64_t)(T_T0 / 300) * 300;

	cr_assert_eq(monitor_next_slot(&m, slot - 1), slot);
	cr_assert_eq(monitor_next_slot(&m, slot), slot + 300, "strictly after");
	cr_assert_eq(monitor_next_slot(&m, slot + 299), slot + 300);
	cr_assert_eq(monitor_next_slot(&m, slot + 300), slot + 600);
	/* before the first slot and below zero too */
	cr_assert_eq(monitor_next_slot(&m, off - 1), off);
	cr_assert_eq(monitor_next_slot(&m, off - 301), off - 300);
	cr_assert_eq(monitor_next_slot(&m, -1 - 600 + off), off - 600);
	/* every slot is offset + k * interval */
	for (int64_t t = T_T0; t < T_T0 + 1000; t += 37) {
		int64_t n = monitor_next_slot(&m, t);
		cr_assert_gt(n, t);
		cr_assert_leq(n, t + 300);
		cr_assert_eq(((n - off) % 300 + 300) % 300, 0);
	}
}

/* ---- the alert state machine ---- */

struct t_step {
	enum monitor_state run;
	int ret;                  /* what monitor_track_feed returns */
	enum monitor_state state; /* t.state afterwards */
	uint32_t cf;              /* t.consecutive_fail afterwards */
};

static void s_feed(const struct t_step *steps, size_t n, uint32_t alert_after)
{
	struct monitor_track t;

	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < n; i++) {
		enum monitor_state before = t.state;
		int64_t now = T_T0 + (int64_t)i * 60;
		int r = monitor_track_feed(&t, steps[i].run, alert_after, now);

		cr_assert_eq(r, steps[i].ret, "step %zu (%s): returned %d, want %d", i,
		             monitor_state_name(steps[i].run), r, steps[i].ret);
		cr_assert_eq(t.state, steps[i].state, "step %zu: state %s, want %s", i,
		             monitor_state_name(t.state), monitor_state_name(steps[i].state));
		cr_assert_eq(t.consecutive_fail, steps[i].cf, "step %zu: consecutive_fail %u", i,
		             t.consecutive_fail);
		cr_assert_eq(t.last, steps[i].run);
		cr_assert_eq(t.last_run, now);
		if (t.state != before)
			cr_assert_eq(t.since, now, "step %zu: since not moved", i);
	}
}

Test(monitor, track_feed_table)
{
	const enum monitor_state P = MONITOR_PASS, F = MONITOR_FAIL, U = MONITOR_UNKNOWN;
	const struct t_step after2[] = {
	        {P, 0, P, 0},               /* unknown -> pass: nothing to recover from */
	        {F, 0, P, 1},               /* one failing run: no alert */
	        {P, 0, P, 0},               /* ... and it is forgotten */
	        {F, 0, P, 1}, {F, 1, F, 2}, /* two: the failure alert, once */
	        {F, 0, F, 3}, {F, 0, F, 4}, /* more: nothing new */
	        {U, 0, F, 4},               /* nobody answered: changes nothing */
	        {P, 2, P, 0},               /* the recovery alert, once */
	        {P, 0, P, 0}, {U, 0, P, 0},
	        {F, 0, P, 1}, {U, 0, P, 1}, /* an unknown run neither breaks nor extends a streak */
	        {F, 1, F, 2},
	};
	const struct t_step fresh_fail[] = {
	        {F, 0, U, 1},
	        {F, 1, F, 2},
	        {U, 0, F, 2},
	        {P, 2, P, 0},
	};
	const struct t_step after1[] = {
	        {U, 0, U, 0}, {F, 1, F, 1}, {F, 0, F, 2}, {P, 2, P, 0}, {F, 1, F, 1},
	};

	s_feed(after2, sizeof(after2) / sizeof(after2[0]), 2);
	s_feed(fresh_fail, sizeof(fresh_fail) / sizeof(fresh_fail[0]), 2);
	s_feed(after1, sizeof(after1) / sizeof(after1[0]), 1);
	cr_assert_str_eq(monitor_state_name(MONITOR_PASS), "pass");
	cr_assert_str_eq(monitor_state_name(MONITOR_FAIL), "fail");
	cr_assert_str_eq(monitor_state_name(MONITOR_UNKNOWN), "unknown");
}

/* ---- judging a run ---- */

/* One result row: agent, outcome, extra members (",..." or ""). */
static void s_row(char *buf, size_t len, const char *agent, const char *outcome, const char *extra)
{
	snprintf(buf, len,
	         "{\"agent\": \"%s\", \"region\": \"r-%s\", \"rir\": \"RIPE\", \"outcome\": \"%s\","
	         " \"judged\": true, \"problem\": %s%s}",
	         agent, agent, outcome,
	         strcmp(outcome, "fail") == 0
	                 ? "{\"type\": \"connection\", \"detail\": \"192.0.2.1: Timeout during "
	                   "connect (likely firewall problem)\", \"summary\": \"Timeout during "
	                   "connect\"}"
	                 : "null",
	         extra);
}

/* A check element for method with rows (JSON texts) and LE's accepted. */
static json_t *s_check(const char *method, const char *accepted, const char *r1, const char *r2,
                       const char *r3)
{
	char text[8192];

	snprintf(text, sizeof(text),
	         "{\"domain\": \"www.example.com\", \"method\": \"%s\", \"mode\": \"reachability\","
	         " \"verdict\": \"unknown\", \"diagnosis\": [\"first\", \"second\"],"
	         " \"findings\": [{\"id\": \"RegionalBlock\", \"severity\": \"error\","
	         " \"summary\": \"first\", \"vantages\": [\"a2\"], \"evidence\": [],"
	         " \"fix\": \"allow it\"}],"
	         " \"le_multi_perspective\": {\"accepted\": %s, \"reason\": \"r\"},"
	         " \"results\": [%s%s%s%s%s]}",
	         method, accepted, r1 ? r1 : "", r2 ? "," : "", r2 ? r2 : "", r3 ? "," : "",
	         r3 ? r3 : "");
	return s_json(text);
}

static enum monitor_state s_judge(const char *method, enum monitor_policy p, const char *accepted,
                                  const char *r1, const char *r2, const char *r3)
{
	struct monitoring_cfg cfg;
	json_t *c = s_check(method, accepted, r1, r2, r3);
	enum monitor_state st;

	s_cfg(&cfg);
	st = monitor_run_state(c, p, &cfg, (int64_t)time(NULL));
	json_decref(c);
	return st;
}

Test(monitor, run_state_all_policy_ignores_unavailable)
{
	char pass[512], reach[512], fail[512], unav[512], unjudged[512];
	const enum monitor_policy A = MONITOR_POLICY_ALL;

	s_row(pass, sizeof(pass), "a1", "pass", "");
	s_row(reach, sizeof(reach), "a2", "reachable", "");
	s_row(fail, sizeof(fail), "a3", "fail", "");
	s_row(unav, sizeof(unav), "a4", "unavailable", "");
	s_row(unjudged, sizeof(unjudged), "a5", "fail", "");
	memcpy(strstr(unjudged, "\"judged\": true"), "\"judged\":false",
	       strlen("\"judged\":false"));

	cr_assert_eq(s_judge("http-01", A, "null", pass, reach, unav), MONITOR_PASS);
	cr_assert_eq(s_judge("http-01", A, "true", pass, fail, unav), MONITOR_FAIL,
	             "one failing vantage fails the run, whatever LE says");
	cr_assert_eq(s_judge("http-01", A, "null", unav, NULL, NULL), MONITOR_UNKNOWN,
	             "no answer is not the site's fault");
	cr_assert_eq(s_judge("http-01", A, "null", NULL, NULL, NULL), MONITOR_UNKNOWN);
	cr_assert_eq(s_judge("http-01", A, "null", pass, unjudged, NULL), MONITOR_PASS,
	             "a row left out of the verdict counts neither way");
	cr_assert_eq(s_judge("caa", A, "false", pass, unav, NULL), MONITOR_PASS);
}

Test(monitor, run_state_letsencrypt_policy)
{
	char pass[512], fail[512], unav[512];
	const enum monitor_policy L = MONITOR_POLICY_LE;

	s_row(pass, sizeof(pass), "a1", "pass", "");
	s_row(fail, sizeof(fail), "a2", "fail", "");
	s_row(unav, sizeof(unav), "a3", "unavailable", "");
	cr_assert_eq(s_judge("http-01", L, "true", pass, fail, unav), MONITOR_PASS,
	             "LE would accept: one failing remote is allowed");
	cr_assert_eq(s_judge("http-01", L, "false", pass, pass, NULL), MONITOR_FAIL);
	cr_assert_eq(s_judge("dns-01", L, "null", pass, unav, NULL), MONITOR_UNKNOWN);
	cr_assert_eq(s_judge("caa", L, "false", pass, NULL, NULL), MONITOR_FAIL);
}

/* ",\"cert\": {...}" for a certificate valid from now - before_d days
 * until now + after_d days. */
static void s_cert(char *buf, size_t len, double before_d, double after_d)
{
	int64_t now = (int64_t)time(NULL);
	time_t nb = (time_t)(now - (int64_t)(before_d * 86400)),
	       na = (time_t)(now + (int64_t)(after_d * 86400));
	char tnb[32], tna[32];
	struct tm tm;

	strftime(tnb, sizeof(tnb), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&nb, &tm));
	strftime(tna, sizeof(tna), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&na, &tm));
	snprintf(buf, len,
	         ", \"cert\": {\"subject\": \"CN=www.example.com\", \"issuer\": \"CN=Lab CA\","
	         " \"sans\": [\"www.example.com\"], \"not_before\": \"%s\", \"not_after\": \"%s\","
	         " \"not_after_unix\": %lld, \"sha256\": \"%064d\", \"tls_version\": \"TLSv1.3\","
	         " \"alpn\": \"http/1.1\"}",
	         tnb, tna, (long long)na, 7);
}

Test(monitor, run_state_tls_cert_judges_the_certificate)
{
	char c_ok[1024], c_warn[1024], c_crit[1024], c_exp[1024];
	char ok[2048], warn[2048], crit[2048], exp[2048], unav[512];

	s_cert(c_ok, sizeof(c_ok), 10, 80);
	s_cert(c_warn, sizeof(c_warn), 70, 20); /* 22 % left: past the renewal point */
	s_cert(c_crit, sizeof(c_crit), 80, 10); /* 11 % and 10 days */
	s_cert(c_exp, sizeof(c_exp), 100, -3);
	s_row(ok, sizeof(ok), "a1", "pass", c_ok);
	s_row(warn, sizeof(warn), "a2", "pass", c_warn);
	s_row(crit, sizeof(crit), "a3", "pass", c_crit);
	s_row(exp, sizeof(exp), "a4", "pass", c_exp);
	s_row(unav, sizeof(unav), "a5", "unavailable", "");

	cr_assert_eq(s_judge("tls-cert", MONITOR_POLICY_ALL, "null", ok, unav, NULL), MONITOR_PASS);
	cr_assert_eq(s_judge("tls-cert", MONITOR_POLICY_ALL, "null", ok, warn, NULL), MONITOR_PASS,
	             "a warning is no failure");
	cr_assert_eq(s_judge("tls-cert", MONITOR_POLICY_ALL, "null", ok, crit, NULL), MONITOR_FAIL);
	cr_assert_eq(s_judge("tls-cert", MONITOR_POLICY_ALL, "null", ok, exp, NULL), MONITOR_FAIL,
	             "an expired certificate from one vantage fails the run");
	/* tls-cert is judged like ALL even under the letsencrypt policy */
	cr_assert_eq(s_judge("tls-cert", MONITOR_POLICY_LE, "true", ok, exp, NULL), MONITOR_FAIL);
	cr_assert_eq(s_judge("tls-cert", MONITOR_POLICY_LE, "null", ok, NULL, NULL), MONITOR_PASS);
	/* the same expired certificate on an http-01 row is not judged */
	cr_assert_eq(s_judge("http-01", MONITOR_POLICY_ALL, "null", ok, exp, NULL), MONITOR_PASS);
}

/* ---- the scheduler, with a fake start function and fake times ---- */

#define T_MAX_PENDING 8

struct t_fake {
	int calls;
	bool refuse;
	struct check_request last;
	size_t n;
	struct {
		monitor_done_fn done;
		void *arg;
		char domain[LIMIT_DOMAIN_LEN + 1];
		enum vt_method method;
	} p[T_MAX_PENDING];
};

static int s_fake_start(void *ctx, const struct check_request *req, monitor_done_fn done, void *arg,
                        char *err, size_t errlen)
{
	struct t_fake *f = ctx;

	if (f->refuse) {
		snprintf(err, errlen, "no agent is configured");
		return -1;
	}
	cr_assert_lt(f->n, T_MAX_PENDING);
	f->calls++;
	f->last = *req;
	f->p[f->n].done = done;
	f->p[f->n].arg = arg;
	snprintf(f->p[f->n].domain, sizeof(f->p[0].domain), "%s", req->domains[0]);
	f->p[f->n].method = req->n_methods > 0 ? req->methods[0] : VT_METHOD_CAA;
	f->n++;
	return 0;
}

/* Finish the oldest pending run: a1 got o1, a2 got o2 (its first domain
 * and method). */
static void s_finish_run(struct t_fake *f, const char *o1, const char *o2)
{
	char r1[512], r2[512], text[8192];
	monitor_done_fn done;
	void *arg;
	json_t *c;

	cr_assert_gt(f->n, 0, "no run pending");
	s_row(r1, sizeof(r1), "a1", o1, ", \"duration_ms\": 12, \"address_used\": \"192.0.2.1\"");
	s_row(r2, sizeof(r2), "a2", o2, ", \"duration_ms\": 15, \"address_used\": \"192.0.2.1\"");
	c = s_check(vt_method_name(f->p[0].method), "null", r1, r2, NULL);
	json_object_set_new(c, "domain", json_string(f->p[0].domain));
	snprintf(text, sizeof(text), "{\"version\": 1, \"verdict\": \"unknown\", \"checks\": []}");
	done = f->p[0].done;
	arg = f->p[0].arg;
	memmove(&f->p[0], &f->p[1], (f->n - 1) * sizeof(f->p[0]));
	f->n--;
	{
		json_t *doc = s_json(text);
		json_array_append_new(json_object_get(doc, "checks"), c);
		done(doc, arg);
	}
}

static struct history *s_history(void)
{
	char path[128], err[512] = "";
	struct history *h;

	snprintf(path, sizeof(path), "%s/history.db", s_dir);
	h = history_open(path, err, sizeof(err));
	cr_assert_not_null(h, "%s", err);
	return h;
}

/* monitors_json's monitor called name (borrowed from doc). */
static json_t *s_mon_json(json_t *doc, const char *name)
{
	json_t *list = json_object_get(doc, "monitors");

	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
			return o;
	}
	return NULL;
}

Test(monitor, scheduler_slots_overruns_and_restart, TDIR)
{
	struct monitor_spec spec = s_spec("www", 60);
	struct monitoring_cfg cfg;
	struct history *h = s_history();
	struct t_fake f;
	struct monitors *m;
	const struct monitor_counters *k;
	char err[512] = "";
	int64_t s0 = monitor_next_slot(&spec, T_T0);
	json_t *doc, *mo, *t, *v, *q;

	s_cfg(&cfg);
	memset(&f, 0, sizeof(f));
	m = monitors_new(&spec, 1, &cfg, h, NULL, s_fake_start, &f, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	k = monitors_counters(m);
	cr_assert_eq(monitors_next_s(m, s0), 0, "a new monitor wants a tick");

	/* at the slot: one start, the request as monitor.h says */
	cr_assert_eq(monitors_tick(m, s0), 1);
	cr_assert_eq(f.last.n_domains, 1);
	cr_assert_str_eq(f.last.domains[0], "www.example.com");
	cr_assert_eq(f.last.n_methods, 1);
	cr_assert_eq(f.last.methods[0], VT_METHOD_HTTP01);
	cr_assert_eq(f.last.mode, VT_MODE_REACHABILITY);
	cr_assert_str_eq(f.last.token, "", "a random token, chosen by checks_start");
	cr_assert_eq(f.last.budget_ms, 0);
	cr_assert_eq(f.last.min_answers, 0);
	cr_assert_not(f.last.caa);
	/* not twice in a slot */
	cr_assert_eq(monitors_tick(m, s0 + 1), 0);
	cr_assert_eq(monitors_tick(m, s0 + 59), 0);
	cr_assert_eq(monitors_next_s(m, s0 + 1), 59);
	doc = monitors_json(m, s0 + 1);
	mo = s_mon_json(doc, "www");
	cr_assert_not_null(mo);
	cr_assert(json_is_true(json_object_get(mo, "running")));
	cr_assert_str_eq(json_string_value(json_object_get(mo, "source")), "config");
	json_decref(doc);
	/* still running at the next slot: skipped and counted */
	cr_assert_eq(monitors_tick(m, s0 + 60), 0);
	cr_assert_eq(k->runs_skipped_overrun, 1);
	cr_assert_eq(f.calls, 1);
	s_finish_run(&f, "pass", "unavailable");
	cr_assert_eq(monitors_tick(m, s0 + 61), 0, "the skipped slot is not made up");
	/* two failing runs: one failure alert; a pass: one recovery alert */
	cr_assert_eq(monitors_tick(m, s0 + 120), 1);
	s_finish_run(&f, "fail", "pass");
	cr_assert_eq(k->alerts_failure, 0);
	cr_assert_eq(monitors_tick(m, s0 + 180), 1);
	s_finish_run(&f, "fail", "unavailable");
	cr_assert_eq(k->alerts_failure, 1);
	cr_assert_eq(monitors_tick(m, s0 + 240), 1);
	s_finish_run(&f, "pass", "pass");
	cr_assert_eq(k->alerts_recovery, 1);
	cr_assert_eq(k->runs, 4);

	doc = monitors_json(m, s0 + 241);
	mo = s_mon_json(doc, "www");
	cr_assert(json_is_false(json_object_get(mo, "running")));
	t = json_array_get(json_object_get(mo, "targets"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(t, "domain")), "www.example.com");
	cr_assert_str_eq(json_string_value(json_object_get(t, "method")), "http-01");
	cr_assert_str_eq(json_string_value(json_object_get(t, "state")), "pass");
	cr_assert(json_is_string(json_object_get(t, "since")));
	cr_assert_eq(json_array_size(json_object_get(t, "vantages")), 2);
	v = json_array_get(json_object_get(t, "vantages"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(v, "agent")), "a1");
	cr_assert_str_eq(json_string_value(json_object_get(v, "region")), "r-a1");
	cr_assert_str_eq(json_string_value(json_object_get(v, "outcome")), "pass");
	cr_assert_str_eq(json_string_value(json_object_get(v, "address")), "192.0.2.1");
	cr_assert_eq(json_integer_value(json_object_get(v, "duration_ms")), 12);
	cr_assert(json_is_null(json_object_get(v, "problem")));
	cr_assert(json_is_null(json_object_get(t, "cert")));
	json_decref(doc);

	/* a run in this slot, then a restart over the same database: the slot
	 * is not run again, the next one is */
	cr_assert_eq(monitors_tick(m, s0 + 300), 1);
	s_finish_run(&f, "pass", "pass");
	monitors_destroy(&m);
	cr_assert_null(m);
	m = monitors_new(&spec, 1, &cfg, h, NULL, s_fake_start, &f, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	k = monitors_counters(m);
	cr_assert_eq(monitors_tick(m, s0 + 330), 0, "the restart re-ran a slot already run");
	cr_assert_eq(monitors_next_s(m, s0 + 330), 30);
	doc = monitors_json(m, s0 + 330);
	t = json_array_get(json_object_get(s_mon_json(doc, "www"), "targets"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(t, "state")), "pass",
	                 "the state came back from the database");
	json_decref(doc);
	cr_assert_eq(monitors_tick(m, s0 + 360), 1);
	s_finish_run(&f, "pass", "pass");
	/* a refused start is counted and not retried within its slot */
	f.refuse = true;
	cr_assert_eq(monitors_tick(m, s0 + 420), 0);
	cr_assert_eq(k->runs_failed_to_start, 1);
	f.refuse = false;
	cr_assert_eq(monitors_tick(m, s0 + 421), 0);
	cr_assert_eq(f.calls, 6, "a refused start is retried");
	monitors_destroy(&m);

	/* every finished run is in the history, newest first */
	q = history_query(h, "www.example.com", 0, 0, err, sizeof(err));
	cr_assert_not_null(q, "%s", err);
	cr_assert_eq(json_array_size(json_object_get(q, "runs")), 6, "%s",
	             json_dumps(q, JSON_COMPACT));
	cr_assert_str_eq(json_string_value(json_object_get(
	                         json_array_get(json_object_get(q, "runs"), 0), "monitor")),
	                 "www");
	json_decref(q);
	history_close(&h);
}

Test(monitor, fresh_monitor_runs_in_its_current_slot)
{
	struct monitor_spec spec = s_spec("fresh", 600);
	struct monitoring_cfg cfg;
	struct t_fake f;
	struct monitors *m;
	char err[256] = "";
	int64_t s0 = monitor_next_slot(&spec, T_T0);

	s_cfg(&cfg);
	memset(&f, 0, sizeof(f));
	m = monitors_new(&spec, 1, &cfg, NULL, NULL, s_fake_start, &f, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	/* never run: the slot it is in is due now, not 10 minutes later */
	cr_assert_eq(monitors_tick(m, s0 + 200), 1);
	cr_assert_eq(monitors_next_s(m, s0 + 200), 400);
	s_finish_run(&f, "pass", "pass");
	monitors_destroy(&m);
}

Test(monitor, alert_payload_reaches_the_command, TDIR)
{
	struct monitor_spec spec = s_spec("www", 60);
	struct monitoring_cfg cfg;
	struct t_fake f;
	struct monitors *m;
	struct alerts *al;
	char err[512] = "", path[160];
	int64_t s0 = monitor_next_slot(&spec, T_T0);
	json_t *p, *vs;
	FILE *fp;

	s_cfg(&cfg);
	cfg.alert_after = 1;
	snprintf(cfg.alert_command, sizeof(cfg.alert_command), "%s/hook.sh", s_dir);
	fp = fopen(cfg.alert_command, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "#!/bin/sh\ncat > \"%s/$1.json\"\necho \"$1 $2 $3\" >> \"%s/args\"\n", s_dir,
	        s_dir);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(chmod(cfg.alert_command, 0700), 0);
	al = alerts_new(&cfg, err, sizeof(err));
	cr_assert_not_null(al, "%s", err);
	memset(&f, 0, sizeof(f));
	m = monitors_new(&spec, 1, &cfg, NULL, al, s_fake_start, &f, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);

	cr_assert_eq(monitors_tick(m, s0), 1);
	s_finish_run(&f, "pass", "fail");
	cr_assert_eq(alerts_drain(al, 10000), 0);
	snprintf(path, sizeof(path), "%s/failure.json", s_dir);
	p = json_load_file(path, 0, NULL);
	cr_assert_not_null(p, "no payload in %s", path);
	cr_assert_str_eq(json_string_value(json_object_get(p, "kind")), "failure");
	cr_assert_str_eq(json_string_value(json_object_get(p, "monitor")), "www");
	cr_assert_str_eq(json_string_value(json_object_get(p, "domain")), "www.example.com");
	cr_assert_str_eq(json_string_value(json_object_get(p, "method")), "http-01");
	cr_assert_str_eq(json_string_value(json_object_get(p, "state")), "fail");
	cr_assert_eq(strlen(json_string_value(json_object_get(p, "since"))), 20);
	cr_assert_eq(strlen(json_string_value(json_object_get(p, "at"))), 20);
	cr_assert_eq(json_integer_value(json_object_get(p, "consecutive_failures")), 1);
	vs = json_object_get(p, "vantages");
	cr_assert_eq(json_array_size(vs), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(vs, 1), "agent")), "a2");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(vs, 1), "rir")), "RIPE");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(vs, 1), "outcome")),
	                 "fail");
	cr_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(json_array_get(vs, 1), "problem"), "type")),
	                 "connection");
	cr_assert(json_is_null(json_object_get(json_array_get(vs, 0), "problem")));
	cr_assert_eq(json_array_size(json_object_get(p, "failing")), 1);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "failing"), 0)), "a2");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "diagnosis"), 0)),
	                 "first");
	{
		const json_t *f0 = json_array_get(json_object_get(p, "findings"), 0);
		cr_assert_str_eq(json_string_value(json_object_get(f0, "id")), "RegionalBlock");
		cr_assert_str_eq(json_string_value(json_object_get(f0, "severity")), "error");
		cr_assert_str_eq(json_string_value(json_object_get(f0, "fix")), "allow it");
		cr_assert_str_eq(
		        json_string_value(json_array_get(json_object_get(f0, "vantages"), 0)),
		        "a2");
		cr_assert_null(json_object_get(f0, "evidence"), "the brief form");
	}
	cr_assert(json_is_object(json_object_get(p, "le_multi_perspective")));
	json_decref(p);

	cr_assert_eq(monitors_tick(m, s0 + 60), 1);
	s_finish_run(&f, "pass", "pass");
	cr_assert_eq(alerts_drain(al, 10000), 0);
	snprintf(path, sizeof(path), "%s/recovery.json", s_dir);
	p = json_load_file(path, 0, NULL);
	cr_assert_not_null(p, "no payload in %s", path);
	cr_assert_str_eq(json_string_value(json_object_get(p, "kind")), "recovery");
	cr_assert_str_eq(json_string_value(json_object_get(p, "state")), "pass");
	cr_assert_eq(json_array_size(json_object_get(p, "failing")), 0);
	json_decref(p);
	monitors_destroy(&m);
	alerts_destroy(&al);
}

Test(monitor, api_monitors_persist_and_config_ones_stay, TDIR)
{
	struct monitor_spec cfg1 = s_spec("cfg1", 60), api1 = s_spec("api1", 120), bad = api1;
	struct monitoring_cfg cfg;
	struct history *h = s_history();
	struct t_fake f;
	struct monitors *m;
	char err[512] = "";
	json_t *doc;

	s_cfg(&cfg);
	memset(&f, 0, sizeof(f));
	m = monitors_new(&cfg1, 1, &cfg, h, NULL, s_fake_start, &f, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	cr_assert_eq(monitors_add(m, &api1, err, sizeof(err)), 0, "%s", err);
	errno = 0;
	cr_assert_eq(monitors_add(m, &api1, err, sizeof(err)), -1);
	cr_assert_eq(errno, EEXIST);
	cr_assert_eq(monitors_add(m, &cfg1, err, sizeof(err)), -1);
	cr_assert_eq(errno, EEXIST);
	bad.interval_s = 1;
	snprintf(bad.name, sizeof(bad.name), "bad");
	cr_assert_eq(monitors_add(m, &bad, err, sizeof(err)), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_not_null(strstr(err, "interval"), "%s", err);
	cr_assert_eq(monitors_remove(m, "cfg1", err, sizeof(err)), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_not_null(strstr(err, "configuration"), "%s", err);
	cr_assert_eq(monitors_remove(m, "nope", err, sizeof(err)), -1);
	cr_assert_eq(errno, ENOENT);
	monitors_destroy(&m);

	/* api1 comes back from the database */
	m = monitors_new(&cfg1, 1, &cfg, h, NULL, s_fake_start, &f, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	doc = monitors_json(m, T_T0);
	cr_assert_eq(json_array_size(json_object_get(doc, "monitors")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(s_mon_json(doc, "api1"), "source")),
	                 "api");
	cr_assert_eq(json_integer_value(json_object_get(s_mon_json(doc, "api1"), "interval_s")),
	             120);
	json_decref(doc);
	/* a configured monitor may not take an API monitor's name */
	cr_assert_null(monitors_new(&api1, 1, &cfg, h, NULL, s_fake_start, &f, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "api1"), "%s", err);
	cr_assert_eq(monitors_reload(m, &api1, 1, &cfg, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "api1"), "%s", err);
	cr_assert_eq(monitors_remove(m, "api1", err, sizeof(err)), 0, "%s", err);
	monitors_destroy(&m);
	m = monitors_new(&cfg1, 1, &cfg, h, NULL, s_fake_start, &f, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	doc = monitors_json(m, T_T0);
	cr_assert_eq(json_array_size(json_object_get(doc, "monitors")), 1);
	json_decref(doc);
	monitors_destroy(&m);
	history_close(&h);
}

Test(monitor, at_most_monitor_max)
{
	struct monitoring_cfg cfg;
	struct t_fake f;
	struct monitors *m;
	char err[256] = "";

	s_cfg(&cfg);
	memset(&f, 0, sizeof(f));
	m = monitors_new(NULL, 0, &cfg, NULL, NULL, s_fake_start, &f, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	for (int i = 0; i < MONITOR_MAX; i++) {
		char name[32];
		struct monitor_spec s;

		snprintf(name, sizeof(name), "m%d", i);
		s = s_spec(name, 60);
		cr_assert_eq(monitors_add(m, &s, err, sizeof(err)), 0, "%s", err);
	}
	{
		struct monitor_spec s = s_spec("one-too-many", 60);
		cr_assert_eq(monitors_add(m, &s, err, sizeof(err)), -1);
		cr_assert_eq(errno, ENOSPC);
	}
	monitors_destroy(&m);
}

Test(monitor, reload_keeps_state_of_names_that_stay)
{
	struct monitor_spec a = s_spec("a", 60), b = s_spec("b", 60), c = s_spec("c", 60), two[2];
	struct monitor_spec api = s_spec("api", 60);
	struct monitoring_cfg cfg;
	struct t_fake f;
	struct monitors *m;
	char err[256] = "";
	int64_t s0 = T_T0;
	json_t *doc, *t;

	snprintf(b.domains[0], sizeof(b.domains[0]), "b.example.com");
	s_cfg(&cfg);
	memset(&f, 0, sizeof(f));
	two[0] = a;
	two[1] = b;
	m = monitors_new(two, 2, &cfg, NULL, NULL, s_fake_start, &f, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	cr_assert_eq(monitors_add(m, &api, err, sizeof(err)), 0, "%s", err);
	/* every monitor starts in its current slot; a fails twice */
	cr_assert_eq(monitors_tick(m, s0), 3);
	while (f.n > 0)
		s_finish_run(&f, "fail", "fail");
	s0 += 60;
	cr_assert_eq(monitors_tick(m, s0), 3);
	while (f.n > 0)
		s_finish_run(&f, "fail", "fail");
	cr_assert_eq(monitors_counters(m)->alerts_failure, 3);

	/* a stays (a longer interval), b goes, c comes */
	a.interval_s = 120;
	two[0] = a;
	two[1] = c;
	cr_assert_eq(monitors_reload(m, two, 2, &cfg, err, sizeof(err)), 0, "%s", err);
	doc = monitors_json(m, s0 + 1);
	cr_assert_eq(json_array_size(json_object_get(doc, "monitors")), 3);
	cr_assert_null(s_mon_json(doc, "b"));
	cr_assert_not_null(s_mon_json(doc, "c"));
	cr_assert_not_null(s_mon_json(doc, "api"), "API monitors are untouched");
	cr_assert_eq(json_integer_value(json_object_get(s_mon_json(doc, "a"), "interval_s")), 120);
	t = json_array_get(json_object_get(s_mon_json(doc, "a"), "targets"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(t, "state")), "fail");
	cr_assert_eq(json_integer_value(json_object_get(t, "consecutive_fail")), 2);
	cr_assert_eq(json_array_size(json_object_get(t, "vantages")), 2);
	json_decref(doc);
	/* no further failure alert for a: its state was kept */
	s0 += 120;
	cr_assert_geq(monitors_tick(m, s0), 2);
	while (f.n > 0)
		s_finish_run(&f, "fail", "fail");
	cr_assert_eq(monitors_counters(m)->alerts_failure, 3);
	/* a bad reload changes nothing */
	two[1] = api;
	cr_assert_eq(monitors_reload(m, two, 2, &cfg, err, sizeof(err)), -1);
	doc = monitors_json(m, s0);
	cr_assert_not_null(s_mon_json(doc, "c"));
	json_decref(doc);
	monitors_destroy(&m);
}

/* ---- configuration ---- */

#define T_COORD                                                                                    \
	"coordinator: {\n"                                                                         \
	"  agent_endpoint = \"tcp://127.0.0.1:8751\";\n"                                           \
	"  key_file = \"/k\"; allowlist_dir = \"/nonexistent-vt-dir\";\n"                          \
	"  api_token_file = \"/t\"; state_dir = \"/var/lib/vt\";\n"                                \
	"};\n"

static void s_conf_error(const char *tail, const char *needle)
{
	static struct coord_config c;
	char text[4096], err[512] = "";

	snprintf(text, sizeof(text), "%s%s", T_COORD, tail);
	cr_assert_eq(coord_config_parse(text, &c, err, sizeof(err)), -1, "accepted: %s", tail);
	cr_assert_not_null(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
}

Test(monitor, config_defaults_without_monitoring)
{
	static struct coord_config c;
	char err[512] = "";

	cr_assert_eq(coord_config_parse(T_COORD, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.monitoring.database, "/var/lib/vt/history.db");
	cr_assert_eq(c.monitoring.retention_days, MONITOR_DEFAULT_RETENTION_DAYS);
	cr_assert_eq(c.monitoring.alert_after, MONITOR_DEFAULT_ALERT_AFTER);
	cr_assert_str_eq(c.monitoring.webhook_url, "");
	cr_assert_str_eq(c.monitoring.alert_command, "");
	cr_assert_eq(c.monitoring.webhook_timeout_ms, ALERT_DEFAULT_TIMEOUT_MS);
	cr_assert_eq(c.monitoring.webhook_retries, ALERT_DEFAULT_RETRIES);
	cr_assert_eq(c.monitoring.alert_command_timeout_ms, ALERT_CMD_DEFAULT_TIMEOUT_MS);
	cr_assert_float_eq(c.monitoring.cert_warn_fraction, MONITOR_CERT_WARN_FRACTION, 1e-9);
	cr_assert_float_eq(c.monitoring.cert_crit_fraction, MONITOR_CERT_CRIT_FRACTION, 1e-9);
	cr_assert_eq(c.monitoring.cert_crit_days, MONITOR_CERT_CRIT_DAYS);
	cr_assert_eq(c.n_monitors, 0);
}

Test(monitor, config_monitoring_and_monitors)
{
	static struct coord_config c;
	char err[512] = "";
	const char *text = T_COORD
	        "monitoring: {\n"
	        "  database = \"/srv/vt/h.db\"; retention_days = 0; alert_after = 3;\n"
	        "  webhook = \"https://hooks.example.net/vantage\";\n"
	        "  webhook_timeout_ms = 2000; webhook_retries = 1;\n"
	        "  alert_command = \"/usr/local/bin/page\"; alert_command_timeout_ms = 500;\n"
	        "  cert_warn_fraction = 0.25; cert_crit_fraction = 0.1; cert_crit_days = 7;\n"
	        "};\n"
	        "monitors = (\n"
	        "  { name = \"www\"; domains = [\"WWW.example.com\", \"example.com\"];\n"
	        "    methods = [\"http-01\", \"dns-01\"]; interval = \"5m\";\n"
	        "    regions = [\"eu-west\"]; policy = \"letsencrypt\"; caa = true; },\n"
	        "  { name = \"api\"; domains = [\"api.example.com\"]; interval = 30; }\n"
	        ");\n";

	cr_assert_eq(coord_config_parse(text, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.monitoring.database, "/srv/vt/h.db");
	cr_assert_eq(c.monitoring.retention_days, 0);
	cr_assert_eq(c.monitoring.alert_after, 3);
	cr_assert_str_eq(c.monitoring.webhook_url, "https://hooks.example.net/vantage");
	cr_assert_eq(c.monitoring.webhook_timeout_ms, 2000);
	cr_assert_eq(c.monitoring.webhook_retries, 1);
	cr_assert_str_eq(c.monitoring.alert_command, "/usr/local/bin/page");
	cr_assert_eq(c.monitoring.alert_command_timeout_ms, 500);
	cr_assert_float_eq(c.monitoring.cert_warn_fraction, 0.25, 1e-9);
	cr_assert_float_eq(c.monitoring.cert_crit_fraction, 0.1, 1e-9);
	cr_assert_eq(c.monitoring.cert_crit_days, 7);
	cr_assert_eq(c.n_monitors, 2);
	cr_assert_str_eq(c.monitors[0].name, "www");
	cr_assert_eq(c.monitors[0].n_domains, 2);
	cr_assert_str_eq(c.monitors[0].domains[0], "www.example.com");
	cr_assert_eq(c.monitors[0].n_methods, 2);
	cr_assert_eq(c.monitors[0].methods[1], VT_METHOD_DNS01);
	cr_assert_eq(c.monitors[0].interval_s, 300);
	cr_assert_eq(c.monitors[0].n_regions, 1);
	cr_assert_str_eq(c.monitors[0].regions[0], "eu-west");
	cr_assert_eq(c.monitors[0].policy, MONITOR_POLICY_LE);
	cr_assert(c.monitors[0].caa);
	cr_assert_not(c.monitors[0].from_api);
	/* defaults of an entry */
	cr_assert_eq(c.monitors[1].interval_s, 30);
	cr_assert_eq(c.monitors[1].n_methods, 1);
	cr_assert_eq(c.monitors[1].methods[0], VT_METHOD_HTTP01);
	cr_assert_eq(c.monitors[1].policy, MONITOR_POLICY_ALL);
	cr_assert_not(c.monitors[1].caa);
}

Test(monitor, config_errors_name_the_line)
{
	s_conf_error("monitoring = 3;\n", "line 6");
	s_conf_error("monitoring: { alert_after = 0; };\n", "line 6: monitoring.alert_after");
	s_conf_error("monitoring: { alert_after = 21; };\n", "out of range 1..20");
	s_conf_error("monitoring: { webhok = \"http://x\"; };\n", "unknown setting \"webhok\"");
	s_conf_error("monitoring: { webhook = \"ftp://x.example\"; };\n", "webhook");
	s_conf_error("monitoring: { webhook = \"http://\"; };\n", "webhook");
	s_conf_error("monitoring: { webhook = \"http://a b\"; };\n", "webhook");
	s_conf_error("monitoring: { alert_command = \"page.sh\"; };\n", "absolute");
	s_conf_error("monitoring: { database = \"h.db\"; };\n", "absolute");
	s_conf_error("monitoring: { cert_warn_fraction = 1.5; };\n", "between 0 and 1");
	s_conf_error("monitoring: { cert_warn_fraction = 1; };\n", "number");
	s_conf_error("monitoring: { cert_warn_fraction = 0.2; cert_crit_fraction = 0.3; };\n",
	             "smaller");
	s_conf_error("monitoring: { webhook_timeout_ms = 10; };\n", "webhook_timeout_ms");
	s_conf_error("monitors = 1;\n", "line 6: \"monitors\" must be a list");
	s_conf_error("monitors = ( 1 );\n", "monitors[0] must be a group");
	s_conf_error("monitors = ( { domains = [\"a.example\"]; } );\n",
	             "line 6: monitors[0]: missing required setting \"name\"");
	s_conf_error("monitors = ( { name = \"x\"; } );\n", "domains");
	s_conf_error("monitors = (\n { name = \"x\"; domains = [\"a..example\"]; } );\n",
	             "line 7: monitors[0]: monitor x: domains[0]");
	s_conf_error("monitors = ( { name = \"bad name\"; domains = [\"a.example\"]; } );\n",
	             "invalid monitor name");
	s_conf_error("monitors = ( { name = \"x\"; domains = [\"a.example\"]; methods = "
	             "[\"caa\"]; } );\n",
	             "caa = true");
	s_conf_error("monitors = ( { name = \"x\"; domains = [\"a.example\"]; interval = 1; } );\n",
	             "interval must be 2..86400");
	s_conf_error("monitors = ( { name = \"x\"; domains = [\"a.example\"]; interval = \"5x\"; "
	             "} );\n",
	             "interval");
	s_conf_error("monitors = ( { name = \"x\"; domains = [\"a.example\"]; policy = \"most\"; "
	             "} );\n",
	             "policy");
	s_conf_error("monitors = ( { name = \"x\"; domains = [\"a.example\"]; caa = 1; } );\n",
	             "caa must be true or false");
	s_conf_error(
	        "monitors = ( { name = \"x\"; domains = [\"a.example\"]; intervall = 5; } );\n",
	        "unknown setting \"intervall\"");
	s_conf_error("monitors = ( { name = \"x\"; domains = [\"a.example\"]; },\n"
	             "  { name = \"x\"; domains = [\"b.example\"]; } );\n",
	             "line 7: monitors[1]: duplicate monitor name \"x\"");
	s_conf_error("monitors = ( { name = \"x\"; domains = [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\","
	             "\"7\",\"8\",\"9\"]; } );\n",
	             "at most 8");
}

Test(monitor, config_at_most_monitor_max)
{
	static char text[65536];
	static struct coord_config c;
	char err[512] = "";
	size_t off;

	off = (size_t)snprintf(text, sizeof(text), "%smonitors = (\n", T_COORD);
	for (int i = 0; i <= MONITOR_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		                        "%s{ name = \"m%d\"; domains = [\"a.example\"]; }\n",
		                        i ? "," : "", i);
	snprintf(text + off, sizeof(text) - off, ");\n");
	cr_assert_eq(coord_config_parse(text, &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "at most 64"), "%s", err);
}

/* ---- end to end: the serve loop, a fake agent, an alert command ---- */

#define T_E2E_DOMAIN "www.example.com"

static struct serve *s_srv;
static pthread_t s_thread;
static void *s_ctx;
static char s_coord_pub[KEY_Z85_LEN + 1];
static char s_db[128];

static void *s_loop(void *arg)
{
	char err[256];
	(void)arg;
	serve_run(s_srv, err, sizeof(err));
	return NULL;
}

/* The coordinator of s_dir: agents a1 (allowlisted) and a2 (never
 * connects), one monitor on T_E2E_DOMAIN every 2 s, alert_command
 * s_dir/hook.sh appending "KIND DOMAIN METHOD" to s_dir/alerts. */
static void s_e2e_setup(void)
{
	static struct coord_config cfg;
	char conf[4096], path[256], allow[128], hook[160], err[512] = "", sec[KEY_Z85_LEN + 1];
	FILE *f;

	s_dir_setup();
	snprintf(allow, sizeof(allow), "%s/agents.d", s_dir);
	cr_assert_eq(mkdir(allow, 0700), 0);
	cr_assert_eq(keys_generate(s_dir, "coordinator", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(keys_generate(allow, "a1", err, sizeof(err)), 0, "%s", err);
	snprintf(hook, sizeof(hook), "%s/hook.sh", s_dir);
	f = fopen(hook, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\necho \"$1 $2 $3\" >> \"%s/alerts\"\n", s_dir);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(hook, 0700), 0);
	snprintf(conf, sizeof(conf),
	         "coordinator: {\n"
	         "  agent_endpoint = \"tcp://127.0.0.1:*\";\n"
	         "  key_file = \"%s/coordinator.key\";\n"
	         "  allowlist_dir = \"%s\";\n"
	         "  api_listen = \"127.0.0.1:0\";\n"
	         "  api_token_file = \"%s/api.token\";\n"
	         "  state_dir = \"%s/state\";\n"
	         "  heartbeat_ivl_ms = 200; liveness = 3; job_budget_ms = 2000;\n"
	         "};\n"
	         "monitoring: { alert_after = 2; alert_command = \"%s\"; };\n"
	         "monitors = ( { name = \"www\"; domains = [\"" T_E2E_DOMAIN "\"];\n"
	         "  methods = [\"http-01\"]; interval = 2; } );\n"
	         "agents = ( { name = \"a1\"; region = \"us-east\"; rir = \"ARIN\"; primary = "
	         "true; },\n"
	         "  { name = \"a2\"; region = \"eu-west\"; rir = \"RIPE\"; } );\n",
	         s_dir, allow, s_dir, s_dir, hook);
	snprintf(path, sizeof(path), "%s/coordinator.conf", s_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_geq(fputs(conf, f), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(coord_config_load(path, &cfg, err, sizeof(err)), 0, "%s", err);
	snprintf(s_db, sizeof(s_db), "%s/state/history.db", s_dir);
	cr_assert_str_eq(cfg.monitoring.database, s_db);
	s_srv = serve_new(&cfg, err, sizeof(err));
	cr_assert_not_null(s_srv, "%s", err);
	snprintf(path, sizeof(path), "%s/coordinator.key", s_dir);
	cr_assert_eq(keys_read_secret(path, sec, s_coord_pub, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pthread_create(&s_thread, NULL, s_loop, NULL), 0);
	s_ctx = zmq_ctx_new();
}

/* Stop the coordinator (idempotent: the test may have stopped it). */
static void s_e2e_stop(void)
{
	if (s_srv == NULL)
		return;
	serve_stop(s_srv);
	pthread_join(s_thread, NULL);
	serve_destroy(&s_srv);
}

static void s_e2e_teardown(void)
{
	s_e2e_stop();
	if (s_ctx != NULL)
		zmq_ctx_term(s_ctx);
	s_ctx = NULL;
	s_dir_teardown();
}

static void s_send(void *d, const struct proto_msg *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[256] = "";

	cr_assert_eq(proto_encode(m, &buf, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(zmq_send(d, buf, len, 0), (int)len);
	free(buf);
}

/* Wait up to ms for a message of type want (skipping others).  0 got it. */
static int s_recv(void *d, enum proto_type want, int ms, struct proto_msg *out)
{
	for (int waited = 0; waited < ms; waited += 50) {
		zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
		static uint8_t buf[PROTO_MAX_MSG_BYTES];
		char err[256];
		int n;

		if (zmq_poll(&it, 1, 50) <= 0)
			continue;
		n = zmq_recv(d, buf, sizeof(buf), 0);
		if (n > 0 && proto_decode(buf, (size_t)n, out, err, sizeof(err)) == 0) {
			if (out->type == want)
				return 0;
			proto_msg_clear(out);
		}
	}
	return -1;
}

/* A DEALER with a1's key, registered (HELLO answered by WELCOME). */
static void *s_agent_a1(void)
{
	void *d = zmq_socket(s_ctx, ZMQ_DEALER);
	char path[256], sec[KEY_Z85_LEN + 1], pub[KEY_Z85_LEN + 1], err[256] = "";
	struct proto_msg m;
	int linger = 0;

	cr_assert_not_null(d);
	zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof(linger));
	snprintf(path, sizeof(path), "%s/agents.d/a1.key", s_dir);
	cr_assert_eq(keys_read_secret(path, sec, pub, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, s_coord_pub, KEY_Z85_LEN + 1), 0);
	cr_assert_eq(zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, pub, KEY_Z85_LEN + 1), 0);
	cr_assert_eq(zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, sec, KEY_Z85_LEN + 1), 0);
	cr_assert_eq(zmq_connect(d, serve_agent_endpoint(s_srv)), 0);
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	snprintf(m.u.hello.agent_version, sizeof(m.u.hello.agent_version), "%s", VANTAGE_VERSION);
	m.u.hello.ipv4 = true;
	m.u.hello.max_inflight = 10;
	m.u.hello.methods = 1u << VT_METHOD_HTTP01;
	s_send(d, &m);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_WAIT_MS, &m), 0, "no WELCOME");
	proto_msg_clear(&m);
	return d;
}

/* The fake agent: answers every HTTP-01 job with REACHABLE, or with a
 * connection failure while `fail` is set, and heartbeats in between. */
struct t_agent {
	void *d;
	atomic_int fail;
	atomic_int stop;
	atomic_int passed; /* jobs answered with REACHABLE */
	atomic_int failed; /* jobs answered with FAIL */
};

static void *s_agent(void *arg)
{
	struct t_agent *ta = arg;

	/* bounded: 50 ms a pass, 60 s at most */
	for (int i = 0; i < 1200 && !atomic_load(&ta->stop); i++) {
		struct proto_msg m, r;
		bool fail;

		memset(&r, 0, sizeof(r));
		if (s_recv(ta->d, PROTO_JOB, 50, &m) != 0) {
			r.type = PROTO_HEARTBEAT;
			s_send(ta->d, &r);
			continue;
		}
		fail = atomic_load(&ta->fail) != 0;
		r.type = PROTO_RESULT;
		snprintf(r.u.result.job_id, sizeof(r.u.result.job_id), "%s", m.u.job.id);
		r.u.result.method = m.u.job.method;
		snprintf(r.u.result.domain, sizeof(r.u.result.domain), "%s", m.u.job.domain);
		r.u.result.timings.total_ms = 5;
		if (fail) {
			r.u.result.outcome = VT_OUTCOME_FAIL;
			r.u.result.problem.type = VT_PROB_CONNECTION;
			snprintf(r.u.result.problem.detail, sizeof(r.u.result.problem.detail),
			         "192.0.2.1: Fetching http://%s/.well-known/acme-challenge/%s: "
			         "Timeout during connect (likely firewall problem)",
			         m.u.job.domain, m.u.job.token);
		} else {
			r.u.result.outcome = VT_OUTCOME_REACHABLE;
			r.u.result.http_status = 404;
		}
		s_send(ta->d, &r);
		atomic_fetch_add(fail ? &ta->failed : &ta->passed, 1);
		proto_msg_clear(&m);
	}
	return NULL;
}

/* Lines of s_dir/alerts starting with kind. */
static int s_alerts(const char *kind)
{
	char path[160], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/alerts", s_dir);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, kind, strlen(kind)) == 0 && line[strlen(kind)] == ' ') {
			char want[256];
			snprintf(want, sizeof(want), "%s %s http-01\n", kind, T_E2E_DOMAIN);
			cr_assert_str_eq(line, want);
			n++;
		}
	}
	fclose(f);
	return n;
}

/* Wait up to ms for *v >= want.  0 when it got there. */
static int s_wait_count(atomic_int *v, int want, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (atomic_load(v) >= want)
			return 0;
		usleep(20 * 1000);
	}
	return atomic_load(v) >= want ? 0 : -1;
}

/* Wait up to ms for s_alerts(kind) >= want. */
static int s_wait_alerts(const char *kind, int want, int ms)
{
	for (int i = 0; i < ms / 50; i++) {
		if (s_alerts(kind) >= want)
			return 0;
		usleep(50 * 1000);
	}
	return s_alerts(kind) >= want ? 0 : -1;
}

#define E2E .init = s_e2e_setup, .fini = s_e2e_teardown, .timeout = 60

Test(monitor, e2e_failure_then_recovery_alert_once_each, E2E)
{
	struct t_agent ta;
	pthread_t th;
	struct history *h;
	char err[512] = "";
	json_t *q, *runs;
	int failed_at_alert, passed;
	bool saw_fail = false, saw_pass = false;

	memset(&ta, 0, sizeof(ta));
	ta.d = s_agent_a1();
	cr_assert_eq(pthread_create(&th, NULL, s_agent, &ta), 0);

	/* healthy: two runs pass, nothing is sent */
	cr_assert_eq(s_wait_count(&ta.passed, 2, 8000), 0, "no run reached the agent");
	cr_assert_eq(s_alerts("failure"), 0);
	cr_assert_eq(s_alerts("recovery"), 0);

	/* broken: the failure alert after the second failing run, once */
	atomic_store(&ta.fail, 1);
	cr_assert_eq(s_wait_alerts("failure", 1, 10000), 0, "no failure alert");
	failed_at_alert = atomic_load(&ta.failed);
	cr_assert_geq(failed_at_alert, 2, "alerted after %d failing run(s)", failed_at_alert);
	cr_assert_eq(s_wait_count(&ta.failed, failed_at_alert + 1, 6000), 0);
	usleep(500 * 1000); /* that run judged and its alert, if any, delivered */
	cr_assert_eq(s_alerts("failure"), 1, "a failure alert for every failing run");

	/* fixed: one recovery alert, and no more */
	passed = atomic_load(&ta.passed);
	atomic_store(&ta.fail, 0);
	cr_assert_eq(s_wait_alerts("recovery", 1, 8000), 0, "no recovery alert");
	cr_assert_eq(s_wait_count(&ta.passed, passed + 2, 8000), 0);
	usleep(500 * 1000);
	cr_assert_eq(s_alerts("recovery"), 1);
	cr_assert_eq(s_alerts("failure"), 1);

	atomic_store(&ta.stop, 1);
	pthread_join(th, NULL);
	zmq_close(ta.d);
	s_e2e_stop();

	/* the runs are in the history database */
	h = history_open(s_db, err, sizeof(err));
	cr_assert_not_null(h, "%s", err);
	q = history_query(h, T_E2E_DOMAIN, 0, 0, err, sizeof(err));
	cr_assert_not_null(q, "%s", err);
	runs = json_object_get(q, "runs");
	cr_assert_geq(json_array_size(runs),
	              (size_t)(atomic_load(&ta.passed) + atomic_load(&ta.failed)),
	              "%zu runs recorded, %d answered", json_array_size(runs),
	              atomic_load(&ta.passed) + atomic_load(&ta.failed));
	for (size_t i = 0; i < json_array_size(runs); i++) {
		const char *st =
		        json_string_value(json_object_get(json_array_get(runs, i), "state"));
		cr_assert_str_eq(
		        json_string_value(json_object_get(json_array_get(runs, i), "monitor")),
		        "www");
		saw_fail |= st != NULL && strcmp(st, "fail") == 0;
		saw_pass |= st != NULL && strcmp(st, "pass") == 0;
	}
	cr_assert(saw_fail && saw_pass);
	json_decref(q);
	history_close(&h);
}

/* ---- serve_new and serve_reload with monitoring ---- */

/* Write s_dir/coordinator.conf with tail (monitoring / monitors) and load
 * it into *cfg. */
static void s_serve_conf(struct coord_config *cfg, const char *tail)
{
	char conf[4096], path[256], err[512] = "";
	FILE *f;

	snprintf(conf, sizeof(conf),
	         "coordinator: {\n"
	         "  agent_endpoint = \"tcp://127.0.0.1:*\";\n"
	         "  key_file = \"%s/coordinator.key\";\n"
	         "  allowlist_dir = \"%s/agents.d\";\n"
	         "  api_listen = \"127.0.0.1:0\";\n"
	         "  api_token_file = \"%s/api.token\";\n"
	         "  state_dir = \"%s/state\";\n"
	         "};\n%s",
	         s_dir, s_dir, s_dir, s_dir, tail);
	snprintf(path, sizeof(path), "%s/coordinator.conf", s_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_geq(fputs(conf, f), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(coord_config_load(path, cfg, err, sizeof(err)), 0, "%s", err);
}

Test(monitor, serve_names_the_database_and_guards_api_names, TDIR)
{
	static struct coord_config cfg;
	struct monitor_spec api = s_spec("shared", 60);
	struct history *h;
	struct serve *s;
	char err[1024] = "", db[160], tail[512];

	cr_assert_eq(keys_generate(s_dir, "coordinator", err, sizeof(err)), 0, "%s", err);
	/* a database that cannot be opened stops serve_new, named */
	snprintf(db, sizeof(db), "%s/missing/dir/history.db", s_dir);
	snprintf(tail, sizeof(tail), "monitoring: { database = \"%s\"; };\n", db);
	s_serve_conf(&cfg, tail);
	s = serve_new(&cfg, err, sizeof(err));
	cr_assert_null(s);
	cr_assert_not_null(strstr(err, db), "%s", err);

	/* a monitor added through the API, then configured under its name */
	snprintf(db, sizeof(db), "%s/history.db", s_dir);
	h = history_open(db, err, sizeof(err));
	cr_assert_not_null(h, "%s", err);
	cr_assert_eq(history_monitor_put(h, &api, err, sizeof(err)), 0, "%s", err);
	history_close(&h);
	snprintf(tail, sizeof(tail),
	         "monitoring: { database = \"%s\"; };\n"
	         "monitors = ( { name = \"shared\"; domains = [\"a.example\"]; } );\n",
	         db);
	s_serve_conf(&cfg, tail);
	s = serve_new(&cfg, err, sizeof(err));
	cr_assert_null(s, "a configured monitor took an API monitor's name");
	cr_assert_not_null(strstr(err, "shared"), "%s", err);

	/* without it the coordinator starts; a reload bringing it is refused
	 * and changes nothing; a reload with another monitor is applied */
	snprintf(tail, sizeof(tail), "monitoring: { database = \"%s\"; };\n", db);
	s_serve_conf(&cfg, tail);
	s = serve_new(&cfg, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	snprintf(tail, sizeof(tail),
	         "monitoring: { database = \"%s\"; };\n"
	         "monitors = ( { name = \"shared\"; domains = [\"a.example\"]; } );\n",
	         db);
	s_serve_conf(&cfg, tail);
	cr_assert_eq(serve_reload(s, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "shared"), "%s", err);
	snprintf(tail, sizeof(tail),
	         "monitoring: { database = \"%s\"; };\n"
	         "monitors = ( { name = \"other\"; domains = [\"a.example\"]; } );\n",
	         db);
	s_serve_conf(&cfg, tail);
	cr_assert_eq(serve_reload(s, err, sizeof(err)), 0, "%s", err);
	serve_destroy(&s);
	cr_assert_null(s);
}
