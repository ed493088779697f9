"""Thumbs up/down on replies, kept in a local SQLite file (WAL mode), and a CSV export.

Only what is needed to judge answers is stored: the reply id, the rating, the route and the ids and
titles of the cited sources, with a UTC timestamp. Message text is never stored.
A rating that cannot be written (disk full, read-only file, I/O error) raises FeedbackNotSaved;
chat never depends on this store.
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from bot.errors import BacktrackError, ConfigError

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")
EXPORT_COLUMNS = ("created", "reply_id", "rating", "route", "citation_ids", "citation_titles")
RETRIES = 6

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    reply_id TEXT PRIMARY KEY,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    route TEXT NOT NULL,
    citations TEXT NOT NULL,
    created TEXT NOT NULL
)
"""

T = TypeVar("T")
log = logging.getLogger(__name__)


class FeedbackNotSaved(BacktrackError):
    """A rating could not be written; `full` when the disk (or the database's size cap) is full.

    The message is for the user; `detail` (file and SQLite error) is for the operator's log.
    """

    def __init__(self, message: str, *, full: bool = False, detail: str = "") -> None:
        super().__init__(message)
        self.full = full
        self.detail = detail


@dataclass(frozen=True)
class FeedbackRecord:
    """One rating. `citations` are (chunk or article id, title) pairs in [n] order."""

    reply_id: str
    rating: Rating
    route: str
    citations: tuple[tuple[str, str], ...] = ()
    created: str = ""


class FeedbackStore:
    """Ratings in a SQLite file. One row per reply: rating a reply again replaces its rating.

    Safe to share between threads (one short-lived connection per call); writes retry with
    backoff when another process holds the lock.
    """

    def __init__(self, path: str | Path, *, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"feedback_db={self.path}: cannot create its folder ({exc})") from exc
        self._ready = False
        try:
            self._retry(self._init)
        except sqlite3.Error as exc:  # e.g. disk full: serve chat anyway, try again on the first rating
            log.warning("feedback_db=%s cannot be set up yet (%s: %s); ratings will fail until it can",
                        self.path, type(exc).__name__, exc)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout)
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        return conn

    def _init(self) -> None:
        with self._lock, self._connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SCHEMA)
        self._ready = True

    def _retry(self, action: Callable[[], T]) -> T:
        """Run `action`, retrying "database is locked/busy" a few times with backoff."""
        delay = 0.05
        for attempt in range(RETRIES):
            try:
                return action()
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if ("locked" not in text and "busy" not in text) or attempt == RETRIES - 1:
                    raise
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def record(self, reply_id: str, rating: str, route: str,
               citations: Iterable[tuple[str, str]] = ()) -> FeedbackRecord:
        """Store (or replace) the rating of one reply."""
        if not isinstance(reply_id, str) or not reply_id or len(reply_id) > 100:
            raise ValueError(f"reply_id={reply_id!r} is not a reply id")
        if rating not in RATINGS:
            raise ValueError(f"rating={rating!r} must be 'up' or 'down'")
        pairs = tuple((str(i), str(t)) for i, t in citations)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        row = (reply_id, rating, str(route), json.dumps([list(p) for p in pairs]), created)

        def write() -> None:
            if not self._ready:
                self._init()
            with self._lock, self._connect() as conn:
                conn.execute(
                    "INSERT INTO feedback (reply_id, rating, route, citations, created) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(reply_id) DO UPDATE SET "
                    "rating = excluded.rating, route = excluded.route, "
                    "citations = excluded.citations, created = excluded.created",
                    row,
                )

        try:
            self._retry(write)
        except sqlite3.Error as exc:
            full = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(exc).lower()
            why = "the feedback database's disk is full" if full else "the feedback database cannot be written"
            raise FeedbackNotSaved(f"your rating could not be saved: {why}. Chat keeps working; "
                                   "please try rating again later.", full=full,
                                   detail=f"feedback_db={self.path}: {type(exc).__name__}: {exc}") from exc
        return FeedbackRecord(reply_id, rating, str(route), pairs, created)  # type: ignore[arg-type]

    def records(self) -> list[FeedbackRecord]:
        """Every rating, oldest first."""

        def read() -> list[tuple[Any, ...]]:
            if not self._ready:
                self._init()
            with self._connect() as conn:
                return conn.execute(
                    "SELECT reply_id, rating, route, citations, created FROM feedback "
                    "ORDER BY created, reply_id").fetchall()

        return [FeedbackRecord(r[0], r[1], r[2], tuple(tuple(p) for p in json.loads(r[3])), r[4])
                for r in self._retry(read)]

    def export_csv(self, out: IO[str]) -> int:
        """Write every rating as CSV (ids and titles joined with ' | '); returns the row count."""
        rows = self.records()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for r in rows:
            writer.writerow([r.created, r.reply_id, r.rating, r.route,
                             " | ".join(i for i, _ in r.citations),
                             " | ".join(t for _, t in r.citations)])
        return len(rows)


def citation_pairs(citations: Sequence[Any]) -> list[tuple[str, str]]:
    """(id, title) of each citation, from Citation objects or their dict form."""
    pairs = []
    for c in citations:
        get = c.get if isinstance(c, dict) else lambda k, c=c: getattr(c, k, "")
        pairs.append((get("chunk_id") or get("article_id") or "", get("title") or ""))
    return pairs
