/*
 * test_http01.c -- the probe engine and the HTTP-01 probe end to end, against
 * a tiny HTTP server thread on 127.0.0.1 (an ephemeral port, through the
 * test-only port override).  All traffic stays on loopback.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "dnsstub.h"
#include "probestub.h"
#include "tcpstub.h"
#include "../../agent/probe.h"
#include "../../agent/probe_int.h"
#include "../../agent/resolver.h"

#define T_KA_OK      "ok.thumbprint"
#define T_REQ_MAX    4096
#define T_MANY       1000
#define T_BUDGET_MS  10000
#define T_CHAIN_LONG 20

struct t_server {
	struct tcpstub tcp;
	uint16_t port;
	unsigned served;
};

/* What nginx answers plain HTTP sent to its TLS port, and the reverse. */
#define T_PLAIN_TO_TLS "<html>The plain HTTP request was sent to HTTPS port</html>"
#define T_TLS_TO_PLAIN "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#define T_TLS_RECORD   0x16 /* a TLS handshake record's first byte */

static uint16_t s_port; /* the running server's port, for absolute redirects */

/* The canned response for a request path. */
static void t_respond(int c, const char *path)
{
	const char *tok = strrchr(path, '/');
	char buf[1024], body[256];
	int n = 0;

	tok = tok ? tok + 1 : path;
	if (strcmp(tok, "ok") == 0) {
		snprintf(body, sizeof(body), "%s", T_KA_OK);
	} else if (strcmp(tok, "nl") == 0) {
		snprintf(body, sizeof(body), "nl.thumbprint \r\n\t");
	} else if (strcmp(tok, "nbsp") == 0) {
		snprintf(body, sizeof(body), "nbsp.thumbprint\xc2\xa0\n");
	} else if (strcmp(tok, "wrong") == 0) {
		snprintf(body, sizeof(body), "wrong.other\n");
	} else if (strcmp(tok, "big") == 0) {
		memset(body, 'a', 129);
		body[129] = '\0';
	} else if (strcmp(tok, "b128") == 0) {
		memset(body, 'b', 128);
		body[128] = '\0';
	} else if (strcmp(tok, "redir") == 0) {
		n = snprintf(buf, sizeof(buf),
		             "HTTP/1.1 301 Moved\r\nLocation: ok\r\nContent-Length: 0\r\n"
		             "Connection: close\r\n\r\n");
	} else if (strncmp(tok, "chain", 5) == 0) {
		long k = strtol(tok + 5, NULL, 10);
		n = snprintf(buf, sizeof(buf),
		             "HTTP/1.1 302 Found\r\nLocation: /.well-known/acme-challenge/"
		             "chain%ld\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		             k + 1);
	} else if (strcmp(tok, "tohost") == 0 || strcmp(tok, "tonx") == 0) {
		n = snprintf(buf, sizeof(buf),
		             "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n"
		             "Connection: close\r\n\r\n",
		             tok[2] == 'h' ? "http://WWW.example.com/.well-known/acme-challenge/ok"
		                           : "http://nx.example.com/x");
	} else if (strcmp(tok, "long404") == 0) {
		char page[201];
		memset(page, 'p', 200);
		page[0] = '<';
		page[1] = '"';
		page[2] = '\n';
		page[200] = '\0';
		n = snprintf(buf, sizeof(buf),
		             "HTTP/1.1 404 Not Found\r\nContent-Length: 200\r\nConnection: "
		             "close\r\n\r\n%s",
		             page);
	} else if (strcmp(tok, "srv") == 0 || strcmp(tok, "srv404") == 0) {
		/* a Server header and a body with bytes outside printable ASCII */
		n = snprintf(
		        buf, sizeof(buf),
		        "HTTP/1.1 %s\r\nServer: \tnginx/1.24.0 (Ubuntu)\r\nserver: second\r\n"
		        "Content-Length: 15\r\nConnection: close\r\n\r\nwrong\tbody\r\n\xc3\xa9!",
		        tok[3] == '4' ? "404 Not Found" : "200 OK");
	} else if (strcmp(tok, "srvlong") == 0) {
		char page[301];
		memset(page, 'x', 300);
		memcpy(page, "<html>\n", 7);
		page[300] = '\0';
		n = snprintf(
		        buf, sizeof(buf),
		        "HTTP/1.1 403 Forbidden\r\nServer: cloudflare\r\nContent-Length: 300\r\n"
		        "Connection: close\r\n\r\n%s",
		        page);
	} else if (strcmp(tok, "plain443") == 0) {
		n = snprintf(buf, sizeof(buf),
		             "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: %zu\r\n"
		             "Connection: close\r\n\r\n%s",
		             strlen(T_PLAIN_TO_TLS), T_PLAIN_TO_TLS);
	} else if (strcmp(tok, "tohttps") == 0) {
		/* to https:// on the stub's own port, which speaks plain HTTP */
		n = snprintf(buf, sizeof(buf),
		             "HTTP/1.1 301 Moved\r\nServer: redirector\r\nLocation: "
		             "https://127.0.0.1:%u/.well-known/acme-challenge/ok\r\n"
		             "Content-Length: 5\r\nConnection: close\r\n\r\nmoved",
		             (unsigned)s_port);
	} else if (strcmp(tok, "towk") == 0) {
		/* Apache's "Redirect / https://example.com": no '/' after the host */
		n = snprintf(buf, sizeof(buf),
		             "HTTP/1.1 301 Moved\r\nLocation: "
		             "https://example.com.well-known/acme-challenge/ok\r\n"
		             "Content-Length: 0\r\nConnection: close\r\n\r\n");
	} else if (strcmp(tok, "s500") == 0) {
		n = snprintf(buf, sizeof(buf),
		             "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	} else {
		n = snprintf(buf, sizeof(buf),
		             "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: "
		             "close\r\n\r\nnot found");
	}
	if (n == 0)
		n = snprintf(
		        buf, sizeof(buf),
		        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		        "Connection: close\r\n\r\n%s",
		        strlen(body), body);
	(void)!write(c, buf, (size_t)n);
}

static void t_serve_one(int c, void *arg)
{
	struct t_server *s = arg;
	char req[T_REQ_MAX + 1], path[T_REQ_MAX];
	size_t len = 0;

	for (int i = 0; i < 100 && len < T_REQ_MAX; i++) {
		ssize_t r = read(c, req + len, T_REQ_MAX - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		req[len] = '\0';
		if ((unsigned char)req[0] == T_TLS_RECORD) {
			/* a ClientHello: answer in plain HTTP, as a plain server does */
			(void)!write(c, T_TLS_TO_PLAIN, strlen(T_TLS_TO_PLAIN));
			s->served++;
			close(c);
			return;
		}
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[len] = '\0';
	if (sscanf(req, "GET %4000s HTTP/1.1", path) == 1)
		t_respond(c, path);
	s->served++;
	close(c);
}

static void t_server_start(struct t_server *s)
{
	memset(s, 0, sizeof(*s));
	tcpstub_start(&s->tcp, t_serve_one, s);
	s->port = s->tcp.port;
	s_port = s->port;
	http01_set_port_for_tests(s->port);
}

static void t_server_stop(struct t_server *s)
{
	tcpstub_stop(&s->tcp);
	http01_set_port_for_tests(0);
}

struct t_run {
	struct event_base *base;
	unsigned done;
	unsigned want;
};

static void t_done(struct probe *p, void *arg)
{
	struct t_run *run = arg;

	run->done++;
	if (run->done >= run->want)
		event_base_loopbreak(run->base);
}

static struct probe_cfg t_cfg(void)
{
	struct probe_cfg cfg;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.ipv6 = true;
	cr_assert_eq(addr_filter_parse(&cfg.public_prefixes, "127.0.0.0/8", err, sizeof(err)), 0);
	return cfg;
}

static struct vt_job t_job(const char *domain, const char *token, const char *ka)
{
	struct vt_job job;

	memset(&job, 0, sizeof(job));
	snprintf(job.id, sizeof(job.id), "t1");
	job.method = VT_METHOD_HTTP01;
	job.mode = ka ? VT_MODE_VALIDATE : VT_MODE_REACHABILITY;
	job.budget_ms = T_BUDGET_MS;
	snprintf(job.domain, sizeof(job.domain), "%s", domain);
	snprintf(job.token, sizeof(job.token), "%s", token);
	snprintf(job.key_authorization, sizeof(job.key_authorization), "%s", ka ? ka : "");
	return job;
}

static const char *t_url(const char *tok)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "http://127.0.0.1/.well-known/acme-challenge/%s", tok);
	return buf;
}

Test(http01, pass_exact)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "ok", T_KA_OK);
	struct vt_result r;

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_eq(r.problem.type, VT_PROB_NONE);
	cr_expect_eq(r.http_status, 200);
	cr_expect_str_eq(r.job_id, "t1");
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].url, t_url("ok"));
	cr_expect_str_eq(r.records[0].hostname, "127.0.0.1");
	cr_expect_eq(r.records[0].port, s.port);
	cr_expect_eq(r.records[0].n_addresses_resolved, 1);
	cr_expect_str_eq(r.records[0].addresses_resolved[0], "127.0.0.1");
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	vt_result_clear(&r);
}

