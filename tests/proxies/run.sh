#!/usr/bin/env bash
# The proxy recipes, tested: Debian's nginx and HAProxy started as the
# current user on free loopback ports with conf/nginx/boshd.conf and
# conf/haproxy/boshd.cfg (only the listen port, the certificate paths and
# boshd's address rewritten, by recipe.py; logs, pid and temporary files in a
# temporary directory), each terminating TLS with a certificate of a test CA
# made here with openssl, in front of its own boshd, with a local Prosody
# (scripts/prosody) behind. Each check a named test:
#
#   recipe     the recipes' timeouts for a held request are above
#              session.max_wait (60 s) with a margin, and nginx drops an idle
#              upstream connection before boshd's idle_timeout would
#   strophe    the Strophe.js chat (tests/e2e/chat.mjs) through each proxy
#              over HTTPS, the test CA trusted through NODE_EXTRA_CA_CERTS
#   keepalive  20 requests one after the other over one client connection
#              reach boshd over connections the proxy already had, at most
#              one new, not 20 new ones (boshd's debug line http.request names
#              the peer address:port of each)
#   limits     each proxy itself refuses a body over boshd's max_body_size
#              (413, boshd never sees it) and paths other than /http-bind (404)
#   held       a request held 70 s (boshd's max_wait raised to 70 for it:
#              above nginx's default 60 s read timeout and Debian's 50 s
#              HAProxy defaults) comes back as boshd's empty reply, not a
#              proxy error, over HTTP/1.1 and over HTTP/2; the four probes
#              run while the rest does
#   address    (switch BOSHD_PROXY_ADDRESS_CHECKS) boshd trusts the proxy
#              ([http] trusted_proxies = ["127.0.0.1/32", "::1/128"]) and its
#              session.created line says ip= the client's own address: a
#              client on 127.0.0.5 that claims to be 203.0.113.9 in its own
#              Forwarded and X-Forwarded-For headers
#   per-ip     (switch BOSHD_PROXY_LIMIT_CHECKS) boshd limits by that
#              address, not the proxy's: with session.max_sessions_per_ip = 5,
#              a sixth session from 127.0.0.5 through the proxy is refused
#              with policy-violation while one from 127.0.0.6 through the same
#              proxy is created
#   chromium   the Strophe.js chat in headless Chromium (browser-chat.mjs,
#              playwright-core) from a page on another origin, through nginx
#              and through HAProxy: login, messages, CORS preflight,
#              connections reused (as Chromium and as the proxy's log count
#              them), logout; the test CA trusted through an NSS database, so
#              TLS is validated
#   direct     (switch BOSHD_PROXY_DIRECT_HTTPS) the same Chromium chat
#              straight to boshd's own HTTPS ([http] tls_cert, tls_key)
#
# Switches (environment, default 1 = on; 0 skips those checks and leaves the
# keys they need out of boshd's configuration, for a boshd without them):
#   BOSHD_PROXY_ADDRESS_CHECKS  [http] trusted_proxies and ip= on session.created
#   BOSHD_PROXY_LIMIT_CHECKS    session.max_sessions_per_ip, by client address
#   BOSHD_PROXY_DIRECT_HTTPS    [http] tls_cert / tls_key (boshd's own HTTPS)
#
#   tests/proxies/run.sh [path/to/boshd]
#
# Prints "ok - NAME: ..." / "not ok - NAME: ..." lines and a final
# "N passed, N failed"; exit 1 on failure. About 75 s (the held probes).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
E2E=$REPO_ROOT/tests/e2e
# shellcheck disable=SC2034  # read by log() in lib/common.sh
SCRIPT_NAME=proxies
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

