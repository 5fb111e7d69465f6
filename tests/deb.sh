#!/bin/bash
# make deb-check: build the Debian package (make deb) and check it without
# installing anything on this machine.
#
#  1. Metadata (dpkg-deb -I/-c): Depends computed by dpkg-shlibdeps, the
#     binaries, every man page in man/, every unit in deploy/systemd/, the
#     example configurations; no key, token or other secret in the package;
#     a postinst that makes the system user and generates nothing.
#  2. Extraction (always): dpkg-deb -x into a scratch directory, then run the
#     extracted vantage and vantage-agent --version against this host's
#     libraries.
#  3. Real install: unpack the minimal Debian 12 root `make deps`
#     debootstrapped once (deploy/deps.sh; minbase plus the package's Depends,
#     cached under /var/cache/vantage-test, ~230 MB unpacked in /tmp; this
#     test fetches nothing), `dpkg --root=ROOT -i` the package into it, which
#     runs its postinst (the system user) chrooted, `chroot ROOT vantage
#     --version`, then step 4, then purge.  VANTAGE_DEB_ROOT=auto (default)
#     skips it with a message when there is no cached root, except under
#     CI=true; =1 makes that a failure; =0 skips it.
#  4. Both services from the installed package, as their units say (see
#     services() below), and the enrolment of one agent through them.
#     VANTAGE_DEB_SERVICES=0 leaves this out.
#
# This machine's dpkg database and users are never touched: the script
# checks that no `vantage` package or user appeared, and removes its scratch
# directories on any exit.
set -euo pipefail

cd "$(dirname "$0")/.."

DEB_DIR=${DEB_DIR:-build-deb}
SUITE=${VANTAGE_DEB_SUITE:-bookworm}

scratch=""
root=""
cleanup() {
	local rc=$?
	stop_services 2>/dev/null || true
	if [ -n "$root" ] && [ -d "$root" ]; then
		# Nothing is mounted by this script; refuse to rm -rf through a mount
		# someone else made.
		if findmnt -rn -o TARGET | grep -q "^$root"; then
			echo "deb: $root has mounts, leaving it" >&2
		else
			rm -rf "$root"
		fi
	fi
	[ -n "$scratch" ] && rm -rf "$scratch"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "deb: FAIL: $*" >&2
	exit 1
}

scratch="$(mktemp -d /tmp/vantage-deb.XXXXXX)"

host_pkg_before=$(dpkg-query -W -f='${Status}' vantage 2>/dev/null || true)
host_user_before=$(getent passwd vantage || true)

echo "deb: make deb"
make --no-print-directory deb DEB_DIR="$DEB_DIR" >/dev/null

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb="$DEB_DIR/vantage_${version}_${arch}.deb"
[ -f "$deb" ] || fail "$deb not built"
echo "deb: built $deb ($(stat -c %s "$deb") bytes)"

