#!/usr/bin/env bash
# Make Debian's Chromium available for the browser driver (idempotent; always exits 0).
# Playwright's own browser download is never used: the driver launches this
# executable by path.  Override the path with LLMOS_CHROMIUM.
set -u

want="${LLMOS_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$want" ]; then
    echo "setup-chromium: found $want"
    exit 0
fi

if [ "$(id -u)" != "0" ]; then
    echo "setup-chromium: $want is missing and this is not root."
    echo "setup-chromium: install it with:  sudo apt-get install -y chromium"
    echo "setup-chromium: (or point LLMOS_CHROMIUM at a Chromium executable)"
    echo "setup-chromium: until then, browser.* syscalls answer 'unavailable'."
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-chromium: $want is missing and there is no apt-get here;"
    echo "setup-chromium: install a Chromium and set LLMOS_CHROMIUM to its path."
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when apt does not know the package yet.
if ! apt-cache show chromium >/dev/null 2>&1 || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
    echo "setup-chromium: apt-get update"
    apt-get update -q || echo "setup-chromium: apt-get update failed; trying the install anyway"
fi

echo "setup-chromium: apt-get install -y chromium"
if apt-get install -y -q chromium; then
    if [ -x "$want" ]; then
        echo "setup-chromium: installed $want"
    else
        echo "setup-chromium: chromium installed but $want is not there; set LLMOS_CHROMIUM"
    fi
else
    echo "setup-chromium: apt-get install chromium failed; browser.* syscalls will answer 'unavailable'."
fi
exit 0
