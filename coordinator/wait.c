/*
 * wait.c -- `vantage wait`: `vantage check` in rounds until the challenge is
 * visible from every vantage (or Let's Encrypt's rule is met), for ACME
 * client hooks; see wait.h and vantage(1).
 *
 * The options are check's (cli_check_parse_ext) plus --policy, --timeout
 * and --interval; each round is one POST /v1/checks through cli.c's request
 * code, and the last report is printed as check prints it.  Round 1 starts
 * at once, each next one --interval after the previous ended, none after
 * --timeout, so the number of rounds is bounded by wait_max_rounds.
 * SIGINT and SIGTERM set a flag that cuts a request (libcurl's progress
 * callback) or the pause (slept in steps) short.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../common/limits.h"
#include "../common/log.h"
#include "../common/text.h"
#include "cli.h"
#include "monitor.h"
#include "wait.h"

#define EXIT_USAGE     2
#define WAIT_ERR_LEN   1024
#define WAIT_FNV_BASIS 14695981039346656037ull
#define WAIT_FNV_PRIME 1099511628211ull

/* ---- options ---- */

static void s_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage wait DOMAIN... [options]\n"
	        "\n"
	        "Check DOMAIN from the coordinator's vantages in rounds until the ACME challenge\n"
	        "is visible from all of them (or, with --policy letsencrypt, until Let's\n"
	        "Encrypt's multi-perspective rule would accept it), then print the report as\n"
	        "`vantage check` does and exit 0.  For ACME client hooks: run it once the\n"
	        "challenge is in place (TXT record published, file written, port 80 opened)\n"
	        "instead of sleeping a fixed time.  Without --key-authorization, --digest,\n"
	        "--txt or --token it waits for reachability: every vantage reaches the server\n"
	        "(a 404 counts); for dns-01, every authoritative nameserver answers.\n"
	        "\n"
	        "  --method M[,M...]       http-01 (default), tls-alpn-01, dns-01, caa or all\n"
	        "  --key-authorization KA  wait for this challenge TOKEN.THUMBPRINT (one domain)\n"
	        "  --digest D              tls-alpn-01/dns-01: SHA-256(KA), 64 hex or 43\n"
	        "                          base64url characters (what uacme gives hooks)\n"
	        "  --txt VALUE             dns-01: the TXT value; waits until every nameserver\n"
	        "                          serves it, from every vantage\n"
	        "  --token T               http-01 reachability with this challenge token (1..%d\n"
	        "                          base64url characters) instead of a random one\n"
	        "  --policy P              all (default: every vantage answers and passes) or\n"
	        "                          letsencrypt (Let's Encrypt's multi-perspective rule\n"
	        "                          would accept every check)\n"
	        "  --timeout S             give up after S seconds (or Nm, Nh), 1..%d, default %d\n"
	        "  --interval S            pause between the end of a round and the next, 1..%d\n"
	        "                          seconds (or Nm), default %d\n",
	        LIMIT_TOKEN_LEN, WAIT_MAX_TIMEOUT_S, WAIT_DEFAULT_TIMEOUT_S, WAIT_MAX_INTERVAL_S,
	        WAIT_DEFAULT_INTERVAL_S);
	cli_check_usage_shared(f);
	fputs("  --json                  print the last report as JSON, with a \"wait\" member;\n"
	      "                          nothing on stderr but errors\n"
	      "  --no-color              no ANSI colours in the table\n"
	      "  --help                  this text\n"
	      "\n"
	      "Round 1 starts at once; each next round --interval after the previous one\n"
	      "ended; none starts after --timeout, so the wait lasts at most --timeout plus\n"
	      "one round.  Progress goes to stderr: a line per round on a terminal, else a\n"
	      "line only when the set of ready vantages changes.  On a timeout the last\n"
	      "report is printed and stderr says which vantages still fail and why.\n"
	      "--webroot, --nagios and tls-cert are `vantage check`'s only.\n"
	      "\n"
	      "Exit status: 0 ready; 1 timed out with a vantage failing (or, with --policy\n"
	      "letsencrypt, Let's Encrypt refusing); 2 usage or coordinator error (at once,\n"
	      "no retry) or interrupted by SIGINT/SIGTERM; 3 timed out with nothing failing\n"
	      "but a vantage not answering (or too few answering).\n",
	      f);
}

