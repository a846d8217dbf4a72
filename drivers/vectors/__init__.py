"""The vector store driver: chromadb on disk or a Chroma server, an offline embedding model, and an in-memory double.

``VectorStore`` and ``OfflineEmbedding`` import chromadb and onnxruntime, so they
load on first use; ``MemoryVectorStore`` and the value types stay light."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .location import ServerAddress, describe, is_server, open_store, store_path
from .memory_store import HashEmbedding, MemoryVectorStore
from .names import check_name, chroma_name
from .protocol import Store
from .types import Hit, Item, Scalar
from .where import matches, normalize_where

if TYPE_CHECKING:
    from .embedding import OfflineEmbedding
    from .http_store import HttpVectorStore
    from .store import VectorStore

__all__ = ["VectorStore", "HttpVectorStore", "OfflineEmbedding", "Store", "ServerAddress", "open_store", "store_path",
           "describe", "is_server", "MemoryVectorStore", "HashEmbedding", "Hit", "Item", "Scalar",
           "chroma_name", "check_name", "matches", "normalize_where"]


def __getattr__(name: str) -> Any:
    if name == "VectorStore":
        from .store import VectorStore
        return VectorStore
    if name == "HttpVectorStore":
        from .http_store import HttpVectorStore
        return HttpVectorStore
    if name == "OfflineEmbedding":
        from .embedding import OfflineEmbedding
        return OfflineEmbedding
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
