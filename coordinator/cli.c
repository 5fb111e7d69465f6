/*
 * cli.c -- `vantage check` and `vantage agents`; see cli.h and docs/api.md.
 *
 * libcurl talks to the coordinator, jansson builds the request and parses
 * the answer, and common/report.c prints the table from the same JSON
 * document `--json` prints, so the two can never disagree.
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
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../common/keyauth.h"
#include "../common/limits.h"
#include "../common/log.h"
#include "../common/report.h"
#include "../common/result.h"
#include "cli.h"

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
		size_t n = strlen(domains[i]);
		if (n == 0 || n > LIMIT_DOMAIN_LEN) {
			snprintf(err, errlen, "domain %d: length must be 1..%d", i + 1,
			         LIMIT_DOMAIN_LEN);
			return -1;
		}
		for (size_t k = 0; k < n; k++) {
			unsigned char c = (unsigned char)domains[i][k];
			if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\') {
				snprintf(err, errlen, "domain %d: invalid character 0x%02x", i + 1,
				         c);
				return -1;
			}
		}
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

struct s_buf {
	char *data;
	size_t len, cap;
	bool overflow;
};

static size_t s_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct s_buf *b = arg;
	size_t n = size * nmemb;

	if (n > CLI_MAX_RESPONSE_BYTES - b->len) {
		b->overflow = true;
		return 0; /* curl aborts the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;
		char *tmp;

		while (cap < b->len + n + 1)
			cap *= 2;
		tmp = realloc(b->data, cap);
		if (tmp == NULL)
			return 0;
		b->data = tmp;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

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
};

/*
 * One request to the coordinator: method GET (body NULL) or POST (JSON
 * body).  On a 200 answer *doc holds the parsed JSON (caller decrefs) and 0
 * is returned; anything else is -1 with what happened in err.
 */
static int s_request(const struct s_conn *c, const char *path, const char *body, long timeout_ms,
                     json_t **doc, char *err, size_t errlen)
{
	char url[CLI_URL_MAX], auth[CLI_HDR_LEN], curlerr[CURL_ERROR_SIZE] = "";
	char esc[CLI_ESC_LEN];
	struct curl_slist *hdrs = NULL, *tmp;
	struct s_buf b = {0};
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
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* the token goes nowhere else */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CLI_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curlerr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vantage/" VANTAGE_VERSION);
	/* http:// is allowed to loopback only; a proxy from the environment
	 * (http_proxy, all_proxy) would carry the token elsewhere in clear. */
	if (strncasecmp(c->coordinator, "http://", strlen("http://")) == 0)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);

	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		if (b.overflow)
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
	if (status != 200) {
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
	free(b.data);
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

static int s_parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi,
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

static void s_check_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage check DOMAIN... [options]\n"
	        "\n"
	        "Ask the coordinator's vantages to validate DOMAIN as Let's Encrypt would, by\n"
	        "every method asked for, then check CAA as Let's Encrypt does after a successful\n"
	        "validation.  Without --key-authorization, --digest, --txt or --webroot, checks\n"
	        "reachability with a random token (a 404 from the server still counts as\n"
	        "reachable; for dns-01, every authoritative nameserver answering does).\n"
	        "\n"
	        "  --method M[,M...]       http-01 (default), tls-alpn-01, dns-01, caa or all\n"
	        "                          (every method and CAA); repeatable\n"
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
	        "  --issuer-domain D       CAA: the CA's issuer domain (default %s)\n"
	        "  --account-uri URI       CAA: the ACME account URL, for accounturi records\n"
	        "  --no-caa                skip the CAA check\n"
	        "  --region R              only vantages in region R (repeatable)\n"
	        "  --coordinator URL       coordinator API (default %s)\n"
	        "  --token-file F          API token (default $%s, else %s)\n"
	        "  --cacert F              CA bundle for an https:// coordinator\n"
	        "  --budget-ms N           per-vantage time budget (%d..%d)\n"
	        "  --min-answers N         fewer answers make the verdict unknown\n"
	        "  --json                  print the JSON document\n"
	        "  --no-color              no ANSI colours in the table\n"
	        "  --help                  this text\n"
	        "\n"
	        "Exit status: 0 pass, 1 a vantage failed, 2 usage or coordinator error,\n"
	        "3 unknown (a vantage did not answer, or too few answered).\n",
	        CAA_DEFAULT_ISSUER, CLI_DEFAULT_COORDINATOR, CLI_TOKEN_ENV, CLI_DEFAULT_TOKEN_FILE,
	        JOB_MIN_BUDGET_MS, JOB_MAX_BUDGET_MS);
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
};

