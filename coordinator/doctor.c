/*
 * doctor.c -- `vantage doctor`: can this machine reach the ACME CA?
 *
 * Most "Let's Encrypt connectivity" reports are about the machine that runs
 * the ACME client, not about the domain being validated.  doctor walks the
 * path an ACME client takes to the directory URL and stops to explain each
 * place it breaks:
 *
 *   dns            getaddrinfo (the system resolver, as the client uses it)
 *   tcp            a connect to every address, IPv4 and IPv6, in parallel
 *   tls            an OpenSSL handshake (SNI, TLS >= 1.2), then TLS 1.3 and
 *                  TLS 1.2 alone; on failure a TLS <= 1.1 probe to tell an
 *                  outdated server from an outdated client
 *   chain          the first handshake's chain against the local trust store,
 *                  with the host name
 *   expired-roots  expired self-signed roots still in that trust store
 *   clock          local time against the directory answer's Date header
 *   directory      the directory GET through libcurl, its JSON
 *   vantages       (--vantages) a tls-cert check from every vantage, asked of
 *                  the coordinator in a thread while the local steps run
 *
 * Probes fill the evidence structs of doctor.h; the doctor_judge_* functions
 * turn evidence into a status, a detail line, and a cause and fix.  Every
 * step is bounded by its own timeout and the whole run by
 * DOCTOR_RUN_BUDGET_MS.  OpenSSL and libcurl objects never leave this file.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../common/log.h"
#include "../common/text.h"
#include "cli.h"
#include "doctor.h"
#include "httpbuf.h"

#define EXIT_OK    0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

#define S_RED    "\033[31m"
#define S_GREEN  "\033[32m"
#define S_YELLOW "\033[33m"
#define S_RESET  "\033[0m"

#define S_PORT_LEN      8 /* "65535" */
#define S_MS_PER_S      1000
#define S_NS_PER_MS     1000000L
#define S_MINUTE        60
#define S_HOUR          3600
#define S_DAY           86400
#define S_HASH_DIGITS   8 /* OpenSSL CApath names: 8 hex digits, '.', a number */
#define S_HTTP_OK       200
#define S_OPENSSL_TLS12 0x10001000UL /* OpenSSL 1.0.1: the first with TLS 1.2 */
#define S_JSON_TYPE     "application/json"
#define S_HTTPS         "https://"

/* ---- small helpers ---- */

/* Milliseconds on the monotonic clock (deadlines; immune to a wrong wall
 * clock, which is one of the things doctor looks for). */
static int64_t s_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * S_MS_PER_S + ts.tv_nsec / S_NS_PER_MS;
}

/* Time left until deadline, at most cap, at least 0. */
static long s_left(int64_t deadline, long cap)
{
	int64_t left = deadline - s_mono_ms();

	if (left < 0)
		return 0;
	return left < cap ? (long)left : cap;
}

/* printf into buf (size len), cutting silently: evidence lines may hold long
 * names, and a cut line is better than none. */
__attribute__((format(printf, 3, 4))) static void s_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Set c's status and its three texts (NULL: empty). */
static void s_set(struct doctor_check *c, enum doctor_status st, const char *detail,
                  const char *cause, const char *fix)
{
	c->status = st;
	c->present = true;
	snprintf(c->detail, sizeof(c->detail), "%s", detail != NULL ? detail : "");
	snprintf(c->cause, sizeof(c->cause), "%s", cause != NULL ? cause : "");
	snprintf(c->fix, sizeof(c->fix), "%s", fix != NULL ? fix : "");
}

/* Untrusted text, escaped into dst (printable ASCII). */
static const char *s_esc(char *dst, size_t dstlen, const char *src)
{
	return log_escape(dst, dstlen, src != NULL ? src : "", strlen(src != NULL ? src : ""));
}

/* "45 s", "12 min 5 s", "2 h 0 min", "3 d 4 h" for a magnitude in seconds. */
static void s_duration(int64_t s, char *out, size_t len)
{
	if (s < 0)
		s = -s;
	if (s < S_MINUTE)
		snprintf(out, len, "%lld s", (long long)s);
	else if (s < S_HOUR)
		snprintf(out, len, "%lld min %lld s", (long long)(s / S_MINUTE),
		         (long long)(s % S_MINUTE));
	else if (s < S_DAY)
		snprintf(out, len, "%lld h %lld min", (long long)(s / S_HOUR),
		         (long long)(s % S_HOUR / S_MINUTE));
	else
		snprintf(out, len, "%lld d %lld h", (long long)(s / S_DAY),
		         (long long)(s % S_DAY / S_HOUR));
}

static bool s_is_proxy_env(void)
{
	static const char *const names[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);
		if (v != NULL && v[0] != '\0')
			return true;
	}
	return false;
}

const char *doctor_status_name(enum doctor_status s)
{
	switch (s) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_WARN:
		return "warn";
	case DOCTOR_FAIL:
		return "fail";
	case DOCTOR_SKIPPED:
		return "skipped";
	}
	return "?";
}

const char *doctor_check_name(enum doctor_check_id id)
{
	static const char *const names[DOCTOR_N_CHECKS] = {
	        "dns", "tcp", "tls", "chain", "expired-roots", "clock", "directory", "vantages"};

	return (unsigned)id < DOCTOR_N_CHECKS ? names[id] : "?";
}

/* ---- options ---- */

enum {
	OPT_DIRECTORY = 256,
	OPT_CACERT,
	OPT_CAPATH,
	OPT_RESOLVER_TIMEOUT,
	OPT_TIMEOUT,
	OPT_MAX_SKEW,
	OPT_VANTAGES,
	OPT_COORD,
	OPT_TOKEN_FILE,
	OPT_COORD_CACERT,
	OPT_JSON,
	OPT_NO_COLOR,
	OPT_HELP,
};

static void s_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage doctor [--directory URL] [--cacert FILE | --capath DIR]\n"
	        "                      [--timeout-ms N] [--resolver-timeout-ms N] [--max-skew S]\n"
	        "                      [--vantages [--coordinator URL] [--token-file F]\n"
	        "                                  [--coordinator-cacert F]]\n"
	        "                      [--json] [--no-color]\n"
	        "\n"
	        "Can this machine reach the ACME CA?  The checks, in order:\n"
	        "  dns            the directory's host through the system resolver (getaddrinfo)\n"
	        "  tcp            a connection to every address, IPv4 and IPv6, on the URL's port\n"
	        "  tls            a handshake with TLS 1.2 or later; which of TLS 1.3 and 1.2 the\n"
	        "                 server accepts\n"
	        "  chain          the server's chain against the local trust store, host name\n"
	        "                 included\n"
	        "  expired-roots  expired self-signed roots (DST Root CA X3, ...) still in that "
	        "store\n"
	        "  clock          the local clock against the server's Date header\n"
	        "  directory      the directory's JSON (newNonce, newAccount, newOrder)\n"
	        "  vantages       with --vantages: a TLS handshake with the host on port 443 from\n"
	        "                 every vantage; clock and directory are checked locally only\n"
	        "Every warning and failure comes with a cause and a fix.\n"
	        "\n"
	        "options:\n"
	        "  --directory URL          the ACME directory, https:// only (default\n"
	        "                           %s);\n"
	        "                           a port in the URL is honoured\n"
	        "  --cacert FILE            trust this CA bundle (a test CA such as Pebble's) "
	        "instead\n"
	        "                           of the system's trust store\n"
	        "  --capath DIR             trust this hashed certificate directory instead\n"
	        "  --timeout-ms N           each connect, handshake and GET (default %d, %d..%d)\n"
	        "  --resolver-timeout-ms N  the DNS lookup (default %d, %d..%d)\n"
	        "  --max-skew S             clock skew that fails, in seconds (default %d; more "
	        "than\n"
	        "                           %d warns)\n"
	        "  --vantages               also ask every vantage, through the coordinator\n"
	        "  --coordinator URL        the coordinator's API (default %s)\n"
	        "  --token-file F           its token (default $%s, else %s)\n"
	        "  --coordinator-cacert F   the CA of an https:// coordinator\n"
	        "  --json                   one JSON document (docs/doctor.md)\n"
	        "  --no-color               no colours (none either with NO_COLOR or off a "
	        "terminal)\n"
	        "  -h, --help               this text\n"
	        "\n"
	        "Without --cacert or --capath the trust store is OpenSSL's default, which\n"
	        "SSL_CERT_FILE and SSL_CERT_DIR override, as for every OpenSSL program.\n"
	        "Exit status: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage "
	        "error.\n",
	        DOCTOR_DEFAULT_DIRECTORY, DOCTOR_DEFAULT_TIMEOUT_MS, DOCTOR_MIN_TIMEOUT_MS,
	        DOCTOR_MAX_TIMEOUT_MS, DOCTOR_DEFAULT_RESOLVER_MS, DOCTOR_MIN_TIMEOUT_MS,
	        DOCTOR_MAX_TIMEOUT_MS, DOCTOR_DEFAULT_MAX_SKEW_S, DOCTOR_WARN_SKEW_S,
	        CLI_DEFAULT_COORDINATOR, CLI_TOKEN_ENV, CLI_DEFAULT_TOKEN_FILE);
}

/* A decimal number lo..hi for option name, by the rule every subcommand uses
 * (cli_parse_ulong); doctor keeps its options as long.  0 or -1 with err. */
static int s_number(const char *name, const char *arg, long lo, long hi, long *out, char *err,
                    size_t errlen)
{
	unsigned long v;

	if (cli_parse_ulong(name, arg, (unsigned long)lo, (unsigned long)hi, &v, err, errlen) != 0)
		return -1;
	*out = (long)v;
	return 0;
}

int doctor_parse_url(const char *url, struct doctor_url *u, char *err, size_t errlen)
{
	CURLU *h = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL;
	size_t n;
	long p;
	char *end;
	unsigned char bin[sizeof(struct in6_addr)];
	int rc = -1;

	memset(u, 0, sizeof(*u));
	if (strlen(url) > LIMIT_URL_LEN) {
		snprintf(err, errlen, "the directory URL is longer than %d characters",
		         LIMIT_URL_LEN);
		return -1;
	}
	h = curl_url();
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		snprintf(err, errlen,
		         "\"%.64s\" is not a URL: expected https://HOST[:PORT]/PATH, e.g. %s", url,
		         DOCTOR_DEFAULT_DIRECTORY);
		goto out;
	}
	if (strcasecmp(scheme, "http") == 0) {
		snprintf(err, errlen,
		         "ACME requires HTTPS (RFC 8555 section 6.1): use https:// for the "
		         "directory URL");
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0) {
		snprintf(err, errlen, "the directory URL must start with https://");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
		snprintf(err, errlen, "the directory URL has no host");
		goto out;
	}
	n = strlen(host);
	if (host[0] == '[' && n >= 2 && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
		n -= 2;
	}
	if (n == 0 || n > LIMIT_DOMAIN_LEN) {
		snprintf(err, errlen, "the directory URL's host must be 1..%d characters",
		         LIMIT_DOMAIN_LEN);
		goto out;
	}
	memcpy(u->host, host, n + 1);
	u->ip_literal =
	        inet_pton(AF_INET, u->host, bin) == 1 || inet_pton(AF_INET6, u->host, bin) == 1;
	if (curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		snprintf(err, errlen, "the directory URL has no usable port");
		goto out;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno != 0 || *end != '\0' || p < 1 || p > UINT16_MAX) {
		snprintf(err, errlen, "the directory URL's port must be 1..65535");
		goto out;
	}
	u->port = (uint16_t)p;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return rc;
}

int doctor_parse(int argc, char **argv, struct doctor_opts *o, char *err, size_t errlen)
{
	static const struct option opts[] = {
	        {"directory", required_argument, NULL, OPT_DIRECTORY},
	        {"cacert", required_argument, NULL, OPT_CACERT},
	        {"capath", required_argument, NULL, OPT_CAPATH},
	        {"resolver-timeout-ms", required_argument, NULL, OPT_RESOLVER_TIMEOUT},
	        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
	        {"max-skew", required_argument, NULL, OPT_MAX_SKEW},
	        {"vantages", no_argument, NULL, OPT_VANTAGES},
	        {"coordinator", required_argument, NULL, OPT_COORD},
	        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	        {"coordinator-cacert", required_argument, NULL, OPT_COORD_CACERT},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"no-color", no_argument, NULL, OPT_NO_COLOR},
	        {"help", no_argument, NULL, OPT_HELP},
	        {NULL, 0, NULL, 0},
	};
	struct doctor_url u;
	int c;

	memset(o, 0, sizeof(*o));
	o->directory = DOCTOR_DEFAULT_DIRECTORY;
	o->timeout_ms = DOCTOR_DEFAULT_TIMEOUT_MS;
	o->resolver_timeout_ms = DOCTOR_DEFAULT_RESOLVER_MS;
	o->max_skew_s = DOCTOR_DEFAULT_MAX_SKEW_S;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DIRECTORY:
			o->directory = optarg;
			break;
		case OPT_CACERT:
			o->cacert = optarg;
			break;
		case OPT_CAPATH:
			o->capath = optarg;
			break;
		case OPT_RESOLVER_TIMEOUT:
			if (s_number("--resolver-timeout-ms", optarg, DOCTOR_MIN_TIMEOUT_MS,
			             DOCTOR_MAX_TIMEOUT_MS, &o->resolver_timeout_ms, err,
			             errlen) != 0)
				return -1;
			break;
		case OPT_TIMEOUT:
			if (s_number("--timeout-ms", optarg, DOCTOR_MIN_TIMEOUT_MS,
			             DOCTOR_MAX_TIMEOUT_MS, &o->timeout_ms, err, errlen) != 0)
				return -1;
			break;
		case OPT_MAX_SKEW:
			if (s_number("--max-skew", optarg, 1, DOCTOR_MAX_SKEW_LIMIT_S,
			             &o->max_skew_s, err, errlen) != 0)
				return -1;
			break;
		case OPT_VANTAGES:
			o->vantages = true;
			break;
		case OPT_COORD:
			o->coordinator = optarg;
			break;
		case OPT_TOKEN_FILE:
			o->token_file = optarg;
			break;
		case OPT_COORD_CACERT:
			o->coordinator_cacert = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case 'h':
		case OPT_HELP:
			return 1;
		default:
			if (optopt != 0 && optopt != 'h')
				snprintf(err, errlen, "%.64s needs a value", argv[optind - 1]);
			else
				snprintf(err, errlen, "unknown option \"%.64s\"", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen,
		         "unexpected argument \"%.64s\" (the URL goes after --directory)",
		         argv[optind]);
		return -1;
	}
	if (o->cacert != NULL && o->capath != NULL) {
		snprintf(err, errlen, "give --cacert or --capath, not both");
		return -1;
	}
	if (!o->vantages &&
	    (o->coordinator != NULL || o->token_file != NULL || o->coordinator_cacert != NULL)) {
		snprintf(err, errlen,
		         "--coordinator, --token-file and --coordinator-cacert are for --vantages");
		return -1;
	}
	if (o->cacert != NULL && access(o->cacert, R_OK) != 0) {
		snprintf(err, errlen, "--cacert %.200s: %s", o->cacert, strerror(errno));
		return -1;
	}
	if (o->capath != NULL && access(o->capath, R_OK | X_OK) != 0) {
		snprintf(err, errlen, "--capath %.200s: %s", o->capath, strerror(errno));
		return -1;
	}
	return doctor_parse_url(o->directory, &u, err, errlen);
}

