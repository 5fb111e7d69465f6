/*
 * monitor.h -- scheduled checks (issue 5): monitors from the configuration
 * (`monitors = ( ... )`) and from the API (kept in the history database),
 * each run as an ordinary check on a fixed offset within its interval; a
 * state machine per (monitor, domain, method) that alerts on a state change
 * only after `alert_after` consecutive failing runs (and on recovery); every
 * finished run recorded in the history database.
 *
 * Single-threaded: called from the coordinator's poll loop only.  Wall-clock
 * times are Unix seconds (the schedule must survive a restart, so it is
 * derived from the wall clock and the monitor's name, not from uptime).
 */
#ifndef VANTAGE_COORD_MONITOR_H
#define VANTAGE_COORD_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "../common/limits.h"
#include "../common/result.h"

#define MONITOR_MAX                    64 /* monitors (config + API) */
#define MONITOR_NAME_LEN               63 /* [A-Za-z0-9._-], like agent names */
#define MONITOR_MAX_DOMAINS            8  /* domains in one monitor */
#define MONITOR_MAX_METHODS            4  /* http-01, tls-alpn-01, dns-01, tls-cert */
#define MONITOR_MAX_REGIONS            16
#define MONITOR_MIN_INTERVAL_S         2 /* lab tests use a few seconds */
#define MONITOR_MAX_INTERVAL_S         86400
#define MONITOR_DEFAULT_INTERVAL       300
#define MONITOR_DEFAULT_ALERT_AFTER    2 /* consecutive failing runs before a failure alert */
#define MONITOR_MAX_ALERT_AFTER        20
#define MONITOR_DEFAULT_RETENTION_DAYS 90
#define MONITOR_CERT_WARN_FRACTION     (1.0 / 3.0) /* of the lifetime left: warning */
#define MONITOR_CERT_CRIT_FRACTION     (1.0 / 6.0) /* ... critical (or under CRIT_DAYS) */
#define MONITOR_CERT_CRIT_DAYS         14
#define MONITOR_DAY_S                  86400         /* retention_days and the prune interval */
#define MONITOR_PRUNE_IVL_S            MONITOR_DAY_S /* history_prune runs this often */
/* A method or policy name, or an interval ("5m"), as text. */
#define MONITOR_WORD_LEN 16
/* (domain, method) pairs of one monitor: each domain's methods and caa. */
#define MONITOR_TARGETS_PER_MONITOR (MONITOR_MAX_DOMAINS * (MONITOR_MAX_METHODS + 1))

enum monitor_policy {
	MONITOR_POLICY_ALL = 0, /* every vantage that answered must pass */
	MONITOR_POLICY_LE = 1,  /* Let's Encrypt's multi-perspective rule */
};

/* "all", "letsencrypt"; parse gives 0, or -1 for another name. */
const char *monitor_policy_name(enum monitor_policy p);
int monitor_policy_parse(const char *s, enum monitor_policy *out);

/* One monitor as configured (libconfig `monitors` list entry, or the JSON
 * body of POST /v1/monitors). */
struct monitor_spec {
	char name[MONITOR_NAME_LEN + 1];
	char domains[MONITOR_MAX_DOMAINS][LIMIT_DOMAIN_LEN + 1];
	size_t n_domains;
	enum vt_method
	        methods[MONITOR_MAX_METHODS]; /* validation methods and/or VT_METHOD_TLSCERT */
	size_t n_methods;
	bool caa;            /* also a CAA check per domain */
	uint32_t interval_s; /* MONITOR_MIN_INTERVAL_S .. MONITOR_MAX_INTERVAL_S */
	char regions[MONITOR_MAX_REGIONS][LIMIT_REGION_LEN + 1];
	size_t n_regions; /* 0 = every region */
	enum monitor_policy policy;
	bool from_api; /* added through the API (lives in the database) */
};

