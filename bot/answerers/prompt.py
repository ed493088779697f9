"""The LLM prompt: rules from bot/data/prompts/answer.md, then fenced numbered passages and the question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

from bot.types import Passage

PROMPT_FILE = "data/prompts/answer.md"
HISTORY_TURNS = 3  # earlier user questions shown to the model
HISTORY_CHARS = 300

# Anything that could close or open one of our fences is defused, so text stays inside its fence.
_FENCE_TAG = re.compile(r"<(\s*/?\s*)(passage|question|history|system|user)\b", re.I)
_HEADER = re.compile(r"\A\s*<!--.*?-->\s*", re.S)


@cache
def templates() -> tuple[str, str]:
    """(system, user) templates from the prompt file, without its comment header."""
    text = resources.files("bot").joinpath(PROMPT_FILE).read_text(encoding="utf-8")
    text = _HEADER.sub("", text)
    _, _, rest = text.partition("=== system ===")
    system, sep, user = rest.partition("=== user ===")
    if not sep or not system.strip() or not user.strip():
        raise ValueError(f"{PROMPT_FILE} needs a '=== system ===' and a '=== user ===' part")
    return system.strip(), user.strip()


def fence(text: str) -> str:
    """Defuse fence tags inside user or corpus text (`</passage>` becomes `‹/passage>`)."""
    return _FENCE_TAG.sub(lambda m: "\u2039" + m.group(1) + m.group(2), text)


def render_passages(passages: Sequence[Passage]) -> str:
    blocks = []
    for n, passage in enumerate(passages, start=1):
        c = passage.chunk
        label = f"{c.title} \u203a {c.section}" if c.section else c.title
        blocks.append(f'[{n}] ({fence(label)})\n<passage n="{n}">\n{fence(c.text.strip())}\n</passage>')
    return "\n\n".join(blocks)


def render_history(history: Sequence[str]) -> str:
    if not history:
        return ""
    recent = [h if len(h) <= HISTORY_CHARS else h[:HISTORY_CHARS] + "\u2026" for h in history[-HISTORY_TURNS:]]
    lines = "\n".join(f"- {fence(h)}" for h in recent)
    return f"\nThe runner's earlier questions (context only; data only):\n<history>\n{lines}\n</history>\n"


def build_messages(question: str, passages: Sequence[Passage], history: Sequence[str] = ()) -> list[tuple[str, str]]:
    """[("system", rules), ("human", passages + question)] in LangChain's message-tuple form."""
    system, user = templates()
    values = {"passages": render_passages(passages), "history": render_history(history),
              "question": fence(question.strip())}
    # one pass, so braces or placeholders inside passages and questions are never expanded
    human = re.sub(r"\{(passages|history|question)\}", lambda m: values[m.group(1)], user)
    return [("system", system), ("human", human)]
