/*
 * test_doctor.c -- `vantage doctor` (coordinator/doctor.c) against an
 * in-process HTTPS server thread on 127.0.0.1 (an ephemeral port) that
 * answers GET /directory with a directory and a Date header the test
 * controls, and a test PKI made in-process (a root, a leaf for 127.0.0.1 and
 * localhost, an unrelated root, an expired root) written to a scratch
 * directory.  Also the pure judgements (dns, tcp, clock, directory,
 * vantages), option and URL parsing.  All traffic stays on loopback: the
 * only name resolved is "localhost" (/etc/hosts); the DNS failure cases go
 * through doctor_judge_dns with getaddrinfo's error codes.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "../../coordinator/doctor.h"
#include "certstub.h"
#include "scratch.h"
#include "tcpstub.h"

#define T_DAY        86400L
#define T_LIFE_DAYS  90
#define T_TIMEOUT_MS 3000
#define T_REQ_MAX    4096
#define T_RESP_MAX   8192
#define T_EXPIRED_CN "Test Expired Root X3"
#define T_GOOD_DIR                                                                                 \
	"{\"newNonce\":\"https://127.0.0.1/nonce\",\"newAccount\":\"https://127.0.0.1/acct\","     \
	"\"newOrder\":\"https://127.0.0.1/order\",\"revokeCert\":\"https://127.0.0.1/revoke\","    \
	"\"keyChange\":\"https://127.0.0.1/kc\",\"meta\":{\"termsOfService\":"                     \
	"\"https://127.0.0.1/tos\",\"caaIdentities\":[\"test.example\"]}}"

enum t_mode {
	T_MODERN, /* TLS 1.2 and 1.3 */
	T_OLD,    /* TLS 1.1 at most */
};

struct t_srv {
	struct tcpstub tcp;
	SSL_CTX *ctx;
	EVP_PKEY *key;
	X509 *root, *leaf, *other, *expired;
	char dir[64];
	char root_pem[128], other_pem[128], expired_pem[128];
	char url[128];
	/* what GET /directory answers */
	long date_offset; /* seconds added to now in the Date header */
	const char *body, *ctype;
	unsigned gets; /* requests answered */
};

/* A certificate for CN=cn issued by issuer (NULL: self-signed), valid from
 * from_days to to_days (relative to now); a CA when ca, else a leaf for
 * 127.0.0.1 and localhost. */
static X509 *t_cert(EVP_PKEY *key, const char *cn, X509 *issuer, bool ca, long from_days,
                    long to_days, long serial)
{
	struct certstub_spec spec = {.cn = cn,
	                             .issuer = issuer,
	                             .ca = ca,
	                             .san = "IP:127.0.0.1,DNS:localhost",
	                             .not_before_s = from_days * T_DAY - 60,
	                             .not_after_s = to_days * T_DAY,
	                             .serial = serial};

	return certstub_cert(key, &spec);
}

