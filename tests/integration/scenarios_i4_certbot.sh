#!/usr/bin/env bash
# tests/integration/scenarios_i4_certbot.sh -- issue 4: certbot (Debian's
# 2.1) obtains real certificates from the lab's Pebble through the vantage
# hooks in deploy/hooks/ (docs/hooks.md), and the hooks stop it before it
# answers a challenge that a region cannot see.  Sourced by run.sh after
# scenarios.sh (fail, vcheck, expect_rc, ... come from there).
#
# certbot runs in the target's namespace (where nginx and the webroot are),
# always with --server "$VT_PEBBLE_DIR" and every directory of its own under
# $T; the hooks reach the vantage CLI in the coordinator's namespace through
# VANTAGE="ip netns exec NS vantage".  Every scenario removes what it added
# (geo-blocks, TXT records, the test firewall table, challenge files).
# shellcheck disable=SC2034  # TIMEOUT_* are read by run.sh through ${!name}

I4_CERTBOT_SCENARIOS=(
	i4_certbot_http01
	i4_certbot_dns01
	i4_certbot_geoblocked_stops_before_answer
	i4_firewall_nft_pre_post
)
TIMEOUT_i4_certbot_http01=90
TIMEOUT_i4_certbot_dns01=90
TIMEOUT_i4_certbot_geoblocked_stops_before_answer=90
TIMEOUT_i4_firewall_nft_pre_post=120

I4CB_HOOKS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../deploy/hooks" && pwd)
I4CB_CERTBOT_LIMIT=75 # seconds, one certbot run

