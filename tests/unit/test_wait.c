/*
 * test_wait.c -- coordinator/wait.c: the options of `vantage wait` (check's,
 * with --webroot, --nagios and tls-cert refused, plus --policy, --timeout,
 * --interval and --token), the readiness rule of both policies on
 * hand-written documents, the per-vantage tally, the round arithmetic, and
 * cli_wait_main end to end against a libmicrohttpd server on 127.0.0.1 that
 * plays the coordinator's POST /v1/checks: ready after some rounds, a
 * timeout, a refused token, a malformed answer, and SIGTERM/SIGINT during
 * the pause and during a request.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "../../common/limits.h"
#include "../../coordinator/wait.h"
#include "cmdline.h"
#include "httpstub.h"
#include "scratch.h"

#define T_DOC_LEN   8192  /* one hand-written document */
#define T_OUT_MAX   65536 /* captured stdout or stderr */
#define T_API_TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- hand-written report documents ---- */

#define T_ROW(agent, region, outcome, problem, unavail)                                            \
	"{\"agent\": \"" agent "\", \"region\": \"" region "\", \"rir\": \"RIPE\", \"primary\": "  \
	"false, \"ipv6\": true, \"outcome\": \"" outcome "\", \"judged\": true, "                  \
	"\"address_used\": \"192.0.2.7\", \"duration_ms\": 12, \"http_status\": 404, "             \
	"\"problem\": " problem ", \"unavailable_reason\": " unavail ", \"warnings\": [], "        \
	"\"timings\": {\"resolve_ms\": 1, \"connect_ms\": 1, \"total_ms\": 12}, \"records\": [], " \
	"\"cert\": null, \"dnssec\": null}"
#define T_OK(agent, region) T_ROW(agent, region, "reachable", "null", "null")
#define T_PROBLEM(summary)                                                                         \
	"{\"type\": \"connection\", \"detail\": \"192.0.2.7: Fetching "                            \
	"http://a.example/.well-known/acme-challenge/x: " summary " (likely firewall problem)\", " \
	"\"summary\": \"" summary "\"}"
#define T_FAIL(agent, region)                                                                      \
	T_ROW(agent, region, "fail", T_PROBLEM("Timeout during connect"), "null")
#define T_GONE(agent, region)                                                                      \
	T_ROW(agent, region, "unavailable", "null", "\"vantage " agent " is down\"")
#define T_LE(accepted, reason) "{\"accepted\": " accepted ", \"reason\": \"" reason "\"}"
#define T_CHECK(domain, method, verdict, le, rows)                                                 \
	"{\"domain\": \"" domain "\", \"method\": \"" method "\", \"mode\": \"reachability\", "    \
	"\"verdict\": \"" verdict "\", \"diagnosis\": [], \"le_multi_perspective\": " le           \
	", \"results\": [" rows "]}"
#define T_DOC(verdict, code, checks)                                                               \
	"{\"version\": 1, \"tool\": \"vantage\", \"verdict\": \"" verdict                          \
	"\", \"exit_code\": " #code ", \"checks\": [" checks "]}"

#define T_ROWS_PASS                                                                                \
	T_OK("a1", "us-east")                                                                      \
	"," T_OK("a2", "us-west") "," T_OK("a3", "eu-west") "," T_OK("a4", "ap-south") "," T_OK(   \
	        "a5", "sa-east")
#define T_ROWS_ONE_FAIL                                                                            \
	T_OK("a1", "us-east")                                                                      \
	"," T_OK("a2", "us-west") "," T_FAIL("a3", "eu-west") "," T_OK("a4", "ap-south") "," T_OK( \
	        "a5", "sa-east")
#define T_ROWS_TWO_FAIL                                                                            \
	T_OK("a1", "us-east")                                                                      \
	"," T_FAIL("a2", "us-west") "," T_FAIL("a3", "eu-west") "," T_OK(                          \
	        "a4", "ap-south") "," T_OK("a5", "sa-east")
#define T_ROWS_ONE_GONE                                                                            \
	T_OK("a1", "us-east")                                                                      \
	"," T_GONE("a2", "us-west") "," T_OK("a3", "eu-west") "," T_OK("a4", "ap-south") "," T_OK( \
	        "a5", "sa-east")

#define T_ACCEPT   T_LE("true", "the primary passed and 3 of 4 remotes passed (3 required)")
#define T_REFUSE   T_LE("false", "only 2 of 4 remotes passed and 3 are required")
#define T_UNDECIDE T_LE("null", "the vantages that did not answer decide")

static const char s_pass[] =
        T_DOC("pass", 0, T_CHECK("a.example", "http-01", "pass", T_ACCEPT, T_ROWS_PASS));
/* one remote fails: the verdict fails, Let's Encrypt would accept */
static const char s_fail_le_ok[] =
        T_DOC("fail", 1, T_CHECK("a.example", "http-01", "fail", T_ACCEPT, T_ROWS_ONE_FAIL));