/* Read one HTTP request (up to the blank line) and answer it. */
static void t_http(SSL *ssl, void *arg)
{
	struct t_srv *s = arg;
	char req[T_REQ_MAX + 1], resp[T_RESP_MAX], date[64];
	size_t len = 0;
	time_t when = time(NULL) + s->date_offset;
	struct tm tm;
	const char *body = s->body;
	int status = 200, n;

	while (len < T_REQ_MAX) {
		n = SSL_read(ssl, req + len, (int)(T_REQ_MAX - len));
		if (n <= 0)
			return; /* a handshake-only connection */
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (strncmp(req, "GET /directory ", 15) != 0) {
		status = 404;
		body = "{}";
	}
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	n = snprintf(resp, sizeof(resp),
	             "HTTP/1.1 %d X\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	             "Connection: close\r\n\r\n%s",
	             status, date, s->ctype, strlen(body), body);
	cr_assert(n > 0 && (size_t)n < sizeof(resp));
	(void)SSL_write(ssl, resp, n);
	s->gets++;
}

static void t_serve_one(int c, void *arg)
{
	struct t_srv *s = arg;

	certstub_serve_tls(c, s->ctx, NULL, 0, t_http, s);
}

/* The PKI, the PEM files and the server, in mode. */
static void t_start(struct t_srv *s, enum t_mode mode)
{
	X509 *only_root[2], *only_other[2], *with_expired[3];

	memset(s, 0, sizeof(*s));
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	snprintf(s->dir, sizeof(s->dir), "/tmp/vantage-doctor-XXXXXX");
	cr_assert_not_null(mkdtemp(s->dir));
	s->key = EVP_EC_gen("P-256");
	cr_assert_not_null(s->key);
	s->root = t_cert(s->key, "Test Root", NULL, true, 0, T_LIFE_DAYS, 1);
	s->leaf = t_cert(s->key, "127.0.0.1", s->root, false, 0, T_LIFE_DAYS, 2);
	s->other = t_cert(s->key, "Other Root", NULL, true, 0, T_LIFE_DAYS, 3);
	s->expired = t_cert(s->key, T_EXPIRED_CN, NULL, true, -400, -10, 4);
	snprintf(s->root_pem, sizeof(s->root_pem), "%s/root.pem", s->dir);
	snprintf(s->other_pem, sizeof(s->other_pem), "%s/other.pem", s->dir);
	snprintf(s->expired_pem, sizeof(s->expired_pem), "%s/with-expired.pem", s->dir);
	only_root[0] = s->root;
	only_root[1] = NULL;
	only_other[0] = s->other;
	only_other[1] = NULL;
	with_expired[0] = s->expired;
	with_expired[1] = s->root;
	with_expired[2] = NULL;
	certstub_write_pem(s->root_pem, only_root);
	certstub_write_pem(s->other_pem, only_other);
	certstub_write_pem(s->expired_pem, with_expired);

	s->ctx = certstub_server_ctx(s->leaf, s->key, mode == T_OLD);
	s->body = T_GOOD_DIR;
	s->ctype = "application/json";
	tcpstub_start(&s->tcp, t_serve_one, s);
	snprintf(s->url, sizeof(s->url), "https://127.0.0.1:%u/directory", (unsigned)s->tcp.port);
}

static void t_stop(struct t_srv *s)
{
	tcpstub_stop(&s->tcp);
	SSL_CTX_free(s->ctx);
	X509_free(s->root);
	X509_free(s->leaf);
	X509_free(s->other);
	X509_free(s->expired);
	EVP_PKEY_free(s->key);
	scratch_remove(s->dir);
	curl_global_cleanup();
}

static struct doctor_opts t_opts(const char *url, const char *cacert)
{
	struct doctor_opts o;

	memset(&o, 0, sizeof(o));
	o.directory = url;
	o.cacert = cacert;
	o.timeout_ms = T_TIMEOUT_MS;
	o.resolver_timeout_ms = T_TIMEOUT_MS;
	o.max_skew_s = DOCTOR_DEFAULT_MAX_SKEW_S;
	return o;
}

/* Run doctor against s with cacert; the report in r. */
static int t_run(struct t_srv *s, const char *cacert, struct doctor_report *r)
{
	struct doctor_opts o = t_opts(s->url, cacert);

	return doctor_run(&o, r);
}

static enum doctor_status t_st(const struct doctor_report *r, enum doctor_check_id id)
{
	cr_assert(r->checks[id].present, "%s not present", doctor_check_name(id));
	return r->checks[id].status;
}

/* The check object with id in the --json document. */
static const json_t *t_check(const json_t *doc, const char *id)
{
	size_t i;
	const json_t *c;

	json_array_foreach(json_object_get(doc, "checks"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
			return c;
	}
	cr_assert_fail("no check %s", id);
	return NULL;
}

/* ---- against the HTTPS server ---- */

Test(doctor, everything_ok_with_the_test_root)
{
	struct t_srv s;
	struct doctor_report r;
	json_t *doc;
	const json_t *c;
	static const char *const ids[] = {"dns",           "tcp",   "tls",      "chain",
	                                  "expired-roots", "clock", "directory"};

	t_start(&s, T_MODERN);
	cr_assert_eq(t_run(&s, s.root_pem, &r), 0);
	for (int i = DOCTOR_CHECK_DNS; i <= DOCTOR_CHECK_DIRECTORY; i++)
		cr_assert_eq(t_st(&r, (enum doctor_check_id)i), DOCTOR_OK, "%s: %s: %s",
		             doctor_check_name((enum doctor_check_id)i), r.checks[i].detail,
		             r.checks[i].cause);
	cr_assert_not(r.checks[DOCTOR_CHECK_VANTAGES].present);
	cr_assert_eq(r.tls.tls13, 1);
	cr_assert_eq(r.tls.tls12, 1);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_TLS].detail, "TLSv1.3"));
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_CHAIN].detail, "CN=Test Root"));
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_DIRECTORY].detail, "newOrder"));
	cr_assert(r.have_skew);
	cr_assert(r.skew_s >= -2 && r.skew_s <= 2);

	doc = doctor_report_json(&r);
	cr_assert_not_null(doc);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "tool")), "vantage");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "command")), "doctor");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "directory")), s.url);
	cr_assert_eq(json_integer_value(json_object_get(doc, "exit_code")), 0);
	cr_assert_eq(json_integer_value(json_object_get(doc, "port")), s.tcp.port);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "summary")), "all 7 checks ok");
	cr_assert_eq(json_array_size(json_object_get(doc, "checks")), 7);
	for (size_t i = 0; i < 7; i++) {
		c = json_array_get(json_object_get(doc, "checks"), i);
		cr_assert_str_eq(json_string_value(json_object_get(c, "id")), ids[i]);
		cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "ok");
		cr_assert(json_is_string(json_object_get(c, "detail")));
		cr_assert(json_is_null(json_object_get(c, "cause")));
		cr_assert(json_is_null(json_object_get(c, "fix")));
	}
	c = t_check(doc, "directory");
	cr_assert_eq(json_integer_value(json_object_get(c, "http_status")), 200);
	cr_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(c, "endpoints"), "newOrder")),
	        "https://127.0.0.1/order");
	cr_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(json_object_get(c, "endpoints"), "meta"),
	                         "termsOfService")),
	                 "https://127.0.0.1/tos");
	c = t_check(doc, "chain");
	cr_assert(json_is_true(json_object_get(c, "verified")));
	cr_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(c, "trust_store"), "source")),
	        "--cacert");
	c = t_check(doc, "tls");
	cr_assert(json_is_true(json_object_get(c, "tls1_3")));
	cr_assert(json_is_true(json_object_get(c, "tls1_2")));
	c = t_check(doc, "tcp");
	cr_assert_str_eq(json_string_value(json_object_get(
	                         json_array_get(json_object_get(c, "connections"), 0), "result")),
	                 "connected");
	json_decref(doc);
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, localhost_resolves_through_the_system_resolver)
{
	struct t_srv s;
	struct doctor_report r;
	char url[128];
	struct doctor_opts o;

	t_start(&s, T_MODERN);
	snprintf(url, sizeof(url), "https://localhost:%u/directory", (unsigned)s.tcp.port);
	o = t_opts(url, s.root_pem);
	cr_assert_eq(doctor_run(&o, &r), 0, "%s / %s", r.checks[DOCTOR_CHECK_DNS].detail,
	             r.checks[DOCTOR_CHECK_TCP].detail);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_DNS].detail, "A 127.0.0.1"));
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_CHAIN), DOCTOR_OK, "%s",
	             r.checks[DOCTOR_CHECK_CHAIN].detail);
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, main_prints_the_json_document, .init = cr_redirect_stdout)
{
	struct t_srv s;
	char *argv[] = {"doctor", "--directory", NULL, "--cacert", NULL, "--json", NULL};
	json_error_t jerr;
	json_t *doc;

	t_start(&s, T_MODERN);
	argv[2] = s.url;
	argv[4] = s.root_pem;
	cr_assert_eq(doctor_main(6, argv), 0);
	fflush(stdout);
	doc = json_loadf(cr_get_redirected_stdout(), 0, &jerr);
	cr_assert_not_null(doc, "%s", jerr.text);
	cr_assert_eq(json_integer_value(json_object_get(doc, "exit_code")), 0);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "command")), "doctor");
	cr_assert_str_eq(json_string_value(json_object_get(t_check(doc, "clock"), "status")), "ok");
	json_decref(doc);
	t_stop(&s);
}

