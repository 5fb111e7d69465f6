/*
 * http01.c -- the HTTP-01 probe, as Boulder's va/http.go does it
 * (letsencrypt-validation.md section 3).
 *
 * One walk: resolve the identifier (resolver.c), dial its first IPv6 address
 * (else first IPv4) with the address pinned by CURLOPT_CONNECT_TO so Host and
 * SNI stay the URL's host, follow redirects ourselves under redirect.c's
 * rules, each hop resolving its own host and dialling its own first address.
 * A connect-stage failure on an IPv6 address re-runs the walk from the
 * original URL on the identifier's first IPv4 address, once.  Every URL
 * fetched adds one validation record; failures carry LE's exact texts.  The
 * last response that arrived leaves its Server header and the start of its
 * (already capped) body in the result, for the findings; reserved addresses
 * the resolver dropped become warnings (resolver_warn_reserved).
 */
#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "curlev.h"
#include "probe_int.h"
#include "leerr.h"
#include "redirect.h"
#include "resolver.h"

#define S_WELL_KNOWN "/.well-known/acme-challenge/"
/* Bytes one Go %q-quoted byte may take ("\xNN"). */
#define S_QUOTE_MAX_PER_BYTE 4
/* Microseconds per millisecond (CURLINFO_*_TIME_T are in microseconds). */
#define S_US_PER_MS 1000

static uint16_t s_http_port_override;

void http01_set_port_for_tests(uint16_t port)
{
	s_http_port_override = port;
}

static uint16_t s_http_port(void)
{
	return s_http_port_override != 0 ? s_http_port_override : HTTP01_PORT;
}

enum s_phase { S_IDLE, S_RESOLVE0, S_FETCH, S_RESOLVE_HOP, S_DONE };

struct s_http01 {
	struct probe *p;
	struct resolver *res;
	enum s_phase phase;
	/* the identifier's URL and addresses */
	char url0[LIMIT_URL_LEN + 1];
	struct resolver_addrs a0;
	bool first_v6;      /* the walk started on IPv6 */
	bool fallback_done; /* the IPv4 re-run happened */
	/* the fetch in flight */
	CURL *easy;
	struct curl_slist *hdrs;
	struct curl_slist *connect_to;
	char errbuf[CURL_ERROR_SIZE];
	char url[LIMIT_URL_LEN + 1];
	char host[LIMIT_DOMAIN_LEN + 1];
	char ip[LIMIT_ADDR_LEN];
	uint16_t port;
	bool https;
	unsigned char body[HTTP01_MAX_BODY];
	size_t body_len;
	bool body_over;
	char location[LIMIT_URL_LEN + 1];
	bool have_location;
	char server[LIMIT_SERVER_LEN]; /* this response's Server header, printable */
	/* the redirect being resolved */
	struct redirect_target next;
	unsigned n_redirects;
};