/* ---- dns ---- */

/* One getaddrinfo in a thread of its own, so the caller can stop waiting
 * after the resolver timeout.  Whoever comes last (the thread finishing, or
 * the caller giving up) frees it; the decision is made under mu. */
struct s_gai {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done, abandoned;
	char host[LIMIT_DOMAIN_LEN + 1];
	char port[S_PORT_LEN];
	struct addrinfo *res;
	int rc, err;
};

static void s_gai_free(struct s_gai *g)
{
	if (g->res != NULL)
		freeaddrinfo(g->res);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

static void s_gai_call(struct s_gai *g, struct addrinfo **res, int *rc, int *err)
{
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	*res = NULL;
	errno = 0;
	*rc = getaddrinfo(g->host, g->port, &hints, res);
	*err = errno;
}

static void *s_gai_main(void *arg)
{
	struct s_gai *g = arg;
	struct addrinfo *res;
	int rc, err;
	bool abandoned;

	s_gai_call(g, &res, &rc, &err);
	pthread_mutex_lock(&g->mu);
	g->res = res;
	g->rc = rc;
	g->err = err;
	g->done = true;
	abandoned = g->abandoned;
	if (!abandoned)
		pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (abandoned)
		s_gai_free(g);
	return NULL;
}

/* The nameservers of resolv.conf, for the dns detail. */
static void s_read_resolvers(struct doctor_dns_ev *ev)
{
	FILE *f = fopen(DOCTOR_RESOLV_CONF, "r");
	char line[LIMIT_URL_LEN];
	size_t total = 0;

	if (f == NULL)
		return;
	while (ev->n_resolvers < DOCTOR_MAX_RESOLVERS && total < DOCTOR_RESOLV_CONF_MAX &&
	       fgets(line, sizeof(line), f) != NULL) {
		char addr[LIMIT_ADDR_LEN];

		total += strlen(line);
		_Static_assert(LIMIT_ADDR_LEN == 46, "the %45s below");
		if (sscanf(line, " nameserver %45s", addr) == 1)
			s_esc(ev->resolvers[ev->n_resolvers++], LIMIT_ADDR_LEN, addr);
	}
	fclose(f);
}

/* Resolve u's host into r->addrs (at most DOCTOR_MAX_ADDRS per family) within
 * timeout_ms. */
static void s_resolve(const struct doctor_url *u, long timeout_ms, struct doctor_report *r)
{
	struct s_gai *g = calloc(1, sizeof(*g));
	struct addrinfo *res = NULL;
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t thr;
	struct timespec until;
	int64_t start = s_mono_ms();
	size_t n4 = 0, n6 = 0;
	bool threaded = false;

	s_read_resolvers(&r->dns);
	if (g == NULL) {
		r->dns.gai_rc = EAI_MEMORY;
		return;
	}
	snprintf(g->host, sizeof(g->host), "%s", u->host);
	snprintf(g->port, sizeof(g->port), "%u", (unsigned)u->port);
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	threaded = pthread_create(&thr, &ta, s_gai_main, g) == 0;
	pthread_attr_destroy(&ta);
	if (!threaded) {
		/* no thread: ask directly, without the timeout */
		s_gai_call(g, &g->res, &g->rc, &g->err);
		g->done = true;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / S_MS_PER_S;
	until.tv_nsec += (timeout_ms % S_MS_PER_S) * S_NS_PER_MS;
	if (until.tv_nsec >= S_MS_PER_S * S_NS_PER_MS) {
		until.tv_sec++;
		until.tv_nsec -= S_MS_PER_S * S_NS_PER_MS;
	}
	pthread_mutex_lock(&g->mu);
	while (!g->done) {
		if (pthread_cond_timedwait(&g->cv, &g->mu, &until) == ETIMEDOUT && !g->done)
			break;
	}
	r->dns.ms = (long)(s_mono_ms() - start);
	if (!g->done) {
		g->abandoned = true; /* the thread frees g when getaddrinfo returns */
		pthread_mutex_unlock(&g->mu);
		r->dns.timed_out = true;
		return;
	}
	pthread_mutex_unlock(&g->mu);
	r->dns.gai_rc = g->rc;
	r->dns.sys_errno = g->err;
	res = g->res;
	for (struct addrinfo *ai = res; ai != NULL && r->n_addrs < 2 * DOCTOR_MAX_ADDRS;
	     ai = ai->ai_next) {
		struct doctor_addr *a = &r->addrs[r->n_addrs];
		bool dup = false;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if ((ai->ai_family == AF_INET ? n4 : n6) >= DOCTOR_MAX_ADDRS)
			continue;
		if (ai->ai_addrlen > sizeof(a->sa))
			continue;
		for (size_t i = 0; i < r->n_addrs; i++)
			dup |= r->addrs[i].salen == ai->ai_addrlen &&
			       memcmp(&r->addrs[i].sa, ai->ai_addr, ai->ai_addrlen) == 0;
		if (dup)
			continue;
		memset(a, 0, sizeof(*a));
		a->family = ai->ai_family;
		memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
		a->salen = ai->ai_addrlen;
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a->text, sizeof(a->text), NULL, 0,
		                NI_NUMERICHOST) != 0)
			snprintf(a->text, sizeof(a->text), "?");
		if (ai->ai_family == AF_INET)
			n4++;
		else
			n6++;
		r->n_addrs++;
	}
	s_gai_free(g);
}

