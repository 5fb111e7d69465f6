#!/usr/bin/env bash
# tests/integration/scenarios.sh -- the lab scenarios, sourced by run.sh.
#
# Each sN_* function runs in a subshell with the lab's env file sourced
# (VT_*, vt_vantage, vt_exec, ...), $T a scratch dir and $LAB the lab script.
# `fail WHY` ends the scenario; returning normally means PASS.
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose

N_AGENTS=5
CHECK_TIMEOUT=${CHECK_TIMEOUT:-60} # seconds, per CLI call (the job budget is far less)

fail() {
	echo "$*" >"$T/reason"
	echo "FAIL: $*"
	exit 1
}

# summary FILE: a one-line digest of a --json document for failure messages
summary() {
	jq -c '{verdict, exit_code, checks: [.checks[]? | {domain, verdict,
		le: .le_multi_perspective.accepted, diagnosis,
		results: [.results[]? | {agent, outcome, problem: (.problem.detail // null), warnings}]}]}' "$1" 2>/dev/null ||
		head -c 400 "$1"
}

# vcheck NAME ARGS...: vantage check --json ARGS in the coordinator namespace;
# the document goes to $T/NAME.json ($J), the exit code to $RC.
vcheck() {
	J=$T/$1.json
	shift
	RC=0
	timeout "$CHECK_TIMEOUT" ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" check --token-file "$VT_TOKEN_FILE" \
		--json "$@" >"$J" 2>"$J.err" || RC=$?
	echo "vantage check --json $* -> exit $RC"
	summary "$J"
	if [[ -s $J.err ]]; then
		echo "stderr: $(head -c 400 "$J.err")"
	fi
}

expect_rc() { # WANT CONTEXT
	[[ $RC == "$1" ]] || fail "$2: exit code $RC, expected $1; $(summary "$J"); $(head -c 200 "$J.err")"
}

expect() { # JQ-PROGRAM DESCRIPTION  (on $J)
	jq -e "$1" "$J" >/dev/null 2>&1 || fail "$2; got $(summary "$J")"
}

# a fresh base64url token / key authorization
b64url() { head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# jq helpers (prepended to programs)
JQ_DEFS='def r: .checks[0].results;
	def n_outcome(o): [r[] | select(.outcome == o)] | length;
	def good: .outcome == "pass" or .outcome == "reachable";
	def diag: [.checks[0].diagnosis[]?] | join("\n");'

# every vantage failed and every problem detail contains TEXT
expect_all_fail_with() { # TEXT CONTEXT
	expect "$JQ_DEFS"' (r | length) == '"$N_AGENTS"' and all(r[]; .outcome == "fail")' "$2: not all $N_AGENTS vantages failed"
	jq -e --arg want "$1" "$JQ_DEFS"' all(r[]; (.problem.detail // "") | contains($want))' "$J" >/dev/null 2>&1 ||
		fail "$2: not every problem mentions \"$1\"; got $(summary "$J")"
}

# ------------------------------------------------------------------ 1
s1_all_regions_pass() {
	vcheck s1_reach ok.example.com
	expect_rc 0 "reachability check of ok.example.com"
	expect '.verdict == "pass" and .exit_code == 0' "verdict is not pass"
	expect "$JQ_DEFS"' (r | length) == 5 and all(r[]; good)' "not 5 results pass/reachable"
	expect '.checks[0].le_multi_perspective.accepted == true' "LE multi-perspective not accepted"
	expect "$JQ_DEFS"' ([r[].region] | unique) == ["ap-southeast","eu-central","eu-west","us-east","us-west"]' \
		"regions are not the 5 configured ones"
	expect "$JQ_DEFS"' [r[] | select(.primary) | .agent] == ["use1"]' "use1 is not the only primary"

	vcheck s1_webroot ok.example.com --webroot "$VT_WEBROOT_OK"
	expect_rc 0 "--webroot check of ok.example.com"
	expect "$JQ_DEFS"' .verdict == "pass" and (r | length) == 5 and all(r[]; .outcome == "pass")' \
		"webroot mode: not 5 x pass"
	expect '.checks[0].le_multi_perspective.accepted == true' "webroot mode: LE multi-perspective not accepted"
}

# ------------------------------------------------------------------ 2
s2_geoblocked_region() {
	trap '"$LAB" unblock >/dev/null 2>&1 || true' EXIT
	"$LAB" geoblock eu-west || fail "lab.sh geoblock eu-west failed"
	vcheck s2 geo.example.com
	expect_rc 1 "geo-blocked check"
	expect "$JQ_DEFS"' [r[] | select(.outcome == "fail") | .agent] == ["euw1"]' "not exactly euw1 failing"
	expect "$JQ_DEFS"' n_outcome("pass") + n_outcome("reachable") == 4' "the other 4 vantages did not succeed"
	expect "$JQ_DEFS"' [r[] | select(.agent == "euw1")][0] | (.problem.type // "" | test("connection$"))' \
		"euw1's problem type is not connection"
	expect "$JQ_DEFS"' [r[] | select(.agent == "euw1")][0] | (.problem.detail // "" | contains("Timeout during connect"))' \
		"euw1's problem is not \"Timeout during connect\""
	expect "$JQ_DEFS"' diag | contains("eu-west")' "no diagnosis line names eu-west"
}

# ------------------------------------------------------------------ 3
s3_port_closed() {
	vcheck s3 closed.example.com
	expect_rc 1 "closed port"
	expect_all_fail_with "Connection refused" "closed port"
	expect "$JQ_DEFS"' diag | test("every vantage|all vantages|site-wide|every region|all regions"; "i")' \
		"no diagnosis line says every vantage / site-wide"
}

# ------------------------------------------------------------------ 4
s4_webroot_mismatch_and_footer() {
	vcheck s4_wrong ok.example.com --webroot "$VT_WEBROOT_WRONG"
	expect_rc 1 "webroot nginx does not serve"
	expect_all_fail_with "404" "wrong webroot"
	expect "$JQ_DEFS"' all(r[]; .problem.type // "" | test("unauthorized$"))' "wrong webroot: problem type is not unauthorized"

	local token ka f
	token=$(b64url)
	ka="$token.$(b64url)"
	f=$VT_WEBROOT_FOOTER/.well-known/acme-challenge/$token
	# short enough (< 128 bytes) that Boulder compares it instead of calling
	# it an oversized "Invalid response"
	printf '%s\n%s\n' "$ka" "<!-- end -->" >"$f"
	chmod 644 "$f"
	vcheck s4_footer footer.example.com --key-authorization "$ka"
	rm -f "$f"
	expect_rc 1 "key authorization with a footer"
	expect_all_fail_with "did not match" "footer"
	expect "$JQ_DEFS"' all(r[]; .problem.type // "" | test("unauthorized$"))' "footer: problem type is not unauthorized"

	# a header line: leading text is not trimmed either
	printf '%s\n%s\n' "<pre>" "$ka" >"$f"
	chmod 644 "$f"
	vcheck s4_header footer.example.com --key-authorization "$ka"
	rm -f "$f"
	expect_rc 1 "key authorization with a header"
	expect_all_fail_with "did not match" "header"
}

# ------------------------------------------------------------------ 5
s5_redirects() {
	vcheck s5_port badport.example.com
	expect_rc 1 "redirect to port 8443"
	expect_all_fail_with "Invalid port in redirect target" "redirect to port 8443"

	vcheck s5_r11 redir11.example.com --webroot "$VT_WEBROOT_OK"
	expect_rc 0 "11 redirects"
	expect "$JQ_DEFS"' .verdict == "pass" and (r | length) == 5 and all(r[]; .outcome == "pass")' "11 redirects: not 5 x pass"
	expect "$JQ_DEFS"' all(r[]; (.records | length) == 12)' "11 redirects: not 12 validation records per vantage"

	vcheck s5_r12 redir12.example.com --webroot "$VT_WEBROOT_OK"
	expect_rc 1 "12 redirects"
	expect_all_fail_with "Too many redirects" "12 redirects"
}

# ------------------------------------------------------------------ 6
s6_ipv6_fallback() {
	vcheck s6 v6broken.example.com --webroot "$VT_WEBROOT_OK"
	expect_rc 0 "broken IPv6, working IPv4"
	expect "$JQ_DEFS"' .verdict == "pass" and (r | length) == 5 and all(r[]; .outcome == "pass")' "not 5 x pass via IPv4"
	expect "$JQ_DEFS"' all(r[]; [.warnings[]?] | join(" ") | test("ipv6"; "i"))' "not every result warns about IPv6"
	expect "$JQ_DEFS"' all(r[]; .address_used == "10.77.0.86")' "not every vantage used the IPv4 address in the end"
	expect "$JQ_DEFS"' all(r[]; [.records[]?.addressUsed] | index("fd77::86") != null)' "no record shows the IPv6 attempt"
}

# ------------------------------------------------------------------ 7
s7_agent_killed() {
	local victim=euc1 i up bg
	# (a) killed DURING a check: v6broken.example.com takes a dial timeout on
	# IPv6 before the IPv4 fallback passes, so the check is still running
	# when the agent dies.  The coordinator notices (missed heartbeats or the
	# closed peer) and reports the vantage unavailable, never the site.
	vcheck_bg() {
		timeout "$CHECK_TIMEOUT" ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" check \
			--token-file "$VT_TOKEN_FILE" --json v6broken.example.com >"$T/s7_during.json" 2>"$T/s7_during.json.err"
	}
	vcheck_bg &
	bg=$!
	sleep 1
	"$LAB" kill-agent "$victim" KILL || fail "could not kill $victim"
	RC=0
	wait "$bg" || RC=$?
	J=$T/s7_during.json
	echo "vantage check --json v6broken.example.com (agent killed during it) -> exit $RC"
	summary "$J"
	expect_rc 3 "agent killed during a check"
	expect '.verdict == "unknown"' "verdict is not unknown"
	expect "$JQ_DEFS"' [r[] | select(.outcome == "unavailable") | .agent] == ["'"$victim"'"]' \
		"not exactly $victim unavailable after being killed during the check"
	expect "$JQ_DEFS"' n_outcome("pass") + n_outcome("reachable") == 4' "the other 4 vantages did not succeed"
	expect "$JQ_DEFS"' diag | test("'"$victim"'.*did not answer")' "the diagnosis does not say $victim did not answer"

	# (b) while it is down, a new check reports it unavailable at once
	vcheck s7 ok.example.com
	expect_rc 3 "one agent down"
	expect "$JQ_DEFS"' [r[] | select(.outcome == "unavailable") | .agent] == ["'"$victim"'"]' \
		"not exactly $victim unavailable"

	# (c) restarted, it re-registers with bounded backoff and is used again
	"$LAB" start-agent "$victim" || fail "could not restart $victim"
	up=""
	for ((i = 0; i < 60; i++)); do # <= 30 s
		up=$(ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" agents --token-file "$VT_TOKEN_FILE" --json 2>/dev/null |
			jq -r --arg a "$victim" '.agents[] | select(.name == $a) | .state' 2>/dev/null)
		[[ $up == up ]] && break
		sleep 0.5
	done
	[[ $up == up ]] || fail "$victim did not come back up within 30 s (state '$up')"
	vcheck s7_after ok.example.com
	expect_rc 0 "check after $victim reconnected"
}

# ------------------------------------------------------------------ 8
s8_rogue_agent_refused() {
	local before log=$VT_LOGS/coordinator.log i refused=0 pub
	trap '"$LAB" kill-agent rogue TERM >/dev/null 2>&1 || true' EXIT
	before=$(wc -l <"$log")
	pub=$(cut -c1-12 "$VT_KEYS/rogue.pub")
	"$LAB" start-agent rogue || fail "could not start the rogue agent"
	for ((i = 0; i < 40; i++)); do # <= 10 s
		if tail -n +"$((before + 1))" "$log" | grep -qiE 'refus|reject|denied|unknown (curve |public )?key|not (on|in) (the )?allow' ||
			tail -n +"$((before + 1))" "$log" | grep -qF -- "$pub"; then
			refused=1
			break
		fi
		sleep 0.25
	done
	((refused)) || fail "the coordinator's log shows no refusal of the rogue key ($pub...)"
	echo "coordinator log: $(tail -n +"$((before + 1))" "$log" | grep -iE 'refus|reject|denied|unknown|allow' | head -n 2)"
	sleep 1 # give a (wrongly) accepted rogue time to register
	ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" agents --token-file "$VT_TOKEN_FILE" --json >"$T/s8.json" ||
		fail "vantage agents --json failed"
	J=$T/s8.json
	expect '[.agents[].name] | index("rogue") == null' "vantage agents lists the rogue"
	expect '([.agents[].name] | sort) == (["apse1","euc1","euw1","usw2","use1"] | sort)' \
		"vantage agents does not list exactly the 5 configured agents"
	expect '[.agents[] | select(.state == "up")] | length == 5' "not all 5 configured agents are up"
}

# ------------------------------------------------------------------ 9
s9_local_probe() {
	local rc=0 out=$T/s9.json
	timeout 30 ip netns exec "$VT_NS_USE1" "$VT_BIN/vantage-agent" probe http-01 ok.example.com \
		--root-hints "$VT_ROOT_HINTS" --treat-as-public "10.77.0.0/16,fd77::/16" \
		--dial-timeout-ms "$VT_DIAL_TIMEOUT_MS" --json >"$out" 2>"$out.err" || rc=$?
	echo "vantage-agent probe -> exit $rc: $(head -c 600 "$out") $(head -c 300 "$out.err")"
	((rc == 0)) || fail "vantage-agent probe http-01 ok.example.com exited $rc: $(head -c 300 "$out.err")"
	jq -e . "$out" >/dev/null 2>&1 || fail "probe --json output is not JSON"
}

# ------------------------------------------------------------------ 10
# The lab's issue-3 servers behave as docs/lab.md says, checked with plain
# tools from a vantage's namespace (no vantage code involved).
s10_lab_issue3_fixtures() {
	local out
	q() { timeout 10 ip netns exec "$VT_NS_EUW1" kdig +timeout=2 +retry=1 "$@" 2>&1; }
	[[ $(q +short @"$VT_DNS_NS1" TXT _acme-challenge.dns-ok.example.com) == "\"$VT_DNS_TXT\"" ]] ||
		fail "ns1 does not serve the dns-ok TXT"
	[[ $(q +short @"$VT_DNS_NS2" TXT _acme-challenge.dns-ok.example.com) == "\"$VT_DNS_TXT\"" ]] ||
		fail "ns2 does not serve the dns-ok TXT"
	[[ $(q +short @"$VT_DNS_NS1" TXT _acme-challenge.dns-half.example.com) == "\"$VT_DNS_TXT\"" ]] ||
		fail "ns1 does not serve the dns-half TXT"
	[[ -z $(q +short @"$VT_DNS_NS2" TXT _acme-challenge.dns-half.example.com) ]] ||
		fail "ns2 serves the dns-half TXT (it must not)"
	out=$(q +dnssec TXT _acme-challenge.dns-ok.example.com)
	grep -qi 'flags:.* ad' <<<"$out" || fail "the lab resolver does not validate dns-ok's TXT: $out"
	out=$(q TXT _acme-challenge.bogus.example.com)
	grep -q 'status: SERVFAIL' <<<"$out" || fail "bogus.example.com's TXT is not SERVFAIL: $out"
	[[ $(q +cd +short TXT _acme-challenge.bogus.example.com) == "\"$VT_DNS_TXT\"" ]] ||
		fail "bogus.example.com's TXT (checking disabled) is not the challenge value"
	out=$(q +short TXT _acme-challenge.dns-cname.example.com)
	grep -qxF "\"$VT_DNS_TXT\"" <<<"$out" ||
		fail "the dns-cname CNAME does not lead to the TXT"
	out=$(q CAA caa-servfail.example.com)
	grep -q 'status: SERVFAIL' <<<"$out" || fail "caa-servfail.example.com is not SERVFAIL: $out"
	[[ $(q +short CAA caa-crit.example.com) == '128 tbs "unknown"'* ]] || fail "caa-crit's CAA is wrong"
	out=$(timeout 10 ip netns exec "$VT_NS_EUW1" drill -S -k "$VT_TRUST_ANCHOR" TXT _acme-challenge.dns-ok.example.com 2>&1)
	grep -q 'Chase successful' <<<"$out" || fail "drill cannot chase dns-ok's TXT to the lab's trust anchor"

	tls() { # SITE EXTRA-ARGS...: openssl s_client's output (whatever its exit code)
		local site=$1
		shift
		echo | timeout 10 ip netns exec "$VT_NS_EUW1" openssl s_client -alpn acme-tls/1 \
			-servername "$site.example.com" -connect "$site.example.com:443" "$@" 2>&1 || true
	}
	out=$(tls alpn-ok)
	grep -q 'ALPN protocol: acme-tls/1' <<<"$out" || fail "alpn-ok does not negotiate acme-tls/1"
	grep -q '1.3.6.1.5.5.7.1.31: critical' <<<"$(openssl x509 -noout -text <<<"$out")" ||
		fail "alpn-ok's certificate has no critical acmeIdentifier"
	out=$(openssl x509 -outform DER <<<"$out" | openssl asn1parse -inform DER 2>/dev/null)
	grep -qi "0420$VT_ALPN_DIGEST" <<<"$out" || fail "alpn-ok's acmeIdentifier is not SHA-256(VT_ALPN_KA)"
	out=$(tls alpn-noncrit)
	out=$(openssl x509 -noout -text <<<"$out")
	grep -q '1.3.6.1.5.5.7.1.31:' <<<"$out" || fail "alpn-noncrit's certificate has no acmeIdentifier"
	grep -q '1.3.6.1.5.5.7.1.31: critical' <<<"$out" && fail "alpn-noncrit's acmeIdentifier is critical"
	out=$(tls alpn-none)
	grep -q 'no application protocol' <<<"$out" || fail "alpn-none does not refuse acme-tls/1: $out"
	out=$(tls alpn-tls11 -tls1_1 -cipher 'DEFAULT@SECLEVEL=0')
	grep -q 'Protocol  *: TLSv1.1' <<<"$out" || fail "alpn-tls11 does not speak TLS 1.1"
	out=$(tls alpn-tls11 -tls1_2)
	grep -qiE 'unsupported protocol|protocol version' <<<"$out" || fail "alpn-tls11 accepts a TLS 1.2 client: $out"

	# the ns2 switch: only the blocked region loses ns2
	trap '"$LAB" unblock-dns >/dev/null 2>&1 || true' EXIT
	"$LAB" geoblock-dns eu-west || fail "lab.sh geoblock-dns eu-west failed"
	out=$(q +timeout=1 +retry=0 @"$VT_DNS_NS2" SOA example.com)
	grep -qi 'timeout' <<<"$out" || fail "ns2 still answers euw1: $out"
	out=$(timeout 10 ip netns exec "$VT_NS_USE1" kdig +short +timeout=1 +retry=0 @"$VT_DNS_NS2" SOA example.com 2>&1)
	grep -q 'hostmaster' <<<"$out" || fail "ns2 no longer answers use1: $out"
	"$LAB" unblock-dns || fail "lab.sh unblock-dns failed"
	out=$(q +short @"$VT_DNS_NS2" SOA example.com)
	grep -q 'hostmaster' <<<"$out" || fail "ns2 does not answer euw1 after unblock-dns: $out"
	echo "lab fixtures OK"
}

# ==================================================================
# Issue 3: TLS-ALPN-01, DNS-01 and CAA against the lab's real servers
# (deploy/lab: openssl s_server/nginx on 443, knotd ns1/ns2/sub, CAA
# records; docs/lab.md).  run.sh runs these only with VT_ISSUE3=1 (or when
# named) until the C side is complete.
# ==================================================================

# jq helpers selecting the check by method (a run may hold several checks)
JQ3_DEFS='def ck(m): [.checks[] | select(.method == m)][0];
	def rr(m): ck(m).results;
	def dg(m): [ck(m).diagnosis[]?] | join("\n");
	def of(m; a): [rr(m)[] | select(.agent == a)][0];
	def failing(m): [rr(m)[] | select(.outcome == "fail") | .agent];'

# all_fail3 METHOD TYPE-REGEX DETAIL-REGEX CONTEXT: every vantage failed the
# METHOD check with a problem type and detail matching the regexes
all_fail3() {
	expect "$JQ3_DEFS"' (rr("'"$1"'") | length) == '"$N_AGENTS"' and all(rr("'"$1"'")[]; .outcome == "fail")' \
		"$4: not all $N_AGENTS vantages failed the $1 check"
	expect "$JQ3_DEFS"' all(rr("'"$1"'")[]; (.problem.type // "") | test("'"$2"'"))' \
		"$4: not every problem type matches /$2/"
	jq -e --arg re "$3" "$JQ3_DEFS"' all(rr("'"$1"'")[]; (.problem.detail // "") | test($re))' "$J" >/dev/null 2>&1 ||
		fail "$4: not every problem detail matches /$3/; got $(summary "$J")"
}

# all_pass3 METHOD CONTEXT
all_pass3() {
	expect "$JQ3_DEFS"' (rr("'"$1"'") | length) == '"$N_AGENTS"' and all(rr("'"$1"'")[]; .outcome == "pass")' \
		"$2: not $N_AGENTS x pass"
	expect "$JQ3_DEFS"' ck("'"$1"'").le_multi_perspective.accepted == true' "$2: LE multi-perspective not accepted"
}

# diag3 METHOD REGEX CONTEXT: a diagnosis line of the METHOD check matches
diag3() {
	jq -e --arg re "$2" "$JQ3_DEFS"' dg("'"$1"'") | test($re; "i")' "$J" >/dev/null 2>&1 ||
		fail "$3: no diagnosis line matches /$2/; got $(summary "$J")"
}

# ---- TLS-ALPN-01 (openssl s_server per site, nginx for alpn-none) ----
i3_alpn_valid() {
	vcheck i3_alpn_ok alpn-ok.example.com --method tls-alpn-01 --key-authorization "$VT_ALPN_KA"
	expect_rc 0 "valid acme-tls/1 certificate"
	all_pass3 tls-alpn-01 "valid acme-tls/1 certificate"
	expect "$JQ3_DEFS"' all(rr("tls-alpn-01")[]; [.cert.sans[]?] | index("alpn-ok.example.com") != null)' \
		"not every result captured the certificate (cert.sans)"
	vcheck i3_alpn_ok_digest alpn-ok.example.com --method tls-alpn-01 --digest "$VT_ALPN_DIGEST"
	expect_rc 0 "valid certificate, --digest HEX"
	all_pass3 tls-alpn-01 "valid certificate, --digest HEX"
}

i3_alpn_wrong_digest() {
	vcheck i3_alpn_bad alpn-baddigest.example.com --method tls-alpn-01 --key-authorization "$VT_ALPN_KA"
	expect_rc 1 "acmeIdentifier of another key authorization"
	all_fail3 tls-alpn-01 'unauthorized$' 'Incorrect validation certificate for tls-alpn-01 challenge' "wrong digest"
	diag3 tls-alpn-01 'wrong digest' "wrong digest"
}

i3_alpn_not_critical() {
	vcheck i3_alpn_noncrit alpn-noncrit.example.com --method tls-alpn-01 --key-authorization "$VT_ALPN_KA"
	expect_rc 1 "acmeIdentifier not critical"
	all_fail3 tls-alpn-01 'unauthorized$' '[Nn]ot [Cc]ritical' "acmeIdentifier not critical"
	diag3 tls-alpn-01 'not marked critical' "acmeIdentifier not critical"
}

i3_alpn_no_acme_tls() {
	vcheck i3_alpn_none alpn-none.example.com --method tls-alpn-01 --key-authorization "$VT_ALPN_KA"
	expect_rc 1 "server without acme-tls/1"
	all_fail3 tls-alpn-01 '(tls|unauthorized|connection)$' 'acme-tls/1|no application protocol' "server without acme-tls/1"
	diag3 tls-alpn-01 'does not offer acme-tls/1' "server without acme-tls/1"
}

i3_alpn_tls11_only() {
	vcheck i3_alpn_tls11 alpn-tls11.example.com --method tls-alpn-01 --key-authorization "$VT_ALPN_KA"
	expect_rc 1 "TLS 1.1-only server"
	all_fail3 tls-alpn-01 '(tls|connection|malformed)$' '(?i)protocol version|unsupported protocol|only speaks TLS 1[.][01]' "TLS 1.1-only server"
	diag3 tls-alpn-01 'TLS 1\.2' "TLS 1.1-only server"
}

i3_alpn_geoblocked() {
	trap '"$LAB" unblock-addr alpn-ok >/dev/null 2>&1 || true' EXIT
	"$LAB" geoblock-addr alpn-ok eu-west || fail "lab.sh geoblock-addr alpn-ok eu-west failed"
	vcheck i3_alpn_geo alpn-ok.example.com --method tls-alpn-01 --key-authorization "$VT_ALPN_KA"
	expect_rc 1 "port 443 geo-blocked for eu-west"
	expect "$JQ3_DEFS"' failing("tls-alpn-01") == ["euw1"]' "not exactly euw1 failing"
	expect "$JQ3_DEFS"' [rr("tls-alpn-01")[] | select(.outcome == "pass")] | length == 4' "the other 4 vantages did not pass"
	expect "$JQ3_DEFS"' of("tls-alpn-01"; "euw1") | (.problem.type // "" | test("connection$"))' \
		"euw1's problem type is not connection"
	expect "$JQ3_DEFS"' of("tls-alpn-01"; "euw1") | (.problem.detail // "" | contains("Timeout during connect"))' \
		"euw1's problem is not \"Timeout during connect\""
	diag3 tls-alpn-01 'eu-west' "port 443 geo-blocked"
}

# ---- DNS-01 (example.com on ns1 and ns2; subzones on ns-sub) ----
i3_dns_both_nameservers() {
	vcheck i3_dns_ok dns-ok.example.com --method dns-01 --key-authorization "$VT_DNS_KA"
	expect_rc 0 "TXT on both nameservers"
	all_pass3 dns-01 "TXT on both nameservers"
	expect "$JQ3_DEFS"' all(rr("dns-01")[]; .dnssec == "secure")' "not every vantage validated the answer (dnssec secure)"
	expect "$JQ3_DEFS"' all(rr("dns-01")[]; ([.nameservers[]? | .name] | unique) == ["ns1.example.com","ns2.example.com"])' \
		"the nameserver sweep does not list exactly ns1 and ns2"
	expect "$JQ3_DEFS"' all(rr("dns-01")[]; all(.nameservers[]?; .reachable and .matches))' \
		"not every nameserver answered with the record"
	vcheck i3_dns_ok_txt dns-ok.example.com --method dns-01 --txt "$VT_DNS_TXT"
	expect_rc 0 "TXT on both nameservers (--txt)"
	all_pass3 dns-01 "TXT on both nameservers (--txt)"
}

i3_dns_not_propagated() {
	vcheck i3_dns_half dns-half.example.com --method dns-01 --key-authorization "$VT_DNS_KA"
	# which nameserver each vantage's resolver asks is chance: no exit code
	[[ $RC == 0 || $RC == 1 ]] || fail "TXT on ns1 only: exit code $RC"
	expect "$JQ3_DEFS"' [rr("dns-01")[].nameservers[]? | select(.name == "ns2.example.com")] | length > 0 and
		all(.[]; .matches == false)' "the sweep does not show ns2 without the record"
	expect "$JQ3_DEFS"' [rr("dns-01")[].nameservers[]? | select(.name == "ns1.example.com")] | all(.[]; .matches)' \
		"the sweep does not show ns1 with the record"
	diag3 dns-01 'not propagated.*ns2\.example\.com' "TXT on ns1 only"
}

i3_dns_ns2_geoblocked() {
	trap '"$LAB" unblock-dns >/dev/null 2>&1 || true' EXIT
	"$LAB" geoblock-dns eu-west || fail "lab.sh geoblock-dns eu-west failed"
	vcheck i3_dns_ns2geo dns-ok.example.com --method dns-01 --key-authorization "$VT_DNS_KA"
	[[ $RC == 0 || $RC == 1 ]] || fail "ns2 geo-blocked: exit code $RC"
	expect "$JQ3_DEFS"' [of("dns-01"; "euw1").nameservers[]? | select(.name == "ns2.example.com")] |
		length > 0 and all(.[]; .reachable == false)' "euw1's sweep does not show ns2 unreachable"
	expect "$JQ3_DEFS"' [rr("dns-01")[] | select(.agent != "euw1") | .nameservers[]? | select(.name == "ns2.example.com")] |
		length > 0 and all(.[]; .reachable)' "another vantage cannot reach ns2"
	diag3 dns-01 'ns2\.example\.com.*does not answer from[^\n]*eu-west' "ns2 geo-blocked"
}

i3_dns_cname() {
	vcheck i3_dns_cname dns-cname.example.com --method dns-01 --key-authorization "$VT_DNS_KA"
	expect_rc 0 "CNAME-delegated challenge"
	all_pass3 dns-01 "CNAME-delegated challenge"
}

i3_dns_bogus() {
	vcheck i3_dns_bogus bogus.example.com --method dns-01 --key-authorization "$VT_DNS_KA"
	expect_rc 1 "corrupted signature"
	all_fail3 dns-01 '(dns|unauthorized)$' 'SERVFAIL|DNSSEC|[Bb]ogus' "corrupted signature"
	expect "$JQ3_DEFS"' all(rr("dns-01")[]; .dnssec == "bogus")' "not every vantage says dnssec bogus"
	diag3 dns-01 'bogus' "corrupted signature"
}

i3_dns_wrong_value() {
	vcheck i3_dns_wrong dns-wrong.example.com --method dns-01 --key-authorization "$VT_DNS_KA"
	expect_rc 1 "wrong TXT value"
	all_fail3 dns-01 'unauthorized$' 'Incorrect TXT record "wrong-value" found at _acme-challenge\.dns-wrong\.example\.com' \
		"wrong TXT value"
}

# ---- CAA ----
i3_caa_other_ca() {
	vcheck i3_caa_le caa-le.example.com --method caa
	expect_rc 0 "CAA issue letsencrypt.org"
	all_pass3 caa "CAA issue letsencrypt.org"

	vcheck i3_caa_other caa-other.example.com --method caa
	expect_rc 1 "CAA issue sectigo.com"
	all_fail3 caa 'caa$' 'CAA record for caa-other\.example\.com prevents issuance' "CAA for another CA"
	diag3 caa 'CAA at caa-other\.example\.com forbids' "CAA for another CA"

	# the set at the parent applies to the child
	vcheck i3_caa_parent www.caa-parent.example.com --method caa
	expect_rc 1 "CAA at the parent"
	all_fail3 caa 'caa$' 'CAA record for caa-parent\.example\.com prevents issuance' "CAA at the parent"
}

i3_caa_validationmethods() {
	vcheck i3_caa_methods caa-methods.example.com --method caa
	expect_rc 1 "validationmethods=dns-01 (checked for http-01)"
	all_fail3 caa 'caa$' 'prevents issuance' "validationmethods excluding the method"
	diag3 caa 'validationmethods' "validationmethods excluding the method"
}

i3_caa_critical_unknown() {
	vcheck i3_caa_crit caa-crit.example.com --method caa
	expect_rc 1 "unknown critical tag"
	all_fail3 caa 'caa$' 'prevents issuance' "unknown critical tag"
	diag3 caa 'critical' "unknown critical tag"
}

i3_caa_servfail() {
	vcheck i3_caa_servfail caa-servfail.example.com --method caa
	expect_rc 1 "SERVFAIL at the name"
	all_fail3 caa 'dns$' 'SERVFAIL looking up CAA for caa-servfail\.example\.com' "SERVFAIL at the name"
}

# ------------------------------------------------------------------ 11
# --webroot with several names sharing one webroot: one challenge file,
# every name validated from every vantage (a real renewal with SANs).
s11_webroot_several_names() {
	vcheck s11 ok.example.com geo.example.com redir11.example.com --webroot "$VT_WEBROOT_OK" --no-caa
	expect_rc 0 "--webroot with three names"
	expect '[.checks[] | .domain] == ["ok.example.com","geo.example.com","redir11.example.com"]' \
		"not one check per name, in order"
	expect '[.checks[].results[] | select(.outcome == "pass")] | length == 15' \
		"not 15 passes (3 names x 5 vantages)"
	expect '[.checks[] | .mode] | unique == ["validate"]' "webroot checks are not in validate mode"
	[[ -z $(find "$VT_WEBROOT_OK/.well-known/acme-challenge" -type f -newer "$J.err" 2>/dev/null) ]] ||
		fail "the challenge file was left in the webroot"
}