/* Go's strconv.Quote of len bytes of s, into out (always terminated). */
static void s_goquote(char *out, size_t outlen, const unsigned char *s, size_t len)
{
	size_t o = 0;

	if (outlen < 3) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (size_t i = 0; i < len && o + S_QUOTE_MAX_PER_BYTE + 8 < outlen; i++) {
		unsigned char c = s[i];
		const char *esc = NULL;
		switch (c) {
		case '\a':
			esc = "\\a";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\v':
			esc = "\\v";
			break;
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		default:
			break;
		}
		if (esc != NULL) {
			o += (size_t)snprintf(out + o, outlen - o, "%s", esc);
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
			continue;
		}
		/* a valid two-, three- or four-byte UTF-8 sequence passes through,
		 * except the Latin-1 non-printables Go escapes as \u00XX */
		size_t n = (c & 0xe0) == 0xc0   ? 2
		           : (c & 0xf0) == 0xe0 ? 3
		           : (c & 0xf8) == 0xf0 ? 4
		                                : 0;
		bool ok = n > 0 && i + n <= len;
		for (size_t k = 1; ok && k < n; k++)
			ok = (s[i + k] & 0xc0) == 0x80;
		if (ok && n == 2) {
			unsigned cp = ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
			if (cp < 0x80) {
				ok = false;
			} else if (cp <= 0xa0 || cp == 0xad) {
				o += (size_t)snprintf(out + o, outlen - o, "\\u%04x", cp);
				i += 1;
				continue;
			}
		}
		if (ok) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n - 1;
			continue;
		}
		o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* Length of s[0..len) without trailing Unicode white space (Go's
 * strings.TrimRightFunc(s, unicode.IsSpace)). */
static size_t s_trim_right(const unsigned char *s, size_t len)
{
	static const unsigned s_spaces[] = {0x85,   0xa0,   0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
	                                    0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
	                                    0x2028, 0x2029, 0x202f, 0x205f, 0x3000};

	for (size_t guard = 0; len > 0 && guard <= HTTP01_MAX_BODY; guard++) {
		unsigned char c = s[len - 1];
		if (c == ' ' || (c >= '\t' && c <= '\r')) {
			len--;
			continue;
		}
		/* find the start of the last UTF-8 sequence (at most 3 bytes) */
		size_t start = len - 1, n;
		while (start > 0 && len - start < 3 && (s[start] & 0xc0) == 0x80)
			start--;
		n = len - start;
		unsigned cp = 0;
		if (n == 2 && (s[start] & 0xe0) == 0xc0)
			cp = ((s[start] & 0x1fu) << 6) | (s[start + 1] & 0x3fu);
		else if (n == 3 && (s[start] & 0xf0) == 0xe0 && (s[start + 1] & 0xc0) == 0x80)
			cp = ((s[start] & 0x0fu) << 12) | ((s[start + 1] & 0x3fu) << 6) |
			     (s[start + 2] & 0x3fu);
		bool space = false;
		for (size_t k = 0; cp != 0 && k < sizeof(s_spaces) / sizeof(s_spaces[0]); k++)
			space = space || cp == s_spaces[k];
		if (!space)
			break;
		len = start;
	}
	return len;
}

static void s_fail(struct s_http01 *h, enum vt_problem_type t, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void s_fail(struct s_http01 *h, enum vt_problem_type t, const char *fmt, ...)
{
	char buf[LIMIT_DETAIL_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vt_result_fail(probe_result(h->p), t, "%s", buf);
	h->phase = S_DONE;
	probe_finish(h->p);
}

static void s_finish_ok(struct s_http01 *h, enum vt_outcome o)
{
	struct vt_result *r = probe_result(h->p);

	r->outcome = o;
	r->problem.type = VT_PROB_NONE;
	r->problem.detail[0] = '\0';
	h->phase = S_DONE;
	probe_finish(h->p);
}

static void s_release_easy(struct s_http01 *h)
{
	if (h->easy != NULL) {
		curlev_remove(probe_curlev(h->p), h->easy);
		curl_easy_cleanup(h->easy);
		h->easy = NULL;
	}
	curl_slist_free_all(h->hdrs);
	h->hdrs = NULL;
	curl_slist_free_all(h->connect_to);
	h->connect_to = NULL;
}

/* The first len bytes of s (cut to fit out), every byte outside printable
 * ASCII (0x20..0x7e) replaced by '.'; out is always terminated. */
static void s_printable(char *out, size_t outlen, const unsigned char *s, size_t len)
{
	size_t n = len < outlen - 1 ? len : outlen - 1;

	for (size_t i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] <= 0x7e ? (char)s[i] : '.';
	out[n] = '\0';
}

/* A response arrived: it is now the last one, so the result shows its
 * Server header and the start of its body (what was read, no more). */
static void s_keep_response(struct s_http01 *h)
{
	struct vt_result *r = probe_result(h->p);

	snprintf(r->server, sizeof(r->server), "%s", h->server);
	s_printable(r->body, sizeof(r->body), h->body, h->body_len);
}

static size_t s_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct s_http01 *h = arg;
	size_t n = size * nmemb, room = sizeof(h->body) - h->body_len;

	if (n > room) {
		memcpy(h->body + h->body_len, ptr, room);
		h->body_len += room;
		h->body_over = true;
		return 0; /* LE reads at most HTTP01_MAX_BODY bytes */
	}
	memcpy(h->body + h->body_len, ptr, n);
	h->body_len += n;
	return n;
}

/* A header line's value (after "Name:", n bytes): without the blanks
 * around it and the line end; its length into *vlen. */
static const char *s_header_value(const char *v, size_t n, size_t *vlen)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 &&
	       (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	*vlen = n;
	return v;
}

static size_t s_header_cb(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct s_http01 *h = arg;
	size_t n = size * nitems, vlen;
	const char *v;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		h->have_location = false; /* a new response (after 1xx) */
		h->location[0] = '\0';
		h->server[0] = '\0';
		return n;
	}
	if (n > 7 && strncasecmp(ptr, "Server:", 7) == 0 && h->server[0] == '\0') {
		v = s_header_value(ptr + 7, n - 7, &vlen);
		s_printable(h->server, sizeof(h->server), (const unsigned char *)v, vlen);
		return n;
	}
	if (n > 9 && strncasecmp(ptr, "Location:", 9) == 0 && !h->have_location) {
		v = s_header_value(ptr + 9, n - 9, &vlen);
		if (vlen < sizeof(h->location)) {
			memcpy(h->location, v, vlen);
			h->location[vlen] = '\0';
			h->have_location = true;
		}
	}
	return n;
}

static void s_fetch_done(CURL *easy, CURLcode rc, void *arg);

/* Fill a record for the fetch about to start. */
static int s_add_record(struct s_http01 *h, const struct resolver_addrs *a)
{
	struct vt_record *rec = vt_result_add_record(probe_result(h->p));

	if (rec == NULL)
		return -1;
	snprintf(rec->url, sizeof(rec->url), "%s", h->url);
	snprintf(rec->hostname, sizeof(rec->hostname), "%s", h->host);
	rec->port = h->port;
	for (size_t i = 0; i < a->n_v6 && rec->n_addresses_resolved < LIMIT_MAX_ADDRS * 2; i++)
		memcpy(rec->addresses_resolved[rec->n_addresses_resolved++], a->v6[i],
		       LIMIT_ADDR_LEN);
	for (size_t i = 0; i < a->n_v4 && rec->n_addresses_resolved < LIMIT_MAX_ADDRS * 2; i++)
		memcpy(rec->addresses_resolved[rec->n_addresses_resolved++], a->v4[i],
		       LIMIT_ADDR_LEN);
	memcpy(rec->address_used, h->ip, LIMIT_ADDR_LEN);
	return 0;
}

/* Start fetching h->url from h->ip (h->host, h->port, h->https set). */
static void s_fetch(struct s_http01 *h, const struct resolver_addrs *a)
{
	const struct probe_cfg *cfg = probe_config(h->p);
	char connect_to[LIMIT_ADDR_LEN + 32], err[256];
	struct curl_slist *ct = NULL;
	uint32_t left = probe_remaining_ms(h->p);
	long total_ms, dial_ms;

	s_release_easy(h);
	h->body_len = 0;
	h->body_over = false;
	h->have_location = false;
	h->location[0] = '\0';
	h->server[0] = '\0';
	h->errbuf[0] = '\0';
	if (s_add_record(h, a) != 0) {
		s_fail(h, VT_PROB_SERVER_INTERNAL, "too many validation records");
		return;
	}
	total_ms = left > HTTP01_BUDGET_OVERHEAD_MS ? (long)(left - HTTP01_BUDGET_OVERHEAD_MS) : 1;
	dial_ms = (long)cfg->dial_timeout_ms < total_ms ? (long)cfg->dial_timeout_ms : total_ms;
	if (strchr(h->ip, ':') != NULL)
		snprintf(connect_to, sizeof(connect_to), "::[%s]:%u", h->ip, (unsigned)h->port);
	else
		snprintf(connect_to, sizeof(connect_to), "::%s:%u", h->ip, (unsigned)h->port);
	h->easy = curl_easy_init();
	ct = curl_slist_append(NULL, connect_to);
	h->hdrs = curl_slist_append(NULL, "Accept: */*");
	if (h->hdrs != NULL)
		h->hdrs = curl_slist_append(h->hdrs, "Connection: close");
	if (h->easy == NULL || ct == NULL || h->hdrs == NULL) {
		curl_slist_free_all(ct);
		s_fail(h, VT_PROB_SERVER_INTERNAL, "out of memory");
		return;
	}
	h->connect_to = ct; /* curl keeps pointers to it: freed with the handle */
	CURL *e = h->easy;
	curl_easy_setopt(e, CURLOPT_URL, h->url);
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, ct);
	curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_USERAGENT, cfg->user_agent);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, dial_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, s_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	h->phase = S_FETCH;
	if (curlev_add(probe_curlev(h->p), e, s_fetch_done, h, err, sizeof(err)) != 0)
		s_fail(h, VT_PROB_SERVER_INTERNAL, "%s", err);
}

