/*
 * config.c -- load the coordinator's configuration with libconfig (see
 * config.h).  libconfig was chosen because it gives line numbers for syntax
 * errors and typed lookups; everything it accepts is then checked here
 * against the named limits.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libconfig.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "config.h"
#include "alert.h"
#include "monitor.h"
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

/* Optional unsigned integer setting name of group gname in [lo, hi]. */
static int s_get_uint(const config_setting_t *g, const char *gname, const char *name, uint32_t lo,
                      uint32_t hi, uint32_t *dst, char *err, size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	long long v;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		snprintf(err, errlen, "line %d: %s.%s must be an integer",
		         config_setting_source_line(s), gname, name);
		return -1;
	}
	v = config_setting_get_int64(s);
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	if (v < (long long)lo || v > (long long)hi) {
		snprintf(err, errlen, "line %d: %s.%s = %lld is out of range %u..%u",
		         config_setting_source_line(s), gname, name, v, lo, hi);
		return -1;
	}
	*dst = (uint32_t)v;
	return 0;
}

/* Optional fraction setting name of group gname, strictly between 0 and 1. */
static int s_get_fraction(const config_setting_t *g, const char *gname, const char *name,
                          double *dst, char *err, size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	double v;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_FLOAT) {
		snprintf(err, errlen, "line %d: %s.%s must be a number like 0.25",
		         config_setting_source_line(s), gname, name);
		return -1;
	}
	v = config_setting_get_float(s);
	if (!(v > 0.0 && v < 1.0)) {
		snprintf(err, errlen, "line %d: %s.%s = %g must be between 0 and 1 (exclusive)",
		         config_setting_source_line(s), gname, name, v);
		return -1;
	}
	*dst = v;
	return 0;
}

/* Optional boolean setting name of group gname. */
static int s_get_bool(const config_setting_t *g, const char *gname, const char *name, bool *dst,
                      char *err, size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		snprintf(err, errlen, "line %d: %s.%s must be true or false",
		         config_setting_source_line(s), gname, name);
		return -1;
	}
	*dst = config_setting_get_bool(s) != 0;
	return 0;
}

/* Is every member of group g one of known[n]?  A misspelt key would
 * otherwise be dropped without a word.  0, or -1 with err naming it. */
static int s_known_keys(const config_setting_t *g, const char *gname, const char *const *known,
                        size_t n, const char *list, char *err, size_t errlen)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *mn = config_setting_name(m);
		bool ok = false;

		for (size_t k = 0; k < n && mn != NULL; k++)
			ok |= strcmp(mn, known[k]) == 0;
		if (!ok) {
			snprintf(err, errlen, "line %d: %s: unknown setting \"%s\" (%s)",
			         config_setting_source_line(m), gname, mn != NULL ? mn : "?", list);
			return -1;
		}
	}
	return 0;
}

bool coord_config_valid_label(const char *s)
{
	size_t n = strnlen(s, LIMIT_REGION_LEN + 1);

	if (n == 0 || n > LIMIT_REGION_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

/* region and rir of ac, already copied: labels?  where names the source. */
static int s_check_labels(const struct coord_agent_cfg *ac, const char *where, char *err,
                          size_t errlen)
{
	if (coord_config_valid_label(ac->region) && coord_config_valid_label(ac->rir))
		return 0;
	snprintf(err, errlen,
	         "%s: region and rir must be 1..%d printable characters without '\"' or '\\'",
	         where, LIMIT_REGION_LEN);
	return -1;
}

/* The main `agents` list, optional (agents may all come from allowlist_dir).
 * The primary's name goes to primary ("" if none). */
static int s_parse_agents(const config_t *cf, struct coord_config *c,
                          char primary[LIMIT_AGENT_NAME_LEN + 1], char *err, size_t errlen)
{
	const config_setting_t *list = config_lookup(cf, "agents");
	int n, primary_line = 0;

	primary[0] = '\0';
	if (list == NULL)
		return 0;
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
		    s_get_str(a, gname, "rir", ac->rir, sizeof(ac->rir), true, err, errlen) != 0 ||
		    s_check_labels(ac, gname, err, errlen) != 0)
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
			memcpy(primary, ac->name, sizeof(ac->name));
		}
		c->n_agents++;
	}
	return 0;
}

