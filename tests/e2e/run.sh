#!/usr/bin/env bash
# End to end through boshd: a real Prosody (Debian package) and a real
# Strophe.js client. Two scenarios, each with its own Prosody and boshd on
# free loopback ports, stopped again (by pid) whatever happens:
#   plain     route tls = "none" to a Prosody on loopback
#   starttls  a Prosody that requires STARTTLS (c2s_require_encryption), and
#             a route with tls = "starttls", tls_verify = true, trusting the
#             Prosody's self-signed certificate through tls_ca_file
# In each, alice and bob log in through boshd, exchange 50 messages each way
# (order and exactly-once checked) and log out; then scripts/bosh-client runs
# its live scenarios (xep/live/) as alice.
#
#   tests/e2e/run.sh [path/to/boshd]
#
# Prints chat.mjs's and bosh-client's lines and a final "N passed, N failed";
# exit 1 on failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
BOSHD=${1:-$REPO_ROOT/build/src/boshd}
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/boshd-e2e.XXXXXX")
boshd_pid=""
cleanup() {
    [[ -n $boshd_pid ]] && stop_pid "$boshd_pid" 5
    for dir in "$work"/prosody-*; do
        [[ -d $dir ]] && "$REPO_ROOT/scripts/prosody" stop --dir "$dir" >/dev/null 2>&1
    done
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0

# start_boshd CONFIG: starts boshd and sets $boshd_pid and $boshd_port.
start_boshd() {
    local config=$1 out="$1.out"
    "$BOSHD" --config "$config" >"$out" 2>"$config.log" &
    boshd_pid=$!
    local i
    for ((i = 0; i < 100; i++)); do
        boshd_port=$(sed -n 's/^READY port=//p' "$out")
        [[ -n $boshd_port ]] && return 0
        pid_alive "$boshd_pid" || break
        sleep 0.05
    done
    echo "not ok - boshd did not start:"
    sed 's/^/#   /' "$config.log"
    return 1
}

# count NAME TOOL OUTPUT: prints a client's lines (tagged with NAME) and adds
# its "N passed, N failed" to the totals; no summary counts as a failure.
count() {
    local name=$1 tool=$2 out=$3 p f
    sed "s/^\(not \)\{0,1\}ok - /&$name: /" <<<"$out" | grep -v '^[0-9]* passed, [0-9]* failed$'
    read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' <<<"$out" | tail -1)
    if [[ -z ${p:-} ]]; then
        echo "not ok - $name: $tool gave no summary"
        p=0 f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
}

# scenario NAME PROSODY_OPTIONS ROUTE_TOML
scenario() {
    local name=$1 prosody_opts=$2 route=$3
    local dir="$work/prosody-$name" config="$work/boshd-$name.toml"
    echo "# scenario $name"
    local ready
    # shellcheck disable=SC2086  # options are word lists on purpose
    if ! ready=$("$REPO_ROOT/scripts/prosody" start --dir "$dir" --c2s-port 0 $prosody_opts); then
        echo "not ok - $name: Prosody did not start"
        failed=$((failed + 1))
        return
    fi
    echo "# $ready"
    local c2s_port
    c2s_port=$(sed -n 's/.*c2s=127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$ready")
    cat >"$config" <<TOML
[http]
listen = "127.0.0.1:0"
path = "/http-bind"

[[route]]
domain = "localhost"
host = "127.0.0.1"
port = $c2s_port
${route//@DIR@/$dir}
TOML
    if ! start_boshd "$config"; then
        failed=$((failed + 1))
        "$REPO_ROOT/scripts/prosody" stop --dir "$dir" >/dev/null 2>&1
        return
    fi
    local url="http://127.0.0.1:$boshd_port/http-bind" before=$failed
    # --expect-features: what browser clients such as Converse.js expect of
    # the quick start's Prosody (blocking, carbons, ping, stream management).
    count "$name" chat.mjs "$(node "$HERE/chat.mjs" --url "$url" --domain localhost \
        --messages 50 --timeout 60 \
        --expect-features urn:xmpp:blocking,urn:xmpp:carbons:2,urn:xmpp:ping,urn:xmpp:sm:3 2>&1)"
    # The operator's check, as the README shows it: bosh-client's live scenarios.
    # StanzaJS on boshd's defaults (session.max_hold = 1): each message
    # must arrive within 5 s, far below `wait`.
    count "$name" stanza-chat.mjs "$(node "$HERE/stanza-chat.mjs" --url "$url" \
        --domain localhost --messages 20 --max-latency 5 --timeout 60 2>&1)"
    count "$name" bosh-client "$("$REPO_ROOT/scripts/bosh-client" live --url "$url" \
        --domain localhost --user alice --password alice-pw 2>&1)"
    if ((failed > before)); then
        echo "# boshd log ($name):"
        sed 's/^/#   /' "$config.log" | tail -40
    fi
    stop_pid "$boshd_pid" 5
    boshd_pid=""
    "$REPO_ROOT/scripts/prosody" stop --dir "$dir" >/dev/null 2>&1
}

if [[ ! -d $HERE/node_modules/strophe.js ]]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi

scenario plain "" 'tls = "none"'
scenario starttls "--tls-required" 'tls = "starttls"
tls_verify = true
tls_server_name = "localhost"
tls_ca_file = "@DIR@/localhost.crt"'

echo "$passed passed, $failed failed"
((failed == 0))
