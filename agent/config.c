/*
 * config.c -- the agent's configuration file (libconfig); see config.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "../common/addr.h"
#include "../common/keys.h"
#include "../common/limits.h"
#include "config.h"

#define AGENT_CFG_GROUP "agent"

/* Copy src into dst (size dstlen); -1 if it does not fit. */
static int s_copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Look up an optional string setting; *out stays NULL when absent.  -1 if
 * present with another type. */
static int s_opt_string(const config_setting_t *grp, const char *key, const char **out, char *err,
                        size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(grp, key);

	*out = NULL;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		snprintf(err, errlen, "line %d: %s must be a string", config_setting_source_line(s),
		         key);
		return -1;
	}
	*out = config_setting_get_string(s);
	return 0;
}

/* A required string setting. */
static int s_req_string(const config_setting_t *grp, const char *key, const char **out, char *err,
                        size_t errlen)
{
	if (s_opt_string(grp, key, out, err, errlen) != 0)
		return -1;
	if (*out == NULL || (*out)[0] == '\0') {
		snprintf(err, errlen, "missing required setting %s.%s", AGENT_CFG_GROUP, key);
		return -1;
	}
	return 0;
}

/* "tcp://HOST:PORT" with a non-empty host and a port in 1..65535. */
static int s_check_endpoint(const char *ep, char *err, size_t errlen)
{
	const char *host = ep + strlen("tcp://");
	const char *colon;
	char *end = NULL;
	unsigned long port;

	if (strncmp(ep, "tcp://", strlen("tcp://")) != 0) {
		snprintf(err, errlen, "coordinator \"%s\": must be tcp://HOST:PORT", ep);
		return -1;
	}
	colon = strrchr(host, ':');
	if (colon == NULL || colon == host) {
		snprintf(err, errlen, "coordinator \"%s\": must be tcp://HOST:PORT", ep);
		return -1;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port == 0 || port > 65535) {
		snprintf(err, errlen, "coordinator \"%s\": bad port", ep);
		return -1;
	}
	return 0;
}

/* "ADDR" or "ADDR@PORT" with a numeric IPv4/IPv6 address. */
static int s_check_forwarder(const char *fw, char *err, size_t errlen)
{
	char addr[LIMIT_ADDR_LEN + 8];
	unsigned char buf[sizeof(struct in6_addr)];
	const char *at = strchr(fw, '@');
	size_t alen = at != NULL ? (size_t)(at - fw) : strlen(fw);

	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "resolver \"%s\": expected ADDR or ADDR@PORT", fw);
		return -1;
	}
	memcpy(addr, fw, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, buf) != 1 && inet_pton(AF_INET6, addr, buf) != 1) {
		snprintf(err, errlen, "resolver \"%s\": not a numeric IPv4 or IPv6 address", fw);
		return -1;
	}
	if (at != NULL) {
		char *end = NULL;
		unsigned long port;

		errno = 0;
		port = strtoul(at + 1, &end, 10);
		if (errno != 0 || end == at + 1 || *end != '\0' || port == 0 || port > 65535) {
			snprintf(err, errlen, "resolver \"%s\": bad port", fw);
			return -1;
		}
	}
	return 0;
}

/* A readable regular file (root hints, trust anchor). */
static int s_check_file(const char *key, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", key, path);
		return -1;
	}
	return 0;
}

/* The secret key file must not be readable by anyone but its owner; say so
 * plainly before the key reader does. */
static int s_check_key_mode(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "key_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key_file %s: not a regular file", path);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errlen,
		         "key_file %s: mode %04o is readable by group or others (chmod 600 it)",
		         path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* One coordinator key (a file, or 40 Z85 characters) into slot i, refusing
 * a key already taken: a duplicate would only make rotation try it twice. */