# i4cb_certbot DIR [VAR=VALUE...] -- CERTBOT-ARGS...: `certbot certonly` in
# the target's namespace against Pebble, its config, work and log
# directories under DIR, the hooks' environment set (VANTAGE,
# VANTAGE_TOKEN_FILE, VANTAGE_HOOK_LOG=DIR/hook.log, then the VAR=VALUEs).
# Its output is appended to DIR/certbot.out (appended: the auth hook appends
# to certbot's stderr too), its exit status left in RC.
i4cb_certbot() {
	local d=$1 envs=()
	shift
	while (($# > 0)) && [[ $1 != -- ]]; do
		envs+=("$1")
		shift
	done
	shift
	mkdir -p "$d"
	RC=0
	timeout -k 5 "$I4CB_CERTBOT_LIMIT" ip netns exec "$VT_NS_TARGET" env \
		VANTAGE="ip netns exec $VT_NS_COORD $VT_BIN/vantage" VANTAGE_TOKEN_FILE="$VT_TOKEN_FILE" \
		VANTAGE_HOOK_LOG="$d/hook.log" REQUESTS_CA_BUNDLE="$VT_PEBBLE_API_CA" "${envs[@]}" \
		certbot certonly --server "$VT_PEBBLE_DIR" \
		--config-dir "$d/etc" --work-dir "$d/work" --logs-dir "$d/logs" \
		--register-unsafely-without-email --agree-tos -n "$@" >>"$d/certbot.out" 2>&1 || RC=$?
	echo "certbot certonly ${*//$I4CB_HOOKS\//} -> exit $RC"
}

# i4cb_why DIR: the tails of certbot's output and the hook log, for fail
i4cb_why() {
	echo "certbot: $(grep -v '^ ' "$1/certbot.out" 2>/dev/null | tail -n 4 | tr '\n' '|')"
	echo "hook log: $(grep -v '^    ' "$1/hook.log" 2>/dev/null | tail -n 4 | tr '\n' '|')"
}

# i4cb_show_hook_log DIR: the hook log, for the scenario's output
i4cb_show_hook_log() {
	echo "---- hook log"
	cat "$1/hook.log" 2>/dev/null
	echo "----"
}

# i4cb_cert_ok DIR NAME: certbot saved a certificate for NAME whose SAN is
# NAME and which verifies against Pebble's root with the chain it saved
i4cb_cert_ok() {
	local live=$1/etc/live/$2 san out
	[[ -s $live/cert.pem && -s $live/chain.pem ]] || fail "no certificate saved in $live"
	san=$(openssl x509 -in "$live/cert.pem" -noout -ext subjectAltName 2>&1)
	[[ $san == *"DNS:$2"* ]] || fail "the certificate's SAN is not $2: $san"
	out=$(openssl verify -CAfile "$VT_PEBBLE_ROOT" -untrusted "$live/chain.pem" "$live/cert.pem" 2>&1) ||
		fail "the certificate does not verify against Pebble's root and the saved chain: $out"
	echo "certificate: $(openssl x509 -in "$live/cert.pem" -noout -subject -issuer | tr '\n' ' ')SAN $(echo "$san" | tail -n 1 | tr -d ' '); $out"
}

# i4cb_token DIR: the HTTP-01 token the auth hook wrote (from its log)
i4cb_token() {
	sed -n 's|.*: wrote .*/\.well-known/acme-challenge/\([A-Za-z0-9_-]*\)$|\1|p' "$1/hook.log" | tail -n 1
}

# i4cb_rows DIR METHOD OUTCOME: how many vantages' rows of the METHOD table
# in the hook log's wait report have OUTCOME
i4cb_rows() {
	awk -v m=" $2 (" 'index($0, m) { f = 1; next } f && /^ *$/ { f = 0 } f' "$1/hook.log" |
		grep -cE "^ +[a-z0-9]+ +[a-z-]+ +[^ ]+ +$3( |\$)"
}

# i4cb_pebble_since N: Pebble's log after its first N lines
i4cb_pebble_since() { tail -n +"$(($1 + 1))" "$VT_PEBBLE_LOG"; }

# ------------------------------------------------------------------ i4 cb 1
# HTTP-01 through the auth and cleanup hooks: vantage wait passes, Pebble
# validates, a certificate for geo.example.com chaining to Pebble's root.
i4_certbot_http01() {
	local d=$T/i4cb_http token n0
	trap 'rm -f "$VT_WEBROOT_OK/.well-known/acme-challenge/$(i4cb_token "$T/i4cb_http")"' EXIT
	n0=$(wc -l <"$VT_PEBBLE_LOG")
	i4cb_certbot "$d" VANTAGE_WEBROOT="$VT_WEBROOT_OK" VANTAGE_WAIT_ARGS="--timeout 60 --interval 2" -- \
		--manual --preferred-challenges http -d geo.example.com \
		--manual-auth-hook "$I4CB_HOOKS/vantage-certbot-auth" \
		--manual-cleanup-hook "$I4CB_HOOKS/vantage-certbot-cleanup"
	i4cb_show_hook_log "$d"
	((RC == 0)) || fail "certbot exited $RC, expected 0; $(i4cb_why "$d")"
	i4cb_cert_ok "$d" geo.example.com
	token=$(i4cb_token "$d")
	[[ -n $token ]] || fail "the auth hook logged no challenge file it wrote"
	grep -qF "exit 0: vh_wait geo.example.com http-01 --key-authorization $token." "$d/hook.log" ||
		fail "the hook log does not show vantage wait succeeding for token $token; $(i4cb_why "$d")"
	grep -qF "every vantage sees the http-01 challenge for geo.example.com" "$d/hook.log" ||
		fail "the auth hook did not log success"
	(($(i4cb_rows "$d" http-01 pass) == 5)) || fail "the wait's report does not show 5 vantages passing http-01"
	[[ ! -e $VT_WEBROOT_OK/.well-known/acme-challenge/$token ]] ||
		fail "the challenge file $token is still in the webroot after the cleanup hook"
	grep -qF "removed $VT_WEBROOT_OK/.well-known/acme-challenge/$token" "$d/hook.log" ||
		fail "the cleanup hook did not log removing the challenge file"
	i4cb_pebble_since "$n0" | grep -qF "Attempting to validate w/ HTTP: http://geo.example.com:80/.well-known/acme-challenge/$token" ||
		fail "Pebble's log shows no validation of token $token"
	echo "vantage wait passed from 5 vantages, Pebble validated $token, the file is gone"
}

# ------------------------------------------------------------------ i4 cb 2
# DNS-01 through VANTAGE_DNS_HOOK (lab.sh dns-set/dns-unset on both
# nameservers): every vantage sees the TXT value before certbot answers;
# the record is gone afterwards.
i4_certbot_dns01() {
	local d=$T/i4cb_dns hook="$LAB dns-hook" owner=_acme-challenge.certbot-dns.example.com ns left
	trap '"$LAB" dns-unset both _acme-challenge.certbot-dns TXT >/dev/null 2>&1 || true' EXIT
	mkdir -p "$d"
	i4cb_certbot "$d" VANTAGE_DNS_HOOK="$hook" VANTAGE_LAB="$VANTAGE_LAB" \
		VANTAGE_WAIT_ARGS="--timeout 60 --interval 2" -- \
		--manual --preferred-challenges dns -d certbot-dns.example.com \
		--manual-auth-hook "$I4CB_HOOKS/vantage-certbot-auth" \
		--manual-cleanup-hook "$I4CB_HOOKS/vantage-certbot-cleanup"
	i4cb_show_hook_log "$d"
	((RC == 0)) || fail "certbot exited $RC, expected 0; $(i4cb_why "$d")"
	i4cb_cert_ok "$d" certbot-dns.example.com
	grep -qE "exit 0: vh_wait certbot-dns.example.com dns-01 --txt [A-Za-z0-9_-]{43}\$" "$d/hook.log" ||
		fail "the hook log does not show vantage wait succeeding for the TXT value; $(i4cb_why "$d")"
	(($(i4cb_rows "$d" dns-01 pass) == 5)) || fail "the wait's report does not show 5 vantages passing dns-01"
	grep -qF "VANTAGE_DNS_HOOK add $owner" "$d/hook.log" || fail "the auth hook did not call VANTAGE_DNS_HOOK add $owner"
	grep -qF "VANTAGE_DNS_HOOK del $owner" "$d/hook.log" || fail "the cleanup hook did not call VANTAGE_DNS_HOOK del $owner"
	for ns in "$VT_DNS_NS1" "$VT_DNS_NS2"; do
		left=$(vt_exec target kdig +short +timeout=2 +retry=1 "@$ns" TXT "$owner" 2>&1)
		[[ -z $left ]] || fail "TXT $owner is still served by $ns after the cleanup hook: $left"
	done
	echo "vantage wait passed from 5 vantages; TXT $owner gone from ns1 and ns2"
}

# ------------------------------------------------------------------ i4 cb 3
# eu-west geo-blocked: the auth hook's wait times out on euw1, the hook
# removes the file and stops certbot, which never answers the challenge:
# Pebble's log shows the order but no POST /chalZ/ and no validation.
i4_certbot_geoblocked_stops_before_answer() {
	local d=$T/i4cb_geo token n0 since
	trap '"$LAB" unblock >/dev/null 2>&1; rm -f "$VT_WEBROOT_OK/.well-known/acme-challenge/$(i4cb_token "$T/i4cb_geo")"; true' EXIT
	"$LAB" geoblock eu-west || fail "lab.sh geoblock eu-west failed"
	n0=$(wc -l <"$VT_PEBBLE_LOG")
	i4cb_certbot "$d" VANTAGE_WEBROOT="$VT_WEBROOT_OK" VANTAGE_WAIT_ARGS="--timeout 20 --interval 2" -- \
		--manual --preferred-challenges http -d geo.example.com \
		--manual-auth-hook "$I4CB_HOOKS/vantage-certbot-auth" \
		--manual-cleanup-hook "$I4CB_HOOKS/vantage-certbot-cleanup"
	sleep 2 # had certbot lived on, its POST would be in Pebble's log by now
	i4cb_show_hook_log "$d"
	((RC != 0)) || fail "certbot exited 0 although eu-west cannot reach geo.example.com"
	[[ ! -e $d/etc/live/geo.example.com ]] || fail "certbot saved a certificate"
	token=$(i4cb_token "$d")
	[[ -n $token ]] || fail "the auth hook logged no challenge file it wrote; $(i4cb_why "$d")"
	grep -qE "euw1 \(eu-west\).*Timeout during connect" "$d/hook.log" ||
		fail "the hook log does not say euw1 (eu-west) fails with Timeout during connect; $(i4cb_why "$d")"
	grep -qF "exit 1: vh_wait geo.example.com http-01" "$d/hook.log" || fail "the hook log shows no failed vantage wait"
	grep -qE "stopping certbot \(pid [0-9]+\) with SIGINT" "$d/hook.log" || fail "the hook did not log stopping certbot"
	grep -qF "vantage-certbot-auth: stopping certbot" "$d/certbot.out" ||
		fail "certbot's own stderr does not say why it was stopped"
	[[ ! -e $VT_WEBROOT_OK/.well-known/acme-challenge/$token ]] ||
		fail "the challenge file $token is still in the webroot"
	since=$(i4cb_pebble_since "$n0")
	grep -qF "Added order" <<<"$since" || fail "Pebble's log shows no new order: certbot never got as far as the challenge"
	! grep -qF "POST /chalZ/" <<<"$since" ||
		fail "certbot answered a challenge (POST /chalZ/ in Pebble's log after the order)"
	! grep -qF "Attempting to validate" <<<"$since" || fail "Pebble attempted a validation"
	! grep -qF "$token" <<<"$since" || fail "Pebble's log mentions token $token"
	echo "certbot exit $RC, stopped before answering: Pebble's log after the order has no POST /chalZ/ and no validation of $token"
	grep -F "Exiting due to user request" "$d/certbot.out" | head -n 1
}

# ------------------------------------------------------------------ i4 fw
# The "open port 80 only for renewal" pattern: a test table drops TCP 80 to
# geo.example.com's address; certbot's --pre-hook `vantage-firewall-nft
# open` inserts an accept into that chain and waits until every vantage
# reaches port 80, --post-hook `... close` deletes exactly that rule.  Then
# again with eu-west geo-blocked: the pre-hook's wait fails, certbot goes on
# (it ignores a failing pre-hook) and the post-hook still closes the port.
i4_firewall_nft_pre_post() {
	local d1=$T/i4fw_ok d2=$T/i4fw_geo listing pre post
	trap 'vt_exec target nft delete table inet vtfw >/dev/null 2>&1; "$LAB" unblock >/dev/null 2>&1; true' EXIT
	vt_exec target nft -f - <<-EOF || fail "cannot create the test table inet vtfw"
		table inet vtfw {
			chain input {
				type filter hook input priority 10; policy accept;
				ip daddr $VT_SITE_GEO tcp dport 80 drop
			}
		}
	EOF
	vcheck i4fw_before geo.example.com --no-caa
	expect_rc 1 "port 80 dropped by the test table"
	expect_all_fail_with "Timeout during connect" "port 80 dropped by the test table"

	pre="$I4CB_HOOKS/vantage-firewall-nft open geo.example.com"
	post="$I4CB_HOOKS/vantage-firewall-nft close"
	i4cb_certbot "$d1" VANTAGE_NFT_CHAIN="inet vtfw input" VANTAGE_WAIT_ARGS="--timeout 30 --interval 2" -- \
		--webroot -w "$VT_WEBROOT_OK" -d geo.example.com --pre-hook "$pre" --post-hook "$post"
	i4cb_show_hook_log "$d1"
	((RC == 0)) || fail "certbot with the firewall hooks exited $RC, expected 0; $(i4cb_why "$d1")"
	i4cb_cert_ok "$d1" geo.example.com
	grep -qF "opened port 80: inserted an accept rule tagged vantage-firewall-nft at the top of inet vtfw input" "$d1/hook.log" ||
		fail "the pre-hook did not log opening port 80"
	grep -qF "exit 0: vh_vantage wait geo.example.com --method http-01" "$d1/hook.log" ||
		fail "the pre-hook's vantage wait did not succeed; $(i4cb_why "$d1")"
	(($(i4cb_rows "$d1" http-01 reachable) == 5)) || fail "the pre-hook's wait does not show 5 vantages reaching port 80"
	grep -qF "closed port 80: deleted 1 rule(s) tagged vantage-firewall-nft" "$d1/hook.log" ||
		fail "the post-hook did not log closing port 80"
	listing=$(vt_exec target nft -a list chain inet vtfw input 2>&1)
	! grep -qF "vantage-firewall-nft" <<<"$listing" || fail "the accept rule is still there after the post-hook: $listing"
	grep -qF "tcp dport 80 drop" <<<"$listing" || fail "the test table's drop rule is gone: $listing"
	vcheck i4fw_after geo.example.com --no-caa
	expect_rc 1 "port 80 closed again after the post-hook"
	expect_all_fail_with "Timeout during connect" "port 80 closed again after the post-hook"

	# the wait cannot succeed: eu-west never reaches geo.example.com
	"$LAB" geoblock eu-west || fail "lab.sh geoblock eu-west failed"
	i4cb_certbot "$d2" VANTAGE_NFT_CHAIN="inet vtfw input" VANTAGE_WAIT_ARGS="--timeout 10 --interval 2" -- \
		--webroot -w "$VT_WEBROOT_OK" -d geo.example.com --pre-hook "$pre" --post-hook "$post"
	i4cb_show_hook_log "$d2"
	echo "(certbot goes on after a failing pre-hook: exit $RC)"
	grep -qE "exit 1: vh_vantage wait geo.example.com --method http-01" "$d2/hook.log" ||
		fail "the pre-hook's wait did not fail with exit 1 although eu-west is blocked; $(i4cb_why "$d2")"
	grep -qE "euw1 \(eu-west\).*Timeout during connect" "$d2/hook.log" || fail "the pre-hook's log does not name euw1 (eu-west)"
	grep -qF "Running post-hook command: $post" "$d2/logs/letsencrypt.log" || fail "certbot did not run the post-hook"
	grep -qF "closed port 80: deleted 1 rule(s) tagged vantage-firewall-nft" "$d2/hook.log" ||
		fail "the post-hook did not close port 80 after the failed pre-hook"
	listing=$(vt_exec target nft -a list chain inet vtfw input 2>&1)
	! grep -qF "vantage-firewall-nft" <<<"$listing" || fail "the accept rule is still there after the failed run: $listing"
	echo "port 80 opened, reached by 5 vantages, closed; after a failed pre-hook closed all the same"
}