static const char s_fail_le_no[] =
        T_DOC("fail", 1, T_CHECK("a.example", "http-01", "fail", T_REFUSE, T_ROWS_TWO_FAIL));
static const char s_unknown[] = T_DOC(
        "unknown", 3, T_CHECK("a.example", "http-01", "unknown", T_UNDECIDE, T_ROWS_ONE_GONE));
/* the verdict fails, and the unanswered vantage decides Let's Encrypt's rule */
static const char s_fail_le_null[] = T_DOC(
        "fail", 1,
        T_CHECK("a.example", "http-01", "fail", T_UNDECIDE,
                T_OK("a1", "us-east") "," T_GONE("a2", "us-west") "," T_FAIL("a3", "eu-west")));
/* two checks: http-01 passes, caa fails from a3 */
static const char s_two_checks[] =
        T_DOC("fail", 1,
              T_CHECK("a.example", "http-01", "pass", T_ACCEPT, T_ROWS_PASS) "," T_CHECK(
                      "a.example", "caa", "fail", T_ACCEPT, T_ROWS_ONE_FAIL));

static json_t *s_doc(const char *text)
{
	json_error_t e;
	json_t *o = json_loads(text, 0, &e);

	cr_assert_not_null(o, "bad test JSON (%s at %d): %s", e.text, e.column, text);
	return o;
}

static enum wait_state s_ready(const char *text, enum monitor_policy policy)
{
	json_t *doc = s_doc(text);
	enum wait_state st = wait_ready(doc, policy);

	json_decref(doc);
	return st;
}

/* ---- options ---- */

/* Parse a NULL-terminated list of arguments after "wait". */
static int s_parse(struct wait_opts *o, char *err, size_t errlen, ...)
{
	static struct cmdline c;
	va_list ap;

	c = (struct cmdline){.argc = 1, .argv = {"wait"}};
	va_start(ap, errlen);
	cmdline_add(&c, ap);
	va_end(ap);
	err[0] = '\0';
	return wait_parse(c.argc, c.argv, o, err, errlen);
}

static void s_refused(const char *needle, int rc, const char *err)
{
	cr_assert_eq(rc, -1, "accepted; wanted an error with \"%s\"", needle);
	cr_assert(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
}

TestSuite(wait, .timeout = 60);

Test(wait, parse_defaults_and_own_options)
{
	struct wait_opts o;
	char err[512];

	cr_assert_eq(s_parse(&o, err, sizeof(err), "a.example", NULL), 0, "%s", err);
	cr_assert_eq(o.policy, MONITOR_POLICY_ALL);
	cr_assert_eq(o.timeout_s, WAIT_DEFAULT_TIMEOUT_S);
	cr_assert_eq(o.interval_s, WAIT_DEFAULT_INTERVAL_S);
	cr_assert_eq(o.check.n_methods, 1);
	cr_assert_eq(o.check.methods[0], VT_METHOD_HTTP01);
	cr_assert_null(o.check.token);

	cr_assert_eq(s_parse(&o, err, sizeof(err), "--policy", "letsencrypt", "--timeout", "90",
	                     "--interval", "2", "--method", "dns-01", "--txt",
	                     "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ", "--json", "a.example",
	                     NULL),
	             0, "%s", err);
	cr_assert_eq(o.policy, MONITOR_POLICY_LE);
	cr_assert_eq(o.timeout_s, 90);
	cr_assert_eq(o.interval_s, 2);
	cr_assert(o.check.json);
	cr_assert_str_eq(o.check.txt, "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ");

	/* durations with a unit */
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--timeout", "5m", "--interval", "90s",
	                     "a.example", NULL),
	             0, "%s", err);
	cr_assert_eq(o.timeout_s, 300);
	cr_assert_eq(o.interval_s, 90);
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--timeout", "1d", "--interval", "1h",
	                     "a.example", NULL),
	             0, "%s", err);
	cr_assert_eq(o.timeout_s, WAIT_MAX_TIMEOUT_S);
	cr_assert_eq(o.interval_s, WAIT_MAX_INTERVAL_S);

	/* check's options still work, and --help is --help */
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--region", "eu-west", "--no-caa", "--budget-ms",
	                     "5000", "--min-answers", "2", "a.example", "b.example", NULL),
	             0, "%s", err);
	cr_assert_eq(o.check.n_regions, 1);
	cr_assert(o.check.no_caa);
	cr_assert_eq(o.check.budget_ms, 5000);
	cr_assert_eq(o.check.first_domain, 8);
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--help", NULL), 1);
}

