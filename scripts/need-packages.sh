#!/bin/sh
# need-packages.sh PKG... - make sure Debian packages are installed.
# Installs the missing ones when running as root; otherwise stops with one
# line naming them.  Used by the Makefile before each step that needs them.
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/tmp/mmf-apt.log 2>&1; then
        apt-get update -q >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/tmp/mmf-apt.log 2>&1 || {
            echo "error: could not install:$missing (see /tmp/mmf-apt.log)" >&2
            exit 1
        }
    fi
    exit 0
fi
echo "error: missing Debian packages:$missing (run: sudo apt-get install$missing)" >&2
exit 1
