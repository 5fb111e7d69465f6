/*
 * api.c -- HTTP API on libmicrohttpd in external-select (epoll) mode (see
 * api.h).  libmicrohttpd was chosen for its suspend/resume support, which lets
 * a synchronous POST /v1/checks wait for agents inside the coordinator's one
 * poll loop; jansson parses and builds the JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "alert.h"
#include "api.h"
#include "enroll.h"
#include "history.h"
#include "metrics.h"
#include "monitor.h"
#include "names.h"
#include "../common/keyauth.h"
#include "../common/keys.h"
#include "../common/log.h"

enum api_route {
	ROUTE_NONE,
	ROUTE_CHECKS,
	ROUTE_AGENTS,
	ROUTE_HEALTH,
	ROUTE_ENROLL,   /* POST /v1/enrollments */
	ROUTE_APPROVE,  /* POST /v1/agents/NAME/approve */
	ROUTE_REVOKE,   /* POST /v1/agents/NAME/revoke */
	ROUTE_HISTORY,  /* GET /v1/history?domain=D[&since=T][&limit=N] */
	ROUTE_MONITORS, /* GET or POST /v1/monitors */
	ROUTE_MONITOR,  /* DELETE /v1/monitors/NAME */
	ROUTE_METRICS,  /* GET /metrics (Prometheus) */
	ROUTE_STATUS,   /* GET /status (HTML) */
};

struct api {
	const struct coord_config *cfg;
	struct agents *agents;
	struct checks *checks;
	struct enroll *enroll;  /* NULL: no enrolment endpoints */
	struct api_admin admin; /* copied from api_new */
	bool have_admin;
	struct monitors *monitors; /* api_set_monitoring; NULL: not running */
	struct history *history;
	struct alerts *alerts;
	bool loopback; /* api_listen is a loopback address: /metrics, /status open */
	struct MHD_Daemon *d;
	char token[API_TOKEN_FILE_MAX + 1];
	size_t token_len;
	char *tls_cert, *tls_key; /* owned; MHD keeps pointers */
	unsigned port;
	char start_err[API_START_ERR_LEN]; /* MHD's first message while starting */
};

/* Per-connection state, freed by the completion callback. */
struct api_conn {
	struct api *api;
	struct MHD_Connection *conn;
	enum api_route route;
	/* NAME of /v1/agents/NAME/ACTION or /v1/monitors/NAME, cut one past
	 * the longest valid name so that a longer one stays invalid */
	char name[API_PATH_NAME_LEN + 2];
	char *body;
	size_t len;
	bool too_large;
	struct check *check; /* running, connection suspended */
	bool done;           /* the check finished; doc holds the report */
	json_t *doc;
};

/* Queue doc (consumed) with status.  Returns MHD's verdict. */
static enum MHD_Result s_reply(struct MHD_Connection *conn, unsigned status, json_t *doc)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (text == NULL) {
		static char oom[] = "{\"error\":\"out of memory\"}";
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		resp = MHD_create_response_from_buffer(strlen(oom), oom, MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(text);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result s_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return s_reply(conn, status, json_pack("{s:s}", "error", msg));
}

static bool s_authorized(const struct api *a, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *prefix = "Bearer ";
	size_t pl = strlen(prefix), n;

	if (h == NULL || strncasecmp(h, prefix, pl) != 0)
		return false;
	h += pl;
	n = strnlen(h, API_TOKEN_FILE_MAX + 1);
	if (n != a->token_len)
		return false;
	return CRYPTO_memcmp(h, a->token, n) == 0;
}

/* Copy a JSON string member into dst; absent is fine.  -1 with err. */
static int s_json_str(json_t *o, const char *key, char *dst, size_t dstlen, char *err,
                      size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s must be a string", key);
		return -1;
	}
	if (json_string_length(v) >= dstlen || json_string_length(v) == 0) {
		snprintf(err, errlen, "%s must be 1..%zu characters", key, dstlen - 1);
		return -1;
	}
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int s_json_uint(json_t *o, const char *key, uint32_t lo, uint32_t hi, uint32_t *dst,
                       char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
	    json_integer_value(v) > (json_int_t)hi) {
		snprintf(err, errlen, "%s must be an integer in %u..%u", key, lo, hi);
		return -1;
	}
	*dst = (uint32_t)json_integer_value(v);
	return 0;
}

/* Token and key authorization characters: base64url. */
static bool s_b64url(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Add one method name to req (CAA sets req->caa).  "all" adds every
 * validation method and CAA, not tls-cert (a certificate check, not a
 * challenge).  where names the member for errors. */
static int s_add_method(struct check_request *req, const char *name, const char *where,
                        bool *caa_named, char *err, size_t errlen)
{
	static const enum vt_method all[] = {VT_METHOD_HTTP01, VT_METHOD_TLSALPN01,
	                                     VT_METHOD_DNS01};
	enum vt_method m;

	if (strcmp(name, "all") == 0) {
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			bool seen = false;
			for (size_t k = 0; k < req->n_methods; k++)
				seen |= req->methods[k] == all[i];
			if (!seen && req->n_methods < CHECKS_MAX_METHODS)
				req->methods[req->n_methods++] = all[i];
		}
		*caa_named = true;
		return 0;
	}
	m = vt_method_parse(name);
	if (m == VT_METHOD_NONE) {
		snprintf(
		        err, errlen,
		        "%s: unknown method \"%.64s\" (http-01, tls-alpn-01, dns-01, tls-cert, caa "
		        "or all)",
		        where, name);
		return -1;
	}
	if (m == VT_METHOD_CAA) {
		*caa_named = true;
		return 0;
	}
	for (size_t k = 0; k < req->n_methods; k++) {
		if (req->methods[k] == m) {
			snprintf(err, errlen, "%s: method %s given twice", where, name);
			return -1;
		}
	}
	if (req->n_methods >= CHECKS_MAX_METHODS) {
		snprintf(err, errlen, "%s: too many methods", where);
		return -1;
	}
	req->methods[req->n_methods++] = m;
	return 0;
}

/* Does a key authorization or digest in req bind to one identifier?  True
 * when any requested method other than http-01 (and caa, which uses none)
 * would use it. */
static bool s_needs_one_domain(const struct check_request *req)
{
	if (req->digest[0] != '\0')
		return true;
	for (size_t k = 0; k < req->n_methods; k++)
		if (req->methods[k] == VT_METHOD_TLSALPN01 || req->methods[k] == VT_METHOD_DNS01)
			return true;
	return false;
}

/* "method" (one name or "all") or "methods" (an array of names); default
 * http-01.  Fills req->methods and *caa_named (caa or all named). */
