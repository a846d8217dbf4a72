#!/usr/bin/env bash
# Make Debian's Chromium available for the browser driver (idempotent; always exits 0).
# Playwright's own browser download is never used: the driver launches this
# executable by path.  Override the path with LLMOS_CHROMIUM.
set -u
want="${LLMOS_CHROMIUM:-/usr/bin/chromium}"
exec bash "$(dirname "$0")/setup-apt.sh" chromium "$want" \
    "browser.* syscalls answer 'unavailable' (or point LLMOS_CHROMIUM at a Chromium executable)"
