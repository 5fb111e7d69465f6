#!/bin/sh
# Install every build, test and lab dependency from Debian's packages.
# Idempotent: does nothing (and needs no network) when all are present.
set -eu

PKGS="build-essential pkg-config git
libzmq3-dev libsodium-dev libmsgpack-dev libcurl4-openssl-dev libssl-dev
libldns-dev libunbound-dev libevent-dev libmicrohttpd-dev libjansson-dev
libconfig-dev libcriterion-dev libpsl-dev
clang clang-format clang-tidy cppcheck libclang-rt-14-dev
iproute2 nftables nginx-light knot knot-dnsutils ldnsutils unbound openssl
prometheus-blackbox-exporter curl jq valgrind procps psmisc systemd man-db
debhelper dpkg-dev fakeroot debootstrap cloud-init shellcheck"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all Debian packages present"
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
for s in nginx knot unbound prometheus-blackbox-exporter; do
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now "$s" >/dev/null 2>&1 || true
	fi
done
echo "deps: done"
