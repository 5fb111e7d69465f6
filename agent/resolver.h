/*
 * resolver.h -- A and AAAA lookups for HTTP-01, as Boulder's getAddrs does
 * them (letsencrypt-validation.md 3.2): both families in parallel, every RR
 * of the asked type taken from the answer section, IANA special-purpose
 * addresses dropped, DNS errors in bdns's words.
 *
 * One resolver per probe, on the process's event_base: its libunbound event
 * context is created on the first lookup and deleted with the resolver, so no
 * answer is cached from one job to the next.  IP literals skip DNS.
 */
#ifndef VANTAGE_AGENT_RESOLVER_H
#define VANTAGE_AGENT_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../common/result.h"
#include "probe.h"

/* libunbound tuning per context: small caches keep 1,000 contexts bounded. */
#define RESOLVER_CACHE_SIZE     "65536"
#define RESOLVER_OUTGOING_RANGE "64"
#define RESOLVER_QUERIES        "32"
#define RESOLVER_SLABS          "1"
/* Source ports for queries: libunbound copies its list of usable ports into
 * every context and every outgoing interface (~700 KB for all 65,536); a
 * range of 16,384 random ports keeps port randomisation strong and the copy
 * at a quarter of that. */
#define RESOLVER_PORTS_AVOID  "0-65535"
#define RESOLVER_PORTS_PERMIT "32768-49151"

/* Reserved addresses remembered per lookup (and warned about per result). */
#define RESOLVER_MAX_SKIPPED 2

struct event_base;
struct resolver;

/* An answer's address that Boulder drops because it is reserved. */
struct resolver_skipped {
	char addr[LIMIT_ADDR_LEN];
	bool v6;         /* from the AAAA answer */
	const char *why; /* addr.c's registry text (static), NULL if none */
};

/* The usable addresses of one host, in answer order. */
struct resolver_addrs {
	char host[LIMIT_DOMAIN_LEN + 1]; /* the name looked up */
	char v6[LIMIT_MAX_ADDRS][LIMIT_ADDR_LEN];
	size_t n_v6;
	char v4[LIMIT_MAX_ADDRS][LIMIT_ADDR_LEN];
	size_t n_v4;
	/* The first RESOLVER_MAX_SKIPPED reserved addresses the answers held
	 * (in the order the answers came), left out of v6/v4 as Let's Encrypt
	 * leaves them out: silently. */
	struct resolver_skipped skipped[RESOLVER_MAX_SKIPPED];
	size_t n_skipped;
	/* Both families failed: prob is VT_PROB_DNS (or VT_PROB_MALFORMED for a
	 * reserved IP literal) and err holds LE's detail.  Else VT_PROB_NONE. */
	enum vt_problem_type prob;
	char err[LIMIT_DETAIL_LEN];
	uint32_t elapsed_ms;
};

/* Called once per lookup, from the event loop (never from inside
 * resolver_lookup); a is valid only during the call. */
typedef void (*resolver_done_fn)(const struct resolver_addrs *a, void *arg);

/* A resolver on base (not owned) with cfg and the treat-as-public filter pub
 * (both copied).  NULL on ENOMEM. */
struct resolver *resolver_new(struct event_base *base, const struct resolver_cfg *cfg,
                              const struct addr_filter *pub);

/* Cancel any lookup (no callback), delete the unbound context, null *rp. */
void resolver_destroy(struct resolver **rp);

/* Look host up (one lookup at a time per resolver; a running one is
 * cancelled).  0, or -1 with a reason in err (bad configuration, ENOMEM).
 * The outcome of the lookup, failures included, arrives through done. */
int resolver_lookup(struct resolver *r, const char *host, resolver_done_fn done, void *arg,
                    char *err, size_t errlen);

/* Cancel the running lookup, if any; its callback does not fire. */
void resolver_cancel(struct resolver *r);

/*
 * Add to r one warning per address a->skipped holds (VT_WARN_RESERVED):
 * "A record 192.168.1.10 of x.example.com is in a reserved address block
 * ([RFC1918]: Private-Use): Let's Encrypt ignores it" ("AAAA record" for
 * IPv6, "reserved" when the registry has no text).  A warning r already
 * holds is not repeated, and r never gets more than RESOLVER_MAX_SKIPPED
 * of them, however many lookups (redirect hops) add theirs.
 */
void resolver_warn_reserved(const struct resolver_addrs *a, struct vt_result *r);

/* ---- generic queries (DNS-01 TXT, CAA, NS sweep) ---- */

/* The outcome of one query through the vantage's recursive resolver.
 * pkt is the parsed answer (an ldns_pkt *, owned by the resolver: valid only
 * during the callback; NULL when no answer arrived).  rcode is the DNS rcode
 * (LDNS_RCODE_*), or -1 when no answer arrived (timeout, network error: then
 * err says which in bdns's words, e.g. "query timed out").  sec is
 * "secure", "insecure" or "bogus" (DNSSEC as the validator judged it) and
 * why_bogus the validator's reason when bogus ("" otherwise). */
struct resolver_answer {
	void *pkt;
	int rcode;
	const char *sec;
	const char *why_bogus;
	const char *err;
	uint32_t elapsed_ms;
};
typedef void (*resolver_query_fn)(const struct resolver_answer *a, void *arg);

/*
 * Query name (presentation form) for rrtype (LDNS_RR_TYPE_*) with class IN.
 * Several queries may run at once on one resolver (they share its context,
 * so they share a cache within one probe -- never across probes).  Returns a
 * query id > 0, or -1 with a reason in err.  done fires exactly once from
 * the event loop unless the query is cancelled or the resolver destroyed.
 */
int resolver_query(struct resolver *r, const char *name, int rrtype, resolver_query_fn done,
                   void *arg, char *err, size_t errlen);

/* Cancel one query started by resolver_query; its callback does not fire. */
void resolver_query_cancel(struct resolver *r, int id);

#endif
