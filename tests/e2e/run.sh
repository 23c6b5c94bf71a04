#!/usr/bin/env bash
# End to end through boshd: the interop matrix. Real XMPP servers (Debian
# packages, each started by its scripts/ manager on a free loopback port with
# its own configuration) times real clients, each pair a named test:
#
#   servers  prosody-plain      Prosody 0.12, route tls = "none"
#            prosody-starttls   Prosody requiring STARTTLS
#                               (c2s_require_encryption); the route has
#                               tls = "starttls", tls_verify = true and trusts
#                               the server's self-signed certificate
#                               through tls_ca_file
#            ejabberd-plain     ejabberd, route tls = "none"
#            ejabberd-starttls  ejabberd requiring STARTTLS (starttls_required),
#                               verified as above
#            ejabberd-fail2ban  ejabberd-starttls with mod_fail2ban on
#            prosody-https      prosody-plain with boshd serving HTTPS itself
#                               ([http] tls_cert, tls_key) with a certificate
#                               of a test CA made for the run; Node trusts
#                               it through NODE_EXTRA_CA_CERTS, bosh-client
#                               through --ca-file (Converse.js's Chromium
#                               would need the CA in an NSS database: not
#                               run there)
#   clients  strophe     Strophe.js in Node (chat.mjs)
#            stanza      StanzaJS in Node (stanza-chat.mjs), boshd defaults
#            converse    Converse.js in headless Chromium (converse-chat.mjs)
#            bosh-client scripts/bosh-client's live scenarios (xep/live/)
# In each chat, alice and bob log in through boshd, exchange numbered messages
# both ways (in order, exactly once) and log out cleanly.
#
#   tests/e2e/run.sh [--only REGEX] [path/to/boshd]
#
# --only runs the pairs whose name ("SERVER/CLIENT", e.g.
# "ejabberd-starttls/converse") matches REGEX (bash =~). Prints each client's
# lines tagged with the pair's name, a matrix of the pairs as comments, and a
# final "N passed, N failed"; exit 1 on failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

only=""
BOSHD=$REPO_ROOT/build/src/boshd
while (($#)); do
    case $1 in
        --only) only=${2:?--only needs a REGEX}; shift 2 ;;
        -h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) BOSHD=$1; shift ;;
    esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/boshd-e2e.XXXXXX")