void doctor_judge_dns(const struct doctor_dns_ev *ev, const char *host, bool ip_literal,
                      const struct doctor_addr *addrs, size_t n, struct doctor_check *c)
{
	char detail[DOCTOR_TEXT_LEN] = "", cause[DOCTOR_TEXT_LEN] = "", fix[DOCTOR_TEXT_LEN];
	char res[DOCTOR_ERR_LEN] = "", h[LIMIT_DOMAIN_LEN * 4 + 1];
	const char *what;

	s_esc(h, sizeof(h), host);
	if (ip_literal && n > 0) {
		s_fmt(detail, sizeof(detail), "%s is an IP literal: nothing to resolve", h);
		s_set(c, DOCTOR_OK, detail, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < ev->n_resolvers; i++)
		text_appendf(res, sizeof(res), "%s%s", i > 0 ? ", " : "", ev->resolvers[i]);
	if (res[0] == '\0')
		snprintf(res, sizeof(res), "none listed");
	if (!ev->timed_out && ev->gai_rc == 0 && n > 0) {
		bool any4 = false, any6 = false;

		for (size_t i = 0; i < n; i++) {
			any4 |= addrs[i].family == AF_INET;
			any6 |= addrs[i].family == AF_INET6;
		}
		s_fmt(detail, sizeof(detail), "%s:", h);
		for (int fam = 0; fam < 2; fam++) {
			int want = fam == 0 ? AF_INET : AF_INET6;
			bool first = true;

			if (!(fam == 0 ? any4 : any6))
				continue;
			text_appendf(detail, sizeof(detail), " %s", fam == 0 ? "A" : "AAAA");
			for (size_t i = 0; i < n; i++) {
				if (addrs[i].family != want)
					continue;
				text_appendf(detail, sizeof(detail), "%s%s", first ? " " : ", ",
				             addrs[i].text);
				first = false;
			}
			if (fam == 0 && any6)
				text_appendf(detail, sizeof(detail), ";");
		}
		if (!any6)
			text_appendf(detail, sizeof(detail), "; no AAAA");
		text_appendf(detail, sizeof(detail), " (%ld ms)", ev->ms);
		s_set(c, DOCTOR_OK, detail, NULL, NULL);
		return;
	}
	if (ev->timed_out)
		what = "no answer within the resolver timeout";
	else if (ev->gai_rc == 0)
		what = "no IPv4 or IPv6 address";
	else if (ev->gai_rc == EAI_NONAME)
		what = "the name does not exist (NXDOMAIN) or has no address";
#ifdef EAI_NODATA
	else if (ev->gai_rc == EAI_NODATA)
		what = "the name has no A or AAAA record";
#endif
	else if (ev->gai_rc == EAI_AGAIN)
		what = "temporary failure: the resolver answered SERVFAIL or not at all";
	else if (ev->gai_rc == EAI_FAIL)
		what = "the resolver failed for good (SERVFAIL or REFUSED)";
	else if (ev->gai_rc == EAI_SYSTEM)
		what = strerror(ev->sys_errno);
	else
		what = gai_strerror(ev->gai_rc);
	s_fmt(detail, sizeof(detail), "%s: %s (%ld ms; resolvers in %s: %s)", h, what, ev->ms,
	      DOCTOR_RESOLV_CONF, res);
	if (ev->gai_rc == EAI_NONAME
#ifdef EAI_NODATA
	    || ev->gai_rc == EAI_NODATA
#endif
	)
		s_fmt(cause, sizeof(cause),
		      "the resolver in %s (%s) says %s does not exist: a typo in the directory "
		      "URL, or a DNS filter or split-horizon resolver that cannot resolve the "
		      "ACME host",
		      DOCTOR_RESOLV_CONF, res, h);
	else
		s_fmt(cause, sizeof(cause),
		      "the resolver in %s (%s) cannot resolve the ACME host: it is unreachable, "
		      "too slow, or failing (SERVFAIL), so the ACME client cannot even find the "
		      "CA",
		      DOCTOR_RESOLV_CONF, res);
	s_fmt(fix, sizeof(fix),
	      "check the directory URL; try `getent ahosts %s` and `dig %s`; check %s (or "
	      "`resolvectl status` with systemd-resolved) and any DNS filtering on this "
	      "network; use a working resolver",
	      h, h, DOCTOR_RESOLV_CONF);
	s_set(c, DOCTOR_FAIL, detail, cause, fix);
}

/* ---- tcp ---- */

static enum doctor_conn s_conn_of(int e)
{
	switch (e) {
	case 0:
		return DOCTOR_CONN_OK;
	case ECONNREFUSED:
		return DOCTOR_CONN_REFUSED;
	case ETIMEDOUT:
		return DOCTOR_CONN_TIMEOUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
	case EAFNOSUPPORT:
		return DOCTOR_CONN_UNREACHABLE;
	default:
		return DOCTOR_CONN_ERROR;
	}
}

static const char *s_conn_name(enum doctor_conn c)
{
	switch (c) {
	case DOCTOR_CONN_NOT_TRIED:
		return "not-tried";
	case DOCTOR_CONN_OK:
		return "connected";
	case DOCTOR_CONN_REFUSED:
		return "refused";
	case DOCTOR_CONN_TIMEOUT:
		return "timeout";
	case DOCTOR_CONN_UNREACHABLE:
		return "unreachable";
	case DOCTOR_CONN_ERROR:
		return "error";
	}
	return "?";
}

/* Start a non-blocking connect to a.  The socket, or -1 with *e set (0 and
 * *done when it connected at once). */
static int s_connect_start(const struct doctor_addr *a, int *e, bool *done)
{
	int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	*done = false;
	if (fd < 0) {
		*e = errno;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&a->sa, a->salen) == 0) {
		*e = 0;
		*done = true;
		return fd;
	}
	if (errno != EINPROGRESS) {
		*e = errno;
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect to every address at once, each within timeout_ms. */
static void s_tcp_all(struct doctor_addr *addrs, size_t n, long timeout_ms)
{
	struct pollfd pf[2 * DOCTOR_MAX_ADDRS];
	int64_t start = s_mono_ms(), deadline = start + timeout_ms;
	size_t pending = 0;

	for (size_t i = 0; i < n; i++) {
		int e = 0;
		bool done;
		int fd = s_connect_start(&addrs[i], &e, &done);

		pf[i].fd = -1;
		pf[i].events = POLLOUT;
		pf[i].revents = 0;
		if (fd >= 0 && !done) {
			pf[i].fd = fd;
			pending++;
			continue;
		}
		if (fd >= 0)
			close(fd);
		addrs[i].conn = s_conn_of(e);
		addrs[i].err = e;
		addrs[i].ms = (long)(s_mono_ms() - start);
	}
	while (pending > 0) {
		long left = s_left(deadline, timeout_ms);
		int k;

		if (left <= 0)
			break;
		k = poll(pf, (nfds_t)n, (int)left);
		if (k < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n && k > 0; i++) {
			int e = 0;
			socklen_t sl = sizeof(e);

			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			if (getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
				e = errno;
			addrs[i].conn = s_conn_of(e);
			addrs[i].err = e;
			addrs[i].ms = (long)(s_mono_ms() - start);
			close(pf[i].fd);
			pf[i].fd = -1;
			pending--;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (pf[i].fd < 0)
			continue;
		close(pf[i].fd);
		addrs[i].conn = DOCTOR_CONN_TIMEOUT;
		addrs[i].err = ETIMEDOUT;
		addrs[i].ms = (long)(s_mono_ms() - start);
	}
}

void doctor_judge_tcp(const struct doctor_addr *addrs, size_t n, uint16_t port, bool proxy,
                      struct doctor_check *c)
{
	char detail[DOCTOR_TEXT_LEN] = "", cause[DOCTOR_TEXT_LEN] = "", fix[DOCTOR_TEXT_LEN] = "";
	size_t ok4 = 0, ok6 = 0, n4 = 0, n6 = 0, refused = 0, timeout = 0, unreach = 0, bad6 = 0,
	       bad4 = 0;
	const char *proxy_note = proxy ? " (https_proxy is set: the ACME client may go through "
	                                 "the proxy, this check does not)"
	                               : "; if this network only allows outgoing HTTPS through "
	                                 "a proxy, set https_proxy for the ACME client";

	if (n == 0) {
		s_set(c, DOCTOR_SKIPPED, "no address to connect to (see dns)", NULL, NULL);
		return;
	}
	s_fmt(detail, sizeof(detail), "port %u:", (unsigned)port);
	for (size_t i = 0; i < n; i++) {
		const struct doctor_addr *a = &addrs[i];
		bool v6 = a->family == AF_INET6;

		n6 += v6;
		n4 += !v6;
		ok6 += v6 && a->conn == DOCTOR_CONN_OK;
		ok4 += !v6 && a->conn == DOCTOR_CONN_OK;
		refused += a->conn == DOCTOR_CONN_REFUSED;
		timeout += a->conn == DOCTOR_CONN_TIMEOUT;
		unreach += a->conn == DOCTOR_CONN_UNREACHABLE;
		if (a->conn != DOCTOR_CONN_OK) {
			if (v6 && a->conn != DOCTOR_CONN_UNREACHABLE)
				bad6++;
			if (!v6)
				bad4++;
		}
		text_appendf(detail, sizeof(detail), "%s %s %s", i > 0 ? "," : "", a->text,
		             s_conn_name(a->conn));
		if (a->conn == DOCTOR_CONN_OK || a->conn == DOCTOR_CONN_TIMEOUT)
			text_appendf(detail, sizeof(detail), " (%ld ms)", a->ms);
		else if (a->conn == DOCTOR_CONN_ERROR || a->conn == DOCTOR_CONN_UNREACHABLE)
			text_appendf(detail, sizeof(detail), " (%s)", strerror(a->err));
	}
	if (ok4 + ok6 == 0) {
		if (timeout > 0)
			s_fmt(cause, sizeof(cause),
			      "connections to port %u time out: a firewall drops them (egress "
			      "filtering on this machine or its network, a cloud security group) "
			      "or there is a routing problem between here and the CA",
			      (unsigned)port);
		else if (refused == n)
			s_fmt(cause, sizeof(cause),
			      "every address refuses port %u: nothing listens there (a wrong port "
			      "or host in the URL), or a firewall or proxy rejects the connection",
			      (unsigned)port);
		else
			s_fmt(cause, sizeof(cause),
			      "this machine has no route to the CA's addresses (no default route, "
			      "or the address family is not configured): a routing problem");
		s_fmt(fix, sizeof(fix),
		      "check the route (`ip route get ADDRESS`), the firewall's output rules "
		      "(`nft list ruleset`, `iptables -S OUTPUT`) and the network's egress "
		      "policy; try `curl -v URL` from this machine%s",
		      proxy_note);
		s_set(c, DOCTOR_FAIL, detail, cause, fix);
		return;
	}
	if (n6 > 0 && ok6 == 0 && bad6 > 0) {
		s_fmt(cause, sizeof(cause),
		      "IPv6 fails while IPv4 works: clients try IPv6 first (RFC 6724) and wait "
		      "for it to fail before falling back to IPv4, or give up");
		s_fmt(fix, sizeof(fix),
		      "repair IPv6 routing or the IPv6 firewall, or disable IPv6 on this machine, "
		      "or prefer IPv4 with `precedence ::ffff:0:0/96 100` in /etc/gai.conf");
		s_set(c, DOCTOR_WARN, detail, cause, fix);
		return;
	}
	if (n4 > 0 && ok4 == 0) {
		s_fmt(cause, sizeof(cause),
		      "IPv4 fails while IPv6 works: a client or network without IPv6 cannot "
		      "reach the CA");
		s_fmt(fix, sizeof(fix), "repair IPv4 routing or the IPv4 firewall rules");
		s_set(c, DOCTOR_WARN, detail, cause, fix);
		return;
	}
	if (bad4 + bad6 > 0) {
		s_fmt(cause, sizeof(cause),
		      "some of the CA's addresses cannot be reached: clients that pick one of "
		      "them fail or wait");
		s_fmt(fix, sizeof(fix),
		      "check the route and firewall towards the failing addresses%s", proxy_note);
		s_set(c, DOCTOR_WARN, detail, cause, fix);
		return;
	}
	if (unreach > 0)
		text_appendf(detail, sizeof(detail),
		             "; IPv6 has no route here, clients skip it at once");
	s_set(c, DOCTOR_OK, detail, NULL, NULL);
}

/* ---- tls and chain ---- */

/* A TLS client context: protocol versions min..max (0: no bound), the trust
 * store loaded when store is not NULL, never failing the handshake on
 * verification (the chain is judged from the result).  legacy: security
 * level 0, for the TLS <= 1.1 probe. */
static SSL_CTX *s_client_ctx(int min, int max, bool legacy, const struct doctor_store *store)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (legacy) {
		SSL_CTX_set_security_level(ctx, 0);
		(void)SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	}
	if (SSL_CTX_set_min_proto_version(ctx, min) != 1 ||
	    (max != 0 && SSL_CTX_set_max_proto_version(ctx, max) != 1))
		goto bad;
	if (store != NULL) {
		int ok;

		if (store->given)
			ok = SSL_CTX_load_verify_locations(ctx, store->file[0] ? store->file : NULL,
			                                   store->dir[0] ? store->dir : NULL);
		else
			ok = SSL_CTX_set_default_verify_paths(ctx);
		(void)ok; /* an unreadable store shows as a failed verification */
	}
	ERR_clear_error();
	return ctx;
bad:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

/* name of x (subject or issuer) as one RFC 2253 line, escaped. */
static void s_name(const X509_NAME *name, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	char raw[DOCTOR_NAME_LEN];

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(b, &p);
		if (n > 0 && p != NULL) {
			size_t k = (size_t)n < sizeof(raw) - 1 ? (size_t)n : sizeof(raw) - 1;
			memcpy(raw, p, k);
			raw[k] = '\0';
			s_esc(out, len, raw);
		}
	}
	BIO_free(b);
}

/* An ASN1_TIME as "2021-09-30T14:01:15Z" ("?" if unreadable). */
static void s_asn1_time(const ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "?");
}

/* Capture the chain evidence of a finished handshake. */
static void s_capture_chain(SSL *ssl, struct doctor_tls_ev *ev)
{
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	STACK_OF(X509) *sent = SSL_get_peer_cert_chain(ssl);
	STACK_OF(X509) *verified = SSL_get0_verified_chain(ssl);

	ev->have_chain = true;
	ev->verify_code = SSL_get_verify_result(ssl);
	snprintf(ev->verify_error, sizeof(ev->verify_error), "%s",
	         X509_verify_cert_error_string(ev->verify_code));
	ev->chain_len = sent != NULL ? sk_X509_num(sent) : 0;
	if (leaf != NULL) {
		s_name(X509_get_subject_name(leaf), ev->leaf_subject, sizeof(ev->leaf_subject));
		s_name(X509_get_issuer_name(leaf), ev->leaf_issuer, sizeof(ev->leaf_issuer));
		s_asn1_time(X509_get0_notBefore(leaf), ev->leaf_not_before,
		            sizeof(ev->leaf_not_before));
		s_asn1_time(X509_get0_notAfter(leaf), ev->leaf_not_after,
		            sizeof(ev->leaf_not_after));
	}
	if (ev->verify_code == X509_V_OK && verified != NULL && sk_X509_num(verified) > 0)
		s_name(X509_get_subject_name(sk_X509_value(verified, sk_X509_num(verified) - 1)),
		       ev->root_subject, sizeof(ev->root_subject));
}

/* How one handshake ended. */
struct s_hs {
	bool ok, timed_out, proto_refused, not_tls;
	char version[DOCTOR_TLS_NAME_LEN], cipher[DOCTOR_TLS_NAME_LEN];
	char error[DOCTOR_ERR_LEN];
};

/* Wait until fd is ready for ev, or the deadline.  1 ready, 0 timeout, -1. */
static int s_wait(int fd, short ev, int64_t deadline)
{
	struct pollfd pf = {.fd = fd, .events = ev};

	for (;;) {
		long left = s_left(deadline, DOCTOR_MAX_TIMEOUT_MS);
		int k;

		if (left <= 0)
			return 0;
		k = poll(&pf, 1, (int)left);
		if (k > 0)
			return 1;
		if (k == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* Note OpenSSL's reason for a failed handshake in hs. */
static void s_hs_error(SSL *ssl, int r, struct s_hs *hs)
{
	int e = SSL_get_error(ssl, r);
	unsigned long code = ERR_peek_last_error();

	if (code != 0) {
		int reason = ERR_GET_REASON(code);
		const char *rs = ERR_reason_error_string(code);

		if (rs != NULL)
			snprintf(hs->error, sizeof(hs->error), "%s", rs);
		else
			ERR_error_string_n(code, hs->error, sizeof(hs->error));
		hs->proto_refused = reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
		                    reason == SSL_R_UNSUPPORTED_PROTOCOL ||
		                    reason == SSL_R_NO_PROTOCOLS_AVAILABLE ||
		                    reason == SSL_R_VERSION_TOO_LOW;
		hs->not_tls = reason == SSL_R_WRONG_VERSION_NUMBER ||
		              reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
		              reason == SSL_R_RECORD_LENGTH_MISMATCH;
	} else if (e == SSL_ERROR_SYSCALL && errno != 0) {
		snprintf(hs->error, sizeof(hs->error), "%s", strerror(errno));
	} else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
		snprintf(hs->error, sizeof(hs->error),
		         "the server closed the connection during the handshake");
	} else {
		snprintf(hs->error, sizeof(hs->error), "handshake failed (SSL error %d)", e);
	}
	ERR_clear_error();
}

/*
 * One TLS handshake with a (host u->host, SNI unless an IP literal) using
 * ctx, within deadline.  chain: capture the chain evidence into it (may be
 * NULL).  The result in hs.
 */
static void s_handshake(SSL_CTX *ctx, const struct doctor_addr *a, const struct doctor_url *u,
                        int64_t deadline, struct doctor_tls_ev *chain, struct s_hs *hs)
{
	SSL *ssl = NULL;
	int e = 0, fd;
	bool done;

	memset(hs, 0, sizeof(*hs));
	fd = s_connect_start(a, &e, &done);
	if (fd >= 0 && !done) {
		int w = s_wait(fd, POLLOUT, deadline);
		socklen_t sl = sizeof(e);

		if (w == 0) {
			hs->timed_out = true;
			snprintf(hs->error, sizeof(hs->error), "connect timed out");
			goto out;
		}
		if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
			e = errno;
	}
	if (fd < 0 || e != 0) {
		snprintf(hs->error, sizeof(hs->error), "connect: %s", strerror(e));
		goto out;
	}
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		snprintf(hs->error, sizeof(hs->error), "out of memory");
		goto out;
	}
	if (u->ip_literal) {
		(void)X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), u->host);
	} else {
		(void)SSL_set_tlsext_host_name(ssl, u->host);
		X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl),
		                                X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		(void)X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), u->host, 0);
	}
	ERR_clear_error();
	for (;;) {
		int r = SSL_connect(ssl), w, se;

		if (r == 1)
			break;
		se = SSL_get_error(ssl, r);
		if (se != SSL_ERROR_WANT_READ && se != SSL_ERROR_WANT_WRITE) {
			s_hs_error(ssl, r, hs);
			goto out;
		}
		w = s_wait(fd, se == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
		if (w <= 0) {
			hs->timed_out = w == 0;
			snprintf(hs->error, sizeof(hs->error), "%s",
			         w == 0 ? "the handshake timed out" : strerror(errno));
			goto out;
		}
	}
	hs->ok = true;
	snprintf(hs->version, sizeof(hs->version), "%s", SSL_get_version(ssl));
	snprintf(hs->cipher, sizeof(hs->cipher), "%s",
	         SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
	if (chain != NULL)
		s_capture_chain(ssl, chain);
	(void)SSL_shutdown(ssl); /* one try, non-blocking: no need to wait for the peer */
out:
	ERR_clear_error();
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
}

/* This machine's OpenSSL: version, and what a default client context
 * allows after the system configuration (openssl.cnf) has been applied. */
static void s_local_openssl(struct doctor_tls_ev *ev)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	snprintf(ev->openssl, sizeof(ev->openssl), "%s", OpenSSL_version(OPENSSL_VERSION));
	ev->openssl_num = OpenSSL_version_num();
	if (ctx != NULL) {
		ev->seclevel = SSL_CTX_get_security_level(ctx);
		ev->min_proto = (int)SSL_CTX_get_min_proto_version(ctx);
		ev->max_proto = (int)SSL_CTX_get_max_proto_version(ctx);
		SSL_CTX_free(ctx);
	}
	ERR_clear_error();
}

