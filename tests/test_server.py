"""REST API, health, CORS, framing headers and rate limit, over real HTTP with the real Assistant."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from test_server_support import limited_server, live_server, settings  # noqa: F401

from bot.errors import IndexNotReady
from bot.feedback import FeedbackStore
from bot.server import OriginPolicy, RateLimiter, create_app, startup_text
from bot.settings import Settings

QUESTION = "What stretches help lower back pain from running?"
RED_FLAG = "I can't feel anything when I wipe and I've wet myself"


def post(base: str, body: Any, *, raw: bytes | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(f"{base}/api/chat", content=content, timeout=60,
                      headers={"Content-Type": "application/json", **(headers or {})})


# -- answers --------------------------------------------------------------------------------------
def test_chat_returns_a_cited_answer(live_server: Any) -> None:  # noqa: F811
    r = post(live_server.base, {"message": QUESTION, "history": []})
    assert r.status_code == 200
    data = r.json()
    assert data["route"] == "answer" and data["id"]
    assert "[1]" in data["text"]
    first = data["citations"][0]
    assert first["n"] == 1 and first["title"] and first["quote"]


def test_red_flag_gets_the_emergency_card(live_server: Any, settings: Settings) -> None:  # noqa: F811
    r = post(live_server.base, {"message": RED_FLAG})
    assert r.status_code == 200
    data = r.json()
    assert data["route"] == "triage" and data["triage"]["level"] == "emergency"
    assert settings.emergency_number in data["text"]
    assert data["answerer"] == "card"


def test_history_is_accepted(live_server: Any) -> None:  # noqa: F811
    r = post(live_server.base, {"message": "and for beginners?", "history": [QUESTION]})
    assert r.status_code == 200 and r.json()["route"] in ("answer", "no_answer", "out_of_scope")


# -- bad input: always a 4xx with {"error": "..."}, never a 500 --------------------------------
BAD = {
    "empty body": (None, b"", 400),
    "invalid json": (None, b'{"message": ', 400),
    "invalid utf-8": (None, b'{"message": "\xff\xfe"}', 400),
    "not an object": (["hello"], None, 400),
    "json null": (None, b"null", 400),
    "missing message": ({"history": []}, None, 400),
    "empty message": ({"message": ""}, None, 400),
    "blank message": ({"message": "  \n\t "}, None, 400),
    "message not text": ({"message": 42}, None, 400),
    "message is a list": ({"message": ["a"]}, None, 400),
    "message too long": ({"message": "a" * 4001}, None, 400),
    "history not a list": ({"message": "hi", "history": "earlier"}, None, 400),
    "history item not text": ({"message": "hi", "history": [{"a": 1}]}, None, 400),
    "history too long": ({"message": "hi", "history": ["back pain"] * 51}, None, 400),
    "unpaired surrogate": (None, b'{"message": "\\ud800 back"}', 400),
    "body over 64 KB": ({"message": "a" * 70_000}, None, 413),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_requests_get_a_clear_4xx(live_server: Any, case: str) -> None:  # noqa: F811
    body, raw, status = BAD[case]
    r = post(live_server.base, body, raw=raw)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert isinstance(error, str) and error
    assert "Traceback" not in r.text


def test_deeply_nested_json_under_the_size_limit_is_a_400(live_server: Any) -> None:  # noqa: F811
    r = post(live_server.base, None, raw=b"[" * 30_000 + b"]" * 30_000)
    assert r.status_code == 400 and "error" in r.json()


def test_exactly_4000_chars_is_accepted(live_server: Any) -> None:  # noqa: F811
    r = post(live_server.base, {"message": ("my lower back hurts when I run " * 200)[:4000]})
    assert r.status_code == 200


# -- other endpoints ------------------------------------------------------------------------------
def test_healthz_reports_the_index(live_server: Any) -> None:  # noqa: F811
    data = httpx.get(f"{live_server.base}/healthz").json()
    assert data["ok"] is True and data["generation"] >= 1 and data["chunks"] > 10


def test_openapi_docs_describe_the_chat_endpoint(live_server: Any) -> None:  # noqa: F811
    assert httpx.get(f"{live_server.base}/docs").status_code == 200
    spec = httpx.get(f"{live_server.base}/openapi.json").json()
    body = spec["paths"]["/api/chat"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "message" in body["properties"]


def test_chat_page_and_widget_are_served(live_server: Any) -> None:  # noqa: F811
    page = httpx.get(f"{live_server.base}/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    widget = httpx.get(f"{live_server.base}/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    assert "iframe" in widget.text
    for name in ("embed.js", "embed.css"):
        assert httpx.get(f"{live_server.base}/embed/{name}").status_code == 200
    assert httpx.get(f"{live_server.base}/embed/../app.py").status_code == 404


def test_embed_page_allows_framing_only_by_allowed_origins(live_server: Any, settings: Settings) -> None:  # noqa: F811
    r = httpx.get(f"{live_server.base}/embed")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'self' http://localhost:* http://127.0.0.1:*" in csp
    assert "script-src 'self'" in csp and "x-frame-options" not in r.headers
    assert settings.emergency_number in r.text and "{{" not in r.text


# -- CORS -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:8000", "http://localhost"])
def test_cors_allows_listed_origins_on_any_port(live_server: Any, origin: str) -> None:  # noqa: F811
    pre = httpx.options(f"{live_server.base}/api/chat", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == origin
    assert "POST" in pre.headers["access-control-allow-methods"]
    r = post(live_server.base, {"message": QUESTION}, headers={"Origin": origin})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", ["http://evil.example", "https://localhost.evil.example",
                                    "https://localhost:5173", "null"])
def test_cors_refuses_other_origins(live_server: Any, origin: str) -> None:  # noqa: F811
    pre = httpx.options(f"{live_server.base}/api/chat", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    r = post(live_server.base, {"message": QUESTION}, headers={"Origin": origin})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    assert "not allowed" in r.json()["error"]


def test_same_origin_and_origin_less_requests_pass(live_server: Any) -> None:  # noqa: F811
    assert post(live_server.base, {"message": QUESTION}, headers={"Origin": live_server.base}).status_code == 200
    assert post(live_server.base, {"message": QUESTION}).status_code == 200


# -- rate limit -----------------------------------------------------------------------------------
def test_rate_limit_returns_429_with_retry_after(limited_server: Any) -> None:  # noqa: F811
    codes = [post(limited_server.base, {"message": QUESTION}).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    r = post(limited_server.base, {"message": QUESTION})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert "per minute" in r.json()["error"]


def test_rate_limiter_window_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.check("a") is None and limiter.check("a") is None
    assert limiter.check("a") == pytest.approx(60.0)
    assert limiter.check("b") is None  # per client
    now[0] = 60.0
    assert limiter.check("a") is None
    assert RateLimiter(0).check("a") is None  # 0 = off


def test_origin_policy() -> None:
    policy = OriginPolicy(("http://localhost", "https://club.example:8443"))
    assert policy.allows("http://localhost:3000") and policy.allows("http://LOCALHOST")
    assert policy.allows("https://club.example:8443")
    assert not policy.allows("https://club.example") and not policy.allows("http://localhost.evil")
    assert not policy.allows("null") and not policy.allows("javascript:alert(1)")
    assert policy.frame_ancestors() == "'self' http://localhost:* https://club.example:8443"


# -- errors at the edge, with fakes (no model needed) -------------------------------------------
class _Snapshot:
    manifest = {"generation": 7}
    chunks = [object()] * 3


class _FailingAssistant:
    snapshot = _Snapshot()

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def ask(self, question: str, history: Any = None) -> Any:
        raise self.exc


def _client(tmp_path: Any, exc: Exception) -> TestClient:
    cfg = Settings(data_dir=tmp_path)
    app = create_app(cfg, _FailingAssistant(exc), feedback=FeedbackStore(tmp_path / "f.db"),
                     mount_ui=False)
    return TestClient(app, raise_server_exceptions=False)


def test_unexpected_errors_are_a_generic_500_without_details(tmp_path: Any) -> None:
    r = _client(tmp_path, RuntimeError("secret internals at /srv/x.py")).post("/api/chat", json={"message": "hi"})
    assert r.status_code == 500
    rid = r.headers["x-request-id"]
    assert r.json() == {"error": f"internal error; the server log has the details (request {rid})"}
    assert "secret" not in r.text and "Traceback" not in r.text


def test_index_not_ready_is_a_503_with_the_fix(tmp_path: Any) -> None:
    client = _client(tmp_path, IndexNotReady("no index has been built yet: run `python -m ingest`"))
    r = client.post("/api/chat", json={"message": "hi"})
    assert r.status_code == 503 and "python -m ingest" in r.json()["error"]
    assert client.get("/healthz").json() == {"ok": True, "generation": 7, "chunks": 3, "index": "ok",
                                             "answerer": "extractive"}


class _UnreachableAssistant(_FailingAssistant):
    def index_status(self) -> dict[str, Any]:
        return {"generation": 7, "chunks": 3, "index": "unreachable", "reloading": False}


def test_an_unreachable_index_is_a_503_with_retry_after(tmp_path: Any) -> None:
    from bot.errors import IndexUnavailable

    cfg = Settings(data_dir=tmp_path)
    app = create_app(cfg, _UnreachableAssistant(IndexUnavailable("the article index is unreachable right now")),
                     feedback=FeedbackStore(tmp_path / "f.db"), mount_ui=False)
    client = TestClient(app, raise_server_exceptions=False)
    r = client.post("/api/chat", json={"message": "hi"})
    assert r.status_code == 503 and r.headers["retry-after"] == "5" and "unreachable" in r.json()["error"]
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["ok"] is False and health.json()["index"] == "unreachable"


# -- feedback over REST ---------------------------------------------------------------------------
def test_feedback_endpoint_stores_rating_for_a_recent_reply(live_server: Any, settings: Settings) -> None:  # noqa: F811
    reply = post(live_server.base, {"message": QUESTION}).json()
    ok = httpx.post(f"{live_server.base}/api/feedback", json={"reply_id": reply["id"], "rating": "down"})
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    stored = {r.reply_id: r for r in FeedbackStore(settings.feedback_path).records()}[reply["id"]]
    assert stored.rating == "down" and stored.route == "answer"
    assert stored.citations[0][1] == reply["citations"][0]["title"]
    unknown = httpx.post(f"{live_server.base}/api/feedback", json={"reply_id": "nope", "rating": "up"})
    assert unknown.status_code == 404
    bad = httpx.post(f"{live_server.base}/api/feedback", json={"reply_id": reply["id"], "rating": "meh"})
    assert bad.status_code == 400


def test_startup_text_lists_urls_and_snippet() -> None:
    text = startup_text(Settings(host="0.0.0.0", port=7000))
    assert "http://127.0.0.1:7000/" in text and "/docs" in text
    assert '<script src="http://127.0.0.1:7000/widget.js" defer' in text
