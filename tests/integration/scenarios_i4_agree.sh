#!/usr/bin/env bash
# tests/integration/scenarios_i4_agree.sh -- issue 4, agreement: Pebble's own
# validation and vantage's agent, from the same namespace, say the same thing.
# Sourced by run.sh after scenarios.sh (fail, b64url, ... come from there).
#
# Pebble 2.4.0 (the lab's CA) runs in use1's namespace, where the us-east
# agent runs too.  Each case drives Pebble with a real ACME client (certbot
# --manual, in the target namespace where the web server is) whose auth hook
# sets the case up (right content, nothing, wrong content, a wrong TXT
# record), then asks the us-east vantage for its verdict on the very same
# challenge (`vantage check --region us-east --json`), and returns so that
# certbot answers the challenge and Pebble validates.  Then:
#   Pebble's outcome = the authorization's final status (Pebble's log: "authz
#     ... set VALID|INVALID") and the challenge's error (certbot's "Type:" and
#     "Detail:" lines: what the CA reported);
#   the agent's verdict = the use1 row of the check.
# Pebble valid <=> the agent passed, and when both fail the problem types
# match -- except where Pebble 2.4.0 knowingly differs from Let's Encrypt: the
# case then says what Pebble did (measured in this run) and checks that the
# agent follows Let's Encrypt's rule instead.  i4_agree_table prints the table
# of every case and the differences measured (VERBOSE=1 shows it on a pass).
# See docs/pebble-agreement.md.
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# shellcheck disable=SC2034  # TIMEOUT_* are read by run.sh through ${!name}

I4_AGREE_SCENARIOS=(
	i4_agree_reachable
	i4_agree_geoblocked_ca
	i4_agree_404
	i4_agree_wrong_content
	i4_agree_badport_redirect
	i4_agree_txt_missing
	i4_agree_txt_wrong_digest
	i4_agree_table
)
# Pebble's HTTP-01 gives up on a dropped SYN after its 15 s client timeout
TIMEOUT_i4_agree_geoblocked_ca=120

AGREE_CERTBOT_TIMEOUT=75 # seconds, one certbot run (hook and Pebble's validation included)
AGREE_BADPORT=8443       # where nginx redirects badport.example.com's challenge (templates/nginx.conf.in)
AGREE_CASES=(reachable geoblocked_ca 404 wrong_content badport_redirect txt_missing txt_wrong_digest)

agree_base() { echo "$T/agree"; }

