"""The Gradio chat page: streamed, cited answers, triage cards, sources and thumbs up/down.

`create_ui()` builds the Blocks (testable without launching); `bot.server` mounts it on FastAPI.
All text shown in the chat, the user's own messages included, goes through `html.escape` before it
reaches the page; the only markup is the small set of tags built here.
"""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no telemetry; read when gradio is imported

import gradio as gr  # noqa: E402

from bot.assistant import MAX_HISTORY_TURNS, Assistant, clean_message  # noqa: E402
from bot.errors import BacktrackError, InputError  # noqa: E402
from bot.feedback import FeedbackStore, citation_pairs  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.types import Citation, Reply  # noqa: E402

log = logging.getLogger(__name__)

TITLE = "Backtrack"
CHAT_CONCURRENCY = 4  # chat turns answered at once; the rest wait in the Gradio queue
QUEUE_MAX = 64
EXAMPLES = [
    "Why does my lower back hurt after long runs?",
    "What stretches help lower back pain from running?",
    "Should I keep running with a sore lower back?",
    "How can core exercises protect my back when I run?",
]
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def disclaimer(settings: Settings) -> str:
    number = html.escape(settings.emergency_number)
    return ("General information from running articles, not medical advice. "
            f"Sudden numbness, loss of bladder or bowel control, or weakness in both legs: "
            f"call {number} or go to an emergency department now.")


# -- rendering: escaped text in a fixed set of tags ----------------------------------------------
_CITE = re.compile(r"\[(\d{1,3})\]")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_HEADING = re.compile(r"^#{1,6}\s+")


def _inline(text: str) -> str:
    """Escape one line, then mark up **bold**, *italic* and [n] citation markers."""
    out = html.escape(text, quote=True)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    out = _ITALIC.sub(r"<em>\1</em>", out)
    return _CITE.sub(r'<span class="bt-cite">[\1]</span>', out)


def render_text(text: str) -> str:
    """A small Markdown subset (headings, paragraphs, bullets, block quotes) as escaped HTML.

    The result has no blank lines, so the chat's own Markdown renderer passes it through as one
    HTML block instead of re-reading the (already escaped) text as Markdown.
    """
    parts: list[str] = []
    para: list[str] = []
    items: list[str] = []
    quote: list[str] = []

    def flush() -> None:
        if para:
            parts.append("<p>" + "<br>".join(_inline(x) for x in para) + "</p>")
            para.clear()
        if items:
            parts.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in items) + "</ul>")
            items.clear()
        if quote:
            body = render_text("\n".join(quote))
            parts.append(f"<blockquote>{body}</blockquote>")
            quote.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line.startswith(">"):
            if para or items:
                saved = list(quote)
                quote.clear()
                flush()
                quote.extend(saved)
            quote.append(line[1:].strip())
            continue
        if quote:
            flush()
        if not line:
            flush()
        elif _HEADING.match(line):
            flush()
            parts.append(f"<h3>{_inline(_HEADING.sub('', line))}</h3>")
        elif line.startswith(("- ", "* ")):
            if para:
                p = list(para)
                para.clear()
                parts.append("<p>" + "<br>".join(_inline(x) for x in p) + "</p>")
            items.append(line[2:])
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return "".join(parts)


def render_user(text: str) -> str:
    """The user's own words: escaped, never interpreted as HTML or Markdown markup."""
    return '<div class="bt-user-text">' + html.escape(text, quote=True).replace("\n", "<br>") + "</div>"


def render_sources(citations: Sequence[Citation]) -> str:
    if not citations:
        return ""
    rows = []
    for c in citations:
        by = " · ".join(html.escape(x) for x in (c.author, c.publisher) if x)
        also = ", ".join(html.escape(s.title) for s in c.also_in)
        rows.append(
            '<li class="bt-source">'
            f'<div class="bt-source-title"><span class="bt-cite">[{int(c.n)}]</span> '
            f"<strong>{html.escape(c.title)}</strong></div>"
            + (f'<div class="bt-source-by">{by}</div>' if by else "")
            + (f'<div class="bt-source-section">Section: {html.escape(c.section)}</div>' if c.section else "")
            + f'<blockquote class="bt-quote">{render_text(c.quote)}</blockquote>'
            + (f'<div class="bt-source-also">Also in: {also}</div>' if also else "")
            + "</li>")
    label = "Source" if len(citations) == 1 else "Sources"
    return (f'<details class="bt-sources"><summary>{label} ({len(citations)})</summary>'
            f'<ol class="bt-source-list">{"".join(rows)}</ol></details>')