Test(doctor, chain_fails_without_the_root_in_the_trust_store)
{
	struct t_srv s;
	struct doctor_report r;
	json_t *doc;

	t_start(&s, T_MODERN);
	cr_assert_eq(t_run(&s, s.other_pem, &r), 1);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_TLS), DOCTOR_OK);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_CHAIN), DOCTOR_FAIL);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_CHAIN].detail,
	                          "unable to get local issuer certificate"),
	                   "%s", r.checks[DOCTOR_CHECK_CHAIN].detail);
	cr_assert_not_null(
	        strstr(r.checks[DOCTOR_CHECK_CHAIN].cause, "trust store lacks the root"));
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_CHAIN].fix, "ca-certificates"));
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_CHAIN].fix, "--cacert"));
	/* the directory is not judged a second time; the clock still is */
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_DIRECTORY), DOCTOR_SKIPPED);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_DIRECTORY].detail, "chain is not trusted"));
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_CLOCK), DOCTOR_OK, "%s",
	             r.checks[DOCTOR_CHECK_CLOCK].detail);
	cr_assert(r.http.date_unverified);
	doc = doctor_report_json(&r);
	cr_assert_not_null(doc);
	cr_assert_eq(json_integer_value(json_object_get(doc, "exit_code")), 1);
	cr_assert(json_is_false(json_object_get(t_check(doc, "chain"), "verified")));
	cr_assert_not_null(
	        strstr(json_string_value(json_object_get(doc, "summary")), "1 failed (chain)"));
	json_decref(doc);
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, clock_two_hours_off_fails_with_the_ntp_fix)
{
	struct t_srv s;
	struct doctor_report r;

	t_start(&s, T_MODERN);
	s.date_offset = -2 * 3600; /* the server says two hours earlier: we are fast */
	cr_assert_eq(t_run(&s, s.root_pem, &r), 1);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_CLOCK), DOCTOR_FAIL);
	cr_assert(r.skew_s >= 7199 && r.skew_s <= 7201, "skew %lld", (long long)r.skew_s);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_CLOCK].detail, "ahead of"));
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_CLOCK].fix, "timedatectl set-ntp true"));
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_CHAIN), DOCTOR_OK);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_DIRECTORY), DOCTOR_OK);
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, clock_45_seconds_off_warns)
{
	struct t_srv s;
	struct doctor_report r;

	t_start(&s, T_MODERN);
	s.date_offset = 45;
	cr_assert_eq(t_run(&s, s.root_pem, &r), 0);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_CLOCK), DOCTOR_WARN, "%s",
	             r.checks[DOCTOR_CHECK_CLOCK].detail);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_CLOCK].detail, "behind"));
	cr_assert_neq(r.checks[DOCTOR_CHECK_CLOCK].cause[0], '\0');
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, directory_without_new_order_fails)
{
	struct t_srv s;
	struct doctor_report r;

	t_start(&s, T_MODERN);
	s.body = "{\"newNonce\":\"https://127.0.0.1/n\",\"newAccount\":\"https://127.0.0.1/a\"}";
	cr_assert_eq(t_run(&s, s.root_pem, &r), 1);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_DIRECTORY), DOCTOR_FAIL);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_DIRECTORY].detail, "newOrder"));
	cr_assert_null(strstr(r.checks[DOCTOR_CHECK_DIRECTORY].detail, "newNonce"));
	cr_assert_null(r.endpoints);
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, directory_that_is_not_json_fails)
{
	struct t_srv s;
	struct doctor_report r;

	t_start(&s, T_MODERN);
	s.body = "<html><body>Please log in to the Wi-Fi</body></html>";
	s.ctype = "text/html";
	cr_assert_eq(t_run(&s, s.root_pem, &r), 1);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_DIRECTORY), DOCTOR_FAIL);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_DIRECTORY].detail, "not JSON"));
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_DIRECTORY].cause, "captive portal"));
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, expired_root_in_the_trust_store_warns)
{
	struct t_srv s;
	struct doctor_report r;
	json_t *doc;
	const json_t *c;

	t_start(&s, T_MODERN);
	cr_assert_eq(t_run(&s, s.expired_pem, &r), 0);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_CHAIN), DOCTOR_OK);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_EXPIRED_ROOTS), DOCTOR_WARN);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_EXPIRED_ROOTS].detail, T_EXPIRED_CN));
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_EXPIRED_ROOTS].cause, "DST Root CA X3"));
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_EXPIRED_ROOTS].fix, "ca-certificates"));
	cr_assert_eq(r.roots.scanned, 2);
	cr_assert_eq(r.roots.n_expired, 1);
	doc = doctor_report_json(&r);
	c = t_check(doc, "expired-roots");
	cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "warn");
	cr_assert_str_eq(json_string_value(json_object_get(
	                         json_array_get(json_object_get(c, "expired"), 0), "subject")),
	                 T_EXPIRED_CN);
	cr_assert_not_null(strstr(json_string_value(json_object_get(doc, "summary")),
	                          "1 warning (expired-roots)"));
	json_decref(doc);
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, tls11_only_server_fails_the_tls_check)
{
	struct t_srv s;
	struct doctor_report r;

	t_start(&s, T_OLD);
	cr_assert_eq(t_run(&s, s.root_pem, &r), 1);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_TCP), DOCTOR_OK);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_TLS), DOCTOR_FAIL);
	cr_assert_eq(r.tls.legacy, 1);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_TLS].detail, "TLSv1.1"), "%s",
	                   r.checks[DOCTOR_CHECK_TLS].detail);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_TLS].cause, "TLS-intercepting"));
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_TLS].fix, "OpenSSL"));
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_CHAIN), DOCTOR_SKIPPED);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_DIRECTORY), DOCTOR_SKIPPED);
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, closed_port_fails_tcp_with_refused)
{
	struct doctor_report r;
	struct doctor_opts o;
	char url[128];
	json_t *doc;
	const json_t *conn;

	cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/directory",
	         (unsigned)tcpstub_closed_port());
	o = t_opts(url, NULL);
	o.capath = "/nonexistent"; /* keep the system store out of this test */
	cr_assert_eq(doctor_run(&o, &r), 1);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_DNS), DOCTOR_OK);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_TCP), DOCTOR_FAIL);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_TCP].cause, "refuses"));
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_TLS), DOCTOR_SKIPPED);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_DIRECTORY), DOCTOR_SKIPPED);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_CLOCK), DOCTOR_SKIPPED);
	doc = doctor_report_json(&r);
	conn = json_array_get(json_object_get(t_check(doc, "tcp"), "connections"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(conn, "result")), "refused");
	cr_assert_str_eq(json_string_value(json_object_get(conn, "family")), "ipv4");
	json_decref(doc);
	doctor_report_free(&r);
	curl_global_cleanup();
}

