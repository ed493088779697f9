"""FeedbackStore: what is stored (and what is not), replacement, WAL, lock retries, CSV export."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.feedback import EXPORT_COLUMNS, FeedbackStore, citation_pairs
from bot.settings import REPO_ROOT
from bot.types import Citation


def test_records_rating_route_and_citations_only(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record("r1", "up", "answer", [("c1", "Lower Back Pain When Running"), ("c2", "Core work")])
    [rec] = store.records()
    assert (rec.reply_id, rec.rating, rec.route) == ("r1", "up", "answer")
    assert rec.citations == (("c1", "Lower Back Pain When Running"), ("c2", "Core work"))
    assert rec.created.endswith("+00:00")
    with sqlite3.connect(tmp_path / "fb.sqlite3") as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(feedback)")]
        assert columns == ["reply_id", "rating", "route", "citations", "created"]  # no message text
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rating_again_replaces(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record("r1", "up", "answer")
    store.record("r1", "down", "answer")
    assert [(r.reply_id, r.rating) for r in store.records()] == [("r1", "down")]


@pytest.mark.parametrize("reply_id, rating", [("", "up"), ("r", "meh"), (None, "up"), ("x" * 101, "up")])
def test_rejects_bad_values(tmp_path: Path, reply_id: object, rating: str) -> None:
    with pytest.raises(ValueError):
        FeedbackStore(tmp_path / "fb.sqlite3").record(reply_id, rating, "answer")  # type: ignore[arg-type]


def test_waits_for_a_writer_holding_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    store = FeedbackStore(path, timeout=0.05)  # short busy timeout so the retry loop is exercised
    blocker = sqlite3.connect(path, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("INSERT INTO feedback VALUES ('other', 'up', 'answer', '[]', '2020-01-01T00:00:00+00:00')")
    threading.Timer(0.3, blocker.commit).start()
    started = time.monotonic()
    store.record("r1", "up", "answer")
    assert time.monotonic() - started >= 0.2
    assert {r.reply_id for r in store.records()} == {"other", "r1"}
    blocker.close()


def test_concurrent_writers(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    threads = [threading.Thread(target=lambda i=i: store.record(f"r{i}", "up", "answer")) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.records()) == 20


def test_export_csv(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record("r1", "up", "answer", [("c1", "Title, with comma"), ("c2", "Other")])
    store.record("r2", "down", "triage", [])
    out = io.StringIO()
    assert store.export_csv(out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    by_id = {r[1]: r for r in rows[1:]}
    assert by_id["r1"][2:] == ["up", "answer", "c1 | c2", "Title, with comma | Other"]
    assert by_id["r2"][2:] == ["down", "triage", "", ""]


def test_export_script(tmp_path: Path) -> None:
    db = tmp_path / "fb.sqlite3"
    FeedbackStore(db).record("r1", "up", "answer", [("c1", "T")])
    out = tmp_path / "out.csv"
    done = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "export_feedback.py"),
                           "--feedback-db", str(db), "--out", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "exported 1 rating" in done.stderr
    assert out.read_text().splitlines()[1].endswith("r1,up,answer,c1,T")
    missing = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "export_feedback.py"),
                              "--feedback-db", str(tmp_path / "none.sqlite3")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "no feedback file" in missing.stderr


def test_citation_pairs_from_objects_and_dicts() -> None:
    c = Citation(n=1, article_id="a1", title="T", section="", quote="q", chunk_id="k1")
    assert citation_pairs([c]) == [("k1", "T")]
    assert citation_pairs([{"article_id": "a2", "title": "U", "chunk_id": ""}]) == [("a2", "U")]
