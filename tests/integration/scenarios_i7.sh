#!/usr/bin/env bash
# tests/integration/scenarios_i7.sh -- issue 7: every finding of the
# catalogue (common/finding.h) fires in the lab, with its id, severity,
# vantages and a key phrase of its fix; healthy sites give no false alarm.
# Sourced by run.sh after scenarios.sh (fail, vcheck, summary, $T, $LAB).
#
# One `vantage check --json` per method holds many names at once (a check
# takes up to 32); a challenge value (--key-authorization, --txt) validates
# one name, so those runs ("+ka", "+txt") are one check per name, run side
# by side.  The JSON documents land in $T/i7/ and both tables below are
# asserted on them:
#   I7_LAB       what each lab site does (outcomes, statuses, problem details):
#                the lab itself, independent of the diagnosis
#   I7_FINDINGS  DOMAIN METHOD ID SEVERITY VANTAGES FIX-PHRASE
# The sites are described in docs/lab.md ("Sites for the findings").
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# shellcheck disable=SC2034  # I7_SCENARIOS is read by run.sh

I7_SCENARIOS=(
	i7_lab_sites
	i7_findings
	i7_no_false_alarms
	i7_human_output
	i7_names_refused
	i7_this_host
	i7_nameserver_unreachable
	i7_vantage_silent_and_too_few
	i7_vantage_without_ipv6
)
I7_DIR=$T/i7
I7_ARTIFACTS=${VT_ARTIFACTS:-$VT_REPO/build/artifacts}
I7_CHECK_TIMEOUT=30 # seconds per CLI call (the lab's job budget is 8 s)

# ---- the runs: METHOD -> vantage check arguments ----
# http-01 runs with eu-west geo-blocked from geo.example.com (RegionalBlock)
# and a webroot every healthy site serves, so that content is compared.
i7_args() { # METHOD
	case $1 in
	http-01) echo "--method http-01 --webroot $VT_WEBROOT_OK --no-caa" ;;
	tls-alpn-01) echo "--method tls-alpn-01 --no-caa" ;;
	tls-alpn-01+ka) echo "--method tls-alpn-01 --key-authorization $VT_ALPN_KA --no-caa" ;;
	dns-01+txt) echo "--method dns-01 --txt $VT_DNS_TXT --no-caa" ;;
	caa) echo "--method caa" ;;
	tls-cert) echo "--method tls-cert" ;;
	*) fail "i7: no run for method '$1'" ;;
	esac
}
i7_single() { [[ $1 == *+* ]]; } # METHOD: one check per name
i7_file() {                      # METHOD DOMAIN: the document that holds it
	if i7_single "$1"; then echo "$I7_DIR/$1-$2.json"; else echo "$I7_DIR/$1.json"; fi
}