Test(doctor, vantages_skipped_when_the_port_is_not_443)
{
	struct t_srv s;
	struct doctor_report r;
	struct doctor_opts o;

	t_start(&s, T_MODERN);
	o = t_opts(s.url, s.root_pem);
	o.vantages = true;
	cr_assert_eq(doctor_run(&o, &r), 0);
	cr_assert_eq(t_st(&r, DOCTOR_CHECK_VANTAGES), DOCTOR_SKIPPED);
	cr_assert_not_null(strstr(r.checks[DOCTOR_CHECK_VANTAGES].detail, "port 443 only"));
	doctor_report_free(&r);
	t_stop(&s);
}

Test(doctor, http_url_is_a_usage_error, .init = cr_redirect_stderr)
{
	char *argv[] = {"doctor", "--directory", "http://127.0.0.1:1/directory", NULL};

	cr_assert_eq(doctor_main(3, argv), 2);
	fflush(stderr);
	cr_assert_stderr_eq_str("vantage doctor: ACME requires HTTPS (RFC 8555 section 6.1): use "
	                        "https:// for the directory URL\n"
	                        "Try 'vantage doctor --help'.\n");
}

/* ---- parsing ---- */

static int t_parse(int argc, char **argv, struct doctor_opts *o, char *err)
{
	return doctor_parse(argc, argv, o, err, DOCTOR_ERR_LEN);
}

