/*
 * names.h -- the names Let's Encrypt refuses before any validation, refused
 * up front by `vantage check`, `vantage wait`, `vantage monitors add` and
 * the API (POST /v1/checks) with the same message.
 *
 * The rules are Boulder's identifier policy (policy/pa.go): at most 253
 * characters and 10 labels, at least one dot, labels of 1..63 characters
 * [a-z0-9-] not starting or ending with '-', "xn--" labels that are valid
 * IDNA2008 punycode and no other "??--" labels, and a name that ends in an
 * ICANN public suffix without being one (libpsl, the private section
 * ignored as Boulder does).  A "*." wildcard is allowed as the whole first
 * label, with dns-01 only (policy/pa.go ChallengeTypesFor).  IPv4 and IPv6
 * literals are identifiers too (RFC 8738), with http-01 and tls-alpn-01.
 *
 * vantage's own choices, where Let's Encrypt would refuse: upper case and
 * one trailing dot are normalised away (the same name); names under the
 * TLDs reserved for testing and documentation, .test and .example (RFC
 * 2606, RFC 6761), are accepted, for test setups with a private CA such as
 * Pebble.
 */
#ifndef VANTAGE_COORD_NAMES_H
#define VANTAGE_COORD_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/finding.h"
#include "../common/limits.h"
#include "../common/result.h"

#define NAMES_MAX_LABELS 10 /* Boulder's maxLabels */
#define NAMES_LABEL_MAX  63 /* RFC 1035 */
#define NAMES_ERR_LEN    512

/* The methods a name is checked for: bit (1u << enum vt_method); CAA is
 * one of them when the check asks for it. */
#define NAMES_METHOD(m) (1u << (unsigned)(m))
/* In methods: the syntax alone (no public-name or method rule), to
 * normalise a name before the methods are known. */
#define NAMES_SYNTAX_ONLY (1u << 31)

/*
 * Check in as an identifier for the methods in the mask methods, and write
 * its normalised form (lower case, no trailing dot) into out.  methods 0:
 * every rule but the methods'.  The public-name rules (a public TLD, not a
 * public suffix) are Let's Encrypt's: they do not apply when tls-cert is
 * the only method (the certificate on 443 of any host, an internal one
 * with a private CA's certificate included).  0, or -1 with *id the finding (VT_F_INVALID_NAME,
 * VT_F_PUBLIC_SUFFIX_NAME or VT_F_WILDCARD_NEEDS_DNS01) and err
 * "Id: \"NAME\": why; fix" (the name escaped).  id may be NULL.
 */
int names_check(const char *in, unsigned methods, char out[LIMIT_DOMAIN_LEN + 1],
                enum vt_finding_id *id, char *err, size_t errlen);

/* The mask names_check() takes for a check of n methods, plus CAA when caa. */
unsigned names_methods_mask(const enum vt_method *methods, size_t n, bool caa);

/* Is name (normalised) an IPv4 or IPv6 literal? */
bool names_is_ip(const char *name);

#endif
