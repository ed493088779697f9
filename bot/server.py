"""The web edge: one FastAPI app with the REST API, the embeddable widget and the Gradio chat page.

    GET  /             chat page (Gradio, mounted last so the routes below win)
    POST /api/chat     {"message": str, "history": [str, ...]} -> Reply.to_dict()
    POST /api/feedback {"reply_id": str, "rating": "up" | "down"} for replies this server gave
    GET  /healthz      index generation, chunk count, ok
    GET  /docs         OpenAPI docs (FastAPI default)
    GET  /widget.js    floating chat button for other sites; opens /embed in an iframe
    GET  /embed        small self-contained chat client of /api/chat

`create_app()` builds everything without starting a server (tests use it); `serve()` runs uvicorn.
Errors become HTTP responses here and only here: BacktrackError -> 4xx/503/507 with its message,
anything else -> a generic 500 without a stack trace. Every response carries an X-Request-ID, and every
/api/* request gets one JSON log line (`backtrack.requests`) with that id and no user text unless
settings.log_text is on. Chat requests and Gradio queue joins are rate limited per client.
"""

from __future__ import annotations

import html
import json
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported anywhere

import uvicorn  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.concurrency import run_in_threadpool  # noqa: E402
from fastapi.responses import JSONResponse, Response  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402
from starlette.exceptions import HTTPException as StarletteHTTPException  # noqa: E402
from starlette.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

from bot.errors import (  # noqa: E402
    BackendError,
    BacktrackError,
    ConfigError,
    IndexNotReady,
    IndexUnavailable,
    InputError,
    ModelError,
)
from bot.feedback import FeedbackNotSaved, FeedbackStore, citation_pairs  # noqa: E402
from bot.logging_setup import REQUEST_ID_HEADER, configure_logging, error_fields, request_id  # noqa: E402
from bot.settings import Settings  # noqa: E402

log = logging.getLogger("backtrack.server")
request_log = logging.getLogger("backtrack.requests")

MAX_BODY_BYTES = 64 * 1024
GRADIO_QUEUE_JOIN = "/gradio_api/queue/join"  # every chat-page event (send, like, clear) enters here
RECENT_REPLIES = 5000  # reply ids remembered for /api/feedback (ids, routes and titles only)
WIDGET_SNIPPET = ('<script src="{base}/widget.js" defer data-title="Backtrack" '
                  'data-accent="#0a7" data-position="right"></script>')


# -- request and response shapes (for the OpenAPI docs; bodies are parsed by hand below) --------
class ChatRequest(BaseModel):
    message: str = Field(description="the user's question, 1-4000 characters",
                         examples=["Why does my lower back hurt after long runs?"])
    history: list[str] = Field(default_factory=list, description="earlier user messages, oldest first (max 50)")


class FeedbackRequest(BaseModel):
    reply_id: str = Field(description="the `id` of a reply returned by /api/chat")
    rating: str = Field(description="'up' or 'down'", examples=["up"])


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": model.model_json_schema()}}}}


