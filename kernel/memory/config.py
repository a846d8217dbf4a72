"""The memory manager's settings: eviction policy, page-fault recall, and the person's name."""
from __future__ import annotations

from typing import Annotated

import msgspec


class MemoryConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``KernelConfig.memory``.

    ``recall_k`` and ``recall_threshold`` (cosine similarity) shape the page fault the
    kernel takes before each step of a process that runs from its context; the recall
    page gets at most ``recall_share`` of the context.  ``reply_reserve`` is what a
    context leaves free for the model's reply when the app names no step size.
    ``user`` is whose ``user:<name>`` collection processes see ("" = ``$LLMOS_USER``,
    else the login name).  ``store`` is where the vector store lives: "" for ``<home>/vectors``,
    a folder (relative to the home), or a Chroma server's ``http(s)://host:port[/database]``
    (docs/memory.md, "Chroma as a server"); ``store_timeout`` bounds each request to a server."""

    policy: str = "oldest"  # oldest | scored
    recall_k: Annotated[int, msgspec.Meta(ge=0, le=20)] = 3
    recall_threshold: Annotated[float, msgspec.Meta(ge=-1.0, le=1.0)] = 0.3
    recall_share: Annotated[float, msgspec.Meta(gt=0.0, le=0.5)] = 0.25
    reply_reserve: Annotated[int, msgspec.Meta(ge=16)] = 256
    user: str = ""
    preload: bool = True  # open the store in a worker thread at boot, so the first step does not wait
    store: str = ""
    store_timeout: Annotated[float, msgspec.Meta(gt=0.0, le=300.0)] = 10.0

    def __post_init__(self) -> None:
        from drivers.errors import DriverError
        from drivers.vectors.location import ServerAddress, is_server
        if is_server(self.store):
            try:
                ServerAddress.parse(self.store)
            except DriverError as exc:
                raise ValueError(str(exc)) from None
