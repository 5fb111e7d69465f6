#!/usr/bin/env bash
# tests/integration/scenarios_i4_clients.sh -- issue 4: the vantage hooks and
# wrappers for lego, uacme, dehydrated and acme-tiny (deploy/hooks/), driven
# by the Debian packages of those clients against the lab's CA (Pebble 2.4.0,
# in use1's namespace).  Sourced by run.sh after scenarios.sh (fail comes
# from there).
#
# Every client runs in the target namespace (where nginx serves
# $VT_WEBROOT_OK for geo.example.com), pointed explicitly at Pebble
# ($VT_PEBBLE_DIR) and, for lego, at the lab's resolver; its state lives
# under $T and is removed.  The hooks reach the coordinator through
# VANTAGE="ip netns exec COORD-NS vantage" and VANTAGE_TOKEN_FILE.
#   * success: the client obtains a certificate that verifies against
#     Pebble's root ($VT_PEBBLE_ROOT) and names exactly the domain;
#   * failure (eu-west geo-blocked): the hook fails, and the client stops
#     before it answers the challenge: Pebble's log, from the client's start,
#     has the order but no "POST /chalZ/" and no "Attempting to validate";
#     for the wrappers, lego/acme-tiny never start (no request to Pebble).
# Trust in Pebble's API certificate: lego LEGO_CA_CERTIFICATES, dehydrated
# (curl) CURL_CA_BUNDLE, acme-tiny (Python) SSL_CERT_FILE; uacme (libcurl
# with GnuTLS) honours none of them, so it runs with the lab CA bind-mounted
# over /etc/ssl/certs/ca-certificates.crt inside its own `ip netns exec`
# mount namespace (checked not to leak).
# shellcheck disable=SC2034  # TIMEOUT_* are read by run.sh through ${!name}

I4_CLIENTS_SCENARIOS=(
	i4_lego_http01_wrapper
	i4_lego_dns01_exec
	i4_lego_tlsalpn01
	i4_lego_exec_geoblocked_stops
	i4_uacme_http01
	i4_uacme_dns01
	i4_uacme_tlsalpn01_ualpn
	i4_uacme_geoblocked_stops
	i4_dehydrated_http01
	i4_dehydrated_geoblocked_stops
	i4_acme_tiny_wrapper
)
# the geo-blocked cases wait (--timeout 20) for a vantage that never passes
TIMEOUT_i4_lego_exec_geoblocked_stops=120
TIMEOUT_i4_uacme_geoblocked_stops=120
TIMEOUT_i4_dehydrated_geoblocked_stops=120
TIMEOUT_i4_lego_http01_wrapper=120
TIMEOUT_i4_acme_tiny_wrapper=120

I4C_CLIENT_TIMEOUT=100                         # seconds, one ACME client run
I4C_GEO_WAIT="--timeout 20 --interval 2"       # VANTAGE_WAIT_ARGS while geo-blocked
I4C_ALPN_ADDR=10.77.0.87                       # footer.example.com: nginx has port 80 only
I4C_HOOKS=$VT_REPO/deploy/hooks

# i4c_setup NAME: a fresh state dir $T/NAME (cd into it) and the hooks' environment
i4c_setup() {
	D=$T/$1
	rm -rf "$D"
	mkdir -p "$D"
	cd "$D" || fail "cannot cd to $D"
	export VANTAGE="ip netns exec $VT_NS_COORD $VT_BIN/vantage"
	export VANTAGE_TOKEN_FILE=$VT_TOKEN_FILE
	export VANTAGE_LAB VT_LAB_SH
	export VANTAGE_HOOK_LOG=$D/hook.log
	unset VANTAGE_WAIT_ARGS VANTAGE_WEBROOT VANTAGE_DNS_HOOK VANTAGE_CHECK_ARGS
}

# i4c_run OUT LABEL CMD...: CMD in the target namespace, bounded, output to
# OUT; sets RC and says "LABEL -> exit RC"
i4c_run() {
	local out=$1 label=$2
	shift 2
	RC=0
	timeout "$I4C_CLIENT_TIMEOUT" ip netns exec "$VT_NS_TARGET" "$@" >"$out" 2>&1 || RC=$?
	echo "$label -> exit $RC"
}

