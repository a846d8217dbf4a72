#!/usr/bin/env bash
# GCIDE for the dictionary tool (drivers/tools/gcide.py): the dictd files of Debian's dict-gcide, unpacked into
# /usr/local/share/llmos/gcide without the dictd server that the package depends on (idempotent; always exits 0).
set -u
dest="${LLMOS_GCIDE:-/usr/local/share/llmos/gcide}"; say() { echo "setup-gcide: $*"; }
without="the dictionary has WordNet alone (no name for a young animal WordNet lacks)"

if [ -f "$dest/gcide.index" ] && [ -f "$dest/gcide.dict.dz" ]; then
    say "found $dest"
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    say "$dest is missing; as root, run:  bash scripts/setup-gcide.sh   (until then, $without)"
    exit 0
fi
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work" || exit 0
if ! apt-cache show dict-gcide >/dev/null 2>&1; then
    say "apt-get update"
    apt-get update -q || say "apt-get update failed; trying the download anyway"
fi
say "downloading dict-gcide (about 15 MB) from the Debian archive"
if apt-get download -q dict-gcide >/dev/null 2>&1 && dpkg-deb -x dict-gcide_*.deb unpacked \
        && mkdir -p "$dest" && cp unpacked/usr/share/dictd/gcide.index unpacked/usr/share/dictd/gcide.dict.dz "$dest/"; then
    say "installed $dest"
else
    say "the download did not give GCIDE; $without."
fi
exit 0
