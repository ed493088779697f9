"""The Chroma side of the index: client (embedded or server), the generation pointer, chunk records.

An index is one Chroma collection per generation plus a one-record pointer collection naming the
current generation. Ingest writes a complete new generation, then flips the pointer in a single
Chroma write, so a reader never sees a half-written index and an interrupted ingest leaves the
previous generation serving.

A long-running reader (the Assistant) polls `current_manifest()` to notice a new generation, and on a
store error reconnects with `connect(settings, fresh=True)`, which also drops Chroma's per-process
cache of an embedded store whose directory was deleted or replaced underneath it.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.errors import ConfigError, IndexNotReady, IndexUnavailable
from bot.settings import Settings
from bot.types import Chunk, Source

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

POINTER_ID = "current"
SNAPSHOT_PAGE = 5000  # records per Chroma get when loading a snapshot (bounded responses in server mode)


def embedded_path(settings: Settings) -> Path:
    return settings.index_path / "chroma"


def _forget_embedded(path: Path) -> None:
    """Drop Chroma's cached in-process system for an embedded store so the next client reopens the files."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    if system is not None:
        with contextlib.suppress(Exception):
            system.stop()


def connect(settings: Settings, *, fresh: bool = False) -> Any:
    """A Chroma client: HttpClient when BACKTRACK_CHROMA_URL is set, else PersistentClient on disk.

    Chroma shares one embedded store per path per process; `fresh=True` (used when reconnecting after
    an error) drops that shared store first, and so does a store whose database file has disappeared.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ConfigError(f"BACKTRACK_CHROMA_URL={settings.chroma_url!r} is not an http(s) URL")
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        path = embedded_path(settings)
        if fresh or not (path / "chroma.sqlite3").exists():
            _forget_embedded(path)
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except ConfigError:
        raise
    except Exception as exc:
        where = settings.chroma_url or str(settings.index_path / "chroma")
        raise IndexNotReady(f"cannot open the Chroma store at {where}: {exc}") from exc


def pointer_name(settings: Settings) -> str:
    return f"{settings.collection_prefix}-pointer"


def generation_name(settings: Settings, generation: int) -> str:
    return f"{settings.collection_prefix}-gen-{generation}"


def read_manifest(client: Any, settings: Settings) -> dict[str, Any] | None:
    """The manifest of the current complete generation, or None when there is none yet."""
    try:
        pointer = client.get_collection(pointer_name(settings), embedding_function=None)
    except Exception:
        return None
    got = pointer.get(ids=[POINTER_ID], include=["documents"])
    if not got["ids"]:
        return None
    return json.loads(got["documents"][0])


def current_manifest(client: Any, settings: Settings) -> dict[str, Any]:
    """The pointer's manifest, cheaply (one record); IndexUnavailable when the store cannot be read."""
    if not settings.chroma_url and not (embedded_path(settings) / "chroma.sqlite3").exists():
        raise IndexUnavailable(f"the embedded Chroma store {embedded_path(settings)} has disappeared")
    try:
        client.heartbeat()
        manifest = read_manifest(client, settings)
    except Exception as exc:
        raise IndexUnavailable(f"cannot read the index pointer: {type(exc).__name__}: {exc}") from exc
    if manifest is None:
        raise IndexUnavailable("the index pointer is missing: run `python -m ingest`")
    return manifest


def write_manifest(client: Any, settings: Settings, manifest: dict[str, Any]) -> None:
    """Flip the pointer to a new generation: one upsert, atomic in Chroma's SQLite log."""
    pointer = client.get_or_create_collection(pointer_name(settings), embedding_function=None)
    pointer.upsert(ids=[POINTER_ID], documents=[json.dumps(manifest)], embeddings=[[1.0]])


def chunk_metadata(chunk: Chunk, article_hash: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "article_id": chunk.article_id,
        "title": chunk.title,
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "article_hash": article_hash,
    }
    if chunk.author:
        meta["author"] = chunk.author
    if chunk.publisher:
        meta["publisher"] = chunk.publisher
    if chunk.also_in:
        meta["also_in"] = json.dumps([s.__dict__ for s in chunk.also_in])
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    also = tuple(Source(**s) for s in json.loads(meta["also_in"])) if meta.get("also_in") else ()
    return Chunk(
        id=chunk_id,
        article_id=meta["article_id"],
        title=meta["title"],
        section=meta.get("section", ""),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        author=meta.get("author"),
        publisher=meta.get("publisher"),
        also_in=also,
    )


@dataclass
class IndexSnapshot:
    """The current generation as a reader sees it: its collection and every chunk, in a stable order."""

    manifest: dict[str, Any]
    collection: Any
    chunks: list[Chunk]

    @classmethod
    def open(cls, settings: Settings, client: Any | None = None) -> IndexSnapshot:
        client = client or connect(settings)
        try:
            manifest = read_manifest(client, settings)
        except Exception as exc:
            raise IndexNotReady(f"cannot read the index pointer: {exc}") from exc
        if manifest is None:
            raise IndexNotReady("no index has been built yet: run `python -m ingest`")
        try:
            collection = client.get_collection(manifest["collection"], embedding_function=None)
            chunks = []
            total = collection.count()
            for offset in range(0, total, SNAPSHOT_PAGE):
                got = collection.get(include=["documents", "metadatas"], limit=SNAPSHOT_PAGE, offset=offset)
                records = zip(got["ids"], got["documents"], got["metadatas"], strict=True)
                chunks.extend(chunk_from_record(i, d, m) for i, d, m in records)
        except Exception as exc:
            raise IndexNotReady(f"the index collection {manifest['collection']!r} is unreadable: {exc}") from exc
        chunks.sort(key=lambda c: (c.article_id, c.start, c.id))
        return cls(manifest=manifest, collection=collection, chunks=chunks)

    @property
    def generation(self) -> int:
        return int(self.manifest.get("generation", 0))
