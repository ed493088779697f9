"""Shared fixtures: the real bundled model, a real Chroma index in a temp dir, one Assistant per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SEEDS = Path(os.environ.get("BACKTRACK_SEEDS_DIR", REPO.parent / "shared" / "seeds"))


@pytest.fixture(scope="session")
def embedder():
    from bot.embedding import shared_embedder

    return shared_embedder()


@pytest.fixture(scope="session")
def triage(embedder):
    """The triage stage with the embedding backstop (real model)."""
    from bot.triage import Triage

    return Triage(embedder)


@pytest.fixture(scope="session")
def rules_only():
    """The triage stage without an embedder: lexicon and context rules only."""
    from bot.triage import Triage

    return Triage()


def assess(triage, *messages: str):
    """Triage a conversation (oldest message first) the way the assistant does."""
    vector = triage.embedder.encode_query(messages[-1]) if triage.embedder else None
    return triage.assess(list(messages), vector)


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory, embedder):
    """Settings pointing at a temp data dir holding a complete index of the bundled corpus."""
    from bot.settings import Settings
    from ingest.pipeline import ingest

    data = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data, corpus_dir=CORPUS)
    summary = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert not summary.problems, summary.problems
    return settings


@pytest.fixture(scope="session")
def assistant(index_settings, embedder):
    from bot.assistant import Assistant

    return Assistant(index_settings, embedder=embedder)


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A writable copy of three corpus articles."""
    target = tmp_path / "corpus"
    target.mkdir()
    for name in ("runners-lower-back-pain.md", "running-and-spinal-disc-study.md", "lower-back-pain-after-running.md"):
        shutil.copy(CORPUS / name, target / name)
    return target
