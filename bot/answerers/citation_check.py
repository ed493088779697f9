"""Where LLM citations are checked: a sentence is kept only if the passages it cites back it up.

A sentence passes when it cites at least one `[n]` inside 1..len(passages), makes a claim, gives no
medication dose, keeps the negation (or its absence) of the passage sentence it matches best, and
either shares enough content words with its cited passages (`support() >= threshold`) or, in a
grey zone just below that, is a close paraphrase of one of their sentences (embedding cosine).
Calibration numbers live in tests/test_llm_answerer_calibration.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.grounding import cited_numbers, content_terms, split_sentences, strip_citations, support
from bot.types import Chunk, Passage

if TYPE_CHECKING:
    from bot.answerers.extractive import SentenceBank
    from bot.embedding import Embedder

#: Lexical support an LLM sentence needs from its cited passages (stricter than the evals' 0.6: see calibration).
LLM_SUPPORT_THRESHOLD = 0.7
#: Below the threshold, a sentence with at least this lexical support may still pass as a paraphrase ...
PARAPHRASE_FLOOR = 0.5
#: ... if its embedding cosine with the closest sentence of its cited passages reaches this.
PARAPHRASE_COSINE = 0.8

# "not only ... but also" and "don't just" are not negations.
_NEGATION = re.compile(r"\b(?:not(?!\s+only\b)|no|never|none|nor|neither|cannot|nothing)\b|n['’]t\b(?!\s+just\b)", re.I)
_DOSE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|milligrams?|mcg|micrograms?|ml|millilit(?:er|re)s?|iu|tablets?|pills?|capsules?)\b",
    re.I,
)


@dataclass(frozen=True)
class Evidence:
    """The passage sentence (verbatim span of the chunk) that best supports a kept sentence."""

    passage: int  # 0-based index into the request's passages
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Verdict:
    """The outcome for one model sentence; `counted` is False for claim-free text like headings."""

    sentence: str
    kept: bool
    reason: str  # ok | paraphrase | no-citation | out-of-range | no-claim | dose | negation | unsupported
    numbers: tuple[int, ...] = ()  # valid 1-based passage numbers it cites
    support: float = 0.0
    cosine: float | None = None
    evidence: tuple[Evidence, ...] = ()

    @property
    def counted(self) -> bool:
        return self.reason != "no-claim"


class CitationChecker:
    """Checks sentences against one request's passages; passage units are split once and reused."""

    def __init__(self, passages: Sequence[Passage], *, threshold: float = LLM_SUPPORT_THRESHOLD,
                 embedder: Embedder | None = None, bank: SentenceBank | None = None,
                 paraphrase_floor: float = PARAPHRASE_FLOOR, paraphrase_cosine: float = PARAPHRASE_COSINE) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold={threshold} must be in (0, 1]")
        self.passages = list(passages)
        self.threshold = threshold
        self.paraphrase_floor = paraphrase_floor
        self.paraphrase_cosine = paraphrase_cosine
        self.embedder = embedder
        self._spans = [sentence_spans(p.chunk) for p in self.passages]
        self._vectors: list[np.ndarray | None] = []  # the bank's unit embeddings, for the paraphrase test
        for passage in self.passages:
            ids = bank.by_chunk.get(passage.chunk.id, []) if bank is not None else []
            self._vectors.append(bank.vectors[ids] if ids else None)

    def check(self, sentence: str) -> Verdict:
        """Judge one sentence as the model wrote it (with its `[n]` markers)."""
        numbers = cited_numbers(sentence)
        if not numbers:
            claim_free = not content_terms(sentence)
            return Verdict(sentence, False, "no-claim" if claim_free else "no-citation")
        valid = tuple(n for n in numbers if 1 <= n <= len(self.passages))
        if not valid:
            return Verdict(sentence, False, "out-of-range")
        claim = strip_citations(sentence)
        if not content_terms(claim):
            return Verdict(sentence, False, "no-claim", valid)
        if _DOSE.search(claim):
            return Verdict(sentence, False, "dose", valid)
        score = support(claim, "\n".join(self.passages[n - 1].text for n in valid))
        evidence = tuple(self._best_unit(claim, n - 1) for n in valid)
        best = max(evidence, key=lambda e: e.score)
        best_text = self.passages[best.passage].chunk.text[best.start:best.end]
        if bool(_NEGATION.search(claim)) != bool(_NEGATION.search(best_text)):
            return Verdict(sentence, False, "negation", valid, score, None, evidence)
        if score >= self.threshold:
            return Verdict(sentence, True, "ok", valid, score, None, evidence)
        cosine = self._cosine(claim, valid) if score >= self.paraphrase_floor else None
        if cosine is not None and cosine >= self.paraphrase_cosine:
            return Verdict(sentence, True, "paraphrase", valid, score, cosine, evidence)
        return Verdict(sentence, False, "unsupported", valid, score, cosine, evidence)

    def _best_unit(self, claim: str, index: int) -> Evidence:
        text = self.passages[index].chunk.text
        score, start, end = max(((support(claim, text[a:b]), a, b) for a, b in self._spans[index]),
                                key=lambda t: t[0])
        return Evidence(index, start, end, score)

    def _cosine(self, claim: str, numbers: tuple[int, ...]) -> float | None:
        """Best cosine between the claim and any unit of its cited passages (needs bank vectors)."""
        if self.embedder is None:
            return None
        blocks = [v for n in numbers if (v := self._vectors[n - 1]) is not None and len(v)]
        if not blocks:
            return None
        vector = self.embedder.encode([claim])[0]
        return float((np.vstack(blocks) @ vector).max())


def sentence_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence of a chunk, found verbatim whatever its whitespace."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in split_sentences(chunk.text):
        pattern = r"\s+".join(re.escape(word) for word in sentence.split())
        match = re.compile(pattern).search(chunk.text, cursor)
        if match:
            spans.append((match.start(), match.end()))
            cursor = match.end()
    return spans or [(0, len(chunk.text))]
