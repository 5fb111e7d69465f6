/*
 * cli.c -- `vantage check`, `vantage agents [approve|revoke NAME]`,
 * `vantage enroll`, `vantage history` and `vantage monitors`; see cli.h,
 * docs/api.md and docs/deploy.md ("Enrolment").
 *
 * libcurl talks to the coordinator (one helper, s_request, for every GET and
 * POST), jansson builds the request and parses the answer, and
 * common/report.c prints the table from the same JSON document `--json`
 * prints, so the two can never disagree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../common/certcheck.h"
#include "../common/keyauth.h"
#include "../common/limits.h"
#include "../common/log.h"
#include "../common/report.h"
#include "../common/result.h"
#include "api.h"
#include "cli.h"
#include "enroll.h"
#include "history.h"
#include "httpbuf.h"
#include "names.h"
#include "thishost.h"

#define EXIT_USAGE   2
#define CLI_URL_MAX  2048 /* coordinator URL plus API path */
#define CLI_ERR_LEN  1024
#define CLI_ESC_LEN  1024 /* escaped server text shown to the user */
#define CLI_HDR_LEN  (CLI_TOKEN_FILE_MAX + 64)
#define CLI_B64_RAND 48 /* random bytes drawn per base64url batch */

/* ---- loopback and URL rules ---- */

bool cli_host_is_loopback(const char *host)
{
	char buf[LIMIT_DOMAIN_LEN + 1];
	unsigned char a[sizeof(struct in6_addr)];
	size_t n;

	if (host == NULL)
		return false;
	n = strlen(host);
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, host, n + 1);
	if (buf[0] == '[') {
		if (n < 3 || buf[n - 1] != ']')
			return false;
		memmove(buf, buf + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(AF_INET6, buf, a) == 1 &&
		       IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)(const void *)a);
	}
	if (inet_pton(AF_INET, buf, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, buf, a) == 1)
		return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)(const void *)a);
	if (buf[n - 1] == '.') /* "localhost." */
		buf[--n] = '\0';
	if (strcasecmp(buf, "localhost") == 0)
		return true;
	/* RFC 6761: names under .localhost are loopback too */
	return n > strlen(".localhost") &&
	       strcasecmp(buf + n - strlen(".localhost"), ".localhost") == 0;
}

int cli_check_coordinator_url(const char *url, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "coordinator URL \"%s\" is not a valid http(s):// URL", url);
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0) {
		rc = 0;
		goto out;
	}
	if (strcasecmp(scheme, "http") != 0) {
		snprintf(err, errlen, "coordinator URL \"%s\": scheme must be http or https", url);
		goto out;
	}
	if (!cli_host_is_loopback(host)) {
		snprintf(err, errlen,
		         "refusing to send the API token over plain http:// to %s, which is not a "
		         "loopback address; use https:// (with --cacert FILE if needed)",
		         host);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* ---- argument checks ---- */

static bool s_is_b64url(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

int cli_parse_key_authorization(const char *ka, char *token, size_t toklen, char *err,
                                size_t errlen)
{
	const char *dot = strchr(ka, '.');
	size_t n = strlen(ka), tn;

	if (n > LIMIT_KEYAUTH_LEN) {
		snprintf(err, errlen, "key authorization longer than %d characters",
		         LIMIT_KEYAUTH_LEN);
		return -1;
	}
	if (dot == NULL) {
		snprintf(err, errlen,
		         "key authorization \"%s\" has no '.': expected TOKEN.THUMBPRINT", ka);
		return -1;
	}
	tn = (size_t)(dot - ka);
	if (tn == 0 || dot[1] == '\0') {
		snprintf(err, errlen,
		         "key authorization \"%s\": TOKEN and THUMBPRINT must both be non-empty",
		         ka);
		return -1;
	}
	if (tn > LIMIT_TOKEN_LEN || tn >= toklen) {
		snprintf(err, errlen, "key authorization token longer than %d characters",
		         LIMIT_TOKEN_LEN);
		return -1;
	}
	if (!s_is_b64url(ka, tn) || !s_is_b64url(dot + 1, strlen(dot + 1))) {
		snprintf(err, errlen,
		         "key authorization \"%s\": only base64url characters (A-Z a-z 0-9 - _) "
		         "around one '.'",
		         ka);
		return -1;
	}
	memcpy(token, ka, tn);
	token[tn] = '\0';
	return 0;
}

int cli_check_domains(int n_domains, char *const *domains, bool have_ka, bool have_webroot,
                      char *err, size_t errlen)
{
	if (have_ka && have_webroot) {
		snprintf(err, errlen, "--key-authorization and --webroot are mutually exclusive");
		return -1;
	}
	if (n_domains < 1) {
		snprintf(err, errlen, "no domain given");
		return -1;
	}
	if (n_domains > LIMIT_DOMAINS_PER_CHECK) {
		snprintf(err, errlen, "%d domains given; at most %d per check", n_domains,
		         LIMIT_DOMAINS_PER_CHECK);
		return -1;
	}
	if (have_ka && n_domains != 1) {
		snprintf(err, errlen,
		         "--key-authorization (or --digest, --txt) validates one challenge: give "
		         "exactly one domain (%d given)",
		         n_domains);
		return -1;
	}
	for (int i = 0; i < n_domains; i++) {
		char norm[LIMIT_DOMAIN_LEN + 1];
		size_t n = strlen(domains[i]);
		bool bad = n == 0 || n > LIMIT_DOMAIN_LEN;
		for (size_t k = 0; k < n && !bad; k++) {
			unsigned char c = (unsigned char)domains[i][k];
			bad = c <= 0x20 || c >= 0x7f || c == '/' || c == '\\';
		}
		if (!bad)
			continue;
		/* names_check says why, naming the finding (and the punycode
		 * form of a non-ASCII name) */
		if (names_check(domains[i], 0, norm, NULL, err, errlen) == 0)
			snprintf(err, errlen,
			         "domain %d: length must be 1..%d, without spaces, "
			         "control characters or '/'",
			         i + 1, LIMIT_DOMAIN_LEN);
		return -1;
	}
	return 0;
}

int cli_random_b64url(char *out, size_t n, char *err, size_t errlen)
{
	static const char alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char rnd[CLI_B64_RAND];
	size_t o = 0;

	/* each character takes 6 bits of one random byte: uniform over 64 */
	while (o < n) {
		size_t want = n - o < sizeof(rnd) ? n - o : sizeof(rnd);
		ssize_t got = getrandom(rnd, want, 0);
		if (got != (ssize_t)want) {
			snprintf(err, errlen, "getrandom: %s", strerror(errno));
			return -1;
		}
		for (size_t i = 0; i < want; i++)
			out[o++] = alphabet[rnd[i] & 0x3f];
	}
	out[n] = '\0';
	return 0;
}

/* ---- webroot challenge file, with cleanup on signals ---- */

/* What the signal handler removes.  Written only while the signals are
 * blocked, read only by the handler. */
static char s_sig_file[PATH_MAX];
static char s_sig_dirs[CLI_WEBROOT_MAX_DIRS][PATH_MAX];
static volatile sig_atomic_t s_sig_ndirs;
static volatile sig_atomic_t s_sig_armed;
static const int s_sig_list[] = {SIGINT, SIGTERM, SIGHUP};
#define CLI_N_SIGNALS (sizeof(s_sig_list) / sizeof(s_sig_list[0]))
static struct sigaction s_sig_old[CLI_N_SIGNALS];

/* Async-signal-safe: unlink, rmdir, signal and raise only. */
static void s_webroot_signal(int sig)
{
	int saved = errno;

	if (s_sig_armed) {
		if (s_sig_file[0] != '\0')
			unlink(s_sig_file);
		for (sig_atomic_t i = s_sig_ndirs; i > 0; i--)
			rmdir(s_sig_dirs[i - 1]);
		s_sig_armed = 0;
	}
	signal(sig, SIG_DFL);
	raise(sig); /* delivered when the handler returns: die of the signal */
	errno = saved;
}

static void s_block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < CLI_N_SIGNALS; i++)
		sigaddset(&set, s_sig_list[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* Make dir if missing (0755, recorded in w); an existing one must be a
 * directory. */
static int s_mkdir(struct cli_webroot *w, const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0755) == 0) {
		if (chmod(dir, 0755) != 0) {
			snprintf(err, errlen, "chmod %s: %s", dir, strerror(errno));
			rmdir(dir);
			return -1;
		}
		snprintf(w->dirs[w->n_dirs], sizeof(w->dirs[0]), "%s", dir);
		memcpy(s_sig_dirs[w->n_dirs], w->dirs[w->n_dirs], sizeof(s_sig_dirs[0]));
		w->n_dirs++;
		s_sig_ndirs = (sig_atomic_t)w->n_dirs;
		return 0;
	}
	if (errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a directory", dir);
		return -1;
	}
	return 0;
}

static int s_write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;
	unsigned tries = 0;

	while (off < len && tries++ < CLI_WEBROOT_WRITE_TRIES) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return off == len ? 0 : -1;
}

static void s_webroot_undo(struct cli_webroot *w)
{
	if (w->file[0] != '\0' && unlink(w->file) != 0 && errno != ENOENT)
		fprintf(stderr, "vantage: warning: cannot remove %s: %s\n", w->file,
		        strerror(errno));
	w->file[0] = '\0';
	for (size_t i = w->n_dirs; i > 0; i--) {
		/* a directory someone else filled meanwhile stays */
		if (rmdir(w->dirs[i - 1]) != 0 && errno != ENOENT && errno != ENOTEMPTY)
			fprintf(stderr, "vantage: warning: cannot remove %s: %s\n", w->dirs[i - 1],
			        strerror(errno));
	}
	w->n_dirs = 0;
}

int cli_webroot_prepare(struct cli_webroot *w, const char *dir, char *err, size_t errlen)
{
	char wk[PATH_MAX], ac[PATH_MAX], rnd[CLI_CHALLENGE_TOKEN_LEN + 1];
	struct sigaction sa;
	struct stat st;
	sigset_t oldmask;
	int fd = -1, rc = -1;
	bool handlers = false;

	memset(w, 0, sizeof(*w));
	s_block_signals(&oldmask);
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "webroot %s: %s", dir, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "webroot %s: not a directory", dir);
		goto out;
	}
	if ((size_t)snprintf(wk, sizeof(wk), "%s/.well-known", dir) >= sizeof(wk) ||
	    (size_t)snprintf(ac, sizeof(ac), "%s/%s", dir, CLI_WEBROOT_SUBDIR) >= sizeof(ac)) {
		snprintf(err, errlen, "webroot %s: path too long", dir);
		goto out;
	}
	if (cli_random_b64url(w->token, CLI_CHALLENGE_TOKEN_LEN, err, errlen) != 0 ||
	    cli_random_b64url(rnd, CLI_CHALLENGE_TOKEN_LEN, err, errlen) != 0)
		goto out;
	snprintf(w->key_authorization, sizeof(w->key_authorization), "%s.%s", w->token, rnd);
	if ((size_t)snprintf(w->file, sizeof(w->file), "%s/%s", ac, w->token) >= sizeof(w->file)) {
		w->file[0] = '\0';
		snprintf(err, errlen, "webroot %s: path too long", dir);
		goto out;
	}

	/* handlers first (signals are blocked), then create */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = s_webroot_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < CLI_N_SIGNALS; i++)
		sigaction(s_sig_list[i], &sa, &s_sig_old[i]);
	handlers = true;
	s_sig_file[0] = '\0';
	s_sig_ndirs = 0;
	s_sig_armed = 1;

	if (s_mkdir(w, wk, err, errlen) != 0 || s_mkdir(w, ac, err, errlen) != 0) {
		w->file[0] = '\0';
		goto out;
	}
	fd = open(w->file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "create %s: %s", w->file, strerror(errno));
		w->file[0] = '\0';
		goto out;
	}
	memcpy(s_sig_file, w->file, sizeof(s_sig_file));
	if (fchmod(fd, 0644) != 0 ||
	    s_write_all(fd, w->key_authorization, strlen(w->key_authorization)) != 0) {
		snprintf(err, errlen, "write %s: %s", w->file, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "write %s: %s", w->file, strerror(errno));
		goto out;
	}
	fd = -1;
	w->active = true;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		s_webroot_undo(w);
		s_sig_armed = 0;
		if (handlers)
			for (size_t i = 0; i < CLI_N_SIGNALS; i++)
				sigaction(s_sig_list[i], &s_sig_old[i], NULL);
	}
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return rc;
}

void cli_webroot_cleanup(struct cli_webroot *w)
{
	sigset_t oldmask;

	if (w == NULL || !w->active)
		return;
	s_block_signals(&oldmask);
	s_webroot_undo(w);
	s_sig_armed = 0;
	s_sig_file[0] = '\0';
	s_sig_ndirs = 0;
	for (size_t i = 0; i < CLI_N_SIGNALS; i++)
		sigaction(s_sig_list[i], &s_sig_old[i], NULL);
	w->active = false;
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
}

/* ---- HTTP ---- */

/* Read the API token: the file's first line, printable ASCII only. */
static int s_read_token(const char *path, char *tok, size_t toklen, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	size_t n;
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read API token file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(tok, (int)toklen, f) == NULL) {
		snprintf(err, errlen, "API token file %s is empty", path);
		goto out;
	}
	n = strcspn(tok, "\r\n");
	tok[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "API token file %s: first line is empty", path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (tok[i] <= 0x20 || tok[i] >= 0x7f) {
			snprintf(err, errlen, "API token file %s: token has invalid characters",
			         path);
			goto out;
		}
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* Options shared by check and agents. */
struct s_conn {
	const char *coordinator;
	const char *token_file;
	const char *cacert;
	char token[CLI_TOKEN_FILE_MAX];
	const volatile sig_atomic_t *stop; /* non-NULL: abort when *stop is set */
};

/* libcurl's progress callback (also called while idle, at least once a
 * second): non-zero aborts the transfer once a signal handler set *arg. */
static int s_xferinfo(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
	const volatile sig_atomic_t *stop = arg;

	return *stop != 0 ? 1 : 0;
}

/*
 * One request to the coordinator: method (NULL: GET when body is NULL, else
 * POST) with the JSON text body, if any.  On a 2xx answer (200, or 201 for a
 * created enrolment or monitor) *doc holds the parsed JSON (caller decrefs)
 * and 0 is returned; anything else is -1 with what happened in err -- for an
 * API refusal, "the coordinator answered HTTP STATUS: " and the escaped text
 * of its "error".  Used by every subcommand here.
 */
static int s_request(const struct s_conn *c, const char *method, const char *path, const char *body,
                     long timeout_ms, json_t **doc, char *err, size_t errlen)
{
	char url[CLI_URL_MAX], auth[CLI_HDR_LEN], curlerr[CURL_ERROR_SIZE] = "";
	char esc[CLI_ESC_LEN];
	struct curl_slist *hdrs = NULL, *tmp;
	struct httpbuf b = {.max = CLI_MAX_RESPONSE_BYTES};
	size_t blen = strlen(c->coordinator);
	CURL *h = NULL;
	CURLcode cc;
	long status = 0;
	json_error_t jerr;
	json_t *j = NULL;
	int rc = -1;

	*doc = NULL;
	while (blen > 0 && c->coordinator[blen - 1] == '/')
		blen--;
	if ((size_t)snprintf(url, sizeof(url), "%.*s%s", (int)blen, c->coordinator, path) >=
	    sizeof(url)) {
		snprintf(err, errlen, "coordinator URL too long");
		goto out;
	}
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	h = curl_easy_init();
	if (h == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		goto out;
	}
	tmp = curl_slist_append(hdrs, auth);
	if (tmp == NULL)
		goto oom;
	hdrs = tmp;
	tmp = curl_slist_append(hdrs, "Accept: application/json");
	if (tmp == NULL)
		goto oom;
	hdrs = tmp;
	if (body != NULL) {
		tmp = curl_slist_append(hdrs, "Content-Type: application/json");
		if (tmp == NULL)
			goto oom;
		hdrs = tmp;
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	if (method != NULL)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* the token goes nowhere else */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CLI_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpbuf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curlerr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vantage/" VANTAGE_VERSION);
	/* http:// is allowed to loopback only; a proxy from the environment
	 * (http_proxy, all_proxy) would carry the token elsewhere in clear. */
	if (strncasecmp(c->coordinator, "http://", strlen("http://")) == 0)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	if (c->stop != NULL) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, s_xferinfo);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)(uintptr_t)c->stop);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}

	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		if (cc == CURLE_ABORTED_BY_CALLBACK && c->stop != NULL && *c->stop != 0)
			snprintf(err, errlen, "interrupted");
		else if (b.overflow)
			snprintf(err, errlen, "coordinator answer larger than %u bytes",
			         (unsigned)CLI_MAX_RESPONSE_BYTES);
		else
			snprintf(err, errlen, "cannot reach the coordinator at %.512s: %s", url,
			         curlerr[0] != '\0' ? curlerr : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (b.data != NULL)
		j = json_loadb(b.data, b.len, 0, &jerr);
	if (status == 401) {
		snprintf(err, errlen,
		         "the coordinator rejected the API token from %s (HTTP 401); is it the "
		         "coordinator's api_token_file?",
		         c->token_file);
		goto out;
	}
	if (status < 200 || status > 299) {
		const char *msg = json_string_value(json_object_get(j, "error"));

		if (msg == NULL)
			msg = b.data != NULL ? b.data : "(no body)";
		snprintf(err, errlen, "the coordinator answered HTTP %ld: %s", status,
		         log_escape(esc, sizeof(esc), msg, strlen(msg)));
		goto out;
	}
	if (j == NULL) {
		snprintf(err, errlen, "the coordinator's answer is not JSON: %s", jerr.text);
		goto out;
	}
	*doc = j;
	j = NULL;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	json_decref(j);
	httpbuf_free(&b);
	curl_slist_free_all(hdrs);
	if (h != NULL)
		curl_easy_cleanup(h);
	memset(auth, 0, sizeof(auth));
	return rc;
}

