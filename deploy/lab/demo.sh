#!/usr/bin/env bash
# deploy/lab/demo.sh -- `make demo`: one multi-region HTTP-01 check in the lab.
#
# Builds the lab (deploy/lab/lab.sh up), geo-blocks the eu-west vantage at the
# target's firewall, runs `vantage check geo.example.com` from the coordinator
# (table, then --json for a summary) and tears everything down again.
# Exit 0 only if exactly euw1 (eu-west) failed with "Timeout during connect".
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab.sh
DOMAIN=${DEMO_DOMAIN:-geo.example.com}
BLOCK_REGION=eu-west
BLOCK_AGENT=euw1

say() { printf '\n== %s ==\n' "$*"; }
die() {
	echo "demo: $*" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root (the lab uses network namespaces)"
command -v jq >/dev/null || die "jq missing (make deps)"

RUN=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	if [[ -n $RUN ]]; then
		say "tearing the lab down"
		"$LAB" down "$RUN" || true
	fi
	exit "$rc"
}
# traps first: a signal during `lab.sh up` still tears the finished lab down
trap cleanup EXIT
trap 'exit 130' INT TERM
say "building the lab"
RUN=$("$LAB" up) || die "lab up failed"
export VANTAGE_LAB=$RUN
# shellcheck disable=SC1091
source "$RUN/env"

say "geo-blocking $BLOCK_REGION at the target's firewall"
"$LAB" geoblock "$BLOCK_REGION"

say "waiting for all 5 vantages"
"$LAB" wait-agents 5 30 || die "not all agents are up"
vt_vantage agents || true

say "vantage check $DOMAIN"
rc_table=0
vt_vantage check "$DOMAIN" || rc_table=$?
echo "(exit code $rc_table)"

say "the same check as JSON, summarised"
rc=0
json=$(vt_vantage check "$DOMAIN" --json) || rc=$?
if ! jq -e . >/dev/null 2>&1 <<<"$json"; then
	echo "$json" | head -n 20
	die "vantage check --json did not print JSON (exit $rc)"
fi
jq -r '
	"verdict: \(.verdict)  exit_code: \(.exit_code)",
	(.checks[] |
		"\(.domain): \(.verdict); Let'"'"'s Encrypt multi-perspective: \(if .le_multi_perspective.accepted then "accepted" else "rejected" end)",
		(.results[] | "  \(.agent) \(.region) \(.rir)\(if .primary then " (primary)" else "" end): \(.outcome)\(if .problem then " -- \(.problem.detail)" else "" end)"),
		(.findings[]? | "  finding: \(.severity) \(.id) [\(.vantages | join(","))]: \(.summary)"))' <<<"$json"
echo "exit code: $rc"

failing=$(jq -r '[.checks[].results[] | select(.outcome == "fail") | .agent] | join(",")' <<<"$json")
detail=$(jq -r --arg a "$BLOCK_AGENT" '[.checks[].results[] | select(.agent == $a) | .problem.detail // ""] | join(" ")' <<<"$json")

finding=$(jq -r --arg a "$BLOCK_AGENT" '[.checks[].findings[]? | select(.id == "RegionalBlock" and .vantages == [$a])] | length' <<<"$json")

say "result"
if [[ $failing == "$BLOCK_AGENT" && $detail == *"Timeout during connect"* && $finding -ge 1 ]]; then
	echo "demo: OK -- only $BLOCK_AGENT ($BLOCK_REGION) failed, with \"Timeout during connect\", and the finding is RegionalBlock naming it, as the geo-block predicts"
	exit 0
fi
echo "demo: UNEXPECTED -- failing vantages: '${failing:-none}', $BLOCK_AGENT's problem: '${detail:-none}', RegionalBlock findings naming it: ${finding:-0}" >&2
echo "demo: coordinator log (last lines):" >&2
tail -n 20 "$VT_LOGS/coordinator.log" >&2 || true
exit 1