enum { S_X_POLICY, S_X_TIMEOUT, S_X_INTERVAL, S_N_EXTRA };

int wait_parse(int argc, char **argv, struct wait_opts *o, char *err, size_t errlen)
{
	struct cli_extra_opt extra[S_N_EXTRA] = {
	        [S_X_POLICY] = {"policy", NULL},
	        [S_X_TIMEOUT] = {"timeout", NULL},
	        [S_X_INTERVAL] = {"interval", NULL},
	};
	const struct cli_check_ext ext = {"wait", true, extra, S_N_EXTRA};
	char sub[WAIT_ERR_LEN / 2], tok[LIMIT_TOKEN_LEN + 1];
	const char *v;
	int r;

	memset(o, 0, sizeof(*o));
	r = cli_check_parse_ext(argc, argv, &ext, &o->check, err, errlen);
	if (r != 0)
		return r;
	o->policy = MONITOR_POLICY_ALL;
	o->timeout_s = WAIT_DEFAULT_TIMEOUT_S;
	o->interval_s = WAIT_DEFAULT_INTERVAL_S;
	v = extra[S_X_POLICY].value;
	if (v != NULL && monitor_policy_parse(v, &o->policy) != 0) {
		snprintf(err, errlen, "--policy \"%s\": expected all or letsencrypt", v);
		return -1;
	}
	v = extra[S_X_TIMEOUT].value;
	if (v != NULL && cli_parse_duration_range(v, 1, WAIT_MAX_TIMEOUT_S, &o->timeout_s, sub,
	                                          sizeof(sub)) != 0) {
		snprintf(err, errlen, "--timeout: %s", sub);
		return -1;
	}
	v = extra[S_X_INTERVAL].value;
	if (v != NULL && cli_parse_duration_range(v, 1, WAIT_MAX_INTERVAL_S, &o->interval_s, sub,
	                                          sizeof(sub)) != 0) {
		snprintf(err, errlen, "--interval: %s", sub);
		return -1;
	}
	if (o->interval_s > o->timeout_s) {
		snprintf(err, errlen,
		         "--interval (%us) is longer than --timeout (%us): there would be only one "
		         "round",
		         (unsigned)o->interval_s, (unsigned)o->timeout_s);
		return -1;
	}
	if (o->check.ka != NULL &&
	    cli_parse_key_authorization(o->check.ka, tok, sizeof(tok), err, errlen) != 0)
		return -1;
	return 0;
}

/* ---- readiness ---- */

/* monitor_run_state's certificate policy, which it applies to tls-cert
 * checks only: wait never asks for those (wait_parse refuses tls-cert). */
static const struct monitoring_cfg s_cert_cfg = {
        .cert_warn_fraction = MONITOR_CERT_WARN_FRACTION,
        .cert_crit_fraction = MONITOR_CERT_CRIT_FRACTION,
        .cert_crit_days = MONITOR_CERT_CRIT_DAYS,
};

static bool s_is(const json_t *o, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && strcmp(s, want) == 0;
}

enum wait_state wait_ready(const json_t *doc, enum monitor_policy policy)
{
	const json_t *checks = json_object_get(doc, "checks");
	int64_t now = (int64_t)time(NULL);
	bool refused = false, pending = false, failed;

