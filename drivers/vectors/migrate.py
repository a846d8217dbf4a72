"""copy_store: every collection of one vector store into another, with the stored embeddings; run twice, copies nothing new."""
from __future__ import annotations

from typing import Callable, NamedTuple

from .protocol import Store


class Copied(NamedTuple):
    """What one collection's copy did: items read from the source, items written, items already there."""

    collection: str
    read: int
    copied: int
    present: int


def copy_store(src: Store, dst: Store, *, batch: int = 500,
               progress: Callable[[Copied], None] | None = None) -> list[Copied]:
    """Copy each collection of ``src`` into ``dst`` under the same logical name: documents, ids,
    metadata and the embeddings as stored (nothing is embedded again).  An id ``dst`` already holds
    is left as it is, so a second run copies nothing.  ``progress`` hears each collection after every
    batch it reads."""
    out = []
    for name in src.list_collections():
        done = Copied(name, 0, 0, 0)
        dst.collection(name)  # an empty collection is copied too
        for items, vecs in src.export(name, batch):
            have = {it.id for it in dst.get(name, ids=[it.id for it in items])}
            new = [(it, v) for it, v in zip(items, vecs) if it.id not in have]
            if new:
                dst.add(name, [it for it, _ in new], embeddings=[v for _, v in new])
            done = Copied(name, done.read + len(items), done.copied + len(new), done.present + len(items) - len(new))
            if progress is not None:
                progress(done)
        out.append(done)
    return out
