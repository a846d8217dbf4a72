"""llmos top: the live process viewer."""
from .app import TopApp, main
from .source import LiveSource, Snapshot, Source, SourceGone

__all__ = ["LiveSource", "Snapshot", "Source", "SourceGone", "TopApp", "main"]
