"""Hand-written passage questions: the bundled file matches the bundled corpus, and the signal ranks."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest

from bot import passage_questions
from bot.errors import ConfigError
from bot.retrieval import Retriever
from ingest.corpus import load_corpus

REPO = Path(__file__).resolve().parent.parent


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_paragraph_of_the_bundled_corpus_has_an_entry_whose_anchor_is_in_it() -> None:
    entries = passage_questions.load()
    articles = {a.id: a for a in load_corpus(REPO / "corpus").articles}
    assert {e.article_id for e in entries} == set(articles)
    anchors: dict[str, list[str]] = {}
    for entry in entries:
        assert _folded(entry.anchor) in _folded(articles[entry.article_id].body), entry
        anchors.setdefault(entry.article_id, []).append(_folded(entry.anchor))
        assert not entry.questions or len(entry.questions) >= 3, entry
    for article_id, article in articles.items():
        assert len(set(anchors[article_id])) == len(anchors[article_id]), article_id
        paragraphs = [p for p in re.split(r"\n\s*\n", article.body) if p.strip() and not p.lstrip().startswith("#")]
        for paragraph in paragraphs:
            assert any(a in _folded(paragraph) for a in anchors[article_id]), (article_id, paragraph[:60])
    assert sum(len(e.questions) for e in entries) >= 3 * len(entries)  # a few paragraphs answer nothing


def test_every_chunk_of_the_bundled_index_gets_questions(assistant) -> None:
    entries = passage_questions.load()
    by_chunk = passage_questions.by_chunk(entries, assistant.snapshot.chunks)
    without = [c for c in assistant.snapshot.chunks if c.id not in by_chunk]
    assert len(without) <= 2  # a chunk holding only introductions ("try the following exercises:")
    for chunk in without:
        inside = [e for e in entries if e.article_id == chunk.article_id and _folded(e.anchor) in _folded(chunk.text)]
        assert inside and not any(e.questions for e in inside), chunk.text[:80]
    passages = assistant.retriever.search("does core work help a sore back", k=5)
    assert all(p.question_score is not None for p in passages)


def test_the_questions_find_a_passage_the_article_words_do_not(assistant) -> None:
    """The hip mobility paragraph says "limited hip joint range of motion"; a runner says "tight hips"."""
    question = "can tight hips be the reason my back hurts when I run"
    query = assistant.retrieval_query(question)
    without = copy.copy(assistant.retriever)
    without.question_weight = 0.0

    def rank(retriever: Retriever) -> int:
        passages = retriever.search(query, k=10, query_vector=assistant.embedder.encode_query(query))
        return next((i for i, p in enumerate(passages) if "hip joint range of motion" in p.text), 99)

    assert rank(assistant.retriever) == 0
    assert rank(without) > 2


def test_a_chunk_found_only_by_its_questions_joins_the_pool(assistant, embedder) -> None:
    """Questions also nominate candidates: a chunk that neither dense nor BM25 would rank still competes."""
    snapshot = assistant.snapshot
    unrelated = next(c for c in snapshot.chunks if "stem cell" in c.text.lower())
    question = "which energy gels are easiest on the stomach"
    vectors = {unrelated.id: embedder.encode([question])}
    retriever = Retriever(snapshot, embedder, question_vectors=vectors)
    top = retriever.search(question, k=3)
    assert top[0].chunk.id == unrelated.id and top[0].question_score == pytest.approx(1.0, abs=1e-4)
    # the other chunks have no questions: they stand in with their best sentence, not with nothing
    assert all(p.question_score is None for p in top[1:])
    assert Retriever(snapshot, embedder).search(question, k=3)[0].chunk.id != unrelated.id


def test_chunks_without_questions_keep_their_order(assistant, embedder) -> None:
    """No questions at all (another corpus): the ranking is exactly the three-signal one."""
    snapshot, bank = assistant.snapshot, assistant.bank
    plain = Retriever(snapshot, embedder, sentence_vectors=bank.chunk_vectors(), question_weight=0.0)
    empty = Retriever(snapshot, embedder, sentence_vectors=bank.chunk_vectors(), question_vectors={})
    for text in ("how soon can I run after a back strain", "are planks good for runners"):
        assert [p.chunk.id for p in plain.search(text)] == [p.chunk.id for p in empty.search(text)]


def test_an_anchor_spanning_a_line_break_still_finds_its_chunk(assistant) -> None:
    chunk = next(c for c in assistant.snapshot.chunks if "\n- " in c.text)
    start = chunk.text.index("\n- ")
    anchor = chunk.text[max(0, start - 20):start + 15]
    entry = passage_questions.ParagraphQuestions(chunk.article_id, anchor.replace("\n", " \n  "), ("q1", "q2", "q3"))
    assert chunk.id in passage_questions.by_chunk([entry], assistant.snapshot.chunks)
    other = passage_questions.ParagraphQuestions("another-article", anchor, ("q",))
    assert passage_questions.by_chunk([other], assistant.snapshot.chunks) == {}


@pytest.mark.parametrize(("content", "message"), [
    (b"article: x\n", "expected a list"),
    (b"- article: x\n  questions: [a]\n", "entry 1 needs"),
    (b"- [unclosed\n", "cannot read"),
    (b"\xff\xfe\x00binary", "cannot read"),
])
def test_a_bad_questions_file_is_a_config_error_naming_it(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "questions.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as err:
        passage_questions.load(path)
    assert str(path) in str(err.value)


def test_a_missing_questions_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        passage_questions.load(tmp_path / "nope.yaml")


def test_the_setting_points_the_assistant_at_another_file(index_settings, embedder, tmp_path: Path) -> None:
    from bot.assistant import Assistant
    from bot.settings import Settings

    path = tmp_path / "questions.yaml"
    path.write_text("[]\n", encoding="utf-8")
    settings = Settings.from_env({"BACKTRACK_QUESTIONS_FILE": str(path)}, data_dir=index_settings.data_dir,
                                 corpus_dir=index_settings.corpus_dir)
    assert settings.questions_file == path
    assistant = Assistant(settings, embedder=embedder)
    passages = assistant.retriever.search("does core work help a sore back", k=3)
    assert passages and all(p.question_score is None for p in passages)
    assert assistant.retriever.question_scores(np.ones(embedder.dimension, np.float32)) == {}