/* "TLS 1.2" for a protocol version constant. */
static const char *s_proto_name(int v)
{
	switch (v) {
	case TLS1_VERSION:
		return "TLS 1.0";
	case TLS1_1_VERSION:
		return "TLS 1.1";
	case TLS1_2_VERSION:
		return "TLS 1.2";
	case TLS1_3_VERSION:
		return "TLS 1.3";
	default:
		return "?";
	}
}

/* The tls step against a (the first address that connected). */
static void s_tls_probe(const struct doctor_addr *a, const struct doctor_url *u,
                        const struct doctor_store *store, long timeout_ms, int64_t run_deadline,
                        struct doctor_tls_ev *ev)
{
	struct s_hs hs;
	SSL_CTX *ctx;

	ev->attempted = true;
	ev->tls13 = ev->tls12 = ev->legacy = -1;
	snprintf(ev->addr, sizeof(ev->addr), "%s", a->text);
	ctx = s_client_ctx(TLS1_2_VERSION, 0, false, store);
	if (ctx == NULL) {
		snprintf(ev->error, sizeof(ev->error),
		         "this OpenSSL cannot make a TLS 1.2 client context");
		return;
	}
	s_handshake(ctx, a, u, s_mono_ms() + s_left(run_deadline, timeout_ms), ev, &hs);
	SSL_CTX_free(ctx);
	ev->ok = hs.ok;
	ev->timed_out = hs.timed_out;
	ev->proto_refused = hs.proto_refused;
	ev->not_tls = hs.not_tls;
	snprintf(ev->version, sizeof(ev->version), "%s", hs.version);
	snprintf(ev->cipher, sizeof(ev->cipher), "%s", hs.cipher);
	snprintf(ev->error, sizeof(ev->error), "%s", hs.error);
	if (ev->ok) {
		static const int only[2] = {TLS1_3_VERSION, TLS1_2_VERSION};

		for (int i = 0; i < 2; i++) {
			ctx = s_client_ctx(only[i], only[i], false, NULL);
			if (ctx == NULL)
				continue; /* this OpenSSL lacks it: stays "not tried" */
			s_handshake(ctx, a, u, s_mono_ms() + s_left(run_deadline, timeout_ms), NULL,
			            &hs);
			SSL_CTX_free(ctx);
			if (i == 0)
				ev->tls13 = hs.ok ? 1 : 0;
			else
				ev->tls12 = hs.ok ? 1 : 0;
		}
		return;
	}
	if (ev->timed_out || ev->not_tls)
		return;
	/* Does the server speak only TLS 1.1 or older? */
	ctx = s_client_ctx(TLS1_VERSION, TLS1_1_VERSION, true, NULL);
	if (ctx == NULL)
		return;
	s_handshake(ctx, a, u, s_mono_ms() + s_left(run_deadline, timeout_ms), NULL, &hs);
	SSL_CTX_free(ctx);
	ev->legacy = hs.ok ? 1 : 0;
	snprintf(ev->legacy_version, sizeof(ev->legacy_version), "%s", hs.version);
}

void doctor_judge_tls(const struct doctor_tls_ev *ev, struct doctor_check *c)
{
	char detail[DOCTOR_TEXT_LEN], cause[DOCTOR_TEXT_LEN] = "", fix[DOCTOR_TEXT_LEN];
	char local[DOCTOR_ERR_LEN];
	const char *yn[3] = {"no", "yes", "not tried"};

	if (!ev->attempted) {
		s_set(c, DOCTOR_SKIPPED, "no TCP connection (see tcp)", NULL, NULL);
		return;
	}
	s_fmt(local, sizeof(local), "%s, security level %d", ev->openssl, ev->seclevel);
	if (ev->min_proto != 0)
		text_appendf(local, sizeof(local), ", %s minimum", s_proto_name(ev->min_proto));
	if (ev->max_proto != 0)
		text_appendf(local, sizeof(local), ", %s maximum", s_proto_name(ev->max_proto));
	if (ev->ok) {
		s_fmt(detail, sizeof(detail),
		      "%s, %s with %s; the server accepts TLS 1.3 alone: %s, TLS 1.2 alone: %s",
		      ev->version, ev->cipher, ev->addr, yn[ev->tls13 < 0 ? 2 : ev->tls13],
		      yn[ev->tls12 < 0 ? 2 : ev->tls12]);
		s_set(c, DOCTOR_OK, detail, NULL, NULL);
		return;
	}
	s_fmt(detail, sizeof(detail), "handshake with %s failed: %s (this machine: %s)", ev->addr,
	      ev->error, local);
	if (ev->legacy == 1)
		text_appendf(detail, sizeof(detail), "; a %s handshake works", ev->legacy_version);
	if (ev->openssl_num < S_OPENSSL_TLS12)
		s_fmt(cause, sizeof(cause),
		      "this machine's OpenSSL (%s) is too old for TLS 1.2, which every ACME CA "
		      "requires",
		      ev->openssl);
	else if (ev->max_proto != 0 && ev->max_proto < TLS1_2_VERSION)
		s_fmt(cause, sizeof(cause),
		      "this machine's OpenSSL is restricted below TLS 1.2 by its configuration "
		      "(MaxProtocol in openssl.cnf)");
	else if (ev->not_tls)
		s_fmt(cause, sizeof(cause),
		      "the port does not speak TLS (the answer was not a TLS record, e.g. plain "
		      "HTTP): a wrong port in the URL, or a proxy, captive portal or middlebox "
		      "answers instead of the CA");
	else if (ev->timed_out)
		s_fmt(cause, sizeof(cause),
		      "the TCP connection works but the TLS handshake never completes: a "
		      "middlebox (deep packet inspection, a TLS-intercepting proxy) or an MTU "
		      "problem swallows it");
	else if (ev->legacy == 1)
		s_fmt(cause, sizeof(cause),
		      "the server only speaks %s, older than the TLS 1.2 an ACME CA offers: this "
		      "is not the CA, or an old TLS-intercepting proxy/middlebox answers for it",
		      ev->legacy_version);
	else if (ev->proto_refused)
		s_fmt(cause, sizeof(cause),
		      "no common TLS version: an old OpenSSL on this machine, or a "
		      "TLS-intercepting proxy/middlebox that does not speak TLS 1.2");
	else if (ev->seclevel >= 3)
		s_fmt(cause, sizeof(cause),
		      "this machine's OpenSSL runs at security level %d, which refuses the "
		      "2048-bit RSA keys and SHA-256 signatures CAs use; or an old OpenSSL or a "
		      "TLS-intercepting proxy/middlebox breaks the handshake",
		      ev->seclevel);
	else
		s_fmt(cause, sizeof(cause),
		      "the TLS handshake fails: an old OpenSSL or a restrictive OpenSSL "
		      "configuration on this machine, or a TLS-intercepting proxy/middlebox "
		      "between here and the CA");
	if (ev->not_tls)
		s_fmt(fix, sizeof(fix),
		      "check the port in the directory URL; see what answers with `curl -v URL` "
		      "and `openssl s_client -connect HOST:PORT -servername HOST`; bypass the "
		      "proxy "
		      "or captive portal");
	else
		s_fmt(fix, sizeof(fix),
		      "compare with `openssl s_client -connect HOST:PORT -servername HOST`; "
		      "upgrade OpenSSL and the ACME client (`apt-get install --only-upgrade "
		      "openssl "
		      "libssl3`), check MinProtocol/CipherString in /etc/ssl/openssl.cnf, and if a "
		      "proxy intercepts TLS, exempt the CA's host from inspection");
	s_set(c, DOCTOR_FAIL, detail, cause, fix);
}

/* "file F, directory D (source)" for the trust store. */
static void s_store_text(const struct doctor_store *s, char *out, size_t len)
{
	char f[PATH_MAX], d[PATH_MAX];

	out[0] = '\0';
	if (s->file[0] != '\0')
		text_appendf(out, len, "file %s", s_esc(f, sizeof(f), s->file));
	if (s->dir[0] != '\0')
		text_appendf(out, len, "%sdirectory %s", out[0] ? ", " : "",
		             s_esc(d, sizeof(d), s->dir));
	if (out[0] == '\0')
		text_appendf(out, len, "none");
	text_appendf(out, len, " (%s)", s->source != NULL ? s->source : "?");
}

static bool s_code_is_time(long code)
{
	return code == X509_V_ERR_CERT_HAS_EXPIRED || code == X509_V_ERR_CERT_NOT_YET_VALID ||
	       code == X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD ||
	       code == X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD;
}

void doctor_judge_chain(const struct doctor_tls_ev *ev, const struct doctor_store *store,
                        struct doctor_check *c)
{
	char detail[DOCTOR_TEXT_LEN], cause[DOCTOR_TEXT_LEN], fix[DOCTOR_TEXT_LEN];
	char st[2 * PATH_MAX];
	long code = ev->verify_code;

	if (!ev->have_chain) {
		s_set(c, DOCTOR_SKIPPED, "no TLS handshake (see tls)", NULL, NULL);
		return;
	}
	s_store_text(store, st, sizeof(st));
	if (code == X509_V_OK) {
		s_fmt(detail, sizeof(detail), "verified: %s, issued by %s, root %s; trust store %s",
		      ev->leaf_subject, ev->leaf_issuer, ev->root_subject, st);
		s_set(c, DOCTOR_OK, detail, NULL, NULL);
		return;
	}
	s_fmt(detail, sizeof(detail),
	      "does not verify: %s (%s, issued by %s, valid %s to %s; %d sent); trust store %s",
	      ev->verify_error, ev->leaf_subject, ev->leaf_issuer, ev->leaf_not_before,
	      ev->leaf_not_after, ev->chain_len, st);
	if (code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	    code == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
	    code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) {
		s_fmt(cause, sizeof(cause),
		      "the trust store lacks the root of the CA that issued this chain (%s), or a "
		      "TLS-intercepting proxy re-signs the connection with its own CA",
		      ev->leaf_issuer);
		s_fmt(fix, sizeof(fix),
		      "install/update ca-certificates (`apt-get install --reinstall "
		      "ca-certificates && update-ca-certificates`); for a private/test CA such as "
		      "Pebble pass --cacert ROOT.pem (and give the ACME client the same file)");
	} else if (code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) {
		s_fmt(cause, sizeof(cause),
		      "the server sent a self-signed certificate, not a CA's chain: a test server, "
		      "or a TLS-intercepting proxy");
		s_fmt(fix, sizeof(fix),
		      "check the directory URL; if this is a test CA you trust, pass --cacert "
		      "with its certificate");
	} else if (s_code_is_time(code)) {
		s_fmt(cause, sizeof(cause),
		      "a certificate of the chain is expired or not yet valid by this machine's "
		      "clock: either the clock is wrong (see clock) or the server sends an old "
		      "certificate");
		s_fmt(fix, sizeof(fix),
		      "check the clock (`timedatectl`) and enable NTP (`timedatectl set-ntp "
		      "true`, chrony or systemd-timesyncd)");
	} else if (code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		s_fmt(cause, sizeof(cause),
		      "the certificate does not name the directory's host: a wrong host in the "
		      "URL, or a proxy or middlebox answers in the CA's place");
		s_fmt(fix, sizeof(fix),
		      "check the directory URL; bypass or reconfigure the intercepting proxy");
	} else {
		s_fmt(cause, sizeof(cause),
		      "the chain does not verify against the trust store (%s)", ev->verify_error);
		s_fmt(fix, sizeof(fix),
		      "update ca-certificates; for a private/test CA pass --cacert ROOT.pem");
	}
	s_set(c, DOCTOR_FAIL, detail, cause, fix);
}

/* ---- trust store ---- */

void doctor_store_select(const struct doctor_opts *o, struct doctor_store *s)
{
	const char *ef, *ed;

	memset(s, 0, sizeof(*s));
	if (o->cacert != NULL) {
		snprintf(s->file, sizeof(s->file), "%s", o->cacert);
		s->source = "--cacert";
		s->given = true;
		return;
	}
	if (o->capath != NULL) {
		snprintf(s->dir, sizeof(s->dir), "%s", o->capath);
		s->source = "--capath";
		s->given = true;
		return;
	}
	ef = getenv(X509_get_default_cert_file_env());
	ed = getenv(X509_get_default_cert_dir_env());
	snprintf(s->file, sizeof(s->file), "%s", ef != NULL ? ef : X509_get_default_cert_file());
	snprintf(s->dir, sizeof(s->dir), "%s", ed != NULL ? ed : X509_get_default_cert_dir());
	if (ef != NULL && ed != NULL)
		s->source = "SSL_CERT_FILE and SSL_CERT_DIR";
	else if (ef != NULL)
		s->source = "SSL_CERT_FILE, OpenSSL's default directory";
	else if (ed != NULL)
		s->source = "OpenSSL's default file, SSL_CERT_DIR";
	else
		s->source = "OpenSSL's default";
}