/* Resolve defaults, apply the transport rule, read the token. */
static int s_conn_ready(struct s_conn *c, char *err, size_t errlen)
{
	if (c->coordinator == NULL)
		c->coordinator = CLI_DEFAULT_COORDINATOR;
	if (c->token_file == NULL) {
		const char *env = getenv(CLI_TOKEN_ENV);
		c->token_file = env != NULL && env[0] != '\0' ? env : CLI_DEFAULT_TOKEN_FILE;
	}
	if (cli_check_coordinator_url(c->coordinator, err, errlen) != 0)
		return -1;
	return s_read_token(c->token_file, c->token, sizeof(c->token), err, errlen);
}

int cli_parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                    unsigned long *out, char *err, size_t errlen)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
		snprintf(err, errlen, "%s \"%s\": expected an integer in %lu..%lu", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* ---- vantage check ---- */

void cli_check_usage_shared(FILE *f)
{
	fprintf(f,
	        "  --issuer-domain D       CAA: the CA's issuer domain (default %s)\n"
	        "  --account-uri URI       CAA: the ACME account URL, for accounturi records\n"
	        "  --no-caa                skip the CAA check\n"
	        "  --region R              only vantages in region R (repeatable)\n"
	        "  --coordinator URL       coordinator API (default %s)\n"
	        "  --token-file F          API token (default $%s, else %s)\n"
	        "  --cacert F              CA bundle for an https:// coordinator\n"
	        "  --budget-ms N           per-vantage time budget (%d..%d)\n"
	        "  --min-answers N         fewer answers make the verdict unknown\n",
	        CAA_DEFAULT_ISSUER, CLI_DEFAULT_COORDINATOR, CLI_TOKEN_ENV, CLI_DEFAULT_TOKEN_FILE,
	        JOB_MIN_BUDGET_MS, JOB_MAX_BUDGET_MS);
}

static void s_check_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage check DOMAIN... [options]\n"
	        "\n"
	        "Ask the coordinator's vantages to validate DOMAIN as Let's Encrypt would, by\n"
	        "every method asked for, then check CAA as Let's Encrypt does after a successful\n"
	        "validation.  Without --key-authorization, --digest, --txt or --webroot, checks\n"
	        "reachability with a random token, or --token's (a 404 from the server still\n"
	        "counts as reachable; for dns-01, every authoritative nameserver answering does).\n"
	        "\n"
	        "  --method M[,M...]       http-01 (default), tls-alpn-01, dns-01, caa or all\n"
	        "                          (every method and CAA); repeatable; tls-cert: the\n"
	        "                          certificate on port 443 and its expiry (no CAA\n"
	        "                          check unless a challenge method or caa is named)\n"
	        "  --key-authorization KA  validate a real challenge TOKEN.THUMBPRINT (one "
	        "domain)\n"
	        "  --digest D              tls-alpn-01/dns-01: validate against SHA-256(KA), 64 "
	        "hex\n"
	        "                          or 43 base64url characters (what uacme gives hooks)\n"
	        "  --txt VALUE             dns-01: the expected TXT value (the base64url "
	        "digest)\n"
	        "  --webroot DIR           http-01: write a random challenge into\n"
	        "                          DIR/.well-known/acme-challenge/, validate it, remove "
	        "it\n"
	        "  --token T               http-01 reachability with this challenge token (1..%d\n"
	        "                          base64url characters) instead of a random one\n"
	        "  --this-host             run on the web server itself: warn (NotThisHost)\n"
	        "                          when a vantage resolves the name to an address\n"
	        "                          this machine does not have\n",
	        LIMIT_TOKEN_LEN);
	cli_check_usage_shared(f);
	fputs("  --json                  print the JSON document\n"
	      "  --no-color              no ANSI colours in the table\n"
	      "  --nagios                print one Nagios/Icinga plugin line (with perfdata)\n"
	      "                          and exit with the plugin's status\n"
	      "  --help                  this text\n"
	      "\n"
	      "Exit status: 0 pass, 1 a vantage failed, 2 usage or coordinator error,\n"
	      "3 unknown (a vantage did not answer, or too few answered).\n"
	      "With --nagios: 0 OK, 1 WARNING (passed, but a warning such as broken IPv6, or\n"
	      "a certificate past its renewal point), 2 CRITICAL (a vantage failed, or a\n"
	      "certificate close to expiry or expired), 3 UNKNOWN (a vantage did not answer,\n"
	      "or a usage or coordinator error).\n",
	      f);
}

enum {
	OPT_METHOD = 256,
	OPT_KA,
	OPT_DIGEST,
	OPT_TXT,
	OPT_WEBROOT,
	OPT_ISSUER,
	OPT_ACCOUNT,
	OPT_NO_CAA,
	OPT_REGION,
	OPT_COORD,
	OPT_TOKEN_FILE,
	OPT_CACERT,
	OPT_BUDGET,
	OPT_MIN_ANSWERS,
	OPT_JSON,
	OPT_NO_COLOR,
	OPT_HELP,
	OPT_RIR,
	OPT_PRIMARY,
	OPT_TTL,
	OPT_ENDPOINT,
	OPT_CLOUD_INIT,
	OPT_TEMPLATE,
	OPT_PACKAGE_URL,
	OPT_PACKAGE_SHA256,
	OPT_NAGIOS,
	OPT_SINCE,
	OPT_LIMIT,
	OPT_DOMAIN,
	OPT_INTERVAL,
	OPT_POLICY,
	OPT_CAA,
	OPT_TOKEN,
	OPT_THIS_HOST,
	OPT_EXTRA, /* OPT_EXTRA + i: a command's extra option i (cli_check_ext) */
};

static bool s_in(const enum vt_method *v, size_t n, enum vt_method m)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == m)
			return true;
	return false;
}

static bool s_has(const struct cli_check_opts *o, enum vt_method m)
{
	return s_in(o->methods, o->n_methods, m);
}

/* Add m to v (at most max) unless present; CAA goes to *caa. */
static void s_add_method(enum vt_method *v, size_t *n, size_t max, bool *caa, enum vt_method m)
{
	if (m == VT_METHOD_CAA) {
		*caa = true;
		return;
	}
	if (!s_in(v, *n, m) && *n < max)
		v[(*n)++] = m;
}

/* One --method argument: names separated by commas, into v (at most max),
 * CAA into *caa.  "all" is the three challenges and CAA. */
static int s_parse_method_list(const char *arg, enum vt_method *v, size_t *n, size_t max, bool *caa,
                               char *err, size_t errlen)
{
	const char *p = arg;

	for (size_t guard = 0; guard <= strlen(arg); guard++) {
		size_t len = strcspn(p, ",");
		char name[CLI_METHOD_NAME_LEN];
		enum vt_method m;

		if (len == 0 || len >= sizeof(name)) {
			snprintf(err, errlen,
			         "--method \"%s\": expected names separated by commas (http-01, "
			         "tls-alpn-01, dns-01, tls-cert, caa, all)",
			         arg);
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (strcmp(name, "all") == 0) {
			s_add_method(v, n, max, caa, VT_METHOD_HTTP01);
			s_add_method(v, n, max, caa, VT_METHOD_TLSALPN01);
			s_add_method(v, n, max, caa, VT_METHOD_DNS01);
			s_add_method(v, n, max, caa, VT_METHOD_CAA);
		} else {
			m = vt_method_parse(name);
			if (m == VT_METHOD_NONE) {
				snprintf(err, errlen,
				         "--method \"%s\": unknown method (try http-01, "
				         "tls-alpn-01, dns-01, tls-cert, caa or all)",
				         name);
				return -1;
			}
			s_add_method(v, n, max, caa, m);
		}
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
	snprintf(err, errlen, "--method \"%s\": malformed list", arg);
	return -1;
}

/* Is a challenge (not tls-cert, not caa) among o's methods? */
static bool s_has_challenge(const struct cli_check_opts *o)
{
	return s_has(o, VT_METHOD_HTTP01) || s_has(o, VT_METHOD_TLSALPN01) ||
	       s_has(o, VT_METHOD_DNS01);
}

/* Does o's request get a CAA check?  (cli_check_body's rule.) */
static bool s_wants_caa(const struct cli_check_opts *o)
{
	return !o->no_caa && (o->caa_named || s_has_challenge(o));
}

/* --issuer-domain: a plain domain name (letters, digits, '-', '.'). */
static int s_check_issuer(const char *d, char *err, size_t errlen)
{
	size_t n = strlen(d);

	if (n == 0 || n > LIMIT_CAA_ISSUER_LEN || strchr(d, '.') == NULL) {
		snprintf(err, errlen, "--issuer-domain \"%s\": expected a domain name such as %s",
		         d, CAA_DEFAULT_ISSUER);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = d[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.')) {
			snprintf(err, errlen, "--issuer-domain \"%s\": invalid character '%c'", d,
			         c);
			return -1;
		}
	}
	return 0;
}

/* --account-uri: a CAA accounturi value (RFC 8659 4.2: no spaces, no ';'). */
static int s_check_account_uri(const char *u, char *err, size_t errlen)
{
	size_t n = strlen(u);

	if (n == 0 || n > LIMIT_URL_LEN || strstr(u, "://") == NULL) {
		snprintf(err, errlen,
		         "--account-uri: expected the ACME account URL (1..%d "
		         "characters), e.g. https://acme-v02.api.letsencrypt.org/acme/"
		         "acct/123",
		         LIMIT_URL_LEN);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (u[i] < 0x21 || u[i] > 0x7e || u[i] == ';') {
			snprintf(err, errlen,
			         "--account-uri: character %zu is not allowed in a CAA accounturi "
			         "(printable ASCII, no spaces or ';')",
			         i + 1);
			return -1;
		}
	}
	return 0;
}

/* The rules between methods and the challenge options, after parsing. */
static int s_check_combination(struct cli_check_opts *o, char *err, size_t errlen)
{
	int secrets = (o->ka != NULL) + (o->digest != NULL) + (o->txt != NULL);
	uint8_t raw[32];
	char sub[128];

	if (o->n_methods == 0 && !o->caa_named)
		o->methods[o->n_methods++] = VT_METHOD_HTTP01;
	if (o->no_caa && o->caa_named) {
		snprintf(err, errlen, "--no-caa contradicts --method caa/all");
		return -1;
	}
	if (o->no_caa && (o->issuer != NULL || o->account_uri != NULL)) {
		snprintf(err, errlen,
		         "--issuer-domain and --account-uri need the CAA check; drop "
		         "--no-caa");
		return -1;
	}
	if (s_has(o, VT_METHOD_TLSCERT) && !s_has_challenge(o) &&
	    (secrets > 0 || o->webroot != NULL)) {
		snprintf(err, errlen,
		         "tls-cert checks the certificate on port 443 and needs no challenge: "
		         "drop --key-authorization, --digest, --txt and --webroot, or add a "
		         "challenge method");
		return -1;
	}
	if (!s_wants_caa(o) && !o->no_caa && (o->issuer != NULL || o->account_uri != NULL)) {
		snprintf(err, errlen,
		         "--issuer-domain and --account-uri need the CAA check: add --method caa "
		         "(tls-cert alone has none)");
		return -1;
	}
	if (secrets + (o->webroot != NULL) > 1) {
		snprintf(err, errlen,
		         "--key-authorization, --digest, --txt and --webroot are "
		         "mutually exclusive");
		return -1;
	}
	if (o->token != NULL) {
		size_t n = strlen(o->token);

		if (secrets > 0 || o->webroot != NULL) {
			snprintf(err, errlen,
			         "--token is the token of a reachability check: with "
			         "--key-authorization, --digest, --txt or --webroot the challenge "
			         "brings its own; drop --token");
			return -1;
		}
		if (!s_has(o, VT_METHOD_HTTP01)) {
			snprintf(
			        err, errlen,
			        "--token is an HTTP-01 challenge token (the last part of the URL): "
			        "use it with --method http-01");
			return -1;
		}
		if (n == 0 || n > LIMIT_TOKEN_LEN || !s_is_b64url(o->token, n)) {
			snprintf(err, errlen,
			         "--token \"%.*s\": expected 1..%d base64url characters (A-Z a-z "
			         "0-9 - _)",
			         LIMIT_TOKEN_LEN, o->token, LIMIT_TOKEN_LEN);
			return -1;
		}
	}
	if (o->webroot != NULL && (!s_has(o, VT_METHOD_HTTP01) || s_has(o, VT_METHOD_TLSALPN01) ||
	                           s_has(o, VT_METHOD_DNS01))) {
		snprintf(err, errlen,
		         "--webroot writes an HTTP-01 challenge file: use it with "
		         "--method http-01 only");
		return -1;
	}
	if (o->digest != NULL || o->txt != NULL) {
		const char *opt = o->digest != NULL ? "--digest" : "--txt";
		const char *val = o->digest != NULL ? o->digest : o->txt;

		if (o->txt != NULL && !s_has(o, VT_METHOD_DNS01)) {
			snprintf(err, errlen,
			         "--txt is the DNS-01 record value: use it with "
			         "--method dns-01");
			return -1;
		}
		if (s_has(o, VT_METHOD_HTTP01) ||
		    (!s_has(o, VT_METHOD_TLSALPN01) && !s_has(o, VT_METHOD_DNS01))) {
			snprintf(err, errlen,
			         "%s validates only tls-alpn-01 and dns-01 (http-01 needs the key "
			         "authorization itself): use --method tls-alpn-01 or dns-01",
			         opt);
			return -1;
		}
		if (keyauth_digest_parse(val, raw, sub, sizeof(sub)) != 0) {
			snprintf(err, errlen,
			         "%s \"%s\": expected SHA-256(key authorization) as 64 hex or 43 "
			         "base64url characters (%s)",
			         opt, val, sub);
			return -1;
		}
	}
	return 0;
}

int cli_check_parse(int argc, char **argv, struct cli_check_opts *o, char *err, size_t errlen)
{
	return cli_check_parse_ext(argc, argv, NULL, o, err, errlen);
}

int cli_check_parse_ext(int argc, char **argv, const struct cli_check_ext *ext,
                        struct cli_check_opts *o, char *err, size_t errlen)
{
	static const struct option base[] = {
	        {"method", required_argument, NULL, OPT_METHOD},
	        {"key-authorization", required_argument, NULL, OPT_KA},
	        {"digest", required_argument, NULL, OPT_DIGEST},
	        {"txt", required_argument, NULL, OPT_TXT},
	        {"webroot", required_argument, NULL, OPT_WEBROOT},
	        {"issuer-domain", required_argument, NULL, OPT_ISSUER},
	        {"account-uri", required_argument, NULL, OPT_ACCOUNT},
	        {"no-caa", no_argument, NULL, OPT_NO_CAA},
	        {"region", required_argument, NULL, OPT_REGION},
	        {"coordinator", required_argument, NULL, OPT_COORD},
	        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	        {"cacert", required_argument, NULL, OPT_CACERT},
	        {"budget-ms", required_argument, NULL, OPT_BUDGET},
	        {"min-answers", required_argument, NULL, OPT_MIN_ANSWERS},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"no-color", no_argument, NULL, OPT_NO_COLOR},
	        {"nagios", no_argument, NULL, OPT_NAGIOS},
	        {"token", required_argument, NULL, OPT_TOKEN},
	        {"this-host", no_argument, NULL, OPT_THIS_HOST},
	        {"help", no_argument, NULL, OPT_HELP},
	};
	enum { N_BASE = sizeof(base) / sizeof(base[0]) };
	struct option opts[N_BASE + CLI_MAX_EXTRA_OPTS + 1];
	size_t n_extra = ext != NULL ? ext->n_extra : 0;
	bool only_challenge = ext != NULL && ext->challenge_only;
	const char *cmd = ext != NULL && ext->cmd != NULL ? ext->cmd : "check";
	int c;

	memset(o, 0, sizeof(*o));
	if (n_extra > CLI_MAX_EXTRA_OPTS) {
		snprintf(err, errlen, "at most %d extra options", CLI_MAX_EXTRA_OPTS);
		return -1;
	}
	memcpy(opts, base, sizeof(base));
	for (size_t i = 0; i < n_extra; i++) {
		opts[N_BASE + i] = (struct option){ext->extra[i].name, required_argument, NULL,
		                                   OPT_EXTRA + (int)i};
		ext->extra[i].value = NULL;
	}
	opts[N_BASE + n_extra] = (struct option){NULL, 0, NULL, 0};
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c >= OPT_EXTRA && c < OPT_EXTRA + (int)n_extra) {
			ext->extra[c - OPT_EXTRA].value = optarg;
			continue;
		}
		switch (c) {
		case OPT_METHOD:
			if (s_parse_method_list(optarg, o->methods, &o->n_methods, CLI_MAX_METHODS,
			                        &o->caa_named, err, errlen) != 0)
				return -1;
			break;
		case OPT_KA:
			o->ka = optarg;
			break;
		case OPT_DIGEST:
			o->digest = optarg;
			break;
		case OPT_TXT:
			o->txt = optarg;
			break;
		case OPT_WEBROOT:
			if (only_challenge) {
				snprintf(err, errlen,
				         "--webroot does not go with %s: the challenge belongs to "
				         "the ACME client, which has put it in place; give its "
				         "--key-authorization (or --txt for dns-01), or nothing "
				         "to wait for reachability",
				         cmd);
				return -1;
			}
			o->webroot = optarg;
			break;
		case OPT_TOKEN:
			o->token = optarg;
			break;
		case OPT_THIS_HOST:
			o->this_host = true;
			break;
		case OPT_ISSUER:
			if (s_check_issuer(optarg, err, errlen) != 0)
				return -1;
			o->issuer = optarg;
			break;
		case OPT_ACCOUNT:
			if (s_check_account_uri(optarg, err, errlen) != 0)
				return -1;
			o->account_uri = optarg;
			break;
		case OPT_NO_CAA:
			o->no_caa = true;
			break;
		case OPT_REGION:
			if (o->n_regions >= CLI_MAX_REGIONS) {
				snprintf(err, errlen, "--region given more than %d times",
				         CLI_MAX_REGIONS);
				return -1;
			}
			if (optarg[0] == '\0' || strlen(optarg) > LIMIT_REGION_LEN) {
				snprintf(err, errlen, "--region: length must be 1..%d",
				         LIMIT_REGION_LEN);
				return -1;
			}
			o->regions[o->n_regions++] = optarg;
			break;
		case OPT_COORD:
			o->coordinator = optarg;
			break;
		case OPT_TOKEN_FILE:
			o->token_file = optarg;
			break;
		case OPT_CACERT:
			o->cacert = optarg;
			break;
		case OPT_BUDGET:
			if (cli_parse_ulong("--budget-ms", optarg, JOB_MIN_BUDGET_MS,
			                    JOB_MAX_BUDGET_MS, &o->budget_ms, err, errlen) != 0)
				return -1;
			break;
		case OPT_MIN_ANSWERS:
			if (cli_parse_ulong("--min-answers", optarg, 1, LIMIT_AGENTS,
			                    &o->min_answers, err, errlen) != 0)
				return -1;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case OPT_NAGIOS:
			if (only_challenge) {
				snprintf(
				        err, errlen,
				        "--nagios does not go with %s (the plugin line is `vantage "
				        "check`'s); --json gives a machine-readable result",
				        cmd);
				return -1;
			}
			o->nagios = true;
			break;
		case 'h':
		case OPT_HELP:
			return 1;
		default:
			snprintf(err, errlen, "unknown or incomplete option \"%s\"",
			         optind > 0 && optind <= argc ? argv[optind - 1] : "?");
			return -1;
		}
	}
	if (o->nagios && o->json) {
		snprintf(err, errlen, "--nagios and --json are mutually exclusive");
		return -1;
	}
	if (only_challenge && s_has(o, VT_METHOD_TLSCERT)) {
		snprintf(err, errlen,
		         "tls-cert does not go with %s, which waits for an ACME challenge: "
		         "tls-cert has none (`vantage check --method tls-cert` checks a "
		         "certificate); use http-01, tls-alpn-01, dns-01 or caa",
		         cmd);
		return -1;
	}
	o->first_domain = optind;
	if (s_check_combination(o, err, errlen) != 0)
		return -1;
	if (cli_check_domains(argc - optind, argv + optind,
	                      o->ka != NULL || o->digest != NULL || o->txt != NULL,
	                      o->webroot != NULL, err, errlen) != 0)
		return -1;
	if (o->this_host && only_challenge) {
		snprintf(err, errlen, "--this-host does not go with %s; use `vantage check`", cmd);
		return -1;
	}
	return cli_check_names(argc - optind, argv + optind, o->methods, o->n_methods,
	                       s_wants_caa(o), err, errlen);
}