# agree_hook: write the certbot --manual-auth-hook (POSIX sh) once; prints its path.
# Environment (set by agree_certbot): AGREE_DIR, AGREE_MODE (right, wrong,
# none, txt-wrong), AGREE_METHOD, AGREE_WRONG, VANTAGE, VANTAGE_TOKEN_FILE,
# VT_WEBROOT_OK, VT_LAB_SH, VANTAGE_LAB, VT_RESOLVER.
agree_hook() {
	local h
	h=$(agree_base)/certbot-auth-hook
	mkdir -p "$(agree_base)"
	[[ -x $h ]] && {
		echo "$h"
		return 0
	}
	cat >"$h" <<-'EOF'
		#!/bin/sh
		# certbot --manual-auth-hook for tests/integration/scenarios_i4_agree.sh:
		# set the case up, ask the us-east vantage (Pebble's namespace) for its
		# verdict on this very challenge, then return 0 so that certbot answers
		# the challenge and Pebble validates.
		set -u
		printf '%s\n' "${CERTBOT_TOKEN:-}" >"$AGREE_DIR/token"
		printf '%s\n' "$CERTBOT_VALIDATION" >"$AGREE_DIR/validation"
		dir=$VT_WEBROOT_OK/.well-known/acme-challenge
		case $AGREE_MODE in
		right | wrong)
			mkdir -p "$dir"
			if [ "$AGREE_MODE" = right ]; then
				printf '%s' "$CERTBOT_VALIDATION" >"$dir/$CERTBOT_TOKEN"
			else
				printf 'not-%s' "$CERTBOT_VALIDATION" >"$dir/$CERTBOT_TOKEN"
			fi
			chmod 644 "$dir/$CERTBOT_TOKEN"
			;;
		none) ;; # nothing written (404) or published (no TXT)
		txt-wrong)
			"$VT_LAB_SH" dns-set both "_acme-challenge.$CERTBOT_DOMAIN" TXT "\"$AGREE_WRONG\"" \
				>>"$AGREE_DIR/hook.log" 2>&1
			# as a careful client would: wait until the lab resolver (Pebble's)
			# serves it, past any cached denial (bounded: 20 x 1 s)
			i=0
			until kdig @"$VT_RESOLVER" +short TXT "_acme-challenge.$CERTBOT_DOMAIN" 2>/dev/null |
				grep -qF "$AGREE_WRONG"; do
				i=$((i + 1))
				if [ "$i" -ge 20 ]; then
					echo "the lab resolver does not serve the TXT record after 20 s" >"$AGREE_DIR/hook.error"
					break
				fi
				sleep 1
			done
			;;
		*) echo "unknown AGREE_MODE $AGREE_MODE" >"$AGREE_DIR/hook.error" ;;
		esac
		if [ "$AGREE_METHOD" = dns-01 ]; then
			set -- --txt "$CERTBOT_VALIDATION" # certbot gives dns-01 hooks the TXT value
		else
			set -- --key-authorization "$CERTBOT_VALIDATION"
		fi
		rc=0
		# shellcheck disable=SC2086  # $VANTAGE is a command line ("ip netns exec NS .../vantage")
		timeout 60 $VANTAGE check "$CERTBOT_DOMAIN" --method "$AGREE_METHOD" "$@" --region us-east \
			--min-answers 1 --no-caa --json >"$AGREE_DIR/check.json" 2>"$AGREE_DIR/check.err" || rc=$?
		echo "$rc" >"$AGREE_DIR/check.rc"
		exit 0
	EOF
	chmod 755 "$h"
	echo "$h"
}

# agree_ts LINE: the Unix time of one Pebble log line ("Pebble 2026/11/24 15:35:41 ...")
agree_ts() { date -d "$(echo "$1" | awk '{print $2, $3}')" +%s 2>/dev/null || echo 0; }

# one line, no tabs (the rows file is tab-separated)
agree_flat() { tr '\t\n' '  ' | sed 's/ *$//'; }

