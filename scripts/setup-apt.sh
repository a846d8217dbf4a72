#!/usr/bin/env bash
# Install one Debian package that llmos needs, if PATH is missing (idempotent; always exits 0).
# usage: setup-apt.sh PACKAGE PATH WITHOUT   (WITHOUT: what llmos does until it is there)
set -u
pkg="$1"; want="$2"; without="$3"; say() { echo "setup-$pkg: $*"; }

if [ -e "$want" ]; then
    say "found $want"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    say "$want is missing and this is not root; install it with:  sudo apt-get install -y $pkg"
    say "until then, $without."
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    say "$want is missing and there is no apt-get here; until it is installed, $without."
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when apt does not know the package yet.
if ! apt-cache show "$pkg" >/dev/null 2>&1 || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
    say "apt-get update"
    apt-get update -q || say "apt-get update failed; trying the install anyway"
fi
say "apt-get install -y $pkg"
if apt-get install -y -q "$pkg" && [ -e "$want" ]; then
    say "installed $want"
else
    say "the install did not give $want; $without."
fi
exit 0