int cli_check_names(int n_domains, char *const *domains, const enum vt_method *methods,
                    size_t n_methods, bool caa, char *err, size_t errlen)
{
	char norm[LIMIT_DOMAIN_LEN + 1];
	unsigned mask = names_methods_mask(methods, n_methods, caa);

	for (int i = 0; i < n_domains; i++)
		if (names_check(domains[i], mask, norm, NULL, err, errlen) != 0)
			return -1;
	return 0;
}

json_t *cli_check_body(const struct cli_check_opts *o, char *const *domains, int n, const char *ka)
{
	json_t *body = json_object(), *arr = json_array(), *meth = json_array();
	bool validate = ka != NULL || o->digest != NULL || o->txt != NULL;
	int bad = body == NULL || arr == NULL || meth == NULL;

	for (int i = 0; i < n && !bad; i++)
		bad |= json_array_append_new(arr, json_string(domains[i]));
	bad |= json_object_set_new(body, "domains", arr);
	arr = NULL;
	for (size_t i = 0; i < o->n_methods && !bad; i++)
		bad |= json_array_append_new(meth, json_string(vt_method_name(o->methods[i])));
	if (o->caa_named && !bad)
		bad |= json_array_append_new(meth, json_string(vt_method_name(VT_METHOD_CAA)));
	bad |= json_object_set_new(body, "methods", meth);
	meth = NULL;
	bad |= json_object_set_new(body, "caa", json_boolean(s_wants_caa(o)));
	bad |= json_object_set_new(body, "mode",
	                           json_string(validate ? "validate" : "reachability"));
	if (ka != NULL)
		bad |= json_object_set_new(body, "key_authorization", json_string(ka));
	if (o->token != NULL && !validate)
		bad |= json_object_set_new(body, "token", json_string(o->token));
	if (o->digest != NULL)
		bad |= json_object_set_new(body, "digest", json_string(o->digest));
	if (o->txt != NULL)
		bad |= json_object_set_new(body, "txt", json_string(o->txt));
	if (o->issuer != NULL)
		bad |= json_object_set_new(body, "caa_issuer", json_string(o->issuer));
	if (o->account_uri != NULL)
		bad |= json_object_set_new(body, "account_uri", json_string(o->account_uri));
	if (o->n_regions > 0) {
		json_t *r = json_array();
		bad |= r == NULL;
		for (size_t i = 0; i < o->n_regions && !bad; i++)
			bad |= json_array_append_new(r, json_string(o->regions[i]));
		bad |= json_object_set_new(body, "regions", r);
	}
	if (o->budget_ms != 0)
		bad |= json_object_set_new(body, "budget_ms",
		                           json_integer((json_int_t)o->budget_ms));
	if (o->min_answers != 0)
		bad |= json_object_set_new(body, "min_answers",
		                           json_integer((json_int_t)o->min_answers));
	if (bad) {
		json_decref(arr);
		json_decref(meth);
		json_decref(body);
		return NULL;
	}
	return body;
}

/* ---- vantage check --nagios ---- */

static const char *const s_nagios_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

/* What cli_nagios_line gathers from a report document. */
struct s_nagios {
	size_t n_checks, vantages, passed_min;
	bool any_results;
	double duration_max; /* seconds */
	const json_t *first_fail, *first_unknown;
	size_t n_fail;
	const json_t *warn_check, *warn_result; /* the first result warning */
	const char *warn_text;
	/* tls-cert: the worst certificate (and, among equals, the nearest expiry) */
	const json_t *cert_check, *cert_result;
	enum certcheck_level cert_level;
	double cert_days;
	char cert_msg[256];
	bool have_cert;
};

static bool s_passed(const json_t *r)
{
	const char *o = json_string_value(json_object_get(r, "outcome"));

	return o != NULL && (strcmp(o, "pass") == 0 || strcmp(o, "reachable") == 0);
}

static bool s_is_outcome(const json_t *r, const char *want)
{
	const char *o = json_string_value(json_object_get(r, "outcome"));

	return o != NULL && strcmp(o, want) == 0;
}

static const char *s_jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "?";
}

/* The certificate of tls-cert result r into g if it is worse: as the
 * coordinator judged it (cert_check), else judged here at now with the
 * default policy (a document from before cert_check). */
static void s_nagios_cert(struct s_nagios *g, const json_t *c, const json_t *r, int64_t now)
{
	static const struct certcheck_policy pol = {
	        MONITOR_CERT_WARN_FRACTION, MONITOR_CERT_CRIT_FRACTION, MONITOR_CERT_CRIT_DAYS};
	const json_t *cert = json_object_get(r, "cert"), *chk = json_object_get(r, "cert_check");
	const json_t *na = json_object_get(cert, "not_after_unix");
	const char *lname = json_string_value(json_object_get(chk, "level"));
	const char *given = json_string_value(json_object_get(chk, "message"));
	enum certcheck_level l = CERTCHECK_NONE;
	char msg[sizeof(g->cert_msg)];
	double days;

	if (!json_is_object(cert))
		return;
	msg[0] = '\0';
	for (int k = CERTCHECK_OK; lname != NULL && k < CERTCHECK_NONE; k++)
		if (strcmp(lname, certcheck_level_name((enum certcheck_level)k)) == 0)
			l = (enum certcheck_level)k;
	if (l != CERTCHECK_NONE && given != NULL)
		snprintf(msg, sizeof(msg), "%s", given);
	else
		l = certcheck_judge_json(cert, now, &pol, msg, sizeof(msg));
	if (l == CERTCHECK_NONE || !json_is_integer(na))
		return;
	days = (double)(json_integer_value(na) - now) / 86400.0;
	if (g->have_cert && (l < g->cert_level || (l == g->cert_level && days >= g->cert_days)))
		return;
	g->have_cert = true;
	g->cert_level = l;
	g->cert_days = days;
	g->cert_check = c;
	g->cert_result = r;
	snprintf(g->cert_msg, sizeof(g->cert_msg), "%s", msg);
}

static void s_nagios_gather(struct s_nagios *g, const json_t *checks, int64_t now)
{
	memset(g, 0, sizeof(*g));
	g->n_checks = json_array_size(checks);
	g->passed_min = SIZE_MAX;
	for (size_t i = 0; i < g->n_checks; i++) {
		const json_t *c = json_array_get(checks, i), *res = json_object_get(c, "results");
		const char *v = s_jstr(c, "verdict");
		bool tlscert = strcmp(s_jstr(c, "method"), vt_method_name(VT_METHOD_TLSCERT)) == 0;
		size_t passed = 0;

		if (strcmp(v, "fail") == 0) {
			g->n_fail++;
			if (g->first_fail == NULL)
				g->first_fail = c;
		} else if (strcmp(v, "pass") != 0 && g->first_unknown == NULL) {
			g->first_unknown = c;
		}
		if (json_array_size(res) > g->vantages)
			g->vantages = json_array_size(res);
		for (size_t k = 0; k < json_array_size(res); k++) {
			const json_t *r = json_array_get(res, k);
			const json_t *d = json_object_get(r, "duration_ms");
			const json_t *w = json_object_get(r, "warnings");

			g->any_results = true;
			passed += s_passed(r) ? 1 : 0;
			if (json_is_integer(d) &&
			    (double)json_integer_value(d) / 1000.0 > g->duration_max)
				g->duration_max = (double)json_integer_value(d) / 1000.0;
			if (g->warn_text == NULL && json_is_string(json_array_get(w, 0))) {
				g->warn_text = json_string_value(json_array_get(w, 0));
				g->warn_check = c;
				g->warn_result = r;
			}
			if (tlscert)
				s_nagios_cert(g, c, r, now);
		}
		if (passed < g->passed_min)
			g->passed_min = passed;
	}
	if (g->passed_min == SIZE_MAX)
		g->passed_min = 0;
}

/* "AGENT (REGION), AGENT (REGION)" of c's failing results, at most
 * CLI_NAGIOS_MAX_NAMED, and the first one's problem summary. */
static void s_nagios_failing(const json_t *c, char *who, size_t wholen, const char **summary)
{
	const json_t *res = json_object_get(c, "results");
	size_t named = 0, more = 0;

	who[0] = '\0';
	*summary = NULL;
	for (size_t k = 0; k < json_array_size(res); k++) {
		const json_t *r = json_array_get(res, k), *p;
		size_t o = strlen(who);

		if (!s_is_outcome(r, "fail"))
			continue;
		if (named >= CLI_NAGIOS_MAX_NAMED) {
			more++;
			continue;
		}
		snprintf(who + o, wholen - o, "%s%s (%s)", named > 0 ? ", " : "",
		         s_jstr(r, "agent"), s_jstr(r, "region"));
		named++;
		if (*summary == NULL) {
			p = json_object_get(r, "problem");
			*summary = json_string_value(json_object_get(p, "summary"));
			if (*summary == NULL)
				*summary = json_string_value(json_object_get(p, "detail"));
		}
	}
	if (more > 0) {
		size_t o = strlen(who);
		snprintf(who + o, wholen - o, " and %zu more", more);
	}
}

int cli_nagios_unknown(const char *why, char *out, size_t outlen)
{
	char esc[CLI_NAGIOS_LINE_LEN];

	log_escape(esc, sizeof(esc), why, strlen(why));
	for (char *p = esc; *p != '\0'; p++)
		if (*p == '|')
			*p = '/';
	snprintf(out, outlen, "VANTAGE UNKNOWN - %s", esc);
	return CLI_NAGIOS_UNKNOWN;
}

