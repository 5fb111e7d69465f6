#!/usr/bin/env bash
# bench/run.sh -- `make bench`: HTTP-01 probes per second and peak RSS of ONE
# vantage-agent, side by side in the same run with prometheus-blackbox-exporter,
# both in the us-east vantage's namespace, both against the lab's nginx.
#
#   agent:    `vantage check bench1..benchN.example.com --region us-east
#              --webroot RUN/www/ok` (N <= 32 per call) in BENCH_AGENT_PAR
#             parallel loops for BENCH_SECONDS; probes = results that passed.
#   blackbox: /probe?module=http_2xx&target=URL driven by one curl --parallel
#             (BENCH_BLACKBOX_CONC transfers at once) for BENCH_SECONDS;
#             probes = HTTP 200 answers (probe_success is checked on samples).
#   RSS:      VmHWM from /proc/PID/status of the agent and of the exporter.
#
# Bounded: each phase BENCH_SECONDS (default 20), the whole run well under 3 min.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/deploy/lab/lab.sh
BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_DOMAINS=${BENCH_DOMAINS:-32}
BENCH_AGENT_PAR=${BENCH_AGENT_PAR:-4}
BENCH_BLACKBOX_CONC=${BENCH_BLACKBOX_CONC:-32}
BENCH_BLACKBOX_PORT=${BENCH_BLACKBOX_PORT:-9115}
TOKEN=bench-token # RUN/www/ok/.well-known/acme-challenge/bench-token (lab.sh), for blackbox

die() {
	echo "bench: $*" >&2
	exit 1
}
now() { date +%s.%N; }

[[ $(id -u) -eq 0 ]] || die "must run as root (the lab uses network namespaces)"
((BENCH_SECONDS >= 1 && BENCH_SECONDS <= 60)) || die "BENCH_SECONDS must be 1..60"
((BENCH_DOMAINS >= 1 && BENCH_DOMAINS <= 32)) || die "BENCH_DOMAINS must be 1..32"
((BENCH_AGENT_PAR >= 1 && BENCH_AGENT_PAR <= 16)) || die "BENCH_AGENT_PAR must be 1..16"
((BENCH_BLACKBOX_CONC >= 1 && BENCH_BLACKBOX_CONC <= 256)) || die "BENCH_BLACKBOX_CONC must be 1..256"
for t in jq curl prometheus-blackbox-exporter awk; do
	command -v "$t" >/dev/null || die "missing $t (make deps)"
done

RUN=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	if [[ -n $RUN ]]; then
		"$LAB" down "$RUN" >/dev/null 2>&1 || "$LAB" down "$RUN"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "bench: building the lab (one agent: use1, us-east)"
RUN=$(VT_START_AGENTS=use1 VT_NGINX_ACCESS_LOG=off VT_JOB_BUDGET_MS=20000 "$LAB" up) || die "lab up failed"
export VANTAGE_LAB=$RUN
# shellcheck disable=SC1091
source "$RUN/env"
B=$RUN/bench
mkdir -p "$B"

domains=()
for ((i = 1; i <= BENCH_DOMAINS; i++)); do domains+=("bench$i.example.com"); done

agent_pid=$(vt_agent_pid use1)
[[ -n $agent_pid && -d /proc/$agent_pid ]] || die "use1's agent is not running"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; } # kB
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; } # kB

# ---- agent side ----
one_check() { # OUT
	ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" check --token-file "$VT_TOKEN_FILE" --json \
		--region us-east --min-answers 1 --no-caa --webroot "$VT_WEBROOT_OK" "${domains[@]}" >"$1" 2>>"$B/agent-cli.err" || true
}
# passes in --json documents, counted with grep so that one broken document
# cannot spoil the count (checked against jq on the warm-up document)
count_pass() { cat "$@" 2>/dev/null | grep -c '"outcome": *"pass"' || true; }
count_all() { cat "$@" 2>/dev/null | grep -c '"outcome": *"' || true; }
one_check "$B/warmup.json" # also fills the agent's DNS cache, like the exporter's first probes
warm=$(jq '[.checks[].results[] | select(.outcome == "pass")] | length' "$B/warmup.json" 2>/dev/null || echo 0)
((warm == BENCH_DOMAINS)) ||
	die "warm-up check: $warm of $BENCH_DOMAINS passed: $(head -c 600 "$B/warmup.json") $(tail -n 3 "$B/agent-cli.err" 2>/dev/null)"
[[ $(count_pass "$B/warmup.json") == "$warm" && $(count_all "$B/warmup.json") == "$warm" ]] ||
	die "the --json layout changed: grep counts $(count_pass "$B/warmup.json")/$(count_all "$B/warmup.json"), jq $warm"
agent_idle_rss=$(rss "$agent_pid")

echo "bench: agent phase: ${BENCH_SECONDS}s, $BENCH_AGENT_PAR parallel checks x $BENCH_DOMAINS domains"
agent_loop() { # WORKER DEADLINE
	local w=$1 deadline=$2 n
	for ((n = 0; n < 100000; n++)); do
		[[ $(date +%s%N) -lt $deadline ]] || break
		one_check "$B/a-$w-$n.json"
	done
}
t0=$(now)
deadline=$(($(date +%s%N) + BENCH_SECONDS * 1000000000))
pids=()
for ((w = 0; w < BENCH_AGENT_PAR; w++)); do
	agent_loop "$w" "$deadline" &
	pids+=($!)
