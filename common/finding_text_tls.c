/*
 * finding_text_tls.c -- catalogue texts for the TLS findings (finding.h):
 * TLS-ALPN-01 (ProxyInFront, NoAcmeTls1, TLSTooOld, WrongValidationCert,
 * TLSHandshakeFailed) and the certificate on port 443 that tls-cert
 * monitors (CertExpired, CertExpiring, CertUntrusted, CertNameMismatch,
 * CertOK).  What Let's Encrypt does: letsencrypt-validation.md section 4.
 */
#include "finding.h"

const struct vt_finding_text finding_text_tls[] = {
        {
                .id = VT_F_PROXY_IN_FRONT,
                .title = "A CDN or reverse proxy terminates TLS in front of the server",
                .applies = "tls-alpn-01",
                .cause = "Port 443 is answered by a CDN or reverse proxy (Cloudflare, Akamai, "
                         "Fastly, CloudFront, Sucuri, Imperva, Azure Front Door, a cloud load "
                         "balancer), not by your server: the certificate vantage received is "
                         "the proxy's own. TLS-ALPN-01 needs the TLS handshake itself to reach "
                         "the ACME client, which must answer the protocol acme-tls/1 with its "
                         "self-signed validation certificate; a proxy ends the handshake at its "
                         "edge and never passes acme-tls/1 on, so this method cannot succeed "
                         "through it, however the server behind it is configured.",
                .fix = "Use HTTP-01 or DNS-01 for this name: most CDNs pass "
                       "/.well-known/acme-challenge/ on port 80 through to the origin, and "
                       "DNS-01 does not touch the web server at all (it also covers wildcards). "
                       "If you must use TLS-ALPN-01, pause the proxy (take it out of the path) "
                       "while the certificate is issued (on Cloudflare, switch the record to \"DNS "
                       "only\", "
                       "the grey cloud) and turn it back on afterwards -- at every renewal.",
                .nginx = NULL,
                .apache = NULL,
                .caddy = "# DNS-01 through the CDN's DNS API instead (caddy-dns/cloudflare)\n"
                         "example.com {\n"
                         "\ttls {\n"
                         "\t\tdns cloudflare {env.CF_API_TOKEN}\n"
                         "\t}\n"
                         "}",
                .cloudflare = "DNS > Records > example.com: Proxy status \"DNS only\" (grey "
                              "cloud) while the certificate is issued, then \"Proxied\" again.\n"
                              "Or DNS-01 with an API token limited to Zone > DNS > Edit "
                              "(certbot-dns-cloudflare, acme.sh dns_cf, lego cloudflare).",
                .example = "Cloudflare terminates TLS on port 443 in front of the server, seen "
                           "from every vantage (Cannot negotiate ALPN protocol \"acme-tls/1\" "
                           "for tls-alpn-01 challenge): acme-tls/1 cannot pass through a CDN or "
                           "reverse proxy, so TLS-ALPN-01 cannot succeed; validate with HTTP-01 "
                           "or DNS-01, or pause the proxy while the certificate is issued",
                .letsdebug = "CloudflareCDN",
        },
        {
                .id = VT_F_NO_ACME_TLS1,
                .title = "The server on port 443 does not offer acme-tls/1",
                .applies = "tls-alpn-01",
                .cause = "Let's Encrypt opens a TLS connection to port 443 offering only the "
                         "ALPN protocol acme-tls/1 and expects the ACME client's validation "
                         "certificate in return. The server there is an ordinary web server "
                         "that answers TLS itself: it either ignores the protocol (\"Cannot "
                         "negotiate ALPN protocol\") or refuses it (\"no application "
                         "protocol\"). Few servers can answer acme-tls/1 at all: Caddy does "
                         "natively, Apache only through mod_md, Traefik and other ACME-aware "
                         "proxies do; nginx and a plain Apache cannot, and need the connection "
                         "routed to the ACME client's own responder (certbot has none; lego, "
                         "acme.sh and dehydrated do).",
                .fix = "Make whatever listens on port 443 answer acme-tls/1: let an ACME-aware "
                       "server (Caddy, Apache with mod_md, Traefik) do the validation itself, or "
                       "route acme-tls/1 connections to the ACME client's responder (nginx: a "
                       "stream block with ssl_preread, below) while everything else goes on to "
                       "the web server; every server behind the name must do so. If that is "
                       "more than you want, validate with HTTP-01 or DNS-01 instead.",
                .nginx = "# nginx cannot answer acme-tls/1: route it by ALPN to the ACME\n"
                         "# client's responder (lego --tls.port, acme.sh --tlsport) on 10443\n"
                         "# and move the https server blocks to listen 127.0.0.1:8443 ssl;\n"
                         "stream {\n"
                         "    map $ssl_preread_alpn_protocols $tls_upstream {\n"
                         "        ~\\bacme-tls/1\\b 127.0.0.1:10443;\n"
                         "        default          127.0.0.1:8443;\n"
                         "    }\n"
                         "    server {\n"
                         "        listen 443;\n"
                         "        listen [::]:443;\n"
                         "        ssl_preread on;\n"
                         "        proxy_pass $tls_upstream;\n"
                         "    }\n"
                         "}",
                .apache = "# mod_md answers acme-tls/1 itself (a2enmod md ssl)\n"
                          "MDomain example.com\n"
                          "MDCAChallenges tls-alpn-01\n"
                          "Protocols h2 http/1.1 acme-tls/1",
                .caddy = "# Caddy answers acme-tls/1 itself when it owns port 443 (nothing in\n"
                         "# front of it) and no issuer says disable_tlsalpn_challenge\n"
                         "example.com {\n"
                         "\treverse_proxy 127.0.0.1:8080\n"
                         "}",
                .cloudflare = NULL,
                .example = "the server on port 443 does not offer acme-tls/1 (Cannot negotiate "
                           "ALPN protocol \"acme-tls/1\" for tls-alpn-01 challenge): the web "
                           "server answers TLS itself; route acme-tls/1 to the ACME client's "
                           "responder (or let the server answer it), or validate with HTTP-01 "
                           "or DNS-01",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_TLS_TOO_OLD,
                .title = "The server on port 443 only speaks TLS 1.1 or older",
                .applies = "tls-alpn-01, tls-cert",
                .cause = "Let's Encrypt's validator accepts TLS 1.2 and 1.3 only (RFC 8737 "
                         "requires at least TLS 1.2), and so do today's browsers. A server "
                         "configured for TLS 1.0 or 1.1 -- an old ssl_protocols or SSLProtocol "
                         "line, an old OpenSSL, an appliance -- fails the handshake with a "
                         "protocol version error before any certificate is looked at.",
                .fix = "Enable TLS 1.2 and TLS 1.3 on port 443 (and drop 1.0 and 1.1): set the "
                       "server's protocol list as below, then reload it; on an appliance or a "
                       "very old system, update its TLS library.",
                .nginx = "# in the http block or every server block listening on 443\n"
                         "ssl_protocols TLSv1.2 TLSv1.3;",
                .apache = "# in the :443 virtual host or globally (mods-enabled/ssl.conf)\n"
                          "SSLProtocol -all +TLSv1.2 +TLSv1.3",
                .caddy = "# Caddy defaults to TLS 1.2 and 1.3; only an explicit older list\n"
                         "# breaks it:\n"
                         "example.com {\n"
                         "\ttls {\n"
                         "\t\tprotocols tls1.2 tls1.3\n"
                         "\t}\n"
                         "}",
                .cloudflare = "SSL/TLS > Edge Certificates > Minimum TLS Version: TLS 1.2",
                .example = "the server on port 443 only speaks TLS 1.1 or older (remote error: "
                           "tls: protocol version not supported): Let's Encrypt requires TLS "
                           "1.2 or newer for TLS-ALPN-01; enable TLS 1.2 or 1.3",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_WRONG_VALIDATION_CERT,
                .title = "The validation certificate on port 443 is wrong",
                .applies = "tls-alpn-01",
                .cause = "The server negotiated acme-tls/1 but presented a certificate that "
                         "breaks one of RFC 8737's rules, which Let's Encrypt checks in order: "
                         "it must be self-signed, carry a subjectAltName with exactly the "
                         "domain (lower case, one dNSName, no IP address), and a critical "
                         "acmeIdentifier extension (1.3.6.1.5.5.7.1.31) holding the SHA-256 of "
                         "this challenge's key authorization. The usual reasons: the server "
                         "still serves the certificate of an earlier challenge (it was not "
                         "reloaded, or a second server behind the name never got the new one), "
                         "an ordinary certificate answers acme-tls/1, or the tool that built "
                         "the certificate gets a detail wrong.",
                .fix = "Serve the validation certificate the ACME client made for this "
                       "challenge, on every server the name points to: make the responder "
                       "pick it up as soon as the client writes it (reload, or a responder "
                       "that reads it per connection), and let only the ACME client answer "
                       "acme-tls/1. If a home-made tool builds the certificate, compare it "
                       "with RFC 8737 section 3 (the rule broken is named above).",
                .nginx = NULL,
                .apache = NULL,
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "the certificate's acmeIdentifier holds the wrong digest, from every "
                           "vantage: it is a stale certificate or another challenge's: the "
                           "server must present the certificate made for this key "
                           "authorization (reload it after the client writes it)",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_TLS_HANDSHAKE_FAILED,
                .title = "The TLS handshake on port 443 fails",
                .applies = "tls-alpn-01, tls-cert",
                .cause = "The connection to port 443 is made, but no TLS session comes of it: "
                         "the server speaks plain HTTP there (nginx's listen 443 without ssl, "
                         "an Apache :443 virtual host without SSLEngine on), it has no "
                         "certificate for the name asked for (SNI), no cipher suite in common "
                         "with a modern client, or it closes the connection mid-handshake "
                         "(a crashing server, a middlebox).",
                .fix = "Make port 443 speak TLS 1.2 or newer with a certificate for this name: "
                       "check the listen line and certificate of the server block that "
                       "answers the name, then test from outside with openssl s_client "
                       "-connect example.com:443 -servername example.com (add -alpn "
                       "acme-tls/1 for TLS-ALPN-01).",
                .nginx =
                        "server {\n"
                        "    listen 443 ssl;\n"
                        "    listen [::]:443 ssl;\n"
                        "    server_name example.com;\n"
                        "    ssl_certificate     /etc/letsencrypt/live/example.com/fullchain.pem;\n"
                        "    ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem;\n"
                        "}",
                .apache =
                        "<VirtualHost *:443>\n"
                        "    ServerName example.com\n"
                        "    SSLEngine on\n"
                        "    SSLCertificateFile    "
                        "/etc/letsencrypt/live/example.com/fullchain.pem\n"
                        "    SSLCertificateKeyFile /etc/letsencrypt/live/example.com/privkey.pem\n"
                        "</VirtualHost>",
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "fails from every vantage (remote error: tls: handshake failure): the "
                           "TLS handshake on port 443 fails; the server must speak TLS 1.2 or "
                           "newer and answer acme-tls/1",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_CERT_EXPIRED,
                .title = "The certificate on port 443 has expired (or is not yet valid)",
                .applies = "tls-cert",
                .cause = "The certificate the server presents is past its notAfter date, so "
                         "every browser refuses it. Automatic renewal has stopped: the ACME "
                         "client's timer does not run, its challenge fails (see the "
                         "validation checks), or it renews but the web server still serves the "
                         "old file -- it was not reloaded, or it points to a copy of the "
                         "certificate instead of the live/ path. A certificate that is not yet "
                         "valid means a wrong clock, on the server that made it or on the "
                         "vantage.",
                .fix = "Renew now (certbot renew, or your client's equivalent), reload the web "
                       "server, and then find why automatic renewal stopped: the client's "
                       "timer (systemctl list-timers) and log, a dry run (certbot renew "
                       "--dry-run), and a deploy hook that reloads the server "
                       "(--deploy-hook \"systemctl reload nginx\"). Point the server at the "
                       "live/ files so each renewal takes effect.",
                .nginx = "ssl_certificate     /etc/letsencrypt/live/example.com/fullchain.pem;\n"
                         "ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem;",
                .apache = "SSLCertificateFile    /etc/letsencrypt/live/example.com/fullchain.pem\n"
                          "SSLCertificateKeyFile /etc/letsencrypt/live/example.com/privkey.pem",
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "the certificate expired 2026-11-21T12:00:00Z, 3.0 days ago: browsers "
                           "refuse it; renew it now and reload the server (Let's Encrypt advises "
                           "renewing when a third of the lifetime is left)",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_CERT_EXPIRING,
                .title = "The certificate on port 443 is past its renewal point",
                .applies = "tls-cert",
                .cause = "Let's Encrypt advises renewing when a third of a certificate's "
                         "lifetime is left (30 days of 90, 2 of 6 for short-lived ones), and "
                         "ACME clients do so on their own. A certificate that is still served "
                         "past that point means renewal is failing or the server was not "
                         "reloaded after it; with less than a tenth left it is critical.",
                .fix = "Renew it now and reload the web server; then look at why the ACME "
                       "client did not: its timer (systemctl list-timers), its log, certbot "
                       "renew --dry-run, and a deploy hook that reloads the server. Make sure "
                       "the server reads the live/ files, not a copy.",
                .nginx = "ssl_certificate     /etc/letsencrypt/live/example.com/fullchain.pem;\n"
                         "ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem;",
                .apache = "SSLCertificateFile    /etc/letsencrypt/live/example.com/fullchain.pem\n"
                          "SSLCertificateKeyFile /etc/letsencrypt/live/example.com/privkey.pem",
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "the certificate expires 2026-12-19T12:00:00Z, in 25.0 days (28 % of "
                           "its 90-day lifetime left): warning: past its renewal point; Let's "
                           "Encrypt advises renewing when a third of the lifetime is left, so "
                           "the ACME client should have renewed it by now: check its timer and "
                           "logs",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_CERT_UNTRUSTED,
                .title = "The certificate chain does not verify",
                .applies = "tls-cert",
                .cause = "The vantage could not build a chain from the certificate to a root it "
                         "trusts. Most often the server sends its certificate alone, without "
                         "the intermediate (ssl_certificate or SSLCertificateFile points to "
                         "cert.pem instead of fullchain.pem): some browsers repair that from "
                         "cache, many clients do not. Otherwise the certificate is "
                         "self-signed, from a private CA, or an intermediate in the chain has "
                         "expired.",
                .fix = "Serve the full chain: point the server at fullchain.pem (leaf and "
                       "intermediate), not cert.pem, and reload it; check with openssl "
                       "s_client -connect example.com:443 -servername example.com -showcerts. "
                       "A self-signed or private-CA certificate must be replaced by one from a "
                       "public CA.",
                .nginx = "ssl_certificate     /etc/letsencrypt/live/example.com/fullchain.pem;  "
                         "# not cert.pem\n"
                         "ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem;",
                .apache = "# Apache 2.4.8 or newer: the chain goes in the same file\n"
                          "SSLCertificateFile    /etc/letsencrypt/live/example.com/fullchain.pem\n"
                          "SSLCertificateKeyFile /etc/letsencrypt/live/example.com/privkey.pem",
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "the certificate chain does not verify (unable to get local issuer "
                           "certificate) from any vantage: the server sends its certificate "
                           "alone: either the intermediate is missing (serve the full chain, "
                           "fullchain.pem, not cert.pem) or the issuer is a private CA that "
                           "browsers do not trust",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_CERT_NAME_MISMATCH,
                .title = "The certificate does not name the domain",
                .applies = "tls-cert",
                .cause = "The certificate presented for this name does not list it among its "
                         "subjectAltNames. Either the certificate was issued without it (for "
                         "example.com but not www.example.com), or the server picks another "
                         "certificate for this name: no server block or virtual host has it in "
                         "server_name or ServerAlias, so the default one answers with its own "
                         "certificate.",
                .fix = "Make the certificate's names cover the domain: add it to the "
                       "certificate (certbot --cert-name example.com -d example.com -d "
                       "www.example.com), and add it to the server block or virtual host that "
                       "uses that certificate, so SNI selects it.",
                .nginx =
                        "server {\n"
                        "    listen 443 ssl;\n"
                        "    server_name example.com www.example.com;\n"
                        "    ssl_certificate     /etc/letsencrypt/live/example.com/fullchain.pem;\n"
                        "    ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem;\n"
                        "}",
                .apache =
                        "<VirtualHost *:443>\n"
                        "    ServerName example.com\n"
                        "    ServerAlias www.example.com\n"
                        "    SSLEngine on\n"
                        "    SSLCertificateFile    "
                        "/etc/letsencrypt/live/example.com/fullchain.pem\n"
                        "    SSLCertificateKeyFile /etc/letsencrypt/live/example.com/privkey.pem\n"
                        "</VirtualHost>",
                .caddy = "# Caddy gets a certificate for every name in the site address\n"
                         "example.com, www.example.com {\n"
                         "\troot * /var/www/html\n"
                         "\tfile_server\n"
                         "}",
                .cloudflare = NULL,
                .example = "the certificate does not name www.example.com (it names "
                           "example.com): browsers refuse it; add the name to the certificate, "
                           "or make the server choose the right one for it (SNI: a default "
                           "virtual host answers)",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_CERT_OK,
                .title = "The certificate is valid and not yet due for renewal",
                .applies = "tls-cert",
                .cause = "Every vantage that answered got a certificate with more than a third "
                         "of its lifetime left. The line says when renewal is due: the point "
                         "at which a third is left, when Let's Encrypt advises renewing.",
                .fix = "nothing to do; if a later check still shows this certificate after "
                       "its renewal is due, the ACME client's renewals have stopped.",
                .nginx = NULL,
                .apache = NULL,
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "the certificate expires 2027-01-23T12:00:00Z, in 60.0 days (67 % of "
                           "its 90-day lifetime left): ok; renewal is due from "
                           "2026-12-24T12:00:00Z, when a third of its lifetime is left",
                .letsdebug = NULL,
        },
};
const size_t finding_text_tls_n = sizeof(finding_text_tls) / sizeof(finding_text_tls[0]);