/* The CN of name (else its RFC 2253 text), escaped. */
static void s_cn(const X509_NAME *name, char *out, size_t len)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;

	if (i >= 0) {
		const ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
		int n = ASN1_STRING_to_UTF8(&utf8, d);

		if (n > 0) {
			log_escape(out, len, (const char *)utf8, (size_t)n);
			OPENSSL_free(utf8);
			return;
		}
	}
	s_name(name, out, len);
}

/* Look at one certificate of the store. */
static void s_scan_cert(X509 *x, const char *path, time_t now, struct doctor_roots_ev *ev)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned int mdlen = 0;
	struct doctor_root *root;

	ev->scanned++;
	if (!(X509_get_extension_flags(x) & EXFLAG_SS) || X509_check_ca(x) < 1)
		return;
	if (X509_cmp_time(X509_get0_notAfter(x), &now) >= 0)
		return; /* still valid (or unreadable: not for us to judge) */
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != sizeof(md))
		return;
	for (size_t i = 0; i < ev->n_expired && i < DOCTOR_MAX_EXPIRED_ROOTS; i++)
		if (memcmp(ev->expired[i].sha256, md, sizeof(md)) == 0)
			return;
	if (ev->n_expired++ >= DOCTOR_MAX_EXPIRED_ROOTS)
		return;
	root = &ev->expired[ev->n_expired - 1];
	memcpy(root->sha256, md, sizeof(md));
	s_cn(X509_get_subject_name(x), root->subject, sizeof(root->subject));
	s_asn1_time(X509_get0_notAfter(x), root->not_after, sizeof(root->not_after));
	s_esc(root->where, sizeof(root->where), path);
}

/* Read every certificate of the PEM file path (bounded). */
static void s_scan_file(const char *path, time_t now, struct doctor_roots_ev *ev)
{
	struct stat st;
	BIO *b;
	X509 *x;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (ev->error[0] == '\0')
			snprintf(ev->error, sizeof(ev->error), "%.200s: %s", path,
			         errno != 0 ? strerror(errno) : "not a file");
		return;
	}
	if ((unsigned long long)st.st_size > DOCTOR_MAX_STORE_FILE_BYTES) {
		ev->truncated = true;
		return;
	}
	b = BIO_new_file(path, "r");
	if (b == NULL) {
		if (ev->error[0] == '\0')
			snprintf(ev->error, sizeof(ev->error), "%.200s: cannot read", path);
		ERR_clear_error();
		return;
	}
	ev->files++;
	while ((x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL)) != NULL) {
		s_scan_cert(x, path, now, ev);
		X509_free(x);
		if (ev->scanned >= DOCTOR_MAX_STORE_CERTS) {
			ev->truncated = true;
			break;
		}
	}
	ERR_clear_error(); /* the end of the file reads as "no start line" */
	BIO_free(b);
}

/* Is name what OpenSSL's CApath lookup reads: 8 hex digits, '.', digits? */
static bool s_hash_name(const char *name)
{
	size_t i;

	for (i = 0; i < S_HASH_DIGITS; i++)
		if (!isxdigit((unsigned char)name[i]))
			return false;
	if (name[i++] != '.' || !isdigit((unsigned char)name[i]))
		return false;
	for (; name[i] != '\0'; i++)
		if (!isdigit((unsigned char)name[i]))
			return false;
	return true;
}

static void s_scan_dir(const char *dir, time_t now, struct doctor_roots_ev *ev)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t seen = 0;
	char path[PATH_MAX];

	if (d == NULL)
		return; /* a default directory that does not exist is normal */
	while ((de = readdir(d)) != NULL) {
		if (++seen > DOCTOR_MAX_STORE_DIR_ENTRIES ||
		    ev->scanned >= DOCTOR_MAX_STORE_CERTS) {
			ev->truncated = true;
			break;
		}
		if (!s_hash_name(de->d_name))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		s_scan_file(path, now, ev);
	}
	closedir(d);
}

void doctor_scan_store(const struct doctor_store *store, int64_t now, struct doctor_roots_ev *ev)
{
	time_t t = (time_t)now;
	char dirs[PATH_MAX];
	char *p, *next;
	size_t k = 0;

	memset(ev, 0, sizeof(*ev));
	if (store->file[0] != '\0') {
		if (store->given || access(store->file, F_OK) == 0)
			s_scan_file(store->file, t, ev);
	}
	snprintf(dirs, sizeof(dirs), "%s", store->dir);
	for (p = dirs; p != NULL && *p != '\0' && k < DOCTOR_MAX_STORE_DIRS; p = next, k++) {
		next = strchr(p, ':');
		if (next != NULL)
			*next++ = '\0';
		if (*p != '\0')
			s_scan_dir(p, t, ev);
	}
}

void doctor_judge_roots(const struct doctor_roots_ev *ev, const struct doctor_store *store,
                        struct doctor_check *c)
{
	char detail[DOCTOR_TEXT_LEN], cause[DOCTOR_TEXT_LEN], fix[DOCTOR_TEXT_LEN];
	char st[2 * PATH_MAX];
	size_t named =
	        ev->n_expired < DOCTOR_MAX_EXPIRED_ROOTS ? ev->n_expired : DOCTOR_MAX_EXPIRED_ROOTS;

	s_store_text(store, st, sizeof(st));
	if (ev->scanned == 0) {
		s_fmt(detail, sizeof(detail),
		      "no certificate could be read from the trust store %s%s%s", st,
		      ev->error[0] ? ": " : "", ev->error);
		s_set(c, DOCTOR_SKIPPED, detail, NULL, NULL);
		return;
	}
	if (ev->n_expired == 0) {
		s_fmt(detail, sizeof(detail),
		      "%zu certificate%s in %zu file%s read, no expired self-signed root%s; trust "
		      "store %s",
		      ev->scanned, ev->scanned == 1 ? "" : "s", ev->files,
		      ev->files == 1 ? "" : "s", ev->truncated ? " (stopped at a size limit)" : "",
		      st);
		s_set(c, DOCTOR_OK, detail, NULL, NULL);
		return;
	}
	s_fmt(detail, sizeof(detail), "%zu expired root%s still in the trust store:", ev->n_expired,
	      ev->n_expired == 1 ? "" : "s");
	for (size_t i = 0; i < named; i++)
		text_appendf(detail, sizeof(detail), "%s \"%s\" (expired %s, in %s)",
		             i > 0 ? "," : "", ev->expired[i].subject, ev->expired[i].not_after,
		             ev->expired[i].where);
	if (named < ev->n_expired)
		text_appendf(detail, sizeof(detail), " and %zu more", ev->n_expired - named);
	text_appendf(detail, sizeof(detail), "; %zu certificate%s read", ev->scanned,
	             ev->scanned == 1 ? "" : "s");
	s_fmt(cause, sizeof(cause),
	      "OpenSSL 1.1.0 and later ignore an expired root when another path is valid, but "
	      "OpenSSL 1.0.x and some other TLS stacks may build the chain to the expired root "
	      "and fail with \"certificate has expired\", as happened when DST Root CA X3 "
	      "expired on 2021-09-30 (this machine: %s)",
	      OpenSSL_version(OPENSSL_VERSION));
	s_fmt(fix, sizeof(fix),
	      "remove it from the store: update ca-certificates (`apt-get install "
	      "--only-upgrade ca-certificates`), or deselect it with `dpkg-reconfigure "
	      "ca-certificates` (or prefix it with '!' in /etc/ca-certificates.conf and run "
	      "`update-ca-certificates --fresh`), or delete it from the --cacert bundle; and "
	      "use OpenSSL 1.1.0 or later");
	s_set(c, DOCTOR_WARN, detail, cause, fix);
}

/* ---- the directory GET ---- */

/* Copy a header's value (after the colon, trimmed) into out, escaped. */
static void s_header_value(const char *p, size_t n, char *out, size_t len)
{
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	log_escape(out, len, p, n);
}

/* CURLOPT_HEADERFUNCTION: Date and Content-Type into the doctor_http_ev. */
static size_t s_on_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct doctor_http_ev *ev = arg;
	size_t n = size * nitems;
	static const char date[] = "date:", ctype[] = "content-type:";

	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* a new response (after a redirect): forget the previous one's */
		ev->content_type[0] = '\0';
		ev->date[0] = '\0';
		ev->have_date = false;
	} else if (n > sizeof(date) - 1 && strncasecmp(buf, date, sizeof(date) - 1) == 0) {
		char raw[DOCTOR_MAX_HEADER_LEN];
		time_t t;

		s_header_value(buf + sizeof(date) - 1, n - (sizeof(date) - 1), ev->date,
		               sizeof(ev->date));
		snprintf(raw, sizeof(raw), "%s", ev->date);
		t = curl_getdate(raw, NULL);
		if (t != -1) {
			ev->have_date = true;
			ev->server_date = (int64_t)t;
			ev->local_at_date = (int64_t)time(NULL);
		}
	} else if (n > sizeof(ctype) - 1 && strncasecmp(buf, ctype, sizeof(ctype) - 1) == 0) {
		s_header_value(buf + sizeof(ctype) - 1, n - (sizeof(ctype) - 1), ev->content_type,
		               sizeof(ev->content_type));
	}
	return n;
}

/* GET url into ev (zeroed: it takes the body) with libcurl: verify the peer
 * against store unless !verify; bounded by timeout_ms, DOCTOR_MAX_REDIRECTS,
 * the body size. */
static void s_get(const char *url, const struct doctor_store *store, bool verify, long timeout_ms,
                  struct doctor_http_ev *ev)
{
	CURL *h = curl_easy_init();
	struct httpbuf body = {.max = DOCTOR_MAX_DIRECTORY_BYTES};
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	ev->attempted = true;
	if (h == NULL) {
		ev->curl_rc = CURLE_OUT_OF_MEMORY;
		snprintf(ev->curl_error, sizeof(ev->curl_error), "cannot initialise libcurl");
		return;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)DOCTOR_MAX_REDIRECTS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vantage/" VANTAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, ev);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpbuf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (verify) {
		bool file =
		        store->file[0] != '\0' && (store->given || access(store->file, R_OK) == 0);
		bool dir = store->dir[0] != '\0';

		curl_easy_setopt(h, CURLOPT_CAINFO, file ? store->file : NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, dir ? store->dir : NULL);
	} else {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	rc = curl_easy_perform(h);
	ev->curl_rc = (int)rc;
	ev->body = body.data; /* ev owns it now */
	ev->body_len = body.len;
	ev->too_big = body.overflow;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ev->status);
	if (rc != CURLE_OK) {
		char raw[DOCTOR_ERR_LEN];

		snprintf(raw, sizeof(raw), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		if (ev->too_big)
			snprintf(raw, sizeof(raw), "the answer is larger than %u bytes",
			         DOCTOR_MAX_DIRECTORY_BYTES);
		s_esc(ev->curl_error, sizeof(ev->curl_error), raw);
	}
	ev->verify_failed = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE;
	ev->connect_failed = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
	                     rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SSL_CONNECT_ERROR;
	curl_easy_cleanup(h);
}

void doctor_judge_clock(bool have, int64_t skew_s, long max_skew_s, bool unverified,
                        struct doctor_check *c, struct doctor_check *chain,
                        const struct doctor_tls_ev *tls)
{
	char detail[DOCTOR_TEXT_LEN], cause[DOCTOR_TEXT_LEN], fix[DOCTOR_TEXT_LEN],
	        d[DOCTOR_ERR_LEN];
	int64_t mag = skew_s < 0 ? -skew_s : skew_s;
	long warn = max_skew_s < DOCTOR_WARN_SKEW_S ? max_skew_s : DOCTOR_WARN_SKEW_S;
	enum doctor_status st;

	if (!have) {
		s_set(c, DOCTOR_SKIPPED, "no Date header from the server (see directory)", NULL,
		      NULL);
		return;
	}
	s_duration(mag, d, sizeof(d));
	if (mag == 0)
		s_fmt(detail, sizeof(detail), "the local clock agrees with the server's Date");
	else
		s_fmt(detail, sizeof(detail), "the local clock is %s %s the server's Date", d,
		      skew_s > 0 ? "ahead of" : "behind");
	text_appendf(detail, sizeof(detail), " (warn above %ld s, fail above %ld s)%s", warn,
	             max_skew_s, unverified ? "; Date read over an unverified connection" : "");
	st = mag <= warn ? DOCTOR_OK : mag <= max_skew_s ? DOCTOR_WARN : DOCTOR_FAIL;
	s_fmt(cause, sizeof(cause),
	      "this machine's clock is %s %s: certificates look not yet valid or expired, OCSP "
	      "answers and the CA's timestamps are judged wrongly, and some ACME clients refuse "
	      "to go on",
	      d, skew_s > 0 ? "fast" : "slow");
	s_fmt(fix, sizeof(fix),
	      "enable NTP: `timedatectl set-ntp true` (systemd-timesyncd) or install chrony; "
	      "check with `timedatectl` or `chronyc tracking`; in a container or VM, fix the "
	      "host's clock");
	if (st == DOCTOR_OK)
		s_set(c, st, detail, NULL, NULL);
	else
		s_set(c, st, detail, cause, fix);
	if (chain == NULL || tls == NULL || chain->status != DOCTOR_FAIL ||
	    !s_code_is_time(tls->verify_code))
		return;
	if (st != DOCTOR_OK) {
		s_fmt(chain->cause, sizeof(chain->cause),
		      "the clock is the likely cause: this machine's clock is %s %s, so the "
		      "certificate (valid %s to %s) looks %s",
		      d, skew_s > 0 ? "fast" : "slow", tls->leaf_not_before, tls->leaf_not_after,
		      tls->verify_code == X509_V_ERR_CERT_NOT_YET_VALID ? "not yet valid"
		                                                        : "expired");
		s_fmt(chain->fix, sizeof(chain->fix), "%s", fix);
	} else {
		s_fmt(chain->cause, sizeof(chain->cause),
		      "the clock agrees with the server's, so a certificate of the chain really is "
		      "%s: the server, or a proxy in front of it, sends an outdated certificate",
		      tls->verify_code == X509_V_ERR_CERT_NOT_YET_VALID ? "not yet valid"
		                                                        : "expired");
		s_fmt(chain->fix, sizeof(chain->fix),
		      "check the directory URL and any TLS-intercepting proxy; if the CA itself "
		      "serves it, check its status page");
	}
}

