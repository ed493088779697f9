"""Hybrid retrieval: dense search in Chroma plus BM25 (and best-sentence cosine), fused by weighted score.

Weighted reciprocal rank fusion is kept as an option (`fusion="rrf"`); on the eval sets the score
fusion ranks better (see evals/README.md), so it is the default.

A fourth signal, when the corpus has them, is the closest of the hand-written questions each
paragraph answers (`bot/passage_questions.py`): lay questions match lay questions far better than
they match article prose.

Large indexes use `LazySentenceBank`: sentence embeddings are computed only for chunks that reach a
candidate pool, so start-up does not embed every sentence of every chunk.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from typing import Literal

import bm25s
import numpy as np
import yaml

from bot.answerers.extractive import Unit, chunk_units
from bot.embedding import Embedder
from bot.errors import IndexUnavailable
from bot.store import IndexSnapshot
from bot.text import normalise, tokens
from bot.types import Chunk, Passage

Mode = Literal["hybrid", "dense", "bm25"]
UNREACHABLE = "the article index is unreachable right now; try again shortly"


def chunk_search_text(chunk: Chunk) -> str:
    heading = f"{chunk.title}. {chunk.section}." if chunk.section else f"{chunk.title}."
    return f"{heading}\n{chunk.text}"


def load_synonyms() -> dict[str, list[str]]:
    """Lay word -> article words, for BM25 query expansion."""
    data = yaml.safe_load(resources.files("bot").joinpath("data/synonyms.yaml").read_text(encoding="utf-8"))
    return {normalise(k): [str(v) for v in vs] for k, vs in (data or {}).items()}


class LayTerms:
    """Runner slang -> plain words (data/lay_terms.yaml), substituted into a retrieval query."""

    def __init__(self, terms: Mapping[str, str] | None = None) -> None:
        if terms is None:
            text = resources.files("bot").joinpath("data/lay_terms.yaml").read_text(encoding="utf-8")
            terms = {str(k): str(v) for k, v in (yaml.safe_load(text) or {}).items()}
        self.terms = {normalise(k): v for k, v in terms.items()}
        # longest first, so "pulled a muscle" wins over any shorter entry inside it
        alternatives = sorted(self.terms, key=len, reverse=True)
        self._pattern = (re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, alternatives)) + r")(?![\w-])",
                                    re.IGNORECASE) if alternatives else None)

    def words(self) -> set[str]:
        """Every word of every slang phrase: vocabulary the speller must leave alone or correct to."""
        return {w for phrase in self.terms for w in re.findall(r"[a-z]+", phrase)}

    def plain(self, query: str) -> str:
        """The query with each slang phrase replaced by its plain wording."""
        if self._pattern is None:
            return query
        return self._pattern.sub(lambda m: self.terms.get(normalise(m.group(0)), m.group(0)), query)


def expand_query(query: str, synonyms: dict[str, list[str]]) -> str:
    """Append article words for lay words found in the query (whole words or phrases)."""
    low = normalise(query)
    extra = [" ".join(words) for lay, words in synonyms.items() if re.search(rf"\b{re.escape(lay)}\b", low)]
    return f"{query} {' '.join(extra)}" if extra else query


class Retriever:
    """Ranks the current index's chunks for a query. Cheap per call; build once per index snapshot."""

    # Defaults chosen with scripts/tune_retrieval.py on the eval sets (table in evals/README.md).
    def __init__(self, snapshot: IndexSnapshot, embedder: Embedder, *, rrf_k: int = 60,
                 dense_weight: float = 1.0, bm25_weight: float = 0.3, sentence_weight: float = 1.0,
                 candidates: int = 30, collapse_jaccard: float = 0.8, fusion: str = "score",
                 sentence_vectors: Mapping[str, np.ndarray] | None = None,
                 question_vectors: Mapping[str, np.ndarray] | None = None, question_weight: float = 2.0) -> None:
        self.snapshot = snapshot
        self.embedder = embedder
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.bm25_weight = bm25_weight
        self.candidates = candidates
        self.collapse_jaccard = collapse_jaccard
        self.sentence_weight = sentence_weight
        self.fusion = fusion
        # chunk id -> embeddings of its sentences: the best-matching sentence scores the chunk,
        # which catches a question aimed at one sentence of a long passage.
        self.sentence_vectors = sentence_vectors or {}
        self.chunks = snapshot.chunks
        self.by_id = {c.id: i for i, c in enumerate(self.chunks)}
        # chunk id -> embeddings of the questions its paragraphs answer, stacked into one matrix
        # with the owning chunk's position per row, so one product scores every question
        self.question_weight = question_weight
        owned = [(self.by_id[cid], v) for cid, v in (question_vectors or {}).items() if cid in self.by_id and len(v)]
        self._question_rows = np.concatenate([v for _, v in owned]) if owned else None
        self._question_owner = np.concatenate([np.full(len(v), i) for i, v in owned]) if owned else None
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
        try:
            got = self.snapshot.collection.query(query_embeddings=[query_vector.tolist()], n_results=n,
                                                 include=["distances"])
        except Exception as exc:  # server down, files gone or corrupt: one clear, retryable error
            raise IndexUnavailable(UNREACHABLE) from exc
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
        sentence_score: dict[int, float] = {}
        question_score: dict[int, float] = {}
        if mode == "dense":
            ranked = [(i, s) for i, s in dense]
        elif mode == "bm25":
            ranked = [(i, s) for i, s in sparse]
        else:
            fused: dict[int, float] = {}
            question_score = self.question_scores(query_vector)
            if self.fusion == "score":
                ranked, sentence_score = self._score_fusion(dense, sparse, query_vector, question_score, pool)
                lists = []
            else:
                lists = [(self.dense_weight, dense), (self.bm25_weight, sparse)]
                if question_score and self.question_weight:
                    lists.append((self.question_weight, _top(question_score, pool)))
            if self.sentence_vectors and self.sentence_weight and self.fusion != "score":
                lists.append((self.sentence_weight, self.sentence_rank({i for i, _ in dense} | {i for i, _ in sparse},
                                                                       query_vector)))
            for weight, ranking in lists:
                for rank, (i, _) in enumerate(ranking):
                    fused[i] = fused.get(i, 0.0) + weight / (self.rrf_k + rank + 1)
            if lists:
                ranked = sorted(fused.items(), key=lambda item: -item[1])
        passages: list[Passage] = []
        for i, score in self._collapse(ranked):
            passages.append(Passage(self.chunks[i], score, dense_score.get(i), bm25_score.get(i),
                                    sentence_score.get(i), question_score.get(i)))
            if len(passages) == k:
                break
        return passages

    def _score_fusion(self, dense, sparse, query_vector, questions: dict[int, float],
                      n: int) -> tuple[list[tuple[int, float]], dict[int, float]]:
        """Weighted sum of chunk cosine, best-sentence cosine, max-normalised BM25 and closest-question
        cosine over the pool (the top chunks of each signal)."""
        dense_score = dict(dense)
        pool = set(dense_score) | {i for i, _ in sparse}
        if self.question_weight:
            pool |= {i for i, _ in _top(questions, n)}
        top_bm25 = max((s for _, s in sparse), default=0.0) or 1.0
        bm25 = {i: s / top_bm25 for i, s in sparse}
        sentence = dict(self.sentence_rank(pool, query_vector)) if self.sentence_vectors else {}
        floor = min(dense_score.values(), default=0.0)
        scored = []
        for i in pool:
            value = (self.dense_weight * dense_score.get(i, floor) + self.sentence_weight * sentence.get(i, 0.0)
                     + self.bm25_weight * bm25.get(i, 0.0))
            if questions and self.question_weight:
                # a chunk without questions (a paragraph added since they were written) stands in with
                # its best sentence, so it is not pushed below every chunk that has some
                value += self.question_weight * questions.get(i, sentence.get(i, 0.0))
            scored.append((i, value))
        return sorted(scored, key=lambda item: -item[1]), sentence

    def question_scores(self, query_vector: np.ndarray) -> dict[int, float]:
        """Chunk position -> cosine of its closest hand-written question (chunks that have questions)."""
        if self._question_rows is None or query_vector is None:
            return {}
        best = np.full(len(self.chunks), -np.inf, dtype=np.float32)
        np.maximum.at(best, self._question_owner, self._question_rows @ query_vector)
        return {int(i): float(best[i]) for i in np.flatnonzero(np.isfinite(best))}

    def sentence_rank(self, pool: set[int], query_vector: np.ndarray) -> list[tuple[int, float]]:
        """Candidates ranked by their best sentence's cosine with the query."""
        prepare = getattr(self.sentence_vectors, "prepare", None)
        if prepare is not None:  # a lazy bank embeds the pool's sentences it has not seen yet
            prepare(self.chunks[i].id for i in pool)
        scored = []
        for i in pool:
            vectors = self.sentence_vectors.get(self.chunks[i].id)
            if vectors is not None and len(vectors):
                scored.append((i, float((vectors @ query_vector).max())))
        return sorted(scored, key=lambda item: -item[1])

    def _collapse(self, ranked: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
        """Drop a passage whose words nearly all repeat a higher-ranked one (overlaps, reposts)."""
        kept: list[tuple[int, float]] = []
        for i, score in ranked:
            words = self._tokens[i]
            if any(_jaccard(words, self._tokens[j]) >= self.collapse_jaccard for j, _ in kept):
                continue
            kept.append((i, score))
        return kept


def _top(scores: Mapping[int, float], n: int) -> list[tuple[int, float]]:
    return sorted(scores.items(), key=lambda item: -item[1])[:n]


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


class LazySentenceBank:
    """SentenceBank's interface (`units`, `by_chunk`, `vectors`, `chunk_vectors()`), filled on demand.

    Units are split and embedded only for chunks that reach a candidate pool (`prepare`), in one batch
    per turn, and remembered; a unit text seen before (in any chunk or generation sharing `cache`) is
    not embedded again. Memory grows with the chunks actually touched, about 1.6 KB per sentence.
    """

    def __init__(self, chunks: Sequence[Chunk], embedder: Embedder,
                 cache: dict[str, np.ndarray] | None = None) -> None:
        self.embedder = embedder
        self.units: list[Unit] = []
        self.by_chunk: dict[str, list[int]] = {}
        self.cache = {} if cache is None else cache
        self._chunks = {c.id: c for c in chunks}
        self.chunks = self._chunks  # SentenceBank's interface
        self._rows = np.zeros((1024, embedder.dimension), dtype=np.float32)
        self._n = 0
        self._lock = threading.Lock()

    @property
    def vectors(self) -> np.ndarray:
        return self._rows[: self._n]

    def prepare(self, chunk_ids: Iterable[str]) -> None:
        """Split and embed the units of the given chunks that are not in the bank yet."""
        wanted = [cid for cid in dict.fromkeys(chunk_ids) if cid not in self.by_chunk and cid in self._chunks]
        if not wanted:
            return
        with self._lock:
            units = {cid: chunk_units(self._chunks[cid]) for cid in wanted if cid not in self.by_chunk}
            texts = list(dict.fromkeys(u.display for us in units.values() for u in us if u.display not in self.cache))
            if texts:
                self.cache.update(zip(texts, self.embedder.encode(texts), strict=True))
            count = sum(len(us) for us in units.values())
            if self._n + count > len(self._rows):  # grow by doubling; readers keep their old view
                rows = np.zeros((max(2 * len(self._rows), self._n + count), self._rows.shape[1]), np.float32)
                rows[: self._n] = self._rows[: self._n]
                self._rows = rows
            placed: dict[str, list[int]] = {}
            for cid, us in units.items():
                for unit in us:
                    self._rows[self._n] = self.cache[unit.display]
                    placed.setdefault(cid, []).append(len(self.units))
                    self.units.append(unit)
                    self._n += 1
            for cid in units:  # published last, so a reader never sees an index before its row
                self.by_chunk[cid] = placed.get(cid, [])

    def chunk_vectors(self) -> _LazyChunkVectors:
        return _LazyChunkVectors(self)


class _LazyChunkVectors(Mapping):
    """Chunk id -> its unit vectors, for the chunks prepared so far; `prepare` fills more."""

    def __init__(self, bank: LazySentenceBank) -> None:
        self.bank = bank
        self.prepare = bank.prepare

    def __getitem__(self, chunk_id: str) -> np.ndarray:
        return self.bank.vectors[self.bank.by_chunk[chunk_id]]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.bank.by_chunk))

    def __len__(self) -> int:
        return len(self.bank._chunks)  # every chunk can be served, so the mapping is never empty