Test(doctor, parse_defaults_and_options)
{
	struct doctor_opts o;
	char err[DOCTOR_ERR_LEN];
	char *a0[] = {"doctor", NULL};
	char *a1[] = {"doctor",
	              "--directory",
	              "https://127.0.0.1:14000/dir",
	              "--timeout-ms",
	              "2500",
	              "--max-skew",
	              "60",
	              "--vantages",
	              "--coordinator",
	              "http://127.0.0.1:8750",
	              "--json",
	              "--no-color",
	              NULL};
	char *a2[] = {"doctor", "--help", NULL};

	cr_assert_eq(t_parse(1, a0, &o, err), 0, "%s", err);
	cr_assert_str_eq(o.directory, DOCTOR_DEFAULT_DIRECTORY);
	cr_assert_eq(o.timeout_ms, DOCTOR_DEFAULT_TIMEOUT_MS);
	cr_assert_eq(o.resolver_timeout_ms, DOCTOR_DEFAULT_RESOLVER_MS);
	cr_assert_eq(o.max_skew_s, DOCTOR_DEFAULT_MAX_SKEW_S);
	cr_assert_not(o.vantages);
	cr_assert_eq(t_parse(12, a1, &o, err), 0, "%s", err);
	cr_assert_str_eq(o.directory, "https://127.0.0.1:14000/dir");
	cr_assert_eq(o.timeout_ms, 2500);
	cr_assert_eq(o.max_skew_s, 60);
	cr_assert(o.vantages && o.json && o.no_color);
	cr_assert_str_eq(o.coordinator, "http://127.0.0.1:8750");
	cr_assert_eq(t_parse(2, a2, &o, err), 1);
}

