"""The answerer interface: every backend (extractive, OpenAI-compatible, Ollama) implements `stream`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from bot.types import Citation, Passage


@dataclass(frozen=True)
class AnswerRequest:
    question: str
    passages: list[Passage]  # ranked, already cut to top_k; [n] numbers refer to this order
    query_vector: np.ndarray
    history: tuple[str, ...] = ()


@dataclass
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    answerer: str = ""
    notice: str | None = None
    extra_passages: list[Passage] = field(default_factory=list)  # cited passages retrieval did not rank


class Answerer(ABC):
    """A backend that turns retrieved passages into a cited answer."""

    name: str = "answerer"

    @abstractmethod
    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        """Yield text pieces as they are ready, then the final `Answer` (whose text is their join)."""

    def answer(self, request: AnswerRequest) -> Answer:
        final: Answer | None = None
        for item in self.stream(request):
            if isinstance(item, Answer):
                final = item
        assert final is not None, f"{self.name} produced no Answer"
        return final


def citation_for(n: int, passage: Passage, quote: str) -> Citation:
    c = passage.chunk
    return Citation(n=n, article_id=c.article_id, title=c.title, section=c.section, quote=quote,
                    author=c.author, publisher=c.publisher, chunk_id=c.id, also_in=c.also_in)
