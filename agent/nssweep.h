/*
 * nssweep.h -- the authoritative nameserver sweep of DNS-01 (beyond what
 * Let's Encrypt does).
 *
 * From this vantage: find the zone that holds a name and its NS set through
 * the vantage's recursive resolver (resolver_query), resolve every NS host's
 * A and AAAA, then ask EVERY nameserver address directly (RD=0, UDP, one
 * retry) for the name's TXT RRset.  The per-address outcome is a
 * vt_nameserver; nssweep_add_warnings() turns a list of them into one-line
 * warnings (unreachable servers, disagreement, not propagated yet).
 *
 * The sweep runs on the probe's event_base and the probe's resolver (neither
 * owned).  Its done callback fires exactly once from the event loop unless
 * the sweep is cancelled or destroyed.  Called by dns01.c.
 */
#ifndef VANTAGE_AGENT_NSSWEEP_H
#define VANTAGE_AGENT_NSSWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addr.h"
#include "../common/result.h"

#define NSSWEEP_DNS_PORT       53   /* where authoritative servers listen */
#define NSSWEEP_TRY_TIMEOUT_MS 2000 /* one UDP try to one nameserver */
#define NSSWEEP_TRIES          2    /* one try and one retry */
#define NSSWEEP_EDNS_UDP_SIZE  4096 /* advertised, as LE's resolvers do */
#define NSSWEEP_MAX_WALK       16   /* zone-finding queries per sweep */
#define NSSWEEP_MAX_READS      16   /* datagrams read per wake-up */
#define NSSWEEP_MAX_TXT        32   /* TXT RRs kept from one answer */
#define NSSWEEP_SHOW_LEN       100  /* LE cuts a shown TXT value here */

struct event_base;
struct resolver;
struct nssweep;

/* The TXT RRs of a DNS message's answer section, whatever their owner (as
 * Boulder's resultFromMsg): each RR's strings concatenated with no
 * separator.  n counts every TXT RR, kept or not; at most NSSWEEP_MAX_TXT
 * are kept, and a value longer than LIMIT_TXT_LEN - 1 is cut (cut[i]). */
struct nssweep_txt {
	char v[NSSWEEP_MAX_TXT][LIMIT_TXT_LEN];
	bool cut[NSSWEEP_MAX_TXT];
	size_t n;
	uint32_t ttl; /* smallest TTL of the TXT RRs, 0 if none */
};

typedef void (*nssweep_done_fn)(struct nssweep *s, void *arg);

/* A sweep on base using res for its recursive queries (neither owned);
 * pub is the treat-as-public filter (copied, may be NULL); ipv6 false skips
 * IPv6 nameserver addresses (this vantage has no IPv6 path).  NULL on
 * ENOMEM. */
struct nssweep *nssweep_new(struct event_base *base, struct resolver *res,
                            const struct addr_filter *pub, bool ipv6);

/* Cancel any work (no callback) and free the sweep; nulls *sp. */
void nssweep_destroy(struct nssweep **sp);

/*
 * Sweep qname's TXT RRset (presentation form, no trailing dot needed).
 * expected is the TXT value to look for, or NULL/"" when unknown (then no
 * entry "matches").  0, or -1 with a reason in err; every outcome of the
 * sweep itself (no zone found, servers not answering) is data, delivered
 * through done.  One sweep per nssweep.
 */
int nssweep_start(struct nssweep *s, const char *qname, const char *expected, nssweep_done_fn done,
                  void *arg, char *err, size_t errlen);

/* Stop all I/O; done does not fire.  What was learnt so far stays readable
 * (entries still waiting say "sweep cancelled"). */
void nssweep_cancel(struct nssweep *s);

/* The per-address outcomes so far (owned by s, valid until destroy); *n
 * gets their count. */
const struct vt_nameserver *nssweep_nameservers(const struct nssweep *s, size_t *n);

/* The zone found ("" if none) and, when no nameserver could be listed, why
 * ("" otherwise).  Owned by s. */
const char *nssweep_zone(const struct nssweep *s);
const char *nssweep_error(const struct nssweep *s);

/* Test only: query authoritative servers on this port instead of
 * NSSWEEP_DNS_PORT (0 restores it), and use this per-try timeout instead of
 * NSSWEEP_TRY_TIMEOUT_MS (0 restores it). */
void nssweep_set_port_for_tests(uint16_t port);
void nssweep_set_timeout_for_tests(uint32_t ms);

/* ---- pure helpers (also used by dns01.c; tested in test_nssweep.c) ---- */

/* Fill t from an ldns_pkt * (NULL gives an empty t). */
void nssweep_txt_from_pkt(const void *ldns_pkt, struct nssweep_txt *t);

/* Quote s as Go's %q would for printable ASCII: "..." with \" and \\
 * escaped and other bytes as \xNN.  out is always terminated. */
void nssweep_quote(const char *s, char *out, size_t outlen);

/* The answer column: t's kept values sorted bytewise, each quoted, joined
 * by one space ("" when empty); cut to fit outlen.  Sorting makes two
 * servers' answers comparable as strings. */
void nssweep_format_txt(const struct nssweep_txt *t, char *out, size_t outlen);

/* The DNS name of an rcode ("NXDOMAIN"); "server failure at resolver" when
 * it has none.  Static string. */
const char *nssweep_rcode_name(int rcode);

/* Does t hold expected exactly (case-sensitive, no trimming)? */
bool nssweep_txt_has(const struct nssweep_txt *t, const char *expected);

/* How many entries did not give a usable answer (unreachable, or an rcode
 * other than NOERROR and NXDOMAIN); their clauses ("nameserver NAME (ADDR)
 * did not answer from this vantage (ERROR)", "nameserver NAME (ADDR)
 * answered REFUSED") joined by "; " go to out (cut to fit). */
size_t nssweep_failures(const struct vt_nameserver *ns, size_t n, char *out, size_t outlen);

/*
 * Add the sweep's warnings to r, one line each: unreachable nameservers;
 * the expected value not propagated to some servers yet; the expected value
 * seen by the recursive resolver but on no / not every authoritative server
 * or the reverse; servers disagreeing on the answer.  qname is the swept
 * name, have_expected whether an expected value was known, recursive_match
 * whether the recursive lookup found it.
 */
void nssweep_add_warnings(struct vt_result *r, const struct vt_nameserver *ns, size_t n,
                          const char *qname, bool have_expected, bool recursive_match);

#endif