# i4c_show OUT PATTERN: the lines of OUT worth seeing (ERE)
i4c_show() { grep -E "$2" "$1" | grep -v '^ *$' | cut -c1-220 | sed 's/^/    /' | tail -n 25; }

# i4c_stop_pid PID: TERM, up to 3 s, then KILL (nothing if empty or gone)
i4c_stop_pid() {
	local i
	[[ -n ${1:-} ]] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 30; i++)); do
		[[ -d /proc/$1 ]] || return 0
		grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && return 0 # exited, not yet reaped
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}

# i4c_mark: Pebble's log length now (lines)
i4c_mark() { wc -l <"$VT_PEBBLE_LOG"; }
# i4c_pebble_since MARK: Pebble's log lines written after MARK
i4c_pebble_since() { tail -n "+$(($1 + 1))" "$VT_PEBBLE_LOG"; }

# i4c_expect_no_answer MARK WHAT: the client placed an order after MARK but
# never answered a challenge, and Pebble validated nothing
i4c_expect_no_answer() {
	local seg=$D/pebble-since.log
	i4c_pebble_since "$1" >"$seg"
	echo "Pebble's log since the client started:"
	grep -E 'POST /(order-plz|chalZ|authZ)|Attempting to validate|set (VALID|INVALID)' "$seg" | cut -c1-160 | sed 's/^/    /'
	grep -q 'POST /order-plz' "$seg" || fail "$2: the client did not even place an order (nothing to stop)"
	if grep -qE 'POST /chalZ/|Attempting to validate' "$seg"; then
		fail "$2: the challenge was answered or validated: $(grep -E 'POST /chalZ/|Attempting to validate' "$seg" | head -n 3 | tr '\n' '|')"
	fi
	echo "no POST /chalZ/ and no validation attempt in Pebble's log: the client stopped before answering"
}

# i4c_expect_no_client MARK WHAT: nothing reached Pebble after MARK
i4c_expect_no_client() {
	local seg=$D/pebble-since.log
	i4c_pebble_since "$1" >"$seg"
	if grep -qE 'GET /dir|POST /' "$seg"; then
		fail "$2: the ACME client ran: $(grep -E 'GET /dir|POST /' "$seg" | head -n 3 | tr '\n' '|')"
	fi
	echo "no request reached Pebble: the ACME client was not started"
}

# i4c_cert PEM DOMAIN [CHAIN]: PEM's first certificate verifies against
# Pebble's root (intermediates from PEM and CHAIN) and its SAN is DOMAIN only
i4c_cert() {
	local pem=$1 domain=$2 chain=${3:-} leaf=$D/leaf.pem bundle=$D/bundle.pem san
	[[ -s $pem ]] || fail "no certificate at $pem"
	openssl x509 -in "$pem" -out "$leaf" 2>/dev/null || fail "$pem is not a PEM certificate"
	cat "$pem" ${chain:+"$chain"} >"$bundle"
	openssl verify -CAfile "$VT_PEBBLE_ROOT" -untrusted "$bundle" "$leaf" >"$D/verify.out" 2>&1 ||
		fail "the certificate for $domain does not verify against Pebble's root: $(head -c 300 "$D/verify.out")"
	san=$(openssl x509 -in "$leaf" -noout -ext subjectAltName 2>/dev/null | sed -n '2,$p' | tr -d ' \n')
	[[ $san == "DNS:$domain" ]] || fail "the certificate's subjectAltName is '$san', expected DNS:$domain"
	echo "certificate: SAN $san, $(openssl x509 -in "$leaf" -noout -issuer | tr -d '\n'), verifies against Pebble's root"
}

# i4c_txt_gone NAME: no TXT record left at NAME on ns1 and ns2
i4c_txt_gone() {
	local ns out
	for ns in "$VT_DNS_NS1" "$VT_DNS_NS2"; do
		out=$(vt_exec target kdig @"$ns" +short TXT "$1" 2>&1)
		[[ -z $out ]] || fail "TXT $1 is still on $ns after the client: $out"
	done
	echo "TXT $1: removed from both nameservers"
}