Test(wait, parse_refusals)
{
	struct wait_opts o;
	char err[512];

	s_refused("--webroot does not go with wait",
	          s_parse(&o, err, sizeof(err), "--webroot", "/tmp", "a.example", NULL), err);
	s_refused("the challenge belongs to the ACME client",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01", "--webroot", "/tmp",
	                  "a.example", NULL),
	          err);
	s_refused("tls-cert does not go with wait",
	          s_parse(&o, err, sizeof(err), "--method", "tls-cert", "a.example", NULL), err);
	s_refused("tls-cert does not go with wait",
	          s_parse(&o, err, sizeof(err), "--method", "http-01,tls-cert", "a.example", NULL),
	          err);
	s_refused("--nagios does not go with wait",
	          s_parse(&o, err, sizeof(err), "--nagios", "a.example", NULL), err);
	s_refused("--policy \"most\": expected all or letsencrypt",
	          s_parse(&o, err, sizeof(err), "--policy", "most", "a.example", NULL), err);
	s_refused("--timeout", s_parse(&o, err, sizeof(err), "--timeout", "0", "a.example", NULL),
	          err);
	s_refused("--timeout",
	          s_parse(&o, err, sizeof(err), "--timeout", "86401", "a.example", NULL), err);
	s_refused("--timeout", s_parse(&o, err, sizeof(err), "--timeout", "2d", "a.example", NULL),
	          err);
	s_refused("--timeout", s_parse(&o, err, sizeof(err), "--timeout", "-5", "a.example", NULL),
	          err);
	s_refused("--timeout", s_parse(&o, err, sizeof(err), "--timeout", "5x", "a.example", NULL),
	          err);
	s_refused("--interval", s_parse(&o, err, sizeof(err), "--interval", "0", "a.example", NULL),
	          err);
	s_refused("--interval",
	          s_parse(&o, err, sizeof(err), "--interval", "3601", "--timeout", "1d",
	                  "a.example", NULL),
	          err);
	s_refused("longer than --timeout",
	          s_parse(&o, err, sizeof(err), "--timeout", "10", "--interval", "11", "a.example",
	                  NULL),
	          err);
	/* --token: reachability only, base64url, within the API's limit */
	s_refused("drop --token",
	          s_parse(&o, err, sizeof(err), "--token", "abc", "--key-authorization", "abc.def",
	                  "a.example", NULL),
	          err);
	s_refused("drop --token",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01", "--token", "abc", "--txt",
	                  "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ", "a.example", NULL),
	          err);
	s_refused("expected 1..128 base64url characters",
	          s_parse(&o, err, sizeof(err), "--token", "ab/c", "a.example", NULL), err);
	s_refused("expected 1..128 base64url characters",
	          s_parse(&o, err, sizeof(err), "--token", "ab.c", "a.example", NULL), err);
	s_refused("expected 1..128 base64url characters",
	          s_parse(&o, err, sizeof(err), "--token", "", "a.example", NULL), err);
	s_refused("use it with --method http-01",
	          s_parse(&o, err, sizeof(err), "--method", "dns-01", "--token", "abc", "a.example",
	                  NULL),
	          err);
	/* the key authorization's syntax is checked before any round */
	s_refused("TOKEN.THUMBPRINT",
	          s_parse(&o, err, sizeof(err), "--key-authorization", "nodot", "a.example", NULL),
	          err);
	s_refused("no domain given", s_parse(&o, err, sizeof(err), "--timeout", "10", NULL), err);
	s_refused("unknown or incomplete option",
	          s_parse(&o, err, sizeof(err), "--frobnicate", "a.example", NULL), err);
}

Test(wait, token_goes_into_the_body)
{
	struct wait_opts o;
	char err[512], tok[LIMIT_TOKEN_LEN + 2];
	json_t *body;

	memset(tok, 'x', LIMIT_TOKEN_LEN);
	tok[LIMIT_TOKEN_LEN] = '\0';
	cr_assert_eq(s_parse(&o, err, sizeof(err), "--token", tok, "a.example", "b.example", NULL),
	             0, "%s", err);
	cr_assert_str_eq(o.check.token, tok);
	body = cli_check_body(&o.check, (char *[]){"a.example", "b.example"}, 2, NULL);
	cr_assert_not_null(body);
	cr_assert_str_eq(json_string_value(json_object_get(body, "token")), tok);
	cr_assert_str_eq(json_string_value(json_object_get(body, "mode")), "reachability");
	json_decref(body);
	tok[LIMIT_TOKEN_LEN] = 'x';
	tok[LIMIT_TOKEN_LEN + 1] = '\0';
	s_refused("expected 1..128 base64url characters",
	          s_parse(&o, err, sizeof(err), "--token", tok, "a.example", NULL), err);
}

/* ---- readiness ---- */