int cli_nagios_line(const json_t *doc, int64_t now, char *out, size_t outlen)
{
	const char *verdict = json_string_value(json_object_get(doc, "verdict"));
	const json_t *checks = json_object_get(doc, "checks");
	char sum[CLI_NAGIOS_LINE_LEN], esc[CLI_NAGIOS_LINE_LEN], perf[CLI_NAGIOS_PERF_LEN];
	char who[CLI_NAGIOS_LINE_LEN / 2] = "";
	const char *why = NULL;
	struct s_nagios g;
	size_t room, n;
	int state;

	if (!json_is_object(doc) || verdict == NULL || !json_is_array(checks) ||
	    (strcmp(verdict, "pass") != 0 && strcmp(verdict, "fail") != 0 &&
	     strcmp(verdict, "unknown") != 0))
		return cli_nagios_unknown("the coordinator's report is malformed (no verdict)", out,
		                          outlen);
	s_nagios_gather(&g, checks, now);
	if (strcmp(verdict, "fail") == 0)
		state = CLI_NAGIOS_CRITICAL;
	else if (strcmp(verdict, "unknown") == 0 || g.n_checks == 0)
		state = CLI_NAGIOS_UNKNOWN;
	else if (g.have_cert && g.cert_level >= CERTCHECK_CRITICAL)
		state = CLI_NAGIOS_CRITICAL;
	else if (g.warn_text != NULL || (g.have_cert && g.cert_level == CERTCHECK_WARNING))
		state = CLI_NAGIOS_WARNING;
	else
		state = CLI_NAGIOS_OK;

	if (g.first_fail != NULL)
		s_nagios_failing(g.first_fail, who, sizeof(who), &why);
	/* a tls-cert check fails for a critical certificate with every outcome
	 * a pass: the certificate is the news then */
	if (state == CLI_NAGIOS_CRITICAL && g.first_fail != NULL &&
	    (who[0] != '\0' || !g.have_cert || g.cert_level < CERTCHECK_CRITICAL)) {
		snprintf(sum, sizeof(sum), "%s %s fails from %s%s%s",
		         s_jstr(g.first_fail, "domain"), s_jstr(g.first_fail, "method"),
		         who[0] != '\0' ? who : "a vantage", why != NULL ? ": " : "",
		         why != NULL ? why : "");
		if (g.n_fail > 1) {
			n = strlen(sum);
			snprintf(sum + n, sizeof(sum) - n, " (%zu checks fail)", g.n_fail);
		}
	} else if (state == CLI_NAGIOS_UNKNOWN && g.first_unknown != NULL) {
		const json_t *res = json_object_get(g.first_unknown, "results");
		size_t unavailable = 0;

		for (size_t k = 0; k < json_array_size(res); k++)
			unavailable += s_is_outcome(json_array_get(res, k), "unavailable") ? 1 : 0;
		snprintf(sum, sizeof(sum), "%s %s unknown: %zu of %zu vantages did not answer",
		         s_jstr(g.first_unknown, "domain"), s_jstr(g.first_unknown, "method"),
		         unavailable, json_array_size(res));
	} else if (state == CLI_NAGIOS_UNKNOWN) {
		snprintf(sum, sizeof(sum), "the report holds no check");
	} else if (g.have_cert && g.cert_level >= CERTCHECK_WARNING) {
		snprintf(sum, sizeof(sum), "%s tls-cert from %s (%s): certificate %s",
		         s_jstr(g.cert_check, "domain"), s_jstr(g.cert_result, "agent"),
		         s_jstr(g.cert_result, "region"), g.cert_msg);
	} else if (state == CLI_NAGIOS_WARNING) {
		snprintf(sum, sizeof(sum),
		         "%s %s passes from %zu/%zu vantages; warning from %s (%s): %s",
		         s_jstr(g.warn_check, "domain"), s_jstr(g.warn_check, "method"),
		         g.passed_min, g.vantages, s_jstr(g.warn_result, "agent"),
		         s_jstr(g.warn_result, "region"), g.warn_text);
	} else if (g.n_checks == 1) {
		const json_t *c = json_array_get(checks, 0);
		snprintf(sum, sizeof(sum), "%s %s passes from %zu/%zu vantages",
		         s_jstr(c, "domain"), s_jstr(c, "method"), g.passed_min, g.vantages);
	} else {
		snprintf(sum, sizeof(sum), "%zu checks pass from %zu vantages:", g.n_checks,
		         g.vantages);
		for (size_t i = 0; i < g.n_checks; i++) {
			const json_t *c = json_array_get(checks, i);
			n = strlen(sum);
			snprintf(sum + n, sizeof(sum) - n, "%s %s %s", i > 0 ? "," : "",
			         s_jstr(c, "domain"), s_jstr(c, "method"));
		}
	}
	if (state == CLI_NAGIOS_OK && g.have_cert) {
		n = strlen(sum);
		snprintf(sum + n, sizeof(sum) - n, "; certificate expires in %.1f days",
		         g.cert_days);
	}

	snprintf(perf, sizeof(perf),
	         "'vantages'=%zu;;;0;%zu 'passed'=%zu;;;0;%zu 'duration_max'=%.3fs", g.vantages,
	         g.vantages, g.passed_min, g.vantages, g.duration_max);
	if (g.have_cert) {
		n = strlen(perf);
		snprintf(perf + n, sizeof(perf) - n, " 'cert_days'=%.1f", g.cert_days);
	}
	log_escape(esc, sizeof(esc), sum, strlen(sum));
	for (char *p = esc; *p != '\0'; p++)
		if (*p == '|')
			*p = '/';
	/* the perfdata always fits: the summary is cut to leave room for it */
	room = outlen > strlen(perf) + CLI_NAGIOS_FRAME_LEN
	               ? outlen - strlen(perf) - CLI_NAGIOS_FRAME_LEN
	               : 0;
	if (strlen(esc) > room && room > 3) {
		esc[room - 3] = '\0';
		memcpy(esc + strlen(esc), "...", 4);
	} else if (strlen(esc) > room) {
		esc[0] = '\0';
	}
	snprintf(out, outlen, "VANTAGE %s - %s | %s", s_nagios_names[state], esc, perf);
	return state;
}

long cli_check_timeout_ms(const struct cli_check_opts *o)
{
	return (long)(o->budget_ms != 0 ? o->budget_ms : JOB_MAX_BUDGET_MS) + JOB_GRACE_MS +
	       CLI_HTTP_MARGIN_MS;
}

bool cli_use_color(bool no_color)
{
	return !no_color && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
}

void cli_report_out(const json_t *doc, bool json, bool no_color)
{
	if (json) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		report_print(doc, stdout, cli_use_color(no_color));
	}
}

/* Is opt among argv's arguments (before a lone "--")?  For --nagios when the
 * parse failed: the error must still come out as a plugin line. */
static bool s_argv_has(int argc, char **argv, const char *opt)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], opt) == 0)
			return true;
	return false;
}

/* An error of `vantage check`: on stderr, or as the UNKNOWN plugin line
 * on stdout under --nagios.  Returns the exit status. */
static int s_check_error(bool nagios, const char *err)
{
	char line[CLI_NAGIOS_LINE_LEN];

	if (!nagios) {
		fprintf(stderr, "vantage check: %s\n", err);
		return EXIT_USAGE;
	}
	cli_nagios_unknown(err, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
	return CLI_NAGIOS_UNKNOWN;
}

/* --this-host: NotThisHost findings from this machine's addresses
 * (thishost.h).  0, or -1 with the reason in err (the report stands). */
static int s_this_host(json_t *doc, char *err, size_t errlen)
{
	struct thishost h;

	if (thishost_addresses(&h, err, errlen) != 0)
		return -1;
	if (thishost_annotate(doc, &h) < 0) {
		snprintf(err, errlen, "cannot add the NotThisHost finding to the report");
		return -1;
	}
	return 0;
}

int cli_check_main(int argc, char **argv)
{
	struct cli_check_opts o;
	struct s_conn conn;
	struct cli_webroot wr;
	char err[CLI_ERR_LEN], token[LIMIT_TOKEN_LEN + 1];
	const char *ka = NULL;
	json_t *body = NULL, *doc = NULL;
	char *text = NULL;
	bool curl = false;
	long timeout;
	int n, r, rc = EXIT_USAGE;

	memset(&conn, 0, sizeof(conn));
	memset(&wr, 0, sizeof(wr));
	r = cli_check_parse(argc, argv, &o, err, sizeof(err));
	if (r == 1) {
		s_check_usage(stdout);
		return 0;
	}
	if (r != 0) {
		if (s_argv_has(argc, argv, "--nagios"))
			return s_check_error(true, err);
		fprintf(stderr, "vantage check: %s\n", err);
		fprintf(stderr, "Try 'vantage check --help'.\n");
		return EXIT_USAGE;
	}
	n = argc - o.first_domain;
	conn.coordinator = o.coordinator;
	conn.token_file = o.token_file;
	conn.cacert = o.cacert;
	if (o.ka != NULL) {
		if (cli_parse_key_authorization(o.ka, token, sizeof(token), err, sizeof(err)) != 0)
			goto fail;
		ka = o.ka;
	}
	if (s_conn_ready(&conn, err, sizeof(err)) != 0)
		goto fail;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, sizeof(err), "cannot initialise libcurl");
		goto fail;
	}
	curl = true;
	if (o.webroot != NULL) {
		if (cli_webroot_prepare(&wr, o.webroot, err, sizeof(err)) != 0)
			goto fail;
		ka = wr.key_authorization;
	}
	body = cli_check_body(&o, argv + o.first_domain, n, ka);
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	if (text == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (!o.nagios && isatty(STDERR_FILENO))
		fprintf(stderr, "checking %d domain(s) from the coordinator's vantages\u2026\n", n);
	timeout = cli_check_timeout_ms(&o);
	if (s_request(&conn, NULL, "/v1/checks", text, timeout, &doc, err, sizeof(err)) != 0)
		goto fail;
	cli_webroot_cleanup(&wr);
	if (o.this_host && s_this_host(doc, err, sizeof(err)) != 0)
		fprintf(stderr, "vantage check: --this-host: %s\n", err);
	if (o.nagios) {
		char line[CLI_NAGIOS_LINE_LEN];

		rc = cli_nagios_line(doc, (int64_t)time(NULL), line, sizeof(line));
		printf("%s\n", line);
	} else {
		cli_report_out(doc, o.json, o.no_color);
		rc = report_exit_code(doc);
	}
	fflush(stdout);
	goto out;
fail:
	cli_webroot_cleanup(&wr);
	rc = s_check_error(o.nagios, err);
out:
	cli_webroot_cleanup(&wr);
	free(text);
	json_decref(body);
	json_decref(doc);
	explicit_bzero(conn.token, sizeof(conn.token));
	if (curl)
		curl_global_cleanup();
	return rc;
}

/* ---- options and calls shared by agents and enroll ---- */

/* The connection options and --json, as `agents` and `enroll` take them. */
struct s_client_opts {
	const char *coordinator, *token_file, *cacert; /* NULL: defaults */
	bool json;
};

/* Take getopt's c (with arg) if it is one of s_client_opts.  True if taken. */
static bool s_client_opt(struct s_client_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_COORD:
		o->coordinator = arg;
		return true;
	case OPT_TOKEN_FILE:
		o->token_file = arg;
		return true;
	case OPT_CACERT:
		o->cacert = arg;
		return true;
	case OPT_JSON:
		o->json = true;
		return true;
	default:
		return false;
	}
}

/* s_conn_ready then s_request (method NULL: GET without body, else POST),
 * the token wiped afterwards.  The caller has run curl_global_init.  0 or -1
 * as s_request. */
static int s_call_stop(const struct s_client_opts *o, const char *method, const char *path,
                       const char *body, long timeout_ms, const volatile sig_atomic_t *stop,
                       json_t **doc, char *err, size_t errlen)
{
	struct s_conn conn;
	int rc = -1;

	*doc = NULL;
	memset(&conn, 0, sizeof(conn));
	conn.coordinator = o->coordinator;
	conn.token_file = o->token_file;
	conn.cacert = o->cacert;
	conn.stop = stop;
	if (s_conn_ready(&conn, err, errlen) != 0)
		goto out;
	rc = s_request(&conn, method, path, body, timeout_ms, doc, err, errlen);
out:
	explicit_bzero(conn.token, sizeof(conn.token));
	return rc;
}

static int s_call_m(const struct s_client_opts *o, const char *method, const char *path,
                    const char *body, long timeout_ms, json_t **doc, char *err, size_t errlen)
{
	return s_call_stop(o, method, path, body, timeout_ms, NULL, doc, err, errlen);
}

int cli_call(const char *coordinator, const char *token_file, const char *cacert,
             const char *method, const char *path, const char *body, long timeout_ms, json_t **doc,
             char *err, size_t errlen)
{
	struct s_client_opts o = {coordinator, token_file, cacert, false};

	return s_call_m(&o, method, path, body, timeout_ms, doc, err, errlen);
}

int cli_call_stoppable(const char *coordinator, const char *token_file, const char *cacert,
                       const char *method, const char *path, const char *body, long timeout_ms,
                       const volatile sig_atomic_t *stop, json_t **doc, char *err, size_t errlen)
{
	struct s_client_opts o = {coordinator, token_file, cacert, false};

	return s_call_stop(&o, method, path, body, timeout_ms, stop, doc, err, errlen);
}

static int s_call(const struct s_client_opts *o, const char *path, const char *body,
                  long timeout_ms, json_t **doc, char *err, size_t errlen)
{
	return s_call_m(o, NULL, path, body, timeout_ms, doc, err, errlen);
}

static void s_dump_json(const json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

/* ---- vantage agents ---- */

int cli_get_agents(const char *coordinator, const char *token_file, const char *cacert,
                   json_t **doc, char *err, size_t errlen)
{
	struct s_client_opts o = {coordinator, token_file, cacert, false};

	return s_call(&o, "/v1/agents", NULL, CLI_AGENTS_TIMEOUT_MS, doc, err, errlen);
}

static void s_agents_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage agents [options]\n"
	        "       vantage agents approve NAME [options]\n"
	        "       vantage agents revoke NAME [options]\n"
	        "\n"
	        "Without a command: list the coordinator's agents (from its configuration or\n"
	        "enrolled) and their state, then the open enrolment tickets (vantage enroll).\n"
	        "approve NAME: allowlist the key that dialled in with NAME's ticket; the agent\n"
	        "registers at its next dial.  Compare that key with the one the agent printed.\n"
	        "revoke NAME: refuse NAME's key from now on (disconnecting it) and drop its\n"
	        "ticket, if any.\n"
	        "\n"
	        "  --coordinator URL       coordinator API (default %s)\n"
	        "  --token-file F          API token (default $%s, else %s)\n"
	        "  --cacert F              CA bundle for an https:// coordinator\n"
	        "  --json                  print the coordinator's JSON answer\n"
	        "  --help                  this text\n"
	        "\n"
	        "Exit status: 0 ok, 2 usage or coordinator error (the coordinator's reason is\n"
	        "shown, e.g. \"NAME has not dialled in yet\").\n",
	        CLI_DEFAULT_COORDINATOR, CLI_TOKEN_ENV, CLI_DEFAULT_TOKEN_FILE);
}

/* o[key] escaped into buf; "-" when absent, not a string or empty. */
static const char *s_str(const json_t *o, const char *key, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || s[0] == '\0')
		return "-";
	return log_escape(buf, len, s, strlen(s));
}

static const char *s_bool(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return "-";
	return json_is_true(v) ? "yes" : "no";
}

static void s_print_agents(const json_t *doc, FILE *out)
{
	const json_t *arr = json_object_get(doc, "agents");
	char name[LIMIT_AGENT_NAME_LEN * 4 + 1], region[LIMIT_REGION_LEN * 4 + 1];
	char rir[LIMIT_REGION_LEN * 4 + 1], state[64], version[128], seen[32], source[64];
	size_t n = json_array_size(arr);

	fprintf(out, "%-16s %-14s %-8s %-7s %-8s %-6s %-4s %-4s %-8s %s\n", "NAME", "REGION", "RIR",
	        "PRIMARY", "SOURCE", "STATE", "IPV4", "IPV6", "VERSION", "LAST-SEEN");
	for (size_t i = 0; i < n && i < LIMIT_AGENTS; i++) {
		const json_t *a = json_array_get(arr, i);
		const json_t *ls = json_object_get(a, "last_seen_ms");

		if (json_is_integer(ls) && json_integer_value(ls) >= 0) {
			json_int_t ms = json_integer_value(ls);
			if (ms < 1000)
				snprintf(seen, sizeof(seen), "%lldms ago", (long long)ms);
			else
				snprintf(seen, sizeof(seen), "%.1fs ago", (double)ms / 1000.0);
		} else {
			snprintf(seen, sizeof(seen), "never");
		}
		fprintf(out, "%-16s %-14s %-8s %-7s %-8s %-6s %-4s %-4s %-8s %s\n",
		        s_str(a, "name", name, sizeof(name)),
		        s_str(a, "region", region, sizeof(region)),
		        s_str(a, "rir", rir, sizeof(rir)), s_bool(a, "primary"),
		        s_str(a, "source", source, sizeof(source)),
		        s_str(a, "state", state, sizeof(state)), s_bool(a, "ipv4"),
		        s_bool(a, "ipv6"), s_str(a, "version", version, sizeof(version)), seen);
	}
	if (n == 0)
		fprintf(out, "(no agents configured or enrolled)\n");
}

