"""bot.grounding: sentence splitting, citation markers and lexical support."""

from __future__ import annotations

import pytest

from bot.grounding import (
    CITATION_RE,
    SUPPORT_THRESHOLD,
    cited_numbers,
    content_terms,
    normalize,
    split_sentences,
    strip_citations,
    support,
)


def test_split_keeps_trailing_markers_with_their_sentence() -> None:
    text = "Rest for 2.5 days, e.g. a weekend [1]. Then run again.[2] See Dr. Smith!"
    assert split_sentences(text) == [
        "Rest for 2.5 days, e.g. a weekend [1].",
        "Then run again.[2]",
        "See Dr. Smith!",
    ]


def test_split_breaks_paragraphs_and_list_items() -> None:
    text = "Try these:\n- Ice it [1, 3]\n- Heat it [2][3].\n\n## Next\nDone."
    assert split_sentences(text) == [
        "Try these:",
        "Ice it [1, 3]",
        "Heat it [2][3].",
        "Next",
        "Done.",
    ]


def test_split_empty() -> None:
    assert split_sentences("  \n\n ") == []


@pytest.mark.parametrize(
    ("sentence", "numbers"),
    [
        ("No markers here.", []),
        ("One [1].", [1]),
        ("Grouped [1, 2] and [ 3 ].", [1, 2, 3]),
        ("Adjacent [2][1] then again [2].", [2, 1]),
        ("Not a marker [a] or [1.5].", []),
    ],
)
def test_cited_numbers(sentence: str, numbers: list[int]) -> None:
    assert cited_numbers(sentence) == numbers


def test_citation_re_matches_each_adjacent_marker() -> None:
    assert [m.group(0) for m in CITATION_RE.finditer("x [1][2] y [3, 4]")] == [
        "[1]",
        "[2]",
        "[3, 4]",
    ]


def test_strip_citations() -> None:
    assert strip_citations("Heat it [2][3]. Then [1, 2] rest .") == "Heat it. Then rest."


def test_normalize_quotes_dashes_whitespace() -> None:
    assert normalize("Don\u2019t  \u201cstop\u201d\u2014RUN\n") == 'don\'t "stop"-run'


def test_content_terms_drop_stopwords_and_stem() -> None:
    assert content_terms("The runners were stretching their hamstrings [1].") == [
        "runner",
        "stretch",
        "hamstr",
    ]


def test_support_full_partial_none() -> None:
    passage = "A runner stretches the hamstring daily to ease lower back pain."
    assert support("Runners stretched their hamstrings [1].", passage) == 1.0
    assert support("Runners should consult a surgeon.", passage) == pytest.approx(1 / 3)
    assert support("Surgery fixes discs.", passage) == 0.0


def test_support_sentence_without_content_claims_nothing() -> None:
    assert support("See [1].", "anything") == 1.0


def test_support_is_bounded_and_threshold_sane() -> None:
    assert 0 < SUPPORT_THRESHOLD < 1
    assert 0.0 <= support("core strength matters for runners", "") <= 1.0