	if (!json_is_array(checks) ||
	    !(s_is(doc, "verdict", "pass") || s_is(doc, "verdict", "fail") ||
	      s_is(doc, "verdict", "unknown")))
		return WAIT_MALFORMED;
	failed = s_is(doc, "verdict", "fail");
	if (policy != MONITOR_POLICY_LE) {
		if (s_is(doc, "verdict", "pass"))
			return WAIT_READY;
		return failed ? WAIT_FAILING : WAIT_PENDING;
	}
	if (json_array_size(checks) == 0)
		return WAIT_PENDING;
	for (size_t i = 0; i < json_array_size(checks); i++) {
		const json_t *c = json_array_get(checks, i);
		enum monitor_state st;

		/* le_multi_perspective.accepted: true, false or null */
		st = monitor_run_state(c, MONITOR_POLICY_LE, &s_cert_cfg, now);
		refused |= st == MONITOR_FAIL;
		pending |= st == MONITOR_UNKNOWN;
	}
	if (!refused && !pending)
		return WAIT_READY;
	return refused || failed ? WAIT_FAILING : WAIT_PENDING;
}

/* ---- rounds ---- */

uint32_t wait_max_rounds(uint32_t timeout_s, uint32_t interval_s)
{
	return interval_s == 0 ? 1 : timeout_s / interval_s + 1;
}

long long wait_next_sleep_ms(uint64_t elapsed_ms, uint32_t timeout_s, uint32_t interval_s)
{
	uint64_t pause = (uint64_t)interval_s * 1000u;

	if (interval_s == 0 || elapsed_ms + pause > (uint64_t)timeout_s * 1000u)
		return -1;
	return (long long)pause;
}

/* ---- the vantages of a document ---- */

struct s_vantage {
	const char *agent, *region;
	const json_t *check, *row; /* the first row that is not ready, or NULL */
};

/* Does row r let its vantage count as ready: passed, reachable, or not
 * judged (a vantage without IPv6 facing an IPv6-only name counts neither
 * way)? */
static bool s_row_ready(const json_t *r)
{
	if (s_is(r, "outcome", "pass") || s_is(r, "outcome", "reachable"))
		return true;
	return json_is_false(json_object_get(r, "judged")) && !s_is(r, "outcome", "unavailable");
}

static const char *s_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "?";
}

/* Append "what" (escaped) to out; cut silently. */
static void s_cat(char *out, size_t outlen, const char *what)
{
	char esc[WAIT_LINE_LEN];

	log_escape(esc, sizeof(esc), what, strlen(what));
	text_appendf(out, outlen, "%s", esc);
}

/* Why vantage v is not ready: "[DOMAIN METHOD: ]REASON" into out. */
static void s_why(const struct s_vantage *v, bool several, bool detail, char *out, size_t outlen)
{
	const json_t *p = json_object_get(v->row, "problem");
	const char *text = NULL;
	char where[LIMIT_DOMAIN_LEN + CLI_METHOD_NAME_LEN + 4] = "";

	if (several)
		snprintf(where, sizeof(where), "%s %s: ", s_str(v->check, "domain"),
		         s_str(v->check, "method"));
	if (s_is(v->row, "outcome", "unavailable")) {
		text = json_string_value(json_object_get(v->row, "unavailable_reason"));
		snprintf(out, outlen, "%sdid not answer%s%s%s", where, text != NULL ? " (" : "",
		         text != NULL ? text : "", text != NULL ? ")" : "");
		return;
	}
	if (!detail)
		text = json_string_value(json_object_get(p, "summary"));
	if (text == NULL)
		text = json_string_value(json_object_get(p, "detail"));
	if (text == NULL)
		text = s_str(v->row, "outcome");
	snprintf(out, outlen, "%s%s", where, text);
}

