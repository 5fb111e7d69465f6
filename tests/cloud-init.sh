#!/bin/bash
# make package-check, part 2: deploy/cloud-init/agent.yaml.
#  * `cloud-init schema` (Debian's cloud-init 22.4) accepts it, as written and
#    with its variables filled in the way `vantage enroll --cloud-init` does
#    (every @…@ placeholder replaced once, values between single quotes) --
#    also with a coordinator key full of YAML and shell metacharacters, whose
#    value must come out of the env file unchanged;
#  * the bootstrap script it writes passes bash -n and shellcheck;
#  * that script refuses unfilled or malformed variables before it changes
#    anything (run here with its env file pointed at a scratch copy).
# Installs nothing, starts nothing; the scratch directory goes on any exit.
set -euo pipefail

cd "$(dirname "$0")/.."
yaml=deploy/cloud-init/agent.yaml

scratch=$(mktemp -d /tmp/vantage-cloud-init.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

fail() {
	echo "cloud-init: FAIL: $*" >&2
	exit 1
}

command -v cloud-init >/dev/null || fail "cloud-init not installed (make deps)"
[ "$(head -n 1 "$yaml")" = "#cloud-config" ] || fail "$yaml does not start with #cloud-config"

echo "cloud-init: schema $yaml"
cloud-init schema --config-file "$yaml"

# The same with the variables filled in, as `vantage enroll --cloud-init`
# does it.  sedval escapes what sed's replacement text would interpret.
sedval() { printf '%s' "$1" | sed 's/[&|\\]/\\&/g'; }
# fill OUT KEY TOKEN: every placeholder of $yaml replaced.
fill() {
	sed -e 's|@PACKAGE_URL@|https://example.net/vantage_0.1.0_amd64.deb|' \
		-e "s|@PACKAGE_SHA256@|$(printf '%064d' 0)|" \
		-e 's|@COORDINATOR@|tcp://coordinator.example.net:8751|' \
		-e "s|@COORDINATOR_PUBKEY@|$(sedval "$2")|" -e 's|@AGENT_NAME@|euw1|' \
		-e "s|@ENROLL_TOKEN@|$3|" "$yaml" >"$1"
	if grep -q '@[A-Z_0-9]*@' "$1"; then
		fail "placeholders left after filling in: $(grep -o '@[A-Z_0-9]*@' "$1" | sort -u | tr '\n' ' ')"
	fi
	cloud-init schema --config-file "$1"
}
pub='O+2B)J)^w%R33iQ7K>Tb)^c<7X>ZetWYCd1ghhqW' # a public key (Z85), not a secret
token=0123456789abcdef0123456789abcdef      # the shape `vantage enroll` prints
fill "$scratch/filled.yaml" "$pub" "$token"
# Z85 has '#', ':', '&', '*', '!', '%', '@', '{', '[', ... but never a quote or
# a backslash: a key made of them must survive YAML and the shell unchanged.
# shellcheck disable=SC2016 # a literal '$' is the point
nasty='#:&*!%@{}[]<>?^=+/.-()$0123456789abcdefg'
[ ${#nasty} -eq 40 ] || fail "test key is ${#nasty} characters, not 40"
fill "$scratch/nasty.yaml" "$nasty" "$token"
echo "cloud-init: schema with the placeholders filled (plain and metacharacter-laden key)"

# Pull the embedded script and env file out of write_files: extract YAML DIR
# writes DIR/bootstrap.sh and DIR/env.
extract() {
	mkdir -p "$2"
	python3 - "$1" "$2" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
out = sys.argv[2]
want = {"/usr/local/sbin/vantage-cloud-init": "bootstrap.sh",
        "/etc/vantage/cloud-init.env": "env"}
for f in doc["write_files"]:
    if f["path"] in want:
        if f["path"].endswith(".env") and f.get("permissions") != "0600":
            sys.exit("the env file holds the enrolment token: it must be 0600")
        with open(f"{out}/{want.pop(f['path'])}", "w") as fh:
            fh.write(f["content"])
if want:
    sys.exit(f"write_files lacks {sorted(want)}")
if ["/usr/local/sbin/vantage-cloud-init"] not in doc.get("runcmd", []):
    sys.exit("runcmd does not run /usr/local/sbin/vantage-cloud-init")
PY
}
extract "$yaml" "$scratch"
extract "$scratch/nasty.yaml" "$scratch/nasty"
# shellcheck source=/dev/null
got=$(. "$scratch/nasty/env" && printf '%s|%s' "$VANTAGE_COORDINATOR_PUBKEY" "$VANTAGE_ENROLL_TOKEN")
[ "$got" = "$nasty|$token" ] || fail "the filled env file gives '$got', not '$nasty|$token'"
echo "cloud-init: filled env file gives back the key and token unchanged"
bash -n "$scratch/bootstrap.sh"
shellcheck -s bash "$scratch/bootstrap.sh"
echo "cloud-init: bootstrap script: bash -n and shellcheck clean"

# expect_refusal ENVFILE MESSAGE: the script exits non-zero, saying MESSAGE,
# before it downloads or installs anything.
expect_refusal() {
	local out
	if out=$(VANTAGE_CLOUD_INIT_ENV="$1" bash "$scratch/bootstrap.sh" 2>&1); then
		fail "bootstrap accepted $1"
	fi
	grep -q "$2" <<<"$out" || fail "bootstrap said '$out', expected '$2'"
}
expect_refusal "$scratch/env" "VANTAGE_PACKAGE_URL is not set"
sed -e 's|@PACKAGE_URL@|https://example.net/v.deb|' -e 's|@COORDINATOR@|tcp://c.example.net:8751|' \
	-e 's|@COORDINATOR_PUBKEY@|too-short|' -e 's|@AGENT_NAME@|euw1|' -e 's|@PACKAGE_SHA256@||' \
	-e "s|@ENROLL_TOKEN@|$token|" "$scratch/env" >"$scratch/env.badkey"
expect_refusal "$scratch/env.badkey" "VANTAGE_COORDINATOR_PUBKEY must be"
sed -e "s|too-short|$pub|" -e "s|'euw1'|'eu w1;rm'|" "$scratch/env.badkey" >"$scratch/env.badname"
expect_refusal "$scratch/env.badname" "VANTAGE_AGENT_NAME must be"
# The token is validated last: refusing it shows every other value passed
# (in env.unfilledtoken, the metacharacter-laden key too).
sed -e "s|'eu w1;rm'|'euw1'|" -e "s|'$token'|'abc;reboot'|" "$scratch/env.badname" >"$scratch/env.badtoken"
expect_refusal "$scratch/env.badtoken" "VANTAGE_ENROLL_TOKEN must be"
sed -e "s|^VANTAGE_ENROLL_TOKEN=.*|VANTAGE_ENROLL_TOKEN='@ENROLL_TOKEN@'|" \
	-e "s|^VANTAGE_PACKAGE_URL=.*|VANTAGE_PACKAGE_URL='https://example.net/v.deb'|" \
	-e "s|^VANTAGE_PACKAGE_SHA256=.*|VANTAGE_PACKAGE_SHA256=''|" \
	"$scratch/nasty/env" >"$scratch/env.unfilledtoken"
expect_refusal "$scratch/env.unfilledtoken" "VANTAGE_ENROLL_TOKEN must be"
echo "cloud-init: bootstrap refuses unfilled and malformed variables"
echo "cloud-init: ok"