boshd_pid=""
server_stop=()   # the command that stops the running server
cleanup() {
    [[ -n $boshd_pid ]] && stop_pid "$boshd_pid" 5
    ((${#server_stop[@]})) && "${server_stop[@]}" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
matrix=()   # "SERVER CLIENT passed failed seconds", one per pair run

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

# pair SERVER CLIENT COMMAND...: runs one client against the running set-up.
# Prints its lines tagged "SERVER/CLIENT: ", adds its "N passed, N failed" to
# the totals (no summary counts as a failure) and records the pair.
pair() {
    local server=$1 client=$2 name="$1/$2"
    shift 2
    [[ -z $only || $name =~ $only ]] || return 0
    local start=$SECONDS
    run_tagged "$name" "$@"
    matrix+=("$server $client $tagged_passed $tagged_failed $((SECONDS - start))")
}

# wanted SERVER: true when --only lets at least one of SERVER's pairs run.
wanted() {
    local client
    for client in strophe stanza converse bosh-client; do
        [[ -z $only || "$1/$client" =~ $only ]] && return 0
    done
    return 1
}

# make_https DIR: a test CA and a certificate for 127.0.0.1 it signs, in DIR
# (ca.pem, server.pem with the chain, server.key).
make_https() {
    PYTHONPATH="$REPO_ROOT/scripts/lib" python3 - "$1" <<'PY'
import sys
from boshclient.testca import TestCa
ca = TestCa(sys.argv[1])
cert, key = ca.issue("server", "localhost", chain=True)
PY
}

# setup NAME SERVER "SERVER OPTIONS" ROUTE_TOML [https]: starts the server
# (through scripts/SERVER) and boshd routing "localhost" to it, runs every
# client, and stops both. @DIR@ in ROUTE_TOML is the server's run directory.
# With "https", boshd serves HTTPS with a test CA's certificate (make_https)
# and the clients that can be told to trust that CA run.
setup() {
    local name=$1 server=$2 server_opts=$3 route=$4 scheme=${5:-http}
    wanted "$name" || return 0
    local dir="$work/$name" config="$work/boshd-$name.toml"
    echo "# set-up $name"
    local ready
    server_stop=("$REPO_ROOT/scripts/$server" stop --dir "$dir")
    # shellcheck disable=SC2086  # options are word lists on purpose
    if ! ready=$("$REPO_ROOT/scripts/$server" start --dir "$dir" --c2s-port 0 $server_opts); then
        echo "not ok - $name: $server did not start"
        failed=$((failed + 1))
        return
    fi
    echo "# $ready"
    local c2s_port
    c2s_port=$(sed -n 's/.*c2s=127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$ready")
    local https_toml="" ca=""
    if [[ $scheme == https ]]; then
        mkdir -p "$work/$name-ca"
        if ! make_https "$work/$name-ca"; then
            echo "not ok - $name: making the test CA failed"
            failed=$((failed + 1))
            "${server_stop[@]}" >/dev/null 2>&1
            server_stop=()
            return
        fi
        ca="$work/$name-ca/ca.pem"
        https_toml="tls_cert = \"$work/$name-ca/server.pem\"
tls_key = \"$work/$name-ca/server.key\""
    fi
    cat >"$config" <<TOML
[http]
listen = "127.0.0.1:0"
path = "/http-bind"
$https_toml

[[route]]
domain = "localhost"
host = "127.0.0.1"
port = $c2s_port
${route//@DIR@/$dir}
TOML
    if start_boshd "$config"; then
        local url="$scheme://127.0.0.1:$boshd_port/http-bind" before=$failed
        # HTTPS: Node trusts the test CA through NODE_EXTRA_CA_CERTS.
        local trust=()
        [[ -n $ca ]] && trust=(env "NODE_EXTRA_CA_CERTS=$ca")
        # --expect-features: what browser clients such as Converse.js expect
        # of the server (blocking, carbons, ping, stream management).
        pair "$name" strophe "${trust[@]}" node "$HERE/chat.mjs" --url "$url" --domain localhost \
            --messages 50 --timeout 60 \
            --expect-features urn:xmpp:blocking,urn:xmpp:carbons:2,urn:xmpp:ping,urn:xmpp:sm:3
        # StanzaJS on boshd's defaults (session.max_hold = 1): each message
        # must arrive within 5 s, far below `wait`.
        pair "$name" stanza "${trust[@]}" node "$HERE/stanza-chat.mjs" --url "$url" \
            --domain localhost --messages 20 --max-latency 5 --timeout 60
        [[ -z $ca ]] && pair "$name" converse node "$HERE/converse-chat.mjs" --url "$url" \
            --domain localhost --messages 20 --timeout 60
        # The operator's check, as the README shows it.
        pair "$name" bosh-client "$REPO_ROOT/scripts/bosh-client" live --url "$url" \
            --domain localhost --user alice --password alice-pw ${ca:+--ca-file "$ca"}
        if ((failed > before)); then
            echo "# boshd log ($name):"
            sed 's/^/#   /' "$config.log" | tail -40
        fi
        stop_pid "$boshd_pid" 5
        boshd_pid=""
    else
        failed=$((failed + 1))
    fi
    "${server_stop[@]}" >/dev/null 2>&1
    server_stop=()
}

# print_matrix: the pairs run, as a table of comments.
print_matrix() {
    ((${#matrix[@]})) || return 0
    echo "# interop matrix (checks passed/failed, seconds):"
    printf '#   %-18s %-12s %s\n' set-up client result
    local row server client p f s
    for row in "${matrix[@]}"; do
        read -r server client p f s <<<"$row"
        printf '#   %-18s %-12s %s\n' "$server" "$client" \
            "$( ((f == 0)) && echo pass || echo FAIL ) ($p/$f, $s s)"
    done
}

# npm ci again only when the lock file is newer than what it installed.
if [[ ! -e $HERE/node_modules/.package-lock.json \
    || $HERE/package-lock.json -nt $HERE/node_modules/.package-lock.json ]]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
        || { echo "not ok - npm ci in tests/e2e failed"; echo "0 passed, 1 failed"; exit 1; }
fi
node "$HERE/fetch-converse.mjs" >/dev/null \
    || { echo "not ok - fetching Converse.js failed"; echo "0 passed, 1 failed"; exit 1; }

STARTTLS_ROUTE='tls = "starttls"
tls_verify = true
tls_server_name = "localhost"
tls_ca_file = "@DIR@/localhost.crt"'

setup prosody-plain prosody "" 'tls = "none"'
setup prosody-starttls prosody "--tls-required" "$STARTTLS_ROUTE"
setup ejabberd-plain ejabberd "" 'tls = "none"'
setup ejabberd-starttls ejabberd "--tls-required" "$STARTTLS_ROUTE"
setup ejabberd-fail2ban ejabberd "--tls-required --fail2ban" "$STARTTLS_ROUTE"
setup prosody-https prosody "" 'tls = "none"' https

print_matrix
echo "$passed passed, $failed failed"
((failed == 0))
