"""The embedder's two backends give the same vectors; the ONNX export is cached; bad models fail clearly."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from bot.embedding import Embedder, resolve_model
from bot.errors import ModelError
from ingest.chunking import chunk_article, embedding_text
from ingest.corpus import load_corpus
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def texts() -> list[str]:
    articles = load_corpus(CORPUS).articles[:4]
    chunks = [embedding_text(c) for a in articles for c in chunk_article(a, 1400, 240)]
    return chunks + ["ice or heat?", "how long before I can run again after my back went?", "x"]


def test_onnx_and_torch_backends_agree(tmp_path, texts):
    onnx = Embedder(backend="onnx", cache_dir=tmp_path)
    torch = Embedder(backend="torch")
    assert onnx.backend == "onnx" and torch.backend == "torch"
    a, b = onnx.encode(texts), torch.encode(texts)
    assert a.shape == b.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) > 0.9999
    assert float(onnx.encode_query("ice or heat?") @ torch.encode_query("ice or heat?")) > 0.9999
    assert onnx.known_words() == torch.known_words() and "stocks" in onnx.known_words()


def test_onnx_export_is_cached_and_reused(tmp_path):
    Embedder(backend="onnx", cache_dir=tmp_path)
    exported = list(tmp_path.glob("minilm-*.onnx"))
    assert len(exported) == 1
    stamp = exported[0].stat().st_mtime_ns
    again = Embedder(backend="onnx", cache_dir=tmp_path)
    assert again.backend == "onnx" and exported[0].stat().st_mtime_ns == stamp


def test_corrupt_weights_fail_clearly_with_either_backend(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(resolve_model("bundled"), model)
    (model / "model.safetensors").write_bytes(b"not a safetensors file" * 100)
    for backend in ("onnx", "torch"):
        with pytest.raises(ModelError, match="cannot load embedding model"):
            Embedder(str(model), backend=backend, cache_dir=tmp_path / "cache")


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ModelError, match="onnx' or 'torch"):
        Embedder(backend="tensorrt")