void wait_tally(const json_t *doc, bool detail, struct wait_tally *t, char *out, size_t outlen)
{
	struct s_vantage vs[LIMIT_AGENTS];
	const json_t *checks = json_object_get(doc, "checks");
	size_t nv = 0, named = 0, nchecks = json_array_size(checks);
	uint64_t h = WAIT_FNV_BASIS;

	memset(t, 0, sizeof(*t));
	if (outlen > 0)
		out[0] = '\0';
	for (size_t i = 0; i < nchecks; i++) {
		const json_t *c = json_array_get(checks, i), *res = json_object_get(c, "results");

		for (size_t k = 0; k < json_array_size(res) && k < LIMIT_AGENTS; k++) {
			const json_t *r = json_array_get(res, k);
			const char *agent = json_string_value(json_object_get(r, "agent"));
			size_t j = 0;

			if (agent == NULL)
				continue;
			while (j < nv && strcmp(vs[j].agent, agent) != 0)
				j++;
			if (j == nv) {
				if (nv == LIMIT_AGENTS)
					continue;
				vs[nv++] =
				        (struct s_vantage){agent, s_str(r, "region"), NULL, NULL};
			}
			if (vs[j].row == NULL && !s_row_ready(r)) {
				vs[j].check = c;
				vs[j].row = r;
			}
		}
	}
	t->total = nv;
	for (size_t j = 0; j < nv; j++) {
		char why[WAIT_LINE_LEN], who[WAIT_LINE_LEN];

		if (vs[j].row == NULL) {
			t->ready++;
			for (const char *p = vs[j].agent; *p != '\0'; p++)
				h = (h ^ (unsigned char)*p) * WAIT_FNV_PRIME;
			h = (h ^ 0xffu) * WAIT_FNV_PRIME; /* a separator no name holds */
			continue;
		}
		if (outlen == 0)
			continue;
		if (named == WAIT_MAX_NAMED) {
			named++;
			continue;
		}
		if (named++ > 0)
			s_cat(out, outlen, "; ");
		snprintf(who, sizeof(who), "%s (%s): ", vs[j].agent, vs[j].region);
		s_cat(out, outlen, who);
		s_why(&vs[j], nchecks > 1, detail, why, sizeof(why));
		s_cat(out, outlen, why);
	}
	if (named > WAIT_MAX_NAMED && outlen > 0) {
		char more[64];

		snprintf(more, sizeof(more), "; and %zu more", nv - t->ready - WAIT_MAX_NAMED);
		s_cat(out, outlen, more);
	}
	t->ready_set = h ^ (uint64_t)t->ready;
}

/* The reason of the first check Let's Encrypt's rule does not accept (for
 * a wait under --policy letsencrypt that names no vantage), or NULL. */
static const char *s_le_reason(const json_t *doc)
{
	const json_t *checks = json_object_get(doc, "checks");

	for (size_t i = 0; i < json_array_size(checks); i++) {
		const json_t *le =
		        json_object_get(json_array_get(checks, i), "le_multi_perspective");

		if (!json_is_true(json_object_get(le, "accepted")))
			return json_string_value(json_object_get(le, "reason"));
	}
	return NULL;
}

/* ---- signals and time ---- */

static volatile sig_atomic_t s_stop;
static const int s_signals[] = {SIGINT, SIGTERM};
#define S_N_SIGNALS (sizeof(s_signals) / sizeof(s_signals[0]))

static void s_on_signal(int sig)
{
	s_stop = sig;
}

static void s_signals_install(struct sigaction old[S_N_SIGNALS])
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = s_on_signal; /* no SA_RESTART: a blocked call returns EINTR */
	sigemptyset(&sa.sa_mask);
	s_stop = 0;
	for (size_t i = 0; i < S_N_SIGNALS; i++)
		sigaction(s_signals[i], &sa, &old[i]);
}

static void s_signals_restore(const struct sigaction old[S_N_SIGNALS])
{
	for (size_t i = 0; i < S_N_SIGNALS; i++)
		sigaction(s_signals[i], &old[i], NULL);
}

static uint64_t s_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sleep ms milliseconds in steps of WAIT_SLEEP_STEP_MS, returning early
 * once a signal set s_stop. */
