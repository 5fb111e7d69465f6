/*
 * test_alert.c -- coordinator/alert.c: webhook delivery (exact body,
 * retries with backoff, failures), the command hook (argv, environment,
 * stdin, timeout), the bounded queue, and a prompt stop.  The webhook
 * receiver is a libmicrohttpd server on 127.0.0.1 with an ephemeral port;
 * the hooks are /bin/sh scripts in a fresh directory under /tmp.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "coordinator/alert.h"
#include "httpstub.h"
#include "scratch.h"
#include "tcpstub.h"

#define SINK_MAX_BODIES (ALERT_QUEUE_MAX + 8)
#define DRAIN_MS        30000
#define T_CMD_MS        20000 /* hooks' timeout: roomy, for valgrind --trace-children */
#define T_SLOW_CMD_MS   1500  /* the slow hook's timeout */
#define T_BACKOFF_MS    20    /* the tests' first backoff */

_Static_assert(ALERT_MAX_PAYLOAD < HTTPSTUB_MAX_BODY, "the receiver keeps whole payloads");

/* ---- the webhook receiver ---- */

struct sink {
	struct httpstub http;
	unsigned fail_first; /* answer 500 to this many requests first */
	bool always_fail;
	char *bodies[SINK_MAX_BODIES];
	char content_type[128], user_agent[128];
};

static struct sink s_sink;
static char s_dir[64];

/* Keep the POST bodies and the last request's headers; 204 to a POST (500
 * when told to fail), 405 to anything else.  Called with s_sink.http.mu held. */
static void s_answer(void *arg, const struct httpstub_req *q, struct httpstub_reply *out)
{
	struct sink *k = arg;
	const char *v;
	bool post = strcmp(q->method, MHD_HTTP_METHOD_POST) == 0;

	if (post && q->n <= SINK_MAX_BODIES)
		k->bodies[q->n - 1] = strdup(q->body);
	v = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	snprintf(k->content_type, sizeof(k->content_type), "%s", v ? v : "");
	v = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	snprintf(k->user_agent, sizeof(k->user_agent), "%s", v ? v : "");
	if (!post)
		out->status = MHD_HTTP_METHOD_NOT_ALLOWED;
	else if (k->always_fail || q->n <= k->fail_first)
		out->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	else
		out->status = MHD_HTTP_NO_CONTENT;
}

static void s_setup(void)
{
	memset(&s_sink, 0, sizeof(s_sink));
	httpstub_init(&s_sink.http, s_answer, &s_sink);
	snprintf(s_dir, sizeof(s_dir), "/tmp/vt-alert-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
}

static void s_teardown(void)
{
	httpstub_fini(&s_sink.http);
	for (size_t i = 0; i < SINK_MAX_BODIES; i++)
		free(s_sink.bodies[i]);
	scratch_remove(s_dir);
}

TestSuite(alert, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* ---- helpers ---- */

static unsigned s_requests(void)
{
	return httpstub_requests(&s_sink.http);
}

static uint64_t s_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void s_cfg_webhook(struct monitoring_cfg *c, uint16_t port, uint32_t retries)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->webhook_url, sizeof(c->webhook_url), "http://127.0.0.1:%u/hook", port);
	c->webhook_timeout_ms = 2000;
	c->webhook_retries = retries;
}

static struct alerts *s_new(const struct monitoring_cfg *c)
{
	char err[512] = "";
	struct alerts *a = alerts_new(c, err, sizeof(err));

	cr_assert_not_null(a, "%s", err);
	alerts_set_backoff_ms(a, T_BACKOFF_MS);
	return a;
}

/* A failure alert as monitor.c sends it, numbered seq. */
static json_t *s_payload(int seq)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:[{s:s, s:s, s:s, s:s, s:n}],"
	                      " s:[s, s], s:[s], s:n, s:s, s:i}",
	                      "kind", "failure", "monitor", "shop", "domain", "shop.example",
	                      "method", "http-01", "state", "fail", "since", "2026-11-24T13:00:00Z",
	                      "consecutive_failures", 2, "vantages", "agent", "a1", "region",
	                      "eu-west", "rir", "RIPE", "outcome", "fail", "problem", "failing",
	                      "a1", "a3", "diagnosis",
	                      "fails only from eu-west (Timeout during connect)\nsecond line",
	                      "le_multi_perspective", "at", "2026-11-24T13:05:00Z", "seq", seq);

	cr_assert_not_null(p);
	return p;
}

