/*
 * history.h -- the coordinator's history database (SQLite, one file, WAL):
 * every monitored run and every vantage's result with its records, the
 * monitors added through the API, the monitors' alert state, and the alerts
 * sent.  Created on first start; the schema carries a version and
 * migrations run in order inside one transaction each.  Each run is written
 * in one transaction, so a coordinator killed at any moment (SIGKILL) loses
 * no committed run and opens cleanly again.
 *
 * Used from the coordinator's loop thread only.  Times are Unix seconds.
 */
#ifndef VANTAGE_COORD_HISTORY_H
#define VANTAGE_COORD_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "monitor.h"

#define HISTORY_SCHEMA_VERSION     1
#define HISTORY_BUSY_TIMEOUT_MS    2000
#define HISTORY_MAX_QUERY_RUNS     1000 /* runs one query returns at most */
#define HISTORY_DEFAULT_QUERY_RUNS 100
#define HISTORY_MAX_METHODS        8 /* methods of one domain history_query reports */

struct history;

/* Open (creating it and its schema, mode 0600) the database at path; run
 * pending migrations; refuse a database whose schema is newer than this
 * build.  NULL with a reason in err.  Close with history_close (nulls). */
struct history *history_open(const char *path, char *err, size_t errlen);
void history_close(struct history **hp);

/*
 * Record one finished run of monitor `monitor` ("" for an ad-hoc check):
 * `check` is one element of a report document's "checks" array (domain,
 * method, verdict, diagnosis, results[] with agent, region, rir, outcome,
 * problem, address_used, duration_ms, records, cert).  `state` is the run's
 * outcome under the monitor's policy.  One transaction.  0 or -1 with err.
 */
int history_record(struct history *h, const char *monitor, const json_t *check,
                   enum monitor_state state, int64_t started, int64_t finished, char *err,
                   size_t errlen);

/*
 * GET /v1/history?domain=D&since=T and `vantage history`:
 * {"domain": D, "since": RFC 3339,
 *  "vantages": [{"agent","region","method","state": "pass"|"fail",
 *                "since": RFC 3339 (first run of the current streak),
 *                "problem": {type, detail} | null, "last_run": RFC 3339}],
 *  "runs": [{"at","monitor","method","state","verdict","diagnosis": [...],
 *            "results": [{"agent","region","outcome","problem"}]}]}
 * newest run first, at most limit (0 = HISTORY_DEFAULT_QUERY_RUNS).  NULL
 * with err on a database error.
 *
 * "vantages" lists the agents of the latest run of each method run since
 * `since` (methods by name, agents in the run's order); a vantage's state is
 * that of its latest answered result (outcome pass or reachable: "pass",
 * fail: "fail"; unavailable or not judged results are skipped and break no
 * streak), and its "since" looks back over all stored history, not only
 * from `since`.  "problem" is the latest failing result's when the state is
 * "fail", else null; "last_run" is its latest answered result's finish.
 */
json_t *history_query(struct history *h, const char *domain, int64_t since, size_t limit, char *err,
                      size_t errlen);

/* Delete runs (and their results) finished before `before`, and alerts
 * logged before it, in one transaction.  Returns how many runs went, or -1
 * (logged). */
long history_prune(struct history *h, int64_t before);

/* Monitors added through the API.  put stores monitor_spec_json(m) under
 * m->name (replacing one of that name); delete returns 0 also when there
 * was none, -1 on a database error (logged). */
int history_monitor_put(struct history *h, const struct monitor_spec *m, char *err, size_t errlen);
int history_monitor_delete(struct history *h, const char *name);
/* Fill out[] (at most max; more stored is an error) with the stored
 * monitors, oldest first, from_api set; *n their number.  A stored monitor
 * monitor_spec_from_json refuses is skipped with an error logged, so one bad
 * row cannot stop the others.  0 or -1. */
int history_monitor_list(struct history *h, struct monitor_spec *out, size_t max, size_t *n,
                         char *err, size_t errlen);

/* The alert state of (monitor, domain, method); a missing row leaves *t
 * zeroed and returns 0.  Both return -1 on a database error (logged). */
int history_track_load(struct history *h, const char *monitor, const char *domain,
                       const char *method, struct monitor_track *t);
int history_track_save(struct history *h, const char *monitor, const char *domain,
                       const char *method, const struct monitor_track *t);

/* An alert that was sent (kind "failure"|"recovery"; payload is its JSON,
 * stored compact).  0, or -1 (logged). */
int history_alert_log(struct history *h, const char *kind, const json_t *payload, int64_t at);

#endif