Test(http01, trailing_whitespace_trimmed)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "nl", "nl.thumbprint");
	struct vt_job job2 = t_job("127.0.0.1", "nbsp", "nbsp.thumbprint");
	struct vt_result r, r2;

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	probestub_run(&cfg, &job2, &r2);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_expect_eq(r2.outcome, VT_OUTCOME_PASS, "%s", r2.problem.detail);
	vt_result_clear(&r);
	vt_result_clear(&r2);
}

Test(http01, not_found_is_unauthorized)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "missing", "missing.thumbprint");
	struct vt_result r;
	char want[512];

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_UNAUTHORIZED);
	cr_expect_eq(r.http_status, 404);
	snprintf(want, sizeof(want), "127.0.0.1: Invalid response from %s: 404", t_url("missing"));
	cr_expect_str_eq(r.problem.detail, want);
	vt_result_clear(&r);
}

Test(http01, wrong_body)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "wrong", "wrong.thumbprint");
	struct vt_result r;

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(r.problem.detail,
	                 "The key authorization file from the server did not match this challenge. "
	                 "Expected \"wrong.thumbprint\" (got \"wrong.other\")");
	vt_result_clear(&r);
}

/* The last response's Server header and body start travel with every
 * outcome where a response arrived: pass, a status, a body mismatch. */
