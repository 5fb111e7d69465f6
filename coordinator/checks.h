/*
 * checks.h -- running checks: fan a request out as jobs (domains x methods
 * (+ caa) x eligible agents), collect RESULTs, expire what did not answer,
 * then judge each (domain, method) (verdict_judge) and build the report
 * (report_json): per domain, the validation methods in the order requested,
 * then tls-cert, then caa.
 *
 * Single-threaded: called only from the coordinator's poll loop.  A check
 * never finishes inside checks_start(); it finishes in checks_tick() once
 * every job answered or its deadline (budget + JOB_GRACE_MS on the
 * coordinator's monotonic clock) passed, so callers can always suspend first.
 */
#ifndef VANTAGE_COORD_CHECKS_H
#define VANTAGE_COORD_CHECKS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "agents.h"
#include "config.h"
#include "../common/result.h"

#define CHECKS_MAX_ACTIVE  64  /* checks running at once */
#define CHECKS_MAX_REGIONS 32  /* regions named in one request */
#define CHECKS_TOKEN_BYTES 32  /* random bytes of a reachability token (43 base64url) */
#define CHECKS_MAX_METHODS 4   /* methods in one request: http-01, tls-alpn-01, dns-01, tls-cert */
#define CHECKS_WHY_LEN     160 /* why a vantage is unavailable, without its name */

/*
 * What to check.  methods are validation methods (HTTP-01, TLS-ALPN-01,
 * DNS-01) and tls-cert, distinct; the validation methods are checked in the
 * order requested, then tls-cert (the certificate port 443 presents, for
 * expiry monitoring: no key authorization or token; its jobs carry the
 * request's mode, which the probe ignores); caa adds a CAA check per domain
 * after them.  A request without validation methods and with caa has its
 * CAA jobs ask about HTTP-01 (caa_methods), the CA's most common method.
 *
 * mode VALIDATE needs key_authorization (HTTP-01 takes its token from it) or,
 * for TLS-ALPN-01 and DNS-01 only, digest: base64url(SHA-256(key
 * authorization)), 43 characters (the API normalises hex to this).
 * REACHABILITY uses token, or a random one.
 */
struct check_request {
	char domains[LIMIT_DOMAINS_PER_CHECK][LIMIT_DOMAIN_LEN + 1];
	size_t n_domains;
	enum vt_method methods[CHECKS_MAX_METHODS];
	size_t n_methods;
	bool caa;
	enum vt_mode mode;
	char token[LIMIT_TOKEN_LEN + 1]; /* "" = random (reachability) */
	char key_authorization[LIMIT_KEYAUTH_LEN + 1];
	char digest[LIMIT_DIGEST_LEN + 1];         /* "" = none */
	char caa_issuer[LIMIT_CAA_ISSUER_LEN + 1]; /* "" = CAA_DEFAULT_ISSUER */
	char caa_account_uri[LIMIT_URL_LEN + 1];   /* "" = unknown */
	char regions[CHECKS_MAX_REGIONS][LIMIT_REGION_LEN + 1];
	size_t n_regions;     /* 0 = every region */
	uint32_t budget_ms;   /* 0 = configured default */
	uint32_t min_answers; /* 0 = configured default */
};

struct check;
struct checks;

/* Send job to agent a without blocking.  0, or -1 when the agent cannot be
 * reached (the callee sets a->unreachable; the loop then marks it down). */
typedef int (*checks_send_fn)(void *ctx, struct agent *a, const struct vt_job *job);
/* A check finished: doc is the report document (callee owns it; NULL on
 * ENOMEM). */
typedef void (*check_done_fn)(json_t *doc, void *arg);

/* Create the manager (cfg and agents borrowed).  NULL on ENOMEM. */
struct checks *checks_new(const struct coord_config *cfg, struct agents *agents,
                          checks_send_fn send, void *send_ctx);
/* Free every check without calling its callback; nulls *mp. */
void checks_destroy(struct checks **mp);

/*
 * Start a check for req at now_ms: one job per (domain, method, eligible
 * agent); an agent that is down, busy or lacks the method (its HELLO bitmask)
 * gets an unavailable row saying which.  Returns the check (owned by the
 * manager), or NULL with *http_status (400 bad request, 503 no agents / too
 * busy, 500) and a reason in err.  done(doc, arg) is called exactly once, later, from
 * checks_tick() or checks_finish_all(), unless checks_detach() is called first.
 */
struct check *checks_start(struct checks *m, const struct check_request *req, check_done_fn done,
                           void *arg, uint64_t now_ms, int *http_status, char *err, size_t errlen);
/* The requester went away: the check runs on but calls nobody. */
void checks_detach(struct checks *m, struct check *c);

/* A RESULT from agent a (identity from ZAP).  Moves r's records into the
 * check (r is cleared) and returns 0, or returns -1 (unknown or expired job id,
 * wrong agent, duplicate) with r untouched. */
int checks_on_result(struct checks *m, struct agent *a, struct vt_result *r);
/* Agent a went down: its pending jobs end as unavailable. */
void checks_agent_down(struct checks *m, struct agent *a);
/* Finish every check that is complete or past its deadline.  Returns how many
 * finished. */
size_t checks_tick(struct checks *m, uint64_t now_ms);
/* Milliseconds until checks_tick() has something to do (0 = now), or -1. */
int64_t checks_next_ms(const struct checks *m, uint64_t now_ms);
/* Finish all checks now (shutdown): pending jobs end as unavailable. */
void checks_finish_all(struct checks *m);
/* Checks running. */
size_t checks_active(const struct checks *m);

/* Totals since start, for /metrics: checks and jobs by how they ended,
 * and results dropped (unknown or expired job id, wrong agent, duplicate). */
struct checks_counters {
	uint64_t checks_started, checks_finished;
	uint64_t jobs_sent, jobs_unsendable;                     /* handed to an agent, or not */
	uint64_t jobs_answered, jobs_timed_out, jobs_agent_down; /* how sent jobs ended */
	uint64_t results_dropped;
};
const struct checks_counters *checks_counters(const struct checks *m);

/* Normalise a domain name (lower case, no trailing dot, LDH labels of 1..63,
 * at most LIMIT_DOMAIN_LEN).  0, or -1 with a reason. */
int checks_parse_domain(const char *in, char out[LIMIT_DOMAIN_LEN + 1], char *err, size_t errlen);
/* The coordinator's monotonic clock in milliseconds. */
uint64_t checks_now_ms(void);
/* Fill out with n random lower-case hex characters and a NUL.  0 or -1. */
int checks_random_hex(char *out, size_t n);
/* Fill out with a random 43-character base64url token.  0 or -1. */
int checks_random_token(char out[LIMIT_TOKEN_LEN + 1]);

#endif
