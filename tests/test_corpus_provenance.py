"""The curated corpus holds only seed text: every sentence comes from a seed, every seed paragraph is accounted for."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.grounding import normalize, split_sentences
from ingest.corpus import load_corpus
from tests.conftest import CORPUS, SEEDS

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed files not found at {SEEDS}")


def _seed_text() -> str:
    return " ".join(normalize(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt")))


def _norm_body(text: str) -> str:
    return re.sub(r"(?m)^#{1,6}\s+", "", text)  # heading markers are Markdown, not words


def _strip_bullet(line: str) -> str:
    return re.sub(r"^\s*(?:•|- )\s*", "", line)


def test_corpus_loads_with_valid_front_matter():
    load = load_corpus(CORPUS)
    assert not load.problems
    assert len(load.articles) >= 12
    ids = [a.id for a in load.articles]
    assert len(ids) == len(set(ids))
    seeds = {p.name for p in SEEDS.glob("*.txt")}
    for article in load.articles:
        assert article.seed in seeds
        assert set(article.duplicate_seeds) <= seeds
        if article.title_inferred:
            assert article.title  # a descriptive title was written


def test_every_corpus_sentence_is_in_the_seeds():
    seeds = _seed_text()
    missing = []
    for article in load_corpus(CORPUS).articles:
        for sentence in split_sentences(_norm_body(article.body)):
            if normalize(sentence) not in seeds:
                missing.append((article.id, sentence))
    assert not missing, missing[:5]


def test_every_corpus_word_is_a_seed_word():
    seed_words = set(re.findall(r"[a-z0-9']+", _seed_text()))
    for article in load_corpus(CORPUS).articles:
        words = set(re.findall(r"[a-z0-9']+", normalize(_norm_body(article.body))))
        words -= {"-"}
        assert words <= seed_words, (article.id, sorted(words - seed_words)[:10])


def test_every_seed_paragraph_is_in_the_corpus_or_listed_as_removed():
    corpus = " ".join(normalize(re.sub(r"(?m)^- ", "", _norm_body(a.body))) for a in load_corpus(CORPUS).articles)
    corpus += " " + " ".join(normalize(a.title) for a in load_corpus(CORPUS).articles)
    removed = yaml.safe_load((CORPUS / "removed.yaml").read_text(encoding="utf-8"))
    removed_text = {normalize(_strip_bullet(r["text"])) for r in removed}
    assert all(r["reason"] for r in removed)
    unaccounted = []
    for path in sorted(SEEDS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            paragraph = normalize(_strip_bullet(line))
            if not paragraph or paragraph in removed_text:
                continue
            # footnote digits glued to a sentence end were dropped ("pace.1" -> "pace.")
            sentences = split_sentences(re.sub(r"(?<=[a-z0-9])\.\d(?=\s|$)", ".", paragraph))
            if not all(normalize(s) in corpus for s in sentences):
                unaccounted.append((path.name, paragraph[:80]))
    assert not unaccounted, unaccounted[:5]


def test_duplicated_article_appears_once():
    bodies = [normalize(a.body) for a in load_corpus(CORPUS).articles]
    marker = normalize("Trained runners or people who run regularly are well-versed in the aches and pains")
    assert sum(marker in b for b in bodies) == 1


def test_clutter_is_not_in_the_corpus():
    text = " ".join(normalize(a.body) for a in load_corpus(CORPUS).articles)
    for clutter in ("(386) 255-4596", "leave a reply", "comments are closed", "in this article:",
                    "photo credit", "click the 'allow' button", "about the author", "schedule an appointment"):
        assert normalize(clutter) not in text, clutter
