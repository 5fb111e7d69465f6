#!/usr/bin/env bash
# tests/integration/scenarios_i5.sh -- issue 5 (monitoring) in the lab:
# a monitor on geo.example.com notices a geo-block switched on mid-run,
# alerts once, shows it on /metrics, the status page and in history, and
# alerts once more on recovery; a coordinator killed with SIGKILL keeps its
# history and monitors.  Sourced by run.sh after scenarios.sh.
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# shellcheck disable=SC2034  # TIMEOUT_* are read by run.sh through ${!name}

I5_INTERVAL=6          # seconds between a monitor's runs
I5_PORT=8790           # the webhook receiver, as templates/coordinator.conf.in says
I5_ARTIFACTS=${VT_ARTIFACTS:-$VT_REPO/build/artifacts}
# run.sh's per-scenario time limits (seconds)
TIMEOUT_i5_monitor_geoblock_alerts=180
TIMEOUT_i5_coordinator_sigkill_keeps_history=90

i5_api() { ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" "$@" --token-file "$VT_TOKEN_FILE"; }
i5_get() { ip netns exec "$VT_NS_COORD" curl -fsS -m 10 "http://127.0.0.1:8750$1"; }

# i5_alerts FILE KIND METHOD: how many alerts of KIND for geo.example.com/METHOD
i5_alerts() {
	[[ -s $1 ]] || {
		echo 0
		return
	}
	jq -s --arg k "$2" --arg m "$3" '[.[] | select(.kind == $k and .domain == "geo.example.com" and .method == $m)] | length' "$1"
}

# i5_wait SECS DESCRIPTION CMD...: retry CMD every 0.5 s
i5_wait() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	fail "after ${secs}s: $what"
}
i5_has() { # FILE KIND METHOD N: at least N such alerts
	(($(i5_alerts "$1" "$2" "$3") >= $4))
}
i5_target_state() { # METHOD STATE: the monitor's target is in STATE
	i5_api monitors --json | jq -e --arg m "$1" --arg s "$2" \
		'.monitors[] | select(.name == "geo") | .targets[] | select(.method == $m) | .state == $s'
}
i5_both_pass() { i5_target_state http-01 pass && i5_target_state tls-cert pass; }
i5_runs() { i5_api history ok.example.com --json | jq '.runs | length'; }
i5_runs_over() { (($(i5_runs) > $1)); }