Test(http01, server_and_body_excerpt_kept)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job jsrv = t_job("127.0.0.1", "srv", "srv.thumbprint");
	struct vt_job j404 = t_job("127.0.0.1", "srv404", "srv404.thumbprint");
	struct vt_job jok = t_job("127.0.0.1", "ok", T_KA_OK);
	struct vt_job jreach = t_job("127.0.0.1", "srv404", NULL);
	struct vt_result rsrv, r404, rok, rreach;

	t_server_start(&s);
	probestub_run(&cfg, &jsrv, &rsrv);
	probestub_run(&cfg, &j404, &r404);
	probestub_run(&cfg, &jok, &rok);
	probestub_run(&cfg, &jreach, &rreach);
	t_server_stop(&s);
	/* a 200 whose body does not match keeps its excerpt */
	cr_expect_eq(rsrv.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(rsrv.http_status, 200);
	cr_expect(strstr(rsrv.problem.detail, "did not match") != NULL, "%s", rsrv.problem.detail);
	cr_expect_str_eq(rsrv.server, "nginx/1.24.0 (Ubuntu)");
	cr_expect_str_eq(rsrv.body, "wrong.body....!");
	cr_expect_eq(r404.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r404.http_status, 404);
	cr_expect_str_eq(r404.server, "nginx/1.24.0 (Ubuntu)");
	cr_expect_str_eq(r404.body, "wrong.body....!");
	cr_expect_eq(rok.outcome, VT_OUTCOME_PASS);
	cr_expect_str_eq(rok.server, "");
	cr_expect_str_eq(rok.body, T_KA_OK);
	cr_expect_eq(rreach.outcome, VT_OUTCOME_REACHABLE);
	cr_expect_str_eq(rreach.server, "nginx/1.24.0 (Ubuntu)");
	vt_result_clear(&rsrv);
	vt_result_clear(&r404);
	vt_result_clear(&rok);
	vt_result_clear(&rreach);
}

/* The excerpt is what was read (HTTP01_MAX_BODY), never more; no response,
 * no excerpt. */