/* The `monitoring` group of the coordinator's configuration. */
struct monitoring_cfg {
	char database[4096];     /* default state_dir/history.db */
	uint32_t retention_days; /* results older than this are pruned; 0 = keep */
	uint32_t alert_after;    /* MONITOR_DEFAULT_ALERT_AFTER */
	char webhook_url[2048];  /* "" = none; http(s) */
	uint32_t webhook_timeout_ms;
	uint32_t webhook_retries;
	char alert_command[4096]; /* "" = none; absolute path, run without a shell */
	uint32_t alert_command_timeout_ms;
	double cert_warn_fraction; /* MONITOR_CERT_WARN_FRACTION */
	double cert_crit_fraction; /* MONITOR_CERT_CRIT_FRACTION */
	uint32_t cert_crit_days;   /* MONITOR_CERT_CRIT_DAYS */
};

/* Parse and validate one monitor given as JSON ({"name", "domains": [...],
 * "methods": [...], "caa", "interval_s", "regions": [...], "policy":
 * "all"|"letsencrypt"}), as POST /v1/monitors takes it and the database
 * stores it.  0, or -1 with a reason in err. */
int monitor_spec_from_json(const json_t *o, struct monitor_spec *m, char *err, size_t errlen);
/* The JSON form of m (caller owns); NULL on ENOMEM. */
json_t *monitor_spec_json(const struct monitor_spec *m);
/* Check a filled-in spec (config.c and monitor_spec_from_json share it):
 * name like an agent name, 1..MONITOR_MAX_DOMAINS domains (normalised in
 * place by checks_parse_domain, no duplicates), distinct methods among
 * http-01, tls-alpn-01, dns-01, tls-cert (at least one, or caa), interval
 * within bounds, regions labels.  0, or -1 with a reason in err. */
int monitor_spec_validate(struct monitor_spec *m, char *err, size_t errlen);
/* An interval as text: "300", "300s", "5m", "2h", "1d".  0 and *out in
 * seconds (not yet bounds-checked), or -1. */
int monitor_parse_interval(const char *s, uint32_t *out);

/* The offset of a monitor within its interval: a hash of its name modulo
 * interval_s, so checks spread out and keep their slot across restarts. */
uint32_t monitor_offset(const struct monitor_spec *m);
/* The first slot strictly after `after` (Unix seconds): offset + k * interval. */
int64_t monitor_next_slot(const struct monitor_spec *m, int64_t after);

/* The state of one (monitor, domain, method). */
enum monitor_state {
	MONITOR_UNKNOWN = 0, /* no run yet, or no vantage answered */
	MONITOR_PASS = 1,
	MONITOR_FAIL = 2,
};
const char *monitor_state_name(enum monitor_state s);

struct monitor_track {
	enum monitor_state state; /* what alerts were last sent for */
	enum monitor_state last;  /* the last run's outcome */
	uint32_t consecutive_fail;
	uint32_t consecutive_pass;
	int64_t since; /* when `state` began (Unix s) */
	int64_t last_run;
};

/* The transition rule, pure for tests: feed one run's outcome into t at
 * now.  Returns 1 when a failure alert is due (state PASS or UNKNOWN ->
 * FAIL after alert_after consecutive FAIL runs), 2 when a recovery alert
 * is due (FAIL -> PASS on the first passing run), 0 otherwise.  An UNKNOWN
 * run (no vantage answered: agents down) changes nothing but last. */
int monitor_track_feed(struct monitor_track *t, enum monitor_state run, uint32_t alert_after,
                       int64_t now);

/* One run's outcome for one element of a report's "checks" (pure, for
 * tests).  Rows with outcome "unavailable" or "judged": false are ignored
 * (the vantage's problem, never the site's).  MONITOR_POLICY_ALL: FAIL if
 * any row failed, PASS if at least one passed (or was reachable) and none
 * failed, UNKNOWN if none answered; method tls-cert also FAILs when a row's
 * "cert" is CRITICAL or EXPIRED by cfg's fractions at now (WARNING stays
 * PASS).  MONITOR_POLICY_LE: le_multi_perspective.accepted true PASS, false
 * FAIL, null UNKNOWN (tls-cert is judged as ALL). */