static void s_pause(long long ms)
{
	uint64_t until = s_now_ms() + (uint64_t)ms;
	long long guard = ms / WAIT_SLEEP_STEP_MS + 16;

	for (uint64_t now = s_now_ms(); !s_stop && now < until && guard-- > 0; now = s_now_ms()) {
		uint64_t step = until - now < WAIT_SLEEP_STEP_MS ? until - now : WAIT_SLEEP_STEP_MS;
		struct timespec ts = {(time_t)(step / 1000u), (long)(step % 1000u) * 1000000L};

		nanosleep(&ts, NULL); /* EINTR: the loop looks at s_stop */
	}
}

/* ---- vantage wait ---- */

/* One progress line on stderr (the caller decides when). */
static void s_progress(const struct wait_opts *o, unsigned round, uint64_t elapsed_ms,
                       enum wait_state st, const struct wait_tally *t, const char *waiting)
{
	const char *le = "";

	if (o->policy == MONITOR_POLICY_LE)
		le = st == WAIT_READY     ? " (Let's Encrypt's rule: met)"
		     : st == WAIT_FAILING ? " (Let's Encrypt's rule: not met)"
		                          : " (Let's Encrypt's rule: undecided)";
	fprintf(stderr, "wait: round %u, %llus of %us: %zu/%zu vantages ready%s%s%s\n", round,
	        (unsigned long long)(elapsed_ms / 1000u), (unsigned)o->timeout_s, t->ready,
	        t->total, le, waiting[0] != '\0' ? "; waiting for " : "", waiting);
}

/* The "wait" member of the --json document. */
static int s_add_wait_member(json_t *doc, const struct wait_opts *o, bool ready, unsigned rounds,
                             uint64_t elapsed_ms)
{
	json_t *w = json_pack("{s:b, s:I, s:I, s:s}", "ready", ready, "rounds", (json_int_t)rounds,
	                      "elapsed_s", (json_int_t)((elapsed_ms + 500u) / 1000u), "policy",
	                      monitor_policy_name(o->policy));

	return w != NULL ? json_object_set_new(doc, "wait", w) : -1;
}

/* The rounds.  On return *doc holds the last report (caller decrefs),
 * *rounds and *elapsed_ms how far the wait got; the result is the last
 * round's state, or -1 with err (a coordinator error, or "interrupted"). */
static int s_rounds(const struct wait_opts *o, const char *body, json_t **doc, unsigned *rounds,
                    uint64_t *elapsed_ms, char *err, size_t errlen)
{
	const struct cli_check_opts *c = &o->check;
	uint32_t max = wait_max_rounds(o->timeout_s, o->interval_s);
	uint64_t t0 = s_now_ms(), last_set = 0;
	bool tty = isatty(STDERR_FILENO) != 0, have_set = false;
	enum wait_state st = WAIT_PENDING;

	*doc = NULL;
	*rounds = 0;
	*elapsed_ms = 0;
	for (uint32_t round = 1; round <= max; round++) {
		char waiting[WAIT_LINE_LEN];
		struct wait_tally t;
		json_t *d = NULL;
		long long pause;

		if (s_stop) {
			snprintf(err, errlen, "interrupted");
			return -1;
		}
		if (cli_call_stoppable(c->coordinator, c->token_file, c->cacert, NULL, "/v1/checks",
		                       body, cli_check_timeout_ms(c), &s_stop, &d, err,
		                       errlen) != 0) {
			if (s_stop)
				snprintf(err, errlen, "interrupted");
			return -1;
		}
		json_decref(*doc);
		*doc = d;
		*rounds = round;
		*elapsed_ms = s_now_ms() - t0;
		st = wait_ready(d, o->policy);
		if (st == WAIT_MALFORMED) {
			snprintf(err, errlen, "the coordinator's report is malformed (no verdict)");
			return -1;
		}
		wait_tally(d, false, &t, waiting, sizeof(waiting));
		if (!c->json && (tty || !have_set || t.ready_set != last_set || st == WAIT_READY))
			s_progress(o, round, *elapsed_ms, st, &t, waiting);
		have_set = true;
		last_set = t.ready_set;
		if (st == WAIT_READY)
			return (int)st;
		pause = wait_next_sleep_ms(*elapsed_ms, o->timeout_s, o->interval_s);
		if (pause < 0)
			return (int)st;
		s_pause(pause);
	}
	return (int)st; /* the round bound: the deadline came first */
}