Test(http01, body_excerpt_bounded_and_absent_without_response)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job jlong = t_job("127.0.0.1", "srvlong", "srvlong.x");
	struct vt_job jref = t_job("127.0.0.1", "ok", T_KA_OK);
	struct vt_result rlong, rref;
	char want[HTTP01_MAX_BODY + 1];

	t_server_start(&s);
	probestub_run(&cfg, &jlong, &rlong);
	t_server_stop(&s);
	http01_set_port_for_tests(tcpstub_closed_port());
	probestub_run(&cfg, &jref, &rref);
	http01_set_port_for_tests(0);
	memset(want, 'x', HTTP01_MAX_BODY);
	memcpy(want, "<html>.", 7);
	want[HTTP01_MAX_BODY] = '\0';
	cr_expect_eq(rlong.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(rlong.http_status, 403);
	cr_expect_str_eq(rlong.server, "cloudflare");
	cr_expect_str_eq(rlong.body, want);
	cr_expect_eq(rref.outcome, VT_OUTCOME_FAIL);
	cr_expect_str_eq(rref.server, "");
	cr_expect_str_eq(rref.body, "");
	vt_result_clear(&rlong);
	vt_result_clear(&rref);
}

/* http://host:443/ to a TLS port: nginx's 400 page names the mistake, and
 * the body excerpt carries it. */
Test(http01, plain_http_to_tls_port_body_kept)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "plain443", "plain443.x");
	struct vt_result r;
	char want[512];

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.http_status, 400);
	snprintf(want, sizeof(want), "127.0.0.1: Invalid response from %s: 400", t_url("plain443"));
	cr_expect_str_eq(r.problem.detail, want);
	cr_expect_str_eq(r.server, "nginx");
	cr_expect_str_eq(r.body, T_PLAIN_TO_TLS);
	vt_result_clear(&r);
}

/* A redirect to https:// where the server speaks plain HTTP: OpenSSL's
 * "wrong version number" is Boulder's "Server only speaks HTTP, not TLS";
 * the excerpt stays the redirect's, the last response that arrived. */
Test(http01, https_redirect_to_plain_http)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "tohttps", T_KA_OK);
	struct vt_result r;
	char want[512];

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_MALFORMED, "%d %s", r.problem.type, r.problem.detail);
	snprintf(want, sizeof(want),
	         "127.0.0.1: Fetching https://127.0.0.1:%u/.well-known/acme-challenge/ok: "
	         "Server only speaks HTTP, not TLS",
	         (unsigned)s.port);
	cr_expect_str_eq(r.problem.detail, want);
	cr_expect_eq(r.n_records, 2);
	cr_expect_eq(r.http_status, 301);
	cr_expect_str_eq(r.server, "redirector");
	cr_expect_str_eq(r.body, "moved");
	vt_result_clear(&r);
}

/* Apache's "Redirect / https://example.com" (no '/' after the host) sends
 * https://example.com.well-known/...: Boulder's exact refusal. */
Test(http01, missing_slash_redirect_refused)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "towk", T_KA_OK);
	struct vt_result r;

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_CONNECTION);
	cr_expect_str_eq(r.problem.detail,
	                 "127.0.0.1: Fetching https://example.com.well-known/acme-challenge/ok: "
	                 "Invalid host in redirect target \"example.com.well-known\". Check "
	                 "webserver config for missing '/' in redirect target.");
	cr_expect(strstr(r.problem.detail, "Invalid host in redirect target") != NULL);
	cr_expect_eq(r.n_records, 1);
	vt_result_clear(&r);
}

Test(http01, body_too_long)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "big", "big.thumbprint");
	struct vt_job job2 = t_job("127.0.0.1", "b128", "b128.thumbprint");
	struct vt_result r, r2;
	char want[512], a128[129];

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	probestub_run(&cfg, &job2, &r2);
	t_server_stop(&s);
	memset(a128, 'a', 128);
	a128[128] = '\0';
	snprintf(want, sizeof(want), "127.0.0.1: Invalid response from %s: \"%s\"", t_url("big"),
	         a128);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_UNAUTHORIZED);
	cr_expect_str_eq(r.problem.detail, want);
	/* exactly 128 bytes fills the limit and fails too */
	cr_expect_eq(r2.outcome, VT_OUTCOME_FAIL);
	cr_expect(strstr(r2.problem.detail, "Invalid response from") != NULL, "%s",
	          r2.problem.detail);
	vt_result_clear(&r);
	vt_result_clear(&r2);
}

Test(http01, long_error_page_quoted_before_status)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "long404", "long404.x");
	struct vt_job jr = t_job("127.0.0.1", "long404", NULL);
	struct vt_result r, rr;
	char want[1024], page[200];

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	probestub_run(&cfg, &jr, &rr);
	t_server_stop(&s);
	memset(page, 'p', sizeof(page));
	page[125] = '\0'; /* 128 bytes read: '<', '"', '\n' and 125 'p' */
	snprintf(want, sizeof(want), "127.0.0.1: Invalid response from %s: \"<\\\"\\n%s\"",
	         t_url("long404"), page);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.http_status, 404);
	cr_expect_str_eq(r.problem.detail, want);
	cr_expect_eq(rr.outcome, VT_OUTCOME_REACHABLE);
	vt_result_clear(&r);
	vt_result_clear(&rr);
}