case ${1:-} in -h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;; esac
BOSHD=${1:-$REPO_ROOT/build/src/boshd}
ADDRESS_CHECKS=${BOSHD_PROXY_ADDRESS_CHECKS:-1}
LIMIT_CHECKS=${BOSHD_PROXY_LIMIT_CHECKS:-1}
DIRECT_HTTPS=${BOSHD_PROXY_DIRECT_HTTPS:-1}
NGINX=${NGINX:-/usr/sbin/nginx}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
MAX_WAIT=60       # boshd's default session.max_wait, what the recipes must outlast
HELD_WAIT=70      # the held probe's wait (and its boshd's max_wait)
CLIENT_IP=127.0.0.5   # the address the address check's client connects from
OTHER_IP=127.0.0.6    # another client, for the per-address limit
PER_IP=5              # session.max_sessions_per_ip when the limit is checked:
                      # the chats' 127.0.0.1 has 4 sessions at most at once
                      # (two held probes and a chat's two users)
SPOOFED_IP=203.0.113.9

work=$(mktemp -d "${TMPDIR:-/tmp}/boshd-proxies.XXXXXX")
# nginx's workers run as nobody when the suite runs as root: let them reach
# their temporary directories (nothing here is secret beyond the test keys).
chmod 755 "$work"
pids=()   # every server started here, stopped in reverse order
prosody_dir=$work/prosody
cleanup() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}" 5; done
    "$REPO_ROOT/scripts/prosody" stop --dir "$prosody_dir" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
# check NAME OK DESCRIPTION [DETAILS]: one test line; DETAILS as "#   " lines.
check() {
    local name=$1 ok=$2 description=$3 details=${4:-}
    if [[ $ok == 1 ]]; then
        passed=$((passed + 1))
        echo "ok - $name: $description"
    else
        failed=$((failed + 1))
        echo "not ok - $name: $description"
        [[ -n $details ]] && sed 's/^/#   /' <<<"$details"
    fi
}
bail() {
    echo "not ok - $1"
    [[ -n ${2:-} ]] && sed 's/^/#   /' <<<"$2"
    failed=$((failed + 1))
    echo "$passed passed, $failed failed"
    exit 1
}

# ---- the recipes' own timeouts ----------------------------------------------

# recipe_timeouts KIND FILE: each timeout a held request meets, above
# MAX_WAIT with a margin of 10 s (nginx's upstream keepalive_timeout is the
# other way round: below boshd's idle_timeout, 60 s).
recipe_timeouts() {
    local kind=$1 file=$2 out name value
    if ! out=$(python3 "$HERE/recipe.py" timeouts "$kind" "$file"); then
        check "recipe/$kind" 0 "every timeout of a held request is set" "$out"
        return
    fi
    while read -r name value; do
        if [[ $name == keepalive_timeout ]]; then
            check "recipe/$kind" "$( ((value < 60)) && echo 1 || echo 0)" \
                "upstream $name $value s is below boshd's idle_timeout (60 s)"
        else
            check "recipe/$kind" "$( ((value >= MAX_WAIT + 10)) && echo 1 || echo 0)" \
                "$name $value s outlasts session.max_wait ($MAX_WAIT s) by 10 s or more"
        fi
    done <<<"$out"
}
recipe_timeouts nginx "$REPO_ROOT/conf/nginx/boshd.conf"
recipe_timeouts haproxy "$REPO_ROOT/conf/haproxy/boshd.cfg"

# ---- what the set-up needs ------------------------------------------------------

for tool in "$NGINX" "$HAPROXY" openssl curl certutil; do
    command -v "$tool" >/dev/null || bail "$tool is installed (scripts/deps installs it)"
