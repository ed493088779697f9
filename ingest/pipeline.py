"""Incremental, idempotent, crash-safe ingest of the corpus into Chroma.

Each run computes the chunks of every valid article (cheap), reuses stored embeddings for chunk ids
that already exist, embeds only the rest, and writes a complete new generation before flipping the
pointer. Nothing changed means nothing is embedded and the model is never loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bot.embedding import BUNDLED, Embedder
from bot.errors import CorpusError
from bot.settings import Settings
from bot.store import (
    chunk_from_record,
    chunk_metadata,
    connect,
    generation_name,
    read_manifest,
    write_manifest,
)
from bot.text import normalise
from bot.types import Chunk, Source
from ingest.chunking import CHUNKER_VERSION, chunk_article, embedding_text
from ingest.corpus import load_corpus

NEAR_DUPLICATE = 0.97
MANIFEST_VERSION = 1


@dataclass
class IngestSummary:
    articles: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("added", "updated", "removed", "unchanged"), 0))
    chunks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("added", "removed", "unchanged"), 0))
    embedded: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (kept chunk id, merged chunk id)
    problems: list[CorpusError] = field(default_factory=list)
    generation: int = 0
    seconds: float = 0.0
    changed: bool = True

    def line(self) -> str:
        a, c = self.articles, self.chunks
        state = "" if self.changed else "nothing changed; "
        return (
            f"ingest: {state}articles {a['added']} added, {a['updated']} updated, {a['removed']} removed, "
            f"{a['unchanged']} unchanged; chunks {c['added']} added, {c['removed']} removed, "
            f"{c['unchanged']} unchanged; {self.embedded} embedded, {len(self.duplicates)} near-duplicates merged; "
            f"{len(self.problems)} file(s) failed; {self.seconds:.2f} s"
        )


def model_identity(model: str) -> str:
    return "bundled:all-MiniLM-L6-v2" if model == BUNDLED else model


@contextlib.contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time per index directory."""
    settings.index_path.mkdir(parents=True, exist_ok=True)
    with open(settings.index_path / "ingest.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def merge_near_duplicates(chunks: list[Chunk], vectors: np.ndarray, threshold: float = NEAR_DUPLICATE
                          ) -> tuple[list[Chunk], np.ndarray, list[tuple[str, str]]]:
    """Store passages repeated across articles once, naming every source in `also_in`.

    A chunk merges into the first earlier kept chunk of another article with the same normalised
    text or a cosine >= threshold. Candidate pairs come from blocked matrix products, so 50,000
    chunks cost a few large products instead of one Python loop per chunk.
    """
    articles = [c.article_id for c in chunks]
    neighbours: dict[int, list[int]] = {}
    block = 512
    for lo in range(0, len(chunks), block):
        hi = min(len(chunks), lo + block)
        rows, cols = np.nonzero(vectors[lo:hi] @ vectors[:hi].T >= threshold)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i = lo + r
            if c < i and articles[c] != articles[i]:
                neighbours.setdefault(i, []).append(c)
    keep: dict[int, Chunk] = {}
    merged_into: dict[int, int] = {}
    by_text: dict[str, int] = {}
    for i, chunk in enumerate(chunks):
        key = normalise(chunk.text)
        target = by_text.get(key)
        if target is not None and articles[target] == chunk.article_id:
            target = None
        if target is None:
            target = next((j for j in sorted(neighbours.get(i, ())) if j in keep), None)
        if target is None:
            keep[i] = chunk
            by_text.setdefault(key, i)
        else:
            base = keep[target]
            source = Source(chunk.article_id, chunk.title, chunk.author, chunk.publisher)
            if source not in base.sources:
                keep[target] = replace(base, also_in=(*base.also_in, source))
            merged_into[i] = target
    order = sorted(keep)
    pairs = [(chunks[t].id, chunks[i].id) for i, t in merged_into.items()]
    return [keep[i] for i in order], vectors[order] if len(order) else vectors[:0], pairs


