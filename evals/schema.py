"""Evaluation cases and the JSONL loader (format documented in evals/README.md).

A bad line never stops a run: it is reported as a `Problem` naming the file and line and skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRIAGE_LEVELS = ("emergency", "urgent", "none")
SCOPES = ("in", "out")
KNOWN_FIELDS = ("id", "question", "history", "evidence", "triage", "scope", "tags")


@dataclass(frozen=True)
class Case:
    """One question for the assistant, with whatever expectations the set author wrote down."""

    id: str
    question: str
    history: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    triage: str | None = None
    scope: str | None = None
    tags: tuple[str, ...] = ()
    set: str = ""  # file stem the case came from
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def uid(self) -> str:
        """Unique across sets: `<set>/<id>`."""
        return f"{self.set}/{self.id}" if self.set else self.id


@dataclass(frozen=True)
class Problem:
    """A line (or file) that was skipped, and why."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class CaseError(ValueError):
    """One line does not describe a usable case."""


def _str_list(obj: dict[str, Any], name: str) -> tuple[str, ...]:
    value = obj.get(name)
    if value is None:
        return ()
    if isinstance(value, str) and name == "evidence":
        value = [value]  # a single phrase is a common slip; accept it
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(f"'{name}' must be a list of strings, got {json.dumps(value)[:60]}")
    if name == "evidence" and any(not v.strip() for v in value):
        raise CaseError("'evidence' phrases must not be empty")
    return tuple(value)


def _enum(obj: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise CaseError(f"'{name}' must be one of {', '.join(allowed)}, got {json.dumps(value)}")
    return value.strip().lower()


def parse_case(obj: Any, *, set_name: str = "", line: int = 0) -> Case:
    """Validate one decoded JSON object; raise CaseError naming the bad field."""
    if not isinstance(obj, dict):
        raise CaseError(f"expected a JSON object, got {type(obj).__name__}")
    case_id = obj.get("id")
    if isinstance(case_id, int) and not isinstance(case_id, bool):
        case_id = str(case_id)
    if not isinstance(case_id, str) or not case_id.strip():
        raise CaseError("missing 'id' (a non-empty string)")
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        raise CaseError(f"case {case_id!r}: missing 'question' (a non-empty string)")
    try:
        return Case(
            id=case_id.strip(),
            question=question,
            history=_str_list(obj, "history"),
            evidence=_str_list(obj, "evidence"),
            triage=_enum(obj, "triage", TRIAGE_LEVELS),
            scope=_enum(obj, "scope", SCOPES),
            tags=_str_list(obj, "tags"),
            set=set_name,
            line=line,
            extra={k: v for k, v in obj.items() if k not in KNOWN_FIELDS},
        )
    except CaseError as exc:
        raise CaseError(f"case {case_id!r}: {exc}") from None


def load_cases(path: Path | str) -> tuple[list[Case], list[Problem]]:
    """Read one JSONL file: good cases in file order, and one Problem per skipped line.

    Blank lines and lines starting with `//` or `#` are ignored. A second case with an id already
    seen in the same file is reported and skipped.
    """
    path = Path(path)
    cases: list[Case] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(str(path), 0, f"cannot read file: {exc}")]
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith(("//", "#")):
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(path), number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        try:
            case = parse_case(obj, set_name=path.stem, line=number)
        except CaseError as exc:
            problems.append(Problem(str(path), number, str(exc)))
            continue
        if case.id in seen:
            problems.append(
                Problem(
                    str(path),
                    number,
                    f"duplicate id {case.id!r} (first on line {seen[case.id]}); skipped",
                )
            )
            continue
        seen[case.id] = number
        cases.append(case)
    return cases, problems


def load_sets(paths: list[Path]) -> tuple[list[Case], list[Problem]]:
    """Load several files; cases from different files never collide (their uid includes the set)."""
    cases: list[Case] = []
    problems: list[Problem] = []
    stems: dict[str, Path] = {}
    for path in paths:
        got, bad = load_cases(path)
        stem = Path(path).stem
        if stem in stems and stems[stem] != Path(path):
            problems.append(Problem(str(path), 0, f"same file name as {stems[stem]}; ids prefixed"))
            got = [_rename_set(c, f"{stem}~{len(stems)}") for c in got]
        stems.setdefault(stem, Path(path))
        cases.extend(got)
        problems.extend(bad)
    return cases, problems


def _rename_set(case: Case, name: str) -> Case:
    from dataclasses import replace

    return replace(case, set=name)