done
if [[ ! -e $E2E/node_modules/.package-lock.json \
    || $E2E/package-lock.json -nt $E2E/node_modules/.package-lock.json ]]; then
    (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || bail "npm ci in tests/e2e"
fi

# A test CA and a certificate for 127.0.0.1 (and localhost) signed by it.
make_certs() {
    local d=$work/tls
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=boshd proxies suite test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$d/ca.key" -out "$d/ca.crt" &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
            -keyout "$d/server.key" -out "$d/server.csr" &&
        printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
            "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$d/server.ext" &&
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
            -days 2 -extfile "$d/server.ext" -out "$d/server.crt" &&
        cat "$d/server.crt" "$d/server.key" >"$d/server.pem"
}
make_certs >"$work/openssl.log" 2>&1 || bail "a test CA and server certificate made with openssl" "$(cat "$work/openssl.log")"
CA=$work/tls/ca.crt

ready=$("$REPO_ROOT/scripts/prosody" start --dir "$prosody_dir" --c2s-port 0 2>&1) || bail "prosody started" "$ready"
c2s_port=$(sed -n 's/.*c2s=127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$ready")
echo "# $ready"

# start_boshd NAME MAX_WAIT [EXTRA_HTTP_TOML]: starts a boshd logging at
# debug (http.request lines) into $work/boshd-NAME.log; sets boshd_port.
start_boshd() {
    local name=$1 max_wait=$2 extra=${3:-} config=$work/boshd-$1.toml trusted="" per_ip=""
    if [[ $ADDRESS_CHECKS == 1 || $LIMIT_CHECKS == 1 ]]; then
        trusted='trusted_proxies = ["127.0.0.1/32", "::1/128"]'
    fi
    if [[ $LIMIT_CHECKS == 1 ]]; then per_ip="max_sessions_per_ip = $PER_IP"; fi
    cat >"$config" <<TOML
[http]
listen = "127.0.0.1:0"
path = "/http-bind"
$trusted
$extra

[session]
max_wait = $max_wait
$per_ip

[log]
level = "debug"

[[route]]
domain = "localhost"
host = "127.0.0.1"
port = $c2s_port
tls = "none"
TOML
    "$BOSHD" --config "$config" >"$config.out" 2>"$work/boshd-$name.log" &
    pids+=($!)
    local i pid=$!
    boshd_port=""
    for ((i = 0; i < 100; i++)); do
        boshd_port=$(sed -n 's/^READY port=//p' "$config.out" 2>/dev/null)
        [[ -n $boshd_port ]] && return 0
        pid_alive "$pid" || break
        sleep 0.05
    done
    bail "boshd ($name) started" "$(cat "$work/boshd-$name.log")
(an unknown key? BOSHD_PROXY_ADDRESS_CHECKS=0 and BOSHD_PROXY_LIMIT_CHECKS=0 leave out
trusted_proxies and max_sessions_per_ip, BOSHD_PROXY_DIRECT_HTTPS=0 tls_cert and tls_key)"
}

# start_proxy KIND PORT UPSTREAM_PORT: the recipe rewritten and the proxy
# started in the foreground, in the background of this script.
start_proxy() {
    local kind=$1 port=$2 upstream=127.0.0.1:$3 out pid
    case $kind in
    nginx)
        mkdir -p "$work/nginx-tmp"
        out=$(python3 "$HERE/recipe.py" rewrite nginx "$REPO_ROOT/conf/nginx/boshd.conf" \
            "$work/nginx-boshd.conf" port="$port" cert="$work/tls/server.crt" \
            key="$work/tls/server.key" upstream="$upstream" 2>&1) || bail "the nginx recipe rewritten" "$out"
        sed "s|@DIR@|$work|g" "$HERE/nginx-main.conf" >"$work/nginx.conf"
        "$NGINX" -p "$work" -c "$work/nginx.conf" -e "$work/nginx-error.log" -g 'daemon off;' \
            >"$work/nginx.out" 2>&1 &
        ;;
    haproxy)
        out=$(python3 "$HERE/recipe.py" rewrite haproxy "$REPO_ROOT/conf/haproxy/boshd.cfg" \
            "$work/haproxy-boshd.cfg" port="$port" pem="$work/tls/server.pem" \
            upstream="$upstream" 2>&1) || bail "the HAProxy recipe rewritten" "$out"
        "$HAPROXY" -db -f "$HERE/haproxy-base.cfg" -f "$work/haproxy-boshd.cfg" \
            >"$work/haproxy.log" 2>&1 &
        ;;
    esac
    pid=$!
    pids+=("$pid")
    if ! wait_for_port "$port" 10 "$pid"; then
        bail "$kind started with the recipe" "$(cat "$work/$kind"*.log "$work/$kind.out" 2>/dev/null | tail -30)"
    fi
    check "$kind" 1 "started with the recipe on 127.0.0.1:$port ($("kind_version_$kind" 2>/dev/null))"
}
kind_version_nginx() { "$NGINX" -v 2>&1 | sed 's/.*: //'; }
kind_version_haproxy() { "$HAPROXY" -v | head -1 | cut -d' ' -f1-3; }