Test(http01, connection_refused)
{
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "ok", T_KA_OK);
	struct vt_result r;
	char want[512];

	http01_set_port_for_tests(tcpstub_closed_port());
	probestub_run(&cfg, &job, &r);
	http01_set_port_for_tests(0);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_CONNECTION);
	snprintf(want, sizeof(want), "127.0.0.1: Fetching %s: Connection refused", t_url("ok"));
	cr_expect_str_eq(r.problem.detail, want);
	cr_expect_eq(r.n_records, 1);
	vt_result_clear(&r);
}

Test(http01, reachability_modes)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job j404 = t_job("127.0.0.1", "Zrandomtoken", NULL);
	struct vt_job j200 = t_job("127.0.0.1", "ok", NULL);
	struct vt_job j500 = t_job("127.0.0.1", "s500", NULL);
	struct vt_result r404, r200, r500;
	char want[512];

	t_server_start(&s);
	probestub_run(&cfg, &j404, &r404);
	probestub_run(&cfg, &j200, &r200);
	probestub_run(&cfg, &j500, &r500);
	t_server_stop(&s);
	cr_expect_eq(r404.outcome, VT_OUTCOME_REACHABLE, "%s", r404.problem.detail);
	cr_expect_eq(r404.http_status, 404);
	cr_expect_eq(r200.outcome, VT_OUTCOME_REACHABLE);
	cr_expect_eq(r500.outcome, VT_OUTCOME_FAIL);
	snprintf(want, sizeof(want), "127.0.0.1: Invalid response from %s: 500", t_url("s500"));
	cr_expect_str_eq(r500.problem.detail, want);
	vt_result_clear(&r404);
	vt_result_clear(&r200);
	vt_result_clear(&r500);
}

Test(http01, relative_redirect_followed)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "redir", T_KA_OK);
	struct vt_result r;

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(r.n_records, 2);
	cr_expect_str_eq(r.records[0].url, t_url("redir"));
	cr_expect_str_eq(r.records[1].url, t_url("ok"));
	cr_expect_str_eq(r.records[1].address_used, "127.0.0.1");
	vt_result_clear(&r);
}

Test(http01, too_many_redirects_12_records)
{
	struct t_server s;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "chain0", "chain0.x");
	struct vt_result r;
	char want[512];

	t_server_start(&s);
	probestub_run(&cfg, &job, &r);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.problem.type, VT_PROB_CONNECTION);
	/* 11 redirects followed: 12 records; the 12th redirect (to chain12) refused */
	cr_expect_eq(r.n_records, 12);
	snprintf(want, sizeof(want), "127.0.0.1: Fetching %s: Too many redirects",
	         t_url("chain12"));
	cr_expect_str_eq(r.problem.detail, want);
	vt_result_clear(&r);
}

Test(http01, reserved_ip_identifier_refused)
{
	struct probe_cfg cfg;
	struct vt_job job = t_job("10.1.2.3", "ok", T_KA_OK);
	struct vt_result r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ipv6 = true;
	probestub_run(&cfg, &job, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(r.n_records, 0);
	cr_expect(strstr(r.problem.detail, "[RFC1918]: Private-Use") != NULL, "%s",
	          r.problem.detail);
	vt_result_clear(&r);
}

Test(http01, unsupported_method)
{
	struct t_run run = {.want = 1};
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "ok", T_KA_OK);
	struct probe_env *env;
	char err[256] = "";

	cr_expect_neq(probe_methods() & (1u << VT_METHOD_HTTP01), 0);
	run.base = event_base_new();
	env = probe_env_new(run.base, &cfg, err, sizeof(err));
	cr_assert_not_null(env);
	job.method = (enum vt_method)(VT_METHOD_TLSCERT + 1); /* no ops table entry */
	cr_expect_null(probe_start(env, &job, t_done, &run, err, sizeof(err)));
	cr_expect(strstr(err, "not supported") != NULL, "%s", err);
	probe_env_destroy(&env);
	cr_expect_null(env);
	event_base_free(run.base);
}