static void s_counters(struct alerts *a, uint64_t q, uint64_t d, uint64_t f, uint64_t dr)
{
	struct alert_counters c;

	alerts_counters(a, &c);
	cr_assert_eq(c.queued, q, "queued %lu", (unsigned long)c.queued);
	cr_assert_eq(c.delivered, d, "delivered %lu", (unsigned long)c.delivered);
	cr_assert_eq(c.failed, f, "failed %lu", (unsigned long)c.failed);
	cr_assert_eq(c.dropped, dr, "dropped %lu", (unsigned long)c.dropped);
}

/* ---- webhook ---- */

Test(alert, webhook_delivered_on_2xx_with_the_exact_body)
{
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = s_payload(1);
	char *want = json_dumps(p, JSON_COMPACT);

	httpstub_start(&s_sink.http);
	s_cfg_webhook(&c, s_sink.http.port, 3);
	a = s_new(&c);
	cr_assert_eq(alerts_post(a, p), 0);
	json_decref(p); /* the queue holds text, not the object */
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	s_counters(a, 1, 1, 0, 0);
	alerts_destroy(&a);
	cr_assert_null(a);
	cr_assert_eq(s_requests(), 1);
	cr_assert_str_eq(s_sink.bodies[0], want);
	cr_assert_str_eq(s_sink.content_type, "application/json");
	cr_assert_str_eq(s_sink.user_agent, "vantage/" VANTAGE_VERSION);
	free(want);
}

Test(alert, webhook_retries_until_2xx)
{
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = s_payload(1);

	httpstub_start(&s_sink.http);
	s_sink.fail_first = 2; /* 500, 500, then 204 */
	s_cfg_webhook(&c, s_sink.http.port, 3);
	a = s_new(&c);
	cr_assert_eq(alerts_post(a, p), 0);
	json_decref(p);
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	s_counters(a, 1, 1, 0, 0);
	cr_assert_eq(s_requests(), 3);
	cr_assert_str_eq(s_sink.bodies[2], s_sink.bodies[0]); /* the same body each try */
	alerts_destroy(&a);
}

Test(alert, webhook_fails_after_its_retries)
{
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = s_payload(1);
	uint64_t t0;

	httpstub_start(&s_sink.http);
	s_sink.always_fail = true;
	s_cfg_webhook(&c, s_sink.http.port, 2);
	a = s_new(&c);
	t0 = s_ms();
	cr_assert_eq(alerts_post(a, p), 0);
	json_decref(p);
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	s_counters(a, 1, 0, 1, 0);
	cr_assert_eq(s_requests(), 3); /* 1 + 2 retries */
	/* backoff 20 then 40 ms */
	cr_assert_geq(s_ms() - t0, 3 * T_BACKOFF_MS, "no backoff between tries");
	alerts_destroy(&a);
}

Test(alert, webhook_unreachable_fails)
{
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = s_payload(1);

	/* a port that was free a moment ago and nobody listens on */
	s_cfg_webhook(&c, tcpstub_closed_port(), 1);
	a = s_new(&c);
	cr_assert_eq(alerts_post(a, p), 0);
	json_decref(p);
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	s_counters(a, 1, 0, 1, 0);
	alerts_destroy(&a);
}

Test(alert, full_queue_drops_the_oldest)
{
	struct monitoring_cfg c;
	struct alerts *a;
	uint64_t until;
	char want[32];

	httpstub_start(&s_sink.http);
	s_sink.http.hold = true; /* the first delivery hangs until released */
	s_cfg_webhook(&c, s_sink.http.port, 0);
	c.webhook_timeout_ms = HTTPSTUB_HOLD_MS + 2000;
	a = s_new(&c);
	for (int i = 0; i < 1 + ALERT_QUEUE_MAX + 2; i++) {
		json_t *p = s_payload(i);

		cr_assert_eq(alerts_post(a, p), 0);
		json_decref(p);
		if (i == 0) { /* in flight, so the queue is empty again */
			until = s_ms() + HTTPSTUB_HOLD_MS;
			pthread_mutex_lock(&s_sink.http.mu);
			while (!s_sink.http.holding && s_ms() < until) {
				pthread_mutex_unlock(&s_sink.http.mu);
				usleep(1000);
				pthread_mutex_lock(&s_sink.http.mu);
			}
			cr_assert(s_sink.http.holding,
			          "the first alert never reached the receiver");
			pthread_mutex_unlock(&s_sink.http.mu);
		}
	}
	/* 1 in flight, ALERT_QUEUE_MAX queued: #1 and #2 were pushed out */
	s_counters(a, 1 + ALERT_QUEUE_MAX + 2, 0, 0, 2);
	httpstub_release(&s_sink.http);
	cr_assert_eq(alerts_drain(a, DRAIN_MS * 3), 0);
	s_counters(a, 1 + ALERT_QUEUE_MAX + 2, 1 + ALERT_QUEUE_MAX, 0, 2);
	cr_assert_eq(s_requests(), 1 + ALERT_QUEUE_MAX);
	cr_assert(strstr(s_sink.bodies[0], "\"seq\":0}") != NULL, "%s", s_sink.bodies[0]);
	cr_assert(strstr(s_sink.bodies[1], "\"seq\":3}") != NULL, "%s", s_sink.bodies[1]);
	snprintf(want, sizeof(want), "\"seq\":%d}", ALERT_QUEUE_MAX + 2);
	cr_assert(strstr(s_sink.bodies[ALERT_QUEUE_MAX], want) != NULL);
	alerts_destroy(&a);
}

