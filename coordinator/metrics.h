/*
 * metrics.h -- what the coordinator shows to monitoring systems and people:
 * the Prometheus text exposition at GET /metrics and the HTML status page at
 * GET /status.  Both are rendered from the agents registry and the monitors'
 * state (monitors_json), on the loop thread, into a malloc'd buffer.
 *
 * Metric names follow blackbox_exporter's where one exists (probe_success,
 * probe_duration_seconds) with a vantage_ prefix and labels monitor, domain,
 * method, agent, region (docs/monitoring.md lists them all).
 */
#ifndef VANTAGE_COORD_METRICS_H
#define VANTAGE_COORD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct agents;
struct monitors;
struct alerts;
struct checks;

#define METRICS_MAX_BYTES    (4u << 20) /* a bigger exposition is cut (logged) */
#define STATUS_MAX_BYTES     (4u << 20)
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define STATUS_CONTENT_TYPE  "text/html; charset=utf-8"
/* (domain, method) targets of one monitor read at most: its domains times
 * its methods and CAA */
#define METRICS_MAX_TARGETS (MONITOR_MAX_DOMAINS * (MONITOR_MAX_METHODS + 1))

/* The exposition (caller frees); NULL on ENOMEM.  checks, mon and al may
 * be NULL (no monitoring configured): only the agent metrics then. */
char *metrics_render(const struct agents *agents, const struct checks *checks,
                     const struct monitors *mon, const struct alerts *al, int64_t now, size_t *len);

/* The status page (caller frees): one row per monitored (domain, method),
 * one column per configured agent, each cell coloured by that vantage's last
 * outcome, with the last state change and the certificate's days left; no
 * external assets (inline CSS, no script).  Every cell carries
 * data-agent/data-domain/data-method/data-state attributes for tests.
 * NULL on ENOMEM. */
char *status_render(const struct agents *agents, const struct monitors *mon, int64_t now,
                    size_t *len);

#endif