enum monitor_state monitor_run_state(const json_t *check, enum monitor_policy policy,
                                     const struct monitoring_cfg *cfg, int64_t now);

struct monitors;
struct history;
struct alerts;
struct check_request;

/* How the monitors start a check: the coordinator's checks_start with its
 * http_status/err contract; done(doc, arg) is called exactly once later. */
typedef void (*monitor_done_fn)(json_t *doc, void *arg);
typedef int (*monitor_start_fn)(void *ctx, const struct check_request *req, monitor_done_fn done,
                                void *arg, char *err, size_t errlen);

/*
 * Create the scheduler for the configured specs (copied) plus those stored
 * in the history database, with cfg (copied), history and alerts borrowed
 * (either may be NULL in tests).  State is loaded from the database.  NULL
 * with a reason in err (a config monitor named like an API one, ...).
 */
struct monitors *monitors_new(const struct monitor_spec *specs, size_t n,
                              const struct monitoring_cfg *cfg, struct history *history,
                              struct alerts *alerts, monitor_start_fn start, void *start_ctx,
                              char *err, size_t errlen);
void monitors_destroy(struct monitors **mp);

/* Replace the configuration's monitors (SIGHUP): state is kept for names
 * that stay; API monitors are untouched.  0, or -1 with err (nothing changed). */
int monitors_reload(struct monitors *m, const struct monitor_spec *specs, size_t n,
                    const struct monitoring_cfg *cfg, char *err, size_t errlen);

/* Start every monitor whose slot has come (at most once per slot; one that
 * is still running is skipped and counted), prune history once a day.
 * Returns the number of checks started. */
size_t monitors_tick(struct monitors *m, int64_t now);
/* Seconds until monitors_tick has something to do (>= 0). */
int64_t monitors_next_s(const struct monitors *m, int64_t now);

/* API: add (persisted; 409-style -1 when the name exists), remove (only API
 * monitors; a config one gives -1 with err), list.  On -1, errno says which
 * status fits: EEXIST (add: the name exists, 409), ENOSPC (add: MONITOR_MAX
 * reached, 409), EINVAL (add: invalid spec, 400), ENOENT (remove: no such
 * monitor, 404), EPERM (remove: a config monitor, 409), EIO (the database,
 * 500). */
int monitors_add(struct monitors *m, const struct monitor_spec *spec, char *err, size_t errlen);
int monitors_remove(struct monitors *m, const char *name, char *err, size_t errlen);
/* {"monitors": [{spec..., "source": "config"|"api", "running": bool,
 * "next_run": RFC 3339, "targets": [{"domain","method","state","since",
 * "last_run","consecutive_fail","vantages": [{"agent","region","outcome",
 * "problem"}], "cert": {...} | null}]}]} (caller owns).
 * Also: per monitor "last_run" (its latest start, or null); per target
 * "last" (the latest run's state) and "consecutive_pass"; per vantage (the
 * latest run's rows, [] before the first) "rir", "duration_ms", "address"
 * (address_used) and "cert" (tls-cert only, else null): {"not_after",
 * "not_after_unix", "sha256", "issuer", "subject", "level" (certcheck
 * names), "message"}; the target's "cert" is the worst of them (highest
 * level, then earliest expiry) with its "agent".  Times are RFC 3339 or
 * null; "state" and "last" are "unknown", "pass" or "fail". */
json_t *monitors_json(const struct monitors *m, int64_t now);

/* Counters and the latest per-vantage results, for /metrics and the status
 * page (metrics.c reads them through monitors_json and these). */
struct monitor_counters {
	uint64_t runs, runs_skipped_overrun, runs_failed_to_start;
	uint64_t alerts_failure, alerts_recovery;
};
const struct monitor_counters *monitors_counters(const struct monitors *m);

#endif