# ------------------------------------------------------------------ i5 1
i5_monitor_geoblock_alerts() {
	local d=$T/i5 hooks=$T/i5/hooks.jsonl t0 t1 dt fail_budget
	trap '"$LAB" unblock >/dev/null 2>&1; i5_api monitors remove geo >/dev/null 2>&1; [[ -f $T/i5/sink.pid ]] && kill "$(cat "$T/i5/sink.pid")" 2>/dev/null; true' EXIT
	mkdir -p "$d" "$I5_ARTIFACTS"
	[[ -x $VT_HOOKSINK ]] || fail "no webhook receiver at $VT_HOOKSINK (make tools)"
	ip netns exec "$VT_NS_COORD" "$VT_HOOKSINK" 127.0.0.1 "$I5_PORT" "$hooks" 2>"$d/sink.log" &
	echo $! >"$d/sink.pid"

	RC=0
	i5_api monitors add geo --domain geo.example.com --method http-01 --method tls-cert \
		--interval "${I5_INTERVAL}s" --policy all >"$d/add.out" 2>&1 || RC=$?
	echo "vantage monitors add geo ... -> exit $RC: $(head -c 300 "$d/add.out")"
	((RC == 0)) || fail "vantage monitors add failed"
	i5_wait $((3 * I5_INTERVAL + 10)) "the monitor did not pass http-01 and tls-cert before the block" \
		i5_both_pass
	(($(i5_alerts "$hooks" failure http-01) == 0)) || fail "a failure alert fired while the site was healthy"

	# the geo-block, mid-run
	"$LAB" geoblock eu-west >/dev/null || fail "lab.sh geoblock eu-west failed"
	t0=$(date +%s.%N)
	fail_budget=$((2 * I5_INTERVAL + VT_JOB_BUDGET_MS / 1000 + 4))
	i5_wait "$fail_budget" "no failure alert for http-01 within two intervals (+ one check budget)" \
		i5_has "$hooks" failure http-01 1
	t1=$(date +%s.%N)
	dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	echo "failure alert for http-01 ${dt}s after the geo-block (interval ${I5_INTERVAL}s, alert after 2 failing runs)"
	i5_wait 20 "no failure alert for tls-cert" i5_has "$hooks" failure tls-cert 1
	jq -c 'select(.kind == "failure") | {kind, monitor, domain, method, failing, diagnosis: .diagnosis[0]}' "$hooks"
	jq -s -e '[.[] | select(.kind == "failure" and .method == "http-01")][0] | (.failing == ["euw1"]) and (.vantages | any(.agent == "euw1" and .outcome == "fail"))' "$hooks" >/dev/null ||
		fail "the failure alert does not name euw1 (and only euw1) as failing: $(head -c 600 "$hooks")"

	# /metrics: promtool-valid, euw1 fails http-01, the certificate's expiry is there
	i5_get /metrics >"$d/metrics.txt" || fail "GET /metrics failed (loopback needs no token)"
	promtool check metrics <"$d/metrics.txt" >"$d/promtool.out" 2>&1 ||
		fail "promtool check metrics: $(head -c 400 "$d/promtool.out")"
	grep -E '^vantage_probe_success\{[^}]*agent="euw1"[^}]*\} 0$' "$d/metrics.txt" | grep -q 'method="http-01"' ||
		fail "/metrics has no vantage_probe_success 0 for euw1 http-01: $(grep vantage_probe_success "$d/metrics.txt" | head -n 5)"
	grep -E '^vantage_probe_success\{[^}]*agent="use1"[^}]*method="http-01"[^}]*\} 1$|^vantage_probe_success\{[^}]*method="http-01"[^}]*agent="use1"[^}]*\} 1$' "$d/metrics.txt" >/dev/null ||
		fail "/metrics has no vantage_probe_success 1 for use1 http-01"
	grep -qE '^vantage_cert_not_after_timestamp_seconds\{[^}]*agent="use1"' "$d/metrics.txt" ||
		fail "/metrics has no certificate expiry for use1"
	grep -qE '^vantage_monitor_failing\{[^}]*method="http-01"[^}]*\} 1$' "$d/metrics.txt" ||
		fail "/metrics does not show the monitor failing"
	echo "metrics:"
	grep -E '^vantage_(probe_success|cert_not_after_timestamp_seconds|monitor_failing|alerts_total|agents_connected)' "$d/metrics.txt" | grep -E 'euw1|use1|monitor_failing|alerts_total|agents_connected' | head -n 12

	# the status page in a real browser: euw1's http-01 cell is red
	timeout 60 ip netns exec "$VT_NS_COORD" chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$d/chromium" --dump-dom http://127.0.0.1:8750/status >"$d/status.dom" 2>"$d/chromium.log" ||
		fail "chromium --dump-dom failed: $(tail -n 3 "$d/chromium.log")"
	grep -E '<td[^>]*data-agent="euw1"[^>]*>' "$d/status.dom" | grep 'data-method="http-01"' | grep -q 'data-state="fail"' ||
		fail "the rendered status page does not show euw1/http-01 as fail: $(grep -o '<td[^>]*data-agent="euw1"[^>]*>' "$d/status.dom" | head -n 3)"
	grep -E '<td[^>]*data-agent="use1"[^>]*>' "$d/status.dom" | grep 'data-method="http-01"' | grep -q 'data-state="pass"' ||
		fail "the rendered status page does not show use1/http-01 as pass"
	timeout 60 ip netns exec "$VT_NS_COORD" chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$d/chromium" --window-size=1400,700 \
		--screenshot="$I5_ARTIFACTS/status-geoblock.png" http://127.0.0.1:8750/status >/dev/null 2>>"$d/chromium.log" ||
		fail "chromium --screenshot failed: $(tail -n 3 "$d/chromium.log")"
	[[ -s $I5_ARTIFACTS/status-geoblock.png ]] || fail "no screenshot written"
	echo "status page screenshot: $I5_ARTIFACTS/status-geoblock.png ($(stat -c %s "$I5_ARTIFACTS/status-geoblock.png") bytes)"

	# history: euw1 fails http-01 since the block
	i5_api history geo.example.com --json >"$d/history.json" || fail "vantage history failed"
	jq -e '.vantages | any(.agent == "euw1" and .method == "http-01" and .state == "fail" and .since != null)' "$d/history.json" >/dev/null ||
		fail "history does not say euw1 fails http-01: $(jq -c '.vantages' "$d/history.json" | head -c 600)"
	i5_api history geo.example.com >"$d/history.txt" 2>&1 || true
	echo "vantage history geo.example.com:"
	head -n 12 "$d/history.txt"

	# recovery: exactly one recovery alert per method, no second failure alert
	"$LAB" unblock >/dev/null || fail "lab.sh unblock failed"
	i5_wait $((2 * I5_INTERVAL + VT_JOB_BUDGET_MS / 1000 + 4)) "no recovery alert for http-01" \
		i5_has "$hooks" recovery http-01 1
	i5_wait 20 "no recovery alert for tls-cert" i5_has "$hooks" recovery tls-cert 1
	sleep "$I5_INTERVAL" # one more run: nothing new may fire
	for m in http-01 tls-cert; do
		(($(i5_alerts "$hooks" failure $m) == 1)) || fail "$(i5_alerts "$hooks" failure $m) failure alerts for $m, not exactly 1"
		(($(i5_alerts "$hooks" recovery $m) == 1)) || fail "$(i5_alerts "$hooks" recovery $m) recovery alerts for $m, not exactly 1"
	done
	echo "alerts received: $(jq -c '[.kind, .method]' "$hooks" | tr '\n' ' ')"
}