class ApiError(Exception):
    """A request problem with its HTTP status; becomes {"error": message}."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


# -- origins --------------------------------------------------------------------------------------
def _split_origin(origin: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port


class OriginPolicy:
    """Which web origins may embed the widget and call /api/*. An entry without a port allows any port."""

    def __init__(self, allowed: tuple[str, ...] | list[str]) -> None:
        self.entries = []
        for entry in allowed:
            if entry.strip() == "*":
                self.entries.append(("*", "*", None))
                continue
            split = _split_origin(entry)
            if split is None:
                raise ConfigError(f"allowed_origins entry {entry!r} is not an origin like http://localhost:8000")
            self.entries.append(split)

    def allows(self, origin: str) -> bool:
        split = _split_origin(origin)
        if split is None:
            return False
        scheme, host, port = split
        for e_scheme, e_host, e_port in self.entries:
            if e_scheme == "*":
                return True
            if scheme == e_scheme and host == e_host and (e_port is None or e_port == port):
                return True
        return False

    def frame_ancestors(self) -> str:
        """The CSP `frame-ancestors` source list for the same origins."""
        sources = ["'self'"]
        for scheme, host, port in self.entries:
            if scheme == "*":
                return "*"
            sources.append(f"{scheme}://{host}:{port if port is not None else '*'}")
        return " ".join(sources)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class ApiCorsMiddleware:
    """CORS for /api/* only: allowed origins get the headers, any other cross-site origin gets 403.

    Requests without an Origin header (curl, server-to-server) and same-origin requests pass.
    The Gradio page keeps its own, stricter, localhost-only CORS handling.
    """

    def __init__(self, app: ASGIApp, policy: OriginPolicy, prefix: str = "/api/") -> None:
        self.app = app
        self.policy = policy
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host") or ""
        same_origin = origin.lower() == f"{scope.get('scheme', 'http')}://{host}".lower()
        if not same_origin and not self.policy.allows(origin):
            response = JSONResponse({"error": f"origin {origin} is not allowed to use this API; "
                                              "add it to BACKTRACK_ALLOWED_ORIGINS"}, status_code=403)
            await response(scope, receive, send)
            return
        cors = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
            response = Response(status_code=204, headers={
                "Access-Control-Allow-Origin": origin, "Vary": "Origin",
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": "600"})
            await response(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *cors]
            await send(message)

        await self.app(scope, receive, send_with_cors)


# -- request ids and the request log -------------------------------------------------------------
def log_fields(scope: Scope) -> dict[str, Any]:
    """The mutable dict of extra fields for this request's log line (handlers add to it)."""
    return scope.setdefault("state", {}).setdefault("log", {})


class RequestLogMiddleware:
    """Gives every HTTP request an id (X-Request-ID, a sane incoming one is kept) and logs /api/* requests.

    One JSON line per API request: id, method, path, status, latency and whatever the handler put in
    `log_fields(scope)` (route, triage level, cited chunk ids...). Unexpected errors add their class and
    frames, never their message (it may quote the request), and are re-raised for the 500 handler.
    """

    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(_header(scope, b"x-request-id"))
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", rid.encode("ascii"))]
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            error = exc
            raise
        finally:
            if scope["path"].startswith(self.prefix):
                event = {"event": "request", "request_id": rid, "method": scope["method"], "path": scope["path"],
                         "status": status or 500, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
                event.update(log_fields(scope))
                if error is not None:
                    event.update(error_fields(error))
                level = logging.ERROR if error is not None or event["status"] >= 500 else logging.INFO
                request_log.log(level, "%s %s %s", scope["method"], scope["path"], event["status"],
                                extra={"event": event})


# -- rate limit -----------------------------------------------------------------------------------
class RateLimiter:
    """At most `per_minute` requests per client in any 60 s window (0 = no limit)."""

    def __init__(self, per_minute: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> float | None:
        """Record one request; returns None when allowed, else seconds until the next is allowed."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(0.0, self.window - (now - hits[0]))
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                for key in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window]:
                    del self._hits[key]
            return None


def _too_many(limiter: RateLimiter, wait: float, what: str) -> ApiError:
    seconds = int(wait) + 1
    return ApiError(429, f"too many requests: the limit is {limiter.per_minute} {what} per minute; "
                         f"try again in {seconds} s", {"Retry-After": str(seconds)})


class QueueLimitMiddleware:
    """The chat-page counterpart of the /api/chat limit: POSTs to Gradio's queue/join, per client."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, path: str = GRADIO_QUEUE_JOIN) -> None:
        self.app = app
        self.limiter = limiter
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self.path:
            client = scope.get("client")
            wait = self.limiter.check(client[0] if client else "unknown")
            if wait is not None:
                exc = _too_many(self.limiter, wait, "chat page events")
                response = JSONResponse({"error": exc.message}, status_code=429, headers=exc.headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# -- helpers --------------------------------------------------------------------------------------
async def _read_json(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise ApiError(413, f"request body is {int(length)} bytes; the limit is {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"request body is over the {limit} byte limit")
    if not body.strip():
        raise ApiError(400, 'request body is empty: send JSON like {"message": "..."}')
    try:
        return json.loads(bytes(body))
    except (ValueError, RecursionError):
        raise ApiError(400, 'request body is not valid JSON: send {"message": "...", "history": []}') from None


def _check_text(value: Any, what: str) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(400, f"the {what} contains invalid characters (unpaired surrogates)") from None


def _client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _static(name: str) -> str:
    return resources.files("bot").joinpath("static", name).read_text(encoding="utf-8")


def reply_log_fields(reply: Any) -> dict[str, Any]:
    """What the request log says about a reply: ids, route, triage, answerer, timings; never text."""
    return {
        "reply_id": reply.id, "route": reply.route, "triage_level": reply.triage.level,
        "triage_categories": reply.triage.categories, "answerer": reply.answerer,
        "cited": [c.chunk_id or c.article_id for c in reply.citations],
        "passages": [p.chunk.id for p in reply.passages],
        "timings_ms": {k: round(v, 1) for k, v in reply.timings.items()},
        "notice": bool(reply.notice),
    }


def _error_status(exc: BacktrackError) -> int:
    if isinstance(exc, FeedbackNotSaved):
        return 507 if exc.full else 503
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, IndexNotReady | BackendError | ModelError):
        return 503
    return 500


# -- the app --------------------------------------------------------------------------------------
def create_app(settings: Settings, assistant: Any | None = None, *, feedback: FeedbackStore | None = None,
               mount_ui: bool = True) -> FastAPI:
    """The whole web app, ready for any ASGI server. Loads the Assistant unless one is given."""
    import gradio as gr

    from bot import ui

    if assistant is None:
        from bot.assistant import Assistant

        assistant = Assistant(settings)
    store = feedback if feedback is not None else FeedbackStore(settings.feedback_path)
    policy = OriginPolicy(settings.allowed_origins)
    limiter = RateLimiter(settings.rate_limit)
    recent: OrderedDict[str, tuple[str, list[tuple[str, str]]]] = OrderedDict()
    recent_lock = threading.Lock()

    app = FastAPI(title="Backtrack", version="0.1.0",
                  description="Cited answers about runners' lower back pain. Red-flag symptoms get a "
                              "fixed 'see a doctor / emergency' card instead of a generated answer. "
                              "General information, not medical advice.")
    app.state.assistant = assistant
    app.state.settings = settings
    app.state.feedback = store
    app.add_middleware(ApiCorsMiddleware, policy=policy)
    if mount_ui:
        app.add_middleware(QueueLimitMiddleware, limiter=RateLimiter(settings.rate_limit))
    app.add_middleware(RequestLogMiddleware)  # outermost: CORS refusals and 429s get an id and a log line too

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(BacktrackError)
    async def _backtrack_error(request: Request, exc: BacktrackError) -> JSONResponse:
        # our own messages (they name settings and fixes, never the user's text)
        fields = log_fields(request.scope)
        fields.update({"error": type(exc).__name__, "error_text": str(exc)})
        if getattr(exc, "detail", ""):
            fields["error_detail"] = exc.detail
        headers = {"Retry-After": "5"} if isinstance(exc, IndexUnavailable) else None
        return JSONResponse({"error": str(exc)}, status_code=_error_status(exc), headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # logged by RequestLogMiddleware (class and frames, with the request id); runs outside it,
        # so the id header is added here
        rid = request.scope.get("state", {}).get("request_id", "")
        return JSONResponse({"error": f"internal error; the server log has the details (request {rid})"},
                            status_code=500, headers={REQUEST_ID_HEADER: rid} if rid else None)

    @app.post("/api/chat", tags=["chat"], openapi_extra=_body_doc(ChatRequest),
              summary="Answer one question (or return a triage card)")
    async def chat(request: Request) -> JSONResponse:
        wait = limiter.check(_client_key(request))
        if wait is not None:
            raise _too_many(limiter, wait, "chat requests")
        data = await _read_json(request)
        if not isinstance(data, dict):
            raise ApiError(400, 'the body must be a JSON object like {"message": "...", "history": []}')
        if "message" not in data:
            raise ApiError(400, 'the "message" field is missing')
        message, history = data["message"], data.get("history", [])
        if history is None:
            history = []
        if not isinstance(history, list):
            raise ApiError(400, '"history" must be a list of earlier user messages (strings)')
        _check_text(message, "message")
        for item in history:
            _check_text(item, "history")
        fields = log_fields(request.scope)
        fields["history_turns"] = len(history)
        if settings.log_text:
            fields.update({"message": message, "history": history})
        reply = await run_in_threadpool(assistant.ask, message, history)
        fields.update(reply_log_fields(reply))
        with recent_lock:
            recent[reply.id] = (reply.route, citation_pairs(reply.citations))
            while len(recent) > RECENT_REPLIES:
                recent.popitem(last=False)
        return JSONResponse(reply.to_dict())

    @app.post("/api/feedback", tags=["chat"], openapi_extra=_body_doc(FeedbackRequest),
              summary="Thumbs up or down on a reply this server gave")
    async def rate(request: Request) -> JSONResponse:
        data = await _read_json(request, limit=4096)
        if not isinstance(data, dict) or not isinstance(data.get("reply_id"), str):
            raise ApiError(400, 'send {"reply_id": "<id from /api/chat>", "rating": "up" | "down"}')
        if data.get("rating") not in ("up", "down"):
            raise ApiError(400, '"rating" must be "up" or "down"')
        with recent_lock:
            known = recent.get(data["reply_id"])
        if known is None:
            raise ApiError(404, "unknown reply id: only recent replies from this server can be rated")
        log_fields(request.scope).update({"reply_id": data["reply_id"], "rating": data["rating"]})
        await run_in_threadpool(store.record, data["reply_id"], data["rating"], known[0], known[1])
        return JSONResponse({"ok": True})

    @app.get("/healthz", tags=["ops"], summary="Index generation, chunk count and status")
    async def healthz() -> JSONResponse:
        status = assistant.index_status() if hasattr(assistant, "index_status") else {
            "generation": int(assistant.snapshot.manifest.get("generation", 0)),
            "chunks": len(assistant.snapshot.chunks), "index": "ok"}
        ok = status.get("index") == "ok"
        body = {"ok": ok, **status, "answerer": settings.answerer}
        return JSONResponse(body, status_code=200 if ok else 503, headers=None if ok else {"Retry-After": "5"})

    @app.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    async def widget_js() -> Response:
        return Response(_static("widget.js"), media_type="application/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    embed_csp = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                 "img-src 'self' data:; base-uri 'none'; form-action 'none'; "
                 f"frame-ancestors {policy.frame_ancestors()}")

    @app.api_route("/embed", methods=["GET", "HEAD"], include_in_schema=False)
    async def embed() -> Response:
        page = _static("embed.html").replace("{{EMERGENCY_NUMBER}}", html.escape(settings.emergency_number))
        return Response(page, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": embed_csp, "X-Content-Type-Options": "nosniff",
                                 "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})

    @app.get("/embed/{name}", include_in_schema=False)
    async def embed_asset(name: str) -> Response:
        kinds = {"embed.js": "application/javascript", "embed.css": "text/css"}
        if name not in kinds:
            raise ApiError(404, "not found")
        return Response(_static(name), media_type=kinds[name] + "; charset=utf-8",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

    if mount_ui:
        blocks = ui.create_ui(assistant, settings, store)
        gr.mount_gradio_app(app, blocks, path="/", theme=ui.theme(), css=ui.CSS,
                            footer_links=["api", "settings"], run_history=False, mcp_server=False,
                            ssr_mode=False, show_error=False,
                            head='<meta name="viewport" content="width=device-width, initial-scale=1">')
    return app


# -- running it -----------------------------------------------------------------------------------
def public_base(settings: Settings) -> str:
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def startup_text(settings: Settings) -> str:
    base = public_base(settings)
    return "\n".join([
        f"Backtrack is running on {base}",
        f"  chat page:   {base}/",
        f"  REST API:    POST {base}/api/chat    docs: {base}/docs",
        f"  health:      {base}/healthz",
        "  widget: paste into a page served from an allowed origin "
        f"({', '.join(settings.allowed_origins)}):",
        "    " + WIDGET_SNIPPET.format(base=base),
        "Press Ctrl+C to stop.",
    ])


def ensure_index(settings: Settings, echo: Callable[[str], None] = print) -> str:
    """Bring the index up to date with the corpus (fast when nothing changed); returns the summary line."""
    from bot.store import connect, read_manifest
    from ingest.pipeline import ingest

    if not settings.chroma_url:
        try:
            has_index = read_manifest(connect(settings), settings) is not None
        except BacktrackError:
            has_index = False
        if not has_index:
            echo(f"No index in {settings.index_path} yet: building it from {settings.corpus_dir} "
                 "(first run; this takes a minute or two)...")
        else:
            echo("Checking the index against the corpus...")
    summary = ingest(settings)
    for problem in summary.problems:
        echo(f"  skipped {problem}")
    echo(summary.line())
    return summary.line()


class _Server(uvicorn.Server):
    """uvicorn, printing the URLs once the socket is actually listening."""

    def __init__(self, config: uvicorn.Config, banner: str) -> None:
        super().__init__(config)
        self.banner = banner

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(self.banner, flush=True)


def serve(settings: Settings, assistant: Any | None = None) -> None:
    """Load everything and serve on settings.host:settings.port until interrupted."""
    configure_logging(settings)
    print("Loading the model and index...", flush=True)
    app = create_app(settings, assistant)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info", log_config=None,
                            access_log=False, timeout_graceful_shutdown=5)
    _Server(config, startup_text(settings)).run()
