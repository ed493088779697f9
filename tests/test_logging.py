"""Structured request logs: one JSON line per API request, request ids, and no user text by default."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from test_server_support import built_settings, live_server, shared_assistant  # noqa: F401

from bot.feedback import FeedbackStore
from bot.logging_setup import JsonFormatter, configure_logging, request_id
from bot.server import create_app

SECRET = "zebracorn-7731 my lower back aches after hill repeats"
WORD = "zebracorn-7731"


def _client(tmp_path: Any, **changes: Any) -> TestClient:
    cfg = built_settings().replace(rate_limit=0, **changes)
    app = create_app(cfg, shared_assistant(), feedback=FeedbackStore(tmp_path / "fb.sqlite3"), mount_ui=False)
    return TestClient(app, raise_server_exceptions=False)


def _request_lines(caplog: pytest.LogCaptureFixture, with_text: bool = False) -> list[dict[str, Any]]:
    formatter = JsonFormatter(with_text=with_text)
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "backtrack.requests"]


def test_chat_log_line_has_ids_and_no_text_by_default(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = _client(tmp_path)
    with caplog.at_level(logging.INFO):
        r = client.post("/api/chat", json={"message": SECRET, "history": [f"earlier {WORD}"]})
    assert r.status_code == 200
    reply = r.json()
    [line] = _request_lines(caplog)
    assert line["request_id"] == r.headers["x-request-id"]
    assert line["path"] == "/api/chat" and line["method"] == "POST" and line["status"] == 200
    assert line["route"] == reply["route"] and line["reply_id"] == reply["id"]
    assert line["triage_level"] == reply["triage"]["level"]
    assert line["triage_categories"] == reply["triage"]["categories"]
    assert line["answerer"] == reply["answerer"]
    assert line["cited"] == [c["chunk_id"] or c["article_id"] for c in reply["citations"]]
    assert line["passages"] == [p["chunk_id"] for p in reply["passages"]]
    assert line["latency_ms"] > 0 and line["history_turns"] == 1
    assert "message" not in line and "history" not in line
    everything = "\n".join(r.getMessage() + json.dumps(getattr(r, "event", {})) for r in caplog.records)
    assert WORD not in everything and WORD not in caplog.text


def test_log_text_setting_adds_the_message(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = _client(tmp_path, log_text=True)
    with caplog.at_level(logging.INFO):
        r = client.post("/api/chat", json={"message": SECRET})
    [line] = _request_lines(caplog, with_text=True)
    assert line["message"] == SECRET and line["request_id"] == r.headers["x-request-id"]


def test_triage_categories_are_logged(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = _client(tmp_path)
    with caplog.at_level(logging.INFO):
        r = client.post("/api/chat", json={"message": "I can't feel anything when I wipe and I've wet myself"})
    [line] = _request_lines(caplog)
    assert line["route"] == "triage" and line["triage_level"] == "emergency"
    assert line["triage_categories"] == r.json()["triage"]["categories"] and line["triage_categories"]


def test_sane_incoming_request_id_is_kept_and_odd_ones_replaced(tmp_path: Any,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    client = _client(tmp_path)
    with caplog.at_level(logging.INFO):
        kept = client.post("/api/chat", json={"message": ""}, headers={"X-Request-ID": "edge-42.a_b:c"})
        odd = client.post("/api/chat", json={"message": ""}, headers={"X-Request-ID": "x" * 65})
    assert kept.status_code == 400 and kept.headers["x-request-id"] == "edge-42.a_b:c"
    assert odd.headers["x-request-id"] != "x" * 65 and len(odd.headers["x-request-id"]) == 32
    assert [line["request_id"] for line in _request_lines(caplog)] == ["edge-42.a_b:c", odd.headers["x-request-id"]]
    assert all(line["status"] == 400 for line in _request_lines(caplog))
    assert request_id("bad id with spaces") != "bad id with spaces" and request_id(None)
    assert request_id("a\nb") != "a\nb"


class _Boom:
    snapshot = None

    def ask(self, question: str, history: Any = None) -> Any:
        raise KeyError(question)  # an unexpected error whose message quotes the user


def test_unexpected_error_is_logged_with_id_and_class_but_no_text(tmp_path: Any,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(built_settings().replace(rate_limit=0), _Boom(),
                     feedback=FeedbackStore(tmp_path / "fb.sqlite3"), mount_ui=False)
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.INFO):
        r = client.post("/api/chat", json={"message": SECRET})
    assert r.status_code == 500 and WORD not in r.text
    rid = r.headers["x-request-id"]
    assert rid in r.json()["error"]
    [line] = _request_lines(caplog)
    assert line["request_id"] == rid and line["status"] == 500 and line["error"] == "KeyError"
    assert line["level"] == "error" and any("test_logging.py" in f for f in line["frames"])
    formatted = "\n".join(JsonFormatter().format(rec) for rec in caplog.records)
    assert WORD not in formatted


def test_configure_logging_writes_json_lines(tmp_path: Any) -> None:
    out = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging(built_settings(), stream=out)
        logging.getLogger("backtrack.test").info("hello %s", "there")
        try:
            raise ValueError(f"user said {WORD}")
        except ValueError:
            logging.getLogger("backtrack.test").exception("failed")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["msg"] == "hello there" and first["level"] == "info" and first["logger"] == "backtrack.test"
    assert second["error"] == "ValueError" and "frames" in second and WORD not in out.getvalue()


def test_live_server_returns_request_id(live_server: Any) -> None:  # noqa: F811
    r = httpx.post(f"{live_server.base}/api/chat", json={"message": "hi"}, headers={"X-Request-ID": "load-1"})
    assert r.headers["x-request-id"] == "load-1"
    assert httpx.get(f"{live_server.base}/healthz").headers["x-request-id"]