Test(alert, destroy_cuts_a_backoff_short)
{
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = s_payload(1);
	uint64_t t0;

	httpstub_start(&s_sink.http);
	s_sink.always_fail = true;
	s_cfg_webhook(&c, s_sink.http.port, 3);
	a = s_new(&c);
	alerts_set_backoff_ms(a, 30000);
	cr_assert_eq(alerts_post(a, p), 0);
	cr_assert_eq(alerts_post(a, p), 0); /* still queued at destroy: dropped */
	json_decref(p);
	t0 = s_ms();
	while (s_requests() == 0 && s_ms() - t0 < DRAIN_MS)
		usleep(1000);
	cr_assert_eq(s_requests(), 1);
	cr_assert_eq(alerts_drain(a, 50), -1, "busy in its backoff");
	t0 = s_ms();
	alerts_destroy(&a);
	cr_assert_lt(s_ms() - t0, 2000, "destroy waited for the backoff");
	cr_assert_eq(s_requests(), 1);
}

/* ---- command ---- */

/* Write an executable /bin/sh script DIR/name with body; its path in path. */
static void s_script(const char *name, const char *body, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", s_dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	cr_assert_eq(chmod(path, 0700), 0);
}

/* The text of DIR/name (at most len - 1 bytes), "" when it is missing. */
static void s_slurp(const char *name, char *buf, size_t len)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", s_dir, name);
	(void)scratch_slurp(path, buf, len);
}

static void s_cfg_command(struct monitoring_cfg *c, const char *path, uint32_t timeout_ms)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->alert_command, sizeof(c->alert_command), "%s", path);
	c->alert_command_timeout_ms = timeout_ms;
}

Test(alert, command_gets_argv_environment_and_stdin)
{
	static char out[ALERT_MAX_PAYLOAD + 4096];
	char path[160], body[512], line[256];
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = s_payload(7);
	char *want = json_dumps(p, JSON_COMPACT);

	snprintf(body, sizeof(body),
	         "{ printf 'argc=%%s\\n' \"$#\"; printf 'arg0=%%s\\n' \"$0\";"
	         " printf 'args=%%s|%%s|%%s\\n' \"$1\" \"$2\" \"$3\"; env; printf 'stdin='; cat; }"
	         " >%s/out\n",
	         s_dir);
	s_script("hook.sh", body, path, sizeof(path));
	setenv("VT_TEST_SECRET", "must-not-leak", 1);
	s_cfg_command(&c, path, T_CMD_MS);
	a = s_new(&c);
	cr_assert_eq(alerts_post(a, p), 0);
	json_decref(p);
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	s_counters(a, 1, 1, 0, 0);
	alerts_destroy(&a);

	s_slurp("out", out, sizeof(out));
	cr_assert(strstr(out, "argc=3\n") != NULL, "%s", out);
	snprintf(line, sizeof(line), "arg0=%s\n", path);
	cr_assert(strstr(out, line) != NULL, "%s", out);
	cr_assert(strstr(out, "args=failure|shop.example|http-01\n") != NULL, "%s", out);
	cr_assert(strstr(out, "\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n") != NULL, "%s", out);
	cr_assert(strstr(out, "\nVANTAGE_ALERT_KIND=failure\n") != NULL, "%s", out);
	cr_assert(strstr(out, "\nVANTAGE_MONITOR=shop\n") != NULL, "%s", out);
	cr_assert(strstr(out, "\nVANTAGE_DOMAIN=shop.example\n") != NULL, "%s", out);
	cr_assert(strstr(out, "\nVANTAGE_METHOD=http-01\n") != NULL, "%s", out);
	cr_assert(strstr(out, "\nVANTAGE_STATE=fail\n") != NULL, "%s", out);
	cr_assert(strstr(out, "\nVANTAGE_FAILING=a1 a3\n") != NULL, "%s", out);
	cr_assert(strstr(out, "\nVANTAGE_DIAGNOSIS=fails only from eu-west (Timeout during "
	                      "connect)\n") != NULL,
	          "%s", out);
	cr_assert(strstr(out, "must-not-leak") == NULL, "the environment leaked: %s", out);
	cr_assert(strstr(out, "HOME=") == NULL, "%s", out);
	cr_assert(strstr(out, "stdin=") != NULL);
	cr_assert_str_eq(strstr(out, "stdin=") + strlen("stdin="), want);
	free(want);
}