/* LE's words for a transport error; *dial: it failed while connecting (the
 * kind of error Boulder falls back to IPv4 on). */
static enum vt_problem_type s_classify(struct s_http01 *h, CURLcode rc, const char **text,
                                       bool *dial)
{
	long oserr = 0;
	curl_off_t connect_us = 0;
	bool connected;

	curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(h->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
	connected = connect_us > 0;
	*dial = false;
	*text = LEERR_GENERIC;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		*dial = true;
		*text = leerr_errno_text((int)oserr);
		return VT_PROB_CONNECTION;
	case CURLE_OPERATION_TIMEDOUT:
		*dial = !connected;
		*text = connected ? LEERR_TIMEOUT_AFTER : LEERR_TIMEOUT_DIAL;
		return VT_PROB_CONNECTION;
	case CURLE_SSL_CONNECT_ERROR:
		if (strstr(h->errbuf, "wrong version number") != NULL ||
		    strstr(h->errbuf, "packet length too long") != NULL) {
			*text = LEERR_HTTP_ONLY;
			return VT_PROB_MALFORMED;
		}
		if (oserr == ECONNRESET) {
			*text = LEERR_RESET;
			return VT_PROB_CONNECTION;
		}
		if (strstr(h->errbuf, "alert") != NULL) {
			*text = h->errbuf;
			return VT_PROB_TLS;
		}
		return VT_PROB_CONNECTION;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		if (oserr == ECONNRESET)
			*text = LEERR_RESET;
		return VT_PROB_CONNECTION;
	default:
		return VT_PROB_CONNECTION;
	}
}