# ---- what each lab site does ----
# DOMAIN METHOD FAILING STATUS DETAIL-REGEX: FAILING is "none" (every
# vantage passes or is reachable), "all", "any" (not asserted) or the agents
# that fail (the others pass); STATUS the failing vantages' http_status or
# "-"; DETAIL-REGEX (rest of the line) matches each failing problem detail.
I7_LAB=$(
	cat <<'EOF'
ok.example.com             http-01         none  -   -
geo.example.com            http-01         euw1  -   Timeout during connect
closed.example.com         http-01         all   -   Connection refused
stall.example.com          http-01         all   -   Timeout after connect
v6broken.example.com       http-01         none  -   -
regional.example.com       http-01         euw1  404 Invalid response
geodns.example.com         http-01         none  -   -
footer.example.com         http-01         all   404 Invalid response
denied.example.com         http-01         all   403 Invalid response
err500.example.com         http-01         all   500 Invalid response
gone.example.com           http-01         all   410 Invalid response from http://gone\.example\.com/.*: 410$
cms.example.com            http-01         all   200 Invalid response.*Welcome
https-broken.example.com   http-01         all   301 https://https-broken\.example\.com/.*Connection refused
https-old.example.com      http-01         all   301 https://https-old\.example\.com/.*protocol version
badport.example.com        http-01         all   301 Invalid port in redirect target
slash.example.com          http-01         all   301 Invalid host in redirect target "slash\.example\.com\.well-known"
redir12.example.com        http-01         all   302 Too many redirects
httpon443.example.com      http-01         all   301 https://httpon443\.example\.com/.*(HTTP, not TLS|wrong version number|HTTP response to HTTPS)
plain443.example.com       http-01         all   400 plain HTTP request was sent to HTTPS port
cf.example.com             http-01         none  -   -
testcookie.example.com     http-01         all   200 toNumbers
paloalto.example.com       http-01         all   503 acme-protocol
router.example.com         http-01         all   200 Router Login
noaddr.example.com         http-01         all   -   no valid A records found for noaddr\.example\.com
reserved.example.com       http-01         all   -   no valid A records found for reserved\.example\.com
x.caa-servfail.example.com http-01         all   -   SERVFAIL looking up A for x\.caa-servfail\.example\.com
dns-timeout.example.com    http-01         all   -   query timed out looking up A for dns-timeout\.example\.com
alpn-tls11.example.com     tls-alpn-01     all   -   TLS 1\.1|protocol version
alpn-hsfail.example.com    tls-alpn-01     all   -   handshake failure
closed.example.com         tls-alpn-01     all   -   Connection refused
alpn-ok.example.com        tls-alpn-01+ka  none  -   -
alpn-baddigest.example.com tls-alpn-01+ka  all   -   Incorrect validation certificate for tls-alpn-01 challenge
alpn-noncrit.example.com   tls-alpn-01+ka  all   -   [Nn]ot [Cc]ritical
alpn-none.example.com      tls-alpn-01+ka  all   -   no application protocol
alpn-cdn.example.com       tls-alpn-01+ka  all   -   Cannot negotiate ALPN protocol "acme-tls/1"
dns-ok.example.com         dns-01+txt      none  -   -
dns-half.example.com       dns-01+txt      any   -   -
dns-wrong.example.com      dns-01+txt      all   -   Incorrect TXT record "wrong-value"
ok.example.com             dns-01+txt      all   -   NXDOMAIN looking up TXT for _acme-challenge\.ok\.example\.com
dns-double.example.com     dns-01+txt      all   -   NXDOMAIN looking up TXT for _acme-challenge\.dns-double\.example\.com
dns-stale.example.com      dns-01+txt      none  -   -
bogus.example.com          dns-01+txt      all   -   DNSSEC: Bogus
caa-le.example.com         caa             none  -   -
caa-other.example.com      caa             all   -   CAA record for caa-other\.example\.com prevents issuance
caa-methods.example.com    caa             all   -   prevents issuance
caa-crit.example.com       caa             all   -   prevents issuance
www.caa-parent.example.com caa             all   -   CAA record for caa-parent\.example\.com prevents issuance
caa-servfail.example.com   caa             all   -   SERVFAIL looking up CAA
caa-account.example.com    caa             all   -   prevents issuance
caa-invalid.example.com    caa             all   -   prevents issuance
geo.example.com            tls-cert        none  -   -
cert-expired.example.com   tls-cert        none  -   -
cert-expiring.example.com  tls-cert        none  -   -
cert-renew.example.com     tls-cert        none  -   -
cert-selfsigned.example.com tls-cert       none  -   -
cert-wrongname.example.com tls-cert        none  -   -
certdiff.example.com       tls-cert        none  -   -
closed.example.com         tls-cert        all   -   Connection refused
EOF
)

