/*
 * redirect.c -- Boulder's redirect policy (letsencrypt-validation.md 3.6).
 *
 * Pure: libcurl's URL API (CURLU) resolves and splits the Location, libpsl's
 * built-in list answers "is the last label an ICANN public suffix", and
 * addr.c answers "is this IP literal reserved".  Texts are Boulder's.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libpsl.h>

#include "redirect.h"

#define S_ERR_LOCATION "Error getting validation data"

/* Copy a CURLU part into buf; "" when absent.  0, or -1 if it does not fit. */
static int s_get_part(CURLU *u, CURLUPart part, char *buf, size_t len)
{
	char *v = NULL;
	int rc = -1;

	buf[0] = '\0';
	if (curl_url_get(u, part, &v, 0) != CURLUE_OK) {
		rc = 0;
		goto out;
	}
	if (strlen(v) >= len)
		goto out;
	snprintf(buf, len, "%s", v);
	rc = 0;
out:
	curl_free(v);
	return rc;
}

int redirect_resolve(const char *base, const char *ref, char *out, size_t outlen, char *err,
                     size_t errlen)
{
	CURLU *u = curl_url();
	CURLUcode uc;
	int rc = -1;

	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	uc = curl_url_set(u, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		snprintf(err, errlen, "bad base URL: %s", curl_url_strerror(uc));
		goto out;
	}
	uc = curl_url_set(u, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		snprintf(err, errlen, "bad Location: %s", curl_url_strerror(uc));
		goto out;
	}
	if (s_get_part(u, CURLUPART_URL, out, outlen) != 0 || out[0] == '\0') {
		snprintf(err, errlen, "resolved URL too long");
		goto out;
	}
	rc = 0;
out:
	curl_url_cleanup(u);
	return rc;
}

/* Does an absolute ref have an empty authority ("http:///x", "https://?q")? */
static bool s_empty_authority(const char *ref)
{
	const char *p = ref != NULL ? strstr(ref, "://") : NULL;
	const char *slash = ref != NULL ? strchr(ref, '/') : NULL;

	if (p == NULL || slash == NULL || slash < p)
		return false; /* relative, or "//host" */
	p += 3;
	return *p == '\0' || *p == '/' || *p == '?' || *p == '#';
}

/* Does host end in an ICANN public suffix (its last label)? */
static bool s_icann_tld(const char *host)
{
	const psl_ctx_t *psl = psl_builtin();
	const char *dot = strrchr(host, '.');
	const char *label = dot != NULL ? dot + 1 : host;

	if (psl == NULL || *label == '\0' || dot == NULL)
		return false;
	return psl_is_public_suffix2(psl, label, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) != 0;
}