# ---- BOSH by hand (curl), for the held and address probes ------------------------

NS="xmlns='http://jabber.org/protocol/httpbind'"
# bosh URL BODY [CURL OPTIONS...]: POSTs BODY; prints "STATUS SECONDS" on the
# first line, then the response body.
bosh() {
    local url=$1 body=$2
    shift 2
    curl -sS --cacert "$CA" -H 'Content-Type: text/xml; charset=utf-8' --max-time 120 \
        -w '\n%{http_code} %{time_total}' --data-binary "$body" "$@" "$url" 2>&1 |
        awk '{ lines[NR] = $0 } END { print lines[NR]; for (i = 1; i < NR; i++) print lines[i] }'
}
# create_session URL WAIT [CURL OPTIONS...]: prints the new session's sid.
create_session() {
    local url=$1 wait=$2
    shift 2
    bosh "$url" "<body $NS rid='1000' to='localhost' wait='$wait' hold='1' ver='1.6' xml:lang='en' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh'/>" "$@" |
        sed -n "s/.* sid=['\"]\([^'\"]*\)['\"].*/\1/p" | head -1
}
terminate_session() {
    bosh "$1" "<body $NS rid='$3' sid='$2' type='terminate'/>" >/dev/null
}

# held_probe URL OUT HTTP_VERSION_OPTION: a session with wait HELD_WAIT,
# then one empty request that boshd holds for all of it; writes "STATUS
# SECONDS" and the reply to OUT.
held_probe() {
    local url=$1 out=$2 version=$3 sid
    sid=$(create_session "$url" "$HELD_WAIT" "$version")
    if [[ -z $sid ]]; then
        echo "no session" >"$out"
        return
    fi
    bosh "$url" "<body $NS rid='1001' sid='$sid'/>" "$version" >"$out"
    terminate_session "$url" "$sid" 1002
}
held_check() {
    local name=$1 out=$2 status secs reply
    read -r status secs <"$out"
    reply=$(sed 1d "$out")
    local ok=0
    if [[ $status == 200 ]] && [[ $reply == "<body "* ]] && [[ $reply != *terminate* ]] &&
        awk -v s="$secs" -v w="$HELD_WAIT" 'BEGIN { exit !(s >= w - 1 && s < w + 10) }'; then
        ok=1
    fi
    check "held/$name" "$ok" "a request held ${HELD_WAIT} s came back as boshd's empty reply (HTTP ${status:-none} after ${secs:-?} s)" \
        "$(cat "$out")"
}

# upstream_requests LOG FROM_LINE: "REQUESTS CONNECTIONS" of boshd's
# http.request lines after line FROM_LINE of its log (each names the peer's
# address:port, so one port is one connection from the proxy).
upstream_requests() {
    local lines
    lines=$(tail -n +"$(($2 + 1))" "$1" | sed -n 's/.* http\.request .*peer=\([^ ]*\).*/\1/p')
    echo "$(grep -c . <<<"$lines") $(sort -u <<<"$lines" | grep -c .)"
}

