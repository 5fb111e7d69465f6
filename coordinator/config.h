/*
 * config.h -- the coordinator's configuration (libconfig syntax, see
 * deploy/config/coordinator.conf.example and vantage.conf(5)).
 *
 * The configuration is the only source of an agent's region, RIR and
 * primary flag; the order of `agents` is the order of rows in every report.
 */
#ifndef VANTAGE_COORD_CONFIG_H
#define VANTAGE_COORD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/limits.h"
#include "monitor.h"

#define CONFIG_ENDPOINT_LEN      256 /* ZeroMQ endpoint / api_listen text */
#define CONFIG_PATH_LEN          PATH_MAX
#define CONFIG_MAX_HB_MS         30000 /* heartbeat interval accepted, upper bound */
#define CONFIG_MIN_HB_MS         10    /* ... lower bound */
#define CONFIG_MAX_LIVENESS      10
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/vantage"
#define CONFIG_AGENT_FILE_MAX    4096 /* bytes of one allowlist_dir/NAME.conf */
#define CONFIG_AGENT_SUFFIX      ".conf"
#define CONFIG_MAX_DIR_ENTRIES   (4 * LIMIT_AGENTS) /* allowlist_dir entries looked at */
/* The `monitoring` group's ranges (defaults in monitor.h and alert.h). */
#define CONFIG_MAX_RETENTION_DAYS   36500 /* 0 = keep forever */
#define CONFIG_MIN_ALERT_TIMEOUT_MS 100   /* webhook_timeout_ms, alert_command_timeout_ms */
#define CONFIG_MAX_ALERT_TIMEOUT_MS 300000
#define CONFIG_MAX_WEBHOOK_RETRIES  10
#define CONFIG_MAX_CERT_CRIT_DAYS   365
#define CONFIG_DEFAULT_HISTORY_DB   "history.db" /* in state_dir */
/* Room for one error naming two paths; the caller's err may cut it shorter. */
#define CONFIG_ERR_LEN (2 * CONFIG_PATH_LEN + 512)

struct coord_agent_cfg {
	char name[LIMIT_AGENT_NAME_LEN + 1];
	char region[LIMIT_REGION_LEN + 1];
	char rir[LIMIT_REGION_LEN + 1];
	bool primary;
	bool from_dir; /* defined by allowlist_dir/NAME.conf, not the main list */
};

struct coord_config {
	char path[CONFIG_PATH_LEN]; /* the file read (SIGHUP reads it again); "" for text */
	char agent_endpoint[CONFIG_ENDPOINT_LEN];
	char key_file[CONFIG_PATH_LEN];
	char allowlist_dir[CONFIG_PATH_LEN];
	char api_listen[CONFIG_ENDPOINT_LEN];
	char api_token_file[CONFIG_PATH_LEN];
	char api_tls_cert[CONFIG_PATH_LEN]; /* "" = no TLS */
	char api_tls_key[CONFIG_PATH_LEN];
	char state_dir[CONFIG_PATH_LEN];           /* default CONFIG_DEFAULT_STATE_DIR */
	char public_endpoint[CONFIG_ENDPOINT_LEN]; /* what agents dial; "" = not set */
	uint32_t heartbeat_ivl_ms;
	uint32_t liveness;
	uint32_t job_budget_ms;
	uint32_t min_answers;
	struct coord_agent_cfg agents[LIMIT_AGENTS];
	size_t n_agents;
	/* issue 5: the `monitoring` group (defaults when absent; database
	 * defaults to state_dir/history.db) and the `monitors` list. */
	struct monitoring_cfg monitoring;
	struct monitor_spec monitors[MONITOR_MAX];
	size_t n_monitors;
};

/*
 * Parse the configuration file at path (coord_config_load) or the text itself
 * (coord_config_parse, for tests) into *c, which is zeroed first and gets the
 * defaults of limits.h for the optional keys; c->path is the file's path ("" for
 * text).  Returns 0, or -1 with a reason
 * in err that names the file, line and problem (libconfig's syntax errors,
 * missing keys, invalid or duplicate agent names, more than one primary).
 *
 * Agents come from the main `agents` list (which may be empty or absent)
 * and then from allowlist_dir/NAME.conf files (`region = "..."; rir =
 * "..."; primary = false;`, written by `vantage agents approve`), sorted by
 * name, from_dir set.  A name in both, a malformed NAME.conf or more than
 * LIMIT_AGENTS in all is an error naming the file.  A missing allowlist_dir
 * is no error (no agents from it).
 */
int coord_config_load(const char *path, struct coord_config *c, char *err, size_t errlen);
int coord_config_parse(const char *text, struct coord_config *c, char *err, size_t errlen);

/* Is s a region or RIR label: 1..LIMIT_REGION_LEN printable ASCII
 * characters, no '"' or '\\' (it is written into NAME.conf as a libconfig
 * string and shown in reports)? */
bool coord_config_valid_label(const char *s);

/* Index of the configured agent called name, or -1. */
int coord_config_find_agent(const struct coord_config *c, const char *name);

#endif