def ingest(
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder_factory: Callable[[], Embedder] | None = None,
    progress: bool | None = None,
    client: Any | None = None,
    log: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Bring the index in line with the corpus; `log` receives one line per stage."""
    started = time.perf_counter()
    log = log or (lambda _message: None)
    summary = IngestSummary()
    load = load_corpus(settings.corpus_dir)
    summary.problems = load.problems
    client = client or connect(settings)
    with ingest_lock(settings):
        manifest = read_manifest(client, settings)
        config = {"version": MANIFEST_VERSION, "chunker": CHUNKER_VERSION, "model": model_identity(settings.model),
                  "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap}
        compatible = bool(manifest) and not rebuild and manifest.get("config") == config
        old_hashes: dict[str, str] = manifest.get("articles", {}) if compatible else {}
        old_col = _collection(client, manifest["collection"]) if manifest and not rebuild else None
        if compatible and old_col is None:
            old_hashes = {}

        hashes = {a.id: a.digest for a in load.articles}
        # A previously indexed article whose file is now broken keeps its old chunks: lose nothing.
        carried = {fid: old_hashes[fid] for fid in load.failed_ids if fid in old_hashes and fid not in hashes}
        new_hashes = {**hashes, **carried}

        if compatible and old_col is not None and new_hashes == old_hashes:
            summary.changed = False
            summary.articles["unchanged"] = len(new_hashes)
            summary.chunks["unchanged"] = int(manifest.get("chunks", 0))
            summary.generation = int(manifest["generation"])
            _drop_stale_generations(client, settings, keep={manifest["collection"]})
            summary.seconds = time.perf_counter() - started
            return summary

        for aid, digest in new_hashes.items():
            if aid not in old_hashes:
                summary.articles["added"] += 1
            elif old_hashes[aid] != digest:
                summary.articles["updated"] += 1
            else:
                summary.articles["unchanged"] += 1
        summary.articles["removed"] = len(set(old_hashes) - set(new_hashes))

        chunks = [c for a in load.articles for c in chunk_article(a, settings.chunk_size, settings.chunk_overlap)]
        vectors = np.zeros((len(chunks), 0), dtype=np.float32)
        stored: dict[str, np.ndarray] = {}
        old_ids: set[str] = set()
        if old_col is not None:
            old_ids = set(old_col.get(include=[])["ids"])
            wanted = [c.id for c in chunks if c.id in old_ids]
            for lo in range(0, len(wanted), 5000):
                got = old_col.get(ids=wanted[lo:lo + 5000], include=["embeddings"])
                stored.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
            if carried:
                got = old_col.get(where={"article_id": {"$in": sorted(carried)}},
                                  include=["embeddings", "documents", "metadatas"])
                records = zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True)
                for cid, doc, meta, vec in records:
                    chunks.append(chunk_from_record(cid, doc, meta))
                    stored[cid] = np.asarray(vec, dtype=np.float32)

        missing = [i for i, c in enumerate(chunks) if c.id not in stored]
        dim = None
        if missing:
            log(f"embedding {len(missing)} new chunk(s)")
            embedder = (embedder_factory or (lambda: Embedder(settings.model, backend=settings.embedding_backend,
                                                              cache_dir=settings.data_dir / "cache")))()
            show = sys.stderr.isatty() if progress is None else progress
            fresh = embedder.encode([embedding_text(chunks[i]) for i in missing], progress=show)
            for i, vec in zip(missing, fresh, strict=True):
                stored[chunks[i].id] = vec
            summary.embedded = len(missing)
        if chunks:
            dim = len(next(iter(stored.values())))
            vectors = np.stack([stored[c.id] for c in chunks])
        chunks, vectors, summary.duplicates = merge_near_duplicates(chunks, vectors)

        new_ids = {c.id for c in chunks}
        summary.chunks["added"] = len(new_ids - old_ids)
        summary.chunks["removed"] = len(old_ids - new_ids)
        summary.chunks["unchanged"] = len(new_ids & old_ids)

        generation = int(manifest["generation"]) + 1 if manifest else 1
        name = generation_name(settings, generation)
        keep = {manifest["collection"]} if manifest else set()
        _drop_stale_generations(client, settings, keep=keep)  # leftovers of interrupted runs
        log(f"writing generation {generation} ({len(chunks)} chunks)")
        collection = client.create_collection(name, configuration={"hnsw": {"space": "cosine"}},
                                              embedding_function=None,
                                              metadata={"generation": generation, "dimension": dim or 0})
        article_hash = {**new_hashes}
        batch = max(1, min(512, client.get_max_batch_size()))
        for lo in range(0, len(chunks), batch):
            part = chunks[lo:lo + batch]
            collection.add(
                ids=[c.id for c in part],
                embeddings=vectors[lo:lo + batch],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c, article_hash.get(c.article_id, "")) for c in part],
            )
        write_manifest(client, settings, {
            "generation": generation,
            "collection": name,
            "config": config,
            "articles": new_hashes,
            "chunks": len(chunks),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        })
        # The previous generation stays one more run so readers holding it are not cut off mid-query.
        _drop_stale_generations(client, settings, keep={name} | keep)
        summary.generation = generation
    summary.seconds = time.perf_counter() - started
    return summary


def _collection(client: Any, name: str) -> Any | None:
    try:
        return client.get_collection(name, embedding_function=None)
    except Exception:
        return None


def _drop_stale_generations(client: Any, settings: Settings, keep: set[str]) -> None:
    prefix = generation_name(settings, 0)[:-1]
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        if name.startswith(prefix) and name not in keep:
            client.delete_collection(name)
