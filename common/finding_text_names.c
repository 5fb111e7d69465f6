/*
 * finding_text_names.c -- catalogue texts for the names findings (finding.h).
 *
 * InvalidName, PublicSuffixName and WildcardNeedsDNS01 are refused before
 * any vantage is asked (coordinator/names.c): `vantage check` and `vantage
 * wait` exit 2 with a message that names the finding, the API answers 400
 * with the same message.  NotThisHost comes from `vantage check
 * --this-host` (coordinator/thishost.c).
 */
#include "finding.h"

const struct vt_finding_text finding_text_names[] = {
        {
                .id = VT_F_INVALID_NAME,
                .title = "The name is not one Let's Encrypt will issue for",
                .applies = "command line",
                .cause = "Let's Encrypt checks the name itself before it looks at DNS or "
                         "your server, and refuses it outright if it breaks the rules for "
                         "a public host name: more than 253 characters or 10 labels, an "
                         "empty label (two dots in a row), a label longer than 63 "
                         "characters, characters other than letters, digits and hyphens "
                         "(an underscore, a space, a non-ASCII letter), a label that starts "
                         "or ends with a hyphen, an \"xn--\" label that is not valid "
                         "punycode, no dot at all, or a top-level domain that does not "
                         "exist publicly (.local, .lan, .internal, .home). Such a name never "
                         "gets as far as a challenge, so no server or DNS change can help. "
                         "An IP address is a valid identifier, but only for http-01 and "
                         "tls-alpn-01.",
                .fix = "Ask for the public DNS name your site is reached by: the fully "
                       "qualified name (www.example.com, not www), in ASCII (give an "
                       "internationalised name in its punycode form, xn--...), under a "
                       "domain you registered. For a machine that only has an internal "
                       "name, give it a public name under your domain, or use a private CA.",
                .example = "vantage check: InvalidName: \"foo..example.com\": empty label",
                .letsdebug = "InvalidDomain",
        },
        {
                .id = VT_F_PUBLIC_SUFFIX_NAME,
                .title = "The name is a public suffix, not a domain under one",
                .applies = "command line",
                .cause = "The name is itself a public suffix from the ICANN section of "
                         "the Public Suffix List: a top-level domain (com) or a suffix "
                         "under which anyone can register names (co.uk, com.au). Nobody "
                         "controls such a name for the others registered under it, so Let's "
                         "Encrypt refuses it (\"Domain name is an ICANN TLD\"), and a "
                         "wildcard for it (*.co.uk) too. Suffixes from the list's private "
                         "section (github.io) are not refused: Let's Encrypt ignores that "
                         "section.",
                .fix = "Ask for a registered domain under the suffix (example.co.uk), or a "
                       "name under it (www.example.co.uk).",
                .example = "vantage check: PublicSuffixName: \"co.uk\": \"co.uk\" is a public "
                           "suffix, under which anyone can register names; check a "
                           "registered domain under it (example.co.uk)",
                .letsdebug = "InvalidDomain",
        },
        {
                .id = VT_F_WILDCARD_NEEDS_DNS01,
                .title = "A wildcard name can only be validated by DNS-01",
                .applies = "command line",
                .cause = "Let's Encrypt offers only the DNS challenge for a wildcard "
                         "(*.example.com): proving control of every name under a domain "
                         "takes control of its DNS, not of one web server. An order for a "
                         "wildcard has no http-01 or tls-alpn-01 challenge to answer, so "
                         "an ACME client configured with a webroot, standalone or "
                         "tls-alpn-01 plugin fails before any validation.",
                .fix = "Validate the wildcard with dns-01: publish the TXT record at "
                       "_acme-challenge.example.com (a DNS plugin of your ACME client, or "
                       "acme-dns), and check it with --method dns-01. Or ask for the "
                       "individual names (www.example.com, api.example.com) instead, "
                       "which http-01 can validate.",
                .example = "vantage check: WildcardNeedsDNS01: \"*.example.com\": Let's "
                           "Encrypt validates a wildcard only by dns-01; use --method dns-01",
                .letsdebug = "MethodNotSuitable",
        },
        {
                .id = VT_F_NOT_THIS_HOST,
                .title = "The name does not point at this server",
                .applies = "http-01, tls-alpn-01, tls-cert (with --this-host)",
                .cause = "With --this-host, run on the web server itself, vantage compares "
                         "the addresses the vantages resolved for the name with this "
                         "machine's own (its interfaces). An address that is not among them "
                         "means Let's Encrypt will connect to another machine: an old "
                         "server, a hosting provider's parking page, a CDN, or a stale A or "
                         "AAAA record (often a forgotten AAAA). Behind NAT this is expected: "
                         "the public address belongs to the router, which forwards ports 80 "
                         "and 443 to this machine's private address, so the warning is "
                         "harmless only if that forwarding is in place.",
                .fix = "Point the name's A and AAAA records at this server's address (or "
                       "remove the records that point elsewhere), and wait for the old "
                       "records' TTL to pass. Behind NAT, check the router's port forwarding "
                       "of ports 80 and 443 to this machine, and that the public address is "
                       "the router's.",
                .example = "www.example.com resolves to 203.0.113.9 from 6 vantages, which is "
                           "not this server's address",
                .letsdebug = NULL,
        },
};
const size_t finding_text_names_n = sizeof(finding_text_names) / sizeof(finding_text_names[0]);