/* String setting name of the NAME.conf at path (root r).  0 or -1. */
static int s_file_str(const config_setting_t *r, const char *path, const char *name, char *dst,
                      size_t dstlen, char *err, size_t errlen)
{
	const config_setting_t *s = config_setting_get_member(r, name);
	const char *v;

	if (s == NULL) {
		snprintf(err, errlen, "%s: missing required setting \"%s\"", path, name);
		return -1;
	}
	v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
	if (v == NULL || strlen(v) >= dstlen) {
		snprintf(err, errlen, "%s:%d: %s must be a string of at most %zu characters", path,
		         config_setting_source_line(s), name, dstlen - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Read and parse allowlist_dir/NAME.conf (path) into ac.  0, or -1 with err
 * naming the file. */
static int s_parse_agent_file(const char *path, const char *name, struct coord_agent_cfg *ac,
                              char *err, size_t errlen)
{
	static const char *known[] = {"region", "rir", "primary"};
	char buf[CONFIG_AGENT_FILE_MAX + 1];
	const config_setting_t *root, *p;
	struct stat st;
	config_t cf;
	size_t off = 0;
	int fd, rc = -1;

	memset(ac, 0, sizeof(*ac));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	while (off < sizeof(buf)) { /* bounded: each pass reads >= 1 byte or stops */
		ssize_t n = read(fd, buf + off, sizeof(buf) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (off > CONFIG_AGENT_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_AGENT_FILE_MAX);
		return -1;
	}
	buf[off] = '\0';
	if (strlen(buf) != off) {
		snprintf(err, errlen, "%s: holds a NUL byte", path);
		return -1;
	}
	config_init(&cf);
	if (config_read_string(&cf, buf) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&cf),
		         config_error_text(&cf));
		goto out;
	}
	root = config_root_setting(&cf);
	/* Only what `vantage agents approve` writes: a misspelt key would
	 * otherwise be dropped without a word. */
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *m = config_setting_get_elem(root, (unsigned)i);
		const char *mn = config_setting_name(m);
		bool ok = false;

		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]) && mn != NULL; k++)
			ok |= strcmp(mn, known[k]) == 0;
		if (!ok) {
			snprintf(err, errlen,
			         "%s:%d: unknown setting \"%s\" (region, rir, primary)", path,
			         config_setting_source_line(m), mn != NULL ? mn : "?");
			goto out;
		}
	}
	memcpy(ac->name, name, strlen(name) + 1);
	if (s_file_str(root, path, "region", ac->region, sizeof(ac->region), err, errlen) != 0 ||
	    s_file_str(root, path, "rir", ac->rir, sizeof(ac->rir), err, errlen) != 0 ||
	    s_check_labels(ac, path, err, errlen) != 0)
		goto out;
	p = config_setting_get_member(root, "primary");
	if (p != NULL) {
		if (config_setting_type(p) != CONFIG_TYPE_BOOL) {
			snprintf(err, errlen, "%s:%d: primary must be true or false", path,
			         config_setting_source_line(p));
			goto out;
		}
		ac->primary = config_setting_get_bool(p) != 0;
	}
	ac->from_dir = true;
	rc = 0;
out:
	config_destroy(&cf);
	return rc;
}

static int s_by_name(const void *a, const void *b)
{
	return strcmp(((const struct coord_agent_cfg *)a)->name,
	              ((const struct coord_agent_cfg *)b)->name);
}

/* Append the agents of allowlist_dir/NAME.conf, sorted by name (readdir's
 * order is the file system's; reports want a stable one).  primary is the
 * main list's primary ("" if none). */