# --- 4. (called from 3) both services from the installed package -----------
# CI has no systemd as PID 1, so the units cannot be started; instead each
# unit's own ExecStart=, User= and StateDirectory= are read from the
# installed unit file and run the way systemd would: chrooted into the root,
# as that user, with that state directory, inside a network namespace this
# script creates (loopback only).  Then the enrolment flow of docs/deploy.md,
# as an operator would type it: vantage enroll -> the printed vantage-agent
# enroll line -> the agent service -> vantage agents approve -> up.
ns=""
svc_pids=""
unit_key() { # UNIT KEY: the value of KEY= in the installed unit
	sed -n "s/^$2=//p" "$root/lib/systemd/system/$1" | tail -n 1
}
start_unit() { # UNIT LOG
	local unit=$1 log=$2 exec user uid gid sd
	exec=$(unit_key "$unit" ExecStart)
	user=$(unit_key "$unit" User)
	sd=$(unit_key "$unit" StateDirectory)
	if [ -z "$exec" ] || [ -z "$user" ]; then
		fail "$unit: no ExecStart= or User="
	fi
	uid=$(chroot "$root" id -u "$user") || fail "$unit: no user $user in the root"
	gid=$(chroot "$root" id -g "$user")
	for d in $sd; do
		install -d -m 0750 -o "$uid" -g "$gid" "$root/var/lib/$d"
	done
	# the unit's UMask=0077
	# shellcheck disable=SC2086 # ExecStart= is a command line
	ip netns exec "$ns" chroot --userspec="$uid:$gid" "$root" /bin/sh -c "umask 0077; exec $exec" \
		</dev/null >"$log" 2>&1 &
	svc_pids="$svc_pids $!"
	echo "deb: started $unit as $user ($uid:$gid): $exec"
}
in_root() { ip netns exec "$ns" chroot "$root" "$@"; }
wait_root() { # SECS DESCRIPTION LOG CMD...: retry CMD every 0.25 s
	local secs=$1 what=$2 log=$3
	shift 3
	for _ in $(seq 1 $((secs * 4))); do
		"$@" >"$scratch/wait.out" 2>&1 && return 0
		sleep 0.25
	done
	fail "after ${secs}s: $what; last try said: $(tail -n 3 "$scratch/wait.out" | tr '\n' '|'); $(basename "$log"): $(tail -n 5 "$log" | tr '\n' '|')"
}
stop_services() {
	local p
	for p in $svc_pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $svc_pids; do
		for _ in $(seq 1 40); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	svc_pids=""
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	ns=""
}
services() {
	local cmd key
	command -v ip >/dev/null || fail "the service test needs ip (iproute2)"
	ns="vtdeb$$"
	ip netns add "$ns" || fail "cannot create a network namespace"
	ip -n "$ns" link set lo up
	# the operator's configuration: the packaged example, endpoints on loopback
	chroot "$root" vantage keygen coordinator --dir /etc/vantage >/dev/null
	chroot "$root" chown vantage:vantage /etc/vantage/coordinator.key
	sed -e 's|^\( *agent_endpoint = \).*|\1"tcp://127.0.0.1:8751";|' \
		-e 's|^\( *public_endpoint = \).*|\1"tcp://127.0.0.1:8751";|' \
		"$root/usr/share/doc/vantage/examples/coordinator.conf.example" >"$root/etc/vantage/coordinator.conf"
	start_unit vantage.service "$scratch/coordinator.log"
	wait_root 10 "the coordinator's API did not answer" "$scratch/coordinator.log" \
		in_root vantage agents
	in_root vantage enroll deb1 --region eu-test --rir RIPE --endpoint tcp://127.0.0.1:8751 --json \
		>"$scratch/enroll.json" || fail "vantage enroll failed"
	cmd=$(jq -r .command "$scratch/enroll.json")
	echo "deb: vantage enroll printed: ${cmd//$(jq -r .token "$scratch/enroll.json")/TOKEN}"
	# the line as printed, on the "VM" (the root), as root; no systemctl here
	in_root /bin/sh -c "${cmd%% && *}" >"$scratch/agent-enroll.out" 2>&1 ||
		fail "the printed vantage-agent enroll line failed: $(cat "$scratch/agent-enroll.out")"
	key=$(cat "$root/var/lib/vantage-agent/agent.pub") || fail "no agent.pub after vantage-agent enroll"
	[ "$(stat -c %U "$root/var/lib/vantage-agent/agent.key")" = "$(stat -c %U "$root/var/lib/vantage")" ] ||
		fail "agent.key is not owned by the service user"
	start_unit vantage-agent.service "$scratch/agent.log"
	wait_root 20 "deb1 never showed as claimed" "$scratch/agent.log" \
		sh -c "ip netns exec $ns chroot $root vantage agents --json | jq -e '.enrollments | any(.name == \"deb1\" and .state == \"claimed\" and .key == \"$key\")'"
	in_root vantage agents approve deb1 || fail "vantage agents approve deb1 failed"
	wait_root 20 "deb1 not up after approval" "$scratch/agent.log" \
		sh -c "ip netns exec $ns chroot $root vantage agents --json | jq -e '.agents | any(.name == \"deb1\" and .state == \"up\" and .region == \"eu-test\")'"
	in_root vantage agents | sed 's/^/deb:   /'
	stop_services
	grep -q 'public key' "$scratch/agent.log" || fail "the agent did not log its public key"
	echo "deb: both services ran from the package (chrooted, as vantage, in namespace vtdeb$$); deb1 enrolled, approved, up"
	rm -rf "$root/etc/vantage/"* "$root/var/lib/vantage/"* "$root/var/lib/vantage-agent"
}

# --- 1. metadata -------------------------------------------------------------
[ "$(dpkg-deb -f "$deb" Package)" = vantage ] || fail "Package is not vantage"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in adduser libc6 libzmq5 libcurl4 libunbound8 libmicrohttpd12 libssl3; do
	grep -Eq "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends lacks $lib (shlibdeps): $depends"
done
echo "deb: Depends: $depends"

contents=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|')
has() { grep -Fxq "$1" <<<"$contents"; }
for f in /usr/bin/vantage /usr/bin/vantage-agent \
	/usr/share/doc/vantage/examples/agent.conf.example \
	/usr/share/doc/vantage/examples/coordinator.conf.example \
	/usr/share/doc/vantage/copyright; do
	has "$f" || fail "package lacks $f"