# i4c_webroot_clean: no challenge file left in the ok webroot (bench-token is the lab's)
i4c_webroot_clean() {
	local left
	left=$(find "$VT_WEBROOT_OK/.well-known/acme-challenge" -type f ! -name bench-token 2>/dev/null)
	[[ -z $left ]] || fail "challenge files left in the webroot: $left"
}

# i4c_lego OUT ARGS...: lego, pointed at Pebble and a lab resolver
# (I4C_LEGO_RESOLVER, default the lab's unbound), state in $D/lego, ARGS after
# those; run through the words of the array I4C_LEGO_PREFIX first (the wrapper),
# if set
I4C_LEGO_PREFIX=()
I4C_LEGO_RESOLVER=$VT_RESOLVER
i4c_lego() {
	local out=$1
	shift
	i4c_run "$out" "${I4C_LEGO_PREFIX[*]:+${I4C_LEGO_PREFIX[*]##*/} }lego $*" \
		env LEGO_CA_CERTIFICATES="$VT_PEBBLE_API_CA" "${I4C_LEGO_PREFIX[@]}" \
		lego --path "$D/lego" --server "$VT_PEBBLE_DIR" --accept-tos --email i4@example.com \
		--dns.resolvers "$I4C_LEGO_RESOLVER:53" "$@"
}

# ------------------------------------------------------------------ lego
# HTTP-01: the wrapper checks reachability, then lego writes into the
# webroot; geo-blocked, the wrapper refuses and lego never starts.
i4_lego_http01_wrapper() {
	trap '"$LAB" unblock >/dev/null 2>&1; rm -rf "$T/lego-http"' EXIT
	i4c_setup lego-http
	I4C_LEGO_PREFIX=("$I4C_HOOKS/vantage-lego-run" --)
	i4c_lego "$D/run.out" --http --http.webroot "$VT_WEBROOT_OK" -d geo.example.com run
	i4c_show "$D/run.out" 'vantage-lego-run|Verdict|validated|certificate|error'
	((RC == 0)) || fail "vantage-lego-run + lego --http.webroot exited $RC: $(tail -n 5 "$D/run.out" | tr '\n' '|')"
	grep -q 'every vantage reaches geo.example.com' "$D/run.out" || fail "the wrapper did not report its check"
	i4c_cert "$D/lego/certificates/geo.example.com.crt" geo.example.com "$D/lego/certificates/geo.example.com.issuer.crt"
	i4c_webroot_clean

	"$LAB" geoblock eu-west >/dev/null 2>&1 || fail "lab.sh geoblock eu-west failed"
	local mark
	mark=$(i4c_mark)
	D=$T/lego-http/blocked
	mkdir -p "$D"
	i4c_lego "$D/run.out" --http --http.webroot "$VT_WEBROOT_OK" -d geo.example.com run
	i4c_show "$D/run.out" 'vantage-lego-run|euw1|Verdict'
	((RC == 1)) || fail "geo-blocked: vantage-lego-run exited $RC, expected 1"
	grep -q 'euw1 .*Timeout during connect' "$D/run.out" || fail "geo-blocked: the check output does not show euw1 timing out"
	[[ ! -e $D/lego ]] || fail "geo-blocked: lego ran (it made $D/lego)"
	i4c_expect_no_client "$mark" "geo-blocked lego wrapper"
}