static int s_parse_methods(json_t *o, struct check_request *req, bool *caa_named, char *err,
                           size_t errlen)
{
	json_t *one = json_object_get(o, "method"), *arr = json_object_get(o, "methods");
	char where[32];

	*caa_named = false;
	if (one != NULL && arr != NULL) {
		snprintf(err, errlen, "give \"method\" or \"methods\", not both");
		return -1;
	}
	if (one != NULL) {
		if (!json_is_string(one)) {
			snprintf(err, errlen, "method must be a string");
			return -1;
		}
		return s_add_method(req, json_string_value(one), "method", caa_named, err, errlen);
	}
	if (arr == NULL) {
		req->methods[req->n_methods++] = VT_METHOD_HTTP01;
		return 0;
	}
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > CHECKS_MAX_METHODS + 1) {
		snprintf(err, errlen,
		         "methods must be an array of 1..%d names (http-01, tls-alpn-01, dns-01, "
		         "tls-cert, caa, all)",
		         CHECKS_MAX_METHODS + 1);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);

		snprintf(where, sizeof(where), "methods[%zu]", i);
		if (!json_is_string(v)) {
			snprintf(err, errlen, "%s must be a string", where);
			return -1;
		}
		if (s_add_method(req, json_string_value(v), where, caa_named, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static bool s_has_method(const struct check_request *req, enum vt_method m)
{
	for (size_t k = 0; k < req->n_methods; k++)
		if (req->methods[k] == m)
			return true;
	return false;
}

/* "digest" or its DNS-01 alias "txt": 64 hex or 43 base64url characters,
 * stored as base64url.  Absent is fine. */
static int s_parse_digest(json_t *o, struct check_request *req, char *err, size_t errlen)
{
	json_t *dg = json_object_get(o, "digest"), *txt = json_object_get(o, "txt");
	const char *key = dg != NULL ? "digest" : "txt";
	json_t *v = dg != NULL ? dg : txt;
	uint8_t raw[32];
	char sub[128];

	if (dg != NULL && txt != NULL) {
		snprintf(err, errlen, "give \"digest\" or \"txt\", not both (txt is the digest)");
		return -1;
	}
	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s must be a string", key);
		return -1;
	}
	if (keyauth_digest_parse(json_string_value(v), raw, sub, sizeof(sub)) != 0) {
		snprintf(err, errlen,
		         "%s must be SHA-256(key authorization) as 64 hex or 43 base64url "
		         "characters: %s",
		         key, sub);
		return -1;
	}
	if (txt != NULL && !s_has_method(req, VT_METHOD_DNS01)) {
		snprintf(err, errlen, "txt is the DNS-01 record value: it needs method dns-01");
		return -1;
	}
	if (!s_has_method(req, VT_METHOD_TLSALPN01) && !s_has_method(req, VT_METHOD_DNS01)) {
		snprintf(err, errlen, "%s validates only tls-alpn-01 and dns-01", key);
		return -1;
	}
	if (s_has_method(req, VT_METHOD_HTTP01)) {
		snprintf(err, errlen,
		         "%s cannot validate http-01 (the server must serve the key authorization "
		         "itself): give key_authorization, or leave http-01 out",
		         key);
		return -1;
	}
	keyauth_b64url32(raw, req->digest);
	return 0;
}

/* A CAA parameter value (RFC 8659 4.2): %x21-3A / %x3C-7E, so no ';'. */
static bool s_caa_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || *s == ';')
			return false;
	return true;
}

/* "caa" (default true), "caa_issuer", "account_uri". */
static int s_parse_caa(json_t *o, struct check_request *req, bool caa_named, char *err,
                       size_t errlen)
{
	json_t *v = json_object_get(o, "caa");
	char issuer[LIMIT_CAA_ISSUER_LEN + 1] = "", sub[256];

	req->caa = true;
	if (v != NULL) {
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "caa must be true or false");
			return -1;
		}
		req->caa = json_is_true(v);
	}
	if (!req->caa && caa_named) {
		snprintf(err, errlen, "caa is false but the methods ask for caa");
		return -1;
	}
	if (!req->caa && req->n_methods == 0) {
		snprintf(err, errlen, "no method to check");
		return -1;
	}
	if (s_json_str(o, "caa_issuer", issuer, sizeof(issuer), err, errlen) != 0 ||
	    s_json_str(o, "account_uri", req->caa_account_uri, sizeof(req->caa_account_uri), err,
	               errlen) != 0)
		return -1;
	if (!req->caa && (issuer[0] != '\0' || req->caa_account_uri[0] != '\0')) {
		snprintf(err, errlen,
		         "caa_issuer and account_uri need the caa check (caa is false)");
		return -1;
	}
	if (issuer[0] != '\0' &&
	    checks_parse_domain(issuer, req->caa_issuer, sub, sizeof(sub)) != 0) {
		snprintf(err, errlen, "caa_issuer: %s", sub);
		return -1;
	}
	if (issuer[0] == '\0')
		snprintf(req->caa_issuer, sizeof(req->caa_issuer), "%s", CAA_DEFAULT_ISSUER);
	if (!s_caa_value_ok(req->caa_account_uri)) {
		snprintf(err, errlen,
		         "account_uri must be printable ASCII without spaces or ';' (a CAA "
		         "accounturi value)");
		return -1;
	}
	return 0;
}

/* The request body as a JSON object (duplicate keys refused): the object
 * (caller decrefs), or NULL with the reason for a 400 in err. */
