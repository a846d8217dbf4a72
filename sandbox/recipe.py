"""The sandbox image recipe (Debian packages plus a post-install script) and its content hash."""
from __future__ import annotations

import hashlib
import json

SUITE = "bookworm"
VARIANT = "minbase"
# python3 (not just python3-minimal) so the full standard library (json, decimal,
# fractions, statistics, sqlite3, ...) is there for program-aided math; coreutils,
# sed, grep, tar and bash are already part of minbase.  procps gives ps and kill.
PACKAGES = ("python3", "procps")
UID = 1000
USER = "sandbox"
WORKDIR = "/work"
REPOSITORY = "llmos-sandbox"

# Runs on the host as root with the root filesystem's path as $1, after debootstrap.
POST_INSTALL = r"""
set -eu
R="$1"
grep -q '^sandbox:' "$R/etc/passwd" || echo 'sandbox:x:1000:1000:llmos sandbox:/work:/bin/sh' >>"$R/etc/passwd"
grep -q '^sandbox:' "$R/etc/group" || echo 'sandbox:x:1000:' >>"$R/etc/group"
if [ -f "$R/etc/shadow" ] && ! grep -q '^sandbox:' "$R/etc/shadow"; then
    echo 'sandbox:!:19000:0:99999:7:::' >>"$R/etc/shadow"
fi
install -d -m 0755 -o 1000 -g 1000 "$R/work"
install -d -m 0755 "$R/opt/llmos" "$R/run"
chmod 1777 "$R/tmp"
# No setuid or setgid programs: nothing inside can become root again.
find "$R" -xdev -type f \( -perm -4000 -o -perm -2000 \) -exec chmod ug-s {} +
# Smaller image: no package downloads, indexes, docs or manuals.
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* \
       "$R"/usr/share/doc/* "$R"/usr/share/man/* "$R"/usr/share/info/* \
       "$R"/var/log/*.log "$R"/var/cache/debconf/*-old
"""

# Dockerfile instructions applied by `docker import`.
CHANGES = (
    f"USER {UID}:{UID}",
    f"WORKDIR {WORKDIR}",
    f"ENV HOME={WORKDIR} LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 "
    "PATH=/usr/local/bin:/usr/bin:/bin",
    'CMD ["/bin/sh"]',
)

# Bump when the build procedure itself changes in a way the fields above do not show.
REVISION = 1


def recipe_hash() -> str:
    """A short hash of everything that decides the image's content."""
    spec = {
        "suite": SUITE,
        "variant": VARIANT,
        "packages": sorted(PACKAGES),
        "post": POST_INSTALL,
        "changes": list(CHANGES),
        "revision": REVISION,
    }
    blob = json.dumps(spec, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def image_tag() -> str:
    """The versioned tag the current recipe builds, e.g. ``llmos-sandbox:3f2a9c01b7de``."""
    return f"{REPOSITORY}:{recipe_hash()}"
