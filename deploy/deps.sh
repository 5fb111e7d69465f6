#!/bin/sh
# Install every build, test and lab dependency from Debian's packages.
# Idempotent: does nothing (and needs no network) when all are present.
set -eu

PKGS="build-essential pkg-config git
libzmq3-dev libsodium-dev libmsgpack-dev libcurl4-openssl-dev libssl-dev
libldns-dev libunbound-dev libevent-dev libmicrohttpd-dev libjansson-dev
libconfig-dev libcriterion-dev libpsl-dev libidn2-dev
clang clang-format clang-tidy cppcheck libclang-rt-14-dev
iproute2 nftables nginx-light knot knot-dnsutils ldnsutils unbound openssl
prometheus-blackbox-exporter curl jq valgrind procps psmisc systemd man-db
debhelper dpkg-dev fakeroot debootstrap cloud-init shellcheck
libsqlite3-dev prometheus chromium
pebble certbot lego uacme dehydrated acme-tiny faketime
libnginx-mod-http-headers-more-filter knot-module-geoip"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# A minimal Debian 12 root for tests/deb.sh, which installs the package into
# it and runs both services there: debootstrapped here, once, so that the
# tests themselves never fetch anything.  Cached as a tarball keyed by the
# package list; VANTAGE_DEB_ROOT=0 leaves it out.
ROOT_SUITE=bookworm
ROOT_MIRROR=${VANTAGE_DEB_MIRROR:-http://deb.debian.org/debian}
ROOT_PKGS="adduser libsqlite3-0 libconfig9 libcurl4 libevent-2.1-7 libjansson4 libldns3 libmicrohttpd12 libmsgpackc2 libpsl5 libssl3 libunbound8 libzmq5"
ROOT_CACHE=${VANTAGE_ROOT_CACHE:-/var/cache/vantage-test}
root_tarball() {
	key=$(printf '%s %s' "$ROOT_SUITE" "$ROOT_PKGS" | sha256sum | cut -c1-12)
	echo "$ROOT_CACHE/root-$ROOT_SUITE-$key.tar.gz"
}
make_root_cache() {
	[ "${VANTAGE_DEB_ROOT:-auto}" != 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || return 0
	tarball=$(root_tarball)
	[ -s "$tarball" ] && return 0
	echo "deps: debootstrap a $ROOT_SUITE root for the package test into $tarball"
	mkdir -p "$ROOT_CACHE"
	tmp=$(mktemp -d /tmp/vantage-debootstrap.XXXXXX)
	if ! debootstrap --variant=minbase --include="$(echo "$ROOT_PKGS" | tr ' ' ',')" \
		"$ROOT_SUITE" "$tmp" "$ROOT_MIRROR" >"$tmp.log" 2>&1; then
		tail -n 20 "$tmp.log" >&2
		rm -rf "$tmp" "$tmp.log"
		echo "deps: debootstrap failed (tests/deb.sh will say so)" >&2
		return 1
	fi
	rm -rf "$tmp/var/cache/apt/archives/"*.deb
	chmod 0755 "$tmp" # the root's / (mktemp made it 0700)
	tar -C "$tmp" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	rm -rf "$tmp" "$tmp.log"
	rm -f "$ROOT_CACHE"/root-*.tar.gz.tmp
	# older roots (another package list) are of no use any more
	for old in "$ROOT_CACHE"/root-*.tar.gz; do
		[ "$old" = "$tarball" ] || rm -f "$old"
	done
	echo "deps: root cached ($(du -h "$tarball" | cut -f1))"
}
if [ "${1:-}" = --root-tarball ]; then
	root_tarball
	exit 0
fi

if [ -z "$missing" ]; then
	echo "deps: all Debian packages present"
	make_root_cache || true
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run 'make deps' as root (or: sudo apt-get install$missing)" >&2
	exit 2
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Keep maintainer scripts from starting the packaged services (nginx, knot,
# unbound, ...) through invoke-rc.d: the lab runs its own instances, and a
# system unbound would resolve from the real Internet's root.  Only a
# policy-rc.d this script created is removed again.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# deploy/deps.sh: no service starts during the install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
# cloud-init is here only for `cloud-init schema` (tests/cloud-init.sh).  Its
# postinst enables its boot units; where this script installed it, disable it
# so that it never runs at the next boot of this machine (a host that already
# had cloud-init keeps it as it was).
case " $missing " in
*" cloud-init "*)
	mkdir -p /etc/cloud
	printf '# deploy/deps.sh: cloud-init is installed for its schema check only\n' >/etc/cloud/cloud-init.disabled
	;;
esac
if [ "$own_policy" -eq 1 ]; then
	rm -f "$policy"
	trap - EXIT
fi
# Debian starts these services on install where an init system runs; the
# lab starts its own instances, so keep the packaged ones out of the way.
for s in nginx knot unbound prometheus-blackbox-exporter prometheus prometheus-node-exporter; do
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now "$s" >/dev/null 2>&1 || true
	fi
done
make_root_cache || true
echo "deps: done"
