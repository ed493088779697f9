"""Conservative query spelling correction against the corpus vocabulary ("exersises" -> "exercises").

Only words of six letters or more that neither the corpus nor the embedding model's vocabulary knows
are touched (so "stocks" is never turned into "socks"), and only when exactly one best-known corpus
word is one edit away. Everything else passes through unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from bot.text import normalise

_WORD = re.compile(r"[A-Za-z]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts)


class Speller:
    def __init__(self, texts: Iterable[str], extra_words: Iterable[str] = (), min_count: int = 2,
                 known_words: frozenset[str] = frozenset()) -> None:
        self.known = known_words
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(w for w in _WORD.findall(normalise(text)))
        for word in extra_words:
            counts[normalise(word)] += min_count
        self.counts = counts
        self.min_count = min_count

    def correct_word(self, word: str) -> str:
        low = word.lower()
        if len(low) < 6 or low in self.counts or low in self.known:
            return word
        options = [(self.counts[c], c) for c in _edits1(low) if self.counts.get(c, 0) >= self.min_count]
        if not options:
            return word
        options.sort(reverse=True)
        if len(options) > 1 and options[0][0] == options[1][0]:
            return word  # a tie is a guess
        return options[0][1]

    def correct(self, text: str) -> str:
        return _WORD.sub(lambda m: self.correct_word(m.group(0)), text)