# keepalive_check KIND URL LOG: 20 BOSH requests one after the other over
# one client connection (curl --next; bodies naming no session, which boshd
# answers at once with item-not-found and keeps the connection). With
# keep-alive to the upstream, boshd sees them over connections the proxy
# already had open (its pool: nginx's upstream keepalive, HAProxy's idle
# connections, which http-reuse safe lends to any request but a client's
# first) and at most one new one; without it, over 20 new ones. Nothing
# else talks to this boshd meanwhile (the held probes wait quietly).
keepalive_check() {
    local kind=$1 url=$2 log=$3 from args=() i requests conns fresh
    local body="<body $NS rid='1' sid='no-such-session'/>"
    for ((i = 0; i < 20; i++)); do
        ((i)) && args+=(--next)
        args+=(-sS --http1.1 --cacert "$CA" -o /dev/null -H 'Content-Type: text/xml; charset=utf-8' \
            --data-binary "$body" "$url")
    done
    from=$(wc -l <"$log")
    curl "${args[@]}" 2>&1
    sleep 0.2
    read -r requests conns < <(upstream_requests "$log" "$from")
    # The window's peers that boshd had not seen before it: new connections.
    fresh=$(comm -13 <(head -n "$from" "$log" | sed -n 's/.* http\.request .*peer=\([^ ]*\).*/\1/p' | sort -u) \
        <(tail -n +"$((from + 1))" "$log" | sed -n 's/.* http\.request .*peer=\([^ ]*\).*/\1/p' | sort -u) | grep -c .)
    check "keepalive/$kind" "$([[ $requests == 20 ]] && ((fresh <= 1)) && echo 1 || echo 0)" \
        "20 requests over one client connection reached boshd over $conns connection(s) from $kind, $fresh of them new" \
        "boshd saw $requests requests; from each peer, in order:
$(tail -n +"$((from + 1))" "$log" | sed -n 's/.* http\.request .*peer=\([^ ]*\).*/\1/p' | uniq -c)"
}

# limits_check KIND URL LOG: what the recipe refuses itself, before boshd:
# a body over boshd's max_body_size (413) and any other path (404). Over
# HTTP/1.1: over HTTP/2 HAProxy answers 413 and then resets the stream whose
# body is still coming, which curl reports as an error instead of the status.
limits_check() {
    local kind=$1 url=$2 log=$3 before after status
    before=$(grep -c ' http\.request ' "$log")
    status=$(head -c 70000 /dev/zero | tr '\0' 'x' | curl -sS --http1.1 --cacert "$CA" -o /dev/null -w '%{http_code}' \
        -H 'Content-Type: text/xml; charset=utf-8' --data-binary @- "$url" 2>&1)
    after=$(grep -c ' http\.request ' "$log")
    check "limits/$kind" "$([[ $status == 413 && $before == "$after" ]] && echo 1 || echo 0)" \
        "a 70000-byte body got 413 from $kind, never reaching boshd" "HTTP $status; boshd's requests $before -> $after"
    status=$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' "${url%/http-bind}/other" 2>&1)
    check "limits/$kind" "$([[ $status == 404 ]] && echo 1 || echo 0)" "a path other than /http-bind got 404" "HTTP $status"
}

# address_check KIND URL LOG: a session created from CLIENT_IP claiming to be
# SPOOFED_IP; boshd must log the address the proxy saw.
address_check() {
    local kind=$1 url=$2 log=$3 sid line
    sid=$(create_session "$url" 10 --interface "$CLIENT_IP" -H "X-Forwarded-For: $SPOOFED_IP" \
        -H "Forwarded: for=$SPOOFED_IP")
    line=$(grep " session\.created .*sid=$sid\b" "$log" | head -1)
    local ok=0
    [[ -n $sid && $line == *" ip=$CLIENT_IP"* ]] && ok=1
    check "address/$kind" "$ok" "boshd logged ip=$CLIENT_IP for a client on $CLIENT_IP claiming $SPOOFED_IP" \
        "sid=${sid:-none}; boshd's line: ${line:-none}"
    [[ -n $sid ]] && terminate_session "$url" "$sid" 1001
}