/* The "enrollments" of GET /v1/agents, when there are any, and how to go on
 * with the claimed ones. */
static void s_print_enrollments(const json_t *doc, FILE *out)
{
	const json_t *arr = json_object_get(doc, "enrollments");
	char name[LIMIT_AGENT_NAME_LEN * 4 + 1], region[LIMIT_REGION_LEN * 4 + 1];
	char rir[LIMIT_REGION_LEN * 4 + 1], state[64], key[KEY_Z85_LEN * 4 + 1];
	char addr[LIMIT_ADDR_LEN * 4 + 16], expires[CLI_TIME_LEN * 4 + 1];
	char claimed_name[LIMIT_AGENT_NAME_LEN + 1] = "";
	size_t n = json_array_size(arr), claimed = 0;

	if (n == 0)
		return;
	fprintf(out, "\nEnrolments:\n%-16s %-14s %-8s %-8s %-40s %-16s %s\n", "NAME", "REGION",
	        "RIR", "STATE", "KEY", "FROM", "EXPIRES");
	for (size_t i = 0; i < n && i < LIMIT_AGENTS; i++) {
		const json_t *e = json_array_get(arr, i);
		const char *st = json_string_value(json_object_get(e, "state"));
		const char *nm = json_string_value(json_object_get(e, "name"));

		if (st != NULL && strcmp(st, "claimed") == 0) {
			claimed++;
			if (nm != NULL && keys_valid_name(nm))
				snprintf(claimed_name, sizeof(claimed_name), "%s", nm);
		}
		fprintf(out, "%-16s %-14s %-8s %-8s %-40s %-16s %s\n",
		        s_str(e, "name", name, sizeof(name)),
		        s_str(e, "region", region, sizeof(region)),
		        s_str(e, "rir", rir, sizeof(rir)), s_str(e, "state", state, sizeof(state)),
		        s_str(e, "key", key, sizeof(key)), s_str(e, "address", addr, sizeof(addr)),
		        s_str(e, "expires", expires, sizeof(expires)));
	}
	/* the hint names the agent only when it is unambiguous */
	if (claimed > 0)
		fprintf(out,
		        "approve with: vantage agents approve %s  (after checking that KEY is the "
		        "public key the agent printed)\n",
		        claimed == 1 && claimed_name[0] != '\0' ? claimed_name : "NAME");
}

/* `vantage agents approve|revoke NAME`: POST /v1/agents/NAME/VERB. */
static int s_agents_action(const struct s_client_opts *o, const char *verb, const char *name)
{
	char path[CLI_URL_MAX], err[CLI_ERR_LEN];
	json_t *doc = NULL;
	int rc = EXIT_USAGE;

	/* the name goes into the URL path: only agent-name characters */
	if (!keys_valid_name(name)) {
		fprintf(stderr,
		        "vantage agents %s: invalid agent name (want [A-Za-z0-9._-], 1..%d "
		        "characters, not starting with '.')\n",
		        verb, LIMIT_AGENT_NAME_LEN);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/agents/%s/%s", name, verb);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "vantage agents %s: cannot initialise libcurl\n", verb);
		return EXIT_USAGE;
	}
	/* an empty JSON object: the name is in the path */
	if (s_call(o, path, "{}", CLI_ENROLL_TIMEOUT_MS, &doc, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage agents %s: %s\n", verb, err);
		goto out;
	}
	if (o->json)
		s_dump_json(doc);
	else if (strcmp(verb, "approve") == 0)
		printf("approved %s: it registers at its next dial (within a few seconds)\n", name);
	else if (json_is_true(json_object_get(doc, "was_up")))
		printf("revoked %s (it was connected: told to disconnect; its key is refused from "
		       "now on)\n",
		       name);
	else
		printf("revoked %s (its key is refused from now on)\n", name);
	rc = 0;
out:
	json_decref(doc);
	curl_global_cleanup();
	return rc;
}

int cli_agents_main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"coordinator", required_argument, NULL, OPT_COORD},
	        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	        {"cacert", required_argument, NULL, OPT_CACERT},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, OPT_HELP},
	        {NULL, 0, NULL, 0},
	};
	struct s_client_opts o = {NULL, NULL, NULL, false};
	char err[CLI_ERR_LEN];
	json_t *doc = NULL;
	int c, nargs, rc = EXIT_USAGE;

	opterr = 0;
	optind = 0;
	/* GNU getopt permutes: options may come before or after "approve NAME" */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (s_client_opt(&o, c, optarg))
			continue;
		if (c == 'h' || c == OPT_HELP) {
			s_agents_usage(stdout);
			return 0;
		}
		fprintf(stderr, "vantage agents: unknown or incomplete option \"%s\"\n",
		        optind > 0 && optind <= argc ? argv[optind - 1] : "?");
		s_agents_usage(stderr);
		return EXIT_USAGE;
	}
	nargs = argc - optind;
	if (nargs >= 1 &&
	    (strcmp(argv[optind], "approve") == 0 || strcmp(argv[optind], "revoke") == 0)) {
		if (nargs != 2) {
			fprintf(stderr, "vantage agents %s: give exactly one agent NAME\n",
			        argv[optind]);
			s_agents_usage(stderr);
			return EXIT_USAGE;
		}
		return s_agents_action(&o, argv[optind], argv[optind + 1]);
	}
	if (nargs > 0) {
		fprintf(stderr, "vantage agents: unexpected argument \"%s\" (approve or revoke?)\n",
		        argv[optind]);
		s_agents_usage(stderr);
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "vantage agents: cannot initialise libcurl\n");
		return EXIT_USAGE;
	}
	if (s_call(&o, "/v1/agents", NULL, CLI_AGENTS_TIMEOUT_MS, &doc, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage agents: %s\n", err);
		goto out;
	}
	if (o.json) {
		s_dump_json(doc);
	} else {
		s_print_agents(doc, stdout);
		s_print_enrollments(doc, stdout);
	}
	rc = 0;
out:
	json_decref(doc);
	curl_global_cleanup();
	return rc;
}

/* ---- vantage enroll: the pure parts ---- */

static const char s_z85_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

static bool s_is_z85_key(const char *s)
{
	if (strnlen(s, KEY_Z85_LEN + 1) != KEY_Z85_LEN)
		return false;
	for (size_t i = 0; i < KEY_Z85_LEN; i++)
		if (strchr(s_z85_alphabet, s[i]) == NULL)
			return false;
	return true;
}

/* An enrolment token: [0-9A-Za-z]{1,LIMIT_ENROLL_TOKEN_LEN}. */
static bool s_is_enroll_token(const char *s)
{
	size_t n = strnlen(s, LIMIT_ENROLL_TOKEN_LEN + 1);

	if (n == 0 || n > LIMIT_ENROLL_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* Printable ASCII, no space, quote or backslash: safe between quotes of any
 * kind and on one line. */
static bool s_is_plain(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '\'' || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

/* secs as the largest whole unit: "7d", "5m", "90s". */
static void s_duration_text(uint32_t secs, char *buf, size_t len)
{
	if (secs % 86400 == 0)
		snprintf(buf, len, "%ud", secs / 86400);
	else if (secs % 3600 == 0)
		snprintf(buf, len, "%uh", secs / 3600);
	else if (secs % 60 == 0)
		snprintf(buf, len, "%um", secs / 60);
	else
		snprintf(buf, len, "%us", secs);
}

int cli_parse_duration(const char *s, uint32_t *secs, char *err, size_t errlen)
{
	return cli_parse_duration_range(s, 1, ENROLL_MAX_TTL_S, secs, err, errlen);
}

int cli_parse_duration_range(const char *s, uint32_t lo, uint32_t hi, uint32_t *secs, char *err,
                             size_t errlen)
{
	unsigned long v, unit;
	char hitext[32];
	char *end = NULL;

	/* strtoul alone would take " 5", "+5" and "-5" */
	if (s[0] < '0' || s[0] > '9')
		goto bad;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s)
		goto bad;
	switch (*end) {
	case '\0':
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		goto bad;
	}
	if (*end != '\0' && end[1] != '\0')
		goto bad;
	if (v > (unsigned long)hi / unit || v * unit < lo) {
		s_duration_text(hi, hitext, sizeof(hitext));
		snprintf(err, errlen, "duration \"%s\": must be %us .. %us (%s)", s, lo, hi,
		         hitext);
		return -1;
	}
	*secs = (uint32_t)(v * unit);
	return 0;
bad:
	snprintf(err, errlen, "duration \"%s\": expected N, Ns, Nm, Nh or Nd (e.g. 24h)", s);
	return -1;
}

/* Split "tcp://HOST:PORT" into host (brackets kept for IPv6) and port.
 * HOST: [A-Za-z0-9._-]+ or an IPv4 address, or [IPv6].  0 or -1. */
static int s_endpoint_split(const char *e, char *host, size_t hostlen, unsigned long *port)
{
	static const char scheme[] = "tcp://";
	const char *h, *colon, *p;
	char inner[CLI_ENDPOINT_LEN];
	unsigned char a[sizeof(struct in6_addr)];
	size_t hl;
	char *end = NULL;

	if (strnlen(e, CLI_ENDPOINT_LEN) >= CLI_ENDPOINT_LEN ||
	    strncmp(e, scheme, strlen(scheme)) != 0)
		return -1;
	h = e + strlen(scheme);
	if (h[0] == '[') {
		const char *close = strchr(h, ']');
		if (close == NULL || close[1] != ':' || close - h < 3)
			return -1;
		memcpy(inner, h + 1, (size_t)(close - h - 1));
		inner[close - h - 1] = '\0';
		if (inet_pton(AF_INET6, inner, a) != 1)
			return -1;
		colon = close + 1;
	} else {
		colon = strrchr(h, ':');
		if (colon == NULL || colon == h)
			return -1;
		for (const char *c = h; c < colon; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_'))
				return -1;
	}
	hl = (size_t)(colon - h);
	if (hl >= hostlen)
		return -1;
	p = colon + 1;
	if (p[0] < '0' || p[0] > '9')
		return -1;
	errno = 0;
	*port = strtoul(p, &end, 10);
	if (errno != 0 || *end != '\0' || *port == 0 || *port > 65535)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	return 0;
}

/* Could an agent dial host (from s_endpoint_split)?  Not a wildcard, not a
 * dot-less name (ZeroMQ binds interface names such as eth0). */
static bool s_host_concrete(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];
	char inner[CLI_ENDPOINT_LEN];
	size_t n = strlen(host);

	if (host[0] == '[' && n >= 3 && n - 2 < sizeof(inner)) {
		memcpy(inner, host + 1, n - 2);
		inner[n - 2] = '\0';
		return inet_pton(AF_INET6, inner, a) == 1 &&
		       !IN6_IS_ADDR_UNSPECIFIED((const struct in6_addr *)(const void *)a);
	}
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] != 0 || a[1] != 0 || a[2] != 0 || a[3] != 0;
	return strchr(host, '.') != NULL;
}

int cli_endpoint_check(const char *what, const char *e, char *err, size_t errlen)
{
	char host[CLI_ENDPOINT_LEN], esc[CLI_ESC_LEN];
	unsigned long port;

	if (s_endpoint_split(e, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen,
		         "%s \"%s\": expected tcp://HOST:PORT (a DNS name, an IPv4 address or "
		         "[IPv6], port 1..65535)",
		         what, log_escape(esc, sizeof(esc), e, strlen(e)));
		return -1;
	}
	return 0;
}

int cli_enroll_endpoint(const char *given, const char *public_endpoint, const char *agent_endpoint,
                        char *out, size_t outlen, char *err, size_t errlen)
{
	char host[CLI_ENDPOINT_LEN], esc[CLI_ESC_LEN];
	const char *pick = NULL;
	unsigned long port = CLI_AGENT_PORT;

	if (given != NULL) {
		if (cli_endpoint_check("--endpoint", given, err, errlen) != 0)
			return -1;
		pick = given;
	} else if (public_endpoint != NULL && public_endpoint[0] != '\0') {
		if (cli_endpoint_check("the coordinator's public_endpoint", public_endpoint, err,
		                       errlen) != 0)
			return -1;
		pick = public_endpoint;
	} else if (agent_endpoint != NULL &&
	           s_endpoint_split(agent_endpoint, host, sizeof(host), &port) == 0 &&
	           s_host_concrete(host)) {
		pick = agent_endpoint;
	}
	if (pick == NULL) {
		const char *ae = agent_endpoint != NULL ? agent_endpoint : "(none)";
		snprintf(err, errlen,
		         "the coordinator has no public_endpoint: say --endpoint tcp://HOST:%lu, "
		         "or set public_endpoint in its configuration (it binds %s, which is no "
		         "address an agent can dial)",
		         port, log_escape(esc, sizeof(esc), ae, strlen(ae)));
		return -1;
	}
	if ((size_t)snprintf(out, outlen, "%s", pick) >= outlen) {
		snprintf(err, errlen, "endpoint longer than %zu characters", outlen - 1);
		return -1;
	}
	return 0;
}

int cli_shell_quote(const char *what, const char *v, char *out, size_t outlen, char *err,
                    size_t errlen)
{
	size_t o = strnlen(out, outlen), n = strlen(v);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '\'') {
			snprintf(err, errlen,
			         "%s contains a single quote: refusing to put it into a shell "
			         "command",
			         what);
			return -1;
		}
		if (c < 0x20 || c >= 0x7f) {
			snprintf(err, errlen,
			         "%s contains a control or non-ASCII character (0x%02x): refusing "
			         "to "
			         "put it into a shell command",
			         what, c);
			return -1;
		}
	}
	if (o >= outlen || n + 3 > outlen - o) {
		snprintf(err, errlen, "%s: the command would be longer than %zu characters", what,
		         outlen - 1);
		return -1;
	}
	out[o++] = '\'';
	memcpy(out + o, v, n);
	o += n;
	out[o++] = '\'';
	out[o] = '\0';
	return 0;
}

/* Append text (trusted, ours) to out.  0 or -1 when it does not fit. */
static int s_append(char *out, size_t outlen, const char *text, char *err, size_t errlen)
{
	size_t o = strnlen(out, outlen), n = strlen(text);

	if (o >= outlen || n + 1 > outlen - o) {
		snprintf(err, errlen, "the command would be longer than %zu characters",
		         outlen - 1);
		return -1;
	}
	memcpy(out + o, text, n + 1);
	return 0;
}

