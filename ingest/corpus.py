"""Load and validate the curated corpus: one Markdown file per article with YAML front matter."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import CorpusError

MAX_BYTES = 5 * 1024 * 1024
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED = {"id": str, "title": str, "seed": str}
OPTIONAL = {"author": str, "publisher": str, "title_inferred": bool, "duplicate_seeds": list}
SKIPPED_NAMES = {"README.md"}
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when libyaml is present


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str  # Markdown after the front matter; chunk offsets index into this
    seed: str
    path: Path
    author: str | None = None
    publisher: str | None = None
    title_inferred: bool = False
    duplicate_seeds: tuple[str, ...] = ()
    digest: str = ""  # sha256 of the file bytes, for incremental ingest


@dataclass
class CorpusLoad:
    articles: list[Article] = field(default_factory=list)
    problems: list[CorpusError] = field(default_factory=list)
    failed_ids: set[str] = field(default_factory=set)  # ids we could still read from broken files


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(str(corpus_dir), "corpus directory not found")
    return sorted(p for p in corpus_dir.glob("*.md") if p.name not in SKIPPED_NAMES and not p.name.startswith("_"))


def parse_article(path: Path, data: bytes) -> Article:
    """Validate one file's bytes; raises CorpusError naming the file and the problem."""
    name = str(path)
    if len(data) > MAX_BYTES:
        raise CorpusError(name, f"file is {len(data) / 1048576:.1f} MB; the limit is 5 MB")
    if not data.strip():
        raise CorpusError(name, "file is empty")
    if b"\x00" in data[:8192]:
        raise CorpusError(name, "binary file (contains NUL bytes), not Markdown text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = f"0x{data[exc.start]:02x}"
        raise CorpusError(name, f"not UTF-8 text (invalid byte {bad} at offset {exc.start})") from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    match = re.match(r"^---\n(.*?)\n---\n", text, flags=re.S)
    if not match:
        raise CorpusError(name, "missing YAML front matter (the file must start with a '---' block)")
    try:
        meta = yaml.load(match.group(1), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise CorpusError(name, f"invalid YAML front matter: {str(exc).splitlines()[0]}") from None
    if not isinstance(meta, dict):
        raise CorpusError(name, "front matter must be a mapping of fields")
    for key, kind in REQUIRED.items():
        if not isinstance(meta.get(key), kind) or not str(meta.get(key)).strip():
            raise CorpusError(name, f"front matter field '{key}' is missing or not a non-empty {kind.__name__}")
    for key, kind in OPTIONAL.items():
        if key in meta and not isinstance(meta[key], kind):
            raise CorpusError(name, f"front matter field '{key}' must be a {kind.__name__}")
    unknown = set(meta) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise CorpusError(name, f"unknown front matter field(s): {', '.join(sorted(unknown))}")
    if not SLUG.match(meta["id"]):
        raise CorpusError(name, f"id {meta['id']!r} is not a slug (lowercase letters, digits, hyphens)")
    body = text[match.end():].strip("\n")
    if not body.strip():
        raise CorpusError(name, "article has front matter but no body text")
    return Article(
        id=meta["id"],
        title=meta["title"].strip(),
        body=body,
        seed=meta["seed"],
        path=path,
        author=meta.get("author"),
        publisher=meta.get("publisher"),
        title_inferred=bool(meta.get("title_inferred", False)),
        duplicate_seeds=tuple(meta.get("duplicate_seeds", ())),
        digest=hashlib.sha256(data).hexdigest(),
    )


def load_corpus(corpus_dir: Path) -> CorpusLoad:
    """Every valid article, plus one problem per unusable file; duplicate ids are problems too."""
    result = CorpusLoad()
    seen: dict[str, Path] = {}
    for path in corpus_files(corpus_dir):
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CorpusError(str(path), f"file is {path.stat().st_size / 1048576:.1f} MB; the limit is 5 MB")
            article = parse_article(path, path.read_bytes())
        except CorpusError as problem:
            result.problems.append(problem)
            result.failed_ids.add(path.stem)
            continue
        except OSError as exc:
            result.problems.append(CorpusError(str(path), f"cannot read file: {exc.strerror}"))
            result.failed_ids.add(path.stem)
            continue
        if article.id in seen:
            other = seen[article.id].name
            result.problems.append(CorpusError(str(path), f"duplicate id {article.id!r} (also in {other})"))
            continue
        seen[article.id] = path
        result.articles.append(article)
    return result
