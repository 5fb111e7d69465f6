/*
 * thishost.h -- `vantage check --this-host`, run on the web server itself:
 * does the name point at this machine?  certbot's guide asks the same
 * question ("does the domain resolve to this server's address?").
 *
 * The vantages report the addresses they resolved (results[].records[]
 * .addressesResolved in the report document); this machine's own are those
 * of its interfaces (getifaddrs).  A resolved address that is not one of
 * them gives the check a NotThisHost warning finding and a diagnosis line,
 * added to the document before it is printed (table or --json).  The
 * verdict and the exit code do not change.  Behind NAT the public address
 * is the router's, never local: the finding says so.
 */
#ifndef VANTAGE_COORD_THISHOST_H
#define VANTAGE_COORD_THISHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "../common/limits.h"

#define THISHOST_MAX_ADDRS 64 /* interface addresses kept */

/* This machine's addresses, as text (inet_ntop: no scope suffix). */
struct thishost {
	char addrs[THISHOST_MAX_ADDRS][LIMIT_ADDR_LEN];
	size_t n;
};

/* Fill h from getifaddrs (IPv4 and IPv6, every interface).  0, or -1 with
 * the reason in err. */
int thishost_addresses(struct thishost *h, char *err, size_t errlen);

/* Add addr (text) to h; ignored when full, unparseable or present. */
void thishost_add(struct thishost *h, const char *addr);

/* Is the address text addr one of h's (compared as addresses, so
 * "::0:1" matches "::1")? */
bool thishost_has(const struct thishost *h, const char *addr);

/*
 * For each http-01, tls-alpn-01 and tls-cert check of the report document
 * doc: the addresses its vantages resolved for the check's own name
 * (records for a redirect's other host are left out) that are not h's give
 * one NotThisHost finding (report_finding_json: its vantages those that
 * resolved a foreign address, its addresses those addresses, its evidence
 * h's addresses) appended to the check's "findings", and its summary to
 * "diagnosis".  Returns the number of findings added, or -1 on ENOMEM or a
 * malformed document.
 */
int thishost_annotate(json_t *doc, const struct thishost *h);

#endif
