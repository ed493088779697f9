"""The bundled evaluation sets are well formed, cover the corpus, and their evidence really exists."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from bot.grounding import normalize
from evals.schema import load_sets

REPO = Path(__file__).resolve().parent.parent
SETS = sorted((REPO / "evals" / "sets").glob("*.jsonl")) + sorted((REPO / "evals" / "heldout").glob("*.jsonl"))
CORPUS = {p.stem: normalize(p.read_text(encoding="utf-8")) for p in (REPO / "corpus").glob("*.md")}


@pytest.mark.parametrize("path", SETS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_line_parses_with_unique_ids_and_valid_labels(path: Path) -> None:
    cases, problems = load_sets([path])
    assert not problems, problems
    ids = [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(ids) == len(set(ids)) == len(cases)
    assert all(c.triage in (None, "emergency", "urgent", "none") for c in cases)


@pytest.mark.parametrize("path", SETS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_evidence_phrase_is_in_the_corpus(path: Path) -> None:
    cases, _ = load_sets([path])
    missing = [(c.uid, e) for c in cases for e in c.evidence
               if not any(normalize(e) in text for text in CORPUS.values())]
    assert not missing, missing[:10]


def test_retrieval_questions_span_every_article() -> None:
    cases, _ = load_sets([REPO / "evals/sets/retrieval.jsonl"])
    assert len(cases) >= 80
    covered = {article for c in cases for article in CORPUS
               if any(normalize(e) in CORPUS[article] for e in c.evidence)}
    assert covered == set(CORPUS)


def test_case_bank_matches_the_sets() -> None:
    """bot/triage/data/case_bank.yaml is regenerated whenever a set changes."""
    spec = importlib.util.spec_from_file_location("build_case_bank", REPO / "scripts" / "build_case_bank.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stored = yaml.safe_load((REPO / "bot/triage/data/case_bank.yaml").read_text(encoding="utf-8"))
    assert stored == module.build(), "run: python scripts/build_case_bank.py"
