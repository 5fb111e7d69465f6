/*
 * finding_text_core.c -- catalogue texts for the findings across vantages
 * (finding.h): what only a comparison of several regions shows, and what
 * the vantages themselves report about their answers.
 */
#include "finding.h"

#define LE_NO_IPS                                                                                  \
	"Let's Encrypt validates from a primary datacenter and several remote perspectives in "    \
	"other regions, and publishes no list of their addresses. "

const struct vt_finding_text finding_text_core[] = {
        {
                .id = VT_F_ALL_PASS,
                .title = "Every vantage passes",
                .applies = "all",
                .cause = "Every vantage that answered reached the site and saw what Let's "
                         "Encrypt expects.",
                .fix = "Nothing to fix; nothing else is needed for this name and method.",
                .example = "passes from all 5 vantages in 5 regions (3 RIRs)",
        },
        {
                .id = VT_F_REGIONAL_BLOCK,
                .title = "A firewall or geo-block drops some regions",
                .applies = "http-01, tls-alpn-01, tls-cert",
                .cause = LE_NO_IPS
                "Connections from some regions time out, are refused or get a "
                "geo-IP error page while the others pass: a firewall, a geo-IP rule, a "
                "source allowlist (fail2ban, CrowdSec, a hosting panel's country block) or a "
                "WAF treats those regions differently. Let's Encrypt refuses the "
                "authorization when its primary or more than one remote perspective fails.",
                .fix = "Allow /.well-known/acme-challenge/ (port 80) and, for TLS-ALPN-01, "
                       "port 443 from everywhere: exempt the challenge path from geo-IP and "
                       "country rules, or open the port to all sources for the renewal "
                       "window (certbot --pre-hook/--post-hook). Allowlisting Let's "
                       "Encrypt's addresses cannot work.",
                .nginx = "# in the server block for port 80, before any geo/deny rule\n"
                         "location ^~ /.well-known/acme-challenge/ {\n"
                         "    allow all;\n"
                         "    root /var/www/html;\n"
                         "}",
                .apache = "<Location \"/.well-known/acme-challenge/\">\n"
                          "    Require all granted\n"
                          "</Location>",
                .caddy = "# Caddy answers challenges itself; remove any remote_ip matcher\n"
                         "# that blocks regions from port 80 and 443",
                .cloudflare = "Security > WAF > Custom rules: Skip (all remaining custom "
                              "rules, country blocks) when URI Path starts with "
                              "\"/.well-known/acme-challenge/\"",
                .example = "fails only from eu-west (Timeout during connect) while 4 other "
                           "regions pass: a firewall or geo-block drops that region. ...",
                .letsdebug = "ANotWorking / AAAANotWorking (from one place only)",
        },
        {
                .id = VT_F_SITE_UNREACHABLE,
                .title = "No vantage can connect",
                .applies = "http-01, tls-alpn-01, tls-cert",
                .cause = "Every vantage fails to connect the same way: the web server is not "
                         "listening on that port and address family, the host's firewall or "
                         "the provider's security group drops it, or the A/AAAA records "
                         "point to a machine that is down or elsewhere.",
                .fix = "Check from outside that port 80 (443 for TLS-ALPN-01) answers on "
                       "the addresses in DNS: the server's listen directives (IPv4 and "
                       "IPv6), the host firewall (nft list ruleset, ufw status), the cloud "
                       "security group, and any port forwarding on the router.",
                .nginx = "server {\n    listen 80;\n    listen [::]:80;\n    server_name "
                         "example.com;\n}",
                .apache = "Listen 80\n<VirtualHost *:80>\n    ServerName example.com\n"
                          "</VirtualHost>",
                .example = "fails from every vantage (Connection refused): the problem is at "
                           "the site itself, not a region: ...",
                .letsdebug = "ANotWorking, AAAANotWorking",
        },
        {
                .id = VT_F_SERVER_STALLS,
                .title = "The server accepts connections but does not answer",
                .applies = "http-01, tls-alpn-01, tls-cert",
                .cause = "The TCP connection is made, then nothing comes back before Let's "
                         "Encrypt's deadline: an overloaded server, a backend that hangs, a "
                         "proxy in front waiting for an upstream, or a middlebox that "
                         "swallows the request.",
                .fix = "Fetch the challenge URL yourself with curl -v and watch where it "
                       "waits; check the proxy or load balancer in front (its upstream and "
                       "timeouts) and the server's error log. The challenge must be served "
                       "in a few seconds.",
                .example = "fails only from ap-southeast (Timeout after connect) while 4 other "
                           "regions pass: the server, or a middlebox on the way from that "
                           "region, stalls after the connection is made",
        },
        {
                .id = VT_F_IPV6_BROKEN,
                .title = "IPv6 is broken while IPv4 works",
                .applies = "http-01, tls-alpn-01, tls-cert",
                .cause = "The name has an AAAA record, but connections to it fail, so the "
                         "vantages fell back to IPv4. Let's Encrypt tries IPv6 first; it falls "
                         "back to IPv4 only when the IPv6 connection fails, so a slow or "
                         "half-working IPv6 path (an answer that hangs, a redirect that fails "
                         "over IPv6) still fails validation.",
                .fix = "Make the server answer on its IPv6 address (listen [::]:80, firewall "
                       "rules for IPv6, the provider's IPv6 routing), or remove the AAAA "
                       "record until IPv6 works.",
                .nginx = "listen [::]:80;\nlisten [::]:443 ssl;",
                .apache = "Listen [::]:80",
                .example = "IPv6 is broken: 5 vantages could not connect over IPv6 and fell "
                           "back to IPv4; ...",
                .letsdebug = "AAAANotWorking",
        },
        {
                .id = VT_F_REGIONAL_DIFFERENCE,
                .title = "Regions reach different servers",
                .applies = "http-01, tls-alpn-01",
                .cause = "Some regions get a different status, content, redirect or "
                         "certificate than the others: GeoDNS, a CDN edge, a load balancer "
                         "with a stale or misconfigured member, or a second server that "
                         "still holds an old configuration.",
                .fix = "Find which server each region reaches (the addresses in the table) "
                       "and make every server behind the name serve "
                       "/.well-known/acme-challenge/ the same way, or serve the challenge "
                       "from one shared place (a shared webroot, a proxy_pass to one "
                       "backend).",
                .nginx = "# on every server behind the name\nlocation ^~ "
                         "/.well-known/acme-challenge/ {\n    proxy_pass "
                         "http://acme-backend.internal;\n}",
                .example = "the server answers 404 to eu-west only while 4 other regions pass: "
                           "eu-west reach a different server or backend ...",
                .letsdebug = "MultipleIPAddressDiscrepancy",
        },
        {
                .id = VT_F_ADDRESSES_DIFFER,
                .title = "Regions resolve the name to different addresses",
                .applies = "http-01, tls-alpn-01, tls-cert",
                .cause = "Vantages in different regions got different A/AAAA answers: "
                         "GeoDNS, a CDN, or one authoritative nameserver still serving an "
                         "old zone. Let's Encrypt's perspectives will see the same split, and "
                         "each must reach a server that answers the challenge.",
                .fix = "Make sure every address the name resolves to, from every region, "
                       "serves the challenge; if the split is not intended, check that every "
                       "nameserver serves the same zone serial.",
                .example = "eu-west resolves the name to different addresses than 4 other "
                           "regions (10.77.0.80): GeoDNS, a CDN or a nameserver serving an old "
                           "zone",
                .letsdebug = "MultipleIPAddressDiscrepancy",
        },
        {
                .id = VT_F_CERTIFICATES_DIFFER,
                .title = "Regions get different certificates",
                .applies = "tls-alpn-01, tls-cert",
                .cause = "The TLS handshake on port 443 returns a different certificate in "
                         "some regions: a CDN edge, a load balancer member or a second server "
                         "that was not updated.",
                .fix = "Deploy the same certificate to every server and edge that answers "
                       "for the name, and reload them.",
                .example = "ap-southeast gets a different certificate (sha256 1a2b...) than "
                           "the 4 other vantages",
        },
        {
                .id = VT_F_VANTAGE_SILENT,
                .title = "A vantage did not answer",
                .applies = "all",
                .cause = "The agent did not return a result within the check's budget: an "
                         "agent down, restarting or cut off from the coordinator. This says "
                         "nothing about the site.",
                .fix = "Run `vantage agents` to see which agent is down and restart it; "
                       "the verdict stays unknown until enough agents answer.",
                .example = "vantage euw1 (eu-west) did not answer: an agent or network problem "
                           "on our side, not the site's; its result is unknown",
        },
        {
                .id = VT_F_VANTAGE_WITHOUT_IPV6,
                .title = "A vantage without IPv6 was not used",
                .applies = "http-01, tls-alpn-01, tls-cert",
                .cause = "The name has only IPv6 addresses and this vantage has no IPv6 "
                         "route, so its failure says nothing about the site; Let's Encrypt "
                         "validates over IPv6.",
                .fix = "Nothing to fix at the site; give the agent's VM IPv6 to use it for "
                       "IPv6-only names.",
                .example = "vantage apse1 (ap-southeast) has no IPv6 and the name has only "
                           "IPv6 addresses: not used to judge the result",
        },
        {
                .id = VT_F_TOO_FEW_ANSWERS,
                .title = "Too few vantages answered to judge",
                .applies = "all",
                .cause = "Fewer vantages answered than the coordinator's min_answers, so the "
                         "verdict is unknown rather than a pass that rests on one or two "
                         "places.",
                .fix = "Bring the missing agents back (`vantage agents`), or enrol agents in "
                       "more regions.",
                .example = "only 2 vantages answered, fewer than the minimum of 3: too few to "
                           "judge, so the verdict is unknown",
        },
        {
                .id = VT_F_PROBE_WARNING,
                .title = "A vantage reported a warning",
                .applies = "all",
                .cause = "A vantage noticed something that does not fail validation today "
                         "but is unusual: the warning's own text says what.",
                .fix = "Read the warning; it names what to change.",
                .example = "warning from 5 vantages: redirect from http://... to https://...",
        },
};
const size_t finding_text_core_n = sizeof(finding_text_core) / sizeof(finding_text_core[0]);
