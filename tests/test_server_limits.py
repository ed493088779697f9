"""Rate limits: configured by settings.rate_limit (BACKTRACK_RATE_LIMIT), on /api/chat and the Gradio queue."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from test_server_support import built_settings, shared_assistant

from bot.feedback import FeedbackStore
from bot.server import GRADIO_QUEUE_JOIN, create_app
from bot.settings import Settings


class _Snapshot:
    manifest = {"generation": 1}
    chunks: list[Any] = []


class _Echo:
    """Answers instantly; these tests are about the limiter, not the answers."""

    snapshot = _Snapshot()

    def ask(self, question: str, history: Any = None) -> Any:
        from bot.types import Reply, TriageResult

        return Reply(route="answer", text="ok", triage=TriageResult(level="none"))


def _client(tmp_path: Any, settings: Settings, assistant: Any = None, mount_ui: bool = False) -> TestClient:
    app = create_app(settings, assistant or _Echo(), feedback=FeedbackStore(tmp_path / "fb.sqlite3"),
                     mount_ui=mount_ui)
    return TestClient(app, raise_server_exceptions=False)


def test_rate_limit_comes_from_the_environment(tmp_path: Any) -> None:
    settings = Settings.from_env({"BACKTRACK_RATE_LIMIT": "2", "BACKTRACK_DATA_DIR": str(tmp_path)})
    assert settings.rate_limit == 2
    client = _client(tmp_path, settings)
    codes = [client.post("/api/chat", json={"message": "hi"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = client.post("/api/chat", json={"message": "hi"})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["error"].startswith("too many requests: the limit is 2 chat requests per minute")
    assert r.headers["x-request-id"]
    assert client.get("/healthz").status_code == 200  # only chat is limited
    # a refused request is not counted against anything else, and feedback is not limited
    assert client.post("/api/feedback", json={"reply_id": "x", "rating": "up"}).status_code == 404


def test_rate_limit_zero_is_off(tmp_path: Any) -> None:
    client = _client(tmp_path, Settings(data_dir=tmp_path, rate_limit=0))
    assert {client.post("/api/chat", json={"message": "hi"}).status_code for _ in range(100)} == {200}


def test_gradio_queue_joins_are_limited_per_client_too(tmp_path: Any) -> None:
    settings = built_settings().replace(rate_limit=2, feedback_db=tmp_path / "fb.sqlite3")
    client = _client(tmp_path, settings, shared_assistant(), mount_ui=True)
    codes = [client.post(GRADIO_QUEUE_JOIN, json={"data": [], "fn_index": 999, "session_hash": "s"}).status_code
             for _ in range(3)]
    assert 429 not in codes[:2] and codes[2] == 429
    r = client.post(GRADIO_QUEUE_JOIN, json={})
    assert "chat page events per minute" in r.json()["error"] and r.headers["retry-after"]
    assert client.get("/").status_code == 200  # the page itself is not limited