# agree_certbot CASE DOMAIN METHOD MODE: run certbot against Pebble for DOMAIN
# with the hook in MODE; leaves in $(agree_base)/CASE: certbot.out, pebble.log
# (Pebble's log lines of this run), check.json, and pebble.{status,type,detail,
# secs,n}, agent.{outcome,type,detail}; sets AD to that directory.
agree_certbot() {
	local case=$1 domain=$2 method=$3 mode=$4 hook pref n0 a0 rc=0 t0 t1 line
	AD=$(agree_base)/$case
	hook=$(agree_hook)
	rm -rf "$AD"
	mkdir -p "$AD"
	command -v certbot >/dev/null || fail "$case: certbot is not installed (make deps)"
	[[ -n ${VT_PEBBLE_DIR:-} && -f ${VT_PEBBLE_LOG:-} ]] || fail "$case: the lab runs no Pebble (VT_PEBBLE=1)"
	pref=http
	[[ $method == dns-01 ]] && pref=dns
	n0=$(wc -l <"$VT_PEBBLE_LOG")
	a0=$(wc -l <"$VT_LOGS/nginx-access.log" 2>/dev/null || echo 0)
	echo "== $case: certbot --manual ($method) for $domain against Pebble $VT_PEBBLE_DIR (hook mode: $mode)"
	# certbot in the target namespace (where the web server is), pointed at
	# Pebble only; the hook runs vantage in the coordinator's namespace
	timeout "$AGREE_CERTBOT_TIMEOUT" ip netns exec "$VT_NS_TARGET" env \
		REQUESTS_CA_BUNDLE="$VT_PEBBLE_API_CA" AGREE_DIR="$AD" AGREE_MODE="$mode" AGREE_METHOD="$method" \
		AGREE_WRONG="${AGREE_WRONG:-}" VANTAGE="ip netns exec $VT_NS_COORD $VT_BIN/vantage" \
		VANTAGE_TOKEN_FILE="$VT_TOKEN_FILE" VT_WEBROOT_OK="$VT_WEBROOT_OK" VT_LAB_SH="$VT_LAB_SH" \
		VANTAGE_LAB="$VT_RUN" VT_RESOLVER="$VT_RESOLVER" \
		certbot certonly --manual --preferred-challenges "$pref" -d "$domain" \
		--manual-auth-hook "$hook" --server "$VT_PEBBLE_DIR" \
		--config-dir "$AD/etc" --work-dir "$AD/work" --logs-dir "$AD/logs" \
		--register-unsafely-without-email --agree-tos -n >"$AD/certbot.out" 2>&1 || rc=$?
	tail -n +"$((n0 + 1))" "$VT_PEBBLE_LOG" >"$AD/pebble.log"
	tail -n +"$((a0 + 1))" "$VT_LOGS/nginx-access.log" >"$AD/nginx-access.log" 2>/dev/null || true
	echo "certbot exit $rc"
	[[ -f $AD/hook.error ]] && fail "$case: the auth hook: $(cat "$AD/hook.error")"
	[[ -s $AD/check.json ]] || fail "$case: the auth hook's vantage check gave no document (certbot exit $rc): $(head -c 300 "$AD/check.err" 2>/dev/null); certbot: $(tail -n 5 "$AD/certbot.out" | tr '\n' '|')"
	grep -q 'POST /chalZ/' "$AD/pebble.log" ||
		fail "$case: certbot never answered the challenge (no POST /chalZ/ in Pebble's log); certbot: $(tail -n 8 "$AD/certbot.out" | tr '\n' '|')"

	# Pebble's outcome: the authorization's status, from Pebble itself ...
	line=$(grep -E 'authz [^ ]+ set (VALID|INVALID)' "$AD/pebble.log" | tail -n 1)
	case $line in
	*"set VALID"*) echo valid >"$AD/pebble.status" ;;
	*"set INVALID"*) echo invalid >"$AD/pebble.status" ;;
	*) fail "$case: Pebble did not decide the authorization (no \"authz ... set VALID/INVALID\" in its log); certbot exit $rc: $(tail -n 5 "$AD/certbot.out" | tr '\n' '|')" ;;
	esac
	t0=$(agree_ts "$(grep -m1 'POST /chalZ/' "$AD/pebble.log")")
	t1=$(agree_ts "$line")
	echo $((t1 - t0)) >"$AD/pebble.secs"
	grep -oE 'Starting [0-9]+ validations' "$AD/pebble.log" | head -n 1 | awk '{print $2}' >"$AD/pebble.n"
	# ... and the challenge's error as the CA reported it to the client
	sed -n 's/^ *Type: *//p' "$AD/certbot.out" | head -n 1 | sed 's/^urn:ietf:params:acme:error://' >"$AD/pebble.type"
	sed -n 's/^ *Detail: *//p' "$AD/certbot.out" | head -n 1 | agree_flat >"$AD/pebble.detail"
	if [[ $(cat "$AD/pebble.status") == invalid && ! -s $AD/pebble.type ]]; then
		fail "$case: Pebble set the authorization INVALID but certbot printed no Type:/Detail: lines: $(tail -n 8 "$AD/certbot.out" | tr '\n' '|')"
	fi
	if [[ $(cat "$AD/pebble.status") == valid ]] && ((rc != 0)); then
		fail "$case: Pebble set the authorization VALID but certbot exited $rc: $(tail -n 5 "$AD/certbot.out" | tr '\n' '|')"
	fi

	# the agent's verdict: use1's row, the same challenge, from the same namespace
	J=$AD/check.json
	jq -e --arg m "$method" '[.checks[] | select(.method == $m) | .results[] | select(.agent == "use1")] | length == 1' \
		"$J" >/dev/null 2>&1 || fail "$case: the check has no single use1 result for $method: $(summary "$J")"
	jq -e --arg m "$method" '.checks[] | select(.method == $m) | .results[] | select(.agent == "use1") |
		.region == "us-east" and .primary == true' "$J" >/dev/null ||
		fail "$case: use1 is not the us-east primary in the check: $(summary "$J")"
	jq -r --arg m "$method" '.checks[] | select(.method == $m) | .results[] | select(.agent == "use1") | .outcome' "$J" >"$AD/agent.outcome"
	jq -r --arg m "$method" '.checks[] | select(.method == $m) | .results[] | select(.agent == "use1") | .problem.type // ""' "$J" |
		sed 's/^urn:ietf:params:acme:error://' >"$AD/agent.type"
	jq -r --arg m "$method" '.checks[] | select(.method == $m) | .results[] | select(.agent == "use1") | .problem.detail // ""' "$J" |
		agree_flat >"$AD/agent.detail"
	echo "Pebble: authz $(cat "$AD/pebble.status")$(sed 's/^./ &/' "$AD/pebble.type") after $(cat "$AD/pebble.secs") s ($(cat "$AD/pebble.n") validations)"
	[[ -s $AD/pebble.detail ]] && echo "  Pebble's detail: $(cat "$AD/pebble.detail")"
	echo "agent use1 (us-east): $(cat "$AD/agent.outcome")$(sed 's/^./ &/' "$AD/agent.type") (vantage check exit $(cat "$AD/check.rc" 2>/dev/null))"
	[[ -s $AD/agent.detail ]] && echo "  agent's detail:  $(cat "$AD/agent.detail")"
	return 0
}