Test(http01, destroy_cancels_running_probes)
{
	struct t_run run = {.want = 1};
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "ok", T_KA_OK);
	struct probe_env *env;
	char err[256] = "";

	http01_set_port_for_tests(tcpstub_closed_port());
	run.base = event_base_new();
	env = probe_env_new(run.base, &cfg, err, sizeof(err));
	for (int i = 0; i < 10; i++)
		cr_assert_not_null(probe_start(env, &job, t_done, &run, err, sizeof(err)));
	cr_expect_eq(probe_env_inflight(env), 10);
	probe_env_destroy(&env);
	event_base_loop(run.base, EVLOOP_NONBLOCK);
	cr_expect_eq(run.done, 0, "callbacks must not fire after destroy");
	event_base_free(run.base);
	http01_set_port_for_tests(0);
}

/* ---- a tiny authoritative-looking DNS responder on 127.0.0.1 (UDP) ---- */

/* Answers for the test names; "" = NOERROR without records. */
static void t_dns_answer(const char *qname, ldns_rr_type t, ldns_pkt *resp)
{
	const char *rr = NULL;

	if (strcmp(qname, "nx.example.com.") == 0) {
		ldns_pkt_set_rcode(resp, LDNS_RCODE_NXDOMAIN);
		return;
	}
	if (strcmp(qname, "www.example.com.") == 0 && t == LDNS_RR_TYPE_A)
		rr = "www.example.com. 60 IN A 127.0.0.1";
	if (strcmp(qname, "priv.example.com.") == 0 && t == LDNS_RR_TYPE_A)
		rr = "priv.example.com. 60 IN A 10.0.0.1";
	if (strcmp(qname, "mixed.example.com.") == 0 && t == LDNS_RR_TYPE_A) {
		/* a public address between two private ones (three A records) */
		static const char *const rrs[] = {"mixed.example.com. 60 IN A 192.168.1.10",
		                                  "mixed.example.com. 60 IN A 127.0.0.1",
		                                  "mixed.example.com. 60 IN A 10.1.1.1"};
		for (size_t i = 0; i < sizeof(rrs) / sizeof(rrs[0]); i++) {
			ldns_rr *x = NULL;
			if (ldns_rr_new_frm_str(&x, rrs[i], 0, NULL, NULL) == LDNS_STATUS_OK)
				ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER, x);
		}
		return;
	}
	if (strcmp(qname, "mixed.example.com.") == 0 && t == LDNS_RR_TYPE_AAAA)
		rr = "mixed.example.com. 60 IN AAAA fd00::1";
	if (strcmp(qname, "dual.example.com.") == 0 && t == LDNS_RR_TYPE_A)
		rr = "dual.example.com. 60 IN A 127.0.0.1";
	if (strcmp(qname, "dual.example.com.") == 0 && t == LDNS_RR_TYPE_AAAA)
		rr = "dual.example.com. 60 IN AAAA ::1";
	if (rr != NULL) {
		ldns_rr *r = NULL;
		if (ldns_rr_new_frm_str(&r, rr, 0, NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER, r);
	}
}

/* The stub answers every query (the http01 names never time out). */
static bool t_dns_reply(const char *qname, ldns_rr_type t, ldns_pkt *resp)
{
	t_dns_answer(qname, t, resp);
	return true;
}

static void t_use_dns(struct probe_cfg *cfg, const struct dnsstub *d)
{
	char err[128];

	snprintf(cfg->resolver.forwarder, sizeof(cfg->resolver.forwarder), "127.0.0.1@%u",
	         (unsigned)d->port);
	cfg->resolver.timeout_ms = 3000;
	cr_assert_eq(addr_filter_parse(&cfg->public_prefixes, "::1/128", err, sizeof(err)), 0);
}

Test(http01, dns_name_resolved_and_fetched)
{
	struct t_server s;
	struct dnsstub d;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("www.example.com", "ok", T_KA_OK);
	struct vt_result r;

	t_server_start(&s);
	dnsstub_start(&d, t_dns_reply);
	t_use_dns(&cfg, &d);
	probestub_run(&cfg, &job, &r);
	dnsstub_stop(&d);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].url, "http://www.example.com/.well-known/acme-challenge/ok");
	cr_expect_str_eq(r.records[0].hostname, "www.example.com");
	cr_expect_eq(r.records[0].n_addresses_resolved, 1);
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	cr_expect_eq(r.n_warnings, 0, "%s", r.warnings[0]);
	vt_result_clear(&r);
}

