/*
 * finding_text_dns.c -- catalogue texts for the DNS findings (finding.h):
 * the domain's nameservers, its addresses, DNS errors and DNSSEC, the
 * DNS-01 TXT record, and CAA.  The causes are DNS data, not web-server
 * configuration, so the snippet slots stay NULL and the record to publish
 * is in the fix itself.  What Let's Encrypt does is
 * letsencrypt-validation.md sections 3.2, 5 and 7.
 */
#include "finding.h"

const struct vt_finding_text finding_text_dns[] = {
        {
                .id = VT_F_NAMESERVER_UNREACHABLE,
                .title = "An authoritative nameserver does not answer from some places",
                .applies = "dns-01",
                .cause = "One of the domain's nameservers (an NS record of its zone) does "
                         "not answer DNS queries from some regions, or from anywhere: it is "
                         "down, a firewall or a geo-blocking rule drops UDP/TCP port 53 "
                         "from those networks, or the NS record names a server that no "
                         "longer serves the zone.  Let's Encrypt's resolvers pick a "
                         "nameserver themselves and validate from several regions at once; "
                         "a resolver that lands on a silent nameserver retries and may time "
                         "out, so validation fails at random, often only from the remote "
                         "perspectives.",
                .fix = "Make every nameserver in the zone's NS records answer from "
                       "everywhere on port 53, UDP and TCP: lift the geo-block or firewall "
                       "rule for DNS, or fix the server.  If the server is gone, remove it "
                       "from the NS records at the DNS provider and the delegation at the "
                       "registrar.  Check with `dig @<nameserver address> "
                       "_acme-challenge.<name> TXT` from another network.",
                .example = "ns2.example.com (203.0.113.54) does not answer from ap-south and "
                           "sa-east while 3 other regions reach it: geo-blocked or firewalled "
                           "DNS; Let's Encrypt's remote perspectives will fail there",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_NAMESERVERS_DISAGREE,
                .title = "The nameservers serve different TXT records",
                .applies = "dns-01",
                .cause = "The domain's authoritative nameservers do not all serve the "
                         "challenge's TXT record: a secondary has not received the zone "
                         "transfer yet (NOTIFY or AXFR/IXFR blocked, serial not raised), an "
                         "anycast node or a GeoDNS view serves an old copy, or a DNS hook "
                         "wrote to one provider of a multi-provider setup.  Let's Encrypt "
                         "asks whichever nameserver its resolver picks, from several "
                         "regions, so a lagging nameserver fails validation for some of "
                         "them.",
                .fix = "Wait until every nameserver serves the new value before asking "
                       "for validation (`vantage wait --method dns-01`, or a longer "
                       "propagation delay in the DNS hook, e.g. certbot's "
                       "--dns-<plugin>-propagation-seconds).  If it never catches up, fix "
                       "the zone transfer: raise the SOA serial, allow AXFR/IXFR and "
                       "NOTIFY from the primary to each secondary, or update every DNS "
                       "provider from the hook.",
                .example = "not propagated: ns2.example.com (203.0.113.54) does not serve "
                           "the TXT record yet (ns1.example.com does): wait until every "
                           "nameserver serves it (vantage wait --method dns-01) or fix the "
                           "zone transfer",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_NO_ADDRESSES,
                .title = "The name has no A or AAAA record",
                .applies = "http-01, tls-alpn-01, tls-cert",
                .cause = "Let's Encrypt looks up the name's A and AAAA records itself and "
                         "connects to one of the addresses.  Here the name does not exist "
                         "(NXDOMAIN: a typo, a record never created, or the zone not "
                         "delegated to the nameservers that hold it), or it exists without "
                         "a usable address (only other record types, or a CNAME to a name "
                         "without addresses).  Without an address there is nothing to "
                         "validate against.",
                .fix = "Publish an A or AAAA record for the exact name (each name of the "
                       "certificate needs its own, `www` included) pointing at the "
                       "server's public address, e.g. `www.example.com. 300 IN A "
                       "203.0.113.10`.  Check the spelling and that the registrar "
                       "delegates the domain to the nameservers you edit (`dig NS "
                       "example.com`).  For a name that cannot point at a server, use "
                       "dns-01.",
                .example = "www.example.com does not resolve from every vantage (DNS "
                           "problem: NXDOMAIN looking up A for www.example.com - check that "
                           "a DNS record exists for this domain)",
                .letsdebug = "NoRecords",
        },
        {
                .id = VT_F_RESERVED_ADDRESS,
                .title = "The name points at a private or reserved address",
                .applies = "http-01, tls-alpn-01, tls-cert",
                .cause = "An A or AAAA record of the name is in a reserved block: a private "
                         "LAN address (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, "
                         "link-local, carrier-grade NAT (100.64/10) or a documentation "
                         "range.  Such addresses mean something only inside one network, "
                         "so Let's Encrypt drops them from every answer (IANA's "
                         "special-purpose registries) and validates with the other "
                         "addresses; when none is left, validation fails.  Split-horizon "
                         "DNS that leaks the internal view, or a dynamic-DNS client that "
                         "reports the LAN address, are the usual causes.",
                .fix = "Publish the server's public address in public DNS, e.g. "
                       "`example.com. 300 IN A 203.0.113.10` (the router's WAN address "
                       "with port forwarding, for a server at home); keep the private "
                       "address in the internal view only, and set the dynamic-DNS client "
                       "to report the external address.  A server that has no public "
                       "address cannot pass http-01 or tls-alpn-01: use dns-01.",
                .example = "example.com resolves to 192.168.1.10 (RFC 1918 private), in a "
                           "reserved address block (seen from 5 vantages): Let's Encrypt "
                           "ignores such addresses and finds no other to connect to; "
                           "publish the server's public address in the A/AAAA records",
                .letsdebug = "ReservedAddress",
        },
        {
                .id = VT_F_DNS_SERVFAIL,
                .title = "The domain's DNS answers SERVFAIL",
                .applies = "all",
                .cause = "A resolver answers SERVFAIL when it cannot get a trustworthy "
                         "answer from the domain's nameservers: they are down, refuse the "
                         "query, are lame (the NS records name servers that do not serve "
                         "the zone), or DNSSEC validation fails, which Let's Encrypt says "
                         "is the most common reason.  Let's Encrypt does not retry a "
                         "SERVFAIL and refuses the challenge or the CAA check.",
                .fix = "Find the failing nameserver: `dig +trace <name>` shows the "
                       "delegation and `dig @<each nameserver> <name>` each answer; "
                       "`delv <name>` or dnsviz.net show DNSSEC errors.  Make every "
                       "nameserver in the NS records answer authoritatively for the zone, "
                       "and remove the ones that do not.",
                .example = "the TXT lookup for _acme-challenge.example.com fails from every "
                           "vantage (DNS problem: SERVFAIL looking up TXT for "
                           "_acme-challenge.example.com - the domain's nameservers may be "
                           "malfunctioning): the domain's nameservers fail or do not answer; "
                           "every authoritative nameserver must answer for it",
                .letsdebug = "DNSLookupFailed",
        },
        {
                .id = VT_F_DNS_LOOKUP_FAILED,
                .title = "A DNS lookup fails",
                .applies = "all",
                .cause = "The lookup did not get an answer: it timed out (the nameservers "
                         "drop queries, or only UDP works and a large answer needs TCP), "
                         "was REFUSED (the nameserver does not serve the zone), or came back "
                         "truncated.  Let's Encrypt retries only timeouts, a few times, and "
                         "then refuses the challenge or the CAA check.",
                .fix = "Query each authoritative nameserver directly (`dig @<nameserver> "
                       "<name> TXT`, `dig +tcp ...`) from outside your network; every "
                       "nameserver must answer over UDP and TCP on port 53 without "
                       "rate-limiting the CA's resolvers, and every NS record must name a "
                       "server that serves the zone.",
                .example = "the TXT lookup for _acme-challenge.example.com fails from every "
                           "vantage (DNS problem: query timed out looking up TXT for "
                           "_acme-challenge.example.com): the domain's nameservers fail or "
                           "do not answer; every authoritative nameserver must answer for it",
                .letsdebug = "DNSLookupFailed, TXTRecordError",
        },
        {
                .id = VT_F_DNSSEC_BOGUS,
                .title = "DNSSEC validation fails (bogus)",
                .applies = "all",
                .cause = "The zone is signed, or its parent says it is, and the signatures "
                         "do not verify: the RRSIGs expired because re-signing stopped, the "
                         "DS record at the registrar still names a key the zone no longer "
                         "uses (after a key rollover or a move to another DNS provider), or "
                         "a secondary serves an unsigned or stale copy.  Let's Encrypt's "
                         "resolvers validate DNSSEC and treat a bogus answer as a failure, "
                         "for the challenge and for CAA.",
                .fix = "Make the DS record at the registrar match a DNSKEY the zone "
                       "publishes, or remove the DS to turn DNSSEC off (after moving DNS "
                       "providers, delete the old provider's DS first); make sure the "
                       "zone is re-signed before the signatures expire and every "
                       "nameserver serves the signed zone.  dnsviz.net or `delv "
                       "_acme-challenge.<name> TXT` show which link breaks.",
                .example = "DNSSEC validation fails (bogus) from every vantage (signature "
                           "expired): the zone's signatures are invalid or expired, or the "
                           "parent's DS record does not match its DNSKEY: fix the signatures "
                           "or the DS record; Let's Encrypt's resolvers will refuse every "
                           "answer",
                .letsdebug = "DNSLookupFailed",
        },
        {
                .id = VT_F_TXT_MISSING,
                .title = "No TXT record at _acme-challenge",
                .applies = "dns-01",
                .cause = "For dns-01, Let's Encrypt looks up TXT at _acme-challenge.<name> "
                         "(a wildcard's `*.` dropped) and found none: the DNS hook did not "
                         "run or its API credentials failed, the record went to another zone "
                         "or name, the client asked for validation before the record "
                         "reached every nameserver, or a resolver still caches the earlier "
                         "NXDOMAIN for the zone's negative TTL.",
                .fix = "Publish the challenge's value as a TXT record at "
                       "_acme-challenge.<name>, e.g. `_acme-challenge.example.com. 60 IN "
                       "TXT \"gfj9Xq...Rg85nM\"`, in the zone that is authoritative for it "
                       "(follow a CNAME or delegation of _acme-challenge to where it "
                       "points).  Check the hook's log, then wait until every nameserver "
                       "serves it (`vantage wait --method dns-01`) before asking for "
                       "validation.",
                .example = "there is no TXT record at _acme-challenge.example.com from every "
                           "vantage (the name exists): publish the challenge's TXT record "
                           "there; check the DNS hook or its API credentials",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_TXT_MISMATCH,
                .title = "The TXT record at _acme-challenge has another value",
                .applies = "dns-01",
                .cause = "TXT records exist at _acme-challenge.<name>, but none holds this "
                         "challenge's value (the base64url SHA-256 of the key authorization, "
                         "43 characters): it is an earlier challenge's record, the value was "
                         "pasted with quotes, spaces or a line break, or a nameserver still "
                         "serves an old copy.  Let's Encrypt compares each record exactly, "
                         "case-sensitive, and any one match is enough.",
                .fix = "Publish the current challenge's value exactly as the ACME client "
                       "prints it, as its own TXT record; old records may stay next to it "
                       "but are better removed.  If the value is right at the DNS "
                       "provider, wait until every nameserver serves it and the old "
                       "answer's TTL has run out.",
                .example = "the TXT record at _acme-challenge.example.com has the wrong value "
                           "from every vantage (Incorrect TXT record \"old-value\"): it is "
                           "stale or another challenge's; publish this challenge's value, "
                           "the base64url SHA-256 of the key authorization (43 characters)",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_TXT_DOUBLE_LABEL,
                .title = "The TXT record is at a doubled name",
                .applies = "dns-01",
                .cause = "The record was created at _acme-challenge.example.com.example.com: "
                         "the DNS provider's form (or API) takes names relative to the zone "
                         "and appends the zone to what it is given, so entering the full "
                         "name adds the domain twice.  Let's Encrypt looks only at "
                         "_acme-challenge.example.com and finds nothing, or an old value.",
                .fix = "Delete the record at the doubled name and create it again with the "
                       "name relative to the zone (`_acme-challenge`, or "
                       "`_acme-challenge.www` for www.example.com), or fully qualified "
                       "with a trailing dot (`_acme-challenge.example.com.`) where the "
                       "provider accepts that.  Check with `dig "
                       "_acme-challenge.example.com TXT`.",
                .example = "the TXT record is at the doubled name "
                           "_acme-challenge.example.com.example.com, not at "
                           "_acme-challenge.example.com (seen from 5 vantages): the DNS "
                           "provider's form appends the zone to the name it is given; enter "
                           "the name relative to the zone, or fully qualified with a "
                           "trailing dot",
                .letsdebug = "TXTDoubleLabel",
        },
        {
                .id = VT_F_STALE_TXT_RECORDS,
                .title = "Old TXT records pile up at _acme-challenge",
                .applies = "dns-01",
                .cause = "The DNS hook adds a TXT record for each challenge and never "
                         "deletes it (the cleanup hook is missing or fails), so "
                         "_acme-challenge holds many old values.  Validation still passes "
                         "while one record matches, but Let's Encrypt warns that too many "
                         "records make the answer too large, and a full answer set can "
                         "crowd out the new value at providers that cap the record count.",
                .fix = "At the DNS provider, remove the old TXT records at _acme-challenge "
                       "and keep only the current challenge's value; configure the client's "
                       "cleanup step "
                       "(certbot's --manual-cleanup-hook, acme.sh and lego do it with "
                       "their DNS plugins) so each renewal deletes what it added.",
                .example = "from 5 vantages, _acme-challenge.example.com holds 7 TXT "
                           "records, 6 of them stale TXT records (not the expected value): "
                           "old challenge values pile up when a DNS hook never cleans up; "
                           "remove them, as too many make the answer too large for Let's "
                           "Encrypt",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_CAA_FORBIDS,
                .title = "CAA records forbid Let's Encrypt",
                .applies = "caa",
                .cause = "The domain (or the closest parent that has CAA records) publishes "
                         "CAA `issue` records, and none names Let's Encrypt: they list only "
                         "other CAs, or `issue \";\"` forbids every CA.  Let's Encrypt "
                         "checks CAA before issuing, from several regions, and must refuse.  "
                         "For a wildcard, `issuewild` records take precedence when there "
                         "are any.",
                .fix = "Add a record for Let's Encrypt next to the others, in the zone "
                       "where the CAA set is found: `example.com. CAA 0 issue "
                       "\"letsencrypt.org\"` (and `example.com. CAA 0 issuewild "
                       "\"letsencrypt.org\"` for wildcards when issuewild records exist), "
                       "or remove the records that exclude it.  Records at a subdomain "
                       "replace the parent's, so check `dig CAA <name>` at each level.",
                .example = "CAA at example.com forbids this CA: the CAA set at example.com "
                           "allows only digicert.com; CAA set at example.com (1 record): 0 "
                           "issue \"digicert.com\": add an issue record for this CA's issuer "
                           "domain (\"letsencrypt.org\" for Let's Encrypt) next to the "
                           "others, or remove the records that exclude it",
                .letsdebug = "CAAIssuanceNotAllowed",
        },
        {
                .id = VT_F_CAA_METHOD_EXCLUDED,
                .title = "CAA validationmethods excludes the method",
                .applies = "caa",
                .cause = "The Let's Encrypt CAA record carries a validationmethods parameter "
                         "(RFC 8657) that does not list the challenge type used, e.g. "
                         "`issue \"letsencrypt.org; validationmethods=dns-01\"` while the "
                         "client validates with http-01.  The record then does not "
                         "authorize this issuance.",
                .fix = "Add the method you validate with to validationmethods, e.g. "
                       "`example.com. CAA 0 issue \"letsencrypt.org; "
                       "validationmethods=dns-01,http-01\"`, or switch the ACME client to a "
                       "method the record lists.",
                .example = "CAA at example.com forbids this CA: the CAA set at example.com "
                           "names letsencrypt.org, but validationmethods=dns-01 excludes "
                           "http-01: add the method you validate with to validationmethods, "
                           "or validate with a method it lists",
                .letsdebug = "CAAIssuanceNotAllowed",
        },
        {
                .id = VT_F_CAA_ACCOUNT_URI,
                .title = "CAA accounturi pins one ACME account",
                .applies = "caa",
                .cause = "The Let's Encrypt CAA record carries an accounturi parameter (RFC "
                         "8657): only that ACME account may get certificates.  An account "
                         "created later (new server, reinstalled client, another client) "
                         "has another URI, and staging accounts "
                         "(acme-staging-v02.api.letsencrypt.org) never match a production "
                         "URI (acme-v02.api.letsencrypt.org) or the reverse.  While the "
                         "account matches this is deliberate hardening, nothing to fix.",
                .fix = "Keep the record's URI equal to the account the client uses (certbot "
                       "shows it with `certbot show_account`), e.g. `example.com. CAA 0 "
                       "issue \"letsencrypt.org; "
                       "accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/123456\"`. "
                       " To test with staging, add a second record with the staging "
                       "account's URI; update the record before switching accounts.",
                .example = "CAA record 0 issue \"letsencrypt.org; "
                           "accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/123456\" "
                           "pins one ACME account (seen from us-east, eu-west and ap-south): "
                           "only that account can get certificates; staging and production "
                           "accounts have different URIs, so a staging test fails there, and "
                           "a new account needs the record updated",
                .letsdebug = "CAARequiresAccountUri",
        },
        {
                .id = VT_F_CAA_CRITICAL_UNKNOWN,
                .title = "An unknown CAA tag is marked critical",
                .applies = "caa",
                .cause = "A CAA record has a tag Let's Encrypt does not know (anything but "
                         "issue, issuewild, iodef, issuemail, issuevmc) with the critical "
                         "flag set (128, or 1, which is often written by mistake).  RFC "
                         "8659 says a CA must not issue when it meets a critical tag it does "
                         "not understand, so this one record forbids every CA.",
                .fix = "Drop the unknown tag, or publish it with flag 0 instead of the "
                       "critical flag: `example.com. CAA 0 <tag> \"...\"` rather than "
                       "`CAA 128 <tag>` or `CAA 1 <tag>`; keep `example.com. CAA 0 issue "
                       "\"letsencrypt.org\"`.",
                .example = "CAA at example.com forbids this CA: the CAA set at example.com "
                           "has the unknown critical tag 'tbs' (flags 128): an unknown tag "
                           "marked critical forbids every CA: drop the tag or its critical "
                           "flag",
                .letsdebug = "CAACriticalUnknown",
        },
        {
                .id = VT_F_CAA_INVALID,
                .title = "A CAA issue record does not parse",
                .applies = "caa",
                .cause = "An issue or issuewild value does not follow RFC 8659's syntax: a "
                         "parameter without `=`, a space or `;` inside a value, an invalid "
                         "issuer domain, or a parameter given twice (two accounturi make the "
                         "record unsatisfiable).  Let's Encrypt skips such a record as if it "
                         "were not there, so it authorizes nothing; when it was the only "
                         "one for Let's Encrypt, issuance is forbidden.",
                .fix = "Write each issue record as the issuer domain, then optional "
                       "`tag=value` parameters separated by `;`, each parameter once: "
                       "`example.com. CAA 0 issue \"letsencrypt.org; "
                       "validationmethods=dns-01\"`.  Check the zone with `dig CAA "
                       "example.com` after the change.",
                .example = "CAA record 0 issue \"letsencrypt.org; validationmethods\" does "
                           "not parse (seen from us-east and eu-west): Let's Encrypt skips "
                           "it as if it were not there; write it as issue "
                           "\"letsencrypt.org\", then parameters as tag=value separated by "
                           "\";\", each parameter once",
                .letsdebug = "CAAPossiblyInvalid",
        },
};
const size_t finding_text_dns_n = sizeof(finding_text_dns) / sizeof(finding_text_dns[0]);