# DNS-01 through the exec provider: present publishes and waits.
# lego's resolver here is ns1 itself, not the lab's unbound: lego looks the
# _acme-challenge name up (CNAME check) just before `present`, and through
# unbound that NXDOMAIN would stay cached (up to 5 s) for Pebble, which
# resolves through the same unbound -- a lab artefact (the real CA has its
# own resolvers) that would fail the validation whenever the hook's wait is
# quick.
i4_lego_dns01_exec() {
	local name=lego-dns.example.com
	trap 'rm -rf "$T/lego-dns"' EXIT
	i4c_setup lego-dns
	I4C_LEGO_RESOLVER=$VT_DNS_NS1
	export EXEC_PATH=$I4C_HOOKS/vantage-lego-exec VANTAGE_DNS_HOOK
	VANTAGE_DNS_HOOK="$VT_LAB_SH dns-hook"
	i4c_lego "$D/run.out" --dns exec -d "$name" run
	i4c_show "$D/run.out" 'vantage-lego-exec|Verdict|validated|certificate|error|wait:'
	((RC == 0)) || fail "lego --dns exec exited $RC: $(tail -n 5 "$D/run.out" | tr '\n' '|')"
	grep -q "every vantage sees TXT _acme-challenge.$name" "$D/run.out" || fail "the exec hook did not report its wait"
	i4c_cert "$D/lego/certificates/$name.crt" "$name" "$D/lego/certificates/$name.issuer.crt"
	i4c_txt_gone "_acme-challenge.$name"
}

# TLS-ALPN-01: lego's own server on an address nothing else uses on 443;
# the wrapper counts "Connection refused" (before lego listens) as reached,
# a timeout (geo-block) not
i4_lego_tlsalpn01() {
	trap '"$LAB" unblock >/dev/null 2>&1; rm -rf "$T/lego-alpn"' EXIT
	i4c_setup lego-alpn
	if vt_exec target ss -ltnH | awk '{print $4}' | grep -qx "$I4C_ALPN_ADDR:443"; then
		fail "something already listens on $I4C_ALPN_ADDR:443 in the target namespace"
	fi
	echo "nothing listens on $I4C_ALPN_ADDR:443 (footer.example.com): lego's --tls server goes there"
	I4C_LEGO_PREFIX=("$I4C_HOOKS/vantage-lego-run" --)
	i4c_lego "$D/run.out" --tls --tls.port "$I4C_ALPN_ADDR:443" -d footer.example.com run
	i4c_show "$D/run.out" 'vantage-lego-run|validated|certificate|error|tls-alpn'
	((RC == 0)) || fail "vantage-lego-run + lego --tls exited $RC: $(tail -n 5 "$D/run.out" | tr '\n' '|')"
	grep -q 'nothing listens until lego does' "$D/run.out" || fail "the wrapper did not judge a check before lego listens"
	i4c_cert "$D/lego/certificates/footer.example.com.crt" footer.example.com "$D/lego/certificates/footer.example.com.issuer.crt"

	"$LAB" geoblock-addr footer eu-west >/dev/null 2>&1 || fail "lab.sh geoblock-addr footer eu-west failed"
	local mark
	mark=$(i4c_mark)
	D=$T/lego-alpn/blocked
	mkdir -p "$D"
	i4c_lego "$D/run.out" --tls --tls.port "$I4C_ALPN_ADDR:443" -d footer.example.com run
	i4c_show "$D/run.out" 'vantage-lego-run'
	((RC == 1)) || fail "geo-blocked: vantage-lego-run exited $RC, expected 1"
	grep -q 'euw1 (eu-west): .*Timeout during connect' "$D/run.out" || fail "geo-blocked: the wrapper does not name euw1's timeout"
	i4c_expect_no_client "$mark" "geo-blocked lego --tls wrapper"
}

