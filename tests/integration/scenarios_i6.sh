#!/usr/bin/env bash
# tests/integration/scenarios_i6.sh -- issue 6 (self-hosting): enrolment,
# approval, revocation and coordinator key rotation in the lab.  Sourced by
# run.sh after scenarios.sh (fail, expect, ... come from there).
#
# The extra agents run in use1's namespace, as VT_AGENT_USER like the lab's
# own agents, from configurations written the way an operator would: by the
# command `vantage enroll` prints.  Every scenario stops what it started and
# revokes what it enrolled, so the lab is back to its 5 agents afterwards.
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose

I6_WAIT=20 # seconds to wait for one state change (agent retries every 5 s)

# i6_api ARGS...: `vantage ARGS` against the lab's coordinator
i6_api() {
	ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" "$@" --token-file "$VT_TOKEN_FILE"
}

# i6_agents FILE: GET /v1/agents as JSON into FILE
i6_agents() {
	i6_api agents --json >"$1" 2>"$1.err" || fail "vantage agents --json failed: $(head -c 300 "$1.err")"
}

# i6_wait_jq SECS FILE JQ DESCRIPTION: poll `vantage agents --json` until JQ holds
i6_wait_jq() {
	local secs=$1 f=$2 prog=$3 what=$4 i
	for ((i = 0; i < secs * 4; i++)); do
		i6_api agents --json >"$f" 2>/dev/null && jq -e "$prog" "$f" >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	fail "after ${secs}s: $what; vantage agents: $(jq -c '{agents: [.agents[]? | {name, state, region, rir, source}], enrollments}' "$f" 2>/dev/null | head -c 600)"
}

# i6_start_agent PIDFILE LOG ARGS...: vantage-agent ARGS in use1's namespace,
# as the lab's agent user, in the background
i6_start_agent() {
	local pidf=$1 logf=$2 group drop=()
	shift 2
	if [[ -n ${VT_AGENT_USER:-nobody} ]]; then
		group=$(id -gn "${VT_AGENT_USER:-nobody}")
		drop=(setpriv --reuid="${VT_AGENT_USER:-nobody}" --regid="$group" --clear-groups --)
	fi
	ip netns exec "$VT_NS_USE1" "${drop[@]}" "$VT_BIN/vantage-agent" "$@" </dev/null >>"$logf" 2>&1 &
	echo $! >"$pidf"
}

