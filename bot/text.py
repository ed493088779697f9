"""Small text helpers shared by retrieval, scope and answer stages."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from bot.grounding import normalize

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves get got also really much many thing things im ive id dont
doesnt cant
""".split())

_stemmer = Stemmer.Stemmer("english")

# British spellings folded to the American ones the articles mostly use ("centralising" must meet
# "centralizes"). Applied to corpus and query alike, so a rule that over-reaches only renames a word
# on both sides; the prefixes are long enough that no two real words merge.
_US_SPELLING = [
    (re.compile(r"^(\w{3,})is(e|es|ed|ing|ation|ations)$"), r"\1iz\2"),
    (re.compile(r"^(\w{3,})ys(e|es|ed|ing)$"), r"\1yz\2"),
    (re.compile(r"^(\w{3,})our(s|ed|ing|ite|ites|able|al)?$"), r"\1or\2"),
    (re.compile(r"^(\w{2,})([tb])re(s?)$"), r"\1\2er\3"),
    (re.compile(r"^(\w{2,}[aeiou])ll(ed|ing)$"), r"\1l\2"),
    (re.compile(r"(haem|paed|anaem|ischaem|leukaem|oedem|oesoph|oestr|diarrhoe)"),
     lambda m: m.group(1).replace("ae", "e").replace("oe", "e")),
    (re.compile(r"^programme(s?)$"), r"program\1"),
]


def us_spelling(word: str) -> str:
    """The American spelling of a British-spelt word (unchanged when no rule applies)."""
    for pattern, repl in _US_SPELLING:
        word = pattern.sub(repl, word)
    return word


def normalise(text: str) -> str:
    """Fold case, Unicode forms, curly quotes, dashes and whitespace (one definition: grounding's)."""
    return normalize(text)


@lru_cache(maxsize=20000)
def stem(word: str) -> str:
    return _stemmer.stemWord(us_spelling(word))


def tokens(text: str) -> list[str]:
    """Stemmed content words (stopwords removed), the unit for BM25 and lexical overlap."""
    words = _WORD.findall(normalise(text))
    return [stem(w.replace("'", "")) for w in words if w not in STOPWORDS and w.replace("'", "") not in STOPWORDS]