/* Pick the address a walk dials for a: first IPv6 (when this vantage has
 * IPv6), else first IPv4.  -1 when there is none this vantage can use. */
static int s_pick(const struct s_http01 *h, const struct resolver_addrs *a, char *ip, bool *is_v6)
{
	const struct probe_cfg *cfg = probe_config(h->p);

	if (cfg->ipv6 && a->n_v6 > 0) {
		memcpy(ip, a->v6[0], LIMIT_ADDR_LEN);
		*is_v6 = true;
		return 0;
	}
	if (a->n_v4 > 0) {
		memcpy(ip, a->v4[0], LIMIT_ADDR_LEN);
		*is_v6 = false;
		return 0;
	}
	return -1;
}

/* Only IPv6 addresses and this vantage has no IPv6: record what was
 * resolved, and fail as "not judged" (verdict.c recognises the record). */
static void s_no_ipv6(struct s_http01 *h, const struct resolver_addrs *a)
{
	h->ip[0] = '\0';
	(void)s_add_record(h, a);
	vt_result_add_warning(probe_result(h->p),
	                      "this vantage has no IPv6, so IPv6 was not judged (%s has only IPv6 "
	                      "addresses)",
	                      h->host);
	s_fail(h, VT_PROB_CONNECTION,
	       "%s: Fetching %s: this vantage has no IPv6 path and %s resolves only to IPv6",
	       a->v6[0], h->url, h->host);
}