static json_t *s_body_object(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (o == NULL) {
		snprintf(err, errlen, "invalid JSON at line %d column %d: %s", je.line, je.column,
		         je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		snprintf(err, errlen, "the body must be a JSON object");
		json_decref(o);
		return NULL;
	}
	return o;
}

/* names_check's rules for req's names and methods (the public-name rules,
 * a wildcard only by dns-01, an IP address not by it).  0 or -1. */
static int s_check_names(const struct check_request *req, char *err, size_t errlen)
{
	char norm[LIMIT_DOMAIN_LEN + 1];
	unsigned mask = names_methods_mask(req->methods, req->n_methods, req->caa);

	for (size_t i = 0; i < req->n_domains; i++)
		if (names_check(req->domains[i], mask, norm, NULL, err, errlen) != 0)
			return -1;
	return 0;
}

/* Parse a POST /v1/checks body into req (docs/api.md).  0, or -1 with a
 * precise reason for a 400. */
static int s_parse_check(const char *body, size_t len, struct check_request *req, char *err,
                         size_t errlen)
{
	json_t *o, *v;
	char mode[32] = "";
	bool caa_named = false, have_secret;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	o = s_body_object(body, len, err, errlen);
	if (o == NULL)
		goto out;
	v = json_object_get(o, "domains");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > LIMIT_DOMAINS_PER_CHECK) {
		snprintf(err, errlen, "domains must be an array of 1..%d names",
		         LIMIT_DOMAINS_PER_CHECK);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *d = json_array_get(v, i);
		if (!json_is_string(d)) {
			snprintf(err, errlen, "domains[%zu] must be a string", i);
			goto out;
		}
		/* the names Let's Encrypt refuses, with the CLI's message */
		if (names_check(json_string_value(d), NAMES_SYNTAX_ONLY, req->domains[i], NULL, err,
		                errlen) != 0)
			goto out;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(req->domains[j], req->domains[i]) == 0) {
				snprintf(err, errlen, "domains[%zu] repeats domains[%zu]", i, j);
				goto out;
			}
		}
		req->n_domains++;
	}
	if (s_parse_methods(o, req, &caa_named, err, errlen) != 0 ||
	    s_parse_caa(o, req, caa_named, err, errlen) != 0 ||
	    s_parse_digest(o, req, err, errlen) != 0 || s_check_names(req, err, errlen) != 0)
		goto out;
	if (s_json_str(o, "mode", mode, sizeof(mode), err, errlen) != 0 ||
	    s_json_str(o, "token", req->token, sizeof(req->token), err, errlen) != 0 ||
	    s_json_str(o, "key_authorization", req->key_authorization,
	               sizeof(req->key_authorization), err, errlen) != 0 ||
	    s_json_uint(o, "budget_ms", JOB_MIN_BUDGET_MS, JOB_MAX_BUDGET_MS, &req->budget_ms, err,
	                errlen) != 0 ||
	    s_json_uint(o, "min_answers", 1, LIMIT_AGENTS, &req->min_answers, err, errlen) != 0)
		goto out;
	if (req->key_authorization[0] != '\0' && req->digest[0] != '\0') {
		snprintf(err, errlen,
		         "give key_authorization or digest/txt, not both (the digest is derived "
		         "from the key authorization)");
		goto out;
	}
	have_secret = req->key_authorization[0] != '\0' || req->digest[0] != '\0';
	/* One HTTP-01 file may serve several names (vantage check --webroot
	 * writes one file into a webroot several names share); a TLS-ALPN-01
	 * certificate or a DNS-01 TXT record belongs to one identifier. */
	if (have_secret && req->n_domains != 1 && s_needs_one_domain(req)) {
		snprintf(err, errlen,
		         "%s validates one challenge: give exactly one domain (%zu given)",
		         req->key_authorization[0] != '\0' ? "key_authorization" : "digest",
		         req->n_domains);
		goto out;
	}
	if (mode[0] == '\0')
		snprintf(mode, sizeof(mode), "%s", have_secret ? "validate" : "reachability");
	if (strcmp(mode, "reachability") == 0) {
		req->mode = VT_MODE_REACHABILITY;
		if (have_secret) {
			snprintf(err, errlen, "%s needs mode \"validate\"",
			         req->key_authorization[0] != '\0' ? "key_authorization"
			                                           : "digest");
			goto out;
		}
		if (!s_b64url(req->token, strlen(req->token))) {
			snprintf(err, errlen, "token must be base64url characters");
			goto out;
		}
	} else if (strcmp(mode, "validate") == 0) {
		const char *dot = strchr(req->key_authorization, '.');
		req->mode = VT_MODE_VALIDATE;
		if (req->digest[0] == '\0' &&
		    (dot == NULL || dot == req->key_authorization || dot[1] == '\0' ||
		     !s_b64url(req->key_authorization, (size_t)(dot - req->key_authorization)) ||
		     !s_b64url(dot + 1, strlen(dot + 1)))) {
			snprintf(err, errlen,
			         "mode \"validate\" needs key_authorization "
			         "\"TOKEN.THUMBPRINT\" (base64url)%s",
			         req->n_methods > 0 && !s_has_method(req, VT_METHOD_HTTP01)
			                 ? " or digest"
			                 : "");
			goto out;
		}
		if (req->token[0] != '\0') {
			snprintf(err, errlen,
			         "token is taken from key_authorization in validate mode");
			goto out;
		}
	} else {
		snprintf(err, errlen, "mode must be \"reachability\" or \"validate\"");
		goto out;
	}
	v = json_object_get(o, "regions");
	if (v != NULL) {
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    json_array_size(v) > CHECKS_MAX_REGIONS) {
			snprintf(err, errlen, "regions must be an array of 1..%d names",
			         CHECKS_MAX_REGIONS);
			goto out;
		}
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *r = json_array_get(v, i);
			if (!json_is_string(r) || json_string_length(r) == 0 ||
			    json_string_length(r) > LIMIT_REGION_LEN) {
				snprintf(err, errlen,
				         "regions[%zu] must be a string of 1..%d characters", i,
				         LIMIT_REGION_LEN);
				goto out;
			}
			memcpy(req->regions[i], json_string_value(r), json_string_length(r) + 1);
			req->n_regions++;
		}
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* Called by the check manager when the check finished. */
static void s_check_done(json_t *doc, void *arg)
{
	struct api_conn *ac = arg;

	ac->doc = doc;
	ac->done = true;
	ac->check = NULL;
	MHD_resume_connection(ac->conn);
}

static enum MHD_Result s_post_checks(struct api_conn *ac, struct MHD_Connection *conn)
{
	struct check_request req;
	char err[512];
	int status = 400;

	if (ac->done) {
		json_t *doc = ac->doc;
		ac->doc = NULL;
		if (doc == NULL)
			return s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			               "cannot build the report");
		return s_reply(conn, MHD_HTTP_OK, doc);
	}
	if (ac->too_large) {
		snprintf(err, sizeof(err), "body larger than %d bytes", API_MAX_BODY);
		return s_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, err);
	}
	if (s_parse_check(ac->body ? ac->body : "", ac->len, &req, err, sizeof(err)) != 0)
		return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
	ac->check = checks_start(ac->api->checks, &req, s_check_done, ac, checks_now_ms(), &status,
	                         err, sizeof(err));
	if (ac->check == NULL)
		return s_error(conn, (unsigned)status, err);
	MHD_suspend_connection(conn);
	return MHD_YES;
}

static enum MHD_Result s_health(struct api *a, struct MHD_Connection *conn)
{
	return s_reply(conn, MHD_HTTP_OK,
	               json_pack("{s:s, s:I, s:I}", "status", "ok", "agents_up",
	                         (json_int_t)agents_count_up(a->agents), "agents_configured",
	                         (json_int_t)a->agents->n));
}

/* ---- enrolment (docs/api.md, "Enrolment") ---- */

/* Does allowlist_dir/NAME.pub exist? */
static bool s_enrolled(const struct api *a, const char *name)
{
	char path[CONFIG_PATH_LEN];

	return (size_t)snprintf(path, sizeof(path), "%s/%s.pub", a->cfg->allowlist_dir, name) <
	               sizeof(path) &&
	       access(path, F_OK) == 0;
}

/* What a POST /v1/enrollments body asks for. */
struct enroll_req {
	char name[LIMIT_AGENT_NAME_LEN + 1];
	char region[LIMIT_REGION_LEN + 1]; /* "" = not given */
	char rir[LIMIT_REGION_LEN + 1];
	bool primary, primary_given;
	uint32_t ttl_s;
};

