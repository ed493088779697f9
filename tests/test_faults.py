"""Faults: a missing or corrupt embedding model, an embedded Chroma store deleted or corrupted while serving,
and an LLM backend that hangs."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from bot.embedding import Embedder, resolve_model
from bot.errors import IndexNotReady, IndexUnavailable, ModelError
from bot.retrieval import UNREACHABLE
from bot.settings import Settings
from ingest.pipeline import ingest

RED_FLAG = "I have numbness in my groin and can't control my bladder"
QUESTION = "why does my lower back hurt after running"


def test_missing_model_directory(tmp_path):
    with pytest.raises(ModelError, match="embedding model directory not found") as caught:
        Embedder(model=str(tmp_path / "no-such-model"))
    assert str(tmp_path / "no-such-model") in str(caught.value)


def test_corrupt_model_weights(tmp_path):
    bundled = Path(resolve_model("bundled"))
    broken = tmp_path / "broken-model"
    shutil.copytree(bundled, broken, symlinks=True, ignore=shutil.ignore_patterns("*.safetensors", "*.bin", "onnx"))
    (broken / "model.safetensors").write_bytes(b"this is not a safetensors file" * 10)
    with pytest.raises(ModelError, match="cannot load embedding model") as caught:
        Embedder(model=str(broken))
    assert str(broken) in str(caught.value)


@pytest.fixture
def serving(tmp_path, small_corpus, embedder):
    from bot.assistant import Assistant

    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assistant = Assistant(settings, embedder=embedder, refresh_seconds=0, retry_seconds=0.05)
    first = assistant.ask(QUESTION)
    assert first.route == "answer" and first.citations
    return settings, assistant, first


def _assert_degraded(assistant) -> None:
    card = assistant.ask(RED_FLAG)
    assert card.route == "triage" and "bladder" in card.text.lower() or card.triage.escalated
    with pytest.raises(IndexNotReady) as caught:
        assistant.ask(QUESTION)
    assert isinstance(caught.value, IndexUnavailable) and str(caught.value) == UNREACHABLE


def _assert_recovers(settings, assistant, first, embedder) -> None:
    summary = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert summary.generation == 1 and not summary.problems
    time.sleep(0.5)  # past the reconnect back-off
    again = assistant.ask(QUESTION)
    assert again.route == "answer" and again.text == first.text


@pytest.mark.slow
def test_store_deleted_while_serving(serving, embedder):
    settings, assistant, first = serving
    shutil.rmtree(settings.index_path / "chroma")
    _assert_degraded(assistant)
    _assert_recovers(settings, assistant, first, embedder)


@pytest.mark.slow
def test_store_corrupted_while_serving(serving, embedder):
    settings, assistant, first = serving
    database = settings.index_path / "chroma" / "chroma.sqlite3"
    with open(database, "r+b") as handle:  # same file, garbage contents: what a bad disk or copy leaves
        handle.write(b"not a database " * 4096)
    _assert_degraded(assistant)
    shutil.rmtree(settings.index_path / "chroma")  # the operator's fix: remove it and ingest again
    _assert_recovers(settings, assistant, first, embedder)


class HangingModel(BaseChatModel):
    """A chat model whose server accepted the request and never answers (within the test's patience)."""

    hang_seconds: float = 5.0

    @property
    def _llm_type(self) -> str:
        return "hanging-fake"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        time.sleep(self.hang_seconds)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="too late"))])


def test_hanging_llm_backend_falls_back_within_its_timeout(index_settings, embedder, monkeypatch):
    from bot.answerers import REGISTRY
    from bot.answerers.llm import NOTICE_TIMEOUT, LLMAnswerer
    from bot.assistant import Assistant

    monkeypatch.setitem(REGISTRY, "hanging", lambda context: LLMAnswerer(
        HangingModel(), context["fallback"], name="hanging", timeout=0.5, embedder=context["embedder"],
        bank=context["bank"]))
    assistant = Assistant(index_settings, embedder=embedder, answerer="hanging")
    started = time.perf_counter()
    reply = assistant.ask(QUESTION)
    assert time.perf_counter() - started < 3.0
    assert reply.route == "answer" and reply.answerer == "extractive" and reply.notice == NOTICE_TIMEOUT
    assert reply.citations