int cli_wait_main(int argc, char **argv)
{
	struct wait_opts o;
	struct sigaction old[S_N_SIGNALS];
	char err[WAIT_ERR_LEN], line[WAIT_LINE_LEN];
	json_t *body = NULL, *doc = NULL;
	char *text = NULL;
	unsigned rounds = 0;
	uint64_t elapsed = 0;
	struct wait_tally t;
	int r, st, rc = EXIT_USAGE;

	r = wait_parse(argc, argv, &o, err, sizeof(err));
	if (r == 1) {
		s_usage(stdout);
		return 0;
	}
	if (r != 0) {
		fprintf(stderr, "vantage wait: %s\n", err);
		fprintf(stderr, "Try 'vantage wait --help'.\n");
		return EXIT_USAGE;
	}
	body = cli_check_body(&o.check, argv + o.check.first_domain, argc - o.check.first_domain,
	                      o.check.ka);
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL) {
		fprintf(stderr, "vantage wait: out of memory\n");
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "vantage wait: cannot initialise libcurl\n");
		free(text);
		return EXIT_USAGE;
	}
	s_signals_install(old);
	st = s_rounds(&o, text, &doc, &rounds, &elapsed, err, sizeof(err));
	s_signals_restore(old);
	if (st < 0) {
		if (rounds > 0 && strcmp(err, "interrupted") == 0)
			fprintf(stderr, "vantage wait: interrupted after %u round(s), %llus\n",
			        rounds, (unsigned long long)(elapsed / 1000u));
		else
			fprintf(stderr, "vantage wait: %s\n", err);
		goto out;
	}
	rc = st;
	if (o.check.json && s_add_wait_member(doc, &o, st == WAIT_READY, rounds, elapsed) != 0) {
		fprintf(stderr, "vantage wait: out of memory\n");
		rc = EXIT_USAGE;
		goto out;
	}
	cli_report_out(doc, o.check.json, o.check.no_color);
	fflush(stdout);
	if (o.check.json)
		goto out;
	wait_tally(doc, true, &t, line, sizeof(line));
	if (st == WAIT_READY && line[0] == '\0') {
		fprintf(stderr, "wait: ready after %u round(s), %llus: %zu/%zu vantages ready\n",
		        rounds, (unsigned long long)(elapsed / 1000u), t.ready, t.total);
	} else if (st == WAIT_READY) {
		fprintf(stderr,
		        "wait: ready by Let's Encrypt's rule after %u round(s), %llus; still "
		        "failing: %s\n",
		        rounds, (unsigned long long)(elapsed / 1000u), line);
	} else {
		const char *why = o.policy == MONITOR_POLICY_LE ? s_le_reason(doc) : NULL;
		char esc[WAIT_LINE_LEN];

		fprintf(stderr,
		        "wait: timed out (--timeout %us) after %u round(s), %llus: %zu/%zu "
		        "vantages "
		        "ready",
		        (unsigned)o.timeout_s, rounds, (unsigned long long)(elapsed / 1000u),
		        t.ready, t.total);
		if (line[0] != '\0')
			fprintf(stderr, "; still failing: %s", line);
		if (why != NULL)
			fprintf(stderr, "; Let's Encrypt's rule not met: %s",
			        log_escape(esc, sizeof(esc), why, strlen(why)));
		fputc('\n', stderr);
	}
out:
	json_decref(doc);
	free(text);
	curl_global_cleanup();
	return rc;
}