# eu-west cannot reach either nameserver: the exec hook's wait fails, lego
# stops before answering.  (ns2 alone blocked is not enough: euw1's resolver
# falls back to ns1 and passes with a warning, as Let's Encrypt's would.)
i4_lego_exec_geoblocked_stops() {
	local name=lego-dnsgeo.example.com mark
	trap '"$LAB" unblock >/dev/null 2>&1; rm -rf "$T/lego-dnsgeo"' EXIT
	i4c_setup lego-dnsgeo
	I4C_LEGO_RESOLVER=$VT_DNS_NS1 # as in i4_lego_dns01_exec
	export EXEC_PATH=$I4C_HOOKS/vantage-lego-exec VANTAGE_DNS_HOOK VANTAGE_WAIT_ARGS=$I4C_GEO_WAIT
	VANTAGE_DNS_HOOK="$VT_LAB_SH dns-hook"
	"$LAB" geoblock-dns eu-west >/dev/null 2>&1 || fail "lab.sh geoblock-dns eu-west failed"
	"$LAB" geoblock-addr ns1 eu-west >/dev/null 2>&1 || fail "lab.sh geoblock-addr ns1 eu-west failed"
	mark=$(i4c_mark)
	i4c_lego "$D/run.out" --dns exec -d "$name" run
	i4c_show "$D/run.out" 'vantage-lego-exec|wait:|error|Cleaning|certificate'
	((RC != 0)) || fail "lego succeeded although eu-west cannot resolve $name"
	grep -q 'still failing: euw1' "$D/run.out" || fail "vantage wait did not report euw1 still failing"
	grep -q 'error presenting token' "$D/run.out" || fail "lego did not stop at the exec hook's present"
	grep -q 'vantage wait exited 1' "$D/hook.log" || fail "VANTAGE_HOOK_LOG has no line about the failed wait"
	[[ ! -e $D/lego/certificates/$name.crt ]] || fail "lego has a certificate for $name"
	i4c_expect_no_answer "$mark" "lego exec geo-blocked"
	i4c_txt_gone "_acme-challenge.$name"
}

# ------------------------------------------------------------------ uacme
# i4c_uacme OUT ARGS...: uacme trusting the lab CA through a private bind mount
i4c_uacme() {
	local out=$1
	shift
	# shellcheck disable=SC2016  # $0 and $@ belong to the inner sh
	i4c_run "$out" "uacme $*" sh -c 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec "$@"' \
		"$VT_PEBBLE_API_CA" uacme -v -y -t EC -a "$VT_PEBBLE_DIR" -c "$D/uacme" \
		-h "$I4C_HOOKS/vantage-uacme-hook" "$@"
}

# i4c_no_mount_leak: the bind mount stayed in uacme's mount namespace
i4c_no_mount_leak() {
	if findmnt -n /etc/ssl/certs/ca-certificates.crt >/dev/null 2>&1 ||
		vt_exec target findmnt -n /etc/ssl/certs/ca-certificates.crt >/dev/null 2>&1; then
		fail "the CA bundle bind mount leaked out of uacme's mount namespace"
	fi
	cmp -s /etc/ssl/certs/ca-certificates.crt "$VT_PEBBLE_API_CA" && fail "the host's CA bundle is the lab CA"
	echo "the lab-CA bind mount did not leak (host and a new ip netns exec see the system bundle)"
}

i4_uacme_http01() {
	trap 'rm -rf "$T/uacme-http"' EXIT
	i4c_setup uacme-http
	export VANTAGE_WEBROOT=$VT_WEBROOT_OK
	i4c_uacme "$D/new.out" new
	((RC == 0)) || fail "uacme new exited $RC: $(tail -n 5 "$D/new.out" | tr '\n' '|')"
	i4c_uacme "$D/issue.out" issue geo.example.com
	i4c_show "$D/issue.out" 'vantage-uacme-hook|declined|starting challenge|saving|failed|wait:'
	((RC == 0)) || fail "uacme issue exited $RC: $(tail -n 5 "$D/issue.out" | tr '\n' '|')"
	grep -q 'every vantage sees the http-01 challenge for geo.example.com' "$D/issue.out" ||
		fail "the hook did not wait for the http-01 challenge"
	i4c_cert "$D/uacme/geo.example.com/cert.pem" geo.example.com
	i4c_webroot_clean
	i4c_no_mount_leak
}

# dns-01: the hook only gets the digest, which is the TXT value (--txt)
i4_uacme_dns01() {
	local name=uacme-dns.example.com
	trap 'rm -rf "$T/uacme-dns"' EXIT
	i4c_setup uacme-dns
	export VANTAGE_DNS_HOOK
	VANTAGE_DNS_HOOK="$VT_LAB_SH dns-hook"
	i4c_uacme "$D/new.out" new
	((RC == 0)) || fail "uacme new exited $RC: $(tail -n 5 "$D/new.out" | tr '\n' '|')"
	i4c_uacme "$D/issue.out" issue "$name"
	i4c_show "$D/issue.out" 'vantage-uacme-hook|declined|starting challenge|saving|failed|wait:'
	((RC == 0)) || fail "uacme issue exited $RC: $(tail -n 5 "$D/issue.out" | tr '\n' '|')"
	grep -q "every vantage sees the dns-01 challenge for $name" "$D/issue.out" || fail "the hook did not wait for dns-01"
	i4c_cert "$D/uacme/$name/cert.pem" "$name"
	i4c_txt_gone "_acme-challenge.$name"
}