static void s_hop_resolved(const struct resolver_addrs *a, void *arg)
{
	struct s_http01 *h = arg;
	bool v6;
	char prev_ip[LIMIT_ADDR_LEN];

	if (h->phase != S_RESOLVE_HOP)
		return;
	memcpy(prev_ip, h->ip, LIMIT_ADDR_LEN);
	resolver_warn_reserved(a, probe_result(h->p));
	snprintf(h->url, sizeof(h->url), "%s", h->next.url);
	snprintf(h->host, sizeof(h->host), "%s", h->next.host);
	h->port = h->next.port;
	h->https = h->next.https;
	if (a->prob != VT_PROB_NONE) {
		s_fail(h, a->prob, "%s: Fetching %s: %s", prev_ip, h->url, a->err);
		return;
	}
	if (s_pick(h, a, h->ip, &v6) != 0) {
		s_no_ipv6(h, a);
		return;
	}
	s_fetch(h, a);
}

/* A 301/302/303/307/308 with a Location: judge it, then resolve the target. */
static void s_redirect(struct s_http01 *h, long status)
{
	struct vt_result *r = probe_result(h->p);
	const char *prior[LIMIT_MAX_RECORDS];
	struct redirect_in in;
	char err[LIMIT_DETAIL_LEN / 2], e2[256];

	memset(&in, 0, sizeof(in));
	for (size_t i = 0; i < r->n_records && i < LIMIT_MAX_RECORDS; i++)
		prior[i] = r->records[i].url;
	in.current_url = h->url;
	in.location = h->location;
	in.status = status;
	in.prev_tls_below_12 = false; /* curl refuses TLS < 1.2 during the handshake */
	in.num_redirects = h->n_redirects;
	in.prior = prior;
	in.n_prior = r->n_records < LIMIT_MAX_RECORDS ? r->n_records : LIMIT_MAX_RECORDS;
	in.public_prefixes = &probe_config(h->p)->public_prefixes;
	in.http_port = s_http_port();
	in.https_port = HTTPS_PORT;
	if (redirect_check(&in, &h->next, err, sizeof(err)) != 0) {
		s_fail(h, VT_PROB_CONNECTION, "%s: Fetching %s: %s", h->ip, h->next.url, err);
		return;
	}
	h->n_redirects++;
	h->phase = S_RESOLVE_HOP;
	s_release_easy(h);
	if (resolver_lookup(h->res, h->next.host, s_hop_resolved, h, e2, sizeof(e2)) != 0)
		s_fail(h, VT_PROB_SERVER_INTERNAL, "%s", e2);
}

/* The IPv4 re-run of the whole walk after an IPv6 dial failure. */
static void s_fallback(struct s_http01 *h, const char *why)
{
	if (strchr(h->ip, ':') != NULL)
		vt_result_add_warning(probe_result(h->p),
		                      "IPv6 address %s failed: %s. Let's Encrypt fell back to IPv4 "
		                      "this time, but fix IPv6: it tries IPv6 first",
		                      h->ip, why);
	else
		vt_result_add_warning(
		        probe_result(h->p),
		        "redirect target %s (%s) failed (%s); Let's Encrypt re-ran the "
		        "validation from the original URL over IPv4",
		        h->url, h->ip, why);
	h->fallback_done = true;
	snprintf(h->url, sizeof(h->url), "%s", h->url0);
	snprintf(h->host, sizeof(h->host), "%s", probe_job(h->p)->domain);
	h->port = s_http_port();
	h->https = false;
	memcpy(h->ip, h->a0.v4[0], LIMIT_ADDR_LEN);
	s_fetch(h, &h->a0);
}

