"""Structured logs: one JSON object per line, request ids, and no user text unless asked for.

Every record becomes {"ts", "level", "logger", ...}. Records logged with `extra={"event": {...}}` carry
their fields at the top level (the server's one line per API request); any other record carries
`msg`. Exceptions are reduced to their class and traceback frames (file, line, function): exception
messages can quote user input, so they are only kept when `settings.log_text` is on.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from datetime import UTC, datetime
from typing import IO, Any

from bot.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def request_id(incoming: str | None = None) -> str:
    """The caller's X-Request-ID when it is short and plain (letters, digits, . _ : -), else a new one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def error_fields(exc: BaseException, *, with_text: bool = False) -> dict[str, Any]:
    """Class and frames of an exception; its message only when `with_text` (it may quote user input)."""
    frames = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)]
    fields: dict[str, Any] = {"error": type(exc).__name__}
    if frames:
        fields["frames"] = frames[-12:]
    if with_text:
        fields["error_text"] = str(exc)
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record; see the module docstring."""

    def __init__(self, *, with_text: bool = False) -> None:
        super().__init__()
        self.with_text = with_text

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        event = getattr(record, "event", None)
        if isinstance(event, dict):
            out.update(event)
        else:
            out["msg"] = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            out.update(error_fields(record.exc_info[1], with_text=self.with_text))
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(settings: Settings, stream: IO[str] | None = None, level: int = logging.INFO) -> logging.Handler:
    """Send every log record (uvicorn's and gradio's too) to `stream` (stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(with_text=settings.log_text))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return handler