Test(wait, ready_policy_all)
{
	cr_assert_eq(s_ready(s_pass, MONITOR_POLICY_ALL), WAIT_READY);
	cr_assert_eq(s_ready(s_fail_le_ok, MONITOR_POLICY_ALL), WAIT_FAILING);
	cr_assert_eq(s_ready(s_fail_le_no, MONITOR_POLICY_ALL), WAIT_FAILING);
	cr_assert_eq(s_ready(s_unknown, MONITOR_POLICY_ALL), WAIT_PENDING);
	cr_assert_eq(s_ready(s_two_checks, MONITOR_POLICY_ALL), WAIT_FAILING);
	cr_assert_eq(s_ready("{\"verdict\": \"unknown\", \"checks\": []}", MONITOR_POLICY_ALL),
	             WAIT_PENDING);
	/* malformed: exit 2 at once, never a wait */
	cr_assert_eq(s_ready("{}", MONITOR_POLICY_ALL), WAIT_MALFORMED);
	cr_assert_eq(s_ready("{\"verdict\": \"pass\"}", MONITOR_POLICY_ALL), WAIT_MALFORMED);
	cr_assert_eq(s_ready("{\"verdict\": \"maybe\", \"checks\": []}", MONITOR_POLICY_ALL),
	             WAIT_MALFORMED);
	cr_assert_eq(s_ready("[1]", MONITOR_POLICY_LE), WAIT_MALFORMED);
	cr_assert_eq(wait_ready(NULL, MONITOR_POLICY_ALL), WAIT_MALFORMED);
}

Test(wait, ready_policy_letsencrypt)
{
	cr_assert_eq(s_ready(s_pass, MONITOR_POLICY_LE), WAIT_READY);
	/* one remote failing: Let's Encrypt accepts, so ready (not under all) */
	cr_assert_eq(s_ready(s_fail_le_ok, MONITOR_POLICY_LE), WAIT_READY);
	cr_assert_eq(s_ready(s_two_checks, MONITOR_POLICY_LE), WAIT_READY);
	cr_assert_eq(s_ready(s_fail_le_no, MONITOR_POLICY_LE), WAIT_FAILING);
	cr_assert_eq(s_ready(s_unknown, MONITOR_POLICY_LE), WAIT_PENDING);
	/* undecided, but a vantage failed: exit 1 like check */
	cr_assert_eq(s_ready(s_fail_le_null, MONITOR_POLICY_LE), WAIT_FAILING);
	/* every check must be accepted, caa included */
	cr_assert_eq(s_ready(T_DOC("fail", 1,
	                           T_CHECK("a.example", "http-01", "pass", T_ACCEPT,
	                                   T_ROWS_PASS) "," T_CHECK("a.example", "caa", "fail",
	                                                            T_REFUSE, T_ROWS_TWO_FAIL)),
	                     MONITOR_POLICY_LE),
	             WAIT_FAILING);
	cr_assert_eq(s_ready(T_DOC("unknown", 3,
	                           T_CHECK("a.example", "http-01", "pass", T_ACCEPT,
	                                   T_ROWS_PASS) "," T_CHECK("a.example", "caa", "unknown",
	                                                            T_UNDECIDE, T_ROWS_ONE_GONE)),
	                     MONITOR_POLICY_LE),
	             WAIT_PENDING);
	cr_assert_eq(s_ready("{\"verdict\": \"unknown\", \"checks\": []}", MONITOR_POLICY_LE),
	             WAIT_PENDING);
}

/* ---- the tally ---- */

static void s_tally(const char *text, bool detail, struct wait_tally *t, char *out, size_t len)
{
	json_t *doc = s_doc(text);

	wait_tally(doc, detail, t, out, len);
	json_decref(doc);
}

Test(wait, tally_names_the_vantages_not_ready)
{
	struct wait_tally t, t2;
	char out[WAIT_LINE_LEN];

	s_tally(s_pass, false, &t, out, sizeof(out));
	cr_assert_eq(t.total, 5);
	cr_assert_eq(t.ready, 5);
	cr_assert_str_eq(out, "");

	s_tally(s_fail_le_ok, false, &t, out, sizeof(out));
	cr_assert_eq(t.ready, 4);
	cr_assert_str_eq(out, "a3 (eu-west): Timeout during connect");
	s_tally(s_fail_le_ok, true, &t2, out, sizeof(out));
	cr_assert_eq(t2.ready_set, t.ready_set);
	cr_assert(strstr(out, "a3 (eu-west): 192.0.2.7: Fetching http://a.example/") != NULL, "%s",
	          out);
	cr_assert(strstr(out, "(likely firewall problem)") != NULL, "%s", out);

	s_tally(s_unknown, false, &t, out, sizeof(out));
	cr_assert_eq(t.ready, 4);
	cr_assert_str_eq(out, "a2 (us-west): did not answer (vantage a2 is down)");

	/* several checks: the check is named; a vantage counts once */
	s_tally(s_two_checks, false, &t, out, sizeof(out));
	cr_assert_eq(t.total, 5);
	cr_assert_eq(t.ready, 4);
	cr_assert_str_eq(out, "a3 (eu-west): a.example caa: Timeout during connect");

	s_tally(s_fail_le_no, false, &t2, out, sizeof(out));
	cr_assert_eq(t2.ready, 3);
	cr_assert_str_eq(out, "a2 (us-west): Timeout during connect; a3 (eu-west): Timeout "
	                      "during connect");
	cr_assert_neq(t2.ready_set, t.ready_set, "a different ready set, the same hash");

	/* nothing to tally */
	s_tally("{\"verdict\": \"unknown\", \"checks\": []}", false, &t, out, sizeof(out));
	cr_assert_eq(t.total, 0);
	cr_assert_str_eq(out, "");
}