/* A body that fills HTTP01_MAX_BODY fails (the probe is then finished). */
static bool s_body_too_long(struct s_http01 *h)
{
	char quoted[HTTP01_MAX_BODY * S_QUOTE_MAX_PER_BYTE + 8];

	if (!h->body_over && h->body_len < HTTP01_MAX_BODY)
		return false;
	s_goquote(quoted, sizeof(quoted), h->body, h->body_len);
	s_fail(h, VT_PROB_UNAUTHORIZED, "%s: Invalid response from %s: %s", h->ip, h->url, quoted);
	return true;
}

/* Compare the trimmed body with the key authorization. */
static void s_check_body(struct s_http01 *h)
{
	const struct vt_job *job = probe_job(h->p);
	char quoted[HTTP01_MAX_BODY * S_QUOTE_MAX_PER_BYTE + 8];
	char ka[LIMIT_KEYAUTH_LEN * S_QUOTE_MAX_PER_BYTE + 8];
	size_t len;

	len = s_trim_right(h->body, h->body_len);
	if (len == strlen(job->key_authorization) &&
	    memcmp(h->body, job->key_authorization, len) == 0) {
		s_finish_ok(h, VT_OUTCOME_PASS);
		return;
	}
	s_goquote(ka, sizeof(ka), (const unsigned char *)job->key_authorization,
	          strlen(job->key_authorization));
	s_goquote(quoted, sizeof(quoted), h->body, len);
	s_fail(h, VT_PROB_UNAUTHORIZED,
	       "The key authorization file from the server did not match this challenge. Expected "
	       "%s (got %s)",
	       ka, quoted);
}

static void s_fetch_done(CURL *easy, CURLcode rc, void *arg)
{
	struct s_http01 *h = arg;
	struct vt_result *r = probe_result(h->p);
	const struct vt_job *job = probe_job(h->p);
	curl_off_t connect_us = 0;
	long status = 0;
	const char *text;
	bool dial;

	if (h->phase != S_FETCH)
		return;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
	if (connect_us > 0)
		r->timings.connect_ms = (uint32_t)(connect_us / S_US_PER_MS);
	if (rc == CURLE_WRITE_ERROR && h->body_over)
		rc = CURLE_OK; /* we stopped reading at HTTP01_MAX_BODY */
	if (status > 0)
		s_keep_response(h); /* even when the body was cut off by an error */
	if (rc != CURLE_OK) {
		enum vt_problem_type t = s_classify(h, rc, &text, &dial);
		if (dial && h->first_v6 && !h->fallback_done && h->a0.n_v4 > 0) {
			s_fallback(h, text);
			return;
		}
		s_fail(h, t, "%s: Fetching %s: %s", h->ip, h->url, text);
		return;
	}
	r->http_status = (uint32_t)status;
	if ((status == 301 || status == 302 || status == 303 || status == 307 || status == 308) &&
	    h->have_location) {
		s_redirect(h, status);
		return;
	}
	if (job->mode == VT_MODE_REACHABILITY) {
		/* the path answered: 200 or 404 means a validation would reach it */
		if (status == 200 || status == 404) {
			s_finish_ok(h, VT_OUTCOME_REACHABLE);
			return;
		}
		s_fail(h, VT_PROB_UNAUTHORIZED, "%s: Invalid response from %s: %ld", h->ip, h->url,
		       status);
		return;
	}
	/* Boulder reads the (limited) body before it looks at the status, so a
	 * long error page is reported as the quoted page, not as its status */
	if (s_body_too_long(h))
		return;
	if (status != 200) {
		s_fail(h, VT_PROB_UNAUTHORIZED, "%s: Invalid response from %s: %ld", h->ip, h->url,
		       status);
		return;
	}
	s_check_body(h);
}