# tls-alpn-01: ualpn (uacme's responder) on an address nothing else uses
# on 443; the hook hands it the digest and waits with --digest
i4_uacme_tlsalpn01_ualpn() {
	local name=footer.example.com i
	I4C_UALPN_PID="" # global: the EXIT trap runs after this function's locals are gone
	trap 'i4c_stop_pid "${I4C_UALPN_PID:-}"; rm -rf "$T/uacme-alpn"' EXIT
	i4c_setup uacme-alpn
	if vt_exec target ss -ltnH | awk '{print $4}' | grep -qx "$I4C_ALPN_ADDR:443"; then
		fail "something already listens on $I4C_ALPN_ADDR:443 in the target namespace"
	fi
	ip netns exec "$VT_NS_TARGET" ualpn -v -v -n 1 -b "$I4C_ALPN_ADDR@443" -c 127.0.0.1@4443 \
		-s "$D/ualpn.sock" -p "$D/ualpn.pid" -l "$D/ualpn.log" </dev/null >"$D/ualpn.out" 2>&1 &
	I4C_UALPN_PID=$!
	for ((i = 0; i < 50; i++)); do # <= 5 s
		[[ -S $D/ualpn.sock ]] && break
		sleep 0.1
	done
	[[ -S $D/ualpn.sock ]] || fail "ualpn did not start: $(tail -n 5 "$D/ualpn.out" "$D/ualpn.log" 2>/dev/null | tr '\n' '|')"
	echo "ualpn serves tls-alpn-01 on $I4C_ALPN_ADDR:443 ($name)"
	export VANTAGE_UALPN="ualpn -s $D/ualpn.sock"
	i4c_uacme "$D/new.out" new
	((RC == 0)) || fail "uacme new exited $RC: $(tail -n 5 "$D/new.out" | tr '\n' '|')"
	i4c_uacme "$D/issue.out" issue "$name"
	i4c_show "$D/issue.out" 'vantage-uacme-hook|declined|starting challenge|saving|failed|wait:'
	((RC == 0)) || fail "uacme issue exited $RC: $(tail -n 5 "$D/issue.out" | tr '\n' '|')"
	grep -q "every vantage sees the tls-alpn-01 challenge for $name" "$D/issue.out" ||
		fail "the hook did not wait for the tls-alpn-01 challenge"
	i4c_cert "$D/uacme/$name/cert.pem" "$name"
	i4c_stop_pid "$I4C_UALPN_PID"
	if vt_exec target ss -ltnH | awk '{print $4}' | grep -qx "$I4C_ALPN_ADDR:443"; then
		fail "ualpn still listens on $I4C_ALPN_ADDR:443 after being stopped"
	fi
	echo "ualpn stopped: $I4C_ALPN_ADDR:443 is free again"
}