# agree_note CASE TEXT: a measured difference between Pebble 2.4.0 and LE
agree_note() {
	printf '%s\t%s\n' "$1" "$(echo "$2" | agree_flat)" >>"$(agree_base)/notes"
	echo "NOTE: $2"
}

# agree_judge CASE LABEL WANT LE_TYPE LE_DETAIL KNOWN
#   WANT pass|fail: what Let's Encrypt's rule gives (the agent must say it,
#   with problem type LE_TYPE and a detail containing LE_DETAIL);
#   KNOWN: empty when Pebble must agree with the agent, else the sentence
#   saying how Pebble 2.4.0 knowingly differs from LE here.
# Writes the case's row, then fails on a disagreement or a broken LE rule.
agree_judge() {
	local case=$1 label=$2 want=$3 le_type=$4 le_detail=$5 known=$6
	local ps pt pd ao at ad agree le_ok=yes why=""
	ps=$(cat "$AD/pebble.status")
	pt=$(cat "$AD/pebble.type")
	pd=$(cat "$AD/pebble.detail")
	ao=$(cat "$AD/agent.outcome")
	at=$(cat "$AD/agent.type")
	ad=$(cat "$AD/agent.detail")

	# the agent against Let's Encrypt's rule
	if [[ $want == pass ]]; then
		[[ $ao == pass ]] || {
			le_ok=BROKEN
			why="the agent says $ao ($at: $ad); Let's Encrypt's rule: pass"
		}
	elif [[ $ao != fail || $at != "$le_type" || $ad != *"$le_detail"* ]]; then
		le_ok=BROKEN
		why="the agent says $ao ($at: $ad); Let's Encrypt's rule: fail, $le_type, \"$le_detail\""
	fi

	# Pebble against the agent
	local p_ok=0 a_ok=0
	[[ $ps == valid ]] && p_ok=1
	[[ $ao == pass ]] && a_ok=1
	if ((p_ok == a_ok)) && { ((p_ok == 1)) || [[ $pt == "$at" ]]; }; then
		agree=yes
		[[ -n $known ]] && agree_note "$case" "$label: Pebble 2.4.0 agrees with Let's Encrypt here after all ($ps $pt), although it is expected to differ: $known"
	elif [[ -n $known ]]; then
		if ((p_ok == a_ok)); then
			agree="yes (outcome); type $pt vs $at: known Pebble difference, LE's rule checked"
		else
			agree="no: known Pebble difference, LE's rule checked"
		fi
		agree_note "$case" "$label: $known"
	else
		agree=NO
		[[ -z $why ]] && why="Pebble says $ps${pt:+ ($pt: $pd)} but the agent says $ao${at:+ ($at: $ad)}"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$ps${pt:+ $pt}" "$ao${at:+ $at}" "$agree" "$le_ok" \
		"${pd:--}" "${ad:--}" >>"$(agree_base)/rows.$case"
	echo "agree: $agree; the agent follows Let's Encrypt's rule: $le_ok"
	[[ $agree != NO ]] || fail "$label: Pebble and the agent disagree: $why"
	[[ $le_ok == yes ]] || fail "$label: the agent does not follow Let's Encrypt's rule: $why"
}