static void s_resolved0(const struct resolver_addrs *a, void *arg)
{
	struct s_http01 *h = arg;
	struct vt_result *r = probe_result(h->p);
	bool v6 = false;

	if (h->phase != S_RESOLVE0)
		return;
	r->timings.resolve_ms = a->elapsed_ms;
	resolver_warn_reserved(a, r); /* also when nothing usable is left */
	if (a->prob != VT_PROB_NONE) {
		s_fail(h, a->prob, "%s", a->err);
		return;
	}
	h->a0 = *a;
	if (!probe_config(h->p)->ipv6 && a->n_v6 > 0 && a->n_v4 > 0)
		vt_result_add_warning(
		        r,
		        "this vantage has no IPv6, so IPv6 (%s) was not judged; Let's "
		        "Encrypt would try it first",
		        a->v6[0]);
	if (s_pick(h, a, h->ip, &v6) != 0) {
		s_no_ipv6(h, a);
		return;
	}
	h->first_v6 = v6;
	s_fetch(h, a);
}

static int s_start(struct probe *p, char *err, size_t errlen)
{
	const struct vt_job *job = probe_job(p);
	struct s_http01 *h = calloc(1, sizeof(*h));
	bool v6lit = strchr(job->domain, ':') != NULL;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	probe_set_state(p, h);
	h->p = p;
	if (job->domain[0] == '\0' || job->token[0] == '\0') {
		snprintf(err, errlen, "job has no domain or no token");
		return -1;
	}
	if (job->mode == VT_MODE_VALIDATE && job->key_authorization[0] == '\0') {
		snprintf(err, errlen, "validate mode needs a key authorization");
		return -1;
	}
	snprintf(h->url0, sizeof(h->url0), "http://%s%s%s%s%s", v6lit ? "[" : "", job->domain,
	         v6lit ? "]" : "", S_WELL_KNOWN, job->token);
	snprintf(h->url, sizeof(h->url), "%s", h->url0);
	snprintf(h->host, sizeof(h->host), "%s", job->domain);
	h->port = s_http_port();
	h->res = resolver_new(probe_base(p), &probe_config(p)->resolver,
	                      &probe_config(p)->public_prefixes);
	if (h->res == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->phase = S_RESOLVE0;
	return resolver_lookup(h->res, job->domain, s_resolved0, h, err, errlen);
}

static void s_cancel(struct probe *p, bool budget_expired)
{
	struct s_http01 *h = probe_state(p);
	curl_off_t connect_us = 0;

	if (h == NULL)
		return;
	if (budget_expired && probe_result(p)->outcome == 0) {
		if (h->phase == S_FETCH && h->easy != NULL) {
			curl_easy_getinfo(h->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
			vt_result_fail(probe_result(p), VT_PROB_CONNECTION, "%s: Fetching %s: %s",
			               h->ip, h->url,
			               connect_us > 0 ? LEERR_TIMEOUT_AFTER : LEERR_TIMEOUT_DIAL);
		} else if (h->phase == S_RESOLVE0 || h->phase == S_RESOLVE_HOP) {
			const char *host = h->phase == S_RESOLVE0 ? h->host : h->next.host;
			vt_result_fail(
			        probe_result(p), VT_PROB_DNS,
			        "DNS problem: query timed out (and was canceled) looking up A for "
			        "%s; DNS problem: query timed out (and was canceled) looking up "
			        "AAAA for %s",
			        host, host);
		}
	}
	h->phase = S_DONE;
	resolver_cancel(h->res);
	s_release_easy(h);
}

static void s_free(struct probe *p)
{
	struct s_http01 *h = probe_state(p);

	if (h == NULL)
		return;
	s_release_easy(h);
	resolver_destroy(&h->res);
	free(h);
	probe_set_state(p, NULL);
}

const struct probe_ops http01_ops = {
        .method = VT_METHOD_HTTP01,
        .name = "http-01",
        .start = s_start,
        .cancel = s_cancel,
        .free = s_free,
};