/* Reserved addresses are dropped as Let's Encrypt drops them, and each is
 * named in a warning (at most RESOLVER_MAX_SKIPPED), also when none usable
 * is left. */
Test(http01, reserved_addresses_warned)
{
	struct t_server s;
	struct dnsstub d;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("mixed.example.com", "ok", T_KA_OK);
	struct vt_job jpriv = t_job("priv.example.com", "ok", T_KA_OK);
	struct vt_result r, rpriv;
	size_t n = 0;
	bool a192 = false, aaaa = false, a10 = false;

	t_server_start(&s);
	dnsstub_start(&d, t_dns_reply);
	t_use_dns(&cfg, &d);
	probestub_run(&cfg, &job, &r);
	probestub_run(&cfg, &jpriv, &rpriv);
	dnsstub_stop(&d);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(r.n_records, 1);
	cr_expect_eq(r.records[0].n_addresses_resolved, 1);
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	for (size_t i = 0; i < r.n_warnings; i++) {
		if (strstr(r.warnings[i], VT_WARN_RESERVED) == NULL)
			continue;
		n++;
		a192 = a192 || strcmp(r.warnings[i],
		                      "A record 192.168.1.10 of mixed.example.com is in a reserved "
		                      "address block ([RFC1918]: Private-Use): Let's Encrypt "
		                      "ignores it") == 0;
		a10 = a10 || strstr(r.warnings[i], "A record 10.1.1.1 of") != NULL;
		aaaa = aaaa || strcmp(r.warnings[i],
		                      "AAAA record fd00::1 of mixed.example.com is in a reserved "
		                      "address block ([RFC4193][RFC8190]: Unique-Local): Let's "
		                      "Encrypt ignores it") == 0;
	}
	cr_expect_eq(n, RESOLVER_MAX_SKIPPED, "bounded: %zu reserved-address warnings", n);
	cr_expect(a192 || aaaa, "%s", r.warnings[0]);
	cr_expect(!(a192 && a10 && aaaa));
	cr_expect_eq(rpriv.outcome, VT_OUTCOME_FAIL);
	cr_assert_eq(rpriv.n_warnings, 1);
	cr_expect_str_eq(rpriv.warnings[0],
	                 "A record 10.0.0.1 of priv.example.com is in a reserved address block "
	                 "([RFC1918]: Private-Use): Let's Encrypt ignores it");
	vt_result_clear(&r);
	vt_result_clear(&rpriv);
}

