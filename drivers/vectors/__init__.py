"""The vector store driver: chromadb on disk with an offline embedding model, and an in-memory double.

``VectorStore`` and ``OfflineEmbedding`` import chromadb and onnxruntime, so they
load on first use; ``MemoryVectorStore`` and the value types stay light."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .memory_store import HashEmbedding, MemoryVectorStore
from .names import check_name, chroma_name
from .types import Hit, Item, Scalar
from .where import matches, normalize_where

if TYPE_CHECKING:
    from .embedding import OfflineEmbedding
    from .store import VectorStore

__all__ = ["VectorStore", "OfflineEmbedding", "MemoryVectorStore", "HashEmbedding", "Hit", "Item", "Scalar",
           "chroma_name", "check_name", "matches", "normalize_where"]


def __getattr__(name: str) -> Any:
    if name == "VectorStore":
        from .store import VectorStore
        return VectorStore
    if name == "OfflineEmbedding":
        from .embedding import OfflineEmbedding
        return OfflineEmbedding
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
