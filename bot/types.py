"""Data that crosses stages: passages, triage results, citations and replies."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Level = Literal["emergency", "urgent", "none"]
Route = Literal["answer", "triage", "out_of_scope", "no_answer"]
LEVELS: tuple[str, ...] = ("none", "urgent", "emergency")  # ascending severity


@dataclass(frozen=True)
class Source:
    """One article a passage comes from (a passage found in two articles has two)."""

    article_id: str
    title: str
    author: str | None = None
    publisher: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A stored piece of an article: verbatim `text` inside one section, with offsets into the body."""

    id: str
    article_id: str
    title: str
    section: str
    text: str
    start: int
    end: int
    author: str | None = None
    publisher: str | None = None
    also_in: tuple[Source, ...] = ()

    @property
    def sources(self) -> tuple[Source, ...]:
        return (Source(self.article_id, self.title, self.author, self.publisher), *self.also_in)


@dataclass(frozen=True)
class Passage:
    """A chunk as retrieved for one question, with its fused score and per-retriever ranks."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None
    sentence_score: float | None = None  # cosine of the passage's best-matching sentence
    question_score: float | None = None  # cosine of the closest hand-written question it answers

    @property
    def relevance(self) -> float:
        """Best semantic match of the passage or one of its sentences (short questions match sentences)."""
        return max(self.dense_score or 0.0, self.sentence_score or 0.0)

    @property
    def text(self) -> str:
        return self.chunk.text


@dataclass(frozen=True)
class TriageMatch:
    category: str
    level: Level
    text: str  # the user text that matched
    rule: str  # which layer fired: lexicon, context, backstop


@dataclass(frozen=True)
class TriageResult:
    level: Level
    matches: tuple[TriageMatch, ...] = ()
    about: Literal["self", "other"] = "self"
    dose_request: bool = False
    person: str | None = None  # who "other" is, for card wording ("your husband"); None if unknown

    @property
    def categories(self) -> list[str]:
        seen: list[str] = []
        for m in self.matches:
            if m.category not in seen:
                seen.append(m.category)
        return seen

    @property
    def escalated(self) -> bool:
        return self.level != "none"


@dataclass(frozen=True)
class Citation:
    n: int
    article_id: str
    title: str
    section: str
    quote: str
    author: str | None = None
    publisher: str | None = None
    chunk_id: str = ""
    also_in: tuple[Source, ...] = ()


@dataclass
class Reply:
    """What the assistant returns for one turn."""

    route: Route
    text: str
    triage: TriageResult
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> milliseconds
    answerer: str = ""
    notice: str | None = None  # e.g. "the LLM timed out; showing the extractive answer"
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by the CLI, the REST API and the evals."""
        return {
            "id": self.id,
            "route": self.route,
            "text": self.text,
            "answerer": self.answerer,
            "notice": self.notice,
            "triage": {
                "level": self.triage.level,
                "categories": self.triage.categories,
                "matches": [asdict(m) for m in self.triage.matches],
                "about": self.triage.about,
                "dose_request": self.triage.dose_request,
            },
            "citations": [asdict(c) for c in self.citations],
            "passages": [
                {
                    "chunk_id": p.chunk.id,
                    "article_id": p.chunk.article_id,
                    "title": p.chunk.title,
                    "section": p.chunk.section,
                    "text": p.chunk.text,
                    "score": round(p.score, 6),
                }
                for p in self.passages
            ],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }
