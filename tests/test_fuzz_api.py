"""Property-based fuzzing of POST /api/chat with hypothesis, against the real Assistant.

Property: whatever the body, headers or content type, the answer is never a 5xx, never shows a stack
trace, and is always JSON: either the reply shape or {"error": "<message>"}, with an X-Request-ID.
In-process (ASGI, no rate limit) for volume, plus a short run over real HTTP (uvicorn) on the live server.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_server_support import built_settings, live_server, shared_assistant  # noqa: F401

from bot.server import MAX_BODY_BYTES, create_app

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
REPLY_KEYS = {"id", "route", "text", "answerer", "notice", "triage", "citations", "passages", "timings"}
QUESTION = "my lower back hurts after long runs"


@functools.cache
def client() -> TestClient:
    app = create_app(built_settings().replace(rate_limit=0), shared_assistant(), mount_ui=False)
    return TestClient(app, raise_server_exceptions=False)


def check(r: httpx.Response) -> dict[str, Any]:
    """The property every response must have; returns the parsed body."""
    assert r.status_code < 500, (r.status_code, r.text[:300])
    assert "Traceback" not in r.text and 'File "' not in r.text
    assert r.headers["content-type"].startswith("application/json"), r.headers["content-type"]
    assert r.headers.get("x-request-id")
    data = r.json()
    assert isinstance(data, dict)
    if r.status_code == 200:
        assert set(data) >= REPLY_KEYS, set(data)
        assert isinstance(data["text"], str) and data["text"]
        assert data["route"] in ("answer", "triage", "out_of_scope", "no_answer")
    else:
        assert 400 <= r.status_code < 500
        assert set(data) == {"error"} and isinstance(data["error"], str) and data["error"]
    return data


# -- strategies -----------------------------------------------------------------------------------
SPECIAL = ["", " ", "\x00", "\x00" * 50, "\ud800", "\udfff back pain", "a\ud83d", "\ufeff", "\u202e\u2066",
           "\r\n\t\x0b\x0c", "\x7f\x1b[31m", "<script>alert(1)</script>", "{{7*7}}", "'; DROP TABLE feedback;--",
           "💥" * 100, "e\u0301" * 2000, "\ufb2c" * 1500, "A" * 3999, "A" * 4000, "A" * 4001, "\u3000" * 4000,
           QUESTION, "I can't feel anything when I wipe", "ibuprofen dose?", "x" * 60_000]

weird_chars = st.characters(codec=None, categories=None, exclude_categories=())  # surrogates and controls too
text = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=200),
    st.text(weird_chars, max_size=200),
    st.text(st.characters(max_codepoint=0x1F), max_size=50),
    st.integers(3990, 4010).map(lambda n: "b" * n),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), text)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)), max_leaves=20)
history = st.one_of(json_values, st.lists(text, max_size=55), st.lists(json_values, max_size=5),
                    st.integers(45, 60).map(lambda n: ["back pain"] * n))
extra = st.dictionaries(st.text(max_size=12).filter(lambda k: k not in ("message", "history")), json_values,
                        max_size=3)


@st.composite
def chat_bodies(draw: st.DrawFn) -> Any:
    """Mostly objects shaped like a chat request, with any field wrong or missing."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not an object at all
    body: dict[str, Any] = draw(extra)
    if draw(st.integers(0, 9)):
        body["message"] = draw(st.one_of(text, json_values))
    if draw(st.booleans()):
        body["history"] = draw(history)
    return body


def nested(depth: int, opener: str) -> bytes:
    closer = {"[": "]", "{": "}"}[opener]
    if opener == "{":
        return (b'{"a":' * depth) + b"1" + (b"}" * depth)
    return (opener * depth + closer * depth).encode()


raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda junk, pos: (lambda b: b[:pos] + junk + b[pos:])(json.dumps({"message": QUESTION}).encode()),
              st.binary(min_size=1, max_size=8), st.integers(0, 40)),  # invalid UTF-8 inside valid JSON
    st.builds(nested, st.integers(1, 40_000), st.sampled_from(["[", "{"])),
    st.builds(lambda d: b'{"message": ' + nested(d, "[") + b"}", st.integers(1, 20_000)),
    st.integers(MAX_BODY_BYTES - 40, MAX_BODY_BYTES + 40).map(
        lambda n: json.dumps({"message": "x" * max(0, n - 15)}).encode()),
    st.sampled_from([b"null", b"true", b"0", b'"hi"', b"[]", b"{}", b'{"message": 1e999}', b"NaN",
                     b'{"message": ' + b"9" * 5000 + b"}", b'{"message": "a", "message": 2}',
                     b"\xef\xbb\xbf" + json.dumps({"message": QUESTION}).encode(),  # UTF-8 BOM
                     json.dumps({"message": QUESTION}).encode("utf-16"), b"message=back+pain",
                     b'{"message": "\\u0000\\ud800\\udc00x"}']),
)
content_types = st.one_of(st.none(), st.sampled_from([
    "application/json", "application/json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", "application/xml", "*/*", "", "application/json; charset=\x7f",
    "application/json;" + "a" * 2000]))


def post(body: bytes, content_type: str | None, headers: dict[str, str] | None = None) -> httpx.Response:
    hdrs = dict(headers or {})
    if content_type is not None:
        hdrs["Content-Type"] = content_type
    return client().post("/api/chat", content=body, headers=hdrs)


# -- properties ------------------------------------------------------------------------------------
@FUZZ
@given(body=chat_bodies())
def test_json_bodies_never_break_the_server(body: Any) -> None:
    check(post(json.dumps(body).encode(), "application/json"))


@FUZZ
@given(body=raw_bodies, content_type=content_types)
def test_raw_bodies_and_content_types_never_break_the_server(body: bytes, content_type: str | None) -> None:
    check(post(body, content_type))


@FUZZ
@given(message=text, hist=st.lists(text, max_size=4))
def test_adversarial_text_in_valid_requests(message: str, hist: list[str]) -> None:
    check(post(json.dumps({"message": message, "history": hist}).encode(), "application/json"))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(name=st.sampled_from(["X-Request-ID", "Origin", "Content-Length", "Transfer-Encoding", "Accept", "Host"]),
       value=st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=300))
def test_odd_headers_never_break_the_server(name: str, value: str) -> None:
    body = json.dumps({"message": QUESTION}).encode()
    try:
        r = client().post("/api/chat", content=body, headers={name: value, "Content-Type": "application/json"})
    except (httpx.LocalProtocolError, ValueError, UnicodeError):
        return  # the client itself refuses to send it
    if r.status_code == 403:  # a refused Origin is fine; it is still JSON with an error
        assert "error" in r.json()
        return
    check(r)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(chat_bodies().map(lambda b: json.dumps(b).encode()), raw_bodies), content_type=content_types)
def test_over_real_http(live_server: Any, body: bytes, content_type: str | None) -> None:  # noqa: F811
    headers = {"Content-Type": content_type} if content_type is not None else {}
    r = httpx.post(f"{live_server.base}/api/chat", content=body, headers=headers, timeout=30)
    if r.status_code == 400 and r.text == "Invalid HTTP request received.":
        return  # uvicorn's HTTP parser refused the request (e.g. a control character in a header): not our app
    check(r)