Test(doctor, parse_refusals)
{
	struct doctor_opts o;
	char err[DOCTOR_ERR_LEN];
	struct {
		int argc;
		char *argv[6];
		const char *want;
	} cases[] = {
	        {3, {"doctor", "--directory", "http://x.example/dir"}, "ACME requires HTTPS"},
	        {3, {"doctor", "--directory", "ftp://x.example/dir"}, "https://"},
	        {3, {"doctor", "--directory", "not a url"}, "not a URL"},
	        {3, {"doctor", "--timeout-ms", "5"}, "--timeout-ms"},
	        {3, {"doctor", "--max-skew", "0"}, "--max-skew"},
	        {5, {"doctor", "--cacert", "/etc/hostname", "--capath", "/tmp"}, "not both"},
	        {3, {"doctor", "--coordinator", "http://127.0.0.1:8750"}, "--vantages"},
	        {3, {"doctor", "--cacert", "/nonexistent/ca.pem"}, "--cacert"},
	        {2, {"doctor", "extra"}, "unexpected argument"},
	        {2, {"doctor", "--bogus"}, "unknown option"},
	        {2, {"doctor", "--directory"}, "needs a value"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(t_parse(cases[i].argc, cases[i].argv, &o, err), -1, "case %zu", i);
		cr_assert_not_null(strstr(err, cases[i].want), "case %zu: %s", i, err);
	}
}

Test(doctor, parse_url)
{
	struct doctor_url u;
	char err[DOCTOR_ERR_LEN];

	cr_assert_eq(doctor_parse_url(DOCTOR_DEFAULT_DIRECTORY, &u, err, sizeof(err)), 0);
	cr_assert_str_eq(u.host, "acme-v02.api.letsencrypt.org");
	cr_assert_eq(u.port, 443);
	cr_assert_not(u.ip_literal);
	cr_assert_eq(doctor_parse_url("https://10.30.50.3:14000/dir", &u, err, sizeof(err)), 0);
	cr_assert_str_eq(u.host, "10.30.50.3");
	cr_assert_eq(u.port, 14000);
	cr_assert(u.ip_literal);
	cr_assert_eq(doctor_parse_url("https://[::1]:8443/directory", &u, err, sizeof(err)), 0);
	cr_assert_str_eq(u.host, "::1");
	cr_assert_eq(u.port, 8443);
	cr_assert(u.ip_literal);
	cr_assert_eq(doctor_parse_url("HTTP://x.example/", &u, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "RFC 8555"));
}

/* ---- pure judgements ---- */

static struct doctor_addr t_addr(int family, const char *text, enum doctor_conn conn, int err)
{
	struct doctor_addr a;

	memset(&a, 0, sizeof(a));
	a.family = family;
	snprintf(a.text, sizeof(a.text), "%s", text);
	a.conn = conn;
	a.err = err;
	return a;
}

Test(doctor, dns_failures_have_a_cause_and_fix)
{
	struct doctor_dns_ev ev;
	struct doctor_check c;
	struct doctor_addr a[2];

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.resolvers[0], sizeof(ev.resolvers[0]), "192.0.2.53");
	ev.n_resolvers = 1;
	ev.gai_rc = EAI_NONAME;
	doctor_judge_dns(&ev, "nonexistent.invalid", false, NULL, 0, &c);
	cr_assert_eq(c.status, DOCTOR_FAIL);
	cr_assert_not_null(strstr(c.detail, "NXDOMAIN"));
	cr_assert_not_null(strstr(c.detail, "192.0.2.53"));
	cr_assert_not_null(strstr(c.cause, "/etc/resolv.conf"));
	cr_assert_not_null(strstr(c.fix, "resolvectl"));

	ev.gai_rc = EAI_AGAIN;
	doctor_judge_dns(&ev, "acme.example", false, NULL, 0, &c);
	cr_assert_eq(c.status, DOCTOR_FAIL);
	cr_assert_not_null(strstr(c.detail, "SERVFAIL"));
	cr_assert_not_null(strstr(c.cause, "cannot resolve the ACME host"));

	ev.gai_rc = 0;
	ev.timed_out = true;
	doctor_judge_dns(&ev, "acme.example", false, NULL, 0, &c);
	cr_assert_eq(c.status, DOCTOR_FAIL);
	cr_assert_not_null(strstr(c.detail, "timeout"));

	ev.timed_out = false;
	a[0] = t_addr(AF_INET, "192.0.2.1", DOCTOR_CONN_NOT_TRIED, 0);
	a[1] = t_addr(AF_INET6, "2001:db8::1", DOCTOR_CONN_NOT_TRIED, 0);
	doctor_judge_dns(&ev, "acme.example", false, a, 2, &c);
	cr_assert_eq(c.status, DOCTOR_OK);
	cr_assert_not_null(strstr(c.detail, "A 192.0.2.1; AAAA 2001:db8::1"), "%s", c.detail);
	doctor_judge_dns(&ev, "192.0.2.1", true, a, 1, &c);
	cr_assert_eq(c.status, DOCTOR_OK);
	cr_assert_not_null(strstr(c.detail, "IP literal"));
}

