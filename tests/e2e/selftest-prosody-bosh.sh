#!/usr/bin/env bash
# Validate the e2e clients (chat.mjs, and bosh-client's live scenarios)
# against a known-good connection manager: Prosody's own mod_bosh. Starts a
# private Prosody on free ports in a temporary directory, runs both through its
# BOSH endpoint, and stops that Prosody again (by pid) whatever happens.
#
#   tests/e2e/selftest-prosody-bosh.sh [extra chat.mjs options, e.g. --messages 200]
#
# Exit code: 0 when both passed every check.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)

# Install the pinned client dependencies once (npm ci: exactly the lockfile).
if [[ ! -d $HERE/node_modules/strophe.js ]]; then
    (cd "$HERE" && npm ci --no-audit --no-fund >/dev/null)
fi

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/boshd-e2e-prosody.XXXXXX")
cleanup() {
    "$REPO_ROOT/scripts/prosody" stop --dir "$run_dir" >/dev/null || true
    rm -rf "$run_dir"
}
trap cleanup EXIT

ready=$("$REPO_ROOT/scripts/prosody" start --dir "$run_dir" --c2s-port 0 --bosh-port 0)
echo "# $ready"
url=$(grep -o 'bosh=[^ ]*' <<<"$ready" | cut -d= -f2-)
[[ -n $url ]] || { echo "no bosh URL in: $ready" >&2; exit 1; }

status=0
node "$HERE/chat.mjs" --url "$url" --domain localhost --messages 50 --timeout 60 "$@" || status=$?
"$REPO_ROOT/scripts/bosh-client" live --url "$url" --domain localhost --user alice \
    --password alice-pw || status=1
exit "$status"