Test(wait, tally_is_bounded_and_escaped)
{
	struct wait_tally t;
	char out[WAIT_LINE_LEN], small[40];

	s_tally(T_DOC("fail", 1,
	              T_CHECK("a.example", "http-01", "fail", T_REFUSE,
	                      T_FAIL("a1", "r1") "," T_FAIL("a2", "r2") "," T_FAIL("a3", "r3") "," T_FAIL(
	                              "a4",
	                              "r4") "," T_FAIL("a5",
	                                               "r5") "," T_FAIL("a6",
	                                                                "r6") "," T_OK("a7",
	                                                                               "r7"))),
	        false, &t, out, sizeof(out));
	cr_assert_eq(t.total, 7);
	cr_assert_eq(t.ready, 1);
	cr_assert(strstr(out, "a4 (r4)") != NULL, "%s", out);
	cr_assert_null(strstr(out, "a5 (r5)"), "%s", out);
	cr_assert(strstr(out, "; and 2 more") != NULL, "%s", out);

	/* server text cannot forge a line */
	s_tally(T_DOC("fail", 1,
	              T_CHECK("a.example", "http-01", "fail", T_REFUSE,
	                      T_ROW("a1", "r1", "fail", T_PROBLEM("bad\\nwait: ready\\u001b[2J"),
	                            "null"))),
	        false, &t, out, sizeof(out));
	cr_assert_null(strchr(out, '\n'), "%s", out);
	cr_assert_null(strchr(out, '\033'), "%s", out);
	cr_assert(strstr(out, "bad\\x0await: ready\\x1b[2J") != NULL, "%s", out);

	s_tally(s_fail_le_no, false, &t, small, sizeof(small));
	cr_assert_lt(strlen(small), sizeof(small));
}

/* ---- the round arithmetic ---- */

Test(wait, round_arithmetic)
{
	cr_assert_eq(wait_max_rounds(300, 5), 61);
	cr_assert_eq(wait_max_rounds(2, 1), 3);
	cr_assert_eq(wait_max_rounds(1, 1), 2);
	cr_assert_eq(wait_max_rounds(7, 3), 3);
	cr_assert_eq(wait_max_rounds(WAIT_MAX_TIMEOUT_S, 1), WAIT_MAX_TIMEOUT_S + 1);

	cr_assert_eq(wait_next_sleep_ms(0, 300, 5), 5000);
	cr_assert_eq(wait_next_sleep_ms(295000, 300, 5), 5000); /* starts at the deadline */
	cr_assert_eq(wait_next_sleep_ms(295001, 300, 5), -1);   /* would start after it */
	cr_assert_eq(wait_next_sleep_ms(1000, 2, 1), 1000);
	cr_assert_eq(wait_next_sleep_ms(1001, 2, 1), -1);
	cr_assert_eq(wait_next_sleep_ms(0, 1, 1), 1000);
	cr_assert_eq(wait_next_sleep_ms(UINT64_C(1) << 40, 300, 5), -1);

	/* simulated rounds of several lengths: never more than the bound, none
	 * starts after the deadline, the total within timeout + one round */
	for (uint32_t timeout = 1; timeout <= 40; timeout += 3) {
		for (uint32_t ivl = 1; ivl <= timeout; ivl += 2) {
			for (uint64_t dur = 0; dur <= 7000; dur += 1750) {
				uint64_t now = 0, start = 0;
				uint32_t rounds = 0;
				long long pause = 0;

				while (pause >= 0 && rounds < 100000) {
					start = now;
					cr_assert_leq(start, (uint64_t)timeout * 1000u);
					rounds++;
					now += dur;
					pause = wait_next_sleep_ms(now, timeout, ivl);
					if (pause >= 0)
						now += (uint64_t)pause;
				}
				cr_assert_leq(rounds, wait_max_rounds(timeout, ivl),
				              "timeout %u interval %u round %llu ms: %u rounds",
				              timeout, ivl, (unsigned long long)dur, rounds);
				cr_assert_leq(now, (uint64_t)timeout * 1000u + dur);
				if (dur == 0)
					cr_assert_eq(rounds, wait_max_rounds(timeout, ivl));
			}
		}
	}
}

/* ---- end to end: a coordinator on 127.0.0.1 ---- */

