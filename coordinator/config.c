/*
 * config.c -- load the coordinator's configuration with libconfig (see
 * config.h).  libconfig was chosen because it gives line numbers for syntax
 * errors and typed lookups; everything it accepts is then checked here
 * against the named limits.
 */
#include <stdio.h>
#include <string.h>
#include <libconfig.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "config.h"
#include "../common/keys.h"

/* Copy the string setting name of group g into dst.  required: missing is an
 * error.  0, or -1 with err. */
static int s_get_str(const config_setting_t *g, const char *gname, const char *name, char *dst,
                     size_t dstlen, bool required, char *err, size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	const char *v;

	if (s == NULL) {
		if (required) {
			snprintf(err, errlen, "%s: missing required setting \"%s\"", gname, name);
			return -1;
		}
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		snprintf(err, errlen, "line %d: %s.%s must be a string",
		         config_setting_source_line(s), gname, name);
		return -1;
	}
	v = config_setting_get_string(s);
	if (v == NULL || strlen(v) >= dstlen || (required && v[0] == '\0')) {
		snprintf(err, errlen, "line %d: %s.%s is empty or longer than %zu characters",
		         config_setting_source_line(s), gname, name, dstlen - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Optional unsigned integer setting in [lo, hi]. */
static int s_get_uint(const config_setting_t *g, const char *name, uint32_t lo, uint32_t hi,
                      uint32_t *dst, char *err, size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	long long v;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		snprintf(err, errlen, "line %d: coordinator.%s must be an integer",
		         config_setting_source_line(s), name);
		return -1;
	}
	v = config_setting_get_int64(s);
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	if (v < (long long)lo || v > (long long)hi) {
		snprintf(err, errlen, "line %d: coordinator.%s = %lld is out of range %u..%u",
		         config_setting_source_line(s), name, v, lo, hi);
		return -1;
	}
	*dst = (uint32_t)v;
	return 0;
}

static int s_parse_agents(const config_t *cf, struct coord_config *c, char *err, size_t errlen)
{
	const config_setting_t *list = config_lookup(cf, "agents");
	int n, primary_line = 0;

	if (list == NULL) {
		snprintf(err, errlen, "missing required list \"agents\"");
		return -1;
	}
	if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
		snprintf(err, errlen, "line %d: \"agents\" must be a list ( {...}, ... )",
		         config_setting_source_line(list));
		return -1;
	}
	n = config_setting_length(list);
	if (n > LIMIT_AGENTS) {
		snprintf(err, errlen, "line %d: %d agents configured, at most %d allowed",
		         config_setting_source_line(list), n, LIMIT_AGENTS);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *a = config_setting_get_elem(list, (unsigned)i);
		struct coord_agent_cfg *ac = &c->agents[i];
		const config_setting_t *p;
		char gname[48];
		int line = config_setting_source_line(a);

		snprintf(gname, sizeof(gname), "line %d: agents[%d]", line, i);
		if (!config_setting_is_group(a)) {
			snprintf(err, errlen, "%s must be a group { name = ...; region = ...; }",
			         gname);
			return -1;
		}
		if (s_get_str(a, gname, "name", ac->name, sizeof(ac->name), true, err, errlen) !=
		            0 ||
		    s_get_str(a, gname, "region", ac->region, sizeof(ac->region), true, err,
		              errlen) != 0 ||
		    s_get_str(a, gname, "rir", ac->rir, sizeof(ac->rir), true, err, errlen) != 0)
			return -1;
		if (!keys_valid_name(ac->name)) {
			snprintf(err, errlen,
			         "%s: invalid agent name \"%s\" (want [A-Za-z0-9._-], 1..%d "
			         "characters, not starting with '.')",
			         gname, ac->name, LIMIT_AGENT_NAME_LEN);
			return -1;
		}
		for (int j = 0; j < i; j++) {
			if (strcmp(c->agents[j].name, ac->name) == 0) {
				snprintf(err, errlen, "%s: duplicate agent name \"%s\"", gname,
				         ac->name);
				return -1;
			}
		}
		p = config_setting_get_member(a, "primary");
		if (p != NULL) {
			if (config_setting_type(p) != CONFIG_TYPE_BOOL) {
				snprintf(err, errlen, "%s: primary must be true or false", gname);
				return -1;
			}
			ac->primary = config_setting_get_bool(p) != 0;
		}
		if (ac->primary) {
			if (primary_line != 0) {
				snprintf(
				        err, errlen,
				        "%s: more than one primary agent (the first is on line %d)",
				        gname, primary_line);
				return -1;
			}
			primary_line = line;
		}
		c->n_agents++;
	}
	return 0;
}

/* Is the host part of "ADDR:PORT" / "[V6]:PORT" a loopback address? */
static bool s_listen_is_loopback(const char *listen)
{
	char host[CONFIG_ENDPOINT_LEN];
	const char *end;
	struct in_addr v4;
	struct in6_addr v6;
	size_t n;

	if (listen[0] == '[') {
		listen++;
		end = strchr(listen, ']');
	} else {
		end = strrchr(listen, ':');
	}
	if (end == NULL || (size_t)(end - listen) >= sizeof(host))
		return false;
	n = (size_t)(end - listen);
	memcpy(host, listen, n);
	host[n] = '\0';
	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

/* Shared by load and parse: cf has been read successfully. */
static int s_extract(const config_t *cf, struct coord_config *c, char *err, size_t errlen)
{
	const config_setting_t *g = config_lookup(cf, "coordinator");
	const char *gn = "coordinator";

	if (g == NULL || !config_setting_is_group(g)) {
		snprintf(err, errlen, "missing required group \"coordinator: { ... };\"");
		return -1;
	}
	if (s_get_str(g, gn, "agent_endpoint", c->agent_endpoint, sizeof(c->agent_endpoint), true,
	              err, errlen) != 0 ||
	    s_get_str(g, gn, "key_file", c->key_file, sizeof(c->key_file), true, err, errlen) !=
	            0 ||
	    s_get_str(g, gn, "allowlist_dir", c->allowlist_dir, sizeof(c->allowlist_dir), true, err,
	              errlen) != 0 ||
	    s_get_str(g, gn, "api_listen", c->api_listen, sizeof(c->api_listen), false, err,
	              errlen) != 0 ||
	    s_get_str(g, gn, "api_token_file", c->api_token_file, sizeof(c->api_token_file), true,
	              err, errlen) != 0 ||
	    s_get_str(g, gn, "api_tls_cert", c->api_tls_cert, sizeof(c->api_tls_cert), false, err,
	              errlen) != 0 ||
	    s_get_str(g, gn, "api_tls_key", c->api_tls_key, sizeof(c->api_tls_key), false, err,
	              errlen) != 0)
		return -1;
	if ((c->api_tls_cert[0] == '\0') != (c->api_tls_key[0] == '\0')) {
		snprintf(err, errlen, "coordinator: api_tls_cert and api_tls_key go together");
		return -1;
	}
	if (c->api_tls_cert[0] == '\0' && !s_listen_is_loopback(c->api_listen)) {
		snprintf(err, errlen,
		         "coordinator: api_listen \"%s\" is not a loopback address; listening "
		         "there requires api_tls_cert and api_tls_key",
		         c->api_listen);
		return -1;
	}
	if (s_get_uint(g, "heartbeat_ivl_ms", CONFIG_MIN_HB_MS, CONFIG_MAX_HB_MS,
	               &c->heartbeat_ivl_ms, err, errlen) != 0 ||
	    s_get_uint(g, "liveness", 1, CONFIG_MAX_LIVENESS, &c->liveness, err, errlen) != 0 ||
	    s_get_uint(g, "job_budget_ms", JOB_MIN_BUDGET_MS, JOB_MAX_BUDGET_MS, &c->job_budget_ms,
	               err, errlen) != 0 ||
	    s_get_uint(g, "min_answers", 1, LIMIT_AGENTS, &c->min_answers, err, errlen) != 0)
		return -1;
	return s_parse_agents(cf, c, err, errlen);
}

static void s_defaults(struct coord_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->api_listen, sizeof(c->api_listen), "127.0.0.1:%d", API_DEFAULT_PORT);
	c->heartbeat_ivl_ms = HEARTBEAT_IVL_MS;
	c->liveness = HEARTBEAT_LIVENESS;
	c->job_budget_ms = JOB_DEFAULT_BUDGET_MS;
	c->min_answers = DEFAULT_MIN_ANSWERS;
}

/* Common body; path names the source in messages, text non-NULL parses text. */
static int s_load(const char *path, const char *text, struct coord_config *c, char *err,
                  size_t errlen)
{
	config_t cf;
	char sub[512] = "";
	int rc = -1, ok;

	s_defaults(c);
	if (text == NULL &&
	    snprintf(c->path, sizeof(c->path), "%s", path) >= (int)sizeof(c->path)) {
		snprintf(err, errlen, "configuration path too long");
		return -1;
	}
	config_init(&cf);
	ok = text != NULL ? config_read_string(&cf, text) : config_read_file(&cf, path);
	if (ok != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read file", path);
		else
			snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&cf),
			         config_error_text(&cf));
		goto out;
	}
	if (s_extract(&cf, c, sub, sizeof(sub)) != 0) {
		snprintf(err, errlen, "%s: %s", path, sub);
		goto out;
	}
	rc = 0;
out:
	config_destroy(&cf);
	return rc;
}

int coord_config_load(const char *path, struct coord_config *c, char *err, size_t errlen)
{
	return s_load(path, NULL, c, err, errlen);
}

int coord_config_parse(const char *text, struct coord_config *c, char *err, size_t errlen)
{
	return s_load("(string)", text, c, err, errlen);
}

int coord_config_find_agent(const struct coord_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_agents && i < LIMIT_AGENTS; i++)
		if (strcmp(c->agents[i].name, name) == 0)
			return (int)i;
	return -1;
}