# geo-blocked: the hook's wait fails, it declines http-01 (and dns-01 and
# tls-alpn-01, not configured), uacme answers nothing
i4_uacme_geoblocked_stops() {
	local mark
	trap '"$LAB" unblock >/dev/null 2>&1; rm -rf "$T/uacme-geo"' EXIT
	i4c_setup uacme-geo
	export VANTAGE_WEBROOT=$VT_WEBROOT_OK VANTAGE_WAIT_ARGS=$I4C_GEO_WAIT
	i4c_uacme "$D/new.out" new
	((RC == 0)) || fail "uacme new exited $RC: $(tail -n 5 "$D/new.out" | tr '\n' '|')"
	"$LAB" geoblock eu-west >/dev/null 2>&1 || fail "lab.sh geoblock eu-west failed"
	mark=$(i4c_mark)
	i4c_uacme "$D/issue.out" issue geo.example.com
	i4c_show "$D/issue.out" 'vantage-uacme-hook|declined|starting challenge|no challenge|failed|wait:'
	((RC == 2)) || fail "geo-blocked: uacme issue exited $RC, expected 2 (failure)"
	grep -q 'still failing: euw1' "$D/issue.out" || fail "vantage wait did not report euw1 still failing"
	grep -q 'challenge http-01 declined' "$D/issue.out" || fail "uacme did not see http-01 declined"
	grep -q 'no challenge completed' "$D/issue.out" || fail "uacme did not give up on the authorization"
	grep -q 'starting challenge' "$D/issue.out" && fail "uacme started a challenge"
	[[ ! -e $D/uacme/geo.example.com/cert.pem ]] || fail "uacme has a certificate"
	i4c_expect_no_answer "$mark" "uacme geo-blocked"
	i4c_webroot_clean
}

# ------------------------------------------------------------------ dehydrated
# i4c_dehydrated_conf: $D/config for Pebble, http-01 into the ok webroot, our hook
i4c_dehydrated_conf() {
	cat >"$D/config" <<-EOF
		CA="$VT_PEBBLE_DIR"
		BASEDIR="$D"
		WELLKNOWN="$VT_WEBROOT_OK/.well-known/acme-challenge"
		CHALLENGETYPE="http-01"
		HOOK="$I4C_HOOKS/vantage-dehydrated-hook"
		KEY_ALGO="prime256v1"
	EOF
	mkdir -p "$VT_WEBROOT_OK/.well-known/acme-challenge"
	i4c_run "$D/register.out" "dehydrated --register" env CURL_CA_BUNDLE="$VT_PEBBLE_API_CA" dehydrated -f "$D/config" --register --accept-terms
	((RC == 0)) || fail "dehydrated --register exited $RC: $(tail -n 5 "$D/register.out" | tr '\n' '|')"
}

i4_dehydrated_http01() {
	trap 'rm -rf "$T/dehydrated-http"' EXIT
	i4c_setup dehydrated-http
	i4c_dehydrated_conf
	i4c_run "$D/cron.out" "dehydrated -c -d geo.example.com" env CURL_CA_BUNDLE="$VT_PEBBLE_API_CA" dehydrated -f "$D/config" -c -d geo.example.com
	i4c_show "$D/cron.out" 'vantage-dehydrated-hook|Responding|valid|ERROR|Done'
	((RC == 0)) || fail "dehydrated -c exited $RC: $(tail -n 5 "$D/cron.out" | tr '\n' '|')"
	grep -q 'every vantage sees the challenges' "$D/cron.out" || fail "the hook did not wait"
	i4c_cert "$D/certs/geo.example.com/cert.pem" geo.example.com "$D/certs/geo.example.com/chain.pem"
	i4c_webroot_clean
}

i4_dehydrated_geoblocked_stops() {
	local mark
	trap '"$LAB" unblock >/dev/null 2>&1; rm -rf "$T/dehydrated-geo"' EXIT
	i4c_setup dehydrated-geo
	export VANTAGE_WAIT_ARGS=$I4C_GEO_WAIT
	i4c_dehydrated_conf
	"$LAB" geoblock eu-west >/dev/null 2>&1 || fail "lab.sh geoblock eu-west failed"
	mark=$(i4c_mark)
	i4c_run "$D/cron.out" "dehydrated -c -d geo.example.com" env CURL_CA_BUNDLE="$VT_PEBBLE_API_CA" dehydrated -f "$D/config" -c -d geo.example.com
	i4c_show "$D/cron.out" 'vantage-dehydrated-hook|Responding|valid|ERROR|wait:'
	((RC == 1)) || fail "geo-blocked: dehydrated exited $RC, expected 1"
	grep -q 'still failing: euw1' "$D/cron.out" || fail "vantage wait did not report euw1 still failing"
	grep -q 'deploy_challenge hook returned with non-zero exit code' "$D/cron.out" ||
		fail "dehydrated did not stop at the deploy_challenge hook"
	grep -q 'Responding to challenge' "$D/cron.out" && fail "dehydrated responded to the challenge"
	[[ ! -e $D/certs/geo.example.com/cert.pem ]] || fail "dehydrated has a certificate"
	i4c_expect_no_answer "$mark" "dehydrated geo-blocked"
	i4c_webroot_clean
}

