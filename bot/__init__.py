"""Backtrack: cited answers about runners' lower back pain, with red-flag triage first.

    from bot import Assistant
    reply = Assistant().ask("should I use ice or heat?")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.settings import Settings
from bot.types import Citation, Passage, Reply, TriageResult

if TYPE_CHECKING:
    from bot.assistant import Assistant


def __getattr__(name: str):  # Assistant pulls in torch and Chroma; import it only when used
    if name == "Assistant":
        from bot.assistant import Assistant

        return Assistant
    raise AttributeError(name)


__all__ = ["Assistant", "Citation", "Passage", "Reply", "Settings", "TriageResult"]