Test(doctor, tcp_judgements)
{
	struct doctor_addr a[2];
	struct doctor_check c;

	a[0] = t_addr(AF_INET6, "2001:db8::1", DOCTOR_CONN_TIMEOUT, ETIMEDOUT);
	a[1] = t_addr(AF_INET, "192.0.2.1", DOCTOR_CONN_OK, 0);
	doctor_judge_tcp(a, 2, 443, false, &c);
	cr_assert_eq(c.status, DOCTOR_WARN);
	cr_assert_not_null(strstr(c.cause, "IPv6 fails while IPv4 works"));
	cr_assert_not_null(strstr(c.fix, "gai.conf"));

	a[0].conn = DOCTOR_CONN_UNREACHABLE; /* no IPv6 route: clients skip it */
	a[0].err = ENETUNREACH;
	doctor_judge_tcp(a, 2, 443, false, &c);
	cr_assert_eq(c.status, DOCTOR_OK, "%s", c.cause);

	a[0].conn = DOCTOR_CONN_TIMEOUT;
	a[1].conn = DOCTOR_CONN_TIMEOUT;
	doctor_judge_tcp(a, 2, 443, true, &c);
	cr_assert_eq(c.status, DOCTOR_FAIL);
	cr_assert_not_null(strstr(c.cause, "firewall"));
	cr_assert_not_null(strstr(c.fix, "https_proxy is set"));

	doctor_judge_tcp(a, 0, 443, false, &c);
	cr_assert_eq(c.status, DOCTOR_SKIPPED);
}

Test(doctor, clock_judgement_and_the_chain)
{
	struct doctor_check clock, chain;
	struct doctor_tls_ev tls;

	doctor_judge_clock(true, 3, 300, false, &clock, NULL, NULL);
	cr_assert_eq(clock.status, DOCTOR_OK);
	doctor_judge_clock(true, -31, 300, false, &clock, NULL, NULL);
	cr_assert_eq(clock.status, DOCTOR_WARN);
	doctor_judge_clock(true, 301, 300, false, &clock, NULL, NULL);
	cr_assert_eq(clock.status, DOCTOR_FAIL);
	doctor_judge_clock(true, 20, 10, false, &clock, NULL, NULL);
	cr_assert_eq(clock.status, DOCTOR_FAIL);
	doctor_judge_clock(false, 0, 300, false, &clock, NULL, NULL);
	cr_assert_eq(clock.status, DOCTOR_SKIPPED);

	/* a certificate "not yet valid" and a slow clock: the clock is the cause */
	memset(&tls, 0, sizeof(tls));
	tls.have_chain = true;
	tls.verify_code = X509_V_ERR_CERT_NOT_YET_VALID;
	snprintf(tls.verify_error, sizeof(tls.verify_error), "certificate is not yet valid");
	doctor_judge_chain(&tls, &(struct doctor_store){.source = "--cacert"}, &chain);
	cr_assert_eq(chain.status, DOCTOR_FAIL);
	doctor_judge_clock(true, -7200, 300, false, &clock, &chain, &tls);
	cr_assert_eq(clock.status, DOCTOR_FAIL);
	cr_assert_not_null(strstr(chain.cause, "the clock is the likely cause"), "%s", chain.cause);
	cr_assert_not_null(strstr(chain.fix, "set-ntp"));
}

Test(doctor, directory_judgements)
{
	struct doctor_check c;
	json_t *ep;
	const char *ok = T_GOOD_DIR;

	doctor_judge_directory(200, "application/json", ok, strlen(ok), &c, &ep);
	cr_assert_eq(c.status, DOCTOR_OK, "%s", c.detail);
	cr_assert_not_null(ep);
	cr_assert_str_eq(json_string_value(json_object_get(ep, "keyChange")),
	                 "https://127.0.0.1/kc");
	json_decref(ep);

	doctor_judge_directory(200, "text/plain", ok, strlen(ok), &c, &ep);
	cr_assert_eq(c.status, DOCTOR_WARN);
	cr_assert_not_null(strstr(c.cause, "application/json"));
	json_decref(ep);

	doctor_judge_directory(404, "text/html", "nope", 4, &c, &ep);
	cr_assert_eq(c.status, DOCTOR_FAIL);
	cr_assert_null(ep);
	cr_assert_not_null(strstr(c.detail, "HTTP 404"));

	doctor_judge_directory(200, "application/json", "[1]", 3, &c, &ep);
	cr_assert_eq(c.status, DOCTOR_FAIL);
	cr_assert_not_null(strstr(c.detail, "not an object"));

	doctor_judge_directory(200, "application/json", "{\"newNonce\":\"http://x/n\"}", 25, &c,
	                       &ep);
	cr_assert_eq(c.status, DOCTOR_FAIL);
	cr_assert_not_null(strstr(c.detail, "newNonce, newAccount, newOrder"), "%s", c.detail);
}

