"""Structure-aware chunking: split by Markdown section, then by size inside each section."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from bot.types import Chunk
from ingest.corpus import Article

# Bump when the chunking logic changes, so existing indexes are re-chunked on the next ingest.
CHUNKER_VERSION = 2
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$", re.M)


@dataclass(frozen=True)
class Section:
    path: str  # "Heading › Subheading"; "" for text before the first heading
    start: int
    end: int


def sections(body: str) -> list[Section]:
    """Spans of body text between headings, each named by its heading path."""
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    cursor, name = 0, ""
    for match in HEADING.finditer(body):
        if body[cursor:match.start()].strip():
            out.append(Section(name, cursor, match.start()))
        level = len(match.group(1))
        stack = [(lvl, title) for lvl, title in stack if lvl < level] + [(level, match.group(2))]
        name = " › ".join(title for _, title in stack)
        cursor = match.end()
    if body[cursor:].strip():
        out.append(Section(name, cursor, len(body)))
    return out


def chunk_id(article_id: str, section: str, text: str) -> str:
    return hashlib.sha256(f"{article_id}\x00{section}\x00{text}".encode()).hexdigest()[:24]


def chunk_article(article: Article, size: int, overlap: int) -> list[Chunk]:
    """Chunks never cross a section; each keeps its heading path and offsets into the body."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    for sec in sections(article.body):
        text = article.body[sec.start:sec.end]
        cursor = 0
        for piece in splitter.split_text(text):
            at = text.find(piece, max(0, cursor - overlap - len(piece)))
            if at < 0:  # splitter output is always a substring; guard anyway
                at = text.find(piece)
            start = sec.start + at
            cursor = at + len(piece)
            chunks.append(Chunk(
                id=chunk_id(article.id, sec.path, piece),
                article_id=article.id,
                title=article.title,
                section=sec.path,
                text=piece,
                start=start,
                end=start + len(piece),
                author=article.author,
                publisher=article.publisher,
            ))
    return chunks


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded and BM25-indexed: the verbatim text with its title and heading for context."""
    heading = f"{chunk.title}. {chunk.section}." if chunk.section else f"{chunk.title}."
    return f"{heading}\n{chunk.text}"