# ------------------------------------------------------------------ acme-tiny
# The wrapper checks the challenge path, then acme-tiny runs.  Success: the
# usual DOCROOT/.well-known/acme-challenge (vantage check --webroot).
# Geo-blocked: an alias-style challenge dir (a symlink here, as nginx's
# `alias` would map it), so the wrapper's own-file check runs, and refuses.
i4_acme_tiny_wrapper() {
	local mark
	trap '"$LAB" unblock >/dev/null 2>&1; rm -rf "$T/acme-tiny"' EXIT
	i4c_setup acme-tiny
	openssl genrsa -out account.key 2048 2>/dev/null || fail "openssl genrsa failed"
	openssl ecparam -genkey -name prime256v1 -noout -out domain.key 2>/dev/null || fail "openssl ecparam failed"
	openssl req -new -key domain.key -subj /CN=geo.example.com -addext subjectAltName=DNS:geo.example.com \
		-out domain.csr 2>/dev/null || fail "openssl req failed"
	mkdir -p "$VT_WEBROOT_OK/.well-known/acme-challenge"
	RC=0
	timeout "$I4C_CLIENT_TIMEOUT" ip netns exec "$VT_NS_TARGET" env SSL_CERT_FILE="$VT_PEBBLE_API_CA" \
		"$I4C_HOOKS/vantage-acme-tiny" --acme-dir "$VT_WEBROOT_OK/.well-known/acme-challenge" -- \
		acme-tiny --account-key account.key --csr domain.csr --directory-url "$VT_PEBBLE_DIR" \
		>signed.crt 2>run.err || RC=$?
	echo "vantage-acme-tiny --acme-dir WEBROOT/.well-known/acme-challenge -- acme-tiny ... -> exit $RC"
	i4c_show run.err 'vantage-acme-tiny|Verdict|verified|signed|Error'
	((RC == 0)) || fail "vantage-acme-tiny exited $RC: $(tail -n 5 run.err | tr '\n' '|')"
	grep -q "fetches a challenge under $VT_WEBROOT_OK for geo.example.com" run.err ||
		fail "the wrapper did not check with --webroot $VT_WEBROOT_OK"
	i4c_cert "$D/signed.crt" geo.example.com
	i4c_webroot_clean

	mkdir -p alias
	ln -s "$VT_WEBROOT_OK/.well-known/acme-challenge" alias/challenges
	"$LAB" geoblock eu-west >/dev/null 2>&1 || fail "lab.sh geoblock eu-west failed"
	mark=$(i4c_mark)
	RC=0
	timeout "$I4C_CLIENT_TIMEOUT" ip netns exec "$VT_NS_TARGET" env SSL_CERT_FILE="$VT_PEBBLE_API_CA" \
		"$I4C_HOOKS/vantage-acme-tiny" -- acme-tiny --account-key account.key --csr domain.csr \
		--acme-dir "$D/alias/challenges" --directory-url "$VT_PEBBLE_DIR" >signed2.crt 2>run2.err || RC=$?
	echo "geo-blocked: vantage-acme-tiny -- acme-tiny --acme-dir ALIAS-DIR ... -> exit $RC"
	i4c_show run2.err 'vantage-acme-tiny|euw1|Verdict'
	((RC == 1)) || fail "geo-blocked: vantage-acme-tiny exited $RC, expected 1"
	grep -q "fetches a challenge from $D/alias/challenges" run2.err || fail "the wrapper did not use its own challenge file"
	grep -q 'euw1 .*Timeout during connect' run2.err || fail "geo-blocked: the check output does not show euw1 timing out"
	[[ ! -s signed2.crt ]] || fail "geo-blocked: acme-tiny printed a certificate"
	i4c_expect_no_client "$mark" "geo-blocked acme-tiny wrapper"
	i4c_webroot_clean
}