/* A directory member: a string starting with https://. */
static bool s_https_member(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && strncasecmp(v, S_HTTPS, sizeof(S_HTTPS) - 1) == 0;
}

void doctor_judge_directory(long status, const char *content_type, const char *body, size_t len,
                            struct doctor_check *c, json_t **endpoints)
{
	static const char *const required[] = {"newNonce", "newAccount", "newOrder"};
	static const char *const optional[] = {"revokeCert", "keyChange", "renewalInfo"};
	char detail[DOCTOR_TEXT_LEN], cause[DOCTOR_TEXT_LEN] = "", fix[DOCTOR_TEXT_LEN] = "";
	char ct[DOCTOR_MAX_HEADER_LEN], missing[DOCTOR_ERR_LEN] = "", esc[DOCTOR_ERR_LEN];
	json_t *doc = NULL, *ep = NULL, *meta;
	json_error_t jerr;
	bool json_ct;

	*endpoints = NULL;
	s_esc(ct, sizeof(ct), content_type != NULL && content_type[0] ? content_type : "none");
	json_ct = content_type != NULL &&
	          strncasecmp(content_type, S_JSON_TYPE, sizeof(S_JSON_TYPE) - 1) == 0 &&
	          /* the end of the string, or parameters ("; charset=utf-8") */
	          strchr("; \t", content_type[sizeof(S_JSON_TYPE) - 1]) != NULL;
	if (status != S_HTTP_OK) {
		s_fmt(detail, sizeof(detail), "HTTP %ld from the directory URL (Content-Type %s)",
		      status, ct);
		if (status == 404)
			s_fmt(cause, sizeof(cause), "the directory URL is wrong (nothing there)");
		else if (status == 407)
			s_fmt(cause, sizeof(cause), "a proxy demands authentication");
		else if (status == 403 || status == 451)
			s_fmt(cause, sizeof(cause),
			      "access is refused: a proxy, WAF or geo-block between here and the "
			      "CA, or the CA blocks this network");
		else if (status >= 500)
			s_fmt(cause, sizeof(cause),
			      "the CA answers with a server error: maintenance or an outage");
		else if (status >= 300 && status < 400)
			s_fmt(cause, sizeof(cause),
			      "more than %d redirects, or a redirect to "
			      "something other than https://",
			      DOCTOR_MAX_REDIRECTS);
		else
			s_fmt(cause, sizeof(cause), "the directory URL does not answer 200");
		s_fmt(fix, sizeof(fix),
		      "check the directory URL (Let's Encrypt's is %s; staging: "
		      "https://acme-staging-v02.api.letsencrypt.org/directory) and "
		      "https://letsencrypt.status.io/; try `curl -v URL`",
		      DOCTOR_DEFAULT_DIRECTORY);
		s_set(c, DOCTOR_FAIL, detail, cause, fix);
		return;
	}
	doc = json_loadb(body != NULL ? body : "", body != NULL ? len : 0, 0, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		if (doc == NULL)
			s_fmt(detail, sizeof(detail),
			      "HTTP 200, Content-Type %s, but not JSON: %s "
			      "(line %d)",
			      ct, s_esc(esc, sizeof(esc), jerr.text), jerr.line);
		else
			s_fmt(detail, sizeof(detail),
			      "HTTP 200, Content-Type %s, but the JSON is not an object", ct);
		s_fmt(cause, sizeof(cause),
		      "something other than the CA's ACME server answers: a captive portal, a "
		      "proxy's error page, or a URL that is not an ACME directory");
		s_fmt(fix, sizeof(fix),
		      "look at the answer with `curl -v URL`; check proxies and captive portals; "
		      "use the CA's directory URL (Let's Encrypt: %s)",
		      DOCTOR_DEFAULT_DIRECTORY);
		json_decref(doc);
		s_set(c, DOCTOR_FAIL, detail, cause, fix);
		return;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!s_https_member(doc, required[i]))
			text_appendf(missing, sizeof(missing), "%s%s", missing[0] ? ", " : "",
			             required[i]);
	if (missing[0] != '\0') {
		s_fmt(detail, sizeof(detail),
		      "HTTP 200 JSON, but not an ACME directory: missing or not an https URL: %s",
		      missing);
		s_fmt(cause, sizeof(cause),
		      "the URL answers JSON that lacks %s (RFC 8555 section 7.1.1): not the CA's "
		      "directory, or a proxy rewrote it",
		      missing);
		s_fmt(fix, sizeof(fix), "use the CA's directory URL (Let's Encrypt: %s)",
		      DOCTOR_DEFAULT_DIRECTORY);
		json_decref(doc);
		s_set(c, DOCTOR_FAIL, detail, cause, fix);
		return;
	}
	ep = json_object();
	s_fmt(detail, sizeof(detail), "HTTP 200, %s:", ct);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		json_object_set(ep, required[i], json_object_get(doc, required[i]));
		text_appendf(detail, sizeof(detail), "%s %s", i > 0 ? "," : "", required[i]);
	}
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		if (!json_is_string(json_object_get(doc, optional[i])))
			continue;
		json_object_set(ep, optional[i], json_object_get(doc, optional[i]));
		text_appendf(detail, sizeof(detail), ", %s", optional[i]);
	}
	meta = json_object_get(doc, "meta");
	if (json_is_object(meta)) {
		json_t *terms = json_object_get(meta, "termsOfService");
		json_t *web = json_object_get(meta, "website");
		json_t *caa = json_object_get(meta, "caaIdentities");
		json_t *m = json_object();

		if (json_is_string(terms)) {
			json_object_set(m, "termsOfService", terms);
			text_appendf(detail, sizeof(detail), "; termsOfService %s",
			             s_esc(esc, sizeof(esc), json_string_value(terms)));
		}
		if (json_is_string(web))
			json_object_set(m, "website", web);
		if (json_is_array(caa)) {
			size_t i;
			json_t *v;

			json_object_set(m, "caaIdentities", caa);
			text_appendf(detail, sizeof(detail), "; caaIdentities");
			json_array_foreach(caa, i, v)
			{
				if (json_is_string(v))
					text_appendf(detail, sizeof(detail), "%s %s",
					             i > 0 ? "," : "",
					             s_esc(esc, sizeof(esc), json_string_value(v)));
			}
		}
		if (json_is_boolean(json_object_get(meta, "externalAccountRequired")))
			json_object_set(m, "externalAccountRequired",
			                json_object_get(meta, "externalAccountRequired"));
		json_object_set_new(ep, "meta", m);
	}
	json_decref(doc);
	*endpoints = ep;
	if (!json_ct) {
		s_fmt(cause, sizeof(cause),
		      "the directory is served as %s, not application/json: a proxy may be "
		      "rewriting the answer, and strict ACME clients may refuse it",
		      ct);
		s_fmt(fix, sizeof(fix),
		      "compare with `curl -sI URL` from a network without the proxy; if this is "
		      "your own CA, serve the directory as application/json");
		s_set(c, DOCTOR_WARN, detail, cause, fix);
		return;
	}
	s_set(c, DOCTOR_OK, detail, NULL, NULL);
}

/* ---- vantages ---- */

json_t *doctor_vantage_body(const char *host)
{
	json_t *body = json_pack("{s:[s], s:[s], s:b, s:s, s:i}", "domains", host, "methods",
	                         "tls-cert", "caa", 0, "mode", "reachability", "budget_ms",
	                         (json_int_t)DOCTOR_VANTAGE_BUDGET_MS);

	return body;
}

/* The coordinator request, in a thread of its own while the local steps
 * run. */
struct s_vq {
	const struct doctor_opts *o;
	char *body;
	long timeout_ms;
	json_t *doc;
	int rc;
	char err[DOCTOR_ERR_LEN];
	pthread_t thr;
	bool started;
};

static void *s_vq_main(void *arg)
{
	struct s_vq *q = arg;

	q->rc = cli_call(q->o->coordinator, q->o->token_file, q->o->coordinator_cacert, NULL,
	                 "/v1/checks", q->body, q->timeout_ms, &q->doc, q->err, sizeof(q->err));
	return NULL;
}

/* A tri-state from a JSON boolean: 1, 0, or -1 for null/missing. */
static int s_tri(const json_t *v)
{
	return json_is_boolean(v) ? (json_is_true(v) ? 1 : 0) : -1;
}

static void s_copy_esc(char *dst, size_t len, const json_t *v)
{
	s_esc(dst, len, json_is_string(v) ? json_string_value(v) : "");
}

/* One result row of the report document into v. */
static void s_vantage_row(const json_t *res, struct doctor_vantage *v)
{
	const json_t *problem = json_object_get(res, "problem");
	const json_t *cert = json_object_get(res, "cert");
	const char *type = json_string_value(json_object_get(problem, "type"));

	memset(v, 0, sizeof(*v));
	s_copy_esc(v->agent, sizeof(v->agent), json_object_get(res, "agent"));
	s_copy_esc(v->region, sizeof(v->region), json_object_get(res, "region"));
	s_copy_esc(v->outcome, sizeof(v->outcome), json_object_get(res, "outcome"));
	s_copy_esc(v->address, sizeof(v->address), json_object_get(res, "address_used"));
	v->resolved = v->connected = v->handshake = v->verified = -1;
	if (strcmp(v->outcome, "unavailable") == 0) {
		s_copy_esc(v->detail, sizeof(v->detail),
		           json_object_get(res, "unavailable_reason"));
		return;
	}
	if (json_is_object(cert)) {
		v->resolved = v->connected = v->handshake = 1;
		v->verified = s_tri(json_object_get(cert, "chain_verified"));
		s_copy_esc(v->tls_version, sizeof(v->tls_version),
		           json_object_get(cert, "tls_version"));
		s_copy_esc(v->detail, sizeof(v->detail), json_object_get(cert, "verify_error"));
		return;
	}
	if (type != NULL && strcmp(type, "dns") == 0) {
		v->resolved = v->connected = v->handshake = 0;
	} else if (type != NULL && strcmp(type, "connection") == 0) {
		v->resolved = 1;
		v->connected = v->handshake = 0;
	} else if (type != NULL && strcmp(type, "tls") == 0) {
		v->resolved = v->connected = 1;
		v->handshake = 0;
	} else if (strcmp(v->outcome, "pass") == 0) {
		v->resolved = v->connected = v->handshake = 1;
	}
	s_copy_esc(v->detail, sizeof(v->detail), json_object_get(problem, "summary"));
}

int doctor_judge_vantages(const json_t *doc, bool local_ok, struct doctor_report *r,
                          struct doctor_check *c)
{
	const json_t *checks = json_object_get(doc, "checks"), *results = NULL, *res;
	char detail[DOCTOR_TEXT_LEN], cause[DOCTOR_TEXT_LEN], fix[DOCTOR_TEXT_LEN];
	size_t i, answered = 0, reached = 0, verified = 0, n;
	char h[LIMIT_DOMAIN_LEN * 4 + 1];

