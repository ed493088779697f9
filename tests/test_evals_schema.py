"""evals.schema: the JSONL loader reports bad lines with their number and keeps going."""

from __future__ import annotations

import json
from pathlib import Path

from evals.schema import load_cases, load_sets

GOOD = {
    "id": "q1",
    "question": "Why does my back hurt after long runs?",
    "evidence": ["long runs"],
    "triage": "none",
    "scope": "in",
    "tags": ["load"],
    "reviewer": "PT",
    "notes": {"x": 1},
}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_case_with_unknown_fields_kept(tmp_path: Path) -> None:
    cases, problems = load_cases(_write(tmp_path / "s.jsonl", [json.dumps(GOOD)]))
    assert problems == []
    (case,) = cases
    assert case.evidence == ("long runs",) and case.triage == "none" and case.scope == "in"
    assert case.extra == {"reviewer": "PT", "notes": {"x": 1}}
    assert case.uid == "s/q1" and case.line == 1


def test_malformed_lines_reported_with_line_number_and_skipped(tmp_path: Path) -> None:
    lines = [
        json.dumps(GOOD),  # 1 ok
        "{not json",  # 2
        json.dumps({"question": "no id"}),  # 3
        json.dumps({"id": "q3"}),  # 4 no question
        json.dumps({"id": "q4", "question": "x", "triage": "severe"}),  # 5 bad enum
        json.dumps({"id": "q5", "question": "x", "history": "hi"}),  # 6 wrong type
        "",  # 7 blank: ignored
        "# a comment",  # 8 ignored
        json.dumps({"id": "q1", "question": "dup"}),  # 9 duplicate
        json.dumps(["not", "an", "object"]),  # 10
        json.dumps({"id": "q6", "question": "ok", "history": ["earlier"], "scope": "OUT"}),  # 11
    ]
    path = _write(tmp_path / "set.jsonl", lines)
    cases, problems = load_cases(path)
    assert [c.id for c in cases] == ["q1", "q6"]
    assert cases[1].history == ("earlier",) and cases[1].scope == "out"
    assert [p.line for p in problems] == [2, 3, 4, 5, 6, 9, 10]
    text = [str(p) for p in problems]
    assert text[0].startswith(f"{path}:2: not valid JSON")
    assert "'id'" in text[1] and "'question'" in text[2]
    assert "triage" in text[3] and "severe" in text[3]
    assert "history" in text[4]
    assert "duplicate id 'q1'" in text[5] and "line 1" in text[5]


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    cases, problems = load_cases(tmp_path / "missing.jsonl")
    assert cases == [] and "cannot read" in problems[0].message


def test_same_id_in_two_sets_does_not_collide(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.jsonl", [json.dumps({"id": "1", "question": "x"})])
    b = _write(tmp_path / "b.jsonl", [json.dumps({"id": 1, "question": "y"})])
    cases, problems = load_sets([a, b])
    assert problems == [] and [c.uid for c in cases] == ["a/1", "b/1"]