# agree_http_counts CASE LABEL: who fetched the challenge (nginx's access log,
# by User-Agent): Pebble's and the agent's requests
agree_http_counts() {
	local tok np na src
	tok=$(cat "$AD/token")
	np=$(grep -F "/$tok " "$AD/nginx-access.log" | grep -cF 'LetsEncrypt-Pebble-VA' || true)
	na=$(grep -F "/$tok " "$AD/nginx-access.log" | grep -cF "Let's Encrypt validation server" || true)
	src=$(grep -F "/$tok " "$AD/nginx-access.log" | grep -F 'LetsEncrypt-Pebble-VA' | awk '{print $1}' | sort -u | paste -sd, -)
	echo "nginx saw $np request(s) from Pebble (from ${src:-nowhere}) and $na from the agent for this token"
	echo "$np $na ${src:-none}" >"$AD/http.counts"
}

# ------------------------------------------------------------------ i4 agree 1
# geo.example.com serving the right key authorization: both pass.
i4_agree_reachable() {
	local tok ua np na src url codes
	trap 'rm -f "$VT_WEBROOT_OK/.well-known/acme-challenge/$(cat "$(agree_base)/reachable/token" 2>/dev/null)"' EXIT
	agree_certbot reachable geo.example.com http-01 right
	agree_http_counts
	read -r np na src <"$AD/http.counts"
	tok=$(cat "$AD/token")
	ua=$(grep -F "/$tok " "$AD/nginx-access.log" | grep -F 'LetsEncrypt-Pebble-VA' | head -n 1 | awk -F'"' '{print $6}')
	url=$(grep -m1 -oE 'Attempting to validate w/ HTTP: [^ ]+' "$AD/pebble.log" | sed 's/.*HTTP: //')
	codes=$(grep -F "/$tok " "$AD/nginx-access.log" | grep -F 'LetsEncrypt-Pebble-VA' | awk '{print $9}' | sort -u | paste -sd, -)
	agree_note reachable "validations: Pebble validated $(cat "$AD/pebble.n") times, all from its own namespace and at once (nginx saw $np request(s) with User-Agent \"$ua\" from $src, status $codes); Let's Encrypt validates from its primary, then from 4+ remote perspectives in 2+ RIRs, each with its own resolver, and applies a quorum (the us-east agent made $na request(s) with LE's User-Agent; vantage's other agents play the remotes)"
	agree_note reachable "HTTP-01 URL: Pebble fetched ${url//$tok/TOKEN} (explicit :80, the lab's httpPort; Pebble's default is 5002); LE and the agent fetch http://geo.example.com/.well-known/acme-challenge/TOKEN (no port)"
	agree_judge reachable "reachable" pass "" "" ""
}

