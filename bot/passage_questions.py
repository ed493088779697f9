"""Hand-written questions each corpus paragraph answers, as a retrieval signal ("doc2query" by hand).

Runners ask in lay words ("why does my back get tight when I sit all day and then run"); the
articles answer in theirs ("limited hip joint range of motion"). The small embedding model bridges
that gap poorly from either side, but it matches a question to a question well. So each paragraph of
the bundled corpus carries a few questions it answers (`data/passage_questions.yaml`), written by
people who saw the articles and no evaluation set; a chunk scores by its closest question.

Entries name a paragraph by its article id and first words (`anchor`), not by chunk, so they survive
re-chunking. A chunk gets the questions of every paragraph whose anchor it contains. An anchor that
no longer appears (an edited article) simply contributes nothing; `tests/test_passage_questions.py`
keeps the bundled file in step with the bundled corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from bot.errors import ConfigError
from bot.types import Chunk

BUNDLED = "data/passage_questions.yaml"


@dataclass(frozen=True)
class ParagraphQuestions:
    article_id: str
    anchor: str  # the paragraph's first words, verbatim
    questions: tuple[str, ...]


def load(path: Path | None = None) -> list[ParagraphQuestions]:
    """Read a questions file (default: the bundled one). A bad file is a ConfigError naming it."""
    where = str(path) if path else f"bot/{BUNDLED}"
    try:
        text = path.read_text(encoding="utf-8") if path else resources.files("bot").joinpath(BUNDLED).read_text(
            encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{where}: cannot read passage questions: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigError(f"{where}: expected a list of entries with article, anchor and questions")
    entries = []
    for n, item in enumerate(data, 1):
        if not (isinstance(item, dict) and isinstance(item.get("article"), str) and isinstance(item.get("anchor"), str)
                and isinstance(item.get("questions") or [], list)):
            raise ConfigError(f"{where}: entry {n} needs 'article' and 'anchor' strings and a 'questions' list")
        questions = tuple(str(q).strip() for q in item.get("questions") or [] if str(q).strip())
        entries.append(ParagraphQuestions(item["article"], item["anchor"], questions))
    return entries


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def by_chunk(entries: Iterable[ParagraphQuestions], chunks: Iterable[Chunk]) -> dict[str, list[str]]:
    """Chunk id -> the questions of every paragraph that starts inside it (whitespace folded)."""
    by_article: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_article.setdefault(chunk.article_id, []).append(chunk)
    folded: dict[str, str] = {}
    out: dict[str, list[str]] = {}
    for entry in entries:
        if not entry.questions:
            continue
        anchor = _folded(entry.anchor)
        for chunk in by_article.get(entry.article_id, []):
            if anchor in folded.setdefault(chunk.id, _folded(chunk.text)):
                out.setdefault(chunk.id, []).extend(entry.questions)
    return out