static int s_parse_agent_dir(struct coord_config *c, const char *primary, char *err, size_t errlen)
{
	const char *dir = c->allowlist_dir;
	size_t sl = strlen(CONFIG_AGENT_SUFFIX), seen = 0, n = 0;
	struct coord_agent_cfg *found;
	const char *first_primary = primary[0] != '\0' ? primary : NULL;
	struct dirent *de;
	DIR *d;
	int rc = -1;

	d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0; /* nothing approved yet; ZAP then refuses every key */
		snprintf(err, errlen, "allowlist_dir %s: cannot open: %s", dir, strerror(errno));
		return -1;
	}
	found = calloc(LIMIT_AGENTS, sizeof(*found));
	if (found == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (seen < CONFIG_MAX_DIR_ENTRIES && (de = readdir(d)) != NULL) {
		char name[LIMIT_AGENT_NAME_LEN + 1], path[CONFIG_PATH_LEN];
		size_t len = strlen(de->d_name);

		seen++;
		if (len <= sl || len - sl > LIMIT_AGENT_NAME_LEN ||
		    strcmp(de->d_name + len - sl, CONFIG_AGENT_SUFFIX) != 0)
			continue;
		memcpy(name, de->d_name, len - sl);
		name[len - sl] = '\0';
		if (!keys_valid_name(name))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    sizeof(path)) {
			snprintf(err, errlen, "%s/%s: path too long", dir, de->d_name);
			goto out;
		}
		if (coord_config_find_agent(c, name) >= 0) {
			snprintf(err, errlen,
			         "%s: agent \"%s\" is also in the main agents list (remove one)",
			         path, name);
			goto out;
		}
		if (c->n_agents + n >= LIMIT_AGENTS) {
			snprintf(err, errlen, "%s: more than %d agents in all", path, LIMIT_AGENTS);
			goto out;
		}
		if (s_parse_agent_file(path, name, &found[n], err, errlen) != 0)
			goto out;
		n++;
	}
	qsort(found, n, sizeof(*found), s_by_name);
	for (size_t i = 0; i < n; i++) {
		if (!found[i].primary)
			continue;
		if (first_primary != NULL) {
			snprintf(err, errlen, "%s/%s%s: more than one primary agent (%s is one)",
			         dir, found[i].name, CONFIG_AGENT_SUFFIX, first_primary);
			goto out;
		}
		first_primary = found[i].name;
	}
	memcpy(&c->agents[c->n_agents], found, n * sizeof(*found));
	c->n_agents += n;
	rc = 0;
out:
	free(found);
	closedir(d);
	return rc;
}