int cli_enroll_command(const char *endpoint, const char *key, const char *name, const char *token,
                       char *out, size_t outlen, char *err, size_t errlen)
{
	if (outlen == 0) {
		snprintf(err, errlen, "no room for the command");
		return -1;
	}
	out[0] = '\0';
	if (s_append(out, outlen, "vantage-agent enroll --coordinator ", err, errlen) != 0 ||
	    cli_shell_quote("the endpoint", endpoint, out, outlen, err, errlen) != 0 ||
	    s_append(out, outlen, " --coordinator-key ", err, errlen) != 0 ||
	    cli_shell_quote("the coordinator's key", key, out, outlen, err, errlen) != 0 ||
	    s_append(out, outlen, " --name ", err, errlen) != 0 ||
	    cli_shell_quote("the agent name", name, out, outlen, err, errlen) != 0 ||
	    s_append(out, outlen, " --token ", err, errlen) != 0 ||
	    cli_shell_quote("the token", token, out, outlen, err, errlen) != 0 ||
	    s_append(out, outlen, " && systemctl enable --now vantage-agent", err, errlen) != 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* Copy the string doc[key] into dst: absent or null gives "" when optional,
 * else an error; longer than dstlen - 1 or not printable ASCII is one. */
static int s_answer_str(const json_t *doc, const char *key, bool optional, char *dst, size_t dstlen,
                        char *err, size_t errlen)
{
	const json_t *v = json_object_get(doc, key);
	const char *s = json_string_value(v);
	size_t n;

	dst[0] = '\0';
	if (s == NULL) {
		if (optional && (v == NULL || json_is_null(v)))
			return 0;
		snprintf(err, errlen, "the coordinator's answer lacks \"%s\"", key);
		return -1;
	}
	n = strlen(s);
	if (n >= dstlen) {
		snprintf(err, errlen, "the coordinator's answer: \"%s\" is longer than %zu", key,
		         dstlen - 1);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f) {
			snprintf(err, errlen,
			         "the coordinator's answer: \"%s\" has a control or non-ASCII "
			         "character",
			         key);
			return -1;
		}
	}
	memcpy(dst, s, n + 1);
	return 0;
}

int cli_enroll_ticket(const json_t *doc, const struct cli_enroll_opts *o,
                      struct cli_enroll_ticket *t, char *err, size_t errlen)
{
	const char *pub = json_string_value(json_object_get(doc, "public_endpoint"));
	const char *bind = json_string_value(json_object_get(doc, "agent_endpoint"));

	memset(t, 0, sizeof(*t));
	if (s_answer_str(doc, "name", false, t->name, sizeof(t->name), err, errlen) != 0 ||
	    s_answer_str(doc, "region", true, t->region, sizeof(t->region), err, errlen) != 0 ||
	    s_answer_str(doc, "rir", true, t->rir, sizeof(t->rir), err, errlen) != 0 ||
	    s_answer_str(doc, "expires", false, t->expires, sizeof(t->expires), err, errlen) != 0 ||
	    s_answer_str(doc, "token", false, t->token, sizeof(t->token), err, errlen) != 0 ||
	    s_answer_str(doc, "coordinator_public_key", false, t->coordinator_key,
	                 sizeof(t->coordinator_key), err, errlen) != 0)
		goto fail;
	if (strcmp(t->name, o->name) != 0) {
		snprintf(err, errlen, "the coordinator's answer is for another agent (\"%s\")",
		         t->name);
		goto fail;
	}
	if (!s_is_enroll_token(t->token)) {
		snprintf(err, errlen,
		         "the coordinator's answer: the token is not 1..%d letters and digits",
		         LIMIT_ENROLL_TOKEN_LEN);
		goto fail;
	}
	if (!s_is_z85_key(t->coordinator_key)) {
		snprintf(
		        err, errlen,
		        "the coordinator's answer: coordinator_public_key is not %d Z85 characters",
		        KEY_Z85_LEN);
		goto fail;
	}
	t->primary = json_is_true(json_object_get(doc, "primary"));
	if (cli_enroll_endpoint(o->endpoint, pub, bind, t->endpoint, sizeof(t->endpoint), err,
	                        errlen) != 0 ||
	    cli_enroll_command(t->endpoint, t->coordinator_key, t->name, t->token, t->command,
	                       sizeof(t->command), err, errlen) != 0)
		goto fail;
	return 0;
fail:
	explicit_bzero(t->token, sizeof(t->token));
	explicit_bzero(t->command, sizeof(t->command));
	return -1;
}

static const char *const s_placeholders[CLI_PH_COUNT] = {
        [CLI_PH_COORDINATOR] = "@COORDINATOR@",
        [CLI_PH_COORDINATOR_PUBKEY] = "@COORDINATOR_PUBKEY@",
        [CLI_PH_AGENT_NAME] = "@AGENT_NAME@",
        [CLI_PH_ENROLL_TOKEN] = "@ENROLL_TOKEN@",
        [CLI_PH_PACKAGE_URL] = "@PACKAGE_URL@",
        [CLI_PH_PACKAGE_SHA256] = "@PACKAGE_SHA256@",
};

const char *cli_placeholder_name(enum cli_placeholder p)
{
	return (unsigned)p < CLI_PH_COUNT ? s_placeholders[p] : "@?@";
}

const char *cli_template_path(const char *given, char *buf, size_t buflen)
{
	if (given != NULL)
		return given;
	if ((size_t)snprintf(buf, buflen, "%s/%s", VANTAGE_DATADIR, CLI_TEMPLATE_NAME) < buflen &&
	    access(buf, R_OK) == 0)
		return buf;
	return CLI_TEMPLATE_SOURCE;
}

int cli_template_read(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *buf = NULL;
	size_t n;
	int rc = -1;

	*text = NULL;
	*len = 0;
	if (f == NULL) {
		snprintf(err, errlen,
		         "cannot read the cloud-init template %s: %s (give --template FILE)", path,
		         strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cloud-init template %s is not a regular file", path);
		goto out;
	}
	buf = malloc(CLI_TEMPLATE_MAX + 2);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* one byte more than allowed tells "too large" from "exactly the limit" */
	n = fread(buf, 1, CLI_TEMPLATE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "reading %s: %s", path, strerror(errno));
		goto out;
	}
	if (n > CLI_TEMPLATE_MAX) {
		snprintf(err, errlen, "cloud-init template %s is larger than %u bytes", path,
		         (unsigned)CLI_TEMPLATE_MAX);
		goto out;
	}
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "cloud-init template %s holds a NUL byte: not a text file",
		         path);
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* The placeholder starting at s (n bytes left), or -1. */
static int s_placeholder_at(const char *s, size_t n)
{
	for (int p = 0; p < CLI_PH_COUNT; p++) {
		size_t pl = strlen(s_placeholders[p]);
		if (pl <= n && memcmp(s, s_placeholders[p], pl) == 0)
			return p;
	}
	return -1;
}

char *cli_template_fill(const char *tmpl, size_t len, const char *const values[CLI_PH_COUNT],
                        unsigned *left, char *err, size_t errlen)
{
	size_t found[CLI_PH_COUNT] = {0}, total = 0;
	char *out = NULL;

	*left = 0;
	if (len > CLI_TEMPLATE_MAX) {
		snprintf(err, errlen, "template larger than %u bytes", (unsigned)CLI_TEMPLATE_MAX);
		return NULL;
	}
	for (int p = 0; p < CLI_PH_COUNT; p++) {
		const char *v = values[p];
		size_t n;

		if (v == NULL) {
			if (p < CLI_PH_PACKAGE_URL) {
				snprintf(err, errlen, "no value for %s", s_placeholders[p]);
				return NULL;
			}
			continue;
		}
		n = strnlen(v, CLI_FILL_VALUE_MAX + 1);
		if (n > CLI_FILL_VALUE_MAX) {
			snprintf(err, errlen, "the value for %s is longer than %d characters",
			         s_placeholders[p], CLI_FILL_VALUE_MAX);
			return NULL;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)v[i];
			if (c == '\'' || c < 0x20 || c >= 0x7f) {
				snprintf(
				        err, errlen,
				        "the value for %s holds a quote, control or non-ASCII "
				        "character (0x%02x): refusing to put it into the user data",
				        s_placeholders[p], c);
				return NULL;
			}
		}
	}
	/* pass 0 counts and sizes, pass 1 writes into exactly that much */
	for (int pass = 0; pass < 2; pass++) {
		size_t o = 0;

		for (size_t i = 0; i < len;) {
			int p = tmpl[i] == '@' ? s_placeholder_at(tmpl + i, len - i) : -1;
			const char *ins;
			size_t pl, il;

			if (p < 0) {
				if (pass == 1)
					out[o] = tmpl[i];
				o++;
				i++;
				continue;
			}
			pl = strlen(s_placeholders[p]);
			ins = values[p] != NULL ? values[p] : s_placeholders[p];
			il = strlen(ins);
			if (pass == 0)
				found[p]++;
			else
				memcpy(out + o, ins, il);
			o += il;
			i += pl;
		}
		if (pass == 1) {
			out[o] = '\0';
			break;
		}
		for (int p = 0; p < CLI_PH_PACKAGE_URL; p++) {
			if (found[p] == 0) {
				snprintf(err, errlen,
				         "the template lacks %s (an older agent.yaml? use the one "
				         "from this version)",
				         s_placeholders[p]);
				return NULL;
			}
		}
		if (o > CLI_TEMPLATE_MAX) {
			snprintf(err, errlen, "the filled user data would exceed %u bytes",
			         (unsigned)CLI_TEMPLATE_MAX);
			return NULL;
		}
		total = o;
		out = malloc(total + 1);
		if (out == NULL) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	for (int p = CLI_PH_PACKAGE_URL; p < CLI_PH_COUNT; p++)
		if (values[p] == NULL && found[p] > 0)
			*left |= 1u << p;
	return out;
}

/* ---- vantage enroll ---- */

static void s_enroll_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage enroll NAME [options]\n"
	        "\n"
	        "Open an enrolment ticket on the coordinator for a new agent NAME and print the\n"
	        "one command that enrols it (or, with --cloud-init, the VM's user data).  The\n"
	        "agent makes its own key, dials in with the one-time token and waits; approve\n"
	        "it with `vantage agents approve NAME` once `vantage agents` shows it claimed.\n"
	        "\n"
	        "  --region R              the agent's region (not needed when NAME is in the\n"
	        "                          coordinator's agents list)\n"
	        "  --rir X                 its RIR: ARIN, RIPE, APNIC, LACNIC or AFRINIC\n"
	        "  --primary               it plays Let's Encrypt's primary datacenter\n"
	        "  --ttl DURATION          how long the ticket is good: N[s|m|h|d], default 24h,\n"
	        "                          at most 7d\n"
	        "  --endpoint tcp://H:P    what the agent dials (default: the coordinator's\n"
	        "                          public_endpoint, else its agent_endpoint if that is\n"
	        "                          a concrete address)\n"
	        "  --cloud-init            print cloud-init user data instead of the command\n"
	        "  --template FILE         the user-data template; default\n"
	        "                          %s/%s,\n"
	        "                          else ./%s\n"
	        "  --package-url URL       fill in where the VM downloads vantage_*.deb\n"
	        "  --package-sha256 HEX    and its SHA-256 (else both are left to fill in)\n"
	        "  --json                  print a JSON object (token, command, ...)\n"
	        "  --coordinator URL       coordinator API (default %s)\n"
	        "  --token-file F          API token (default $%s, else %s)\n"
	        "  --cacert F              CA bundle for an https:// coordinator\n"
	        "  --help                  this text\n"
	        "\n"
	        "The output holds the one-time token: whoever has it can enrol an agent as NAME\n"
	        "until the ticket expires or is used (the key still needs your approval).\n"
	        "\n"
	        "Exit status: 0 ok, 2 usage, template or coordinator error.\n",
	        VANTAGE_DATADIR, CLI_TEMPLATE_NAME, CLI_TEMPLATE_SOURCE, CLI_DEFAULT_COORDINATOR,
	        CLI_TOKEN_ENV, CLI_DEFAULT_TOKEN_FILE);
}

/* --region / --rir: 1..LIMIT_REGION_LEN printable characters. */
static int s_check_label(const char *opt, const char *v, char *err, size_t errlen)
{
	size_t n = strnlen(v, LIMIT_REGION_LEN + 1);

	if (n == 0 || n > LIMIT_REGION_LEN) {
		snprintf(err, errlen, "%s: length must be 1..%d", opt, LIMIT_REGION_LEN);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] < 0x20 || v[i] >= 0x7f || v[i] == '"' || v[i] == '\\') {
			snprintf(err, errlen, "%s: printable ASCII only, no quotes", opt);
			return -1;
		}
	}
	return 0;
}

int cli_enroll_parse(int argc, char **argv, struct cli_enroll_opts *o, char *err, size_t errlen)
{
	static const struct option opts[] = {
	        {"region", required_argument, NULL, OPT_REGION},
	        {"rir", required_argument, NULL, OPT_RIR},
	        {"primary", no_argument, NULL, OPT_PRIMARY},
	        {"ttl", required_argument, NULL, OPT_TTL},
	        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
	        {"cloud-init", no_argument, NULL, OPT_CLOUD_INIT},
	        {"template", required_argument, NULL, OPT_TEMPLATE},
	        {"package-url", required_argument, NULL, OPT_PACKAGE_URL},
	        {"package-sha256", required_argument, NULL, OPT_PACKAGE_SHA256},
	        {"coordinator", required_argument, NULL, OPT_COORD},
	        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	        {"cacert", required_argument, NULL, OPT_CACERT},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, OPT_HELP},
	        {NULL, 0, NULL, 0},
	};
	struct s_client_opts co = {NULL, NULL, NULL, false};
	int c;

	memset(o, 0, sizeof(*o));
	o->ttl_s = ENROLL_DEFAULT_TTL_S;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (s_client_opt(&co, c, optarg))
			continue;
		switch (c) {
		case OPT_REGION:
			if (s_check_label("--region", optarg, err, errlen) != 0)
				return -1;
			o->region = optarg;
			break;
		case OPT_RIR:
			if (s_check_label("--rir", optarg, err, errlen) != 0)
				return -1;
			o->rir = optarg;
			break;
		case OPT_PRIMARY:
			o->primary = true;
			break;
		case OPT_TTL:
			if (cli_parse_duration(optarg, &o->ttl_s, err, errlen) != 0)
				return -1;
			break;
		case OPT_ENDPOINT:
			if (cli_endpoint_check("--endpoint", optarg, err, errlen) != 0)
				return -1;
			o->endpoint = optarg;
			break;
		case OPT_CLOUD_INIT:
			o->cloud_init = true;
			break;
		case OPT_TEMPLATE:
			o->template_path = optarg;
			break;
		case OPT_PACKAGE_URL:
			if ((strncmp(optarg, "https://", 8) != 0 &&
			     strncmp(optarg, "http://", 7) != 0) ||
			    !s_is_plain(optarg, CLI_FILL_VALUE_MAX)) {
				snprintf(err, errlen,
				         "--package-url: expected an http(s):// URL of at most %d "
				         "characters, without spaces or quotes",
				         CLI_FILL_VALUE_MAX);
				return -1;
			}
			o->package_url = optarg;
			break;
		case OPT_PACKAGE_SHA256:
			if (strlen(optarg) != CLI_SHA256_HEX ||
			    strspn(optarg, "0123456789abcdefABCDEF") != CLI_SHA256_HEX) {
				snprintf(
				        err, errlen,
				        "--package-sha256: expected the %d hex digits of sha256sum",
				        CLI_SHA256_HEX);
				return -1;
			}
			for (size_t i = 0; i < CLI_SHA256_HEX; i++)
				o->package_sha256[i] =
				        (char)(optarg[i] >= 'A' && optarg[i] <= 'F' ? optarg[i] + 32
				                                                    : optarg[i]);
			o->package_sha256[CLI_SHA256_HEX] = '\0';
			break;
		case 'h':
		case OPT_HELP:
			return 1;
		default:
			snprintf(err, errlen, "unknown or incomplete option \"%s\"",
			         optind > 0 && optind <= argc ? argv[optind - 1] : "?");
			return -1;
		}
	}
	o->coordinator = co.coordinator;
	o->token_file = co.token_file;
	o->cacert = co.cacert;
	o->json = co.json;
	if (argc - optind != 1) {
		snprintf(err, errlen, "give exactly one agent NAME (%d given)", argc - optind);
		return -1;
	}
	o->name = argv[optind];
	if (!keys_valid_name(o->name)) {
		snprintf(err, errlen,
		         "invalid agent name (want [A-Za-z0-9._-], 1..%d characters, not starting "
		         "with '.')",
		         LIMIT_AGENT_NAME_LEN);
		return -1;
	}
	if (!o->cloud_init &&
	    (o->template_path != NULL || o->package_url != NULL || o->package_sha256[0] != '\0')) {
		snprintf(err, errlen,
		         "--template, --package-url and --package-sha256 go with --cloud-init");
		return -1;
	}
	return 0;
}