# per_ip_check KIND URL: PER_IP sessions from CLIENT_IP through the proxy,
# one more refused, one from OTHER_IP still created; all ended afterwards.
per_ip_check() {
    local kind=$1 url=$2 sids=() sid i reply other
    for ((i = 0; i < PER_IP; i++)); do
        sid=$(create_session "$url" 10 --interface "$CLIENT_IP")
        [[ -n $sid ]] && sids+=("$sid")
    done
    reply=$(bosh "$url" "<body $NS rid='1000' to='localhost' wait='10' hold='1' ver='1.6' xml:lang='en' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh'/>" --interface "$CLIENT_IP")
    local ok=0
    [[ ${#sids[@]} == "$PER_IP" && $reply == *"type='terminate'"* && $reply == *"condition='policy-violation'"* ]] && ok=1
    [[ ${#sids[@]} == "$PER_IP" && $reply == *'type="terminate"'* && $reply == *'condition="policy-violation"'* ]] && ok=1
    check "per-ip/$kind" "$ok" "$PER_IP sessions from $CLIENT_IP through $kind created, one more refused with policy-violation" \
        "created ${#sids[@]}; the next one got: $reply"
    # Not refused after all: end that one too.
    sid=$(sed -n "s/.* sid=['\"]\([^'\"]*\)['\"].*/\1/p" <<<"$reply" | head -1)
    [[ -n $sid ]] && sids+=("$sid")
    other=$(create_session "$url" 10 --interface "$OTHER_IP")
    check "per-ip/$kind" "$([[ -n $other ]] && echo 1 || echo 0)" \
        "a session from $OTHER_IP through the same $kind still created"
    [[ -n $other ]] && sids+=("$other")
    for sid in "${sids[@]}"; do terminate_session "$url" "$sid" 1001; done
}

# ---- the set-up ---------------------------------------------------------------------

declare -A proxy_port boshd_log
for kind in nginx haproxy; do
    start_boshd "$kind" "$HELD_WAIT"
    boshd_log[$kind]=$work/boshd-$kind.log
    proxy_port[$kind]=$(free_port)
    start_proxy "$kind" "${proxy_port[$kind]}" "$boshd_port"
done

# The held probes run in the background while the rest goes on.
probe_pids=()
for kind in nginx haproxy; do
    for version in http1.1 http2; do
        held_probe "https://127.0.0.1:${proxy_port[$kind]}/http-bind" "$work/held-$kind-$version.out" \
            "--$version" &
        probe_pids+=($!)
    done
done

# Wait until each probe's request is held (creation and empty request: two
# http.request lines per probe), so that the counts below are the chat's.
for kind in nginx haproxy; do
    for ((i = 0; i < 200; i++)); do
        (($(grep -c ' http\.request ' "${boshd_log[$kind]}") >= 4)) && break
        sleep 0.05
    done
done

# ---- through each proxy: Strophe.js in Node, keep-alive, the client address ---------

for kind in nginx haproxy; do
    url="https://127.0.0.1:${proxy_port[$kind]}/http-bind"
    from=$(wc -l <"${boshd_log[$kind]}")
    NODE_EXTRA_CA_CERTS=$CA run_tagged "strophe/$kind" node "$E2E/chat.mjs" --url "$url" \
        --domain localhost --messages 50 --interval 40 --timeout 60
    # For the record: how the chat's requests shared boshd's connections.
    read -r requests conns < <(upstream_requests "${boshd_log[$kind]}" "$from")
    echo "# strophe/$kind: boshd got the chat's $requests requests over $conns connections from $kind"
    keepalive_check "$kind" "$url" "${boshd_log[$kind]}"
    limits_check "$kind" "$url" "${boshd_log[$kind]}"
    if [[ $ADDRESS_CHECKS == 1 ]]; then
        address_check "$kind" "$url" "${boshd_log[$kind]}"
    else
        echo "# address/$kind: skipped (BOSHD_PROXY_ADDRESS_CHECKS=0)"
    fi
    if [[ $LIMIT_CHECKS == 1 ]]; then
        per_ip_check "$kind" "$url"
    else
        echo "# per-ip/$kind: skipped (BOSHD_PROXY_LIMIT_CHECKS=0)"
    fi
done

# ---- Chromium ------------------------------------------------------------------------

# The browser trusts the test CA as an operator's users trust a public one:
# through the NSS database of the profile's home (Chromium on Linux reads
# $HOME/.pki/nssdb), so certificate chain and name are still verified.
browser_home=$work/browser-home
mkdir -p "$browser_home/.pki/nssdb"
if ! out=$(certutil -N -d "sql:$browser_home/.pki/nssdb" --empty-password 2>&1 &&
    certutil -A -d "sql:$browser_home/.pki/nssdb" -n "boshd proxies test CA" -t "C,," -i "$CA" 2>&1); then
    bail "the test CA added to an NSS database" "$out"
fi
browser() {
    local name=$1 url=$2
    shift 2
    HOME=$browser_home run_tagged "$name" node "$E2E/browser-chat.mjs" --url "$url" \
        --domain localhost --messages 20 --timeout 60 "$@"
}
# proxy_log KIND: the proxy's access log (one line per request, with
# client=ADDRESS:PORT of the client's connection).
proxy_log() { case $1 in nginx) echo "$work/nginx-access.log" ;; haproxy) echo "$work/haproxy.log" ;; esac; }
# browser_connections_check KIND FROM_LINE: the proxy's own count of the
# browser's connections (its log after FROM_LINE): two users, each over one
# HTTP/2 connection (two with HTTP/1.1), for many requests.
browser_connections_check() {
    local kind=$1 from=$2 log requests conns
    log=$(proxy_log "$kind")
    requests=$(tail -n +"$((from + 1))" "$log" | grep -c '^client=.* method=\(POST\|OPTIONS\) ' || true)
    conns=$(tail -n +"$((from + 1))" "$log" | sed -n 's/^client=\([^ ]*\) .* method=\(POST\|OPTIONS\) .*/\1/p' | sort -u | wc -l)
    local ok=0
    ((conns >= 1 && conns <= 4 && requests >= 5 * conns)) && ok=1
    check "chromium/$kind" "$ok" "$kind's log: the browser sent $requests requests over $conns connections" \
        "$(tail -n +"$((from + 1))" "$log" | head -30)"
}
for kind in nginx haproxy; do
    from=$(wc -l <"$(proxy_log "$kind")")
    browser "chromium/$kind" "https://127.0.0.1:${proxy_port[$kind]}/http-bind"
    browser_connections_check "$kind" "$from"
done

if [[ $DIRECT_HTTPS == 1 ]]; then
    start_boshd direct "$MAX_WAIT" "tls_cert = \"$work/tls/server.crt\"
tls_key = \"$work/tls/server.key\""
    browser chromium/direct "https://127.0.0.1:$boshd_port/http-bind"
else
    echo "# chromium/direct: skipped (BOSHD_PROXY_DIRECT_HTTPS=0)"
fi

# ---- the held requests -----------------------------------------------------------------

for pid in "${probe_pids[@]}"; do wait "$pid"; done
for kind in nginx haproxy; do
    for version in http1.1 http2; do held_check "$kind/$version" "$work/held-$kind-$version.out"; done
done

# No proxy error reached a client: nothing but boshd's own answers.
for kind in nginx haproxy; do
    errors=$(grep -E 'status=(502|503|504)' "$(proxy_log "$kind")")
    check "$kind" "$([[ -z $errors ]] && echo 1 || echo 0)" "logged no 502, 503 or 504 for the whole run" "$errors"
done

if ((failed)); then
    for f in "$work"/nginx-error.log "$work"/haproxy.log "$work"/boshd-*.log; do
        [[ -f $f ]] || continue
        echo "# $(basename "$f") (last lines):"
        grep -v ' http\.request \| http\.gone ' "$f" | tail -15 | sed 's/^/#   /'
    done
fi
echo "$passed passed, $failed failed"
((failed == 0))
