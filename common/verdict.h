/*
 * verdict.h -- judging one (domain, method) across vantages.
 *
 * A vt_check holds every vantage's result for one domain and method.
 * verdict_judge() fills in the verdict, Let's Encrypt's multi-perspective
 * decision (letsencrypt-validation.md section 6) and a diagnosis: one-line
 * sentences that name the pattern (one region failing behind a firewall,
 * site-wide refusal, broken IPv6, ...).  Pure functions, no I/O: the
 * coordinator, the agent's one-shot probe and the unit tests all call them.
 */
#ifndef VANTAGE_VERDICT_H
#define VANTAGE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "finding.h"
#include "result.h"

#define VERDICT_MAX_DIAGNOSIS 10 /* = findings per check */
#define VERDICT_DIAGNOSIS_LEN 512

enum vt_verdict {
	VT_VERDICT_PASS = 0,
	VT_VERDICT_FAIL = 1,
	VT_VERDICT_UNKNOWN = 3, /* values are the CLI's exit codes */
};

/* Who a vantage is -- from the coordinator's configuration only. */
struct vt_vantage {
	char agent[LIMIT_AGENT_NAME_LEN + 1];
	char region[LIMIT_REGION_LEN + 1];
	char rir[LIMIT_REGION_LEN + 1]; /* ARIN, RIPE, APNIC, LACNIC, AFRINIC */
	bool primary;                   /* LE's primary datacenter */
	bool ipv6;                      /* HELLO said it has IPv6 */
};

/* One vantage's row: who, and what it found (outcome UNAVAILABLE if it did
 * not answer within the budget). */
struct vt_entry {
	struct vt_vantage vantage;
	struct vt_result result;
};

/* Let's Encrypt's multi-perspective rule applied to the entries. */
struct vt_mpic {
	int accepted; /* 1 accepted, 0 refused, -1 unknown (null) */
	bool has_primary;
	bool primary_passed;
	unsigned remotes_total; /* remote perspectives used */
	unsigned remotes_passed;
	unsigned remotes_required;
	unsigned remotes_unavailable;
	unsigned rirs_passed; /* distinct RIRs among passing remotes */
	char reason[256];     /* one sentence, e.g. "3 of 4 remotes passed ..." */
};

struct vt_check {
	char domain[LIMIT_DOMAIN_LEN + 1];
	enum vt_method method;
	enum vt_mode mode;
	struct vt_entry *entries; /* owned; free with vt_check_clear() */
	size_t n_entries;
	/* filled by verdict_judge(): */
	enum vt_verdict verdict;
	struct vt_mpic mpic;
	char diagnosis[VERDICT_MAX_DIAGNOSIS][VERDICT_DIAGNOSIS_LEN];
	size_t n_diagnosis;
	/* findings[i].summary is diagnosis[i]: every diagnosis line is the
	 * one-line summary of a finding (finding.h) */
	struct vt_finding findings[VERDICT_MAX_DIAGNOSIS];
	size_t n_findings;
};

/*
 * Judge c: verdict FAIL when any vantage that answered failed; else UNKNOWN
 * when a vantage did not answer or fewer than min_answers answered; else
 * PASS (REACHABLE counts as passing).  Also fills mpic and diagnosis.
 */
void verdict_judge(struct vt_check *c, unsigned min_answers);

/* The worst of several verdicts (FAIL > UNKNOWN > PASS). */
enum vt_verdict verdict_worst(enum vt_verdict a, enum vt_verdict b);
/* "pass", "fail", "unknown". */
const char *vt_verdict_name(enum vt_verdict v);

/* c's first finding with id (after verdict_judge), or NULL. */
struct vt_finding *vt_check_finding(const struct vt_check *c, enum vt_finding_id id);

/* Append an entry (zeroed result) to c; NULL on ENOMEM. */
struct vt_entry *vt_check_add_entry(struct vt_check *c);
/* Free entries (and their results' records) and zero c. */
void vt_check_clear(struct vt_check *c);

#endif
