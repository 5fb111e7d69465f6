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
