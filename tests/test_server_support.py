"""Shared, session-wide pieces for the server, UI and browser tests (this module has no tests).

The index is built once from the repo corpus into a temporary data directory, the real Assistant
is loaded once, and real uvicorn servers run in background threads on free ports. Everything is cached at
module level so test modules that import these fixtures still share one Assistant and server.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # gradio and gradio_client: no telemetry
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"

from bot.settings import REPO_ROOT, Settings  # noqa: E402
from tests.loopback import free_port  # noqa: E402,F401 (the web tests import it from here)

_TMP = Path(tempfile.mkdtemp(prefix="backtrack-web-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


@functools.cache
def built_settings() -> Settings:
    """Settings pointing at a temporary data dir whose index is up to date with the repo corpus."""
    from ingest.pipeline import ingest

    settings = Settings(data_dir=_TMP / "data", corpus_dir=REPO_ROOT / "corpus", rate_limit=0,
                        feedback_db=_TMP / "feedback.sqlite3")
    summary = ingest(settings, progress=False)
    assert not summary.problems, f"corpus files failed to ingest: {summary.problems}"
    return settings


@functools.cache
def shared_assistant() -> Any:
    from bot.assistant import Assistant

    return Assistant(built_settings())


class LiveServer:
    """uvicorn serving an app in a daemon thread on 127.0.0.1:<free port>."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False, timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"uvicorn-{self.port}")
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"test server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        self.server.should_exit = True
        self.thread.join(timeout=3)
        if self.thread.is_alive():  # a client left a stream open: don't wait for it
            self.server.force_exit = True
            self.thread.join(timeout=5)


_servers: dict[str, LiveServer] = {}
_servers_lock = threading.Lock()


def live_server_named(name: str) -> LiveServer:
    """'main': the full app (UI mounted, no rate limit); 'limited': API only, 3 chats a minute."""
    from bot.server import create_app

    with _servers_lock:
        if name not in _servers:
            settings = built_settings()
            if name == "limited":
                settings = settings.replace(rate_limit=3)
            app = create_app(settings, shared_assistant(), mount_ui=name == "main")
            _servers[name] = LiveServer(app)
            atexit.register(_servers[name].stop)
        return _servers[name]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return built_settings()


@pytest.fixture(scope="session")
def assistant() -> Any:
    return shared_assistant()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    server = live_server_named("main")
    yield server
    server.stop()  # idempotent; stopping here keeps shutdown logs inside pytest's capture


@pytest.fixture(scope="session")
def limited_server() -> Iterator[LiveServer]:
    server = live_server_named("limited")
    yield server
    server.stop()
