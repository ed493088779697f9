"""Scope stage: is a question about what the articles cover, and did retrieval find an answer?"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Literal

import yaml

from bot.text import tokens
from bot.types import Passage

Verdict = Literal["answer", "out_of_scope", "no_answer"]


@dataclass(frozen=True)
class ScopeConfig:
    covers: str
    domain_terms: frozenset[str]
    off_topic_terms: frozenset[str]
    other_conditions: frozenset[str]
    relevance_floor: float
    scope_floor: float

    @classmethod
    def load(cls) -> ScopeConfig:
        data = yaml.safe_load(resources.files("bot").joinpath("data/scope.yaml").read_text(encoding="utf-8"))
        return cls(
            covers=" ".join(data["covers"].split()),
            domain_terms=frozenset(tokens(" ".join(data["domain_terms"])) + list(data["domain_terms"])),
            off_topic_terms=frozenset(tokens(" ".join(data["off_topic_terms"])) + list(data["off_topic_terms"])),
            other_conditions=frozenset(tokens(" ".join(data["other_conditions"])) + list(data["other_conditions"])),
            relevance_floor=float(data["relevance_floor"]),
            scope_floor=float(data["scope_floor"]),
        )


class ScopeJudge:
    """Decides answer / out_of_scope / no_answer from the question's words and the best dense score."""

    def __init__(self, config: ScopeConfig | None = None) -> None:
        self.config = config or ScopeConfig.load()

    def judge(self, question: str, passages: list[Passage]) -> Verdict:
        """Off-topic words without a back word, or nothing near the domain: out of scope. In the
        domain but no passage close enough: no answer. Otherwise answer."""
        words = set(tokens(question))
        domain = bool(words & self.config.domain_terms)
        off_topic = (bool(words & self.config.off_topic_terms) and not words & _STRONG) or bool(
            words & self.config.other_conditions)
        best = max((p.relevance for p in passages), default=0.0)
        if off_topic or best < self.config.scope_floor or (not domain and best < self.config.relevance_floor):
            return "out_of_scope"
        if best < self.config.relevance_floor:
            return "no_answer"
        return "answer"

    def out_of_scope_text(self) -> str:
        return ("I can only answer questions about " + self.config.covers
                + " Your question seems to be about something else, so I won't guess. "
                  "For other health questions, please ask a doctor or pharmacist.")

    def no_answer_text(self, passages: list[Passage]) -> str:
        titles: list[str] = []
        for p in passages[:5]:
            if p.chunk.title not in titles:
                titles.append(p.chunk.title)
        nearest = "; ".join(f"“{t}”" for t in titles[:3])
        text = "The articles I answer from don't cover that, so I'd rather not guess."
        if nearest:
            text += f" The closest topics they do cover: {nearest}."
        return text


# Back-specific words keep a question in scope even if it also names another topic.
_STRONG = frozenset(tokens("back spine spinal lumbar lumbago disc disk sciatica vertebra"))
