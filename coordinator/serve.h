/*
 * serve.h -- the coordinator daemon: one single-threaded zmq_poll loop over
 * the agents' ROUTER (CURVE), the ZAP handler's REP socket and the HTTP API's
 * epoll fd.  `vantage serve --config FILE` is serve_main(); tests drive the
 * same loop through serve_new / serve_run_once / serve_stop.
 */
#ifndef VANTAGE_COORD_SERVE_H
#define VANTAGE_COORD_SERVE_H

#include <stddef.h>

#include "config.h"

#define SERVE_MAX_BATCH       256      /* messages handled per socket per loop pass */
#define SERVE_SHUTDOWN_PASSES 8        /* API passes to flush answers at shutdown */
#define SERVE_EXPIRE_IVL_S    60       /* how often expired enrolment tickets are removed */
#define SERVE_ENROLL_SUBDIR   "enroll" /* state_dir/enroll: the tickets (enroll.h) */
/* BYE to an enrolling connection whose key was approved meanwhile. */
#define SERVE_BYE_APPROVED "enrolment approved: dial again"

struct serve;

/*
 * Build the coordinator from cfg (copied): read the key, open the enrolment
 * tickets in cfg->state_dir/SERVE_ENROLL_SUBDIR (state_dir and that
 * directory are created, mode 0700, when missing), open the history
 * database (cfg->monitoring.database), bind the ZAP handler, then the ROUTER
 * on cfg->agent_endpoint, start the alert worker and the monitors (the
 * configured ones and those added through the API), then the API.  NULL
 * with a reason in err (naming the database when that cannot be opened).
 * Caller owns the result; free with serve_destroy.
 */
struct serve *serve_new(const struct coord_config *cfg, char *err, size_t errlen);

/* One loop pass: start the monitors' checks that are due (monitors_tick;
 * after serve_new, only once every configured agent is up or one liveness
 * period plus RECONNECT_MIN_MS has passed, so that a restart does not
 * record runs nobody could answer), poll (at most max_wait_ms, and never
 * longer than the next heartbeat, deadline, API timeout or monitor slot),
 * then handle what is ready.  0, or -1 with err on a fatal socket error. */
int serve_run_once(struct serve *s, int max_wait_ms, char *err, size_t errlen);

/* Loop until serve_stop() (from any thread) or SIGINT/SIGTERM.  0 or -1. */
int serve_run(struct serve *s, char *err, size_t errlen);

/* Ask serve_run to return (async-signal and thread safe). */
void serve_stop(struct serve *s);

/*
 * Read the configuration file again (cfg->path) and the agents of
 * allowlist_dir/NAME.conf, and apply, on the loop's thread, what can change
 * without a restart: the agents (region, RIR, primary; agents added; agents
 * removed get BYE, are marked down and ZAP refuses them from then on),
 * allowlist_dir, public_endpoint, job_budget_ms, min_answers, the
 * `monitors` list (monitors_reload: state kept for names that stay) and the
 * `monitoring` group except database, webhook and alert_command settings.
 * Connected agents that stay keep their sessions.  Other keys are logged as
 * needing a restart.  0, or -1 with a reason in err and nothing changed (a
 * file that does not parse leaves the running configuration as it was).
 * Called by the loop on SIGHUP (serve_main) or after serve_request_reload.
 */
int serve_reload(struct serve *s, char *err, size_t errlen);

/* Ask the loop to call serve_reload at its next pass (thread safe); failures
 * are logged there. */
void serve_request_reload(struct serve *s);

/* Send BYE to every agent up, answer pending checks (the monitors record
 * theirs), stop the API, then the monitors, the alert worker (bounded by its
 * timeouts) and the history database, close everything with a bounded
 * linger; nulls *sp. */
void serve_destroy(struct serve **sp);

/* The endpoint the ROUTER is bound to (resolved, e.g. "tcp://127.0.0.1:41234"). */
const char *serve_agent_endpoint(const struct serve *s);
/* The HTTP API's port. */
unsigned serve_api_port(const struct serve *s);

/* `vantage serve --config FILE [--verbose]`; argv[0] is "serve".  Exit status:
 * 0 clean shutdown, 1 runtime error, 2 usage or configuration error. */
int serve_main(int argc, char **argv);

#endif