done
nman=0
for m in man/*.[0-9]; do
	nman=$((nman + 1))
	name=$(basename "$m")
	has "/usr/share/man/man${name##*.}/$name.gz" || fail "package lacks man page $name"
done
nunits=0
for u in deploy/systemd/*.service; do
	[ -e "$u" ] || continue
	name=$(basename "$u")
	has "/lib/systemd/system/$name" || has "/usr/lib/systemd/system/$name" ||
		fail "package lacks unit $name"
	nunits=$((nunits + 1))
done
# No secrets: no key pair, token or certificate key in the package, and
# nothing in /etc/vantage but (empty) directories.
if grep -Eq '\.(key|pub|token)$|/api\.token$' <<<"$contents"; then
	fail "package contains a key or token: $(grep -E '\.(key|pub|token)$' <<<"$contents")"
fi
if grep -E '^/etc/vantage/.+[^/]$' <<<"$contents" | grep -vq '^/etc/vantage/agents\.d$'; then
	fail "package ships files in /etc/vantage"
fi
dpkg-deb -e "$deb" "$scratch/DEBIAN"
grep -q 'adduser --system' "$scratch/DEBIAN/postinst" || fail "postinst does not create the system user"
if grep -v '^[[:space:]]*#' "$scratch/DEBIAN/postinst" | grep -Eq 'keygen|openssl|urandom|random|token'; then
	fail "postinst generates a secret"
fi
echo "deb: contents ok (binaries, $nman man pages, $nunits units, examples, no secrets)"

# --- 2. extraction -----------------------------------------------------------
x="$scratch/x"
dpkg-deb -x "$deb" "$x"
for b in vantage vantage-agent; do
	if ldd "$x/usr/bin/$b" | grep -q 'not found'; then
		fail "$b: missing libraries: $(ldd "$x/usr/bin/$b" | grep 'not found')"
	fi
	out=$("$x/usr/bin/$b" --version)
	[ "$out" = "$b $version" ] || fail "extracted $b --version printed '$out', not '$b $version'"
	echo "deb: extracted: $out"
done

# --- 3. real install into a Debian 12 root ---------------------------------
# The root is the minbase + Depends tarball `make deps` debootstrapped
# (deploy/deps.sh): this test fetches nothing.
mode=${VANTAGE_DEB_ROOT:-auto}
if [ "$mode" != 0 ]; then
	tarball=$(sh deploy/deps.sh --root-tarball)
	if [ ! -s "$tarball" ]; then
		if [ "$mode" = auto ] && [ "${CI:-}" != true ]; then
			echo "deb: SKIPPED the real install: no cached root $tarball (make deps as root makes it)" >&2
			mode=0
		else
			fail "no cached Debian root $tarball: run make deps as root"
		fi
	fi
fi
if [ "$mode" != 0 ]; then
	root="$(mktemp -d /tmp/vantage-root.XXXXXX)"
	tar -C "$root" -xzf "$tarball"
	chmod 0755 "$root" # the services' / once chrooted (tar restored mktemp's 0700)
	echo "deb: Debian root from $(basename "$tarball") in $root"
	# No service may start in the scratch root.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	dpkg --root="$root" -i "$deb"
	# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
	chroot "$root" dpkg-query -W -f='${Package} ${Version} ${Status}\n' vantage
	chroot "$root" getent passwd vantage >/dev/null || fail "postinst made no vantage user in the root"
	[ "$(chroot "$root" stat -c %U /var/lib/vantage)" = vantage ] || fail "/var/lib/vantage not owned by vantage"
	if find "$root/etc/vantage" "$root/var/lib/vantage" -type f | grep -q .; then
		fail "installing created files (secrets?) in /etc/vantage or /var/lib/vantage"
	fi
	for b in vantage vantage-agent; do
		out=$(chroot "$root" "/usr/bin/$b" --version)
		[ "$out" = "$b $version" ] || fail "installed $b --version printed '$out'"
		echo "deb: installed in $SUITE root: $out"
	done
	# the ACME client hooks: executable, and each finds the library it sources
	# (run from the installed directory, as users point their clients at it)
	hooks=0
	for h in "$root"/usr/share/vantage/hooks/vantage-*; do
		case $h in *.sh) continue ;; esac
		[ -x "$h" ] || fail "installed hook $h is not executable"
		chroot "$root" "${h#"$root"}" --help >/dev/null 2>&1 || fail "installed hook ${h#"$root"} --help failed"
		hooks=$((hooks + 1))
	done
	[ "$hooks" -ge 9 ] || fail "only $hooks ACME client hooks installed in /usr/share/vantage/hooks"
	echo "deb: $hooks ACME client hooks installed in /usr/share/vantage/hooks, each answers --help"
	if [ "${VANTAGE_DEB_SERVICES:-1}" = 1 ]; then
		services
	fi
	dpkg --root="$root" --purge vantage
	if dpkg --root="$root" -s vantage >/dev/null 2>&1; then
		fail "purge left vantage installed in the root"
	fi
	echo "deb: purged from the root"
else
	echo "deb: real install into a Debian root not run"
fi

# --- this machine is unchanged -----------------------------------------------
[ "$(dpkg-query -W -f='${Status}' vantage 2>/dev/null || true)" = "$host_pkg_before" ] ||
	fail "the host's dpkg database changed for vantage"
[ "$(getent passwd vantage || true)" = "$host_user_before" ] || fail "the host's vantage user changed"
echo "deb: ok"
