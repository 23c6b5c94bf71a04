#!/usr/bin/env bash
# The `package` suite: boshd builds and installs like a Debian program.
#
#   - a release build with the tests, warnings as errors, from scratch;
#   - its `meson install --destdir`: exactly the expected files, the config
#     identical to conf/boshd.toml, units naming the installed paths, the
#     staged binary checking the staged config and naming it in --help;
#   - the units pass `systemd-analyze verify` (against the staged tree) and
#     keep their hardening (`systemd-analyze security`);
#   - where the units go for other prefixes and with systemdsystemunitdir=no
#     (configure only);
#   - both manual pages render without warnings;
#   - scripts/package (plain build, dpkg-buildflags, -Dtests=false): the
#     .deb's fields, files, conffiles, Depends and maintainer scripts;
#   - as root in a container only: the .deb installed with apt, checked
#     (user, enabled but not started, verify on the real paths, the conffile
#     kept across a reinstall and a remove), removed and purged, and the
#     machine left as it was. BOSHD_PACKAGE_INSTALL=0 skips this part.
#
# Work files are under .run/package-test (removed when everything passed).
# Prints ok/not ok/skip lines and ends with "N passed, N failed".
set -uo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT" || exit 1
work="$REPO_ROOT/.run/package-test"
rm -rf "$work"
mkdir -p "$work"

passed=0
failed=0
skipped=0
ok() {
    echo "ok - $1"
    passed=$((passed + 1))
}
not_ok() {
    echo "not ok - $1"
    shift
    local line
    for line in "$@"; do
        [[ -n $line ]] && printf '#   %s\n' "$line"
    done
    failed=$((failed + 1))
}
skip() {
    echo "skip - $1 # $2"
    skipped=$((skipped + 1))
}
# tail_of FILE: its last lines, to put under a failure.
tail_of() { tail -n 15 "$1" 2>/dev/null | sed 's/^/  /'; }
# run NAME LOG COMMAND...: a test that passes when COMMAND exits 0; its
# output goes to LOG and the end of it under a failure.
run() {
    local name=$1 log=$2
    shift 2
    if timeout 1200 "$@" >"$log" 2>&1; then
        ok "$name"
    else
        local status=$?
        mapfile -t detail < <(tail_of "$log")
        not_ok "$name" "exit status $status; $log ends:" "${detail[@]}"
    fi
}
# same NAME EXPECTED ACTUAL: a test that passes when both strings are equal.
same() {
    if [[ $2 == "$3" ]]; then
        ok "$1"
    else
        not_ok "$1" "expected:" "${2//$'\n'/ | }" "got:" "${3//$'\n'/ | }"
    fi
}
# files_under DIR: the files and symlinks under DIR, relative, sorted.
files_under() { (cd "$1" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort); }

version=$(sed -n "s/^  version: '\([^']*\)',$/\1/p" meson.build)
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || true)
if [[ -z $unitdir ]]; then
    not_ok "systemd.pc names systemdsystemunitdir" "pkg-config found no systemd.pc (scripts/deps installs systemd)"
