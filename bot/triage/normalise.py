"""Layer 1: normalise a user message (case, quotes, contractions, typos, light fuzzy spelling)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'",
                         "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": " - ",
                         "\u2026": "...", "\u00a0": " "})
_WORD = re.compile(r"[a-z][a-z'\-]*")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_REPEATS = re.compile(r"(?!\baaa\b)([a-z])\1{2,}")  # "sooooo" -> "soo"; "AAA" (aortic aneurysm) stays
# "it hurts at night... because the toddler kicks" is one sentence: an ellipsis before a
# continuing word does not end it.
_CONTINUING = "in|on|at|because|cause|coz|cos|but|and|or|when|while|from|after|since|with|by|so|then"
_TRAILING_DOTS = re.compile(rf"\.{{2,}}\s+(?=(?:{_CONTINUING})\b)")
_SCARE_QUOTE = re.compile(r"(?<![a-z])'(?=[a-z])|(?<=[a-z])'(?![a-z])(?<!s')")  # "'wobbly'" -> "wobbly"
_ASIDE_QUESTION = re.compile(r"\(([^()?!]{1,40})[?!]+\)")  # "(perineum?)", "(2 hours!)" end no sentence


class Normaliser:
    """Turns raw chat text into the canonical lower-case form the patterns are written for."""

    def __init__(self, rules: dict[str, Any], known_words: frozenset[str] = frozenset()) -> None:
        # Real words (the embedding model's vocabulary) are never "corrected": "stinging" is not a
        # typo of "tingling".
        self._known = known_words
        self._contractions = [(re.compile(p), r) for p, r in rules.get("contractions") or []]
        self._typos = {str(k).lower(): str(v).lower() for k, v in (rules.get("typos") or {}).items()}
        # A few clinical words of the languages runners mix in, after accents are folded.
        self._typos.update({_fold(str(k).lower()): str(v).lower()
                            for k, v in (rules.get("translations") or {}).items()})
        self._foreign = [(re.compile(p), r) for p, r in rules.get("foreign_phrases") or []]
        self._protect = {str(w).lower() for w in rules.get("fuzzy_protect") or []}
        targets = [str(w).lower() for w in rules.get("fuzzy_targets") or []]
        self._targets = set(targets)
        self._deletes: dict[str, str] = {}
        for word in targets:
            if len(word) < 6:
                continue
            for variant in _deletes(word):
                self._deletes.setdefault(variant, word)
        self._fix = lru_cache(maxsize=8192)(self._fix_word)

    def __call__(self, text: str) -> str:
        text = _fold(text.translate(_QUOTES).lower())
        for pattern, repl in self._foreign:
            text = pattern.sub(repl, text)
        text = _REPEATS.sub(r"\1\1", text)
        text = _ASIDE_QUESTION.sub(r"(\1)", text)
        text = _SCARE_QUOTE.sub("", text)
        text = _TRAILING_DOTS.sub(" ", text)
        for pattern, repl in self._contractions:
            text = pattern.sub(repl, text)
        text = _WORD.sub(lambda m: self._fix(m.group(0)), text)
        text = _SPACES.sub(" ", text)
        return text.strip()

    def _fix_word(self, word: str) -> str:
        if word in self._typos:
            return self._typos[word]
        bare = word.strip("'-")
        if bare != word and bare in self._typos:
            return self._typos[bare]
        if (len(bare) < 6 or bare in self._targets or bare in self._protect or bare in self._known
                or "'" in bare):
            return word
        hit = self._deletes.get(bare)
        if hit is not None and abs(len(hit) - len(bare)) <= 1:
            return word if _inflection(hit, bare) else hit
        for variant in _deletes(bare):
            hit = self._deletes.get(variant)
            if hit is not None and len(hit) >= len(bare) - 1:
                return word if _inflection(hit, bare) else hit
        return word


def _fold(text: str) -> str:
    """Latin letters without their accents ("pipì" -> "pipi", "Fuß" -> "fuss"); other scripts and
    emoji are left alone."""
    if text.isascii():
        return text
    text = text.replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _inflection(target: str, word: str) -> bool:
    """The word is the target's singular or plural ("buttock" / "buttocks"): not a typo."""
    return target in (word + "s", word + "es") or word in (target + "s", target + "es")


def _deletes(word: str) -> set[str]:
    """All strings one deleted letter away (plus the word itself): the SymSpell trick."""
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}