	s_esc(h, sizeof(h), r->url.host);
	free(r->vantages);
	r->vantages = NULL;
	r->n_vantages = 0;
	if (json_is_array(checks) && json_array_size(checks) > 0)
		results = json_object_get(json_array_get(checks, 0), "results");
	if (!json_is_array(results)) {
		s_set(c, DOCTOR_FAIL, "the coordinator's answer has no results",
		      "the coordinator answered with a document this vantage does not understand",
		      "run `vantage check --method tls-cert HOST` to see the coordinator's answer; "
		      "update vantage on both sides");
		return -1;
	}
	n = json_array_size(results);
	if (n > LIMIT_AGENTS)
		n = LIMIT_AGENTS;
	if (n > 0) {
		r->vantages = calloc(n, sizeof(*r->vantages));
		if (r->vantages == NULL) {
			s_set(c, DOCTOR_FAIL, "out of memory", NULL, NULL);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		struct doctor_vantage *v = &r->vantages[i];

		res = json_array_get(results, i);
		s_vantage_row(res, v);
		if (strcmp(v->outcome, "unavailable") == 0)
			continue;
		answered++;
		reached += v->handshake == 1;
		verified += v->verified == 1;
	}
	r->n_vantages = n;
	s_fmt(detail, sizeof(detail),
	      "%zu of %zu vantages that answered completed a TLS handshake with %s:443 (%zu "
	      "verified with their own trust store); %zu did not answer",
	      reached, answered, h, verified, n - answered);
	if (answered == 0) {
		s_set(c, DOCTOR_WARN, detail,
		      "no vantage answered: the agents are down or not connected",
		      "check `vantage agents` and the agents' logs");
		return 0;
	}
	if (reached == 0) {
		s_fmt(cause, sizeof(cause), "%s",
		      local_ok ? "this machine reaches the CA but no vantage does: the vantages' "
		                 "networks block it, or they resolve the name differently"
		               : "neither this machine nor any vantage reaches the CA: the CA is "
		                 "down, or the directory's host name is wrong");
		s_fmt(fix, sizeof(fix),
		      "check the directory URL and the CA's status page "
		      "(https://letsencrypt.status.io/ for Let's Encrypt)");
		s_set(c, DOCTOR_FAIL, detail, cause, fix);
		return 0;
	}
	if (!local_ok)
		text_appendf(detail, sizeof(detail),
		             "; the CA is up from elsewhere, so this machine's failure is local");
	if (reached < answered || answered < n) {
		s_fmt(cause, sizeof(cause),
		      "some vantages cannot reach the CA (or did not answer): their network path "
		      "to the CA is blocked or broken");
		s_fmt(fix, sizeof(fix),
		      "see each vantage's detail below; this does not affect this machine's "
		      "ACME client");
		s_set(c, DOCTOR_WARN, detail, cause, fix);
		return 0;
	}
	s_set(c, DOCTOR_OK, detail, NULL, NULL);
	return 0;
}

/* ---- the run ---- */

void doctor_report_free(struct doctor_report *r)
{
	free(r->http.body);
	r->http.body = NULL;
	r->http.body_len = 0;
	json_decref(r->endpoints);
	r->endpoints = NULL;
	free(r->vantages);
	r->vantages = NULL;
	r->n_vantages = 0;
}

/* Start the coordinator request for --vantages (when it applies). */
static void s_vantages_start(const struct doctor_opts *o, const struct doctor_report *r,
                             struct s_vq *q)
{
	json_t *body;