done
wait "${pids[@]}"
t1=$(now)
agent_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
agent_calls=$(find "$B" -name 'a-*.json' | wc -l)
agent_ok=$(count_pass "$B"/a-*.json)
agent_all=$(count_all "$B"/a-*.json)
agent_errs=$(grep -c . "$B/agent-cli.err" 2>/dev/null || true)
agent_hwm=$(hwm "$agent_pid")

# ---- blackbox side ----
cat >"$B/blackbox.yml" <<EOF
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
      valid_status_codes: [200]
      no_follow_redirects: false
EOF
ip netns exec "$VT_NS_USE1" prometheus-blackbox-exporter --config.file="$B/blackbox.yml" \
	--web.listen-address="127.0.0.1:$BENCH_BLACKBOX_PORT" --log.level=warn \
	</dev/null >"$VT_LOGS/blackbox.log" 2>&1 &
bb_pid=$!
echo "$bb_pid" >"$RUN/pids/blackbox.pid" # lab.sh down stops it too
probe_url() { echo "http://127.0.0.1:$BENCH_BLACKBOX_PORT/probe?module=http_2xx&target=http://$1/.well-known/acme-challenge/$TOKEN"; }
up=0
for ((i = 0; i < 50; i++)); do # <= 10 s
	if vt_exec use1 curl -fsS -m 2 "$(probe_url bench1.example.com)" 2>/dev/null | grep -q '^probe_success 1'; then
		up=1
		break
	fi
	sleep 0.2
done
((up)) || die "blackbox exporter did not answer with probe_success 1: $(tail -n 5 "$VT_LOGS/blackbox.log")"
for d in "${domains[@]}"; do # warm-up and correctness: every target succeeds
	vt_exec use1 curl -fsS -m 5 "$(probe_url "$d")" | grep -q '^probe_success 1' || die "blackbox probe of $d failed"
done
bb_idle_rss=$(rss "$bb_pid")

echo "bench: blackbox phase: ${BENCH_SECONDS}s, curl --parallel-max $BENCH_BLACKBOX_CONC"
# enough URLs for 5000 probes/s; the run is cut at BENCH_SECONDS either way
n_urls=$((BENCH_SECONDS * 5000))
printf '%s\n' "${domains[@]}" | awk -v n="$n_urls" -v port="$BENCH_BLACKBOX_PORT" -v tok="$TOKEN" '
	{ d[NR - 1] = $0 }
	END {
		for (i = 0; i < n; i++)
			printf "url = \"http://127.0.0.1:%s/probe?module=http_2xx&target=http://%s/.well-known/acme-challenge/%s\"\noutput = \"/dev/null\"\n", port, d[i % NR], tok
	}' >"$B/curl.cfg"
t0=$(now)
# -w goes to (unbuffered) stderr so that nothing is lost when timeout stops curl
vt_exec use1 timeout "$BENCH_SECONDS" curl -s --no-progress-meter --parallel --parallel-immediate \
	--parallel-max "$BENCH_BLACKBOX_CONC" -m 10 -w '%{stderr}%{http_code}\n' -K "$B/curl.cfg" \
	>/dev/null 2>"$B/curl.out" || true
t1=$(now)
bb_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
bb_ok=$(grep -c '^200$' "$B/curl.out" || true)
bb_all=$(wc -l <"$B/curl.out")
bb_hwm=$(hwm "$bb_pid")
# spot check after the load: still succeeding?
vt_exec use1 curl -fsS -m 5 "$(probe_url bench1.example.com)" | grep -q '^probe_success 1' ||
	echo "bench: warning: blackbox probe failed after the load phase" >&2

# ---- report ----
agent_rate=$(awk -v n="$agent_ok" -v s="$agent_secs" 'BEGIN { printf "%.0f", n / s }')
bb_rate=$(awk -v n="$bb_ok" -v s="$bb_secs" 'BEGIN { printf "%.0f", n / s }')
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

echo
echo "HTTP-01 probes against the lab's nginx (same machine, same run, use1's namespace)"
printf '%-30s %12s %12s %12s\n' "" "vantage-agent" "blackbox" "agent/bb"
printf '%-30s %12s %12s %12s\n' "probes ok / attempted" "$agent_ok/$agent_all" "$bb_ok/$bb_all" ""
printf '%-30s %12s %12s %12s\n' "wall time (s)" "$agent_secs" "$bb_secs" ""
printf '%-30s %12s %12s %12s\n' "probes per second" "$agent_rate" "$bb_rate" "$(ratio "$agent_rate" "$bb_rate")"
printf '%-30s %12s %12s %12s\n' "RSS idle (MB)" "$(mb "$agent_idle_rss")" "$(mb "$bb_idle_rss")" "$(ratio "$agent_idle_rss" "$bb_idle_rss")"
printf '%-30s %12s %12s %12s\n' "peak RSS, VmHWM (MB)" "$(mb "$agent_hwm")" "$(mb "$bb_hwm")" "$(ratio "$agent_hwm" "$bb_hwm")"
echo
echo "agent: $agent_calls \`vantage check\` calls ($BENCH_AGENT_PAR in parallel, $BENCH_DOMAINS domains each) through the"
echo "       coordinator; a probe = recursive DNS from the lab root (libunbound, DNSSEC) + GET + key-authorization match."
echo "blackbox: module http_2xx, $BENCH_BLACKBOX_CONC concurrent /probe requests; a probe = DNS (stub, uncached) + GET."
((agent_errs == 0)) || echo "bench: $agent_errs lines on the CLI's stderr, e.g.: $(head -n 2 "$B/agent-cli.err")" >&2
((agent_ok > 0)) || die "no agent probe passed"
((bb_ok > 0)) || die "no blackbox probe succeeded"