struct coord {
	struct httpstub http;
	unsigned before_n; /* answer `before` to this many requests, then `after` */
	const char *before, *after;
	char body[T_DOC_LEN]; /* the first request's body */
	char path[T_DOC_LEN / 8];
	char dir[64], token_file[128];
};

static struct coord s_c;

/* Keep the first request's body and "METHOD URL"; answer before or after.
 * Called with s_c.http.mu held, for requests with the right token only. */
static void s_answer(void *arg, const struct httpstub_req *q, struct httpstub_reply *out)
{
	struct coord *c = arg;

	if (q->n == 1) {
		snprintf(c->body, sizeof(c->body), "%s", q->body);
		snprintf(c->path, sizeof(c->path), "%s %s", q->method, q->url);
	}
	out->status = MHD_HTTP_OK;
	out->body = q->n <= c->before_n ? c->before : c->after;
	out->content_type = "application/json";
}

/* Start the coordinator: before for the first before_n requests, then
 * after.  The API token file holds T_API_TOKEN unless token is given. */
static void s_coord_start(unsigned before_n, const char *before, const char *after,
                          const char *token)
{
	FILE *f;

	s_c.before_n = before_n;
	s_c.before = before;
	s_c.after = after;
	snprintf(s_c.token_file, sizeof(s_c.token_file), "%s/api.token", s_c.dir);
	f = fopen(s_c.token_file, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", token != NULL ? token : T_API_TOKEN);
	fclose(f);
	s_c.http.authorization = "Bearer " T_API_TOKEN;
	httpstub_start(&s_c.http);
}

static void s_setup(void)
{
	memset(&s_c, 0, sizeof(s_c));
	httpstub_init(&s_c.http, s_answer, &s_c);
	snprintf(s_c.dir, sizeof(s_c.dir), "/tmp/vt-wait-XXXXXX");
	cr_assert_not_null(mkdtemp(s_c.dir));
}

static void s_teardown(void)
{
	httpstub_fini(&s_c.http);
	scratch_remove(s_c.dir);
}

TestSuite(wait_run, .init = s_setup, .fini = s_teardown, .timeout = 60);

static unsigned s_requests(void)
{
	return httpstub_requests(&s_c.http);
}

static uint64_t s_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What one run of cli_wait_main gave. */
struct run {
	int rc;
	uint64_t ms;
	char out[T_OUT_MAX], err[T_OUT_MAX];
};

static void s_slurp(const char *path, char *buf, size_t len)
{
	cr_assert(scratch_slurp(path, buf, len), "%s", path);
}

/* Run `vantage wait --coordinator URL --token-file F ARGS...` with stdout
 * and stderr captured into r (stderr is then no terminal: the log form). */
static void s_run(struct run *r, ...)
{
	static struct cmdline c;
	char outp[128], errp[128];
	int so, se, fo, fe;
	va_list ap;
	uint64_t t0;

	c = (struct cmdline){
	        .argc = 5,
	        .argv = {"wait", "--coordinator", s_c.http.url, "--token-file", s_c.token_file}};
	va_start(ap, r);
	cmdline_add(&c, ap);
	va_end(ap);

	snprintf(outp, sizeof(outp), "%s/stdout", s_c.dir);
	snprintf(errp, sizeof(errp), "%s/stderr", s_c.dir);
	fflush(stdout);
	fflush(stderr);
	so = dup(STDOUT_FILENO);
	se = dup(STDERR_FILENO);
	fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
	dup2(fo, STDOUT_FILENO);
	dup2(fe, STDERR_FILENO);
	close(fo);
	close(fe);
	t0 = s_ms();
	r->rc = cli_wait_main(c.argc, c.argv);
	r->ms = s_ms() - t0;
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	s_slurp(outp, r->out, sizeof(r->out));
	s_slurp(errp, r->err, sizeof(r->err));
}

static size_t s_count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

Test(wait_run, ready_after_three_rounds)
{
	static struct run r;

	s_coord_start(2, s_fail_le_ok, s_pass, NULL);
	s_run(&r, "--interval", "1", "--timeout", "30", "--token", "tok_en-1", "a.example", NULL);
	cr_assert_eq(r.rc, 0, "rc %d\nstdout:\n%s\nstderr:\n%s", r.rc, r.out, r.err);
	cr_assert_eq(s_requests(), 3);
	cr_assert_geq(r.ms, 2000, "%llu ms: the pauses were cut", (unsigned long long)r.ms);
	cr_assert_lt(r.ms, 20000);
	/* the request: check's body, with the token */
	cr_assert_str_eq(s_c.path, "POST /v1/checks");
	cr_assert(strstr(s_c.body, "\"token\":\"tok_en-1\"") != NULL, "%s", s_c.body);
	cr_assert(strstr(s_c.body, "\"mode\":\"reachability\"") != NULL, "%s", s_c.body);
	/* the report as check prints it */
	cr_assert(strstr(r.out, "Verdict: pass") != NULL, "%s", r.out);
	/* a log: a line for round 1, none for round 2 (the same vantages were
	 * ready), one for round 3, then the summary */
	cr_assert(strstr(r.err, "wait: round 1, 0s of 30s: 4/5 vantages ready; waiting for a3 "
	                        "(eu-west): Timeout during connect\n") != NULL,
	          "%s", r.err);
	cr_assert_null(strstr(r.err, "round 2"), "%s", r.err);
	cr_assert(strstr(r.err, "wait: round 3, ") != NULL, "%s", r.err);
	cr_assert(strstr(r.err, "5/5 vantages ready\n") != NULL, "%s", r.err);
	cr_assert(strstr(r.err, "wait: ready after 3 round(s)") != NULL, "%s", r.err);
}

Test(wait_run, json_is_the_document_and_stderr_stays_quiet)
{
	static struct run r;
	json_error_t e;
	json_t *doc, *w;

	s_coord_start(2, s_fail_le_ok, s_pass, NULL);
	s_run(&r, "--interval", "1", "--json", "a.example", NULL);
	cr_assert_eq(r.rc, 0, "rc %d\nstderr:\n%s", r.rc, r.err);
	cr_assert_str_eq(r.err, "");
	doc = json_loads(r.out, 0, &e);
	cr_assert_not_null(doc, "not JSON (%s): %s", e.text, r.out);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "verdict")), "pass");
	cr_assert_eq(json_array_size(json_object_get(doc, "checks")), 1);
	w = json_object_get(doc, "wait");
	cr_assert(json_is_true(json_object_get(w, "ready")));
	cr_assert_eq(json_integer_value(json_object_get(w, "rounds")), 3);
	cr_assert_geq(json_integer_value(json_object_get(w, "elapsed_s")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(w, "policy")), "all");
	json_decref(doc);
}

