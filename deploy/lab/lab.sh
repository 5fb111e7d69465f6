#!/usr/bin/env bash
# deploy/lab/lab.sh -- the vantage multi-region lab in network namespaces.
#
#   lab.sh up                      build the lab, start every server; prints the run dir
#   lab.sh down [RUNDIR]           stop everything the lab started and remove it
#   lab.sh env [RUNDIR]            print the path of the sourceable env file
#   lab.sh status [RUNDIR]         namespaces, processes, agents as the coordinator sees them
#   lab.sh geoblock REGION|AGENT...  drop those vantages' traffic to geo.example.com
#   lab.sh geoblock-addr SITE|ADDR REGION|AGENT...
#                                  drop all their traffic to one lab address or site
#                                  (alpn-ok, ns2, ...: its IPv4 and IPv6 addresses)
#   lab.sh geoblock-dns REGION|AGENT...  = geoblock-addr ns2 (UDP and TCP 53 time out)
#   lab.sh unblock-addr SITE|ADDR  lift geoblock-addr for that address (unblock-dns: ns2)
#   lab.sh unblock                 empty every geo-block set
#   lab.sh dns-set ns1|ns2|both OWNER TYPE RDATA...   add a record to example.com
#   lab.sh dns-unset ns1|ns2|both OWNER [TYPE]        remove it (Knot re-signs)
#   lab.sh dns-hook add|del NAME VALUE                the hooks' VANTAGE_DNS_HOOK
#                                  contract (docs/hooks.md): TXT NAME VALUE on both
#   lab.sh knotc root|ns1|ns2|sub ARGS...             knotc on one lab nameserver
#   lab.sh start-agent NAME        (re)start one agent (use1 usw2 euw1 euc1 apse1 rogue)
#   lab.sh kill-agent NAME [SIG]   signal one agent (default KILL) and forget its PID
#   lab.sh restart-coordinator [SIG]  signal the coordinator (default KILL), start it again, wait for the agents
#   lab.sh wait-agents [N] [SECS]  wait until N agents (default 5) are "up"
#   lab.sh vantage SUBCMD ARGS...  run bin/vantage SUBCMD in the coordinator's namespace
#                                  with the lab's API token
#   lab.sh exec NODE CMD...        run CMD in a lab namespace (coord, target, use1, ...)
#   lab.sh pebble-restart [VAR=VALUE...]  restart the lab's CA (Pebble, in use1's
#                                  namespace) with extra PEBBLE_* settings
#
# Commands other than up/down find the lab through $VANTAGE_LAB (the run dir)
# or, when exactly one lab exists, on their own.
#
# Network rule: lab namespaces only have the lab's subnets (10.77.0.0/24,
# fd77::/64) behind a bridge in a "core" namespace, no default route, and their
# own /etc/netns/NS/resolv.conf pointing at the lab's recursive resolver
# (unbound on the target, resolving from the lab root).  Namespace
# names carry a per-run id, so runs never collide.  Every wait is bounded.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
TEMPLATES=$LAB_DIR/templates

# ---- tunables (environment) ----
VT_BIN=${VT_BIN:-$REPO/bin}
VT_DIAL_TIMEOUT_MS=${VT_DIAL_TIMEOUT_MS:-3000}
VT_HEARTBEAT_IVL_MS=${VT_HEARTBEAT_IVL_MS:-500}
VT_LIVENESS=${VT_LIVENESS:-3}
VT_JOB_BUDGET_MS=${VT_JOB_BUDGET_MS:-8000}
VT_MIN_ANSWERS=${VT_MIN_ANSWERS:-3}
VT_AGENT_IPV6=${VT_AGENT_IPV6:-true}
VT_DNSSEC=${VT_DNSSEC:-on}               # sign root, example.com, subzones; trust anchor for agents + resolver
VT_NGINX_WORKERS=${VT_NGINX_WORKERS:-2}
VT_NGINX_ACCESS_LOG=${VT_NGINX_ACCESS_LOG:-on}
VT_UP_TIMEOUT=${VT_UP_TIMEOUT:-30}       # seconds to wait for the agents in `up`
VT_NO_VANTAGE=${VT_NO_VANTAGE:-0}        # 1: network + servers only (no coordinator/agents)
VT_START_AGENTS=${VT_START_AGENTS-use1 usw2 euw1 euc1 apse1}
VT_BENCH_NAMES=${VT_BENCH_NAMES:-32}     # bench1..benchN.example.com -> ok's address
VT_AGENT_USER=${VT_AGENT_USER-nobody}    # agents run as this user; "" = as root with --allow-root
VT_PEBBLE=${VT_PEBBLE:-1}                # 1: run Pebble (the lab's ACME CA) in PEBBLE_NODE's namespace

# ---- the lab's fixed plan ----
AGENTS=(use1 usw2 euw1 euc1 apse1)
declare -A REGION=([use1]=us-east [usw2]=us-west [euw1]=eu-west [euc1]=eu-central [apse1]=ap-southeast [rogue]=rogue)
declare -A HOST=([coord]=2 [use1]=11 [usw2]=12 [euw1]=13 [euc1]=14 [apse1]=15 [rogue]=19)
TARGET_V4=(53 54 80 81 82 83 84 85 86 87 90 91 92 100 101 102 103 104
	105 106 107 108 109 110 111 112 113 114 115 116 117 118 119 120 121 122 123 124 125 126 127 128 129)
TARGET_V6=(53 54 80 86 90 91 92)
DNS_V4=10.77.0.53      # the lab root (knotd "root")
RESOLVER_V4=10.77.0.54 # unbound, every namespace's resolv.conf
RESOLVER_V6=fd77::54
# Pebble, the lab's ACME CA: its API and its validation authority live in
# the primary vantage's namespace (use1, us-east), so its validations see
# exactly what that agent sees.  acme.example.com points at it.
PEBBLE_NODE=use1
PEBBLE_HOST=acme.example.com
# knotd instances on the target (lab root, example.com x2, delegated subzones)
DNS_INSTANCES=(root ns1 ns2 sub)
declare -A DNS_HOST=([root]=53 [ns1]=90 [ns2]=91 [sub]=92)
# TLS-ALPN-01 responders (openssl s_server, one per site); alpn-none is nginx
# (alpn-cdn offers no ALPN at all: a CDN's edge, see issue7_tls;
# alpn-hsfail offers only a cipher no client does)
ALPN_SERVERS=(alpn-ok alpn-baddigest alpn-noncrit alpn-tls11 alpn-cdn alpn-hsfail)
# nginx modules and Knot modules the issue-7 sites need (deploy/deps.sh)
NGINX_HEADERS_MORE=/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so
# lab sites and servers by name (last byte of 10.77.0.X / fd77::X), for geoblock-addr
declare -A SITE_V4=([ok]=80 [geo]=81 [closed]=82 [badport]=83 [redir11]=84 [redir12]=85
	[v6broken]=86 [footer]=87 [root]=53 [a.root-servers.lab]=53 [resolver]=54 [ns1]=90 [ns2]=91
	[ns-sub]=92 [alpn-ok]=100 [alpn-baddigest]=101 [alpn-noncrit]=102 [alpn-none]=103 [alpn-tls11]=104
	[denied]=105 [err500]=106 [gone]=107 [cms]=108 [regional]=109 [https-broken]=110 [https-old]=111
	[slash]=112 [httpon443]=113 [plain443]=114 [cf]=115 [testcookie]=116 [paloalto]=117 [router]=118
	[stall]=119 [geodns-eu]=120 [alpn-cdn]=121 [cert-expired]=122 [cert-expiring]=123
	[cert-selfsigned]=124 [cert-wrongname]=125 [certdiff]=126 [alpn-hsfail]=127 [ns-dead]=128
	[cert-renew]=129)
declare -A SITE_V6=([ok]=80 [v6broken]=86 [root]=53 [a.root-servers.lab]=53 [resolver]=54
	[ns1]=90 [ns2]=91 [ns-sub]=92)

die() {
	echo "lab: $*" >&2
	exit 1
}
log() { echo "lab: $*" >&2; }