/* Is host (no brackets) an IP literal? */
static bool s_is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int redirect_check(const struct redirect_in *in, struct redirect_target *out, char *err,
                   size_t errlen)
{
	char scheme[32], host[LIMIT_URL_LEN + 1], portbuf[16], zone[64], path[LIMIT_URL_LEN + 1];
	CURLU *u = NULL;
	CURLUcode uc;
	const char *why;
	unsigned long port;
	char *end;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->url, sizeof(out->url), "%s", in->location ? in->location : "");

	/* 1. count, checked before the caller increments it */
	if (in->num_redirects > HTTP01_MAX_REDIRECTS) {
		(void)redirect_resolve(in->current_url, in->location, out->url, sizeof(out->url),
		                       err, errlen);
		snprintf(err, errlen, "Too many redirects");
		goto out;
	}
	/* 2. TLS version of the response that redirected */
	if (in->prev_tls_below_12) {
		snprintf(err, errlen,
		         "validation attempt was redirected to an HTTPS server that doesn't "
		         "support TLSv1.2 or better. See "
		         "https://community.letsencrypt.org/t/"
		         "rejecting-sha-1-csrs-and-validation-using-tls-1-0-1-1-urls/175144");
		goto out;
	}
	/* resolve the target now: Go reports every later refusal against it */
	u = curl_url();
	if (u == NULL) {
		snprintf(err, errlen, S_ERR_LOCATION);
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, in->current_url, CURLU_NON_SUPPORT_SCHEME) !=
	    CURLUE_OK) {
		snprintf(err, errlen, S_ERR_LOCATION);
		goto out;
	}
	uc = curl_url_set(u, CURLUPART_URL, in->location ? in->location : "",
	                  CURLU_NON_SUPPORT_SCHEME);
	if (uc == CURLUE_NO_HOST) {
		snprintf(err, errlen, "Invalid empty host in redirect target");
		goto out;
	}
	if (uc != CURLUE_OK) {
		snprintf(err, errlen, S_ERR_LOCATION);
		goto out;
	}
	/* 3. status */
	if (in->status != 301 && in->status != 302 && in->status != 307 && in->status != 308) {
		(void)s_get_part(u, CURLUPART_URL, out->url, sizeof(out->url));
		snprintf(err, errlen, "received disallowed redirect status code");
		goto out;
	}
	/* the zone is lost when the host is set again below */
	(void)s_get_part(u, CURLUPART_ZONEID, zone, sizeof(zone));
	/* 4. lower-case the host */
	if (s_get_part(u, CURLUPART_HOST, host, sizeof(host)) != 0) {
		snprintf(err, errlen, "Redirect target too long");
		goto out;
	}
	for (size_t i = 0; host[i] != '\0'; i++)
		host[i] = (char)tolower((unsigned char)host[i]);
	if (host[0] != '\0' && curl_url_set(u, CURLUPART_HOST, host, 0) != CURLUE_OK) {
		snprintf(err, errlen, S_ERR_LOCATION);
		goto out;
	}
	if (s_get_part(u, CURLUPART_URL, out->url, sizeof(out->url)) != 0) {
		snprintf(err, errlen, "Redirect target too long");
		goto out;
	}
	/* 5. scheme */
	(void)s_get_part(u, CURLUPART_SCHEME, scheme, sizeof(scheme));
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(err, errlen,
		         "Invalid protocol scheme in redirect target. Only \"http\" and \"https\" "
		         "protocol schemes are supported, not \"%s\"",
		         scheme);
		goto out;
	}
	out->https = strcmp(scheme, "https") == 0;
	/* 6. port */
	(void)s_get_part(u, CURLUPART_PORT, portbuf, sizeof(portbuf));
	if (portbuf[0] != '\0') {
		errno = 0;
		port = strtoul(portbuf, &end, 10);
		if (errno != 0 || *end != '\0' || port > UINT16_MAX) {
			snprintf(err, errlen, S_ERR_LOCATION);
			goto out;
		}
		if (port != in->http_port && port != in->https_port) {
			snprintf(err, errlen,
			         "Invalid port in redirect target. Only ports %u and %u are "
			         "supported, "
			         "not %lu",
			         (unsigned)in->http_port, (unsigned)in->https_port, port);
			goto out;
		}
		out->port = (uint16_t)port;
	} else {
		out->port = out->https ? in->https_port : in->http_port;
	}
	/* 7. empty host (curl would read "http:///x" as host "x"; Go does not) */
	if (host[0] == '\0' || s_empty_authority(in->location)) {
		snprintf(err, errlen, "Invalid empty host in redirect target");
		goto out;
	}
	/* strip IPv6 brackets: Go's URL.Hostname() */
	if (host[0] == '[') {
		size_t hl = strlen(host);
		if (hl >= 2 && host[hl - 1] == ']') {
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = '\0';
		}
	}
	/* 8. ".well-known" host: a Redirect missing its '/' */
	size_t hlen = strlen(host);
	const char *wk = ".well-known";
	if (hlen >= strlen(wk) && strcmp(host + hlen - strlen(wk), wk) == 0) {
		snprintf(err, errlen,
		         "Invalid host in redirect target \"%s\". Check webserver config for "
		         "missing "
		         "'/' in redirect target.",
		         host);
		goto out;
	}
	/* 9. IP literals */
	if (zone[0] != '\0' || strchr(host, '%') != NULL) {
		snprintf(err, errlen, "Invalid host in redirect target: contains scope zone");
		goto out;
	}
	if (s_is_ip(host)) {
		if (addr_is_reserved(host, in->public_prefixes, &why)) {
			snprintf(err, errlen,
			         "Invalid host in redirect target: IP address is in a reserved "
			         "address "
			         "block: %s",
			         why ? why : "");
			goto out;
		}
		out->is_ip = true;
	} else if (!s_icann_tld(host)) {
		/* 10. hostnames end in an ICANN public suffix */
		snprintf(err, errlen,
		         "Invalid host in redirect target, must end in IANA registered TLD");
		goto out;
	}
	if (strlen(host) >= sizeof(out->host)) {
		snprintf(err, errlen,
		         "Invalid host in redirect target, must end in IANA registered TLD");
		goto out;
	}
	memcpy(out->host, host, strlen(host) + 1); /* length checked above */
	/* 11. path length */
	if (s_get_part(u, CURLUPART_PATH, path, sizeof(path)) != 0 ||
	    strlen(path) > HTTP01_MAX_REDIRECT_PATH) {
		snprintf(err, errlen, "Redirect target too long");
		goto out;
	}
	/* 12. loop */
	for (size_t i = 0; i < in->n_prior && i < LIMIT_MAX_RECORDS * 2; i++) {
		if (in->prior[i] != NULL && strcmp(in->prior[i], out->url) == 0) {
			snprintf(err, errlen, "Redirect loop detected");
			goto out;
		}
	}
	rc = 0;
out:
	curl_url_cleanup(u);
	return rc;
}