# i6_stop PIDFILE...: TERM, up to 3 s, then KILL
i6_stop() {
	local f pid i
	for f in "$@"; do
		[[ -f $f ]] || continue
		pid=$(cat "$f")
		kill -TERM "$pid" 2>/dev/null || continue
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

# i6_wait_log SECS FILE FIXED-TEXT DESCRIPTION
i6_wait_log() {
	local i
	for ((i = 0; i < $1 * 4; i++)); do
		grep -qF -- "$3" "$2" 2>/dev/null && return 0
		sleep 0.25
	done
	fail "after $1s: $4 (no \"$3\" in $(basename "$2")); last lines: $(tail -n 5 "$2" 2>/dev/null | tr '\n' '|')"
}

# i6_enroll_cmd NAME DIR ARGS...: `vantage enroll NAME ARGS --json`, then the
# printed agent command run for DIR/agent.conf and DIR/keys/agent.key.  The
# command is run as printed; only the file locations are added (and the part
# after && -- systemctl -- left out: the lab has no systemd).
i6_enroll_cmd() {
	local name=$1 dir=$2 cmd
	shift 2
	chmod o+x "$T" # the agents run as VT_AGENT_USER and read below it
	mkdir -p "$dir"
	chmod 0755 "$dir"
	i6_api enroll "$name" "$@" --json >"$dir/enroll.json" 2>"$dir/enroll.err" ||
		fail "vantage enroll $name $* failed: $(head -c 300 "$dir/enroll.err")"
	echo "vantage enroll $name $* ->"
	jq -c 'del(.token)' "$dir/enroll.json"
	cmd=$(jq -r .command "$dir/enroll.json")
	[[ $cmd == "vantage-agent enroll "* ]] || fail "the printed command is not a vantage-agent enroll line: $cmd"
	[[ $cmd == *"--coordinator 'tcp://10.77.0.2:8751'"* ]] ||
		fail "the printed command does not pin the lab's endpoint tcp://10.77.0.2:8751: $cmd"
	[[ $cmd == *"--coordinator-key '$(cat "$VT_KEYS/coordinator.pub")'"* ]] ||
		fail "the printed command does not pin the coordinator's public key: $cmd"
	cmd=${cmd%% && *}
	echo "running: ${cmd//$(jq -r .token "$dir/enroll.json")/TOKEN} --config ... --key-file ..."
	PATH=$VT_BIN:$PATH eval "$cmd" --config "'$dir/agent.conf'" --key-file "'$dir/keys/agent.key'" \
		--user "'${VT_AGENT_USER:-nobody}'" --resolver "'$VT_RESOLVER'" >"$dir/agent-enroll.out" 2>&1 ||
		fail "the printed vantage-agent enroll command failed: $(head -c 400 "$dir/agent-enroll.out")"
	cat "$dir/agent-enroll.out"
	# lab only: the lab's addresses are private (10.77/16), which vantage
	# treats as not public unless told otherwise
	sed -i 's|^};|  treat_as_public = "10.77.0.0/16,fd77::/16";\n};|' "$dir/agent.conf"
}

# ------------------------------------------------------------------ i6 1
# vantage enroll -> the printed command on the new VM -> the agent makes its
# key and dials in -> shows as claimed with that key -> approve -> up with the
# ticket's region and RIR, answers a check -> revoke -> BYE, refused from
# then on, gone from `vantage agents`; the 5 lab agents untouched throughout.
i6_enroll_approve_revoke() {
	local d=$T/i6a key j=$T/i6a/agents.json
	trap 'i6_stop "$T/i6a/agent.pid"; i6_api agents revoke sae1 >/dev/null 2>&1 || true' EXIT
	i6_enroll_cmd sae1 "$d" --region sa-east --rir LACNIC
	[[ -s $d/keys/agent.pub && -s $d/keys/agent.key ]] || fail "vantage-agent enroll made no key pair in $d/keys"
	[[ $(stat -c %a "$d/keys/agent.key") == 600 ]] || fail "agent.key is mode $(stat -c %a "$d/keys/agent.key"), not 600"
	key=$(tr -d '\n' <"$d/keys/agent.pub")
	grep -qF "public key: $key" "$d/agent-enroll.out" || fail "vantage-agent enroll did not print the agent's public key"

	i6_wait_jq 2 "$j" '.enrollments | any(.name == "sae1" and .state == "waiting")' \
		"the ticket for sae1 is not listed as waiting"
	i6_start_agent "$d/agent.pid" "$d/agent.log" --config "$d/agent.conf"
	i6_wait_jq "$I6_WAIT" "$j" ".enrollments | any(.name == \"sae1\" and .state == \"claimed\" and .key == \"$key\")" \
		"sae1 did not show as claimed with its key $key"
	i6_api agents >"$d/agents.txt" 2>&1 || true
	echo "vantage agents (claimed):"
	cat "$d/agents.txt"
	grep -q "sae1" "$d/agents.txt" || fail "the vantage agents table does not show the enrolment"
	jq -e '.agents | any(.name == "sae1") | not' "$j" >/dev/null || fail "sae1 is an agent before approval"

	RC=0
	i6_api agents approve sae1 >"$d/approve.out" 2>&1 || RC=$?
	echo "vantage agents approve sae1 -> exit $RC: $(cat "$d/approve.out")"
	((RC == 0)) || fail "vantage agents approve sae1 exited $RC"
	i6_wait_jq "$I6_WAIT" "$j" '.agents | any(.name == "sae1" and .state == "up" and .region == "sa-east" and .rir == "LACNIC" and .source == "enrolled")' \
		"sae1 is not up as sa-east/LACNIC/enrolled after approval"
	i6_wait_jq 2 "$j" '([.agents[] | select(.state == "up")] | length) == 6 and (.enrollments | length) == 0' \
		"not 6 agents up with no enrolment left"

	vcheck i6a_check --region sa-east --webroot "$VT_WEBROOT_OK" ok.example.com
	expect '[.checks[0].results[] | select(.agent == "sae1")] | length == 1' "the check has no result from sae1"
	expect '.checks[0].results[] | select(.agent == "sae1") | .outcome == "pass"' "sae1 did not pass ok.example.com"

	RC=0
	i6_api agents revoke sae1 --json >"$d/revoke.json" 2>&1 || RC=$?
	echo "vantage agents revoke sae1 --json -> exit $RC: $(cat "$d/revoke.json")"
	((RC == 0)) || fail "vantage agents revoke sae1 exited $RC"
	jq -e '.revoked == true and .was_up == true' "$d/revoke.json" >/dev/null || fail "revoke did not say revoked/was_up"
	i6_wait_log 5 "$d/agent.log" "revoked by the operator" "the agent was not told BYE"
	i6_wait_log "$I6_WAIT" "$VT_LOGS/coordinator.log" "refused unknown CURVE key $key" \
		"the coordinator did not refuse the revoked key when the agent dialled again"
	i6_wait_jq 2 "$j" '(.agents | any(.name == "sae1") | not) and ([.agents[] | select(.state == "up")] | length) == 5' \
		"sae1 still listed, or the 5 lab agents not all up, after revocation"
	[[ -f $VT_RUN/coord/agents.d/sae1.pub.revoked && ! -e $VT_RUN/coord/agents.d/sae1.pub ]] ||
		fail "agents.d/sae1.pub was not moved to sae1.pub.revoked"
	echo "after revoke: $(jq -c '[.agents[] | {name, state}]' "$j")"
}

# ------------------------------------------------------------------ i6 2
# A ticket's token is the only way in: an agent with a wrong token is told
# "enrolment refused", the ticket stays unclaimed, and once the ticket is
# gone an unknown key is refused by ZAP outright.
i6_enroll_wrong_token_refused() {
	local d=$T/i6b j=$T/i6b/agents.json key
	trap 'i6_stop "$T/i6b/agent.pid"; i6_api agents revoke bad1 >/dev/null 2>&1 || true' EXIT
	i6_enroll_cmd bad1 "$d" --region af-south --rir AFRINIC
	sed -i 's|enroll_token = "[0-9A-Za-z]*"|enroll_token = "0123456789abcdef0123456789abcdef"|' "$d/agent.conf"
	grep -q 'enroll_token = "0123456789abcdef0123456789abcdef"' "$d/agent.conf" || fail "could not plant a wrong token"
	key=$(tr -d '\n' <"$d/keys/agent.pub")
	i6_start_agent "$d/agent.pid" "$d/agent.log" --config "$d/agent.conf"
	i6_wait_log "$I6_WAIT" "$d/agent.log" "enrolment refused" "the agent with a wrong token was not refused"
	i6_agents "$j"
	jq -e '.enrollments | any(.name == "bad1" and .state == "waiting")' "$j" >/dev/null ||
		fail "the ticket did not stay unclaimed: $(jq -c .enrollments "$j")"
	jq -e '.agents | any(.name == "bad1") | not' "$j" >/dev/null || fail "bad1 became an agent"
	RC=0
	i6_api agents approve bad1 >"$d/approve.out" 2>&1 || RC=$?
	echo "approve of an unclaimed ticket -> exit $RC: $(cat "$d/approve.out")"
	((RC == 2)) || fail "approving an unclaimed ticket exited $RC, not 2"
	i6_api agents revoke bad1 >/dev/null 2>&1 || fail "could not cancel the bad1 ticket"
	i6_wait_log "$I6_WAIT" "$VT_LOGS/coordinator.log" "refused unknown CURVE key $key" \
		"with no ticket open, ZAP did not refuse the unknown key"
}

# ------------------------------------------------------------------ i6 3
# Coordinator key rotation as docs/deploy.md describes it, on a second
# coordinator in the lab's coordinator namespace: agent rot1 accepts
# [OLD, NEW], agent ctl1 only [OLD].  Both register while the coordinator
# uses OLD; after it restarts with NEW, rot1 moves to NEW on its own and
# ctl1 stays out.
i6_coordinator_key_rotation() {
	local d=$T/i6c n
	trap 'i6_stop "$T/i6c/rot1.pid" "$T/i6c/ctl1.pid" "$T/i6c/coord.pid"' EXIT
	mkdir -p "$d/keys" "$d/agents.d" "$d/state"
	chmod o+x "$T" # the agents run as VT_AGENT_USER and read below it
	chmod 0755 "$d" "$d/keys"
	for n in old new rot1 ctl1; do
		"$VT_BIN/vantage" keygen "$n" --dir "$d/keys" >/dev/null || fail "vantage keygen $n failed"
	done
	cp "$d/keys/rot1.pub" "$d/keys/ctl1.pub" "$d/agents.d/"
	chown "${VT_AGENT_USER:-nobody}" "$d/keys/rot1.key" "$d/keys/ctl1.key"
	i6_coord_conf() { # KEYNAME
		cat >"$d/coord.conf" <<-EOF
			coordinator: {
			  agent_endpoint = "tcp://10.77.0.2:8761";
			  key_file = "$d/keys/$1.key";
			  allowlist_dir = "$d/agents.d";
			  state_dir = "$d/state";
			  api_listen = "127.0.0.1:8760";
			  api_token_file = "$d/api.token";
			  heartbeat_ivl_ms = 250;
			  liveness = 3;
			};
			agents = (
			  { name = "rot1"; region = "us-east"; rir = "ARIN"; primary = true; },
			  { name = "ctl1"; region = "us-west"; rir = "ARIN"; }
			);
		EOF
	}
	i6_agent_conf() { # NAME KEYS-LIST
		cat >"$d/$1.conf" <<-EOF
			agent: {
			  coordinator = "tcp://10.77.0.2:8761";
			  coordinator_public_key = $2;
			  key_file = "$d/keys/$1.key";
			  resolver = "$VT_RESOLVER";
			  treat_as_public = "10.77.0.0/16,fd77::/16";
			};
		EOF
	}
	i6_c2() { ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" agents --coordinator http://127.0.0.1:8760 --token-file "$d/api.token" --json; }
	i6_c2_wait() { # SECS JQ DESCRIPTION
		local i
		for ((i = 0; i < $1 * 4; i++)); do
			i6_c2 >"$d/agents.json" 2>/dev/null && jq -e "$2" "$d/agents.json" >/dev/null 2>&1 && return 0
			sleep 0.25
		done
		echo "-- coord.log"; tail -n 8 "$d/coord.log"
		echo "-- rot1.log"; tail -n 8 "$d/rot1.log"
		echo "-- ctl1.log"; tail -n 4 "$d/ctl1.log"
		fail "after $1s: $3; second coordinator lists $(jq -c '[.agents[]? | {name, state}]' "$d/agents.json" 2>/dev/null)"
	}
	i6_coord_conf old
	i6_agent_conf rot1 "[ \"$d/keys/old.pub\", \"$d/keys/new.pub\" ]"
	i6_agent_conf ctl1 "\"$d/keys/old.pub\""

	ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" serve --config "$d/coord.conf" </dev/null >>"$d/coord.log" 2>&1 &
	echo $! >"$d/coord.pid"
	i6_start_agent "$d/rot1.pid" "$d/rot1.log" --config "$d/rot1.conf"
	i6_start_agent "$d/ctl1.pid" "$d/ctl1.log" --config "$d/ctl1.conf"
	i6_c2_wait "$I6_WAIT" '[.agents[] | select(.state == "up")] | length == 2' "rot1 and ctl1 not both up with the OLD key"
	echo "coordinator on OLD key: $(jq -c '[.agents[] | {name, state}]' "$d/agents.json")"

	# the rotation: the coordinator restarts with the NEW key
	i6_stop "$d/coord.pid"
	i6_coord_conf new
	ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" serve --config "$d/coord.conf" </dev/null >>"$d/coord.log" 2>&1 &
	echo $! >"$d/coord.pid"
	i6_c2_wait 30 '.agents | any(.name == "rot1" and .state == "up")' "rot1 did not come back on the NEW key"
	grep -F "trying coordinator key #2 of 2" "$d/rot1.log" | head -n 1
	grep -qF "trying coordinator key #2 of 2" "$d/rot1.log" || fail "rot1's log does not show the move to key #2"
	sleep 3 # ctl1 has had several tries by now
	i6_c2 >"$d/agents.json" 2>/dev/null || fail "second coordinator's API did not answer"
	jq -e '.agents | any(.name == "ctl1" and .state != "up")' "$d/agents.json" >/dev/null ||
		fail "ctl1, which only knows the OLD key, is up on the NEW one"
	echo "coordinator on NEW key: $(jq -c '[.agents[] | {name, state}]' "$d/agents.json")"
	echo "ctl1: $(grep -c 'lost' "$d/ctl1.log") lost sessions; last: $(grep 'lost' "$d/ctl1.log" | tail -n 1)"
}