# ------------------------------------------------------------------ i4 agree 2
# use1 (us-east, Pebble's namespace) geo-blocked from geo.example.com: both
# time out at connect.
i4_agree_geoblocked_ca() {
	local ams
	trap '"$LAB" unblock >/dev/null 2>&1; rm -f "$VT_WEBROOT_OK/.well-known/acme-challenge/$(cat "$(agree_base)/geoblocked_ca/token" 2>/dev/null)"' EXIT
	"$LAB" geoblock us-east || fail "lab.sh geoblock us-east failed"
	agree_certbot geoblocked_ca geo.example.com http-01 right
	ams=$(jq -r '.checks[0].results[] | select(.agent == "use1") | .duration_ms' "$AD/check.json")
	agree_note geoblocked_ca "connect timeout: Pebble gave up after $(cat "$AD/pebble.secs") s (its one client timeout for the whole fetch is 15 s) and reported Go's raw error \"$(cat "$AD/pebble.detail")\"; Let's Encrypt says \"<ip>: Fetching <url>: Timeout during connect (likely firewall problem)\" after its 10 s dial timeout, as the agent did after ${ams} ms (the lab's dial_timeout_ms is ${VT_DIAL_TIMEOUT_MS:-3000})"
	agree_judge geoblocked_ca "geo-blocked CA (us-east)" fail connection "Timeout during connect (likely firewall problem)" ""
}

# ------------------------------------------------------------------ i4 agree 3
# nothing written: nginx answers 404.
i4_agree_404() {
	local pd ad tok bytes
	agree_certbot 404 geo.example.com http-01 none
	tok=$(cat "$AD/token")
	bytes=$(grep -F "/$tok " "$AD/nginx-access.log" | grep -F 'LetsEncrypt-Pebble-VA' | awk '$9 == 404 {print $10}' | head -n 1)
	pd=$(cat "$AD/pebble.detail")
	ad=$(cat "$AD/agent.detail")
	agree_note 404 "non-200: Pebble says \"${pd//$tok/TOKEN}\" (it checks the status first); Let's Encrypt reads at most 128 bytes and checks that size before the status, so nginx's ${bytes:-?}-byte 404 page gives \"${ad//$tok/TOKEN}\" (by Boulder's code a body under 128 bytes would give \"...: 404\")"
	agree_judge 404 "404 (nothing written)" fail unauthorized "Invalid response from http://geo.example.com/.well-known/acme-challenge/" ""
}

# ------------------------------------------------------------------ i4 agree 4
# the file holds another key authorization.
i4_agree_wrong_content() {
	local ka pd ad
	trap 'rm -f "$VT_WEBROOT_OK/.well-known/acme-challenge/$(cat "$(agree_base)/wrong_content/token" 2>/dev/null)"' EXIT
	agree_certbot wrong_content geo.example.com http-01 wrong
	ka=$(cat "$AD/validation")
	pd=$(cat "$AD/pebble.detail")
	ad=$(cat "$AD/agent.detail")
	agree_note wrong_content "wrong content: Pebble says \"${pd//$ka/<KA>}\"; Let's Encrypt and the agent say \"${ad//$ka/<KA>}\" (both unauthorized)"
	agree_judge wrong_content "wrong content" fail unauthorized "The key authorization file from the server did not match this challenge. Expected" ""
}

