/*
 * test_metrics.c -- coordinator/metrics.c: GET /metrics and GET /status
 * rendered from a real monitors object driven without agents.  The monitors
 * get a fake start function that keeps each run's done callback; the tests
 * then finish the runs with hand-made report documents (a pass, a failure
 * from one region, certificates from every level) and read what the two
 * documents say: metric lines, labels and values (escaped as the text
 * format wants), `promtool check metrics` when it is installed, and the
 * status page's cells, escaping and self-containment.  Then the routes that
 * serve them and the monitors' API (coordinator/api.c) on 127.0.0.1: the
 * token rule, POST/DELETE /v1/monitors, GET /v1/history, and what answers
 * without monitoring.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <ftw.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coordinator/agents.h"
#include "coordinator/alert.h"
#include "coordinator/api.h"
#include "coordinator/checks.h"
#include "coordinator/config.h"
#include "coordinator/history.h"
#include "coordinator/metrics.h"
#include "coordinator/monitor.h"
#include "scratch.h"

#define T_RUNS     8                      /* runs one test starts at most */
#define T_POLL_MS  10                     /* the API thread's wait between api_run calls */
#define T_HTTP_MS  10000                  /* one request, at most */
#define T_BODY_MAX 65536                  /* bytes of an answer kept */
#define T_DAY      86400                  /* seconds */
#define T_ODD_REG  "ap-\"south\\<b>&"     /* a region label that needs escaping everywhere */
#define T_ODD_PROM "ap-\\\"south\\\\<b>&" /* ... as a Prometheus label value */
#define T_ODD_HTML "ap-&quot;south\\&lt;b&gt;&amp;" /* ... as HTML text */

/* A run the fake start function kept. */
struct t_run {
	char domain[LIMIT_DOMAIN_LEN + 1];
	monitor_done_fn done;
	void *arg;
};

struct t_ctx {
	struct t_run runs[T_RUNS];
	size_t n;
};

static int s_start(void *ctx, const struct check_request *req, monitor_done_fn done, void *arg,
                   char *err, size_t errlen)
{
	struct t_ctx *c = ctx;

	if (c->n >= T_RUNS) {
		snprintf(err, errlen, "too many runs for the test");
		return -1;
	}
	snprintf(c->runs[c->n].domain, sizeof(c->runs[0].domain), "%s", req->domains[0]);
	c->runs[c->n].done = done;
	c->runs[c->n].arg = arg;
	c->n++;
	return 0;
}

/* The fixture: three agents (two up; the third's region needs escaping),
 * two monitors, their first runs started. */
struct t_fix {
	struct coord_config *cfg;
	struct agents *agents;
	struct monitors *mon;
	struct t_ctx ctx;
	int64_t now;
};

static void s_agent(struct coord_config *cfg, const char *name, const char *region, const char *rir)
{
	struct coord_agent_cfg *a = &cfg->agents[cfg->n_agents++];

	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->region, sizeof(a->region), "%s", region);
	snprintf(a->rir, sizeof(a->rir), "%s", rir);
}

static void s_spec(struct monitor_spec *s, const char *name, const char *domain,
                   const enum vt_method *methods, size_t n)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->domains[0], sizeof(s->domains[0]), "%s", domain);
	s->n_domains = 1;
	for (size_t i = 0; i < n; i++)
		s->methods[i] = methods[i];
	s->n_methods = n;
	s->interval_s = 60;
}

static void s_fix_init(struct t_fix *f)
{
	static const enum vt_method web_m[] = {VT_METHOD_HTTP01, VT_METHOD_TLSCERT};
	static const enum vt_method exp_m[] = {VT_METHOD_TLSCERT};
	struct monitor_spec specs[2];
	struct monitoring_cfg mc;
	char err[512] = "";

	memset(f, 0, sizeof(*f));
	f->now = (int64_t)time(NULL);
	f->cfg = calloc(1, sizeof(*f->cfg));
	cr_assert_not_null(f->cfg);
	s_agent(f->cfg, "use1", "us-east", "ARIN");
	s_agent(f->cfg, "euw1", "eu-west", "RIPE");
	s_agent(f->cfg, "aps1", T_ODD_REG, "APNIC");
	f->agents = agents_new(f->cfg);
	cr_assert_not_null(f->agents);
	f->agents->v[0].state = AGENT_UP;
	f->agents->v[1].state = AGENT_UP;

	memset(&mc, 0, sizeof(mc));
	mc.alert_after = 1; /* the first failing run turns the state to fail */
	mc.cert_warn_fraction = MONITOR_CERT_WARN_FRACTION;
	mc.cert_crit_fraction = MONITOR_CERT_CRIT_FRACTION;
	mc.cert_crit_days = MONITOR_CERT_CRIT_DAYS;
	s_spec(&specs[0], "web", "geo.example.com", web_m, 2);
	s_spec(&specs[1], "expiry", "exp.example.com", exp_m, 1);
	f->mon = monitors_new(specs, 2, &mc, NULL, NULL, s_start, &f->ctx, err, sizeof(err));
	cr_assert_not_null(f->mon, "%s", err);
	cr_assert_eq(monitors_tick(f->mon, f->now), 2);
	cr_assert_eq(f->ctx.n, 2);
}