# ---- run dir discovery ----
find_run() {
	local want=${1:-${VANTAGE_LAB:-}}
	if [[ -n $want ]]; then
		[[ -f $want/state ]] || die "$want is not a lab run dir (no state file)"
		RUN=$want
		return
	fi
	local found=() d
	for d in /tmp/vantage-lab.*; do
		[[ -f $d/state ]] && found+=("$d")
	done
	((${#found[@]} == 1)) || die "found ${#found[@]} labs; set VANTAGE_LAB=RUNDIR (or pass it)"
	RUN=${found[0]}
}

load_run() {
	find_run "${1:-}"
	# shellcheck disable=SC1091
	source "$RUN/state"
}

ns_of() { echo "${VT_ID}-$1"; }

# ---- process handling ----
# A PID is ours only while it lives in one of this run's namespaces.
pid_is_ours() {
	local pid=$1 ns
	[[ -d /proc/$pid ]] || return 1
	ns=$(ip netns identify "$pid" 2>/dev/null || true)
	[[ -n $ns && $ns == "$VT_ID"-* ]]
}

# pid_exited PID: the process is gone, or every one of its threads has
# exited.  The thread-group leader shows "Z" as soon as it exits, while
# other threads (libzmq's I/O threads) may still be running and holding
# the process's sockets; only when the last thread is done are its files
# closed and its ports free.
pid_exited() {
	local st
	[[ -d /proc/$1 ]] || return 0
	for st in /proc/"$1"/task/*/status; do
		[[ -e $st ]] || continue
		grep -q '^State:.*[ZX]' "$st" 2>/dev/null || return 1
	done
	return 0
}

stop_pid() { # PID: TERM, wait up to 3 s, then KILL
	local pid=$1 i
	pid_is_ours "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 30; i++)); do
		pid_exited "$pid" && return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# start_daemon NAME NODE CMD...: run CMD in NODE's namespace, log to logs/NAME.log
start_daemon() {
	local name=$1 node=$2
	shift 2
	ip netns exec "$(ns_of "$node")" "$@" </dev/null >>"$RUN/logs/$name.log" 2>&1 &
	echo $! >"$RUN/pids/$name.pid"
}

# wait_for SECS DESCRIPTION CMD...: retry CMD every 0.2 s for at most SECS
wait_for() {
	local secs=$1 what=$2 i n
	shift 2
	n=$((secs * 5))
	for ((i = 0; i < n; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	log "timed out after ${secs}s waiting for $what"
	return 1
}

# ---- building blocks ----
add_ns() {
	local ns=$1
	ip netns add "$ns"
	echo "$ns" >>"$RUN/netns.list"
	mkdir -p "/etc/netns/$ns"
	printf 'nameserver %s\nnameserver %s\n' "$RESOLVER_V4" "$RESOLVER_V6" >"/etc/netns/$ns/resolv.conf"
	ip -n "$ns" link set lo up
}

# add_node NODE: namespace, veth to the core bridge, addresses (10.77.0.H, fd77::H)
add_node() {
	local node=$1 ns core h
	shift
	ns=$(ns_of "$node")
	core=$(ns_of core)
	add_ns "$ns"
	ip -n "$core" link add "p-$node" type veth peer name eth0 netns "$ns"
	ip -n "$core" link set "p-$node" master br0
	ip -n "$core" link set "p-$node" up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.eth0.accept_dad=0
	if [[ $node == target ]]; then
		for h in "${TARGET_V4[@]}"; do ip -n "$ns" addr add "10.77.0.$h/24" dev eth0; done
		for h in "${TARGET_V6[@]}"; do ip -n "$ns" addr add "fd77::$h/64" dev eth0 nodad; done
	else
		h=${HOST[$node]}
		ip -n "$ns" addr add "10.77.0.$h/24" dev eth0
		ip -n "$ns" addr add "fd77::$h/64" dev eth0 nodad
	fi
	ip -n "$ns" link set eth0 up
}

subst() { # TEMPLATE OUT: replace @RUN@ and friends
	sed -e "s|@RUN@|$RUN|g" -e "s|@WEBROOT@|$RUN/www|g" \
		-e "s|@HEARTBEAT_IVL_MS@|$VT_HEARTBEAT_IVL_MS|g" -e "s|@LIVENESS@|$VT_LIVENESS|g" \
		-e "s|@JOB_BUDGET_MS@|$VT_JOB_BUDGET_MS|g" -e "s|@MIN_ANSWERS@|$VT_MIN_ANSWERS|g" \
		-e "s|@DIAL_TIMEOUT_MS@|$VT_DIAL_TIMEOUT_MS|g" -e "s|@AGENT_IPV6@|$VT_AGENT_IPV6|g" \
		-e "s|@DNSSEC@|$VT_DNSSEC|g" -e "s|@NGINX_WORKERS@|$VT_NGINX_WORKERS|g" \
		-e "s|@SERIAL@|$(date +%s)|g" "$1" >"$2"
}

# redirect_block HOST N: nginx locations giving exactly N redirects for the
# challenge path, the last one to http://ok.example.com/.well-known/acme-challenge/TOKEN
# (single quotes on purpose: $1 is nginx's capture, not a shell variable)
# shellcheck disable=SC2016
redirect_block() {
	local host=$1 n=$2 k
	printf '\t\tlocation ~ ^/\\.well-known/acme-challenge/(.*)$ { return 302 http://%s/hop/%d/$1; }\n' "$host" $((n - 1))
	for ((k = n - 1; k >= 2; k--)); do
		printf '\t\tlocation ~ ^/hop/%d/(.*)$ { return 302 http://%s/hop/%d/$1; }\n' "$k" "$host" $((k - 1))
	done
	printf '\t\tlocation ~ ^/hop/1/(.*)$ { return 302 http://ok.example.com/.well-known/acme-challenge/$1; }\n'
}

write_nginx_conf() {
	local out=$RUN/target/nginx.conf access=off r11 r12
	[[ $VT_NGINX_ACCESS_LOG == on ]] && access="$RUN/logs/nginx-access.log"
	subst "$TEMPLATES/nginx.conf.in" "$out.tmp"
	r11=$(redirect_block redir11.example.com 11)
	r12=$(redirect_block redir12.example.com 12)
	awk -v r11="$r11" -v r12="$r12" -v acc="$access" '
		/^@REDIR11@$/ { print r11; next }
		/^@REDIR12@$/ { print r12; next }
		{ gsub(/@NGINX_ACCESS_LOG@/, acc); print }' "$out.tmp" >"$out"
	rm -f "$out.tmp"
}

# b64url: 32 random bytes, base64url without padding (tokens, thumbprints)
b64url() { head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='; }
sha256_hex() { printf '%s' "$1" | openssl dgst -sha256 -hex | awk '{ print $NF }'; }
sha256_b64url() { printf '%s' "$1" | openssl dgst -sha256 -binary | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# fill_zone TEMPLATE OUT DS-FILE [ns1|ns2]: subst, then the zone placeholders:
# @DS_LINES@ (the DS records in DS-FILE), @DNS_TXT@, @EX_SERIAL@ and lines
# starting with @NS1_ONLY@ (kept for ns1, dropped for every other copy)
fill_zone() {
	local tpl=$1 out=$2 dsf=$3 who=${4:-} serial=$SERIAL_BASE
	[[ $who == ns1 ]] && serial=$((SERIAL_BASE + 1))
	subst "$tpl" "$out.tmp"
	awk -v dsf="$dsf" -v txt="$DNS_TXT" -v serial="$serial" -v who="$who" '
		/^@DS_LINES@$/ {
			if (dsf != "") while ((getline l < dsf) > 0) print l
			next
		}
		/^@NS1_ONLY@/ { if (who != "ns1") next; sub(/^@NS1_ONLY@/, "") }
		{ gsub(/@DNS_TXT@/, txt); gsub(/@EX_SERIAL@/, serial); print }' "$out.tmp" >"$out"
	rm -f "$out.tmp"
}

# zone_entry DOMAIN FILE SIGNING [POLICY [MODULE]]: one knot.conf zone entry
zone_entry() {
	printf '  - domain: %s\n    file: "%s"\n    dnssec-signing: %s\n' "$1" "$2" "$3"
	[[ -z ${4:-} ]] || printf '    dnssec-policy: %s\n' "$4"
	[[ -z ${5:-} ]] || printf '    module: %s\n' "$5"
}

# knot_conf INSTANCE ZONE-ENTRIES [MODULE-SECTIONS]: RUN/dns/INSTANCE/knot.conf
# from the template
knot_conf() {
	local inst=$1 zones=$2 mods=${3:-} dir=$RUN/dns/$1 h=${DNS_HOST[$1]}
	mkdir -p "$dir/db"
	subst "$TEMPLATES/knot.conf.in" "$dir/knot.conf.tmp"
	awk -v z="$zones" -v m="$mods" -v d="$dir" -v i="$inst" -v l="10.77.0.$h@53, fd77::$h@53" '
		/^@ZONES@$/ { print z; next }
		/^@MODULES@$/ { print m; next }
		{ gsub(/@DIR@/, d); gsub(/@INSTANCE@/, i); gsub(/@LISTEN@/, l); print }' "$dir/knot.conf.tmp" >"$dir/knot.conf"
	rm -f "$dir/knot.conf.tmp"
}

# sign_subzone ZONE: RUN/dns/sub/ZONE.zone, signed with a fresh ldns key
# (its DS appended to RUN/dns/sub/ds) unless VT_DNSSEC=off
sign_subzone() {
	local zone=$1 dir=$RUN/dns/sub k
	mkdir -p "$dir/keys"
	fill_zone "$TEMPLATES/$zone.zone.in" "$dir/$zone.unsigned" ""
	if [[ $VT_DNSSEC != on ]]; then
		cp "$dir/$zone.unsigned" "$dir/$zone.zone"
		return 0
	fi
	k=$(cd "$dir/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$zone") || die "ldns-keygen $zone failed"
	# inception an hour back: no validator finds it "not yet valid"
	ldns-signzone -i "$(date -u -d '-1 hour' +%Y%m%d%H%M%S)" -e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)" \
		-o "$zone" -f "$dir/$zone.zone" "$dir/$zone.unsigned" "$dir/keys/$k" || die "ldns-signzone $zone failed"
	cat "$dir/keys/$k.ds" >>"$dir/ds"
}

# corrupt_rrsig FILE OWNER TYPE: flip bytes in the signature of one RRSIG
corrupt_rrsig() {
	local f=$1
	awk -v owner="$2" -v type="$3" '
		$1 == owner && $4 == "RRSIG" && $5 == type && !done {
			sig = $NF; c = substr(sig, 21, 4); r = (c == "AAAA") ? "BBBB" : "AAAA"
			$NF = substr(sig, 1, 20) r substr(sig, 25); done = 1
		}
		{ print }
		END { if (!done) exit 1 }' "$f" >"$f.tmp" || die "no RRSIG $3 for $2 in $f"
	mv "$f.tmp" "$f"
}

write_dns() {
	local i k dsf="" z
	mkdir -p "$RUN/dns/resolver" "$RUN/dns/sub"
	SERIAL_BASE=$(date +%s)
	DNS_KA="$(b64url).$(b64url)"
	DNS_TXT=$(sha256_b64url "$DNS_KA")

	# sub: delegated subzones, pre-signed with ldns; bogus gets corrupted
	: >"$RUN/dns/sub/ds"
	sign_subzone acme-dns.example.com
	sign_subzone bogus.example.com
	if [[ $VT_DNSSEC == on ]]; then
		corrupt_rrsig "$RUN/dns/sub/bogus.example.com.zone" _acme-challenge.bogus.example.com. TXT
	fi
	# geodns.example.com: unsigned; Knot's geoip module answers its A by the
	# resolver's source address (AddressesDiffer)
	subst "$TEMPLATES/geodns.example.com.zone.in" "$RUN/dns/sub/geodns.example.com.zone"
	subst "$TEMPLATES/geodns.conf.in" "$RUN/dns/sub/geodns.conf"
	knot_conf sub "$(zone_entry acme-dns.example.com acme-dns.example.com.zone off
		zone_entry bogus.example.com bogus.example.com.zone off
		zone_entry geodns.example.com geodns.example.com.zone off "" mod-geoip/geodns)" \
		"$(printf 'mod-geoip:\n  - id: geodns\n    config-file: "%s"\n    mode: subnet\n    ttl: 60\n' \
			"$RUN/dns/sub/geodns.conf")"

	# ns1, ns2: example.com, signed by Knot with one shared CSK
	for i in ns1 ns2; do
		knot_conf "$i" "$(zone_entry example.com example.com.zone "$VT_DNSSEC" shared)"
	done
	if [[ $VT_DNSSEC == on ]]; then
		keymgr -c "$RUN/dns/ns1/knot.conf" example.com. generate algorithm=ecdsap256sha256 ksk=yes zsk=yes \
			>>"$RUN/logs/keymgr.log" 2>&1 || die "keymgr generate failed: $(tail -n3 "$RUN/logs/keymgr.log")"
		keymgr -c "$RUN/dns/ns1/knot.conf" example.com. ds 2>>"$RUN/logs/keymgr.log" |
			awk '$2 == "DS" && $5 == 2' >"$RUN/dns/ns1/ds"
		[[ -s $RUN/dns/ns1/ds ]] || die "keymgr printed no DS for example.com"
		cp -a "$RUN/dns/ns1/db/keys" "$RUN/dns/ns2/db/"
		dsf=$RUN/dns/ns1/ds
	fi
	for i in ns1 ns2; do
		z=$RUN/dns/$i/example.com.zone
		fill_zone "$TEMPLATES/example.com.zone.in" "$z" "$([[ $VT_DNSSEC == on ]] && echo "$RUN/dns/sub/ds")" "$i"
		{
			echo "; bench names (make bench): all at ok.example.com's IPv4 address"
			for ((k = 1; k <= VT_BENCH_NAMES; k++)); do
				printf 'bench%d.example.com. A 10.77.0.80\n' "$k"
			done
		} >>"$z"
	done

	# root: delegates example.com (with its DS)
	knot_conf root "$(zone_entry . root.zone "$VT_DNSSEC" lab)"
	fill_zone "$TEMPLATES/root.zone.in" "$RUN/dns/root/root.zone" "$dsf"
	subst "$TEMPLATES/root.hints.in" "$RUN/dns/root.hints"
}

write_resolver_conf() {
	local ta="    # no trust anchor: VT_DNSSEC=off"
	[[ $VT_DNSSEC == on ]] && ta="    trust-anchor-file: \"$RUN/dns/root.key\""
	subst "$TEMPLATES/unbound.conf.in" "$RUN/dns/resolver/unbound.conf.tmp"
	awk -v ta="$ta" '/^@TRUST_ANCHOR_LINE@$/ { print ta; next } { print }' \
		"$RUN/dns/resolver/unbound.conf.tmp" >"$RUN/dns/resolver/unbound.conf"
	rm -f "$RUN/dns/resolver/unbound.conf.tmp"
}

# ---- TLS-ALPN-01 ----
# selfsigned_cert NAME [ACMEID-EXT]: self-signed P-256 certificate
# RUN/tls/NAME.{crt,key} for NAME.example.com, with the acmeIdentifier
# extension value given (a TLS-ALPN-01 validation certificate)
selfsigned_cert() {
	local name=$1 d=$RUN/tls args=()
	[[ -z ${2:-} ]] || args=(-addext "1.3.6.1.5.5.7.1.31=$2")
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$d/$name.key" -out "$d/$name.crt" -subj "/CN=$name.example.com" \
		-addext "subjectAltName=DNS:$name.example.com" "${args[@]}" >>"$RUN/logs/openssl.log" 2>&1 ||
		die "openssl req for $name failed: $(tail -n3 "$RUN/logs/openssl.log")"
}

# lab_ca_cert PREFIX CN SAN DAYS [CA-PREFIX [NOT-BEFORE]]: an ordinary
# server certificate issued by the lab CA (RUN/tls/lab-ca.*, or CA-PREFIX.*):
# PREFIX.key (0600) and PREFIX.crt, for CN with subjectAltName SAN
# ("DNS:a.example.com[,IP:10.77.0.X]").  NOT-BEFORE ("YYYY-mm-dd HH:MM:SS",
# in the past) signs it under faketime, so that it ran out long ago.
lab_ca_cert() {
	local p=$1 cn=$2 san=$3 days=$4 ca=${5:-$RUN/tls/lab-ca} when=() serial
	[[ -z ${6:-} ]] || when=(faketime "$6")
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$p.key" -out "$p.csr" -subj "/CN=$cn" \
		>>"$RUN/logs/openssl.log" 2>&1 || die "openssl: CSR for $cn failed"
	printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" >"$p.ext"
	# a random serial: certificates of one CA told apart (CertificatesDiffer)
	serial=0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	"${when[@]}" openssl x509 -req -in "$p.csr" -CA "$ca.crt" -CAkey "$ca.key" -set_serial "$serial" \
		-days "$days" -extfile "$p.ext" -out "$p.crt" >>"$RUN/logs/openssl.log" 2>&1 ||
		die "openssl: certificate for $cn failed"
	chmod 600 "$p.key"
}

# ca_cert PREFIX SUBJECT: a self-signed P-256 CA (PREFIX.crt, PREFIX.key)
ca_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$1.key" -out "$1.crt" -subj "$2" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		>>"$RUN/logs/openssl.log" 2>&1 || die "openssl: CA $2 failed"
}

# issue7_tls: the certificates of the tls-cert and TLS-ALPN-01 sites of
# issue 7 (docs/lab.md, "Sites for the findings")
issue7_tls() {
	local d=$RUN/tls n
	# alpn-cdn: what a CDN's edge presents (issuer named like Cloudflare's)
	ca_cert "$d/cdn-ca" "/C=US/O=Cloudflare, Inc./CN=Cloudflare Inc ECC CA-3"
	lab_ca_cert "$d/alpn-cdn" alpn-cdn.example.com DNS:alpn-cdn.example.com 30 "$d/cdn-ca"
	# alpn-hsfail: a valid acme-tls/1 certificate behind a handshake no
	# client completes (TLS 1.2 with a NULL cipher only)
	selfsigned_cert alpn-hsfail "critical,DER:0420$ALPN_DIGEST"
	# tls-cert: expired 70 days ago, 90 days with 5 left (close to expiry) and
	# with 25 left (past its renewal point), self-signed, another name
	lab_ca_cert "$d/cert-expired" cert-expired.example.com DNS:cert-expired.example.com 30 "" \
		"$(date -u -d '-100 days' '+%Y-%m-%d %H:%M:%S')"
	lab_ca_cert "$d/cert-expiring" cert-expiring.example.com DNS:cert-expiring.example.com 90 "" \
		"$(date -u -d '-85 days' '+%Y-%m-%d %H:%M:%S')"
	lab_ca_cert "$d/cert-renew" cert-renew.example.com DNS:cert-renew.example.com 90 "" \
		"$(date -u -d '-65 days' '+%Y-%m-%d %H:%M:%S')"
	selfsigned_cert cert-selfsigned
	lab_ca_cert "$d/cert-wrongname" other.example.com DNS:other.example.com 30
	# certdiff: two valid certificates, one for eu-west (nginx geo picks it)
	for n in a b; do
		lab_ca_cert "$d/certdiff-$n" certdiff.example.com DNS:certdiff.example.com 60
	done
	# HTTPS behind the redirects: TLS 1.1 only; TLS on the port plain443 names
	lab_ca_cert "$d/https-old" https-old.example.com DNS:https-old.example.com 30
	lab_ca_cert "$d/plain443" plain443.example.com DNS:plain443.example.com 30
}

write_tls() {
	local d=$RUN/tls digest
	mkdir -p "$d"
	ALPN_KA="$(b64url).$(b64url)"
	ALPN_KA_OTHER="$(b64url).$(b64url)"
	digest=$(sha256_hex "$ALPN_KA")
	ALPN_DIGEST=$digest
	selfsigned_cert alpn-ok "critical,DER:0420$digest"
	selfsigned_cert alpn-baddigest "critical,DER:0420$(sha256_hex "$ALPN_KA_OTHER")"
	selfsigned_cert alpn-noncrit "DER:0420$digest"
	selfsigned_cert alpn-tls11 "critical,DER:0420$digest"
	# alpn-none: an ordinary site certificate issued by a lab CA
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$d/lab-ca.key" -out "$d/lab-ca.crt" -subj "/O=vantage lab/CN=vantage lab CA" \
		>>"$RUN/logs/openssl.log" 2>&1 || die "openssl: lab CA failed"
	lab_ca_cert "$d/alpn-none" alpn-none.example.com DNS:alpn-none.example.com 30
	# geo.example.com also serves HTTPS (tls-cert monitoring) with a lab-CA
	# certificate, like a real site's
	lab_ca_cert "$d/geo" geo.example.com DNS:geo.example.com 90
	issue7_tls
	chmod 600 "$d"/*.key
	# nginx's workers (www-data) load certdiff's pair per handshake
	# (ssl_certificate with a variable), not the master at start
	chgrp www-data "$d"/certdiff-?.key
	chmod 640 "$d"/certdiff-?.key
}

listening() { # ADDR:PORT (TCP, in the target namespace)
	ip netns exec "$(ns_of target)" ss -Hltn 2>/dev/null | awk '{ print $4 }' | grep -qxF "$1"
}

start_alpn() {
	local name h extra
	for name in "${ALPN_SERVERS[@]}"; do
		h=${SITE_V4[$name]}
		extra=(-alpn acme-tls/1)
		[[ $name == alpn-tls11 ]] && extra+=(-tls1_1 -cipher 'DEFAULT@SECLEVEL=0')
		# a CDN edge: no ALPN callback, so acme-tls/1 is never selected
		[[ $name == alpn-cdn ]] && extra=(-cert_chain "$RUN/tls/cdn-ca.crt")
		[[ $name == alpn-hsfail ]] && extra+=(-tls1_2 -cipher 'ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0')
		start_daemon "s_server-$name" target openssl s_server -quiet -www -accept "10.77.0.$h:443" \
			-cert "$RUN/tls/$name.crt" -key "$RUN/tls/$name.key" "${extra[@]}"
	done
	for name in "${ALPN_SERVERS[@]}"; do
		wait_for 5 "openssl s_server for $name" listening "10.77.0.${SITE_V4[$name]}:443" ||
			die "openssl s_server for $name did not start: $(tail -n3 "$RUN/logs/s_server-$name.log")"
	done
}

write_webroots() {
	local d
	for d in ok footer wrong; do
		mkdir -p "$RUN/www/$d/.well-known/acme-challenge"
	done
	echo "vantage lab: ok.example.com" >"$RUN/www/ok/index.html"
	echo "vantage lab: footer.example.com" >"$RUN/www/footer/index.html"
	# a fixed file for the benchmark's 2xx probes
	echo "bench-token.bench-thumbprint" >"$RUN/www/ok/.well-known/acme-challenge/bench-token"
	chmod -R a+rX "$RUN/www"
}

write_nft() {
	local ns
	ns=$(ns_of target)
	ip netns exec "$ns" nft -f - <<-'EOF'
		table inet vtlab {
			set geo_blocked {
				type ipv4_addr
			}
			set geo_blocked6 {
				type ipv6_addr
			}
			# geoblock-addr: (lab address . vantage address) pairs
			set pair_blocked {
				type ipv4_addr . ipv4_addr
			}
			set pair_blocked6 {
				type ipv6_addr . ipv6_addr
			}
			chain input {
				type filter hook input priority 0; policy accept;
				ip daddr 10.77.0.81 ip saddr @geo_blocked tcp dport { 80, 443 } drop
				ip6 saddr @geo_blocked6 tcp dport { 80, 443 } ip6 daddr fd77::81 drop
				ip6 daddr fd77::86 drop
				ip daddr . ip saddr @pair_blocked drop
				ip6 daddr . ip6 saddr @pair_blocked6 drop
				# stall.example.com: nginx's upstream never answers
				ip daddr 10.77.0.119 tcp dport 9 drop
				# ns-dead (dns-timeout.example.com's nameserver): never answers
				ip daddr 10.77.0.128 drop
			}
		}
	EOF
}

tkdig() { ip netns exec "$(ns_of target)" kdig +timeout=1 +retry=0 "$@"; }
# knot_ready INSTANCE: the instance answers its zone's SOA (signed when it signs)
knot_ready() {
	local h=${DNS_HOST[$1]} zone=example.com
	case $1 in
	root) zone=. ;;
	sub) zone=bogus.example.com ;;
	esac
	if [[ $VT_DNSSEC == on && $1 != sub ]]; then
		tkdig +dnssec +noall +answer @"10.77.0.$h" "$zone" SOA | grep -q 'RRSIG'
	else
		tkdig +short @"10.77.0.$h" "$zone" SOA | grep -q .
	fi
}
# resolver_ready: unbound resolves ok.example.com from the root (validated)
resolver_ready() {
	local out
	out=$(tkdig +dnssec @"$RESOLVER_V4" ok.example.com A) || return 1
	grep -qE '^ok\.example\.com\.\s.*\sA\s+10\.77\.0\.80$' <<<"$out" || return 1
	[[ $VT_DNSSEC != on ]] || grep -qi 'flags:.* ad' <<<"$out"
}
web_answers() { ip netns exec "$(ns_of target)" curl -fsS -m 2 -o /dev/null http://10.77.0.80/index.html; }
api_answers() { [[ -s $RUN/coord/api.token ]] && ip netns exec "$(ns_of coord)" curl -fsS -m 2 -o /dev/null -H "Authorization: Bearer $(cat "$RUN/coord/api.token")" http://127.0.0.1:8750/v1/health; }

write_trust_anchor() {
	local ns ta
	ns=$(ns_of target)
	# Knot signs the zone asynchronously after loading it: wait for the KSK.
	wait_for 15 "the signed lab root (DNSKEY 257)" bash -c \
		"ip netns exec '$ns' kdig +timeout=1 +retry=0 +short @$DNS_V4 . DNSKEY | grep -q '^257 '"
	ta=$(ip netns exec "$ns" kdig +timeout=1 +retry=0 +short @"$DNS_V4" . DNSKEY | grep '^257 ' | head -n1)
	echo ". 3600 IN DNSKEY $ta" >"$RUN/dns/root.key"
}

agent_conf() { # NAME
	local name=$1 ta_line="  # trust_anchor: none (unsigned lab root)"
	if [[ $VT_DNSSEC == on ]]; then
		ta_line="  trust_anchor = \"$RUN/dns/root.key\";"
	fi
	sed -e "s|@NAME@|$name|g" "$TEMPLATES/agent.conf.in" >"$RUN/agents/$name.conf.in"
	subst "$RUN/agents/$name.conf.in" "$RUN/agents/$name.conf.tmp"
	awk -v ta="$ta_line" '/^@TRUST_ANCHOR_LINE@$/ { print ta; next } { print }' \
		"$RUN/agents/$name.conf.tmp" >"$RUN/agents/$name.conf"
	rm -f "$RUN/agents/$name.conf.in" "$RUN/agents/$name.conf.tmp"
}

# start_agent NAME: as VT_AGENT_USER (the agent refuses root), which gets its
# secret key file; setpriv and env exec in place, so the PID file holds the
# agent's own PID (kill-agent signals the agent, not a wrapper).  Its trust
# store (tls-cert) is the lab CA alone, as a real site's CA is in the
# system's: SSL_CERT_FILE.
start_agent() { # NAME
	local name=$1 f=$RUN/pids/agent-$1.pid drop=() group
	[[ -n ${HOST[$name]:-} && $name != coord ]] || die "unknown agent '$name'"
	if [[ -f $f ]] && pid_is_ours "$(cat "$f")"; then
		log "agent $name already running (pid $(cat "$f"))"
		return 0
	fi
	if [[ -n $VT_AGENT_USER ]]; then
		group=$(id -gn "$VT_AGENT_USER") || die "no user '$VT_AGENT_USER' for the agents (VT_AGENT_USER)"
		chown "$VT_AGENT_USER:$group" "$RUN/keys/$name.key"
		drop=(setpriv --reuid="$VT_AGENT_USER" --regid="$group" --clear-groups --)
		start_daemon "agent-$name" "$name" "${drop[@]}" env SSL_CERT_FILE="$RUN/tls/lab-ca.crt" \
			"$VT_BIN/vantage-agent" --config "$RUN/agents/$name.conf"
	else
		start_daemon "agent-$name" "$name" env SSL_CERT_FILE="$RUN/tls/lab-ca.crt" \
			"$VT_BIN/vantage-agent" --config "$RUN/agents/$name.conf" --allow-root
	fi
}

# start_coordinator: vantage serve in the coordinator's namespace, then wait
# (<= 15 s) for its API.
start_coordinator() {
	local i cpid
	start_daemon coordinator coord "$VT_BIN/vantage" serve --config "$RUN/coord/coordinator.conf"
	cpid=$(cat "$RUN/pids/coordinator.pid")
	for ((i = 0; i < 75; i++)); do # <= 15 s
		api_answers && break
		# not pid_is_ours: right after the fork, `ip netns exec` may not
		# have entered the namespace yet
		if pid_exited "$cpid"; then
			die "the coordinator exited; last log lines: $(tail -n 15 "$RUN/logs/coordinator.log")"
		fi
		sleep 0.2
	done
	api_answers || die "coordinator's API not answering after 15 s; last log lines: $(tail -n 15 "$RUN/logs/coordinator.log")"
}

# restart_coordinator SIGNAL: signal the coordinator (KILL: no chance to
# clean up), wait for it to go (<= 5 s), start it again with the same
# configuration and wait for every agent that was up to come back.
restart_coordinator() {
	local sig=${1:-KILL} f=$RUN/pids/coordinator.pid pid i n
	[[ -f $f ]] || die "the coordinator is not running (no PID file)"
	pid=$(cat "$f")
	pid_is_ours "$pid" || die "the coordinator (pid $pid) is not running"
	n=$(agents_up_count)
	kill -s "$sig" "$pid"
	for ((i = 0; i < 50; i++)); do
		pid_exited "$pid" && break
		sleep 0.1
	done
	pid_exited "$pid" || die "the coordinator (pid $pid) did not exit after SIG$sig"
	log "coordinator (pid $pid) stopped with SIG$sig; starting it again"
	start_coordinator
	wait_agents "$n" "$VT_UP_TIMEOUT" || die "agents did not come back after the restart"
}

agents_up_count() {
	ip netns exec "$(ns_of coord)" "$VT_BIN/vantage" agents --token-file "$RUN/coord/api.token" --json 2>/dev/null |
		jq '[.agents[] | select(.state == "up")] | length' 2>/dev/null || echo 0
}

wait_agents() { # N SECS
	local want=${1:-5} secs=${2:-$VT_UP_TIMEOUT} i n=0
	for ((i = 0; i < secs * 2; i++)); do
		n=$(agents_up_count)
		((n >= want)) && return 0
		sleep 0.5
	done
	log "only $n of $want agents up after ${secs}s"
	return 1
}

write_env() {
	local f=$RUN/env node var
	{
		echo "# vantage lab $VT_ID -- source this file"
		echo "VANTAGE_LAB=$RUN"
		echo "VT_RUN=$RUN"
		echo "VT_ID=$VT_ID"
		echo "VT_REPO=$REPO"
		echo "VT_BIN=$VT_BIN"
		echo "VT_LAB_SH=$LAB_DIR/lab.sh"
		echo "VT_LOGS=$RUN/logs"
		echo "VT_TOKEN_FILE=$RUN/coord/api.token"
		echo "VT_KEYS=$RUN/keys"
		echo "VT_WEBROOT=$RUN/www"
		echo "VT_WEBROOT_OK=$RUN/www/ok"
		echo "VT_WEBROOT_FOOTER=$RUN/www/footer"
		echo "VT_WEBROOT_WRONG=$RUN/www/wrong"
		echo "VT_ROOT_HINTS=$RUN/dns/root.hints"
		echo "VT_TRUST_ANCHOR=$([[ $VT_DNSSEC == on ]] && echo "$RUN/dns/root.key")"
		echo "VT_DNS=$DNS_V4"
		echo "VT_DNS_ROOT=$DNS_V4"
		echo "VT_RESOLVER=$RESOLVER_V4"
		echo "VT_RESOLVER6=$RESOLVER_V6"
		echo "VT_DNS_NS1=10.77.0.${DNS_HOST[ns1]}"
		echo "VT_DNS_NS1_V6=fd77::${DNS_HOST[ns1]}"
		echo "VT_DNS_NS2=10.77.0.${DNS_HOST[ns2]}"
		echo "VT_DNS_NS2_V6=fd77::${DNS_HOST[ns2]}"
		echo "VT_DNS_SUB=10.77.0.${DNS_HOST[sub]}"
		echo "VT_DNS_SUB_V6=fd77::${DNS_HOST[sub]}"
		echo "VT_DNS_KA=$DNS_KA"
		echo "VT_DNS_TXT=$DNS_TXT"
		echo "VT_ALPN_KA=$ALPN_KA"
		echo "VT_ALPN_DIGEST=$ALPN_DIGEST"
		echo "VT_ALPN_KA_OTHER=$ALPN_KA_OTHER"
		echo "VT_TLS_DIR=$RUN/tls"
		echo "VT_LAB_CA=$RUN/tls/lab-ca.crt"
		if [[ $VT_PEBBLE == 1 ]]; then
			echo "VT_PEBBLE_DIR=https://$PEBBLE_HOST/dir"
			echo "VT_PEBBLE_HOST=$PEBBLE_HOST"
			echo "VT_PEBBLE_NODE=$PEBBLE_NODE"
			echo "VT_PEBBLE_ADDR=10.77.0.${HOST[$PEBBLE_NODE]}"
			echo "VT_PEBBLE_MGMT=https://10.77.0.${HOST[$PEBBLE_NODE]}:15000"
			echo "VT_PEBBLE_LOG=$RUN/logs/pebble.log"
			echo "VT_PEBBLE_API_CA=$RUN/tls/lab-ca.crt"
			echo "VT_PEBBLE_ROOT=$RUN/pebble/root.pem"
		fi
		for node in $(printf '%s\n' "${!SITE_V4[@]}" | sort); do
			[[ $node == *.* ]] && continue
			var=$(echo "$node" | tr '[:lower:]-' '[:upper:]_')
			echo "VT_SITE_$var=10.77.0.${SITE_V4[$node]}"
		done
		echo "VT_AGENTS='${AGENTS[*]}'"
		echo "VT_JOB_BUDGET_MS=$VT_JOB_BUDGET_MS"
		echo "VT_DIAL_TIMEOUT_MS=$VT_DIAL_TIMEOUT_MS"
		echo "VT_HEARTBEAT_IVL_MS=$VT_HEARTBEAT_IVL_MS"
		echo "VT_LIVENESS=$VT_LIVENESS"
		for node in core coord target "${AGENTS[@]}" rogue; do
			var=$(echo "$node" | tr '[:lower:]' '[:upper:]')
			echo "VT_NS_$var=$(ns_of "$node")"
		done
		for node in "${AGENTS[@]}" rogue; do
			echo "VT_ADDR_$node=10.77.0.${HOST[$node]}"
			echo "VT_REGION_$node=${REGION[$node]}"
		done
		cat <<-'EOF'
			# vt_ns NODE: the namespace of a lab node (core coord target use1 ... rogue)
			vt_ns() { local v="VT_NS_${1^^}"; echo "${!v}"; }
			# vt_exec NODE CMD...: run CMD inside a lab node
			vt_exec() { local n; n=$(vt_ns "$1"); shift; ip netns exec "$n" "$@"; }
			# vt_vantage SUBCMD ARGS...: the vantage CLI in the coordinator's namespace
			vt_vantage() { local s=$1; shift; ip netns exec "$VT_NS_COORD" "$VT_BIN/vantage" "$s" --token-file "$VT_TOKEN_FILE" "$@"; }
			# vt_agent_pid NAME: the running agent's PID (empty if none)
			vt_agent_pid() { cat "$VT_RUN/pids/agent-$1.pid" 2>/dev/null || true; }
		EOF
	} >"$f"
}

# ---- Pebble (the lab's ACME CA) ----
# pebble_files: RUN/pebble/{api.crt,api.key,config.json}; the API's
# certificate is issued by the lab CA for acme.example.com and its address.
pebble_files() {
	local d=$RUN/pebble addr=10.77.0.${HOST[$PEBBLE_NODE]}
	mkdir -p "$d"
	lab_ca_cert "$d/api" "$PEBBLE_HOST" "DNS:$PEBBLE_HOST,IP:$addr" 30
	# httpPort/tlsPort 80 and 443: validate as a real CA does
	cat >"$d/config.json" <<-EOF
		{
		  "pebble": {
		    "listenAddress": "$addr:443",
		    "managementListenAddress": "$addr:15000",
		    "certificate": "$d/api.crt",
		    "privateKey": "$d/api.key",
		    "httpPort": 80,
		    "tlsPort": 443,
		    "ocspResponderURL": "",
		    "externalAccountBindingRequired": false
		  }
		}
	EOF
}

pebble_answers() {
	ip netns exec "$(ns_of target)" curl -fsS -m 2 -o /dev/null --cacert "$RUN/tls/lab-ca.crt" \
		"https://$PEBBLE_HOST/dir"
}

# start_pebble [VAR=VALUE...]: Pebble with its resolver the lab's unbound
# (short caches), no artificial validation sleep, no nonce rejections (the
# clients' retries would make the logs nondeterministic) and no reuse of
# valid authorizations (every test must see its own validation); extra
# PEBBLE_* settings override these.  Its roots go to RUN/pebble/root.pem.
start_pebble() {
	local addr=10.77.0.${HOST[$PEBBLE_NODE]} i
	start_daemon pebble "$PEBBLE_NODE" env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
		PEBBLE_AUTHZREUSE=0 "$@" pebble -config "$RUN/pebble/config.json" -dnsserver "$RESOLVER_V4:53"
	wait_for 15 "Pebble to answer on https://$PEBBLE_HOST/dir" pebble_answers ||
		die "Pebble does not answer; last log lines: $(tail -n 5 "$RUN/logs/pebble.log")"
	for ((i = 0; i < 10; i++)); do
		ip netns exec "$(ns_of target)" curl -fsS -m 2 --cacert "$RUN/tls/lab-ca.crt" \
			-o "$RUN/pebble/root.pem" "https://$addr:15000/roots/0" && break
		sleep 0.2
	done
	[[ -s $RUN/pebble/root.pem ]] || die "cannot fetch Pebble's root from its management API"
}

# ---- subcommands ----
up_failed() {
	local rc=$?
	if ((rc != 0)); then
		log "up failed (rc $rc); tearing down $RUN"
		cmd_down_inner || true
	fi
}

cmd_up() {
	[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces)"
	local t
	for t in ip nft nginx knotd knotc keymgr kdig ldns-keygen ldns-signzone unbound openssl ss curl jq sysctl setpriv \
		faketime; do
		command -v "$t" >/dev/null || die "missing tool '$t' (run: make deps)"
	done
	[[ -f $NGINX_HEADERS_MORE ]] || die "missing $NGINX_HEADERS_MORE (run: make deps)"
	compgen -G '/usr/lib/*/knot/modules-*/geoip.so' >/dev/null || die "missing Knot's geoip module (run: make deps)"
	if [[ $VT_NO_VANTAGE != 1 ]]; then
		[[ -x $VT_BIN/vantage ]] || die "$VT_BIN/vantage not built (run: make all)"
		if [[ -n ${VT_START_AGENTS// /} && ! -x $VT_BIN/vantage-agent ]]; then
			die "$VT_BIN/vantage-agent not built (run: make all)"
		fi
	fi

	RUN=$(mktemp -d /tmp/vantage-lab.XXXXXX)
	chmod 755 "$RUN"
	VT_ID="vt$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
	mkdir -p "$RUN/logs" "$RUN/pids" "$RUN/target/nginx-tmp" "$RUN/keys" "$RUN/coord/agents.d" "$RUN/agents"
	: >"$RUN/netns.list"
	{
		echo "VT_ID=$VT_ID"
		echo "RUN=$RUN"
		echo "VT_BIN=$VT_BIN"
		echo "VT_DNSSEC=$VT_DNSSEC"
		echo "VT_PEBBLE=$VT_PEBBLE"
	} >"$RUN/state"
	# From here on, any failure tears down what exists so far.
	trap up_failed EXIT
	log "run dir $RUN, id $VT_ID"

	# core: the bridge every host hangs off
	local core
	core=$(ns_of core)
	add_ns "$core"
	ip -n "$core" link add br0 type bridge
	ip -n "$core" link set br0 type bridge mcast_snooping 0
	ip -n "$core" link set br0 up

	local node
	for node in coord target "${AGENTS[@]}" rogue; do
		add_node "$node"
	done
	write_nft

	# DNS, web and TLS on the target
	write_dns
	write_tls
	write_webroots
	write_nginx_conf
	local inst
	for inst in "${DNS_INSTANCES[@]}"; do
		start_daemon "knotd-$inst" target knotd -c "$RUN/dns/$inst/knot.conf"
	done
	ip netns exec "$(ns_of target)" nginx -t -q -c "$RUN/target/nginx.conf" || die "nginx config test failed"
	start_daemon nginx target nginx -c "$RUN/target/nginx.conf"
	start_alpn
	for inst in "${DNS_INSTANCES[@]}"; do
		wait_for 15 "knotd $inst to answer (signed)" knot_ready "$inst" ||
			die "knotd $inst not ready; last log lines: $(tail -n 5 "$RUN/logs/knotd-$inst.log")"
	done
	if [[ $VT_DNSSEC == on ]]; then
		write_trust_anchor
	fi
	write_resolver_conf
	start_daemon unbound target unbound -d -c "$RUN/dns/resolver/unbound.conf"
	wait_for 10 "the lab resolver to resolve ok.example.com (validated)" resolver_ready ||
		die "the lab resolver (unbound, $RESOLVER_V4) does not resolve ok.example.com; see $RUN/logs/unbound.log"
	wait_for 10 "nginx to answer" web_answers || die "nginx does not answer"
	if [[ $VT_PEBBLE == 1 ]]; then
		command -v pebble >/dev/null || die "missing tool 'pebble' (run: make deps)"
		pebble_files
		start_pebble
	fi

	if [[ $VT_NO_VANTAGE != 1 ]]; then
		"$VT_BIN/vantage" keygen coordinator --dir "$RUN/keys" >>"$RUN/logs/keygen.log" 2>&1 ||
			die "vantage keygen coordinator failed: $(tail -n3 "$RUN/logs/keygen.log")"
		for node in "${AGENTS[@]}" rogue; do
			"$VT_BIN/vantage" keygen "$node" --dir "$RUN/keys" >>"$RUN/logs/keygen.log" 2>&1 ||
				die "vantage keygen $node failed: $(tail -n3 "$RUN/logs/keygen.log")"
			agent_conf "$node"
		done
		for node in "${AGENTS[@]}"; do # not the rogue
			cp "$RUN/keys/$node.pub" "$RUN/coord/agents.d/$node.pub"
		done
		subst "$TEMPLATES/coordinator.conf.in" "$RUN/coord/coordinator.conf"
		start_coordinator
		for node in $VT_START_AGENTS; do
			start_agent "$node"
		done
	fi
	write_env
	if [[ $VT_NO_VANTAGE != 1 ]]; then
		local n
		n=$(wc -w <<<"$VT_START_AGENTS")
		wait_agents "$n" "$VT_UP_TIMEOUT" || die "agents did not come up; see $RUN/logs"
	fi
	trap - EXIT
	log "lab up: source $RUN/env"
	echo "$RUN"
}

cmd_down_inner() {
	local f pid ns i
	# 1. the processes we started, by PID
	for f in "$RUN"/pids/*.pid; do
		[[ -f $f ]] || continue
		pid=$(cat "$f")
		[[ $pid =~ ^[0-9]+$ ]] && stop_pid "$pid"
		rm -f "$f"
	done
	# 2. anything else still inside this run's namespaces (they are ours alone)
	if [[ -f $RUN/netns.list ]]; then
		while read -r ns; do
			[[ -n $ns ]] || continue
			for pid in $(ip netns pids "$ns" 2>/dev/null); do
				stop_pid "$pid"
			done
		done <"$RUN/netns.list"
		# 3. the namespaces (veths and the bridge go with them), core last
		for ((i = 0; i < 2; i++)); do
			while read -r ns; do
				[[ -n $ns ]] || continue
				[[ $ns == *-core && $i -eq 0 ]] && continue
				ip netns del "$ns" 2>/dev/null || true
				rm -rf "/etc/netns/$ns"
			done <"$RUN/netns.list"
		done
	fi
	rmdir /etc/netns 2>/dev/null || true
	if [[ ${VANTAGE_LAB_KEEP:-0} == 1 ]]; then
		log "kept $RUN (VANTAGE_LAB_KEEP=1)"
		rm -f "$RUN/state"
	elif [[ $RUN == /tmp/vantage-lab.* ]]; then
		rm -rf "$RUN"
	fi
}

cmd_down() {
	[[ $(id -u) -eq 0 ]] || die "must run as root"
	load_run "${1:-}"
	log "tearing down $VT_ID ($RUN)"
	cmd_down_inner
	local left
	left=$(ip netns list | grep -c "^$VT_ID-" || true)
	((left == 0)) || die "$left namespaces of $VT_ID are still there"
	log "down"
}

nodes_for() { # REGION|AGENT... -> agent names
	local arg a found
	for arg in "$@"; do
		found=0
		for a in "${AGENTS[@]}" rogue; do
			if [[ $arg == "$a" || $arg == "${REGION[$a]}" ]]; then
				echo "$a"
				found=1
			fi
		done
		((found)) || die "no vantage in region or named '$arg'"
	done
}

cmd_geoblock() {
	(($# > 0)) || die "usage: lab.sh geoblock REGION|AGENT..."
	load_run
	local a ns
	ns=$(ns_of target)
	for a in $(nodes_for "$@"); do
		ip netns exec "$ns" nft add element inet vtlab geo_blocked "{ 10.77.0.${HOST[$a]} }"
		ip netns exec "$ns" nft add element inet vtlab geo_blocked6 "{ fd77::${HOST[$a]} }"
		log "geo-blocked $a (${REGION[$a]}, 10.77.0.${HOST[$a]})"
	done
}

cmd_unblock() {
	load_run
	local ns
	ns=$(ns_of target)
	ip netns exec "$ns" nft flush set inet vtlab geo_blocked
	ip netns exec "$ns" nft flush set inet vtlab geo_blocked6
	ip netns exec "$ns" nft flush set inet vtlab pair_blocked
	ip netns exec "$ns" nft flush set inet vtlab pair_blocked6
	log "geo-block sets emptied"
}

# target_addrs SITE|ADDR: the lab addresses of a site/server name or a literal address
target_addrs() {
	local t=${1%.}
	if [[ $t =~ ^10\.77\.0\.[0-9]+$ || $t == fd77:* ]]; then
		echo "$t"
		return 0
	fi
	t=${t%.example.com}
	[[ -n ${SITE_V4[$t]:-} ]] || die "no lab site or server '$1' (one of: ${!SITE_V4[*]}, or an address)"
	echo "10.77.0.${SITE_V4[$t]}"
	[[ -z ${SITE_V6[$t]:-} ]] || echo "fd77::${SITE_V6[$t]}"
}

cmd_geoblock_addr() { # SITE|ADDR REGION|AGENT...
	(($# >= 2)) || die "usage: lab.sh geoblock-addr SITE|ADDR REGION|AGENT..."
	load_run
	local target=$1 a addr ns
	shift
	ns=$(ns_of target)
	for a in $(nodes_for "$@"); do
		for addr in $(target_addrs "$target"); do
			if [[ $addr == *:* ]]; then
				ip netns exec "$ns" nft add element inet vtlab pair_blocked6 "{ $addr . fd77::${HOST[$a]} }"
			else
				ip netns exec "$ns" nft add element inet vtlab pair_blocked "{ $addr . 10.77.0.${HOST[$a]} }"
			fi
		done
		log "geo-blocked $a (${REGION[$a]}) from $target ($(target_addrs "$target" | paste -sd' '))"
	done
}

cmd_unblock_addr() { # SITE|ADDR
	(($# == 1)) || die "usage: lab.sh unblock-addr SITE|ADDR"
	load_run
	local a addr ns
	ns=$(ns_of target)
	for addr in $(target_addrs "$1"); do
		for a in "${AGENTS[@]}" rogue; do
			if [[ $addr == *:* ]]; then
				ip netns exec "$ns" nft delete element inet vtlab pair_blocked6 "{ $addr . fd77::${HOST[$a]} }" 2>/dev/null || true
			else
				ip netns exec "$ns" nft delete element inet vtlab pair_blocked "{ $addr . 10.77.0.${HOST[$a]} }" 2>/dev/null || true
			fi
		done
	done
	log "lifted the geo-blocks of $1"
}

knotc_of() { # INSTANCE ARGS...
	local inst=$1
	shift
	[[ -n ${DNS_HOST[$inst]:-} ]] || die "no lab nameserver '$inst' (${DNS_INSTANCES[*]})"
	knotc -s "$RUN/dns/$inst/knot.sock" "$@"
}

# dns_edit ns1|ns2|both set|unset OWNER ARGS...: one transaction on example.com
dns_edit() {
	local which=$1 op=$2 owner=$3 inst insts=()
	shift 3
	load_run
	case $which in
	ns1 | ns2) insts=("$which") ;;
	both) insts=(ns1 ns2) ;;
	*) die "usage: lab.sh dns-$op ns1|ns2|both OWNER ..." ;;
	esac
	# OWNER relative to example.com, or absolute (a trailing dot is added to a
	# name that already ends in example.com)
	[[ $owner == *example.com ]] && owner=$owner.
	for inst in "${insts[@]}"; do
		knotc_of "$inst" zone-begin example.com. >/dev/null || die "knotc zone-begin on $inst failed"
		if ! knotc_of "$inst" "zone-$op" example.com. "$owner" "$@" >/dev/null; then
			knotc_of "$inst" zone-abort example.com. >/dev/null 2>&1 || true
			die "knotc zone-$op on $inst failed"
		fi
		knotc_of "$inst" zone-commit example.com. >/dev/null || die "knotc zone-commit on $inst failed"
		log "$inst: zone-$op $owner $*"
	done
}

cmd_status() {
	load_run "${1:-}"
	local f name pid st set
	echo "lab $VT_ID  run dir $RUN"
	echo "namespaces:"
	ip netns list | grep "^$VT_ID-" | sed 's/^/  /' || true
	echo "processes:"
	for f in "$RUN"/pids/*.pid; do
		[[ -f $f ]] || continue
		name=$(basename "$f" .pid)
		pid=$(cat "$f")
		st=dead
		pid_is_ours "$pid" && st=running
		printf '  %-18s pid %-8s %s\n' "$name" "$pid" "$st"
	done
	echo "geo-blocked:"
	ip netns exec "$(ns_of target)" nft list set inet vtlab geo_blocked 2>/dev/null | sed -n 's/^\s*elements = /  /p' || true
	echo "geo-blocked (lab address . vantage):"
	for set in pair_blocked pair_blocked6; do
		ip netns exec "$(ns_of target)" nft list set inet vtlab "$set" 2>/dev/null |
			sed -n '/elements = /,/}/{s/^\s*elements = //;s/^\s*/  /;p}' || true
	done
	if [[ -s $RUN/coord/api.token ]]; then
		echo "agents (coordinator's view):"
		ip netns exec "$(ns_of coord)" "$VT_BIN/vantage" agents --token-file "$RUN/coord/api.token" 2>&1 | sed 's/^/  /' || true
	fi
}

main() {
	local cmd=${1:-}
	(($# > 0)) && shift
	case $cmd in
	up) cmd_up ;;
	down) cmd_down "$@" ;;
	env)
		load_run "${1:-}"
		echo "$RUN/env"
		;;
	status) cmd_status "$@" ;;
	geoblock) cmd_geoblock "$@" ;;
	unblock) cmd_unblock ;;
	geoblock-addr) cmd_geoblock_addr "$@" ;;
	unblock-addr) cmd_unblock_addr "$@" ;;
	geoblock-dns) cmd_geoblock_addr ns2 "$@" ;;
	unblock-dns) cmd_unblock_addr ns2 ;;
	dns-set)
		(($# >= 4)) || die "usage: lab.sh dns-set ns1|ns2|both OWNER TYPE RDATA..."
		local w=$1 o=$2 ty=$3
		shift 3
		dns_edit "$w" set "$o" 60 "$ty" "$@"
		;;
	dns-unset)
		(($# >= 2)) || die "usage: lab.sh dns-unset ns1|ns2|both OWNER [TYPE]"
		local w=$1 o=$2
		shift 2
		dns_edit "$w" unset "$o" "$@"
		;;
	dns-hook)
		# VANTAGE_DNS_HOOK="$VT_LAB_SH dns-hook" for the ACME client hooks
		(($# == 3)) || die "usage: lab.sh dns-hook add|del NAME VALUE"
		case $1 in
		add) dns_edit both set "$2" 60 TXT "\"$3\"" ;;
		del) dns_edit both unset "$2" TXT "\"$3\"" ;;
		*) die "usage: lab.sh dns-hook add|del NAME VALUE" ;;
		esac
		;;
	knotc)
		(($# >= 2)) || die "usage: lab.sh knotc root|ns1|ns2|sub ARGS..."
		load_run
		knotc_of "$@"
		;;
	start-agent)
		(($# == 1)) || die "usage: lab.sh start-agent NAME"
		load_run
		start_agent "$1"
		;;
	kill-agent)
		(($# >= 1)) || die "usage: lab.sh kill-agent NAME [SIGNAL]"
		load_run
		local f=$RUN/pids/agent-$1.pid pid
		[[ -f $f ]] || die "agent $1 is not running (no PID file)"
		pid=$(cat "$f")
		pid_is_ours "$pid" || die "agent $1 (pid $pid) is not running"
		kill -s "${2:-KILL}" "$pid"
		rm -f "$f"
		log "sent SIG${2:-KILL} to agent $1 (pid $pid)"
		;;
	restart-coordinator)
		load_run
		restart_coordinator "${1:-KILL}"
		;;
	wait-agents)
		load_run
		wait_agents "${1:-5}" "${2:-$VT_UP_TIMEOUT}"
		;;
	vantage)
		(($# >= 1)) || die "usage: lab.sh vantage SUBCMD ARGS..."
		load_run
		local sub=$1
		shift
		exec ip netns exec "$(ns_of coord)" "$VT_BIN/vantage" "$sub" --token-file "$RUN/coord/api.token" "$@"
		;;
	pebble-restart)
		load_run
		[[ $VT_PEBBLE == 1 ]] || die "this lab runs no Pebble (VT_PEBBLE=0)"
		local kv
		for kv in "$@"; do
			[[ $kv =~ ^PEBBLE_[A-Z_]+=[A-Za-z0-9_.-]*$ ]] || die "pebble-restart: expected PEBBLE_NAME=VALUE, got '$kv'"
		done
		[[ -f $RUN/pids/pebble.pid ]] && stop_pid "$(cat "$RUN/pids/pebble.pid")"
		start_pebble "$@"
		log "Pebble restarted${*:+ with $*}"
		;;
	exec)
		(($# >= 2)) || die "usage: lab.sh exec NODE CMD..."
		load_run
		local node=$1
		shift
		ip netns list | grep -q "^$(ns_of "$node")\b" || die "no lab node '$node'"
		exec ip netns exec "$(ns_of "$node")" "$@"
		;;
	*)
		sed -n '2,31s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
		exit 2
		;;
	esac
}

main "$@"
