# shellcheck shell=bash
# Small shell helpers shared by the scripts under scripts/.
# Source it; it defines functions only and changes no shell options.

# Print a message to stderr, prefixed with the calling script's name.
log() { printf '%s: %s\n' "${SCRIPT_NAME:-${0##*/}}" "$*" >&2; }

# Print an error and exit 1.
die() { log "error: $*"; exit 1; }

# True when something listens on 127.0.0.1:PORT (or on the wildcard address).
# Uses `ss` so that checking does not open a connection to the server.
port_is_listening() {
    local port=$1
    ss -Htln "sport = :$port" 2>/dev/null | grep -q .
}

# True when no local TCP socket (in any state) uses PORT, so binding it on
# loopback should succeed. TIME_WAIT and friends are included on purpose:
# a port someone just used is a poor pick for a fresh listener.
port_is_free() {
    local port=$1
    ! ss -Htan "sport = :$port" 2>/dev/null | grep -q .
}

# Print a TCP port that is currently free on 127.0.0.1.
# Prefers asking the kernel (bind to port 0) via python3; falls back to
# probing random ports in 20000-60999 with `ss`. Either way there is a small
# race between picking and binding; callers bind soon after.
free_port() {
    local port
    if command -v python3 >/dev/null 2>&1; then
        port=$(python3 - <<'EOF' 2>/dev/null
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
        ) && [[ $port =~ ^[0-9]+$ ]] && { echo "$port"; return 0; }
    fi
    local tries
    for ((tries = 0; tries < 200; tries++)); do
        port=$((20000 + RANDOM % 41000))
        if port_is_free "$port"; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# True when PID names a live process. A zombie counts as dead: once a
# background server's launcher has exited, nobody may reap it promptly
# (PID 1 in these sandboxes is not a classic init).
pid_alive() {
    local pid=$1 state
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    # Field 3 of /proc/PID/stat is the state; the command name (field 2) is
    # in parentheses and may contain spaces, so cut after the last ')'.
    state=$(sed -e 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || true
    [[ $state != Z && $state != X ]]
}

# True when process PID itself listens on TCP PORT (needs root or the same
# user to see the owner, which is the case for servers we start ourselves).
port_listened_by() {
    local port=$1 pid=$2
    ss -Htlnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid,"
}

# Wait until something listens on PORT, at most SECONDS (whole seconds).
# If PID is given, the listener must be that process, and if it dies
# meanwhile, give up at once.
# wait_for_port PORT SECONDS [PID]
wait_for_port() {
    local port=$1 seconds=$2 pid=${3:-}
    local end_ns=$(( $(date +%s%N) + seconds * 1000000000 ))
    while :; do
        if [[ -n $pid ]]; then
            port_listened_by "$port" "$pid" && return 0
            pid_alive "$pid" || return 1
        else
            port_is_listening "$port" && return 0
        fi
        (( $(date +%s%N) < end_ns )) || return 1
        sleep 0.05
    done
}

# Send SIGTERM to PID, wait up to SECONDS for it to exit, then SIGKILL it.
# Returns 0 once the process is gone.
stop_pid() {
    local pid=$1 seconds=${2:-10}
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    local end_ns=$(( $(date +%s%N) + seconds * 1000000000 ))
    while pid_alive "$pid" && (( $(date +%s%N) < end_ns )); do
        sleep 0.05
    done
    if pid_alive "$pid"; then
        log "pid $pid still alive after ${seconds}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    ! pid_alive "$pid"
}

# run_tagged NAME COMMAND...: runs a test client that prints its own
# "ok - " / "not ok - " lines and a last "N passed, N failed" line. Prints its
# lines tagged "NAME: ", without the summary, and adds its counts to the
# caller's $passed and $failed (no summary counts as one failure). Sets
# $tagged_passed and $tagged_failed to the client's own counts; returns 0 when
# it failed nothing.
run_tagged() {
    local name=$1 out p f
    shift
    out=$("$@" 2>&1)
    sed "s|^\(not \)\{0,1\}ok - |&$name: |" <<<"$out" | grep -v '^[0-9]* passed, [0-9]* failed$'
    read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' <<<"$out" | tail -1)
    if [[ -z ${p:-} ]]; then
        echo "not ok - $name: gave no summary"
        p=0 f=1
    fi
    # shellcheck disable=SC2034  # read by the caller
    tagged_passed=$p tagged_failed=$f
    passed=$((passed + p))
    failed=$((failed + f))
    ((f == 0))
}
