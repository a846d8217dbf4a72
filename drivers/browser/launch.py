"""Find Debian's Chromium and launch one headless browser through Playwright."""
from __future__ import annotations

import os
import shutil
from typing import Any

from ..errors import DriverError

# Headless Chromium as root needs --no-sandbox; the rest stop it from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--no-pings",
    "--dns-prefetch-disable",
    # One --disable-features wins over Playwright's own, so this list repeats what it disables too
    # (PreconnectToSearch among them: without it Chromium preconnects to www.google.com).
    ("--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,Translate,NetworkPrediction,"
     "InterestFeedContentSuggestions,PreconnectToSearch,NetworkTimeServiceQuerying,LensOverlay,AimEnabled,"
     "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,DestroyProfileOnBrowserClose,PaintHolding,"
     "AvoidUnnecessaryBeforeUnloadCheckSync,ThirdPartyStoragePartitioning,AvoidCorsURLLoaderRestartOnRedirect"),
]
CANDIDATES = ["/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser"]
HINT = "run scripts/setup-chromium.sh (as root: apt-get install -y chromium) or set LLMOS_CHROMIUM"


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium executable to use: ``explicit``, ``$LLMOS_CHROMIUM``, Debian's paths, PATH."""
    if explicit:  # asked for this one: no silent fallback to another
        return explicit if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None
    for path in (os.environ.get("LLMOS_CHROMIUM"), *CANDIDATES):
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


async def launch(executable: str | None = None, headless: bool = True) -> tuple[Any, Any]:
    """Start Playwright and one Chromium; returns ``(playwright, browser)``.
    Every way this can fail becomes ``DriverError(code="unavailable")``."""
    path = find_chromium(executable)
    if path is None:
        raise DriverError(f"browser unavailable: no Chromium executable found; {HINT}", code="unavailable")
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a hard dependency
        raise DriverError(f"browser unavailable: playwright is not installed ({exc})", code="unavailable") from exc
    pw = None
    try:
        pw = await async_playwright().start()
        browser = await pw.chromium.launch(executable_path=path, headless=headless, args=CHROMIUM_ARGS, timeout=60_000)
    except Exception as exc:
        if pw is not None:
            try:
                await pw.stop()
            except Exception:  # noqa: BLE001, S110
                pass
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DriverError(f"browser unavailable: could not start {path}: {first}; {HINT}", code="unavailable") from exc
    return pw, browser
