/*
 * config.h -- the agent daemon's configuration file (libconfig syntax,
 * deploy/config/agent.conf.example, vantage-agent(8)).
 *
 * agent_config_load() reads the file once at start-up and turns it into the
 * probe engine's settings (struct probe_cfg) plus what the link to the
 * coordinator needs: the endpoint and the three CURVE keys.  Everything is
 * checked here, so the daemon never starts with a half-valid configuration.
 */
#ifndef VANTAGE_AGENT_CONFIG_H
#define VANTAGE_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/keys.h"
#include "probe.h"

#define AGENT_ENDPOINT_LEN        512   /* "tcp://host:port" */
#define AGENT_DIAL_TIMEOUT_MIN_MS 100   /* dial_timeout_ms accepted ... */
#define AGENT_DIAL_TIMEOUT_MAX_MS 60000 /* ... up to this */
#define AGENT_MAX_IFADDRS         4096  /* interface addresses examined */
#define AGENT_MAX_SERVER_KEYS     4     /* coordinator keys accepted at once (rotation) */
#define AGENT_KEY_PATH_LEN        4096
#define AGENT_DEFAULT_CONFIG      "/etc/vantage/agent.conf"
#define AGENT_DEFAULT_KEY_FILE    "/var/lib/vantage-agent/agent.key"
#define AGENT_DEFAULT_USER        "vantage" /* the service's user (sysusers.d) */

/* Everything the daemon needs, filled by agent_config_load(). */
struct agent_cfg {
	char coordinator[AGENT_ENDPOINT_LEN]; /* ZeroMQ endpoint, "tcp://..." */
	/* The coordinator keys accepted, in the order tried: one pinned per
	 * connection; a session that gets no frame at all moves on to the next
	 * (coordinator key rotation, docs/deploy.md). */
	char server_public[AGENT_MAX_SERVER_KEYS][KEY_Z85_LEN + 1];
	size_t n_server_keys;                /* 1 .. AGENT_MAX_SERVER_KEYS */
	char secret[KEY_Z85_LEN + 1];        /* this agent's secret key (Z85) */
	char public_[KEY_Z85_LEN + 1];       /* derived from secret */
	char key_file[AGENT_KEY_PATH_LEN];   /* where the secret key is */
	bool key_generated;                  /* agent_config_load made the key pair */
	char name[LIMIT_AGENT_NAME_LEN + 1]; /* agent.name, "" if unset (enrolment only) */
	char enroll_token[LIMIT_ENROLL_TOKEN_LEN + 1]; /* agent.enroll_token, "" if unset */
	struct probe_cfg probe;                        /* resolver, filter, UA, IPv6 */
	bool ipv6_auto;                                /* probe.ipv6 came from "auto" */
};

/*
 * Read the agent configuration file at path into *cfg (zeroed first).
 * Required keys: agent.coordinator, agent.coordinator_public_key (a string,
 * or a list of 1..AGENT_MAX_SERVER_KEYS strings; each a file or 40 Z85
 * characters), agent.key_file.  Optional: agent.name and agent.enroll_token
 * (both or neither; sent in HELLO to enrol).
 *
 * First start: when key_file does not exist, a new key pair is made there
 * (key_file, mode 0600, and the same path with ".key" replaced by ".pub",
 * or ".pub" appended) and key_generated is set; the caller logs the public
 * key.  Returns 0, or -1 with a one-line reason in err, e.g.
 * "agent.conf:7: syntax error" (libconfig's line and text) or
 * "key_file /etc/vantage/agent.key: mode 0644 is readable by group or
 * others (chmod 600 it)".
 */
int agent_config_load(const char *path, struct agent_cfg *cfg, char *err, size_t errlen);

/*
 * Does this host have an IPv6 address that can reach other networks: one
 * that is not loopback, link-local, multicast, unspecified or v4-mapped
 * (unique-local fd00::/8 counts, as labs use it)?  Reads getifaddrs(); sends
 * nothing.  Used for `ipv6 = "auto"`.
 */
bool agent_host_has_ipv6(void);

#endif
