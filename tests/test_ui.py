"""The chat page's rendering (escaping, cards, sources) and its queue endpoint via gradio_client."""

from __future__ import annotations

from typing import Any

import pytest
from test_server_support import assistant, live_server, settings  # noqa: F401

from bot.feedback import FeedbackStore
from bot.types import Citation, Reply, Source, TriageResult
from bot.ui import create_ui, render_partial, render_reply, render_text, render_user

NONE = TriageResult(level="none")


def _answer(text: str = "Stretch your hips. [1]", **kw: Any) -> Reply:
    cite = Citation(n=1, article_id="a", title="Hips & <Backs>", section="Stretching <b>", quote="Do it.\n\nDaily.",
                    author="Jo <img src=x onerror=alert(1)>", publisher="Club", chunk_id="c1",
                    also_in=(Source("b", "Other <i>"),))
    return Reply(route="answer", text=text, triage=NONE, citations=[cite], **kw)


def test_user_text_is_escaped_and_flattened() -> None:
    out = render_user('<script>alert(1)</script>\n\n<img src=x onerror="x()"> **b**')
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "&quot;x()&quot;" in out
    assert "\n" not in out  # one HTML block: the chat's Markdown renderer leaves it alone


def test_answer_text_markup_is_escaped_but_citations_and_bold_render() -> None:
    html = render_text("**Rest** first <b>now</b>. [2]\n\n- one\n- two\n\n> quoted [1]")
    assert "<strong>Rest</strong>" in html and "&lt;b&gt;now&lt;/b&gt;" in html
    assert '<span class="bt-cite">[2]</span>' in html
    assert "<ul><li>one</li><li>two</li></ul>" in html and "<blockquote><p>quoted" in html
    assert "\n" not in html


def test_answer_has_a_collapsed_sources_panel_with_escaped_metadata() -> None:
    html = render_reply(_answer(notice="LLM <timed out>"))
    assert 'class="bt-reply bt-route-answer bt-done"' in html
    assert '<details class="bt-sources"><summary>Source (1)</summary>' in html
    assert "Hips &amp; &lt;Backs&gt;" in html and "Section: Stretching &lt;b&gt;" in html
    assert "Jo &lt;img src=x onerror=alert(1)&gt; · Club" in html
    assert "Also in: Other &lt;i&gt;" in html and "LLM &lt;timed out&gt;" in html
    assert "<img" not in html and "<b>" not in html and "<i>" not in html


@pytest.mark.parametrize("level, cls, words", [("emergency", "bt-emergency", "call"),
                                               ("urgent", "bt-urgent", "within a day or two")])
def test_triage_cards_look_different_and_show_the_number(level: str, cls: str, words: str) -> None:
    reply = Reply(route="triage", text="## Get help\n\n**Go now.**", triage=TriageResult(level=level))
    html = render_reply(reply, emergency_number="112 <x>")
    assert f"bt-card {cls}" in html and words in html and "bt-reply" not in html
    assert "<h3>Get help</h3>" in html and "<strong>Go now.</strong>" in html
    if level == "emergency":
        assert 'href="tel:112"' in html and ">112 &lt;x&gt;</a>" in html


def test_partial_answer_and_placeholder() -> None:
    assert "Looking through the articles" in render_partial("")
    assert "bt-streaming" in render_partial("Some text [1]")


def test_create_ui_builds_without_launching(assistant: Any, settings: Any, tmp_path: Any) -> None:  # noqa: F811
    demo = create_ui(assistant, settings, FeedbackStore(tmp_path / "fb.sqlite3"))
    config = demo.get_config_file()
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert {"bt-chat", "bt-input", "bt-send", "bt-clear", "bt-alert"} <= ids
    assert demo.analytics_enabled is False


def test_chat_endpoint_streams_through_the_gradio_queue(live_server: Any) -> None:  # noqa: F811
    from gradio_client import Client

    client = Client(live_server.base + "/", verbose=False, download_files=False, analytics_enabled=False)
    try:
        _check_chat(client)
    finally:
        client.close()


def _check_chat(client: Any) -> None:
    job = client.submit("What stretches help lower back pain from running?", api_name="/chat")
    box, chat, alert = job.result(timeout=60)
    outputs = job.outputs()
    assert len(outputs) >= 3, "expected the user turn, partial text, then the final answer"
    assert box == "" and alert == ""
    final = chat[-1]["content"]
    text = final if isinstance(final, str) else str(final)
    assert "bt-route-answer" in text and "[1]" in text and "bt-sources" in text

    job = client.submit("I can't feel anything when I wipe and I've wet myself", api_name="/chat")
    _, chat, alert = job.result(timeout=60)
    assert "bt-emergency" in str(chat[-1]["content"]) and "bt-alert-emergency" in alert
    assert not any("bt-streaming" in str(o[1][-1]["content"]) and "[1]" in str(o[1][-1]["content"])
                   for o in job.outputs()), "no answer text may stream on a triage turn"