static bool s_has(const struct cli_check_opts *o, enum vt_method m)
{
	for (size_t i = 0; i < o->n_methods; i++)
		if (o->methods[i] == m)
			return true;
	return false;
}

/* Add m to o->methods unless present (CAA goes to o->caa_named). */
static void s_add_method(struct cli_check_opts *o, enum vt_method m)
{
	if (m == VT_METHOD_CAA) {
		o->caa_named = true;
		return;
	}
	if (!s_has(o, m) && o->n_methods < CLI_MAX_METHODS)
		o->methods[o->n_methods++] = m;
}

/* One --method argument: names separated by commas. */
static int s_parse_methods(struct cli_check_opts *o, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;

	for (size_t guard = 0; guard <= strlen(arg); guard++) {
		size_t n = strcspn(p, ",");
		char name[CLI_METHOD_NAME_LEN];
		enum vt_method m;

		if (n == 0 || n >= sizeof(name)) {
			snprintf(err, errlen,
			         "--method \"%s\": expected names separated by commas (http-01, "
			         "tls-alpn-01, dns-01, caa, all)",
			         arg);
			return -1;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		if (strcmp(name, "all") == 0) {
			s_add_method(o, VT_METHOD_HTTP01);
			s_add_method(o, VT_METHOD_TLSALPN01);
			s_add_method(o, VT_METHOD_DNS01);
			s_add_method(o, VT_METHOD_CAA);
		} else {
			m = vt_method_parse(name);
			if (m == VT_METHOD_NONE) {
				snprintf(err, errlen,
				         "--method \"%s\": unknown method (try http-01, "
				         "tls-alpn-01, "
				         "dns-01, caa or all)",
				         name);
				return -1;
			}
			s_add_method(o, m);
		}
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
	snprintf(err, errlen, "--method \"%s\": malformed list", arg);
	return -1;
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
	if (secrets + (o->webroot != NULL) > 1) {
		snprintf(err, errlen,
		         "--key-authorization, --digest, --txt and --webroot are "
		         "mutually exclusive");
		return -1;
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
	static const struct option opts[] = {
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
	        {"help", no_argument, NULL, OPT_HELP},
	        {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_METHOD:
			if (s_parse_methods(o, optarg, err, errlen) != 0)
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
			o->webroot = optarg;
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
			if (s_parse_ulong("--budget-ms", optarg, JOB_MIN_BUDGET_MS,
			                  JOB_MAX_BUDGET_MS, &o->budget_ms, err, errlen) != 0)
				return -1;
			break;
		case OPT_MIN_ANSWERS:
			if (s_parse_ulong("--min-answers", optarg, 1, LIMIT_AGENTS, &o->min_answers,
			                  err, errlen) != 0)
				return -1;
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
			snprintf(err, errlen, "unknown or incomplete option \"%s\"",
			         optind > 0 && optind <= argc ? argv[optind - 1] : "?");
			return -1;
		}
	}
	o->first_domain = optind;
	if (s_check_combination(o, err, errlen) != 0)
		return -1;
	if (cli_check_domains(argc - optind, argv + optind,
	                      o->ka != NULL || o->digest != NULL || o->txt != NULL,
	                      o->webroot != NULL, err, errlen) != 0)
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
	bad |= json_object_set_new(body, "caa", json_boolean(!o->no_caa));
	bad |= json_object_set_new(body, "mode",
	                           json_string(validate ? "validate" : "reachability"));
	if (ka != NULL)
		bad |= json_object_set_new(body, "key_authorization", json_string(ka));
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

int cli_check_main(int argc, char **argv)
{
	struct cli_check_opts o;
	struct s_conn conn;
	struct cli_webroot wr;
	char err[CLI_ERR_LEN], token[LIMIT_TOKEN_LEN + 1];
	const char *ka = NULL;
	json_t *body = NULL, *doc = NULL;
	char *text = NULL;
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
	if (o.webroot != NULL) {
		if (cli_webroot_prepare(&wr, o.webroot, err, sizeof(err)) != 0)
			goto fail_curl;
		ka = wr.key_authorization;
	}
	body = cli_check_body(&o, argv + o.first_domain, n, ka);
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	if (text == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail_curl;
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "checking %d domain(s) from the coordinator's vantages\u2026\n", n);
	timeout = (long)(o.budget_ms != 0 ? o.budget_ms : JOB_MAX_BUDGET_MS) + JOB_GRACE_MS +
	          CLI_HTTP_MARGIN_MS;
	if (s_request(&conn, "/v1/checks", text, timeout, &doc, err, sizeof(err)) != 0)
		goto fail_curl;
	cli_webroot_cleanup(&wr);
	if (o.json) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		bool color = !o.no_color && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
		report_print(doc, stdout, color);
	}
	fflush(stdout);
	rc = report_exit_code(doc);
	goto out;
fail_curl:
	cli_webroot_cleanup(&wr);
	fprintf(stderr, "vantage check: %s\n", err);
	goto out;
fail:
	fprintf(stderr, "vantage check: %s\n", err);
	explicit_bzero(conn.token, sizeof(conn.token));
	return EXIT_USAGE;
out:
	cli_webroot_cleanup(&wr);
	free(text);
	json_decref(body);
	json_decref(doc);
	explicit_bzero(conn.token, sizeof(conn.token));
	curl_global_cleanup();
	return rc;
}

/* ---- vantage agents ---- */

int cli_get_agents(const char *coordinator, const char *token_file, const char *cacert,
                   json_t **doc, char *err, size_t errlen)
{
	struct s_conn conn;
	int rc = -1;

	*doc = NULL;
	memset(&conn, 0, sizeof(conn));
	conn.coordinator = coordinator;
	conn.token_file = token_file;
	conn.cacert = cacert;
	if (s_conn_ready(&conn, err, errlen) != 0)
		goto out;
	rc = s_request(&conn, "/v1/agents", NULL, CLI_AGENTS_TIMEOUT_MS, doc, err, errlen);
out:
	explicit_bzero(conn.token, sizeof(conn.token));
	return rc;
}

static void s_agents_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage agents [--json] [--coordinator URL] [--token-file F] [--cacert F]\n"
	        "\n"
	        "List the coordinator's configured agents and their state.\n");
}

static const char *s_str(const json_t *o, const char *key, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL)
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
	char rir[LIMIT_REGION_LEN * 4 + 1], state[64], version[128], seen[32];
	size_t n = json_array_size(arr);

	fprintf(out, "%-16s %-14s %-8s %-7s %-6s %-4s %-4s %-8s %s\n", "NAME", "REGION", "RIR",
	        "PRIMARY", "STATE", "IPV4", "IPV6", "VERSION", "LAST-SEEN");
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
		fprintf(out, "%-16s %-14s %-8s %-7s %-6s %-4s %-4s %-8s %s\n",
		        s_str(a, "name", name, sizeof(name)),
		        s_str(a, "region", region, sizeof(region)),
		        s_str(a, "rir", rir, sizeof(rir)), s_bool(a, "primary"),
		        s_str(a, "state", state, sizeof(state)), s_bool(a, "ipv4"),
		        s_bool(a, "ipv6"), s_str(a, "version", version, sizeof(version)), seen);
	}
	if (n == 0)
		fprintf(out, "(no agents configured)\n");
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
	const char *coordinator = NULL, *token_file = NULL, *cacert = NULL;
	char err[CLI_ERR_LEN];
	json_t *doc = NULL;
	bool json = false;
	int c, rc = EXIT_USAGE;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_COORD:
			coordinator = optarg;
			break;
		case OPT_TOKEN_FILE:
			token_file = optarg;
			break;
		case OPT_CACERT:
			cacert = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'h':
		case OPT_HELP:
			s_agents_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "vantage agents: unknown or incomplete option \"%s\"\n",
			        optind > 0 && optind <= argc ? argv[optind - 1] : "?");
			s_agents_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vantage agents: unexpected argument \"%s\"\n", argv[optind]);
		s_agents_usage(stderr);
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "vantage agents: cannot initialise libcurl\n");
		return EXIT_USAGE;
	}
	if (cli_get_agents(coordinator, token_file, cacert, &doc, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage agents: %s\n", err);
		goto out;
	}
	if (json) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		s_print_agents(doc, stdout);
	}
	rc = 0;
out:
	json_decref(doc);
	curl_global_cleanup();
	return rc;
}