# ------------------------------------------------------------------ i5 2
# SIGKILL at an arbitrary moment: the history and the API-added monitor are
# still there after the restart, and the monitor keeps running.
i5_coordinator_sigkill_keeps_history() {
	local d=$T/i5k before after
	trap 'i5_api monitors remove keep >/dev/null 2>&1; true' EXIT
	mkdir -p "$d"
	i5_api monitors add keep --domain ok.example.com --method http-01 --interval 2s >/dev/null ||
		fail "vantage monitors add keep failed"
	i5_wait 20 "the monitor never recorded two runs" i5_runs_over 1
	sleep 0.7 # somewhere inside a run, most likely
	before=$(i5_runs)
	"$LAB" restart-coordinator KILL >"$d/restart.out" 2>&1 || fail "restart after SIGKILL failed: $(tail -n 3 "$d/restart.out")"
	after=$(i5_runs)
	echo "runs recorded before SIGKILL: $before; after the restart: $after"
	((after >= before)) || fail "the restart lost runs: $before before, $after after"
	i5_api monitors --json | jq -e '.monitors | any(.name == "keep")' >/dev/null ||
		fail "the API-added monitor did not survive the restart"
	i5_wait 15 "the monitor did not run again after the restart" i5_runs_over "$after"
}

# ------------------------------------------------------------------ i5 3
# /metrics and /status are open on loopback only: a coordinator whose API
# listens on a lab address (TLS, as required there) answers them 401
# without the token and 200 with it.
i5_metrics_need_token_off_loopback() {
	local d=$T/i5t code tok
	trap '[[ -f $T/i5t/coord.pid ]] && kill "$(cat "$T/i5t/coord.pid")" 2>/dev/null; true' EXIT
	mkdir -p "$d/agents.d" "$d/state"
	"$VT_BIN/vantage" keygen c3 --dir "$d" >/dev/null || fail "vantage keygen failed"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$d/api.key" -out "$d/api.crt" -subj "/CN=10.77.0.2" \
		-addext "subjectAltName=IP:10.77.0.2" >/dev/null 2>&1 || fail "openssl req failed"
	cat >"$d/coord.conf" <<-EOC
		coordinator: {
		  agent_endpoint = "tcp://127.0.0.1:8771";
		  key_file = "$d/c3.key";
		  allowlist_dir = "$d/agents.d";
		  state_dir = "$d/state";
		  api_listen = "10.77.0.2:8772";
		  api_tls_cert = "$d/api.crt";
		  api_tls_key = "$d/api.key";
		  api_token_file = "$d/api.token";
		};
	EOC
	ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" serve --config "$d/coord.conf" </dev/null >"$d/coord.log" 2>&1 &
	echo $! >"$d/coord.pid"
	i5_wait 10 "the TLS API on 10.77.0.2:8772 did not come up: $(tail -n 3 "$d/coord.log")" test -s "$d/api.token"
	sleep 0.5
	tok=$(cat "$d/api.token")
	for path in /metrics /status; do
		code=$(ip netns exec "$VT_NS_COORD" curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$d/api.crt" "https://10.77.0.2:8772$path")
		echo "GET $path without the token on 10.77.0.2 -> $code"
		[[ $code == 401 ]] || fail "GET $path off loopback without the token answered $code, not 401"
		code=$(ip netns exec "$VT_NS_COORD" curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$d/api.crt" \
			-H "Authorization: Bearer $tok" "https://10.77.0.2:8772$path")
		echo "GET $path with the token -> $code"
		[[ $code == 200 ]] || fail "GET $path off loopback with the token answered $code, not 200"
	done
}