Test(wait_run, timeout_with_a_failing_vantage_exits_1)
{
	static struct run r;
	json_error_t e;
	json_t *doc;

	s_coord_start(0, NULL, s_fail_le_ok, NULL);
	s_run(&r, "--timeout", "2", "--interval", "1", "a.example", NULL);
	cr_assert_eq(r.rc, 1, "rc %d\nstderr:\n%s", r.rc, r.err);
	/* rounds at 0 s and 1 s, and one at 2 s only if the first two took no
	 * measurable time: none starts after the deadline */
	cr_assert_geq(s_requests(), 2);
	cr_assert_leq(s_requests(), wait_max_rounds(2, 1));
	cr_assert_geq(r.ms, 1000);
	cr_assert_lt(r.ms, 15000);
	cr_assert(strstr(r.out, "Failing vantages: a3 (eu-west)") != NULL, "%s", r.out);
	cr_assert_eq(s_count(r.err, "wait: round "), 1, "%s", r.err);
	cr_assert(strstr(r.err, "wait: timed out (--timeout 2s) after ") != NULL, "%s", r.err);
	cr_assert(strstr(r.err, "still failing: a3 (eu-west): 192.0.2.7: Fetching "
	                        "http://a.example/.well-known/acme-challenge/x: Timeout during "
	                        "connect (likely firewall problem)\n") != NULL,
	          "%s", r.err);

	/* the same with --json: the last document, ready false */
	s_run(&r, "--timeout", "1", "--interval", "1", "--json", "a.example", NULL);
	cr_assert_eq(r.rc, 1);
	cr_assert_str_eq(r.err, "");
	doc = json_loads(r.out, 0, &e);
	cr_assert_not_null(doc, "not JSON (%s): %s", e.text, r.out);
	cr_assert(json_is_false(json_object_get(json_object_get(doc, "wait"), "ready")));
	cr_assert_geq(json_integer_value(json_object_get(json_object_get(doc, "wait"), "rounds")),
	              1);
	cr_assert_leq(json_integer_value(json_object_get(json_object_get(doc, "wait"), "rounds")),
	              wait_max_rounds(1, 1));
	json_decref(doc);
}

Test(wait_run, timeout_with_a_silent_vantage_exits_3)
{
	static struct run r;

	s_coord_start(0, NULL, s_unknown, NULL);
	s_run(&r, "--timeout", "1", "--interval", "1", "a.example", NULL);
	cr_assert_eq(r.rc, 3, "rc %d\nstderr:\n%s", r.rc, r.err);
	cr_assert(
	        strstr(r.err, "still failing: a2 (us-west): did not answer (vantage a2 is down)") !=
	                NULL,
	        "%s", r.err);
}