/* Parse a POST /v1/enrollments body.  0, or -1 with the reason for a 400. */
static int s_parse_enroll(const char *body, size_t len, struct enroll_req *r, char *err,
                          size_t errlen)
{
	json_t *o, *v;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->ttl_s = ENROLL_DEFAULT_TTL_S;
	o = s_body_object(body, len, err, errlen);
	if (o == NULL)
		goto out;
	v = json_object_get(o, "name");
	if (!json_is_string(v) || json_string_length(v) > LIMIT_AGENT_NAME_LEN ||
	    !keys_valid_name(json_string_value(v))) {
		snprintf(err, errlen,
		         "name must be an agent name ([A-Za-z0-9._-], 1..%d characters, not "
		         "starting with '.')",
		         LIMIT_AGENT_NAME_LEN);
		goto out;
	}
	memcpy(r->name, json_string_value(v), json_string_length(v) + 1);
	if (s_json_str(o, "region", r->region, sizeof(r->region), err, errlen) != 0 ||
	    s_json_str(o, "rir", r->rir, sizeof(r->rir), err, errlen) != 0 ||
	    s_json_uint(o, "ttl_s", 1, ENROLL_MAX_TTL_S, &r->ttl_s, err, errlen) != 0)
		goto out;
	if ((r->region[0] != '\0' && !coord_config_valid_label(r->region)) ||
	    (r->rir[0] != '\0' && !coord_config_valid_label(r->rir))) {
		snprintf(err, errlen,
		         "region and rir must be 1..%d printable characters without '\"' or '\\'",
		         LIMIT_REGION_LEN);
		goto out;
	}
	v = json_object_get(o, "primary");
	if (v != NULL) {
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "primary must be true or false");
			goto out;
		}
		r->primary = json_is_true(v);
		r->primary_given = true;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* POST /v1/enrollments: open (or replace) the ticket for an agent and hand
 * out its one-time token, with what the agent needs to dial in. */
static enum MHD_Result s_post_enroll(struct api_conn *ac, struct MHD_Connection *conn)
{
	struct api *a = ac->api;
	const struct enroll_ticket *t;
	const struct coord_agent_cfg *main_cfg = NULL;
	struct enroll_req r;
	char err[512], token[LIMIT_ENROLL_TOKEN_LEN + 1], expires[VT_TIME_LEN];
	int idx;
	json_t *doc;

	if (a->enroll == NULL || !a->have_admin)
		return s_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "enrolment is not available");
	if (s_parse_enroll(ac->body ? ac->body : "", ac->len, &r, err, sizeof(err)) != 0)
		return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
	idx = coord_config_find_agent(a->cfg, r.name);
	if (idx >= 0 && !a->cfg->agents[idx].from_dir)
		main_cfg = &a->cfg->agents[idx];
	if (main_cfg != NULL) {
		/* The main list is the one source of its region, RIR and primary
		 * flag; a request that says otherwise is a mistake worth showing. */
		if ((r.region[0] != '\0' && strcmp(r.region, main_cfg->region) != 0) ||
		    (r.rir[0] != '\0' && strcmp(r.rir, main_cfg->rir) != 0) ||
		    (r.primary_given && r.primary != main_cfg->primary)) {
			snprintf(err, sizeof(err),
			         "agent %s is in the main agents list as %s, %s%s: leave "
			         "region, rir and primary out (or change the configuration)",
			         r.name, main_cfg->region, main_cfg->rir,
			         main_cfg->primary ? ", primary" : "");
			return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
		}
		r.primary = main_cfg->primary;
	} else if (r.region[0] == '\0' || r.rir[0] == '\0') {
		snprintf(err, sizeof(err),
		         "region and rir are required: %s is not in the main agents list", r.name);
		return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
	}
	for (size_t i = 0; main_cfg == NULL && r.primary && i < a->cfg->n_agents; i++) {
		if (a->cfg->agents[i].primary && strcmp(a->cfg->agents[i].name, r.name) != 0) {
			snprintf(err, sizeof(err), "agent %s is already the primary",
			         a->cfg->agents[i].name);
			return s_error(conn, MHD_HTTP_CONFLICT, err);
		}
	}
	if (s_enrolled(a, r.name)) {
		snprintf(err, sizeof(err), "agent %s is already enrolled: revoke it first", r.name);
		return s_error(conn, MHD_HTTP_CONFLICT, err);
	}
	if (enroll_create(a->enroll, r.name, main_cfg != NULL ? "" : r.region,
	                  main_cfg != NULL ? "" : r.rir, r.primary, r.ttl_s, (int64_t)time(NULL),
	                  token, err, sizeof(err)) != 0) {
		bool full = enroll_find(a->enroll, r.name) == NULL &&
		            enroll_count(a->enroll) >= ENROLL_MAX_TICKETS;
		log_warn("enrolment for %s: %s", r.name, err);
		return s_error(conn,
		               full ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR,
		               err);
	}
	t = enroll_find(a->enroll, r.name);
	if (t == NULL || vt_time_rfc3339(t->expires, expires, sizeof(expires)) != 0)
		snprintf(expires, sizeof(expires), "?");
	log_info("enrolment for %s opened (%s, %s%s), until %s", r.name,
	         main_cfg != NULL ? main_cfg->region : r.region,
	         main_cfg != NULL ? main_cfg->rir : r.rir, r.primary ? ", primary" : "", expires);
	doc = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:o, s:s}", "name", r.name, "region",
	                main_cfg != NULL ? main_cfg->region : r.region, "rir",
	                main_cfg != NULL ? main_cfg->rir : r.rir, "primary", r.primary, "token",
	                token, "expires", expires, "coordinator_public_key",
	                a->admin.coordinator_key, "public_endpoint",
	                a->cfg->public_endpoint[0] != '\0' ? json_string(a->cfg->public_endpoint)
	                                                   : json_null(),
	                "agent_endpoint", a->cfg->agent_endpoint);
	explicit_bzero(token, sizeof(token));
	return s_reply(conn, MHD_HTTP_CREATED, doc);
}

/* POST /v1/agents/NAME/approve and /revoke, through the coordinator loop's
 * callbacks (api_admin). */
static enum MHD_Result s_post_admin(struct api_conn *ac, struct MHD_Connection *conn)
{
	struct api *a = ac->api;
	const struct agent *ag;
	unsigned status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	char err[1024] = "";
	bool approve = ac->route == ROUTE_APPROVE, was_up;
	int rc;

	if (!a->have_admin || (approve ? a->admin.approve : a->admin.revoke) == NULL)
		return s_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "enrolment is not available");
	ag = agents_find(a->agents, ac->name);
	was_up = ag != NULL && ag->state == AGENT_UP;
	if (approve)
		rc = a->admin.approve(a->admin.ctx, ac->name, &status, err, sizeof(err));
	else
		rc = a->admin.revoke(a->admin.ctx, ac->name, &status, err, sizeof(err));
	if (rc != 0) {
		if (status < MHD_HTTP_BAD_REQUEST || status > MHD_HTTP_SERVICE_UNAVAILABLE)
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		return s_error(conn, status, err[0] != '\0' ? err : "failed");
	}
	if (approve)
		return s_reply(conn, MHD_HTTP_OK,
		               json_pack("{s:s, s:b}", "name", ac->name, "approved", 1));
	return s_reply(
	        conn, MHD_HTTP_OK,
	        json_pack("{s:s, s:b, s:b}", "name", ac->name, "revoked", 1, "was_up", was_up));
}

