"""Is an answer grounded in its sources? Sentence splitting, `[n]` markers, lexical support.

Shared by the LLM citation checker (which drops unsupported sentences at answer time) and by the
evaluation harness (which reports how many answer sentences their cited passages support).
Everything here is pure, deterministic and cheap: no model calls.

    >>> cited_numbers("Rest helps [1][3].")
    [1, 3]
    >>> support("Stretching the hamstrings helps.", "Stretch your hamstrings; it helps.")
    1.0
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CITATION_RE",
    "SUPPORT_THRESHOLD",
    "cited_numbers",
    "content_terms",
    "normalize",
    "split_sentences",
    "strip_citations",
    "support",
]

#: One citation marker: ``[1]`` or ``[1, 2]``; adjacent markers ``[1][2]`` are two matches.
CITATION_RE = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")

#: A sentence counts as supported when `support()` reaches this share of its content words.
SUPPORT_THRESHOLD = 0.6

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)

_ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "etc.",
    "vs.",
    "dr.",
    "mr.",
    "mrs.",
    "ms.",
    "prof.",
    "st.",
    "approx.",
    "fig.",
    "no.",
    "ca.",
    "cf.",
    "al.",
    "min.",
    "max.",
    "sec.",
    "hr.",
    "hrs.",
    "wk.",
    "wks.",
)
_PLACEHOLDER = "\u0000"

# A sentence ends at . ! ? (plus closing quotes/brackets and any trailing [n] markers) followed by
# whitespace and something that can start a sentence; blank lines and list items always split.
_SENTENCE_END = re.compile(
    r"""([.!?]["')\u201d\u2019]*(?:[ \t]*\[\s*\d+(?:\s*,\s*\d+)*\s*\])*)\s+"""
    r"""(?=["'(\u201c\u2018]?[A-Z0-9])"""
)
_SPLIT_MARK = "\u0001"
_HEADING = re.compile(r"(?m)^([ \t]*#{1,6}[ \t].*)$")
_BLOCK_SPLIT = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*\u2022]|\d+[.)])\s)")

_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further get
gets got had has have having he her here hers herself him himself his how i if in into is it its
itself just let me might more most much must my myself no nor not now of off on once only or
other our ours ourselves out over own per same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up upon us
very was we were what when where which while who whom why will with within without would you
your yours yourself yourselves see may often usually many one two according source sources article
says said say
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def normalize(text: str) -> str:
    """Lower-case, NFKC, straight quotes, ASCII hyphens for every dash, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split answer text into sentences, keeping each sentence's trailing `[n]` markers with it.

    Paragraph breaks and list items always end a sentence; common abbreviations ("e.g.", "Dr.")
    and decimals do not. Markdown bullets and heading hashes are removed from the start of each
    sentence. Empty pieces are dropped.
    """
    sentences: list[str] = []
    text = _HEADING.sub(r"\n\n\1\n\n", text)  # a Markdown heading is its own sentence
    for block in _BLOCK_SPLIT.split(text):
        block = block.strip()
        if not block:
            continue
        protected = block
        for abbr in _ABBREVIATIONS:
            pattern = re.compile(r"(?<![A-Za-z])" + re.escape(abbr), re.IGNORECASE)
            protected = pattern.sub(lambda m: m.group(0).replace(".", _PLACEHOLDER), protected)
        marked = _SENTENCE_END.sub(lambda m: m.group(1) + _SPLIT_MARK, protected)
        for piece in marked.split(_SPLIT_MARK):
            piece = piece.replace(_PLACEHOLDER, ".")
            piece = re.sub(r"^\s*(?:[-*\u2022]|#+|\d+[.)])\s+", "", piece)
            piece = re.sub(r"\s+", " ", piece).strip()
            if piece:
                sentences.append(piece)
    return sentences


def cited_numbers(sentence: str) -> list[int]:
    """The citation numbers in a sentence, in order of first appearance, without repeats."""
    seen: list[int] = []
    for match in CITATION_RE.finditer(sentence):
        for part in match.group(1).split(","):
            n = int(part)
            if n not in seen:
                seen.append(n)
    return seen


def strip_citations(text: str) -> str:
    """Remove `[n]` markers and the space before them; tidy spaces left before punctuation."""
    text = re.sub(r"[ \t]*" + CITATION_RE.pattern, "", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _stem(word: str) -> str:
    """A deliberately light stemmer: plural, then one of -ing/-ed/-ly/-ness/-ment, then final -e."""
    if len(word) >= 5 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) >= 5 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        word = word[:-2]
    elif len(word) >= 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, min_len in (("ness", 7), ("ment", 8), ("ied", 5), ("ing", 6), ("ly", 5), ("ed", 5)):
        if word.endswith(suffix) and len(word) >= min_len:
            if suffix == "ied":
                return word[:-3] + "y"
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] != "s":
                word = word[:-1]  # running -> run, stopped -> stop
            break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def content_terms(text: str) -> list[str]:
    """Stemmed content words of `text` in order (markers, stopwords, 1-letter tokens removed)."""
    words = re.findall(r"[a-z0-9]+(?:'[a-z]+)?", normalize(strip_citations(text)))
    terms = []
    for word in words:
        word = word.split("'")[0]
        if len(word) < 2 or word in _STOPWORDS:
            continue
        terms.append(_stem(word))
    return terms


def support(sentence: str, passage_text: str) -> float:
    """Share of the sentence's distinct content words that also occur in the passage, in [0, 1].

    Both texts are normalised (case, quotes, dashes, whitespace), `[n]` markers and stopwords are
    removed and words are lightly stemmed, so "Runners stretched" is supported by "runner
    stretches". A sentence with no content words at all (e.g. "See [1].") scores 1.0: it claims
    nothing. Compare the result with `SUPPORT_THRESHOLD`.
    """
    terms = set(content_terms(sentence))
    if not terms:
        return 1.0
    available = set(content_terms(passage_text))
    return len(terms & available) / len(terms)