def render_reply(reply: Reply, emergency_number: str = "911") -> str:
    """One finished turn: an answer with its Sources panel, or a triage card."""
    sources = render_sources(reply.citations)
    notice = (f'<div class="bt-notice">{html.escape(reply.notice)}</div>' if reply.notice else "")
    if reply.route == "triage":
        level = reply.triage.level
        number = html.escape(emergency_number)
        tel = html.escape(re.sub(r"[^0-9+]", "", emergency_number) or emergency_number)
        if level == "emergency":
            banner = (f'<div class="bt-card-banner">Emergency: call '
                      f'<a class="bt-call" href="tel:{tel}">{number}</a> or go to an emergency department now</div>')
        elif level == "urgent":
            banner = '<div class="bt-card-banner">Urgent: see a doctor within a day or two</div>'
        else:
            banner = ""
        kind = level if level in ("emergency", "urgent") else "info"
        return (f'<div class="bt-card bt-{kind} bt-route-triage bt-done" role="alert">'
                f'{banner}<div class="bt-card-body">{render_text(reply.text)}</div>{sources}</div>')
    return (f'<div class="bt-reply bt-route-{html.escape(reply.route)} bt-done">'
            f'<div class="bt-answer">{render_text(reply.text)}</div>{notice}{sources}</div>')


def render_partial(text: str) -> str:
    body = render_text(text) if text.strip() else '<p class="bt-thinking">Looking through the articles…</p>'
    return f'<div class="bt-reply bt-streaming"><div class="bt-answer">{body}</div></div>'


def render_alert(level: str, emergency_number: str = "911") -> str:
    """The strip kept above the input after a triage card, so the action stays in view."""
    number = html.escape(emergency_number)
    tel = html.escape(re.sub(r"[^0-9+]", "", emergency_number) or emergency_number)
    if level == "emergency":
        return ('<div class="bt-alert bt-alert-emergency" role="alert">Emergency: call '
                f'<a class="bt-call" href="tel:{tel}">{number}</a> or go to an emergency department now. '
                "Don't wait to see if it passes.</div>")
    if level == "urgent":
        return ('<div class="bt-alert bt-alert-urgent" role="alert">See a doctor within a day or two. '
                f"If it gets worse quickly, call {number}.</div>")
    return ""


def render_error(message: str) -> str:
    return f'<div class="bt-error bt-done" role="status">{html.escape(message)}</div>'


# -- the page --------------------------------------------------------------------------------------
def theme() -> gr.themes.Base:
    """System fonts only: nothing is fetched from a font CDN."""
    return gr.themes.Default(primary_hue="teal", font=SYSTEM_FONTS, font_mono=MONO_FONTS)


CSS = """
.gradio-container { max-width: 880px !important; margin: 0 auto !important; }
#bt-header h1 { margin: 0 0 .2rem 0; font-size: 1.5rem; }
#bt-header p { margin: 0; }
.bt-disclaimer { font-size: .9rem; padding: .5rem .75rem; border-radius: 8px;
  background: var(--block-background-fill); border: 1px solid var(--border-color-primary); }
.bt-user-text { white-space: normal; overflow-wrap: anywhere; }
.bt-reply, .bt-card { overflow-wrap: anywhere; }
.bt-reply p, .bt-card p { margin: .35rem 0; }
.bt-cite { font-weight: 600; color: var(--color-accent); white-space: nowrap; }
.bt-thinking { opacity: .7; font-style: italic; }
.bt-notice { font-size: .85rem; opacity: .8; margin-top: .4rem; }
.bt-error { color: #b42318; }
.bt-sources { margin-top: .6rem; border-top: 1px solid var(--border-color-primary); padding-top: .4rem; }
.bt-sources summary { cursor: pointer; font-weight: 600; }
.bt-source-list { padding-left: 1.1rem; margin: .4rem 0; }
.bt-source { margin-bottom: .6rem; }
.bt-source-by, .bt-source-section, .bt-source-also { font-size: .85rem; opacity: .8; }
.bt-quote { margin: .3rem 0; padding-left: .6rem; border-left: 3px solid var(--border-color-primary);
  font-size: .9rem; }
.bt-card { border-radius: 10px; padding: .6rem .8rem; border: 2px solid; }
.bt-card h3 { margin: .2rem 0 .4rem 0; font-size: 1.1rem; }
.bt-card-banner { font-weight: 700; font-size: 1.1rem; padding: .4rem .6rem; border-radius: 6px;
  margin-bottom: .4rem; }
.bt-emergency { border-color: #d92d20; background: #fef3f2; color: #55160c; }
.bt-emergency .bt-card-banner { background: #d92d20; color: #fff; }
.bt-emergency .bt-card-banner a.bt-call { color: #fff; font-size: 1.35rem; text-decoration: underline; }
.bt-urgent { border-color: #dc6803; background: #fffaeb; color: #4e1d09; }
.bt-urgent .bt-card-banner { background: #f79009; color: #1f1300; }
.bt-info { border-color: #667085; background: #f9fafb; color: #101828; }
.bt-card .bt-quote { border-left-color: currentColor; }
.bt-alert { font-weight: 700; padding: .55rem .8rem; border-radius: 8px; }
.bt-alert-emergency { background: #d92d20; color: #fff; font-size: 1.05rem; }
.bt-alert-emergency a.bt-call { color: #fff; font-size: 1.25rem; text-decoration: underline; }
.bt-alert-urgent { background: #fef0c7; color: #4e1d09; border: 2px solid #f79009; }
@media (max-width: 480px) {
  .gradio-container { padding: 0 6px !important; }
  #bt-header h1 { font-size: 1.25rem; }
}
"""