static enum MHD_Result s_get_agents(struct api *a, struct MHD_Connection *conn)
{
	json_t *doc = agents_json(a->agents, checks_now_ms()), *en;

	if (doc == NULL)
		return s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	en = enroll_json(a->enroll, (int64_t)time(NULL));
	if (en == NULL || json_object_set_new(doc, "enrollments", en) != 0) {
		json_decref(doc);
		return s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	return s_reply(conn, MHD_HTTP_OK, doc);
}

/* ---- monitoring (issue 5; docs/api.md, "Monitoring") ---- */

/* Queue text (malloc'd, taken over: MHD frees it) of type ctype with
 * status.  The headers keep browsers from guessing a type or fetching
 * anything (the status page has inline CSS only), and caches from keeping
 * a state that changes every run. */
static enum MHD_Result s_reply_text(struct MHD_Connection *conn, unsigned status, char *text,
                                    size_t len, const char *ctype)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy",
	                        "default-src 'none'; style-src 'unsafe-inline'");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result s_no_monitoring(struct MHD_Connection *conn)
{
	return s_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "monitoring is not running");
}

/* n decimal digits at *p (advanced) into *v.  False if any is not a digit. */
static bool s_digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		*v = *v * 10 + (c - '0');
	}
	*p += n;
	return true;
}

int api_parse_rfc3339(const char *s, int64_t *out)
{
	const char *p = s;
	struct tm tm, back;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	time_t t;

	if (!s_digits(&p, 4, &y) || *p++ != '-' || !s_digits(&p, 2, &mo) || *p++ != '-' ||
	    !s_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if (!s_digits(&p, 2, &h) || *p++ != ':' || !s_digits(&p, 2, &mi) || *p++ != ':' ||
	    !s_digits(&p, 2, &sec))
		return -1;
	if (*p == '.') { /* fractional seconds: dropped */
		size_t n = strspn(p + 1, "0123456789");
		if (n == 0 || n > API_RFC3339_MAX_FRAC)
			return -1;
		p += 1 + n;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!s_digits(&p, 2, &oh) || *p++ != ':' || !s_digits(&p, 2, &om) || oh > 23 ||
		    om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second counts as the one before */
	t = timegm(&tm);
	/* timegm normalises 2026-02-30 to March: refuse what does not round-trip */
	if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL || back.tm_mday != d ||
	    back.tm_mon != mo - 1)
		return -1;
	*out = (int64_t)t - sign * (int64_t)(oh * 3600 + om * 60);
	return 0;
}

int api_parse_since(const char *s, int64_t now, int64_t *out, char *err, size_t errlen)
{
	size_t n = strnlen(s, API_SINCE_LEN + 1), digits = strspn(s, "0123456789");
	unsigned long long v;
	int64_t mult, t;

	if (n == 0 || n > API_SINCE_LEN)
		goto bad;
	if (digits > 0 && digits == n) { /* Unix seconds */
		if (digits > API_SINCE_MAX_DIGITS)
			goto bad;
		t = (int64_t)strtoull(s, NULL, 10);
	} else if (digits > 0 && digits == n - 1) { /* a duration back from now */
		if (digits > API_SINCE_MAX_DIGITS)
			goto bad;
		v = strtoull(s, NULL, 10);
		switch (s[digits]) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		case 'w':
			mult = 7 * 86400;
			break;
		default:
			goto bad;
		}
		if (v > (unsigned long long)(API_SINCE_MAX_BACK_S / mult)) {
			snprintf(err, errlen, "since \"%s\": at most %lld days back", s,
			         (long long)(API_SINCE_MAX_BACK_S / 86400));
			return -1;
		}
		t = now - (int64_t)v * mult;
	} else if (api_parse_rfc3339(s, &t) != 0) {
		goto bad;
	}
	if (t > now) {
		snprintf(err, errlen, "since \"%s\" is in the future", s);
		return -1;
	}
	*out = t < 0 ? 0 : t;
	return 0;
bad:
	snprintf(err, errlen,
	         "since \"%.*s\": expected an RFC 3339 time (2026-01-02T03:04:05Z), Unix "
	         "seconds, or a duration back from now (30m, 24h, 7d)",
	         API_SINCE_LEN, s);
	return -1;
}

/* GET /v1/history?domain=D[&since=T][&limit=N] (history_query's document). */
static enum MHD_Result s_get_history(struct api *a, struct MHD_Connection *conn)
{
	const char *dom = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "domain");
	const char *since = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
	const char *limit = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
	char domain[LIMIT_DOMAIN_LEN + 1], err[512], sub[256];
	int64_t now = (int64_t)time(NULL), from = now - API_HISTORY_DEFAULT_S;
	unsigned long n = 0;
	json_t *doc;

	if (a->history == NULL)
		return s_no_monitoring(conn);
	if (dom == NULL || dom[0] == '\0')
		return s_error(conn, MHD_HTTP_BAD_REQUEST, "the domain parameter is required");
	if (checks_parse_domain(dom, domain, sub, sizeof(sub)) != 0) {
		snprintf(err, sizeof(err), "domain: %s", sub);
		return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
	}
	if (since != NULL && api_parse_since(since, now, &from, err, sizeof(err)) != 0)
		return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
	if (limit != NULL) {
		char *end = NULL;
		errno = 0;
		n = strtoul(limit, &end, 10);
		if (limit[0] < '0' || limit[0] > '9' || errno != 0 || *end != '\0' || n < 1 ||
		    n > HISTORY_MAX_QUERY_RUNS) {
			snprintf(err, sizeof(err), "limit must be an integer in 1..%d",
			         HISTORY_MAX_QUERY_RUNS);
			return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
		}
	}
	doc = history_query(a->history, domain, from, (size_t)n, err, sizeof(err));
	if (doc == NULL) {
		log_warn("GET /v1/history for %s: %s", domain, err);
		return s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, err);
	}
	return s_reply(conn, MHD_HTTP_OK, doc);
}

static enum MHD_Result s_get_monitors(struct api *a, struct MHD_Connection *conn)
{
	json_t *doc;

	if (a->monitors == NULL)
		return s_no_monitoring(conn);
	doc = monitors_json(a->monitors, (int64_t)time(NULL));
	if (doc == NULL)
		return s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return s_reply(conn, MHD_HTTP_OK, doc);
}

/* The entry of monitor name in a monitors_json document, or NULL. */
static json_t *s_monitor_entry(json_t *doc, const char *name)
{
	json_t *arr = json_object_get(doc, "monitors");

	for (size_t i = 0; i < json_array_size(arr) && i < MONITOR_MAX; i++) {
		json_t *e = json_array_get(arr, i);
		const char *n = json_string_value(json_object_get(e, "name"));
		if (n != NULL && strcmp(n, name) == 0)
			return e;
	}
	return NULL;
}