Test(http01, dns_errors_both_families)
{
	struct dnsstub d;
	struct probe_cfg cfg = t_cfg();
	struct vt_job jnx = t_job("nx.example.com", "ok", T_KA_OK);
	struct vt_job jpriv = t_job("priv.example.com", "ok", T_KA_OK);
	struct vt_result rnx, rpriv;

	dnsstub_start(&d, t_dns_reply);
	t_use_dns(&cfg, &d);
	probestub_run(&cfg, &jnx, &rnx);
	probestub_run(&cfg, &jpriv, &rpriv);
	dnsstub_stop(&d);
	cr_expect_eq(rnx.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(rnx.problem.type, VT_PROB_DNS);
	cr_expect_str_eq(rnx.problem.detail,
	                 "DNS problem: NXDOMAIN looking up A for nx.example.com - check that a DNS "
	                 "record exists for this domain; DNS problem: NXDOMAIN looking up AAAA for "
	                 "nx.example.com - check that a DNS record exists for this domain");
	cr_expect_eq(rnx.n_records, 0);
	cr_expect_eq(rpriv.problem.type, VT_PROB_DNS);
	cr_expect_str_eq(rpriv.problem.detail,
	                 "no valid A records found for priv.example.com; no valid AAAA records "
	                 "found for priv.example.com");
	vt_result_clear(&rnx);
	vt_result_clear(&rpriv);
}

Test(http01, ipv6_dial_failure_falls_back_to_ipv4)
{
	struct t_server s;
	struct dnsstub d;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("dual.example.com", "ok", T_KA_OK);
	struct vt_result r;

	t_server_start(&s); /* 127.0.0.1 only: ::1 refuses */
	dnsstub_start(&d, t_dns_reply);
	t_use_dns(&cfg, &d);
	probestub_run(&cfg, &job, &r);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(r.n_records, 2);
	cr_expect_str_eq(r.records[0].url, r.records[1].url);
	cr_expect_str_eq(r.records[0].address_used, "::1");
	cr_expect_str_eq(r.records[1].address_used, "127.0.0.1");
	cr_expect_eq(r.records[0].n_addresses_resolved, 2);
	cr_expect_str_eq(r.records[0].addresses_resolved[0], "::1");
	cr_expect_str_eq(r.records[0].addresses_resolved[1], "127.0.0.1");
	cr_assert_eq(r.n_warnings, 1);
	cr_expect_str_eq(r.warnings[0],
	                 "IPv6 address ::1 failed: Connection refused. Let's Encrypt fell back to "
	                 "IPv4 this time, but fix IPv6: it tries IPv6 first");
	vt_result_clear(&r);
	/* a vantage without IPv6 never dials it and says so */
	cfg.ipv6 = false;
	probestub_run(&cfg, &job, &r);
	dnsstub_stop(&d);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(r.n_records, 1);
	cr_expect_str_eq(r.records[0].address_used, "127.0.0.1");
	cr_assert_eq(r.n_warnings, 1);
	cr_expect(strstr(r.warnings[0], "no IPv6") != NULL, "%s", r.warnings[0]);
	vt_result_clear(&r);
}

Test(http01, redirect_to_hostname_resolves_each_hop)
{
	struct t_server s;
	struct dnsstub d;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "tohost", T_KA_OK);
	struct vt_job jnx = t_job("127.0.0.1", "tonx", T_KA_OK);
	struct vt_result r, rnx;

	t_server_start(&s);
	dnsstub_start(&d, t_dns_reply);
	t_use_dns(&cfg, &d);
	probestub_run(&cfg, &job, &r);
	probestub_run(&cfg, &jnx, &rnx);
	dnsstub_stop(&d);
	t_server_stop(&s);
	cr_expect_eq(r.outcome, VT_OUTCOME_PASS, "%s", r.problem.detail);
	cr_assert_eq(r.n_records, 2);
	cr_expect_str_eq(r.records[1].url, "http://www.example.com/.well-known/acme-challenge/ok");
	cr_expect_str_eq(r.records[1].hostname, "www.example.com");
	cr_expect_eq(rnx.outcome, VT_OUTCOME_FAIL);
	cr_expect_eq(rnx.problem.type, VT_PROB_DNS);
	cr_expect_str_eq(
	        rnx.problem.detail,
	        "127.0.0.1: Fetching http://nx.example.com/x: DNS problem: NXDOMAIN looking "
	        "up A for nx.example.com - check that a DNS record exists for this domain; "
	        "DNS problem: NXDOMAIN looking up AAAA for nx.example.com - check that a "
	        "DNS record exists for this domain");
	cr_expect_eq(rnx.n_records, 1);
	vt_result_clear(&r);
	vt_result_clear(&rnx);
}

Test(http01, thousand_concurrent, .timeout = 60)
{
	struct t_server s;
	struct rlimit rl;
	struct probe_cfg cfg = t_cfg();
	struct vt_job job = t_job("127.0.0.1", "ok", T_KA_OK);
	struct t_run run = {.want = T_MANY};
	static struct probe *ps[T_MANY];
	struct probe_env *env;
	char err[256];
	unsigned pass = 0;

	/* 1,000 client sockets plus the server's side in one process */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	cr_assert(rl.rlim_cur >= 2 * T_MANY + 64, "need more file descriptors (%lu)",
	          (unsigned long)rl.rlim_cur);
	t_server_start(&s);
	run.base = event_base_new();
	env = probe_env_new(run.base, &cfg, err, sizeof(err));
	cr_assert_not_null(env, "%s", err);
	job.budget_ms = 30000;
	for (int i = 0; i < T_MANY; i++) {
		ps[i] = probe_start(env, &job, t_done, &run, err, sizeof(err));
		cr_assert_not_null(ps[i], "%d: %s", i, err);
	}
	cr_expect_eq(probe_env_inflight(env), T_MANY);
	event_base_dispatch(run.base);
	t_server_stop(&s);
	cr_expect_eq(run.done, T_MANY);
	for (int i = 0; i < T_MANY; i++) {
		if (probe_result(ps[i])->outcome == VT_OUTCOME_PASS)
			pass++;
		probe_free(&ps[i]);
	}
	cr_expect_eq(pass, T_MANY, "only %u of %d passed", pass, T_MANY);
	cr_expect_eq(s.served, T_MANY);
	probe_env_destroy(&env);
	event_base_free(run.base);
}
