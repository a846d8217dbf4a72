"""The browser driver: Playwright driving Debian's Chromium, one isolated context per process."""
from .allowlist import Allowlist
from .driver import BrowserDriver
from .launch import CHROMIUM_ARGS, find_chromium
from .snapshot import Element, Snapshot

__all__ = ["CHROMIUM_ARGS", "Allowlist", "BrowserDriver", "Element", "Snapshot", "find_chromium"]
