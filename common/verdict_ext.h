/*
 * verdict_ext.h -- helpers verdict.c and diagnose.c share with report.c beyond verdict.h.
 *
 * Kept apart from the shared contract so verdict.h stays as agreed; the
 * functions are pure: verdict_entry_judged() and verdict_le_problem() are
 * implemented in common/verdict.c, verdict_problem_summary() in
 * common/diagnose.c.
 */
#ifndef VANTAGE_VERDICT_EXT_H
#define VANTAGE_VERDICT_EXT_H

#include <stdbool.h>
#include <stddef.h>

#include "verdict.h"

/* Longest short problem summary verdict_problem_summary() writes. */
#define VERDICT_SUMMARY_LEN 256
/* Distinct failure patterns the diagnosis tells apart in one check. */
#define VERDICT_MAX_GROUPS 6
/* Names listed in one diagnosis sentence before "and N more". */
#define VERDICT_MAX_LISTED 6
/* Distinct warning texts the diagnosis repeats. */
#define VERDICT_MAX_WARN_LINES 3
/* Distinct (nameserver, address) pairs the DNS-01 diagnosis compares across
 * vantages, and the sentences it writes about them. */
#define VERDICT_MAX_NS_KEYS  (LIMIT_MAX_NAMESERVERS * 2)
#define VERDICT_MAX_NS_LINES 3
/* Agent warnings quoted as the reason CAA forbids issuance. */
#define VERDICT_MAX_CAA_WHY 2
/* Hex digits of a certificate's SHA-256 quoted in a sentence. */
#define VERDICT_SHA_SHOWN 16

/*
 * Does e count towards the verdict?  False for a vantage without IPv6 whose
 * probe failed because the name resolves only to IPv6 addresses: such a
 * vantage is never used to judge IPv6.  Unavailable entries are "judged"
 * (they make the verdict unknown).
 */
bool verdict_entry_judged(const struct vt_entry *e);

/*
 * The detail Let's Encrypt would show if it refused c (after verdict_judge):
 * the primary's detail if the primary failed, else "During secondary
 * validation: " and the first failing remote's detail.  For CAA the detail
 * is LE's "While processing CAA for <domain>: ..." (added when the agent's
 * detail lacks it).  Writes into buf (always terminated) and returns 0;
 * returns -1 (buf "") when c->mpic does not say "refused".
 */
int verdict_le_problem(const struct vt_check *c, char *buf, size_t len);

/*
 * The short, user-facing summary of a problem detail: the text after the
 * "<ip>: Fetching <url>: " prefix (also drops "During secondary
 * validation: ", CAA's "While processing CAA for <id>: " and TLS-ALPN-01's
 * "Incorrect validation certificate for tls-alpn-01 challenge. Requested
 * <id> from <ip>:443. "), "HTTP 404" for "Invalid response from <url>: 404",
 * and without Boulder's trailing hint in parentheses.  Writes into buf
 * (always terminated).
 */
void verdict_problem_summary(const char *detail, char *buf, size_t len);

#endif
