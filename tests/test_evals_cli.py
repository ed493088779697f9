"""`python -m evals run` end to end: a scripted fake assistant (fast) and the real one (slow)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.settings import Settings
from bot.types import Chunk, Citation, Passage, Reply, TriageMatch, TriageResult
from evals.__main__ import main

TEXTS = [
    "Most runners' back pain settles within a few weeks with relative rest.",
    "Core strengthening such as planks and bridges helps prevent recurrence.",
    "Numbness in the saddle area with bladder changes needs emergency care.",
]
CORPUS_MD = "---\nid: fake-article\ntitle: Fake article\nseed: 000_fake.txt\n---\n\n" + "\n\n".join(TEXTS)
CASES = [
    {
        "id": "rest",
        "question": "Will my back pain settle with rest?",
        "evidence": ["settles"],
        "triage": "none",
        "scope": "in",
    },
    {
        "id": "core",
        "question": "Do planks prevent it coming back?",
        "history": ["my back hurts"],
        "evidence": ["planks and bridges"],
        "scope": "in",
        "tags": ["prevention"],
        "owner": "PT",
    },
    {
        "id": "cauda",
        "question": "My saddle area is numb after a run",
        "triage": "emergency",
        "scope": "in",
    },
    {"id": "crypto", "question": "Should I buy bitcoin?", "scope": "out", "triage": "none"},
]


class FakeEmbedder:
    dimension = 3

    def encode_query(self, text: str) -> np.ndarray:
        return np.zeros(3, dtype=np.float32)


class FakeRetriever:
    """Ranks the three chunks by shared words; `mode` reverses the order for "bm25" to differ."""

    def __init__(self) -> None:
        self.chunks = [
            Chunk(f"c{i}", "fake-article", "Fake article", "Body", t, 0, len(t)) for i, t in enumerate(TEXTS)
        ]
        self.calls: list[tuple[str, str]] = []

    def search(self, query: str, k: int = 10, mode: str = "hybrid", query_vector: Any = None) -> list[Passage]:
        self.calls.append((query, mode))
        words = set(query.lower().split())
        scored = sorted(self.chunks, key=lambda c: -len(words & set(c.text.lower().split())))
        if mode == "bm25":
            scored.reverse()
        return [Passage(c, 1.0 / (i + 1)) for i, c in enumerate(scored[:k])]


class FakeAssistant:
    """Scripted stand-in for bot.assistant.Assistant, injected through `assistant_factory`."""

    def __init__(self, settings: Any = None, answerer: str | None = None) -> None:
        self.embedder = FakeEmbedder()
        self.retriever = FakeRetriever()
        self.asked: list[tuple[str, list[str] | None]] = []

    def retrieval_query(self, question: str, history: list[str] | None = None) -> str:
        return " ".join([*(history or []), question])

    def ask(self, question: str, history: list[str] | None = None) -> Reply:
        self.asked.append((question, history))
        timings = {"triage": 1.0, "retrieve": 5.0, "total": 8.0}
        if "numb" in question:
            triage = TriageResult(
                "emergency",
                (TriageMatch("cauda_equina", "emergency", "saddle area is numb", "lexicon"),),
            )
            return Reply("triage", "Call 911 now.", triage, timings=timings)
        if "bitcoin" in question:
            return Reply(
                "out_of_scope",
                "I only answer back-pain questions.",
                TriageResult("none"),
                timings=timings,
            )
        passages = self.retriever.search(self.retrieval_query(question, history))
        top = passages[0].chunk
        cite = Citation(1, top.article_id, top.title, top.section, top.text, chunk_id=top.id)
        return Reply(
            "answer",
            f"{top.text} [1]",
            TriageResult("none"),
            citations=[cite],
            passages=passages,
            timings=timings,
        )


@pytest.fixture
def set_file(tmp_path: Path) -> Path:
    path = tmp_path / "mini.jsonl"
    lines = [json.dumps(c) for c in CASES]
    lines.insert(2, '{"id": "broken", "question": ')  # line 3: reported and skipped
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "fake-article.md").write_text(CORPUS_MD, encoding="utf-8")
    return d


def _check_outputs(out: Path, n_cases: int) -> dict[str, Any]:
    for name in (
        "results.jsonl",
        "metrics.json",
        "report.md",
        "hit_at_k.png",
        "triage_confusion.png",
        "latency.png",
    ):
        assert (out / name).is_file(), name
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(results) == n_cases
    for r in results:
        assert {"id", "route", "triage", "answer", "citations", "retrieved", "latency_ms"} <= set(r)
    return json.loads((out / "metrics.json").read_text())


def test_run_with_fake_assistant(
    set_file: Path, corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    holder: list[FakeAssistant] = []

    def factory(settings: Any, answerer: str | None) -> FakeAssistant:
        holder.append(FakeAssistant(settings, answerer))
        return holder[0]

    code = main(
        [
            "run",
            str(set_file),
            "--out",
            str(out),
            "--seeds-dir",
            str(tmp_path / "none"),
            "--corpus-dir",
            str(corpus_dir),
            "--check",
            "--no-progress",
        ],
        assistant_factory=factory,
    )
    err = capsys.readouterr().err
    assert "mini.jsonl:3" in err  # the broken line, by number
    assert "tutorial baseline skipped" in err
    metrics = _check_outputs(out, n_cases=4)
    assert holder[0].asked[1] == ("Do planks prevent it coming back?", ["my back hurts"])
    assert ("my back hurts Do planks prevent it coming back?", "bm25") in holder[0].retriever.calls

    assert metrics["retrieval"]["cases"] == 2 and metrics["retrieval"]["hit@1"] == 1.0
    assert set(metrics["baselines"]) == {"bm25", "dense", "no_questions"}
    assert metrics["baselines"]["bm25"]["hit@1"] < 1.0  # the reversed ranking loses somewhere
    assert metrics["triage"]["emergency_recall"] == 1.0 and metrics["triage"]["false_alarms"] == 0
    assert metrics["answers"]["citation_validity"] == 1.0 and metrics["answers"]["quotes_checked"]
    assert metrics["scope"]["scope_accuracy"] == 1.0
    assert metrics["latency_ms"]["total"]["p50"] == 8.0
    assert metrics["skipped_lines"] and metrics["skipped_lines"][0].startswith(str(set_file))
    statuses = {t["metric"]: t["status"] for t in metrics["thresholds"]}
    assert statuses["triage.escalation_recall"] == "pass"
    assert code == 0, statuses

    report = (out / "report.md").read_text()
    for heading in ("## Thresholds", "## Retrieval", "## Triage", "## Answers", "## Latency"):
        assert heading in report
    assert "product margin over" in report


def test_check_fails_listing_each_failed_threshold(
    set_file: Path, corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text(
        '[min]\n"retrieval.hit@1" = 1.0\n"answers.sentence_support" = 1.01\n'
        '[max]\n"retrieval.mean_passage_chars" = 10\n"scope.nothing" = 1\n'
    )
    code = main(
        [
            "run",
            str(set_file),
            "--out",
            str(tmp_path / "o"),
            "--no-baselines",
            "--corpus-dir",
            str(corpus_dir),
            "--thresholds",
            str(strict),
            "--check",
        ],
        assistant_factory=FakeAssistant,
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "2 gate(s) failed" in err
    assert "FAIL gate answers.sentence_support" in err and "FAIL gate retrieval.mean_passage_chars" in err
    assert "FAIL gate retrieval.hit@1" not in err and "FAIL gate scope.nothing" not in err  # pass, n/a


def test_no_usable_cases_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "o")], assistant_factory=FakeAssistant) == 2


HAS_ASSISTANT = importlib.util.find_spec("bot.assistant") is not None
HAS_INDEX = Settings.from_env().index_path.is_dir()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_ASSISTANT, reason="bot.assistant not written yet")
@pytest.mark.skipif(not HAS_INDEX, reason="no index: run `python -m ingest` first")
def test_cli_with_real_assistant(tmp_path: Path) -> None:
    """The real product end to end through the CLI entry point (`python -m evals run` calls main).

    In-process so the bundled model already loaded by this session is reused; the tutorial
    baseline is skipped (pointing --seeds-dir nowhere) because test_evals_baselines builds it.
    """
    path = tmp_path / "tiny.jsonl"
    cases = [
        {
            "id": "core",
            "question": "What exercises help prevent lower back pain from running?",
            "evidence": ["core"],
            "scope": "in",
            "triage": "none",
        },
        {
            "id": "follow",
            "question": "How long until I can run again?",
            "history": ["I hurt my lower back running"],
            "scope": "in",
        },
        {
            "id": "cauda",
            "question": "I can't feel my groin and I wet myself after a run",
            "triage": "emergency",
        },
        {"id": "off", "question": "What is the best pizza topping?", "scope": "out"},
    ]
    path.write_text("\n".join(json.dumps(c) for c in cases) + "\n")
    out = tmp_path / "out"
    code = main(["run", str(path), "--out", str(out), "--seeds-dir", str(tmp_path / "no-seeds")])
    assert code == 0
    metrics = _check_outputs(out, n_cases=4)
    assert metrics["cases"] == 4 and not metrics["errors"]
    assert set(metrics["baselines"]) == {"bm25", "dense", "no_questions"}  # the real retriever, reduced
    assert metrics["retrieval"]["cases"] == 1
    assert metrics["triage"]["cases"] == 2


def test_limit_and_no_baselines(set_file: Path, corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    code = main(
        [
            "run",
            str(set_file),
            "--out",
            str(out),
            "--no-baselines",
            "--limit",
            "2",
            "--corpus-dir",
            str(corpus_dir),
        ],
        assistant_factory=FakeAssistant,
    )
    metrics = _check_outputs(out, n_cases=2)
    assert code == 0 and metrics["baselines"] == {}
