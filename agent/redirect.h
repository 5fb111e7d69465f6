/*
 * redirect.h -- Boulder's HTTP-01 redirect policy (va/http.go processRedirect
 * and extractRequestTarget) as one pure function.
 *
 * The HTTP-01 probe calls redirect_check() for every 3xx response that Go's
 * client would follow (301, 302, 303, 307, 308 with a Location); the rules run
 * in Boulder's order and a refusal carries Let's Encrypt's exact text.  No
 * I/O, no global state: the unit tests drive it directly.
 */
#ifndef VANTAGE_AGENT_REDIRECT_H
#define VANTAGE_AGENT_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../common/limits.h"

/* One redirect to judge. */
struct redirect_in {
	const char *current_url;  /* URL of the response that redirects */
	const char *location;     /* its Location header, absolute or relative */
	long status;              /* its status code */
	bool prev_tls_below_12;   /* it came over HTTPS with TLS < 1.2 */
	unsigned num_redirects;   /* redirects already followed in this walk */
	const char *const *prior; /* URLs of every validation record so far */
	size_t n_prior;
	const struct addr_filter *public_prefixes; /* treat-as-public, may be NULL */
	uint16_t http_port;                        /* HTTP01_PORT (tests may differ) */
	uint16_t https_port;                       /* HTTPS_PORT */
};

/* Where an accepted redirect goes. */
struct redirect_target {
	char url[LIMIT_URL_LEN + 1];     /* absolute, host lower-cased */
	char host[LIMIT_DOMAIN_LEN + 1]; /* no brackets for IPv6 */
	uint16_t port;                   /* explicit, or implied by the scheme */
	bool https;                      /* scheme is https */
	bool is_ip;                      /* host is an IP literal */
};

/*
 * Apply Boulder's redirect rules (letsencrypt-validation.md 3.6, rules 1-12
 * in order) to in.  Returns 0 when the redirect may be followed, with *out
 * filled; the caller then counts it (num_redirects + 1).  Returns -1 when it
 * is refused, with Let's Encrypt's text (e.g. "Too many redirects") in err;
 * out->url then holds the resolved target URL when one could be computed
 * (callers report "Fetching <out->url>: <err>"), else the Location as given.
 */
int redirect_check(const struct redirect_in *in, struct redirect_target *out, char *err,
                   size_t errlen);

/*
 * Resolve ref (a Location value) against base with libcurl's URL parser into
 * out (size outlen).  0, or -1 with a reason in err.  Exposed for tests.
 */
int redirect_resolve(const char *base, const char *ref, char *out, size_t outlen, char *err,
                     size_t errlen);

#endif
