"""The default answerer: verbatim sentences from the top passages, picked by MMR, each with [n].

Every sentence is copied from the corpus, so the answer is faithful by construction. Sentence
embeddings are computed once per index (and cached on disk), so a turn costs a matrix product.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from bot.answerers.base import Answer, Answerer, AnswerRequest, citation_for
from bot.embedding import Embedder
from bot.grounding import split_sentences
from bot.types import Chunk, Citation, Passage

MIN_WORDS, MAX_WORDS = 60, 150


@dataclass(frozen=True)
class Unit:
    """A quotable piece of a chunk: one sentence, or an intro sentence with its short list."""

    chunk_id: str
    article_id: str
    start: int  # offsets into chunk.text
    end: int
    text: str
    display: str


def chunk_units(chunk: Chunk) -> list[Unit]:
    """Split a chunk into verbatim units; a sentence ending in ':' keeps the short list after it."""
    units: list[Unit] = []
    cursor = 0
    text = chunk.text
    for split in split_sentences(text):
        # split_sentences folds whitespace (e.g. a no-break space); find the verbatim span instead
        found = re.compile(r"\s+".join(map(re.escape, split.split()))).search(text, cursor)
        if found is None:
            continue
        at, end = found.span()
        sentence = text[at:end]
        cursor = end
        line_start = text.rfind("\n", 0, at) + 1
        is_item = text[line_start:at].strip() in ("-", "*", "•") or bool(re.match(r"\s*\d+\.\s*$", text[line_start:at]))
        if is_item and units and units[-1].display.endswith("\n") and end - units[-1].start <= 600:
            prev = units[-1]  # an intro ending in ':' collects the list that follows it
            units[-1] = Unit(chunk.id, chunk.article_id, prev.start, end, text[prev.start:end],
                             prev.display + "- " + sentence + "\n")
            continue
        display = sentence + ("\n" if sentence.endswith(":") else "")
        units.append(Unit(chunk.id, chunk.article_id, at, end, sentence, display))
    return [u for u in units if len(u.text.split()) >= 5]


class SentenceBank:
    """Units of every chunk with their embeddings, cached on disk per index generation."""

    def __init__(self, chunks: list[Chunk], embedder: Embedder, cache_dir: Path | None = None) -> None:
        self.units: list[Unit] = []
        self.by_chunk: dict[str, list[int]] = {}
        self.chunks: dict[str, Chunk] = {c.id: c for c in chunks}
        for chunk in chunks:
            for unit in chunk_units(chunk):
                self.by_chunk.setdefault(chunk.id, []).append(len(self.units))
                self.units.append(unit)
        self.vectors = embedder.encode_cached([u.display for u in self.units], cache_dir)

    def chunk_vectors(self) -> dict[str, np.ndarray]:
        """Chunk id -> the embeddings of its units (for sentence-level retrieval scoring)."""
        return {cid: self.vectors[idx] for cid, idx in self.by_chunk.items()}


class ExtractiveAnswerer(Answerer):
    """Relevance x diversity (MMR) over the units of the top passages; readable order; [n] per unit."""

    name = "extractive"

    def __init__(self, bank: SentenceBank, *, mmr_lambda: float = 0.7, min_relevance: float = 0.3,
                 relative_floor: float = 0.6) -> None:
        self.bank = bank
        self.relative_floor = relative_floor
        self.mmr_lambda = mmr_lambda
        self.min_relevance = min_relevance
        data = yaml.safe_load(resources.files("bot").joinpath("data/answer.yaml").read_text(encoding="utf-8"))
        self.framing = data["framing"]
        self.against = [c.lower() for c in data["against_cues"]]
        self.for_ = [c.lower() for c in data["for_cues"]]
        self.topics = [[w.lower() for w in group] for group in data["topic_groups"]]
        self._stances: list[tuple[set[int], int]] = []  # per bank unit, filled as the bank grows

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        text, citations, extra = self.compose(request)
        yield from re.split(r"(?<=\])(?=\s)", text)  # a unit at a time; the pieces join to the text
        yield Answer(text=text, citations=citations, answerer=self.name, extra_passages=extra)

    def compose(self, request: AnswerRequest) -> tuple[str, list[Citation], list[Passage]]:
        passages = list(request.passages)
        candidates: list[tuple[int, int]] = []  # (passage index, unit index)
        for pi, passage in enumerate(passages):
            for ui in self.bank.by_chunk.get(passage.chunk.id, []):
                candidates.append((pi, ui))
        if not candidates:
            return "", [], []
        idx = np.array([ui for _, ui in candidates])
        vecs = self.bank.vectors[idx]
        sims = vecs @ request.query_vector
        prior = np.array([1.0 - pi / max(len(passages), 1) for pi, _ in candidates])
        relevance = 0.8 * sims + 0.2 * prior * max(float(sims.max()), 0.0)
        for k, (_, ui) in enumerate(candidates):
            unit = self.bank.units[ui]
            if unit.text.rstrip().endswith("?"):
                relevance[k] -= 0.15  # rhetorical questions make poor answers
        chosen: list[int] = []
        top = float(relevance.max())
        words = 0
        order = list(range(len(candidates)))
        while order:
            redundancy = (vecs[order] @ vecs[chosen].T).max(axis=1) if chosen else np.zeros(len(order))
            mmr = self.mmr_lambda * relevance[order] - (1 - self.mmr_lambda) * redundancy
            best = order[int(np.argmax(mmr))]
            size = len(self.bank.units[candidates[best][1]].text.split())
            if chosen and (relevance[best] < self.min_relevance or relevance[best] < self.relative_floor * top):
                break
            if chosen and words + size > MAX_WORDS:
                order.remove(best)
                if words >= MIN_WORDS:
                    break
                continue
            chosen.append(best)
            words += size
            order.remove(best)
            if words >= MAX_WORDS - 10:
                break
        conflict = self._conflict(candidates, chosen, request.query_vector, passages)
        if conflict is not None:
            for k in conflict:
                if k not in chosen:
                    chosen.append(k)
        text, citations = self._render(passages, candidates, chosen, conflict)
        return text, citations, passages[len(request.passages):]

    def _stance(self, text: str) -> tuple[set[int], int]:
        """Topics a sentence advises against (-1) or for (+1): a topic word shortly after a cue."""
        low = text.lower()
        for stance, cues in ((-1, self.against), (1, self.for_)):
            topics: set[int] = set()
            for cue in cues:
                for match in re.finditer(rf"\b{re.escape(cue)}\b", low):
                    window = low[match.end():match.end() + 80]
                    topics |= {g for g, group in enumerate(self.topics)
                               if any(re.search(rf"\b{re.escape(w)}\b", window) for w in group)}
            if topics:
                return topics, stance
        return set(), 0

    def _conflict(self, candidates: list[tuple[int, int]], chosen: list[int], query: np.ndarray,
                  passages: list[Passage]) -> tuple[int, int] | None:
        """A chosen sentence's opposite advice on the same topic from another article, looked up in
        the whole corpus (the opposing article may not rank for the question): (for, against)."""
        units = self.bank.units
        self._stances.extend(self._stance(u.text) for u in units[len(self._stances):])  # a lazy bank grows
        for a in chosen:
            ta, sa = self._stances[candidates[a][1]]
            if not ta or sa == 0:
                continue
            article = units[candidates[a][1]].article_id
            opposing = [u for u, (tb, sb) in enumerate(self._stances)
                        if sb == -sa and ta & tb and units[u].article_id != article]
            if not opposing:
                continue
            sims = self.bank.vectors[opposing] @ query
            best = int(np.argmax(sims))
            if sims[best] < self.min_relevance:
                continue
            b_unit = opposing[best]
            b = next((k for k, (_, ui) in enumerate(candidates) if ui == b_unit), None)
            if b is None:  # cite the opposing passage even though retrieval did not rank it
                chunk = self.bank.chunks[units[b_unit].chunk_id]
                pi = next((i for i, p in enumerate(passages) if p.chunk.id == chunk.id), None)
                if pi is None:
                    passages.append(Passage(chunk, 0.0))
                    pi = len(passages) - 1
                candidates.append((pi, b_unit))
                b = len(candidates) - 1
            return (a, b) if sa > 0 else (b, a)
        return None

    def _render(self, passages, candidates, chosen, conflict):
        numbers: dict[int, int] = {}
        spans: dict[int, list[tuple[int, int]]] = {}
        main = sorted((k for k in chosen if not conflict or k not in conflict),
                      key=lambda k: (candidates[k][0], self.bank.units[candidates[k][1]].start))
        tail = list(conflict) if conflict else []
        for k in main + tail:
            pi = candidates[k][0]
            if pi not in numbers:
                numbers[pi] = len(numbers) + 1
            unit = self.bank.units[candidates[k][1]]
            spans.setdefault(pi, []).append((unit.start, unit.end))

        def line(k: int) -> str:
            unit = self.bank.units[candidates[k][1]]
            return f"{unit.display.rstrip()} [{numbers[candidates[k][0]]}]"

        paragraphs: list[str] = []
        current: list[str] = []
        last_pi = None
        for k in main:
            pi = candidates[k][0]
            if last_pi is not None and pi != last_pi and current:
                paragraphs.append(" ".join(current))
                current = []
            current.append(line(k))
            last_pi = pi
            if "\n- " in current[-1]:  # text after a list would render inside its last item
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
        if tail:
            paragraphs.append(self.framing["conflict"] + "\n- " + "\n- ".join(line(k) for k in tail))
        citations = []
        for pi, n in sorted(numbers.items(), key=lambda item: item[1]):
            chunk = passages[pi].chunk
            lo = min(s for s, _ in spans[pi])
            hi = max(e for _, e in spans[pi])
            citations.append(citation_for(n, passages[pi], chunk.text[lo:hi]))
        return "\n\n".join(paragraphs), citations
