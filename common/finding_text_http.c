/*
 * finding_text_http.c -- catalogue texts for the http findings (finding.h):
 * what answers for /.well-known/acme-challenge/ on port 80 and why it is
 * not the challenge file.  Each fix carries the phrase the lab tests look
 * for; snippets only where the cause is configuration.
 */
#include "finding.h"

/* The nginx location most fixes start from: ^~ wins over regex locations
 * (PHP, a CMS's catch-all), so nothing else handles the path. */
#define S_NGINX_LOCATION                                                                           \
	"location ^~ /.well-known/acme-challenge/ {\n"                                             \
	"    root /var/www/letsencrypt;\n"                                                         \
	"    default_type \"text/plain\";\n"                                                       \
	"    try_files $uri =404;\n"                                                               \
	"}\n"

#define S_APACHE_ALIAS                                                                             \
	"Alias /.well-known/acme-challenge/ /var/www/letsencrypt/.well-known/acme-challenge/\n"    \
	"<Directory \"/var/www/letsencrypt/.well-known/acme-challenge/\">\n"                       \
	"    Require all granted\n"                                                                \
	"</Directory>\n"

#define S_CADDY_HANDLE                                                                             \
	"http://example.com {\n"                                                                   \
	"\thandle /.well-known/acme-challenge/* {\n"                                               \
	"\t\troot * /var/www/letsencrypt\n"                                                        \
	"\t\tfile_server\n"                                                                        \
	"\t}\n"                                                                                    \
	"}\n"

/* Port 80 answers the challenge itself and redirects everything else. */
#define S_NGINX_REDIRECT_EXEMPT                                                                    \
	"server {\n"                                                                               \
	"    listen 80;\n"                                                                         \
	"    listen [::]:80;\n"                                                                    \
	"    server_name example.com www.example.com;\n"                                           \
	"\n"                                                                                       \
	"    location ^~ /.well-known/acme-challenge/ {\n"                                         \
	"        root /var/www/html;\n"                                                            \
	"    }\n"                                                                                  \
	"    # the redirect goes in location /, not at server level, where it\n"                   \
	"    # would run before any location is chosen\n"                                          \
	"    location / {\n"                                                                       \
	"        return 301 https://$host$request_uri;\n"                                          \
	"    }\n"                                                                                  \
	"}\n"

#define S_APACHE_REDIRECT_EXEMPT                                                                   \
	"<VirtualHost *:80>\n"                                                                     \
	"    ServerName example.com\n"                                                             \
	"    DocumentRoot /var/www/html\n"                                                         \
	"    RewriteEngine On\n"                                                                   \
	"    RewriteCond %{REQUEST_URI} !^/\\.well-known/acme-challenge/\n"                        \
	"    RewriteRule ^ https://%{HTTP_HOST}%{REQUEST_URI} [R=301,L]\n"                         \
	"</VirtualHost>\n"

#define S_CADDY_REDIRECT_EXEMPT                                                                    \
	"# Caddy answers the challenge itself, before its own HTTP->HTTPS\n"                       \
	"# redirect, for the certificates it manages.  When another ACME\n"                        \
	"# client validates, answer the path on port 80 yourself:\n"                               \
	"http://example.com {\n"                                                                   \
	"\thandle /.well-known/acme-challenge/* {\n"                                               \
	"\t\troot * /var/www/html\n"                                                               \
	"\t\tfile_server\n"                                                                        \
	"\t}\n"                                                                                    \
	"\thandle {\n"                                                                             \
	"\t\tredir https://{host}{uri} permanent\n"                                                \
	"\t}\n"                                                                                    \
	"}\n"

/* Cloudflare: redirect to HTTPS without the challenge path. */
#define S_CLOUDFLARE_REDIRECT_EXEMPT                                                               \
	"SSL/TLS > Edge Certificates: Always Use HTTPS off; redirect with a rule instead.\n"       \
	"Rules > Redirect Rules > Single Redirect:\n"                                              \
	"  When: (http.request.scheme eq \"http\" and not starts_with(http.request.uri.path,\n"    \
	"        \"/.well-known/acme-challenge/\"))\n"                                             \
	"  Then: Dynamic, concat(\"https://\", http.host, http.request.uri.path),\n"               \
	"        301, preserve query string\n"                                                     \
	"(With Page Rules: first example.com/.well-known/acme-challenge/* with any\n"              \
	"harmless setting, then http://example.com/* with Always Use HTTPS; only\n"                \
	"the first Page Rule that matches applies.)\n"                                             \
	"SSL/TLS > Overview: Full (strict)\n"

