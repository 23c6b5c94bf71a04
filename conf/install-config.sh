#!/bin/sh
# meson install step: put the annotated configuration in place without
# overwriting an operator's. A boshd.toml already there stays as it is; the
# new default goes next to it as boshd.toml.new, to compare.
#
#   install-config.sh SOURCE DIR     (DIR absolute; DESTDIR is honoured)
set -eu
source=$1
dir=${DESTDIR:-}$2
if [ -e "$dir/boshd.toml" ]; then
    install -m 0644 "$source" "$dir/boshd.toml.new"
    echo "install-config: kept $2/boshd.toml; the new default is $2/boshd.toml.new"
else
    install -D -m 0644 "$source" "$dir/boshd.toml"
fi