/* Does ep look like tcp://HOST:PORT (what an agent can dial)? */
static bool s_dialable(const char *ep)
{
	const char *host = ep + strlen("tcp://"), *colon, *end;
	char *pend;
	unsigned long port;

	if (strncmp(ep, "tcp://", strlen("tcp://")) != 0)
		return false;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (end == NULL || end == host + 1 || end[1] != ':')
			return false;
		for (const char *p = host + 1; p < end; p++)
			if (!(isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
				return false;
		colon = end + 1;
	} else {
		colon = strrchr(host, ':');
		if (colon == NULL || colon == host)
			return false;
		for (const char *p = host; p < colon; p++)
			if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.'))
				return false;
	}
	if (!isdigit((unsigned char)colon[1]))
		return false;
	errno = 0;
	port = strtoul(colon + 1, &pend, 10);
	return errno == 0 && *pend == '\0' && port >= 1 && port <= 65535;
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

/* The optional `monitoring` group; defaults for whatever it leaves out
 * (the database defaults to state_dir/CONFIG_DEFAULT_HISTORY_DB, so
 * state_dir must be known).  0, or -1 with err naming the line. */
static int s_parse_monitoring(const config_t *cf, struct coord_config *c, char *err, size_t errlen)
{
	static const char *const known[] = {
	        "database",           "retention_days",
	        "alert_after",        "webhook",
	        "webhook_timeout_ms", "webhook_retries",
	        "alert_command",      "alert_command_timeout_ms",
	        "cert_warn_fraction", "cert_crit_fraction",
	        "cert_crit_days",
	};
	const config_setting_t *g = config_lookup(cf, "monitoring");
	struct monitoring_cfg *mc = &c->monitoring;
	const char *gn = "monitoring";
	const char *w;

	if (g != NULL && !config_setting_is_group(g)) {
		snprintf(err, errlen, "line %d: \"monitoring\" must be a group { ... }",
		         config_setting_source_line(g));
		return -1;
	}
	if (g != NULL &&
	    (s_known_keys(g, gn, known, sizeof(known) / sizeof(known[0]),
	                  "see vantage.conf(5), THE MONITORING GROUP", err, errlen) != 0 ||
	     s_get_str(g, gn, "database", mc->database, sizeof(mc->database), false, err, errlen) !=
	             0 ||
	     s_get_str(g, gn, "webhook", mc->webhook_url, sizeof(mc->webhook_url), false, err,
	               errlen) != 0 ||
	     s_get_str(g, gn, "alert_command", mc->alert_command, sizeof(mc->alert_command), false,
	               err, errlen) != 0 ||
	     s_get_uint(g, gn, "retention_days", 0, CONFIG_MAX_RETENTION_DAYS, &mc->retention_days,
	                err, errlen) != 0 ||
	     s_get_uint(g, gn, "alert_after", 1, MONITOR_MAX_ALERT_AFTER, &mc->alert_after, err,
	                errlen) != 0 ||
	     s_get_uint(g, gn, "webhook_timeout_ms", CONFIG_MIN_ALERT_TIMEOUT_MS,
	                CONFIG_MAX_ALERT_TIMEOUT_MS, &mc->webhook_timeout_ms, err, errlen) != 0 ||
	     s_get_uint(g, gn, "webhook_retries", 0, CONFIG_MAX_WEBHOOK_RETRIES,
	                &mc->webhook_retries, err, errlen) != 0 ||
	     s_get_uint(g, gn, "alert_command_timeout_ms", CONFIG_MIN_ALERT_TIMEOUT_MS,
	                CONFIG_MAX_ALERT_TIMEOUT_MS, &mc->alert_command_timeout_ms, err,
	                errlen) != 0 ||
	     s_get_fraction(g, gn, "cert_warn_fraction", &mc->cert_warn_fraction, err, errlen) !=
	             0 ||
	     s_get_fraction(g, gn, "cert_crit_fraction", &mc->cert_crit_fraction, err, errlen) !=
	             0 ||
	     s_get_uint(g, gn, "cert_crit_days", 0, CONFIG_MAX_CERT_CRIT_DAYS, &mc->cert_crit_days,
	                err, errlen) != 0))
		return -1;
	if (mc->database[0] == '\0' &&
	    (size_t)snprintf(mc->database, sizeof(mc->database), "%s/%s", c->state_dir,
	                     CONFIG_DEFAULT_HISTORY_DB) >= sizeof(mc->database)) {
		snprintf(err, errlen,
		         "monitoring: state_dir \"%s\" is too long for the database path",
		         c->state_dir);
		return -1;
	}
	if (mc->database[0] != '/') {
		snprintf(err, errlen, "monitoring: database \"%s\" must be an absolute path",
		         mc->database);
		return -1;
	}
	w = mc->webhook_url;
	if (w[0] != '\0') {
		size_t pre = strncmp(w, "https://", strlen("https://")) == 0 ? strlen("https://")
		             : strncmp(w, "http://", strlen("http://")) == 0 ? strlen("http://")
		                                                             : 0;
		bool printable = true;

		for (const char *p = w; *p != '\0'; p++)
			printable &= *p > 0x20 && *p < 0x7f;
		if (pre == 0 || w[pre] == '\0' || w[pre] == '/' || !printable) {
			snprintf(err, errlen,
			         "monitoring: webhook \"%s\" must be an http:// or https:// URL "
			         "without spaces",
			         w);
			return -1;
		}
	}
	if (mc->alert_command[0] != '\0' && mc->alert_command[0] != '/') {
		snprintf(err, errlen,
		         "monitoring: alert_command \"%s\" must be an absolute path (it is run "
		         "without a shell)",
		         mc->alert_command);
		return -1;
	}
	if (mc->cert_crit_fraction >= mc->cert_warn_fraction) {
		snprintf(err, errlen,
		         "monitoring: cert_crit_fraction (%g) must be smaller than "
		         "cert_warn_fraction (%g)",
		         mc->cert_crit_fraction, mc->cert_warn_fraction);
		return -1;
	}
	return 0;
}

/* Copy the strings of the optional array or list `name` of group e (called
 * gname in errors) into dst[max][width]; *n their number.  0, or -1 with
 * err. */
static int s_get_strs(const config_setting_t *e, const char *gname, const char *name, char *dst,
                      size_t width, size_t max, size_t *n, char *err, size_t errlen)
{
	const config_setting_t *a = config_setting_get_member(e, name);
	int len;

	if (a == NULL)
		return 0;
	len = (config_setting_is_array(a) || config_setting_is_list(a)) ? config_setting_length(a)
	                                                                : -1;
	if (len < 0 || (size_t)len > max) {
		snprintf(err, errlen, "line %d: %s.%s must be an array of at most %zu strings",
		         config_setting_source_line(a), gname, name, max);
		return -1;
	}
	*n = 0;
	for (int i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(a, (unsigned)i);
		const char *v = config_setting_type(s) == CONFIG_TYPE_STRING
		                        ? config_setting_get_string(s)
		                        : NULL;

		if (v == NULL || v[0] == '\0' || strlen(v) >= width) {
			snprintf(err, errlen,
			         "line %d: %s.%s[%d] must be a string of 1..%zu characters",
			         config_setting_source_line(a), gname, name, i, width - 1);
			return -1;
		}
		memcpy(dst + (size_t)i * width, v, strlen(v) + 1);
		(*n)++;
	}
	return 0;
}

/* One entry e of `monitors` (group gname, "monitors[i]") into m.  Errors
 * start with "line N: monitors[i]". */
static int s_parse_monitor(const config_setting_t *e, const char *gname, struct monitor_spec *m,
                           char *err, size_t errlen)
{
	static const char *const known[] = {"name",    "domains", "methods", "interval",
	                                    "regions", "policy",  "caa"};
	char methods[MONITOR_MAX_METHODS][MONITOR_WORD_LEN], policy[MONITOR_WORD_LEN] = "";
	const config_setting_t *iv;
	int line = config_setting_source_line(e);
	char sub[512];

	memset(m, 0, sizeof(*m));
	m->interval_s = MONITOR_DEFAULT_INTERVAL;
	m->methods[0] = VT_METHOD_HTTP01;
	m->n_methods = 1;
	for (size_t i = 0; i < 2; i++) {
		const char *req = i == 0 ? "name" : "domains";
		if (config_setting_get_member(e, req) == NULL) {
			snprintf(err, errlen, "line %d: %s: missing required setting \"%s\"", line,
			         gname, req);
			return -1;
		}
	}
	if (s_known_keys(e, gname, known, sizeof(known) / sizeof(known[0]),
	                 "name, domains, methods, interval, regions, policy, caa", err,
	                 errlen) != 0 ||
	    s_get_str(e, gname, "name", m->name, sizeof(m->name), true, err, errlen) != 0 ||
	    s_get_strs(e, gname, "domains", &m->domains[0][0], sizeof(m->domains[0]),
	               MONITOR_MAX_DOMAINS, &m->n_domains, err, errlen) != 0 ||
	    s_get_strs(e, gname, "regions", &m->regions[0][0], sizeof(m->regions[0]),
	               MONITOR_MAX_REGIONS, &m->n_regions, err, errlen) != 0 ||
	    s_get_str(e, gname, "policy", policy, sizeof(policy), false, err, errlen) != 0 ||
	    s_get_bool(e, gname, "caa", &m->caa, err, errlen) != 0)
		return -1;
	if (config_setting_get_member(e, "methods") != NULL) {
		size_t n = 0;
		if (s_get_strs(e, gname, "methods", &methods[0][0], sizeof(methods[0]),
		               MONITOR_MAX_METHODS, &n, err, errlen) != 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			m->methods[i] = vt_method_parse(methods[i]);
			if (m->methods[i] == VT_METHOD_NONE || m->methods[i] == VT_METHOD_CAA) {
				snprintf(err, errlen,
				         "line %d: %s.methods[%zu] \"%s\" is not http-01, "
				         "tls-alpn-01, dns-01 or tls-cert (CAA is \"caa = true\")",
				         line, gname, i, methods[i]);
				return -1;
			}
		}
		m->n_methods = n;
	}
	if (policy[0] != '\0' && monitor_policy_parse(policy, &m->policy) != 0) {
		snprintf(err, errlen,
		         "line %d: %s.policy \"%s\" must be \"all\" or \"letsencrypt\"", line,
		         gname, policy);
		return -1;
	}
	iv = config_setting_get_member(e, "interval");
	if (iv != NULL) {
		int t = config_setting_type(iv);
		long long v = -1;
		uint32_t u;

		if (t == CONFIG_TYPE_INT)
			v = config_setting_get_int(iv);
		else if (t == CONFIG_TYPE_INT64)
			v = config_setting_get_int64(iv);
		else if (t == CONFIG_TYPE_STRING &&
		         monitor_parse_interval(config_setting_get_string(iv), &u) == 0)
			v = u;
		if (v < MONITOR_MIN_INTERVAL_S || v > MONITOR_MAX_INTERVAL_S) {
			snprintf(err, errlen,
			         "line %d: %s.interval must be %d..%d seconds (a number, or a "
			         "string such as \"5m\")",
			         config_setting_source_line(iv), gname, MONITOR_MIN_INTERVAL_S,
			         MONITOR_MAX_INTERVAL_S);
			return -1;
		}
		m->interval_s = (uint32_t)v;
	}
	if (monitor_spec_validate(m, sub, sizeof(sub)) != 0) {
		snprintf(err, errlen, "line %d: %s: %s", line, gname, sub);
		return -1;
	}
	return 0;
}

/* The optional `monitors` list: at most MONITOR_MAX, names unique. */
static int s_parse_monitors(const config_t *cf, struct coord_config *c, char *err, size_t errlen)
{
	const config_setting_t *list = config_lookup(cf, "monitors");
	int n;

	if (list == NULL)
		return 0;
	if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
		snprintf(err, errlen, "line %d: \"monitors\" must be a list ( {...}, ... )",
		         config_setting_source_line(list));
		return -1;
	}
	n = config_setting_length(list);
	if (n > MONITOR_MAX) {
		snprintf(err, errlen, "line %d: %d monitors configured, at most %d allowed",
		         config_setting_source_line(list), n, MONITOR_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		struct monitor_spec *m = &c->monitors[i];
		char gname[32];

		snprintf(gname, sizeof(gname), "monitors[%d]", i);
		if (!config_setting_is_group(e)) {
			snprintf(err, errlen,
			         "line %d: %s must be a group { name = ...; domains = [...]; }",
			         config_setting_source_line(e), gname);
			return -1;
		}
		if (s_parse_monitor(e, gname, m, err, errlen) != 0)
			return -1;
		for (int j = 0; j < i; j++) {
			if (strcmp(c->monitors[j].name, m->name) == 0) {
				snprintf(err, errlen, "line %d: %s: duplicate monitor name \"%s\"",
				         config_setting_source_line(e), gname, m->name);
				return -1;
			}
		}
		c->n_monitors++;
	}
	return 0;
}

/* Shared by load and parse: cf has been read successfully. */
static int s_extract(const config_t *cf, struct coord_config *c, char *err, size_t errlen)
{
	const config_setting_t *g = config_lookup(cf, "coordinator");
	const char *gn = "coordinator";
	char primary[LIMIT_AGENT_NAME_LEN + 1];

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
	if (s_get_str(g, gn, "state_dir", c->state_dir, sizeof(c->state_dir), false, err, errlen) !=
	            0 ||
	    s_get_str(g, gn, "public_endpoint", c->public_endpoint, sizeof(c->public_endpoint),
	              false, err, errlen) != 0)
		return -1;
	if (c->state_dir[0] != '/') {
		snprintf(err, errlen, "coordinator: state_dir \"%s\" must be an absolute path",
		         c->state_dir);
		return -1;
	}
	if (c->public_endpoint[0] != '\0' && !s_dialable(c->public_endpoint)) {
		snprintf(err, errlen,
		         "coordinator: public_endpoint \"%s\" must look like tcp://HOST:PORT (the "
		         "address agents dial)",
		         c->public_endpoint);
		return -1;
	}
	if (s_get_uint(g, gn, "heartbeat_ivl_ms", CONFIG_MIN_HB_MS, CONFIG_MAX_HB_MS,
	               &c->heartbeat_ivl_ms, err, errlen) != 0 ||
	    s_get_uint(g, gn, "liveness", 1, CONFIG_MAX_LIVENESS, &c->liveness, err, errlen) != 0 ||
	    s_get_uint(g, gn, "job_budget_ms", JOB_MIN_BUDGET_MS, JOB_MAX_BUDGET_MS,
	               &c->job_budget_ms, err, errlen) != 0 ||
	    s_get_uint(g, gn, "min_answers", 1, LIMIT_AGENTS, &c->min_answers, err, errlen) != 0)
		return -1;
	if (s_parse_monitoring(cf, c, err, errlen) != 0 ||
	    s_parse_monitors(cf, c, err, errlen) != 0)
		return -1;
	if (s_parse_agents(cf, c, primary, err, errlen) != 0)
		return -1;
	return s_parse_agent_dir(c, primary, err, errlen);
}

static void s_defaults(struct coord_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->api_listen, sizeof(c->api_listen), "127.0.0.1:%d", API_DEFAULT_PORT);
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", CONFIG_DEFAULT_STATE_DIR);
	c->heartbeat_ivl_ms = HEARTBEAT_IVL_MS;
	c->liveness = HEARTBEAT_LIVENESS;
	c->job_budget_ms = JOB_DEFAULT_BUDGET_MS;
	c->min_answers = DEFAULT_MIN_ANSWERS;
	c->monitoring.retention_days = MONITOR_DEFAULT_RETENTION_DAYS;
	c->monitoring.alert_after = MONITOR_DEFAULT_ALERT_AFTER;
	c->monitoring.webhook_timeout_ms = ALERT_DEFAULT_TIMEOUT_MS;
	c->monitoring.webhook_retries = ALERT_DEFAULT_RETRIES;
	c->monitoring.alert_command_timeout_ms = ALERT_CMD_DEFAULT_TIMEOUT_MS;
	c->monitoring.cert_warn_fraction = MONITOR_CERT_WARN_FRACTION;
	c->monitoring.cert_crit_fraction = MONITOR_CERT_CRIT_FRACTION;
	c->monitoring.cert_crit_days = MONITOR_CERT_CRIT_DAYS;
}

/* Common body; path names the source in messages, text non-NULL parses text. */
static int s_load(const char *path, const char *text, struct coord_config *c, char *err,
                  size_t errlen)
{
	config_t cf;
	char *sub = NULL;
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
	/* On the heap: room for two paths is too much for a stack frame. */
	sub = calloc(1, CONFIG_ERR_LEN);
	if (sub == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (s_extract(&cf, c, sub, CONFIG_ERR_LEN) != 0) {
		snprintf(err, errlen, "%s: %s", path, sub);
		goto out;
	}
	rc = 0;
out:
	free(sub);
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