def _new_state() -> dict[str, Any]:
    # turns: earlier user messages (the assistant's history); chat: what the Chatbot shows;
    # meta: message index -> reply id, route and citations, for thumbs up/down.
    return {"turns": [], "chat": [], "meta": {}, "alert": ""}


def create_ui(assistant: Assistant, settings: Settings, feedback: FeedbackStore | None = None) -> gr.Blocks:
    """Build the chat page. Pass it to `gr.mount_gradio_app` with `theme()` and `CSS`."""
    store = feedback if feedback is not None else FeedbackStore(settings.feedback_path)

    def respond(message: str, state: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        state = state or _new_state()
        try:
            question = clean_message(message)
        except InputError as exc:
            gr.Warning(str(exc)[:1].upper() + str(exc)[1:])
            yield message, state["chat"], state["alert"], state
            return
        history = list(state["turns"])[-MAX_HISTORY_TURNS:]
        chat = state["chat"]
        chat.append({"role": "user", "content": render_user(question)})
        chat.append({"role": "assistant", "content": render_partial("")})
        index = len(chat) - 1
        yield "", chat, state["alert"], state

        text = ""
        held: str | None = None  # one piece behind, so a triage card never shows as plain text
        reply: Reply | None = None
        try:
            for item in assistant.stream(question, history):
                if isinstance(item, Reply):
                    reply = item
                    break
                if held is not None:
                    text += held
                    chat[index] = {"role": "assistant", "content": render_partial(text)}
                    yield "", chat, state["alert"], state
                held = item
        except BacktrackError as exc:
            log.warning("chat turn failed: %s", exc)
            chat[index] = {"role": "assistant", "content": render_error(f"Sorry, I can't answer right now: {exc}")}
        except Exception:
            log.exception("chat turn failed")
            oops = render_error("Sorry, something went wrong. Please try again.")
            chat[index] = {"role": "assistant", "content": oops}
        if reply is not None:
            chat[index] = {"role": "assistant", "content": render_reply(reply, settings.emergency_number)}
            state["meta"][str(index)] = {"id": reply.id, "route": reply.route,
                                         "citations": citation_pairs(reply.citations)}
            state["turns"].append(question)
            level = reply.triage.level if reply.route == "triage" else "none"
            # the most severe level seen stays on screen until the chat is cleared
            if level == "emergency" or (level == "urgent" and not state["alert"]):
                state["alert"] = render_alert(level, settings.emergency_number)
        yield "", chat, state["alert"], state

    def on_like(state: dict[str, Any], data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        meta = (state or {}).get("meta", {}).get(str(index))
        if meta is None or data.liked not in (True, False):
            return
        try:
            store.record(meta["id"], "up" if data.liked else "down", meta["route"], meta["citations"])
        except Exception:
            log.exception("could not store feedback")
            gr.Warning("Sorry, your rating could not be saved.")

    def clear() -> tuple[Any, ...]:
        fresh = _new_state()
        return [], "", fresh, ""

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        state = gr.State(_new_state())
        gr.HTML('<div id="bt-header"><h1>Backtrack</h1>'
                "<p>Questions about lower back pain from running, answered from a curated set of "
                "running articles, with sources.</p></div>")
        gr.HTML(f'<div class="bt-disclaimer" role="note">{disclaimer(settings)}</div>')
        chatbot = gr.Chatbot(
            elem_id="bt-chat", label="Backtrack", show_label=False, height="60vh", min_height=320,
            latex_delimiters=[], buttons=[], feedback_options=("Like", "Dislike"),
            placeholder="Ask about lower back pain and running. Answers cite the articles they come from.",
            group_consecutive_messages=False,
        )
        alert = gr.HTML("", elem_id="bt-alert", padding=False)
        with gr.Row(equal_height=True):
            box = gr.Textbox(elem_id="bt-input", show_label=False, scale=5, min_width=180, max_lines=6,
                             placeholder="Ask a question about lower back pain and running…",
                             submit_btn=False, autofocus=True, max_length=4000)
            send = gr.Button("Send", elem_id="bt-send", variant="primary", scale=1, min_width=72)
        gr.Examples(EXAMPLES, inputs=box, label="Example questions")
        clear_btn = gr.Button("Clear chat", elem_id="bt-clear", size="sm", variant="secondary")

        chat_args: dict[str, Any] = {"fn": respond, "inputs": [box, state], "outputs": [box, chatbot, alert, state],
                                     "concurrency_limit": CHAT_CONCURRENCY, "concurrency_id": "chat",
                                     "show_progress": "hidden"}
        box.submit(api_name="chat", **chat_args)
        send.click(api_visibility="private", **chat_args)
        chatbot.like(on_like, [state], None, api_visibility="private")
        clear_btn.click(clear, None, [chatbot, alert, state, box], api_visibility="private")
    demo.queue(max_size=QUEUE_MAX, default_concurrency_limit=CHAT_CONCURRENCY)
    return demo