Test(doctor, vantage_body_and_rows)
{
	struct doctor_report r;
	struct doctor_check c;
	json_t *body = doctor_vantage_body("acme.example.org"), *want, *doc;
	json_error_t jerr;

	want = json_loads("{\"domains\":[\"acme.example.org\"],\"methods\":[\"tls-cert\"],"
	                  "\"caa\":false,\"mode\":\"reachability\",\"budget_ms\":15000}",
	                  0, &jerr);
	cr_assert(json_equal(body, want));
	json_decref(body);
	json_decref(want);

	doc = json_loads(
	        "{\"checks\":[{\"method\":\"tls-cert\",\"results\":["
	        "{\"agent\":\"a1\",\"region\":\"us-east\",\"outcome\":\"pass\","
	        "\"address_used\":\"192.0.2.1\",\"problem\":null,\"cert\":{\"tls_version\":"
	        "\"TLSv1.3\",\"chain_verified\":true,\"verify_error\":null}},"
	        "{\"agent\":\"a2\",\"region\":\"eu-west\",\"outcome\":\"fail\","
	        "\"address_used\":\"192.0.2.1\",\"problem\":{\"type\":\"connection\","
	        "\"summary\":\"Timeout during connect\"},\"cert\":null},"
	        "{\"agent\":\"a3\",\"region\":\"ap-south\",\"outcome\":\"unavailable\","
	        "\"unavailable_reason\":\"vantage a3 has never connected\"}]}]}",
	        0, &jerr);
	cr_assert_not_null(doc, "%s", jerr.text);
	memset(&r, 0, sizeof(r));
	snprintf(r.url.host, sizeof(r.url.host), "acme.example.org");
	cr_assert_eq(doctor_judge_vantages(doc, true, &r, &c), 0);
	cr_assert_eq(c.status, DOCTOR_WARN);
	cr_assert_eq(r.n_vantages, 3);
	cr_assert_str_eq(r.vantages[0].agent, "a1");
	cr_assert_eq(r.vantages[0].handshake, 1);
	cr_assert_eq(r.vantages[0].verified, 1);
	cr_assert_eq(r.vantages[1].resolved, 1);
	cr_assert_eq(r.vantages[1].connected, 0);
	cr_assert_str_eq(r.vantages[1].detail, "Timeout during connect");
	cr_assert_eq(r.vantages[2].handshake, -1);
	cr_assert_not_null(strstr(c.detail, "1 of 2 vantages"), "%s", c.detail);
	json_decref(doc);

	doc = json_loads("{\"checks\":[{\"results\":[{\"agent\":\"a1\",\"outcome\":\"fail\","
	                 "\"problem\":{\"type\":\"dns\",\"summary\":\"NXDOMAIN\"}}]}]}",
	                 0, &jerr);
	cr_assert_eq(doctor_judge_vantages(doc, false, &r, &c), 0);
	cr_assert_eq(c.status, DOCTOR_FAIL);
	cr_assert_not_null(strstr(c.cause, "neither this machine nor any vantage"));
	json_decref(doc);
	doctor_report_free(&r);
}

Test(doctor, store_scan_reads_hashed_names_once)
{
	struct t_srv s;
	struct doctor_store st;
	struct doctor_roots_ev ev;
	char sub[128], link[192];

	t_start(&s, T_MODERN);
	snprintf(sub, sizeof(sub), "%s/certs", s.dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	snprintf(link, sizeof(link), "%s/0123abcd.0", sub);
	cr_assert_eq(symlink(s.expired_pem, link), 0);
	snprintf(link, sizeof(link), "%s/not-a-hash.pem", sub);
	cr_assert_eq(symlink(s.expired_pem, link), 0);
	memset(&st, 0, sizeof(st));
	snprintf(st.file, sizeof(st.file), "%s", s.expired_pem);
	snprintf(st.dir, sizeof(st.dir), "%s", sub);
	st.source = "test";
	st.given = true;
	doctor_scan_store(&st, (int64_t)time(NULL), &ev);
	cr_assert_eq(ev.files, 2);
	cr_assert_eq(ev.scanned, 4);
	cr_assert_eq(ev.n_expired, 1);
	cr_assert_str_eq(ev.expired[0].subject, T_EXPIRED_CN);
	t_stop(&s);
}
