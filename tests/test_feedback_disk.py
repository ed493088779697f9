"""Feedback when the disk is full or the file is read-only: a clear 507/503, and chat keeps working."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_server_support import built_settings, shared_assistant

from bot.feedback import FeedbackNotSaved, FeedbackStore
from bot.server import create_app

QUESTION = "What stretches help lower back pain from running?"


class FullDiskStore(FeedbackStore):
    """Once set up, every connection is capped at the file's current size, as if the disk had just filled up."""

    capped = False

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.capped = True

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        if self.capped:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn


class ReadOnlyStore(FeedbackStore):
    """Connections that can read but not write (a read-only mount or file)."""

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            return super()._connect()
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self.timeout)


def _fill(store: FeedbackStore) -> None:
    """Write ratings until the capped file refuses one (bounded)."""
    for i in range(10_000):
        try:
            store.record(f"fill{i}", "up", "answer", [("c" * 40, "t" * 200)])
        except FeedbackNotSaved:
            return
    raise AssertionError("the capped database never filled up")


def test_full_disk_raises_feedback_not_saved(tmp_path: Path) -> None:
    store = FullDiskStore(tmp_path / "fb.sqlite3")
    _fill(store)
    with pytest.raises(FeedbackNotSaved) as caught:
        store.record("r1", "up", "answer", [("c" * 40, "t" * 200)] * 20)
    assert caught.value.full and "could not be saved" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)  # the path goes to the log (detail), not to users
    assert "fb.sqlite3" in caught.value.detail and "full" in caught.value.detail
    assert {r.reply_id for r in store.records()} >= {"fill0"}  # earlier ratings are intact and readable


def test_a_store_that_cannot_be_set_up_still_constructs(tmp_path: Path) -> None:
    class NoSpace(FeedbackStore):
        def _connect(self) -> sqlite3.Connection:
            conn = sqlite3.connect(self.path, timeout=self.timeout)
            conn.execute("PRAGMA max_page_count = 1")  # not even room for the table
            return conn

    store = NoSpace(tmp_path / "fb.sqlite3")  # the server still starts; chat does not need this store
    with pytest.raises(FeedbackNotSaved):
        store.record("r1", "up", "answer")


def test_read_only_file_raises_feedback_not_saved(tmp_path: Path) -> None:
    FeedbackStore(tmp_path / "fb.sqlite3").record("r0", "up", "answer")
    store = ReadOnlyStore(tmp_path / "fb.sqlite3")
    with pytest.raises(FeedbackNotSaved) as caught:
        store.record("r1", "down", "answer")
    assert not caught.value.full and "readonly" in caught.value.detail.lower()
    assert [r.reply_id for r in store.records()] == ["r0"]


@pytest.mark.parametrize("store_class, status", [(FullDiskStore, 507), (ReadOnlyStore, 503)])
def test_rating_endpoint_reports_it_and_chat_keeps_working(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                           store_class: Any, status: int) -> None:
    FeedbackStore(tmp_path / "fb.sqlite3").record("r0", "up", "answer")
    store = store_class(tmp_path / "fb.sqlite3")
    if store_class is FullDiskStore:
        _fill(store)
    app = create_app(built_settings().replace(rate_limit=0), shared_assistant(), feedback=store, mount_ui=False)
    client = TestClient(app, raise_server_exceptions=False)
    reply = client.post("/api/chat", json={"message": QUESTION}).json()
    with caplog.at_level(logging.INFO, logger="backtrack.requests"):
        r = client.post("/api/feedback", json={"reply_id": reply["id"], "rating": "up"})
    assert r.status_code == status, r.text
    assert "could not be saved" in r.json()["error"] and "Chat keeps working" in r.json()["error"]
    assert str(tmp_path) not in r.text
    [record] = [rec for rec in caplog.records if rec.name == "backtrack.requests"]
    assert record.event["error"] == "FeedbackNotSaved" and record.event["request_id"] == r.headers["x-request-id"]
    assert "fb.sqlite3" in record.event["error_detail"]
    again = client.post("/api/chat", json={"message": QUESTION})
    assert again.status_code == 200 and again.json()["route"] == "answer"