static void s_fix_fini(struct t_fix *f)
{
	monitors_destroy(&f->mon);
	/* a run still waiting is freed by its callback, as checks_finish_all
	 * would do at shutdown */
	for (size_t i = 0; i < f->ctx.n; i++)
		if (f->ctx.runs[i].done != NULL)
			f->ctx.runs[i].done(NULL, f->ctx.runs[i].arg);
	agents_destroy(&f->agents);
	free(f->cfg);
}

/* A certificate object as report.c writes it, living from nb to na. */
static json_t *s_cert(int64_t nb, int64_t na)
{
	char b[32], a[32];
	time_t tb = (time_t)nb, ta = (time_t)na;
	struct tm tm;

	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tb, &tm));
	strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&ta, &tm));
	return json_pack("{s:s, s:s, s:[s], s:s, s:s, s:I, s:s, s:s, s:n}", "subject", "CN=example",
	                 "issuer", "CN=Test CA", "sans", "example", "not_before", b, "not_after", a,
	                 "not_after_unix", (json_int_t)na, "sha256",
	                 "3c9a1e0f2b7d45a8c6e1f09b8d7a6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c",
	                 "tls_version", "TLSv1.3", "alpn");
}

/* One result row; cert is taken over (NULL: null). */
static json_t *s_row(const char *agent, const char *region, const char *rir, const char *outcome,
                     int duration_ms, const char *ptype, const char *detail, json_t *cert)
{
	bool answered = strcmp(outcome, "unavailable") != 0;
	json_t *problem = ptype != NULL ? json_pack("{s:s, s:s, s:s}", "type", ptype, "detail",
	                                            detail, "summary", detail)
	                                : json_null();

	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:s, s:b, s:n, s:o, s:n, s:o, s:n, s:[], "
	                 "s:{s:i, s:i, s:i}, s:[], s:o, s:n}",
	                 "agent", agent, "region", region, "rir", rir, "primary", 0, "ipv6", 1,
	                 "outcome", outcome, "judged", 1, "address_used", "duration_ms",
	                 answered ? json_integer(duration_ms) : json_null(), "http_status",
	                 "problem", problem, "unavailable_reason", "warnings", "timings",
	                 "resolve_ms", 1, "connect_ms", 1, "total_ms", duration_ms, "records",
	                 "cert", cert != NULL ? cert : json_null(), "dnssec");
}

static json_t *s_check(const char *domain, const char *method, const char *verdict, json_t *results)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:[], s:{s:n}, s:o}", "domain", domain, "method",
	                 method, "mode", "reachability", "verdict", verdict, "diagnosis",
	                 "le_multi_perspective", "accepted", "results", results);
}

static json_t *s_report(const char *verdict, json_t *checks)
{
	return json_pack("{s:i, s:s, s:s, s:i, s:o}", "version", 1, "tool", "vantage", "verdict",
	                 verdict, "exit_code", strcmp(verdict, "pass") == 0 ? 0 : 1, "checks",
	                 checks);
}

/* Finish the run of domain with doc (taken over). */
static void s_finish_run(struct t_fix *f, const char *domain, json_t *doc)
{
	cr_assert_not_null(doc, "bad test report for %s", domain);
	for (size_t i = 0; i < f->ctx.n; i++) {
		if (f->ctx.runs[i].done != NULL && strcmp(f->ctx.runs[i].domain, domain) == 0) {
			monitor_done_fn done = f->ctx.runs[i].done;
			f->ctx.runs[i].done = NULL;
			done(doc, f->ctx.runs[i].arg);
			return;
		}
	}
	cr_assert_fail("no run of %s is waiting", domain);
}

/* The first runs: geo.example.com fails http-01 from eu-west only and
 * tls-cert from eu-west (no certificate; ap-south did not answer);
 * exp.example.com gets a certificate past its renewal point from us-east and
 * an expired one from eu-west. */
static void s_fix_runs(struct t_fix *f)
{
	int64_t now = f->now;
	json_t *http = json_pack(
	        "[o, o, o]", s_row("use1", "us-east", "ARIN", "reachable", 153, NULL, NULL, NULL),
	        s_row("euw1", "eu-west", "RIPE", "fail", 10000, "connection",
	              "203.0.113.7: Fetching http://geo.example.com/.well-known/acme-challenge/x: "
	              "Timeout during connect (likely firewall problem)",
	              NULL),
	        s_row("aps1", T_ODD_REG, "APNIC", "reachable", 240, NULL, NULL, NULL));
	json_t *cert =
	        json_pack("[o, o, o]",
	                  s_row("use1", "us-east", "ARIN", "pass", 80, NULL, NULL,
	                        s_cert(now - 30 * T_DAY, now + 60 * T_DAY)),
	                  s_row("euw1", "eu-west", "RIPE", "fail", 10000, "connection",
	                        "203.0.113.7: Timeout during connect", NULL),
	                  s_row("aps1", T_ODD_REG, "APNIC", "unavailable", 0, NULL, NULL, NULL));
	json_t *exp =
	        json_pack("[o, o, o]",
	                  s_row("use1", "us-east", "ARIN", "pass", 70, NULL, NULL,
	                        s_cert(now - 70 * T_DAY, now + 20 * T_DAY)),
	                  s_row("euw1", "eu-west", "RIPE", "pass", 75, NULL, NULL,
	                        s_cert(now - 91 * T_DAY, now - T_DAY)),
	                  s_row("aps1", T_ODD_REG, "APNIC", "unavailable", 0, NULL, NULL, NULL));

	s_finish_run(
	        f, "geo.example.com",
	        s_report("fail",
	                 json_pack("[o, o]", s_check("geo.example.com", "http-01", "fail", http),
	                           s_check("geo.example.com", "tls-cert", "fail", cert))));
	s_finish_run(f, "exp.example.com",
	             s_report("pass", json_pack("[o]", s_check("exp.example.com", "tls-cert",
	                                                       "pass", exp))));
}