	memset(q, 0, sizeof(*q));
	q->o = o;
	if (!o->vantages || r->url.port != HTTPS_PORT || r->url.ip_literal)
		return;
	body = doctor_vantage_body(r->url.host);
	q->body = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (q->body == NULL)
		return;
	q->timeout_ms = DOCTOR_VANTAGE_BUDGET_MS + JOB_GRACE_MS + CLI_HTTP_MARGIN_MS;
	q->started = pthread_create(&q->thr, NULL, s_vq_main, q) == 0;
}

/* Wait for the coordinator's answer and judge it. */
static void s_vantages_finish(const struct doctor_opts *o, struct doctor_report *r, struct s_vq *q)
{
	struct doctor_check *c = &r->checks[DOCTOR_CHECK_VANTAGES];
	char detail[DOCTOR_TEXT_LEN], esc[DOCTOR_ERR_LEN];
	bool local_ok = r->checks[DOCTOR_CHECK_TCP].status != DOCTOR_FAIL &&
	                r->checks[DOCTOR_CHECK_TLS].status == DOCTOR_OK;

	if (!o->vantages)
		return;
	if (r->url.port != HTTPS_PORT) {
		s_fmt(detail, sizeof(detail),
		      "the vantages check port %d only; the directory is on port %u", HTTPS_PORT,
		      (unsigned)r->url.port);
		s_set(c, DOCTOR_SKIPPED, detail, NULL, NULL);
	} else if (r->url.ip_literal) {
		s_set(c, DOCTOR_SKIPPED, "the vantages check host names, not IP literals", NULL,
		      NULL);
	} else if (!q->started) {
		s_set(c, DOCTOR_FAIL, "could not start the coordinator request (out of memory)",
		      NULL, NULL);
	} else {
		pthread_join(q->thr, NULL);
		if (q->rc != 0) {
			s_fmt(detail, sizeof(detail), "could not ask the coordinator: %s",
			      s_esc(esc, sizeof(esc), q->err));
			s_set(c, DOCTOR_FAIL, detail,
			      "the coordinator is unreachable or refused the request",
			      "check --coordinator and --token-file (`vantage agents` uses the "
			      "same); "
			      "start `vantage serve`");
		} else {
			doctor_judge_vantages(q->doc, local_ok, r, c);
		}
	}
	json_decref(q->doc);
	q->doc = NULL;
	free(q->body);
	q->body = NULL;
}

/* The directory and clock steps (after dns, tcp, tls and chain). */
static void s_directory_and_clock(const struct doctor_opts *o, struct doctor_report *r,
                                  int64_t run_deadline)
{
	struct doctor_check *dir = &r->checks[DOCTOR_CHECK_DIRECTORY];
	bool chain_failed = r->checks[DOCTOR_CHECK_CHAIN].status == DOCTOR_FAIL;
	bool path_failed = r->checks[DOCTOR_CHECK_TCP].status == DOCTOR_FAIL ||
	                   r->checks[DOCTOR_CHECK_TLS].status == DOCTOR_FAIL;
	struct doctor_http_ev *ev = &r->http;
	char detail[DOCTOR_TEXT_LEN];
	long left;

	if (r->checks[DOCTOR_CHECK_DNS].status == DOCTOR_FAIL) {
		s_set(dir, DOCTOR_SKIPPED, "not fetched: the host does not resolve (see dns)", NULL,
		      NULL);
		doctor_judge_clock(false, 0, o->max_skew_s, false, &r->checks[DOCTOR_CHECK_CLOCK],
		                   NULL, NULL);
		return;
	}
	if (r->checks[DOCTOR_CHECK_TCP].status == DOCTOR_FAIL && !s_is_proxy_env()) {
		/* libcurl would only wait for the same timeouts again */
		s_set(dir, DOCTOR_SKIPPED, "not fetched: no TCP connection (see tcp)", NULL, NULL);
		doctor_judge_clock(false, 0, o->max_skew_s, false, &r->checks[DOCTOR_CHECK_CLOCK],
		                   NULL, NULL);
		return;
	}
	left = s_left(run_deadline, o->timeout_ms);
	if (left < DOCTOR_MIN_TIMEOUT_MS) {
		s_set(dir, DOCTOR_SKIPPED, "not fetched: the run's time budget is spent", NULL,
		      NULL);
		doctor_judge_clock(false, 0, o->max_skew_s, false, &r->checks[DOCTOR_CHECK_CLOCK],
		                   NULL, NULL);
		return;
	}
	s_get(o->directory, &r->store, true, left, ev);
	if (ev->curl_rc == CURLE_OK) {
		doctor_judge_directory(ev->status, ev->content_type, ev->body, ev->body_len, dir,
		                       &r->endpoints);
		if (path_failed)
			text_appendf(dir->detail, sizeof(dir->detail),
			             " (libcurl got through where the direct connection failed: a "
			             "proxy?)");
	} else if (ev->verify_failed && chain_failed) {
		s_fmt(detail, sizeof(detail), "not judged: the chain is not trusted (%s)",
		      ev->curl_error);
		s_set(dir, DOCTOR_SKIPPED, detail, NULL, NULL);
	} else if (path_failed ||
	           (ev->connect_failed && r->checks[DOCTOR_CHECK_TCP].status == DOCTOR_SKIPPED)) {
		s_fmt(detail, sizeof(detail), "not reached (see tcp and tls): %s", ev->curl_error);
		s_set(dir, DOCTOR_SKIPPED, detail, NULL, NULL);
	} else {
		s_fmt(detail, sizeof(detail), "the GET failed: %s", ev->curl_error);
		s_set(dir, DOCTOR_FAIL, detail,
		      ev->too_big ? "the answer is far larger than any ACME directory: not the CA"
		      : ev->verify_failed
		              ? "libcurl does not trust the certificate although the direct "
		                "handshake did: a proxy in libcurl's path (https_proxy) presents "
		                "another one"
		              : "TLS to the CA works but the HTTP request through libcurl fails: "
		                "a proxy setting (https_proxy), a redirect loop, or the server",
		      "try `curl -v URL` with the same environment as the ACME client");
	}
	/* The clock needs a Date header: when the chain is not trusted, read it
	 * over an unverified connection (nothing is sent but the GET). */
	if (!ev->have_date && (chain_failed || ev->verify_failed) && !path_failed) {
		struct doctor_http_ev tmp;

		memset(&tmp, 0, sizeof(tmp));
		left = s_left(run_deadline, o->timeout_ms);
		if (left >= DOCTOR_MIN_TIMEOUT_MS)
			s_get(o->directory, &r->store, false, left, &tmp);
		if (tmp.have_date) {
			ev->have_date = true;
			ev->date_unverified = true;
			ev->server_date = tmp.server_date;
			ev->local_at_date = tmp.local_at_date;
			snprintf(ev->date, sizeof(ev->date), "%s", tmp.date);
		}
		free(tmp.body);
	}
	r->have_skew = ev->have_date;
	r->skew_s = ev->have_date ? ev->local_at_date - ev->server_date : 0;
	doctor_judge_clock(r->have_skew, r->skew_s, o->max_skew_s, ev->date_unverified,
	                   &r->checks[DOCTOR_CHECK_CLOCK], &r->checks[DOCTOR_CHECK_CHAIN], &r->tls);
}

int doctor_run(const struct doctor_opts *o, struct doctor_report *r)
{
	int64_t run_deadline = s_mono_ms() + DOCTOR_RUN_BUDGET_MS;
	const struct doctor_addr *first = NULL;
	struct s_vq q;
	char err[DOCTOR_ERR_LEN];

	memset(r, 0, sizeof(*r));
	snprintf(r->directory, sizeof(r->directory), "%s", o->directory);
	if (doctor_parse_url(o->directory, &r->url, err, sizeof(err)) != 0) {
		/* doctor_parse refuses such URLs: only a caller that skipped it */
		s_set(&r->checks[DOCTOR_CHECK_DNS], DOCTOR_FAIL, err, NULL, NULL);
		r->exit_code = EXIT_FAIL;
		return r->exit_code;
	}
	doctor_store_select(o, &r->store);
	s_local_openssl(&r->tls);
	s_vantages_start(o, r, &q);

	/* dns */
	s_resolve(&r->url, s_left(run_deadline, o->resolver_timeout_ms), r);
	doctor_judge_dns(&r->dns, r->url.host, r->url.ip_literal, r->addrs, r->n_addrs,
	                 &r->checks[DOCTOR_CHECK_DNS]);
	/* tcp */
	if (r->n_addrs > 0)
		s_tcp_all(r->addrs, r->n_addrs, s_left(run_deadline, o->timeout_ms));
	doctor_judge_tcp(r->addrs, r->n_addrs, r->url.port, s_is_proxy_env(),
	                 &r->checks[DOCTOR_CHECK_TCP]);
	/* tls and chain */
	for (size_t i = 0; i < r->n_addrs && first == NULL; i++)
		if (r->addrs[i].conn == DOCTOR_CONN_OK)
			first = &r->addrs[i];
	if (first != NULL)
		s_tls_probe(first, &r->url, &r->store, o->timeout_ms, run_deadline, &r->tls);
	doctor_judge_tls(&r->tls, &r->checks[DOCTOR_CHECK_TLS]);
	doctor_judge_chain(&r->tls, &r->store, &r->checks[DOCTOR_CHECK_CHAIN]);
	/* expired roots */
	doctor_scan_store(&r->store, (int64_t)time(NULL), &r->roots);
	doctor_judge_roots(&r->roots, &r->store, &r->checks[DOCTOR_CHECK_EXPIRED_ROOTS]);
	/* directory and clock */
	s_directory_and_clock(o, r, run_deadline);
	/* the expired roots were judged by this machine's clock */
	if (r->checks[DOCTOR_CHECK_CLOCK].status == DOCTOR_FAIL &&
	    r->checks[DOCTOR_CHECK_EXPIRED_ROOTS].status == DOCTOR_WARN)
		text_appendf(r->checks[DOCTOR_CHECK_EXPIRED_ROOTS].detail, DOCTOR_TEXT_LEN,
		             " (judged by this machine's clock, which is off: see clock)");
	/* vantages */
	s_vantages_finish(o, r, &q);

	r->exit_code = EXIT_OK;
	for (int i = 0; i < DOCTOR_N_CHECKS; i++)
		if (r->checks[i].present && r->checks[i].status == DOCTOR_FAIL)
			r->exit_code = EXIT_FAIL;
	return r->exit_code;
}

/* ---- output ---- */

void doctor_summary(const struct doctor_report *r, char *out, size_t outlen)
{
	static const enum doctor_status order[] = {DOCTOR_FAIL, DOCTOR_WARN, DOCTOR_OK,
	                                           DOCTOR_SKIPPED};
	static const char *const words[] = {"failed", "warning", "ok", "skipped"};
	enum { N = sizeof(order) / sizeof(order[0]) };
	size_t total = 0, count[N] = {0};

	out[0] = '\0';
	for (int i = 0; i < DOCTOR_N_CHECKS; i++) {
		if (!r->checks[i].present)
			continue;
		total++;
		for (size_t k = 0; k < N; k++)
			count[k] += r->checks[i].status == order[k];
	}
	if (count[2] == total) { /* order[2]: ok */
		snprintf(out, outlen, "all %zu checks ok", total);
		return;
	}
	for (size_t k = 0; k < N; k++) {
		bool first = true;

		if (count[k] == 0)
			continue;
		text_appendf(out, outlen, "%s%zu %s%s", out[0] ? ", " : "", count[k], words[k],
		             order[k] == DOCTOR_WARN && count[k] > 1 ? "s" : "");
		if (order[k] != DOCTOR_FAIL && order[k] != DOCTOR_WARN)
			continue;
		text_appendf(out, outlen, " (");
		for (int i = 0; i < DOCTOR_N_CHECKS; i++) {
			if (!r->checks[i].present || r->checks[i].status != order[k])
				continue;
			text_appendf(out, outlen, "%s%s", first ? "" : ", ",
			             doctor_check_name((enum doctor_check_id)i));
			first = false;
		}
		text_appendf(out, outlen, ")");
	}
}

/* json_string of text we made (printable ASCII); null for "". */
static json_t *s_str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *s_tri_json(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

/* The check-specific members of check id. */
static int s_check_extra(const struct doctor_report *r, enum doctor_check_id id, json_t *o)
{
	int bad = 0;
	json_t *a;

	switch (id) {
	case DOCTOR_CHECK_DNS:
		a = json_array();
		for (size_t i = 0; i < r->n_addrs && a != NULL; i++)
			bad |= json_array_append_new(a, json_string(r->addrs[i].text));
		bad |= json_object_set_new(o, "addresses", a);
		a = json_array();
		for (size_t i = 0; i < r->dns.n_resolvers && a != NULL; i++)
			bad |= json_array_append_new(a, json_string(r->dns.resolvers[i]));
		bad |= json_object_set_new(o, "resolvers", a);
		bad |= json_object_set_new(o, "ip_literal", json_boolean(r->url.ip_literal));
		break;
	case DOCTOR_CHECK_TCP:
		bad |= json_object_set_new(o, "port", json_integer(r->url.port));
		a = json_array();
		for (size_t i = 0; i < r->n_addrs && a != NULL; i++) {
			const struct doctor_addr *ad = &r->addrs[i];
			bool tried = ad->conn != DOCTOR_CONN_NOT_TRIED;

			bad |= json_array_append_new(
			        a, json_pack("{s:s, s:s, s:s, s:o, s:o}", "address", ad->text,
			                     "family", ad->family == AF_INET6 ? "ipv6" : "ipv4",
			                     "result", s_conn_name(ad->conn), "error",
			                     ad->conn == DOCTOR_CONN_OK || !tried
			                             ? json_null()
			                             : json_string(strerror(ad->err)),
			                     "ms", tried ? json_integer(ad->ms) : json_null()));
		}
		bad |= json_object_set_new(o, "connections", a);
		break;
	case DOCTOR_CHECK_TLS:
		bad |= json_object_set_new(o, "address", s_str_or_null(r->tls.addr));
		bad |= json_object_set_new(o, "version", s_str_or_null(r->tls.version));
		bad |= json_object_set_new(o, "cipher", s_str_or_null(r->tls.cipher));
		bad |= json_object_set_new(o, "tls1_3", s_tri_json(r->tls.tls13));
		bad |= json_object_set_new(o, "tls1_2", s_tri_json(r->tls.tls12));
		bad |= json_object_set_new(o, "legacy_only", s_tri_json(r->tls.legacy));
		bad |= json_object_set_new(o, "error",
		                           s_str_or_null(r->tls.ok ? "" : r->tls.error));
		bad |= json_object_set_new(o, "openssl", json_string(r->tls.openssl));
		break;
	case DOCTOR_CHECK_CHAIN:
		bad |= json_object_set_new(o, "verified",
		                           r->tls.have_chain
		                                   ? json_boolean(r->tls.verify_code == X509_V_OK)
		                                   : json_null());
		bad |= json_object_set_new(
		        o, "verify_error",
		        s_str_or_null(r->tls.have_chain && r->tls.verify_code != X509_V_OK
		                              ? r->tls.verify_error
		                              : ""));
		bad |= json_object_set_new(o, "leaf_subject", s_str_or_null(r->tls.leaf_subject));
		bad |= json_object_set_new(o, "leaf_issuer", s_str_or_null(r->tls.leaf_issuer));
		bad |= json_object_set_new(o, "root_subject", s_str_or_null(r->tls.root_subject));
		bad |= json_object_set_new(o, "not_before", s_str_or_null(r->tls.leaf_not_before));
		bad |= json_object_set_new(o, "not_after", s_str_or_null(r->tls.leaf_not_after));
		bad |= json_object_set_new(o, "chain_len", json_integer(r->tls.chain_len));
		bad |= json_object_set_new(o, "trust_store",
		                           json_pack("{s:o, s:o, s:s}", "file",
		                                     s_str_or_null(r->store.file), "dir",
		                                     s_str_or_null(r->store.dir), "source",
		                                     r->store.source ? r->store.source : "?"));
		break;
	case DOCTOR_CHECK_EXPIRED_ROOTS: {
		size_t named = r->roots.n_expired < DOCTOR_MAX_EXPIRED_ROOTS
		                       ? r->roots.n_expired
		                       : DOCTOR_MAX_EXPIRED_ROOTS;

		bad |= json_object_set_new(o, "scanned",
		                           json_integer((json_int_t)r->roots.scanned));
		bad |= json_object_set_new(o, "truncated", json_boolean(r->roots.truncated));
		a = json_array();
		for (size_t i = 0; i < named && a != NULL; i++)
			bad |= json_array_append_new(
			        a,
			        json_pack("{s:s, s:s, s:s}", "subject", r->roots.expired[i].subject,
			                  "not_after", r->roots.expired[i].not_after, "file",
			                  r->roots.expired[i].where));
		bad |= json_object_set_new(o, "expired", a);
		break;
	}
	case DOCTOR_CHECK_CLOCK:
		bad |= json_object_set_new(o, "skew_s",
		                           r->have_skew ? json_integer(r->skew_s) : json_null());
		bad |= json_object_set_new(o, "server_date",
		                           s_str_or_null(r->http.have_date ? r->http.date : ""));
		bad |= json_object_set_new(o, "unverified", json_boolean(r->http.date_unverified));
		break;
	case DOCTOR_CHECK_DIRECTORY:
		bad |= json_object_set_new(o, "http_status",
		                           r->http.attempted && r->http.status != 0
		                                   ? json_integer(r->http.status)
		                                   : json_null());
		bad |= json_object_set_new(o, "content_type", s_str_or_null(r->http.content_type));
		bad |= json_object_set_new(o, "endpoints",
		                           r->endpoints != NULL ? json_deep_copy(r->endpoints)
		                                                : json_null());
		break;
	case DOCTOR_CHECK_VANTAGES:
		a = json_array();
		for (size_t i = 0; i < r->n_vantages && a != NULL; i++) {
			const struct doctor_vantage *v = &r->vantages[i];

			bad |= json_array_append_new(
			        a, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			                     "agent", v->agent, "region", v->region, "outcome",
			                     v->outcome, "resolved", s_tri_json(v->resolved),
			                     "connected", s_tri_json(v->connected), "handshake",
			                     s_tri_json(v->handshake), "verified",
			                     s_tri_json(v->verified), "address",
			                     s_str_or_null(v->address), "tls_version",
			                     s_str_or_null(v->tls_version), "detail",
			                     s_str_or_null(v->detail)));
		}
		bad |= json_object_set_new(o, "vantages", a);
		break;
	case DOCTOR_N_CHECKS:
		break;
	}
	return bad;
}

json_t *doctor_report_json(const struct doctor_report *r)
{
	json_t *doc = json_object(), *checks = json_array();
	char summary[DOCTOR_TEXT_LEN], dir[LIMIT_URL_LEN + 1], host[4 * LIMIT_DOMAIN_LEN + 1];
	int bad = doc == NULL || checks == NULL;

	for (int i = 0; i < DOCTOR_N_CHECKS && !bad; i++) {
		const struct doctor_check *c = &r->checks[i];
		json_t *o;

		if (!c->present)
			continue;
		o = json_pack("{s:s, s:s, s:s, s:o, s:o}", "id",
		              doctor_check_name((enum doctor_check_id)i), "status",
		              doctor_status_name(c->status), "detail", c->detail, "cause",
		              s_str_or_null(c->cause), "fix", s_str_or_null(c->fix));
		bad |= o == NULL;
		if (!bad)
			bad |= s_check_extra(r, (enum doctor_check_id)i, o);
		bad |= json_array_append_new(checks, o);
	}
	doctor_summary(r, summary, sizeof(summary));
	s_esc(dir, sizeof(dir), r->directory);
	bad |= json_object_set_new(doc, "tool", json_string("vantage"));
	bad |= json_object_set_new(doc, "command", json_string("doctor"));
	bad |= json_object_set_new(doc, "vantage_version", json_string(VANTAGE_VERSION));
	bad |= json_object_set_new(doc, "directory", json_string(dir));
	bad |= json_object_set_new(doc, "host",
	                           json_string(s_esc(host, sizeof(host), r->url.host)));
	bad |= json_object_set_new(doc, "port", json_integer(r->url.port));
	bad |= json_object_set_new(doc, "checks", checks);
	checks = NULL;
	bad |= json_object_set_new(doc, "summary", json_string(summary));
	bad |= json_object_set_new(doc, "exit_code", json_integer(r->exit_code));
	if (bad) {
		json_decref(checks);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static const char *s_status_color(enum doctor_status s, bool color)
{
	if (!color)
		return "";
	switch (s) {
	case DOCTOR_OK:
		return S_GREEN;
	case DOCTOR_WARN:
		return S_YELLOW;
	case DOCTOR_FAIL:
		return S_RED;
	case DOCTOR_SKIPPED:
		break;
	}
	return "";
}

static const char *s_tri_text(int v)
{
	return v < 0 ? "-" : v ? "yes" : "no";
}

void doctor_report_print(const struct doctor_report *r, FILE *out, bool color)
{
	char dir[LIMIT_URL_LEN + 1], summary[DOCTOR_TEXT_LEN], host[4 * LIMIT_DOMAIN_LEN + 1];
	const char *reset = color ? S_RESET : "";

	fprintf(out, "vantage doctor: %s\n\n", s_esc(dir, sizeof(dir), r->directory));
	fprintf(out, "%-14s %-8s %s\n", "CHECK", "STATUS", "DETAIL");
	for (int i = 0; i < DOCTOR_N_CHECKS; i++) {
		const struct doctor_check *c = &r->checks[i];

		if (!c->present)
			continue;
		fprintf(out, "%-14s %s%-8s%s %s\n", doctor_check_name((enum doctor_check_id)i),
		        s_status_color(c->status, color), doctor_status_name(c->status), reset,
		        c->detail);
	}
	for (int i = 0; i < DOCTOR_N_CHECKS; i++) {
		const struct doctor_check *c = &r->checks[i];

		if (!c->present || (c->status != DOCTOR_WARN && c->status != DOCTOR_FAIL))
			continue;
		fprintf(out, "\n%s%s: %s%s\n", s_status_color(c->status, color),
		        doctor_check_name((enum doctor_check_id)i), doctor_status_name(c->status),
		        reset);
		if (c->cause[0] != '\0')
			fprintf(out, "  cause: %s\n", c->cause);
		if (c->fix[0] != '\0')
			fprintf(out, "  fix:   %s\n", c->fix);
	}
	if (r->n_vantages > 0) {
		fprintf(out, "\nVantages (TLS handshake with %s:%d):\n",
		        s_esc(host, sizeof(host), r->url.host), HTTPS_PORT);
		fprintf(out, "  %-16s %-12s %-11s %-8s %-9s %-9s %-8s %s\n", "AGENT", "REGION",
		        "OUTCOME", "RESOLVED", "CONNECTED", "HANDSHAKE", "VERIFIED", "DETAIL");
		for (size_t i = 0; i < r->n_vantages; i++) {
			const struct doctor_vantage *v = &r->vantages[i];

			fprintf(out, "  %-16s %-12s %-11s %-8s %-9s %-9s %-8s %s\n", v->agent,
			        v->region, v->outcome, s_tri_text(v->resolved),
			        s_tri_text(v->connected), s_tri_text(v->handshake),
			        s_tri_text(v->verified), v->detail[0] ? v->detail : "-");
		}
	}
	doctor_summary(r, summary, sizeof(summary));
	fprintf(out, "\nSummary: %s%s%s\n", color ? (r->exit_code != 0 ? S_RED : S_GREEN) : "",
	        summary, reset);
}

int doctor_main(int argc, char **argv)
{
	struct doctor_opts o;
	struct doctor_report r;
	char err[DOCTOR_ERR_LEN];
	int rc;

	rc = doctor_parse(argc, argv, &o, err, sizeof(err));
	if (rc == 1) {
		s_usage(stdout);
		return EXIT_OK;
	}
	if (rc != 0) {
		char esc[DOCTOR_ERR_LEN];

		fprintf(stderr, "vantage doctor: %s\n", s_esc(esc, sizeof(esc), err));
		fprintf(stderr, "Try 'vantage doctor --help'.\n");
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "vantage doctor: cannot initialise libcurl\n");
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN); /* a server that hangs up mid-handshake */
	if (!o.json && isatty(STDERR_FILENO))
		fprintf(stderr, "checking the path to %s%s\u2026\n",
		        s_esc(err, sizeof(err), o.directory),
		        o.vantages ? " from here and from every vantage" : "");
	rc = doctor_run(&o, &r);
	if (o.json) {
		json_t *doc = doctor_report_json(&r);

		if (doc == NULL) {
			fprintf(stderr, "vantage doctor: out of memory\n");
			rc = EXIT_USAGE;
		} else {
			json_dumpf(doc, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
			json_decref(doc);
		}
	} else {
		doctor_report_print(&r, stdout, cli_use_color(o.no_color));
	}
	fflush(stdout);
	doctor_report_free(&r);
	curl_global_cleanup();
	return rc;
}