# ------------------------------------------------------------------ i4 agree 5
# badport.example.com redirects the challenge to https://ok.example.com:8443/.
# An HTTPS server on that port serves the webroot (as a site that redirects
# to its application port would), so the redirect target has the right
# content: Let's Encrypt refuses the port anyway; Pebble 2.4.0 follows Go's
# default redirect policy.
i4_agree_badport_redirect() {
	local i known served from
	trap '[[ -f $(agree_base)/https.pid ]] && kill "$(cat "$(agree_base)/https.pid")" 2>/dev/null; rm -f "$VT_WEBROOT_OK/.well-known/acme-challenge/$(cat "$(agree_base)/badport_redirect/token" 2>/dev/null)"' EXIT
	mkdir -p "$(agree_base)"
	[[ -x /usr/bin/python3 ]] || fail "no /usr/bin/python3 (certbot's own dependency)"
	# a small HTTPS file server on [::]:8443 (dual stack) in the target namespace,
	# with geo.example.com's certificate: a name mismatch LE and Pebble both ignore
	ip netns exec "$VT_NS_TARGET" /usr/bin/python3 - "$VT_WEBROOT_OK" "$VT_TLS_DIR/geo.crt" "$VT_TLS_DIR/geo.key" \
		"$AGREE_BADPORT" >"$(agree_base)/https.log" 2>&1 <<-'EOF' &
		import functools, http.server, socket, ssl, sys
		root, cert, key, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
		class Server(http.server.ThreadingHTTPServer):
		    address_family = socket.AF_INET6
		    def server_bind(self):
		        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
		        super().server_bind()
		srv = Server(("::", port), functools.partial(http.server.SimpleHTTPRequestHandler, directory=root))
		ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		ctx.load_cert_chain(cert, key)
		srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
		srv.serve_forever()
	EOF
	echo $! >"$(agree_base)/https.pid"
	for ((i = 0; i < 40; i++)); do
		ip netns exec "$VT_NS_TARGET" curl -sk -m 2 -o /dev/null "https://[fd77::80]:$AGREE_BADPORT/" && break
		sleep 0.25
	done
	((i < 40)) || fail "the HTTPS server on port $AGREE_BADPORT did not start: $(tail -n 3 "$(agree_base)/https.log")"

	agree_certbot badport_redirect badport.example.com http-01 right
	served=$(grep -cF "/$(cat "$AD/token") " "$(agree_base)/https.log" || true)
	from=$(grep -F "/$(cat "$AD/token") " "$(agree_base)/https.log" | awk '{print $1}' | sort -u | paste -sd, -)
	echo "the server on port $AGREE_BADPORT served the challenge $served time(s) (from ${from:-nowhere})"
	if [[ $(cat "$AD/pebble.status") == valid ]]; then
		known="Pebble 2.4.0 follows the 301 to https://ok.example.com:$AGREE_BADPORT/ (it fetched it $served time(s), from ${from:-?}, accepting a certificate that names geo.example.com only (no verification), and set the authorization VALID); Let's Encrypt refuses redirects to ports other than 80 and 443: checking LE's rule instead"
	elif grep -qF ":$AGREE_BADPORT" "$AD/pebble.detail"; then
		known="Pebble 2.4.0 follows the 301 to port $AGREE_BADPORT, then fails there ($(cat "$AD/pebble.detail")); Let's Encrypt refuses the redirect itself: checking LE's rule instead"
	else
		known="Pebble 2.4.0 does not follow the redirect to port $AGREE_BADPORT ($(cat "$AD/pebble.detail")); Let's Encrypt refuses it too: checking LE's rule"
	fi
	agree_judge badport_redirect "redirect to port $AGREE_BADPORT" fail connection \
		"Invalid port in redirect target. Only ports 80 and 443 are supported, not $AGREE_BADPORT" "$known"
}