/* The line of text that starts with prefix, or NULL. */
static const char *s_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, prefix, n) == 0)
			return p;
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	return NULL;
}

/* Is there a line exactly "series value"? */
static void s_has_sample(const char *text, const char *series, const char *value)
{
	char want[1024];
	const char *l;

	snprintf(want, sizeof(want), "%s %s\n", series, value);
	l = s_line(text, want);
	cr_assert_not_null(l, "no line \"%s %s\" in:\n%s", series, value, text);
}

static void s_no_series(const char *text, const char *series)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s ", series);
	cr_assert_null(s_line(text, want), "unexpected sample %s", series);
}

/* Every family that has samples has # HELP and # TYPE lines before them. */
static void s_families_documented(const char *text)
{
	for (const char *p = text; *p != '\0';) {
		const char *eol = strchr(p, '\n');
		char name[128], help[160], type[160];
		size_t n = strcspn(p, "{ ");

		cr_assert_not_null(eol, "the exposition does not end with a newline");
		if (p[0] != '#') {
			cr_assert_lt(n, sizeof(name));
			memcpy(name, p, n);
			name[n] = '\0';
			snprintf(help, sizeof(help), "# HELP %s ", name);
			snprintf(type, sizeof(type), "# TYPE %s ", name);
			cr_assert_not_null(s_line(text, help), "%s has no # HELP", name);
			cr_assert_not_null(s_line(text, type), "%s has no # TYPE", name);
		}
		p = eol + 1;
	}
}

/* Under valgrind (make valgrind traces children), promtool, a Go program,
 * would run under it too and fail; valgrind preloads its vgpreload_*.so. */
static bool s_under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

/* promtool check metrics on text: its exit status, or -1 without promtool
 * (or under valgrind). */
