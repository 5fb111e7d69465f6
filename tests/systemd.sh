#!/usr/bin/env bash
# tests/systemd.sh -- check the systemd units and the man pages (make systemd-check).
#
#   1. `make install DESTDIR=SCRATCH PREFIX=/usr` into a mktemp scratch root;
#   2. systemd-analyze verify --root=SCRATCH on both units: any message fails
#      (the scratch root gets a copy of the host's own units, for
#      sysinit.target and friends, and of /bin/kill, the units' ExecReload=);
#   3. systemd-sysusers and systemd-tmpfiles --root=SCRATCH on the installed
#      snippets (as root only: they chown);
#   4. systemd-analyze security --offline=true --threshold=VT_SECURITY_THRESHOLD
#      on both units, printing each exposure score (0.0 best, 10.0 worst;
#      the threshold is in tenths, as systemd-analyze takes it);
#   5. man --warnings -l on every page in man/: any warning fails.
#
# Needs no running systemd (works in containers and chroots).  The scratch
# root is removed on exit.  Exit status 0 when all pass, 1 otherwise.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THRESHOLD=${VT_SECURITY_THRESHOLD:-20} # exposure 2.0; the units score 1.1 today
UNITS=(vantage.service vantage-agent.service)
UNITDIR=/lib/systemd/system

fails=0
fail() {
	echo "systemd-check: FAIL: $*" >&2
	fails=$((fails + 1))
}
for t in systemd-analyze man; do
	command -v "$t" >/dev/null || {
		echo "systemd-check: missing '$t' (run: make deps)" >&2
		exit 1
	}
done

SCRATCH=$(mktemp -d /tmp/vantage-systemd.XXXXXX)
OUT=$SCRATCH.out
trap 'rm -rf "$SCRATCH" "$OUT"' EXIT

# 1. the install, as a package would do it
make -s -C "$REPO" install DESTDIR="$SCRATCH/root" PREFIX=/usr UNITDIR="$UNITDIR" >"$OUT" 2>&1 || {
	cat "$OUT" >&2
	echo "systemd-check: make install into the scratch root failed" >&2
	exit 1
}
ROOT=$SCRATCH/root
for u in "${UNITS[@]}"; do
	[[ -f $ROOT$UNITDIR/$u ]] || fail "make install did not install $UNITDIR/$u"
done
[[ -x $ROOT/usr/bin/vantage && -x $ROOT/usr/bin/vantage-agent ]] || fail "make install did not install the binaries"

# 2. verify: the host's units stand in for the rest of the system
mkdir -p "$ROOT/usr/lib/systemd" "$ROOT/etc"
cp -a /usr/lib/systemd/system "$ROOT/usr/lib/systemd/"
install -D -m 0755 /bin/kill "$ROOT/bin/kill"
if ! MANPATH=$ROOT/usr/share/man systemd-analyze verify --root="$ROOT" "${UNITS[@]}" >"$OUT" 2>&1 || [[ -s $OUT ]]; then
	sed 's/^/  /' "$OUT" >&2
	fail "systemd-analyze verify --root reported the messages above"
else
	echo "systemd-check: systemd-analyze verify: ${UNITS[*]} clean"
fi

# 3. the sysusers.d and tmpfiles.d snippets
if [[ $(id -u) -eq 0 ]]; then
	if systemd-sysusers --root="$ROOT" >"$OUT" 2>&1 && grep -q '^vantage:' "$ROOT/etc/passwd" &&
		systemd-tmpfiles --root="$ROOT" --create >>"$OUT" 2>&1 && [[ -d $ROOT/var/lib/vantage ]]; then
		echo "systemd-check: sysusers.d and tmpfiles.d snippets apply"
	else
		sed 's/^/  /' "$OUT" >&2
		fail "systemd-sysusers/systemd-tmpfiles on the installed snippets"
	fi
else
	echo "systemd-check: not root: sysusers.d/tmpfiles.d snippets not applied"
fi

# 4. exposure scores
for u in "${UNITS[@]}"; do
	rc=0
	systemd-analyze security --offline=true --root="$ROOT" --threshold="$THRESHOLD" "$u" >"$OUT" 2>&1 || rc=$?
	score=$(sed -n "s/^→ Overall exposure level for $u: \([0-9.]*\).*/\1/p" "$OUT")
	if [[ -z $score ]]; then
		sed 's/^/  /' "$OUT" >&2
		fail "systemd-analyze security printed no exposure level for $u"
	elif ((rc != 0)); then
		grep '^✗' "$OUT" | sed 's/^/  /' >&2 || true
		fail "$u: exposure $score is above the threshold $((THRESHOLD / 10)).$((THRESHOLD % 10))"
	else
		echo "systemd-check: $u exposure $score (threshold $((THRESHOLD / 10)).$((THRESHOLD % 10)))"
	fi
done

# 5. man pages render without a warning
for page in "$REPO"/man/*.[1-8]; do
	if ! LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>"$OUT" >/dev/null || [[ -s $OUT ]]; then
		sed 's/^/  /' "$OUT" >&2
		fail "man --warnings -l ${page#"$REPO"/}"
	fi
done
echo "systemd-check: man --warnings: $(cd "$REPO/man" && echo *.[1-8])"

if ((fails > 0)); then
	echo "systemd-check: $fails check(s) failed" >&2
	exit 1
fi
echo "systemd-check: ok"