# ---- the findings ----
# DOMAIN METHOD ID SEVERITY VANTAGES FIX-PHRASE: the check of DOMAIN in
# METHOD's run has a finding ID of SEVERITY whose vantages are VANTAGES
# ("all": every agent that answered; else agent names, comma-separated)
# and whose fix contains FIX-PHRASE (the rest of the line, verbatim: the
# phrases of the catalogue's contract).
I7_FINDINGS=$(
	cat <<'EOF'
geo.example.com            http-01        RegionalBlock        error   euw1 from everywhere
closed.example.com         http-01        SiteUnreachable      error   all  firewall
stall.example.com          http-01        ServerStalls         error   all  proxy
v6broken.example.com       http-01        IPv6Broken           warning all  AAAA
regional.example.com       http-01        RegionalDifference   error   euw1 every server
geodns.example.com         http-01        AddressesDiffer      warning euw1 every address
footer.example.com         http-01        WebrootMismatch      error   all  document root
denied.example.com         http-01        AccessDenied         error   all  allow
err500.example.com         http-01        ServerError          error   all  error log
gone.example.com           http-01        UnexpectedStatus     error   all  200
cms.example.com            http-01        ContentModified      error   all  exactly the key authorization
https-broken.example.com   http-01        HttpsRedirectBroken  error   all  exempt /.well-known/acme-challenge/
https-old.example.com      http-01        HttpsRedirectBroken  error   all  exempt /.well-known/acme-challenge/
badport.example.com        http-01        HttpsRedirectBroken  error   all  exempt /.well-known/acme-challenge/
slash.example.com          http-01        MissingSlashRedirect error   all  trailing slash
redir12.example.com        http-01        BadRedirect          error   all  redirect
httpon443.example.com      http-01        HttpOnHttpsPort      error   all  ssl
plain443.example.com       http-01        HttpOnHttpsPort      error   all  ssl
cf.example.com             http-01        CloudflareProxy      warning all  Cloudflare
testcookie.example.com     http-01        NginxTestCookie      error   all  testcookie
paloalto.example.com       http-01        FirewallBlockPage    error   all  firewall
router.example.com         http-01        PortForwarding       warning all  port forwarding
noaddr.example.com         http-01        NoAddresses          fatal   all  A or AAAA record
reserved.example.com       http-01        ReservedAddress      fatal   all  public address
x.caa-servfail.example.com http-01        DNSServfail          error   all  nameserver
dns-timeout.example.com    http-01        DNSLookupFailed      error   all  nameserver
alpn-tls11.example.com     tls-alpn-01    TLSTooOld            error   all  TLS 1.2
alpn-hsfail.example.com    tls-alpn-01    TLSHandshakeFailed   error   all  TLS
closed.example.com         tls-alpn-01    SiteUnreachable      error   all  firewall
alpn-baddigest.example.com tls-alpn-01+ka WrongValidationCert  error   all  certificate
alpn-noncrit.example.com   tls-alpn-01+ka WrongValidationCert  error   all  certificate
alpn-none.example.com      tls-alpn-01+ka NoAcmeTls1           error   all  acme-tls/1
alpn-cdn.example.com       tls-alpn-01+ka ProxyInFront         fatal   all  HTTP-01 or DNS-01
dns-half.example.com       dns-01+txt     NameserversDisagree  warning all  every nameserver
dns-wrong.example.com      dns-01+txt     TXTMismatch          error   all  value
ok.example.com             dns-01+txt     TXTMissing           error   all  _acme-challenge
dns-double.example.com     dns-01+txt     TXTDoubleLabel       error   all  fully qualified
dns-stale.example.com      dns-01+txt     StaleTXTRecords      warning all  remove
bogus.example.com          dns-01+txt     DNSSECBogus          fatal   all  DS
caa-other.example.com      caa            CAAForbids           fatal   all  letsencrypt.org
www.caa-parent.example.com caa            CAAForbids           fatal   all  letsencrypt.org
caa-methods.example.com    caa            CAAMethodExcluded    fatal   all  validationmethods
caa-crit.example.com       caa            CAACriticalUnknown   fatal   all  critical
caa-account.example.com    caa            CAAAccountURI        error   all  staging
caa-invalid.example.com    caa            CAAInvalid           error   all  issue
caa-servfail.example.com   caa            DNSServfail          error   all  nameserver
caa-le.example.com         caa            ProbeWarning         info    all  warning
cert-expired.example.com   tls-cert       CertExpired          error   all  renew
cert-expiring.example.com  tls-cert       CertExpiring         error   all  renew
cert-renew.example.com     tls-cert       CertExpiring         warning all  renew
cert-selfsigned.example.com tls-cert      CertUntrusted        error   all  chain
cert-wrongname.example.com tls-cert       CertNameMismatch     error   all  names
certdiff.example.com       tls-cert       CertificatesDiffer   warning euw1 same certificate
geo.example.com            tls-cert       CertOK               info    all  nothing
closed.example.com         tls-cert       SiteUnreachable      error   all  firewall
EOF
)

# no false alarms: METHOD DOMAIN pairs that must give only info findings,
# AllPass among them
I7_CLEAN=(
	"http-01 ok.example.com"
	"tls-cert geo.example.com"
	"dns-01+txt dns-ok.example.com"
	"tls-alpn-01+ka alpn-ok.example.com"
	"caa caa-le.example.com"
)

# i7_domains METHOD: the names of METHOD's run, from both tables (in order)
i7_domains() {
	{
		awk -v m="$1" '$2 == m { print $1 }' <<<"$I7_LAB"
		awk -v m="$1" '$2 == m { print $1 }' <<<"$I7_FINDINGS"
		local c
		for c in "${I7_CLEAN[@]}"; do
			[[ ${c%% *} == "$1" ]] && echo "${c#* }"
		done
	} | awk '!seen[$0]++'
}

# i7_check OUT ARGS...: vantage check --json ARGS into OUT (OUT.err, OUT.rc)
i7_check() {
	local out=$1 rc=0
	shift
	timeout "$I7_CHECK_TIMEOUT" ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" check \
		--token-file "$VT_TOKEN_FILE" --json "$@" >"$out" 2>"$out.err" || rc=$?
	echo "$rc" >"$out.rc"
}