Test(alert, command_exit_status_decides)
{
	char path[160];
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = s_payload(1);

	s_script("fail.sh", "cat >/dev/null; exit 3\n", path, sizeof(path));
	s_cfg_command(&c, path, T_CMD_MS);
	a = s_new(&c);
	cr_assert_eq(alerts_post(a, p), 0);
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	s_counters(a, 1, 0, 1, 0);
	alerts_destroy(&a);

	/* a hook that exits without reading its stdin is still delivered */
	s_script("noread.sh", "exit 0\n", path, sizeof(path));
	s_cfg_command(&c, path, T_CMD_MS);
	a = s_new(&c);
	cr_assert_eq(alerts_post(a, p), 0);
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	s_counters(a, 1, 1, 0, 0);
	alerts_destroy(&a);

	/* one that cannot be executed fails */
	snprintf(path, sizeof(path), "%s/missing.sh", s_dir);
	s_cfg_command(&c, path, T_CMD_MS);
	a = s_new(&c);
	cr_assert_eq(alerts_post(a, p), 0);
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	s_counters(a, 1, 0, 1, 0);
	alerts_destroy(&a);
	json_decref(p);
}

/* Whether pid is gone or a zombie (killed, not yet reaped by its parent). */
static bool s_dead(long pid)
{
	char path[64], stat[256] = "";
	FILE *f;
	char *rp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return true;
	if (fgets(stat, sizeof(stat), f) == NULL)
		stat[0] = '\0';
	fclose(f);
	rp = strrchr(stat, ')');
	return rp != NULL && (rp[2] == 'Z' || rp[2] == 'X');
}

Test(alert, slow_command_is_killed_with_its_children)
{
	char path[160], body[256], pids[64];
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = s_payload(1);
	long sh = 0, sl = 0;
	uint64_t t0;

	snprintf(body, sizeof(body), "sleep 30 &\necho $$ $! >%s/pids\nwait\n", s_dir);
	s_script("slow.sh", body, path, sizeof(path));
	s_cfg_command(&c, path, T_SLOW_CMD_MS);
	a = s_new(&c);
	t0 = s_ms();
	cr_assert_eq(alerts_post(a, p), 0);
	json_decref(p);
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	cr_assert_lt(s_ms() - t0, T_SLOW_CMD_MS + 3000,
	             "the command was not killed at its timeout");
	cr_assert_geq(s_ms() - t0, T_SLOW_CMD_MS);
	s_counters(a, 1, 0, 1, 0);
	alerts_destroy(&a);
	s_slurp("pids", pids, sizeof(pids));
	cr_assert_eq(sscanf(pids, "%ld %ld", &sh, &sl), 2, "%s", pids);
	cr_assert(s_dead(sh), "the hook (pid %ld) survived", sh);
	t0 = s_ms();
	while (!s_dead(sl) && s_ms() - t0 < 2000)
		usleep(10000);
	cr_assert(s_dead(sl), "the hook's child (pid %ld) survived", sl);
}

/* ---- the rest ---- */

Test(alert, without_channels_alerts_are_only_logged)
{
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = s_payload(1);

	memset(&c, 0, sizeof(c));
	a = s_new(&c);
	cr_assert_eq(alerts_post(a, p), 0);
	cr_assert_eq(alerts_drain(a, DRAIN_MS), 0);
	s_counters(a, 0, 0, 0, 0);
	alerts_destroy(&a);
	json_decref(p);
	alerts_counters(NULL, &(struct alert_counters){0});
}

Test(alert, bad_payload_and_config_are_refused)
{
	struct monitoring_cfg c;
	struct alerts *a;
	json_t *p = json_pack("{s:s}", "kind", "failure");
	char err[512] = "";

	s_cfg_webhook(&c, 9, 0);
	a = s_new(&c);
	cr_assert_eq(alerts_post(a, p), -1, "no domain and method");
	json_decref(p);
	s_counters(a, 0, 0, 0, 0);
	alerts_destroy(&a);

	snprintf(c.webhook_url, sizeof(c.webhook_url), "ftp://127.0.0.1/x");
	cr_assert_null(alerts_new(&c, err, sizeof(err)));
	cr_assert(strstr(err, "webhook_url") != NULL, "%s", err);
	memset(&c, 0, sizeof(c));
	snprintf(c.alert_command, sizeof(c.alert_command), "hook.sh");
	cr_assert_null(alerts_new(&c, err, sizeof(err)));
	cr_assert(strstr(err, "absolute") != NULL, "%s", err);
}