/* Is e (a monitors_json entry) defined in the configuration file? */
static bool s_from_config(const json_t *e)
{
	const char *src = json_string_value(json_object_get(e, "source"));

	return src == NULL || strcmp(src, "api") != 0;
}

/* POST /v1/monitors: add a monitor (monitor_spec_from_json's JSON), kept in
 * the history database.  201 with its monitors_json entry. */
static enum MHD_Result s_post_monitor(struct api_conn *ac, struct MHD_Connection *conn)
{
	struct api *a = ac->api;
	struct monitor_spec spec;
	json_t *o = NULL, *doc = NULL, *e;
	char err[512];
	enum MHD_Result ret;

	if (a->monitors == NULL || a->history == NULL)
		return s_no_monitoring(conn);
	o = s_body_object(ac->body ? ac->body : "", ac->len, err, sizeof(err));
	if (o == NULL)
		return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
	if (monitor_spec_from_json(o, &spec, err, sizeof(err)) != 0) {
		ret = s_error(conn, MHD_HTTP_BAD_REQUEST, err);
		goto out;
	}
	spec.from_api = true;
	doc = monitors_json(a->monitors, (int64_t)time(NULL));
	if (doc == NULL) {
		ret = s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		goto out;
	}
	e = s_monitor_entry(doc, spec.name);
	if (e != NULL) {
		snprintf(err, sizeof(err), "monitor %s exists (%s)", spec.name,
		         s_from_config(e) ? "defined in the configuration file"
		                          : "added through the API");
		ret = s_error(conn, MHD_HTTP_CONFLICT, err);
		goto out;
	}
	if (json_array_size(json_object_get(doc, "monitors")) >= MONITOR_MAX) {
		snprintf(err, sizeof(err), "there are %d monitors already: remove one first",
		         MONITOR_MAX);
		ret = s_error(conn, MHD_HTTP_CONFLICT, err);
		goto out;
	}
	if (monitors_add(a->monitors, &spec, err, sizeof(err)) != 0) {
		log_warn("POST /v1/monitors %s: %s", spec.name, err);
		ret = s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, err);
		goto out;
	}
	json_decref(doc);
	doc = monitors_json(a->monitors, (int64_t)time(NULL));
	e = doc != NULL ? s_monitor_entry(doc, spec.name) : NULL;
	if (e != NULL)
		ret = s_reply(conn, MHD_HTTP_CREATED, json_incref(e));
	else /* added; only the answer lacks memory */
		ret = s_reply(conn, MHD_HTTP_CREATED, monitor_spec_json(&spec));
out:
	json_decref(doc);
	json_decref(o);
	return ret;
}

/* A monitor name as the path carries it: an agent-like name (keys_valid_name)
 * of 1..MONITOR_NAME_LEN characters. */
static bool s_valid_monitor_name(const char *s)
{
	return strlen(s) <= MONITOR_NAME_LEN && keys_valid_name(s);
}

/* DELETE /v1/monitors/NAME: only a monitor added through the API. */
static enum MHD_Result s_delete_monitor(struct api_conn *ac, struct MHD_Connection *conn)
{
	struct api *a = ac->api;
	json_t *doc, *e;
	char err[512];
	enum MHD_Result ret;

	if (a->monitors == NULL || a->history == NULL)
		return s_no_monitoring(conn);
	if (!s_valid_monitor_name(ac->name)) {
		snprintf(err, sizeof(err),
		         "invalid monitor name in the path (want [A-Za-z0-9._-], 1..%d characters, "
		         "not starting with '.')",
		         MONITOR_NAME_LEN);
		return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
	}
	doc = monitors_json(a->monitors, (int64_t)time(NULL));
	if (doc == NULL)
		return s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	e = s_monitor_entry(doc, ac->name);
	if (e == NULL) {
		snprintf(err, sizeof(err), "no monitor called %s", ac->name);
		ret = s_error(conn, MHD_HTTP_NOT_FOUND, err);
	} else if (s_from_config(e)) {
		snprintf(err, sizeof(err),
		         "%s is defined in the configuration file: remove it there and reload",
		         ac->name);
		ret = s_error(conn, MHD_HTTP_CONFLICT, err);
	} else if (monitors_remove(a->monitors, ac->name, err, sizeof(err)) != 0) {
		log_warn("DELETE /v1/monitors/%s: %s", ac->name, err);
		ret = s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, err);
	} else {
		ret = s_reply(conn, MHD_HTTP_OK,
		              json_pack("{s:s, s:b}", "name", ac->name, "removed", 1));
	}
	json_decref(doc);
	return ret;
}

/* GET /metrics: served without monitoring too (the agent metrics). */
static enum MHD_Result s_get_metrics(struct api *a, struct MHD_Connection *conn)
{
	size_t len = 0;
	char *text = metrics_render(a->agents, a->checks, a->monitors, a->alerts,
	                            (int64_t)time(NULL), &len);

	if (text == NULL)
		return s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return s_reply_text(conn, MHD_HTTP_OK, text, len, METRICS_CONTENT_TYPE);
}

static enum MHD_Result s_get_status(struct api *a, struct MHD_Connection *conn)
{
	size_t len = 0;
	char *text = status_render(a->agents, a->monitors, (int64_t)time(NULL), &len);

	if (text == NULL)
		return s_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return s_reply_text(conn, MHD_HTTP_OK, text, len, STATUS_CONTENT_TYPE);
}

void api_set_monitoring(struct api *a, struct monitors *m, struct history *h, struct alerts *al)
{
	a->monitors = m;
	a->history = h;
	a->alerts = al;
}

/* Copy the path segment n (len bytes) into name, cut at API_PATH_NAME_LEN + 1
 * characters so that a longer one stays invalid; the caller validates it. */
static void s_path_name(char name[API_PATH_NAME_LEN + 2], const char *n, size_t len)
{
	if (len > API_PATH_NAME_LEN + 1)
		len = API_PATH_NAME_LEN + 1;
	memcpy(name, n, len);
	name[len] = '\0';
}

/* The route of url (MHD passes the path without the query).  For
 * /v1/agents/NAME/ACTION and /v1/monitors/NAME, NAME goes to name. */
static enum api_route s_route(const char *url, char name[API_PATH_NAME_LEN + 2])
{
	static const char agents[] = "/v1/agents/", monitors[] = "/v1/monitors/";
	const char *n, *slash;
	enum api_route route;