# ------------------------------------------------------------------ i4 agree 6
# DNS-01, nothing published: _acme-challenge.agree-nodns.example.com does not
# exist (NXDOMAIN, DNSSEC-signed denial).
i4_agree_txt_missing() {
	agree_certbot txt_missing agree-nodns.example.com dns-01 none
	agree_judge txt_missing "TXT missing (NXDOMAIN)" fail dns \
		"DNS problem: NXDOMAIN looking up TXT for _acme-challenge.agree-nodns.example.com - check that a DNS record exists for this domain" \
		"Pebble 2.4.0 reports a failed TXT lookup (here NXDOMAIN) as unauthorized \"$(cat "$AD/pebble.detail")\"; Let's Encrypt reports it as dns \"DNS problem: NXDOMAIN looking up TXT for ... - check that a DNS record exists for this domain\": checking LE's rule instead"
}

# ------------------------------------------------------------------ i4 agree 7
# DNS-01 with a TXT record that is not the digest (published on both
# nameservers by the hook).  A name in another NSEC span than agree-nodns, so
# no cached denial from case 6 can cover it.
i4_agree_txt_wrong_digest() {
	local owner=_acme-challenge.pebble-agree.example.com
	trap '"$LAB" dns-unset both '"$owner"' TXT >/dev/null 2>&1 || true' EXIT
	AGREE_WRONG=$(b64url) # 43 base64url characters: looks like a digest, is not this one
	agree_certbot txt_wrong_digest pebble-agree.example.com dns-01 txt-wrong
	agree_note txt_wrong_digest "wrong TXT value: Pebble says \"$(cat "$AD/pebble.detail")\"; Let's Encrypt names the value it found: \"Incorrect TXT record \\\"<value>\\\" found at _acme-challenge.<domain>\" (both unauthorized)"
	agree_judge txt_wrong_digest "wrong TXT digest" fail unauthorized \
		"Incorrect TXT record \"$AGREE_WRONG\" found at $owner" ""
}

# ------------------------------------------------------------------ i4 agree 8
# The table of every case above (run in this lab), details side by side, and
# the differences measured.  Fails when a case is missing.
i4_agree_table() {
	local base c f missing=() label po ao agree le pd ad n=0
	base=$(agree_base)
	echo "Agreement: Pebble 2.4.0's validation (in use1's namespace) vs the us-east agent (same namespace)"
	printf '%-26s %-22s %-20s %-6s %s\n' SCENARIO "PEBBLE 2.4.0" "AGENT use1" "LE-OK" AGREE
	for c in "${AGREE_CASES[@]}"; do
		f=$base/rows.$c
		if [[ ! -s $f ]]; then
			printf '%-26s %-22s %-20s %-6s %s\n' "$c" "(not run)" "-" "-" "-"
			missing+=("$c")
			continue
		fi
		n=$((n + 1))
		IFS=$'\t' read -r label po ao agree le pd ad <"$f"
		printf '%-26s %-22s %-20s %-6s %s\n' "$label" "$po" "$ao" "$le" "$agree"
	done
	echo
	echo "Details, side by side (Pebble: what the CA reported to certbot; agent: problem.detail):"
	for c in "${AGREE_CASES[@]}"; do
		f=$base/rows.$c
		[[ -s $f ]] || continue
		IFS=$'\t' read -r label po ao agree le pd ad <"$f"
		echo "  $label"
		echo "    Pebble: $pd"
		echo "    agent:  $ad"
	done
	echo
	echo "What Pebble 2.4.0 does differently from Let's Encrypt (measured in this run):"
	if [[ -s $base/notes ]]; then
		cut -f2- "$base/notes" | sed 's/^/  - /'
	else
		echo "  (no notes recorded)"
	fi
	((n > 0)) || fail "no agreement case ran (run the i4_agree_* cases before i4_agree_table)"
	((${#missing[@]} == 0)) || fail "agreement cases not run or failed early: ${missing[*]}"
	if grep -qP '\tNO\t|\tBROKEN\t' "$base"/rows.* 2>/dev/null; then
		fail "disagreements: $(grep -lP '\tNO\t|\tBROKEN\t' "$base"/rows.* | sed 's|.*/rows\.||' | paste -sd' ' -)"
	fi
	return 0
}