# i7_collect: every run, once per lab ($T/i7/done); http-01 first (it
# geo-blocks eu-west from geo.example.com, which tls-cert needs healthy),
# then the others side by side
i7_collect() {
	[[ -f $I7_DIR/done ]] && return 0
	local m d pids=() args n
	rm -rf "$I7_DIR"
	mkdir -p "$I7_DIR"
	"$LAB" wait-agents 5 20 >/dev/null 2>&1 || fail "not every agent is up"
	trap '"$LAB" unblock >/dev/null 2>&1 || true' EXIT
	"$LAB" geoblock eu-west >/dev/null 2>&1 || fail "lab.sh geoblock eu-west failed"
	read -ra args <<<"$(i7_args http-01)"
	# shellcheck disable=SC2046  # the domains are words
	i7_check "$(i7_file http-01)" "${args[@]}" $(i7_domains http-01)
	"$LAB" unblock >/dev/null 2>&1 || fail "lab.sh unblock failed"
	trap - EXIT
	# a busy machine (the ASan build) may have delayed an agent's heartbeats
	"$LAB" wait-agents 5 20 >/dev/null 2>&1 || fail "not every agent is up after the http-01 run"
	for m in tls-alpn-01 tls-alpn-01+ka dns-01+txt caa tls-cert; do
		read -ra args <<<"$(i7_args "$m")"
		if i7_single "$m"; then
			for d in $(i7_domains "$m"); do
				i7_check "$(i7_file "$m" "$d")" "$d" "${args[@]}" &
				pids+=($!)
			done
		else
			# shellcheck disable=SC2046
			i7_check "$(i7_file "$m")" "${args[@]}" $(i7_domains "$m") &
			pids+=($!)
		fi
	done
	for d in "${pids[@]}"; do
		wait "$d" || true
	done
	for f in "$I7_DIR"/*.json; do
		n=$(jq '.checks | length' "$f" 2>/dev/null) ||
			fail "i7: $(basename "$f") is not a check document (exit $(cat "$f.rc")): $(head -c 300 "$f.err")"
		echo "i7: $(basename "$f"): $n checks, exit $(cat "$f.rc")"
	done
	touch "$I7_DIR/done"
}

# jq: the check of $d in the document (by method: a document may hold several)
I7_JQ='def ck: [.checks[] | select(.domain == $d and .method == $m)][0];
	def answered: [ck.results[] | select(.outcome != "unavailable") | .agent] | sort;
	def good: .outcome == "pass" or .outcome == "reachable";
	def brief: ck | {domain, verdict, diagnosis, findings: [.findings[]? | "\(.id) \(.severity) \(.vantages)"],
		results: [.results[] | {agent, outcome, http_status, problem: (.problem.detail // null)}]};'

# i7_brief METHOD DOMAIN: the check in one line, for failure messages
i7_brief() {
	local f
	f=$(i7_file "$1" "$2")
	jq -c --arg d "$2" --arg m "${1%%+*}" "$I7_JQ brief" "$f" 2>/dev/null | head -c 1500
}

# ------------------------------------------------------------------
# The lab's sites behave as docs/lab.md says, seen through vantage check.
i7_lab_sites() {
	local domain method failing status detail f bad=0 line
	i7_collect
	while read -r domain method failing status detail; do
		[[ -n $domain ]] || continue
		f=$(i7_file "$method" "$domain")
		if ! jq -e --arg d "$domain" --arg m "${method%%+*}" --arg fl "$failing" --arg st "$status" \
			--arg re "$detail" "$I7_JQ"'
			ck as $c | $c != null and ($c.results | length) > 0 and
			(if $fl == "any" then true
			 elif $fl == "none" then all($c.results[]; good)
			 elif $fl == "all" then all($c.results[]; .outcome == "fail")
			 else ([$c.results[] | select(.outcome == "fail") | .agent] | sort) == ($fl | split(",") | sort)
			      and all($c.results[] | select(.outcome != "fail"); good) end) and
			all($c.results[] | select(.outcome == "fail");
			    ($st == "-" or ((.http_status // 0) | tostring) == $st) and
			    ($re == "-" or ((.problem.detail // "") | test($re))))' "$f" >/dev/null 2>&1; then
			echo "LAB MISMATCH $domain $method (want failing=$failing status=$status /$detail/): $(i7_brief "$method" "$domain")"
			bad=$((bad + 1))
		fi
	done <<<"$I7_LAB"

	# what the table cannot say
	line=$(jq -r --arg d geodns.example.com --arg m http-01 "$I7_JQ"'
		[ck.results[] | "\(.agent)=\(.address_used)"] | sort | join(" ")' "$(i7_file http-01)")
	[[ $line == "apse1=10.77.0.80 euc1=10.77.0.80 euw1=10.77.0.120 use1=10.77.0.80 usw2=10.77.0.80" ]] ||
		{ echo "LAB MISMATCH geodns: addresses used: $line"; bad=$((bad + 1)); }
	jq -e --arg d v6broken.example.com --arg m http-01 "$I7_JQ"'
		all(ck.results[]; ([.warnings[]?] | join(" ") | test("IPv6")) and .address_used == "10.77.0.86")' \
		"$(i7_file http-01)" >/dev/null || { echo "LAB MISMATCH v6broken: no IPv6 warning / IPv4 fallback"; bad=$((bad + 1)); }
	jq -e --arg d alpn-cdn.example.com --arg m tls-alpn-01 "$I7_JQ"'
		all(ck.results[]; (.cert.issuer // "") | test("Cloudflare Inc ECC CA-3"))' \
		"$(i7_file tls-alpn-01+ka alpn-cdn.example.com)" >/dev/null ||
		{ echo "LAB MISMATCH alpn-cdn: the certificate's issuer is not the 'Cloudflare' CA"; bad=$((bad + 1)); }
	line=$(jq -r '[.checks[] | "\(.domain)=\([.results[].cert.verify_error // "ok"] | unique | join("|"))"] | join(" ")' \
		"$(i7_file tls-cert)")
	for want in "geo.example.com=ok" "cert-expired.example.com=certificate has expired" \
		"cert-expiring.example.com=ok" "cert-renew.example.com=ok" "cert-selfsigned.example.com=self-signed certificate" \
		"cert-wrongname.example.com=hostname mismatch" "certdiff.example.com=ok"; do
		[[ " $line " == *" $want "* ]] || { echo "LAB MISMATCH tls-cert: want $want; got $line"; bad=$((bad + 1)); }
	done
	jq -e '[.checks[] | select(.domain == "cert-expiring.example.com") | .results[].cert.not_after_unix] |
		all(. - now < 7 * 86400 and . > now)' "$(i7_file tls-cert)" >/dev/null ||
		{ echo "LAB MISMATCH cert-expiring: not within 7 days of expiry"; bad=$((bad + 1)); }
	line=$(jq -r '[.checks[] | select(.domain == "certdiff.example.com") | .results[] | "\(.agent)=\(.cert.sha256[0:8])"] |
		sort | join(" ")' "$(i7_file tls-cert)")
	[[ $(tr ' ' '\n' <<<"$line" | cut -d= -f2 | sort -u | wc -l) == 2 ]] ||
		{ echo "LAB MISMATCH certdiff: not exactly two certificates: $line"; bad=$((bad + 1)); }
	# reserved.example.com: no agent can send a packet to 192.168.1.10 (the
	# lab has no route there), and every agent skipped the address
	for a in $VT_AGENTS; do
		if vt_exec "$a" ip route get 192.168.1.10 >/dev/null 2>&1; then
			echo "LAB MISMATCH $a has a route to 192.168.1.10"
			bad=$((bad + 1))
		fi
	done
	((bad == 0)) || fail "$bad lab sites do not behave as docs/lab.md says"
	echo "every lab site behaves as documented"
}

# ------------------------------------------------------------------
# Every finding fires where the table says, as the table says.
i7_findings() {
	local domain method id sev vantages phrase f bad=0 n=0
	i7_collect
	while read -r domain method id sev vantages phrase; do
		[[ -n $domain ]] || continue
		n=$((n + 1))
		f=$(i7_file "$method" "$domain")
		if ! jq -e --arg d "$domain" --arg m "${method%%+*}" --arg id "$id" --arg sev "$sev" \
			--arg v "$vantages" --arg fx "$phrase" "$I7_JQ"'
			ck as $c | answered as $ans | [$c.findings[]? | select(.id == $id)] |
			any(.[]; .severity == $sev and ((.fix // "") | contains($fx)) and
			    (if $v == "all" then (.vantages | sort) == $ans
			     else (.vantages | sort) == ($v | split(",") | sort) end))' "$f" >/dev/null 2>&1; then
			echo "MISSING $id ($sev, vantages $vantages, fix ~ \"$phrase\") for $domain $method: $(i7_brief "$method" "$domain")"
			bad=$((bad + 1))
		fi
	done <<<"$I7_FINDINGS"
	((bad == 0)) || fail "$bad of $n findings did not fire as the table says"
	echo "$n findings fired as the table says"
}

# ------------------------------------------------------------------
# Healthy sites: only info findings, AllPass among them (for tls-cert, whose
# sentences are about the certificate, CertOK says the same).
i7_no_false_alarms() {
	local c method domain bad=0
	i7_collect
	for c in "${I7_CLEAN[@]}"; do
		method=${c%% *}
		domain=${c#* }
		if ! jq -e --arg d "$domain" --arg m "${method%%+*}" "$I7_JQ"'
			ck as $c | $c != null and all($c.findings[]?; .severity == "info") and
			any($c.findings[]?; .id == "AllPass" or .id == "CertOK")' "$(i7_file "$method" "$domain")" >/dev/null 2>&1; then
			echo "FALSE ALARM $domain $method: $(i7_brief "$method" "$domain")"
			bad=$((bad + 1))
		fi
	done
	((bad == 0)) || fail "$bad healthy checks have findings above info or no AllPass"
	echo "no false alarms on ${#I7_CLEAN[@]} healthy checks"
}

# ------------------------------------------------------------------
# The human output of three scenarios (the closing note of issue 7 quotes
# them): a regional block, broken IPv6, an HTTPS redirect that breaks the
# challenge.  Kept in build/artifacts/findings-*.txt too.
i7_human_output() {
	local name domain id out rc why=""
	mkdir -p "$I7_ARTIFACTS"
	trap '"$LAB" unblock >/dev/null 2>&1 || true' EXIT
	"$LAB" geoblock eu-west >/dev/null 2>&1 || fail "lab.sh geoblock eu-west failed"
	for name in regional-block:geo.example.com:RegionalBlock ipv6-broken:v6broken.example.com:IPv6Broken \
		https-redirect:https-broken.example.com:HttpsRedirectBroken; do
		IFS=: read -r name domain id <<<"$name"
		out=$I7_ARTIFACTS/findings-$name.txt
		rc=0
		timeout "$I7_CHECK_TIMEOUT" ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" check --token-file "$VT_TOKEN_FILE" \
			--no-color --method http-01 --no-caa "$domain" >"$out" 2>&1 || rc=$?
		echo "==== vantage check $domain ($name, exit $rc) ===="
		cat "$out"
		grep -q '^Findings:' "$out" || why+="$domain: no Findings: section; "
		grep -qE "^  [a-z]+ +$id: " "$out" || why+="$domain: $id is not listed; "
	done
	[[ -z $why ]] || fail "the human output: $why"
}

# ------------------------------------------------------------------
# Names Let's Encrypt refuses are usage errors (exit 2) naming the finding;
# a wildcard is fine for dns-01.
i7_names_refused() {
	local name id rc err=$T/i7_names.err
	for name in 'foo..example.com:InvalidName' 'bad-.example.com:InvalidName' 'co.uk:PublicSuffixName' \
		'*.example.com:WildcardNeedsDNS01'; do
		id=${name##*:}
		name=${name%:*}
		rc=0
		timeout "$I7_CHECK_TIMEOUT" ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" check --token-file "$VT_TOKEN_FILE" \
			"$name" >/dev/null 2>"$err" || rc=$?
		echo "vantage check '$name' -> exit $rc: $(head -c 300 "$err")"
		((rc == 2)) || fail "'$name': exit $rc, expected 2 (usage error)"
		grep -q "$id" "$err" || fail "'$name': stderr does not name $id: $(head -c 300 "$err")"
	done
	rc=0
	timeout "$I7_CHECK_TIMEOUT" ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" check --token-file "$VT_TOKEN_FILE" \
		--method dns-01 --no-caa '*.dns-ok.example.com' >/dev/null 2>"$err" || rc=$?
	echo "vantage check --method dns-01 '*.dns-ok.example.com' -> exit $rc"
	((rc != 2)) || fail "a wildcard with dns-01 is refused: $(head -c 300 "$err")"
}

# ------------------------------------------------------------------
# --this-host compares the addresses the vantages resolved with the
# machine's own: from the coordinator's namespace ok.example.com (10.77.0.80)
# is another host; from the target's, which has 10.77.0.80, it is this one.
# The API listens on the coordinator's loopback, and the CLI sends its token
# to loopback only: two small forwarders (the target's 127.0.0.1:8750 ->
# 10.77.0.2:8759 -> the coordinator's 127.0.0.1:8750) let it run on the target.
I7_FWD='
import os, socket, sys, threading
la, lp, ca, cp, pidf = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((la, lp)); ls.listen(8)
open(pidf, "w").write(str(os.getpid()))
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
while True:
    c, _ = ls.accept(); u = socket.create_connection((ca, cp))
    for x, y in ((c, u), (u, c)): threading.Thread(target=pipe, args=(x, y), daemon=True).start()
'
# i7_forward NODE LISTEN-ADDR PORT TO-ADDR PORT NAME: start one; wait until it listens
i7_forward() {
	local i
	rm -f "$T/$6.pid"
	ip netns exec "$(vt_ns "$1")" python3 -c "$I7_FWD" "$2" "$3" "$4" "$5" "$T/$6.pid" >"$T/$6.log" 2>&1 &
	for ((i = 0; i < 50; i++)); do
		[[ -s $T/$6.pid ]] && return 0
		sleep 0.1
	done
	fail "the forwarder $6 did not start: $(head -c 300 "$T/$6.log")"
}
# i7_forward_stop: end the forwarders this scenario started (by PID)
i7_forward_stop() {
	local f
	for f in "$T"/i7_fwd_*.pid; do
		[[ -s $f ]] && kill "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
	return 0
}
i7_this_host() {
	local rc
	trap i7_forward_stop EXIT
	i7_forward coord 10.77.0.2 8759 127.0.0.1 8750 i7_fwd_coord
	i7_forward target 127.0.0.1 8750 10.77.0.2 8759 i7_fwd_target

	J=$T/i7_thishost_coord.json
	rc=0
	timeout "$I7_CHECK_TIMEOUT" ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" check --token-file "$VT_TOKEN_FILE" \
		--json --this-host --no-caa ok.example.com >"$J" 2>"$J.err" || rc=$?
	echo "from the coordinator's namespace: exit $rc; $(jq -c '[.checks[0].findings[]? | {id, severity, addresses}]' "$J" 2>/dev/null) $(head -c 200 "$J.err")"
	((rc == 0)) || fail "--this-host from the coordinator: exit $rc, expected 0 (a finding never changes it)"
	jq -e '[.checks[0].findings[]? | select(.id == "NotThisHost")] |
		length == 1 and .[0].severity == "warning" and ((.[0].fix // "") | contains("this server'"'"'s address")) and
		(.[0].addresses | index("10.77.0.80") != null)' "$J" >/dev/null 2>&1 ||
		fail "--this-host from the coordinator's namespace: no NotThisHost warning naming 10.77.0.80"

	J=$T/i7_thishost_target.json
	rc=0
	timeout "$I7_CHECK_TIMEOUT" ip netns exec "$VT_NS_TARGET" "$VT_BIN/vantage" check --token-file "$VT_TOKEN_FILE" \
		--json --this-host --no-caa ok.example.com >"$J" 2>"$J.err" || rc=$?
	echo "from the target's namespace: exit $rc; $(jq -c '[.checks[0].findings[]? | .id]' "$J" 2>/dev/null) $(head -c 200 "$J.err")"
	((rc == 0)) || fail "--this-host from the target: exit $rc, expected 0"
	jq -e '[.checks[0].findings[]? | select(.id == "NotThisHost")] | length == 0' "$J" >/dev/null 2>&1 ||
		fail "--this-host from the target's namespace (which has 10.77.0.80) gives NotThisHost"
}

# ------------------------------------------------------------------
# ns2 geo-blocked for eu-west: its sweep cannot reach it.
i7_nameserver_unreachable() {
	local f=$T/i7_nsunreach.json
	trap '"$LAB" unblock-dns >/dev/null 2>&1 || true' EXIT
	"$LAB" geoblock-dns eu-west >/dev/null 2>&1 || fail "lab.sh geoblock-dns eu-west failed"
	i7_check "$f" dns-ok.example.com --method dns-01 --txt "$VT_DNS_TXT" --no-caa
	echo "exit $(cat "$f.rc"): $(jq -c '[.checks[0].findings[]? | "\(.id) \(.severity) \(.vantages)"]' "$f" 2>/dev/null)"
	jq -e '[.checks[0].findings[]? | select(.id == "NameserverUnreachable")] |
		any(.[]; .severity == "error" and .vantages == ["euw1"] and ((.fix // "") | contains("every nameserver")))' \
		"$f" >/dev/null 2>&1 || fail "no NameserverUnreachable error for euw1: $(jq -c '.checks[0] | {diagnosis, findings}' "$f" | head -c 800)"
}

# i7_agents_back N: wait (bounded) until N agents are up again
i7_agents_back() { "$LAB" wait-agents "$1" 30 >/dev/null 2>&1 || fail "only some agents came back"; }

# ------------------------------------------------------------------
# A killed agent is VantageSilent (info: a vantage's problem, never the
# site's); with three of five gone and min answers 3, TooFewAnswers.
i7_vantage_silent_and_too_few() {
	local f a why=""
	trap 'for a in euc1 usw2 apse1; do "$LAB" start-agent "$a" >/dev/null 2>&1; done; "$LAB" wait-agents 5 30 >/dev/null 2>&1 || true' EXIT
	"$LAB" kill-agent euc1 KILL >/dev/null || fail "could not kill euc1"
	f=$T/i7_silent.json
	i7_check "$f" ok.example.com --no-caa
	echo "euc1 killed: exit $(cat "$f.rc"): $(jq -c '[.checks[0].findings[]? | "\(.id) \(.severity) \(.vantages)"]' "$f" 2>/dev/null)"
	jq -e '[.checks[0].results[] | select(.outcome == "unavailable") | .agent] == ["euc1"]' "$f" >/dev/null 2>&1 ||
		fail "euc1 killed: not exactly euc1 unavailable: $(summary "$f")"
	jq -e '[.checks[0].findings[]? | select(.id == "VantageSilent")] |
		any(.[]; .severity == "info" and .vantages == ["euc1"] and ((.fix // "") | contains("agent")))' "$f" >/dev/null 2>&1 ||
		why+="no VantageSilent info naming euc1: $(jq -c '.checks[0] | {diagnosis, findings}' "$f" | head -c 600); "

	"$LAB" kill-agent usw2 KILL >/dev/null || fail "could not kill usw2"
	"$LAB" kill-agent apse1 KILL >/dev/null || fail "could not kill apse1"
	f=$T/i7_toofew.json
	i7_check "$f" ok.example.com --no-caa --min-answers 3
	echo "3 of 5 killed: exit $(cat "$f.rc"): $(jq -c '[.checks[0].findings[]? | "\(.id) \(.severity) \(.vantages)"]' "$f" 2>/dev/null)"
	[[ $(cat "$f.rc") == 3 ]] || fail "3 of 5 agents killed, min answers 3: exit $(cat "$f.rc"), expected 3 (unknown)"
	jq -e '[.checks[0].findings[]? | select(.id == "TooFewAnswers")] |
		any(.[]; .severity == "warning" and ((.fix // "") | contains("agents")))' "$f" >/dev/null 2>&1 ||
		why+="no TooFewAnswers warning: $(jq -c '.checks[0] | {diagnosis, findings}' "$f" | head -c 600); "
	for a in euc1 usw2 apse1; do
		"$LAB" start-agent "$a" >/dev/null 2>&1 || fail "could not restart $a"
	done
	i7_agents_back 5
	trap - EXIT
	[[ -z $why ]] || fail "$why"
}

# ------------------------------------------------------------------
# An agent whose host has no IPv6 (ipv6 = false) cannot test the AAAA
# records: VantageWithoutIPv6 (info), naming it.
i7_vantage_without_ipv6() {
	local conf=$VT_RUN/agents/apse1.conf f=$T/i7_noipv6.json
	cp "$conf" "$T/apse1.conf.orig"
	trap 'cp "$T/apse1.conf.orig" "$conf"; "$LAB" kill-agent apse1 TERM >/dev/null 2>&1; "$LAB" start-agent apse1 >/dev/null 2>&1; "$LAB" wait-agents 5 30 >/dev/null 2>&1 || true' EXIT
	sed -i 's/^\(\s*ipv6 = \).*;/\1false;/' "$conf"
	grep -q 'ipv6 = false;' "$conf" || fail "could not set ipv6 = false in $conf"
	"$LAB" kill-agent apse1 TERM >/dev/null || fail "could not stop apse1"
	"$LAB" start-agent apse1 >/dev/null || fail "could not start apse1 without IPv6"
	i7_agents_back 5
	i7_check "$f" v6only.example.com --no-caa
	echo "apse1 without IPv6: exit $(cat "$f.rc"): $(jq -c '[.checks[0].results[] | {agent, ipv6}]' "$f" 2>/dev/null) $(jq -c '[.checks[0].findings[]? | "\(.id) \(.severity) \(.vantages)"]' "$f" 2>/dev/null)"
	jq -e '[.checks[0].findings[]? | select(.id == "VantageWithoutIPv6")] |
		any(.[]; .severity == "info" and .vantages == ["apse1"] and ((.fix // "") | contains("IPv6")))' "$f" >/dev/null 2>&1 ||
		fail "no VantageWithoutIPv6 info naming apse1: $(jq -c '.checks[0] | {diagnosis, findings}' "$f" | head -c 800)"
}