fi
unitrel=${unitdir#/}

# --- the release build, with the tests, warnings as errors -------------------
release="$work/release"
stage="$work/stage"
run "release build configures from scratch (--prefix=/usr --buildtype=release -Dwerror=true)" \
    "$work/release-setup.log" meson setup "$release" --prefix=/usr --buildtype=release -Dwerror=true
run "release build compiles without a warning (boshd, the tests and the benchmark)" \
    "$work/release-compile.log" meson compile -C "$release"
run "meson install --destdir puts the release build in place" \
    "$work/release-install.log" meson install -C "$release" --no-rebuild --destdir "$stage"

expected="etc/boshd/boshd.toml
$unitrel/boshd-admin.socket
$unitrel/boshd.service
$unitrel/boshd.socket
usr/bin/boshd
usr/share/doc/boshd/examples/haproxy/boshd.cfg
usr/share/doc/boshd/examples/nginx/boshd.conf
usr/share/man/man5/boshd.toml.5
usr/share/man/man8/boshd.8"
same "installed files: boshd, the config, 3 units, the 2 proxy recipes and 2 manual pages, nothing else" \
    "$(LC_ALL=C sort <<<"$expected")" "$(files_under "$stage")"

if cmp -s conf/boshd.toml "$stage/etc/boshd/boshd.toml"; then
    ok "installed /etc/boshd/boshd.toml is conf/boshd.toml"
else
    not_ok "installed /etc/boshd/boshd.toml is conf/boshd.toml" "the files differ"
fi
# A second install over an edited configuration keeps it and puts the new
# default beside it (conf/install-config.sh), in a copy of the stage.
again="$work/stage-again"
cp -a "$stage" "$again"
echo "# edited by the operator" >>"$again/etc/boshd/boshd.toml"
edited=$(cat "$again/etc/boshd/boshd.toml")
if meson install -C "$release" --no-rebuild --destdir "$again" >"$work/reinstall.log" 2>&1 &&
    [[ $(cat "$again/etc/boshd/boshd.toml") == "$edited" ]] &&
    cmp -s conf/boshd.toml "$again/etc/boshd/boshd.toml.new"; then
    ok "meson install again keeps an edited boshd.toml and writes boshd.toml.new beside it"
else
    not_ok "meson install again keeps an edited boshd.toml and writes boshd.toml.new beside it" \
        "$(tail_of "$work/reinstall.log")"
fi
rm -rf "$again"
if cmp -s man/boshd.toml.5 "$stage/usr/share/man/man5/boshd.toml.5"; then
    ok "installed boshd.toml(5) is man/boshd.toml.5"
else
    not_ok "installed boshd.toml(5) is man/boshd.toml.5" "the files differ"
fi

units="$stage/$unitrel"
same "boshd.service runs the installed binary on the installed config" \
    "ExecStart=/usr/bin/boshd --config /etc/boshd/boshd.toml" \
    "$(grep '^ExecStart=' "$units/boshd.service")"
leftover=$(grep -Hn '@[a-z_]*@' "$units"/* || true)
same "no @placeholder@ is left in the installed units" "" "$leftover"
same "the socket units point at the installed config" "2" \
    "$(grep -l '/etc/boshd/boshd.toml' "$units/boshd.socket" "$units/boshd-admin.socket" | wc -l)"

# Every setting the service and sockets are meant to have, line by line.
want_service=(Type=notify NotifyAccess=main "ExecReload=/bin/kill -HUP \$MAINPID"
    Restart=on-failure WatchdogSec=30s TimeoutStopSec=30s User=boshd Group=boshd
    LimitNOFILE=32768 NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes
    PrivateTmp=yes PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes
    ProtectControlGroups=yes ProtectClock=yes ProtectHostname=yes RestrictNamespaces=yes
    RestrictRealtime=yes RestrictSUIDSGID=yes LockPersonality=yes MemoryDenyWriteExecute=yes
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" CapabilityBoundingSet=
    AmbientCapabilities= SystemCallFilter=@system-service SystemCallArchitectures=native
    UMask=0077 After=network.target WantedBy=multi-user.target)
want_socket=(ListenStream=127.0.0.1:5280 FileDescriptorName=bosh Service=boshd.service
    NoDelay=true WantedBy=sockets.target)
want_admin=(ListenStream=127.0.0.1:5281 FileDescriptorName=admin Service=boshd.service
    WantedBy=sockets.target)
# has_lines FILE LINE...: the lines of LINE... that FILE lacks.
has_lines() {
    local file=$1 line
    shift
    for line in "$@"; do grep -qxF -- "$line" "$file" || printf '%s ' "$line"; done
}
same "boshd.service has its settings (notify, watchdog, stop timeout, user, open files, hardening)" \
    "" "$(has_lines "$units/boshd.service" "${want_service[@]}")"
same "boshd.socket listens on 127.0.0.1:5280 as \"bosh\" for boshd.service" \
    "" "$(has_lines "$units/boshd.socket" "${want_socket[@]}")"
same "boshd-admin.socket listens on 127.0.0.1:5281 as \"admin\" for boshd.service" \
    "" "$(has_lines "$units/boshd-admin.socket" "${want_admin[@]}")"
same "boshd.service does not pull in network-online.target or a socket" "" \
    "$(grep -E '^(Wants|Requires|Sockets|Also)=' "$units/boshd.service" || true)"

bin="$stage/usr/bin/boshd"
out=$("$bin" --config "$stage/etc/boshd/boshd.toml" --check-config 2>&1)
status=$?
same "the staged boshd accepts the staged config (--check-config)" \
    "0 boshd: $stage/etc/boshd/boshd.toml is valid" "$status $out"
if "$bin" --help | grep -q '(default /etc/boshd/boshd.toml)'; then
    ok "the staged boshd's --help names /etc/boshd/boshd.toml as the default"
else
    not_ok "the staged boshd's --help names /etc/boshd/boshd.toml as the default" "$("$bin" --help 2>&1 | head -5)"
fi
# Without --config it reads /etc/boshd/boshd.toml: on this machine that file
# does not exist (or is whatever is installed), so only the name is checked.
out=$("$bin" --check-config 2>&1)
if [[ $out == *"/etc/boshd/boshd.toml"* ]]; then
    ok "the staged boshd reads /etc/boshd/boshd.toml without --config"
else
    not_ok "the staged boshd reads /etc/boshd/boshd.toml without --config" "$out"
fi
same "boshd --version is the project's version" "boshd $version" "$("$bin" --version)"
same "boshd(8) names the project's version" "\"boshd $version\"" \
    "$(sed -n 's/^\.TH BOSHD 8 "[^"]*" \("[^"]*"\).*/\1/p' man/boshd.8)"

# --- systemd-analyze ---------------------------------------------------------
# verify checks that the executables exist and the man pages named by
# Documentation= resolve, and loads every unit the ones it checks depend on.
# Against the staged tree: a root holding the stage, the system's own units
# (sysinit.target and the rest) and /bin/kill (ExecReload=), with the staged
# man pages first on MANPATH. It reports problems it merely ignores
# (unknown keys, bad values) with exit status 0, so any output fails.
vroot="$work/verify-root"
mkdir -p "$vroot/bin"
cp -a "$stage/." "$vroot/"
cp -an "$unitdir/." "$vroot/$unitrel/"
cp -a /bin/kill "$vroot/bin/kill"
# verify_units ROOT UNIT...: systemd-analyze verify's output and status.
verify_units() {
    local root=$1
    shift
    local paths=() u
    for u in "$@"; do paths+=("$unitdir/$u"); done
    (cd "$work" && MANPATH="$root/usr/share/man:" timeout 60 systemd-analyze verify --root="$root" "${paths[@]}" 2>&1)
    echo "status $?"
}
if ! command -v systemd-analyze >/dev/null; then
    not_ok "systemd-analyze verify passes on the staged units" "systemd-analyze is missing (scripts/deps installs systemd)"
else
    same "systemd-analyze verify passes on the staged units, with no complaint" "status 0" \
        "$(verify_units "$vroot" boshd.service boshd.socket boshd-admin.socket)"
    # The check can fail: a misspelt key and a missing binary are reported.
    sed -e 's/^Type=notify$/Tpye=notify/' "$vroot/$unitrel/boshd.service" >"$vroot/$unitrel/broken.service"
    out=$(verify_units "$vroot" broken.service)
    if [[ $out == *"Tpye"* ]]; then
        ok "systemd-analyze verify reports a misspelt key (the check can fail)"
    else
        not_ok "systemd-analyze verify reports a misspelt key (the check can fail)" "$out"
    fi
    rm -f "$vroot/$unitrel/broken.service"
    mv "$vroot/usr/bin/boshd" "$vroot/usr/bin/boshd.away"
    out=$(verify_units "$vroot" boshd.service)
    if [[ $out == *"/usr/bin/boshd"* && $out != "status 0" ]]; then
        ok "systemd-analyze verify reports a missing ExecStart binary (the check can fail)"
    else
        not_ok "systemd-analyze verify reports a missing ExecStart binary (the check can fail)" "$out"
    fi
    mv "$vroot/usr/bin/boshd.away" "$vroot/usr/bin/boshd"
    # Exposure 0.0-10.0, threshold in tenths: the hardening stays "OK".
    out=$(cd "$work" && timeout 60 systemd-analyze security --offline=yes --threshold=20 \
        --root="$vroot" "$unitdir/boshd.service" 2>&1)
    status=$?
    level=$(grep -o 'Overall exposure level for boshd.service: .*' <<<"$out")
    if ((status == 0)); then
        ok "systemd-analyze security: boshd.service exposure at most 2.0 (${level##*: })"
    else
        not_ok "systemd-analyze security: boshd.service exposure at most 2.0" "$level" \
            "$(grep '✗' <<<"$out" | head -20)"
    fi
fi

# --- where the units go (configure only, no compile) --------------------------
# installed_paths BUILDDIR: the install destinations meson plans, sorted.
installed_paths() {
    meson introspect --installed "$1" | python3 -c \
        'import json, sys; print("\n".join(sorted(json.load(sys.stdin).values())))'
}
if meson setup "$work/prefix-local" -Dtests=false --prefix=/usr/local >"$work/prefix-local.log" 2>&1; then
    # The configuration is installed by a script (conf/install-config.sh),
    # which meson does not list: the binary's default path and the
    # script's target both come from prefix / sysconfdir.
    same "--prefix=/usr/local: the default configuration is /usr/local/etc/boshd/boshd.toml" \
        1 "$(grep -c -- '-DBOSHD_DEFAULT_CONFIG="/usr/local/etc/boshd/boshd.toml"' \
            "$work/prefix-local/build.ninja")"
    same "--prefix=/usr/local: units in /usr/local/lib/systemd/system" \
        "/usr/local/bin/boshd
/usr/local/lib/systemd/system/boshd-admin.socket
/usr/local/lib/systemd/system/boshd.service
/usr/local/lib/systemd/system/boshd.socket
/usr/local/share/doc/boshd/examples/haproxy/boshd.cfg
/usr/local/share/doc/boshd/examples/nginx/boshd.conf
/usr/local/share/man/man5/boshd.toml.5
/usr/local/share/man/man8/boshd.8" "$(installed_paths "$work/prefix-local")"
    same "--prefix=/usr/local: ExecStart names /usr/local/bin/boshd and its config" \
        "ExecStart=/usr/local/bin/boshd --config /usr/local/etc/boshd/boshd.toml" \
        "$(grep '^ExecStart=' "$work/prefix-local/conf/systemd/boshd.service")"
else
    not_ok "meson setup --prefix=/usr/local" "$(tail_of "$work/prefix-local.log")"
fi
if meson setup "$work/no-units" -Dtests=false --prefix=/usr -Dsystemdsystemunitdir=no >"$work/no-units.log" 2>&1; then
    same "-Dsystemdsystemunitdir=no installs no unit" "" \
        "$(installed_paths "$work/no-units" | grep systemd || true)"
else
    not_ok "meson setup -Dsystemdsystemunitdir=no" "$(tail_of "$work/no-units.log")"
fi
if meson setup "$work/own-units" -Dtests=false --prefix=/usr -Dsystemdsystemunitdir=/srv/units >"$work/own-units.log" 2>&1; then
    same "-Dsystemdsystemunitdir=/srv/units installs the 3 units there" "3" \
        "$(installed_paths "$work/own-units" | grep -c '^/srv/units/boshd')"
else
    not_ok "meson setup -Dsystemdsystemunitdir=/srv/units" "$(tail_of "$work/own-units.log")"
fi

# --- manual pages --------------------------------------------------------------
for page in man/boshd.8 man/boshd.toml.5; do
    out=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    out+=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    same "$page renders without a warning (groff -ww, man --warnings)" "" "$out"
done

# --- the .deb --------------------------------------------------------------------
debdir="$work/deb"
deb=
if scripts/package --out "$debdir" >"$work/package.log" 2>&1; then
    deb=$(tail -n 1 "$work/package.log")
    arch=$(dpkg --print-architecture)
    same "scripts/package builds build-deb/boshd_VERSION-1_ARCH.deb and prints its path last" \
        "$debdir/boshd_${version}-1_${arch}.deb" "$deb"
    [[ -f $deb ]] || deb=
else
    mapfile -t detail < <(tail_of "$work/package.log")
    not_ok "scripts/package builds a .deb" "${detail[@]}"
fi

if [[ -n $deb ]]; then
    pbuild="$debdir/build"
    same "the package build is buildtype plain with -Dtests=false" "plain false" \
        "$(meson introspect --buildoptions "$pbuild" | python3 -c '
import json, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
print(opts["buildtype"], str(opts["tests"]).lower())')"
    same "the package build (-Dtests=false) needs neither doctest nor pugixml" "" \
        "$(meson introspect --dependencies "$pbuild" | grep -Eo '"name": "(doctest|pugixml)"' || true)"
    flags=$(dpkg-buildflags --get CXXFLAGS) cppflags=$(dpkg-buildflags --get CPPFLAGS)
    missing=
    # shellcheck disable=SC2086  # one flag per word
    for flag in $flags $cppflags; do
        [[ $flag == -ffile-prefix-map=* ]] && continue
        grep -qF -- " $flag" "$pbuild/build.ninja" || missing+="$flag "
    done
    same "the package build compiles with dpkg-buildflags' CPPFLAGS and CXXFLAGS" "" "$missing"

    same "dpkg-deb --field: Package, Version, Architecture" \
        "boshd ${version}-1 $arch" "$(dpkg-deb --field "$deb" Package Version Architecture | cut -d' ' -f2 | paste -sd' ')"
    # The package names of Depends, one a line, versions dropped.
    depends=$(dpkg-deb --field "$deb" Depends | sed -e 's/ ([^)]*)//g' -e 's/, /\n/g')
    missing=
    for pkg in libc6 libstdc++6 libgcc-s1 libevent-2.1-7 libevent-openssl-2.1-7 libssl3 libexpat1 libc-ares2 \
        libtomlplusplus3 zlib1g libsystemd0 adduser; do
        grep -qxF "$pkg" <<<"$depends" || missing+="$pkg "
    done
    same "Depends names every runtime library package and adduser" "" "$missing"
    same "conffiles: /etc/boshd/boshd.toml" "/etc/boshd/boshd.toml" \
        "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)"
    same "the .deb holds the binary, the config, 3 units, 2 compressed manual pages, the 2 proxy recipes, copyright and changelog" \
        "etc/boshd/boshd.toml
$unitrel/boshd-admin.socket
$unitrel/boshd.service
$unitrel/boshd.socket
usr/bin/boshd
usr/share/doc/boshd/changelog.Debian.gz
usr/share/doc/boshd/copyright
usr/share/doc/boshd/examples/haproxy/boshd.cfg
usr/share/doc/boshd/examples/nginx/boshd.conf
usr/share/man/man5/boshd.toml.5.gz
usr/share/man/man8/boshd.8.gz" \
        "$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$' | sed 's|^\./||' | LC_ALL=C sort)"
    same "every file in the .deb is owned by root" "" \
        "$(dpkg-deb --contents "$deb" | awk '$2 != "root/root"')"
    extract="$work/deb-extract"
    mkdir -p "$extract"
    dpkg-deb --raw-extract "$deb" "$extract"
    if file "$extract/usr/bin/boshd" | grep -q ', stripped'; then
        ok "the packaged binary is stripped"
    else
        not_ok "the packaged binary is stripped" "$(file "$extract/usr/bin/boshd")"
    fi
    same "the packaged units are the installed ones" "" \
        "$(diff -r "$stage/$unitrel" "$extract/$unitrel" 2>&1)"
    same "md5sums lists every file and matches" "11" \
        "$(cd "$extract" && md5sum --quiet -c DEBIAN/md5sums 2>&1 && wc -l <DEBIAN/md5sums)"
    zcat "$extract/usr/share/doc/boshd/changelog.Debian.gz" >"$work/changelog.Debian"
    same "changelog.Debian parses and names the package's version" "${version}-1" \
        "$(dpkg-parsechangelog -l "$work/changelog.Debian" -S Version 2>&1)"
    if grep -q 'adduser --system --quiet --group --no-create-home --home /nonexistent' "$extract/DEBIAN/postinst" &&
        grep -q 'deb-systemd-helper enable boshd.service' "$extract/DEBIAN/postinst"; then
        ok "postinst creates the boshd system user and enables boshd.service"
    else
        not_ok "postinst creates the boshd system user and enables boshd.service" "$(head -20 "$extract/DEBIAN/postinst")"
    fi
    same "postinst never starts boshd on a first installation" "" \
        "$(grep -nE 'systemctl (--system )?(start|restart|enable --now)|deb-systemd-invoke (start|restart)' "$extract/DEBIAN/postinst" || true)"
    for script in postinst prerm postrm; do
        name="$script passes sh -n"
        out=$(sh -n "$extract/DEBIAN/$script" 2>&1)
        if command -v shellcheck >/dev/null; then
            name+=" and shellcheck -s sh"
            out+=$(shellcheck -s sh "$extract/DEBIAN/$script" 2>&1)
        fi
        same "$name" "" "$out"
    done
fi

# --- the .deb installed, checked, removed and purged -----------------------------
# Only where that is harmless: as root, in a container, with no boshd
# package, binary or /etc/boshd present. One run at a time on the machine.
why_not=
if [[ -z $deb ]]; then
    why_not="no .deb was built"
elif [[ ${BOSHD_PACKAGE_INSTALL:-1} == 0 ]]; then
    why_not="BOSHD_PACKAGE_INSTALL=0"
elif (($(id -u) != 0)); then
    why_not="not root"
elif ! { [[ -e /.dockerenv || -e /run/.containerenv ]] || systemd-detect-virt --quiet --container 2>/dev/null; }; then
    why_not="not in a container: installing would change this machine"
fi

install_checks() {
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120)
    if dpkg-query -W -f='${Status}' boshd 2>/dev/null | grep -q 'installed\|config-files' ||
        [[ -e /usr/bin/boshd || -e /etc/boshd ]]; then
        skip "install the .deb with apt" "boshd is already installed here (or /usr/bin/boshd, /etc/boshd exist)"
        return
    fi
    run "apt-get install ./boshd_${version}-1_${arch}.deb" "$work/apt-install.log" \
        "${apt[@]}" install --no-install-recommends "$deb"
    if ! dpkg-query -W -f='${Status}' boshd 2>/dev/null | grep -q 'install ok installed'; then
        not_ok "boshd is installed" "$(dpkg-query -W -f='${Status}' boshd 2>&1)"
        return
    fi
    same "apt-get install printed no warning" "" "$(grep -i 'warn' "$work/apt-install.log" || true)"

    local entry uid home shell
    entry=$(getent passwd boshd)
    IFS=: read -r _ _ uid _ _ home shell <<<"$entry"
    if [[ -n $entry ]] && ((uid < 1000)) && [[ $home == /nonexistent && $shell == */nologin ]] &&
        getent group boshd >/dev/null; then
        ok "the boshd system user and group exist (uid $uid, home /nonexistent, no login)"
    else
        not_ok "the boshd system user and group exist" "$entry"
    fi
    if [[ -L /etc/systemd/system/multi-user.target.wants/boshd.service ]]; then
        ok "boshd.service is enabled (multi-user.target.wants)"
    else
        not_ok "boshd.service is enabled (multi-user.target.wants)" "$(find /etc/systemd/system/multi-user.target.wants -maxdepth 1 -name "boshd*" 2>&1)"
    fi
    same "the sockets are not enabled, and no /usr/bin/boshd runs" "" \
        "$(ls /etc/systemd/system/sockets.target.wants/boshd*.socket 2>/dev/null; pgrep -af '^/usr/bin/boshd' || true)"
    same "systemd-analyze verify passes on the installed units, with no complaint" "" \
        "$(cd "$work" && timeout 60 systemd-analyze verify "$unitdir/boshd.service" "$unitdir/boshd.socket" \
            "$unitdir/boshd-admin.socket" 2>&1)"
    same "as user boshd, /usr/bin/boshd --check-config accepts /etc/boshd/boshd.toml" \
        "boshd: /etc/boshd/boshd.toml is valid" "$(runuser -u boshd -- /usr/bin/boshd --check-config 2>&1)"
    if man -w boshd 2>/dev/null | grep -q '/usr/share/man/man8/boshd.8.gz' &&
        man -w boshd.toml 2>/dev/null | grep -q '/usr/share/man/man5/boshd.toml.5.gz'; then
        ok "man finds boshd(8) and boshd.toml(5)"
    else
        not_ok "man finds boshd(8) and boshd.toml(5)" "$(man -w boshd boshd.toml 2>&1)"
    fi

    echo '# changed by the package test' >>/etc/boshd/boshd.toml
    run "apt-get install --reinstall" "$work/apt-reinstall.log" "${apt[@]}" install --reinstall "$deb"
    same "a reinstall keeps the changed conffile" "# changed by the package test" "$(tail -n 1 /etc/boshd/boshd.toml)"

    run "apt-get remove boshd" "$work/apt-remove.log" "${apt[@]}" remove boshd
    same "after remove: the binary is gone, the changed conffile stays, status config-files" \
        "absent # changed by the package test deinstall ok config-files" \
        "$([[ -e /usr/bin/boshd ]] && echo present || echo absent) $(tail -n 1 /etc/boshd/boshd.toml 2>&1) $(dpkg-query -W -f='${Status}' boshd 2>&1)"
    run "apt-get purge boshd" "$work/apt-purge.log" "${apt[@]}" purge boshd
    same "after purge: no package, /etc/boshd or enablement symlink is left" "" \
        "$(dpkg-query -W -f='${Status}\n' boshd 2>/dev/null | grep -v not-installed
            ls -d /etc/boshd /etc/systemd/system/boshd.service /etc/systemd/system/*/boshd*.s* 2>/dev/null)"
    if getent passwd boshd >/dev/null; then
        ok "after purge: the boshd user is kept"
    else
        not_ok "after purge: the boshd user is kept"
    fi
}

if [[ -n $why_not ]]; then
    skip "install, remove and purge the .deb" "$why_not"
else
    mkdir -p /run/lock
    exec 9>/run/lock/boshd-package-test.lock
    if flock -w 600 9; then
        had_user=false
        getent passwd boshd >/dev/null && had_user=true
        install_checks
        # Leave the machine as it was, whatever failed above: no boshd
        # package, and no boshd user unless there was one before.
        if dpkg-query -W -f='${Status}' boshd 2>/dev/null | grep -q 'installed\|config-files'; then
            env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120 purge boshd \
                >>"$work/apt-purge.log" 2>&1
        fi
        if ! $had_user && getent passwd boshd >/dev/null; then
            deluser --system --quiet boshd >/dev/null 2>&1
        fi
        if ! $had_user && getent group boshd >/dev/null; then
            delgroup --system --quiet boshd >/dev/null 2>&1
        fi
        flock -u 9
    else
        not_ok "install the .deb" "another package test held /run/lock/boshd-package-test.lock for 10 minutes"
    fi
    exec 9>&-
fi

((failed == 0)) && rm -rf "$work"
((skipped)) && echo "$skipped skipped"
echo "$passed passed, $failed failed"
((failed == 0))
