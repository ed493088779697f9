"""Scale-out: a real `chroma run` server behind the Assistant; outage and recovery; consistent answers across
clients and processes; a running Assistant picking up a new index generation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from bot.errors import IndexNotReady, IndexUnavailable
from bot.retrieval import UNREACHABLE
from bot.settings import Settings
from ingest.pipeline import ingest
from tests.conftest import CORPUS, REPO
from tests.loopback import ChromaServer, free_port

pytestmark = pytest.mark.slow

QUESTIONS = ["why does my lower back hurt after running", "is running bad for spinal discs",
             "what exercises strengthen the core for runners"]
RED_FLAG = "I have numbness in my groin and can't control my bladder"
NEW_ARTICLE = """---
id: kettlebell-carry-ladder
title: The Kettlebell Carry Ladder for Runners
seed: test-only.txt
---

The kettlebell carry ladder is a loaded walking drill: runners carry a kettlebell in one hand for
forty metres, rest, and switch hands, adding one lap each week. Suitcase carries train the side
trunk muscles that keep the pelvis level during the single-leg stance of running.

Start the kettlebell carry ladder with a light weight and keep the ribs stacked over the pelvis.
"""


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    root = tmp_path_factory.mktemp("chroma")
    server = ChromaServer(root / "db", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server_settings(chroma, tmp_path_factory, embedder) -> Settings:
    settings = Settings(chroma_url=chroma.url, data_dir=tmp_path_factory.mktemp("server-data"), corpus_dir=CORPUS)
    summary = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert not summary.problems and summary.generation == 1
    return settings


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_server_outage_and_recovery(chroma, server_settings, embedder):
    from bot.assistant import Assistant

    assistant = Assistant(server_settings, embedder=embedder, refresh_seconds=0, retry_seconds=0.1)
    before = assistant.ask(QUESTIONS[0])
    assert before.route == "answer" and before.citations

    chroma.stop()
    try:
        card = assistant.ask(RED_FLAG)  # triage needs no index: the card still comes, with its quotes
        assert card.route == "triage" and card.citations
        for _ in range(2):  # the first failure, then the fast refusal during back-off
            with pytest.raises(IndexNotReady) as caught:
                assistant.ask(QUESTIONS[1])
            assert isinstance(caught.value, IndexUnavailable) and str(caught.value) == UNREACHABLE
        assert assistant.index_status()["index"] == "unreachable"
    finally:
        chroma.start()

    time.sleep(RETRY_WAIT)
    after = assistant.ask(QUESTIONS[0])
    assert after.route == "answer" and after.text == before.text
    assert assistant.index_status()["index"] == "ok"


RETRY_WAIT = 1.0  # longer than the back-off after two failures with retry_seconds=0.1


def _answers(assistant) -> list[dict]:
    return [{"ids": [p.chunk.id for p in reply.passages], "text": reply.text}
            for reply in map(assistant.ask, QUESTIONS)]


def test_two_clients_and_a_second_process_agree(server_settings, embedder):
    from bot.assistant import Assistant

    first = Assistant(server_settings, embedder=embedder)
    second = Assistant(server_settings, embedder=embedder)
    assert first._client is not second._client
    expected = _answers(first)
    assert _answers(second) == expected

    script = ("import json\nfrom bot.assistant import Assistant\nfrom bot.settings import Settings\n"
              "a = Assistant(Settings.from_env())\n"
              f"qs = {QUESTIONS!r}\n"
              "print(json.dumps([{'ids': [p.chunk.id for p in r.passages], 'text': r.text} for r in map(a.ask, qs)]))")
    env = {**os.environ, "BACKTRACK_CHROMA_URL": server_settings.chroma_url,
           "BACKTRACK_DATA_DIR": str(server_settings.data_dir)}
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == expected


def test_running_assistant_picks_up_a_new_generation(chroma, small_corpus, tmp_path, embedder):
    from bot.assistant import Assistant

    settings = Settings(chroma_url=chroma.url, data_dir=tmp_path / "data", corpus_dir=small_corpus,
                        collection_prefix="pickup")
    ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assistant = Assistant(settings, embedder=embedder, refresh_seconds=0)
    assert assistant.snapshot.generation == 1
    question = "what is the kettlebell carry ladder"
    assert "kettlebell-carry-ladder" not in {p.chunk.article_id for p in assistant.ask(question).passages}

    (small_corpus / "kettlebell-carry-ladder.md").write_text(NEW_ARTICLE, encoding="utf-8")
    summary = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert summary.articles["added"] == 1 and summary.generation == 2

    assistant.ask(question)  # notices generation 2 and loads it in the background, answering from 1 meanwhile
    assert wait_for(lambda: assistant.snapshot.generation == 2, timeout=120)
    reply = assistant.ask(question)
    assert reply.route == "answer"
    assert reply.citations and reply.citations[0].article_id == "kettlebell-carry-ladder"

