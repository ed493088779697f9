"""`python -m bot`: ask one question, or chat in the terminal. Errors become messages here only."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from bot.errors import BacktrackError
from bot.settings import Settings
from bot.types import Reply

SETTING_FLAGS = ("data_dir", "index_dir", "chroma_url", "model", "embedding_backend", "top_k", "answerer", "llm_model",
                 "llm_base_url", "llm_timeout", "emergency_number")


def format_reply(reply: Reply) -> str:
    """The answer followed by its numbered sources, for a terminal."""
    lines = [reply.text]
    if reply.notice:
        lines += ["", f"({reply.notice})"]
    if reply.citations:
        lines += ["", "Sources:"]
        for c in reply.citations:
            by = ", ".join(x for x in (c.author, c.publisher) if x)
            where = f" › {c.section}" if c.section else ""
            lines.append(f"  [{c.n}] {c.title}{where}" + (f" ({by})" if by else ""))
            lines.append(f"      “{c.quote[:240]}{'…' if len(c.quote) > 240 else ''}”")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Cited answers about runners' lower back pain.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--history", action="append", default=[], help="an earlier user message (repeatable)")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")
    chat = sub.add_parser("chat", help="terminal chat with history")
    for p in (ask, chat):
        Settings.add_arguments(p, only=SETTING_FLAGS)
    args = parser.parse_args(argv)
    try:
        from bot.assistant import Assistant

        settings = Settings.from_args(args)
        assistant = Assistant(settings)
        if args.command == "ask":
            reply = assistant.ask(args.question, args.history)
            print(json.dumps(reply.to_dict(), indent=2, ensure_ascii=False) if args.json else format_reply(reply))
            return 0
        return _chat(assistant)
    except BacktrackError as exc:
        if os.environ.get("BACKTRACK_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _chat(assistant) -> int:
    print("Backtrack: ask about runners' lower back pain. General information, not medical advice. "
          "Ctrl-D to quit, /clear to start over.")
    history: list[str] = []
    while True:
        try:
            question = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question == "/clear":
            history = []
            continue
        if not question:
            continue
        try:
            reply = assistant.ask(question, history)
        except BacktrackError as exc:
            print(f"error: {exc}")
            continue
        print("\n" + format_reply(reply))
        history.append(question)
