/*
 * wait.h -- `vantage wait`: poll the vantages until an ACME challenge is
 * visible from all of them (or by Let's Encrypt's quorum rule), for ACME
 * client hooks (deploy/hooks/, docs/hooks.md).
 *
 * Each round is one POST /v1/checks, built and sent as `vantage check` does
 * (cli.h).  The option parsing, the readiness rule, the per-vantage tally
 * and the round arithmetic are pure functions here so the unit tests can
 * exercise them without a coordinator.
 */
#ifndef VANTAGE_WAIT_H
#define VANTAGE_WAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "cli.h"
#include "monitor.h"

#define WAIT_DEFAULT_TIMEOUT_S  300
#define WAIT_MAX_TIMEOUT_S      86400
#define WAIT_DEFAULT_INTERVAL_S 5
#define WAIT_MAX_INTERVAL_S     3600
#define WAIT_SLEEP_STEP_MS      100  /* the pause between rounds looks for signals this often */
#define WAIT_MAX_NAMED          4    /* vantages named in one progress line */
#define WAIT_LINE_LEN           4096 /* one progress or summary line */

/* `vantage wait`'s options after wait_parse.  Strings point into argv. */
struct wait_opts {
	struct cli_check_opts check; /* as `vantage check` takes them */
	enum monitor_policy policy;  /* --policy, default MONITOR_POLICY_ALL */
	uint32_t timeout_s;          /* --timeout, 1..WAIT_MAX_TIMEOUT_S */
	uint32_t interval_s;         /* --interval, 1..WAIT_MAX_INTERVAL_S, <= timeout_s */
};

/*
 * Parse `vantage wait` arguments (argv[0] "wait"): check's options and
 * rules (cli_check_parse_ext; --webroot, --nagios and tls-cert refused),
 * --policy all|letsencrypt, --timeout and --interval as cli_parse_duration
 * reads them (plain seconds, or N followed by s, m, h), the key
 * authorization's syntax.  Returns 0, 1 for --help, or -1 with the reason in
 * err.  Uses getopt (not reentrant).
 */
int wait_parse(int argc, char **argv, struct wait_opts *o, char *err, size_t errlen);

/* Where a round leaves the wait.  The values are the exit statuses. */
enum wait_state {
	WAIT_READY = 0,     /* done: exit 0 */
	WAIT_FAILING = 1,   /* a vantage failed (or Let's Encrypt would refuse) */
	WAIT_MALFORMED = 2, /* the document has no valid verdict: exit 2 at once */
	WAIT_PENDING = 3,   /* nothing failed, but some vantage did not answer */
};

/*
 * Is doc (a POST /v1/checks answer, docs/json-schema.md) ready by policy?
 * MONITOR_POLICY_ALL: ready when the verdict is pass (every vantage answered
 * and passed, min_answers met).  MONITOR_POLICY_LE: ready when every check's
 * le_multi_perspective.accepted is true (monitor_run_state's rule).  Not ready: WAIT_FAILING when the verdict
 * is fail or (letsencrypt) a check's accepted is false, else WAIT_PENDING.
 * WAIT_MALFORMED without a verdict or checks array.
 */
enum wait_state wait_ready(const json_t *doc, enum monitor_policy policy);

/* The most rounds a wait may run: the first at once, each next one at least
 * interval_s later and none after timeout_s, so timeout_s / interval_s + 1. */
uint32_t wait_max_rounds(uint32_t timeout_s, uint32_t interval_s);

/* After a round that ended elapsed_ms after the wait began: the pause in
 * milliseconds before the next round, or -1 when that round would start
 * after timeout_s (the wait is over). */
long long wait_next_sleep_ms(uint64_t elapsed_ms, uint32_t timeout_s, uint32_t interval_s);

/* The vantages of a document, each ready when every row it has (one per
 * check) passed, was reachable, or was not judged. */
struct wait_tally {
	size_t total, ready;
	uint64_t ready_set; /* a hash of the ready vantages' names: changes with the set */
};

/*
 * Tally doc's vantages into t and describe those not ready into out (at
 * most outlen, escaped, "" when all are): "euw1 (eu-west): Timeout during
 * connect; apse1 (ap-southeast): did not answer (REASON)", at most
 * WAIT_MAX_NAMED, then "and N more".  A failing vantage shows its problem's
 * summary, or with detail its full detail; with more than one check the
 * check ("a.example dns-01: ") comes first.
 */
void wait_tally(const json_t *doc, bool detail, struct wait_tally *t, char *out, size_t outlen);

/* `vantage wait DOMAIN... [options]` (argv[0] is "wait").  Returns the exit
 * status: 0 ready, 1 timed out with a vantage still failing, 2 usage or
 * coordinator error or interrupted (SIGINT, SIGTERM), 3 timed out with
 * nothing failing but some vantage not answering. */
int cli_wait_main(int argc, char **argv);

#endif
