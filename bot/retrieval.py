"""Hybrid retrieval: dense search in Chroma plus BM25, fused with weighted reciprocal rank fusion."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from typing import Literal

import bm25s
import numpy as np
import yaml

from bot.embedding import Embedder
from bot.store import IndexSnapshot
from bot.text import normalise, tokens
from bot.types import Chunk, Passage

Mode = Literal["hybrid", "dense", "bm25"]


def chunk_search_text(chunk: Chunk) -> str:
    heading = f"{chunk.title}. {chunk.section}." if chunk.section else f"{chunk.title}."
    return f"{heading}\n{chunk.text}"


def load_synonyms() -> dict[str, list[str]]:
    """Lay word -> article words, for BM25 query expansion."""
    data = yaml.safe_load(resources.files("bot").joinpath("data/synonyms.yaml").read_text(encoding="utf-8"))
    return {normalise(k): [str(v) for v in vs] for k, vs in (data or {}).items()}


def expand_query(query: str, synonyms: dict[str, list[str]]) -> str:
    """Append article words for lay words found in the query (whole words or phrases)."""
    low = normalise(query)
    extra = [" ".join(words) for lay, words in synonyms.items() if re.search(rf"\b{re.escape(lay)}\b", low)]
    return f"{query} {' '.join(extra)}" if extra else query


class Retriever:
    """Ranks the current index's chunks for a query. Cheap per call; build once per index snapshot."""

    def __init__(self, snapshot: IndexSnapshot, embedder: Embedder, *, rrf_k: int = 60,
                 dense_weight: float = 1.0, bm25_weight: float = 1.0, candidates: int = 30,
                 collapse_jaccard: float = 0.8) -> None:
        self.snapshot = snapshot
        self.embedder = embedder
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.bm25_weight = bm25_weight
        self.candidates = candidates
        self.collapse_jaccard = collapse_jaccard
        self.chunks = snapshot.chunks
        self.by_id = {c.id: i for i, c in enumerate(self.chunks)}
        self._tokens = [set(tokens(c.text)) for c in self.chunks]
        corpus_tokens = [tokens(chunk_search_text(c)) or ["_empty_"] for c in self.chunks]
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        self._bm25.index(corpus_tokens, show_progress=False)
        self._vocab = set(self._bm25.vocab_dict) if hasattr(self._bm25, "vocab_dict") else None
        self.synonyms = load_synonyms()

    def dense(self, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        n = min(n, len(self.chunks))
        if n == 0:
            return []
        got = self.snapshot.collection.query(query_embeddings=[query_vector.tolist()], n_results=n,
                                             include=["distances"])
        return [(self.by_id[cid], 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0], strict=True)
                if cid in self.by_id]

    def bm25(self, query: str, n: int) -> list[tuple[int, float]]:
        q = [t for t in tokens(expand_query(query, self.synonyms)) if self._vocab is None or t in self._vocab]
        n = min(n, len(self.chunks))
        if not q or n == 0:
            return []
        docs, scores = self._bm25.retrieve([q], k=n, show_progress=False, n_threads=1)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def search(self, query: str, k: int = 10, mode: Mode = "hybrid",
               query_vector: np.ndarray | None = None) -> list[Passage]:
        if mode != "bm25" and query_vector is None:
            query_vector = self.embedder.encode_query(query)
        pool = max(self.candidates, k)
        dense = self.dense(query_vector, pool) if mode != "bm25" else []
        sparse = self.bm25(query, pool) if mode != "dense" else []
        dense_score = dict(dense)
        bm25_score = dict(sparse)
        if mode == "dense":
            ranked = [(i, s) for i, s in dense]
        elif mode == "bm25":
            ranked = [(i, s) for i, s in sparse]
        else:
            fused: dict[int, float] = {}
            for weight, ranking in ((self.dense_weight, dense), (self.bm25_weight, sparse)):
                for rank, (i, _) in enumerate(ranking):
                    fused[i] = fused.get(i, 0.0) + weight / (self.rrf_k + rank + 1)
            ranked = sorted(fused.items(), key=lambda item: -item[1])
        passages: list[Passage] = []
        for i, score in self._collapse(ranked):
            passages.append(Passage(self.chunks[i], score, dense_score.get(i), bm25_score.get(i)))
            if len(passages) == k:
                break
        return passages

    def _collapse(self, ranked: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
        """Drop a passage whose words nearly all repeat a higher-ranked one (overlaps, reposts)."""
        kept: list[tuple[int, float]] = []
        for i, score in ranked:
            words = self._tokens[i]
            if any(_jaccard(words, self._tokens[j]) >= self.collapse_jaccard for j, _ in kept):
                continue
            kept.append((i, score))
        return kept


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
