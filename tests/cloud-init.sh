#!/bin/bash
# make package-check, part 2: deploy/cloud-init/agent.yaml.
#  * `cloud-init schema` (Debian's cloud-init 22.4) accepts it, as written and
#    with its variables filled in;
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

# The same with the variables filled in the way the file's header shows.
pub='O+2B)J)^w%R33iQ7K>Tb)^c<7X>ZetWYCd1ghhqW' # a public key (Z85), not a secret
sed -e 's|@PACKAGE_URL@|https://example.net/vantage_0.1.0_amd64.deb|' \
	-e "s|@PACKAGE_SHA256@|$(printf '%064d' 0)|" \
	-e 's|@COORDINATOR@|tcp://coordinator.example.net:8751|' \
	-e "s|@COORDINATOR_PUBKEY@|$pub|" -e 's|@AGENT_NAME@|euw1|' \
	"$yaml" >"$scratch/filled.yaml"
if grep -q '@[A-Z_0-9]*@' "$scratch/filled.yaml"; then
	fail "placeholders left after filling in: $(grep -o '@[A-Z_0-9]*@' "$scratch/filled.yaml" | sort -u | tr '\n' ' ')"
fi
cloud-init schema --config-file "$scratch/filled.yaml"

# Pull the embedded script and env file out of write_files.
python3 - "$yaml" "$scratch" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
out = sys.argv[2]
want = {"/usr/local/sbin/vantage-cloud-init": "bootstrap.sh",
        "/etc/vantage/cloud-init.env": "env"}
for f in doc["write_files"]:
    if f["path"] in want:
        with open(f"{out}/{want.pop(f['path'])}", "w") as fh:
            fh.write(f["content"])
if want:
    sys.exit(f"write_files lacks {sorted(want)}")
if ["/usr/local/sbin/vantage-cloud-init"] not in doc.get("runcmd", []):
    sys.exit("runcmd does not run /usr/local/sbin/vantage-cloud-init")
PY
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
	"$scratch/env" >"$scratch/env.badkey"
expect_refusal "$scratch/env.badkey" "VANTAGE_COORDINATOR_PUBKEY must be"
sed -e "s|too-short|$pub|" -e "s|'euw1'|'eu w1;rm'|" "$scratch/env.badkey" >"$scratch/env.badname"
expect_refusal "$scratch/env.badname" "VANTAGE_AGENT_NAME must be"
echo "cloud-init: bootstrap refuses unfilled and malformed variables"
echo "cloud-init: ok"