	name[0] = '\0';
	if (strcmp(url, "/v1/checks") == 0)
		return ROUTE_CHECKS;
	if (strcmp(url, "/v1/agents") == 0)
		return ROUTE_AGENTS;
	if (strcmp(url, "/v1/health") == 0)
		return ROUTE_HEALTH;
	if (strcmp(url, "/v1/enrollments") == 0)
		return ROUTE_ENROLL;
	if (strcmp(url, "/v1/history") == 0)
		return ROUTE_HISTORY;
	if (strcmp(url, "/v1/monitors") == 0)
		return ROUTE_MONITORS;
	if (strcmp(url, "/metrics") == 0)
		return ROUTE_METRICS;
	if (strcmp(url, "/status") == 0)
		return ROUTE_STATUS;
	if (strncmp(url, monitors, sizeof(monitors) - 1) == 0) {
		n = url + sizeof(monitors) - 1;
		if (n[0] == '\0' || strchr(n, '/') != NULL)
			return ROUTE_NONE;
		s_path_name(name, n, strlen(n));
		return ROUTE_MONITOR;
	}
	if (strncmp(url, agents, sizeof(agents) - 1) != 0)
		return ROUTE_NONE;
	n = url + sizeof(agents) - 1;
	slash = strchr(n, '/');
	if (slash == NULL)
		return ROUTE_NONE;
	if (strcmp(slash + 1, "approve") == 0)
		route = ROUTE_APPROVE;
	else if (strcmp(slash + 1, "revoke") == 0)
		route = ROUTE_REVOKE;
	else
		return ROUTE_NONE;
	s_path_name(name, n, (size_t)(slash - n));
	return route;
}

/* Is method allowed on route?  POST for the actions, POST or GET for
 * /v1/monitors, DELETE for /v1/monitors/NAME, GET for the rest. */
static bool s_method_ok(enum api_route route, const char *method)
{
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	switch (route) {
	case ROUTE_CHECKS:
	case ROUTE_ENROLL:
	case ROUTE_APPROVE:
	case ROUTE_REVOKE:
		return post;
	case ROUTE_MONITORS:
		return get || post;
	case ROUTE_MONITOR:
		return strcmp(method, MHD_HTTP_METHOD_DELETE) == 0;
	default:
		return get;
	}
}

/* /metrics and /status may be read without the token when the API listens
 * on loopback only: a local Prometheus or browser then needs no secret, and
 * nothing reaches them from elsewhere.  Everything else needs the token. */
static bool s_open_route(const struct api *a, enum api_route route)
{
	return a->loopback && (route == ROUTE_METRICS || route == ROUTE_STATUS);
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct api_conn *ac = *con_cls;
	bool is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	if (ac == NULL) {
		const char *cl;
		ac = calloc(1, sizeof(*ac));
		if (ac == NULL)
			return MHD_NO;
		ac->api = a;
		ac->conn = conn;
		ac->route = s_route(url, ac->name);
		*con_cls = ac;
		if (!s_open_route(a, ac->route) && !s_authorized(a, conn))
			return s_error(conn, MHD_HTTP_UNAUTHORIZED,
			               "missing or invalid bearer token");
		if (ac->route == ROUTE_NONE)
			return s_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
		if (!s_method_ok(ac->route, method))
			return s_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
		if ((ac->route == ROUTE_APPROVE || ac->route == ROUTE_REVOKE) &&
		    (strlen(ac->name) > LIMIT_AGENT_NAME_LEN || !keys_valid_name(ac->name))) {
			char err[128];
			snprintf(err, sizeof(err),
			         "invalid agent name in the path (want [A-Za-z0-9._-], 1..%d "
			         "characters, not starting with '.')",
			         LIMIT_AGENT_NAME_LEN);
			return s_error(conn, MHD_HTTP_BAD_REQUEST, err);
		}
		switch (ac->route) {
		case ROUTE_AGENTS:
			return s_get_agents(a, conn);
		case ROUTE_HEALTH:
			return s_health(a, conn);
		case ROUTE_HISTORY:
			return s_get_history(a, conn);
		case ROUTE_MONITOR:
			return s_delete_monitor(ac, conn);
		case ROUTE_METRICS:
			return s_get_metrics(a, conn);
		case ROUTE_STATUS:
			return s_get_status(a, conn);
		case ROUTE_MONITORS:
			if (!is_post)
				return s_get_monitors(a, conn);
			break;
		default:
			break;
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL) {
			char *end;
			unsigned long long v;
			errno = 0;
			v = strtoull(cl, &end, 10);
			if (errno != 0 || end == cl || v > API_MAX_BODY) {
				char err[128];
				snprintf(err, sizeof(err), "body larger than %d bytes",
				         API_MAX_BODY);
				return s_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, err);
			}
		}
		return MHD_YES; /* wait for the body */
	}
	if (*upload_size != 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (ac->too_large || ac->len + n > API_MAX_BODY) {
			ac->too_large = true;
			return MHD_YES;
		}
		if (ac->body == NULL) {
			ac->body = malloc(API_MAX_BODY + 1);
			if (ac->body == NULL)
				return MHD_NO;
		}
		memcpy(ac->body + ac->len, upload, n);
		ac->len += n;
		ac->body[ac->len] = '\0';
		return MHD_YES;
	}
	if (ac->check != NULL) /* still running; should not be called while suspended */
		return MHD_YES;
	if (ac->route == ROUTE_CHECKS)
		return s_post_checks(ac, conn);
	if (ac->too_large) {
		char err[128];
		snprintf(err, sizeof(err), "body larger than %d bytes", API_MAX_BODY);
		return s_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, err);
	}
	if (ac->route == ROUTE_ENROLL)
		return s_post_enroll(ac, conn);
	if (ac->route == ROUTE_MONITORS)
		return s_post_monitor(ac, conn);
	return s_post_admin(ac, conn);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
	struct api *a = cls;
	struct api_conn *ac = *con_cls;

	if (ac == NULL)
		return;
	if (ac->check != NULL)
		checks_detach(a->checks, ac->check);
	json_decref(ac->doc);
	free(ac->body);
	free(ac);
	*con_cls = NULL;
}

/* MHD's logger.  While MHD_start_daemon runs (a->d still NULL), the first
 * message is also kept: it is the reason a failed start reports. */
static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct api *a = cls;
	char line[512], esc[1024];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '.'))
		line[--n] = '\0';
	log_escape(esc, sizeof(esc), line, n);
	if (a->d == NULL && a->start_err[0] == '\0')
		log_escape(a->start_err, sizeof(a->start_err), line, n);
	log_debug("api: %s", esc);
}

int api_is_loopback(const char *addr)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, addr, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6) ||
		       (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
	return 0;
}