static int s_promtool(const char *text, size_t len, char *out, size_t outlen)
{
	char in_path[] = "/tmp/vt-metrics-XXXXXX", cmd[256];
	FILE *f;
	size_t n;
	int fd, st;

	out[0] = '\0';
	if (s_under_valgrind() || system("command -v promtool >/dev/null 2>&1") != 0)
		return -1;
	fd = mkstemp(in_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "timeout 20 promtool check metrics < %s 2>&1", in_path);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	st = pclose(f);
	unlink(in_path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define GEO_HTTP "monitor=\"web\",domain=\"geo.example.com\",method=\"http-01\""
#define GEO_CERT "monitor=\"web\",domain=\"geo.example.com\",method=\"tls-cert\""

TestSuite(metrics, .timeout = 30);

Test(metrics, exposition_from_monitor_runs)
{
	struct t_fix f;
	struct monitoring_cfg quiet; /* no webhook, no command: alerts are only logged */
	struct alerts *al;
	char series[512], value[64], tool[4096], err[256] = "";
	size_t len = 0;
	char *text;
	int rc;

	s_fix_init(&f);
	s_fix_runs(&f);
	memset(&quiet, 0, sizeof(quiet));
	al = alerts_new(&quiet, err, sizeof(err));
	cr_assert_not_null(al, "%s", err);
	text = metrics_render(f.agents, NULL, f.mon, al, f.now, &len);
	alerts_destroy(&al);
	cr_assert_not_null(text);
	cr_assert_eq(strlen(text), len);
	s_families_documented(text);

	s_has_sample(text, "vantage_agents_configured", "3");
	s_has_sample(text, "vantage_agents_connected", "2");
	s_has_sample(text, "vantage_agent_up{agent=\"use1\",region=\"us-east\",rir=\"ARIN\"}", "1");
	s_has_sample(text,
	             "vantage_agent_up{agent=\"aps1\",region=\"" T_ODD_PROM "\",rir=\"APNIC\"}",
	             "0");

	/* http-01: pass, fail, pass (the odd region escaped) */
	s_has_sample(text, "vantage_probe_success{" GEO_HTTP ",agent=\"use1\",region=\"us-east\"}",
	             "1");
	s_has_sample(text, "vantage_probe_success{" GEO_HTTP ",agent=\"euw1\",region=\"eu-west\"}",
	             "0");
	s_has_sample(text,
	             "vantage_probe_success{" GEO_HTTP ",agent=\"aps1\",region=\"" T_ODD_PROM "\"}",
	             "1");
	s_has_sample(text,
	             "vantage_probe_duration_seconds{" GEO_HTTP
	             ",agent=\"use1\",region=\"us-east\"}",
	             "0.153");
	/* an unavailable vantage has no sample */
	s_no_series(text,
	            "vantage_probe_success{" GEO_CERT ",agent=\"aps1\",region=\"" T_ODD_PROM "\"}");
	s_no_series(text, "vantage_probe_duration_seconds{" GEO_CERT
	                  ",agent=\"aps1\",region=\"" T_ODD_PROM "\"}");

	/* certificates: one per vantage that got one, by level */
	snprintf(series, sizeof(series),
	         "vantage_cert_not_after_timestamp_seconds{monitor=\"web\",domain=\"geo.example."
	         "com\",agent=\"use1\",region=\"us-east\"}");
	snprintf(value, sizeof(value), "%lld", (long long)(f.now + 60 * T_DAY));
	s_has_sample(text, series, value);
	s_no_series(text, "vantage_cert_not_after_timestamp_seconds{monitor=\"web\",domain=\"geo."
	                  "example.com\",agent=\"euw1\",region=\"eu-west\"}");
	s_has_sample(text,
	             "vantage_cert_expiry_level{monitor=\"web\",domain=\"geo.example.com\","
	             "agent=\"use1\",region=\"us-east\"}",
	             "0");
	s_has_sample(text,
	             "vantage_cert_expiry_level{monitor=\"expiry\",domain=\"exp.example.com\","
	             "agent=\"use1\",region=\"us-east\"}",
	             "1");
	s_has_sample(text,
	             "vantage_cert_expiry_level{monitor=\"expiry\",domain=\"exp.example.com\","
	             "agent=\"euw1\",region=\"eu-west\"}",
	             "3");

	/* the monitors' state and counters */
	s_has_sample(text, "vantage_monitor_failing{" GEO_HTTP "}", "1");
	s_has_sample(text, "vantage_monitor_failing{" GEO_CERT "}", "1");
	/* an expired certificate fails the monitor, though the probe passed */
	s_has_sample(text,
	             "vantage_monitor_failing{monitor=\"expiry\",domain=\"exp.example.com\","
	             "method=\"tls-cert\"}",
	             "1");
	s_has_sample(text,
	             "vantage_probe_success{monitor=\"expiry\",domain=\"exp.example.com\","
	             "method=\"tls-cert\",agent=\"euw1\",region=\"eu-west\"}",
	             "1");
	snprintf(value, sizeof(value), "%lld", (long long)f.now);
	s_has_sample(text, "vantage_monitor_last_run_timestamp_seconds{" GEO_HTTP "}", value);
	s_has_sample(text, "vantage_monitor_runs_total", "2");
	s_has_sample(text, "vantage_monitor_runs_skipped_total", "0");
	s_has_sample(text, "vantage_alerts_total{kind=\"failure\"}", "3");
	s_has_sample(text, "vantage_alerts_total{kind=\"recovery\"}", "0");
	s_has_sample(text, "vantage_alert_deliveries_total{result=\"delivered\"}", "0");
	s_has_sample(text, "vantage_alert_deliveries_total{result=\"failed\"}", "0");
	s_has_sample(text, "vantage_alert_deliveries_total{result=\"dropped\"}", "0");
	cr_assert_not_null(strstr(text, "# TYPE vantage_monitor_runs_total counter\n"));
	cr_assert_not_null(strstr(text, "# TYPE vantage_probe_success gauge\n"));

	rc = s_promtool(text, len, tool, sizeof(tool));
	if (rc >= 0)
		cr_assert_eq(rc, 0, "promtool check metrics failed (%d):\n%s\n---\n%s", rc, tool,
		             text);
	else
		cr_log_info("promtool is not installed (or this is valgrind): the exposition was "
		            "not checked by it");
	free(text);
	s_fix_fini(&f);
}

Test(metrics, without_monitoring_only_agents)
{
	struct t_fix f;
	size_t len = 0;
	char *text, tool[4096];
	int rc;

	s_fix_init(&f);
	text = metrics_render(f.agents, NULL, NULL, NULL, f.now, &len);
	cr_assert_not_null(text);
	s_has_sample(text, "vantage_agents_connected", "2");
	cr_assert_null(strstr(text, "vantage_probe_success"));
	cr_assert_null(strstr(text, "vantage_monitor_runs_total"));
	rc = s_promtool(text, len, tool, sizeof(tool));
	cr_assert(rc <= 0, "promtool check metrics failed (%d): %s", rc, tool);
	free(text);
	text = status_render(f.agents, NULL, f.now, &len);
	cr_assert_not_null(text);
	cr_assert_not_null(strstr(text, "Monitoring is not running"));
	free(text);
	s_fix_fini(&f);
}

/* Jobs by how they ended: use1 takes its job, euw1's cannot be sent. */
static int s_send_use1_only(void *ctx, struct agent *a, const struct vt_job *job)
{
	(void)ctx;
	(void)job;
	return strcmp(a->cfg->name, "use1") == 0 ? 0 : -1;
}

Test(metrics, job_counters_from_a_check)
{
	struct t_fix f;
	struct checks *ch;
	struct check_request req;
	struct vt_result bogus;
	const struct checks_counters *cc;
	size_t len = 0;
	char *text, err[256] = "", tool[4096];
	int status = 0, rc;

	s_fix_init(&f);
	for (size_t i = 0; i < f.agents->n; i++)
		f.agents->v[i].caps.methods = 1u << VT_METHOD_HTTP01;
	ch = checks_new(f.cfg, f.agents, s_send_use1_only, NULL);
	cr_assert_not_null(ch);
	memset(&req, 0, sizeof(req));
	snprintf(req.domains[0], sizeof(req.domains[0]), "ok.example.com");
	req.n_domains = 1;
	req.methods[0] = VT_METHOD_HTTP01;
	req.n_methods = 1;
	req.mode = VT_MODE_REACHABILITY;
	req.budget_ms = JOB_DEFAULT_BUDGET_MS; /* the fixture's config has none */
	req.min_answers = 1;
	cr_assert_not_null(
	        checks_start(ch, &req, NULL, NULL, checks_now_ms(), &status, err, sizeof(err)),
	        "%s", err);
	memset(&bogus, 0, sizeof(bogus));
	snprintf(bogus.job_id, sizeof(bogus.job_id), "00000000000000000000000000000000");
	cr_assert_eq(checks_on_result(ch, &f.agents->v[0], &bogus), -1);
	checks_finish_all(ch);
	cc = checks_counters(ch);
	cr_expect_eq(cc->checks_started, 1);
	cr_expect_eq(cc->checks_finished, 1);
	cr_expect_eq(cc->jobs_sent, 1);
	cr_expect_eq(cc->jobs_unsendable, 1);
	cr_expect_eq(cc->jobs_timed_out, 1);
	cr_expect_eq(cc->jobs_answered, 0);
	cr_expect_eq(cc->results_dropped, 1);

	text = metrics_render(f.agents, ch, NULL, NULL, f.now, &len);
	cr_assert_not_null(text);
	s_has_sample(text, "vantage_checks_total{state=\"finished\"}", "1");
	s_has_sample(text, "vantage_jobs_total{result=\"timed_out\"}", "1");
	s_has_sample(text, "vantage_jobs_total{result=\"unsendable\"}", "1");
	s_has_sample(text, "vantage_jobs_total{result=\"answered\"}", "0");
	s_has_sample(text, "vantage_results_dropped_total{reason=\"any\"}", "1");
	rc = s_promtool(text, len, tool, sizeof(tool));
	cr_assert(rc <= 0, "promtool check metrics failed (%d): %s", rc, tool);
	free(text);
	checks_destroy(&ch);
	s_fix_fini(&f);
}

/* The opening tag of the <td> for (agent, domain, method), copied into buf. */
static const char *s_cell(const char *page, const char *agent, const char *domain,
                          const char *method, char *buf, size_t len)
{
	char a[128], d[300], m[64];

	snprintf(a, sizeof(a), "data-agent=\"%s\"", agent);
	snprintf(d, sizeof(d), "data-domain=\"%s\"", domain);
	snprintf(m, sizeof(m), "data-method=\"%s\"", method);
	for (const char *p = strstr(page, "<td"); p != NULL; p = strstr(p + 1, "<td")) {
		const char *end = strchr(p, '>');
		size_t n;

		cr_assert_not_null(end);
		n = (size_t)(end - p) + 1;
		cr_assert_lt(n, len);
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (strstr(buf, a) != NULL && strstr(buf, d) != NULL && strstr(buf, m) != NULL)
			return buf;
	}
	return NULL;
}

static void s_cell_state(const char *page, const char *agent, const char *domain,
                         const char *method, const char *state)
{
	char buf[1024], want[64], cls[64];
	const char *c = s_cell(page, agent, domain, method, buf, sizeof(buf));

	cr_assert_not_null(c, "no cell for %s %s %s", agent, domain, method);
	snprintf(want, sizeof(want), "data-state=\"%s\"", state);
	snprintf(cls, sizeof(cls), "class=\"%s\"", state);
	cr_assert_not_null(strstr(c, want), "%s %s %s: %s, wanted %s", agent, domain, method, c,
	                   state);
	cr_assert_not_null(strstr(c, cls), "%s: class is not %s", c, state);
}

static size_t s_count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Every URL ("://") of page is inside a title="..." attribute (a problem
 * detail quoting the URL a vantage fetched), never a link or an asset. */
static void s_http_only_in_titles(const char *page)
{
	for (const char *p = strstr(page, "://"); p != NULL; p = strstr(p + 1, "://")) {
		const char *t = NULL;

		for (const char *q = strstr(page, "title=\""); q != NULL && q < p;
		     q = strstr(q + 1, "title=\""))
			t = q;
		cr_assert_not_null(t, "a URL outside an attribute: %.60s", p);
		cr_assert_null(memchr(t + 7, '"', (size_t)(p - t - 7)),
		               "a URL outside a title: %.60s", p);
	}
}

Test(metrics, status_page)
{
	struct t_fix f;
	size_t len = 0;
	char *page, buf[1024];
	const char *c;

	s_fix_init(&f);
	s_fix_runs(&f);
	page = status_render(f.agents, f.mon, f.now, &len);
	cr_assert_not_null(page);
	cr_assert_eq(strlen(page), len);

	/* a complete HTML5 document */
	cr_assert_eq(strncmp(page, "<!DOCTYPE html>\n<html lang=\"en\">", 32), 0);
	cr_assert_not_null(strstr(page, "<meta charset=\"utf-8\">"));
	cr_assert_not_null(strstr(page, "<style>"));
	cr_assert_eq(strcmp(page + len - strlen("</html>\n"), "</html>\n"), 0);
	cr_assert_eq(s_count(page, "<tr>"), s_count(page, "</tr>"));
	cr_assert_eq(s_count(page, "<td"), s_count(page, "</td>"));
	cr_assert_eq(s_count(page, "<th"), s_count(page, "</th>") + s_count(page, "<thead"));
	/* three rows: web http-01, web tls-cert, expiry tls-cert */
	cr_assert_eq(s_count(page, "<tr>"), 4, "header and three rows");

	/* nothing external, nothing active: URLs only in the problem details */
	s_http_only_in_titles(page);
	cr_assert_null(strstr(page, "<script"));
	cr_assert_null(strstr(page, "<link"));
	cr_assert_null(strstr(page, "src="));
	cr_assert_null(strstr(page, "url("));

	/* the cells */
	s_cell_state(page, "use1", "geo.example.com", "http-01", "pass");
	s_cell_state(page, "euw1", "geo.example.com", "http-01", "fail");
	s_cell_state(page, "aps1", "geo.example.com", "http-01", "pass");
	s_cell_state(page, "use1", "geo.example.com", "tls-cert", "pass");
	s_cell_state(page, "euw1", "geo.example.com", "tls-cert", "fail");
	s_cell_state(page, "aps1", "geo.example.com", "tls-cert", "unavailable");
	s_cell_state(page, "euw1", "exp.example.com", "tls-cert", "pass");
	/* the failing cell says why, escaped, in its title */
	c = s_cell(page, "euw1", "geo.example.com", "http-01", buf, sizeof(buf));
	cr_assert_not_null(strstr(c, "title=\"203.0.113.7: Fetching http://geo.example.com/"), "%s",
	                   c);
	/* tls-cert cells show the days left; the row's worst certificate */
	cr_assert_not_null(strstr(page, "data-state=\"pass\" data-cert=\"ok\">60d</td>"),
	                   "no 60-day cell for use1");
	cr_assert_not_null(strstr(page, "data-state=\"pass\" data-cert=\"warning\">20d</td>"),
	                   "no 20-day warning cell");
	cr_assert_not_null(strstr(page, "data-cert=\"expired\">expired</td>"), "no expired cell");
	cr_assert_not_null(
	        strstr(page, "<td class=\"cert-expired\" data-cert=\"expired\">expired</td>"),
	        "the expiry row's certificate column is not the worst");
	/* the row states and the header */
	cr_assert_not_null(strstr(page, "<td class=\"state-fail\">fail</td>"));
	cr_assert_not_null(strstr(page, "agents up <span id=\"agents-up\">2</span>/<span "
	                                "id=\"agents-configured\">3</span>"));

	/* every string escaped: the odd region, and the title's URL only there */
	cr_assert_not_null(strstr(page, T_ODD_HTML), "the odd region is not escaped");
	cr_assert_null(strstr(page, "<b>"));
	cr_assert_null(strstr(page, "south\\<"));
	free(page);
	s_fix_fini(&f);
}

/* ---- the routes (coordinator/api.c) ---- */

/* An API on 127.0.0.1 (an ephemeral port) in a thread of its own, with the
 * fixture's monitors over a history database in a scratch directory.  The
 * monitors and the history are touched by the API thread only while it
 * runs, as in the coordinator's loop. */
struct t_api {
	struct t_fix fix;
	struct history *hist;
	struct api *api;
	pthread_t th;
	atomic_bool stop;
	char dir[64];
	char token[API_TOKEN_FILE_MAX + 1];
};

static struct t_api s_api;

static void *s_api_loop(void *arg)
{
	struct t_api *t = arg;

	/* bounded by the test's timeout; each wait at most T_POLL_MS */
	while (!atomic_load(&t->stop)) {
		struct pollfd p = {.fd = api_epoll_fd(t->api), .events = POLLIN};

		api_run(t->api);
		poll(&p, 1, T_POLL_MS);
	}
	return NULL;
}

/* monitoring: the history database and monitors over it, or neither. */
static void s_api_start(bool monitoring)
{
	static const enum vt_method web_m[] = {VT_METHOD_HTTP01};
	struct t_api *t = &s_api;
	struct monitor_spec spec;
	struct monitoring_cfg mc;
	char err[512] = "", path[128];

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/vt-metrics-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	t->fix.now = (int64_t)time(NULL);
	t->fix.cfg = calloc(1, sizeof(*t->fix.cfg));
	cr_assert_not_null(t->fix.cfg);
	s_agent(t->fix.cfg, "use1", "us-east", "ARIN");
	snprintf(t->fix.cfg->api_listen, sizeof(t->fix.cfg->api_listen), "127.0.0.1:0");
	snprintf(t->fix.cfg->api_token_file, sizeof(t->fix.cfg->api_token_file), "%s/api.token",
	         t->dir);
	t->fix.agents = agents_new(t->fix.cfg);
	cr_assert_not_null(t->fix.agents);
	t->api = api_new(t->fix.cfg, t->fix.agents, NULL, NULL, NULL, err, sizeof(err));
	cr_assert_not_null(t->api, "%s", err);
	cr_assert_eq(api_token_load(t->fix.cfg->api_token_file, t->token, err, sizeof(err)), 0,
	             "%s", err);
	if (monitoring) {
		cr_assert_lt((size_t)snprintf(path, sizeof(path), "%s/history.db", t->dir),
		             sizeof(path));
		t->hist = history_open(path, err, sizeof(err));
		cr_assert_not_null(t->hist, "%s", err);
		memset(&mc, 0, sizeof(mc));
		mc.alert_after = 1;
		s_spec(&spec, "web", "www.example.com", web_m, 1);
		t->fix.mon = monitors_new(&spec, 1, &mc, t->hist, NULL, s_start, &t->fix.ctx, err,
		                          sizeof(err));
		cr_assert_not_null(t->fix.mon, "%s", err);
		api_set_monitoring(t->api, t->fix.mon, t->hist, NULL);
	}
	cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	cr_assert_eq(pthread_create(&t->th, NULL, s_api_loop, t), 0);
}

static void s_api_stop(void)
{
	struct t_api *t = &s_api;

	atomic_store(&t->stop, true);
	pthread_join(t->th, NULL);
	api_destroy(&t->api);
	s_fix_fini(&t->fix);
	history_close(&t->hist);
	scratch_remove(t->dir);
	curl_global_cleanup();
}

static void s_api_setup(void)
{
	s_api_start(true);
}

static void s_api_setup_bare(void)
{
	s_api_start(false);
}

struct t_body {
	char data[T_BODY_MAX];
	size_t len;
	char ctype[128];
};

static size_t s_collect(char *p, size_t size, size_t n, void *arg)
{
	struct t_body *b = arg;
	size_t k = size * n;

	if (k > sizeof(b->data) - 1 - b->len)
		return 0;
	memcpy(b->data + b->len, p, k);
	b->len += k;
	b->data[b->len] = '\0';
	return k;
}

/* One request (no proxy); the status, the body in b.  token NULL: none. */
static long s_req(const char *method, const char *path, const char *body, bool token,
                  struct t_body *b)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[256], auth[API_TOKEN_FILE_MAX + 32];
	const char *ct = NULL;
	long code = 0;
	CURLcode cc;

	cr_assert_not_null(c);
	memset(b, 0, sizeof(*b));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", api_port(s_api.api), path);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s_api.token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)T_HTTP_MS);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(c);
	cr_assert_eq(cc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(cc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(b->ctype, sizeof(b->ctype), "%s", ct != NULL ? ct : "");
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

static void s_error_has(const struct t_body *b, const char *needle)
{
	cr_assert_not_null(strstr(b->data, needle), "\"%s\" not in %s", needle, b->data);
}

Test(metrics, routes_open_on_loopback, .init = s_api_setup, .fini = s_api_stop)
{
	struct t_body b;

	/* the API listens on 127.0.0.1: /metrics and /status need no token */
	cr_assert_eq(s_req("GET", "/metrics", NULL, false, &b), 200, "%s", b.data);
	cr_assert_str_eq(b.ctype, METRICS_CONTENT_TYPE);
	cr_assert_not_null(strstr(b.data, "vantage_agents_configured 1\n"));
	cr_assert_not_null(strstr(b.data, "# TYPE vantage_monitor_runs_total counter\n"));
	cr_assert_eq(s_req("GET", "/status", NULL, false, &b), 200);
	cr_assert_str_eq(b.ctype, STATUS_CONTENT_TYPE);
	cr_assert_not_null(strstr(b.data, "<td>www.example.com</td>"), "%s", b.data);
	cr_assert_eq(s_req("GET", "/metrics", NULL, true, &b), 200, "a token does no harm");
	cr_assert_eq(s_req("POST", "/metrics", "{}", false, &b), 405);
	/* everything under /v1 still needs it */
	cr_assert_eq(s_req("GET", "/v1/monitors", NULL, false, &b), 401);
	cr_assert_eq(s_req("GET", "/v1/history?domain=a.example", NULL, false, &b), 401);
	cr_assert_eq(s_req("DELETE", "/v1/monitors/web", NULL, false, &b), 401);
}

Test(metrics, monitors_routes, .init = s_api_setup, .fini = s_api_stop)
{
	struct t_body b;
	json_t *doc;

	cr_assert_eq(s_req("GET", "/v1/monitors", NULL, true, &b), 200, "%s", b.data);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc);
	cr_assert_eq(json_array_size(json_object_get(doc, "monitors")), 1);
	json_decref(doc);

	/* add: 201 with the monitor; the same name again, or a configured one: 409 */
	cr_assert_eq(s_req("POST", "/v1/monitors",
	                   "{\"name\": \"geo\", \"domains\": [\"geo.example.com\"], \"methods\": "
	                   "[\"http-01\", \"tls-cert\"], \"interval_s\": 6}",
	                   true, &b),
	             201, "%s", b.data);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "name")), "geo");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "source")), "api");
	cr_assert_eq(json_array_size(json_object_get(doc, "targets")), 2);
	json_decref(doc);
	cr_assert_eq(s_req("POST", "/v1/monitors",
	                   "{\"name\": \"geo\", \"domains\": [\"other.example\"]}", true, &b),
	             409);
	s_error_has(&b, "monitor geo exists (added through the API)");
	cr_assert_eq(s_req("POST", "/v1/monitors",
	                   "{\"name\": \"web\", \"domains\": [\"a.example\"]}", true, &b),
	             409);
	s_error_has(&b, "defined in the configuration file");
	cr_assert_eq(s_req("POST", "/v1/monitors", "{\"name\": \"x\", \"domains\": []}", true, &b),
	             400);
	cr_assert_eq(s_req("POST", "/v1/monitors",
	                   "{\"name\": \"x\", \"domains\": [\"a.example\"], "
	                   "\"methods\": [\"caa\"]}",
	                   true, &b),
	             400);
	cr_assert_eq(s_req("POST", "/v1/monitors", "not json", true, &b), 400);
	s_error_has(&b, "invalid JSON");

	/* remove: only API monitors */
	cr_assert_eq(s_req("DELETE", "/v1/monitors/web", NULL, true, &b), 409);
	s_error_has(&b, "web is defined in the configuration file");
	cr_assert_eq(s_req("DELETE", "/v1/monitors/nope", NULL, true, &b), 404);
	cr_assert_eq(s_req("DELETE", "/v1/monitors/.hidden", NULL, true, &b), 400);
	cr_assert_eq(s_req("DELETE", "/v1/monitors/a/b", NULL, true, &b), 404);
	cr_assert_eq(s_req("GET", "/v1/monitors/geo", NULL, true, &b), 405);
	cr_assert_eq(s_req("DELETE", "/v1/monitors", NULL, true, &b), 405);
	cr_assert_eq(s_req("DELETE", "/v1/monitors/geo", NULL, true, &b), 200, "%s", b.data);
	s_error_has(&b, "\"removed\":true");
	cr_assert_eq(s_req("DELETE", "/v1/monitors/geo", NULL, true, &b), 404);
}