static int s_add_server_key(struct agent_cfg *cfg, const char *what, const char *src, char *err,
                            size_t errlen)
{
	char kerr[256];
	size_t i = cfg->n_server_keys;

	if (i >= AGENT_MAX_SERVER_KEYS) {
		snprintf(err, errlen, "coordinator_public_key: more than %d keys",
		         AGENT_MAX_SERVER_KEYS);
		return -1;
	}
	if (src[0] == '\0') {
		snprintf(err, errlen, "%s: empty", what);
		return -1;
	}
	if (keys_read_public(src, cfg->server_public[i], kerr, sizeof(kerr)) != 0) {
		snprintf(err, errlen, "%s %s: %s", what, src, kerr);
		return -1;
	}
	for (size_t j = 0; j < i; j++) {
		if (strcmp(cfg->server_public[j], cfg->server_public[i]) == 0) {
			snprintf(err, errlen, "%s %s: the same key as coordinator_public_key[%zu]",
			         what, src, j);
			memset(cfg->server_public[i], 0, sizeof(cfg->server_public[i]));
			return -1;
		}
	}
	cfg->n_server_keys++;
	return 0;
}

/* coordinator_public_key = "KEY" | [ "KEY", ... ] (or a ( list )): the keys
 * the link tries in order, so a coordinator can change its key without
 * stranding agents (vantage-agent(8), KEY ROTATION). */