const struct vt_finding_text finding_text_http[] = {
        {
                .id = VT_F_WEBROOT_MISMATCH,
                .title = "The challenge file is not where the web server looks (404)",
                .applies = "http-01",
                .cause = "The ACME client wrote the challenge file into one directory, but the "
                         "web server answers /.well-known/acme-challenge/ from another. Usual "
                         "reasons: certbot --webroot -w names a different directory than the "
                         "virtual host's root; the request lands in another virtual host (the "
                         "default one, because server_name or ServerName does not list this "
                         "name); or an alias, proxy_pass or application route sends the path "
                         "elsewhere. Let's Encrypt then gets 404.",
                .fix = "Write the challenge where the virtual host that answers for this name "
                       "serves it: give the ACME client that virtual host's document root "
                       "(certbot --webroot -w <root>), or serve /.well-known/acme-challenge/ "
                       "from one fixed directory in every virtual host for the name and point "
                       "the client there. Check with a test file: create "
                       ".well-known/acme-challenge/test under that directory and fetch "
                       "http://<domain>/.well-known/acme-challenge/test from another network.",
                .nginx = "# in the server block for port 80 that lists this name:\n"
                         "server_name example.com www.example.com;\n" S_NGINX_LOCATION
                         "# certbot certonly --webroot -w /var/www/letsencrypt -d example.com\n",
                .apache = S_APACHE_ALIAS
                "# certbot certonly --webroot -w /var/www/letsencrypt -d example.com\n",
                .caddy = S_CADDY_HANDLE,
                .cloudflare = NULL,
                .example = "the server answers 404 for the challenge file from everywhere: the "
                           "file is not where the server serves /.well-known/acme-challenge/ "
                           "from (webroot mismatch?)",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_ACCESS_DENIED,
                .title = "An access rule refuses the challenge (401, 403, 451)",
                .applies = "http-01",
                .cause = "Something refuses the request before the file is served: a deny or "
                         "allow-list rule, password protection for the whole site, an "
                         ".htaccess file, file permissions the web server cannot read, a WAF or "
                         "bot protection, or a geo-IP rule. Let's Encrypt sends no credentials "
                         "and validates from several countries from addresses it does not "
                         "publish, so any such rule that covers /.well-known/acme-challenge/ "
                         "fails validation.",
                .fix = "allow /.well-known/acme-challenge/ for everyone, without "
                       "authentication: put an allow rule for that path ahead of the deny and "
                       "password rules, exempt it from WAF, bot and geo-IP rules, and make the "
                       "challenge files readable by the web server's user.",
                .nginx = "location ^~ /.well-known/acme-challenge/ {\n"
                         "    auth_basic off;\n"
                         "    allow all;\n"
                         "    root /var/www/letsencrypt;\n"
                         "}\n",
                .apache = "<Location \"/.well-known/acme-challenge/\">\n"
                          "    Require all granted\n"
                          "</Location>\n"
                          "# an .htaccess with \"Deny from all\" or \"Require valid-user\" in\n"
                          "# the webroot also covers the challenge: check it\n",
                .caddy = "example.com {\n"
                         "\t# the challenge in its own handle, before the protected one\n"
                         "\thandle /.well-known/acme-challenge/* {\n"
                         "\t\troot * /var/www/letsencrypt\n"
                         "\t\tfile_server\n"
                         "\t}\n"
                         "\thandle {\n"
                         "\t\tbasic_auth {\n"
                         "\t\t\t# ...\n"
                         "\t\t}\n"
                         "\t\treverse_proxy 127.0.0.1:8080\n"
                         "\t}\n"
                         "}\n",
                .cloudflare = "Security > WAF > Custom rules: a rule with action Skip (all "
                              "remaining custom rules, rate limiting and managed rules) when:\n"
                              "  (starts_with(http.request.uri.path, "
                              "\"/.well-known/acme-challenge/\"))\n",
                .example = "the server answers 403 for the challenge file from everywhere: an "
                           "access rule (deny rule, .htaccess, authentication or a WAF) blocks "
                           "/.well-known/acme-challenge/; allow it for everyone",
                .letsdebug = "UnexpectedHttpResponse",
        },
        {
                .id = VT_F_SERVER_ERROR,
                .title = "The server fails when asked for the challenge (5xx)",
                .applies = "http-01",
                .cause = "The web server, or what is behind it, breaks on this request: a "
                         "reverse proxy whose backend is down or slow (502, 503, 504), an "
                         "application that handles every path and fails on this one, a PHP or "
                         "CGI error, or a rewrite that loops internally (500). Often the "
                         "challenge path is proxied to an application that knows nothing about "
                         "it.",
                .fix = "Read the web server's error log (and the backend's) for the request to "
                       "/.well-known/acme-challenge/ at the time of the check and fix what it "
                       "names. Better still, serve the challenge path from a directory on the "
                       "proxy itself so it never reaches the backend.",
                .nginx = S_NGINX_LOCATION "location / {\n"
                                          "    proxy_pass http://127.0.0.1:8080;\n"
                                          "}\n",
                .apache = "# the exclusion comes before the general ProxyPass\n"
                          "ProxyPass /.well-known/acme-challenge/ !\n" S_APACHE_ALIAS
                          "ProxyPass / http://127.0.0.1:8080/\n",
                .caddy = "example.com {\n"
                         "\thandle /.well-known/acme-challenge/* {\n"
                         "\t\troot * /var/www/letsencrypt\n"
                         "\t\tfile_server\n"
                         "\t}\n"
                         "\thandle {\n"
                         "\t\treverse_proxy 127.0.0.1:8080\n"
                         "\t}\n"
                         "}\n",
                .cloudflare = NULL,
                .example = "the server answers 502 for the challenge file from everywhere: the "
                           "server or a proxy in front of it fails; check its error log",
                .letsdebug = "UnexpectedHttpResponse",
        },
        {
                .id = VT_F_UNEXPECTED_STATUS,
                .title = "The server answers with a status other than 200",
                .applies = "http-01",
                .cause = "Let's Encrypt accepts the challenge only with status 200, after "
                         "following 301, 302, 307 and 308 redirects. Any other answer -- 400 "
                         "from a server that rejects the request, 410, 429 from rate limiting, "
                         "a 303 or 300 -- means some rule handles the path in a way validation "
                         "cannot use.",
                .fix = "Make http://<domain>/.well-known/acme-challenge/<token> answer 200 "
                       "with the file: find the rule that produces the status (the access log "
                       "shows which virtual host and location answered), and serve the "
                       "challenge path from a plain directory ahead of it. For 429, exempt the "
                       "path from rate limiting.",
                .nginx = S_NGINX_LOCATION,
                .apache = S_APACHE_ALIAS,
                .caddy = S_CADDY_HANDLE,
                .cloudflare = NULL,
                .example = "the server answers 429 for the challenge file from everywhere; "
                           "Let's Encrypt accepts only 200",
                .letsdebug = "UnexpectedHttpResponse",
        },
        {
                .id = VT_F_CONTENT_MODIFIED,
                .title = "The server changes the challenge file or answers with another page",
                .applies = "http-01",
                .cause = "The answer is not the key authorization: a template adds a header or "
                         "footer, a CMS or single-page application answers every path with its "
                         "own page, a catch-all rewrite (try_files ... /index.php) sends the "
                         "request to the application, a filter rewrites the body, or the file "
                         "is stale from an earlier attempt or was saved with a byte-order mark. "
                         "Let's Encrypt ignores only whitespace at the end.",
                .fix = "Serve the file untouched: the body must be exactly the key "
                       "authorization (<token>.<thumbprint>), nothing before it and only "
                       "whitespace after it. Exclude /.well-known/acme-challenge/ from "
                       "rewrites, templates and body filters (sub_filter, mod_substitute), and "
                       "check that the file served is the one the client wrote for this "
                       "attempt.",
                .nginx = "# ^~ keeps regex locations (\\.php$) and the CMS's try_files "
                         "away\n" S_NGINX_LOCATION,
                .apache = "RewriteEngine On\n"
                          "# before the CMS's catch-all rule: leave the challenge alone\n"
                          "RewriteRule ^/?\\.well-known/acme-challenge/ - [L]\n",
                .caddy = S_CADDY_HANDLE,
                .cloudflare = NULL,
                .example = "the challenge file's content did not match from every vantage: "
                           "something changes it (a header or footer added, a rewrite, or a "
                           "wrong or stale file); the body must be exactly the key "
                           "authorization",
                .letsdebug = "ANotWorking, AAAANotWorking",
        },
        {
                .id = VT_F_HTTPS_REDIRECT_BROKEN,
                .title = "The redirect to HTTPS breaks the challenge",
                .applies = "http-01",
                .cause = "Port 80 redirects to https://, and Let's Encrypt follows the "
                         "redirect: port 443 must then answer, speak TLS 1.2 or newer and serve "
                         "the same file. It does not check the certificate, so a self-signed or "
                         "expired one is fine, but a closed or firewalled port 443, a failing "
                         "handshake, a server limited to TLS 1.0 or 1.1, or an https:// target "
                         "on another port fails validation. This is common before the first "
                         "certificate exists, when HTTPS cannot work yet.",
                .fix = "exempt /.well-known/acme-challenge/ from the HTTP-to-HTTPS redirect so "
                       "the challenge is answered on port 80, which is what Let's Encrypt asks "
                       "for; or make HTTPS on port 443 work from everywhere (TLS 1.2 or newer) "
                       "and serve the challenge there too.",
                .nginx = S_NGINX_REDIRECT_EXEMPT,
                .apache = S_APACHE_REDIRECT_EXEMPT,
                .caddy = S_CADDY_REDIRECT_EXEMPT,
                .cloudflare = S_CLOUDFLARE_REDIRECT_EXEMPT,
                .example = "fails from every vantage (Timeout during connect) after the "
                           "redirect to https://: port 80 answers, but port 443 does not; the "
                           "challenge follows the redirect, so exempt "
                           "/.well-known/acme-challenge/ from it or make HTTPS work",
                .letsdebug = NULL,
        },
        {
                .id = VT_F_MISSING_SLASH_REDIRECT,
                .title = "A redirect drops the slash after the host name",
                .applies = "http-01",
                .cause = "A redirect rule joins the target host and the request path without "
                         "a '/', so /.well-known/acme-challenge/<token> is sent to "
                         "https://example.com.well-known/acme-challenge/<token>, whose host is "
                         "\"example.com.well-known\". The classic culprit is Apache's "
                         "\"Redirect / https://example.com\" without the trailing slash; a "
                         "rewrite that glues $host to a path that lost its leading '/' does the "
                         "same. Let's Encrypt refuses such a target.",
                .fix = "Add the trailing slash to the redirect target (Apache: \"Redirect / "
                       "https://example.com/\"), or build the target from the whole request "
                       "URI, which starts with '/'. Better still, exempt "
                       "/.well-known/acme-challenge/ from the redirect.",
                .nginx = "# $request_uri keeps the leading '/'\n"
                         "return 301 https://$host$request_uri;\n"
                         "# wrong: rewrite ^/(.*)$ https://$host$1 permanent;\n",
                .apache = "# with the trailing slash\n"
                          "Redirect permanent / https://example.com/\n"
                          "# wrong: Redirect permanent / https://example.com\n",
                .caddy = "redir https://{host}{uri} permanent\n",
                .cloudflare = NULL,
                .example = "fails from every vantage (Invalid host in redirect target "
                           "\"example.com.well-known\". Check webserver config for missing '/' "
                           "in redirect target.): a redirect rule joins the host and the path "
                           "without a '/' (the target host ends in \".well-known\"); exempt "
                           "/.well-known/acme-challenge/ from it or fix its target",
                .letsdebug = "BadRedirect",
        },
        {
                .id = VT_F_BAD_REDIRECT,
                .title = "A redirect sends the challenge where Let's Encrypt will not follow",
                .applies = "http-01",
                .cause = "Let's Encrypt follows at most 10 redirects, only with status 301, "
                         "302, 307 or 308, only to http:// or https:// on port 80 or 443, only "
                         "to a name under a public suffix or a public IP address, and never "
                         "back to a URL it has fetched. A loop (often HTTP to HTTPS and back, "
                         "behind a proxy that ends TLS), a 303, a target on port 8080 or 8443, "
                         "a private address or an internal name fails validation.",
                .fix = "Fix the redirect so the challenge ends, within 10 redirects, in a 200 "
                       "on port 80 or 443 of a public name; simplest is to keep "
                       "/.well-known/acme-challenge/ out of every redirect. For a loop behind "
                       "a proxy that ends TLS, have the backend trust X-Forwarded-Proto "
                       "instead of redirecting again.",
                .nginx = S_NGINX_REDIRECT_EXEMPT,
                .apache = S_APACHE_REDIRECT_EXEMPT,
                .caddy = S_CADDY_REDIRECT_EXEMPT,
                .cloudflare = "SSL/TLS > Overview: Full (strict), not Flexible. With Flexible, "
                              "Cloudflare fetches from the origin over HTTP, and an origin that "
                              "redirects to HTTPS loops.\n",
                .example = "fails from every vantage (Too many redirects): a redirect rule "
                           "loops or chains more than 10 redirects; exempt "
                           "/.well-known/acme-challenge/ from it or fix its target",
                .letsdebug = "BadRedirect",
        },
        {
                .id = VT_F_HTTP_ON_HTTPS_PORT,
                .title = "A port speaks the wrong protocol: plain HTTP where TLS is expected",
                .applies = "http-01",
                .cause = "One port is set up for the other protocol. A redirect to https:// "
                         "names a port that serves plain HTTP (https://example.com:80/, or a "
                         "port 443 without TLS), so the TLS handshake gets an HTTP answer; or "
                         "the port 80 virtual host has TLS switched on (nginx \"listen 80 "
                         "ssl\", Apache \"SSLEngine on\" in a *:80 VirtualHost), or a redirect "
                         "goes to http://example.com:443/, and the server answers \"400 The "
                         "plain HTTP request was sent to HTTPS port\".",
                .fix = "Port 80 serves plain HTTP and port 443 TLS: remove ssl from the port "
                       "80 listener (nginx) or SSLEngine on from the *:80 VirtualHost (Apache), "
                       "put it on the 443 one, and write redirects as https://<name>/ without "
                       "a port, never http://<name>:443/.",
                .nginx = "server {\n"
                         "    listen 80;          # not: listen 80 ssl;\n"
                         "    listen [::]:80;\n"
                         "}\n"
                         "server {\n"
                         "    listen 443 ssl;\n"
                         "    listen [::]:443 ssl;\n"
                         "    ssl_certificate     /etc/letsencrypt/live/example.com/"
                         "fullchain.pem;\n"
                         "    ssl_certificate_key /etc/letsencrypt/live/example.com/"
                         "privkey.pem;\n"
                         "}\n",
                .apache = "<VirtualHost *:80>\n"
                          "    # no SSLEngine on here\n"
                          "</VirtualHost>\n"
                          "<VirtualHost *:443>\n"
                          "    SSLEngine on\n"
                          "</VirtualHost>\n",
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "fails from every vantage (Server only speaks HTTP, not TLS): the "
                           "redirect sends the challenge to https://, but the port it names "
                           "answers in plain HTTP",
                .letsdebug = "HttpOnHttpsPort, WebserverMisconfiguration",
        },
        {
                .id = VT_F_CLOUDFLARE_PROXY,
                .title = "The site is behind Cloudflare's proxy",
                .applies = "http-01",
                .cause = "The name's A/AAAA records point to Cloudflare (proxied, orange "
                         "cloud), so Let's Encrypt reaches a Cloudflare edge, which applies the "
                         "zone's settings before passing the request to the origin. HTTP-01 "
                         "works through it only when none of them interferes: \"Always Use "
                         "HTTPS\" or a redirect rule moves the challenge to HTTPS, Flexible SSL "
                         "makes an origin's own HTTPS redirect loop, and WAF, Bot Fight Mode or "
                         "\"Under Attack\" mode answer with a challenge page. TLS-ALPN-01 never "
                         "works through the proxy.",
                .fix = "Have Cloudflare pass /.well-known/acme-challenge/ to the origin over "
                       "plain HTTP: exempt the path from \"Always Use HTTPS\" and redirect "
                       "rules, skip WAF and bot checks for it, and use SSL mode Full (strict). "
                       "Or validate with DNS-01 through Cloudflare's API, or use a Cloudflare "
                       "Origin CA certificate between Cloudflare and the origin.",
                .nginx = NULL,
                .apache = NULL,
                .caddy = NULL,
                .cloudflare = S_CLOUDFLARE_REDIRECT_EXEMPT
                "Security > WAF > Custom rules: Skip when\n"
                "  (starts_with(http.request.uri.path, \"/.well-known/acme-challenge/\"))\n",
                .example = "Cloudflare's proxy answers for the domain from every vantage "
                           "(Server: cloudflare): the challenge goes through Cloudflare's edge, "
                           "so its rules decide what Let's Encrypt gets",
                .letsdebug = "CloudflareCDN",
        },
        {
                .id = VT_F_NGINX_TEST_COOKIE,
                .title = "The nginx testcookie module blocks the validator",
                .applies = "http-01",
                .cause = "testcookie-nginx-module keeps bots out by answering the first "
                         "request with a small JavaScript page that computes a cookie (with "
                         "slowAES) and reloads. Let's Encrypt runs no JavaScript and keeps no "
                         "cookies, so it gets that page instead of the challenge file. Some "
                         "shared hosts switch it on for every site.",
                .fix = "Switch the module off for the challenge path with \"testcookie off;\" "
                       "in a location for /.well-known/acme-challenge/ (on shared hosting, ask "
                       "the host to), or validate with DNS-01.",
                .nginx = "location ^~ /.well-known/acme-challenge/ {\n"
                         "    testcookie off;\n"
                         "    root /var/www/letsencrypt;\n"
                         "}\n",
                .apache = NULL,
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "the nginx testcookie module answers from every vantage (body "
                           "contains \"var a=toNumbers\") with a JavaScript cookie check "
                           "instead of the challenge file",
                .letsdebug = "BlockedByNginxTestCookie",
        },
        {
                .id = VT_F_FIREWALL_BLOCK_PAGE,
                .title = "A firewall answers with its block page",
                .applies = "http-01",
                .cause = "A firewall between the internet and the web server inspects HTTP "
                         "and answers with its own page. Palo Alto firewalls recognise ACME "
                         "validation as the application \"acme-protocol\" and block it unless "
                         "a policy allows it; URL filtering and IPS rules (Palo Alto, "
                         "FortiGate) can also block the path or the validator's unfamiliar "
                         "user agent.",
                .fix = "Change the firewall policy: allow the application \"acme-protocol\" "
                       "(Palo Alto App-ID) and plain HTTP to the web server on port 80 from any "
                       "source address, and exclude /.well-known/acme-challenge/ from URL "
                       "filtering and IPS. Let's Encrypt does not publish its addresses, so "
                       "the rule cannot be limited to them.",
                .nginx = NULL,
                .apache = NULL,
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "a firewall's block page answers from eu-west (body contains "
                           "\"acme-protocol\") instead of the challenge file",
                .letsdebug = "BlockedByFirewall",
        },
        {
                .id = VT_F_PORT_FORWARDING,
                .title = "A router answers instead of the web server",
                .applies = "http-01",
                .cause = "Port 80 of the public address reaches a home router or modem, not "
                         "the web server: the router's own web interface or remote management "
                         "listens on port 80, or the port forwarding rule is missing, points to "
                         "an old internal address, or covers only IPv4 while the AAAA record "
                         "reaches the router itself. The answer comes from the router's built-in "
                         "web server (micro_httpd, cisco-IOS, LANCOM, ZTE) or its login page.",
                .fix = "In the router, set up port forwarding of TCP port 80 (and 443) to the "
                       "web server's internal address, and move the router's remote "
                       "administration off port 80 or switch it off. If the name has an AAAA "
                       "record, it must be the server's own IPv6 address, opened in the "
                       "router's IPv6 firewall (IPv6 needs no forwarding).",
                .nginx = NULL,
                .apache = NULL,
                .caddy = NULL,
                .cloudflare = NULL,
                .example = "a router or modem answers on port 80 from every vantage (Server: "
                           "micro_httpd), not the web server",
                .letsdebug = "PortForwarding",
        },
};
const size_t finding_text_http_n = sizeof(finding_text_http) / sizeof(finding_text_http[0]);