Test(metrics, history_route, .init = s_api_setup, .fini = s_api_stop)
{
	struct t_body b;
	json_t *doc;

	cr_assert_eq(s_req("GET", "/v1/history?domain=WWW.Example.com&since=24h&limit=5", NULL,
	                   true, &b),
	             200, "%s", b.data);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "domain")), "www.example.com");
	cr_assert(json_is_array(json_object_get(doc, "vantages")));
	cr_assert(json_is_array(json_object_get(doc, "runs")));
	json_decref(doc);
	cr_assert_eq(s_req("GET", "/v1/history?domain=a.example&since=2026-01-02T03%3A04%3A05Z",
	                   NULL, true, &b),
	             200, "%s", b.data);

	cr_assert_eq(s_req("GET", "/v1/history", NULL, true, &b), 400);
	s_error_has(&b, "the domain parameter is required");
	cr_assert_eq(s_req("GET", "/v1/history?domain=a..example", NULL, true, &b), 400);
	cr_assert_eq(s_req("GET", "/v1/history?domain=a.example&since=yesterday", NULL, true, &b),
	             400);
	s_error_has(&b, "expected an RFC 3339 time");
	cr_assert_eq(s_req("GET", "/v1/history?domain=a.example&limit=0", NULL, true, &b), 400);
	cr_assert_eq(s_req("GET", "/v1/history?domain=a.example&limit=1001", NULL, true, &b), 400);
	cr_assert_eq(s_req("POST", "/v1/history?domain=a.example", "{}", true, &b), 405);
}

Test(metrics, routes_without_monitoring, .init = s_api_setup_bare, .fini = s_api_stop)
{
	struct t_body b;

	cr_assert_eq(s_req("GET", "/v1/history?domain=a.example", NULL, true, &b), 503);
	s_error_has(&b, "monitoring is not running");
	cr_assert_eq(s_req("GET", "/v1/monitors", NULL, true, &b), 503);
	cr_assert_eq(s_req("POST", "/v1/monitors",
	                   "{\"name\": \"x\", \"domains\": [\"a.example\"]}", true, &b),
	             503);
	cr_assert_eq(s_req("DELETE", "/v1/monitors/x", NULL, true, &b), 503);
	/* the agents are still worth a scrape */
	cr_assert_eq(s_req("GET", "/metrics", NULL, false, &b), 200);
	cr_assert_not_null(strstr(b.data, "vantage_agents_configured 1\n"));
	cr_assert_null(strstr(b.data, "vantage_monitor_runs_total"));
	cr_assert_eq(s_req("GET", "/status", NULL, false, &b), 200);
	s_error_has(&b, "Monitoring is not running");
}
