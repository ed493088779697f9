"""Layer 3: context rules (negation with scope, pseudo-negation, hypotheticals, third person)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?\n](?!\d)")
_OWNED = re.compile(r"\bmy\b|\bi have\b|\bi am\b|\bi can not\b|\bi could not\b|\bi keep\b")

# Who someone is -> the pronouns used on the cards.
_HIM = {"husband", "boyfriend", "fiance", "son", "boy", "dad", "father", "brother", "grandpa",
        "grandfather", "grandad", "granddad", "grandson", "uncle", "nephew", "stepson", "stepdad",
        "father-in-law"}
_HER = {"wife", "girlfriend", "fiancee", "daughter", "girl", "mum", "mom", "mother", "sister",
        "grandma", "grandmother", "granny", "nan", "nana", "granddaughter", "aunt", "auntie", "aunty",
        "niece", "stepdaughter", "stepmom", "stepmum", "mother-in-law"}


@dataclass(frozen=True)
class Person:
    """Who a message is about, for the card wording."""

    noun: str | None  # "husband", or None when only "he"/"she" was seen

    @property
    def phrase(self) -> str | None:
        return f"your {self.noun}" if self.noun else None

    @property
    def object(self) -> str:
        return "him" if self.noun in _HIM else "her" if self.noun in _HER else "them"

    @property
    def subject(self) -> str:
        return "he" if self.noun in _HIM else "she" if self.noun in _HER else "they"


class Context:
    """Compiled context rules from rules.yaml; all methods work on normalised text."""

    def __init__(self, rules: dict[str, Any]) -> None:
        self.clause_breaks = re.compile(rules["clause_breaks"])
        self.sentence_breaks = re.compile(rules["sentence_breaks"])
        self.neg_before = re.compile("|".join(f"(?:{p})" for p in rules["negation_before"]))
        self.neg_after = re.compile("|".join(f"(?:{p})" for p in rules["negation_after"]))
        self.window = int(rules.get("negation_window", 6))
        # Matched against a raw sentence, hence case-insensitive.
        self.answered_no = re.compile(rules.get("answered_no") or r"(?!x)x", re.IGNORECASE)
        self.pseudo = re.compile("|".join(rf"\b(?:{p})\b" for p in rules["pseudo_negation"]))
        self.hypothetical = re.compile("|".join(rf"(?:{p})" for p in rules["hypothetical"]))
        self.informational = re.compile("|".join(rf"(?:{p})" for p in rules["informational"]))
        self.reported = _any(rules.get("reported"))
        self.lived = _any(rules.get("lived"))
        history = rules.get("history") or {}
        self.history_past = _any(history.get("past"))
        self.history_resolved = _any(history.get("resolved"))
        self.history_current = _any(history.get("current"))
        self.history_counts = frozenset(history.get("counts") or ())
        self.reported_owner = re.compile(rules.get("reported_owner") or r"(?!x)x")
        self.retraction = _any(rules.get("retraction"))
        self.retraction_window = int(rules.get("retraction_window", 10))
        opening = rules.get("opening_retraction")
        self.opening_retraction = re.compile(opening) if opening else None
        family = rules.get("family_history")
        self.family = _Family(frozenset(family["categories"]), re.compile(family["relative"]),
                              re.compile(family["self"]), re.compile(family["their_symptoms"])) if family else None
        self.third = [re.compile(p) for p in rules["third_person"]]
        self.first = re.compile("|".join(f"(?:{p})" for p in rules["first_person"]))

    # --- per-message analysis -------------------------------------------------------------

    def analyse(self, text: str) -> Analysis:
        """Precompute clause/sentence boundaries, negation, pseudo-negation and cue spans."""
        return Analysis(self, text)

    def person(self, text: str) -> Person | None:
        """The third person a message is about, or None when it is about the user."""
        for pattern in self.third:
            m = pattern.search(text)
            if m:
                noun = m.groupdict().get("person") or m.groupdict().get("person2")
                return Person(noun)
        return None

    def is_first_person(self, text: str) -> bool:
        return self.first.search(text) is not None


_FULL_SENTENCE = re.compile(r"[^.!?;\n]+")


@dataclass(frozen=True)
class _Family:
    """rules.yaml family_history: which categories a relative's diagnosis does not raise, and when."""

    categories: frozenset[str]
    relative: re.Pattern[str]
    about_user: re.Pattern[str]
    their_symptoms: re.Pattern[str]

    def spans(self, text: str, sentences: list[tuple[int, int]],
              history: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Sentences naming a relative, in a message about the user that says nothing of the
        relative's current symptoms (a resolved past event of theirs is not a current symptom)."""
        if not self.relative.search(text) or not self.about_user.search(text):
            return []
        if any(not _inside(history, m.start()) for m in self.their_symptoms.finditer(text)):
            return []
        return [span for span in sentences if self.relative.search(text, *span)]

    def told_across_turns(self, earlier: str, later: list[str]) -> bool:
        """A relative's diagnosis given on its own ("my mum had cancer"), then later turns about the
        user ("she's fine now, my back aches after hills"), with no turn on the relative's symptoms.
        The caller limits this to the family-history categories."""
        if not self.relative.search(earlier) or self.about_user.search(earlier):
            return False
        if not any(self.about_user.search(text) for text in later):
            return False
        return not any(self.their_symptoms.search(text) for text in [earlier, *later])


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(s <= pos < e for s, e in spans)


def _sentences(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _FULL_SENTENCE.finditer(text)]


def _history_spans(ctx: Context, text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences about a past, resolved problem. The resolution may open the next sentence
    ("Back in 2019 I had a stress fracture. Healed completely, ...")."""
    out = []
    for k, (start, end) in enumerate(sentences):
        sentence = text[start:end]
        if not _is_past(ctx, sentence):
            continue
        following = text[sentences[k + 1][0]:sentences[k + 1][1]] if k + 1 < len(sentences) else ""
        if _is_resolved(ctx, sentence) or _is_resolved(ctx, following):
            out.append((start, end))
    return out


def _is_past(ctx: Context, sentence: str) -> bool:
    return bool(ctx.history_past and ctx.history_past.search(sentence) and not _is_current(ctx, sentence))


def _is_resolved(ctx: Context, sentence: str) -> bool:
    return bool(ctx.history_resolved and ctx.history_resolved.search(sentence) and not _is_current(ctx, sentence))


def _is_current(ctx: Context, sentence: str) -> bool:
    return bool(ctx.history_current and ctx.history_current.search(sentence))


def _any(patterns: list[str] | None) -> re.Pattern[str] | None:
    """One alternation of several patterns, or None when the list is empty."""
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


class Analysis:
    """One normalised message with the spans the context rules need."""

    def __init__(self, ctx: Context, text: str) -> None:
        self.ctx = ctx
        self.text = text
        self.breaks = [m.span() for m in ctx.clause_breaks.finditer(text)]
        self.clause_starts = [0] + [e for _, e in self.breaks]
        self.clause_ends = [s for s, _ in self.breaks] + [len(text)]
        self.sentence_starts = [0] + [m.end() for m in ctx.sentence_breaks.finditer(text)]
        pseudo = [(m.start(), m.end()) for m in ctx.pseudo.finditer(text)]
        self.negations = [m.span() for m in ctx.neg_before.finditer(text) if not _inside(pseudo, m.start())]
        self.hypo = [m.start() for m in ctx.hypothetical.finditer(text)]
        self.info = [m.start() for m in ctx.informational.finditer(text)]
        self.reported = [m.end() for m in ctx.reported.finditer(text)] if ctx.reported else []
        self.retractions = [m.start() for m in ctx.retraction.finditer(text)] if ctx.retraction else []
        self.lived = bool(ctx.lived and ctx.lived.search(text))
        sentences = _sentences(text)
        self.history = _history_spans(ctx, text, sentences)
        self.resolves = _is_resolved(ctx, text)  # "fever's been gone four days": negation by another name
        self.opens_with_retraction = bool(ctx.opening_retraction and ctx.opening_retraction.match(text))
        self.family = ctx.family.spans(text, sentences, self.history) if ctx.family else []

    @property
    def has_negation(self) -> bool:
        return bool(self.negations)

    @property
    def has_cue(self) -> bool:
        """Any hypothetical, informational, reported-speech or retraction wording in the message."""
        return bool(self.hypo or self.info or self.reported or self.retractions or self.opens_with_retraction)

    @property
    def embedding_blind(self) -> bool:
        """Wording a sentence embedding cannot read: negation, a cue, a relative's illness, a
        resolved past event or words of resolution."""
        return bool(self.has_cue or self.has_negation or self.family or self.history or self.resolves)

    def in_history(self, start: int, category: str) -> bool:
        """The phrase sits in a sentence about a past, resolved problem ("had one in 2018, no problems
        since"), and the category is not one whose history is itself a red flag."""
        return category not in self.ctx.history_counts and _inside(self.history, start)

    def resolved_later(self, category: str, later: list[str]) -> bool:
        """The whole message tells a past problem ("last year I had numbness down my leg") and a later
        turn says it is over ("it was a disc, had surgery, all good now"), for a category whose
        history is not itself a red flag. A later turn that is about a current problem does not count."""
        if category in self.ctx.history_counts or not _is_past(self.ctx, self.text):
            return False
        return any(_is_resolved(self.ctx, text) for text in later)

    def family_history(self, start: int, category: str) -> bool:
        """The phrase is a relative's diagnosis ("my mum had breast cancer") and the message does not
        describe that relative's current symptoms."""
        return self.ctx.family is not None and category in self.ctx.family.categories and _inside(self.family, start)

    def retracted(self, start: int, end: int) -> bool:
        """The user takes the phrase back right after saying it ("my leg went numb - actually no,
        it was my arm"): a retraction cue within a few words after the phrase, in the same sentence."""
        for pos in self.retractions:
            if pos < end:
                continue
            gap = self.text[end:pos]
            if _SENTENCE_END.search(gap):
                return False
            return len(_TOKEN.findall(gap)) <= self.ctx.retraction_window
        return False

    def clause_of(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.clause_starts, pos) - 1
        start = self.clause_starts[i]
        end = next((e for e in self.clause_ends if e >= pos), len(self.text))
        return start, end

    def sentence_start(self, pos: int) -> int:
        return self.sentence_starts[bisect.bisect_right(self.sentence_starts, pos) - 1]

    def negated(self, start: int, end: int, inside: bool = True, pattern: re.Pattern[str] | None = None) -> bool:
        """A negation trigger before the phrase (same clause, within the window) or, when `inside`,
        inside it, or a post-negation right after it ("numbness? none"). A negation inside that
        `pattern` itself requires ("rest does not help", "wee not happening") is part of the phrase."""
        c_start, c_end = self.clause_of(start)
        c_start = max(c_start, self.sentence_start(start))  # clauses do not stop at a full stop; sentences do
        for pos, stop in self.negations:
            if c_start <= pos < start:
                words_between = len(_TOKEN.findall(self.text[pos:start]))
                # A phrase may begin inside a clause break ("... not there, and it is worse"):
                # the negation still does not reach across that break.
                if words_between <= self.ctx.window and not any(
                        pos < b_start and b_end <= end for b_start, b_end in self.breaks):
                    return True
            elif inside and start < pos < end and not self._required(pattern, start, pos, stop):
                return True
        tail = self.text[end:max(end, c_end)]
        return bool(tail and self.ctx.neg_after.search(tail))

    def _required(self, pattern: re.Pattern[str] | None, start: int, pos: int, stop: int) -> bool:
        """The pattern no longer matches here once the negation word (pos..stop) is blanked out: the
        word is written into the pattern, not caught by one of its gaps ("numb? no, not in my groin")."""
        if pattern is None:
            return False
        masked = self.text[:pos] + "x" * (stop - pos) + self.text[stop:]
        return pattern.match(masked, start) is None

    def hypothetical(self, start: int, end: int) -> bool:
        """A hypothetical cue earlier in the sentence, or an informational one earlier in the clause."""
        s_start = self.sentence_start(start)
        if any(s_start <= p < start for p in self.hypo):
            return True
        for cue_end in self.reported:
            # "my friend said numbness down below is an emergency": second-hand, general wording.
            # "my physio said my foot drop is getting worse" names an owner and is still a report.
            if s_start <= cue_end <= start and not self.ctx.reported_owner.search(self.text[cue_end:end]):
                return True
        if self.lived:  # "is it normal to ...? it happened twice today" is a report
            return False
        c_start = self.clause_of(start)[0]
        cues = [p for p in self.info if c_start <= p < start]
        if cues:
            # "when should I see a doctor about my numb groin" and "is it normal that landing makes
            # my sacrum scream" are still reports: the user owns the symptom after the cue.
            near = self.text[cues[0]:end]
            return not _OWNED.search(near)
        return False
