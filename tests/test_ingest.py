"""Ingest: chunk metadata, incremental runs, bad input, near-duplicates; real model and real Chroma."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store import IndexSnapshot
from ingest.chunking import chunk_article, sections
from ingest.corpus import load_corpus
from ingest.pipeline import ingest
from tests.conftest import CORPUS, REPO


def _never_load():
    raise AssertionError("the model must not be loaded when nothing changed")


def test_chunks_stay_inside_one_section_with_offsets():
    for article in load_corpus(CORPUS).articles:
        spans = sections(article.body)
        for chunk in chunk_article(article, 700, 120):
            assert article.body[chunk.start:chunk.end] == chunk.text
            assert any(s.start <= chunk.start and chunk.end <= s.end and s.path == chunk.section for s in spans)
            assert len(chunk.text) <= 700
            assert "\n#" not in chunk.text and not chunk.text.startswith("#")


def test_chunk_ids_are_deterministic():
    article = load_corpus(CORPUS).articles[0]
    assert [c.id for c in chunk_article(article, 700, 120)] == [c.id for c in chunk_article(article, 700, 120)]


def test_index_carries_metadata(index_settings):
    snapshot = IndexSnapshot.open(index_settings)
    articles = {a.id: a for a in load_corpus(CORPUS).articles}
    assert len(snapshot.chunks) > 50
    for chunk in snapshot.chunks:
        article = articles[chunk.article_id]
        assert chunk.title == article.title
        assert article.body[chunk.start:chunk.end] == chunk.text
        assert chunk.author == article.author and chunk.publisher == article.publisher
    assert snapshot.manifest["config"]["model"] == "bundled:all-MiniLM-L6-v2"


def test_incremental_ingest(tmp_path, small_corpus, embedder):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    first = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert first.articles["added"] == 3 and first.embedded == first.chunks["added"] > 0

    started = time.perf_counter()
    again = ingest(settings, embedder_factory=_never_load, progress=False)
    assert not again.changed and again.embedded == 0 and again.articles["unchanged"] == 3
    assert time.perf_counter() - started < 3.0

    path = small_corpus / "running-and-spinal-disc-study.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Eventually they recruited", "They recruited"),
                    encoding="utf-8")
    changed = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert changed.articles == {"added": 0, "updated": 1, "removed": 0, "unchanged": 2}
    assert changed.embedded == changed.chunks["added"] >= 1 and changed.chunks["removed"] >= 1
    texts = [c.text for c in IndexSnapshot.open(settings).chunks]
    assert any("They recruited 79 adult" in t for t in texts)
    assert not any("Eventually they recruited" in t for t in texts)

    (small_corpus / "lower-back-pain-after-running.md").unlink()
    removed = ingest(settings, embedder_factory=_never_load, progress=False)
    assert removed.articles["removed"] == 1 and removed.embedded == 0
    assert {c.article_id for c in IndexSnapshot.open(settings).chunks} == {
        "runners-lower-back-pain", "running-and-spinal-disc-study"}

    (small_corpus / "new.md").write_text((CORPUS / "running-and-healthier-spinal-discs.md").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    added = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert added.articles["added"] == 1

    rebuilt = ingest(settings, rebuild=True, embedder_factory=lambda: embedder, progress=False)
    assert rebuilt.articles["added"] == 3 and rebuilt.embedded == len(IndexSnapshot.open(settings).chunks)


BAD_FILES = {
    "latin1.md": ("not UTF-8", b"---\nid: latin1\ntitle: x\nseed: s\n---\n\ncaf\xe9 au lait\n"),
    "empty.md": ("empty", b""),
    "nofront.md": ("missing YAML front matter", b"# Just a heading\n\nSome text.\n"),
    "badyaml.md": ("invalid YAML", b"---\nid: [unclosed\ntitle: x\n---\n\nBody text.\n"),
    "missingtitle.md": ("'title'", b"---\nid: missingtitle\nseed: s\n---\n\nBody text.\n"),
    "binary.md": ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
    "huge.md": ("5 MB", b"---\nid: huge\ntitle: Huge\nseed: s\n---\n\n" + b"word " * 1_100_000),
}


def test_bad_files_are_reported_and_the_rest_ingested(tmp_path, small_corpus, embedder):
    for name, (_, data) in BAD_FILES.items():
        (small_corpus / name).write_bytes(data)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    summary = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert summary.articles["added"] == 3
    problems = {Path(p.path).name: p.problem for p in summary.problems}
    assert set(problems) == set(BAD_FILES)
    for name, (expected, _) in BAD_FILES.items():
        assert expected in problems[name], (name, problems[name])


def test_broken_edit_keeps_previously_indexed_article(tmp_path, small_corpus, embedder):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    ingest(settings, embedder_factory=lambda: embedder, progress=False)
    before = {c.id for c in IndexSnapshot.open(settings).chunks}
    (small_corpus / "runners-lower-back-pain.md").write_bytes(b"\xff\xfe not text any more")
    summary = ingest(settings, embedder_factory=_never_load, progress=False)
    assert len(summary.problems) == 1
    assert {c.id for c in IndexSnapshot.open(settings).chunks} == before


def test_cli_prints_one_line_per_bad_file_and_exits_1(tmp_path, small_corpus):
    (small_corpus / "empty.md").write_bytes(b"")
    (small_corpus / "latin1.md").write_bytes(BAD_FILES["latin1.md"][1])
    run = subprocess.run([sys.executable, "-m", "ingest", "--quiet", "--corpus-dir", str(small_corpus),
                          "--data-dir", str(tmp_path / "data")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    skipped = [line for line in run.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 2
    assert any("empty.md: file is empty" in line for line in skipped)
    assert any("latin1.md: not UTF-8" in line for line in skipped)
    assert "articles 3 added" in run.stdout
    assert "Traceback" not in run.stderr


def test_near_duplicate_passages_stored_once_with_both_sources(tmp_path, small_corpus, embedder):
    source = (small_corpus / "running-and-spinal-disc-study.md").read_text(encoding="utf-8")
    copy = source.replace("id: running-and-spinal-disc-study", "id: reposted-disc-study").replace(
        "title: 'Running and Spinal Discs: The Deakin University Study'", "title: Reposted")
    (small_corpus / "reposted-disc-study.md").write_text(copy, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    summary = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert summary.duplicates
    chunks = IndexSnapshot.open(settings).chunks
    merged = [c for c in chunks if c.also_in]
    assert merged
    for chunk in merged:
        assert {s.article_id for s in chunk.sources} == {"running-and-spinal-disc-study", "reposted-disc-study"}
    texts = [c.text for c in chunks]
    assert len(texts) == len(set(texts))


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["embedding", "writing generation"])
def test_killed_ingest_never_leaves_a_half_written_index(tmp_path, small_corpus, embedder, kill_at):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    ingest(settings, embedder_factory=lambda: embedder, progress=False)
    before = IndexSnapshot.open(settings)
    n_before = len(before.chunks)
    del before
    # Enough new text that embedding and writing take a few seconds.
    paragraphs = [p for a in load_corpus(CORPUS).articles for p in a.body.split("\n\n") if len(p) > 200]
    for i in range(50):
        body = "\n\n".join(paragraphs[(i + k) % len(paragraphs)] + f" Variant {i}-{k}." for k in range(6))
        front = f"---\nid: bulk-{i:03d}\ntitle: Bulk {i}\nseed: s\n---\n\n"
        (small_corpus / f"bulk-{i:03d}.md").write_text(front + body + "\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "--corpus-dir", str(small_corpus), "--data-dir",
                             str(settings.data_dir)], cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True)
    deadline = time.time() + 240
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith(kill_at) or time.time() > deadline:
            break
    proc.kill()
    proc.wait(timeout=30)
    assert proc.returncode != 0, "ingest finished before it could be killed"

    after = IndexSnapshot.open(settings)
    assert len(after.chunks) == n_before  # the previous complete generation still serves
    assert after.collection.count() == n_before
    del after
    summary = ingest(settings, embedder_factory=lambda: embedder, progress=False)
    assert summary.articles["added"] == 50
    final = IndexSnapshot.open(settings)
    assert {c.article_id for c in final.chunks} >= {f"bulk-{i:03d}" for i in range(50)}
    assert final.collection.count() == len(final.chunks)
