#!/usr/bin/env bash
# tests/asan-integration.sh -- the lab scenarios with the DAEMONS built under
# AddressSanitizer and UndefinedBehaviorSanitizer: the coordinator, every
# agent and the CLI run sanitized through every scenario; any sanitizer
# report (memory error, undefined behaviour, leak at a clean shutdown) fails.
#
# Uses the objects `make asan` built in build-asan/ (OPT/LDFLAGS as there).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
A=build-asan
SAN="-fsanitize=address,undefined"
OUT=$A/bin
LOGS=$(mktemp -d /tmp/vantage-asan-logs.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
chmod 1777 "$LOGS" # agents may run as an unprivileged user

make -s BUILD=$A OPT="-O1 -g $SAN -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	LDFLAGS="$SAN" $A/coordinator/main.o $A/agent/main.o $A/unit-tests >/dev/null
mkdir -p "$OUT"
# shellcheck disable=SC2046 # the package list is words
libs=$(pkg-config --libs $(make -s --no-print-directory print-pkgs))
common=$(ls $A/common/*.o $A/proto/*.o)
# shellcheck disable=SC2086
cc $SAN -o "$OUT/vantage" $A/coordinator/*.o $common $libs -lm -pthread
# shellcheck disable=SC2086
cc $SAN -o "$OUT/vantage-agent" $A/agent/*.o $common $libs -lm -pthread

export ASAN_OPTIONS="log_path=$LOGS/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$LOGS/ubsan:print_stacktrace=1"
rc=0
VT_BIN=$REPO/$OUT tests/integration/run.sh || rc=$?
if compgen -G "$LOGS/*" >/dev/null; then
	echo "asan-integration: sanitizer reports:" >&2
	head -n 60 "$LOGS"/* >&2
	rc=1
else
	echo "asan-integration: no sanitizer report from any daemon or CLI run"
fi
exit $rc
