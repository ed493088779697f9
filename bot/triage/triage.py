"""The red-flag triage stage: rules first, embedding backstop second, fixed cards only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.embedding import Embedder
from bot.errors import ConfigError
from bot.text import tokens
from bot.triage.backstop import Backstop, CaseBank
from bot.triage.context import Analysis, Context, Person
from bot.triage.normalise import Normaliser
from bot.triage.rules import RedFlags, Signal, compile_any, load_red_flags, load_yaml
from bot.types import LEVELS, Level, TriageMatch, TriageResult


@dataclass(frozen=True)
class _Candidate:
    category: str
    signal: str
    weak: bool
    text: str
    unless: re.Pattern[str] | None


@dataclass(frozen=True)
class _Scan:
    analysis: Analysis
    candidates: tuple[_Candidate, ...]
    modifiers: frozenset[str]
    explained: frozenset[str] = frozenset()  # categories whose phrase had a benign explanation here


_EXPLAINED = object()  # every live mention of a signal had its benign explanation
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class _Hit:
    category: str
    signal: str
    weak: bool
    text: str
    message: int


_FULL_STOP = re.compile(r"(?:[!?\n]|\.(?!\d))+")  # "36.6" is not a sentence end
# A benign explanation sits near the phrase it explains. Unpunctuated run-on messages (voice
# dictation, learner English) are one long "sentence"; without a reach, a "heavy box" twenty words
# away explained away legs that would not hold.
_UNLESS_REACH = 15


def _sentence_start(text: str, pos: int) -> int:
    """Where the sentence holding `pos` begins (after the last full stop before it)."""
    return max((m.end() for m in _FULL_STOP.finditer(text, 0, pos)), default=0)


_WORD = re.compile(r"\S+")
# "Been this way for 4 months": the phrase points back at the sentence before, which may explain it.
_POINTS_BACK = re.compile(r"\b(?:this|that) way\b|\blike (?:this|that)\b")
# "... is it related to the numb toes?": a second mention of a symptom already explained.
_DEFINITE = re.compile(r"\b(?:the|that|those|these|this) $")
_TAKE = re.compile(r"\b(?:take|taking|took|give|giving|dose|doses|dosage|mg)\b")


# A labelled case is matched only by text with this many content words: a two-word sentence
# ("Just stiff.") is near the opening of too many long cases.
BANK_MIN_WORDS = 5
# A sentence read on its own (the message has a negation or cue) needs this many content words:
# "Is good to rest?" or "Is it my kidneys?" says too little to stand for a symptom.
SENTENCE_MIN_WORDS = 3


def _assign(groups: tuple[tuple[str, ...], ...], present: set[str], distinct: bool) -> list[str] | None:
    """One present id per requirement group (all different when `distinct`), or None.

    Searches every assignment, so the answer does not depend on the order of the options."""
    if not groups:
        return []
    for option in groups[0]:
        if option in present:
            rest = _assign(groups[1:], present - {option} if distinct else present, distinct)
            if rest is not None:
                return [option, *rest]
    return None


def _rank(level: str) -> int:
    return LEVELS.index(level)


class Triage:
    """Decide whether a conversation shows red flags for serious back pathology.

    Layers: (1) normalisation, (2) lexicon rules per category, (3) context rules (negation,
    hypotheticals, informational questions, third person, combinations across turns) and
    (4) an embedding backstop that may raise a level but never lower it. All clinical content
    (phrases, levels, reasons, cards) lives in the YAML files under bot/triage/data.
    """

    def __init__(self, embedder: Embedder | None = None, cache_dir: Path | None = None) -> None:
        rules = load_yaml("rules.yaml")
        self.flags: RedFlags = load_red_flags()
        self.normalise = Normaliser(rules, embedder.known_words() if embedder is not None else frozenset())
        self.context = Context(rules)
        dose = rules.get("dose") or {}
        self._dose_amount = compile_any(list(dose.get("amount") or []), {}, "rules.yaml dose.amount")
        self._dose_medicine = compile_any(list(dose.get("medicine") or []), {},
                                          "rules.yaml dose.medicine")
        self._scan = lru_cache(maxsize=2048)(self._scan_message)
        self.embedder = embedder
        self.backstop: Backstop | None = None
        if embedder is not None:
            cfg = load_yaml("backstop.yaml")
            exemplars = [(c.id, e) for c in self.flags.categories.values()
                         if c.level != "none" for e in c.exemplars]
            self.backstop = Backstop(embedder, exemplars, list(cfg.get("benign") or []),
                                     float(cfg["threshold"]), float(cfg["margin"]),
                                     {str(k): float(v) for k, v in
                                      (cfg.get("category_thresholds") or {}).items()},
                                     cache_dir=cache_dir, bank=self._case_bank(cfg.get("case_bank")))

    def _case_bank(self, cfg: dict | None) -> CaseBank | None:
        """The labelled-case extension of the backstop (off when backstop.yaml has no case_bank)."""
        if not cfg:
            return None
        data = load_yaml("case_bank.yaml")
        skip = set(cfg.get("skip_categories") or ())
        red = []
        for entry in data.get("red") or []:
            if entry.get("category") not in self.flags.categories:
                raise ConfigError(f"case_bank.yaml: unknown category {entry.get('category')!r}")
            if entry["category"] not in skip:
                red.append((str(entry["category"]), str(entry["text"])))
        return CaseBank(red, [str(t) for t in data.get("benign") or []],
                        float(cfg["threshold"]), float(cfg["margin"]))

    # --- public API -------------------------------------------------------------------------

    def assess(self, messages: list[str], query_vector: np.ndarray | None = None) -> TriageResult:
        """Triage a conversation.

        `messages` are all user messages so far, newest last; symptoms add up across turns.
        `query_vector` is the embedding of the newest message (embedder.encode_query(newest)),
        reused by the backstop; older messages are embedded through the embedder's LRU cache.
        """
        messages = [m for m in messages if m and m.strip()]
        if not messages:
            return TriageResult(level="none")
        scans = [self._scan(m) for m in messages]  # cached: older turns cost nothing
        normalised = [scan.analysis.text for scan in scans]
        analyses = [scan.analysis for scan in scans]

        hits: list[_Hit] = []
        modifiers: set[str] = set()
        # A message that opens by taking the previous one back ("sorry, false alarm: ...") cancels
        # the previous message's signals, modifiers and backstop match.
        retracted = {i - 1 for i, a in enumerate(analyses) if i > 0 and a.opens_with_retraction}
        explained: set[tuple[str, int]] = set()  # (category, message) explained away by a later turn
        family = self.context.family
        for i, scan in enumerate(scans):
            if i in retracted:
                continue
            modifiers |= scan.modifiers
            # The rules saw this category's phrase and its benign explanation in the same message
            # ("my mate had cancer, I'm pacing her"): the backstop must not re-raise it.
            explained |= {(category, i) for category in scan.explained}
            later_turns = analyses[i + 1:]
            later_texts = [a.text for a in later_turns]
            # "my mum had cancer", then turns about the user: her diagnosis is family history
            family_only = (family.categories if family is not None and scan.candidates and family.told_across_turns(
                scan.analysis.text, later_texts) else frozenset())
            for cand in scan.candidates:
                if cand.category in family_only or scan.analysis.resolved_later(cand.category, later_texts):
                    explained.add((cand.category, i))
                    continue
                if cand.unless is not None and any(
                        self._explains(cand.unless, later) for later in later_turns):
                    explained.add((cand.category, i))
                    continue  # a later message explains it ("it's fine once I stand up")
                hits.append(_Hit(cand.category, cand.signal, cand.weak, cand.text, i))

        matches: dict[tuple[str, str], TriageMatch] = {}
        level = "none"
        matched_messages: set[int] = set()

        def add(category: str, text: str, rule: str, message: int) -> None:
            nonlocal level
            cat_level = self._category_level(category, modifiers)
            key = (category, text)
            if key not in matches:
                matches[key] = TriageMatch(category, cat_level, text, rule)  # type: ignore[arg-type]
            if _rank(cat_level) > _rank(level):
                level = cat_level
            if cat_level != "none":
                matched_messages.add(message)

        for hit in hits:
            if not hit.weak:
                add(hit.category, hit.text, "lexicon", hit.message)
        for category, text, message in self._combos(hits, modifiers):
            add(category, text, "context", message)

        if self.backstop is not None:
            for i, analysis in enumerate(analyses):
                if i in retracted:
                    continue
                for text, vector in self._backstop_inputs(messages, i, analysis, query_vector):
                    hit = self.backstop.check(vector, bank=len(tokens(text)) >= BANK_MIN_WORDS)
                    if hit is not None and (hit.category, i) in explained:
                        continue  # the rules saw this symptom and a later turn explained it
                    if hit is not None and not any(m.category == hit.category for m in matches.values()):
                        add(hit.category, text, "backstop", i)

        about, person = self._about(normalised, matched_messages)
        return TriageResult(
            level=level,  # type: ignore[arg-type]
            matches=tuple(matches.values()),
            about=about,
            dose_request=self._dose(normalised),
            person=person.phrase if person else None,
        )

    def _backstop_inputs(self, messages: list[str], i: int, analysis: Analysis,
                         query_vector: np.ndarray | None) -> list[tuple[str, np.ndarray]]:
        """What the exemplar backstop may read: the whole message when nothing in it is
        embedding-blind (negation, a cue, a relative's illness); otherwise each of its sentences
        that has none, so a "no" in one sentence does not hide a symptom in the next."""
        assert self.embedder is not None
        if not analysis.embedding_blind:
            if i == len(messages) - 1 and query_vector is not None:
                return [(messages[i].strip(), np.asarray(query_vector, dtype=np.float32))]
            return [(messages[i].strip(), self.embedder.encode_query(messages[i]))]
        sentences = [s.strip() for s in _SENTENCES.split(messages[i]) if s.strip()]
        if len(sentences) < 2:
            return []
        # A sentence naming the relative of a family-history message is blind too: on its own it
        # reads like the user's diagnosis ("my mum had bowel cancer in 2010, she's doing great").
        # So is a sentence inside the message's resolved history, which may span two sentences.
        family = self.context.family if analysis.family else None
        history = [analysis.text[s:e] for s, e in analysis.history]
        out = []
        for k, sentence in enumerate(sentences):
            # "Worse at night? Nope, only after long runs": a question the user answers "no" to at
            # once is not a report, though on its own it reads like one.
            if sentence.endswith("?") and k + 1 < len(sentences) and self.context.answered_no.match(sentences[k + 1]):
                continue
            if len(tokens(sentence)) < SENTENCE_MIN_WORDS:
                continue
            part = self._scan(sentence).analysis
            if part.embedding_blind or (family is not None and family.relative.search(part.text)):
                continue
            if any(part.text.rstrip(".!?; ") in past for past in history):
                continue
            out.append((sentence, self.embedder.encode_query(sentence)))
        return out

    # --- layers -----------------------------------------------------------------------------

    def _scan_message(self, raw: str) -> _Scan:
        """Normalise one message and find its live (not negated, not hypothetical) signals."""
        analysis = self.context.analyse(self.normalise(raw))
        text = analysis.text
        candidates = []
        explained: set[str] = set()
        for category in self.flags.categories.values():
            for signal in category.signals:
                found = self._unexplained(signal, analysis, category.id)
                if found is None:
                    continue
                if found is _EXPLAINED:
                    explained.add(category.id)
                    continue
                candidates.append(_Candidate(category.id, signal.id, signal.weak,
                                             text[found[0]:found[1]], signal.unless))
        modifiers = frozenset(
            m.id for m in self.flags.modifiers
            if any(self._first_live(p, analysis) is not None for p in m.patterns))
        live = {c.category for c in candidates}
        return _Scan(analysis, tuple(candidates), modifiers, frozenset(explained - live))

    def _unexplained(self, signal: Signal, analysis: Analysis, category: str) -> tuple[int, int] | object | None:
        """The signal's first live mention that no explanation covers; `_EXPLAINED` when every live
        mention is explained ("numb toes from tight laces"), None when there is none. A message may
        explain one mention and report another ("... tight laces, that passed. Today my calf is numb")."""
        explained = False
        for pattern in signal.patterns:
            for found in self._live(pattern, analysis, category):
                if signal.unless is not None and (self._benign(signal.unless, analysis, found)
                                                  or self._refers_back(signal, analysis, found)):
                    explained = True
                    continue
                return found
        return _EXPLAINED if explained else None

    def _first_live(self, pattern: re.Pattern[str], analysis: Analysis,
                    category: str | None = None) -> tuple[int, int] | None:
        return next(self._live(pattern, analysis, category), None)

    def _live(self, pattern: re.Pattern[str], analysis: Analysis,
              category: str | None = None) -> Iterator[tuple[int, int]]:
        """Matches that are neither negated, hypothetical/informational, taken back nor resolved history."""
        for m in pattern.finditer(analysis.text):
            start, end = m.span()
            if end == start:
                continue
            if (analysis.negated(start, end, pattern=pattern) or analysis.hypothetical(start, end)
                    or analysis.retracted(start, end)):
                continue
            if category is not None and (analysis.in_history(start, category)
                                         or analysis.family_history(start, category)):
                continue
            yield start, end

    @classmethod
    def _benign(cls, unless: re.Pattern[str], analysis: Analysis, span: tuple[int, int]) -> bool:
        """A benign explanation (not itself negated) in the same sentence as the phrase, starting
        within `_UNLESS_REACH` words of it."""
        text = analysis.text
        start = _sentence_start(text, span[0])
        stop = _FULL_STOP.search(text, span[1])
        end = stop.start() if stop else len(text)
        before = [m.start() for m in _WORD.finditer(text, start, span[0])]
        after = [m.end() for m in _WORD.finditer(text, span[1], end)]
        lo = before[-_UNLESS_REACH] if len(before) > _UNLESS_REACH else start
        reach = after[_UNLESS_REACH - 1] if len(after) > _UNLESS_REACH else end
        if cls._benign_in(unless, analysis, lo, end, reach):
            return True
        # "Been this way for 4 months" refers to the sentence before, which may hold the explanation.
        if start > 0 and _POINTS_BACK.search(text, max(start, span[0] - 12), span[1]):
            prev = _sentence_start(text, max(0, start - 1))
            if cls._benign_in(unless, analysis, prev, start):
                return True
        return False

    @classmethod
    def _refers_back(cls, signal: Signal, analysis: Analysis, span: tuple[int, int]) -> bool:
        """A definite second mention ("the numb toes") of a symptom this signal found, and explained,
        in an earlier sentence of the same message."""
        text = analysis.text
        if signal.unless is None or not _DEFINITE.search(text, max(0, span[0] - 6), span[0]):
            return False
        sentence_start = _sentence_start(text, span[0])
        for pattern in signal.patterns:
            for m in pattern.finditer(text, 0, sentence_start):
                if not analysis.negated(m.start(), m.end(), pattern=pattern) and cls._benign(
                        signal.unless, analysis, m.span()):
                    return True
        return False

    @classmethod
    def _explains(cls, unless: re.Pattern[str], later: Analysis) -> bool:
        """A later message explains an earlier phrase only in a statement ("it's fine once I stand
        up"); a question is about something else ("what's a good cross-training option?")."""
        start = 0
        for stop in _FULL_STOP.finditer(later.text):
            if "?" not in stop.group() and cls._benign_in(unless, later, start, stop.start()):
                return True
            start = stop.end()
        return cls._benign_in(unless, later, start, len(later.text))

    @staticmethod
    def _benign_in(unless: re.Pattern[str], analysis: Analysis, lo: int, hi: int, reach: int | None = None) -> bool:
        """An explanation in text[lo:hi] that starts before `reach`. It may carry its own "no"
        ("bends backwards with no pain"); only a negation before it ("not after a run") takes it back."""
        return any((reach is None or m.start() < reach) and not analysis.negated(m.start(), m.end(), inside=False)
                   for m in unless.finditer(analysis.text, lo, hi))

    def _combos(self, hits: list[_Hit], modifiers: set[str]) -> list[tuple[str, str, int]]:
        by_signal: dict[str, list[_Hit]] = {}
        for hit in hits:
            by_signal.setdefault(hit.signal, []).append(hit)
        present = set(by_signal) | modifiers
        out = []
        for combo in self.flags.combos:
            chosen = _assign(combo.requires, present, combo.distinct)
            used = [by_signal[s][0] for s in chosen or () if s in by_signal]
            if used:
                text = " + ".join(dict.fromkeys(h.text for h in used))
                out.append((combo.category, text, max(h.message for h in used)))
        return out

    def _category_level(self, category: str, modifiers: set[str]) -> Level:
        cat = self.flags.categories[category]
        level = cat.level
        for needed, raised in cat.escalate:
            if needed & modifiers and _rank(raised) > _rank(level):
                level = raised
        return level  # type: ignore[return-value]

    def _about(self, normalised: list[str], matched: set[int]) -> tuple[str, Person | None]:
        """'other' when the conversation is about someone else (same level, other wording)."""
        persons = [None if self.context.is_first_person(t) else self.context.person(t)
                   for t in normalised]
        if not any(persons):
            return "self", None
        relevant = sorted(matched) or [len(normalised) - 1]
        for i in relevant:
            if self.context.is_first_person(normalised[i]):
                return "self", None
        person = next((p for p in persons if p is not None and p.noun), None)
        person = person or next(p for p in persons if p is not None)
        return "other", person

    def _dose(self, normalised: list[str]) -> bool:
        """The newest message asks for an amount of a medicine (named now or earlier)."""
        if self._dose_amount is None or self._dose_medicine is None:
            return False
        newest = normalised[-1]
        if not self._dose_amount.search(newest):
            return False
        if self._dose_medicine.search(newest):
            return True
        return bool(_TAKE.search(newest)) and any(self._dose_medicine.search(t)
                                                  for t in normalised[-3:-1])