json_t *cli_enroll_body(const struct cli_enroll_opts *o)
{
	json_t *body = json_object();
	int bad = body == NULL;

	bad = bad || json_object_set_new(body, "name", json_string(o->name)) != 0;
	if (o->region != NULL)
		bad = bad || json_object_set_new(body, "region", json_string(o->region)) != 0;
	if (o->rir != NULL)
		bad = bad || json_object_set_new(body, "rir", json_string(o->rir)) != 0;
	/* only when asked: for an agent in the main list, the coordinator
	 * refuses a primary flag that differs from the configuration's */
	if (o->primary)
		bad = bad || json_object_set_new(body, "primary", json_true()) != 0;
	bad = bad || json_object_set_new(body, "ttl_s", json_integer((json_int_t)o->ttl_s)) != 0;
	if (bad) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/* The template's placeholders that must be there, before a ticket is made:
 * a template that cannot carry the token should not cost one. */
static int s_template_precheck(const char *path, const char *tmpl, size_t len, char *err,
                               size_t errlen)
{
	for (int p = 0; p < CLI_PH_PACKAGE_URL; p++) {
		if (memmem(tmpl, len, s_placeholders[p], strlen(s_placeholders[p])) == NULL) {
			snprintf(err, errlen,
			         "the template %.512s lacks %s (an older agent.yaml? use the one "
			         "from "
			         "this version)",
			         path, s_placeholders[p]);
			return -1;
		}
	}
	return 0;
}

/* The --json object; NULL on ENOMEM. */
static json_t *s_enroll_json(const struct cli_enroll_ticket *t, const char *user_data)
{
	json_t *j =
	        json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s}", "name", t->name,
	                  "region", t->region, "rir", t->rir, "primary", (int)t->primary, "expires",
	                  t->expires, "token", t->token, "command", t->command,
	                  "coordinator_public_key", t->coordinator_key, "endpoint", t->endpoint);

	if (j != NULL && user_data != NULL &&
	    json_object_set_new(j, "cloud_init", json_string(user_data)) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Say on stderr which package placeholders are still in the user data. */
static void s_note_left(unsigned left)
{
	if (left == 0)
		return;
	fprintf(stderr, "vantage enroll: note: fill in ");
	for (int p = CLI_PH_PACKAGE_URL, first = 1; p < CLI_PH_COUNT; p++) {
		if (left & (1u << p)) {
			fprintf(stderr, "%s%s", first ? "" : " and ", s_placeholders[p]);
			first = 0;
		}
	}
	fprintf(stderr, " in the user data before using it (or give --package-url URL "
	                "--package-sha256 HEX)\n");
}

int cli_enroll_main(int argc, char **argv)
{
	struct cli_enroll_opts o;
	struct cli_enroll_ticket t;
	struct s_client_opts co;
	char err[CLI_ERR_LEN], pathbuf[PATH_MAX];
	char name[LIMIT_AGENT_NAME_LEN * 4 + 1], region[LIMIT_REGION_LEN * 4 + 1];
	char rir[LIMIT_REGION_LEN * 4 + 1], expires[CLI_TIME_LEN * 4 + 1];
	const char *values[CLI_PH_COUNT];
	char *tmpl = NULL, *text = NULL, *user_data = NULL;
	json_t *body = NULL, *doc = NULL, *out = NULL;
	size_t tlen = 0;
	unsigned left = 0;
	bool curl = false;
	int r, rc = EXIT_USAGE;

	memset(&t, 0, sizeof(t));
	r = cli_enroll_parse(argc, argv, &o, err, sizeof(err));
	if (r == 1) {
		s_enroll_usage(stdout);
		return 0;
	}
	if (r != 0) {
		fprintf(stderr, "vantage enroll: %s\n", err);
		fprintf(stderr, "Try 'vantage enroll --help'.\n");
		return EXIT_USAGE;
	}
	co = (struct s_client_opts){o.coordinator, o.token_file, o.cacert, o.json};
	if (o.cloud_init) {
		const char *path = cli_template_path(o.template_path, pathbuf, sizeof(pathbuf));
		if (cli_template_read(path, &tmpl, &tlen, err, sizeof(err)) != 0)
			goto fail;
		if (s_template_precheck(path, tmpl, tlen, err, sizeof(err)) != 0)
			goto fail;
	}
	body = cli_enroll_body(&o);
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	if (text == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, sizeof(err), "cannot initialise libcurl");
		goto fail;
	}
	curl = true;
	if (s_call(&co, "/v1/enrollments", text, CLI_ENROLL_TIMEOUT_MS, &doc, err, sizeof(err)) !=
	    0)
		goto fail;
	if (cli_enroll_ticket(doc, &o, &t, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage enroll: %s\n", err);
		fprintf(stderr,
		        "vantage enroll: the ticket just made is replaced when you run "
		        "`vantage enroll %s ...` again\n",
		        o.name);
		goto out;
	}
	if (o.cloud_init) {
		values[CLI_PH_COORDINATOR] = t.endpoint;
		values[CLI_PH_COORDINATOR_PUBKEY] = t.coordinator_key;
		values[CLI_PH_AGENT_NAME] = t.name;
		values[CLI_PH_ENROLL_TOKEN] = t.token;
		values[CLI_PH_PACKAGE_URL] = o.package_url;
		values[CLI_PH_PACKAGE_SHA256] =
		        o.package_sha256[0] != '\0' ? o.package_sha256 : NULL;
		user_data = cli_template_fill(tmpl, tlen, values, &left, err, sizeof(err));
		if (user_data == NULL)
			goto fail;
	}
	log_escape(name, sizeof(name), t.name, strlen(t.name));
	log_escape(region, sizeof(region), t.region[0] != '\0' ? t.region : "-",
	           t.region[0] != '\0' ? strlen(t.region) : 1);
	log_escape(rir, sizeof(rir), t.rir[0] != '\0' ? t.rir : "-",
	           t.rir[0] != '\0' ? strlen(t.rir) : 1);
	log_escape(expires, sizeof(expires), t.expires, strlen(t.expires));
	if (o.json) {
		out = s_enroll_json(&t, user_data);
		if (out == NULL) {
			snprintf(err, sizeof(err), "out of memory");
			goto fail;
		}
		s_dump_json(out);
	} else if (o.cloud_init) {
		fputs(user_data, stdout);
		fprintf(stderr,
		        "vantage enroll: ticket for %s valid until %s; when the VM has dialled in "
		        "(`vantage agents` shows %s as claimed), approve it: vantage agents "
		        "approve "
		        "%s\n",
		        name, expires, name, name);
	} else {
		printf("Enrolment ticket for %s (%s, %s%s), valid until %s.\n"
		       "On the new agent (Debian 12 with the vantage package), as root:\n\n"
		       "  %s\n\n"
		       "When it has dialled in (`vantage agents` shows %s as claimed, with its "
		       "key), approve it:\n\n"
		       "  vantage agents approve %s\n",
		       name, region, rir, t.primary ? ", primary" : "", expires, t.command, name,
		       name);
	}
	s_note_left(left);
	fflush(stdout);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "vantage enroll: %s\n", err);
out:
	explicit_bzero(&t, sizeof(t));
	if (user_data != NULL)
		explicit_bzero(user_data, strlen(user_data));
	free(user_data);
	free(tmpl);
	free(text);
	json_decref(body);
	json_decref(doc);
	json_decref(out);
	if (curl)
		curl_global_cleanup();
	return rc;
}

/* ---- vantage history ---- */

static void s_history_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage history DOMAIN [options]\n"
	        "\n"
	        "Show what the coordinator's monitors recorded for DOMAIN: per vantage and\n"
	        "method the current state, since when, and the problem; then the latest runs,\n"
	        "newest first, one line each.\n"
	        "\n"
	        "  --since T               from T on: RFC 3339 (2026-01-02T03:04:05Z), Unix\n"
	        "                          seconds, or a duration back from now (30m, 24h, 7d);\n"
	        "                          default 7d\n"
	        "  --limit N               at most N runs (1..%d, default %d)\n"
	        "  --json                  print the coordinator's JSON answer\n"
	        "  --coordinator URL       coordinator API (default %s)\n"
	        "  --token-file F          API token (default $%s, else %s)\n"
	        "  --cacert F              CA bundle for an https:// coordinator\n"
	        "  --help                  this text\n"
	        "\n"
	        "Exit status: 0 ok, 2 usage or coordinator error (503: monitoring is not\n"
	        "running).\n",
	        HISTORY_MAX_QUERY_RUNS, HISTORY_DEFAULT_QUERY_RUNS, CLI_DEFAULT_COORDINATOR,
	        CLI_TOKEN_ENV, CLI_DEFAULT_TOKEN_FILE);
}

int cli_history_parse(int argc, char **argv, struct cli_history_opts *o, int64_t now, char *err,
                      size_t errlen)
{
	static const struct option opts[] = {
	        {"since", required_argument, NULL, OPT_SINCE},
	        {"limit", required_argument, NULL, OPT_LIMIT},
	        {"coordinator", required_argument, NULL, OPT_COORD},
	        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	        {"cacert", required_argument, NULL, OPT_CACERT},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, OPT_HELP},
	        {NULL, 0, NULL, 0},
	};
	struct s_client_opts co = {NULL, NULL, NULL, false};
	int64_t t;
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (s_client_opt(&co, c, optarg))
			continue;
		switch (c) {
		case OPT_SINCE:
			if (api_parse_since(optarg, now, &t, err, errlen) != 0)
				return -1;
			o->since = optarg;
			break;
		case OPT_LIMIT:
			if (cli_parse_ulong("--limit", optarg, 1, HISTORY_MAX_QUERY_RUNS, &o->limit,
			                    err, errlen) != 0)
				return -1;
			break;
		case 'h':
		case OPT_HELP:
			return 1;
		default:
			snprintf(err, errlen, "unknown or incomplete option \"%s\"",
			         optind > 0 && optind <= argc ? argv[optind - 1] : "?");
			return -1;
		}
	}
	o->coordinator = co.coordinator;
	o->token_file = co.token_file;
	o->cacert = co.cacert;
	o->json = co.json;
	if (argc - optind != 1) {
		snprintf(err, errlen, "give exactly one DOMAIN (%d given)", argc - optind);
		return -1;
	}
	if (cli_check_domains(1, argv + optind, false, false, err, errlen) != 0)
		return -1;
	o->domain = argv[optind];
	return 0;
}

/* Append s to out (size outlen, used *o) percent-encoded: everything but
 * RFC 3986's unreserved characters.  0 or -1 when it does not fit. */
static int s_urlencode(char *out, size_t outlen, size_t *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		             (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';

		if (*o + (plain ? 1 : 3) >= outlen)
			return -1;
		if (plain) {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 0xf];
		}
	}
	out[*o] = '\0';
	return 0;
}

/* Append trusted text (ours) to out.  0 or -1 when it does not fit. */
static int s_put(char *out, size_t outlen, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n >= outlen)
		return -1;
	memcpy(out + *o, s, n + 1);
	*o += n;
	return 0;
}

int cli_history_path(const struct cli_history_opts *o, char *out, size_t outlen)
{
	char lim[32];
	size_t n = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (s_put(out, outlen, &n, "/v1/history?domain=") != 0 ||
	    s_urlencode(out, outlen, &n, o->domain) != 0)
		return -1;
	if (o->since != NULL &&
	    (s_put(out, outlen, &n, "&since=") != 0 || s_urlencode(out, outlen, &n, o->since) != 0))
		return -1;
	if (o->limit != 0) {
		snprintf(lim, sizeof(lim), "&limit=%lu", o->limit);
		if (s_put(out, outlen, &n, lim) != 0)
			return -1;
	}
	return 0;
}

/* A problem object as one escaped line: "type: detail", cut to
 * CLI_PROBLEM_COLS characters; "-" for none. */
static const char *s_problem_text(const json_t *p, char *buf, size_t len)
{
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *detail = json_string_value(json_object_get(p, "summary"));
	char raw[CLI_ESC_LEN];

	if (detail == NULL)
		detail = json_string_value(json_object_get(p, "detail"));
	if (type == NULL && detail == NULL)
		return "-";
	snprintf(raw, sizeof(raw), "%s%s%s", type != NULL ? type : "",
	         type != NULL && detail != NULL ? ": " : "", detail != NULL ? detail : "");
	if (strlen(raw) > CLI_PROBLEM_COLS)
		memcpy(raw + CLI_PROBLEM_COLS - 3, "...", 4);
	return log_escape(buf, len, raw, strlen(raw));
}

void cli_history_print(const json_t *doc, FILE *out)
{
	const json_t *vs = json_object_get(doc, "vantages"), *runs = json_object_get(doc, "runs");
	char dom[LIMIT_DOMAIN_LEN * 4 + 1], since[CLI_TIME_LEN * 4 + 1];
	char agent[LIMIT_AGENT_NAME_LEN * 4 + 1], region[LIMIT_REGION_LEN * 4 + 1];
	char method[64], state[64], at[CLI_TIME_LEN * 4 + 1], mon[MONITOR_NAME_LEN * 4 + 1];
	char prob[CLI_ESC_LEN];

	fprintf(out, "%s since %s\n\n", s_str(doc, "domain", dom, sizeof(dom)),
	        s_str(doc, "since", since, sizeof(since)));
	if (json_array_size(vs) == 0) {
		fprintf(out, "(no monitored run of this domain in that time)\n");
	} else {
		fprintf(out, "%-16s %-14s %-11s %-7s %-20s %s\n", "VANTAGE", "REGION", "METHOD",
		        "STATE", "SINCE", "PROBLEM");
		for (size_t i = 0; i < json_array_size(vs) && i < CLI_HISTORY_MAX_ROWS; i++) {
			const json_t *v = json_array_get(vs, i);
			fprintf(out, "%-16s %-14s %-11s %-7s %-20s %s\n",
			        s_str(v, "agent", agent, sizeof(agent)),
			        s_str(v, "region", region, sizeof(region)),
			        s_str(v, "method", method, sizeof(method)),
			        s_str(v, "state", state, sizeof(state)),
			        s_str(v, "since", since, sizeof(since)),
			        s_problem_text(json_object_get(v, "problem"), prob, sizeof(prob)));
		}
	}
	if (json_array_size(runs) == 0)
		return;
	fprintf(out, "\nRuns, newest first:\n%-20s %-16s %-11s %-7s %s\n", "AT", "MONITOR",
	        "METHOD", "STATE", "VANTAGES");
	for (size_t i = 0; i < json_array_size(runs) && i < HISTORY_MAX_QUERY_RUNS; i++) {
		const json_t *r = json_array_get(runs, i), *res = json_object_get(r, "results");
		size_t passed = 0, unavailable = 0, failed = 0;
		char line[CLI_ESC_LEN] = "";

		for (size_t k = 0; k < json_array_size(res) && k < LIMIT_AGENTS; k++) {
			const json_t *e = json_array_get(res, k);
			size_t o = strlen(line);

			if (s_passed(e)) {
				passed++;
			} else if (s_is_outcome(e, "unavailable")) {
				unavailable++;
			} else if (s_is_outcome(e, "fail")) {
				const char *t = json_string_value(
				        json_object_get(json_object_get(e, "problem"), "type"));
				failed++;
				if (failed <= CLI_NAGIOS_MAX_NAMED)
					snprintf(line + o, sizeof(line) - o, "%s%s%s%s%s",
					         failed > 1 ? ", " : "; failing: ",
					         s_str(e, "agent", agent, sizeof(agent)),
					         t != NULL ? " (" : "", t != NULL ? t : "",
					         t != NULL ? ")" : "");
			}
		}
		fprintf(out, "%-20s %-16s %-11s %-7s %zu/%zu passed",
		        s_str(r, "at", at, sizeof(at)), s_str(r, "monitor", mon, sizeof(mon)),
		        s_str(r, "method", method, sizeof(method)),
		        s_str(r, "state", state, sizeof(state)), passed, json_array_size(res));
		if (unavailable > 0)
			fprintf(out, ", %zu did not answer", unavailable);
		fprintf(out, "%s%s\n", log_escape(prob, sizeof(prob), line, strlen(line)),
		        failed > CLI_NAGIOS_MAX_NAMED ? ", ..." : "");
	}
}

int cli_history_main(int argc, char **argv)
{
	struct cli_history_opts o;
	struct s_client_opts co;
	char err[CLI_ERR_LEN], path[CLI_URL_MAX];
	json_t *doc = NULL;
	int r, rc = EXIT_USAGE;

	r = cli_history_parse(argc, argv, &o, (int64_t)time(NULL), err, sizeof(err));
	if (r == 1) {
		s_history_usage(stdout);
		return 0;
	}
	if (r != 0) {
		fprintf(stderr, "vantage history: %s\n", err);
		fprintf(stderr, "Try 'vantage history --help'.\n");
		return EXIT_USAGE;
	}
	if (cli_history_path(&o, path, sizeof(path)) != 0) {
		fprintf(stderr, "vantage history: the request is too long\n");
		return EXIT_USAGE;
	}
	co = (struct s_client_opts){o.coordinator, o.token_file, o.cacert, o.json};
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "vantage history: cannot initialise libcurl\n");
		return EXIT_USAGE;
	}
	if (s_call(&co, path, NULL, CLI_HISTORY_TIMEOUT_MS, &doc, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage history: %s\n", err);
		goto out;
	}
	if (o.json)
		s_dump_json(doc);
	else
		cli_history_print(doc, stdout);
	fflush(stdout);
	rc = 0;
out:
	json_decref(doc);
	curl_global_cleanup();
	return rc;
}