Test(wait_run, letsencrypt_policy_accepts_one_failing_remote)
{
	static struct run r;

	s_coord_start(0, NULL, s_fail_le_ok, NULL);
	s_run(&r, "--policy", "letsencrypt", "--interval", "1", "a.example", NULL);
	cr_assert_eq(r.rc, 0, "rc %d\nstderr:\n%s", r.rc, r.err);
	cr_assert_eq(s_requests(), 1);
	cr_assert(strstr(r.err, "(Let's Encrypt's rule: met)") != NULL, "%s", r.err);
	cr_assert(strstr(r.err, "wait: ready by Let's Encrypt's rule after 1 round(s)") != NULL,
	          "%s", r.err);
	cr_assert(strstr(r.err, "still failing: a3 (eu-west)") != NULL, "%s", r.err);
}

Test(wait_run, letsencrypt_refusal_times_out_with_1)
{
	static struct run r;

	s_coord_start(0, NULL, s_fail_le_no, NULL);
	s_run(&r, "--policy", "letsencrypt", "--timeout", "1", "--interval", "1", "a.example",
	      NULL);
	cr_assert_eq(r.rc, 1, "rc %d\nstderr:\n%s", r.rc, r.err);
	cr_assert(strstr(r.err, "Let's Encrypt's rule not met: only 2 of 4 remotes passed") != NULL,
	          "%s", r.err);
}

Test(wait_run, refused_token_exits_2_at_once)
{
	static struct run r;

	s_coord_start(0, NULL, s_pass, "not-the-token");
	s_run(&r, "--timeout", "30", "--interval", "1", "a.example", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert_lt(r.ms, 5000, "%llu ms: retried?", (unsigned long long)r.ms);
	cr_assert(strstr(r.err, "vantage wait: the coordinator rejected the API token") != NULL,
	          "%s", r.err);
	cr_assert(strstr(r.err, "HTTP 401") != NULL, "%s", r.err);
	cr_assert_str_eq(r.out, "");
}

Test(wait_run, malformed_answer_exits_2)
{
	static struct run r;

	s_coord_start(0, NULL, "{\"checks\": []}", NULL);
	s_run(&r, "--timeout", "30", "a.example", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert_eq(s_requests(), 1);
	cr_assert(strstr(r.err, "malformed") != NULL, "%s", r.err);
}

Test(wait_run, unreachable_coordinator_exits_2)
{
	static struct run r;

	s_coord_start(0, NULL, s_pass, NULL);
	httpstub_stop(&s_c.http); /* nothing listens on the port now */
	s_run(&r, "--timeout", "30", "a.example", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert(strstr(r.err, "cannot reach the coordinator") != NULL, "%s", r.err);
}

/* Send sig to this process delay_ms after the first request arrived. */
struct killer {
	pthread_t th;
	int sig;
	unsigned delay_ms;
};

static void *s_killer(void *arg)
{
	struct killer *k = arg;
	struct timespec until,
	        d = {(time_t)(k->delay_ms / 1000), (long)(k->delay_ms % 1000) * 1000000L};

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&s_c.http.mu);
	while (s_c.http.requests == 0 &&
	       pthread_cond_timedwait(&s_c.http.cv, &s_c.http.mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&s_c.http.mu);
	nanosleep(&d, NULL);
	kill(getpid(), k->sig);
	return NULL;
}

Test(wait_run, sigterm_cuts_the_pause_short)
{
	static struct run r;
	struct killer k = {.sig = SIGTERM, .delay_ms = 300};

	s_coord_start(0, NULL, s_fail_le_ok, NULL);
	cr_assert_eq(pthread_create(&k.th, NULL, s_killer, &k), 0);
	s_run(&r, "--timeout", "60", "--interval", "30", "a.example", NULL);
	pthread_join(k.th, NULL);
	cr_assert_eq(r.rc, 2, "rc %d\nstderr:\n%s", r.rc, r.err);
	cr_assert_eq(s_requests(), 1);
	cr_assert_lt(r.ms, 5000, "%llu ms: not prompt", (unsigned long long)r.ms);
	cr_assert(strstr(r.err, "vantage wait: interrupted after 1 round(s)") != NULL, "%s", r.err);
	cr_assert_str_eq(r.out, "");
}

Test(wait_run, sigint_cuts_a_request_short)
{
	static struct run r;
	struct killer k = {.sig = SIGINT, .delay_ms = 300};

	s_c.http.hold = true;
	s_coord_start(0, NULL, s_pass, NULL);
	cr_assert_eq(pthread_create(&k.th, NULL, s_killer, &k), 0);
	s_run(&r, "--timeout", "60", "a.example", NULL);
	pthread_join(k.th, NULL);
	cr_assert_eq(r.rc, 2, "rc %d\nstderr:\n%s", r.rc, r.err);
	cr_assert_lt(r.ms, HTTPSTUB_HOLD_MS, "%llu ms: the request ran on",
	             (unsigned long long)r.ms);
	cr_assert(strstr(r.err, "vantage wait: interrupted\n") != NULL, "%s", r.err);
	cr_assert_str_eq(r.out, "");
}
