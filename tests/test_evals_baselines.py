"""evals.baselines: the LangChain-tutorial baseline built for real (Chroma, bundled model)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.embedding import Embedder
from evals.baselines import (
    TUTORIAL_CHUNK_SIZE,
    LCEmbeddings,
    TutorialRetriever,
    build_tutorial_store,
    default_seeds_dir,
    load_seed_documents,
)

SEEDS = default_seeds_dir()
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seed files at {SEEDS}")


@pytest.fixture(scope="session")
def shared_embedder() -> Embedder:
    """The real bundled model, loaded once per test session."""
    from bot.embedding import shared_embedder as load

    return load()


def test_lc_embeddings_wraps_our_model(shared_embedder: Embedder) -> None:
    lc = LCEmbeddings(shared_embedder)
    docs = lc.embed_documents(["lower back pain", "hamstring stretch"])
    query = lc.embed_query("lower back pain")
    assert len(docs) == 2 and len(query) == shared_embedder.dimension
    assert all(isinstance(x, float) for x in query)
    assert math.isclose(sum(x * x for x in query), 1.0, rel_tol=1e-4)
    assert math.isclose(sum(a * b for a, b in zip(docs[0], query, strict=True)), 1.0, rel_tol=1e-4)


@needs_seeds
def test_tutorial_store_returns_four_passages(shared_embedder: Embedder, tmp_path: Path) -> None:
    store = build_tutorial_store(SEEDS, shared_embedder, tmp_path / "chroma")
    docs = store.similarity_search("exercises to strengthen the core for runners", k=4)
    assert len(docs) == 4
    assert all(0 < len(d.page_content) <= TUTORIAL_CHUNK_SIZE for d in docs)
    assert all(Path(d.metadata["source"]).parent == SEEDS for d in docs)
    hits = TutorialRetriever(store).search("exercises to strengthen the core for runners", k=10)
    assert [h.text for h in hits] == [d.page_content for d in docs]  # always the tutorial's k=4
    assert (tmp_path / "chroma").is_dir()


def test_missing_seeds_say_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="BACKTRACK_SEEDS_DIR"):
        load_seed_documents(tmp_path)
