"""Retrieval baselines the product is measured against.

- "bm25" and "dense": the product's own retriever in a single mode, with the same retrieval query;
- "no_questions": the product's hybrid retrieval without the hand-written passage questions, so every
  run shows what that signal adds;
- "tutorial": the LangChain RAG tutorial default: `RecursiveCharacterTextSplitter(chunk_size=1000,
  chunk_overlap=200)` over the raw seed files, the same embedding model, Chroma, and
  `similarity_search(k=4)`.

`LCEmbeddings` and `build_tutorial_store` are public: the benchmarks reuse them.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from bot.embedding import Embedder
from bot.settings import REPO_ROOT

TUTORIAL_CHUNK_SIZE = 1000
TUTORIAL_CHUNK_OVERLAP = 200
TUTORIAL_K = 4
TUTORIAL_COLLECTION = "tutorial_baseline"


@dataclass(frozen=True)
class Hit:
    """One retrieved passage as the evals see it, whatever retriever produced it."""

    title: str
    text: str
    score: float | None = None


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int) -> list[Hit]: ...


def default_seeds_dir() -> Path:
    """BACKTRACK_SEEDS_DIR, else <repo>/../shared/seeds."""
    env = os.environ.get("BACKTRACK_SEEDS_DIR")
    return Path(env).expanduser() if env else REPO_ROOT.parent / "shared" / "seeds"


class LCEmbeddings(Embeddings):
    """Our Embedder behind LangChain's `Embeddings` interface (same model, same normalisation)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode_query(text).tolist()


def load_seed_documents(seeds_dir: Path) -> list[Document]:
    """Every *.txt / *.md file in `seeds_dir`, raw, one Document each (sorted by name)."""
    seeds_dir = Path(seeds_dir)
    paths = sorted(p for p in seeds_dir.iterdir() if p.is_file() and p.suffix in (".txt", ".md"))
    if not paths:
        raise FileNotFoundError(f"no .txt or .md seed files in {seeds_dir}; set BACKTRACK_SEEDS_DIR")
    docs = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        title = next((line.strip() for line in text.splitlines() if line.strip()), path.stem)
        docs.append(Document(page_content=text, metadata={"source": str(path), "title": title[:120]}))
    return docs


def build_tutorial_store(seeds_dir: Path, embedder: Embedder, persist_dir: Path) -> Any:
    """Split the raw seeds the tutorial way and index them in a persistent Chroma collection.

    Returns the `langchain_chroma.Chroma` store; query it with `similarity_search(q, k=4)`.
    """
    import chromadb.config
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=TUTORIAL_CHUNK_SIZE, chunk_overlap=TUTORIAL_CHUNK_OVERLAP, add_start_index=True
    )
    splits = splitter.split_documents(load_seed_documents(seeds_dir))
    Path(persist_dir).mkdir(parents=True, exist_ok=True)
    return Chroma.from_documents(
        documents=splits,
        embedding=LCEmbeddings(embedder),
        collection_name=TUTORIAL_COLLECTION,
        persist_directory=str(persist_dir),
        client_settings=chromadb.config.Settings(anonymized_telemetry=False, is_persistent=True),
        ids=[f"{Path(d.metadata['source']).stem}:{d.metadata['start_index']}" for d in splits],
    )


class TutorialRetriever:
    """The tutorial store as a Retriever; always returns the tutorial's k=4, whatever k is asked."""

    name = "tutorial"

    def __init__(self, store: Any, k: int = TUTORIAL_K) -> None:
        self.store = store
        self.k = k

    def search(self, query: str, k: int = TUTORIAL_K) -> list[Hit]:
        docs = self.store.similarity_search_with_score(query, k=self.k)
        return [Hit(d.metadata.get("title", ""), d.page_content, float(-dist)) for d, dist in docs]


class ModeRetriever:
    """The product's retriever restricted to one mode ("bm25" or "dense")."""

    def __init__(self, assistant: Any, mode: str) -> None:
        self.assistant = assistant
        self.mode = mode
        self.name = mode

    def search(self, query: str, k: int = 10) -> list[Hit]:
        kwargs: dict[str, Any] = {}
        if self.mode == "dense":
            kwargs["query_vector"] = self.assistant.embedder.encode_query(query)
        passages = self.assistant.retriever.search(query, k=k, mode=self.mode, **kwargs)
        return [Hit(p.chunk.title, p.chunk.text, p.score) for p in passages]


class NoQuestionsRetriever:
    """The product's hybrid retrieval with the passage-question signal switched off."""

    name = "no_questions"

    def __init__(self, assistant: Any) -> None:
        self.assistant = assistant

    def search(self, query: str, k: int = 10) -> list[Hit]:
        retriever = copy.copy(self.assistant.retriever)  # shares the indexes; only the weight differs
        retriever.question_weight = 0.0
        passages = retriever.search(query, k=k, query_vector=self.assistant.embedder.encode_query(query))
        return [Hit(p.chunk.title, p.chunk.text, p.score) for p in passages]


def make_baselines(
    assistant: Any,
    *,
    seeds_dir: Path | None,
    persist_dir: Path,
    warn: Callable[[str], None] = print,
) -> list[Retriever]:
    """BM25-only, dense-only, hybrid without passage questions and (when the seeds can be read) the
    tutorial baseline."""
    baselines: list[Retriever] = [
        ModeRetriever(assistant, "bm25"),
        ModeRetriever(assistant, "dense"),
        NoQuestionsRetriever(assistant),
    ]
    seeds = seeds_dir or default_seeds_dir()
    try:
        store = build_tutorial_store(seeds, assistant.embedder, persist_dir)
    except (OSError, FileNotFoundError) as exc:
        warn(f"tutorial baseline skipped: {exc}")
    else:
        baselines.append(TutorialRetriever(store))
    return baselines
