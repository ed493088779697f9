"""Layer 4: embedding backstop. Nearest-exemplar match that may raise a level, never lower it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.embedding import Embedder

_CACHE: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}


def _encode_cached(embedder: Embedder, texts: tuple[str, ...], cache_dir: Path | None) -> np.ndarray:
    """Exemplar embeddings, memoised per model for the process and on disk across processes."""
    key = (getattr(embedder, "identity", str(id(embedder))), texts)
    if key not in _CACHE:
        _CACHE[key] = embedder.encode_cached(list(texts), cache_dir)
    return _CACHE[key]


@dataclass(frozen=True)
class CaseBank:
    """Labelled messages (bot/triage/data/case_bank.yaml) and the bar a match must clear."""

    red: list[tuple[str, str]]  # (category, text)
    benign: list[str]
    threshold: float
    margin: float


@dataclass(frozen=True)
class BackstopHit:
    category: str
    score: float
    exemplar: str


class Backstop:
    """Cosine similarity of a message to red-flag exemplars versus benign anchors.

    Fires only when the nearest red-flag exemplar is at least `threshold` similar AND beats the
    nearest benign anchor by `margin`: sentence embeddings blur negation and topic, so the benign
    anchors (ordinary running back-pain questions) keep false alarms down.
    """

    def __init__(self, embedder: Embedder, exemplars: list[tuple[str, str]], benign: list[str],
                 threshold: float, margin: float,
                 category_thresholds: dict[str, float] | None = None, cache_dir: Path | None = None,
                 bank: CaseBank | None = None) -> None:
        self.threshold = threshold
        self.margin = margin
        self.category_thresholds = dict(category_thresholds or {})
        self._categories = [c for c, _ in exemplars]
        self._texts = [t for _, t in exemplars]
        vectors = _encode_cached(embedder, tuple(self._texts) + tuple(benign), cache_dir)
        self._red = np.ascontiguousarray(vectors[: len(self._texts)])
        self._benign = np.ascontiguousarray(vectors[len(self._texts):])
        self.bank = bank
        if bank is not None:
            texts = tuple(t for _, t in bank.red) + tuple(bank.benign)
            bank_vectors = _encode_cached(embedder, texts, cache_dir)
            self._bank_red = np.ascontiguousarray(bank_vectors[: len(bank.red)])
            # Every benign message we know of competes with a red-flag neighbour.
            self._bank_benign = np.ascontiguousarray(np.vstack([self._benign, bank_vectors[len(bank.red):]]))

    def scores(self, vector: np.ndarray) -> tuple[int, float, float]:
        """Index of the best red-flag exemplar, its similarity, and the best benign similarity."""
        return _nearest(self._red, self._benign, vector)

    def check(self, vector: np.ndarray, bank: bool = True) -> BackstopHit | None:
        """Exemplar match first; then, when `bank` is set, the labelled-case match."""
        best, red, benign = self.scores(vector)
        hit = self._decide(self._categories[best], self._texts[best], red, benign, self.threshold, self.margin)
        if hit is not None or not bank:
            return hit
        return self._check_bank(vector)

    def _check_bank(self, vector: np.ndarray) -> BackstopHit | None:
        """Nearest labelled case: a red-flag case clearly closer than every known benign message."""
        if self.bank is None or not len(self._bank_red):
            return None
        best, red, benign = _nearest(self._bank_red, self._bank_benign, vector)
        category, text = self.bank.red[best]
        return self._decide(category, text, red, benign, self.bank.threshold, self.bank.margin)

    def _decide(self, category: str, text: str, red: float, benign: float,
                threshold: float, margin: float) -> BackstopHit | None:
        """A hit when the red-flag match clears the (category's) threshold and beats benign by margin."""
        threshold = max(threshold, self.category_thresholds.get(category, 0.0))
        if red >= threshold and red - benign >= margin:
            return BackstopHit(category, red, text)
        return None


def _nearest(red: np.ndarray, benign: np.ndarray, vector: np.ndarray) -> tuple[int, float, float]:
    """Index and similarity of the nearest red-flag row, and the nearest benign row's similarity."""
    sims = red @ vector
    best = int(np.argmax(sims))
    return best, float(sims[best]), float(np.max(benign @ vector)) if len(benign) else -1.0
