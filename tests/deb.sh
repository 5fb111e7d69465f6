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
#  3. Real install: debootstrap a minimal Debian 12 root from Debian's mirror
#     (minbase plus the package's Depends; ~30 s, ~230 MB in /tmp),
#     `dpkg --root=ROOT -i` the package into it, which runs its postinst (the
#     system user) chrooted, `chroot ROOT vantage --version`, then purge.
#     VANTAGE_DEB_ROOT=auto (default) runs it and, only when the mirror
#     cannot be reached, says so and skips it (steps 1 and 2 still ran);
#     =1 makes that a failure; =0 skips it.
#
# This machine's dpkg database and users are never touched: the script
# checks that no `vantage` package or user appeared, and removes its scratch
# directories on any exit.
set -euo pipefail

cd "$(dirname "$0")/.."

DEB_DIR=${DEB_DIR:-build-deb}
SUITE=${VANTAGE_DEB_SUITE:-bookworm}
MIRROR=${VANTAGE_DEB_MIRROR:-http://deb.debian.org/debian}

scratch=""
root=""
cleanup() {
	local rc=$?
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

# --- 3. real install into a debootstrapped root (opt-in) --------------------
mode=${VANTAGE_DEB_ROOT:-auto}
if [ "$mode" != 0 ]; then
	command -v debootstrap >/dev/null || fail "the real install needs debootstrap (make deps)"
	root="$(mktemp -d /tmp/vantage-root.XXXXXX)"
	include=$(sed 's/([^)]*)//g; s/ //g; s/|[^,]*//g' <<<"$depends")
	echo "deb: debootstrap $SUITE into $root (minbase + $include)"
	if ! debootstrap --variant=minbase --include="$include" "$SUITE" "$root" "$MIRROR" \
		>"$scratch/debootstrap.log" 2>&1; then
		if [ "$mode" = auto ] && grep -Eq 'Failed getting release file|Temporary failure|Could not resolve|Connection (refused|timed out)' "$scratch/debootstrap.log"; then
			echo "deb: SKIPPED the real install: $MIRROR unreachable (VANTAGE_DEB_ROOT=1 makes this fail)" >&2
			mode=0
		else
			tail -n 20 "$scratch/debootstrap.log" >&2
			fail "debootstrap"
		fi
	fi
fi
if [ "$mode" != 0 ]; then
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
	dpkg --root="$root" --purge vantage
	if dpkg --root="$root" -s vantage >/dev/null 2>&1; then
		fail "purge left vantage installed in the root"
	fi
	echo "deb: purged from the root"
else
	echo "deb: real install into a debootstrapped root not run"
fi

# --- this machine is unchanged -----------------------------------------------
[ "$(dpkg-query -W -f='${Status}' vantage 2>/dev/null || true)" = "$host_pkg_before" ] ||
	fail "the host's dpkg database changed for vantage"
[ "$(getent passwd vantage || true)" = "$host_user_before" ] || fail "the host's vantage user changed"
echo "deb: ok"
