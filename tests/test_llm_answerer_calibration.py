"""Calibration of the LLM citation check on hand-written sentences about real corpus passages.

Run `pytest tests/test_llm_answerer_calibration.py -s` to print each sentence's scores. Passages:
[1]-[5] are "Runner's Lower Back Pain" (intro, lasting pain, pain down the leg, repetitive stress,
core exercises), [6]-[7] the Deakin spinal-disc study. Labels: S close wording, P looser paraphrase
(both supported), U invented in corpus vocabulary, N negation flipped, W wrong passage cited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.answerers.citation_check import CitationChecker
from bot.answerers.extractive import SentenceBank
from bot.grounding import strip_citations
from bot.types import Passage
from ingest.chunking import chunk_article
from ingest.corpus import load_corpus

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

CASES = [
    ("S", "Lower back pain and stiffness that does not go away can signify a serious problem [1]."),
    ("S", "A muscular sprain or strain should heal within a few weeks at most [2]."),
    ("S", "Lower back pain lasting longer than a few weeks may be a sign of a more serious spinal condition [2]."),
    ("S", "Pain that extends down the leg may mean a herniated disc or degeneration in the lower back [3]."),
    ("S", "If you have leg numbness or weakness, get evaluated by a spine care professional [3]."),
    ("S", "Planks target your core, abs and back muscles as well as your glutes and hamstrings [5]."),
    ("S", "If you have back pain, try switching to low-impact exercises such as swimming, walking or cycling [5]."),
    ("S", "Spondylolisthesis and degenerative disc disease usually arise in older runners aged 40 to 60 [4]."),
    ("S", "The Deakin University study recruited 79 adult men and women, two-thirds of them runners [7]."),
    ("P", "Your core muscles help support the spine when you run [2]."),
    ("P", "Most training aches go away after a few days of rest [2]."),
    ("P", "Weak core muscles leave the spine more vulnerable to injury [5]."),
    ("P", "Tight hamstrings and hip muscles can restrict your stride and affect your lower back [5]."),
    ("P", "In mice, running on treadmills for several weeks made their spinal discs larger [6]."),
    ("P", "Scientists used to think running might harm spinal discs [6]."),
    ("P", "Repeated pounding from running can make spine problems such as spondylolisthesis worse [4]."),
    ("U", "Running for more than 30 miles a week causes degenerative disc disease in most runners [4]."),
    ("U", "Lower back pain that lasts more than two days always needs surgery [2]."),
    ("U", "Swiss ball pikes cure herniated discs within a week [5]."),
    ("U", "Stretching your calves before every run prevents lower back pain [5]."),
    ("U", "The Deakin study found that runners had thinner spinal discs than non-runners [7]."),
    ("U", "Sciatica is best treated with bed rest and heat packs [3]."),
    ("U", "Runners should avoid planks because they strain the lower back [5]."),
    ("U", "You should see a chiropractor if your pain extends down the leg [3]."),
    ("U", "Mice that ran on treadmills developed herniated discs [6]."),
    ("N", "Lower back pain lasting longer than a few weeks is not a sign of a serious spinal condition [2]."),
    ("N", "Leg numbness or weakness can be ignored [3]."),
    ("N", "Muscular sprains never heal within a few weeks [2]."),
    ("W", "The Deakin University study recruited 79 adult men and women [2]."),
    ("W", "Planks target your core, abs and back muscles [3]."),
]


@pytest.fixture(scope="module")
def checker(embedder: Any) -> CitationChecker:
    articles = {a.id: a for a in load_corpus(CORPUS).articles}
    chunks = (chunk_article(articles["runners-lower-back-pain"], 1400, 240)
              + chunk_article(articles["running-and-spinal-disc-study"], 1400, 240))
    assert len(chunks) == 7
    return CitationChecker([Passage(c, 1.0) for c in chunks], embedder=embedder,
                           bank=SentenceBank(chunks, embedder))


def test_calibration(checker: CitationChecker) -> None:
    kept: dict[str, list[bool]] = {}
    print(f"\n{'':2} {'support':>7} {'best':>5} {'cosine':>6}  verdict")
    for label, sentence in CASES:
        v = checker.check(sentence)
        best = max((e.score for e in v.evidence), default=0.0)
        cosine = checker._cosine(strip_citations(sentence), v.numbers) if v.numbers else None
        print(f"{label:2} {v.support:7.2f} {best:5.2f} {cosine or 0:6.2f}  {v.reason:<11} {sentence[:70]}")
        kept.setdefault(label, []).append(v.kept)
    share = {label: sum(flags) / len(flags) for label, flags in kept.items()}
    print({label: f"{sum(kept[label])}/{len(kept[label])} kept" for label in kept})
    # Measured: S 7/9, P 7/7, U 1/9, N 1/3, W 0/2 (the misses: two idioms read as negations,
    # "shouldn't take long" and "don't hesitate"; one invented claim in passage words, "chiropractor").
    # support >= 0.6 alone (grounding.SUPPORT_THRESHOLD) keeps S 9/9, P 7/7 but also U 4/9, N 3/3, W 0/2.
    assert share["S"] >= 0.75 and share["P"] >= 0.85
    assert share["U"] <= 0.25 and share["N"] <= 0.34 and share["W"] == 0
