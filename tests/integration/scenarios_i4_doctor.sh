#!/usr/bin/env bash
# tests/integration/scenarios_i4_doctor.sh -- issue 4: `vantage doctor`
# against the lab's ACME CA (Pebble's HTTPS directory on acme.example.com,
# in use1's namespace), run from the target's namespace where the ACME
# client would run: a healthy run, a trust store without the CA's root, a
# wrong clock on the vantage side (faketime; it has no effect on Pebble, a
# Go program), an expired root in the trust store, and the handshake from
# every vantage.  Sourced by run.sh after scenarios.sh.
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# shellcheck disable=SC2034  # TIMEOUT_* are read by run.sh through ${!name}

I4_DOCTOR_SCENARIOS=(
	i4_doctor_pebble_ok
	i4_doctor_trust_store_without_root
	i4_doctor_wrong_clock
	i4_doctor_expired_root_warns
	i4_doctor_from_every_vantage
)
TIMEOUT_i4_doctor_from_every_vantage=60

# faketime preloads libfaketime; an AddressSanitizer build (make
# asan-integration) refuses to start unless its runtime comes first, so tell
# it not to check the order (its other options, log_path included, stay)
I4DR_FAKETIME=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" faketime)

# i4dr_doctor OUT [WRAPPER...] -- ARGS...: `vantage doctor --json` in the
# target's namespace against Pebble's directory (a wrapper such as faketime
# goes before the binary); the document in OUT, the exit status in RC
i4dr_doctor() {
	local out=$1 wrap=()
	shift
	while (($# > 0)) && [[ $1 != -- ]]; do
		wrap+=("$1")
		shift
	done
	shift
	RC=0
	ip netns exec "$VT_NS_TARGET" "${wrap[@]}" "$VT_BIN/vantage" doctor --directory "$VT_PEBBLE_DIR" \
		--json "$@" >"$out" 2>"$out.err" || RC=$?
	echo "vantage doctor --directory $VT_PEBBLE_DIR $* -> exit $RC"
	jq -e '.checks | length > 0' "$out" >/dev/null 2>&1 ||
		fail "doctor printed no JSON document with checks (exit $RC): $(head -c 400 "$out") $(head -c 400 "$out.err")"
	jq -r '.checks[] | "  \(.id): \(.status): \(.detail)" + (if .fix then "\n    fix: \(.fix)" else "" end)' "$out"
}
i4dr_status() { jq -r --arg id "$2" '.checks[] | select(.id == $id) | .status' "$1"; }
i4dr_field() { jq -r --arg id "$2" ".checks[] | select(.id == \$id) | $3" "$1"; }
i4dr_expect() { # FILE ID STATUS
	local got
	got=$(i4dr_status "$1" "$2")
	[[ $got == "$3" ]] || fail "doctor check $2 is '$got', expected '$3'"
}

i4_doctor_pebble_ok() {
	local out=$T/doctor-ok.json
	i4dr_doctor "$out" -- --cacert "$VT_PEBBLE_API_CA"
	((RC == 0)) || fail "exit $RC, expected 0 with the lab CA as the trust store"
	for id in dns tcp tls chain clock directory; do
		i4dr_expect "$out" "$id" ok
	done
	i4dr_field "$out" dns '.addresses[]' | grep -qx "$VT_PEBBLE_ADDR" || fail "dns does not list Pebble's address $VT_PEBBLE_ADDR"
	i4dr_field "$out" tls '.version' | grep -Eq '^TLSv1\.[23]$' || fail "no TLS >= 1.2 version reported"
	[[ $(i4dr_field "$out" directory '.endpoints.newOrder') == https://* ]] || fail "the directory's newOrder is not reported"
	jq -e '.checks[] | select(.id == "clock") | .skew_s | fabs < 30' "$out" >/dev/null || fail "clock skew over 30 s in the lab"
}

i4_doctor_trust_store_without_root() {
	local out=$T/doctor-noroot.json store=$T/doctor-store.pem
	# a trust store that holds a CA, only not the one that signed Pebble's API
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=some other root" \
		-keyout "$T/doctor-other.key" -out "$store" 2>/dev/null || fail "openssl could not make a root"
	i4dr_doctor "$out" -- --cacert "$store"
	((RC == 1)) || fail "exit $RC, expected 1 (the chain does not verify)"
	i4dr_expect "$out" chain fail
	i4dr_expect "$out" tls ok
	i4dr_field "$out" chain '.verify_error' | grep -qi 'issuer' || fail "the verify error does not name the missing issuer"
	i4dr_field "$out" chain '.fix' | grep -qi -e 'trust store' -e 'ca-certificates' -e 'cacert' ||
		fail "the chain's fix does not point at the trust store"
	[[ $(i4dr_status "$out" directory) != fail ]] || fail "the directory is reported as a second failure"
	# and the system's own store (no --cacert) does not know the lab CA either
	i4dr_doctor "$out" --
	if ((RC != 1)) || [[ $(i4dr_status "$out" chain) != fail ]]; then
		fail "the system trust store verified Pebble's API (exit $RC)"
	fi
}

i4_doctor_wrong_clock() {
	local out=$T/doctor-clock.json
	command -v faketime >/dev/null || fail "faketime is not installed (make deps)"
	# two hours fast: the skew alone fails
	i4dr_doctor "$out" "${I4DR_FAKETIME[@]}" -f '+2h' -- --cacert "$VT_PEBBLE_API_CA"
	((RC == 1)) || fail "exit $RC with the clock two hours fast, expected 1"
	i4dr_expect "$out" clock fail
	jq -e '.checks[] | select(.id == "clock") | .skew_s > 7000 and .skew_s < 7400' "$out" >/dev/null ||
		fail "skew not about +7200 s: $(i4dr_field "$out" clock .skew_s)"
	i4dr_field "$out" clock '.fix' | grep -qi -e ntp -e timesync -e chrony || fail "the clock's fix does not mention NTP"
	# sixty days slow: before the API certificate's notBefore -- the chain
	# fails too, and doctor blames the clock, not the trust store
	i4dr_doctor "$out" "${I4DR_FAKETIME[@]}" -f '-60d' -- --cacert "$VT_PEBBLE_API_CA"
	((RC == 1)) || fail "exit $RC with the clock 60 days slow, expected 1"
	i4dr_expect "$out" clock fail
	i4dr_expect "$out" chain fail
	i4dr_field "$out" chain '.cause' | grep -qi clock || fail "the chain failure is not blamed on the clock: $(i4dr_field "$out" chain .cause)"
}

i4_doctor_expired_root_warns() {
	local out=$T/doctor-expired.json store=$T/doctor-expired-store.pem
	# an expired self-signed root, as DST Root CA X3 (gone from Debian's
	# store) was: made a year ago, valid for a month
	faketime -f '-365d' openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/O=vantage lab/CN=Expired Lab Root X3" -keyout "$T/doctor-expired.key" -out "$T/doctor-expired.crt" \
		2>/dev/null || fail "could not make the expired root"
	cat "$VT_PEBBLE_API_CA" "$T/doctor-expired.crt" >"$store"
	i4dr_doctor "$out" -- --cacert "$store"
	((RC == 0)) || fail "exit $RC, expected 0 (an expired root is a warning)"
	i4dr_expect "$out" chain ok
	i4dr_expect "$out" expired-roots warn
	i4dr_field "$out" expired-roots '.expired[].subject' | grep -q 'Expired Lab Root X3' ||
		fail "the expired root is not named"
}

i4_doctor_from_every_vantage() {
	local out=$T/doctor-vantages.json n
	RC=0
	ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" doctor --directory "$VT_PEBBLE_DIR" --cacert "$VT_PEBBLE_API_CA" \
		--vantages --token-file "$VT_TOKEN_FILE" --json >"$out" 2>"$out.err" || RC=$?
	echo "vantage doctor --vantages -> exit $RC"
	jq -r '.checks[] | select(.id == "vantages") | .vantages[] | "  \(.agent) (\(.region)): \(.outcome) connected=\(.connected) handshake=\(.handshake) verified=\(.verified) \(.tls_version // "")"' "$out" ||
		fail "no vantages check in the document: $(head -c 400 "$out.err")"
	n=$(jq '[.checks[] | select(.id == "vantages") | .vantages[] | select(.handshake == true)] | length' "$out")
	((n == 5)) || fail "$n of 5 vantages completed a TLS handshake with $VT_PEBBLE_HOST"
	i4dr_expect "$out" chain ok
}