/* Split "ADDR:PORT" / "[V6]:PORT" into a socket address.  0 or -1. */
static int s_parse_listen(const char *listen, struct sockaddr_storage *ss, char *host,
                          size_t hostlen, unsigned *port, char *err, size_t errlen)
{
	const char *colon, *h = listen;
	size_t hl;
	char *end;
	unsigned long p;
	struct addrinfo hints, *res = NULL;
	int rc = -1, g;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		h = listen + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL)
			goto bad;
		hl = (size_t)(colon - listen);
	}
	if (hl == 0 || hl >= hostlen)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || p > 65535)
		goto bad;
	*port = (unsigned)p;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, hostlen, "127.0.0.1");
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	g = getaddrinfo(host, colon + 1, &hints, &res);
	if (g != 0 || res == NULL || res->ai_addrlen > sizeof(*ss)) {
		snprintf(err, errlen, "api_listen \"%s\": %s", listen,
		         g != 0 ? gai_strerror(g) : "no address");
		goto out;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	rc = 0;
	goto out;
bad:
	snprintf(err, errlen, "api_listen \"%s\" must be ADDR:PORT or [IPV6]:PORT (numeric)",
	         listen);
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

/* Read a whole file (at most API_TLS_MAX_FILE bytes) into a NUL-terminated
 * buffer the caller frees.  NULL with err. */
static char *s_slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(API_TLS_MAX_FILE + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = fread(buf, 1, API_TLS_MAX_FILE + 1, f);
	if (ferror(f) || n == 0 || n > API_TLS_MAX_FILE) {
		snprintf(err, errlen, "%s: unreadable, empty or larger than %d bytes", path,
		         API_TLS_MAX_FILE);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
out:
	fclose(f);
	return buf;
}

int api_token_load(const char *path, char token[API_TOKEN_FILE_MAX + 1], char *err, size_t errlen)
{
	struct stat st;
	char buf[API_TOKEN_FILE_MAX + 1];
	ssize_t n;
	size_t len;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		char line[API_TOKEN_LEN + 2];
		if (checks_random_hex(line, API_TOKEN_LEN) != 0) {
			snprintf(err, errlen, "cannot get random bytes for the token");
			return -1;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "cannot create token file %s: %s", path,
			         strerror(errno));
			return -1;
		}
		memcpy(token, line, API_TOKEN_LEN + 1);
		line[API_TOKEN_LEN] = '\n';
		if (fchmod(fd, 0600) != 0 ||
		    write(fd, line, API_TOKEN_LEN + 1) != API_TOKEN_LEN + 1) {
			snprintf(err, errlen, "cannot write token file %s: %s", path,
			         strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		close(fd);
		log_info("created API token file %s", path);
		return 0;
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot open token file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "token file %s is not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 0077) != 0) {
		snprintf(err, errlen,
		         "token file %s is accessible by group or others; chmod 600 it", path);
		goto out;
	}
	n = read(fd, buf, API_TOKEN_FILE_MAX);
	if (n < 0) {
		snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(errno));
		goto out;
	}
	len = (size_t)n;
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (len < API_TOKEN_MIN_LEN || strpbrk(buf, " \t\r\n") != NULL) {
		snprintf(err, errlen, "token file %s must hold one token of at least %d characters",
		         path, API_TOKEN_MIN_LEN);
		goto out;
	}
	memcpy(token, buf, len + 1);
	rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

struct api *api_new(const struct coord_config *cfg, struct agents *agents, struct checks *checks,
                    struct enroll *enroll, const struct api_admin *admin, char *err, size_t errlen)
{
	struct api *a = calloc(1, sizeof(*a));
	struct sockaddr_storage ss;
	char host[CONFIG_ENDPOINT_LEN];
	unsigned port = 0;
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	bool tls = cfg->api_tls_cert[0] != '\0';

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->agents = agents;
	a->checks = checks;
	a->enroll = enroll;
	if (admin != NULL) {
		a->admin = *admin;
		a->have_admin = true;
	}
	if (s_parse_listen(cfg->api_listen, &ss, host, sizeof(host), &port, err, errlen) != 0)
		goto fail;
	if (!api_is_loopback(host) && !tls) {
		snprintf(
		        err, errlen,
		        "api_listen %s is not a loopback address: set api_tls_cert and api_tls_key "
		        "(the bearer token must not cross a network in clear text)",
		        cfg->api_listen);
		goto fail;
	}
	if (tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen, "this libmicrohttpd has no TLS support");
			goto fail;
		}
		a->tls_cert = s_slurp(cfg->api_tls_cert, err, errlen);
		if (a->tls_cert == NULL)
			goto fail;
		a->tls_key = s_slurp(cfg->api_tls_key, err, errlen);
		if (a->tls_key == NULL)
			goto fail;
		flags |= MHD_USE_TLS;
	}
	if (api_token_load(cfg->api_token_file, a->token, err, errlen) != 0)
		goto fail;
	a->token_len = strlen(a->token);
	a->loopback = api_is_loopback(host) != 0;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The logger goes first: MHD prints messages about earlier options to
	 * stderr, and a bad certificate or key is reported while starting. */
	if (tls)
		a->d = MHD_start_daemon(
		        flags, (uint16_t)port, NULL, NULL, s_handler, a, MHD_OPTION_EXTERNAL_LOGGER,
		        s_mhd_log, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		        MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_MAX_CONNECTIONS,
		        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)API_PER_IP_CONN_LIMIT,
		        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
		        MHD_OPTION_NOTIFY_COMPLETED, s_completed, a, MHD_OPTION_HTTPS_MEM_CERT,
		        a->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, a->tls_key,
		        MHD_OPTION_HTTPS_PRIORITIES, API_TLS_PRIORITIES, MHD_OPTION_END);
	else
		a->d = MHD_start_daemon(
		        flags, (uint16_t)port, NULL, NULL, s_handler, a, MHD_OPTION_EXTERNAL_LOGGER,
		        s_mhd_log, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		        MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_MAX_CONNECTIONS,
		        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)API_PER_IP_CONN_LIMIT,
		        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
		        MHD_OPTION_NOTIFY_COMPLETED, s_completed, a, MHD_OPTION_END);
	if (a->d == NULL) {
		if (tls)
			snprintf(err, errlen,
			         "cannot start the HTTP API on %s with api_tls_cert %s and "
			         "api_tls_key %s: %s",
			         cfg->api_listen, cfg->api_tls_cert, cfg->api_tls_key,
			         a->start_err[0] != '\0' ? a->start_err : "unknown error");
		else
			snprintf(err, errlen, "cannot start the HTTP API on %s: %s",
			         cfg->api_listen,
			         a->start_err[0] != '\0' ? a->start_err : "unknown error");
		goto fail;
	}
	info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info != NULL ? info->port : port;
	log_info("HTTP API listening on %s port %u%s", host, a->port, tls ? " (TLS)" : "");
	return a;
fail:
	api_destroy(&a);
	return NULL;
}

void api_destroy(struct api **ap)
{
	struct api *a;

	if (ap == NULL || *ap == NULL)
		return;
	a = *ap;
	if (a->d != NULL)
		MHD_stop_daemon(a->d);
	free(a->tls_cert);
	if (a->tls_key != NULL) {
		explicit_bzero(a->tls_key, strlen(a->tls_key));
		free(a->tls_key);
	}
	explicit_bzero(a->token, sizeof(a->token));
	free(a);
	*ap = NULL;
}

int api_epoll_fd(const struct api *a)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_EPOLL_FD);
	return info != NULL ? info->epoll_fd : -1;
}

int64_t api_timeout_ms(const struct api *a)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(a->d, &ms) != MHD_YES)
		return -1;
	return ms > INT64_MAX ? INT64_MAX : (int64_t)ms;
}

int api_run(struct api *a)
{
	return MHD_run(a->d) == MHD_YES ? 0 : -1;
}

unsigned api_port(const struct api *a)
{
	return a->port;
}