static int s_parse_server_keys(const config_setting_t *grp, struct agent_cfg *cfg, char *err,
                               size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(grp, "coordinator_public_key");
	char what[64];
	int type, n;

	if (s == NULL) {
		snprintf(err, errlen, "missing required setting %s.coordinator_public_key",
		         AGENT_CFG_GROUP);
		return -1;
	}
	type = config_setting_type(s);
	if (type == CONFIG_TYPE_STRING)
		return s_add_server_key(cfg, "coordinator_public_key", config_setting_get_string(s),
		                        err, errlen);
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		snprintf(err, errlen,
		         "line %d: coordinator_public_key must be a string or a list of 1..%d "
		         "strings",
		         config_setting_source_line(s), AGENT_MAX_SERVER_KEYS);
		return -1;
	}
	n = config_setting_length(s);
	if (n < 1 || n > AGENT_MAX_SERVER_KEYS) {
		snprintf(err, errlen, "line %d: coordinator_public_key lists %d keys (want 1..%d)",
		         config_setting_source_line(s), n, AGENT_MAX_SERVER_KEYS);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		snprintf(what, sizeof(what), "coordinator_public_key[%d]", i);
		if (e == NULL || config_setting_type(e) != CONFIG_TYPE_STRING) {
			snprintf(err, errlen, "line %d: %s must be a string",
			         config_setting_source_line(s), what);
			return -1;
		}
		if (s_add_server_key(cfg, what, config_setting_get_string(e), err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* agent.name and agent.enroll_token: both (enrolment) or neither. */
static int s_parse_enrolment(const config_setting_t *grp, struct agent_cfg *cfg, char *err,
                             size_t errlen)
{
	const char *name, *token;

	if (s_opt_string(grp, "name", &name, err, errlen) != 0 ||
	    s_opt_string(grp, "enroll_token", &token, err, errlen) != 0)
		return -1;
	if (name != NULL && name[0] == '\0')
		name = NULL;
	if (token != NULL && token[0] == '\0')
		token = NULL;
	if ((name == NULL) != (token == NULL)) {
		snprintf(err, errlen,
		         "%s is set but %s is not: enrolment needs both (as `vantage enroll` "
		         "printed them), or neither",
		         name != NULL ? "name" : "enroll_token",
		         name != NULL ? "enroll_token" : "name");
		return -1;
	}
	if (name == NULL)
		return 0;
	if (!keys_valid_name(name) || s_copy(cfg->name, sizeof(cfg->name), name) != 0) {
		snprintf(err, errlen,
		         "name: want [A-Za-z0-9._-], 1..%d characters, not starting with '.'",
		         LIMIT_AGENT_NAME_LEN);
		return -1;
	}
	if (!keys_valid_enroll_token(token) ||
	    s_copy(cfg->enroll_token, sizeof(cfg->enroll_token), token) != 0) {
		snprintf(err, errlen, "enroll_token: want 1..%d letters and digits",
		         LIMIT_ENROLL_TOKEN_LEN);
		return -1;
	}
	return 0;
}

/* The agent's own key pair.  First start: key_file does not exist, so make
 * the pair there (keys_generate_at) -- an agent image then needs no key
 * baked in, and the coordinator approves the new key.  Any other problem
 * (EACCES, a mode open to others, a bad file) stays an error: regenerating
 * would silently change the agent's identity. */
static int s_load_own_key(const char *keyfile, struct agent_cfg *cfg, char *err, size_t errlen)
{
	char kerr[256], pubpath[AGENT_KEY_PATH_LEN + 8];
	struct stat st;

	if (s_copy(cfg->key_file, sizeof(cfg->key_file), keyfile) != 0) {
		snprintf(err, errlen, "key_file: path longer than %zu characters",
		         sizeof(cfg->key_file) - 1);
		return -1;
	}
	if (stat(keyfile, &st) != 0 && errno == ENOENT) {
		if (keys_public_path(keyfile, pubpath, sizeof(pubpath)) != 0) {
			snprintf(err, errlen, "key_file %s: path too long", keyfile);
			return -1;
		}
		if (keys_generate_at(keyfile, pubpath, kerr, sizeof(kerr)) != 0) {
			snprintf(err, errlen, "key_file %s does not exist and cannot be made: %s",
			         keyfile, kerr);
			return -1;
		}
		cfg->key_generated = true;
	}
	if (s_check_key_mode(keyfile, err, errlen) != 0)
		return -1;
	if (keys_read_secret(keyfile, cfg->secret, cfg->public_, kerr, sizeof(kerr)) != 0) {
		snprintf(err, errlen, "key_file %s: %s", keyfile, kerr);
		return -1;
	}
	return 0;
}

/* ipv6 = "auto" | true | false. */
static int s_parse_ipv6(const config_setting_t *grp, struct agent_cfg *cfg, char *err,
                        size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(grp, "ipv6");

	cfg->ipv6_auto = true;
	if (s != NULL) {
		int type = config_setting_type(s);

		if (type == CONFIG_TYPE_BOOL) {
			cfg->ipv6_auto = false;
			cfg->probe.ipv6 = config_setting_get_bool(s) != 0;
			return 0;
		}
		if (type != CONFIG_TYPE_STRING ||
		    strcmp(config_setting_get_string(s), "auto") != 0) {
			snprintf(err, errlen, "line %d: ipv6 must be \"auto\", true or false",
			         config_setting_source_line(s));
			return -1;
		}
	}
	cfg->probe.ipv6 = agent_host_has_ipv6();
	return 0;
}

static int s_parse_dial_timeout(const config_setting_t *grp, struct agent_cfg *cfg, char *err,
                                size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(grp, "dial_timeout_ms");
	long long v;

	cfg->probe.dial_timeout_ms = HTTP01_DIAL_TIMEOUT_MS;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		snprintf(err, errlen, "line %d: dial_timeout_ms must be an integer",
		         config_setting_source_line(s));
		return -1;
	}
	if (config_setting_type(s) == CONFIG_TYPE_INT64)
		v = config_setting_get_int64(s);
	else
		v = config_setting_get_int(s);
	if (v < AGENT_DIAL_TIMEOUT_MIN_MS || v > AGENT_DIAL_TIMEOUT_MAX_MS) {
		snprintf(err, errlen, "line %d: dial_timeout_ms %lld outside %d..%d",
		         config_setting_source_line(s), v, AGENT_DIAL_TIMEOUT_MIN_MS,
		         AGENT_DIAL_TIMEOUT_MAX_MS);
		return -1;
	}
	cfg->probe.dial_timeout_ms = (uint32_t)v;
	return 0;
}

static int s_parse_group(const config_setting_t *grp, struct agent_cfg *cfg, char *err,
                         size_t errlen)
{
	const char *coord, *keyfile, *resolver, *hints, *anchor, *tap;
	char kerr[256];

	if (s_req_string(grp, "coordinator", &coord, err, errlen) != 0 ||
	    s_parse_server_keys(grp, cfg, err, errlen) != 0 ||
	    s_req_string(grp, "key_file", &keyfile, err, errlen) != 0 ||
	    s_opt_string(grp, "resolver", &resolver, err, errlen) != 0 ||
	    s_opt_string(grp, "root_hints", &hints, err, errlen) != 0 ||
	    s_opt_string(grp, "trust_anchor", &anchor, err, errlen) != 0 ||
	    s_opt_string(grp, "treat_as_public", &tap, err, errlen) != 0)
		return -1;

	if (s_check_endpoint(coord, err, errlen) != 0)
		return -1;
	if (s_copy(cfg->coordinator, sizeof(cfg->coordinator), coord) != 0) {
		snprintf(err, errlen, "coordinator: longer than %zu characters",
		         sizeof(cfg->coordinator) - 1);
		return -1;
	}
	if (s_parse_enrolment(grp, cfg, err, errlen) != 0)
		return -1;
	if (resolver != NULL && resolver[0] != '\0') {
		if (s_check_forwarder(resolver, err, errlen) != 0)
			return -1;
		if (s_copy(cfg->probe.resolver.forwarder, sizeof(cfg->probe.resolver.forwarder),
		           resolver) != 0) {
			snprintf(err, errlen, "resolver: too long");
			return -1;
		}
	}
	if (hints != NULL && hints[0] != '\0') {
		if (s_check_file("root_hints", hints, err, errlen) != 0)
			return -1;
		if (s_copy(cfg->probe.resolver.root_hints, sizeof(cfg->probe.resolver.root_hints),
		           hints) != 0) {
			snprintf(err, errlen, "root_hints: path too long");
			return -1;
		}
	}
	if (anchor != NULL && anchor[0] != '\0') {
		if (s_check_file("trust_anchor", anchor, err, errlen) != 0)
			return -1;
		if (s_copy(cfg->probe.resolver.trust_anchor,
		           sizeof(cfg->probe.resolver.trust_anchor), anchor) != 0) {
			snprintf(err, errlen, "trust_anchor: path too long");
			return -1;
		}
	}
	if (tap != NULL && tap[0] != '\0' &&
	    addr_filter_parse(&cfg->probe.public_prefixes, tap, kerr, sizeof(kerr)) != 0) {
		snprintf(err, errlen, "treat_as_public \"%s\": %s", tap, kerr);
		return -1;
	}
	if (s_parse_ipv6(grp, cfg, err, errlen) != 0 ||
	    s_parse_dial_timeout(grp, cfg, err, errlen) != 0)
		return -1;
	/* last: a first start makes a key pair only for a configuration that
	 * is otherwise valid */
	return s_load_own_key(keyfile, cfg, err, errlen);
}

int agent_config_load(const char *path, struct agent_cfg *cfg, char *err, size_t errlen)
{
	config_t lc;
	const config_setting_t *grp;
	char why[512];
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s",
			         config_error_file(&lc) != NULL ? config_error_file(&lc) : path,
			         config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	grp = config_lookup(&lc, AGENT_CFG_GROUP);
	if (grp == NULL || config_setting_is_group(grp) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s: missing group \"%s: { ... };\"", path, AGENT_CFG_GROUP);
		goto out;
	}
	if (s_parse_group(grp, cfg, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto out;
	}
	snprintf(cfg->probe.user_agent, sizeof(cfg->probe.user_agent), "%s", LE_USER_AGENT);
	cfg->probe.resolver.timeout_ms = DNS_TIMEOUT_MS;
	rc = 0;
out:
	config_destroy(&lc);
	if (rc != 0) {
		/* never leave key material behind in a failed configuration */
		memset(cfg, 0, sizeof(*cfg));
	}
	return rc;
}

/* Is a an address that can carry traffic to other networks? */
static bool s_ipv6_usable(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
	    IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a) ||
	    IN6_IS_ADDR_SITELOCAL(a))
		return false;
	return true;
}

bool agent_host_has_ipv6(void)
{
	struct ifaddrs *ifa = NULL;
	bool found = false;
	unsigned n = 0;

	if (getifaddrs(&ifa) != 0)
		return false;
	/* bounded: the kernel's list is finite, but never trust a loop to end */
	for (const struct ifaddrs *i = ifa; i != NULL && n < AGENT_MAX_IFADDRS && !found;
	     i = i->ifa_next, n++) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET6)
			continue;
		found = s_ipv6_usable(
		        &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
	return found;
}