/* ---- vantage monitors ---- */

static void s_monitors_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage monitors [list] [options]\n"
	        "       vantage monitors add NAME --domain D [--domain D ...] [options]\n"
	        "       vantage monitors remove NAME [options]\n"
	        "\n"
	        "list (the default): every monitor, from the configuration or added here, and\n"
	        "per domain and method its state, since when, and the failing vantages.\n"
	        "add NAME: a monitor the coordinator keeps in its history database and runs\n"
	        "every interval from every vantage; alerts follow the configuration.\n"
	        "remove NAME: drop a monitor added here (configured ones stay in the file).\n"
	        "\n"
	        "add options:\n"
	        "  --domain D              a domain to watch (repeatable, at most %d)\n"
	        "  --method M[,M...]       http-01 (default), tls-alpn-01, dns-01, tls-cert\n"
	        "                          (the certificate and its expiry), caa, or all;\n"
	        "                          repeatable\n"
	        "  --interval DURATION     N[s|m|h|d], %ds .. %dd, default %dm\n"
	        "  --region R              only vantages in region R (repeatable, at most %d)\n"
	        "  --policy P              all (every vantage that answers must pass; default)\n"
	        "                          or letsencrypt (Let's Encrypt's multi-perspective\n"
	        "                          rule)\n"
	        "  --caa                   also check CAA for each domain\n"
	        "\n"
	        "  --json                  print the coordinator's JSON answer\n"
	        "  --coordinator URL       coordinator API (default %s)\n"
	        "  --token-file F          API token (default $%s, else %s)\n"
	        "  --cacert F              CA bundle for an https:// coordinator\n"
	        "  --help                  this text\n"
	        "\n"
	        "Exit status: 0 ok, 2 usage or coordinator error (the coordinator's reason is\n"
	        "shown, e.g. \"NAME is defined in the configuration file\").\n",
	        MONITOR_MAX_DOMAINS, MONITOR_MIN_INTERVAL_S, MONITOR_MAX_INTERVAL_S / 86400,
	        MONITOR_DEFAULT_INTERVAL / 60, MONITOR_MAX_REGIONS, CLI_DEFAULT_COORDINATOR,
	        CLI_TOKEN_ENV, CLI_DEFAULT_TOKEN_FILE);
}

/* A monitor name: [A-Za-z0-9._-], 1..MONITOR_NAME_LEN, not starting with
 * '.' (it goes into the URL path of a removal). */
static bool s_monitor_name_ok(const char *s)
{
	return strnlen(s, MONITOR_NAME_LEN + 1) <= MONITOR_NAME_LEN && keys_valid_name(s);
}

int cli_monitors_parse(int argc, char **argv, struct cli_monitors_opts *o, char *err, size_t errlen)
{
	static const struct option opts[] = {
	        {"domain", required_argument, NULL, OPT_DOMAIN},
	        {"method", required_argument, NULL, OPT_METHOD},
	        {"interval", required_argument, NULL, OPT_INTERVAL},
	        {"region", required_argument, NULL, OPT_REGION},
	        {"policy", required_argument, NULL, OPT_POLICY},
	        {"caa", no_argument, NULL, OPT_CAA},
	        {"coordinator", required_argument, NULL, OPT_COORD},
	        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	        {"cacert", required_argument, NULL, OPT_CACERT},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, OPT_HELP},
	        {NULL, 0, NULL, 0},
	};
	struct s_client_opts co = {NULL, NULL, NULL, false};
	const char *add_opt = NULL; /* the first add-only option, for the error */
	bool methods_named = false;
	int c, nargs;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (s_client_opt(&co, c, optarg))
			continue;
		switch (c) {
		case OPT_DOMAIN:
			add_opt = add_opt != NULL ? add_opt : "--domain";
			if (o->n_domains >= MONITOR_MAX_DOMAINS) {
				snprintf(err, errlen, "--domain given more than %d times",
				         MONITOR_MAX_DOMAINS);
				return -1;
			}
			if (cli_check_domains(1, &optarg, false, false, err, errlen) != 0)
				return -1;
			o->domains[o->n_domains++] = optarg;
			break;
		case OPT_METHOD:
			add_opt = add_opt != NULL ? add_opt : "--method";
			methods_named = true;
			if (s_parse_method_list(optarg, o->methods, &o->n_methods,
			                        MONITOR_MAX_METHODS, &o->caa, err, errlen) != 0)
				return -1;
			break;
		case OPT_INTERVAL:
			add_opt = add_opt != NULL ? add_opt : "--interval";
			if (cli_parse_duration_range(optarg, MONITOR_MIN_INTERVAL_S,
			                             MONITOR_MAX_INTERVAL_S, &o->interval_s, err,
			                             errlen) != 0)
				return -1;
			break;
		case OPT_REGION:
			add_opt = add_opt != NULL ? add_opt : "--region";
			if (o->n_regions >= MONITOR_MAX_REGIONS) {
				snprintf(err, errlen, "--region given more than %d times",
				         MONITOR_MAX_REGIONS);
				return -1;
			}
			if (s_check_label("--region", optarg, err, errlen) != 0)
				return -1;
			o->regions[o->n_regions++] = optarg;
			break;
		case OPT_POLICY:
			add_opt = add_opt != NULL ? add_opt : "--policy";
			if (strcmp(optarg, "all") != 0 && strcmp(optarg, "letsencrypt") != 0) {
				snprintf(err, errlen,
				         "--policy \"%s\": expected all or letsencrypt", optarg);
				return -1;
			}
			o->policy = optarg;
			break;
		case OPT_CAA:
			add_opt = add_opt != NULL ? add_opt : "--caa";
			o->caa = true;
			break;
		case 'h':
		case OPT_HELP:
			return 1;
		default:
			snprintf(err, errlen, "unknown or incomplete option \"%s\"",
			         optind > 0 && optind <= argc ? argv[optind - 1] : "?");
			return -1;
		}
	}
	o->coordinator = co.coordinator;
	o->token_file = co.token_file;
	o->cacert = co.cacert;
	o->json = co.json;
	nargs = argc - optind;
	if (nargs == 0 || strcmp(argv[optind], "list") == 0) {
		o->cmd = CLI_MONITORS_LIST;
		if (nargs > 1) {
			snprintf(err, errlen, "monitors list takes no argument (\"%s\" given)",
			         argv[optind + 1]);
			return -1;
		}
	} else if (strcmp(argv[optind], "add") == 0 || strcmp(argv[optind], "remove") == 0) {
		o->cmd = argv[optind][0] == 'a' ? CLI_MONITORS_ADD : CLI_MONITORS_REMOVE;
		if (nargs != 2) {
			snprintf(err, errlen, "monitors %s: give exactly one monitor NAME",
			         argv[optind]);
			return -1;
		}
		o->name = argv[optind + 1];
		if (!s_monitor_name_ok(o->name)) {
			snprintf(err, errlen,
			         "invalid monitor name (want [A-Za-z0-9._-], 1..%d characters, not "
			         "starting with '.')",
			         MONITOR_NAME_LEN);
			return -1;
		}
	} else {
		snprintf(err, errlen, "unknown monitors command \"%s\" (list, add or remove)",
		         argv[optind]);
		return -1;
	}
	if (o->cmd != CLI_MONITORS_ADD && add_opt != NULL) {
		snprintf(err, errlen, "%s goes with `vantage monitors add NAME`", add_opt);
		return -1;
	}
	if (o->cmd == CLI_MONITORS_ADD) {
		if (o->n_domains == 0) {
			snprintf(err, errlen, "monitors add: give at least one --domain");
			return -1;
		}
		if (!methods_named) {
			o->methods[0] = VT_METHOD_HTTP01;
			o->n_methods = 1;
		}
		if (o->n_methods == 0 && !o->caa) { /* cannot happen: a named list adds one */
			snprintf(err, errlen, "monitors add: no method to check");
			return -1;
		}
		if (cli_check_names((int)o->n_domains, (char *const *)o->domains, o->methods,
		                    o->n_methods, o->caa, err, errlen) != 0)
			return -1;
	}
	return 0;
}

json_t *cli_monitor_body(const struct cli_monitors_opts *o)
{
	json_t *body = json_object(), *d = json_array(), *m = json_array(), *r = NULL;
	int bad = body == NULL || d == NULL || m == NULL;

	for (size_t i = 0; i < o->n_domains && !bad; i++)
		bad |= json_array_append_new(d, json_string(o->domains[i]));
	for (size_t i = 0; i < o->n_methods && !bad; i++)
		bad |= json_array_append_new(m, json_string(vt_method_name(o->methods[i])));
	bad |= json_object_set_new(body, "name", json_string(o->name));
	bad |= json_object_set_new(body, "domains", d);
	d = NULL;
	bad |= json_object_set_new(body, "methods", m);
	m = NULL;
	bad |= json_object_set_new(body, "caa", json_boolean(o->caa));
	if (o->interval_s != 0)
		bad |= json_object_set_new(body, "interval_s", json_integer(o->interval_s));
	if (o->n_regions > 0) {
		r = json_array();
		bad |= r == NULL;
		for (size_t i = 0; i < o->n_regions && !bad; i++)
			bad |= json_array_append_new(r, json_string(o->regions[i]));
		bad |= json_object_set_new(body, "regions", r);
	}
	if (o->policy != NULL)
		bad |= json_object_set_new(body, "policy", json_string(o->policy));
	if (bad) {
		json_decref(d);
		json_decref(m);
		json_decref(body);
		return NULL;
	}
	return body;
}

/* An interval in seconds as the largest whole unit, "5m". */
static const char *s_interval(const json_t *mon, char *buf, size_t len)
{
	const json_t *v = json_object_get(mon, "interval_s");

	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > MONITOR_MAX_INTERVAL_S)
		return "-";
	s_duration_text((uint32_t)json_integer_value(v), buf, len);
	return buf;
}

/* The failing agents of a target's latest run, "a, b", escaped. */
static const char *s_failing(const json_t *t, char *buf, size_t len)
{
	const json_t *vs = json_object_get(t, "vantages");
	char raw[CLI_ESC_LEN] = "";
	size_t named = 0;

	for (size_t i = 0; i < json_array_size(vs) && i < LIMIT_AGENTS; i++) {
		const json_t *v = json_array_get(vs, i);
		size_t o = strlen(raw);

		if (!s_is_outcome(v, "fail"))
			continue;
		snprintf(raw + o, sizeof(raw) - o, "%s%s", named++ > 0 ? ", " : "",
		         s_jstr(v, "agent"));
	}
	return log_escape(buf, len, raw, strlen(raw));
}

void cli_monitors_print(const json_t *doc, int64_t now, FILE *out)
{
	const json_t *mons = json_object_get(doc, "monitors");
	char name[MONITOR_NAME_LEN * 4 + 1], source[64], ivl[32], policy[64];
	char next[CLI_TIME_LEN * 4 + 1], dom[LIMIT_DOMAIN_LEN * 4 + 1], method[64], state[64];
	char since[CLI_TIME_LEN * 4 + 1], failing[CLI_ESC_LEN];

	if (json_array_size(mons) == 0) {
		fprintf(out,
		        "(no monitors: add one with `vantage monitors add NAME --domain D`, or "
		        "in the configuration)\n");
		return;
	}
	for (size_t i = 0; i < json_array_size(mons) && i < MONITOR_MAX; i++) {
		const json_t *m = json_array_get(mons, i), *ts = json_object_get(m, "targets");

		fprintf(out, "%s%s (%s): every %s, policy %s, next run %s%s\n", i > 0 ? "\n" : "",
		        s_str(m, "name", name, sizeof(name)),
		        s_str(m, "source", source, sizeof(source)), s_interval(m, ivl, sizeof(ivl)),
		        s_str(m, "policy", policy, sizeof(policy)),
		        s_str(m, "next_run", next, sizeof(next)),
		        json_is_true(json_object_get(m, "running")) ? " (running)" : "");
		fprintf(out, "  %-32s %-11s %-7s %-20s %s\n", "DOMAIN", "METHOD", "STATE", "SINCE",
		        "FAILING / CERTIFICATE");
		for (size_t k = 0; k < json_array_size(ts) && k < CLI_MAX_TARGETS; k++) {
			const json_t *t = json_array_get(ts, k), *cert = json_object_get(t, "cert");
			const json_t *na = json_object_get(cert, "not_after_unix");

			fprintf(out, "  %-32s %-11s %-7s %-20s %s",
			        s_str(t, "domain", dom, sizeof(dom)),
			        s_str(t, "method", method, sizeof(method)),
			        s_str(t, "state", state, sizeof(state)),
			        s_str(t, "since", since, sizeof(since)),
			        s_failing(t, failing, sizeof(failing)));
			if (json_is_integer(na)) {
				char level[64];
				fprintf(out, "%scertificate expires in %.1f days (%s)",
				        failing[0] != '\0' ? "; " : "",
				        (double)(json_integer_value(na) - now) / 86400.0,
				        s_str(cert, "level", level, sizeof(level)));
			}
			fputc('\n', out);
		}
	}
}

/* `vantage monitors add|remove NAME`: POST /v1/monitors, DELETE
 * /v1/monitors/NAME. */
static int s_monitors_change(const struct cli_monitors_opts *o, const struct s_client_opts *co)
{
	const char *verb = o->cmd == CLI_MONITORS_ADD ? "add" : "remove";
	char err[CLI_ERR_LEN], path[CLI_URL_MAX];
	json_t *body = NULL, *doc = NULL;
	char *text = NULL;
	int rc = EXIT_USAGE;

	if (o->cmd == CLI_MONITORS_ADD) {
		body = cli_monitor_body(o);
		text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
		if (text == NULL) {
			fprintf(stderr, "vantage monitors add: out of memory\n");
			goto out;
		}
		snprintf(path, sizeof(path), "/v1/monitors");
	} else {
		/* the name was checked: only [A-Za-z0-9._-] goes into the path */
		snprintf(path, sizeof(path), "/v1/monitors/%s", o->name);
	}
	if (s_call_m(co, o->cmd == CLI_MONITORS_ADD ? NULL : "DELETE", path, text,
	             CLI_MONITORS_TIMEOUT_MS, &doc, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage monitors %s: %s\n", verb, err);
		goto out;
	}
	if (o->json)
		s_dump_json(doc);
	else if (o->cmd == CLI_MONITORS_ADD)
		printf("added monitor %s: it runs from now on (see `vantage monitors`)\n", o->name);
	else
		printf("removed monitor %s (its recorded history stays)\n", o->name);
	rc = 0;
out:
	free(text);
	json_decref(body);
	json_decref(doc);
	return rc;
}

int cli_monitors_main(int argc, char **argv)
{
	struct cli_monitors_opts o;
	struct s_client_opts co;
	char err[CLI_ERR_LEN];
	json_t *doc = NULL;
	int r, rc = EXIT_USAGE;

	r = cli_monitors_parse(argc, argv, &o, err, sizeof(err));
	if (r == 1) {
		s_monitors_usage(stdout);
		return 0;
	}
	if (r != 0) {
		fprintf(stderr, "vantage monitors: %s\n", err);
		fprintf(stderr, "Try 'vantage monitors --help'.\n");
		return EXIT_USAGE;
	}
	co = (struct s_client_opts){o.coordinator, o.token_file, o.cacert, o.json};
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "vantage monitors: cannot initialise libcurl\n");
		return EXIT_USAGE;
	}
	if (o.cmd != CLI_MONITORS_LIST) {
		rc = s_monitors_change(&o, &co);
		goto out;
	}
	if (s_call(&co, "/v1/monitors", NULL, CLI_MONITORS_TIMEOUT_MS, &doc, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "vantage monitors: %s\n", err);
		goto out;
	}
	if (o.json)
		s_dump_json(doc);
	else
		cli_monitors_print(doc, (int64_t)time(NULL), stdout);
	fflush(stdout);
	rc = 0;
out:
	json_decref(doc);
	curl_global_cleanup();
	return rc;
}
